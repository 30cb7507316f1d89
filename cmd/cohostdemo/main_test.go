package main

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/internal/browser"
	"github.com/cohost-dev/cohost/zoomsim"
)

var built struct {
	once      sync.Once
	bin, fail string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.bin != "" {
		_ = os.RemoveAll(filepath.Dir(built.bin))
	}
	os.Exit(code)
}

// build builds the demo once for the package's tests.
func build(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "cohostdemo")
		if err != nil {
			built.fail = err.Error()
			return
		}
		built.bin = filepath.Join(dir, "cohostdemo")
		if out, err := exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput(); err != nil {
			built.fail = err.Error() + "\n" + string(out)
		}
	})
	if built.fail != "" {
		t.Fatalf("build: %s", built.fail)
	}
	return built.bin
}

// TestDemo runs the demo as a user does and reads its summary table: every
// joiner the chosen granters can serve must end confirmed co-host (agent) or
// granted (permissions, alternative-hosts); the others say in the ELIGIBLE
// column why not. The progress never counts the agent as a joiner.
func TestDemo(t *testing.T) {
	bin := build(t)
	for _, tc := range []struct {
		granters, want string
		served         int // of the 14 people: less the host and the phone-only caller, and guests where not servable
	}{
		{"host-client,permissions", "confirmed", 12}, // the default with Chromium: the host page makes them co-host
		{"agent", "confirmed", 12},
		{"permissions", "granted", 12},
		{"alternative-hosts", "granted", 5}, // the five signed-in members; guests are not licensed users
	} {
		t.Run(tc.granters, func(t *testing.T) {
			if strings.Contains(tc.granters, "host-client") {
				browser.SkipUnlessAvailable(t)
			}
			cmd := exec.Command(bin, "--granters", tc.granters, "--people", "14", "--over", "1s")
			cmd.Env = append(os.Environ(), "TERM=dumb")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("demo exited with %v:\n%s", err, out)
			}
			rows, progress := 0, map[string]int{}
			sc := bufio.NewScanner(strings.NewReader(string(out)))
			inTable := false
			for sc.Scan() {
				line := sc.Text()
				f := strings.Fields(line)
				if len(f) > 2 && f[1] == "joined" {
					progress[line[strings.Index(line, "joined"):]]++
					if n := strings.SplitN(f[2], "/", 2); len(n) == 2 {
						seen, _ := strconv.Atoi(n[0])
						total, _ := strconv.Atoi(n[1])
						if seen > total {
							t.Errorf("progress counts more joiners than join: %s", line)
						}
					}
				}
				if len(f) > 0 && f[0] == "PARTICIPANT" {
					inTable = true
					continue
				}
				if !inTable || len(f) == 0 {
					inTable = inTable && len(f) > 0
					continue
				}
				switch {
				case strings.Contains(line, " host ") && strings.Contains(line, "is_host") && strings.Contains(line, "no: the host"),
					strings.Contains(line, "phone-only") && strings.Contains(line, "phone_only") && strings.Contains(line, "no: phone only"),
					strings.Contains(line, "cohost agent") && strings.Contains(line, "is_agent") && strings.Contains(line, "no: the agent"):
				case tc.granters == "alternative-hosts" && strings.Contains(line, " guest ") &&
					strings.Contains(line, "no: alternative-hosts serves only licensed users"):
				case strings.Contains(line, " guest ") || strings.Contains(line, "signed in"):
					if !strings.Contains(line, " "+tc.want+" ") || !strings.HasSuffix(line, " yes") {
						t.Errorf("eligible joiner not %s: %s", tc.want, line)
					}
					if strings.Contains(tc.granters, "host-client") && !strings.Contains(line, " host-client ") {
						t.Errorf("eligible joiner not made co-host by the host page: %s", line)
					}
					rows++
				default:
					t.Errorf("unexpected summary row: %s", line)
				}
			}
			if rows != tc.served {
				t.Fatalf("summary has %d served rows, want %d:\n%s", rows, tc.served, out)
			}
			for line, n := range progress {
				if n > 1 {
					t.Errorf("progress printed %q %d times", line, n)
				}
			}
			if !strings.Contains(string(out), "joined 14/14") {
				t.Errorf("progress never reached joined 14/14:\n%s", out)
			}
		})
	}
}

