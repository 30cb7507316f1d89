package hostclient

import (
	"testing"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
)

var t0 = time.Unix(1_800_000_000, 0)

func joined(key, userID, name string, at int, state grant.State) grant.Participant {
	p := grant.Participant{AccountID: "a", MeetingID: "1", MeetingUUID: "u", Key: key, UserID: userID, Name: name,
		JoinedAt: t0.Add(time.Duration(at) * time.Second), State: state}
	return p
}

func entry(userID int64, uuid, name string) api.HostRosterEntry {
	return api.HostRosterEntry{UserID: userID, ParticipantUUID: uuid, UserName: name}
}

var me = api.HostRosterEntry{UserID: 1, ParticipantUUID: "{HOST-0000}", UserName: "Host", IsHost: true}

func baseInput() planInput {
	return planInput{Now: t0.Add(time.Minute), Meeting: grant.Meeting{AccountID: "a", ID: "1", UUID: "u", HostID: "h", Status: grant.MeetingStarted},
		Me: &me, Interval: time.Second, CanPromote: true}
}

// Matching follows the webhook's participant_uuid to the SDK's
// participantUUID without case or braces, else user_id to userId; never the
// name.
func TestMatching(t *testing.T) {
	tests := []struct {
		name string
		p    grant.Participant
		e    api.HostRosterEntry
		want bool
	}{
		{"uuid, other case and braces", joined("6B988AD6-AC75-8F58", "16778240", "Ada", 1, grant.StatePending), entry(16778240, "{6b988ad6-ac75-8f58}", "Ada"), true},
		{"uuid differs although user id matches", joined("AAAA", "16778240", "Ada", 1, grant.StatePending), entry(16778240, "BBBB", "Ada"), false},
		{"no uuid in the webhook: user id", joined("16778240", "16778240", "Ada", 1, grant.StatePending), entry(16778240, "{X}", "Ada"), true},
		{"no uuid in the roster: user id", joined("AAAA", "16778240", "Ada", 1, grant.StatePending), entry(16778240, "", "Ada"), true},
		{"same name only", joined("AAAA", "16778240", "Ada", 1, grant.StatePending), entry(99, "", "Ada"), false},
	}
	for _, tt := range tests {
		if got := matches(tt.p, tt.e); got != tt.want {
			t.Errorf("%s: matches = %v", tt.name, got)
		}
	}
}

