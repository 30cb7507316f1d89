// Package metrics defines cohostd's Prometheus metrics. They answer the
// operator's question "did this participant get co-host, and if not, why"
// in aggregate; the grant ledger answers it per person.
package metrics

import (
	"context"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Webhook outcomes, the values of the outcome label of cohost_webhook_requests_total.
const (
	OutcomeAccepted          = "accepted"
	OutcomeDuplicate         = "duplicate"
	OutcomeIgnored           = "ignored"
	OutcomeURLValidation     = "url_validation"
	OutcomeRejectedSignature = "rejected_signature"
	OutcomeRejectedTimestamp = "rejected_timestamp"
	OutcomeRejectedBody      = "rejected_body"
	// OutcomeRejectedFuture: signed, but dated later than it arrived (400).
	OutcomeRejectedFuture   = "rejected_future"
	OutcomeTooLarge         = "too_large"
	OutcomeWrongMethod      = "wrong_method"
	OutcomeStoreUnavailable = "store_unavailable"
)

// Metrics holds cohostd's collectors.
type Metrics struct {
	WebhookRequests *prometheus.CounterVec
	WebhookAck      prometheus.Histogram
	// Grants counts grant outcomes by granter and outcome (granted,
	// confirmed, skipped, failed); skipped and failed also by reason.
	Grants *prometheus.CounterVec
	// TimeToCoHost: from the join webhook's arrival to the granter's success
	// (stage granted) and to Zoom's role-change confirmation (stage confirmed).
	TimeToCoHost *prometheus.HistogramVec
	// Events counts processed webhook events by event and result.
	Events *prometheus.CounterVec
	// JobErrors counts job attempts that ended in an error (not a snooze),
	// by job kind and the classifier's reason.
	JobErrors *prometheus.CounterVec
	// JobsFailed counts jobs that ended without succeeding, by kind, reason
	// and end: cancelled (a permanent error ended the job at once) or
	// discarded (its last attempt failed). Their outcome is in the ledger.
	JobsFailed *prometheus.CounterVec
	// HostClientCalls counts the host page's makeCoHost calls by result
	// (ok, not_in_roster, on_hold, timeout, error, lost).
	HostClientCalls *prometheus.CounterVec
	// HostPortal counts the host portal's steps (signin, callback, start,
	// signout) by outcome: ok, or the portal's code for why not.
	HostPortal *prometheus.CounterVec
}

// The step label of cohost_host_portal_requests_total.
const (
	PortalSignIn   = "signin"
	PortalCallback = "callback"
	PortalStart    = "start"
	PortalSignOut  = "signout"
)

// CountHostPortal counts one step of the host portal; outcome is "ok" or one
// of the portal's codes (a bounded set).
func (m *Metrics) CountHostPortal(step, outcome string) {
	if m != nil {
		m.HostPortal.WithLabelValues(step, outcome).Inc()
	}
}

// CountGrant counts one grant outcome; reason is a bounded label
// (grant.Reason.Label). A nil *Metrics counts nothing.
func (m *Metrics) CountGrant(granter, outcome, reason string) {
	if m != nil {
		m.Grants.WithLabelValues(granter, outcome, reason).Inc()
	}
}

// ObserveTimeToCoHost records the time from the join webhook to the grant
// (stage granted) or to the confirmed role (stage confirmed).
func (m *Metrics) ObserveTimeToCoHost(granter, stage string, d time.Duration) {
	if m != nil && d >= 0 {
		m.TimeToCoHost.WithLabelValues(granter, stage).Observe(d.Seconds())
	}
}

// CountHostClientCall counts one makeCoHost call of a host page.
func (m *Metrics) CountHostClientCall(result string) {
	if m != nil {
		m.HostClientCalls.WithLabelValues(result).Inc()
	}
}

// The end label of cohost_jobs_failed_total.
const (
	JobEndCancelled = "cancelled"
	JobEndDiscarded = "discarded"
)

// BuildInfo is reported as cohost_build_info.
type BuildInfo struct {
	Version, Commit string
}

// New registers cohostd's metrics with reg.
func New(reg prometheus.Registerer, info BuildInfo) *Metrics {
	m := &Metrics{
		WebhookRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cohost_webhook_requests_total",
			Help: "Zoom webhook requests by event and outcome (accepted, duplicate, ignored, url_validation, rejected_signature, rejected_timestamp, rejected_body, rejected_future, too_large, wrong_method, store_unavailable).",
		}, []string{"event", "outcome"}),
		// Zoom gives up on a delivery after 3 s; the buckets resolve the
		// target (p99 < 50 ms) and the danger zone near 3 s.
		WebhookAck: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "cohost_webhook_ack_seconds",
			Help:    "Time from receiving a Zoom webhook request to answering it.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5},
		}),
	}
	m.Grants = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cohost_grants_total",
		Help: "Grant outcomes by granter, outcome (granted, confirmed, skipped, failed) and reason.",
	}, []string{"granter", "outcome", "reason"})
	m.TimeToCoHost = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cohost_time_to_cohost_seconds",
		Help:    "Time from receiving a participant_joined webhook to the grant (stage granted) and to Zoom confirming the role (stage confirmed).",
		Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 120, 300},
	}, []string{"granter", "stage"})
	m.Events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cohost_events_processed_total",
		Help: "Stored webhook events processed by the engine, by event and result.",
	}, []string{"event", "result"})
	m.HostClientCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cohost_host_client_calls_total",
		Help: "makeCoHost calls of host pages by result (ok, not_in_roster, on_hold, timeout, error, lost).",
	}, []string{"result"})

	m.JobErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cohost_job_errors_total",
		Help: "Job attempts that ended in an error, by job kind (process_event, prepare_meeting, grant_participant, finish_meeting) and reason.",
	}, []string{"kind", "reason"})
	m.JobsFailed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cohost_jobs_failed_total",
		Help: "Jobs that ended without succeeding, by kind, reason and end (cancelled: a permanent error; discarded: the last attempt failed).",
	}, []string{"kind", "reason", "end"})
	m.HostPortal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cohost_host_portal_requests_total",
		Help: "Host portal steps (signin, callback, start, signout) by outcome: ok, or why not (invalid_state, state_expired, signin_refused, account_not_served, not_signed_in, not_host, meeting_unknown, invalid_meeting_id, start_failed, unavailable, too_many_signins, portal_off, internal).",
	}, []string{"step", "outcome"})
	reg.MustRegister(m.Grants, m.TimeToCoHost, m.Events, m.JobErrors, m.JobsFailed, m.HostClientCalls, m.HostPortal)
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cohost_build_info",
		Help: "Build information of the running cohostd.",
	}, []string{"version", "commit", "goversion"})
	build.WithLabelValues(info.Version, info.Commit, runtime.Version()).Set(1)
	reg.MustRegister(m.WebhookRequests, m.WebhookAck, build)
	return m
}

