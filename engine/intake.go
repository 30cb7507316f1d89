// Package engine turns stored Zoom events into co-host grants. It owns the
// River job kinds and their workers, and the intake that stores an event and
// enqueues its job in one transaction.
package engine

import (
	"context"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
)

// ProcessEventArgs is the job that processes one stored webhook event.
type ProcessEventArgs struct {
	EventID string `json:"event_id"`
}

// Kind is River's name for the job.
func (ProcessEventArgs) Kind() string { return "process_event" }

// Intake stores verified events durably. The webhook handler answers Zoom
// only after Accept has returned without error.
type Intake struct {
	Store *store.Store
}

// Accept records the delivery and the event and enqueues its processing, all
// in one transaction. A delivery id or fact seen before makes it a duplicate:
// nothing is enqueued.
func (i *Intake) Accept(ctx context.Context, in grant.Inbound) (grant.IntakeResult, error) {
	in.ID = grant.NewID()
	var res grant.IntakeResult
	err := i.Store.InTx(ctx, func(tx store.Tx) error {
		res = grant.IntakeResult{}
		if in.DeliveryID != "" {
			fresh, err := tx.RecordDelivery(ctx, in.DeliveryID, in.ReceivedAt)
			if err != nil {
				return err
			}
			if !fresh {
				res.Duplicate = true
				return nil
			}
		}
		fresh, err := tx.RecordEvent(ctx, in)
		if err != nil {
			return err
		}
		if !fresh {
			res.Duplicate = true
			return nil
		}
		return tx.Enqueue(ctx, ProcessEventArgs{EventID: in.ID}, nil)
	})
	return res, err
}
