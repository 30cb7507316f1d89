package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/internal/browser"
	"github.com/cohost-dev/cohost/zoomsim"
)

// TestHostPageJoinsAsHostAndReportsTheRoster: the secret is read from the fragment and removed
// from the address; the page starts the meeting as host in the simulated SDK, reports itself and
// each joiner as the SDK's roster shows them, and Tab reaches Leave and End.
func TestHostPageJoinsAsHostAndReportsTheRoster(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	e.open(t)
	first := e.waitJoined(t)

	if href := browser.Eval[string](t, e.b, `location.href`); strings.Contains(href, "#") {
		t.Errorf("the address still has a fragment: %s", href)
	}
	key := fmt.Sprintf(`sessionStorage.getItem('cohost.host-link.%d')`, e.meeting.ID)
	if got := browser.Eval[string](t, e.b, key); got != e.secret {
		t.Error("the secret is not kept in sessionStorage for this meeting")
	}
	if first.SessionID != "session-1" || first.Me == nil || !first.Me.IsHost || first.Me.UserName != e.host.DisplayName() {
		t.Errorf("first Connected sync %+v, want session-1 and me as host", first)
	}
	if s := e.cohost.Syncs()[0]; s.Connection != api.HostConnJoining || s.Me != nil || len(s.Roster) != 0 {
		t.Errorf("first sync %+v, want joining with no one yet", s)
	}
	sess := e.sessions()
	if len(sess) != 1 || sess[0].Role != zoomsim.RoleHost || !sess[0].ClosedAt.IsZero() {
		t.Fatalf("SDK sessions %+v, want one open host session", sess)
	}
	if m, _ := e.sim.Meeting(e.meeting.ID); m.Status != zoomsim.MeetingStarted {
		t.Errorf("meeting status %s after the host joined", m.Status)
	}
	e.waitText(t, "#conn-text", "Live")
	e.waitText(t, "#topic", e.meeting.Topic)

	n := len(e.cohost.Syncs())
	ana, anaID := e.join(t, zoomsim.JoinSpec{Name: "Ana Lima"})
	_, s := e.cohost.waitSync(t, "a sync with Ana in the roster", n, func(r api.HostSyncRequest) bool {
		_, ok := inRoster(r, anaID)
		return ok
	})
	got, _ := inRoster(s, anaID)
	want := api.HostRosterEntry{UserID: anaID, ParticipantUUID: ana.ParticipantUUID, UserName: "Ana Lima", IsGuest: true}
	if got != want {
		t.Errorf("Ana in the roster %+v, want %+v", got, want)
	}
	if me, ok := inRoster(s, first.Me.UserID); !ok || !me.IsHost {
		t.Errorf("the host is not in the roster as host: %+v", s.Roster)
	}
	_, phoneID := e.join(t, zoomsim.JoinSpec{PhoneNumber: "+15550100"})
	_, s = e.cohost.waitSync(t, "a sync with the phone caller", n, func(r api.HostSyncRequest) bool {
		p, ok := inRoster(r, phoneID)
		return ok && p.IsPhoneUser
	})
	if len(s.Roster) != 3 {
		t.Errorf("roster %+v, want the host, Ana and the caller", s.Roster)
	}
	e.waitText(t, "#rows", "Ana Lima")

	// Keyboard: from the top of the page, Tab reaches Leave, then End, with a visible focus.
	browser.Eval[any](t, e.b, `document.activeElement && document.activeElement.blur(), null`)
	e.b.Run(t, chromedp.KeyEvent(kb.Tab))
	if id := browser.Eval[string](t, e.b, `document.activeElement.id`); id != "leave" {
		t.Errorf("first Tab focuses %q, want leave", id)
	}
	if o := browser.Eval[string](t, e.b, `getComputedStyle(document.activeElement).outlineStyle`); o == "none" {
		t.Error("the focused Leave button shows no outline")
	}
	e.b.Run(t, chromedp.KeyEvent(kb.Tab))
	if id := browser.Eval[string](t, e.b, `document.activeElement.id`); id != "end" {
		t.Errorf("second Tab focuses %q, want end", id)
	}
	for _, id := range []string{"leave", "end"} {
		if tag := browser.Eval[string](t, e.b, `document.getElementById('`+id+`').tagName`); tag != "BUTTON" {
			t.Errorf("#%s is a %s", id, tag)
		}
	}
	if n := len(e.makeCoHostCalls()); n != 0 {
		t.Errorf("%d makeCoHost calls without a promote action", n)
	}
	e.assertClean(t, nil)
}

