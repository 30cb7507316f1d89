package zoomclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestS2S_tokenRequest(t *testing.T) {
	client, mux, env := setup(t)
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) { okMeeting(w) })
	if _, _, err := client.Meetings.Get(context.Background(), testMeetingID); err != nil {
		t.Fatal(err)
	}
	env.oauth.mu.Lock()
	defer env.oauth.mu.Unlock()
	if got := env.oauth.requests[grantAccountCredentials]; got != 1 {
		t.Errorf("account_credentials requests = %d, want 1", got)
	}
	if env.oauth.lastAccountID != testAccountID {
		t.Errorf("account_id = %q, want %q", env.oauth.lastAccountID, testAccountID)
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(testClientID+":"+testClientSecret))
	if env.oauth.lastAuthzHdr != want {
		t.Errorf("token request Authorization = %q, want HTTP Basic client credentials", env.oauth.lastAuthzHdr)
	}
}

// 50 concurrent calls on a cold cache make exactly one token request.
func TestS2S_concurrentColdCacheOneTokenRequest(t *testing.T) {
	client, mux, env := setup(t)
	env.oauth.delay = 20 * time.Millisecond // keep the flight open while the others arrive
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls.hit(r, time.Time{})
		okMeeting(w)
	})
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, _, err := client.Meetings.Get(context.Background(), testMeetingID)
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Meetings.Get: %v", err)
		}
	}
	if got := env.oauth.count(grantAccountCredentials); got != 1 {
		t.Errorf("token requests = %d, want exactly 1", got)
	}
	for _, tok := range calls.Tokens() {
		if tok != "at-SECRET-s2s-1" {
			t.Errorf("API call used token %q, want the single shared one", tok)
		}
	}
}

// A token within 60 s of expiry is replaced before it is used.
func TestS2S_refreshedBeforeExpiry(t *testing.T) {
	client, mux, env := setup(t)
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls.hit(r, env.clock.Now())
		okMeeting(w)
	})
	get := func() {
		t.Helper()
		if _, _, err := client.Meetings.Get(context.Background(), testMeetingID); err != nil {
			t.Fatal(err)
		}
	}
	get()
	env.clock.Advance(3600*time.Second - 61*time.Second) // 61 s left: still good
	get()
	env.clock.Advance(2 * time.Second) // 59 s left: must be replaced first
	get()
	want := []string{"at-SECRET-s2s-1", "at-SECRET-s2s-1", "at-SECRET-s2s-2"}
	if diff := cmp.Diff(want, calls.Tokens()); diff != "" {
		t.Errorf("tokens used (-want +got):\n%s", diff)
	}
	if got := env.oauth.count(grantAccountCredentials); got != 2 {
		t.Errorf("token requests = %d, want 2", got)
	}
}

// 124 → exactly one refresh and one retry.
func TestS2S_invalidTokenRefreshesOnce(t *testing.T) {
	client, mux, env := setup(t)
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		if calls.hit(r, time.Time{}) == 1 {
			// Another replica's new token invalidated ours (Zoom, 2022).
			writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 124, "message": "Invalid access token."})
			return
		}
		okMeeting(w)
	})
	m, _, err := client.Meetings.Get(context.Background(), testMeetingID)
	if err != nil {
		t.Fatalf("Meetings.Get: %v", err)
	}
	if m.ID != testMeetingID {
		t.Errorf("ID = %d", m.ID)
	}
	if diff := cmp.Diff([]string{"at-SECRET-s2s-1", "at-SECRET-s2s-2"}, calls.Tokens()); diff != "" {
		t.Errorf("tokens used (-want +got):\n%s", diff)
	}
	if got := env.oauth.count(grantAccountCredentials); got != 2 {
		t.Errorf("token requests = %d, want 2 (one forced refresh)", got)
	}
}

