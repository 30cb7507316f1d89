package zoomsim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestWebhooksVerifyWithZoomDocsVerifier(t *testing.T) {
	const secret = "wh-secret-token"
	rcv := newReceiver(t, nil, nil)
	h := newHarness(t, Config{WebhookURL: rcv.srv.URL, WebhookSecret: secret}, false)
	m := h.startedMeeting()
	if _, err := h.sim.Join(m.ID, JoinSpec{Name: "Guest"}); err != nil {
		t.Fatal(err)
	}
	// meeting.created, meeting.started, meeting.participant_joined
	if _, err := h.sim.WaitForDeliveries(waitCtx(t), "", 3); err != nil {
		t.Fatal(err)
	}
	got := rcv.received()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(got))
	}
	ids := map[string]bool{}
	for _, r := range got {
		if err := verifyZoomWebhook(secret, r.header, r.body, time.Now()); err != nil {
			t.Errorf("verify with the right secret: %v", err)
		}
		if err := verifyZoomWebhook("not-the-secret", r.header, r.body, time.Now()); err == nil {
			t.Error("verify with a wrong secret passed")
		}
		tampered := append(bytes.Clone(r.body[:len(r.body)-1]), ' ', '}')
		if err := verifyZoomWebhook(secret, r.header, tampered, time.Now()); err == nil {
			t.Error("verify of a changed body passed")
		}
		id := r.header.Get("x-zm-request-id")
		if id == "" || ids[id] {
			t.Errorf("x-zm-request-id %q empty or repeated", id)
		}
		ids[id] = true
		if ua := r.header.Get("User-Agent"); ua != "Zoom Marketplace/1.0a" {
			t.Errorf("User-Agent %q", ua)
		}
		dec := json.NewDecoder(bytes.NewReader(r.body))
		dec.UseNumber()
		var env struct {
			Event   string      `json:"event"`
			EventTS json.Number `json:"event_ts"`
			Payload struct {
				AccountID string         `json:"account_id"`
				Object    map[string]any `json:"object"`
			} `json:"payload"`
		}
		if err := dec.Decode(&env); err != nil {
			t.Fatalf("envelope: %v", err)
		}
		if env.Event == "" || env.Payload.AccountID != h.acct.ID {
			t.Errorf("envelope %+v", env)
		}
		if _, err := env.EventTS.Int64(); err != nil {
			t.Errorf("event_ts %q is not an integer", env.EventTS)
		}
		if id, ok := env.Payload.Object["id"].(json.Number); !ok || id.String() != jsonInt(m.ID) {
			t.Errorf("%s object.id = %#v, want the JSON number %d", env.Event, env.Payload.Object["id"], m.ID)
		}
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestWebhookMeetingIDAsString(t *testing.T) {
	h := newHarness(t, Config{MeetingIDAsString: true}, false)
	m := h.startedMeeting()
	d := h.sim.Ledger().Deliveries("meeting.started")[0]
	var env struct {
		Payload struct {
			Object struct {
				ID any `json:"id"`
			} `json:"object"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(d.Body, &env); err != nil {
		t.Fatal(err)
	}
	if env.Payload.Object.ID != jsonInt(m.ID) {
		t.Errorf("object.id = %#v, want the string %q", env.Payload.Object.ID, jsonInt(m.ID))
	}
	if d.State != DeliveryUnsent {
		t.Errorf("without a webhook URL the delivery is %q, want unsent", d.State)
	}
}

// A 500 receiver gets the first attempt and Zoom's three retries at +5, +20 and +60 minutes after
// the previous attempt, scaled; the ledger and the ManualClock make the schedule exact.
func TestWebhookRetryScheduleOn5xx(t *testing.T) {
	rcv := newReceiver(t, func(int64) int { return http.StatusInternalServerError }, nil)
	const scale = 0.001
	h := newHarness(t, Config{WebhookURL: rcv.srv.URL, TimeScale: scale}, true)
	if _, err := h.sim.CreateMeeting(MeetingSpec{HostID: h.host.ID}); err != nil {
		t.Fatal(err)
	}
	want := RetryDelays(scale)
	if want[0] != 300*time.Millisecond || want[1] != 1200*time.Millisecond || want[2] != 3600*time.Millisecond {
		t.Fatalf("RetryDelays(%v) = %v", scale, want)
	}
	attempts := func(n int) {
		t.Helper()
		if _, err := h.sim.WaitFor(waitCtx(t), func(l Ledger) bool {
			return len(l.Webhooks) == 1 && len(l.Webhooks[0].Attempts) == n
		}); err != nil {
			t.Fatalf("waiting for attempt %d: %v", n, err)
		}
	}
	attempts(1)
	for i, d := range want {
		h.clock.Advance(d - time.Millisecond)
		if got := len(h.sim.Ledger().Webhooks[0].Attempts); got != i+1 {
			t.Fatalf("retry %d came %v early", i+1, time.Millisecond)
		}
		h.clock.Advance(time.Millisecond)
		attempts(i + 2)
	}
	h.clock.Advance(24 * time.Hour)
	d := h.sim.Ledger().Webhooks[0]
	if len(d.Attempts) != 4 || d.State != DeliveryFailed {
		t.Fatalf("attempts %d state %s, want 4 failed", len(d.Attempts), d.State)
	}
	for i := 1; i < 4; i++ {
		gap := d.Attempts[i].At.Sub(d.Attempts[i-1].At)
		if gap != want[i-1] || d.Attempts[i].Delay != want[i-1] {
			t.Errorf("retry %d: gap %v, delay %v, want %v", i, gap, d.Attempts[i].Delay, want[i-1])
		}
		if d.Attempts[i].Status != 500 || d.Attempts[i].N != i+1 {
			t.Errorf("attempt %+v", d.Attempts[i])
		}
	}
	got := rcv.received()
	if len(got) != 4 {
		t.Fatalf("receiver got %d requests, want 4", len(got))
	}
	tracking := map[string]bool{}
	for _, r := range got {
		if r.header.Get("x-zm-request-id") != d.RequestID {
			t.Errorf("x-zm-request-id %q changed across retries (want %q)", r.header.Get("x-zm-request-id"), d.RequestID)
		}
		tracking[r.header.Get("x-zm-trackingid")] = true
	}
	// Each attempt is signed afresh at its own time, so it verifies when it arrives even an hour
	// after the event.
	sentAt := map[string]time.Time{}
	for _, a := range d.Attempts {
		sentAt[a.TrackingID] = a.At
	}
	for _, r := range got {
		at, ok := sentAt[r.header.Get("x-zm-trackingid")]
		if !ok {
			t.Fatalf("request with unknown tracking id %q", r.header.Get("x-zm-trackingid"))
		}
		if err := verifyZoomWebhook(h.sim.Config().WebhookSecret, r.header, r.body, at); err != nil {
			t.Errorf("attempt sent at %v: %v", at, err)
		}
	}
	if len(tracking) != 4 {
		t.Errorf("x-zm-trackingid should be new on every attempt, got %d distinct", len(tracking))
	}
}

// Zoom does not retry 3xx or 4xx (429 included), and stops at the first 2xx.
func TestWebhookNoRetry(t *testing.T) {
	tests := []struct {
		name   string
		status int
		state  string
	}{
		{"ok", http.StatusOK, DeliveryDelivered},
		{"no content", http.StatusNoContent, DeliveryDelivered},
		{"accepted", http.StatusAccepted, DeliveryDelivered},
		{"redirect", http.StatusFound, DeliveryFailed},
		{"bad request", http.StatusBadRequest, DeliveryFailed},
		{"unauthorized", http.StatusUnauthorized, DeliveryFailed},
		{"too many requests", http.StatusTooManyRequests, DeliveryFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, func(int64) int { return tt.status }, nil)
			h := newHarness(t, Config{WebhookURL: rcv.srv.URL}, true)
			if _, err := h.sim.CreateMeeting(MeetingSpec{HostID: h.host.ID}); err != nil {
				t.Fatal(err)
			}
			if _, err := h.sim.WaitForDeliveries(waitCtx(t), "meeting.created", 1); err != nil {
				t.Fatal(err)
			}
			h.clock.Advance(3 * time.Hour) // any retry would be due by now
			ds := h.sim.Ledger().Deliveries("meeting.created")
			if len(ds[0].Attempts) != 1 || ds[0].State != tt.state || h.clock.Pending() != 0 {
				t.Errorf("attempts %d state %s pending timers %d; want 1 %s 0", len(ds[0].Attempts), ds[0].State, h.clock.Pending(), tt.state)
			}
		})
	}
}

// A receiver slower than Zoom's 3 s limit (scaled down here) is retried like a 5xx.
func TestWebhookTimeoutIsRetried(t *testing.T) {
	rcv := newReceiver(t, nil, func(n int64) time.Duration {
		if n == 1 {
			return 300 * time.Millisecond
		}
		return 0
	})
	h := newHarness(t, Config{WebhookURL: rcv.srv.URL, WebhookTimeout: 50 * time.Millisecond}, true)
	if _, err := h.sim.CreateMeeting(MeetingSpec{HostID: h.host.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.sim.WaitFor(waitCtx(t), func(l Ledger) bool { return len(l.Webhooks[0].Attempts) == 1 }); err != nil {
		t.Fatal(err)
	}
	if a := h.sim.Ledger().Webhooks[0].Attempts[0]; a.Status != 0 || a.Error == "" {
		t.Fatalf("first attempt %+v, want a time-out", a)
	}
	h.clock.Advance(5 * time.Minute)
	ds, err := h.sim.WaitForDeliveries(waitCtx(t), "meeting.created", 1)
	if err != nil {
		t.Fatal(err)
	}
	if ds[0].State != DeliveryDelivered || len(ds[0].Attempts) != 2 {
		t.Errorf("state %s after %d attempts, want delivered after 2", ds[0].State, len(ds[0].Attempts))
	}
}

func TestWebhookDuplicates(t *testing.T) {
	rcv := newReceiver(t, nil, nil)
	h := newHarness(t, Config{WebhookURL: rcv.srv.URL, Faults: Faults{WebhookDuplicateRate: 1}}, false)
	if _, err := h.sim.CreateMeeting(MeetingSpec{HostID: h.host.ID}); err != nil {
		t.Fatal(err)
	}
	ds, err := h.sim.WaitForDeliveries(waitCtx(t), "meeting.created", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[1].DuplicateOf != ds[0].RequestID || ds[0].RequestID == ds[1].RequestID ||
		!bytes.Equal(ds[0].Body, ds[1].Body) {
		t.Errorf("deliveries %+v", ds)
	}
}

func TestURLValidation(t *testing.T) {
	const secret = "validation-secret"
	answer := func(key string, status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var ev struct {
				Event   string `json:"event"`
				Payload struct {
					PlainToken string `json:"plainToken"`
				} `json:"payload"`
			}
			_ = json.NewDecoder(r.Body).Decode(&ev)
			if ev.Event != "endpoint.url_validation" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			mac := hmac.New(sha256.New, []byte(key))
			mac.Write([]byte(ev.Payload.PlainToken))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{
				"plainToken": ev.Payload.PlainToken, "encryptedToken": hex.EncodeToString(mac.Sum(nil)),
			})
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		pass    bool
	}{
		{"right secret", answer(secret, http.StatusOK), true},
		{"wrong secret", answer("other", http.StatusOK), false},
		{"error status", answer(secret, http.StatusNotFound), false},
		{"not json", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			h := newHarness(t, Config{WebhookURL: srv.URL, WebhookSecret: secret}, false)
			v, err := h.sim.ValidateURL(waitCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			if v.Passed != tt.pass {
				t.Errorf("passed = %v (%s), want %v", v.Passed, v.Error, tt.pass)
			}
			if l := h.sim.Ledger(); len(l.URLValidations) != 1 || l.URLValidations[0].Passed != tt.pass {
				t.Errorf("ledger %+v", l.URLValidations)
			}
		})
	}
}

func TestParticipantPayloads(t *testing.T) {
	h := newHarness(t, Config{}, false)
	member, err := h.sim.CreateUser(h.acct.ID, UserSpec{Email: "Member@Example.com", FirstName: "Mia", Type: UserBasic})
	if err != nil {
		t.Fatal(err)
	}
	m := h.startedMeeting()
	signed, _ := h.sim.Join(m.ID, JoinSpec{ZoomUserID: member.Email})
	guest, _ := h.sim.Join(m.ID, JoinSpec{Name: "Gus", Email: "gus@elsewhere.example"})
	phone, _ := h.sim.Join(m.ID, JoinSpec{PhoneNumber: "+15551234567"})
	host, _ := h.sim.Join(m.ID, JoinSpec{ZoomUserID: h.host.ID})
	if err := h.sim.Leave(m.ID, guest.Key()); err != nil {
		t.Fatal(err)
	}
	again, err := h.sim.Rejoin(m.ID, guest.Key())
	if err != nil {
		t.Fatal(err)
	}
	if again.ParticipantUUID == guest.ParticipantUUID || again.UserID == guest.UserID || again.RejoinOf != guest.Key() {
		t.Errorf("re-join %+v of %+v", again, guest)
	}
	if host.Role != RoleHost || signed.Role != RoleAttendee {
		t.Errorf("roles host %q member %q", host.Role, signed.Role)
	}
	l := h.sim.Ledger()
	byKey := map[string]map[string]any{}
	for _, d := range l.Deliveries("meeting.participant_joined") {
		var env struct {
			Payload struct {
				Object struct {
					UUID        string         `json:"uuid"`
					HostID      string         `json:"host_id"`
					Participant map[string]any `json:"participant"`
				} `json:"object"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(d.Body, &env); err != nil {
			t.Fatal(err)
		}
		if env.Payload.Object.UUID != m.UUID || env.Payload.Object.HostID != h.host.ID {
			t.Errorf("object %+v", env.Payload.Object)
		}
		byKey[d.ParticipantKey] = env.Payload.Object.Participant
	}
	check := func(name string, p Participant, want map[string]any) {
		t.Helper()
		got := byKey[p.Key()]
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: participant.%s = %#v, want %#v", name, k, got[k], v)
			}
		}
		if got["user_id"] != p.UserID || got["participant_uuid"] != p.ParticipantUUID || got["join_time"] == "" {
			t.Errorf("%s: ids %v", name, got)
		}
	}
	check("signed in", signed, map[string]any{"id": member.ID, "participant_user_id": member.ID, "email": "member@example.com", "user_name": "Mia"})
	check("guest", guest, map[string]any{"id": "", "participant_user_id": "", "email": "gus@elsewhere.example", "user_name": "Gus"})
	check("phone", phone, map[string]any{"id": "", "email": "", "phone_number": "+15551234567"})
	if _, ok := byKey[guest.Key()]["phone_number"]; ok {
		t.Error("guest payload carries phone_number")
	}
	left := l.Deliveries("meeting.participant_left")
	if len(left) != 1 || left[0].ParticipantKey != guest.Key() {
		t.Fatalf("participant_left deliveries %+v", left)
	}
	var lp struct {
		Payload struct {
			Object struct {
				Participant map[string]any `json:"participant"`
			} `json:"object"`
		} `json:"payload"`
	}
	_ = json.Unmarshal(left[0].Body, &lp)
	if lp.Payload.Object.Participant["leave_time"] == nil || lp.Payload.Object.Participant["join_time"] != nil {
		t.Errorf("participant_left participant %v", lp.Payload.Object.Participant)
	}
}

