package hostportal

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// errCode returns err's portal code, or "" when it is not an *Error.
func errCode(err error) Code {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
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
			if errCode(err) != CodeInvalidState && errCode(err) != CodeStateExpired {
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
