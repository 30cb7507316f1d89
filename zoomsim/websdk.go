package zoomsim

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/golang-jwt/jwt/v5"

	"github.com/cohost-dev/cohost/api"
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
	m, err := s.liveMeeting(meetingID)
	if err != nil {
		return Participant{}, err
	}
	p := m.findParticipant(participantKey)
	if p == nil || !p.Present {
		return Participant{}, fmt.Errorf("%w: participant %s in meeting %d", ErrNotFound, participantKey, meetingID)
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

// holdsJoiners reports whether joiners wait in the waiting room; callers hold s.mu.
func (s *Sim) holdsJoiners(m *meeting) bool {
	wr, _ := m.Settings["waiting_room"].(bool)
	return wr || s.cfg.WebSDK.WaitingRoom
}

// joinWebhookHold is how long meeting.participant_joined waits when the SDK rosters see joiners
// first; callers hold s.mu.
func (s *Sim) joinWebhookHold(m *meeting) time.Duration {
	if d := s.cfg.WebSDK.RosterDelay; d < 0 && s.sdkSessionsOf(m) != nil {
		return -d
	}
	return 0
}

// emitWaitingRoom sends one of the waiting-room events, whose participant carries date_time rather
// than join_time (Rivet types of meeting.participant_joined_waiting_room); callers hold s.mu.
func (s *Sim) emitWaitingRoom(m *meeting, p *participant, name string) {
	obj := m.eventObject(s.cfg.MeetingIDAsString)
	pp := p.payload()
	pp["date_time"] = zoomTime(s.clock.Now())
	obj["participant"] = pp
	s.emit(name, m.AccountID, eventRef{meetingID: m.ID, meetingUUID: m.UUID, participantKey: p.Key()}, map[string]any{"object": obj})
}

// sdkSessionsOf lists the live sessions of a meeting; callers hold s.mu.
func (s *Sim) sdkSessionsOf(m *meeting) []*sdkSession {
	var out []*sdkSession
	for _, ss := range s.sdk.sessions {
		if ss.meeting == m && !ss.closed {
			out = append(out, ss)
		}
	}
	return out
}

// rawAttributes are a participant's attributes as the bundle receives them from Zoom and hands
// to user-added/user-updated/user-removed listeners (ParticipantPropertiesPayload in
// embedded.d.ts; userGUID is the raw name of participantUUID, see SURFACE.md).
func (s *Sim) rawAttributes(m *meeting, p *participant) map[string]any {
	uid, _ := strconv.ParseInt(p.UserID, 10, 64)
	userType := 9 // a client
	if p.PhoneOnly() {
		userType = 5 // a phone
	}
	guest := p.ZoomUserID == ""
	if u := s.users[p.ZoomUserID]; u != nil && u.AccountID != m.AccountID {
		guest = true
	}
	a := map[string]any{
		"userId":                uid,
		"displayName":           p.Name,
		"userGUID":              p.ParticipantUUID,
		"isHost":                p.Role == RoleHost,
		"bCoHost":               p.Role == RoleCoHost,
		"bHold":                 p.OnHold,
		"bGuest":                guest,
		"userType":              userType,
		"bOriginalHost":         p.ZoomUserID != "" && p.ZoomUserID == m.HostID,
		"audio":                 "",
		"muted":                 false,
		"bVideoOn":              false,
		"bRaiseHand":            false,
		"sharerOn":              false,
		"sharerPause":           false,
		"feedback":              0,
		"avatar":                "",
		"bLocalRecord":          false,
		"isSpeakerOnly":         false,
		"bBotUser":              false,
		"userIdentity":          "",
		"strPronoun":            "",
		"bVideoConnect":         false,
		"audioConnectionStatus": 0,
	}
	if userType == 5 {
		a["phoneNumber"] = maskPhone(p.PhoneNumber)
		a["callInVendor"] = 0
	}
	return a
}

func cloneAttrs(a map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	return out
}

// push queues an event for the session's page; callers hold s.mu.
func (ss *sdkSession) push(name string, data any) {
	ss.events = append(ss.events, sdkEvent{seq: len(ss.events) + 1, name: name, data: data})
	close(ss.wake)
	ss.wake = make(chan struct{})
}

// showLocked applies attributes to a session's view and tells the page; callers hold s.mu.
func (s *Sim) showLocked(ss *sdkSession, p *participant, event string, extra map[string]any) {
	if ss.closed {
		return
	}
	uid, _ := strconv.ParseInt(p.UserID, 10, 64)
	switch event {
	case "user-added":
		a := s.rawAttributes(ss.meeting, p)
		ss.view[uid] = a
		out := cloneAttrs(a)
		for k, v := range extra {
			out[k] = v
		}
		ss.push(event, []any{out})
	case "user-removed":
		a, ok := ss.view[uid]
		if !ok {
			return
		}
		delete(ss.view, uid)
		out := cloneAttrs(a)
		for k, v := range extra {
			out[k] = v
		}
		ss.push(event, []any{out})
	case "user-updated":
		a, ok := ss.view[uid]
		if !ok {
			return
		}
		now := s.rawAttributes(ss.meeting, p)
		delta := map[string]any{"userId": uid}
		for _, k := range []string{"isHost", "bCoHost", "bHold", "displayName"} {
			if fmt.Sprint(a[k]) != fmt.Sprint(now[k]) {
				delta[k] = now[k]
				a[k] = now[k]
			}
		}
		if len(delta) == 1 {
			return
		}
		ss.push(event, []any{delta})
		for _, w := range ss.waiters[uid] {
			close(w)
		}
		delete(ss.waiters, uid)
	}
}

// sdkParticipantJoinedLocked shows a joiner (or a participant put on hold) to every session of the
// meeting after RosterDelay; callers hold s.mu.
func (s *Sim) sdkParticipantJoinedLocked(m *meeting, p *participant) {
	for _, ss := range s.sdkSessionsOf(m) {
		if ss.self == p {
			continue
		}
		uid, _ := strconv.ParseInt(p.UserID, 10, 64)
		show := func() {
			if !p.Present || ss.closed {
				return
			}
			extra := map[string]any(nil)
			if _, held := ss.view[uid]; held && !p.OnHold {
				// Admitted from the waiting room: the bundle removes the held user ("on hold")
				// and adds them again with source "on hold" (SURFACE.md).
				s.showLocked(ss, p, "user-removed", map[string]any{"reason": "on hold"})
				extra = map[string]any{"source": "on hold"}
			} else if held {
				return
			}
			s.showLocked(ss, p, "user-added", extra)
		}
		if d := s.cfg.WebSDK.RosterDelay; d > 0 {
			s.after(d, func() {
				s.mu.Lock()
				defer s.mu.Unlock()
				show()
				s.notify()
			})
			continue
		}
		show()
	}
}

// sdkParticipantLeftLocked removes a participant from every roster; a session whose own
// participant left is closed. Callers hold s.mu.
func (s *Sim) sdkParticipantLeftLocked(m *meeting, p *participant) {
	for _, ss := range s.sdkSessionsOf(m) {
		if ss.self == p {
			s.closeSDKSessionLocked(ss, SDKClosedLeftSim, map[string]any{"state": "Closed", "reason": "kicked by host"}, false)
			continue
		}
		s.showLocked(ss, p, "user-removed", nil)
	}
}

// sdkRoleChangedLocked shows a participant's new role to every roster after RoleChangeDelay;
// callers hold s.mu.
func (s *Sim) sdkRoleChangedLocked(m *meeting, p *participant) {
	for _, ss := range s.sdkSessionsOf(m) {
		if d := s.cfg.WebSDK.RoleChangeDelay; d > 0 {
			s.after(d, func() {
				s.mu.Lock()
				defer s.mu.Unlock()
				s.showLocked(ss, p, "user-updated", nil)
				s.notify()
			})
			continue
		}
		s.showLocked(ss, p, "user-updated", nil)
	}
}

// sdkMeetingEndingLocked closes every session of a meeting that ends; callers hold s.mu.
func (s *Sim) sdkMeetingEndingLocked(m *meeting) {
	for _, ss := range s.sdkSessionsOf(m) {
		s.closeSDKSessionLocked(ss, SDKClosedEnded, map[string]any{"state": "Closed", "reason": "ended by host"}, false)
	}
}

// closeSDKSessionLocked ends a session: the page gets connection-change (state), the streams end,
// and its participant leaves when leave is set. Callers hold s.mu.
func (s *Sim) closeSDKSessionLocked(ss *sdkSession, reason string, state map[string]any, leave bool) {
	if ss.closed {
		return
	}
	ss.push("connection-change", state)
	ss.closed = true
	rec := &s.ledger.SDKSessions[ss.record]
	rec.ClosedAt, rec.CloseReason = s.clock.Now().UTC(), reason
	for uid, ws := range ss.waiters {
		for _, w := range ws {
			close(w)
		}
		delete(ss.waiters, uid)
	}
	if leave && ss.self.Present {
		s.leaveLocked(ss.meeting, ss.self, "")
	}
	s.notify()
}

// stopStreams ends every event stream (the server is shutting down).
func (s *Sim) stopStreams() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.sdk.stopped:
	default:
		close(s.sdk.stopped)
	}
}