// TestHostPageKeepsTheSecretAcrossAReload: a reload has no fragment, reads the secret from
// sessionStorage, starts a new session and joins again (the old one closes).
func TestHostPageKeepsTheSecretAcrossAReload(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	e.open(t)
	e.waitJoined(t)
	n := len(e.cohost.Syncs())
	e.b.Run(t, chromedp.Reload(), chromedp.WaitReady("#app"))
	e.cohost.waitSync(t, "a sync of the reloaded page", n, func(r api.HostSyncRequest) bool {
		return r.SessionID == "session-2" && r.Connection == api.HostConnConnected
	})
	if got := e.cohost.Starts(); got != 2 {
		t.Errorf("%d starts, want 2", got)
	}
	// leaveOnPageUnload leaves on pagehide; had the beacon been lost, Zoom would close the old
	// session as duplicated when the same host joined again.
	e.waitFor(t, "the first session to close", func() bool {
		s := e.sessions()
		return len(s) == 2 && (s[0].CloseReason == zoomsim.SDKClosedLeave || s[0].CloseReason == zoomsim.SDKClosedDuplicate) && s[1].ClosedAt.IsZero()
	})
	e.assertClean(t, nil)
}

// TestHostPageWithoutSecret: no fragment and nothing stored is a clear page, and no request.
func TestHostPageWithoutSecret(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	id := strconv.FormatInt(e.meeting.ID, 10)
	e.b.Run(t, chromedp.Navigate(e.srv.URL+api.HostPagePath(id)), chromedp.WaitReady("#app"))
	e.waitText(t, "#message-title", "This host link is incomplete")
	if advice := e.text(t, "#message-advice"); !strings.Contains(advice, "cohostd host-link "+id) || !strings.Contains(advice, "admin API") {
		t.Errorf("advice %q does not say how to get a link", advice)
	}
	if r := browser.Eval[string](t, e.b, `document.getElementById('message').getAttribute('role')`); r != "alert" {
		t.Errorf("role %q, want alert", r)
	}
	if n := e.cohost.Starts(); n != 0 {
		t.Errorf("%d starts without a secret", n)
	}
	e.assertClean(t, nil)
}

// TestHostPageWithoutSDK: the SDK's script is unreachable, so window.ZoomMtgEmbedded is missing;
// the page says so, naming COHOST_MEETING_SDK_URL, and does not start (which would take over
// from a page already running the meeting).
func TestHostPageWithoutSDK(t *testing.T) {
	e := newHostEnv(t, envOptions{sdkScripts: []string{"http://127.0.0.1:1/sdk/zoom-meeting-embedded.js"}})
	e.open(t)
	e.waitText(t, "#message-title", "Zoom's Meeting SDK did not load")
	if advice := e.text(t, "#message-advice"); !strings.Contains(advice, "COHOST_MEETING_SDK_URL") {
		t.Errorf("advice %q does not name COHOST_MEETING_SDK_URL", advice)
	}
	if n := e.cohost.Starts(); n != 0 {
		t.Errorf("%d starts without an SDK", n)
	}
	e.assertClean(t, func(m browser.Message) bool { return strings.Contains(m.URL, "127.0.0.1:1/") })
}

// promoteScript answers one promote for a participant once they are in the roster, then wait.
type promoteScript struct {
	mu     sync.Mutex
	topic  string
	callID string
	userID int64
	asked  int
}

func (p *promoteScript) answer(_ int, req api.HostSyncRequest) reply {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, found := inRoster(req, p.userID); found && !e.IsCoHost && p.asked == 0 {
		p.asked++
		return ok(actionWith(api.HostAction{Kind: api.HostActionPromote, CallID: p.callID, UserID: p.userID}, rosterPanel(p.topic, req)))
	}
	return reply{}
}

