package engine

import (
	"context"

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
	m, err := e.Store.GetMeeting(ctx, job.Args.AccountID, job.Args.MeetingID)
	if err != nil {
		return err
	}
	if m.Status == grant.MeetingEnded || m.Status == grant.MeetingDeleted || !e.Policy.MeetingInScope(m) {
		return nil
	}
	for _, g := range e.Granters {
		err := g.Prepare(ctx, m)
		state := store.GranterState{Granter: g.Name(), State: "prepared", At: e.now()}
		if err != nil {
			if d, ok := grant.RetryAfter(err); ok {
				return river.JobSnooze(d)
			}
			if code := grant.ErrorCode(err); code == grant.EUNAVAILABLE || code == grant.EINTERNAL {
				if job.Attempt < job.MaxAttempts {
					return err
				}
			}
			state.State, state.Detail = "prepare_failed", err.Error()
			e.Logger.WarnContext(ctx, "meeting preparation failed", "meeting_id", m.ID, "granter", g.Name(), "error", err.Error())
		} else if d, ok := g.(interface{ PrepareDetail(grant.Meeting) string }); ok {
			state.Detail = d.PrepareDetail(m)
		}
		if err := e.Store.SetGranterState(ctx, m.AccountID, m.ID, state); err != nil {
			return err
		}
	}
	e.Logger.InfoContext(ctx, "meeting prepared", "meeting_id", m.ID, "meeting_uuid", m.UUID)
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
	m, err := e.Store.GetMeeting(ctx, job.Args.AccountID, job.Args.MeetingID)
	if err != nil {
		return err
	}
	if m.Live() && m.UUID != job.Args.MeetingUUID {
		return nil // the next instance already started; it keeps the session
	}
	for _, g := range e.Granters {
		if err := g.Finish(ctx, m); err != nil {
			if d, ok := grant.RetryAfter(err); ok {
				return river.JobSnooze(d)
			}
			if job.Attempt < job.MaxAttempts {
				return err
			}
			e.Logger.ErrorContext(ctx, "meeting finish failed", "meeting_id", m.ID, "granter", g.Name(), "error", err.Error())
			_ = e.Store.SetGranterState(ctx, m.AccountID, m.ID, store.GranterState{Granter: g.Name(), State: "finish_failed", Detail: err.Error(), At: e.now()})
			continue
		}
		if err := e.Store.SetGranterState(ctx, m.AccountID, m.ID, store.GranterState{Granter: g.Name(), State: "finished", At: e.now()}); err != nil {
			return err
		}
	}
	settled := 0
	err = e.Store.InTx(ctx, func(tx store.Tx) error {
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
	e.Logger.InfoContext(ctx, "meeting finished", "meeting_id", m.ID, "meeting_uuid", job.Args.MeetingUUID, "pending_settled", settled)
	return nil
}
