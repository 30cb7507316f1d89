package engine

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/store"
)

// fakeRoles is a RoleRequests of one func field.
type fakeRoles struct {
	RoleRequestedByFn func(ctx context.Context, m grant.Meeting, p grant.Participant) (string, error)
}

var _ RoleRequests = (*fakeRoles)(nil)

func (f *fakeRoles) RoleRequestedBy(ctx context.Context, m grant.Meeting, p grant.Participant) (string, error) {
	return f.RoleRequestedByFn(ctx, m, p)
}

// roleChange feeds one meeting.participant_role_changed through the intake
// and the event worker.
func (w *workerEnv) roleChange(t *testing.T, e *Engine, participantJSON string) {
	t.Helper()
	ctx := context.Background()
	w.events++
	ts := w.now.UnixMilli() + w.events
	body := []byte(`{"event":"meeting.participant_role_changed","event_ts":` + strconv.FormatInt(ts, 10) + `,"payload":{"account_id":"` + wAccount +
		`","object":{"id":` + wMeeting + `,"uuid":"` + wUUID + `","host_id":"host","participant":` + participantJSON + `}}}`)
	in := NewIntake(w.st, IntakeOptions{})
	defer in.Close()
	res, err := in.Accept(ctx, grant.Inbound{Event: "meeting.participant_role_changed", EventTime: time.UnixMilli(ts),
		AccountID: wAccount, MeetingID: wMeeting, MeetingUUID: wUUID, ParticipantKey: "rc", Body: body, ReceivedAt: w.now})
	if err != nil {
		t.Fatal(err)
	}
	// Applied as the event worker does, without River's bookkeeping: a test
	// may feed one while a grant job runs.
	stored, err := w.st.GetEvent(ctx, res.EventID)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := api.DecodeEvent(stored.Body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.apply(ctx, stored, ev); err != nil {
		t.Fatal(err)
	}
}

func (w *workerEnv) setParticipant(t *testing.T, f func(*grant.Participant)) {
	t.Helper()
	ctx := context.Background()
	err := w.st.InTx(ctx, func(tx store.Tx) error {
		p, err := tx.LockParticipant(ctx, wAccount, wMeeting, wUUID, "p1")
		if err != nil {
			return err
		}
		f(&p)
		return tx.SaveParticipant(ctx, p)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func confirmedBy(reg *prometheus.Registry, m *metrics.Metrics, granter string) float64 {
	return testutil.ToFloat64(m.Grants.WithLabelValues(granter, string(grant.StateConfirmed), ""))
}

// Credit and truth, as Zoom's role-change event meets the ledger: the host
// page's call in flight names the host page; a role nobody in cohost asked
// for names the host and keeps the policy's decision; a participantUUID
// that changed with the role is still the same person.
func TestRoleChangeCredit(t *testing.T) {
	eachEngine(t, func(t *testing.T, w *workerEnv) {
		newEngine := func(roles RoleRequests, gs ...grant.Granter) (*Engine, *metrics.Metrics, *prometheus.Registry) {
			reg := prometheus.NewRegistry()
			m := metrics.New(reg, metrics.BuildInfo{})
			e, err := New(Config{Store: w.st, Granters: gs, Logger: slog.New(slog.DiscardHandler), Metrics: m, RoleRequests: roles,
				Now: func() time.Time { return w.now }})
			if err != nil {
				t.Fatal(err)
			}
			return e, m, reg
		}
		w.seed(t)
		// The policy skipped them; the host made them co-host by hand.
		w.setParticipant(t, func(p *grant.Participant) { p.State, p.Reason = grant.StateSkipped, grant.ReasonParticipantOutOfScope })
		nobody := &fakeRoles{func(context.Context, grant.Meeting, grant.Participant) (string, error) { return "", nil }}
		e, m, reg := newEngine(nobody, &fakeGranter{name: "host-client"})
		w.roleChange(t, e, `{"user_id":"16778240","participant_uuid":"p1","new_role":"co-host","old_role":"attendee"}`)
		p := w.participant(t)
		if p.State != grant.StateConfirmed || p.Granter != grant.GranterHost || p.Reason != grant.ReasonParticipantOutOfScope {
			t.Fatalf("by hand: %s via %q (%s)", p.State, p.Granter, p.Reason)
		}
		if confirmedBy(reg, m, grant.GranterHost) != 1 || confirmedBy(reg, m, "host-client") != 0 {
			t.Fatal("the host's role counted under the host page")
		}

		// The host page's call for them is in flight.
		w.setParticipant(t, func(p *grant.Participant) {
			p.State, p.Granter, p.Reason, p.ConfirmedAt = grant.StatePending, "", "", time.Time{}
		})
		var asked grant.Participant
		page := &fakeRoles{func(_ context.Context, _ grant.Meeting, p grant.Participant) (string, error) {
			asked = p
			return "host-client", nil
		}}
		e, m, reg = newEngine(page, &fakeGranter{name: "host-client"})
		// Zoom's event carries a new participant_uuid (it changed with the
		// role): the user id still names p1.
		w.roleChange(t, e, `{"user_id":"16778240","participant_uuid":"p1-after-the-role","new_role":"co-host","old_role":"attendee"}`)
		if asked.Key != "p1" {
			t.Fatalf("the host client was asked about %q, want p1", asked.Key)
		}
		p = w.participant(t)
		if p.State != grant.StateConfirmed || p.Granter != "host-client" {
			t.Fatalf("in flight: %s via %q", p.State, p.Granter)
		}
		if confirmedBy(reg, m, "host-client") != 1 {
			t.Fatal("not counted under the host page")
		}
		if _, err := w.st.GetParticipant(context.Background(), wUUID, "p1-after-the-role"); err == nil {
			t.Fatal("the new participant_uuid made a new person")
		}
	})
}

// With a granter that asks for the role itself (the agent), a confirmation
// that comes while it asks is named by its answer, and counted once; one
// that came before any granter asked is the host's.
func TestRoleChangeBeforeTheAgentsAnswer(t *testing.T) {
	eachEngine(t, func(t *testing.T, w *workerEnv) {
		args := w.seed(t)
		reg := prometheus.NewRegistry()
		m := metrics.New(reg, metrics.BuildInfo{})
		var e *Engine
		agent := &askingGranter{fakeGranter{name: "agent", GrantFn: func(context.Context, grant.Meeting, grant.Participant) (grant.Outcome, error) {
			// Zoom's event arrives while the agent's call runs.
			w.roleChange(t, e, `{"user_id":"16778240","participant_uuid":"p1","new_role":"co-host","old_role":"attendee"}`)
			if p := w.participant(t); p.State != grant.StateConfirmed || p.Granter != "" {
				t.Errorf("before the answer: %s via %q; want confirmed, not known yet", p.State, p.Granter)
			}
			return grant.Outcome{State: grant.StateGranted, AwaitConfirmation: true}, nil
		}}}
		var err error
		e, err = New(Config{Store: w.st, Granters: []grant.Granter{agent}, Logger: slog.New(slog.DiscardHandler), Metrics: m,
			Now: func() time.Time { return w.now }})
		if err != nil {
			t.Fatal(err)
		}
		if kind, err := work(t, w, river.Worker[GrantParticipantArgs](&grantWorker{e: e}), args, nil); kind != river.EventKindJobCompleted || err != nil {
			t.Fatalf("grant job %s, %v", kind, err)
		}
		if p := w.participant(t); p.State != grant.StateConfirmed || p.Granter != "agent" {
			t.Fatalf("after the answer: %s via %q", p.State, p.Granter)
		}
		if confirmedBy(reg, m, "agent") != 1 || confirmedBy(reg, m, grant.GranterHost) != 0 {
			t.Fatalf("counted agent %v, host %v", confirmedBy(reg, m, "agent"), confirmedBy(reg, m, grant.GranterHost))
		}

		// A new join; Zoom's event comes before the grant job runs.
		w.now = w.now.Add(time.Minute)
		args = w.seed(t)
		w.roleChange(t, e, `{"user_id":"16778240","participant_uuid":"p1","new_role":"co-host","old_role":"attendee"}`)
		asked := false
		e.granters = []grant.Granter{&askingGranter{fakeGranter{name: "agent", GrantFn: func(context.Context, grant.Meeting, grant.Participant) (grant.Outcome, error) {
			asked = true
			return grant.Outcome{State: grant.StateGranted, AwaitConfirmation: true}, nil
		}}}}
		if kind, err := work(t, w, river.Worker[GrantParticipantArgs](&grantWorker{e: e}), args, nil); kind != river.EventKindJobCompleted || err != nil {
			t.Fatalf("grant job %s, %v", kind, err)
		}
		if p := w.participant(t); p.State != grant.StateConfirmed || p.Granter != grant.GranterHost || asked {
			t.Fatalf("a role before any ask: %s via %q, agent asked %v", p.State, p.Granter, asked)
		}
		if confirmedBy(reg, m, grant.GranterHost) != 1 {
			t.Fatal("the host's role not counted")
		}
	})
}

type askingGranter struct{ fakeGranter }

func (askingGranter) AsksForRole() bool { return true }

// A granter that waits is asked again at the moment its wait ends: the job
// snoozes once, for that long, and the granters after it are not asked.
func TestGrantWaitsUntilTheMoment(t *testing.T) {
	eachEngine(t, func(t *testing.T, w *workerEnv) {
		args := w.seed(t)
		next := false
		waits := &fakeGranter{name: "host-client", GrantFn: func(context.Context, grant.Meeting, grant.Participant) (grant.Outcome, error) {
			return grant.Outcome{State: grant.StatePending, Reason: grant.ReasonNoHostPage, Until: w.now.Add(29 * time.Second)}, nil
		}}
		after := &fakeGranter{name: "permissions", GrantFn: func(context.Context, grant.Meeting, grant.Participant) (grant.Outcome, error) {
			next = true
			return grant.Outcome{State: grant.StateGranted}, nil
		}}
		kind, err := work(t, w, river.Worker[GrantParticipantArgs](&grantWorker{e: w.engine(t, waits, after)}), args, nil)
		if kind != river.EventKindJobSnoozed || next {
			t.Fatalf("job %s, err %v, next granter asked %v", kind, err, next)
		}
		if p := w.participant(t); p.State != grant.StatePending {
			t.Fatalf("the wait changed the grant: %s", p.State)
		}
	})
}

// A run after a snooze reads the ledger, not what the join's transaction
// saw: River keeps the attempt's number across a snooze.
func TestGrantAfterASnoozeReadsTheLedger(t *testing.T) {
	eachEngine(t, func(t *testing.T, w *workerEnv) {
		args := w.seed(t)
		seen := w.participant(t)
		args.Seen = []byte(`{"meeting":{"AccountID":"` + wAccount + `","ID":"` + wMeeting + `","UUID":"` + wUUID + `","Status":"started"},` +
			`"participant":{"AccountID":"` + wAccount + `","MeetingID":"` + wMeeting + `","MeetingUUID":"` + wUUID + `","Key":"p1","State":"pending",` +
			`"JoinedAt":"` + seen.JoinedAt.Format(time.RFC3339Nano) + `"},"version":1}`)
		// Meanwhile the host page made them co-host.
		w.setParticipant(t, func(p *grant.Participant) { p.State, p.Granter = grant.StateConfirmed, "host-client" })
		called := false
		g := &fakeGranter{name: "permissions", GrantFn: func(context.Context, grant.Meeting, grant.Participant) (grant.Outcome, error) {
			called = true
			return grant.Outcome{State: grant.StateGranted}, nil
		}}
		kind, err := work(t, w, river.Worker[GrantParticipantArgs](&grantWorker{e: w.engine(t, g)}), args,
			&river.InsertOpts{Metadata: []byte(`{"snoozes":1}`)})
		if kind != river.EventKindJobCompleted || err != nil || called {
			t.Fatalf("job %s, err %v, granter asked %v: a snoozed run granted from what the join saw", kind, err, called)
		}
		if p := w.participant(t); p.State != grant.StateConfirmed || p.Granter != "host-client" {
			t.Fatalf("participant %s via %q", p.State, p.Granter)
		}
	})
}
