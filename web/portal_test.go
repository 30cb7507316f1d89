package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cohost-dev/cohost/internal/browser"
)

// portalFixture is a signed-in host with a live meeting, meetings today, tomorrow and later, and
// a recurring one without a fixed time, as hostportal writes them.
func portalFixture() PortalData {
	m := func(id, display, topic, day, when string, live bool) PortalMeeting {
		return PortalMeeting{DisplayID: display, Topic: topic, Day: day, Time: when, Live: live, StartPath: "/host/meetings/" + id + "/start"}
	}
	return PortalData{
		User: &PortalUser{Name: "Hana Host", Email: "host@example.com"},
		Meetings: []PortalMeeting{
			m("85746065432", "857 4606 5432", "All hands: Q1 kickoff", "Today", "Started 9:58 AM CET", true),
			m("81234567890", "812 3456 7890", "Design review with the platform team", "Today", "2:00 PM – 3:00 PM CET", false),
			m("83456789012", "834 5678 9012", "Customer onboarding: Acme Corp", "Tomorrow", "10:30 AM – 11:15 AM CET", false),
			m("84567890123", "845 6789 0123", "Weekly sync", "Thu, Jan 15", "9:00 AM – 9:30 AM CET", false),
			m("86789012345", "867 8901 2345", "Hiring panel — senior engineer", "Fri, Jan 16", "4:00 PM – 5:00 PM CET", false),
			m("87890123456", "878 9012 3456", "Office hours", "Any time", "Recurring, no fixed time", false),
		},
	}
}

type portalEnv struct {
	t    *testing.T
	b    *browser.Browser
	srv  *httptest.Server
	data PortalData
}

// newPortalEnv serves the portal rendered from d with cohostd's headers, and its assets.
func newPortalEnv(t *testing.T, d PortalData) *portalEnv {
	t.Helper()
	e := &portalEnv{t: t, b: browser.New(t), data: d}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /host/{$}", func(w http.ResponseWriter, r *http.Request) {
		d := e.data
		d.AssetBase, d.SignInPath, d.SignOutPath = "/host/portal/assets", "/host/signin", "/host/signout"
		var b bytes.Buffer
		if err := RenderPortal(&b, d); err != nil {
			t.Errorf("render: %v", err)
		}
		h := w.Header()
		h.Set("Content-Security-Policy", PortalCSP())
		h.Set("Cross-Origin-Opener-Policy", CrossOriginOpenerPolicy)
		h.Set("Cross-Origin-Embedder-Policy", CrossOriginEmbedderPolicy)
		h.Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(b.Bytes())
	})
	mux.Handle("GET /host/portal/assets/", http.StripPrefix("/host/portal/assets/", http.FileServerFS(PortalAssets())))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *portalEnv) open(t *testing.T) {
	t.Helper()
	e.b.Run(t, chromedp.Navigate(e.srv.URL+"/host/"), chromedp.WaitReady(".main"))
}

// clean fails on any console message at all: the page has no script, so none is expected.
func (e *portalEnv) clean(t *testing.T) {
	t.Helper()
	for _, m := range e.b.Messages() {
		t.Errorf("browser: %s", m)
	}
}

// TestPortalLayout: at desktop and laptop sizes the list fits the width, every row shows its
// time, topic, ID and Start on one line and the first rows are above the fold; on narrow screens
// the rows wrap; nothing overflows sideways and no text is smaller than 14 px.
// COHOST_UPDATE_SCREENSHOTS=1 writes docs/host-portal.png (1280×800); COHOST_SCREENSHOT_DIR keeps
// every size's screenshot there.
func TestPortalLayout(t *testing.T) {
	e := newPortalEnv(t, portalFixture())
	e.open(t)
	if !browser.Eval[bool](t, e.b, `crossOriginIsolated`) {
		t.Error("the portal is not cross-origin isolated")
	}
	dir := os.Getenv(screenshotDir)
	if dir == "" {
		dir = t.TempDir()
	}
	for _, sz := range []struct {
		w, h int64
		wide bool
		shot string
	}{
		{1280, 800, true, "host-portal.png"},
		{1440, 900, true, "host-portal-1440x900.png"},
		{1366, 768, true, "host-portal-1366x768.png"},
		{820, 1000, true, "host-portal-narrow.png"},
		{390, 844, false, "host-portal-phone.png"},
	} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			e.b.Run(t, chromedp.EmulateViewport(sz.w, sz.h))
			e.waitWidth(t, sz.w)
			rows := browser.Eval[[]box](t, e.b, `[...document.querySelectorAll('.row')].map(el => { const r = el.getBoundingClientRect();
				return {Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom, Width: r.width, Height: r.height}; })`)
			if len(rows) != len(e.data.Meetings) {
				t.Fatalf("%d rows, want %d", len(rows), len(e.data.Meetings))
			}
			if sz.wide {
				// One line per row: time, topic and ID, Start side by side.
				for i := range rows {
					when, start := e.rect(t, i, ".when"), e.rect(t, i, ".start")
					if start.Top > when.Bottom || start.Left < when.Right {
						t.Errorf("row %d: Start %+v is not beside the time %+v", i, start, when)
					}
				}
				if sz.h >= 768 && rows[3].Bottom > float64(sz.h) {
					t.Errorf("the fourth meeting is below the fold: %+v", rows[3])
				}
			}
			if over := browser.Eval[int](t, e.b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
				t.Errorf("the page overflows sideways by %d px", over)
			}
			small := browser.Eval[[]string](t, e.b, `[...document.querySelectorAll('body *')]
				.filter(el => el.offsetParent !== null && [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
				.filter(el => parseFloat(getComputedStyle(el).fontSize) < 14)
				.map(el => el.tagName + '.' + el.getAttribute('class') + ': ' + el.textContent.trim().slice(0, 30))`)
			if len(small) > 0 {
				t.Errorf("text under 14 px: %q", small)
			}
			path := filepath.Join(dir, sz.shot)
			if os.Getenv(updateScreenshots) == "1" && sz.shot == "host-portal.png" {
				path = filepath.Join("..", "docs", "host-portal.png")
			}
			if err := e.b.Screenshot(path); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot %s", path)
		})
	}
	e.clean(t)
}

