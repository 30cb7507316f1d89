package hostclient

import (
	"context"
	"slices"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/failure"
	"github.com/cohost-dev/cohost/grant"
)

// This file is step 4 of a sync, and what the admin API shows: where the
// host client stands with each participant, in the words of grant.Describe.
// It reads only what is stored (the page, its call, the promotions), never
// the roster of the moment, so that the host page's panel and the console
// say the same sentence for the same participant.

// storedStanding is a ledger participant's standing from what is stored:
// step 2's rules without the roster, whose holds the sync records first.
func storedStanding(p grant.Participant, pr Promotion, call Call, now time.Time, giveUpAfter time.Duration) standing {
	if p.State == grant.StateSkipped && p.Reason == grant.ReasonHost {
		return standing{kind: isHost}
	}
	if st, settled := ledgerStanding(p); settled {
		return st
	}
	switch {
	case pr.State == PromotionDone:
		return standing{kind: isCoHost}
	case pr.State == PromotionOther:
		return standing{kind: isRoleShown}
	case call.ID != "" && call.Key == LedgerMatchKey(p):
		return standing{kind: isPromoting}
	case pastGiveUp(p, now, giveUpAfter) && (pr.Attempts > 0 || pr.Hold != ""):
		return standing{kind: isGivenUp}
	case pr.Hold != "":
		return standing{kind: isHeld, reason: pr.Hold}
	case pr.NextAt.After(now):
		return standing{kind: isHeld, reason: pr.Reason}
	}
	return standing{kind: isReady}
}

// view is what describing a meeting's participants reads.
type view struct {
	now    time.Time
	page   Page
	live   bool
	promos map[string]Promotion
	// places are the ready participants' places in line, by match key
	// (1 = next).
	places map[string]int

	interval, wait, giveUpAfter time.Duration
	next                        string
}

func (s *Service) newView(page Page, promos map[string]Promotion, now time.Time) view {
	return view{now: now, page: page, live: page.Live(now), promos: promos, places: map[string]int{},
		interval: s.interval(), wait: s.wait(), giveUpAfter: s.giveUpAfter(), next: s.Next}
}

func (v view) standing(p grant.Participant) standing {
	return storedStanding(p, v.promos[LedgerMatchKey(p)], v.page.Call, v.now, v.giveUpAfter)
}

// fallbackAt is when a grant that waits for a host page falls back: Wait
// after the join or after the page's last report, whichever is later.
func fallbackAt(p grant.Participant, page Page, wait time.Duration) time.Time {
	from := p.JoinSeenAt
	if page.SeenAt.After(from) {
		from = page.SeenAt
	}
	return from.Add(wait)
}

// progress is where the host client stands with a pending ledger
// participant.
func (v view) progress(p grant.Participant) grant.Progress {
	pr := v.promos[LedgerMatchKey(p)]
	out := grant.Progress{Granter: GranterName, Attempts: pr.Attempts, Detail: pr.Detail, Reason: pr.Reason}
	giveUp := time.Time{}
	if !p.JoinSeenAt.IsZero() {
		giveUp = p.JoinSeenAt.Add(v.giveUpAfter)
	}
	if !v.live {
		out.Step, out.Reason, out.Detail, out.Until, out.Then = grant.StepFallback, grant.ReasonNoHostPage, "", fallbackAt(p, v.page, v.wait), v.next
		return out
	}
	switch st := v.standing(p); st.kind {
	case isPromoting:
		out.Step = grant.StepPromoting
	case isRoleShown:
		out.Step = grant.StepRoleShown
	case isHeld, isGivenUp:
		out.Step, out.Reason, out.Until = grant.StepHeld, st.reason, giveUp
		if st.kind == isGivenUp && out.Reason == "" {
			out.Reason = pr.Hold
		}
		if out.Reason == "" {
			out.Reason = grant.ReasonNotInRoster
		}
		if out.Reason != pr.Reason {
			out.Detail = pr.Detail // the hold is said; the last refusal's words follow
		}
	case isReady:
		out.Step, out.Place = grant.StepQueued, v.places[LedgerMatchKey(p)]
		if out.Place > 0 {
			out.Wait = time.Duration(out.Place) * v.interval
		}
	default:
		return grant.Progress{}
	}
	return out
}

// sentence is a ledger participant's one sentence.
func (v view) sentence(p grant.Participant) string {
	if p.State != grant.StatePending {
		return grant.Describe(p, grant.Progress{})
	}
	return grant.Describe(p, v.progress(p))
}

// placeLine numbers the ready participants of ledger (in join order) from
// 1, and returns them in that order.
func (v *view) placeLine(ledger []grant.Participant) []int {
	var line []int
	for i, p := range ledger {
		if !p.Present() || p.State == grant.StateConfirmed {
			continue
		}
		if v.standing(p).kind == isReady {
			line = append(line, i)
			v.places[LedgerMatchKey(p)] = len(line)
		}
	}
	return line
}

