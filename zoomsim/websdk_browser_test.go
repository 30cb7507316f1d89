package zoomsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/internal/browser"
)

// testPageJS is the tiny host page's script: it inits the client and records every event.
const testPageJS = `
window.events = [];
window.client = ZoomMtgEmbedded.createClient();
window.ready = client.init({
  zoomAppRoot: document.getElementById('zmmtg'), language: 'en-US', patchJsMedia: true, leaveOnPageUnload: true,
}).then(() => {
  for (const ev of ['user-added', 'user-updated', 'user-removed', 'connection-change']) {
    client.on(ev, (p) => window.events.push({event: ev, payload: JSON.parse(JSON.stringify(p))}));
  }
  document.getElementById('state').textContent = 'ready';
});
window.settle = (p) => Promise.resolve(p).then((v) => JSON.stringify({resolved: v}), (e) => JSON.stringify({rejected: e, isError: e instanceof Error}));
window.waitEvent = (pred, ms) => new Promise((resolve, reject) => {
  const t0 = Date.now();
  (function poll() {
    const hit = window.events.find(pred);
    if (hit) return resolve(JSON.stringify(hit));
    if (Date.now() - t0 > ms) return reject(new Error('no such event in ' + JSON.stringify(window.events)));
    setTimeout(poll, 20);
  })();
});
`

