// Package hostportal is the host portal: a host signs in with Zoom, sees
// their live and upcoming meetings and starts one from cohost's host page,
// with no link from an app. docs/host-client.md explains it.
//
// Sign-in is Zoom's authorization code flow with PKCE (S256) for a
// user-managed app (zoomclient.SignInService), with a signed, short-lived
// state that works once and only in the browser that asked for it. cohost
// learns who signed in from GET /users/me and drops the user's token at once:
// everything after that (the meeting list, the host check, the ZAK) uses the
// account's own token, as host links do. Only users of an account cohost
// serves may sign in, and only a meeting's host may start it.
//
// A session is a row in the database, found by the SHA-256 of the random id
// in the host's cookie: short (at most MaxSessionTTL), and ended for every
// replica at once by signing out. Starting a meeting mints a host link
// (hostclient) and sends the browser to it, so the host page runs with the
// same protections as a link an app handed out.
package hostportal

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/zoomclient"
)

// Lifetimes and bounds.
const (
	// DefaultSessionTTL is how long a sign-in lasts unless configured: a
	// working day.
	DefaultSessionTTL = 8 * time.Hour
	// MaxSessionTTL bounds it: a session is a credential that starts
	// meetings as their host.
	MaxSessionTTL = 12 * time.Hour
	// MinSessionTTL keeps a session long enough to sign in and start a
	// meeting.
	MinSessionTTL = 5 * time.Minute
	// SignInTTL is how long a sign-in may take between "Sign in with Zoom"
	// and Zoom's redirect back (Zoom's codes themselves last 5 minutes).
	SignInTTL = 10 * time.Minute
)

// Identifier is Sign in with Zoom (zoomclient.SignInService).
type Identifier interface {
	// AuthorizeURL is Zoom's sign-in page for state, with the S256 challenge
	// of verifier.
	AuthorizeURL(state, verifier string) string
	// Identify trades the code for who signed in; the token is dropped.
	Identify(ctx context.Context, code, verifier string) (*zoomclient.User, error)
}

// Store is what the portal keeps (package store implements it). Reads of a
// row that is not there answer grant.ErrNotFound.
type Store interface {
	// CreateHostSignIn stores a sign-in that has just started.
	CreateHostSignIn(ctx context.Context, in SignInRecord) error
	// TakeHostSignIn deletes the sign-in whose state hashes to stateHash and
	// returns it: of two callbacks with one state, on any replicas, one gets
	// it. An expired one is returned too; the portal refuses it.
	TakeHostSignIn(ctx context.Context, stateHash string) (SignInRecord, error)
	// CreateHostSession stores a new session.
	CreateHostSession(ctx context.Context, s SessionRecord) error
	// HostSessionByHash reads the session whose id hashes to idHash, expired
	// or not.
	HostSessionByHash(ctx context.Context, idHash string) (SessionRecord, error)
	// DeleteHostSession ends a session; ending one that is gone is no error.
	DeleteHostSession(ctx context.Context, idHash string) error
	// LiveMeetingsOfHost returns the ledger's live meetings the user hosts
	// in the account, the latest started first.
	LiveMeetingsOfHost(ctx context.Context, accountID, hostID string) ([]grant.Meeting, error)
}

