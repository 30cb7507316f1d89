package store

import (
	"testing"
	"time"
)

// River deletes finished jobs (they name accounts, meetings and
// participants) after periods bounded by the ledger's retention.
func TestRiverJobRetention(t *testing.T) {
	cfg := riverConfig(nil, QueueConfig{}, Retention{Ledger: 48 * time.Hour}.withDefaults())
	if cfg.CompletedJobRetentionPeriod != 24*time.Hour || cfg.CancelledJobRetentionPeriod != 24*time.Hour ||
		cfg.DiscardedJobRetentionPeriod != 48*time.Hour {
		t.Fatalf("retention completed %s, cancelled %s, discarded %s", cfg.CompletedJobRetentionPeriod,
			cfg.CancelledJobRetentionPeriod, cfg.DiscardedJobRetentionPeriod)
	}
	cfg = riverConfig(nil, QueueConfig{}, Retention{}.withDefaults())
	if cfg.DiscardedJobRetentionPeriod != 7*24*time.Hour {
		t.Fatalf("discarded jobs kept %s by default, want 7 days", cfg.DiscardedJobRetentionPeriod)
	}
}

// One version is one migration: per-engine files share their common file's
// name, and no two names share a number (migrationScripts refuses them).
func TestMigrationVersionsAreUnique(t *testing.T) {
	for _, d := range []dialect{dialectSQLite, dialectPostgres} {
		vs, err := migrationScripts(d)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(vs); i++ {
			if vs[i].version <= vs[i-1].version {
				t.Fatalf("%s: migrations out of order or repeated: %s after %s", d.name, vs[i].name, vs[i-1].name)
			}
		}
	}
}
