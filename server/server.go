// Package server wires cohostd together: configuration, store and queue,
// engine, HTTP and metrics listeners, and the graceful stop. cmd/cohostd is a
// thin shell around it, and end-to-end tests, the demo and the benchmarks run
// the same Server in-process.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river/rivertype"

	"github.com/cohost-dev/cohost/agentclient"
	"github.com/cohost-dev/cohost/config"
	"github.com/cohost-dev/cohost/engine"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/granters"
	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/hostportal"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/policy"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/web"
	"github.com/cohost-dev/cohost/webhook"
	"github.com/cohost-dev/cohost/zoomclient"
)

// DefaultAgentDisplayName is the name the co-host agent joins meetings with
// unless the policy file sets agent_display_name.
const DefaultAgentDisplayName = "cohost"

// Server is a running cohostd.
type Server struct {
	Config *config.Config
	Logger *slog.Logger
	Build  metrics.BuildInfo

	Store *store.Store
	Zoom  *zoomclient.Client
	// Hosts is the host client (host links, the host page's protocol); nil
	// unless host-client is among the granters.
	Hosts    *hostclient.Service
	Registry *prometheus.Registry
	intake   *engine.Intake

	// HTTPListener, when set before Open, is the listener cohostd serves on
	// instead of listening on COHOST_ADDR (tests that must know the address,
	// and so COHOST_PUBLIC_URL, before cohostd starts).
	HTTPListener net.Listener

	httpLn, metricsLn   net.Listener
	httpSrv, metricsSrv *http.Server
	draining            atomic.Bool
	stopPrune           context.CancelFunc
	stopUI              context.CancelFunc // River UI's background counts
	wg                  sync.WaitGroup
}

// New returns a Server for cfg; Open starts it.
func New(cfg *config.Config, logger *slog.Logger, build metrics.BuildInfo) *Server {
	return &Server{Config: cfg, Logger: logger, Build: build}
}

