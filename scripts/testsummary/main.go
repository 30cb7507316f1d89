// Command testsummary reads `go test -json` on stdin and prints what `go test` prints without
// -json, plus how far the run has got: a line per package as it finishes, with a count
// ("ok   .../api  0.2s  [7/28]"); the whole output of a package that fails (or does not build);
// and, whenever nothing was printed for a while, which packages are still running and for how
// long, so that a long test (the chaos tests, the browser tests) never leaves the terminal silent.
// It exits 1 when a package failed or did not build. make test runs it:
//
//	go test -race -json ./... | testsummary -packages 28
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// event is one line of `go test -json` (cmd/test2json), with the build events of Go 1.24.
type event struct {
	Time       time.Time
	Action     string
	Package    string
	ImportPath string // build-output, build-fail
	Test       string
	Elapsed    float64
	Output     string
}

func main() {
	packages := flag.Int("packages", 0, "how many packages the run tests (for the count); 0 when unknown")
	every := flag.Duration("every", 30*time.Second, "after this long without a line, say what is still running")
	flag.Parse()
	s := newSummary(os.Stdout, *packages, time.Now)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s.heartbeat(*every)
			}
		}
	}()
	err := s.read(os.Stdin)
	close(done)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if !s.finish() {
		os.Exit(1)
	}
}

// summary is the state of one run. Its methods are safe for concurrent use (the heartbeat).
type summary struct {
	mu       sync.Mutex
	w        io.Writer
	now      func() time.Time
	total    int
	begun    time.Time
	lastLine time.Time

	running map[string]time.Time // package: when its test binary started
	output  map[string]*strings.Builder
	build   map[string]*strings.Builder // import path: its build output
	done    int
	passed  int
	failed  []string
	noTests int
}

func newSummary(w io.Writer, total int, now func() time.Time) *summary {
	t := now()
	return &summary{w: w, now: now, total: total, begun: t, lastLine: t,
		running: map[string]time.Time{}, output: map[string]*strings.Builder{}, build: map[string]*strings.Builder{}}
}

// read consumes the events until the input ends. A line that is not an event (the go
// command's own words) is printed as it is.
func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil || e.Action == "" {
			s.print("%s\n", line)
			continue
		}
		s.event(e)
	}
	return sc.Err()
}

func (s *summary) event(e event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e.Action {
	case "build-output":
		buf(s.build, e.ImportPath).WriteString(e.Output)
	case "build-fail":
		s.printLocked("%s", buf(s.build, e.ImportPath).String())
		delete(s.build, e.ImportPath)
	case "start":
		s.running[e.Package] = s.now()
	case "output":
		// The package's own summary line ("ok  \tpkg\t1.2s") is replaced by ours.
		if e.Test == "" && (strings.HasPrefix(e.Output, "ok  \t") || strings.HasPrefix(e.Output, "FAIL\t") ||
			strings.HasPrefix(e.Output, "?   \t")) {
			return
		}
		buf(s.output, e.Package).WriteString(e.Output)
	case "pass", "fail", "skip":
		if e.Test != "" {
			return
		}
		s.done++
		count := ""
		if s.total > 0 {
			count = fmt.Sprintf("  [%d/%d]", s.done, s.total)
		}
		switch e.Action {
		case "pass":
			s.passed++
			s.printLocked("ok   %s  %.1fs%s\n", e.Package, e.Elapsed, count)
		case "skip":
			s.noTests++
			s.printLocked("?    %s  [no test files]%s\n", e.Package, count)
		case "fail":
			s.failed = append(s.failed, e.Package)
			s.printLocked("%s", buf(s.output, e.Package).String())
			s.printLocked("FAIL %s  %.1fs%s\n", e.Package, e.Elapsed, count)
		}
		delete(s.running, e.Package)
		delete(s.output, e.Package)
	}
}

// heartbeat says what is still running when nothing was printed for every.
func (s *summary) heartbeat(every time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if now.Sub(s.lastLine) < every {
		return
	}
	doneOf := fmt.Sprintf("%d packages done", s.done)
	if s.total > 0 {
		doneOf = fmt.Sprintf("%d of %d packages done", s.done, s.total)
	}
	var names []string
	for p := range s.running {
		names = append(names, p)
	}
	// The longest-running first: they are what the run waits for.
	slices.SortFunc(names, func(a, b string) int { return s.running[a].Compare(s.running[b]) })
	var parts []string
	for _, p := range names[:min(len(names), 4)] {
		parts = append(parts, fmt.Sprintf("%s (%s)", short(p), now.Sub(s.running[p]).Round(time.Second)))
	}
	what := "compiling test binaries"
	if len(parts) > 0 {
		what = "running " + strings.Join(parts, ", ")
		if len(names) > len(parts) {
			what += fmt.Sprintf(" and %d more", len(names)-len(parts))
		}
	}
	s.printLocked("  … %s in: %s; %s\n", now.Sub(s.begun).Round(time.Second), doneOf, what)
}

// finish prints the totals and reports whether every package passed.
func (s *summary) finish() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.build { // build output no failure was reported with (vet's findings)
		if b.Len() > 0 {
			s.printLocked("%s", b.String())
		}
	}
	took := s.now().Sub(s.begun).Round(time.Second)
	if len(s.failed) > 0 {
		s.printLocked("FAIL: %d packages passed, %d failed (%s), %d without tests, in %s\n",
			s.passed, len(s.failed), strings.Join(s.failed, ", "), s.noTests, took)
		return false
	}
	s.printLocked("ok: %d packages passed, %d without tests, in %s\n", s.passed, s.noTests, took)
	return true
}

func (s *summary) print(format string, a ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.printLocked(format, a...)
}

func (s *summary) printLocked(format string, a ...any) {
	fmt.Fprintf(s.w, format, a...)
	s.lastLine = s.now()
}

func buf(m map[string]*strings.Builder, k string) *strings.Builder {
	b := m[k]
	if b == nil {
		b = &strings.Builder{}
		m[k] = b
	}
	return b
}

// short drops the module's path from a package's.
func short(p string) string {
	return strings.TrimPrefix(p, "github.com/cohost-dev/cohost/")
}
