package store

import (
	"context"
	"fmt"
	"time"
)

// Retention says how long cohost keeps what it stores (the Privacy section
// of docs/operations.md lists every table).
type Retention struct {
	// Webhooks: delivery ids (x-zm-request-id) and processed events. Zoom's
	// last retry comes about 85 minutes after the first attempt, so a day
	// covers every re-delivery with room to spare. At least and by default
	// 24 h.
	Webhooks time.Duration
	// Ledger: meetings that ended or were deleted, the participants of
	// meeting instances no longer live (names, emails, grant states), what
	// each granter did for those meetings, and River jobs that gave up
	// (discarded) — counted from their last change. At least 24 h; default
	// 30 days (COHOST_RETENTION).
	Ledger time.Duration
}

// Retention defaults and floors.
const (
	DefaultLedgerRetention = 30 * 24 * time.Hour
	MinRetention           = 24 * time.Hour

	// finishedJobRetention is how long River keeps completed and cancelled
	// jobs (River's own default, stated here so the documentation holds).
	finishedJobRetention = 24 * time.Hour
	// discardedJobRetention is how long River keeps jobs that gave up, for
	// an operator to look at, unless the ledger's retention is shorter.
	discardedJobRetention = 7 * 24 * time.Hour
)

func (r Retention) withDefaults() Retention {
	r.Webhooks = max(r.Webhooks, MinRetention)
	if r.Ledger == 0 {
		r.Ledger = DefaultLedgerRetention
	}
	r.Ledger = max(r.Ledger, MinRetention)
	return r
}

// PruneResult counts the rows Prune deleted.
type PruneResult struct {
	Deliveries, Events, Meetings, Participants, GranterStates, QueuedAlternativeHosts int64
	// HostClient counts host links past their expiry and host pages and
	// promotions of meetings no longer live.
	HostClient int64
	// HostPortal counts the portal's sign-ins and sessions past their expiry.
	HostPortal int64
}

// Total is the number of rows deleted.
func (p PruneResult) Total() int64 {
	return p.Deliveries + p.Events + p.Meetings + p.Participants + p.GranterStates + p.QueuedAlternativeHosts + p.HostClient + p.HostPortal
}

// pruneBatch bounds the rows one DELETE removes, so a large first prune (an
// old database) does not hold SQLite's single write lock for long while
// webhooks wait for it.
const pruneBatch = 1000

