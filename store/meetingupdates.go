package store

// This file keeps the alternative-hosts granter's shared state:
// meeting_updates counts how many times cohost updated a meeting today (Zoom
// allows 100 a day; the permissions granter's update counts too), and
// alternative_host_queue holds the emails waiting for the next batched
// update of settings.alternative_hosts. A flush lease in meeting_updates lets
// one worker of any replica send a meeting's batch.

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// AlternativeHostBudget shapes how the updates of one meeting are spent on
// alternative hosts.
type AlternativeHostBudget struct {
	// DailyUpdates is how many updates of the meeting cohost makes per UTC
	// day (Zoom allows 100 in 24 hours); 0 means no bound.
	DailyUpdates int
	// BatchWindow is how long the first queued email waits for others to
	// join its batch.
	BatchWindow time.Duration
	// MinInterval is the least time between two updates of the meeting.
	MinInterval time.Duration
	// FlushLease is how long a worker holds the right to send the batch; a
	// worker that dies holding it blocks the meeting's batches this long.
	FlushLease time.Duration
}

// AlternativeHostTurn is what QueueAlternativeHost decided for the caller.
type AlternativeHostTurn struct {
	// Flush: the caller holds the flush lease (Token) and sends Emails, every
	// queued email of the meeting, in one update, then calls
	// EndAlternativeHostFlush.
	Flush  bool
	Token  int64
	Emails []string
	// Exhausted: the meeting's updates for the day are spent; the caller's
	// email was taken off the queue.
	Exhausted bool
	// RetryAt is when to call again (neither Flush nor Exhausted): the next
	// batch is due then, or another worker's flush should be done.
	RetryAt time.Time
	// UpdatesToday counts the meeting's updates so far today (UTC).
	UpdatesToday int
}

// AlternativeHostFlush reports the end of a flush.
type AlternativeHostFlush struct {
	// Patched: Zoom accepted an update of the meeting (it counts against the day).
	Patched bool
	At      time.Time
	// Remove are the emails taken off the queue (added, or given up).
	Remove []string
	// Exhausted: Zoom refused with its daily limit; the day's budget
	// (DailyUpdates) is recorded as spent.
	Exhausted    bool
	DailyUpdates int
}

type updatesRow struct {
	day           string
	updates       int
	lastUpdateAt  int64
	flushingUntil int64
}

func utcDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func lockMeetingUpdates(ctx context.Context, tx Tx, accountID, meetingID string, now time.Time) (updatesRow, error) {
	var r updatesRow
	if _, err := tx.t.exec(ctx, `INSERT INTO meeting_updates (account_id, meeting_id) VALUES ($1, $2)
		ON CONFLICT (account_id, meeting_id) DO NOTHING`, accountID, meetingID); err != nil {
		return r, err
	}
	err := tx.t.queryRow(ctx, `SELECT day, updates, last_update_at, flushing_until FROM meeting_updates
		WHERE account_id = $1 AND meeting_id = $2`+tx.d.forUpdate, accountID, meetingID).
		Scan(&r.day, &r.updates, &r.lastUpdateAt, &r.flushingUntil)
	if err != nil {
		return r, err
	}
	if today := utcDay(now); r.day != today {
		r.day, r.updates = today, 0
	}
	return r, nil
}

func saveMeetingUpdates(ctx context.Context, tx Tx, accountID, meetingID string, r updatesRow) error {
	_, err := tx.t.exec(ctx, `UPDATE meeting_updates SET day = $3, updates = $4, last_update_at = $5, flushing_until = $6
		WHERE account_id = $1 AND meeting_id = $2`, accountID, meetingID, r.day, r.updates, r.lastUpdateAt, r.flushingUntil)
	return err
}

// QueueAlternativeHost queues email for the meeting's next alternative-host
// update and decides the caller's turn: flush the queue now (the batch window
// of the oldest queued email and the minimum interval since the last update
// have passed, and no other worker is flushing), come back later, or give up
// because the day's updates are spent.
func (s *Store) QueueAlternativeHost(ctx context.Context, accountID, meetingID, email string, now time.Time, b AlternativeHostBudget) (AlternativeHostTurn, error) {
	var out AlternativeHostTurn
	nowMS := now.UnixMilli()
	err := s.InTx(ctx, func(tx Tx) error {
		out = AlternativeHostTurn{}
		if _, err := tx.t.exec(ctx, `INSERT INTO alternative_host_queue (account_id, meeting_id, email, queued_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, meeting_id, email) DO NOTHING`,
			accountID, meetingID, email, nowMS); err != nil {
			return err
		}
		r, err := lockMeetingUpdates(ctx, tx, accountID, meetingID, now)
		if err != nil {
			return err
		}
		out.UpdatesToday = r.updates
		switch {
		case b.DailyUpdates > 0 && r.updates >= b.DailyUpdates:
			out.Exhausted = true
			if _, err := tx.t.exec(ctx, `DELETE FROM alternative_host_queue
				WHERE account_id = $1 AND meeting_id = $2 AND email = $3`, accountID, meetingID, email); err != nil {
				return err
			}
		case r.flushingUntil > nowMS:
			out.RetryAt = fromMillis(r.flushingUntil)
			if b.BatchWindow > 0 && now.Add(b.BatchWindow).Before(out.RetryAt) {
				out.RetryAt = now.Add(b.BatchWindow)
			}
		default:
			var oldest int64
			if err := tx.t.queryRow(ctx, `SELECT COALESCE(MIN(queued_at), 0) FROM alternative_host_queue
				WHERE account_id = $1 AND meeting_id = $2`, accountID, meetingID).Scan(&oldest); err != nil {
				return err
			}
			due := oldest + b.BatchWindow.Milliseconds()
			if r.lastUpdateAt > 0 {
				due = max(due, r.lastUpdateAt+b.MinInterval.Milliseconds())
			}
			if nowMS < due {
				out.RetryAt = fromMillis(due)
				break
			}
			lease := max(b.FlushLease, time.Second)
			r.flushingUntil = max(nowMS+lease.Milliseconds(), r.flushingUntil+1)
			out.Flush, out.Token = true, r.flushingUntil
			rows, err := tx.t.query(ctx, `SELECT email FROM alternative_host_queue
				WHERE account_id = $1 AND meeting_id = $2 ORDER BY queued_at, email`, accountID, meetingID)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var e string
				if err := rows.Scan(&e); err != nil {
					return err
				}
				out.Emails = append(out.Emails, e)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			rows.Close()
		}
		return saveMeetingUpdates(ctx, tx, accountID, meetingID, r)
	})
	if err != nil {
		return AlternativeHostTurn{}, fmt.Errorf("store: queue alternative host: %w", err)
	}
	return out, nil
}

