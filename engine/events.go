package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
)

// Results of processing an event: the result label of
// cohost_events_processed_total. The set is closed so the metric's
// cardinality is bounded whatever the payloads say; the words that vary
// (which reason, what time) go to the event's stored outcome and the log.
const (
	resultIgnored          = "ignored"
	resultRecorded         = "recorded"
	resultPrepareScheduled = "prepare_scheduled"
	resultStale            = "stale"
	resultStarted          = "started"
	resultEnded            = "ended"
	resultDeleted          = "deleted"
	resultOutOfScope       = "out_of_scope"
	resultGrantEnqueued    = "grant_enqueued"
	resultNoGrantDue       = "no_grant_due"
	resultSkipped          = "skipped"
	resultLeft             = "left"
	resultConfirmed        = "confirmed"
	resultAlreadyConfirmed = "already_confirmed"
	resultNotCoHostRole    = "not_cohost_role"
	resultAccountDeleted   = "account_deleted"
	resultUndecodable      = "undecodable"
)

// eventResult is what processing one event did.
type eventResult struct {
	label  string // one of the result* constants
	detail string // words for the stored outcome and the log; may vary
	// recorded: the event was marked processed in the transaction that
	// applied it (markIn), so the worker need not mark it.
	recorded bool
}

func (r eventResult) outcome() string {
	if r.detail == "" {
		return r.label
	}
	return r.label + ": " + r.detail
}

// eventWorker applies one stored webhook event to the ledger and enqueues
// the work it calls for, in one transaction.
type eventWorker struct {
	river.WorkerDefaults[ProcessEventArgs]
	e *Engine
}

func (w *eventWorker) Work(ctx context.Context, job *river.Job[ProcessEventArgs]) error {
	e := w.e
	stored, err := e.storedEvent(ctx, job.Args)
	if err != nil {
		return err
	}
	if !stored.ProcessedAt.IsZero() && !failedOutcome(stored.Outcome) {
		return nil // processed by an earlier attempt; one that failed runs again when retried
	}
	ev, err := api.DecodeEvent(stored.Body)
	if err != nil {
		// Verified and decoded at intake; this cannot fail unless the code
		// changed in between. It fails for good, and the middleware settles
		// whom it concerns (failed.go).
		return fmt.Errorf("%w: event body: %v", ErrMalformedData, err)
	}
	result, err := e.apply(ctx, stored, ev)
	if errors.Is(err, errProcessed) {
		return nil // an earlier attempt committed; River had not recorded it
	}
	if err != nil {
		return err
	}
	e.countEvent(ev.Event, result.label)
	if result.recorded {
		return nil
	}
	return e.store.MarkEventProcessed(ctx, stored.ID, e.now(), result.outcome())
}

// storedEvent is the job's event: carried in its arguments by the intake,
// or, for a job enqueued without them (by an earlier version), read back.
// A carried event is not known to be unprocessed: the transaction that
// applies it finds out (markIn).
func (e *Engine) storedEvent(ctx context.Context, a ProcessEventArgs) (*store.StoredEvent, error) {
	if len(a.Body) == 0 {
		return e.store.GetEvent(ctx, a.EventID)
	}
	in := grant.Inbound{ID: a.EventID, Event: a.Event, Body: a.Body}
	if a.ReceivedAtMS != 0 {
		in.ReceivedAt = time.UnixMilli(a.ReceivedAtMS).UTC()
	}
	return &store.StoredEvent{Inbound: in}, nil
}

// errProcessed rolls back the transaction of an event an earlier attempt
// already applied.
var errProcessed = errors.New("engine: event already processed")

// markIn marks the event processed with result in tx, the transaction that
// applies it, so that applying and marking commit together: a replay of the
// job (River records completions after the work, in batches) then finds the
// mark and rolls back instead of applying the event twice.
func (e *Engine) markIn(ctx context.Context, tx store.Tx, eventID string, result *eventResult) error {
	if err := tx.MarkEventProcessed(ctx, eventID, e.now(), result.outcome()); err != nil {
		if errors.Is(err, store.ErrEventProcessed) {
			return errProcessed
		}
		return err
	}
	result.recorded = true
	return nil
}

