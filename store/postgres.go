package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"riverqueue.com/riverui"
	"riverqueue.com/riverui/uiendpoints"
)

// migrationLockKey is the advisory lock that serialises migrations when
// several replicas start at once.
const migrationLockKey = 0x636f686f7374 // "cohost"

// postgresEngine is the shared engine: several replicas, one database.
type postgresEngine struct {
	pool *pgxpool.Pool
	// intakePool holds connections for the webhook intake only, so acks
	// never wait for a connection held by a worker.
	intakePool *pgxpool.Pool
	// inserter is the insert-only River client every Tx enqueues with.
	inserter *river.Client[pgx.Tx]
}

func openPostgres(ctx context.Context, url string, opts Options) (*postgresEngine, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors can echo the URL, password included: say only what to fix.
		return nil, fmt.Errorf("store: COHOST_DATABASE_URL is not a valid PostgreSQL URL")
	}
	// Workers take a connection per statement, not for the whole job (most
	// of a job is waiting on Zoom or the agent); 20 serve 50 workers. With
	// the intake's 4, a replica uses at most 24 of PostgreSQL's connections.
	// An explicit pool_max_conns in the URL wins (an operator sharing a small
	// server across replicas must be able to lower it).
	if cfg.MaxConns < 20 && !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = 20
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect to PostgreSQL at %s: %w", cfg.ConnConfig.Host, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL at %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	if err := migratePostgres(ctx, pool, opts); err != nil {
		pool.Close()
		return nil, err
	}
	icfg := cfg.Copy()
	icfg.MaxConns, icfg.MinConns = 4, 1
	intakePool, err := pgxpool.NewWithConfig(ctx, icfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL at %s: %w", cfg.ConnConfig.Host, err)
	}
	inserter, err := river.NewClient(riverpgxv5.New(pool), riverConfig(opts.Logger, opts.Queue, opts.Retention))
	if err != nil {
		intakePool.Close()
		pool.Close()
		return nil, fmt.Errorf("store: river client: %w", err)
	}
	return &postgresEngine{pool: pool, intakePool: intakePool, inserter: inserter}, nil
}

func (e *postgresEngine) riverUIEndpoints() uiendpoints.Bundle {
	return riverui.NewEndpoints(e.inserter, nil)
}

func (e *postgresEngine) newQueue(cfg *river.Config) (queueClient, error) {
	return river.NewClient(riverpgxv5.New(e.pool), cfg)
}

// migratePostgres applies River's and cohost's migrations under a session
// advisory lock, so replicas starting together migrate once, in order.
func migratePostgres(ctx context.Context, pool *pgxpool.Pool, opts Options) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockKey)); err != nil {
		return fmt.Errorf("store: migrations lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLockKey))
	}()
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: opts.Logger})
	if err != nil {
		return fmt.Errorf("store: river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("store: river migrations: %w", err)
	}
	return migrate(ctx, pgxQuerier{pool}, dialectPostgres, opts.migrateUpTo, func(ctx context.Context, fn func(querier) error) error {
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return fn(pgxQuerier{tx}) })
	})
}

func (e *postgresEngine) dialect() dialect               { return dialectPostgres }
func (e *postgresEngine) name() string                   { return "postgres" }
func (e *postgresEngine) durableDB() querier             { return pgxQuerier{e.pool} }
func (e *postgresEngine) db() querier                    { return pgxQuerier{e.pool} }
func (e *postgresEngine) close()                         { e.intakePool.Close(); e.pool.Close() }
func (e *postgresEngine) ping(ctx context.Context) error { return e.pool.Ping(ctx) }

// checkWritable commits a one-row upsert through the intake's pool: it fails
// on a standby (read-only after a failover), a database that cannot write
// its WAL (full disk), or when no intake connection comes in time.
func (e *postgresEngine) checkWritable(ctx context.Context, nowMS int64) error {
	if _, err := e.intakePool.Exec(ctx, `INSERT INTO cohost_health (id, checked_at) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`, nowMS); err != nil {
		return fmt.Errorf("write to the database: %w", err)
	}
	return nil
}

// purge has nothing to do on PostgreSQL: deleted rows are invisible to every
// query at once, and autovacuum reclaims their space; PostgreSQL's own WAL
// archive and backups keep them as long as their retention says.
func (e *postgresEngine) purge(context.Context) error { return nil }

func (e *postgresEngine) begin(ctx context.Context) (txn, error) { return e.beginOn(ctx, e.pool) }

func (e *postgresEngine) beginIntake(ctx context.Context) (txn, error) {
	return e.beginOn(ctx, e.intakePool)
}

func (e *postgresEngine) beginOn(ctx context.Context, pool *pgxpool.Pool) (txn, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &postgresTxn{pgxQuerier{tx}, tx, e.inserter}, nil
}

type postgresTxn struct {
	pgxQuerier
	tx    pgx.Tx
	river *river.Client[pgx.Tx]
}

func (t *postgresTxn) enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := t.river.InsertTx(ctx, t.tx, args, opts)
	return err
}
func (t *postgresTxn) enqueueMany(ctx context.Context, params []river.InsertManyParams) error {
	_, err := t.river.InsertManyFastTx(ctx, t.tx, params)
	return err
}
func (t *postgresTxn) commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t *postgresTxn) rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }
