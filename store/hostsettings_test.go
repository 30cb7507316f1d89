package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
)

// hsEpoch is where the host-settings tests' clock starts.
var hsEpoch = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

const (
	hsAccount = "acct-hs"
	hsHost    = "host-hs"
	hsLease   = time.Minute
)

// openHostSettingsStore opens a Store on url, closed when the test ends.
func openHostSettingsStore(t *testing.T, url string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), url, store.Options{})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(st.Close)
	return st
}

func hsEachEngine(t *testing.T, f func(t *testing.T, url string)) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) { f(t, testdb.URL(t, engine)) })
	}
}

func hsClaim(t *testing.T, st *store.Store, meetingID string, now time.Time) store.HostSettingsClaim {
	t.Helper()
	c, err := st.ClaimHostSettings(context.Background(), hsAccount, hsHost, meetingID, now, hsLease)
	if err != nil {
		t.Fatalf("ClaimHostSettings(%s): %v", meetingID, err)
	}
	return c
}

func hsRelease(t *testing.T, st *store.Store, meetingID string, now time.Time) store.HostSettingsRelease {
	t.Helper()
	r, err := st.ReleaseHostMeeting(context.Background(), hsAccount, hsHost, meetingID, now)
	if err != nil {
		t.Fatalf("ReleaseHostMeeting(%s): %v", meetingID, err)
	}
	return r
}

// Two overlapping meetings of one host: one snapshot, taken by the first;
// the second waits while it is taken, then shares it; the settings are
// restored once, when the second ends.
func TestHostSettingsOverlappingMeetings(t *testing.T) {
	hsEachEngine(t, func(t *testing.T, url string) {
		ctx := context.Background()
		st := openHostSettingsStore(t, url)
		now := hsEpoch

		a := hsClaim(t, st, "111", now)
		if a.Step != store.HostSettingsTakeSnapshot || a.Token == 0 {
			t.Fatalf("first claim = %+v, want TakeSnapshot with a token", a)
		}
		b := hsClaim(t, st, "222", now.Add(time.Second))
		if b.Step != store.HostSettingsWait || !b.RetryAt.Equal(now.Add(hsLease)) {
			t.Fatalf("claim while snapshotting = %+v, want Wait until the lease ends", b)
		}
		const snap = `{"in_meeting.annotation":false}`
		if ok, err := st.SaveHostSnapshot(ctx, hsAccount, hsHost, a.Token, snap, now.Add(2*time.Second)); err != nil || !ok {
			t.Fatalf("SaveHostSnapshot = %v, %v; want true", ok, err)
		}
		b = hsClaim(t, st, "222", now.Add(3*time.Second))
		if b.Step != store.HostSettingsApply || b.Snapshot != snap || b.Applied {
			t.Fatalf("claim after the snapshot = %+v, want Apply with the snapshot, not applied", b)
		}
		for _, id := range []string{"111", "222"} {
			if ok, err := st.MarkHostMeetingApplied(ctx, hsAccount, hsHost, id, "applied 2 of 2 ("+id+")"); err != nil || !ok {
				t.Fatalf("MarkHostMeetingApplied(%s) = %v, %v", id, ok, err)
			}
		}
		// Prepare again (idempotent): already applied, with its detail.
		again := hsClaim(t, st, "111", now.Add(4*time.Second))
		if again.Step != store.HostSettingsApply || !again.Applied || again.Detail != "applied 2 of 2 (111)" {
			t.Fatalf("repeated claim = %+v, want Apply, applied, with the detail", again)
		}
		hm, err := st.FindHostMeeting(ctx, hsAccount, "222")
		if err != nil || hm.HostID != hsHost || !hm.Applied || hm.Released {
			t.Fatalf("FindHostMeeting(222) = %+v, %v", hm, err)
		}
		if _, err := st.FindHostMeeting(ctx, hsAccount, "22"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindHostMeeting(22) err = %v, want ErrNotFound (ids match exactly)", err)
		}
		h, err := st.GetHostSettings(ctx, hsAccount, hsHost)
		if err != nil || !slices.Equal(h.Meetings, []string{"111", "222"}) || h.Restoring || h.Snapshot != snap {
			t.Fatalf("GetHostSettings = %+v, %v", h, err)
		}

		// The first meeting ends: the second still holds the settings.
		if r := hsRelease(t, st, "111", now.Add(time.Hour)); r.Restore {
			t.Fatalf("release of the first meeting = %+v, want no restore", r)
		}
		if r := hsRelease(t, st, "111", now.Add(time.Hour)); r.Restore {
			t.Fatalf("repeated release of the first meeting = %+v, want no restore", r)
		}
		// The second ends: restore, once.
		r := hsRelease(t, st, "222", now.Add(2*time.Hour))
		if !r.Restore || r.Snapshot != snap {
			t.Fatalf("release of the last meeting = %+v, want Restore of the snapshot", r)
		}
		if h, _ := st.GetHostSettings(ctx, hsAccount, hsHost); !h.Restoring || len(h.Meetings) != 0 {
			t.Fatalf("row while restoring = %+v", h)
		}
		if hm, err := st.FindHostMeeting(ctx, hsAccount, "222"); err != nil || !hm.Released {
			t.Fatalf("FindHostMeeting(222) while restoring = %+v, %v; want released", hm, err)
		}
		// A meeting starting now waits for the restore to land.
		if c := hsClaim(t, st, "333", now.Add(2*time.Hour+time.Second)); c.Step != store.HostSettingsWait {
			t.Fatalf("claim while restoring = %+v, want Wait", c)
		}
		if ok, err := st.CompleteHostRestore(ctx, hsAccount, hsHost, r.Token); err != nil || !ok {
			t.Fatalf("CompleteHostRestore = %v, %v; want true", ok, err)
		}
		if _, err := st.GetHostSettings(ctx, hsAccount, hsHost); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("row after the restore: err = %v, want ErrNotFound", err)
		}
		// Finish is idempotent: nothing left to restore.
		if r := hsRelease(t, st, "222", now.Add(3*time.Hour)); r.Restore {
			t.Fatalf("release after the restore = %+v", r)
		}
		// The next meeting takes a fresh snapshot.
		if c := hsClaim(t, st, "333", now.Add(3*time.Hour)); c.Step != store.HostSettingsTakeSnapshot {
			t.Fatalf("claim after the restore = %+v, want TakeSnapshot", c)
		}
	})
}

