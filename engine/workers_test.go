package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertest"
	_ "modernc.org/sqlite"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
)

// The workers' unit tests run each worker once with rivertest, on both
// engines, against a real store. The granters are stubs (fakeGranter): the
// tests are about what the worker does with each answer.

// fakeGranter is a grant.Granter of func fields, in the style of
// benbjohnson/wtf's mocks; a nil func succeeds.
type fakeGranter struct {
	name      string
	PrepareFn func(ctx context.Context, m grant.Meeting) error
	GrantFn   func(ctx context.Context, m grant.Meeting, p grant.Participant) (grant.Outcome, error)
	FinishFn  func(ctx context.Context, m grant.Meeting) error
	detail    string
}

var _ grant.Granter = (*fakeGranter)(nil)
var _ grant.PrepareDetailer = (*fakeGranter)(nil)

func (g *fakeGranter) Name() string { return g.name }
func (g *fakeGranter) Prepare(ctx context.Context, m grant.Meeting) error {
	if g.PrepareFn == nil {
		return nil
	}
	return g.PrepareFn(ctx, m)
}
func (g *fakeGranter) Grant(ctx context.Context, m grant.Meeting, p grant.Participant) (grant.Outcome, error) {
	if g.GrantFn == nil {
		return grant.Outcome{State: grant.StateGranted}, nil
	}
	return g.GrantFn(ctx, m, p)
}
func (g *fakeGranter) Finish(ctx context.Context, m grant.Meeting) error {
	if g.FinishFn == nil {
		return nil
	}
	return g.FinishFn(ctx, m)
}
func (g *fakeGranter) PrepareDetail(grant.Meeting) string { return g.detail }

const (
	wAccount = "acct-w"
	wMeeting = "81234567890"
	wUUID    = "uuid-w=="
)

// workerEnv is one engine's store, an engine over fake granters, and a
// scratch SQLite database that holds rivertest's job rows. The job rows are
// only River's bookkeeping of the one run; the workers read and write
// cohost's state through the store, as in production.
type workerEnv struct {
	st   *store.Store
	jobs *sql.DB
	now  time.Time
	// events numbers the events a test feeds, so that each is a new fact.
	events int64
}

func newWorkerEnv(t *testing.T, engineName string) *workerEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.URL(t, engineName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	jobs, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "jobs.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = jobs.Close() })
	m, err := rivermigrate.New(riversqlite.New(jobs), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		t.Fatal(err)
	}
	return &workerEnv{st: st, jobs: jobs, now: time.Now()}
}

func (w *workerEnv) engine(t *testing.T, gs ...grant.Granter) *Engine {
	t.Helper()
	e, err := New(Config{Store: w.st, Granters: gs, Logger: slog.New(slog.DiscardHandler), GiveUpAfter: time.Minute,
		Now: func() time.Time { return w.now }})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// work runs worker once on args (opts may set MaxAttempts to make it the
// last attempt) and returns River's verdict and the worker's error.
func work[T river.JobArgs](t *testing.T, w *workerEnv, worker river.Worker[T], args T, opts *river.InsertOpts) (river.EventKind, error) {
	t.Helper()
	ctx := context.Background()
	tx, err := w.jobs.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	tw := rivertest.NewWorker(t, riversqlite.New(nil), &river.Config{}, worker)
	res, err := tw.Work(ctx, t, tx, args, opts)
	if res == nil {
		t.Fatalf("rivertest: %v", err)
	}
	return res.EventKind, err
}

// seed records a live meeting and a pending participant who joined now.
func (w *workerEnv) seed(t *testing.T) GrantParticipantArgs {
	t.Helper()
	ctx := context.Background()
	joined := w.now.Add(-time.Second).Truncate(time.Millisecond)
	err := w.st.InTx(ctx, func(tx store.Tx) error {
		m, err := tx.LockMeeting(ctx, wAccount, wMeeting)
		if err != nil {
			return err
		}
		m.AccountID, m.ID, m.UUID, m.HostID, m.Status = wAccount, wMeeting, wUUID, "host", grant.MeetingStarted
		if err := tx.SaveMeeting(ctx, m); err != nil {
			return err
		}
		p, err := tx.LockParticipant(ctx, wAccount, wMeeting, wUUID, "p1")
		if err != nil {
			return err
		}
		p, _ = grant.ApplyJoin(p, grant.Join{At: joined, SeenAt: joined, UserID: "16778240", Name: "Ada"})
		return tx.SaveParticipant(ctx, p)
	})
	if err != nil {
		t.Fatal(err)
	}
	return GrantParticipantArgs{AccountID: wAccount, MeetingID: wMeeting, MeetingUUID: wUUID, Key: "p1", JoinedAtMS: joined.UnixMilli()}
}

func (w *workerEnv) participant(t *testing.T) grant.Participant {
	t.Helper()
	p, err := w.st.GetParticipant(context.Background(), wUUID, "p1")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (w *workerEnv) granterState(t *testing.T, name string) grant.GranterState {
	t.Helper()
	gs, err := w.st.GranterStates(context.Background(), wAccount, wMeeting)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.Granter == name {
			return g
		}
	}
	return grant.GranterState{}
}

func eachEngine(t *testing.T, f func(t *testing.T, w *workerEnv)) {
	for _, name := range testdb.Engines {
		t.Run(name, func(t *testing.T) { f(t, newWorkerEnv(t, name)) })
	}
}

var (
	errUntyped  = errors.New("river: pool closed, or whatever a granter did not expect")
	rateLimited = &grant.Error{Code: grant.ERATELIMITED, Reason: grant.ReasonRateLimited, RetryAfter: 2 * time.Second, Message: "slow down"}
	refused     = &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonAgentRejected, Message: "agent answered 403 (invalid_zak)"}
	notEligible = grant.Outcome{State: grant.StateSkipped, Reason: grant.ReasonNotEligible}
)