// EndAlternativeHostFlush records the outcome of the flush holding token: the
// update counted (even when the lease was lost meanwhile: the PATCH
// happened), the emails it settled taken off the queue, the lease released.
func (s *Store) EndAlternativeHostFlush(ctx context.Context, accountID, meetingID string, token int64, f AlternativeHostFlush) error {
	err := s.InTx(ctx, func(tx Tx) error {
		r, err := lockMeetingUpdates(ctx, tx, accountID, meetingID, f.At)
		if err != nil {
			return err
		}
		if f.Patched {
			r.updates++
			r.lastUpdateAt = f.At.UnixMilli()
		}
		if f.Exhausted {
			r.updates = max(r.updates, f.DailyUpdates)
		}
		if r.flushingUntil == token {
			r.flushingUntil = 0
		}
		if err := saveMeetingUpdates(ctx, tx, accountID, meetingID, r); err != nil {
			return err
		}
		return dequeue(ctx, tx.t, accountID, meetingID, f.Remove)
	})
	if err != nil {
		return fmt.Errorf("store: end alternative host flush: %w", err)
	}
	return nil
}

func dequeue(ctx context.Context, q querier, accountID, meetingID string, emails []string) error {
	for _, e := range emails {
		if _, err := q.exec(ctx, `DELETE FROM alternative_host_queue WHERE account_id = $1 AND meeting_id = $2 AND email = $3`,
			accountID, meetingID, e); err != nil {
			return err
		}
	}
	return nil
}

// DequeueAlternativeHosts takes emails off the meeting's queue (they are
// alternative hosts already, or their grant was given up).
func (s *Store) DequeueAlternativeHosts(ctx context.Context, accountID, meetingID string, emails ...string) error {
	if err := dequeue(ctx, s.eng.db(), accountID, meetingID, emails); err != nil {
		return fmt.Errorf("store: dequeue alternative hosts: %w", err)
	}
	return nil
}

// ClearAlternativeHostQueue empties the meeting's queue (the meeting ended;
// its pending grants are settled). The day's update count stays: Zoom's
// limit counts per meeting, across its instances.
func (s *Store) ClearAlternativeHostQueue(ctx context.Context, accountID, meetingID string) error {
	if _, err := s.eng.db().exec(ctx, `DELETE FROM alternative_host_queue WHERE account_id = $1 AND meeting_id = $2`,
		accountID, meetingID); err != nil {
		return fmt.Errorf("store: clear alternative host queue: %w", err)
	}
	return nil
}

// QueuedAlternativeHosts lists the meeting's queued emails, oldest first.
func (s *Store) QueuedAlternativeHosts(ctx context.Context, accountID, meetingID string) ([]string, error) {
	r, err := s.eng.db().query(ctx, `SELECT email FROM alternative_host_queue
		WHERE account_id = $1 AND meeting_id = $2 ORDER BY queued_at, email`, accountID, meetingID)
	if err != nil {
		return nil, fmt.Errorf("store: queued alternative hosts: %w", err)
	}
	defer r.Close()
	var out []string
	for r.Next() {
		var e string
		if err := r.Scan(&e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, r.Err()
}

// RecordMeetingUpdate counts one update of the meeting that cohost made for
// another reason than alternative hosts (the permissions granter's meeting
// settings), so the alternative-host budget knows it is spent.
func (s *Store) RecordMeetingUpdate(ctx context.Context, accountID, meetingID string, now time.Time) error {
	err := s.InTx(ctx, func(tx Tx) error {
		r, err := lockMeetingUpdates(ctx, tx, accountID, meetingID, now)
		if err != nil {
			return err
		}
		r.updates++
		return saveMeetingUpdates(ctx, tx, accountID, meetingID, r)
	})
	if err != nil {
		return fmt.Errorf("store: record meeting update: %w", err)
	}
	return nil
}

// MeetingUpdates counts cohost's updates of the meeting on now's UTC day.
func (s *Store) MeetingUpdates(ctx context.Context, accountID, meetingID string, now time.Time) (int, error) {
	var (
		day string
		n   int
	)
	err := s.eng.db().queryRow(ctx, `SELECT day, updates FROM meeting_updates WHERE account_id = $1 AND meeting_id = $2`,
		accountID, meetingID).Scan(&day, &n)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: meeting updates: %w", err)
	}
	if day != utcDay(now) {
		return 0, nil
	}
	return n, nil
}
