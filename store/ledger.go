package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/cohost-dev/cohost/grant"
)

const meetingColumns = `account_id, meeting_id, uuid, host_id, host_email, topic, start_time, tracking_fields,
	status, status_at, started_at, ended_at`

func scanMeeting(r row) (grant.Meeting, error) {
	var (
		m                                   grant.Meeting
		start, statusAt, startedAt, endedAt int64
		tracking, status                    string
	)
	err := r.Scan(&m.AccountID, &m.ID, &m.UUID, &m.HostID, &m.HostEmail, &m.Topic, &start, &tracking,
		&status, &statusAt, &startedAt, &endedAt)
	if err != nil {
		return m, err
	}
	m.StartTime, m.StatusAt, m.StartedAt, m.EndedAt = fromMillis(start), fromMillis(statusAt), fromMillis(startedAt), fromMillis(endedAt)
	m.Status = grant.MeetingStatus(status)
	_ = json.Unmarshal([]byte(tracking), &m.TrackingFields)
	return m, nil
}

// LockMeeting returns the meeting, creating an empty scheduled record when
// there is none, and holds its row until the transaction ends.
func (tx Tx) LockMeeting(ctx context.Context, accountID, meetingID string) (grant.Meeting, error) {
	if _, err := tx.t.exec(ctx, `INSERT INTO meetings (account_id, meeting_id) VALUES ($1, $2)
		ON CONFLICT (account_id, meeting_id) DO NOTHING`, accountID, meetingID); err != nil {
		return grant.Meeting{}, fmt.Errorf("store: lock meeting: %w", err)
	}
	m, err := scanMeeting(tx.t.queryRow(ctx, `SELECT `+meetingColumns+` FROM meetings
		WHERE account_id = $1 AND meeting_id = $2`+tx.d.forUpdate, accountID, meetingID))
	if err != nil {
		return m, fmt.Errorf("store: lock meeting: %w", err)
	}
	return m, nil
}

// SaveMeeting writes a meeting locked with LockMeeting.
func (tx Tx) SaveMeeting(ctx context.Context, m grant.Meeting) error {
	tracking, _ := json.Marshal(m.TrackingFields)
	if m.TrackingFields == nil {
		tracking = []byte("{}")
	}
	_, err := tx.t.exec(ctx, `UPDATE meetings SET uuid = $3, host_id = $4, host_email = $5, topic = $6,
		start_time = $7, tracking_fields = $8, status = $9, status_at = $10, started_at = $11, ended_at = $12,
		updated_at = $13 WHERE account_id = $1 AND meeting_id = $2`,
		m.AccountID, m.ID, m.UUID, m.HostID, m.HostEmail, m.Topic, millis(m.StartTime), string(tracking),
		string(m.Status), millis(m.StatusAt), millis(m.StartedAt), millis(m.EndedAt), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("store: save meeting: %w", err)
	}
	return nil
}

// GetMeeting reads a meeting by account and numeric id.
func (s *Store) GetMeeting(ctx context.Context, accountID, meetingID string) (grant.Meeting, error) {
	m, err := scanMeeting(s.eng.db().queryRow(ctx, `SELECT `+meetingColumns+` FROM meetings
		WHERE account_id = $1 AND meeting_id = $2`, accountID, meetingID))
	if err != nil {
		return m, fmt.Errorf("store: get meeting %s: %w", meetingID, err)
	}
	return m, nil
}

// FindMeeting reads a meeting by numeric id in any account (the admin API's
// lookups; meeting ids are unique across Zoom).
func (s *Store) FindMeeting(ctx context.Context, meetingID string) (grant.Meeting, error) {
	m, err := scanMeeting(s.eng.db().queryRow(ctx, `SELECT `+meetingColumns+` FROM meetings
		WHERE meeting_id = $1 ORDER BY updated_at DESC LIMIT 1`, meetingID))
	if err != nil {
		return m, fmt.Errorf("store: find meeting %s: %w", meetingID, err)
	}
	return m, nil
}

