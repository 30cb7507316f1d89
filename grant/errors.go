package grant

import (
	"errors"
	"fmt"
	"time"
)

// Error codes, in the style of benbjohnson/wtf: a small set that callers
// branch on, mapped to HTTP statuses and to retry decisions in one place each.
const (
	EINVALID     = "invalid"      // bad input; retrying does not help
	ENOTFOUND    = "not_found"    // the thing does not exist
	EUNAVAILABLE = "unavailable"  // a dependency failed; retry with backoff
	ERATELIMITED = "rate_limited" // retry after RetryAfter, not a failure
	EREJECTED    = "rejected"     // the other side refused for good
	EINTERNAL    = "internal"
)

// Error is cohost's domain error.
type Error struct {
	Code    string
	Message string
	// RetryAfter is how long to wait before retrying (ERATELIMITED).
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EINTERNAL for errors that are not *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// RetryAfter returns the wait requested by a rate-limited error.
func RetryAfter(err error) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) && e.Code == ERATELIMITED {
		return e.RetryAfter, true
	}
	return 0, false
}
