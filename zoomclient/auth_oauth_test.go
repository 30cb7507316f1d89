package zoomclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

const installedAccount = "acct-Installed9"

func TestOAuth_AuthorizeURL(t *testing.T) {
	client, _, env := setup(t, oauthMode)
	state, nonce, err := client.OAuth.NewState()
	if err != nil {
		t.Fatal(err)
	}
	if nonce == "" || state == "" {
		t.Fatal("empty state or nonce")
	}
	raw, err := client.OAuth.AuthorizeURL(state)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Scheme+"://"+u.Host+u.Path, env.server.URL+"/oauth/authorize"; got != want {
		t.Errorf("authorize endpoint = %q, want %q", got, want)
	}
	want := url.Values{
		"response_type": {"code"},
		"client_id":     {testClientID},
		"redirect_uri":  {"https://cohost.example/oauth/callback"},
		"state":         {state},
	}
	if diff := cmp.Diff(want, u.Query()); diff != "" {
		t.Errorf("authorize query (-want +got):\n%s", diff)
	}
	if strings.Contains(raw, testClientSecret) {
		t.Error("authorize URL contains the client secret")
	}
}

func TestOAuth_wrongMode(t *testing.T) {
	client, _, _ := setup(t) // s2s
	if _, _, err := client.OAuth.NewState(); !errors.Is(err, ErrWrongMode) {
		t.Errorf("NewState in s2s mode: %v", err)
	}
	if _, err := client.OAuth.AuthorizeURL("x"); !errors.Is(err, ErrWrongMode) {
		t.Errorf("AuthorizeURL in s2s mode: %v", err)
	}
	if _, err := client.OAuth.Exchange(context.Background(), "code"); !errors.Is(err, ErrWrongMode) {
		t.Errorf("Exchange in s2s mode: %v", err)
	}
}

func TestOAuth_State(t *testing.T) {
	client, _, env := setup(t, oauthMode)
	key := env.cfg.StateKey
	sign := func(claims jwt.Claims, method jwt.SigningMethod, k any) string {
		s, err := jwt.NewWithClaims(method, claims).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	now := env.clock.Now()
	claims := func(mut func(*jwt.RegisteredClaims)) jwt.RegisteredClaims {
		c := jwt.RegisteredClaims{
			Issuer:    stateIssuer,
			Audience:  jwt.ClaimStrings{stateAudience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute)),
			ID:        "nonce-1",
		}
		if mut != nil {
			mut(&c)
		}
		return c
	}

	good, goodNonce, err := client.OAuth.NewState()
	if err != nil {
		t.Fatal(err)
	}
	if err := client.OAuth.VerifyState(good, goodNonce); err != nil {
		t.Fatalf("VerifyState of a fresh state: %v", err)
	}

	tampered := []byte(good)
	i := strings.LastIndexByte(good, '.') + 3
	tampered[i] ^= 0x01
	if tampered[i] == '.' {
		tampered[i] = 'A'
	}

	for _, tc := range []struct {
		name, state, nonce string
		want               error
	}{
		{"hand-made valid", sign(claims(nil), jwt.SigningMethodHS256, key), "nonce-1", nil},
		{"tampered signature", string(tampered), goodNonce, ErrInvalidState},
		{"other key", sign(claims(nil), jwt.SigningMethodHS256, []byte("another-key-0123456789abcdefgh")), "nonce-1", ErrInvalidState},
		{"wrong audience", sign(claims(func(c *jwt.RegisteredClaims) { c.Audience = jwt.ClaimStrings{"cohost-agent"} }), jwt.SigningMethodHS256, key), "nonce-1", ErrInvalidState},
		{"wrong issuer", sign(claims(func(c *jwt.RegisteredClaims) { c.Issuer = "zoom" }), jwt.SigningMethodHS256, key), "nonce-1", ErrInvalidState},
		{"expired", sign(claims(func(c *jwt.RegisteredClaims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(-20 * time.Minute))
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-10 * time.Minute))
		}), jwt.SigningMethodHS256, key), "nonce-1", ErrStateExpired},
		{"no expiry", sign(claims(func(c *jwt.RegisteredClaims) { c.ExpiresAt = nil }), jwt.SigningMethodHS256, key), "nonce-1", ErrInvalidState},
		{"lifetime too long", sign(claims(func(c *jwt.RegisteredClaims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(48 * time.Hour)) }), jwt.SigningMethodHS256, key), "nonce-1", ErrInvalidState},
		{"HS512", sign(claims(nil), jwt.SigningMethodHS512, key), "nonce-1", ErrInvalidState},
		{"alg none", sign(claims(nil), jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType), "nonce-1", ErrInvalidState},
		{"other browser", good, "nonce-of-someone-else", ErrInvalidState},
		{"no nonce", good, "", ErrInvalidState},
		{"empty", "", goodNonce, ErrInvalidState},
		{"garbage", "not.a.jwt", goodNonce, ErrInvalidState},
		{"huge", strings.Repeat("a", 5000), goodNonce, ErrInvalidState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := client.OAuth.VerifyState(tc.state, tc.nonce)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("VerifyState: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("VerifyState = %v, want %v", err, tc.want)
			}
		})
	}

	// A genuine state expires after StateTTL.
	env.clock.Advance(DefaultStateTTL + time.Minute)
	if err := client.OAuth.VerifyState(good, goodNonce); !errors.Is(err, ErrStateExpired) {
		t.Fatalf("VerifyState after the TTL = %v, want ErrStateExpired", err)
	}
}

