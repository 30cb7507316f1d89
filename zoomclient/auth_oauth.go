package zoomclient

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// OAuthService is the install flow of a Marketplace app (oauth mode):
// https://developers.zoom.us/docs/integrations/oauth/
//
//  1. NewState and AuthorizeURL: send the browser to Zoom's consent page with
//     a signed, short-lived state; keep the nonce in a cookie.
//  2. VerifyState and Exchange at the callback: check the state against the
//     cookie, trade the code for tokens, find the account they belong to and
//     store them.
//  3. Deauthorize on app_deauthorized: forget the account's tokens.
type OAuthService service

// Install-state errors; VerifyState wraps one of them.
var (
	// ErrInvalidState: the state is malformed, forged, for another audience or
	// issuer, or not bound to this browser.
	ErrInvalidState = errors.New("zoomclient: invalid install state")
	// ErrStateExpired: the state was genuine but is too old.
	ErrStateExpired = errors.New("zoomclient: install state expired")
)

// The state JWT's fixed claims.
const (
	stateIssuer   = "cohostd"
	stateAudience = "cohost-zoom-install"
	maxStateLen   = 2048
)

// stateSigner signs and checks the install state, an HS256 JWT with iss,
// aud, iat, exp (StateTTL after iat) and jti (a nonce also kept in a cookie,
// which binds the state to the browser that started the install).
type stateSigner struct {
	key      []byte
	ttl      time.Duration
	now      func() time.Time
	audience string
}

func deriveStateKey(clientSecret string) []byte {
	m := hmac.New(sha256.New, []byte(clientSecret))
	m.Write([]byte("cohost zoomclient oauth install state v1"))
	return m.Sum(nil)
}

func (s *stateSigner) sign() (state, nonce string, err error) {
	nonce = randomID()
	now := s.now()
	claims := jwt.RegisteredClaims{
		Issuer:    stateIssuer,
		Audience:  jwt.ClaimStrings{s.audience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now.Add(-5 * time.Second)),
		ExpiresAt: jwt.NewNumericDate(now.Add(s.ttl)),
		ID:        nonce,
	}
	state, err = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.key)
	if err != nil {
		return "", "", fmt.Errorf("zoomclient: signing install state: %w", err)
	}
	return state, nonce, nil
}

func (s *stateSigner) verify(state, nonce string) error {
	if state == "" {
		return fmt.Errorf("%w: missing", ErrInvalidState)
	}
	if len(state) > maxStateLen {
		return fmt.Errorf("%w: too long", ErrInvalidState)
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(stateIssuer),
		jwt.WithAudience(s.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.now),
		jwt.WithLeeway(5*time.Second),
	)
	var claims jwt.RegisteredClaims
	_, err := p.ParseWithClaims(state, &claims, func(*jwt.Token) (any, error) { return s.key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrStateExpired
	case err != nil:
		return fmt.Errorf("%w: %s", ErrInvalidState, stateReason(err))
	}
	if claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > s.ttl+time.Minute {
		return fmt.Errorf("%w: lifetime too long", ErrInvalidState)
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(claims.ID), []byte(nonce)) != 1 {
		return fmt.Errorf("%w: not started in this browser", ErrInvalidState)
	}
	return nil
}

// stateReason names a JWT failure without echoing the token.
func stateReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "not valid yet"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "required claim missing"
	case errors.Is(err, jwt.ErrTokenUnverifiable), errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "unverifiable"
	default:
		return "malformed"
	}
}

func (s *OAuthService) signer() (*stateSigner, error) {
	if s.client.core.mode != ModeOAuth || s.client.core.state == nil {
		return nil, fmt.Errorf("%w: install flow needs oauth mode", ErrWrongMode)
	}
	return s.client.core.state, nil
}

// NewState returns a signed install state for AuthorizeURL and its nonce. Keep
// the nonce where only the same browser can return it (an HttpOnly cookie) and
// pass both to VerifyState at the callback.
func (s *OAuthService) NewState() (state, nonce string, err error) {
	st, err := s.signer()
	if err != nil {
		return "", "", err
	}
	return st.sign()
}

