package store

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// Counts tallies the SQL a store sends, per side, for the benchmarks: the
// statements and commits per processed join are what to compare between
// versions, because unlike times they do not move with the machine's load.
// A store opened without Options.Counts counts nothing and pays nothing.
type Counts struct {
	// Intake is the webhook intake's connection(s); Workers everything
	// else: the job workers, River's own queries, reads of the admin API.
	Intake, Workers SideCounts
}

// SideCounts are the counts of one side.
type SideCounts struct {
	// Statements counts every SQL statement sent, BEGIN, COMMIT and
	// ROLLBACK included (a pgx batch counts each of its statements, a COPY
	// one).
	Statements atomic.Int64
	// Control counts the BEGIN, COMMIT and ROLLBACK among Statements.
	Control atomic.Int64
	// Commits counts transactions that committed: an explicit COMMIT, or one
	// statement (or batch) run outside a transaction, read-only ones too, as
	// PostgreSQL's pg_stat_database.xact_commit counts them.
	Commits atomic.Int64
}

// Snapshot returns the counts as plain numbers.
func (s *SideCounts) Snapshot() CountSnapshot {
	return CountSnapshot{Statements: s.Statements.Load(), Control: s.Control.Load(), Commits: s.Commits.Load()}
}

// CountSnapshot is SideCounts at one moment.
type CountSnapshot struct{ Statements, Control, Commits int64 }

// Sub returns c minus an earlier snapshot.
func (c CountSnapshot) Sub(earlier CountSnapshot) CountSnapshot {
	return CountSnapshot{c.Statements - earlier.Statements, c.Control - earlier.Control, c.Commits - earlier.Commits}
}

// isControl reports whether a statement only opens or ends a transaction.
func isControl(sql string) (control, rollback bool) {
	s := strings.TrimSpace(sql)
	if len(s) > len("start transaction") {
		s = s[:len("start transaction")] // only the first word matters: not the whole text of every statement
	}
	s = strings.ToLower(s)
	switch {
	case strings.HasPrefix(s, "begin"), strings.HasPrefix(s, "start transaction"):
		return true, false
	case strings.HasPrefix(s, "commit"), strings.HasPrefix(s, "end"):
		return true, false
	case strings.HasPrefix(s, "rollback") && !strings.HasPrefix(s, "rollback to"):
		return true, true
	}
	return false, false
}

// pgCounter is a pgx tracer that counts into one side. A statement that
// leaves the connection outside a transaction without error ended one:
// a COMMIT, or a statement that ran in a transaction of its own.
type pgCounter struct{ side *SideCounts }

var (
	_ pgx.QueryTracer    = pgCounter{}
	_ pgx.BatchTracer    = pgCounter{}
	_ pgx.CopyFromTracer = pgCounter{}
)

type pgCounterKey struct{}

func (c pgCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, pgCounterKey{}, d.SQL)
}

func (c pgCounter) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, d pgx.TraceQueryEndData) {
	c.side.Statements.Add(1)
	sql, _ := ctx.Value(pgCounterKey{}).(string)
	control, rollback := isControl(sql)
	if control {
		c.side.Control.Add(1)
	}
	if d.Err == nil && !rollback && conn.PgConn().TxStatus() == 'I' {
		c.side.Commits.Add(1)
	}
}

func (c pgCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (c pgCounter) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	c.side.Statements.Add(1)
	if control, _ := isControl(d.SQL); control {
		c.side.Control.Add(1)
	}
}

func (c pgCounter) TraceBatchEnd(_ context.Context, conn *pgx.Conn, d pgx.TraceBatchEndData) {
	if d.Err == nil && conn.PgConn().TxStatus() == 'I' {
		c.side.Commits.Add(1)
	}
}

func (c pgCounter) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	return ctx
}

func (c pgCounter) TraceCopyFromEnd(_ context.Context, conn *pgx.Conn, d pgx.TraceCopyFromEndData) {
	c.side.Statements.Add(1)
	if d.Err == nil && conn.PgConn().TxStatus() == 'I' {
		c.side.Commits.Add(1)
	}
}
