package config_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/config"
)

func minimal() map[string]string {
	return map[string]string{
		"ZOOM_WEBHOOK_SECRET_TOKEN": "whsec",
		"ZOOM_ACCOUNT_ID":           "acct",
		"ZOOM_CLIENT_ID":            "cid",
		"ZOOM_CLIENT_SECRET":        "csecret",
	}
}

func with(kv ...string) map[string]string {
	m := minimal()
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "<unset>" {
			delete(m, kv[i])
			continue
		}
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestLoadDefaults(t *testing.T) {
	c, err := config.Load(config.FromMap(minimal()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.MetricsAddr != ":9090" || string(c.DatabaseURL) != "sqlite://cohost.db" ||
		c.AuthMode != "s2s" || c.APIURL != "https://api.zoom.us/v2" || c.OAuthURL != "https://zoom.us" ||
		c.LogLevel != slog.LevelInfo || len(c.Granters) != 1 || c.Granters[0] != "permissions" ||
		c.Retention != 30*24*time.Hour {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	// An agent is never the default: Zoom's Meeting SDK is for people, and
	// the agent is an operator's own client.
	c, err = config.Load(config.FromMap(with("COHOST_AGENT_URL", "http://agent:8081", "COHOST_AGENT_SECRET", "a",
		"ZOOM_SDK_KEY", "k", "ZOOM_SDK_SECRET", "s")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Granters, ",") != "permissions" {
		t.Fatalf("granters with an agent = %v, want [permissions]", c.Granters)
	}
	// With a public URL and SDK credentials, the host client leads.
	c, err = config.Load(config.FromMap(with("COHOST_PUBLIC_URL", "https://cohost.example.com", "ZOOM_SDK_KEY", "k", "ZOOM_SDK_SECRET", "s")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Granters, ",") != config.DefaultGranters || strings.Join(c.MeetingSDKURLs, ",") != config.DefaultMeetingSDKURL ||
		c.HostClientInterval != time.Second || c.HostPageWait != 30*time.Second {
		t.Fatalf("host-client defaults: granters %v, sdk %v, interval %s, wait %s", c.Granters, c.MeetingSDKURLs, c.HostClientInterval, c.HostPageWait)
	}
	// In oauth mode the General app's credentials are its SDK credentials.
	c, err = config.Load(config.FromMap(with("ZOOM_AUTH_MODE", "oauth", "COHOST_PUBLIC_URL", "https://cohost.example.com",
		"COHOST_ENCRYPTION_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Granters, ",") != config.DefaultGranters || c.SDKKey != "cid" || string(c.SDKSecret) != "csecret" {
		t.Fatalf("oauth defaults: granters %v, sdk key %q", c.Granters, c.SDKKey)
	}
}

func TestLoadRejects(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
	}{
		{"no webhook secret", with("ZOOM_WEBHOOK_SECRET_TOKEN", "<unset>"), "ZOOM_WEBHOOK_SECRET_TOKEN"},
		{"blank webhook secret list", with("ZOOM_WEBHOOK_SECRET_TOKEN", " , "), "ZOOM_WEBHOOK_SECRET_TOKEN"},
		{"secret and file both", with("ZOOM_CLIENT_SECRET_FILE", empty), "ZOOM_CLIENT_SECRET"},
		{"secret file missing", with("ZOOM_WEBHOOK_SECRET_TOKEN", "<unset>", "ZOOM_WEBHOOK_SECRET_TOKEN_FILE", filepath.Join(dir, "nope")), "ZOOM_WEBHOOK_SECRET_TOKEN_FILE"},
		{"secret file empty", with("ZOOM_WEBHOOK_SECRET_TOKEN", "<unset>", "ZOOM_WEBHOOK_SECRET_TOKEN_FILE", empty), "ZOOM_WEBHOOK_SECRET_TOKEN_FILE"},
		{"bad addr", with("COHOST_ADDR", "8080"), "COHOST_ADDR"},
		{"same addrs", with("COHOST_ADDR", ":9090"), "COHOST_METRICS_ADDR"},
		{"bad database scheme", with("COHOST_DATABASE_URL", "mysql://x"), "COHOST_DATABASE_URL"},
		{"sqlite without path", with("COHOST_DATABASE_URL", "sqlite://"), "COHOST_DATABASE_URL"},
		{"bad api url", with("ZOOM_API_URL", "ftp://zoom"), "ZOOM_API_URL"},
		{"bad agent url", with("COHOST_AGENT_URL", "agent:8081"), "COHOST_AGENT_URL"},
		{"bad auth mode", with("ZOOM_AUTH_MODE", "jwt"), "ZOOM_AUTH_MODE"},
		{"s2s without account", with("ZOOM_ACCOUNT_ID", "<unset>"), "ZOOM_ACCOUNT_ID"},
		{"no client id", with("ZOOM_CLIENT_ID", "<unset>"), "ZOOM_CLIENT_ID"},
		{"no client secret", with("ZOOM_CLIENT_SECRET", "<unset>"), "ZOOM_CLIENT_SECRET"},
		{"oauth without public url", with("ZOOM_AUTH_MODE", "oauth", "COHOST_ENCRYPTION_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="), "COHOST_PUBLIC_URL"},
		{"oauth without key", with("ZOOM_AUTH_MODE", "oauth", "COHOST_PUBLIC_URL", "https://cohost.example.com"), "COHOST_ENCRYPTION_KEY"},
		{"short key", with("COHOST_ENCRYPTION_KEY", "c2hvcnQ="), "COHOST_ENCRYPTION_KEY"},
		{"unknown granter", with("COHOST_GRANTERS", "permissions,magic"), "COHOST_GRANTERS"},
		{"agent granter without agent", with("COHOST_GRANTERS", "agent"), "COHOST_AGENT_URL"},
		{"agent without sdk secret", with("COHOST_GRANTERS", "agent", "COHOST_AGENT_URL", "http://a", "COHOST_AGENT_SECRET", "s", "ZOOM_SDK_KEY", "k"), "ZOOM_SDK_SECRET"},
		{"host-client without a public url", with("COHOST_GRANTERS", "host-client", "ZOOM_SDK_KEY", "k", "ZOOM_SDK_SECRET", "s"), "COHOST_PUBLIC_URL"},
		{"host-client without sdk key", with("COHOST_GRANTERS", "host-client,permissions", "COHOST_PUBLIC_URL", "https://c.example.com"), "ZOOM_SDK_KEY"},
		{"sdk url over http", with("COHOST_MEETING_SDK_URL", "http://cdn.example.com/sdk.js"), "COHOST_MEETING_SDK_URL"},
		{"sdk url relative", with("COHOST_MEETING_SDK_URL", "/sdk.js"), "COHOST_MEETING_SDK_URL"},
		{"sdk url blank list", with("COHOST_MEETING_SDK_URL", " , "), "COHOST_MEETING_SDK_URL"},
		{"sdk asset path over http", with("COHOST_MEETING_SDK_ASSET_PATH", "http://cdn.example.com/lib/av"), "COHOST_MEETING_SDK_ASSET_PATH"},
		{"host client interval too long", with("COHOST_HOST_CLIENT_INTERVAL", "2m"), "COHOST_HOST_CLIENT_INTERVAL"},
		{"bad host page wait", with("COHOST_HOST_PAGE_WAIT", "a while"), "COHOST_HOST_PAGE_WAIT"},
		{"bad log level", with("COHOST_LOG_LEVEL", "loud"), "COHOST_LOG_LEVEL"},
		{"bad duration", with("COHOST_SHUTDOWN_TIMEOUT", "soon"), "COHOST_SHUTDOWN_TIMEOUT"},
		{"rescue shorter than timeout", with("COHOST_JOB_TIMEOUT", "30s", "COHOST_JOB_RESCUE_AFTER", "10s"), "COHOST_JOB_RESCUE_AFTER"},
		{"missing policy file", with("COHOST_POLICY_FILE", filepath.Join(dir, "policy.yaml")), "COHOST_POLICY_FILE"},
		{"retention shorter than a day", with("COHOST_RETENTION", "1h"), "COHOST_RETENTION"},
		{"short admin secret", with("COHOST_ADMIN_SECRET", "12345"), "COHOST_ADMIN_SECRET"},
		{"31-byte admin secret", with("COHOST_ADMIN_SECRET", strings.Repeat("k", 31)), "COHOST_ADMIN_SECRET"},
		{"retention not a duration", with("COHOST_RETENTION", "30 days"), "COHOST_RETENTION"},
		{"negative retention", with("COHOST_RETENTION", "-24h"), "COHOST_RETENTION"},
		{"workers not a number", with("COHOST_WORKERS", "many"), "COHOST_WORKERS"},
		{"no workers", with("COHOST_WORKERS", "0"), "COHOST_WORKERS"},
		{"too many workers", with("COHOST_WORKERS", "100000"), "COHOST_WORKERS"},
		// COHOST_PUBLIC_URL carries host links and the host's ZAK: https only,
		// http on loopback, and nothing cohost could not append a path to.
		{"public url over http", with("COHOST_PUBLIC_URL", "http://cohost.example.com"), "COHOST_PUBLIC_URL"},
		{"public url over http on a LAN address", with("COHOST_PUBLIC_URL", "http://192.168.1.20:8080"), "COHOST_PUBLIC_URL"},
		{"public url with userinfo", with("COHOST_PUBLIC_URL", "https://user:pass@cohost.example.com"), "COHOST_PUBLIC_URL"},
		{"public url with a query", with("COHOST_PUBLIC_URL", "https://cohost.example.com/?a=b"), "COHOST_PUBLIC_URL"},
		{"public url with an empty query", with("COHOST_PUBLIC_URL", "https://cohost.example.com?"), "COHOST_PUBLIC_URL"},
		{"public url with a fragment", with("COHOST_PUBLIC_URL", "https://cohost.example.com#x"), "COHOST_PUBLIC_URL"},
		{"public url with an empty fragment", with("COHOST_PUBLIC_URL", "https://cohost.example.com#"), "COHOST_PUBLIC_URL"},
		{"public url not a url", with("COHOST_PUBLIC_URL", "cohost.example.com"), "COHOST_PUBLIC_URL"},
		{"public url ftp", with("COHOST_PUBLIC_URL", "ftp://cohost.example.com"), "COHOST_PUBLIC_URL"},
		// A host page wait the grant gives up within leaves the next granter no turn.
		{"host page wait equal to give-up", with("COHOST_PUBLIC_URL", "https://c.example.com", "ZOOM_SDK_KEY", "k", "ZOOM_SDK_SECRET", "s",
			"COHOST_HOST_PAGE_WAIT", "2m", "COHOST_GRANT_GIVE_UP_AFTER", "2m"), "COHOST_HOST_PAGE_WAIT"},
		{"host page wait longer than give-up", with("COHOST_PUBLIC_URL", "https://c.example.com", "ZOOM_SDK_KEY", "k", "ZOOM_SDK_SECRET", "s",
			"COHOST_HOST_PAGE_WAIT", "300s"), "COHOST_HOST_PAGE_WAIT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(config.FromMap(tt.env))
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load() error = %v, want *config.Error", err)
			}
			if ce.Var != tt.wantVar {
				t.Fatalf("error names %s, want %s: %v", ce.Var, tt.wantVar, err)
			}
			var ps config.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Load() error = %T, want config.Problems", err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(ps) {
				t.Fatalf("%d problems on %d lines: %q", len(ps), len(lines), err)
			}
			for i, p := range ps {
				if !strings.HasPrefix(lines[i], p.Var+": ") {
					t.Fatalf("line %d does not start with its variable %s: %q", i, p.Var, lines[i])
				}
			}
			for _, secret := range []string{"whsec", "csecret"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error leaks a secret: %q", err)
				}
			}
		})
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "webhook")
	if err := os.WriteFile(path, []byte("new-secret,old-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(config.FromMap(with("ZOOM_WEBHOOK_SECRET_TOKEN", "<unset>", "ZOOM_WEBHOOK_SECRET_TOKEN_FILE", path)))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.WebhookSecretStrings(); len(got) != 2 || got[0] != "new-secret" || got[1] != "old-secret" {
		t.Fatalf("secrets = %q", got)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	c, err := config.Load(config.FromMap(minimal()))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(c)
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c, "secret", c.ClientSecret)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", c, c, c, c.ClientSecret), string(js), logged.String()} {
		for _, secret := range []string{"whsec", "csecret"} {
			if strings.Contains(out, secret) {
				t.Fatalf("secret %q printed in %s", secret, out)
			}
		}
	}
}

func TestRetention(t *testing.T) {
	c, err := config.Load(config.FromMap(with("COHOST_RETENTION", "168h")))
	if err != nil {
		t.Fatal(err)
	}
	if c.Retention != 7*24*time.Hour {
		t.Fatalf("COHOST_RETENTION=168h gives %s", c.Retention)
	}
}

func TestWorkers(t *testing.T) {
	c, err := config.Load(config.FromMap(minimal()))
	if err != nil || c.Workers != 0 {
		t.Fatalf("COHOST_WORKERS unset gives %d (%v), want 0 (sized by the store)", c.Workers, err)
	}
	c, err = config.Load(config.FromMap(with("COHOST_WORKERS", "24")))
	if err != nil || c.Workers != 24 {
		t.Fatalf("COHOST_WORKERS=24 gives %d (%v)", c.Workers, err)
	}
}

func TestAdminSecret(t *testing.T) {
	if _, err := config.AdminSecret(config.FromMap(map[string]string{"COHOST_ADMIN_SECRET": "12345"})); err == nil ||
		!strings.Contains(err.Error(), "at least 32") || strings.Contains(err.Error(), "12345") {
		t.Fatalf("AdminSecret(5 bytes) error = %v", err)
	}
	s, err := config.AdminSecret(config.FromMap(map[string]string{"COHOST_ADMIN_SECRET": strings.Repeat("k", 32)}))
	if err != nil || len(s) != 32 {
		t.Fatalf("AdminSecret(32 bytes) = %d bytes, %v", len(s), err)
	}
	if c, err := config.Load(config.FromMap(with("COHOST_ADMIN_SECRET", strings.Repeat("k", 32)))); err != nil || len(c.AdminSecret) != 32 {
		t.Fatalf("Load with a 32-byte admin secret: %v", err)
	}
}

func TestLoadAcceptsPublicURLs(t *testing.T) {
	for _, u := range []string{"https://cohost.example.com", "https://cohost.example.com/", "https://cohost.example.com:8443",
		"http://localhost:8080", "http://127.0.0.1:8080", "http://[::1]:8080"} {
		c, err := config.Load(config.FromMap(with("COHOST_PUBLIC_URL", u)))
		if err != nil {
			t.Errorf("COHOST_PUBLIC_URL=%s: %v", u, err)
			continue
		}
		if strings.HasSuffix(c.PublicURL, "/") {
			t.Errorf("COHOST_PUBLIC_URL=%s kept its trailing slash: %s", u, c.PublicURL)
		}
	}
}

// The host page wait and the give-up bound contradict each other only when
// the host-client granter runs; the message names both and the fix.
func TestHostPageWaitAndGiveUp(t *testing.T) {
	hostClient := []string{"COHOST_PUBLIC_URL", "https://c.example.com", "ZOOM_SDK_KEY", "k", "ZOOM_SDK_SECRET", "s"}
	_, err := config.Load(config.FromMap(with(append(hostClient, "COHOST_HOST_PAGE_WAIT", "5m", "COHOST_GRANT_GIVE_UP_AFTER", "2m")...)))
	if err == nil {
		t.Fatal("COHOST_HOST_PAGE_WAIT=5m with COHOST_GRANT_GIVE_UP_AFTER=2m was accepted")
	}
	for _, want := range []string{"COHOST_HOST_PAGE_WAIT", "COHOST_GRANT_GIVE_UP_AFTER", "5m0s", "2m0s", "lower", "raise"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if _, err := config.Load(config.FromMap(with(append(hostClient, "COHOST_HOST_PAGE_WAIT", "90s", "COHOST_GRANT_GIVE_UP_AFTER", "2m")...))); err != nil {
		t.Fatalf("a wait shorter than the give-up bound: %v", err)
	}
	// Without the host-client granter nothing waits for a page.
	if _, err := config.Load(config.FromMap(with("COHOST_HOST_PAGE_WAIT", "5m"))); err != nil {
		t.Fatalf("a long wait with permissions alone: %v", err)
	}
}

// Every problem is reported at once, each on its own line naming its
// variable, so an operator does not fix them one restart at a time.
func TestLoadReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	_, err := config.Load(config.FromMap(map[string]string{
		"ZOOM_WEBHOOK_SECRET_TOKEN_FILE": filepath.Join(dir, "missing"),
		"ZOOM_CLIENT_SECRET":             "csecret",
		"COHOST_ADDR":                    "8080",
		"COHOST_DATABASE_URL":            "mysql://db",
		"COHOST_PUBLIC_URL":              "http://cohost.example.com",
		"COHOST_LOG_LEVEL":               "loud",
		"COHOST_WORKERS":                 "many",
		"COHOST_GRANTERS":                "permissions,magic",
	}))
	var ps config.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Load() error = %v, want config.Problems", err)
	}
	want := []string{"ZOOM_WEBHOOK_SECRET_TOKEN_FILE", "COHOST_WORKERS", "COHOST_ADDR", "COHOST_DATABASE_URL", "COHOST_PUBLIC_URL",
		"ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "COHOST_GRANTERS", "COHOST_LOG_LEVEL"}
	var got []string
	for _, p := range ps {
		got = append(got, p.Var)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("problems name %v, want %v:\n%v", got, want, err)
	}
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, want[i]+": ") {
			t.Errorf("line %d = %q, want it to start with %s", i, l, want[i])
		}
	}
	// The unreadable secret file is not also reported as a missing secret.
	if strings.Contains(err.Error(), "ZOOM_WEBHOOK_SECRET_TOKEN: required") {
		t.Errorf("a secret whose file cannot be read is also reported as unset:\n%v", err)
	}
	if strings.Contains(err.Error(), "csecret") {
		t.Errorf("a secret is printed:\n%v", err)
	}
}

// A policy file YAML cannot read is a configuration problem like the others:
// reported with them, naming COHOST_POLICY_FILE, the file and the line, in
// the user's words.
func TestLoadReportsPolicyFileProblems(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte("meetings:\n  host_ids: yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(config.FromMap(with("COHOST_POLICY_FILE", path, "COHOST_LOG_LEVEL", "loud")))
	var ps config.Problems
	if !errors.As(err, &ps) || len(ps) != 2 {
		t.Fatalf("Load() = %v, want two problems", err)
	}
	got := ps[1].Error()
	for _, want := range []string{"COHOST_POLICY_FILE: ", path, "line 2", "meetings.host_ids", "a list of strings"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q does not say %q", got, want)
		}
	}
	if strings.Contains(got, "!!") || strings.Contains(got, "cannot unmarshal") {
		t.Errorf("%q is YAML's jargon", got)
	}
}

// The host portal: off without a sign-in app; on with one, beside the host
// client; refused when half-configured or where its cookie cannot work.
func TestHostPortal(t *testing.T) {
	hostClient := []string{"COHOST_PUBLIC_URL", "https://cohost.example.com", "ZOOM_SDK_KEY", "k", "ZOOM_SDK_SECRET", "s"}
	c, err := config.Load(config.FromMap(with(hostClient...)))
	if err != nil {
		t.Fatal(err)
	}
	if c.SignInClientID != "" || c.SignInClientSecret != "" || c.HostSessionTTL != config.DefaultHostSessionTTL {
		t.Errorf("defaults: %q %q %s", c.SignInClientID, c.SignInClientSecret, c.HostSessionTTL)
	}
	secretFile := filepath.Join(t.TempDir(), "signin")
	if err := os.WriteFile(secretFile, []byte("signin-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = config.Load(config.FromMap(with(append(hostClient, "ZOOM_SIGNIN_CLIENT_ID", "sid",
		"ZOOM_SIGNIN_CLIENT_SECRET_FILE", secretFile, "COHOST_HOST_SESSION_TTL", "12h")...)))
	if err != nil {
		t.Fatal(err)
	}
	if c.SignInClientID != "sid" || string(c.SignInClientSecret) != "signin-secret" || c.HostSessionTTL != 12*time.Hour {
		t.Errorf("portal on: %q %s", c.SignInClientID, c.HostSessionTTL)
	}
	if s := fmt.Sprint(c.SignInClientSecret); strings.Contains(s, "signin-secret") {
		t.Error("the sign-in secret prints")
	}
	// Over http on loopback (the demo, the tests): browsers keep Secure cookies there.
	if _, err := config.Load(config.FromMap(with("COHOST_PUBLIC_URL", "http://127.0.0.1:8080", "ZOOM_SDK_KEY", "k", "ZOOM_SDK_SECRET", "s",
		"ZOOM_SIGNIN_CLIENT_ID", "sid", "ZOOM_SIGNIN_CLIENT_SECRET", "x"))); err != nil {
		t.Errorf("http on loopback: %v", err)
	}

	for _, tt := range []struct {
		name    string
		env     map[string]string
		wantVar string
	}{
		{"id without secret", with(append(hostClient, "ZOOM_SIGNIN_CLIENT_ID", "sid")...), "ZOOM_SIGNIN_CLIENT_SECRET"},
		{"secret without id", with(append(hostClient, "ZOOM_SIGNIN_CLIENT_SECRET", "x")...), "ZOOM_SIGNIN_CLIENT_ID"},
		{"without the host client", with(append(hostClient, "COHOST_GRANTERS", "permissions", "ZOOM_SIGNIN_CLIENT_ID", "sid",
			"ZOOM_SIGNIN_CLIENT_SECRET", "x")...), "ZOOM_SIGNIN_CLIENT_ID"},
		{"over http elsewhere", with("COHOST_PUBLIC_URL", "http://cohost.example.com", "ZOOM_SDK_KEY", "k", "ZOOM_SDK_SECRET", "s",
			"ZOOM_SIGNIN_CLIENT_ID", "sid", "ZOOM_SIGNIN_CLIENT_SECRET", "x"), "COHOST_PUBLIC_URL"},
		{"session too long", with("COHOST_HOST_SESSION_TTL", "13h"), "COHOST_HOST_SESSION_TTL"},
		{"session too short", with("COHOST_HOST_SESSION_TTL", "1m"), "COHOST_HOST_SESSION_TTL"},
		{"secret and file both", with(append(hostClient, "ZOOM_SIGNIN_CLIENT_ID", "sid", "ZOOM_SIGNIN_CLIENT_SECRET", "x",
			"ZOOM_SIGNIN_CLIENT_SECRET_FILE", secretFile)...), "ZOOM_SIGNIN_CLIENT_SECRET"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(config.FromMap(tt.env))
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Var != tt.wantVar {
				t.Fatalf("Load: %v, want an error naming %s", err, tt.wantVar)
			}
			if strings.Contains(err.Error(), "signin-secret") {
				t.Errorf("the error leaks the secret: %v", err)
			}
		})
	}
}
