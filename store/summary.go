package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cohost-dev/cohost/grant"
)

// GrantOutcomes is what became of the joins cohost saw since a moment (GrantOutcomesSince): the
// admin API's totals of the last hour.
type GrantOutcomes struct {
	// ByState counts the participants by their grant state now.
	ByState map[grant.State]int
	// ByReason counts the skipped and failed by state and reason, most frequent first (then by
	// state and reason, so the order is stable).
	ByReason []ReasonCount
	// TimeToGrant and TimeToConfirm are join seen → granted and join seen → confirmed of the
	// participants that got there, shortest first.
	TimeToGrant   []time.Duration
	TimeToConfirm []time.Duration
	// MeetingsLive counts the meetings started and not ended, now (whenever they started).
	MeetingsLive int64
}

// ReasonCount is one line of GrantOutcomes.ByReason.
type ReasonCount struct {
	State  grant.State
	Reason grant.Reason
	Count  int
}

// updatedAtSlack widens the indexed bound on participants.updated_at below the window's start.
// A ledger row is saved after its join was seen, so its updated_at is later than its
// join_seen_at; but the two come from the clocks of possibly different replicas, and a
// replica's clock a little behind must not drop a row from the totals.
const updatedAtSlack = 10 * time.Minute

// GrantOutcomesSince counts the participants whose join cohost saw at or after since. The scan
// is bounded by the participants_updated_at index: only rows changed since the window began
// (less updatedAtSlack) are read, however large the ledger is.
func (s *Store) GrantOutcomesSince(ctx context.Context, since time.Time) (GrantOutcomes, error) {
	out := GrantOutcomes{ByState: map[grant.State]int{}}
	r, err := s.eng.db().query(ctx, `SELECT state, reason, join_seen_at, granted_at, confirmed_at FROM participants
		WHERE updated_at >= $1 AND join_seen_at >= $2`, millis(since.Add(-updatedAtSlack)), millis(since))
	if err != nil {
		return out, fmt.Errorf("store: grant outcomes: %w", err)
	}
	defer r.Close()
	reasons := map[ReasonCount]int{}
	for r.Next() {
		var (
			state, reason            string
			seen, granted, confirmed int64
		)
		if err := r.Scan(&state, &reason, &seen, &granted, &confirmed); err != nil {
			return out, fmt.Errorf("store: grant outcomes: %w", err)
		}
		st := grant.State(state)
		out.ByState[st]++
		if st == grant.StateSkipped || st == grant.StateFailed {
			reasons[ReasonCount{State: st, Reason: grant.Reason(reason)}]++
		}
		if granted > 0 {
			out.TimeToGrant = append(out.TimeToGrant, time.Duration(granted-seen)*time.Millisecond)
		}
		if confirmed > 0 {
			out.TimeToConfirm = append(out.TimeToConfirm, time.Duration(confirmed-seen)*time.Millisecond)
		}
	}
	if err := r.Err(); err != nil {
		return out, fmt.Errorf("store: grant outcomes: %w", err)
	}
	for rc, n := range reasons {
		rc.Count = n
		out.ByReason = append(out.ByReason, rc)
	}
	slices.SortFunc(out.ByReason, func(a, b ReasonCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.State, b.State), cmp.Compare(a.Reason, b.Reason))
	})
	slices.Sort(out.TimeToGrant)
	slices.Sort(out.TimeToConfirm)
	if out.MeetingsLive, err = s.LiveMeetings(ctx); err != nil {
		return out, fmt.Errorf("store: grant outcomes: live meetings: %w", err)
	}
	return out, nil
}

// MeetingKey names a meeting across accounts.
type MeetingKey struct{ AccountID, MeetingID string }

// GrantCountsByMeeting counts the participants of each of the meetings (all their instances) by
// grant state, in one statement: the meeting list would otherwise read every listed meeting's
// participants, once per meeting, on each of the console's polls.
func (s *Store) GrantCountsByMeeting(ctx context.Context, meetings []MeetingKey) (map[MeetingKey]map[grant.State]int, error) {
	out := make(map[MeetingKey]map[grant.State]int, len(meetings))
	if len(meetings) == 0 {
		return out, nil
	}
	var (
		values strings.Builder
		args   = make([]any, 0, 2*len(meetings))
	)
	for i, m := range meetings {
		if i > 0 {
			values.WriteString(", ")
		}
		fmt.Fprintf(&values, "($%d, $%d)", 2*i+1, 2*i+2)
		args = append(args, m.AccountID, m.MeetingID)
	}
	r, err := s.eng.db().query(ctx, `SELECT account_id, meeting_id, state, count(*) FROM participants
		WHERE (account_id, meeting_id) IN (VALUES `+values.String()+`) GROUP BY account_id, meeting_id, state`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: grant counts: %w", err)
	}
	defer r.Close()
	for r.Next() {
		var (
			k     MeetingKey
			state string
			n     int
		)
		if err := r.Scan(&k.AccountID, &k.MeetingID, &state, &n); err != nil {
			return nil, fmt.Errorf("store: grant counts: %w", err)
		}
		if out[k] == nil {
			out[k] = map[grant.State]int{}
		}
		out[k][grant.State(state)] = n
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("store: grant counts: %w", err)
	}
	return out, nil
}
