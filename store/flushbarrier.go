package store

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// The workers' PostgreSQL sessions commit without waiting for the WAL
// flush (openPostgres). That alone would not be safe: River records a
// job's completion from memory after the job returns, and retries that
// write until the database answers. Were PostgreSQL to crash after a job's
// commit and before its flush, and cohostd to live on, the completion would
// be written after the restart for a job whose writes the crash took back:
// a join, say, acknowledged to Zoom and never processed. So a job that
// succeeded is not reported to River until what it wrote is on disk.
//
// A synchronous commit proves it: its flush covers every commit before it
// in the WAL, the job's included — provided the server did not restart in
// between, which a session that was open before the job's commit and
// still works after the synchronous one shows (a restart ends every
// session). The intake commits synchronously all the time under load; each
// of its commits releases the jobs that finished before it was sent. When
// none comes within flushGather, or as soon as half the workers wait, the
// barrier commits a transaction of its own on its dedicated session. A job whose writes cannot be shown to be on
// disk (the session broke) fails, and River runs it again: the replay finds
// the work done, or does it again if a crash took it back.
type flushBarrier struct {
	cfg    *pgx.ConnConfig
	logger *slog.Logger

	// seq orders jobs finishing, sessions opening and synchronous commits
	// being sent.
	seq atomic.Int64
	// born is when each session of the intake's pool opened (seq).
	born sync.Map // *pgx.Conn → int64

	mu      sync.Mutex
	conn    *pgx.Conn
	connAt  int64 // seq when conn opened
	waiting []flushWaiter
	stopped bool
	// full is signalled when batch jobs wait: the barrier then commits at
	// once instead of waiting out flushGather.
	batch int
	full  chan struct{}
	// gather is flushGather (tests change it).
	gather time.Duration
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
}

type flushWaiter struct {
	at   int64 // seq when the job finished, after its last commit
	done chan error
}

// errFlushUnproven fails a job whose writes could not be shown to be on
// disk; River retries it.
var errFlushUnproven = errors.New("store: could not confirm that the job's writes reached the disk; the job runs again")

// flushGather is how long finished jobs wait for an intake commit to cover
// them before the barrier commits one of its own. A waiting job holds its
// worker's slot, not a database connection, and what waits is River's
// record of the job's completion, not its effects (a grant's job is
// announced when the join's transaction commits): the wait costs a joiner
// nothing, and each of the barrier's own commits is a round trip and a
// disk flush. Half the workers waiting end the wait at once (setBatch), so
// under load the slots are not starved.
const flushGather = 20 * time.Millisecond

