package chaos

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/zoomsim"
)

// Sizes: a storm of a few hundred joins over 10 s, fitted to a 2-core machine
// that runs three replicas, PostgreSQL and the simulator at once. Each
// scenario has a hard deadline; the tests never assert durations.
const (
	stormOver     = 10 * time.Second
	scenarioLimit = 90 * time.Second
	// agentLatency is how long each call to the co-host agent takes (a real
	// agent's AssignCoHost is not instant): grants are in flight when a fault
	// strikes.
	agentLatency = 100 * time.Millisecond
)

// TestKillNineDuringStorm: three replicas behind the round-robin proxy; one is
// killed with SIGKILL every 2.5 s during the storm and restarted. Deliveries
// in flight to the dead replica get 502 (Zoom retries them); its running jobs
// are rescued by another replica after COHOST_JOB_RESCUE_AFTER. Everyone ends
// confirmed, once.
func TestKillNineDuringStorm(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioLimit)
	defer cancel()
	// Each agent call takes 100 ms, so grant jobs are running when a replica
	// dies and must be rescued.
	c := startCluster(ctx, t, clusterOptions{TimeScale: 0.001, AgentLatency: agentLatency})
	began := time.Now()
	m1, m2 := c.openMeeting(t), c.openMeeting(t)
	s := startStorm(ctx, c.Sim.Sim, 300, stormOver, m1, m2)
	kills := 0
	for k, at := range []time.Duration{2 * time.Second, 4500 * time.Millisecond, 7 * time.Second, 9500 * time.Millisecond} {
		s.at(ctx, at)
		slot := k % replicas
		c.kill9(slot, 250*time.Millisecond)
		kills++
		time.Sleep(500 * time.Millisecond)
		if err := c.start(ctx, slot); err != nil {
			t.Fatalf("restarting replica %d: %v", slot, err)
		}
	}
	s.wait(t)
	r := c.settle(ctx, t, "kill -9", began, m1, m2)
	r.Extra = fmt.Sprintf("kills %d, proxy 502s %d (of %d forwarded)", kills, c.Proxy.badGateway.Load(), c.Proxy.forwarded.Load())
	c.report(t, r)
}

// TestRollingRestartDuringStorm: each replica in turn leaves the rotation,
// gets SIGTERM and is started again, as in a Kubernetes rollout, during the
// storm. cohostd stops softly (running jobs finish), then hard, within
// COHOST_SHUTDOWN_TIMEOUT and exits 0; nothing is lost or granted twice.
func TestRollingRestartDuringStorm(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioLimit)
	defer cancel()
	c := startCluster(ctx, t, clusterOptions{TimeScale: 0.001, AgentLatency: agentLatency})
	began := time.Now()
	m1, m2 := c.openMeeting(t), c.openMeeting(t)
	s := startStorm(ctx, c.Sim.Sim, 240, stormOver, m1, m2)
	stops := 0
	for slot, at := range []time.Duration{2 * time.Second, 5 * time.Second, 8 * time.Second} {
		s.at(ctx, at)
		if err := c.term(slot); err != nil {
			t.Error(err)
		}
		stops++
		if err := c.start(ctx, slot); err != nil {
			t.Fatalf("restarting replica %d: %v", slot, err)
		}
	}
	s.wait(t)
	r := c.settle(ctx, t, "rolling restart", began, m1, m2)
	r.Extra = fmt.Sprintf("graceful stops %d (each exited 0 within COHOST_SHUTDOWN_TIMEOUT %s)", stops, shutdownTimeout)
	c.report(t, r)
}

// TestZoomFaultsAndTokenExpiry: Zoom's API answers 5xx to 10% of calls
// (token requests included) and in bursts 429; every access token is expired
// twice mid-storm. Meetings start in three waves so REST calls (the agent
// session's meeting and ZAK look-ups) come from every replica after each
// expiry. The replicas share one token through the store: Zoom issues one
// token per expiry across all replicas, plus the first.
func TestZoomFaultsAndTokenExpiry(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioLimit)
	defer cancel()
	c := startCluster(ctx, t, clusterOptions{TimeScale: 0.001, AgentLatency: agentLatency})
	sim := c.Sim.Sim
	began := time.Now()
	sim.SetFaults(zoomsim.Faults{REST5xxRate: 0.10, Burst429: 3})
	var meetings []int64
	for range 12 {
		meetings = append(meetings, c.createMeeting(t))
	}
	wave := func(s *storm, ids []int64) {
		for _, id := range ids {
			c.startMeeting(t, id)
			if s != nil {
				s.openMeeting(id)
			}
		}
	}
	wave(nil, meetings[:4])
	s := startStorm(ctx, sim, 240, stormOver, meetings[:4]...)
	expiries := 0
	for k, at := range []time.Duration{3 * time.Second, 6500 * time.Millisecond} {
		s.at(ctx, at)
		if err := sim.ExpireTokens(c.AccountID); err != nil {
			t.Fatal(err)
		}
		expiries++
		f := sim.Faults()
		f.Burst429 = 4
		sim.SetFaults(f)
		wave(s, meetings[4*(k+1):4*(k+2)])
	}
	s.wait(t)
	r := c.settle(ctx, t, "zoom 5xx/429 + token expiry", began, meetings...)
	l := sim.Ledger()
	issued, refused := 0, 0
	for _, tr := range l.TokenRequests {
		switch {
		case tr.AccountID == c.AccountID && tr.Status == 200:
			issued++
		case tr.Status >= 500:
			refused++
		}
	}
	cnt := l.Counters()
	r.Extra = fmt.Sprintf("tokens issued %d (1 + %d expiries), token requests failed by injected 5xx %d · REST calls %d: 5xx %d, 429 %d, 401 %d",
		issued, expiries, refused, cnt.APICalls, cnt.APIServerErrors, cnt.APIRateLimited, cnt.APIUnauthorized)
	c.report(t, r)
	if issued != 1+expiries {
		t.Errorf("Zoom issued %d access tokens, want %d (one, then one per expiry across all replicas)", issued, 1+expiries)
	}
	if cnt.APIRateLimited == 0 || cnt.APIUnauthorized == 0 {
		t.Errorf("the faults did not bite: %d answers 429 and %d answers 401 (expired token); want some of each", cnt.APIRateLimited, cnt.APIUnauthorized)
	}
}

