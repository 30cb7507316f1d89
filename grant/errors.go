package grant

import (
	"errors"
	"time"
)

// Error codes, in the style of benbjohnson/wtf: a small set that callers
// branch on. The engine's failure classifier (engine/failure.go) is the one
// place that turns a code into a retry decision; package handlers is the one
// place that turns a code into an HTTP status (handlers/errors.go). A feature
// may add codes of its own that its callers branch on (the host page
// protocol's link_expired, say: api.HostErr*); the classifier fails on a
// code it does not know, and handlers' table names each code's status.
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
	// Message says what happened and what to do, in words, for the log, the
	// ledger's detail and an API's answer; it never carries a secret.
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

// The errors a store of the domain's records answers with (package store
// returns them; code that declares a narrow store interface checks them
// without importing it). Their texts name the store, which is where they come
// from.
var (
	// ErrNotFound: a looked-up row does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrUnavailable wraps errors that mean the database cannot be reached;
	// the caller answers 503 or retries.
	ErrUnavailable = errors.New("store: database unavailable")
	// ErrInvalidData wraps errors that mean the database refused a value for
	// good: writing it again fails again, so nobody is asked to retry.
	ErrInvalidData = errors.New("store: the database refused the data")
	// ErrConflict: a row changed between the read a write was computed from
	// and the write; read again and recompute.
	ErrConflict = errors.New("store: the row changed since it was read")
)
