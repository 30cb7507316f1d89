package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
)

// eventWorker applies one stored webhook event to the ledger and enqueues
// the work it calls for, in one transaction.
type eventWorker struct {
	river.WorkerDefaults[ProcessEventArgs]
	e *Engine
}

func (w *eventWorker) Work(ctx context.Context, job *river.Job[ProcessEventArgs]) error {
	e := w.e
	stored, err := e.Store.GetEvent(ctx, job.Args.EventID)
	if err != nil {
		return err
	}
	if !stored.ProcessedAt.IsZero() {
		return nil // processed by an earlier attempt
	}
	ev, err := api.DecodeEvent(stored.Body)
	if err != nil {
		// Verified and decoded at intake; this cannot fail unless the code
		// changed in between. Record it rather than retry forever.
		return e.Store.MarkEventProcessed(ctx, stored.ID, e.now(), "undecodable: "+err.Error())
	}
	result, err := e.apply(ctx, stored, ev)
	if err != nil {
		return err
	}
	if e.Metrics != nil {
		e.Metrics.Events.WithLabelValues(ev.Event, result).Inc()
	}
	return e.Store.MarkEventProcessed(ctx, stored.ID, e.now(), result)
}

func (e *Engine) apply(ctx context.Context, stored *store.StoredEvent, ev *api.Event) (string, error) {
	switch ev.Event {
	case api.EventAppDeauthorized:
		return e.deauthorize(ctx, ev.Payload.AccountID)
	case api.EventMeetingCreated, api.EventMeetingUpdated:
		return e.scheduled(ctx, ev)
	case api.EventMeetingDeleted:
		return e.meetingStatus(ctx, ev, grant.MeetingDeleted)
	case api.EventMeetingStarted:
		return e.meetingStatus(ctx, ev, grant.MeetingStarted)
	case api.EventMeetingEnded:
		return e.meetingStatus(ctx, ev, grant.MeetingEnded)
	case api.EventParticipantJoined:
		return e.joined(ctx, stored, ev)
	case api.EventParticipantLeft:
		return e.left(ctx, ev)
	case api.EventParticipantRoleChanged:
		return e.roleChanged(ctx, stored, ev)
	}
	return "ignored", nil
}