// A second 124 is an error that says so; still only one refresh.
func TestS2S_invalidTokenTwice(t *testing.T) {
	client, mux, env := setup(t)
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls.hit(r, time.Time{})
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 124, "message": "Invalid access token."})
	})
	_, resp, err := client.Meetings.Get(context.Background(), testMeetingID)
	if !errors.Is(err, ErrAccessTokenRejected) {
		t.Fatalf("err = %v, want ErrAccessTokenRejected", err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 124 || apiErr.Status != 401 {
		t.Errorf("err does not carry Zoom's 401/124: %v", err)
	}
	if resp == nil || resp.StatusCode != 401 {
		t.Errorf("resp = %v, want the last 401", resp)
	}
	if got := calls.n.Load(); got != 2 {
		t.Errorf("API calls = %d, want 2 (one retry)", got)
	}
	if got := env.oauth.count(grantAccountCredentials); got != 2 {
		t.Errorf("token requests = %d, want 2", got)
	}
}

// Concurrent 124s of one account share one forced refresh.
func TestS2S_concurrentInvalidTokenOneRefresh(t *testing.T) {
	client, mux, env := setup(t)
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		if bearer(r) == "at-SECRET-s2s-1" {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 124, "message": "Invalid access token."})
			return
		}
		okMeeting(w)
	})
	// Warm the cache with token 1.
	if _, err := client.tokensFor(context.Background()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := client.Meetings.Get(context.Background(), testMeetingID); err != nil {
				t.Errorf("Meetings.Get: %v", err)
			}
		}()
	}
	wg.Wait()
	if got := env.oauth.count(grantAccountCredentials); got != 2 {
		t.Errorf("token requests = %d, want 2 (the first and one shared refresh)", got)
	}
}

// Two replicas sharing one store make one token request between them.
func TestS2S_twoReplicasShareOneToken(t *testing.T) {
	env := newEnv(t)
	env.oauth.delay = 30 * time.Millisecond
	a := env.newClient(t, realTime(env))
	b := env.newClient(t, realTime(env))
	var calls counter
	env.mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls.hit(r, time.Time{})
		okMeeting(w)
	})
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 40 {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, _, err := c.Meetings.Get(context.Background(), testMeetingID); err != nil {
				t.Errorf("Meetings.Get: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if got := env.oauth.count(grantAccountCredentials); got != 1 {
		t.Errorf("token requests across two replicas = %d, want 1", got)
	}
	for _, tok := range calls.Tokens() {
		if tok != "at-SECRET-s2s-1" {
			t.Errorf("a replica used %q, want the shared token", tok)
		}
	}
}

func TestS2S_badCredentialsNotRetried(t *testing.T) {
	client, mux, env := setup(t, func(cfg *Config) { cfg.ClientSecret = "cs-SECRET-wrong-123" })
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		t.Error("the API was called without a token")
	})
	_, _, err := client.Meetings.Get(context.Background(), testMeetingID)
	var te *TokenError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *TokenError", err)
	}
	want := &TokenError{Grant: grantAccountCredentials, Status: 401, Code: "invalid_client", Reason: "Invalid client_id or client_secret"}
	if diff := cmp.Diff(want, te, cmp.AllowUnexported(TokenError{})); diff != "" {
		t.Errorf("TokenError mismatch (-want +got):\n%s", diff)
	}
	if got := env.oauth.count(grantAccountCredentials); got != 1 {
		t.Errorf("token requests = %d, want 1 (a rejected grant is not retried)", got)
	}
}

func TestS2S_tokenEndpoint5xxRetried(t *testing.T) {
	client, mux, env := setup(t)
	failures := 2
	env.oauth.fail = func(r *http.Request, grant string) (int, string, bool) {
		if failures > 0 {
			failures--
			return http.StatusServiceUnavailable, `{"reason":"busy","error":"temporarily_unavailable"}`, true
		}
		return 0, "", false
	}
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) { okMeeting(w) })
	if _, _, err := client.Meetings.Get(context.Background(), testMeetingID); err != nil {
		t.Fatalf("Meetings.Get: %v", err)
	}
	if got := env.oauth.count(grantAccountCredentials); got != 3 {
		t.Errorf("token requests = %d, want 3", got)
	}
	if got := len(env.clock.Sleeps()); got != 2 {
		t.Errorf("backoff sleeps = %d, want 2", got)
	}
}

