package zoomsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cohost-dev/cohost/api"
)

func (h *harness) bearer() string {
	return agentJWT(h.t, h.sim.Config().AgentSecret, h.now(), nil)
}

func (h *harness) agentDo(method, path, bearer string, body any) (int, http.Header, []byte) {
	h.t.Helper()
	return h.do(method, h.sim.Config().AgentPrefix+path, bearer, body)
}

func (h *harness) sessionRequest(m Meeting) api.AgentSessionRequest {
	h.t.Helper()
	zak, err := h.sim.IssueZAK(m.HostID)
	if err != nil {
		h.t.Fatal(err)
	}
	cfg := h.sim.Config()
	return api.AgentSessionRequest{
		MeetingNumber: fmt.Sprint(m.ID), MeetingUUID: m.UUID, Password: m.Password, ZAK: zak,
		Signature: sdkSignature(h.t, cfg.SDKKey, cfg.SDKSecret, m.ID, h.now(), nil), DisplayName: "cohost",
	}
}

func (h *harness) openSession(m Meeting) int {
	h.t.Helper()
	st, _, raw := h.agentDo("PUT", api.AgentSessionPath(m.ID), h.bearer(), h.sessionRequest(m))
	if st >= 300 {
		h.t.Fatalf("open session: %d %s", st, raw)
	}
	return st
}

func (h *harness) promote(m Meeting, key string) (int, http.Header, api.AgentError) {
	h.t.Helper()
	st, hdr, raw := h.agentDo("PUT", api.AgentCoHostPath(m.ID, key), h.bearer(), api.AgentCoHostRequest{ParticipantUUID: key})
	var e api.AgentError
	_ = json.Unmarshal(raw, &e)
	return st, hdr, e
}

func TestAgentBearerJWT(t *testing.T) {
	h := newHarness(t, Config{}, true)
	secret := h.sim.Config().AgentSecret
	now := h.now()
	path := api.AgentSessionPath(1) // DELETE answers 204 to any authorised caller
	tests := []struct {
		name  string
		token string
	}{
		{"no token", ""},
		{"wrong secret", agentJWT(t, "other-secret", now, nil)},
		{"wrong issuer", agentJWT(t, secret, now, func(c jwt.MapClaims) { c["iss"] = "someone" })},
		{"wrong audience", agentJWT(t, secret, now, func(c jwt.MapClaims) { c["aud"] = "other" })},
		{"no jti", agentJWT(t, secret, now, func(c jwt.MapClaims) { delete(c, "jti") })},
		{"no iat", agentJWT(t, secret, now, func(c jwt.MapClaims) { delete(c, "iat") })},
		{"no exp", agentJWT(t, secret, now, func(c jwt.MapClaims) { delete(c, "exp") })},
		{"lives over 60 s", agentJWT(t, secret, now, func(c jwt.MapClaims) { c["exp"] = now.Add(61 * time.Second).Unix() })},
		{"expired", agentJWT(t, secret, now.Add(-2*time.Minute), nil)},
		{"issued in the future", agentJWT(t, secret, now.Add(time.Minute), nil)},
		{"HS512", func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{
				"iss": "cohostd", "aud": "cohost-agent", "iat": now.Unix(), "exp": now.Add(30 * time.Second).Unix(), "jti": "hs512",
			}).SignedString([]byte(secret))
			return s
		}()},
		{"garbage", "not.a.jwt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, raw := h.agentDo("DELETE", path, tt.token, nil)
			if st != http.StatusUnauthorized || !strings.Contains(string(raw), `"unauthorized"`) {
				t.Errorf("got %d %s, want 401 unauthorized", st, raw)
			}
		})
	}
	t.Run("reused jti", func(t *testing.T) {
		tok := agentJWT(t, secret, now, nil)
		if st, _, _ := h.agentDo("DELETE", path, tok, nil); st != http.StatusNoContent {
			t.Fatalf("first use: %d", st)
		}
		if st, _, _ := h.agentDo("DELETE", path, tok, nil); st != http.StatusUnauthorized {
			t.Errorf("second use: %d, want 401", st)
		}
	})
	t.Run("aud as a list", func(t *testing.T) {
		tok := agentJWT(t, secret, now, func(c jwt.MapClaims) { c["aud"] = []string{"cohost-agent"} })
		if st, _, _ := h.agentDo("DELETE", path, tok, nil); st != http.StatusNoContent {
			t.Errorf("status %d, want 204", st)
		}
	})
}

