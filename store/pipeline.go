package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
)

// A worker's transaction on PostgreSQL, pipelined. Each round trip to the
// server cost the workers about as much CPU as a small statement's whole
// execution (docs/benchmarks.md): a join's transaction was five of them —
// BEGIN, the read, the write, River's insert of the grant, COMMIT.
//
// pipelineTxn sends the statements of one transaction as a pipeline of the
// extended query protocol, without BEGIN or COMMIT: the statements from the
// first to the next Sync message are one transaction (PostgreSQL's implicit
// transaction; an error in any of them rolls back all of them at the Sync),
// and the Sync commits it. A statement whose result the caller needs (a
// read, an exec whose row count is asked for) is sent at once and waited
// for; one whose result the caller does not need (execLater, Enqueue) is
// held and sent with the next one that is waited for, or with the Sync.
// Its error, if any, fails the transaction then: a condition a later
// statement must not run without is checked in SQL and raised as an error
// (cohost_expect, migration 0012), so that it aborts the transaction on the
// server. Order is kept, with one exception: River's inserts of jobs are
// held until the next statement that is waited for, or the Sync, even when
// writes asked for after them are sent sooner — they read nothing the
// transaction writes, and nothing in it reads them before they are sent.
//
// A join is then two round trips: the read, and the write with River's
// insert and the Sync. The intake's batch is three: the delivery ids, the
// events, and their jobs with the Sync; its commit is synchronous and also
// shows the workers' earlier commits to be on disk (flushBarrier).

// pipelineTxn is a transaction sent as a pipeline. It is used from one
// goroutine, like a pgx.Tx.
type pipelineTxn struct {
	conn      *pgxpool.Conn
	pg        *pgx.Conn
	p         *pgconn.Pipeline
	eqb       pgx.ExtendedQueryBuilder
	river     *river.Client[pgx.Tx]
	announcer *announcer
	counts    *SideCounts // nil: not counted
	// barrier, on the intake's sessions: told when a commit that enqueued
	// jobs is sent (syncCommit) and when it succeeded (flushed).
	barrier *flushBarrier
	flushed func()

	// unread counts the statements sent whose results have not been read
	// (the held ones: their results are read and checked before anything
	// sent after them).
	unread int
	// enqueues are River inserts held until the next round trip.
	enqueues []heldEnqueue
	// synced: the Sync went out with River's last insert (commit).
	synced   bool
	sent     bool // a statement went to the server since the pipeline started
	enqueued bool
	// err is the transaction's first failure; every later call returns it.
	err error
}

// heldEnqueue is one River insert: of one job (args), or of many (many).
type heldEnqueue struct {
	args river.JobArgs
	opts *river.InsertOpts
	many []river.InsertManyParams
}

// errAfterCommit refuses a statement River would send after the one its
// insert's Sync went with.
var errAfterCommit = errors.New("store: a statement after the pipelined transaction's commit")

func (e *postgresEngine) beginPipelined(ctx context.Context) (txn, error) {
	return e.beginPipelinedOn(ctx, e.pool, nil, e.workerCounts)
}

func (e *postgresEngine) beginPipelinedOn(ctx context.Context, pool *pgxpool.Pool, barrier *flushBarrier, counts *SideCounts) (txn, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	t := &pipelineTxn{conn: conn, pg: conn.Conn(), river: e.inserter, announcer: e.announcer, counts: counts, barrier: barrier}
	t.p = t.pg.PgConn().StartPipeline(ctx)
	return t, nil
}

// sync queues the Sync that commits the transaction; on the intake's
// sessions, a commit that enqueued jobs is reported to the flush barrier.
func (t *pipelineTxn) sync() {
	if t.barrier != nil && t.enqueued {
		t.flushed = t.barrier.syncCommit(t.pg)
	}
	t.p.SendPipelineSync()
	t.synced = true
}

// stmtCacheKey holds, in each connection's CustomData, the statements the
// pipelines prepared on it (SQL → description).
const stmtCacheKey = "cohost.pipeline.statements"

