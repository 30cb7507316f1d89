package testdb

import (
	"errors"
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	up := func(string) error { return nil }
	down := func(string) error { return errors.New("cannot connect to 127.0.0.1:1") }
	for _, tt := range []struct {
		name             string
		base             string
		require          bool
		reach            func(string) error
		wantSkip, wantOK bool
	}{
		{"no URL", "", false, up, true, false},
		{"no URL, required", "", true, up, false, false},
		{"unreachable", "postgres://x@127.0.0.1:1/test", false, down, true, false},
		{"unreachable, required", "postgres://x@127.0.0.1:1/test", true, down, false, false},
		{"reachable", "postgres://x@127.0.0.1:5432/test", false, up, false, true},
		{"reachable, required", "postgres://x@127.0.0.1:5432/test", true, up, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			skip, fail := decide(tt.base, tt.require, tt.reach)
			if (skip != "") != tt.wantSkip || (fail == "" && skip == "") != tt.wantOK || (skip != "" && fail != "") {
				t.Fatalf("decide() = skip %q, fail %q", skip, fail)
			}
			if tt.require && !tt.wantOK && !strings.Contains(fail, "COHOST_REQUIRE_POSTGRES=1") {
				t.Fatalf("the failure does not say why: %q", fail)
			}
		})
	}
}

// `make test` always sets COHOST_TEST_DATABASE_URL: on a machine without
// PostgreSQL the case must skip, not fail.
func TestPostgresSkipsWhenUnreachable(t *testing.T) {
	t.Setenv("COHOST_TEST_DATABASE_URL", "postgres://postgres:hunter2@127.0.0.1:1/test?sslmode=disable")
	t.Setenv("COHOST_REQUIRE_POSTGRES", "")
	var sub *testing.T
	t.Run("case", func(t *testing.T) {
		sub = t
		Postgres(t)
		t.Error("Postgres returned for an unreachable server")
	})
	if !sub.Skipped() {
		t.Fatal("the PostgreSQL case did not skip")
	}
	if r := PostgresSkipReason(); r == "" || strings.Contains(r, "hunter2") {
		t.Fatalf("PostgresSkipReason() = %q: want a reason without the password", r)
	}
}
