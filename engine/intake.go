// Package engine turns stored Zoom events into co-host grants. It owns the
// River job kinds and their workers, and the intake that stores an event and
// enqueues its job in one transaction.
package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/riverqueue/river"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
)

// ErrIntakeClosed is returned by Accept after Close.
var ErrIntakeClosed = errors.New("engine: intake closed")

// Intake stores verified events durably. The webhook handler answers Zoom
// only after Accept has returned without error.
//
// Concurrent Accepts are group-committed: while one transaction commits, the
// events that arrive wait and then go into the next transaction together.
// Every caller still returns only after its own event is committed, but one
// disk flush serves many events, which is what lets a storm of joins be
// acknowledged inside Zoom's 3 s.
type Intake struct {
	st       *store.Store
	maxBatch int
	reqs     chan *intakeRequest
	stop     chan struct{}
	wg       sync.WaitGroup
	closed   sync.Once
	// commits counts transactions attempted, for the tests of isolation.
	commits atomic.Int64
}

type intakeRequest struct {
	in   grant.Inbound
	done chan intakeResult
}

type intakeResult struct {
	res grant.IntakeResult
	err error
}

// IntakeOptions tunes group commit.
type IntakeOptions struct {
	// Committers is how many transactions may be open at once: 1 for SQLite
	// (one writer), a few for PostgreSQL. Default: 1 on SQLite, 4 otherwise.
	Committers int
	// MaxBatch bounds the events in one transaction. Default 256.
	MaxBatch int
}

// NewIntake starts an intake over st. Close stops it.
func NewIntake(st *store.Store, o IntakeOptions) *Intake {
	if o.Committers == 0 {
		o.Committers = 4
		if st.Engine() == "sqlite" {
			o.Committers = 1
		}
	}
	if o.MaxBatch == 0 {
		o.MaxBatch = 256
	}
	i := &Intake{st: st, maxBatch: o.MaxBatch, reqs: make(chan *intakeRequest, o.MaxBatch*o.Committers), stop: make(chan struct{})}
	for range o.Committers {
		i.wg.Add(1)
		go i.commitLoop()
	}
	return i
}

// Backlog is how many Accepts wait for a committer: more webhooks have
// arrived than the transactions under way hold.
func (i *Intake) Backlog() int { return len(i.reqs) }

// Close stops the committers after the transactions in flight. Accept calls
// still waiting get ErrIntakeClosed (their senders answer 503; Zoom retries).
func (i *Intake) Close() {
	i.closed.Do(func() { close(i.stop) })
	i.wg.Wait()
	for {
		select {
		case r := <-i.reqs:
			r.done <- intakeResult{err: ErrIntakeClosed}
		default:
			return
		}
	}
}

// Accept records the delivery and the event and enqueues its processing, all
// in one transaction. A delivery id or fact seen before makes it a duplicate:
// nothing is enqueued.
func (i *Intake) Accept(ctx context.Context, in grant.Inbound) (grant.IntakeResult, error) {
	in.ID = grant.NewID()
	r := &intakeRequest{in: in, done: make(chan intakeResult, 1)}
	select {
	case i.reqs <- r:
	case <-i.stop:
		return grant.IntakeResult{}, ErrIntakeClosed
	case <-ctx.Done():
		return grant.IntakeResult{}, ctx.Err()
	}
	select {
	case res := <-r.done:
		return res.res, res.err
	case <-ctx.Done():
		// The event may still commit; Zoom's retry will then be a duplicate.
		return grant.IntakeResult{}, ctx.Err()
	}
}

func (i *Intake) commitLoop() {
	defer i.wg.Done()
	for {
		var first *intakeRequest
		select {
		case first = <-i.reqs:
		case <-i.stop:
			return
		}
		batch := []*intakeRequest{first}
	fill:
		for len(batch) < i.maxBatch {
			select {
			case r := <-i.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		i.commitIsolating(batch)
	}
}

// commitIsolating commits a batch and answers every caller in it. When the
// database refuses a value for good (store.ErrInvalidData), the batch is
// split in halves and each half committed on its own, down to the one event
// that is refused: k poison events in a batch of n cost about 2k·log2(n)
// small transactions, well inside the intake time-out, and never cost a
// neighbour its ack. A transient error (the database unreachable, a
// time-out) answers the whole batch with it at once: retrying would only
// run past the callers' time-out, and Zoom retries a 503.
func (i *Intake) commitIsolating(batch []*intakeRequest) {
	results, err := i.commit(batch)
	if err != nil && len(batch) > 1 && errors.Is(err, store.ErrInvalidData) {
		mid := len(batch) / 2
		i.commitIsolating(batch[:mid])
		i.commitIsolating(batch[mid:])
		return
	}
	for k, r := range batch {
		r.done <- intakeResult{res: results[k], err: err}
	}
}

// processEventArgs carries the event in its job.
func processEventArgs(in grant.Inbound) ProcessEventArgs {
	return ProcessEventArgs{EventID: in.ID, Event: in.Event, Body: in.Body, ReceivedAtMS: in.ReceivedAt.UnixMilli()}
}

// commit stores a batch in one transaction.
func (i *Intake) commit(batch []*intakeRequest) ([]grant.IntakeResult, error) {
	// The transaction is not tied to any one caller's context: callers that
	// gave up do not cancel their neighbours' writes.
	ctx := context.Background()
	i.commits.Add(1)
	results := make([]grant.IntakeResult, len(batch))
	err := i.st.InIntakeTx(ctx, func(tx store.Tx) error {
		for k := range results {
			results[k] = grant.IntakeResult{}
		}
		// One statement for the delivery ids, one for the events, one COPY
		// for the jobs: a batch costs three round trips, not three per event.
		var ids []string
		for _, r := range batch {
			if r.in.DeliveryID != "" {
				ids = append(ids, r.in.DeliveryID)
			}
		}
		freshIDs, err := tx.RecordDeliveries(ctx, ids, batch[0].in.ReceivedAt)
		if err != nil {
			return err
		}
		var events []grant.Inbound
		var idx []int
		for k, r := range batch {
			if id := r.in.DeliveryID; id != "" {
				if !freshIDs[id] {
					results[k].Duplicate = true
					continue
				}
				delete(freshIDs, id) // the same id twice in one batch is new once
			}
			events = append(events, r.in)
			idx = append(idx, k)
		}
		freshFacts, err := tx.RecordEvents(ctx, events)
		if err != nil {
			return err
		}
		jobs := make([]river.InsertManyParams, 0, len(events))
		for n, in := range events {
			key := in.FactKey()
			if !freshFacts[key] {
				results[idx[n]].Duplicate = true
				continue
			}
			delete(freshFacts, key)
			results[idx[n]].EventID = in.ID
			jobs = append(jobs, river.InsertManyParams{Args: processEventArgs(in)})
		}
		return tx.EnqueueMany(ctx, jobs)
	})
	return results, err
}