func TestAgentSessionChecks(t *testing.T) {
	h := newHarness(t, Config{}, true)
	cfg := h.sim.Config()
	m, _ := h.sim.CreateMeeting(MeetingSpec{HostID: h.host.ID})
	other, _ := h.sim.CreateUser(h.acct.ID, UserSpec{Email: "other@example.com"})
	otherZAK, _ := h.sim.IssueZAK(other.ID)
	now := h.now()
	sig := func(mod func(jwt.MapClaims)) string {
		return sdkSignature(t, cfg.SDKKey, cfg.SDKSecret, m.ID, now, mod)
	}
	tests := []struct {
		name   string
		edit   func(*api.AgentSessionRequest)
		meetID int64
		status int
		code   api.AgentErrorCode
	}{
		{"signature with wrong secret", func(r *api.AgentSessionRequest) {
			r.Signature = sdkSignature(t, cfg.SDKKey, "wrong", m.ID, now, nil)
		}, 0, 403, api.AgentErrInvalidSignature},
		{"signature with wrong key", func(r *api.AgentSessionRequest) {
			r.Signature = sig(func(c jwt.MapClaims) { c["appKey"], c["sdkKey"] = "k", "k" })
		}, 0, 403, api.AgentErrInvalidSignature},
		{"signature without sdkKey", func(r *api.AgentSessionRequest) {
			r.Signature = sig(func(c jwt.MapClaims) { delete(c, "sdkKey") })
		}, 0, 403, api.AgentErrInvalidSignature},
		{"signature for another meeting", func(r *api.AgentSessionRequest) {
			r.Signature = sig(func(c jwt.MapClaims) { c["mn"] = "1" })
		}, 0, 403, api.AgentErrInvalidSignature},
		{"signature with role 0", func(r *api.AgentSessionRequest) {
			r.Signature = sig(func(c jwt.MapClaims) { c["role"] = 0 })
		}, 0, 403, api.AgentErrInvalidSignature},
		{"signature living 20 min", func(r *api.AgentSessionRequest) {
			r.Signature = sig(func(c jwt.MapClaims) {
				e := c["iat"].(int64) + 1200
				c["exp"], c["tokenExp"] = e, e
			})
		}, 0, 403, api.AgentErrInvalidSignature},
		{"signature living 49 h", func(r *api.AgentSessionRequest) {
			r.Signature = sig(func(c jwt.MapClaims) {
				e := c["iat"].(int64) + 49*3600
				c["exp"], c["tokenExp"] = e, e
			})
		}, 0, 403, api.AgentErrInvalidSignature},
		{"signature without tokenExp", func(r *api.AgentSessionRequest) {
			r.Signature = sig(func(c jwt.MapClaims) { delete(c, "tokenExp") })
		}, 0, 403, api.AgentErrInvalidSignature},
		{"expired signature", func(r *api.AgentSessionRequest) {
			r.Signature = sdkSignature(t, cfg.SDKKey, cfg.SDKSecret, m.ID, now.Add(-3*time.Hour), nil)
		}, 0, 403, api.AgentErrInvalidSignature},
		{"ZAK of another user", func(r *api.AgentSessionRequest) { r.ZAK = otherZAK }, 0, 403, api.AgentErrInvalidZAK},
		{"unknown ZAK", func(r *api.AgentSessionRequest) { r.ZAK = "zszak_forged" }, 0, 403, api.AgentErrInvalidZAK},
		{"wrong password", func(r *api.AgentSessionRequest) { r.Password = "nope" }, 0, 403, api.AgentErrWrongPassword},
		{"meeting number differs from path", func(r *api.AgentSessionRequest) { r.MeetingNumber = "1" }, 0, 400, api.AgentErrBadRequest},
		{"no ZAK", func(r *api.AgentSessionRequest) { r.ZAK = "" }, 0, 400, api.AgentErrBadRequest},
		{"unknown meeting", func(r *api.AgentSessionRequest) { r.MeetingNumber = "99" }, 99, 404, api.AgentErrMeetingNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := h.sessionRequest(m)
			tt.edit(&req)
			id := m.ID
			if tt.meetID != 0 {
				id = tt.meetID
			}
			st, _, raw := h.agentDo("PUT", api.AgentSessionPath(id), h.bearer(), req)
			var e api.AgentError
			_ = json.Unmarshal(raw, &e)
			if st != tt.status || e.Error != tt.code {
				t.Errorf("got %d %s, want %d %s", st, raw, tt.status, tt.code)
			}
		})
	}
	t.Run("expired ZAK", func(t *testing.T) {
		req := h.sessionRequest(m)
		h.clock.Advance(2 * time.Hour)
		req.Signature = sdkSignature(t, cfg.SDKKey, cfg.SDKSecret, m.ID, h.now(), nil)
		st, _, raw := h.agentDo("PUT", api.AgentSessionPath(m.ID), h.bearer(), req)
		if st != 403 || !strings.Contains(string(raw), "invalid_zak") {
			t.Errorf("got %d %s", st, raw)
		}
	})
	for _, body := range []string{"", "{", `{"meeting_number": 5}`} {
		st, _, _ := h.agentDo("PUT", api.AgentSessionPath(m.ID), h.bearer(), body)
		if st != 400 {
			t.Errorf("body %q: %d, want 400", body, st)
		}
	}
	if st, _, _ := h.agentDo("PUT", "/v1/meetings/abc/session", h.bearer(), h.sessionRequest(m)); st != 400 {
		t.Errorf("non-numeric meeting id: %d, want 400", st)
	}
	if n := len(h.sim.Ledger().Sessions); n != 0 {
		t.Errorf("%d sessions opened by refused requests", n)
	}
}

