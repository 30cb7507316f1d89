package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cohost-dev/cohost/grant"
)

// column is a column of a table and the value a missing row reads as (the
// table's default), for reads that outer-join it.
type column struct{ name, zero string }

func columnList(cols []column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// orZero selects cols of the outer-joined table alias, a missing row's
// NULLs read as the table's defaults.
func orZero(alias string, cols []column) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = "COALESCE(" + alias + "." + c.name + ", " + c.zero + ")"
	}
	return strings.Join(out, ", ")
}

var meetingCols = []column{{"account_id", "''"}, {"meeting_id", "''"}, {"uuid", "''"}, {"host_id", "''"},
	{"host_email", "''"}, {"topic", "''"}, {"start_time", "0"}, {"tracking_fields", "'{}'"},
	{"status", "'scheduled'"}, {"status_at", "0"}, {"started_at", "0"}, {"ended_at", "0"}}

var meetingColumns = columnList(meetingCols)

// meetingRow receives a meetings row selected in meetingColumns' order.
type meetingRow struct {
	m                                   grant.Meeting
	start, statusAt, startedAt, endedAt int64
	tracking, status                    string
}

func (r *meetingRow) dest() []any {
	return []any{&r.m.AccountID, &r.m.ID, &r.m.UUID, &r.m.HostID, &r.m.HostEmail, &r.m.Topic, &r.start, &r.tracking,
		&r.status, &r.statusAt, &r.startedAt, &r.endedAt}
}

func (r *meetingRow) meeting() grant.Meeting {
	m := r.m
	m.StartTime, m.StatusAt, m.StartedAt, m.EndedAt = fromMillis(r.start), fromMillis(r.statusAt), fromMillis(r.startedAt), fromMillis(r.endedAt)
	m.Status = grant.MeetingStatus(r.status)
	_ = json.Unmarshal([]byte(r.tracking), &m.TrackingFields)
	return m
}

func scanMeeting(r row) (grant.Meeting, error) {
	var mr meetingRow
	if err := r.Scan(mr.dest()...); err != nil {
		return grant.Meeting{}, err
	}
	return mr.meeting(), nil
}

// LockMeeting returns the meeting, creating an empty scheduled record when
// there is none, and holds its row until the transaction ends: one upsert
// that returns the row (on PostgreSQL its DO UPDATE takes the row lock, as
// SELECT … FOR UPDATE would). Status changes take it; joins do not
// (ReadMeetingParticipant).
func (tx Tx) LockMeeting(ctx context.Context, accountID, meetingID string) (grant.Meeting, error) {
	m, err := scanMeeting(tx.t.queryRow(ctx, `INSERT INTO meetings (account_id, meeting_id) VALUES ($1, $2)
		ON CONFLICT (account_id, meeting_id) DO UPDATE SET account_id = excluded.account_id
		RETURNING `+meetingColumns, accountID, meetingID))
	if err != nil {
		return m, fmt.Errorf("store: lock meeting: %w", err)
	}
	return m, nil
}

// EnsureMeeting creates the meeting's record when there is none, and records
// its host when none is recorded yet, without locking it: what a join needs
// of its meeting. A meeting that has its host is not written at all. Held
// in a pipelined transaction (InTxPipelined).
func (tx Tx) EnsureMeeting(ctx context.Context, accountID, meetingID, hostID string) error {
	if err := tx.t.execLater(ctx, `INSERT INTO meetings (account_id, meeting_id, host_id, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id, meeting_id) DO UPDATE SET host_id = excluded.host_id, updated_at = excluded.updated_at
		WHERE meetings.host_id = '' AND excluded.host_id <> ''`,
		accountID, meetingID, hostID, time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("store: ensure meeting: %w", err)
	}
	return nil
}

