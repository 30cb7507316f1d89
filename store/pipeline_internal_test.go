package store

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohost-dev/cohost/internal/testdb"
)

// A pipelined transaction whose session ends midway (the server terminated
// it) fails, and the store goes on with a new connection. (A connection cut
// under it, which pgconn closes from a goroutine of its own, is the chaos
// tests' database outage: nothing more is written on it then, see usable.)
func TestPipelinedTransactionOnABrokenConnection(t *testing.T) {
	ctx := context.Background()
	url := testdb.Postgres(t)
	st, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close(ctx) })

	err = st.InTxPipelined(ctx, func(tx Tx) error {
		var pid int32
		if err := tx.t.queryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			return err
		}
		if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond) // the session is gone
		var one int
		return tx.t.queryRow(ctx, `SELECT 1`).Scan(&one)
	})
	if err == nil {
		t.Fatal("a transaction on a terminated session succeeded")
	}
	// The pool drops the broken connection; the next transaction works.
	if err := st.InTxPipelined(ctx, func(tx Tx) error {
		return tx.EnsureMeeting(ctx, "acct", "1", "host")
	}); err != nil {
		t.Fatalf("the next pipelined transaction: %v", err)
	}
}
