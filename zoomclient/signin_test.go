package zoomclient

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
)

const (
	testSignInID     = "signin-client-id"
	testSignInSecret = "signin-SECRET-8c2d41"
	testSignInCode   = "code-SECRET-7f00aa"
	testUserToken    = "at-SECRET-user-1"
)

func signIn(t *testing.T, client *Client) *SignInService {
	t.Helper()
	s, err := client.SignIn(SignInConfig{ClientID: testSignInID, ClientSecret: testSignInSecret,
		RedirectURL: "https://cohost.example/host/signin/callback"})
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	return s
}

// signInZoom answers the sign-in app's token requests as Zoom does for a
// PKCE authorization: the code is good once, and only with the verifier
// whose S256 challenge the authorization carried.
func signInZoom(t *testing.T, env *testEnv, verifier string) (tokenRequests *int) {
	t.Helper()
	challenge := oauth2.S256ChallengeFromVerifier(verifier)
	used := false
	n := 0
	env.oauth.fail = func(r *http.Request, grant string) (int, string, bool) {
		n++
		id, secret, _ := r.BasicAuth()
		if id != testSignInID || secret != testSignInSecret {
			return http.StatusUnauthorized, `{"reason":"Invalid client_id or client_secret","error":"invalid_client"}`, true
		}
		f := r.PostForm
		if grant != grantAuthorizationCode || f.Get("code") != testSignInCode || used ||
			f.Get("redirect_uri") != "https://cohost.example/host/signin/callback" {
			return http.StatusBadRequest, `{"reason":"Invalid authorization code","error":"invalid_grant"}`, true
		}
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		if f.Get("code_verifier") == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
			return http.StatusBadRequest, `{"reason":"Invalid code verifier","error":"invalid_grant"}`, true
		}
		used = true
		return http.StatusOK, `{"access_token":"` + testUserToken + `","token_type":"bearer","refresh_token":"rt-SECRET-user","expires_in":3599,"scope":"user:read:user"}`, true
	}
	return &n
}

