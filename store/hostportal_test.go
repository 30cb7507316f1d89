package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/hostportal"
	"github.com/cohost-dev/cohost/store"
)

var portalEpoch = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

// A sign-in's state works once: of many callbacks with it at once, exactly
// one takes the row, on either engine.
func TestHostSignInTakenOnce(t *testing.T) {
	hsEachEngine(t, func(t *testing.T, url string) {
		st := openHostSettingsStore(t, url)
		ctx := context.Background()
		in := hostportal.SignInRecord{StateHash: "state-hash", Verifier: "verifier-1", BrowserHash: "browser-hash",
			CreatedAt: portalEpoch, ExpiresAt: portalEpoch.Add(10 * time.Minute)}
		if err := st.CreateHostSignIn(ctx, in); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var got []hostportal.SignInRecord
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := st.TakeHostSignIn(ctx, "state-hash")
				if errors.Is(err, store.ErrNotFound) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got = append(got, out)
				mu.Unlock()
			}()
		}
		wg.Wait()
		if len(got) != 1 {
			t.Fatalf("%d callbacks took the sign-in, want 1", len(got))
		}
		if got[0] != in {
			t.Errorf("took %+v, want %+v", got[0], in)
		}
		if _, err := st.TakeHostSignIn(ctx, "unknown"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown state: %v, want ErrNotFound", err)
		}
	})
}

// Sessions are kept by the hash of their id; deleting one ends it for every
// reader at once, and expired ones are pruned.
func TestHostSessions(t *testing.T) {
	hsEachEngine(t, func(t *testing.T, url string) {
		st := openHostSettingsStore(t, url)
		ctx := context.Background()
		s := hostportal.SessionRecord{IDHash: "id-hash", AccountID: "acct", UserID: "user-1", Email: "host@example.com",
			DisplayName: "Hana Host", Timezone: "Europe/Berlin", CreatedAt: portalEpoch, ExpiresAt: portalEpoch.Add(8 * time.Hour)}
		if err := st.CreateHostSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateHostSession(ctx, s); err == nil {
			t.Error("a second session with the same id was stored")
		}
		got, err := st.HostSessionByHash(ctx, "id-hash")
		if err != nil || got != s {
			t.Fatalf("read %+v, %v; want %+v", got, err, s)
		}
		if err := st.DeleteHostSession(ctx, "id-hash"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.HostSessionByHash(ctx, "id-hash"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after sign-out: %v, want ErrNotFound", err)
		}
		if err := st.DeleteHostSession(ctx, "id-hash"); err != nil {
			t.Errorf("ending an ended session: %v", err)
		}

		// Prune: what expired goes, what has not stays.
		old := s
		old.IDHash, old.ExpiresAt = "old", portalEpoch.Add(time.Hour)
		fresh := s
		fresh.IDHash, fresh.ExpiresAt = "fresh", portalEpoch.Add(12*time.Hour)
		for _, x := range []hostportal.SessionRecord{old, fresh} {
			if err := st.CreateHostSession(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.CreateHostSignIn(ctx, hostportal.SignInRecord{StateHash: "old-state", Verifier: "v", BrowserHash: "b",
			CreatedAt: portalEpoch, ExpiresAt: portalEpoch.Add(10 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		res, err := st.Prune(ctx, portalEpoch.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if res.HostPortal != 2 {
			t.Errorf("pruned %+v, want the expired session and sign-in", res)
		}
		if _, err := st.HostSessionByHash(ctx, "old"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired session: %v", err)
		}
		if _, err := st.HostSessionByHash(ctx, "fresh"); err != nil {
			t.Errorf("live session pruned: %v", err)
		}
		if _, err := st.TakeHostSignIn(ctx, "old-state"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired sign-in: %v", err)
		}
	})
}

// app_deauthorized ends the account's sessions and nobody else's.
func TestDeleteAccountEndsHostSessions(t *testing.T) {
	hsEachEngine(t, func(t *testing.T, url string) {
		st := openHostSettingsStore(t, url)
		ctx := context.Background()
		for _, acct := range []string{"gone", "kept"} {
			if err := st.CreateHostSession(ctx, hostportal.SessionRecord{IDHash: acct, AccountID: acct, UserID: "u", Email: acct + "@example.com",
				CreatedAt: portalEpoch, ExpiresAt: portalEpoch.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.DeleteAccount(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.HostSessionByHash(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the deauthorized account's session: %v", err)
		}
		if _, err := st.HostSessionByHash(ctx, "kept"); err != nil {
			t.Errorf("the other account's session: %v", err)
		}
	})
}

func TestLiveMeetingsOfHost(t *testing.T) {
	hsEachEngine(t, func(t *testing.T, url string) {
		st := openHostSettingsStore(t, url)
		ctx := context.Background()
		save := func(m grant.Meeting) {
			t.Helper()
			if err := st.InTx(ctx, func(tx store.Tx) error {
				if _, err := tx.LockMeeting(ctx, m.AccountID, m.ID); err != nil {
					return err
				}
				return tx.SaveMeeting(ctx, m)
			}); err != nil {
				t.Fatal(err)
			}
		}
		save(grant.Meeting{AccountID: "acct", ID: "1", HostID: "host", Topic: "Earlier", Status: grant.MeetingStarted, StartedAt: portalEpoch})
		save(grant.Meeting{AccountID: "acct", ID: "2", HostID: "host", Topic: "Later", Status: grant.MeetingStarted, StartedAt: portalEpoch.Add(time.Hour)})
		save(grant.Meeting{AccountID: "acct", ID: "3", HostID: "host", Status: grant.MeetingEnded})
		save(grant.Meeting{AccountID: "acct", ID: "4", HostID: "host", Status: grant.MeetingScheduled})
		save(grant.Meeting{AccountID: "acct", ID: "5", HostID: "someone-else", Status: grant.MeetingStarted})
		save(grant.Meeting{AccountID: "other", ID: "6", HostID: "host", Status: grant.MeetingStarted})
		got, err := st.LiveMeetingsOfHost(ctx, "acct", "host")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != "2" || got[1].ID != "1" || got[0].Topic != "Later" {
			t.Errorf("live meetings %+v, want 2 then 1", got)
		}
	})
}
