package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// This file keeps the permissions granter's snapshots of hosts' user
// settings, shared by every replica: host_settings holds one row per host
// whose settings cohost changed, with the snapshot taken once before the
// first of the host's meetings changed them; host_setting_meetings holds the
// meetings that need them. The snapshot is restored when the last of those
// meetings ends.
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
// A meeting stays in host_setting_meetings, marked released, while its
// release restores the snapshot, so a Finish that is retried finds the
// restore it has to finish.

// hostMeetingEntry is one row of host_setting_meetings.
type hostMeetingEntry struct {
	applied  bool
	detail   string
	released bool
}

type hostRow struct {
	accountID, hostID string
	snapshot          string
	meetings          map[string]hostMeetingEntry
	takenAt           int64
}

// live counts the meetings that hold the host's settings.
func (r hostRow) live() int {
	n := 0
	for _, e := range r.meetings {
		if !e.released {
			n++
		}
	}
	return n
}

// nextToken returns a claim token after prev: now in milliseconds, made
// strictly larger than prev so that a new claim never equals the one it
// replaces.
func nextToken(now time.Time, prev int64) int64 {
	return max(now.UnixMilli(), prev+1)
}

// lockHostRow reads a host's row and its meetings, holding the row until the
// transaction ends.
func lockHostRow(ctx context.Context, tx Tx, accountID, hostID string) (hostRow, error) {
	r := hostRow{accountID: accountID, hostID: hostID}
	err := tx.t.queryRow(ctx, `SELECT snapshot, taken_at FROM host_settings
		WHERE account_id = $1 AND host_id = $2`+tx.d.forUpdate, accountID, hostID).Scan(&r.snapshot, &r.takenAt)
	if err != nil {
		return r, err
	}
	r.meetings, err = hostMeetings(ctx, tx.t, accountID, hostID)
	return r, err
}

func hostMeetings(ctx context.Context, q querier, accountID, hostID string) (map[string]hostMeetingEntry, error) {
	rows, err := q.query(ctx, `SELECT meeting_id, applied, detail, released FROM host_setting_meetings
		WHERE account_id = $1 AND host_id = $2`, accountID, hostID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]hostMeetingEntry{}
	for rows.Next() {
		var (
			id                string
			e                 hostMeetingEntry
			applied, released int
		)
		if err := rows.Scan(&id, &applied, &e.detail, &released); err != nil {
			return nil, err
		}
		e.applied, e.released = applied != 0, released != 0
		out[id] = e
	}
	return out, rows.Err()
}

func (r hostRow) setTakenAt(ctx context.Context, tx Tx, takenAt int64) error {
	_, err := tx.t.exec(ctx, `UPDATE host_settings SET taken_at = $3 WHERE account_id = $1 AND host_id = $2`,
		r.accountID, r.hostID, takenAt)
	return err
}

// putMeeting inserts or replaces the meeting's entry.
func (r hostRow) putMeeting(ctx context.Context, tx Tx, meetingID string, e hostMeetingEntry) error {
	_, err := tx.t.exec(ctx, `INSERT INTO host_setting_meetings (account_id, host_id, meeting_id, applied, detail, released)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, host_id, meeting_id)
		DO UPDATE SET applied = excluded.applied, detail = excluded.detail, released = excluded.released`,
		r.accountID, r.hostID, meetingID, boolInt(e.applied), e.detail, boolInt(e.released))
	return err
}

func (r hostRow) deleteMeeting(ctx context.Context, tx Tx, meetingID string) error {
	_, err := tx.t.exec(ctx, `DELETE FROM host_setting_meetings WHERE account_id = $1 AND host_id = $2 AND meeting_id = $3`,
		r.accountID, r.hostID, meetingID)
	return err
}

