package grant_test

import (
	"testing"

	"github.com/cohost-dev/cohost/grant"
)

// Credit and truth: who the ledger names when Zoom reports a role change.
func TestCreditConfirmation(t *testing.T) {
	askers := map[string]bool{"agent": true}
	for _, tt := range []struct {
		name        string
		p           grant.Participant
		requestedBy string
		askers      map[string]bool
		want        string
	}{
		{"the host page's call is in flight", grant.Participant{State: grant.StatePending}, "host-client", nil, "host-client"},
		{"the host page's call for someone the policy skipped", grant.Participant{State: grant.StateSkipped, Reason: grant.ReasonParticipantOutOfScope}, "host-client", nil, "host-client"},
		{"nobody asked: a pending joiner", grant.Participant{State: grant.StatePending}, "", nil, grant.GranterHost},
		{"nobody asked: the policy skipped them", grant.Participant{State: grant.StateSkipped, Reason: grant.ReasonParticipantOutOfScope}, "", askers, grant.GranterHost},
		{"nobody asked: a phone-only caller", grant.Participant{State: grant.StateSkipped, Reason: grant.ReasonPhoneOnly}, "", nil, grant.GranterHost},
		{"co-host abilities are not the role", grant.Participant{State: grant.StateGranted, Granter: "permissions"}, "", askers, grant.GranterHost},
		{"the agent asked for it", grant.Participant{State: grant.StateGranted, Granter: "agent"}, "", askers, "agent"},
		{"an agent may still be asking", grant.Participant{State: grant.StatePending}, "", askers, ""},
		{"a repeat keeps who did it", grant.Participant{State: grant.StateConfirmed, Granter: "host-client"}, "", nil, "host-client"},
		{"a failed grant", grant.Participant{State: grant.StateFailed, Reason: grant.ReasonNoHostPage}, "", nil, grant.GranterHost},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := grant.CreditConfirmation(tt.p, tt.requestedBy, tt.askers); got != tt.want {
				t.Fatalf("credit = %q, want %q", got, tt.want)
			}
		})
	}
}

// A role the host gave keeps cohost's own decision beside it; a role cohost
// gave replaces it.
func TestApplyConfirmKeepsThePolicysDecision(t *testing.T) {
	skipped := grant.Participant{State: grant.StateSkipped, Reason: grant.ReasonParticipantOutOfScope, JoinedAt: at(1)}
	p, first := grant.ApplyConfirm(skipped, at(2), at(2), grant.GranterHost)
	if !first || p.State != grant.StateConfirmed || p.Granter != grant.GranterHost || p.Reason != grant.ReasonParticipantOutOfScope {
		t.Fatalf("host's role over a skip: %+v first=%v", p, first)
	}
	want := "co-host: made co-host by the host in the meeting (cohost skipped them: " + grant.ReasonParticipantOutOfScope.Text() + ")"
	if got := grant.Describe(p, grant.Progress{}); got != want {
		t.Fatalf("sentence %q, want %q", got, want)
	}
	failed := grant.Participant{State: grant.StateFailed, Reason: grant.ReasonSDKError, Detail: "INTERNAL_ERROR 2"}
	if p, _ := grant.ApplyConfirm(failed, at(3), at(3), grant.GranterHost); p.Reason != grant.ReasonSDKError || p.Detail == "" {
		t.Fatalf("host's role over a failure lost it: %+v", p)
	}
	if p, _ := grant.ApplyConfirm(failed, at(3), at(3), "host-client"); p.Reason != "" || p.Detail != "" || p.Granter != "host-client" {
		t.Fatalf("cohost's role kept the old failure: %+v", p)
	}
	granted := grant.Participant{State: grant.StateGranted, Granter: "permissions"}
	if p, _ := grant.ApplyConfirm(granted, at(3), at(3), grant.GranterHost); p.Granter != grant.GranterHost || p.Reason != "" {
		t.Fatalf("host's role over co-host abilities: %+v", p)
	}
	// An unattributed confirmation is named by the grant's outcome.
	open, _ := grant.ApplyConfirm(grant.Participant{State: grant.StatePending}, at(4), at(4), "")
	for _, tt := range []struct {
		granter string
		o       grant.Outcome
		want    string
	}{
		{"agent", grant.Outcome{State: grant.StateGranted, AwaitConfirmation: true}, "agent"},
		{"permissions", grant.Outcome{State: grant.StateGranted}, grant.GranterHost},
		{"host-client", grant.Outcome{State: grant.StateConfirmed}, "host-client"},
		{"host-client", grant.Outcome{State: grant.StateFailed, Reason: grant.ReasonNoHostPage}, grant.GranterHost},
	} {
		if got := grant.ApplyOutcome(open, tt.granter, tt.o, at(5)); got.Granter != tt.want || got.State != grant.StateConfirmed {
			t.Errorf("%s %s: granter %q state %s, want %q confirmed", tt.granter, tt.o.State, got.Granter, got.State, tt.want)
		}
	}
}

// A joiner who leaves while pending is skipped, never failed: a granter's
// late answer does not replace the first settlement.
func TestLateOutcomeKeepsTheFirstSettlement(t *testing.T) {
	p, _ := grant.ApplyJoin(grant.Participant{}, grant.Join{At: at(1)})
	p = grant.ApplyLeave(p, at(2))
	for _, o := range []grant.Outcome{
		{State: grant.StateFailed, Reason: grant.ReasonNotInRoster},
		{State: grant.StateGranted},
		{State: grant.StatePending},
	} {
		if got := grant.ApplyOutcome(p, "host-client", o, at(3)); got.State != grant.StateSkipped || got.Reason != grant.ReasonLeft {
			t.Errorf("%s after the leave: %s %s", o.State, got.State, got.Reason)
		}
	}
	// A pending outcome changes nothing of a pending grant either.
	q, _ := grant.ApplyJoin(grant.Participant{}, grant.Join{At: at(1)})
	if got := grant.ApplyOutcome(q, "host-client", grant.Outcome{State: grant.StatePending, Until: at(30)}, at(2)); got != q {
		t.Errorf("a pending outcome changed the grant: %+v", got)
	}
}
