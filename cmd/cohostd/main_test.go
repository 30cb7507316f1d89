package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/config"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/webhook"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cohostd-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "cohostd")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building cohostd:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

const secretToken = "subprocess-secret-token"

// proc is cohostd running as a child process, as the container runs it.
type proc struct {
	cmd  *exec.Cmd
	addr string
	logs *lockedBuffer
	done chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func baseEnv(dbURL string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"COHOST_ADDR=127.0.0.1:0",
		"COHOST_METRICS_ADDR=127.0.0.1:0",
		"COHOST_DATABASE_URL=" + dbURL,
		"ZOOM_WEBHOOK_SECRET_TOKEN=" + secretToken,
		"ZOOM_ACCOUNT_ID=acct",
		"ZOOM_CLIENT_ID=client",
		"ZOOM_CLIENT_SECRET=client-secret-value",
		"COHOST_JOB_TIMEOUT=2s",
		"COHOST_JOB_RESCUE_AFTER=3s",
		"COHOST_LOG_LEVEL=debug",
	}
}

func start(t *testing.T, env []string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binary), logs: &lockedBuffer{}, done: make(chan error, 1)}
	p.cmd.Env = env
	pr, pw := io.Pipe()
	p.cmd.Stderr = pw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait(); _ = pw.Close() }()
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			_, _ = p.logs.Write([]byte(line + "\n"))
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "cohostd started" {
				addrc <- rec.Addr
			}
		}
	}()
	select {
	case p.addr = <-addrc:
	case err := <-p.done:
		t.Fatalf("cohostd exited before starting: %v\n%s", err, p.logs.String())
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Fatalf("cohostd did not start\n%s", p.logs.String())
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	return p
}

