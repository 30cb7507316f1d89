package handlers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/golang-jwt/jwt/v5"

	"github.com/cohost-dev/cohost/zoomclient"
)

const (
	installClientID     = "install-client-id"
	installClientSecret = "install-SECRET-cs"
	installAccount      = "acct-Installed1"
)

var installStateKey = []byte("install-test-state-key-0123456789")

// fakeZoom plays Zoom for the install flow: the consent page approves at once
// and redirects back with a code; the token endpoint exchanges it once; the
// API answers GET /users/me.
type fakeZoom struct {
	t        *testing.T
	server   *httptest.Server
	mu       sync.Mutex
	codes    map[string]bool
	exchange int
	deny     bool
}

func newFakeZoom(t *testing.T) *fakeZoom {
	f := &fakeZoom{t: t, codes: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("response_type") != "code" || q.Get("client_id") != installClientID || q.Get("state") == "" {
			t.Errorf("authorize query = %v", q)
		}
		back, err := url.Parse(q.Get("redirect_uri"))
		if err != nil {
			t.Fatalf("redirect_uri: %v", err)
		}
		bq := url.Values{"state": {q.Get("state")}}
		if f.deny {
			bq.Set("error", "access_denied")
		} else {
			code := "code-SECRET-" + base64.RawURLEncoding.EncodeToString([]byte(time.Now().String()))
			f.mu.Lock()
			f.codes[code] = true
			f.mu.Unlock()
			bq.Set("code", code)
		}
		back.RawQuery = bq.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(installClientID+":"+installClientSecret))
		if r.Header.Get("Authorization") != want || r.PostForm.Get("grant_type") != "authorization_code" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		ok := f.codes[r.PostForm.Get("code")]
		delete(f.codes, r.PostForm.Get("code"))
		f.exchange++
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"reason":"Invalid authorization code","error":"invalid_request"}`)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": "at-SECRET-1", "refresh_token": "rt-SECRET-1", "token_type": "bearer",
			"expires_in": 3600, "scope": "meeting:read:meeting:admin user:read:user:admin",
		})
	})
	mux.HandleFunc("GET /v2/users/me", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer at-SECRET-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"user-1","email":"admin@example.com","type":2,"account_id":"`+installAccount+`"}`)
	})
	f.server = httptest.NewServer(mux)
	t.Cleanup(f.server.Close)
	return f
}

type installEnv struct {
	zoom    *fakeZoom
	cohost  *httptest.Server
	client  *zoomclient.Client
	store   *zoomclient.MemoryTokenStore
	handler *OAuthInstall
	now     time.Time
	mu      sync.Mutex
	browser *http.Client
}

func (e *installEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *installEnv) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

func newInstallEnv(t *testing.T) *installEnv {
	t.Helper()
	env := &installEnv{zoom: newFakeZoom(t), store: zoomclient.NewMemoryTokenStore(), now: time.Now()}
	r := chi.NewRouter()
	env.cohost = httptest.NewServer(r)
	t.Cleanup(env.cohost.Close)

	sealer, err := zoomclient.NewSealer(bytes.Repeat([]byte{9}, zoomclient.SealerKeySize))
	if err != nil {
		t.Fatal(err)
	}
	env.client, err = zoomclient.New(zoomclient.Config{
		Mode:         zoomclient.ModeOAuth,
		ClientID:     installClientID,
		ClientSecret: installClientSecret,
		RedirectURL:  env.cohost.URL + PathOAuthCallback,
		APIURL:       env.zoom.server.URL + "/v2",
		OAuthURL:     env.zoom.server.URL,
		Store:        env.store,
		Sealer:       sealer,
		StateKey:     installStateKey,
		Now:          env.clock,
		RateLimits:   zoomclient.RateLimits{Light: -1, Medium: -1, Heavy: -1},
	})
	if err != nil {
		t.Fatal(err)
	}
	env.handler = NewOAuthInstall(env.client, nil)
	env.handler.Mount(r)

	jar, _ := cookiejar.New(nil)
	env.browser = &http.Client{Jar: jar}
	return env
}

