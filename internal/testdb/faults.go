package testdb

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// PoisonEvents makes the database itself refuse, for good, every stored
// event whose participant key starts with "poison": the kind of refusal no
// validation in cohost foresees (SQLSTATE 22023 on PostgreSQL, SQLITE_TOOBIG
// on SQLite). url is a database cohost has migrated.
func PoisonEvents(tb testing.TB, engine, url string) {
	tb.Helper()
	ctx := context.Background()
	switch engine {
	case "sqlite":
		db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(url, "sqlite://"))
		if err != nil {
			tb.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, `CREATE TRIGGER poison BEFORE INSERT ON webhook_events
			WHEN NEW.participant_key LIKE 'poison%' BEGIN SELECT zeroblob(2000000000); END`); err != nil {
			tb.Fatal(err)
		}
	case "postgres":
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			tb.Fatal(err)
		}
		defer conn.Close(ctx)
		for _, q := range []string{
			`CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
				IF NEW.participant_key LIKE 'poison%' THEN RAISE EXCEPTION 'poison' USING ERRCODE = '22023'; END IF;
				RETURN NEW; END $$`,
			`CREATE TRIGGER poison BEFORE INSERT ON webhook_events FOR EACH ROW EXECUTE FUNCTION poison()`,
		} {
			if _, err := conn.Exec(ctx, q); err != nil {
				tb.Fatal(err)
			}
		}
	default:
		tb.Fatalf("testdb: unknown engine %q", engine)
	}
}

// LockIntake holds a write lock on the intake's tables from another
// connection until the returned func is called (at the latest when the test
// ends), so webhooks sent meanwhile queue up and go into the same
// group-commit batches.
func LockIntake(tb testing.TB, engine, url string) (release func()) {
	tb.Helper()
	ctx := context.Background()
	var once sync.Once
	switch engine {
	case "sqlite":
		db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(url, "sqlite://")+"?_pragma=busy_timeout(10000)")
		if err != nil {
			tb.Fatal(err)
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			tb.Fatal(err)
		}
		release = func() {
			once.Do(func() {
				_, _ = conn.ExecContext(ctx, "ROLLBACK")
				_ = conn.Close()
				_ = db.Close()
			})
		}
	case "postgres":
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			tb.Fatal(err)
		}
		tx, err := conn.Begin(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "LOCK TABLE webhook_deliveries, webhook_events IN EXCLUSIVE MODE"); err != nil {
			tb.Fatal(err)
		}
		release = func() {
			once.Do(func() {
				_ = tx.Rollback(ctx)
				_ = conn.Close(ctx)
			})
		}
	default:
		tb.Fatalf("testdb: unknown engine %q", engine)
	}
	tb.Cleanup(release)
	return release
}