func (p *proc) deliver(t *testing.T, body, requestID string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+p.addr+"/webhooks/zoom", strings.NewReader(body))
	req.Header = webhook.SignedHeaders([]byte(body), secretToken, time.Now())
	req.Header.Set(webhook.HeaderRequestID, requestID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func joined(participant string) string {
	return fmt.Sprintf(`{"event":"meeting.participant_joined","event_ts":%d,"payload":{"account_id":"acct","object":{"id":85746065432,"uuid":"m-uuid==","host_id":"host1","participant":{"user_id":"16778240","user_name":"Jill","participant_uuid":%q,"join_time":"2027-01-15T08:00:00Z"}}}}`,
		time.Now().UnixMilli(), participant)
}

// TestKillNineAfterAck: an event acknowledged with 200 survives kill -9 of
// the process right after the answer, and is processed after a restart.
func TestKillNineAfterAck(t *testing.T) {
	for _, eng := range testdb.Engines {
		t.Run(eng, func(t *testing.T) {
			dbURL := testdb.URL(t, eng)
			env := baseEnv(dbURL)
			p := start(t, env)
			status, body := p.deliver(t, joined("p-kill-9"), "req-kill-9")
			if status != 200 || !strings.Contains(body, "accepted") {
				t.Fatalf("delivery answered %d %s", status, body)
			}
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-p.done

			ctx := context.Background()
			st, err := store.Open(ctx, dbURL, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if total, _, err := st.EventCounts(ctx); err != nil || total != 1 {
				t.Fatalf("after kill -9: %d events stored (%v), want 1", total, err)
			}

			p2 := start(t, env)
			// Zoom re-delivering the same request after the crash is a duplicate.
			if status, body := p2.deliver(t, joined("p-kill-9-other"), "req-kill-9"); status != 200 || !strings.Contains(body, "duplicate") {
				t.Fatalf("re-delivery answered %d %s, want 200 duplicate", status, body)
			}
			deadline := time.Now().Add(45 * time.Second)
			for {
				_, processed, err := st.EventCounts(ctx)
				if err == nil && processed == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("event not processed after restart (processed=%d, err=%v)\n%s", processed, err, p2.logs.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			// A graceful stop exits 0.
			_ = p2.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-p2.done:
				if err != nil {
					t.Fatalf("SIGTERM: cohostd exited with %v\n%s", err, p2.logs.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatal("cohostd did not stop within 30 s of SIGTERM")
			}
			for _, logs := range []string{p.logs.String(), p2.logs.String()} {
				for _, secret := range []string{secretToken, "client-secret-value"} {
					if strings.Contains(logs, secret) {
						t.Fatalf("a secret appears in cohostd's logs:\n%s", logs)
					}
				}
			}
		})
	}
}

func TestRefusesToStartWithoutSecret(t *testing.T) {
	env := baseEnv("sqlite://" + filepath.Join(t.TempDir(), "c.db"))
	var kept []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "ZOOM_WEBHOOK_SECRET_TOKEN=") {
			kept = append(kept, kv)
		}
	}
	cmd := exec.Command(binary)
	cmd.Env = kept
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() == 0 {
		t.Fatalf("cohostd without a webhook secret: err=%v, want a non-zero exit", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "ZOOM_WEBHOOK_SECRET_TOKEN") {
		t.Fatalf("want one line naming ZOOM_WEBHOOK_SECRET_TOKEN, got:\n%s", out)
	}
}

func TestRunCommands(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"version"}, nil, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "cohostd ") {
		t.Fatalf("version: code %d out %q", code, out.String())
	}
	if code := run([]string{"frobnicate"}, nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Fatalf("unknown command: code %d err %q", code, errOut.String())
	}
}

// TestZoomManifest drives cohostd zoom-manifest: the manifest goes to stdout
// as JSON, every refusal is one line on stderr naming the flag, exit 2.
func TestZoomManifest(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		code    int
		stderr  string // a part of the one line, when the command refuses
		scopes  []string
		sdk     bool
		webhook string
	}{
		{name: "defaults: host-client and permissions, oauth", args: []string{"-public-url", "https://cohost.example.com/"}, sdk: true,
			scopes: []string{"meeting:read:list_meetings:admin", "meeting:read:meeting:admin", "meeting:read:participant:admin", "meeting:update:meeting:admin",
				"user:read:settings:admin", "user:read:token:admin", "user:read:user:admin", "user:update:settings:admin"},
			webhook: "https://cohost.example.com/webhooks/zoom"},
		{name: "one granter", args: []string{"-public-url", "https://cohost.example.com", "-granters", "agent", "-mode", "oauth"},
			scopes:  []string{"meeting:read:meeting:admin", "meeting:read:participant:admin", "user:read:token:admin", "user:read:user:admin"},
			webhook: "https://cohost.example.com/webhooks/zoom"},
		{name: "http for localhost", args: []string{"-public-url", "http://localhost:8080", "-granters", "alternative-hosts"},
			scopes:  []string{"meeting:read:meeting:admin", "meeting:read:participant:admin", "meeting:update:meeting:admin", "user:read:user:admin"},
			webhook: "http://localhost:8080/webhooks/zoom"},
		{name: "no URL", args: nil, code: 2, stderr: "-public-url is required"},
		{name: "relative URL", args: []string{"-public-url", "cohost.example.com"}, code: 2, stderr: "-public-url: \"cohost.example.com\" is not an absolute URL"},
		{name: "plain http", args: []string{"-public-url", "http://cohost.example.com"}, code: 2, stderr: "-public-url: \"http://cohost.example.com\" must use https"},
		{name: "unknown granter", args: []string{"-public-url", "https://c.example", "-granters", "permissions,bot"}, code: 2,
			stderr: `-granters: unknown granter "bot": use a comma list of host-client, agent, permissions, alternative-hosts`},
		{name: "empty granters", args: []string{"-public-url", "https://c.example", "-granters", ","}, code: 2, stderr: "-granters: no granter named"},
		{name: "s2s", args: []string{"-public-url", "https://c.example", "-mode", "s2s"}, code: 2, stderr: "-mode: s2s mode uses a Server-to-Server OAuth app"},
		{name: "unknown flag", args: []string{"-public-url", "https://c.example", "-json"}, code: 2, stderr: "flag provided but not defined: -json"},
		{name: "stray argument", args: []string{"-public-url", "https://c.example", "extra"}, code: 2, stderr: `unexpected argument "extra"`},
		{name: "unknown app", args: []string{"-public-url", "https://c.example", "-app", "bot"}, code: 2, stderr: `-app: "bot" is not cohost or signin`},
		{name: "sign-in app with granters", args: []string{"-public-url", "https://c.example", "-app", "signin", "-granters", "agent"}, code: 2,
			stderr: "-granters: the sign-in app has one scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(append([]string{"zoom-manifest"}, tt.args...), nil, &out, &errOut)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, errOut.String())
			}
			if tt.code != 0 {
				lines := strings.Split(strings.TrimSuffix(errOut.String(), "\n"), "\n")
				if len(lines) != 1 || !strings.HasPrefix(lines[0], "cohostd zoom-manifest: ") || !strings.Contains(lines[0], tt.stderr) {
					t.Errorf("stderr %q, want one line with %q", errOut.String(), tt.stderr)
				}
				if out.Len() != 0 {
					t.Errorf("stdout %q on a refusal, want nothing", out.String())
				}
				return
			}
			if errOut.Len() != 0 {
				t.Errorf("stderr %q, want nothing", errOut.String())
			}
			var m struct {
				OAuthInformation struct {
					Scopes []struct{ Scope string } `json:"scopes"`
				} `json:"oauth_information"`
				Features struct {
					Embed *struct {
						MeetingSDK struct{ Enable bool } `json:"meeting_sdk"`
					} `json:"embed"`
					EventSubscription struct {
						Events []struct {
							EventTypes            []string `json:"event_types"`
							DevelopmentWebhookURL string   `json:"development_webhook_url"`
						} `json:"events"`
					} `json:"event_subscription"`
				} `json:"features"`
			}
			if err := json.Unmarshal(out.Bytes(), &m); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, out.String())
			}
			var scopes []string
			for _, s := range m.OAuthInformation.Scopes {
				scopes = append(scopes, s.Scope)
			}
			if strings.Join(scopes, " ") != strings.Join(tt.scopes, " ") {
				t.Errorf("scopes %v, want %v", scopes, tt.scopes)
			}
			if sdk := m.Features.Embed != nil && m.Features.Embed.MeetingSDK.Enable; sdk != tt.sdk {
				t.Errorf("Meeting SDK embed %v, want %v", sdk, tt.sdk)
			}
			if subs := m.Features.EventSubscription.Events; len(subs) != 1 || subs[0].DevelopmentWebhookURL != tt.webhook ||
				!strings.Contains(strings.Join(subs[0].EventTypes, " "), "meeting.participant_joined") {
				t.Errorf("event subscription %+v, want one to %s with meeting.participant_joined", subs, tt.webhook)
			}
		})
	}

	// The sign-in app: its one scope and the portal's callback, in s2s mode as in oauth mode.
	var signinOut, errOut bytes.Buffer
	if code := run([]string{"zoom-manifest", "-app", "signin", "-public-url", "https://cohost.example.com"}, nil, &signinOut, &errOut); code != 0 {
		t.Fatalf("-app signin: exit %d %q", code, errOut.String())
	}
	var signin struct {
		OAuthInformation struct {
			Usage                  string                   `json:"usage"`
			DevelopmentRedirectURI string                   `json:"development_redirect_uri"`
			Scopes                 []struct{ Scope string } `json:"scopes"`
		} `json:"oauth_information"`
	}
	if err := json.Unmarshal(signinOut.Bytes(), &signin); err != nil || signin.OAuthInformation.Usage != "USER_OPERATION" ||
		signin.OAuthInformation.DevelopmentRedirectURI != "https://cohost.example.com/host/signin/callback" ||
		len(signin.OAuthInformation.Scopes) != 1 || signin.OAuthInformation.Scopes[0].Scope != "user:read:user" {
		t.Errorf("-app signin: %v %s", err, signinOut.String())
	}

	// The built binary behaves the same and needs no environment.
	cmd := exec.Command(binary, "zoom-manifest", "-public-url", "https://cohost.example.com")
	cmd.Env = []string{}
	out, err := cmd.Output()
	if err != nil || !json.Valid(out) {
		t.Fatalf("cohostd zoom-manifest: %v\n%s", err, out)
	}
	var help bytes.Buffer
	if code := run([]string{"help"}, nil, &help, io.Discard); code != 0 || !strings.Contains(help.String(), "zoom-manifest -public-url URL") {
		t.Errorf("help does not show zoom-manifest: %q", help.String())
	}
}

