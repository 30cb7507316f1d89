package chaos

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/zoomsim"
)

// storm joins guests at a steady pace, in turn over the meetings open for
// joining, until total have joined.
type storm struct {
	sim   *zoomsim.Sim
	start time.Time

	mu     sync.Mutex
	open   []int64
	joined int
	err    error
	done   chan struct{}
}

const stormTick = 100 * time.Millisecond

func startStorm(ctx context.Context, sim *zoomsim.Sim, total int, over time.Duration, meetings ...int64) *storm {
	s := &storm{sim: sim, start: time.Now(), open: meetings, done: make(chan struct{})}
	ticks := max(int(over/stormTick), 1)
	go func() {
		defer close(s.done)
		t := time.NewTicker(stormTick)
		defer t.Stop()
		for i := 1; i <= ticks; i++ {
			select {
			case <-ctx.Done():
				s.fail(fmt.Errorf("storm stopped after %d joins: %w", s.count(), ctx.Err()))
				return
			case <-t.C:
			}
			for s.count() < total*i/ticks {
				if err := s.joinOne(); err != nil {
					s.fail(err)
					return
				}
			}
		}
	}()
	return s
}

// openMeeting lets the storm's joins go to a meeting too.
func (s *storm) openMeeting(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open = append(s.open, id)
}

func (s *storm) joinOne() error {
	s.mu.Lock()
	if len(s.open) == 0 {
		s.mu.Unlock()
		return errors.New("storm: no meeting open for joining")
	}
	id := s.open[s.joined%len(s.open)]
	s.joined++
	s.mu.Unlock()
	_, err := s.sim.JoinGuests(id, 1)
	return err
}

func (s *storm) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.joined
}

func (s *storm) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// at waits until d after the storm began.
func (s *storm) at(ctx context.Context, d time.Duration) {
	tm := time.NewTimer(time.Until(s.start.Add(d)))
	defer tm.Stop()
	select {
	case <-tm.C:
	case <-ctx.Done():
	}
}

// wait returns once every join is made.
func (s *storm) wait(t *testing.T) {
	t.Helper()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		t.Fatal(s.err)
	}
}

