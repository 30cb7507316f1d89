package web

import (
	"bytes"
	"errors"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/meetingsdk"
)

func render(t *testing.T, d HostPageData) string {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderHostPage(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestRenderHostPageLoadsTheSDKInOrderThenThePage(t *testing.T) {
	html := render(t, HostPageData{MeetingID: "81234567890", SDKScripts: meetingsdk.DefaultScriptURLs, AssetBase: "/host/assets/"})
	srcs := regexp.MustCompile(`<script\b([^>]*)>`).FindAllStringSubmatch(html, -1)
	var got []string
	for _, m := range srcs {
		src := regexp.MustCompile(`\bsrc="([^"]*)"`).FindStringSubmatch(m[1])
		if src == nil {
			t.Fatalf("a script without src: %s", m[0])
		}
		got = append(got, src[1])
	}
	want := append(slices.Clone(meetingsdk.DefaultScriptURLs), "/host/assets/host.js")
	if !slices.Equal(got, want) {
		t.Errorf("scripts\n got %q\nwant %q", got, want)
	}
	if last := srcs[len(srcs)-1][1]; !strings.Contains(last, `type="module"`) {
		t.Errorf("the page's script is not a module: %s", last)
	}
	for _, m := range srcs[:len(srcs)-1] {
		if strings.Contains(m[1], "module") || strings.Contains(m[1], "async") || strings.Contains(m[1], "defer") {
			t.Errorf("an SDK script must be a plain blocking script: %s", m[0])
		}
	}
	if !strings.Contains(html, `data-meeting-id="81234567890"`) {
		t.Error("no data-meeting-id attribute")
	}
	if !strings.Contains(html, `data-api-prefix="`+api.HostAPIPrefix+`"`) {
		t.Error("no data-api-prefix attribute")
	}
	if !strings.Contains(html, `<link rel="stylesheet" href="/host/assets/host.css">`) {
		t.Error("no stylesheet link under the asset base")
	}
}

func TestRenderHostPageHasNoInlineCode(t *testing.T) {
	html := render(t, HostPageData{MeetingID: "81234567890", SDKScripts: meetingsdk.DefaultScriptURLs, AssetBase: "/host/assets"})
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
}

func TestRenderHostPageEscapes(t *testing.T) {
	html := render(t, HostPageData{
		MeetingID:  `1"><script>alert(1)</script>`,
		SDKScripts: []string{"javascript:alert(1)", `https://cdn.example.com/a.js"><script>alert(2)</script>`},
		AssetBase:  "/host/assets",
	})
	if strings.Contains(html, "<script>alert") {
		t.Errorf("unescaped markup in the page:\n%s", html)
	}
	if strings.Contains(html, `src="javascript:`) {
		t.Error("a javascript: script URL was rendered as is")
	}
}

func TestRenderHostPageSDKAssetPath(t *testing.T) {
	d := HostPageData{MeetingID: "81234567890", SDKScripts: meetingsdk.DefaultScriptURLs, AssetBase: "/host/assets"}
	if html := render(t, d); !strings.Contains(html, `data-sdk-asset-path=""`) {
		t.Error("without an asset path the page must leave the SDK's default")
	}
	for _, p := range []string{"https://sdk.example.com/6.2.0/lib/av/", "/zoom/lib/av"} {
		d.SDKAssetPath = p
		if html := render(t, d); !strings.Contains(html, `data-sdk-asset-path="`+strings.TrimRight(p, "/")+`"`) {
			t.Errorf("asset path %s not rendered", p)
		}
	}
	for _, p := range []string{"javascript:alert(1)", "//evil.example.com/av", "lib/av", "https://*.example.com/av", "ftp://x.example.com/av"} {
		d.SDKAssetPath = p
		var buf bytes.Buffer
		if err := RenderHostPage(&buf, d); err == nil || buf.Len() != 0 {
			t.Errorf("asset path %q: err %v, %d bytes written", p, err, buf.Len())
		}
	}
}

func TestRenderHostPageReturnsWriteErrors(t *testing.T) {
	w := &failingWriter{}
	if err := RenderHostPage(w, HostPageData{MeetingID: "1", AssetBase: "/a"}); err == nil {
		t.Fatal("no error from a failing writer")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

func TestHostAssetsServeOnlyTheAssets(t *testing.T) {
	assets := HostAssets()
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
	for _, want := range []string{"host.js", "host.css", "cohost-api.js", "meeting.js", "sync.js", "view.js", "words.js"} {
		if !slices.Contains(names, want) {
			t.Errorf("HostAssets has no %s (has %v)", want, names)
		}
	}
	for _, n := range names {
		if !strings.HasSuffix(n, ".js") && !strings.HasSuffix(n, ".css") {
			t.Errorf("HostAssets serves %s", n)
		}
	}
	// Every module host.js imports, directly or not, is among the assets.
	for _, n := range names {
		if !strings.HasSuffix(n, ".js") {
			continue
		}
		src, err := fs.ReadFile(assets, n)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`(?m)^import .* from '\./([^']+)';$`).FindAllStringSubmatch(string(src), -1) {
			if !slices.Contains(names, m[1]) {
				t.Errorf("%s imports %s, which is not served", n, m[1])
			}
		}
		for _, bad := range []string{"console.", "innerHTML", "eval(", "new Function", "document.write"} {
			if strings.Contains(string(src), bad) {
				t.Errorf("%s uses %s", n, bad)
			}
		}
	}
}

// TestHostAssetsUseOnlyTheSurface checks that the page calls no SDK function and listens to no
// event beyond meetingsdk.Surface.
func TestHostAssetsUseOnlyTheSurface(t *testing.T) {
	src, err := fs.ReadFile(HostAssets(), "meeting.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`this\.client\.([A-Za-z]+)\(`).FindAllStringSubmatch(string(src), -1) {
		if !slices.Contains(meetingsdk.Surface.Functions, m[1]) {
			t.Errorf("meeting.js calls client.%s, which is not in meetingsdk.Surface", m[1])
		}
	}
	for _, m := range regexp.MustCompile(`ZoomMtgEmbedded\.([A-Za-z]+)\(`).FindAllStringSubmatch(string(src), -1) {
		if !slices.Contains(meetingsdk.Surface.Global, m[1]) {
			t.Errorf("meeting.js calls ZoomMtgEmbedded.%s, which is not in meetingsdk.Surface", m[1])
		}
	}
	events := regexp.MustCompile(`export const sdkEvents = \[([^\]]*)\]`).FindStringSubmatch(string(src))
	if events == nil {
		t.Fatal("no sdkEvents in meeting.js")
	}
	var got []string
	for _, q := range regexp.MustCompile(`'([^']+)'`).FindAllStringSubmatch(events[1], -1) {
		got = append(got, q[1])
	}
	if !slices.Equal(got, meetingsdk.Surface.Events) {
		t.Errorf("sdkEvents %v, want meetingsdk.Surface.Events %v", got, meetingsdk.Surface.Events)
	}
	for _, other := range []string{"host.js", "sync.js", "view.js"} {
		s, err := fs.ReadFile(HostAssets(), other)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(s), "ZoomMtgEmbedded") || strings.Contains(string(s), ".client.") {
			t.Errorf("%s reaches the SDK itself; only meeting.js does", other)
		}
	}
}

// directives parses a policy into its directives' source lists.
func directives(t *testing.T, csp string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) == 0 {
			t.Fatalf("empty directive in %q", csp)
		}
		if _, dup := out[f[0]]; dup {
			t.Fatalf("directive %s twice in %q", f[0], csp)
		}
		out[f[0]] = f[1:]
	}
	return out
}

