package harness_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/harness"
	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/internal/browser"
	"github.com/cohost-dev/cohost/zoomsim"
)

// Credit and truth end to end: cohostd, the Zoom simulator and the real
// host page in headless Chromium. The ledger, the admin API, the console,
// the host page and the metrics say who really made whom co-host.

const truthAdminSecret = "truth-e2e-admin-secret-0123456789abcdef-0123456"

// truthEnv is startHostClient's meeting with the admin API on.
func truthEnv(t *testing.T, opts harness.Options) (*harness.Harness, zoomsim.Meeting) {
	t.Helper()
	browser.SkipUnlessAvailable(t)
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("participants:\n  deny_email_domains: [vendor.example]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if opts.Granters == "" {
		opts.Granters = "host-client"
	}
	env := map[string]string{"COHOST_POLICY_FILE": policy, "COHOST_HOST_CLIENT_INTERVAL": "100ms", "COHOST_ADMIN_SECRET": truthAdminSecret}
	for k, v := range opts.Env {
		env[k] = v
	}
	opts.Env = env
	if opts.Sim == nil {
		opts.Sim = func(c *zoomsim.Config) { c.WebSDK.RoleChangeDelay = 20 * time.Millisecond }
	}
	h := start(t, "sqlite", opts)
	m, err := h.Sim.Sim.CreateMeeting(zoomsim.MeetingSpec{HostID: h.Host.ID, Topic: "Truth all-hands"})
	if err != nil {
		t.Fatal(err)
	}
	return h, m
}

