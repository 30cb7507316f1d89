package granters

import (
	"context"
	"errors"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomclient"
)

// DefaultHostPageWait is how long a grant waits for a host page when none is
// connected, from the join or from the page's last sync, whichever is later.
const DefaultHostPageWait = 30 * time.Second

// HostClient is the "host-client" granter: the real co-host role, assigned
// by the host's own Meeting SDK client, cohost's host page
// (docs/host-client.md). The page does the promoting, driven by its syncs
// (package hostclient), and confirms each co-host in the ledger as the SDK
// resolves; this granter is the grant job's side of it:
//
//   - a participant the page already made co-host is confirmed;
//   - while a page is connected, the grant waits (snoozes) for the page,
//     and if it outlasts COHOST_GRANT_GIVE_UP_AFTER it fails with why the
//     page could not promote them (not_in_roster, on_hold, sdk_timeout,
//     sdk_error);
//   - while none is, it waits Wait for one (the host may be opening or
//     reloading it), then fails with no_host_page so that the next granter
//     of COHOST_GRANTERS serves the joiner. A page that connects later still
//     promotes everyone in scope who is not co-host.
type HostClient struct {
	Store *store.Store
	// Zoom reads the host's settings in Prepare; nil skips the check.
	Zoom *zoomclient.Client
	// Wait is how long a grant waits for a host page (COHOST_HOST_PAGE_WAIT);
	// default DefaultHostPageWait.
	Wait time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

var _ grant.Granter = (*HostClient)(nil)

// Name implements grant.Granter.
func (g *HostClient) Name() string { return hostclient.GranterName }

func (g *HostClient) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// Prepare checks what the host page cannot fix from inside the meeting:
// Zoom lets a host assign co-hosts only when co-host is on in their settings
// when the meeting starts. The host opens the page themselves.
func (g *HostClient) Prepare(ctx context.Context, m grant.Meeting) error {
	if g.Zoom == nil || m.HostID == "" {
		return nil
	}
	st, _, err := zoomFor(g.Zoom, m.AccountID).Users.GetSettings(ctx, m.HostID)
	if err != nil {
		return zoomFailure("reading the settings of host "+m.HostID, err)
	}
	if st.InMeeting != nil && st.InMeeting.CoHost != nil && !*st.InMeeting.CoHost {
		return &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonZoomRejected,
			Message: "co-host is off in the host's Zoom settings (Settings > Meeting > In Meeting (Basic) > Co-host): the host page cannot make anyone co-host until it is on"}
	}
	return nil
}

// Grant reports what the host page did or is doing for the participant.
func (g *HostClient) Grant(ctx context.Context, m grant.Meeting, p grant.Participant) (grant.Outcome, error) {
	pr, err := g.Store.HostPromotion(ctx, p.MeetingUUID, hostclient.LedgerMatchKey(p))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return grant.Outcome{}, storeFailure(err)
	}
	if pr.Done {
		return grant.Outcome{State: grant.StateConfirmed}, nil
	}
	page, err := g.Store.GetHostPage(ctx, m.AccountID, m.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return grant.Outcome{}, storeFailure(err)
	}
	now := g.now()
	if pageConnected(page, now) {
		reason, msg := pr.Reason, "the host page is making them co-host"
		if reason == "" {
			reason = grant.ReasonNotInRoster
		}
		if pr.Detail != "" {
			msg += "; last try: " + pr.Detail
		}
		return grant.Outcome{}, &grant.Error{Code: grant.EUNAVAILABLE, Reason: reason, Message: msg, RetryAfter: waitDelay(p, now)}
	}
	wait := g.Wait
	if wait <= 0 {
		wait = DefaultHostPageWait
	}
	from := p.JoinSeenAt
	if page.SeenAt.After(from) {
		from = page.SeenAt
	}
	if now.Sub(from) < wait {
		return grant.Outcome{}, &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonNoHostPage,
			Message: "waiting for the host to run the meeting from the host page", RetryAfter: min(waitDelay(p, now), wait-now.Sub(from))}
	}
	return grant.Outcome{State: grant.StateFailed, Reason: grant.ReasonNoHostPage,
		Detail: "no host page was connected for " + wait.String()}, nil
}

// Finish stops the meeting's page and forgets the ended instance's promotions.
func (g *HostClient) Finish(ctx context.Context, m grant.Meeting) error {
	if err := g.Store.EndHostPage(ctx, m.AccountID, m.ID, m.UUID, g.now()); err != nil {
		return storeFailure(err)
	}
	return nil
}

// pageConnected reports whether a host page runs the meeting now: it synced
// recently and has not left, ended or failed to join.
func pageConnected(p store.HostPage, now time.Time) bool {
	if p.SessionID == "" || !p.EndedAt.IsZero() && !p.EndedAt.Before(p.ClaimedAt) || now.Sub(p.SeenAt) > hostclient.StaleAfter {
		return false
	}
	switch p.Connection {
	case api.HostConnLeft, api.HostConnEnded, api.HostConnClosed, api.HostConnFail:
		return false
	}
	return true
}

// waitDelay is how soon the grant job looks again: the page confirms in the
// ledger by itself, so the job only watches for the give-up time and the
// fall-back; it looks more rarely the longer it has waited.
func waitDelay(p grant.Participant, now time.Time) time.Duration {
	if p.JoinSeenAt.IsZero() {
		return time.Second
	}
	return min(max(now.Sub(p.JoinSeenAt)/4, 500*time.Millisecond), 10*time.Second)
}