// resultsOf are the syncs that carried a result of call id.
func resultsOf(syncs []api.HostSyncRequest, id string) []api.HostCallResult {
	var out []api.HostCallResult
	for _, s := range syncs {
		if s.Result != nil && s.Result.CallID == id {
			out = append(out, *s.Result)
		}
	}
	return out
}

// TestHostPagePromotesOnceAndReportsOnce: a promote action makes exactly one makeCoHost, and its
// result travels in exactly one sync.
func TestHostPagePromotesOnceAndReportsOnce(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	e.open(t)
	e.waitJoined(t)
	ana, anaID := e.join(t, zoomsim.JoinSpec{Name: "Ana Lima"})
	ps := &promoteScript{topic: e.meeting.Topic, callID: "call-1", userID: anaID}
	e.cohost.setSyncScript(ps.answer)

	i, s := e.cohost.waitSync(t, "the result of call-1", 0, func(r api.HostSyncRequest) bool { return r.Result != nil })
	if want := (api.HostCallResult{CallID: "call-1", OK: true}); *s.Result != want {
		t.Errorf("result %+v, want %+v", *s.Result, want)
	}
	// A few syncs later the result is still reported once, and the roster shows the co-host.
	_, later := e.cohost.waitSync(t, "three more syncs", i+3, func(api.HostSyncRequest) bool { return true })
	if got := resultsOf(e.cohost.Syncs(), "call-1"); len(got) != 1 {
		t.Errorf("call-1 reported %d times", len(got))
	}
	if a, _ := inRoster(later, anaID); !a.IsCoHost {
		t.Errorf("Ana after the promotion %+v", a)
	}
	calls := e.makeCoHostCalls()
	if len(calls) != 1 || calls[0].TargetUserID != anaID || !calls[0].Resolved() {
		t.Errorf("makeCoHost calls %+v, want one resolved call for Ana", calls)
	}
	if pr, found := e.sim.Ledger().Promotion(e.meeting.ID, ana.Key()); !found || pr.Via != zoomsim.PromotedBySDK {
		t.Errorf("promotion %+v", pr)
	}
	e.assertClean(t, nil)
}

// TestHostPageNeverHasTwoMakeCoHostInFlight: while a makeCoHost is in flight (Zoom takes its time
// to show the role), cohostd answers another promote again and again; the page makes no second
// call until the first settled and was reported, and then does the next one cohostd asks for.
func TestHostPageNeverHasTwoMakeCoHostInFlight(t *testing.T) {
	e := newHostEnv(t, envOptions{webSDK: zoomsim.WebSDKConfig{RoleChangeDelay: 1500 * time.Millisecond}})
	e.open(t)
	e.waitJoined(t)
	_, anaID := e.join(t, zoomsim.JoinSpec{Name: "Ana Lima"})
	_, benID := e.join(t, zoomsim.JoinSpec{Name: "Ben Okafor"})

	var mu sync.Mutex
	step, secondAsked := 0, 0
	e.cohost.setSyncScript(func(_ int, req api.HostSyncRequest) reply {
		mu.Lock()
		defer mu.Unlock()
		_, a := inRoster(req, anaID)
		_, b := inRoster(req, benID)
		promote := func(id string, uid int64) reply {
			return ok(actionWith(api.HostAction{Kind: api.HostActionPromote, CallID: id, UserID: uid}, rosterPanel(e.meeting.Topic, req)))
		}
		switch {
		case step == 0 && a && b:
			step = 1
			return promote("call-1", anaID)
		case step == 1 && req.Result == nil:
			// call-1 is in flight: a second promote must not start a second call.
			secondAsked++
			return promote("call-2", benID)
		case step == 1 && req.Result != nil:
			step = 2
			return promote("call-3", benID)
		}
		return reply{}
	})
	e.cohost.waitSync(t, "the result of call-3", 0, func(r api.HostSyncRequest) bool {
		return r.Result != nil && r.Result.CallID == "call-3"
	})
	mu.Lock()
	asked := secondAsked
	mu.Unlock()
	if asked == 0 {
		t.Fatal("no sync came while call-1 was in flight; the test did not exercise the guard")
	}
	if n := e.sim.MaxMakeCoHostInFlight(e.meeting.ID); n != 1 {
		t.Errorf("%d makeCoHost calls in flight at once, want 1", n)
	}
	calls := e.makeCoHostCalls()
	if len(calls) != 2 || calls[0].TargetUserID != anaID || calls[1].TargetUserID != benID {
		t.Errorf("makeCoHost calls %+v, want Ana's then Ben's", calls)
	}
	syncs := e.cohost.Syncs()
	if r := resultsOf(syncs, "call-1"); len(r) != 1 || !r[0].OK {
		t.Errorf("call-1 results %+v", r)
	}
	if r := resultsOf(syncs, "call-2"); len(r) != 0 {
		t.Errorf("call-2, asked while call-1 was in flight, was reported: %+v", r)
	}
	t.Logf("promote call-2 answered %d times while call-1 was in flight", asked)
	e.assertClean(t, nil)
}