// SignInRecord is a sign-in under way, as the store keeps it.
type SignInRecord struct {
	// StateHash is the hex SHA-256 of the state's nonce.
	StateHash string
	// Verifier is the PKCE code verifier the code must be exchanged with.
	Verifier string
	// BrowserHash is the hex SHA-256 of the cookie that binds the sign-in to
	// its browser.
	BrowserHash string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// SessionRecord is a signed-in host, as the store keeps it: by the hash of
// the session id, never the id.
type SessionRecord struct {
	// IDHash is the hex SHA-256 of the session id the cookie holds.
	IDHash string
	// AccountID and UserID are the host's Zoom account and user.
	AccountID string
	UserID    string
	// Email, DisplayName and Timezone are what Zoom said of the user at
	// sign-in, for the portal's page.
	Email       string
	DisplayName string
	Timezone    string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// HostLinks mints host links (hostclient.Service).
type HostLinks interface {
	MintLink(ctx context.Context, r hostclient.MintRequest) (hostclient.Link, error)
}

// Accounts says whether cohost serves a Zoom account (OneAccount in s2s
// mode, InstalledAccounts in oauth mode).
type Accounts interface {
	Serves(ctx context.Context, accountID string) (bool, error)
}

// Portal is the host portal. A nil *Portal, or one without SignIn, is off.
type Portal struct {
	// SignIn is the sign-in app's flow; nil turns the portal off.
	SignIn Identifier
	// StateKey signs the sign-in state (HS256); use StateKeyFrom.
	StateKey []byte
	Store    Store
	// Zoom reads the account's meetings with the account's token.
	Zoom     *zoomclient.Client
	Accounts Accounts
	Links    HostLinks
	// SessionTTL is how long a sign-in lasts; DefaultSessionTTL when zero,
	// at most MaxSessionTTL.
	SessionTTL time.Duration
	Logger     *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	// signIns bounds the sign-ins this replica begins (SignInRate): each
	// writes a row before anyone is known, so a flood must not grow the
	// table without bound.
	signInsOnce sync.Once
	signIns     *rate.Limiter
}

// The pace of sign-ins one replica begins: a burst of SignInBurst, then
// SignInRate a second. Far above people signing in by hand; a flood beyond
// it is answered CodeTooManySignIns and writes nothing, and the rows it did
// write expire with SignInTTL.
const (
	SignInRate  = 10
	SignInBurst = 50
)

// allowSignIn takes one sign-in from the replica's budget, on the portal's
// clock.
func (p *Portal) allowSignIn() bool {
	p.signInsOnce.Do(func() { p.signIns = rate.NewLimiter(SignInRate, SignInBurst) })
	return p.signIns.AllowN(p.now(), 1)
}

// Enabled reports whether the portal can sign hosts in.
func (p *Portal) Enabled() bool { return p != nil && p.SignIn != nil }

func (p *Portal) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Portal) log() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// sessionTTL is the configured lifetime within its bounds.
func (p *Portal) sessionTTL() time.Duration {
	switch {
	case p.SessionTTL <= 0:
		return DefaultSessionTTL
	case p.SessionTTL < MinSessionTTL:
		return MinSessionTTL
	case p.SessionTTL > MaxSessionTTL:
		return MaxSessionTTL
	}
	return p.SessionTTL
}

// StateKeyFrom derives the key that signs the sign-in state from the sign-in
// app's client secret, which every replica has: rotating the secret also
// invalidates the sign-ins in flight (they last SignInTTL).
func StateKeyFrom(clientSecret string) []byte {
	m := hmac.New(sha256.New, []byte(clientSecret))
	m.Write([]byte("cohost host portal sign-in state v1"))
	return m.Sum(nil)
}

// Code says what went wrong, for the handler to answer with.
type Code string

// The portal's error codes.
const (
	// CodeOff: no sign-in app is configured.
	CodeOff Code = "portal_off"
	// CodeInvalidState: the state is missing, altered, already used, or
	// from another browser.
	CodeInvalidState Code = "invalid_state"
	// CodeStateExpired: the sign-in took longer than SignInTTL.
	CodeStateExpired Code = "state_expired"
	// CodeSignInRefused: Zoom did not sign the person in (they declined, or
	// Zoom refused the code: expired, used, or not matching its verifier).
	CodeSignInRefused Code = "signin_refused"
	// CodeAccountNotServed: the person's Zoom account is not one cohost
	// serves.
	CodeAccountNotServed Code = "account_not_served"
	// CodeNotSignedIn: no session, or one that expired or was ended.
	CodeNotSignedIn Code = "not_signed_in"
	// CodeInvalidMeeting: the meeting id is not a Zoom meeting id (the admin
	// API's code for the same).
	CodeInvalidMeeting Code = api.AdminErrInvalidMeetingID
	// CodeMeetingUnknown: Zoom knows no such meeting in the host's account.
	CodeMeetingUnknown Code = "meeting_unknown"
	// CodeNotHost: the signed-in user is not the meeting's host.
	CodeNotHost Code = "not_host"
	// CodeStartFailed: the host page could not be readied for the meeting
	// (the host client refused the link).
	CodeStartFailed Code = "start_failed"
	// CodeUnavailable: Zoom or the database did not answer; try again (the
	// domain's code for it).
	CodeUnavailable Code = grant.EUNAVAILABLE
	// CodeTooManySignIns: this replica began more sign-ins than SignInRate
	// allows; try again in a few seconds.
	CodeTooManySignIns Code = "too_many_signins"
)

// Error is a refusal or failure of the portal, in words for the person in
// front of it. It never carries a secret.
type Error struct {
	Code Code
	// Title and Detail are what the page says: what happened, and what to do.
	Title  string
	Detail string
	// Err is the cause, for the log.
	Err error
}

func (e *Error) Error() string {
	s := "hostportal: " + string(e.Code) + ": " + e.Detail
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

func fail(code Code, title, detail string, cause error) *Error {
	return &Error{Code: code, Title: title, Detail: detail, Err: cause}
}

func unavailable(what string, err error) *Error {
	return fail(CodeUnavailable, "Try again in a moment", what+" did not answer. Reload the page to try again.", err)
}

// OffDetail says, on the portal's page, why it is off and how to turn it on.
const OffDetail = "This cohost has no Zoom sign-in app: its operator sets ZOOM_SIGNIN_CLIENT_ID and ZOOM_SIGNIN_CLIENT_SECRET to turn the host portal on (docs/zoom-setup.md). Host links from your organisation's apps still work."

// offError is the answer of every call while no sign-in app is configured.
var offError = &Error{Code: CodeOff, Title: "Signing in is off", Detail: OffDetail}

// randomToken returns prefix + 32 random bytes in base64url: 256 bits, as
// long as the hash that stands for it in the database.
func randomToken(prefix string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("hostportal: crypto/rand: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// hashToken is what the database keeps of a token: its hex SHA-256.
func hashToken(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// tokenShape reports whether s is prefix followed by 43 base64url
// characters, as randomToken makes them: anything else is refused before it
// is hashed, looked up or logged.
func tokenShape(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != 43 {
		return false
	}
	for _, c := range []byte(rest) {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}
