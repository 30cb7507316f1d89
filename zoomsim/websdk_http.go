package zoomsim

// The simulated SDK's HTTP side: the routes the SDK script calls (join, the event stream,
// makeCoHost, leave, end), their bodies and their checks of the signature and the ZAK.

import (
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
		s.roleChangedUUIDLocked(p)
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