// TestHostPageReportsSDKRejection: a rejected makeCoHost is reported with the SDK's type, reason
// and code.
func TestHostPageReportsSDKRejection(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	e.open(t)
	e.waitJoined(t)
	ana, anaID := e.join(t, zoomsim.JoinSpec{Name: "Ana Lima"})
	rejection := zoomsim.SDKError{Type: "IMPROPER_MEETING_STATE", Reason: "reconnecting", ErrorCode: 5003}
	if err := e.sim.RejectMakeCoHost(e.meeting.ID, ana.Key(), 1, rejection); err != nil {
		t.Fatal(err)
	}
	ps := &promoteScript{topic: e.meeting.Topic, callID: "call-7", userID: anaID}
	e.cohost.setSyncScript(ps.answer)
	_, s := e.cohost.waitSync(t, "the result of call-7", 0, func(r api.HostSyncRequest) bool { return r.Result != nil })
	want := api.HostCallResult{CallID: "call-7", Error: &api.HostSDKError{Type: "IMPROPER_MEETING_STATE", Reason: "reconnecting", ErrorCode: 5003}}
	if s.Result.CallID != want.CallID || s.Result.OK || s.Result.Error == nil || *s.Result.Error != *want.Error {
		t.Errorf("result %+v (error %+v), want %+v (error %+v)", *s.Result, s.Result.Error, want, *want.Error)
	}
	if n := len(e.makeCoHostCalls()); n != 1 {
		t.Errorf("%d makeCoHost calls, want 1", n)
	}
	e.assertClean(t, nil)
}

// TestHostPageStartErrors: every ErrorResponse of start is shown in plain words, and the page does
// not join.
func TestHostPageStartErrors(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	for _, tc := range []struct {
		rep        reply
		title, has string
	}{
		{apiErr(http.StatusUnauthorized, api.HostErrLinkInvalid, ""), "This host link is not valid", "did not issue this link"},
		{apiErr(http.StatusUnauthorized, api.HostErrLinkExpired, ""), "This host link has expired", "limited time"},
		{apiErr(http.StatusUnauthorized, api.HostErrLinkRevoked, ""), "This host link was revoked", "withdrawn"},
		{apiErr(http.StatusForbidden, api.HostErrLinkOtherMeeting, ""), "This host link is for another meeting", "different meeting"},
		{apiErr(http.StatusBadGateway, api.HostErrZoom, "Zoom answered 404: User does not exist (code 1001)."), "Zoom did not let cohost start the meeting", "User does not exist (code 1001)"},
		{apiErr(http.StatusGone, api.HostErrMeetingOver, ""), "This meeting is over", "ended or was deleted"},
		{apiErr(http.StatusBadRequest, api.HostErrBadRequest, "body too large"), "cohost could not read the page's request", "body too large"},
		{apiErr(http.StatusServiceUnavailable, api.HostErrUnavailable, ""), "cohost is briefly unavailable", "cannot reach its database"},
		{reply{drop: true}, "cohost cannot be reached", "could not contact cohost"},
	} {
		name := "drop"
		if er, isErr := tc.rep.body.(api.ErrorResponse); isErr {
			name = er.Error
		}
		t.Run(name, func(t *testing.T) {
			e.cohost.mu.Lock()
			e.cohost.startScript = func(int) reply { return tc.rep }
			e.cohost.mu.Unlock()
			e.open(t)
			e.waitText(t, "#message-title", tc.title)
			if got := e.text(t, "#message-text") + " " + e.text(t, "#message-advice"); !strings.Contains(got, tc.has) {
				t.Errorf("message %q lacks %q", got, tc.has)
			}
		})
	}
	if calls := e.sim.SDKCalls(e.meeting.ID); len(calls) != 0 {
		t.Errorf("SDK calls after failed starts: %+v", calls)
	}
	if n := len(e.cohost.Syncs()); n != 0 {
		t.Errorf("%d syncs after failed starts", n)
	}
	e.assertClean(t, apiFailure)
}