func TestOAuth_Exchange(t *testing.T) {
	client, mux, env := setup(t, oauthMode)
	env.oauth.addCode("code-SECRET-1", installedAccount)
	mux.HandleFunc("/v2/users/me", func(w http.ResponseWriter, r *http.Request) {
		if got := bearer(r); !strings.HasPrefix(got, "at-SECRET-oauth-") {
			t.Errorf("GET /users/me with token %q, want the new install's", got)
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": "user-9", "email": "admin@example.com", "type": 2, "account_id": installedAccount})
	})
	mux.HandleFunc("/v2/users/user-9", func(w http.ResponseWriter, r *http.Request) {
		if got := bearer(r); got != "at-SECRET-oauth-1" {
			t.Errorf("API call with token %q, want the installed one", got)
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": "user-9", "type": 2})
	})

	inst, err := client.OAuth.Exchange(context.Background(), "code-SECRET-1")
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	want := &Installation{AccountID: installedAccount, UserID: "user-9", UserEmail: "admin@example.com",
		Scopes: []string{"meeting:read:meeting:admin", "user:read:zak:admin"}}
	if diff := cmp.Diff(want, inst); diff != "" {
		t.Errorf("Installation (-want +got):\n%s", diff)
	}

	// Stored sealed: the store never sees the tokens in clear.
	rec, err := env.store.LoadToken(context.Background(), installedAccount)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(rec.RefreshToken, []byte("rt-SECRET")) || bytes.Contains(rec.AccessToken, []byte("at-SECRET")) {
		t.Error("the store holds a token in clear")
	}
	rt, err := env.sealer.Open(rec.RefreshToken, installedAccount, fieldRefreshToken)
	if err != nil || string(rt) != "rt-SECRET-1" {
		t.Errorf("stored refresh token = %q, %v", rt, err)
	}

	// The installed account is usable.
	if _, _, err := client.Account(installedAccount).Users.Get(context.Background(), "user-9"); err != nil {
		t.Fatalf("Users.Get after install: %v", err)
	}

	// A second install of the same account replaces the first.
	env.oauth.addCode("code-SECRET-2", installedAccount)
	inst, err = client.OAuth.Exchange(context.Background(), "code-SECRET-2")
	if err != nil {
		t.Fatalf("second Exchange: %v", err)
	}
	if !inst.Reinstalled {
		t.Error("Reinstalled = false on a second install")
	}
}

func TestOAuth_ExchangeBadCode(t *testing.T) {
	client, _, _ := setup(t, oauthMode)
	_, err := client.OAuth.Exchange(context.Background(), "code-SECRET-unknown")
	var te *TokenError
	if !errors.As(err, &te) || te.Status != 400 || te.Grant != grantAuthorizationCode {
		t.Fatalf("err = %v, want a 400 *TokenError", err)
	}
	if strings.Contains(err.Error(), "code-SECRET-unknown") {
		t.Errorf("error echoes the authorization code: %v", err)
	}
}

func TestOAuth_notInstalled(t *testing.T) {
	client, mux, _ := setup(t, oauthMode)
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) { t.Error("API called") })
	_, _, err := client.Account("acct-unknown").Meetings.Get(context.Background(), testMeetingID)
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("err = %v, want ErrNotInstalled", err)
	}
	if _, _, err := client.Meetings.Get(context.Background(), testMeetingID); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("unbound client: err = %v, want ErrNoAccount", err)
	}
}

