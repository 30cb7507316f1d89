// Package bench measures cohostd against its targets: how many webhook
// events per second it stores durably, how fast it answers Zoom, and (with
// the simulator) how fast joiners become co-host. Results are reported beside
// a baseline measured in the same run, because absolute numbers on a shared
// machine mean little and ratios travel.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river/rivertype"

	"github.com/cohost-dev/cohost/engine"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/webhook"
)

const benchSecret = "bench-secret-token"

// IngestTarget is one thing to measure: a name and the intake behind the
// webhook handler (nil intake = the no-store baseline).
type IngestTarget struct {
	Name        string
	DatabaseURL string // "" for the baseline
	// Replicas runs several intakes (each with its store, queue and HTTP
	// server) on the same database; clients spread over them in turn.
	Replicas int
}

// IngestResult is what one target measured.
type IngestResult struct {
	Name string
	// Engine is "sqlite" or "postgres"; "" for the baseline.
	Engine string
	// Throughput: closed loop, Concurrency clients sending as fast as answered.
	Accepted   int64
	Failed     int64
	Duration   time.Duration
	EventsPerS float64
	// Ack latency during the closed loop.
	LoopP50, LoopP99 time.Duration
	// Latency at a fixed offered rate (open loop), so queueing in the client
	// does not hide server latency.
	Rate           int
	RateAccepted   int64
	RateFailed     int64
	P50, P99, P999 time.Duration

	// End to end, with workers running: every join of the closed loop
	// granted (the granter's 200 recorded in the ledger), from the loop's
	// start until the last of them (Drained false when the wait gave up).
	Granted   int64
	Drained   bool
	EndToEnd  time.Duration
	JoinsPerS float64
	// Costs over the closed loop and its drain: what the intake and the
	// workers sent to the database (counted in the store), CPU of this
	// process and of the benchmark database's PostgreSQL backends.
	Intake, Workers store.CountSnapshot
	ProcessCPU      time.Duration
	PG              pgCost
	// Phases is the process's CPU per phase over the same loop and drain
	// (IngestOptions.Profile), from a CPU profile.
	Phases PhaseCPU
	// Profile is that CPU profile (pprof's format).
	Profile []byte
	// Statements is PostgreSQL's work per statement kind over the same
	// loop and drain (pg_stat_statements); StatementsNote says why there
	// is none when the server does not offer it.
	Statements     []StatementKind
	StatementsNote string
}

// IngestOptions sizes the run.
type IngestOptions struct {
	Concurrency int           // closed-loop clients; default 32
	Duration    time.Duration // per phase; default 5s
	Rate        int           // open-loop events/s; default 1000
	Progress    io.Writer     // progress lines; nil = none
	// NoWorkers measures intake alone, without the queue's workers competing
	// for the database (in production they run).
	NoWorkers bool
	// Workers is the workers' concurrency per replica; 0 takes the store's
	// default.
	Workers int
	// NoAcksFirst runs the workers without engine.AcksFirst (to measure
	// what it does).
	NoAcksFirst bool
	// Profile takes a CPU profile of the closed loop and its drain and
	// sums it per phase (IngestResult.Phases); the profiler's own cost is
	// then in the CPU figures too.
	Profile bool
}

// baselineIntake verifies and answers without storing: the cost of HTTP,
// verification and decoding alone.
type baselineIntake struct{}

func (baselineIntake) Accept(context.Context, grant.Inbound) (grant.IntakeResult, error) {
	return grant.IntakeResult{}, nil
}

// httpGranter grants by one HTTP call that answers 200, as the co-host
// agent does: the workers' cost of a grant without the agent's own.
type httpGranter struct {
	url    string
	client *http.Client
}

