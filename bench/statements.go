package bench

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Where PostgreSQL's time goes, per kind of statement: pg_stat_statements'
// counters for the benchmark database, read before and after the closed
// loop and its drain. The extension has to be loaded by the server
// (shared_preload_libraries = 'pg_stat_statements'); without it the
// benchmark says so and goes on without the table.
//
// The counters are the server's for the whole database, whoever sent the
// statement: the benchmark's own few (the meter's, the watcher's) are
// listed apart and left out of the totals. Execution time is wall time in
// the backend, not CPU: a statement waiting for a lock counts its wait, and
// COPY FROM STDIN counts the time it waits for the client's rows. Planning
// time is counted when the server tracks it
// (pg_stat_statements.track_planning).

// statementStats are one statement's counters.
type statementStats struct {
	Calls                  int64
	ExecMS, PlanMS         float64
	Rows                   int64
	BlocksHit, BlocksDirty int64
	WALRecords, WALFPI     int64
	WALBytes               int64
}

func (a statementStats) sub(b statementStats) statementStats {
	return statementStats{a.Calls - b.Calls, a.ExecMS - b.ExecMS, a.PlanMS - b.PlanMS, a.Rows - b.Rows,
		a.BlocksHit - b.BlocksHit, a.BlocksDirty - b.BlocksDirty, a.WALRecords - b.WALRecords, a.WALFPI - b.WALFPI,
		a.WALBytes - b.WALBytes}
}

func (a *statementStats) add(b statementStats) {
	a.Calls += b.Calls
	a.ExecMS += b.ExecMS
	a.PlanMS += b.PlanMS
	a.Rows += b.Rows
	a.BlocksHit += b.BlocksHit
	a.BlocksDirty += b.BlocksDirty
	a.WALRecords += b.WALRecords
	a.WALFPI += b.WALFPI
	a.WALBytes += b.WALBytes
}

// statementKey identifies a statement in pg_stat_statements.
type statementKey struct {
	user, query int64
	top         bool
}

type statementSnapshot struct {
	text  map[statementKey]string
	stats map[statementKey]statementStats
}

// StatementKind is one line of the statements table: the counters of the
// statements of one kind over the measured loop.
type StatementKind struct {
	Kind string
	statementStats
	// Own is the benchmark's own (the meter, the watcher).
	Own bool
}

// errNoStatements says why pg_stat_statements cannot be read.
var errNoStatements = errors.New("pg_stat_statements is not available")

// enableStatements makes pg_stat_statements' view available in the
// benchmark database. It fails with errNoStatements (and the server's
// words) when the server does not load the extension or the user may not
// create it.
func enableStatements(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		return fmt.Errorf("%w: %s", errNoStatements, pgMessage(err))
	}
	if _, err := conn.Exec(ctx, `SELECT 1 FROM pg_stat_statements LIMIT 1`); err != nil {
		return fmt.Errorf("%w: %s", errNoStatements, pgMessage(err))
	}
	return nil
}

func pgMessage(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message
	}
	return err.Error()
}

// snapshotStatements reads the counters of the database's statements.
func snapshotStatements(ctx context.Context, conn *pgx.Conn) (statementSnapshot, error) {
	rows, err := conn.Query(ctx, `SELECT userid::bigint, queryid, toplevel, query, calls, total_exec_time, total_plan_time,
		rows, shared_blks_hit, shared_blks_dirtied, wal_records, wal_fpi, wal_bytes::bigint
		FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`)
	if err != nil {
		return statementSnapshot{}, err
	}
	defer rows.Close()
	snap := statementSnapshot{text: map[statementKey]string{}, stats: map[statementKey]statementStats{}}
	for rows.Next() {
		var (
			k    statementKey
			text string
			s    statementStats
		)
		if err := rows.Scan(&k.user, &k.query, &k.top, &text, &s.Calls, &s.ExecMS, &s.PlanMS, &s.Rows, &s.BlocksHit,
			&s.BlocksDirty, &s.WALRecords, &s.WALFPI, &s.WALBytes); err != nil {
			return statementSnapshot{}, err
		}
		snap.text[k], snap.stats[k] = text, s
	}
	return snap, rows.Err()
}

// statementKinds is what ran between two snapshots, by kind, the most
// expensive first.
func statementKinds(before, after statementSnapshot) []StatementKind {
	byKind := map[string]*StatementKind{}
	for k, s := range after.stats {
		d := s.sub(before.stats[k])
		if d.Calls <= 0 || !k.top {
			continue
		}
		kind, own := statementKind(after.text[k])
		sk := byKind[kind]
		if sk == nil {
			sk = &StatementKind{Kind: kind, Own: own}
			byKind[kind] = sk
		}
		sk.add(d)
	}
	out := make([]StatementKind, 0, len(byKind))
	for _, sk := range byKind {
		out = append(out, *sk)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Own != out[j].Own {
			return !out[i].Own
		}
		return out[i].ExecMS+out[i].PlanMS > out[j].ExecMS+out[j].PlanMS
	})
	return out
}