func TestAgentSessionLifecycle(t *testing.T) {
	h := newHarness(t, Config{Agent: AgentConfig{JoinDelay: 2 * time.Second}}, true)
	m, _ := h.sim.CreateMeeting(MeetingSpec{HostID: h.host.ID}) // not started: the agent starts it
	if st := h.openSession(m); st != http.StatusAccepted {
		t.Fatalf("first PUT: %d, want 202", st)
	}
	if st := h.openSession(m); st != http.StatusAccepted {
		t.Fatalf("second PUT while joining: %d, want 202", st)
	}
	if st, _, e := h.promote(m, "anyone"); st != 404 || e.Error != api.AgentErrNoSession {
		t.Errorf("co-host call while joining: %d %s", st, e.Error)
	}
	h.clock.Advance(2 * time.Second)
	if _, err := h.sim.WaitFor(waitCtx(t), func(l Ledger) bool {
		return len(l.Sessions) == 1 && !l.Sessions[0].JoinedAt.IsZero()
	}); err != nil {
		t.Fatal(err)
	}
	if st := h.openSession(m); st != http.StatusOK {
		t.Errorf("PUT when joined: %d, want 200", st)
	}
	got, _ := h.sim.Meeting(m.ID)
	if got.Status != MeetingStarted {
		t.Errorf("meeting %s, want started by the agent", got.Status)
	}
	var agentP Participant
	for _, p := range got.Participants {
		if p.Agent {
			agentP = p
		}
	}
	if agentP.ZoomUserID != h.host.ID || agentP.Role != RoleHost || !agentP.Present || agentP.Name != "cohost" {
		t.Errorf("agent participant %+v", agentP)
	}
	if n := len(h.sim.Ledger().Deliveries("meeting.started")); n != 1 {
		t.Errorf("meeting.started sent %d times", n)
	}
	for range 2 {
		if st, _, _ := h.agentDo("DELETE", api.AgentSessionPath(m.ID), h.bearer(), nil); st != http.StatusNoContent {
			t.Errorf("DELETE: %d, want 204", st)
		}
	}
	if st, _, e := h.promote(m, "anyone"); st != 404 || e.Error != api.AgentErrNoSession {
		t.Errorf("co-host call after DELETE: %d %s", st, e.Error)
	}
	l := h.sim.Ledger()
	if l.Sessions[0].CloseReason != "deleted" {
		t.Errorf("session %+v", l.Sessions[0])
	}
	left := l.Deliveries("meeting.participant_left")
	if len(left) != 1 || left[0].ParticipantKey != agentP.Key() {
		t.Errorf("the agent's leave was not reported: %+v", left)
	}
}

