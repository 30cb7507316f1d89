package engine

import (
	"github.com/riverqueue/river"

	"github.com/cohost-dev/cohost/grant"
)

// The job kinds. Each carries its own insert options (InsertOpts), so every
// place that enqueues one gets the same attempts and uniqueness; retry
// decisions are the classifier's (failure.go). docs/architecture.md lists
// them with their rules.

// ProcessEventArgs processes one stored webhook event. The intake enqueues
// it in the event's own transaction; deduplication happened there, so the
// job is not unique.
type ProcessEventArgs struct {
	EventID string `json:"event_id"`
	// Event, Body and ReceivedAtMS carry the stored event itself (its name,
	// its normalized body, when cohost received it), so the worker applies
	// it without reading it back. A job without them, enqueued by an earlier
	// version, reads the event by EventID. Body is opaque to River (bytes,
	// base64 in its JSON): River's PostgreSQL schema indexes every key and
	// value of a job's arguments (a GIN index on river_job.args) each time
	// the job's row is written — inserted, fetched, completed — and an
	// opaque value is one index entry, not one per field of the event.
	Event        string `json:"event,omitempty"`
	Body         []byte `json:"body,omitempty"`
	ReceivedAtMS int64  `json:"received_at_ms,omitempty"`
}

// Kind is River's name for the job.
func (ProcessEventArgs) Kind() string { return "process_event" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (ProcessEventArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 25} }

// PrepareMeetingArgs readies a meeting (agent session, permissions). Key
// separates preparations of different occurrences (start time or instance
// uuid) for River's uniqueness.
type PrepareMeetingArgs struct {
	AccountID string `json:"account_id"`
	MeetingID string `json:"meeting_id"`
	Key       string `json:"key"`
}

// Kind is River's name for the job.
func (PrepareMeetingArgs) Kind() string { return "prepare_meeting" }

// InsertOpts implements river.JobArgsWithInsertOpts: re-deliveries and
// replays enqueue a preparation at most once.
func (PrepareMeetingArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// GrantParticipantArgs grants one join of one participant. The join is its
// identity (the fields tagged unique).
type GrantParticipantArgs struct {
	AccountID   string `json:"account_id" river:"unique"`
	MeetingID   string `json:"meeting_id" river:"unique"`
	MeetingUUID string `json:"meeting_uuid" river:"unique"`
	Key         string `json:"participant_key" river:"unique"`
	JoinedAtMS  int64  `json:"joined_at_ms" river:"unique"`
	// Seen is the participant and the meeting as the join's transaction
	// read and wrote them, moments before (GrantSeen in the compact form of
	// seen.go, or, from an earlier version, as GrantSeen's JSON; opaque to
	// River for the reason ProcessEventArgs.Body is): the first attempt
	// grants from it without reading them again. A later attempt, or a job
	// without it (enqueued by an earlier version), reads the ledger.
	Seen []byte `json:"seen,omitempty"`
}

// GrantSeen is what GrantParticipantArgs.Seen carries.
type GrantSeen struct {
	Meeting     grant.Meeting     `json:"meeting"`
	Participant grant.Participant `json:"participant"`
	// Version is the participant row's version as the join wrote it: the
	// grant's outcome is written over that row only if it is unchanged.
	Version int64 `json:"version"`
}

// Kind is River's name for the job.
func (GrantParticipantArgs) Kind() string { return "grant_participant" }

// InsertOpts implements river.JobArgsWithInsertOpts: one job per join. The
// attempts bound only errors that are retried; COHOST_GRANT_GIVE_UP_AFTER
// usually ends a grant first.
func (GrantParticipantArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// FinishMeetingArgs undoes a meeting's preparation after it ended.
type FinishMeetingArgs struct {
	AccountID   string `json:"account_id"`
	MeetingID   string `json:"meeting_id"`
	MeetingUUID string `json:"meeting_uuid"`
}

// Kind is River's name for the job.
func (FinishMeetingArgs) Kind() string { return "finish_meeting" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (FinishMeetingArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}
