package zoomsim

import (
	_ "embed"
	"fmt"
	"strings"
	"time"
)

// The simulated Web Meeting SDK (Component View) lets a real page run against the simulator in a
// real browser. zoomsim serves a script that defines window.ZoomMtgEmbedded with the surface and
// the shapes of @zoom/meetingsdk 6.2.0 (meetingsdk/SURFACE.md), backed by the simulator's own
// meetings: the roster is the meeting's present participants, makeCoHost changes their role and
// Zoom's meeting.participant_role_changed follows, as on the agent's route.
//
//	GET  /sdk/zoom-meeting-embedded-sim.js         the script (SDKScriptPath)
//	POST /sdk/v1/join                              join; answers {session, userId} or Zoom's error
//
// Zoom's refusals (a bad signature, a wrong passcode, …) come back as 200 with the error object,
// as Zoom's own join endpoint answers, so a page's console stays free of failed loads; 400 is only
// for a body the script never sends.
//	GET  /sdk/v1/sessions/{session}/events         the session's events (text/event-stream)
//	POST /sdk/v1/sessions/{session}/cohost         {"userId": n}: makeCoHost, answered when settled
//	POST /sdk/v1/sessions/{session}/leave          leaveMeeting (also sent by sendBeacon on pagehide)
//	POST /sdk/v1/sessions/{session}/end            endMeeting
//
// All of it answers cross-origin requests (the page and the simulator have different origins), and
// the script calls only the origin it was loaded from, so a page whose CSP allows that origin in
// script-src and connect-src works. {session} is a per-join secret: it is never logged and the
// ledger names sessions by number.

//go:embed websdk/zoom-meeting-embedded-sim.js
var sdkScript []byte

// SDKPrefix is where Handler serves the simulated SDK; SDKScriptPath is its script.
const (
	SDKPrefix     = "/sdk"
	SDKScriptPath = SDKPrefix + "/zoom-meeting-embedded-sim.js"
)

// SDKScriptURL is the script's URL for a sim served at base: what COHOST_MEETING_SDK_URL names to
// run a host page against the simulator.
func (s *Sim) SDKScriptURL(base string) string { return strings.TrimRight(base, "/") + SDKScriptPath }

// WebSDKConfig configures the simulated Web Meeting SDK. The zero value is Zoom without delays.
type WebSDKConfig struct {
	// RosterDelay is how long after a participant joins (when meeting.participant_joined is
	// emitted) they appear in the SDK rosters. Negative: the rosters see them at once and the
	// webhook's first delivery attempt waits -RosterDelay, as when the webhook arrives late.
	RosterDelay time.Duration `json:"roster_delay"`
	// RoleChangeDelay is how long after makeCoHost (or another promotion) the rosters show the
	// new role; makeCoHost settles only then.
	RoleChangeDelay time.Duration `json:"role_change_delay"`
	// MakeCoHostTimeout is how long makeCoHost waits for the roster before it rejects with
	// OPERATION_TIMEOUT; default 10 s, the bundle's figure (SURFACE.md).
	MakeCoHostTimeout time.Duration `json:"makecohost_timeout"`
	// TimeOutMakeCoHost makes every makeCoHost change nothing and reject with OPERATION_TIMEOUT
	// after MakeCoHostTimeout.
	TimeOutMakeCoHost bool `json:"timeout_makecohost"`
	// PageClosedGrace is how long a session may have no event stream (the page closed, crashed or
	// lost its network) before its participant leaves; default 5 s. A page that reconnects in
	// time (EventSource does by itself) keeps its session.
	PageClosedGrace time.Duration `json:"page_closed_grace"`
	// WaitingRoom puts every joiner but the host on hold until Admit, as a meeting whose
	// settings.waiting_room is true does.
	WaitingRoom bool `json:"waiting_room"`
	// Heartbeat is the interval of keep-alive comments on the event stream; default 15 s.
	Heartbeat time.Duration `json:"heartbeat"`
	// UUIDChangesWithRole gives a participant a new participant_uuid when they become co-host,
	// in the rosters and in the events that follow: Zoom says the participantUUID "might change
	// when the role changes" (the Zoom Apps SDK's onParticipantChange). The per-join user id stays.
	UUIDChangesWithRole bool `json:"uuid_changes_with_role"`
}

