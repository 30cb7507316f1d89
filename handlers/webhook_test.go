package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/webhook"
)

const (
	currentSecret = "current-secret-token-value"
	oldSecret     = "old-secret-token-value"
)

// fakeIntake is a mock in the wtf style: behaviour in a func field.
type fakeIntake struct {
	mu       sync.Mutex
	accepted []grant.Inbound
	AcceptFn func(ctx context.Context, in grant.Inbound) (grant.IntakeResult, error)
}

var _ handlers.EventIntake = (*fakeIntake)(nil)

func (f *fakeIntake) Accept(ctx context.Context, in grant.Inbound) (grant.IntakeResult, error) {
	if f.AcceptFn != nil {
		return f.AcceptFn(ctx, in)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accepted = append(f.accepted, in)
	return grant.IntakeResult{}, nil
}

type fixture struct {
	srv     *httptest.Server
	intake  *fakeIntake
	metrics *metrics.Metrics
	logs    *syncBuffer
	now     time.Time
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{intake: &fakeIntake{}, logs: &syncBuffer{}, now: time.Unix(1_800_000_000, 0)}
	f.metrics = metrics.New(prometheus.NewRegistry(), metrics.BuildInfo{Version: "test"})
	h := handlers.Router(handlers.Deps{
		Secrets: webhook.Secrets{currentSecret, oldSecret},
		Intake:  f.intake,
		Ready:   func(context.Context) error { return nil },
		Metrics: f.metrics,
		Logger:  slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:     func() time.Time { return f.now },
	})
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

const joinedBody = `{"event":"meeting.participant_joined","event_ts":1800000000000,"payload":{"account_id":"acct","object":{"id":85746065432,"uuid":"m-uuid==","host_id":"host1","participant":{"user_id":"16778240","user_name":"Jill","id":"","participant_uuid":"p-uuid","join_time":"2027-01-15T08:00:00Z","email":"jill@example.com"}}}}`

func sign(body, secret, ts string) string {
	return webhook.Sign([]byte(body), ts, secret)
}

func (f *fixture) post(t *testing.T, method, body string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+"/webhooks/zoom", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestWebhookRequests(t *testing.T) {
	ts := "1800000000"
	good := sign(joinedBody, currentSecret, ts)
	respaced := strings.Replace(joinedBody, `"event":`, `"event": `, 1)
	big := `{"event":"meeting.participant_joined","pad":"` + strings.Repeat("x", webhook.MaxBodyBytes) + `"}`
	tests := []struct {
		name        string
		method      string
		body        string
		headers     map[string]string
		wantStatus  int
		wantError   string
		wantOutcome string
		wantStored  bool
	}{
		{"valid", "POST", joinedBody, map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": good, "x-zm-request-id": "r1"}, 200, "", metrics.OutcomeAccepted, true},
		{"old secret during rotation", "POST", joinedBody, map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": sign(joinedBody, oldSecret, ts)}, 200, "", metrics.OutcomeAccepted, true},
		{"wrong secret", "POST", joinedBody, map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": sign(joinedBody, "nope", ts)}, 401, "bad_signature", metrics.OutcomeRejectedSignature, false},
		{"missing signature", "POST", joinedBody, map[string]string{"x-zm-request-timestamp": ts}, 401, "bad_signature", metrics.OutcomeRejectedSignature, false},
		{"missing timestamp", "POST", joinedBody, map[string]string{"x-zm-signature": good}, 401, "bad_timestamp", metrics.OutcomeRejectedTimestamp, false},
		{"stale timestamp", "POST", joinedBody, map[string]string{"x-zm-request-timestamp": "1799999699", "x-zm-signature": sign(joinedBody, currentSecret, "1799999699")}, 401, "bad_timestamp", metrics.OutcomeRejectedTimestamp, false},
		{"future timestamp", "POST", joinedBody, map[string]string{"x-zm-request-timestamp": "1800000301", "x-zm-signature": sign(joinedBody, currentSecret, "1800000301")}, 401, "bad_timestamp", metrics.OutcomeRejectedTimestamp, false},
		{"non-digit timestamp", "POST", joinedBody, map[string]string{"x-zm-request-timestamp": "18000000O0", "x-zm-signature": sign(joinedBody, currentSecret, "18000000O0")}, 401, "bad_timestamp", metrics.OutcomeRejectedTimestamp, false},
		{"body re-spaced after signing", "POST", respaced, map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": good}, 401, "bad_signature", metrics.OutcomeRejectedSignature, false},
		{"oversized", "POST", big, map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": sign(big, currentSecret, ts)}, 413, "body_too_large", metrics.OutcomeTooLarge, false},
		{"wrong method", "GET", "", nil, 405, "method_not_allowed", metrics.OutcomeWrongMethod, false},
		{"wrong method PUT", "PUT", joinedBody, map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": good}, 405, "method_not_allowed", metrics.OutcomeWrongMethod, false},
		{"malformed json, signed", "POST", `{"event":`, map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": sign(`{"event":`, currentSecret, ts)}, 400, "malformed_body", metrics.OutcomeRejectedBody, false},
		{"participant event without participant, signed", "POST", `{"event":"meeting.participant_joined","event_ts":1,"payload":{"object":{"uuid":"u"}}}`,
			map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": sign(`{"event":"meeting.participant_joined","event_ts":1,"payload":{"object":{"uuid":"u"}}}`, currentSecret, ts)}, 400, "malformed_body", metrics.OutcomeRejectedBody, false},
		{"unhandled event, signed", "POST", `{"event":"meeting.sharing_started","event_ts":1,"payload":{}}`,
			map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": sign(`{"event":"meeting.sharing_started","event_ts":1,"payload":{}}`, currentSecret, ts)}, 200, "", metrics.OutcomeIgnored, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			resp, body := f.post(t, tt.method, tt.body, tt.headers)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("body is not JSON: %s", body)
			}
			if e.Error != tt.wantError {
				t.Errorf("error = %q, want %q", e.Error, tt.wantError)
			}
			if got := len(f.intake.accepted); (got == 1) != tt.wantStored {
				t.Errorf("stored %d events, want stored=%v", got, tt.wantStored)
			}
			var n float64
			for _, ev := range []string{"unknown", "other", "meeting.participant_joined"} {
				n += testutil.ToFloat64(f.metrics.WebhookRequests.WithLabelValues(ev, tt.wantOutcome))
			}
			if n != 1 {
				t.Errorf("outcome %s counted %v times, want 1", tt.wantOutcome, n)
			}
			assertNoSecrets(t, f.logs.String(), tt.headers["x-zm-signature"])
		})
	}
}

func assertNoSecrets(t *testing.T, logs string, signature string) {
	t.Helper()
	for _, s := range []string{currentSecret, oldSecret} {
		if strings.Contains(logs, s) {
			t.Fatalf("a secret token appears in the logs:\n%s", logs)
		}
	}
	if signature != "" && strings.Contains(logs, strings.TrimPrefix(signature, "v0=")) {
		t.Fatalf("the signature appears in the logs:\n%s", logs)
	}
}

// The intake gets the normalized event: its keys, and as body the minimized
// form the worker decodes, not the raw bytes.
func TestWebhookStoresNormalizedEvent(t *testing.T) {
	f := setup(t)
	ts := "1800000000"
	resp, body := f.post(t, "POST", joinedBody, map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": sign(joinedBody, currentSecret, ts), "x-zm-request-id": "req-42"})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	in := f.intake.accepted[0]
	if in.DeliveryID != "req-42" || in.Event != "meeting.participant_joined" || in.MeetingID != "85746065432" ||
		in.MeetingUUID != "m-uuid==" || in.ParticipantKey != "p-uuid" || in.AccountID != "acct" ||
		in.EventTime.UnixMilli() != 1800000000000 {
		t.Fatalf("stored %+v", in)
	}
	const want = `{"event":"meeting.participant_joined","event_ts":1800000000000,"payload":{"account_id":"acct","object":{"id":"85746065432",` +
		`"uuid":"m-uuid==","host_id":"host1","participant":{"user_id":"16778240","user_name":"Jill","participant_uuid":"p-uuid","email":"jill@example.com"}}}}`
	if string(in.Body) != want {
		t.Fatalf("stored body\n got %s\nwant %s", in.Body, want)
	}
	if _, err := api.DecodeEvent(in.Body); err != nil {
		t.Fatalf("the stored form does not decode: %v", err)
	}
}

func TestWebhookStoreDownAnswers503(t *testing.T) {
	f := setup(t)
	f.intake.AcceptFn = func(context.Context, grant.Inbound) (grant.IntakeResult, error) {
		return grant.IntakeResult{}, errors.New("connection refused")
	}
	ts := "1800000000"
	resp, body := f.post(t, "POST", joinedBody, map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": sign(joinedBody, currentSecret, ts)})
	if resp.StatusCode != 503 || !strings.Contains(string(body), "store_unavailable") {
		t.Fatalf("status %d body %s, want 503 store_unavailable", resp.StatusCode, body)
	}
	if n := testutil.ToFloat64(f.metrics.WebhookRequests.WithLabelValues("meeting.participant_joined", metrics.OutcomeStoreUnavailable)); n != 1 {
		t.Fatalf("store_unavailable counted %v times", n)
	}
}

func TestWebhookDuplicate(t *testing.T) {
	f := setup(t)
	f.intake.AcceptFn = func(context.Context, grant.Inbound) (grant.IntakeResult, error) {
		return grant.IntakeResult{Duplicate: true}, nil
	}
	ts := "1800000000"
	resp, body := f.post(t, "POST", joinedBody, map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": sign(joinedBody, currentSecret, ts)})
	if resp.StatusCode != 200 || !strings.Contains(string(body), "duplicate") {
		t.Fatalf("status %d body %s, want 200 duplicate", resp.StatusCode, body)
	}
}

func TestURLValidation(t *testing.T) {
	f := setup(t)
	body := `{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}`
	ts := "1800000000"
	// Computed independently of cohost's code:
	//   printf 'qgg8vlvZRS6UYooatFL8Aw' | openssl dgst -sha256 -hmac 'secret-token'
	const wantForSecretToken = "5b72bd117f184f54093c1c3c11499c1d13e6d56dc0d96e6b78fbfecedc953b75"
	if got := webhook.EncryptToken("secret-token", "qgg8vlvZRS6UYooatFL8Aw"); got != wantForSecretToken {
		t.Fatalf("EncryptToken = %s, want %s", got, wantForSecretToken)
	}
	for _, secret := range []string{currentSecret, oldSecret} {
		resp, got := f.post(t, "POST", body, map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": sign(body, secret, ts)})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, got)
		}
		var v struct{ PlainToken, EncryptedToken string }
		if err := json.Unmarshal(got, &v); err != nil {
			t.Fatal(err)
		}
		// Answered with the secret that verified the request: the one Zoom holds.
		if v.PlainToken != "qgg8vlvZRS6UYooatFL8Aw" || v.EncryptedToken != webhook.EncryptToken(secret, "qgg8vlvZRS6UYooatFL8Aw") {
			t.Fatalf("answer %s", got)
		}
	}
	// Unsigned challenges are refused like any other event.
	resp, _ := f.post(t, "POST", body, nil)
	if resp.StatusCode != 401 {
		t.Fatalf("unsigned url_validation answered %d, want 401", resp.StatusCode)
	}
	if len(f.intake.accepted) != 0 {
		t.Fatal("url_validation must not be stored")
	}
}

func TestNoSecretsFailClosed(t *testing.T) {
	h := handlers.Router(handlers.Deps{
		Intake:  &fakeIntake{},
		Ready:   func(context.Context) error { return nil },
		Metrics: metrics.New(prometheus.NewRegistry(), metrics.BuildInfo{}),
	})
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req := httptest.NewRequest("POST", "/webhooks/zoom", strings.NewReader(joinedBody))
	req.Header.Set("x-zm-request-timestamp", ts)
	req.Header.Set("x-zm-signature", sign(joinedBody, "", ts))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Fatalf("with no secrets, a delivery signed with the empty key got %d, want 401", rec.Code)
	}
}

func TestHealthAndReady(t *testing.T) {
	var readyErr error
	h := handlers.Router(handlers.Deps{
		Secrets: webhook.Secrets{"s"}, Intake: &fakeIntake{},
		Ready:   func(context.Context) error { return readyErr },
		Metrics: metrics.New(prometheus.NewRegistry(), metrics.BuildInfo{}),
	})
	for _, tc := range []struct {
		path string
		err  error
		want int
	}{
		{"/healthz", nil, 200},
		{"/readyz", nil, 200},
		{"/readyz", errors.New("database unreachable"), 503},
		{"/healthz", errors.New("database unreachable"), 200},
		{"/nope", nil, 404},
	} {
		readyErr = tc.err
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if rec.Code != tc.want {
			t.Errorf("GET %s with ready error %v = %d, want %d", tc.path, tc.err, rec.Code, tc.want)
		}
	}
}

func FuzzWebhookHandler(f *testing.F) {
	f.Add([]byte(joinedBody), "1800000000", true)
	f.Add([]byte(`{"event":"endpoint.url_validation","event_ts":1,"payload":{"plainToken":"x"}}`), "1800000000", true)
	f.Add([]byte(`{}`), "1800000000", true)
	f.Add([]byte(`{"event":"meeting.started"`), "x", false)
	metricsFor := metrics.New(prometheus.NewRegistry(), metrics.BuildInfo{})
	h := handlers.Router(handlers.Deps{
		Secrets: webhook.Secrets{currentSecret}, Intake: &fakeIntake{},
		Ready: func(context.Context) error { return nil }, Metrics: metricsFor,
		Now: func() time.Time { return time.Unix(1_800_000_000, 0) },
	})
	f.Fuzz(func(t *testing.T, body []byte, ts string, signIt bool) {
		req := httptest.NewRequest("POST", "/webhooks/zoom", bytes.NewReader(body))
		req.Header.Set("x-zm-request-timestamp", ts)
		if signIt {
			req.Header.Set("x-zm-signature", webhook.Sign(body, ts, currentSecret))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 401, 413:
		default:
			t.Fatalf("unexpected status %d for body %q", rec.Code, body)
		}
		if !signIt && rec.Code == 200 {
			t.Fatalf("unsigned request accepted")
		}
	})
}

// /readyz is on the public listener: a caller learns that cohostd is not
// ready, in fixed words; the cause, which names the database's user, host
// and port, goes to the log only.
func TestReadyzHidesTheCause(t *testing.T) {
	cause := errors.New(`database not writable: failed to connect to user=cohost database=cohost_prod host=db.internal:5432: dial tcp 10.0.0.7:5432: connection refused`)
	logs := &syncBuffer{}
	h := handlers.Router(handlers.Deps{
		Secrets: webhook.Secrets{"s"}, Intake: &fakeIntake{},
		Ready:   func(context.Context) error { return cause },
		Metrics: metrics.New(prometheus.NewRegistry(), metrics.BuildInfo{}),
		Logger:  slog.New(slog.NewJSONHandler(logs, nil)),
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	var e api.ErrorResponse
	if rec.Code != 503 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error != "not_ready" || e.Detail == "" {
		t.Fatalf("GET /readyz = %d %s, want 503 not_ready", rec.Code, rec.Body)
	}
	for _, leak := range []string{"cohost_prod", "db.internal", "5432", "10.0.0.7", "user=", "refused"} {
		if strings.Contains(rec.Body.String(), leak) {
			t.Errorf("the answer tells a caller %q: %s", leak, rec.Body)
		}
	}
	if !strings.Contains(logs.String(), "db.internal:5432") {
		t.Errorf("the log does not have the cause: %s", logs.String())
	}
}