// TestAgentRestartDuringStorm: the co-host agent restarts twice mid-storm and
// forgets its sessions; grants get 404 no_session, cohostd opens the session
// again and carries on. Everyone ends confirmed, once.
func TestAgentRestartDuringStorm(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioLimit)
	defer cancel()
	c := startCluster(ctx, t, clusterOptions{TimeScale: 0.001, AgentLatency: agentLatency})
	sim := c.Sim.Sim
	began := time.Now()
	m1, m2 := c.openMeeting(t), c.openMeeting(t)
	s := startStorm(ctx, sim, 240, stormOver, m1, m2)
	restarts := 0
	for _, at := range []time.Duration{3 * time.Second, 6500 * time.Millisecond} {
		s.at(ctx, at)
		sim.RestartAgent()
		restarts++
	}
	s.wait(t)
	r := c.settle(ctx, t, "agent restart", began, m1, m2)
	l := sim.Ledger()
	noSession, closedByRestart := 0, 0
	for _, a := range l.AgentCalls {
		if a.Status == 404 && a.Error == string(api.AgentErrNoSession) {
			noSession++
		}
	}
	for _, se := range l.Sessions {
		if se.CloseReason == "restart" {
			closedByRestart++
		}
	}
	r.Extra = fmt.Sprintf("agent restarts %d, sessions opened %d (closed by restart %d), co-host calls answered no_session %d, "+
		"session PUTs %d, Zoom REST calls %d",
		restarts, len(l.Sessions), closedByRestart, noSession, sessionPuts(l), len(l.APICalls))
	c.report(t, r)
	if want := 2 * (1 + restarts); len(l.Sessions) < want {
		t.Errorf("the agent opened %d sessions, want at least %d (each meeting re-opened after each restart)", len(l.Sessions), want)
	}
}

// TestDatabaseOutageDuringStorm: PostgreSQL becomes unreachable for 3 s in
// the middle of the storm (a TCP proxy in front of it refuses connections and
// drops the open ones; the shared server is not touched). Webhooks that
// cannot be stored are answered 503, Zoom retries them, and nothing is lost
// once the database is back.
func TestDatabaseOutageDuringStorm(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioLimit)
	defer cancel()
	// Retries after 0.6 s, 2.4 s and 7.2 s: a delivery first refused at the
	// start of the outage still has a retry due after it ends.
	c := startCluster(ctx, t, clusterOptions{TimeScale: 0.002, DatabaseProxy: true, AgentLatency: agentLatency})
	began := time.Now()
	m1, m2 := c.openMeeting(t), c.openMeeting(t)
	s := startStorm(ctx, c.Sim.Sim, 240, stormOver, m1, m2)
	s.at(ctx, 3500*time.Millisecond)
	c.DB.cut()
	cutAt := time.Now()
	time.Sleep(3 * time.Second)
	if err := c.DB.restore(); err != nil {
		t.Fatal(err)
	}
	outage := time.Since(cutAt)
	s.wait(t)
	r := c.settle(ctx, t, "database outage", began, m1, m2)
	answered503 := 0
	for _, d := range c.Sim.Ledger().Webhooks {
		for _, a := range d.Attempts {
			if a.Status == 503 {
				answered503++
			}
		}
	}
	r.Extra = fmt.Sprintf("outage %.1f s, database connections dropped %d, attempts answered 503 %d (replicas logged %d)",
		outage.Seconds(), c.DB.dropped.Load(), answered503, c.logs.answered503())
	c.report(t, r)
	if answered503 == 0 {
		t.Errorf("no webhook was answered 503 during the outage:\n%s", c.logs.problemsText())
	}
}

// sessionPuts counts the calls that asked the agent to join a meeting.
func sessionPuts(l zoomsim.Ledger) int {
	n := 0
	for _, a := range l.AgentCalls {
		if a.Method == "PUT" && strings.HasSuffix(a.Path, "/session") {
			n++
		}
	}
	return n
}