// Open connects to the database (applying migrations), starts the queue's
// workers and listens on the HTTP and metrics addresses.
func (s *Server) Open(ctx context.Context) error {
	cfg := s.Config
	s.Registry = prometheus.NewRegistry()
	metrics.RegisterRuntime(s.Registry)
	m := metrics.New(s.Registry, s.Build)
	var err error

	pol := &grant.Policy{}
	if cfg.PolicyFile != "" {
		if pol, err = policy.Load(cfg.PolicyFile); err != nil {
			return fmt.Errorf("COHOST_POLICY_FILE: %w", err)
		}
	}
	if pol.AgentDisplayName == "" {
		pol.AgentDisplayName = DefaultAgentDisplayName
	}
	// One direction: the store, then what needs it (the Zoom client, the
	// granters), then the engine over all of them, then the workers.
	st, err := store.Open(ctx, string(cfg.DatabaseURL), store.Options{
		Logger:    riverLogger(s.Logger),
		Queue:     store.QueueConfig{JobTimeout: cfg.JobTimeout, RescueAfter: cfg.JobRescueAfter},
		Retention: store.Retention{Ledger: cfg.Retention},
	})
	if err != nil {
		return fmt.Errorf("COHOST_DATABASE_URL: %w", err)
	}
	s.Store = st
	s.Registry.MustRegister(metrics.NewQueueCollector(st.JobCounts))
	s.Registry.MustRegister(metrics.NewLedgerCollector(st.PendingGrants, st.LiveMeetings))

	zc, err := s.zoomClient(st)
	if err != nil {
		st.Close()
		return err
	}
	s.Zoom = zc
	var hosts *hostclient.Service
	if i := slices.Index(cfg.Granters, config.GranterHostClient); i >= 0 {
		hosts = &hostclient.Service{
			Store: st, Zoom: zc, Policy: pol, PublicURL: cfg.PublicURL, SDKKey: cfg.SDKKey, SDKSecret: string(cfg.SDKSecret),
			Interval: cfg.HostClientInterval, Wait: cfg.HostPageWait, GiveUpAfter: cfg.GrantGiveUpAfter,
			Metrics: m, Logger: s.Logger.With("component", "host-client"),
		}
		if i+1 < len(cfg.Granters) {
			hosts.Next = cfg.Granters[i+1]
		}
	}
	s.Hosts = hosts
	gs, err := s.granters(zc, pol, hosts)
	if err != nil {
		st.Close()
		return err
	}
	portal, err := s.hostPortal(zc, st, hosts)
	if err != nil {
		st.Close()
		return err
	}
	oauth := handlers.NewOAuthInstall(zc, s.Logger)
	eng, err := engine.New(engine.Config{
		Store:        st,
		Granters:     gs,
		Policy:       pol,
		Metrics:      m,
		Logger:       s.Logger,
		LeadTime:     cfg.PrepareLeadTime,
		GiveUpAfter:  cfg.GrantGiveUpAfter,
		Deauthorize:  oauth.HandleAppDeauthorized,
		RoleRequests: roleRequests(hosts),
	})
	if err != nil {
		st.Close()
		return err
	}
	// The intake before the workers: they give way to its backlog.
	s.intake = engine.NewIntake(st, engine.IntakeOptions{})
	// River ties the workers' life to this context; the open deadline must
	// not stop them later.
	if err := st.StartWorkers(context.WithoutCancel(ctx), store.WorkerOptions{
		Workers: eng.Workers(), RetryPolicy: engine.RetryPolicy{}, MaxWorkers: cfg.Workers,
		// A job about to start first gives way to waiting webhooks, then runs
		// inside the failure handling (its log, count and settling).
		Middleware: append([]rivertype.Middleware{engine.NewAcksFirst(s.intake)}, eng.Middleware()...),
	}); err != nil {
		s.intake.Close()
		st.Close()
		return fmt.Errorf("start queue: %w", err)
	}

	admin := handlers.NewAdmin(st, []byte(cfg.AdminSecret), s.Logger).WithPublicURL(cfg.PublicURL)
	var ui handlers.RiverUIHandler
	if admin.Enabled() {
		if ui, err = st.RiverUI(handlers.RiverUIPath, s.Logger.With("component", "riverui")); err != nil {
			s.abort()
			return fmt.Errorf("river UI: %w", err)
		}
	}
	uiCtx, stopUI := context.WithCancel(context.Background())
	s.stopUI = stopUI
	router := handlers.Router(handlers.Deps{
		Secrets: webhook.Secrets(cfg.WebhookSecretStrings()),
		Intake:  s.intake,
		Ready:   s.ready,
		Metrics: m,
		Logger:  s.Logger,
		Mount: func(r chi.Router) {
			if cfg.AuthMode == config.AuthOAuth {
				oauth.Mount(r)
			}
			// Mounted even without a secret: /v1 and /riverui then answer that the admin API is
			// off, and /console says how to turn it on.
			if hosts != nil {
				admin.WithHostLinks(hosts).WithHostPages(hosts)
				(&handlers.HostPage{Files: hostPageFiles{scripts: cfg.MeetingSDKURLs, assets: cfg.MeetingSDKAssetPath},
					Client: hosts, Logger: s.Logger}).Mount(r)
			}
			// Mounted while off too: /host/ then says how to turn it on.
			(&handlers.HostPortal{Portal: portal, PublicURL: cfg.PublicURL, Off: hostportal.OffDetail, Metrics: m,
				Logger: s.Logger.With("component", "host-portal")}).Mount(r)
			admin.Mount(r)
			admin.MountConsole(r, consoleFiles{})
			admin.MountRiverUI(uiCtx, r, ui)
		},
	})
	if s.HTTPListener != nil {
		s.httpLn = s.HTTPListener
	} else if s.httpLn, err = net.Listen("tcp", cfg.Addr); err != nil {
		s.abort()
		return fmt.Errorf("COHOST_ADDR: listen on %s: %w", cfg.Addr, err)
	}
	if s.metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
		s.abort()
		return fmt.Errorf("COHOST_METRICS_ADDR: listen on %s: %w", cfg.MetricsAddr, err)
	}
	s.httpSrv = newHTTPServer(router, s.Logger)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{Registry: s.Registry}))
	s.metricsSrv = newHTTPServer(mux, s.Logger)
	s.serve(s.httpSrv, s.httpLn)
	s.serve(s.metricsSrv, s.metricsLn)

	pruneCtx, cancel := context.WithCancel(context.Background())
	s.stopPrune = cancel
	s.wg.Add(1)
	go s.pruneLoop(pruneCtx)

	s.Logger.Info("cohostd started", "addr", s.httpLn.Addr().String(), "metrics_addr", s.metricsLn.Addr().String(),
		"database", st.Engine(), "workers", st.MaxWorkers(), "granters", cfg.Granters, "auth_mode", cfg.AuthMode, "version", s.Build.Version)
	return nil
}

// newHTTPServer bounds what a client can hold open or send, on both
// listeners: a slow or idle client (or one sending endless headers) cannot
// pin a connection and a goroutine for ever. The metrics port is as exposed
// to whatever can reach it as the main one.
func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       120 * time.Second,
		// Zoom's headers are a few hundred bytes; the admin API's bearer
		// tokens at most 4 KiB.
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// Addr is the address the HTTP listener is bound to (useful with port 0).
func (s *Server) Addr() string { return s.httpLn.Addr().String() }

// MetricsAddr is the address the metrics listener is bound to.
func (s *Server) MetricsAddr() string { return s.metricsLn.Addr().String() }