func (s *Sim) sdkRoutes(r chi.Router) {
	r.Use(sdkCORS)
	r.Get("/zoom-meeting-embedded-sim.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(sdkScript)
	})
	r.Post("/v1/join", s.sdkJoin)
	r.Get("/v1/sessions/{session}/events", s.sdkEvents)
	r.Post("/v1/sessions/{session}/cohost", s.sdkMakeCoHost)
	r.Post("/v1/sessions/{session}/leave", s.sdkLeave)
	r.Post("/v1/sessions/{session}/end", s.sdkEnd)
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, SDKError{Type: "INVALID_PARAMETERS", Reason: "no such SDK route"})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, SDKError{Type: "INVALID_OPERATION", Reason: "method not allowed"})
	})
}

// sdkCORS lets a page of any origin call the SDK endpoints, as Zoom's own endpoints answer the
// pages that embed the SDK. No credentials travel: the session secret is in the path.
func sdkCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// maxSDKBody bounds the SDK's request bodies.
const maxSDKBody = 64 << 10

// SDKJoinRequest is the body of POST /sdk/v1/join: client.join's arguments.
type SDKJoinRequest struct {
	Signature     string `json:"signature"`
	MeetingNumber string `json:"meetingNumber"`
	Password      string `json:"password"`
	UserName      string `json:"userName"`
	UserEmail     string `json:"userEmail"`
	ZAK           string `json:"zak"`
	Tk            string `json:"tk"`
	CustomerKey   string `json:"customerKey"`
}

