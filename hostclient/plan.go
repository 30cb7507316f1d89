package hostclient

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
)

// This file is the host page protocol's decision, pure so that it is
// table-tested: given what the page reports, the ledger and the page's own
// record, who is promoted next, who is confirmed, and what the panel shows.

// CallLease is how long a makeCoHost call counts as in flight. The SDK gives
// up on its own after 10 s (OPERATION_TIMEOUT); a call whose page vanished
// (reload, closed tab) is presumed lost after this, and only then is another
// call issued.
const CallLease = 15 * time.Second

// Backoff bounds of a participant whose last call failed.
const (
	minBackoff = time.Second
	maxBackoff = 30 * time.Second
)

// normUUID is the SDK's participantUUID or the webhook's participant_uuid as
// they compare: without case or braces.
func normUUID(s string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(s), "{}"))
}

// LedgerMatchKey is the match key of a ledger participant: its
// participant_uuid, normalised, or its per-join user id.
func LedgerMatchKey(p grant.Participant) string {
	if p.Key != "" && p.Key != p.UserID {
		return "u:" + normUUID(p.Key)
	}
	return "uid:" + p.UserID
}

// rosterMatchKey is the match key of an SDK roster entry.
func rosterMatchKey(e api.HostRosterEntry) string {
	if e.ParticipantUUID != "" {
		return "u:" + normUUID(e.ParticipantUUID)
	}
	return "uid:" + strconv.FormatInt(e.UserID, 10)
}

// matches reports whether a roster entry is the ledger participant: by
// participant_uuid = participantUUID when both have one, else by user_id =
// userId. Never by name.
func matches(p grant.Participant, e api.HostRosterEntry) bool {
	if p.Key != "" && p.Key != p.UserID && e.ParticipantUUID != "" {
		return normUUID(p.Key) == normUUID(e.ParticipantUUID)
	}
	return p.UserID != "" && p.UserID == strconv.FormatInt(e.UserID, 10)
}

// planInput is what one sync decides on.
type planInput struct {
	Now      time.Time
	Meeting  grant.Meeting
	Policy   *grant.Policy
	Ledger   []grant.Participant // the meeting instance's rows
	Promos   map[string]store.HostPromotion
	Roster   []api.HostRosterEntry
	Me       *api.HostRosterEntry
	Page     store.HostPage // after the result was applied
	Interval time.Duration  // the least time between two makeCoHost calls
	// CanPromote is false while the page is not in the meeting (joining,
	// reconnecting): nothing is issued, the panel says why.
	CanPromote bool
}

// confirmation is a ledger participant the roster or the SDK showed as
// co-host.
type confirmation struct {
	Key string // ledger participant key
}

// planOutput is what the sync does.
type planOutput struct {
	Action api.HostAction
	// Promote is the match key of the participant Action promotes.
	Promote string
	// Confirm are ledger participants now known to be co-host.
	Confirm []confirmation
	// Save are the promotions that changed.
	Save  []store.HostPromotion
	Panel api.HostPanel
	// NextMS is when the page should sync again if nothing happens.
	NextMS int
}

// candidate is one participant the panel shows, ledger row and roster entry
// joined.
type candidate struct {
	key    string // match key of the promotion
	name   string
	ledger *grant.Participant
	roster *api.HostRosterEntry
	order  int
}

