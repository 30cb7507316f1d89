package hostclient

import (
	"context"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/failure"
	"github.com/cohost-dev/cohost/grant"
)

// Sync answers one report of the page. In one transaction under the
// meeting's page lock (Store.UpdateHostMeeting) it records the result of
// the call in flight, then takes the four steps: match the roster to the
// ledger (match.go), classify each person (classify.go), choose the next
// call (pace.go) and describe each person (describe.go). It returns the next
// action and the panel.
func (s *Service) Sync(ctx context.Context, l LinkRecord, req api.HostSyncRequest) (api.HostSyncResponse, error) {
	req, err := cleanSync(req)
	if err != nil {
		return api.HostSyncResponse{}, err
	}
	now := s.now()
	var d decision
	credited, err := s.Store.UpdateHostMeeting(ctx, l.AccountID, l.MeetingID, func(st *MeetingState) error {
		d = s.decide(st, req, now)
		return nil
	})
	if err != nil {
		return api.HostSyncResponse{}, failure.Store(err)
	}
	s.report(ctx, l, req, d, credited)
	return d.resp, nil
}

// decision is what one sync decided, for its answer, its metrics and its
// log.
type decision struct {
	resp api.HostSyncResponse
	// result is the verdict on the call whose result arrived (or was lost).
	result    *failure.SDKVerdict
	resultKey string
	// promote names whom the answer asks the page to promote.
	promote string
}

// decide is one sync's decision over the state the store loaded. It
// changes st (the page, the promotions to save, the credits to apply) and
// never reads anything else: it is the whole protocol's logic.
func (s *Service) decide(st *MeetingState, req api.HostSyncRequest, now time.Time) decision {
	d := decision{resp: api.HostSyncResponse{SyncMS: idleSyncMS, Action: api.HostAction{Kind: api.HostActionWait}}}
	page := &st.Page
	m := st.Meeting
	// A result is evidence of what the SDK did for cohost's own call, from
	// whichever page load asked for it: it is recorded even when another
	// page load holds the meeting now, or the meeting has ended.
	s.takeResult(st, req, now, &d)
	switch {
	case page.SessionID == "" || page.SessionID != req.SessionID:
		d.resp.Action = api.HostAction{Kind: api.HostActionStop, Why: api.HostStopSuperseded}
		return d
	case ended(m, *page):
		page.SeenAt, page.Connection = now, req.Connection
		d.resp.Action = api.HostAction{Kind: api.HostActionStop, Why: api.HostStopEnded}
		d.resp.Panel.Notice = "the meeting has ended"
		return d
	}
	page.SeenAt, page.Connection = now, req.Connection
	if req.Me != nil {
		page.HostUserID = req.Me.UserID
	}
	if m.Live() {
		page.MeetingUUID = m.UUID
	}
	instance := page.InstanceFor(m)

	// Step 1: match. Step 2: classify, recording what the roster shows.
	persons := match(st.Ledger, req.Roster)
	in := classifyInput{Meeting: m, Policy: s.Policy, Me: req.Me, Call: page.Call, Now: now, GiveUpAfter: s.giveUpAfter()}
	standings := make([]standing, len(persons))
	ledgerKeys := make(map[string]bool, len(st.Ledger))
	for _, p := range st.Ledger {
		ledgerKeys[LedgerMatchKey(p)] = true
	}
	rosterOnlyRows := 0
	for key := range st.Promotions {
		if !ledgerKeys[key] {
			rosterOnlyRows++
		}
	}
	for i, p := range persons {
		if instance != "" {
			adoptPromotion(st, p)
		}
		pr := st.promotion(p.key, m, instance)
		standings[i] = classify(in, p, pr)
		if p.ledger == nil || instance == "" {
			continue
		}
		switch k := standings[i].kind; {
		case k == isRoleShown && pr.State == PromotionWaiting:
			// Zoom shows a role nobody in cohost asked for: cohost does not
			// ask for it, and does not take the credit either; Zoom's
			// role-change event names the host.
			pr.State = PromotionOther
			st.Save(pr)
		default:
			if next, changed := holdOf(pr, standings[i]); changed {
				st.Save(next)
			}
		}
	}

	// Step 3: pace. The line is the ledger's ready participants in join
	// order, as stored (describe.go numbers the same line), then the ready
	// roster entries Zoom's join event has not named yet.
	v := s.newView(*page, st.Promotions, now)
	v.live = true // this page reports now
	byLedger := make(map[*grant.Participant]int, len(persons))
	for i, p := range persons {
		if p.ledger != nil {
			byLedger[p.ledger] = i
		}
	}
	var line []person
	for _, i := range v.placeLine(st.Ledger) {
		if j, ok := byLedger[&st.Ledger[i]]; ok && persons[j].roster != nil {
			line = append(line, persons[j])
		}
	}
	for i, p := range persons {
		if p.ledger == nil && standings[i].kind == isReady {
			line = append(line, p)
		}
	}
	out := req.Connection == api.HostConnClosed || req.Connection == api.HostConnFail ||
		req.Connection == api.HostConnLeft || req.Connection == api.HostConnEnded
	pc := pace(paceInput{Now: now, Page: *page, Interval: s.interval(), RosterOnlyRows: rosterOnlyRows,
		CanPromote: !out && req.Connection == api.HostConnConnected && req.Me != nil && req.Me.IsHost && instance != ""}, line, st.Promotions)
	d.resp.SyncMS, d.resp.Panel.Notice = pc.SyncMS, pc.Notice
	if pc.Next >= 0 {
		p := line[pc.Next]
		pr := st.promotion(p.key, m, instance)
		st.Save(pr) // a roster entry's promotion is kept from its first call on
		page.Call = Call{ID: grant.NewID(), Key: p.key, Until: now.Add(pc.Delay + CallLease)}
		page.LastCallAt = now.Add(pc.Delay)
		d.promote = p.key
		d.resp.Action = api.HostAction{Kind: api.HostActionPromote, CallID: page.Call.ID, UserID: p.roster.UserID,
			DelayMS: int((pc.Delay + time.Millisecond - 1) / time.Millisecond)}
		if p.ledger != nil {
			delete(v.places, p.key)
			for k, n := range v.places {
				if n > 1 {
					v.places[k] = n - 1
				}
			}
		}
		v.page = *page
		in.Call = page.Call
		for i := range persons {
			if persons[i].key == p.key {
				standings[i] = standing{kind: isPromoting}
			}
		}
	}

	// Step 4: describe.
	d.resp.Panel = describePanel(v, m, persons, standings, d.resp.Panel.Notice)
	if out {
		// The page is out of the meeting: its last report is in; it stops.
		d.resp.Action = api.HostAction{Kind: api.HostActionStop, Why: api.HostStopClosed}
	}
	return d
}

