package web

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/internal/browser"
	"github.com/cohost-dev/cohost/meetingsdk"
)

// sdkPkgDir is the pinned SDK that npm ci --prefix meetingsdk installs.
const sdkPkgDir = "../meetingsdk/node_modules/@zoom/meetingsdk"

// realSDK is the installed @zoom/meetingsdk served from its own origin, as Zoom's CDN serves it
// to cohostd's pages: with Access-Control-Allow-Origin, which the SDK needs of its lib/av host
// once the page is cross-origin isolated (it then loads those scripts with
// crossOrigin="anonymous"), and without Cross-Origin-Resource-Policy.
type realSDK struct {
	// scripts are the script URLs in meetingsdk.Scripts order; assets is init's assetPath for
	// the package's lib/av (Zoom's CDN is offline here).
	scripts []string
	assets  string

	mu       sync.Mutex
	requests []string
}

func (s *realSDK) requested(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.requests, path)
}

func serveRealSDK(t *testing.T) *realSDK { return serveRealSDKWith(t, true) }

// serveRealSDKWith serves the SDK with Access-Control-Allow-Origin or, without cors, as a host
// that sends no CORS headers.
func serveRealSDKWith(t *testing.T, cors bool) *realSDK {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(sdkPkgDir, "package.json"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("@zoom/meetingsdk is not installed: run npm ci --prefix meetingsdk (make test-deps does)")
	}
	if err != nil {
		t.Fatal(err)
	}
	var pj struct{ Version string }
	if err := json.Unmarshal(raw, &pj); err != nil {
		t.Fatal(err)
	}
	if pj.Version != meetingsdk.Version {
		t.Fatalf("installed @zoom/meetingsdk %s, pinned %s: run npm ci --prefix meetingsdk", pj.Version, meetingsdk.Version)
	}
	sdk := &realSDK{}
	files := http.FileServer(http.Dir(sdkPkgDir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sdk.mu.Lock()
		sdk.requests = append(sdk.requests, r.URL.Path)
		sdk.mu.Unlock()
		if cors {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	for _, s := range meetingsdk.Scripts {
		sdk.scripts = append(sdk.scripts, srv.URL+"/"+s.Dist)
	}
	sdk.assets = srv.URL + "/dist/lib/av"
	return sdk
}

// TestRealSDKUnderHostCSP runs the real host page with the real 6.2.0 bundle (served from another
// origin, as Zoom's CDN is) under the policy HostCSP builds for it: the page creates the client,
// initialises it and joins, which fails offline with Zoom's connection error -3000. Nothing may be
// refused by the policy, and the only error allowed is the SDK's attempt to reach zoom.us.
func TestRealSDKUnderHostCSP(t *testing.T) {
	sdk := serveRealSDK(t)
	e := newHostEnv(t, envOptions{sdkScripts: sdk.scripts, sdkAssetPath: sdk.assets})
	sig, err := meetingsdk.Signature("offline-sdk-key", "offline-sdk-secret", e.meeting.ID, api.SDKRoleHost, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.cohost.startScript = func(int) reply {
		s := e.mintStart(time.Now())
		s.Signature, s.ZAK = sig, "offline-zak"
		e.cohost.mu.Lock()
		e.cohost.minted = append(e.cohost.minted, sig, "offline-zak")
		e.cohost.mu.Unlock()
		return ok(s)
	}
	e.open(t)
	e.waitText(t, "#message-title", "Zoom cannot be reached")
	if got := e.text(t, "#message-text"); !strings.Contains(got, "(Zoom error -3000)") {
		t.Errorf("message %q, want Zoom's -3000", got)
	}
	if r := browser.Eval[string](t, e.b, `document.getElementById('message').getAttribute('role')`); r != "alert" {
		t.Errorf("the error's role is %q, want alert", r)
	}
	e.cohost.waitSync(t, "a sync reporting Fail", 0, func(r api.HostSyncRequest) bool { return r.Connection == api.HostConnFail })

	for _, m := range e.b.Messages() {
		t.Logf("browser: %s", m)
	}
	for _, m := range e.b.Messages() {
		if m.Source == "security" || strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Refused to") {
			t.Errorf("refused by the policy: %s", m)
		}
	}
	e.assertClean(t, func(m browser.Message) bool {
		// The SDK's requests to Zoom fail as offline: the policy let them through.
		return strings.Contains(m.Text, "ERR_INTERNET_DISCONNECTED") && strings.Contains(m.URL, "zoom.us/")
	})
	if bl := e.b.Blocked(); !slices.Contains(bl, "https://zoom.us/api/v1/wc/info") {
		t.Errorf("requests that left the machine: %v; want the join's https://zoom.us/api/v1/wc/info", bl)
	}
	// The SDK fetched its media script from the assetPath the page gave it, under script-src.
	if !sdk.requested("/dist/lib/av/js_media.min.js") {
		t.Error("the SDK did not load lib/av/js_media.min.js from the page's assetPath")
	}
	if n := e.cohost.Starts(); n != 1 {
		t.Errorf("%d starts, want 1", n)
	}
}

// withoutSource removes one source from one directive of a policy.
func withoutSource(csp, directive, source string) string {
	parts := strings.Split(csp, "; ")
	for i, d := range parts {
		f := strings.Fields(d)
		if len(f) > 0 && f[0] == directive {
			parts[i] = strings.Join(slices.DeleteFunc(f, func(s string) bool { return s == source }), " ")
		}
	}
	return strings.Join(parts, "; ")
}

// TestRealSDKNeedsHostCSPExtras shows, for each source HostCSP adds beyond its own origin, the SDK
// and Zoom's service domains, that the real bundle is refused something without it, even offline.
// When a Zoom release stops needing one, this fails and the policy can be tightened.
// ('wasm-unsafe-eval' is not among them: offline, the join stops before the codecs compile.)
func TestRealSDKNeedsHostCSPExtras(t *testing.T) {
	for _, tc := range []struct{ directive, source, refused string }{
		{"style-src", "'unsafe-inline'", "Applying inline style"},
		{"worker-src", "blob:", "Creating a worker from 'blob:"},
		{"img-src", "data:", "Loading the image 'data:"},
		{"connect-src", "https://zoom.us", "Connecting to 'https://zoom.us/api/v1/wc/info'"},
	} {
		t.Run(tc.directive+" "+tc.source, func(t *testing.T) {
			sdk := serveRealSDK(t)
			e := newHostEnv(t, envOptions{sdkScripts: sdk.scripts, sdkAssetPath: sdk.assets})
			full := HostCSP(sdk.scripts)
			e.cspOverride = withoutSource(full, tc.directive, tc.source)
			if e.cspOverride == full {
				t.Fatalf("HostCSP has no %s in %s", tc.source, tc.directive)
			}
			sig, err := meetingsdk.Signature("offline-sdk-key", "offline-sdk-secret", e.meeting.ID, api.SDKRoleHost, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			e.cohost.startScript = func(int) reply {
				s := e.mintStart(time.Now())
				s.Signature, s.ZAK = sig, "offline-zak"
				return ok(s)
			}
			e.open(t)
			e.waitFor(t, "the policy to refuse "+tc.refused, func() bool {
				for _, m := range e.b.Messages() {
					if m.Source == "security" && strings.Contains(m.Text, tc.refused) {
						return true
					}
				}
				return false
			})
		})
	}
}

// TestRealSDKCrossOriginIsolated: under cohostd's isolation headers (COOP same-origin, COEP
// credentialless) the real 6.2.0 bundle, from another origin that sends CORS headers but no
// Cross-Origin-Resource-Policy, runs isolated: SharedArrayBuffer is there, init succeeds and join
// goes as far as Zoom's servers (-3000 offline), and the browser refuses nothing. Under
// require-corp the same bundle is refused: the page's script tags (no-cors requests) lack CORP,
// so ZoomMtgEmbedded never appears. That is why cohost uses credentialless (web/isolation.go).
// And an isolated page needs CORS headers of the SDK's lib/av host: without them the SDK cannot
// load its media files ("dependent assets are not accessible", 5001), which a self-hosted copy
// (COHOST_MEETING_SDK_ASSET_PATH) must know.
func TestRealSDKCrossOriginIsolated(t *testing.T) {
	for _, tc := range []struct {
		name, coep string
		cors, runs bool
		refusal    string
	}{
		{"credentialless", CrossOriginEmbedderPolicy, true, true, ""},
		{"require-corp", "require-corp", true, false, "Meeting SDK did not load"},
		{"credentialless, assets without CORS", CrossOriginEmbedderPolicy, false, false, "(Zoom error 5001)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sdk := serveRealSDKWith(t, tc.cors)
			e := newHostEnv(t, envOptions{sdkScripts: sdk.scripts, sdkAssetPath: sdk.assets, coep: tc.coep})
			sig, err := meetingsdk.Signature("offline-sdk-key", "offline-sdk-secret", e.meeting.ID, api.SDKRoleHost, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			e.cohost.startScript = func(int) reply {
				s := e.mintStart(time.Now())
				s.Signature, s.ZAK = sig, "offline-zak"
				return ok(s)
			}
			e.open(t)
			if iso := browser.Eval[bool](t, e.b, `crossOriginIsolated && typeof SharedArrayBuffer === 'function'`); !iso {
				t.Fatal("the page is not cross-origin isolated")
			}
			if !tc.runs {
				e.waitText(t, "#message", tc.refusal)
				want := "ERR_BLOCKED_BY_RESPONSE.NotSameOriginAfterDefaultedToSameOriginByCoep"
				if !tc.cors {
					want = "blocked by CORS policy"
				}
				blocked := false
				for _, m := range e.b.Messages() {
					blocked = blocked || strings.Contains(m.Text, want)
				}
				if !blocked {
					t.Errorf("no %q among %v", want, e.b.Messages())
				}
				return
			}
			e.waitText(t, "#message-title", "Zoom cannot be reached")
			if got := e.text(t, "#message-text"); !strings.Contains(got, "(Zoom error -3000)") {
				t.Errorf("message %q, want Zoom's -3000 (init succeeded, join reached Zoom)", got)
			}
			if !sdk.requested("/dist/lib/av/js_media.min.js") {
				t.Error("the SDK did not load lib/av/js_media.min.js from the page's assetPath")
			}
			for _, m := range e.b.Messages() {
				if m.Source == "security" || strings.Contains(m.Text, "Refused to") || strings.Contains(m.Text, "Cross-Origin-Embedder-Policy") ||
					strings.Contains(m.Text, "ERR_BLOCKED_BY_RESPONSE") || strings.Contains(m.Text, "CORS policy") {
					t.Errorf("refused by the browser: %s", m)
				}
			}
			e.assertClean(t, func(m browser.Message) bool {
				return strings.Contains(m.Text, "ERR_INTERNET_DISCONNECTED") && strings.Contains(m.URL, "zoom.us/")
			})
		})
	}
}
