package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/store"
)

// logLines collects an slog JSON handler's lines from any goroutine.
type logLines struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// at returns the lines logged at level (e.g. "ERROR").
func (l *logLines) at(t *testing.T, level string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["level"] == level {
			out = append(out, m)
		}
	}
	return out
}

// observedEngine is an engine over w's store whose log lines and metrics the
// test reads.
func observedEngine(t *testing.T, w *workerEnv) (*Engine, *logLines, *metrics.Metrics) {
	t.Helper()
	logs := &logLines{}
	m := metrics.New(prometheus.NewRegistry(), metrics.BuildInfo{})
	e, err := New(Config{Store: w.st, Metrics: m, Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		GiveUpAfter: time.Minute, Now: func() time.Time { return w.now }})
	if err != nil {
		t.Fatal(err)
	}
	return e, logs, m
}

func jobRow(t *testing.T, args river.JobArgs, attempt, maxAttempts int) *rivertype.JobRow {
	t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	return &rivertype.JobRow{ID: 7, Kind: args.Kind(), EncodedArgs: b, Attempt: attempt, MaxAttempts: maxAttempts}
}

// The middleware sees every attempt's error: a snooze passes untouched; a
// retried error is logged at WARN and counted; a permanent one, or one on
// the last attempt, settles the participant with the classifier's reason,
// is logged at ERROR and ends the job (cancelled, or left for River to
// discard).
func TestFailureMiddleware(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		attempt     int
		wantErr     func(error) bool
		wantLevel   string // the level of the one line the attempt logs; "" for none
		wantState   grant.State
		wantWhy     grant.Reason
		wantEnd     string // cohost_jobs_failed_total's end label, "" when the job goes on
		wantCounted bool   // cohost_job_errors_total counts the attempt
	}{
		{"a snooze is no error", river.JobSnooze(time.Second), 1,
			func(err error) bool { _, ok := errors.AsType[*rivertype.JobSnoozeError](err); return ok }, "", grant.StatePending, "", "", false},
		{"an untyped error is retried", errUntyped, 3,
			func(err error) bool { return errors.Is(err, errUntyped) && !isCancel(err) }, "WARN", grant.StatePending, "", "", true},
		{"the database unreachable is retried", fmt.Errorf("%w: begin: dial tcp: connection refused", store.ErrUnavailable), 3,
			func(err error) bool { return errors.Is(err, store.ErrUnavailable) && !isCancel(err) }, "WARN", grant.StatePending, "", "", true},
		{"the last attempt settles first, then River discards", errUntyped, 25,
			func(err error) bool { return errors.Is(err, errUntyped) && !isCancel(err) }, "ERROR", grant.StateFailed, grant.ReasonInternal, metrics.JobEndDiscarded, true},
		{"a permanent refusal cancels at once", fmt.Errorf("store: save participant: %w", store.ErrInvalidData), 1,
			isCancel, "ERROR", grant.StateFailed, grant.ReasonUnprocessable, metrics.JobEndCancelled, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachEngine(t, func(t *testing.T, w *workerEnv) {
				args := w.seed(t)
				e, logs, m := observedEngine(t, w)
				mw := e.Middleware()[0].(rivertype.WorkerMiddleware)
				err := mw.Work(context.Background(), jobRow(t, args, tt.attempt, 25), func(context.Context) error { return tt.err })
				if !tt.wantErr(err) {
					t.Fatalf("middleware returned %v", err)
				}
				for _, level := range []string{"WARN", "ERROR"} {
					lines := logs.at(t, level)
					want := 0
					if level == tt.wantLevel {
						want = 1
					}
					if len(lines) != want {
						t.Fatalf("%d %s lines, want %d: %v", len(lines), level, want, lines)
					}
					for _, l := range lines {
						if l["job_kind"] != "grant_participant" || l["participant_key"] != "p1" || l["meeting_id"] != wMeeting ||
							l["attempt"] != float64(tt.attempt) || l["max_attempts"] != float64(25) || l["reason"] == "" || l["error"] == "" {
							t.Errorf("the log line lacks what an operator needs: %v", l)
						}
					}
				}
				reason := Classify(tt.err).Reason.Label()
				if got := testutil.ToFloat64(m.JobErrors.WithLabelValues("grant_participant", reason)); (got == 1) != tt.wantCounted {
					t.Errorf("cohost_job_errors_total{grant_participant,%s} = %v, want counted=%v", reason, got, tt.wantCounted)
				}
				for _, end := range []string{metrics.JobEndCancelled, metrics.JobEndDiscarded} {
					want := 0.0
					if end == tt.wantEnd {
						want = 1
					}
					if got := testutil.ToFloat64(m.JobsFailed.WithLabelValues("grant_participant", reason, end)); got != want {
						t.Errorf("cohost_jobs_failed_total{end=%s} = %v, want %v", end, got, want)
					}
				}
				p := w.participant(t)
				if p.State != tt.wantState || p.Reason != tt.wantWhy || tt.wantWhy != "" && p.Detail == "" {
					t.Fatalf("participant %s (%s, %q), want %s (%s)", p.State, p.Reason, p.Detail, tt.wantState, tt.wantWhy)
				}
			})
		})
	}
}

