package store

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohost-dev/cohost/internal/testdb"
)

// Half the workers waiting make the barrier commit without waiting out its
// gathering time (here an hour): a single waiter is not released, two of
// four workers are.
func TestFlushBarrierCommitsWhenHalfTheWorkersWait(t *testing.T) {
	cfg, err := pgx.ParseConfig(testdb.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	b := newFlushBarrier(cfg, slog.New(slog.DiscardHandler))
	b.gather = time.Hour
	b.setBatch(4)
	if err := b.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.close)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { errs[i] = b.wait(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("waiter %d of two (half of four workers): %v, want released by the barrier's commit", i, err)
		}
	}

	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := b.wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a lone waiter: %v, want it still waiting when its context ends", err)
	}
}
