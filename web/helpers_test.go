package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/internal/browser"
	"github.com/cohost-dev/cohost/meetingsdk"
	"github.com/cohost-dev/cohost/zoomsim"
)

// waitBound bounds every wait of these tests, so that a broken page fails instead of hanging; no
// test asserts how long anything takes.
const waitBound = 30 * time.Second

// testSyncMS is the sync interval the fake cohostd answers, so that the tests move along.
const testSyncMS = 300

// reply is one scripted answer of the fake cohostd.
type reply struct {
	status int
	body   any
	// drop closes the connection without an answer, as a dead replica or a network cut does.
	drop bool
}

func ok(body any) reply { return reply{status: http.StatusOK, body: body} }

func apiErr(status int, code, detail string) reply {
	return reply{status: status, body: api.ErrorResponse{Error: code, Detail: detail}}
}

// fakeCohost plays cohostd's side of the host page protocol from a script: it checks the bearer,
// records every call, answers start with a ZAK and a role-1 signature minted through the Zoom
// simulator, and answers syncs with what the test's script says (by default: wait, with a panel
// made from the roster).
type fakeCohost struct {
	env *hostEnv

	mu      sync.Mutex
	changed chan struct{}
	starts  int
	syncs   []api.HostSyncRequest
	// badAuth counts requests whose bearer was not the link's secret.
	badAuth int
	// minted are the ZAKs and signatures handed out, which must never show up anywhere else.
	minted []string
	// startScript answers the n-th start (from 1); nil or a zero reply: a good start.
	startScript func(n int) reply
	// syncScript answers the n-th sync (from 1); nil or a zero reply: wait with a roster panel.
	syncScript func(n int, req api.HostSyncRequest) reply
}

func (f *fakeCohost) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeCohost) authorized(w http.ResponseWriter, r *http.Request) bool {
	if id := r.PathValue("id"); id != strconv.FormatInt(f.env.meeting.ID, 10) {
		f.env.t.Errorf("%s for meeting %q, want %d", r.URL.Path, id, f.env.meeting.ID)
	}
	if r.Header.Get("Authorization") == "Bearer "+f.env.secret {
		return true
	}
	f.mu.Lock()
	f.badAuth++
	f.notify()
	f.mu.Unlock()
	writeReply(w, apiErr(http.StatusUnauthorized, api.HostErrLinkInvalid, ""))
	return false
}

func (f *fakeCohost) start(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.mu.Lock()
	f.starts++
	n, script := f.starts, f.startScript
	f.notify()
	f.mu.Unlock()
	var rep reply
	if script != nil {
		rep = script(n)
	}
	if rep.status == 0 && !rep.drop {
		rep = ok(f.env.mintStart(time.Now()))
	}
	writeReply(w, rep)
}

func (f *fakeCohost) sync(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var req api.HostSyncRequest
	if err == nil {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		err = dec.Decode(&req)
	}
	if err != nil {
		f.env.t.Errorf("sync body %s: %v", raw, err)
		writeReply(w, apiErr(http.StatusBadRequest, api.HostErrBadRequest, err.Error()))
		return
	}
	f.mu.Lock()
	f.syncs = append(f.syncs, req)
	n, script := len(f.syncs), f.syncScript
	f.notify()
	f.mu.Unlock()
	var rep reply
	if script != nil {
		rep = script(n, req)
	}
	if rep.status == 0 && !rep.drop {
		rep = ok(waitWith(rosterPanel(f.env.meeting.Topic, req)))
	}
	writeReply(w, rep)
}

func writeReply(w http.ResponseWriter, rep reply) {
	if rep.drop {
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("no hijacker")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(rep.status)
	_ = json.NewEncoder(w).Encode(rep.body)
}

// Syncs returns the syncs received so far.
func (f *fakeCohost) Syncs() []api.HostSyncRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]api.HostSyncRequest(nil), f.syncs...)
}

func (f *fakeCohost) Starts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starts
}

func (f *fakeCohost) setSyncScript(s func(n int, req api.HostSyncRequest) reply) {
	f.mu.Lock()
	f.syncScript = s
	f.mu.Unlock()
}