// VerifyState checks the state Zoom sent back to the callback: HS256
// signature, issuer, audience, expiry, and that its nonce is the one kept
// for this browser. Errors wrap ErrStateExpired or ErrInvalidState.
func (s *OAuthService) VerifyState(state, nonce string) error {
	st, err := s.signer()
	if err != nil {
		return err
	}
	return st.verify(state, nonce)
}

func (co *core) oauthConfig() *oauth2.Config {
	return &oauth2.Config{
		ClientID:     co.clientID,
		ClientSecret: co.clientSecret,
		RedirectURL:  co.redirectURL,
		Endpoint: oauth2.Endpoint{
			AuthURL:   co.oauthURL.JoinPath("oauth", "authorize").String(),
			TokenURL:  co.tokenURL(),
			AuthStyle: oauth2.AuthStyleInHeader,
		},
	}
}

// AuthorizeURL returns Zoom's consent page for the app,
// {OAuthURL}/oauth/authorize?response_type=code&client_id=…&redirect_uri=…&state=…
// (https://developers.zoom.us/docs/integrations/oauth/#step-1-request-user-authorization).
// Scopes are those configured on the app in the Marketplace.
func (s *OAuthService) AuthorizeURL(state string) (string, error) {
	if s.client.core.mode != ModeOAuth {
		return "", fmt.Errorf("%w: install flow needs oauth mode", ErrWrongMode)
	}
	return s.client.core.oauthConfig().AuthCodeURL(state), nil
}

// RedirectURL is the configured callback URL (Config.RedirectURL).
func (s *OAuthService) RedirectURL() string { return s.client.core.redirectURL }

// StateTTL is how long an install state stays valid (Config.StateTTL), e.g.
// for the lifetime of the cookie that holds its nonce. Zero outside oauth mode.
func (s *OAuthService) StateTTL() time.Duration {
	if s.client.core.state == nil {
		return 0
	}
	return s.client.core.state.ttl
}

// refreshOAuth trades a refresh token for new tokens: POST {OAuthURL}/oauth/token
// with grant_type=refresh_token and HTTP Basic client credentials
// (https://developers.zoom.us/docs/integrations/oauth/#refreshing-an-access-token).
func (co *core) refreshOAuth(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, co.http)
	ts := co.oauthConfig().TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken})
	tok, err := ts.Token()
	if err != nil {
		te := co.tokenError(grantRefreshToken, err, refreshToken)
		co.metrics.token(ModeOAuth, grantRefreshToken, tokenResult(te))
		co.log.Warn("zoom token refresh failed", "grant", grantRefreshToken, "error", te.Error())
		return nil, te
	}
	if tok.AccessToken == "" {
		co.metrics.token(ModeOAuth, grantRefreshToken, "error")
		return nil, &TokenError{Grant: grantRefreshToken, msg: "response without access_token"}
	}
	co.metrics.token(ModeOAuth, grantRefreshToken, "success")
	return tok, nil
}

// Installation says what an install stored.
type Installation struct {
	// AccountID is the Zoom account the tokens act for.
	AccountID string
	// UserID and UserEmail identify the Zoom user who installed the app.
	UserID    string
	UserEmail string
	// Scopes are the scopes Zoom granted.
	Scopes []string
	// Reinstalled is true when the account already had tokens, now replaced.
	Reinstalled bool
}