// ParseSDKJoinRequest decodes and checks a join body: one JSON object, known fields only,
// meetingNumber digits (JoinOptions declares a string; a JSON number is accepted too), a userName
// and a signature.
func ParseSDKJoinRequest(raw []byte) (SDKJoinRequest, error) {
	var req SDKJoinRequest
	var loose struct {
		SDKJoinRequest
		MeetingNumber json.RawMessage `json:"meetingNumber"`
	}
	if err := decodeOne(raw, &loose); err != nil {
		return req, err
	}
	req = loose.SDKJoinRequest
	mn := strings.TrimSpace(string(loose.MeetingNumber))
	if strings.HasPrefix(mn, `"`) {
		if err := json.Unmarshal(loose.MeetingNumber, &mn); err != nil {
			return req, fmt.Errorf("%w: meetingNumber", ErrInvalid)
		}
	}
	req.MeetingNumber = strings.ReplaceAll(mn, " ", "")
	if n, err := strconv.ParseInt(req.MeetingNumber, 10, 64); err != nil || n <= 0 {
		return req, fmt.Errorf("%w: meetingNumber %q", ErrInvalid, req.MeetingNumber)
	}
	if strings.TrimSpace(req.UserName) == "" {
		return req, fmt.Errorf("%w: userName cannot be empty", ErrInvalid)
	}
	if req.Signature == "" {
		return req, fmt.Errorf("%w: signature", ErrInvalid)
	}
	return req, nil
}

