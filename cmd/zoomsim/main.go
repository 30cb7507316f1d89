// Command zoomsim runs the Zoom simulator (package zoomsim) on one address: Zoom OAuth, the REST
// API under /v2, the co-host agent under /agent, the simulated Web Meeting SDK under /sdk and the
// control API under /_sim/. It seeds an
// account with a licensed host user and prints the environment that points cohostd at it.
//
// Every flag can also be set with the environment variable named in its help (ZOOMSIM_…); a flag
// on the command line wins. Secrets left unset are generated at start and printed.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cohost-dev/cohost/zoomsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain(os.Stdout)
	if err := m.ParseFlags(os.Args[1:], os.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "zoomsim:", err)
		os.Exit(2)
	}
	if err := m.Open(); err != nil {
		fmt.Fprintln(os.Stderr, "zoomsim:", err)
		os.Exit(1)
	}
	<-ctx.Done()
	fmt.Fprintln(m.Out, "zoomsim: shutting down")
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Close(cctx); err != nil {
		fmt.Fprintln(os.Stderr, "zoomsim:", err)
		os.Exit(1)
	}
}

// Main is the program: configuration from flags and environment, then Open, then Close. Tests
// drive it without a process.
type Main struct {
	Out       io.Writer
	Addr      string
	AccountID string
	Config    zoomsim.Config

	server *zoomsim.Server
}

// NewMain returns a Main writing its report to out.
func NewMain(out io.Writer) *Main { return &Main{Out: out} }

// ParseFlags reads args, falling back on getenv for every flag not given.
func (m *Main) ParseFlags(args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("zoomsim", flag.ContinueOnError)
	fs.SetOutput(m.Out)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	str := func(name, envName, def, usage string) *string {
		return fs.String(name, env(envName, def), usage+" ("+envName+")")
	}
	addr := str("addr", "ZOOMSIM_ADDR", "127.0.0.1:9901", "listen address")
	account := str("account-id", "ZOOMSIM_ACCOUNT_ID", "zoomsim-account", "id of the seeded account")
	webhookURL := str("webhook-url", "ZOOMSIM_WEBHOOK_URL", "", "where events go, e.g. http://127.0.0.1:8080/webhooks/zoom")
	webhookSecret := str("webhook-secret", "ZOOMSIM_WEBHOOK_SECRET", "", "webhook secret token (generated when empty)")
	clientID := str("client-id", "ZOOMSIM_CLIENT_ID", "", "OAuth client id (generated when empty)")
	clientSecret := str("client-secret", "ZOOMSIM_CLIENT_SECRET", "", "OAuth client secret (generated when empty)")
	sdkKey := str("sdk-key", "ZOOMSIM_SDK_KEY", "", "Meeting SDK key (generated when empty)")
	sdkSecret := str("sdk-secret", "ZOOMSIM_SDK_SECRET", "", "Meeting SDK secret (generated when empty)")
	agentSecret := str("agent-secret", "ZOOMSIM_AGENT_SECRET", "", "co-host agent JWT secret (generated when empty)")
	agentPrefix := str("agent-prefix", "ZOOMSIM_AGENT_PREFIX", "/agent", "path under which the agent is served")
	timeScale := str("time-scale", "ZOOMSIM_TIME_SCALE", "1", "factor on Zoom's webhook retry delays (0.001: 300ms, 1.2s, 3.6s)")
	seed := str("seed", "ZOOMSIM_SEED", "0", "random seed (0: from the clock)")
	tokenTTL := str("token-ttl", "ZOOMSIM_TOKEN_TTL", "1h", "access token lifetime")
	limits := str("rate-limits", "ZOOMSIM_RATE_LIMITS", "pro", "per-account limits: pro, free or off")
	locked := str("locked-settings", "ZOOMSIM_LOCKED_SETTINGS", "ignore", "answer to a PATCH of a locked setting: ignore (204) or reject (400)")
	idString := str("meeting-id-as-string", "ZOOMSIM_MEETING_ID_AS_STRING", "false", "send payload.object.id as a string")
	joinDelay := str("agent-join-delay", "ZOOMSIM_AGENT_JOIN_DELAY", "500ms", "how long a new agent session answers 202")
	visibility := str("agent-visibility-delay", "ZOOMSIM_AGENT_VISIBILITY_DELAY", "300ms", "how long a joiner stays invisible to the agent (409)")
	agentRate := str("agent-rate", "ZOOMSIM_AGENT_RATE", "0", "co-host calls per second per meeting (0: unlimited)")
	roleDelay := str("role-changed-delay", "ZOOMSIM_ROLE_CHANGED_DELAY", "0s", "delay of meeting.participant_role_changed after a promotion")
	rest5xx := str("rest-5xx-rate", "ZOOMSIM_REST_5XX_RATE", "0", "probability of a 500 on REST and token calls")
	restLatency := str("rest-latency", "ZOOMSIM_REST_LATENCY", "0s", "latency added to REST and token calls")
	agent5xx := str("agent-5xx-rate", "ZOOMSIM_AGENT_5XX_RATE", "0", "probability of a 500 from the agent")
	dupRate := str("webhook-duplicate-rate", "ZOOMSIM_WEBHOOK_DUPLICATE_RATE", "0", "probability that an event is delivered twice")
	reorder := str("webhook-reorder-window", "ZOOMSIM_WEBHOOK_REORDER_WINDOW", "0s", "random delay below this on first attempts (reorders events)")
	logLevel := str("log-level", "ZOOMSIM_LOG_LEVEL", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	var errs []error
	dur := func(name, v string) time.Duration {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("-%s %q: want a duration like 250ms", name, v))
		}
		return d
	}
	prob := func(name, v string) float64 {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			errs = append(errs, fmt.Errorf("-%s %q: want a probability 0..1", name, v))
		}
		return f
	}
	scale, err := strconv.ParseFloat(*timeScale, 64)
	if err != nil || scale <= 0 {
		errs = append(errs, fmt.Errorf("-time-scale %q: want a positive number", *timeScale))
	}
	seedN, err := strconv.ParseUint(*seed, 10, 64)
	if err != nil {
		errs = append(errs, fmt.Errorf("-seed %q: want an unsigned integer", *seed))
	}
	rate, err := strconv.Atoi(*agentRate)
	if err != nil || rate < 0 {
		errs = append(errs, fmt.Errorf("-agent-rate %q: want a count >= 0", *agentRate))
	}
	asString, err := strconv.ParseBool(*idString)
	if err != nil {
		errs = append(errs, fmt.Errorf("-meeting-id-as-string %q: want true or false", *idString))
	}
	var rl zoomsim.RateLimits
	switch *limits {
	case "pro":
		rl = zoomsim.ProLimits()
	case "free":
		rl = zoomsim.FreeLimits()
	case "off":
	default:
		errs = append(errs, fmt.Errorf("-rate-limits %q: want pro, free or off", *limits))
	}
	mode := zoomsim.LockedSettingsMode(*locked)
	if mode != zoomsim.LockedSettingsIgnore && mode != zoomsim.LockedSettingsReject {
		errs = append(errs, fmt.Errorf("-locked-settings %q: want ignore or reject", *locked))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		errs = append(errs, fmt.Errorf("-log-level %q: want debug, info, warn or error", *logLevel))
	}
	ttl := dur("token-ttl", *tokenTTL)
	if ttl == 0 {
		errs = append(errs, errors.New("-token-ttl must be positive"))
	}
	if *account == "" {
		errs = append(errs, errors.New("-account-id must not be empty"))
	}
	cfg := zoomsim.Config{
		WebhookURL:        *webhookURL,
		WebhookSecret:     orRandom(*webhookSecret),
		ClientID:          orRandom(*clientID),
		ClientSecret:      orRandom(*clientSecret),
		SDKKey:            orRandom(*sdkKey),
		SDKSecret:         orRandom(*sdkSecret),
		AgentSecret:       orRandom(*agentSecret),
		AgentPrefix:       *agentPrefix,
		TimeScale:         scale,
		Seed:              seedN,
		TokenTTL:          ttl,
		RateLimits:        &rl,
		LockedSettings:    mode,
		MeetingIDAsString: asString,
		Agent: zoomsim.AgentConfig{
			JoinDelay:           dur("agent-join-delay", *joinDelay),
			VisibilityDelay:     dur("agent-visibility-delay", *visibility),
			PromotionsPerSecond: rate,
			RoleChangedDelay:    dur("role-changed-delay", *roleDelay),
		},
		Faults: zoomsim.Faults{
			REST5xxRate:          prob("rest-5xx-rate", *rest5xx),
			RESTLatency:          dur("rest-latency", *restLatency),
			Agent5xxRate:         prob("agent-5xx-rate", *agent5xx),
			WebhookDuplicateRate: prob("webhook-duplicate-rate", *dupRate),
			WebhookReorderWindow: dur("webhook-reorder-window", *reorder),
		},
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	m.Addr, m.AccountID, m.Config = *addr, *account, cfg
	return nil
}