// installCookieFor starts an install in the browser (getting the cookie) and
// returns the state Zoom would have been given, without following to Zoom.
func (e *installEnv) startInstall(t *testing.T) (state string) {
	t.Helper()
	noFollow := *e.browser
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Get(e.cohost.URL + PathOAuthInstall)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("install status = %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc.Query().Get("state")
}

func (e *installEnv) callback(t *testing.T, q url.Values, accept string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.cohost.URL+PathOAuthCallback+"?"+q.Encode(), nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := e.browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestOAuthInstall_endToEnd(t *testing.T) {
	env := newInstallEnv(t)
	// The browser follows /oauth/install → Zoom's consent → /oauth/callback.
	resp, err := env.browser.Get(env.cohost.URL + PathOAuthInstall)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback status = %d, body:\n%s", resp.StatusCode, body)
	}
	page := string(body)
	for _, want := range []string{"cohost is installed", installAccount, "admin@example.com"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "SECRET") {
		t.Errorf("page leaks a secret:\n%s", page)
	}
	rec, err := env.store.LoadToken(context.Background(), installAccount)
	if err != nil {
		t.Fatalf("tokens not stored: %v", err)
	}
	if bytes.Contains(rec.RefreshToken, []byte("rt-SECRET")) {
		t.Error("refresh token stored in clear")
	}
	// The install cookie is spent.
	u, _ := url.Parse(env.cohost.URL)
	for _, c := range env.browser.Jar.Cookies(u) {
		if c.Name == installCookie {
			t.Errorf("install cookie still set: %v", c)
		}
	}
}

func TestOAuthInstall_installRedirect(t *testing.T) {
	env := newInstallEnv(t)
	noFollow := *env.browser
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Get(env.cohost.URL + PathOAuthInstall)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if got, want := loc.Scheme+"://"+loc.Host+loc.Path, env.zoom.server.URL+"/oauth/authorize"; got != want {
		t.Errorf("redirect to %q, want %q", got, want)
	}
	q := loc.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != installClientID || q.Get("redirect_uri") != env.cohost.URL+PathOAuthCallback || q.Get("state") == "" {
		t.Errorf("authorize query = %v", q)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == installCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.MaxAge <= 0 {
		t.Errorf("install cookie = %+v", cookie)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Error("install redirect is cacheable")
	}
}

func TestOAuthInstall_JSON(t *testing.T) {
	env := newInstallEnv(t)
	state := env.startInstall(t)
	env.zoom.mu.Lock()
	env.zoom.codes["code-SECRET-json"] = true
	env.zoom.mu.Unlock()
	status, body := env.callback(t, url.Values{"state": {state}, "code": {"code-SECRET-json"}}, "application/json")
	if status != http.StatusOK {
		t.Fatalf("status = %d: %s", status, body)
	}
	var got installResult
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Installed || got.AccountID != installAccount || got.UserID != "user-1" || len(got.Scopes) != 2 {
		t.Errorf("result = %+v", got)
	}
}

func TestOAuthInstall_badState(t *testing.T) {
	sign := func(t *testing.T, env *installEnv, mut func(*jwt.RegisteredClaims)) string {
		now := env.clock()
		c := jwt.RegisteredClaims{
			Issuer:    "cohostd",
			Audience:  jwt.ClaimStrings{"cohost-zoom-install"},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute)),
		}
		mut(&c)
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(installStateKey)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	nonceOf := func(t *testing.T, env *installEnv) string {
		u, _ := url.Parse(env.cohost.URL)
		for _, c := range env.browser.Jar.Cookies(u) {
			if c.Name == installCookie {
				return c.Value
			}
		}
		t.Fatal("no install cookie")
		return ""
	}
	for _, tc := range []struct {
		name     string
		state    func(t *testing.T, env *installEnv, good string) string
		before   func(env *installEnv)
		wantCode string
	}{
		{"control: good state", func(t *testing.T, env *installEnv, good string) string { return good }, nil, ""},
		{"tampered", func(t *testing.T, env *installEnv, good string) string {
			parts := strings.Split(good, ".")
			claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
			claims = bytes.Replace(claims, []byte(`"iss":"cohostd"`), []byte(`"iss":"cohostX"`), 1)
			parts[1] = base64.RawURLEncoding.EncodeToString(claims)
			return strings.Join(parts, ".")
		}, nil, "invalid_state"},
		{"expired", func(t *testing.T, env *installEnv, good string) string { return good },
			func(env *installEnv) { env.advance(zoomclient.DefaultStateTTL + time.Minute) }, "state_expired"},
		{"wrong audience", func(t *testing.T, env *installEnv, good string) string {
			nonce := nonceOf(t, env)
			return sign(t, env, func(c *jwt.RegisteredClaims) { c.Audience = jwt.ClaimStrings{"cohost-agent"}; c.ID = nonce })
		}, nil, "invalid_state"},
		{"forged with another key", func(t *testing.T, env *installEnv, good string) string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
				Issuer: "cohostd", Audience: jwt.ClaimStrings{"cohost-zoom-install"}, ID: nonceOf(t, env),
				IssuedAt: jwt.NewNumericDate(env.clock()), ExpiresAt: jwt.NewNumericDate(env.clock().Add(time.Minute)),
			}).SignedString([]byte("attacker-key-0123456789abcdefghij"))
			return s
		}, nil, "invalid_state"},
		{"another browser's state", func(t *testing.T, env *installEnv, good string) string {
			return sign(t, env, func(c *jwt.RegisteredClaims) { c.ID = "someone-elses-nonce" })
		}, nil, "invalid_state"},
		{"missing", func(t *testing.T, env *installEnv, good string) string { return "" }, nil, "invalid_state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newInstallEnv(t)
			good := env.startInstall(t)
			state := tc.state(t, env, good)
			if tc.before != nil {
				tc.before(env)
			}
			env.zoom.mu.Lock()
			env.zoom.codes["code-SECRET-x"] = true
			env.zoom.mu.Unlock()
			status, body := env.callback(t, url.Values{"state": {state}, "code": {"code-SECRET-x"}}, "application/json")
			if tc.wantCode == "" {
				if status != http.StatusOK {
					t.Fatalf("status = %d: %s", status, body)
				}
				return
			}
			if status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400: %s", status, body)
			}
			var e struct{ Error, Detail string }
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if e.Error != tc.wantCode || !strings.Contains(e.Detail, PathOAuthInstall) {
				t.Errorf("error = %+v, want %s with a pointer to %s", e, tc.wantCode, PathOAuthInstall)
			}
			env.zoom.mu.Lock()
			exchanged := env.zoom.exchange
			env.zoom.mu.Unlock()
			if exchanged != 0 {
				t.Errorf("the code was exchanged despite a bad state")
			}
			if _, err := env.store.LoadToken(context.Background(), installAccount); !errors.Is(err, zoomclient.ErrTokenNotFound) {
				t.Errorf("tokens stored despite a bad state: %v", err)
			}
		})
	}
}

