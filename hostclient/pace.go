package hostclient

import "time"

// paceInput is what step 3 of a sync decides on.
type paceInput struct {
	Now  time.Time
	Page Page
	// Interval is the least time between two makeCoHost calls.
	Interval time.Duration
	// CanPromote: the page is in the meeting as its host and the meeting
	// instance is known.
	CanPromote bool
	// RosterOnlyRows counts the promotions kept for roster entries Zoom's
	// join event has not named yet.
	RosterOnlyRows int
}

// paceOutput is step 3's decision.
type paceOutput struct {
	// Next is the index in the line of the person to promote, -1 for
	// nobody; Delay is how long the page waits before it calls (the rest of
	// the interval since the last call).
	Next  int
	Delay time.Duration
	// SyncMS is how soon the page should report again if nothing happens.
	SyncMS int
	// Notice says why nobody is promoted although people wait, or "".
	Notice string
}

// idleSyncMS is how often a page reports while nothing happens.
const idleSyncMS = 1000

// pace is step 3 of a sync: one makeCoHost in flight per meeting, at most
// one per Interval (a call asked for before the interval ends waits for it
// in the page: Delay), in the line's order. A call in flight stays in flight
// until its result or its lease, whoever holds the page meanwhile (a
// revoked link, a page that took over). A roster entry Zoom's join event
// has not named yet waits when the instance already keeps maxRosterOnly of
// them, so that what a page reports cannot grow the table.
func pace(in paceInput, line []person, promos map[string]Promotion) paceOutput {
	out := paceOutput{Next: -1, SyncMS: idleSyncMS}
	if len(line) == 0 {
		return out
	}
	switch {
	case !in.CanPromote:
		out.Notice = "co-hosts are made once the meeting is connected"
		return out
	case in.Page.Call.InFlight(in.Now):
		out.Notice = "waiting for the last makeCoHost to finish"
		return out
	}
	// Within the interval since the last call, the next call is still
	// issued now, to start when the interval ends: the answer to the last
	// call's result carries it, so a storm drains at the pace rather than
	// at the pace plus a round trip.
	out.Delay = max(in.Page.LastCallAt.Add(in.Interval).Sub(in.Now), 0)
	for i, p := range line {
		if p.ledger == nil {
			if _, kept := promos[p.key]; !kept && in.RosterOnlyRows >= maxRosterOnly {
				continue
			}
		}
		out.Next = i
		return out
	}
	return out
}
