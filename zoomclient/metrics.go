package zoomclient

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the client's Prometheus metrics. Labels are bounded: endpoints
// are route templates ("GET /users/{userId}/settings"), never ids, and no label
// ever holds a credential or an account id. A nil *Metrics records nothing.
//
//	cohost_zoom_requests_total{endpoint,status}          every attempt; status is the HTTP code or "error"
//	cohost_zoom_request_duration_seconds{endpoint}       latency of every attempt
//	cohost_zoom_retries_total{endpoint,reason}           reason: 5xx, network, 429, token
//	cohost_zoom_token_requests_total{mode,grant,result}  result: success, rejected, error
//	cohost_zoom_rate_limit_pauses_total{endpoint,kind}   429s that paused an account; kind: qps, daily, daily_unpaused
//	cohost_zoom_rate_limit_blocked_total{endpoint}       calls refused without a request during a pause
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	retries  *prometheus.CounterVec
	tokens   *prometheus.CounterVec
	pauses   *prometheus.CounterVec
	blockedC *prometheus.CounterVec
}

// NewMetrics registers the metrics with reg and returns them; nil reg returns
// nil (no metrics). Registering twice on the same registry reuses the
// collectors already registered, so several Clients may share one registry.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cohost_zoom_requests_total",
			Help: "Zoom API requests sent, by endpoint route and HTTP status (\"error\" when no response arrived).",
		}, []string{"endpoint", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cohost_zoom_request_duration_seconds",
			Help:    "Latency of Zoom API requests, by endpoint route.",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"endpoint"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cohost_zoom_retries_total",
			Help: "Zoom API attempts retried, by endpoint route and reason.",
		}, []string{"endpoint", "reason"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cohost_zoom_token_requests_total",
			Help: "Requests to Zoom's token endpoint, by auth mode, grant type and result.",
		}, []string{"mode", "grant", "result"}),
		pauses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cohost_zoom_rate_limit_pauses_total",
			Help: "429 answers from Zoom that paused an account, by endpoint route and kind of limit.",
		}, []string{"endpoint", "kind"}),
		blockedC: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cohost_zoom_rate_limit_blocked_total",
			Help: "Calls refused without sending a request because their account was paused by a 429.",
		}, []string{"endpoint"}),
	}
	var err error
	m.requests, err = register(reg, m.requests)
	if err != nil {
		return nil, err
	}
	m.latency, err = register(reg, m.latency)
	if err != nil {
		return nil, err
	}
	m.retries, err = register(reg, m.retries)
	if err != nil {
		return nil, err
	}
	m.tokens, err = register(reg, m.tokens)
	if err != nil {
		return nil, err
	}
	m.pauses, err = register(reg, m.pauses)
	if err != nil {
		return nil, err
	}
	m.blockedC, err = register(reg, m.blockedC)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

func (m *Metrics) request(ep endpoint, status string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(ep.String(), status).Inc()
	m.latency.WithLabelValues(ep.String()).Observe(d.Seconds())
}

func (m *Metrics) retry(ep endpoint, reason string) {
	if m == nil {
		return
	}
	m.retries.WithLabelValues(ep.String(), reason).Inc()
}

func (m *Metrics) token(mode AuthMode, grant, result string) {
	if m == nil {
		return
	}
	m.tokens.WithLabelValues(string(mode), grant, result).Inc()
}

func (m *Metrics) pause(ep endpoint, kind string) {
	if m == nil {
		return
	}
	m.pauses.WithLabelValues(ep.String(), kind).Inc()
}

func (m *Metrics) blocked(ep endpoint) {
	if m == nil {
		return
	}
	m.blockedC.WithLabelValues(ep.String()).Inc()
}
