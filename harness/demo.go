package harness

import (
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/server"
	"github.com/cohost-dev/cohost/zoomsim"
)

// DemoOptions shape the demo meeting.
type DemoOptions struct {
	// Granters is COHOST_GRANTERS (a comma list); default DefaultDemoGranters.
	Granters string
	// Screenshot, when set, is where a PNG of the host page is saved once
	// every joiner is served (host-client only).
	Screenshot string
	// People is how many join, the host and one phone-only caller included.
	People int
	// SignedIn is how many joiners are signed-in users of the account.
	SignedIn int
	// Over is the time over which the joins arrive.
	Over time.Duration
	// Progress receives live progress; Live rewrites one line (a terminal).
	Progress io.Writer
	Live     bool
	// Logs receives cohostd's JSON logs; nil discards them.
	Logs io.Writer
	// Serve, when set, is called once the crowd is served, with the
	// summary and where everything runs; the meeting goes on (cohostd, the
	// simulator and the host page stay up) until Serve returns.
	Serve func(ctx context.Context, sum *DemoSummary, at DemoServing) error
}

// DemoServing is where a serving demo runs, for a person to open.
type DemoServing struct {
	// Console is the operator console's URL and AdminToken a token to paste
	// into it (a day long).
	Console, AdminToken string
	// HostLink is a fresh host link of the demo's meeting: opening it takes
	// the meeting over from the demo's headless page.
	HostLink string
	// Portal is the host portal's URL ("" when it is off).
	Portal string
	// People is the simulator's people page: add joiners, admit them, make
	// one co-host by hand.
	People string
	// AddGuest makes one more guest join the meeting.
	AddGuest func() (string, error)
}

// demoInterval is the demo's COHOST_HOST_CLIENT_INTERVAL.
const demoInterval = 200 * time.Millisecond

// DemoDuration is about how long the demo's crowd takes to serve: their
// arrival, then one makeCoHost per interval for everyone the host page
// promotes.
func DemoDuration(people int, over time.Duration, granters string) time.Duration {
	if !strings.Contains(granters, "host-client") {
		return over + 2*time.Second
	}
	return max(over, time.Duration(people)*demoInterval) + 3*time.Second
}

// DemoRow is one participant in the demo's summary.
type DemoRow struct {
	Name, Kind, State, Granter, Reason string
	// Eligible: the chosen granters can serve this joiner; WhyNot says why
	// not otherwise.
	Eligible     bool
	WhyNot       string
	TimeToCoHost time.Duration // 0 when not confirmed/granted
}

// MinDemoPeople is the smallest crowd the demo runs: the host, the
// phone-only caller and one joiner to make co-host.
const MinDemoPeople = 3

// DefaultDemoGranters is the demo's route: the real co-host role through the
// host page (in headless Chromium), co-host abilities for the rest.
const DefaultDemoGranters = "host-client,permissions"

// DemoSummary is what the demo measured.
type DemoSummary struct {
	Granters string
	Rows     []DemoRow
	// Eligible counts joiners who should end with co-host (or its abilities);
	// Served counts those who did.
	Eligible, Served int
	// Meeting granter notes (permissions applied, settings restored).
	Notes []string
}

// OK reports whether every eligible joiner was served.
func (s *DemoSummary) OK() bool { return s.Eligible > 0 && s.Served == s.Eligible }

