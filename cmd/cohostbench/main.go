// Command cohostbench measures cohostd and prints a Markdown report.
//
//	cohostbench ingest  [-duration 5s] [-rate 1000] [-concurrency 32] [-postgres URL] [-no-workers] [-workers N] [-only sqlite,postgres,postgres3] [-profile DIR]
//	cohostbench yardstick [-duration 5s] [-postgres URL] [-sqlite]
//	cohostbench latency [-joins 100] [-over 10s] [-postgres URL]
//	cohostbench storm   [-joins 1000] [-over 10s] [-agent-rate 0] [-postgres URL] [-out DIR]
//	cohostbench hostclient [-joins 100] [-over 150s] [-interval 1s] [-storm 300] [-storm-over 1s]
//
// ingest: durably accepted webhook events per second and ack latency on
// loopback, for SQLite and PostgreSQL, beside a baseline handler in the same
// run that verifies and answers without storing; then, with the workers
// running, the joins granted end to end per second and what each join cost:
// SQL statements and commits (counted in the store), CPU of this process and
// of PostgreSQL's backends; PostgreSQL's work per kind of statement
// (pg_stat_statements, when the server loads it); with -profile, the
// process's CPU per phase (intake, fetch, process, grant, complete, …).
// Every rate is also shown as a ratio to the yardstick measured in the same
// run, and every CPU figure as a ratio to the baseline handler's CPU per
// event.
//
// yardstick: the yardstick alone: 32 clients, each committing one
// single-row INSERT of a 200-byte JSON document per transaction, as fast as
// answered (pgbench's workload through pgx), on PostgreSQL and, with
// -sqlite, on a SQLite file with the intake's settings.
//
// latency: time to co-host on an idle system (joins spaced out): webhook
// received → the agent's 200, and → Zoom's confirmation, for both engines.
//
// storm: many joins in a short time; time until the last joiner is confirmed,
// beside the ideal drain time the arrival rate and the agent's rate limit
// allow; SQLite, PostgreSQL with 1 and with 3 replicas. Writes report.md and
// storm.svg (joins and grants over time) to -out.
//
// hostclient: the host page in headless Chromium against the simulator's Web
// Meeting SDK: time from each join's webhook (answered 200) to its
// makeCoHost resolving, for joins spaced out (an idle page), then the last
// co-host of a storm beside the ideal the pace allows (one call per
// interval). Needs Chromium.
//
// PostgreSQL is measured when -postgres (default $COHOST_BENCH_DATABASE_URL)
// names a database; each run empties it first (River's and cohost's tables).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cohost-dev/cohost/bench"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch os.Args[1] {
	case "ingest":
		os.Exit(ingest(ctx, os.Args[2:]))
	case "yardstick":
		os.Exit(yardstick(ctx, os.Args[2:]))
	case "latency":
		os.Exit(joins(ctx, "latency", os.Args[2:]))
	case "storm":
		os.Exit(joins(ctx, "storm", os.Args[2:]))
	case "hostclient":
		os.Exit(hostClient(ctx, os.Args[2:]))
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: cohostbench ingest|yardstick|latency|storm|hostclient [flags]   (cohostbench CMD -h for flags)")
	os.Exit(2)
}

