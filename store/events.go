package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cohost-dev/cohost/grant"
)

// StoredEvent is an event as read back by a worker.
type StoredEvent struct {
	grant.Inbound
	ProcessedAt time.Time
	Outcome     string
}

// GetEvent reads a stored event by id.
func (s *Store) GetEvent(ctx context.Context, id string) (*StoredEvent, error) {
	var (
		e                                StoredEvent
		eventTS, receivedAt, processedAt int64
	)
	err := s.eng.db().queryRow(ctx, `SELECT id, delivery_id, event, event_ts, account_id, meeting_id, meeting_uuid,
		participant_key, body, received_at, processed_at, outcome FROM webhook_events WHERE id = $1`, id).
		Scan(&e.ID, &e.DeliveryID, &e.Event, &eventTS, &e.AccountID, &e.MeetingID, &e.MeetingUUID,
			&e.ParticipantKey, &e.Body, &receivedAt, &processedAt, &e.Outcome)
	if err != nil {
		return nil, fmt.Errorf("store: get event %s: %w", id, err)
	}
	e.EventTime, e.ReceivedAt, e.ProcessedAt = fromMillis(eventTS), fromMillis(receivedAt), fromMillis(processedAt)
	return &e, nil
}

// MarkEventProcessed records when and how an event was processed.
func (s *Store) MarkEventProcessed(ctx context.Context, id string, at time.Time, outcome string) error {
	if _, err := s.eng.db().exec(ctx, `UPDATE webhook_events SET processed_at = $1, outcome = $2 WHERE id = $3`,
		millis(at), outcome, id); err != nil {
		return fmt.Errorf("store: mark event %s processed: %w", id, err)
	}
	return nil
}

// GivenUpPrefixes begin the outcome of an event the engine gave up on (its
// job failed for good): such an event counts as not processed yet, so that
// retrying its job (River UI), once the cause is fixed, applies it.
var GivenUpPrefixes = []string{"failed: ", "undecodable: "}

// GivenUp reports whether outcome is one of an event the engine gave up on.
func GivenUp(outcome string) bool {
	for _, p := range GivenUpPrefixes {
		if strings.HasPrefix(outcome, p) {
			return true
		}
	}
	return false
}

// openEvent is the SQL condition of an event still to apply: never
// processed, or given up on (GivenUp).
var openEvent = func() string {
	c := "(processed_at = 0"
	for _, p := range GivenUpPrefixes {
		c += " OR outcome LIKE '" + p + "%'" // the prefixes hold no quote, % or _
	}
	return c + ")"
}()

// MarkEventProcessed records, in the transaction that applied the event,
// when and how it was processed. It fails with ErrEventProcessed when the
// event was already marked (an earlier attempt committed before River
// recorded the job's completion, or the event's account was erased): the
// caller then rolls back, so a replay changes nothing. An event given up on
// (GivenUp) is marked again: its job was retried to apply it. Held in a
// pipelined transaction (InTxPipelined), whose commit then returns
// ErrEventProcessed: on PostgreSQL the condition is checked in SQL
// (cohost_expect, migration 0012).
func (tx Tx) MarkEventProcessed(ctx context.Context, id string, at time.Time, outcome string) error {
	if tx.d == dialectPostgres {
		if err := tx.t.execLater(ctx, markOnceSQL, millis(at), outcome, id); err != nil {
			if errors.Is(err, ErrEventProcessed) {
				return err
			}
			return fmt.Errorf("store: mark event %s processed: %w", id, err)
		}
		return nil
	}
	n, err := tx.t.exec(ctx, `UPDATE webhook_events SET processed_at = $1, outcome = $2 WHERE id = $3 AND `+openEvent,
		millis(at), outcome, id)
	if err != nil {
		return fmt.Errorf("store: mark event %s processed: %w", id, err)
	}
	if n != 1 {
		return ErrEventProcessed
	}
	return nil
}

// markOnceSQL is MarkEventProcessed on PostgreSQL: the mark fails when it
// changed no row.
var markOnceSQL = `WITH mark AS (UPDATE webhook_events SET processed_at = $1, outcome = $2 WHERE id = $3 AND ` + openEvent + `
	RETURNING 1) SELECT cohost_expect((SELECT count(*) FROM mark), 1)`

// EventCounts counts stored events: all of them, and those processed.
func (s *Store) EventCounts(ctx context.Context) (total, processed int64, err error) {
	err = s.eng.db().queryRow(ctx, `SELECT count(*), count(CASE WHEN processed_at > 0 THEN 1 END) FROM webhook_events`).
		Scan(&total, &processed)
	return total, processed, err
}

// JobCounts counts queued jobs by River state (available, running, retryable,
// scheduled, completed, discarded, cancelled).
func (s *Store) JobCounts(ctx context.Context) (map[string]int64, error) {
	r, err := s.eng.db().query(ctx, `SELECT state, count(*) FROM river_job GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: job counts: %w", err)
	}
	defer r.Close()
	out := map[string]int64{}
	for r.Next() {
		var state string
		var n int64
		if err := r.Scan(&state, &n); err != nil {
			return nil, err
		}
		out[state] = n
	}
	return out, r.Err()
}

// RecordDeliveries records many delivery ids in one statement and returns the
// ones that were new. An id that appears twice in ids is new at most once.
func (tx Tx) RecordDeliveries(ctx context.Context, ids []string, at time.Time) (map[string]bool, error) {
	fresh := map[string]bool{}
	if len(ids) == 0 {
		return fresh, nil
	}
	var sb strings.Builder
	args := make([]any, 0, 2*len(ids))
	sb.WriteString(`INSERT INTO webhook_deliveries (delivery_id, received_at) VALUES `)
	for i, id := range ids {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "($%d, $%d)", 2*i+1, 2*i+2)
		args = append(args, id, millis(at))
	}
	sb.WriteString(` ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id`)
	r, err := tx.t.query(ctx, sb.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("store: record deliveries: %w", err)
	}
	defer r.Close()
	for r.Next() {
		var id string
		if err := r.Scan(&id); err != nil {
			return nil, err
		}
		fresh[id] = true
	}
	return fresh, r.Err()
}

// RecordEvents stores many verified events in one statement and returns the
// fact keys that were new; events whose fact was stored before are skipped.
func (tx Tx) RecordEvents(ctx context.Context, ins []grant.Inbound) (map[string]bool, error) {
	fresh := map[string]bool{}
	if len(ins) == 0 {
		return fresh, nil
	}
	const cols = 11
	var sb strings.Builder
	args := make([]any, 0, cols*len(ins))
	sb.WriteString(`INSERT INTO webhook_events
		(id, fact_key, delivery_id, event, event_ts, account_id, meeting_id, meeting_uuid, participant_key, body, received_at)
		VALUES `)
	for i, in := range ins {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(")
		for c := range cols {
			if c > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "$%d", i*cols+c+1)
		}
		sb.WriteString(")")
		args = append(args, in.ID, in.FactKey(), in.DeliveryID, in.Event, millis(in.EventTime), in.AccountID, in.MeetingID,
			in.MeetingUUID, in.ParticipantKey, in.Body, millis(in.ReceivedAt))
	}
	sb.WriteString(` ON CONFLICT (fact_key) DO NOTHING RETURNING fact_key`)
	r, err := tx.t.query(ctx, sb.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("store: record events: %w", err)
	}
	defer r.Close()
	for r.Next() {
		var key string
		if err := r.Scan(&key); err != nil {
			return nil, err
		}
		fresh[key] = true
	}
	return fresh, r.Err()
}