// inTx runs fn, which applies an event and marks it processed (markIn), in
// a pipelined transaction (store.InTxPipelined): on PostgreSQL its reads
// are waited for and its writes go with the commit, which then reports an
// event an earlier attempt processed as store.ErrEventProcessed.
func (e *Engine) inTx(ctx context.Context, fn func(tx store.Tx) error) error {
	err := e.store.InTxPipelined(ctx, fn)
	if errors.Is(err, store.ErrEventProcessed) {
		return errProcessed
	}
	return err
}

// maxConflicts bounds how often a transaction that read without locks is
// run again after another changed its row (store.ErrConflict); after that
// the job fails and River retries it.
const maxConflicts = 5

// inTxRetrying is inTx, run again from its reads when its write met a row
// changed since (store.ErrConflict).
func (e *Engine) inTxRetrying(ctx context.Context, fn func(tx store.Tx) error) error {
	for n := 1; ; n++ {
		err := e.inTx(ctx, fn)
		if !errors.Is(err, store.ErrConflict) || n == maxConflicts {
			return err
		}
	}
}

func (e *Engine) countEvent(event, result string) {
	if e.metrics != nil {
		if !api.Handled(event) {
			event = "other"
		}
		e.metrics.Events.WithLabelValues(event, result).Inc()
	}
}

func (e *Engine) apply(ctx context.Context, stored *store.StoredEvent, ev *api.Event) (eventResult, error) {
	switch ev.Event {
	case api.EventAppDeauthorized:
		return e.deauthorizeAccount(ctx, ev.Payload.AccountID)
	case api.EventMeetingCreated, api.EventMeetingUpdated:
		return e.scheduled(ctx, stored, ev)
	case api.EventMeetingDeleted:
		return e.meetingStatus(ctx, stored, ev, grant.MeetingDeleted)
	case api.EventMeetingStarted:
		return e.meetingStatus(ctx, stored, ev, grant.MeetingStarted)
	case api.EventMeetingEnded:
		return e.meetingStatus(ctx, stored, ev, grant.MeetingEnded)
	case api.EventParticipantJoined:
		return e.joined(ctx, stored, ev)
	case api.EventParticipantLeft:
		return e.left(ctx, stored, ev)
	case api.EventParticipantRoleChanged:
		return e.roleChanged(ctx, stored, ev)
	}
	return eventResult{label: resultIgnored}, nil
}

func (e *Engine) deauthorizeAccount(ctx context.Context, accountID string) (eventResult, error) {
	if e.deauthorize != nil {
		if err := e.deauthorize(ctx, accountID); err != nil {
			return eventResult{}, err
		}
	}
	if err := e.store.DeleteAccount(ctx, accountID); err != nil {
		return eventResult{}, err
	}
	e.logger.InfoContext(ctx, "app deauthorized: account data deleted", "account_id", accountID)
	return eventResult{label: resultAccountDeleted}, nil
}

// meetingFields copies what the event says about the meeting into m.
func meetingFields(m grant.Meeting, o *api.MeetingObject) grant.Meeting {
	if o.UUID != "" {
		m.UUID = o.UUID
	}
	if o.HostID != "" {
		m.HostID = o.HostID
	}
	if o.HostEmail != "" {
		m.HostEmail = o.HostEmail
	}
	if o.Topic != "" {
		m.Topic = o.Topic
	}
	if t, err := time.Parse(time.RFC3339, o.StartTime); err == nil {
		m.StartTime = t
	}
	if len(o.TrackingFields) > 0 {
		m.TrackingFields = map[string]string{}
		for _, f := range o.TrackingFields {
			m.TrackingFields[f.Field] = f.Value
		}
	}
	return m
}