func (g *httpGranter) Name() string                                 { return "bench" }
func (g *httpGranter) Prepare(context.Context, grant.Meeting) error { return nil }
func (g *httpGranter) Finish(context.Context, grant.Meeting) error  { return nil }
func (g *httpGranter) Grant(ctx context.Context, _ grant.Meeting, p grant.Participant) (grant.Outcome, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url+"/cohost?p="+p.Key, nil)
	if err != nil {
		return grant.Outcome{}, err
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return grant.Outcome{}, &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonAgentUnavailable, Message: err.Error()}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return grant.Outcome{}, &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonAgentUnavailable, Message: resp.Status}
	}
	return grant.Outcome{State: grant.StateGranted}, nil
}

// RunIngest measures each target in turn in this process.
func RunIngest(ctx context.Context, targets []IngestTarget, o IngestOptions) ([]IngestResult, error) {
	if o.Concurrency == 0 {
		o.Concurrency = 32
	}
	if o.Duration == 0 {
		o.Duration = 5 * time.Second
	}
	if o.Rate == 0 {
		o.Rate = 1000
	}
	var out []IngestResult
	for _, t := range targets {
		r, err := runIngestTarget(ctx, t, o)
		if err != nil {
			return out, fmt.Errorf("%s: %w", t.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func runIngestTarget(ctx context.Context, t IngestTarget, o IngestOptions) (IngestResult, error) {
	progress(o.Progress, "%s: starting", t.Name)
	// Each piece starts under the label of its phase (phases.go).
	var agent *httptest.Server
	inPhase(ctx, phaseAgent, func(context.Context) {
		agent = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	})
	defer agent.Close()
	granter := &httpGranter{url: agent.URL, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	counts := &store.Counts{}
	var urls []string
	for range max(t.Replicas, 1) {
		var intake handlers.EventIntake = baselineIntake{}
		if t.DatabaseURL != "" {
			var (
				st  *store.Store
				err error
			)
			inPhase(ctx, labelStore, func(ctx context.Context) { st, err = store.Open(ctx, t.DatabaseURL, store.Options{Counts: counts}) })
			if err != nil {
				return IngestResult{}, err
			}
			defer st.Close()
			// Workers run as in production: they compete with intake for the database.
			var ni *engine.Intake
			inPhase(ctx, phaseIntake, func(context.Context) { ni = engine.NewIntake(st, engine.IntakeOptions{}) })
			defer ni.Close()
			if !o.NoWorkers {
				eng, err := engine.New(engine.Config{Store: st, Logger: slog.New(slog.DiscardHandler), Policy: &grant.Policy{},
					Granters: []grant.Granter{granter}})
				if err != nil {
					return IngestResult{}, err
				}
				mw := []rivertype.Middleware{&jobPhase{}}
				if !o.NoAcksFirst {
					mw = append(mw, engine.NewAcksFirst(ni))
				}
				inPhase(context.WithoutCancel(ctx), labelRiver, func(ctx context.Context) {
					err = st.StartWorkers(ctx, store.WorkerOptions{Workers: eng.Workers(),
						RetryPolicy: engine.RetryPolicy{}, MaxWorkers: o.Workers, Middleware: append(mw, eng.Middleware()...)})
				})
				if err != nil {
					return IngestResult{}, err
				}
				defer func() {
					sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					_ = st.Stop(sctx, 5*time.Second)
				}()
			}
			intake = ni
		}
		var srv *httptest.Server
		inPhase(ctx, phaseWebhook, func(context.Context) {
			srv = httptest.NewServer(handlers.Router(handlers.Deps{
				Secrets: webhook.Secrets{benchSecret},
				Intake:  intake,
				Ready:   func(context.Context) error { return nil },
				Metrics: metrics.New(prometheus.NewRegistry(), metrics.BuildInfo{}),
			}))
		})
		defer srv.Close()
		urls = append(urls, srv.URL)
	}
	var granted func(context.Context) (int64, error)
	var pgm *pgMeter
	if t.DatabaseURL != "" && !o.NoWorkers {
		w, err := openWatcher(ctx, t.DatabaseURL)
		if err != nil {
			return IngestResult{}, err
		}
		defer w.close()
		granted = w.granted
	}
	res := IngestResult{Name: t.Name, Rate: o.Rate}
	var statements *pgStatements
	if strings.HasPrefix(t.DatabaseURL, "postgres") {
		res.Engine = "postgres"
		var err error
		if pgm, err = startPGMeter(ctx, t.DatabaseURL); err != nil {
			return IngestResult{}, err
		}
		defer pgm.close(context.WithoutCancel(ctx))
		// A connection of its own: the meter's samples in the background.
		sconn, err := connectApp(ctx, t.DatabaseURL)
		if err != nil {
			return IngestResult{}, err
		}
		defer sconn.Close(context.WithoutCancel(ctx))
		// A checkpoint now, so that one is less likely to fall inside the
		// measured loop: the first change of each page after a checkpoint
		// logs the whole page, which moves the WAL bytes from run to run.
		// Best effort: it needs the pg_checkpoint role.
		_, _ = sconn.Exec(ctx, ownQuery+"CHECKPOINT")
		if statements, err = startStatements(ctx, sconn); err != nil {
			res.StatementsNote = err.Error()
			progress(o.Progress, "%s: no statement table: %v", t.Name, err)
		}
	} else if t.DatabaseURL != "" {
		res.Engine = "sqlite"
	}
	pick := func(n int64) string { return urls[int(n)%len(urls)] }
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency * 2, MaxConnsPerHost: 0}}
	defer client.CloseIdleConnections()

	var seq atomic.Int64

	// Phase 1: throughput, closed loop.
	var prof *profiling
	if o.Profile {
		var err error
		if prof, err = startProfiling(); err != nil {
			return IngestResult{}, fmt.Errorf("profile: %w", err)
		}
	}
	intake0, workers0, cpu0 := counts.Intake.Snapshot(), counts.Workers.Snapshot(), processCPU()
	deadline := time.Now().Add(o.Duration)
	var wg sync.WaitGroup
	var accepted, failed atomic.Int64
	loopLat := make([][]time.Duration, o.Concurrency)
	start := time.Now()
	for c := range o.Concurrency {
		wg.Add(1)
		go inPhase(ctx, phaseLoadgen, func(ctx context.Context) {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				n := seq.Add(1)
				took, err := deliver(ctx, client, pick(n), n)
				if err != nil {
					failed.Add(1)
					continue
				}
				loopLat[c] = append(loopLat[c], took)
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	res.Duration = time.Since(start)
	res.Accepted, res.Failed = accepted.Load(), failed.Load()
	res.EventsPerS = float64(res.Accepted) / res.Duration.Seconds()
	var all []time.Duration
	for _, l := range loopLat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	res.LoopP50, res.LoopP99 = quantile(all, 0.50), quantile(all, 0.99)
	progress(o.Progress, "%s: throughput %.0f events/s (%d accepted, %d failed), ack p50 %s p99 %s", t.Name, res.EventsPerS,
		res.Accepted, res.Failed, res.LoopP50, res.LoopP99)

	// Drain: every accepted join granted end to end.
	if granted != nil {
		wait := time.Now().Add(2*time.Minute + 10*res.Duration)
		lastPrint := time.Now()
		for {
			n, err := granted(ctx)
			if err != nil {
				return res, err
			}
			res.Granted = n
			if n >= res.Accepted {
				res.Drained = true
				break
			}
			if time.Now().After(wait) || ctx.Err() != nil {
				break
			}
			if time.Since(lastPrint) > 5*time.Second {
				progress(o.Progress, "%s: %d/%d granted", t.Name, n, res.Accepted)
				lastPrint = time.Now()
			}
			time.Sleep(20 * time.Millisecond)
		}
		res.EndToEnd = time.Since(start)
		res.JoinsPerS = float64(res.Granted) / res.EndToEnd.Seconds()
		// River marks jobs completed in batches after the work: let it
		// finish, so its statements are counted with the joins they served.
		time.Sleep(500 * time.Millisecond)
		progress(o.Progress, "%s: %d joins granted end to end in %s: %.0f joins/s", t.Name, res.Granted,
			res.EndToEnd.Round(time.Millisecond), res.JoinsPerS)
	}
	res.ProcessCPU = processCPU() - cpu0
	res.Intake, res.Workers = counts.Intake.Snapshot().Sub(intake0), counts.Workers.Snapshot().Sub(workers0)
	if prof != nil {
		res.Profile = prof.stop()
		var err error
		if res.Phases, err = phasesOf(res.Profile); err != nil {
			return res, fmt.Errorf("profile: %w", err)
		}
	}
	if statements != nil {
		var err error
		if res.Statements, err = statements.finish(ctx); err != nil {
			return res, fmt.Errorf("pg_stat_statements: %w", err)
		}
	}
	if pgm != nil {
		var err error
		if res.PG, err = pgm.finish(ctx); err != nil {
			return res, err
		}
	}

	// Phase 2: latency at a fixed rate, open loop.
	total := int(float64(o.Rate) * o.Duration.Seconds())
	lat := make([]time.Duration, total)
	interval := time.Second / time.Duration(o.Rate)
	var rateAccepted, rateFailed atomic.Int64
	begin := time.Now()
	for i := range total {
		if ctx.Err() != nil {
			break
		}
		if d := time.Until(begin.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go inPhase(ctx, phaseLoadgen, func(ctx context.Context) {
			defer wg.Done()
			n := seq.Add(1)
			took, err := deliver(ctx, client, pick(n), n)
			lat[i] = took
			if err != nil {
				if rateFailed.Add(1) <= 3 {
					progress(o.Progress, "%s: delivery failed: %v", t.Name, err)
				}
				return
			}
			rateAccepted.Add(1)
		})
	}
	wg.Wait()
	res.RateAccepted, res.RateFailed = rateAccepted.Load(), rateFailed.Load()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.P50, res.P99, res.P999 = quantile(lat, 0.50), quantile(lat, 0.99), quantile(lat, 0.999)
	progress(o.Progress, "%s: at %d/s p50 %s p99 %s", t.Name, o.Rate, res.P50, res.P99)
	return res, nil
}

func deliver(ctx context.Context, client *http.Client, url string, n int64) (time.Duration, error) {
	body := []byte(fmt.Sprintf(`{"event":"meeting.participant_joined","event_ts":%d,"payload":{"account_id":"bench","object":{"id":85746065432,"uuid":"bench-meeting==","host_id":"host","participant":{"user_id":"%d","user_name":"Bench %d","participant_uuid":"bench-%d","join_time":"2027-01-01T00:00:00Z"}}}}`,
		time.Now().UnixMilli(), n, n, n))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/webhooks/zoom", bytesReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = webhook.SignedHeaders(body, benchSecret, time.Now())
	req.Header.Set(webhook.HeaderRequestID, "bench-"+strconv.FormatInt(n, 10))
	start := time.Now()
	resp, err := client.Do(req)
	took := time.Since(start)
	if err != nil {
		return took, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return took, fmt.Errorf("status %d", resp.StatusCode)
	}
	return took, nil
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)-1))
	return sorted[i]
}

func progress(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// Yardsticks are a run's yardsticks, per engine (nil: not measured).
type Yardsticks struct{ Postgres, SQLite *Yardstick }

func (y Yardsticks) of(engine string) *Yardstick {
	switch engine {
	case "postgres":
		return y.Postgres
	case "sqlite":
		return y.SQLite
	}
	return nil
}

// YardstickTable renders the yardsticks.
func YardstickTable(y Yardsticks) string {
	s := "| yardstick | clients | commits | commits/s |\n|---|---:|---:|---:|\n"
	for _, m := range []*Yardstick{y.Postgres, y.SQLite} {
		if m != nil {
			s += fmt.Sprintf("| %s: one single-row INSERT of a %d-byte JSON document per transaction | %d | %d | %.0f |\n",
				m.Engine, yardstickDocBytes, m.Clients, m.Commits, m.PerS)
		}
	}
	return s
}

// ofYardstick formats a rate as a ratio to the yardstick of its engine.
func ofYardstick(perS float64, y *Yardstick) string {
	if y == nil || y.PerS <= 0 || perS <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", perS/y.PerS)
}

// baselineCPUPerEvent is the baseline handler's CPU per event answered in
// the same run (0 when the run had no baseline).
func baselineCPUPerEvent(rs []IngestResult) time.Duration {
	for _, r := range rs {
		if r.Engine == "" && r.Accepted > 0 {
			return r.ProcessCPU / time.Duration(r.Accepted)
		}
	}
	return 0
}

// ratioTo formats d per one of n as a multiple of base.
func ratioTo(d time.Duration, n int64, base time.Duration) string {
	if n <= 0 || base <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f×", float64(d)/float64(n)/float64(base))
}

// IngestTable renders results as a Markdown table, each rate beside the
// yardstick of its engine and the first (baseline) row.
func IngestTable(rs []IngestResult, y Yardsticks) string {
	s := "| target | durable events/s | × yardstick | vs baseline | failed | loop ack p50 | loop ack p99 | offered rate | ack p50 | ack p99 | ack p99.9 |\n" +
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
	for _, r := range rs {
		ratio := "1.00×"
		if len(rs) > 0 && rs[0].EventsPerS > 0 {
			ratio = fmt.Sprintf("%.2f×", r.EventsPerS/rs[0].EventsPerS)
		}
		s += fmt.Sprintf("| %s | %.0f | %s | %s | %d | %s | %s | %d/s | %s | %s | %s |\n", r.Name, r.EventsPerS,
			ofYardstick(r.EventsPerS, y.of(r.Engine)), ratio, r.Failed+r.RateFailed, ms(r.LoopP50), ms(r.LoopP99), r.Rate,
			ms(r.P50), ms(r.P99), ms(r.P999))
	}
	return s
}

// CostTable renders, per target, the joins granted end to end and what each
// cost: statements and commits per join (workers) and per event (intake),
// and CPU per 1,000 joins, also as a multiple of the baseline handler's CPU
// per event. The baseline row has no joins; its CPU is per 1,000 events
// answered.
func CostTable(rs []IngestResult, y Yardsticks) string {
	base := baselineCPUPerEvent(rs)
	s := "| target | joins granted | joins/s end to end | × yardstick | workers: statements/join | of them BEGIN/COMMIT | workers: commits/join | " +
		"intake: statements/event | intake: commits/event | xact_commit/join (PostgreSQL) | process CPU /1,000 joins | × baseline | " +
		"PostgreSQL CPU /1,000 joins | × baseline |\n" +
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
	for _, r := range rs {
		n := r.Granted
		joins, rate := fmt.Sprintf("%d", r.Granted), fmt.Sprintf("%.0f", r.JoinsPerS)
		if n == 0 {
			n, joins, rate = r.Accepted, "– (events: "+fmt.Sprint(r.Accepted)+")", "–"
		} else if !r.Drained {
			joins += fmt.Sprintf(" of %d", r.Accepted)
		}
		xact, pgCPU, pgRatio := "–", "–", "–"
		if r.PG.Readable || r.PG.Commits > 0 {
			xact = per(r.PG.Commits, n)
		}
		if r.PG.Readable {
			pgCPU, pgRatio = perThousand(r.PG.CPU, n), ratioTo(r.PG.CPU, n, base)
		}
		s += fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Name, joins, rate,
			ofYardstick(r.JoinsPerS, y.of(r.Engine)),
			per(r.Workers.Statements, r.Granted), per(r.Workers.Control, r.Granted), per(r.Workers.Commits, r.Granted),
			per(r.Intake.Statements, r.Accepted), per(r.Intake.Commits, r.Accepted), xact,
			perThousand(r.ProcessCPU, n), ratioTo(r.ProcessCPU, n, base), pgCPU, pgRatio)
	}
	return s
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
