package zoomsim

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestControlAPIScenario(t *testing.T) {
	rcv := newReceiver(t, nil, nil)
	h := newHarness(t, Config{}, false)
	if st, _, raw := h.do("PUT", "/_sim/webhook", "", map[string]string{"url": rcv.srv.URL}); st != 204 {
		t.Fatalf("set webhook: %d %s", st, raw)
	}
	st, _, raw := h.do("POST", "/_sim/accounts/acct-1/users", "", UserSpec{Email: "alt@example.com"})
	if st != 201 {
		t.Fatalf("create user: %d %s", st, raw)
	}
	st, _, raw = h.do("POST", "/_sim/meetings", "", map[string]any{"host_id": "host@example.com", "topic": "Demo"})
	if st != 201 {
		t.Fatalf("create meeting: %d %s", st, raw)
	}
	var m Meeting
	_ = json.Unmarshal(raw, &m)
	base := fmt.Sprintf("/_sim/meetings/%d", m.ID)
	if st, _, raw := h.do("POST", base+"/start", "", nil); st != 200 {
		t.Fatalf("start: %d %s", st, raw)
	}
	st, _, raw = h.do("POST", base+"/participants", "", map[string]any{
		"participants": []JoinSpec{{ZoomUserID: "alt@example.com"}, {PhoneNumber: "+15550000000"}},
		"guests":       3,
	})
	if st != 201 {
		t.Fatalf("join: %d %s", st, raw)
	}
	var ps []Participant
	_ = json.Unmarshal(raw, &ps)
	if len(ps) != 5 {
		t.Fatalf("joined %d", len(ps))
	}
	if st, _, raw := h.do("DELETE", base+"/participants/"+ps[2].Key(), "", nil); st != 204 {
		t.Fatalf("leave: %d %s", st, raw)
	}
	if st, _, raw := h.do("POST", base+"/participants/"+ps[2].Key()+"/rejoin", "", nil); st != 201 {
		t.Fatalf("rejoin: %d %s", st, raw)
	}
	st, _, raw = h.do("GET", base, "", nil)
	var got struct {
		Meeting
		AgentSession string `json:"agent_session"`
	}
	_ = json.Unmarshal(raw, &got)
	if st != 200 || len(got.Participants) != 6 || got.Status != MeetingStarted {
		t.Errorf("meeting %d %+v", st, got)
	}
	if st, _, raw := h.do("PUT", "/_sim/faults", "", map[string]any{"rest_latency": "5ms", "burst_429": 1}); st != 200 {
		t.Errorf("faults: %d %s", st, raw)
	}
	if f := h.sim.Faults(); f.Burst429 != 1 || f.RESTLatency.Milliseconds() != 5 {
		t.Errorf("faults %+v", f)
	}
	if st, _, _ := h.do("PUT", "/_sim/faults", "", map[string]any{"rest_latency": "0s", "burst_429": 0}); st != 200 {
		t.Error("reset faults")
	}
	if st, _, _ := h.do("POST", base+"/end", "", nil); st != 204 {
		t.Errorf("end: %d", st)
	}
	if _, err := h.sim.WaitForDeliveries(waitCtx(t), "meeting.ended", 1); err != nil {
		t.Fatal(err)
	}
	st, _, raw = h.do("GET", "/_sim/counters", "", nil)
	var c Counters
	_ = json.Unmarshal(raw, &c)
	if st != 200 || c.WebhookDeliveries < 10 {
		t.Errorf("counters %d %+v", st, c)
	}
	if st, _, _ := h.do("GET", "/_sim/ledger", "", nil); st != 200 {
		t.Errorf("ledger: %d", st)
	}
	if st, _, raw := h.do("POST", "/_sim/accounts/acct-1/expire-tokens", "", nil); st != 204 {
		t.Errorf("expire tokens: %d %s", st, raw)
	}
	if st, _, raw := h.do("PUT", "/_sim/accounts/acct-1/locks", "", map[string]any{"path": "in_meeting.chat", "value": false}); st != 204 {
		t.Errorf("lock: %d %s", st, raw)
	}
	_, _, raw = h.do("GET", "/_sim/users/"+h.host.ID+"/settings", "", nil)
	var s Settings
	_ = json.Unmarshal(raw, &s)
	if s["in_meeting"]["chat"] != false {
		t.Errorf("locked chat %v", s["in_meeting"]["chat"])
	}
	if st, _, _ := h.do("POST", "/_sim/agent/restart", "", nil); st != 204 {
		t.Errorf("restart: %d", st)
	}
}