func ingest(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("ingest", flag.ExitOnError)
	duration := fs.Duration("duration", 5*time.Second, "length of each phase (throughput, then fixed rate)")
	rate := fs.Int("rate", 1000, "offered events/s for the latency phase")
	conc := fs.Int("concurrency", 32, "concurrent clients for the throughput phase")
	pg := fs.String("postgres", os.Getenv("COHOST_BENCH_DATABASE_URL"), "PostgreSQL URL to measure (empty: skip); default $COHOST_BENCH_DATABASE_URL")
	noWorkers := fs.Bool("no-workers", false, "measure intake alone, without the queue's workers running (in production they run)")
	workers := fs.Int("workers", 0, "workers per replica (0: the store's default, as cohostd's COHOST_WORKERS)")
	noAcksFirst := fs.Bool("no-acks-first", false, "workers do not give way to the intake's backlog (engine.AcksFirst off)")
	only := fs.String("only", "", "comma list of targets to measure beside the baseline: sqlite, postgres, postgres3 (default all)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	memProfile := fs.String("memprofile", "", "write a profile of the whole run's allocations to this file (go tool pprof -sample_index=alloc_space)")
	profileDir := fs.String("profile", "", "profile each target's closed loop and drain: print the CPU per phase and write DIR/<target>.pprof (not with -cpuprofile)")
	_ = fs.Parse(args)
	if *cpuProfile != "" && *profileDir != "" {
		fmt.Fprintln(os.Stderr, "cohostbench: -cpuprofile and -profile exclude each other (one CPU profile at a time)")
		return 2
	}
	if *profileDir != "" {
		if err := os.MkdirAll(*profileDir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "cohostbench:", err)
			return 1
		}
	}
	if *memProfile != "" {
		defer func() {
			f, err := os.Create(*memProfile)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				_ = f.Close()
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "cohostbench:", err)
			}
		}()
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cohostbench:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "cohostbench:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	dir, err := os.MkdirTemp("", "cohostbench")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	want := func(name string) bool { return *only == "" || slices.Contains(strings.Split(*only, ","), name) }
	targets := []bench.IngestTarget{{Name: "baseline (verify + answer, no store)"}}
	if want("sqlite") {
		targets = append(targets, bench.IngestTarget{Name: "sqlite", DatabaseURL: "sqlite://" + filepath.Join(dir, "bench.db")})
	}
	if *pg != "" {
		if want("postgres") {
			targets = append(targets, bench.IngestTarget{Name: "postgres, 1 replica", DatabaseURL: *pg})
		}
		if want("postgres3") {
			targets = append(targets, bench.IngestTarget{Name: "postgres, 3 replicas", DatabaseURL: *pg, Replicas: 3})
		}
	} else {
		fmt.Fprintln(os.Stderr, "note: no -postgres URL given; PostgreSQL is not measured")
	}
	// The yardsticks first, in the same run, against the same database.
	var ys bench.Yardsticks
	for _, t := range targets {
		y := &ys.Postgres
		if strings.HasPrefix(t.DatabaseURL, "sqlite://") {
			y = &ys.SQLite
		}
		if t.DatabaseURL == "" || *y != nil {
			continue
		}
		if y == &ys.Postgres {
			if err := resetPostgres(ctx, t.DatabaseURL); err != nil { // creates the database if need be
				fmt.Fprintln(os.Stderr, "cohostbench:", err)
				return 1
			}
		}
		m, err := bench.RunYardstick(ctx, t.DatabaseURL, *duration)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cohostbench:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "yardstick %s: %.0f commits/s\n", m.Engine, m.PerS)
		*y = &m
	}
	var results []bench.IngestResult
	for _, t := range targets {
		if t.DatabaseURL != "" && strings.HasPrefix(t.DatabaseURL, "postgres") {
			if err := resetPostgres(ctx, t.DatabaseURL); err != nil { // each target starts from an empty database
				fmt.Fprintln(os.Stderr, "cohostbench:", err)
				return 1
			}
		}
		rs, err := bench.RunIngest(ctx, []bench.IngestTarget{t}, bench.IngestOptions{
			Concurrency: *conc, Duration: *duration, Rate: *rate, Progress: os.Stderr, NoWorkers: *noWorkers, Workers: *workers, NoAcksFirst: *noAcksFirst,
			Profile: *profileDir != "",
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "cohostbench:", err)
			return 1
		}
		for _, r := range rs {
			if r.Profile != nil {
				path := filepath.Join(*profileDir, slug(r.Name)+".pprof")
				if err := os.WriteFile(path, r.Profile, 0o644); err != nil {
					fmt.Fprintln(os.Stderr, "cohostbench:", err)
					return 1
				}
				fmt.Fprintf(os.Stderr, "wrote %s (go tool pprof -tagfocus phase=… %s)\n", path, path)
			}
		}
		results = append(results, rs...)
	}
	running := "workers running"
	if *noWorkers {
		running = "workers stopped"
	}
	fmt.Printf("## Yardstick (%s, same run, same database)\n\n%s\n", *duration, bench.YardstickTable(ys))
	fmt.Printf("## Webhook ingest (%s per phase, %d clients, latency at %d events/s, %s)\n\n%s", *duration, *conc, *rate, running, bench.IngestTable(results, ys))
	if !*noWorkers {
		fmt.Printf("\n## Cost per join (the closed loop and its drain; every join granted by one HTTP call answered 200)\n\n%s", bench.CostTable(results, ys))
	}
	if t := bench.PhaseTable(results); t != "" {
		fmt.Printf("\n## Process CPU per phase (CPU profile of the closed loop and its drain)\n\n%s", t)
	}
	for _, r := range results {
		if r.Engine != "postgres" {
			continue
		}
		n, unit := r.Granted, "join"
		if n == 0 {
			n, unit = r.Accepted, "event"
		}
		if t := bench.StatementTable(r.Statements, n, unit); t != "" {
			fmt.Printf("\n## PostgreSQL per statement kind: %s (pg_stat_statements, the closed loop and its drain, per %s)\n\n%s", r.Name, unit, t)
		} else if r.StatementsNote != "" {
			fmt.Printf("\n(%s: no statement table: %s. Load it with shared_preload_libraries = 'pg_stat_statements' and restart the server.)\n", r.Name, r.StatementsNote)
		}
	}
	return 0
}