// Exchange trades the authorization code from the callback for tokens
// (grant_type=authorization_code, https://developers.zoom.us/docs/integrations/oauth/#step-2-request-access-token),
// learns the account they belong to from GET /users/me (Zoom's token
// response carries no account id; the user's account_id does:
// https://developers.zoom.us/docs/api/users/#tag/users/GET/users/{userId}),
// and stores them, replacing any earlier install of that account.
func (s *OAuthService) Exchange(ctx context.Context, code string) (*Installation, error) {
	co := s.client.core
	if co.mode != ModeOAuth {
		return nil, fmt.Errorf("%w: install flow needs oauth mode", ErrWrongMode)
	}
	if code == "" {
		return nil, errors.New("zoomclient: empty authorization code")
	}
	tctx, cancel := context.WithTimeout(context.WithValue(ctx, oauth2.HTTPClient, co.http), co.tokens.tokenTimeout)
	tok, err := co.oauthConfig().Exchange(tctx, code)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("zoomclient: exchanging the authorization code: %w", ctx.Err())
		}
		te := co.tokenError(grantAuthorizationCode, err, code)
		co.metrics.token(ModeOAuth, grantAuthorizationCode, tokenResult(te))
		co.log.Warn("zoom authorization code exchange failed", "error", te.Error())
		return nil, te
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		co.metrics.token(ModeOAuth, grantAuthorizationCode, "error")
		return nil, &TokenError{Grant: grantAuthorizationCode, msg: "response without access_token or refresh_token"}
	}
	co.metrics.token(ModeOAuth, grantAuthorizationCode, "success")
	expiry := co.tokens.expiry(tok)

	// Which account? Ask Zoom who "me" is with the new token. The token cannot
	// be refreshed here (Version 0): a 401 is final.
	req, err := s.client.NewRequest(http.MethodGet, routeUsersMe, nil)
	if err != nil {
		return nil, err
	}
	var me User
	fixed := func(context.Context, int64) (*accessToken, error) {
		return &accessToken{AccessToken: tok.AccessToken, Expiry: expiry}, nil
	}
	ep := req.Context().Value(endpointKey{}).(endpoint)
	if _, err := co.do(ctx, installAccount, ep, req, &me, fixed); err != nil {
		return nil, fmt.Errorf("zoomclient: finding the account of a new install: %w", err)
	}
	acct := strings.TrimSpace(me.AccountID)
	if acct == "" {
		return nil, errors.New("zoomclient: GET /users/me returned no account_id")
	}

	rec := TokenRecord{
		AccountID:    acct,
		AccessToken:  co.tokens.seal(tok.AccessToken, acct, fieldAccessToken),
		RefreshToken: co.tokens.seal(tok.RefreshToken, acct, fieldRefreshToken),
		TokenType:    tok.Type(),
		Scope:        tokenScope(tok),
		Expiry:       expiry,
	}
	inst := &Installation{AccountID: acct, UserID: me.ID, UserEmail: me.Email, Scopes: strings.Fields(rec.Scope)}
	for range 5 {
		cur, err := co.tokens.load(ctx, acct)
		if err != nil {
			return nil, err
		}
		var prev int64
		if cur != nil {
			prev = cur.Version
			inst.Reinstalled = true
		}
		v, err := co.store.SaveToken(context.WithoutCancel(ctx), rec, prev)
		if errors.Is(err, ErrVersionConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("zoomclient: storing the tokens of account %s: %w", acct, err)
		}
		co.tokens.drop(acct)
		co.tokens.put(acct, &accessToken{AccessToken: tok.AccessToken, Expiry: expiry, Version: v})
		co.log.Info("zoom app installed", "account_id", acct, "user_id", me.ID, "reinstalled", inst.Reinstalled)
		return inst, nil
	}
	return nil, fmt.Errorf("zoomclient: storing the tokens of account %s: %w", acct, ErrVersionConflict)
}

// installAccount keys the rate limiter and pauses of the one call made during
// an install, before the account is known.
const installAccount = "(install)"

// Deauthorize forgets accountID's tokens, as app_deauthorized requires
// (https://developers.zoom.us/docs/api/webhooks/ "app_deauthorized"). Calls for
// the account then fail with ErrNotInstalled until it installs the app again.
// It works in both modes (in s2s mode the next call mints a new token).
func (s *OAuthService) Deauthorize(ctx context.Context, accountID string) error {
	co := s.client.core
	if accountID == "" {
		return ErrNoAccount
	}
	if err := co.store.DeleteToken(ctx, accountID); err != nil {
		return fmt.Errorf("zoomclient: deleting the tokens of account %s: %w", accountID, err)
	}
	co.tokens.drop(accountID)
	co.local.clear(accountID)
	co.log.Info("zoom app deauthorized; tokens deleted", "account_id", accountID)
	return nil
}
