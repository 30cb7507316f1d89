package deploy

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
)

// The smoke tests run the real cohostd (built by the Dockerfile's line) as the chart's pod would:
// the container's args and environment, its secret files and policy file written where the
// *_FILE variables point (moved under a temporary directory), and nothing else. They prove that
// cohostd accepts every variable the chart sets, that the probes' paths answer on the app port,
// that /metrics serves on the metrics port, that the mounted webhook secret verifies Zoom's URL
// validation, and that SIGTERM ends cohostd within COHOST_SHUTDOWN_TIMEOUT.

const smokeWebhookSecret = "smoke-webhook-secret"

// Test values of the secrets, by variable.
var smokeSecrets = map[string]string{
	"ZOOM_WEBHOOK_SECRET_TOKEN": smokeWebhookSecret + ",an-old-secret",
	"ZOOM_CLIENT_SECRET":        "smoke-client-secret",
	"COHOST_ADMIN_SECRET":       "smoke-admin-secret-0123456789abcdef",
	"ZOOM_SDK_SECRET":           "smoke-sdk-secret",
	"COHOST_AGENT_SECRET":       "smoke-agent-secret",
	"COHOST_ENCRYPTION_KEY":     "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	"ZOOM_SIGNIN_CLIENT_SECRET": "smoke-signin-secret",
}

func TestPodStartsEmbedded(t *testing.T) {
	p := startServingPod(t, "embedded")
	p.stop(t)
}

// startServingPod starts one pod of ci/<name>-values.yaml with its own data directory and a
// Zoom stub, and checks that it gets ready and serves.
func startServingPod(t *testing.T, name string) *pod {
	t.Helper()
	p := startPod(t, cohostdBinary(t), ciByName(t, name), zoomStub(t), t.TempDir(), nil)
	p.waitReady(t)
	p.checkServes(t)
	return p
}

// TestPodStartsWithTheHostClient: the values that turn on the host client by cohostd's default
// and the host portal give cohostd all it needs: it starts, and serves the portal's sign-in and
// a host page.
func TestPodStartsWithTheHostClient(t *testing.T) {
	p := startServingPod(t, "host-client")
	if code, page := p.get("http://" + p.addr + "/host/"); code != http.StatusOK || !strings.Contains(page, "Sign in with Zoom") {
		t.Errorf("/host/: %d, want 200 and the portal's Sign in with Zoom:\n%s", code, page)
	}
	if code, _ := p.get("http://" + p.addr + "/host/81234567890"); code != http.StatusOK {
		t.Errorf("/host/81234567890: %d, want the host page", code)
	}
	p.stop(t)
}

// TestPodStartsHA starts two replicas of the HA shape at once on one fresh PostgreSQL database
// (a new install starts all of them together; they must migrate once, not fight).
func TestPodStartsHA(t *testing.T) {
	bin := cohostdBinary(t)
	r := ciByName(t, "ha")
	dbURL := freshPostgres(t)
	stub := zoomStub(t)
	var pods []*pod
	for range 2 {
		pods = append(pods, startPod(t, bin, r, stub, t.TempDir(), map[string]string{"COHOST_DATABASE_URL": dbURL}))
	}
	for _, p := range pods {
		p.waitReady(t)
		p.checkServes(t)
	}
	for _, p := range pods {
		p.stop(t)
	}
}

func ciByName(t *testing.T, name string) *ciRender {
	t.Helper()
	for _, cr := range renderCI(t) {
		if cr.name == name {
			return cr
		}
	}
	t.Fatalf("no ci/%s-values.yaml", name)
	return nil
}

// zoomStub stands in for Zoom and the co-host agent on loopback: nothing leaves the machine, and
// every call fails softly.
func zoomStub(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"code":503,"message":"test"}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(s.Close)
	return s
}