// TestHostPageWaitsOutUnavailable: start answers unavailable twice; the page tries again by
// itself and then joins.
func TestHostPageWaitsOutUnavailable(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	e.cohost.startScript = func(n int) reply {
		if n <= 2 {
			return apiErr(http.StatusServiceUnavailable, api.HostErrUnavailable, "database unreachable")
		}
		return reply{}
	}
	e.open(t)
	e.waitText(t, "#message-title", "cohost is briefly unavailable")
	e.waitJoined(t)
	if n := e.cohost.Starts(); n != 3 {
		t.Errorf("%d starts, want 3", n)
	}
	if vis := e.text(t, "#message-title"); vis != "" {
		t.Errorf("the message %q stayed after the start succeeded", vis)
	}
	e.assertClean(t, apiFailure)
}

// TestHostPageShowsZoomsJoinRefusal: Zoom refuses the join (the signature expired); the page shows
// Zoom's reason and code with what to do, and reports Fail.
func TestHostPageShowsZoomsJoinRefusal(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	e.cohost.startScript = func(int) reply { return ok(e.mintStart(time.Now().Add(-3 * time.Hour))) }
	e.open(t)
	e.waitText(t, "#message-title", "Zoom refused to start the meeting")
	if got, want := e.text(t, "#message-text"), "Zoom refused to start the meeting: The signature has expired. (Zoom error 3705)"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if advice := e.text(t, "#message-advice"); !strings.Contains(advice, "Reload the page") {
		t.Errorf("advice %q", advice)
	}
	e.cohost.waitSync(t, "a sync reporting Fail", 0, func(r api.HostSyncRequest) bool { return r.Connection == api.HostConnFail })
	if s := e.sessions(); len(s) != 0 {
		t.Errorf("SDK sessions %+v after a refused join", s)
	}
	e.assertClean(t, nil)
}

// TestHostPageLeavesWhenTheLinkIsRevoked: a sync answered 401 link_revoked during the meeting
// makes the page leave it and say why.
func TestHostPageLeavesWhenTheLinkIsRevoked(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	e.open(t)
	e.waitJoined(t)
	e.cohost.setSyncScript(func(int, api.HostSyncRequest) reply {
		return apiErr(http.StatusUnauthorized, api.HostErrLinkRevoked, "")
	})
	e.waitText(t, "#message-title", "This host link was revoked")
	if got := e.text(t, "#message-text"); !strings.Contains(got, "You have left the meeting") {
		t.Errorf("message %q", got)
	}
	e.waitFor(t, "the page to leave the meeting", func() bool {
		s := e.sessions()
		return len(s) == 1 && s[0].CloseReason == zoomsim.SDKClosedLeave
	})
	if p := e.phase(t); p != "done" {
		t.Errorf("phase %q", p)
	}
	e.assertClean(t, apiFailure)
}

