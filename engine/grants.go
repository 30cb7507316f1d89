package engine

import (
	"context"
	"errors"

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
	r, err := e.grantInput(ctx, job)
	if err != nil {
		return e.grantFailed(ctx, job, "", store.ParticipantRead{}, err)
	}
	read := r.Participant
	if !read.Found {
		return nil // the account's data was deleted (app_deauthorized)
	}
	p := read.Participant
	if p.JoinedAt.UnixMilli() != a.JoinedAtMS || p.State != grant.StatePending {
		return nil // a newer join took over, or this one is settled
	}
	m := r.Meeting
	if m.Status == grant.MeetingEnded && m.UUID == a.MeetingUUID || m.Status == grant.MeetingDeleted {
		return e.settle(ctx, a, read, "", grant.Outcome{State: grant.StateSkipped, Reason: grant.ReasonMeetingEnded})
	}
	if m.UUID == "" {
		m.UUID = a.MeetingUUID
	}

	var last grant.Outcome
	var lastGranter string
	for _, g := range e.granters {
		out, err := g.Grant(ctx, m, p)
		if err != nil {
			return e.grantFailed(ctx, job, g.Name(), read, err)
		}
		lastGranter, last = g.Name(), out
		if out.State == grant.StateGranted {
			break
		}
	}
	if lastGranter == "" {
		last = grant.Outcome{State: grant.StateFailed, Reason: grant.ReasonNoGranter}
	}
	return e.settle(ctx, a, read, lastGranter, last)
}

// grantInput is the participant and the meeting to grant with. The first
// attempt takes them from the job: the join's transaction wrote them
// moments ago, and the outcome is written only over that very row version
// (settle), so a change in between is not overwritten. Later attempts (a
// retry, a snooze, a rescue after a crash) come later by design and read
// the ledger, in one statement and without a lock.
func (e *Engine) grantInput(ctx context.Context, job *river.Job[GrantParticipantArgs]) (store.MeetingParticipant, error) {
	a := job.Args
	if s, ok := decodeSeen(a); ok && job.Attempt <= 1 {
		return store.MeetingParticipant{Meeting: s.Meeting, MeetingFound: true,
			Participant: store.ParticipantRead{Participant: s.Participant, Found: true, Version: s.Version}}, nil
	}
	return e.store.ReadMeetingParticipant(ctx, a.AccountID, a.MeetingID, a.MeetingUUID, a.Key)
}

// grantFailed acts on the classifier's decision about err: wait and retry
// (rate limits, the agent not seeing the participant yet, Zoom or the
// database failing) until GiveUpAfter has passed since the join, then fail
// the grant with the error's reason.
func (e *Engine) grantFailed(ctx context.Context, job *river.Job[GrantParticipantArgs], granter string, read store.ParticipantRead, err error) error {
	var giveUpAt = read.JoinSeenAt
	if !giveUpAt.IsZero() {
		giveUpAt = giveUpAt.Add(e.giveUpAfter)
	}
	d := decide(err, job.Attempt, job.MaxAttempts, e.now(), giveUpAt)
	switch d.Action {
	case Snooze:
		return river.JobSnooze(d.After)
	case Retry:
		return err
	}
	msg := "grant failed"
	if grant.ErrorCode(err) != grant.EREJECTED && grant.ErrorCode(err) != grant.EINVALID && grant.ErrorCode(err) != grant.ENOTFOUND {
		msg = "grant given up"
	}
	e.logger.WarnContext(ctx, msg, "granter", granter, "meeting_uuid", job.Args.MeetingUUID, "participant_key", job.Args.Key,
		"attempt", job.Attempt, "reason", string(d.Reason), "error", err.Error())
	return e.settle(ctx, job.Args, read, granter, grant.Outcome{State: grant.StateFailed, Reason: d.Reason, Detail: err.Error()})
}

// settle records a grant's outcome. Usually nobody changed the participant
// while the granters ran, and the outcome is written over the row as read,
// in one statement. When the row changed (Zoom's confirmation arrived
// first, a leave, a newer join) or was not read, the outcome is applied to
// the row as it is now, under its lock.
func (e *Engine) settle(ctx context.Context, a GrantParticipantArgs, read store.ParticipantRead, granter string, out grant.Outcome) error {
	before, after := read.Participant, grant.Participant{}
	err := store.ErrConflict
	if read.Found && before.JoinedAt.UnixMilli() == a.JoinedAtMS {
		p := before
		p.Attempts++
		after = grant.ApplyOutcome(p, granter, out, e.now())
		_, err = e.store.SaveParticipantRead(ctx, read, after)
	}
	if errors.Is(err, store.ErrConflict) {
		err = e.store.InTx(ctx, func(tx store.Tx) error {
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
	}
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
		e.logger.InfoContext(ctx, "grant settled", "meeting_id", a.MeetingID, "meeting_uuid", a.MeetingUUID,
			"participant_key", a.Key, "granter", granter, "state", string(after.State), "reason", string(after.Reason),
			"detail", after.Detail)
	}
	return nil
}
