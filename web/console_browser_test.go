package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/internal/browser"
)

// TestConsoleSignInAndMeeting: without a token the console asks for one; a refused token is
// refused with the API's own words; a good one opens the console, which lists the meetings
// most recent first with the live ones marked, opens one, and shows every participant as the
// API has them, the preparation of each granter and a bar per time to co-host. The token stays
// in sessionStorage and the Authorization header, never in an address.
func TestConsoleSignInAndMeeting(t *testing.T) {
	e := newConsoleEnv(t, consoleOptions{})
	meetings, details, summary := consoleFixture(time.Now())
	e.admin.set(func(f *fakeAdmin) { f.meetings, f.details, f.summary = meetings, details, summary })
	e.open(t, "")
	e.waitView(t, "signin")
	if id := browser.Eval[string](t, e.b, `document.activeElement.id`); id != "token" {
		t.Errorf("focus on %q, want the token field", id)
	}

	e.signIn(t, "   ")
	e.waitText(t, "#signin-problem", "Paste the token")
	e.signIn(t, newAdminToken(t))
	e.waitText(t, "#signin-refused", "the token's signature does not verify with COHOST_ADMIN_SECRET")
	if got := e.text(t, "#signin-refused"); !strings.Contains(got, "cohostd admin-token") {
		t.Errorf("the refusal %q does not say how to get a new token", got)
	}
	if stored := browser.Eval[string](t, e.b, `sessionStorage.getItem('cohost.console.admin-token') || ''`); stored != "" {
		t.Error("a refused token is kept")
	}

	e.signIn(t, "Bearer "+e.token)
	e.waitView(t, "console")
	e.waitText(t, "#meeting-list", "Quarterly all-hands")
	if stored := browser.Eval[string](t, e.b, `sessionStorage.getItem('cohost.console.admin-token')`); stored != e.token {
		t.Error("the token is not kept in sessionStorage (the Bearer prefix pasted with it must go)")
	}
	type item struct{ ID, Status, Label, Text string }
	items := browser.Eval[[]item](t, e.b, `[...document.querySelectorAll('#meeting-list a.m-link')].map(a => ({
		ID: a.dataset.id, Status: a.dataset.status, Label: a.querySelector('.m-status').textContent, Text: a.textContent}))`)
	if len(items) != len(meetings) {
		t.Fatalf("%d meetings listed, want %d", len(items), len(meetings))
	}
	for i, m := range meetings {
		if items[i].ID != m.MeetingID || items[i].Status != m.Status {
			t.Errorf("item %d = %+v, want meeting %s (%s), in the API's order", i, items[i], m.MeetingID, m.Status)
		}
		if (m.Status == "started") != (items[i].Label == "Live") {
			t.Errorf("meeting %s (%s) labelled %q", m.MeetingID, m.Status, items[i].Label)
		}
		if m.Grants.Confirmed > 0 && !strings.Contains(items[i].Text, fmt.Sprintf("%d co-host", m.Grants.Confirmed)) {
			t.Errorf("meeting %s: %q does not count its co-hosts", m.MeetingID, items[i].Text)
		}
	}
	e.waitText(t, "#tot-total", "31")
	e.waitText(t, "#tot-p50", "1.6 s")
	e.waitText(t, "#tot-live", "2")
	e.waitText(t, "#tot-reasons", "They are the meeting's host")

	e.b.Run(t, chromedp.Click(`a.m-link[data-id="85746065432"]`))
	e.waitText(t, "#d-topic", "Quarterly all-hands")
	live := details["85746065432"]
	e.waitPage(t, "every participant", fmt.Sprintf(`document.querySelectorAll('#people tr').length === %d`, len(live.Participants)))
	checkRows(t, e.rows(t), live.Participants)
	if cur := browser.Eval[string](t, e.b, `document.querySelector('a.m-link[aria-current="page"]').dataset.id`); cur != "85746065432" {
		t.Errorf("the chosen meeting in the list is %s", cur)
	}
	for _, want := range []string{"permissions", "Prepare failed", "locked by the account admin: in_meeting.annotation", "host-client", "Prepared"} {
		if !strings.Contains(e.text(t, "#prep"), want) {
			t.Errorf("the preparation does not say %q: %s", want, e.text(t, "#prep"))
		}
	}
	withTime := withTimes(live.Participants)
	if n := browser.Eval[int](t, e.b, `document.querySelectorAll('#chart svg rect.bar').length`); n != withTime {
		t.Errorf("%d bars in the chart, want one per participant with a time (%d)", n, withTime)
	}
	var times []int64
	for _, p := range live.Participants {
		switch {
		case p.TimeToConfirmMS != nil:
			times = append(times, *p.TimeToConfirmMS)
		case p.TimeToGrantMS != nil:
			times = append(times, *p.TimeToGrantMS)
		}
	}
	slices.Sort(times)
	median := float64(times[(len(times)+1)/2-1]) / 1000
	if label := browser.Eval[string](t, e.b, `document.querySelector('#chart svg').getAttribute('aria-label')`); !strings.Contains(label, fmt.Sprintf("median %.1f s", median)) {
		t.Errorf("chart label %q, want the median %.1f s", label, median)
	}
	for _, s := range []string{"confirmed", "granted", "pending", "skipped", "failed"} {
		want := map[string]int{"confirmed": live.Meeting.Grants.Confirmed, "granted": live.Meeting.Grants.Granted, "pending": live.Meeting.Grants.Pending,
			"skipped": live.Meeting.Grants.Skipped, "failed": live.Meeting.Grants.Failed}[s]
		if got := e.text(t, `#d-counts [data-state="`+s+`"] .chip-n`); got != fmt.Sprint(want) {
			t.Errorf("%s chip %q, want %d", s, got, want)
		}
	}

	// An unknown meeting in the address says so in the API's words.
	e.b.Run(t, chromedp.Navigate(e.srv.URL+"/console#/meetings/11111111111"))
	e.waitText(t, "#d-none-title", "No meeting 111 1111 1111 in the ledger")
	e.waitText(t, "#d-none-text", "the ledger has no meeting 11111111111")

	// Forget token: back to the form, nothing kept.
	e.b.Run(t, chromedp.Click("#forget"))
	e.waitView(t, "signin")
	if stored := browser.Eval[bool](t, e.b, `sessionStorage.getItem('cohost.console.admin-token') === null`); !stored {
		t.Error("Forget token leaves the token in sessionStorage")
	}
	for _, name := range []string{"Jonas Berg", "grace@example.com", "Quarterly all-hands"} {
		if browser.Eval[bool](t, e.b, `document.body.textContent.includes(`+jsQuote(name)+`)`) {
			t.Errorf("%q is still in the page after Forget token", name)
		}
	}
	for _, r := range e.admin.Requests() {
		if strings.Contains(r.URI, e.token) {
			t.Errorf("the token is in a request's address: %s", r.URI)
		}
	}
	e.assertClean(t, adminAPIFailure)
}

