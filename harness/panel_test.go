package harness_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/harness"
	"github.com/cohost-dev/cohost/internal/browser"
	"github.com/cohost-dev/cohost/zoomsim"
)

// The host page's panel in a crowd, against cohostd and the simulator: 60
// joiners, some held in the waiting room, some whom Zoom keeps refusing,
// and a long line. The DOM shows each in their section, the line in its
// order with each place, and the search narrows the list.
//
// COHOST_UPDATE_SCREENSHOTS=1 writes docs/host-page-crowd.png (1280×800).
func TestHostPagePanelInACrowd(t *testing.T) {
	h, m := truthEnv(t, harness.Options{Env: map[string]string{"COHOST_HOST_CLIENT_INTERVAL": "1s",
		"COHOST_GRANT_GIVE_UP_AFTER": "12s", "COHOST_HOST_PAGE_WAIT": "5s"}})
	sim := h.Sim.Sim
	b, _ := openHostPage(t, h, m)
	b.Run(t, chromedp.EmulateViewport(1280, 800))

	sim.SetWebSDK(zoomsim.WebSDKConfig{WaitingRoom: true, RoleChangeDelay: 20 * time.Millisecond})
	for i := range 5 {
		must(sim.Join(m.ID, zoomsim.JoinSpec{Name: "Waiting " + strconv.Itoa(i+1)}))
	}
	sim.SetWebSDK(zoomsim.WebSDKConfig{RoleChangeDelay: 20 * time.Millisecond})
	var refused []zoomsim.Participant
	for i := range 3 {
		p := must(sim.Join(m.ID, zoomsim.JoinSpec{Name: "Refused " + strconv.Itoa(i+1)}))
		if err := sim.RejectMakeCoHost(m.ID, p.Key(), 1000, zoomsim.SDKError{Type: "INTERNAL_ERROR", Reason: "internal error", ErrorCode: 2}); err != nil {
			t.Fatal(err)
		}
		refused = append(refused, p)
	}
	for i := range 52 {
		must(sim.Join(m.ID, zoomsim.JoinSpec{Name: "Joiner " + strconv.Itoa(i+1)}))
	}
	// Past the give-up time the refused fail; a long line remains at one call a second.
	waitLedger(t, h, m.ID, "the refused to fail", func(ps []grant.Participant) bool {
		failed := 0
		for _, p := range ps {
			for _, r := range refused {
				if p.Key == r.Key() && p.State == grant.StateFailed {
					failed++
				}
			}
		}
		return failed == len(refused)
	})

	type row struct{ Group, Name, State, Text, Place string }
	rowsJS := `[...document.querySelectorAll('#rows li')].map(li => ({Group: (li.closest('section') || {dataset: {group: 'host'}}).dataset.group,
		Name: li.querySelector('.row-name').textContent, State: li.dataset.state, Text: li.querySelector('.row-text').textContent,
		Place: li.dataset.place || ''}))`
	b.WaitFor(t, "the waiting room and the failures in 'Needs you'", `document.querySelectorAll('#group-attention li').length === 8`)
	rows := browser.Eval[[]row](t, b, rowsJS)
	byGroup := map[string][]row{}
	for _, r := range rows {
		byGroup[r.Group] = append(byGroup[r.Group], r)
	}
	for _, r := range byGroup["attention"] {
		switch {
		case strings.HasPrefix(r.Name, "Waiting") && !strings.Contains(r.Text, "in the waiting room"):
			t.Errorf("%s: %q", r.Name, r.Text)
		case strings.HasPrefix(r.Name, "Refused") && (r.State != "failed" || !strings.Contains(r.Text, "INTERNAL_ERROR 2")):
			t.Errorf("%s: %s %q", r.Name, r.State, r.Text)
		case !strings.HasPrefix(r.Name, "Waiting") && !strings.HasPrefix(r.Name, "Refused"):
			t.Errorf("%s needs the host? %s %q", r.Name, r.State, r.Text)
		}
	}
	if got := browser.Eval[string](t, b, `document.getElementById('waiting').textContent`); !strings.HasPrefix(got, "5 in the waiting room") {
		t.Errorf("the waiting room line says %q", got)
	}
	if got := browser.Eval[string](t, b, `document.getElementById('total').textContent`); got != "60 people" {
		t.Errorf("total %q (the host is not one of them)", got)
	}
	// The line: in order, each with their place.
	line := byGroup["line"]
	if len(line) < 10 {
		t.Fatalf("only %d in line: %+v", len(line), rows)
	}
	place := 0
	for _, r := range line {
		if r.State == "promoting" {
			continue
		}
		place++
		want := ordinal(place) + " in line"
		if place == 1 {
			want = "next in line"
		}
		if !strings.Contains(r.Text, want) || r.Place != strconv.Itoa(place) {
			t.Errorf("line row %d: %s place %s %q, want %q", place, r.Name, r.Place, r.Text, want)
		}
	}
	for _, r := range byGroup["cohost"] {
		if r.State != "cohost" {
			t.Errorf("%s among the co-hosts as %s", r.Name, r.State)
		}
	}
	if os.Getenv("COHOST_UPDATE_SCREENSHOTS") == "1" {
		if err := b.Screenshot(filepath.Join("..", "docs", "host-page-crowd.png")); err != nil {
			t.Fatal(err)
		}
	}

	// The search narrows the list to the names that hold it, and says when none does.
	b.Run(t, chromedp.SendKeys("#find", "Joiner 4"))
	b.WaitFor(t, "the search to narrow the list", `[...document.querySelectorAll('#rows li')].filter(li => !li.hidden).every(li => li.querySelector('.row-name').textContent.includes('Joiner 4'))`)
	shown := browser.Eval[[]string](t, b, `[...document.querySelectorAll('#rows li')].filter(li => !li.hidden).map(li => li.querySelector('.row-name').textContent)`)
	if len(shown) != 11 { // Joiner 4 and Joiner 40 to 49
		t.Errorf("the search shows %v", shown)
	}
	browser.Eval[any](t, b, `(() => { const f = document.getElementById('find'); f.value = ''; f.dispatchEvent(new Event('input')); return null; })()`)
	b.Run(t, chromedp.SendKeys("#find", "nobody-at-all"))
	b.WaitFor(t, "the no-match line", `!document.getElementById('no-match').hidden && document.getElementById('no-match').textContent.includes('nobody-at-all')`)
	// Keyboard: the search box and every row are reachable; a focused row shows its whole sentence.
	if n := browser.Eval[int](t, b, `[...document.querySelectorAll('#rows li')].filter(li => li.tabIndex === 0).length`); n != len(rows) {
		t.Errorf("%d of %d rows reachable by keyboard", n, len(rows))
	}
	b.AssertNoConsoleErrors(t)
}

func ordinal(n int) string {
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return strconv.Itoa(n) + "th"
	case n%10 == 1:
		return strconv.Itoa(n) + "st"
	case n%10 == 2:
		return strconv.Itoa(n) + "nd"
	case n%10 == 3:
		return strconv.Itoa(n) + "rd"
	}
	return strconv.Itoa(n) + "th"
}
