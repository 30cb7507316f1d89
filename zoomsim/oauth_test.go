package zoomsim

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestAccountCredentialsToken(t *testing.T) {
	h := newHarness(t, Config{TokenTTL: 10 * time.Minute}, true)
	st, body := h.tokenRequest(h.acct.ClientID, h.acct.ClientSecret, url.Values{
		"grant_type": {"account_credentials"}, "account_id": {h.acct.ID},
	})
	if st != http.StatusOK {
		t.Fatalf("status %d %v", st, body)
	}
	if body["token_type"] != "bearer" || body["expires_in"] != float64(600) || body["access_token"] == "" ||
		body["api_url"] != h.srv.URL || body["refresh_token"] != nil {
		t.Errorf("token response %v", body)
	}
	tok := body["access_token"].(string)
	if st, _, _ := h.do("GET", "/v2/users/me", tok, nil); st != http.StatusOK {
		t.Fatalf("GET /v2/users/me with a fresh token: %d", st)
	}
	// Expiry: 401 {"code":124,"message":"Invalid access token."}.
	h.clock.Advance(10 * time.Minute)
	st, _, raw := h.do("GET", "/v2/users/me", tok, nil)
	if b := decodeJSON(t, raw); st != http.StatusUnauthorized || b["code"] != float64(124) || b["message"] != "Invalid access token." {
		t.Errorf("expired token: %d %s", st, raw)
	}
	if n := h.sim.Ledger().TokenRequestCount(h.acct.ID); n != 1 {
		t.Errorf("token requests %d, want 1", n)
	}
}

func TestTokenErrors(t *testing.T) {
	h := newHarness(t, Config{}, false)
	good := url.Values{"grant_type": {"account_credentials"}, "account_id": {h.acct.ID}}
	tests := []struct {
		name           string
		id, secret     string
		form           url.Values
		status         int
		errCode, about string
	}{
		{"no basic auth", "", "", good, 401, "invalid_client", ""},
		{"wrong secret", h.acct.ClientID, "nope", good, 401, "invalid_client", ""},
		{"missing grant type", h.acct.ClientID, h.acct.ClientSecret, url.Values{"account_id": {h.acct.ID}}, 400, "invalid_request", ""},
		{"unsupported grant", h.acct.ClientID, h.acct.ClientSecret, url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type", ""},
		{"unknown account", h.acct.ClientID, h.acct.ClientSecret, url.Values{"grant_type": {"account_credentials"}, "account_id": {"nope"}}, 400, "invalid_request", ""},
		{"unknown code", h.acct.ClientID, h.acct.ClientSecret, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, 400, "invalid_grant", ""},
		{"unknown refresh token", h.acct.ClientID, h.acct.ClientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, 400, "invalid_grant", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body := h.tokenRequest(tt.id, tt.secret, tt.form)
			if st != tt.status || body["error"] != tt.errCode || body["reason"] == "" {
				t.Errorf("got %d %v, want %d error %s", st, body, tt.status, tt.errCode)
			}
		})
	}
}

