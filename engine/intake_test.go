package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/engine"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
)

func openStore(t *testing.T, engineName string, work bool) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.URL(t, engineName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if work {
		eng, err := engine.New(engine.Config{Store: st, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.StartWorkers(ctx, store.WorkerOptions{Workers: eng.Workers(), RetryPolicy: engine.RetryPolicy{}, Middleware: eng.Middleware()}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Stop(context.Background(), 5*time.Second) })
	}
	return st
}

func joined(delivery, participant string, ts int64) grant.Inbound {
	return grant.Inbound{
		DeliveryID: delivery, Event: "meeting.participant_joined", EventTime: time.UnixMilli(ts),
		AccountID: "acct", MeetingID: "123", MeetingUUID: "uuid==", ParticipantKey: participant,
		Body: []byte(`{"event":"meeting.participant_joined"}`), ReceivedAt: time.Now(),
	}
}

func TestIntakeDedupe(t *testing.T) {
	for _, eng := range testdb.Engines {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, eng, false)
			in := engine.NewIntake(st, engine.IntakeOptions{})
			t.Cleanup(in.Close)
			steps := []struct {
				name    string
				in      grant.Inbound
				wantDup bool
			}{
				{"first delivery", joined("req-1", "p1", 1000), false},
				{"same delivery again", joined("req-1", "p1", 1000), true},
				{"same fact, new delivery id", joined("req-2", "p1", 1000), true},
				{"same fact, no delivery id", joined("", "p1", 1000), true},
				{"other participant", joined("req-3", "p2", 1000), false},
				{"same participant re-joins later", joined("req-4", "p1", 2000), false},
			}
			for _, s := range steps {
				res, err := in.Accept(ctx, s.in)
				if err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				if res.Duplicate != s.wantDup {
					t.Fatalf("%s: duplicate = %v, want %v", s.name, res.Duplicate, s.wantDup)
				}
			}
			jobs, err := st.JobCounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if jobs["available"] != 3 {
				t.Fatalf("jobs = %v, want 3 available", jobs)
			}
			total, _, err := st.EventCounts(ctx)
			if err != nil || total != 3 {
				t.Fatalf("events = %d (%v), want 3", total, err)
			}
		})
	}
}

// Concurrent deliveries of the same request (Zoom retrying while the first is
// still in flight) store exactly one event.
func TestIntakeConcurrentDuplicates(t *testing.T) {
	for _, eng := range testdb.Engines {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, eng, false)
			in := engine.NewIntake(st, engine.IntakeOptions{})
			t.Cleanup(in.Close)
			var wg sync.WaitGroup
			var mu sync.Mutex
			fresh := 0
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := in.Accept(ctx, joined(fmt.Sprintf("req-%d", i%2), "p1", 1000))
					if err != nil {
						t.Error(err)
						return
					}
					if !res.Duplicate {
						mu.Lock()
						fresh++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if fresh != 1 {
				t.Fatalf("%d deliveries were stored as new, want 1", fresh)
			}
		})
	}
}

func TestWorkerProcessesEvents(t *testing.T) {
	for _, eng := range testdb.Engines {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, eng, true)
			in := engine.NewIntake(st, engine.IntakeOptions{})
			t.Cleanup(in.Close)
			for i := range 5 {
				if _, err := in.Accept(ctx, joined(fmt.Sprintf("r%d", i), fmt.Sprintf("p%d", i), 1000)); err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				_, processed, err := st.EventCounts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if processed == 5 {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("processed %d of 5 events", processed)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func TestStoreReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	url := testdb.URL(t, "sqlite")
	st, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.NewIntake(st, engine.IntakeOptions{}).Accept(ctx, joined("r1", "p1", 1)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatalf("reopen (migrations must be idempotent): %v", err)
	}
	defer st.Close()
	res, err := engine.NewIntake(st, engine.IntakeOptions{}).Accept(ctx, joined("r1", "p1", 1))
	if err != nil || !res.Duplicate {
		t.Fatalf("after reopen: duplicate=%v err=%v, want a duplicate", res.Duplicate, err)
	}
}

// One event the database refuses for good must not fail its batch: the
// intake isolates it by bisection in a handful of transactions (not one per
// neighbour, which ran past the intake time-out), answers it
// store.ErrInvalidData, and commits every neighbour.
func TestIntakeIsolatesPoisonEvents(t *testing.T) {
	for _, eng := range testdb.Engines {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			url := testdb.URL(t, eng)
			st, err := store.Open(ctx, url, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(st.Close)
			testdb.PoisonEvents(t, eng, url)
			in := engine.NewIntake(st, engine.IntakeOptions{Committers: 1})
			t.Cleanup(in.Close)

			// The first Accept takes the committer, which waits on the lock;
			// the other n queue and are committed as one batch.
			const n = 64
			poison := map[int]bool{7: true, 40: true}
			release := testdb.LockIntake(t, eng, url)
			errs := make([]error, n+1)
			var wg sync.WaitGroup
			for i := range n + 1 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					key := fmt.Sprintf("p%d", i)
					if poison[i] {
						key = fmt.Sprintf("poison%d", i)
					}
					_, errs[i] = in.Accept(ctx, joined(fmt.Sprintf("r%d", i), key, 1000))
				}()
				if i == 0 {
					for in.Commits() < 1 {
						time.Sleep(time.Millisecond) // until the committer holds it, waiting on the lock
					}
				}
			}
			for in.Queued() < n {
				time.Sleep(time.Millisecond)
			}
			before := in.Commits()
			release()
			wg.Wait()
			for i, err := range errs {
				switch {
				case poison[i] && !errors.Is(err, store.ErrInvalidData):
					t.Errorf("poison event %d: error %v, want store.ErrInvalidData", i, err)
				case !poison[i] && err != nil:
					t.Errorf("good event %d failed with its poison neighbours: %v", i, err)
				}
			}
			// The batch of 64 with 2 poisons: one failed try, then at most
			// 2·(2·log2 64) halves.
			if got := in.Commits() - before; got > 1+2*2*6 {
				t.Errorf("%d transactions to isolate 2 poison events in %d, want at most %d", got, n, 1+2*2*6)
			}
			total, _, err := st.EventCounts(ctx)
			if err != nil || total != n+1-int64(len(poison)) {
				t.Fatalf("%d events stored (%v), want %d", total, err, n+1-len(poison))
			}
		})
	}
}