// An HS256 key shorter than 32 bytes can be brute-forced from any one
// token: admin-token refuses it, and so does cohostd at start (one line
// naming the variable), instead of only warning.
func TestShortAdminSecretRefused(t *testing.T) {
	var out, errOut bytes.Buffer
	env := func(secret string) func(string) (string, bool) {
		return func(name string) (string, bool) {
			if name == "COHOST_ADMIN_SECRET" {
				return secret, true
			}
			return "", false
		}
	}
	if code := run([]string{"admin-token"}, env("12345"), &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "COHOST_ADMIN_SECRET") || !strings.Contains(errOut.String(), "32") || out.Len() != 0 {
		t.Fatalf("admin-token with a 5-byte secret: code %d, out %q, err %q", code, out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"admin-token"}, env(strings.Repeat("k", 32)), &out, &errOut); code != 0 || strings.Count(out.String(), ".") != 2 {
		t.Fatalf("admin-token with a 32-byte secret: code %d, out %q, err %q", code, out.String(), errOut.String())
	}

	cmd := exec.Command(binary)
	cmd.Env = append(baseEnv("sqlite://"+filepath.Join(t.TempDir(), "c.db")), "COHOST_ADMIN_SECRET=12345")
	combined, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Fatalf("cohostd with a 5-byte admin secret: err=%v, want a non-zero exit", err)
	}
	lines := strings.Split(strings.TrimSpace(string(combined)), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "COHOST_ADMIN_SECRET") || strings.Contains(lines[0], "12345") {
		t.Fatalf("want one line naming COHOST_ADMIN_SECRET without its value, got:\n%s", combined)
	}
}

