package engine

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// AcksFirst is worker middleware that lets Zoom's acks go first: while
// webhooks wait for the intake (a burst the committers have not caught up
// with), a job about to start waits too, a millisecond at a time and at
// most maxAckWait. Workers and acks share the same cores and the same
// database; a backlog of jobs can wait seconds, Zoom waits 3 s for an ack
// and then counts a failure. The wait is bounded so that under load that
// never lets up the workers still progress.
type AcksFirst struct {
	river.MiddlewareDefaults
	intake *Intake
}

var _ rivertype.WorkerMiddleware = (*AcksFirst)(nil)

// NewAcksFirst returns the middleware for the workers of the process whose
// intake is i.
func NewAcksFirst(i *Intake) *AcksFirst { return &AcksFirst{intake: i} }

// maxAckWait bounds how long one job waits for the intake's backlog.
const maxAckWait = 20 * time.Millisecond

func (a *AcksFirst) Work(ctx context.Context, _ *rivertype.JobRow, doInner func(context.Context) error) error {
	if a.intake.Backlog() > 0 {
		deadline := time.Now().Add(maxAckWait)
		t := time.NewTicker(time.Millisecond)
		for a.intake.Backlog() > 0 && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		t.Stop()
	}
	return doInner(ctx)
}
