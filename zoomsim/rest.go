package zoomsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
)

// Zoom REST error codes the simulator answers with (https://developers.zoom.us/docs/api/errors/).
const (
	CodeInvalidAccessToken = 124  // 401 "Invalid access token."
	CodeValidation         = 300  // 400 invalid body or field
	CodeUserNotFound       = 1001 // 404 "User does not exist: {userId}."
	CodeMeetingNotFound    = 3001 // 404 "Meeting {meetingId} is not found or has expired."
	CodeRateLimited        = 429  // 429
	CodeScopeMissing       = 4711 // 400 "Invalid access token, does not contain scopes:[…]"
)

// restResponse is what a REST handler decides under s.mu; the wrapper writes it afterwards.
type restResponse struct {
	status  int
	body    any
	code    int // Zoom error code, for the ledger
	headers map[string]string
}

func zoomErr(status, code int, msg string) restResponse {
	return restResponse{status: status, code: code, body: map[string]any{"code": code, "message": msg}}
}

func validationErr(fields ...string) restResponse {
	var errs []map[string]string
	for _, f := range fields {
		errs = append(errs, map[string]string{"field": f, "message": "Invalid field."})
	}
	return restResponse{status: http.StatusBadRequest, code: CodeValidation, body: map[string]any{
		"code": CodeValidation, "message": "Validation Failed.", "errors": errs,
	}}
}

type restHandler func(r *http.Request, body []byte, tok *accessToken) restResponse

func (s *Sim) restRoutes(r chi.Router) {
	// Labels from Zoom's API reference (https://developers.zoom.us/docs/api/rate-limits/; the qodex copy of
	// the reference for the user settings endpoints: MEDIUM).
	r.Get("/meetings/{meetingId}", s.rest(LabelLight, s.getMeeting))
	r.Patch("/meetings/{meetingId}", s.rest(LabelLight, s.patchMeeting))
	r.Get("/users/{userId}/settings", s.rest(LabelMedium, s.getUserSettings))
	r.Patch("/users/{userId}/settings", s.rest(LabelMedium, s.patchUserSettings))
	r.Get("/users/{userId}/token", s.rest(LabelLight, s.getUserToken))
	r.Get("/users/{userId}/meetings", s.rest(LabelMedium, s.listUserMeetings))
	r.Get("/users/{userId}", s.rest(LabelLight, s.getUser))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		zoomError(w, http.StatusNotFound, 404, "Not Found")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		zoomError(w, http.StatusMethodNotAllowed, 405, "Method Not Allowed")
	})
}