// A refresh persists the rotated refresh token before the new access token is used.
func TestOAuth_refreshPersistsBeforeUse(t *testing.T) {
	client, mux, env := setup(t, oauthMode)
	env.install(t, installedAccount, "at-SECRET-old", "rt-SECRET-old", env.clock.Now().Add(30*time.Second)) // inside the 60 s margin
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		tok := bearer(r)
		if tok == "at-SECRET-old" {
			t.Error("used a token within 60 s of expiry")
		}
		// By the time the new access token is used, the new refresh token is stored.
		rec, err := env.store.LoadToken(r.Context(), installedAccount)
		if err != nil {
			t.Fatal(err)
		}
		rt, _ := env.sealer.Open(rec.RefreshToken, installedAccount, fieldRefreshToken)
		at, _ := env.sealer.Open(rec.AccessToken, installedAccount, fieldAccessToken)
		if string(at) != tok || !strings.HasPrefix(string(rt), "rt-SECRET-") || string(rt) == "rt-SECRET-old" {
			t.Errorf("stored record (access %q, refresh %q) does not match the token in use %q", at, rt, tok)
		}
		okMeeting(w)
	})
	if _, _, err := client.Account(installedAccount).Meetings.Get(context.Background(), testMeetingID); err != nil {
		t.Fatalf("Meetings.Get: %v", err)
	}
	if got := env.oauth.count(grantRefreshToken); got != 1 {
		t.Errorf("refreshes = %d, want 1", got)
	}
}

func TestOAuth_invalidToken124RefreshesOnce(t *testing.T) {
	client, mux, env := setup(t, oauthMode)
	env.install(t, installedAccount, "at-SECRET-live", "rt-SECRET-live", env.clock.Now().Add(time.Hour))
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		if calls.hit(r, time.Time{}) == 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 124, "message": "Invalid access token."})
			return
		}
		okMeeting(w)
	})
	if _, _, err := client.Account(installedAccount).Meetings.Get(context.Background(), testMeetingID); err != nil {
		t.Fatalf("Meetings.Get: %v", err)
	}
	if got := env.oauth.count(grantRefreshToken); got != 1 {
		t.Errorf("refreshes = %d, want 1", got)
	}
	if got := calls.n.Load(); got != 2 {
		t.Errorf("API calls = %d, want 2", got)
	}
}

func TestOAuth_refreshRejected(t *testing.T) {
	client, mux, env := setup(t, oauthMode)
	// The stored refresh token is not valid at Zoom (e.g. revoked).
	_, err := env.store.SaveToken(context.Background(), TokenRecord{
		AccountID:    installedAccount,
		AccessToken:  env.sealer.Seal([]byte("at-SECRET-x"), installedAccount, fieldAccessToken),
		RefreshToken: env.sealer.Seal([]byte("rt-SECRET-revoked"), installedAccount, fieldRefreshToken),
		Expiry:       env.clock.Now(),
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) { t.Error("API called") })
	_, _, err = client.Account(installedAccount).Meetings.Get(context.Background(), testMeetingID)
	if !errors.Is(err, ErrReauthorizationRequired) {
		t.Fatalf("err = %v, want ErrReauthorizationRequired", err)
	}
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_request" {
		t.Errorf("err does not carry Zoom's token error: %v", err)
	}
	if got := env.oauth.count(grantRefreshToken); got != 1 {
		t.Errorf("refreshes = %d, want 1 (a rejected refresh token is not retried)", got)
	}
}

func TestOAuth_Deauthorize(t *testing.T) {
	client, mux, env := setup(t, oauthMode)
	env.install(t, installedAccount, "at-SECRET-live", "rt-SECRET-live", env.clock.Now().Add(time.Hour))
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) { okMeeting(w) })
	acct := client.Account(installedAccount)
	if _, _, err := acct.Meetings.Get(context.Background(), testMeetingID); err != nil {
		t.Fatal(err)
	}
	if err := client.OAuth.Deauthorize(context.Background(), installedAccount); err != nil {
		t.Fatalf("Deauthorize: %v", err)
	}
	if _, err := env.store.LoadToken(context.Background(), installedAccount); !errors.Is(err, ErrTokenNotFound) {
		t.Errorf("tokens still stored: %v", err)
	}
	if _, _, err := acct.Meetings.Get(context.Background(), testMeetingID); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("call after deauthorization: err = %v, want ErrNotInstalled", err)
	}
}

