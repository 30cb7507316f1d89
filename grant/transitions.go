package grant

import "time"

// The functions below are the rules for changing a participant's record when
// an event arrives. Zoom delivers at least once and in any order, so each
// rule compares Zoom's own event times and never lets an older event undo a
// newer one. They are pure: the engine loads the record under a lock, applies
// a rule, and saves the result.

// Join describes a participant_joined event.
type Join struct {
	At         time.Time // Zoom's join time (event time)
	SeenAt     time.Time // when cohost received the webhook
	UserID     string
	ZoomUserID string
	Name       string
	Email      string
	Phone      string
}

// ApplyJoin records a join. It reports whether a grant is now due: the join
// is newer than anything seen, and the participant has no grant that still
// holds (a re-join after leaving loses the co-host role in Zoom).
func ApplyJoin(p Participant, j Join) (Participant, bool) {
	if !j.At.After(p.JoinedAt) {
		return p, false // a repeat or an older join
	}
	p.JoinedAt = j.At
	p.UserID, p.ZoomUserID, p.Name, p.Email, p.Phone = j.UserID, j.ZoomUserID, j.Name, j.Email, j.Phone
	if !p.Present() {
		return p, false // a newer leave already arrived
	}
	if p.State == StateConfirmed && !p.ConfirmedAt.Before(j.At) {
		return p, false // the role change for this join arrived first
	}
	p.State, p.Granter, p.Reason, p.Detail = StatePending, "", "", ""
	p.JoinSeenAt, p.GrantedAt, p.ConfirmedAt, p.Attempts = j.SeenAt, time.Time{}, time.Time{}, 0
	return p, true
}

// ApplyLeave records a leave. A pending grant of a participant who left is
// settled as skipped.
func ApplyLeave(p Participant, at time.Time) Participant {
	if !at.After(p.LeftAt) {
		return p
	}
	p.LeftAt = at
	if !p.Present() && p.State == StatePending {
		p.State, p.Reason, p.Detail = StateSkipped, ReasonLeft, ""
	}
	return p
}

// ApplyOutcome records what a granter did for p's pending grant. A grant
// settled meanwhile (the participant left, the meeting ended, Zoom confirmed
// the role) keeps that settlement: the first one stands, so a late answer
// never turns "left before the grant" into a failure. A role Zoom confirmed
// before anyone could be named (CreditConfirmation answered "") is credited
// here: to this granter when its grant asked Zoom for the role or is Zoom's
// own confirmation, else to the host. A pending outcome (a granter waiting
// until a moment) changes nothing.
func ApplyOutcome(p Participant, granter string, o Outcome, at time.Time) Participant {
	switch p.State {
	case StateConfirmed:
		if p.Granter == "" {
			p.Granter = GranterHost
			if o.State == StateConfirmed || o.State == StateGranted && o.AwaitConfirmation {
				p.Granter = granter
			}
		}
		return p
	case StatePending:
	default:
		return p
	}
	if o.State == StatePending || o.State == "" {
		return p
	}
	p.State, p.Granter, p.Reason, p.Detail = o.State, granter, o.Reason, o.Detail
	if (o.State == StateGranted || o.State == StateConfirmed) && p.GrantedAt.IsZero() {
		p.GrantedAt = at
	}
	if o.State == StateConfirmed {
		p.ConfirmedAt = at
	}
	return p
}

// ApplySkip settles a grant as skipped for reason, unless it already holds.
func ApplySkip(p Participant, reason Reason) Participant {
	if p.State == StateConfirmed || p.State == StateGranted || p.State == StateFailed {
		return p
	}
	p.State, p.Reason, p.Detail = StateSkipped, reason, ""
	return p
}

// ApplyMeetingStatus moves a meeting to status at Zoom event time at,
// unless a newer status change was already recorded. started and ended
// carry the instance uuid.
func ApplyMeetingStatus(m Meeting, status MeetingStatus, uuid string, at time.Time) (Meeting, bool) {
	if at.Before(m.StatusAt) {
		return m, false
	}
	if status == MeetingEnded && m.UUID != "" && uuid != "" && uuid != m.UUID && m.Status == MeetingStarted {
		return m, false // the end of an earlier instance
	}
	if m.Status == status && m.UUID == uuid {
		return m, false
	}
	m.Status, m.StatusAt = status, at
	if uuid != "" {
		m.UUID = uuid
	}
	switch status {
	case MeetingStarted:
		m.StartedAt, m.EndedAt = at, time.Time{}
	case MeetingEnded:
		m.EndedAt = at
	}
	return m, true
}
