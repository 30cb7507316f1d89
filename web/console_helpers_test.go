package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/internal/browser"
)

// testPoll is the console's poll interval in these tests, so that they move along.
const testPoll = 250 * time.Millisecond

// fakeAdmin plays the admin API from data the test sets: it checks the bearer token, answers
// with ETags and 304 as cohostd does, and records every request.
type fakeAdmin struct {
	mu       sync.Mutex
	token    string
	meetings []api.AdminMeeting
	details  map[string]api.AdminMeetingDetail
	summary  api.AdminSummary
	// fail, when set, answers every /v1 request instead of the data.
	fail *reply
	// hostLink answers POST …/host-link; nil: a good link.
	hostLink func(id string) reply
	requests []adminRequest
}

type adminRequest struct {
	Method, URI, IfNoneMatch string
	Status                   int
}

func (f *fakeAdmin) set(fn func(f *fakeAdmin)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeAdmin) Requests() []adminRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]adminRequest(nil), f.requests...)
}

func (f *fakeAdmin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	status := f.serve(w, r)
	f.requests = append(f.requests, adminRequest{r.Method, r.RequestURI, r.Header.Get("If-None-Match"), status})
}

func (f *fakeAdmin) serve(w http.ResponseWriter, r *http.Request) int {
	w.Header().Set("Cache-Control", "no-store")
	if f.fail != nil {
		writeReply(w, *f.fail)
		return f.fail.status
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cohost-admin", error="invalid_token"`)
		writeReply(w, apiErr(http.StatusUnauthorized, api.AdminErrUnauthorized, "the token's signature does not verify with COHOST_ADMIN_SECRET"))
		return http.StatusUnauthorized
	}
	path := strings.TrimPrefix(r.URL.Path, "/v1")
	switch {
	case r.Method == http.MethodGet && path == "/meetings":
		return tagged(w, r, api.AdminMeetingList{Meetings: f.meetings, Limit: 100})
	case r.Method == http.MethodGet && path == "/summary":
		return tagged(w, r, f.summary)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/meetings/"):
		id := strings.TrimPrefix(path, "/meetings/")
		d, ok := f.details[id]
		if !ok {
			writeReply(w, apiErr(http.StatusNotFound, api.AdminErrMeetingNotFound, "the ledger has no meeting "+id))
			return http.StatusNotFound
		}
		return tagged(w, r, d)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/host-link"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, "/meetings/"), "/host-link")
		rep := reply{status: http.StatusCreated, body: api.AdminHostLink{
			URL: "http://" + r.Host + "/host/" + id + "#" + testLinkSecret, ExpiresAt: time.Now().Add(5 * time.Hour).UTC(),
			MeetingID: id, AccountID: "acct-1",
		}}
		if f.hostLink != nil {
			rep = f.hostLink(id)
		}
		writeReply(w, rep)
		return rep.status
	}
	writeReply(w, apiErr(http.StatusNotFound, api.AdminErrNotFound, "no such admin route"))
	return http.StatusNotFound
}

// testLinkSecret is the secret of the host links the fake mints.
const testLinkSecret = "Zq3K1vX9hL0pT8sW2mN6bR4cY7dF5gJ1aE3uI9oP0kQ"

// tagged answers like cohostd's writeJSONTagged: an ETag of the body, 304 when it matches.
func tagged(w http.ResponseWriter, r *http.Request, v any) int {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	tag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	w.Header().Set("ETag", tag)
	if r.Header.Get("If-None-Match") == tag {
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return http.StatusOK
}

// consoleEnv is one console under test: the fake admin API, a server for the console as cohostd
// serves it, and a headless Chromium.
type consoleEnv struct {
	t     *testing.T
	b     *browser.Browser
	admin *fakeAdmin
	srv   *httptest.Server
	token string

	mu   sync.Mutex
	seen []string // every request URI and Referer the server saw
}

type consoleOptions struct {
	adminOff string
}

func newConsoleEnv(t *testing.T, opt consoleOptions) *consoleEnv {
	t.Helper()
	b := browser.New(t)
	e := &consoleEnv{t: t, b: b, token: newAdminToken(t)}
	e.admin = &fakeAdmin{token: e.token, details: map[string]api.AdminMeetingDetail{}, summary: api.AdminSummary{WindowSeconds: 3600, Reasons: []api.AdminReasonCount{}}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ConsoleCSP())
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Type", "text/html; charset=utf-8")
		if err := RenderConsole(w, ConsoleData{AssetBase: "/console/assets", AdminOff: opt.adminOff, PollInterval: testPoll}); err != nil {
			t.Errorf("render: %v", err)
		}
	})
	mux.Handle("GET /console/assets/", http.StripPrefix("/console/assets/", http.FileServerFS(ConsoleAssets())))
	mux.Handle("/v1/", e.admin)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.seen = append(e.seen, r.RequestURI, r.Header.Get("Referer"))
		e.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// newAdminToken makes a token shaped like cohostd's (three base64url parts); the fake only
