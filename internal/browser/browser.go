// Package browser starts a headless Chromium for tests through chromedp and records what the page
// says: console messages, uncaught exceptions and browser log entries (among them Content Security
// Policy violations), so that a test can load a real page and assert that it ran cleanly.
//
// Typical use:
//
//	b := browser.New(t)              // skips the test when Chromium is missing
//	b.Run(t, chromedp.Navigate(url), chromedp.WaitVisible("#ready"))
//	b.AssertNoConsoleErrors(t)
//
// Chromium is found at $COHOST_CHROMIUM, /usr/bin/chromium, or as chromium or chromium-browser on
// PATH. Without it the test is skipped (install it with apt-get install -y chromium), unless
// COHOST_REQUIRE_BROWSER=1, which makes it a failure (CI sets that).
//
// The browser is offline: requests to hosts other than loopback fail with
// net::ERR_INTERNET_DISCONNECTED (Browser.Blocked lists them), so a test never reaches the
// network, and a page that tries (Zoom's SDK calling zoom.us) sees what it would see offline.
package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Width and Height are the default viewport.
const (
	Width  = 1280
	Height = 800
)

// DefaultTimeout bounds each Run call unless Browser.Timeout says otherwise.
const DefaultTimeout = 60 * time.Second

// Flags are the command-line switches Chromium is started with, besides the remote-debugging port
// and a fresh --user-data-dir that chromedp adds. They keep a headless run quiet and offline: no
// sandbox (tests run as root in containers), no GPU, no background or component-update traffic, no
// sync, no first-run UI and no QUIC.
var Flags = []string{
	"headless", "no-sandbox", "disable-gpu", "disable-background-networking",
	"disable-component-update", "disable-sync", "no-first-run", "disable-quic",
}

// Kinds of Message.
const (
	KindConsole   = "console"   // console.log/info/warn/error/… (Runtime.consoleAPICalled)
	KindException = "exception" // an uncaught exception or unhandled rejection (Runtime.exceptionThrown)
	KindLog       = "log"       // a browser log entry (Log.entryAdded): CSP violations, network errors
)

// Message is one thing the page or the browser reported.
type Message struct {
	Kind string
	// Level is the console type ("log", "warning", "error", …) or the log entry level; "error"
	// for exceptions.
	Level string
	// Source is the log entry's source ("security" for CSP violations, "network", …).
	Source string
	Text   string
	URL    string
}

// IsError reports whether the message is an error: console.error, an exception, or a log entry of
// level error (which is how Chromium reports CSP violations and failed loads).
func (m Message) IsError() bool {
	return m.Kind == KindException || m.Level == "error"
}

func (m Message) String() string {
	s := m.Kind + "/" + m.Level
	if m.Source != "" {
		s += "/" + m.Source
	}
	s += ": " + m.Text
	if m.URL != "" {
		s += " (" + m.URL + ")"
	}
	return s
}

// Browser is one headless Chromium with one tab. It is closed when the test ends.
type Browser struct {
	// Ctx is the tab's chromedp context; pass it (or a context derived from it) to chromedp.Run.
	Ctx context.Context
	// Timeout bounds each Run call; default DefaultTimeout.
	Timeout time.Duration

	mu      sync.Mutex
	msgs    []Message
	blocked []string
}

// ErrNoChromium is returned by FindChromium when no Chromium binary is found.
var ErrNoChromium = errors.New("browser: Chromium not found (install it with apt-get install -y chromium, or set COHOST_CHROMIUM)")

// FindChromium returns the path of the Chromium binary to use.
func FindChromium() (string, error) {
	if p := os.Getenv("COHOST_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("browser: COHOST_CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Required reports whether COHOST_REQUIRE_BROWSER=1 turns a missing browser into a failure.
func Required() bool { return os.Getenv("COHOST_REQUIRE_BROWSER") == "1" }

// SkipUnlessAvailable skips the test when Chromium is missing (or fails it when Required) and
// returns the binary's path otherwise.
func SkipUnlessAvailable(tb testing.TB) string {
	tb.Helper()
	path, err := FindChromium()
	if err != nil {
		if Required() {
			tb.Fatalf("%v (COHOST_REQUIRE_BROWSER=1)", err)
		}
		tb.Skip(err)
	}
	return path
}

// New starts Chromium with Flags, a fresh user-data directory and a Width×Height viewport, opens a
// tab and starts recording messages. Everything is torn down by tb.Cleanup.
func New(tb testing.TB) *Browser {
	tb.Helper()
	path := SkipUnlessAvailable(tb)
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(tb.TempDir())}
	for _, f := range Flags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// chromedp enables the Runtime and Log domains on the tab it opens, so the listener sees
	// console calls, exceptions and log entries from the first page on.
	ctx, cancelTab := chromedp.NewContext(actx)
	b := &Browser{Ctx: ctx, Timeout: DefaultTimeout}
	tb.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Listen(ctx, b.record); err != nil {
		tb.Fatalf("browser: start %s: %v", path, err)
	}
	startCtx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	if err := chromedp.Do(startCtx, chromedp.EmulateViewport(Width, Height)); err != nil {
		tb.Fatalf("browser: start %s: %v", path, err)
	}
	if err := b.stayOffline(startCtx); err != nil {
		tb.Fatalf("browser: start %s: %v", path, err)
	}
	return b
}

// stayOffline pauses every request of the tab and lets through only those to loopback hosts; the
// others fail with net::ERR_INTERNET_DISCONNECTED, exactly what a page sees on a machine without
// network. Tests then exercise a page's offline paths (such as Zoom's SDK failing to reach
// zoom.us) without a single packet leaving the machine.
func (b *Browser) stayOffline(ctx context.Context) error {
	paused := chromedp.Events(b.Ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{}); err != nil {
		return err
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			if loopback(ev.Request.URL) {
				_, _ = chromedp.Call(b.Ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				continue
			}
			b.mu.Lock()
			b.blocked = append(b.blocked, ev.Request.URL)
			b.mu.Unlock()
			_, _ = chromedp.Call(b.Ctx, fetch.FailRequest, fetch.FailRequestParams{
				RequestID: ev.RequestID, ErrorReason: network.ErrorReasonInternetDisconnected,
			})
		}
	}()
	return nil
}

// loopback reports whether a URL's host is on this machine (or a data:/blob: URL, which never
// reaches the network).
func loopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "data", "blob", "about":
		return true
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Blocked returns the URLs of the requests that were failed because they left the machine.
func (b *Browser) Blocked() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.blocked...)
}

