package hostportal

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/zoomclient"
)

// The state's fixed claims.
const (
	stateIssuer   = "cohostd"
	stateAudience = "cohost-host-signin"
	// maxStateLen bounds a state before it is parsed: cohost's are about 300
	// bytes.
	maxStateLen = 1024
)

// Prefixes of the random tokens the portal hands out.
const (
	noncePrefix   = "hn1."
	browserPrefix = "hb1."
	sessionPrefix = "hs1."
)

// SignInStart is where a sign-in goes next.
type SignInStart struct {
	// AuthorizeURL is Zoom's sign-in page.
	AuthorizeURL string
	// Browser binds the sign-in to this browser: keep it in a cookie the
	// callback receives (HttpOnly, SignInTTL), and pass it to FinishSignIn.
	Browser string
}

// BeginSignIn starts a sign-in: a new PKCE verifier, kept in the database
// with the hash of a browser binding, and a signed state naming it. Only the
// verifier's S256 challenge goes to Zoom.
func (p *Portal) BeginSignIn(ctx context.Context) (SignInStart, error) {
	if !p.Enabled() {
		return SignInStart{}, offError
	}
	if !p.allowSignIn() {
		return SignInStart{}, fail(CodeTooManySignIns, "Too many sign-ins right now",
			"cohost is starting more sign-ins than it takes at once. Wait a few seconds, then sign in again.", nil)
	}
	nonce, err := randomToken(noncePrefix)
	if err != nil {
		return SignInStart{}, err
	}
	browser, err := randomToken(browserPrefix)
	if err != nil {
		return SignInStart{}, err
	}
	now := p.now()
	state, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Issuer:    stateIssuer,
		Audience:  jwt.ClaimStrings{stateAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now.Add(-5 * time.Second)),
		ExpiresAt: jwt.NewNumericDate(now.Add(SignInTTL)),
		ID:        nonce,
	}).SignedString(p.StateKey)
	if err != nil {
		return SignInStart{}, fmt.Errorf("hostportal: signing the state: %w", err)
	}
	verifier := oauth2.GenerateVerifier()
	if err := p.Store.CreateHostSignIn(ctx, SignInRecord{StateHash: hashToken(nonce), Verifier: verifier,
		BrowserHash: hashToken(browser), CreatedAt: now, ExpiresAt: now.Add(SignInTTL)}); err != nil {
		return SignInStart{}, unavailable("cohost's database", err)
	}
	return SignInStart{AuthorizeURL: p.SignIn.AuthorizeURL(state, verifier), Browser: browser}, nil
}

// Callback is what Zoom's redirect to the callback carries.
type Callback struct {
	State string
	Code  string
	// Error is Zoom's error parameter, set when the person declined.
	Error string
}

// Session is a signed-in host.
type Session struct {
	// ID is the session id for the host's cookie; set only by FinishSignIn.
	ID string
	// AccountID and UserID are the host's Zoom account and user.
	AccountID string
	UserID    string
	Email     string
	Name      string
	// Timezone is the host's Zoom time zone (an IANA name), "" for UTC.
	Timezone  string
	ExpiresAt time.Time
}

// Location is the host's time zone, in which the portal shows times as
// Zoom's own lists do; UTC when Zoom named none cohost knows.
func (s Session) Location() *time.Location {
	if s.Timezone != "" {
		if loc, err := time.LoadLocation(s.Timezone); err == nil {
			return loc
		}
	}
	return time.UTC
}

// FinishSignIn completes a sign-in at the callback: the state must be
// cohost's, unexpired, unused and started in this browser (browser is the
// binding BeginSignIn returned, from its cookie); the code is exchanged with
// the state's verifier; the person must belong to an account cohost serves.
// It returns the new session, whose ID goes into the host's cookie.
func (p *Portal) FinishSignIn(ctx context.Context, cb Callback, browser string) (Session, error) {
	if !p.Enabled() {
		return Session{}, offError
	}
	nonce, err := p.verifyState(cb.State)
	if err != nil {
		return Session{}, err
	}
	// Taken, whatever happens next: a state works once.
	in, err := p.Store.TakeHostSignIn(ctx, hashToken(nonce))
	if errors.Is(err, grant.ErrNotFound) {
		return Session{}, fail(CodeInvalidState, "This sign-in was already used",
			"Each sign-in link works once. Start again with Sign in with Zoom.", err)
	}
	if err != nil {
		return Session{}, unavailable("cohost's database", err)
	}
	if !p.now().Before(in.ExpiresAt) {
		return Session{}, stateExpired(nil)
	}
	if !tokenShape(browser, browserPrefix) || subtle.ConstantTimeCompare([]byte(hashToken(browser)), []byte(in.BrowserHash)) != 1 {
		return Session{}, fail(CodeInvalidState, "This sign-in was started in another browser",
			"Sign in from the browser where you chose Sign in with Zoom, or start again here.", nil)
	}
	if cb.Error != "" {
		return Session{}, fail(CodeSignInRefused, "Zoom did not sign you in",
			"Zoom answered "+safeWord(cb.Error)+". Start again with Sign in with Zoom.", nil)
	}
	if cb.Code == "" || len(cb.Code) > 1024 {
		return Session{}, fail(CodeSignInRefused, "Zoom did not sign you in", "Zoom sent no usable code. Start again with Sign in with Zoom.", nil)
	}
	me, err := p.SignIn.Identify(ctx, cb.Code, in.Verifier)
	if err != nil {
		var te *zoomclient.TokenError
		if errors.As(err, &te) && te.Rejected() {
			return Session{}, fail(CodeSignInRefused, "Zoom did not sign you in",
				"Zoom refused the sign-in code (it works once, for 5 minutes, and only for the sign-in that asked for it). Start again with Sign in with Zoom.", err)
		}
		return Session{}, unavailable("Zoom", err)
	}
	user, err := checkUser(me)
	if err != nil {
		return Session{}, err
	}
	served, err := p.Accounts.Serves(ctx, user.AccountID)
	if err != nil {
		return Session{}, unavailable("cohost's database", err)
	}
	if !served {
		p.log().InfoContext(ctx, "host portal: sign-in refused, account not served", "account_id", user.AccountID, "user_id", user.UserID)
		return Session{}, fail(CodeAccountNotServed, "Your Zoom account does not use this cohost",
			"You signed in as "+user.Email+", a user of a Zoom account this cohost does not serve. Sign in with your work Zoom account, or ask your Zoom admin to add cohost to your account.", nil)
	}
	id, err := randomToken(sessionPrefix)
	if err != nil {
		return Session{}, err
	}
	now := p.now()
	user.ID, user.ExpiresAt = id, now.Add(p.sessionTTL())
	if err := p.Store.CreateHostSession(ctx, SessionRecord{IDHash: hashToken(id), AccountID: user.AccountID, UserID: user.UserID,
		Email: user.Email, DisplayName: user.Name, Timezone: user.Timezone, CreatedAt: now, ExpiresAt: user.ExpiresAt}); err != nil {
		return Session{}, unavailable("cohost's database", err)
	}
	p.log().InfoContext(ctx, "host signed in", "account_id", user.AccountID, "user_id", user.UserID, "expires_at", user.ExpiresAt.UTC().Format(time.RFC3339))
	return user, nil
}

