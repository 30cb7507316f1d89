package harness_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/harness"
	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/internal/browser"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/zoomsim"
)

// The host client end to end: cohostd and the Zoom simulator in-process, the
// real host page in headless Chromium against the simulator's Web Meeting
// SDK. Nothing is mocked between the page, cohostd and the simulated Zoom.

// syncLog is a concurrency-safe log sink.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *syncLog) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

type hostEnv struct {
	h    *harness.Harness
	sim  *zoomsim.Sim
	b    *browser.Browser
	logs *syncLog
	m    zoomsim.Meeting
	link string
}

// startHostClient starts cohostd with the host-client granter, a policy
// that denies one email domain, and a meeting whose host opens the host link.
func startHostClient(t *testing.T, engine string, replicas int) *hostEnv {
	t.Helper()
	browser.SkipUnlessAvailable(t)
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("participants:\n  deny_email_domains: [vendor.example]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncLog{}
	h := start(t, engine, harness.Options{
		Granters: "host-client", Replicas: replicas, Logs: logs, LogLevel: slog.LevelDebug,
		Env: map[string]string{"COHOST_POLICY_FILE": policy, "COHOST_HOST_CLIENT_INTERVAL": "100ms"},
		Sim: func(c *zoomsim.Config) { c.WebSDK.RoleChangeDelay = 20 * time.Millisecond },
	})
	m, err := h.Sim.Sim.CreateMeeting(zoomsim.MeetingSpec{HostID: h.Host.ID, Topic: "All hands"})
	if err != nil {
		t.Fatal(err)
	}
	link, err := h.HostLink(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	e := &hostEnv{h: h, sim: h.Sim.Sim, b: browser.New(t), logs: logs, m: m, link: link}
	e.b.Run(t, chromedp.Navigate(link))
	e.waitFor(t, "the host page to start the meeting", func() bool {
		got, err := e.sim.Meeting(m.ID)
		return err == nil && got.Status == zoomsim.MeetingStarted && len(e.sim.SDKSessions(m.ID)) > 0
	})
	return e
}

func (e *hostEnv) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			logs := e.logs.String()
			t.Fatalf("timed out waiting for %s\nledger: %v\npage messages:\n%v\ncohostd's last log lines:\n%s", what, e.ledger(t), e.b.Messages(),
				logs[max(0, len(logs)-6000):])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *hostEnv) join(t *testing.T, spec zoomsim.JoinSpec) zoomsim.Participant {
	t.Helper()
	p, err := e.sim.Join(e.m.ID, spec)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ledger reads the meeting's participants by participant key.
func (e *hostEnv) ledger(t *testing.T) map[string]grant.Participant {
	t.Helper()
	ps, err := e.h.Cohost.Store.ListParticipants(context.Background(), e.h.AccountID, strconv.FormatInt(e.m.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]grant.Participant{}
	for _, p := range ps {
		out[p.Key] = p
	}
	return out
}

func (e *hostEnv) confirmedByPage(t *testing.T, keys ...string) func() bool {
	return func() bool {
		l := e.ledger(t)
		for _, k := range keys {
			if p := l[k]; p.State != grant.StateConfirmed || p.Granter != "host-client" {
				return false
			}
		}
		return true
	}
}

// promotions counts the SDK's promotions per participant key.
func (e *hostEnv) promotions() map[string]int {
	out := map[string]int{}
	for _, p := range e.sim.Ledger().PromotionsIn(e.m.ID) {
		out[p.Key]++
	}
	return out
}

// checkLogs asserts that no ZAK, Meeting SDK signature or link secret
// reached cohostd's logs during the whole meeting.
func (e *hostEnv) checkLogs(t *testing.T) {
	t.Helper()
	_, secret, _ := strings.Cut(e.link, "#")
	logs := e.logs.String()
	if !strings.Contains(logs, "host page started") {
		t.Fatal("the logs were not captured")
	}
	for what, leak := range map[string]string{"a ZAK": "zszak_", "a JWT (SDK signature)": "eyJ", "the link secret": secret} {
		if strings.Contains(logs, leak) {
			t.Errorf("cohostd's log holds %s", what)
		}
	}
}

// Every eligible joiner becomes co-host once, through the page; the host, a
// phone-only caller and a joiner the policy excludes never do; a joiner the
// roster shows before their webhook, one it shows after, one admitted from
// the waiting room later, and one whose first makeCoHost is refused all end
// co-host; never two makeCoHost in flight; a reload mid-meeting carries on
// without promoting anyone twice.
func TestHostClientPromotesEveryJoiner(t *testing.T) {
	e := startHostClient(t, "sqlite", 1)
	member, err := e.sim.CreateUser(e.h.AccountID, zoomsim.UserSpec{Email: "member@example.com", FirstName: "Mem", LastName: "Ber", Type: 2})
	if err != nil {
		t.Fatal(err)
	}
	guest := e.join(t, zoomsim.JoinSpec{Name: "Guest", Email: "guest@example.org"})
	signed := e.join(t, zoomsim.JoinSpec{ZoomUserID: member.ID})
	phone := e.join(t, zoomsim.JoinSpec{PhoneNumber: "+15550100"})
	vendor := e.join(t, zoomsim.JoinSpec{Name: "Vendor", Email: "sales@vendor.example"})
	// The roster shows this one a second before Zoom's webhook arrives.
	e.sim.SetWebSDK(zoomsim.WebSDKConfig{RosterDelay: -time.Second, RoleChangeDelay: 20 * time.Millisecond})
	early := e.join(t, zoomsim.JoinSpec{Name: "Early"})
	// And this one half a second after.
	e.sim.SetWebSDK(zoomsim.WebSDKConfig{RosterDelay: 500 * time.Millisecond, RoleChangeDelay: 20 * time.Millisecond})
	late := e.join(t, zoomsim.JoinSpec{Name: "Late"})
	// This one waits in the waiting room, and their first makeCoHost is refused.
	e.sim.SetWebSDK(zoomsim.WebSDKConfig{WaitingRoom: true, RoleChangeDelay: 20 * time.Millisecond})
	held := e.join(t, zoomsim.JoinSpec{Name: "Held"})
	e.sim.SetWebSDK(zoomsim.WebSDKConfig{RoleChangeDelay: 20 * time.Millisecond})
	if err := e.sim.RejectMakeCoHost(e.m.ID, held.Key(), 1, zoomsim.SDKError{Type: "OPERATION_TIMEOUT", ErrorCode: 1}); err != nil {
		t.Fatal(err)
	}

	e.waitFor(t, "the first joiners to be co-host", e.confirmedByPage(t, guest.Key(), signed.Key(), early.Key(), late.Key()))
	if p := e.ledger(t)[held.Key()]; p.State == grant.StateConfirmed {
		t.Fatal("a joiner in the waiting room was made co-host")
	}
	if _, err := e.sim.Admit(e.m.ID, held.Key()); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "the admitted joiner to be co-host after a refused first call", e.confirmedByPage(t, held.Key()))

	// A reload mid-meeting: the page joins again and carries on.
	e.b.Run(t, chromedp.Reload())
	e.waitFor(t, "the reloaded page to rejoin", func() bool { return len(e.sim.SDKSessions(e.m.ID)) >= 2 })
	after := e.join(t, zoomsim.JoinSpec{Name: "After the reload"})
	e.waitFor(t, "a joiner after the reload to be co-host", e.confirmedByPage(t, after.Key()))

	l := e.ledger(t)
	for key, want := range map[string]grant.Reason{phone.Key(): grant.ReasonPhoneOnly, vendor.Key(): grant.ReasonParticipantOutOfScope} {
		if p := l[key]; p.State != grant.StateSkipped || p.Reason != want {
			t.Errorf("%s: %s (%s), want skipped (%s)", p.Name, p.State, p.Reason, want)
		}
	}
	if host := findHost(l, e.h.Host.ID); host.Reason != grant.ReasonHost {
		t.Errorf("the host: %s (%s)", host.State, host.Reason)
	}
	promoted := e.promotions()
	for _, p := range []zoomsim.Participant{guest, signed, early, late, held, after} {
		if promoted[p.Key()] != 1 {
			t.Errorf("%s promoted %d times, want once", p.Name, promoted[p.Key()])
		}
	}
	for _, p := range []zoomsim.Participant{phone, vendor} {
		if promoted[p.Key()] != 0 {
			t.Errorf("%s was promoted", p.Name)
		}
	}
	if n := e.sim.MaxMakeCoHostInFlight(e.m.ID); n != 1 {
		t.Errorf("%d makeCoHost calls in flight at once, want 1", n)
	}
	rejected := 0
	for _, c := range e.sim.SDKCalls(e.m.ID) {
		if c.ParticipantKey == held.Key() && c.Error != nil {
			rejected++
		}
	}
	if rejected != 1 {
		t.Errorf("the held joiner's refused calls: %d, want 1", rejected)
	}
	e.b.AssertNoConsoleErrors(t)
	e.checkLogs(t)
}

func findHost(l map[string]grant.Participant, hostID string) grant.Participant {
	for _, p := range l {
		if p.ZoomUserID == hostID {
			return p
		}
	}
	return grant.Participant{}
}

// Two replicas on PostgreSQL behind a round-robin proxy: the page's requests
// alternate between them, and still one call is in flight and nobody is
// promoted twice.
func TestHostClientTwoReplicas(t *testing.T) {
	testdb.Postgres(t) // skip (or fail with COHOST_REQUIRE_POSTGRES=1) without PostgreSQL
	e := startHostClient(t, "postgres", 2)
	var keys []string
	for i := range 8 {
		keys = append(keys, e.join(t, zoomsim.JoinSpec{Name: "Guest " + strconv.Itoa(i)}).Key())
	}
	e.waitFor(t, "every joiner to be co-host", e.confirmedByPage(t, keys...))
	for k, n := range e.promotions() {
		if n != 1 {
			t.Errorf("%s promoted %d times", k, n)
		}
	}
	if n := e.sim.MaxMakeCoHostInFlight(e.m.ID); n != 1 {
		t.Errorf("%d makeCoHost calls in flight at once, want 1", n)
	}
	served := e.h.HostAPIRequests()
	if len(served) != 2 || served[0] == 0 || served[1] == 0 {
		t.Errorf("host page requests per replica %v, want both to serve", served)
	}
	e.b.AssertNoConsoleErrors(t)
	e.checkLogs(t)
}

// No page, then a page: a grant waits COHOST_HOST_PAGE_WAIT for a host page,
// then the next granter serves the joiner (co-host abilities); a page that
// connects later makes them co-host for real. A closed tab is the same
// case: after the wait from its last sync, joiners fall to the next granter.
func TestHostClientWithoutPage(t *testing.T) {
	browser.SkipUnlessAvailable(t)
	h := start(t, "sqlite", harness.Options{Granters: "host-client,permissions",
		Env: map[string]string{"COHOST_HOST_PAGE_WAIT": "1s", "COHOST_HOST_CLIENT_INTERVAL": "100ms"}})
	sim := h.Sim.Sim
	m, err := sim.CreateMeeting(zoomsim.MeetingSpec{HostID: h.Host.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.StartMeeting(m.ID); err != nil { // from Zoom's start_url, not the page
		t.Fatal(err)
	}
	first, err := sim.Join(m.ID, zoomsim.JoinSpec{Name: "Early guest"})
	if err != nil {
		t.Fatal(err)
	}
	state := func(key string, want grant.State, granter string) func([]grant.Participant) bool {
		return func(ps []grant.Participant) bool {
			for _, q := range ps {
				if q.Key == key && q.State == want && q.Granter == granter {
					return true
				}
			}
			return false
		}
	}
	waitLedger(t, h, m.ID, "the fall-back to permissions", state(first.Key(), grant.StateGranted, "permissions"))

	// The host opens the page late: the early guest is made co-host for real.
	link, err := h.HostLink(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := browser.New(t)
	b.Run(t, chromedp.Navigate(link))
	waitLedger(t, h, m.ID, "the late page to promote the early guest", state(first.Key(), grant.StateConfirmed, "host-client"))

	// The tab is closed: the next joiner waits, then falls to permissions.
	b.Run(t, chromedp.Navigate("about:blank"))
	second, err := sim.Join(m.ID, zoomsim.JoinSpec{Name: "Guest after the tab closed"})
	if err != nil {
		t.Fatal(err)
	}
	waitLedger(t, h, m.ID, "the closed tab's joiner to fall back", state(second.Key(), grant.StateGranted, "permissions"))
	b.AssertNoConsoleErrors(t)
}

// A bad link is refused by cohostd and the page says so in words: expired,
// revoked, tampered, another meeting's. None starts the meeting.
func TestHostClientRefusesBadLinks(t *testing.T) {
	browser.SkipUnlessAvailable(t)
	h := start(t, "sqlite", harness.Options{Granters: "host-client"})
	sim := h.Sim.Sim
	ctx := context.Background()
	meeting := func() zoomsim.Meeting {
		m, err := sim.CreateMeeting(zoomsim.MeetingSpec{HostID: h.Host.ID})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, other := meeting(), meeting()
	id := strconv.FormatInt(a.ID, 10)
	good, err := h.HostLink(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	otherLink, err := h.HostLink(ctx, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	short, err := h.Cohost.Hosts.MintLink(ctx, hostclient.MintRequest{MeetingID: id, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	base, secret, _ := strings.Cut(good, "#")
	tampered := base + "#" + secret[:10] + string(rune('A'+(secret[10]-'A'+1)%26)) + secret[11:]
	if tampered == good {
		t.Fatal("the tampered link equals the good one")
	}
	_, otherSecret, _ := strings.Cut(otherLink, "#")

	// Revoke a link minted for this: the good one stays usable afterwards.
	revoked, err := h.HostLink(ctx, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Cohost.Hosts.RevokeLinks(ctx, strconv.FormatInt(other.ID, 10)); err != nil {
		t.Fatal(err)
	}
	h.Cohost.Hosts.Now = func() time.Time { return time.Now().Add(2 * time.Minute) } // the short link is past its end
	for _, tt := range []struct {
		name, link, title string
	}{
		{"expired", short.URL, "This host link has expired"},
		{"revoked", revoked, "This host link was revoked"},
		{"tampered", tampered, "This host link is not valid"},
		{"another meeting's secret", base + "#" + otherSecret, "This host link is for another meeting"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := browser.New(t)
			b.Run(t, chromedp.Navigate(tt.link))
			var title string
			for deadline := time.Now().Add(30 * time.Second); title != tt.title; {
				title = browser.Eval[string](t, b, `document.getElementById('message-title').textContent`)
				if time.Now().After(deadline) {
					t.Fatalf("the page says %q, want %q; messages %v", title, tt.title, b.Messages())
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	if got, err := sim.Meeting(a.ID); err != nil || got.Status == zoomsim.MeetingStarted {
		t.Fatalf("a refused link started the meeting: %+v %v", got.Status, err)
	}
}
