package granters_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/granters"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomclient"
	"github.com/cohost-dev/cohost/zoomsim"
)

func (e *restEnv) alternativeHosts() *granters.AlternativeHosts {
	g := granters.NewAlternativeHosts(e.zc, e.st, e.log)
	g.Now = e.clock.Now
	g.BatchWindow = 5 * time.Second
	g.MinInterval = 30 * time.Second
	return g
}

// user adds a user to an account of the simulator.
func (e *restEnv) user(accountID, email string, typ int) zoomsim.User {
	e.t.Helper()
	u, err := e.sim.CreateUser(accountID, zoomsim.UserSpec{Email: email, Type: typ})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// join signs a user (or a guest, "") into the started meeting and returns
// the participant as the engine would pass it.
func (e *restEnv) join(m grant.Meeting, id int64, zoomUserID string) grant.Participant {
	e.t.Helper()
	p, err := e.sim.Join(id, zoomsim.JoinSpec{ZoomUserID: zoomUserID})
	if err != nil {
		e.t.Fatal(err)
	}
	return grant.Participant{AccountID: m.AccountID, MeetingID: m.ID, MeetingUUID: m.UUID, Key: p.Key(), UserID: p.UserID,
		ZoomUserID: p.ZoomUserID, Name: p.Name, Email: p.Email}
}

func (e *restEnv) startedMeeting() (grant.Meeting, int64) {
	e.t.Helper()
	m, id := e.meeting()
	zm, err := e.sim.StartMeeting(id)
	if err != nil {
		e.t.Fatal(err)
	}
	m.UUID, m.Status = zm.UUID, grant.MeetingStarted
	return m, id
}

func (e *restEnv) alternativeHostsOf(id int64) []string {
	e.t.Helper()
	zm, err := e.sim.Meeting(id)
	if err != nil {
		e.t.Fatal(err)
	}
	list, _ := zm.Settings["alternative_hosts"].(string)
	var out []string
	for _, h := range strings.Split(list, ";") {
		if h != "" {
			out = append(out, h)
		}
	}
	return out
}

func restWantOutcome(t *testing.T, what string, got grant.Outcome, err error, want grant.Outcome) {
	t.Helper()
	if err != nil || got != want {
		t.Fatalf("%s = %+v, %v; want %+v", what, got, err, want)
	}
}

// Guests, basic (unlicensed) users and users of another account are skipped
// as not eligible; a licensed user of the meeting's account is added, after
// the batch window, and becomes co-host only when they join again.
func TestAlternativeHostsEligibility(t *testing.T) {
	restEngines(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		e := newRESTEnv(t, engine, zoomsim.Config{})
		g := e.alternativeHosts()
		m, id := e.startedMeeting()
		other, err := e.sim.CreateAccount(zoomsim.AccountSpec{ID: "acct-other"})
		if err != nil {
			t.Fatal(err)
		}
		basic := e.user(e.acct.ID, "basic@example.com", zoomsim.UserBasic)
		outsider := e.user(other.ID, "outsider@other.test", zoomsim.UserLicensed)
		alice := e.user(e.acct.ID, "Alice@Example.com", zoomsim.UserLicensed)
		notEligible := grant.Outcome{State: grant.StateSkipped, Reason: grant.ReasonNotEligible}

		calls := e.apiCalls()
		out, err := g.Grant(ctx, m, e.join(m, id, ""))
		restWantOutcome(t, "guest", out, err, notEligible)
		if e.apiCalls() != calls {
			t.Errorf("a guest cost %d Zoom calls, want none", e.apiCalls()-calls)
		}
		out, err = g.Grant(ctx, m, e.join(m, id, basic.ID))
		restWantOutcome(t, "basic user", out, err, notEligible)
		out, err = g.Grant(ctx, m, e.join(m, id, outsider.ID))
		restWantOutcome(t, "user of another account", out, err, notEligible)

		pa := e.join(m, id, alice.ID)
		_, err = g.Grant(ctx, m, pa)
		if ge, ok := errors.AsType[*grant.Error](err); !ok || ge.Code != grant.ERATELIMITED || ge.RetryAfter <= 0 || ge.RetryAfter > 5*time.Second {
			t.Fatalf("first grant = %v, want ERATELIMITED for the batch window", err)
		}
		e.clock.Advance(5 * time.Second)
		out, err = g.Grant(ctx, m, pa)
		restWantOutcome(t, "licensed user", out, err, grant.Outcome{State: grant.StateGranted})
		if got := e.alternativeHostsOf(id); !slices.Equal(got, []string{"alice@example.com"}) {
			t.Fatalf("alternative_hosts = %v, want alice", got)
		}
		zm, _ := e.sim.Meeting(id)
		if zm.Settings["alternative_hosts_email_notification"] != false {
			t.Errorf("alternative_hosts_email_notification = %v, want false", zm.Settings["alternative_hosts_email_notification"])
		}
		// Zoom applies alternative hosts when they join: the current session
		// is not promoted (hence no AwaitConfirmation); the next join is.
		if p, _ := e.sim.Participant(id, pa.Key); p.Role != zoomsim.RoleAttendee {
			t.Errorf("role in the current session = %q, want attendee", p.Role)
		}
		again, err := e.sim.Rejoin(id, pa.Key)
		if err != nil {
			t.Fatal(err)
		}
		if again.Role != zoomsim.RoleCoHost {
			t.Errorf("role after re-joining = %q, want co-host", again.Role)
		}
		// Granting again is idempotent and costs no update.
		patches := e.patches("/v2/meetings/")
		out, err = g.Grant(ctx, m, pa)
		restWantOutcome(t, "repeated grant", out, err, grant.Outcome{State: grant.StateGranted})
		if e.patches("/v2/meetings/") != patches {
			t.Error("a repeated grant updated the meeting")
		}
	})
}