func TestHostCSP(t *testing.T) {
	zoom := []string{"https://*.zoom.us"}
	for _, tc := range []struct {
		name    string
		scripts []string
		// origins are the SDK origins script-src and connect-src must name, in order.
		origins []string
	}{
		{"zoom CDN", meetingsdk.DefaultScriptURLs, []string{"https://source.zoom.us"}},
		{"none", nil, nil},
		{"duplicates and case", []string{"https://CDN.example.com/a.js", "https://cdn.example.com/b.js", "https://cdn.example.com:8443/c.js"},
			[]string{"https://cdn.example.com", "https://cdn.example.com:8443"}},
		{"http as given", []string{"http://127.0.0.1:9901/sdk/zoom-meeting-embedded-sim.js", "http://[::1]:9901/x.js"},
			[]string{"http://127.0.0.1:9901", "http://[::1]:9901"}},
		{"not origins", []string{"", "/sdk/local.js", "javascript:alert(1)", "data:text/javascript,1", "ftp://x.example.com/a.js",
			"https://*.example.com/a.js", "https://user:pw@cdn.example.com/a.js", "https://a.example.com;script-src */x.js",
			"https://a.example.com 'unsafe-eval'/x.js", "//cdn.example.com/x.js", "https:///x.js"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csp := HostCSP(tc.scripts)
			d := directives(t, csp)
			for _, name := range []string{"script-src", "connect-src"} {
				var sdk []string
				for _, s := range d[name] {
					if strings.HasPrefix(s, "http://") || (strings.HasPrefix(s, "https://") && !strings.HasSuffix(s, "zoom.us")) || s == "https://source.zoom.us" {
						sdk = append(sdk, s)
					}
				}
				if !slices.Equal(sdk, tc.origins) {
					t.Errorf("%s SDK origins %q, want %q (policy %s)", name, sdk, tc.origins, csp)
				}
				if !slices.Contains(d[name], "'self'") {
					t.Errorf("%s lacks 'self'", name)
				}
			}
			if got, want := d["script-src"], append(append([]string{"'self'"}, tc.origins...), append(zoom, "'wasm-unsafe-eval'")...); !slices.Equal(got, want) {
				t.Errorf("script-src %q, want %q", got, want)
			}
			if got, want := d["connect-src"], append(append([]string{"'self'"}, tc.origins...), "https://zoom.us", "https://*.zoom.us", "wss://*.zoom.us"); !slices.Equal(got, want) {
				t.Errorf("connect-src %q, want %q", got, want)
			}
			for name, srcs := range d {
				for _, s := range srcs {
					if strings.Contains(s, "*") && s != "https://*.zoom.us" && s != "wss://*.zoom.us" {
						t.Errorf("%s allows %s", name, s)
					}
					if s == "'unsafe-eval'" || s == "http:" || s == "https:" || s == "data:" && name == "script-src" {
						t.Errorf("%s allows %s", name, s)
					}
					if strings.HasPrefix(s, "http://") && !slices.Contains(tc.origins, s) {
						t.Errorf("%s allows %s, which no script URL gave", name, s)
					}
				}
			}
			for name, want := range map[string][]string{
				"default-src":     {"'none'"},
				"frame-ancestors": {"'none'"},
				"base-uri":        {"'none'"},
				"object-src":      {"'none'"},
				"form-action":     {"'none'"},
				"style-src":       {"'self'", "'unsafe-inline'"},
			} {
				if !slices.Equal(d[name], want) {
					t.Errorf("%s %q, want %q", name, d[name], want)
				}
			}
			if !slices.Contains(d["worker-src"], "blob:") {
				t.Errorf("worker-src %q lacks blob:", d["worker-src"])
			}
			if slices.Contains(d["script-src"], "'unsafe-inline'") || slices.Contains(d["script-src"], "blob:") {
				t.Errorf("script-src %q allows inline or blob: scripts", d["script-src"])
			}
		})
	}
}
