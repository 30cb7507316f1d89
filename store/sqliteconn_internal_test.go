package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// A statement still in use (its rows open) is not handed out again from
// the cache: the same query run inside the iteration gets a statement of
// its own, and both read every row.
func TestSQLiteCachedStatementInUse(t *testing.T) {
	ctx := context.Background()
	dsn := "file:" + filepath.Join(t.TempDir(), "c.db") + "?_pragma=journal_mode(WAL)&_txlock=immediate"
	db, err := openSQLiteDB(dsn, newWriteLock(), &SideCounts{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := db.ExecContext(ctx, `INSERT INTO t (x) VALUES ($1)`, i); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	const q = `SELECT x FROM t ORDER BY x`
	for range 2 { // the second time from the cache
		outer, err := tx.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pairs := 0
		for outer.Next() {
			inner, err := tx.QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for inner.Next() {
				pairs++
			}
			if err := inner.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if err := outer.Err(); err != nil {
			t.Fatal(err)
		}
		_ = outer.Close()
		if pairs != 9 {
			t.Fatalf("%d rows read in the nested loops, want 9", pairs)
		}
	}
}

// Two connections to one file (the intake's and the workers') writing at
// once take the process's write lock in turn: every write commits, none
// meets SQLITE_BUSY, and each is counted once.
func TestSQLiteWriteLockBetweenConnections(t *testing.T) {
	ctx := context.Background()
	dsn := "file:" + filepath.Join(t.TempDir(), "w.db") + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(0)&_txlock=immediate"
	w := newWriteLock()
	var counts [2]SideCounts
	a, err := openSQLiteDB(dsn, w, &counts[0])
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := openSQLiteDB(dsn, w, &counts[1])
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.SetMaxOpenConns(1)
	b.SetMaxOpenConns(1)
	if _, err := a.ExecContext(ctx, `CREATE TABLE t (who TEXT, n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	const each = 200
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for who, db := range map[string]*sql.DB{"a": a, "b": b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range each {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					errs <- err
					return
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO t (who, n) VALUES ($1, $2)`, who, n); err != nil {
					_ = tx.Rollback()
					errs <- fmt.Errorf("%s %d: %w", who, n, err)
					return
				}
				if err := tx.Commit(); err != nil {
					errs <- fmt.Errorf("%s %d: commit: %w", who, n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	if err := a.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != 2*each {
		t.Fatalf("%d rows (%v), want %d", n, err, 2*each)
	}
	if got := counts[1].Commits.Load(); got != each {
		t.Errorf("connection b counted %d commits, want %d", got, each)
	}
}