// takeResult records the result of the call in flight, or its loss once
// its lease is over, on the participant's promotion, and credits the host
// page for a call the SDK resolved.
func (s *Service) takeResult(st *MeetingState, req api.HostSyncRequest, now time.Time, d *decision) {
	call := st.Page.Call
	var v failure.SDKVerdict
	switch {
	case call.ID == "":
		return
	case req.Result != nil && req.Result.CallID == call.ID:
		v = failure.SDK(*req.Result)
	case !call.InFlight(now):
		v = failure.Lost()
	default:
		return
	}
	st.Page.Call = Call{}
	d.result, d.resultKey = &v, call.Key
	instance := st.Page.InstanceFor(st.Meeting)
	if instance == "" {
		return
	}
	// The ended instance's promotions are gone (EndHostPage): only the
	// ledger learns of a late result.
	_, keep := st.Promotions[call.Key]
	keep = keep || !ended(st.Meeting, st.Page)
	pr := st.promotion(call.Key, st.Meeting, instance)
	switch {
	case v.Done:
		pr.State, pr.DoneAt, pr.Reason, pr.Detail, pr.Hold = PromotionDone, now, "", "", ""
		for i := range st.Ledger {
			if LedgerMatchKey(st.Ledger[i]) == call.Key {
				credit := creditHostPage(now)
				st.Credit(Credit{Key: st.Ledger[i].Key, Apply: credit})
				st.Ledger[i], _ = credit(st.Ledger[i])
			}
		}
	case v.Already:
		pr.State = PromotionOther
	default:
		pr.Attempts++
		pr.Reason, pr.Detail = v.Reason, v.Detail
		pr.NextAt = now.Add(backoff(pr.Attempts))
	}
	if keep {
		st.Save(pr)
	}
}

// creditHostPage is the rule for a participant whose makeCoHost, issued by
// cohost, the SDK resolved: the host page made them co-host. A role Zoom
// already confirmed is left to whoever it names (the role-change event that
// came while the call was in flight names the host page too).
func creditHostPage(at time.Time) func(grant.Participant) (grant.Participant, bool) {
	return func(p grant.Participant) (grant.Participant, bool) {
		if p.State == grant.StateConfirmed && p.Granter != "" {
			return p, false
		}
		next, _ := grant.ApplyConfirm(p, at, at, GranterName)
		return next, next != p
	}
}

// promotion is the person's promotion, or a new one.
func (st *MeetingState) promotion(key string, m grant.Meeting, instance string) Promotion {
	if p, ok := st.Promotions[key]; ok {
		return p
	}
	return Promotion{MeetingUUID: instance, MatchKey: key, AccountID: m.AccountID, MeetingID: m.ID, State: PromotionWaiting}
}