// SDKCoHostRequest is the body of POST …/cohost: makeCoHost's argument.
type SDKCoHostRequest struct {
	UserID int64 `json:"userId"`
}

// ParseSDKCoHostRequest decodes a makeCoHost body: one JSON object with at most the field userId.
// A userId that is not an integer (absent, a string, a fraction: the bundle compares with ===,
// so none matches a participant) becomes -1, which names no one, so the call is still recorded
// and rejects as the bundle would.
func ParseSDKCoHostRequest(raw []byte) (SDKCoHostRequest, error) {
	var body struct {
		UserID json.RawMessage `json:"userId"`
	}
	if err := decodeOne(raw, &body); err != nil {
		return SDKCoHostRequest{}, err
	}
	num := strings.TrimSpace(string(body.UserID))
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return SDKCoHostRequest{UserID: -1}, nil
	}
	return SDKCoHostRequest{UserID: n}, nil
}

// decodeOne decodes exactly one JSON object with known fields only.
func decodeOne(raw []byte, v any) error {
	if len(raw) > maxSDKBody {
		return fmt.Errorf("%w: body over %d bytes", ErrInvalid, maxSDKBody)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: body: %v", ErrInvalid, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: body: trailing data", ErrInvalid)
	}
	var rest json.RawMessage
	if err := dec.Decode(&rest); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: body: trailing data", ErrInvalid)
	}
	return nil
}

func readSDKBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxSDKBody+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, SDKError{Type: "INVALID_PARAMETERS", Reason: "unreadable body"})
		return nil, false
	}
	return raw, true
}

// sdkSignature checks a Meeting SDK JWT for a web join and returns its role (0 or 1), with the
// join error Zoom would give: HS256 with the SDK secret, appKey = SDK key (sdkKey, deprecated,
// must match when present), mn = the meeting number, role 0 or 1, iat, exp and tokenExp with an
// expiry between 30 min and 48 h (zoom/meetingsdk-auth-endpoint-sample). Callers hold s.mu.
func (s *Sim) sdkSignature(raw string, meetingID int64) (int, *SDKError) {
	claims := jwt.MapClaims{}
	p := jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithoutClaimsValidation())
	if _, err := p.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) {
		return []byte(s.cfg.SDKSecret), nil
	}); err != nil {
		return 0, &errJoinSignature
	}
	if k, _ := claims["appKey"].(string); k != s.cfg.SDKKey {
		return 0, &errJoinSignature
	}
	if k, ok := claims["sdkKey"]; ok && k != s.cfg.SDKKey {
		return 0, &errJoinSignature
	}
	switch mn := claims["mn"].(type) {
	case string:
		if strings.ReplaceAll(mn, " ", "") != strconv.FormatInt(meetingID, 10) {
			return 0, &errJoinNumber
		}
	case float64:
		if int64(mn) != meetingID {
			return 0, &errJoinNumber
		}
	default:
		return 0, &errJoinNumber
	}
	role, ok := claims["role"].(float64)
	if !ok || (role != 0 && role != api.SDKRoleHost) {
		return 0, &errJoinRole
	}
	iat, ok1 := claims["iat"].(float64)
	exp, ok2 := claims["exp"].(float64)
	tokenExp, ok3 := claims["tokenExp"].(float64)
	if !ok1 || !ok2 || !ok3 {
		return 0, &errJoinSignature
	}
	lo, hi := api.SDKSignatureMinLifetime.Seconds(), api.SDKSignatureMaxLifetime.Seconds()
	for _, e := range []float64{exp, tokenExp} {
		if d := e - iat; d < lo || d > hi {
			return 0, &errJoinSignature
		}
	}
	now := float64(s.clock.Now().Unix())
	skew := s.cfg.Agent.ClockSkew.Seconds()
	if iat > now+skew {
		return 0, &errJoinSignature
	}
	if now >= min(exp, tokenExp) {
		return 0, &errJoinExpired
	}
	return int(role), nil
}