func isCancel(err error) bool { _, ok := errors.AsType[*rivertype.JobCancelError](err); return ok }

// A job whose arguments do not decode fails for good without running (River
// decodes them for the worker, inside the middleware, and fails there; the
// middleware reads the failure as malformed arguments); a
// job the stopping queue interrupted is neither counted nor settled (River
// runs it again without counting the attempt); a panic is counted and, on
// the last attempt, settled before it goes on to River.
func TestFailureMiddlewareEdges(t *testing.T) {
	eachEngine(t, func(t *testing.T, w *workerEnv) {
		args := w.seed(t)
		e, logs, m := observedEngine(t, w)
		mw := e.Middleware()[0].(rivertype.WorkerMiddleware)

		bad := &rivertype.JobRow{ID: 1, Kind: "grant_participant", EncodedArgs: []byte(`{"joined_at_ms":"soon"}`), Attempt: 1, MaxAttempts: 25}
		ran := false
		riverWork := func(context.Context) error { // River's executor: decode, then work
			var a GrantParticipantArgs
			if err := json.Unmarshal(bad.EncodedArgs, &a); err != nil {
				return err
			}
			ran = true
			return nil
		}
		if err := mw.Work(context.Background(), bad, riverWork); !isCancel(err) || ran {
			t.Fatalf("undecodable arguments: %v (worker ran: %v), want a cancel without running", err, ran)
		}

		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := mw.Work(ctx, jobRow(t, args, 25, 25), func(context.Context) error { return context.Canceled }); !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted: %v", err)
		}
		if p := w.participant(t); p.State != grant.StatePending {
			t.Fatalf("an interrupted job settled the participant: %s", p.State)
		}
		if n := testutil.ToFloat64(m.JobErrors.WithLabelValues("grant_participant", string(grant.ReasonTimeout))); n != 0 {
			t.Fatalf("an interrupted job was counted as an error")
		}

		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Fatalf("recovered %v, want the worker's panic to go on to River", r)
				}
			}()
			_ = mw.Work(context.Background(), jobRow(t, args, 25, 25), func(context.Context) error { panic("boom") })
		}()
		if p := w.participant(t); p.State != grant.StateFailed || p.Reason != grant.ReasonInternal || !strings.Contains(p.Detail, "panic: boom") {
			t.Fatalf("after a panic on the last attempt: %s (%s, %q)", p.State, p.Reason, p.Detail)
		}
		if n := len(logs.at(t, "ERROR")); n != 2 { // the undecodable arguments, the panic
			t.Fatalf("%d ERROR lines, want 2", n)
		}
	})
}

// process_event names only its event; what the middleware settles comes from
// the stored event's columns: a participant event fails that participant,
// a meeting event leaves the engine's note on the meeting, and the event is
// marked processed with the outcome — also when River discards the job after
// its last attempt.
func TestFailureMiddlewareSettlesEvents(t *testing.T) {
	tests := []struct {
		name, event, key string
		err              error
		attempt          int
	}{
		{"a join retried until its last attempt", "meeting.participant_joined", "p1", errUntyped, 25},
		{"a join the database refuses", "meeting.participant_joined", "p1", store.ErrInvalidData, 1},
		{"a meeting event the database refuses", "meeting.started", "", store.ErrInvalidData, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachEngine(t, func(t *testing.T, w *workerEnv) {
				ctx := context.Background()
				in := NewIntake(w.st, IntakeOptions{})
				defer in.Close()
				res, err := in.Accept(ctx, grant.Inbound{Event: tt.event, EventTime: w.now, AccountID: wAccount, MeetingID: wMeeting,
					MeetingUUID: wUUID, ParticipantKey: tt.key, Body: []byte(`{}`), ReceivedAt: w.now})
				if err != nil {
					t.Fatal(err)
				}
				e, logs, m := observedEngine(t, w)
				mw := e.Middleware()[0].(rivertype.WorkerMiddleware)
				_ = mw.Work(ctx, jobRow(t, ProcessEventArgs{EventID: res.EventID}, tt.attempt, 25), func(context.Context) error { return tt.err })
				reason := Classify(tt.err).Reason
				lines := logs.at(t, "ERROR")
				if len(lines) != 1 || lines[0]["event"] != tt.event || lines[0]["meeting_id"] != wMeeting || tt.key != "" && lines[0]["participant_key"] != tt.key {
					t.Fatalf("ERROR lines %v, want one naming the event, the meeting and the participant", lines)
				}
				if tt.key != "" {
					p := w.participant(t)
					if p.State != grant.StateFailed || p.Reason != reason || !strings.HasPrefix(p.Detail, tt.event+": ") {
						t.Fatalf("participant %s (%s, %q), want failed (%s) with the event in the detail", p.State, p.Reason, p.Detail, reason)
					}
					if n := testutil.ToFloat64(m.Grants.WithLabelValues("", string(grant.StateFailed), string(reason))); n != 1 {
						t.Errorf("cohost_grants_total{failed,%s} = %v, want 1", reason, n)
					}
				} else if st := w.granterState(t, grant.EngineNote); st.Phase != grant.GranterEventFailed || !strings.HasPrefix(st.Detail, string(reason)+": "+tt.event) {
					t.Fatalf("meeting note %q %q, want %s with the reason and the event", st.Phase, st.Detail, grant.GranterEventFailed)
				}
				ev, err := w.st.GetEvent(ctx, res.EventID)
				if err != nil {
					t.Fatal(err)
				}
				if ev.ProcessedAt.IsZero() || !strings.HasPrefix(ev.Outcome, "failed: "+string(reason)+": ") {
					t.Fatalf("event processed at %v with outcome %q", ev.ProcessedAt, ev.Outcome)
				}
				if n := testutil.ToFloat64(m.Events.WithLabelValues(tt.event, resultFailed)); n != 1 {
					t.Errorf("cohost_events_processed_total{%s,failed} = %v, want 1", tt.event, n)
				}
			})
		})
	}
}