// strictPage serves a page that loads the simulated SDK from sim under a CSP that allows only the
// page's origin, the SDK's origin and Zoom's service origins.
func strictPage(t *testing.T, sim string) *httptest.Server {
	mux := http.NewServeMux()
	csp := fmt.Sprintf("default-src 'none'; script-src 'self' %[1]s; connect-src 'self' %[1]s https://*.zoom.us wss://*.zoom.us; "+
		"style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'", sim)
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/page.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write([]byte(testPageJS))
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>host page</title></head><body>
<p id="state">loading</p><div id="zmmtg"></div>
<script src="%s%s"></script><script src="/page.js"></script></body></html>`, sim, SDKScriptPath)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type jsSettled struct {
	Resolved *string
	Rejected map[string]any
	IsError  bool
}

func settle(t *testing.T, b *browser.Browser, expr string) jsSettled {
	t.Helper()
	raw := browser.Eval[string](t, b, "settle("+expr+")")
	var s jsSettled
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return s
}

func wantJSRejected(t *testing.T, what string, got jsSettled, want SDKError) {
	t.Helper()
	w := map[string]any{"type": want.Type}
	if want.Reason != "" {
		w["reason"] = want.Reason
	}
	if want.ErrorCode != 0 {
		w["errorCode"] = float64(want.ErrorCode)
	}
	a, _ := json.Marshal(got.Rejected)
	e, _ := json.Marshal(w)
	if got.IsError || got.Resolved != nil || string(a) != string(e) {
		t.Errorf("%s: %+v (%s), want a rejection with %s", what, got, a, e)
	}
}

// TestSimulatedSDKInBrowser runs a tiny host page under a strict CSP in headless Chromium against
// the simulated SDK: a bad join, a host join with a ZAK from the REST API, roster events as
// participants come and go, makeCoHost and its errors, the waiting room, and leaving.
func TestSimulatedSDKInBrowser(t *testing.T) {
	b := browser.New(t)
	h := newHarness(t, Config{WebSDK: WebSDKConfig{MakeCoHostTimeout: 400 * time.Millisecond}}, false)
	m, err := h.sim.CreateMeeting(MeetingSpec{HostID: h.host.ID, Topic: "Browser"})
	if err != nil {
		t.Fatal(err)
	}
	page := strictPage(t, h.srv.URL)
	b.Run(t, chromedp.Navigate(page.URL+"/"), chromedp.WaitReady("#state"))
	browser.Eval[any](t, b, "window.ready.then(() => null)")

	// A bad signature rejects like Zoom.
	bad := settle(t, b, fmt.Sprintf(`client.join({signature: %q, meetingNumber: '%d', password: %q, userName: 'Host'})`,
		sdkSignature(t, "someone-else", "wrong", m.ID, time.Now(), nil), m.ID, m.Password))
	wantJSRejected(t, "join with a bad signature", bad, errJoinSignature)

	// The host's ZAK from the REST API, and a role-1 signature.
	st, _, raw := h.do("GET", "/v2/users/"+h.host.ID+"/token?type=zak", h.s2sToken(), nil)
	if st != 200 {
		t.Fatalf("zak: %d %s", st, raw)
	}
	zak := decodeJSON(t, raw)["token"].(string)
	join := settle(t, b, fmt.Sprintf(`client.join({signature: %q, meetingNumber: '%d', password: %q, userName: 'Host page', zak: %q})`,
		h.signature(m.ID, nil), m.ID, m.Password, zak))
	if join.Resolved == nil || *join.Resolved != "" {
		t.Fatalf("host join: %+v", join)
	}
	me := browser.Eval[map[string]any](t, b, `client.getCurrentUser()`)
	if me["isHost"] != true || me["isCoHost"] != false || me["userName"] != "Host page" {
		t.Errorf("getCurrentUser %v", me)
	}
	if mm := mustMeeting(t, h, m.ID); mm.Status != MeetingStarted || mm.Participants[0].Role != RoleHost {
		t.Errorf("meeting after the host join: %+v", mm)
	}

	guest, _ := h.sim.Join(m.ID, JoinSpec{Name: "Guest One"})
	browser.Eval[string](t, b, `waitEvent(e => e.event === 'user-added' && e.payload[0].displayName === 'Guest One', 3000)`)
	list := browser.Eval[[]map[string]any](t, b, `client.getAttendeeslist()`)
	if len(list) != 2 {
		t.Fatalf("getAttendeeslist %v", list)
	}
	var g map[string]any
	for _, p := range list {
		if p["participantUUID"] == guest.ParticipantUUID {
			g = p
		}
	}
	if g == nil || g["userId"] != float64(userIDOf(t, guest)) || g["isCoHost"] != false || g["isHold"] != false ||
		g["isPhoneUser"] != false || g["isGuest"] != true || g["userName"] != "Guest One" {
		t.Fatalf("the guest in getAttendeeslist: %v", g)
	}

	ok := settle(t, b, fmt.Sprintf(`client.makeCoHost(%d)`, userIDOf(t, guest)))
	if ok.Resolved == nil || *ok.Resolved != "" {
		t.Fatalf("makeCoHost: %+v", ok)
	}
	if co := browser.Eval[bool](t, b, fmt.Sprintf(`client.getAttendeeslist().find(p => p.userId === %d).isCoHost`, userIDOf(t, guest))); !co {
		t.Error("makeCoHost resolved before the roster showed the co-host")
	}
	if pr, ok := h.sim.Ledger().Promotion(m.ID, guest.Key()); !ok || pr.Via != PromotedBySDK || pr.RoleChangedRequestID == "" {
		t.Errorf("promotion %+v", pr)
	}
	if n := len(h.sim.Ledger().Deliveries("meeting.participant_role_changed")); n != 1 {
		t.Errorf("%d role_changed webhooks", n)
	}

	wantJSRejected(t, "makeCoHost of no one", settle(t, b, `client.makeCoHost(424242)`), errSDKNoMatchingUser)
	wantJSRejected(t, "makeCoHost again", settle(t, b, fmt.Sprintf(`client.makeCoHost(%d)`, userIDOf(t, guest))),
		SDKError{Type: "INVALID_PARAMETERS", Reason: fmt.Sprintf("user:[%d] is already co-host ", userIDOf(t, guest)), ErrorCode: 5011})

	// On hold in the waiting room, then admitted.
	h.sim.SetWebSDK(WebSDKConfig{MakeCoHostTimeout: 400 * time.Millisecond, WaitingRoom: true})
	held, _ := h.sim.Join(m.ID, JoinSpec{Name: "Held"})
	browser.Eval[string](t, b, `waitEvent(e => e.event === 'user-added' && e.payload[0].displayName === 'Held' && e.payload[0].bHold, 3000)`)
	wantJSRejected(t, "makeCoHost on hold", settle(t, b, fmt.Sprintf(`client.makeCoHost(%d)`, userIDOf(t, held))), errSDKNoMatchingUser)
	if _, err := h.sim.Admit(m.ID, held.Key()); err != nil {
		t.Fatal(err)
	}
	browser.Eval[string](t, b, `waitEvent(e => e.event === 'user-added' && e.payload[0].displayName === 'Held' && e.payload[0].source === 'on hold', 3000)`)

	// An injected rejection, then a time-out, then success.
	injected := SDKError{Type: "OPERATION_TIMEOUT", ErrorCode: 1}
	if err := h.sim.RejectMakeCoHost(m.ID, held.Key(), 1, injected); err != nil {
		t.Fatal(err)
	}
	wantJSRejected(t, "injected", settle(t, b, fmt.Sprintf(`client.makeCoHost(%d)`, userIDOf(t, held))), injected)
	h.sim.SetWebSDK(WebSDKConfig{MakeCoHostTimeout: 400 * time.Millisecond, TimeOutMakeCoHost: true})
	wantJSRejected(t, "time-out", settle(t, b, fmt.Sprintf(`client.makeCoHost(%d)`, userIDOf(t, held))), errSDKTimeout)
	h.sim.SetWebSDK(WebSDKConfig{MakeCoHostTimeout: 400 * time.Millisecond})
	if s := settle(t, b, fmt.Sprintf(`client.makeCoHost(%d)`, userIDOf(t, held))); s.Resolved == nil {
		t.Errorf("makeCoHost after admission: %+v", s)
	}

	if err := h.sim.Leave(m.ID, guest.Key()); err != nil {
		t.Fatal(err)
	}
	browser.Eval[string](t, b, fmt.Sprintf(`waitEvent(e => e.event === 'user-removed' && e.payload[0].userId === %d, 3000)`, userIDOf(t, guest)))

	if s := settle(t, b, `client.leaveMeeting()`); s.Resolved == nil {
		t.Errorf("leaveMeeting: %+v", s)
	}
	browser.Eval[string](t, b, `waitEvent(e => e.event === 'connection-change' && e.payload.state === 'Closed', 3000)`)
	if n := browser.Eval[int](t, b, `client.getAttendeeslist().length`); n != 0 {
		t.Errorf("after leaving, %d attendees", n)
	}
	sess := h.sim.SDKSessions(m.ID)
	if len(sess) != 1 || sess[0].CloseReason != SDKClosedLeave {
		t.Errorf("sessions %+v", sess)
	}
	if n := h.sim.MaxMakeCoHostInFlight(m.ID); n != 1 {
		t.Errorf("max makeCoHost in flight %d, want 1 (the page awaited each call)", n)
	}
	b.AssertNoConsoleErrors(t)
	for _, msg := range b.Messages() {
		if msg.Level == "warning" && !strings.Contains(msg.Text, "sdkKey will be deprecated") {
			t.Errorf("unexpected warning: %s", msg)
		}
	}
	if bl := b.Blocked(); len(bl) != 0 {
		t.Errorf("requests left the machine: %v", bl)
	}
}

// TestSimulatedSDKPageClosed closes the tab: the event stream drops and, after the grace, the host
// leaves the meeting.
func TestSimulatedSDKPageClosed(t *testing.T) {
	b := browser.New(t)
	h := newHarness(t, Config{WebSDK: WebSDKConfig{PageClosedGrace: 200 * time.Millisecond}}, false)
	m := h.startedMeeting()
	page := strictPage(t, h.srv.URL)
	b.Run(t, chromedp.Navigate(page.URL+"/"), chromedp.WaitReady("#state"))
	browser.Eval[any](t, b, "window.ready.then(() => null)")
	zak, _ := h.sim.IssueZAK(h.host.ID)
	if s := settle(t, b, fmt.Sprintf(`client.join({signature: %q, meetingNumber: '%d', password: %q, userName: 'Host page', zak: %q})`,
		h.signature(m.ID, nil), m.ID, m.Password, zak)); s.Resolved == nil {
		t.Fatalf("join %+v", s)
	}
	// Navigating away without leaveOnPageUnload's beacon mattering: about:blank drops the stream.
	b.Run(t, chromedp.Navigate("about:blank"))
	_, err := h.sim.WaitFor(waitCtx(t), func(l Ledger) bool {
		return len(l.SDKSessions) == 1 && l.SDKSessions[0].ClosedAt != time.Time{}
	})
	if err != nil {
		t.Fatal("the session did not close")
	}
	s := h.sim.SDKSessions(m.ID)[0]
	// leaveOnPageUnload sends a beacon on pagehide, so the page leaves at once; without it the
	// grace would close it as page_closed.
	if s.CloseReason != SDKClosedLeave && s.CloseReason != SDKClosedPage {
		t.Errorf("close reason %q", s.CloseReason)
	}
	if p, _ := h.sim.Participant(m.ID, s.ParticipantUUID); p.Present {
		t.Error("the host is still in the meeting")
	}
	b.AssertNoConsoleErrors(t)
}
