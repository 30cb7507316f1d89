package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The costs of a run that machine noise does not move: statements and
// commits are counted, and CPU time is what the work took, not how long it
// waited for the cores it shares.

// processCPU is the CPU time (user + system) this process has used: cohostd,
// the load generator and the simulator together, which is why every table
// shows it beside the baseline handler's of the same run.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's CPU times: 100 on
// every Linux architecture cohost is built for.
const clockTick = 10 * time.Millisecond

// backendCPU reads the CPU time (user + system) of one PostgreSQL backend
// from /proc; ok is false when the process is gone or not readable (another
// machine).
func backendCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * clockTick, true
}

// pgMeter measures what the benchmark database costs PostgreSQL: the CPU of
// the backends connected to it (sampled from /proc, so PostgreSQL must run
// on this machine), and its committed transactions (pg_stat_database). Only
// that database's backends are summed: other users of a shared server are
// not counted, and neither are the benchmark's own sessions (meterApp). Work PostgreSQL
// does for everyone (the WAL writer, checkpoints) is left out.
type pgMeter struct {
	conn *pgx.Conn
	// first and last CPU time seen per backend; a backend first seen after
	// the start began during the run, from zero.
	mu          sync.Mutex
	first, last map[int]time.Duration
	commits0    int64
	stop        chan struct{}
	done        chan struct{}
	readable    bool
}

func startPGMeter(ctx context.Context, url string) (*pgMeter, error) {
	conn, err := connectApp(ctx, url)
	if err != nil {
		return nil, err
	}
	m := &pgMeter{conn: conn, first: map[int]time.Duration{}, last: map[int]time.Duration{},
		stop: make(chan struct{}), done: make(chan struct{})}
	if err := m.sample(ctx, true); err != nil {
		_ = conn.Close(ctx)
		return nil, err
	}
	if m.commits0, err = m.xactCommit(ctx); err != nil {
		_ = conn.Close(ctx)
		return nil, err
	}
	go func() {
		defer close(m.done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				_ = m.sample(ctx, false)
			}
		}
	}()
	return m, nil
}

func (m *pgMeter) sample(ctx context.Context, initial bool) error {
	rows, err := m.conn.Query(ctx, ownQuery+`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name <> $1`, meterApp)
	if err != nil {
		return err
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, pid := range pids {
		cpu, ok := backendCPU(int(pid))
		if !ok {
			continue
		}
		m.readable = true
		if _, seen := m.first[int(pid)]; !seen {
			if initial {
				m.first[int(pid)] = cpu
			} else {
				m.first[int(pid)] = 0
			}
		}
		m.last[int(pid)] = cpu
	}
	return nil
}

func (m *pgMeter) xactCommit(ctx context.Context) (int64, error) {
	var n int64
	err := m.conn.QueryRow(ctx, ownQuery+`SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&n)
	return n, err
}

// pgCost is what a pgMeter measured.
type pgCost struct {
	CPU time.Duration
	// Commits from pg_stat_database.xact_commit, a check on the tracer's
	// count (it lags: an idle backend reports its counters within 10 s).
	Commits  int64
	Readable bool
}

// finish samples a last time and reports the totals since the start. The
// meter's own few queries are in Commits.
func (m *pgMeter) finish(ctx context.Context) (pgCost, error) {
	close(m.stop)
	<-m.done
	if err := m.sample(ctx, false); err != nil {
		return pgCost{}, err
	}
	// PostgreSQL 15's backends flush their counters at most once a second
	// while busy and within 10 s of going idle (PGSTAT_IDLE_INTERVAL).
	time.Sleep(11 * time.Second)
	if _, err := m.conn.Exec(ctx, ownQuery+`SELECT pg_stat_clear_snapshot()`); err != nil {
		return pgCost{}, err
	}
	n, err := m.xactCommit(ctx)
	if err != nil {
		return pgCost{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var cpu time.Duration
	for pid, last := range m.last {
		cpu += last - m.first[pid]
	}
	return pgCost{CPU: cpu, Commits: n - m.commits0, Readable: m.readable}, nil
}

func (m *pgMeter) close(ctx context.Context) { _ = m.conn.Close(ctx) }

// perThousand formats d per 1,000 of n as seconds.
func perThousand(d time.Duration, n int64) string {
	if n <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f s", d.Seconds()*1000/float64(n))
}

// per formats a count per unit.
func per(count, n int64) string {
	if n <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(count)/float64(n))
}

// ownQuery begins every statement the benchmark sends itself, so that
// pg_stat_statements' table tells them from cohost's.
const ownQuery = "/* cohostbench */ "

// meterApp names the benchmark's own PostgreSQL sessions (the meter, the
// watcher), which the meter leaves out of the database's costs.
const meterApp = "cohostbench"

// watcher counts granted joins on a connection of its own, outside the
// store (so its queries are not in the store's counts).
type watcher struct {
	pg *pgx.Conn
	sq *sql.DB
}

func openWatcher(ctx context.Context, url string) (*watcher, error) {
	if path, ok := strings.CutPrefix(url, "sqlite://"); ok {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
		if err != nil {
			return nil, err
		}
		return &watcher{sq: db}, nil
	}
	conn, err := connectApp(ctx, url)
	if err != nil {
		return nil, err
	}
	return &watcher{pg: conn}, nil
}

const grantedQuery = ownQuery + `SELECT count(*) FROM participants WHERE state = 'granted'`

func (w *watcher) granted(ctx context.Context) (int64, error) {
	var n int64
	var err error
	if w.pg != nil {
		err = w.pg.QueryRow(ctx, grantedQuery).Scan(&n)
	} else {
		err = w.sq.QueryRowContext(ctx, grantedQuery).Scan(&n)
	}
	return n, err
}

func (w *watcher) close() {
	if w.pg != nil {
		_ = w.pg.Close(context.Background())
	}
	if w.sq != nil {
		_ = w.sq.Close()
	}
}

// connectApp connects as meterApp (pool settings in url, such as
// pool_max_conns, are the store's and ignored here).
func connectApp(ctx context.Context, url string) (*pgx.Conn, error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg := pcfg.ConnConfig
	cfg.RuntimeParams["application_name"] = meterApp
	return pgx.ConnectConfig(ctx, cfg)
}
