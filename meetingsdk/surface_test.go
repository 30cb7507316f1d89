package meetingsdk

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/internal/browser"
)

// pkgDir is the installed npm package; npm ci --prefix meetingsdk puts it there from the lockfile.
const pkgDir = "node_modules/@zoom/meetingsdk"

// installed fails the test unless the pinned package is installed.
func installed(t *testing.T) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
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
	if pj.Version != Version {
		t.Fatalf("installed @zoom/meetingsdk %s, pinned %s: run npm ci --prefix meetingsdk", pj.Version, Version)
	}
}

func TestPackagePinsVersion(t *testing.T) {
	for _, f := range []string{"package.json", "package-lock.json"} {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Dependencies map[string]string `json:"dependencies"`
			Packages     map[string]struct {
				Version      string            `json:"version"`
				Dependencies map[string]string `json:"dependencies"`
			} `json:"packages"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if f == "package.json" {
			if got := doc.Dependencies["@zoom/meetingsdk"]; got != Version {
				t.Errorf("package.json depends on @zoom/meetingsdk %q, want exactly %q", got, Version)
			}
			continue
		}
		if got := doc.Packages["node_modules/@zoom/meetingsdk"].Version; got != Version {
			t.Errorf("package-lock.json locks @zoom/meetingsdk %q, want %q", got, Version)
		}
	}
}

func TestScriptsAreInThePackage(t *testing.T) {
	installed(t)
	if len(DefaultScriptURLs) != len(Scripts) || DefaultScriptURLList() != strings.Join(DefaultScriptURLs, ",") {
		t.Fatalf("DefaultScriptURLs %v do not follow Scripts", DefaultScriptURLs)
	}
	for _, s := range Scripts {
		if !strings.HasPrefix(s.URL, CDNBase+"/") || !strings.HasSuffix(s.URL, ".min.js") {
			t.Errorf("script URL %s is not a Zoom CDN script", s.URL)
		}
		if _, err := os.Stat(filepath.Join(pkgDir, s.Dist)); err != nil {
			t.Errorf("script %s: %v", s.URL, err)
		}
	}
	// The embedded bundle is the CDN's zoom-meeting-embedded-<version>.min.js under another name.
	head := make([]byte, 200)
	f, err := os.Open(filepath.Join(pkgDir, Scripts[len(Scripts)-1].Dist))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, _ := f.Read(head)
	if want := "zoom-meeting-embedded-" + Version + ".min.js"; !strings.Contains(string(head[:n]), want) {
		t.Errorf("embedded bundle header %q does not name %s", head[:n], want)
	}
	if _, err := os.Stat(filepath.Join(pkgDir, "dist/lib/av")); err != nil {
		t.Errorf("assets: %v", err)
	}
}

// TestSurfaceIsDeclared checks every function and event of Surface against the package's
// embedded.d.ts, so that a Zoom release that drops or renames one fails here.
func TestSurfaceIsDeclared(t *testing.T) {
	installed(t)
	raw, err := os.ReadFile(filepath.Join(pkgDir, "embedded.d.ts"))
	if err != nil {
		t.Fatal(err)
	}
	dts := string(raw)
	ns := func(name string) string {
		i := strings.Index(dts, "export declare namespace "+name+" {")
		if i < 0 {
			t.Fatalf("embedded.d.ts declares no namespace %s", name)
		}
		rest := dts[i:]
		if j := strings.Index(rest[1:], "\nexport "); j >= 0 {
			rest = rest[:j+1]
		}
		return rest
	}
	client, global := ns("EmbeddedClient"), ns("ZoomMtgEmbedded")
	declared := func(body, fn string) bool {
		return regexp.MustCompile(`\bfunction ` + regexp.QuoteMeta(fn) + `\(`).MatchString(body)
	}
	for _, fn := range Surface.Global {
		if !declared(global, fn) {
			t.Errorf("ZoomMtgEmbedded.%s is not declared in embedded.d.ts", fn)
		}
	}
	for _, fn := range Surface.Functions {
		if !declared(client, fn) {
			t.Errorf("client.%s is not declared in embedded.d.ts", fn)
		}
	}
	for _, ev := range Surface.Events {
		if !strings.Contains(client, "function on(event: '"+ev+"'") {
			t.Errorf("event %q is not declared for client.on in embedded.d.ts", ev)
		}
	}
	if !strings.Contains(client, "function makeCoHost(userId: number): ExecutedResult;") {
		t.Error("makeCoHost(userId: number): ExecutedResult changed")
	}
	for _, opt := range []string{"zoomAppRoot:", "assetPath?:", "language?:", "patchJsMedia?:", "leaveOnPageUnload?:"} {
		if !strings.Contains(ns0(dts, "export interface InitOptions {"), opt) {
			t.Errorf("InitOptions has no %s", opt)
		}
	}
	for _, opt := range []string{"signature: string;", "meetingNumber: string;", "password?: string;", "userName: string;", "zak?: string;"} {
		if !strings.Contains(ns0(dts, "export interface JoinOptions {"), opt) {
			t.Errorf("JoinOptions has no %s", opt)
		}
	}
	for _, field := range []string{"userId: number;", "userName: string;", "isHost: boolean;", "isCoHost: boolean;", "isGuest: boolean;", "isPhoneUser: boolean;", "isHold: boolean;", "participantUUID?: string;"} {
		if !strings.Contains(ns0(dts, "export interface Participant {"), field) {
			t.Errorf("Participant has no %s", field)
		}
	}
}

// ns0 returns the body of the declaration that starts with head, up to its closing brace at the
// start of a line.
func ns0(dts, head string) string {
	i := strings.Index(dts, head)
	if i < 0 {
		return ""
	}
	rest := dts[i:]
	if j := strings.Index(rest, "\n}"); j >= 0 {
		return rest[:j]
	}
	return rest
}

// servePackage serves a page that loads Scripts from the installed package (never the network).
func servePackage(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/pkg/", http.StripPrefix("/pkg/", http.FileServer(http.Dir(pkgDir))))
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	var tags strings.Builder
	for _, s := range Scripts {
		fmt.Fprintf(&tags, "<script src=\"/pkg/%s\"></script>\n", s.Dist)
	}
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><meta charset=\"utf-8\"><title>sdk</title></head><body>"+
			"<div id=\"zmmtg\"></div>\n%s</body></html>", tags.String())
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// dummySignature is shaped like a Meeting SDK JWT (the bundle decodes its payload for appKey) but
// signed with nothing.
func dummySignature() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc([]byte(`{"appKey":"dummy","mn":"81234567890","role":1,"iat":1767225600,"exp":1767232800,"tokenExp":1767232800}`)) +
		".ZHVtbXk"
}

// TestRealBundleOffline loads the real 6.2.0 bundle in headless Chromium and exercises the surface
// offline: every function exists, init resolves, and join rejects with Zoom's connection error
// (not a TypeError), which is the shape SURFACE.md records.
func TestRealBundleOffline(t *testing.T) {
	b := browser.New(t)
	installed(t)
	srv := servePackage(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitReady("#zmmtg"))

	surface, err := json.Marshal(Surface)
	if err != nil {
		t.Fatal(err)
	}
	script := `(async () => {
  const surface = ` + string(surface) + `;
  const out = {missing: [], events: []};
  if (typeof window.ZoomMtgEmbedded === 'undefined') return JSON.stringify({noGlobal: true});
  for (const fn of surface.Global) if (typeof ZoomMtgEmbedded[fn] !== 'function') out.missing.push('ZoomMtgEmbedded.' + fn);
  const client = ZoomMtgEmbedded.createClient();
  out.oneClient = client === ZoomMtgEmbedded.createClient();
  for (const fn of surface.Functions) if (typeof client[fn] !== 'function') out.missing.push('client.' + fn);
  const settle = p => Promise.resolve(p).then(v => ({resolved: v}), e => ({rejected: e, isError: e instanceof Error, text: String(e)}));
  out.currentUserBeforeJoin = client.getCurrentUser();
  out.attendeesBeforeJoin = client.getAttendeeslist();
  out.makeCoHostBeforeJoin = await settle(client.makeCoHost(16778240));
  out.init = await settle(client.init({
    zoomAppRoot: document.getElementById('zmmtg'),
    assetPath: location.origin + '/pkg/dist/lib/av',
    language: 'en-US', patchJsMedia: true, leaveOnPageUnload: true,
  }));
  for (const ev of surface.Events) client.on(ev, p => out.events.push({event: ev, payload: p}));
  out.join = await settle(client.join({
    signature: ` + "`" + dummySignature() + "`" + `, meetingNumber: '81234567890', password: 'secret',
    userName: 'cohost host page', zak: 'dummy-zak',
  }));
  out.endBeforeJoined = await settle(client.endMeeting());
  out.leave = await settle(client.leaveMeeting());
  await new Promise(r => setTimeout(r, 200));
  return JSON.stringify(out);
})()`
	var got struct {
		NoGlobal              bool
		Missing               []string
		OneClient             bool
		CurrentUserBeforeJoin any
		AttendeesBeforeJoin   []any
		MakeCoHostBeforeJoin  settled
		Init                  settled
		Join                  settled
		EndBeforeJoined       settled
		Leave                 settled
		Events                []struct {
			Event   string
			Payload map[string]any
		}
	}
	raw := browser.Eval[string](t, b, script)
	t.Logf("surface run: %s", raw)
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatal(err)
	}
	if got.NoGlobal {
		t.Fatal("window.ZoomMtgEmbedded is not defined after the Scripts loaded")
	}
	if len(got.Missing) > 0 {
		t.Errorf("not functions in the real bundle: %v", got.Missing)
	}
	if !got.OneClient {
		t.Error("createClient() returned a new client on the second call")
	}
	if got.CurrentUserBeforeJoin != nil || len(got.AttendeesBeforeJoin) != 0 {
		t.Errorf("before join: getCurrentUser %v, getAttendeeslist %v", got.CurrentUserBeforeJoin, got.AttendeesBeforeJoin)
	}
	wantRejected(t, "makeCoHost before join", got.MakeCoHostBeforeJoin, map[string]any{"type": "INVALID_PARAMETERS", "reason": "no matching user"})
	if got.Init.Rejected != nil || got.Init.Resolved != "" {
		t.Errorf("init: %+v, want it to resolve with \"\"", got.Init)
	}
	wantRejected(t, "join offline", got.Join, map[string]any{"type": "JOIN_MEETING_FAILED", "reason": "connection error", "errorCode": -3000.0})
	wantRejected(t, "endMeeting before joined", got.EndBeforeJoined,
		map[string]any{"type": "INSUFFICIENT_PRIVILEGES", "reason": "only host can do the operation", "errorCode": 5007.0})
	if got.Leave.Rejected != nil {
		t.Errorf("leaveMeeting when not joined: %+v, want it to resolve", got.Leave)
	}
	var fail map[string]any
	for _, e := range got.Events {
		if e.Event == "connection-change" {
			fail = e.Payload
		}
	}
	if want := map[string]any{"state": "Fail", "reason": "connection error", "errorCode": -3000.0}; !mapsEqual(fail, want) {
		t.Errorf("connection-change after the failed join: %v, want %v", fail, want)
	}

	// The only errors allowed are the SDK's one attempt to reach Zoom, failed as offline.
	for _, m := range b.Messages() {
		t.Logf("browser: %s", m)
	}
	for _, m := range b.Errors() {
		if m.Kind == browser.KindLog && m.Source == "network" && strings.Contains(m.Text, "ERR_INTERNET_DISCONNECTED") && strings.Contains(m.URL, "zoom.us/") {
			continue
		}
		t.Errorf("unexpected browser error: %s", m)
	}
	if bl := b.Blocked(); !slices.Contains(bl, "https://zoom.us/api/v1/wc/info") {
		t.Errorf("requests that would have left the machine: %v; want the join's call to https://zoom.us/api/v1/wc/info", bl)
	}
}

type settled struct {
	Resolved any
	Rejected map[string]any
	IsError  bool
	Text     string
}

func wantRejected(t *testing.T, what string, got settled, want map[string]any) {
	t.Helper()
	if got.IsError {
		t.Errorf("%s: rejected with an Error (%s), want Zoom's error object %v", what, got.Text, want)
		return
	}
	if !mapsEqual(got.Rejected, want) {
		t.Errorf("%s: %+v, want a rejection with exactly %v", what, got, want)
	}
}

func mapsEqual(a, b map[string]any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return a != nil && string(ja) == string(jb)
}
