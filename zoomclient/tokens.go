package zoomclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
)

// Field names bound into sealed values.
const (
	fieldAccessToken  = "access_token"
	fieldRefreshToken = "refresh_token"
)

// accessToken is a usable access token in memory. Version is the store
// version it came from (0: a token that cannot be refreshed, as during an
// install; -1: a token that is not in the store).
type accessToken struct {
	AccessToken string
	Expiry      time.Time
	Version     int64
}

// String and LogValue keep the token out of any accidental print.
func (t *accessToken) String() string { return "zoomclient.accessToken{REDACTED}" }

// LogValue implements slog.LogValuer.
func (t *accessToken) LogValue() slog.Value {
	return slog.GroupValue(slog.Time("expiry", t.Expiry), slog.Int64("version", t.Version))
}

// tokenManager hands out access tokens per account. Within a process one
// request per account is in flight at a time (singleflight); across replicas
// the store's lease serialises token requests and SaveToken's compare-and-swap
// makes a replica that raced lose cleanly.
type tokenManager struct {
	co            *core
	sealer        *Sealer
	refreshBefore time.Duration
	leaseTTL      time.Duration
	leasePoll     time.Duration
	tokenTimeout  time.Duration
	owner         string

	sf    singleflight.Group
	mu    sync.Mutex
	cache map[string]*accessToken
}

func newTokenManager(co *core, cfg Config) *tokenManager {
	return &tokenManager{
		co:            co,
		sealer:        cfg.Sealer,
		refreshBefore: cfg.RefreshBefore,
		leaseTTL:      cfg.LeaseTTL,
		leasePoll:     cfg.LeasePoll,
		tokenTimeout:  cfg.TokenTimeout,
		owner:         "zoomclient-" + randomID(),
		cache:         make(map[string]*accessToken),
	}
}

// fresh reports whether a token expiring at expiry may still be used.
func (m *tokenManager) fresh(expiry time.Time) bool {
	return m.co.now().Add(m.refreshBefore).Before(expiry)
}

func (m *tokenManager) cached(acct string) *accessToken {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cache[acct]
}

func (m *tokenManager) put(acct string, t *accessToken) {
	if t.Version <= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.cache[acct]; !ok || cur.Version <= t.Version {
		m.cache[acct] = t
	}
}

func (m *tokenManager) drop(acct string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.cache, acct)
}

// token returns a fresh access token for acct that is not of version rejected
// (0: nothing rejected).
func (m *tokenManager) token(ctx context.Context, acct string, rejected int64) (*accessToken, error) {
	if t := m.cached(acct); t != nil && t.Version != rejected && m.fresh(t.Expiry) {
		return t, nil
	}
	// A flight started by a caller that rejected nothing may bring back the
	// token this caller rejected; then fly once more.
	for range 3 {
		ch := m.sf.DoChan(acct, func() (any, error) {
			// The flight serves every waiting caller, so it must not die with the
			// first caller's context; it is bounded by its own time-out instead.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*m.leaseTTL+m.tokenTimeout)
			defer cancel()
			return m.obtain(fctx, acct, rejected)
		})
		var res singleflight.Result
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case res = <-ch:
		}
		if res.Err != nil {
			return nil, res.Err
		}
		t := res.Val.(*accessToken)
		if rejected == 0 || t.Version != rejected {
			return t, nil
		}
	}
	return nil, fmt.Errorf("zoomclient: no new access token for account %s after a rejection", acct)
}

// obtain loads the stored token, or takes the account's lease and renews it.
func (m *tokenManager) obtain(ctx context.Context, acct string, rejected int64) (*accessToken, error) {
	for {
		rec, err := m.load(ctx, acct)
		if err != nil {
			return nil, err
		}
		if t, ok := m.usable(rec, rejected); ok {
			m.put(acct, t)
			return t, nil
		}
		if rec == nil && m.co.mode == ModeOAuth {
			return nil, fmt.Errorf("%w (account %s)", ErrNotInstalled, acct)
		}
		holder := m.owner + "-" + randomID()
		got, err := m.co.store.AcquireLease(ctx, acct, holder, m.leaseTTL)
		if err != nil {
			return nil, fmt.Errorf("zoomclient: taking the token lease of account %s: %w", acct, err)
		}
		if !got {
			// Another replica is getting a token; look again shortly.
			if err := m.co.sleep(ctx, m.leasePoll); err != nil {
				return nil, fmt.Errorf("zoomclient: waiting for the token lease of account %s: %w", acct, err)
			}
			continue
		}
		t, err := m.renewLeased(ctx, acct, rejected)
		if rerr := m.co.store.ReleaseLease(context.WithoutCancel(ctx), acct, holder); rerr != nil {
			m.co.log.Warn("releasing the token lease failed; it will expire", "account_id", acct, "error", rerr.Error())
		}
		return t, err
	}
}