// Whether a failed participant event is the participant's outcome.
func TestLostParticipant(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	joined := func(at time.Time) *store.StoredEvent {
		return &store.StoredEvent{Inbound: grant.Inbound{Event: "meeting.participant_joined", EventTime: at}}
	}
	left := &store.StoredEvent{Inbound: grant.Inbound{Event: "meeting.participant_left", EventTime: t0}}
	for _, tt := range []struct {
		name string
		p    grant.Participant
		ev   *store.StoredEvent
		want bool
	}{
		{"a first join", grant.Participant{State: grant.StatePending}, joined(t0), true},
		{"a re-join after a settled grant", grant.Participant{State: grant.StateGranted, JoinedAt: t0.Add(-time.Minute)}, joined(t0), true},
		{"an older join than the one applied", grant.Participant{State: grant.StatePending, JoinedAt: t0.Add(time.Minute)}, joined(t0), false},
		{"a join confirmed already", grant.Participant{State: grant.StateConfirmed, JoinedAt: t0.Add(-time.Minute), ConfirmedAt: t0.Add(time.Second)}, joined(t0), false},
		{"a leave of a participant never seen", grant.Participant{State: grant.StatePending}, left, true},
		{"a leave of a participant whose grant goes on", grant.Participant{State: grant.StatePending, JoinedAt: t0.Add(-time.Minute)}, left, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := lostParticipant(tt.p, tt.ev); got != tt.want {
				t.Fatalf("lostParticipant = %v, want %v", got, tt.want)
			}
		})
	}
}

// Once the cause is fixed, retrying the job of an event the engine gave up
// on (River UI) processes it again: the failed joiner is granted as usual.
func TestRetriedFailedEventIsProcessedAgain(t *testing.T) {
	eachEngine(t, func(t *testing.T, w *workerEnv) {
		ctx := context.Background()
		in := NewIntake(w.st, IntakeOptions{})
		defer in.Close()
		body := `{"event":"meeting.participant_joined","event_ts":1800000001000,"payload":{"account_id":"` + wAccount +
			`","object":{"id":` + wMeeting + `,"uuid":"` + wUUID + `","host_id":"host","participant":{"user_id":"16778240","user_name":"Ada","participant_uuid":"p1"}}}}`
		res, err := in.Accept(ctx, grant.Inbound{Event: "meeting.participant_joined", EventTime: time.UnixMilli(1800000001000), AccountID: wAccount,
			MeetingID: wMeeting, MeetingUUID: wUUID, ParticipantKey: "p1", Body: []byte(body), ReceivedAt: w.now})
		if err != nil {
			t.Fatal(err)
		}
		e, _, _ := observedEngine(t, w)
		args := ProcessEventArgs{EventID: res.EventID}
		mw := e.Middleware()[0].(rivertype.WorkerMiddleware)
		if err := mw.Work(ctx, jobRow(t, args, 1, 25), func(context.Context) error { return store.ErrInvalidData }); !isCancel(err) {
			t.Fatalf("first run: %v", err)
		}
		if p := w.participant(t); p.State != grant.StateFailed {
			t.Fatalf("participant %s after the failure", p.State)
		}
		kind, err := work(t, w, river.Worker[ProcessEventArgs](&eventWorker{e: e}), args, nil)
		if kind != river.EventKindJobCompleted || err != nil {
			t.Fatalf("retry: job %s, err %v", kind, err)
		}
		if p := w.participant(t); p.State != grant.StatePending || p.Reason != "" || p.Name != "Ada" {
			t.Fatalf("participant %s (%s, %q) after the retry, want pending with the join applied", p.State, p.Reason, p.Name)
		}
		if ev, _ := w.st.GetEvent(ctx, res.EventID); ev.Outcome != resultGrantEnqueued {
			t.Fatalf("outcome after the retry %q, want %q", ev.Outcome, resultGrantEnqueued)
		}
	})
}
