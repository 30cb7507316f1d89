package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/internal/testdb"
)

func seedParticipants(t *testing.T, st *Store, account, meeting string, ps ...grant.Participant) {
	t.Helper()
	ctx := context.Background()
	err := st.InTx(ctx, func(tx Tx) error {
		if _, err := tx.LockMeeting(ctx, account, meeting); err != nil {
			return err
		}
		for _, p := range ps {
			got, err := tx.LockParticipant(ctx, account, meeting, meeting+"-uuid", p.Key)
			if err != nil {
				return err
			}
			p.AccountID, p.MeetingID, p.MeetingUUID = got.AccountID, got.MeetingID, got.MeetingUUID
			if err := tx.SaveParticipant(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// GrantOutcomesSince reads through the updated_at index, with a slack for replicas' clocks: a
// row saved by a replica whose clock is behind still counts; a row not changed since long before
// the window cannot hold a join of the window and is not read.
func TestGrantOutcomesSinceUpdatedAtSlack(t *testing.T) {
	for _, eng := range testdb.Engines {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			st, err := Open(ctx, testdb.URL(t, eng), Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(st.Close)
			now := time.Now()
			since := now.Add(-time.Hour)
			seen := now.Add(-30 * time.Minute)
			seedParticipants(t, st, "acct", "81000000001",
				grant.Participant{Key: "skewed", JoinSeenAt: seen, State: grant.StateConfirmed, ConfirmedAt: seen.Add(time.Second)},
				grant.Participant{Key: "stale", JoinSeenAt: seen, State: grant.StateSkipped, Reason: grant.ReasonHost},
				grant.Participant{Key: "fresh", JoinSeenAt: seen, State: grant.StateFailed, Reason: grant.ReasonNoHostPage})
			set := func(key string, updated time.Time) {
				if _, err := st.eng.db().exec(ctx, `UPDATE participants SET updated_at = $1 WHERE participant_key = $2`, updated.UnixMilli(), key); err != nil {
					t.Fatal(err)
				}
			}
			set("skewed", since.Add(-updatedAtSlack/2)) // a replica's clock behind: still read
			set("stale", since.Add(-2*updatedAtSlack))  // cannot be a join of the window: not read
			got, err := st.GrantOutcomesSince(ctx, since)
			if err != nil {
				t.Fatal(err)
			}
			want := GrantOutcomes{
				ByState:       map[grant.State]int{grant.StateConfirmed: 1, grant.StateFailed: 1},
				ByReason:      []ReasonCount{{State: grant.StateFailed, Reason: grant.ReasonNoHostPage, Count: 1}},
				TimeToConfirm: []time.Duration{time.Second},
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("outcomes (-want +got):\n%s", d)
			}
		})
	}
}

// GrantCountsByMeeting counts per account and meeting id: the same id in two accounts is two
// meetings.
func TestGrantCountsByMeeting(t *testing.T) {
	for _, eng := range testdb.Engines {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			st, err := Open(ctx, testdb.URL(t, eng), Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(st.Close)
			seedParticipants(t, st, "acct-1", "81000000001",
				grant.Participant{Key: "a", State: grant.StateConfirmed}, grant.Participant{Key: "b", State: grant.StateConfirmed},
				grant.Participant{Key: "c", State: grant.StateSkipped})
			seedParticipants(t, st, "acct-2", "81000000001", grant.Participant{Key: "d", State: grant.StatePending})
			seedParticipants(t, st, "acct-1", "81000000002", grant.Participant{Key: "e", State: grant.StateFailed})
			seedParticipants(t, st, "acct-1", "81000000003")
			got, err := st.GrantCountsByMeeting(ctx, []MeetingKey{
				{"acct-1", "81000000001"}, {"acct-2", "81000000001"}, {"acct-1", "81000000003"}, {"acct-9", "81000000002"},
			})
			if err != nil {
				t.Fatal(err)
			}
			want := map[MeetingKey]map[grant.State]int{
				{"acct-1", "81000000001"}: {grant.StateConfirmed: 2, grant.StateSkipped: 1},
				{"acct-2", "81000000001"}: {grant.StatePending: 1},
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("counts (-want +got):\n%s", d)
			}
			if none, err := st.GrantCountsByMeeting(ctx, nil); err != nil || len(none) != 0 {
				t.Errorf("no meetings: %v %v", none, err)
			}
		})
	}
}
