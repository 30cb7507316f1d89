package store

import (
	"context"
	"fmt"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/hostportal"
)

// This file keeps the host portal's records (package hostportal declares
// them and the Store it needs): sign-ins under way and the sessions of
// signed-in hosts. Neither holds a Zoom token: the portal drops the user's
// token once it knows who signed in.

var _ hostportal.Store = (*Store)(nil)

// CreateHostSignIn stores a sign-in that has just started.
func (s *Store) CreateHostSignIn(ctx context.Context, in hostportal.SignInRecord) error {
	if _, err := s.eng.db().exec(ctx, `INSERT INTO host_signins (state_hash, verifier, browser_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, in.StateHash, in.Verifier, in.BrowserHash, millis(in.CreatedAt), millis(in.ExpiresAt)); err != nil {
		return fmt.Errorf("store: create host sign-in: %w", err)
	}
	return nil
}

// TakeHostSignIn deletes the sign-in whose state hashes to stateHash and
// returns it, or returns ErrNotFound: of two callbacks with one state, on any
// replicas, one gets the row and the other ErrNotFound. An expired row is
// returned too; the caller refuses it.
func (s *Store) TakeHostSignIn(ctx context.Context, stateHash string) (hostportal.SignInRecord, error) {
	in := hostportal.SignInRecord{StateHash: stateHash}
	var created, expires int64
	err := s.eng.db().queryRow(ctx, `DELETE FROM host_signins WHERE state_hash = $1
		RETURNING verifier, browser_hash, created_at, expires_at`, stateHash).Scan(&in.Verifier, &in.BrowserHash, &created, &expires)
	if err != nil {
		return in, fmt.Errorf("store: take host sign-in: %w", err)
	}
	in.CreatedAt, in.ExpiresAt = fromMillis(created), fromMillis(expires)
	return in, nil
}

// CreateHostSession stores a new session.
func (s *Store) CreateHostSession(ctx context.Context, h hostportal.SessionRecord) error {
	if _, err := s.eng.db().exec(ctx, `INSERT INTO host_sessions (id_hash, account_id, user_id, email, display_name, timezone,
		created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, h.IDHash, h.AccountID, h.UserID, h.Email, h.DisplayName,
		h.Timezone, millis(h.CreatedAt), millis(h.ExpiresAt)); err != nil {
		return fmt.Errorf("store: create host session: %w", err)
	}
	return nil
}

// HostSessionByHash reads the session whose id hashes to idHash, or returns
// ErrNotFound. An expired session is returned too; the caller refuses it.
func (s *Store) HostSessionByHash(ctx context.Context, idHash string) (hostportal.SessionRecord, error) {
	h := hostportal.SessionRecord{IDHash: idHash}
	var created, expires int64
	err := s.eng.db().queryRow(ctx, `SELECT account_id, user_id, email, display_name, timezone, created_at, expires_at
		FROM host_sessions WHERE id_hash = $1`, idHash).Scan(&h.AccountID, &h.UserID, &h.Email, &h.DisplayName, &h.Timezone,
		&created, &expires)
	if err != nil {
		return h, fmt.Errorf("store: host session: %w", err)
	}
	h.CreatedAt, h.ExpiresAt = fromMillis(created), fromMillis(expires)
	return h, nil
}

// DeleteHostSession ends a session (sign-out). Ending one that is gone is
// not an error.
func (s *Store) DeleteHostSession(ctx context.Context, idHash string) error {
	if _, err := s.eng.db().exec(ctx, `DELETE FROM host_sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("store: delete host session: %w", err)
	}
	return nil
}

// maxHostMeetings bounds LiveMeetingsOfHost: a person runs a handful of
// meetings at once, not hundreds.
const maxHostMeetings = 50

// LiveMeetingsOfHost returns the meetings of the ledger that the user hosts
// in the account and that are live, most recently started first.
func (s *Store) LiveMeetingsOfHost(ctx context.Context, accountID, hostID string) ([]grant.Meeting, error) {
	r, err := s.eng.db().query(ctx, `SELECT `+meetingColumns+` FROM meetings
		WHERE account_id = $1 AND host_id = $2 AND status = 'started' ORDER BY started_at DESC LIMIT $3`,
		accountID, hostID, maxHostMeetings)
	if err != nil {
		return nil, fmt.Errorf("store: live meetings of host: %w", err)
	}
	defer r.Close()
	var out []grant.Meeting
	for r.Next() {
		m, err := scanMeeting(r)
		if err != nil {
			return nil, fmt.Errorf("store: live meetings of host: %w", err)
		}
		out = append(out, m)
	}
	return out, r.Err()
}