// statement returns the prepared statement for sql on this connection,
// preparing it (one round trip, the first time on each connection) when
// needed.
func (t *pipelineTxn) statement(sql string) (*pgconn.StatementDescription, error) {
	data := t.pg.PgConn().CustomData()
	cache, _ := data[stmtCacheKey].(map[string]*pgconn.StatementDescription)
	if cache == nil {
		cache = map[string]*pgconn.StatementDescription{}
		data[stmtCacheKey] = cache
	}
	if sd, ok := cache[sql]; ok {
		return sd, nil
	}
	// Names are never reused on a connection: a statement prepared and
	// then forgotten (forget) stays prepared on the server.
	n, _ := data[stmtCacheKey+".n"].(int)
	data[stmtCacheKey+".n"] = n + 1
	name := "cohost_pipeline_" + strconv.Itoa(n+1)
	if !t.usable() {
		return nil, t.err
	}
	t.p.SendPrepare(name, sql, nil)
	if err := t.roundTrip(); err != nil {
		return nil, err
	}
	res, err := t.p.GetResults()
	if err != nil {
		return nil, t.fail(err)
	}
	sd, ok := res.(*pgconn.StatementDescription)
	if !ok {
		return nil, t.fail(fmt.Errorf("store: pipeline: preparing a statement answered %T", res))
	}
	sd.Name, sd.SQL = name, sql
	cache[sql] = sd
	return sd, nil
}

// forget drops the statements prepared on the connection when the server
// says one of them no longer holds (a schema change since).
func (t *pipelineTxn) forget(err error) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "0A000" || pgErr.Code == "26000") {
		delete(t.pg.PgConn().CustomData(), stmtCacheKey)
	}
}

// errConnClosed fails a pipelined transaction whose connection broke.
var errConnClosed = errors.New("store: the connection closed during a pipelined transaction")

// usable reports whether anything more may be sent. A pipeline that met a
// broken connection has begun closing it (pgconn's asyncClose, which writes
// its farewell from a goroutine of its own): writing after that would race
// with it, so nothing more is sent, and the server, the connection gone,
// rolls the transaction back.
func (t *pipelineTxn) usable() bool {
	if t.pg.PgConn().IsClosed() {
		t.fail(errConnClosed)
		return false
	}
	return true
}

// fail records the transaction's first failure.
func (t *pipelineTxn) fail(err error) error {
	if t.err == nil {
		t.err = err
		t.forget(err)
	}
	return t.err
}

// send queues sql with args in the pipeline.
func (t *pipelineTxn) send(sql string, args []any) error {
	if t.err != nil {
		return t.err
	}
	if t.synced {
		return t.fail(errAfterCommit)
	}
	sd, err := t.statement(sql)
	if err != nil {
		return err
	}
	if len(sd.ParamOIDs) != len(args) {
		return t.fail(fmt.Errorf("store: pipeline: expected %d arguments, got %d", len(sd.ParamOIDs), len(args)))
	}
	if err := t.eqb.Build(t.pg.TypeMap(), sd, args); err != nil {
		return t.fail(err)
	}
	if !t.usable() {
		return t.err
	}
	t.p.SendQueryStatement(sd, t.eqb.ParamValues, t.eqb.ParamFormats, t.eqb.ResultFormats)
	t.sent = true
	if t.counts != nil {
		t.counts.Statements.Add(1)
	}
	return nil
}

// roundTrip sends what is queued and asks the server for its results.
func (t *pipelineTxn) roundTrip() error {
	if !t.usable() {
		return t.err
	}
	t.p.SendFlushRequest()
	if err := t.p.Flush(); err != nil {
		return t.fail(err)
	}
	return t.readHeld()
}

// readHeld reads the results of the held statements, in order; the first
// error fails the transaction.
func (t *pipelineTxn) readHeld() error {
	for ; t.unread > 0; t.unread-- {
		res, err := t.p.GetResults()
		if err != nil {
			t.unread = 0 // the server skips the rest until the Sync
			return t.fail(err)
		}
		if rr, ok := res.(*pgconn.ResultReader); ok {
			if _, err := rr.Close(); err != nil {
				t.unread = 0
				return t.fail(err)
			}
		}
	}
	return nil
}

// sendHeldEnqueues runs River's held inserts; the last one takes the Sync
// with it when final.
func (t *pipelineTxn) sendHeldEnqueues(ctx context.Context, final bool) error {
	held := t.enqueues
	t.enqueues = nil
	t.enqueued = t.enqueued || len(held) > 0
	for i, h := range held {
		tx := &riverTx{t: t, final: final && i == len(held)-1}
		var err error
		if h.many != nil {
			_, err = t.river.InsertManyTx(ctx, tx, h.many)
		} else {
			_, err = t.river.InsertTx(ctx, tx, h.args, h.opts)
		}
		if err != nil {
			return t.fail(err)
		}
	}
	return nil
}

