package granters_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/granters"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomclient"
	"github.com/cohost-dev/cohost/zoomsim"
)

// restClock is the clock of the granters and of zoomclient in these tests:
// it moves only when a test advances it, so batch windows, leases and 429
// pauses pass without waiting.
type restClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *restClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *restClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// restLogs is a goroutine-safe log sink.
type restLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *restLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *restLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// restEnv is the real zoomclient talking to the real simulator over HTTP,
// and a real store.
type restEnv struct {
	t    *testing.T
	sim  *zoomsim.Sim
	acct zoomsim.Account
	host zoomsim.User
	zc   *zoomclient.Client
	st   *store.Store
	url  string // the store's database, for a second replica
	// simURL is the simulator's HTTP server.
	simURL string
	clock  *restClock
	logs   *restLogs
	log    *slog.Logger
	// beforeZoom, when set, sees each request before the simulator answers
	// it: a test's way to make something happen at an exact step.
	beforeZoom atomic.Pointer[func(*http.Request)]
}

func newRESTEnv(t *testing.T, engine string, cfg zoomsim.Config) *restEnv {
	t.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = 7
	}
	if cfg.RateLimits == nil {
		// Generous limits: the 429 tests inject theirs with Faults.Burst429.
		cfg.RateLimits = &zoomsim.RateLimits{Light: zoomsim.Limit{PerSecond: 1000}, Medium: zoomsim.Limit{PerSecond: 1000}, Heavy: zoomsim.Limit{PerSecond: 1000}}
	}
	sim := zoomsim.New(cfg)
	e := &restEnv{t: t, sim: sim}
	simHandler := sim.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := e.beforeZoom.Load(); f != nil {
			(*f)(r)
		}
		simHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sim.Close(ctx)
	})
	acct, host, err := sim.AddDefaultAccount("acct-rest")
	if err != nil {
		t.Fatal(err)
	}
	clock := &restClock{now: time.Now().UTC()}
	logs := &restLogs{}
	zc, err := zoomclient.New(zoomclient.Config{
		AccountID:    acct.ID,
		ClientID:     acct.ClientID,
		ClientSecret: acct.ClientSecret,
		APIURL:       srv.URL + "/v2",
		OAuthURL:     srv.URL,
		RateLimits:   zoomclient.RateLimits{Light: -1, Medium: -1, Heavy: -1},
		// A 429 comes back to the granter at once (it turns it into a
		// snooze) instead of being waited out inside the call.
		MaxPauseWait: -1,
		Now:          clock.Now,
		Sleep:        func(ctx context.Context, d time.Duration) error { clock.Advance(d); return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	url := testdb.URL(t, engine)
	st, err := store.Open(context.Background(), url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	e.simURL, e.acct, e.host, e.zc, e.st, e.url, e.clock, e.logs = srv.URL, acct, host, zc, st, url, clock, logs
	e.log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return e
}

func (e *restEnv) permissions() *granters.Permissions {
	g := granters.NewPermissions(e.zc, e.st, e.log)
	g.Now = e.clock.Now
	return g
}

// meeting schedules a meeting of the default host in the simulator and
// returns it as the engine would pass it.
func (e *restEnv) meeting() (grant.Meeting, int64) {
	e.t.Helper()
	zm, err := e.sim.CreateMeeting(zoomsim.MeetingSpec{HostID: e.host.ID, Topic: "Planning"})
	if err != nil {
		e.t.Fatal(err)
	}
	return grant.Meeting{AccountID: e.acct.ID, ID: strconv.FormatInt(zm.ID, 10), UUID: zm.UUID, HostID: e.host.ID,
		Status: grant.MeetingScheduled}, zm.ID
}

func (e *restEnv) userSettings() zoomsim.Settings {
	e.t.Helper()
	s, err := e.sim.UserSettings(e.host.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *restEnv) patches(prefix string) int {
	return e.sim.Ledger().APICallCount("PATCH", prefix)
}

func (e *restEnv) apiCalls() int { return len(e.sim.Ledger().APICalls) }

// setting reads a dotted path from the simulator's user settings ("in_meeting.x")
// or meeting settings ("settings.x").
func simSetting(s map[string]map[string]any, meeting map[string]any, path string) any {
	sec, key, _ := strings.Cut(path, ".")
	if sec == "settings" {
		return meeting[key]
	}
	return s[sec][key]
}

func restJSONEq(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func restEngines(t *testing.T, f func(t *testing.T, engine string)) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) { f(t, engine) })
	}
}

// Every path of the profile is a field of zoomclient's request types, which
// list Zoom's documented fields: decoding the profile strictly proves docs
// and code name only real fields.
func TestPermissionProfileUsesDocumentedFields(t *testing.T) {
	profile := granters.PermissionProfile()
	if len(profile) == 0 {
		t.Fatal("empty profile")
	}
	for _, s := range profile {
		var dst any = new(zoomclient.UserSettings)
		if s.Scope == granters.ScopeMeeting {
			dst = new(zoomclient.MeetingUpdate)
			if !strings.HasPrefix(s.Path, "settings.") {
				t.Errorf("%s: meeting settings live under settings.", s.Path)
			}
		}
		body := map[string]any{}
		node := body
		parts := strings.Split(s.Path, ".")
		for _, p := range parts[:len(parts)-1] {
			next := map[string]any{}
			node[p] = next
			node = next
		}
		node[parts[len(parts)-1]] = s.Value
		raw, _ := json.Marshal(body)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(dst); err != nil {
			t.Errorf("%s = %v is not a field of %T: %v", s.Path, s.Value, dst, err)
		}
		if s.Gives == "" {
			t.Errorf("%s: says nothing about what it gives", s.Path)
		}
	}
}

// docs/permissions.md shows the profile as a table; it must list the same
// settings, values, scopes and effects as the code.
func TestPermissionProfileMatchesDocs(t *testing.T) {
	raw, err := os.ReadFile("../docs/permissions.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "| `in_meeting.") || strings.HasPrefix(line, "| `recording.") || strings.HasPrefix(line, "| `settings.") {
			rows = append(rows, line)
		}
	}
	var want []string
	for _, s := range granters.PermissionProfile() {
		v, _ := json.Marshal(s.Value)
		want = append(want, fmt.Sprintf("| `%s` | `%s` | %s | %s |", s.Path, v, s.Scope, s.Gives))
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("the profile table of docs/permissions.md differs from granters.PermissionProfile (-code +docs):\n%s", diff)
	}
}

// The profile is applied to the host's user settings and the meeting's
// settings, Prepare and Finish are idempotent, Grant needs no Zoom call, and
// Finish puts the host's settings back exactly as they were.
func TestPermissionsApplyAndRestore(t *testing.T) {
	restEngines(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		e := newRESTEnv(t, engine, zoomsim.Config{})
		g := e.permissions()
		m, id := e.meeting()
		before := e.userSettings()

		if err := g.Prepare(ctx, m); err != nil {
			t.Fatalf("Prepare: %v", err)
		}
		after := e.userSettings()
		zm, _ := e.sim.Meeting(id)
		for _, s := range granters.PermissionProfile() {
			if got := simSetting(after, zm.Settings, s.Path); !restJSONEq(got, s.Value) {
				t.Errorf("after Prepare %s = %v, want %v", s.Path, got, s.Value)
			}
		}
		if got, want := g.PrepareDetail(m), fmt.Sprintf("applied %d of %d", len(granters.PermissionProfile()), len(granters.PermissionProfile())); got != want {
			t.Errorf("PrepareDetail = %q, want %q", got, want)
		}
		// The snapshot holds exactly the user settings the profile changes,
		// with their earlier values.
		h, err := e.st.GetHostSettings(ctx, e.acct.ID, e.host.ID)
		if err != nil {
			t.Fatal(err)
		}
		var snap map[string]any
		if err := json.Unmarshal([]byte(h.Snapshot), &snap); err != nil {
			t.Fatal(err)
		}
		wantSnap := map[string]any{}
		for _, s := range granters.PermissionProfile() {
			if s.Scope == granters.ScopeUser {
				wantSnap[s.Path] = simSetting(before, nil, s.Path)
			}
		}
		if diff := cmp.Diff(wantSnap, snap); diff != "" {
			t.Errorf("snapshot (-want +got):\n%s", diff)
		}

		// Prepare again, Grant: no more changes, Grant calls nobody.
		patches := e.patches("/v2/")
		if err := g.Prepare(ctx, m); err != nil {
			t.Fatalf("second Prepare: %v", err)
		}
		calls := e.apiCalls()
		out, err := g.Grant(ctx, m, grant.Participant{Key: "p1", Name: "Guest"})
		if err != nil || out.State != grant.StateGranted || out.AwaitConfirmation {
			t.Fatalf("Grant = %+v, %v; want granted without awaiting a role change", out, err)
		}
		if e.apiCalls() != calls {
			t.Errorf("Grant made %d Zoom calls, want none", e.apiCalls()-calls)
		}
		if e.patches("/v2/") != patches {
			t.Errorf("the second Prepare sent %d PATCHes, want none", e.patches("/v2/")-patches)
		}
		if n, _ := e.st.MeetingUpdates(ctx, e.acct.ID, m.ID, e.clock.Now()); n != 1 {
			t.Errorf("meeting updates counted = %d, want 1 (the meeting settings PATCH)", n)
		}

		if err := g.Finish(ctx, m); err != nil {
			t.Fatalf("Finish: %v", err)
		}
		if diff := cmp.Diff(before, e.userSettings()); diff != "" {
			t.Errorf("user settings after Finish differ from before (-before +after):\n%s", diff)
		}
		if _, err := e.st.GetHostSettings(ctx, e.acct.ID, e.host.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("host settings row after Finish: err = %v, want ErrNotFound", err)
		}
		calls = e.apiCalls()
		if err := g.Finish(ctx, m); err != nil {
			t.Fatalf("second Finish: %v", err)
		}
		if e.apiCalls() != calls {
			t.Errorf("the second Finish made %d Zoom calls, want none", e.apiCalls()-calls)
		}
		if diff := cmp.Diff(before, e.userSettings()); diff != "" {
			t.Errorf("user settings after the second Finish (-before +after):\n%s", diff)
		}
	})
}

// Two overlapping meetings of one host share one snapshot; the host's
// settings stay changed until the second ends, then are restored once.
func TestPermissionsOverlappingMeetingsOfOneHost(t *testing.T) {
	restEngines(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		e := newRESTEnv(t, engine, zoomsim.Config{})
		g := e.permissions()
		a, _ := e.meeting()
		b, _ := e.meeting()
		before := e.userSettings()
		userPatches := "/v2/users/" + e.host.ID + "/settings"

		if err := g.Prepare(ctx, a); err != nil {
			t.Fatal(err)
		}
		applied := e.userSettings()
		// The second meeting starts without a Prepare: its first joiner
		// prepares it lazily.
		if out, err := g.Grant(ctx, b, grant.Participant{Key: "early"}); err != nil || out.State != grant.StateGranted {
			t.Fatalf("Grant in the second meeting = %+v, %v", out, err)
		}
		if n := e.patches(userPatches); n != 1 {
			t.Errorf("PATCHes of the host's settings = %d, want 1 (the second meeting finds them applied)", n)
		}
		h, err := e.st.GetHostSettings(ctx, e.acct.ID, e.host.ID)
		if err != nil || len(h.Meetings) != 2 {
			t.Fatalf("host settings = %+v, %v; want one row holding both meetings", h, err)
		}
		var snap map[string]any
		_ = json.Unmarshal([]byte(h.Snapshot), &snap)
		if got := snap["in_meeting.who_can_share_screen"]; got != "host" {
			t.Errorf("snapshot of who_can_share_screen = %v, want the earlier value host (not retaken by the second meeting)", got)
		}

		if err := g.Finish(ctx, a); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(applied, e.userSettings()); diff != "" {
			t.Errorf("the first meeting's end changed the settings the second still uses (-want +got):\n%s", diff)
		}
		if err := g.Finish(ctx, b); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, e.userSettings()); diff != "" {
			t.Errorf("after the second meeting ended (-before +after):\n%s", diff)
		}
		if n := e.patches(userPatches); n != 2 {
			t.Errorf("PATCHes of the host's settings = %d, want 2 (apply once, restore once)", n)
		}
	})
}

// Meetings of one host prepared at the same moment on two replicas: one
// snapshot of the host's own settings (never of cohost's values), restored
// when both have ended.
func TestPermissionsConcurrentReplicas(t *testing.T) {
	restEngines(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		e := newRESTEnv(t, engine, zoomsim.Config{})
		second, err := store.Open(ctx, e.url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(second.Close)
		replicas := []*granters.Permissions{e.permissions(), e.permissions()}
		replicas[1].Store = second
		before := e.userSettings()
		var meetings []grant.Meeting
		for range 4 {
			m, _ := e.meeting()
			meetings = append(meetings, m)
		}
		// prepare retries as the engine would, until the meeting is prepared.
		prepare := func(g *granters.Permissions, m grant.Meeting) error {
			for {
				err := g.Prepare(ctx, m)
				if grant.ErrorCode(err) != grant.EUNAVAILABLE {
					return err
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		var wg sync.WaitGroup
		for i, m := range meetings {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := prepare(replicas[i%2], m); err != nil {
					t.Errorf("Prepare %s: %v", m.ID, err)
				}
			}()
		}
		wg.Wait()
		h, err := e.st.GetHostSettings(ctx, e.acct.ID, e.host.ID)
		if err != nil || len(h.Meetings) != len(meetings) {
			t.Fatalf("host settings = %+v, %v; want one row with every meeting", h, err)
		}
		var snap map[string]any
		_ = json.Unmarshal([]byte(h.Snapshot), &snap)
		for path, v := range snap {
			if want := simSetting(before, nil, path); !restJSONEq(v, want) {
				t.Errorf("snapshot %s = %v, want the host's own %v", path, v, want)
			}
		}
		for i, m := range meetings {
			if err := replicas[(i+1)%2].Finish(ctx, m); err != nil {
				t.Fatalf("Finish %s: %v", m.ID, err)
			}
			if i < len(meetings)-1 && cmp.Equal(before, e.userSettings()) {
				t.Fatalf("settings restored after %d of %d meetings ended", i+1, len(meetings))
			}
		}
		if diff := cmp.Diff(before, e.userSettings()); diff != "" {
			t.Errorf("after every meeting ended (-before +after):\n%s", diff)
		}
	})
}

// Settings the account admin locked are reported one by one, whether Zoom
// ignores the locked fields (204) or refuses the PATCH (400); the other
// settings are applied, and everything is restored.
func TestPermissionsLockedSettingsReported(t *testing.T) {
	for _, mode := range []zoomsim.LockedSettingsMode{zoomsim.LockedSettingsIgnore, zoomsim.LockedSettingsReject} {
		t.Run(string(mode), func(t *testing.T) {
			restEngines(t, func(t *testing.T, engine string) {
				ctx := context.Background()
				e := newRESTEnv(t, engine, zoomsim.Config{LockedSettings: mode})
				for path, v := range map[string]any{"in_meeting.annotation": false, "recording.local_recording": false} {
					if err := e.sim.LockSetting(e.acct.ID, path, v); err != nil {
						t.Fatal(err)
					}
				}
				g := e.permissions()
				m, id := e.meeting()
				before := e.userSettings()

				if err := g.Prepare(ctx, m); err != nil {
					t.Fatalf("Prepare: %v", err)
				}
				n := len(granters.PermissionProfile())
				want := fmt.Sprintf("applied %d of %d; locked by the account admin: in_meeting.annotation, recording.local_recording", n-2, n)
				if got := g.PrepareDetail(m); got != want {
					t.Errorf("PrepareDetail = %q\nwant %q", got, want)
				}
				after := e.userSettings()
				zm, _ := e.sim.Meeting(id)
				for _, s := range granters.PermissionProfile() {
					if s.Path == "in_meeting.annotation" || s.Path == "recording.local_recording" {
						continue
					}
					if got := simSetting(after, zm.Settings, s.Path); !restJSONEq(got, s.Value) {
						t.Errorf("%s = %v, want %v: an unlocked setting was not applied", s.Path, got, s.Value)
					}
				}
				if logs := e.logs.String(); !strings.Contains(logs, "locked_by_admin=in_meeting.annotation,recording.local_recording") {
					t.Errorf("no log line names the locked settings:\n%s", logs)
				}
				if mode == zoomsim.LockedSettingsReject {
					refused := 0
					for _, c := range e.sim.Ledger().APICalls {
						if c.Method == "PATCH" && strings.HasSuffix(c.Path, "/settings") && c.Status == 400 {
							refused++
						}
					}
					// The whole PATCH, then each locked field alone.
					if refused != 3 {
						t.Errorf("refused PATCHes = %d, want 3", refused)
					}
				}
				// The detail is kept with the meeting: a second Prepare (another
				// replica, after a restart) reports the same.
				g2 := e.permissions()
				if err := g2.Prepare(ctx, m); err != nil {
					t.Fatal(err)
				}
				if got := g2.PrepareDetail(m); got != want {
					t.Errorf("PrepareDetail after a second Prepare = %q", got)
				}
				if err := g.Finish(ctx, m); err != nil {
					t.Fatalf("Finish: %v", err)
				}
				if diff := cmp.Diff(before, e.userSettings()); diff != "" {
					t.Errorf("after Finish (-before +after):\n%s", diff)
				}
			})
		})
	}
}

// A 429 from Zoom becomes ERATELIMITED with Zoom's Retry-After; nothing is
// left half done, and the next attempt completes.
func TestPermissionsRateLimited(t *testing.T) {
	restEngines(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		e := newRESTEnv(t, engine, zoomsim.Config{})
		g := e.permissions()
		m, _ := e.meeting()
		before := e.userSettings()

		e.sim.SetFaults(zoomsim.Faults{Burst429: 1})
		err := g.Prepare(ctx, m)
		if ge, ok := errors.AsType[*grant.Error](err); !ok || ge.Code != grant.ERATELIMITED || ge.RetryAfter <= 0 {
			t.Fatalf("Prepare under a 429 = %v, want ERATELIMITED with a RetryAfter", err)
		}
		if _, err := e.st.GetHostSettings(ctx, e.acct.ID, e.host.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a failed snapshot left a claim behind: %v", err)
		}
		// Within Zoom's Retry-After the client refuses to send (the pause is
		// shared by the account's calls); the grant says wait, too.
		if _, err := g.Grant(ctx, m, grant.Participant{Key: "p"}); grant.ErrorCode(err) != grant.ERATELIMITED {
			t.Fatalf("Grant during the pause = %v, want ERATELIMITED", err)
		}
		e.clock.Advance(2 * time.Second)
		if err := g.Prepare(ctx, m); err != nil {
			t.Fatalf("Prepare after the pause: %v", err)
		}

		// A 429 while restoring: Finish asks to be retried, and the retry
		// restores.
		e.sim.SetFaults(zoomsim.Faults{Burst429: 1})
		if err := g.Finish(ctx, m); grant.ErrorCode(err) != grant.ERATELIMITED {
			t.Fatalf("Finish under a 429 = %v, want ERATELIMITED", err)
		}
		e.clock.Advance(2 * time.Second)
		if err := g.Finish(ctx, m); err != nil {
			t.Fatalf("retried Finish: %v", err)
		}
		if diff := cmp.Diff(before, e.userSettings()); diff != "" {
			t.Errorf("after the retried Finish (-before +after):\n%s", diff)
		}
	})
}

// Zoom's 5xx is EUNAVAILABLE (retried by the engine), a 4xx a rejection
// with a reason a person can read.
func TestPermissionsZoomFailures(t *testing.T) {
	ctx := context.Background()
	e := newRESTEnv(t, "sqlite", zoomsim.Config{})
	g := e.permissions()
	m, _ := e.meeting()

	e.sim.SetFaults(zoomsim.Faults{REST5xxRate: 1})
	if err := g.Prepare(ctx, m); grant.ErrorCode(err) != grant.EUNAVAILABLE {
		t.Fatalf("Prepare under 5xx = %v, want EUNAVAILABLE", err)
	}
	e.sim.SetFaults(zoomsim.Faults{})

	gone := m
	gone.ID, gone.HostID = "89999999999", ""
	err := g.Prepare(ctx, gone)
	var ge *grant.Error
	if !errors.As(err, &ge) || ge.Code != grant.ENOTFOUND || ge.Reason != grant.ReasonZoomNotFound || !strings.Contains(ge.Message, "Zoom does not know it") {
		t.Fatalf("Prepare of an unknown meeting = %v, want ENOTFOUND (zoom_not_found) saying Zoom does not know it", err)
	}
}
