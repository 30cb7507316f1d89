package grant

import "time"

// MeetingStatus is where a meeting is in its life.
type MeetingStatus string

// Meeting statuses.
const (
	MeetingScheduled MeetingStatus = "scheduled"
	MeetingStarted   MeetingStatus = "started"
	MeetingEnded     MeetingStatus = "ended"
	MeetingDeleted   MeetingStatus = "deleted"
)

// Meeting is a Zoom meeting cohost watches, keyed by account and numeric id.
// UUID is the current (or last) instance: a recurring meeting gets a new
// one per occurrence.
type Meeting struct {
	AccountID string
	ID        string
	UUID      string
	HostID    string
	HostEmail string
	Topic     string
	// StartTime is the scheduled start (zero for instant meetings).
	StartTime      time.Time
	TrackingFields map[string]string
	Status         MeetingStatus
	// StatusAt is the Zoom event time of the last status change; older
	// events never overwrite newer state.
	StatusAt  time.Time
	StartedAt time.Time
	EndedAt   time.Time
}

// Live reports whether the meeting is running.
func (m Meeting) Live() bool { return m.Status == MeetingStarted }
