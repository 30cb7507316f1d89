package granters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/cohost-dev/cohost/agentclient"
	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/failure"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/meetingsdk"
	"github.com/cohost-dev/cohost/zoomclient"
)

// Agent grants the real co-host role through the co-host agent (the
// contract in api/agent.openapi.yaml): an operator's own Meeting SDK client,
// used by a person, that sits in the meeting as its host and calls
// AssignCoHost. cohostd gives it the host's ZAK and a Meeting SDK signature so
// it can join as host. The agent client does the HTTP; this type decides.
type Agent struct {
	Client *agentclient.Client
	// SDKKey and SDKSecret sign the Meeting SDK signature.
	SDKKey, SDKSecret string
	// DisplayName is the name the agent joins with.
	DisplayName string
	Zoom        *zoomclient.Client
	Logger      *slog.Logger
	// PerMeeting bounds concurrent co-host calls per meeting in this process,
	// so a storm of joins does not flood the agent. Default 8.
	PerMeeting int
	// RetryDelay, when set, is how soon a participant the agent cannot see
	// yet, or a session still joining, is retried. By default the delay grows
	// with the time since the join: a quarter of it, between 100 ms and 5 s,
	// so the common case (visible within a second) is fast and a participant
	// who never shows up costs few calls.
	RetryDelay time.Duration

	slots meetingSlots
}

var _ grant.Granter = (*Agent)(nil)

// Name implements grant.Granter.
func (a *Agent) Name() string { return "agent" }

// AsksForRole implements grant.RoleAsker: the agent's makeCoHost is a
// request for the role, and the role change Zoom reports after it is the
// agent's.
func (a *Agent) AsksForRole() bool { return true }

func (a *Agent) retryDelay(p grant.Participant) time.Duration {
	if a.RetryDelay > 0 {
		return a.RetryDelay
	}
	if p.JoinSeenAt.IsZero() {
		return 250 * time.Millisecond
	}
	return min(max(time.Since(p.JoinSeenAt)/4, 100*time.Millisecond), 5*time.Second)
}

// Prepare opens (or keeps) the agent's session in the meeting.
func (a *Agent) Prepare(ctx context.Context, m grant.Meeting) error {
	_, err := a.openSession(ctx, m, grant.Participant{})
	return err
}

// Grant asks the agent to make the participant co-host. An agent that is not
// in the meeting (restarted, or the joiner came before the lead time) is
// asked to join first, once.
func (a *Agent) Grant(ctx context.Context, m grant.Meeting, p grant.Participant) (grant.Outcome, error) {
	number, err := meetingNumber(m.ID)
	if err != nil {
		return grant.Outcome{}, err
	}
	release, err := a.slots.acquire(ctx, m.AccountID+"/"+m.ID, a.PerMeeting)
	if err != nil {
		return grant.Outcome{}, failure.Agent("waiting for a slot to call the agent", err, 0)
	}
	defer release()
	body := api.AgentCoHostRequest{ParticipantUUID: p.Key, UserID: p.UserID, UserName: p.Name, Email: p.Email}
	if p.Key == p.UserID {
		body.ParticipantUUID = ""
	}
	_, _, err = a.Client.MakeCoHost(ctx, number, p.Key, body)
	if ae, ok := errors.AsType[*agentclient.AgentError](err); ok && ae.Code == api.AgentErrNoSession {
		if m.Status == grant.MeetingEnded || m.Status == grant.MeetingDeleted {
			// An agent that joins as host would start the meeting again.
			return grant.Outcome{}, &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonMeetingEnded,
				Message: "the meeting has ended; the agent does not start it again"}
		}
		joined, openErr := a.openSession(ctx, m, p)
		if openErr != nil {
			return grant.Outcome{}, openErr
		}
		if !joined {
			return grant.Outcome{}, &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonAgentUnavailable,
				Message: "the agent is joining the meeting", RetryAfter: a.retryDelay(p)}
		}
		_, _, err = a.Client.MakeCoHost(ctx, number, p.Key, body)
	}
	if err != nil {
		return grant.Outcome{}, failure.Agent("making the participant co-host", err, a.retryDelay(p))
	}
	return grant.Outcome{State: grant.StateGranted, AwaitConfirmation: true}, nil
}

// Finish makes the agent leave the meeting.
func (a *Agent) Finish(ctx context.Context, m grant.Meeting) error {
	number, err := meetingNumber(m.ID)
	if err != nil {
		return err
	}
	_, err = a.Client.CloseSession(ctx, number)
	return failure.Agent("leaving the meeting", err, 0)
}

