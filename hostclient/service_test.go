package hostclient

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
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomclient"
	"github.com/cohost-dev/cohost/zoomsim"
)

// env is the host client over a real store and the real Zoom client talking
// to the simulator over HTTP.
type env struct {
	t   *testing.T
	sim *zoomsim.Sim
	svc *Service
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
	e := &env{t: t, sim: sim, st: st, now: time.Now().UTC()}
	e.svc = &Service{Store: st, Zoom: zc, PublicURL: "https://cohost.example.com", SDKKey: sim.Config().SDKKey,
		SDKSecret: sim.Config().SDKSecret, Interval: time.Second, Now: e.clock}
	return e
}

func (e *env) meeting() zoomsim.Meeting {
	e.t.Helper()
	host, err := e.sim.User("host@example.com")
	if err != nil {
		accts := e.sim.Accounts()
		users := e.sim.Users(accts[0].ID)
		host = users[0]
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
func (e *env) liveMeeting(t *testing.T, n int) (store.HostLink, api.HostStartResponse) {
	t.Helper()
	ctx := context.Background()
	id := strconv.FormatInt(e.meeting().ID, 10)
	l, err := e.svc.MintLink(ctx, MintRequest{MeetingID: id})
	if err != nil {
		t.Fatal(err)
	}
	link, _ := e.svc.Authenticate(ctx, secretOf(t, l.URL), id)
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
	var he *Error
	if !errors.As(err, &he) || he.Code != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	if he.Detail == "" {
		t.Fatalf("error %s says nothing to do", code)
	}
}

func TestMintLink(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		m := e.meeting()
		id := strconv.FormatInt(m.ID, 10)
		l, err := e.svc.MintLink(ctx, MintRequest{MeetingID: id})
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
		// The ledger knows the meeting now, with its host.
		if got, err := e.st.FindMeeting(ctx, id); err != nil || got.HostID != m.HostID || got.Topic != "Weekly sync" {
			t.Fatalf("ledger meeting %+v, %v", got, err)
		}
		if l, err := e.svc.MintLink(ctx, MintRequest{MeetingID: id, TTL: 10 * time.Minute}); err != nil || !l.ExpiresAt.Equal(e.clock().Add(10*time.Minute)) {
			t.Fatalf("ttl link %+v, %v", l, err)
		}

		_, err = e.svc.MintLink(ctx, MintRequest{MeetingID: "89999999999"})
		wantCode(t, err, ErrCodeMeetingUnknown)
		_, err = e.svc.MintLink(ctx, MintRequest{MeetingID: "abc"})
		wantCode(t, err, ErrCodeInvalidMeeting)
		_, err = e.svc.MintLink(ctx, MintRequest{MeetingID: id, TTL: 25 * time.Hour})
		wantCode(t, err, ErrCodeInvalidTTL)
		noURL := *e.svc
		noURL.PublicURL = ""
		_, err = noURL.MintLink(ctx, MintRequest{MeetingID: id})
		wantCode(t, err, ErrCodeNoPublicURL)
	})
}

func TestAuthenticate(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		m := e.meeting()
		id := strconv.FormatInt(m.ID, 10)
		l, err := e.svc.MintLink(ctx, MintRequest{MeetingID: id, TTL: time.Hour})
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
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.Authenticate(ctx, tt.secret, tt.meeting)
				wantCode(t, err, tt.code)
			})
		}
		e.advance(time.Hour)
		_, err = e.svc.Authenticate(ctx, secret, id)
		wantCode(t, err, api.HostErrLinkExpired)

		l2, err := e.svc.MintLink(ctx, MintRequest{MeetingID: id, TTL: time.Hour})
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
		l, err := e.svc.MintLink(ctx, MintRequest{MeetingID: id})
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
		if _, err := jwt.Parse(out.Signature, func(*jwt.Token) (any, error) { return []byte(e.sim.Config().SDKSecret), nil },
			jwt.WithValidMethods([]string{"HS256"})); err != nil {
			t.Fatalf("signature: %v", err)
		}
		_, _ = jwt.NewParser().ParseWithClaims(out.Signature, claims, func(*jwt.Token) (any, error) { return []byte(e.sim.Config().SDKSecret), nil })
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

