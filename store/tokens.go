package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cohost-dev/cohost/zoomclient"
)

// The Store keeps zoomclient's tokens, token leases and rate-limit pauses, so
// that every replica on the database shares them (docs/reliability.md). zoomclient
// does not import store; store imports zoomclient for its interfaces.
var (
	_ zoomclient.TokenStore = (*Store)(nil)
	_ zoomclient.PauseStore = (*Store)(nil)
)

// LoadToken implements zoomclient.TokenStore.
func (s *Store) LoadToken(ctx context.Context, accountID string) (*zoomclient.TokenRecord, error) {
	var (
		rec    = zoomclient.TokenRecord{AccountID: accountID}
		expiry int64
	)
	err := s.eng.db().queryRow(ctx, `SELECT access_token, refresh_token, token_type, scope, expiry, version
		FROM zoom_tokens WHERE account_id = $1`, accountID).
		Scan(&rec.AccessToken, &rec.RefreshToken, &rec.TokenType, &rec.Scope, &expiry, &rec.Version)
	if errors.Is(err, ErrNotFound) {
		return nil, zoomclient.ErrTokenNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: load token: %w", err)
	}
	rec.Expiry = fromMillis(expiry)
	return &rec, nil
}

// SaveToken implements zoomclient.TokenStore: a compare-and-swap on version.
// prevVersion 0 creates the row and fails if one exists; otherwise the row is
// updated only if it still has prevVersion. Either way a statement that
// changes no row means another writer got there first: ErrVersionConflict.
func (s *Store) SaveToken(ctx context.Context, rec zoomclient.TokenRecord, prevVersion int64) (int64, error) {
	if rec.AccountID == "" {
		return 0, errors.New("store: save token: record without account id")
	}
	if prevVersion < 0 {
		return 0, zoomclient.ErrVersionConflict
	}
	var (
		n   int64
		err error
		now = time.Now().UnixMilli()
	)
	if prevVersion == 0 {
		// A rotated refresh token is the only valid one: it must survive power
		// loss, so it goes through the durable connection.
		n, err = s.eng.durableDB().exec(ctx, `INSERT INTO zoom_tokens
			(account_id, access_token, refresh_token, token_type, scope, expiry, version, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 1, $7)
			ON CONFLICT (account_id) DO NOTHING`,
			rec.AccountID, nonNil(rec.AccessToken), nonNil(rec.RefreshToken), rec.TokenType, rec.Scope,
			millis(rec.Expiry), now)
	} else {
		n, err = s.eng.durableDB().exec(ctx, `UPDATE zoom_tokens SET access_token = $3, refresh_token = $4,
			token_type = $5, scope = $6, expiry = $7, version = version + 1, updated_at = $8
			WHERE account_id = $1 AND version = $2`,
			rec.AccountID, prevVersion, nonNil(rec.AccessToken), nonNil(rec.RefreshToken), rec.TokenType, rec.Scope,
			millis(rec.Expiry), now)
	}
	if err != nil {
		return 0, fmt.Errorf("store: save token: %w", err)
	}
	if n == 0 {
		return 0, zoomclient.ErrVersionConflict
	}
	return prevVersion + 1, nil
}

// DeleteToken implements zoomclient.TokenStore (app_deauthorized). Like
// zoomclient.MemoryTokenStore it also drops the account's lease and pause.
func (s *Store) DeleteToken(ctx context.Context, accountID string) error {
	err := s.InTx(ctx, func(tx Tx) error {
		for _, q := range []string{
			`DELETE FROM zoom_tokens WHERE account_id = $1`,
			`DELETE FROM zoom_token_leases WHERE account_id = $1`,
			`DELETE FROM zoom_account_pauses WHERE account_id = $1`,
		} {
			if _, err := tx.t.exec(ctx, q, accountID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: delete token: %w", err)
	}
	return nil
}

// AcquireLease implements zoomclient.TokenStore in one statement: the row is
// inserted when there is none, and taken over when it has expired or already
// belongs to holder (who thereby extends it). A conflicting row whose WHERE
// is false is left alone and the statement reports no changed row. Concurrent
// callers are serialised by the primary key (PostgreSQL re-checks the WHERE
// against the row a concurrent winner wrote; SQLite runs one writer at a time),
// so exactly one of them gets a free lease.
//
// Lease times come from this process's clock (time.Now), both when a lease is
// written and when another replica checks whether it has expired, so replicas
// depend on their clocks agreeing (NTP) to well within the gap between
// zoomclient's TokenTimeout and LeaseTTL (10 s by default). Using the
// process's clock keeps the SQL identical on SQLite and PostgreSQL.
func (s *Store) AcquireLease(ctx context.Context, accountID, holder string, ttl time.Duration) (bool, error) {
	if holder == "" || ttl <= 0 {
		return false, errors.New("store: token lease needs a holder and a positive TTL")
	}
	now := time.Now()
	n, err := s.eng.db().exec(ctx, `INSERT INTO zoom_token_leases (account_id, holder, expires_at)
		VALUES ($1, $2, $3)
		ON CONFLICT (account_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE zoom_token_leases.expires_at <= $4 OR zoom_token_leases.holder = excluded.holder`,
		accountID, holder, now.Add(ttl).UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("store: acquire token lease: %w", err)
	}
	return n == 1, nil
}

// ReleaseLease implements zoomclient.TokenStore: only holder's own lease is
// removed, so a holder whose lease expired and was taken over cannot free
// the new holder's.
func (s *Store) ReleaseLease(ctx context.Context, accountID, holder string) error {
	if _, err := s.eng.db().exec(ctx, `DELETE FROM zoom_token_leases WHERE account_id = $1 AND holder = $2`,
		accountID, holder); err != nil {
		return fmt.Errorf("store: release token lease: %w", err)
	}
	return nil
}

// PauseAccount implements zoomclient.PauseStore: the pause only ever grows.
func (s *Store) PauseAccount(ctx context.Context, accountID string, until time.Time) error {
	if until.IsZero() {
		return nil
	}
	// Round up to the millisecond: a pause may end late, never early.
	ms := until.UnixMilli()
	if until.After(time.UnixMilli(ms)) {
		ms++
	}
	if _, err := s.eng.db().exec(ctx, `INSERT INTO zoom_account_pauses (account_id, paused_until) VALUES ($1, $2)
		ON CONFLICT (account_id) DO UPDATE SET paused_until = excluded.paused_until
		WHERE zoom_account_pauses.paused_until < excluded.paused_until`, accountID, ms); err != nil {
		return fmt.Errorf("store: pause account: %w", err)
	}
	return nil
}

// AccountPause implements zoomclient.PauseStore: the zero time when the
// account was never paused.
func (s *Store) AccountPause(ctx context.Context, accountID string) (time.Time, error) {
	var ms int64
	err := s.eng.db().queryRow(ctx, `SELECT paused_until FROM zoom_account_pauses WHERE account_id = $1`, accountID).Scan(&ms)
	if errors.Is(err, ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: account pause: %w", err)
	}
	return fromMillis(ms), nil
}

// nonNil turns a nil slice into an empty one: drivers bind nil []byte as
// NULL, and the byte columns are NOT NULL (s2s records have no refresh token).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
