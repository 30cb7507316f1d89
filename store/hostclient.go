package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cohost-dev/cohost/grant"
)

// This file keeps the host client's state (hostclient and the host-client
// granter): host links, the page that runs each meeting, and its promotions.

// HostLink is one minted host link. Only the hash of its secret is stored.
type HostLink struct {
	TokenHash string
	AccountID string
	MeetingID string
	CreatedAt time.Time
	ExpiresAt time.Time
	// RevokedAt is zero while the link is good.
	RevokedAt time.Time
}

// CreateHostLink stores a new link.
func (s *Store) CreateHostLink(ctx context.Context, l HostLink) error {
	if _, err := s.eng.db().exec(ctx, `INSERT INTO host_links (token_hash, account_id, meeting_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, l.TokenHash, l.AccountID, l.MeetingID, millis(l.CreatedAt), millis(l.ExpiresAt)); err != nil {
		return fmt.Errorf("store: create host link: %w", err)
	}
	return nil
}

// HostLinkByHash reads the link whose secret hashes to hash, or returns
// ErrNotFound.
func (s *Store) HostLinkByHash(ctx context.Context, hash string) (HostLink, error) {
	l := HostLink{TokenHash: hash}
	var created, expires, revoked int64
	err := s.eng.db().queryRow(ctx, `SELECT account_id, meeting_id, created_at, expires_at, revoked_at FROM host_links
		WHERE token_hash = $1`, hash).Scan(&l.AccountID, &l.MeetingID, &created, &expires, &revoked)
	if err != nil {
		return l, fmt.Errorf("store: host link: %w", err)
	}
	l.CreatedAt, l.ExpiresAt, l.RevokedAt = fromMillis(created), fromMillis(expires), fromMillis(revoked)
	return l, nil
}

// RevokeHostLinks revokes every link of the meeting and releases its page,
// so the page that runs the meeting stops at its next request. It returns
// how many links it revoked (expired ones included).
func (s *Store) RevokeHostLinks(ctx context.Context, accountID, meetingID string, at time.Time) (int64, error) {
	var n int64
	err := s.InTx(ctx, func(tx Tx) error {
		var err error
		n, err = tx.t.exec(ctx, `UPDATE host_links SET revoked_at = $3
			WHERE account_id = $1 AND meeting_id = $2 AND revoked_at = 0`, accountID, meetingID, millis(at))
		if err != nil {
			return err
		}
		_, err = tx.t.exec(ctx, `UPDATE host_pages SET session_id = '', inflight_call = '', inflight_key = '', inflight_until = 0
			WHERE account_id = $1 AND meeting_id = $2`, accountID, meetingID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: revoke host links: %w", err)
	}
	return n, nil
}

// HostPage is the page that runs a meeting, as its last sync left it.
type HostPage struct {
	AccountID   string
	MeetingID   string
	MeetingUUID string
	// SessionID is the page load that holds the meeting ("" when none).
	SessionID string
	ClaimedAt time.Time
	SeenAt    time.Time
	// Connection is what the page reported (api.HostConn*).
	Connection string
	// HostUserID is the page's own SDK user id.
	HostUserID int64
	// The one makeCoHost in flight: its call id, its target's match key, and
	// the lease after which it counts as lost.
	InflightCall  string
	InflightKey   string
	InflightUntil time.Time
	// LastCallAt is when the last makeCoHost was issued (the pace).
	LastCallAt time.Time
	// EndedAt is set when the meeting ended; the page stops.
	EndedAt time.Time
}

const hostPageColumns = `account_id, meeting_id, meeting_uuid, session_id, claimed_at, seen_at, connection, host_user_id,
	inflight_call, inflight_key, inflight_until, last_call_at, ended_at`

func scanHostPage(r row) (HostPage, error) {
	var (
		p                                            HostPage
		claimed, seen, until, lastCall, ended, hostU int64
	)
	err := r.Scan(&p.AccountID, &p.MeetingID, &p.MeetingUUID, &p.SessionID, &claimed, &seen, &p.Connection, &hostU,
		&p.InflightCall, &p.InflightKey, &until, &lastCall, &ended)
	p.ClaimedAt, p.SeenAt, p.InflightUntil, p.LastCallAt, p.EndedAt = fromMillis(claimed), fromMillis(seen), fromMillis(until),
		fromMillis(lastCall), fromMillis(ended)
	p.HostUserID = hostU
	return p, err
}

// GetHostPage reads the meeting's page, or returns ErrNotFound when no page
// ever ran it.
func (s *Store) GetHostPage(ctx context.Context, accountID, meetingID string) (HostPage, error) {
	p, err := scanHostPage(s.eng.db().queryRow(ctx, `SELECT `+hostPageColumns+` FROM host_pages
		WHERE account_id = $1 AND meeting_id = $2`, accountID, meetingID))
	if err != nil {
		return p, fmt.Errorf("store: host page: %w", err)
	}
	return p, nil
}

// LockHostPage returns the meeting's page row, creating an empty one, and
// holds it until the transaction ends: syncs of one meeting are serialised
// across replicas, which is what keeps one makeCoHost in flight.
func (tx Tx) LockHostPage(ctx context.Context, accountID, meetingID string) (HostPage, error) {
	if _, err := tx.t.exec(ctx, `INSERT INTO host_pages (account_id, meeting_id) VALUES ($1, $2)
		ON CONFLICT (account_id, meeting_id) DO NOTHING`, accountID, meetingID); err != nil {
		return HostPage{}, fmt.Errorf("store: lock host page: %w", err)
	}
	p, err := scanHostPage(tx.t.queryRow(ctx, `SELECT `+hostPageColumns+` FROM host_pages
		WHERE account_id = $1 AND meeting_id = $2`+tx.d.forUpdate, accountID, meetingID))
	if err != nil {
		return p, fmt.Errorf("store: lock host page: %w", err)
	}
	return p, nil
}

// SaveHostPage writes a page row locked with LockHostPage.
func (tx Tx) SaveHostPage(ctx context.Context, p HostPage) error {
	_, err := tx.t.exec(ctx, `UPDATE host_pages SET meeting_uuid = $3, session_id = $4, claimed_at = $5, seen_at = $6,
		connection = $7, host_user_id = $8, inflight_call = $9, inflight_key = $10, inflight_until = $11,
		last_call_at = $12, ended_at = $13 WHERE account_id = $1 AND meeting_id = $2`,
		p.AccountID, p.MeetingID, p.MeetingUUID, p.SessionID, millis(p.ClaimedAt), millis(p.SeenAt), p.Connection,
		p.HostUserID, p.InflightCall, p.InflightKey, millis(p.InflightUntil), millis(p.LastCallAt), millis(p.EndedAt))
	if err != nil {
		return fmt.Errorf("store: save host page: %w", err)
	}
	return nil
}

// HostPromotion is the host page's work on one participant.
type HostPromotion struct {
	MeetingUUID string
	MatchKey    string
	AccountID   string
	MeetingID   string
	// Done: the SDK confirmed the co-host role (or the roster showed it).
	Done     bool
	Attempts int
	// NextAt is when the page may try again after a failed call.
	NextAt time.Time
	// Reason and Detail say why the last try did not make them co-host.
	Reason grant.Reason
	Detail string
	DoneAt time.Time
}

const hostPromotionColumns = `meeting_uuid, match_key, account_id, meeting_id, state, attempts, next_at, reason, detail, done_at`

func scanHostPromotion(r row) (HostPromotion, error) {
	var (
		p             HostPromotion
		state, reason string
		next, done    int64
	)
	err := r.Scan(&p.MeetingUUID, &p.MatchKey, &p.AccountID, &p.MeetingID, &state, &p.Attempts, &next, &reason, &p.Detail, &done)
	p.Done, p.Reason, p.NextAt, p.DoneAt = state == "done", grant.Reason(reason), fromMillis(next), fromMillis(done)
	return p, err
}

// HostPromotion reads one promotion, or returns ErrNotFound.
func (s *Store) HostPromotion(ctx context.Context, meetingUUID, matchKey string) (HostPromotion, error) {
	p, err := scanHostPromotion(s.eng.db().queryRow(ctx, `SELECT `+hostPromotionColumns+` FROM host_promotions
		WHERE meeting_uuid = $1 AND match_key = $2`, meetingUUID, matchKey))
	if err != nil {
		return p, fmt.Errorf("store: host promotion: %w", err)
	}
	return p, nil
}

// HostPromotions lists a meeting instance's promotions.
func (tx Tx) HostPromotions(ctx context.Context, meetingUUID string) ([]HostPromotion, error) {
	r, err := tx.t.query(ctx, `SELECT `+hostPromotionColumns+` FROM host_promotions WHERE meeting_uuid = $1`, meetingUUID)
	if err != nil {
		return nil, fmt.Errorf("store: host promotions: %w", err)
	}
	defer r.Close()
	var out []HostPromotion
	for r.Next() {
		p, err := scanHostPromotion(r)
		if err != nil {
			return nil, fmt.Errorf("store: host promotions: %w", err)
		}
		out = append(out, p)
	}
	return out, r.Err()
}

// SaveHostPromotion inserts or replaces a promotion.
func (tx Tx) SaveHostPromotion(ctx context.Context, p HostPromotion) error {
	state := "waiting"
	if p.Done {
		state = "done"
	}
	_, err := tx.t.exec(ctx, `INSERT INTO host_promotions (meeting_uuid, match_key, account_id, meeting_id, state, attempts,
		next_at, reason, detail, done_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (meeting_uuid, match_key) DO UPDATE SET state = excluded.state, attempts = excluded.attempts,
		next_at = excluded.next_at, reason = excluded.reason, detail = excluded.detail, done_at = excluded.done_at,
		updated_at = excluded.updated_at`,
		p.MeetingUUID, p.MatchKey, p.AccountID, p.MeetingID, state, p.Attempts, millis(p.NextAt), string(p.Reason),
		boundDetail(p.Detail), millis(p.DoneAt), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("store: save host promotion: %w", err)
	}
	return nil
}

// InstanceParticipants lists one meeting instance's ledger rows, in join order.
func (tx Tx) InstanceParticipants(ctx context.Context, meetingUUID string) ([]grant.Participant, error) {
	r, err := tx.t.query(ctx, `SELECT `+participantColumns+` FROM participants
		WHERE meeting_uuid = $1 ORDER BY joined_at, participant_key`, meetingUUID)
	if err != nil {
		return nil, fmt.Errorf("store: instance participants: %w", err)
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

// EndHostPage marks the meeting's page ended (the page stops at its next
// sync) and drops the promotions of the instance that ended. The call in
// flight is kept: its result, if the page still sends it, says who made
// that participant co-host. The page's next start clears it.
func (s *Store) EndHostPage(ctx context.Context, accountID, meetingID, meetingUUID string, at time.Time) error {
	err := s.InTx(ctx, func(tx Tx) error {
		if _, err := tx.t.exec(ctx, `UPDATE host_pages SET ended_at = $3
			WHERE account_id = $1 AND meeting_id = $2 AND (meeting_uuid = $4 OR meeting_uuid = '')`,
			accountID, meetingID, millis(at), meetingUUID); err != nil {
			return err
		}
		_, err := tx.t.exec(ctx, `DELETE FROM host_promotions WHERE meeting_uuid = $1`, meetingUUID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: end host page: %w", err)
	}
	return nil
}