// waitSync waits for a sync, from the from-th on (0-based), that satisfies pred, and returns its
// index and body.
func (f *fakeCohost) waitSync(t *testing.T, what string, from int, pred func(api.HostSyncRequest) bool) (int, api.HostSyncRequest) {
	t.Helper()
	var idx int
	var got api.HostSyncRequest
	f.env.waitFor(t, what, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for i := from; i < len(f.syncs); i++ {
			if pred(f.syncs[i]) {
				idx, got = i, f.syncs[i]
				return true
			}
		}
		return false
	})
	return idx, got
}

func waitWith(p api.HostPanel) api.HostSyncResponse {
	return api.HostSyncResponse{Action: api.HostAction{Kind: api.HostActionWait}, SyncMS: testSyncMS, Panel: p}
}

func actionWith(a api.HostAction, p api.HostPanel) api.HostSyncResponse {
	return api.HostSyncResponse{Action: a, SyncMS: testSyncMS, Panel: p}
}

// rosterPanel is a plain panel for a roster, as cohostd might compute it.
func rosterPanel(topic string, req api.HostSyncRequest) api.HostPanel {
	p := api.HostPanel{Topic: topic}
	for _, e := range req.Roster {
		row := api.HostPanelRow{Name: e.UserName, UserID: e.UserID}
		switch {
		case e.IsHost:
			row.State = api.HostRowHost
		case e.IsCoHost:
			row.State = api.HostRowCoHost
			p.Counts.CoHost++
		case e.IsPhoneUser:
			row.State, row.Text = api.HostRowSkipped, "Phone-only callers cannot be co-hosts in Zoom."
			p.Counts.Skipped++
		default:
			row.State, row.Text = api.HostRowPending, "Joined; about to be made co-host."
			p.Counts.Pending++
		}
		p.Rows = append(p.Rows, row)
	}
	p.Counts.Total = len(p.Rows)
	return p
}

// hostEnv is one host page under test: a Zoom simulator with a meeting, the fake cohostd, a
// server for the page and its API, and a headless Chromium.
type hostEnv struct {
	t       *testing.T
	b       *browser.Browser
	sim     *zoomsim.Server
	host    zoomsim.User
	meeting zoomsim.Meeting
	cohost  *fakeCohost
	srv     *httptest.Server
	secret  string
	scripts []string
	assets  string
	// cspOverride replaces HostCSP's policy (to show what the SDK needs).
	cspOverride string
	// coep, when set, makes the page cross-origin isolated as cohostd does (COOP same-origin)
	// with this Cross-Origin-Embedder-Policy.
	coep string

	mu   sync.Mutex
	urls []string // every request URI and Referer the page's server saw
}

type envOptions struct {
	// sdkScripts replaces the simulated SDK's script (COHOST_MEETING_SDK_URL).
	sdkScripts []string
	// sdkAssetPath is HostPageData.SDKAssetPath.
	sdkAssetPath string
	webSDK       zoomsim.WebSDKConfig
	// coep: see hostEnv.coep.
	coep string
}

func newHostEnv(t *testing.T, opt envOptions) *hostEnv {
	t.Helper()
	b := browser.New(t)
	sim, err := zoomsim.Start(zoomsim.Config{WebSDK: opt.webSDK, Seed: 7}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = sim.Close(ctx)
	})
	_, host, err := sim.AddDefaultAccount("")
	if err != nil {
		t.Fatal(err)
	}
	m, err := sim.CreateMeeting(zoomsim.MeetingSpec{HostID: host.ID, Topic: "Quarterly planning"})
	if err != nil {
		t.Fatal(err)
	}
	e := &hostEnv{t: t, b: b, sim: sim, host: host, meeting: m, secret: newSecret(t)}
	e.cohost = &fakeCohost{env: e, changed: make(chan struct{})}
	e.scripts, e.assets, e.coep = opt.sdkScripts, opt.sdkAssetPath, opt.coep
	if e.scripts == nil {
		e.scripts = []string{sim.SDKScriptURL()}
	}
	e.srv = httptest.NewServer(e.handler())
	t.Cleanup(e.srv.Close)
	return e
}

// newSecret makes a link secret like cohostd's: long, random, URL-safe.
func newSecret(t *testing.T) string {
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		t.Fatal(err)
	}
	return "hl1." + base64.RawURLEncoding.EncodeToString(buf)
}

