package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
)

type pingArgs struct{ N int }

func (pingArgs) Kind() string { return "ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	ran chan int
}

func (w *pingWorker) Work(_ context.Context, job *river.Job[pingArgs]) error {
	w.ran <- job.Args.N
	return nil
}

// On PostgreSQL the inserting client sends no NOTIFY inside the inserting
// transaction; the store announces new jobs after the commit instead. With
// the workers' poll an hour apart, a job enqueued after the workers started
// runs only if that announcement reaches them: this fails if River's
// producers stop listening where the announcement goes.
func TestJobsAreAnnouncedAfterTheCommit(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.URL(t, "postgres"), store.Options{
		Queue: store.QueueConfig{FetchPollInterval: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	w := &pingWorker{ran: make(chan int, 2)}
	ws := river.NewWorkers()
	river.AddWorker(ws, w)
	if err := st.StartWorkers(ctx, store.WorkerOptions{Workers: ws, MaxWorkers: 4}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Stop(context.Background(), 5*time.Second) })
	for n := range 2 {
		// The first job may be found by the workers' first fetch; the
		// second, enqueued once the first ran, only by the announcement.
		if err := st.InTx(ctx, func(tx store.Tx) error { return tx.Enqueue(ctx, pingArgs{N: n}, nil) }); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-w.ran:
			if got != n {
				t.Fatalf("job %d ran, want %d", got, n)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("job %d did not run: the announcement after its commit did not reach the workers (their poll is an hour apart)", n)
		}
	}
}
