package hostportal_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cohost-dev/cohost/hostportal"
	"github.com/cohost-dev/cohost/zoomsim"
)

// A host signs in with Zoom: the authorize URL asks for a code with an S256
// challenge and the state; the callback gets a session for the host's
// account and user, which the session cookie then finds, until sign-out.
func TestSignIn(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	start, err := e.portal.BeginSignIn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(start.AuthorizeURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("state") == "" ||
		q.Get("redirect_uri") != callbackURL || q.Get("client_id") != e.sim.Config().SignInClientID {
		t.Errorf("authorize URL %s", start.AuthorizeURL)
	}
	s, err := e.portal.FinishSignIn(ctx, e.authorize(start.AuthorizeURL, e.host.Email), start.Browser)
	if err != nil {
		t.Fatal(err)
	}
	if s.AccountID != e.acct.ID || s.UserID != e.host.ID || s.Email != e.host.Email || s.Name != "Hana Host" ||
		!sessionShaped(s.ID) || !s.ExpiresAt.Equal(e.clock().Add(hostportal.DefaultSessionTTL)) {
		t.Errorf("session %+v", s)
	}
	got, err := e.portal.Session(ctx, s.ID)
	if err != nil || got.UserID != e.host.ID || got.AccountID != e.acct.ID || got.ID != "" {
		t.Errorf("Session: %+v, %v", got, err)
	}
	// The database holds the id's hash, not the id.
	if _, err := e.st.HostSessionByHash(ctx, s.ID); err == nil {
		t.Error("the session id itself finds the row")
	}
	if err := e.portal.SignOut(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.portal.Session(ctx, s.ID); code(err) != hostportal.CodeNotSignedIn {
		t.Errorf("after sign-out: %v", err)
	}
	if err := e.portal.SignOut(ctx, s.ID); err != nil {
		t.Errorf("a second sign-out: %v", err)
	}
}

// A session lasts its TTL, at most 12 hours, then finds nobody.
func TestSessionExpires(t *testing.T) {
	e := newEnv(t)
	e.portal.SessionTTL = 48 * time.Hour // bounded to hostportal.MaxSessionTTL
	s := e.signIn(e.host.Email)
	if !s.ExpiresAt.Equal(e.clock().Add(hostportal.MaxSessionTTL)) {
		t.Errorf("expires %v, want %v after now", s.ExpiresAt, hostportal.MaxSessionTTL)
	}
	e.advance(hostportal.MaxSessionTTL - time.Second)
	if _, err := e.portal.Session(context.Background(), s.ID); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	e.advance(time.Second)
	if _, err := e.portal.Session(context.Background(), s.ID); code(err) != hostportal.CodeNotSignedIn {
		t.Errorf("at expiry: %v", err)
	}
}

func TestSessionRefusesMalformedIDs(t *testing.T) {
	e := newEnv(t)
	s := e.signIn(e.host.Email)
	for _, id := range []string{"", "hs1.", s.ID[:len(s.ID)-1], s.ID + "A", strings.Replace(s.ID, "hs1.", "hs2.", 1),
		"hs1." + strings.Repeat("!", 43), strings.ToUpper(s.ID), "hs1." + strings.Repeat("A", 43)} {
		if _, err := e.portal.Session(context.Background(), id); code(err) != hostportal.CodeNotSignedIn {
			t.Errorf("Session(%q): %v, want not signed in", id, err)
		}
	}
}

// Every way a callback can be forged, replayed or misdirected is refused,
// and none of them signs anyone in.
func TestFinishSignInRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	begin := func() hostportal.SignInStart {
		t.Helper()
		s, err := e.portal.BeginSignIn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// A callback already used: its state, and its code with a fresh state.
	used := begin()
	usedCB := e.authorize(used.AuthorizeURL, e.host.Email)
	if _, err := e.portal.FinishSignIn(ctx, usedCB, used.Browser); err != nil {
		t.Fatal(err)
	}
	// An attacker's own sign-in, whose code answers another challenge.
	attacker := begin()
	attackerCB := e.authorize(attacker.AuthorizeURL, e.host.Email)

	for _, tc := range []struct {
		name string
		cb   func() (hostportal.Callback, string)
		want hostportal.Code
	}{
		{"replayed callback", func() (hostportal.Callback, string) { return usedCB, used.Browser }, hostportal.CodeInvalidState},
		{"replayed code, fresh state", func() (hostportal.Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			cb.Code = usedCB.Code
			return cb, s.Browser
		}, hostportal.CodeSignInRefused},
		{"another sign-in's code (wrong PKCE verifier)", func() (hostportal.Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			cb.Code = attackerCB.Code
			return cb, s.Browser
		}, hostportal.CodeSignInRefused},
		{"no state", func() (hostportal.Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			cb.State = ""
			return cb, s.Browser
		}, hostportal.CodeInvalidState},
		{"tampered state", func() (hostportal.Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			cb.State = tamper(cb.State)
			return cb, s.Browser
		}, hostportal.CodeInvalidState},
		{"state signed with another key", func() (hostportal.Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			cb.State = resign(t, cb.State, []byte("not cohost's key, but 32 bytes!!"))
			return cb, s.Browser
		}, hostportal.CodeInvalidState},
		{"another browser", func() (hostportal.Callback, string) {
			s := begin()
			other := begin()
			return e.authorize(s.AuthorizeURL, e.host.Email), other.Browser
		}, hostportal.CodeInvalidState},
		{"no browser cookie", func() (hostportal.Callback, string) {
			s := begin()
			return e.authorize(s.AuthorizeURL, e.host.Email), ""
		}, hostportal.CodeInvalidState},
		{"expired state", func() (hostportal.Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			e.advance(hostportal.SignInTTL + 10*time.Second)
			return cb, s.Browser
		}, hostportal.CodeStateExpired},
		{"declined at Zoom", func() (hostportal.Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			cb.Code, cb.Error = "", "access_denied"
			return cb, s.Browser
		}, hostportal.CodeSignInRefused},
		{"no code", func() (hostportal.Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			cb.Code = ""
			return cb, s.Browser
		}, hostportal.CodeSignInRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cb, browser := tc.cb()
			s, err := e.portal.FinishSignIn(ctx, cb, browser)
			if code(err) != tc.want || s.ID != "" {
				t.Fatalf("FinishSignIn: %+v, %v; want %s", s, err, tc.want)
			}
			// A refused callback spent its state: trying it again is refused too.
			if cb.State != "" && tc.want != hostportal.CodeStateExpired {
				if _, err := e.portal.FinishSignIn(ctx, cb, browser); code(err) != hostportal.CodeInvalidState {
					t.Errorf("the state worked again: %v", err)
				}
			}
		})
	}
}

// tamper changes one character of the state's payload.
func tamper(state string) string {
	parts := strings.Split(state, ".")
	b := []byte(parts[1])
	if b[5] == 'A' {
		b[5] = 'B'
	} else {
		b[5] = 'A'
	}
	parts[1] = string(b)
	return strings.Join(parts, ".")
}

// resign signs the state's claims with key.
func resign(t *testing.T, state string, key []byte) string {
	t.Helper()
	var claims jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(state, &claims); err != nil {
		t.Fatal(err)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A user of an account cohost does not serve is refused, whatever Zoom says
// of them; in oauth mode an account serves once it installed the app.
func TestSignInRefusesOtherAccounts(t *testing.T) {
	e := newEnv(t)
	other, err := e.sim.CreateAccount(zoomsim.AccountSpec{ID: "acct-other"})
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := e.sim.CreateUser(other.ID, zoomsim.UserSpec{Email: "ann@other.example", FirstName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start, err := e.portal.BeginSignIn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.portal.FinishSignIn(ctx, e.authorize(start.AuthorizeURL, stranger.Email), start.Browser)
	if code(err) != hostportal.CodeAccountNotServed || s.ID != "" {
		t.Fatalf("a user of another account: %+v, %v", s, err)
	}

	// oauth mode: the accounts with stored tokens.
	installed := hostportal.InstalledAccounts{Tokens: e.st}
	if ok, err := installed.Serves(ctx, other.ID); ok || err != nil {
		t.Errorf("an account without tokens: %v, %v", ok, err)
	}
	if _, err := e.st.SaveToken(ctx, zoomclientTokenRecord(other.ID), 0); err != nil {
		t.Fatal(err)
	}
	if ok, err := installed.Serves(ctx, other.ID); !ok || err != nil {
		t.Errorf("an installed account: %v, %v", ok, err)
	}
	e.portal.Accounts = installed
	start, err = e.portal.BeginSignIn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := e.portal.FinishSignIn(ctx, e.authorize(start.AuthorizeURL, stranger.Email), start.Browser); err != nil || s.AccountID != other.ID {
		t.Errorf("a user of an installed account: %+v, %v", s, err)
	}
}

// The portal without a sign-in app answers every call with CodeOff.
func TestPortalOff(t *testing.T) {
	ctx := context.Background()
	for _, p := range []*hostportal.Portal{nil, {}} {
		if _, err := p.BeginSignIn(ctx); code(err) != hostportal.CodeOff {
			t.Errorf("BeginSignIn: %v", err)
		}
		if _, err := p.FinishSignIn(ctx, hostportal.Callback{}, ""); code(err) != hostportal.CodeOff {
			t.Errorf("FinishSignIn: %v", err)
		}
		if _, err := p.Session(ctx, "x"); code(err) != hostportal.CodeOff {
			t.Errorf("Session: %v", err)
		}
		if p.Enabled() {
			t.Error("enabled")
		}
	}
}

// sessionShaped reports whether id looks like a session id the portal hands
// out: "hs1." and 256 bits in base64url.
func sessionShaped(id string) bool {
	rest, ok := strings.CutPrefix(id, "hs1.")
	return ok && len(rest) == 43 && !strings.ContainsAny(rest, "+/=.")
}

// A replica begins at most SignInBurst sign-ins at once, then SignInRate a
// second: a flood of unauthenticated sign-ins cannot grow the table without
// bound. The budget is on the portal's clock.
func TestSignInsAreBounded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range hostportal.SignInBurst {
		if _, err := e.portal.BeginSignIn(ctx); err != nil {
			t.Fatalf("sign-in %d of the burst: %v", i+1, err)
		}
	}
	_, err := e.portal.BeginSignIn(ctx)
	if code(err) != hostportal.CodeTooManySignIns {
		t.Fatalf("past the burst: %v, want %s", err, hostportal.CodeTooManySignIns)
	}
	var pe *hostportal.Error
	if !errors.As(err, &pe) || !strings.Contains(pe.Detail, "Wait a few seconds") {
		t.Errorf("the refusal says %+v", pe)
	}
	e.advance(time.Second)
	for i := range hostportal.SignInRate {
		if _, err := e.portal.BeginSignIn(ctx); err != nil {
			t.Fatalf("sign-in %d a second later: %v", i+1, err)
		}
	}
	if _, err := e.portal.BeginSignIn(ctx); code(err) != hostportal.CodeTooManySignIns {
		t.Fatalf("past a second's budget: %v", err)
	}
}
