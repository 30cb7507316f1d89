package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
	"riverqueue.com/riverui"
	"riverqueue.com/riverui/uiendpoints"
)

// sqliteEngine is the embedded engine: one file, one replica.
type sqliteEngine struct {
	sqlDB *sql.DB
	// intakeDB is a second connection to the same file for the webhook
	// intake only. SQLite still runs one writer at a time (BEGIN IMMEDIATE
	// waits in SQLite's busy handler), but an ack then waits for at most the
	// one write in progress instead of queueing behind every worker.
	intakeDB *sql.DB
	driver   *riversqlite.Driver
	// inserter is the insert-only River client every Tx enqueues with.
	inserter *river.Client[*sql.Tx]
	path     string
}

// openSQLite opens the file with the settings a durable queue needs:
//   - WAL, so readers do not block the writer;
//   - BEGIN IMMEDIATE, so a transaction takes the write lock up front instead
//     of failing with SQLITE_BUSY when it first writes;
//   - two connections, one each: SQLite runs one writer at a time anyway,
//     and one connection per side avoids lock contention inside River (as its
//     SQLite driver recommends) while the webhook intake never queues behind
//     the workers;
//   - secure_delete=ON on both, so a deleted row's bytes are overwritten
//     (pruned ledgers, an account erased on app_deauthorized) instead of
//     lingering in free space of the file;
//   - synchronous=FULL on the intake's connection, so a webhook survives
//     power loss, not only a killed process, before Zoom is told 200;
//   - synchronous=NORMAL on the workers' connection: in WAL mode a crash
//     then keeps a prefix of the commits in order, and every FULL commit of
//     the intake makes all earlier ones durable too. What a power loss can
//     take back is the workers' latest progress, which they redo (jobs run
//     at least once and their effects are idempotent); it saves a disk flush
//     per job step.
func openSQLite(ctx context.Context, path string, opts Options) (*sqliteEngine, error) {
	if opts.MustExist {
		if err := sqliteFileExists(path); err != nil {
			return nil, err
		}
	}
	dsn := func(synchronous string) string {
		q := url.Values{}
		for _, p := range []string{"journal_mode(WAL)", "synchronous(" + synchronous + ")", "busy_timeout(10000)", "foreign_keys(ON)", "secure_delete(ON)"} {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", "immediate")
		if opts.MustExist {
			// SQLite's own "open, never create", should the file go between
			// the check above and the open.
			q.Set("mode", "rw")
		}
		return "file:" + path + "?" + q.Encode()
	}
	w := newWriteLock()
	open := func(synchronous string, counts *SideCounts) (*sql.DB, error) {
		db, err := openSQLiteDB(dsn(synchronous), w, counts)
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		if err := db.PingContext(ctx); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
		}
		return db, nil
	}
	var workerCounts, intakeCounts *SideCounts
	if opts.Counts != nil {
		workerCounts, intakeCounts = &opts.Counts.Workers, &opts.Counts.Intake
	}
	db, err := open("NORMAL", workerCounts)
	if err != nil {
		return nil, err
	}
	driver := riversqlite.New(db)
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: opts.Logger})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: river migrations: %w", err)
	}
	if err := migrate(ctx, sqlQuerier{db}, dialectSQLite, opts.migrateUpTo, func(ctx context.Context, fn func(querier) error) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(sqlQuerier{tx}); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}); err != nil {
		_ = db.Close()
		return nil, err
	}
	// What the migrations deleted (tokens an older build stored in clear)
	// is overwritten in the file (secure_delete); the write-ahead log may
	// still hold the pages as they were: fold it in and empty it. Nothing
	// else reads the file yet; if something does (a tool beside the
	// server), the next checkpoint does it.
	_, _ = db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	intakeDB, err := open("FULL", intakeCounts)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	inserter, err := river.NewClient(driver, riverConfig(opts.Logger, opts.Queue, opts.Retention))
	if err != nil {
		_ = db.Close()
		_ = intakeDB.Close()
		return nil, fmt.Errorf("store: river client: %w", err)
	}
	return &sqliteEngine{sqlDB: db, intakeDB: intakeDB, driver: driver, inserter: inserter, path: path}, nil
}

// ErrNoDatabase: Options.MustExist was set and the SQLite file does not
// exist. Its message names the absolute path that was tried.
var ErrNoDatabase = errors.New("the database does not exist")

// sqliteFileExists reports ErrNoDatabase, with the absolute path, when path
// is not an existing file.
func sqliteFileExists(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: no file at %s", ErrNoDatabase, abs)
	case err != nil:
		if pe, ok := errors.AsType[*os.PathError](err); ok {
			err = pe.Err // the path is named already
		}
		return fmt.Errorf("store: SQLite file %s: %w", abs, err)
	case fi.IsDir():
		return fmt.Errorf("%w: %s is a directory, not a SQLite file", ErrNoDatabase, abs)
	}
	return nil
}

func (e *sqliteEngine) riverUIEndpoints() uiendpoints.Bundle {
	return riverui.NewEndpoints(e.inserter, nil)
}

func (e *sqliteEngine) newQueue(cfg *river.Config) (queueClient, error) {
	return river.NewClient(e.driver, cfg)
}

