package engine

import (
	"context"
	"errors"
	"time"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
)

// Action is what a worker does about an error.
type Action int

const (
	// Retry: return the error; River runs the job again after RetryPolicy's
	// backoff, and the attempt counts.
	Retry Action = iota + 1
	// Snooze: the other side said when to come back (a 429's Retry-After, a
	// session still joining, a batch not due yet); the job runs again after
	// Decision.After and the wait is not a failed attempt.
	Snooze
	// Fail: trying again cannot help; the work ends now with Decision.Reason.
	Fail
)

func (a Action) String() string {
	switch a {
	case Retry:
		return "retry"
	case Snooze:
		return "snooze"
	case Fail:
		return "fail"
	}
	return "unknown"
}

// Decision is the classifier's verdict on one error.
type Decision struct {
	Action Action
	// After is how long to snooze (Snooze only).
	After time.Duration
	// Reason is what the grant fails with if this error ends it: now (Fail),
	// or when a retried error outlasts COHOST_GRANT_GIVE_UP_AFTER.
	Reason grant.Reason
}

// defaultSnooze is the wait for a rate limit that named no time.
const defaultSnooze = time.Second

// minSnooze keeps a snooze from spinning: River fetches a job snoozed for 0
// at once.
const minSnooze = 10 * time.Millisecond

// ErrMalformedData marks stored data a worker cannot decode: an event body
// or job arguments written by a build that encoded them otherwise. Reading
// them again reads the same bytes, so the work fails at once.
var ErrMalformedData = errors.New("engine: stored data does not decode")

// Classify is the one place that decides what an error means for a job:
// every worker calls it, so a granter, the store or a time-out mean the same
// thing whichever job meets them.
//
//   - *grant.Error with ERATELIMITED: snooze for its RetryAfter (1 s if none).
//   - EUNAVAILABLE and EINTERNAL: snooze for RetryAfter when the error names
//     one, else retry with backoff.
//   - EREJECTED, EINVALID, ENOTFOUND: fail.
//   - the database refusing a value for good (store.ErrInvalidData) or
//     stored data that does not decode (ErrMalformedData): fail
//     (event_unprocessable); the same write or read fails the same way on
//     every attempt.
//   - the store unreachable: retry (database_unavailable).
//   - the job's own time-out (context deadline or cancel): retry (timed_out).
//   - any other error, whoever returned it: retry, and if it outlasts the
//     give-up time it fails as internal_error — it is never guessed to be a
//     granter's refusal.
//
// A *grant.Error without a Reason fails or gives up as internal_error: every
// granter is expected to name one.
func Classify(err error) Decision {
	if ge, ok := errors.AsType[*grant.Error](err); ok {
		reason := ge.Reason
		if reason == "" {
			reason = grant.ReasonInternal
		}
		switch ge.Code {
		case grant.ERATELIMITED:
			after := ge.RetryAfter
			if after <= 0 {
				after = defaultSnooze
			}
			return Decision{Action: Snooze, After: max(after, minSnooze), Reason: reason}
		case grant.EUNAVAILABLE, grant.EINTERNAL:
			if ge.RetryAfter > 0 {
				return Decision{Action: Snooze, After: max(ge.RetryAfter, minSnooze), Reason: reason}
			}
			return Decision{Action: Retry, Reason: reason}
		default: // EREJECTED, EINVALID, ENOTFOUND, and codes this classifier does not know
			return Decision{Action: Fail, Reason: reason}
		}
	}
	switch {
	case errors.Is(err, store.ErrInvalidData), errors.Is(err, ErrMalformedData):
		return Decision{Action: Fail, Reason: grant.ReasonUnprocessable}
	case errors.Is(err, store.ErrUnavailable):
		return Decision{Action: Retry, Reason: grant.ReasonStoreUnavailable}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return Decision{Action: Retry, Reason: grant.ReasonTimeout}
	}
	return Decision{Action: Retry, Reason: grant.ReasonInternal}
}

// decide applies Classify to a job that may have run out of time: a retry or
// snooze past the job's last attempt, or past giveUpAt when that is set,
// becomes a failure with the same reason.
func decide(err error, attempt, maxAttempts int, now, giveUpAt time.Time) Decision {
	d := Classify(err)
	if d.Action == Fail {
		return d
	}
	if attempt >= maxAttempts && d.Action == Retry || !giveUpAt.IsZero() && !now.Before(giveUpAt) {
		d.Action, d.After = Fail, 0
	}
	return d
}
