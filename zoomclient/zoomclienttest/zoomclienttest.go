// Package zoomclienttest holds the conformance suite that every
// zoomclient.TokenStore implementation (memory, SQLite, PostgreSQL) must pass.
//
//	func TestTokenStore(t *testing.T) {
//		zoomclienttest.RunTokenStoreTests(t, func(t *testing.T) (zoomclient.TokenStore, func(time.Duration)) {
//			return openTestStore(t), nil // nil: the suite waits in real time for leases to expire
//		})
//	}
package zoomclienttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/zoomclient"
)

// Factory returns a new, empty store for one subtest. advance moves the
// store's clock forward; nil means the store uses the real clock, and the
// suite then sleeps (a little over a short lease TTL) to see a lease expire.
type Factory func(t *testing.T) (store zoomclient.TokenStore, advance func(time.Duration))

// realLeaseTTL is the lease TTL used when the store's clock cannot be moved.
const realLeaseTTL = 300 * time.Millisecond

// RunTokenStoreTests runs the TokenStore contract against stores made by newStore.
// If the store also implements zoomclient.PauseStore, that contract is checked too.
func RunTokenStoreTests(t *testing.T, newStore Factory) {
	t.Helper()
	ctx := context.Background()

	rec := func(acct string, at, rt string, exp time.Time) zoomclient.TokenRecord {
		return zoomclient.TokenRecord{
			AccountID:    acct,
			AccessToken:  []byte(at),
			RefreshToken: []byte(rt),
			TokenType:    "bearer",
			Scope:        "meeting:read:meeting:admin user:read:zak:admin",
			Expiry:       exp,
		}
	}
	exp := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)

	t.Run("LoadMissing", func(t *testing.T) {
		s, _ := newStore(t)
		_, err := s.LoadToken(ctx, "acct-missing")
		if !errors.Is(err, zoomclient.ErrTokenNotFound) {
			t.Fatalf("LoadToken of a missing account: err = %v, want ErrTokenNotFound", err)
		}
	})

	t.Run("CreateAndLoad", func(t *testing.T) {
		s, _ := newStore(t)
		// Opaque bytes, including zero bytes and invalid UTF-8, must round-trip.
		r := rec("acct-1", "\x00\x01sealed-access\xff", "\x02sealed-refresh\x00", exp)
		v, err := s.SaveToken(ctx, r, 0)
		if err != nil {
			t.Fatalf("SaveToken(prev 0): %v", err)
		}
		if v != 1 {
			t.Fatalf("first version = %d, want 1", v)
		}
		got, err := s.LoadToken(ctx, "acct-1")
		if err != nil {
			t.Fatalf("LoadToken: %v", err)
		}
		if got.AccountID != "acct-1" || !bytes.Equal(got.AccessToken, r.AccessToken) || !bytes.Equal(got.RefreshToken, r.RefreshToken) ||
			got.TokenType != r.TokenType || got.Scope != r.Scope || !got.Expiry.Equal(exp) || got.Version != 1 {
			t.Fatalf("LoadToken = %+v, want %+v with version 1", got, r)
		}
	})

	t.Run("EmptyRefreshToken", func(t *testing.T) {
		s, _ := newStore(t)
		r := rec("acct-s2s", "access", "", exp)
		if _, err := s.SaveToken(ctx, r, 0); err != nil {
			t.Fatalf("SaveToken: %v", err)
		}
		got, err := s.LoadToken(ctx, "acct-s2s")
		if err != nil {
			t.Fatalf("LoadToken: %v", err)
		}
		if len(got.RefreshToken) != 0 {
			t.Fatalf("RefreshToken = %q, want empty", got.RefreshToken)
		}
	})

	t.Run("CreateTwiceConflicts", func(t *testing.T) {
		s, _ := newStore(t)
		if _, err := s.SaveToken(ctx, rec("acct-1", "a1", "r1", exp), 0); err != nil {
			t.Fatalf("first SaveToken: %v", err)
		}
		_, err := s.SaveToken(ctx, rec("acct-1", "a2", "r2", exp), 0)
		if !errors.Is(err, zoomclient.ErrVersionConflict) {
			t.Fatalf("second SaveToken(prev 0): err = %v, want ErrVersionConflict", err)
		}
		mustHave(t, s, "acct-1", "a1", 1)
	})

	t.Run("CompareAndSwap", func(t *testing.T) {
		s, _ := newStore(t)
		if _, err := s.SaveToken(ctx, rec("acct-1", "a1", "r1", exp), 0); err != nil {
			t.Fatal(err)
		}
		v, err := s.SaveToken(ctx, rec("acct-1", "a2", "r2", exp.Add(time.Hour)), 1)
		if err != nil || v != 2 {
			t.Fatalf("SaveToken(prev 1) = %d, %v; want 2, nil", v, err)
		}
		// A replica that read version 1 and raced loses cleanly.
		_, err = s.SaveToken(ctx, rec("acct-1", "stale", "stale", exp), 1)
		if !errors.Is(err, zoomclient.ErrVersionConflict) {
			t.Fatalf("stale SaveToken: err = %v, want ErrVersionConflict", err)
		}
		// So does one with a version from the future.
		_, err = s.SaveToken(ctx, rec("acct-1", "future", "future", exp), 7)
		if !errors.Is(err, zoomclient.ErrVersionConflict) {
			t.Fatalf("SaveToken(prev 7): err = %v, want ErrVersionConflict", err)
		}
		mustHave(t, s, "acct-1", "a2", 2)
	})

	t.Run("ConcurrentCompareAndSwap", func(t *testing.T) {
		s, _ := newStore(t)
		if _, err := s.SaveToken(ctx, rec("acct-1", "a1", "r1", exp), 0); err != nil {
			t.Fatal(err)
		}
		const n = 16
		var wins atomic.Int32
		var winner atomic.Value
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				at := fmt.Sprintf("a-%d", i)
				_, err := s.SaveToken(ctx, rec("acct-1", at, "r", exp), 1)
				switch {
				case err == nil:
					wins.Add(1)
					winner.Store(at)
				case !errors.Is(err, zoomclient.ErrVersionConflict):
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("SaveToken: unexpected error %v", err)
		}
		if wins.Load() != 1 {
			t.Fatalf("%d concurrent saves of version 1 succeeded, want exactly 1", wins.Load())
		}
		mustHave(t, s, "acct-1", winner.Load().(string), 2)
	})

	t.Run("AccountsAreIndependent", func(t *testing.T) {
		s, _ := newStore(t)
		if _, err := s.SaveToken(ctx, rec("acct-1", "a1", "r1", exp), 0); err != nil {
			t.Fatal(err)
		}
		if v, err := s.SaveToken(ctx, rec("acct-2", "b1", "s1", exp), 0); err != nil || v != 1 {
			t.Fatalf("SaveToken of a second account = %d, %v; want 1, nil", v, err)
		}
		if err := s.DeleteToken(ctx, "acct-2"); err != nil {
			t.Fatal(err)
		}
		mustHave(t, s, "acct-1", "a1", 1)
	})

	t.Run("Delete", func(t *testing.T) {
		s, _ := newStore(t)
		if _, err := s.SaveToken(ctx, rec("acct-1", "a1", "r1", exp), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveToken(ctx, rec("acct-1", "a2", "r2", exp), 1); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteToken(ctx, "acct-1"); err != nil {
			t.Fatalf("DeleteToken: %v", err)
		}
		if _, err := s.LoadToken(ctx, "acct-1"); !errors.Is(err, zoomclient.ErrTokenNotFound) {
			t.Fatalf("LoadToken after delete: err = %v, want ErrTokenNotFound", err)
		}
		if err := s.DeleteToken(ctx, "acct-1"); err != nil {
			t.Fatalf("DeleteToken of a missing account: %v", err)
		}
		// A refresh that was in flight during the delete must not resurrect the record.
		if _, err := s.SaveToken(ctx, rec("acct-1", "late", "late", exp), 2); !errors.Is(err, zoomclient.ErrVersionConflict) {
			t.Fatalf("SaveToken with the deleted record's version: err = %v, want ErrVersionConflict", err)
		}
		if _, err := s.LoadToken(ctx, "acct-1"); !errors.Is(err, zoomclient.ErrTokenNotFound) {
			t.Fatalf("a late save resurrected the deleted record (err = %v)", err)
		}
		// A new install creates a fresh record.
		if _, err := s.SaveToken(ctx, rec("acct-1", "new", "new", exp), 0); err != nil {
			t.Fatalf("SaveToken(prev 0) after delete: %v", err)
		}
		got, err := s.LoadToken(ctx, "acct-1")
		if err != nil || string(got.AccessToken) != "new" {
			t.Fatalf("LoadToken after re-install = %+v, %v", got, err)
		}
	})

	ttl := func(advance func(time.Duration)) time.Duration {
		if advance == nil {
			return realLeaseTTL
		}
		return 30 * time.Second
	}
	expire := func(advance func(time.Duration), ttl time.Duration) {
		if advance != nil {
			advance(ttl + time.Second)
			return
		}
		time.Sleep(ttl + 200*time.Millisecond)
	}

	t.Run("LeaseExclusion", func(t *testing.T) {
		s, adv := newStore(t)
		d := ttl(adv)
		mustLease(t, s, "acct-1", "replica-a", d, true)
		mustLease(t, s, "acct-1", "replica-b", d, false)
		// The holder may extend its own lease.
		mustLease(t, s, "acct-1", "replica-a", d, true)
		mustLease(t, s, "acct-1", "replica-b", d, false)
		// Leases are per account.
		mustLease(t, s, "acct-2", "replica-b", d, true)
	})

	t.Run("LeaseRelease", func(t *testing.T) {
		s, adv := newStore(t)
		d := ttl(adv)
		mustLease(t, s, "acct-1", "replica-a", d, true)
		// Only the holder can release.
		if err := s.ReleaseLease(ctx, "acct-1", "replica-b"); err != nil {
			t.Fatalf("ReleaseLease by a non-holder: %v", err)
		}
		mustLease(t, s, "acct-1", "replica-b", d, false)
		if err := s.ReleaseLease(ctx, "acct-1", "replica-a"); err != nil {
			t.Fatalf("ReleaseLease: %v", err)
		}
		mustLease(t, s, "acct-1", "replica-b", d, true)
		// Releasing a lease one does not hold is not an error.
		if err := s.ReleaseLease(ctx, "acct-9", "replica-a"); err != nil {
			t.Fatalf("ReleaseLease of a free lease: %v", err)
		}
	})

	t.Run("LeaseExpires", func(t *testing.T) {
		// A replica that dies holding the lease blocks the others only for the TTL.
		s, adv := newStore(t)
		d := ttl(adv)
		mustLease(t, s, "acct-1", "replica-dead", d, true)
		mustLease(t, s, "acct-1", "replica-b", d, false)
		expire(adv, d)
		mustLease(t, s, "acct-1", "replica-b", d, true)
		mustLease(t, s, "acct-1", "replica-dead", d, false)
		// The dead replica's late release must not free the new holder's lease.
		if err := s.ReleaseLease(ctx, "acct-1", "replica-dead"); err != nil {
			t.Fatal(err)
		}
		mustLease(t, s, "acct-1", "replica-c", d, false)
	})

	t.Run("LeaseConcurrent", func(t *testing.T) {
		s, adv := newStore(t)
		d := ttl(adv)
		const n = 16
		var got atomic.Int32
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.AcquireLease(ctx, "acct-1", fmt.Sprintf("replica-%d", i), d)
				if err != nil {
					t.Errorf("AcquireLease: %v", err)
				}
				if ok {
					got.Add(1)
				}
			}()
		}
		wg.Wait()
		if got.Load() != 1 {
			t.Fatalf("%d of %d concurrent AcquireLease calls succeeded, want 1", got.Load(), n)
		}
	})

	t.Run("Pauses", func(t *testing.T) {
		s, _ := newStore(t)
		ps, ok := s.(zoomclient.PauseStore)
		if !ok {
			t.Skip("store does not implement zoomclient.PauseStore")
		}
		if p, err := ps.AccountPause(ctx, "acct-1"); err != nil || !p.IsZero() {
			t.Fatalf("AccountPause of an unpaused account = %v, %v; want zero, nil", p, err)
		}
		until := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		if err := ps.PauseAccount(ctx, "acct-1", until); err != nil {
			t.Fatalf("PauseAccount: %v", err)
		}
		// An earlier pause does not shorten a later one.
		if err := ps.PauseAccount(ctx, "acct-1", until.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if p, err := ps.AccountPause(ctx, "acct-1"); err != nil || !p.Equal(until) {
			t.Fatalf("AccountPause = %v, %v; want %v", p, err, until)
		}
		if err := ps.PauseAccount(ctx, "acct-1", until.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if p, _ := ps.AccountPause(ctx, "acct-1"); !p.Equal(until.Add(time.Minute)) {
			t.Fatalf("AccountPause after extension = %v, want %v", p, until.Add(time.Minute))
		}
		if p, _ := ps.AccountPause(ctx, "acct-2"); !p.IsZero() {
			t.Fatalf("pause leaked to another account: %v", p)
		}
	})
}

func mustHave(t *testing.T, s zoomclient.TokenStore, acct, access string, version int64) {
	t.Helper()
	got, err := s.LoadToken(context.Background(), acct)
	if err != nil {
		t.Fatalf("LoadToken(%s): %v", acct, err)
	}
	if string(got.AccessToken) != access || got.Version != version {
		t.Fatalf("LoadToken(%s) = access %q version %d; want %q version %d", acct, got.AccessToken, got.Version, access, version)
	}
}

func mustLease(t *testing.T, s zoomclient.TokenStore, acct, holder string, ttl time.Duration, want bool) {
	t.Helper()
	got, err := s.AcquireLease(context.Background(), acct, holder, ttl)
	if err != nil {
		t.Fatalf("AcquireLease(%s, %s): %v", acct, holder, err)
	}
	if got != want {
		t.Fatalf("AcquireLease(%s, %s) = %v, want %v", acct, holder, got, want)
	}
}