// ListMeetings returns the most recently updated meetings first.
func (s *Store) ListMeetings(ctx context.Context, limit int) ([]grant.Meeting, error) {
	r, err := s.eng.db().query(ctx, `SELECT `+meetingColumns+` FROM meetings ORDER BY updated_at DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list meetings: %w", err)
	}
	defer r.Close()
	var out []grant.Meeting
	for r.Next() {
		m, err := scanMeeting(r)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, r.Err()
}

const participantColumns = `meeting_uuid, participant_key, account_id, meeting_id, user_id, zoom_user_id, name, email,
	phone, joined_at, left_at, state, granter, reason, detail, join_seen_at, granted_at, confirmed_at, attempts`

func scanParticipant(r row) (grant.Participant, error) {
	var (
		p                                      grant.Participant
		joined, left, seen, granted, confirmed int64
		state, reason                          string
	)
	err := r.Scan(&p.MeetingUUID, &p.Key, &p.AccountID, &p.MeetingID, &p.UserID, &p.ZoomUserID, &p.Name, &p.Email,
		&p.Phone, &joined, &left, &state, &p.Granter, &reason, &p.Detail, &seen, &granted, &confirmed, &p.Attempts)
	if err != nil {
		return p, err
	}
	p.State, p.Reason = grant.State(state), grant.Reason(reason)
	p.JoinedAt, p.LeftAt, p.JoinSeenAt = fromMillis(joined), fromMillis(left), fromMillis(seen)
	p.GrantedAt, p.ConfirmedAt = fromMillis(granted), fromMillis(confirmed)
	return p, nil
}

// LockParticipant returns the participant's ledger row, creating it (state
// pending, nothing joined) when there is none, and holds it until the
// transaction ends.
func (tx Tx) LockParticipant(ctx context.Context, accountID, meetingID, meetingUUID, key string) (grant.Participant, error) {
	if _, err := tx.t.exec(ctx, `INSERT INTO participants (meeting_uuid, participant_key, account_id, meeting_id)
		VALUES ($1, $2, $3, $4) ON CONFLICT (meeting_uuid, participant_key) DO NOTHING`,
		meetingUUID, key, accountID, meetingID); err != nil {
		return grant.Participant{}, fmt.Errorf("store: lock participant: %w", err)
	}
	p, err := scanParticipant(tx.t.queryRow(ctx, `SELECT `+participantColumns+` FROM participants
		WHERE meeting_uuid = $1 AND participant_key = $2`+tx.d.forUpdate, meetingUUID, key))
	if err != nil {
		return p, fmt.Errorf("store: lock participant: %w", err)
	}
	return p, nil
}

// SaveParticipant writes a participant locked with LockParticipant.
func (tx Tx) SaveParticipant(ctx context.Context, p grant.Participant) error {
	_, err := tx.t.exec(ctx, `UPDATE participants SET user_id = $3, zoom_user_id = $4, name = $5, email = $6,
		phone = $7, joined_at = $8, left_at = $9, state = $10, granter = $11, reason = $12, detail = $13,
		join_seen_at = $14, granted_at = $15, confirmed_at = $16, attempts = $17, updated_at = $18
		WHERE meeting_uuid = $1 AND participant_key = $2`,
		p.MeetingUUID, p.Key, p.UserID, p.ZoomUserID, p.Name, p.Email, p.Phone, millis(p.JoinedAt), millis(p.LeftAt),
		string(p.State), p.Granter, string(p.Reason), boundDetail(p.Detail), millis(p.JoinSeenAt), millis(p.GrantedAt),
		millis(p.ConfirmedAt), p.Attempts, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("store: save participant: %w", err)
	}
	return nil
}

// GetParticipant reads one ledger row.
func (s *Store) GetParticipant(ctx context.Context, meetingUUID, key string) (grant.Participant, error) {
	p, err := scanParticipant(s.eng.db().queryRow(ctx, `SELECT `+participantColumns+` FROM participants
		WHERE meeting_uuid = $1 AND participant_key = $2`, meetingUUID, key))
	if err != nil {
		return p, fmt.Errorf("store: get participant: %w", err)
	}
	return p, nil
}

// ListParticipants returns a meeting's ledger rows (all its instances),
// in join order.
func (s *Store) ListParticipants(ctx context.Context, accountID, meetingID string) ([]grant.Participant, error) {
	r, err := s.eng.db().query(ctx, `SELECT `+participantColumns+` FROM participants
		WHERE account_id = $1 AND meeting_id = $2 ORDER BY joined_at, participant_key`, accountID, meetingID)
	if err != nil {
		return nil, fmt.Errorf("store: list participants: %w", err)
	}
	defer r.Close()
	var out []grant.Participant
	for r.Next() {
		p, err := scanParticipant(r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, r.Err()
}

// ParticipantKeys lists the keys of a meeting instance's ledger rows in the
// given states.
func (tx Tx) ParticipantKeys(ctx context.Context, meetingUUID string, states ...grant.State) ([]string, error) {
	r, err := tx.t.query(ctx, `SELECT participant_key, state FROM participants WHERE meeting_uuid = $1`, meetingUUID)
	if err != nil {
		return nil, fmt.Errorf("store: participant keys: %w", err)
	}
	defer r.Close()
	var out []string
	for r.Next() {
		var key, state string
		if err := r.Scan(&key, &state); err != nil {
			return nil, err
		}
		for _, s := range states {
			if grant.State(state) == s {
				out = append(out, key)
			}
		}
	}
	return out, r.Err()
}

// PendingGrants counts participants whose grant is pending.
func (s *Store) PendingGrants(ctx context.Context) (int64, error) {
	var n int64
	err := s.eng.db().queryRow(ctx, `SELECT count(*) FROM participants WHERE state = 'pending'`).Scan(&n)
	return n, err
}

// LiveMeetings counts meetings that have started and not ended.
func (s *Store) LiveMeetings(ctx context.Context) (int64, error) {
	var n int64
	err := s.eng.db().queryRow(ctx, `SELECT count(*) FROM meetings WHERE status = 'started'`).Scan(&n)
	return n, err
}

// SetGranterState records what a granter did for a meeting.
func (s *Store) SetGranterState(ctx context.Context, accountID, meetingID string, st grant.GranterState) error {
	_, err := s.eng.db().exec(ctx, `INSERT INTO meeting_granters (account_id, meeting_id, granter, state, detail, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, meeting_id, granter)
		DO UPDATE SET state = excluded.state, detail = excluded.detail, updated_at = excluded.updated_at`,
		accountID, meetingID, st.Granter, string(st.Phase), st.Detail, millis(st.At))
	if err != nil {
		return fmt.Errorf("store: set granter state: %w", err)
	}
	return nil
}

// GranterStates lists what each granter did for a meeting.
func (s *Store) GranterStates(ctx context.Context, accountID, meetingID string) ([]grant.GranterState, error) {
	r, err := s.eng.db().query(ctx, `SELECT granter, state, detail, updated_at FROM meeting_granters
		WHERE account_id = $1 AND meeting_id = $2 ORDER BY granter`, accountID, meetingID)
	if err != nil {
		return nil, fmt.Errorf("store: granter states: %w", err)
	}
	defer r.Close()
	var out []grant.GranterState
	for r.Next() {
		var (
			g     grant.GranterState
			phase string
			at    int64
		)
		if err := r.Scan(&g.Granter, &phase, &g.Detail, &at); err != nil {
			return nil, err
		}
		g.Phase = grant.GranterPhase(phase)
		g.At = fromMillis(at)
		out = append(out, g)
	}
	return out, r.Err()
}

// DeleteAccount removes everything cohost keeps about a Zoom account
// (app_deauthorized), its River jobs included, and on SQLite checkpoints the
// deleted rows out of the write-ahead log.
func (s *Store) DeleteAccount(ctx context.Context, accountID string) error {
	err := s.InTx(ctx, func(tx Tx) error {
		for _, q := range append(eraseAccountStatements(tx.d), []string{
			`DELETE FROM participants WHERE account_id = $1`,
			`DELETE FROM meeting_granters WHERE account_id = $1`,
			`DELETE FROM host_setting_meetings WHERE account_id = $1`,
			`DELETE FROM host_links WHERE account_id = $1`,
			`DELETE FROM host_pages WHERE account_id = $1`,
			`DELETE FROM host_promotions WHERE account_id = $1`,
			`DELETE FROM host_settings WHERE account_id = $1`,
			`DELETE FROM meetings WHERE account_id = $1`,
			`DELETE FROM webhook_events WHERE account_id = $1`,
			`DELETE FROM meeting_updates WHERE account_id = $1`,
			`DELETE FROM alternative_host_queue WHERE account_id = $1`,
		}...) {
			if _, err := tx.t.exec(ctx, q, accountID); err != nil {
				return fmt.Errorf("store: delete account: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.eng.purge(ctx)
}

// maxDetailBytes bounds a grant's detail: it holds what Zoom or the agent
// said, which cohost does not control.
const maxDetailBytes = 1000

func boundDetail(s string) string {
	if len(s) <= maxDetailBytes {
		return s
	}
	s = s[:maxDetailBytes]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