// load returns the account's record, nil when there is none.
func (m *tokenManager) load(ctx context.Context, acct string) (*TokenRecord, error) {
	rec, err := m.co.store.LoadToken(ctx, acct)
	if errors.Is(err, ErrTokenNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("zoomclient: loading the token of account %s: %w", acct, err)
	}
	return rec, nil
}

// usable opens rec's access token if it is fresh and not the rejected version.
func (m *tokenManager) usable(rec *TokenRecord, rejected int64) (*accessToken, bool) {
	if rec == nil || len(rec.AccessToken) == 0 || rec.Version == rejected || !m.fresh(rec.Expiry) {
		return nil, false
	}
	at, err := m.open(rec.AccessToken, rec.AccountID, fieldAccessToken)
	if err != nil {
		m.co.log.Warn("stored access token does not open; getting a new one", "account_id", rec.AccountID, "error", err.Error())
		return nil, false
	}
	return &accessToken{AccessToken: at, Expiry: rec.Expiry, Version: rec.Version}, true
}

// renewLeased runs under the account's lease.
func (m *tokenManager) renewLeased(ctx context.Context, acct string, rejected int64) (*accessToken, error) {
	// Look again: the previous holder may have saved a token just before we got the lease.
	rec, err := m.load(ctx, acct)
	if err != nil {
		return nil, err
	}
	if t, ok := m.usable(rec, rejected); ok {
		m.put(acct, t)
		return t, nil
	}
	if m.co.mode == ModeS2S {
		return m.renewS2S(ctx, acct, rec)
	}
	return m.refreshOAuth(ctx, acct, rec)
}

func (m *tokenManager) renewS2S(ctx context.Context, acct string, rec *TokenRecord) (*accessToken, error) {
	tctx, cancel := context.WithTimeout(ctx, m.tokenTimeout)
	tok, err := m.co.fetchS2S(tctx, acct)
	cancel()
	if err != nil {
		return nil, err
	}
	expiry := m.expiry(tok)
	var prev int64
	if rec != nil {
		prev = rec.Version
	}
	newRec := TokenRecord{
		AccountID:   acct,
		AccessToken: m.seal(tok.AccessToken, acct, fieldAccessToken),
		TokenType:   tok.Type(),
		Scope:       tokenScope(tok),
		Expiry:      expiry,
	}
	v, err := m.co.store.SaveToken(ctx, newRec, prev)
	if errors.Is(err, ErrVersionConflict) {
		// Our lease expired under us and another replica saved a token. In s2s
		// mode both tokens are good (and Zoom may have invalidated ours): prefer theirs.
		if cur, lerr := m.load(ctx, acct); lerr == nil {
			if t, ok := m.usable(cur, 0); ok {
				m.put(acct, t)
				return t, nil
			}
		}
		m.co.log.Warn("s2s token not stored (version conflict); using it unshared", "account_id", acct)
		return &accessToken{AccessToken: tok.AccessToken, Expiry: expiry, Version: -1}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("zoomclient: storing the token of account %s: %w", acct, err)
	}
	t := &accessToken{AccessToken: tok.AccessToken, Expiry: expiry, Version: v}
	m.put(acct, t)
	m.co.log.Info("zoom access token obtained", "account_id", acct, "grant", grantAccountCredentials, "expires_at", expiry)
	return t, nil
}

