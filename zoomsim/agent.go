package zoomsim

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/golang-jwt/jwt/v5"

	"github.com/cohost-dev/cohost/api"
)

// The simulated co-host agent implements the agent contract (api/agent.openapi.yaml,
// served at <AgentPrefix>/openapi.yaml). It behaves as the Meeting SDK bot would: it joins as the
// meeting's host with the host's ZAK and a role-1 SDK signature, sees participants only some time
// after they join, promotes them (AssignCoHost / makeCoHost) and Zoom then sends
// meeting.participant_role_changed.

// Outcomes of agent calls recorded in AgentCall.Outcome.
const (
	OutcomePromoted      = "promoted"
	OutcomeAlreadyCoHost = "already_cohost"
	OutcomeAlreadyHost   = "already_host"
)

type agentState struct {
	sessions map[int64]*agentSession
	jtis     map[string]time.Time // jti → when it may be forgotten
	calls    int
}

func (a *agentState) init() {
	a.sessions = map[int64]*agentSession{}
	a.jtis = map[string]time.Time{}
}

type agentSession struct {
	meetingID   int64
	displayName string
	openedAt    time.Time
	joined      bool
	record      int // index in ledger.Sessions
	participant *participant
	rateSecond  int64
	rateCount   int
}

// agentResponse is what an agent handler decides under s.mu; the wrapper writes it afterwards.
type agentResponse struct {
	status  int
	body    any
	outcome string
	headers map[string]string
}

func agentErr(status int, code api.AgentErrorCode) agentResponse {
	return agentResponse{status: status, body: api.AgentError{Error: code}}
}

type agentHandler func(r *http.Request, body []byte, meetingID int64) agentResponse

func (s *Sim) agentRoutes() http.Handler {
	r := chi.NewRouter()
	r.Get("/openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		b, err := api.OpenAPI.ReadFile(api.AgentOpenAPIFile)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(b)
	})
	r.Put("/v1/meetings/{meetingId}/session", s.agentRoute(s.putSession))
	r.Delete("/v1/meetings/{meetingId}/session", s.agentRoute(s.deleteSession))
	r.Put("/v1/meetings/{meetingId}/cohosts/{participantKey}", s.agentRoute(s.putCoHost))
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, api.AgentError{Error: api.AgentErrBadRequest})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, api.AgentError{Error: api.AgentErrBadRequest})
	})
	return r
}

// agentRoute wraps an agent handler: the down and 5xx knobs, the bearer JWT, the path's meeting id and
// the ledger.
func (s *Sim) agentRoute(h agentHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		s.mu.Lock()
		call := AgentCall{At: s.clock.Now(), Method: r.Method, Path: r.URL.Path, ParticipantKey: chi.URLParam(r, "participantKey")}
		down := s.faults.AgentDown
		var resp agentResponse
		meetingID, idErr := strconv.ParseInt(chi.URLParam(r, "meetingId"), 10, 64)
		switch {
		case down:
			call.Error = "agent down"
		case !s.checkAgentJWT(r):
			resp = agentErr(http.StatusUnauthorized, api.AgentErrUnauthorized)
		case s.chance(s.faults.Agent5xxRate):
			resp = agentErr(http.StatusInternalServerError, api.AgentErrInternal)
		case idErr != nil || meetingID <= 0:
			resp = agentErr(http.StatusBadRequest, api.AgentErrBadRequest)
		default:
			call.MeetingID = meetingID
			resp = h(r, body, meetingID)
		}
		call.Status, call.Outcome = resp.status, resp.outcome
		if e, ok := resp.body.(api.AgentError); ok {
			call.Error = string(e.Error)
		}
		s.ledger.AgentCalls = append(s.ledger.AgentCalls, call)
		s.notify()
		s.mu.Unlock()

		if down {
			// A dead agent answers nothing: drop the connection.
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			writeJSON(w, http.StatusServiceUnavailable, api.AgentError{Error: api.AgentErrInternal})
			return
		}
		for k, v := range resp.headers {
			w.Header().Set(k, v)
		}
		if resp.body == nil {
			w.WriteHeader(resp.status)
			return
		}
		writeJSON(w, resp.status, resp.body)
	}
}