// The authorization-code install and rotating refresh tokens: after a refresh, the previous
// refresh token fails with invalid_grant.
func TestAuthorizationCodeAndRotatingRefresh(t *testing.T) {
	h := newHarness(t, Config{}, true)
	const redirect = "https://cohost.example/oauth/callback"
	st, hdr, _ := h.do("GET", "/oauth/authorize?"+url.Values{
		"response_type": {"code"}, "client_id": {h.acct.ClientID}, "redirect_uri": {redirect}, "state": {"st8"},
	}.Encode(), "", nil)
	if st != http.StatusFound {
		t.Fatalf("authorize: %d", st)
	}
	loc, err := url.Parse(hdr.Get("Location"))
	if err != nil || loc.Host != "cohost.example" || loc.Query().Get("state") != "st8" || loc.Query().Get("code") == "" {
		t.Fatalf("redirect %q", hdr.Get("Location"))
	}
	code := loc.Query().Get("code")
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}
	if st, body := h.tokenRequest(h.acct.ClientID, h.acct.ClientSecret, url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://evil.example/cb"},
	}); st != 400 || body["error"] != "invalid_request" {
		t.Errorf("redirect mismatch: %d %v", st, body)
	}
	st, body := h.tokenRequest(h.acct.ClientID, h.acct.ClientSecret, exchange)
	if st != http.StatusOK || body["refresh_token"] == nil {
		t.Fatalf("exchange: %d %v", st, body)
	}
	if st, body := h.tokenRequest(h.acct.ClientID, h.acct.ClientSecret, exchange); st != 400 || body["error"] != "invalid_grant" {
		t.Errorf("code reuse: %d %v", st, body)
	}
	// The token of an install acts as the installing user: /users/me is the owner.
	_, _, raw := h.do("GET", "/v2/users/me", body["access_token"].(string), nil)
	if me := decodeJSON(t, raw); me["id"] != h.host.ID {
		t.Errorf("/users/me = %v", me)
	}

	first := body["refresh_token"].(string)
	refresh := func(rt string) (int, map[string]any) {
		return h.tokenRequest(h.acct.ClientID, h.acct.ClientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	}
	st, body = refresh(first)
	if st != http.StatusOK || body["refresh_token"] == first || body["refresh_token"] == nil {
		t.Fatalf("refresh: %d %v", st, body)
	}
	second := body["refresh_token"].(string)
	if st, body := refresh(first); st != 400 || body["error"] != "invalid_grant" || body["reason"] != "Invalid Token!" {
		t.Errorf("old refresh token after rotation: %d %v", st, body)
	}
	if st, _ := refresh(second); st != http.StatusOK {
		t.Errorf("latest refresh token: %d", st)
	}
	// An expired code fails too.
	_, hdr, _ = h.do("GET", "/oauth/authorize?"+url.Values{
		"response_type": {"code"}, "client_id": {h.acct.ClientID}, "redirect_uri": {redirect},
	}.Encode(), "", nil)
	loc, _ = url.Parse(hdr.Get("Location"))
	h.clock.Advance(6 * time.Minute)
	if st, _ := h.tokenRequest(h.acct.ClientID, h.acct.ClientSecret, url.Values{
		"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {redirect},
	}); st != 400 {
		t.Errorf("expired code: %d", st)
	}
	if n := h.sim.Ledger().TokenRequestCount(h.acct.ID); n < 5 {
		t.Errorf("token requests for the account: %d", n)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	h := newHarness(t, Config{}, false)
	tests := []struct {
		name string
		q    url.Values
	}{
		{"no response_type", url.Values{"client_id": {h.acct.ClientID}, "redirect_uri": {"https://a.example/cb"}}},
		{"bad redirect", url.Values{"response_type": {"code"}, "client_id": {h.acct.ClientID}, "redirect_uri": {"ftp://x"}}},
		{"unknown client", url.Values{"response_type": {"code"}, "client_id": {"nope"}, "redirect_uri": {"https://a.example/cb"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if st, _, _ := h.do("GET", "/oauth/authorize?"+tt.q.Encode(), "", nil); st != http.StatusBadRequest {
				t.Errorf("status %d, want 400", st)
			}
		})
	}
}

func TestForcedExpiryAndRevocation(t *testing.T) {
	h := newHarness(t, Config{S2SNewTokenRevokesOld: true}, false)
	a := h.s2sToken()
	b := h.s2sToken()
	if st, _, _ := h.do("GET", "/v2/users/me", a, nil); st != http.StatusUnauthorized {
		t.Errorf("first token after a second one (S2SNewTokenRevokesOld): %d, want 401", st)
	}
	if st, _, _ := h.do("GET", "/v2/users/me", b, nil); st != http.StatusOK {
		t.Errorf("second token: %d", st)
	}
	if err := h.sim.ExpireTokens(h.acct.ID); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := h.do("GET", "/v2/users/me", b, nil); st != http.StatusUnauthorized {
		t.Errorf("after ExpireTokens: %d, want 401", st)
	}
	c := h.s2sToken()
	if err := h.sim.Deauthorize(h.acct.ID); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := h.do("GET", "/v2/users/me", c, nil); st != http.StatusUnauthorized {
		t.Errorf("after app_deauthorized: %d, want 401", st)
	}
	if ds := h.sim.Ledger().Deliveries("app_deauthorized"); len(ds) != 1 {
		t.Errorf("app_deauthorized deliveries: %d", len(ds))
	}
	if n := h.sim.Ledger().TokenRequestCount(h.acct.ID); n != 3 {
		t.Errorf("token requests %d, want 3", n)
	}
}
