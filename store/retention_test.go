package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
)

// retentionFixture stores one of everything Prune looks at: an ended meeting
// with a participant and a granter state, a live meeting with a participant,
// a processed and an unprocessed event with their deliveries.
func retentionFixture(t *testing.T, st *store.Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	err := st.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.RecordDeliveries(ctx, []string{"d-processed", "d-pending"}, now); err != nil {
			return err
		}
		ev := func(id, key string) grant.Inbound {
			return grant.Inbound{ID: id, DeliveryID: "d-" + id, Event: "meeting.participant_joined", EventTime: now,
				AccountID: "acct", MeetingID: "1", MeetingUUID: "ended-uuid", ParticipantKey: key,
				Body: []byte(`{"email":"old@example.com"}`), ReceivedAt: now}
		}
		if _, err := tx.RecordEvents(ctx, []grant.Inbound{ev("processed", "p1"), ev("pending", "p2")}); err != nil {
			return err
		}
		for _, m := range []grant.Meeting{
			{AccountID: "acct", ID: "1", UUID: "ended-uuid", Status: grant.MeetingEnded, HostEmail: "host@example.com"},
			{AccountID: "acct", ID: "2", UUID: "live-uuid", Status: grant.MeetingStarted},
			{AccountID: "acct", ID: "3", UUID: "", Status: grant.MeetingScheduled},
		} {
			if _, err := tx.LockMeeting(ctx, m.AccountID, m.ID); err != nil {
				return err
			}
			if err := tx.SaveMeeting(ctx, m); err != nil {
				return err
			}
		}
		for _, p := range []struct{ meetingID, uuid string }{{"1", "ended-uuid"}, {"2", "live-uuid"}} {
			pt, err := tx.LockParticipant(ctx, "acct", p.meetingID, p.uuid, "p1")
			if err != nil {
				return err
			}
			pt.Name, pt.Email, pt.State = "Old Timer", "old@example.com", grant.StateConfirmed
			if err := tx.SaveParticipant(ctx, pt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkEventProcessed(ctx, "processed", now, "done"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetGranterState(ctx, "acct", "1", grant.GranterState{Granter: "agent", Phase: grant.GranterFinished, At: now}); err != nil {
		t.Fatal(err)
	}
}

// Nothing personal is kept for ever: after the window, delivery ids,
// processed events, ended meetings and their participants are gone; what is
// still due (an unprocessed event) or live (a started meeting's
// participants) and scheduled meetings stay.
func TestPruneAfterRetention(t *testing.T) {
	for _, eng := range testdb.Engines {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			st, err := store.Open(ctx, testdb.URL(t, eng), store.Options{Retention: store.Retention{Ledger: 7 * 24 * time.Hour}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(st.Close)
			now := time.Now()
			retentionFixture(t, st, now)

			// Within the windows nothing goes.
			res, err := st.Prune(ctx, now.Add(23*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if res.Total() != 0 {
				t.Fatalf("pruned within the windows: %+v", res)
			}
			// Past the webhooks' day: delivery ids and the processed event.
			res, err = st.Prune(ctx, now.Add(25*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if res.Deliveries != 2 || res.Events != 1 || res.Meetings != 0 || res.Participants != 0 {
				t.Fatalf("after 25 h pruned %+v, want 2 deliveries and 1 event", res)
			}
			if _, err := st.GetEvent(ctx, "pending"); err != nil {
				t.Fatalf("the unprocessed event was pruned: %v", err)
			}
			// Past the ledger's week: the ended meeting, its participant and
			// granter state.
			res, err = st.Prune(ctx, now.Add(8*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if res.Meetings != 1 || res.Participants != 1 || res.GranterStates != 1 {
				t.Fatalf("after 8 days pruned %+v, want 1 meeting, 1 participant, 1 granter state", res)
			}
			if _, err := st.GetMeeting(ctx, "acct", "1"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("ended meeting still there: %v", err)
			}
			if _, err := st.GetParticipant(ctx, "ended-uuid", "p1"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("participant of the ended meeting still there: %v", err)
			}
			if _, err := st.GetParticipant(ctx, "live-uuid", "p1"); err != nil {
				t.Fatalf("participant of the live meeting pruned: %v", err)
			}
			for _, id := range []string{"2", "3"} {
				if _, err := st.GetMeeting(ctx, "acct", id); err != nil {
					t.Fatalf("meeting %s (live or scheduled) pruned: %v", id, err)
				}
			}
		})
	}
}

func TestRetentionFloor(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.URL(t, "sqlite"), store.Options{Retention: store.Retention{Webhooks: time.Minute, Ledger: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	now := time.Now()
	retentionFixture(t, st, now)
	// Zoom re-delivers for about 85 minutes: nothing goes before a day.
	res, err := st.Prune(ctx, now.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Total() != 0 {
		t.Fatalf("pruned before 24 h: %+v", res)
	}
}

// deauthFixture stores an account's data the way the engine does, plus River
// jobs naming it, and the same for a second account that must survive.
func deauthFixture(t *testing.T, st *store.Store, account, email string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	err := st.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.RecordEvents(ctx, []grant.Inbound{{ID: account + "-ev", Event: "meeting.participant_joined", EventTime: now,
			AccountID: account, MeetingID: "9", MeetingUUID: account + "-uuid", ParticipantKey: "p1",
			Body: []byte(`{"email":"` + email + `"}`), ReceivedAt: now}}); err != nil {
			return err
		}
		if _, err := tx.LockMeeting(ctx, account, "9"); err != nil {
			return err
		}
		if err := tx.SaveMeeting(ctx, grant.Meeting{AccountID: account, ID: "9", UUID: account + "-uuid", Status: grant.MeetingStarted, HostEmail: "host-" + email}); err != nil {
			return err
		}
		pt, err := tx.LockParticipant(ctx, account, "9", account+"-uuid", "p1")
		if err != nil {
			return err
		}
		pt.Email, pt.Name = email, "Name of "+email
		if err := tx.SaveParticipant(ctx, pt); err != nil {
			return err
		}
		if err := tx.Enqueue(ctx, accountJob{AccountID: account, Email: email}, nil); err != nil {
			return err
		}
		return tx.Enqueue(ctx, eventJob{EventID: account + "-ev"}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
}

type accountJob struct {
	AccountID string `json:"account_id"`
	Email     string `json:"email"`
}

func (accountJob) Kind() string { return "grant_participant" }

type eventJob struct {
	EventID string `json:"event_id"`
}

func (eventJob) Kind() string { return "process_event" }

var _ river.JobArgs = accountJob{}

// app_deauthorized leaves nothing of the account: its rows, and River jobs
// whose arguments name it or its events. Another account's are untouched.
// (The end-to-end test in harness also searches the SQLite files' bytes.)
func TestDeleteAccountDeletesItsJobs(t *testing.T) {
	for _, eng := range testdb.Engines {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			st, err := store.Open(ctx, testdb.URL(t, eng), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(st.Close)
			deauthFixture(t, st, "gone", "gone@example.com")
			deauthFixture(t, st, "kept", "kept@example.com")
			if err := st.DeleteAccount(ctx, "gone"); err != nil {
				t.Fatal(err)
			}
			jobs, err := st.JobCounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if jobs["available"] != 2 {
				t.Fatalf("jobs = %v, want the other account's 2", jobs)
			}
			if _, err := st.GetParticipant(ctx, "gone-uuid", "p1"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("participant of the deleted account: %v", err)
			}
			if p, err := st.GetParticipant(ctx, "kept-uuid", "p1"); err != nil || !strings.Contains(p.Email, "kept") {
				t.Fatalf("the other account's participant: %+v, %v", p, err)
			}
		})
	}
}
