package zoomsim

import (
	"net/http"
	"strconv"
	"time"
)

// Rate-limit labels of Zoom's API reference. Every endpoint carries one; limits are per account
// and shared by all apps on it (https://developers.zoom.us/docs/api/rate-limits/).
const (
	LabelLight  = "Light"
	LabelMedium = "Medium"
	LabelHeavy  = "Heavy"
)

// Limit is one label's limit; 0 means unlimited.
type Limit struct {
	PerSecond int `json:"per_second"`
	PerDay    int `json:"per_day"`
}

// RateLimits are the limits of the three labels.
type RateLimits struct {
	Light  Limit `json:"light"`
	Medium Limit `json:"medium"`
	Heavy  Limit `json:"heavy"`
}

// ProLimits are Zoom's limits for a Pro account: Light 30/s, Medium 20/s, Heavy 10/s with a daily
// 30,000 (shared with Resource-intensive on Zoom; this simulator has no such endpoint).
func ProLimits() RateLimits {
	return RateLimits{
		Light:  Limit{PerSecond: 30},
		Medium: Limit{PerSecond: 20},
		Heavy:  Limit{PerSecond: 10, PerDay: 30000},
	}
}

// FreeLimits are Zoom's limits for a Free account: Light 4/s and 6000/day, Medium 2/s and
// 2000/day, Heavy 1/s and 1000/day.
func FreeLimits() RateLimits {
	return RateLimits{
		Light:  Limit{PerSecond: 4, PerDay: 6000},
		Medium: Limit{PerSecond: 2, PerDay: 2000},
		Heavy:  Limit{PerSecond: 1, PerDay: 1000},
	}
}

func (l RateLimits) of(label string) Limit {
	switch label {
	case LabelMedium:
		return l.Medium
	case LabelHeavy:
		return l.Heavy
	default:
		return l.Light
	}
}

// The 429 messages of https://developers.zoom.us/docs/api/rate-limits/.
const (
	msgPerSecondLimit = "You have reached the maximum per-second rate limit for this API. Try again later."
	msgDailyLimit     = "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request."
	// msgMeetingWrites is what Zoom staff quoted for the per-user daily limit of meeting
	// create/update requests (devforum 18928, also 129190 and 81149). Zoom gives no separate text
	// for the per-meeting 100 updates a day, whose reference page calls it the same "rate limit of
	// 100 requests per day", so both use it.
	msgMeetingWrites = "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00."
)

type rateKey struct {
	account, label string
}

type rateWindow struct {
	second int64 // unix second of the current per-second window
	inSec  int
	day    string // UTC date of the current daily window
	inDay  int
}

type dayCount struct {
	day string
	n   int
}

// rateDecision is what the limiter says about one call.
type rateDecision struct {
	ok         bool
	kind       string // "QPS" or "Daily-limit" when !ok
	limit      int
	remaining  int
	retryAfter string
}

// rateLimit counts one call of account under label, unless a limit is reached; callers hold s.mu.
// Zoom's headers (X-RateLimit-Category, -Type, -Limit, -Remaining, Retry-After) are named in
// Zoom's skills (skills/rest-api/concepts/rate-limiting-strategy.md) and in an example on the
// developer forum (devforum 18928: "X-RateLimit-Category: Heavy, X-RateLimit-Type: Daily-limit,
// X-RateLimit-Limit: 30000, X-RateLimit-Remaining: 0, Retry-After: 2020-05-31T00:00:00Z").
func (s *Sim) rateLimit(accountID, label string) rateDecision {
	now := s.clock.Now().UTC()
	lim := s.limits.of(label)
	k := rateKey{accountID, label}
	w := s.rateWindows[k]
	if w == nil {
		w = &rateWindow{}
		s.rateWindows[k] = w
	}
	if sec := now.Unix(); w.second != sec {
		w.second, w.inSec = sec, 0
	}
	if day := now.Format(time.DateOnly); w.day != day {
		w.day, w.inDay = day, 0
	}
	if s.faults.Burst429 > 0 {
		s.faults.Burst429--
		return rateDecision{kind: "QPS", limit: lim.PerSecond, retryAfter: "1"}
	}
	if lim.PerDay > 0 && w.inDay >= lim.PerDay {
		return rateDecision{kind: "Daily-limit", limit: lim.PerDay, retryAfter: nextUTCMidnight(now)}
	}
	if lim.PerSecond > 0 && w.inSec >= lim.PerSecond {
		return rateDecision{kind: "QPS", limit: lim.PerSecond, retryAfter: retryAfterSeconds(now)}
	}
	w.inSec++
	w.inDay++
	d := rateDecision{ok: true}
	if lim.PerDay > 0 {
		d.limit, d.remaining = lim.PerDay, lim.PerDay-w.inDay
	} else if lim.PerSecond > 0 {
		d.limit, d.remaining = lim.PerSecond, lim.PerSecond-w.inSec
	}
	return d
}

// retryAfterSeconds is the whole seconds until the next per-second window (at least 1).
func retryAfterSeconds(now time.Time) string {
	next := now.Truncate(time.Second).Add(time.Second)
	secs := int((next.Sub(now) + time.Second - 1) / time.Second)
	return strconv.Itoa(max(secs, 1))
}

// nextUTCMidnight is when a daily limit resets, in the ISO-8601 form of Zoom's Retry-After
// ("2020-05-31T00:00:00Z").
func nextUTCMidnight(now time.Time) string {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
}

func (d rateDecision) writeHeaders(w http.ResponseWriter, label string) {
	h := w.Header()
	h.Set("X-RateLimit-Category", label)
	if d.limit > 0 {
		h.Set("X-RateLimit-Limit", strconv.Itoa(d.limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(d.remaining))
	}
	if !d.ok {
		h.Set("X-RateLimit-Type", d.kind)
		h.Set("Retry-After", d.retryAfter)
	}
}

func (d rateDecision) message() string {
	if d.kind == "Daily-limit" {
		return msgDailyLimit
	}
	return msgPerSecondLimit
}
