package web

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/internal/browser"
	"github.com/cohost-dev/cohost/zoomsim"
)

// COHOST_UPDATE_SCREENSHOTS=1 makes TestHostPageLayout write docs/host-page-states.png (1280×800);
// COHOST_SCREENSHOT_DIR keeps every size's screenshot there; otherwise they go to the test's
// temporary directory.
const (
	updateScreenshots = "COHOST_UPDATE_SCREENSHOTS"
	screenshotDir     = "COHOST_SCREENSHOT_DIR"
)

type box struct{ Left, Top, Right, Bottom, Width, Height float64 }

// TestHostPageLayout: at desktop and laptop sizes the meeting area and the panel sit side by side
// and fit the window; on a narrow screen they stack; nothing overflows sideways and no text is
// smaller than 14 px.
func TestHostPageLayout(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	panel := realisticPanel(e.meeting.Topic)
	e.cohost.syncScript = func(int, api.HostSyncRequest) reply { return ok(waitWith(panel)) }
	e.open(t)
	e.waitJoined(t)
	e.join(t, zoomsim.JoinSpec{Name: "Ana Lima"})
	e.waitText(t, "#rows", "Guest 9")

	dir := os.Getenv(screenshotDir)
	if dir == "" {
		dir = t.TempDir()
	}
	for _, sz := range []struct {
		w, h int64
		side bool
		shot string
	}{
		{1280, 800, true, "host-page-states.png"},
		{1366, 768, true, "host-page-1366x768.png"},
		{1280, 720, true, "host-page-1280x720.png"},
		{1920, 1080, true, "host-page-1920x1080.png"},
		{820, 1000, false, "host-page-narrow.png"},
		{390, 844, false, "host-page-phone.png"},
	} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			e.b.Run(t, chromedp.EmulateViewport(sz.w, sz.h))
			e.waitPage(t, "the new width", fmt.Sprintf("window.innerWidth === %d", sz.w))
			rect := func(sel string) box {
				return browser.Eval[box](t, e.b, `(() => { const r = document.querySelector('`+sel+`').getBoundingClientRect();
					return {Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom, Width: r.width, Height: r.height}; })()`)
			}
			stage, side, bar := rect(".stage"), rect(".panel"), rect(".bar")
			if sz.side {
				if side.Left < stage.Right || side.Top != stage.Top {
					t.Errorf("panel %+v is not beside the meeting area %+v", side, stage)
				}
				if stage.Width < 2*side.Width-60 || stage.Height < 400 {
					t.Errorf("meeting area %+v too small beside the panel %+v", stage, side)
				}
				if side.Bottom > float64(sz.h) || stage.Bottom > float64(sz.h) {
					t.Errorf("the layout does not fit the window: stage %+v panel %+v", stage, side)
				}
				// Every row is in the panel's list, scrolled there if need be, not off the page.
				if scroll := browser.Eval[int](t, e.b, `document.documentElement.scrollHeight - window.innerHeight`); scroll > 0 {
					t.Errorf("the page scrolls by %d px at this size", scroll)
				}
			} else if side.Top < stage.Bottom {
				t.Errorf("narrow: panel %+v does not follow the meeting area %+v", side, stage)
			}
			if bar.Bottom > stage.Top {
				t.Errorf("header %+v overlaps the meeting area %+v", bar, stage)
			}
			if over := browser.Eval[int](t, e.b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
				t.Errorf("the page overflows sideways by %d px", over)
			}
			small := browser.Eval[[]string](t, e.b, `[...document.querySelectorAll('body *')]
				.filter(el => el.offsetParent !== null && [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
				.filter(el => parseFloat(getComputedStyle(el).fontSize) < 14 && !el.closest('.visually-hidden'))
				.map(el => el.tagName + '.' + el.className + ': ' + el.textContent.trim().slice(0, 30))`)
			if len(small) > 0 {
				t.Errorf("text under 14 px: %q", small)
			}
			path := filepath.Join(dir, sz.shot)
			if os.Getenv(updateScreenshots) == "1" && sz.shot == "host-page-states.png" {
				path = filepath.Join("..", "docs", "host-page-states.png")
			}
			if err := e.b.Screenshot(path); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot %s", path)
		})
	}
	e.assertClean(t, nil)
}