func TestSignInAuthorizeURL(t *testing.T) {
	client, _, env := setup(t)
	s := signIn(t, client)
	verifier := oauth2.GenerateVerifier()
	u, err := url.Parse(s.AuthorizeURL("state-1", verifier))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Scheme+"://"+u.Host+u.Path, env.server.URL+"/oauth/authorize"; got != want {
		t.Errorf("authorize endpoint %s, want %s", got, want)
	}
	sum := sha256.Sum256([]byte(verifier))
	want := url.Values{
		"response_type":         {"code"},
		"client_id":             {testSignInID},
		"redirect_uri":          {"https://cohost.example/host/signin/callback"},
		"state":                 {"state-1"},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	if diff := cmp.Diff(want, u.Query()); diff != "" {
		t.Errorf("authorize query (-want +got):\n%s", diff)
	}
	if strings.Contains(u.String(), verifier) {
		t.Error("the verifier itself is in the authorize URL")
	}
}

func TestSignInIdentify(t *testing.T) {
	client, mux, env := setup(t)
	s := signIn(t, client)
	verifier := oauth2.GenerateVerifier()
	signInZoom(t, env, verifier)
	var meCalls int
	mux.HandleFunc("/v2/users/me", func(w http.ResponseWriter, r *http.Request) {
		meCalls++
		if got := bearer(r); got != testUserToken {
			t.Errorf("GET /users/me with %q, want the user's token", got)
		}
		_, _ = io.WriteString(w, `{"id":"KDcuGIm1QgePTO8WbOqwIQ","first_name":"Hana","last_name":"Host","display_name":"Hana Host",
			"email":"host@example.com","type":2,"account_id":"acct-AbC123","timezone":"Europe/Berlin","status":"active"}`)
	})
	me, err := s.Identify(context.Background(), testSignInCode, verifier)
	if err != nil {
		t.Fatalf("Identify: %v", err)
	}
	want := &User{ID: "KDcuGIm1QgePTO8WbOqwIQ", FirstName: "Hana", LastName: "Host", DisplayName: "Hana Host",
		Email: "host@example.com", Type: 2, AccountID: "acct-AbC123", Timezone: "Europe/Berlin", Status: "active"}
	if diff := cmp.Diff(want, me); diff != "" {
		t.Errorf("Identify (-want +got):\n%s", diff)
	}
	if meCalls != 1 {
		t.Errorf("%d calls of GET /users/me, want 1", meCalls)
	}
	// The code works once: a replay is Zoom's refusal, not a second identity.
	_, err = s.Identify(context.Background(), testSignInCode, verifier)
	var te *TokenError
	if !errors.As(err, &te) || !te.Rejected() {
		t.Errorf("replayed code: %v, want a rejected *TokenError", err)
	}
	for _, secret := range []string{testUserToken, "rt-SECRET-user", testSignInSecret, testSignInCode, verifier} {
		if strings.Contains(env.logs.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

// A verifier that is missing or not the authorization's is Zoom's refusal:
// nobody is identified, and the error names no secret.
func TestSignInIdentify_refused(t *testing.T) {
	for _, tc := range []struct {
		name, code, verifier string
		wantCode             string
	}{
		{"missing verifier", testSignInCode, "", "invalid_grant"},
		{"wrong verifier", testSignInCode, oauth2.GenerateVerifier(), "invalid_grant"},
		{"unknown code", "code-SECRET-forged", "", "invalid_grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, mux, env := setup(t)
			s := signIn(t, client)
			signInZoom(t, env, oauth2.GenerateVerifier())
			mux.HandleFunc("/v2/users/me", func(w http.ResponseWriter, r *http.Request) {
				t.Error("GET /users/me without a token")
			})
			_, err := s.Identify(context.Background(), tc.code, tc.verifier)
			var te *TokenError
			if !errors.As(err, &te) || !te.Rejected() || te.Code != tc.wantCode {
				t.Fatalf("Identify: %v, want a rejected *TokenError %s", err, tc.wantCode)
			}
			for _, secret := range []string{testSignInSecret, tc.code} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error %q holds a secret", err)
				}
			}
		})
	}
}

// The user's token is never refreshed: a 401 from GET /users/me is final.
func TestSignInIdentify_userTokenRejected(t *testing.T) {
	client, mux, env := setup(t)
	s := signIn(t, client)
	verifier := oauth2.GenerateVerifier()
	requests := signInZoom(t, env, verifier)
	mux.HandleFunc("/v2/users/me", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 124, "message": "Invalid access token."})
	})
	_, err := s.Identify(context.Background(), testSignInCode, verifier)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 124 {
		t.Fatalf("Identify: %v, want Zoom's 124", err)
	}
	if *requests != 1 {
		t.Errorf("%d token requests, want 1 (no refresh)", *requests)
	}
}

func TestSignInIdentify_userWithoutAccount(t *testing.T) {
	client, mux, env := setup(t)
	s := signIn(t, client)
	verifier := oauth2.GenerateVerifier()
	signInZoom(t, env, verifier)
	mux.HandleFunc("/v2/users/me", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"id":"KDcuGIm1QgePTO8WbOqwIQ","email":"host@example.com"}`)
	})
	var de *DecodeError
	if _, err := s.Identify(context.Background(), testSignInCode, verifier); !errors.As(err, &de) {
		t.Fatalf("Identify: %v, want a *DecodeError", err)
	}
}

func TestSignInConfigRefused(t *testing.T) {
	client, _, _ := setup(t)
	for _, cfg := range []SignInConfig{
		{ClientSecret: "x", RedirectURL: "https://cohost.example/host/signin/callback"},
		{ClientID: "x", RedirectURL: "https://cohost.example/host/signin/callback"},
		{ClientID: "x", ClientSecret: "y", RedirectURL: "/host/signin/callback"},
		{ClientID: "x", ClientSecret: "y", RedirectURL: "ftp://cohost.example/cb"},
	} {
		if _, err := client.SignIn(cfg); err == nil {
			t.Errorf("SignIn(%+v) succeeded", cfg)
		}
	}
}