// results sends sql and returns its result once everything sent before it
// has been read.
func (t *pipelineTxn) results(ctx context.Context, sql string, args []any, sync bool) (pgx.Rows, error) {
	if err := t.sendHeldEnqueues(ctx, false); err != nil {
		return nil, err
	}
	if err := t.send(sql, args); err != nil {
		return nil, err
	}
	if sync {
		if !t.usable() {
			return nil, t.err
		}
		t.sync()
		if err := t.p.Flush(); err != nil {
			return nil, t.fail(err)
		}
		if err := t.readHeld(); err != nil {
			return nil, err
		}
	} else if err := t.roundTrip(); err != nil {
		return nil, err
	}
	res, err := t.p.GetResults()
	if err != nil {
		return nil, t.fail(err)
	}
	rr, ok := res.(*pgconn.ResultReader)
	if !ok {
		return nil, t.fail(fmt.Errorf("store: pipeline: a statement answered %T", res))
	}
	return &pipelineRows{Rows: pgx.RowsFromResultReader(t.pg.TypeMap(), rr), t: t}, nil
}

// pipelineRows records a statement's error, read with its rows, as the
// transaction's.
type pipelineRows struct {
	pgx.Rows
	t *pipelineTxn
}

func (r *pipelineRows) Close() {
	r.Rows.Close()
	if err := r.Rows.Err(); err != nil {
		r.t.fail(err)
	}
}

func (t *pipelineTxn) exec(ctx context.Context, query string, args ...any) (int64, error) {
	r, err := t.results(ctx, query, args, false)
	if err != nil {
		return 0, classify(err)
	}
	r.Close()
	if err := r.Err(); err != nil {
		return 0, classify(err)
	}
	return r.CommandTag().RowsAffected(), nil
}

func (t *pipelineTxn) queryRow(ctx context.Context, query string, args ...any) row {
	r, err := t.results(ctx, query, args, false)
	return pgxRow{pipelineRow{rows: r, err: err}}
}

func (t *pipelineTxn) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := t.results(ctx, query, args, false)
	if err != nil {
		return nil, classify(err)
	}
	return pgxRows{r}, nil
}

// execLater holds the statement until the next round trip.
func (t *pipelineTxn) execLater(_ context.Context, query string, args ...any) error {
	if err := t.send(query, args); err != nil {
		return classify(err)
	}
	t.unread++
	return nil
}

// pipelineRow is pgx.Row over a pipeline's rows.
type pipelineRow struct {
	rows pgx.Rows
	err  error
}

func (r pipelineRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

func (t *pipelineTxn) enqueue(_ context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if t.err != nil {
		return t.err
	}
	t.enqueues = append(t.enqueues, heldEnqueue{args: args, opts: opts})
	return nil
}

// enqueueMany: River's fast insert of many jobs is a COPY, which cannot be
// part of a pipeline (and costs two round trips of its own); they go in one
// insert statement instead, held as Enqueue's.
func (t *pipelineTxn) enqueueMany(_ context.Context, params []river.InsertManyParams) error {
	if t.err != nil {
		return t.err
	}
	t.enqueues = append(t.enqueues, heldEnqueue{many: params})
	return nil
}

// commit sends what is held and the Sync, and reads every result: the
// transaction committed when the Sync's answer comes without an error
// before it.
func (t *pipelineTxn) commit(ctx context.Context) error {
	defer t.release()
	if t.err == nil {
		if len(t.enqueues) > 0 {
			_ = t.sendHeldEnqueues(ctx, true)
		} else if t.usable() {
			t.sync()
			if err := t.p.Flush(); err != nil {
				t.fail(err)
			} else {
				_ = t.readHeld()
			}
		}
	}
	if err := t.finish(); err != nil {
		return err
	}
	if t.flushed != nil {
		t.flushed()
	}
	if t.counts != nil && t.sent {
		t.counts.Commits.Add(1)
	}
	if t.enqueued {
		t.announcer.announce()
	}
	return nil
}

// errRolledBack is the transaction's error once rollback was asked for.
var errRolledBack = errors.New("store: the pipelined transaction was rolled back")

// rollback ends the transaction without committing it.
func (t *pipelineTxn) rollback(context.Context) error {
	defer t.release()
	if t.err == nil {
		t.err = errRolledBack
	}
	_ = t.finish()
	return nil
}

// finish ends the pipeline: it sends the Sync if it has not gone yet —
// after a ROLLBACK when the transaction failed, so that the Sync commits
// nothing of it (a ROLLBACK in an implicit transaction aborts it; the
// server warns that no explicit one is in progress) — reads what is left up
// to the Sync's answer and closes the pipeline. It returns the
// transaction's error, if any. A pipeline that cannot be brought back to a
// clean state closes its connection, and the pool drops it.
func (t *pipelineTxn) finish() error {
	if !t.usable() {
		_ = t.p.Close() // the connection is gone, and the pool drops it
		return t.err
	}
	if !t.synced {
		if t.err != nil && t.sent {
			t.p.SendQueryParams("ROLLBACK", nil, nil, nil, nil)
			if t.counts != nil {
				t.counts.Statements.Add(1)
				t.counts.Control.Add(1)
			}
		}
		t.p.SendPipelineSync()
		t.synced = true
		if err := t.p.Flush(); err != nil {
			t.fail(err)
		}
	}
	for {
		res, err := t.p.GetResults()
		if err != nil {
			t.fail(err)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) {
				break // the connection broke: Close sends nothing more on it
			}
			continue // the server skips what follows until the Sync
		}
		if res == nil {
			break
		}
		if rr, ok := res.(*pgconn.ResultReader); ok {
			if _, err := rr.Close(); err != nil {
				t.fail(err)
			}
		}
		if _, ok := res.(*pgconn.PipelineSync); ok {
			break
		}
	}
	if err := t.p.Close(); err != nil {
		t.fail(err)
	}
	return t.err
}

