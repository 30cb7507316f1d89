// Package store keeps cohost's state and its job queue in one SQL database:
// SQLite (modernc.org/sqlite, embedded, one replica) or PostgreSQL (several
// replicas). The queue is River on the same database, so a webhook's event and
// the job that processes it commit in one transaction.
//
// Both engines run the same SQL: timestamps are integers (Unix milliseconds),
// ids are text, and the few differences (byte columns, locking) are handled
// per engine. Code outside this package sees one Store.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
	"riverqueue.com/riverui/uiendpoints"

	"github.com/cohost-dev/cohost/grant"
)

// ErrNotFound is returned when a looked-up row does not exist
// (grant.ErrNotFound: the domain's name for it, which packages that declare
// their own store interface check).
var ErrNotFound = grant.ErrNotFound

// ErrUnavailable wraps errors that mean the database cannot be reached; the
// caller should answer 503 and let the sender retry.
var ErrUnavailable = grant.ErrUnavailable

// ErrInvalidData wraps errors that mean the database refused a value for
// good (PostgreSQL's SQLSTATE classes 22, data exception, and 54, program
// limit exceeded; SQLite's SQLITE_TOOBIG and SQLITE_MISMATCH). Writing the
// same value again fails again, so a caller must not ask its sender to retry
// (a webhook is answered 400, not 503).
var ErrInvalidData = grant.ErrInvalidData

// invalidDataError is ErrInvalidData with the database's code. It keeps
// only the code: the database's message can quote the refused value.
type invalidDataError struct{ code string }

func (e *invalidDataError) Error() string {
	return "store: the database refused the data as invalid (" + e.code + ")"
}

func (e *invalidDataError) Is(target error) bool { return target == ErrInvalidData }

