package zoomclient

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLabel is Zoom's rate-limit label of an endpoint
// (https://developers.zoom.us/docs/api/rate-limits/). Zoom limits each label
// per account, shared by all apps of the account.
type RateLabel string

// The labels this client limits.
const (
	Light  RateLabel = "light"
	Medium RateLabel = "medium"
	Heavy  RateLabel = "heavy"
)

// routeLabels holds the label of every route this package calls, from the
// "Rate Limit Label" of Zoom's endpoint descriptions (as quoted in clients
// generated from Zoom's OpenAPI specs) and Zoom's rate-limit page
// (https://developers.zoom.us/docs/api/rate-limits/):
//
//	GET   /meetings/{meetingId}       Light   (Zoom's rate-limit page lists "Get a meeting" as Light)
//	PATCH /meetings/{meetingId}       Light   (spec, Dec 2025; plus 100 updates per meeting per day)
//	GET   /users/{userId}             Light   (spec "Get a user")
//	GET   /users/{userId}/settings    Medium  (spec "Get user settings")
//	PATCH /users/{userId}/settings    Medium  (spec "Update user settings")
//	GET   /users/{userId}/token       Light   (spec "Get a user's token", ZAK)
//	GET   /users/me                   Light   (same operation as GET /users/{userId})
//	GET   /users/{userId}/meetings    Medium  (spec "List meetings")
var routeLabels = map[string]RateLabel{
	"GET " + routeMeeting:        Light,
	"PATCH " + routeMeeting:      Light,
	"GET " + routeUser:           Light,
	"GET " + routeUserSettings:   Medium,
	"PATCH " + routeUserSettings: Medium,
	"GET " + routeUserToken:      Light,
	"GET " + routeUsersMe:        Light,
	"GET " + routeUserMeetings:   Medium,
}

// RouteLabel returns the rate label of method and route template; routes this
// package does not know are Medium, the middle of Zoom's table.
func RouteLabel(method, route string) RateLabel {
	if l, ok := routeLabels[method+" "+route]; ok {
		return l
	}
	return Medium
}

// RateLimits are client-side request rates per account and label, in requests
// per second. Zero takes Zoom's Pro-plan rate (Light 30, Medium 20, Heavy 10);
// Business+ accounts allow 80/60/40, Free accounts 4/2/1. Zoom counts per
// account across all replicas and apps, so with n replicas configure about 1/n.
// A negative rate disables the limiter for that label.
type RateLimits struct {
	Light  float64
	Medium float64
	Heavy  float64
}

// Zoom's Pro column.
const (
	defaultLightRate  = 30
	defaultMediumRate = 20
	defaultHeavyRate  = 10
)

type limiterKey struct {
	account string
	label   RateLabel
}

// limiterSet is a token bucket per account and label.
type limiterSet struct {
	rates map[RateLabel]float64
	mu    sync.Mutex
	m     map[limiterKey]*rate.Limiter
}

func newLimiterSet(r RateLimits) (*limiterSet, error) {
	pick := func(v, def float64) float64 {
		if v == 0 {
			return def
		}
		return v
	}
	s := &limiterSet{
		rates: map[RateLabel]float64{
			Light:  pick(r.Light, defaultLightRate),
			Medium: pick(r.Medium, defaultMediumRate),
			Heavy:  pick(r.Heavy, defaultHeavyRate),
		},
		m: make(map[limiterKey]*rate.Limiter),
	}
	for l, v := range s.rates {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("zoomclient: %s rate %v is not a number", l, v)
		}
	}
	return s, nil
}

func (s *limiterSet) limiter(account string, label RateLabel) *rate.Limiter {
	r := s.rates[label]
	if r < 0 {
		return nil
	}
	k := limiterKey{account, label}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.m[k]
	if !ok {
		burst := int(math.Ceil(r))
		if burst < 1 {
			burst = 1
		}
		l = rate.NewLimiter(rate.Limit(r), burst)
		s.m[k] = l
	}
	return l
}