// scheduled records a created or updated meeting and schedules its
// preparation LeadTime before the start.
func (e *Engine) scheduled(ctx context.Context, stored *store.StoredEvent, ev *api.Event) (eventResult, error) {
	o := ev.Payload.Object
	meetingID := string(o.ID)
	if meetingID == "" {
		return eventResult{label: resultIgnored, detail: "no meeting id"}, nil
	}
	var result eventResult
	err := e.inTx(ctx, func(tx store.Tx) error {
		result = eventResult{label: resultRecorded}
		m, err := tx.LockMeeting(ctx, ev.Payload.AccountID, meetingID)
		if err != nil {
			return err
		}
		m.AccountID, m.ID = ev.Payload.AccountID, meetingID
		if m.Status == "" {
			m.Status = grant.MeetingScheduled
		}
		// meeting.updated carries only the changed fields.
		uuid := m.UUID
		m = meetingFields(m, o)
		if m.Status == grant.MeetingStarted {
			m.UUID = uuid // an update does not change the running instance
		}
		if err := tx.SaveMeeting(ctx, m); err != nil {
			return err
		}
		if m.StartTime.IsZero() || m.Status != grant.MeetingScheduled || !e.policy.MeetingInScope(m) {
			return e.markIn(ctx, tx, stored.ID, &result)
		}
		at := m.StartTime.Add(-e.leadTime)
		result = eventResult{label: resultPrepareScheduled, detail: "for " + at.UTC().Format(time.RFC3339)}
		var opts *river.InsertOpts
		if at.After(e.now()) {
			opts = &river.InsertOpts{ScheduledAt: at}
		}
		if err := tx.Enqueue(ctx, PrepareMeetingArgs{AccountID: m.AccountID, MeetingID: m.ID,
			Key: "start:" + strconv.FormatInt(m.StartTime.Unix(), 10)}, opts); err != nil {
			return err
		}
		return e.markIn(ctx, tx, stored.ID, &result)
	})
	return result, err
}

func (e *Engine) meetingStatus(ctx context.Context, stored *store.StoredEvent, ev *api.Event, status grant.MeetingStatus) (eventResult, error) {
	o := ev.Payload.Object
	meetingID := string(o.ID)
	if meetingID == "" {
		return eventResult{label: resultIgnored, detail: "no meeting id"}, nil
	}
	var result eventResult
	// Status changes stay serialised on the meeting's row lock: each is
	// decided against the status the one before it recorded.
	err := e.inTx(ctx, func(tx store.Tx) error {
		result = eventResult{label: resultStale, detail: "a newer status is recorded"}
		m, err := tx.LockMeeting(ctx, ev.Payload.AccountID, meetingID)
		if err != nil {
			return err
		}
		m.AccountID, m.ID = ev.Payload.AccountID, meetingID
		prevUUID := m.UUID
		next, changed := grant.ApplyMeetingStatus(m, status, o.UUID, ev.Time())
		if !changed {
			return e.markIn(ctx, tx, stored.ID, &result)
		}
		next = meetingFields(next, o)
		if status == grant.MeetingEnded {
			next.UUID = prevUUID // keep the instance that ended
			if next.UUID == "" {
				next.UUID = o.UUID
			}
		}
		if err := tx.SaveMeeting(ctx, next); err != nil {
			return err
		}
		switch status {
		case grant.MeetingStarted:
			result = eventResult{label: resultStarted}
			if !e.policy.MeetingInScope(next) {
				result = eventResult{label: resultOutOfScope}
				break
			}
			if err := tx.Enqueue(ctx, PrepareMeetingArgs{AccountID: next.AccountID, MeetingID: next.ID, Key: "uuid:" + next.UUID}, nil); err != nil {
				return err
			}
		case grant.MeetingEnded, grant.MeetingDeleted:
			result = eventResult{label: resultEnded}
			if status == grant.MeetingDeleted {
				result.label = resultDeleted
			}
			if err := tx.Enqueue(ctx, FinishMeetingArgs{AccountID: next.AccountID, MeetingID: next.ID, MeetingUUID: next.UUID}, nil); err != nil {
				return err
			}
		}
		return e.markIn(ctx, tx, stored.ID, &result)
	})
	return result, err
}