// classify turns the database's permanent refusals of a value into
// ErrInvalidData and a lost or refused connection into ErrUnavailable, so a
// caller can tell "never again" from "not now" without knowing the engine;
// other errors pass unchanged. Every statement's error goes through it (the
// queriers and the transactions), so a refusal is typed wherever it happens.
func classify(err error) error {
	if err == nil || errors.Is(err, ErrInvalidData) || errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNotFound) ||
		errors.Is(err, ErrEventProcessed) || errors.Is(err, ErrConflict) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch c := pgErr.Code; {
		// cohost_expect (migration 0012): a held write's condition failed.
		case c == sqlstateEventProcessed:
			return ErrEventProcessed
		case c == sqlstateConflict:
			return ErrConflict
		case strings.HasPrefix(c, "22"), strings.HasPrefix(c, "54"):
			return &invalidDataError{code: "SQLSTATE " + c}
		// Class 08 is a connection exception; 57P01-57P03 an administrator's
		// or a crash's shutdown, or a server that cannot take connections
		// yet; 53300 too many connections.
		case strings.HasPrefix(c, "08"), c == "57P01", c == "57P02", c == "57P03", c == "53300":
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return err
	}
	if sqErr, ok := errors.AsType[*sqlite.Error](err); ok {
		switch sqErr.Code() & 0xff { // the primary code; extended codes add bits above
		case sqlite3.SQLITE_TOOBIG:
			return &invalidDataError{code: "SQLITE_TOOBIG"}
		case sqlite3.SQLITE_MISMATCH:
			return &invalidDataError{code: "SQLITE_MISMATCH"}
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			// Another connection held the database past busy_timeout.
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return err
	}
	if _, ok := errors.AsType[net.Error](err); ok || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// Options configures Open.
type Options struct {
	// Queue tuning; zero values take the defaults documented on QueueConfig.
	Queue QueueConfig
	// Retention bounds how long rows are kept (Prune, and River's own
	// cleaning of finished jobs); zero values take the defaults.
	Retention Retention
	Logger    *slog.Logger
	// Counts, when set, counts the statements and commits sent to the
	// database (the benchmarks); nil in production.
	Counts *Counts
	// MustExist refuses a SQLite database file that does not exist
	// (ErrNoDatabase) instead of creating it: only the server creates its
	// database, and a tool run from another directory must not make an
	// empty one of its own and act on it.
	MustExist bool

	// migrateUpTo stops the migrations at a version (tests of a migration).
	migrateUpTo int
}

// QueueConfig tunes River for cohost's jobs: short, IO-bound, and urgent (a
// person is waiting in a meeting).
type QueueConfig struct {
	// JobTimeout cancels a job's context after this long. Default 25s.
	JobTimeout time.Duration
	// RescueAfter is when a running job whose worker died (kill -9, lost node)
	// is handed to another worker. River's default is an hour; a joiner cannot
	// wait that long. Must exceed JobTimeout. Default 35s (River checks every
	// 30 s, so a dead worker's job runs again within about a minute).
	RescueAfter time.Duration
	// FetchCooldown and FetchPollInterval: how quickly new jobs are picked
	// up. On PostgreSQL new jobs are announced (announcer) and fetched at
	// once, and the poll is the fallback for a lost announcement: 100ms. On
	// SQLite nothing announces a job to the workers, and the poll bounds
	// how long a new job waits: 20ms. The cooldown bounds how often a busy
	// producer fetches again: 5ms.
	FetchCooldown     time.Duration
	FetchPollInterval time.Duration
}

func (q QueueConfig) withDefaults(sqlite bool) QueueConfig {
	if q.JobTimeout == 0 {
		q.JobTimeout = 25 * time.Second
	}
	if q.RescueAfter == 0 {
		q.RescueAfter = 35 * time.Second
	}
	if q.FetchCooldown == 0 {
		q.FetchCooldown = 5 * time.Millisecond
	}
	if q.FetchPollInterval == 0 {
		q.FetchPollInterval = 100 * time.Millisecond
		if sqlite {
			q.FetchPollInterval = 20 * time.Millisecond
		}
	}
	return q
}

// Store is cohost's database and queue.
type Store struct {
	eng       engine
	logger    *slog.Logger
	queueCfg  QueueConfig
	retention Retention
	workers   queueClient // nil until StartWorkers
	// maxWorkers is how many jobs the workers run at once.
	maxWorkers int
}

// engine is what differs between SQLite and PostgreSQL.
type engine interface {
	name() string
	dialect() dialect
	db() querier
	// durableDB is where writes that cannot be redone go (webhooks, rotated
	// refresh tokens): on SQLite the synchronous=FULL connection.
	durableDB() querier
	begin(ctx context.Context) (txn, error)
	// beginPipelined opens a worker transaction whose statements are
	// pipelined (InTxPipelined).
	beginPipelined(ctx context.Context) (txn, error)
	// beginIntake opens the transaction that stores webhooks; SQLite gives it
	// a connection of its own so acks do not queue behind the workers.
	beginIntake(ctx context.Context) (txn, error)
	// newQueue creates the workers' River client over the engine's workers'
	// pool.
	newQueue(cfg *river.Config) (queueClient, error)
	// defaultWorkers is how many jobs the workers run at once unless told.
	defaultWorkers() int
	// workerMiddleware wraps every job, outermost first, for maxWorkers
	// workers.
	workerMiddleware(maxWorkers int) []rivertype.Middleware
	ping(ctx context.Context) error
	// checkWritable commits a one-row write on the intake's connection
	// (and, where it can, checks for free space).
	checkWritable(ctx context.Context, nowMS int64) error
	// riverUIEndpoints is River UI's API over the engine's insert-only
	// client (cancel, retry and delete need no workers).
	riverUIEndpoints() uiendpoints.Bundle
	// purge makes rows deleted so far unrecoverable from the database's
	// files where the engine keeps old versions cohost can reach (SQLite's
	// write-ahead log).
	purge(ctx context.Context) error
	close()
}

// txn is an open transaction of an engine.
type txn interface {
	querier
	// execLater runs a statement whose result the caller does not need: at
	// once, or, in a pipelined transaction, with the next statement that is
	// waited for or with the commit, which then returns its error.
	execLater(ctx context.Context, query string, args ...any) error
	enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
	enqueueMany(ctx context.Context, params []river.InsertManyParams) error
	commit(ctx context.Context) error
	rollback(ctx context.Context) error
}

// queueClient is the part of river.Client that does not depend on the
// driver's transaction type.
type queueClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// Open connects to the database named by url (sqlite://PATH or
// postgres://...) and applies migrations (River's and cohost's). The store
// can enqueue jobs at once; it works them only after StartWorkers.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Queue = opts.Queue.withDefaults(strings.HasPrefix(url, "sqlite://"))
	opts.Retention = opts.Retention.withDefaults()
	var (
		eng engine
		err error
	)
	switch {
	case strings.HasPrefix(url, "sqlite://"):
		path := strings.TrimPrefix(url, "sqlite://")
		eng, err = openSQLite(ctx, path, opts)
		// The file's problems (no folder, not writable, not a database) in
		// the operator's words, whether opening or migrating met them.
		err = sqliteOpenProblem(path, err)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		eng, err = openPostgres(ctx, url, opts)
	default:
		return nil, errors.New("store: database URL must start with sqlite:// or postgres://")
	}
	if err != nil {
		return nil, err
	}
	return &Store{eng: eng, logger: opts.Logger, queueCfg: opts.Queue, retention: opts.Retention}, nil
}

// WorkerOptions configures StartWorkers.
type WorkerOptions struct {
	// Workers are the job kinds this process works (engine.Engine.Workers).
	Workers *river.Workers
	// MaxWorkers bounds concurrently running jobs in this process
	// (COHOST_WORKERS). Default: eight per connection of the workers' pool
	// on PostgreSQL (two per core unless pool_max_conns sets it), sixteen
	// per core on SQLite.
	MaxWorkers int
	// RetryPolicy decides when failed jobs run again; nil takes River's.
	RetryPolicy river.ClientRetryPolicy
	// Middleware wraps every job, outermost first (the server passes
	// engine.AcksFirst, then engine.Engine.Middleware: the log, count and
	// settling of failures), inside the store's own
	// (which holds a job's success until its writes are on disk).
	Middleware []rivertype.Middleware
}

