package granters

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/zoomclient"
)

// zoomFailure maps a zoomclient error to the domain's retry decision, with a
// message a person can act on (it becomes the grant's reason when it fails
// the grant): 429 → rate limited until Retry-After; 5xx, time-outs and
// network errors → unavailable (retried); other 4xx and credential problems
// → rejected.
func zoomFailure(what string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*grant.Error](err); ok {
		return err
	}
	if rl, ok := errors.AsType[*zoomclient.RateLimitError](err); ok {
		d := time.Until(rl.RetryAfter)
		if d < time.Second {
			d = time.Second
		}
		limit := "rate limit"
		if rl.Type == "Daily-limit" {
			limit = "daily rate limit"
		}
		return &grant.Error{Code: grant.ERATELIMITED, Message: what + ": Zoom's " + limit + " is reached", RetryAfter: d, Err: err}
	}
	if api, ok := errors.AsType[*zoomclient.APIError](err); ok {
		detail := fmt.Sprintf("%d %s", api.Status, http.StatusText(api.Status))
		if api.Code != 0 {
			detail += fmt.Sprintf(", code %d", api.Code)
		}
		if api.Message != "" {
			detail += ": " + api.Message
		}
		switch {
		case api.Status >= 500 || api.Status == http.StatusRequestTimeout:
			return &grant.Error{Code: grant.EUNAVAILABLE, Message: what + ": Zoom failed (" + detail + ")", Err: err}
		case api.Status == http.StatusUnauthorized || api.Status == http.StatusForbidden:
			return &grant.Error{Code: grant.EREJECTED, Message: what + ": Zoom refused the app's access; check the app's scopes (" + detail + ")", Err: err}
		case api.Status == http.StatusNotFound:
			return &grant.Error{Code: grant.EREJECTED, Message: what + ": Zoom does not know it (" + detail + ")", Err: err}
		default:
			return &grant.Error{Code: grant.EREJECTED, Message: what + ": Zoom refused (" + detail + ")", Err: err}
		}
	}
	if te, ok := errors.AsType[*zoomclient.TokenError](err); ok && te.Rejected() {
		return &grant.Error{Code: grant.EREJECTED, Message: what + ": Zoom refused the app's credentials (" + te.Error() + ")", Err: err}
	}
	for _, permanent := range []error{zoomclient.ErrNotInstalled, zoomclient.ErrReauthorizationRequired,
		zoomclient.ErrAccessTokenRejected, zoomclient.ErrNoAccount, zoomclient.ErrWrongMode} {
		if errors.Is(err, permanent) {
			return &grant.Error{Code: grant.EREJECTED, Message: what + ": " + permanent.Error(), Err: err}
		}
	}
	return &grant.Error{Code: grant.EUNAVAILABLE, Message: what + ": Zoom unreachable", Err: err}
}
