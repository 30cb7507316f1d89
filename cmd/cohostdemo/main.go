// Command cohostdemo runs cohost end to end with no credentials and no
// services: cohostd on an embedded SQLite file, against the Zoom simulator,
// for one meeting that 25 people join. It shows live progress, then a summary
// table, and exits 0 when every joiner the chosen granters can serve is
// served (the table's ELIGIBLE column says who and why not).
//
//	go run ./cmd/cohostdemo                               # the host page (Chromium), else REST only
//	go run ./cmd/cohostdemo --serve                       # then keep it running: console, host link, people page
//	go run ./cmd/cohostdemo --people 300                  # a crowd; the demo says how long it takes
//	go run ./cmd/cohostdemo --granters permissions        # the REST-only route
//	go run ./cmd/cohostdemo --granters agent              # a co-host agent (simulated)
//	go run ./cmd/cohostdemo --granters alternative-hosts  # licensed members only
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/cohost-dev/cohost/harness"
	"github.com/cohost-dev/cohost/internal/browser"
)

func main() {
	// A flag set of its own with a fixed name: the default one would name the
	// program by os.Args[0], which under go run is a path in the build cache.
	flags := flag.NewFlagSet("cohostdemo", flag.ContinueOnError)
	granters := flags.String("granters", "", "COHOST_GRANTERS: host-client, agent, permissions, alternative-hosts (comma list); default "+
		harness.DefaultDemoGranters+" when Chromium is installed, else permissions")
	screenshot := flags.String("screenshot", "", "save a PNG of the host page here once every joiner is served")
	people := flags.Int("people", 25, "how many join (the host and one phone-only caller included; at least 3)")
	over := flags.Duration("over", 3*time.Second, "time over which they join")
	logs := flags.String("logs", "", "write cohostd's JSON logs to this file")
	serve := flags.Bool("serve", false, "once the crowd is served, keep cohostd, the simulator and the pages running (console, host link, "+
		"the simulator's people page; Enter adds a guest) until Ctrl-C")
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "usage: go run ./cmd/cohostdemo [flags]   (or: make demo DEMO_FLAGS=\"--granters permissions\")")
		fmt.Fprintln(flags.Output(), "\nRuns cohostd on an embedded SQLite file against the Zoom simulator, for one meeting people join.")
		fmt.Fprintln(flags.Output(), "\nflags:")
		flags.PrintDefaults()
	}
	if err := flags.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if *people < harness.MinDemoPeople {
		fmt.Fprintf(os.Stderr, "cohostdemo: --people %d is too few: the demo needs at least %d (the host, a phone-only caller and one joiner to make co-host)\n", *people, harness.MinDemoPeople)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *granters == "" {
		*granters = harness.DefaultDemoGranters
		if _, err := browser.FindChromium(); err != nil {
			*granters = "permissions"
			fmt.Println("Chromium is not installed, so the demo shows the REST-only route: co-host abilities through permission\n" +
				"settings. The real co-host role comes from the host page in a browser; to see it, install Chromium\n" +
				"(apt-get install -y chromium, or set COHOST_CHROMIUM to its path) and run the demo again.")
		}
	}
	o := harness.DemoOptions{Granters: *granters, People: *people, Over: *over, Progress: os.Stdout, Live: isTerminal(os.Stdout),
		Screenshot: *screenshot}
	if *logs != "" {
		f, err := os.Create(*logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cohostdemo:", err)
			os.Exit(2)
		}
		defer f.Close()
		o.Logs = f
	}
	if *serve {
		o.Serve = serveDemo
	}
	sum, err := harness.RunDemo(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cohostdemo:", err)
		os.Exit(1)
	}
	if !*serve {
		fmt.Println()
		sum.Table(os.Stdout)
	}
	if !sum.OK() {
		fmt.Fprintf(os.Stderr, "cohostdemo: only %d of %d eligible joiners were served\n", sum.Served, sum.Eligible)
		os.Exit(1)
	}
}

// serveDemo prints the summary and where everything runs, adds a guest for
// each Enter, and returns on Ctrl-C.
func serveDemo(ctx context.Context, sum *harness.DemoSummary, at harness.DemoServing) error {
	fmt.Println()
	sum.Table(os.Stdout)
	fmt.Printf(`
The meeting goes on. Open, in your browser:
  the console      %s
                   paste this admin token (good for a day): %s
  the host page    %s
                   (a host link: opening it takes the meeting over from the demo's headless page)
`, at.Console, at.AdminToken, at.HostLink)
	if at.Portal != "" {
		fmt.Printf("  the host portal  %s  (sign in with the simulator: pick the host)\n", at.Portal)
	}
	fmt.Printf(`  the simulator    %s  (add joiners, admit them from the waiting room,
                   make one co-host by hand as the host would)
Press Enter to add a guest; Ctrl-C ends the meeting and the demo.
`, at.People)
	lines := make(chan struct{})
	go func() {
		r := bufio.NewScanner(os.Stdin)
		for r.Scan() {
			lines <- struct{}{}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			fmt.Println()
			return nil
		case <-lines:
			name, err := at.AddGuest()
			if err != nil {
				fmt.Fprintln(os.Stderr, "cohostdemo: adding a guest:", err)
				continue
			}
			fmt.Printf("%s joined\n", name)
		}
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
