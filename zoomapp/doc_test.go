package zoomapp

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cohost-dev/cohost/config"
)

var update = flag.Bool("update", false, "rewrite the generated table in docs/zoom-setup.md from Calls")

const (
	setupDoc   = "../docs/zoom-setup.md"
	tableBegin = "<!-- Generated from zoomapp.Calls by `go generate ./zoomapp`: edit zoomapp/scopes.go, not this table. -->\n"
	tableEnd   = "<!-- End of the generated table. -->\n"
)

// TestDocScopesTable fails when docs/zoom-setup.md's scopes table is not the
// one Calls renders; -update (or go generate ./zoomapp) rewrites it.
func TestDocScopesTable(t *testing.T) {
	raw, err := os.ReadFile(setupDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	begin := strings.Index(doc, tableBegin)
	end := strings.Index(doc, tableEnd)
	if begin < 0 || end < begin {
		t.Fatalf("%s has no generated table between the lines\n%s%s", setupDoc, tableBegin, tableEnd)
	}
	begin += len(tableBegin)
	want := scopesTable()
	if doc[begin:end] == want {
		return
	}
	if *update {
		if err := os.WriteFile(setupDoc, []byte(doc[:begin]+want+doc[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the scopes table in %s", setupDoc)
		return
	}
	t.Errorf("%s's scopes table differs from zoomapp.Calls; run go generate ./zoomapp.\nwant:\n%s\ngot:\n%s", setupDoc, want, doc[begin:end])
}

// TestDocEvents: every event the app subscribes to is in the guide's list, so
// someone setting the app up by hand misses none.
func TestDocEvents(t *testing.T) {
	raw, err := os.ReadFile(setupDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	const heading = "### Events to subscribe to"
	i := strings.Index(doc, heading)
	if i < 0 {
		t.Fatalf("%s has no %q section", setupDoc, heading)
	}
	section := doc[i+len(heading):]
	if j := strings.Index(section, "\n#"); j >= 0 {
		section = section[:j]
	}
	for _, e := range Events(config.AuthOAuth) {
		if !strings.Contains(section, "`"+e+"`") {
			t.Errorf("%s: %q does not list `%s`", setupDoc, heading, e)
		}
	}
}

func scopesTable() string {
	var b strings.Builder
	b.WriteString("| Call | Used by | Granular scope (classic) | Zoom rate label |\n|---|---|---|---|\n")
	for _, c := range Calls() {
		rate := c.RateLabel
		if c.RateNote != "" {
			rate += ", " + c.RateNote
		}
		fmt.Fprintf(&b, "| `%s` | %s | `%s` (`%s`) | %s |\n", c.Endpoint, usedBy(c), c.Scope, c.ClassicScope, rate)
	}
	return b.String()
}

func usedBy(c Call) string {
	var who string
	switch {
	case c.Install:
		who = "the install, `oauth` mode only"
	case slices.Equal(c.Granters, Granters()):
		who = "all granters"
	default:
		names := make([]string, len(c.Granters))
		for i, g := range c.Granters {
			names[i] = "`" + g + "`"
		}
		who = strings.Join(names, ", ")
	}
	if c.Why != "" {
		who += " (" + c.Why + ")"
	}
	return who
}
