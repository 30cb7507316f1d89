package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
)

// Every kind of error a worker meets gets one verdict here, whichever worker
// meets it. granters/failures_test.go runs the granters' own mappings of
// Zoom's, the agent's and the store's errors through the same classifier.
func TestClassify(t *testing.T) {
	wrapped := func(err error) error { return fmt.Errorf("granter: %w", err) }
	tests := []struct {
		name string
		err  error
		want Decision
	}{
		{"rate limited with a wait", &grant.Error{Code: grant.ERATELIMITED, Reason: grant.ReasonRateLimited, RetryAfter: 7 * time.Second},
			Decision{Snooze, 7 * time.Second, grant.ReasonRateLimited}},
		{"rate limited without a wait", &grant.Error{Code: grant.ERATELIMITED, Reason: grant.ReasonRateLimited},
			Decision{Snooze, time.Second, grant.ReasonRateLimited}},
		{"rate limited, tiny wait", &grant.Error{Code: grant.ERATELIMITED, Reason: grant.ReasonRateLimited, RetryAfter: time.Nanosecond},
			Decision{Snooze, minSnooze, grant.ReasonRateLimited}},
		{"unavailable with RetryAfter snoozes (prepare used to burn attempts)", &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonTimeout, RetryAfter: 300 * time.Millisecond},
			Decision{Snooze, 300 * time.Millisecond, grant.ReasonTimeout}},
		{"unavailable retries", &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonZoomUnavailable},
			Decision{Action: Retry, Reason: grant.ReasonZoomUnavailable}},
		{"internal retries", &grant.Error{Code: grant.EINTERNAL, Reason: grant.ReasonInternal},
			Decision{Action: Retry, Reason: grant.ReasonInternal}},
		{"rejected fails", &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonAgentRejected},
			Decision{Action: Fail, Reason: grant.ReasonAgentRejected}},
		{"invalid fails", &grant.Error{Code: grant.EINVALID, Reason: grant.ReasonStoredDataInvalid},
			Decision{Action: Fail, Reason: grant.ReasonStoredDataInvalid}},
		{"not found fails", &grant.Error{Code: grant.ENOTFOUND, Reason: grant.ReasonZoomNotFound},
			Decision{Action: Fail, Reason: grant.ReasonZoomNotFound}},
		{"an unknown code fails rather than loops", &grant.Error{Code: "odd", Reason: grant.ReasonZoomRejected},
			Decision{Action: Fail, Reason: grant.ReasonZoomRejected}},
		{"a grant.Error without a reason is internal", &grant.Error{Code: grant.EREJECTED, Message: "no reason given"},
			Decision{Action: Fail, Reason: grant.ReasonInternal}},
		{"wrapped grant.Error", wrapped(&grant.Error{Code: grant.ERATELIMITED, Reason: grant.ReasonRateLimited, RetryAfter: time.Second}),
			Decision{Snooze, time.Second, grant.ReasonRateLimited}},
		{"store unreachable", fmt.Errorf("%w: begin: dial tcp: refused", store.ErrUnavailable),
			Decision{Action: Retry, Reason: grant.ReasonStoreUnavailable}},
		{"the database refused a value for good", fmt.Errorf("store: save participant: %w", store.ErrInvalidData),
			Decision{Action: Fail, Reason: grant.ReasonUnprocessable}},
		{"a stored event that no longer decodes", fmt.Errorf("%w: event body: unexpected end of JSON input", ErrMalformedData),
			Decision{Action: Fail, Reason: grant.ReasonUnprocessable}},
		{"a refusal wrapped as a job cancel", river.JobCancel(fmt.Errorf("process: %w", store.ErrInvalidData)),
			Decision{Action: Fail, Reason: grant.ReasonUnprocessable}},
		{"a granter's verdict wins over a store error it wraps", &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonStoreUnavailable, Err: store.ErrInvalidData},
			Decision{Action: Retry, Reason: grant.ReasonStoreUnavailable}},
		{"a dropped connection is unavailable, not a refusal", fmt.Errorf("%w: terminating connection due to administrator command", store.ErrUnavailable),
			Decision{Action: Retry, Reason: grant.ReasonStoreUnavailable}},
		{"job time-out", wrapped(context.DeadlineExceeded), Decision{Action: Retry, Reason: grant.ReasonTimeout}},
		{"job cancelled (hard stop)", context.Canceled, Decision{Action: Retry, Reason: grant.ReasonTimeout}},
		{"untyped error is retried, never called a refusal", errors.New("river: something odd"),
			Decision{Action: Retry, Reason: grant.ReasonInternal}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Fatalf("Classify(%v) = %+v, want %+v", tt.err, got, tt.want)
			}
		})
	}
}

// decide turns a retry into a failure on the last attempt or past the
// give-up time; a snooze costs no attempt, so only the give-up time ends it.
func TestDecideGivesUp(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	retry := &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonZoomUnavailable}
	snooze := &grant.Error{Code: grant.ERATELIMITED, Reason: grant.ReasonRateLimited, RetryAfter: time.Second}
	tests := []struct {
		name              string
		err               error
		attempt, attempts int
		giveUpAt          time.Time
		want              Action
	}{
		{"retry before the end", retry, 3, 25, now.Add(time.Minute), Retry},
		{"retry on the last attempt", retry, 25, 25, now.Add(time.Minute), Fail},
		{"retry past give-up", retry, 3, 25, now.Add(-time.Second), Fail},
		{"retry without a give-up time", retry, 3, 10, time.Time{}, Retry},
		{"snooze on the last attempt", snooze, 25, 25, now.Add(time.Minute), Snooze},
		{"snooze past give-up", snooze, 3, 25, now, Fail},
		{"fail stays fail", &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonAgentRejected}, 1, 25, time.Time{}, Fail},
		{"a refused value fails on the first attempt", store.ErrInvalidData, 1, 25, now.Add(time.Minute), Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decide(tt.err, tt.attempt, tt.attempts, now, tt.giveUpAt)
			if d.Action != tt.want || d.Reason == "" {
				t.Fatalf("decide = %+v, want %s with a reason", d, tt.want)
			}
		})
	}
}