// refreshOAuth uses the stored refresh token once. Zoom rotates refresh
// tokens: the old one dies with this request, so the new one is saved
// (compare-and-swap) before the new access token is handed to anybody.
func (m *tokenManager) refreshOAuth(ctx context.Context, acct string, rec *TokenRecord) (*accessToken, error) {
	if rec == nil {
		return nil, fmt.Errorf("%w (account %s)", ErrNotInstalled, acct)
	}
	if len(rec.RefreshToken) == 0 {
		return nil, fmt.Errorf("%w (account %s has no refresh token)", ErrReauthorizationRequired, acct)
	}
	rt, err := m.open(rec.RefreshToken, acct, fieldRefreshToken)
	if err != nil {
		return nil, fmt.Errorf("zoomclient: refresh token of account %s: %w", acct, err)
	}
	tctx, cancel := context.WithTimeout(ctx, m.tokenTimeout)
	tok, err := m.co.refreshOAuth(tctx, rt)
	cancel()
	if err != nil {
		var te *TokenError
		if errors.As(err, &te) && te.Rejected() {
			// If another replica refreshed meanwhile (our lease expired under a
			// slow request), its token is the live one.
			if cur, lerr := m.load(ctx, acct); lerr == nil && cur != nil && cur.Version != rec.Version {
				if t, ok := m.usable(cur, 0); ok {
					m.put(acct, t)
					return t, nil
				}
			}
			m.co.log.Error("zoom rejected the stored refresh token; the app must be installed again",
				"account_id", acct, "status", te.Status, "code", te.Code)
			return nil, fmt.Errorf("%w (account %s): %w", ErrReauthorizationRequired, acct, err)
		}
		return nil, err
	}
	newRT := tok.RefreshToken
	if newRT == "" {
		newRT = rt
	}
	expiry := m.expiry(tok)
	newRec := TokenRecord{
		AccountID:    acct,
		AccessToken:  m.seal(tok.AccessToken, acct, fieldAccessToken),
		RefreshToken: m.seal(newRT, acct, fieldRefreshToken),
		TokenType:    tok.Type(),
		Scope:        tokenScope(tok),
		Expiry:       expiry,
	}
	v, err := m.saveRotated(ctx, newRec, rec.Version)
	if errors.Is(err, ErrVersionConflict) {
		// Someone else wrote the record (a re-install, or a refresh after our
		// lease expired). The stored record is authoritative; ours is dropped.
		m.co.log.Error("refreshed token not stored (version conflict); using the stored one", "account_id", acct)
		if cur, lerr := m.load(ctx, acct); lerr == nil {
			if t, ok := m.usable(cur, 0); ok {
				m.put(acct, t)
				return t, nil
			}
		}
		return nil, fmt.Errorf("zoomclient: refreshing account %s raced another writer: %w", acct, err)
	}
	if err != nil {
		m.co.log.Error("the rotated refresh token could not be stored; the account may have to install the app again",
			"account_id", acct, "error", err.Error())
		return nil, fmt.Errorf("zoomclient: storing the refreshed token of account %s: %w", acct, err)
	}
	t := &accessToken{AccessToken: tok.AccessToken, Expiry: expiry, Version: v}
	m.put(acct, t)
	m.co.log.Info("zoom access token refreshed", "account_id", acct, "grant", grantRefreshToken, "expires_at", expiry)
	return t, nil
}

// saveRotated stores a record holding a freshly rotated refresh token. The
// old refresh token is already dead, so a failed save loses the install:
// it gets its own time budget and a few retries on store errors.
func (m *tokenManager) saveRotated(ctx context.Context, rec TokenRecord, prev int64) (int64, error) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	var err error
	for i := range 3 {
		var v int64
		v, err = m.co.store.SaveToken(sctx, rec, prev)
		if err == nil || errors.Is(err, ErrVersionConflict) {
			return v, err
		}
		if serr := m.co.sleep(sctx, time.Duration(100<<i)*time.Millisecond); serr != nil {
			break
		}
	}
	return 0, err
}

// seal and open: every token is sealed in the store (New gives every
// client a Sealer), so a token stored in clear by an older build does not
// open, and a new one is fetched in its place.
func (m *tokenManager) seal(v, acct, field string) []byte {
	return m.sealer.Seal([]byte(v), acct, field)
}

func (m *tokenManager) open(b []byte, acct, field string) (string, error) {
	pt, err := m.sealer.Open(b, acct, field)
	if err != nil {
		return "", err
	}
	return string(pt), nil
}

// expiry computes the token's expiry from expires_in with the client's clock
// (x/oauth2 uses the wall clock), falling back to the one x/oauth2 computed,
// and to Zoom's documented hour.
func (m *tokenManager) expiry(tok *oauth2.Token) time.Time {
	now := m.co.now()
	if secs, ok := expiresIn(tok.Extra("expires_in")); ok && secs > 0 {
		return now.Add(time.Duration(secs) * time.Second)
	}
	if !tok.Expiry.IsZero() {
		return tok.Expiry
	}
	return now.Add(time.Hour)
}

func expiresIn(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		return int64(x), true
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	case int64:
		return x, true
	case int:
		return int64(x), true
	}
	return 0, false
}

func tokenScope(tok *oauth2.Token) string {
	if s, ok := tok.Extra("scope").(string); ok {
		return strings.TrimSpace(s)
	}
	return ""
}