func TestGrantWorker(t *testing.T) {
	tests := []struct {
		name      string
		granters  []grant.Granter
		pastGive  bool // the join is older than GiveUpAfter
		wantKind  river.EventKind
		wantErr   bool
		wantState grant.State
		wantBy    string
		wantWhy   grant.Reason
	}{
		{"granted", []grant.Granter{&fakeGranter{name: "a"}}, false, river.EventKindJobCompleted, false, grant.StateGranted, "a", ""},
		{"next granter after a skip", []grant.Granter{
			&fakeGranter{name: "a", GrantFn: func(context.Context, grant.Meeting, grant.Participant) (grant.Outcome, error) {
				return notEligible, nil
			}},
			&fakeGranter{name: "b"}}, false, river.EventKindJobCompleted, false, grant.StateGranted, "b", ""},
		{"rate limited snoozes", []grant.Granter{&fakeGranter{name: "a", GrantFn: func(context.Context, grant.Meeting, grant.Participant) (grant.Outcome, error) {
			return grant.Outcome{}, rateLimited
		}}}, false, river.EventKindJobSnoozed, false, grant.StatePending, "", ""},
		{"refusal fails at once with its reason", []grant.Granter{&fakeGranter{name: "agent", GrantFn: func(context.Context, grant.Meeting, grant.Participant) (grant.Outcome, error) {
			return grant.Outcome{}, refused
		}}}, false, river.EventKindJobCompleted, false, grant.StateFailed, "agent", grant.ReasonAgentRejected},
		{"untyped error is retried", []grant.Granter{&fakeGranter{name: "permissions", GrantFn: func(context.Context, grant.Meeting, grant.Participant) (grant.Outcome, error) {
			return grant.Outcome{}, errUntyped
		}}}, false, river.EventKindJobFailed, true, grant.StatePending, "", ""},
		{"untyped error past give-up is internal, not agent_rejected", []grant.Granter{&fakeGranter{name: "permissions", GrantFn: func(context.Context, grant.Meeting, grant.Participant) (grant.Outcome, error) {
			return grant.Outcome{}, errUntyped
		}}}, true, river.EventKindJobCompleted, false, grant.StateFailed, "permissions", grant.ReasonInternal},
		{"a value the database refuses for good fails at once", []grant.Granter{&fakeGranter{name: "permissions", GrantFn: func(context.Context, grant.Meeting, grant.Participant) (grant.Outcome, error) {
			return grant.Outcome{}, fmt.Errorf("save snapshot: %w", store.ErrInvalidData)
		}}}, false, river.EventKindJobCompleted, false, grant.StateFailed, "permissions", grant.ReasonUnprocessable},
		{"no granter", nil, false, river.EventKindJobCompleted, false, grant.StateFailed, "", grant.ReasonNoGranter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachEngine(t, func(t *testing.T, w *workerEnv) {
				args := w.seed(t)
				if tt.pastGive {
					w.now = w.now.Add(2 * time.Minute)
				}
				kind, err := work(t, w, river.Worker[GrantParticipantArgs](&grantWorker{e: w.engine(t, tt.granters...)}), args, nil)
				if kind != tt.wantKind || (err != nil) != tt.wantErr {
					t.Fatalf("job %s, err %v; want %s (error %v)", kind, err, tt.wantKind, tt.wantErr)
				}
				p := w.participant(t)
				if p.State != tt.wantState || p.Granter != tt.wantBy || p.Reason != tt.wantWhy {
					t.Fatalf("participant %s via %q (%s); want %s via %q (%s)", p.State, p.Granter, p.Reason, tt.wantState, tt.wantBy, tt.wantWhy)
				}
				if p.State == grant.StateFailed && tt.wantBy != "" && p.Detail == "" {
					t.Error("a failed grant keeps no detail of what the granter said")
				}
			})
		})
	}
}