func (e *portalEnv) waitWidth(t *testing.T, w int64) {
	t.Helper()
	for range 100 {
		if browser.Eval[int64](t, e.b, `window.innerWidth`) == w {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the window did not become %d wide", w)
}

// rect is the box of the sel inside the i-th row.
func (e *portalEnv) rect(t *testing.T, i int, sel string) box {
	t.Helper()
	return browser.Eval[box](t, e.b, fmt.Sprintf(`(() => { const r = document.querySelectorAll('.row')[%d].querySelector('%s').getBoundingClientRect();
		return {Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom, Width: r.width, Height: r.height}; })()`, i, sel))
}

// focusWalk presses Tab n times and returns a description of what had the focus after each.
func (e *portalEnv) focusWalk(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		e.b.Run(t, chromedp.KeyEvent(kb.Tab))
		out = append(out, browser.Eval[string](t, e.b, `(() => { const a = document.activeElement;
			return a.tagName + ' ' + (a.getAttribute('aria-label') || a.textContent.trim()); })()`))
	}
	return out
}

// Keyboard: Tab reaches Sign out, then each meeting's Start in the list's order, each named for
// its meeting, with a visible focus ring; Enter on a Start submits that meeting's form.
func TestPortalKeyboard(t *testing.T) {
	e := newPortalEnv(t, portalFixture())
	e.open(t)
	got := e.focusWalk(t, 1+len(e.data.Meetings))
	want := []string{"BUTTON Sign out"}
	for _, m := range e.data.Meetings {
		want = append(want, "BUTTON Start "+m.Topic+", meeting ID "+m.DisplayID)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("focus order:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ring := browser.Eval[string](t, e.b, `getComputedStyle(document.activeElement).outlineStyle`); ring == "none" {
		t.Error("the focused Start shows no focus ring")
	}
	// Enter submits the focused meeting's form (to its own path; the fake server answers 404).
	posted := make(chan string, 1)
	e.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			select {
			case posted <- r.URL.Path:
			default:
			}
		}
		http.NotFound(w, r)
	})
	e.b.Run(t, chromedp.KeyEvent(kb.Enter))
	select {
	case p := <-posted:
		if want := e.data.Meetings[len(e.data.Meetings)-1]; p != want.StartPath {
			t.Errorf("Enter posted to %s, want %s", p, want.StartPath)
		}
	case <-time.After(waitBound):
		t.Fatal("Enter on Start posted nothing")
	}
}

// The other pages: signed out (Sign in with Zoom, reachable by keyboard), off, an empty list,
// and a refusal above the list; none has a script, and each is clean.
func TestPortalPagesInBrowser(t *testing.T) {
	for _, tc := range []struct {
		name  string
		data  PortalData
		texts []string
		first string // what the first Tab reaches (its start)
	}{
		{"signed out", PortalData{}, []string{"Host your meetings from cohost", "Sign in with Zoom"}, "A Sign in with Zoom"},
		{"off", PortalData{Off: "set ZOOM_SIGNIN_CLIENT_ID"}, []string{"Signing in is off", "set ZOOM_SIGNIN_CLIENT_ID"}, "BODY"},
		{"no meetings", PortalData{User: &PortalUser{Name: "Hana Host", Email: "host@example.com"}},
			[]string{"No live or upcoming meetings"}, "BUTTON Sign out"},
		{"not the host", func() PortalData {
			d := portalFixture()
			d.Problem = &PortalProblem{Title: "Only the meeting's host can start it here", Detail: "Meeting 812 3456 7890 is hosted by another Zoom user."}
			return d
		}(), []string{"Only the meeting's host can start it here", "Design review"}, "BUTTON Sign out"},
		{"refused sign-in", PortalData{Problem: &PortalProblem{Title: "Your Zoom account does not use this cohost", Detail: "…", SignIn: true}},
			[]string{"does not use this cohost"}, "A Sign in with Zoom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newPortalEnv(t, tc.data)
			e.open(t)
			text := browser.Eval[string](t, e.b, `document.body.innerText`)
			for _, want := range tc.texts {
				if !strings.Contains(text, want) {
					t.Errorf("no %q in:\n%s", want, text)
				}
			}
			if n := browser.Eval[int](t, e.b, `document.scripts.length`); n != 0 {
				t.Errorf("%d scripts", n)
			}
			if got := e.focusWalk(t, 1)[0]; !strings.HasPrefix(got, tc.first) || tc.first == "BODY" && strings.HasPrefix(got, "BUTTON") {
				t.Errorf("the first Tab reaches %q, want %q", got, tc.first)
			}
			e.clean(t)
		})
	}
}