// TestHostPageStops: a stop action ends the page's work with its reason.
func TestHostPageStops(t *testing.T) {
	for _, tc := range []struct{ why, title string }{
		{api.HostStopEnded, "The meeting has ended."},
		{api.HostStopSuperseded, "This meeting is now run from another tab or browser; this page stopped."},
	} {
		t.Run(tc.why, func(t *testing.T) {
			e := newHostEnv(t, envOptions{})
			e.open(t)
			e.waitJoined(t)
			var mu sync.Mutex
			stops := 0
			e.cohost.setSyncScript(func(_ int, req api.HostSyncRequest) reply {
				mu.Lock()
				stops++
				mu.Unlock()
				return ok(actionWith(api.HostAction{Kind: api.HostActionStop, Why: tc.why}, rosterPanel(e.meeting.Topic, req)))
			})
			e.waitText(t, "#message-title", tc.title)
			if p := e.phase(t); p != "done" {
				t.Errorf("phase %q", p)
			}
			// A joiner's roster event would make a running page sync within debounceMs; give a
			// stopped one more than that, and a sync interval, to show that it does not.
			e.join(t, zoomsim.JoinSpec{Name: "Late Joiner"})
			if tc.why == api.HostStopSuperseded {
				e.waitPage(t, "the joiner in the SDK's roster",
					`ZoomMtgEmbedded.createClient().getAttendeeslist().some(p => p.userName === 'Late Joiner')`)
			}
			time.Sleep(2 * testSyncMS * time.Millisecond)
			mu.Lock()
			n := stops
			mu.Unlock()
			if n != 1 {
				t.Errorf("%d syncs answered with stop, want 1", n)
			}
			if tc.why == api.HostStopSuperseded {
				// Leaving could hand the host role to someone in the meeting; the page only stops.
				if s := e.sessions(); len(s) != 1 || !s[0].ClosedAt.IsZero() {
					t.Errorf("sessions %+v: the page left the meeting", s)
				}
			}
			e.assertClean(t, nil)
		})
	}
}

// TestHostPageRidesOutLostContact: syncs fail (connections dropped, then a 503); a banner says so,
// the meeting keeps running, and the banner goes once cohostd answers again.
func TestHostPageRidesOutLostContact(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	e.open(t)
	e.waitJoined(t)
	var mu sync.Mutex
	failed := 0
	e.cohost.setSyncScript(func(int, api.HostSyncRequest) reply {
		mu.Lock()
		defer mu.Unlock()
		failed++
		switch failed {
		case 1, 2:
			return reply{drop: true}
		case 3:
			return apiErr(http.StatusServiceUnavailable, api.HostErrUnavailable, "")
		}
		return reply{}
	})
	e.waitText(t, "#banner", "Lost contact with cohost — retrying…")
	if r := browser.Eval[string](t, e.b, `document.getElementById('banner').getAttribute('role')`); r != "alert" {
		t.Errorf("banner role %q", r)
	}
	if p := e.phase(t); p != "live" {
		t.Errorf("phase %q while cohostd is away", p)
	}
	e.waitPage(t, "the banner to go", `document.getElementById('banner').hidden`)
	mu.Lock()
	n := failed
	mu.Unlock()
	if n < 4 {
		t.Errorf("banner gone after %d syncs, before cohostd answered", n)
	}
	if s := e.sessions(); len(s) != 1 || !s[0].ClosedAt.IsZero() {
		t.Errorf("sessions %+v: the meeting did not keep running", s)
	}
	if p := e.phase(t); p != "live" {
		t.Errorf("phase %q after recovery", p)
	}
	e.assertClean(t, apiFailure)
}

// TestHostPageLeave: Leave leaves the meeting and reports left.
func TestHostPageLeave(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	e.open(t)
	e.waitJoined(t)
	n := len(e.cohost.Syncs())
	e.b.Run(t, chromedp.Click("#leave"))
	e.cohost.waitSync(t, "a sync reporting left", n, func(r api.HostSyncRequest) bool { return r.Connection == api.HostConnLeft })
	e.waitText(t, "#message-title", "You left the meeting")
	e.waitFor(t, "the SDK session to close", func() bool {
		s := e.sessions()
		return len(s) == 1 && s[0].CloseReason == zoomsim.SDKClosedLeave
	})
	if m, _ := e.sim.Meeting(e.meeting.ID); m.Status != zoomsim.MeetingStarted {
		t.Errorf("meeting %s after Leave, want it still running", m.Status)
	}
	if d := browser.Eval[bool](t, e.b, `document.getElementById('leave').disabled && document.getElementById('end').disabled`); !d {
		t.Error("Leave and End still enabled after leaving")
	}
	e.assertClean(t, nil)
}