// slug makes a target's name a file name.
func slug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func yardstick(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("yardstick", flag.ExitOnError)
	duration := fs.Duration("duration", 5*time.Second, "how long to measure")
	pg := fs.String("postgres", os.Getenv("COHOST_BENCH_DATABASE_URL"), "PostgreSQL URL to measure (empty: skip); default $COHOST_BENCH_DATABASE_URL")
	sqlite := fs.Bool("sqlite", false, "measure SQLite too (a temporary file)")
	_ = fs.Parse(args)
	var ys bench.Yardsticks
	if *pg != "" {
		if err := resetPostgres(ctx, *pg); err != nil { // creates the database if need be
			fmt.Fprintln(os.Stderr, "cohostbench:", err)
			return 1
		}
		m, err := bench.RunYardstick(ctx, *pg, *duration)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cohostbench:", err)
			return 1
		}
		ys.Postgres = &m
	}
	if *sqlite {
		dir, err := os.MkdirTemp("", "cohostbench")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		m, err := bench.RunYardstick(ctx, "sqlite://"+filepath.Join(dir, "bench.db"), *duration)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cohostbench:", err)
			return 1
		}
		ys.SQLite = &m
	}
	fmt.Printf("## Yardstick (%s)\n\n%s", *duration, bench.YardstickTable(ys))
	return 0
}

