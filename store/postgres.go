package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"riverqueue.com/riverui"
	"riverqueue.com/riverui/uiendpoints"
)

// migrationLockKey is the advisory lock that serialises migrations when
// several replicas start at once.
const migrationLockKey = 0x636f686f7374 // "cohost"

// postgresEngine is the shared engine: several replicas, one database.
type postgresEngine struct {
	// pool is the workers' (and River's): its sessions commit without
	// waiting for the WAL flush (synchronous_commit off), see openPostgres.
	pool *pgxpool.Pool
	// intakePool holds connections for the webhook intake, so acks never
	// wait for a connection held by a worker, and for the few other writes
	// that must survive a crash of the server (durableDB). Its sessions
	// keep the server's synchronous_commit.
	intakePool *pgxpool.Pool
	// inserter is the insert-only River client every Tx enqueues with. It
	// does not NOTIFY (quietDriver); announcer does, after the commit.
	inserter  *river.Client[pgx.Tx]
	announcer *announcer
	// barrier holds a job's success until its writes are on disk.
	barrier *flushBarrier
	// workerConns is the size of pool, from which the default number of
	// workers follows (defaultWorkers).
	workerConns int
	// workerCounts and intakeCounts count what pipelined transactions send
	// (the benchmarks; nil otherwise): they bypass pgx's tracer.
	workerCounts, intakeCounts *SideCounts
}

// quietDriver is River's pgx driver for the insert-only client, reporting
// no LISTEN/NOTIFY, so that River's inserts send no notification. River
// sends it inside the inserting transaction, and PostgreSQL holds its one
// notification lock (server-wide) from that transaction's commit until the
// commit has been flushed to disk: every intake transaction that notified
// committed alone, after the previous one's flush, instead of sharing a
// flush with its neighbours. The announcer notifies after the commit instead.
type quietDriver struct{ *riverpgxv5.Driver }

func (quietDriver) SupportsListenNotify() bool { return false }
func (quietDriver) SupportsListener() bool     { return false }

// announcer sends River's insert notification (what River's own inserts
// send, on the workers' LISTEN channel) after a transaction that enqueued
// jobs has committed: once per announceEvery at most, however many
// transactions committed in between, from a session of the workers' pool,
// whose commits do not wait for the flush, so PostgreSQL's notification
// lock is held for microseconds. Workers of every replica then fetch at
// once; a notification lost (a replica reconnecting) costs at most River's
// poll interval.
type announcer struct {
	exec   riverdriver.Executor
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	logger *slog.Logger
}

// announceEvery is River's own limit on insert notifications (its
// FetchCooldown, cohost's QueueConfig default).
const announceEvery = 5 * time.Millisecond

func startAnnouncer(pool *pgxpool.Pool, logger *slog.Logger) *announcer {
	a := &announcer{exec: riverpgxv5.New(pool).GetExecutor(), wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{}), logger: logger}
	go a.run()
	return a
}

