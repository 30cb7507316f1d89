package main

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuilder is the summary's output, read while the heartbeat may write.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuilder) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// A run as go test -json reports it: a package that passes is one line with the count, one
// without tests likewise; a failing package prints its whole output before its FAIL line; a
// package that does not build prints the compiler's words; the totals come last and the run
// fails.
func TestSummary(t *testing.T) {
	clock := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	var out lockedBuilder
	s := newSummary(&out, 4, now)
	input := strings.Join([]string{
		`{"Action":"start","Package":"github.com/cohost-dev/cohost/api"}`,
		`{"Action":"run","Package":"github.com/cohost-dev/cohost/api","Test":"TestA"}`,
		`{"Action":"output","Package":"github.com/cohost-dev/cohost/api","Test":"TestA","Output":"=== RUN   TestA\n"}`,
		`{"Action":"pass","Package":"github.com/cohost-dev/cohost/api","Test":"TestA","Elapsed":0.01}`,
		`{"Action":"output","Package":"github.com/cohost-dev/cohost/api","Output":"ok  \tgithub.com/cohost-dev/cohost/api\t0.2s\n"}`,
		`{"Action":"pass","Package":"github.com/cohost-dev/cohost/api","Elapsed":0.2}`,
		`{"Action":"start","Package":"github.com/cohost-dev/cohost/store"}`,
		`{"Action":"output","Package":"github.com/cohost-dev/cohost/store","Test":"TestB","Output":"    store_test.go:9: the row is gone\n"}`,
		`{"Action":"output","Package":"github.com/cohost-dev/cohost/store","Test":"TestB","Output":"--- FAIL: TestB (0.00s)\n"}`,
		`{"Action":"fail","Package":"github.com/cohost-dev/cohost/store","Test":"TestB","Elapsed":0}`,
		`{"Action":"fail","Package":"github.com/cohost-dev/cohost/store","Elapsed":1.5}`,
		`{"Action":"skip","Package":"github.com/cohost-dev/cohost/grant/x"}`,
		`{"ImportPath":"github.com/cohost-dev/cohost/web","Action":"build-output","Output":"# github.com/cohost-dev/cohost/web\n"}`,
		`{"ImportPath":"github.com/cohost-dev/cohost/web","Action":"build-output","Output":"web/web.go:3:1: syntax error\n"}`,
		`{"ImportPath":"github.com/cohost-dev/cohost/web","Action":"build-fail"}`,
		`{"Action":"fail","Package":"github.com/cohost-dev/cohost/web","Elapsed":0}`,
		`go: warning: something the go command said`,
	}, "\n")
	if err := s.read(strings.NewReader(input)); err != nil {
		t.Fatal(err)
	}
	if s.finish() {
		t.Fatal("a run with failures finished ok")
	}
	want := []string{
		"ok   github.com/cohost-dev/cohost/api  0.2s  [1/4]",
		"    store_test.go:9: the row is gone\n--- FAIL: TestB (0.00s)\nFAIL github.com/cohost-dev/cohost/store  1.5s  [2/4]",
		"?    github.com/cohost-dev/cohost/grant/x  [no test files]  [3/4]",
		"# github.com/cohost-dev/cohost/web\nweb/web.go:3:1: syntax error\nFAIL github.com/cohost-dev/cohost/web  0.0s  [4/4]",
		"go: warning: something the go command said",
		"FAIL: 1 packages passed, 2 failed (github.com/cohost-dev/cohost/store, github.com/cohost-dev/cohost/web), 1 without tests",
	}
	got := out.String()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("the summary lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "=== RUN   TestA") || strings.Contains(got, "ok  \t") {
		t.Errorf("a passing package's output or go test's own summary line is printed:\n%s", got)
	}
}

// When nothing was printed for a while, the summary says what is still running and for how
// long, the longest first; before any test binary starts, that they are being compiled.
func TestHeartbeat(t *testing.T) {
	clock := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	var out lockedBuilder
	s := newSummary(&out, 28, now)
	advance(31 * time.Second)
	s.heartbeat(30 * time.Second)
	if !strings.Contains(out.String(), "… 31s in: 0 of 28 packages done; compiling test binaries") {
		t.Fatalf("before any start: %q", out.String())
	}
	s.event(event{Action: "start", Package: "github.com/cohost-dev/cohost/chaos"})
	advance(10 * time.Second)
	s.event(event{Action: "start", Package: "github.com/cohost-dev/cohost/harness"})
	advance(10 * time.Second)
	s.heartbeat(30 * time.Second) // printed 20 s ago: quiet
	if strings.Count(out.String(), "…") != 1 {
		t.Fatalf("a heartbeat within the interval: %q", out.String())
	}
	advance(15 * time.Second)
	s.heartbeat(30 * time.Second)
	if !strings.Contains(out.String(), "… 1m6s in: 0 of 28 packages done; running chaos (35s), harness (25s)") {
		t.Fatalf("while running: %q", out.String())
	}
	s.event(event{Action: "pass", Package: "github.com/cohost-dev/cohost/chaos", Elapsed: 35})
	s.event(event{Action: "pass", Package: "github.com/cohost-dev/cohost/harness", Elapsed: 25})
	if !s.finish() || !strings.Contains(out.String(), "ok: 2 packages passed, 0 without tests") {
		t.Fatalf("the totals: %q", out.String())
	}
}
