package store

import (
	"context"
	"testing"
)

// OpenForTest opens url with the migrations up to version upTo only: the
// schema an older build left, for tests of what a later migration does.
func OpenForTest(t *testing.T, url string, upTo int) *Store {
	t.Helper()
	st, err := Open(context.Background(), url, Options{migrateUpTo: upTo})
	if err != nil {
		t.Fatal(err)
	}
	return st
}