// handler serves the page as cohostd would (headers included) and the fake API.
func (e *hostEnv) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /host/{id}", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		csp := HostCSP(e.scripts)
		if e.cspOverride != "" {
			csp = e.cspOverride
		}
		h.Set("Content-Security-Policy", csp)
		if e.coep != "" {
			h.Set("Cross-Origin-Opener-Policy", CrossOriginOpenerPolicy)
			h.Set("Cross-Origin-Embedder-Policy", e.coep)
		}
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Type", "text/html; charset=utf-8")
		if err := RenderHostPage(w, HostPageData{MeetingID: r.PathValue("id"), SDKScripts: e.scripts, AssetBase: "/host/assets", SDKAssetPath: e.assets}); err != nil {
			e.t.Errorf("render: %v", err)
		}
	})
	mux.Handle("GET /host/assets/", http.StripPrefix("/host/assets/", http.FileServerFS(HostAssets())))
	mux.HandleFunc("POST "+api.HostAPIPrefix+"/meetings/{id}/start", e.cohost.start)
	mux.HandleFunc("POST "+api.HostAPIPrefix+"/meetings/{id}/sync", e.cohost.sync)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.urls = append(e.urls, r.RequestURI, r.Header.Get("Referer"))
		e.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
}

// mintStart is a good HostStartResponse: a fresh ZAK of the host from the simulator and a role-1
// signature signed with the simulator's SDK secret at now.
func (e *hostEnv) mintStart(now time.Time) api.HostStartResponse {
	zak, err := e.sim.IssueZAK(e.host.ID)
	if err != nil {
		e.t.Error(err)
	}
	cfg := e.sim.Config()
	sig, err := meetingsdk.Signature(cfg.SDKKey, cfg.SDKSecret, e.meeting.ID, api.SDKRoleHost, now)
	if err != nil {
		e.t.Error(err)
	}
	f := e.cohost
	f.mu.Lock()
	f.minted = append(f.minted, zak, sig)
	n := f.starts
	f.mu.Unlock()
	return api.HostStartResponse{
		MeetingID:     strconv.FormatInt(e.meeting.ID, 10),
		MeetingNumber: e.meeting.ID,
		Password:      e.meeting.Password,
		Topic:         e.meeting.Topic,
		UserName:      e.host.DisplayName(),
		UserEmail:     e.host.Email,
		ZAK:           zak,
		Signature:     sig,
		SessionID:     fmt.Sprintf("session-%d", n),
		ExpiresAt:     now.Add(4 * time.Hour).UTC().Format(time.RFC3339),
		SyncMS:        testSyncMS,
	}
}

// pageURL is the host link: the page's path with the secret after "#".
func (e *hostEnv) pageURL() string {
	return e.srv.URL + api.HostPagePath(strconv.FormatInt(e.meeting.ID, 10)) + "#" + e.secret
}

// open loads the host link in the tab.
func (e *hostEnv) open(t *testing.T) {
	t.Helper()
	e.b.Run(t, chromedp.Navigate(e.pageURL()), chromedp.WaitReady("#app"))
}

// waitFor polls cond until it holds.
func (e *hostEnv) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s\nbrowser:\n%s", what, e.dump())
		}
		e.cohost.mu.Lock()
		ch := e.cohost.changed
		e.cohost.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitPage polls a JavaScript expression in the page until it is true.
func (e *hostEnv) waitPage(t *testing.T, what, expr string) {
	t.Helper()
	e.waitFor(t, what, func() bool {
		v, err := browser.EvalErr[bool](e.b, "!!("+expr+")")
		return err == nil && v
	})
}

// text is the trimmed text of the first element matching a selector ("" if none is visible).
func (e *hostEnv) text(t *testing.T, sel string) string {
	t.Helper()
	q, _ := json.Marshal(sel)
	return browser.Eval[string](t, e.b, `(() => { const el = document.querySelector(`+string(q)+`); return el && !el.closest('[hidden]') ? el.textContent.trim() : ''; })()`)
}

// waitText waits until the element's text contains want.
func (e *hostEnv) waitText(t *testing.T, sel, want string) {
	t.Helper()
	q, _ := json.Marshal(sel)
	w, _ := json.Marshal(want)
	e.waitPage(t, fmt.Sprintf("%s to say %q", sel, want),
		`(() => { const el = document.querySelector(`+string(q)+`); return el && !el.closest('[hidden]') && el.textContent.includes(`+string(w)+`); })()`)
}

func (e *hostEnv) phase(t *testing.T) string {
	t.Helper()
	return browser.Eval[string](t, e.b, `document.body.dataset.phase`)
}