// A grant job of an older join, or of a settled one, does nothing.
func TestGrantWorkerStaleJob(t *testing.T) {
	eachEngine(t, func(t *testing.T, w *workerEnv) {
		args := w.seed(t)
		args.JoinedAtMS--
		called := false
		g := &fakeGranter{name: "a", GrantFn: func(context.Context, grant.Meeting, grant.Participant) (grant.Outcome, error) {
			called = true
			return grant.Outcome{State: grant.StateGranted}, nil
		}}
		kind, err := work(t, w, river.Worker[GrantParticipantArgs](&grantWorker{e: w.engine(t, g)}), args, nil)
		if kind != river.EventKindJobCompleted || err != nil || called {
			t.Fatalf("job %s, err %v, granter called %v", kind, err, called)
		}
	})
}

func TestPrepareWorker(t *testing.T) {
	unavailableWait := &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonTimeout, RetryAfter: 200 * time.Millisecond,
		Message: "another worker is snapshotting the settings of host h"}
	tests := []struct {
		name      string
		err       error
		last      bool
		wantKind  river.EventKind
		wantPhase grant.GranterPhase
		wantWhy   string
	}{
		{"prepared with its detail", nil, false, river.EventKindJobCompleted, grant.GranterPrepared, "applied 14 of 14"},
		{"EUNAVAILABLE with RetryAfter snoozes, not prepare_failed", unavailableWait, true, river.EventKindJobSnoozed, "", ""},
		{"rate limited snoozes", rateLimited, false, river.EventKindJobSnoozed, "", ""},
		{"untyped error retries", errUntyped, false, river.EventKindJobFailed, "", ""},
		{"untyped error on the last attempt is prepare_failed", errUntyped, true, river.EventKindJobCompleted, grant.GranterPrepareFailed, string(grant.ReasonInternal)},
		{"refusal is prepare_failed at once", refused, false, river.EventKindJobCompleted, grant.GranterPrepareFailed, string(grant.ReasonAgentRejected)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachEngine(t, func(t *testing.T, w *workerEnv) {
				w.seed(t)
				g := &fakeGranter{name: "permissions", detail: "applied 14 of 14", PrepareFn: func(context.Context, grant.Meeting) error { return tt.err }}
				var opts *river.InsertOpts
				if tt.last {
					opts = &river.InsertOpts{MaxAttempts: 1}
				}
				kind, _ := work(t, w, river.Worker[PrepareMeetingArgs](&prepareWorker{e: w.engine(t, g)}),
					PrepareMeetingArgs{AccountID: wAccount, MeetingID: wMeeting, Key: "uuid:" + wUUID}, opts)
				if kind != tt.wantKind {
					t.Fatalf("job %s, want %s", kind, tt.wantKind)
				}
				st := w.granterState(t, "permissions")
				if st.Phase != tt.wantPhase || tt.wantWhy != "" && !hasPrefix(st.Detail, tt.wantWhy) {
					t.Fatalf("granter state %q %q; want %q starting %q", st.Phase, st.Detail, tt.wantPhase, tt.wantWhy)
				}
			})
		})
	}
}