// TestConsolePollsAndUpdates: the console reads again every few seconds with If-None-Match,
// answered 304 while nothing changed, and shows a new joiner and their confirmation without a
// reload; a hidden tab stops polling.
func TestConsolePollsAndUpdates(t *testing.T) {
	e := newConsoleEnv(t, consoleOptions{})
	meetings, details, summary := consoleFixture(time.Now())
	e.admin.set(func(f *fakeAdmin) { f.meetings, f.details, f.summary = meetings, details, summary })
	e.open(t, "#/meetings/85746065432")
	e.signIn(t, e.token)
	live := details["85746065432"]
	e.waitPage(t, "every participant", fmt.Sprintf(`document.querySelectorAll('#people tr').length === %d`, len(live.Participants)))
	browser.Eval[any](t, e.b, `window.notReloaded = true, null`)

	e.waitFor(t, "a 304 for each of the three reads", func() bool {
		seen := map[string]bool{}
		for _, r := range e.admin.Requests() {
			if r.Status == http.StatusNotModified && r.IfNoneMatch != "" {
				seen[strings.SplitN(r.URI, "?", 2)[0]] = true
			}
		}
		return seen["/v1/meetings"] && seen["/v1/summary"] && seen["/v1/meetings/85746065432"]
	})

	// A new joiner, pending; then Zoom confirms them.
	seen := time.Now().UTC()
	newcomer := api.AdminParticipant{MeetingUUID: live.Participants[0].MeetingUUID, Key: "pu-new-zoe", UserID: "16778300", Name: "Zoe Newcomer",
		JoinedAt: &seen, JoinSeenAt: &seen, Present: true, State: "pending", Granter: "host-client", Summary: "pending: not granted yet", Attempts: 0}
	update := func(p api.AdminParticipant, delta func(*api.AdminGrantCounts)) {
		e.admin.set(func(f *fakeAdmin) {
			d := f.details["85746065432"]
			ps := append([]api.AdminParticipant(nil), d.Participants...)
			if ps[len(ps)-1].Key == p.Key {
				ps[len(ps)-1] = p
			} else {
				ps = append(ps, p)
			}
			d.Participants = ps
			delta(&d.Meeting.Grants)
			f.details["85746065432"] = d
			f.meetings = append([]api.AdminMeeting{d.Meeting}, f.meetings[1:]...)
		})
	}
	update(newcomer, func(g *api.AdminGrantCounts) { g.Total++; g.Pending++ })
	e.waitPage(t, "the newcomer's row", `(() => { const tr = document.querySelector('#people tr[data-key="pu-new-zoe"]'); return tr && tr.dataset.state === 'pending'; })()`)
	confirmed := newcomer
	ct, ttc := seen.Add(1300*time.Millisecond), int64(1300)
	confirmed.State, confirmed.ConfirmedAt, confirmed.TimeToConfirmMS, confirmed.Attempts = "confirmed", &ct, &ttc, 1
	confirmed.Summary = "co-host: Zoom confirmed the role change via host-client, 1300 ms after cohost saw the join"
	update(confirmed, func(g *api.AdminGrantCounts) { g.Pending--; g.Confirmed++ })
	e.waitPage(t, "the newcomer confirmed", `(() => { const tr = document.querySelector('#people tr[data-key="pu-new-zoe"]'); return tr && tr.dataset.state === 'confirmed'; })()`)
	e.waitText(t, `#d-counts [data-state="confirmed"] .chip-n`, fmt.Sprint(live.Meeting.Grants.Confirmed+1))
	if got := browser.Eval[string](t, e.b, `document.getElementById('d-announce').textContent`); !strings.Contains(got, fmt.Sprintf("%d co-host", live.Meeting.Grants.Confirmed+1)) {
		t.Errorf("the change is announced as %q", got)
	}
	e.waitText(t, `#meeting-list a[data-id="85746065432"]`, fmt.Sprintf("%d co-host", live.Meeting.Grants.Confirmed+1))
	var now []api.AdminParticipant
	e.admin.set(func(f *fakeAdmin) { now = f.details["85746065432"].Participants })
	checkRows(t, e.rows(t), now)
	if !browser.Eval[bool](t, e.b, `window.notReloaded === true`) {
		t.Error("the page reloaded")
	}
	if n := browser.Eval[int](t, e.b, `document.querySelectorAll('#chart svg rect.bar').length`); n != withTimes(now) {
		t.Errorf("%d bars after the newcomer's confirmation, want %d", n, withTimes(now))
	}

	// A hidden tab stops polling; shown again, it reads at once.
	browser.Eval[any](t, e.b, `Object.defineProperty(document, 'hidden', {configurable: true, get: () => true}), document.dispatchEvent(new Event('visibilitychange')), null`)
	e.waitText(t, "#status-text", "Paused")
	n := len(e.admin.Requests())
	time.Sleep(4 * testPoll)
	if got := len(e.admin.Requests()); got > n+3 {
		t.Errorf("%d requests while hidden", got-n)
	}
	browser.Eval[any](t, e.b, `Object.defineProperty(document, 'hidden', {configurable: true, get: () => false}), document.dispatchEvent(new Event('visibilitychange')), null`)
	e.waitText(t, "#status-text", "Live")
	e.assertClean(t, nil)
}

