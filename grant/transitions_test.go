package grant_test

import (
	"testing"
	"time"

	"github.com/cohost-dev/cohost/grant"
)

func at(s int) time.Time { return time.Unix(1_800_000_000+int64(s), 0) }

func TestJoinLeaveOrdering(t *testing.T) {
	var p grant.Participant
	p, due := grant.ApplyJoin(p, grant.Join{At: at(10), Name: "A"})
	if !due || p.State != grant.StatePending {
		t.Fatalf("first join: due=%v state=%s", due, p.State)
	}
	p, due = grant.ApplyJoin(p, grant.Join{At: at(10), Name: "A"})
	if due {
		t.Fatal("a repeated join made a second grant due")
	}
	p = grant.ApplyOutcome(p, "agent", grant.Outcome{State: grant.StateGranted}, at(11))
	p, _ = grant.ApplyConfirm(p, at(11), at(11), "agent")
	// Re-join at 30, then the leave of 20 arrives late: still present, re-granted once.
	p, due = grant.ApplyJoin(p, grant.Join{At: at(30), Name: "A"})
	if !due || p.State != grant.StatePending {
		t.Fatalf("re-join: due=%v state=%s", due, p.State)
	}
	p = grant.ApplyLeave(p, at(20))
	if !p.Present() || p.State != grant.StatePending {
		t.Fatalf("late leave undid a re-join: present=%v state=%s", p.Present(), p.State)
	}
	// A newer leave settles the pending grant.
	p = grant.ApplyLeave(p, at(40))
	if p.Present() || p.State != grant.StateSkipped || p.Reason != grant.ReasonLeft {
		t.Fatalf("leave: present=%v state=%s reason=%s", p.Present(), p.State, p.Reason)
	}
	// An old join arriving after the leave does not revive the participant.
	p, due = grant.ApplyJoin(p, grant.Join{At: at(35)})
	if due || p.Present() {
		t.Fatal("an old join after a newer leave made a grant due")
	}
}

func TestConfirmBeforeOutcome(t *testing.T) {
	p, _ := grant.ApplyJoin(grant.Participant{}, grant.Join{At: at(1)})
	p, first := grant.ApplyConfirm(p, at(2), at(2), "")
	if !first || p.State != grant.StateConfirmed {
		t.Fatalf("confirm: first=%v state=%s", first, p.State)
	}
	p = grant.ApplyOutcome(p, "agent", grant.Outcome{State: grant.StateGranted, AwaitConfirmation: true}, at(3))
	if p.State != grant.StateConfirmed || p.Granter != "agent" {
		t.Fatalf("outcome downgraded a confirmed grant: %s %s", p.State, p.Granter)
	}
	if _, first := grant.ApplyConfirm(p, at(2), at(4), "agent"); first {
		t.Fatal("a repeated confirmation counted as first")
	}
}

func TestConfirmBeforeJoin(t *testing.T) {
	p, first := grant.ApplyConfirm(grant.Participant{}, at(5), at(5), grant.GranterHost)
	if !first {
		t.Fatal("confirm of an unknown participant not recorded")
	}
	p, due := grant.ApplyJoin(p, grant.Join{At: at(4)})
	if due || p.State != grant.StateConfirmed {
		t.Fatalf("the join that the confirmation answered made a grant due: due=%v state=%s", due, p.State)
	}
}

func TestMeetingStatus(t *testing.T) {
	var m grant.Meeting
	m, ok := grant.ApplyMeetingStatus(m, grant.MeetingStarted, "u1", at(10))
	if !ok || !m.Live() {
		t.Fatal("start not applied")
	}
	if _, ok := grant.ApplyMeetingStatus(m, grant.MeetingEnded, "u1", at(5)); ok {
		t.Fatal("an end older than the start was applied")
	}
	if _, ok := grant.ApplyMeetingStatus(m, grant.MeetingEnded, "u0", at(20)); ok {
		t.Fatal("the end of an earlier instance ended the current one")
	}
	m, ok = grant.ApplyMeetingStatus(m, grant.MeetingEnded, "u1", at(20))
	if !ok || m.Live() || m.EndedAt != at(20) {
		t.Fatal("end not applied")
	}
	if _, ok := grant.ApplyMeetingStatus(m, grant.MeetingStarted, "u1", at(15)); ok {
		t.Fatal("a late start re-opened an ended meeting")
	}
	m, ok = grant.ApplyMeetingStatus(m, grant.MeetingStarted, "u2", at(30))
	if !ok || m.UUID != "u2" {
		t.Fatal("next instance not started")
	}
}
