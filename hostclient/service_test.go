package hostclient_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomclient"
	"github.com/cohost-dev/cohost/zoomsim"
)

// The host client over a real store (SQLite and PostgreSQL) and the real
// Zoom client talking to the simulator over HTTP. The steps' own rules are
// table-tested in steps_test.go; end to end with the real page in headless
// Chromium in package harness.

type env struct {
	t   *testing.T
	sim *zoomsim.Sim
	svc *hostclient.Service
	st  *store.Store

	mu  sync.Mutex
	now time.Time
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

func newEnv(t *testing.T, engine string) *env {
	t.Helper()
	cfg := zoomsim.Config{Seed: 3, RateLimits: &zoomsim.RateLimits{Light: zoomsim.Limit{PerSecond: 1000}, Medium: zoomsim.Limit{PerSecond: 1000}, Heavy: zoomsim.Limit{PerSecond: 1000}}}
	sim := zoomsim.New(cfg)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sim.Close(ctx)
	})
	acct, _, err := sim.AddDefaultAccount("acct-hc")
	if err != nil {
		t.Fatal(err)
	}
	zc, err := zoomclient.New(zoomclient.Config{AccountID: acct.ID, ClientID: acct.ClientID, ClientSecret: acct.ClientSecret,
		APIURL: srv.URL + "/v2", OAuthURL: srv.URL, RateLimits: zoomclient.RateLimits{Light: -1, Medium: -1, Heavy: -1}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), testdb.URL(t, engine), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	e := &env{t: t, sim: sim, st: st, now: time.Now().UTC().Truncate(time.Millisecond)}
	e.svc = &hostclient.Service{Store: st, Zoom: zc, PublicURL: "https://cohost.example.com", SDKKey: sim.Config().SDKKey,
		SDKSecret: sim.Config().SDKSecret, Interval: time.Second, Wait: 30 * time.Second, GiveUpAfter: 2 * time.Minute,
		Next: "permissions", Now: e.clock}
	return e
}