func (s *Server) serve(srv *http.Server, ln net.Listener) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("listener stopped", "addr", ln.Addr().String(), "error", err.Error())
		}
	}()
}

// readyWriteTimeout bounds readiness's test write, inside the probe's own
// time-out.
const readyWriteTimeout = 1500 * time.Millisecond

// ready reports whether webhooks can be stored now: not draining, and the
// database commits a write (a database that answers but cannot write, such
// as SQLite on a full disk, must not look ready).
func (s *Server) ready(ctx context.Context) error {
	if s.draining.Load() {
		return errors.New("shutting down")
	}
	ctx, cancel := context.WithTimeout(ctx, readyWriteTimeout)
	defer cancel()
	if err := s.Store.CheckWritable(ctx, time.Now()); err != nil {
		return fmt.Errorf("database not writable: %w", err)
	}
	return nil
}

// Close stops gracefully within ctx: readiness turns false, the HTTP server
// stops accepting and finishes in-flight requests (every acked webhook is
// already stored), then the queue stops softly (running jobs finish) and, if
// time runs short, hard (running jobs are cancelled and retried later).
func (s *Server) Close(ctx context.Context) error {
	s.draining.Store(true)
	s.Logger.Info("cohostd stopping")
	var errs []error
	if s.httpSrv != nil {
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	if s.intake != nil {
		s.intake.Close()
	}
	if s.stopPrune != nil {
		s.stopPrune()
	}
	if s.stopUI != nil {
		s.stopUI()
	}
	if s.Store != nil {
		soft := time.Until(deadlineOr(ctx, time.Now().Add(20*time.Second))) / 2
		if err := s.Store.Stop(ctx, soft); err != nil {
			errs = append(errs, fmt.Errorf("queue stop: %w", err))
		}
	}
	if s.metricsSrv != nil {
		_ = s.metricsSrv.Shutdown(ctx)
	}
	s.wg.Wait()
	if s.Store != nil {
		s.Store.Close()
	}
	s.Logger.Info("cohostd stopped")
	return errors.Join(errs...)
}

func (s *Server) abort() {
	if s.stopUI != nil {
		s.stopUI()
	}
	if s.httpLn != nil {
		_ = s.httpLn.Close()
	}
	if s.intake != nil {
		s.intake.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.Store.Stop(ctx, time.Second)
	s.Store.Close()
}

// pruneLoop applies the retention (store.Retention) a minute after the
// start, so a replica that restarts often still prunes, and every hour
// after. On PostgreSQL every replica prunes; the deletes are idempotent.
func (s *Server) pruneLoop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			t.Reset(time.Hour)
			res, err := s.Store.Prune(ctx, time.Now())
			if err != nil {
				s.Logger.Warn("prune failed; retried in an hour", "error", err.Error())
				continue
			}
			if res.Total() > 0 {
				s.Logger.Info("pruned rows past their retention", "deliveries", res.Deliveries, "events", res.Events,
					"meetings", res.Meetings, "participants", res.Participants, "granter_states", res.GranterStates,
					"queued_alternative_hosts", res.QueuedAlternativeHosts, "host_client", res.HostClient, "host_portal", res.HostPortal)
			}
		}
	}
}

func deadlineOr(ctx context.Context, def time.Time) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return def
}

// riverLogger quiets River's own info logs (one per job) to warnings.
func riverLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelFloor{l.Handler(), slog.LevelWarn}).With("component", "river")
}

type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}
func (h levelFloor) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(a), h.min}
}
func (h levelFloor) WithGroup(n string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(n), h.min}
}

// zoomClient builds the Zoom REST client for the configured auth mode, with
// tokens shared through the store.
func (s *Server) zoomClient(st *store.Store) (*zoomclient.Client, error) {
	cfg := s.Config
	zm, err := zoomclient.NewMetrics(s.Registry)
	if err != nil {
		return nil, err
	}
	zcfg := zoomclient.Config{
		Mode:         zoomclient.ModeS2S,
		AccountID:    cfg.AccountID,
		ClientID:     cfg.ClientID,
		ClientSecret: string(cfg.ClientSecret),
		APIURL:       cfg.APIURL,
		OAuthURL:     cfg.OAuthURL,
		Store:        st,
		Logger:       s.Logger.With("component", "zoomclient"),
		Metrics:      zm,
	}
	if len(cfg.EncryptionKey) > 0 {
		if zcfg.Sealer, err = zoomclient.NewSealer([]byte(cfg.EncryptionKey)); err != nil {
			return nil, fmt.Errorf("COHOST_ENCRYPTION_KEY: %w", err)
		}
	}
	if cfg.AuthMode == config.AuthOAuth {
		zcfg.Mode = zoomclient.ModeOAuth
		zcfg.RedirectURL = cfg.PublicURL + "/oauth/callback"
	}
	zc, err := zoomclient.New(zcfg)
	if err != nil {
		return nil, fmt.Errorf("zoom client: %w", err)
	}
	return zc, nil
}

