package engine

import (
	"context"
	"encoding/json"
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
	r, err := e.grantInput(ctx, job)
	if err != nil {
		return e.grantFailed(ctx, job, "", store.ParticipantRead{}, err)
	}
	read := r.Participant
	if !read.Found {
		return nil // the account's data was deleted (app_deauthorized)
	}
	p := read.Participant
	if p.JoinedAt.UnixMilli() != a.JoinedAtMS {
		return nil // a newer join took over
	}
	if p.State == grant.StateConfirmed && p.Granter == "" {
		// Zoom confirmed the role before any granter of this grant asked
		// for it: the host's doing (grant.ApplyOutcome names them).
		return e.settle(ctx, a, read, "", grant.Outcome{})
	}
	if p.State != grant.StatePending {
		return nil // settled
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
	for i, g := range e.granters {
		out, err := g.Grant(ctx, m, p)
		if err != nil {
			return e.grantFailed(ctx, job, g.Name(), read, err)
		}
		if out.State == grant.StatePending {
			// The granter waits for what only time brings (a host page to
			// open); the grant runs again at the moment its wait ends, and
			// the granters after it are not asked before.
			wait := max(out.Until.Sub(e.now()), minSnooze)
			e.logger.DebugContext(ctx, "grant waits", "granter", g.Name(), "meeting_uuid", a.MeetingUUID, "participant_key", a.Key,
				"until", out.Until.UTC().Format(time.RFC3339Nano), "sentence", grant.Describe(p, out.Progress))
			return river.JobSnooze(wait)
		}
		lastGranter, last = g.Name(), out
		if out.State == grant.StateGranted || out.State == grant.StateConfirmed {
			break
		}
		if i+1 < len(e.granters) {
			e.logger.InfoContext(ctx, "granter passed the joiner on", "granter", g.Name(), "next", e.granters[i+1].Name(),
				"meeting_id", a.MeetingID, "meeting_uuid", a.MeetingUUID, "participant_key", a.Key,
				"state", string(out.State), "reason", string(out.Reason), "detail", out.Detail)
		}
	}
	if lastGranter == "" {
		last = grant.Outcome{State: grant.StateFailed, Reason: grant.ReasonNoGranter}
	}
	return e.settle(ctx, a, read, lastGranter, last)
}

// grantInput is the participant and the meeting to grant with. The first
// run takes them from the job: the join's transaction wrote them moments
// ago, and the outcome is written only over that very row version (settle),
// so a change in between is not overwritten. Later runs (a retry, a run
// after a snooze, a rescue after a crash) come later by design and read the
// ledger, in one statement and without a lock.
func (e *Engine) grantInput(ctx context.Context, job *river.Job[GrantParticipantArgs]) (store.MeetingParticipant, error) {
	a := job.Args
	if s, ok := decodeSeen(a); ok && job.Attempt <= 1 && !snoozed(job.Metadata) {
		return store.MeetingParticipant{Meeting: s.Meeting, MeetingFound: true,
			Participant: store.ParticipantRead{Participant: s.Participant, Found: true, Version: s.Version}}, nil
	}
	return e.store.ReadMeetingParticipant(ctx, a.AccountID, a.MeetingID, a.MeetingUUID, a.Key)
}

// snoozed reports whether River snoozed the job before (its metadata counts
// snoozes). A snooze keeps the attempt's number, so the attempt alone does
// not tell a first run from one that waited.
func snoozed(metadata []byte) bool {
	var m struct {
		Snoozes int `json:"snoozes"`
	}
	return len(metadata) > 0 && json.Unmarshal(metadata, &m) == nil && m.Snoozes > 0
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
		switch {
		case after.State != grant.StateConfirmed:
			e.countGrant(granter, after.State, after.Reason)
		case before.State == grant.StateConfirmed && before.Granter == "":
			// Zoom confirmed the role before anyone could be named; this
			// outcome names who (grant.ApplyOutcome), and the confirmation
			// is counted now, once.
			e.countGrant(after.Granter, grant.StateConfirmed, "")
		}
		if after.State == grant.StateGranted && !after.JoinSeenAt.IsZero() {
			e.observe(granter, "granted", after.GrantedAt.Sub(after.JoinSeenAt))
		}
		e.logger.InfoContext(ctx, "grant settled", "meeting_id", a.MeetingID, "meeting_uuid", a.MeetingUUID,
			"participant_key", a.Key, "granter", granter, "state", string(after.State), "reason", string(after.Reason),
			"detail", after.Detail, "sentence", grant.Describe(after, grant.Progress{}))
	}
	return nil
}
