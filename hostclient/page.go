package hostclient

import (
	"strconv"
	"strings"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
)

// This file holds the host client's records: the page that runs a meeting,
// the call it has in flight, and its work on each participant. The store
// keeps them (tables host_pages and host_promotions); only this package
// decides what they mean.

// Page is the host page that runs a meeting, as its last report left it.
type Page struct {
	AccountID string
	MeetingID string
	// MeetingUUID is the meeting instance the page runs.
	MeetingUUID string
	// SessionID is the page load that holds the meeting ("" when none; a
	// revoked link releases it).
	SessionID string
	// ClaimedAt is when that page load started; SeenAt its last report.
	ClaimedAt time.Time
	SeenAt    time.Time
	// Connection is what the page reported last (api.HostConn*).
	Connection string
	// HostUserID is the page's own SDK user id.
	HostUserID int64
	// Call is the one makeCoHost in flight.
	Call Call
	// LastCallAt is when the last makeCoHost was issued (the pace).
	LastCallAt time.Time
	// EndedAt is set when Zoom reported the meeting ended.
	EndedAt time.Time
	// Starts counts the page starts of the current window (StartWindow
	// long, from StartsSince): the per-meeting limit on starts.
	Starts      int
	StartsSince time.Time
}

// Call is a makeCoHost cohost asked a page for. It stays in flight until
// the page reports its result or its lease ends, whoever holds the page
// meanwhile: no second call for anyone starts before.
type Call struct {
	ID string
	// Key is the match key of the participant it promotes.
	Key string
	// Until is the end of its lease.
	Until time.Time
}

// InFlight reports whether the call is in flight at now.
func (c Call) InFlight(now time.Time) bool { return c.ID != "" && now.Before(c.Until) }

// Live reports whether a page runs the meeting at now: a page load holds
// it, it reported within StaleAfter, it is in the meeting or joining it,
// and the meeting has not ended since that page load started. It is the one
// answer to "is a page running this meeting?" (the granter, the sync and
// the admin API all ask it).
func (p Page) Live(now time.Time) bool {
	return p.SessionID != "" && !p.endedSinceClaim() && now.Sub(p.SeenAt) <= StaleAfter && !outOfMeeting(p.Connection)
}

func (p Page) endedSinceClaim() bool { return !p.EndedAt.IsZero() && !p.EndedAt.Before(p.ClaimedAt) }

// outOfMeeting reports whether a connection state is one of a page that
// left the meeting (or never got in).
func outOfMeeting(conn string) bool {
	switch conn {
	case api.HostConnClosed, api.HostConnFail, api.HostConnLeft, api.HostConnEnded:
		return true
	}
	return false
}

// Page states, as the admin API shows them.
const (
	PageRunning = "running"
	PageGone    = "gone"
	PageNever   = "never_opened"
)

// State says whether a page runs the meeting: running, gone (since when:
// its last report), or never opened.
func (p Page) State(now time.Time) (string, time.Time) {
	switch {
	case p.Live(now):
		return PageRunning, p.SeenAt
	case p.ClaimedAt.IsZero():
		return PageNever, time.Time{}
	}
	return PageGone, p.SeenAt
}

// InstanceFor is the meeting instance the page works on: the running one
// when Zoom says the meeting runs, else the one it ran last.
func (p Page) InstanceFor(m grant.Meeting) string {
	if m.Live() && m.UUID != "" {
		return m.UUID
	}
	return p.MeetingUUID
}

// Promotion is the host page's work on one participant of one meeting
// instance, by match key. Rows exist for participants of the ledger (Zoom's
// join event) and for roster entries cohost issued a call for; no other
// roster entry is kept, so what a page reports cannot grow the table.
type Promotion struct {
	MeetingUUID string
	MatchKey    string
	AccountID   string
	MeetingID   string
	State       PromotionState
	// Attempts counts cohost's calls that did not make them co-host.
	Attempts int
	// NextAt is when the page may try again after a failed call.
	NextAt time.Time
	// Hold is what the page's roster showed holds them last (not in the
	// list yet, the waiting room), "" when nothing does.
	Hold grant.Reason
	// Reason and Detail say why the last call did not make them co-host
	// (with Zoom's words).
	Reason grant.Reason
	Detail string
	// DoneAt is when a call of cohost's resolved.
	DoneAt time.Time
}

// PromotionState is where the host page's work on a participant stands.
type PromotionState string

// Promotion states.
const (
	// PromotionWaiting: to be promoted (or held: Reason says why).
	PromotionWaiting PromotionState = "waiting"
	// PromotionDone: a makeCoHost cohost issued resolved: cohost made them
	// co-host.
	PromotionDone PromotionState = "done"
	// PromotionOther: someone else made them co-host (Zoom answered that
	// they already were, or showed the role before cohost asked); the page
	// does not ask for it.
	PromotionOther PromotionState = "other"
)

// normUUID is the SDK's participantUUID or the webhook's participant_uuid as
// they compare: without case or braces.
func normUUID(s string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(s), "{}"))
}

// LedgerMatchKey is the match key of a ledger participant: its
// participant_uuid, normalised, or its per-join user id.
func LedgerMatchKey(p grant.Participant) string {
	if p.Key != "" && p.Key != p.UserID {
		return "u:" + normUUID(p.Key)
	}
	return userKey(p.UserID)
}

func userKey(userID string) string { return "uid:" + userID }

// rosterMatchKey is the match key of an SDK roster entry of its own (one
// Zoom's join event has not named yet).
func rosterMatchKey(e api.HostRosterEntry) string {
	if e.ParticipantUUID != "" {
		return "u:" + normUUID(e.ParticipantUUID)
	}
	return userKey(strconv.FormatInt(e.UserID, 10))
}

// rosterKeys are every match key a roster entry can have been recorded
// under: its participantUUID's and its user id's.
func rosterKeys(e api.HostRosterEntry) []string {
	keys := []string{userKey(strconv.FormatInt(e.UserID, 10))}
	if e.ParticipantUUID != "" {
		keys = append(keys, "u:"+normUUID(e.ParticipantUUID))
	}
	return keys
}
