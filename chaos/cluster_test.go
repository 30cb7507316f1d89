package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomsim"
)

// cohostdBinary is the cohostd built once for the package (without -race:
// the subprocesses are the system under test, not the test's own code).
var cohostdBinary string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		// Without a reachable database every test skips (or fails under
		// COHOST_REQUIRE_POSTGRES=1) in testdb; do not spend a build on it.
		if testdb.PostgresSkipReason() != "" {
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "cohost-chaos")
		if err != nil {
			fmt.Fprintln(os.Stderr, "chaos:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		cohostdBinary = filepath.Join(dir, "cohostd")
		build := exec.Command("go", "build", "-o", cohostdBinary, "github.com/cohost-dev/cohost/cmd/cohostd")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "chaos: building cohostd:", err)
			return 1
		}
		return m.Run()
	}())
}

const (
	replicas = 3
	// The River settings under test, scaled down so a scenario fits in a
	// minute: production defaults are 25 s and 35 s (docs/reliability.md).
	jobTimeout      = "2s"
	jobRescueAfter  = "3s"
	shutdownTimeout = 5 * time.Second
)

// clusterOptions shape one scenario's world.
type clusterOptions struct {
	// TimeScale of the simulator's webhook retries (+5/+20/+60 min × scale).
	TimeScale float64
	// DatabaseProxy puts a cuttable TCP proxy between the replicas and
	// PostgreSQL.
	DatabaseProxy bool
	// AgentLatency delays every call to the co-host agent (a real agent's
	// AssignCoHost is not instant), so grant jobs are running when a
	// replica dies.
	AgentLatency time.Duration
	// Database, when set, starts a proxy of the scenario's own in front of
	// PostgreSQL (upstream is its host:port) and returns the address the
	// replicas connect to instead.
	Database func(upstream string) (addr string, err error)
}

// cluster is one scenario's world: the simulator, three cohostd processes on
// one fresh PostgreSQL database, the webhook proxy in front of them and a
// direct store connection for the assertions.
type cluster struct {
	t         *testing.T
	Sim       *zoomsim.Server
	AccountID string
	Host      zoomsim.User
	Proxy     *webhookProxy
	DB        *tcpProxy // nil unless DatabaseProxy
	Store     *store.Store
	// queueConn reads River's job table directly, for the assertions. It is
	// opened once, before the storm: a 100-connection server shared with
	// three replicas (up to 24 connections each) has none to spare later.
	queueMu   sync.Mutex
	queueConn *pgx.Conn

	env  []string
	logs *logSink

	mu   sync.Mutex
	reps []*replica
}

// replica is one incarnation of one cohostd replica slot.
type replica struct {
	slot int
	cmd  *exec.Cmd
	addr string
	done chan struct{} // closed once the process has exited
	err  error         // the exit status, readable after done
}

func startCluster(ctx context.Context, t *testing.T, o clusterOptions) *cluster {
	t.Helper()
	if cohostdBinary == "" {
		testdb.Postgres(t) // skips, or fails under COHOST_REQUIRE_POSTGRES=1
		t.Fatal("chaos: cohostd was not built")
	}
	direct := testdb.Postgres(t)
	c := &cluster{t: t, logs: newLogSink(), reps: make([]*replica, replicas)}

	sim, err := zoomsim.Start(zoomsim.Config{
		TimeScale: o.TimeScale,
		Agent:     zoomsim.AgentConfig{JoinDelay: 20 * time.Millisecond, VisibilityDelay: 10 * time.Millisecond},
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = sim.Close(cctx)
	})
	c.Sim = sim
	acct, host, err := sim.AddDefaultAccount("")
	if err != nil {
		t.Fatal(err)
	}
	c.AccountID, c.Host = acct.ID, host

	if c.Proxy, err = newWebhookProxy(replicas); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Proxy.Close)
	sim.SetWebhook(c.Proxy.URL+"/webhooks/zoom", "")

	dbURL := direct
	if o.Database != nil {
		u, err := url.Parse(direct)
		if err != nil {
			t.Fatal(err)
		}
		if u.Host, err = o.Database(u.Host); err != nil {
			t.Fatal(err)
		}
		dbURL = u.String()
	}
	if o.DatabaseProxy {
		u, err := url.Parse(direct)
		if err != nil {
			t.Fatal(err)
		}
		if c.DB, err = newTCPProxy(u.Host); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.DB.Close)
		u.Host = c.DB.addr
		dbURL = u.String()
	}
	// Three replicas beside other test packages on one server: keep each
	// replica's pool small (the intake's own pool adds 4). Only cohostd's
	// pgxpool understands this parameter.
	dbURL += "&pool_max_conns=8"

	c.env = append([]string{
		"COHOST_ADDR=127.0.0.1:0",
		"COHOST_METRICS_ADDR=127.0.0.1:0",
		"COHOST_DATABASE_URL=" + dbURL,
		"COHOST_GRANTERS=agent",
		"COHOST_JOB_TIMEOUT=" + jobTimeout,
		"COHOST_JOB_RESCUE_AFTER=" + jobRescueAfter,
		"COHOST_SHUTDOWN_TIMEOUT=" + shutdownTimeout.String(),
		"COHOST_LOG_LEVEL=info",
	}, sim.Env(acct.ID)...)
	if o.AgentLatency > 0 {
		agent, err := newLatencyProxy(sim.URL, o.AgentLatency)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(agent.Close)
		// The last value of a variable wins (os/exec).
		c.env = append(c.env, "COHOST_AGENT_URL="+sim.Sim.AgentURL(agent.URL))
	}

	// Replicas stop (gracefully) before the proxy and the simulator close.
	t.Cleanup(c.stopAll)
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.start(ctx, i)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	if c.Store, err = store.Open(ctx, direct, store.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Store.Close)
	if c.queueConn, err = pgx.Connect(ctx, direct); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.queueConn.Close(context.Background()) })
	return c
}