var (
	riverQueryName = regexp.MustCompile(`^--\s*name:\s*(\w+)`)
	spaces         = regexp.MustCompile(`\s+`)
	firstTable     = regexp.MustCompile(`(?i)^(insert into|update|delete from|copy)\s+"?(\w+)"?`)
	selectFrom     = regexp.MustCompile(`(?i)\bfrom\s+(\w+)`)
)

// statementKind names a statement's kind from its text: River's queries by
// the name River gives them, cohost's by what they do to which table. The
// intake's multi-row inserts, whose text varies with the batch, fall into
// one kind.
func statementKind(query string) (kind string, own bool) {
	q := strings.TrimSpace(query)
	if m := riverQueryName.FindStringSubmatch(q); m != nil {
		return "River " + m[1], false
	}
	q = strings.TrimSpace(spaces.ReplaceAllString(q, " "))
	lower := strings.ToLower(q)
	switch {
	// pg_stat_statements keeps the text it first saw for a statement: the
	// meter's queries are recognised by what they read too.
	case strings.HasPrefix(q, ownQuery), strings.Contains(lower, "pg_stat_statements"), strings.Contains(lower, "pg_stat_activity"),
		strings.Contains(lower, "pg_stat_database"), strings.Contains(lower, "pg_stat_clear_snapshot"):
		return "cohostbench's own: " + shorten(strings.TrimSpace(strings.TrimPrefix(q, ownQuery)), 60), true
	case strings.HasPrefix(lower, "with mark as (update webhook_events"):
		return "join: participant write + event processed (one WITH)", false
	case strings.HasPrefix(lower, "select coalesce(m.account_id"):
		return "join: read meeting + participant", false
	case strings.HasPrefix(lower, "select pg_current_xact_id()"):
		return "flush barrier: synchronous commit", false
	case lower == "begin" || lower == "commit" || lower == "rollback":
		return strings.ToUpper(lower), false
	}
	if m := firstTable.FindStringSubmatch(q); m != nil {
		return strings.ToUpper(m[1]) + " " + m[2], false
	}
	if strings.HasPrefix(lower, "select") {
		if m := selectFrom.FindStringSubmatch(q); m != nil {
			return "SELECT … FROM " + m[1], false
		}
	}
	return shorten(q, 60), false
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// StatementTable renders the statement kinds of a run per unit (a join, or
// an event when the workers did not run).
func StatementTable(kinds []StatementKind, joins int64, unit string) string {
	if len(kinds) == 0 || joins <= 0 {
		return ""
	}
	f := func(v float64) string { return fmt.Sprintf("%.3f", v/float64(joins)) }
	s := strings.NewReplacer("JOIN", unit).Replace("| statement kind | calls /JOIN | exec ms /JOIN | plan ms /JOIN | rows /JOIN | "+
		"buffers hit /JOIN | buffers dirtied /JOIN | WAL records /JOIN | WAL bytes /JOIN | full-page images /JOIN |\n") +
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
	var total statementStats
	for _, k := range kinds {
		if !k.Own {
			total.add(k.statementStats)
		}
	}
	row := func(name string, k statementStats) string {
		return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %.0f | %s |\n", name, f(float64(k.Calls)), f(k.ExecMS), f(k.PlanMS),
			f(float64(k.Rows)), f(float64(k.BlocksHit)), f(float64(k.BlocksDirty)), f(float64(k.WALRecords)),
			float64(k.WALBytes)/float64(joins), f(float64(k.WALFPI)))
	}
	for _, k := range kinds {
		name := k.Kind
		if k.Own {
			name = "*" + strings.ReplaceAll(name, "|", "\\|") + "* (not in the total)"
		}
		s += row(strings.ReplaceAll(name, "|", "\\|"), k.statementStats)
	}
	return s + row("**total** (cohost and River)", total)
}

// pgStatements reads pg_stat_statements over a measured stretch.
type pgStatements struct {
	conn   *pgx.Conn
	before statementSnapshot
}

// startStatements takes the first snapshot; errNoStatements when the
// server does not offer the view.
func startStatements(ctx context.Context, conn *pgx.Conn) (*pgStatements, error) {
	if err := enableStatements(ctx, conn); err != nil {
		return nil, err
	}
	before, err := snapshotStatements(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", errNoStatements, pgMessage(err))
	}
	return &pgStatements{conn: conn, before: before}, nil
}

// finish returns what ran since the start, by kind.
func (s *pgStatements) finish(ctx context.Context) ([]StatementKind, error) {
	after, err := snapshotStatements(ctx, s.conn)
	if err != nil {
		return nil, err
	}
	return statementKinds(s.before, after), nil
}