// waitJoined waits until the page is live: joined as host, and a sync reported Connected.
func (e *hostEnv) waitJoined(t *testing.T) api.HostSyncRequest {
	t.Helper()
	e.waitPage(t, "the page to be live", `document.body.dataset.phase === 'live'`)
	_, s := e.cohost.waitSync(t, "a sync reporting Connected", 0, func(r api.HostSyncRequest) bool {
		return r.Connection == api.HostConnConnected && r.Me != nil
	})
	return s
}

// sessions are the simulated SDK's sessions of the meeting.
func (e *hostEnv) sessions() []zoomsim.SDKSession { return e.sim.SDKSessions(e.meeting.ID) }

// makeCoHostCalls are the simulated SDK's makeCoHost calls of the meeting.
func (e *hostEnv) makeCoHostCalls() []zoomsim.SDKCall {
	var out []zoomsim.SDKCall
	for _, c := range e.sim.SDKCalls(e.meeting.ID) {
		if c.Method == "makeCoHost" {
			out = append(out, c)
		}
	}
	return out
}

func (e *hostEnv) join(t *testing.T, spec zoomsim.JoinSpec) (zoomsim.Participant, int64) {
	t.Helper()
	p, err := e.sim.Join(e.meeting.ID, spec)
	if err != nil {
		t.Fatal(err)
	}
	uid, err := strconv.ParseInt(p.UserID, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return p, uid
}

// inRoster finds a participant in a sync's roster by user id.
func inRoster(req api.HostSyncRequest, userID int64) (api.HostRosterEntry, bool) {
	for _, r := range req.Roster {
		if r.UserID == userID {
			return r, true
		}
	}
	return api.HostRosterEntry{}, false
}

// assertClean fails on any console error, exception, CSP violation or failed load, except the
// failed loads allow accepts (a deliberate error status or a dropped connection), and on any
// leak of the link secret or of a minted ZAK or signature into a URL, a Referer or a console
// line.
func (e *hostEnv) assertClean(t *testing.T, allow func(browser.Message) bool) {
	t.Helper()
	for _, m := range e.b.Errors() {
		if allow != nil && m.Kind == browser.KindLog && m.Source == "network" && allow(m) {
			continue
		}
		t.Errorf("browser error: %s", m)
	}
	for _, m := range e.b.Messages() {
		if m.Kind == browser.KindConsole && m.Level == "warning" && !strings.Contains(m.Text, "sdkKey will be deprecated") {
			t.Errorf("browser warning: %s", m)
		}
	}
	e.assertNoLeak(t)
}

func (e *hostEnv) assertNoLeak(t *testing.T) {
	t.Helper()
	e.cohost.mu.Lock()
	secrets := append([]string{e.secret}, e.cohost.minted...)
	if n := e.cohost.badAuth; n > 0 {
		t.Errorf("%d requests without the link's bearer", n)
	}
	e.cohost.mu.Unlock()
	e.mu.Lock()
	urls := append([]string(nil), e.urls...)
	e.mu.Unlock()
	var seen []string
	for _, u := range urls {
		if u != "" {
			seen = append(seen, "request "+u)
		}
	}
	for _, m := range e.b.Messages() {
		seen = append(seen, "browser "+m.Text+" "+m.URL)
	}
	for _, u := range e.b.Blocked() {
		seen = append(seen, "blocked "+u)
	}
	if href, err := browser.EvalErr[string](e.b, `location.href`); err == nil {
		seen = append(seen, "location "+href)
	}
	for _, s := range seen {
		for _, secret := range secrets {
			if secret != "" && strings.Contains(s, secret) {
				t.Errorf("a secret leaked: %.120s", s)
			}
		}
	}
}

// apiFailure accepts the browser's own log line for a deliberate error status or dropped
// connection of the fake API.
func apiFailure(m browser.Message) bool {
	return strings.Contains(m.URL, api.HostAPIPrefix+"/meetings/")
}

func (e *hostEnv) dump() string {
	var sb strings.Builder
	for _, m := range e.b.Messages() {
		sb.WriteString("  " + m.String() + "\n")
	}
	if v, err := browser.EvalErr[string](e.b, `document.body ? document.body.dataset.phase + ' | ' + document.body.innerText.slice(0, 600) : ''`); err == nil {
		sb.WriteString("  page: " + v + "\n")
	}
	return sb.String()
}