func plan(in planInput) planOutput {
	out := planOutput{NextMS: 1000}
	policy := in.Policy
	if policy == nil {
		policy = &grant.Policy{}
	}
	promos := in.Promos
	if promos == nil {
		promos = map[string]store.HostPromotion{}
	}
	saved := map[string]bool{}
	save := func(p store.HostPromotion) {
		promos[p.MatchKey] = p
		saved[p.MatchKey] = true
	}
	promo := func(key string) store.HostPromotion {
		if p, ok := promos[key]; ok {
			return p
		}
		return store.HostPromotion{MeetingUUID: in.Meeting.UUID, MatchKey: key, AccountID: in.Meeting.AccountID, MeetingID: in.Meeting.ID}
	}

	// Join the ledger's present participants and the roster.
	var cands []*candidate
	usedRoster := make([]bool, len(in.Roster))
	for i := range in.Ledger {
		p := &in.Ledger[i]
		if !p.Present() {
			continue
		}
		c := &candidate{key: LedgerMatchKey(*p), name: p.Name, ledger: p, order: i}
		for j := range in.Roster {
			if !usedRoster[j] && matches(*p, in.Roster[j]) {
				usedRoster[j], c.roster = true, &in.Roster[j]
				// A promotion the roster started under its own key moves to
				// the ledger's.
				if rk := rosterMatchKey(in.Roster[j]); rk != c.key {
					if rp, ok := promos[rk]; ok {
						if _, has := promos[c.key]; !has {
							rp.MatchKey = c.key
							save(rp)
						}
					}
				}
				break
			}
		}
		cands = append(cands, c)
	}
	for j := range in.Roster {
		if !usedRoster[j] {
			e := &in.Roster[j]
			cands = append(cands, &candidate{key: rosterMatchKey(*e), name: e.UserName, roster: e, order: len(in.Ledger) + j})
		}
	}

	type row struct {
		api.HostPanelRow
		order int
	}
	var rows []row
	var ready []*candidate // eligible, in the roster, not on hold, not backing off
	inflightSeen := false
	for _, c := range cands {
		r := row{HostPanelRow: api.HostPanelRow{Name: c.name}, order: c.order}
		if c.roster != nil {
			r.UserID = c.roster.UserID
			if r.Name == "" {
				r.Name = c.roster.UserName
			}
		}
		if r.Name == "" {
			r.Name = "Participant"
		}
		isMe := c.roster != nil && in.Me != nil && c.roster.UserID == in.Me.UserID
		pr := promo(c.key)
		switch {
		case isMe || (c.roster != nil && c.roster.IsHost) || (c.ledger != nil && c.ledger.Reason == grant.ReasonHost && c.ledger.State == grant.StateSkipped):
			r.State, r.Text = api.HostRowHost, "the host (this page)"
			if !isMe {
				r.Text = "the meeting's host"
			}
		case c.ledger != nil && c.ledger.State == grant.StateConfirmed:
			r.State = api.HostRowCoHost
			if c.ledger.Granter != GranterName && (pr.Done || pr.Attempts > 0 || in.Page.InflightKey == c.key) {
				// Zoom's role-change webhook confirmed a promotion of the page
				// before the page reported it: the page made them co-host.
				out.Confirm = append(out.Confirm, confirmation{Key: c.ledger.Key})
			}
		case pr.Done && c.roster != nil && !c.roster.IsCoHost:
			// cohost made them co-host and they are not any more: the host
			// took the role back in the meeting. The host's decision stands.
			r.State, r.Text = api.HostRowSkipped, "the host took co-host back in the meeting; cohost does not promote them again"
		case c.roster != nil && c.roster.IsCoHost:
			// The roster shows the role: the SDK's own confirmation (also of
			// a call whose page reloaded before it resolved).
			r.State = api.HostRowCoHost
			if !pr.Done {
				pr.Done, pr.DoneAt, pr.Reason, pr.Detail = true, in.Now, "", ""
				save(pr)
			}
			if c.ledger != nil {
				out.Confirm = append(out.Confirm, confirmation{Key: c.ledger.Key})
			}
		default:
			if why := skipReason(in.Meeting, policy, c); why != "" {
				r.State, r.Text = api.HostRowSkipped, why.Text()
				break
			}
			if c.ledger == nil && policyNeedsIdentity(policy) {
				r.State, r.Text = api.HostRowPending, "waiting for Zoom's join event, which the policy needs (their email or Zoom account)"
				break
			}
			r.State = api.HostRowPending
			switch {
			case in.Page.InflightCall != "" && in.Page.InflightKey == c.key:
				r.State, r.Text = api.HostRowPromoting, "being made co-host now"
				inflightSeen = true
			case c.roster == nil:
				r.Text = "not in the meeting's participant list yet"
				pr = withReason(pr, grant.ReasonNotInRoster, save)
			case c.roster.IsHold:
				r.Text = "in the waiting room: admit them and they are made co-host"
				pr = withReason(pr, grant.ReasonOnHold, save)
			case pr.NextAt.After(in.Now):
				r.Text = "Zoom did not make them co-host (" + failureWords(pr) + "); trying again in " +
					strconv.Itoa(int(pr.NextAt.Sub(in.Now).Round(time.Second)/time.Second)) + " s"
			default:
				r.Text = "waiting for their turn"
				ready = append(ready, c)
			}
		}
		rows = append(rows, r)
	}

	// The next call: one in flight per meeting, at the configured pace.
	switch {
	case !in.CanPromote:
		out.Panel.Notice = "co-hosts are made once the meeting is connected"
	case in.Page.InflightCall != "":
		if !inflightSeen {
			out.Panel.Notice = "waiting for the last call to finish"
		}
	case len(ready) > 0:
		if wait := in.Page.LastCallAt.Add(in.Interval).Sub(in.Now); wait > 0 {
			out.NextMS = max(50, min(out.NextMS, int(wait/time.Millisecond)))
			break
		}
		sort.SliceStable(ready, func(i, j int) bool { return joinOrder(ready[i]).Before(joinOrder(ready[j])) })
		c := ready[0]
		out.Promote = c.key
		out.Action = api.HostAction{Kind: api.HostActionPromote, UserID: c.roster.UserID}
		for i := range rows {
			if rows[i].order == c.order {
				rows[i].State, rows[i].Text = api.HostRowPromoting, "being made co-host now"
			}
		}
	}
	if out.Action.Kind == "" {
		out.Action = api.HostAction{Kind: api.HostActionWait}
	}

	sort.SliceStable(rows, func(i, j int) bool { return rowRank(rows[i].State) < rowRank(rows[j].State) })
	for _, r := range rows {
		out.Panel.Rows = append(out.Panel.Rows, r.HostPanelRow)
		switch r.State {
		case api.HostRowCoHost:
			out.Panel.Counts.CoHost++
		case api.HostRowPending, api.HostRowPromoting:
			out.Panel.Counts.Pending++
		case api.HostRowSkipped:
			out.Panel.Counts.Skipped++
		case api.HostRowFailed:
			out.Panel.Counts.Failed++
		}
		if r.State != api.HostRowHost {
			out.Panel.Counts.Total++
		}
	}
	out.Panel.Topic = in.Meeting.Topic
	keys := make([]string, 0, len(saved))
	for k := range saved {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out.Save = append(out.Save, promos[k])
	}
	return out
}