// record keeps one event; it runs in chromedp's read loop, so it only appends under a lock.
func (b *Browser) record(ev any) {
	var m Message
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		parts := make([]string, 0, len(e.Args))
		for _, a := range e.Args {
			parts = append(parts, remoteObjectText(a))
		}
		m = Message{Kind: KindConsole, Level: string(e.Type), Text: strings.Join(parts, " ")}
		if e.StackTrace != nil && len(e.StackTrace.CallFrames) > 0 {
			m.URL = e.StackTrace.CallFrames[0].URL
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + remoteObjectText(d.Exception)
		}
		m = Message{Kind: KindException, Level: "error", Text: strings.TrimSpace(text), URL: d.URL}
	case *log.EventEntryAdded:
		if e.Entry == nil {
			return
		}
		en := e.Entry
		m = Message{Kind: KindLog, Level: string(en.Level), Source: string(en.Source), Text: en.Text, URL: en.URL}
	default:
		return
	}
	b.mu.Lock()
	b.msgs = append(b.msgs, m)
	b.mu.Unlock()
}

// remoteObjectText renders a console argument or an exception in one line, as DevTools would:
// strings as they are, other values by their description or JSON value.
func remoteObjectText(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if o.Type == runtime.RemoteObjectTypeString && len(o.Value) > 0 {
		var str string
		if err := json.Unmarshal(o.Value, &str); err == nil {
			return str
		}
		return string(o.Value)
	}
	if o.Description != "" {
		return o.Description
	}
	if len(o.Value) > 0 {
		return string(o.Value)
	}
	return string(o.Type)
}

// Run runs actions on the tab within b.Timeout and fails the test on error.
func (b *Browser) Run(tb testing.TB, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, b.Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.Fatalf("browser: %v\nmessages so far:\n%s", err, b.dump())
	}
}

// Eval evaluates a JavaScript expression in the page, awaits it if it is a promise, and decodes
// its JSON value into T. It fails the test on an exception or a rejected promise.
func Eval[T any](tb testing.TB, b *Browser, expression string) T {
	tb.Helper()
	v, err := EvalErr[T](b, expression)
	if err != nil {
		tb.Fatalf("browser: evaluate %q: %v\nmessages so far:\n%s", expression, err, b.dump())
	}
	return v
}

// EvalErr is Eval that returns the error instead of failing the test.
func EvalErr[T any](b *Browser, expression string) (T, error) {
	ctx, cancel := context.WithTimeout(b.Ctx, b.Timeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expression, chromedp.EvalAwaitPromise))
}

// WaitFor polls a JavaScript expression until it is truthy, for at most a minute, and fails the
// test with what the page shows when it never is. Pages poll their servers, so what they show
// catches up within a poll or two; the deadline is a bound on a hang, not a measurement.
func (b *Browser) WaitFor(tb testing.TB, what, expr string) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if ok, err := EvalErr[bool](b, "!!("+expr+")"); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			page, _ := EvalErr[string](b, `document.body.innerText.slice(0, 2000)`)
			tb.Fatalf("timed out waiting for %s\npage: %s\nmessages so far:\n%s", what, page, b.dump())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Messages returns everything recorded so far, in order.
func (b *Browser) Messages() []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Message(nil), b.msgs...)
}

// Errors returns the recorded messages that are errors (Message.IsError).
func (b *Browser) Errors() []Message {
	var out []Message
	for _, m := range b.Messages() {
		if m.IsError() {
			out = append(out, m)
		}
	}
	return out
}

// AssertNoConsoleErrors fails the test if the page logged a console error, threw an uncaught
// exception, or the browser logged an error (a CSP violation, a failed load).
func (b *Browser) AssertNoConsoleErrors(tb testing.TB) {
	tb.Helper()
	if errs := b.Errors(); len(errs) > 0 {
		lines := make([]string, len(errs))
		for i, m := range errs {
			lines[i] = "  " + m.String()
		}
		tb.Errorf("browser: %d console error(s):\n%s", len(errs), strings.Join(lines, "\n"))
	}
}

// GrantClipboard lets pages of origin (scheme://host:port) write and read the clipboard without
// asking, so that a test can read back what a page copied (navigator.clipboard.readText).
func (b *Browser) GrantClipboard(tb testing.TB, origin string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, b.Timeout)
	defer cancel()
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
			Setting:    cdpbrowser.PermissionSettingGranted,
			Origin:     origin,
		}); err != nil {
			tb.Fatalf("browser: grant %s to %s: %v", name, origin, err)
		}
	}
}

// Screenshot writes a PNG of the whole page to path.
func (b *Browser) Screenshot(path string) error {
	ctx, cancel := context.WithTimeout(b.Ctx, b.Timeout)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	return os.WriteFile(path, buf, 0o644)
}

func (b *Browser) dump() string {
	var sb strings.Builder
	for _, m := range b.Messages() {
		sb.WriteString("  " + m.String() + "\n")
	}
	return sb.String()
}