// sdkJoinResponse is what a successful join answers.
type sdkJoinResponse struct {
	Session             string `json:"session"`
	UserID              int64  `json:"userId"`
	MakeCoHostTimeoutMS int64  `json:"makeCoHostTimeoutMs"`
}

func (s *Sim) sdkJoin(w http.ResponseWriter, r *http.Request) {
	raw, ok := readSDKBody(w, r)
	if !ok {
		return
	}
	req, err := ParseSDKJoinRequest(raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	call := SDKCall{Method: "join", Start: s.clock.Now().UTC()}
	fail := func(status int, e SDKError) {
		call.End, call.Result, call.Error = s.clock.Now().UTC(), e.Type, &e
		s.ledger.SDKCalls = append(s.ledger.SDKCalls, call)
		s.notify()
		writeJSON(w, status, e)
	}
	if err != nil {
		if strings.Contains(err.Error(), "meetingNumber") {
			fail(http.StatusBadRequest, errJoinNumber)
			return
		}
		fail(http.StatusBadRequest, SDKError{Type: sdkJoinFailed, Reason: strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "), ErrorCode: 5013})
		return
	}
	meetingID, _ := strconv.ParseInt(req.MeetingNumber, 10, 64)
	call.MeetingID = meetingID
	m := s.meetings[meetingID]
	if m == nil || m.deleted {
		fail(http.StatusOK, errJoinNoMeeting)
		return
	}
	role, serr := s.sdkSignature(req.Signature, meetingID)
	if serr != nil {
		fail(http.StatusOK, *serr)
		return
	}
	if m.Password != "" && req.Password != m.Password {
		fail(http.StatusOK, errJoinPasscode)
		return
	}
	var p *participant
	if role == api.SDKRoleHost {
		uid, ok := s.verifyZAK(req.ZAK)
		if !ok || uid != m.HostID {
			fail(http.StatusOK, errJoinNotHost)
			return
		}
		p = s.sdkHostJoinLocked(m, req)
	} else {
		if m.Status != MeetingStarted {
			if jbh, _ := m.Settings["join_before_host"].(bool); !jbh {
				fail(http.StatusOK, errJoinNotStarted)
				return
			}
		}
		spec := JoinSpec{Name: req.UserName, Email: req.UserEmail}
		if uid, ok := s.verifyZAK(req.ZAK); ok {
			spec = JoinSpec{Name: req.UserName, ZoomUserID: uid}
		}
		var err error
		if p, err = s.joinLocked(m, spec, ""); err != nil {
			fail(http.StatusOK, errJoinFailed)
			return
		}
		if p.OnHold {
			// Not simulated: an SDK page waiting in the waiting room.
			s.leaveLocked(m, p, "")
			fail(http.StatusOK, errJoinFailed)
			return
		}
		p.SDK = true
	}
	ss := s.newSDKSessionLocked(m, p)
	call.Session = ss.n
	call.End, call.Result = s.clock.Now().UTC(), "resolved"
	s.ledger.SDKCalls = append(s.ledger.SDKCalls, call)
	s.notify()
	uid, _ := strconv.ParseInt(p.UserID, 10, 64)
	writeJSON(w, http.StatusOK, sdkJoinResponse{Session: ss.secret, UserID: uid, MakeCoHostTimeoutMS: s.cfg.WebSDK.MakeCoHostTimeout.Milliseconds()})
}

// sdkHostJoinLocked puts the host's page in the meeting, as a host starting it from a Zoom client:
// a session of the same host closes first ("duplicated session": a reload, or a second tab),
// meeting.started follows if the meeting was not running, then meeting.participant_joined for the
// host. Callers hold s.mu.
func (s *Sim) sdkHostJoinLocked(m *meeting, req SDKJoinRequest) *participant {
	for _, ss := range s.sdkSessionsOf(m) {
		if ss.self.ZoomUserID == m.HostID {
			s.closeSDKSessionLocked(ss, SDKClosedDuplicate, map[string]any{"state": "Closed", "reason": "duplicated session"}, true)
		}
	}
	s.startLocked(m)
	p := &participant{Participant: Participant{
		ParticipantUUID: s.participantUUID(),
		UserID:          strconv.FormatInt(m.nextUserID, 10),
		ZoomUserID:      m.HostID,
		Name:            req.UserName,
		Role:            RoleHost,
		JoinTime:        s.clock.Now().UTC(),
		Present:         true,
		SDK:             true,
	}}
	if host := s.users[m.HostID]; host != nil {
		p.Email = host.Email
	}
	m.nextUserID += 1024
	m.participants = append(m.participants, p)
	s.emitParticipant(m, p, "meeting.participant_joined")
	s.sdkParticipantJoinedLocked(m, p)
	return p
}

// newSDKSessionLocked opens a session for a participant who joined through the SDK and queues
// what the page sees first: itself, everyone else present (those on hold too, with bHold, as the
// bundle's store has them), then connection-change Connected, on which join resolves. Callers
// hold s.mu.
func (s *Sim) newSDKSessionLocked(m *meeting, p *participant) *sdkSession {
	s.sdk.n++
	ss := &sdkSession{
		secret: secretToken("zssdk_"), n: s.sdk.n, record: len(s.ledger.SDKSessions), meeting: m, self: p,
		view: map[int64]map[string]any{}, wake: make(chan struct{}), waiters: map[int64][]chan struct{}{},
	}
	s.sdk.sessions[ss.secret] = ss
	s.ledger.SDKSessions = append(s.ledger.SDKSessions, SDKSession{
		N: ss.n, MeetingID: m.ID, MeetingUUID: m.UUID, UserID: p.UserID, ParticipantUUID: p.ParticipantUUID,
		UserName: p.Name, Role: p.Role, JoinedAt: s.clock.Now().UTC(),
	})
	s.showLocked(ss, p, "user-added", nil)
	var others []any
	for _, o := range m.participants {
		if o == p || !o.Present {
			continue
		}
		uid, _ := strconv.ParseInt(o.UserID, 10, 64)
		a := s.rawAttributes(m, o)
		ss.view[uid] = a
		others = append(others, cloneAttrs(a))
	}
	if len(others) > 0 {
		ss.push("user-added", others)
	}
	ss.push("connection-change", map[string]any{"state": "Connected"})
	// A page that never opens its stream is a page that closed.
	s.armPageClosedLocked(ss)
	return ss
}

// armPageClosedLocked closes the session if it still has no stream after PageClosedGrace; callers
// hold s.mu.
func (s *Sim) armPageClosedLocked(ss *sdkSession) {
	s.after(s.cfg.WebSDK.PageClosedGrace, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if ss.streams == 0 && !ss.closed {
			s.closeSDKSessionLocked(ss, SDKClosedPage, map[string]any{"state": "Closed"}, true)
		}
	})
}

// session finds a live session by its secret; callers hold s.mu.
func (s *Sim) session(r *http.Request) *sdkSession {
	ss := s.sdk.sessions[chi.URLParam(r, "session")]
	if ss == nil {
		return nil
	}
	return ss
}

// sdkEvents streams a session's events as Server-Sent Events. EventSource reconnects by itself
// with Last-Event-ID, and the stream resumes after it; a session whose streams stay away for
// PageClosedGrace is a closed page.
func (s *Sim) sdkEvents(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ss := s.session(r)
	if ss == nil || ss.closed {
		s.mu.Unlock()
		// 204 tells EventSource to stop reconnecting.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	ss.streams++
	heartbeat := s.cfg.WebSDK.Heartbeat
	stopped := s.sdk.stopped
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		ss.streams--
		if ss.streams == 0 && !ss.closed {
			s.ledger.SDKSessions[ss.record].StreamDrops++
			s.armPageClosedLocked(ss)
		}
		s.notify()
		s.mu.Unlock()
	}()
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	cursor, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "retry: 500\n\n")
	flusher.Flush()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		s.mu.Lock()
		pending := append([]sdkEvent(nil), ss.events[min(cursor, len(ss.events)):]...)
		wake, closed := ss.wake, ss.closed
		s.mu.Unlock()
		for _, ev := range pending {
			data, err := json.Marshal(map[string]any{"event": ev.name, "payload": ev.data})
			if err != nil {
				return
			}
			if _, err := fmt.Fprintf(w, "id: %d\ndata: %s\n\n", ev.seq, data); err != nil {
				return
			}
			cursor = ev.seq
		}
		flusher.Flush()
		if closed {
			return
		}
		select {
		case <-wake:
		case <-tick.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
			flusher.Flush()
		case <-r.Context().Done():
			return
		case <-stopped:
			return
		}
	}
}

