package store

import (
	"strings"
	"testing"
	"time"
)

// River deletes finished jobs (they name accounts, meetings and
// participants) after periods bounded by the ledger's retention.
func TestRiverJobRetention(t *testing.T) {
	cfg := riverConfig(Options{Retention: Retention{Ledger: 48 * time.Hour}.withDefaults()})
	if cfg.CompletedJobRetentionPeriod != 24*time.Hour || cfg.CancelledJobRetentionPeriod != 24*time.Hour ||
		cfg.DiscardedJobRetentionPeriod != 48*time.Hour {
		t.Fatalf("retention completed %s, cancelled %s, discarded %s", cfg.CompletedJobRetentionPeriod,
			cfg.CancelledJobRetentionPeriod, cfg.DiscardedJobRetentionPeriod)
	}
	cfg = riverConfig(Options{Retention: Retention{}.withDefaults()})
	if cfg.DiscardedJobRetentionPeriod != 7*24*time.Hour {
		t.Fatalf("discarded jobs kept %s by default, want 7 days", cfg.DiscardedJobRetentionPeriod)
	}
}

func TestMigrationVersionsAreUnique(t *testing.T) {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, e := range entries {
		v := strings.SplitN(e.Name(), "_", 2)[0]
		if other, ok := seen[v]; ok {
			t.Fatalf("migrations %s and %s share version %s", other, e.Name(), v)
		}
		seen[v] = e.Name()
	}
}
