package zoomsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestGetMeetingAndUser(t *testing.T) {
	h := newHarness(t, Config{}, false)
	tok := h.s2sToken()
	m := h.startedMeeting()
	st, hdr, raw := h.do("GET", fmt.Sprintf("/v2/meetings/%d", m.ID), tok, nil)
	if st != http.StatusOK {
		t.Fatalf("GET meeting: %d %s", st, raw)
	}
	var got struct {
		ID        int64          `json:"id"`
		UUID      string         `json:"uuid"`
		HostID    string         `json:"host_id"`
		Password  string         `json:"password"`
		StartTime string         `json:"start_time"`
		Status    string         `json:"status"`
		StartURL  string         `json:"start_url"`
		Settings  map[string]any `json:"settings"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != m.ID || got.UUID != m.UUID || got.HostID != h.host.ID || got.Password != m.Password ||
		got.Status != "started" || got.StartTime == "" || got.Settings["alternative_hosts"] != "" {
		t.Errorf("meeting %+v", got)
	}
	if hdr.Get("X-RateLimit-Category") != LabelLight {
		t.Errorf("X-RateLimit-Category %q", hdr.Get("X-RateLimit-Category"))
	}
	_, _, raw = h.do("GET", "/v2/users/"+h.host.Email, tok, nil)
	if u := decodeJSON(t, raw); u["id"] != h.host.ID || u["type"] != float64(2) || u["account_id"] != h.acct.ID || u["status"] != "active" {
		t.Errorf("user %v", u)
	}
}

// Table of REST errors: unknown things, other accounts, bad bodies.
func TestRESTErrors(t *testing.T) {
	h := newHarness(t, Config{}, false)
	tok := h.s2sToken()
	m := h.startedMeeting()
	other, err := h.sim.CreateAccount(AccountSpec{ID: "acct-2"})
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := h.sim.CreateUser(other.ID, UserSpec{Email: "s@other.example"})
	foreign, _ := h.sim.CreateMeeting(MeetingSpec{HostID: stranger.ID})
	basic, _ := h.sim.CreateUser(h.acct.ID, UserSpec{Email: "basic@example.com", Type: UserBasic})
	mp := fmt.Sprintf("/v2/meetings/%d", m.ID)
	tests := []struct {
		name, method, path, token string
		body                      any
		status, code              int
	}{
		{"no token", "GET", mp, "", nil, 401, 124},
		{"unknown token", "GET", mp, "zsat_nope", nil, 401, 124},
		{"unknown meeting", "GET", "/v2/meetings/123", tok, nil, 404, 3001},
		{"other account's meeting", "GET", fmt.Sprintf("/v2/meetings/%d", foreign.ID), tok, nil, 404, 3001},
		{"patch other account's meeting", "PATCH", fmt.Sprintf("/v2/meetings/%d", foreign.ID), tok, map[string]any{"topic": "x"}, 404, 3001},
		{"unknown user", "GET", "/v2/users/nobody", tok, nil, 404, 1001},
		{"other account's user", "GET", "/v2/users/" + stranger.ID, tok, nil, 404, 1001},
		{"other account's settings", "GET", "/v2/users/" + stranger.ID + "/settings", tok, nil, 404, 1001},
		{"zak of other account's user", "GET", "/v2/users/" + stranger.ID + "/token?type=zak", tok, nil, 404, 1001},
		{"token without type", "GET", "/v2/users/me/token", tok, nil, 400, 300},
		{"bad zak ttl", "GET", "/v2/users/me/token?type=zak&ttl=0", tok, nil, 400, 300},
		{"patch meeting not json", "PATCH", mp, tok, "{", 400, 300},
		{"patch meeting array", "PATCH", mp, tok, "[]", 400, 300},
		{"patch meeting bad topic type", "PATCH", mp, tok, map[string]any{"topic": 5}, 400, 300},
		{"patch meeting bad start_time", "PATCH", mp, tok, map[string]any{"start_time": "tomorrow"}, 400, 300},
		{"patch meeting bad duration", "PATCH", mp, tok, map[string]any{"duration": -1}, 400, 300},
		{"patch meeting long password", "PATCH", mp, tok, map[string]any{"password": "12345678901"}, 400, 300},
		{"patch meeting settings type", "PATCH", mp, tok, map[string]any{"settings": map[string]any{"waiting_room": "no"}}, 400, 300},
		{"alt host not in account", "PATCH", mp, tok, map[string]any{"settings": map[string]any{"alternative_hosts": stranger.Email}}, 400, 300},
		{"alt host not licensed", "PATCH", mp, tok, map[string]any{"settings": map[string]any{"alternative_hosts": basic.Email}}, 400, 300},
		{"settings not json", "PATCH", "/v2/users/me/settings", tok, "nope", 400, 300},
		{"settings section not object", "PATCH", "/v2/users/me/settings", tok, map[string]any{"in_meeting": true}, 400, 300},
		{"settings wrong type", "PATCH", "/v2/users/me/settings", tok, map[string]any{"in_meeting": map[string]any{"annotation": "yes"}}, 400, 300},
		{"settings bad enum", "PATCH", "/v2/users/me/settings", tok, map[string]any{"in_meeting": map[string]any{"who_can_share_screen": "everyone"}}, 400, 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, raw := h.do(tt.method, tt.path, tt.token, tt.body)
			var b struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			_ = json.Unmarshal(raw, &b)
			if st != tt.status || b.Code != tt.code || b.Message == "" {
				t.Errorf("got %d %s, want %d code %d", st, raw, tt.status, tt.code)
			}
		})
	}
	if got, _ := h.sim.Meeting(m.ID); got.Topic != m.Topic {
		t.Errorf("a refused PATCH changed the topic to %q", got.Topic)
	}
}

func TestPatchMeetingAndAlternativeHosts(t *testing.T) {
	h := newHarness(t, Config{}, false)
	tok := h.s2sToken()
	alt, _ := h.sim.CreateUser(h.acct.ID, UserSpec{Email: "alt@example.com", FirstName: "Al"})
	m, _ := h.sim.CreateMeeting(MeetingSpec{HostID: h.host.ID})
	st, _, raw := h.do("PATCH", fmt.Sprintf("/v2/meetings/%d", m.ID), tok, map[string]any{
		"topic": "Renamed", "settings": map[string]any{"alternative_hosts": "alt@example.com", "waiting_room": false},
	})
	if st != http.StatusNoContent {
		t.Fatalf("PATCH: %d %s", st, raw)
	}
	got, _ := h.sim.Meeting(m.ID)
	if got.Topic != "Renamed" || got.Settings["alternative_hosts"] != "alt@example.com" {
		t.Errorf("after PATCH %+v", got)
	}
	upd := h.sim.Ledger().Deliveries("meeting.updated")
	if len(upd) != 1 {
		t.Fatalf("meeting.updated deliveries: %d", len(upd))
	}
	var env struct {
		Payload struct {
			Object    map[string]any `json:"object"`
			OldObject map[string]any `json:"old_object"`
		} `json:"payload"`
	}
	_ = json.Unmarshal(upd[0].Body, &env)
	if env.Payload.Object["topic"] != "Renamed" || env.Payload.OldObject["topic"] != m.Topic {
		t.Errorf("meeting.updated payload %+v", env.Payload)
	}
	// The alternative host joins signed in and becomes co-host; Zoom reports the role change.
	if _, err := h.sim.StartMeeting(m.ID); err != nil {
		t.Fatal(err)
	}
	p, err := h.sim.Join(m.ID, JoinSpec{ZoomUserID: alt.ID})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ = h.sim.Participant(m.ID, p.Key()); p.Role != RoleCoHost {
		t.Errorf("alternative host role %q, want co-host", p.Role)
	}
	if rc := h.sim.Ledger().Deliveries("meeting.participant_role_changed"); len(rc) != 1 || rc[0].ParticipantKey != p.Key() {
		t.Errorf("role_changed deliveries %+v", rc)
	}
}

// Zoom: a meeting can be updated at most 100 times in 24 h; the 429 carries no Retry-After.
func TestMeetingUpdateLimit(t *testing.T) {
	h := newHarness(t, Config{MeetingUpdatesPerDay: 3, UserMeetingWritesPerDay: -1}, true)
	tok := h.s2sToken()
	m, _ := h.sim.CreateMeeting(MeetingSpec{HostID: h.host.ID})
	path := fmt.Sprintf("/v2/meetings/%d", m.ID)
	for i := range 3 {
		if st, _, raw := h.do("PATCH", path, tok, map[string]any{"agenda": fmt.Sprint(i)}); st != http.StatusNoContent {
			t.Fatalf("update %d: %d %s", i, st, raw)
		}
	}
	st, hdr, raw := h.do("PATCH", path, tok, map[string]any{"agenda": "x"})
	b := decodeJSON(t, raw)
	if st != http.StatusTooManyRequests || b["code"] != float64(429) || !strings.Contains(b["message"].(string), "daily rate limit (100)") {
		t.Errorf("4th update: %d %s", st, raw)
	}
	if hdr.Get("Retry-After") != "" {
		t.Errorf("Retry-After %q on the meeting-update limit", hdr.Get("Retry-After"))
	}
	h.clock.Advance(24 * time.Hour)
	if st, _, _ := h.do("PATCH", path, h.s2sToken(), map[string]any{"agenda": "y"}); st != http.StatusNoContent {
		t.Errorf("after 24 h: %d", st)
	}
}

func TestUserMeetingWritesLimit(t *testing.T) {
	h := newHarness(t, Config{UserMeetingWritesPerDay: 2}, true)
	tok := h.s2sToken()
	a, _ := h.sim.CreateMeeting(MeetingSpec{HostID: h.host.ID})
	b, _ := h.sim.CreateMeeting(MeetingSpec{HostID: h.host.ID})
	for _, id := range []int64{a.ID, b.ID} {
		if st, _, _ := h.do("PATCH", fmt.Sprintf("/v2/meetings/%d", id), tok, map[string]any{"agenda": "x"}); st != 204 {
			t.Fatalf("PATCH %d: %d", id, st)
		}
	}
	if st, _, _ := h.do("PATCH", fmt.Sprintf("/v2/meetings/%d", a.ID), tok, map[string]any{"agenda": "y"}); st != 429 {
		t.Errorf("third write of the host today: %d, want 429", st)
	}
}

func TestUserSettingsAndLocks(t *testing.T) {
	for _, mode := range []LockedSettingsMode{LockedSettingsIgnore, LockedSettingsReject} {
		t.Run(string(mode), func(t *testing.T) {
			h := newHarness(t, Config{LockedSettings: mode}, false)
			tok := h.s2sToken()
			if err := h.sim.LockSetting(h.acct.ID, "in_meeting.annotation", false); err != nil {
				t.Fatal(err)
			}
			st, _, raw := h.do("PATCH", "/v2/users/me/settings", tok, map[string]any{
				"in_meeting": map[string]any{"who_can_share_screen": "all", "annotation": true},
				"recording":  map[string]any{"local_recording": true},
			})
			_, _, cur := h.do("GET", "/v2/users/"+h.host.ID+"/settings", tok, nil)
			var s Settings
			if err := json.Unmarshal(cur, &s); err != nil {
				t.Fatal(err)
			}
			if s["in_meeting"]["annotation"] != false {
				t.Errorf("locked annotation changed to %v", s["in_meeting"]["annotation"])
			}
			switch mode {
			case LockedSettingsIgnore:
				if st != http.StatusNoContent || s["in_meeting"]["who_can_share_screen"] != "all" {
					t.Errorf("ignore mode: %d %s, who_can_share_screen %v", st, raw, s["in_meeting"]["who_can_share_screen"])
				}
			case LockedSettingsReject:
				if b := decodeJSON(t, raw); st != http.StatusBadRequest || b["code"] != float64(300) ||
					!strings.Contains(b["message"].(string), "in_meeting.annotation") {
					t.Errorf("reject mode: %d %s", st, raw)
				}
				if s["in_meeting"]["who_can_share_screen"] != "host" {
					t.Errorf("a refused PATCH applied who_can_share_screen=%v", s["in_meeting"]["who_can_share_screen"])
				}
			}
			// Setting a locked value to what it is locked at is accepted in both modes.
			if st, _, raw := h.do("PATCH", "/v2/users/me/settings", tok, map[string]any{
				"in_meeting": map[string]any{"annotation": false},
			}); st != http.StatusNoContent {
				t.Errorf("PATCH to the locked value: %d %s", st, raw)
			}
		})
	}
}

func TestZAK(t *testing.T) {
	h := newHarness(t, Config{}, true)
	tok := h.s2sToken()
	st, _, raw := h.do("GET", "/v2/users/"+h.host.ID+"/token?type=zak", tok, nil)
	if st != http.StatusOK {
		t.Fatalf("zak: %d %s", st, raw)
	}
	zak, _ := decodeJSON(t, raw)["token"].(string)
	if uid, ok := h.sim.VerifyZAK(zak); !ok || uid != h.host.ID {
		t.Errorf("VerifyZAK = %q %v", uid, ok)
	}
	h.clock.Advance(2 * time.Hour)
	if _, ok := h.sim.VerifyZAK(zak); ok {
		t.Error("ZAK alive after 2 h")
	}
	_, _, raw = h.do("GET", "/v2/users/me/token?type=zak&ttl=86400", h.s2sToken(), nil)
	long, _ := decodeJSON(t, raw)["token"].(string)
	h.clock.Advance(23 * time.Hour)
	if _, ok := h.sim.VerifyZAK(long); !ok {
		t.Error("ZAK with ttl=86400 dead after 23 h")
	}
}

// 429s carry Retry-After and X-RateLimit-*: seconds for the per-second limit, an ISO-8601 time for
// the daily one.
func TestRateLimitHeaders(t *testing.T) {
	h := newHarness(t, Config{RateLimits: &RateLimits{
		Light:  Limit{PerSecond: 2},
		Medium: Limit{PerSecond: 100, PerDay: 3},
		Heavy:  Limit{PerSecond: 1},
	}}, true)
	tok := h.s2sToken()
	for i := range 2 {
		st, hdr, _ := h.do("GET", "/v2/users/me", tok, nil)
		if st != 200 || hdr.Get("X-RateLimit-Limit") != "2" || hdr.Get("X-RateLimit-Remaining") != fmt.Sprint(1-i) {
			t.Fatalf("call %d: %d limit %q remaining %q", i, st, hdr.Get("X-RateLimit-Limit"), hdr.Get("X-RateLimit-Remaining"))
		}
	}
	st, hdr, raw := h.do("GET", "/v2/users/me", tok, nil)
	b := decodeJSON(t, raw)
	if st != http.StatusTooManyRequests || b["message"] != msgPerSecondLimit || b["code"] != float64(429) {
		t.Errorf("per-second 429: %d %s", st, raw)
	}
	want := map[string]string{
		"Retry-After": "1", "X-RateLimit-Category": "Light", "X-RateLimit-Type": "QPS",
		"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "0",
	}
	for k, v := range want {
		if hdr.Get(k) != v {
			t.Errorf("per-second 429 %s = %q, want %q", k, hdr.Get(k), v)
		}
	}
	h.clock.Advance(time.Second)
	if st, _, _ := h.do("GET", "/v2/users/me", tok, nil); st != 200 {
		t.Errorf("next second: %d", st)
	}
	// Daily limit of the Medium label (GET settings).
	for range 3 {
		if st, _, _ := h.do("GET", "/v2/users/me/settings", tok, nil); st != 200 {
			t.Fatalf("settings: %d", st)
		}
	}
	st, hdr, raw = h.do("GET", "/v2/users/me/settings", tok, nil)
	if st != 429 || decodeJSON(t, raw)["message"] != msgDailyLimit {
		t.Fatalf("daily 429: %d %s", st, raw)
	}
	retry, err := time.Parse(time.RFC3339, hdr.Get("Retry-After"))
	if err != nil || !retry.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("daily Retry-After %q, want the next UTC midnight in ISO-8601", hdr.Get("Retry-After"))
	}
	if hdr.Get("X-RateLimit-Type") != "Daily-limit" || hdr.Get("X-RateLimit-Category") != "Medium" || hdr.Get("X-RateLimit-Limit") != "3" {
		t.Errorf("daily headers %v", hdr)
	}
	// Limits are per account: another account is not limited.
	other, _ := h.sim.CreateAccount(AccountSpec{ID: "acct-2"})
	_, _ = h.sim.CreateUser(other.ID, UserSpec{Email: "o@other.example"})
	_, body := h.tokenRequest(other.ClientID, other.ClientSecret, map[string][]string{"grant_type": {"account_credentials"}, "account_id": {other.ID}})
	if st, _, _ := h.do("GET", "/v2/users/me/settings", body["access_token"].(string), nil); st != 200 {
		t.Errorf("other account limited too: %d", st)
	}
	h.clock.Advance(14 * time.Hour)
	if st, _, _ := h.do("GET", "/v2/users/me/settings", h.s2sToken(), nil); st != 200 {
		t.Errorf("after midnight UTC: %d", st)
	}
	c := h.sim.Counters()
	if c.APIRateLimited != 2 {
		t.Errorf("rate-limited calls counted %d, want 2", c.APIRateLimited)
	}
}

func TestRESTFaults(t *testing.T) {
	h := newHarness(t, Config{}, false)
	tok := h.s2sToken()
	h.sim.SetFaults(Faults{Burst429: 2})
	for i := range 2 {
		if st, hdr, _ := h.do("GET", "/v2/users/me", tok, nil); st != 429 || hdr.Get("Retry-After") == "" {
			t.Errorf("burst call %d: %d", i, st)
		}
	}
	if st, _, _ := h.do("GET", "/v2/users/me", tok, nil); st != 200 {
		t.Errorf("after the burst: %d", st)
	}
	h.sim.SetFaults(Faults{REST5xxRate: 1})
	if st, _, _ := h.do("GET", "/v2/users/me", tok, nil); st != 500 {
		t.Errorf("with REST5xxRate 1: %d", st)
	}
	h.sim.SetFaults(Faults{})
	if c := h.sim.Counters(); c.APIServerErrors != 1 || c.APIRateLimited != 2 {
		t.Errorf("counters %+v", c)
	}
}
