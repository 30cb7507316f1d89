// Package config reads cohostd's configuration from the environment (the
// README's configuration table). Every secret can also be given as
// NAME_FILE, a path to read it from, which is how Kubernetes mounts secrets.
// Load validates everything and reports every problem it finds at once, each
// as one line naming its variable (Problems), so that an operator fixes them
// in one go instead of one per restart.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cohost-dev/cohost/meetingsdk"
	"github.com/cohost-dev/cohost/policy"
)

// Granter names accepted in COHOST_GRANTERS.
const (
	GranterHostClient       = "host-client"
	GranterAgent            = "agent"
	GranterPermissions      = "permissions"
	GranterAlternativeHosts = "alternative-hosts"
)

// Auth modes accepted in ZOOM_AUTH_MODE.
const (
	AuthS2S   = "s2s"
	AuthOAuth = "oauth"
)

// Config is cohostd's validated configuration.
type Config struct {
	Addr        string
	MetricsAddr string
	DatabaseURL Secret

	WebhookSecrets []Secret

	AuthMode     string
	AccountID    string
	ClientID     string
	ClientSecret Secret
	APIURL       string
	OAuthURL     string
	// PublicURL is where Zoom and browsers reach cohostd; the OAuth redirect
	// URI is PublicURL + "/oauth/callback". Needed in oauth mode.
	PublicURL string

	SDKKey    string
	SDKSecret Secret

	AgentURL    string
	AgentSecret Secret

	Granters      []string
	AdminSecret   Secret
	EncryptionKey Secret // 32 raw bytes, decoded from base64
	PolicyFile    string
	LogLevel      slog.Level

	// PrepareLeadTime is how long before a scheduled start cohostd opens the
	// agent session and applies permissions.
	PrepareLeadTime time.Duration
	// ShutdownTimeout bounds a graceful stop: in-flight requests, then the
	// queue softly, then hard.
	ShutdownTimeout time.Duration
	// JobTimeout cancels a job that runs longer; JobRescueAfter hands a job
	// whose worker died (kill -9, lost node) to another worker.
	JobTimeout     time.Duration
	JobRescueAfter time.Duration
	// GrantGiveUpAfter bounds how long a grant is retried after the join.
	GrantGiveUpAfter time.Duration
	// Workers is how many jobs a replica runs at once (COHOST_WORKERS); 0
	// leaves it to the store: eight per connection of the PostgreSQL
	// workers' pool, sixteen per core on SQLite.
	Workers int
	// Retention is how long the grant ledger of ended meetings (meetings,
	// participants with names and emails, granter states) and River's jobs
	// that gave up are kept after their last change.
	Retention time.Duration

	// MeetingSDKURLs are the script URLs of the Web Meeting SDK the host
	// page loads, in order (COHOST_MEETING_SDK_URL).
	MeetingSDKURLs []string
	// MeetingSDKAssetPath is where the SDK loads its WebAssembly and worker
	// files from ("": the SDK's default, Zoom's CDN for its version).
	MeetingSDKAssetPath string
	// HostClientInterval is the least time between two makeCoHost calls of
	// one meeting's host page.
	HostClientInterval time.Duration
	// HostPageWait is how long a grant waits for a host page to connect
	// before the next granter serves the joiner.
	HostPageWait time.Duration

	// The host portal (docs/host-client.md): SignInClientID and
	// SignInClientSecret are the user-managed Zoom app hosts sign in with
	// (ZOOM_SIGNIN_CLIENT_ID, ZOOM_SIGNIN_CLIENT_SECRET; unset: the portal is
	// off); HostSessionTTL is how long a sign-in lasts (COHOST_HOST_SESSION_TTL).
	SignInClientID     string
	SignInClientSecret Secret
	HostSessionTTL     time.Duration
}

// Retention bounds (COHOST_RETENTION).
const (
	DefaultRetention = 30 * 24 * time.Hour
	MinRetention     = 24 * time.Hour
)

// MaxWorkers bounds COHOST_WORKERS: a job is a goroutine and, while it
// runs its statements, a database connection; thousands at once only
// queue.
const MaxWorkers = 1000