// compares it.
func newAdminToken(t *testing.T) string {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		t.Fatal(err)
	}
	return "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJjb2hvc3QtYWRtaW4ifQ." + base64.RawURLEncoding.EncodeToString(buf)
}

func (e *consoleEnv) open(t *testing.T, fragment string) {
	t.Helper()
	e.b.Run(t, chromedp.Navigate(e.srv.URL+"/console"+fragment), chromedp.WaitReady("#app"))
}

// signIn pastes a token into the form and submits it.
func (e *consoleEnv) signIn(t *testing.T, token string) {
	t.Helper()
	e.waitView(t, "signin")
	e.b.Run(t, chromedp.SetValue("#token", token), chromedp.Click(`#signin button[type="submit"]`))
}

func (e *consoleEnv) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s\nbrowser:\n%s", what, e.dump())
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func (e *consoleEnv) waitPage(t *testing.T, what, expr string) {
	t.Helper()
	e.waitFor(t, what, func() bool {
		v, err := browser.EvalErr[bool](e.b, "!!("+expr+")")
		return err == nil && v
	})
}

func (e *consoleEnv) waitView(t *testing.T, view string) {
	t.Helper()
	e.waitPage(t, "the "+view+" view", `document.body.dataset.view === '`+view+`'`)
}

// waitText waits until the visible element's text contains want.
func (e *consoleEnv) waitText(t *testing.T, sel, want string) {
	t.Helper()
	q, _ := json.Marshal(sel)
	w, _ := json.Marshal(want)
	e.waitPage(t, fmt.Sprintf("%s to say %q", sel, want),
		`(() => { const el = document.querySelector(`+string(q)+`); return el && !el.closest('[hidden]') && el.textContent.includes(`+string(w)+`); })()`)
}

func (e *consoleEnv) text(t *testing.T, sel string) string {
	t.Helper()
	q, _ := json.Marshal(sel)
	return browser.Eval[string](t, e.b, `(() => { const el = document.querySelector(`+string(q)+`); return el && !el.closest('[hidden]') ? el.textContent.trim() : ''; })()`)
}

// shownRow is a participant row as the console shows it.
type shownRow struct {
	Key, State, Reason, Name, Granter, Summary, Detail, Code, Time, MS, Text string
}

func (e *consoleEnv) rows(t *testing.T) []shownRow {
	t.Helper()
	return browser.Eval[[]shownRow](t, e.b, consoleRowsJS)
}

// consoleRowsJS reads the participants table of the console.
const consoleRowsJS = `[...document.querySelectorAll('#people tr')].map(tr => ({
	Key: tr.dataset.key, State: tr.dataset.state, Reason: tr.dataset.reason,
	Name: tr.querySelector('.p-name').textContent, Granter: tr.querySelector('.p-granter').textContent,
	Summary: tr.querySelector('.p-summary').textContent,
	Detail: tr.querySelector('.p-detail').hidden ? '' : tr.querySelector('.p-detail').textContent,
	Code: tr.querySelector('.p-code').hidden ? '' : tr.querySelector('.p-code').textContent,
	Time: tr.querySelector('.p-time').textContent, MS: tr.querySelector('.p-time').dataset.ms || '',
	Text: tr.textContent }))`