// sdkMakeCoHost serves makeCoHost. It checks what the bundle checks, in the bundle's order
// (SURFACE.md): the target is in the caller's roster and not on hold, is not the caller, the
// caller is host, the caller is in the meeting, the target is not already co-host. Then Zoom makes
// them co-host and the call settles when the caller's roster shows it, or times out.
func (s *Sim) sdkMakeCoHost(w http.ResponseWriter, r *http.Request) {
	raw, ok := readSDKBody(w, r)
	if !ok {
		return
	}
	req, perr := ParseSDKCoHostRequest(raw)
	s.mu.Lock()
	ss := s.session(r)
	if ss == nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, errSDKClosed)
		return
	}
	if perr != nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, errSDKNoMatchingUser)
		return
	}
	m := ss.meeting
	s.sdk.inFlight[m.ID]++
	idx := len(s.ledger.SDKCalls)
	s.ledger.SDKCalls = append(s.ledger.SDKCalls, SDKCall{
		Session: ss.n, MeetingID: m.ID, Method: "makeCoHost", TargetUserID: req.UserID,
		Start: s.clock.Now().UTC(), InFlight: s.sdk.inFlight[m.ID],
	})
	s.notify()
	finish := func(e *SDKError) {
		// Callers hold s.mu.
		c := &s.ledger.SDKCalls[idx]
		c.End = s.clock.Now().UTC()
		if e != nil {
			c.Result, c.Error = e.Type, e
		} else {
			c.Result = "resolved"
		}
		s.sdk.inFlight[m.ID]--
		s.notify()
	}
	e, wait, timeout := s.makeCoHostLocked(ss, req.UserID, idx)
	if e != nil {
		finish(e)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"error": e})
		return
	}
	done := make(chan struct{})
	s.after(timeout, func() { close(done) })
	s.mu.Unlock()

	var result *SDKError
	select {
	case <-wait:
		s.mu.Lock()
		uid := req.UserID
		if a, ok := ss.view[uid]; !ok || a["bCoHost"] != true {
			result = &errSDKTimeout
			if ss.closed {
				result = &errSDKClosed
			}
		}
	case <-done:
		s.mu.Lock()
		result = &errSDKTimeout
	case <-r.Context().Done():
		s.mu.Lock()
		result = &SDKError{Type: "OPERATION_CANCELLED", Reason: "page gone", ErrorCode: 3}
	}
	finish(result)
	s.mu.Unlock()
	if result != nil {
		writeJSON(w, http.StatusOK, map[string]any{"error": result})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": ""})
}