// granters builds the granters COHOST_GRANTERS names, in its order.
func (s *Server) granters(zc *zoomclient.Client, pol *grant.Policy, hosts *hostclient.Service) ([]grant.Granter, error) {
	cfg := s.Config
	var out []grant.Granter
	for _, name := range cfg.Granters {
		switch name {
		case config.GranterAgent:
			ac, err := agentclient.New(agentclient.Config{BaseURL: cfg.AgentURL, Secret: []byte(cfg.AgentSecret)})
			if err != nil {
				return nil, fmt.Errorf("COHOST_AGENT_URL: %w", err)
			}
			out = append(out, &granters.Agent{
				Client:      ac,
				SDKKey:      cfg.SDKKey,
				SDKSecret:   string(cfg.SDKSecret),
				DisplayName: pol.AgentDisplayName,
				Zoom:        zc,
				Logger:      s.Logger.With("component", "agent"),
			})
		case config.GranterHostClient:
			out = append(out, hosts.Granter())
		case config.GranterPermissions:
			out = append(out, granters.NewPermissions(zc, s.Store, s.Logger.With("component", "permissions")))
		case config.GranterAlternativeHosts:
			out = append(out, granters.NewAlternativeHosts(zc, s.Store, s.Logger.With("component", "alternative-hosts")))
		}
	}
	return out, nil
}

// roleRequests is the host client as the engine asks it who requested a
// role, or nil (not a nil *Service in an interface) when it is off.
func roleRequests(hosts *hostclient.Service) engine.RoleRequests {
	if hosts == nil {
		return nil
	}
	return hosts
}

// hostPortal builds the host portal when a sign-in app is configured
// (config checks that the host client and COHOST_PUBLIC_URL are there too);
// otherwise it says in the log that the portal is off, and returns nil,
// which the portal's routes answer with how to turn it on.
func (s *Server) hostPortal(zc *zoomclient.Client, st *store.Store, hosts *hostclient.Service) (*hostportal.Portal, error) {
	cfg := s.Config
	if cfg.SignInClientID == "" || hosts == nil {
		s.Logger.Info("host portal off: set ZOOM_SIGNIN_CLIENT_ID and ZOOM_SIGNIN_CLIENT_SECRET (a user-managed Zoom app) to let hosts sign in at /host/")
		return nil, nil
	}
	signIn, err := zc.SignIn(zoomclient.SignInConfig{ClientID: cfg.SignInClientID, ClientSecret: string(cfg.SignInClientSecret),
		RedirectURL: cfg.PublicURL + handlers.PortalCallbackPath})
	if err != nil {
		return nil, fmt.Errorf("ZOOM_SIGNIN_CLIENT_ID: %w", err)
	}
	var accounts hostportal.Accounts = hostportal.OneAccount(cfg.AccountID)
	if cfg.AuthMode == config.AuthOAuth {
		accounts = hostportal.InstalledAccounts{Tokens: st}
	}
	s.Logger.Info("host portal on", "url", cfg.PublicURL+handlers.PortalPath, "session_ttl", cfg.HostSessionTTL.String())
	return &hostportal.Portal{SignIn: signIn, StateKey: hostportal.StateKeyFrom(string(cfg.SignInClientSecret)), Store: st, Zoom: zc,
		Accounts: accounts, Links: hosts, SessionTTL: cfg.HostSessionTTL, Logger: s.Logger.With("component", "host-portal")}, nil
}

// hostPageFiles serves package web's host page with the configured SDK.
type hostPageFiles struct {
	scripts []string
	assets  string // COHOST_MEETING_SDK_ASSET_PATH
}

func (f hostPageFiles) Render(w io.Writer, meetingID string) error {
	return web.RenderHostPage(w, web.HostPageData{MeetingID: meetingID, SDKScripts: f.scripts, AssetBase: "/host/assets",
		SDKAssetPath: f.assets})
}
func (f hostPageFiles) Assets() fs.FS { return web.HostAssets() }

// CSP allows the asset path's origin like the scripts'.
func (f hostPageFiles) CSP() string {
	if f.assets == "" {
		return web.HostCSP(f.scripts)
	}
	return web.HostCSP(append(append([]string(nil), f.scripts...), f.assets+"/"))
}

// consoleFiles serves package web's operator console.
type consoleFiles struct{}

func (consoleFiles) Render(w io.Writer, adminOff string) error {
	return web.RenderConsole(w, web.ConsoleData{AssetBase: handlers.ConsolePath + "/assets", AdminOff: adminOff})
}
func (consoleFiles) Assets() fs.FS { return web.ConsoleAssets() }
func (consoleFiles) CSP() string   { return web.ConsoleCSP() }