// TestHostPageEnd: End asks first (Cancel and Escape change nothing), then ends the meeting and
// reports ended.
func TestHostPageEnd(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	e.open(t)
	e.waitJoined(t)
	e.b.Run(t, chromedp.Click("#end"))
	e.waitPage(t, "the confirmation", `document.getElementById('confirm-end').open`)
	if f := browser.Eval[string](t, e.b, `document.activeElement.id`); f != "confirm-end-cancel" {
		t.Errorf("focus in the confirmation is on %q, want Cancel", f)
	}
	e.b.Run(t, chromedp.Click("#confirm-end-cancel"))
	e.waitPage(t, "the confirmation to close", `!document.getElementById('confirm-end').open`)
	// Escape is a no too, and a quick second End opens the confirmation again.
	e.b.Run(t, chromedp.Click("#end"))
	e.waitPage(t, "the confirmation", `document.getElementById('confirm-end').open`)
	e.b.Run(t, chromedp.KeyEvent(kb.Escape))
	e.waitPage(t, "the confirmation to close", `!document.getElementById('confirm-end').open`)
	if calls := e.sim.SDKCalls(e.meeting.ID); calls[len(calls)-1].Method == "endMeeting" {
		t.Fatal("Cancel ended the meeting")
	}
	if p := e.phase(t); p != "live" {
		t.Errorf("phase %q after Cancel", p)
	}

	n := len(e.cohost.Syncs())
	e.b.Run(t, chromedp.Click("#end"))
	e.waitPage(t, "the confirmation", `document.getElementById('confirm-end').open`)
	e.b.Run(t, chromedp.Click("#confirm-end-yes"))
	e.cohost.waitSync(t, "a sync reporting ended", n, func(r api.HostSyncRequest) bool { return r.Connection == api.HostConnEnded })
	e.waitText(t, "#message-title", "You ended the meeting for everyone")
	e.waitFor(t, "the meeting to end", func() bool {
		m, _ := e.sim.Meeting(e.meeting.ID)
		s := e.sessions()
		return m.Status == zoomsim.MeetingEnded && len(s) == 1 && s[0].CloseReason == zoomsim.SDKClosedEnd
	})
	e.assertClean(t, nil)
}

// realisticPanel is a panel as cohostd would send it mid-meeting: the host, co-hosts, one
// promotion under way, one waiting in the waiting room, a skipped phone caller and a failure.
func realisticPanel(topic string) api.HostPanel {
	rows := []api.HostPanelRow{
		{Name: "Hana Host", State: api.HostRowHost, UserID: 16778240, Group: api.HostGroupHost, Text: "the host (this page)"},
		{Name: "Guest 9", State: api.HostRowFailed, UserID: 16785408, Group: api.HostGroupAttention,
			Text: "not co-host (failed via host-client after 1 attempt): Zoom's Meeting SDK did not confirm the co-host role in time (4 makeCoHost calls; last: OPERATION_TIMEOUT 1)"},
		{Name: "Emma Schulz", State: api.HostRowPending, WaitingRoom: true, Group: api.HostGroupAttention, UserID: 16783360,
			Text: "pending: in the waiting room: admit them in Zoom's participant panel and they are made co-host"},
		{Name: "Dev Patel", State: api.HostRowPromoting, Text: "pending: the host page is making them co-host now", UserID: 16782336, Group: api.HostGroupLine},
		{Name: "Ana Lima", State: api.HostRowCoHost, UserID: 16779264, Group: api.HostGroupCoHost,
			Text: "co-host: made co-host by the host page (the host's Zoom client, on cohost's request), 812 ms after cohost saw the join"},
		{Name: "Ben Okafor", State: api.HostRowCoHost, UserID: 16780288, Group: api.HostGroupCoHost,
			Text: "co-host: made co-host by the host page (the host's Zoom client, on cohost's request), 1904 ms after cohost saw the join"},
		{Name: "Chloé Martin", State: api.HostRowCoHost, UserID: 16781312, Group: api.HostGroupCoHost, Text: "co-host: made co-host by the host in the meeting"},
		{Name: "*******0100", State: api.HostRowSkipped, UserID: 16784384, Group: api.HostGroupOther,
			Text: "not co-host (skipped): they joined by phone only, without a Zoom client that can hold a role"},
	}
	return api.HostPanel{
		Topic:  topic,
		Counts: api.HostPanelCount{CoHost: 3, Pending: 2, Skipped: 1, Failed: 1, WaitingRoom: 1, Total: len(rows) - 1},
		Rows:   rows,
	}
}

