package engine

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/store"
)

// Engine holds what the workers share: the store, the granters in the order
// COHOST_GRANTERS names them, the policy and the clock.
type Engine struct {
	Store    *store.Store
	Granters []grant.Granter
	Policy   *grant.Policy
	Metrics  *metrics.Metrics
	Logger   *slog.Logger
	// LeadTime: how long before a scheduled start the meeting is prepared.
	LeadTime time.Duration
	// GiveUpAfter bounds how long a grant is retried after the join (the
	// agent not seeing the participant, Zoom failing).
	GiveUpAfter time.Duration
	// Deauthorize deletes an account's Zoom tokens (app_deauthorized).
	Deauthorize func(ctx context.Context, accountID string) error
	Now         func() time.Time
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) giveUpAfter() time.Duration {
	if e.GiveUpAfter > 0 {
		return e.GiveUpAfter
	}
	return 2 * time.Minute
}

// Register returns the store.Options.Workers hook that registers every job
// kind's worker for e. e.Store is set from the opened store.
func (e *Engine) Register() func(*store.Store, *river.Workers) {
	return func(st *store.Store, ws *river.Workers) {
		e.Store = st
		river.AddWorker(ws, &eventWorker{e: e})
		river.AddWorker(ws, &prepareWorker{e: e})
		river.AddWorker(ws, &grantWorker{e: e})
		river.AddWorker(ws, &finishWorker{e: e})
	}
}

// RetryPolicy retries quickly at first (a person is waiting in a meeting)
// and backs off to at most 30 s, with jitter so replicas do not retry in step.
type RetryPolicy struct{}

// NextRetry implements river.ClientRetryPolicy.
func (RetryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	d := 250 * time.Millisecond << min(job.Attempt, 7)
	d = min(d, 30*time.Second)
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	return time.Now().Add(d)
}

var _ river.ClientRetryPolicy = RetryPolicy{}

// Job kinds.

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

// FinishMeetingArgs undoes a meeting's preparation after it ended.
type FinishMeetingArgs struct {
	AccountID   string `json:"account_id"`
	MeetingID   string `json:"meeting_id"`
	MeetingUUID string `json:"meeting_uuid"`
}

// Kind is River's name for the job.
func (FinishMeetingArgs) Kind() string { return "finish_meeting" }

// uniqueByArgs makes re-deliveries and replays enqueue a job at most once.
func uniqueByArgs(maxAttempts int) *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: maxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

func (e *Engine) countGrant(granter string, state grant.State, reason string) {
	if e.Metrics != nil {
		e.Metrics.Grants.WithLabelValues(granter, string(state), reasonLabel(reason)).Inc()
	}
}

// knownReasons are the reason codes a metric label may carry. A granter's
// own message (what Zoom or the agent said) stays in the ledger and the log;
// as a label it would make a new series per message.
var knownReasons = map[string]bool{
	"": true, grant.ReasonHost: true, grant.ReasonAgent: true, grant.ReasonPhoneOnly: true,
	grant.ReasonMeetingOutOfScope: true, grant.ReasonParticipantOutOfScope: true, grant.ReasonNotSignedIn: true,
	grant.ReasonLeft: true, grant.ReasonMeetingEnded: true, grant.ReasonNotVisible: true, grant.ReasonNotEligible: true,
	grant.ReasonAlternativeHostsLimit: true, grant.ReasonAgentRejected: true, grant.ReasonZoomRejected: true,
	grant.ReasonNoGranter: true,
}

func reasonLabel(reason string) string {
	if knownReasons[reason] {
		return reason
	}
	if strings.HasPrefix(reason, grant.ReasonAgentRejected) {
		return grant.ReasonAgentRejected
	}
	return "other"
}

func (e *Engine) observe(granter, stage string, d time.Duration) {
	if e.Metrics != nil && d >= 0 {
		e.Metrics.TimeToCoHost.WithLabelValues(granter, stage).Observe(d.Seconds())
	}
}
