package zoomsim

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Grant types of POST /oauth/token.
const (
	GrantAccountCredentials = "account_credentials"
	GrantAuthorizationCode  = "authorization_code"
	GrantRefreshToken       = "refresh_token"
)

type accessToken struct {
	token     string
	accountID string
	userID    string // the authorizing user for authorization_code grants; "" for S2S
	grant     string
	expires   time.Time
	revoked   bool
	// signIn marks a token of the sign-in app: it reaches its own user only (signin.go).
	signIn bool
}

type refreshToken struct {
	token     string
	accountID string
	userID    string
	clientID  string
	used      bool // rotated: a newer refresh token replaced it
	revoked   bool
}

type authCode struct {
	code        string
	accountID   string
	userID      string
	clientID    string
	redirectURI string
	expires     time.Time
	used        bool
	// challenge and challengeMethod are the PKCE code_challenge the authorization carried
	// ("" without PKCE): the token endpoint then wants the matching code_verifier.
	challenge       string
	challengeMethod string
}

// oauthError writes the body Zoom's token endpoint uses for errors, {"reason":…,"error":…}
// (devforum 137623: {"reason":"Invalid authorization code","error":"invalid_grant"}).
func oauthError(w http.ResponseWriter, status int, errCode, reason string) {
	writeJSON(w, status, map[string]string{"reason": reason, "error": errCode})
}

// handleToken serves POST /oauth/token. Parameters are read from the query string and from an
// application/x-www-form-urlencoded body (Zoom's examples use both); the client authenticates with
// HTTP Basic client_id:client_secret.
// https://developers.zoom.us/docs/internal-apps/s2s-oauth/ and
// https://developers.zoom.us/docs/integrations/oauth/
func (s *Sim) handleToken(w http.ResponseWriter, r *http.Request) {
	s.injectLatency(r)
	if err := r.ParseForm(); err != nil {
		s.recordToken("", "", http.StatusBadRequest, "malformed form")
		oauthError(w, http.StatusBadRequest, "invalid_request", "Malformed request body.")
		return
	}
	grant := r.Form.Get("grant_type")
	clientID, clientSecret, hasBasic := r.BasicAuth()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chance(s.faults.REST5xxRate) {
		s.recordTokenLocked("", grant, http.StatusInternalServerError, "injected fault")
		writeJSON(w, http.StatusInternalServerError, map[string]any{"code": 500, "message": "Internal Error"})
		return
	}
	fail := func(accountID string, status int, errCode, reason string) {
		s.recordTokenLocked(accountID, grant, status, errCode+": "+reason)
		oauthError(w, status, errCode, reason)
	}
	// Messages from https://developers.zoom.us/docs/integrations/oauth-error-messages/ (4705, 4706,
	// 4702/4704, 4709).
	if !hasBasic || clientID == "" || clientSecret == "" {
		fail("", http.StatusUnauthorized, "invalid_client", "Client ID or client secret is missing.")
		return
	}
	if grant == "" {
		fail("", http.StatusBadRequest, "invalid_request", "Missing grant type.")
		return
	}
	now := s.clock.Now()
	switch grant {
	case GrantAccountCredentials:
		accountID := r.Form.Get("account_id")
		a := s.accounts[accountID]
		if a == nil {
			fail(accountID, http.StatusBadRequest, "invalid_request", "Invalid account_id.")
			return
		}
		if !a.clientMatches(clientID, clientSecret) {
			fail(accountID, http.StatusUnauthorized, "invalid_client", "Invalid client_id or client_secret")
			return
		}
		if s.cfg.S2SNewTokenRevokesOld {
			for _, t := range s.tokens {
				if t.accountID == accountID && t.grant == GrantAccountCredentials {
					t.revoked = true
				}
			}
		}
		at := s.issueAccess(accountID, "", grant, now)
		s.recordTokenLocked(accountID, grant, http.StatusOK, "")
		writeJSON(w, http.StatusOK, s.tokenBody(r, at, ""))
	case GrantAuthorizationCode:
		code := s.authCodes[r.Form.Get("code")]
		if code == nil || code.used || !now.Before(code.expires) || code.clientID != clientID || !s.clientKnown(clientID, clientSecret) {
			acct := ""
			if code != nil {
				acct = code.accountID
			}
			if code != nil && !s.clientKnown(clientID, clientSecret) {
				fail(acct, http.StatusUnauthorized, "invalid_client", "Invalid client_id or client_secret")
				return
			}
			fail(acct, http.StatusBadRequest, "invalid_grant", "Invalid authorization code")
			return
		}
		if r.Form.Get("redirect_uri") != code.redirectURI {
			fail(code.accountID, http.StatusBadRequest, "invalid_request", "Redirect URI mismatch.")
			return
		}
		if code.challenge != "" && !VerifyPKCE(code.challengeMethod, code.challenge, r.Form.Get("code_verifier")) {
			// The code is spent too: a wrong guess must not leave it open to more guesses.
			code.used = true
			fail(code.accountID, http.StatusBadRequest, "invalid_grant", "Invalid code_verifier.")
			return
		}
		code.used = true
		signIn := s.isSignInClient(clientID)
		if a := s.accounts[code.accountID]; a != nil && !signIn {
			a.tokensRevoked = false
		}
		at := s.issueAccess(code.accountID, code.userID, grant, now)
		at.signIn = signIn
		rt := s.issueRefresh(code.accountID, code.userID, clientID)
		s.recordTokenLocked(code.accountID, grant, http.StatusOK, "")
		writeJSON(w, http.StatusOK, s.tokenBody(r, at, rt.token))
	case GrantRefreshToken:
		rt := s.refreshTokens[r.Form.Get("refresh_token")]
		if rt != nil && !s.clientKnown(clientID, clientSecret) {
			fail(rt.accountID, http.StatusUnauthorized, "invalid_client", "Invalid client_id or client_secret")
			return
		}
		// Refresh tokens rotate: "the latest refresh token must always be used … a prior
		// refresh token → 'Invalid Token!'" (https://devsupport.zoom.us/hc/en-us/articles/360060332931).
		if rt == nil || rt.used || rt.revoked || rt.clientID != clientID {
			acct := ""
			if rt != nil {
				acct = rt.accountID
			}
			fail(acct, http.StatusBadRequest, "invalid_grant", "Invalid Token!")
			return
		}
		rt.used = true
		at := s.issueAccess(rt.accountID, rt.userID, grant, now)
		at.signIn = s.isSignInClient(clientID)
		next := s.issueRefresh(rt.accountID, rt.userID, clientID)
		s.recordTokenLocked(rt.accountID, grant, http.StatusOK, "")
		writeJSON(w, http.StatusOK, s.tokenBody(r, at, next.token))
	default:
		fail("", http.StatusBadRequest, "unsupported_grant_type", "Grant type is not supported from token endpoint.")
	}
}