// checkRows compares the console's participant rows with the admin API's participants.
func checkRows(t *testing.T, got []shownRow, want []api.AdminParticipant) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows shown, the API has %d participants", len(got), len(want))
	}
	for i, p := range want {
		r := got[i]
		granter := p.Granter
		if granter == "" {
			granter = "—"
		}
		ms := ""
		switch {
		case p.TimeToConfirmMS != nil:
			ms = fmt.Sprint(*p.TimeToConfirmMS)
		case p.TimeToGrantMS != nil:
			ms = fmt.Sprint(*p.TimeToGrantMS)
		}
		if r.Key != p.Key || r.State != p.State || r.Reason != p.Reason || r.Granter != granter || r.Summary != p.Summary ||
			r.Code != p.Reason || r.MS != ms {
			t.Errorf("row %d shows %+v\n  the API has key %s state %s reason %q granter %q summary %q time %s", i, r, p.Key, p.State, p.Reason, p.Granter, p.Summary, ms)
		}
		if p.Name != "" && r.Name != p.Name {
			t.Errorf("row %d name %q, want %q", i, r.Name, p.Name)
		}
		for _, part := range []string{p.ReasonText, p.Detail} {
			if part != "" && !strings.Contains(r.Text, part) {
				t.Errorf("row %d (%s) does not say %q: %s", i, p.Key, part, r.Text)
			}
		}
	}
}

// withTimes counts the participants the chart has a bar for.
func withTimes(ps []api.AdminParticipant) int {
	n := 0
	for _, p := range ps {
		if p.TimeToConfirmMS != nil || p.TimeToGrantMS != nil {
			n++
		}
	}
	return n
}

// assertClean fails on any console error, exception, CSP violation or failed load (except those
// allow accepts: a deliberate error status of the fake API), on any warning, and on the token in
// any URL, Referer, console line or the address.
func (e *consoleEnv) assertClean(t *testing.T, allow func(browser.Message) bool) {
	t.Helper()
	for _, m := range e.b.Errors() {
		if allow != nil && m.Kind == browser.KindLog && m.Source == "network" && allow(m) {
			continue
		}
		t.Errorf("browser error: %s", m)
	}
	for _, m := range e.b.Messages() {
		if m.Level == "warning" {
			t.Errorf("browser warning: %s", m)
		}
	}
	e.mu.Lock()
	seen := append([]string(nil), e.seen...)
	e.mu.Unlock()
	for _, m := range e.b.Messages() {
		seen = append(seen, m.Text+" "+m.URL)
	}
	if href, err := browser.EvalErr[string](e.b, `location.href`); err == nil {
		seen = append(seen, href)
	}
	for _, s := range seen {
		if strings.Contains(s, e.token) || strings.Contains(s, e.token[len(e.token)-20:]) {
			t.Errorf("the admin token leaked: %.120s", s)
		}
	}
}

func jsQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func adminAPIFailure(m browser.Message) bool { return strings.Contains(m.URL, "/v1/") }

func (e *consoleEnv) dump() string {
	var sb strings.Builder
	for _, m := range e.b.Messages() {
		sb.WriteString("  " + m.String() + "\n")
	}
	if v, err := browser.EvalErr[string](e.b, `document.body ? document.body.dataset.view + ' | ' + document.body.innerText.slice(0, 800) : ''`); err == nil {
		sb.WriteString("  page: " + v + "\n")
	}
	return sb.String()
}