func TestPlan(t *testing.T) {
	ada := joined("AAA-1", "100", "Ada", 1, grant.StatePending)
	bob := joined("BBB-2", "200", "Bob", 2, grant.StatePending)
	host := joined("HOST-0000", "1", "Host", 0, grant.StateSkipped)
	host.Reason, host.ZoomUserID = grant.ReasonHost, "h"
	phone := joined("PHONE-3", "300", "Caller", 3, grant.StateSkipped)
	phone.Reason = grant.ReasonPhoneOnly
	adaE, bobE := entry(100, "{aaa-1}", "Ada"), entry(200, "bbb-2", "Bob")

	tests := []struct {
		name      string
		edit      func(*planInput)
		wantKind  string
		wantUser  int64
		wantRows  map[string]string // name → state
		wantCount api.HostPanelCount
	}{
		{"the earliest joiner in the roster goes first", func(in *planInput) {
			in.Ledger = []grant.Participant{host, bob, ada}
			in.Roster = []api.HostRosterEntry{me, bobE, adaE}
		}, api.HostActionPromote, 100, map[string]string{"Ada": api.HostRowPromoting, "Bob": api.HostRowPending, "Host": api.HostRowHost},
			api.HostPanelCount{Pending: 2, Total: 2}},
		{"one call in flight: nothing more is issued", func(in *planInput) {
			in.Ledger = []grant.Participant{ada, bob}
			in.Roster = []api.HostRosterEntry{me, adaE, bobE}
			in.Page.InflightCall, in.Page.InflightKey = "c1", "u:aaa-1"
		}, api.HostActionWait, 0, map[string]string{"Ada": api.HostRowPromoting, "Bob": api.HostRowPending}, api.HostPanelCount{Pending: 2, Total: 2}},
		{"the pace holds the next call", func(in *planInput) {
			in.Ledger = []grant.Participant{ada}
			in.Roster = []api.HostRosterEntry{me, adaE}
			in.Page.LastCallAt = in.Now.Add(-300 * time.Millisecond)
		}, api.HostActionWait, 0, map[string]string{"Ada": api.HostRowPending}, api.HostPanelCount{Pending: 1, Total: 1}},
		{"not in the roster yet: waits, the next one goes", func(in *planInput) {
			in.Ledger = []grant.Participant{ada, bob}
			in.Roster = []api.HostRosterEntry{me, bobE}
		}, api.HostActionPromote, 200, map[string]string{"Ada": api.HostRowPending, "Bob": api.HostRowPromoting}, api.HostPanelCount{Pending: 2, Total: 2}},
		{"on hold: not promoted", func(in *planInput) {
			held := adaE
			held.IsHold = true
			in.Ledger = []grant.Participant{ada}
			in.Roster = []api.HostRosterEntry{me, held}
		}, api.HostActionWait, 0, map[string]string{"Ada": api.HostRowPending}, api.HostPanelCount{Pending: 1, Total: 1}},
		{"the host and a phone caller are never promoted", func(in *planInput) {
			ph := entry(300, "phone-3", "Caller")
			ph.IsPhoneUser = true
			in.Ledger = []grant.Participant{host, phone}
			in.Roster = []api.HostRosterEntry{me, ph}
		}, api.HostActionWait, 0, map[string]string{"Host": api.HostRowHost, "Caller": api.HostRowSkipped}, api.HostPanelCount{Skipped: 1, Total: 1}},
		{"a joiner in the roster before their webhook is served", func(in *planInput) {
			in.Roster = []api.HostRosterEntry{me, adaE}
		}, api.HostActionPromote, 100, map[string]string{"Ada": api.HostRowPromoting}, api.HostPanelCount{Pending: 1, Total: 1}},
		{"…unless the policy needs their email", func(in *planInput) {
			in.Policy = &grant.Policy{Participants: grant.ParticipantScope{AllowEmailDomains: []string{"example.com"}}}
			in.Roster = []api.HostRosterEntry{me, adaE}
		}, api.HostActionWait, 0, map[string]string{"Ada": api.HostRowPending}, api.HostPanelCount{Pending: 1, Total: 1}},
		{"a policy-excluded joiner is skipped", func(in *planInput) {
			out := ada
			out.Email = "ada@vendor.example"
			in.Policy = &grant.Policy{Participants: grant.ParticipantScope{DenyEmailDomains: []string{"vendor.example"}}}
			in.Ledger = []grant.Participant{out}
			in.Roster = []api.HostRosterEntry{me, adaE}
		}, api.HostActionWait, 0, map[string]string{"Ada": api.HostRowSkipped}, api.HostPanelCount{Skipped: 1, Total: 1}},
		{"the roster shows co-host: confirmed, no call", func(in *planInput) {
			co := adaE
			co.IsCoHost = true
			in.Ledger = []grant.Participant{ada}
			in.Roster = []api.HostRosterEntry{me, co}
		}, api.HostActionWait, 0, map[string]string{"Ada": api.HostRowCoHost}, api.HostPanelCount{CoHost: 1, Total: 1}},
		{"backing off after a failed call", func(in *planInput) {
			in.Ledger = []grant.Participant{ada}
			in.Roster = []api.HostRosterEntry{me, adaE}
			in.Promos = map[string]store.HostPromotion{"u:aaa-1": {MatchKey: "u:aaa-1", Attempts: 1, NextAt: in.Now.Add(time.Second),
				Reason: grant.ReasonSDKTimeout, Detail: "Zoom error OPERATION_TIMEOUT 1"}}
		}, api.HostActionWait, 0, map[string]string{"Ada": api.HostRowPending}, api.HostPanelCount{Pending: 1, Total: 1}},
		{"the host took co-host back: not promoted again", func(in *planInput) {
			in.Ledger = []grant.Participant{ada}
			in.Roster = []api.HostRosterEntry{me, adaE}
			in.Promos = map[string]store.HostPromotion{"u:aaa-1": {MatchKey: "u:aaa-1", Done: true}}
		}, api.HostActionWait, 0, map[string]string{"Ada": api.HostRowSkipped}, api.HostPanelCount{Skipped: 1, Total: 1}},
		{"not connected: nothing is issued", func(in *planInput) {
			in.Ledger = []grant.Participant{ada}
			in.Roster = []api.HostRosterEntry{me, adaE}
			in.CanPromote = false
		}, api.HostActionWait, 0, map[string]string{"Ada": api.HostRowPending}, api.HostPanelCount{Pending: 1, Total: 1}},
		{"someone who left is not shown", func(in *planInput) {
			gone := ada
			gone.LeftAt = gone.JoinedAt.Add(time.Second)
			in.Ledger = []grant.Participant{gone}
			in.Roster = []api.HostRosterEntry{me}
		}, api.HostActionWait, 0, map[string]string{}, api.HostPanelCount{}},
		{"a participant granted abilities by another granter is still made co-host", func(in *planInput) {
			g := ada
			g.State, g.Granter = grant.StateGranted, "permissions"
			in.Ledger = []grant.Participant{g}
			in.Roster = []api.HostRosterEntry{me, adaE}
		}, api.HostActionPromote, 100, map[string]string{"Ada": api.HostRowPromoting}, api.HostPanelCount{Pending: 1, Total: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput()
			tt.edit(&in)
			out := plan(in)
			if out.Action.Kind != tt.wantKind || out.Action.UserID != tt.wantUser {
				t.Fatalf("action %+v, want %s of %d", out.Action, tt.wantKind, tt.wantUser)
			}
			got := map[string]string{}
			for _, r := range out.Panel.Rows {
				if r.Name != "Host" || tt.wantRows["Host"] != "" {
					got[r.Name] = r.State
				}
				if r.State != api.HostRowCoHost && r.State != api.HostRowHost && r.Text == "" {
					t.Errorf("row %s (%s) says nothing in words", r.Name, r.State)
				}
			}
			for name, state := range tt.wantRows {
				if got[name] != state {
					t.Errorf("row %s = %q, want %q (rows %v)", name, got[name], state, got)
				}
			}
			if len(got) != len(tt.wantRows) {
				t.Errorf("rows %v, want %v", got, tt.wantRows)
			}
			if out.Panel.Counts != tt.wantCount {
				t.Errorf("counts %+v, want %+v", out.Panel.Counts, tt.wantCount)
			}
		})
	}
}

