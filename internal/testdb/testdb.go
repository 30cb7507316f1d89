// Package testdb gives tests a fresh database on each engine: a temporary
// SQLite file, and a new PostgreSQL database created on the server named by
// COHOST_TEST_DATABASE_URL and dropped when the test ends.
//
// Without COHOST_TEST_DATABASE_URL the PostgreSQL cases are skipped, unless
// COHOST_REQUIRE_POSTGRES=1 (set by .ci/run), which turns the skip into a
// failure so CI cannot pass without them.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
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
	if base == "" {
		if os.Getenv("COHOST_REQUIRE_POSTGRES") == "1" {
			tb.Fatal("testdb: COHOST_REQUIRE_POSTGRES=1 but COHOST_TEST_DATABASE_URL is not set")
		}
		tb.Skip("testdb: COHOST_TEST_DATABASE_URL not set; skipping the PostgreSQL case")
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