func (e *env) meeting() zoomsim.Meeting {
	e.t.Helper()
	host, err := e.sim.User("host@example.com")
	if err != nil {
		host = e.sim.Users(e.sim.Accounts()[0].ID)[0]
	}
	m, err := e.sim.CreateMeeting(zoomsim.MeetingSpec{HostID: host.ID, Topic: "Weekly sync", StartTime: e.clock().Add(time.Hour), Duration: 45})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// liveMeeting mints and authenticates a link for a new meeting, records it
// live as instance inst-1 with the first n of Ada (AAA-1, user 100) and Bob
// (BBB-2, user 200) joined, as the engine would, and starts the page.
func (e *env) liveMeeting(t *testing.T, n int) (hostclient.LinkRecord, api.HostStartResponse) {
	t.Helper()
	ctx := context.Background()
	id := strconv.FormatInt(e.meeting().ID, 10)
	l, err := e.svc.MintLink(ctx, hostclient.MintRequest{MeetingID: id})
	if err != nil {
		t.Fatal(err)
	}
	link, err := e.svc.Authenticate(ctx, secretOf(t, l.URL), id)
	if err != nil {
		t.Fatal(err)
	}
	joinedAt := e.clock()
	err = e.st.InTx(ctx, func(tx store.Tx) error {
		lm, err := tx.LockMeeting(ctx, link.AccountID, id)
		if err != nil {
			return err
		}
		lm.UUID, lm.Status, lm.StartedAt = "inst-1", grant.MeetingStarted, joinedAt
		if err := tx.SaveMeeting(ctx, lm); err != nil {
			return err
		}
		for i, k := range []string{"AAA-1", "BBB-2"}[:n] {
			p, err := tx.LockParticipant(ctx, link.AccountID, id, "inst-1", k)
			if err != nil {
				return err
			}
			p, _ = grant.ApplyJoin(p, grant.Join{At: joinedAt.Add(time.Duration(i) * time.Second), SeenAt: joinedAt,
				UserID: strconv.Itoa(100 * (i + 1)), Name: []string{"Ada", "Bob"}[i]})
			if err := tx.SaveParticipant(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	start, err := e.svc.Start(ctx, link)
	if err != nil {
		t.Fatal(err)
	}
	return link, start
}

func eachEngine(t *testing.T, f func(t *testing.T, e *env)) {
	for _, name := range testdb.Engines {
		t.Run(name, func(t *testing.T) { f(t, newEnv(t, name)) })
	}
}

func secretOf(t *testing.T, link string) string {
	t.Helper()
	_, secret, ok := strings.Cut(link, "#")
	if !ok || secret == "" {
		t.Fatalf("link %q has no fragment", link)
	}
	return secret
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	ge, ok := errors.AsType[*grant.Error](err)
	if !ok || ge.Code != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	if ge.Message == "" {
		t.Fatalf("error %s says nothing to do", code)
	}
}

var hostMe = api.HostRosterEntry{UserID: 1, ParticipantUUID: "{HOST}", UserName: "Host", IsHost: true}

func (e *env) sync(t *testing.T, link hostclient.LinkRecord, session string, roster []api.HostRosterEntry, result *api.HostCallResult) api.HostSyncResponse {
	t.Helper()
	resp, err := e.svc.Sync(context.Background(), link, api.HostSyncRequest{SessionID: session, Connection: api.HostConnConnected,
		Me: &hostMe, Roster: append([]api.HostRosterEntry{hostMe}, roster...), Result: result})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestMintLink(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		m := e.meeting()
		id := strconv.FormatInt(m.ID, 10)
		l, err := e.svc.MintLink(ctx, hostclient.MintRequest{MeetingID: id})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(l.URL, "https://cohost.example.com/host/"+id+"#") || len(secretOf(t, l.URL)) != 43 {
			t.Fatalf("link %q", l.URL)
		}
		// Until a few hours after the scheduled end (start + 45 min + 3 h).
		if want := m.StartTime.Truncate(time.Second).Add(45 * time.Minute).Add(3 * time.Hour); !l.ExpiresAt.Equal(want) {
			t.Fatalf("expires %s, want %s", l.ExpiresAt, want)
		}
		if got, err := e.st.FindMeeting(ctx, id); err != nil || got.HostID != m.HostID || got.Topic != "Weekly sync" {
			t.Fatalf("ledger meeting %+v, %v", got, err)
		}
		if l, err := e.svc.MintLink(ctx, hostclient.MintRequest{MeetingID: id, TTL: 10 * time.Minute}); err != nil || !l.ExpiresAt.Equal(e.clock().Add(10*time.Minute)) {
			t.Fatalf("ttl link %+v, %v", l, err)
		}
		for _, tt := range []struct {
			name string
			r    hostclient.MintRequest
			code string
		}{
			{"a meeting Zoom does not know", hostclient.MintRequest{MeetingID: "89999999999"}, api.AdminErrMeetingUnknownToZoom},
			{"not a number", hostclient.MintRequest{MeetingID: "abc"}, api.AdminErrInvalidMeetingID},
			// One meeting has one spelling: a zero-padded id would make a
			// link its revocation by the canonical id cannot reach.
			{"zero-padded", hostclient.MintRequest{MeetingID: "00" + id}, api.AdminErrInvalidMeetingID},
			{"signed", hostclient.MintRequest{MeetingID: "+" + id}, api.AdminErrInvalidMeetingID},
			{"zero", hostclient.MintRequest{MeetingID: "0"}, api.AdminErrInvalidMeetingID},
			{"a day and more", hostclient.MintRequest{MeetingID: id, TTL: 25 * time.Hour}, api.AdminErrInvalidTTL},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.MintLink(ctx, tt.r)
				wantCode(t, err, tt.code)
			})
		}
		noURL := &hostclient.Service{Store: e.st, Zoom: e.svc.Zoom, Now: e.clock}
		_, err = noURL.MintLink(ctx, hostclient.MintRequest{MeetingID: id})
		wantCode(t, err, api.AdminErrPublicURLUnset)
	})
}

// Zoom's own words reach the caller when it refuses: the account, the
// status, the code.
func TestMintLinkSaysWhatZoomSaid(t *testing.T) {
	e := newEnv(t, "sqlite")
	id := strconv.FormatInt(e.meeting().ID, 10)
	_, err := e.svc.MintLink(context.Background(), hostclient.MintRequest{MeetingID: id, AccountID: "no-such-account"})
	ge, ok := errors.AsType[*grant.Error](err)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(ge.Message, "could not be reached") || !strings.Contains(ge.Message, "Zoom") {
		t.Fatalf("message %q hides what Zoom answered", ge.Message)
	}
	t.Logf("unknown account: %s: %s", ge.Code, ge.Message)
}

func TestAuthenticate(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		m := e.meeting()
		id := strconv.FormatInt(m.ID, 10)
		l, err := e.svc.MintLink(ctx, hostclient.MintRequest{MeetingID: id, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		secret := secretOf(t, l.URL)
		other := e.meeting()
		if _, err := e.svc.Authenticate(ctx, secret, id); err != nil {
			t.Fatalf("a good link: %v", err)
		}
		tampered := []byte(secret)
		tampered[10] ^= 1
		if tampered[10] == '-' || tampered[10] == '_' || tampered[10] > 'z' {
			tampered[10] = 'A'
		}
		for _, tt := range []struct {
			name, secret, meeting, code string
		}{
			{"no secret", "", id, api.HostErrLinkMissing},
			{"garbage", "not-a-link", id, api.HostErrLinkInvalid},
			{"tampered", string(tampered), id, api.HostErrLinkInvalid},
			{"another meeting's link", secret, strconv.FormatInt(other.ID, 10), api.HostErrLinkOtherMeeting},
			{"the meeting zero-padded", secret, "00" + id, api.AdminErrInvalidMeetingID},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.Authenticate(ctx, tt.secret, tt.meeting)
				wantCode(t, err, tt.code)
			})
		}
		e.advance(time.Hour)
		_, err = e.svc.Authenticate(ctx, secret, id)
		wantCode(t, err, api.HostErrLinkExpired)

		l2, err := e.svc.MintLink(ctx, hostclient.MintRequest{MeetingID: id, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.RevokeLinks(ctx, id); err != nil || n != 2 {
			t.Fatalf("revoked %d, %v; want 2", n, err)
		}
		_, err = e.svc.Authenticate(ctx, secretOf(t, l2.URL), id)
		wantCode(t, err, api.HostErrLinkRevoked)
	})
}

// Start gives the page a role-1 signature for the meeting and the host's
// ZAK, and makes this page load the one that runs the meeting.
func TestStart(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		m := e.meeting()
		id := strconv.FormatInt(m.ID, 10)
		l, err := e.svc.MintLink(ctx, hostclient.MintRequest{MeetingID: id})
		if err != nil {
			t.Fatal(err)
		}
		link, err := e.svc.Authenticate(ctx, secretOf(t, l.URL), id)
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.svc.Start(ctx, link)
		if err != nil {
			t.Fatal(err)
		}
		if out.MeetingNumber != m.ID || out.Password != m.Password || out.ZAK == "" || out.SessionID == "" || out.UserName == "" {
			t.Fatalf("start = %+v", out)
		}
		claims := jwt.MapClaims{}
		if _, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"})).ParseWithClaims(out.Signature, claims,
			func(*jwt.Token) (any, error) { return []byte(e.sim.Config().SDKSecret), nil }); err != nil {
			t.Fatalf("signature: %v", err)
		}
		if claims["role"] != float64(1) || claims["mn"] != float64(m.ID) {
			t.Fatalf("signature claims %v", claims)
		}
		// A second page load takes over; the first is told it was superseded.
		second, err := e.svc.Start(ctx, link)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := e.svc.Sync(ctx, link, api.HostSyncRequest{SessionID: out.SessionID, Connection: api.HostConnConnected})
		if err != nil || resp.Action.Kind != api.HostActionStop || resp.Action.Why != api.HostStopSuperseded {
			t.Fatalf("old page's sync = %+v, %v", resp.Action, err)
		}
		if resp, err := e.svc.Sync(ctx, link, api.HostSyncRequest{SessionID: second.SessionID, Connection: api.HostConnConnected}); err != nil ||
			resp.Action.Kind != api.HostActionWait {
			t.Fatalf("new page's sync = %+v, %v", resp.Action, err)
		}
	})
}