// SaveMeeting writes a meeting locked with LockMeeting. Held in a pipelined
// transaction (InTxPipelined).
func (tx Tx) SaveMeeting(ctx context.Context, m grant.Meeting) error {
	tracking, _ := json.Marshal(m.TrackingFields)
	if m.TrackingFields == nil {
		tracking = []byte("{}")
	}
	err := tx.t.execLater(ctx, `UPDATE meetings SET uuid = $3, host_id = $4, host_email = $5, topic = $6,
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

var participantCols = []column{{"meeting_uuid", "''"}, {"participant_key", "''"}, {"account_id", "''"},
	{"meeting_id", "''"}, {"user_id", "''"}, {"zoom_user_id", "''"}, {"name", "''"}, {"email", "''"}, {"phone", "''"},
	{"joined_at", "0"}, {"left_at", "0"}, {"state", "'pending'"}, {"granter", "''"}, {"reason", "''"}, {"detail", "''"},
	{"join_seen_at", "0"}, {"granted_at", "0"}, {"confirmed_at", "0"}, {"attempts", "0"}, {"version", "0"}}

var participantColumns = columnList(participantCols)

// participantRow receives a participants row selected in
// participantColumns' order.
type participantRow struct {
	p                                      grant.Participant
	joined, left, seen, granted, confirmed int64
	state, reason                          string
	version                                int64
}

func (r *participantRow) dest() []any {
	p := &r.p
	return []any{&p.MeetingUUID, &p.Key, &p.AccountID, &p.MeetingID, &p.UserID, &p.ZoomUserID, &p.Name, &p.Email,
		&p.Phone, &r.joined, &r.left, &r.state, &p.Granter, &r.reason, &p.Detail, &r.seen, &r.granted, &r.confirmed,
		&p.Attempts, &r.version}
}

func (r *participantRow) participant() grant.Participant {
	p := r.p
	p.State, p.Reason = grant.State(r.state), grant.Reason(r.reason)
	p.JoinedAt, p.LeftAt, p.JoinSeenAt = fromMillis(r.joined), fromMillis(r.left), fromMillis(r.seen)
	p.GrantedAt, p.ConfirmedAt = fromMillis(r.granted), fromMillis(r.confirmed)
	return p
}

func scanParticipant(r row) (grant.Participant, error) {
	var pr participantRow
	if err := r.Scan(pr.dest()...); err != nil {
		return grant.Participant{}, err
	}
	return pr.participant(), nil
}

// LockParticipant returns the participant's ledger row, creating it (state
// pending, nothing joined) when there is none, and holds it until the
// transaction ends: one upsert that returns the row, as LockMeeting.
func (tx Tx) LockParticipant(ctx context.Context, accountID, meetingID, meetingUUID, key string) (grant.Participant, error) {
	p, err := scanParticipant(tx.t.queryRow(ctx, `INSERT INTO participants (meeting_uuid, participant_key, account_id, meeting_id)
		VALUES ($1, $2, $3, $4) ON CONFLICT (meeting_uuid, participant_key) DO UPDATE SET account_id = excluded.account_id
		RETURNING `+participantColumns, meetingUUID, key, accountID, meetingID))
	if err != nil {
		return p, fmt.Errorf("store: lock participant: %w", err)
	}
	return p, nil
}

// SaveParticipant writes a participant locked with LockParticipant. Held in
// a pipelined transaction (InTxPipelined).
func (tx Tx) SaveParticipant(ctx context.Context, p grant.Participant) error {
	err := tx.t.execLater(ctx, `UPDATE participants SET user_id = $3, zoom_user_id = $4, name = $5, email = $6,
		phone = $7, joined_at = $8, left_at = $9, state = $10, granter = $11, reason = $12, detail = $13,
		join_seen_at = $14, granted_at = $15, confirmed_at = $16, attempts = $17, updated_at = $18, version = version + 1
		WHERE meeting_uuid = $1 AND participant_key = $2`, participantArgs(p)...)
	if err != nil {
		return fmt.Errorf("store: save participant: %w", err)
	}
	return nil
}

func participantArgs(p grant.Participant) []any {
	return []any{p.MeetingUUID, p.Key, p.UserID, p.ZoomUserID, p.Name, p.Email, p.Phone, millis(p.JoinedAt), millis(p.LeftAt),
		string(p.State), p.Granter, string(p.Reason), boundDetail(p.Detail), millis(p.JoinSeenAt), millis(p.GrantedAt),
		millis(p.ConfirmedAt), p.Attempts, time.Now().UnixMilli()}
}

// ErrConflict means a row changed between the read a write was computed
// from and the write (SaveParticipantRead): read again and recompute.
var ErrConflict = grant.ErrConflict

// ParticipantRead is a participant's ledger row as read without a lock
// (ReadMeetingParticipant) or as last written (SaveParticipantRead), with
// what SaveParticipantRead needs to write over it only if nobody changed it
// in between.
type ParticipantRead struct {
	grant.Participant
	// Found: the row existed.
	Found bool
	// Version is the row's version; every write raises it.
	Version int64
}

// MeetingParticipant is a meeting and one of its participants, read together.
type MeetingParticipant struct {
	// Meeting is the meeting's record; a missing one reads as an empty
	// scheduled record with the ids asked for (MeetingFound false).
	Meeting      grant.Meeting
	MeetingFound bool
	// Participant is the participant's row; a missing one reads as pending,
	// nothing joined, with the ids asked for (Found false).
	Participant ParticipantRead
}

var readMeetingParticipantSQL = `SELECT ` + orZero("m", meetingCols) + `, m.account_id IS NOT NULL, ` +
	orZero("p", participantCols) + `, p.meeting_uuid IS NOT NULL
	FROM (SELECT 1 AS one) AS one
	LEFT JOIN meetings m ON m.account_id = $1 AND m.meeting_id = $2
	LEFT JOIN participants p ON p.meeting_uuid = $3 AND p.participant_key = $4`

// readMeetingParticipant is one statement for what a join or a grant needs:
// the meeting (its host and scope) and the participant, neither locked.
func readMeetingParticipant(ctx context.Context, q querier, accountID, meetingID, meetingUUID, key string) (MeetingParticipant, error) {
	var (
		mr  meetingRow
		pr  participantRow
		out MeetingParticipant
	)
	dest := append(mr.dest(), &out.MeetingFound)
	dest = append(dest, pr.dest()...)
	dest = append(dest, &out.Participant.Found)
	if err := q.queryRow(ctx, readMeetingParticipantSQL, accountID, meetingID, meetingUUID, key).Scan(dest...); err != nil {
		return MeetingParticipant{}, fmt.Errorf("store: read meeting and participant: %w", err)
	}
	out.Meeting = mr.meeting()
	if !out.MeetingFound {
		out.Meeting.AccountID, out.Meeting.ID = accountID, meetingID
	}
	out.Participant.Participant, out.Participant.Version = pr.participant(), pr.version
	if !out.Participant.Found {
		p := &out.Participant.Participant
		p.AccountID, p.MeetingID, p.MeetingUUID, p.Key = accountID, meetingID, meetingUUID, key
	}
	return out, nil
}

// ReadMeetingParticipant reads a meeting and one of its participants in one
// statement, without locking either: a join needs of the meeting only its
// host and scope, and writes the participant back with
// SaveParticipantRead, which detects a change made in between.
func (tx Tx) ReadMeetingParticipant(ctx context.Context, accountID, meetingID, meetingUUID, key string) (MeetingParticipant, error) {
	return readMeetingParticipant(ctx, tx.t, accountID, meetingID, meetingUUID, key)
}

// ReadMeetingParticipant is Tx.ReadMeetingParticipant outside a transaction.
func (s *Store) ReadMeetingParticipant(ctx context.Context, accountID, meetingID, meetingUUID, key string) (MeetingParticipant, error) {
	return readMeetingParticipant(ctx, s.eng.db(), accountID, meetingID, meetingUUID, key)
}

// participantWrite is the statement that writes p over the row r was read
// from: an UPDATE guarded by the row's version, or, when r found no row, an
// INSERT that does nothing if another transaction created it meanwhile.
// Either changes no row when the row moved on since the read.
func participantWrite(r ParticipantRead, p grant.Participant) (string, []any) {
	if r.Found {
		return `UPDATE participants SET user_id = $3, zoom_user_id = $4, name = $5, email = $6,
			phone = $7, joined_at = $8, left_at = $9, state = $10, granter = $11, reason = $12, detail = $13,
			join_seen_at = $14, granted_at = $15, confirmed_at = $16, attempts = $17, updated_at = $18, version = version + 1
			WHERE meeting_uuid = $1 AND participant_key = $2 AND version = $19`, append(participantArgs(p), r.Version)
	}
	return `INSERT INTO participants (meeting_uuid, participant_key, user_id, zoom_user_id, name, email,
			phone, joined_at, left_at, state, granter, reason, detail, join_seen_at, granted_at, confirmed_at, attempts,
			updated_at, account_id, meeting_id, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 1)
			ON CONFLICT (meeting_uuid, participant_key) DO NOTHING`, append(participantArgs(p), p.AccountID, p.MeetingID)
}

// written is the row as participantWrite left it.
func written(r ParticipantRead, p grant.Participant) ParticipantRead {
	if !r.Found {
		return ParticipantRead{Participant: p, Found: true, Version: 1}
	}
	return ParticipantRead{Participant: p, Found: true, Version: r.Version + 1}
}

// saveParticipantRead writes p over the row r was read from, in one
// statement, unless that row changed since (or, when r found none, another
// transaction created it): then ErrConflict. An unchanged p writes nothing.
// It returns the row as written.
func saveParticipantRead(ctx context.Context, q querier, r ParticipantRead, p grant.Participant) (ParticipantRead, error) {
	if r.Found && sameParticipant(r.Participant, p) {
		return r, nil
	}
	query, args := participantWrite(r, p)
	n, err := q.exec(ctx, query, args...)
	if err != nil {
		return ParticipantRead{}, fmt.Errorf("store: save participant: %w", err)
	}
	if n == 0 {
		return ParticipantRead{}, ErrConflict
	}
	return written(r, p), nil
}

// SaveParticipantRead writes p, computed from r, over the row r was read
// from, in one statement: ErrConflict when another transaction changed (or
// created) the row since the read. An unchanged p writes nothing. It
// returns the row as written, for a later SaveParticipantRead over it.
func (tx Tx) SaveParticipantRead(ctx context.Context, r ParticipantRead, p grant.Participant) (ParticipantRead, error) {
	return saveParticipantRead(ctx, tx.t, r, p)
}

// SaveParticipantRead is Tx.SaveParticipantRead as a transaction of its own.
func (s *Store) SaveParticipantRead(ctx context.Context, r ParticipantRead, p grant.Participant) (ParticipantRead, error) {
	return saveParticipantRead(ctx, s.eng.db(), r, p)
}

// EventMark records how an event was processed (Tx.MarkEventProcessed).
type EventMark struct {
	ID      string
	At      time.Time
	Outcome string
}

// ErrEventProcessed means the event was already marked processed: an
// earlier attempt committed its work. The caller rolls back.
var ErrEventProcessed = errors.New("store: event already processed")

// The SQLSTATEs cohost_expect (migration 0012) raises: a held write's
// condition failed, and the transaction with it.
const (
	sqlstateEventProcessed = "CH001"
	sqlstateConflict       = "CH002"
)

// SaveParticipantMarking is SaveParticipantRead and MarkEventProcessed for
// the event the write applies: one statement on PostgreSQL (a data-modifying
// WITH runs both, and fails if either changed nothing: cohost_expect), two
// on SQLite, where statements cost no round trip. It fails with
// ErrEventProcessed before ErrConflict. Held in a pipelined transaction
// (InTxPipelined), which then returns those errors.
func (tx Tx) SaveParticipantMarking(ctx context.Context, r ParticipantRead, p grant.Participant, m EventMark) (ParticipantRead, error) {
	if r.Found && sameParticipant(r.Participant, p) {
		return r, tx.mark(ctx, m)
	}
	if tx.d != dialectPostgres {
		if err := tx.mark(ctx, m); err != nil {
			return ParticipantRead{}, err
		}
		return saveParticipantRead(ctx, tx.t, r, p)
	}
	_, args := participantWrite(r, p)
	args = append(args, millis(m.At), m.Outcome, m.ID)
	if err := tx.t.execLater(ctx, markingSQL[r.Found], args...); err != nil {
		if errors.Is(err, ErrEventProcessed) || errors.Is(err, ErrConflict) {
			return ParticipantRead{}, err
		}
		return ParticipantRead{}, fmt.Errorf("store: save participant and mark event %s processed: %w", m.ID, err)
	}
	return written(r, p), nil
}

// markingSQL is SaveParticipantMarking's statement on PostgreSQL, by
// whether the participant's row was found (an UPDATE over it, or an
// INSERT), built once: the marking's three arguments follow the write's.
var markingSQL = func() map[bool]string {
	out := map[bool]string{}
	for _, found := range []bool{false, true} {
		query, args := participantWrite(ParticipantRead{Found: found}, grant.Participant{})
		n := len(args)
		out[found] = fmt.Sprintf(`WITH mark AS (UPDATE webhook_events SET processed_at = $%d, outcome = $%d
			WHERE id = $%d AND %s RETURNING 1), written AS (%s RETURNING 1)
			SELECT cohost_expect((SELECT count(*) FROM mark), (SELECT count(*) FROM written))`, n+1, n+2, n+3, openEvent, query)
	}
	return out
}()

func (tx Tx) mark(ctx context.Context, m EventMark) error {
	return tx.MarkEventProcessed(ctx, m.ID, m.At, m.Outcome)
}

// sameParticipant reports whether a and b hold the same values (times
// compared as instants).
func sameParticipant(a, b grant.Participant) bool {
	times := func(p grant.Participant) [5]int64 {
		return [5]int64{millis(p.JoinedAt), millis(p.LeftAt), millis(p.JoinSeenAt), millis(p.GrantedAt), millis(p.ConfirmedAt)}
	}
	if times(a) != times(b) {
		return false
	}
	a.JoinedAt, a.LeftAt, a.JoinSeenAt, a.GrantedAt, a.ConfirmedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
	b.JoinedAt, b.LeftAt, b.JoinSeenAt, b.GrantedAt, b.ConfirmedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return a == b
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
			`DELETE FROM host_sessions WHERE account_id = $1`,
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

// ParticipantKey is the ledger key of the participant an event names by key
// (participant_uuid, or user_id) and user id: the row with that key, else
// the instance's row of the same per-join user id (Zoom says a
// participantUUID may change with the role, and a leave or a role change may
// then carry the new one), else key itself.
func (s *Store) ParticipantKey(ctx context.Context, meetingUUID, key, userID string) (string, error) {
	if userID == "" || userID == key {
		return key, nil
	}
	var found string
	err := s.eng.db().queryRow(ctx, `SELECT participant_key FROM participants
		WHERE meeting_uuid = $1 AND (participant_key = $2 OR user_id = $3)
		ORDER BY CASE WHEN participant_key = $2 THEN 0 ELSE 1 END, joined_at DESC LIMIT 1`,
		meetingUUID, key, userID).Scan(&found)
	switch {
	case errors.Is(err, ErrNotFound):
		return key, nil
	case err != nil:
		return "", fmt.Errorf("store: participant key: %w", err)
	}
	return found, nil
}
