package hostclient

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
)

// Table tests of each step of a sync (match, classify, pace, describe) and
// of the decision they make together, without a database: the steps are
// pure.

var t0 = time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)

func joined(key, userID, name string, at int, state grant.State) grant.Participant {
	return grant.Participant{AccountID: "a", MeetingID: "81234567890", MeetingUUID: "u", Key: key, UserID: userID, Name: name,
		JoinedAt: t0.Add(time.Duration(at) * time.Second), JoinSeenAt: t0.Add(time.Duration(at) * time.Second), State: state}
}

func entry(userID int64, uuid, name string) api.HostRosterEntry {
	return api.HostRosterEntry{UserID: userID, ParticipantUUID: uuid, UserName: name}
}

var me = api.HostRosterEntry{UserID: 1, ParticipantUUID: "{HOST-0000}", UserName: "Host", IsHost: true}

func TestMatch(t *testing.T) {
	ada := joined("6B988AD6-AC75-8F58", "16778240", "Ada", 1, grant.StatePending)
	noUUID := joined("16778241", "16778241", "Bob", 2, grant.StatePending)
	left := joined("LEFT-1", "16778242", "Cy", 3, grant.StatePending)
	left.LeftAt = left.JoinedAt.Add(time.Second)
	for _, tt := range []struct {
		name   string
		ledger []grant.Participant
		roster []api.HostRosterEntry
		want   map[string]string // person key → roster name ("-" for none)
	}{
		{"uuid, other case and braces", []grant.Participant{ada}, []api.HostRosterEntry{entry(16778240, "{6b988ad6-ac75-8f58}", "Ada")},
			map[string]string{"u:6b988ad6-ac75-8f58": "Ada"}},
		{"no uuid in the webhook: the user id", []grant.Participant{noUUID}, []api.HostRosterEntry{entry(16778241, "{X}", "Bob")},
			map[string]string{"uid:16778241": "Bob"}},
		{"no uuid in the roster: the user id", []grant.Participant{ada}, []api.HostRosterEntry{entry(16778240, "", "Ada")},
			map[string]string{"u:6b988ad6-ac75-8f58": "Ada"}},
		{"the uuid changed with the role: the user id keeps the person", []grant.Participant{ada},
			[]api.HostRosterEntry{entry(16778240, "{NEW-AFTER-PROMOTION}", "Ada")},
			map[string]string{"u:6b988ad6-ac75-8f58": "Ada"}},
		{"the same name is not the same person", []grant.Participant{ada}, []api.HostRosterEntry{entry(99, "OTHER", "Ada")},
			map[string]string{"u:6b988ad6-ac75-8f58": "-", "u:other": "Ada"}},
		{"who left is not matched", []grant.Participant{left}, []api.HostRosterEntry{entry(16778242, "LEFT-1", "Cy")},
			map[string]string{"u:left-1": "Cy"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			for _, p := range match(tt.ledger, tt.roster) {
				name := "-"
				if p.roster != nil {
					name = p.roster.UserName
				}
				got[p.key] = name
			}
			if len(got) != len(tt.want) {
				t.Fatalf("persons %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s → %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}

func TestClassify(t *testing.T) {
	now := t0.Add(time.Minute)
	m := grant.Meeting{AccountID: "a", ID: "81234567890", UUID: "u", HostID: "h", Status: grant.MeetingStarted}
	pend := joined("AAA", "100", "Ada", 30, grant.StatePending)
	with := func(p grant.Participant, f func(*grant.Participant)) *grant.Participant { f(&p); return &p }
	e := entry(100, "AAA", "Ada")
	onHold, coHost, phone := e, e, e
	onHold.IsHold, coHost.IsCoHost, phone.IsPhoneUser = true, true, true
	domains := &grant.Policy{Participants: grant.ParticipantScope{AllowEmailDomains: []string{"example.com"}}}
	outOfScope := &grant.Policy{Meetings: grant.MeetingScope{MeetingIDs: []string{"1"}}}
	for _, tt := range []struct {
		name   string
		p      person
		pr     Promotion
		in     func(*classifyInput)
		want   standingKind
		reason grant.Reason
	}{
		{"the roster's host", person{roster: &me}, Promotion{}, nil, isHost, ""},
		{"this page", person{roster: &api.HostRosterEntry{UserID: 1}}, Promotion{}, nil, isHost, ""},
		{"confirmed in the ledger", person{ledger: with(pend, func(p *grant.Participant) { p.State = grant.StateConfirmed }), roster: &e}, Promotion{}, nil, isCoHost, ""},
		{"the policy skipped them, even if Zoom shows co-host", person{ledger: with(pend, func(p *grant.Participant) {
			p.State, p.Reason = grant.StateSkipped, grant.ReasonParticipantOutOfScope
		}), roster: &coHost}, Promotion{}, nil, isSettled, ""},
		{"a phone-only caller the ledger skipped", person{ledger: with(pend, func(p *grant.Participant) {
			p.State, p.Reason = grant.StateSkipped, grant.ReasonPhoneOnly
		}), roster: &phone}, Promotion{}, nil, isSettled, ""},
		{"failed for good", person{ledger: with(pend, func(p *grant.Participant) { p.State, p.Reason = grant.StateFailed, grant.ReasonSDKError }), roster: &e},
			Promotion{}, nil, isSettled, ""},
		{"failed for want of a page: a page mends it", person{ledger: with(pend, func(p *grant.Participant) { p.State, p.Reason = grant.StateFailed, grant.ReasonNoHostPage }), roster: &e},
			Promotion{}, nil, isReady, ""},
		{"co-host abilities give way to the role", person{ledger: with(pend, func(p *grant.Participant) { p.State, p.Granter = grant.StateGranted, "permissions" }), roster: &e},
			Promotion{}, nil, isReady, ""},
		{"the agent's grant", person{ledger: with(pend, func(p *grant.Participant) { p.State, p.Granter = grant.StateGranted, "agent" }), roster: &e},
			Promotion{}, nil, isSettled, ""},
		{"a roster-only phone caller", person{roster: &phone}, Promotion{}, nil, isOut, grant.ReasonPhoneOnly},
		{"a roster-only joiner of a meeting out of scope", person{roster: &e}, Promotion{}, func(in *classifyInput) { in.Policy = outOfScope }, isOut, grant.ReasonMeetingOutOfScope},
		{"a roster-only joiner the policy cannot decide yet", person{roster: &e}, Promotion{}, func(in *classifyInput) { in.Policy = domains }, isIdentity, ""},
		{"cohost made them co-host; the host took it back", person{ledger: &pend, roster: &e}, Promotion{State: PromotionDone}, nil, isTakenBack, ""},
		{"someone else made them co-host", person{ledger: &pend, roster: &coHost}, Promotion{State: PromotionOther}, nil, isRoleShown, ""},
		{"Zoom shows a role nobody in cohost asked for", person{key: "u:aaa", ledger: &pend, roster: &coHost}, Promotion{}, nil, isRoleShown, ""},
		{"the call is in flight (the roster may show the role already)", person{key: "u:aaa", ledger: &pend, roster: &coHost}, Promotion{},
			func(in *classifyInput) { in.Call = Call{ID: "c", Key: "u:aaa", Until: now.Add(time.Second)} }, isPromoting, ""},
		{"refused until past the give-up time", person{ledger: with(pend, func(p *grant.Participant) { p.JoinSeenAt = now.Add(-3 * time.Minute) }), roster: &e},
			Promotion{Attempts: 3, Reason: grant.ReasonSDKError}, nil, isGivenUp, ""},
		{"held until past the give-up time", person{ledger: with(pend, func(p *grant.Participant) { p.JoinSeenAt = now.Add(-3 * time.Minute) }), roster: &onHold},
			Promotion{}, nil, isGivenUp, ""},
		{"only in line past the give-up time: still in line", person{ledger: with(pend, func(p *grant.Participant) { p.JoinSeenAt = now.Add(-3 * time.Minute) }), roster: &e},
			Promotion{}, nil, isReady, ""},
		{"not in the list yet", person{ledger: &pend}, Promotion{}, nil, isHeld, grant.ReasonNotInRoster},
		{"in the waiting room", person{ledger: &pend, roster: &onHold}, Promotion{}, nil, isHeld, grant.ReasonOnHold},
		{"backing off after a refusal", person{ledger: &pend, roster: &e}, Promotion{Attempts: 2, Reason: grant.ReasonSDKError, NextAt: now.Add(time.Second)}, nil, isHeld, grant.ReasonSDKError},
		{"ready", person{ledger: &pend, roster: &e}, Promotion{Attempts: 2, Reason: grant.ReasonSDKError, NextAt: now.Add(-time.Second)}, nil, isReady, ""},
		{"ready before Zoom's join event", person{roster: &e}, Promotion{}, nil, isReady, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := classifyInput{Meeting: m, Me: &me, Now: now, GiveUpAfter: 2 * time.Minute}
			if tt.in != nil {
				tt.in(&in)
			}
			got := classify(in, tt.p, tt.pr)
			if got.kind != tt.want || got.reason != tt.reason {
				t.Fatalf("classify = %d/%q, want %d/%q", got.kind, got.reason, tt.want, tt.reason)
			}
		})
	}
}

func TestPace(t *testing.T) {
	now := t0.Add(time.Minute)
	ada, bob := joined("AAA", "100", "Ada", 1, grant.StatePending), joined("BBB", "200", "Bob", 2, grant.StatePending)
	ea, eb, ec := entry(100, "AAA", "Ada"), entry(200, "BBB", "Bob"), entry(300, "CCC", "Cy")
	line := []person{{key: "u:aaa", ledger: &ada, roster: &ea}, {key: "u:bbb", ledger: &bob, roster: &eb}}
	rosterOnly := []person{{key: "u:ccc", roster: &ec}, {key: "u:bbb", ledger: &bob, roster: &eb}}
	for _, tt := range []struct {
		name     string
		in       paceInput
		line     []person
		promos   map[string]Promotion
		wantNext int
		wantMS   int
		notice   bool
	}{
		{"the first in line", paceInput{Now: now, Interval: time.Second, CanPromote: true}, line, nil, 0, idleSyncMS, false},
		{"nobody in line", paceInput{Now: now, Interval: time.Second, CanPromote: true}, nil, nil, -1, idleSyncMS, false},
		{"not connected", paceInput{Now: now, Interval: time.Second}, line, nil, -1, idleSyncMS, true},
		{"one call in flight", paceInput{Now: now, Interval: time.Second, CanPromote: true,
			Page: Page{Call: Call{ID: "c", Key: "u:zzz", Until: now.Add(time.Second)}}}, line, nil, -1, idleSyncMS, true},
		{"a call whose lease ended does not hold the line", paceInput{Now: now, Interval: time.Second, CanPromote: true,
			Page: Page{Call: Call{ID: "c", Key: "u:zzz", Until: now.Add(-time.Second)}}}, line, nil, 0, idleSyncMS, false},
		{"the interval since the last call", paceInput{Now: now, Interval: time.Second, CanPromote: true,
			Page: Page{LastCallAt: now.Add(-300 * time.Millisecond)}}, line, nil, 0, idleSyncMS, false},
		{"roster entries beyond the bound wait for Zoom's join event", paceInput{Now: now, Interval: time.Second, CanPromote: true,
			RosterOnlyRows: maxRosterOnly}, rosterOnly, nil, 1, idleSyncMS, false},
		{"a roster entry already kept is not held back", paceInput{Now: now, Interval: time.Second, CanPromote: true,
			RosterOnlyRows: maxRosterOnly}, rosterOnly, map[string]Promotion{"u:ccc": {}}, 0, idleSyncMS, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := pace(tt.in, tt.line, tt.promos)
			if got.Next != tt.wantNext || got.SyncMS != tt.wantMS || (got.Notice != "") != tt.notice {
				t.Fatalf("pace = %+v, want next %d, sync %d ms, notice %v", got, tt.wantNext, tt.wantMS, tt.notice)
			}
		})
	}
	// Within the interval the next call is asked for now and waits in the
	// page for the rest of it; past the interval it starts at once.
	for since, want := range map[time.Duration]time.Duration{300 * time.Millisecond: 700 * time.Millisecond, time.Second: 0, 5 * time.Second: 0} {
		got := pace(paceInput{Now: now, Interval: time.Second, CanPromote: true, Page: Page{LastCallAt: now.Add(-since)}}, line, nil)
		if got.Next != 0 || got.Delay != want {
			t.Errorf("%v after the last call: %+v, want the first in line after %v", since, got, want)
		}
	}
}

// What the host client says of a pending participant, from what is stored.
func TestProgress(t *testing.T) {
	now := t0.Add(time.Minute)
	s := &Service{Interval: time.Second, Wait: 30 * time.Second, GiveUpAfter: 2 * time.Minute, Next: "permissions"}
	ada := joined("AAA", "100", "Ada", 50, grant.StatePending)
	live := Page{SessionID: "s", ClaimedAt: t0, SeenAt: now, Connection: api.HostConnConnected}
	for _, tt := range []struct {
		name string
		page Page
		pr   Promotion
		want string
	}{
		{"no page ever", Page{}, Promotion{}, "pending: no host page runs this meeting; falls back to permissions at 14:01:20 UTC"},
		{"the page is gone: the wait counts from its last report", Page{SessionID: "s", ClaimedAt: t0, SeenAt: t0.Add(45 * time.Second), Connection: api.HostConnConnected},
			Promotion{}, "pending: no host page runs this meeting; falls back to permissions at 14:01:20 UTC"},
		{"a page that left", Page{SessionID: "s", ClaimedAt: t0, SeenAt: now, Connection: api.HostConnLeft}, Promotion{},
			"pending: no host page runs this meeting; falls back to permissions at 14:01:30 UTC"},
		{"next in line", live, Promotion{}, "pending: next in line on the host page, about 1 s"},
		{"being made co-host", Page{SessionID: "s", ClaimedAt: t0, SeenAt: now, Connection: api.HostConnConnected,
			Call: Call{ID: "c", Key: "u:aaa", Until: now.Add(time.Second)}}, Promotion{}, "pending: the host page is making them co-host now"},
		{"in the waiting room", live, Promotion{Hold: grant.ReasonOnHold},
			"pending: in the waiting room: admit them in Zoom's participant panel and they are made co-host; trying until 14:02:50 UTC"},
		{"refused, backing off", live, Promotion{Attempts: 5, Reason: grant.ReasonSDKError, Detail: "INTERNAL_ERROR 2", NextAt: now.Add(10 * time.Second)},
			"pending: Zoom's Meeting SDK refuses makeCoHost (5 tries so far; last: INTERNAL_ERROR 2); trying until 14:02:50 UTC"},
		{"refused, then in the waiting room", live, Promotion{Attempts: 1, Hold: grant.ReasonOnHold, Reason: grant.ReasonSDKError, Detail: "INTERNAL_ERROR 2"},
			"pending: in the waiting room: admit them in Zoom's participant panel and they are made co-host (1 try so far; last: INTERNAL_ERROR 2); trying until 14:02:50 UTC"},
		{"Zoom shows a role nobody asked for", live, Promotion{State: PromotionOther},
			"pending: Zoom shows them as co-host already (nobody in cohost asked for it); waiting for Zoom's role-change event"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.pr.MatchKey = "u:aaa"
			v := s.newView(tt.page, map[string]Promotion{"u:aaa": tt.pr}, now)
			v.placeLine([]grant.Participant{ada})
			if got := v.sentence(ada); got != tt.want {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// decideEnv runs decide over a state built in memory, as the store would
// load it.
type decideEnv struct {
	t   *testing.T
	s   *Service
	st  *MeetingState
	now time.Time
}

func newDecide(t *testing.T, ledger ...grant.Participant) *decideEnv {
	m := grant.Meeting{AccountID: "a", ID: "81234567890", UUID: "u", HostID: "h", Status: grant.MeetingStarted, Topic: "All hands", StartedAt: t0}
	return &decideEnv{t: t, now: t0.Add(time.Minute),
		s: &Service{Interval: time.Second, Wait: 30 * time.Second, GiveUpAfter: 2 * time.Minute, Next: "permissions"},
		st: &MeetingState{Meeting: m, Page: Page{AccountID: "a", MeetingID: "81234567890", MeetingUUID: "u", SessionID: "s1", ClaimedAt: t0, SeenAt: t0,
			Connection: api.HostConnConnected}, Ledger: ledger, Promotions: map[string]Promotion{}}}
}

// sync decides on one report and applies what the store would: saved
// promotions and credits.
func (e *decideEnv) sync(roster []api.HostRosterEntry, result *api.HostCallResult) api.HostSyncResponse {
	e.t.Helper()
	st := &MeetingState{Meeting: e.st.Meeting, Page: e.st.Page, Ledger: append([]grant.Participant(nil), e.st.Ledger...), Promotions: map[string]Promotion{}}
	for k, p := range e.st.Promotions {
		st.Promotions[k] = p
	}
	req, err := cleanSync(api.HostSyncRequest{SessionID: "s1", Connection: api.HostConnConnected, Me: &me, Roster: append([]api.HostRosterEntry{me}, roster...), Result: result})
	if err != nil {
		e.t.Fatal(err)
	}
	d := e.s.decide(st, req, e.now)
	for _, p := range st.Saves() {
		e.st.Promotions[p.MatchKey] = p
	}
	for _, c := range st.Credits() {
		for i := range e.st.Ledger {
			if e.st.Ledger[i].Key == c.Key {
				e.st.Ledger[i], _ = c.Apply(e.st.Ledger[i])
			}
		}
	}
	e.st.Page = st.Page
	return d.resp
}

func (e *decideEnv) ledger(key string) grant.Participant {
	for _, p := range e.st.Ledger {
		if p.Key == key {
			return p
		}
	}
	e.t.Fatalf("no ledger row %s", key)
	return grant.Participant{}
}

func rowOf(p api.HostPanel, name string) api.HostPanelRow {
	for _, r := range p.Rows {
		if r.Name == name {
			return r
		}
	}
	return api.HostPanelRow{}
}

// The rules of credit and truth, as one sync after another applies them.
func TestDecideCreditAndTruth(t *testing.T) {
	t.Run("a co-host the page was never asked to promote gets no credit", func(t *testing.T) {
		ada := joined("AAA", "100", "Ada", 1, grant.StatePending)
		excluded := joined("EXC", "200", "Eve", 2, grant.StateSkipped)
		excluded.Reason = grant.ReasonParticipantOutOfScope
		phone := joined("PHN", "300", "Caller", 3, grant.StateSkipped)
		phone.Reason = grant.ReasonPhoneOnly
		e := newDecide(t, ada, excluded, phone)
		ea, ee, ep := entry(100, "AAA", "Ada"), entry(200, "EXC", "Eve"), entry(300, "PHN", "Caller")
		ea.IsCoHost, ee.IsCoHost, ep.IsCoHost, ep.IsPhoneUser = true, true, true, true
		resp := e.sync([]api.HostRosterEntry{ea, ee, ep}, nil)
		if resp.Action.Kind != api.HostActionWait {
			t.Fatalf("asked to promote someone Zoom shows as co-host: %+v", resp.Action)
		}
		if len(e.st.credits) != 0 {
			t.Fatal("credits asked for")
		}
		for key, want := range map[string]grant.State{"AAA": grant.StatePending, "EXC": grant.StateSkipped, "PHN": grant.StateSkipped} {
			if got := e.ledger(key); got.State != want || got.Granter != "" {
				t.Errorf("%s = %s via %q, want %s via nobody", key, got.State, got.Granter, want)
			}
		}
		if e.st.Promotions["u:aaa"].State != PromotionOther {
			t.Errorf("Ada's promotion %+v: the page must not ask for a role Zoom shows", e.st.Promotions["u:aaa"])
		}
		if got := rowOf(resp.Panel, "Eve"); got.State != api.HostRowSkipped || !strings.Contains(got.Text, "out of the scope") {
			t.Errorf("Eve's row %+v: the policy's decision stays", got)
		}
	})

	t.Run("a resolved call credits the host page; a roster co-host without a call does not", func(t *testing.T) {
		ada, bob := joined("AAA", "100", "Ada", 1, grant.StatePending), joined("BBB", "200", "Bob", 2, grant.StatePending)
		e := newDecide(t, ada, bob)
		ea, eb := entry(100, "AAA", "Ada"), entry(200, "BBB", "Bob")
		first := e.sync([]api.HostRosterEntry{ea, eb}, nil)
		if first.Action.Kind != api.HostActionPromote || first.Action.UserID != 100 {
			t.Fatalf("first action %+v", first.Action)
		}
		ea.IsCoHost = true
		e.now = e.now.Add(300 * time.Millisecond)
		next := e.sync([]api.HostRosterEntry{ea, eb}, &api.HostCallResult{CallID: first.Action.CallID, OK: true})
		if got := e.ledger("AAA"); got.State != grant.StateConfirmed || got.Granter != GranterName {
			t.Fatalf("Ada = %s via %q", got.State, got.Granter)
		}
		// The answer to the result carries the next call at once, to start
		// when the interval since Ada's call ends.
		if next.Action.Kind != api.HostActionPromote || next.Action.UserID != 200 || next.Action.DelayMS != 700 {
			t.Fatalf("after Ada: %+v, want Bob's call in 700 ms", next.Action)
		}
		// That call is in flight from the answer on: a sync meanwhile asks for nothing more.
		e.now = e.now.Add(100 * time.Millisecond)
		if again := e.sync([]api.HostRosterEntry{ea, eb}, nil); again.Action.Kind == api.HostActionPromote {
			t.Fatalf("a second call while Bob's is in flight: %+v", again.Action)
		}
		// A page reporting a call id it was never given changes nothing.
		e.now = e.now.Add(time.Second)
		e.sync([]api.HostRosterEntry{ea, eb}, &api.HostCallResult{CallID: "forged", OK: true})
		if got := e.ledger("BBB"); got.State != grant.StatePending {
			t.Fatalf("Bob credited on a forged result: %s via %q", got.State, got.Granter)
		}
	})

	t.Run("a revoke or a takeover during a call: no second call within the lease", func(t *testing.T) {
		ada := joined("AAA", "100", "Ada", 1, grant.StatePending)
		e := newDecide(t, ada)
		ea := entry(100, "AAA", "Ada")
		first := e.sync([]api.HostRosterEntry{ea}, nil)
		if first.Action.Kind != api.HostActionPromote {
			t.Fatalf("first action %+v", first.Action)
		}
		// The link is revoked (the session released) and a new page starts.
		e.st.Page.SessionID = ""
		e.st.Page.SessionID, e.st.Page.ClaimedAt = "s1", e.now
		for _, after := range []time.Duration{time.Second, 5 * time.Second, CallLease - time.Millisecond} {
			e.now = t0.Add(time.Minute).Add(after)
			if a := e.sync([]api.HostRosterEntry{ea}, nil).Action; a.Kind == api.HostActionPromote {
				t.Fatalf("a second makeCoHost %s after the first, inside its lease", after)
			}
		}
		e.now = t0.Add(time.Minute).Add(CallLease + 2*time.Second)
		if a := e.sync([]api.HostRosterEntry{ea}, nil).Action; a.Kind != api.HostActionWait {
			t.Fatalf("right after the lost call Ada backs off: %+v", a)
		}
		if pr := e.st.Promotions["u:aaa"]; pr.Attempts != 1 || pr.Reason != grant.ReasonSDKTimeout {
			t.Fatalf("the lost call is not recorded: %+v", pr)
		}
	})

	t.Run("a participantUUID that changes with the role is not a new person", func(t *testing.T) {
		ada := joined("AAA", "100", "Ada", 1, grant.StatePending)
		e := newDecide(t, ada)
		first := e.sync([]api.HostRosterEntry{entry(100, "AAA", "Ada")}, nil)
		promoted := entry(100, "{AAA-AFTER-THE-ROLE}", "Ada")
		promoted.IsCoHost = true
		e.now = e.now.Add(300 * time.Millisecond)
		resp := e.sync([]api.HostRosterEntry{promoted}, &api.HostCallResult{CallID: first.Action.CallID, OK: true})
		if got := e.ledger("AAA"); got.State != grant.StateConfirmed || got.Granter != GranterName {
			t.Fatalf("Ada = %s via %q", got.State, got.Granter)
		}
		if len(resp.Panel.Rows) != 2 || resp.Panel.Counts.Total != 1 {
			t.Fatalf("the panel shows a new person: %+v", resp.Panel.Rows)
		}
		e.now = e.now.Add(2 * time.Second)
		if a := e.sync([]api.HostRosterEntry{promoted}, nil).Action; a.Kind != api.HostActionWait {
			t.Fatalf("a call for the new UUID: %+v", a)
		}
		if len(e.st.Promotions) != 1 {
			t.Fatalf("promotions %v", e.st.Promotions)
		}
	})

	t.Run("made-up roster entries do not grow the table", func(t *testing.T) {
		e := newDecide(t)
		for sync := range 20 {
			roster := make([]api.HostRosterEntry, 0, 999)
			for i := range 999 {
				roster = append(roster, entry(int64(10_000+sync*1000+i), "FAKE-"+strconv.Itoa(sync)+"-"+strconv.Itoa(i), "Made up"))
			}
			e.now = e.now.Add(CallLease + time.Second) // each call is lost: the next may go
			e.sync(roster, nil)
		}
		if n := len(e.st.Promotions); n > 20 {
			t.Fatalf("%d promotion rows after 20 syncs of 999 made-up entries; want at most one per call", n)
		}
	})

	t.Run("the host page counts the host as nobody waiting", func(t *testing.T) {
		e := newDecide(t)
		resp := e.sync(nil, nil)
		if resp.Panel.Counts.Total != 0 || resp.Panel.Counts.Pending != 0 || len(resp.Panel.Rows) != 1 || resp.Panel.Rows[0].State != api.HostRowHost {
			t.Fatalf("only the host: %+v", resp.Panel)
		}
	})
}

// The panel lists a crowd in the order a host reads it: what needs them,
// then the line in its order, then the rest.
func TestPanelOrder(t *testing.T) {
	var ledger []grant.Participant
	var roster []api.HostRosterEntry
	for i := range 6 {
		k := "P" + strconv.Itoa(i)
		ledger = append(ledger, joined(k, strconv.Itoa(100+i), "Person "+strconv.Itoa(i), i+1, grant.StatePending))
		roster = append(roster, entry(int64(100+i), k, "Person "+strconv.Itoa(i)))
	}
	ledger[0].State, ledger[0].Granter = grant.StateConfirmed, GranterName
	ledger[1].State, ledger[1].Reason = grant.StateFailed, grant.ReasonSDKError
	roster[2].IsHold = true
	e := newDecide(t, ledger...)
	resp := e.sync(roster, nil)
	var got []string
	for _, r := range resp.Panel.Rows {
		got = append(got, r.Name+"/"+r.State+"/"+strconv.Itoa(r.Place))
	}
	want := []string{"Host/host/0", "Person 1/failed/0", "Person 2/pending/0", "Person 3/promoting/0", "Person 4/pending/1", "Person 5/pending/2", "Person 0/cohost/0"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("rows\n got %v\nwant %v", got, want)
	}
	if c := resp.Panel.Counts; c.WaitingRoom != 1 || c.Failed != 1 || c.CoHost != 1 || c.Pending != 4 || c.Total != 6 {
		t.Fatalf("counts %+v", c)
	}
	if r := rowOf(resp.Panel, "Person 4"); r.Text != "pending: next in line on the host page, about 1 s" {
		t.Fatalf("Person 4: %q", r.Text)
	}
}

// Bad bodies from the browser are refused before they touch anything.
func TestSyncRefusesBadInput(t *testing.T) {
	long := make([]api.HostRosterEntry, maxRoster+1)
	for _, tt := range []struct {
		name string
		req  api.HostSyncRequest
	}{
		{"unknown connection", api.HostSyncRequest{SessionID: "s", Connection: "open"}},
		{"odd session", api.HostSyncRequest{SessionID: "s;drop", Connection: api.HostConnConnected}},
		{"huge roster", api.HostSyncRequest{SessionID: "s", Connection: api.HostConnConnected, Roster: long}},
		{"odd call id", api.HostSyncRequest{SessionID: "s", Connection: api.HostConnConnected, Result: &api.HostCallResult{CallID: "a b"}}},
	} {
		if _, err := cleanSync(tt.req); err == nil {
			t.Errorf("%s accepted", tt.name)
		}
	}
	req, err := cleanSync(api.HostSyncRequest{SessionID: "s", Connection: api.HostConnConnected,
		Roster: []api.HostRosterEntry{{UserName: "Ada\x00\n" + strings.Repeat("x", 500), ParticipantUUID: "{ok-1}<script>"}}})
	if err != nil || strings.ContainsAny(req.Roster[0].UserName, "\x00\n") || len(req.Roster[0].UserName) > 200 || req.Roster[0].ParticipantUUID != "{ok-1}script" {
		t.Fatalf("not cleaned: %+v, %v", req.Roster[0], err)
	}
}

// FuzzDecide feeds a page's report (a roster, a result, a connection) of
// any shape to one sync's decision and checks what must hold whatever the
// page says: the report is cleaned or refused, at most one call is issued
// and only for someone in the roster, nobody is credited without a result
// for the call in flight, and promotion rows grow by one at most.
func FuzzDecide(f *testing.F) {
	f.Add([]byte(`[{"user_id":100,"participant_uuid":"AAA","user_name":"Ada","is_co_host":true}]`), "Connected", "c1", true)
	f.Add([]byte(`[{"user_id":100,"participant_uuid":"{aaa}","user_name":"Ada"},{"user_id":100,"participant_uuid":"BBB"}]`), "Connected", "", false)
	f.Add([]byte(`[{"user_id":-1,"participant_uuid":"\u202e","user_name":"\u0000","is_hold":true,"is_host":true}]`), "joining", "x", true)
	f.Add([]byte(`[]`), "Closed", "c1", false)
	f.Fuzz(func(t *testing.T, rosterJSON []byte, connection, callID string, ok bool) {
		var roster []api.HostRosterEntry
		if json.Unmarshal(rosterJSON, &roster) != nil {
			return
		}
		ada := joined("AAA", "100", "Ada", 1, grant.StatePending)
		bob := joined("BBB", "200", "Bob", 2, grant.StateSkipped)
		bob.Reason = grant.ReasonParticipantOutOfScope
		e := newDecide(t, ada, bob)
		e.st.Page.Call = Call{ID: "c1", Key: "u:aaa", Until: e.now.Add(time.Second)}
		req, err := cleanSync(api.HostSyncRequest{SessionID: "s1", Connection: connection, Me: &me, Roster: roster,
			Result: &api.HostCallResult{CallID: callID, OK: ok}})
		if err != nil {
			return
		}
		st := &MeetingState{Meeting: e.st.Meeting, Page: e.st.Page, Ledger: e.st.Ledger, Promotions: map[string]Promotion{}}
		d := e.s.decide(st, req, e.now)
		if a := d.resp.Action; a.Kind == api.HostActionPromote {
			found := false
			for _, r := range req.Roster {
				found = found || r.UserID == a.UserID
			}
			if !found || a.CallID == "" || st.Page.Call.ID != a.CallID {
				t.Fatalf("a call for someone not in the roster, or unrecorded: %+v", a)
			}
		}
		if len(st.Credits()) > 0 && !(callID == "c1" && ok) {
			t.Fatalf("credits without a resolved call in flight: %d", len(st.Credits()))
		}
		if n := len(st.Saves()); n > 2+len(e.st.Ledger) {
			t.Fatalf("%d promotions saved from one report", n)
		}
	})
}
