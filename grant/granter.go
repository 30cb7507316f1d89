package grant

import (
	"context"
	"time"
)

// Outcome is what a granter did for one participant.
type Outcome struct {
	// State is StateGranted, StateConfirmed (what the granter did is Zoom's
	// own confirmation), StateSkipped, StateFailed, or StatePending: the
	// granter waits for something only time brings (a host page to open)
	// and wants to be asked again at Until.
	State  State
	Reason Reason // for skipped and failed; for pending, what it waits for
	// Detail adds what the other side said, for the ledger and the log.
	Detail string
	// AwaitConfirmation is true when Zoom will report the role change
	// (meeting.participant_role_changed), which then confirms the grant.
	AwaitConfirmation bool
	// Until, on a pending outcome, is when to ask the granter again: the end
	// of its wait (the moment a grant with no host page falls back to the
	// next granter, or its give-up time). The engine schedules the grant for
	// that moment; the granters after this one are not asked before it.
	Until time.Time
	// Progress says where the pending grant stands, for the log.
	Progress Progress
}

// Granter is one route to co-host (docs/architecture.md): the co-host agent,
// permission settings, or alternative hosts.
//
// Every method is idempotent: River runs jobs at least once. Errors are
// *Error with a code and the Reason the grant fails with if the error ends
// it; the engine's failure classifier decides whether to wait, retry or fail.
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

// GranterPhase is where one granter is with one meeting.
type GranterPhase string

// Granter phases, as the admin API shows them.
const (
	GranterPrepared      GranterPhase = "prepared"
	GranterPrepareFailed GranterPhase = "prepare_failed"
	GranterFinished      GranterPhase = "finished"
	GranterFinishFailed  GranterPhase = "finish_failed"
	// GranterEventFailed is recorded under the granter name EngineNote when
	// an event about the meeting could not be processed for good.
	GranterEventFailed GranterPhase = "event_failed"
)

// EngineNote is the granter name of the notes cohost's own engine leaves on
// a meeting (an event, a preparation or a finish that failed outside any
// granter), so the admin API shows them beside the granters' states.
const EngineNote = "cohost"

// GranterState is what one granter did for one meeting.
type GranterState struct {
	Granter string
	Phase   GranterPhase
	// Detail explains the phase: which settings an admin locked, why the
	// preparation failed.
	Detail string
	At     time.Time
}

// PrepareDetailer is implemented by granters that report, after Prepare,
// what the preparation achieved (e.g. "applied 12 of 14; locked by the
// account admin: …"); the engine stores it as the meeting's granter detail.
type PrepareDetailer interface {
	PrepareDetail(m Meeting) string
}
