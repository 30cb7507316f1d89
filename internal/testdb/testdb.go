// Package testdb gives tests a fresh database on each engine: a temporary
// SQLite file, and a new PostgreSQL database created on the server named by
// COHOST_TEST_DATABASE_URL and dropped when the test ends.
//
// Without COHOST_TEST_DATABASE_URL, or when the server it names cannot be
// reached, the PostgreSQL cases are skipped, unless COHOST_REQUIRE_POSTGRES=1
// (set by .ci/run), which turns the skip into a failure so CI cannot pass
// without them. The Makefile always sets the URL, so `make test` on a machine
// without PostgreSQL skips those cases and passes.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Engines lists the engine names in the order tests run them.
var Engines = []string{"sqlite", "postgres"}

// URL returns a fresh database URL for the engine, or skips the test.
func URL(tb testing.TB, engine string) string {
	tb.Helper()
	switch engine {
	case "sqlite":
		return "sqlite://" + filepath.Join(tb.TempDir(), "cohost.db")
	case "postgres":
		return Postgres(tb)
	}
	tb.Fatalf("testdb: unknown engine %q", engine)
	return ""
}

// Postgres creates an empty database and returns its URL.
func Postgres(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("COHOST_TEST_DATABASE_URL")
	skip, fail := decide(base, os.Getenv("COHOST_REQUIRE_POSTGRES") == "1", reachable)
	if fail != "" {
		tb.Fatal(fail)
	}
	if skip != "" {
		tb.Skip(skip)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("testdb: connect to COHOST_TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "cohost_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("testdb: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Logf("testdb: drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Logf("testdb: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("testdb: COHOST_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// PostgresSkipReason says why the PostgreSQL cases will skip, or "" when
// they run (or fail under COHOST_REQUIRE_POSTGRES=1): for a TestMain that
// would otherwise prepare for them in vain.
func PostgresSkipReason() string {
	skip, _ := decide(os.Getenv("COHOST_TEST_DATABASE_URL"), os.Getenv("COHOST_REQUIRE_POSTGRES") == "1", reachable)
	return skip
}

// decide says whether a PostgreSQL case skips or fails before it starts:
// skip when the server is not configured or not reachable, fail instead
// when it is required. reach is called only when base is set.
func decide(base string, require bool, reach func(string) error) (skip, fail string) {
	why := ""
	if base == "" {
		why = "COHOST_TEST_DATABASE_URL is not set"
	} else if err := reach(base); err != nil {
		why = "PostgreSQL at COHOST_TEST_DATABASE_URL is not reachable (" + err.Error() + ")"
	}
	switch {
	case why == "":
		return "", ""
	case require:
		return "", "testdb: COHOST_REQUIRE_POSTGRES=1 but " + why
	}
	return "testdb: " + why + "; skipping the PostgreSQL case (COHOST_REQUIRE_POSTGRES=1 makes this a failure)", ""
}

// reachability caches, per URL, whether the server answered: an
// unreachable one is tried once per test binary, not once per test.
var reachability struct {
	mu   sync.Mutex
	errs map[string]error
}

// reachable connects once to the server of base. Its error names the host,
// never the URL (which may carry a password).
func reachable(base string) error {
	reachability.mu.Lock()
	defer reachability.mu.Unlock()
	if err, ok := reachability.errs[base]; ok {
		return err
	}
	if reachability.errs == nil {
		reachability.errs = map[string]error{}
	}
	err := func() error {
		cfg, err := pgx.ParseConfig(base)
		if err != nil {
			return errors.New("not a valid PostgreSQL URL")
		}
		cfg.ConnectTimeout = 5 * time.Second
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return fmt.Errorf("cannot connect to %s:%d", cfg.Host, cfg.Port)
		}
		return conn.Close(ctx)
	}()
	reachability.errs[base] = err
	return err
}
