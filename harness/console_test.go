package harness_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/harness"
	"github.com/cohost-dev/cohost/internal/browser"
	"github.com/cohost-dev/cohost/zoomsim"
)

// The operator console end to end: cohostd and the Zoom simulator in-process, the console in
// headless Chromium reading cohostd's real admin API. What the console shows is compared with
// what the API answers for the same token.

const consoleAdminSecret = "console-e2e-admin-secret-0123456789abcdef-0123"

// consoleAPI reads the admin API as the console does, for the test to compare with.
func consoleAPI[T any](t *testing.T, h *harness.Harness, token, path string) (T, int) {
	t.Helper()
	var out T
	req, err := http.NewRequest("GET", h.PublicURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("GET %s: %d %s: %v", path, res.StatusCode, body, err)
	}
	return out, res.StatusCode
}

type consoleRow struct {
	Key, State, Reason, Granter, Summary, Code, MS, Text string
}

const consoleRowsJS = `[...document.querySelectorAll('#people tr')].map(tr => ({
	Key: tr.dataset.key, State: tr.dataset.state, Reason: tr.dataset.reason,
	Granter: tr.querySelector('.p-granter').textContent, Summary: tr.querySelector('.p-summary').textContent,
	Code: tr.querySelector('.p-code').hidden ? '' : tr.querySelector('.p-code').textContent,
	MS: tr.querySelector('.p-time').dataset.ms || '', Text: tr.textContent }))`

// sameAsAPI reports how the console's rows differ from the API's participants ("" when they
// do not).
func sameAsAPI(rows []consoleRow, ps []api.AdminParticipant) string {
	if len(rows) != len(ps) {
		return fmt.Sprintf("%d rows shown, the API has %d participants", len(rows), len(ps))
	}
	var diffs []string
	for i, p := range ps {
		r := rows[i]
		granter, ms := p.Granter, ""
		if granter == "" {
			granter = "—"
		}
		if p.TimeToConfirmMS != nil {
			ms = strconv.FormatInt(*p.TimeToConfirmMS, 10)
		} else if p.TimeToGrantMS != nil {
			ms = strconv.FormatInt(*p.TimeToGrantMS, 10)
		}
		if r.Key != p.Key || r.State != p.State || r.Reason != p.Reason || r.Code != p.Reason || r.Granter != granter ||
			r.Summary != p.Summary || r.MS != ms || !strings.Contains(r.Text, p.ReasonText) || !strings.Contains(r.Text, p.Detail) {
			diffs = append(diffs, fmt.Sprintf("row %d shows %+v; the API has %s %s reason %q (%q) detail %q granter %q summary %q time %s",
				i, r, p.Key, p.State, p.Reason, p.ReasonText, p.Detail, p.Granter, p.Summary, ms))
		}
	}
	return strings.Join(diffs, "\n")
}

