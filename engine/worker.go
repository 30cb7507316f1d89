package engine

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/cohost-dev/cohost/store"
)

// EventWorker processes stored events. Until the grant engine lands it records
// what it would do, so intake and the queue can be proven end to end.
type EventWorker struct {
	river.WorkerDefaults[ProcessEventArgs]
	Store  *store.Store
	Logger *slog.Logger
	Now    func() time.Time
}

// Work processes one event.
func (w *EventWorker) Work(ctx context.Context, job *river.Job[ProcessEventArgs]) error {
	ev, err := w.Store.GetEvent(ctx, job.Args.EventID)
	if err != nil {
		return err
	}
	outcome := fmt.Sprintf("would handle %s for meeting %s participant %q", ev.Event, ev.MeetingUUID, ev.ParticipantKey)
	w.Logger.InfoContext(ctx, "event processed", "event", ev.Event, "event_id", ev.ID,
		"meeting_uuid", ev.MeetingUUID, "participant_key", ev.ParticipantKey, "outcome", outcome)
	return w.Store.MarkEventProcessed(ctx, ev.ID, w.Now(), outcome)
}

// RegisterWorkers returns the store.Options.Workers hook that registers every
// job kind's worker.
func RegisterWorkers(logger *slog.Logger) func(*store.Store, *river.Workers) {
	return func(st *store.Store, ws *river.Workers) {
		river.AddWorker(ws, &EventWorker{Store: st, Logger: logger, Now: time.Now})
	}
}