// TestConsoleErrorStates: each answer that stops or troubles the console says what happened and
// what to do, in the API's words where it has them.
func TestConsoleErrorStates(t *testing.T) {
	t.Run("admin API off", func(t *testing.T) {
		e := newConsoleEnv(t, consoleOptions{adminOff: "set COHOST_ADMIN_SECRET to enable the admin API"})
		e.open(t, "")
		e.waitView(t, "off")
		e.waitText(t, "#off-detail", "set COHOST_ADMIN_SECRET to enable the admin API")
		for _, want := range []string{"openssl rand -base64 48", "COHOST_ADMIN_SECRET_FILE", "cohostd admin-token"} {
			if !strings.Contains(e.text(t, "#off"), want) {
				t.Errorf("the off screen does not say %q", want)
			}
		}
		if len(e.admin.Requests()) != 0 {
			t.Error("the console called the API it knows is off")
		}
		e.assertClean(t, nil)
	})
	t.Run("admin API off on the replica that answered", func(t *testing.T) {
		e := newConsoleEnv(t, consoleOptions{})
		e.admin.set(func(f *fakeAdmin) {
			rep := apiErr(http.StatusNotFound, api.AdminErrDisabled, "set COHOST_ADMIN_SECRET to enable the admin API")
			f.fail = &rep
		})
		e.open(t, "")
		e.signIn(t, e.token)
		e.waitView(t, "off")
		e.waitText(t, "#off-detail", "set COHOST_ADMIN_SECRET")
		e.assertClean(t, adminAPIFailure)
	})
	t.Run("no meetings yet", func(t *testing.T) {
		e := newConsoleEnv(t, consoleOptions{})
		e.open(t, "")
		e.signIn(t, e.token)
		e.waitText(t, "#meetings-empty", "No meetings yet")
		e.waitText(t, "#d-none-title", "No meeting to show yet")
		e.waitText(t, "#tot-reasons-none", "Nobody was skipped or failed")
		e.waitText(t, "#tot-total", "0")
		e.assertClean(t, nil)
	})
	t.Run("database unavailable, then back", func(t *testing.T) {
		e := newConsoleEnv(t, consoleOptions{})
		meetings, details, summary := consoleFixture(time.Now())
		e.admin.set(func(f *fakeAdmin) { f.meetings, f.details, f.summary = meetings, details, summary })
		e.open(t, "#/meetings/85746065432")
		e.signIn(t, e.token)
		e.waitText(t, "#d-topic", "Quarterly all-hands")
		e.admin.set(func(f *fakeAdmin) {
			rep := apiErr(http.StatusServiceUnavailable, api.AdminErrUnavailable, "the database cannot be reached; retry shortly")
			f.fail = &rep
		})
		e.waitText(t, "#banner", "cohost's database cannot be reached")
		e.waitText(t, "#banner", "What is shown is as last read")
		e.waitText(t, "#status-text", "Database unavailable")
		if e.text(t, "#d-topic") != "Quarterly all-hands" {
			t.Error("the meeting shown went away while the database was out")
		}
		e.admin.set(func(f *fakeAdmin) { f.fail = nil })
		e.waitPage(t, "the banner to go", `document.getElementById('banner').hidden`)
		e.waitText(t, "#status-text", "Live")
		e.assertClean(t, adminAPIFailure)
	})
	t.Run("cohostd unreachable", func(t *testing.T) {
		e := newConsoleEnv(t, consoleOptions{})
		e.open(t, "")
		e.signIn(t, e.token)
		e.waitText(t, "#meetings-empty", "No meetings yet")
		e.admin.set(func(f *fakeAdmin) { f.fail = &reply{drop: true} })
		e.waitText(t, "#banner", "cohostd cannot be reached")
		e.assertClean(t, adminAPIFailure)
	})
	t.Run("token refused mid-session", func(t *testing.T) {
		e := newConsoleEnv(t, consoleOptions{})
		e.open(t, "")
		e.signIn(t, e.token)
		e.waitText(t, "#meetings-empty", "No meetings yet")
		e.admin.set(func(f *fakeAdmin) {
			rep := apiErr(http.StatusUnauthorized, api.AdminErrUnauthorized, "the token has expired; mint a new one")
			f.fail = &rep
		})
		e.waitView(t, "signin")
		e.waitText(t, "#signin-refused", "the token has expired; mint a new one")
		if !browser.Eval[bool](t, e.b, `sessionStorage.getItem('cohost.console.admin-token') === null`) {
			t.Error("the refused token is kept")
		}
		e.assertClean(t, adminAPIFailure)
	})
}