func (e *Engine) deauthorize(ctx context.Context, accountID string) (string, error) {
	if e.Deauthorize != nil {
		if err := e.Deauthorize(ctx, accountID); err != nil {
			return "", err
		}
	}
	if err := e.Store.DeleteAccount(ctx, accountID); err != nil {
		return "", err
	}
	e.Logger.InfoContext(ctx, "app deauthorized: account data deleted", "account_id", accountID)
	return "account data deleted", nil
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
func (e *Engine) scheduled(ctx context.Context, ev *api.Event) (string, error) {
	o := ev.Payload.Object
	meetingID := string(o.ID)
	if meetingID == "" {
		return "ignored: no meeting id", nil
	}
	result := "recorded"
	err := e.Store.InTx(ctx, func(tx store.Tx) error {
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
		if m.StartTime.IsZero() || m.Status != grant.MeetingScheduled || !e.Policy.MeetingInScope(m) {
			return nil
		}
		at := m.StartTime.Add(-e.LeadTime)
		result = "prepare scheduled for " + at.UTC().Format(time.RFC3339)
		opts := uniqueByArgs(10)
		if at.After(e.now()) {
			opts.ScheduledAt = at
		}
		return tx.Enqueue(ctx, PrepareMeetingArgs{AccountID: m.AccountID, MeetingID: m.ID,
			Key: "start:" + strconv.FormatInt(m.StartTime.Unix(), 10)}, opts)
	})
	return result, err
}

func (e *Engine) meetingStatus(ctx context.Context, ev *api.Event, status grant.MeetingStatus) (string, error) {
	o := ev.Payload.Object
	meetingID := string(o.ID)
	if meetingID == "" {
		return "ignored: no meeting id", nil
	}
	result := "stale: a newer status is recorded"
	err := e.Store.InTx(ctx, func(tx store.Tx) error {
		m, err := tx.LockMeeting(ctx, ev.Payload.AccountID, meetingID)
		if err != nil {
			return err
		}
		m.AccountID, m.ID = ev.Payload.AccountID, meetingID
		prevUUID := m.UUID
		next, changed := grant.ApplyMeetingStatus(m, status, o.UUID, ev.Time())
		if !changed {
			return nil
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
		result = string(status)
		switch status {
		case grant.MeetingStarted:
			if !e.Policy.MeetingInScope(next) {
				result += "; out of scope"
				return nil
			}
			return tx.Enqueue(ctx, PrepareMeetingArgs{AccountID: next.AccountID, MeetingID: next.ID, Key: "uuid:" + next.UUID}, uniqueByArgs(10))
		case grant.MeetingEnded, grant.MeetingDeleted:
			return tx.Enqueue(ctx, FinishMeetingArgs{AccountID: next.AccountID, MeetingID: next.ID, MeetingUUID: next.UUID}, uniqueByArgs(10))
		}
		return nil
	})
	return result, err
}

func (e *Engine) joined(ctx context.Context, stored *store.StoredEvent, ev *api.Event) (string, error) {
	o := ev.Payload.Object
	p := o.Participant
	// event_ts (milliseconds) orders joins and leaves; join_time has only
	// second precision.
	joinedAt := ev.Time()
	result := ""
	err := e.Store.InTx(ctx, func(tx store.Tx) error {
		m, err := tx.LockMeeting(ctx, ev.Payload.AccountID, string(o.ID))
		if err != nil {
			return err
		}
		if m.AccountID == "" || m.ID == "" {
			m.AccountID, m.ID = ev.Payload.AccountID, string(o.ID)
		}
		if m.HostID == "" && o.HostID != "" {
			m.HostID = o.HostID
			if err := tx.SaveMeeting(ctx, m); err != nil {
				return err
			}
		}
		pt, err := tx.LockParticipant(ctx, ev.Payload.AccountID, string(o.ID), o.UUID, p.Key())
		if err != nil {
			return err
		}
		pt, due := grant.ApplyJoin(pt, grant.Join{At: joinedAt, SeenAt: stored.ReceivedAt, UserID: string(p.UserID),
			ZoomUserID: p.ZoomUserID(), Name: p.UserName, Email: p.Email, Phone: p.PhoneNumber})
		if !due {
			result = "no grant due (repeat, older join, or already confirmed)"
			return tx.SaveParticipant(ctx, pt)
		}
		if m.HostID == "" {
			m.HostID = o.HostID
		}
		if reason := e.Policy.Decide(m, pt); reason != "" {
			pt.State, pt.Reason = grant.StateSkipped, reason
			result = "skipped: " + reason
			e.countGrant("", grant.StateSkipped, reason)
			return tx.SaveParticipant(ctx, pt)
		}
		result = "grant enqueued"
		if err := tx.SaveParticipant(ctx, pt); err != nil {
			return err
		}
		return tx.Enqueue(ctx, GrantParticipantArgs{AccountID: pt.AccountID, MeetingID: pt.MeetingID,
			MeetingUUID: pt.MeetingUUID, Key: pt.Key, JoinedAtMS: pt.JoinedAt.UnixMilli()}, uniqueByArgs(25))
	})
	if err == nil {
		e.Logger.InfoContext(ctx, "participant joined", "meeting_id", string(o.ID), "meeting_uuid", o.UUID,
			"participant_key", p.Key(), "result", result)
	}
	return result, err
}

func (e *Engine) left(ctx context.Context, ev *api.Event) (string, error) {
	o := ev.Payload.Object
	leftAt := ev.Time()
	result := ""
	err := e.Store.InTx(ctx, func(tx store.Tx) error {
		pt, err := tx.LockParticipant(ctx, ev.Payload.AccountID, string(o.ID), o.UUID, o.Participant.Key())
		if err != nil {
			return err
		}
		before := pt.State
		pt = grant.ApplyLeave(pt, leftAt)
		if before == grant.StatePending && pt.State == grant.StateSkipped {
			e.countGrant("", grant.StateSkipped, pt.Reason)
		}
		result = fmt.Sprintf("present=%v state=%s", pt.Present(), pt.State)
		return tx.SaveParticipant(ctx, pt)
	})
	return result, err
}

// isCoHostRole matches Zoom's name for the co-host role in
// participant_role_changed, whichever spelling it uses.
func isCoHostRole(role string) bool {
	r := strings.ToLower(strings.NewReplacer("-", "", "_", "", " ", "").Replace(role))
	return r == "cohost"
}

func (e *Engine) roleChanged(ctx context.Context, stored *store.StoredEvent, ev *api.Event) (string, error) {
	o := ev.Payload.Object
	p := o.Participant
	if !isCoHostRole(p.NewRole) {
		return "ignored: new role " + p.NewRole, nil
	}
	at := ev.Time()
	if t, err := time.Parse(time.RFC3339, p.DateTime); err == nil && t.After(at) {
		at = t
	}
	result := ""
	var confirmed grant.Participant
	var first bool
	err := e.Store.InTx(ctx, func(tx store.Tx) error {
		pt, err := tx.LockParticipant(ctx, ev.Payload.AccountID, string(o.ID), o.UUID, p.Key())
		if err != nil {
			return err
		}
		pt, first = grant.ApplyConfirm(pt, at, stored.ReceivedAt)
		confirmed = pt
		result = "confirmed"
		if !first {
			result = "already confirmed"
		}
		return tx.SaveParticipant(ctx, pt)
	})
	if err == nil && first {
		granter := confirmed.Granter
		if granter == "" {
			granter = "unknown"
		}
		e.countGrant(granter, grant.StateConfirmed, "")
		if !confirmed.JoinSeenAt.IsZero() {
			e.observe(granter, "confirmed", stored.ReceivedAt.Sub(confirmed.JoinSeenAt))
		}
		e.Logger.InfoContext(ctx, "co-host confirmed by Zoom", "meeting_id", string(o.ID), "meeting_uuid", o.UUID,
			"participant_key", p.Key(), "granter", granter, "time_to_cohost_ms", stored.ReceivedAt.Sub(confirmed.JoinSeenAt).Milliseconds())
	}
	return result, err
}