func TestOAuthInstall_badStateHTML(t *testing.T) {
	env := newInstallEnv(t)
	env.startInstall(t)
	status, body := env.callback(t, url.Values{"state": {"garbage"}, "code": {"c"}}, "text/html")
	if status != http.StatusBadRequest || !strings.Contains(body, "not valid") || !strings.Contains(body, PathOAuthInstall) {
		t.Errorf("status %d, body:\n%s", status, body)
	}
}

func TestOAuthInstall_deniedAndBadCode(t *testing.T) {
	env := newInstallEnv(t)
	env.zoom.deny = true
	resp, err := env.browser.Get(env.cohost.URL + PathOAuthInstall)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "access_denied") {
		t.Errorf("denied consent: status %d, body:\n%s", resp.StatusCode, body)
	}

	env = newInstallEnv(t)
	state := env.startInstall(t)
	status, b := env.callback(t, url.Values{"state": {state}, "code": {"code-SECRET-unknown"}}, "application/json")
	if status != http.StatusBadRequest || !strings.Contains(b, "code_rejected") || strings.Contains(b, "SECRET") {
		t.Errorf("bad code: status %d, body %s", status, b)
	}
}

func TestOAuthInstall_HandleAppDeauthorized(t *testing.T) {
	env := newInstallEnv(t)
	resp, err := env.browser.Get(env.cohost.URL + PathOAuthInstall)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := env.store.LoadToken(context.Background(), installAccount); err != nil {
		t.Fatalf("install did not store tokens: %v", err)
	}
	if err := env.handler.HandleAppDeauthorized(context.Background(), installAccount); err != nil {
		t.Fatalf("HandleAppDeauthorized: %v", err)
	}
	if _, err := env.store.LoadToken(context.Background(), installAccount); !errors.Is(err, zoomclient.ErrTokenNotFound) {
		t.Errorf("tokens still stored: %v", err)
	}
	if _, _, err := env.client.Account(installAccount).Users.Get(context.Background(), "me"); !errors.Is(err, zoomclient.ErrNotInstalled) {
		t.Errorf("call after deauthorization: %v", err)
	}
}

func TestWantsJSON(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                                  false,
		"application/json":                  true,
		"text/html,application/xhtml+xml":   false,
		"application/json, text/plain":      true,
		"text/html;q=0.9, application/json": false,
		"*/*":                               false,
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept", accept)
		if got := wantsJSON(r); got != want {
			t.Errorf("wantsJSON(%q) = %v, want %v", accept, got, want)
		}
	}
}
