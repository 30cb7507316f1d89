package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/store"
)

// Failed work is never silent. Every job runs inside failureMiddleware,
// which sees what each attempt returned:
//
//   - a snooze is a wait the worker chose: passed on, not logged;
//   - an error on an attempt that is not the last: logged at WARN,
//     counted, and returned, so River retries it;
//   - an error the classifier calls permanent, or one on the last attempt:
//     the participant or meeting the job concerns is settled with the
//     classifier's reason first, then the error is logged at ERROR and the
//     job ends (cancelled at once for a permanent error, discarded by River
//     after its last attempt).
//
// The workers themselves settle what they can decide (a granter's refusal,
// a preparation that failed); the middleware settles what reaches River as
// an error, so an acknowledged event always ends with a recorded outcome.

// resultFailed is the cohost_events_processed_total result of an event the
// engine gave up on; resultUndecodable (events.go) that of one whose stored
// body does not decode.
const resultFailed = "failed"

// recordRetry is how long a job waits before it runs again when its failure
// could not be recorded (the database unreachable): a snooze, so it costs no
// attempt and the job is not discarded unrecorded.
const recordRetry = 30 * time.Second

// settleTimeout bounds the writes that record a failure.
const settleTimeout = 10 * time.Second

// maxErrorText bounds an error's text in a log line, a ledger detail or an
// event's outcome.
const maxErrorText = 500

// failureMiddleware is the rivertype.WorkerMiddleware of every job kind.
type failureMiddleware struct {
	river.MiddlewareDefaults
	e *Engine
}

var _ rivertype.WorkerMiddleware = (*failureMiddleware)(nil)

// Work implements rivertype.WorkerMiddleware.
//
// The job's arguments are decoded here only when it did not succeed: River
// decodes them for the worker, and a second decoding of every job's
// arguments was a few percent of the workers' CPU.
func (m *failureMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	defer func() {
		if r := recover(); r != nil {
			// River records the panic with its trace and retries the job;
			// the log line, the count and, on the last attempt, the outcome
			// are recorded here before the panic goes on to River.
			_ = m.failed(ctx, job, fmt.Errorf("panic: %v", r))
			panic(r)
		}
	}()
	if err := doInner(ctx); err != nil {
		return m.failed(ctx, job, err)
	}
	return nil
}

// failed hands a job's failure to jobFailed with its decoded arguments.
// Arguments that do not decode fail the job for good: River failed to
// decode them for the worker too, and would on every attempt.
func (m *failureMiddleware) failed(ctx context.Context, job *rivertype.JobRow, err error) error {
	args, decodeErr := decodeArgs(job)
	if decodeErr != nil {
		return m.e.jobFailed(ctx, job, nil, fmt.Errorf("%w: job arguments: %v", ErrMalformedData, decodeErr))
	}
	return m.e.jobFailed(ctx, job, args, err)
}

// decodeArgs decodes a job's arguments by kind; nil for a kind the engine
// does not define.
func decodeArgs(job *rivertype.JobRow) (any, error) {
	var err error
	switch job.Kind {
	case ProcessEventArgs{}.Kind():
		var a ProcessEventArgs
		err = json.Unmarshal(job.EncodedArgs, &a)
		return a, err
	case PrepareMeetingArgs{}.Kind():
		var a PrepareMeetingArgs
		err = json.Unmarshal(job.EncodedArgs, &a)
		return a, err
	case GrantParticipantArgs{}.Kind():
		var a GrantParticipantArgs
		err = json.Unmarshal(job.EncodedArgs, &a)
		return a, err
	case FinishMeetingArgs{}.Kind():
		var a FinishMeetingArgs
		err = json.Unmarshal(job.EncodedArgs, &a)
		return a, err
	}
	return nil, nil
}

// kindLabel is a job kind as a metric label: one of the engine's kinds, or
// "other", so the label stays bounded.
func kindLabel(kind string) string {
	switch kind {
	case ProcessEventArgs{}.Kind(), PrepareMeetingArgs{}.Kind(), GrantParticipantArgs{}.Kind(), FinishMeetingArgs{}.Kind():
		return kind
	}
	return "other"
}

// errorText is err for a log line, a ledger detail or an event outcome:
// River's cancel wrapper removed, control characters dropped, bounded. The
// store's errors never quote a refused value (store.ErrInvalidData keeps
// only the database's code), and no payload is put into an error.
func errorText(err error) string {
	if ce, ok := errors.AsType[*rivertype.JobCancelError](err); ok && ce.Unwrap() != nil {
		err = ce.Unwrap()
	}
	return api.CleanText(err.Error(), maxErrorText)
}

// jobSubject is whom a job concerns, for its log lines.
type jobSubject struct {
	event                           string
	meetingID, meetingUUID, partKey string
}

func (s jobSubject) attrs() []any {
	var out []any
	for _, kv := range [][2]string{{"event", s.event}, {"meeting_id", s.meetingID}, {"meeting_uuid", s.meetingUUID}, {"participant_key", s.partKey}} {
		if kv[1] != "" {
			out = append(out, kv[0], kv[1])
		}
	}
	return out
}

