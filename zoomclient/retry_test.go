package zoomclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestClassify(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	netErr := &NetworkError{Endpoint: "GET /x", msg: "reset", err: &url.Error{Op: "Get", URL: "http://x", Err: syscall.ECONNRESET}}
	timeout := &NetworkError{Endpoint: "GET /x", msg: "timeout", err: &url.Error{Op: "Get", URL: "http://x", Err: context.DeadlineExceeded}}
	for _, tc := range []struct {
		name         string
		ctx          context.Context
		status, code int
		err          error
		want         outcome
	}{
		{"200", live, 200, 0, nil, outcomeSuccess},
		{"204", live, 204, 0, nil, outcomeSuccess},
		{"400", live, 400, 300, nil, outcomePermanent},
		{"403", live, 403, 0, nil, outcomePermanent},
		{"404", live, 404, 3001, nil, outcomePermanent},
		{"409", live, 409, 0, nil, outcomePermanent},
		{"401", live, 401, 0, nil, outcomeReauth},
		{"401 code 124", live, 401, 124, nil, outcomeReauth},
		{"400 code 124", live, 400, 124, nil, outcomeReauth},
		{"429", live, 429, 429, nil, outcomeRateLimited},
		{"408", live, 408, 0, nil, outcomeRetry},
		{"500", live, 500, 0, nil, outcomeRetry},
		{"502", live, 502, 0, nil, outcomeRetry},
		{"503", live, 503, 0, nil, outcomeRetry},
		{"504", live, 504, 0, nil, outcomeRetry},
		{"501", live, 501, 0, nil, outcomePermanent},
		{"connection reset", live, 0, 0, netErr, outcomeRetry},
		{"client time-out", live, 0, 0, timeout, outcomeRetry},
		{"bad JSON on 200", live, 200, 0, &DecodeError{}, outcomePermanent},
		{"context done, 500", done, 500, 0, nil, outcomePermanent},
		{"context done, network", done, 0, 0, netErr, outcomePermanent},
		{"context done, 429", done, 429, 0, nil, outcomePermanent},
		{"canceled request", live, 0, 0, fmt.Errorf("x: %w", context.Canceled), outcomePermanent},
	} {
		if got := classify(tc.ctx, tc.status, tc.code, tc.err); got != tc.want {
			t.Errorf("%s: classify = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	co := &core{backoffBase: 250 * time.Millisecond, backoffMax: 10 * time.Second}
	for _, tc := range []struct {
		jitter  float64
		attempt int
		want    time.Duration
	}{
		{0, 0, 125 * time.Millisecond},
		{0, 1, 250 * time.Millisecond},
		{0, 2, 500 * time.Millisecond},
		{0.5, 2, 750 * time.Millisecond},
		{0.999999, 0, 249999875 * time.Nanosecond},
		{0, 10, 5 * time.Second},
		{0, 100, 5 * time.Second},
		{7, 0, 125 * time.Millisecond}, // out-of-range jitter is ignored
	} {
		co.jitter = func() float64 { return tc.jitter }
		if got := co.backoff(tc.attempt); got != tc.want {
			t.Errorf("backoff(attempt %d, jitter %v) = %v, want %v", tc.attempt, tc.jitter, got, tc.want)
		}
	}
}

// 5xx is retried with growing jittered backoff.
func TestRetry5xx(t *testing.T) {
	client, mux, env := setup(t, func(cfg *Config) { cfg.Jitter = func() float64 { return 0.5 } })
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		switch calls.hit(r, env.clock.Now()) {
		case 1:
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"code": 503, "message": "busy"})
		case 2:
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html>bad gateway</html>")
		default:
			okMeeting(w)
		}
	})
	if _, _, err := client.Meetings.Get(context.Background(), testMeetingID); err != nil {
		t.Fatalf("Meetings.Get: %v", err)
	}
	if n := calls.n.Load(); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
	want := []time.Duration{187500 * time.Microsecond, 375 * time.Millisecond}
	if diff := cmp.Diff(want, env.clock.Sleeps()); diff != "" {
		t.Errorf("backoff sleeps (-want +got):\n%s", diff)
	}
}

func TestRetry5xxExhausted(t *testing.T) {
	client, mux, env := setup(t, func(cfg *Config) { cfg.MaxAttempts = 3 })
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls.hit(r, env.clock.Now())
		writeJSON(w, http.StatusInternalServerError, map[string]any{"code": 500, "message": "oops"})
	})
	_, resp, err := client.Meetings.Get(context.Background(), testMeetingID)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 500 {
		t.Fatalf("err = %v, want a 500 *APIError", err)
	}
	if resp == nil || resp.StatusCode != 500 {
		t.Errorf("resp = %v", resp)
	}
	if n := calls.n.Load(); n != 3 {
		t.Errorf("requests = %d, want MaxAttempts = 3", n)
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	for _, status := range []int{400, 403, 404, 409, 422} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			client, mux, env := setup(t)
			var calls counter
			mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
				calls.hit(r, env.clock.Now())
				writeJSON(w, status, map[string]any{"code": 300, "message": "nope"})
			})
			_, _, err := client.Meetings.Get(context.Background(), testMeetingID)
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Status != status {
				t.Fatalf("err = %v", err)
			}
			if n := calls.n.Load(); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
			if len(env.clock.Sleeps()) != 0 {
				t.Errorf("slept %v before giving up on a %d", env.clock.Sleeps(), status)
			}
		})
	}
}

// A dropped connection is retried.
func TestRetryNetworkError(t *testing.T) {
	client, mux, env := setup(t)
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		if calls.hit(r, env.clock.Now()) == 1 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
			return
		}
		okMeeting(w)
	})
	if _, _, err := client.Meetings.Get(context.Background(), testMeetingID); err != nil {
		t.Fatalf("Meetings.Get: %v", err)
	}
	if n := calls.n.Load(); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
}

func TestNetworkErrorExhausted(t *testing.T) {
	env := newEnv(t)
	// Nothing listens here.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	// The token comes from the live fake; the API is unreachable.
	client := env.newClient(t, func(cfg *Config) { cfg.APIURL = "http://" + addr + "/v2" })
	_, resp, err := client.Meetings.Get(context.Background(), testMeetingID)
	var ne *NetworkError
	if !errors.As(err, &ne) {
		t.Fatalf("err = %v, want *NetworkError", err)
	}
	if resp != nil {
		t.Errorf("resp = %v, want nil (no response ever arrived)", resp)
	}
	if got := len(env.clock.Sleeps()); got != DefaultMaxAttempts-1 {
		t.Errorf("backoff sleeps = %d, want %d", got, DefaultMaxAttempts-1)
	}
}

// A context cancelled before the call stops it at once, with ctx.Err() wrapped.
func TestCancelledContext(t *testing.T) {
	client, mux, _ := setup(t)
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls.hit(r, time.Time{})
		okMeeting(w)
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := client.Meetings.Get(ctx, testMeetingID)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := calls.n.Load(); n != 0 {
		t.Errorf("requests = %d, want 0", n)
	}
}

// A context cancelled after a 5xx stops before the retry: no retry after ctx is done.
func TestCancelledDuringRetries(t *testing.T) {
	client, mux, env := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls.hit(r, env.clock.Now())
		cancel()
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"code": 503, "message": "busy"})
	})
	_, _, err := client.Meetings.Get(ctx, testMeetingID)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := calls.n.Load(); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

// A context cancelled while a request is in flight ends the call at once.
func TestCancelledInFlight(t *testing.T) {
	client, mux, _ := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	inHandler := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls.hit(r, time.Time{})
		close(inHandler)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	go func() {
		<-inHandler
		cancel()
	}()
	_, _, err := client.Meetings.Get(ctx, testMeetingID)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := calls.n.Load(); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

// PATCH is retried too: Zoom applies it as a set, so resending is harmless,
// and the body is resent whole.
func TestRetryPatchResendsBody(t *testing.T) {
	client, mux, env := setup(t)
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if string(body) != `{"settings":{"waiting_room":false}}` {
			t.Errorf("attempt body = %s", body)
		}
		if calls.hit(r, env.clock.Now()) == 1 {
			w.WriteHeader(http.StatusGatewayTimeout)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	if _, err := client.Meetings.Update(context.Background(), testMeetingID, &MeetingUpdate{Settings: &MeetingSettings{WaitingRoom: Ptr(false)}}); err != nil {
		t.Fatal(err)
	}
	if n := calls.n.Load(); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
}
