package zoomclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Test credentials. Every secret contains "SECRET" so a leak is easy to spot.
const (
	testClientID     = "test-client-id"
	testClientSecret = "cs-SECRET-5f1e9c0a77"
	testAccountID    = "acct-AbC123"
	testMeetingID    = int64(85746065432)
)

var testEpoch = time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)

// fakeClock is the client's clock in tests: Sleep advances it at once, so
// backoffs, pauses and expiries cost no wall-clock time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: testEpoch} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fakeZoomOAuth is Zoom's token endpoint: account_credentials,
// authorization_code and rotating refresh tokens. A refresh token is valid
// once; presenting a used one answers 400 invalid_request "Invalid Token!"
// (Zoom's answer) and counts as a stale use, which tests assert never happens.
type fakeZoomOAuth struct {
	t         *testing.T
	expiresIn int

	mu            sync.Mutex
	n             int
	requests      map[string]int // by grant type
	validRefresh  map[string]bool
	usedRefresh   map[string]bool
	codes         map[string]string // code → account the tokens belong to
	accountOf     map[string]string // access token → account
	staleRefresh  int
	delay         time.Duration
	fail          func(r *http.Request, grant string) (status int, body string, handled bool)
	lastAuthzHdr  string
	lastAccountID string
}

func newFakeZoomOAuth(t *testing.T) *fakeZoomOAuth {
	return &fakeZoomOAuth{
		t:            t,
		expiresIn:    3600,
		requests:     make(map[string]int),
		validRefresh: make(map[string]bool),
		usedRefresh:  make(map[string]bool),
		codes:        make(map[string]string),
		accountOf:    make(map[string]string),
	}
}

func (f *fakeZoomOAuth) count(grant string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[grant]
}

func (f *fakeZoomOAuth) stale() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.staleRefresh
}

// issueRefresh makes rt a valid refresh token for acct (as an install would).
func (f *fakeZoomOAuth) issueRefresh(rt string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.validRefresh[rt] = true
}

func (f *fakeZoomOAuth) addCode(code, acct string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes[code] = acct
}

func (f *fakeZoomOAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "form", http.StatusBadRequest)
		return
	}
	grant := r.PostForm.Get("grant_type")
	f.mu.Lock()
	f.requests[grant]++
	f.n++
	n := f.n
	f.lastAuthzHdr = r.Header.Get("Authorization")
	f.lastAccountID = r.PostForm.Get("account_id")
	delay, fail := f.delay, f.fail
	f.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	if fail != nil {
		if status, body, ok := fail(r, grant); ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
			return
		}
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(testClientID+":"+testClientSecret))
	if r.Header.Get("Authorization") != want {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
		return
	}
	resp := map[string]any{"token_type": "bearer", "expires_in": f.expiresIn, "scope": "meeting:read:meeting:admin user:read:zak:admin"}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch grant {
	case grantAccountCredentials:
		at := fmt.Sprintf("at-SECRET-s2s-%d", n)
		f.accountOf[at] = r.PostForm.Get("account_id")
		resp["access_token"] = at
	case grantAuthorizationCode:
		acct, ok := f.codes[r.PostForm.Get("code")]
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]string{"reason": "Invalid authorization code " + r.PostForm.Get("code"), "error": "invalid_request"})
			return
		}
		delete(f.codes, r.PostForm.Get("code"))
		at, rt := fmt.Sprintf("at-SECRET-oauth-%d", n), fmt.Sprintf("rt-SECRET-%d", n)
		f.accountOf[at] = acct
		f.accountOf[rt] = acct
		f.validRefresh[rt] = true
		resp["access_token"], resp["refresh_token"] = at, rt
	case grantRefreshToken:
		old := r.PostForm.Get("refresh_token")
		if !f.validRefresh[old] {
			if f.usedRefresh[old] {
				f.staleRefresh++
			}
			writeJSON(w, http.StatusBadRequest, map[string]string{"reason": "Invalid Token!", "error": "invalid_request"})
			return
		}
		delete(f.validRefresh, old)
		f.usedRefresh[old] = true
		at, rt := fmt.Sprintf("at-SECRET-oauth-%d", n), fmt.Sprintf("rt-SECRET-%d", n)
		f.accountOf[at] = f.accountOf[old]
		f.accountOf[rt] = f.accountOf[old]
		f.validRefresh[rt] = true
		resp["access_token"], resp["refresh_token"] = at, rt
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"reason": "unsupported grant type", "error": "unsupported_grant_type"})
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// testEnv is one fake Zoom (API under /v2, OAuth under /oauth) and the pieces
// a test inspects.
type testEnv struct {
	server *httptest.Server
	mux    *http.ServeMux
	oauth  *fakeZoomOAuth
	clock  *fakeClock
	store  *MemoryTokenStore
	logs   *syncBuffer
	cfg    Config
	sealer *Sealer
}

