package hostclient

import (
	"strconv"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
)

// person is one participant of the meeting as a sync sees them: their
// ledger row (Zoom's join event), their roster entry (what the page's SDK
// shows), or both.
type person struct {
	// key is the match key of their promotion: the ledger's, or the roster
	// entry's own while Zoom's join event has not named them.
	key    string
	ledger *grant.Participant
	roster *api.HostRosterEntry
	// order is the join order: the ledger's, then the roster's.
	order int
}

func (p person) name() string {
	switch {
	case p.ledger != nil && p.ledger.Name != "":
		return p.ledger.Name
	case p.roster != nil && p.roster.UserName != "":
		return p.roster.UserName
	}
	return "Participant"
}

// match is step 1 of a sync: it joins the instance's present ledger
// participants and the page's roster. A roster entry is a ledger
// participant when participant_uuid = participantUUID (compared without case
// or braces), else when user_id = userId: never by name. Zoom says a
// participantUUID "might change when the role changes", so an entry whose
// UUID no longer matches is still the participant whose per-join user id it
// shows: a promotion does not make a new person.
func match(ledger []grant.Participant, roster []api.HostRosterEntry) []person {
	byUUID := make(map[string]int, len(roster))
	byUser := make(map[string]int, len(roster))
	for j, e := range roster {
		if e.ParticipantUUID != "" {
			if _, dup := byUUID[normUUID(e.ParticipantUUID)]; !dup {
				byUUID[normUUID(e.ParticipantUUID)] = j
			}
		}
		if _, dup := byUser[strconv.FormatInt(e.UserID, 10)]; !dup {
			byUser[strconv.FormatInt(e.UserID, 10)] = j
		}
	}
	used := make([]bool, len(roster))
	take := func(j int, ok bool) (int, bool) {
		if !ok || used[j] {
			return 0, false
		}
		used[j] = true
		return j, true
	}
	out := make([]person, 0, len(ledger)+len(roster))
	for i := range ledger {
		p := &ledger[i]
		if !p.Present() {
			continue
		}
		who := person{key: LedgerMatchKey(*p), ledger: p, order: i}
		j, ok := -1, false
		if p.Key != "" && p.Key != p.UserID {
			j, ok = byUUID[normUUID(p.Key)]
			j, ok = take(j, ok)
		}
		if !ok && p.UserID != "" {
			j, ok = byUser[p.UserID]
			j, ok = take(j, ok)
		}
		if ok {
			who.roster = &roster[j]
		}
		out = append(out, who)
	}
	for j := range roster {
		if !used[j] {
			out = append(out, person{key: rosterMatchKey(roster[j]), roster: &roster[j], order: len(ledger) + j})
		}
	}
	return out
}

// adoptPromotion moves a promotion a person's roster entry got before Zoom's
// join event named them (a call issued for a roster-only entry) to their
// ledger key, so that their calls and attempts carry on.
func adoptPromotion(st *MeetingState, p person) {
	if p.ledger == nil || p.roster == nil {
		return
	}
	if _, has := st.Promotions[p.key]; has {
		return
	}
	for _, k := range rosterKeys(*p.roster) {
		if pr, ok := st.Promotions[k]; ok && k != p.key {
			pr.MatchKey = p.key
			st.Save(pr)
			if st.Page.Call.Key == k {
				st.Page.Call.Key = p.key
			}
			return
		}
	}
}