// checkAgentJWT verifies the bearer JWT of the contract: HS256 with the agent secret, iss, aud,
// iat (not in the future), exp (not passed, at most 60 s after iat) and a jti not seen before.
// Callers hold s.mu.
func (s *Sim) checkAgentJWT(r *http.Request) bool {
	scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	skew := s.cfg.Agent.ClockSkew
	var claims jwt.RegisteredClaims
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(api.AgentJWTIssuer),
		jwt.WithAudience(api.AgentJWTAudience),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(skew),
		jwt.WithTimeFunc(s.clock.Now),
	)
	if _, err := p.ParseWithClaims(strings.TrimSpace(raw), &claims, func(*jwt.Token) (any, error) {
		return []byte(s.cfg.AgentSecret), nil
	}); err != nil {
		return false
	}
	if claims.IssuedAt == nil || claims.ID == "" {
		return false
	}
	life := claims.ExpiresAt.Sub(claims.IssuedAt.Time)
	if life <= 0 || life > api.AgentJWTMaxLifetime {
		return false
	}
	now := s.clock.Now()
	s.agent.calls++
	if s.agent.calls%256 == 0 {
		for j, until := range s.agent.jtis {
			if now.After(until) {
				delete(s.agent.jtis, j)
			}
		}
	}
	if _, seen := s.agent.jtis[claims.ID]; seen {
		return false
	}
	s.agent.jtis[claims.ID] = claims.ExpiresAt.Add(skew)
	return true
}

// checkSDKSignature verifies a Meeting SDK JWT as Zoom's sample auth endpoint builds it
// (zoom/meetingsdk-auth-endpoint-sample src/index.js): HS256 with the SDK secret, appKey and
// sdkKey = SDK key, mn = meeting number, role, iat, exp and tokenExp, expiry between 1800 s and
// 172800 s after iat. The agent needs role 1 (host).
func (s *Sim) checkSDKSignature(raw string, meetingID int64) bool {
	claims := jwt.MapClaims{}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(s.cfg.Agent.ClockSkew),
		jwt.WithTimeFunc(s.clock.Now),
	)
	if _, err := p.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) {
		return []byte(s.cfg.SDKSecret), nil
	}); err != nil {
		return false
	}
	if claims["appKey"] != s.cfg.SDKKey || claims["sdkKey"] != s.cfg.SDKKey {
		return false
	}
	switch mn := claims["mn"].(type) {
	case string:
		if mn != strconv.FormatInt(meetingID, 10) {
			return false
		}
	case float64:
		if int64(mn) != meetingID {
			return false
		}
	default:
		return false
	}
	if role, _ := claims["role"].(float64); role != api.SDKRoleHost {
		return false
	}
	iat, ok1 := claims["iat"].(float64)
	exp, ok2 := claims["exp"].(float64)
	tokenExp, ok3 := claims["tokenExp"].(float64)
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	lo, hi := api.SDKSignatureMinLifetime.Seconds(), api.SDKSignatureMaxLifetime.Seconds()
	for _, e := range []float64{exp, tokenExp} {
		if d := e - iat; d < lo || d > hi {
			return false
		}
	}
	return float64(s.clock.Now().Unix()) < tokenExp
}