// MinAdminSecretBytes is the shortest COHOST_ADMIN_SECRET accepted: an HS256
// key shorter than the hash (32 bytes) can be brute-forced offline from any
// one token.
const MinAdminSecretBytes = 32

// DefaultGranters is COHOST_GRANTERS when it is unset and the host client
// can run (COHOST_PUBLIC_URL and the Meeting SDK credentials are set): the
// real co-host role from the host page, and co-host abilities for joiners of
// meetings not run from it. Without them the default is permissions alone.
const DefaultGranters = GranterHostClient + "," + GranterPermissions

// DefaultMeetingSDKURL is COHOST_MEETING_SDK_URL's default: Zoom's CDN for
// the pinned @zoom/meetingsdk (meetingsdk.Scripts), Component View.
var DefaultMeetingSDKURL = meetingsdk.DefaultScriptURLList()

// Error is a configuration problem with the variable it concerns.
type Error struct {
	Var     string
	Problem string
}

func (e *Error) Error() string { return e.Var + ": " + e.Problem }

func problem(name, format string, args ...any) error {
	return &Error{Var: name, Problem: fmt.Sprintf(format, args...)}
}

// Problems is every configuration problem Load found, in the order it checks
// them; each is one line naming its variable. errors.As finds the first
// *Error in it, errors.Is and errors.As look through all of them.
type Problems []*Error

// Error is one line per problem.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems one by one, for errors.Is and errors.As.
func (ps Problems) Unwrap() []error {
	out := make([]error, len(ps))
	for i, p := range ps {
		out[i] = p
	}
	return out
}

// problems collects what Load finds wrong. A variable that already has a
// problem gets no second one from a later check that depends on its value
// (an unreadable secret file is not also "required").
type problems struct{ list Problems }

func (p *problems) add(err error) {
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Var: "configuration", Problem: err.Error()}
	}
	if !slices.ContainsFunc(p.list, func(o *Error) bool { return *o == *e }) {
		p.list = append(p.list, e)
	}
}

func (p *problems) has(name string) bool {
	return slices.ContainsFunc(p.list, func(e *Error) bool { return e.Var == name || e.Var == name+"_FILE" })
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return p.list
}

// Env looks a variable up; os.LookupEnv in production, a map in tests.
type Env func(name string) (string, bool)

// FromOS reads the process environment.
func FromOS() Env { return os.LookupEnv }

// FromMap reads a map, for tests.
func FromMap(m map[string]string) Env {
	return func(name string) (string, bool) { v, ok := m[name]; return v, ok }
}