// Two replicas refreshing one account's rotating refresh token concurrently
// never present a used refresh token to Zoom. Every access token here lives
// 60 s, inside the refresh margin, so every call refreshes: the worst case.
func TestOAuth_twoReplicasRotateWithoutStaleRefreshToken(t *testing.T) {
	env := newEnv(t)
	env.oauth.expiresIn = 60
	env.oauth.delay = 2 * time.Millisecond
	a := env.newClient(t, oauthMode, realTime(env))
	b := env.newClient(t, oauthMode, realTime(env))
	env.install(t, installedAccount, "at-SECRET-first", "rt-SECRET-first", time.Now().Add(-time.Minute))
	var mu sync.Mutex
	live := map[string]bool{}
	env.mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		live[bearer(r)] = true
		mu.Unlock()
		okMeeting(w)
	})
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 16 {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range 3 {
				if _, _, err := c.Account(installedAccount).Meetings.Get(context.Background(), testMeetingID); err != nil {
					t.Errorf("Meetings.Get: %v", err)
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := env.oauth.stale(); n != 0 {
		t.Fatalf("Zoom saw %d stale (already used) refresh tokens", n)
	}
	if n := env.oauth.count(grantRefreshToken); n < 2 {
		t.Errorf("refreshes = %d; the test did not exercise concurrent refreshes", n)
	}
	// The stored refresh token is the one Zoom considers live.
	rec, err := env.store.LoadToken(context.Background(), installedAccount)
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := env.sealer.Open(rec.RefreshToken, installedAccount, fieldRefreshToken)
	env.oauth.mu.Lock()
	valid := env.oauth.validRefresh[string(rt)]
	env.oauth.mu.Unlock()
	if !valid {
		t.Errorf("stored refresh token %q is not the live one", rt)
	}
}

// A replica that lost the race (its lease expired under a slow request and the
// other replica refreshed) reloads the winner's token instead of failing.
func TestOAuth_loserReloadsWinnersToken(t *testing.T) {
	client, mux, env := setup(t, oauthMode)
	env.install(t, installedAccount, "at-SECRET-old", "rt-SECRET-old", env.clock.Now())
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		if got := bearer(r); got != "at-SECRET-winner" {
			t.Errorf("API call with %q, want the winner's token", got)
		}
		okMeeting(w)
	})
	// While our refresh is in flight, "another replica" refreshes and stores first.
	env.oauth.fail = func(r *http.Request, grant string) (int, string, bool) {
		rec, err := env.store.LoadToken(r.Context(), installedAccount)
		if err != nil {
			t.Error(err)
			return 0, "", false
		}
		winner := TokenRecord{
			AccountID:    installedAccount,
			AccessToken:  env.sealer.Seal([]byte("at-SECRET-winner"), installedAccount, fieldAccessToken),
			RefreshToken: env.sealer.Seal([]byte("rt-SECRET-winner"), installedAccount, fieldRefreshToken),
			Expiry:       env.clock.Now().Add(time.Hour),
		}
		if _, err := env.store.SaveToken(r.Context(), winner, rec.Version); err != nil {
			t.Error(err)
		}
		return http.StatusBadRequest, `{"reason":"Invalid Token!","error":"invalid_request"}`, true
	}
	if _, _, err := client.Account(installedAccount).Meetings.Get(context.Background(), testMeetingID); err != nil {
		t.Fatalf("Meetings.Get: %v", err)
	}
}

func TestDeriveStateKeyDiffers(t *testing.T) {
	a, b := deriveStateKey("secret-a"), deriveStateKey("secret-b")
	if bytes.Equal(a, b) || len(a) != 32 {
		t.Errorf("derived keys: %x %x", a, b)
	}
	if bytes.Contains(a, []byte("secret-a")) {
		t.Error("derived key contains the secret")
	}
	_ = fmt.Sprint(a)
}