// wait blocks until the account may send one request of label. It reads the
// injected clock, so tests with a fake clock stay deterministic.
func (s *limiterSet) wait(ctx context.Context, account string, label RateLabel, now func() time.Time, sleep func(context.Context, time.Duration) error) error {
	l := s.limiter(account, label)
	if l == nil {
		return nil
	}
	t := now()
	r := l.ReserveN(t, 1)
	if !r.OK() {
		return fmt.Errorf("rate limiter refused a request")
	}
	d := r.DelayFrom(t)
	if d <= 0 {
		return nil
	}
	if err := sleep(ctx, d); err != nil {
		r.CancelAt(now())
		return err
	}
	return nil
}

// Rate is what Zoom's X-RateLimit-* headers said about a response. The headers
// are not always sent; absent numbers are -1.
type Rate struct {
	Category  string
	Type      string
	Limit     int
	Remaining int
}

const maxHeaderLen = 64

// Zoom's rate-limit vocabulary. Header values outside it are dropped: they are
// outside input and must not carry anything (a token, say) into errors and logs.
var (
	rateCategories = []string{"Light", "Medium", "Heavy", "Resource-intensive"}
	rateTypes      = []string{"QPS", rateTypeDaily}
)

func parseRate(h http.Header) Rate {
	typ := h.Get("X-RateLimit-Type")
	if strings.EqualFold(strings.TrimSpace(typ), "daily") {
		typ = rateTypeDaily
	}
	return Rate{
		Category:  headerWord(h.Get("X-RateLimit-Category"), rateCategories),
		Type:      headerWord(typ, rateTypes),
		Limit:     headerInt(h.Get("X-RateLimit-Limit")),
		Remaining: headerInt(h.Get("X-RateLimit-Remaining")),
	}
}

// headerWord returns the word of vocab that v names (case-insensitively), or "".
func headerWord(v string, vocab []string) string {
	v = strings.TrimSpace(v)
	if len(v) > maxHeaderLen {
		return ""
	}
	for _, w := range vocab {
		if strings.EqualFold(v, w) {
			return w
		}
	}
	return ""
}

func headerInt(v string) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// ParseRetryAfter reads a Retry-After value relative to now. Zoom sends either
// a number of seconds, an HTTP date (RFC 1123, as RFC 9110 requires; RFC 850
// and asctime are accepted too) or, for daily limits, an ISO-8601 / RFC 3339
// date-time such as "2026-11-27T01:02:03Z" (without a zone it is read as UTC).
// ok is false for anything else. The result is never before now.
func ParseRetryAfter(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 64 {
		return time.Time{}, false
	}
	if isDigits(v) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > math.MaxInt64/int64(time.Second) {
			// Absurdly far: the caller's cap applies anyway.
			return now.Add(time.Duration(math.MaxInt64)), true
		}
		return now.Add(time.Duration(n) * time.Second), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return notBefore(t, now), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			return notBefore(t, now), true
		}
	}
	return time.Time{}, false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func notBefore(t, now time.Time) time.Time {
	if t.Before(now) {
		return now
	}
	return t
}

// PauseStore shares 429 pauses between replicas. A TokenStore may implement
// it; MemoryTokenStore does. The pause is per account: Zoom's limits are.
type PauseStore interface {
	// PauseAccount records that no request of accountID may be sent before
	// until. An until earlier than the stored one leaves the stored one.
	PauseAccount(ctx context.Context, accountID string, until time.Time) error
	// AccountPause returns the stored pause of accountID (zero time when none).
	AccountPause(ctx context.Context, accountID string) (time.Time, error)
}

// pauseBook is this process's view of account pauses.
type pauseBook struct {
	mu    sync.Mutex
	until map[string]time.Time
}

func newPauseBook() *pauseBook { return &pauseBook{until: make(map[string]time.Time)} }

func (p *pauseBook) get(acct string) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.until[acct]
}

