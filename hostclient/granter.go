package hostclient

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/cohost-dev/cohost/failure"
	"github.com/cohost-dev/cohost/grant"
)

// Granter is the "host-client" granter: the grant job's side of the host
// client. The page does the promoting, driven by its syncs, and confirms
// each co-host in the ledger as the SDK resolves; the grant job only
// watches the moments that decide without a page:
//
//   - a participant the page already made co-host is confirmed;
//   - while a page runs the meeting, the grant waits for it until the
//     moment that page would count as gone (its last report + Wait) or the
//     give-up time, whichever comes first, and is asked again then; past the
//     give-up time it fails with what held the participant (the waiting
//     room, not in the list, Zoom's refusals). Someone who only waits for
//     their turn in line does not give up: a long line is the pace's, not a
//     failure;
//   - while none runs it, the grant waits until Wait after the join (or
//     after the last page's last report), then falls back to the next
//     granter of COHOST_GRANTERS with no_host_page. A page that opens later
//     still promotes everyone in scope who is not co-host.
//
// Each wait is one moment the engine schedules the grant for, not a poll.
type Granter struct{ s *Service }

// Granter returns the host-client granter over s.
func (s *Service) Granter() *Granter { return &Granter{s: s} }

var _ grant.Granter = (*Granter)(nil)

// Name implements grant.Granter.
func (g *Granter) Name() string { return GranterName }

// Prepare checks what the host page cannot fix from inside the meeting:
// Zoom lets a host assign co-hosts only when co-host is on in their settings
// when the meeting starts. The host opens the page themselves.
func (g *Granter) Prepare(ctx context.Context, m grant.Meeting) error {
	if g.s.Zoom == nil || m.HostID == "" {
		return nil
	}
	st, _, err := g.s.zoom(m.AccountID).Users.GetSettings(ctx, m.HostID)
	if err != nil {
		return failure.Zoom("reading the settings of host "+m.HostID, err)
	}
	if st.InMeeting != nil && st.InMeeting.CoHost != nil && !*st.InMeeting.CoHost {
		return &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonZoomRejected,
			Message: "co-host is off in the host's Zoom settings (Settings > Meeting > In Meeting (Basic) > Co-host): the host page cannot make anyone co-host until it is on"}
	}
	return nil
}

// Grant says what the host page did or will do for the participant, and
// when to ask again.
func (g *Granter) Grant(ctx context.Context, m grant.Meeting, p grant.Participant) (grant.Outcome, error) {
	s := g.s
	page, err := s.Store.HostPage(ctx, m.AccountID, m.ID)
	if err != nil {
		return grant.Outcome{}, failure.Store(err)
	}
	pr, err := g.promotion(ctx, p)
	if err != nil {
		return grant.Outcome{}, err
	}
	if pr.State == PromotionDone {
		// The page made them co-host before Zoom's join event named them.
		return grant.Outcome{State: grant.StateConfirmed}, nil
	}
	now := s.now()
	v := s.newView(page, map[string]Promotion{LedgerMatchKey(p): pr}, now)
	progress := v.progress(p)
	if !v.live {
		at := fallbackAt(p, page, s.wait())
		if now.Before(at) {
			return grant.Outcome{State: grant.StatePending, Reason: grant.ReasonNoHostPage, Until: at, Progress: progress}, nil
		}
		state, since := page.State(now)
		detail := "no host page ran the meeting"
		if state == PageGone {
			detail += " (the last one was gone since " + grant.Clock(since) + ")"
		}
		return grant.Outcome{State: grant.StateFailed, Reason: grant.ReasonNoHostPage, Detail: detail}, nil
	}
	giveUp := p.JoinSeenAt.Add(s.giveUpAfter())
	waiting := pr.Attempts == 0 && pr.Hold == "" // only their turn in line holds them
	if p.JoinSeenAt.IsZero() || now.Before(giveUp) || waiting {
		until := fallbackAt(p, page, s.wait())
		if !p.JoinSeenAt.IsZero() && now.Before(giveUp) && giveUp.Before(until) {
			until = giveUp
		}
		return grant.Outcome{State: grant.StatePending, Until: until, Progress: progress}, nil
	}
	// The page ran the meeting and could not make them co-host in time.
	reason, detail := pr.Reason, pr.Detail
	if pr.Hold != "" {
		reason = pr.Hold
	}
	if reason == "" {
		reason = grant.ReasonNotInRoster
	}
	if pr.Attempts > 0 {
		detail = strconv.Itoa(pr.Attempts) + " makeCoHost calls; last: " + cmp.Or(pr.Detail, pr.Reason.Text())
	}
	return grant.Outcome{State: grant.StateFailed, Reason: reason, Detail: detail}, nil
}

// promotion is the page's work on p: under their ledger key, or under
// their per-join user id's when the page called for them before Zoom's
// join event named them.
func (g *Granter) promotion(ctx context.Context, p grant.Participant) (Promotion, error) {
	list, err := g.s.Store.HostPromotions(ctx, p.MeetingUUID)
	if err != nil {
		return Promotion{}, failure.Store(err)
	}
	want := []string{LedgerMatchKey(p), userKey(p.UserID)}
	var found Promotion
	for _, pr := range list {
		if pr.MatchKey == want[0] {
			return pr, nil
		}
		if pr.MatchKey == want[1] {
			found = pr
		}
	}
	return found, nil
}

// Finish stops the meeting's page and forgets the ended instance's promotions.
func (g *Granter) Finish(ctx context.Context, m grant.Meeting) error {
	if err := g.s.Store.EndHostPage(ctx, m.AccountID, m.ID, m.UUID, g.s.now()); err != nil {
		return failure.Store(err)
	}
	return nil
}

// RoleRequestedBy names the host client when Zoom's role-change event
// reports a participant whose makeCoHost, issued by cohost, is in flight or
// resolved: the page made them co-host. Anything else ("") was not the host
// client's doing (grant.CreditConfirmation).
func (s *Service) RoleRequestedBy(ctx context.Context, m grant.Meeting, p grant.Participant) (string, error) {
	page, err := s.Store.HostPage(ctx, m.AccountID, m.ID)
	if err != nil && !errors.Is(err, grant.ErrNotFound) {
		return "", err
	}
	keys := []string{LedgerMatchKey(p), userKey(p.UserID)}
	if page.Call.ID != "" && slices.Contains(keys, page.Call.Key) {
		return GranterName, nil
	}
	if p.MeetingUUID == "" {
		return "", nil
	}
	list, err := s.Store.HostPromotions(ctx, p.MeetingUUID)
	if err != nil {
		return "", err
	}
	for _, pr := range list {
		if pr.State == PromotionDone && slices.Contains(keys, pr.MatchKey) {
			return GranterName, nil
		}
	}
	return "", nil
}

// sortPromotions orders promotions by match key.
func sortPromotions(ps []Promotion) {
	slices.SortFunc(ps, func(a, b Promotion) int { return cmp.Compare(a.MatchKey, b.MatchKey) })
}
