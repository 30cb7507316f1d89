package engine

import (
	"encoding/json"
	"time"

	"github.com/cohost-dev/cohost/grant"
)

// How GrantParticipantArgs.Seen is written. River writes a job's arguments
// three times (insert, fetch, completion), and PostgreSQL logs each write
// whole: GrantSeen's own JSON (Go's field names, every zero time spelt out,
// the ids the arguments already carry) made the grant job's row about 1.4
// KB. seenWire keeps what the arguments do not already say, with short
// names, zero values left out and times as Unix milliseconds (the ledger's
// own precision, so nothing is lost that a read of the ledger would keep).

// seenFormat marks the compact form; Seen without it is GrantSeen's JSON,
// written by an earlier version.
const seenFormat = 2

type seenWire struct {
	Format  int             `json:"f"`
	Meeting seenMeeting     `json:"m"`
	Part    seenParticipant `json:"p"`
	Version int64           `json:"v,omitempty"`
}

type seenMeeting struct {
	UUID      string            `json:"u,omitempty"`
	HostID    string            `json:"h,omitempty"`
	HostEmail string            `json:"he,omitempty"`
	Topic     string            `json:"t,omitempty"`
	StartTime int64             `json:"st,omitempty"`
	Tracking  map[string]string `json:"tf,omitempty"`
	Status    string            `json:"s,omitempty"`
	StatusAt  int64             `json:"sa,omitempty"`
	StartedAt int64             `json:"ba,omitempty"`
	EndedAt   int64             `json:"ea,omitempty"`
}

type seenParticipant struct {
	UserID      string `json:"u,omitempty"`
	ZoomUserID  string `json:"z,omitempty"`
	Name        string `json:"n,omitempty"`
	Email       string `json:"e,omitempty"`
	Phone       string `json:"ph,omitempty"`
	LeftAt      int64  `json:"la,omitempty"`
	State       string `json:"s,omitempty"`
	Granter     string `json:"g,omitempty"`
	Reason      string `json:"r,omitempty"`
	Detail      string `json:"d,omitempty"`
	JoinSeenAt  int64  `json:"js,omitempty"`
	GrantedAt   int64  `json:"ga,omitempty"`
	ConfirmedAt int64  `json:"ca,omitempty"`
	Attempts    int    `json:"a,omitempty"`
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// encodeSeen writes s for the grant job whose arguments are a (built from
// the same participant: its account, meeting, instance, key and join time).
func encodeSeen(s GrantSeen) ([]byte, error) {
	m, p := s.Meeting, s.Participant
	return json.Marshal(seenWire{Format: seenFormat, Version: s.Version,
		Meeting: seenMeeting{UUID: m.UUID, HostID: m.HostID, HostEmail: m.HostEmail, Topic: m.Topic,
			StartTime: ms(m.StartTime), Tracking: m.TrackingFields, Status: string(m.Status), StatusAt: ms(m.StatusAt),
			StartedAt: ms(m.StartedAt), EndedAt: ms(m.EndedAt)},
		Part: seenParticipant{UserID: p.UserID, ZoomUserID: p.ZoomUserID, Name: p.Name, Email: p.Email, Phone: p.Phone,
			LeftAt: ms(p.LeftAt), State: string(p.State), Granter: p.Granter, Reason: string(p.Reason), Detail: p.Detail,
			JoinSeenAt: ms(p.JoinSeenAt), GrantedAt: ms(p.GrantedAt), ConfirmedAt: ms(p.ConfirmedAt), Attempts: p.Attempts},
	})
}

// decodeSeen reads a's Seen in either form; false when it does not decode.
func decodeSeen(a GrantParticipantArgs) (GrantSeen, bool) {
	var w seenWire
	if err := json.Unmarshal(a.Seen, &w); err != nil {
		return GrantSeen{}, false
	}
	if w.Format != seenFormat {
		var s GrantSeen // an earlier version's
		return s, json.Unmarshal(a.Seen, &s) == nil
	}
	m, p := w.Meeting, w.Part
	return GrantSeen{Version: w.Version,
		Meeting: grant.Meeting{AccountID: a.AccountID, ID: a.MeetingID, UUID: m.UUID, HostID: m.HostID, HostEmail: m.HostEmail,
			Topic: m.Topic, StartTime: fromMS(m.StartTime), TrackingFields: m.Tracking, Status: grant.MeetingStatus(m.Status),
			StatusAt: fromMS(m.StatusAt), StartedAt: fromMS(m.StartedAt), EndedAt: fromMS(m.EndedAt)},
		Participant: grant.Participant{AccountID: a.AccountID, MeetingID: a.MeetingID, MeetingUUID: a.MeetingUUID, Key: a.Key,
			UserID: p.UserID, ZoomUserID: p.ZoomUserID, Name: p.Name, Email: p.Email, Phone: p.Phone,
			JoinedAt: fromMS(a.JoinedAtMS), LeftAt: fromMS(p.LeftAt), State: grant.State(p.State), Granter: p.Granter,
			Reason: grant.Reason(p.Reason), Detail: p.Detail, JoinSeenAt: fromMS(p.JoinSeenAt), GrantedAt: fromMS(p.GrantedAt),
			ConfirmedAt: fromMS(p.ConfirmedAt), Attempts: p.Attempts},
	}, true
}
