package failure_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/agentclient"
	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/engine"
	"github.com/cohost-dev/cohost/failure"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/zoomclient"
)

// Every error a granter or the host client can meet, through the one
// mapping and the engine's classifier: what the job does and what the grant
// fails with.
func TestErrorsClassified(t *testing.T) {
	soon := time.Now().Add(30 * time.Second)
	type verdict struct {
		action engine.Action
		reason grant.Reason
	}
	tests := []struct {
		name string
		err  error
		want verdict
	}{
		// Zoom, through zoomclient.
		{"zoom 429", failure.Zoom("x", &zoomclient.RateLimitError{Type: "QPS", RetryAfter: soon}), verdict{engine.Snooze, grant.ReasonRateLimited}},
		{"zoom 429 paused locally", failure.Zoom("x", &zoomclient.RateLimitError{Paused: true, RetryAfter: soon}), verdict{engine.Snooze, grant.ReasonRateLimited}},
		{"zoom daily limit", failure.Zoom("x", &zoomclient.RateLimitError{Type: "Daily-limit", RetryAfter: soon}), verdict{engine.Snooze, grant.ReasonRateLimited}},
		{"zoom 500", failure.Zoom("x", &zoomclient.APIError{Status: 500}), verdict{engine.Retry, grant.ReasonZoomUnavailable}},
		{"zoom 503", failure.Zoom("x", &zoomclient.APIError{Status: 503}), verdict{engine.Retry, grant.ReasonZoomUnavailable}},
		{"zoom 408", failure.Zoom("x", &zoomclient.APIError{Status: 408}), verdict{engine.Retry, grant.ReasonZoomUnavailable}},
		{"zoom 401", failure.Zoom("x", &zoomclient.APIError{Status: 401, Code: 124}), verdict{engine.Fail, grant.ReasonZoomAccessDenied}},
		{"zoom 403 scopes", failure.Zoom("x", &zoomclient.APIError{Status: 403, Code: 4711}), verdict{engine.Fail, grant.ReasonZoomAccessDenied}},
		{"zoom 404", failure.Zoom("x", &zoomclient.APIError{Status: 404, Code: 3001}), verdict{engine.Fail, grant.ReasonZoomNotFound}},
		{"zoom 400", failure.Zoom("x", &zoomclient.APIError{Status: 400, Code: 300}), verdict{engine.Fail, grant.ReasonZoomRejected}},
		{"zoom token refused", failure.Zoom("x", &zoomclient.TokenError{Status: 401, Code: "invalid_client"}), verdict{engine.Fail, grant.ReasonZoomAccessDenied}},
		{"zoom token endpoint down", failure.Zoom("x", &zoomclient.TokenError{Status: 503}), verdict{engine.Retry, grant.ReasonZoomUnavailable}},
		{"not installed", failure.Zoom("x", fmt.Errorf("w: %w", zoomclient.ErrNotInstalled)), verdict{engine.Fail, grant.ReasonZoomAccessDenied}},
		{"reauthorization required", failure.Zoom("x", zoomclient.ErrReauthorizationRequired), verdict{engine.Fail, grant.ReasonZoomAccessDenied}},
		{"access token rejected twice", failure.Zoom("x", zoomclient.ErrAccessTokenRejected), verdict{engine.Fail, grant.ReasonZoomAccessDenied}},
		{"no account", failure.Zoom("x", zoomclient.ErrNoAccount), verdict{engine.Fail, grant.ReasonZoomAccessDenied}},
		{"wrong mode", failure.Zoom("x", zoomclient.ErrWrongMode), verdict{engine.Fail, grant.ReasonZoomAccessDenied}},
		{"zoom network error", failure.Zoom("x", &zoomclient.NetworkError{Endpoint: "GET /meetings/{meetingId}"}), verdict{engine.Retry, grant.ReasonZoomUnavailable}},
		{"zoom bad JSON", failure.Zoom("x", &zoomclient.DecodeError{Endpoint: "GET /users/{userId}", Status: 200}), verdict{engine.Retry, grant.ReasonZoomUnavailable}},
		{"zoom call timed out", failure.Zoom("x", fmt.Errorf("zoomclient: %w", context.DeadlineExceeded)), verdict{engine.Retry, grant.ReasonTimeout}},
		// The co-host agent, through agentclient.
		{"agent 429", failure.Agent("x", &agentclient.AgentError{Status: 429, RetryAfter: 2 * time.Second}, 0), verdict{engine.Snooze, grant.ReasonRateLimited}},
		{"agent 500", failure.Agent("x", &agentclient.AgentError{Status: 500}, 0), verdict{engine.Retry, grant.ReasonAgentUnavailable}},
		{"agent no session", failure.Agent("x", &agentclient.AgentError{Status: 404, Code: api.AgentErrNoSession}, time.Second), verdict{engine.Snooze, grant.ReasonAgentUnavailable}},
		{"agent cannot see the participant", failure.Agent("x", &agentclient.AgentError{Status: 409, Code: api.AgentErrParticipantNotFound}, time.Second), verdict{engine.Snooze, grant.ReasonNotVisible}},
		{"agent: cannot be co-host", failure.Agent("x", &agentclient.AgentError{Status: 422, Code: api.AgentErrCannotBeCoHost}, 0), verdict{engine.Fail, grant.ReasonAgentRejected}},
		{"agent 401", failure.Agent("x", &agentclient.AgentError{Status: 401, Code: api.AgentErrUnauthorized}, 0), verdict{engine.Fail, grant.ReasonAgentRejected}},
		{"agent 403 bad ZAK", failure.Agent("x", &agentclient.AgentError{Status: 403, Code: api.AgentErrInvalidZAK}, 0), verdict{engine.Fail, grant.ReasonAgentRejected}},
		{"agent unreachable", failure.Agent("x", errors.New("agentclient: PUT /v1/...: connection refused"), 0), verdict{engine.Retry, grant.ReasonAgentUnavailable}},
		{"agent call timed out", failure.Agent("x", fmt.Errorf("agentclient: %w", context.DeadlineExceeded), 0), verdict{engine.Retry, grant.ReasonTimeout}},
		// cohost's own database, and data it cannot read back.
		{"store failure", failure.Store(errors.New("conn reset")), verdict{engine.Retry, grant.ReasonStoreUnavailable}},
		{"store refused a value for good", failure.Store(fmt.Errorf("store: save snapshot: %w", grant.ErrInvalidData)), verdict{engine.Fail, grant.ReasonUnprocessable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("the mapping returned nil")
			}
			if ge, ok := errors.AsType[*grant.Error](tt.err); !ok || ge.Reason == "" || ge.Message == "" {
				t.Fatalf("%v is not a *grant.Error with a reason and a message", tt.err)
			}
			d := engine.Classify(tt.err)
			if got := (verdict{d.Action, d.Reason}); got != tt.want {
				t.Fatalf("Classify(%v) = %s/%s, want %s/%s", tt.err, got.action, got.reason, tt.want.action, tt.want.reason)
			}
			if !d.Reason.Known() {
				t.Fatalf("reason %q is not registered", d.Reason)
			}
		})
	}
}