// setup starts a fake Zoom and returns an s2s client bound to testAccountID,
// with a fake clock, no client-side rate limit, and no jitter. opts adjust
// the Config before the client is made.
func setup(t *testing.T, opts ...func(*Config)) (*Client, *http.ServeMux, *testEnv) {
	t.Helper()
	env := newEnv(t)
	c := env.newClient(t, opts...)
	return c, env.mux, env
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	env := &testEnv{
		mux:   http.NewServeMux(),
		oauth: newFakeZoomOAuth(t),
		clock: newFakeClock(),
		store: NewMemoryTokenStore(),
		logs:  &syncBuffer{},
	}
	env.store.Now = env.clock.Now
	env.mux.Handle("/oauth/token", env.oauth)
	env.server = httptest.NewServer(env.mux)
	t.Cleanup(env.server.Close)
	sealer, err := NewSealer(bytes.Repeat([]byte{7}, SealerKeySize))
	if err != nil {
		t.Fatal(err)
	}
	env.sealer = sealer
	return env
}

func (env *testEnv) newClient(t *testing.T, opts ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Mode:         ModeS2S,
		AccountID:    testAccountID,
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		RedirectURL:  "https://cohost.example/oauth/callback",
		APIURL:       env.server.URL + "/v2",
		OAuthURL:     env.server.URL,
		Store:        env.store,
		Sealer:       env.sealer,
		HTTPClient:   env.server.Client(),
		Logger:       slog.New(slog.NewJSONHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RateLimits:   RateLimits{Light: -1, Medium: -1, Heavy: -1},
		Now:          env.clock.Now,
		Sleep:        env.clock.Sleep,
		Jitter:       func() float64 { return 0 },
		StateKey:     []byte("test-state-key-0123456789abcdef!"),
	}
	for _, o := range opts {
		o(&cfg)
	}
	env.cfg = cfg
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// oauthMode switches a Config to oauth mode (no default account).
func oauthMode(cfg *Config) {
	cfg.Mode = ModeOAuth
	cfg.AccountID = ""
}

// realTime gives the client the wall clock, for tests where replicas race.
func realTime(env *testEnv) func(*Config) {
	return func(cfg *Config) {
		cfg.Now = time.Now
		cfg.Sleep = nil
		cfg.LeasePoll = 2 * time.Millisecond
		env.store.Now = time.Now
	}
}

// install makes acct an installed account in the store, as the callback
// would, with refresh token rt valid at the fake Zoom.
func (env *testEnv) install(t *testing.T, acct, at, rt string, expiry time.Time) {
	t.Helper()
	env.oauth.issueRefresh(rt)
	env.oauth.mu.Lock()
	env.oauth.accountOf[at] = acct
	env.oauth.accountOf[rt] = acct
	env.oauth.mu.Unlock()
	_, err := env.store.SaveToken(context.Background(), TokenRecord{
		AccountID:    acct,
		AccessToken:  env.sealer.Seal([]byte(at), acct, fieldAccessToken),
		RefreshToken: env.sealer.Seal([]byte(rt), acct, fieldRefreshToken),
		TokenType:    "bearer",
		Expiry:       expiry,
	}, 0)
	if err != nil {
		t.Fatalf("install: %v", err)
	}
}

// bearer returns the access token of an API request.
func bearer(r *http.Request) string {
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
}

// counter counts requests to a handler and remembers their tokens and times.
type counter struct {
	n      atomic.Int32
	mu     sync.Mutex
	tokens []string
	times  []time.Time
}

func (c *counter) hit(r *http.Request, now time.Time) int {
	c.mu.Lock()
	c.tokens = append(c.tokens, bearer(r))
	c.times = append(c.times, now)
	c.mu.Unlock()
	return int(c.n.Add(1))
}

func (c *counter) Tokens() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.tokens...)
}

func (c *counter) Times() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.times...)
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if r.Method != want {
		t.Errorf("request method = %s, want %s", r.Method, want)
	}
}

const meetingPath = "/v2/meetings/85746065432"

// okMeeting answers GET /meetings/{id} with a minimal meeting.
func okMeeting(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{"id": testMeetingID, "host_id": "host-1"})
}
