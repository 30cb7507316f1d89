// Package chaos holds cohost's chaos tests (in its _test files): three real
// cohostd processes on one real PostgreSQL database, the Zoom simulator in
// the test process, a round-robin webhook proxy in front of the replicas, and
// faults injected during a storm of joins — kill -9 of replicas, Zoom 5xx and
// 429 bursts with forced token expiry, the co-host agent restarting, and
// PostgreSQL unreachable for a few seconds. Every scenario asserts that no
// eligible joiner is lost and none is granted twice.
//
// Run them with a PostgreSQL server (see docs/reliability.md):
//
//	COHOST_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run . ./chaos -v
package chaos