// TestConsoleHostLink: the button mints a link, copies it to the clipboard and shows it,
// selectable, with its expiry, as the host credential it is; with the host-client granter off
// it says why instead.
func TestConsoleHostLink(t *testing.T) {
	e := newConsoleEnv(t, consoleOptions{})
	meetings, details, summary := consoleFixture(time.Now())
	e.admin.set(func(f *fakeAdmin) { f.meetings, f.details, f.summary = meetings, details, summary })
	e.b.GrantClipboard(t, e.srv.URL)
	e.open(t, "#/meetings/85746065432")
	e.signIn(t, e.token)
	e.waitText(t, "#d-topic", "Quarterly all-hands")

	e.b.Run(t, chromedp.Click("#host-link"))
	e.waitText(t, "#credential-status", "Copied to the clipboard")
	url := browser.Eval[string](t, e.b, `document.getElementById('credential-url').value`)
	if want := e.srv.URL + "/host/85746065432#" + testLinkSecret; url != want {
		t.Errorf("the link shown is %q, want %q", url, want)
	}
	if copied := browser.Eval[string](t, e.b, `navigator.clipboard.readText()`); copied != url {
		t.Errorf("the clipboard holds %q, want the link", copied)
	}
	if !browser.Eval[bool](t, e.b, `document.getElementById('credential-url').readOnly`) {
		t.Error("the link field is editable")
	}
	for _, want := range []string{"host credential", "Whoever opens this link starts the meeting as its host", "until", "in 5 h"} {
		if !strings.Contains(e.text(t, "#credential"), want) {
			t.Errorf("the credential does not say %q: %s", want, e.text(t, "#credential"))
		}
	}
	var posts int
	for _, r := range e.admin.Requests() {
		if r.Method == "POST" && r.URI == "/v1/meetings/85746065432/host-link" && r.Status == http.StatusCreated {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("%d host-link requests, want 1", posts)
	}
	e.b.Run(t, chromedp.Click("#credential-hide"))
	e.waitPage(t, "the link to be hidden", `document.getElementById('credential').hidden && document.getElementById('credential-url').value === ''`)

	// The host-client granter off: the button says why, and keeps saying it.
	e.admin.set(func(f *fakeAdmin) {
		f.hostLink = func(string) reply {
			return apiErr(http.StatusNotFound, api.AdminErrHostClientOff,
				"the host-client granter is off: add host-client to COHOST_GRANTERS (it needs COHOST_PUBLIC_URL, ZOOM_SDK_KEY and ZOOM_SDK_SECRET)")
		}
	})
	e.b.Run(t, chromedp.Click("#host-link"))
	e.waitText(t, "#host-link-note", "add host-client to COHOST_GRANTERS")
	if !browser.Eval[bool](t, e.b, `document.getElementById('host-link').getAttribute('aria-disabled') === 'true'`) {
		t.Error("the host link button does not show it is off")
	}
	if !browser.Eval[bool](t, e.b, `document.getElementById('credential').hidden`) {
		t.Error("a credential is shown although none was made")
	}
	e.assertClean(t, adminAPIFailure)
}

// TestConsoleKeyboard: everything is reachable from the keyboard with a visible focus: the
// list is one tab stop the arrow keys move within, Enter opens a meeting, and the buttons are
// buttons.
func TestConsoleKeyboard(t *testing.T) {
	e := newConsoleEnv(t, consoleOptions{})
	meetings, details, summary := consoleFixture(time.Now())
	e.admin.set(func(f *fakeAdmin) { f.meetings, f.details, f.summary = meetings, details, summary })
	e.open(t, "")
	e.waitView(t, "signin")
	e.b.Run(t, chromedp.SendKeys("#token", e.token+kb.Enter))
	e.waitText(t, "#meeting-list", "Board prep")

	active := func() string {
		return browser.Eval[string](t, e.b, `(() => { const a = document.activeElement;
			return a.id || (a.dataset && a.dataset.id ? 'meeting-' + a.dataset.id : a.tagName); })()`)
	}
	focusVisible := func() bool {
		return browser.Eval[bool](t, e.b, `(() => { const s = getComputedStyle(document.activeElement);
			return document.activeElement.matches(':focus-visible') && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; })()`)
	}
	tab := func(want string) {
		t.Helper()
		e.b.Run(t, chromedp.KeyEvent(kb.Tab))
		if got := active(); got != want {
			t.Fatalf("Tab focuses %q, want %q", got, want)
		}
		if !focusVisible() {
			t.Errorf("%s has no visible focus", want)
		}
	}
	key := func(k, want string) {
		t.Helper()
		e.b.Run(t, chromedp.KeyEvent(k))
		if got := active(); got != want {
			t.Fatalf("%q focuses %q, want %q", k, got, want)
		}
		if !focusVisible() {
			t.Errorf("%s has no visible focus", want)
		}
	}
	// Signing in takes the focus to the list.
	e.waitPage(t, "the focus in the list", `document.activeElement.dataset.id === '85746065432'`)
	e.b.Run(t, chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	if got := active(); got != "forget" {
		t.Fatalf("Shift+Tab from the list focuses %q, want forget", got)
	}
	tab("meeting-85746065432")
	key(kb.ArrowDown, "meeting-81234567890")
	key(kb.End, "meeting-87766554433")
	key(kb.Home, "meeting-85746065432")
	key(kb.ArrowDown, "meeting-81234567890")
	key(kb.ArrowUp, "meeting-85746065432")
	e.b.Run(t, chromedp.KeyEvent(kb.Enter))
	e.waitText(t, "#d-topic", "Quarterly all-hands")
	if h := browser.Eval[string](t, e.b, `location.hash`); h != "#/meetings/85746065432" {
		t.Errorf("hash %q after Enter", h)
	}
	// The list is one tab stop: Tab leaves it for the meeting's button.
	tab("host-link")
	if tag := browser.Eval[string](t, e.b, `document.activeElement.tagName + ' ' + document.activeElement.type`); tag != "BUTTON button" {
		t.Errorf("the host link control is %s, want a button", tag)
	}
	// Shift+Tab returns to the chosen meeting in the list.
	e.b.Run(t, chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	if got := active(); got != "meeting-85746065432" {
		t.Errorf("Shift+Tab focuses %q, want the chosen meeting", got)
	}
	e.assertClean(t, nil)
}
