package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/config"
	"github.com/cohost-dev/cohost/metrics"
)

func openTestServer(t *testing.T) *Server {
	t.Helper()
	cfg, err := config.Load(config.FromMap(map[string]string{
		"COHOST_ADDR":               "127.0.0.1:0",
		"COHOST_METRICS_ADDR":       "127.0.0.1:0",
		"COHOST_DATABASE_URL":       "sqlite://" + filepath.Join(t.TempDir(), "cohost.db"),
		"ZOOM_WEBHOOK_SECRET_TOKEN": "test-secret",
		"ZOOM_ACCOUNT_ID":           "acct",
		"ZOOM_CLIENT_ID":            "client",
		"ZOOM_CLIENT_SECRET":        "client-secret",
		"ZOOM_API_URL":              "http://127.0.0.1:1",
		"ZOOM_OAUTH_URL":            "http://127.0.0.1:1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := New(cfg, slog.New(slog.DiscardHandler), metrics.BuildInfo{Version: "test"})
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s
}

// The metrics listener is as reachable as the main one: a client that
// opens connections and sends nothing, or headers without end, must not
// hold them for ever.
func TestListenersHaveTimeouts(t *testing.T) {
	s := openTestServer(t)
	for name, srv := range map[string]*http.Server{"http": s.httpSrv, "metrics": s.metricsSrv} {
		if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
			t.Errorf("%s listener: read header %s, read %s, write %s, idle %s; want all set", name,
				srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
		}
		if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
			t.Errorf("%s listener: MaxHeaderBytes %d", name, srv.MaxHeaderBytes)
		}
	}
	resp, err := http.Get("http://" + s.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
}

// /readyz answers from a real write, so it says ready only while the
// database accepts one (the failing cases are in store's TestCheckWritable).
func TestReadyWrites(t *testing.T) {
	s := openTestServer(t)
	resp, err := http.Get("http://" + s.Addr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /readyz = %d", resp.StatusCode)
	}
	s.draining.Store(true)
	if err := s.ready(context.Background()); err == nil {
		t.Fatal("ready while draining")
	}
}