// Load reads and validates the configuration.
func Load(env Env) (*Config, error) {
	r := reader{env: env}
	p := &r.problems
	c := &Config{
		Addr:        r.str("COHOST_ADDR", ":8080"),
		MetricsAddr: r.str("COHOST_METRICS_ADDR", ":9090"),
		DatabaseURL: r.secret("COHOST_DATABASE_URL", "sqlite://cohost.db"),
		AuthMode:    r.str("ZOOM_AUTH_MODE", AuthS2S),
		AccountID:   r.str("ZOOM_ACCOUNT_ID", ""),
		ClientID:    r.str("ZOOM_CLIENT_ID", ""),
		APIURL:      strings.TrimRight(r.str("ZOOM_API_URL", "https://api.zoom.us/v2"), "/"),
		OAuthURL:    strings.TrimRight(r.str("ZOOM_OAUTH_URL", "https://zoom.us"), "/"),
		PublicURL:   strings.TrimRight(r.str("COHOST_PUBLIC_URL", ""), "/"),
		SDKKey:      r.str("ZOOM_SDK_KEY", ""),
		AgentURL:    strings.TrimRight(r.str("COHOST_AGENT_URL", ""), "/"),
		PolicyFile:  r.str("COHOST_POLICY_FILE", ""),
	}
	c.ClientSecret = r.secret("ZOOM_CLIENT_SECRET", "")
	c.SDKSecret = r.secret("ZOOM_SDK_SECRET", "")
	c.AgentSecret = r.secret("COHOST_AGENT_SECRET", "")
	c.AdminSecret = r.secret("COHOST_ADMIN_SECRET", "")
	webhookSecrets := r.secret("ZOOM_WEBHOOK_SECRET_TOKEN", "")
	encryptionKey := r.secret("COHOST_ENCRYPTION_KEY", "")
	granters := r.str("COHOST_GRANTERS", "")
	logLevel := r.str("COHOST_LOG_LEVEL", "info")
	c.PrepareLeadTime = r.duration("COHOST_PREPARE_LEAD_TIME", 2*time.Minute)
	c.ShutdownTimeout = r.duration("COHOST_SHUTDOWN_TIMEOUT", 25*time.Second)
	// River's rescuer looks for stuck jobs every 30 s, so a job whose worker
	// died runs again 35–65 s after it started: "about a minute".
	c.JobTimeout = r.duration("COHOST_JOB_TIMEOUT", 25*time.Second)
	c.JobRescueAfter = r.duration("COHOST_JOB_RESCUE_AFTER", 35*time.Second)
	c.GrantGiveUpAfter = r.duration("COHOST_GRANT_GIVE_UP_AFTER", 2*time.Minute)
	c.Retention = r.duration("COHOST_RETENTION", DefaultRetention)
	c.HostClientInterval = r.duration("COHOST_HOST_CLIENT_INTERVAL", time.Second)
	c.HostPageWait = r.duration("COHOST_HOST_PAGE_WAIT", 30*time.Second)
	sdkURLs := r.str("COHOST_MEETING_SDK_URL", DefaultMeetingSDKURL)
	c.MeetingSDKAssetPath = strings.TrimRight(r.str("COHOST_MEETING_SDK_ASSET_PATH", ""), "/")
	c.Workers = r.integer("COHOST_WORKERS", 0)
	c.SignInClientID = r.str("ZOOM_SIGNIN_CLIENT_ID", "")
	c.SignInClientSecret = r.secret("ZOOM_SIGNIN_CLIENT_SECRET", "")
	c.HostSessionTTL = r.duration("COHOST_HOST_SESSION_TTL", DefaultHostSessionTTL)

	for _, s := range strings.Split(string(webhookSecrets), ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.WebhookSecrets = append(c.WebhookSecrets, Secret(s))
		}
	}
	if len(c.WebhookSecrets) == 0 && !p.has("ZOOM_WEBHOOK_SECRET_TOKEN") {
		p.add(problem("ZOOM_WEBHOOK_SECRET_TOKEN", "required: set it (or ZOOM_WEBHOOK_SECRET_TOKEN_FILE) to your Zoom app's secret token, from the app's Features > Access page; several comma-separated during a rotation"))
	}
	for _, v := range []struct{ name, addr string }{{"COHOST_ADDR", c.Addr}, {"COHOST_METRICS_ADDR", c.MetricsAddr}} {
		if _, _, err := net.SplitHostPort(v.addr); err != nil {
			p.add(problem(v.name, "%q is not a listen address like :8080 or 127.0.0.1:8080", v.addr))
		}
	}
	if c.Addr == c.MetricsAddr && !strings.HasSuffix(c.Addr, ":0") {
		p.add(problem("COHOST_METRICS_ADDR", "must differ from COHOST_ADDR (%s)", c.Addr))
	}
	if !p.has("COHOST_DATABASE_URL") {
		p.add(checkDatabaseURL(string(c.DatabaseURL)))
	}
	for _, v := range []struct{ name, u string }{{"ZOOM_API_URL", c.APIURL}, {"ZOOM_OAUTH_URL", c.OAuthURL}} {
		p.add(checkHTTPURL(v.name, v.u))
	}
	if c.AgentURL != "" {
		p.add(checkHTTPURL("COHOST_AGENT_URL", c.AgentURL))
	}
	if c.PublicURL != "" {
		p.add(checkPublicURL(c.PublicURL))
	}

	switch c.AuthMode {
	case AuthS2S:
		if c.AccountID == "" {
			p.add(problem("ZOOM_ACCOUNT_ID", "required with ZOOM_AUTH_MODE=s2s: the account id of your Server-to-Server OAuth app (App Credentials page)"))
		}
	case AuthOAuth:
		if c.PublicURL == "" {
			p.add(problem("COHOST_PUBLIC_URL", "required with ZOOM_AUTH_MODE=oauth: the https URL where Zoom redirects after install (PUBLIC_URL/oauth/callback must be the app's redirect URL)"))
		}
		if encryptionKey == "" && !p.has("COHOST_ENCRYPTION_KEY") {
			p.add(problem("COHOST_ENCRYPTION_KEY", "required with ZOOM_AUTH_MODE=oauth: 32 random bytes, base64 (openssl rand -base64 32); it encrypts stored refresh tokens"))
		}
	default:
		p.add(problem("ZOOM_AUTH_MODE", "%q is not s2s or oauth", c.AuthMode))
	}
	if c.ClientID == "" {
		p.add(problem("ZOOM_CLIENT_ID", "required: the Client ID of your Zoom app (App Credentials page)"))
	}
	if c.ClientSecret == "" && !p.has("ZOOM_CLIENT_SECRET") {
		p.add(problem("ZOOM_CLIENT_SECRET", "required: the Client Secret of your Zoom app (or ZOOM_CLIENT_SECRET_FILE)"))
	}
	if encryptionKey != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(encryptionKey)))
		if err != nil || len(key) != 32 {
			p.add(problem("COHOST_ENCRYPTION_KEY", "must be 32 bytes in standard base64 (openssl rand -base64 32)"))
		} else {
			c.EncryptionKey = Secret(key)
		}
	}

	// A General app's Client ID and Secret are its Meeting SDK credentials
	// (Zoom retired separate SDK keys for new apps), so oauth mode needs no
	// more; a Server-to-Server OAuth app has none and needs ZOOM_SDK_*.
	if c.AuthMode == AuthOAuth && c.SDKKey == "" && c.SDKSecret == "" {
		c.SDKKey, c.SDKSecret = c.ClientID, c.ClientSecret
	}
	if granters == "" {
		granters = GranterPermissions
		if c.PublicURL != "" && c.SDKKey != "" && c.SDKSecret != "" {
			granters = DefaultGranters
		}
	}
	const granterList = "host-client, agent, permissions, alternative-hosts"
	for _, g := range strings.Split(granters, ",") {
		g = strings.TrimSpace(g)
		switch g {
		case GranterHostClient, GranterAgent, GranterPermissions, GranterAlternativeHosts:
		case "":
			continue
		default:
			p.add(problem("COHOST_GRANTERS", "unknown granter %q: use a comma list of %s", g, granterList))
			continue
		}
		if !slices.Contains(c.Granters, g) {
			c.Granters = append(c.Granters, g)
		}
	}
	if len(c.Granters) == 0 && !p.has("COHOST_GRANTERS") {
		p.add(problem("COHOST_GRANTERS", "names no granter: use a comma list of %s", granterList))
	}
	if slices.Contains(c.Granters, GranterHostClient) {
		for _, v := range []struct {
			name, why string
			set       bool
		}{
			{"COHOST_PUBLIC_URL", "host links are URLs under it", c.PublicURL != ""},
			{"ZOOM_SDK_KEY", "the host page starts the meeting with a Meeting SDK signature", c.SDKKey != ""},
			{"ZOOM_SDK_SECRET", "the host page starts the meeting with a Meeting SDK signature", c.SDKSecret != ""},
		} {
			if !v.set && !p.has(v.name) {
				p.add(problem(v.name, "required by the host-client granter (COHOST_GRANTERS=%s): %s", strings.Join(c.Granters, ","), v.why))
			}
		}
		// The host-client granter waits for a page, then hands the joiner to
		// the next granter; a grant that gives up first never gets there,
		// and every joiner of a meeting without a host page fails.
		if !p.has("COHOST_HOST_PAGE_WAIT") && !p.has("COHOST_GRANT_GIVE_UP_AFTER") && c.HostPageWait >= c.GrantGiveUpAfter {
			p.add(problem("COHOST_HOST_PAGE_WAIT", "%s is not shorter than COHOST_GRANT_GIVE_UP_AFTER (%s): every grant would give up while it waits for a host page, so the granters after host-client never serve anyone; lower COHOST_HOST_PAGE_WAIT (default 30s) or raise COHOST_GRANT_GIVE_UP_AFTER (default 2m)",
				c.HostPageWait, c.GrantGiveUpAfter))
		}
	}
	for _, u := range strings.Split(sdkURLs, ",") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		if err := checkScriptURL(u); err != nil {
			p.add(err)
			continue
		}
		c.MeetingSDKURLs = append(c.MeetingSDKURLs, u)
	}
	if c.MeetingSDKAssetPath != "" {
		if err := checkScriptURL(c.MeetingSDKAssetPath); err != nil {
			p.add(problem("COHOST_MEETING_SDK_ASSET_PATH", "%q must be an absolute https URL (http only on localhost): the SDK's lib/av folder", c.MeetingSDKAssetPath))
		}
	}
	if len(c.MeetingSDKURLs) == 0 && !p.has("COHOST_MEETING_SDK_URL") {
		p.add(problem("COHOST_MEETING_SDK_URL", "names no script: give the Web Meeting SDK's script URLs, comma-separated, in load order"))
	}
	if c.HostClientInterval > time.Minute {
		p.add(problem("COHOST_HOST_CLIENT_INTERVAL", "%s is longer than a minute: a storm of joiners would wait hours", c.HostClientInterval))
	}
	if slices.Contains(c.Granters, GranterAgent) {
		for _, v := range []struct {
			name string
			set  bool
		}{
			{"COHOST_AGENT_URL", c.AgentURL != ""},
			{"COHOST_AGENT_SECRET", c.AgentSecret != ""},
			{"ZOOM_SDK_KEY", c.SDKKey != ""},
			{"ZOOM_SDK_SECRET", c.SDKSecret != ""},
		} {
			if !v.set && !p.has(v.name) {
				p.add(problem(v.name, "required by the agent granter (COHOST_GRANTERS=%s)", strings.Join(c.Granters, ",")))
			}
		}
	}

	switch strings.ToLower(logLevel) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		p.add(problem("COHOST_LOG_LEVEL", "%q is not debug, info, warn or error", logLevel))
	}
	if c.JobTimeout <= 0 && !p.has("COHOST_JOB_TIMEOUT") {
		p.add(problem("COHOST_JOB_TIMEOUT", "must be positive"))
	}
	if c.JobRescueAfter <= c.JobTimeout && !p.has("COHOST_JOB_TIMEOUT") && !p.has("COHOST_JOB_RESCUE_AFTER") {
		p.add(problem("COHOST_JOB_RESCUE_AFTER", "must be longer than COHOST_JOB_TIMEOUT (%s), or running jobs would be rescued while still running", c.JobTimeout))
	}
	if c.Workers > MaxWorkers {
		p.add(problem("COHOST_WORKERS", "%d is not between 1 and %d (unset: sized from the cores and the database pool)", c.Workers, MaxWorkers))
	}
	if c.Retention < MinRetention && !p.has("COHOST_RETENTION") {
		p.add(problem("COHOST_RETENTION", "%s is shorter than %s: Zoom re-delivers webhooks for about 85 minutes, and the ledger must outlive them (use a duration like 168h or 720h)", c.Retention, MinRetention))
	}
	if !p.has("COHOST_ADMIN_SECRET") {
		p.add(checkAdminSecret(c.AdminSecret))
	}
	if !p.has("COHOST_HOST_SESSION_TTL") {
		p.add(checkHostPortal(c))
	}
	if c.PolicyFile != "" {
		// Parsed here too (the server parses it again when it starts), so a
		// mistake in it is reported with every other problem, with its line.
		if _, err := policy.Load(c.PolicyFile); err != nil {
			p.add(problem("COHOST_POLICY_FILE", "%v", err))
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// Bounds of COHOST_HOST_SESSION_TTL: a session starts meetings as their
// host, so it is short; long enough to sign in and start one.
const (
	DefaultHostSessionTTL = 8 * time.Hour
	MinHostSessionTTL     = 5 * time.Minute
	MaxHostSessionTTL     = 12 * time.Hour
)

// checkHostPortal checks the host portal's variables: the sign-in app's
// credentials go together, and the portal needs what it starts meetings with
// (the host-client granter, COHOST_PUBLIC_URL) and a public URL where its
// Secure cookies come back.
func checkHostPortal(c *Config) error {
	if c.HostSessionTTL < MinHostSessionTTL || c.HostSessionTTL > MaxHostSessionTTL {
		return problem("COHOST_HOST_SESSION_TTL", "%s is not between %s and %s: a host's sign-in starts meetings as their host", c.HostSessionTTL, MinHostSessionTTL, MaxHostSessionTTL)
	}
	switch {
	case c.SignInClientID == "" && c.SignInClientSecret == "":
		return nil // the portal is off
	case c.SignInClientID == "":
		return problem("ZOOM_SIGNIN_CLIENT_ID", "required with ZOOM_SIGNIN_CLIENT_SECRET: the Client ID of the user-managed Zoom app hosts sign in with (docs/zoom-setup.md)")
	case c.SignInClientSecret == "":
		return problem("ZOOM_SIGNIN_CLIENT_SECRET", "required with ZOOM_SIGNIN_CLIENT_ID: the Client Secret of the sign-in app (or ZOOM_SIGNIN_CLIENT_SECRET_FILE)")
	case !slices.Contains(c.Granters, GranterHostClient):
		return problem("ZOOM_SIGNIN_CLIENT_ID", "the host portal starts meetings on the host page: add host-client to COHOST_GRANTERS (now %s), or unset ZOOM_SIGNIN_CLIENT_ID to turn the portal off", strings.Join(c.Granters, ","))
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || !(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())) {
		return problem("COHOST_PUBLIC_URL", "%q must use https for the host portal (http only on localhost): browsers keep its Secure sign-in cookie only there", c.PublicURL)
	}
	return nil
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// WebhookSecretStrings returns the webhook secrets as plain strings, current first.
func (c *Config) WebhookSecretStrings() []string {
	out := make([]string, len(c.WebhookSecrets))
	for i, s := range c.WebhookSecrets {
		out[i] = string(s)
	}
	return out
}

func checkDatabaseURL(u string) error {
	const name = "COHOST_DATABASE_URL"
	switch {
	case strings.HasPrefix(u, "sqlite://"):
		if strings.TrimPrefix(u, "sqlite://") == "" {
			return problem(name, "sqlite:// needs a file path, like sqlite://cohost.db or sqlite:///data/cohost.db")
		}
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		if _, err := url.Parse(u); err != nil {
			return problem(name, "not a valid postgres:// URL")
		}
	default:
		return problem(name, "must start with sqlite:// (embedded, one replica) or postgres:// (several replicas)")
	}
	return nil
}

// checkScriptURL accepts the host page's SDK scripts: https, or http on a
// loopback host (the simulator, development).
func checkScriptURL(u string) error {
	const name = "COHOST_MEETING_SDK_URL"
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.User != nil {
		return problem(name, "%q is not an absolute script URL", u)
	}
	if !secureScheme(p) {
		return problem(name, "%q must use https (http only on localhost): the host page runs with the host's ZAK", u)
	}
	return nil
}

// checkPublicURL accepts COHOST_PUBLIC_URL: host links (their secret in the
// fragment, the host's ZAK in the page's answers) and the OAuth redirect
// travel under it, so https, or http only on a loopback host
// (development); and cohost appends its own paths to it, so no user,
// query or fragment.
func checkPublicURL(u string) error {
	const name = "COHOST_PUBLIC_URL"
	p, err := url.Parse(u)
	if err != nil || !p.IsAbs() || p.Host == "" {
		return problem(name, "%q is not an absolute URL like https://cohost.example.com", u)
	}
	if !secureScheme(p) {
		return problem(name, "%q must use https (http only on localhost or a loopback address): host links and the host's ZAK travel under it", u)
	}
	if p.User != nil || p.RawQuery != "" || p.ForceQuery || p.Fragment != "" || strings.HasSuffix(u, "#") {
		return problem(name, "%q must have no user, query or fragment: cohost appends its own paths (/host/…, /oauth/callback) to it", u)
	}
	return nil
}

// secureScheme reports whether browsers reach u privately: https, or http
// on a loopback host, which never leaves the machine.
func secureScheme(u *url.URL) bool {
	if u.Scheme == "https" {
		return true
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	return u.Scheme == "http" && (host == "localhost" || ip != nil && ip.IsLoopback())
}

func checkHTTPURL(name, u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return problem(name, "%q is not an http(s) URL", u)
	}
	return nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// reader reads variables and records what is wrong with their form in
// problems, so that Load goes on and reports every problem at once.
type reader struct {
	env      Env
	problems problems
}

func (r *reader) str(name, def string) string {
	if v, ok := r.env(name); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

// secret reads NAME, or the file named by NAME_FILE; setting both is an error
// because one would silently win.
func (r *reader) secret(name, def string) Secret {
	v, hasValue := r.env(name)
	path, hasFile := r.env(name + "_FILE")
	hasValue = hasValue && v != ""
	hasFile = hasFile && path != ""
	switch {
	case hasValue && hasFile:
		r.problems.add(problem(name, "set either %s or %s_FILE, not both", name, name))
		return ""
	case hasFile:
		b, err := os.ReadFile(path)
		if err != nil {
			r.problems.add(problem(name+"_FILE", "cannot read %s: %v", path, unwrapPathError(err)))
			return ""
		}
		s := strings.TrimRight(string(b), "\r\n")
		if s == "" {
			r.problems.add(problem(name+"_FILE", "%s is empty", path))
		}
		return Secret(s)
	case hasValue:
		return Secret(v)
	}
	return Secret(def)
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		r.problems.add(problem(name, "%q is not a duration like 30s or 2m", v))
		return def
	}
	return d
}

func (r *reader) integer(name string, def int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.problems.add(problem(name, "%q is not a whole number", v))
		return def
	}
	if n < 1 {
		r.problems.add(problem(name, "%d is not a positive number", n))
		return def
	}
	return n
}

// Secret is a string that does not print itself: formatting it with %v or %s,
// logging it or marshalling it to JSON shows [redacted].
type Secret string

const redacted = "[redacted]"

func (s Secret) String() string                { return redacted }
func (s Secret) GoString() string              { return redacted }
func (s Secret) LogValue() slog.Value          { return slog.StringValue(redacted) }
func (s Secret) MarshalJSON() ([]byte, error)  { return []byte(`"` + redacted + `"`), nil }
func (s Secret) MarshalText() ([]byte, error)  { return []byte(redacted), nil }
func (s Secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(redacted)) }

// AdminSecret reads only COHOST_ADMIN_SECRET (or its _FILE), for tools that
// need nothing else.
func AdminSecret(env Env) (Secret, error) {
	r := reader{env: env}
	s := r.secret("COHOST_ADMIN_SECRET", "")
	if err := r.problems.err(); err != nil {
		return "", err
	}
	if s == "" {
		return "", problem("COHOST_ADMIN_SECRET", "not set: the admin API is off; set it (or COHOST_ADMIN_SECRET_FILE) to a random string of at least 32 bytes (openssl rand -base64 48)")
	}
	if err := checkAdminSecret(s); err != nil {
		return "", err
	}
	return s, nil
}

// checkAdminSecret refuses a set admin secret shorter than
// MinAdminSecretBytes; unset is fine (the admin API is off).
func checkAdminSecret(s Secret) error {
	if s != "" && len(s) < MinAdminSecretBytes {
		return problem("COHOST_ADMIN_SECRET", "is %d bytes; it must be at least %d random bytes (openssl rand -base64 48), or unset to turn the admin API off", len(s), MinAdminSecretBytes)
	}
	return nil
}
