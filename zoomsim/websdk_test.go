package zoomsim

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// sdkEventMsg is one event a page receives on its stream.
type sdkEventMsg struct {
	Event   string          `json:"event"`
	Payload json.RawMessage `json:"payload"`
}

// sdkPage plays a host page's side of the wire protocol, as the simulated SDK script does.
type sdkPage struct {
	h       *harness
	session string
	userID  int64
	events  chan sdkEventMsg
	lastID  string // as EventSource, resent as Last-Event-ID on a reconnect
	cancel  context.CancelFunc
	done    chan struct{}
}

func (h *harness) signature(meetingID int64, mod func(jwt.MapClaims)) string {
	cfg := h.sim.Config()
	return sdkSignature(h.t, cfg.SDKKey, cfg.SDKSecret, meetingID, h.now(), mod)
}

func (h *harness) hostJoinBody(m Meeting) map[string]any {
	zak, err := h.sim.IssueZAK(h.host.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return map[string]any{
		"signature": h.signature(m.ID, nil), "meetingNumber": strconv.FormatInt(m.ID, 10),
		"password": m.Password, "userName": "Host page", "zak": zak,
	}
}

// joinPage joins with body and opens the event stream.
func (h *harness) joinPage(body map[string]any) *sdkPage {
	h.t.Helper()
	st, _, raw := h.do("POST", "/sdk/v1/join", "", body)
	if st != http.StatusOK {
		h.t.Fatalf("join: %d %s", st, raw)
	}
	var res sdkJoinResponse
	if err := json.Unmarshal(raw, &res); err != nil {
		h.t.Fatal(err)
	}
	if res.Session == "" || res.UserID == 0 {
		h.t.Fatalf("join answer %s", raw)
	}
	p := &sdkPage{h: h, session: res.Session, userID: res.UserID, events: make(chan sdkEventMsg, 256), done: make(chan struct{})}
	p.open()
	return p
}

// open starts reading the event stream.
func (p *sdkPage) open() {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	req, err := http.NewRequestWithContext(ctx, "GET", p.h.srv.URL+"/sdk/v1/sessions/"+p.session+"/events", nil)
	if err != nil {
		p.h.t.Fatal(err)
	}
	if p.lastID != "" {
		req.Header.Set("Last-Event-ID", p.lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.h.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		p.h.t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	done := make(chan struct{})
	p.done = done
	go func() {
		defer close(done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if id, ok := strings.CutPrefix(line, "id: "); ok {
				p.lastID = id
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				var ev sdkEventMsg
				if json.Unmarshal([]byte(data), &ev) == nil {
					p.events <- ev
				}
			}
		}
	}()
	p.h.t.Cleanup(func() { cancel(); <-done })
}

// drop closes the stream, as a page that goes away.
func (p *sdkPage) drop() {
	p.cancel()
	<-p.done
}

// next waits for the next event named name (others are skipped) and decodes its payload.
func (p *sdkPage) next(name string, into any) {
	p.h.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-p.events:
			if ev.Event != name {
				continue
			}
			if into != nil {
				if err := json.Unmarshal(ev.Payload, into); err != nil {
					p.h.t.Fatal(err)
				}
			}
			return
		case <-timeout:
			p.h.t.Fatalf("no %s event", name)
		}
	}
}

// makeCoHost calls the endpoint and returns the SDK error, nil when it resolved.
func (p *sdkPage) makeCoHost(userID any) *SDKError {
	p.h.t.Helper()
	st, _, raw := p.h.do("POST", "/sdk/v1/sessions/"+p.session+"/cohost", "", map[string]any{"userId": userID})
	if st != http.StatusOK {
		p.h.t.Fatalf("cohost: %d %s", st, raw)
	}
	var res struct {
		Result *string   `json:"result"`
		Error  *SDKError `json:"error"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		p.h.t.Fatal(err)
	}
	if res.Error == nil && res.Result == nil {
		p.h.t.Fatalf("cohost answer %s", raw)
	}
	return res.Error
}

func userIDOf(t *testing.T, p Participant) int64 {
	t.Helper()
	n, err := strconv.ParseInt(p.UserID, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSDKScriptAndCORS(t *testing.T) {
	h := newHarness(t, Config{}, false)
	resp, err := http.Get(h.srv.URL + SDKScriptPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") ||
		resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("script: %d %v", resp.StatusCode, resp.Header)
	}
	if !strings.Contains(string(sdkScript), "window.ZoomMtgEmbedded") || strings.Contains(string(sdkScript), "eval(") {
		t.Error("the script does not define ZoomMtgEmbedded or evaluates strings")
	}
	req, _ := http.NewRequest(http.MethodOptions, h.srv.URL+"/sdk/v1/join", nil)
	req.Header.Set("Origin", "http://127.0.0.1:1")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	if got := h.sim.SDKScriptURL(h.srv.URL + "/"); got != h.srv.URL+SDKScriptPath {
		t.Errorf("SDKScriptURL %s", got)
	}
}

func TestSDKJoinRejectsLikeZoom(t *testing.T) {
	h := newHarness(t, Config{}, false)
	m, err := h.sim.CreateMeeting(MeetingSpec{HostID: h.host.ID})
	if err != nil {
		t.Fatal(err)
	}
	other, err := h.sim.CreateUser(h.acct.ID, UserSpec{Email: "other@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	otherZAK, _ := h.sim.IssueZAK(other.ID)
	number := strconv.FormatInt(m.ID, 10)
	cfg := h.sim.Config()
	body := func(mod func(map[string]any)) map[string]any {
		b := h.hostJoinBody(m)
		if mod != nil {
			mod(b)
		}
		return b
	}
	sig := func(mod func(jwt.MapClaims)) func(map[string]any) {
		return func(b map[string]any) { b["signature"] = h.signature(m.ID, mod) }
	}
	cases := []struct {
		name   string
		body   any
		status int
		want   SDKError
	}{
		{"empty body", "", 400, SDKError{Type: sdkJoinFailed, ErrorCode: 5013}},
		{"not JSON", "{", 400, SDKError{Type: sdkJoinFailed, ErrorCode: 5013}},
		{"unknown field", body(func(b map[string]any) { b["sdkKey"] = "x" }), 400, SDKError{Type: sdkJoinFailed, ErrorCode: 5013}},
		{"two objects", `{"a":1}{"b":2}`, 400, SDKError{Type: sdkJoinFailed, ErrorCode: 5013}},
		{"meeting number not digits", body(func(b map[string]any) { b["meetingNumber"] = "81-x" }), 400, errJoinNumber},
		{"no user name", body(func(b map[string]any) { b["userName"] = " " }), 400, SDKError{Type: sdkJoinFailed, ErrorCode: 5013}},
		{"no signature", body(func(b map[string]any) { delete(b, "signature") }), 400, SDKError{Type: sdkJoinFailed, ErrorCode: 5013}},
		{"unknown meeting", body(func(b map[string]any) { b["meetingNumber"] = "81999999999" }), 200, errJoinNoMeeting},
		{"signature garbage", body(func(b map[string]any) { b["signature"] = "a.b.c" }), 200, errJoinSignature},
		{"signature other secret", body(func(b map[string]any) {
			b["signature"] = sdkSignature(t, cfg.SDKKey, "not-the-secret", m.ID, time.Now(), nil)
		}), 200, errJoinSignature},
		{"signature other key", body(sig(func(c jwt.MapClaims) { c["appKey"] = "other" })), 200, errJoinSignature},
		{"signature for another meeting", body(sig(func(c jwt.MapClaims) { c["mn"] = "81000000001" })), 200, errJoinNumber},
		{"role 2", body(sig(func(c jwt.MapClaims) { c["role"] = 2 })), 200, errJoinRole},
		{"lifetime too long", body(sig(func(c jwt.MapClaims) {
			c["exp"] = c["iat"].(int64) + 49*3600
			c["tokenExp"] = c["exp"]
		})), 200, errJoinSignature},
		{"expired", body(sig(func(c jwt.MapClaims) {
			c["iat"] = time.Now().Add(-3 * time.Hour).Unix()
			c["exp"] = time.Now().Add(-time.Hour).Unix()
			c["tokenExp"] = c["exp"]
		})), 200, errJoinExpired},
		{"wrong passcode", body(func(b map[string]any) { b["password"] = "nope" }), 200, errJoinPasscode},
		{"no ZAK", body(func(b map[string]any) { delete(b, "zak") }), 200, errJoinNotHost},
		{"forged ZAK", body(func(b map[string]any) { b["zak"] = "zszak_forged" }), 200, errJoinNotHost},
		{"another user's ZAK", body(func(b map[string]any) { b["zak"] = otherZAK }), 200, errJoinNotHost},
		{"attendee before start", body(func(b map[string]any) {
			b["signature"] = h.signature(m.ID, func(c jwt.MapClaims) { c["role"] = 0 })
			delete(b, "zak")
		}), 200, errJoinNotStarted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, _, raw := h.do("POST", "/sdk/v1/join", "", c.body)
			var got SDKError
			_ = json.Unmarshal(raw, &got)
			if st != c.status || got.Type != c.want.Type || got.ErrorCode != c.want.ErrorCode ||
				(c.want.Reason != "" && got.Reason != c.want.Reason) {
				t.Errorf("join: %d %s, want %d %+v", st, raw, c.status, c.want)
			}
		})
	}
	_ = number
	if mm, _ := h.sim.Meeting(m.ID); mm.Status != MeetingWaiting || len(mm.Participants) != 0 {
		t.Errorf("failed joins changed the meeting: %+v", mm)
	}
	joins := h.sim.Ledger().SDKCallsIn(m.ID, "join")
	// Every case but the seven the parser refuses and the unknown meeting names this meeting.
	if len(joins) != len(cases)-8 {
		t.Errorf("ledger has %d failed joins for the meeting", len(joins))
	}
	for _, c := range h.sim.Ledger().SDKCalls {
		if c.Result == "resolved" {
			t.Errorf("a bad join resolved: %+v", c)
		}
	}
}

// TestSDKHostPageFlow runs a host page's session over the wire: the join starts the meeting,
// joiners appear, makeCoHost promotes with the ledger entry and the webhook, leave ends it.
func TestSDKHostPageFlow(t *testing.T) {
	rcv := newReceiver(t, nil, nil)
	h := newHarness(t, Config{WebhookURL: rcv.srv.URL}, false)
	m, err := h.sim.CreateMeeting(MeetingSpec{HostID: h.host.ID, Topic: "Host page"})
	if err != nil {
		t.Fatal(err)
	}
	page := h.joinPage(h.hostJoinBody(m))
	var me []map[string]any
	page.next("user-added", &me)
	if len(me) != 1 || me[0]["isHost"] != true || int64(me[0]["userId"].(float64)) != page.userID || me[0]["userType"] != 9.0 {
		t.Fatalf("first user-added %v", me)
	}
	var conn map[string]any
	page.next("connection-change", &conn)
	if conn["state"] != "Connected" {
		t.Fatalf("connection-change %v", conn)
	}
	mm, _ := h.sim.Meeting(m.ID)
	if mm.Status != MeetingStarted || len(mm.Participants) != 1 || mm.Participants[0].Role != RoleHost || !mm.Participants[0].SDK {
		t.Fatalf("after the host join: %+v", mm)
	}
	if _, err := h.sim.WaitForDeliveries(waitCtx(t), "meeting.participant_joined", 1); err != nil {
		t.Fatal(err)
	}
	if n := len(h.sim.Ledger().Deliveries("meeting.started")); n != 1 {
		t.Errorf("%d meeting.started", n)
	}

	guest, err := h.sim.Join(m.ID, JoinSpec{Name: "Ana"})
	if err != nil {
		t.Fatal(err)
	}
	var added []map[string]any
	page.next("user-added", &added)
	if len(added) != 1 || added[0]["displayName"] != "Ana" || added[0]["userGUID"] != guest.ParticipantUUID || added[0]["bCoHost"] != false {
		t.Fatalf("user-added %v", added)
	}
	phone, _ := h.sim.Join(m.ID, JoinSpec{PhoneNumber: "+15550100"})
	page.next("user-added", &added)
	if added[0]["userType"] != 5.0 {
		t.Errorf("phone user-added %v", added)
	}

	if e := page.makeCoHost(userIDOf(t, guest)); e != nil {
		t.Fatalf("makeCoHost: %v", e)
	}
	var upd []map[string]any
	page.next("user-updated", &upd)
	if len(upd) != 1 || upd[0]["bCoHost"] != true || int64(upd[0]["userId"].(float64)) != userIDOf(t, guest) {
		t.Errorf("user-updated %v", upd)
	}
	pr, err := h.sim.WaitForCoHost(waitCtx(t), m.ID, guest.ParticipantUUID)
	if err != nil || pr.Via != PromotedBySDK {
		t.Fatalf("promotion %+v %v", pr, err)
	}
	if _, err := h.sim.WaitForDeliveries(waitCtx(t), "meeting.participant_role_changed", 1); err != nil {
		t.Fatal(err)
	}
	d, _ := h.sim.Ledger().Delivery(pr.RoleChangedRequestID)
	if !strings.Contains(string(d.Body), `"new_role":"co-host"`) || !strings.Contains(string(d.Body), guest.ParticipantUUID) {
		t.Errorf("role_changed body %s", d.Body)
	}

	for _, c := range []struct {
		name   string
		userID any
		want   SDKError
	}{
		{"already co-host", userIDOf(t, guest), SDKError{Type: "INVALID_PARAMETERS", Reason: fmt.Sprintf("user:[%d] is already co-host ", userIDOf(t, guest)), ErrorCode: 5011}},
		{"self", page.userID, errSDKSelf},
		{"nobody", 12345, errSDKNoMatchingUser},
		{"a string", strconv.FormatInt(userIDOf(t, guest), 10), errSDKNoMatchingUser},
		{"a fraction", 1.5, errSDKNoMatchingUser},
	} {
		if e := page.makeCoHost(c.userID); e == nil || *e != c.want {
			t.Errorf("makeCoHost(%s): %v, want %+v", c.name, e, c.want)
		}
	}
	calls := h.sim.Ledger().SDKCallsIn(m.ID, "makeCoHost")
	if len(calls) < 5 || !calls[0].Resolved() || calls[0].InFlight != 1 || calls[0].End.Before(calls[0].Start) ||
		calls[0].ParticipantKey != guest.ParticipantUUID {
		t.Errorf("calls %+v", calls)
	}
	if n := h.sim.MaxMakeCoHostInFlight(m.ID); n != 1 {
		t.Errorf("max in flight %d", n)
	}

	if err := h.sim.Leave(m.ID, phone.Key()); err != nil {
		t.Fatal(err)
	}
	var removed []map[string]any
	page.next("user-removed", &removed)
	if removed[0]["userGUID"] != phone.ParticipantUUID {
		t.Errorf("user-removed %v", removed)
	}

	st, _, raw := h.do("POST", "/sdk/v1/sessions/"+page.session+"/leave", "", "")
	if st != 200 || !strings.Contains(string(raw), `"result":""`) {
		t.Fatalf("leave %d %s", st, raw)
	}
	page.next("connection-change", &conn)
	if conn["state"] != "Closed" {
		t.Errorf("after leave %v", conn)
	}
	sess := h.sim.SDKSessions(m.ID)
	if len(sess) != 1 || sess[0].CloseReason != SDKClosedLeave {
		t.Errorf("sessions %+v", sess)
	}
	host, _ := h.sim.Participant(m.ID, sess[0].ParticipantUUID)
	if host.Present {
		t.Error("the host is still present after leaveMeeting")
	}
	if e := page.makeCoHost(userIDOf(t, guest)); e == nil || *e != errSDKClosed {
		t.Errorf("makeCoHost after leave: %v", e)
	}
}

func TestSDKCoHostBodies(t *testing.T) {
	h := newHarness(t, Config{}, false)
	m := h.startedMeeting()
	page := h.joinPage(h.hostJoinBody(m))
	for _, body := range []string{"", "{", `{"userId":1,"x":2}`, `[1]`, `{"userId":1}{}`, strings.Repeat(" ", maxSDKBody+1)} {
		st, _, raw := h.do("POST", "/sdk/v1/sessions/"+page.session+"/cohost", "", body)
		if st != http.StatusBadRequest || !strings.Contains(string(raw), "INVALID_PARAMETERS") {
			t.Errorf("body %.40q: %d %s", body, st, raw)
		}
	}
	if st, _, _ := h.do("POST", "/sdk/v1/sessions/zssdk_unknown/cohost", "", `{"userId":1}`); st != http.StatusNotFound {
		t.Errorf("unknown session: %d", st)
	}
	if st, _, _ := h.do("GET", "/sdk/v1/sessions/zssdk_unknown/events", "", nil); st != http.StatusNoContent {
		t.Errorf("events of an unknown session: %d, want 204 so EventSource stops", st)
	}
	if st, _, _ := h.do("GET", "/sdk/v1/join", "", nil); st != http.StatusMethodNotAllowed {
		t.Errorf("GET join: %d", st)
	}
	if n := len(h.sim.Ledger().SDKCallsIn(m.ID, "makeCoHost")); n != 0 {
		t.Errorf("%d malformed calls reached the ledger as makeCoHost", n)
	}
}

func TestSDKRosterDelaysAndWebhookOrder(t *testing.T) {
	rcv := newReceiver(t, nil, nil)
	h := newHarness(t, Config{WebhookURL: rcv.srv.URL, WebSDK: WebSDKConfig{RosterDelay: -300 * time.Millisecond}}, false)
	m := h.startedMeeting()
	page := h.joinPage(h.hostJoinBody(m))
	page.next("connection-change", nil)
	guest, _ := h.sim.Join(m.ID, JoinSpec{Name: "Early"})
	page.next("user-added", nil)
	seen := time.Now()
	ds, err := h.sim.WaitForDeliveries(waitCtx(t), "meeting.participant_joined", 2)
	if err != nil {
		t.Fatal(err)
	}
	last := ds[len(ds)-1]
	if last.ParticipantKey != guest.Key() || len(last.Attempts) == 0 || last.Attempts[0].At.Sub(last.CreatedAt) < 300*time.Millisecond || last.Attempts[0].At.Before(seen) {
		t.Errorf("the join webhook was not held behind the roster: %+v (roster at %v)", last, seen)
	}

	h.sim.SetWebSDK(WebSDKConfig{RosterDelay: 200 * time.Millisecond, RoleChangeDelay: 200 * time.Millisecond})
	late, _ := h.sim.Join(m.ID, JoinSpec{Name: "Late"})
	// Not in the roster yet: makeCoHost finds no such user.
	if e := page.makeCoHost(userIDOf(t, late)); e == nil || *e != errSDKNoMatchingUser {
		t.Errorf("makeCoHost before the roster has them: %v", e)
	}
	page.next("user-added", nil)
	start := time.Now()
	if e := page.makeCoHost(userIDOf(t, late)); e != nil {
		t.Fatalf("makeCoHost: %v", e)
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Errorf("makeCoHost settled after %v, before the role change reached the roster", el)
	}
}

func TestSDKWaitingRoomAdmit(t *testing.T) {
	h := newHarness(t, Config{WebSDK: WebSDKConfig{WaitingRoom: true}}, false)
	m := h.startedMeeting()
	page := h.joinPage(h.hostJoinBody(m))
	page.next("connection-change", nil)
	p, _ := h.sim.Join(m.ID, JoinSpec{Name: "Waiting"})
	if !p.OnHold {
		t.Fatal("joined without waiting")
	}
	var added []map[string]any
	page.next("user-added", &added)
	if added[0]["bHold"] != true {
		t.Errorf("held user-added %v", added)
	}
	if e := page.makeCoHost(userIDOf(t, p)); e == nil || *e != errSDKNoMatchingUser {
		t.Errorf("makeCoHost on hold: %v", e)
	}
	l := h.sim.Ledger()
	if len(l.Deliveries("meeting.participant_joined_waiting_room")) != 1 || len(l.Deliveries("meeting.participant_joined")) != 1 {
		t.Errorf("webhooks %v", eventNames(l))
	}
	st, _, raw := h.do("POST", fmt.Sprintf("/_sim/meetings/%d/participants/%s/admit", m.ID, p.Key()), "", nil)
	if st != 200 {
		t.Fatalf("admit %d %s", st, raw)
	}
	var removed []map[string]any
	page.next("user-removed", &removed)
	page.next("user-added", &added)
	if removed[0]["reason"] != "on hold" || added[0]["source"] != "on hold" || added[0]["bHold"] != false {
		t.Errorf("admit: removed %v added %v", removed, added)
	}
	if e := page.makeCoHost(userIDOf(t, p)); e != nil {
		t.Errorf("makeCoHost after admit: %v", e)
	}
	l = h.sim.Ledger()
	if len(l.Deliveries("meeting.participant_admitted")) != 1 || len(l.Deliveries("meeting.participant_joined")) != 2 {
		t.Errorf("webhooks %v", eventNames(l))
	}
	if _, err := h.sim.Admit(m.ID, p.Key()); err == nil {
		t.Error("admitted twice")
	}
}

func eventNames(l Ledger) []string {
	var out []string
	for _, d := range l.Webhooks {
		out = append(out, d.Event)
	}
	return out
}

func TestSDKInjectedRejectionTimeoutAndPhone(t *testing.T) {
	h := newHarness(t, Config{WebSDK: WebSDKConfig{MakeCoHostTimeout: 150 * time.Millisecond}}, false)
	m := h.startedMeeting()
	page := h.joinPage(h.hostJoinBody(m))
	page.next("connection-change", nil)
	g, _ := h.sim.Join(m.ID, JoinSpec{Name: "G"})
	page.next("user-added", nil)
	injected := SDKError{Type: "INTERNAL_ERROR", Reason: "injected", ErrorCode: 2}
	st, _, raw := h.do("PUT", fmt.Sprintf("/_sim/meetings/%d/participants/%s/sdk-reject", m.ID, g.Key()), "",
		map[string]any{"count": 2, "error": injected})
	if st != 204 {
		t.Fatalf("sdk-reject %d %s", st, raw)
	}
	for i := 0; i < 2; i++ {
		if e := page.makeCoHost(userIDOf(t, g)); e == nil || *e != injected {
			t.Errorf("call %d: %v", i, e)
		}
	}
	h.sim.SetWebSDK(WebSDKConfig{MakeCoHostTimeout: 150 * time.Millisecond, TimeOutMakeCoHost: true})
	if e := page.makeCoHost(userIDOf(t, g)); e == nil || *e != errSDKTimeout {
		t.Errorf("timeout mode: %v", e)
	}
	if gp, _ := h.sim.Participant(m.ID, g.Key()); gp.Role != RoleAttendee {
		t.Errorf("a timed-out call changed the role: %s", gp.Role)
	}
	h.sim.SetWebSDK(WebSDKConfig{MakeCoHostTimeout: 150 * time.Millisecond})
	ph, _ := h.sim.Join(m.ID, JoinSpec{PhoneNumber: "+15550199"})
	page.next("user-added", nil)
	if e := page.makeCoHost(userIDOf(t, ph)); e == nil || *e != errSDKTimeout {
		t.Errorf("phone-only: %v", e)
	}
	if e := page.makeCoHost(userIDOf(t, g)); e != nil {
		t.Errorf("after the injections: %v", e)
	}
	calls := h.sim.Ledger().SDKCallsIn(m.ID, "makeCoHost")
	var results []string
	for _, c := range calls {
		results = append(results, c.Result)
	}
	if strings.Join(results, ",") != "INTERNAL_ERROR,INTERNAL_ERROR,OPERATION_TIMEOUT,OPERATION_TIMEOUT,resolved" {
		t.Errorf("results %v", results)
	}
	if len(h.sim.Ledger().PromotionsIn(m.ID)) != 1 {
		t.Error("want exactly one promotion")
	}
}

func TestSDKMaxInFlightCountsOverlap(t *testing.T) {
	h := newHarness(t, Config{WebSDK: WebSDKConfig{RoleChangeDelay: 300 * time.Millisecond}}, false)
	m := h.startedMeeting()
	page := h.joinPage(h.hostJoinBody(m))
	page.next("connection-change", nil)
	a, _ := h.sim.Join(m.ID, JoinSpec{Name: "A"})
	b, _ := h.sim.Join(m.ID, JoinSpec{Name: "B"})
	page.next("user-added", nil)
	page.next("user-added", nil)
	var wg sync.WaitGroup
	for _, p := range []Participant{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if e := page.makeCoHost(userIDOf(t, p)); e != nil {
				t.Errorf("makeCoHost %s: %v", p.Name, e)
			}
		}()
	}
	wg.Wait()
	if n := h.sim.MaxMakeCoHostInFlight(m.ID); n != 2 {
		t.Errorf("two overlapping calls: max in flight %d", n)
	}
	st, _, raw := h.do("GET", fmt.Sprintf("/_sim/meetings/%d/sdk", m.ID), "", nil)
	if st != 200 || !strings.Contains(string(raw), `"max_makecohost_in_flight":2`) {
		t.Errorf("control %d %s", st, raw)
	}
}

func TestSDKPageClosedAndReload(t *testing.T) {
	h := newHarness(t, Config{WebSDK: WebSDKConfig{PageClosedGrace: time.Second}}, false)
	m := h.startedMeeting()
	first := h.joinPage(h.hostJoinBody(m))
	first.next("connection-change", nil)
	// A dropped stream that comes back within the grace keeps the session.
	// The drop counts once the server has seen the stream close (on a
	// loaded machine that takes a while), so the new stream opens after it.
	first.drop()
	for deadline := time.Now().Add(10 * time.Second); h.sim.SDKSessions(m.ID)[0].StreamDrops == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the dropped stream was never noticed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	first.open()
	time.Sleep(1500 * time.Millisecond) // past the grace
	if s := h.sim.SDKSessions(m.ID); s[0].CloseReason != "" || s[0].StreamDrops != 1 {
		t.Fatalf("a reconnect within the grace closed the session: %+v", s)
	}
	// A reload is a new join with a new userId; the old session closes as a duplicate.
	second := h.joinPage(h.hostJoinBody(m))
	if second.userID == first.userID {
		t.Error("the reload kept the userId")
	}
	var conn map[string]any
	first.next("connection-change", &conn)
	if conn["state"] != "Closed" || conn["reason"] != "duplicated session" {
		t.Errorf("old page: %v", conn)
	}
	second.next("connection-change", nil)
	second.drop()
	_, err := h.sim.WaitFor(waitCtx(t), func(l Ledger) bool {
		s := l.SDKSessions
		return len(s) == 2 && s[1].CloseReason == SDKClosedPage
	})
	if err != nil {
		t.Fatalf("closed page: %+v", h.sim.SDKSessions(m.ID))
	}
	left := h.sim.Ledger().Deliveries("meeting.participant_left")
	if len(left) != 2 {
		t.Errorf("%d participant_left for the host's two pages, want 2", len(left))
	}
	for _, p := range mustMeeting(t, h, m.ID).Participants {
		if p.Present {
			t.Errorf("still present: %+v", p)
		}
	}
}

func mustMeeting(t *testing.T, h *harness, id int64) Meeting {
	t.Helper()
	m, err := h.sim.Meeting(id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSDKEndMeetingAndControlKnobs(t *testing.T) {
	h := newHarness(t, Config{}, false)
	m := h.startedMeeting()
	page := h.joinPage(h.hostJoinBody(m))
	page.next("connection-change", nil)
	st, _, raw := h.do("PUT", "/_sim/websdk", "", `{"roster_delay":"-1s","waiting_room":true}`)
	if st != 200 || !strings.Contains(string(raw), `"roster_delay":"-1s"`) || !h.sim.WebSDK().WaitingRoom {
		t.Errorf("PUT websdk %d %s", st, raw)
	}
	for _, bad := range []string{`{"role_change_delay":"-1s"}`, `{"makecohost_timeout":"soon"}`, `{"nope":1}`} {
		if st, _, _ := h.do("PUT", "/_sim/websdk", "", bad); st != 400 {
			t.Errorf("PUT websdk %s: %d", bad, st)
		}
	}
	st, _, raw = h.do("POST", "/sdk/v1/sessions/"+page.session+"/end", "", "")
	if st != 200 || !strings.Contains(string(raw), `"result":""`) {
		t.Fatalf("end %d %s", st, raw)
	}
	if mm := mustMeeting(t, h, m.ID); mm.Status != MeetingEnded {
		t.Errorf("status %s", mm.Status)
	}
	if s := h.sim.SDKSessions(m.ID); s[0].CloseReason != SDKClosedEnd {
		t.Errorf("session %+v", s)
	}
}

// FuzzParseSDKJoinRequest feeds arbitrary bodies to the join parser: it must never panic, and what
// it accepts has a positive meeting number, a user name and a signature.
func FuzzParseSDKJoinRequest(f *testing.F) {
	for _, seed := range []string{
		`{"signature":"a.b.c","meetingNumber":"81234567890","password":"p","userName":"Host","zak":"z"}`,
		`{"signature":"a.b.c","meetingNumber":81234567890,"userName":"Host"}`,
		`{"signature":"a.b.c","meetingNumber":"812 3456 7890","userName":"Host","userEmail":"h@example.com","tk":"","customerKey":""}`,
		`{"signature":"","meetingNumber":"1","userName":""}`,
		`{"meetingNumber":"-1"}`, `{"meetingNumber":1e3}`, `{"meetingNumber":null}`, `[]`, `{`, ``, `null`,
		`{"signature":"x","meetingNumber":"9223372036854775808","userName":"a"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := ParseSDKJoinRequest(raw)
		if err != nil {
			return
		}
		if n, err := strconv.ParseInt(req.MeetingNumber, 10, 64); err != nil || n <= 0 || strings.TrimSpace(req.UserName) == "" || req.Signature == "" {
			t.Fatalf("accepted %q as %+v", raw, req)
		}
	})
}

// FuzzParseSDKCoHostRequest: never a panic; an accepted body has a positive userId or -1 (no one).
func FuzzParseSDKCoHostRequest(f *testing.F) {
	for _, seed := range []string{`{"userId":16778240}`, `{"userId":1.5}`, `{"userId":"1"}`, `{"userId":-1}`, `{}`, `{"userId":1e99}`, `{`, ``, `{"userId":1}{}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := ParseSDKCoHostRequest(raw)
		if err != nil {
			return
		}
		if req.UserID == 0 || req.UserID < -1 {
			t.Fatalf("accepted %q as userId %d", raw, req.UserID)
		}
		again, err := ParseSDKCoHostRequest([]byte(fmt.Sprintf(`{"userId":%d}`, req.UserID)))
		if err != nil || again != req {
			t.Fatalf("%q: %+v does not round-trip: %+v %v", raw, req, again, err)
		}
	})
}
