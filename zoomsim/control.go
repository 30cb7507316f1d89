package zoomsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
)

// The control API (/_sim/…) lets cmd/zoomsim's users and out-of-process tests script the simulator
// with JSON. Errors are {"error": "…"} with 400 (bad input), 404 (unknown thing) or 405.
//
//	GET    /_sim/                                   summary
//	GET    /_sim/accounts                           accounts
//	POST   /_sim/accounts                           AccountSpec → Account (201)
//	GET    /_sim/accounts/{accountId}/users         users
//	POST   /_sim/accounts/{accountId}/users         UserSpec → User (201)
//	PUT    /_sim/accounts/{accountId}/locks         {"path":"in_meeting.annotation","value":false} → 204
//	DELETE /_sim/accounts/{accountId}/locks/{path}  → 204
//	POST   /_sim/accounts/{accountId}/expire-tokens → 204 (forced token expiry)
//	POST   /_sim/accounts/{accountId}/deauthorize   → 204 (app_deauthorized)
//	GET    /_sim/users/{userId}/settings            effective settings
//	GET    /_sim/meetings                           meetings
//	POST   /_sim/meetings                           MeetingSpec → Meeting (201)
//	GET    /_sim/meetings/{meetingId}               Meeting with participants and agent_session
//	POST   /_sim/meetings/{meetingId}/start         → Meeting
//	POST   /_sim/meetings/{meetingId}/end           → 204
//	DELETE /_sim/meetings/{meetingId}               → 204
//	POST   /_sim/meetings/{meetingId}/participants  {"participants":[JoinSpec…],"guests":N} → [Participant] (201)
//	DELETE /_sim/meetings/{meetingId}/participants/{key}         leave → 204
//	POST   /_sim/meetings/{meetingId}/participants/{key}/rejoin  → Participant (201)
//	GET|PUT /_sim/faults                            fault knobs (PUT merges the fields given)
//	GET|PUT /_sim/rate-limits                       RateLimits
//	PUT    /_sim/webhook                            {"url":…,"secret":…} → 204
//	POST   /_sim/webhook/validate                   URL validation → URLValidation
//	POST   /_sim/meetings/{meetingId}/participants/{key}/admit   from the waiting room → Participant
//	POST   /_sim/meetings/{meetingId}/participants/{key}/cohost  the host makes them co-host by hand → Participant
//	PUT    /_sim/meetings/{meetingId}/participants/{key}/sdk-reject {"count":N,"error":SDKError} → 204
//	GET    /_sim/meetings/{meetingId}/sdk           SDK sessions, calls, max makeCoHost in flight
//	GET|PUT /_sim/websdk                            simulated Web SDK knobs (PUT merges the fields given)
//	POST   /_sim/agent/restart                      → 204
//	GET    /_sim/ledger                             Ledger
//	GET    /_sim/counters                           Counters
//	GET    /_sim/ui                                 the people's page (ui.go): add joiners, admit, co-host by hand
func (s *Sim) controlRoutes(r chi.Router) {
	r.Get("/", s.ctlSummary)
	r.Get("/accounts", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Accounts()) })
	r.Post("/accounts", s.ctlCreateAccount)
	r.Get("/accounts/{accountId}/users", s.ctlUsers)
	r.Post("/accounts/{accountId}/users", s.ctlCreateUser)
	r.Put("/accounts/{accountId}/locks", s.ctlLock)
	r.Delete("/accounts/{accountId}/locks/{path}", s.ctlUnlock)
	r.Post("/accounts/{accountId}/expire-tokens", s.ctlAccountAction(s.ExpireTokens))
	r.Post("/accounts/{accountId}/deauthorize", s.ctlAccountAction(s.Deauthorize))
	r.Get("/users/{userId}/settings", s.ctlUserSettings)
	r.Get("/meetings", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Meetings()) })
	r.Post("/meetings", s.ctlCreateMeeting)
	r.Get("/meetings/{meetingId}", s.ctlMeeting)
	r.Post("/meetings/{meetingId}/start", s.ctlStart)
	r.Post("/meetings/{meetingId}/end", s.ctlMeetingAction(s.EndMeeting))
	r.Delete("/meetings/{meetingId}", s.ctlMeetingAction(s.DeleteMeeting))
	r.Post("/meetings/{meetingId}/participants", s.ctlJoin)
	r.Delete("/meetings/{meetingId}/participants/{key}", s.ctlLeave)
	r.Post("/meetings/{meetingId}/participants/{key}/rejoin", s.ctlRejoin)
	r.Post("/meetings/{meetingId}/participants/{key}/admit", s.ctlAdmit)
	r.Post("/meetings/{meetingId}/participants/{key}/cohost", s.ctlAssignCoHost)
	r.Route("/ui", s.uiRoutes)
	r.Put("/meetings/{meetingId}/participants/{key}/sdk-reject", s.ctlSDKReject)
	r.Get("/meetings/{meetingId}/sdk", s.ctlMeetingSDK)
	r.Get("/websdk", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, webSDKView(s.WebSDK())) })
	r.Put("/websdk", s.ctlSetWebSDK)
	r.Get("/faults", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, faultsView(s.Faults())) })
	r.Put("/faults", s.ctlSetFaults)
	r.Get("/rate-limits", s.ctlRateLimits)
	r.Put("/rate-limits", s.ctlSetRateLimits)
	r.Put("/webhook", s.ctlSetWebhook)
	r.Post("/webhook/validate", s.ctlValidate)
	r.Post("/agent/restart", func(w http.ResponseWriter, _ *http.Request) {
		s.RestartAgent()
		w.WriteHeader(http.StatusNoContent)
	})
	r.Get("/ledger", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Ledger()) })
	r.Get("/counters", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Counters()) })
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		ctlError(w, http.StatusNotFound, "no such control route")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		ctlError(w, http.StatusMethodNotAllowed, "method not allowed")
	})
}

func ctlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// ctlFail maps the Go API's errors to statuses.
func ctlFail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		ctlError(w, http.StatusNotFound, err.Error())
	default:
		ctlError(w, http.StatusBadRequest, err.Error())
	}
}

// decodeStrict reads one JSON object, refusing unknown fields and trailing data.
func decodeStrict(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: empty body", ErrInvalid)
		}
		return fmt.Errorf("%w: body: %v", ErrInvalid, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: body: trailing data", ErrInvalid)
	}
	return nil
}

func meetingParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "meetingId"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: meeting id %q", ErrInvalid, chi.URLParam(r, "meetingId"))
	}
	return id, nil
}

func (s *Sim) ctlSummary(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	sum := map[string]any{
		"accounts":     len(s.accounts),
		"users":        len(s.users),
		"meetings":     len(s.meetings),
		"agent_prefix": s.cfg.AgentPrefix,
		"webhook_url":  s.webhookURL,
		"time_scale":   s.cfg.TimeScale,
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, sum)
}

func (s *Sim) ctlCreateAccount(w http.ResponseWriter, r *http.Request) {
	var spec AccountSpec
	if err := decodeStrict(r, &spec); err != nil {
		ctlFail(w, err)
		return
	}
	a, err := s.CreateAccount(spec)
	if err != nil {
		ctlFail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (s *Sim) ctlUsers(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "accountId")
	if _, err := s.Account(id); err != nil {
		ctlFail(w, err)
		return
	}
	users := s.Users(id)
	if users == nil {
		users = []User{}
	}
	writeJSON(w, http.StatusOK, users)
}

func (s *Sim) ctlCreateUser(w http.ResponseWriter, r *http.Request) {
	var spec UserSpec
	if err := decodeStrict(r, &spec); err != nil {
		ctlFail(w, err)
		return
	}
	u, err := s.CreateUser(chi.URLParam(r, "accountId"), spec)
	if err != nil {
		ctlFail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Sim) ctlLock(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	if err := decodeStrict(r, &body); err != nil {
		ctlFail(w, err)
		return
	}
	if body.Value == nil {
		ctlError(w, http.StatusBadRequest, "value is required")
		return
	}
	if err := s.LockSetting(chi.URLParam(r, "accountId"), body.Path, body.Value); err != nil {
		ctlFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sim) ctlUnlock(w http.ResponseWriter, r *http.Request) {
	if err := s.UnlockSetting(chi.URLParam(r, "accountId"), chi.URLParam(r, "path")); err != nil {
		ctlFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sim) ctlAccountAction(f func(string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := f(chi.URLParam(r, "accountId")); err != nil {
			ctlFail(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Sim) ctlUserSettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.UserSettings(chi.URLParam(r, "userId"))
	if err != nil {
		ctlFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Sim) ctlCreateMeeting(w http.ResponseWriter, r *http.Request) {
	var spec MeetingSpec
	if err := decodeStrict(r, &spec); err != nil {
		ctlFail(w, err)
		return
	}
	if spec.HostID == "" {
		ctlError(w, http.StatusBadRequest, "host_id is required")
		return
	}
	m, err := s.CreateMeeting(spec)
	if err != nil {
		ctlFail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, m)
}

func (s *Sim) ctlMeeting(w http.ResponseWriter, r *http.Request) {
	id, err := meetingParam(r)
	if err != nil {
		ctlFail(w, err)
		return
	}
	m, err := s.Meeting(id)
	if err != nil {
		ctlFail(w, err)
		return
	}
	s.mu.Lock()
	state := s.agentSessionState(id)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		Meeting
		AgentSession string `json:"agent_session"`
	}{m, state})
}

func (s *Sim) ctlStart(w http.ResponseWriter, r *http.Request) {
	id, err := meetingParam(r)
	if err != nil {
		ctlFail(w, err)
		return
	}
	m, err := s.StartMeeting(id)
	if err != nil {
		ctlFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Sim) ctlMeetingAction(f func(int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := meetingParam(r)
		if err == nil {
			err = f(id)
		}
		if err != nil {
			ctlFail(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// maxJoinBatch bounds one control-API join request.
const maxJoinBatch = 10000

func (s *Sim) ctlJoin(w http.ResponseWriter, r *http.Request) {
	id, err := meetingParam(r)
	if err != nil {
		ctlFail(w, err)
		return
	}
	var body struct {
		Participants []JoinSpec `json:"participants"`
		Guests       int        `json:"guests"`
	}
	if err := decodeStrict(r, &body); err != nil {
		ctlFail(w, err)
		return
	}
	if body.Guests < 0 || len(body.Participants)+body.Guests == 0 || len(body.Participants)+body.Guests > maxJoinBatch {
		ctlError(w, http.StatusBadRequest, fmt.Sprintf("give 1 to %d participants and guests", maxJoinBatch))
		return
	}
	specs := append(body.Participants, make([]JoinSpec, body.Guests)...)
	ps, err := s.JoinMany(id, specs)
	if err != nil {
		ctlFail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, ps)
}

func (s *Sim) ctlLeave(w http.ResponseWriter, r *http.Request) {
	id, err := meetingParam(r)
	if err == nil {
		err = s.Leave(id, chi.URLParam(r, "key"))
	}
	if err != nil {
		ctlFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sim) ctlRejoin(w http.ResponseWriter, r *http.Request) {
	id, err := meetingParam(r)
	if err != nil {
		ctlFail(w, err)
		return
	}
	p, err := s.Rejoin(id, chi.URLParam(r, "key"))
	if err != nil {
		ctlFail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

// faultsJSON is Faults on the wire: durations as Go duration strings ("250ms"); PUT merges the
// fields present.
type faultsJSON struct {
	REST5xxRate          *float64 `json:"rest_5xx_rate,omitempty"`
	RESTLatency          *string  `json:"rest_latency,omitempty"`
	Burst429             *int     `json:"burst_429,omitempty"`
	Agent5xxRate         *float64 `json:"agent_5xx_rate,omitempty"`
	AgentDown            *bool    `json:"agent_down,omitempty"`
	WebhookDuplicateRate *float64 `json:"webhook_duplicate_rate,omitempty"`
	WebhookReorderWindow *string  `json:"webhook_reorder_window,omitempty"`
}

func faultsView(f Faults) faultsJSON {
	lat, win := f.RESTLatency.String(), f.WebhookReorderWindow.String()
	return faultsJSON{
		REST5xxRate: &f.REST5xxRate, RESTLatency: &lat, Burst429: &f.Burst429, Agent5xxRate: &f.Agent5xxRate,
		AgentDown: &f.AgentDown, WebhookDuplicateRate: &f.WebhookDuplicateRate, WebhookReorderWindow: &win,
	}
}

// apply merges the fields present into f.
func (j faultsJSON) apply(f Faults) (Faults, error) {
	rate := func(name string, p *float64, dst *float64) error {
		if p == nil {
			return nil
		}
		if *p < 0 || *p > 1 {
			return fmt.Errorf("%w: %s %v, want 0..1", ErrInvalid, name, *p)
		}
		*dst = *p
		return nil
	}
	dur := func(name string, p *string, dst *time.Duration) error {
		if p == nil {
			return nil
		}
		d, err := time.ParseDuration(*p)
		if err != nil || d < 0 {
			return fmt.Errorf("%w: %s %q, want a duration like 250ms", ErrInvalid, name, *p)
		}
		*dst = d
		return nil
	}
	for _, err := range []error{
		rate("rest_5xx_rate", j.REST5xxRate, &f.REST5xxRate),
		rate("agent_5xx_rate", j.Agent5xxRate, &f.Agent5xxRate),
		rate("webhook_duplicate_rate", j.WebhookDuplicateRate, &f.WebhookDuplicateRate),
		dur("rest_latency", j.RESTLatency, &f.RESTLatency),
		dur("webhook_reorder_window", j.WebhookReorderWindow, &f.WebhookReorderWindow),
	} {
		if err != nil {
			return f, err
		}
	}
	if j.Burst429 != nil {
		if *j.Burst429 < 0 {
			return f, fmt.Errorf("%w: burst_429 %d", ErrInvalid, *j.Burst429)
		}
		f.Burst429 = *j.Burst429
	}
	if j.AgentDown != nil {
		f.AgentDown = *j.AgentDown
	}
	return f, nil
}

func (s *Sim) ctlSetFaults(w http.ResponseWriter, r *http.Request) {
	var body faultsJSON
	if err := decodeStrict(r, &body); err != nil {
		ctlFail(w, err)
		return
	}
	s.mu.Lock()
	f, err := body.apply(s.faults)
	if err == nil {
		s.faults = f
	}
	s.mu.Unlock()
	if err != nil {
		ctlFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, faultsView(f))
}

func (s *Sim) ctlRateLimits(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	l := s.limits
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, l)
}

func (s *Sim) ctlSetRateLimits(w http.ResponseWriter, r *http.Request) {
	var l RateLimits
	if err := decodeStrict(r, &l); err != nil {
		ctlFail(w, err)
		return
	}
	for _, x := range []Limit{l.Light, l.Medium, l.Heavy} {
		if x.PerSecond < 0 || x.PerDay < 0 {
			ctlError(w, http.StatusBadRequest, "limits must not be negative")
			return
		}
	}
	s.SetRateLimits(l)
	writeJSON(w, http.StatusOK, l)
}

func (s *Sim) ctlSetWebhook(w http.ResponseWriter, r *http.Request) {
	var body struct {
		URL    string `json:"url"`
		Secret string `json:"secret"`
	}
	if err := decodeStrict(r, &body); err != nil {
		ctlFail(w, err)
		return
	}
	s.SetWebhook(body.URL, body.Secret)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sim) ctlValidate(w http.ResponseWriter, r *http.Request) {
	v, err := s.ValidateURL(r.Context())
	if err != nil {
		ctlFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Sim) ctlAdmit(w http.ResponseWriter, r *http.Request) { s.ctlParticipantAction(w, r, s.Admit) }

func (s *Sim) ctlAssignCoHost(w http.ResponseWriter, r *http.Request) {
	s.ctlParticipantAction(w, r, s.AssignCoHost)
}

// ctlParticipantAction runs an action on the route's participant and answers it.
func (s *Sim) ctlParticipantAction(w http.ResponseWriter, r *http.Request, act func(int64, string) (Participant, error)) {
	id, err := meetingParam(r)
	if err != nil {
		ctlFail(w, err)
		return
	}
	p, err := act(id, chi.URLParam(r, "key"))
	if err != nil {
		ctlFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Sim) ctlSDKReject(w http.ResponseWriter, r *http.Request) {
	id, err := meetingParam(r)
	if err != nil {
		ctlFail(w, err)
		return
	}
	var body struct {
		Count int      `json:"count"`
		Error SDKError `json:"error"`
	}
	if err := decodeStrict(r, &body); err != nil {
		ctlFail(w, err)
		return
	}
	if err := s.RejectMakeCoHost(id, chi.URLParam(r, "key"), body.Count, body.Error); err != nil {
		ctlFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sim) ctlMeetingSDK(w http.ResponseWriter, r *http.Request) {
	id, err := meetingParam(r)
	if err == nil {
		_, err = s.Meeting(id)
	}
	if err != nil {
		ctlFail(w, err)
		return
	}
	l := s.Ledger()
	sessions := []SDKSession{}
	for _, ss := range l.SDKSessions {
		if ss.MeetingID == id {
			sessions = append(sessions, ss)
		}
	}
	calls := l.SDKCallsIn(id, "")
	if calls == nil {
		calls = []SDKCall{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"sessions": sessions, "calls": calls, "max_makecohost_in_flight": l.MaxMakeCoHostInFlight(id),
	})
}

// webSDKJSON is WebSDKConfig on the wire: durations as Go duration strings; PUT merges the fields
// present.
type webSDKJSON struct {
	RosterDelay       *string `json:"roster_delay,omitempty"`
	RoleChangeDelay   *string `json:"role_change_delay,omitempty"`
	MakeCoHostTimeout *string `json:"makecohost_timeout,omitempty"`
	TimeOutMakeCoHost *bool   `json:"timeout_makecohost,omitempty"`
	PageClosedGrace   *string `json:"page_closed_grace,omitempty"`
	WaitingRoom       *bool   `json:"waiting_room,omitempty"`
	Heartbeat         *string `json:"heartbeat,omitempty"`
}

func webSDKView(c WebSDKConfig) webSDKJSON {
	str := func(d time.Duration) *string { v := d.String(); return &v }
	return webSDKJSON{
		RosterDelay: str(c.RosterDelay), RoleChangeDelay: str(c.RoleChangeDelay), MakeCoHostTimeout: str(c.MakeCoHostTimeout),
		TimeOutMakeCoHost: &c.TimeOutMakeCoHost, PageClosedGrace: str(c.PageClosedGrace), WaitingRoom: &c.WaitingRoom,
		Heartbeat: str(c.Heartbeat),
	}
}

// apply merges the fields present into c. Only roster_delay may be negative.
func (j webSDKJSON) apply(c WebSDKConfig) (WebSDKConfig, error) {
	dur := func(name string, p *string, dst *time.Duration, negative bool) error {
		if p == nil {
			return nil
		}
		d, err := time.ParseDuration(*p)
		if err != nil || (d < 0 && !negative) {
			return fmt.Errorf("%w: %s %q, want a duration like 250ms", ErrInvalid, name, *p)
		}
		*dst = d
		return nil
	}
	for _, err := range []error{
		dur("roster_delay", j.RosterDelay, &c.RosterDelay, true),
		dur("role_change_delay", j.RoleChangeDelay, &c.RoleChangeDelay, false),
		dur("makecohost_timeout", j.MakeCoHostTimeout, &c.MakeCoHostTimeout, false),
		dur("page_closed_grace", j.PageClosedGrace, &c.PageClosedGrace, false),
		dur("heartbeat", j.Heartbeat, &c.Heartbeat, false),
	} {
		if err != nil {
			return c, err
		}
	}
	if j.TimeOutMakeCoHost != nil {
		c.TimeOutMakeCoHost = *j.TimeOutMakeCoHost
	}
	if j.WaitingRoom != nil {
		c.WaitingRoom = *j.WaitingRoom
	}
	return c, nil
}

func (s *Sim) ctlSetWebSDK(w http.ResponseWriter, r *http.Request) {
	var body webSDKJSON
	if err := decodeStrict(r, &body); err != nil {
		ctlFail(w, err)
		return
	}
	c, err := body.apply(s.WebSDK())
	if err != nil {
		ctlFail(w, err)
		return
	}
	s.SetWebSDK(c)
	writeJSON(w, http.StatusOK, webSDKView(s.WebSDK()))
}
