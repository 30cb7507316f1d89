package zoomclient

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in     string
		want   time.Time
		wantOK bool
	}{
		{"120", now.Add(2 * time.Minute), true},
		{" 0 ", now, true},
		{"Fri, 27 Nov 2026 01:02:03 GMT", time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC), true},  // RFC 1123
		{"Friday, 27-Nov-26 01:02:03 GMT", time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC), true}, // RFC 850
		{"Fri Nov 27 01:02:03 2026", time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC), true},       // asctime
		{"2026-11-27T01:02:03Z", time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC), true},           // ISO-8601, Zoom's daily form
		{"2026-11-27T02:02:03+01:00", time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC), true},
		{"2026-11-27T01:02:03.5Z", time.Date(2026, 11, 27, 1, 2, 3, 5e8, time.UTC), true},
		{"2026-11-27T01:02:03", time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC), true}, // no zone: UTC
		{"2026-11-28T00:00:00Z", time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), true},
		{"2020-05-31T00:00:00Z", now, true}, // in the past: now
		{"99999999999999999999", now.Add(time.Duration(1<<63 - 1)), true},
		{"", time.Time{}, false},
		{"-5", time.Time{}, false},
		{"1.5", time.Time{}, false},
		{"soon", time.Time{}, false},
		{"2026-13-40T99:00:00Z", time.Time{}, false},
	} {
		got, ok := ParseRetryAfter(tc.in, now)
		if ok != tc.wantOK || !got.Equal(tc.want) {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.wantOK)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "Fri, 27 Nov 2026 01:02:03 GMT", "2026-11-27T01:02:03Z",
		"2026-11-27T01:02:03", "2026-11-27T02:02:03+01:00", "-1", "", "1e9", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseRetryAfter(s, now)
		if !ok {
			if !got.IsZero() {
				t.Fatalf("ParseRetryAfter(%q) = %v with ok=false", s, got)
			}
			return
		}
		if got.Before(now) {
			t.Fatalf("ParseRetryAfter(%q) = %v, before now", s, got)
		}
	})
}

func FuzzParseRateHeaders(f *testing.F) {
	f.Add("Light", "QPS", "30", "0")
	f.Add("Heavy", "Daily-limit", "30000", "-1")
	f.Add("", "", "", "")
	f.Add("\x00bad", "daily", "1e3", "99999999999999999999")
	f.Fuzz(func(t *testing.T, cat, typ, limit, remaining string) {
		h := http.Header{}
		h.Set("X-RateLimit-Category", cat)
		h.Set("X-RateLimit-Type", typ)
		h.Set("X-RateLimit-Limit", limit)
		h.Set("X-RateLimit-Remaining", remaining)
		r := parseRate(h)
		if r.Limit < -1 || r.Remaining < -1 {
			t.Fatalf("negative numbers leaked: %+v", r)
		}
		for _, s := range []string{r.Category, r.Type} {
			if len(s) > maxHeaderLen {
				t.Fatalf("header value too long kept: %q", s)
			}
			for _, c := range s {
				if c < 0x20 || c > 0x7e {
					t.Fatalf("non-printable header value kept: %q", s)
				}
			}
		}
	})
}

func TestRouteLabels(t *testing.T) {
	for _, tc := range []struct {
		method, route string
		want          RateLabel
	}{
		{"GET", routeMeeting, Light},
		{"PATCH", routeMeeting, Light},
		{"GET", routeUser, Light},
		{"GET", routeUserSettings, Medium},
		{"PATCH", routeUserSettings, Medium},
		{"GET", routeUserToken, Light},
		{"GET", routeUserMeetings, Medium},
		{"GET", "/metrics/meetings/{meetingId}/participants", Medium}, // unknown: Medium
	} {
		if got := RouteLabel(tc.method, tc.route); got != tc.want {
			t.Errorf("RouteLabel(%s %s) = %s, want %s", tc.method, tc.route, got, tc.want)
		}
	}
}

