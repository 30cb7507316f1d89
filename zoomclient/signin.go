package zoomclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// SignInConfig is the Zoom app people sign in to cohost with ("Sign in with
// Zoom"): a user-managed General app whose only scope is user:read:user.
// Zoom's apps are either admin-managed or user-managed, never both
// (https://developers.zoom.us/docs/build-flow/basic-info/app-mgmt/), so the
// app that acts for an account (ZOOM_CLIENT_ID) cannot also sign that
// account's users in.
type SignInConfig struct {
	// ClientID and ClientSecret are the sign-in app's credentials
	// (ZOOM_SIGNIN_CLIENT_ID, ZOOM_SIGNIN_CLIENT_SECRET).
	ClientID     string
	ClientSecret string
	// RedirectURL is the absolute URL Zoom sends the browser back to with the
	// code; it must be the app's redirect URL exactly.
	RedirectURL string
}

// SignInService is the authorization code flow with PKCE (S256) of the
// sign-in app: AuthorizeURL sends the browser to Zoom, Identify trades the
// code that comes back for who the person is. The user's token lives only
// inside Identify: nothing of it is kept, logged or returned.
// https://developers.zoom.us/docs/integrations/oauth/
type SignInService struct {
	co   *core
	conf *oauth2.Config
	red  redactor
}

// signInMode labels the sign-in app's token requests in metrics, apart from
// the account app's.
const signInMode AuthMode = "signin"

// signInAccount keys the rate limiter and pauses of the sign-in app's
// GET /users/me: the users signing in belong to no one account of cohost's.
const signInAccount = "(sign-in)"

// SignIn returns the sign-in flow of cfg's app. It shares c's endpoints
// (Config.OAuthURL, Config.APIURL), HTTP client, limits and metrics.
func (c *Client) SignIn(cfg SignInConfig) (*SignInService, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("zoomclient: the sign-in app's client id and client secret are required")
	}
	if _, err := parseBaseURL(cfg.RedirectURL); err != nil {
		return nil, fmt.Errorf("zoomclient: sign-in redirect URL: %w", err)
	}
	co := c.core
	return &SignInService{
		co: co,
		conf: &oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Endpoint: oauth2.Endpoint{
				AuthURL:   co.oauthURL.JoinPath("oauth", "authorize").String(),
				TokenURL:  co.tokenURL(),
				AuthStyle: oauth2.AuthStyleInHeader,
			},
		},
		red: newRedactor(cfg.ClientID, cfg.ClientSecret),
	}, nil
}

// AuthorizeURL returns Zoom's sign-in page for the app:
// {OAuthURL}/oauth/authorize?response_type=code&client_id=…&redirect_uri=…&state=…
// &code_challenge=BASE64URL(SHA256(verifier))&code_challenge_method=S256.
// Make verifier with oauth2.GenerateVerifier and keep it on the server for
// Identify: only the challenge leaves it.
func (s *SignInService) AuthorizeURL(state, verifier string) string {
	return s.conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
}

// RedirectURL is the configured callback URL (SignInConfig.RedirectURL).
func (s *SignInService) RedirectURL() string { return s.conf.RedirectURL }

// Identify trades the code Zoom sent to the redirect URL, with the PKCE
// verifier its authorization was started with, for the user's token
// (https://developers.zoom.us/docs/integrations/oauth/#step-2-request-access-token),
// reads GET /users/me with it and returns who that is. The token is dropped
// when Identify returns; the refresh token Zoom also sends is never read.
//
// Zoom refusing the code (expired, used, for another redirect, or a verifier
// that does not match its challenge) is a *TokenError whose Rejected is true.
func (s *SignInService) Identify(ctx context.Context, code, verifier string) (*User, error) {
	co := s.co
	if code == "" {
		return nil, errors.New("zoomclient: empty authorization code")
	}
	red := s.red.with(code, verifier)
	tctx, cancel := context.WithTimeout(context.WithValue(ctx, oauth2.HTTPClient, co.http), co.tokens.tokenTimeout)
	tok, err := s.conf.Exchange(tctx, code, oauth2.VerifierOption(verifier))
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("zoomclient: exchanging the sign-in code: %w", ctx.Err())
		}
		te := redactedTokenError(red, grantAuthorizationCode, err)
		co.metrics.token(signInMode, grantAuthorizationCode, tokenResult(te))
		co.log.Warn("zoom sign-in code exchange failed", "error", te.Error())
		return nil, te
	}
	if tok.AccessToken == "" {
		co.metrics.token(signInMode, grantAuthorizationCode, "error")
		return nil, &TokenError{Grant: grantAuthorizationCode, msg: "response without access_token"}
	}
	co.metrics.token(signInMode, grantAuthorizationCode, "success")

	req, err := (&Client{core: co}).NewRequest(http.MethodGet, routeUsersMe, nil)
	if err != nil {
		return nil, err
	}
	// Version 0: the user's token is never refreshed, so a 401 is final.
	fixed := func(context.Context, int64) (*accessToken, error) {
		return &accessToken{AccessToken: tok.AccessToken, Expiry: co.tokens.expiry(tok)}, nil
	}
	ep := req.Context().Value(endpointKey{}).(endpoint)
	var me User
	if _, err := co.do(ctx, signInAccount, ep, req, &me, fixed); err != nil {
		return nil, fmt.Errorf("zoomclient: reading who signed in: %w", err)
	}
	if strings.TrimSpace(me.ID) == "" || strings.TrimSpace(me.AccountID) == "" {
		return nil, &DecodeError{Endpoint: ep.String(), Status: http.StatusOK, msg: "user without id or account_id"}
	}
	return &me, nil
}
