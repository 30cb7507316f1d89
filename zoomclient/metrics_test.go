package zoomclient

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	// A second Metrics on the same registry reuses the collectors.
	m2, err := NewMetrics(reg)
	if err != nil {
		t.Fatalf("second NewMetrics: %v", err)
	}
	if m2.requests != m.requests {
		t.Error("second NewMetrics did not reuse the registered collectors")
	}
	client, mux, _ := setup(t, func(cfg *Config) { cfg.Metrics = m })
	calls := 0
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			writeJSON(w, 503, map[string]any{"code": 503, "message": "busy"})
			return
		}
		okMeeting(w)
	})
	if _, _, err := client.Meetings.Get(context.Background(), testMeetingID); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, metric := range mf.GetMetric() {
			got[mf.GetName()+labels(metric)] += value(metric)
		}
	}
	for key, want := range map[string]float64{
		`cohost_zoom_requests_total{endpoint="GET /meetings/{meetingId}",status="503"}`:             1,
		`cohost_zoom_requests_total{endpoint="GET /meetings/{meetingId}",status="200"}`:             1,
		`cohost_zoom_retries_total{endpoint="GET /meetings/{meetingId}",reason="5xx"}`:              1,
		`cohost_zoom_token_requests_total{grant="account_credentials",mode="s2s",result="success"}`: 1,
		`cohost_zoom_request_duration_seconds{endpoint="GET /meetings/{meetingId}"}`:                2,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v\nall: %v", key, got[key], want, got)
		}
	}
	for key := range got {
		if strings.Contains(key, "85746065432") || strings.Contains(key, testAccountID) {
			t.Errorf("metric label holds an id: %s", key)
		}
	}
	if m, err := NewMetrics(nil); m != nil || err != nil {
		t.Errorf("NewMetrics(nil) = %v, %v; want nil, nil", m, err)
	}
}

func labels(m *dto.Metric) string {
	var parts []string
	for _, lp := range m.GetLabel() {
		parts = append(parts, lp.GetName()+`="`+lp.GetValue()+`"`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	}
	return 0
}