func (e *Engine) joined(ctx context.Context, stored *store.StoredEvent, ev *api.Event) (eventResult, error) {
	o := ev.Payload.Object
	p := o.Participant
	accountID, meetingID := ev.Payload.AccountID, string(o.ID)
	// event_ts (milliseconds) orders joins and leaves; join_time has only
	// second precision.
	joinedAt := ev.Time()
	var result eventResult
	var skipped grant.Reason
	// A join reads its meeting and participant without locks, in one
	// statement: every joiner of a meeting needs the meeting's host and
	// scope, and locking its row made a storm of joins on one meeting
	// commit one at a time. The participant's row is written back only if
	// unchanged since the read (store.ErrConflict otherwise, and the
	// transaction runs again). On PostgreSQL the transaction is two round
	// trips: the read, then the write, the grant's job and the commit
	// together, whose failures the commit returns.
	err := e.inTxRetrying(ctx, func(tx store.Tx) error {
		result, skipped = eventResult{}, ""
		r, err := tx.ReadMeetingParticipant(ctx, accountID, meetingID, o.UUID, p.Key())
		if err != nil {
			return err
		}
		m := r.Meeting
		if !r.MeetingFound || m.HostID == "" && o.HostID != "" {
			if err := tx.EnsureMeeting(ctx, accountID, meetingID, o.HostID); err != nil {
				return err
			}
			if m.HostID == "" {
				m.HostID = o.HostID
			}
		}
		pt, due := grant.ApplyJoin(r.Participant.Participant, grant.Join{At: joinedAt, SeenAt: stored.ReceivedAt, UserID: string(p.UserID),
			ZoomUserID: p.ZoomUserID(), Name: p.UserName, Email: p.Email, Phone: p.PhoneNumber})
		if !due {
			result = eventResult{label: resultNoGrantDue, detail: "a repeat, an older join, or already confirmed"}
		} else if reason := e.policy.Decide(m, pt); reason != "" {
			pt.State, pt.Reason = grant.StateSkipped, reason
			result, skipped = eventResult{label: resultSkipped, detail: string(reason)}, reason
		} else {
			result = eventResult{label: resultGrantEnqueued}
		}
		// The event is marked processed with the participant's write.
		written, err := tx.SaveParticipantMarking(ctx, r.Participant, pt,
			store.EventMark{ID: stored.ID, At: e.now(), Outcome: result.outcome()})
		if errors.Is(err, store.ErrEventProcessed) {
			return errProcessed
		}
		if err != nil {
			return err
		}
		result.recorded = true
		if result.label == resultGrantEnqueued {
			seen, err := encodeSeen(GrantSeen{Meeting: m, Participant: pt, Version: written.Version})
			if err != nil {
				return err
			}
			if err := tx.Enqueue(ctx, GrantParticipantArgs{AccountID: pt.AccountID, MeetingID: pt.MeetingID,
				MeetingUUID: pt.MeetingUUID, Key: pt.Key, JoinedAtMS: pt.JoinedAt.UnixMilli(), Seen: seen}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return result, err
	}
	if skipped != "" {
		e.countGrant("", grant.StateSkipped, skipped)
	}
	e.logger.InfoContext(ctx, "participant joined", "meeting_id", meetingID, "meeting_uuid", o.UUID,
		"participant_key", p.Key(), "result", result.outcome())
	return result, nil
}

func (e *Engine) left(ctx context.Context, stored *store.StoredEvent, ev *api.Event) (eventResult, error) {
	o := ev.Payload.Object
	leftAt := ev.Time()
	var result eventResult
	var settled grant.Reason
	key, err := e.store.ParticipantKey(ctx, o.UUID, o.Participant.Key(), string(o.Participant.UserID))
	if err != nil {
		return eventResult{}, err
	}
	err = e.inTx(ctx, func(tx store.Tx) error {
		settled = ""
		pt, err := tx.LockParticipant(ctx, ev.Payload.AccountID, string(o.ID), o.UUID, key)
		if err != nil {
			return err
		}
		before := pt.State
		pt = grant.ApplyLeave(pt, leftAt)
		if before == grant.StatePending && pt.State == grant.StateSkipped {
			settled = pt.Reason
		}
		result = eventResult{label: resultLeft, detail: "present=" + strconv.FormatBool(pt.Present()) + " state=" + string(pt.State)}
		if err := tx.SaveParticipant(ctx, pt); err != nil {
			return err
		}
		return e.markIn(ctx, tx, stored.ID, &result)
	})
	if err == nil && settled != "" {
		e.countGrant("", grant.StateSkipped, settled)
	}
	return result, err
}

// isCoHostRole matches Zoom's name for the co-host role in
// participant_role_changed, whichever spelling it uses.
func isCoHostRole(role string) bool {
	r := strings.ToLower(strings.NewReplacer("-", "", "_", "", " ", "").Replace(role))
	return r == "cohost"
}

func (e *Engine) roleChanged(ctx context.Context, stored *store.StoredEvent, ev *api.Event) (eventResult, error) {
	o := ev.Payload.Object
	p := o.Participant
	if !isCoHostRole(p.NewRole) {
		return eventResult{label: resultNotCoHostRole}, nil
	}
	at := ev.Time()
	if t, err := time.Parse(time.RFC3339, p.DateTime); err == nil && t.After(at) {
		at = t
	}
	accountID, meetingID := ev.Payload.AccountID, string(o.ID)
	key, err := e.store.ParticipantKey(ctx, o.UUID, p.Key(), string(p.UserID))
	if err != nil {
		return eventResult{}, err
	}
	// Who asked for this role is read before the participant is locked: a
	// makeCoHost the host page runs was recorded before the page could make
	// it, so Zoom cannot report its role change earlier.
	requestedBy := ""
	if e.roles != nil {
		requestedBy, err = e.roles.RoleRequestedBy(ctx, grant.Meeting{AccountID: accountID, ID: meetingID, UUID: o.UUID},
			grant.Participant{AccountID: accountID, MeetingID: meetingID, MeetingUUID: o.UUID, Key: key, UserID: string(p.UserID)})
		if err != nil {
			return eventResult{}, err
		}
	}
	var result eventResult
	var confirmed grant.Participant
	var first bool
	var credit string
	err = e.inTx(ctx, func(tx store.Tx) error {
		pt, err := tx.LockParticipant(ctx, accountID, meetingID, o.UUID, key)
		if err != nil {
			return err
		}
		credit = grant.CreditConfirmation(pt, requestedBy, e.askers)
		pt, first = grant.ApplyConfirm(pt, at, stored.ReceivedAt, credit)
		confirmed = pt
		result = eventResult{label: resultConfirmed, detail: "by " + cmp.Or(credit, "not known yet")}
		if !first {
			result = eventResult{label: resultAlreadyConfirmed}
		}
		if err := tx.SaveParticipant(ctx, pt); err != nil {
			return err
		}
		return e.markIn(ctx, tx, stored.ID, &result)
	})
	if err == nil && first {
		if credit != "" {
			// An unattributed confirmation is counted once its grant names
			// who (settle).
			e.countGrant(credit, grant.StateConfirmed, "")
			if !confirmed.JoinSeenAt.IsZero() {
				e.observe(credit, "confirmed", stored.ReceivedAt.Sub(confirmed.JoinSeenAt))
			}
		}
		e.logger.InfoContext(ctx, "co-host confirmed by Zoom", "meeting_id", meetingID, "meeting_uuid", o.UUID,
			"participant_key", key, "granter", credit, "time_to_cohost_ms", stored.ReceivedAt.Sub(confirmed.JoinSeenAt).Milliseconds(),
			"sentence", grant.Describe(confirmed, grant.Progress{}))
	}
	return result, err
}
