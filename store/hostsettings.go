package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// This file keeps what the REST granters share between replicas:
//
//   - host_settings: the permissions granter's snapshot of a host's user
//     settings, taken once before the first of the host's meetings changes
//     them and restored when the last of them ends;
//   - meeting_updates and alternative_host_queue: how many times cohost
//     updated a meeting today (Zoom allows 100 a day) and the emails waiting
//     for the next batched update of settings.alternative_hosts.
//
// A host_settings row moves through three states, told apart by its columns
// so that every replica sees the same one:
//
//	snapshotting  snapshot = ''                   a worker reads the host's settings;
//	                                              taken_at is its claim (and lease start)
//	active        snapshot set, a live meeting    the profile is (being) applied
//	restoring     snapshot set, no live meeting   a worker writes the snapshot back;
//	                                              taken_at is its claim (and lease start)
//
// meetings is a JSON object keyed by meeting id. A meeting stays in it, marked
// released, while its release restores the snapshot, so a Finish that is
// retried finds the restore it has to finish.

// hostMeetingEntry is one meeting of host_settings.meetings.
type hostMeetingEntry struct {
	Applied  bool   `json:"applied,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Released bool   `json:"released,omitempty"`
}

type hostRow struct {
	snapshot string
	meetings map[string]hostMeetingEntry
	takenAt  int64
}

// live counts the meetings that hold the host's settings.
func (r hostRow) live() int {
	n := 0
	for _, e := range r.meetings {
		if !e.Released {
			n++
		}
	}
	return n
}

func decodeHostMeetings(s string) map[string]hostMeetingEntry {
	out := map[string]hostMeetingEntry{}
	if s != "" {
		_ = json.Unmarshal([]byte(s), &out)
	}
	return out
}

func encodeHostMeetings(m map[string]hostMeetingEntry) string {
	b, _ := json.Marshal(m)
	return string(b)
}

// next returns a claim token after prev: now in milliseconds, made strictly
// larger than prev so that a new claim never equals the one it replaces.
func nextToken(now time.Time, prev int64) int64 {
	return max(now.UnixMilli(), prev+1)
}

func lockHostRow(ctx context.Context, tx Tx, accountID, hostID string) (hostRow, error) {
	var (
		r        hostRow
		meetings string
	)
	err := tx.t.queryRow(ctx, `SELECT snapshot, meetings, taken_at FROM host_settings
		WHERE account_id = $1 AND host_id = $2`+tx.d.forUpdate, accountID, hostID).Scan(&r.snapshot, &meetings, &r.takenAt)
	if err != nil {
		return r, err
	}
	r.meetings = decodeHostMeetings(meetings)
	return r, nil
}

func saveHostRow(ctx context.Context, tx Tx, accountID, hostID string, r hostRow) error {
	_, err := tx.t.exec(ctx, `UPDATE host_settings SET snapshot = $3, meetings = $4, taken_at = $5
		WHERE account_id = $1 AND host_id = $2`, accountID, hostID, r.snapshot, encodeHostMeetings(r.meetings), r.takenAt)
	return err
}

// HostSettingsStep says what a worker preparing a meeting does next.
type HostSettingsStep int

const (
	// HostSettingsApply: the snapshot is stored; apply the profile.
	HostSettingsApply HostSettingsStep = iota + 1
	// HostSettingsTakeSnapshot: the caller holds the claim (Token) to read the
	// host's current settings and store them with SaveHostSnapshot before it
	// changes anything.
	HostSettingsTakeSnapshot
	// HostSettingsWait: another worker is taking or restoring the snapshot;
	// claim again at RetryAt.
	HostSettingsWait
)

// HostSettingsClaim is the answer of ClaimHostSettings.
type HostSettingsClaim struct {
	Step HostSettingsStep
	// Snapshot is the stored snapshot (HostSettingsApply).
	Snapshot string
	// Applied and Detail: the meeting was prepared before, with this detail
	// (HostSettingsApply).
	Applied bool
	Detail  string
	// Token identifies the claim of HostSettingsTakeSnapshot.
	Token int64
	// RetryAt is when the other worker's lease ends (HostSettingsWait).
	RetryAt time.Time
}

// ClaimHostSettings registers meetingID as one of the host's meetings that
// need the permission profile and says what the caller does next. Only the
// first meeting of a host (no row yet) takes the snapshot; later, overlapping
// meetings share it. A claim to snapshot or restore that is older than lease
// is taken over: its worker is presumed dead.
func (s *Store) ClaimHostSettings(ctx context.Context, accountID, hostID, meetingID string, now time.Time, lease time.Duration) (HostSettingsClaim, error) {
	var out HostSettingsClaim
	err := s.InTx(ctx, func(tx Tx) error {
		out = HostSettingsClaim{}
		token := now.UnixMilli()
		first := encodeHostMeetings(map[string]hostMeetingEntry{meetingID: {}})
		n, err := tx.t.exec(ctx, `INSERT INTO host_settings (account_id, host_id, snapshot, meetings, taken_at)
			VALUES ($1, $2, '', $3, $4) ON CONFLICT (account_id, host_id) DO NOTHING`, accountID, hostID, first, token)
		if err != nil {
			return err
		}
		if n == 1 {
			out.Step, out.Token = HostSettingsTakeSnapshot, token
			return nil
		}
		r, err := lockHostRow(ctx, tx, accountID, hostID)
		if err != nil {
			return err
		}
		leaseEnd := r.takenAt + lease.Milliseconds()
		switch {
		case r.snapshot == "": // snapshotting
			if _, ok := r.meetings[meetingID]; !ok {
				r.meetings[meetingID] = hostMeetingEntry{}
			}
			if now.UnixMilli() < leaseEnd {
				out.Step, out.RetryAt = HostSettingsWait, fromMillis(leaseEnd)
			} else {
				r.takenAt = nextToken(now, r.takenAt)
				out.Step, out.Token = HostSettingsTakeSnapshot, r.takenAt
			}
			return saveHostRow(ctx, tx, accountID, hostID, r)
		case r.live() == 0: // restoring
			if now.UnixMilli() < leaseEnd {
				// Wait for the restore to land: applying now could be undone
				// by the restore's PATCH arriving after ours.
				out.Step, out.RetryAt = HostSettingsWait, fromMillis(leaseEnd)
				return nil
			}
			// The restorer died. Whether or not its PATCH landed, the snapshot
			// is still the host's own settings: keep it and apply again.
			r.meetings = map[string]hostMeetingEntry{meetingID: {}}
			r.takenAt = nextToken(now, r.takenAt)
			out.Step, out.Snapshot = HostSettingsApply, r.snapshot
			return saveHostRow(ctx, tx, accountID, hostID, r)
		default: // active
			e, ok := r.meetings[meetingID]
			out.Step, out.Snapshot, out.Applied, out.Detail = HostSettingsApply, r.snapshot, e.Applied, e.Detail
			if ok {
				return nil
			}
			r.meetings[meetingID] = hostMeetingEntry{}
			return saveHostRow(ctx, tx, accountID, hostID, r)
		}
	})
	if err != nil {
		return HostSettingsClaim{}, fmt.Errorf("store: claim host settings: %w", err)
	}
	return out, nil
}

// SaveHostSnapshot stores the snapshot taken under the claim token. It
// reports false when the claim was lost (taken over after its lease, or the
// row released); the caller then claims again.
func (s *Store) SaveHostSnapshot(ctx context.Context, accountID, hostID string, token int64, snapshot string, now time.Time) (bool, error) {
	if snapshot == "" {
		return false, errors.New("store: save host snapshot: empty snapshot")
	}
	// The snapshot is the only record of the host's own settings once they
	// are changed: it goes through the durable connection.
	n, err := s.eng.durableDB().exec(ctx, `UPDATE host_settings SET snapshot = $3, taken_at = $4
		WHERE account_id = $1 AND host_id = $2 AND snapshot = '' AND taken_at = $5`,
		accountID, hostID, snapshot, nextToken(now, token), token)
	if err != nil {
		return false, fmt.Errorf("store: save host snapshot: %w", err)
	}
	return n == 1, nil
}

// AbandonHostSnapshot gives up a claim to snapshot (reading the settings
// failed) so that the next worker need not wait for the lease. Meetings that
// were waiting on it claim again.
func (s *Store) AbandonHostSnapshot(ctx context.Context, accountID, hostID string, token int64) error {
	_, err := s.eng.db().exec(ctx, `DELETE FROM host_settings
		WHERE account_id = $1 AND host_id = $2 AND snapshot = '' AND taken_at = $3`, accountID, hostID, token)
	if err != nil {
		return fmt.Errorf("store: abandon host snapshot: %w", err)
	}
	return nil
}

// MarkHostMeetingApplied records that the profile is applied for the meeting,
// with a human-readable detail (what did not take). It reports false when the
// meeting is no longer one of the host's live meetings (it was finished
// meanwhile).
func (s *Store) MarkHostMeetingApplied(ctx context.Context, accountID, hostID, meetingID, detail string) (bool, error) {
	ok := false
	err := s.InTx(ctx, func(tx Tx) error {
		r, err := lockHostRow(ctx, tx, accountID, hostID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		e, found := r.meetings[meetingID]
		if !found || e.Released || r.snapshot == "" {
			return nil
		}
		r.meetings[meetingID] = hostMeetingEntry{Applied: true, Detail: detail}
		ok = true
		return saveHostRow(ctx, tx, accountID, hostID, r)
	})
	if err != nil {
		return false, fmt.Errorf("store: mark host meeting applied: %w", err)
	}
	return ok, nil
}

// HostMeeting is a meeting's place in its host's settings row.
type HostMeeting struct {
	HostID string
	// Applied: the profile is applied for the meeting.
	Applied bool
	Detail  string
	// Released: the meeting ended and the snapshot is being restored.
	Released bool
}

// FindHostMeeting finds the host settings row that holds meetingID, or
// returns ErrNotFound.
func (s *Store) FindHostMeeting(ctx context.Context, accountID, meetingID string) (HostMeeting, error) {
	// The LIKE narrows the rows of the account; the JSON decides.
	r, err := s.eng.db().query(ctx, `SELECT host_id, meetings FROM host_settings
		WHERE account_id = $1 AND meetings LIKE $2`, accountID, "%"+likeEscape(meetingID)+"%")
	if err != nil {
		return HostMeeting{}, fmt.Errorf("store: find host meeting: %w", err)
	}
	defer r.Close()
	for r.Next() {
		var hostID, meetings string
		if err := r.Scan(&hostID, &meetings); err != nil {
			return HostMeeting{}, fmt.Errorf("store: find host meeting: %w", err)
		}
		if e, ok := decodeHostMeetings(meetings)[meetingID]; ok {
			return HostMeeting{HostID: hostID, Applied: e.Applied, Detail: e.Detail, Released: e.Released}, nil
		}
	}
	if err := r.Err(); err != nil {
		return HostMeeting{}, fmt.Errorf("store: find host meeting: %w", err)
	}
	return HostMeeting{}, fmt.Errorf("store: find host meeting %s: %w", meetingID, ErrNotFound)
}

// likeEscape drops LIKE's wildcards from s (meeting ids are digits; this only
// keeps odd input from matching too much, the JSON check decides anyway).
func likeEscape(s string) string {
	return strings.NewReplacer("%", "", "_", "").Replace(s)
}

// HostSettingsRelease is the answer of ReleaseHostMeeting.
type HostSettingsRelease struct {
	// Restore: no live meeting holds the host's settings any more; write
	// Snapshot back, then call CompleteHostRestore with Token.
	Restore  bool
	Snapshot string
	Token    int64
}

// ReleaseHostMeeting takes meetingID off the host's live meetings. When it
// was the last, the row turns to restoring and the caller restores the
// snapshot. A release repeated while the row is restoring asks for the
// restore again (the earlier one may have failed half way).
func (s *Store) ReleaseHostMeeting(ctx context.Context, accountID, hostID, meetingID string, now time.Time) (HostSettingsRelease, error) {
	var out HostSettingsRelease
	err := s.InTx(ctx, func(tx Tx) error {
		out = HostSettingsRelease{}
		r, err := lockHostRow(ctx, tx, accountID, hostID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		e, found := r.meetings[meetingID]
		live := r.live()
		switch {
		case r.snapshot == "":
			// Nothing was applied yet: the profile is applied only after the
			// snapshot is stored.
			if !found {
				return nil
			}
			delete(r.meetings, meetingID)
			if len(r.meetings) == 0 {
				_, err := tx.t.exec(ctx, `DELETE FROM host_settings WHERE account_id = $1 AND host_id = $2`, accountID, hostID)
				return err
			}
			return saveHostRow(ctx, tx, accountID, hostID, r)
		case found && !e.Released && live > 1:
			delete(r.meetings, meetingID)
			return saveHostRow(ctx, tx, accountID, hostID, r)
		case found && !e.Released:
			r.meetings[meetingID] = hostMeetingEntry{Released: true}
		case live > 0:
			return nil // not one of this host's meetings; the others keep the settings
		}
		r.takenAt = nextToken(now, r.takenAt)
		out = HostSettingsRelease{Restore: true, Snapshot: r.snapshot, Token: r.takenAt}
		return saveHostRow(ctx, tx, accountID, hostID, r)
	})
	if err != nil {
		return HostSettingsRelease{}, fmt.Errorf("store: release host meeting: %w", err)
	}
	return out, nil
}

// CompleteHostRestore deletes the host's row after its snapshot was written
// back under token. It reports false when a meeting claimed the row
// meanwhile or another worker took the restore over; the row then stays.
func (s *Store) CompleteHostRestore(ctx context.Context, accountID, hostID string, token int64) (bool, error) {
	done := false
	err := s.InTx(ctx, func(tx Tx) error {
		r, err := lockHostRow(ctx, tx, accountID, hostID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if r.takenAt != token || r.live() != 0 || r.snapshot == "" {
			return nil
		}
		_, err = tx.t.exec(ctx, `DELETE FROM host_settings WHERE account_id = $1 AND host_id = $2`, accountID, hostID)
		done = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: complete host restore: %w", err)
	}
	return done, nil
}

// HostSettings is a host_settings row as the admin API and tests see it.
type HostSettings struct {
	AccountID string
	HostID    string
	// Snapshot is the host's settings before cohost changed them ("" while
	// being taken).
	Snapshot string
	// Meetings are the live meetings that hold the settings, sorted.
	Meetings []string
	// Restoring: no live meeting is left and the snapshot is being written back.
	Restoring bool
	TakenAt   time.Time
}

// GetHostSettings reads a host's row, or returns ErrNotFound.
func (s *Store) GetHostSettings(ctx context.Context, accountID, hostID string) (HostSettings, error) {
	var (
		h        = HostSettings{AccountID: accountID, HostID: hostID}
		meetings string
		takenAt  int64
	)
	err := s.eng.db().queryRow(ctx, `SELECT snapshot, meetings, taken_at FROM host_settings
		WHERE account_id = $1 AND host_id = $2`, accountID, hostID).Scan(&h.Snapshot, &meetings, &takenAt)
	if err != nil {
		return h, fmt.Errorf("store: get host settings %s: %w", hostID, err)
	}
	r := hostRow{snapshot: h.Snapshot, meetings: decodeHostMeetings(meetings)}
	for id, e := range r.meetings {
		if !e.Released {
			h.Meetings = append(h.Meetings, id)
		}
	}
	sort.Strings(h.Meetings)
	h.Restoring = h.Snapshot != "" && r.live() == 0
	h.TakenAt = fromMillis(takenAt)
	return h, nil
}

// Meeting updates and the alternative-host queue.

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

// DeleteMeetingUpdates removes an account's update counts and queued
// alternative hosts (app_deauthorized; DeleteAccount's tables predate these).
func (s *Store) DeleteMeetingUpdates(ctx context.Context, accountID string) error {
	return s.InTx(ctx, func(tx Tx) error {
		for _, q := range []string{
			`DELETE FROM alternative_host_queue WHERE account_id = $1`,
			`DELETE FROM meeting_updates WHERE account_id = $1`,
		} {
			if _, err := tx.t.exec(ctx, q, accountID); err != nil {
				return fmt.Errorf("store: delete meeting updates: %w", err)
			}
		}
		return nil
	})
}
