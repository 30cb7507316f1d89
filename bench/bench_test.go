package bench

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohost-dev/cohost/internal/testdb"
)

func TestYardstickDocIs200Bytes(t *testing.T) {
	for _, n := range []int64{0, 7, 123456789} {
		if got := len(yardstickDoc(n)); got != yardstickDocBytes {
			t.Errorf("yardstickDoc(%d) is %d bytes, want %d", n, got, yardstickDocBytes)
		}
	}
}

// The yardstick commits on both engines; its rate is whatever the machine
// gives, so only the count is checked.
func TestRunYardstick(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			url := testdb.URL(t, engine)
			y, err := RunYardstick(context.Background(), url, 200*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if y.Engine != engine || y.Clients != YardstickClients || y.Commits <= 0 || y.PerS <= 0 {
				t.Fatalf("yardstick = %+v", y)
			}
			if engine == "postgres" { // its table is gone afterwards
				conn, err := pgx.Connect(context.Background(), url)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(context.Background())
				var exists bool
				if err := conn.QueryRow(context.Background(), `SELECT to_regclass('cohostbench_yardstick') IS NOT NULL`).Scan(&exists); err != nil || exists {
					t.Fatalf("yardstick table left behind: %v %v", exists, err)
				}
			}
		})
	}
}

func TestStatementKind(t *testing.T) {
	for _, c := range []struct {
		query, kind string
		own         bool
	}{
		{"-- name: JobGetAvailable :many\nWITH locked_jobs AS (SELECT …", "River JobGetAvailable", false},
		{"WITH mark AS (UPDATE webhook_events SET processed_at = $21", "join: participant write + event processed (one WITH)", false},
		{"INSERT INTO webhook_events (id, fact_key) VALUES ($1, $2), ($3, $4)", "INSERT INTO webhook_events", false},
		{`copy "river_job" ( "args", "created_at" ) from stdin binary`, "COPY river_job", false},
		{"UPDATE participants SET user_id = $3 WHERE meeting_uuid = $1", "UPDATE participants", false},
		{"SELECT count(*) FROM river_job GROUP BY state", "SELECT … FROM river_job", false},
		{"commit", "COMMIT", false},
		{"/* cohostbench */ SELECT count(*) FROM participants WHERE state = $1", "cohostbench's own: SELECT count(*) FROM participants WHERE state = $1", true},
		{"SELECT pid FROM pg_stat_activity WHERE datname = current_database()", "cohostbench's own: SELECT pid FROM pg_stat_activity WHERE datname = current_dat…", true},
	} {
		kind, own := statementKind(c.query)
		if kind != c.kind || own != c.own {
			t.Errorf("statementKind(%q) = %q, %v; want %q, %v", c.query, kind, own, c.kind, c.own)
		}
	}
}

// On a server that loads pg_stat_statements the table is read; on one that
// does not, the benchmark gets errNoStatements and goes on without it.
func TestStatementsOrSayWhyNot(t *testing.T) {
	url := testdb.URL(t, "postgres")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	s, err := startStatements(ctx, conn)
	if err != nil {
		if !errors.Is(err, errNoStatements) {
			t.Fatalf("startStatements: %v, want errNoStatements", err)
		}
		t.Skipf("the server does not load pg_stat_statements (%v): the benchmark says so and goes on", err)
	}
	for range 3 {
		if _, err := conn.Exec(ctx, `SELECT 1 FROM pg_class WHERE relname = $1`, "river_job"); err != nil {
			t.Fatal(err)
		}
	}
	kinds, err := s.finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kinds {
		if k.Kind == "SELECT … FROM pg_class" && k.Calls == 3 {
			return
		}
	}
	t.Fatalf("the three SELECTs from pg_class are not among %+v", kinds)
}

// A labelled goroutine's CPU lands in its phase, and the goroutines it
// starts keep the label.
func TestPhasesOf(t *testing.T) {
	p, err := startProfiling()
	if err != nil {
		t.Skipf("a CPU profile is already running: %v", err)
	}
	spin := func() {
		x := 0
		for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
			x++
		}
		_ = x
	}
	done := make(chan struct{})
	inPhase(context.Background(), phaseGrant, func(context.Context) {
		go func() { spin(); close(done) }()
	})
	<-done
	phases, err := phasesOf(p.stop())
	if err != nil {
		t.Fatal(err)
	}
	if phases[phaseGrant] <= 0 {
		t.Fatalf("no CPU in %q: %v", phaseGrant, phases)
	}
}