// injectLatency sleeps Faults.RESTLatency (wall time) or until the request is cancelled.
func (s *Sim) injectLatency(r *http.Request) {
	s.mu.Lock()
	d := s.faults.RESTLatency
	s.mu.Unlock()
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// rest wraps a handler with Zoom's common behaviour: latency and 5xx faults, bearer-token check
// (401 code 124), per-account rate limiting by label (429 + headers), and the ledger.
func (s *Sim) rest(label string, h restHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.injectLatency(r)
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			zoomError(w, http.StatusBadRequest, CodeValidation, "Request Body should be a valid JSON object.")
			return
		}
		s.mu.Lock()
		call := APICall{At: s.clock.Now(), Method: r.Method, Path: r.URL.Path, Label: label}
		var resp restResponse
		var rd rateDecision
		tok := s.authenticate(r)
		switch {
		case tok == nil:
			// {"code":124,"message":"Invalid access token."} (devforum 74432).
			resp = zoomErr(http.StatusUnauthorized, CodeInvalidAccessToken, "Invalid access token.")
		case !signInTokenAllows(r, tok):
			call.AccountID = tok.accountID
			resp = zoomErr(http.StatusBadRequest, CodeScopeMissing, "Invalid access token, does not contain scopes:[the scopes of this API; the token has "+SignInScope+"].")
		case s.chance(s.faults.REST5xxRate):
			call.AccountID = tok.accountID
			resp = restResponse{status: http.StatusInternalServerError, body: map[string]any{"code": 500, "message": "Internal Error"}}
		default:
			call.AccountID = tok.accountID
			rd = s.rateLimit(tok.accountID, label)
			if !rd.ok {
				resp = zoomErr(http.StatusTooManyRequests, CodeRateLimited, rd.message())
				call.RateLimitType = rd.kind
			} else {
				resp = h(r, body, tok)
			}
		}
		call.Status, call.Code = resp.status, resp.code
		s.ledger.APICalls = append(s.ledger.APICalls, call)
		s.notify()
		s.mu.Unlock()

		if tok != nil && resp.status != http.StatusInternalServerError {
			rd.writeHeaders(w, label)
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

// meetingFor finds a meeting of the token's account by numeric id or uuid; callers hold s.mu.
func (s *Sim) meetingFor(idParam string, tok *accessToken) (*meeting, restResponse, bool) {
	notFound := zoomErr(http.StatusNotFound, CodeMeetingNotFound,
		fmt.Sprintf("Meeting %s is not found or has expired.", idParam))
	var m *meeting
	if id, err := strconv.ParseInt(idParam, 10, 64); err == nil {
		m = s.meetings[id]
	} else {
		for _, c := range s.meetings {
			if c.UUID == idParam {
				m = c
				break
			}
		}
	}
	// A token only sees its own account: another account's meeting is "not found".
	if m == nil || m.deleted || m.AccountID != tok.accountID {
		return nil, notFound, false
	}
	return m, restResponse{}, true
}

// userFor resolves {userId} ("me", an id or an email) within the token's account; callers hold s.mu.
func (s *Sim) userFor(idParam string, tok *accessToken) (*user, restResponse, bool) {
	var u *user
	if idParam == "me" {
		id := tok.userID
		if id == "" {
			if a := s.accounts[tok.accountID]; a != nil {
				id = a.OwnerID
			}
		}
		u = s.users[id]
	} else {
		u = s.lookupUser(idParam)
	}
	if u == nil || u.AccountID != tok.accountID {
		return nil, zoomErr(http.StatusNotFound, CodeUserNotFound, fmt.Sprintf("User does not exist: %s.", idParam)), false
	}
	return u, restResponse{}, true
}

// getMeeting serves GET /v2/meetings/{meetingId} with the fields of Zoom's meeting object that
// cohost reads (number, password, host_id, start_time) and the usual companions.
func (s *Sim) getMeeting(r *http.Request, _ []byte, tok *accessToken) restResponse {
	m, resp, ok := s.meetingFor(chi.URLParam(r, "meetingId"), tok)
	if !ok {
		return resp
	}
	status := MeetingWaiting
	if m.Status == MeetingStarted {
		status = MeetingStarted
	}
	zak := s.issueZAK(m.HostID, s.cfg.ZAKTTL)
	return restResponse{status: http.StatusOK, body: map[string]any{
		"uuid":               m.UUID,
		"id":                 m.ID,
		"host_id":            m.HostID,
		"host_email":         m.HostEmail,
		"assistant_id":       "",
		"topic":              m.Topic,
		"type":               m.Type,
		"status":             status,
		"start_time":         zoomTime(m.StartTime),
		"duration":           m.Duration,
		"timezone":           m.Timezone,
		"agenda":             m.Agenda,
		"created_at":         zoomTime(m.CreatedAt),
		"start_url":          fmt.Sprintf("https://zoom.us/s/%d?zak=%s", m.ID, zak),
		"join_url":           m.JoinURL,
		"password":           m.Password,
		"h323_password":      m.Password,
		"pstn_password":      m.Password,
		"encrypted_password": m.Password,
		"pre_schedule":       false,
		"settings":           cloneJSONMap(m.Settings),
	}}
}

// patchMeeting serves PATCH /v2/meetings/{meetingId}: 204, meeting.updated, and Zoom's limits on
// meeting writes (100 updates per meeting per 24 h; 100 create/update requests per user per UTC
// day). Zoom answers those with 429 {"code":429,"message":"You have exceeded the daily rate limit
// (100) of Meeting Create/Update API requests …"} and, as reported on the forum (devforum 18928),
// without Retry-After or X-RateLimit-Type.
func (s *Sim) patchMeeting(r *http.Request, body []byte, tok *accessToken) restResponse {
	idParam := chi.URLParam(r, "meetingId")
	if _, err := strconv.ParseInt(idParam, 10, 64); err != nil {
		return zoomErr(http.StatusNotFound, CodeMeetingNotFound, fmt.Sprintf("Meeting %s is not found or has expired.", idParam))
	}
	m, resp, ok := s.meetingFor(idParam, tok)
	if !ok {
		return resp
	}
	var patch map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&patch); err != nil || patch == nil {
		return zoomErr(http.StatusBadRequest, CodeValidation, "Request Body should be a valid JSON object.")
	}
	now := s.clock.Now()
	if lim := s.cfg.MeetingUpdatesPerDay; lim > 0 {
		m.updates = slices.DeleteFunc(m.updates, func(t time.Time) bool { return now.Sub(t) >= 24*time.Hour })
		if len(m.updates) >= lim {
			return zoomErr(http.StatusTooManyRequests, CodeRateLimited, msgMeetingWrites)
		}
	}
	day := now.UTC().Format(time.DateOnly)
	wc := s.userWrites[m.HostID]
	if wc == nil || wc.day != day {
		wc = &dayCount{day: day}
		s.userWrites[m.HostID] = wc
	}
	if lim := s.cfg.UserMeetingWritesPerDay; lim > 0 && wc.n >= lim {
		return zoomErr(http.StatusTooManyRequests, CodeRateLimited, msgMeetingWrites)
	}

	// Validate everything before changing anything.
	var bad []string
	changed, old := map[string]any{}, map[string]any{}
	stringField := func(name string, maxLen int) {
		v, ok := patch[name]
		if !ok {
			return
		}
		sv, isStr := v.(string)
		if !isStr || (maxLen > 0 && len(sv) > maxLen) {
			bad = append(bad, name)
		}
	}
	stringField("topic", 200)
	stringField("agenda", 2000)
	stringField("timezone", 0)
	stringField("password", 10)
	stringField("start_time", 0)
	if v, ok := patch["start_time"].(string); ok {
		if _, err := parseZoomTime(v); err != nil {
			bad = append(bad, "start_time")
		}
	}
	if v, ok := patch["duration"]; ok {
		if f, isNum := v.(float64); !isNum || f < 0 || f != float64(int(f)) {
			bad = append(bad, "duration")
		}
	}
	var settings map[string]any
	if v, ok := patch["settings"]; ok {
		settings, ok = v.(map[string]any)
		if !ok {
			bad = append(bad, "settings")
		}
	}
	for k, v := range settings {
		if cur, exists := m.Settings[k]; exists && cur != nil && v != nil && jsonKind(cur) != jsonKind(v) {
			bad = append(bad, "settings."+k)
		}
	}
	if len(bad) > 0 {
		return validationErr(bad...)
	}
	if v, ok := settings["alternative_hosts"].(string); ok {
		for _, e := range strings.Split(v, ";") {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			u := s.lookupUser(e)
			// Alternative hosts must be licensed users of the same account (KB0067027). Zoom's
			// exact error for a bad entry was not found; code 300 is its code for invalid fields.
			if u == nil || u.AccountID != m.AccountID || u.Type != UserLicensed {
				return zoomErr(http.StatusBadRequest, CodeValidation, fmt.Sprintf("Invalid alternative host: %s.", e))
			}
		}
	}

	apply := func(name string, set func(any)) {
		if v, ok := patch[name]; ok {
			set(v)
			changed[name] = v
		}
	}
	apply("topic", func(v any) { old["topic"] = m.Topic; m.Topic = v.(string) })
	apply("agenda", func(v any) { old["agenda"] = m.Agenda; m.Agenda = v.(string) })
	apply("timezone", func(v any) { old["timezone"] = m.Timezone; m.Timezone = v.(string) })
	apply("password", func(v any) { old["password"] = m.Password; m.Password = v.(string) })
	apply("duration", func(v any) { old["duration"] = m.Duration; m.Duration = int(v.(float64)) })
	apply("start_time", func(v any) {
		old["start_time"] = zoomTime(m.StartTime)
		t, _ := parseZoomTime(v.(string))
		m.StartTime = t
	})
	if len(settings) > 0 {
		oldSettings, newSettings := map[string]any{}, map[string]any{}
		for k, v := range settings {
			oldSettings[k] = m.Settings[k]
			m.Settings[k] = v
			newSettings[k] = v
		}
		old["settings"], changed["settings"] = oldSettings, newSettings
	}
	m.updates = append(m.updates, now)
	wc.n++

	var id any = m.ID
	if s.cfg.MeetingIDAsString {
		id = strconv.FormatInt(m.ID, 10)
	}
	changed["id"], changed["uuid"] = id, m.UUID
	old["id"], old["uuid"] = id, m.UUID
	payload := map[string]any{
		"operation": "single", "object": changed, "old_object": old, "time_stamp": now.UnixMilli(),
	}
	if host := s.users[m.HostID]; host != nil {
		payload["operator"], payload["operator_id"] = host.Email, host.ID
	}
	s.emit("meeting.updated", m.AccountID, eventRef{meetingID: m.ID, meetingUUID: m.UUID}, payload)
	return restResponse{status: http.StatusNoContent}
}

func parseZoomTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", v)
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// getUserSettings serves GET /v2/users/{userId}/settings.
func (s *Sim) getUserSettings(r *http.Request, _ []byte, tok *accessToken) restResponse {
	u, resp, ok := s.userFor(chi.URLParam(r, "userId"), tok)
	if !ok {
		return resp
	}
	return restResponse{status: http.StatusOK, body: s.effectiveSettings(u)}
}

// patchUserSettings serves PATCH /v2/users/{userId}/settings: 204 after merging the sections of
// the body into the user's settings. Values must keep their JSON type and documented enums; a
// setting locked by the account admin is ignored or refused (Config.LockedSettings).
func (s *Sim) patchUserSettings(r *http.Request, body []byte, tok *accessToken) restResponse {
	u, resp, ok := s.userFor(chi.URLParam(r, "userId"), tok)
	if !ok {
		return resp
	}
	var patch map[string]any
	if err := json.Unmarshal(body, &patch); err != nil || patch == nil {
		return zoomErr(http.StatusBadRequest, CodeValidation, "Request Body should be a valid JSON object.")
	}
	a := s.accounts[u.AccountID]
	var bad []string
	type change struct {
		sec, key string
		v        any
	}
	var changes []change
	for sec, raw := range patch {
		kv, isObj := raw.(map[string]any)
		if !isObj {
			bad = append(bad, sec)
			continue
		}
		for key, v := range kv {
			path := sec + "." + key
			if cur, exists := u.settings[sec][key]; exists && cur != nil && jsonKind(cur) != jsonKind(v) {
				bad = append(bad, path)
				continue
			}
			if enum, ok := settingEnums[path]; ok {
				if sv, _ := v.(string); !slices.Contains(enum, sv) {
					bad = append(bad, path)
					continue
				}
			}
			if lv, locked := a.Locked[path]; locked && !jsonEqual(lv, v) {
				if s.cfg.LockedSettings == LockedSettingsReject {
					return zoomErr(http.StatusBadRequest, CodeValidation,
						fmt.Sprintf("The setting %s is locked by the account administrator and cannot be changed.", path))
				}
				continue // LockedSettingsIgnore: accepted, not applied
			}
			changes = append(changes, change{sec, key, v})
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return validationErr(bad...)
	}
	for _, c := range changes {
		if u.settings[c.sec] == nil {
			u.settings[c.sec] = map[string]any{}
		}
		u.settings[c.sec][c.key] = c.v
	}
	return restResponse{status: http.StatusNoContent}
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// getUserToken serves GET /v2/users/{userId}/token?type=zak: {"token": ZAK}. A ZAK lives 2 h by
// default; ttl (seconds, at most one year) overrides it (https://developers.zoom.us/docs/meeting-sdk/auth/zak/).
func (s *Sim) getUserToken(r *http.Request, _ []byte, tok *accessToken) restResponse {
	u, resp, ok := s.userFor(chi.URLParam(r, "userId"), tok)
	if !ok {
		return resp
	}
	q := r.URL.Query()
	if q.Get("type") != "zak" {
		// Only the ZAK is simulated; the other types (token, deprecated) are not.
		return validationErr("type")
	}
	ttl := s.cfg.ZAKTTL
	if v := q.Get("ttl"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 31536000 {
			return validationErr("ttl")
		}
		ttl = time.Duration(n) * time.Second
	}
	return restResponse{status: http.StatusOK, body: map[string]any{"token": s.issueZAK(u.ID, ttl)}}
}

// getUser serves GET /v2/users/{userId} and /v2/users/me.
func (s *Sim) getUser(r *http.Request, _ []byte, tok *accessToken) restResponse {
	u, resp, ok := s.userFor(chi.URLParam(r, "userId"), tok)
	if !ok {
		return resp
	}
	role, roleID := "Member", "2"
	if a := s.accounts[u.AccountID]; a != nil && a.OwnerID == u.ID {
		role, roleID = "Owner", "0"
	}
	return restResponse{status: http.StatusOK, body: map[string]any{
		"id":                   u.ID,
		"first_name":           u.FirstName,
		"last_name":            u.LastName,
		"display_name":         u.DisplayName(),
		"email":                u.Email,
		"type":                 u.Type,
		"role_name":            role,
		"role_id":              roleID,
		"pmi":                  u.PMI,
		"use_pmi":              false,
		"personal_meeting_url": fmt.Sprintf("https://zoom.us/j/%d", u.PMI),
		"timezone":             "UTC",
		"verified":             1,
		"dept":                 "",
		"created_at":           zoomTime(u.CreatedAt),
		"user_created_at":      zoomTime(u.CreatedAt),
		"last_login_time":      zoomTime(u.CreatedAt),
		"pic_url":              "",
		"language":             "en-US",
		"phone_number":         "",
		"status":               u.Status,
		"account_id":           u.AccountID,
		"account_number":       0,
		"cluster":              "us06",
	}}
}

type zak struct {
	userID  string
	expires time.Time
}

// issueZAK; callers hold s.mu.
func (s *Sim) issueZAK(userID string, ttl time.Duration) string {
	t := secretToken("zszak_")
	s.zaks[t] = &zak{userID: userID, expires: s.clock.Now().Add(ttl)}
	return t
}

// IssueZAK returns a new ZAK for a user, as GET /v2/users/{userId}/token?type=zak would.
func (s *Sim) IssueZAK(userID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[userID] == nil {
		return "", fmt.Errorf("%w: user %s", ErrNotFound, userID)
	}
	return s.issueZAK(userID, s.cfg.ZAKTTL), nil
}

// VerifyZAK reports whose ZAK this is, if the sim issued it and it has not expired.
func (s *Sim) VerifyZAK(token string) (userID string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.verifyZAK(token)
}

func (s *Sim) verifyZAK(token string) (string, bool) {
	z := s.zaks[token]
	if z == nil || !s.clock.Now().Before(z.expires) {
		return "", false
	}
	return z.userID, true
}