// ended reports whether the meeting the page runs is over: Zoom said so
// (meeting.ended, processed by finish_meeting) after this page load started.
func ended(m grant.Meeting, p Page) bool {
	if p.endedSinceClaim() {
		return true
	}
	return (m.Status == grant.MeetingEnded || m.Status == grant.MeetingDeleted) && m.EndedAt.After(p.ClaimedAt)
}

// backoff is the wait after a participant's n-th failed call.
func backoff(n int) time.Duration {
	d := minBackoff << min(max(n-1, 0), 6)
	return min(d, maxBackoff)
}

// cleanSync bounds and validates what the page sent: every value comes from
// a browser.
func cleanSync(req api.HostSyncRequest) (api.HostSyncRequest, error) {
	bad := func(detail string) error {
		return &grant.Error{Code: api.HostErrBadRequest, Message: detail}
	}
	if len(req.SessionID) > 64 || word(req.SessionID, 64) != req.SessionID {
		return req, bad("session_id is malformed")
	}
	switch req.Connection {
	case api.HostConnJoining, api.HostConnConnected, api.HostConnReconnecting, api.HostConnClosed, api.HostConnFail,
		api.HostConnLeft, api.HostConnEnded:
	default:
		return req, bad("connection must be one of joining, Connected, Reconnecting, Closed, Fail, left, ended")
	}
	if len(req.Roster) > maxRoster {
		return req, bad("the roster has more than 1000 participants")
	}
	clean := func(e api.HostRosterEntry) api.HostRosterEntry {
		e.UserName = api.CleanText(e.UserName, 200)
		e.ParticipantUUID = word(e.ParticipantUUID, 64)
		return e
	}
	for i := range req.Roster {
		req.Roster[i] = clean(req.Roster[i])
	}
	if req.Me != nil {
		me := clean(*req.Me)
		req.Me = &me
	}
	if req.Result != nil && req.Result.CallID != word(req.Result.CallID, 64) {
		return req, bad("result.call_id is malformed")
	}
	return req, nil
}

// word keeps an outside identifier-like value to letters, digits, '-', '_',
// '{' and '}' (a participantUUID's), at most n bytes.
func word(s string, n int) string {
	b := make([]byte, 0, min(len(s), n))
	for i := 0; i < len(s) && len(b) < n; i++ {
		c := s[i]
		if c == '_' || c == '-' || c == '{' || c == '}' || c == '+' || c == '/' || c == '=' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	return string(b)
}

// report counts and logs what a sync did: each decision (a call asked for,
// a call's result, a credit) once at info, the sync itself at debug.
func (s *Service) report(ctx context.Context, l LinkRecord, req api.HostSyncRequest, d decision, credited []Credited) {
	log := s.log()
	if d.result != nil {
		s.Metrics.CountHostClientCall(d.result.Label)
		log.InfoContext(ctx, "host page makeCoHost settled", "meeting_id", l.MeetingID, "match_key", d.resultKey,
			"result", d.result.Label, "reason", string(d.result.Reason), "detail", d.result.Detail)
	}
	for _, c := range credited {
		p := c.After
		if c.Before.State == grant.StateConfirmed && c.Before.Granter != "" {
			continue
		}
		s.Metrics.CountGrant(GranterName, string(grant.StateConfirmed), "")
		if !p.JoinSeenAt.IsZero() {
			s.Metrics.ObserveTimeToCoHost(GranterName, "confirmed", p.ConfirmedAt.Sub(p.JoinSeenAt))
		}
		log.InfoContext(ctx, "co-host confirmed by the host page", "meeting_id", l.MeetingID, "meeting_uuid", p.MeetingUUID,
			"participant_key", p.Key, "granter", GranterName, "time_to_cohost_ms", p.ConfirmedAt.Sub(p.JoinSeenAt).Milliseconds(),
			"sentence", grant.Describe(p, grant.Progress{}))
	}
	if d.promote != "" {
		log.InfoContext(ctx, "host page asked to promote", "meeting_id", l.MeetingID, "match_key", d.promote, "sdk_user_id", d.resp.Action.UserID)
	}
	log.DebugContext(ctx, "host page synced", "meeting_id", l.MeetingID, "connection", req.Connection,
		"me_is_host", req.Me != nil && req.Me.IsHost, "roster", len(req.Roster), "action", d.resp.Action.Kind,
		"notice", d.resp.Panel.Notice, "pending", d.resp.Panel.Counts.Pending, "cohosts", d.resp.Panel.Counts.CoHost,
		"skipped", d.resp.Panel.Counts.Skipped, "failed", d.resp.Panel.Counts.Failed)
}
