package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/harness"
	"github.com/cohost-dev/cohost/zoomsim"
)

// JoinRun is one measured meeting: Joins people join evenly over Over, and
// cohostd (agent granter) makes them co-host.
type JoinRun struct {
	Name        string
	DatabaseURL string // "" = a temporary SQLite file
	Replicas    int
	Joins       int
	Over        time.Duration
	// AgentRate is the agent's co-host calls per second per meeting (0 =
	// unlimited); with it the run has an ideal drain time.
	AgentRate int
}

// JoinResult is what a JoinRun measured.
type JoinResult struct {
	Run JoinRun
	// Confirmed counts joiners confirmed co-host; Lost those who were not;
	// Duplicates joiners the agent promoted more than once.
	Confirmed, Lost, Duplicates int
	// Ack is how long cohostd took to answer the simulator's webhooks (all
	// of them: joins, role changes, the meeting's own), measured by a proxy
	// in front of it.
	Ack Quantiles
	// TimeToGrant: webhook received by cohostd → the agent's 200 recorded.
	// TimeToConfirm: webhook received → Zoom's role-change event time.
	TimeToGrant, TimeToConfirm Quantiles
	// LastConfirmed is the time from the first join to the last confirmation;
	// Ideal is the drain time the arrival rate and the agent's rate limit allow.
	LastConfirmed, Ideal time.Duration
	// Series for the chart: seconds since the first join of each join and confirmation.
	JoinTimes, ConfirmTimes []float64
}

// Quantiles of a latency distribution.
type Quantiles struct{ P50, P95, P99, P999, Max time.Duration }

func quantiles(d []time.Duration) Quantiles {
	if len(d) == 0 {
		return Quantiles{}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return Quantiles{P50: quantile(d, .5), P95: quantile(d, .95), P99: quantile(d, .99), P999: quantile(d, .999), Max: d[len(d)-1]}
}

// timeWebhooks puts a proxy between the simulator and cohostd that times
// each webhook's answer; acks returns the times so far.
func timeWebhooks(h *harness.Harness) (acks func() []time.Duration, stop func(), err error) {
	target, err := url.Parse(h.WebhookURL())
	if err != nil {
		return nil, nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	var mu sync.Mutex
	var took []time.Duration
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rp.ServeHTTP(w, r)
		d := time.Since(start)
		mu.Lock()
		took = append(took, d)
		mu.Unlock()
	}))
	h.Sim.Sim.SetWebhook(srv.URL+target.Path, "")
	return func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Duration(nil), took...)
	}, srv.Close, nil
}