// Fewer people than the demo needs is an error, not a silent 25.
func TestDemoRefusesTooFewPeople(t *testing.T) {
	cmd := exec.Command(build(t), "--people", "2")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Fatalf("--people 2: err=%v, want a non-zero exit:\n%s", err, out)
	}
	if !strings.Contains(string(out), "--people 2 is too few") || strings.Contains(string(out), "cohostd on") {
		t.Fatalf("--people 2: want a clear refusal before anything starts, got:\n%s", out)
	}
}

// Without Chromium the demo says how to see the host page and shows the
// REST-only route, so that it runs on a machine with Go alone.
func TestDemoWithoutChromium(t *testing.T) {
	cmd := exec.Command(build(t), "--people", "5", "--over", "300ms")
	cmd.Env = append(os.Environ(), "TERM=dumb", "COHOST_CHROMIUM=/nonexistent/chromium")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo without Chromium exited with %v:\n%s", err, out)
	}
	for _, want := range []string{"Chromium is not installed", "apt-get install -y chromium", "granters: permissions", "3 of 3 eligible joiners served"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// --serve: once the crowd is served the demo keeps everything up and says
// where: the console answers with the token it printed, the simulator's
// people page answers, Enter adds a guest whom cohostd sees, and Ctrl-C ends
// the meeting and the demo cleanly.
func TestDemoServe(t *testing.T) {
	browser.SkipUnlessAvailable(t)
	cmd := exec.Command(build(t), "--serve", "--people", "6", "--over", "500ms")
	cmd.Env = append(os.Environ(), "TERM=dumb")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var out strings.Builder
	next := func(what string, match func(string) bool) string {
		t.Helper()
		deadline := time.After(3 * time.Minute)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the demo ended before %s:\n%s", what, out.String())
				}
				out.WriteString(l + "\n")
				if match(l) {
					return l
				}
			case <-deadline:
				t.Fatalf("no %s:\n%s", what, out.String())
			}
		}
	}
	field := func(l string) string { f := strings.Fields(l); return f[len(f)-1] }
	console := field(next("the console's URL", func(l string) bool { return strings.Contains(l, "the console ") }))
	token := field(next("the admin token", func(l string) bool { return strings.Contains(l, "paste this admin token") }))
	portal := strings.Fields(next("the portal's URL", func(l string) bool { return strings.Contains(l, "the host portal ") }))[3]
	people := strings.Fields(next("the people page", func(l string) bool { return strings.Contains(l, "the simulator ") }))[2]
	next("the prompt", func(l string) bool { return strings.Contains(l, "Press Enter to add a guest") })
	// The portal signs in with the simulator: its Sign in with Zoom goes to the simulator's page.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if res, err := noRedirect.Get(portal + "signin"); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
		sim := strings.TrimSuffix(people, zoomsim.UIPath)
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, sim+"/oauth/authorize?") {
			t.Errorf("the portal's sign-in: %d to %q, want the simulator's %s/oauth/authorize", res.StatusCode, loc, sim)
		}
	}
	for _, u := range []string{console, portal, people} {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", u, res.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", strings.TrimSuffix(console, "/console")+"/v1/meetings", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("the printed token: the admin API answers %d", res.StatusCode)
	}
	if _, err := stdin.Write([]byte("\n")); err != nil {
		t.Fatal(err)
	}
	next("the late guest", func(l string) bool { return strings.Contains(l, "Late guest 1 joined") })
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	next("the end", func(l string) bool { return strings.Contains(l, "ending the meeting") })
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the demo exited with %v after Ctrl-C:\n%s", err, out.String())
	}
}

// -h names the program as a user runs it, never by the path of its binary
// (under go run, a folder of the build cache).
func TestDemoHelp(t *testing.T) {
	bin := build(t)
	for _, arg := range []string{"-h", "--help"} {
		out, err := exec.Command(bin, arg).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", arg, err, out)
		}
		if strings.Contains(string(out), filepath.Dir(bin)) || strings.Contains(string(out), "go-build") {
			t.Fatalf("%s prints the binary's path:\n%s", arg, out)
		}
		for _, want := range []string{"usage: go run ./cmd/cohostdemo", "-granters", "-people"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%s lacks %q:\n%s", arg, want, out)
			}
		}
	}
	out, err := exec.Command(bin, "--nope").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || strings.Contains(string(out), filepath.Dir(bin)) {
		t.Fatalf("an unknown flag: %v\n%s", err, out)
	}
}