// MeetingView is what the admin API shows of the host client for one
// meeting: whether a page runs it, and every participant's sentence.
type MeetingView struct {
	// Page is the page's state: PageRunning, PageGone or PageNever.
	Page      string
	PageSince time.Time
	// Connection is what the page reported last ("" when none ever ran).
	Connection string
	// FallbackAt is when a grant waiting for a page now falls back, if
	// one waits; FallbackTo the granter it falls back to ("" fails).
	FallbackAt time.Time
	FallbackTo string
	// Sentences are the participants' sentences, by ledger key.
	Sentences map[string]string
}

// DescribeMeeting says, from what is stored, whether a page runs the
// meeting and where the host client stands with each of ps (the meeting's
// ledger rows): the same sentences as the host page's panel.
func (s *Service) DescribeMeeting(ctx context.Context, m grant.Meeting, ps []grant.Participant) (MeetingView, error) {
	page, err := s.Store.HostPage(ctx, m.AccountID, m.ID)
	if err != nil {
		return MeetingView{}, failure.Store(err)
	}
	now := s.now()
	promos := map[string]Promotion{}
	if uuid := page.InstanceFor(m); uuid != "" {
		list, err := s.Store.HostPromotions(ctx, uuid)
		if err != nil {
			return MeetingView{}, failure.Store(err)
		}
		for _, p := range list {
			promos[p.MatchKey] = p
		}
	}
	v := s.newView(page, promos, now)
	instance := make([]grant.Participant, 0, len(ps))
	for _, p := range ps {
		if p.MeetingUUID == m.UUID {
			instance = append(instance, p)
		}
	}
	v.placeLine(instance)
	out := MeetingView{Sentences: make(map[string]string, len(ps)), Connection: page.Connection, FallbackTo: s.Next}
	out.Page, out.PageSince = page.State(now)
	for _, p := range ps {
		if p.MeetingUUID != m.UUID {
			out.Sentences[p.Key] = grant.Describe(p, grant.Progress{})
			continue
		}
		out.Sentences[p.Key] = v.sentence(p)
		if p.State == grant.StatePending && !v.live && m.Live() {
			if at := fallbackAt(p, page, v.wait); out.FallbackAt.IsZero() || at.Before(out.FallbackAt) {
				out.FallbackAt = at
			}
		}
	}
	return out, nil
}

// panelState is a ledger participant's row state on the host page.
func panelState(p grant.Participant, st standing) string {
	switch {
	case st.kind == isHost:
		return api.HostRowHost
	case p.State == grant.StateConfirmed:
		return api.HostRowCoHost
	case p.State == grant.StateSkipped:
		return api.HostRowSkipped
	case p.State == grant.StateFailed:
		return api.HostRowFailed
	case p.State == grant.StateGranted:
		return api.HostRowGranted
	case st.kind == isPromoting:
		return api.HostRowPromoting
	}
	return api.HostRowPending
}

// describePanel is the host page's panel: every person the page sees or the
// ledger knows present, each with their state and their one sentence. Rows
// come in the order a host reads a crowd: what needs them (failures, the
// waiting room), then the line in its order, then the rest of the pending,
// then co-hosts and the others.
func describePanel(v view, m grant.Meeting, persons []person, standings []standing, notice string) api.HostPanel {
	panel := api.HostPanel{Topic: m.Topic, Notice: notice}
	type ranked struct {
		row  api.HostPanelRow
		rank int
		at   int
	}
	rows := make([]ranked, 0, len(persons))
	rosterPlace := len(v.places)
	callSeen := v.page.Call.ID == ""
	for i, p := range persons {
		st := standings[i]
		row := api.HostPanelRow{Name: p.name()}
		if p.roster != nil {
			row.UserID = p.roster.UserID
			row.WaitingRoom = p.roster.IsHold
		}
		if p.key == v.page.Call.Key {
			callSeen = true
		}
		switch {
		case st.kind == isHost:
			row.State, row.Text = api.HostRowHost, "the meeting's host"
			if p.roster != nil && p.roster.UserID == v.page.HostUserID {
				row.Text = "the host (this page)"
			}
		case p.ledger != nil:
			row.State, row.Text = panelState(*p.ledger, st), v.sentence(*p.ledger)
			row.Place = v.places[p.key]
		default:
			row.State, row.Text, row.Place = rosterOnly(v, p, st, &rosterPlace)
		}
		row.Group = panelGroup(row)
		rows = append(rows, ranked{row: row, rank: panelRank(row), at: p.order})
	}
	if !callSeen && panel.Notice == "" {
		panel.Notice = "waiting for the last makeCoHost to finish"
	}
	sortRanked := func(a, b ranked) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		if a.row.Place != b.row.Place {
			return a.row.Place - b.row.Place
		}
		return a.at - b.at
	}
	slices.SortStableFunc(rows, sortRanked)
	for _, r := range rows {
		panel.Rows = append(panel.Rows, r.row)
		c := &panel.Counts
		switch r.row.State {
		case api.HostRowCoHost:
			c.CoHost++
		case api.HostRowPending, api.HostRowPromoting:
			c.Pending++
		case api.HostRowSkipped:
			c.Skipped++
		case api.HostRowFailed:
			c.Failed++
		case api.HostRowGranted:
			c.Granted++
		}
		if r.row.WaitingRoom && r.row.State != api.HostRowHost {
			c.WaitingRoom++
		}
		if r.row.State != api.HostRowHost {
			c.Total++
		}
	}
	return panel
}

