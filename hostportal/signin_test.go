package hostportal

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

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
		!tokenShape(s.ID, sessionPrefix) || !s.ExpiresAt.Equal(e.clock().Add(DefaultSessionTTL)) {
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
	if _, err := e.portal.Session(ctx, s.ID); code(err) != CodeNotSignedIn {
		t.Errorf("after sign-out: %v", err)
	}
	if err := e.portal.SignOut(ctx, s.ID); err != nil {
		t.Errorf("a second sign-out: %v", err)
	}
}

// A session lasts its TTL, at most 12 hours, then finds nobody.
func TestSessionExpires(t *testing.T) {
	e := newEnv(t)
	e.portal.SessionTTL = 48 * time.Hour // bounded to MaxSessionTTL
	s := e.signIn(e.host.Email)
	if !s.ExpiresAt.Equal(e.clock().Add(MaxSessionTTL)) {
		t.Errorf("expires %v, want %v after now", s.ExpiresAt, MaxSessionTTL)
	}
	e.advance(MaxSessionTTL - time.Second)
	if _, err := e.portal.Session(context.Background(), s.ID); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	e.advance(time.Second)
	if _, err := e.portal.Session(context.Background(), s.ID); code(err) != CodeNotSignedIn {
		t.Errorf("at expiry: %v", err)
	}
}

func TestSessionRefusesMalformedIDs(t *testing.T) {
	e := newEnv(t)
	s := e.signIn(e.host.Email)
	for _, id := range []string{"", "hs1.", s.ID[:len(s.ID)-1], s.ID + "A", strings.Replace(s.ID, "hs1.", "hs2.", 1),
		"hs1." + strings.Repeat("!", 43), strings.ToUpper(s.ID), "hs1." + strings.Repeat("A", 43)} {
		if _, err := e.portal.Session(context.Background(), id); code(err) != CodeNotSignedIn {
			t.Errorf("Session(%q): %v, want not signed in", id, err)
		}
	}
}

// Every way a callback can be forged, replayed or misdirected is refused,
// and none of them signs anyone in.
func TestFinishSignInRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	begin := func() SignInStart {
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
		cb   func() (Callback, string)
		want Code
	}{
		{"replayed callback", func() (Callback, string) { return usedCB, used.Browser }, CodeInvalidState},
		{"replayed code, fresh state", func() (Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			cb.Code = usedCB.Code
			return cb, s.Browser
		}, CodeSignInRefused},
		{"another sign-in's code (wrong PKCE verifier)", func() (Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			cb.Code = attackerCB.Code
			return cb, s.Browser
		}, CodeSignInRefused},
		{"no state", func() (Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			cb.State = ""
			return cb, s.Browser
		}, CodeInvalidState},
		{"tampered state", func() (Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			cb.State = tamper(cb.State)
			return cb, s.Browser
		}, CodeInvalidState},
		{"state signed with another key", func() (Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			cb.State = resign(t, cb.State, []byte("not cohost's key, but 32 bytes!!"))
			return cb, s.Browser
		}, CodeInvalidState},
		{"another browser", func() (Callback, string) {
			s := begin()
			other := begin()
			return e.authorize(s.AuthorizeURL, e.host.Email), other.Browser
		}, CodeInvalidState},
		{"no browser cookie", func() (Callback, string) {
			s := begin()
			return e.authorize(s.AuthorizeURL, e.host.Email), ""
		}, CodeInvalidState},
		{"expired state", func() (Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			e.advance(SignInTTL + 10*time.Second)
			return cb, s.Browser
		}, CodeStateExpired},
		{"declined at Zoom", func() (Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			cb.Code, cb.Error = "", "access_denied"
			return cb, s.Browser
		}, CodeSignInRefused},
		{"no code", func() (Callback, string) {
			s := begin()
			cb := e.authorize(s.AuthorizeURL, e.host.Email)
			cb.Code = ""
			return cb, s.Browser
		}, CodeSignInRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cb, browser := tc.cb()
			s, err := e.portal.FinishSignIn(ctx, cb, browser)
			if code(err) != tc.want || s.ID != "" {
				t.Fatalf("FinishSignIn: %+v, %v; want %s", s, err, tc.want)
			}
			// A refused callback spent its state: trying it again is refused too.
			if cb.State != "" && tc.want != CodeStateExpired {
				if _, err := e.portal.FinishSignIn(ctx, cb, browser); code(err) != CodeInvalidState {
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
	if code(err) != CodeAccountNotServed || s.ID != "" {
		t.Fatalf("a user of another account: %+v, %v", s, err)
	}

	// oauth mode: the accounts with stored tokens.
	installed := InstalledAccounts{Tokens: e.st}
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
	for _, p := range []*Portal{nil, {}} {
		if _, err := p.BeginSignIn(ctx); code(err) != CodeOff {
			t.Errorf("BeginSignIn: %v", err)
		}
		if _, err := p.FinishSignIn(ctx, Callback{}, ""); code(err) != CodeOff {
			t.Errorf("FinishSignIn: %v", err)
		}
		if _, err := p.Session(ctx, "x"); code(err) != CodeOff {
			t.Errorf("Session: %v", err)
		}
		if p.Enabled() {
			t.Error("enabled")
		}
	}
}

// FuzzVerifyState: no string a browser can send as the state is accepted
// unless cohost signed it, and none panics.
func FuzzVerifyState(f *testing.F) {
	p := &Portal{StateKey: StateKeyFrom("fuzz-secret"), Now: func() time.Time { return time.Unix(1_800_000_000, 0) }}
	good, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{Issuer: stateIssuer, Audience: jwt.ClaimStrings{stateAudience},
		IssuedAt: jwt.NewNumericDate(p.Now()), ExpiresAt: jwt.NewNumericDate(p.Now().Add(SignInTTL)),
		ID: noncePrefix + strings.Repeat("A", 43)}).SignedString(p.StateKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("")
	f.Add("a.b.c")
	f.Add(`eyJhbGciOiJub25lIn0.eyJpc3MiOiJjb2hvc3RkIn0.`)
	f.Add(strings.Repeat("x", 2000))
	f.Fuzz(func(t *testing.T, state string) {
		nonce, err := p.verifyState(state)
		if err != nil {
			if code(err) != CodeInvalidState && code(err) != CodeStateExpired {
				t.Fatalf("error without a state code: %v", err)
			}
			return
		}
		if !tokenShape(nonce, noncePrefix) {
			t.Fatalf("accepted a malformed nonce %q", nonce)
		}
		if _, err := jwt.Parse(state, func(*jwt.Token) (any, error) { return p.StateKey, nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(p.Now)); err != nil {
			t.Fatalf("accepted a state cohost did not sign: %q (%v)", state, err)
		}
	})
}

// FuzzSessionID: only ids of the session's shape reach the database.
func FuzzSessionID(f *testing.F) {
	f.Add("hs1." + strings.Repeat("A", 43))
	f.Add("hs1.")
	f.Add("")
	f.Add("hs1." + strings.Repeat("A", 42) + "=")
	f.Fuzz(func(t *testing.T, id string) {
		if !tokenShape(id, sessionPrefix) {
			return
		}
		if len(id) != 47 || !strings.HasPrefix(id, sessionPrefix) || strings.ContainsAny(id[4:], "+/=.") {
			t.Fatalf("accepted %q", id)
		}
	})
}
