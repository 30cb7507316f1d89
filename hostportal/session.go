package hostportal

import (
	"context"
	"errors"

	"github.com/cohost-dev/cohost/grant"
)

// notSignedIn is the answer to a missing, unknown, expired or ended session:
// the page then offers to sign in.
var notSignedIn = &Error{Code: CodeNotSignedIn, Title: "Sign in to see your meetings",
	Detail: "Your sign-in has ended, or you have not signed in in this browser yet."}

// Session returns the signed-in host whose cookie holds id. A malformed id is
// refused before it is looked up.
func (p *Portal) Session(ctx context.Context, id string) (Session, error) {
	if !p.Enabled() {
		return Session{}, offError
	}
	if !tokenShape(id, sessionPrefix) {
		return Session{}, notSignedIn
	}
	row, err := p.Store.HostSessionByHash(ctx, hashToken(id))
	if errors.Is(err, grant.ErrNotFound) {
		return Session{}, notSignedIn
	}
	if err != nil {
		return Session{}, unavailable("cohost's database", err)
	}
	if !p.now().Before(row.ExpiresAt) {
		return Session{}, notSignedIn
	}
	return Session{AccountID: row.AccountID, UserID: row.UserID, Email: row.Email, Name: row.DisplayName,
		Timezone: row.Timezone, ExpiresAt: row.ExpiresAt}, nil
}

// SignOut ends the session whose cookie holds id, for every replica at once:
// the row is gone, and every replica reads it on each request. Ending a
// session that is gone, or an id that is no session, is not an error.
func (p *Portal) SignOut(ctx context.Context, id string) error {
	if !p.Enabled() {
		return offError
	}
	if !tokenShape(id, sessionPrefix) {
		return nil
	}
	hash := hashToken(id)
	row, err := p.Store.HostSessionByHash(ctx, hash)
	switch {
	case errors.Is(err, grant.ErrNotFound):
		return nil
	case err != nil:
		return unavailable("cohost's database", err)
	}
	if err := p.Store.DeleteHostSession(ctx, hash); err != nil {
		return unavailable("cohost's database", err)
	}
	p.log().InfoContext(ctx, "host signed out", "account_id", row.AccountID, "user_id", row.UserID)
	return nil
}