// Prune deletes what is older than the store's retention at now: delivery
// ids and processed events past Retention.Webhooks; meetings that ended or
// were deleted, participants of instances no longer live, their granter
// states and stale alternative-host queue entries past Retention.Ledger.
// Unprocessed events and live meetings are never pruned. River prunes its
// finished jobs itself (riverConfig). On SQLite the deleted rows are also
// checkpointed out of the write-ahead log.
func (s *Store) Prune(ctx context.Context, now time.Time) (PruneResult, error) {
	r := s.retention
	hooks, ledger, expired := millis(now.Add(-r.Webhooks)), millis(now.Add(-r.Ledger)), millis(now)
	var res PruneResult
	steps := []struct {
		n     *int64
		what  string
		query string
		arg   int64
	}{
		{&res.Deliveries, "deliveries", `DELETE FROM webhook_deliveries WHERE delivery_id IN
			(SELECT delivery_id FROM webhook_deliveries WHERE received_at < $1 LIMIT ` + fmt.Sprint(pruneBatch) + `)`, hooks},
		{&res.Events, "events", `DELETE FROM webhook_events WHERE id IN
			(SELECT id FROM webhook_events WHERE processed_at > 0 AND received_at < $1 LIMIT ` + fmt.Sprint(pruneBatch) + `)`, hooks},
		{&res.Meetings, "meetings", `DELETE FROM meetings WHERE (account_id, meeting_id) IN
			(SELECT account_id, meeting_id FROM meetings WHERE status IN ('ended', 'deleted') AND updated_at < $1
			LIMIT ` + fmt.Sprint(pruneBatch) + `)`, ledger},
		// A participant of the live instance of a meeting stays whatever its
		// age; any other is kept for the ledger's retention after its last
		// change (this also removes those of meetings pruned above).
		{&res.Participants, "participants", `DELETE FROM participants WHERE (meeting_uuid, participant_key) IN
			(SELECT meeting_uuid, participant_key FROM participants p WHERE updated_at < $1 AND NOT EXISTS
				(SELECT 1 FROM meetings m WHERE m.uuid = p.meeting_uuid AND m.status = 'started')
			LIMIT ` + fmt.Sprint(pruneBatch) + `)`, ledger},
		{&res.GranterStates, "granter states", `DELETE FROM meeting_granters WHERE (account_id, meeting_id, granter) IN
			(SELECT account_id, meeting_id, granter FROM meeting_granters g WHERE updated_at < $1 AND NOT EXISTS
				(SELECT 1 FROM meetings m WHERE m.account_id = g.account_id AND m.meeting_id = g.meeting_id)
			LIMIT ` + fmt.Sprint(pruneBatch) + `)`, ledger},
		{&res.QueuedAlternativeHosts, "alternative-host queue", `DELETE FROM alternative_host_queue WHERE (account_id, meeting_id, email) IN
			(SELECT account_id, meeting_id, email FROM alternative_host_queue WHERE queued_at < $1 LIMIT ` + fmt.Sprint(pruneBatch) + `)`, ledger},
		// A host link is useless after its expiry: kept a day longer, so that
		// a page that presents it is told it expired rather than unknown.
		{&res.HostClient, "host links", `DELETE FROM host_links WHERE token_hash IN
			(SELECT token_hash FROM host_links WHERE expires_at < $1 LIMIT ` + fmt.Sprint(pruneBatch) + `)`, hooks},
		{&res.HostClient, "host pages", `DELETE FROM host_pages WHERE (account_id, meeting_id) IN
			(SELECT account_id, meeting_id FROM host_pages h WHERE seen_at < $1 AND NOT EXISTS
				(SELECT 1 FROM meetings m WHERE m.account_id = h.account_id AND m.meeting_id = h.meeting_id AND m.status = 'started')
			LIMIT ` + fmt.Sprint(pruneBatch) + `)`, ledger},
		{&res.HostClient, "host promotions", `DELETE FROM host_promotions WHERE (meeting_uuid, match_key) IN
			(SELECT meeting_uuid, match_key FROM host_promotions p WHERE updated_at < $1 AND NOT EXISTS
				(SELECT 1 FROM meetings m WHERE m.uuid = p.meeting_uuid AND m.status = 'started')
			LIMIT ` + fmt.Sprint(pruneBatch) + `)`, ledger},
		// The portal's sign-ins and sessions are of no use past their expiry.
		{&res.HostPortal, "host sign-ins", `DELETE FROM host_signins WHERE state_hash IN
			(SELECT state_hash FROM host_signins WHERE expires_at < $1 LIMIT ` + fmt.Sprint(pruneBatch) + `)`, expired},
		{&res.HostPortal, "host sessions", `DELETE FROM host_sessions WHERE id_hash IN
			(SELECT id_hash FROM host_sessions WHERE expires_at < $1 LIMIT ` + fmt.Sprint(pruneBatch) + `)`, expired},
	}
	for _, st := range steps {
		for {
			n, err := s.eng.db().exec(ctx, st.query, st.arg)
			if err != nil {
				return res, fmt.Errorf("store: prune %s: %w", st.what, err)
			}
			*st.n += n
			if n < pruneBatch {
				break
			}
		}
	}
	if res.Total() > 0 {
		if err := s.eng.purge(ctx); err != nil {
			return res, err
		}
	}
	return res, nil
}

// eraseAccountStatements are what DeleteAccount deletes besides the
// ledger's tables (app_deauthorized): every River job whose arguments name
// the account, the process_event jobs of the account's stored events (their
// arguments name only the event; so these run before the events go), and
// the account's token lease and rate-limit pause (DeleteToken deletes them
// too; here they go even when the tokens were deleted before). A job deleted
// while it runs is fine: River's completer ignores a job that is gone.
func eraseAccountStatements(d dialect) []string {
	return []string{
		`DELETE FROM river_job WHERE ` + d.jsonText("args", "account_id") + ` = $1`,
		`DELETE FROM river_job WHERE kind = 'process_event' AND ` + d.jsonText("args", "event_id") +
			` IN (SELECT id FROM webhook_events WHERE account_id = $1)`,
		`DELETE FROM zoom_token_leases WHERE account_id = $1`,
		`DELETE FROM zoom_account_pauses WHERE account_id = $1`,
	}
}

// CheckWritable reports whether the database accepts a durable write now: a
// committed upsert of one row on the connection the webhook intake uses
// (pinging is not enough: a database that answers but cannot write, such as
// a SQLite file on a full disk or a PostgreSQL standby after a failover,
// would be reported ready while every webhook gets 503). On SQLite it also
// checks the free space of the database's file system, because a small
// write can still fit in space SQLite already holds while the intake's
// inserts need more.
func (s *Store) CheckWritable(ctx context.Context, now time.Time) error {
	if err := s.eng.checkWritable(ctx, millis(now)); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}