func orRandom(v string) string {
	if v != "" {
		return v
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// Open starts serving, seeds the account and its host, and prints what it serves.
func (m *Main) Open() error {
	srv, err := zoomsim.Start(m.Config, m.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", m.Addr, err)
	}
	m.server = srv
	acct, host, err := srv.AddDefaultAccount(m.AccountID)
	if err != nil {
		_ = srv.Close(context.Background())
		return err
	}
	w := m.Out
	fmt.Fprintf(w, "zoomsim: serving a simulated Zoom on %s\n", srv.URL)
	fmt.Fprintf(w, "  OAuth    %s/oauth/token, %s/oauth/authorize\n", srv.OAuthURL(), srv.OAuthURL())
	fmt.Fprintf(w, "  REST     %s\n", srv.APIURL())
	fmt.Fprintf(w, "  agent    %s (contract: %s/openapi.yaml)\n", srv.AgentURL(), srv.AgentURL())
	fmt.Fprintf(w, "  web SDK  %s (COHOST_MEETING_SDK_URL for a host page)\n", srv.SDKScriptURL())
	fmt.Fprintf(w, "  control  %s/\n", srv.ControlURL())
	fmt.Fprintf(w, "  account  %s, host %s (user id %s, licensed)\n", acct.ID, host.Email, host.ID)
	target := m.Config.WebhookURL
	if target == "" {
		target = "nowhere yet: PUT " + srv.ControlURL() + `/webhook {"url": "…"}`
	}
	fmt.Fprintf(w, "  webhooks %s\n\n", target)
	fmt.Fprintln(w, "# environment for cohostd:")
	fmt.Fprintln(w, strings.Join(srv.Env(acct.ID), "\n"))
	fmt.Fprintln(w, "# the host portal (/host/: sign in with the simulator), with host-client among COHOST_GRANTERS:")
	fmt.Fprintln(w, strings.Join(srv.SignInEnv(), "\n"))
	return nil
}

// URL is where the simulator serves, once open.
func (m *Main) URL() string {
	if m.server == nil {
		return ""
	}
	return m.server.URL
}

// Close stops serving and waits, until ctx is done, for work under way.
func (m *Main) Close(ctx context.Context) error {
	if m.server == nil {
		return nil
	}
	return m.server.Close(ctx)
}