func TestNewConfigErrors(t *testing.T) {
	sealer, _ := NewSealer(make([]byte, 32))
	for name, cfg := range map[string]Config{
		"bad mode":                          {Mode: "jwt", ClientID: "i", ClientSecret: "s", AccountID: "a"},
		"no secret":                         {ClientID: "i", AccountID: "a"},
		"s2s no account":                    {ClientID: "i", ClientSecret: "s"},
		"oauth no sealer":                   {Mode: ModeOAuth, ClientID: "i", ClientSecret: "s", RedirectURL: "https://x/cb"},
		"oauth no redirect":                 {Mode: ModeOAuth, ClientID: "i", ClientSecret: "s", Sealer: sealer},
		"relative API URL":                  {ClientID: "i", ClientSecret: "s", AccountID: "a", APIURL: "/v2"},
		"API URL with userinfo":             {ClientID: "i", ClientSecret: "s", AccountID: "a", APIURL: "https://u:p@api.zoom.us/v2"},
		"lease shorter than token time-out": {ClientID: "i", ClientSecret: "s", AccountID: "a", LeaseTTL: time.Second, TokenTimeout: 2 * time.Second},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

// tokensFor is a test hook: the token the client would use now.
func (c *Client) tokensFor(ctx context.Context) (*accessToken, error) {
	return c.core.tokens.token(ctx, c.accountID, 0)
}

// Without COHOST_ENCRYPTION_KEY an s2s client still never stores a token in
// clear: it seals with a key derived from its client secret, which every
// replica holds, so two replicas still share one token.
func TestS2S_storedTokenIsSealedWithoutAKey(t *testing.T) {
	env := newEnv(t)
	noKey := func(cfg *Config) { cfg.Sealer = nil }
	a := env.newClient(t, noKey)
	b := env.newClient(t, noKey)
	var calls counter
	env.mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls.hit(r, time.Time{})
		okMeeting(w)
	})
	for _, c := range []*Client{a, b} {
		if _, _, err := c.Meetings.Get(context.Background(), testMeetingID); err != nil {
			t.Fatal(err)
		}
	}
	if got := env.oauth.count(grantAccountCredentials); got != 1 {
		t.Fatalf("token requests = %d, want 1 shared through the store", got)
	}
	rec, err := env.store.LoadToken(context.Background(), testAccountID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(rec.AccessToken, []byte("at-SECRET")) || len(rec.RefreshToken) != 0 {
		t.Fatalf("the stored access token is in clear: %q", rec.AccessToken)
	}
	derived, err := SealerFromClientSecret(testClientID, testClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	if at, err := derived.Open(rec.AccessToken, testAccountID, fieldAccessToken); err != nil || string(at) != "at-SECRET-s2s-1" {
		t.Fatalf("the stored token opens to %q, %v with the key derived from the client secret", at, err)
	}
	// The store alone, or another app's secret, opens nothing.
	for _, other := range [][2]string{{testClientID, "another-secret"}, {"another-client", testClientSecret}} {
		s, err := SealerFromClientSecret(other[0], other[1])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(rec.AccessToken, testAccountID, fieldAccessToken); !errors.Is(err, ErrUnseal) {
			t.Fatalf("a key derived from %q opens the token: %v", other, err)
		}
	}
}

// A token an older build stored in clear is never used: the client fetches a
// new one and stores it sealed in its place.
func TestS2S_clearTokenFromAnOlderBuildIsReplaced(t *testing.T) {
	env := newEnv(t)
	if _, err := env.store.SaveToken(context.Background(), TokenRecord{AccountID: testAccountID, AccessToken: []byte("at-SECRET-clear"),
		TokenType: "bearer", Expiry: testEpoch.Add(time.Hour)}, 0); err != nil {
		t.Fatal(err)
	}
	client := env.newClient(t, func(cfg *Config) { cfg.Sealer = nil })
	var calls counter
	env.mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls.hit(r, time.Time{})
		okMeeting(w)
	})
	if _, _, err := client.Meetings.Get(context.Background(), testMeetingID); err != nil {
		t.Fatal(err)
	}
	if got := calls.Tokens(); len(got) != 1 || got[0] != "at-SECRET-s2s-1" {
		t.Fatalf("API calls used %q, want a new token", got)
	}
	rec, err := env.store.LoadToken(context.Background(), testAccountID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(rec.AccessToken, []byte("at-SECRET")) {
		t.Fatalf("the store still holds a token in clear: %q", rec.AccessToken)
	}
}

func TestSealerFromClientSecret(t *testing.T) {
	a, err := SealerFromClientSecret("cid", "secret")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := SealerFromClientSecret("cid", "secret")
	sealed := a.Seal([]byte("token"), "acct", fieldAccessToken)
	if pt, err := b.Open(sealed, "acct", fieldAccessToken); err != nil || string(pt) != "token" {
		t.Fatalf("the same secret derives another key: %q, %v", pt, err)
	}
	if _, err := SealerFromClientSecret("cid", ""); err == nil {
		t.Fatal("an empty client secret derives a key")
	}
}
