package grant

import "time"

// State is where a participant's grant stands.
type State string

// Grant states.
const (
	// StatePending: in scope, not yet granted.
	StatePending State = "pending"
	// StateGranted: a granter reported success (the agent answered 200, or
	// the meeting's permissions are applied).
	StateGranted State = "granted"
	// StateConfirmed: Zoom reported the role change to co-host.
	StateConfirmed State = "confirmed"
	// StateSkipped: deliberately not granted; Reason says why.
	StateSkipped State = "skipped"
	// StateFailed: granting was tried and did not work; Reason says why.
	StateFailed State = "failed"
)

// Final reports whether no more work is due for the current join.
func (s State) Final() bool { return s == StateConfirmed || s == StateSkipped || s == StateFailed }

// Participant is one person in one meeting instance, with their grant.
type Participant struct {
	AccountID   string
	MeetingID   string
	MeetingUUID string
	// Key is participant_uuid, or the per-meeting user_id where Zoom sent none.
	Key string
	// UserID is the per-meeting participant id Zoom sends as user_id.
	UserID     string
	ZoomUserID string // the Zoom account user id when signed in, else ""
	Name       string
	Email      string
	Phone      string
	// JoinedAt and LeftAt are Zoom's event times; the participant is present
	// while the last join is after the last leave.
	JoinedAt time.Time
	LeftAt   time.Time

	State   State
	Granter string
	Reason  Reason
	// Detail adds what the granter or Zoom said about a skipped or failed
	// grant, in words.
	Detail string
	// JoinSeenAt is when cohost received the join webhook: the start of the
	// time-to-co-host clock.
	JoinSeenAt  time.Time
	GrantedAt   time.Time
	ConfirmedAt time.Time
	Attempts    int
}

// Present reports whether the participant is in the meeting.
func (p Participant) Present() bool { return !p.JoinedAt.IsZero() && p.JoinedAt.After(p.LeftAt) }

// SignedIn reports whether Zoom identified the participant as a Zoom user.
func (p Participant) SignedIn() bool { return p.ZoomUserID != "" }

// PhoneOnly reports whether the participant dialled in by phone and has no
// client that can hold a role.
func (p Participant) PhoneOnly() bool { return p.Phone != "" && p.ZoomUserID == "" && p.Email == "" }