// openHostPage opens the meeting's host link and waits until the page runs
// the meeting.
func openHostPage(t *testing.T, h *harness.Harness, m zoomsim.Meeting) (*browser.Browser, string) {
	t.Helper()
	link, err := h.HostLink(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := browser.New(t)
	b.Run(t, chromedp.Navigate(link))
	b.WaitFor(t, "the host page to run the meeting", `document.body.dataset.phase === 'live'`)
	return b, link
}

// openConsole signs in to the console with a fresh token and opens the
// meeting.
func openConsole(t *testing.T, h *harness.Harness, m zoomsim.Meeting) *browser.Browser {
	t.Helper()
	token, err := handlers.MintAdminToken([]byte(truthAdminSecret), time.Hour, "truth-e2e")
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(m.ID, 10)
	b := browser.New(t)
	b.Run(t, chromedp.Navigate(h.PublicURL+"/console"))
	b.WaitFor(t, "the sign-in form", `document.body.dataset.view === 'signin'`)
	b.Run(t, chromedp.SetValue("#token", token), chromedp.Click(`#signin button[type="submit"]`))
	b.WaitFor(t, "the meeting in the list", `document.querySelector('a.m-link[data-id="`+id+`"]')`)
	b.Run(t, chromedp.Click(`a.m-link[data-id="`+id+`"]`))
	b.WaitFor(t, "the meeting", `document.getElementById('d-body') && !document.getElementById('d-body').hidden`)
	return b
}

// adminMeeting reads GET /v1/meetings/{id}.
func adminMeeting(t *testing.T, h *harness.Harness, m zoomsim.Meeting) api.AdminMeetingDetail {
	t.Helper()
	token, err := handlers.MintAdminToken([]byte(truthAdminSecret), time.Hour, "truth-e2e")
	if err != nil {
		t.Fatal(err)
	}
	d, status := consoleAPI[api.AdminMeetingDetail](t, h, token, "/v1/meetings/"+strconv.FormatInt(m.ID, 10))
	if status != http.StatusOK {
		t.Fatalf("GET meeting: %d", status)
	}
	return d
}

func participantOf(d api.AdminMeetingDetail, key string) api.AdminParticipant {
	for _, p := range d.Participants {
		if p.Key == key {
			return p
		}
	}
	return api.AdminParticipant{}
}

// grantsCounted is cohost_grants_total for a granter and an outcome, from
// cohostd's registry.
func grantsCounted(t *testing.T, h *harness.Harness, granter, outcome string) float64 {
	t.Helper()
	mfs, err := h.Cohost.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != "cohost_grants_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["granter"] == granter && labels["outcome"] == outcome {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

func ledgerState(h *harness.Harness, m zoomsim.Meeting, key string, want grant.State, granter string) func([]grant.Participant) bool {
	return func(ps []grant.Participant) bool {
		for _, p := range ps {
			if p.Key == key {
				return p.State == want && p.Granter == granter
			}
		}
		return false
	}
}

// The host makes a joiner the policy excludes co-host by hand: the ledger
// and the admin API name the host and keep the policy's decision, and the
// host page's metric does not move. A page that reports a co-host it was
// never asked to promote gets no credit either.
func TestHostMadeCoHostByHandIsTheHosts(t *testing.T) {
	h, m := truthEnv(t, harness.Options{})
	sim := h.Sim.Sim
	b, link := openHostPage(t, h, m)
	guest := must(sim.Join(m.ID, zoomsim.JoinSpec{Name: "Guest"}))
	vendor := must(sim.Join(m.ID, zoomsim.JoinSpec{Name: "Vendor", Email: "sales@vendor.example"}))
	waitLedger(t, h, m.ID, "the guest co-host by the page", ledgerState(h, m, guest.Key(), grant.StateConfirmed, hostclient.GranterName))
	waitLedger(t, h, m.ID, "the vendor skipped", ledgerState(h, m, vendor.Key(), grant.StateSkipped, ""))
	byPage := grantsCounted(t, h, hostclient.GranterName, "confirmed")
	if byPage != 1 {
		t.Fatalf("host-client confirmations %v, want 1", byPage)
	}

	if _, err := sim.AssignCoHost(m.ID, vendor.Key()); err != nil {
		t.Fatal(err)
	}
	waitLedger(t, h, m.ID, "the vendor confirmed as the host's doing", ledgerState(h, m, vendor.Key(), grant.StateConfirmed, grant.GranterHost))
	p := participantOf(adminMeeting(t, h, m), vendor.Key())
	if p.Granter != grant.GranterHost || p.Reason != string(grant.ReasonParticipantOutOfScope) ||
		!strings.Contains(p.Summary, "made co-host by the host in the meeting") || !strings.Contains(p.Summary, "out of the scope") {
		t.Fatalf("the admin API says %+v", p)
	}
	if got := grantsCounted(t, h, hostclient.GranterName, "confirmed"); got != byPage {
		t.Fatalf("host-client confirmations moved from %v to %v for a role the host gave", byPage, got)
	}
	if got := grantsCounted(t, h, grant.GranterHost, "confirmed"); got != 1 {
		t.Fatalf("host confirmations %v, want 1", got)
	}
	// The host page says the same as the admin API.
	b.WaitFor(t, "the vendor's row", `[...document.querySelectorAll('#rows li')].some(li => li.querySelector('.row-name').textContent === 'Vendor' && li.querySelector('.row-text').textContent === `+jsString(p.Summary)+`)`)

	// A page (any holder of the link) reports a pending joiner as co-host
	// without cohost asking: the report is evidence, not a credit.
	_, secret, _ := strings.Cut(link, "#")
	late := must(sim.Join(m.ID, zoomsim.JoinSpec{Name: "Late"}))
	post := func(path string, body any) []byte {
		t.Helper()
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", h.PublicURL+api.HostAPIPrefix+"/meetings/"+strconv.FormatInt(m.ID, 10)+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out bytes.Buffer
		_, _ = out.ReadFrom(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %d %s", path, res.StatusCode, out.String())
		}
		return out.Bytes()
	}
	b.Run(t, chromedp.Navigate("about:blank")) // this client takes over from the page
	var start api.HostStartResponse
	if err := json.Unmarshal(post("/start", struct{}{}), &start); err != nil {
		t.Fatal(err)
	}
	parts, _ := sim.Participants(m.ID)
	var roster []api.HostRosterEntry
	var me api.HostRosterEntry
	for _, q := range parts {
		uid, _ := strconv.ParseInt(q.UserID, 10, 64)
		e := api.HostRosterEntry{UserID: uid, ParticipantUUID: q.ParticipantUUID, UserName: q.Name, IsHost: q.Role == zoomsim.RoleHost,
			IsCoHost: q.Role == zoomsim.RoleCoHost || q.Key() == late.Key()}
		if e.IsHost {
			me = e
		}
		roster = append(roster, e)
	}
	for range 3 {
		post("/sync", api.HostSyncRequest{SessionID: start.SessionID, Connection: api.HostConnConnected, Me: &me, Roster: roster})
	}
	if l := participantOf(adminMeeting(t, h, m), late.Key()); l.State == string(grant.StateConfirmed) || l.Granter == hostclient.GranterName {
		t.Fatalf("a reported co-host nobody asked for was credited: %+v", l)
	}
	if got := grantsCounted(t, h, hostclient.GranterName, "confirmed"); got != byPage {
		t.Fatalf("host-client confirmations moved to %v on a report", got)
	}
	for _, c := range sim.SDKCalls(m.ID) {
		if c.Method == "makeCoHost" && c.ParticipantKey == late.Key() {
			t.Fatal("cohost asked to promote someone the page reported as co-host")
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Revoking the links while a makeCoHost runs releases the page, not the
// call: the page started from a new link does not call for that person
// within the call's lease, and Zoom's role change names the host page.
func TestRevokeDuringACall(t *testing.T) {
	h, m := truthEnv(t, harness.Options{Sim: func(c *zoomsim.Config) { c.WebSDK.RoleChangeDelay = 4 * time.Second }})
	sim := h.Sim.Sim
	ctx := context.Background()
	b, _ := openHostPage(t, h, m)
	guest := must(sim.Join(m.ID, zoomsim.JoinSpec{Name: "Guest"}))
	calls := func() int {
		n := 0
		for _, c := range sim.SDKCalls(m.ID) {
			if c.Method == "makeCoHost" && c.ParticipantKey == guest.Key() {
				n++
			}
		}
		return n
	}
	for deadline := time.Now().Add(30 * time.Second); calls() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no makeCoHost for the guest")
		}
	}
	if _, err := h.Cohost.Hosts.RevokeLinks(ctx, strconv.FormatInt(m.ID, 10)); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(t, "the revoked page to stop", `document.getElementById('message-title').textContent === 'This host link was revoked'`)
	b2, _ := openHostPage(t, h, m)
	waitLedger(t, h, m.ID, "the guest confirmed", ledgerState(h, m, guest.Key(), grant.StateConfirmed, hostclient.GranterName))
	// Past the first call's lease nothing asks again: the guest is co-host.
	time.Sleep(hostclient.CallLease / 3)
	if n := calls(); n != 1 {
		t.Fatalf("%d makeCoHost calls for the guest, want 1", n)
	}
	b2.AssertNoConsoleErrors(t)
}

// A joiner who leaves while pending is skipped, never failed, however long
// their grant then waits.
func TestLeftWhilePendingIsSkipped(t *testing.T) {
	h, m := truthEnv(t, harness.Options{Env: map[string]string{"COHOST_GRANT_GIVE_UP_AFTER": "4s", "COHOST_HOST_PAGE_WAIT": "2s"}})
	sim := h.Sim.Sim
	b, _ := openHostPage(t, h, m)
	sim.SetWebSDK(zoomsim.WebSDKConfig{RosterDelay: time.Second, RoleChangeDelay: 20 * time.Millisecond})
	held := must(sim.Join(m.ID, zoomsim.JoinSpec{Name: "Held"}))
	if err := sim.RejectMakeCoHost(m.ID, held.Key(), 1000, zoomsim.SDKError{Type: "INTERNAL_ERROR", Reason: "internal error", ErrorCode: 2}); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(t, "the refused joiner pending", `[...document.querySelectorAll('#rows li')].some(li => li.querySelector('.row-text').textContent.includes('INTERNAL_ERROR'))`)
	if err := sim.Leave(m.ID, held.Key()); err != nil {
		t.Fatal(err)
	}
	waitLedger(t, h, m.ID, "the leaver skipped", func(ps []grant.Participant) bool {
		for _, p := range ps {
			if p.Key == held.Key() {
				return p.State == grant.StateSkipped && p.Reason == grant.ReasonLeft
			}
		}
		return false
	})
	time.Sleep(6 * time.Second) // past the give-up time: the grant job runs again
	p := participantOf(adminMeeting(t, h, m), held.Key())
	if p.State != string(grant.StateSkipped) || p.Reason != string(grant.ReasonLeft) {
		t.Fatalf("the leaver is %s (%s): %s", p.State, p.Reason, p.Summary)
	}
	if n := grantsCounted(t, h, hostclient.GranterName, "failed"); n != 0 {
		t.Fatalf("%v failures counted", n)
	}
}

// For a participant whose makeCoHost Zoom keeps refusing, the host page and
// the console show the same sentence, with Zoom's code and the give-up time.
func TestRefusedCallsSameSentenceEverywhere(t *testing.T) {
	h, m := truthEnv(t, harness.Options{})
	sim := h.Sim.Sim
	page, _ := openHostPage(t, h, m)
	sim.SetWebSDK(zoomsim.WebSDKConfig{RosterDelay: 2 * time.Second, RoleChangeDelay: 20 * time.Millisecond})
	refused := must(sim.Join(m.ID, zoomsim.JoinSpec{Name: "Refused"}))
	if err := sim.RejectMakeCoHost(m.ID, refused.Key(), 1000, zoomsim.SDKError{Type: "INTERNAL_ERROR", Reason: "internal error", ErrorCode: 2}); err != nil {
		t.Fatal(err)
	}
	console := openConsole(t, h, m)
	pageText := `(() => { const li = [...document.querySelectorAll('#rows li')].find(li => li.querySelector('.row-name').textContent === 'Refused'); return li ? li.querySelector('.row-text').textContent : ''; })()`
	consoleText := `(() => { const tr = document.querySelector('#people tr[data-key="` + refused.Key() + `"]'); return tr ? tr.querySelector('.p-summary').textContent : ''; })()`
	var onPage, onConsole string
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		onPage, onConsole = browser.Eval[string](t, page, pageText), browser.Eval[string](t, console, consoleText)
		// From the second refusal on (a second after the first), so that
		// the sentence counts tries, not one try.
		if onPage == onConsole && strings.Contains(onPage, "INTERNAL_ERROR 2") && strings.Contains(onPage, "tries so far") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sentences differ:\n host page %q\n console   %q", onPage, onConsole)
		}
	}
	for _, want := range []string{"pending: ", "Zoom's Meeting SDK refuses makeCoHost", "tries so far", "trying until", " UTC"} {
		if !strings.Contains(onPage, want) {
			t.Errorf("%q lacks %q", onPage, want)
		}
	}
	if strings.Contains(onPage, "unavailable:") {
		t.Errorf("internal words: %q", onPage)
	}
	page.AssertNoConsoleErrors(t)
	console.AssertNoConsoleErrors(t)
}

// A meeting started from Zoom's start_url has no host page: the console
// says so, and when waiting joiners fall back to the next granter.
func TestStartURLMeetingShowsNoHostPage(t *testing.T) {
	h, m := truthEnv(t, harness.Options{Granters: "host-client,permissions", Env: map[string]string{"COHOST_HOST_PAGE_WAIT": "90s"}})
	sim := h.Sim.Sim
	if _, err := sim.StartMeeting(m.ID); err != nil {
		t.Fatal(err)
	}
	guest := must(sim.Join(m.ID, zoomsim.JoinSpec{Name: "Guest"}))
	waitLedger(t, h, m.ID, "the guest pending", ledgerState(h, m, guest.Key(), grant.StatePending, ""))
	// The fall-back time is the grant job's, which runs after the join is
	// in the ledger.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		d := adminMeeting(t, h, m)
		hp := d.Meeting.HostPage
		if hp != nil && hp.State == api.AdminHostPageNever && hp.FallbackTo == "permissions" && hp.FallbackAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("host page %+v", hp)
		}
	}
	console := openConsole(t, h, m)
	console.WaitFor(t, "the host page line", `document.getElementById('d-hostpage').textContent.includes('no host page was opened for this meeting; waiting joiners fall back to permissions from ')`)
	console.WaitFor(t, "the guest's fall-back time", `document.querySelector('#people tr[data-key="`+guest.Key()+`"] .p-summary').textContent.includes('no host page runs this meeting; falls back to permissions at ')`)
	if got := browser.Eval[string](t, console, `document.getElementById('d-meta').textContent`); !strings.Contains(got, "Live") {
		t.Errorf("the meeting Zoom runs reads %q", got)
	}
	console.AssertNoConsoleErrors(t)
}