// start runs a new cohostd in the slot and puts it in rotation once it
// listens.
func (c *cluster) start(ctx context.Context, slot int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	r := &replica{slot: slot, cmd: exec.Command(cohostdBinary), done: make(chan struct{})}
	r.cmd.Env = c.env
	setParentDeathSignal(r.cmd)
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := r.cmd.Start(); err != nil {
		return err
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if addr := c.logs.line(slot, sc.Text()); addr != "" {
				select {
				case addrc <- addr:
				default:
				}
			}
		}
		r.err = r.cmd.Wait()
		close(r.done)
	}()
	select {
	case r.addr = <-addrc:
	case <-r.done:
		return fmt.Errorf("replica %d exited before starting: %v\n%s", slot, r.err, c.logs.problemsText())
	case <-ctx.Done():
		_ = r.cmd.Process.Kill()
		<-r.done
		return fmt.Errorf("replica %d did not start: %w", slot, ctx.Err())
	}
	c.mu.Lock()
	c.reps[slot] = r
	c.mu.Unlock()
	c.Proxy.set(slot, r.addr)
	return nil
}

// kill9 kills the slot's process with SIGKILL. It stays in the proxy's
// rotation for lag (deliveries sent to it meanwhile get 502), as a
// Kubernetes Service keeps a dead pod's endpoint until the kubelet and the
// endpoints controller notice.
func (c *cluster) kill9(slot int, lag time.Duration) {
	c.mu.Lock()
	r := c.reps[slot]
	c.mu.Unlock()
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
	time.Sleep(lag)
	c.Proxy.set(slot, "")
}

// term stops the slot's process as a Kubernetes rollout does: out of the
// Service's rotation first, then SIGTERM. cohostd must finish what it has in
// hand and exit 0 within COHOST_SHUTDOWN_TIMEOUT.
func (c *cluster) term(slot int) error {
	c.mu.Lock()
	r := c.reps[slot]
	c.mu.Unlock()
	c.Proxy.set(slot, "")
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
		if r.err != nil {
			return fmt.Errorf("replica %d: SIGTERM: cohostd exited with %v\n%s", slot, r.err, c.logs.problemsText())
		}
		return nil
	case <-time.After(shutdownTimeout + 5*time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
		return fmt.Errorf("replica %d did not stop within COHOST_SHUTDOWN_TIMEOUT (%s) of SIGTERM", slot, shutdownTimeout)
	}
}