// defaultWorkers: sixteen jobs per core, as on PostgreSQL with its default
// pool (SQLite has the one connection for all of them; most of a job waits
// on Zoom or the agent).
func (e *sqliteEngine) defaultWorkers() int { return 16 * runtime.GOMAXPROCS(0) }

// workerMiddleware: none. The workers' connection runs at synchronous=NORMAL,
// and what a power loss can take back from it goes with the process, River's
// memory of finished jobs included: their jobs run again.
func (e *sqliteEngine) workerMiddleware(int) []rivertype.Middleware { return nil }

func (e *sqliteEngine) dialect() dialect   { return dialectSQLite }
func (e *sqliteEngine) name() string       { return "sqlite" }
func (e *sqliteEngine) durableDB() querier { return sqlQuerier{e.intakeDB} }
func (e *sqliteEngine) db() querier        { return sqlQuerier{e.sqlDB} }
func (e *sqliteEngine) close()             { _ = e.intakeDB.Close(); _ = e.sqlDB.Close() }
func (e *sqliteEngine) ping(ctx context.Context) error {
	return e.sqlDB.PingContext(ctx)
}

// minFreeBytes is the free space below which the SQLite database is
// reported not ready: enough for a few minutes of webhooks and a checkpoint.
var minFreeBytes uint64 = 64 << 20

func (e *sqliteEngine) checkWritable(ctx context.Context, nowMS int64) error {
	if _, err := e.intakeDB.ExecContext(ctx, `INSERT INTO cohost_health (id, checked_at) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`, nowMS); err != nil {
		return fmt.Errorf("write to the database: %w", err)
	}
	free, ok := freeBytes(filepath.Dir(e.path))
	if ok && free < minFreeBytes {
		return fmt.Errorf("only %d MiB free on the file system of %s (at least %d MiB needed): free space or grow the volume",
			free>>20, e.path, minFreeBytes>>20)
	}
	return nil
}

// purge checkpoints the write-ahead log into the database file and
// truncates it: with secure_delete the file then holds zeros where deleted
// rows were, and the log no longer holds their old pages.
func (e *sqliteEngine) purge(ctx context.Context) error {
	var busy, logFrames, checkpointed int
	if err := e.sqlDB.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed); err != nil {
		return fmt.Errorf("store: checkpoint the write-ahead log: %w", err)
	}
	if busy != 0 {
		return errors.New("store: checkpoint of the write-ahead log was blocked by a reader; try again")
	}
	return nil
}

func (e *sqliteEngine) begin(ctx context.Context) (txn, error) { return e.beginOn(ctx, e.sqlDB) }

// beginPipelined: SQLite's statements cost no round trip.
func (e *sqliteEngine) beginPipelined(ctx context.Context) (txn, error) { return e.begin(ctx) }

func (e *sqliteEngine) beginIntake(ctx context.Context) (txn, error) {
	return e.beginOn(ctx, e.intakeDB)
}

func (e *sqliteEngine) beginOn(ctx context.Context, db *sql.DB) (txn, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &sqliteTxn{sqlQuerier{tx}, tx, e.inserter}, nil
}

type sqliteTxn struct {
	sqlQuerier
	tx    *sql.Tx
	river *river.Client[*sql.Tx]
}

func (t *sqliteTxn) execLater(ctx context.Context, query string, args ...any) error {
	_, err := t.exec(ctx, query, args...)
	return err
}

func (t *sqliteTxn) enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := t.river.InsertTx(ctx, t.tx, args, opts)
	return err
}
func (t *sqliteTxn) enqueueMany(ctx context.Context, params []river.InsertManyParams) error {
	_, err := t.river.InsertManyFastTx(ctx, t.tx, params)
	return err
}
func (t *sqliteTxn) commit(context.Context) error   { return t.tx.Commit() }
func (t *sqliteTxn) rollback(context.Context) error { return t.tx.Rollback() }

// riverConfig is the River configuration shared by both engines.
func riverConfig(logger *slog.Logger, q QueueConfig, r Retention) *river.Config {
	return &river.Config{
		Logger:               logger,
		JobTimeout:           q.JobTimeout,
		RescueStuckJobsAfter: q.RescueAfter,
		FetchCooldown:        q.FetchCooldown,
		FetchPollInterval:    q.FetchPollInterval,
		// River's GIN indexes over job arguments and metadata are dropped
		// (migration 0012): its reindexer rebuilds the others.
		ReindexerIndexNames: reindexedIndexes(),
		// Finished jobs name accounts, meetings and participants in their
		// arguments; River deletes them after these periods.
		CompletedJobRetentionPeriod: min(finishedJobRetention, r.Ledger),
		CancelledJobRetentionPeriod: min(finishedJobRetention, r.Ledger),
		DiscardedJobRetentionPeriod: min(discardedJobRetention, r.Ledger),
	}
}

// reindexedIndexes is River's list of indexes to rebuild, without the two
// migration 0012 drops.
func reindexedIndexes() []string {
	var out []string
	for _, name := range river.ReindexerIndexNamesDefault() {
		if name != "river_job_args_index" && name != "river_job_metadata_index" {
			out = append(out, name)
		}
	}
	return out
}