// makeCoHostLocked decides a makeCoHost call: an error at once, or a channel that closes when
// the caller's roster shows the change (never, for a change Zoom will not make) and how long to
// wait. Callers hold s.mu.
func (s *Sim) makeCoHostLocked(ss *sdkSession, userID int64, callIdx int) (*SDKError, <-chan struct{}, time.Duration) {
	m := ss.meeting
	target, seen := ss.view[userID]
	selfID, _ := strconv.ParseInt(ss.self.UserID, 10, 64)
	switch {
	case !seen || target["bHold"] == true:
		return &errSDKNoMatchingUser, nil, 0
	case userID == selfID:
		return &errSDKSelf, nil, 0
	case ss.self.Role != RoleHost:
		return &errSDKNotHost, nil, 0
	case ss.closed || m.Status != MeetingStarted:
		return &errSDKClosed, nil, 0
	case target["bCoHost"] == true:
		return &SDKError{Type: "INVALID_PARAMETERS", Reason: fmt.Sprintf("user:[%d] is already co-host ", userID), ErrorCode: 5011}, nil, 0
	}
	p := m.findParticipant(strconv.FormatInt(userID, 10))
	timeout := s.cfg.WebSDK.MakeCoHostTimeout
	never := make(chan struct{})
	if p == nil || !p.Present {
		// Gone since the roster last heard: Zoom changes nothing and the roster never confirms.
		return nil, never, timeout
	}
	s.ledger.SDKCalls[callIdx].ParticipantKey = p.Key()
	if rj := s.sdk.rejects[sdkRejectKey{m.ID, p.Key()}]; rj != nil && rj.left > 0 {
		rj.left--
		e := rj.err
		return &e, nil, 0
	}
	if s.cfg.WebSDK.TimeOutMakeCoHost || p.PhoneOnly() {
		// A phone-only participant cannot be co-host; the bundle does not check that itself, so
		// the call waits for a roster change that never comes (inferred, SURFACE.md).
		return nil, never, timeout
	}
	wait := make(chan struct{})
	ss.waiters[userID] = append(ss.waiters[userID], wait)
	if p.Role == RoleAttendee {
		p.Role = RoleCoHost
		now := s.clock.Now().UTC()
		idx := len(s.ledger.Promotions)
		s.ledger.Promotions = append(s.ledger.Promotions, Promotion{
			MeetingID: m.ID, MeetingUUID: m.UUID, ParticipantUUID: p.ParticipantUUID, UserID: p.UserID,
			UserName: p.Name, Key: p.Key(), JoinedAt: p.JoinTime, PromotedAt: now, Via: PromotedBySDK,
		})
		reqID := s.emitRoleChanged(m, p, RoleAttendee, RoleCoHost)
		pr := &s.ledger.Promotions[idx]
		pr.RoleChangedSentAt, pr.RoleChangedRequestID = s.clock.Now().UTC(), reqID
		s.sdkRoleChangedLocked(m, p)
	}
	return nil, wait, timeout
}

