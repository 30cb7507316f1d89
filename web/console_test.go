package web

import (
	"bytes"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func renderConsole(t *testing.T, d ConsoleData) string {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderConsole(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestRenderConsole(t *testing.T) {
	html := renderConsole(t, ConsoleData{AssetBase: "/console/assets/"})
	for _, want := range []string{
		`<script type="module" src="/console/assets/console.js"></script>`,
		`<link rel="stylesheet" href="/console/assets/console.css">`,
		`<link rel="icon" type="image/svg+xml" href="/console/assets/icon.svg">`,
		`data-api-base="/v1"`,
		`data-admin-off=""`,
		`data-poll-ms="3000"`,
		`<meta name="referrer" content="no-referrer">`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the console has no %s", want)
		}
	}
	if n := len(regexp.MustCompile(`<script\b`).FindAllString(html, -1)); n != 1 {
		t.Errorf("%d scripts, want console.js alone", n)
	}
	html = renderConsole(t, ConsoleData{AssetBase: "/c", AdminOff: "set COHOST_ADMIN_SECRET to enable the admin API", PollInterval: 250 * time.Millisecond})
	if !strings.Contains(html, `data-admin-off="set COHOST_ADMIN_SECRET to enable the admin API"`) || !strings.Contains(html, `data-poll-ms="250"`) {
		t.Error("the admin API's state or the poll interval does not reach the script")
	}
}

func TestRenderConsoleHasNoInlineCodeAndEscapes(t *testing.T) {
	html := renderConsole(t, ConsoleData{AssetBase: "/console/assets", AdminOff: `"><script>alert(1)</script>`})
	if strings.Contains(html, "<script>alert") {
		t.Errorf("unescaped markup in the console:\n%s", html)
	}
	if m := regexp.MustCompile(`<script\b[^>]*>[^<]+</script>`).FindString(html); m != "" {
		t.Errorf("inline script: %s", m)
	}
	if m := regexp.MustCompile(`(?i)\son[a-z]+\s*=`).FindString(html); m != "" {
		t.Errorf("inline event handler: %q", m)
	}
	if m := regexp.MustCompile(`(?i)<style\b|\sstyle\s*=`).FindString(html); m != "" {
		t.Errorf("inline style: %q", m)
	}
	if strings.Contains(html, "javascript:") {
		t.Error("a javascript: URL")
	}
	if err := RenderConsole(failingWriter{}, ConsoleData{}); err == nil {
		t.Error("no error from a failing writer")
	}
}

func TestConsoleAssetsServeOnlyTheAssets(t *testing.T) {
	assets := ConsoleAssets()
	var names []string
	if err := fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			names = append(names, p)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"console.js", "console.css", "icon.svg", "admin-api.js", "chart.js", "detail.js", "dom.js", "meetings.js", "totals.js", "words.js"} {
		if !slices.Contains(names, want) {
			t.Errorf("ConsoleAssets has no %s (has %v)", want, names)
		}
	}
	for _, n := range names {
		if !strings.HasSuffix(n, ".js") && !strings.HasSuffix(n, ".css") && !strings.HasSuffix(n, ".svg") {
			t.Errorf("ConsoleAssets serves %s", n)
		}
		src, err := fs.ReadFile(assets, n)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(n, ".js") {
			continue
		}
		for _, m := range regexp.MustCompile(`(?m)^import .* from '\./([^']+)';$`).FindAllStringSubmatch(string(src), -1) {
			if !slices.Contains(names, m[1]) {
				t.Errorf("%s imports %s, which is not served", n, m[1])
			}
		}
		// The console builds its DOM from elements and text, logs nothing and evaluates nothing;
		// and the token is read from storage or the form, never from the address.
		for _, bad := range []*regexp.Regexp{
			regexp.MustCompile(`\bconsole\.[a-z]+\(`), regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML`),
			regexp.MustCompile(`\beval\(|new Function|document\.write`), regexp.MustCompile(`\.style\.|setAttribute\('style'`),
			regexp.MustCompile(`location\.search|URLSearchParams|localStorage`),
		} {
			if m := bad.FindString(string(src)); m != "" {
				t.Errorf("%s uses %s", n, m)
			}
		}
	}
	// The token is sent in one place, as a header.
	api, err := fs.ReadFile(assets, "admin-api.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(api), "Authorization: auth") || !strings.Contains(string(api), "credentials: 'omit'") ||
		!strings.Contains(string(api), "referrerPolicy: 'no-referrer'") {
		t.Error("admin-api.js does not send the token as a header only")
	}
}

func TestConsoleCSP(t *testing.T) {
	d := directives(t, ConsoleCSP())
	want := map[string][]string{
		"default-src":               {"'none'"},
		"script-src":                {"'self'"},
		"connect-src":               {"'self'"},
		"style-src":                 {"'self'"},
		"img-src":                   {"'self'"},
		"frame-ancestors":           {"'none'"},
		"base-uri":                  {"'none'"},
		"form-action":               {"'none'"},
		"require-trusted-types-for": {"'script'"},
	}
	if len(d) != len(want) {
		t.Errorf("directives %v, want exactly %v", d, want)
	}
	for name, srcs := range want {
		if !slices.Equal(d[name], srcs) {
			t.Errorf("%s %q, want %q", name, d[name], srcs)
		}
	}
}
