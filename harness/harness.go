// Package harness runs cohostd in-process against the Zoom simulator, wired
// exactly as in production (real HTTP, real store, real queue): the engine of
// the demo, the end-to-end tests and the benchmarks.
package harness

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cohost-dev/cohost/config"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/server"
	"github.com/cohost-dev/cohost/zoomsim"
)

// Options configure a Harness. Zero values give an agent-granting cohostd on
// a temporary SQLite file, with a simulator whose time runs 1000× faster for
// webhook retries.
type Options struct {
	// DatabaseURL for cohostd; default a SQLite file in a temporary directory.
	DatabaseURL string
	// Granters is COHOST_GRANTERS; default "agent".
	Granters string
	// Env adds or overrides cohostd's configuration.
	Env map[string]string
	// Sim adjusts the simulator's configuration before it starts.
	Sim func(*zoomsim.Config)
	// Logs receives cohostd's JSON logs; default discarded.
	Logs io.Writer
	// LogLevel for cohostd; default info.
	LogLevel slog.Level
	// Replicas runs several cohostd on the same database (PostgreSQL only)
	// behind a round-robin webhook proxy, as a Kubernetes Service would.
	Replicas int
}

// Harness is a running simulator and cohostd.
type Harness struct {
	Sim *zoomsim.Server
	// Cohost is the first replica; Cohosts all of them.
	Cohost    *server.Server
	Cohosts   []*server.Server
	proxy     *http.Server
	AccountID string
	Host      zoomsim.User
	// PublicURL is where browsers reach cohostd (COHOST_PUBLIC_URL).
	PublicURL string
	served    []atomic.Int64 // host page API requests per replica, behind the proxy
	tmpDir    string
}

// Start starts the simulator, then cohostd pointed at it, then points the
// simulator's webhooks at cohostd.
func Start(ctx context.Context, o Options) (*Harness, error) {
	h := &Harness{}
	simCfg := zoomsim.Config{
		TimeScale: 0.001,
		Agent:     zoomsim.AgentConfig{JoinDelay: 20 * time.Millisecond, VisibilityDelay: 10 * time.Millisecond},
	}
	if o.Sim != nil {
		o.Sim(&simCfg)
	}
	sim, err := zoomsim.Start(simCfg, "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	h.Sim = sim
	acct, host, err := sim.AddDefaultAccount("")
	if err != nil {
		h.Close(ctx)
		return nil, err
	}
	h.AccountID, h.Host = acct.ID, host

	env := sim.EnvMap(acct.ID)
	env["COHOST_ADDR"] = "127.0.0.1:0"
	env["COHOST_METRICS_ADDR"] = "127.0.0.1:0"
	env["COHOST_GRANTERS"] = "agent"
	if o.Granters != "" {
		env["COHOST_GRANTERS"] = o.Granters
	}
	if o.DatabaseURL == "" {
		if h.tmpDir, err = os.MkdirTemp("", "cohost-harness"); err != nil {
			h.Close(ctx)
			return nil, err
		}
		o.DatabaseURL = "sqlite://" + filepath.Join(h.tmpDir, "cohost.db")
	}
	env["COHOST_DATABASE_URL"] = o.DatabaseURL
	if o.Replicas < 1 {
		o.Replicas = 1
	}
	// Browsers reach cohostd at its public URL (host links): the one
	// replica's own listener, or the round-robin proxy in front of several,
	// so that a host page's requests alternate between them. Both listen
	// before cohostd starts, which must know the URL.
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.Close(ctx)
		return nil, err
	}
	env["COHOST_PUBLIC_URL"] = "http://" + front.Addr().String()
	h.PublicURL = env["COHOST_PUBLIC_URL"]
	// With the host client, the host portal too: the simulator plays the
	// Zoom app hosts sign in with.
	if slices.Contains(strings.Split(env["COHOST_GRANTERS"], ","), config.GranterHostClient) {
		for _, kv := range sim.SignInEnv() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	for k, v := range o.Env {
		env[k] = v
	}
	cfg, err := config.Load(config.FromMap(env))
	if err != nil {
		h.Close(ctx)
		return nil, err
	}
	logs := o.Logs
	if logs == nil {
		logs = io.Discard
	}
	for i := range o.Replicas {
		logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: o.LogLevel})).
			With("service", "cohostd", "replica", i)
		c := server.New(cfg, logger, metrics.BuildInfo{Version: "harness"})
		if o.Replicas == 1 {
			c.HTTPListener = front
		}
		if err := c.Open(ctx); err != nil {
			h.Close(ctx)
			return nil, err
		}
		h.Cohosts = append(h.Cohosts, c)
	}
	h.Cohost = h.Cohosts[0]
	if o.Replicas > 1 {
		h.startProxy(front)
	}
	sim.Sim.SetWebhook(h.WebhookURL(), "")
	return h, nil
}

// PortalURL is the host portal (GET /host/), where hosts sign in with Zoom.
func (h *Harness) PortalURL() string { return h.PublicURL + "/host/" }

// WebhookURL is where the simulator delivers webhooks: the first replica,
// or the proxy in front of the replicas.
func (h *Harness) WebhookURL() string { return h.PublicURL + "/webhooks/zoom" }

// startProxy spreads requests (webhook deliveries, host pages) over the
// replicas in turn, as a Kubernetes Service would. The host page's API
// requests take turns among themselves: on one shared turn, a page whose
// every sync follows exactly one webhook (the role change of its last call)
// would always land on the same replica.
func (h *Harness) startProxy(ln net.Listener) {
	var next, nextHostAPI atomic.Uint64
	proxies := make([]*httputil.ReverseProxy, len(h.Cohosts))
	for i, c := range h.Cohosts {
		u, _ := url.Parse("http://" + c.Addr())
		proxies[i] = httputil.NewSingleHostReverseProxy(u)
	}
	h.served = make([]atomic.Int64, len(proxies))
	h.proxy = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		turn := &next
		if strings.HasPrefix(r.URL.Path, "/host/api/") {
			turn = &nextHostAPI
		}
		i := turn.Add(1) % uint64(len(proxies))
		if turn == &nextHostAPI {
			h.served[i].Add(1)
		}
		proxies[i].ServeHTTP(w, r)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = h.proxy.Serve(ln) }()
}

// Close stops cohostd, then the simulator.
func (h *Harness) Close(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	if h.proxy != nil {
		_ = h.proxy.Close()
	}
	for _, c := range h.Cohosts {
		if c.Store != nil {
			_ = c.Close(ctx)
		}
	}
	if h.Sim != nil {
		_ = h.Sim.Close(ctx)
	}
	if h.tmpDir != "" {
		_ = os.RemoveAll(h.tmpDir)
	}
}

// HostAPIRequests counts the host page API requests each replica served
// behind the round-robin proxy (nil with one replica).
func (h *Harness) HostAPIRequests() []int64 {
	out := make([]int64, len(h.served))
	for i := range h.served {
		out[i] = h.served[i].Load()
	}
	return out
}