func TestFinishWorker(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		last        bool
		wantKind    river.EventKind
		wantPhase   grant.GranterPhase
		wantSettled bool
	}{
		{"finished; pending grants settle", nil, false, river.EventKindJobCompleted, grant.GranterFinished, true},
		{"rate limited snoozes", rateLimited, false, river.EventKindJobSnoozed, "", false},
		{"untyped error retries", errUntyped, false, river.EventKindJobFailed, "", false},
		{"untyped error on the last attempt is finish_failed and the rest goes on", errUntyped, true, river.EventKindJobCompleted, grant.GranterFinishFailed, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachEngine(t, func(t *testing.T, w *workerEnv) {
				w.seed(t)
				ctx := context.Background()
				err := w.st.InTx(ctx, func(tx store.Tx) error {
					m, err := tx.LockMeeting(ctx, wAccount, wMeeting)
					if err != nil {
						return err
					}
					m.Status = grant.MeetingEnded
					return tx.SaveMeeting(ctx, m)
				})
				if err != nil {
					t.Fatal(err)
				}
				g := &fakeGranter{name: "agent", FinishFn: func(context.Context, grant.Meeting) error { return tt.err }}
				var opts *river.InsertOpts
				if tt.last {
					opts = &river.InsertOpts{MaxAttempts: 1}
				}
				kind, _ := work(t, w, river.Worker[FinishMeetingArgs](&finishWorker{e: w.engine(t, g)}),
					FinishMeetingArgs{AccountID: wAccount, MeetingID: wMeeting, MeetingUUID: wUUID}, opts)
				if kind != tt.wantKind {
					t.Fatalf("job %s, want %s", kind, tt.wantKind)
				}
				if st := w.granterState(t, "agent"); st.Phase != tt.wantPhase {
					t.Fatalf("granter state %q, want %q", st.Phase, tt.wantPhase)
				}
				p := w.participant(t)
				if settled := p.State == grant.StateSkipped && p.Reason == grant.ReasonMeetingEnded; settled != tt.wantSettled {
					t.Fatalf("participant %s (%s), want settled=%v", p.State, p.Reason, tt.wantSettled)
				}
			})
		})
	}
}

func TestEventWorker(t *testing.T) {
	body := func(event, participant string) []byte {
		return []byte(`{"event":"` + event + `","event_ts":1800000001000,"payload":{"account_id":"` + wAccount +
			`","object":{"id":` + wMeeting + `,"uuid":"` + wUUID + `","host_id":"host","participant":` + participant + `}}}`)
	}
	tests := []struct {
		name      string
		event     string
		part      string
		wantState grant.State
		wantWhy   grant.Reason
		wantJobs  int // grant jobs enqueued
	}{
		{"a join enqueues a grant", "meeting.participant_joined", `{"user_id":"16778240","user_name":"Ada","participant_uuid":"p1"}`, grant.StatePending, "", 1},
		{"the host is skipped", "meeting.participant_joined", `{"user_id":"16778240","user_name":"Boss","id":"host","participant_uuid":"p1"}`, grant.StateSkipped, grant.ReasonHost, 0},
		{"a phone caller is skipped", "meeting.participant_joined", `{"user_id":"16778240","user_name":"Caller","phone_number":"+15550100","participant_uuid":"p1"}`, grant.StateSkipped, grant.ReasonPhoneOnly, 0},
		{"a role change confirms", "meeting.participant_role_changed", `{"user_id":"16778240","participant_uuid":"p1","new_role":"co-host","old_role":"attendee"}`, grant.StateConfirmed, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachEngine(t, func(t *testing.T, w *workerEnv) {
				ctx := context.Background()
				in := NewIntake(w.st, IntakeOptions{})
				defer in.Close()
				res, err := in.Accept(ctx, grant.Inbound{Event: tt.event, EventTime: time.UnixMilli(1800000001000), AccountID: wAccount,
					MeetingID: wMeeting, MeetingUUID: wUUID, ParticipantKey: "p1", Body: body(tt.event, tt.part), ReceivedAt: w.now})
				if err != nil || res.EventID == "" {
					t.Fatalf("accept: %+v, %v", res, err)
				}
				id := res.EventID
				e := w.engine(t)
				for range 2 { // the second run finds the event processed
					kind, err := work(t, w, river.Worker[ProcessEventArgs](&eventWorker{e: e}), ProcessEventArgs{EventID: id}, nil)
					if kind != river.EventKindJobCompleted || err != nil {
						t.Fatalf("job %s, err %v", kind, err)
					}
				}
				p := w.participant(t)
				if p.State != tt.wantState || p.Reason != tt.wantWhy {
					t.Fatalf("participant %s (%s), want %s (%s)", p.State, p.Reason, tt.wantState, tt.wantWhy)
				}
				jobs, err := w.st.JobCounts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				// The intake's own process_event job is one of the available jobs.
				if got := int(jobs["available"]) - 1; got != tt.wantJobs {
					t.Fatalf("%d jobs enqueued, want %d (%v)", got, tt.wantJobs, jobs)
				}
			})
		})
	}
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
