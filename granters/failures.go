package granters

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cohost-dev/cohost/agentclient"
	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomclient"
)

// The functions below turn what Zoom, the agent and the store answered into
// the domain's *grant.Error: a code the engine's classifier decides on, the
// Reason the grant fails with if the error ends it, and a message a person
// can act on (the ledger's detail). They are the only places that read the
// clients' typed errors.

// zoomFailure maps a zoomclient error: 429 → rate limited until Retry-After;
// 5xx, time-outs and network errors → unavailable (retried); 401/403 and
// credential problems → access denied; 404 → not found; other 4xx → rejected.
func zoomFailure(what string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*grant.Error](err); ok {
		return err
	}
	if rl, ok := errors.AsType[*zoomclient.RateLimitError](err); ok {
		d := max(time.Until(rl.RetryAfter), time.Second)
		limit := "rate limit"
		if rl.Type == "Daily-limit" {
			limit = "daily rate limit"
		}
		return &grant.Error{Code: grant.ERATELIMITED, Reason: grant.ReasonRateLimited,
			Message: what + ": Zoom's " + limit + " is reached", RetryAfter: d, Err: err}
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
			return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonZoomUnavailable, Message: what + ": Zoom failed (" + detail + ")", Err: err}
		case api.Status == http.StatusUnauthorized || api.Status == http.StatusForbidden:
			return &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonZoomAccessDenied,
				Message: what + ": Zoom refused the app's access; check the app's scopes (" + detail + ")", Err: err}
		case api.Status == http.StatusNotFound:
			return &grant.Error{Code: grant.ENOTFOUND, Reason: grant.ReasonZoomNotFound, Message: what + ": Zoom does not know it (" + detail + ")", Err: err}
		default:
			return &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonZoomRejected, Message: what + ": Zoom refused (" + detail + ")", Err: err}
		}
	}
	if te, ok := errors.AsType[*zoomclient.TokenError](err); ok && te.Rejected() {
		return &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonZoomAccessDenied,
			Message: what + ": Zoom refused the app's credentials (" + te.Error() + ")", Err: err}
	}
	for _, permanent := range []error{zoomclient.ErrNotInstalled, zoomclient.ErrReauthorizationRequired,
		zoomclient.ErrAccessTokenRejected, zoomclient.ErrNoAccount, zoomclient.ErrWrongMode} {
		if errors.Is(err, permanent) {
			return &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonZoomAccessDenied, Message: what + ": " + permanent.Error(), Err: err}
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonTimeout, Message: what + ": timed out waiting for Zoom", Err: err}
	}
	return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonZoomUnavailable, Message: what + ": Zoom unreachable", Err: err}
}

// agentFailure maps an agentclient error. retry is how soon a participant the
// agent cannot see yet, or a session still joining, is tried again.
func agentFailure(what string, err error, retry time.Duration) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*grant.Error](err); ok {
		return err
	}
	ae, ok := errors.AsType[*agentclient.AgentError](err)
	switch {
	case !ok && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)):
		return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonTimeout, Message: what + ": timed out waiting for the agent", Err: err}
	case !ok:
		return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonAgentUnavailable, Message: what + ": agent unreachable", Err: err}
	case ae.Status == http.StatusTooManyRequests:
		return &grant.Error{Code: grant.ERATELIMITED, Reason: grant.ReasonRateLimited, Message: what + ": the agent's rate limit", RetryAfter: ae.RetryAfter, Err: err}
	case ae.Status >= 500:
		return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonAgentUnavailable, Message: what + ": " + ae.Error(), Err: err}
	case ae.Status == http.StatusNotFound && ae.Code == api.AgentErrNoSession:
		return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonAgentUnavailable, Message: what + ": the agent is joining the meeting", RetryAfter: retry, Err: err}
	case ae.Status == http.StatusConflict:
		return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonNotVisible, Message: what + ": the agent does not see the participant yet", RetryAfter: retry, Err: err}
	}
	return &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonAgentRejected, Message: what + ": " + ae.Error(), Err: err}
}

// storeFailure marks a failed read or write of cohost's own database: one
// the database refused for good (store.ErrInvalidData) fails the grant at
// once, anything else is retried.
func storeFailure(err error) error {
	if errors.Is(err, store.ErrInvalidData) {
		return &grant.Error{Code: grant.EINVALID, Reason: grant.ReasonUnprocessable, Message: "database: " + err.Error(), Err: err}
	}
	return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonStoreUnavailable, Message: "database", Err: err}
}