func stateExpired(err error) *Error {
	return fail(CodeStateExpired, "This sign-in took too long",
		"A sign-in must be finished within 10 minutes. Start again with Sign in with Zoom.", err)
}

// verifyState checks the state's signature, issuer, audience and times and
// returns its nonce. It reads nothing but the state.
func (p *Portal) verifyState(state string) (string, error) {
	invalid := func(cause error) error {
		return fail(CodeInvalidState, "This sign-in is not valid",
			"Its state is missing or was altered. Start again with Sign in with Zoom.", cause)
	}
	if state == "" || len(state) > maxStateLen {
		return "", invalid(errors.New("state missing or too long"))
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(stateIssuer),
		jwt.WithAudience(stateAudience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(p.now),
		jwt.WithLeeway(5*time.Second),
	)
	var claims jwt.RegisteredClaims
	_, err := parser.ParseWithClaims(state, &claims, func(*jwt.Token) (any, error) { return p.StateKey, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "", stateExpired(err)
	case err != nil:
		return "", invalid(errors.New("state rejected"))
	}
	if claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > SignInTTL+time.Minute {
		return "", invalid(errors.New("state lifetime too long"))
	}
	if !tokenShape(claims.ID, noncePrefix) {
		return "", invalid(errors.New("state nonce malformed"))
	}
	return claims.ID, nil
}

// Bounds of what Zoom says of a user, applied before anything is stored,
// logged or shown.
const (
	maxIDLen    = 64
	maxEmailLen = 254
	maxNameLen  = 128
	maxZoneLen  = 64
)

// checkUser turns Zoom's answer to GET /users/me into a Session, or refuses
// an answer cohost cannot use.
func checkUser(me *zoomclient.User) (Session, error) {
	s := Session{
		AccountID: strings.TrimSpace(me.AccountID),
		UserID:    strings.TrimSpace(me.ID),
		Email:     api.CleanText(me.Email, maxEmailLen),
		Name:      api.CleanText(me.DisplayName, maxNameLen),
	}
	if s.Name == "" {
		s.Name = api.CleanText(strings.TrimSpace(me.FirstName+" "+me.LastName), maxNameLen)
	}
	if !zoomID(s.AccountID) || !zoomID(s.UserID) {
		return Session{}, fail(CodeSignInRefused, "Zoom did not say who you are",
			"Zoom's answer named no usable user or account. Start again with Sign in with Zoom.", errors.New("user or account id malformed"))
	}
	if tz := me.Timezone; len(tz) <= maxZoneLen && zoneName(tz) {
		if _, err := time.LoadLocation(tz); err == nil {
			s.Timezone = tz
		}
	}
	return s, nil
}

// zoomID reports whether s looks like a Zoom user or account id: 1 to 64
// characters of letters, digits, "-" and "_".
func zoomID(s string) bool {
	if s == "" || len(s) > maxIDLen {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// zoneName reports whether s can be an IANA time zone name (Europe/Berlin,
// America/Argentina/Buenos_Aires, Etc/GMT+5): letters, digits, "/", "_",
// "+" and "-", never a path out of the zone database.
func zoneName(s string) bool {
	if s == "" || strings.Contains(s, "..") || strings.HasPrefix(s, "/") {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '/', c == '_', c == '+', c == '-':
		default:
			return false
		}
	}
	return true
}

// safeWord keeps an OAuth error code Zoom sent back ("access_denied") fit to
// show: lower-case letters and "_", at most 40, else "an error".
func safeWord(s string) string {
	if s == "" || len(s) > 40 || !utf8.ValidString(s) {
		return "an error"
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && c != '_' {
			return "an error"
		}
	}
	return `"` + s + `"`
}