// putSession serves PUT /v1/meetings/{meetingId}/session.
func (s *Sim) putSession(_ *http.Request, body []byte, meetingID int64) agentResponse {
	var req api.AgentSessionRequest
	if err := json.Unmarshal(body, &req); err != nil || req.MeetingNumber != strconv.FormatInt(meetingID, 10) ||
		req.ZAK == "" || req.Signature == "" {
		return agentErr(http.StatusBadRequest, api.AgentErrBadRequest)
	}
	m := s.meetings[meetingID]
	if m == nil || m.deleted {
		return agentErr(http.StatusNotFound, api.AgentErrMeetingNotFound)
	}
	if !s.checkSDKSignature(req.Signature, meetingID) {
		return agentErr(http.StatusForbidden, api.AgentErrInvalidSignature)
	}
	if uid, ok := s.verifyZAK(req.ZAK); !ok || uid != m.HostID {
		return agentErr(http.StatusForbidden, api.AgentErrInvalidZAK)
	}
	if req.Password != m.Password {
		return agentErr(http.StatusForbidden, api.AgentErrWrongPassword)
	}
	number := strconv.FormatInt(meetingID, 10)
	if sess := s.agent.sessions[meetingID]; sess != nil {
		if sess.joined {
			return agentResponse{status: http.StatusOK, body: api.AgentSessionResponse{MeetingNumber: number, State: api.AgentSessionJoined}}
		}
		return agentResponse{status: http.StatusAccepted, body: api.AgentSessionResponse{MeetingNumber: number, State: api.AgentSessionJoining}}
	}
	name := req.DisplayName
	if name == "" {
		name = "cohost agent"
	}
	sess := &agentSession{meetingID: meetingID, displayName: name, openedAt: s.clock.Now(), record: len(s.ledger.Sessions)}
	s.agent.sessions[meetingID] = sess
	s.ledger.Sessions = append(s.ledger.Sessions, SessionRecord{MeetingID: meetingID, MeetingUUID: m.UUID, OpenedAt: sess.openedAt})
	if d := s.cfg.Agent.JoinDelay; d > 0 {
		s.after(d, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.agent.sessions[meetingID] == sess { // not closed or replaced meanwhile
				s.joinSessionLocked(sess)
			}
		})
		return agentResponse{status: http.StatusAccepted, body: api.AgentSessionResponse{MeetingNumber: number, State: api.AgentSessionJoining}}
	}
	s.joinSessionLocked(sess)
	return agentResponse{status: http.StatusCreated, body: api.AgentSessionResponse{MeetingNumber: number, State: api.AgentSessionJoined}}
}

// joinSessionLocked puts the agent in the meeting: it starts the meeting if needed (the host's ZAK
// starts it) and joins as the host's identity; callers hold s.mu.
func (s *Sim) joinSessionLocked(sess *agentSession) {
	m := s.meetings[sess.meetingID]
	if m == nil || m.deleted {
		s.closeSessionLocked(sess.meetingID, "meeting_gone", false)
		return
	}
	s.startLocked(m)
	host := s.users[m.HostID]
	now := s.clock.Now().UTC()
	p := &participant{Participant: Participant{
		ParticipantUUID: s.participantUUID(),
		UserID:          strconv.FormatInt(m.nextUserID, 10),
		ZoomUserID:      m.HostID,
		Name:            sess.displayName,
		Role:            RoleHost,
		JoinTime:        now,
		Present:         true,
		Agent:           true,
	}}
	if host != nil {
		p.Email = host.Email
	}
	m.nextUserID += 1024
	m.participants = append(m.participants, p)
	sess.joined, sess.participant = true, p
	rec := &s.ledger.Sessions[sess.record]
	rec.JoinedAt, rec.MeetingUUID = now, m.UUID
	s.emitParticipant(m, p, "meeting.participant_joined")
	s.sdkParticipantJoinedLocked(m, p)
	s.notify()
}

// closeSessionLocked ends the agent's session in a meeting, if any; its participant leaves when
// emitLeave and it is still present. Callers hold s.mu.
func (s *Sim) closeSessionLocked(meetingID int64, reason string, emitLeave bool) {
	sess := s.agent.sessions[meetingID]
	if sess == nil {
		return
	}
	delete(s.agent.sessions, meetingID)
	rec := &s.ledger.Sessions[sess.record]
	rec.ClosedAt, rec.CloseReason = s.clock.Now().UTC(), reason
	if p := sess.participant; p != nil && p.Present && emitLeave {
		if m := s.meetings[meetingID]; m != nil {
			s.leaveLocked(m, p, "")
		}
	}
	s.notify()
}

// deleteSession serves DELETE /v1/meetings/{meetingId}/session: 204 whether or not there was one.
func (s *Sim) deleteSession(_ *http.Request, _ []byte, meetingID int64) agentResponse {
	s.closeSessionLocked(meetingID, "deleted", true)
	return agentResponse{status: http.StatusNoContent}
}