// The protocol end to end against the store: the ledger says who joined
// (as the engine would record it), the page reports the roster, and the
// service promotes one at a time, confirms in the ledger, survives a lost
// call and a reload, and stops when the meeting ends.
func TestSyncPromotes(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		link, start := e.liveMeeting(t, 2)
		acct, id := link.AccountID, link.MeetingID
		me := api.HostRosterEntry{UserID: 1, ParticipantUUID: "{HOST}", UserName: "Host", IsHost: true}
		roster := []api.HostRosterEntry{me, {UserID: 100, ParticipantUUID: "{aaa-1}", UserName: "Ada"}, {UserID: 200, ParticipantUUID: "bbb-2", UserName: "Bob"}}
		sync := func(result *api.HostCallResult) api.HostSyncResponse {
			t.Helper()
			resp, err := e.svc.Sync(ctx, link, api.HostSyncRequest{SessionID: start.SessionID, Connection: api.HostConnConnected,
				Me: &me, Roster: roster, Result: result})
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		first := sync(nil)
		if first.Action.Kind != api.HostActionPromote || first.Action.UserID != 100 || first.Action.CallID == "" {
			t.Fatalf("first action %+v", first.Action)
		}
		// While Ada's call runs nothing else is issued, however often the page syncs.
		e.advance(2 * time.Second)
		if a := sync(nil).Action; a.Kind != api.HostActionWait {
			t.Fatalf("a second call while one is in flight: %+v", a)
		}
		// The SDK resolves: Ada is co-host in the ledger at once.
		roster[1].IsCoHost = true
		next := sync(&api.HostCallResult{CallID: first.Action.CallID, OK: true})
		p, err := e.st.GetParticipant(ctx, "inst-1", "AAA-1")
		if err != nil || p.State != grant.StateConfirmed || p.Granter != GranterName {
			t.Fatalf("Ada = %s via %q, %v", p.State, p.Granter, err)
		}
		if next.Action.Kind != api.HostActionPromote || next.Action.UserID != 200 {
			t.Fatalf("after Ada: %+v", next.Action)
		}
		// Bob's call is lost (the page reloaded mid-call): nothing is issued
		// before the lease ends, then Bob is tried again.
		e.advance(CallLease / 2)
		if a := sync(nil).Action; a.Kind != api.HostActionWait {
			t.Fatalf("within the lease: %+v", a)
		}
		e.advance(CallLease)
		again := sync(nil)
		if again.Action.Kind != api.HostActionWait {
			t.Fatalf("right after the lost call Bob backs off: %+v", again.Action)
		}
		e.advance(2 * time.Second)
		retry := sync(nil)
		if retry.Action.Kind != api.HostActionPromote || retry.Action.UserID != 200 {
			t.Fatalf("Bob retried: %+v", retry.Action)
		}
		// A rejection is recorded with Zoom's code and backs off.
		sync(&api.HostCallResult{CallID: retry.Action.CallID, Error: &api.HostSDKError{Type: "OPERATION_TIMEOUT", ErrorCode: 1}})
		pr, err := e.st.HostPromotion(ctx, "inst-1", "u:bbb-2")
		if err != nil || pr.Reason != grant.ReasonSDKTimeout || pr.Attempts != 2 || !strings.Contains(pr.Detail, "OPERATION_TIMEOUT") {
			t.Fatalf("Bob's promotion %+v, %v", pr, err)
		}
		// The panel says who is what.
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

// Zoom's role-change webhook often confirms a promotion before the page
// reports makeCoHost resolved; the participant may then leave and the
// meeting end before that report arrives. The report still says who made
// them co-host: the ledger names the host page, and the promotion is done.
func TestSyncCreditsTheHostPageAfterTheEnd(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		link, start := e.liveMeeting(t, 1)
		acct, id := link.AccountID, link.MeetingID
		me := api.HostRosterEntry{UserID: 1, ParticipantUUID: "{HOST}", UserName: "Host", IsHost: true}
		first, err := e.svc.Sync(ctx, link, api.HostSyncRequest{SessionID: start.SessionID, Connection: api.HostConnConnected,
			Me: &me, Roster: []api.HostRosterEntry{me, {UserID: 100, ParticipantUUID: "{aaa-1}", UserName: "Ada"}}})
		if err != nil || first.Action.Kind != api.HostActionPromote {
			t.Fatalf("first action %+v, %v", first.Action, err)
		}
		// The webhook confirms Ada, she leaves, the meeting ends.
		e.advance(200 * time.Millisecond)
		err = e.st.InTx(ctx, func(tx store.Tx) error {
			p, err := tx.LockParticipant(ctx, acct, id, "inst-1", "AAA-1")
			if err != nil {
				return err
			}
			p, _ = grant.ApplyConfirm(p, e.clock(), e.clock())
			return tx.SaveParticipant(ctx, grant.ApplyLeave(p, e.clock().Add(time.Millisecond)))
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.EndHostPage(ctx, acct, id, "inst-1", e.clock()); err != nil {
			t.Fatal(err)
		}
		e.advance(100 * time.Millisecond)
		last, err := e.svc.Sync(ctx, link, api.HostSyncRequest{SessionID: start.SessionID, Connection: api.HostConnConnected,
			Me: &me, Roster: []api.HostRosterEntry{me}, Result: &api.HostCallResult{CallID: first.Action.CallID, OK: true}})
		if err != nil || last.Action.Kind != api.HostActionStop || last.Action.Why != api.HostStopEnded {
			t.Fatalf("after the end: %+v, %v", last.Action, err)
		}
		p, err := e.st.GetParticipant(ctx, "inst-1", "AAA-1")
		if err != nil || p.State != grant.StateConfirmed || p.Granter != GranterName {
			t.Fatalf("Ada = %s via %q, %v; want confirmed via %s", p.State, p.Granter, err, GranterName)
		}
		// The meeting starts again and the page reloads: the call of the
		// meeting that ended is not taken for one of this meeting's.
		if _, err := e.svc.Start(ctx, link); err != nil {
			t.Fatal(err)
		}
		page, err := e.st.GetHostPage(ctx, acct, id)
		if err != nil || page.InflightCall != "" || page.InflightKey != "" {
			t.Fatalf("page after a new start %+v, %v; want no call in flight", page, err)
		}
	})
}

// Bad bodies from the browser are refused before they touch anything.
func TestSyncRefusesBadInput(t *testing.T) {
	long := make([]api.HostRosterEntry, maxRoster+1)
	for _, tt := range []struct {
		name string
		req  api.HostSyncRequest
	}{
		{"unknown connection", api.HostSyncRequest{SessionID: "s", Connection: "open"}},
		{"odd session", api.HostSyncRequest{SessionID: "s;drop", Connection: api.HostConnConnected}},
		{"huge roster", api.HostSyncRequest{SessionID: "s", Connection: api.HostConnConnected, Roster: long}},
		{"odd call id", api.HostSyncRequest{SessionID: "s", Connection: api.HostConnConnected, Result: &api.HostCallResult{CallID: "a b"}}},
	} {
		if _, err := cleanSync(tt.req); err == nil {
			t.Errorf("%s accepted", tt.name)
		}
	}
	req, err := cleanSync(api.HostSyncRequest{SessionID: "s", Connection: api.HostConnConnected,
		Roster: []api.HostRosterEntry{{UserName: "Ada\x00\n" + strings.Repeat("x", 500)}}})
	if err != nil || strings.ContainsAny(req.Roster[0].UserName, "\x00\n") || len(req.Roster[0].UserName) > 200 {
		t.Fatalf("name not cleaned: %q, %v", req.Roster[0].UserName, err)
	}
}
