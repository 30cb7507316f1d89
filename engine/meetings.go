package engine

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

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
	err = e.eachGranter(ctx, job.JobRow, m, granterStep{
		done: grant.GranterPrepared, failed: grant.GranterPrepareFailed, logLevel: slog.LevelWarn,
		logMsg: "meeting preparation failed",
		run: func(ctx context.Context, g grant.Granter, m grant.Meeting) (string, error) {
			if err := g.Prepare(ctx, m); err != nil {
				return "", err
			}
			if pd, ok := g.(grant.PrepareDetailer); ok {
				return pd.PrepareDetail(m), nil
			}
			return "", nil
		},
	})
	if err != nil {
		return err
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
	err = e.eachGranter(ctx, job.JobRow, m, granterStep{
		done: grant.GranterFinished, failed: grant.GranterFinishFailed, logLevel: slog.LevelError,
		logMsg: "meeting finish failed",
		run: func(ctx context.Context, g grant.Granter, m grant.Meeting) (string, error) {
			return "", g.Finish(ctx, m)
		},
	})
	if err != nil {
		return err
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

// granterStep is one meeting-wide step every granter takes in turn: its
// preparation or its finish.
type granterStep struct {
	done, failed grant.GranterPhase
	logLevel     slog.Level
	logMsg       string
	// run takes the step for one granter and returns the detail to show.
	run func(context.Context, grant.Granter, grant.Meeting) (string, error)
}

// eachGranter runs step for every granter and records each one's phase on the
// meeting. A transient failure snoozes or retries the whole job (the steps
// are idempotent); a permanent one is recorded for that granter, and the
// others still run: a granter that cannot prepare still grants lazily, per
// joiner, and one that cannot finish must not keep the rest from cleaning up.
func (e *Engine) eachGranter(ctx context.Context, job *rivertype.JobRow, m grant.Meeting, step granterStep) error {
	for _, g := range e.granters {
		state := grant.GranterState{Granter: g.Name(), Phase: step.done}
		detail, err := step.run(ctx, g, m)
		if err != nil {
			d := decide(err, job.Attempt, job.MaxAttempts, e.now(), time.Time{})
			switch d.Action {
			case Snooze:
				return river.JobSnooze(d.After)
			case Retry:
				return err
			}
			state.Phase, detail = step.failed, string(d.Reason)+": "+err.Error()
			e.logger.Log(ctx, step.logLevel, step.logMsg, "meeting_id", m.ID, "granter", g.Name(),
				"reason", string(d.Reason), "error", err.Error())
		}
		state.Detail, state.At = detail, e.now()
		if err := e.store.SetGranterState(ctx, m.AccountID, m.ID, state); err != nil {
			return err
		}
	}
	return nil
}