// RunDemo runs one meeting end to end against the simulator and returns its summary.
func RunDemo(ctx context.Context, o DemoOptions) (*DemoSummary, error) {
	if o.Granters == "" {
		o.Granters = DefaultDemoGranters
	}
	hostPage := strings.Contains(o.Granters, "host-client")
	if o.People == 0 {
		o.People = 25
	}
	if o.People < MinDemoPeople {
		return nil, fmt.Errorf("the demo needs at least %d people (the host, a phone-only caller and one joiner to make co-host), not %d", MinDemoPeople, o.People)
	}
	if o.SignedIn == 0 {
		o.SignedIn = 5
	}
	if o.Over == 0 {
		o.Over = 3 * time.Second
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	confirming := strings.Contains(o.Granters, "agent") || hostPage
	adminSecret, err := randomSecret()
	if err != nil {
		return nil, err
	}
	h, err := Start(ctx, Options{Granters: o.Granters, Logs: o.Logs, Sim: func(c *zoomsim.Config) {
		c.Agent.JoinDelay = 150 * time.Millisecond
		c.Agent.VisibilityDelay = 50 * time.Millisecond
		c.Agent.RoleChangedDelay = 20 * time.Millisecond
		c.WebSDK.RosterDelay = 30 * time.Millisecond
		c.WebSDK.RoleChangeDelay = 20 * time.Millisecond
	}, Env: map[string]string{"COHOST_HOST_CLIENT_INTERVAL": demoInterval.String(), "COHOST_ADMIN_SECRET": adminSecret}})
	if err != nil {
		return nil, err
	}
	defer h.Close(ctx)
	sim := h.Sim.Sim
	fmt.Fprintf(o.Progress, "cohostd on http://%s (SQLite, granters: %s); Zoom simulator on %s\n", h.Cohost.Addr(), o.Granters, h.Sim.URL)

	before, _ := sim.UserSettings(h.Host.ID)
	m, err := sim.CreateMeeting(zoomsim.MeetingSpec{HostID: h.Host.ID, Topic: "cohost demo all-hands", StartTime: time.Now().Add(90 * time.Second)})
	if err != nil {
		return nil, err
	}
	// The crowd: the host, one phone-only caller, signed-in members, guests.
	specs := []zoomsim.JoinSpec{{ZoomUserID: h.Host.ID}, {PhoneNumber: "+1 555 0100"}}
	var page *HostBrowser
	if hostPage {
		// The host starts the meeting from the host link, as the README
		// asks of every host: headless Chromium stands in for their browser.
		link, err := h.HostLink(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(o.Progress, "meeting %d created by %s; the host opens the host link %s#…\n", m.ID, h.Host.Email, strings.Split(link, "#")[0])
		if page, err = OpenHostPage(ctx, link); err != nil {
			return nil, err
		}
		defer page.Close()
		if err := waitStarted(ctx, sim, m.ID); err != nil {
			return nil, err
		}
		fmt.Fprintln(o.Progress, "the host page started the meeting as its host (Web Meeting SDK, simulated)")
	} else {
		fmt.Fprintf(o.Progress, "meeting %d created by %s; starting it\n", m.ID, h.Host.Email)
		if _, err := sim.StartMeeting(m.ID); err != nil {
			return nil, err
		}
	}
	var kindsMu sync.Mutex // written by the joining goroutine, read by the summary
	kinds := map[string]string{}
	for i := range min(o.SignedIn, o.People-2) {
		u, err := sim.CreateUser(h.AccountID, zoomsim.UserSpec{Email: fmt.Sprintf("member%d@example.com", i+1),
			FirstName: "Member", LastName: strconv.Itoa(i + 1), Type: 2})
		if err != nil {
			return nil, err
		}
		specs = append(specs, zoomsim.JoinSpec{ZoomUserID: u.ID})
	}
	for i := len(specs); i < o.People; i++ {
		specs = append(specs, zoomsim.JoinSpec{Name: fmt.Sprintf("Guest %d", i-o.SignedIn-1)})
	}
	if hostPage {
		specs = specs[1:] // the page is the host's join
		rand.Shuffle(len(specs), func(i, j int) { specs[i], specs[j] = specs[j], specs[i] })
	} else {
		rand.Shuffle(len(specs)-1, func(i, j int) { specs[i+1], specs[j+1] = specs[j+1], specs[i+1] }) // host first
	}
	expect := DemoDuration(o.People, o.Over, o.Granters)
	fmt.Fprintf(o.Progress, "%d people join over %s; the host page makes one co-host every %s: about %s\n", o.People, o.Over,
		demoInterval, expect.Round(time.Second))
	start := time.Now()
	joinErr := make(chan error, 1)
	go func() {
		gap := o.Over / time.Duration(len(specs))
		for _, s := range specs {
			p, err := sim.Join(m.ID, s)
			if err != nil {
				joinErr <- err
				return
			}
			kindsMu.Lock()
			switch {
			case s.ZoomUserID == h.Host.ID:
				kinds[p.Key()] = "host"
			case s.PhoneNumber != "":
				kinds[p.Key()] = "phone-only"
			case s.ZoomUserID != "":
				kinds[p.Key()] = "signed in"
			default:
				kinds[p.Key()] = "guest"
			}
			kindsMu.Unlock()
			time.Sleep(gap)
		}
		joinErr <- nil
	}()

	meetingID := strconv.FormatInt(m.ID, 10)
	// The agent joins as a participant of its own: not one of the crowd.
	isAgent := func(p grant.Participant) bool {
		return p.Reason == grant.ReasonAgent || (p.ZoomUserID == h.Host.ID && p.Name == server.DefaultAgentDisplayName)
	}
	var ps []grant.Participant
	// The wait scales with the crowd and the pace, with room for a slow machine.
	deadline := time.Now().Add(2*expect + 60*time.Second)
	joinsDone := false
	var last demoProgress
	lastPrint, lastLen, printed := time.Time{}, 0, false
	shot := false
	for {
		if !joinsDone {
			select {
			case err := <-joinErr:
				if err != nil {
					return nil, err
				}
				joinsDone = true
			default:
			}
		}
		ps, err = h.Cohost.Store.ListParticipants(ctx, h.AccountID, meetingID)
		if err != nil {
			return nil, err
		}
		var now demoProgress
		settled := true
		for _, p := range ps {
			if !p.State.Final() && !(p.State == grant.StateGranted && !confirming) {
				settled = false
			}
			if hostPage && p.State == grant.StateConfirmed && p.Granter == "" {
				// Zoom's role-change webhook often lands before the page's
				// report that makeCoHost resolved, which names the granter.
				settled = false
			}
			if isAgent(p) {
				continue
			}
			now.joined++
			switch p.State {
			case grant.StateGranted:
				now.granted++
			case grant.StateConfirmed:
				now.confirmed++
			case grant.StateSkipped:
				now.skipped++
			case grant.StateFailed:
				now.failed++
			}
		}
		want := len(specs)
		if hostPage {
			want++ // the host, joined through the page
		}
		done := joinsDone && now.joined >= want && settled
		pending := now.joined - now.confirmed - now.skipped - now.failed
		if page != nil && o.Screenshot != "" && !shot && (now.confirmed >= 4 && pending >= 4 || done) {
			// Mid-meeting: some co-hosts, some on their way; the page shows
			// the ledger at its next sync.
			shot = true
			time.Sleep(1100 * time.Millisecond)
			if err := page.Screenshot(o.Screenshot); err != nil {
				fmt.Fprintf(o.Progress, "could not save the host page's screenshot: %v\n", err)
			}
		}
		line := fmt.Sprintf("%5.1fs  joined %2d/%d  granted %2d  confirmed co-host %2d  skipped %d  failed %d",
			time.Since(start).Seconds(), now.joined, want, now.granted+now.confirmed, now.confirmed, now.skipped, now.failed)
		switch {
		case o.Live:
			// One line rewritten in place; padded so a shorter line leaves
			// nothing of a longer one behind.
			if time.Since(lastPrint) >= 100*time.Millisecond || done {
				fmt.Fprintf(o.Progress, "\r%s%s", line, strings.Repeat(" ", max(0, lastLen-len(line))))
				lastPrint, lastLen = time.Now(), len(line)
			}
		case !printed || (now != last && (time.Since(lastPrint) >= time.Second || done)):
			// A log-like line only when something changed, at most once a
			// second, and the final state once.
			fmt.Fprintln(o.Progress, line)
			lastPrint, last, printed = time.Now(), now, true
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(o.Progress, "\ntimed out waiting for every grant to settle")
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if o.Live {
		fmt.Fprintln(o.Progress)
	}

	sum := &DemoSummary{Granters: o.Granters}
	kindsMu.Lock()
	defer kindsMu.Unlock()
	for _, p := range ps {
		row := DemoRow{Name: p.Name, Kind: kinds[p.Key], State: string(p.State), Granter: p.Granter, Reason: string(p.Reason)}
		switch {
		case p.State == grant.StateConfirmed && !p.ConfirmedAt.IsZero():
			row.TimeToCoHost = p.ConfirmedAt.Sub(p.JoinedAt)
		case p.State == grant.StateGranted && !p.GrantedAt.IsZero():
			row.TimeToCoHost = p.GrantedAt.Sub(p.JoinSeenAt)
		}
		if isAgent(p) {
			row.Kind = "cohost agent"
		}
		if p.ZoomUserID == h.Host.ID && !isAgent(p) {
			row.Kind = "host"
		}
		if row.Kind == "" {
			row.Kind = "guest"
		}
		row.Eligible, row.WhyNot = demoEligible(row.Kind, o.Granters)
		if row.Eligible {
			sum.Eligible++
			if p.State == grant.StateConfirmed || (!confirming && p.State == grant.StateGranted) {
				sum.Served++
			}
		}
		sum.Rows = append(sum.Rows, row)
	}
	sort.SliceStable(sum.Rows, func(i, j int) bool { return sum.Rows[i].Kind < sum.Rows[j].Kind })

	states, _ := h.Cohost.Store.GranterStates(ctx, h.AccountID, meetingID)
	for _, s := range states {
		note := "meeting " + string(s.Phase) + " by " + s.Granter
		if s.Detail != "" {
			note += ": " + s.Detail
		}
		sum.Notes = append(sum.Notes, note)
	}
	if shot {
		fmt.Fprintf(o.Progress, "saved the host page's screenshot to %s\n", o.Screenshot)
	}
	if o.Serve != nil {
		at, err := demoServing(ctx, h, m, adminSecret, &kindsMu, kinds)
		if err != nil {
			return nil, err
		}
		kindsMu.Unlock() // the guests added while serving note their kind
		err = o.Serve(ctx, sum, at)
		kindsMu.Lock()
		if err != nil {
			return nil, err
		}
		// Ctrl-C ended the serving: the meeting still ends cleanly.
		ctx = context.WithoutCancel(ctx)
	}
	fmt.Fprintln(o.Progress, "ending the meeting")
	if err := sim.EndMeeting(m.ID); err != nil {
		return nil, err
	}
	// Wait for cohostd to undo its preparation (agent leaves, settings restored).
	endBy := time.Now().Add(30 * time.Second)
	for time.Now().Before(endBy) {
		states, _ = h.Cohost.Store.GranterStates(ctx, h.AccountID, meetingID)
		finished := len(states) > 0
		for _, s := range states {
			finished = finished && strings.HasPrefix(string(s.Phase), "finish")
		}
		if finished {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, s := range states {
		sum.Notes = append(sum.Notes, "after the meeting: "+s.Granter+" "+string(s.Phase))
	}
	if strings.Contains(o.Granters, "permissions") {
		after, _ := sim.UserSettings(h.Host.ID)
		if fmt.Sprint(before) == fmt.Sprint(after) {
			sum.Notes = append(sum.Notes, "host settings restored to what they were before the meeting")
		} else {
			sum.Notes = append(sum.Notes, "host settings differ from before the meeting")
		}
	}
	return sum, nil
}

// demoServing mints what a person needs to look at the running demo.
func demoServing(ctx context.Context, h *Harness, m zoomsim.Meeting, adminSecret string, mu *sync.Mutex, kinds map[string]string) (DemoServing, error) {
	token, err := handlers.MintAdminToken([]byte(adminSecret), 24*time.Hour, "demo")
	if err != nil {
		return DemoServing{}, err
	}
	link, err := h.HostLink(ctx, m.ID)
	if err != nil {
		return DemoServing{}, err
	}
	guests := 0
	portal := ""
	if h.Cohost.Config.SignInClientID != "" {
		portal = h.PortalURL()
	}
	return DemoServing{
		Console: h.PublicURL + handlers.ConsolePath, AdminToken: token, HostLink: link, Portal: portal,
		People: h.Sim.URL + zoomsim.UIPath,
		AddGuest: func() (string, error) {
			mu.Lock()
			defer mu.Unlock()
			guests++
			p, err := h.Sim.Sim.Join(m.ID, zoomsim.JoinSpec{Name: fmt.Sprintf("Late guest %d", guests)})
			if err != nil {
				return "", err
			}
			kinds[p.Key()] = "guest"
			return p.Name, nil
		},
	}, nil
}

// randomSecret is a fresh admin secret for one demo run.
func randomSecret() (string, error) {
	var b [36]byte
	if _, err := crand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// demoProgress is what one progress line reports.
type demoProgress struct{ joined, granted, confirmed, skipped, failed int }

// demoEligible says whether the chosen granters can serve a joiner of this
// kind and, if not, why. The agent and permissions serve any joiner;
// alternative-hosts only licensed users of the host's account, signed in
// (the demo's members), so on its own it cannot serve guests, by design.
func demoEligible(kind, granters string) (bool, string) {
	switch kind {
	case "host":
		return false, "the host"
	case "phone-only":
		return false, "phone only: no client that can hold a role"
	case "cohost agent":
		return false, "the agent itself"
	}
	for _, g := range strings.Split(granters, ",") {
		if g = strings.TrimSpace(g); g == "agent" || g == "permissions" || g == "host-client" {
			return true, ""
		}
	}
	if kind == "signed in" {
		return true, ""
	}
	return false, "alternative-hosts serves only licensed users of the account"
}

// Table renders the summary for a terminal.
func (s *DemoSummary) Table(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTICIPANT\tKIND\tSTATE\tGRANTER\tREASON\tTIME TO CO-HOST\tELIGIBLE")
	var times []time.Duration
	for _, r := range s.Rows {
		ttc := "-"
		if r.TimeToCoHost > 0 {
			ttc = r.TimeToCoHost.Round(time.Millisecond).String()
			times = append(times, r.TimeToCoHost)
		}
		eligible := "yes"
		if !r.Eligible {
			eligible = "no: " + r.WhyNot
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Kind, r.State, dash(r.Granter), dash(r.Reason), ttc, eligible)
	}
	_ = tw.Flush()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	fmt.Fprintf(w, "\n%d of %d eligible joiners served", s.Served, s.Eligible)
	if len(times) > 0 {
		fmt.Fprintf(w, "; time to co-host p50 %s, max %s", times[len(times)/2].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	for _, n := range s.Notes {
		fmt.Fprintln(w, "- "+n)
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// waitStarted waits until the simulator's meeting is started (by the host page).
func waitStarted(ctx context.Context, sim *zoomsim.Sim, id int64) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m, err := sim.Meeting(id); err == nil && m.Status == zoomsim.MeetingStarted {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the host page did not start meeting %d within a minute", id)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