// Each start asks Zoom for the host's ZAK: a meeting's page starts at most
// ten times a minute, across replicas (the count is in the database), while
// other meetings start as usual; the meeting and the host's name are read
// from Zoom once between starts.
func TestStartLimitedPerMeeting(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		link, _ := e.liveMeeting(t, 0)
		meetingReads := func() int { return e.sim.Ledger().APICallCount("GET", "/v2/meetings/") }
		zaks := func() int { return e.sim.Ledger().APICallCount("GET", "/v2/users/") }
		readsBefore := meetingReads()
		refused := 0
		for range 40 {
			_, err := e.svc.Start(ctx, link)
			if ge, ok := errors.AsType[*grant.Error](err); ok && ge.Code == api.HostErrTooManyStarts {
				refused++
				if ge.RetryAfter <= 0 || !strings.Contains(ge.Message, "wait") {
					t.Fatalf("a refusal that does not say how long to wait: %+v", ge)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		// liveMeeting started once: 9 more pass, 31 are refused.
		if refused != 31 {
			t.Fatalf("%d of 40 starts refused, want 31", refused)
		}
		if n := meetingReads() - readsBefore; n != 0 {
			t.Fatalf("Zoom read the meeting %d times for 9 starts; want it cached", n)
		}
		zakCalls := zaks()
		// Another meeting is not held back by this one's limit.
		other, _ := e.liveMeeting(t, 0)
		if other.MeetingID == link.MeetingID {
			t.Fatal("same meeting")
		}
		// A minute later the meeting starts again.
		e.advance(hostclient.StartWindow)
		if _, err := e.svc.Start(ctx, link); err != nil {
			t.Fatalf("after the window: %v", err)
		}
		if zaks() <= zakCalls {
			t.Fatal("no ZAK fetched for a start")
		}
	})
}

// The protocol end to end against the store: the ledger says who joined
// (as the engine would record it), the page reports the roster, and the
// service promotes one at a time, confirms in the ledger, survives a lost
// call and a reload, and stops when the meeting ends.
func TestSyncPromotes(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		link, start := e.liveMeeting(t, 2)
		acct, id := link.AccountID, link.MeetingID
		roster := []api.HostRosterEntry{{UserID: 100, ParticipantUUID: "{aaa-1}", UserName: "Ada"}, {UserID: 200, ParticipantUUID: "bbb-2", UserName: "Bob"}}
		sync := func(result *api.HostCallResult) api.HostSyncResponse {
			t.Helper()
			return e.sync(t, link, start.SessionID, roster, result)
		}
		first := sync(nil)
		if first.Action.Kind != api.HostActionPromote || first.Action.UserID != 100 || first.Action.CallID == "" {
			t.Fatalf("first action %+v", first.Action)
		}
		e.advance(2 * time.Second)
		if a := sync(nil).Action; a.Kind != api.HostActionWait {
			t.Fatalf("a second call while one is in flight: %+v", a)
		}
		// The SDK resolves: Ada is co-host in the ledger at once, and the
		// answer carries the next call.
		roster[0].IsCoHost = true
		next := sync(&api.HostCallResult{CallID: first.Action.CallID, OK: true})
		p, err := e.st.GetParticipant(ctx, "inst-1", "AAA-1")
		if err != nil || p.State != grant.StateConfirmed || p.Granter != hostclient.GranterName {
			t.Fatalf("Ada = %s via %q, %v", p.State, p.Granter, err)
		}
		if next.Action.Kind != api.HostActionPromote || next.Action.UserID != 200 {
			t.Fatalf("after Ada: %+v", next.Action)
		}
		// Bob's call is lost (the page reloaded mid-call): nothing is issued
		// before the lease ends, then Bob is tried again after a back-off.
		e.advance(hostclient.CallLease / 2)
		if a := sync(nil).Action; a.Kind != api.HostActionWait {
			t.Fatalf("within the lease: %+v", a)
		}
		e.advance(hostclient.CallLease)
		if a := sync(nil).Action; a.Kind != api.HostActionWait {
			t.Fatalf("right after the lost call Bob backs off: %+v", a)
		}
		e.advance(2 * time.Second)
		retry := sync(nil)
		if retry.Action.Kind != api.HostActionPromote || retry.Action.UserID != 200 {
			t.Fatalf("Bob retried: %+v", retry.Action)
		}
		// A rejection is recorded with Zoom's code and backs off.
		sync(&api.HostCallResult{CallID: retry.Action.CallID, Error: &api.HostSDKError{Type: "OPERATION_TIMEOUT", ErrorCode: 1}})
		prs, err := e.st.HostPromotions(ctx, "inst-1")
		if err != nil {
			t.Fatal(err)
		}
		var bob hostclient.Promotion
		for _, pr := range prs {
			if pr.MatchKey == "u:bbb-2" {
				bob = pr
			}
		}
		if bob.Reason != grant.ReasonSDKTimeout || bob.Attempts != 2 || !strings.Contains(bob.Detail, "OPERATION_TIMEOUT") {
			t.Fatalf("Bob's promotion %+v", bob)
		}
		panel := sync(nil).Panel
		if panel.Counts.CoHost != 1 || panel.Counts.Pending != 1 || panel.Counts.Total != 2 {
			t.Fatalf("panel counts %+v", panel.Counts)
		}
		// The meeting ends (finish_meeting): the page is told to stop.
		if err := e.st.EndHostPage(ctx, acct, id, "inst-1", e.clock()); err != nil {
			t.Fatal(err)
		}
		if a := sync(nil).Action; a.Kind != api.HostActionStop || a.Why != api.HostStopEnded {
			t.Fatalf("after the end: %+v", a)
		}
	})
}

// Revoking the links during a call releases the page but not the call: a
// page started with a new link does not call for anyone before the first
// call's result or lease.
func TestRevokeKeepsTheCallInFlight(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		link, start := e.liveMeeting(t, 2)
		roster := []api.HostRosterEntry{{UserID: 100, ParticipantUUID: "AAA-1", UserName: "Ada"}, {UserID: 200, ParticipantUUID: "BBB-2", UserName: "Bob"}}
		first := e.sync(t, link, start.SessionID, roster, nil)
		if first.Action.Kind != api.HostActionPromote {
			t.Fatalf("first action %+v", first.Action)
		}
		if _, err := e.svc.RevokeLinks(ctx, link.MeetingID); err != nil {
			t.Fatal(err)
		}
		l2, err := e.svc.MintLink(ctx, hostclient.MintRequest{MeetingID: link.MeetingID})
		if err != nil {
			t.Fatal(err)
		}
		link2, err := e.svc.Authenticate(ctx, secretOf(t, l2.URL), link.MeetingID)
		if err != nil {
			t.Fatal(err)
		}
		start2, err := e.svc.Start(ctx, link2)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []time.Duration{1350 * time.Millisecond, 5 * time.Second, 5 * time.Second} {
			e.advance(d)
			if a := e.sync(t, link2, start2.SessionID, roster, nil).Action; a.Kind == api.HostActionPromote {
				t.Fatalf("a second makeCoHost inside the first call's lease: %+v", a)
			}
		}
		// The revoked page's result still counts: it is evidence of cohost's call.
		roster[0].IsCoHost = true
		resp, err := e.svc.Sync(ctx, link, api.HostSyncRequest{SessionID: start.SessionID, Connection: api.HostConnConnected,
			Result: &api.HostCallResult{CallID: first.Action.CallID, OK: true}})
		if err != nil || resp.Action.Kind != api.HostActionStop {
			t.Fatalf("the old page's last report: %+v, %v", resp.Action, err)
		}
		if p, err := e.st.GetParticipant(ctx, "inst-1", "AAA-1"); err != nil || p.State != grant.StateConfirmed || p.Granter != hostclient.GranterName {
			t.Fatalf("Ada = %s via %q, %v", p.State, p.Granter, err)
		}
		if a := e.sync(t, link2, start2.SessionID, roster, nil).Action; a.Kind != api.HostActionPromote || a.UserID != 200 {
			t.Fatalf("the new page goes on with Bob: %+v", a)
		}
	})
}

// Zoom's role-change webhook often confirms a promotion before the page
// reports makeCoHost resolved; the participant may then leave and the
// meeting end before that report arrives. The webhook names the host page
// (its call was in flight) and the late report changes nothing.
func TestRoleRequestedWhileTheCallRuns(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		link, start := e.liveMeeting(t, 2)
		acct, id := link.AccountID, link.MeetingID
		first := e.sync(t, link, start.SessionID, []api.HostRosterEntry{{UserID: 100, ParticipantUUID: "{aaa-1}", UserName: "Ada"},
			{UserID: 200, ParticipantUUID: "BBB-2", UserName: "Bob"}}, nil)
		if first.Action.Kind != api.HostActionPromote {
			t.Fatalf("first action %+v", first.Action)
		}
		m := grant.Meeting{AccountID: acct, ID: id, UUID: "inst-1"}
		ada := grant.Participant{MeetingUUID: "inst-1", Key: "AAA-1", UserID: "100"}
		bob := grant.Participant{MeetingUUID: "inst-1", Key: "BBB-2", UserID: "200"}
		if by, err := e.svc.RoleRequestedBy(ctx, m, ada); err != nil || by != hostclient.GranterName {
			t.Fatalf("Ada's role requested by %q, %v; want the host page (its call is in flight)", by, err)
		}
		if by, err := e.svc.RoleRequestedBy(ctx, m, bob); err != nil || by != "" {
			t.Fatalf("Bob's role requested by %q, %v; nobody asked for it", by, err)
		}
		e.advance(200 * time.Millisecond)
		err := e.st.InTx(ctx, func(tx store.Tx) error {
			p, err := tx.LockParticipant(ctx, acct, id, "inst-1", "AAA-1")
			if err != nil {
				return err
			}
			p, _ = grant.ApplyConfirm(p, e.clock(), e.clock(), grant.CreditConfirmation(p, hostclient.GranterName, nil))
			return tx.SaveParticipant(ctx, grant.ApplyLeave(p, e.clock().Add(time.Millisecond)))
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.EndHostPage(ctx, acct, id, "inst-1", e.clock()); err != nil {
			t.Fatal(err)
		}
		e.advance(100 * time.Millisecond)
		last := e.sync(t, link, start.SessionID, nil, &api.HostCallResult{CallID: first.Action.CallID, OK: true})
		if last.Action.Kind != api.HostActionStop || last.Action.Why != api.HostStopEnded {
			t.Fatalf("after the end: %+v", last.Action)
		}
		p, err := e.st.GetParticipant(ctx, "inst-1", "AAA-1")
		if err != nil || p.State != grant.StateConfirmed || p.Granter != hostclient.GranterName {
			t.Fatalf("Ada = %s via %q, %v; want confirmed via %s", p.State, p.Granter, err, hostclient.GranterName)
		}
		// The meeting starts again and the page reloads: the call of the
		// meeting that ended is not taken for one of this meeting's.
		if _, err := e.svc.Start(ctx, link); err != nil {
			t.Fatal(err)
		}
		page, err := e.st.HostPage(ctx, acct, id)
		if err != nil || page.Call.ID != "" {
			t.Fatalf("page after a new start %+v, %v; want no call in flight", page, err)
		}
	})
}

