package zoomclient

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// outcome is what one finished attempt means for the call.
type outcome int

const (
	// outcomeSuccess: a 2xx; the call is done.
	outcomeSuccess outcome = iota
	// outcomeRetry: transient (5xx, 408, network error, time-out); back off and try again.
	outcomeRetry
	// outcomeRateLimited: a 429; pause the account and try again after Retry-After.
	outcomeRateLimited
	// outcomeReauth: 401 or Zoom code 124; refresh the token once and try again.
	outcomeReauth
	// outcomePermanent: anything else (400, 403, 404, …, or the caller's context ended).
	outcomePermanent
)

func (o outcome) String() string {
	switch o {
	case outcomeSuccess:
		return "success"
	case outcomeRetry:
		return "retry"
	case outcomeRateLimited:
		return "rate_limited"
	case outcomeReauth:
		return "reauth"
	default:
		return "permanent"
	}
}

// classify is the one place that decides, alertmanager-Retrier style, what an
// attempt's result means: status is the HTTP status (0 when none arrived),
// zoomCode the "code" of Zoom's error body, err the transport error.
// Nothing is retried once ctx is done.
func classify(ctx context.Context, status, zoomCode int, err error) outcome {
	if ctx.Err() != nil {
		if status >= 200 && status < 300 && err == nil {
			return outcomeSuccess
		}
		return outcomePermanent
	}
	if err != nil {
		var de *DecodeError
		switch {
		case errors.As(err, &de):
			// Zoom answered 2xx with a body we cannot read: retrying will not help.
			return outcomePermanent
		case errors.Is(err, context.Canceled):
			return outcomePermanent
		default:
			// Connection refused or reset, EOF, TLS failures, and time-outs of the
			// HTTP client (which surface as context.DeadlineExceeded inside *url.Error
			// while the caller's ctx is still live). All our calls are idempotent
			// (GET, and PATCH which Zoom applies as a set), so resending is safe.
			return outcomeRetry
		}
	}
	switch {
	case status >= 200 && status < 300:
		return outcomeSuccess
	case status == http.StatusUnauthorized || zoomCode == CodeInvalidAccessToken:
		return outcomeReauth
	case status == http.StatusTooManyRequests:
		return outcomeRateLimited
	case status == http.StatusRequestTimeout:
		return outcomeRetry
	case status == http.StatusNotImplemented || status == http.StatusHTTPVersionNotSupported:
		return outcomePermanent
	case status >= 500:
		return outcomeRetry
	default:
		return outcomePermanent
	}
}

// backoff returns the wait before attempt+1 (attempt counts from 0): an
// exponential step BackoffBase·2^attempt capped at BackoffMax, of which the
// upper half is random ("equal jitter"), so replicas that failed together do
// not retry together yet every wait stays at least half a step.
func (co *core) backoff(attempt int) time.Duration {
	step := co.backoffBase
	for i := 0; i < attempt && step < co.backoffMax; i++ {
		step *= 2
	}
	if step > co.backoffMax {
		step = co.backoffMax
	}
	half := step / 2
	j := co.jitter()
	if j < 0 || j >= 1 {
		j = 0
	}
	return half + time.Duration(j*float64(step-half))
}
