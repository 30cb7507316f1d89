package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/internal/testdb"
	sqlite3 "modernc.org/sqlite/lib"
)

// A database cohostd cannot open is explained in the operator's words: the
// address, user, database or file it tried, and what to do, naming
// COHOST_DATABASE_URL; never the password, never the driver's raw dump.
func TestOpenErrorsInTheOperatorsWords(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 20)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, url string
		want      []string
		postgres  bool
	}{
		{"PostgreSQL unreachable", "postgres://cohost:hunter2-secret@127.0.0.1:1/cohost?sslmode=disable",
			[]string{"127.0.0.1:1", "connection refused", "COHOST_DATABASE_URL"}, false},
		{"no such host", "postgres://cohost:hunter2-secret@no-such-host.invalid:5432/cohost?sslmode=disable",
			[]string{"no-such-host.invalid:5432", "cannot find the host", "COHOST_DATABASE_URL"}, false},
		{"SQLite folder missing", "sqlite://" + filepath.Join(dir, "missing", "cohost.db"),
			[]string{filepath.Join(dir, "missing"), "does not exist", "COHOST_DATABASE_URL"}, false},
		{"SQLite path is a folder", "sqlite://" + dir, []string{dir + " is a folder", "COHOST_DATABASE_URL"}, false},
		{"SQLite file is not a database", "sqlite://" + garbage, []string{garbage, "not a SQLite database", "COHOST_DATABASE_URL"}, false},
		{"PostgreSQL refuses the user", "", []string{`refused user "nobody_cohost_test"`, "pg_hba.conf", "COHOST_DATABASE_URL"}, true},
		{"PostgreSQL database missing", "", []string{`"does_not_exist_cohost_test" does not exist`, "createdb", "COHOST_DATABASE_URL"}, true},
	}
	var pgURL string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			if tt.postgres {
				if pgURL == "" {
					pgURL = testdb.URL(t, "postgres")
				}
				u := strings.Replace(pgURL, "://postgres@", "://nobody_cohost_test:hunter2-secret@", 1)
				if tt.name == "PostgreSQL database missing" {
					u = pgURL[:strings.LastIndex(pgURL, "/")+1] + "does_not_exist_cohost_test?sslmode=disable"
					u = strings.Replace(u, "://postgres@", "://postgres:hunter2-secret@", 1)
				}
				url = u
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			st, err := Open(ctx, url, Options{})
			if err == nil {
				st.Close()
				t.Fatalf("Open(%s) worked", url)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error does not say %q: %v", want, err)
				}
			}
			for _, leak := range []string{"hunter2-secret", "SQLSTATE", "failed to connect to `", "(14)", "(26)"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("the error says %q: %v", leak, err)
				}
			}
		})
	}
}

type fakeSQLiteError int

func (e fakeSQLiteError) Code() int     { return int(e) }
func (e fakeSQLiteError) Error() string { return fmt.Sprintf("sqlite error (%d)", int(e)) }

// The SQLite refusals a root test process cannot provoke (a read-only file,
// a full disk) are translated as well.
func TestSQLiteOpenProblems(t *testing.T) {
	for code, want := range map[int]string{
		sqlite3.SQLITE_READONLY:            "not writable by cohostd",
		sqlite3.SQLITE_READONLY | (1 << 8): "not writable by cohostd", // an extended code
		sqlite3.SQLITE_FULL:                "is full",
		sqlite3.SQLITE_CORRUPT:             "damaged",
		sqlite3.SQLITE_IOERR:               "I/O error",
		sqlite3.SQLITE_PERM:                "not writable by cohostd",
	} {
		err := sqliteOpenProblem("/data/cohost.db", fmt.Errorf("store: migrations: %w", fakeSQLiteError(code)))
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "/data/cohost.db") {
			t.Errorf("code %d: %v, want it to say %q", code, err, want)
		}
		var ce sqliteCoder
		if !errors.As(err, &ce) || ce.Code() != code {
			t.Errorf("code %d: the cause is lost", code)
		}
	}
	plain := errors.New("store: river client: boom")
	if err := sqliteOpenProblem("/data/cohost.db", plain); err != plain {
		t.Errorf("an error not of SQLite is rewritten: %v", err)
	}
}
