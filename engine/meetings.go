package engine

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
)

// prepareWorker readies a meeting before or as it starts, so the first
// joiner is served at once.
type prepareWorker struct {
	river.WorkerDefaults[PrepareMeetingArgs]
	e *Engine
}

func (w *prepareWorker) Work(ctx context.Context, job *river.Job[PrepareMeetingArgs]) error {
	e := w.e
	m, err := e.store.GetMeeting(ctx, job.Args.AccountID, job.Args.MeetingID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted with its account
	}
	if err != nil {
		return err
	}
	if m.Status == grant.MeetingEnded || m.Status == grant.MeetingDeleted || !e.policy.MeetingInScope(m) {
		return nil
	}
	for _, g := range e.granters {
		state := grant.GranterState{Granter: g.Name(), Phase: grant.GranterPrepared}
		if err := g.Prepare(ctx, m); err != nil {
			d := decide(err, job.Attempt, job.MaxAttempts, e.now(), time.Time{})
			switch d.Action {
			case Snooze:
				return river.JobSnooze(d.After)
			case Retry:
				return err
			}
			// A granter that cannot prepare still grants lazily, per joiner;
			// the failure is shown on the meeting, and the others prepare.
			state.Phase, state.Detail = grant.GranterPrepareFailed, string(d.Reason)+": "+err.Error()
			e.logger.WarnContext(ctx, "meeting preparation failed", "meeting_id", m.ID, "granter", g.Name(),
				"reason", string(d.Reason), "error", err.Error())
		} else if pd, ok := g.(grant.PrepareDetailer); ok {
			state.Detail = pd.PrepareDetail(m)
		}
		state.At = e.now()
		if err := e.store.SetGranterState(ctx, m.AccountID, m.ID, state); err != nil {
			return err
		}
	}
	e.logger.InfoContext(ctx, "meeting prepared", "meeting_id", m.ID, "meeting_uuid", m.UUID)
	return nil
}

// finishWorker undoes a meeting's preparation after it ended and settles the
// grants still pending.
type finishWorker struct {
	river.WorkerDefaults[FinishMeetingArgs]
	e *Engine
}

func (w *finishWorker) Work(ctx context.Context, job *river.Job[FinishMeetingArgs]) error {
	e := w.e
	m, err := e.store.GetMeeting(ctx, job.Args.AccountID, job.Args.MeetingID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted with its account
	}
	if err != nil {
		return err
	}
	if m.Live() && m.UUID != job.Args.MeetingUUID {
		return nil // the next instance already started; it keeps the session
	}
	for _, g := range e.granters {
		state := grant.GranterState{Granter: g.Name(), Phase: grant.GranterFinished}
		if err := g.Finish(ctx, m); err != nil {
			d := decide(err, job.Attempt, job.MaxAttempts, e.now(), time.Time{})
			switch d.Action {
			case Snooze:
				return river.JobSnooze(d.After)
			case Retry:
				return err
			}
			state.Phase, state.Detail = grant.GranterFinishFailed, string(d.Reason)+": "+err.Error()
			e.logger.ErrorContext(ctx, "meeting finish failed", "meeting_id", m.ID, "granter", g.Name(),
				"reason", string(d.Reason), "error", err.Error())
		}
		state.At = e.now()
		if err := e.store.SetGranterState(ctx, m.AccountID, m.ID, state); err != nil {
			return err
		}
	}
	settled := 0
	err = e.store.InTx(ctx, func(tx store.Tx) error {
		settled = 0
		keys, err := tx.ParticipantKeys(ctx, job.Args.MeetingUUID, grant.StatePending)
		if err != nil {
			return err
		}
		for _, k := range keys {
			p, err := tx.LockParticipant(ctx, m.AccountID, m.ID, job.Args.MeetingUUID, k)
			if err != nil {
				return err
			}
			if p.State != grant.StatePending {
				continue
			}
			if err := tx.SaveParticipant(ctx, grant.ApplySkip(p, grant.ReasonMeetingEnded)); err != nil {
				return err
			}
			settled++
		}
		return nil
	})
	if err != nil {
		return err
	}
	for range settled {
		e.countGrant("", grant.StateSkipped, grant.ReasonMeetingEnded)
	}
	e.logger.InfoContext(ctx, "meeting finished", "meeting_id", m.ID, "meeting_uuid", job.Args.MeetingUUID, "pending_settled", settled)
	return nil
}
