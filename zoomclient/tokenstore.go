package zoomclient

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"
)

// Errors a TokenStore returns (wrapped or as is; callers use errors.Is).
var (
	// ErrTokenNotFound: the store holds no token record for the account.
	ErrTokenNotFound = errors.New("zoomclient: no token record for this account")
	// ErrVersionConflict: SaveToken's expected version did not match the stored one.
	ErrVersionConflict = errors.New("zoomclient: token record version conflict")
)

// TokenRecord is one account's tokens as stored. AccessToken and RefreshToken
// are opaque bytes to the store: always sealed (AES-GCM) by the client, with
// COHOST_ENCRYPTION_KEY or, in s2s mode without it, a key derived from the
// client secret (SealerFromClientSecret). The store must persist them unchanged.
type TokenRecord struct {
	AccountID    string
	AccessToken  []byte
	RefreshToken []byte // empty in s2s mode
	TokenType    string
	Scope        string
	// Expiry is when the access token expires.
	Expiry time.Time
	// Version is assigned by the store: 1 for a new record, +1 on every save.
	// Versions of one account only grow while the record exists.
	Version int64
}

// TokenStore keeps one token record per Zoom account, shared by every replica.
// It is small so that a SQL table with one row per account can implement it:
//
//	account_id PRIMARY KEY, access_token BYTEA, refresh_token BYTEA,
//	token_type, scope, expiry, version BIGINT,
//	lease_holder, lease_expires_at
//
// SaveToken is a compare-and-swap on version (UPDATE … WHERE version = $prev, or
// INSERT … ON CONFLICT DO NOTHING for prev 0); leases are rows whose expiry
// is computed by the database's clock, so a replica that dies holding one
// blocks the others for at most the TTL. zoomclienttest.RunTokenStoreTests is
// the conformance suite every implementation must pass.
type TokenStore interface {
	// LoadToken returns accountID's record, or an error wrapping ErrTokenNotFound.
	LoadToken(ctx context.Context, accountID string) (*TokenRecord, error)
	// SaveToken stores rec for rec.AccountID if the stored version equals
	// prevVersion (0: no record may exist) and returns the new version,
	// prevVersion+1. Otherwise it changes nothing and returns an error
	// wrapping ErrVersionConflict. rec.Version is ignored.
	SaveToken(ctx context.Context, rec TokenRecord, prevVersion int64) (int64, error)
	// DeleteToken removes accountID's record (app_deauthorized). Deleting a
	// missing record is not an error. A later SaveToken with the old version
	// fails; one with prevVersion 0 creates a new record.
	DeleteToken(ctx context.Context, accountID string) error
	// AcquireLease gives holder the account's token lease for ttl, measured by
	// the store's clock, if no other holder has an unexpired lease; a holder
	// that already holds it gets it extended. It reports whether holder now
	// holds the lease. Only one token request per account runs at a time.
	AcquireLease(ctx context.Context, accountID, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease ends holder's lease; it does nothing if holder does not hold it.
	ReleaseLease(ctx context.Context, accountID, holder string) error
}

// MemoryTokenStore is a TokenStore and PauseStore in memory, for tests and
// single-process tools. Set Now before first use to move its clock in tests.
type MemoryTokenStore struct {
	// Now is the store's clock for lease expiry; nil means time.Now.
	Now func() time.Time

	mu     sync.Mutex
	tokens map[string]TokenRecord
	leases map[string]memoryLease
	pauses map[string]time.Time
}

type memoryLease struct {
	holder  string
	expires time.Time
}

var (
	_ TokenStore = (*MemoryTokenStore)(nil)
	_ PauseStore = (*MemoryTokenStore)(nil)
)

// NewMemoryTokenStore returns an empty MemoryTokenStore.
func NewMemoryTokenStore() *MemoryTokenStore {
	return &MemoryTokenStore{
		tokens: make(map[string]TokenRecord),
		leases: make(map[string]memoryLease),
		pauses: make(map[string]time.Time),
	}
}

func (s *MemoryTokenStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func cloneRecord(r TokenRecord) TokenRecord {
	r.AccessToken = bytes.Clone(r.AccessToken)
	r.RefreshToken = bytes.Clone(r.RefreshToken)
	return r
}

// LoadToken implements TokenStore.
func (s *MemoryTokenStore) LoadToken(ctx context.Context, accountID string) (*TokenRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.tokens[accountID]
	if !ok {
		return nil, ErrTokenNotFound
	}
	r = cloneRecord(r)
	return &r, nil
}

// SaveToken implements TokenStore.
func (s *MemoryTokenStore) SaveToken(ctx context.Context, rec TokenRecord, prevVersion int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if rec.AccountID == "" {
		return 0, errors.New("zoomclient: token record without account id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.tokens[rec.AccountID]
	var stored int64
	if ok {
		stored = cur.Version
	}
	if stored != prevVersion {
		return 0, ErrVersionConflict
	}
	rec = cloneRecord(rec)
	rec.Version = prevVersion + 1
	s.tokens[rec.AccountID] = rec
	return rec.Version, nil
}

// DeleteToken implements TokenStore. It also drops the account's lease and pause.
func (s *MemoryTokenStore) DeleteToken(ctx context.Context, accountID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, accountID)
	delete(s.leases, accountID)
	delete(s.pauses, accountID)
	return nil
}

// AcquireLease implements TokenStore.
func (s *MemoryTokenStore) AcquireLease(ctx context.Context, accountID, holder string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if holder == "" || ttl <= 0 {
		return false, errors.New("zoomclient: lease needs a holder and a positive TTL")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	l, ok := s.leases[accountID]
	if ok && l.holder != holder && now.Before(l.expires) {
		return false, nil
	}
	s.leases[accountID] = memoryLease{holder: holder, expires: now.Add(ttl)}
	return true, nil
}

// ReleaseLease implements TokenStore.
func (s *MemoryTokenStore) ReleaseLease(ctx context.Context, accountID, holder string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.leases[accountID]; ok && l.holder == holder {
		delete(s.leases, accountID)
	}
	return nil
}

// PauseAccount implements PauseStore.
func (s *MemoryTokenStore) PauseAccount(ctx context.Context, accountID string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if until.After(s.pauses[accountID]) {
		s.pauses[accountID] = until
	}
	return nil
}

// AccountPause implements PauseStore.
func (s *MemoryTokenStore) AccountPause(ctx context.Context, accountID string) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pauses[accountID], nil
}