func TestAgentPromotion(t *testing.T) {
	h := newHarness(t, Config{Agent: AgentConfig{VisibilityDelay: 3 * time.Second}}, true)
	m := h.startedMeeting()
	if st := h.openSession(m); st != http.StatusCreated {
		t.Fatalf("open: %d, want 201", st)
	}
	guest, _ := h.sim.Join(m.ID, JoinSpec{Name: "Gia", Email: "gia@example.org"})
	phone, _ := h.sim.Join(m.ID, JoinSpec{PhoneNumber: "+15550001111"})
	host, _ := h.sim.Join(m.ID, JoinSpec{ZoomUserID: h.host.ID})
	if st, _, e := h.promote(m, guest.Key()); st != 409 || e.Error != api.AgentErrParticipantNotFound {
		t.Fatalf("before the visibility delay: %d %s, want 409", st, e.Error)
	}
	h.clock.Advance(3 * time.Second)
	st, _, raw := h.agentDo("PUT", api.AgentCoHostPath(m.ID, guest.Key()), h.bearer(), api.AgentCoHostRequest{
		ParticipantUUID: guest.ParticipantUUID, UserID: guest.UserID, UserName: guest.Name, Email: guest.Email,
	})
	var ok api.AgentCoHostResponse
	_ = json.Unmarshal(raw, &ok)
	if st != 200 || ok.Role != api.AgentRoleCoHost || ok.ParticipantKey != guest.Key() {
		t.Fatalf("promote: %d %s", st, raw)
	}
	pr, err := h.sim.WaitForCoHost(waitCtx(t), m.ID, guest.Key())
	if err != nil {
		t.Fatal(err)
	}
	if !pr.JoinedAt.Equal(t0) || !pr.PromotedAt.Equal(t0.Add(3*time.Second)) || pr.TimeToCoHost() != 3*time.Second ||
		pr.RoleChangedSentAt.IsZero() || pr.RoleChangedRequestID == "" {
		t.Errorf("promotion %+v", pr)
	}
	// Idempotent: a second call is 200, counted as a duplicate, and Zoom sends nothing new.
	if st, _, _ := h.promote(m, guest.Key()); st != 200 {
		t.Errorf("second promote: %d", st)
	}
	if st, _, _ := h.promote(m, guest.UserID); st != 200 {
		t.Errorf("promote by user_id: %d", st)
	}
	rc := h.sim.Ledger().Deliveries("meeting.participant_role_changed")
	if len(rc) != 1 {
		t.Fatalf("role_changed sent %d times, want once", len(rc))
	}
	var env struct {
		Payload struct {
			Object struct {
				Participant map[string]any `json:"participant"`
			} `json:"object"`
		} `json:"payload"`
	}
	_ = json.Unmarshal(rc[0].Body, &env)
	pp := env.Payload.Object.Participant
	if pp["old_role"] != "attendee" || pp["new_role"] != "co-host" || pp["participant_uuid"] != guest.ParticipantUUID ||
		pp["user_id"] != guest.UserID || pp["date_time"] == "" {
		t.Errorf("role_changed participant %v", pp)
	}
	if st, _, e := h.promote(m, phone.Key()); st != 422 || e.Error != api.AgentErrCannotBeCoHost {
		t.Errorf("phone-only: %d %s", st, e.Error)
	}
	if st, _, _ := h.promote(m, host.Key()); st != 200 {
		t.Errorf("host: %d", st)
	}
	if st, _, e := h.promote(m, "no-such-participant"); st != 409 || e.Error != api.AgentErrParticipantNotFound {
		t.Errorf("unknown participant: %d %s", st, e.Error)
	}
	_ = h.sim.Leave(m.ID, phone.Key())
	if st, _, _ := h.promote(m, phone.Key()); st != 409 {
		t.Errorf("participant who left: %d, want 409", st)
	}
	c := h.sim.Counters()
	if c.Promotions != 1 || c.DuplicatePromotions != 3 || c.RoleChangedSent != 1 {
		t.Errorf("counters %+v", c)
	}
	if p, _ := h.sim.Participant(m.ID, guest.Key()); p.Role != RoleCoHost {
		t.Errorf("role %q", p.Role)
	}
}

