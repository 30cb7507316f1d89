package engine

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/store"
)

// Config is what an Engine is built from.
type Config struct {
	Store *store.Store
	// Granters in the order COHOST_GRANTERS names them.
	Granters []grant.Granter
	// Policy decides who is in scope; nil grants every joiner.
	Policy  *grant.Policy
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// LeadTime: how long before a scheduled start the meeting is prepared.
	LeadTime time.Duration
	// GiveUpAfter bounds how long a grant is retried after the join (the
	// agent not seeing the participant, Zoom failing). Default 2 min.
	GiveUpAfter time.Duration
	// Deauthorize deletes an account's Zoom tokens (app_deauthorized).
	Deauthorize func(ctx context.Context, accountID string) error
	// RoleRequests names who asked for a participant's co-host role in a way
	// Zoom's role-change event cannot show (the host client's makeCoHost
	// calls); nil when no such granter runs.
	RoleRequests RoleRequests
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// RoleRequests tells whether a granter asked Zoom for a participant's
// co-host role in a way only it knows (hostclient.Service: a makeCoHost it
// issued is in flight or resolved), naming that granter, "" otherwise.
type RoleRequests interface {
	RoleRequestedBy(ctx context.Context, m grant.Meeting, p grant.Participant) (string, error)
}

// Engine holds what the workers share: the store, the granters, the policy
// and the clock. It is built once, after the store and the granters, and
// hands its workers to the queue (Workers); nothing changes it afterwards.
type Engine struct {
	store       *store.Store
	granters    []grant.Granter
	policy      *grant.Policy
	metrics     *metrics.Metrics
	logger      *slog.Logger
	leadTime    time.Duration
	giveUpAfter time.Duration
	deauthorize func(ctx context.Context, accountID string) error
	roles       RoleRequests
	// askers are the granters whose grant asks Zoom for the role itself
	// (grant.RoleAsker), by name.
	askers map[string]bool
	now    func() time.Time
}

// New returns an engine for c.
func New(c Config) (*Engine, error) {
	if c.Store == nil {
		return nil, errors.New("engine: no store")
	}
	e := &Engine{store: c.Store, granters: c.Granters, policy: c.Policy, metrics: c.Metrics, logger: c.Logger,
		leadTime: c.LeadTime, giveUpAfter: c.GiveUpAfter, deauthorize: c.Deauthorize, roles: c.RoleRequests, now: c.Now,
		askers: map[string]bool{}}
	for _, g := range c.Granters {
		if ra, ok := g.(grant.RoleAsker); ok && ra.AsksForRole() {
			e.askers[g.Name()] = true
		}
	}
	if e.policy == nil {
		e.policy = &grant.Policy{}
	}
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	if e.giveUpAfter <= 0 {
		e.giveUpAfter = 2 * time.Minute
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e, nil
}

// Workers returns the worker of every job kind, for store.StartWorkers.
func (e *Engine) Workers() *river.Workers {
	ws := river.NewWorkers()
	river.AddWorker(ws, &eventWorker{e: e})
	river.AddWorker(ws, &prepareWorker{e: e})
	river.AddWorker(ws, &grantWorker{e: e})
	river.AddWorker(ws, &finishWorker{e: e})
	return ws
}

// Middleware returns the worker middleware for store.WorkerOptions: every
// job's errors are logged and counted in one place, and a job that ends
// without succeeding settles what it concerns first (failed.go).
func (e *Engine) Middleware() []rivertype.Middleware {
	return []rivertype.Middleware{&failureMiddleware{e: e}}
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

func (e *Engine) countGrant(granter string, state grant.State, reason grant.Reason) {
	e.metrics.CountGrant(granter, string(state), reason.Label())
}

func (e *Engine) observe(granter, stage string, d time.Duration) {
	e.metrics.ObserveTimeToCoHost(granter, stage, d)
}
