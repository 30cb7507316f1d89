package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/hostclient"
)

// This file keeps the host client's records (package hostclient declares
// them and the Store it needs): host links, the page that runs each
// meeting, and its promotions. The store only reads and writes them; what
// they mean is hostclient's.

var _ hostclient.Store = (*Store)(nil)

// CreateHostLink stores a new link.
func (s *Store) CreateHostLink(ctx context.Context, l hostclient.LinkRecord) error {
	if _, err := s.eng.db().exec(ctx, `INSERT INTO host_links (token_hash, account_id, meeting_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, l.TokenHash, l.AccountID, l.MeetingID, millis(l.CreatedAt), millis(l.ExpiresAt)); err != nil {
		return fmt.Errorf("store: create host link: %w", err)
	}
	return nil
}

// HostLinkByHash reads the link whose secret hashes to hash, or returns
// ErrNotFound.
func (s *Store) HostLinkByHash(ctx context.Context, hash string) (hostclient.LinkRecord, error) {
	l := hostclient.LinkRecord{TokenHash: hash}
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
// so the page that runs the meeting stops at its next request. The call in
// flight stays: no new page calls for anyone before its result or lease.
func (s *Store) RevokeHostLinks(ctx context.Context, accountID, meetingID string, at time.Time) (int64, error) {
	var n int64
	err := s.InTx(ctx, func(tx Tx) error {
		var err error
		n, err = tx.t.exec(ctx, `UPDATE host_links SET revoked_at = $3
			WHERE account_id = $1 AND meeting_id = $2 AND revoked_at = 0`, accountID, meetingID, millis(at))
		if err != nil {
			return err
		}
		_, err = tx.t.exec(ctx, `UPDATE host_pages SET session_id = '' WHERE account_id = $1 AND meeting_id = $2`, accountID, meetingID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: revoke host links: %w", err)
	}
	return n, nil
}

// RecordMeeting creates or updates the meeting's record under its lock.
func (s *Store) RecordMeeting(ctx context.Context, accountID, meetingID string, fn func(*grant.Meeting)) error {
	return s.InTx(ctx, func(tx Tx) error {
		m, err := tx.LockMeeting(ctx, accountID, meetingID)
		if err != nil {
			return err
		}
		fn(&m)
		m.AccountID, m.ID = accountID, meetingID
		return tx.SaveMeeting(ctx, m)
	})
}

const hostPageColumns = `account_id, meeting_id, meeting_uuid, session_id, claimed_at, seen_at, connection, host_user_id,
	inflight_call, inflight_key, inflight_until, last_call_at, ended_at, starts, starts_since`

func scanHostPage(r row) (hostclient.Page, error) {
	var (
		p                                            hostclient.Page
		claimed, seen, until, lastCall, ended, since int64
	)
	err := r.Scan(&p.AccountID, &p.MeetingID, &p.MeetingUUID, &p.SessionID, &claimed, &seen, &p.Connection, &p.HostUserID,
		&p.Call.ID, &p.Call.Key, &until, &lastCall, &ended, &p.Starts, &since)
	p.ClaimedAt, p.SeenAt, p.Call.Until, p.LastCallAt, p.EndedAt = fromMillis(claimed), fromMillis(seen), fromMillis(until),
		fromMillis(lastCall), fromMillis(ended)
	p.StartsSince = fromMillis(since)
	return p, err
}

// HostPage reads the meeting's page; a meeting no page ever ran reads as an
// empty page.
func (s *Store) HostPage(ctx context.Context, accountID, meetingID string) (hostclient.Page, error) {
	p, err := scanHostPage(s.eng.db().queryRow(ctx, `SELECT `+hostPageColumns+` FROM host_pages
		WHERE account_id = $1 AND meeting_id = $2`, accountID, meetingID))
	if errors.Is(err, ErrNotFound) {
		return hostclient.Page{AccountID: accountID, MeetingID: meetingID}, nil
	}
	if err != nil {
		return p, fmt.Errorf("store: host page: %w", err)
	}
	return p, nil
}

// lockHostPage returns the meeting's page row, creating an empty one, and
// holds it until the transaction ends: the host client's decisions for one
// meeting are serialised across replicas, which is what keeps one makeCoHost
// in flight.
func (tx Tx) lockHostPage(ctx context.Context, accountID, meetingID string) (hostclient.Page, error) {
	p, err := scanHostPage(tx.t.queryRow(ctx, `INSERT INTO host_pages (account_id, meeting_id) VALUES ($1, $2)
		ON CONFLICT (account_id, meeting_id) DO UPDATE SET account_id = excluded.account_id
		RETURNING `+hostPageColumns, accountID, meetingID))
	if err != nil {
		return p, fmt.Errorf("store: lock host page: %w", err)
	}
	return p, nil
}

func (tx Tx) saveHostPage(ctx context.Context, p hostclient.Page) error {
	_, err := tx.t.exec(ctx, `UPDATE host_pages SET meeting_uuid = $3, session_id = $4, claimed_at = $5, seen_at = $6,
		connection = $7, host_user_id = $8, inflight_call = $9, inflight_key = $10, inflight_until = $11,
		last_call_at = $12, ended_at = $13, starts = $14, starts_since = $15 WHERE account_id = $1 AND meeting_id = $2`,
		p.AccountID, p.MeetingID, p.MeetingUUID, p.SessionID, millis(p.ClaimedAt), millis(p.SeenAt), p.Connection,
		p.HostUserID, p.Call.ID, p.Call.Key, millis(p.Call.Until), millis(p.LastCallAt), millis(p.EndedAt), p.Starts, millis(p.StartsSince))
	if err != nil {
		return fmt.Errorf("store: save host page: %w", err)
	}
	return nil
}

// UpdateHostPage changes the meeting's page under its lock.
func (s *Store) UpdateHostPage(ctx context.Context, accountID, meetingID string, fn func(*hostclient.Page) error) error {
	return s.InTx(ctx, func(tx Tx) error {
		p, err := tx.lockHostPage(ctx, accountID, meetingID)
		if err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return err
		}
		p.AccountID, p.MeetingID = accountID, meetingID
		return tx.saveHostPage(ctx, p)
	})
}

// UpdateHostMeeting runs one host-client decision under the page's lock
// (hostclient.Store): it loads the meeting, the page, the instance's ledger
// and promotions, calls fn, and writes what fn changed. Credits are applied
// to each participant's row as it is under its lock.
func (s *Store) UpdateHostMeeting(ctx context.Context, accountID, meetingID string, fn func(*hostclient.MeetingState) error) ([]hostclient.Credited, error) {
	var credited []hostclient.Credited
	err := s.InTx(ctx, func(tx Tx) error {
		credited = nil
		page, err := tx.lockHostPage(ctx, accountID, meetingID)
		if err != nil {
			return err
		}
		page.AccountID, page.MeetingID = accountID, meetingID
		m, err := scanMeeting(tx.t.queryRow(ctx, `SELECT `+meetingColumns+` FROM meetings
			WHERE account_id = $1 AND meeting_id = $2`, accountID, meetingID))
		switch {
		case errors.Is(err, ErrNotFound):
			m = grant.Meeting{AccountID: accountID, ID: meetingID}
		case err != nil:
			return err
		}
		st := &hostclient.MeetingState{Meeting: m, Page: page, Promotions: map[string]hostclient.Promotion{}}
		instance := page.InstanceFor(m)
		if instance != "" {
			if st.Ledger, err = tx.instanceParticipants(ctx, instance); err != nil {
				return err
			}
			list, err := tx.hostPromotions(ctx, instance)
			if err != nil {
				return err
			}
			for _, p := range list {
				st.Promotions[p.MatchKey] = p
			}
		}
		if err := fn(st); err != nil {
			return err
		}
		for _, p := range st.Saves() {
			if err := tx.saveHostPromotion(ctx, p); err != nil {
				return err
			}
		}
		for _, c := range st.Credits() {
			p, err := tx.LockParticipant(ctx, accountID, meetingID, instance, c.Key)
			if err != nil {
				return err
			}
			next, changed := c.Apply(p)
			if !changed {
				continue
			}
			if err := tx.SaveParticipant(ctx, next); err != nil {
				return err
			}
			credited = append(credited, hostclient.Credited{Before: p, After: next})
		}
		return tx.saveHostPage(ctx, st.Page)
	})
	if err != nil {
		return nil, fmt.Errorf("store: host meeting: %w", err)
	}
	return credited, nil
}

const hostPromotionColumns = `meeting_uuid, match_key, account_id, meeting_id, state, attempts, next_at, hold, reason, detail, done_at`

func scanHostPromotion(r row) (hostclient.Promotion, error) {
	var (
		p                   hostclient.Promotion
		state, hold, reason string
		next, done          int64
	)
	err := r.Scan(&p.MeetingUUID, &p.MatchKey, &p.AccountID, &p.MeetingID, &state, &p.Attempts, &next, &hold, &reason, &p.Detail, &done)
	p.State, p.Hold, p.Reason = hostclient.PromotionState(state), grant.Reason(hold), grant.Reason(reason)
	p.NextAt, p.DoneAt = fromMillis(next), fromMillis(done)
	return p, err
}

// HostPromotions lists a meeting instance's promotions.
func (s *Store) HostPromotions(ctx context.Context, meetingUUID string) ([]hostclient.Promotion, error) {
	return hostPromotions(ctx, s.eng.db(), meetingUUID)
}

func (tx Tx) hostPromotions(ctx context.Context, meetingUUID string) ([]hostclient.Promotion, error) {
	return hostPromotions(ctx, tx.t, meetingUUID)
}

func hostPromotions(ctx context.Context, q querier, meetingUUID string) ([]hostclient.Promotion, error) {
	r, err := q.query(ctx, `SELECT `+hostPromotionColumns+` FROM host_promotions WHERE meeting_uuid = $1`, meetingUUID)
	if err != nil {
		return nil, fmt.Errorf("store: host promotions: %w", err)
	}
	defer r.Close()
	var out []hostclient.Promotion
	for r.Next() {
		p, err := scanHostPromotion(r)
		if err != nil {
			return nil, fmt.Errorf("store: host promotions: %w", err)
		}
		out = append(out, p)
	}
	return out, r.Err()
}

func (tx Tx) saveHostPromotion(ctx context.Context, p hostclient.Promotion) error {
	if p.State == "" {
		p.State = hostclient.PromotionWaiting
	}
	_, err := tx.t.exec(ctx, `INSERT INTO host_promotions (meeting_uuid, match_key, account_id, meeting_id, state, attempts,
		next_at, hold, reason, detail, done_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (meeting_uuid, match_key) DO UPDATE SET state = excluded.state, attempts = excluded.attempts,
		next_at = excluded.next_at, hold = excluded.hold, reason = excluded.reason, detail = excluded.detail,
		done_at = excluded.done_at, updated_at = excluded.updated_at`,
		p.MeetingUUID, p.MatchKey, p.AccountID, p.MeetingID, string(p.State), p.Attempts, millis(p.NextAt), string(p.Hold),
		string(p.Reason), boundDetail(p.Detail), millis(p.DoneAt), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("store: save host promotion: %w", err)
	}
	return nil
}

// instanceParticipants lists one meeting instance's ledger rows, in join
// order.
func (tx Tx) instanceParticipants(ctx context.Context, meetingUUID string) ([]grant.Participant, error) {
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
