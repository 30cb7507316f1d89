package harness_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/harness"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/zoomsim"
)

// After app_deauthorized nothing of the account is left: no row of any
// cohost or River table mentions its people's emails or names its account,
// and on SQLite not even the bytes of the database file or its write-ahead
// log hold the emails (secure_delete, then a checkpoint that truncates the
// log).
func TestDeauthorizationLeavesNothing(t *testing.T) {
	for _, eng := range testdb.Engines {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			url := testdb.URL(t, eng)
			h, err := harness.Start(ctx, harness.Options{DatabaseURL: url, Granters: "agent,alternative-hosts"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { h.Close(context.Background()) })
			sim := h.Sim.Sim
			secrets := []string{h.Host.Email}
			m, err := sim.CreateMeeting(zoomsim.MeetingSpec{HostID: h.Host.ID, Topic: "privacy"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sim.StartMeeting(m.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := sim.Join(m.ID, zoomsim.JoinSpec{ZoomUserID: h.Host.ID}); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				email := fmt.Sprintf("erase-me-%d@privacy.example.com", i)
				u, err := sim.CreateUser(h.AccountID, zoomsim.UserSpec{Email: email, FirstName: "Erase", LastName: fmt.Sprint(i), Type: 2})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := sim.Join(m.ID, zoomsim.JoinSpec{ZoomUserID: u.ID}); err != nil {
					t.Fatal(err)
				}
				secrets = append(secrets, email)
			}
			waitLedger(t, h, m.ID, "3 confirmed", func(ps []grant.Participant) bool { return countState(ps, grant.StateConfirmed) == 3 })
			if err := sim.EndMeeting(m.ID); err != nil {
				t.Fatal(err)
			}
			waitIdle(t, h)
			if eng == "sqlite" {
				// The emails are really in the files before: the search works.
				if found := searchSQLiteFiles(t, url, secrets); len(found) == 0 {
					t.Fatal("the emails are not in the SQLite files even before the deauthorization; the search proves nothing")
				}
			}

			if err := sim.Deauthorize(h.AccountID); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				ps, err := h.Cohost.Store.ListParticipants(ctx, h.AccountID, fmt.Sprint(m.ID))
				if err == nil && len(ps) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the account's ledger was not deleted: %d rows, %v", len(ps), err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			waitIdle(t, h)

			switch eng {
			case "sqlite":
				// The erasure's transaction deletes its own job with the
				// account's others, so the queue is idle as soon as it
				// commits; the checkpoint that clears the write-ahead log
				// follows (and, after a crash in between, runs when cohostd
				// opens the file again).
				for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
					found := searchSQLiteFiles(t, url, secrets)
					if len(found) == 0 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("after app_deauthorized the SQLite files still hold: %s", strings.Join(found, "; "))
					}
				}
			case "postgres":
				if found := searchPostgres(t, url, append(secrets, h.AccountID)); len(found) > 0 {
					t.Fatalf("after app_deauthorized these rows still mention the account: %s", strings.Join(found, "; "))
				}
			}
		})
	}
}

// waitIdle waits until no job is due or running.
func waitIdle(t *testing.T, h *harness.Harness) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		jobs, err := h.Cohost.Store.JobCounts(context.Background())
		if err == nil && jobs["available"]+jobs["running"]+jobs["retryable"]+jobs["pending"] == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue did not drain: %v %v", jobs, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// searchSQLiteFiles returns which needles occur in the database file or its
// write-ahead log, read while cohostd still runs (closing would checkpoint
// and remove the log, hiding what it held).
func searchSQLiteFiles(t *testing.T, url string, needles []string) []string {
	t.Helper()
	path := strings.TrimPrefix(url, "sqlite://")
	var found []string
	for _, file := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(file)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			t.Fatal(err)
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				found = append(found, fmt.Sprintf("%s in %s", n, file))
			}
		}
	}
	return found
}

// searchPostgres returns the tables with a row whose text form contains one
// of the needles (bytea columns appear in hex in a row's text form, so their
// hex is searched too).
func searchPostgres(t *testing.T, url string, needles []string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	var found []string
	for _, table := range tables {
		for _, n := range needles {
			var count int
			q := `SELECT count(*) FROM ` + pgx.Identifier{table}.Sanitize() + ` t WHERE strpos(t::text, $1) > 0 OR strpos(t::text, $2) > 0`
			if err := conn.QueryRow(ctx, q, n, hex.EncodeToString([]byte(n))).Scan(&count); err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			if count > 0 {
				found = append(found, fmt.Sprintf("%d rows of %s mention %s", count, table, n))
			}
		}
	}
	return found
}