// RegisterRuntime adds the Go runtime and process collectors.
func RegisterRuntime(reg prometheus.Registerer) {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// jobStates are River's job states, reported even when zero so alerts on
// absent series are not needed.
var jobStates = []string{"available", "scheduled", "running", "retryable", "completed", "discarded", "cancelled", "pending"}

// QueueCollector reports cohost_queue_jobs{state} by asking the database at
// scrape time.
type QueueCollector struct {
	Count func(ctx context.Context) (map[string]int64, error)
	desc  *prometheus.Desc
}

// NewQueueCollector returns a collector over count.
func NewQueueCollector(count func(ctx context.Context) (map[string]int64, error)) *QueueCollector {
	return &QueueCollector{Count: count, desc: prometheus.NewDesc("cohost_queue_jobs",
		"Jobs in the durable queue by state.", []string{"state"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector. A database that does not answer
// within 2 s yields an invalid metric, which Prometheus reports as a scrape error.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.Count(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, s := range jobStates {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[s]), s)
	}
}

// LedgerCollector reports cohost_grants_pending and cohost_meetings_live by
// asking the database at scrape time.
type LedgerCollector struct {
	Pending func(ctx context.Context) (int64, error)
	Live    func(ctx context.Context) (int64, error)
	pending *prometheus.Desc
	live    *prometheus.Desc
}

// NewLedgerCollector returns a collector over the two counting functions.
func NewLedgerCollector(pending, live func(ctx context.Context) (int64, error)) *LedgerCollector {
	return &LedgerCollector{Pending: pending, Live: live,
		pending: prometheus.NewDesc("cohost_grants_pending", "Participants whose grant is pending.", nil, nil),
		live:    prometheus.NewDesc("cohost_meetings_live", "Meetings started and not ended.", nil, nil)}
}

// Describe implements prometheus.Collector.
func (c *LedgerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.pending; ch <- c.live }

// Collect implements prometheus.Collector.
func (c *LedgerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, g := range []struct {
		desc *prometheus.Desc
		fn   func(context.Context) (int64, error)
	}{{c.pending, c.Pending}, {c.live, c.Live}} {
		n, err := g.fn(ctx)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(g.desc, err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(n))
	}
}
