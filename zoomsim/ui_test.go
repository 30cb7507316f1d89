package zoomsim

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/internal/browser"
)

// The people's page in headless Chromium: add a joiner to the waiting room,
// admit them, make them co-host by hand; each shows as the simulator's own
// API would, and Zoom's events follow. A form posted from another site is
// refused.
func TestPeoplePage(t *testing.T) {
	browser.SkipUnlessAvailable(t)
	sim := New(Config{Seed: 7})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	_, host, err := sim.AddDefaultAccount("acct-ui")
	if err != nil {
		t.Fatal(err)
	}
	m, err := sim.CreateMeeting(MeetingSpec{HostID: host.ID, Topic: "People page"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.StartMeeting(m.ID); err != nil {
		t.Fatal(err)
	}
	b := browser.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+UIPath))
	b.WaitFor(t, "the meeting", `document.body.textContent.includes('People page')`)
	b.Run(t, chromedp.SendKeys(`input[name="name"]`, "Wanda Waits"),
		chromedp.SetValue(`select[name="kind"]`, "waiting"),
		chromedp.Click(`form.join button`))
	b.WaitFor(t, "Wanda in the waiting room", `document.body.textContent.includes('Wanda Waits') && document.body.textContent.includes('in the waiting room')`)
	ps, _ := sim.Participants(m.ID)
	if len(ps) != 1 || !ps[0].OnHold || ps[0].Name != "Wanda Waits" {
		t.Fatalf("participants %+v", ps)
	}
	b.Run(t, chromedp.Click(`form[action$="/admit"] button`))
	b.WaitFor(t, "Wanda admitted", `!!document.querySelector('form[action$="/cohost"]')`)
	b.Run(t, chromedp.Click(`form[action$="/cohost"] button`))
	b.WaitFor(t, "Wanda co-host", `!document.querySelector('form[action$="/cohost"]') && [...document.querySelectorAll('td')].some(td => td.textContent === 'co-host')`)
	if p, ok := sim.Ledger().Promotion(m.ID, ps[0].Key()); !ok || p.Via != PromotedByHost {
		t.Fatalf("promotion %+v, %v; want by the host", p, ok)
	}
	if n := len(sim.Ledger().Deliveries("meeting.participant_role_changed")); n != 1 {
		t.Fatalf("%d role changes sent, want 1", n)
	}
	b.AssertNoConsoleErrors(t)

	// Another site's form is refused.
	req, _ := http.NewRequest("POST", srv.URL+"/_sim/ui/meetings/"+strconv.FormatInt(m.ID, 10)+"/join", strings.NewReader(url.Values{"name": {"Forged"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("a cross-site form: %d", res.StatusCode)
	}
	if ps, _ := sim.Participants(m.ID); len(ps) != 1 {
		t.Fatalf("the forged form added someone: %+v", ps)
	}
}
