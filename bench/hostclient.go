package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/harness"
	"github.com/cohost-dev/cohost/zoomsim"
)

// HostClientOptions shape one host-client run: the host page in headless
// Chromium against the simulator's Web Meeting SDK, joiners arriving at a
// steady rate.
type HostClientOptions struct {
	// Joins is how many join; Over is the time over which they arrive.
	Joins int
	Over  time.Duration
	// Interval is COHOST_HOST_CLIENT_INTERVAL, the pace of makeCoHost.
	Interval time.Duration
	// RoleChange is how long the simulated Zoom takes to show a new
	// co-host in the roster (makeCoHost resolves only then).
	RoleChange time.Duration
	Progress   io.Writer
}

// HostClientResult is what one run measured. Times are from the webhook of
// each join being answered 200 to that joiner's makeCoHost resolving in the
// page (the SDK's own confirmation).
type HostClientResult struct {
	Joins, Promoted int
	P50, P99, Max   time.Duration
	// Last is from the first join's webhook to the last co-host; Ideal is
	// what the pace allows: one call per Interval from the first join (or
	// the last join's arrival, if later), plus one call's own time.
	Last, Ideal time.Duration
	// MaxInFlight is the most makeCoHost calls in flight at once.
	MaxInFlight int
}

// RunHostClient runs the host client end to end and measures it.
func RunHostClient(ctx context.Context, o HostClientOptions) (HostClientResult, error) {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.RoleChange <= 0 {
		o.RoleChange = 20 * time.Millisecond
	}
	h, err := harness.Start(ctx, harness.Options{Granters: "host-client",
		Env: map[string]string{"COHOST_HOST_CLIENT_INTERVAL": o.Interval.String(), "COHOST_GRANT_GIVE_UP_AFTER": "30m"},
		Sim: func(c *zoomsim.Config) { c.WebSDK.RoleChangeDelay = o.RoleChange }})
	if err != nil {
		return HostClientResult{}, err
	}
	defer h.Close(ctx)
	sim := h.Sim.Sim
	m, err := sim.CreateMeeting(zoomsim.MeetingSpec{HostID: h.Host.ID, Topic: "host-client benchmark"})
	if err != nil {
		return HostClientResult{}, err
	}
	link, err := h.HostLink(ctx, m.ID)
	if err != nil {
		return HostClientResult{}, err
	}
	page, err := harness.OpenHostPage(ctx, link)
	if err != nil {
		return HostClientResult{}, err
	}
	defer page.Close()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if mm, err := sim.Meeting(m.ID); err == nil && mm.Status == zoomsim.MeetingStarted {
			break
		}
		if time.Now().After(deadline) {
			return HostClientResult{}, fmt.Errorf("bench: the host page did not start the meeting")
		}
	}
	progress(o.Progress, "host-client: %d joins over %s at one makeCoHost per %s", o.Joins, o.Over, o.Interval)
	gap := o.Over / time.Duration(max(o.Joins, 1))
	keys := make([]string, 0, o.Joins)
	for i := range o.Joins {
		p, err := sim.Join(m.ID, zoomsim.JoinSpec{Name: "Joiner " + strconv.Itoa(i+1)})
		if err != nil {
			return HostClientResult{}, err
		}
		keys = append(keys, p.Key())
		time.Sleep(gap)
	}
	want := len(keys)
	drainBy := time.Now().Add(time.Duration(want)*o.Interval*2 + 2*time.Minute)
	for lastReport := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		ps, err := h.Cohost.Store.ListParticipants(ctx, h.AccountID, strconv.FormatInt(m.ID, 10))
		if err != nil {
			return HostClientResult{}, err
		}
		done := 0
		for _, p := range ps {
			if p.State == grant.StateConfirmed {
				done++
			}
		}
		if done >= want {
			break
		}
		if time.Since(lastReport) > 10*time.Second {
			progress(o.Progress, "host-client: %d of %d co-host", done, want)
			lastReport = time.Now()
		}
		if time.Now().After(drainBy) {
			return HostClientResult{}, fmt.Errorf("bench: only %d of %d joiners became co-host", done, want)
		}
		if ctx.Err() != nil {
			return HostClientResult{}, ctx.Err()
		}
	}

	// Join acks from the simulator's deliveries, resolutions from its SDK calls.
	acked := map[string]time.Time{}
	for _, d := range sim.Ledger().Deliveries("meeting.participant_joined") {
		for _, a := range d.Attempts {
			if a.Status == 200 {
				if t, ok := acked[d.ParticipantKey]; !ok || a.At.Before(t) {
					acked[d.ParticipantKey] = a.At
				}
				break
			}
		}
	}
	resolved := map[string]time.Time{}
	var calls []time.Duration
	for _, c := range sim.SDKCalls(m.ID) {
		if c.Method == "makeCoHost" && c.Resolved() {
			resolved[c.ParticipantKey] = c.End
			calls = append(calls, c.End.Sub(c.Start))
		}
	}
	res := HostClientResult{Joins: want, MaxInFlight: sim.MaxMakeCoHostInFlight(m.ID)}
	var lat []time.Duration
	var first, lastJoin, lastDone time.Time
	for _, k := range keys {
		a, r := acked[k], resolved[k]
		if a.IsZero() || r.IsZero() {
			continue
		}
		res.Promoted++
		lat = append(lat, r.Sub(a))
		if first.IsZero() || a.Before(first) {
			first = a
		}
		if a.After(lastJoin) {
			lastJoin = a
		}
		if r.After(lastDone) {
			lastDone = r
		}
	}
	if len(lat) == 0 {
		return res, fmt.Errorf("bench: no promotion could be timed")
	}
	slices.Sort(lat)
	slices.Sort(calls)
	res.P50, res.P99, res.Max = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)], lat[len(lat)-1]
	res.Last = lastDone.Sub(first)
	pace := time.Duration(want-1) * o.Interval
	if arrivals := lastJoin.Sub(first); arrivals > pace {
		pace = arrivals
	}
	res.Ideal = pace + calls[0]
	return res, nil
}

// Markdown renders a run as a table row.
func (r HostClientResult) Markdown(o HostClientOptions) string {
	return fmt.Sprintf("| %d over %s | %s | %d/%d | %s | %s | %s | %s | %s | %d |\n", o.Joins, o.Over, o.Interval, r.Promoted, r.Joins,
		roundMS(r.P50), roundMS(r.P99), roundMS(r.Max), roundMS(r.Last), roundMS(r.Ideal), r.MaxInFlight)
}

// HostClientHeader is the table's header.
const HostClientHeader = "| joins | interval | promoted | p50 | p99 | max | last co-host | ideal (pace) | max in flight |\n|---|---|---|---|---|---|---|---|---|\n"

func roundMS(d time.Duration) string { return d.Round(time.Millisecond).String() }