// Joiners who arrive together are added in one PATCH of the meeting.
func TestAlternativeHostsBatch(t *testing.T) {
	restEngines(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		e := newRESTEnv(t, engine, zoomsim.Config{})
		g := e.alternativeHosts()
		m, id := e.startedMeeting()
		// The meeting already has an alternative host: it is kept.
		kept := e.user(e.acct.ID, "kept@example.com", zoomsim.UserLicensed)
		if _, err := e.zc.Meetings.Update(ctx, id, &zoomclient.MeetingUpdate{Settings: &zoomclient.MeetingSettings{
			AlternativeHosts: zoomclient.Ptr(kept.Email)}}); err != nil {
			t.Fatal(err)
		}

		var ps []grant.Participant
		var emails []string
		for i := range 5 {
			u := e.user(e.acct.ID, "joiner"+strconv.Itoa(i)+"@example.com", zoomsim.UserLicensed)
			ps = append(ps, e.join(m, id, u.ID))
			emails = append(emails, u.Email)
		}
		patches := e.patches("/v2/meetings/")
		for _, p := range ps {
			if _, err := g.Grant(ctx, m, p); grant.ErrorCode(err) != grant.ERATELIMITED {
				t.Fatalf("grant inside the batch window = %v, want ERATELIMITED", err)
			}
		}
		e.clock.Advance(5 * time.Second)
		for _, p := range ps {
			out, err := g.Grant(ctx, m, p)
			restWantOutcome(t, "grant after the batch window", out, err, grant.Outcome{State: grant.StateGranted})
		}
		if n := e.patches("/v2/meetings/") - patches; n != 1 {
			t.Errorf("PATCHes of the meeting = %d, want 1 for the whole batch", n)
		}
		if got, want := e.alternativeHostsOf(id), append([]string{kept.Email}, emails...); !slices.Equal(got, want) {
			t.Errorf("alternative_hosts = %v, want %v", got, want)
		}
		if n, _ := e.st.MeetingUpdates(ctx, e.acct.ID, m.ID, e.clock.Now()); n != 1 {
			t.Errorf("updates counted = %d, want 1", n)
		}
		if q, _ := e.st.QueuedAlternativeHosts(ctx, e.acct.ID, m.ID); len(q) != 0 {
			t.Errorf("queue after the batch = %v", q)
		}

		// A joiner right after the batch waits for the interval between updates.
		late := e.join(m, id, e.user(e.acct.ID, "late@example.com", zoomsim.UserLicensed).ID)
		_, err := g.Grant(ctx, m, late)
		if ge, ok := errors.AsType[*grant.Error](err); !ok || ge.Code != grant.ERATELIMITED || ge.RetryAfter < 25*time.Second {
			t.Fatalf("grant right after a batch = %v, want a wait of about the minimum interval", err)
		}
		e.clock.Advance(30 * time.Second)
		out, err := g.Grant(ctx, m, late)
		restWantOutcome(t, "late joiner", out, err, grant.Outcome{State: grant.StateGranted})
		if err := g.Finish(ctx, m); err != nil {
			t.Fatal(err)
		}
	})
}

