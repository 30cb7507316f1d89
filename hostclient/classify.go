package hostclient

import (
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
)

// standing is what a sync makes of one person (step 2): whether cohost
// promotes them now, and if not, why.
type standing struct {
	kind standingKind
	// reason says why not: the policy's reason of an out roster entry, what
	// holds a held one.
	reason grant.Reason
}

type standingKind int

const (
	// isHost: the meeting's host (this page, or the host on another device).
	isHost standingKind = iota + 1
	// isCoHost: the ledger confirms the role, or cohost's call resolved for a
	// roster entry Zoom's join event has not named yet.
	isCoHost
	// isSettled: the ledger settled them otherwise (skipped, failed, the
	// agent's grant): the page does not call for them.
	isSettled
	// isOut: a roster entry the policy leaves out (phone only, a meeting out
	// of scope).
	isOut
	// isIdentity: a roster entry the policy cannot decide before Zoom's join
	// event (it needs their email or Zoom account).
	isIdentity
	// isRoleShown: Zoom shows the role and nobody in cohost asked for it.
	isRoleShown
	// isTakenBack: cohost made them co-host and the host took the role back
	// in the meeting; the host's decision stands.
	isTakenBack
	// isPromoting: cohost's call for them is in flight.
	isPromoting
	// isHeld: to be promoted, held by reason (not in the list yet, the
	// waiting room, the back-off after a refusal).
	isHeld
	// isGivenUp: to be promoted, but past the give-up time; the grant job
	// settles the grant.
	isGivenUp
	// isReady: to be promoted now, in their turn.
	isReady
)

// classifyInput is what step 2 decides on, besides the person.
type classifyInput struct {
	Meeting grant.Meeting
	Policy  *grant.Policy
	// Me is the page's own SDK user (null before the join).
	Me   *api.HostRosterEntry
	Call Call
	Now  time.Time
	// GiveUpAfter is how long after the join the page keeps trying.
	GiveUpAfter time.Duration
}

// classify is step 2 of a sync: the policy and the ledger decide, the
// roster only shows where an eligible person is. A roster's co-host flag is
// never taken for cohost's doing.
func classify(in classifyInput, p person, pr Promotion) standing {
	if in.Policy == nil {
		in.Policy = &grant.Policy{}
	}
	r := p.roster
	switch {
	case r != nil && (r.IsHost || in.Me != nil && r.UserID == in.Me.UserID),
		p.ledger != nil && p.ledger.State == grant.StateSkipped && p.ledger.Reason == grant.ReasonHost:
		return standing{kind: isHost}
	}
	if l := p.ledger; l != nil {
		if st, settled := ledgerStanding(*l); settled {
			return st
		}
	} else {
		switch {
		case r.IsPhoneUser:
			return standing{kind: isOut, reason: grant.ReasonPhoneOnly}
		case !in.Policy.MeetingInScope(in.Meeting):
			return standing{kind: isOut, reason: grant.ReasonMeetingOutOfScope}
		case r.IsHold:
			// Zoom sends no join event before it admits them: the waiting
			// room is all that can be said yet.
			return standing{kind: isHeld, reason: grant.ReasonOnHold}
		case policyNeedsIdentity(in.Policy):
			return standing{kind: isIdentity}
		}
	}
	switch pr.State {
	case PromotionDone:
		if r != nil && !r.IsCoHost {
			return standing{kind: isTakenBack}
		}
		return standing{kind: isCoHost}
	case PromotionOther:
		return standing{kind: isRoleShown}
	}
	switch {
	case in.Call.ID != "" && in.Call.Key == p.key:
		return standing{kind: isPromoting}
	case r != nil && r.IsCoHost:
		return standing{kind: isRoleShown}
	case p.ledger != nil && pastGiveUp(*p.ledger, in.Now, in.GiveUpAfter) && (pr.Attempts > 0 || r == nil || r.IsHold):
		return standing{kind: isGivenUp}
	case r == nil:
		return standing{kind: isHeld, reason: grant.ReasonNotInRoster}
	case r.IsHold:
		return standing{kind: isHeld, reason: grant.ReasonOnHold}
	case pr.NextAt.After(in.Now):
		return standing{kind: isHeld, reason: pr.Reason}
	}
	return standing{kind: isReady}
}

// ledgerStanding is what the ledger alone decides of a participant: the
// role is confirmed, or their grant is settled otherwise (skipped, failed,
// the agent's). A failure for want of a page is the one a page that runs
// now can still mend, and co-host abilities (permissions) give way to the
// role as well: those are not settled.
func ledgerStanding(p grant.Participant) (standing, bool) {
	switch {
	case p.State == grant.StateConfirmed:
		return standing{kind: isCoHost}, true
	case p.State == grant.StateSkipped,
		p.State == grant.StateFailed && p.Reason != grant.ReasonNoHostPage,
		p.State == grant.StateGranted && p.Granter == "agent":
		return standing{kind: isSettled}, true
	}
	return standing{}, false
}

// pastGiveUp reports whether a pending participant's give-up time has
// passed. It ends the tries of someone Zoom refused or holds (the waiting
// room, not in the list); someone who only waits for their turn in line
// stays in it, however long the line.
func pastGiveUp(p grant.Participant, now time.Time, giveUpAfter time.Duration) bool {
	return p.State == grant.StatePending && !p.JoinSeenAt.IsZero() && !now.Before(p.JoinSeenAt.Add(giveUpAfter))
}

// policyNeedsIdentity reports whether deciding a joiner needs what only
// Zoom's join webhook carries (email, Zoom user id): the SDK roster has
// neither.
func policyNeedsIdentity(p *grant.Policy) bool {
	s := p.Participants
	return s.SignedInOnly || len(s.AllowEmailDomains) > 0 || len(s.DenyEmailDomains) > 0
}

// holdOf is what a sync records on a ledger person's promotion about what
// the roster shows holds them (not in the list yet, the waiting room), or
// that nothing does. It reports whether the promotion changed; most syncs
// change nothing. Only eligible persons are recorded.
func holdOf(pr Promotion, s standing) (Promotion, bool) {
	var want grant.Reason
	switch {
	case s.kind == isHeld && (s.reason == grant.ReasonNotInRoster || s.reason == grant.ReasonOnHold):
		want = s.reason
	case s.kind == isHeld, s.kind == isReady:
	default:
		return pr, false
	}
	if pr.Hold == want {
		return pr, false
	}
	pr.Hold = want
	return pr, true
}