// panelGroup is the panel's section of a row.
func panelGroup(r api.HostPanelRow) string {
	switch {
	case r.State == api.HostRowHost:
		return api.HostGroupHost
	case r.State == api.HostRowFailed,
		r.WaitingRoom && (r.State == api.HostRowPending || r.State == api.HostRowPromoting):
		return api.HostGroupAttention
	case r.State == api.HostRowPromoting, r.Place > 0:
		return api.HostGroupLine
	case r.State == api.HostRowPending, r.State == api.HostRowGranted:
		return api.HostGroupWaiting
	case r.State == api.HostRowCoHost:
		return api.HostGroupCoHost
	}
	return api.HostGroupOther
}

// panelRank orders the panel's rows: by section, and being made co-host
// before the line.
func panelRank(r api.HostPanelRow) int {
	switch r.Group {
	case api.HostGroupHost:
		return 0
	case api.HostGroupAttention:
		return 1
	case api.HostGroupLine:
		if r.State == api.HostRowPromoting {
			return 2
		}
		return 3
	case api.HostGroupWaiting:
		return 4
	case api.HostGroupCoHost:
		return 5
	}
	return 6
}

// rosterOnly is the row of a roster entry Zoom's join event has not named
// yet: the page sees them, the ledger does not know them.
func rosterOnly(v view, p person, st standing, place *int) (state, text string, at int) {
	pending := grant.Participant{State: grant.StatePending, Name: p.name()}
	switch st.kind {
	case isOut:
		skipped := pending
		skipped.State, skipped.Reason = grant.StateSkipped, st.reason
		return api.HostRowSkipped, grant.Describe(skipped, grant.Progress{}), 0
	case isIdentity:
		return api.HostRowPending, grant.Describe(pending, grant.Progress{Step: grant.StepIdentity}), 0
	case isCoHost:
		done := pending
		done.State, done.Granter = grant.StateConfirmed, GranterName
		return api.HostRowCoHost, grant.Describe(done, grant.Progress{}), 0
	case isRoleShown:
		done := pending
		done.State, done.Granter = grant.StateConfirmed, grant.GranterHost
		return api.HostRowCoHost, grant.Describe(done, grant.Progress{}), 0
	case isTakenBack:
		return api.HostRowSkipped, "not co-host: the host took co-host back in the meeting; cohost does not ask for it again", 0
	case isPromoting:
		pr := v.promos[p.key]
		return api.HostRowPromoting, grant.Describe(pending, grant.Progress{Step: grant.StepPromoting, Attempts: pr.Attempts, Detail: pr.Detail}), 0
	case isHeld:
		pr := v.promos[p.key]
		return api.HostRowPending, grant.Describe(pending, grant.Progress{Step: grant.StepHeld, Reason: st.reason, Attempts: pr.Attempts, Detail: pr.Detail}), 0
	case isReady:
		*place++
		return api.HostRowPending, grant.Describe(pending, grant.Progress{Granter: GranterName, Step: grant.StepQueued, Place: *place,
			Wait: time.Duration(*place) * v.interval}), *place
	}
	return api.HostRowPending, grant.Describe(pending, grant.Progress{}), 0
}

// Summary says in one sentence whether a page runs the meeting and what
// that means for the joiners who wait for it.
func (v MeetingView) Summary() string {
	var s string
	switch v.Page {
	case PageRunning:
		s = "a host page runs this meeting"
		if v.Connection != "" && v.Connection != api.HostConnConnected {
			s += " (" + v.Connection + ")"
		}
		return s
	case PageGone:
		s = "no host page runs this meeting: the last one was gone since " + grant.Clock(v.PageSince)
	default:
		s = "no host page was opened for this meeting"
	}
	switch {
	case v.FallbackAt.IsZero():
	case v.FallbackTo != "":
		s += "; waiting joiners fall back to " + v.FallbackTo + " from " + grant.Clock(v.FallbackAt)
	default:
		s += "; waiting joiners' grants fail from " + grant.Clock(v.FallbackAt) + " unless a page opens"
	}
	return s
}
