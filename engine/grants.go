package engine

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
)

// grantWorker runs the granters for one join of one participant.
type grantWorker struct {
	river.WorkerDefaults[GrantParticipantArgs]
	e *Engine
}

func (w *grantWorker) Work(ctx context.Context, job *river.Job[GrantParticipantArgs]) error {
	e := w.e
	a := job.Args
	p, err := e.Store.GetParticipant(ctx, a.MeetingUUID, a.Key)
	if err != nil {
		return err
	}
	if p.JoinedAt.UnixMilli() != a.JoinedAtMS || p.State != grant.StatePending {
		return nil // a newer join took over, or this one is settled
	}
	m, err := e.Store.GetMeeting(ctx, a.AccountID, a.MeetingID)
	if err != nil {
		return err
	}
	if m.Status == grant.MeetingEnded && m.UUID == a.MeetingUUID || m.Status == grant.MeetingDeleted {
		return e.settle(ctx, a, "", grant.Outcome{State: grant.StateSkipped, Reason: grant.ReasonMeetingEnded})
	}
	if m.UUID == "" {
		m.UUID = a.MeetingUUID
	}

	var last grant.Outcome
	var lastGranter string
	for _, g := range e.Granters {
		out, err := g.Grant(ctx, m, p)
		if err != nil {
			return e.retryOrFail(ctx, job, g.Name(), p, err)
		}
		lastGranter, last = g.Name(), out
		if out.State == grant.StateGranted {
			break
		}
	}
	if lastGranter == "" {
		last = grant.Outcome{State: grant.StateFailed, Reason: grant.ReasonNoGranter}
	}
	return e.settle(ctx, a, lastGranter, last)
}

// retryOrFail decides what a granter's error means: wait and retry (rate
// limits, the agent not seeing the participant yet, Zoom or the agent
// failing) until GiveUpAfter has passed since the join, then fail the grant
// with a reason.
func (e *Engine) retryOrFail(ctx context.Context, job *river.Job[GrantParticipantArgs], granter string, p grant.Participant, err error) error {
	code := grant.ErrorCode(err)
	expired := e.now().Sub(p.JoinSeenAt) > e.giveUpAfter()
	lastAttempt := job.Attempt >= job.MaxAttempts
	var ge *grant.Error
	reason := grant.ReasonAgentRejected
	if errors.As(err, &ge) && ge.Message != "" {
		reason = ge.Message
	}
	switch {
	case code == grant.EREJECTED || code == grant.EINVALID || code == grant.ENOTFOUND:
		e.Logger.WarnContext(ctx, "grant refused", "granter", granter, "meeting_uuid", p.MeetingUUID, "participant_key", p.Key, "error", err.Error())
		return e.settle(ctx, job.Args, granter, grant.Outcome{State: grant.StateFailed, Reason: reason})
	case expired || lastAttempt:
		e.Logger.WarnContext(ctx, "grant given up", "granter", granter, "meeting_uuid", p.MeetingUUID, "participant_key", p.Key,
			"attempts", job.Attempt, "error", err.Error())
		return e.settle(ctx, job.Args, granter, grant.Outcome{State: grant.StateFailed, Reason: reason})
	}
	if d, ok := grant.RetryAfter(err); ok || (ge != nil && ge.RetryAfter > 0) {
		if !ok {
			d = ge.RetryAfter
		}
		// A wait the other side asked for is not a failed attempt.
		return river.JobSnooze(max(d, 10*time.Millisecond))
	}
	return err // River retries with RetryPolicy
}

// settle records a grant's outcome under the participant's row lock.
func (e *Engine) settle(ctx context.Context, a GrantParticipantArgs, granter string, out grant.Outcome) error {
	var before, after grant.Participant
	err := e.Store.InTx(ctx, func(tx store.Tx) error {
		p, err := tx.LockParticipant(ctx, a.AccountID, a.MeetingID, a.MeetingUUID, a.Key)
		if err != nil {
			return err
		}
		before = p
		if p.JoinedAt.UnixMilli() != a.JoinedAtMS {
			after = p
			return nil
		}
		p.Attempts++
		after = grant.ApplyOutcome(p, granter, out, e.now())
		return tx.SaveParticipant(ctx, after)
	})
	if err != nil {
		return err
	}
	if before.State != after.State || before.Granter != after.Granter {
		if after.State != grant.StateConfirmed {
			e.countGrant(granter, after.State, after.Reason)
		}
		if after.State == grant.StateGranted && !after.JoinSeenAt.IsZero() {
			e.observe(granter, "granted", after.GrantedAt.Sub(after.JoinSeenAt))
		}
		e.Logger.InfoContext(ctx, "grant settled", "meeting_id", a.MeetingID, "meeting_uuid", a.MeetingUUID,
			"participant_key", a.Key, "granter", granter, "state", string(after.State), "reason", after.Reason)
	}
	return nil
}
