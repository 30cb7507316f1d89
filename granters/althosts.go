package granters

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/cohost-dev/cohost/failure"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomclient"
)

// Defaults of AlternativeHosts.
const (
	// DefaultAlternativeHostUpdates is how many updates of one meeting a day
	// the granter makes. Zoom allows 100 in 24 hours; the rest is left for the
	// host's own edits and other apps (the permissions granter's update is
	// counted in the same budget).
	DefaultAlternativeHostUpdates = 90
	// DefaultAlternativeHostBatchWindow is how long the first joiner of a
	// batch waits for others.
	DefaultAlternativeHostBatchWindow = 5 * time.Second
	// DefaultAlternativeHostInterval is the least time between two updates of
	// one meeting.
	DefaultAlternativeHostInterval = 30 * time.Second
	// DefaultAlternativeHostFlushLease bounds how long a dead worker blocks a
	// meeting's batches.
	DefaultAlternativeHostFlushLease = 30 * time.Second
)

// AlternativeHosts is the "alternative-hosts" granter: it adds signed-in
// participants who are licensed users of the meeting's account to the
// meeting's settings.alternative_hosts, in batches, so that Zoom makes them
// host or co-host when they join it — the next time they join: Zoom applies
// alternative hosts at join, so the session the person is in does not change
// (Zoom's help article KB0067027: alternative hosts "must be signed in to
// Zoom with the correct account in order to be granted the host or co-host
// permissions"). The grant is therefore StateGranted without
// AwaitConfirmation. Everyone else is skipped with ReasonNotEligible, and the
// engine tries the next granter.
//
// Zoom allows 100 updates of a meeting in 24 hours. Joiners that arrive
// close together are coalesced: a grant queues the email in the store and,
// unless the batch is due, returns ERATELIMITED so the engine snoozes it; the
// grant that finds the batch due sends every queued email in one PATCH. When
// the day's updates are spent, grants fail with ReasonAlternativeHostsLimit.
type AlternativeHosts struct {
	Zoom   *zoomclient.Client
	Store  *store.Store
	Logger *slog.Logger
	// DailyUpdates bounds cohost's updates of one meeting per UTC day
	// (default DefaultAlternativeHostUpdates, at most Zoom's 100).
	DailyUpdates int
	// BatchWindow is how long the first queued joiner waits for others
	// (default DefaultAlternativeHostBatchWindow).
	BatchWindow time.Duration
	// MinInterval is the least time between two updates of one meeting
	// (default DefaultAlternativeHostInterval).
	MinInterval time.Duration
	// FlushLease is how long one worker holds the right to send a meeting's
	// batch (default DefaultAlternativeHostFlushLease).
	FlushLease time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// NewAlternativeHosts returns the alternative-hosts granter with the default budget.
func NewAlternativeHosts(zc *zoomclient.Client, st *store.Store, logger *slog.Logger) *AlternativeHosts {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &AlternativeHosts{Zoom: zc, Store: st, Logger: logger}
}

var _ grant.Granter = (*AlternativeHosts)(nil)

// Name implements grant.Granter.
func (g *AlternativeHosts) Name() string { return "alternative-hosts" }

func (g *AlternativeHosts) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *AlternativeHosts) log() *slog.Logger {
	if g.Logger != nil {
		return g.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func positiveOr[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

func (g *AlternativeHosts) budget() store.AlternativeHostBudget {
	return store.AlternativeHostBudget{
		DailyUpdates: min(positiveOr(g.DailyUpdates, DefaultAlternativeHostUpdates), 100),
		BatchWindow:  positiveOr(g.BatchWindow, DefaultAlternativeHostBatchWindow),
		MinInterval:  positiveOr(g.MinInterval, DefaultAlternativeHostInterval),
		FlushLease:   positiveOr(g.FlushLease, DefaultAlternativeHostFlushLease),
	}
}

// Prepare does nothing: alternative hosts are added per eligible joiner.
func (g *AlternativeHosts) Prepare(context.Context, grant.Meeting) error { return nil }

// Finish empties the meeting's queue; the people added stay alternative hosts
// of the meeting (for its next occurrences, which is what the route gives).
func (g *AlternativeHosts) Finish(ctx context.Context, m grant.Meeting) error {
	if err := g.Store.ClearAlternativeHostQueue(ctx, m.AccountID, m.ID); err != nil {
		return failure.Store(err)
	}
	return nil
}

var (
	altHostNotEligible = grant.Outcome{State: grant.StateSkipped, Reason: grant.ReasonNotEligible}
	altHostGranted     = grant.Outcome{State: grant.StateGranted}
	altHostsSpent      = grant.Outcome{State: grant.StateFailed, Reason: grant.ReasonAlternativeHostsLimit}
)

// errDailyLimit is Zoom refusing the meeting update with its daily limit.
var errDailyLimit = errors.New("zoom's daily limit of meeting updates is reached")

// Grant makes an eligible participant an alternative host of the meeting.
func (g *AlternativeHosts) Grant(ctx context.Context, m grant.Meeting, p grant.Participant) (grant.Outcome, error) {
	log := g.log().With("account_id", m.AccountID, "meeting_id", m.ID, "participant_key", p.Key)
	if p.ZoomUserID == "" {
		log.DebugContext(ctx, "not an alternative host: not signed in to Zoom")
		return altHostNotEligible, nil
	}
	number, err := meetingNumber(m.ID)
	if err != nil {
		return grant.Outcome{}, err
	}
	zc := zoomFor(g.Zoom, m.AccountID)
	account := m.AccountID
	if account == "" {
		account = zc.AccountID()
	}
	u, _, err := zc.Users.Get(ctx, p.ZoomUserID)
	if api, ok := errors.AsType[*zoomclient.APIError](err); ok && api.Status == http.StatusNotFound {
		// GET /users/{id} sees only the app's account: a user of another
		// account is "not found".
		log.DebugContext(ctx, "not an alternative host: not a user of the meeting's account", "zoom_user_id", p.ZoomUserID)
		return altHostNotEligible, nil
	}
	if err != nil {
		return grant.Outcome{}, failure.Zoom("looking up Zoom user "+p.ZoomUserID, err)
	}
	switch {
	case !u.Licensed():
		log.DebugContext(ctx, "not an alternative host: not a licensed user", "zoom_user_id", u.ID, "user_type", u.Type)
		return altHostNotEligible, nil
	case u.AccountID != account:
		log.DebugContext(ctx, "not an alternative host: a user of another account", "zoom_user_id", u.ID)
		return altHostNotEligible, nil
	case u.Email == "" || u.ID == m.HostID:
		return altHostNotEligible, nil
	}
	email := strings.ToLower(u.Email)

	zm, _, err := zc.Meetings.Get(ctx, number)
	if err != nil {
		return grant.Outcome{}, failure.Zoom("reading meeting "+m.ID, err)
	}
	if hostsInclude(currentAlternativeHosts(zm), email, u.ID) {
		if err := g.Store.DequeueAlternativeHosts(ctx, m.AccountID, m.ID, email); err != nil {
			return grant.Outcome{}, failure.Store(err)
		}
		return altHostGranted, nil
	}

	now := g.now()
	b := g.budget()
	turn, err := g.Store.QueueAlternativeHost(ctx, m.AccountID, m.ID, email, now, b)
	if err != nil {
		return grant.Outcome{}, failure.Store(err)
	}
	switch {
	case turn.Exhausted:
		log.WarnContext(ctx, "alternative hosts: the meeting's updates for today are spent", "updates_today", turn.UpdatesToday)
		return altHostsSpent, nil
	case !turn.Flush:
		return grant.Outcome{}, &grant.Error{Code: grant.ERATELIMITED, Reason: grant.ReasonRateLimited, RetryAfter: max(turn.RetryAt.Sub(now), 50*time.Millisecond),
			Message: "alternative hosts of meeting " + m.ID + " are sent in batches; queued for the next one"}
	}
	switch err := g.flush(ctx, zc, m, number, turn, b, log); {
	case errors.Is(err, errDailyLimit):
		return altHostsSpent, nil
	case err != nil:
		return grant.Outcome{}, err
	}
	return altHostGranted, nil
}

// flush sends every queued email of the meeting in one PATCH, merged with the
// alternative hosts the meeting already has.
func (g *AlternativeHosts) flush(ctx context.Context, zc *zoomclient.Client, m grant.Meeting, number int64,
	turn store.AlternativeHostTurn, b store.AlternativeHostBudget, log *slog.Logger) error {
	end := func(f store.AlternativeHostFlush) {
		f.At = g.now()
		if err := g.Store.EndAlternativeHostFlush(context.WithoutCancel(ctx), m.AccountID, m.ID, turn.Token, f); err != nil {
			log.ErrorContext(ctx, "recording an alternative-hosts batch failed", "error", err.Error())
		}
	}
	// Read again under the lease: another worker's batch may have landed
	// since the caller's read.
	zm, _, err := zc.Meetings.Get(ctx, number)
	if err != nil {
		end(store.AlternativeHostFlush{})
		return failure.Zoom("reading meeting "+m.ID, err)
	}
	merged, added := mergeAlternativeHosts(currentAlternativeHosts(zm), turn.Emails)
	if len(added) == 0 {
		end(store.AlternativeHostFlush{Remove: turn.Emails})
		return nil
	}
	list := strings.Join(merged, ";")
	_, err = zc.Meetings.Update(ctx, number, &zoomclient.MeetingUpdate{Settings: &zoomclient.MeetingSettings{
		AlternativeHosts: &list,
		// Zoom mails every alternative host by default; people who are
		// already in the meeting need no mail.
		AlternativeHostsEmailNotification: zoomclient.Ptr(false),
	}})
	if rl, ok := errors.AsType[*zoomclient.RateLimitError](err); ok && rl.Type == "Daily-limit" {
		end(store.AlternativeHostFlush{Exhausted: true, DailyUpdates: b.DailyUpdates, Remove: turn.Emails})
		log.WarnContext(ctx, "alternative hosts: Zoom's daily limit of meeting updates is reached", "error", err.Error())
		return errDailyLimit
	}
	if err != nil {
		f := store.AlternativeHostFlush{}
		if _, refused := fieldRefusal(err); refused {
			// Zoom refused the list; the batch's other joiners queue again
			// on their next attempt.
			f.Remove = turn.Emails
		}
		end(f)
		return failure.Zoom("adding alternative hosts to meeting "+m.ID, err)
	}
	end(store.AlternativeHostFlush{Patched: true, Remove: turn.Emails})
	log.InfoContext(ctx, "alternative hosts added", "added", len(added), "alternative_hosts", len(merged),
		"updates_today", turn.UpdatesToday+1)
	return nil
}

func currentAlternativeHosts(zm *zoomclient.Meeting) []string {
	if zm == nil || zm.Settings == nil || zm.Settings.AlternativeHosts == nil {
		return nil
	}
	var out []string
	for _, h := range strings.Split(*zm.Settings.AlternativeHosts, ";") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// hostsInclude reports whether the list names the user by email or id.
func hostsInclude(list []string, email, userID string) bool {
	for _, h := range list {
		if strings.EqualFold(h, email) || (userID != "" && h == userID) {
			return true
		}
	}
	return false
}

// mergeAlternativeHosts appends the emails not yet in current, keeping
// current's entries and order.
func mergeAlternativeHosts(current, emails []string) (merged, added []string) {
	merged = append([]string(nil), current...)
	for _, e := range emails {
		if !hostsInclude(merged, e, "") {
			merged = append(merged, e)
			added = append(added, e)
		}
	}
	return merged, added
}
