package grant

import "time"

// Credit and truth: the ledger says who really made a participant co-host,
// and cohost is credited only for what cohost did. Zoom's
// meeting.participant_role_changed says that someone became co-host, not
// who did it; the rules below name who did.

// GranterHost is the granter the ledger names when the meeting's host made
// a participant co-host themselves, in Zoom (by hand, or before cohost's
// turn): nobody in cohost asked for that role.
const GranterHost = "host"

// RoleAsker is implemented by granters whose grant itself asks Zoom for the
// co-host role of the participant's current join (the co-host agent's
// makeCoHost, alternative hosts whom Zoom makes co-host as they join). The
// role change Zoom reports after such a grant is theirs. The host client
// does not implement it: it tracks each makeCoHost call it issued and names
// itself only for those (CreditConfirmation's requestedBy).
type RoleAsker interface {
	AsksForRole() bool
}

// CreditConfirmation names who made p co-host when Zoom reports the role
// change of p's current join:
//
//   - requestedBy, when a granter's request for exactly this participant's
//     role is in flight or was resolved (a makeCoHost call the host client
//     issued for them);
//   - else p's own granter, when p's grant asked Zoom for the role (an
//     asker's granted grant), or when p was already confirmed (a repeat);
//   - else "" (not known yet) while p's grant is pending and one of the
//     askers may still be asking for it: the grant's outcome names who
//     (ApplyOutcome);
//   - else GranterHost: nothing in cohost asked for it.
func CreditConfirmation(p Participant, requestedBy string, askers map[string]bool) string {
	switch {
	case requestedBy != "":
		return requestedBy
	case p.State == StateGranted && askers[p.Granter]:
		return p.Granter
	case p.State == StateConfirmed && p.Granter != "":
		return p.Granter
	case p.State == StatePending && len(askers) > 0:
		return ""
	}
	return GranterHost
}

// ApplyConfirm records Zoom's report that p became co-host (at is Zoom's
// event time, seenAt when cohost received it), credited to credit
// (CreditConfirmation; "" while not known). It reports whether this is the
// first confirmation of the current join.
//
// A role the host gave keeps cohost's own decision beside it: a participant
// the policy skipped, or whose grant failed, keeps that reason and detail,
// so the ledger says both ("out of scope: …; the host made them co-host by
// hand"). A role cohost gave clears them.
func ApplyConfirm(p Participant, at, seenAt time.Time, credit string) (Participant, bool) {
	if p.State == StateConfirmed && !at.After(p.ConfirmedAt) {
		if p.Granter == "" && credit != "" {
			p.Granter = credit
		}
		return p, false
	}
	first := p.State != StateConfirmed
	if credit != GranterHost || p.State != StateSkipped && p.State != StateFailed {
		p.Reason, p.Detail = "", ""
	}
	p.State, p.Granter = StateConfirmed, credit
	p.ConfirmedAt = at
	if p.GrantedAt.IsZero() {
		p.GrantedAt = seenAt
	}
	return p, first
}