func (a *account) clientMatches(id, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(id), []byte(a.ClientID)) == 1 &&
		subtle.ConstantTimeCompare([]byte(secret), []byte(a.ClientSecret)) == 1
}

// clientKnown reports whether id/secret are the app's or some account's credentials; callers hold
// s.mu.
func (s *Sim) clientKnown(id, secret string) bool {
	if s.signInClientMatches(id, secret) {
		return true
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.ClientID)) == 1 &&
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) == 1 {
		return true
	}
	for _, a := range s.accounts {
		if a.clientMatches(id, secret) {
			return true
		}
	}
	return false
}

// tokenBody is Zoom's token response: access_token, token_type "bearer", expires_in, scope,
// api_url, and refresh_token for user-authorized grants.
func (s *Sim) tokenBody(r *http.Request, at *accessToken, refresh string) map[string]any {
	body := map[string]any{
		"access_token": at.token,
		"token_type":   "bearer",
		"expires_in":   int(s.cfg.TokenTTL / time.Second),
		"scope":        "meeting:read:admin meeting:write:admin user:read:admin user:write:admin user_zak:read:admin",
		"api_url":      baseURL(r),
	}
	if at.signIn {
		body["scope"] = SignInScope
	}
	if refresh != "" {
		body["refresh_token"] = refresh
	}
	return body
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// issueAccess; callers hold s.mu.
func (s *Sim) issueAccess(accountID, userID, grant string, now time.Time) *accessToken {
	t := &accessToken{token: secretToken("zsat_"), accountID: accountID, userID: userID, grant: grant, expires: now.Add(s.cfg.TokenTTL)}
	s.tokens[t.token] = t
	return t
}

// issueRefresh; callers hold s.mu.
func (s *Sim) issueRefresh(accountID, userID, clientID string) *refreshToken {
	t := &refreshToken{token: secretToken("zsrt_"), accountID: accountID, userID: userID, clientID: clientID}
	s.refreshTokens[t.token] = t
	return t
}

func (s *Sim) recordToken(accountID, grant string, status int, errText string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordTokenLocked(accountID, grant, status, errText)
}

func (s *Sim) recordTokenLocked(accountID, grant string, status int, errText string) {
	s.ledger.TokenRequests = append(s.ledger.TokenRequests, TokenRequest{
		At: s.clock.Now(), AccountID: accountID, GrantType: grant, Status: status, Error: errText,
	})
	s.notify()
}

// handleAuthorize serves GET /oauth/authorize: it approves at once, as if the account's owner
// clicked "Allow", and redirects to redirect_uri?code=…&state=…. The account is the one named by
// the simulator-only account_id parameter, else the first account using this client_id.
func (s *Sim) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if s.isSignInClient(q.Get("client_id")) {
		s.handleSignInAuthorize(w, r)
		return
	}
	if q.Get("response_type") != "code" {
		zoomError(w, http.StatusBadRequest, 4700, "Invalid response_type, want code.")
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || (redirect.Scheme != "http" && redirect.Scheme != "https") || redirect.Host == "" {
		zoomError(w, http.StatusBadRequest, 4709, "Redirect URI mismatch.")
		return
	}
	clientID := q.Get("client_id")
	s.mu.Lock()
	var a *account
	if id := q.Get("account_id"); id != "" {
		a = s.accounts[id]
	} else {
		for _, id := range s.accountOrder {
			if s.accounts[id].ClientID == clientID {
				a = s.accounts[id]
				break
			}
		}
	}
	if a == nil || a.ClientID != clientID || a.OwnerID == "" {
		s.mu.Unlock()
		zoomError(w, http.StatusBadRequest, 4702, "Invalid client.")
		return
	}
	c := &authCode{
		code: secretToken("zsac_"), accountID: a.ID, userID: a.OwnerID, clientID: clientID,
		redirectURI: q.Get("redirect_uri"), expires: s.clock.Now().Add(s.cfg.AuthCodeTTL),
	}
	s.authCodes[c.code] = c
	s.mu.Unlock()
	v := redirect.Query()
	v.Set("code", c.code)
	if st := q.Get("state"); st != "" {
		v.Set("state", st)
	}
	redirect.RawQuery = v.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// authenticate finds the live access token of a request; callers hold s.mu.
func (s *Sim) authenticate(r *http.Request) *accessToken {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil
	}
	t := s.tokens[strings.TrimSpace(tok)]
	if t == nil || t.revoked || !s.clock.Now().Before(t.expires) {
		return nil
	}
	if a := s.accounts[t.accountID]; a == nil || (a.tokensRevoked && t.grant != GrantAccountCredentials) {
		return nil
	}
	return t
}

// ExpireTokens makes every access token of the account expire now (the forced-expiry knob); the
// next REST call with one gets 401 code 124.
func (s *Sim) ExpireTokens(accountID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[accountID]; !ok {
		return fmt.Errorf("%w: account %s", ErrNotFound, accountID)
	}
	now := s.clock.Now()
	for _, t := range s.tokens {
		if t.accountID == accountID && t.expires.After(now) {
			t.expires = now
		}
	}
	s.notify()
	return nil
}

// AuthorizeURL returns the URL a browser would open to install the app on an account (the
// simulator approves at once).
func AuthorizeURL(oauthBase, clientID, redirectURI, state string) string {
	v := url.Values{}
	v.Set("response_type", "code")
	v.Set("client_id", clientID)
	v.Set("redirect_uri", redirectURI)
	if state != "" {
		v.Set("state", state)
	}
	return strings.TrimRight(oauthBase, "/") + "/oauth/authorize?" + v.Encode()
}