func TestAgentRoleChangedDelay(t *testing.T) {
	h := newHarness(t, Config{Agent: AgentConfig{RoleChangedDelay: 500 * time.Millisecond}}, true)
	m := h.startedMeeting()
	h.openSession(m)
	g, _ := h.sim.Join(m.ID, JoinSpec{})
	if st, _, _ := h.promote(m, g.Key()); st != 200 {
		t.Fatalf("promote: %d", st)
	}
	if pr, _ := h.sim.Ledger().Promotion(m.ID, g.Key()); !pr.RoleChangedSentAt.IsZero() {
		t.Fatal("role_changed sent before the delay")
	}
	h.clock.Advance(500 * time.Millisecond)
	pr, err := h.sim.WaitForCoHost(waitCtx(t), m.ID, g.Key())
	if err != nil {
		t.Fatal(err)
	}
	if d := pr.RoleChangedSentAt.Sub(pr.PromotedAt); d != 500*time.Millisecond {
		t.Errorf("role_changed %v after the promotion", d)
	}
}

func TestAgentRateLimit(t *testing.T) {
	h := newHarness(t, Config{Agent: AgentConfig{PromotionsPerSecond: 1}}, true)
	m := h.startedMeeting()
	h.openSession(m)
	ps, _ := h.sim.JoinGuests(m.ID, 2)
	if st, _, _ := h.promote(m, ps[0].Key()); st != 200 {
		t.Fatalf("first: %d", st)
	}
	st, hdr, e := h.promote(m, ps[1].Key())
	if st != 429 || e.Error != api.AgentErrRateLimited || hdr.Get("Retry-After") != "1" {
		t.Errorf("second in the same second: %d %s Retry-After %q", st, e.Error, hdr.Get("Retry-After"))
	}
	h.clock.Advance(time.Second)
	if st, _, _ := h.promote(m, ps[1].Key()); st != 200 {
		t.Errorf("next second: %d", st)
	}
}

func TestAgentRestartDropsSessions(t *testing.T) {
	h := newHarness(t, Config{}, true)
	m := h.startedMeeting()
	h.openSession(m)
	g, _ := h.sim.Join(m.ID, JoinSpec{})
	h.sim.RestartAgent()
	if st, _, e := h.promote(m, g.Key()); st != 404 || e.Error != api.AgentErrNoSession {
		t.Errorf("after restart: %d %s, want 404 no_session", st, e.Error)
	}
	if len(h.sim.AgentSessions()) != 0 {
		t.Errorf("sessions %v", h.sim.AgentSessions())
	}
	if st := h.openSession(m); st != http.StatusCreated {
		t.Errorf("reopen: %d, want 201", st)
	}
	if st, _, _ := h.promote(m, g.Key()); st != 200 {
		t.Errorf("after reopening: %d", st)
	}
	l := h.sim.Ledger()
	if len(l.Sessions) != 2 || l.Sessions[0].CloseReason != "restart" {
		t.Errorf("sessions %+v", l.Sessions)
	}
}

func TestAgentFaults(t *testing.T) {
	h := newHarness(t, Config{}, true)
	h.sim.SetFaults(Faults{Agent5xxRate: 1})
	st, _, raw := h.agentDo("DELETE", api.AgentSessionPath(1), h.bearer(), nil)
	if st != 500 || !strings.Contains(string(raw), `"internal"`) {
		t.Errorf("5xx knob: %d %s", st, raw)
	}
	h.sim.SetFaults(Faults{AgentDown: true})
	req, _ := http.NewRequest("DELETE", h.srv.URL+"/agent"+api.AgentSessionPath(1), nil)
	req.Header.Set("Authorization", "Bearer "+h.bearer())
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("agent down answered %d", resp.StatusCode)
	}
	h.sim.SetFaults(Faults{})
	if st, _, _ := h.agentDo("DELETE", api.AgentSessionPath(1), h.bearer(), nil); st != 204 {
		t.Errorf("after the faults: %d", st)
	}
}

func TestAgentServesContract(t *testing.T) {
	h := newHarness(t, Config{}, false)
	st, _, raw := h.do("GET", "/agent/openapi.yaml", "", nil)
	if st != 200 || !strings.HasPrefix(string(raw), "openapi: 3.1") {
		t.Errorf("openapi.yaml: %d %.40s", st, raw)
	}
}

// The agent alone, on its own handler rooted at "/".
func TestAgentHandlerAlone(t *testing.T) {
	h := newHarness(t, Config{}, false)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("DELETE", api.AgentSessionPath(5), nil)
	req.Header.Set("Authorization", "Bearer "+h.bearer())
	h.sim.AgentHandler().ServeHTTP(rec, req)
	if rec.Code != 204 {
		t.Errorf("status %d", rec.Code)
	}
}