// hostLinkEnv is a configuration with the host-client granter whose database
// URL is left at its default (sqlite://cohost.db, relative to the working
// directory).
func hostLinkEnv() []string {
	var env []string
	for _, kv := range baseEnv("") {
		if !strings.HasPrefix(kv, "COHOST_DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	return append(env, "COHOST_GRANTERS=host-client,permissions", "COHOST_PUBLIC_URL=http://127.0.0.1:1",
		"ZOOM_SDK_KEY=sdk-key", "ZOOM_SDK_SECRET=sdk-secret-value")
}

// cohostd host-link run where no database is (another directory, a relative
// default) must not create an empty one and mint a link the server never
// sees: it refuses, names the absolute path it tried and says how to point
// it at the server's database. Only the server creates the database.
func TestHostLinkRefusesAMissingDatabase(t *testing.T) {
	for _, tt := range []struct{ name, url, want string }{
		{"the relative default", "", "cohost.db"},
		{"a relative path", "COHOST_DATABASE_URL=sqlite://data/cohost.db", filepath.Join("data", "cohost.db")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(binary, "host-link", "85746065432")
			cmd.Dir = dir
			cmd.Env = hostLinkEnv()
			if tt.url != "" {
				cmd.Env = append(cmd.Env, tt.url)
			}
			out, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
				t.Fatalf("host-link without a database: err=%v, want a non-zero exit\n%s", err, out)
			}
			abs := filepath.Join(dir, tt.want)
			for _, want := range []string{abs, "COHOST_DATABASE_URL", "does not exist", "only the server"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("the refusal does not say %q:\n%s", want, out)
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("host-link created %v in %s", entries, dir)
			}
		})
	}
	// The server creates it; then host-link opens it (and fails further on,
	// at Zoom, which this test does not run).
	dir := t.TempDir()
	env := append(hostLinkEnv(), "COHOST_DATABASE_URL=sqlite://"+filepath.Join(dir, "cohost.db"))
	p := start(t, env)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	cmd := exec.Command(binary, "host-link", "85746065432")
	cmd.Env = env
	out, _ := cmd.CombinedOutput()
	if strings.Contains(string(out), "does not exist") {
		t.Fatalf("host-link refused the server's database:\n%s", out)
	}
}

// A meeting id not in Zoom's one form is refused before anything is opened.
func TestHostLinkRefusesANonCanonicalMeetingID(t *testing.T) {
	for _, id := range []string{"0087991488412", "abc", "+5", "0", "8799 1488 412"} {
		var out, errOut bytes.Buffer
		if code := run([]string{"host-link", id}, config.FromMap(nil), &out, &errOut); code != 2 ||
			!strings.Contains(errOut.String(), "without a leading zero") || out.Len() != 0 {
			t.Errorf("host-link %s: code %d, out %q, err %q", id, code, out.String(), errOut.String())
		}
	}
}

// Every configuration problem is printed at once, one line each naming its
// variable, and cohostd exits non-zero: not one problem per restart.
func TestConfigurationProblemsAllAtOnce(t *testing.T) {
	cmd := exec.Command(binary)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "COHOST_ADDR=8080", "COHOST_LOG_LEVEL=loud",
		"COHOST_PUBLIC_URL=http://cohost.example.com", "ZOOM_CLIENT_SECRET=client-secret-value"}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Fatalf("cohostd with a bad configuration: err=%v, want a non-zero exit", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := []string{"ZOOM_WEBHOOK_SECRET_TOKEN", "COHOST_ADDR", "COHOST_PUBLIC_URL", "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "COHOST_LOG_LEVEL"}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d, one per problem:\n%s", len(lines), len(want), out)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, "cohostd: configuration: "+want[i]+": ") {
			t.Errorf("line %d = %q, want it to name %s", i, l, want[i])
		}
	}
	if strings.Contains(string(out), "client-secret-value") {
		t.Fatal("a secret is printed")
	}
}

// A host page wait at or past the give-up bound would fail every joiner of
// a meeting without a page (the next granter never gets a turn): cohostd
// refuses to start, naming both variables and the fix.
func TestContradictoryTimingRefusedAtStart(t *testing.T) {
	cmd := exec.Command(binary)
	cmd.Env = append(hostLinkEnv(), "COHOST_DATABASE_URL=sqlite://"+filepath.Join(t.TempDir(), "c.db"),
		"COHOST_HOST_PAGE_WAIT=300s", "COHOST_GRANT_GIVE_UP_AFTER=2m")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Fatalf("cohostd with COHOST_HOST_PAGE_WAIT=300s and COHOST_GRANT_GIVE_UP_AFTER=2m: err=%v, want a non-zero exit\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line, got:\n%s", out)
	}
	for _, want := range []string{"COHOST_HOST_PAGE_WAIT", "COHOST_GRANT_GIVE_UP_AFTER", "5m0s", "2m0s", "lower", "raise"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("the refusal does not say %q: %s", want, lines[0])
		}
	}
}
