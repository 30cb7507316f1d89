package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
)

// openSQLiteDB opens dsn with the registered "sqlite" driver behind
// sqliteConn: a cache of prepared statements per connection, the process's
// write lock w, and, for the benchmarks, counts (nil: none).
func openSQLiteDB(dsn string, w writeLock, counts *SideCounts) (*sql.DB, error) {
	probe, err := sql.Open("sqlite", "")
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	_ = probe.Close()
	return sql.OpenDB(sqliteConnector{dsn: dsn, drv: drv, w: w, counts: counts}), nil
}

// writeLock is taken by every transaction and every statement outside one,
// on all the process's connections to one SQLite file, for as long as
// SQLite's own write lock would be held. SQLite lets one connection write
// at a time and makes the others wait in its busy handler, which sleeps 1,
// 2, 5, 10 ms and longer between tries: an intake transaction that found
// the workers' connection writing slept past many of their short
// transactions, and the other way round. Waiting here instead hands the
// lock over the moment it is released, in arrival order (a channel's
// waiting senders are served first in, first out), so an ack waits for at
// most the one worker transaction in progress. busy_timeout stays, for
// other processes opening the file.
type writeLock chan struct{}

func newWriteLock() writeLock { return make(writeLock, 1) }

func (w writeLock) lock(ctx context.Context) error {
	select {
	case w <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w writeLock) unlock() { <-w }

type sqliteConnector struct {
	dsn    string
	drv    driver.Driver
	w      writeLock
	counts *SideCounts
}

func (c sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &sqliteConn{Conn: conn, w: c.w, counts: c.counts, cache: map[string]*cachedStmt{}}, nil
}

func (c sqliteConnector) Driver() driver.Driver { return c.drv }

// maxCachedStmts bounds each connection's statement cache. cohost and River
// send a few dozen distinct statements; the intake's batch inserts, whose
// text grows with the batch, take what is left.
const maxCachedStmts = 256

// sqliteConn is a connection of the SQLite driver that prepares each
// statement once: database/sql's Exec and Query on the driver's connection
// parse and plan the SQL on every call (SQLite has no plan cache of its
// own), which was a third of the workers' CPU — River's completion of a
// batch of jobs alone runs one statement per job. A cached statement is
// reset after use, not finalized; one still in use (rows of it open) is not
// shared: the call prepares a statement of its own, as without the cache.
//
// database/sql uses a connection from one goroutine at a time, so its
// fields need no lock.
type sqliteConn struct {
	driver.Conn
	w      writeLock
	counts *SideCounts // nil: not counted
	inTx   bool
	cache  map[string]*cachedStmt
}

type cachedStmt struct {
	driver.Stmt
	busy bool
}

var (
	_ driver.ConnBeginTx        = (*sqliteConn)(nil)
	_ driver.ConnPrepareContext = (*sqliteConn)(nil)
	_ driver.ExecerContext      = (*sqliteConn)(nil)
	_ driver.QueryerContext     = (*sqliteConn)(nil)
	_ driver.Pinger             = (*sqliteConn)(nil)
	_ driver.SessionResetter    = (*sqliteConn)(nil)
	_ driver.Validator          = (*sqliteConn)(nil)
)

// statement counts one statement that ran, and the commit of the
// transaction it ran in when it ran outside one.
func (c *sqliteConn) statement(err error) {
	if c.counts == nil {
		return
	}
	c.counts.Statements.Add(1)
	if err == nil && !c.inTx {
		c.counts.Commits.Add(1)
	}
}

func (c *sqliteConn) control() {
	if c.counts != nil {
		c.counts.Statements.Add(1)
		c.counts.Control.Add(1)
	}
}

// stmt returns the cached statement for query, preparing it on first use;
// nil when the cached one is in use or the cache is full (the caller then
// goes the uncached way).
func (c *sqliteConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if s, ok := c.cache[query]; ok {
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	if len(c.cache) >= maxCachedStmts {
		return nil, nil
	}
	ds, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s := &cachedStmt{Stmt: ds}
	c.cache[query] = s
	return s, nil
}

// lockOutsideTx takes the write lock for a statement run outside a
// transaction (SQLite runs it in one of its own); unlock is a no-op inside
// one, whose lock BeginTx took.
func (c *sqliteConn) lockOutsideTx(ctx context.Context) (unlock func(), err error) {
	if c.inTx {
		return func() {}, nil
	}
	if err := c.w.lock(ctx); err != nil {
		return nil, err
	}
	return c.w.unlock, nil
}

func (c *sqliteConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	unlock, err := c.lockOutsideTx(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	s, err := c.stmt(ctx, query)
	if err != nil {
		c.statement(err)
		return nil, err
	}
	var r driver.Result
	if s != nil {
		r, err = s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	} else {
		r, err = c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	}
	c.statement(err)
	return r, err
}

func (c *sqliteConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	unlock, err := c.lockOutsideTx(ctx)
	if err != nil {
		return nil, err
	}
	s, err := c.stmt(ctx, query)
	if err != nil {
		unlock()
		c.statement(err)
		return nil, err
	}
	var r driver.Rows
	if s != nil {
		r, err = s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	} else {
		r, err = c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	}
	c.statement(err)
	if err != nil {
		unlock()
		return nil, err
	}
	if s != nil {
		s.busy = true
	}
	return &lockedRows{Rows: r, s: s, unlock: unlock}, nil
}

// lockedRows frees its cached statement (if any) for the next call, and
// the write lock a statement outside a transaction took, when closed:
// SQLite holds its locks until then.
type lockedRows struct {
	driver.Rows
	s      *cachedStmt
	unlock func()
}

func (r *lockedRows) Close() error {
	err := r.Rows.Close()
	if r.s != nil {
		r.s.busy = false
	}
	r.unlock()
	return err
}

func (c *sqliteConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.control()
	if err := c.w.lock(ctx); err != nil {
		return nil, err
	}
	tx, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		c.w.unlock()
		return nil, err
	}
	c.inTx = true
	return &sqliteTx{Tx: tx, c: c}, nil
}

func (c *sqliteConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &countedStmt{Stmt: s, c: c}, nil
}

func (c *sqliteConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *sqliteConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *sqliteConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// Close finalizes the cached statements, then closes the connection (and
// with it a transaction left open, whose lock it gives back).
func (c *sqliteConn) Close() error {
	if c.inTx {
		c.inTx = false
		defer c.w.unlock()
	}
	var errs []error
	for q, s := range c.cache {
		errs = append(errs, s.Close())
		delete(c.cache, q)
	}
	errs = append(errs, c.Conn.Close())
	return errors.Join(errs...)
}

type sqliteTx struct {
	driver.Tx
	c *sqliteConn
}

func (t *sqliteTx) Commit() error {
	t.c.control()
	err := t.Tx.Commit()
	t.c.inTx = false
	t.c.w.unlock()
	if err == nil && t.c.counts != nil {
		t.c.counts.Commits.Add(1)
	}
	return err
}

func (t *sqliteTx) Rollback() error {
	t.c.control()
	err := t.Tx.Rollback()
	t.c.inTx = false
	t.c.w.unlock()
	return err
}

// countedStmt is a statement prepared through database/sql (not cached).
type countedStmt struct {
	driver.Stmt
	c *sqliteConn
}

func (s *countedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	unlock, err := s.c.lockOutsideTx(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	r, err := s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	s.c.statement(err)
	return r, err
}

func (s *countedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	unlock, err := s.c.lockOutsideTx(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	s.c.statement(err)
	if err != nil {
		unlock()
		return nil, err
	}
	return &lockedRows{Rows: r, unlock: unlock}, nil
}
