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
	OutcomeTooLarge          = "too_large"
	OutcomeWrongMethod       = "wrong_method"
	OutcomeStoreUnavailable  = "store_unavailable"
)

// Metrics holds cohostd's collectors.
type Metrics struct {
	WebhookRequests *prometheus.CounterVec
	WebhookAck      prometheus.Histogram
}

// BuildInfo is reported as cohost_build_info.
type BuildInfo struct {
	Version, Commit string
}

// New registers cohostd's metrics with reg.
func New(reg prometheus.Registerer, info BuildInfo) *Metrics {
	m := &Metrics{
		WebhookRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cohost_webhook_requests_total",
			Help: "Zoom webhook requests by event and outcome (accepted, duplicate, ignored, url_validation, rejected_*, too_large, wrong_method, store_unavailable).",
		}, []string{"event", "outcome"}),
		// Zoom gives up on a delivery after 3 s; the buckets resolve the
		// target (p99 < 50 ms) and the danger zone near 3 s.
		WebhookAck: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "cohost_webhook_ack_seconds",
			Help:    "Time from receiving a Zoom webhook request to answering it.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5},
		}),
	}
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
