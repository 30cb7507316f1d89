package browser_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/internal/browser"
)

// TestRecordsConsoleExceptionsAndCSP loads a page under a strict CSP that logs, throws, and tries
// an inline script, and checks that each lands in the record.
func TestRecordsConsoleExceptionsAndCSP(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><meta charset="utf-8"><title>t</title>
<div id="ready">ready</div><script src="/app.js"></script><script>window.inlineRan = true</script>`))
	})
	mux.HandleFunc("/app.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write([]byte(`console.log("hello", 42); console.error("bad thing"); setTimeout(() => { throw new Error("boom") }, 0);`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b := browser.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible("#ready"), chromedp.Sleep(300e6))
	if ran := browser.Eval[bool](t, b, `window.inlineRan === true`); ran {
		t.Error("the inline script ran despite the CSP")
	}
	has := func(kind, level, substr string) bool {
		for _, m := range b.Messages() {
			if m.Kind == kind && m.Level == level && strings.Contains(m.Text, substr) {
				return true
			}
		}
		return false
	}
	for _, c := range []struct{ kind, level, text string }{
		{browser.KindConsole, "log", "hello 42"},
		{browser.KindConsole, "error", "bad thing"},
		{browser.KindException, "error", "boom"},
		{browser.KindLog, "error", "Content Security Policy"},
	} {
		if !has(c.kind, c.level, c.text) {
			t.Errorf("no %s/%s message containing %q in %v", c.kind, c.level, c.text, b.Messages())
		}
	}
	if n := len(b.Errors()); n < 3 {
		t.Errorf("Errors() = %d messages, want the console error, the exception and the CSP violation", n)
	}
	shot := filepath.Join(t.TempDir(), "page.png")
	if err := b.Screenshot(shot); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 100 {
		t.Errorf("screenshot %v %v", fi, err)
	}
	if w := browser.Eval[int](t, b, `window.innerWidth`); w != browser.Width {
		t.Errorf("innerWidth %d, want %d", w, browser.Width)
	}
}

func TestAssertNoConsoleErrorsPassesOnACleanPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><meta charset="utf-8"><title>ok</title><p id="p">fine</p>`))
	}))
	defer srv.Close()
	b := browser.New(t)
	b.Run(t, chromedp.Navigate(srv.URL), chromedp.WaitVisible("#p"))
	b.AssertNoConsoleErrors(t)
}

func TestFindChromiumHonoursEnv(t *testing.T) {
	t.Setenv("COHOST_CHROMIUM", filepath.Join(t.TempDir(), "no-such-chromium"))
	if _, err := browser.FindChromium(); err == nil {
		t.Fatal("FindChromium found a binary that does not exist")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("COHOST_CHROMIUM", self)
	if p, err := browser.FindChromium(); err != nil || p != self {
		t.Fatalf("FindChromium() = %q, %v; want %q", p, err, self)
	}
}

func TestRequestsLeavingTheMachineFailAsOffline(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><meta charset="utf-8"><title>ok</title><p id="p">fine</p>`))
	}))
	defer srv.Close()
	b := browser.New(t)
	b.Run(t, chromedp.Navigate(srv.URL), chromedp.WaitVisible("#p"))
	got := browser.Eval[string](t, b, `fetch("https://zoom.us/api/v1/wc/info").then(() => "reached", e => e.name + ": " + e.message)`)
	if got != "TypeError: Failed to fetch" {
		t.Errorf("fetch to zoom.us: %q, want a network failure", got)
	}
	if bl := b.Blocked(); len(bl) != 1 || !strings.HasPrefix(bl[0], "https://zoom.us/") {
		t.Errorf("Blocked() = %v", bl)
	}
	local := browser.Eval[int](t, b, `fetch(location.href).then(r => r.status)`)
	if local != 200 {
		t.Errorf("fetch to the loopback server: %d", local)
	}
}