// Two replicas granting the same batch at once still send one PATCH.
func TestAlternativeHostsBatchAcrossReplicas(t *testing.T) {
	restEngines(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		e := newRESTEnv(t, engine, zoomsim.Config{})
		second, err := store.Open(ctx, e.url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(second.Close)
		replicas := []*granters.AlternativeHosts{e.alternativeHosts(), e.alternativeHosts()}
		replicas[1].Store = second
		m, id := e.startedMeeting()
		var ps []grant.Participant
		for i := range 6 {
			ps = append(ps, e.join(m, id, e.user(e.acct.ID, "r"+strconv.Itoa(i)+"@example.com", zoomsim.UserLicensed).ID))
		}
		patches := e.patches("/v2/meetings/")
		grantAll := func() (granted int) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			for i, p := range ps {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out, err := replicas[i%2].Grant(ctx, m, p)
					if err != nil && grant.ErrorCode(err) != grant.ERATELIMITED {
						t.Errorf("grant: %v", err)
					}
					if err == nil && out.State == grant.StateGranted {
						mu.Lock()
						granted++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			return granted
		}
		grantAll() // queue everyone
		e.clock.Advance(5 * time.Second)
		grantAll() // one of them sends the batch; the rest are granted or told to wait for it
		if n := grantAll(); n != len(ps) {
			t.Fatalf("granted after the batch = %d, want %d", n, len(ps))
		}
		if n := e.patches("/v2/meetings/") - patches; n != 1 {
			t.Errorf("PATCHes of the meeting = %d, want 1", n)
		}
		if got := e.alternativeHostsOf(id); len(got) != len(ps) {
			t.Errorf("alternative_hosts = %v", got)
		}
	})
}

// When the day's updates are spent — cohost's own budget, or Zoom's limit —
// the grant fails with ReasonAlternativeHostsLimit.
func TestAlternativeHostsDailyLimit(t *testing.T) {
	spent := grant.Outcome{State: grant.StateFailed, Reason: grant.ReasonAlternativeHostsLimit}
	t.Run("budget", func(t *testing.T) {
		restEngines(t, func(t *testing.T, engine string) {
			ctx := context.Background()
			e := newRESTEnv(t, engine, zoomsim.Config{})
			g := e.alternativeHosts()
			g.DailyUpdates = 2
			m, id := e.startedMeeting()
			for i := range 2 {
				p := e.join(m, id, e.user(e.acct.ID, "u"+strconv.Itoa(i)+"@example.com", zoomsim.UserLicensed).ID)
				_, _ = g.Grant(ctx, m, p)
				e.clock.Advance(30 * time.Second)
				out, err := g.Grant(ctx, m, p)
				restWantOutcome(t, "grant within the budget", out, err, grant.Outcome{State: grant.StateGranted})
			}
			patches := e.patches("/v2/meetings/")
			p := e.join(m, id, e.user(e.acct.ID, "over@example.com", zoomsim.UserLicensed).ID)
			out, err := g.Grant(ctx, m, p)
			restWantOutcome(t, "grant over the budget", out, err, spent)
			if e.patches("/v2/meetings/") != patches {
				t.Error("a grant over the budget updated the meeting")
			}
		})
	})
	t.Run("zoom", func(t *testing.T) {
		restEngines(t, func(t *testing.T, engine string) {
			ctx := context.Background()
			// Zoom refuses the second update of the meeting today.
			e := newRESTEnv(t, engine, zoomsim.Config{MeetingUpdatesPerDay: 1})
			g := e.alternativeHosts()
			m, id := e.startedMeeting()
			first := e.join(m, id, e.user(e.acct.ID, "first@example.com", zoomsim.UserLicensed).ID)
			_, _ = g.Grant(ctx, m, first)
			e.clock.Advance(5 * time.Second)
			out, err := g.Grant(ctx, m, first)
			restWantOutcome(t, "first grant", out, err, grant.Outcome{State: grant.StateGranted})

			second := e.join(m, id, e.user(e.acct.ID, "second@example.com", zoomsim.UserLicensed).ID)
			_, _ = g.Grant(ctx, m, second)
			e.clock.Advance(30 * time.Second)
			out, err = g.Grant(ctx, m, second)
			restWantOutcome(t, "grant refused by Zoom's daily limit", out, err, spent)
			// The budget is recorded as spent: the next joiner does not try.
			calls := e.patches("/v2/meetings/")
			third := e.join(m, id, e.user(e.acct.ID, "third@example.com", zoomsim.UserLicensed).ID)
			out, err = g.Grant(ctx, m, third)
			restWantOutcome(t, "grant after Zoom's daily limit", out, err, spent)
			if e.patches("/v2/meetings/") != calls {
				t.Error("cohost tried another update after Zoom's daily limit")
			}
		})
	})
}

// A 429 from Zoom is ERATELIMITED, not a failed grant.
func TestAlternativeHostsRateLimited(t *testing.T) {
	ctx := context.Background()
	e := newRESTEnv(t, "sqlite", zoomsim.Config{})
	g := e.alternativeHosts()
	m, id := e.startedMeeting()
	p := e.join(m, id, e.user(e.acct.ID, "rl@example.com", zoomsim.UserLicensed).ID)
	e.sim.SetFaults(zoomsim.Faults{Burst429: 1})
	if _, err := g.Grant(ctx, m, p); grant.ErrorCode(err) != grant.ERATELIMITED {
		t.Fatalf("grant under a 429 = %v, want ERATELIMITED", err)
	}
}