// RunJoins runs one meeting of r.Joins joiners against the simulator.
func RunJoins(ctx context.Context, r JoinRun, progress io.Writer) (*JoinResult, error) {
	progress = orDiscard(progress)
	fmt.Fprintf(progress, "%s: starting (%d joins over %s, %d replica(s))\n", r.Name, r.Joins, r.Over, max(r.Replicas, 1))
	h, err := harness.Start(ctx, harness.Options{
		DatabaseURL: r.DatabaseURL, Replicas: r.Replicas, Granters: "agent",
		Env: map[string]string{"COHOST_GRANT_GIVE_UP_AFTER": "10m"},
		Sim: func(c *zoomsim.Config) {
			c.Agent = zoomsim.AgentConfig{PromotionsPerSecond: r.AgentRate}
			c.RateLimits = &zoomsim.RateLimits{} // Zoom's limits off: measure cohost
		},
	})
	if err != nil {
		return nil, err
	}
	defer h.Close(ctx)
	sim := h.Sim.Sim
	acks, stopAcks, err := timeWebhooks(h)
	if err != nil {
		return nil, err
	}
	defer stopAcks()
	m, err := sim.CreateMeeting(zoomsim.MeetingSpec{HostID: h.Host.ID, Topic: r.Name})
	if err != nil {
		return nil, err
	}
	if _, err := sim.StartMeeting(m.ID); err != nil {
		return nil, err
	}
	// Let the meeting be prepared (agent session open), as it is before a
	// scheduled meeting starts: the measurement is of serving joiners.
	deadline := time.Now().Add(30 * time.Second)
	for !sim.AgentSessions()[m.ID] && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	first := time.Now()
	gap := r.Over / time.Duration(r.Joins)
	for i := range r.Joins {
		if d := time.Until(first.Add(time.Duration(i) * gap)); d > 0 {
			time.Sleep(d)
		}
		if _, err := sim.Join(m.ID, zoomsim.JoinSpec{Name: "Joiner " + strconv.Itoa(i+1)}); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(progress, "%s: %d joined in %s; waiting for co-host\n", r.Name, r.Joins, time.Since(first).Round(time.Millisecond))
	meetingID := strconv.FormatInt(m.ID, 10)
	var ps []grant.Participant
	wait := time.Now().Add(3*r.Over + 60*time.Second)
	lastPrint := time.Now()
	for {
		ps, err = h.Cohost.Store.ListParticipants(ctx, h.AccountID, meetingID)
		if err != nil {
			return nil, err
		}
		confirmed := 0
		for _, p := range ps {
			if p.State == grant.StateConfirmed {
				confirmed++
			}
		}
		if confirmed >= r.Joins || time.Now().After(wait) || ctx.Err() != nil {
			break
		}
		if time.Since(lastPrint) > 2*time.Second {
			fmt.Fprintf(progress, "%s: %d/%d confirmed\n", r.Name, confirmed, r.Joins)
			lastPrint = time.Now()
		}
		time.Sleep(25 * time.Millisecond)
	}
	res := &JoinResult{Run: r}
	var tg, tc []time.Duration
	var lastConfirm time.Time
	for _, p := range ps {
		if p.Reason == grant.ReasonAgent {
			continue
		}
		res.JoinTimes = append(res.JoinTimes, p.JoinSeenAt.Sub(first).Seconds())
		if p.State != grant.StateConfirmed {
			res.Lost++
			continue
		}
		res.Confirmed++
		if !p.GrantedAt.IsZero() {
			tg = append(tg, p.GrantedAt.Sub(p.JoinSeenAt))
		}
		tc = append(tc, p.ConfirmedAt.Sub(p.JoinSeenAt))
		res.ConfirmTimes = append(res.ConfirmTimes, p.ConfirmedAt.Sub(first).Seconds())
		if p.ConfirmedAt.After(lastConfirm) {
			lastConfirm = p.ConfirmedAt
		}
	}
	for _, pr := range sim.Ledger().Promotions {
		if pr.Repeats > 0 {
			res.Duplicates++
		}
	}
	res.TimeToGrant, res.TimeToConfirm = quantiles(tg), quantiles(tc)
	res.Ack = quantiles(acks())
	res.LastConfirmed = lastConfirm.Sub(first)
	res.Ideal = r.Over
	if r.AgentRate > 0 {
		res.Ideal = max(r.Over, time.Duration(float64(r.Joins)/float64(r.AgentRate)*float64(time.Second)))
	}
	fmt.Fprintf(progress, "%s: %d confirmed, %d lost, last after %s (ideal %s)\n", r.Name, res.Confirmed, res.Lost,
		res.LastConfirmed.Round(time.Millisecond), res.Ideal)
	return res, nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// LatencyTable renders time-to-co-host results.
func LatencyTable(rs []*JoinResult) string {
	s := "| run | joins | confirmed | lost | grant p50 | grant p95 | grant p99 | confirm p50 | confirm p99 |\n" +
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
	for _, r := range rs {
		s += fmt.Sprintf("| %s | %d | %d | %d | %s | %s | %s | %s | %s |\n", r.Run.Name, r.Run.Joins, r.Confirmed, r.Lost,
			ms(r.TimeToGrant.P50), ms(r.TimeToGrant.P95), ms(r.TimeToGrant.P99), ms(r.TimeToConfirm.P50), ms(r.TimeToConfirm.P99))
	}
	return s
}

// StormTable renders storm results beside their ideal drain time.
func StormTable(rs []*JoinResult) string {
	s := "| run | joins | confirmed | lost | promoted twice | last confirmed after first join | ideal drain | ratio | confirm p50 | confirm p99 | ack p50 | ack p99 | ack p99.9 |\n" +
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
	for _, r := range rs {
		ratio := float64(r.LastConfirmed) / float64(r.Ideal)
		s += fmt.Sprintf("| %s | %d | %d | %d | %d | %.2f s | %.2f s | %.3f× | %s | %s | %s | %s | %s |\n", r.Run.Name, r.Run.Joins, r.Confirmed,
			r.Lost, r.Duplicates, r.LastConfirmed.Seconds(), r.Ideal.Seconds(), ratio, ms(r.TimeToConfirm.P50), ms(r.TimeToConfirm.P99),
			ms(r.Ack.P50), ms(r.Ack.P99), ms(r.Ack.P999))
	}
	return s
}