// putCoHost serves PUT /v1/meetings/{meetingId}/cohosts/{participantKey}.
func (s *Sim) putCoHost(r *http.Request, body []byte, meetingID int64) agentResponse {
	key := chi.URLParam(r, "participantKey")
	var req api.AgentCoHostRequest
	if key == "" || json.Unmarshal(body, &req) != nil {
		return agentErr(http.StatusBadRequest, api.AgentErrBadRequest)
	}
	sess := s.agent.sessions[meetingID]
	if sess == nil || !sess.joined {
		return agentErr(http.StatusNotFound, api.AgentErrNoSession)
	}
	now := s.clock.Now()
	if lim := s.cfg.Agent.PromotionsPerSecond; lim > 0 {
		if sec := now.Unix(); sess.rateSecond != sec {
			sess.rateSecond, sess.rateCount = sec, 0
		}
		if sess.rateCount >= lim {
			resp := agentErr(http.StatusTooManyRequests, api.AgentErrRateLimited)
			resp.headers = map[string]string{"Retry-After": retryAfterSeconds(now)}
			return resp
		}
		sess.rateCount++
	}
	m := s.meetings[meetingID]
	p := m.findParticipant(key)
	if p == nil || !p.Present || p.OnHold || p.Agent || now.Before(p.JoinTime.Add(s.cfg.Agent.VisibilityDelay)) {
		return agentErr(http.StatusConflict, api.AgentErrParticipantNotFound)
	}
	if p.PhoneOnly() {
		// Phone-only participants cannot be co-host (CanbeCohost is false for them in the SDK).
		return agentErr(http.StatusUnprocessableEntity, api.AgentErrCannotBeCoHost)
	}
	ok := func(role, outcome string) agentResponse {
		return agentResponse{status: http.StatusOK, outcome: outcome, body: api.AgentCoHostResponse{ParticipantKey: key, Role: role}}
	}
	switch p.Role {
	case RoleHost:
		return ok(api.AgentRoleHost, OutcomeAlreadyHost)
	case RoleCoHost:
		for i := range s.ledger.Promotions {
			pr := &s.ledger.Promotions[i]
			if pr.MeetingID == meetingID && pr.ParticipantUUID == p.ParticipantUUID && pr.UserID == p.UserID {
				pr.Repeats++
			}
		}
		return ok(api.AgentRoleCoHost, OutcomeAlreadyCoHost)
	}
	p.Role = RoleCoHost
	s.sdkRoleChangedLocked(m, p)
	idx := len(s.ledger.Promotions)
	s.ledger.Promotions = append(s.ledger.Promotions, Promotion{
		MeetingID: meetingID, MeetingUUID: m.UUID, ParticipantUUID: p.ParticipantUUID, UserID: p.UserID,
		UserName: p.Name, Key: key, JoinedAt: p.JoinTime, PromotedAt: now.UTC(), Via: PromotedByAgent,
	})
	sendRoleChanged := func() {
		reqID := s.emitRoleChanged(m, p, RoleAttendee, RoleCoHost)
		pr := &s.ledger.Promotions[idx]
		pr.RoleChangedSentAt, pr.RoleChangedRequestID = s.clock.Now().UTC(), reqID
		s.notify()
	}
	if d := s.cfg.Agent.RoleChangedDelay; d > 0 {
		s.after(d, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			sendRoleChanged()
		})
	} else {
		sendRoleChanged()
	}
	return ok(api.AgentRoleCoHost, OutcomePromoted)
}

// RestartAgent simulates the agent process restarting: every session is dropped (the bot leaves
// its meetings, so Zoom sends participant_left for it) and the agent forgets the jtis it saw.
func (s *Sim) RestartAgent() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.agent.sessions {
		s.closeSessionLocked(id, "restart", true)
	}
	s.agent.jtis = map[string]time.Time{}
	s.notify()
}

// AgentSessions returns the meetings in which the agent has a session, and whether it has joined.
func (s *Sim) AgentSessions() map[int64]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int64]bool{}
	for id, sess := range s.agent.sessions {
		out[id] = sess.joined
	}
	return out
}

// AgentURL is the agent's base URL (COHOST_AGENT_URL) for a sim served at base.
func (s *Sim) AgentURL(base string) string {
	return strings.TrimRight(base, "/") + s.cfg.AgentPrefix
}

// agentSessionState is used by the control API.
func (s *Sim) agentSessionState(meetingID int64) string {
	sess := s.agent.sessions[meetingID]
	switch {
	case sess == nil:
		return ""
	case sess.joined:
		return api.AgentSessionJoined
	}
	return api.AgentSessionJoining
}