// Table of bad control-API inputs.
func TestControlAPIBadInputs(t *testing.T) {
	h := newHarness(t, Config{}, false)
	m := h.startedMeeting()
	mp := fmt.Sprintf("/_sim/meetings/%d", m.ID)
	tests := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"unknown route", "GET", "/_sim/nope", nil, 404},
		{"wrong method", "DELETE", "/_sim/faults", nil, 405},
		{"account: not json", "POST", "/_sim/accounts", "{", 400},
		{"account: empty body", "POST", "/_sim/accounts", nil, 400},
		{"account: unknown field", "POST", "/_sim/accounts", map[string]any{"idd": "x"}, 400},
		{"account: duplicate", "POST", "/_sim/accounts", map[string]any{"id": "acct-1"}, 400},
		{"account: half credentials", "POST", "/_sim/accounts", map[string]any{"client_id": "x"}, 400},
		{"account: trailing data", "POST", "/_sim/accounts", `{"id":"z"} {}`, 400},
		{"users of unknown account", "GET", "/_sim/accounts/nope/users", nil, 404},
		{"user: unknown account", "POST", "/_sim/accounts/nope/users", UserSpec{Email: "a@b.c"}, 404},
		{"user: no email", "POST", "/_sim/accounts/acct-1/users", UserSpec{}, 400},
		{"user: bad type", "POST", "/_sim/accounts/acct-1/users", UserSpec{Email: "t@b.c", Type: 3}, 400},
		{"user: duplicate email", "POST", "/_sim/accounts/acct-1/users", UserSpec{Email: "host@example.com"}, 400},
		{"lock: bad path", "PUT", "/_sim/accounts/acct-1/locks", map[string]any{"path": "chat", "value": true}, 400},
		{"lock: no value", "PUT", "/_sim/accounts/acct-1/locks", map[string]any{"path": "in_meeting.chat"}, 400},
		{"lock: unknown account", "PUT", "/_sim/accounts/nope/locks", map[string]any{"path": "in_meeting.chat", "value": true}, 404},
		{"expire: unknown account", "POST", "/_sim/accounts/nope/expire-tokens", nil, 404},
		{"deauthorize: unknown account", "POST", "/_sim/accounts/nope/deauthorize", nil, 404},
		{"settings: unknown user", "GET", "/_sim/users/nope/settings", nil, 404},
		{"meeting: no host", "POST", "/_sim/meetings", map[string]any{"topic": "x"}, 400},
		{"meeting: unknown host", "POST", "/_sim/meetings", map[string]any{"host_id": "nobody"}, 404},
		{"meeting: bad start_time", "POST", "/_sim/meetings", map[string]any{"host_id": "host@example.com", "start_time": "soon"}, 400},
		{"meeting: duplicate id", "POST", "/_sim/meetings", map[string]any{"host_id": "host@example.com", "id": m.ID}, 400},
		{"meeting: bad id", "GET", "/_sim/meetings/abc", nil, 400},
		{"meeting: negative id", "GET", "/_sim/meetings/-5", nil, 400},
		{"meeting: unknown", "GET", "/_sim/meetings/42", nil, 404},
		{"start unknown", "POST", "/_sim/meetings/42/start", nil, 404},
		{"end unknown", "POST", "/_sim/meetings/42/end", nil, 404},
		{"delete unknown", "DELETE", "/_sim/meetings/42", nil, 404},
		{"join: nobody", "POST", mp + "/participants", map[string]any{}, 400},
		{"join: negative guests", "POST", mp + "/participants", map[string]any{"guests": -1}, 400},
		{"join: too many", "POST", mp + "/participants", map[string]any{"guests": maxJoinBatch + 1}, 400},
		{"join: unknown user", "POST", mp + "/participants", map[string]any{"participants": []JoinSpec{{ZoomUserID: "nobody"}}}, 404},
		{"join: phone with email", "POST", mp + "/participants", map[string]any{"participants": []JoinSpec{{PhoneNumber: "1", Email: "a@b.c"}}}, 400},
		{"join: unknown meeting", "POST", "/_sim/meetings/42/participants", map[string]any{"guests": 1}, 404},
		{"leave: unknown participant", "DELETE", mp + "/participants/nobody", nil, 404},
		{"rejoin: unknown participant", "POST", mp + "/participants/nobody/rejoin", nil, 404},
		{"faults: rate above 1", "PUT", "/_sim/faults", map[string]any{"rest_5xx_rate": 1.5}, 400},
		{"faults: negative rate", "PUT", "/_sim/faults", map[string]any{"agent_5xx_rate": -0.1}, 400},
		{"faults: bad duration", "PUT", "/_sim/faults", map[string]any{"rest_latency": "fast"}, 400},
		{"faults: negative duration", "PUT", "/_sim/faults", map[string]any{"webhook_reorder_window": "-1s"}, 400},
		{"faults: negative burst", "PUT", "/_sim/faults", map[string]any{"burst_429": -1}, 400},
		{"faults: unknown knob", "PUT", "/_sim/faults", map[string]any{"chaos": true}, 400},
		{"rate limits: negative", "PUT", "/_sim/rate-limits", map[string]any{"light": map[string]int{"per_second": -1}}, 400},
		{"webhook: unknown field", "PUT", "/_sim/webhook", map[string]any{"uri": "x"}, 400},
		{"validate without URL", "POST", "/_sim/webhook/validate", nil, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, raw := h.do(tt.method, tt.path, "", tt.body)
			if st != tt.status {
				t.Errorf("got %d %s, want %d", st, raw, tt.status)
			}
			if st >= 400 {
				var e map[string]string
				if json.Unmarshal(raw, &e) != nil || e["error"] == "" {
					t.Errorf("error body %s", raw)
				}
			}
		})
	}
	if f := h.sim.Faults(); f != (Faults{}) {
		t.Errorf("refused fault updates changed the knobs: %+v", f)
	}
	if got, _ := h.sim.Meeting(m.ID); len(got.Participants) != 0 {
		t.Errorf("refused joins added %d participants", len(got.Participants))
	}
}
