// Command cohostbench measures cohostd and prints a Markdown report.
//
//	cohostbench ingest [-duration 5s] [-rate 1000] [-concurrency 32] [-postgres URL]
//
// ingest: durably accepted webhook events per second and ack latency on
// loopback, for SQLite and PostgreSQL, beside a baseline handler in the same
// run that verifies and answers without storing.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

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
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: cohostbench ingest [flags]   (cohostbench ingest -h for flags)")
	os.Exit(2)
}

func ingest(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("ingest", flag.ExitOnError)
	duration := fs.Duration("duration", 5*time.Second, "length of each phase (throughput, then fixed rate)")
	rate := fs.Int("rate", 1000, "offered events/s for the latency phase")
	conc := fs.Int("concurrency", 32, "concurrent clients for the throughput phase")
	pg := fs.String("postgres", os.Getenv("COHOST_BENCH_DATABASE_URL"), "PostgreSQL URL to measure (empty: skip); default $COHOST_BENCH_DATABASE_URL")
	noWorkers := fs.Bool("no-workers", false, "measure intake alone, without the queue's workers running (in production they run)")
	_ = fs.Parse(args)

	dir, err := os.MkdirTemp("", "cohostbench")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	targets := []bench.IngestTarget{
		{Name: "baseline (verify + answer, no store)"},
		{Name: "sqlite", DatabaseURL: "sqlite://" + filepath.Join(dir, "bench.db")},
	}
	if *pg != "" {
		targets = append(targets, bench.IngestTarget{Name: "postgres", DatabaseURL: *pg})
	} else {
		fmt.Fprintln(os.Stderr, "note: no -postgres URL given; PostgreSQL is not measured")
	}
	results, err := bench.RunIngest(ctx, targets, bench.IngestOptions{
		Concurrency: *conc, Duration: *duration, Rate: *rate, Progress: os.Stderr,
		NoWorkers: *noWorkers,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cohostbench:", err)
		return 1
	}
	workers := "workers running"
	if *noWorkers {
		workers = "workers stopped"
	}
	fmt.Printf("## Webhook ingest (%s per phase, %d clients, latency at %d events/s, %s)\n\n%s", *duration, *conc, *rate, workers, bench.IngestTable(results))
	return 0
}