func TestJudgeCall(t *testing.T) {
	tests := []struct {
		name  string
		r     api.HostCallResult
		done  bool
		why   grant.Reason
		label string
	}{
		{"resolved", api.HostCallResult{OK: true}, true, "", callOK},
		{"already co-host", api.HostCallResult{Error: &api.HostSDKError{Type: "INVALID_PARAMETERS", ErrorCode: 5011}}, true, "", callOK},
		{"no matching user", api.HostCallResult{Error: &api.HostSDKError{Type: "INVALID_PARAMETERS", Reason: "no matching user"}}, false, grant.ReasonNotInRoster, callNotInRoster},
		{"time-out", api.HostCallResult{Error: &api.HostSDKError{Type: "OPERATION_TIMEOUT", ErrorCode: 1}}, false, grant.ReasonSDKTimeout, callTimeout},
		{"not host", api.HostCallResult{Error: &api.HostSDKError{Type: "INSUFFICIENT_PRIVILEGES", ErrorCode: 5007}}, false, grant.ReasonSDKError, callError},
		{"not joined", api.HostCallResult{Error: &api.HostSDKError{Type: "IMPROPER_MEETING_STATE", ErrorCode: 5003}}, false, grant.ReasonSDKError, callError},
		{"no error object", api.HostCallResult{}, false, grant.ReasonSDKError, callError},
		{"odd type is cleaned", api.HostCallResult{Error: &api.HostSDKError{Type: "<script>\n", Reason: "a\x00b"}}, false, grant.ReasonSDKError, callError},
	}
	for _, tt := range tests {
		v := judgeCall(tt.r)
		if v.done != tt.done || v.reason != tt.why || v.label != tt.label {
			t.Errorf("%s: %+v", tt.name, v)
		}
		for _, c := range v.detail {
			if c < 0x20 || c == '<' {
				t.Errorf("%s: detail %q holds outside bytes", tt.name, v.detail)
			}
		}
	}
	p := settleCall(store.HostPromotion{}, judgeCall(api.HostCallResult{Error: &api.HostSDKError{Type: "OPERATION_TIMEOUT"}}), t0)
	p = settleCall(p, judgeCall(api.HostCallResult{Error: &api.HostSDKError{Type: "OPERATION_TIMEOUT"}}), t0)
	if p.Attempts != 2 || p.NextAt.Sub(t0) != 2*time.Second {
		t.Errorf("backoff after two time-outs: %+v", p)
	}
}
