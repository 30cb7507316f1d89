package bench

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The yardstick is what this machine's database does with the simplest
// durable write, measured in the same run as cohost: YardstickClients
// clients, each committing one single-row INSERT of a 200-byte JSON
// document per transaction, as fast as they are answered (pgbench's way,
// through pgx on PostgreSQL, database/sql on SQLite). Rates are read against
// it: a shared machine's speed moves from hour to hour, the ratio much
// less.

// YardstickClients is the yardstick's concurrency (pgbench -c 32).
const YardstickClients = 32

// yardstickDocBytes is the size of the JSON document each insert writes.
const yardstickDocBytes = 200

// Yardstick is one yardstick measurement.
type Yardstick struct {
	Engine   string // "postgres" or "sqlite"
	Clients  int
	Commits  int64
	Duration time.Duration
	PerS     float64
}

// yardstickDoc is a JSON document of exactly yardstickDocBytes bytes.
func yardstickDoc(n int64) []byte {
	head := fmt.Sprintf(`{"n":%d,"kind":"yardstick","pad":"`, n)
	tail := `"}`
	return []byte(head + strings.Repeat("x", yardstickDocBytes-len(head)-len(tail)) + tail)
}

// RunYardstick measures the yardstick for d against the database named by
// url (postgres://… or sqlite://PATH, a file it creates and then removes). On
// PostgreSQL it writes to a table of its own, cohostbench_yardstick, which
// it drops afterwards; the server's synchronous_commit applies, as for
// cohost's intake.
func RunYardstick(ctx context.Context, url string, d time.Duration) (Yardstick, error) {
	if path, ok := strings.CutPrefix(url, "sqlite://"); ok {
		return sqliteYardstick(ctx, path, d)
	}
	return postgresYardstick(ctx, url, d)
}

// insertLoop runs clients goroutines calling insert until d has passed and
// counts the inserts that succeeded; the first error ends the run.
func insertLoop(ctx context.Context, clients int, d time.Duration, insert func(ctx context.Context, doc []byte) error) (int64, time.Duration, error) {
	var (
		n        atomic.Int64
		wg       sync.WaitGroup
		firstErr error
		once     sync.Once
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deadline := time.Now().Add(d)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if err := insert(ctx, yardstickDoc(n.Load())); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return n.Load(), time.Since(start), firstErr
}

func postgresYardstick(ctx context.Context, url string, d time.Duration) (Yardstick, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return Yardstick{}, err
	}
	cfg.MaxConns, cfg.MinConns = YardstickClients, YardstickClients
	cfg.ConnConfig.RuntimeParams["application_name"] = meterApp + "-yardstick"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return Yardstick{}, err
	}
	defer pool.Close()
	const table = "cohostbench_yardstick"
	if _, err := pool.Exec(ctx, ownQuery+`DROP TABLE IF EXISTS `+table+`;
		CREATE TABLE `+table+` (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, doc jsonb NOT NULL)`); err != nil {
		return Yardstick{}, fmt.Errorf("yardstick: %w", err)
	}
	defer func() { _, _ = pool.Exec(context.WithoutCancel(ctx), ownQuery+`DROP TABLE IF EXISTS `+table) }()
	// Every client's connection is open before the clock starts.
	conns := make([]*pgxpool.Conn, 0, YardstickClients)
	for range YardstickClients {
		c, err := pool.Acquire(ctx)
		if err != nil {
			return Yardstick{}, err
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Release()
	}
	insert := ownQuery + `INSERT INTO ` + table + ` (doc) VALUES ($1)`
	n, took, err := insertLoop(ctx, YardstickClients, d, func(ctx context.Context, doc []byte) error {
		_, err := pool.Exec(ctx, insert, string(doc))
		return err
	})
	if err != nil {
		return Yardstick{}, fmt.Errorf("yardstick: %w", err)
	}
	return Yardstick{Engine: "postgres", Clients: YardstickClients, Commits: n, Duration: took, PerS: float64(n) / took.Seconds()}, nil
}

// sqliteYardstick runs the loop over one connection with the settings of
// cohost's intake connection (WAL, synchronous=FULL): SQLite has one
// writer, and each commit waits for its flush.
func sqliteYardstick(ctx context.Context, path string, d time.Duration) (Yardstick, error) {
	path = filepath.Join(filepath.Dir(path), "yardstick-"+filepath.Base(path))
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		return Yardstick{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE yardstick (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)`); err != nil {
		return Yardstick{}, fmt.Errorf("yardstick: %w", err)
	}
	stmt, err := db.PrepareContext(ctx, `INSERT INTO yardstick (doc) VALUES ($1)`)
	if err != nil {
		return Yardstick{}, err
	}
	defer stmt.Close()
	n, took, err := insertLoop(ctx, YardstickClients, d, func(ctx context.Context, doc []byte) error {
		_, err := stmt.ExecContext(ctx, string(doc))
		return err
	})
	if err != nil {
		return Yardstick{}, fmt.Errorf("yardstick: %w", err)
	}
	return Yardstick{Engine: "sqlite", Clients: YardstickClients, Commits: n, Duration: took, PerS: float64(n) / took.Seconds()}, nil
}
