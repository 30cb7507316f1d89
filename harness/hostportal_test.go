package harness_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/harness"
	"github.com/cohost-dev/cohost/internal/browser"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/meetingsdk"
	"github.com/cohost-dev/cohost/zoomsim"
)

// The host portal end to end: cohostd and the Zoom simulator in-process, a
// host signing in with Zoom (the simulator's sign-in page), their meetings,
// Start, and the host page running the meeting, in headless Chromium or
// over plain HTTP. Nothing is mocked between the browser, cohostd and the
// simulated Zoom.

type portalEnv struct {
	h         *harness.Harness
	sim       *zoomsim.Sim
	logs      *syncLog
	colleague zoomsim.User
	// mine is the host's meeting, theirs the colleague's, both scheduled.
	mine, theirs zoomsim.Meeting
}

func startPortal(t *testing.T, engine string, replicas int, env map[string]string) *portalEnv {
	t.Helper()
	logs := &syncLog{}
	e := map[string]string{"COHOST_HOST_CLIENT_INTERVAL": "100ms"}
	for k, v := range env {
		e[k] = v
	}
	h := start(t, engine, harness.Options{Granters: "host-client", Replicas: replicas, Logs: logs, LogLevel: slog.LevelDebug, Env: e,
		Sim: func(c *zoomsim.Config) { c.WebSDK.RoleChangeDelay = 20 * time.Millisecond }})
	p := &portalEnv{h: h, sim: h.Sim.Sim, logs: logs}
	var err error
	if p.colleague, err = p.sim.CreateUser(h.AccountID, zoomsim.UserSpec{Email: "colleague@example.com", FirstName: "Cora", LastName: "Colleague"}); err != nil {
		t.Fatal(err)
	}
	if p.mine, err = p.sim.CreateMeeting(zoomsim.MeetingSpec{HostID: h.Host.ID, Topic: "All hands", StartTime: time.Now().Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if p.theirs, err = p.sim.CreateMeeting(zoomsim.MeetingSpec{HostID: p.colleague.ID, Topic: "Cora's review", StartTime: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkLogs asserts that no session id, sign-in code, PKCE verifier, user
// token, ZAK or SDK signature reached cohostd's logs.
func (p *portalEnv) checkLogs(t *testing.T, secrets ...string) {
	t.Helper()
	logs := p.logs.String()
	if !strings.Contains(logs, "host signed in") {
		t.Fatal("the logs were not captured")
	}
	for _, leak := range append([]string{"hs1.", "hb1.", "zsac_", "zsat_", "zsrt_", "zszak_", "eyJ"}, secrets...) {
		if leak != "" && strings.Contains(logs, leak) {
			t.Errorf("cohostd's log holds %q", leak)
		}
	}
}

// httpBrowser is a browser over plain HTTP: it keeps cookies (Secure ones too,
// on http://127.0.0.1, as Chromium does), follows nothing by itself and says
// on its POSTs that they come from the same origin, as a browser's form does.
type httpBrowser struct {
	t       *testing.T
	cookies map[string]*http.Cookie
	client  *http.Client
}

func newHTTPBrowser(t *testing.T) *httpBrowser {
	return &httpBrowser{t: t, cookies: map[string]*http.Cookie{},
		client: &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *httpBrowser) do(method, rawURL string, form url.Values) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method == http.MethodPost {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for _, c := range b.cookies {
		if strings.HasPrefix(req.URL.Path, c.Path) {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
			continue
		}
		b.cookies[c.Name] = c
	}
	return page{res.StatusCode, res.Header, string(raw)}
}

var (
	chooserForm  = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)">(.*?)</form>`)
	chooserField = regexp.MustCompile(`name="([a-z_]+)" value="([^"]*)"`)
)

// atZoom is the person at Zoom's sign-in page (authorizeURL): they pick the
// user with email; it returns the callback URL Zoom redirects to.
func (b *httpBrowser) atZoom(authorizeURL, email string) string {
	b.t.Helper()
	p := b.do(http.MethodGet, authorizeURL, nil)
	if p.status != http.StatusOK {
		b.t.Fatalf("Zoom's sign-in page: %d %s", p.status, p.body)
	}
	u, _ := url.Parse(authorizeURL)
	for _, f := range chooserForm.FindAllStringSubmatch(p.body, -1) {
		if !strings.Contains(f[2], `data-email="`+email+`"`) {
			continue
		}
		form := url.Values{}
		for _, m := range chooserField.FindAllStringSubmatch(f[2], -1) {
			form.Set(m[1], html.UnescapeString(m[2]))
		}
		r := b.do(http.MethodPost, u.Scheme+"://"+u.Host+html.UnescapeString(f[1]), form)
		if r.status != http.StatusFound {
			b.t.Fatalf("Zoom's answer to the choice: %d %s", r.status, r.body)
		}
		return r.header.Get("Location")
	}
	b.t.Fatalf("Zoom's sign-in page offers no %s", email)
	return ""
}

// beginSignIn asks cohostd (at base) to sign in and returns Zoom's sign-in page.
func (b *httpBrowser) beginSignIn(base string) string {
	b.t.Helper()
	r := b.do(http.MethodGet, base+"/host/signin", nil)
	if r.status != http.StatusFound {
		b.t.Fatalf("GET /host/signin: %d %s", r.status, r.body)
	}
	return r.header.Get("Location")
}

// signIn signs the user with email in through cohostd at base and returns
// the page the portal ends on.
func (b *httpBrowser) signIn(base, email string) page {
	b.t.Helper()
	cb := b.do(http.MethodGet, b.atZoom(b.beginSignIn(base), email), nil)
	if cb.status != http.StatusSeeOther || cb.header.Get("Location") != "/host/" {
		b.t.Fatalf("callback: %d to %q: %s", cb.status, cb.header.Get("Location"), cb.body)
	}
	return b.do(http.MethodGet, base+"/host/", nil)
}

// A host signs in with Zoom in Chromium, sees their meetings (not their
// colleague's), starts one, and the host page it opens runs the meeting and
// makes its joiners co-host. The session cookie came back over http on
// 127.0.0.1 with its Secure flag, and nothing the flow handled reached a log.
func TestPortalSignInStartPromotes(t *testing.T) {
	browser.SkipUnlessAvailable(t)
	p := startPortal(t, "sqlite", 1, nil)
	b := browser.New(t)

	b.Run(t, chromedp.Navigate(p.h.PortalURL()), chromedp.WaitVisible(`a[href="/host/signin"]`))
	if iso := browser.Eval[bool](t, b, `crossOriginIsolated`); !iso {
		t.Error("the portal is not cross-origin isolated")
	}
	b.Run(t, chromedp.Click(`a[href="/host/signin"]`), chromedp.WaitVisible(`#users`))
	// At Zoom (the simulator): the person picks who they are.
	b.Run(t, chromedp.Click(`button[data-email="host@example.com"]`), chromedp.WaitVisible(`.list`))
	text := browser.Eval[string](t, b, `document.body.innerText`)
	for _, want := range []string{"Hana Host", "host@example.com", "All hands", "Meeting ID: " + displayID(p.mine.ID)} {
		if !strings.Contains(text, want) {
			t.Errorf("the portal does not show %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Cora's review") {
		t.Error("the portal lists the colleague's meeting")
	}

	cookies := browserCookies(t, b, p.h.PortalURL())
	s, ok := cookies["__Secure-cohost-host"]
	if !ok {
		t.Fatalf("no session cookie in Chromium: %v", cookies)
	}
	if !s.HTTPOnly || !s.Secure || s.SameSite != network.CookieSameSiteLax || s.Path != "/host" {
		t.Errorf("session cookie: httpOnly %v secure %v sameSite %s path %s", s.HTTPOnly, s.Secure, s.SameSite, s.Path)
	}
	if _, ok := cookies["__Secure-cohost-host-signin"]; ok {
		t.Error("the sign-in's cookie outlived the callback")
	}

	b.Run(t, chromedp.Click(`form[action="/host/meetings/`+strconv.FormatInt(p.mine.ID, 10)+`/start"] button`))
	waitUntil(t, "the host page to start the meeting", func() bool {
		m, err := p.sim.Meeting(p.mine.ID)
		return err == nil && m.Status == zoomsim.MeetingStarted && len(p.sim.SDKSessions(p.mine.ID)) > 0
	})
	if loc := browser.Eval[string](t, b, `location.pathname + '|' + location.hash`); loc != "/host/"+strconv.FormatInt(p.mine.ID, 10)+"|" {
		t.Errorf("the host page is at %q, want its path with the secret moved out of the address", loc)
	}
	if iso := browser.Eval[bool](t, b, `crossOriginIsolated && typeof SharedArrayBuffer === 'function'`); !iso {
		t.Error("the host page is not cross-origin isolated")
	}

	var keys []string
	for i := range 3 {
		j, err := p.sim.Join(p.mine.ID, zoomsim.JoinSpec{Name: "Guest " + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, j.Key())
	}
	waitUntil(t, "every joiner to be co-host through the page", func() bool {
		ps, err := p.h.Cohost.Store.ListParticipants(context.Background(), p.h.AccountID, strconv.FormatInt(p.mine.ID, 10))
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, pt := range ps {
			for _, k := range keys {
				if pt.Key == k && pt.State == grant.StateConfirmed && pt.Granter == "host-client" {
					done++
				}
			}
		}
		return done == len(keys)
	})
	b.AssertNoConsoleErrors(t)
	p.checkLogs(t)
}

func browserCookies(t *testing.T, b *browser.Browser, pageURL string) map[string]*network.Cookie {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 10*time.Second)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{pageURL}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		out[c.Name] = c
	}
	return out
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func displayID(id int64) string {
	s := strconv.FormatInt(id, 10)
	if len(s) == 11 {
		return s[:3] + " " + s[3:7] + " " + s[7:]
	}
	return s
}

// Every way in that is not the meeting's host with a genuine sign-in is
// refused with a page that says why: a colleague starting the host's
// meeting, a user of another account, a tampered or replayed state, a
// replayed code, and a code from another sign-in (the wrong PKCE verifier).
func TestPortalRefusals(t *testing.T) {
	p := startPortal(t, "sqlite", 1, nil)
	base := p.h.PublicURL
	mine := strconv.FormatInt(p.mine.ID, 10)

	t.Run("not the host", func(t *testing.T) {
		b := newHTTPBrowser(t)
		if pg := b.signIn(base, p.colleague.Email); !strings.Contains(pg.body, "Cora&#39;s review") || strings.Contains(pg.body, "All hands") {
			t.Fatalf("the colleague's list: %s", pg.body)
		}
		r := b.do(http.MethodPost, base+"/host/meetings/"+mine+"/start", nil)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "Only the meeting&#39;s host can start it here") || r.header.Get("Location") != "" {
			t.Errorf("a colleague starting the host's meeting: %d %s", r.status, r.body)
		}
		if n := len(p.sim.SDKSessions(p.mine.ID)); n != 0 {
			t.Errorf("%d host pages joined", n)
		}
	})

	t.Run("another account", func(t *testing.T) {
		other, err := p.sim.CreateAccount(zoomsim.AccountSpec{ID: "acct-elsewhere"})
		if err != nil {
			t.Fatal(err)
		}
		stranger, err := p.sim.CreateUser(other.ID, zoomsim.UserSpec{Email: "ann@elsewhere.example", FirstName: "Ann"})
		if err != nil {
			t.Fatal(err)
		}
		b := newHTTPBrowser(t)
		r := b.do(http.MethodGet, b.atZoom(b.beginSignIn(base), stranger.Email), nil)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "does not use this cohost") {
			t.Errorf("a user of another account: %d %s", r.status, r.body)
		}
		if _, ok := b.cookies["__Secure-cohost-host"]; ok {
			t.Error("a user of another account got a session")
		}
	})

	t.Run("tampered state", func(t *testing.T) {
		b := newHTTPBrowser(t)
		cb, _ := url.Parse(b.atZoom(b.beginSignIn(base), p.h.Host.Email))
		q := cb.Query()
		st := []byte(q.Get("state"))
		st[len(st)/2] ^= 1
		q.Set("state", string(st))
		cb.RawQuery = q.Encode()
		if r := b.do(http.MethodGet, cb.String(), nil); r.status != http.StatusBadRequest || !strings.Contains(r.body, "not valid") {
			t.Errorf("tampered state: %d %s", r.status, r.body)
		}
	})

	t.Run("replayed callback and code", func(t *testing.T) {
		b := newHTTPBrowser(t)
		callback := b.atZoom(b.beginSignIn(base), p.h.Host.Email)
		binding := b.cookies["__Secure-cohost-host-signin"]
		if r := b.do(http.MethodGet, callback, nil); r.status != http.StatusSeeOther {
			t.Fatalf("first callback: %d %s", r.status, r.body)
		}
		// The same callback again, with the binding cookie put back.
		b.cookies[binding.Name] = binding
		if r := b.do(http.MethodGet, callback, nil); r.status != http.StatusBadRequest || !strings.Contains(r.body, "already used") {
			t.Errorf("replayed callback: %d %s", r.status, r.body)
		}
		// The used code with a fresh state of this browser: Zoom refuses it.
		used, _ := url.Parse(callback)
		fresh, _ := url.Parse(b.atZoom(b.beginSignIn(base), p.h.Host.Email))
		q := fresh.Query()
		q.Set("code", used.Query().Get("code"))
		fresh.RawQuery = q.Encode()
		if r := b.do(http.MethodGet, fresh.String(), nil); r.status != http.StatusBadRequest || !strings.Contains(r.body, "Zoom refused the sign-in code") {
			t.Errorf("replayed code: %d %s", r.status, r.body)
		}
	})

	t.Run("code of another sign-in (wrong PKCE verifier)", func(t *testing.T) {
		attacker, victim := newHTTPBrowser(t), newHTTPBrowser(t)
		stolen, _ := url.Parse(attacker.atZoom(attacker.beginSignIn(base), p.h.Host.Email))
		cb, _ := url.Parse(victim.atZoom(victim.beginSignIn(base), p.colleague.Email))
		q := cb.Query()
		q.Set("code", stolen.Query().Get("code"))
		cb.RawQuery = q.Encode()
		if r := victim.do(http.MethodGet, cb.String(), nil); r.status != http.StatusBadRequest || !strings.Contains(r.body, "Zoom refused the sign-in code") {
			t.Errorf("another sign-in's code: %d %s", r.status, r.body)
		}
		if _, ok := victim.cookies["__Secure-cohost-host"]; ok {
			t.Error("the code of another sign-in gave a session")
		}
	})

	t.Run("a state from another browser", func(t *testing.T) {
		starter, other := newHTTPBrowser(t), newHTTPBrowser(t)
		callback := starter.atZoom(starter.beginSignIn(base), p.h.Host.Email)
		if r := other.do(http.MethodGet, callback, nil); r.status != http.StatusBadRequest || !strings.Contains(r.body, "another browser") {
			t.Errorf("a callback in another browser: %d %s", r.status, r.body)
		}
	})

	t.Run("the session cookie's flags", func(t *testing.T) {
		b := newHTTPBrowser(t)
		r := b.do(http.MethodGet, b.atZoom(b.beginSignIn(base), p.h.Host.Email), nil)
		var set []string
		for _, v := range r.header.Values("Set-Cookie") {
			if strings.HasPrefix(v, "__Secure-cohost-host=") {
				set = append(set, v)
			}
		}
		if len(set) != 1 {
			t.Fatalf("Set-Cookie %v", r.header.Values("Set-Cookie"))
		}
		for _, want := range []string{"Path=/host;", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age="} {
			if !strings.Contains(set[0]+";", want) {
				t.Errorf("session cookie %q lacks %s", set[0], want)
			}
		}
		if strings.Contains(set[0], "Domain=") {
			t.Errorf("session cookie %q names a domain", set[0])
		}
	})
	p.checkLogs(t)
}

// Two replicas on one PostgreSQL: a session signed in through one is good on
// the other, and signing out on one ends it on the other at once.
func TestPortalSignOutEveryReplica(t *testing.T) {
	testdb.Postgres(t) // skip (or fail with COHOST_REQUIRE_POSTGRES=1) without PostgreSQL
	p := startPortal(t, "postgres", 2, nil)
	a, b := "http://"+p.h.Cohosts[0].Addr(), "http://"+p.h.Cohosts[1].Addr()
	br := newHTTPBrowser(t)
	br.signIn(p.h.PublicURL, p.h.Host.Email)
	session := br.cookies["__Secure-cohost-host"]
	for _, base := range []string{a, b} {
		if r := br.do(http.MethodGet, base+"/host/", nil); r.status != http.StatusOK || !strings.Contains(r.body, "Your meetings") {
			t.Fatalf("signed in at %s: %d %s", base, r.status, r.body)
		}
	}
	if r := br.do(http.MethodPost, a+"/host/signout", nil); r.status != http.StatusSeeOther {
		t.Fatalf("sign-out on replica 0: %d %s", r.status, r.body)
	}
	// The old cookie, as a copy kept elsewhere would present it, on the other replica.
	br.cookies[session.Name] = session
	r := br.do(http.MethodGet, b+"/host/", nil)
	if r.status != http.StatusOK || strings.Contains(r.body, "Your meetings") || !strings.Contains(r.body, `href="/host/signin"`) {
		t.Errorf("replica 1 after sign-out on replica 0: %d %s", r.status, r.body)
	}
	if r := br.do(http.MethodPost, b+"/host/meetings/"+strconv.FormatInt(p.mine.ID, 10)+"/start", nil); r.status != http.StatusUnauthorized {
		t.Errorf("Start with the ended session on replica 1: %d", r.status)
	}
}

// realSDKServer serves the installed @zoom/meetingsdk (npm ci --prefix
// meetingsdk) from an origin of its own, as a CDN serves it: with
// Access-Control-Allow-Origin, which the SDK needs of its lib/av host on an
// isolated page (there it loads those scripts with crossOrigin="anonymous"),
// and without Cross-Origin-Resource-Policy, which cohost's COEP does not ask
// for. It returns the script URLs in load order, init's assetPath, and a
// check of the paths requested.
func realSDKServer(t *testing.T) (scripts []string, assets string, requested func(string) bool) {
	t.Helper()
	const dir = "../meetingsdk/node_modules/@zoom/meetingsdk"
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		t.Fatalf("@zoom/meetingsdk is not installed (npm ci --prefix meetingsdk; make test-deps does): %v", err)
	}
	var pj struct{ Version string }
	if err := json.Unmarshal(raw, &pj); err != nil || pj.Version != meetingsdk.Version {
		t.Fatalf("installed @zoom/meetingsdk %q, pinned %s: run npm ci --prefix meetingsdk", pj.Version, meetingsdk.Version)
	}
	var mu sync.Mutex
	var paths []string
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", "*")
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	for _, s := range meetingsdk.Scripts {
		scripts = append(scripts, srv.URL+"/"+s.Dist)
	}
	return scripts, srv.URL + "/dist/lib/av", func(p string) bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(paths, p)
	}
}

// The real pinned Web SDK (6.2.0, served locally from another origin without
// CORP headers, as a CDN may) under cohostd's own headers: a host signs in,
// starts a meeting, and the host page is cross-origin isolated (so the SDK
// has SharedArrayBuffer), the SDK initialises and joins (offline, the join
// stops at Zoom's servers with -3000), and the browser refuses nothing for
// COEP or the Content-Security-Policy.
func TestPortalStartsRealSDKIsolated(t *testing.T) {
	browser.SkipUnlessAvailable(t)
	scripts, assets, requested := realSDKServer(t)
	p := startPortal(t, "sqlite", 1, map[string]string{
		"COHOST_MEETING_SDK_URL": strings.Join(scripts, ","), "COHOST_MEETING_SDK_ASSET_PATH": assets,
	})
	b := browser.New(t)
	b.Run(t, chromedp.Navigate(p.h.PortalURL()), chromedp.Click(`a[href="/host/signin"]`), chromedp.WaitVisible(`#users`),
		chromedp.Click(`button[data-email="host@example.com"]`), chromedp.WaitVisible(`.list`))
	if iso := browser.Eval[bool](t, b, `crossOriginIsolated`); !iso {
		t.Error("the portal is not cross-origin isolated")
	}
	b.Run(t, chromedp.Click(`form[action="/host/meetings/`+strconv.FormatInt(p.mine.ID, 10)+`/start"] button`))
	waitUntil(t, "the real SDK's join to fail offline", func() bool {
		v, err := browser.EvalErr[string](b, `(document.getElementById('message-text') || {}).textContent || ''`)
		return err == nil && strings.Contains(v, "(Zoom error -3000)")
	})
	if got := browser.Eval[string](t, b, `[crossOriginIsolated, typeof SharedArrayBuffer, typeof ZoomMtgEmbedded.createClient].join(' ')`); got != "true function function" {
		t.Errorf("crossOriginIsolated, SharedArrayBuffer, ZoomMtgEmbedded.createClient: %s; want true function function", got)
	}
	// init ran with the page's assetPath: the SDK fetched its media script from it.
	if !requested("/dist/lib/av/js_media.min.js") {
		t.Error("the SDK did not load lib/av/js_media.min.js from the page's assetPath")
	}
	for _, m := range b.Messages() {
		t.Logf("browser: %s", m)
		if m.Source == "security" || strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Refused to") ||
			strings.Contains(m.Text, "Cross-Origin-Embedder-Policy") || strings.Contains(m.Text, "ERR_BLOCKED_BY_RESPONSE") {
			t.Errorf("refused by the browser: %s", m)
		}
	}
	for _, m := range b.Errors() {
		// Offline, the SDK's requests to Zoom fail: the policies let them through.
		if m.Kind == browser.KindLog && m.Source == "network" && strings.Contains(m.Text, "ERR_INTERNET_DISCONNECTED") && strings.Contains(m.URL, "zoom.us/") {
			continue
		}
		t.Errorf("browser error: %s", m)
	}
	if bl := b.Blocked(); !slices.Contains(bl, "https://zoom.us/api/v1/wc/info") {
		t.Errorf("requests that left the machine: %v; want the join's https://zoom.us/api/v1/wc/info", bl)
	}
}
