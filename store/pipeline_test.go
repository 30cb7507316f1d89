package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
)

// storeEvent records an unprocessed event as the intake does.
func storeEvent(t *testing.T, st *store.Store, id string) {
	t.Helper()
	ctx := context.Background()
	in := grant.Inbound{ID: id, Event: "meeting.participant_joined", EventTime: time.UnixMilli(1_700_000_000_000),
		AccountID: "acct", MeetingID: "1", MeetingUUID: "uuid-1", ParticipantKey: id, Body: []byte(`{}`), ReceivedAt: time.Now()}
	if err := st.InIntakeTx(ctx, func(tx store.Tx) error { _, err := tx.RecordEvents(ctx, []grant.Inbound{in}); return err }); err != nil {
		t.Fatal(err)
	}
}

// join is what a join's transaction does: read, ensure the meeting, write the
// participant with the event's mark, enqueue a job.
func join(ctx context.Context, st *store.Store, eventID, key string, job int) error {
	return st.InTxPipelined(ctx, func(tx store.Tx) error {
		r, err := tx.ReadMeetingParticipant(ctx, "acct", "1", "uuid-1", key)
		if err != nil {
			return err
		}
		if err := tx.EnsureMeeting(ctx, "acct", "1", "host"); err != nil {
			return err
		}
		p := r.Participant.Participant
		p.State, p.Name = grant.StatePending, "joiner "+key
		if _, err := tx.SaveParticipantMarking(ctx, r.Participant, p, store.EventMark{ID: eventID, At: time.Now(), Outcome: "grant_enqueued"}); err != nil {
			return err
		}
		return tx.Enqueue(ctx, pingArgs{N: job}, nil)
	})
}

func jobCount(t *testing.T, st *store.Store) int64 {
	t.Helper()
	counts, err := st.JobCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, c := range counts {
		n += c
	}
	return n
}

// A pipelined transaction commits everything or nothing, on both engines: a
// held write that finds the event processed, or the row changed since the
// read, fails the transaction at its commit, with nothing of it committed.
func TestPipelinedTransaction(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			url := testdb.URL(t, engine)
			if engine == "postgres" {
				url += "&pool_max_conns=2" // a connection left broken or busy would show at once
			}
			st, err := store.Open(ctx, url, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(st.Close)
			storeEvent(t, st, "e1")
			if err := join(ctx, st, "e1", "p1", 1); err != nil {
				t.Fatalf("first join: %v", err)
			}
			p, err := st.GetParticipant(ctx, "uuid-1", "p1")
			if err != nil || p.Name != "joiner p1" || p.State != grant.StatePending {
				t.Fatalf("participant after the join = %+v, %v", p, err)
			}
			m, err := st.GetMeeting(ctx, "acct", "1")
			if err != nil || m.HostID != "host" {
				t.Fatalf("meeting after the join = %+v, %v", m, err)
			}
			if n := jobCount(t, st); n != 1 {
				t.Fatalf("%d jobs after the join, want 1", n)
			}

			// The same event again: processed, so nothing of the second
			// transaction commits (its job among it).
			if err := join(ctx, st, "e1", "p1", 2); !errors.Is(err, store.ErrEventProcessed) {
				t.Fatalf("the same event again: %v, want ErrEventProcessed", err)
			}
			if n := jobCount(t, st); n != 1 {
				t.Fatalf("%d jobs after the replay, want 1: the failed transaction's job committed", n)
			}

			// A write over a row that changed since the read.
			storeEvent(t, st, "e2")
			r, err := st.ReadMeetingParticipant(ctx, "acct", "1", "uuid-1", "p1")
			if err != nil {
				t.Fatal(err)
			}
			if err := st.InTx(ctx, func(other store.Tx) error { // another transaction changes the row meanwhile
				q, err := other.LockParticipant(ctx, "acct", "1", "uuid-1", "p1")
				if err != nil {
					return err
				}
				q.Attempts++
				return other.SaveParticipant(ctx, q)
			}); err != nil {
				t.Fatal(err)
			}
			err = st.InTxPipelined(ctx, func(tx store.Tx) error {
				p := r.Participant.Participant
				p.Name = "stale"
				if _, err := tx.SaveParticipantMarking(ctx, r.Participant, p, store.EventMark{ID: "e2", At: time.Now(), Outcome: "x"}); err != nil {
					return err
				}
				return tx.Enqueue(ctx, pingArgs{N: 3}, nil)
			})
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("write over a changed row: %v, want ErrConflict", err)
			}
			if p, _ := st.GetParticipant(ctx, "uuid-1", "p1"); p.Name != "joiner p1" {
				t.Fatalf("the stale write committed: %+v", p)
			}
			if n := jobCount(t, st); n != 1 {
				t.Fatalf("%d jobs after the conflict, want 1", n)
			}
			total, processed, err := st.EventCounts(ctx)
			if err != nil || total != 2 || processed != 1 {
				t.Fatalf("events: %d, processed %d (%v); want 2, 1: e2's mark committed with the failed write", total, processed, err)
			}

			// fn's own error rolls back what was sent and held.
			storeEvent(t, st, "e3")
			boom := errors.New("boom")
			err = st.InTxPipelined(ctx, func(tx store.Tx) error {
				r, err := tx.ReadMeetingParticipant(ctx, "acct", "1", "uuid-1", "p3")
				if err != nil {
					return err
				}
				p := r.Participant.Participant
				p.Name = "rolled back"
				if _, err := tx.SaveParticipantMarking(ctx, r.Participant, p, store.EventMark{ID: "e3", At: time.Now(), Outcome: "x"}); err != nil {
					return err
				}
				// A read after the held write sees it: order is kept.
				seen, err := tx.ReadMeetingParticipant(ctx, "acct", "1", "uuid-1", "p3")
				if err != nil {
					return err
				}
				if seen.Participant.Name != "rolled back" {
					return fmt.Errorf("a read after the held write saw %+v", seen.Participant)
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("fn's error: %v, want boom", err)
			}
			if _, err := st.GetParticipant(ctx, "uuid-1", "p3"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the rolled-back participant is there (%v)", err)
			}

			// The connections came back clean: many more transactions on
			// a pool of two.
			for i := range 20 {
				id := fmt.Sprintf("n%d", i)
				storeEvent(t, st, id)
				if err := join(ctx, st, id, id, 10+i); err != nil {
					t.Fatalf("join %d: %v", i, err)
				}
			}
			if n := jobCount(t, st); n != 21 {
				t.Fatalf("%d jobs, want 21", n)
			}
		})
	}
}
