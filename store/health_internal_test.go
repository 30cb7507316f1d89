package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohost-dev/cohost/internal/testdb"
)

// Readiness must notice a database that answers but cannot write. Tests
// cannot fill a disk here, so they make the database refuse writes the way
// a full or read-only one does, on the connection the intake uses.
func TestCheckWritable(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite read-only", func(t *testing.T) {
		st, err := Open(ctx, testdb.URL(t, "sqlite"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		if err := st.CheckWritable(ctx, time.Now()); err != nil {
			t.Fatalf("a writable database: %v", err)
		}
		if err := st.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		eng := st.eng.(*sqliteEngine)
		// The intake's pool holds one connection for ever: the pragma sticks.
		if _, err := eng.intakeDB.ExecContext(ctx, "PRAGMA query_only = ON"); err != nil {
			t.Fatal(err)
		}
		if err := st.Ping(ctx); err != nil {
			t.Fatalf("ping fails too, the test proves nothing: %v", err)
		}
		err = st.CheckWritable(ctx, time.Now())
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "write") {
			t.Fatalf("a database that cannot write: CheckWritable = %v, want ErrUnavailable", err)
		}
	})
	t.Run("sqlite disk nearly full", func(t *testing.T) {
		st, err := Open(ctx, testdb.URL(t, "sqlite"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		if _, ok := freeBytes(t.TempDir()); !ok {
			t.Skip("free space is not measurable on this platform")
		}
		old := minFreeBytes
		t.Cleanup(func() { minFreeBytes = old })
		minFreeBytes = 1 << 62 // more than any disk has: as good as full
		err = st.CheckWritable(ctx, time.Now())
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "free") {
			t.Fatalf("CheckWritable = %v, want a free-space refusal", err)
		}
	})
	t.Run("postgres read-only", func(t *testing.T) {
		url := testdb.Postgres(t)
		st, err := Open(ctx, url, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		if err := st.CheckWritable(ctx, time.Now()); err != nil {
			t.Fatalf("a writable database: %v", err)
		}
		// What a standby after a failover looks like to a new session.
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{conn.Config().Database}.Sanitize()+" SET default_transaction_read_only = on"); err != nil {
			t.Fatal(err)
		}
		st.eng.(*postgresEngine).intakePool.Reset()
		if err := st.Ping(ctx); err != nil {
			t.Fatalf("ping fails too, the test proves nothing: %v", err)
		}
		if err := st.CheckWritable(ctx, time.Now()); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("a read-only database: CheckWritable = %v, want ErrUnavailable", err)
		}
	})
}