// openSession asks the agent to join the meeting as its host. It reports
// whether the agent is in the meeting (200/201) rather than still joining (202).
//
// Zoom has no "join only if it is running": an agent that joins as host an
// instance the host has just ended starts the meeting again. So the check of
// Zoom's status is the last thing before the join: the ZAK and the signature
// come first, and only the one round trip of that check stays between
// Zoom's answer and the agent's join (docs/reliability.md, "Limits").
func (a *Agent) openSession(ctx context.Context, m grant.Meeting, p grant.Participant) (bool, error) {
	number, err := meetingNumber(m.ID)
	if err != nil {
		return false, err
	}
	zc := zoomFor(a.Zoom, m.AccountID)
	sig, err := meetingsdk.Signature(a.SDKKey, a.SDKSecret, number, api.SDKRoleHost, time.Now())
	if err != nil {
		return false, &grant.Error{Code: grant.EINVALID, Reason: grant.ReasonInternal, Message: err.Error()}
	}
	var zak string
	if m.HostID != "" {
		if zak, _, err = zc.Users.ZAK(ctx, m.HostID); err != nil {
			return false, failure.Zoom("getting the host's ZAK", err)
		}
	}
	zm, _, err := zc.Meetings.Get(ctx, number)
	if err != nil {
		return false, failure.Zoom("reading meeting "+m.ID, err)
	}
	if m.Status == grant.MeetingStarted && zm.Status != zoomclient.MeetingStatusStarted {
		// cohostd's copy says live but Zoom no longer does: the host ended it
		// and its meeting.ended is still queued. Joining as host now would start
		// the meeting again, so wait for that event (after which the job finds
		// the meeting ended) rather than open the session.
		return false, &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonMeetingEnded, RetryAfter: a.retryDelay(p),
			Message: fmt.Sprintf("Zoom reports meeting %s as %q, not started; the agent does not start it again", m.ID, zm.Status)}
	}
	if zm.HostID != "" && zm.HostID != m.HostID {
		// The meeting changed hands (or cohostd did not know its host): the
		// ZAK must be the current host's. Rare, so this one join pays the
		// longer window.
		if zak, _, err = zc.Users.ZAK(ctx, zm.HostID); err != nil {
			return false, failure.Zoom("getting the host's ZAK", err)
		}
	}
	if zak == "" {
		return false, &grant.Error{Code: grant.EINVALID, Reason: grant.ReasonZoomRejected,
			Message: fmt.Sprintf("neither cohostd nor Zoom names the host of meeting %s; the agent needs the host's ZAK to join", m.ID)}
	}
	uuid := m.UUID
	if uuid == "" {
		uuid = zm.UUID
	}
	joined, _, err := a.Client.OpenSession(ctx, number, api.AgentSessionRequest{
		MeetingNumber: strconv.FormatInt(number, 10), MeetingUUID: uuid, Password: zm.Password,
		ZAK: zak, Signature: sig, DisplayName: a.DisplayName,
	})
	if err != nil {
		return false, failure.Agent("opening the agent's session", err, a.retryDelay(p))
	}
	return joined, nil
}

// meetingSlots bounds concurrent calls per meeting. A meeting's entry lives
// only while a call holds or waits for one of its slots, so a long-running
// cohostd does not keep one per meeting it ever served.
type meetingSlots struct {
	mu sync.Mutex
	m  map[string]*slotGroup
}

type slotGroup struct {
	ch    chan struct{}
	users int // holders and waiters
}

// acquire takes one of key's n slots (n <= 0: 8), waiting until one is free
// or ctx is done. release gives it back.
func (s *meetingSlots) acquire(ctx context.Context, key string, n int) (release func(), err error) {
	if n <= 0 {
		n = 8
	}
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]*slotGroup{}
	}
	g := s.m[key]
	if g == nil {
		g = &slotGroup{ch: make(chan struct{}, n)}
		s.m[key] = g
	}
	g.users++
	s.mu.Unlock()
	done := func() {
		s.mu.Lock()
		if g.users--; g.users == 0 {
			delete(s.m, key)
		}
		s.mu.Unlock()
	}
	select {
	case g.ch <- struct{}{}:
		return func() { <-g.ch; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}

// len reports how many meetings have an entry (for tests).
func (s *meetingSlots) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