// announce asks for a notification; it never blocks.
func (a *announcer) announce() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *announcer) run() {
	defer close(a.done)
	payload := []string{`{"queue": "` + river.QueueDefault + `"}`}
	for {
		select {
		case <-a.stop:
			return
		case <-a.wake:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := a.exec.NotifyMany(ctx, &riverdriver.NotifyManyParams{Topic: riverInsertTopic, Payload: payload})
		cancel()
		if err != nil {
			a.logger.Warn("could not announce new jobs; workers find them at their next poll", "error", err.Error())
		}
		select {
		case <-a.stop:
			return
		case <-time.After(announceEvery):
		}
	}
}

func (a *announcer) close() {
	close(a.stop)
	<-a.done
}

// riverInsertTopic is the topic River's producers LISTEN on for new jobs
// (its notifier's NotificationTopicInsert, internal to River).
const riverInsertTopic = "river_insert"

func openPostgres(ctx context.Context, url string, opts Options) (*postgresEngine, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors can echo the URL, password included: say only what to fix.
		return nil, fmt.Errorf("store: COHOST_DATABASE_URL is not a valid PostgreSQL URL")
	}
	// The workers' pool bounds how many of PostgreSQL's backends work for
	// this replica's jobs at once, and so how much of the CPU they can take
	// from the acks: two per core (pgx's own default is the larger of 4 and
	// the number of cores). A job holds a connection only for its
	// statements, not while it waits on Zoom or the agent; the number of
	// jobs at once follows from the pool (defaultWorkers). River's listener
	// keeps one of these connections. An explicit pool_max_conns in the URL
	// is used as given (an operator sharing a small server across replicas
	// must be able to lower it), from 2 up. The intake's 4 come on top.
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = int32(max(4, 2*runtime.GOMAXPROCS(0)))
	}
	if cfg.MaxConns < 2 {
		return nil, fmt.Errorf("store: pool_max_conns=%d in COHOST_DATABASE_URL: the workers need at least 2 connections (River's listener holds one)", cfg.MaxConns)
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	icfg := cfg.Copy()
	// The workers' commits do not wait for the WAL flush. What a worker
	// writes is the effect of a job that River runs again when the write is
	// lost: WAL is replayed in order, so a crash of PostgreSQL that loses a
	// job's commit loses everything committed after it too, River's record
	// of the job's completion included, and the job is rescued and run
	// again. Every synchronous commit (each intake transaction) flushes all
	// the WAL before it, the workers' too. Writes that cannot be redone —
	// webhooks, rotated refresh tokens, settings snapshots — go through the
	// intake's pool, which keeps the server's setting. An explicit
	// synchronous_commit in the URL is left as it is.
	if _, set := cfg.ConnConfig.RuntimeParams["synchronous_commit"]; !set {
		cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	}
	if opts.Counts != nil {
		cfg.ConnConfig.Tracer = pgCounter{&opts.Counts.Workers}
	}
	// Connection errors in the operator's words (pgOpenProblem): which
	// address, user or database, and what to do; never the password.
	addr := pgAddr(cfg.ConnConfig.Host, cfg.ConnConfig.Port)
	problem := func(err error) error { return pgOpenProblem(addr, cfg.ConnConfig.User, cfg.ConnConfig.Database, err) }
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, problem(err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, problem(err)
	}
	if err := migratePostgres(ctx, pool, opts); err != nil {
		pool.Close()
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "42501" || pgErr.Code == "25006") {
			return nil, problem(err)
		}
		return nil, err
	}
	icfg.MaxConns, icfg.MinConns = 4, 1
	if opts.Counts != nil {
		icfg.ConnConfig.Tracer = pgCounter{&opts.Counts.Intake}
	}
	// The barrier's session keeps the server's synchronous_commit, as the
	// intake's; it works for the workers, and is counted with them.
	bcfg := icfg.ConnConfig.Copy()
	bcfg.Tracer = cfg.ConnConfig.Tracer
	barrier := newFlushBarrier(bcfg, opts.Logger)
	icfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error { barrier.opened(c); return nil }
	icfg.BeforeClose = barrier.closed
	intakePool, err := pgxpool.NewWithConfig(ctx, icfg)
	if err != nil {
		pool.Close()
		return nil, problem(err)
	}
	inserter, err := river.NewClient[pgx.Tx](quietDriver{riverpgxv5.New(pool)}, riverConfig(opts.Logger, opts.Queue, opts.Retention))
	if err != nil {
		intakePool.Close()
		pool.Close()
		return nil, fmt.Errorf("store: river client: %w", err)
	}
	if err := barrier.start(ctx); err != nil {
		intakePool.Close()
		pool.Close()
		return nil, problem(err)
	}
	e := &postgresEngine{pool: pool, intakePool: intakePool, inserter: inserter,
		announcer: startAnnouncer(pool, opts.Logger), barrier: barrier, workerConns: int(cfg.MaxConns)}
	if opts.Counts != nil {
		e.workerCounts, e.intakeCounts = &opts.Counts.Workers, &opts.Counts.Intake
	}
	return e, nil
}

func (e *postgresEngine) riverUIEndpoints() uiendpoints.Bundle {
	return riverui.NewEndpoints(e.inserter, nil)
}

func (e *postgresEngine) newQueue(cfg *river.Config) (queueClient, error) {
	return river.NewClient(riverpgxv5.New(e.pool), cfg)
}

// defaultWorkers: eight jobs per connection of the workers' pool.
func (e *postgresEngine) defaultWorkers() int { return 8 * e.workerConns }

func (e *postgresEngine) workerMiddleware(maxWorkers int) []rivertype.Middleware {
	e.barrier.setBatch(maxWorkers)
	return []rivertype.Middleware{&durableWork{barrier: e.barrier}}
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

func (e *postgresEngine) dialect() dialect   { return dialectPostgres }
func (e *postgresEngine) name() string       { return "postgres" }
func (e *postgresEngine) durableDB() querier { return pgxQuerier{e.intakePool} }
func (e *postgresEngine) db() querier        { return pgxQuerier{e.pool} }
func (e *postgresEngine) close() {
	e.barrier.close()
	e.announcer.close()
	e.intakePool.Close()
	e.pool.Close()
}
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

// begin opens a workers' transaction (BEGIN … COMMIT; its commit does not
// wait for the disk).
func (e *postgresEngine) begin(ctx context.Context) (txn, error) {
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &postgresTxn{pgxQuerier: pgxQuerier{tx}, tx: tx, river: e.inserter, announcer: e.announcer}, nil
}

// beginIntake: the intake's commits are synchronous, and each one also
// shows the workers' earlier commits to be on disk (flushBarrier). Its
// transaction is pipelined (pipeline.go).
func (e *postgresEngine) beginIntake(ctx context.Context) (txn, error) {
	return e.beginPipelinedOn(ctx, e.intakePool, e.barrier, e.intakeCounts)
}

type postgresTxn struct {
	pgxQuerier
	tx        pgx.Tx
	river     *river.Client[pgx.Tx]
	announcer *announcer
	enqueued  bool
}

func (t *postgresTxn) execLater(ctx context.Context, query string, args ...any) error {
	_, err := t.exec(ctx, query, args...)
	return err
}

func (t *postgresTxn) enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := t.river.InsertTx(ctx, t.tx, args, opts)
	t.enqueued = t.enqueued || err == nil
	return err
}
func (t *postgresTxn) enqueueMany(ctx context.Context, params []river.InsertManyParams) error {
	_, err := t.river.InsertManyFastTx(ctx, t.tx, params)
	t.enqueued = t.enqueued || err == nil
	return err
}

// commit commits, then announces the jobs the transaction enqueued.
func (t *postgresTxn) commit(ctx context.Context) error {
	if err := t.tx.Commit(ctx); err != nil {
		return err
	}
	if t.enqueued {
		t.announcer.announce()
	}
	return nil
}
func (t *postgresTxn) rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }
