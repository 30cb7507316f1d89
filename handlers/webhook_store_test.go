package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cohost-dev/cohost/engine"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/webhook"
)

// countingIntake lets the test see when every request of the burst has
// reached the intake.
type countingIntake struct {
	in      *engine.Intake
	entered atomic.Int64
}

func (c *countingIntake) Accept(ctx context.Context, in grant.Inbound) (grant.IntakeResult, error) {
	c.entered.Add(1)
	return c.in.Accept(ctx, in)
}

// A burst of webhooks with poison events interleaved, through the real
// handler, intake and database: events with a NUL in an identifier are
// refused before the store (400), NULs in free text are cleaned (200),
// events the database refuses for good are isolated from their group-commit
// batch and answered 400, and every good event gets its 200 — none a 503.
// An 8 KiB request id (once a 503 on PostgreSQL: index row too large) is
// stored as its digest.
func TestWebhookBurstWithPoisonEvents(t *testing.T) {
	for _, eng := range testdb.Engines {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			url := testdb.URL(t, eng)
			st, err := store.Open(ctx, url, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(st.Close)
			testdb.PoisonEvents(t, eng, url)
			intake := engine.NewIntake(st, engine.IntakeOptions{})
			t.Cleanup(intake.Close)
			ci := &countingIntake{in: intake}
			now := time.Now()
			srv := httptest.NewServer(handlers.Router(handlers.Deps{
				Secrets: webhook.Secrets{currentSecret},
				Intake:  ci,
				Ready:   func(context.Context) error { return nil },
				Metrics: metrics.New(prometheus.NewRegistry(), metrics.BuildInfo{}),
				Logger:  slog.New(slog.DiscardHandler),
				Now:     func() time.Time { return now },
				// The test holds the database locked while the burst queues
				// up; the time-out must not be what it measures.
				IntakeTimeout: 30 * time.Second,
			}))
			t.Cleanup(srv.Close)

			type delivery struct {
				kind, key, name, requestID string
				want                       int
			}
			var ds []delivery
			for i := range 60 {
				d := delivery{kind: "good", key: fmt.Sprintf("p-%d", i), name: "Guest", requestID: fmt.Sprintf("req-%d", i), want: 200}
				switch i % 6 {
				case 1:
					d.kind, d.key, d.want = "NUL in participant_uuid", fmt.Sprintf(`p-%d\u0000`, i), 400
				case 2:
					d.kind, d.name = "NUL in user_name", `Gu\u0000est`
				case 3:
					d.kind, d.key, d.want = "refused by the database", fmt.Sprintf("poison-%d", i), 400
				case 4:
					d.kind, d.requestID = "8 KiB request id", strings.Repeat("R", 8<<10)+fmt.Sprint(i)
				}
				ds = append(ds, d)
			}

			// Hold the database's write lock so the burst queues behind it
			// and goes into the same group-commit batches.
			release := testdb.LockIntake(t, eng, url)
			statuses := make([]int, len(ds))
			var wg sync.WaitGroup
			for i, d := range ds {
				wg.Add(1)
				go func() {
					defer wg.Done()
					body := fmt.Sprintf(`{"event":"meeting.participant_joined","event_ts":%d,"payload":{"account_id":"acct","object":{"id":1,`+
						`"uuid":"m-uuid","host_id":"h","participant":{"user_id":"%d","user_name":"%s","participant_uuid":"%s"}}}}`,
						now.UnixMilli(), i, d.name, d.key)
					req, _ := http.NewRequest("POST", srv.URL+"/webhooks/zoom", strings.NewReader(body))
					req.Header = webhook.SignedHeaders([]byte(body), currentSecret, now)
					req.Header.Set(webhook.HeaderRequestID, d.requestID)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					statuses[i] = resp.StatusCode
				}()
			}
			// Every request that passes validation reaches the intake.
			for deadline := time.Now().Add(20 * time.Second); ci.entered.Load() < int64(len(ds)-len(ds)/6); {
				if time.Now().After(deadline) {
					release()
					t.Fatalf("only %d requests reached the intake", ci.entered.Load())
				}
				time.Sleep(time.Millisecond)
			}
			release()
			wg.Wait()

			for i, d := range ds {
				if statuses[i] != d.want {
					t.Errorf("%s (#%d): status %d, want %d", d.kind, i, statuses[i], d.want)
				}
			}
			total, _, err := st.EventCounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := int64(len(ds) - 2*len(ds)/6); total != want {
				t.Fatalf("%d events stored, want %d", total, want)
			}
		})
	}
}