func (c *WebSDKConfig) defaults() {
	if c.MakeCoHostTimeout <= 0 {
		c.MakeCoHostTimeout = 10 * time.Second
	}
	if c.PageClosedGrace <= 0 {
		c.PageClosedGrace = 5 * time.Second
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
}

// SDKError is an error object as the Component View SDK rejects with: {type, reason, errorCode}
// (errorCode absent on some, as in the bundle). See meetingsdk/SURFACE.md.
type SDKError struct {
	Type      string `json:"type"`
	Reason    string `json:"reason,omitempty"`
	ErrorCode int    `json:"errorCode,omitempty"`
}

func (e SDKError) Error() string {
	return fmt.Sprintf("zoomsim: SDK %s: %s (%d)", e.Type, e.Reason, e.ErrorCode)
}

// The SDK's rejections, as 6.2.0's bundle builds them (meetingsdk/SURFACE.md).
var (
	errSDKNoMatchingUser = SDKError{Type: "INVALID_PARAMETERS", Reason: "no matching user"}
	errSDKSelf           = SDKError{Type: "INVALID_OPERATION", Reason: "operation is not applicable to self"}
	errSDKNotHost        = SDKError{Type: "INSUFFICIENT_PRIVILEGES", Reason: "only host can do the operation", ErrorCode: 5007}
	errSDKClosed         = SDKError{Type: "IMPROPER_MEETING_STATE", Reason: "closed", ErrorCode: 5002}
	errSDKTimeout        = SDKError{Type: "OPERATION_TIMEOUT", ErrorCode: 1}
)

// Join failures: the bundle rejects with type JOIN_MEETING_FAILED and the reason and code it maps
// Zoom's answer to (SURFACE.md). Which answer Zoom gives for which fault cannot be observed
// offline; these choices are the simulator's.
const sdkJoinFailed = "JOIN_MEETING_FAILED"

func joinErr(reason string, code int) SDKError {
	return SDKError{Type: sdkJoinFailed, Reason: reason, ErrorCode: code}
}

var (
	errJoinSignature  = joinErr("Signature is invalid.", 3712)
	errJoinExpired    = joinErr("The signature has expired.", 3705)
	errJoinNumber     = joinErr("The meeting number is wrong.", 3706)
	errJoinRole       = joinErr("Incorrect role.", 3708)
	errJoinNoMeeting  = joinErr("Meeting does not exist.", 3610)
	errJoinPasscode   = joinErr("Meeting Passcode wrong.", 3004)
	errJoinNotHost    = joinErr("You are not the meeting host.", 3003)
	errJoinNotStarted = joinErr("Meeting has not started", 3008)
	errJoinFailed     = joinErr("Fail to join the meeting.", 200)
)

// SDKSession is one join through the simulated SDK, as the ledger keeps it.
type SDKSession struct {
	// N numbers the sessions from 1 (the session's secret is not kept).
	N               int       `json:"n"`
	MeetingID       int64     `json:"meeting_id"`
	MeetingUUID     string    `json:"meeting_uuid"`
	UserID          string    `json:"user_id"`
	ParticipantUUID string    `json:"participant_uuid"`
	UserName        string    `json:"user_name"`
	Role            string    `json:"role"`
	JoinedAt        time.Time `json:"joined_at"`
	ClosedAt        time.Time `json:"closed_at,omitzero"`
	// CloseReason: SDKClosedLeave, SDKClosedEnd, SDKClosedPage, SDKClosedEnded or SDKClosedDuplicate.
	CloseReason string `json:"close_reason,omitempty"`
	// StreamDrops counts the times the page's event stream went away.
	StreamDrops int `json:"stream_drops"`
}

// Values of SDKSession.CloseReason.
const (
	SDKClosedLeave     = "leave"              // leaveMeeting()
	SDKClosedEnd       = "end"                // endMeeting() by this session
	SDKClosedPage      = "page_closed"        // the event stream stayed away past PageClosedGrace
	SDKClosedEnded     = "meeting_ended"      // the meeting ended otherwise
	SDKClosedDuplicate = "duplicated_session" // the same host joined again (a reload)
	SDKClosedLeftSim   = "participant_left"   // the participant was made to leave (Sim.Leave)
)

// SDKCall is one call of the simulated SDK that reached the simulator.
type SDKCall struct {
	Session   int    `json:"session"`
	MeetingID int64  `json:"meeting_id"`
	Method    string `json:"method"` // join, makeCoHost, leaveMeeting, endMeeting
	// TargetUserID is makeCoHost's argument.
	TargetUserID int64 `json:"target_user_id,omitempty"`
	// ParticipantKey is the target's participant key, when it names a participant.
	ParticipantKey string    `json:"participant_key,omitempty"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end,omitzero"`
	// Result is "resolved" or the SDKError's type; empty while in flight.
	Result string    `json:"result,omitempty"`
	Error  *SDKError `json:"error,omitempty"`
	// InFlight is the number of makeCoHost calls of the meeting in flight when this one started,
	// itself included.
	InFlight int `json:"in_flight,omitempty"`
}

// Resolved reports whether the call's promise resolved.
func (c SDKCall) Resolved() bool { return c.Result == "resolved" }

// SDKCallsIn returns the SDK calls of a meeting ("" method for all).
func (l Ledger) SDKCallsIn(meetingID int64, method string) []SDKCall {
	var out []SDKCall
	for _, c := range l.SDKCalls {
		if c.MeetingID == meetingID && (method == "" || c.Method == method) {
			out = append(out, c)
		}
	}
	return out
}

// MaxMakeCoHostInFlight is the largest number of makeCoHost calls of a meeting that were in flight
// at once.
func (l Ledger) MaxMakeCoHostInFlight(meetingID int64) int {
	n := 0
	for _, c := range l.SDKCallsIn(meetingID, "makeCoHost") {
		n = max(n, c.InFlight)
	}
	return n
}

type sdkState struct {
	sessions map[string]*sdkSession // by secret
	n        int
	inFlight map[int64]int
	rejects  map[sdkRejectKey]*sdkReject
	stopped  chan struct{} // closed by stopStreams: every stream ends
}

type sdkRejectKey struct {
	meetingID int64
	key       string
}

type sdkReject struct {
	left int
	err  SDKError
}

// sdkSession is one page's join. Its view is the roster as that page knows it, built from the
// events the simulator has queued for it, so that checks such as "no matching user" see what the
// page sees.
type sdkSession struct {
	secret  string
	n       int
	record  int // index in ledger.SDKSessions
	meeting *meeting
	self    *participant
	closed  bool

	view    map[int64]map[string]any // userId → the raw attributes the page holds
	events  []sdkEvent
	wake    chan struct{}
	streams int
	// waiters are makeCoHost calls waiting for this view to show a co-host.
	waiters map[int64][]chan struct{}
}

type sdkEvent struct {
	seq  int
	name string
	data any
}

func (s *Sim) initSDK() {
	s.cfg.WebSDK.defaults()
	s.sdk = sdkState{
		sessions: map[string]*sdkSession{},
		inFlight: map[int64]int{},
		rejects:  map[sdkRejectKey]*sdkReject{},
		stopped:  make(chan struct{}),
	}
}

// WebSDK returns the simulated SDK's knobs in effect.
func (s *Sim) WebSDK() WebSDKConfig {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.WebSDK
}

// SetWebSDK replaces the simulated SDK's knobs (zero durations take their defaults).
func (s *Sim) SetWebSDK(c WebSDKConfig) {
	c.defaults()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.WebSDK = c
}

// RejectMakeCoHost makes the next n makeCoHost calls that target the participant (by
// participant_uuid or user_id) reject at once with e, changing nothing.
func (s *Sim) RejectMakeCoHost(meetingID int64, participantKey string, n int, e SDKError) error {
	if n < 0 || e.Type == "" {
		return fmt.Errorf("%w: reject %d calls with %+v", ErrInvalid, n, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.liveMeeting(meetingID)
	if err != nil {
		return err
	}
	p := m.findParticipant(participantKey)
	if p == nil {
		return fmt.Errorf("%w: participant %s in meeting %d", ErrNotFound, participantKey, meetingID)
	}
	k := sdkRejectKey{meetingID, p.Key()}
	if n == 0 {
		delete(s.sdk.rejects, k)
		return nil
	}
	s.sdk.rejects[k] = &sdkReject{left: n, err: e}
	return nil
}

// Admit lets a participant in from the waiting room: meeting.participant_admitted and
// meeting.participant_joined follow, and the SDK rosters move them from on hold into the meeting.
func (s *Sim) Admit(meetingID int64, participantKey string) (Participant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, p, err := s.presentLocked(meetingID, participantKey)
	if err != nil {
		return Participant{}, err
	}
	if !p.OnHold {
		return Participant{}, fmt.Errorf("%w: participant %s is not in the waiting room", ErrInvalid, participantKey)
	}
	p.OnHold = false
	p.JoinTime = s.clock.Now().UTC()
	s.emitWaitingRoom(m, p, "meeting.participant_admitted")
	s.admittedLocked(m, p)
	s.notify()
	return p.Participant, nil
}

// SDKCalls returns the simulated SDK's calls in a meeting, in order.
func (s *Sim) SDKCalls(meetingID int64) []SDKCall { return s.Ledger().SDKCallsIn(meetingID, "") }

// SDKSessions returns the simulated SDK's sessions in a meeting, in order.
func (s *Sim) SDKSessions(meetingID int64) []SDKSession {
	var out []SDKSession
	for _, r := range s.Ledger().SDKSessions {
		if r.MeetingID == meetingID {
			out = append(out, r)
		}
	}
	return out
}

// MaxMakeCoHostInFlight is the largest number of makeCoHost calls of the meeting in flight at once.
func (s *Sim) MaxMakeCoHostInFlight(meetingID int64) int {
	return s.Ledger().MaxMakeCoHostInFlight(meetingID)
}