// A 429 with each form of Retry-After is honoured: the retry waits out the
// pause, and no request reaches Zoom inside it.
func TestRetryAfterForms(t *testing.T) {
	const wait = 7 * time.Second
	for name, header := range map[string]func(now time.Time) string{
		"seconds":  func(time.Time) string { return strconv.Itoa(int(wait / time.Second)) },
		"RFC 1123": func(now time.Time) string { return now.Add(wait).UTC().Format(http.TimeFormat) },
		"ISO-8601": func(now time.Time) string { return now.Add(wait).UTC().Format("2006-01-02T15:04:05Z") },
	} {
		t.Run(name, func(t *testing.T) {
			client, mux, env := setup(t)
			var calls counter
			var pauseEnd time.Time
			mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
				now := env.clock.Now()
				if calls.hit(r, now) == 1 {
					pauseEnd = now.Add(wait)
					w.Header().Set("Retry-After", header(now))
					w.Header().Set("X-RateLimit-Category", "Light")
					w.Header().Set("X-RateLimit-Type", "QPS")
					writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": 429,
						"message": "You have reached the maximum per-second rate limit for this API. Try again later."})
					return
				}
				okMeeting(w)
			})
			if _, _, err := client.Meetings.Get(context.Background(), testMeetingID); err != nil {
				t.Fatalf("Meetings.Get: %v", err)
			}
			times := calls.Times()
			if len(times) != 2 {
				t.Fatalf("requests = %d, want 2", len(times))
			}
			if times[1].Before(pauseEnd) {
				t.Errorf("retry sent at %v, inside the pause ending %v", times[1], pauseEnd)
			}
		})
	}
}

// A pause longer than MaxPauseWait fails fast, applies to every call of the
// account (no request inside it), not to other accounts, and ends.
func TestPauseAppliesToAccount(t *testing.T) {
	client, mux, env := setup(t)
	var meetingCalls, userCalls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		if meetingCalls.hit(r, env.clock.Now()) == 1 {
			w.Header().Set("Retry-After", "3600")
			w.Header().Set("X-RateLimit-Category", "Heavy")
			w.Header().Set("X-RateLimit-Type", "QPS")
			w.Header().Set("X-RateLimit-Limit", "10")
			w.Header().Set("X-RateLimit-Remaining", "0")
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": 429, "message": "Too many requests."})
			return
		}
		okMeeting(w)
	})
	mux.HandleFunc("/v2/users/host-1", func(w http.ResponseWriter, r *http.Request) {
		userCalls.hit(r, env.clock.Now())
		writeJSON(w, http.StatusOK, map[string]any{"id": "host-1", "type": 2})
	})
	ctx := context.Background()
	t0 := env.clock.Now()

	_, resp, err := client.Meetings.Get(ctx, testMeetingID)
	var rl *RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("err = %v, want *RateLimitError", err)
	}
	want := &RateLimitError{Endpoint: "GET /meetings/{meetingId}", Category: "Heavy", Type: "QPS", Limit: 10, Remaining: 0,
		RetryAfter: t0.Add(time.Hour), Message: "Too many requests."}
	if diff := cmp.Diff(want, rl); diff != "" {
		t.Errorf("RateLimitError (-want +got):\n%s", diff)
	}
	if resp == nil || resp.StatusCode != 429 || resp.Rate.Category != "Heavy" {
		t.Errorf("resp = %+v", resp)
	}

	// Another endpoint of the same account: refused without a request.
	_, _, err = client.Users.Get(ctx, "host-1")
	if !errors.As(err, &rl) || !rl.Paused || !rl.RetryAfter.Equal(t0.Add(time.Hour)) {
		t.Fatalf("call inside the pause: err = %v, want a Paused *RateLimitError", err)
	}
	if userCalls.n.Load() != 0 || meetingCalls.n.Load() != 1 {
		t.Fatalf("requests inside the pause: users %d, meetings %d", userCalls.n.Load(), meetingCalls.n.Load())
	}

	// Another account is not paused.
	if _, _, err := client.Account("acct-other").Users.Get(ctx, "host-1"); err != nil {
		t.Fatalf("other account: %v", err)
	}

	// A caller whose deadline ends before the pause also fails fast.
	env.clock.Advance(time.Hour - 10*time.Second)
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, _, err := client.Users.Get(dctx, "host-1"); !errors.As(err, &rl) || !rl.Paused {
		t.Fatalf("call with a short deadline: err = %v, want a Paused *RateLimitError", err)
	}
	// Without a deadline the last 10 s are waited out (< MaxPauseWait), then it goes.
	if _, _, err := client.Users.Get(ctx, "host-1"); err != nil {
		t.Fatalf("call at the end of the pause: %v", err)
	}
	for i, ts := range userCalls.Times() {
		if i > 0 && ts.Before(t0.Add(time.Hour)) {
			t.Errorf("request %d at %v, inside the pause", i, ts)
		}
	}
}

