package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cohost-dev/cohost/grant"
)

// This file keeps the host portal's state (package hostportal): sign-ins
// under way and the sessions of signed-in hosts. Neither holds a Zoom token:
// the portal drops the user's token once it knows who signed in.

// HostSignIn is a sign-in under way.
type HostSignIn struct {
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

// CreateHostSignIn stores a sign-in that has just started.
func (s *Store) CreateHostSignIn(ctx context.Context, in HostSignIn) error {
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
func (s *Store) TakeHostSignIn(ctx context.Context, stateHash string) (HostSignIn, error) {
	in := HostSignIn{StateHash: stateHash}
	var created, expires int64
	err := s.eng.db().queryRow(ctx, `DELETE FROM host_signins WHERE state_hash = $1
		RETURNING verifier, browser_hash, created_at, expires_at`, stateHash).Scan(&in.Verifier, &in.BrowserHash, &created, &expires)
	if err != nil {
		return in, fmt.Errorf("store: take host sign-in: %w", err)
	}
	in.CreatedAt, in.ExpiresAt = fromMillis(created), fromMillis(expires)
	return in, nil
}

// HostSession is a signed-in host.
type HostSession struct {
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

// CreateHostSession stores a new session.
func (s *Store) CreateHostSession(ctx context.Context, h HostSession) error {
	if _, err := s.eng.db().exec(ctx, `INSERT INTO host_sessions (id_hash, account_id, user_id, email, display_name, timezone,
		created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, h.IDHash, h.AccountID, h.UserID, h.Email, h.DisplayName,
		h.Timezone, millis(h.CreatedAt), millis(h.ExpiresAt)); err != nil {
		return fmt.Errorf("store: create host session: %w", err)
	}
	return nil
}

// HostSessionByHash reads the session whose id hashes to idHash, or returns
// ErrNotFound. An expired session is returned too; the caller refuses it.
func (s *Store) HostSessionByHash(ctx context.Context, idHash string) (HostSession, error) {
	h := HostSession{IDHash: idHash}
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
