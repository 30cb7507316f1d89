package hostclient

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/failure"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/meetingsdk"
	"github.com/cohost-dev/cohost/zoomclient"
)

// Start hands the page what it needs to start the meeting as its host and
// makes this page load the one that runs it (a reload, or a second tab,
// takes over; the other stops at its next report). A call in flight stays
// in flight: the new page waits for its result or its lease.
//
// Each start asks Zoom for the host's ZAK, so a meeting's page may start at
// most maxStarts times per StartWindow, on every replica together; what Zoom
// says of the meeting and the host's name are reused between starts.
func (s *Service) Start(ctx context.Context, l LinkRecord) (api.HostStartResponse, error) {
	number, err := MeetingNumber(l.MeetingID)
	if err != nil {
		return api.HostStartResponse{}, err
	}
	now := s.now()
	if err := s.countStart(ctx, l, now); err != nil {
		return api.HostStartResponse{}, err
	}
	zm, err := s.meeting(ctx, l.AccountID, number, false)
	if err != nil {
		return api.HostStartResponse{}, zoomFailed("reading the meeting from Zoom", err, &grant.Error{Code: api.HostErrMeetingOver,
			Message: "Zoom no longer knows this meeting (it was deleted, or it ended and cannot start again)"})
	}
	zak, _, err := s.zoom(l.AccountID).Users.ZAK(ctx, zm.HostID)
	if err != nil {
		return api.HostStartResponse{}, zoomFailed("getting the host's ZAK", err, nil)
	}
	sig, err := meetingsdk.Signature(s.SDKKey, s.SDKSecret, number, api.SDKRoleHost, now)
	if err != nil {
		return api.HostStartResponse{}, &grant.Error{Code: grant.EINTERNAL, Message: "the Meeting SDK signature could not be made; cohostd's log has the cause", Err: err}
	}
	name := s.hostName(ctx, l.AccountID, zm)
	m, err := s.Store.GetMeeting(ctx, l.AccountID, l.MeetingID)
	if err != nil && !errors.Is(err, grant.ErrNotFound) {
		return api.HostStartResponse{}, failure.Store(err)
	}
	session := grant.NewID()
	err = s.Store.UpdateHostPage(ctx, l.AccountID, l.MeetingID, func(p *Page) error {
		p.SessionID, p.ClaimedAt, p.SeenAt, p.Connection = session, now, now, api.HostConnJoining
		if !p.EndedAt.IsZero() {
			// A call left from a meeting that ended is not this one's.
			p.Call = Call{}
		}
		p.EndedAt = time.Time{}
		if m.Live() {
			p.MeetingUUID = m.UUID
		}
		return nil
	})
	if err != nil {
		return api.HostStartResponse{}, failure.Store(err)
	}
	s.log().InfoContext(ctx, "host page started", "account_id", l.AccountID, "meeting_id", l.MeetingID, "session", session)
	return api.HostStartResponse{
		MeetingID: l.MeetingID, MeetingNumber: number, Password: zm.Password, Topic: zm.Topic,
		UserName: name, UserEmail: zm.HostEmail, ZAK: zak, Signature: sig, SessionID: session,
		ExpiresAt: l.ExpiresAt.UTC().Format(time.RFC3339), SyncMS: 1000,
	}, nil
}

// countStart spends one of the meeting's starts of the current window, or
// refuses with how long to wait.
func (s *Service) countStart(ctx context.Context, l LinkRecord, now time.Time) error {
	var wait time.Duration
	err := s.Store.UpdateHostPage(ctx, l.AccountID, l.MeetingID, func(p *Page) error {
		if now.Sub(p.StartsSince) >= StartWindow || now.Before(p.StartsSince) {
			p.Starts, p.StartsSince = 0, now
		}
		if p.Starts >= maxStarts {
			wait = p.StartsSince.Add(StartWindow).Sub(now)
			return errTooManyStarts
		}
		p.Starts++
		return nil
	})
	if errors.Is(err, errTooManyStarts) {
		s.log().WarnContext(ctx, "host page start refused: too many starts", "account_id", l.AccountID, "meeting_id", l.MeetingID)
		return &grant.Error{Code: api.HostErrTooManyStarts, RetryAfter: wait,
			Message: "this meeting's host page was started " + strconv.Itoa(maxStarts) + " times in the last minute; wait " +
				strconv.Itoa(max(1, int(wait.Round(time.Second)/time.Second))) + " s, then reload the page once"}
	}
	if err != nil {
		return failure.Store(err)
	}
	return nil
}

var errTooManyStarts = errors.New("hostclient: too many starts")

// meeting is what Zoom says of the meeting: from the cache when fresh (a
// start) or always from Zoom (fresh: minting a link checks the meeting as
// it is now), and cached.
func (s *Service) meeting(ctx context.Context, acct string, number int64, fresh bool) (*zoomclient.Meeting, error) {
	key := acct + "/" + strconv.FormatInt(number, 10)
	if !fresh {
		if e, ok := s.meetings.get(key, s.now()); ok {
			return e.meeting, nil
		}
	}
	zm, _, err := s.zoom(acct).Meetings.Get(ctx, number)
	if err != nil {
		return nil, err
	}
	if zm.HostID == "" {
		return nil, &grant.Error{Code: api.HostErrZoom, Reason: grant.ReasonZoomRejected, Message: "Zoom did not name the meeting's host"}
	}
	s.meetings.put(key, cachedMeeting{meeting: zm}, s.now())
	return zm, nil
}

// hostName is the name the host joins with: their Zoom display name, or
// their email's local part when cohost may not read users (the scope
// user:read:user:admin is optional for the host client). It is cached with
// the meeting.
func (s *Service) hostName(ctx context.Context, acct string, zm *zoomclient.Meeting) string {
	key := acct + "/" + strconv.FormatInt(zm.ID, 10)
	if e, ok := s.meetings.get(key, s.now()); ok && e.hostName != "" {
		return e.hostName
	}
	name := ""
	if u, _, err := s.zoom(acct).Users.Get(ctx, zm.HostID); err == nil {
		name = api.CleanText(strings.TrimSpace(u.FirstName+" "+u.LastName), 200)
	} else {
		s.log().InfoContext(ctx, "host page: the host's name could not be read; joining with their email's name", "host_id", zm.HostID, "error", err.Error())
	}
	if name == "" {
		if local, _, ok := strings.Cut(zm.HostEmail, "@"); ok && local != "" {
			name = local
		} else {
			name = "Host"
		}
	}
	s.meetings.put(key, cachedMeeting{meeting: zm, hostName: name}, s.now())
	return name
}

// meetingCache keeps what Zoom said of recently started meetings, in this
// replica's memory only (it holds the meeting's passcode, which cohost
// never stores).
type meetingCache struct {
	mu      sync.Mutex
	entries map[string]cachedMeeting
}

type cachedMeeting struct {
	meeting  *zoomclient.Meeting
	hostName string
	at       time.Time
}

// maxCachedMeetings bounds the cache; it is emptied when full.
const maxCachedMeetings = 1000

func (c *meetingCache) get(key string, now time.Time) (cachedMeeting, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.at) > meetingCacheTTL || now.Before(e.at) {
		return cachedMeeting{}, false
	}
	return e, true
}

func (c *meetingCache) put(key string, e cachedMeeting, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedMeetings {
		c.entries = map[string]cachedMeeting{}
	}
	if old, ok := c.entries[key]; ok && e.hostName == "" && old.meeting.HostID == e.meeting.HostID {
		e.hostName = old.hostName
	}
	e.at = now
	c.entries[key] = e
}