// The pause is shared through the store: another replica does not send either.
func TestPauseSharedAcrossReplicas(t *testing.T) {
	env := newEnv(t)
	a := env.newClient(t)
	b := env.newClient(t)
	var calls counter
	env.mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls.hit(r, env.clock.Now())
		w.Header().Set("Retry-After", "2026-11-27T01:30:00Z")
		w.Header().Set("X-RateLimit-Type", "Daily-limit")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": 429,
			"message": "You have reached the maximum daily rate limit for this API."})
	})
	_, _, err := a.Meetings.Get(context.Background(), testMeetingID)
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.Type != "Daily-limit" || !rl.RetryAfter.Equal(time.Date(2026, 11, 27, 1, 30, 0, 0, time.UTC)) {
		t.Fatalf("replica a: err = %v", err)
	}
	_, _, err = b.Meetings.Get(context.Background(), testMeetingID)
	if !errors.As(err, &rl) || !rl.Paused {
		t.Fatalf("replica b: err = %v, want a Paused *RateLimitError", err)
	}
	if n := calls.n.Load(); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

// A daily limit without Retry-After (Zoom's per-user meeting-update limit) is
// not retried, hints at 00:00 UTC, and does not pause the whole account.
func TestDailyLimitWithoutRetryAfter(t *testing.T) {
	client, mux, env := setup(t)
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls.hit(r, env.clock.Now())
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": 429,
			"message": "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00."})
	})
	mux.HandleFunc("/v2/users/host-1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"id": "host-1", "type": 2})
	})
	_, err := client.Meetings.Update(context.Background(), testMeetingID, &MeetingUpdate{Topic: Ptr("x")})
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.Type != "Daily-limit" || !rl.RetryAfter.Equal(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)) || rl.Paused {
		t.Fatalf("err = %#v", err)
	}
	if n := calls.n.Load(); n != 1 {
		t.Errorf("requests = %d, want 1 (no retry)", n)
	}
	if _, _, err := client.Users.Get(context.Background(), "host-1"); err != nil {
		t.Errorf("the account was paused: %v", err)
	}
}

func TestRetryAfterCapped(t *testing.T) {
	client, mux, env := setup(t, func(cfg *Config) { cfg.MaxRetryAfter = 10 * time.Minute })
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "86400")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": 429, "message": "slow down"})
	})
	_, _, err := client.Meetings.Get(context.Background(), testMeetingID)
	var rl *RateLimitError
	if !errors.As(err, &rl) || !rl.RetryAfter.Equal(env.clock.Now().Add(10*time.Minute)) {
		t.Fatalf("err = %v, want RetryAfter capped at 10 min", err)
	}
}

// A 429 without Retry-After pauses the account briefly and is retried.
func TestRateLimitWithoutRetryAfter(t *testing.T) {
	client, mux, env := setup(t)
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		if calls.hit(r, env.clock.Now()) == 1 {
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": 429, "message": "slow down"})
			return
		}
		okMeeting(w)
	})
	if _, _, err := client.Meetings.Get(context.Background(), testMeetingID); err != nil {
		t.Fatal(err)
	}
	ts := calls.Times()
	if len(ts) != 2 || ts[1].Sub(ts[0]) < DefaultRateLimitPause {
		t.Errorf("request times %v, want the retry %v after the 429", ts, DefaultRateLimitPause)
	}
}

// The client-side limiter spaces requests of one account and label.
func TestClientSideRateLimit(t *testing.T) {
	client, mux, env := setup(t, func(cfg *Config) { cfg.RateLimits = RateLimits{Light: 2} })
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls.hit(r, env.clock.Now())
		okMeeting(w)
	})
	for range 6 {
		if _, _, err := client.Meetings.Get(context.Background(), testMeetingID); err != nil {
			t.Fatal(err)
		}
	}
	ts := calls.Times()
	// Burst 2, then one every 500 ms.
	for i := 2; i < len(ts); i++ {
		if ts[i].Sub(ts[0]) < time.Duration(i-1)*500*time.Millisecond {
			t.Errorf("request %d at +%v, faster than 2/s", i, ts[i].Sub(ts[0]))
		}
	}
	// Medium endpoints and other accounts have their own buckets.
	for range 3 {
		if _, _, err := client.Account("acct-2").Meetings.Get(context.Background(), testMeetingID); err != nil {
			t.Fatal(err)
		}
	}
}