// StartWorkers begins working jobs with o's workers. River ties the
// workers' life to ctx: pass a context that outlives the start (Stop ends
// them).
func (s *Store) StartWorkers(ctx context.Context, o WorkerOptions) error {
	if s.workers != nil {
		return errors.New("store: workers already started")
	}
	if o.Workers == nil {
		return errors.New("store: no workers to start")
	}
	if o.MaxWorkers <= 0 {
		o.MaxWorkers = s.eng.defaultWorkers()
	}
	cfg := riverConfig(s.logger, s.queueCfg, s.retention)
	cfg.Workers = o.Workers
	cfg.RetryPolicy = o.RetryPolicy
	cfg.Middleware = append(s.eng.workerMiddleware(o.MaxWorkers), o.Middleware...)
	cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.MaxWorkers}}
	q, err := s.eng.newQueue(cfg)
	if err != nil {
		return fmt.Errorf("store: river client: %w", err)
	}
	if err := q.Start(ctx); err != nil {
		return fmt.Errorf("store: start workers: %w", err)
	}
	s.workers, s.maxWorkers = q, o.MaxWorkers
	return nil
}

// MaxWorkers is how many jobs the started workers run at once (0 before
// StartWorkers).
func (s *Store) MaxWorkers() int { return s.maxWorkers }

// Engine names the database engine: "sqlite" or "postgres".
func (s *Store) Engine() string { return s.eng.name() }

// Stop stops working jobs: softly (running jobs finish) until soft has passed,
// then hard (running jobs are cancelled and left for retry), bounded by ctx.
// A store whose workers never started has nothing to stop.
func (s *Store) Stop(ctx context.Context, soft time.Duration) error {
	if s.workers == nil {
		return nil
	}
	softCtx, cancel := context.WithTimeout(ctx, soft)
	defer cancel()
	err := s.workers.Stop(softCtx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	s.logger.Warn("queue did not stop softly in time; cancelling running jobs", "soft_timeout", soft.String())
	return s.workers.StopAndCancel(ctx)
}

// Close releases the database. Stop the queue first.
func (s *Store) Close() { s.eng.close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.eng.ping(ctx); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}

// Tx is a database transaction that can also enqueue jobs; both commit or
// neither does.
type Tx struct {
	t txn
	d dialect
}

// Enqueue inserts a job that becomes visible to workers when the transaction commits.
func (tx Tx) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	return tx.t.enqueue(ctx, args, opts)
}

// EnqueueMany inserts several jobs at once (PostgreSQL: one COPY).
func (tx Tx) EnqueueMany(ctx context.Context, params []river.InsertManyParams) error {
	if len(params) == 0 {
		return nil
	}
	return tx.t.enqueueMany(ctx, params)
}

// InTx runs fn in a transaction and commits it if fn returns nil.
func (s *Store) InTx(ctx context.Context, fn func(Tx) error) error {
	return s.inTx(ctx, s.eng.begin, fn)
}

// InTxPipelined is InTx with the transaction's statements pipelined on
// PostgreSQL (pipeline.go): no BEGIN or COMMIT statement, and the
// statements whose results fn does not wait for (Tx.Enqueue, and the
// writes documented as held) sent with the next one it waits for or with
// the commit. Their errors are then returned by InTxPipelined, not by the
// call that asked for them: ErrEventProcessed and ErrConflict among them.
// On SQLite it is InTx.
func (s *Store) InTxPipelined(ctx context.Context, fn func(Tx) error) error {
	return s.inTx(ctx, s.eng.beginPipelined, fn)
}

// InIntakeTx is InTx for the webhook intake, the path Zoom is waiting on.
func (s *Store) InIntakeTx(ctx context.Context, fn func(Tx) error) error {
	return s.inTx(ctx, s.eng.beginIntake, fn)
}

func (s *Store) inTx(ctx context.Context, begin func(context.Context) (txn, error), fn func(Tx) error) error {
	t, err := begin(ctx)
	if err != nil {
		return fmt.Errorf("%w: begin: %v", ErrUnavailable, err)
	}
	if err := fn(Tx{t, s.eng.dialect()}); err != nil {
		_ = t.rollback(context.WithoutCancel(ctx))
		return classify(err)
	}
	if err := t.commit(ctx); err != nil {
		// A pipelined transaction's held statements fail here.
		if err := classify(err); errors.Is(err, ErrInvalidData) || errors.Is(err, ErrEventProcessed) || errors.Is(err, ErrConflict) {
			return err
		}
		return fmt.Errorf("%w: commit: %v", ErrUnavailable, err)
	}
	return nil
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