func (t *pipelineTxn) release() {
	if t.conn != nil {
		t.conn.Release()
		t.conn = nil
	}
}

// riverTx is the pgx.Tx River's inserts are given in a pipelined
// transaction: its statements join the pipeline. With final, the Sync (the
// commit) goes with River's insert of the jobs (riverInsertQuery); a
// statement River would send after it is refused (errAfterCommit: the
// transaction committed, the caller is told it failed, and the job that
// asked runs again, which finds its work done).
type riverTx struct {
	t         *pipelineTxn
	final     bool
	committed bool
}

var _ pgx.Tx = (*riverTx)(nil)

var errPipelined = errors.New("store: not available in a pipelined transaction")

// riverInsertQuery begins River's statement that inserts jobs (sqlc's
// name for it).
const riverInsertQuery = "-- name: JobInsertFastMany "

func (r *riverTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if r.committed {
		return nil, r.t.fail(fmt.Errorf("%w: %.80s", errAfterCommit, sql))
	}
	sync := r.final && strings.HasPrefix(sql, riverInsertQuery)
	r.committed = sync
	return r.t.results(ctx, sql, args, sync)
}

func (r *riverTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := r.Query(ctx, sql, args...)
	return pipelineRow{rows: rows, err: err}
}

func (r *riverTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	rows, err := r.Query(ctx, sql, args...)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	rows.Close()
	return rows.CommandTag(), rows.Err()
}

func (r *riverTx) Conn() *pgx.Conn { return r.t.pg }

func (r *riverTx) Begin(context.Context) (pgx.Tx, error) { return nil, errPipelined }
func (r *riverTx) Commit(context.Context) error          { return errPipelined }
func (r *riverTx) Rollback(context.Context) error        { return errPipelined }
func (r *riverTx) CopyFrom(context.Context, pgx.Identifier, []string, pgx.CopyFromSource) (int64, error) {
	return 0, errPipelined
}
func (r *riverTx) SendBatch(context.Context, *pgx.Batch) pgx.BatchResults { return errBatchResults{} }
func (r *riverTx) LargeObjects() pgx.LargeObjects                         { return pgx.LargeObjects{} }
func (r *riverTx) Prepare(context.Context, string, string) (*pgconn.StatementDescription, error) {
	return nil, errPipelined
}

// errBatchResults answers every result of a batch with errPipelined.
type errBatchResults struct{}

func (errBatchResults) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, errPipelined }
func (errBatchResults) Query() (pgx.Rows, error)         { return nil, errPipelined }
func (errBatchResults) QueryRow() pgx.Row                { return pipelineRow{err: errPipelined} }
func (errBatchResults) Close() error                     { return errPipelined }
func (errBatchResults) Tx() pgx.Tx                       { return nil }