func joins(ctx context.Context, mode string, args []string) int {
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	n, over := 100, 10*time.Second
	if mode == "storm" {
		n = 1000
	}
	joinsN := fs.Int("joins", n, "how many join")
	overD := fs.Duration("over", over, "over how long they join")
	agentRate := fs.Int("agent-rate", 0, "the agent's co-host calls per second per meeting (0: unlimited)")
	pg := fs.String("postgres", os.Getenv("COHOST_BENCH_DATABASE_URL"), "PostgreSQL URL to measure (empty: skip); default $COHOST_BENCH_DATABASE_URL")
	out := fs.String("out", "bench-out", "directory for report.md and storm.svg (storm)")
	_ = fs.Parse(args)

	runs := []bench.JoinRun{{Name: "sqlite, 1 replica"}}
	if *pg != "" {
		runs = append(runs, bench.JoinRun{Name: "postgres, 1 replica", DatabaseURL: *pg})
		if mode == "storm" {
			runs = append(runs, bench.JoinRun{Name: "postgres, 3 replicas", DatabaseURL: *pg, Replicas: 3})
		}
	} else {
		fmt.Fprintln(os.Stderr, "note: no -postgres URL given; PostgreSQL is not measured")
	}
	var results []*bench.JoinResult
	for _, r := range runs {
		r.Joins, r.Over, r.AgentRate = *joinsN, *overD, *agentRate
		if r.DatabaseURL != "" {
			if err := resetPostgres(ctx, r.DatabaseURL); err != nil {
				fmt.Fprintln(os.Stderr, "cohostbench:", err)
				return 1
			}
		}
		res, err := bench.RunJoins(ctx, r, os.Stderr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cohostbench:", err)
			return 1
		}
		results = append(results, res)
	}
	var report string
	if mode == "latency" {
		report = fmt.Sprintf("## Time to co-host on an idle system (%d joins over %s, agent granter)\n\n"+
			"grant = webhook received → the agent's 200 recorded; confirm = webhook received → Zoom's role change.\n\n%s",
			*joinsN, *overD, bench.LatencyTable(results))
	} else {
		report = fmt.Sprintf("## Storm: %d joins over %s (agent rate limit: %s)\n\n%s\n![joins and grants over time](storm.svg)\n",
			*joinsN, *overD, rateText(*agentRate), bench.StormTable(results))
		if err := os.MkdirAll(*out, 0o755); err == nil {
			_ = os.WriteFile(filepath.Join(*out, "storm.svg"), []byte(bench.StormSVG(results)), 0o644)
			_ = os.WriteFile(filepath.Join(*out, "report.md"), []byte(report), 0o644)
			fmt.Fprintf(os.Stderr, "wrote %s and %s\n", filepath.Join(*out, "report.md"), filepath.Join(*out, "storm.svg"))
		}
	}
	fmt.Print(report)
	return 0
}

func rateText(r int) string {
	if r == 0 {
		return "none"
	}
	return fmt.Sprintf("%d/s", r)
}

// resetPostgres empties the benchmark database so runs do not inherit each
// other's rows (and their index sizes).
func resetPostgres(ctx context.Context, url string) error {
	pcfg, err := pgxpool.ParseConfig(url) // pool settings (pool_max_conns) are the store's
	if err != nil {
		return err
	}
	cfg := pcfg.ConnConfig
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil && strings.Contains(err.Error(), "does not exist") {
		if err := createDatabase(ctx, cfg.Copy()); err != nil {
			return err
		}
		conn, err = pgx.ConnectConfig(ctx, cfg)
	}
	if err != nil {
		return fmt.Errorf("connect to the benchmark database: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	return err
}

// createDatabase creates the database named in url, connecting to the
// server's "postgres" database to do it.
func createDatabase(ctx context.Context, cfg *pgx.ConnConfig) error {
	name := cfg.Database
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("create the benchmark database: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

func hostClient(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("hostclient", flag.ExitOnError)
	joins := fs.Int("joins", 100, "joiners of the spaced-out run")
	over := fs.Duration("over", 150*time.Second, "time over which they arrive")
	interval := fs.Duration("interval", time.Second, "COHOST_HOST_CLIENT_INTERVAL")
	storm := fs.Int("storm", 300, "joiners of the storm (0: none)")
	stormOver := fs.Duration("storm-over", time.Second, "time over which the storm arrives")
	_ = fs.Parse(args)
	fmt.Printf("## Host client: webhook 200 → makeCoHost resolved\n\n%s", bench.HostClientHeader)
	runs := []bench.HostClientOptions{{Joins: *joins, Over: *over, Interval: *interval, Progress: os.Stderr}}
	if *storm > 0 {
		runs = append(runs, bench.HostClientOptions{Joins: *storm, Over: *stormOver, Interval: *interval, Progress: os.Stderr})
	}
	for _, o := range runs {
		r, err := bench.RunHostClient(ctx, o)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cohostbench:", err)
			return 1
		}
		fmt.Print(r.Markdown(o))
	}
	return 0
}