// TestConsoleEndToEnd: the console lists a meeting the simulator ran and opens it; each
// participant's state and reason are the API's; a new joiner appears and turns co-host without
// a reload; a token signed with another secret is refused in the API's words; the host link
// button mints a link whose URL (copied and shown) authenticates for that meeting.
func TestConsoleEndToEnd(t *testing.T) {
	browser.SkipUnlessAvailable(t)
	logs := &syncLog{}
	// The agent grants; host-client is there for the host links.
	h := start(t, "sqlite", harness.Options{Granters: "agent,host-client", Logs: logs,
		Env: map[string]string{"COHOST_ADMIN_SECRET": consoleAdminSecret}})
	sim := h.Sim.Sim
	ctx := context.Background()
	m, err := sim.CreateMeeting(zoomsim.MeetingSpec{HostID: h.Host.ID, Topic: "Console all-hands"})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(m.ID, 10)
	if _, err := sim.StartMeeting(m.ID); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []zoomsim.JoinSpec{{ZoomUserID: h.Host.ID}, {PhoneNumber: "+15550100"}, {Name: "Ana Lima"}, {Name: "Ben Okafor"}} {
		if _, err := sim.Join(m.ID, spec); err != nil {
			t.Fatal(err)
		}
	}
	waitLedger(t, h, m.ID, "4 settled grants", func(ps []grant.Participant) bool { return settled(ps, 4) && countState(ps, grant.StateConfirmed) == 2 })

	token, err := handlers.MintAdminToken([]byte(consoleAdminSecret), time.Hour, "console-e2e")
	if err != nil {
		t.Fatal(err)
	}
	b := browser.New(t)
	waitPage := func(what, expr string) {
		t.Helper()
		b.WaitFor(t, what, expr)
	}
	signIn := func(tok string) {
		t.Helper()
		waitPage("the sign-in form", `document.body.dataset.view === 'signin'`)
		b.Run(t, chromedp.SetValue("#token", tok), chromedp.Click(`#signin button[type="submit"]`))
	}

	b.Run(t, chromedp.Navigate(h.PublicURL+"/console"))
	// A token signed with another secret: refused, in the API's words.
	other, err := handlers.MintAdminToken([]byte("another-secret-entirely-0123456789abcdef-xyz"), time.Hour, "intruder")
	if err != nil {
		t.Fatal(err)
	}
	refusal, status := consoleAPI[api.ErrorResponse](t, h, other, "/v1/meetings")
	if status != http.StatusUnauthorized || refusal.Detail == "" {
		t.Fatalf("the API accepted a token of another secret: %d %+v", status, refusal)
	}
	signIn(other)
	waitPage("the refusal", `document.getElementById('signin-refused').textContent.includes(`+jsString(refusal.Detail)+`)`)
	if got := browser.Eval[string](t, b, `document.getElementById('signin-refused').textContent`); !strings.Contains(got, "cohostd admin-token") {
		t.Errorf("the refusal %q does not say where a new token comes from", got)
	}

	signIn(token)
	waitPage("the meeting in the list", `document.querySelector('a.m-link[data-id="`+id+`"]')`)
	list, _ := consoleAPI[api.AdminMeetingList](t, h, token, "/v1/meetings")
	if got := browser.Eval[[]string](t, b, `[...document.querySelectorAll('a.m-link')].map(a => a.dataset.id + ' ' + a.dataset.status)`); len(got) != len(list.Meetings) ||
		got[0] != list.Meetings[0].MeetingID+" "+list.Meetings[0].Status {
		t.Errorf("the list shows %v; the API has %+v", got, list.Meetings)
	}
	if live := browser.Eval[string](t, b, `document.querySelector('a.m-link[data-id="`+id+`"] .m-status').textContent`); live != "Live" {
		t.Errorf("the started meeting is marked %q", live)
	}
	summary, _ := consoleAPI[api.AdminSummary](t, h, token, "/v1/summary?window=1h")
	waitPage("the last hour's totals", `document.getElementById('tot-total').textContent === '`+strconv.Itoa(summary.Grants.Total)+`'`)

	b.Run(t, chromedp.Click(`a.m-link[data-id="`+id+`"]`))
	waitPage("the meeting", `document.getElementById('d-topic').textContent === 'Console all-hands'`)
	compare := func(what string) []api.AdminParticipant {
		t.Helper()
		var detail api.AdminMeetingDetail
		var diff string
		deadline := time.Now().Add(30 * time.Second)
		for {
			// The console polls; what it shows catches up with the API within a poll or two.
			detail, _ = consoleAPI[api.AdminMeetingDetail](t, h, token, "/v1/meetings/"+id)
			if diff = sameAsAPI(browser.Eval[[]consoleRow](t, b, consoleRowsJS), detail.Participants); diff == "" || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if diff != "" {
			t.Fatalf("%s: the console differs from the API:\n%s", what, diff)
		}
		return detail.Participants
	}
	ps := compare("the first joiners")
	reasons := map[string]bool{}
	for _, p := range ps {
		reasons[p.Reason] = true
	}
	if !reasons[string(grant.ReasonHost)] || !reasons[string(grant.ReasonPhoneOnly)] {
		t.Errorf("the meeting lacks the host's and the caller's reasons: %v", reasons)
	}
	for _, want := range []string{"they are the meeting's host", "they joined by phone only"} {
		if !strings.Contains(browser.Eval[string](t, b, `document.getElementById('people').textContent`), want) {
			t.Errorf("the console does not say %q", want)
		}
	}
	if n := browser.Eval[int](t, b, `document.querySelectorAll('#chart rect.bar').length`); n != 2 {
		t.Errorf("%d bars in the chart, want one per co-host (2)", n)
	}

	// A new joiner while the operator watches: no reload.
	browser.Eval[any](t, b, `window.notReloaded = true, null`)
	late, err := sim.Join(m.ID, zoomsim.JoinSpec{Name: "Late Joiner"})
	if err != nil {
		t.Fatal(err)
	}
	waitLedger(t, h, m.ID, "the late joiner confirmed", func(ps []grant.Participant) bool {
		for _, p := range ps {
			if p.Key == late.Key() {
				return p.State == grant.StateConfirmed
			}
		}
		return false
	})
	waitPage("the late joiner confirmed in the console", `(() => { const tr = document.querySelector('#people tr[data-key="`+late.Key()+`"]'); return tr && tr.dataset.state === 'confirmed'; })()`)
	compare("after the late joiner")
	if !browser.Eval[bool](t, b, `window.notReloaded === true`) {
		t.Error("the console reloaded")
	}

	// The host link: minted, copied, shown; the URL authenticates for this meeting only.
	b.GrantClipboard(t, h.PublicURL)
	b.Run(t, chromedp.Click("#host-link"))
	waitPage("the link copied", `document.getElementById('credential-status').textContent.includes('Copied')`)
	link := browser.Eval[string](t, b, `document.getElementById('credential-url').value`)
	if copied := browser.Eval[string](t, b, `navigator.clipboard.readText()`); copied != link {
		t.Errorf("the clipboard holds %q, the page shows %q", copied, link)
	}
	base, secret, ok := strings.Cut(link, "#")
	if !ok || base != h.PublicURL+"/host/"+id {
		t.Fatalf("the link %q is not this meeting's host link", link)
	}
	l, err := h.Cohost.Hosts.Authenticate(ctx, secret, id)
	if err != nil || l.MeetingID != id {
		t.Fatalf("the console's link does not authenticate for meeting %s: %+v %v", id, l, err)
	}
	if _, err := h.Cohost.Hosts.Authenticate(ctx, secret, "81234567890"); err == nil {
		t.Error("the link authenticates for another meeting")
	}
	if !strings.Contains(browser.Eval[string](t, b, `document.getElementById('credential').textContent`), "host credential") {
		t.Error("the link is not shown as a host credential")
	}

	for _, m := range b.Errors() {
		// The refused token's 401s, which the console explained, are the only errors.
		if m.Kind == browser.KindLog && m.Source == "network" && strings.Contains(m.URL, "/v1/") && strings.Contains(m.Text, "401") {
			continue
		}
		t.Errorf("browser error: %s", m)
	}
	if href := browser.Eval[string](t, b, `location.href`); strings.Contains(href, token) {
		t.Error("the token is in the address")
	}
	for what, leak := range map[string]string{"the admin token": token, "the refused token": other, "the host link's secret": secret} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("cohostd's log holds %s", what)
		}
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