// consoleFixture is a realistic ledger: a live all-hands run from the host page with every
// state, beside other meetings, and the last hour's totals.
func consoleFixture(now time.Time) ([]api.AdminMeeting, map[string]api.AdminMeetingDetail, api.AdminSummary) {
	at := func(d time.Duration) *time.Time { t := now.Add(d).UTC().Truncate(time.Second); return &t }
	msp := func(n int64) *int64 { return &n }
	type person struct {
		name, email                string
		state, granter             string
		reason                     grant.Reason
		detail                     string
		grantMS, confirmMS, joinAt int64 // joinAt: seconds after the start
		attempts                   int
		left                       bool
	}
	crowd := []person{
		{"Maya Okafor", "maya@example.com", "skipped", "", grant.ReasonHost, "", 0, 0, 0, 0, false},
		{"Jonas Berg", "jonas@example.com", "confirmed", "host-client", "", "", 1180, 1420, 12, 1, false},
		{"Grace Liu", "grace@example.com", "failed", "host-client", grant.ReasonOnHold, "Zoom error 3035: the participant is in the waiting room", 0, 0, 14, 6, false},
		{"Caller +1 555 0134", "", "skipped", "", grant.ReasonPhoneOnly, "", 0, 0, 13, 0, false},
		{"Priya Natarajan", "priya@example.com", "confirmed", "host-client", "", "", 1530, 1790, 14, 1, false},
		{"Lucas Martin", "", "confirmed", "host-client", "", "", 2210, 2460, 15, 1, false},
		{"Aiko Tanaka", "aiko@example.com", "confirmed", "host-client", "", "", 2900, 3180, 15, 1, false},
		{"Sam Rivera", "sam@example.com", "confirmed", "host-client", "", "", 1040, 1260, 64, 1, false},
		{"Elena Petrova", "elena@example.com", "confirmed", "host-client", "", "", 1310, 1600, 65, 2, false},
		{"Tom Becker", "sales@vendor.example", "skipped", "", grant.ReasonParticipantOutOfScope, "", 0, 0, 80, 0, false},
		{"Noah Kim", "", "confirmed", "host-client", "", "", 4100, 4390, 95, 3, false},
		{"Omar Haddad", "omar@example.com", "granted", "permissions", "", "", 31200, 0, 300, 1, false},
		{"Chloe Dubois", "", "confirmed", "host-client", "", "", 980, 1190, 610, 1, true},
		{"Mateo García", "mateo@example.com", "confirmed", "host-client", "", "", 1120, 1350, 1200, 1, false},
		{"Ines Costa", "ines@example.com", "confirmed", "host-client", "", "", 1450, 1720, 1900, 1, false},
		{"Ben Carter", "", "pending", "host-client", "", "", 0, 0, 2270, 1, false},
	}
	const liveID = "85746065432"
	var ps []api.AdminParticipant
	counts := api.AdminGrantCounts{}
	for i, c := range crowd {
		joined := at(time.Duration(c.joinAt)*time.Second - 38*time.Minute)
		p := api.AdminParticipant{
			MeetingUUID: "4f1Xq2m8TfKc0b3Zz9w1Aw==", Key: fmt.Sprintf("pu-%02d-%s", i, strings.ToLower(strings.Fields(c.name)[0])),
			UserID: fmt.Sprint(16778240 + i), Name: c.name, Email: c.email, SignedIn: c.email != "",
			JoinedAt: joined, JoinSeenAt: joined, Present: !c.left, State: c.state, Granter: c.granter,
			Reason: string(c.reason), Detail: c.detail, Attempts: c.attempts,
		}
		if c.left {
			p.LeftAt = at(time.Duration(c.joinAt+600)*time.Second - 38*time.Minute)
		}
		if c.reason != "" {
			p.ReasonText = c.reason.Text()
		}
		if c.grantMS > 0 {
			p.GrantedAt, p.TimeToGrantMS = at(time.Duration(c.joinAt)*time.Second-38*time.Minute+time.Duration(c.grantMS)*time.Millisecond), msp(c.grantMS)
		}
		if c.confirmMS > 0 {
			p.ConfirmedAt, p.TimeToConfirmMS = at(time.Duration(c.joinAt)*time.Second-38*time.Minute+time.Duration(c.confirmMS)*time.Millisecond), msp(c.confirmMS)
		}
		// The summary is cohostd's sentence for such a participant (grant.Describe).
		gp := grant.Participant{State: grant.State(c.state), Granter: c.granter, Reason: c.reason, Detail: c.detail, Attempts: c.attempts}
		if c.confirmMS > 0 {
			gp.JoinSeenAt = *joined
			gp.ConfirmedAt = gp.JoinSeenAt.Add(time.Duration(c.confirmMS) * time.Millisecond)
		}
		progress := grant.Progress{}
		if c.state == "pending" {
			progress = grant.Progress{Granter: "host-client", Step: grant.StepQueued, Place: 1, Wait: time.Second}
		}
		p.Summary = grant.Describe(gp, progress)
		switch c.state {
		case "confirmed":
			counts.Confirmed++
		case "granted":
			counts.Granted++
		case "pending":
			counts.Pending++
		case "skipped":
			counts.Skipped++
		case "failed":
			counts.Failed++
		}
		counts.Total++
		ps = append(ps, p)
	}
	live := api.AdminMeeting{
		AccountID: "acct-1", MeetingID: liveID, UUID: "4f1Xq2m8TfKc0b3Zz9w1Aw==", Topic: "Quarterly all-hands",
		HostID: "x1yCzABCDEfg23HiJKl4mN", HostEmail: "maya@example.com", Status: "started",
		StartTime: at(-40 * time.Minute), StartedAt: at(-38 * time.Minute), Grants: counts,
		HostPage: &api.AdminHostPage{State: api.AdminHostPageRunning, Since: at(-2 * time.Second), Connection: "Connected", Summary: "a host page runs this meeting"},
	}
	meetings := []api.AdminMeeting{
		live,
		{AccountID: "acct-1", MeetingID: "81234567890", Topic: "Design review: onboarding flow", Status: "started", StartedAt: at(-12 * time.Minute),
			Grants: api.AdminGrantCounts{Total: 6, Confirmed: 4, Granted: 1, Skipped: 1}},
		{AccountID: "acct-1", MeetingID: "93012345678", Topic: "Customer onboarding — Northwind", Status: "ended", StartedAt: at(-95 * time.Minute), EndedAt: at(-41 * time.Minute),
			Grants: api.AdminGrantCounts{Total: 9, Confirmed: 7, Skipped: 2}},
		{AccountID: "acct-1", MeetingID: "84455667788", Topic: "Weekly sync", Status: "scheduled", StartTime: at(50 * time.Minute)},
		{AccountID: "acct-2", MeetingID: "87766554433", Topic: "Board prep", Status: "ended", StartedAt: at(-26 * time.Hour), EndedAt: at(-25 * time.Hour),
			Grants: api.AdminGrantCounts{Total: 4, Confirmed: 2, Failed: 1, Skipped: 1}},
	}
	details := map[string]api.AdminMeetingDetail{
		liveID: {Meeting: live, Participants: ps, Granters: []api.AdminGranterState{
			{Granter: "host-client", State: "prepared", Detail: "co-host is on in the host's settings; the host page runs the meeting", At: at(-41 * time.Minute)},
			{Granter: "permissions", State: "prepare_failed", Detail: "applied 12 of 14 settings; locked by the account admin: in_meeting.annotation, in_meeting.whiteboard", At: at(-41 * time.Minute)},
		}},
		"81234567890": {Meeting: meetings[1], Granters: []api.AdminGranterState{}, Participants: []api.AdminParticipant{}},
	}
	summary := api.AdminSummary{
		WindowSeconds: 3600, MeetingsLive: 2,
		Grants: api.AdminGrantCounts{Total: 31, Confirmed: 21, Granted: 2, Pending: 1, Skipped: 6, Failed: 1},
		Reasons: []api.AdminReasonCount{
			{State: "skipped", Reason: "is_host", ReasonText: grant.ReasonHost.Text(), Count: 3},
			{State: "skipped", Reason: "phone_only", ReasonText: grant.ReasonPhoneOnly.Text(), Count: 2},
			{State: "failed", Reason: "on_hold", ReasonText: grant.ReasonOnHold.Text(), Count: 1},
			{State: "skipped", Reason: "participant_out_of_scope", ReasonText: grant.ReasonParticipantOutOfScope.Text(), Count: 1},
		},
		TimeToGrant:   api.AdminDurationStats{Count: 23, P50MS: msp(1450), P90MS: msp(4100), MaxMS: msp(31200)},
		TimeToConfirm: api.AdminDurationStats{Count: 21, P50MS: msp(1600), P90MS: msp(3180), MaxMS: msp(4390)},
	}
	return meetings, details, summary
}