func (s *Sim) sdkLeave(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.session(r)
	if ss == nil || ss.closed {
		writeJSON(w, http.StatusOK, map[string]any{"result": ""})
		return
	}
	now := s.clock.Now().UTC()
	s.ledger.SDKCalls = append(s.ledger.SDKCalls, SDKCall{Session: ss.n, MeetingID: ss.meeting.ID, Method: "leaveMeeting", Start: now, End: now, Result: "resolved"})
	s.closeSDKSessionLocked(ss, SDKClosedLeave, map[string]any{"state": "Closed"}, true)
	writeJSON(w, http.StatusOK, map[string]any{"result": ""})
}

func (s *Sim) sdkEnd(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.session(r)
	if ss == nil || ss.closed || ss.self.Role != RoleHost {
		writeJSON(w, http.StatusOK, map[string]any{"error": errSDKNotHost})
		return
	}
	now := s.clock.Now().UTC()
	s.ledger.SDKCalls = append(s.ledger.SDKCalls, SDKCall{Session: ss.n, MeetingID: ss.meeting.ID, Method: "endMeeting", Start: now, End: now, Result: "resolved"})
	s.closeSDKSessionLocked(ss, SDKClosedEnd, map[string]any{"state": "Closed"}, false)
	if ss.meeting.Status == MeetingStarted {
		s.endLocked(ss.meeting)
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": ""})
}