// TestHostPagePanel: the panel shows cohostd's counts, rows and notice as sent, announces changes
// politely, and has an empty state.
func TestHostPagePanel(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	panel := realisticPanel("Quarterly planning · Q3")
	panel.Notice = "Promotions are paused while the connection recovers."
	var mu sync.Mutex
	current := panel
	e.cohost.syncScript = func(int, api.HostSyncRequest) reply {
		mu.Lock()
		defer mu.Unlock()
		return ok(waitWith(current))
	}
	e.open(t)
	e.waitJoined(t)
	e.waitText(t, "#rows", "Guest 9")
	for id, want := range map[string]string{"count-cohost": "3", "count-pending": "2", "count-skipped": "1", "count-failed": "1"} {
		if got := e.text(t, "#"+id); got != want {
			t.Errorf("#%s = %q, want %q", id, got, want)
		}
	}
	if got := e.text(t, "#topic"); got != "Quarterly planning · Q3" {
		t.Errorf("topic %q", got)
	}
	if got := e.text(t, "#notice"); got != panel.Notice {
		t.Errorf("notice %q", got)
	}
	if got := e.text(t, "#total"); got != "7 people" {
		t.Errorf("total %q", got)
	}
	type row struct{ State, Name, Badge, Text string }
	rows := browser.Eval[[]row](t, e.b, `[...document.querySelectorAll('#rows li')].map(li => ({
		State: li.dataset.state, Name: li.querySelector('.row-name').textContent,
		Badge: li.querySelector('.badge').textContent,
		Text: li.querySelector('.row-text').hidden ? '' : li.querySelector('.row-text').textContent}))`)
	badge := map[string]string{"host": "Host · you", "cohost": "Co-host", "promoting": "Making co-host…", "pending": "Pending", "skipped": "Skipped", "failed": "Failed"}
	if len(rows) != len(panel.Rows) {
		t.Fatalf("rows %+v", rows)
	}
	for i, r := range panel.Rows {
		b := badge[r.State]
		if r.WaitingRoom {
			b = "Waiting room"
		}
		if want := (row{r.State, r.Name, b, r.Text}); rows[i] != want {
			t.Errorf("row %d = %+v, want %+v", i, rows[i], want)
		}
	}
	if got := browser.Eval[string](t, e.b, `document.getElementById('rows').getAttribute('aria-live') + ' ' + document.getElementById('summary').getAttribute('aria-live')`); got != "polite polite" {
		t.Errorf("aria-live of the list and the summary: %q", got)
	}
	if got := e.text(t, "#summary"); got != "3 co-hosts, 2 pending, 1 in the waiting room, 1 skipped, 1 failed." {
		t.Errorf("summary %q", got)
	}
	if !browser.Eval[bool](t, e.b, `document.getElementById('empty').hidden`) {
		t.Error("the empty state shows beside participants")
	}

	// A change updates the row in place.
	mu.Lock()
	current.Rows = append([]api.HostPanelRow(nil), panel.Rows...)
	current.Rows[3] = api.HostPanelRow{Name: "Dev Patel", State: api.HostRowCoHost, UserID: 16782336, Group: api.HostGroupCoHost}
	mu.Unlock()
	browser.Eval[any](t, e.b, `window.devRow = document.querySelectorAll('#rows li')[3], null`)
	e.waitPage(t, "Dev as co-host", `window.devRow.dataset.state === 'cohost'`)
	if same := browser.Eval[bool](t, e.b, `window.devRow.parentElement === document.querySelector('#group-cohost ul')`); !same {
		t.Error("the changed row was replaced, or not moved to the co-hosts")
	}

	// Only the host: the empty state.
	mu.Lock()
	current = api.HostPanel{Topic: panel.Topic, Rows: panel.Rows[:1]}
	mu.Unlock()
	e.waitText(t, "#empty", "Nobody has joined yet")
	if n := browser.Eval[int](t, e.b, `document.querySelectorAll('#rows li').length`); n != 1 {
		t.Errorf("%d rows for the host alone", n)
	}
	e.assertClean(t, nil)
}
