package engine

import "github.com/riverqueue/river"

// The job kinds. Each carries its own insert options (InsertOpts), so every
// place that enqueues one gets the same attempts and uniqueness; retry
// decisions are the classifier's (failure.go). docs/architecture.md lists
// them with their rules.

// ProcessEventArgs processes one stored webhook event. The intake enqueues
// it in the event's own transaction; deduplication happened there, so the
// job is not unique.
type ProcessEventArgs struct {
	EventID string `json:"event_id"`
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

// GrantParticipantArgs grants one join of one participant.
type GrantParticipantArgs struct {
	AccountID   string `json:"account_id"`
	MeetingID   string `json:"meeting_id"`
	MeetingUUID string `json:"meeting_uuid"`
	Key         string `json:"participant_key"`
	JoinedAtMS  int64  `json:"joined_at_ms"`
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