func newFlushBarrier(cfg *pgx.ConnConfig, logger *slog.Logger) *flushBarrier {
	return &flushBarrier{cfg: cfg, logger: logger, batch: 1, gather: flushGather, full: make(chan struct{}, 1), wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// setBatch sets how many waiting jobs make the barrier commit at once: half
// the workers.
func (b *flushBarrier) setBatch(maxWorkers int) {
	b.mu.Lock()
	b.batch = max(1, maxWorkers/2)
	b.mu.Unlock()
}

func (b *flushBarrier) start(ctx context.Context) error {
	if err := b.connect(ctx); err != nil {
		return err
	}
	go b.run()
	return nil
}

func (b *flushBarrier) connect(ctx context.Context) error {
	at := b.seq.Add(1)
	conn, err := pgx.ConnectConfig(ctx, b.cfg)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.conn, b.connAt = conn, at
	b.mu.Unlock()
	return nil
}

// opened records that a session of the intake's pool opened (its
// AfterConnect), closed that it is gone (BeforeClose).
func (b *flushBarrier) opened(conn *pgx.Conn) { b.born.Store(conn, b.seq.Add(1)) }
func (b *flushBarrier) closed(conn *pgx.Conn) { b.born.Delete(conn) }

// syncCommit is called around a synchronous commit on a session of the
// intake's pool: before sending COMMIT, and then, once it succeeded, the
// function it returned.
func (b *flushBarrier) syncCommit(conn *pgx.Conn) (committed func()) {
	sent := b.seq.Add(1)
	return func() {
		if v, ok := b.born.Load(conn); ok {
			b.release(v.(int64), sent)
		}
	}
}

// release answers the jobs that finished after the session opened (at
// openedAt) and before a synchronous commit on it was sent (sentAt).
func (b *flushBarrier) release(openedAt, sentAt int64) {
	b.mu.Lock()
	keep := b.waiting[:0]
	var ready []flushWaiter
	for _, w := range b.waiting {
		if openedAt < w.at && w.at < sentAt {
			ready = append(ready, w)
		} else {
			keep = append(keep, w)
		}
	}
	b.waiting = keep
	b.mu.Unlock()
	for _, w := range ready {
		w.done <- nil
	}
}

// wait returns once the writes the caller committed before calling it are
// on disk, or errFlushUnproven.
func (b *flushBarrier) wait(ctx context.Context) error {
	w := flushWaiter{at: b.seq.Add(1), done: make(chan error, 1)}
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return errFlushUnproven
	}
	b.waiting = append(b.waiting, w)
	full := len(b.waiting) >= b.batch
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	if full {
		select {
		case b.full <- struct{}{}:
		default:
		}
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *flushBarrier) run() {
	defer close(b.done)
	for {
		select {
		case <-b.stop:
			b.fail(func(flushWaiter) bool { return true })
			return
		case <-b.wake:
		}
		// Give the intake's commits a moment to cover the finished jobs,
		// unless half the workers wait already.
		gather := time.NewTimer(b.gather)
		select {
		case <-b.stop:
			gather.Stop()
			continue
		case <-gather.C:
		case <-b.full:
			gather.Stop()
		}
		b.mu.Lock()
		pending, conn, connAt := len(b.waiting), b.conn, b.connAt
		b.mu.Unlock()
		if pending == 0 {
			continue
		}
		if conn == nil {
			b.fail(func(flushWaiter) bool { return true })
			b.reconnect(nil)
			continue
		}
		sent := b.seq.Add(1)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		// An autocommit transaction that takes a transaction id writes a
		// commit record, and with synchronous_commit on waits for its flush.
		_, err := conn.Exec(ctx, "SELECT pg_current_xact_id()")
		cancel()
		if err == nil {
			b.release(connAt, sent)
			continue
		}
		b.logger.Warn("could not confirm that finished jobs' writes reached the disk; they run again", "error", err.Error())
		// The session broke: nothing that finished before now can be
		// proven on disk through it.
		b.fail(func(w flushWaiter) bool { return w.at < sent })
		b.reconnect(conn)
	}
}

// reconnect replaces a broken session, trying until it succeeds or the
// barrier stops.
func (b *flushBarrier) reconnect(broken *pgx.Conn) {
	b.mu.Lock()
	if b.conn == broken {
		b.conn = nil
	}
	b.mu.Unlock()
	if broken != nil {
		_ = broken.Close(context.Background())
	}
	for delay := 50 * time.Millisecond; ; delay = min(2*delay, 2*time.Second) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := b.connect(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-b.stop:
			return
		case <-time.After(delay):
		}
	}
}

// fail answers the waiting jobs that match with errFlushUnproven.
func (b *flushBarrier) fail(match func(flushWaiter) bool) {
	b.mu.Lock()
	keep := b.waiting[:0]
	var failed []flushWaiter
	for _, w := range b.waiting {
		if match(w) {
			failed = append(failed, w)
		} else {
			keep = append(keep, w)
		}
	}
	b.waiting = keep
	b.mu.Unlock()
	for _, w := range failed {
		w.done <- errFlushUnproven
	}
}

func (b *flushBarrier) close() {
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	close(b.stop)
	<-b.done
	b.mu.Lock()
	conn := b.conn
	b.conn = nil
	b.mu.Unlock()
	if conn != nil {
		_ = conn.Close(context.Background())
	}
}

// durableWork is the River middleware that holds a job's success until its
// writes are on disk (flushBarrier). It is the outermost middleware, so the
// writes of any middleware inside it are covered too. A job that failed or
// snoozed is reported at once: losing that record only runs it again.
type durableWork struct {
	river.MiddlewareDefaults
	barrier *flushBarrier
}

var _ rivertype.WorkerMiddleware = (*durableWork)(nil)

func (d *durableWork) Work(ctx context.Context, _ *rivertype.JobRow, doInner func(context.Context) error) error {
	if err := doInner(ctx); err != nil {
		return err
	}
	return d.barrier.wait(ctx)
}
