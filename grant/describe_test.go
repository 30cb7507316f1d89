package grant_test

import (
	"testing"
	"time"

	"github.com/cohost-dev/cohost/grant"
)

// One sentence per participant, from the registry: each state and each step
// of a pending grant, in the words the admin API, the console, the host page
// and the log all show.
func TestDescribe(t *testing.T) {
	seen := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	until := seen.Add(2 * time.Minute)
	pending := grant.Participant{State: grant.StatePending, JoinSeenAt: seen}
	for _, tt := range []struct {
		name string
		p    grant.Participant
		pr   grant.Progress
		want string
	}{
		{"pending, nobody reported", pending, grant.Progress{}, "pending: not co-host yet"},
		{"in line", pending, grant.Progress{Granter: "host-client", Step: grant.StepQueued, Place: 4, Wait: 4 * time.Second},
			"pending: 4th in line on the host page, about 4 s"},
		{"next in line", pending, grant.Progress{Granter: "host-client", Step: grant.StepQueued, Place: 1, Wait: time.Second},
			"pending: next in line on the host page, about 1 s"},
		{"being promoted", pending, grant.Progress{Step: grant.StepPromoting}, "pending: the host page is making them co-host now"},
		{"Zoom keeps refusing", pending, grant.Progress{Step: grant.StepHeld, Reason: grant.ReasonSDKError, Attempts: 5,
			Detail: "INTERNAL_ERROR 2", Until: until},
			"pending: Zoom's Meeting SDK refuses makeCoHost (5 tries so far; last: INTERNAL_ERROR 2); trying until 14:02:00 UTC"},
		{"in the waiting room", pending, grant.Progress{Step: grant.StepHeld, Reason: grant.ReasonOnHold, Until: until},
			"pending: in the waiting room: admit them in Zoom's participant panel and they are made co-host; trying until 14:02:00 UTC"},
		{"no host page, then permissions", pending, grant.Progress{Step: grant.StepFallback, Until: seen.Add(30 * time.Second), Then: "permissions"},
			"pending: no host page runs this meeting; falls back to permissions at 14:00:30 UTC"},
		{"no host page, nothing after", pending, grant.Progress{Step: grant.StepFallback, Until: seen.Add(30 * time.Second)},
			"pending: no host page runs this meeting; fails at 14:00:30 UTC unless one opens"},
		{"Zoom shows the role", pending, grant.Progress{Step: grant.StepRoleShown},
			"pending: Zoom shows them as co-host already (nobody in cohost asked for it); waiting for Zoom's role-change event"},
		{"the host page did it", grant.Participant{State: grant.StateConfirmed, Granter: "host-client", JoinSeenAt: seen, ConfirmedAt: seen.Add(850 * time.Millisecond)}, grant.Progress{},
			"co-host: made co-host by the host page (the host's Zoom client, on cohost's request), 850 ms after cohost saw the join"},
		{"the host did it", grant.Participant{State: grant.StateConfirmed, Granter: grant.GranterHost}, grant.Progress{},
			"co-host: made co-host by the host in the meeting"},
		{"not known yet", grant.Participant{State: grant.StateConfirmed}, grant.Progress{},
			"co-host: Zoom confirmed the role change; who made them co-host is not known yet"},
		{"abilities", grant.Participant{State: grant.StateGranted, Granter: "permissions"}, grant.Progress{},
			"granted via permissions: they have co-host abilities through the meeting's settings, not the co-host role"},
		{"left", grant.Participant{State: grant.StateSkipped, Reason: grant.ReasonLeft}, grant.Progress{},
			"not co-host (skipped): they left before the grant was made"},
		{"failed", grant.Participant{State: grant.StateFailed, Granter: "host-client", Attempts: 1, Reason: grant.ReasonSDKError, Detail: "5 makeCoHost calls; last: INTERNAL_ERROR 2"}, grant.Progress{},
			"not co-host (failed via host-client after 1 attempt): Zoom's Meeting SDK refused makeCoHost (5 makeCoHost calls; last: INTERNAL_ERROR 2)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := grant.Describe(tt.p, tt.pr); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