// withReason records why a participant is not promoted yet, saving the
// promotion only when that changes (most syncs change nothing).
func withReason(p store.HostPromotion, r grant.Reason, save func(store.HostPromotion)) store.HostPromotion {
	if p.Reason != r {
		p.Reason, p.Detail = r, ""
		save(p)
	}
	return p
}

// skipReason is why the policy does not promote a candidate, "" when it does.
func skipReason(m grant.Meeting, pol *grant.Policy, c *candidate) grant.Reason {
	if c.ledger != nil {
		if c.ledger.State == grant.StateSkipped && c.ledger.Reason != grant.ReasonLeft && c.ledger.Reason != grant.ReasonMeetingEnded {
			return c.ledger.Reason // the policy's decision at the join
		}
		return pol.Decide(m, *c.ledger)
	}
	switch {
	case c.roster.IsPhoneUser:
		return grant.ReasonPhoneOnly
	case !pol.MeetingInScope(m):
		return grant.ReasonMeetingOutOfScope
	}
	return ""
}

// policyNeedsIdentity reports whether deciding a joiner needs what only
// Zoom's join webhook carries (email, Zoom user id): the SDK roster has
// neither.
func policyNeedsIdentity(p *grant.Policy) bool {
	s := p.Participants
	return s.SignedInOnly || len(s.AllowEmailDomains) > 0 || len(s.DenyEmailDomains) > 0
}

func joinOrder(c *candidate) time.Time {
	if c.ledger != nil {
		return c.ledger.JoinedAt
	}
	return time.Unix(1<<40, int64(c.order)) // roster-only entries after the ledger's, in roster order
}

func rowRank(state string) int {
	switch state {
	case api.HostRowHost:
		return 0
	case api.HostRowPromoting:
		return 1
	case api.HostRowPending:
		return 2
	case api.HostRowFailed:
		return 3
	case api.HostRowCoHost:
		return 4
	}
	return 5
}

// failureWords says what the last failed call of p was, for the panel.
func failureWords(p store.HostPromotion) string {
	if p.Detail != "" {
		return p.Detail
	}
	return p.Reason.Text()
}

// backoff is the wait after a participant's n-th failed call.
func backoff(n int) time.Duration {
	d := minBackoff << min(max(n-1, 0), 6)
	return min(d, maxBackoff)
}