func TestMeetingLifecycleEvents(t *testing.T) {
	h := newHarness(t, Config{}, false)
	m := h.startedMeeting()
	p, _ := h.sim.Join(m.ID, JoinSpec{Name: "A"})
	if err := h.sim.EndMeeting(m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.sim.Join(m.ID, JoinSpec{Name: "late"}); err == nil {
		t.Error("joined an ended meeting without join before host")
	}
	again, err := h.sim.StartMeeting(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.UUID == m.UUID {
		t.Error("a new instance kept the old uuid")
	}
	if err := h.sim.DeleteMeeting(m.ID); err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, d := range h.sim.Ledger().Webhooks {
		events = append(events, d.Event)
	}
	want := []string{
		"meeting.created", "meeting.started", "meeting.participant_joined", "meeting.participant_left",
		"meeting.ended", "meeting.started", "meeting.ended", "meeting.deleted",
	}
	if len(events) != len(want) {
		t.Fatalf("events %v, want %v", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Fatalf("events %v, want %v", events, want)
		}
	}
	if left, _ := h.sim.Ledger().Delivery(h.sim.Ledger().Webhooks[3].RequestID); left.ParticipantKey != p.Key() {
		t.Errorf("participant_left for %q", left.ParticipantKey)
	}
	if _, err := h.sim.Meeting(m.ID); err == nil {
		t.Error("deleted meeting still found")
	}
}

// With a reorder window, each first attempt waits a random time below it, so later events can
// overtake earlier ones.
func TestWebhookReorderWindow(t *testing.T) {
	rcv := newReceiver(t, nil, nil)
	const window = time.Second
	h := newHarness(t, Config{WebhookURL: rcv.srv.URL, Faults: Faults{WebhookReorderWindow: window}}, true)
	m := h.startedMeeting()
	if _, err := h.sim.JoinGuests(m.ID, 8); err != nil {
		t.Fatal(err)
	}
	if got := len(rcv.received()); got != 0 {
		t.Fatalf("%d deliveries before the clock moved", got)
	}
	h.clock.Advance(window)
	ds, err := h.sim.WaitForDeliveries(waitCtx(t), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	delays := map[time.Duration]bool{}
	for _, d := range ds {
		a := d.Attempts[0]
		if a.Delay < 0 || a.Delay >= window || !a.At.Equal(t0.Add(window)) {
			t.Errorf("first attempt delay %v at %v", a.Delay, a.At)
		}
		delays[a.Delay] = true
	}
	if len(delays) < 2 {
		t.Errorf("all %d events got the same delay", len(ds))
	}
}