// subject names whom a job concerns. A process_event job names only its
// event; the stored event's columns say the rest (read only when a job
// fails, and skipped when the database does not answer).
func (e *Engine) subject(ctx context.Context, args any) jobSubject {
	switch a := args.(type) {
	case ProcessEventArgs:
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if ev, err := e.store.GetEvent(ctx, a.EventID); err == nil {
			return jobSubject{event: ev.Event, meetingID: ev.MeetingID, meetingUUID: ev.MeetingUUID, partKey: ev.ParticipantKey}
		}
	case PrepareMeetingArgs:
		return jobSubject{meetingID: a.MeetingID}
	case GrantParticipantArgs:
		return jobSubject{meetingID: a.MeetingID, meetingUUID: a.MeetingUUID, partKey: a.Key}
	case FinishMeetingArgs:
		return jobSubject{meetingID: a.MeetingID, meetingUUID: a.MeetingUUID}
	}
	return jobSubject{}
}

// jobFailed acts on an attempt's error (see the top of this file) and
// returns what River is to get.
func (e *Engine) jobFailed(ctx context.Context, job *rivertype.JobRow, args any, err error) error {
	if _, ok := errors.AsType[*rivertype.JobSnoozeError](err); ok {
		return err
	}
	attrs := []any{"job_kind", job.Kind, "job_id", job.ID, "attempt", job.Attempt, "max_attempts", job.MaxAttempts}
	attrs = append(attrs, e.subject(ctx, args).attrs()...)
	if ctx.Err() != nil {
		// The job's own context ended, not its time-out (that one is inner):
		// the queue is stopping, and River puts the job back without counting
		// the attempt, or an operator cancelled it (River UI), which is its
		// outcome.
		e.logger.InfoContext(ctx, "job interrupted: the queue is stopping or the job was cancelled", attrs...)
		return err
	}
	_, cancelled := errors.AsType[*rivertype.JobCancelError](err)
	d := Classify(err)
	attrs = append(attrs, "reason", string(d.Reason), "error", errorText(err))
	if e.metrics != nil {
		e.metrics.JobErrors.WithLabelValues(kindLabel(job.Kind), d.Reason.Label()).Inc()
	}
	var end, msg string
	switch {
	case cancelled || d.Action == Fail:
		end, msg = metrics.JobEndCancelled, "job failed for good"
	case job.Attempt >= job.MaxAttempts:
		end, msg = metrics.JobEndDiscarded, "job failed on its last attempt; River discards it"
	default:
		e.logger.WarnContext(ctx, "job failed; River retries it", attrs...)
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	switch recorded, serr := e.settleFailed(sctx, args, d.Reason, err); {
	case serr != nil && Classify(serr).Action != Fail:
		e.logger.ErrorContext(ctx, msg+"; its outcome could not be recorded, so it runs again in "+recordRetry.String(),
			append(attrs, "record_error", errorText(serr))...)
		return river.JobSnooze(recordRetry)
	case serr != nil:
		// Recording fails the same way every time: this line is the record.
		e.logger.ErrorContext(ctx, msg+"; its outcome could not be recorded", append(attrs, "record_error", errorText(serr))...)
	case recorded:
		e.logger.ErrorContext(ctx, msg+"; outcome recorded", attrs...)
	default:
		e.logger.ErrorContext(ctx, msg+"; nothing left to record it on", attrs...)
	}
	if e.metrics != nil {
		e.metrics.JobsFailed.WithLabelValues(kindLabel(job.Kind), d.Reason.Label(), end).Inc()
	}
	if end == metrics.JobEndCancelled && !cancelled {
		return river.JobCancel(err)
	}
	return err
}

// settleFailed records the end of a job that did not succeed on what it
// concerns, with the classifier's reason and the error as detail. It
// reports whether it recorded anything: what a job concerned can be gone
// (deleted with its account) or already settled.
func (e *Engine) settleFailed(ctx context.Context, args any, reason grant.Reason, err error) (bool, error) {
	switch a := args.(type) {
	case ProcessEventArgs:
		return e.settleEvent(ctx, a.EventID, reason, err)
	case GrantParticipantArgs:
		return e.settleGrant(ctx, a, reason, err)
	case PrepareMeetingArgs:
		return e.noteMeeting(ctx, a.AccountID, a.MeetingID, grant.GranterPrepareFailed, reason, errorText(err), false)
	case FinishMeetingArgs:
		return e.noteMeeting(ctx, a.AccountID, a.MeetingID, grant.GranterFinishFailed, reason, errorText(err), false)
	}
	return false, nil
}

// failedOutcome reports whether an event's stored outcome is one
// settleEvent wrote: such an event is processed again when its job is
// retried (River UI), once the cause is fixed. The store knows these
// outcomes too (store.GivenUp), to let such an event be marked again.
func failedOutcome(outcome string) bool { return store.GivenUp(outcome) }

// settleEvent records an event the engine gave up on. The stored event's
// columns (not its body, which may be what failed) say whom it concerns: a
// participant event settles that participant as failed, a meeting event
// leaves a note on the meeting, and the event is marked processed with the
// outcome. Free text of the event (names, topics) is not copied: it may be
// the value the database refused.
func (e *Engine) settleEvent(ctx context.Context, eventID string, reason grant.Reason, cause error) (bool, error) {
	ev, err := e.store.GetEvent(ctx, eventID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil // deleted with its account, or pruned
	}
	if err != nil {
		return false, err
	}
	if !ev.ProcessedAt.IsZero() && !failedOutcome(ev.Outcome) {
		return false, nil // an earlier attempt processed it
	}
	label := resultFailed
	if errors.Is(cause, ErrMalformedData) {
		label = resultUndecodable
	}
	detail := ev.Event + ": " + errorText(cause)
	switch {
	case ev.ParticipantKey != "" && ev.MeetingUUID != "":
		var failed bool
		err := e.store.InTx(ctx, func(tx store.Tx) error {
			p, err := tx.LockParticipant(ctx, ev.AccountID, ev.MeetingID, ev.MeetingUUID, ev.ParticipantKey)
			if err != nil {
				return err
			}
			if failed = lostParticipant(p, ev); !failed {
				return nil
			}
			p.State, p.Granter, p.Reason, p.Detail = grant.StateFailed, "", reason, detail
			return tx.SaveParticipant(ctx, p)
		})
		if err != nil {
			return false, err
		}
		if failed {
			e.countGrant("", grant.StateFailed, reason)
		}
	case ev.MeetingID != "":
		if _, err := e.noteMeeting(ctx, ev.AccountID, ev.MeetingID, grant.GranterEventFailed, reason, detail, true); err != nil {
			return false, err
		}
	}
	if err := e.store.MarkEventProcessed(ctx, ev.ID, e.now(), label+": "+string(reason)+": "+detail); err != nil {
		return false, err
	}
	e.countEvent(ev.Event, label)
	return true, nil
}

// lostParticipant reports whether a failed participant event leaves the
// participant without any other outcome, so that the failure is theirs: a
// join newer than every join applied (they are in the meeting and nothing
// will grant them; an older grant, even a confirmed one, does not hold
// after a re-join), or any event of a participant the ledger knows nothing
// else about. A failed leave or role change of a participant whose join was
// applied changes nothing of theirs: their grant goes on, and the event's
// outcome and the log say what was lost.
func lostParticipant(p grant.Participant, ev *store.StoredEvent) bool {
	if ev.Event == api.EventParticipantJoined {
		if !ev.EventTime.After(p.JoinedAt) {
			return false // an older join than one already applied
		}
		return p.State != grant.StateConfirmed || p.ConfirmedAt.Before(ev.EventTime)
	}
	return p.JoinedAt.IsZero() && p.State == grant.StatePending
}

// settleGrant fails a grant whose job ended without settling it (the
// worker settles what the granters answered; this is for errors of its own
// reads and writes).
func (e *Engine) settleGrant(ctx context.Context, a GrantParticipantArgs, reason grant.Reason, cause error) (bool, error) {
	if _, err := e.store.GetParticipant(ctx, a.MeetingUUID, a.Key); errors.Is(err, store.ErrNotFound) {
		return false, nil // deleted with its account
	} else if err != nil {
		return false, err
	}
	var failed bool
	err := e.store.InTx(ctx, func(tx store.Tx) error {
		p, err := tx.LockParticipant(ctx, a.AccountID, a.MeetingID, a.MeetingUUID, a.Key)
		if err != nil {
			return err
		}
		if failed = p.JoinedAt.UnixMilli() == a.JoinedAtMS && p.State == grant.StatePending; !failed {
			return nil // a newer join took over, or this one is settled
		}
		p.Attempts++
		return tx.SaveParticipant(ctx, grant.ApplyOutcome(p, "", grant.Outcome{State: grant.StateFailed, Reason: reason, Detail: errorText(cause)}, e.now()))
	})
	if err != nil {
		return false, err
	}
	if failed {
		e.countGrant("", grant.StateFailed, reason)
	}
	return failed, nil
}

// noteMeeting leaves the engine's note on a meeting (granter
// grant.EngineNote), which the admin API shows beside the granters' states.
// create records a meeting the ledger does not know yet (an event about it
// failed, so nothing else would); otherwise a meeting that is gone (its
// account deleted) is left alone.
func (e *Engine) noteMeeting(ctx context.Context, accountID, meetingID string, phase grant.GranterPhase, reason grant.Reason, detail string, create bool) (bool, error) {
	if create {
		if err := e.store.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.LockMeeting(ctx, accountID, meetingID)
			return err
		}); err != nil {
			return false, err
		}
	} else if _, err := e.store.GetMeeting(ctx, accountID, meetingID); errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	err := e.store.SetGranterState(ctx, accountID, meetingID, grant.GranterState{Granter: grant.EngineNote, Phase: phase,
		Detail: string(reason) + ": " + detail, At: e.now()})
	return err == nil, err
}