func (p *pauseBook) extend(acct string, t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.After(p.until[acct]) {
		p.until[acct] = t
	}
}

func (p *pauseBook) clear(acct string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.until, acct)
}

// pausedUntil merges the local pause with the shared one.
func (co *core) pausedUntil(ctx context.Context, acct string) time.Time {
	until := co.local.get(acct)
	if co.pauses != nil {
		shared, err := co.pauses.AccountPause(ctx, acct)
		if err != nil {
			// Fail open: the local pause still holds, and Zoom will answer 429 again if needed.
			co.log.Warn("reading the shared rate-limit pause failed", "account_id", acct, "error", err.Error())
		} else if shared.After(until) {
			until = shared
			co.local.extend(acct, shared)
		}
	}
	return until
}

// waitPause returns once the account is not paused. A pause longer than
// MaxPauseWait, or one that outlasts ctx's deadline, fails fast with a
// *RateLimitError (Paused) instead, so a worker can snooze until RetryAfter.
// It never lets a request through inside a pause.
func (co *core) waitPause(ctx context.Context, acct string, ep endpoint) error {
	for {
		until := co.pausedUntil(ctx, acct)
		now := co.now()
		if !now.Before(until) {
			return nil
		}
		if !co.canWait(ctx, until) {
			co.metrics.blocked(ep)
			return &RateLimitError{
				Endpoint:   ep.String(),
				Limit:      -1,
				Remaining:  -1,
				RetryAfter: until,
				Paused:     true,
			}
		}
		if err := co.sleep(ctx, until.Sub(now)); err != nil {
			return fmt.Errorf("zoomclient: %s: waiting for a rate-limit pause: %w", ep, err)
		}
	}
}

// rateLimited turns a 429 into a *RateLimitError and records the account's pause.
func (co *core) rateLimited(ctx context.Context, acct string, ep endpoint, resp *Response, apiErr *APIError) *RateLimitError {
	now := co.now()
	rl := &RateLimitError{Endpoint: ep.String(), Limit: -1, Remaining: -1}
	var retryAfter string
	if resp != nil {
		rl.Category, rl.Type = resp.Rate.Category, resp.Rate.Type
		rl.Limit, rl.Remaining = resp.Rate.Limit, resp.Rate.Remaining
		retryAfter = resp.Header.Get("Retry-After")
	}
	if apiErr != nil {
		rl.Message = apiErr.Message
	}
	if rl.Type == "" && strings.Contains(strings.ToLower(rl.Message), "daily") {
		rl.Type = rateTypeDaily
	}

	until, ok := ParseRetryAfter(retryAfter, now)
	switch {
	case ok:
		if until.Sub(now) > co.maxRetryAfter {
			until = now.Add(co.maxRetryAfter)
		}
	case rl.Type == rateTypeDaily:
		// A daily limit without Retry-After may be the per-user limit on meeting
		// updates, not the account's: hint at the reset (00:00 UTC) but do not
		// pause the whole account.
		y, m, d := now.UTC().Date()
		rl.RetryAfter = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
		co.metrics.pause(ep, "daily_unpaused")
		co.log.Warn("zoom daily rate limit", "endpoint", ep.String(), "account_id", acct, "retry_after", rl.RetryAfter)
		return rl
	default:
		until = now.Add(DefaultRateLimitPause)
	}
	rl.RetryAfter = until
	co.local.extend(acct, until)
	if co.pauses != nil {
		if err := co.pauses.PauseAccount(ctx, acct, until); err != nil {
			co.log.Warn("sharing the rate-limit pause failed", "account_id", acct, "error", err.Error())
		}
	}
	kind := "qps"
	if rl.Type == rateTypeDaily {
		kind = "daily"
	}
	co.metrics.pause(ep, kind)
	co.log.Warn("zoom rate limit; pausing the account", "endpoint", ep.String(), "account_id", acct,
		"until", until, "category", rl.Category, "type", rl.Type)
	return rl
}
