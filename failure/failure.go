// Package failure is the one mapping from what cohost's outside parties
// answer — Zoom's REST API, the co-host agent, Zoom's Meeting SDK in the
// host page, and cohost's own database — to the domain's words: a
// *grant.Error with a code the engine's classifier and the HTTP layer decide
// on, the grant.Reason a grant fails with if the error ends it, and a message
// a person can act on, which says what the other side answered. Every
// granter and the host client use it; nothing else reads the clients' typed
// errors.
package failure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cohost-dev/cohost/agentclient"
	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/zoomclient"
)

// Zoom maps a zoomclient error met while doing what: 429 → rate limited
// until Retry-After; 5xx, time-outs and network errors → unavailable
// (retried); 401/403 and credential problems → access denied; 404 → not
// found; other 4xx → rejected. The message quotes Zoom's status, code and
// words.
func Zoom(what string, err error) error {
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
			Message: what + ": Zoom's " + limit + " is reached (Zoom asks to wait " + d.Round(time.Second).String() + ")", RetryAfter: d, Err: err}
	}
	if ae, ok := errors.AsType[*zoomclient.APIError](err); ok {
		said := ZoomSaid(ae)
		switch {
		case ae.Status >= 500 || ae.Status == http.StatusRequestTimeout:
			return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonZoomUnavailable, Message: what + ": Zoom failed (" + said + ")", Err: err}
		case ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden:
			return &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonZoomAccessDenied,
				Message: what + ": Zoom refused the app's access; check the app's scopes (" + said + ")", Err: err}
		case ae.Status == http.StatusNotFound:
			return &grant.Error{Code: grant.ENOTFOUND, Reason: grant.ReasonZoomNotFound, Message: what + ": Zoom does not know it (" + said + ")", Err: err}
		default:
			return &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonZoomRejected, Message: what + ": Zoom refused (" + said + ")", Err: err}
		}
	}
	if te, ok := errors.AsType[*zoomclient.TokenError](err); ok {
		if te.Rejected() {
			return &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonZoomAccessDenied,
				Message: what + ": Zoom refused the app's credentials (" + te.Error() + ")", Err: err}
		}
		return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonZoomUnavailable,
			Message: what + ": Zoom's token endpoint failed (" + te.Error() + ")", Err: err}
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
	return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonZoomUnavailable, Message: what + ": Zoom could not be reached", Err: err}
}

// ZoomSaid is what Zoom answered, for people: "400 Bad Request, code 300:
// Invalid meeting id".
func ZoomSaid(ae *zoomclient.APIError) string {
	s := fmt.Sprintf("%d %s", ae.Status, http.StatusText(ae.Status))
	if ae.Code != 0 {
		s += fmt.Sprintf(", code %d", ae.Code)
	}
	if ae.Message != "" {
		s += ": " + ae.Message
	}
	return s
}

// Agent maps an agentclient error met while doing what. retry is how soon a
// participant the agent cannot see yet, or a session still joining, is tried
// again.
func Agent(what string, err error, retry time.Duration) error {
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

// Store marks a failed read or write of cohost's own database: one the
// database refused for good (grant.ErrInvalidData) fails at once, anything
// else is retried. The message never quotes the database's own words (they
// may carry values); the wrapped error does, for the log.
func Store(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*grant.Error](err); ok {
		return err
	}
	if errors.Is(err, grant.ErrInvalidData) {
		return &grant.Error{Code: grant.EINVALID, Reason: grant.ReasonUnprocessable, Message: "database: " + err.Error(), Err: err}
	}
	if errors.Is(err, grant.ErrNotFound) {
		return &grant.Error{Code: grant.ENOTFOUND, Reason: grant.ReasonStoredDataInvalid, Message: "database: not found", Err: err}
	}
	return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonStoreUnavailable,
		Message: "cohost's database cannot be reached; retry shortly", Err: err}
}