// A worker that dies while snapshotting or restoring is taken over after the
// lease; its late writes then change nothing.
func TestHostSettingsLeaseTakeover(t *testing.T) {
	hsEachEngine(t, func(t *testing.T, url string) {
		ctx := context.Background()
		st := openHostSettingsStore(t, url)
		now := hsEpoch

		dead := hsClaim(t, st, "111", now)
		alive := hsClaim(t, st, "111", now.Add(hsLease))
		if alive.Step != store.HostSettingsTakeSnapshot || alive.Token <= dead.Token {
			t.Fatalf("claim after the lease = %+v (dead token %d), want a newer TakeSnapshot", alive, dead.Token)
		}
		if ok, _ := st.SaveHostSnapshot(ctx, hsAccount, hsHost, dead.Token, `{"x":1}`, now.Add(hsLease)); ok {
			t.Fatal("the dead worker's snapshot was saved")
		}
		if ok, _ := st.SaveHostSnapshot(ctx, hsAccount, hsHost, alive.Token, `{"x":2}`, now.Add(hsLease)); !ok {
			t.Fatal("the live worker's snapshot was not saved")
		}

		// A restore that is retried hands out a new token; the old one
		// cannot delete the row.
		r1 := hsRelease(t, st, "111", now.Add(time.Hour))
		r2 := hsRelease(t, st, "111", now.Add(time.Hour+time.Second))
		if !r1.Restore || !r2.Restore || r2.Token == r1.Token {
			t.Fatalf("releases = %+v, %+v; want two restores with distinct tokens", r1, r2)
		}
		if ok, _ := st.CompleteHostRestore(ctx, hsAccount, hsHost, r1.Token); ok {
			t.Fatal("a superseded restore completed")
		}
		// The restorer dies; after the lease a new meeting revives the row
		// with the same snapshot (it still holds the host's own settings).
		c := hsClaim(t, st, "222", now.Add(time.Hour+time.Second+hsLease))
		if c.Step != store.HostSettingsApply || c.Snapshot != `{"x":2}` {
			t.Fatalf("claim after a dead restore = %+v, want Apply with the old snapshot", c)
		}
		if ok, _ := st.CompleteHostRestore(ctx, hsAccount, hsHost, r2.Token); ok {
			t.Fatal("the dead restorer deleted a row a meeting holds")
		}

		// Abandoning a snapshot claim frees the host at once.
		const other = "host-other"
		c2, err := st.ClaimHostSettings(ctx, hsAccount, other, "444", now, hsLease)
		if err != nil || c2.Step != store.HostSettingsTakeSnapshot {
			t.Fatalf("claim = %+v, %v", c2, err)
		}
		if err := st.AbandonHostSnapshot(ctx, hsAccount, other, c2.Token); err != nil {
			t.Fatal(err)
		}
		if c3, _ := st.ClaimHostSettings(ctx, hsAccount, other, "444", now.Add(time.Second), hsLease); c3.Step != store.HostSettingsTakeSnapshot {
			t.Fatalf("claim after abandon = %+v, want TakeSnapshot", c3)
		}
		// A meeting released before the snapshot exists leaves nothing to restore.
		if r := hsReleaseHost(t, st, other, "444", now.Add(2*time.Second)); r.Restore {
			t.Fatalf("release while snapshotting = %+v", r)
		}
		if _, err := st.GetHostSettings(ctx, hsAccount, other); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("row after releasing its only meeting while snapshotting: err = %v", err)
		}
	})
}

