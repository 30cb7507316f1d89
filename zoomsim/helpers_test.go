package zoomsim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// t0 is where ManualClock-driven tests start.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// harness is a Sim served over real HTTP with one default account.
type harness struct {
	t     *testing.T
	sim   *Sim
	srv   *httptest.Server
	clock *ManualClock
	acct  Account
	host  User
}

// newHarness serves a Sim for cfg; with manual it drives the sim with a ManualClock at t0.
func newHarness(t *testing.T, cfg Config, manual bool) *harness {
	t.Helper()
	h := &harness{t: t}
	if manual {
		h.clock = NewManualClock(t0)
		cfg.Clock = h.clock
	}
	if cfg.Seed == 0 {
		cfg.Seed = 42
	}
	h.sim = New(cfg)
	h.srv = httptest.NewServer(h.sim.Handler())
	t.Cleanup(func() {
		h.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.sim.Close(ctx); err != nil {
			t.Errorf("close sim: %v", err)
		}
	})
	var err error
	h.acct, h.host, err = h.sim.AddDefaultAccount("acct-1")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) now() time.Time {
	if h.clock != nil {
		return h.clock.Now()
	}
	return time.Now()
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends a request with an optional bearer token and JSON body; it returns status, headers, body.
func (h *harness) do(method, path, bearer string, body any) (int, http.Header, []byte) {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

// tokenRequest posts to /oauth/token with Basic credentials and form values.
func (h *harness) tokenRequest(clientID, secret string, form url.Values) (int, map[string]any) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if clientID != "" || secret != "" {
		req.SetBasicAuth(clientID, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// s2sToken gets an account_credentials token for the default account.
func (h *harness) s2sToken() string {
	h.t.Helper()
	st, body := h.tokenRequest(h.acct.ClientID, h.acct.ClientSecret, url.Values{
		"grant_type": {"account_credentials"}, "account_id": {h.acct.ID},
	})
	if st != http.StatusOK {
		h.t.Fatalf("token: %d %v", st, body)
	}
	return body["access_token"].(string)
}

// startedMeeting creates and starts a meeting of the default host.
func (h *harness) startedMeeting() Meeting {
	h.t.Helper()
	m, err := h.sim.CreateMeeting(MeetingSpec{HostID: h.host.ID, Topic: "Standup"})
	if err != nil {
		h.t.Fatal(err)
	}
	if m, err = h.sim.StartMeeting(m.ID); err != nil {
		h.t.Fatal(err)
	}
	return m
}

func decodeJSON(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return m
}

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// verifyZoomWebhook checks a delivery the way Zoom's docs tell receivers to, written here from
// https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events and independent of the
// simulator's signing code: message = "v0:" + x-zm-request-timestamp + ":" + raw body,
// HMAC-SHA256 with the secret token, hex, compared with x-zm-signature after "v0=".
func verifyZoomWebhook(secret string, hdr http.Header, body []byte, now time.Time) error {
	ts := hdr.Get("x-zm-request-timestamp")
	sig := hdr.Get("x-zm-signature")
	if ts == "" || sig == "" {
		return errors.New("missing signature headers")
	}
	var sec int64
	if _, err := fmt.Sscanf(ts, "%d", &sec); err != nil {
		return fmt.Errorf("timestamp %q", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("stale timestamp %s", ts)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":" + string(body)))
	want := "v0=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return errors.New("signature mismatch")
	}
	return nil
}

// receiver is a webhook endpoint that records what it gets and answers status(n) for the n-th
// request (1-based).
type receiver struct {
	srv    *httptest.Server
	n      atomic.Int64
	status func(n int64) int
	slow   func(n int64) time.Duration

	mu   sync.Mutex
	reqs []receivedReq
}

type receivedReq struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, status func(n int64) int, slow func(n int64) time.Duration) *receiver {
	r := &receiver{status: status, slow: slow}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := r.n.Add(1)
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, receivedReq{header: req.Header.Clone(), body: body})
		r.mu.Unlock()
		if r.slow != nil {
			time.Sleep(r.slow(n))
		}
		st := http.StatusOK
		if r.status != nil {
			st = r.status(n)
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) received() []receivedReq {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedReq(nil), r.reqs...)
}

// agentJWT mints the bearer JWT of the agent contract at now; mod edits the claims.
func agentJWT(t *testing.T, secret string, now time.Time, mod func(jwt.MapClaims)) string {
	t.Helper()
	c := jwt.MapClaims{
		"iss": "cohostd", "aud": "cohost-agent",
		"iat": now.Unix(), "exp": now.Add(30 * time.Second).Unix(),
		"jti": fmt.Sprintf("jti-%d", jtiSeq.Add(1)),
	}
	if mod != nil {
		mod(c)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var jtiSeq atomic.Int64

// sdkSignature mints a Meeting SDK signature as Zoom's sample auth endpoint does.
func sdkSignature(t *testing.T, key, secret string, meetingID int64, now time.Time, mod func(jwt.MapClaims)) string {
	t.Helper()
	iat := now.Add(-30 * time.Second).Unix()
	exp := iat + 2*3600
	c := jwt.MapClaims{
		"appKey": key, "sdkKey": key, "mn": fmt.Sprint(meetingID), "role": 1,
		"iat": iat, "exp": exp, "tokenExp": exp,
	}
	if mod != nil {
		mod(c)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