// delete removes the host's row and its meetings.
func (r hostRow) delete(ctx context.Context, tx Tx) error {
	if _, err := tx.t.exec(ctx, `DELETE FROM host_setting_meetings WHERE account_id = $1 AND host_id = $2`, r.accountID, r.hostID); err != nil {
		return err
	}
	_, err := tx.t.exec(ctx, `DELETE FROM host_settings WHERE account_id = $1 AND host_id = $2`, r.accountID, r.hostID)
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
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
		n, err := tx.t.exec(ctx, `INSERT INTO host_settings (account_id, host_id, snapshot, taken_at)
			VALUES ($1, $2, '', $3) ON CONFLICT (account_id, host_id) DO NOTHING`, accountID, hostID, token)
		if err != nil {
			return err
		}
		if n == 1 {
			out.Step, out.Token = HostSettingsTakeSnapshot, token
			return hostRow{accountID: accountID, hostID: hostID}.putMeeting(ctx, tx, meetingID, hostMeetingEntry{})
		}
		r, err := lockHostRow(ctx, tx, accountID, hostID)
		if err != nil {
			return err
		}
		leaseEnd := r.takenAt + lease.Milliseconds()
		switch {
		case r.snapshot == "": // snapshotting
			if _, ok := r.meetings[meetingID]; !ok {
				if err := r.putMeeting(ctx, tx, meetingID, hostMeetingEntry{}); err != nil {
					return err
				}
			}
			if now.UnixMilli() < leaseEnd {
				out.Step, out.RetryAt = HostSettingsWait, fromMillis(leaseEnd)
				return nil
			}
			out.Step, out.Token = HostSettingsTakeSnapshot, nextToken(now, r.takenAt)
			return r.setTakenAt(ctx, tx, out.Token)
		case r.live() == 0: // restoring
			if now.UnixMilli() < leaseEnd {
				// Wait for the restore to land: applying now could be undone
				// by the restore's PATCH arriving after ours.
				out.Step, out.RetryAt = HostSettingsWait, fromMillis(leaseEnd)
				return nil
			}
			// The restorer died. Whether or not its PATCH landed, the snapshot
			// is still the host's own settings: keep it and apply again.
			for id := range r.meetings {
				if err := r.deleteMeeting(ctx, tx, id); err != nil {
					return err
				}
			}
			if err := r.putMeeting(ctx, tx, meetingID, hostMeetingEntry{}); err != nil {
				return err
			}
			out.Step, out.Snapshot = HostSettingsApply, r.snapshot
			return r.setTakenAt(ctx, tx, nextToken(now, r.takenAt))
		default: // active
			e, ok := r.meetings[meetingID]
			out.Step, out.Snapshot, out.Applied, out.Detail = HostSettingsApply, r.snapshot, e.applied, e.detail
			if ok {
				return nil
			}
			return r.putMeeting(ctx, tx, meetingID, hostMeetingEntry{})
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
	err := s.InTx(ctx, func(tx Tx) error {
		n, err := tx.t.exec(ctx, `DELETE FROM host_settings
			WHERE account_id = $1 AND host_id = $2 AND snapshot = '' AND taken_at = $3`, accountID, hostID, token)
		if err != nil || n == 0 {
			return err
		}
		_, err = tx.t.exec(ctx, `DELETE FROM host_setting_meetings WHERE account_id = $1 AND host_id = $2`, accountID, hostID)
		return err
	})
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
		ok = false
		r, err := lockHostRow(ctx, tx, accountID, hostID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		e, found := r.meetings[meetingID]
		if !found || e.released || r.snapshot == "" {
			return nil
		}
		ok = true
		return r.putMeeting(ctx, tx, meetingID, hostMeetingEntry{applied: true, detail: detail})
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
// returns ErrNotFound. It is on the grant path of every join, so it reads one
// indexed row; an unreadable row is an error, never "not found".
func (s *Store) FindHostMeeting(ctx context.Context, accountID, meetingID string) (HostMeeting, error) {
	var (
		h                 HostMeeting
		applied, released int
	)
	err := s.eng.db().queryRow(ctx, `SELECT host_id, applied, detail, released FROM host_setting_meetings
		WHERE account_id = $1 AND meeting_id = $2 ORDER BY released, host_id LIMIT 1`, accountID, meetingID).
		Scan(&h.HostID, &applied, &h.Detail, &released)
	if err != nil {
		return HostMeeting{}, fmt.Errorf("store: find host meeting %s: %w", meetingID, err)
	}
	h.Applied, h.Released = applied != 0, released != 0
	return h, nil
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
			if len(r.meetings) == 1 {
				return r.delete(ctx, tx)
			}
			return r.deleteMeeting(ctx, tx, meetingID)
		case found && !e.released && live > 1:
			return r.deleteMeeting(ctx, tx, meetingID)
		case found && !e.released:
			if err := r.putMeeting(ctx, tx, meetingID, hostMeetingEntry{released: true}); err != nil {
				return err
			}
		case live > 0:
			return nil // not one of this host's meetings; the others keep the settings
		}
		out = HostSettingsRelease{Restore: true, Snapshot: r.snapshot, Token: nextToken(now, r.takenAt)}
		return r.setTakenAt(ctx, tx, out.Token)
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
		done = false
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
		if err := r.delete(ctx, tx); err != nil {
			return err
		}
		done = true
		return nil
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
	h := HostSettings{AccountID: accountID, HostID: hostID}
	var takenAt int64
	db := s.eng.db()
	err := db.queryRow(ctx, `SELECT snapshot, taken_at FROM host_settings
		WHERE account_id = $1 AND host_id = $2`, accountID, hostID).Scan(&h.Snapshot, &takenAt)
	if err != nil {
		return h, fmt.Errorf("store: get host settings %s: %w", hostID, err)
	}
	meetings, err := hostMeetings(ctx, db, accountID, hostID)
	if err != nil {
		return h, fmt.Errorf("store: get host settings %s: %w", hostID, err)
	}
	r := hostRow{snapshot: h.Snapshot, meetings: meetings}
	for id, e := range meetings {
		if !e.released {
			h.Meetings = append(h.Meetings, id)
		}
	}
	sort.Strings(h.Meetings)
	h.Restoring = h.Snapshot != "" && r.live() == 0
	h.TakenAt = fromMillis(takenAt)
	return h, nil
}