func hsReleaseHost(t *testing.T, st *store.Store, hostID, meetingID string, now time.Time) store.HostSettingsRelease {
	t.Helper()
	r, err := st.ReleaseHostMeeting(context.Background(), hsAccount, hostID, meetingID, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Meetings of one host prepared at once on two replicas: exactly one of them
// takes the snapshot.
func TestHostSettingsOneSnapshotAcrossReplicas(t *testing.T) {
	hsEachEngine(t, func(t *testing.T, url string) {
		replicas := []*store.Store{openHostSettingsStore(t, url), openHostSettingsStore(t, url)}
		const n = 8
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			steps = map[store.HostSettingsStep]int{}
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := replicas[i%2].ClaimHostSettings(context.Background(), hsAccount, hsHost, fmt.Sprint(1000+i), hsEpoch, hsLease)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				steps[c.Step]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if steps[store.HostSettingsTakeSnapshot] != 1 || steps[store.HostSettingsWait] != n-1 {
			t.Fatalf("steps = %v, want one TakeSnapshot and %d Wait", steps, n-1)
		}
		h, err := replicas[0].GetHostSettings(context.Background(), hsAccount, hsHost)
		if err != nil || len(h.Meetings) != n {
			t.Fatalf("row = %+v, %v; want all %d meetings", h, err, n)
		}
	})
}

// The alternative-host queue: batches, the interval between updates, the
// flush lease and the daily budget.
func TestAlternativeHostQueue(t *testing.T) {
	hsEachEngine(t, func(t *testing.T, url string) {
		ctx := context.Background()
		st := openHostSettingsStore(t, url)
		b := store.AlternativeHostBudget{DailyUpdates: 3, BatchWindow: 5 * time.Second, MinInterval: 30 * time.Second, FlushLease: 10 * time.Second}
		const acct, mid = "acct-ah", "81000000001"
		t0 := hsEpoch
		queue := func(email string, at time.Time) store.AlternativeHostTurn {
			t.Helper()
			turn, err := st.QueueAlternativeHost(ctx, acct, mid, email, at, b)
			if err != nil {
				t.Fatalf("QueueAlternativeHost(%s): %v", email, err)
			}
			return turn
		}

		// The permissions granter's update counts against the same budget.
		if err := st.RecordMeetingUpdate(ctx, acct, mid, t0); err != nil {
			t.Fatal(err)
		}
		if turn := queue("a@x.test", t0); turn.Flush || !turn.RetryAt.Equal(t0.Add(5*time.Second)) || turn.UpdatesToday != 1 {
			t.Fatalf("first queued = %+v, want a wait for the batch window", turn)
		}
		if turn := queue("b@x.test", t0.Add(time.Second)); turn.Flush || !turn.RetryAt.Equal(t0.Add(5*time.Second)) {
			t.Fatalf("second queued = %+v, want the same batch", turn)
		}
		flush := queue("c@x.test", t0.Add(5*time.Second))
		if !flush.Flush || !slices.Equal(flush.Emails, []string{"a@x.test", "b@x.test", "c@x.test"}) {
			t.Fatalf("due = %+v, want a flush of the three", flush)
		}
		// Another worker comes while the batch is being sent.
		if turn := queue("a@x.test", t0.Add(6*time.Second)); turn.Flush || turn.RetryAt.After(t0.Add(15*time.Second)) {
			t.Fatalf("during the flush = %+v, want a short wait", turn)
		}
		if err := st.EndAlternativeHostFlush(ctx, acct, mid, flush.Token, store.AlternativeHostFlush{
			Patched: true, At: t0.Add(6 * time.Second), Remove: flush.Emails}); err != nil {
			t.Fatal(err)
		}
		if q, _ := st.QueuedAlternativeHosts(ctx, acct, mid); len(q) != 0 {
			t.Fatalf("queue after the flush = %v", q)
		}
		if n, _ := st.MeetingUpdates(ctx, acct, mid, t0); n != 2 {
			t.Fatalf("updates = %d, want 2", n)
		}
		// The next batch waits for the interval since the last update.
		if turn := queue("d@x.test", t0.Add(7*time.Second)); turn.Flush || !turn.RetryAt.Equal(t0.Add(36*time.Second)) {
			t.Fatalf("after an update = %+v, want a wait until last update + interval", turn)
		}
		dead := queue("e@x.test", t0.Add(36*time.Second))
		if !dead.Flush || !slices.Equal(dead.Emails, []string{"d@x.test", "e@x.test"}) {
			t.Fatalf("second batch = %+v", dead)
		}
		// Its worker dies; after the lease another takes the batch over.
		live := queue("d@x.test", t0.Add(46*time.Second))
		if !live.Flush || live.Token == dead.Token {
			t.Fatalf("after the lease = %+v, want a new flush", live)
		}
		if err := st.EndAlternativeHostFlush(ctx, acct, mid, dead.Token, store.AlternativeHostFlush{At: t0.Add(47 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		if turn := queue("f@x.test", t0.Add(47*time.Second)); turn.Flush {
			t.Fatal("the dead worker's end released the live worker's lease")
		}
		if err := st.EndAlternativeHostFlush(ctx, acct, mid, live.Token, store.AlternativeHostFlush{
			Patched: true, At: t0.Add(47 * time.Second), Remove: live.Emails}); err != nil {
			t.Fatal(err)
		}
		// Three updates today: the budget is spent, f is dequeued.
		if turn := queue("g@x.test", t0.Add(2*time.Minute)); !turn.Exhausted || turn.UpdatesToday != 3 {
			t.Fatalf("spent = %+v, want Exhausted", turn)
		}
		if q, _ := st.QueuedAlternativeHosts(ctx, acct, mid); !slices.Equal(q, []string{"f@x.test"}) {
			t.Fatalf("queue = %v, want only f (g given up)", q)
		}
		// A new UTC day brings a new budget.
		tomorrow := time.Date(2026, 5, 5, 0, 0, 1, 0, time.UTC)
		if n, _ := st.MeetingUpdates(ctx, acct, mid, tomorrow); n != 0 {
			t.Fatalf("updates tomorrow = %d", n)
		}
		if turn := queue("g@x.test", tomorrow); turn.Exhausted || !turn.Flush {
			t.Fatalf("tomorrow = %+v, want a flush (f waited long enough)", turn)
		} else if err := st.EndAlternativeHostFlush(ctx, acct, mid, turn.Token, store.AlternativeHostFlush{
			At: tomorrow, Exhausted: true, DailyUpdates: b.DailyUpdates, Remove: turn.Emails}); err != nil {
			t.Fatal(err)
		}
		// Zoom's own daily limit marks the budget spent.
		if n, _ := st.MeetingUpdates(ctx, acct, mid, tomorrow); n != 3 {
			t.Fatalf("updates after Zoom's daily limit = %d, want 3", n)
		}
		if err := st.ClearAlternativeHostQueue(ctx, acct, mid); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteAccount(ctx, acct); err != nil {
			t.Fatal(err)
		}
		if n, _ := st.MeetingUpdates(ctx, acct, mid, tomorrow); n != 0 {
			t.Fatalf("updates after DeleteAccount = %d", n)
		}
	})
}
