package web

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/internal/browser"
)

// TestConsoleLayout: at desktop and laptop sizes the totals sit above the meetings and the
// meeting beside them, the page itself does not scroll (the panes do), nothing overflows
// sideways and no text is smaller than 14 px; on a narrow screen the panes stack.
// COHOST_UPDATE_SCREENSHOTS=1 writes docs/console.png (1280×800); COHOST_SCREENSHOT_DIR keeps
// every size's screenshot there.
func TestConsoleLayout(t *testing.T) {
	e := newConsoleEnv(t, consoleOptions{})
	meetings, details, summary := consoleFixture(time.Now())
	e.admin.set(func(f *fakeAdmin) { f.meetings, f.details, f.summary = meetings, details, summary })
	e.open(t, "#/meetings/85746065432")
	e.signIn(t, e.token)
	e.waitPage(t, "the meeting's participants", `document.querySelectorAll('#people tr').length === 16`)
	e.waitPage(t, "the chart", `document.querySelector('#chart svg rect.bar')`)
	browser.Eval[any](t, e.b, `document.activeElement && document.activeElement.blur(), null`)

	dir := os.Getenv(screenshotDir)
	if dir == "" {
		dir = t.TempDir()
	}
	for _, sz := range []struct {
		w, h int64
		side bool
		shot string
	}{
		{1280, 800, true, "console.png"},
		{1366, 768, true, "console-1366x768.png"},
		{1440, 900, true, "console-1440x900.png"},
		{1920, 1080, true, "console-1920x1080.png"},
		{820, 1000, false, "console-narrow.png"},
	} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			e.b.Run(t, chromedp.EmulateViewport(sz.w, sz.h))
			e.waitPage(t, "the new width", fmt.Sprintf("window.innerWidth === %d", sz.w))
			// The chart follows its box's width.
			e.waitPage(t, "the chart at the new width", `Math.abs(document.querySelector('#chart svg').getAttribute('width') - document.getElementById('chart').clientWidth) < 2`)
			rect := func(sel string) box {
				return browser.Eval[box](t, e.b, `(() => { const r = document.querySelector('`+sel+`').getBoundingClientRect();
					return {Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom, Width: r.width, Height: r.height}; })()`)
			}
			totals, list, detail := rect(".totals"), rect(".meetings"), rect(".detail")
			if sz.side {
				if list.Top < totals.Bottom || detail.Left < list.Right || detail.Top != list.Top {
					t.Errorf("totals %+v, list %+v, detail %+v: want the totals above, the meeting beside the list", totals, list, detail)
				}
				if detail.Width < 2*list.Width-40 || detail.Bottom > float64(sz.h) || list.Bottom > float64(sz.h) {
					t.Errorf("the detail %+v is too narrow beside the list %+v, or does not fit the window", detail, list)
				}
				if scroll := browser.Eval[int](t, e.b, `document.documentElement.scrollHeight - window.innerHeight`); scroll > 0 {
					t.Errorf("the page scrolls by %d px at this size", scroll)
				}
				if totals.Height > 140 {
					t.Errorf("the totals take %v px", totals.Height)
				}
				// The participants table shows at least a few rows without scrolling.
				if first := rect("#people tr"); first.Bottom > float64(sz.h) {
					t.Errorf("the first participant is below the fold: %+v", first)
				}
			} else if detail.Top < list.Bottom {
				t.Errorf("narrow: the detail %+v does not follow the list %+v", detail, list)
			}
			if over := browser.Eval[int](t, e.b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
				t.Errorf("the page overflows sideways by %d px", over)
			}
			small := browser.Eval[[]string](t, e.b, `[...document.querySelectorAll('body *')]
				.filter(el => (el.offsetParent !== null || el instanceof SVGElement) && !el.closest('[hidden]') &&
					[...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
				.filter(el => parseFloat(getComputedStyle(el).fontSize) < 14 && !el.closest('.visually-hidden') && el.tagName !== 'title')
				.map(el => el.tagName + '.' + el.getAttribute('class') + ': ' + el.textContent.trim().slice(0, 30))`)
			if len(small) > 0 {
				t.Errorf("text under 14 px: %q", small)
			}
			path := filepath.Join(dir, sz.shot)
			if os.Getenv(updateScreenshots) == "1" && sz.shot == "console.png" {
				path = filepath.Join("..", "docs", "console.png")
			}
			if err := e.b.Screenshot(path); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot %s", path)
		})
	}
	e.assertClean(t, nil)
}