// createMeeting schedules a meeting (meeting.created goes out).
func (c *cluster) createMeeting(t *testing.T) int64 {
	t.Helper()
	m, err := c.Sim.CreateMeeting(zoomsim.MeetingSpec{HostID: c.Host.ID, Topic: "chaos"})
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// startMeeting starts a meeting and lets its host in (the host is never
// granted: it is skipped, and not counted as an eligible joiner).
func (c *cluster) startMeeting(t *testing.T, id int64) {
	t.Helper()
	if _, err := c.Sim.StartMeeting(id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sim.Join(id, zoomsim.JoinSpec{ZoomUserID: c.Host.ID}); err != nil {
		t.Fatal(err)
	}
}

func (c *cluster) openMeeting(t *testing.T) int64 {
	t.Helper()
	id := c.createMeeting(t)
	c.startMeeting(t, id)
	return id
}

// tally is what a scenario measured.
type tally struct {
	Scenario string
	// Webhooks: EventsIn deliveries acknowledged with a 2xx, out of
	// Deliveries; Attempts POSTs in all, Answered5xx of them answered >= 500
	// (502 from the proxy, 503 from cohostd), NoAnswer failed at the
	// transport; GaveUp deliveries that Zoom abandoned.
	EventsIn, Deliveries, Attempts, Answered5xx, NoAnswer, GaveUp int
	// Grants: Eligible joiners (not the host, not the agent, not phone-only),
	// Confirmed of them confirmed co-host in the ledger.
	Eligible, Confirmed int
	// Duplicates: PromotedTwice participants the agent promoted more than
	// once, ConfirmedTwice ledger rows confirmed more than once (two rows for
	// one participant, or two committed first confirmations); Repeats calls
	// for participants already co-host (the agent's idempotent 200s).
	PromotedTwice, ConfirmedTwice, Repeats int
	// Lost: eligible joiners not confirmed at the end.
	Lost int
	// Jobs: River jobs rescued from a dead worker, run more than once, and
	// still due at the end.
	Jobs    jobStats
	Elapsed time.Duration
	Extra   string

	evidence []string
}

func (r tally) String() string {
	s := fmt.Sprintf("%s: events in %d (deliveries %d, attempts %d, answered 5xx %d, no answer %d, given up %d) · "+
		"grants confirmed %d/%d · duplicates: promoted twice %d, confirmed twice %d (agent repeat calls %d) · lost %d · "+
		"jobs rescued %d, retried %d, due at the end %d · %.1f s",
		r.Scenario, r.EventsIn, r.Deliveries, r.Attempts, r.Answered5xx, r.NoAnswer, r.GaveUp,
		r.Confirmed, r.Eligible, r.PromotedTwice, r.ConfirmedTwice, r.Repeats, r.Lost,
		r.Jobs.Rescued, r.Jobs.Retried, r.Jobs.Due, r.Elapsed.Seconds())
	if len(r.Jobs.DueBy) > 0 {
		s += fmt.Sprintf(" %v", r.Jobs.DueBy)
	}
	if r.Extra != "" {
		s += " · " + r.Extra
	}
	return s
}

// eligible lists a meeting's joiners that must end confirmed co-host.
func eligible(m zoomsim.Meeting) []zoomsim.Participant {
	var out []zoomsim.Participant
	for _, p := range m.Participants {
		if !p.Agent && p.ZoomUserID != m.HostID && !p.PhoneOnly() {
			out = append(out, p)
		}
	}
	return out
}

// settle waits (until ctx is done) for every eligible joiner of the meetings
// to be confirmed in the ledger, lets the deliveries under way finish, and
// measures.
func (c *cluster) settle(ctx context.Context, t *testing.T, scenario string, began time.Time, meetings ...int64) tally {
	t.Helper()
	want := map[int64][]zoomsim.Participant{}
	total := 0
	for _, id := range meetings {
		m, err := c.Sim.Meeting(id)
		if err != nil {
			t.Fatal(err)
		}
		want[id] = eligible(m)
		total += len(want[id])
	}
	confirmed := func() int {
		n := 0
		for _, id := range meetings {
			rows, err := c.Store.ListParticipants(ctx, c.AccountID, strconv.FormatInt(id, 10))
			if err != nil {
				return -1
			}
			state := map[string]grant.State{}
			for _, r := range rows {
				state[r.Key] = r.State
			}
			for _, p := range want[id] {
				if state[p.Key()] == grant.StateConfirmed {
					n++
				}
			}
		}
		return n
	}
	for confirmed() < total && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
	// Jobs a killed replica was running stay "running" until the leader's
	// rescuer hands them on; wait for the queue to drain, so the rescue (and
	// the re-runs it causes) is part of what is measured.
	for ctx.Err() == nil {
		if js, err := c.jobStats(ctx); err != nil || js.Due == 0 {
			break // an error shows in measure
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
	// Let the deliveries under way (late role changes, retries) settle so the
	// counts are final.
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, _ = c.Sim.WaitFor(wctx, func(l zoomsim.Ledger) bool { return l.Counters().WebhooksPending == 0 })
	cancel()
	return c.measure(t, scenario, began, want)
}

func (c *cluster) measure(t *testing.T, scenario string, began time.Time, want map[int64][]zoomsim.Participant) tally {
	t.Helper()
	// The ledger is read with a fresh context: the scenario's may be done.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	r := tally{Scenario: scenario, Elapsed: time.Since(began)}
	l := c.Sim.Ledger()
	for _, d := range l.Webhooks {
		r.Deliveries++
		switch d.State {
		case zoomsim.DeliveryDelivered:
			r.EventsIn++
		case zoomsim.DeliveryFailed:
			r.GaveUp++
		}
		for _, a := range d.Attempts {
			r.Attempts++
			switch {
			case a.Status >= 500:
				r.Answered5xx++
			case a.Status == 0:
				r.NoAnswer++
			}
		}
	}
	ids := make([]int64, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		promoted := map[string]int{}
		for _, p := range l.PromotionsIn(id) {
			promoted[p.ParticipantUUID]++
			r.Repeats += p.Repeats
		}
		for _, n := range promoted {
			if n > 1 {
				r.PromotedTwice++
			}
		}
		rows, err := c.Store.ListParticipants(ctx, c.AccountID, strconv.FormatInt(id, 10))
		if err != nil {
			t.Fatalf("reading the ledger of meeting %d: %v", id, err)
		}
		byKey := map[string][]grant.Participant{}
		for _, row := range rows {
			byKey[row.Key] = append(byKey[row.Key], row)
		}
		for _, p := range want[id] {
			r.Eligible++
			rs := byKey[p.Key()]
			if len(rs) > 1 {
				r.ConfirmedTwice++
				r.evidence = append(r.evidence, fmt.Sprintf("%d ledger rows for %s in meeting %d", len(rs), p.Key(), id))
			}
			if len(rs) >= 1 && rs[0].State == grant.StateConfirmed {
				r.Confirmed++
				continue
			}
			r.Lost++
			if len(r.evidence) < 12 {
				r.evidence = append(r.evidence, lostEvidence(l, id, p, rs))
			}
		}
	}
	js, err := c.jobStats(ctx)
	if err != nil {
		t.Fatalf("reading River's jobs: %v", err)
	}
	r.Jobs = js
	twice := c.logs.confirmedTwice()
	r.ConfirmedTwice += len(twice)
	for _, k := range twice {
		r.evidence = append(r.evidence, "first confirmation committed more than once: "+k)
	}
	return r
}

// lostEvidence says what happened to a joiner who did not end confirmed.
func lostEvidence(l zoomsim.Ledger, meetingID int64, p zoomsim.Participant, rows []grant.Participant) string {
	var b strings.Builder
	fmt.Fprintf(&b, "lost %s (%s) in meeting %d: ", p.Key(), p.Name, meetingID)
	if len(rows) == 0 {
		b.WriteString("no ledger row")
	} else {
		row := rows[0]
		fmt.Fprintf(&b, "ledger state=%s reason=%q granter=%q attempts=%d", row.State, row.Reason, row.Granter, row.Attempts)
	}
	if pr, ok := l.Promotion(meetingID, p.Key()); ok {
		fmt.Fprintf(&b, "; promoted by the agent at %s, role_changed sent=%v", pr.PromotedAt.Format("15:04:05.000"), !pr.RoleChangedSentAt.IsZero())
	} else {
		b.WriteString("; never promoted by the agent")
	}
	for _, d := range l.Webhooks {
		if d.MeetingID != meetingID || d.ParticipantKey != p.Key() {
			continue
		}
		var st []string
		for _, a := range d.Attempts {
			st = append(st, strconv.Itoa(a.Status))
		}
		fmt.Fprintf(&b, "; %s %s attempts [%s]", d.Event, d.State, strings.Join(st, " "))
	}
	return b.String()
}

// report prints the scenario's line and asserts what holds in every
// scenario: nobody lost, nobody granted twice.
func (c *cluster) report(t *testing.T, r tally) {
	t.Helper()
	t.Log(r.String())
	if r.Eligible == 0 {
		t.Fatal("no eligible joiner: the storm did not run")
	}
	if r.Jobs.Due > 0 {
		t.Errorf("%d jobs still due when the scenario's time ran out (stuck, not rescued?): %v\n%s", r.Jobs.Due, r.Jobs.DueBy, c.logs.problemsText())
	}
	if r.Lost > 0 || r.PromotedTwice > 0 || r.ConfirmedTwice > 0 {
		t.Errorf("lost %d, promoted twice %d, confirmed twice %d; want 0, 0, 0:\n  %s\n%s",
			r.Lost, r.PromotedTwice, r.ConfirmedTwice, strings.Join(r.evidence, "\n  "), c.logs.problemsText())
	}
}
