package grant

import (
	"errors"
	"time"
)

// Error codes, in the style of benbjohnson/wtf: a small set that callers
// branch on. The engine's failure classifier (engine/failure.go) is the one
// place that turns a code into a retry decision.
const (
	EINVALID     = "invalid"      // bad input or unreadable data; retrying does not help
	ENOTFOUND    = "not_found"    // the thing does not exist
	EUNAVAILABLE = "unavailable"  // a dependency failed; retry with backoff (or after RetryAfter)
	ERATELIMITED = "rate_limited" // retry after RetryAfter; not a failure
	EREJECTED    = "rejected"     // the other side refused for good
	EINTERNAL    = "internal"     // cohost's own unexpected failure; retried, it may pass
)

// Error is cohost's domain error.
type Error struct {
	Code string
	// Reason is what the grant fails with if this error ends it.
	Reason Reason
	// Message says what happened in words, for the log and the ledger's
	// detail; it never carries a secret.
	Message string
	// RetryAfter is how long to wait before trying again, when the other
	// side said (a 429's Retry-After) or the granter knows (a session still
	// joining).
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	s := e.Code
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code of err, EINTERNAL for errors that are not *Error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return EINTERNAL
}