// freshPostgres creates an empty database on COHOST_TEST_DATABASE_URL's server (as the service's
// own tests do) and drops it after the test.
func freshPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv("COHOST_TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("COHOST_REQUIRE_POSTGRES") == "1" {
			t.Fatal("COHOST_REQUIRE_POSTGRES=1 but COHOST_TEST_DATABASE_URL is not set")
		}
		t.Skip("COHOST_TEST_DATABASE_URL not set: skipping the PostgreSQL shape")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		// The Makefile always sets the URL: without a server, skip as the
		// service's own PostgreSQL tests do.
		if os.Getenv("COHOST_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("COHOST_REQUIRE_POSTGRES=1 but COHOST_TEST_DATABASE_URL is not reachable: %v", err)
		}
		t.Skipf("PostgreSQL at COHOST_TEST_DATABASE_URL is not reachable (%v): skipping the PostgreSQL shape", err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "cohost_deploy_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// pod is one running cohostd.
type pod struct {
	c                 corev1.Container
	cmd               *exec.Cmd
	logs              *lockedLog
	exited            chan error
	done              bool
	addr, metricsAddr string
	shutdown          time.Duration
	client            *http.Client
}

// startPod starts cohostd with the render's container: its args and environment, with the
// pod's paths moved under dir, its listen addresses on loopback ports of the kernel's choice,
// and Zoom and the agent pointed at stub. secrets overrides the test value of a secret.
func startPod(t *testing.T, bin string, r *ciRender, stub *httptest.Server, dir string, secrets map[string]string) *pod {
	t.Helper()
	c := r.deployments()[0].Spec.Template.Spec.Containers[0]
	p := &pod{c: c, logs: &lockedLog{}, exited: make(chan error, 1), client: &http.Client{Timeout: 5 * time.Second}}
	mountPath, _ := r.value("secrets.mountPath").(string)
	var env []string
	for _, e := range c.Env {
		v := e.Value
		switch {
		case e.Name == "COHOST_ADDR" || e.Name == "COHOST_METRICS_ADDR":
			v = "127.0.0.1:0" // the pod's ports may be taken on this machine
		case e.Name == "ZOOM_API_URL" || e.Name == "ZOOM_OAUTH_URL":
			continue // set below
		case e.Name == "COHOST_AGENT_URL":
			v = stub.URL
		case e.Name == "COHOST_DATABASE_URL":
			file, _ := strings.CutPrefix(v, "sqlite://")
			v = "sqlite://" + filepath.Join(dir, file)
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, file)), 0o755); err != nil {
				t.Fatal(err)
			}
		case e.Name == "COHOST_POLICY_FILE":
			v = filepath.Join(dir, v)
			writeFile(t, v, policyContent(t, r))
		case strings.HasSuffix(e.Name, "_FILE"):
			if !strings.HasPrefix(v, mountPath+"/") {
				t.Fatalf("%s=%s is outside the secrets mount %s", e.Name, v, mountPath)
			}
			name := strings.TrimSuffix(e.Name, "_FILE")
			secret, ok := secrets[name]
			if !ok {
				secret, ok = smokeSecrets[name]
			}
			if !ok {
				t.Fatalf("no test value for %s", e.Name)
			}
			v = filepath.Join(dir, v)
			writeFile(t, v, secret+"\n") // Secrets made with kubectl often end in a newline
		case e.Name == "COHOST_SHUTDOWN_TIMEOUT":
			var err error
			if p.shutdown, err = time.ParseDuration(v); err != nil {
				t.Fatal(err)
			}
		}
		env = append(env, e.Name+"="+v)
	}
	env = append(env, "ZOOM_API_URL="+stub.URL+"/v2", "ZOOM_OAUTH_URL="+stub.URL)

	p.cmd = exec.Command(bin, c.Args...)
	p.cmd.Env = env
	p.cmd.Dir = dir
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan map[string]any, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			p.logs.add(line)
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "cohostd started" {
				started <- rec
			}
		}
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if !p.done {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case rec := <-started:
		p.addr, _ = rec["addr"].(string)
		p.metricsAddr, _ = rec["metrics_addr"].(string)
	case err := <-p.exited:
		p.done = true
		t.Fatalf("cohostd exited with the chart's environment: %v\n%s", err, p.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("cohostd did not start within 60 s\n%s", p.logs.String())
	}
	return p
}

func (p *pod) get(url string) (int, string) {
	resp, err := p.client.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitReady checks the liveness path and waits for the readiness path, as the kubelet would.
func (p *pod) waitReady(t *testing.T) {
	t.Helper()
	if code, body := p.get("http://" + p.addr + p.c.LivenessProbe.HTTPGet.Path); code != http.StatusOK {
		t.Errorf("liveness %s: %d %s", p.c.LivenessProbe.HTTPGet.Path, code, body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := p.get("http://" + p.addr + p.c.ReadinessProbe.HTTPGet.Path)
		if code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("readiness %s: %d %s after 30 s\n%s", p.c.ReadinessProbe.HTTPGet.Path, code, body, p.logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkServes checks /metrics and a signed URL validation.
func (p *pod) checkServes(t *testing.T) {
	t.Helper()
	code, metrics := p.get("http://" + p.metricsAddr + "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`version="` + stampVersion + `"`, "cohost_queue_jobs{", "cohost_meetings_live ", "cohost_grants_pending ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, _ := p.get("http://" + p.addr + "/metrics"); code == http.StatusOK {
		t.Error("/metrics is served on the app port, which the ingress exposes")
	}

	// Zoom's URL validation, signed with the secret from the mounted file.
	body := fmt.Sprintf(`{"event":"endpoint.url_validation","payload":{"plainToken":"smoke-plain"},"event_ts":%d}`, time.Now().UnixMilli())
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+"/webhooks/zoom", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-zm-request-timestamp", ts)
	req.Header.Set("x-zm-signature", "v0="+hmacHex(smokeWebhookSecret, "v0:"+ts+":"+body))
	resp, err := p.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}
	err = json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || answer.EncryptedToken != hmacHex(smokeWebhookSecret, "smoke-plain") {
		t.Errorf("url_validation: %d %+v (%v); want 200 and the token signed with the mounted secret", resp.StatusCode, answer, err)
	}
}

// stop sends SIGTERM, what Kubernetes does after the preStop sleep, and waits for a clean exit
// within COHOST_SHUTDOWN_TIMEOUT; then checks that no secret reached the log.
func (p *pod) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		p.done = true
		if err != nil {
			t.Errorf("cohostd exited with %v after SIGTERM\n%s", err, p.logs.String())
		}
	case <-time.After(p.shutdown + 5*time.Second):
		t.Fatalf("cohostd still runs %v after SIGTERM (COHOST_SHUTDOWN_TIMEOUT %v)", p.shutdown+5*time.Second, p.shutdown)
	}
	for name, secret := range smokeSecrets {
		for _, part := range strings.Split(secret, ",") {
			if strings.Contains(p.logs.String(), part) {
				t.Errorf("the log shows %s", name)
			}
		}
	}
}

// lockedLog collects cohostd's log lines while the test reads them.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(line + "\n")
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func hmacHex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// policyContent is the policy.yaml of the chart's policy ConfigMap.
func policyContent(t *testing.T, r *ciRender) string {
	t.Helper()
	for _, cm := range r.configMaps() {
		if strings.HasSuffix(cm.Name, "-policy") {
			return cm.Data["policy.yaml"]
		}
	}
	t.Fatal("COHOST_POLICY_FILE is set but no policy ConfigMap is rendered")
	return ""
}
