package store

import (
	"context"
	"slices"
	"testing"

	"github.com/cohost-dev/cohost/internal/testdb"
)

// Migration 0012 drops indexes every join wrote and nothing read; River's
// reindexer is told to leave the two of River's it drops and still rebuilds
// every other, which exist (a River upgrade that renames one fails here).
func TestIndexesNothingReads(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			st, err := Open(ctx, testdb.URL(t, engine), Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(st.Close)
			query := `SELECT name FROM sqlite_master WHERE type = 'index'`
			if engine == "postgres" {
				query = `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()`
			}
			r, err := st.eng.db().query(ctx, query)
			if err != nil {
				t.Fatal(err)
			}
			var have []string
			for r.Next() {
				var name string
				if err := r.Scan(&name); err != nil {
					t.Fatal(err)
				}
				have = append(have, name)
			}
			r.Close()
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			dropped := []string{"webhook_events_meeting"}
			if engine == "postgres" {
				dropped = append(dropped, "river_job_args_index", "river_job_metadata_index")
				for _, name := range reindexedIndexes() {
					if !slices.Contains(have, name) {
						t.Errorf("River's reindexer is told to rebuild %s, which does not exist", name)
					}
				}
			}
			for _, name := range dropped {
				if slices.Contains(have, name) {
					t.Errorf("index %s exists; migration 0012 drops it", name)
				}
				if slices.Contains(reindexedIndexes(), name) {
					t.Errorf("River's reindexer is told to rebuild %s", name)
				}
			}
		})
	}
}