// stopAll stops every live replica with SIGTERM, as Kubernetes does, and
// checks that each exits 0 within COHOST_SHUTDOWN_TIMEOUT (plus margin).
func (c *cluster) stopAll() {
	c.mu.Lock()
	reps := append([]*replica(nil), c.reps...)
	c.mu.Unlock()
	for _, r := range reps {
		if r == nil {
			continue
		}
		select {
		case <-r.done:
			continue
		default:
		}
		c.Proxy.set(r.slot, "")
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, r := range reps {
		if r == nil {
			continue
		}
		select {
		case <-r.done:
			if r.err != nil && !killedBySIGKILL(r.err) {
				c.t.Errorf("replica %d: SIGTERM: cohostd exited with %v\n%s", r.slot, r.err, c.logs.problemsText())
			}
		case <-time.After(shutdownTimeout + 10*time.Second):
			_ = r.cmd.Process.Kill()
			<-r.done
			c.t.Errorf("replica %d did not stop within COHOST_SHUTDOWN_TIMEOUT (%s) of SIGTERM", r.slot, shutdownTimeout)
		}
	}
}

// jobStats counts River jobs: rescued (their worker died while running them
// and the leader's rescuer handed them on), retried (run more than once), and
// due — running, available, retryable, or scheduled within the next 30 s —
// which at the end means work stuck or still to do. Jobs scheduled later
// (a meeting's preparation before its start time) are not due.
type jobStats struct {
	Rescued, Retried, Due int
	// DueBy counts the due jobs by "state kind".
	DueBy map[string]int
}

func (c *cluster) jobStats(ctx context.Context) (jobStats, error) {
	c.queueMu.Lock()
	defer c.queueMu.Unlock()
	s := jobStats{DueBy: map[string]int{}}
	rows, err := c.queueConn.Query(ctx, `SELECT state::text, kind,
		state IN ('available', 'running', 'retryable', 'pending')
			OR (state = 'scheduled' AND scheduled_at < now() + interval '30 seconds') AS due,
		coalesce(errors::text, '') LIKE '%Stuck job rescued%' AS rescued,
		attempt > 1 AS retried
		FROM river_job`)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var state, kind string
		var due, rescued, retried bool
		if err := rows.Scan(&state, &kind, &due, &rescued, &retried); err != nil {
			return s, err
		}
		if rescued {
			s.Rescued++
		}
		if retried {
			s.Retried++
		}
		if due {
			s.Due++
			s.DueBy[state+" "+kind]++
		}
	}
	return s, rows.Err()
}

func killedBySIGKILL(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// logSink reads every replica's JSON log lines: it finds the listen address,
// counts first confirmations per participant (a participant confirmed twice
// is a duplicate grant) and the webhooks answered 503, and keeps the last
// warnings and errors as evidence.
type logSink struct {
	mu        sync.Mutex
	confirmed map[string]int // meeting_uuid/participant_key → "co-host confirmed by Zoom" lines
	notStored int            // webhooks answered 503 because the event could not be stored
	problems  []string       // the last warnings and errors, oldest first
}

func newLogSink() *logSink { return &logSink{confirmed: map[string]int{}} }

const keptProblems = 40

// line records one log line of a replica and returns the listen address if
// the line announces it.
func (s *logSink) line(slot int, raw string) string {
	var rec struct {
		Level          string `json:"level"`
		Msg            string `json:"msg"`
		Addr           string `json:"addr"`
		MeetingUUID    string `json:"meeting_uuid"`
		ParticipantKey string `json:"participant_key"`
	}
	if json.Unmarshal([]byte(raw), &rec) != nil {
		rec.Level, rec.Msg = "ERROR", raw // not JSON: a panic or a runtime message
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch rec.Msg {
	case "cohostd started":
		return rec.Addr
	case "co-host confirmed by Zoom":
		s.confirmed[rec.MeetingUUID+"/"+rec.ParticipantKey]++
	case "webhook not stored; answering 503 so Zoom retries":
		s.notStored++
	}
	if rec.Level == "WARN" || rec.Level == "ERROR" {
		if len(raw) > 600 {
			raw = raw[:600] + "…"
		}
		s.problems = append(s.problems, fmt.Sprintf("replica %d: %s", slot, raw))
		if len(s.problems) > keptProblems {
			s.problems = s.problems[len(s.problems)-keptProblems:]
		}
	}
	return ""
}

// confirmedTwice lists the participants whose first confirmation was
// committed more than once.
func (s *logSink) confirmedTwice() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, n := range s.confirmed {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s ×%d", k, n))
		}
	}
	sort.Strings(out)
	return out
}

func (s *logSink) answered503() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notStored
}

func (s *logSink) problemsText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.problems) == 0 {
		return "(no warnings or errors logged)"
	}
	return "last warnings and errors of the replicas:\n  " + strings.Join(s.problems, "\n  ")
}
