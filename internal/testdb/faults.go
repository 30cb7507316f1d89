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

// RefuseParticipants makes the database refuse, for good, every ledger row
// of a participant whose name starts with "refused" (SQLSTATE 22023 on
// PostgreSQL, SQLITE_TOOBIG on SQLite): a permanent refusal met by a worker
// after the event was acknowledged. Rows without that name (the ledger's
// own record of the failure) pass.
func RefuseParticipants(tb testing.TB, engine, url string) {
	tb.Helper()
	switch engine {
	case "sqlite":
		execSQLite(tb, url,
			`CREATE TRIGGER refuse_insert BEFORE INSERT ON participants
				WHEN NEW.name LIKE 'refused%' BEGIN SELECT zeroblob(2000000000); END`,
			`CREATE TRIGGER refuse_update BEFORE UPDATE ON participants
				WHEN NEW.name LIKE 'refused%' BEGIN SELECT zeroblob(2000000000); END`)
	case "postgres":
		execPostgres(tb, url,
			`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
				IF NEW.name LIKE 'refused%' THEN RAISE EXCEPTION 'refused' USING ERRCODE = '22023'; END IF;
				RETURN NEW; END $$`,
			`CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON participants FOR EACH ROW EXECUTE FUNCTION refuse()`)
	default:
		tb.Fatalf("testdb: unknown engine %q", engine)
	}
}

// CutConnectionOnce makes the first ledger row of a participant written to
// the PostgreSQL database at url terminate the connection that writes it,
// mid-transaction, as a database restart or a failover would; later writes
// pass.
func CutConnectionOnce(tb testing.TB, url string) {
	tb.Helper()
	execPostgres(tb, url,
		`CREATE SEQUENCE cut_once`,
		`CREATE FUNCTION cut_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
			IF nextval('cut_once') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
			RETURN NEW; END $$`,
		`CREATE TRIGGER cut_once BEFORE INSERT ON participants FOR EACH ROW EXECUTE FUNCTION cut_once()`)
}

// Exec runs statements on the database at url from a connection of the
// test's own (to corrupt a row cohost wrote, say).
func Exec(tb testing.TB, engine, url string, statements ...string) {
	tb.Helper()
	switch engine {
	case "sqlite":
		execSQLite(tb, url, statements...)
	case "postgres":
		execPostgres(tb, url, statements...)
	default:
		tb.Fatalf("testdb: unknown engine %q", engine)
	}
}

func execSQLite(tb testing.TB, url string, statements ...string) {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(url, "sqlite://")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	for _, q := range statements {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			tb.Fatalf("testdb: %s: %v", q, err)
		}
	}
}

func execPostgres(tb testing.TB, url string, statements ...string) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range statements {
		if _, err := conn.Exec(ctx, q); err != nil {
			tb.Fatalf("testdb: %s: %v", q, err)
		}
	}
}
