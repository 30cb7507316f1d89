package granters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/zoomclient"
)

// zoomError maps a zoomclient error to the domain's retry decision: 429 →
// rate limited (wait Retry-After), 5xx and network → unavailable (retry
// with backoff), other 4xx → rejected for good, with what Zoom said.
func zoomError(what string, err error) error {
	if err == nil {
		return nil
	}
	var rl *zoomclient.RateLimitError
	if errors.As(err, &rl) {
		d := time.Until(rl.RetryAfter)
		if d <= 0 {
			d = time.Second
		}
		return &grant.Error{Code: grant.ERATELIMITED, Message: "zoom rate limit: " + what, RetryAfter: d, Err: err}
	}
	var api *zoomclient.APIError
	if errors.As(err, &api) {
		if api.Status >= 500 {
			return &grant.Error{Code: grant.EUNAVAILABLE, Message: "zoom error: " + what, Err: err}
		}
		return &grant.Error{Code: grant.EREJECTED, Message: fmt.Sprintf("%s: zoom answered %d (code %d): %s", what, api.Status, api.Code, api.Message), Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &grant.Error{Code: grant.EUNAVAILABLE, Message: what + ": timed out", Err: err}
	}
	return &grant.Error{Code: grant.EUNAVAILABLE, Message: what, Err: err}
}