// The granter's moments: without a page, one wait until the fall-back; with
// one, until the page could be gone or the give-up; past the give-up, what
// held the participant.
func TestGranter(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		g := e.svc.Granter()
		m := e.meeting()
		id := strconv.FormatInt(m.ID, 10)
		if _, err := e.svc.MintLink(ctx, hostclient.MintRequest{MeetingID: id}); err != nil {
			t.Fatal(err)
		}
		lm, err := e.st.FindMeeting(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		lm.UUID, lm.Status = "inst-9", grant.MeetingStarted
		p := grant.Participant{AccountID: lm.AccountID, MeetingID: id, MeetingUUID: "inst-9", Key: "K", UserID: "7",
			State: grant.StatePending, JoinedAt: e.clock(), JoinSeenAt: e.clock()}
		out, err := g.Grant(ctx, lm, p)
		if err != nil || out.State != grant.StatePending || !out.Until.Equal(e.clock().Add(30*time.Second)) {
			t.Fatalf("no page: %+v, %v; want pending until join + 30 s", out, err)
		}
		if s := grant.Describe(p, out.Progress); !strings.Contains(s, "falls back to permissions at") {
			t.Fatalf("the wait's words: %q", s)
		}
		e.advance(30 * time.Second)
		out, err = g.Grant(ctx, lm, p)
		if err != nil || out.State != grant.StateFailed || out.Reason != grant.ReasonNoHostPage {
			t.Fatalf("at the fall-back: %+v, %v", out, err)
		}
		// A page runs the meeting: the grant waits for it.
		if err := e.st.UpdateHostPage(ctx, lm.AccountID, id, func(pg *hostclient.Page) error {
			pg.SessionID, pg.ClaimedAt, pg.SeenAt, pg.Connection, pg.MeetingUUID = "s", e.clock(), e.clock(), api.HostConnConnected, "inst-9"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		out, err = g.Grant(ctx, lm, p)
		if err != nil || out.State != grant.StatePending || !out.Until.Equal(e.clock().Add(30*time.Second)) {
			t.Fatalf("with a page: %+v, %v; want pending until the page's last report + 30 s", out, err)
		}
		// Past the give-up time someone who only waits for their turn stays
		// in line; someone the page could not see is given up.
		e.advance(2 * time.Minute)
		if err := e.st.UpdateHostPage(ctx, lm.AccountID, id, func(pg *hostclient.Page) error { pg.SeenAt = e.clock(); return nil }); err != nil {
			t.Fatal(err)
		}
		out, err = g.Grant(ctx, lm, p)
		if err != nil || out.State != grant.StatePending {
			t.Fatalf("in line past the give-up time: %+v, %v", out, err)
		}
		if _, err := e.st.UpdateHostMeeting(ctx, lm.AccountID, id, func(st *hostclient.MeetingState) error {
			st.Save(hostclient.Promotion{MeetingUUID: "inst-9", MatchKey: hostclient.LedgerMatchKey(p), AccountID: lm.AccountID, MeetingID: id,
				State: hostclient.PromotionWaiting, Hold: grant.ReasonNotInRoster})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		out, err = g.Grant(ctx, lm, p)
		if err != nil || out.State != grant.StateFailed || out.Reason != grant.ReasonNotInRoster {
			t.Fatalf("not seen past the give-up time: %+v, %v", out, err)
		}
	})
}

// The admin API's sentence for a participant is the panel's.
func TestDescribeMeetingIsThePanel(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		link, start := e.liveMeeting(t, 2)
		roster := []api.HostRosterEntry{{UserID: 100, ParticipantUUID: "AAA-1", UserName: "Ada"}, {UserID: 200, ParticipantUUID: "BBB-2", UserName: "Bob", IsHold: true}}
		first := e.sync(t, link, start.SessionID, roster, nil)
		e.sync(t, link, start.SessionID, roster, &api.HostCallResult{CallID: first.Action.CallID,
			Error: &api.HostSDKError{Type: "INTERNAL_ERROR", ErrorCode: 2, Reason: "internal error"}})
		panel := e.sync(t, link, start.SessionID, roster, nil).Panel
		m, err := e.st.FindMeeting(ctx, link.MeetingID)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := e.st.ListParticipants(ctx, m.AccountID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.svc.DescribeMeeting(ctx, m, ps)
		if err != nil {
			t.Fatal(err)
		}
		if v.Page != hostclient.PageRunning || !strings.Contains(v.Summary(), "a host page runs this meeting") {
			t.Fatalf("page %s: %s", v.Page, v.Summary())
		}
		for _, r := range panel.Rows {
			if r.State == api.HostRowHost {
				continue
			}
			key := map[string]string{"Ada": "AAA-1", "Bob": "BBB-2"}[r.Name]
			if v.Sentences[key] != r.Text {
				t.Errorf("%s: panel %q, admin %q", r.Name, r.Text, v.Sentences[key])
			}
			if !strings.Contains(r.Text, map[string]string{"Ada": "INTERNAL_ERROR 2", "Bob": "waiting room"}[r.Name]) {
				t.Errorf("%s: %q", r.Name, r.Text)
			}
		}
		// The page goes away: the console says so, and when joiners fall back.
		e.advance(hostclient.StaleAfter + time.Second)
		v, err = e.svc.DescribeMeeting(ctx, m, ps)
		if err != nil {
			t.Fatal(err)
		}
		if v.Page != hostclient.PageGone || v.FallbackTo != "permissions" || v.FallbackAt.IsZero() ||
			!strings.Contains(v.Summary(), "gone since") || !strings.Contains(v.Sentences["BBB-2"], "falls back to permissions at") {
			t.Fatalf("gone: %s / %q", v.Summary(), v.Sentences["BBB-2"])
		}
	})
}
