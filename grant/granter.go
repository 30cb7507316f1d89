package grant

import "context"

// Outcome is what a granter did for one participant.
type Outcome struct {
	State  State  // StateGranted, StateSkipped or StateFailed
	Reason string // for skipped and failed
	// AwaitConfirmation is true when Zoom will report the role change
	// (meeting.participant_role_changed), which then confirms the grant.
	AwaitConfirmation bool
}

// Granter is one route to co-host (design section 1): the co-host agent,
// permission settings, or alternative hosts.
//
// Every method is idempotent: River runs jobs at least once. An error with
// code ERATELIMITED or EUNAVAILABLE is retried; any other error fails the
// grant with its message as the reason.
type Granter interface {
	// Name is the granter's name in COHOST_GRANTERS.
	Name() string
	// Prepare readies a meeting before or as it starts so the first joiner is
	// served at once (agent session, permission settings).
	Prepare(ctx context.Context, m Meeting) error
	// Grant gives one participant co-host, or the abilities of one.
	Grant(ctx context.Context, m Meeting, p Participant) (Outcome, error)
	// Finish undoes what Prepare did once the meeting has ended.
	Finish(ctx context.Context, m Meeting) error
}
