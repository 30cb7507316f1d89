package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/store"
)

func (f *fixture) signedPost(t *testing.T, body string, extra map[string]string) (*http.Response, []byte) {
	t.Helper()
	ts := fmt.Sprint(f.now.Unix())
	h := map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": sign(body, currentSecret, ts)}
	for k, v := range extra {
		h[k] = v
	}
	return f.post(t, "POST", body, h)
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e api.ErrorResponse
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("body is not JSON: %s", body)
	}
	return e.Error
}

// A validly signed event dated in year 3000 would make every later real
// leave, re-join or meeting.ended look stale: it is refused, counted under
// its own outcome, and never stored.
func TestWebhookRefusesEventsFromTheFuture(t *testing.T) {
	year3000 := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for _, tt := range []struct{ name, event, object string }{
		{"participant_left", api.EventParticipantLeft, `{"id":1,"uuid":"m-uuid==","participant":{"user_id":"1","participant_uuid":"p-uuid"}}`},
		{"meeting.started", api.EventMeetingStarted, `{"id":1,"uuid":"m-uuid=="}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			body := fmt.Sprintf(`{"event":%q,"event_ts":%d,"payload":{"account_id":"acct","object":%s}}`, tt.event, year3000, tt.object)
			resp, got := f.signedPost(t, body, nil)
			if resp.StatusCode != http.StatusBadRequest || errorCode(t, got) != "event_time_in_future" {
				t.Fatalf("status %d %s, want 400 event_time_in_future", resp.StatusCode, got)
			}
			if len(f.intake.accepted) != 0 {
				t.Fatal("a future event was stored")
			}
			if n := testutil.ToFloat64(f.metrics.WebhookRequests.WithLabelValues(tt.event, metrics.OutcomeRejectedFuture)); n != 1 {
				t.Fatalf("rejected_future counted %v times", n)
			}
		})
	}
	t.Run("within the tolerance", func(t *testing.T) {
		f := setup(t)
		body := fmt.Sprintf(`{"event":"meeting.started","event_ts":%d,"payload":{"account_id":"acct","object":{"id":1,"uuid":"u"}}}`,
			f.now.Add(299*time.Second).UnixMilli())
		if resp, got := f.signedPost(t, body, nil); resp.StatusCode != 200 {
			t.Fatalf("status %d %s: a clock 299 s ahead is tolerated", resp.StatusCode, got)
		}
	})
	t.Run("role change with a future date_time is clamped", func(t *testing.T) {
		f := setup(t)
		body := fmt.Sprintf(`{"event":"meeting.participant_role_changed","event_ts":%d,"payload":{"account_id":"acct","object":{"id":1,"uuid":"u",`+
			`"participant":{"user_id":"1","date_time":"3000-01-01T00:00:00Z","new_role":"co-host"}}}}`, f.now.UnixMilli())
		if resp, got := f.signedPost(t, body, nil); resp.StatusCode != 200 {
			t.Fatalf("status %d %s", resp.StatusCode, got)
		}
		ev, err := api.DecodeEvent(f.intake.accepted[0].Body)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ev.Payload.Object.Participant.DateTime, f.now.Add(300*time.Second).UTC().Format(time.RFC3339Nano); got != want {
			t.Fatalf("stored date_time %q, want it clamped to %q", got, want)
		}
	})
}

// A NUL in an identifier makes the event malformed (400, never stored); in
// free text it is cleaned and the event is stored.
func TestWebhookNULInOutsideValues(t *testing.T) {
	f := setup(t)
	badID := strings.Replace(joinedBody, `"participant_uuid":"p-uuid"`, `"participant_uuid":"p\u0000uuid"`, 1)
	resp, got := f.signedPost(t, badID, nil)
	if resp.StatusCode != http.StatusBadRequest || errorCode(t, got) != "malformed_body" {
		t.Fatalf("NUL in participant_uuid: status %d %s, want 400 malformed_body", resp.StatusCode, got)
	}
	badName := strings.Replace(joinedBody, `"user_name":"Jill"`, `"user_name":"Ji\u0000ll"`, 1)
	if resp, got := f.signedPost(t, badName, nil); resp.StatusCode != 200 {
		t.Fatalf("NUL in user_name: status %d %s, want 200", resp.StatusCode, got)
	}
	if len(f.intake.accepted) != 1 || strings.Contains(string(f.intake.accepted[0].Body), `\u0000`) ||
		!strings.Contains(string(f.intake.accepted[0].Body), `"user_name":"Jill"`) {
		t.Fatalf("stored %q", f.intake.accepted)
	}
}

// A permanent refusal by the database is a 400 (Zoom does not retry it), not
// a 503 that Zoom would repeat three times before dropping it anyway.
func TestWebhookInvalidDataIs400(t *testing.T) {
	f := setup(t)
	f.intake.AcceptFn = func(context.Context, grant.Inbound) (grant.IntakeResult, error) {
		return grant.IntakeResult{}, fmt.Errorf("store: record events: %w", store.ErrInvalidData)
	}
	resp, got := f.signedPost(t, joinedBody, nil)
	if resp.StatusCode != http.StatusBadRequest || errorCode(t, got) != "unstorable_event" {
		t.Fatalf("status %d %s, want 400 unstorable_event", resp.StatusCode, got)
	}
	if n := testutil.ToFloat64(f.metrics.WebhookRequests.WithLabelValues(api.EventParticipantJoined, metrics.OutcomeRejectedBody)); n != 1 {
		t.Fatalf("rejected_body counted %v times", n)
	}
	if n := testutil.ToFloat64(f.metrics.WebhookRequests.WithLabelValues(api.EventParticipantJoined, metrics.OutcomeStoreUnavailable)); n != 0 {
		t.Fatal("counted as store_unavailable")
	}
}

// x-zm-request-id is not signed. An unauthenticated request never gets its
// value logged, only a short digest; an authenticated one of Zoom's shape is
// logged and stored as it is, any other as its fixed-size digest. The same
// holds for the other values a caller chooses (X-Request-Id, the path).
func TestWebhookRequestIDIsBounded(t *testing.T) {
	huge := strings.Repeat("A", 8<<10)
	tests := []struct {
		name       string
		id         string
		signed     bool
		wantLogged string
		wantStored string
	}{
		{"signed, Zoom's shape", "6009d653_d487_4b04", true, "6009d653_d487_4b04", "6009d653_d487_4b04"},
		{"signed, 8 KiB", huge, true, api.DeliveryIDDigest(huge), api.DeliveryIDDigest(huge)},
		{"signed, odd characters", "id with spaces;", true, api.DeliveryIDDigest("id with spaces;"), api.DeliveryIDDigest("id with spaces;")},
		{"unsigned, Zoom's shape", "6009d653_d487_4b04", false, api.DeliveryIDDigest("6009d653_d487_4b04"), ""},
		{"unsigned, 8 KiB", huge, false, api.DeliveryIDDigest(huge), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			hdr := map[string]string{"x-zm-request-id": tt.id, "X-Request-Id": "caller-chosen-" + huge}
			var resp *http.Response
			if tt.signed {
				resp, _ = f.signedPost(t, joinedBody, hdr)
			} else {
				resp, _ = f.post(t, "POST", joinedBody, hdr)
			}
			if tt.signed != (resp.StatusCode == 200) {
				t.Fatalf("status %d", resp.StatusCode)
			}
			logs := f.logs.String()
			if !strings.Contains(logs, `"zm_request_id":"`+tt.wantLogged+`"`) {
				t.Errorf("log does not carry zm_request_id %q:\n%.2000s", tt.wantLogged, logs)
			}
			if tt.id != tt.wantLogged && strings.Contains(logs, tt.id) {
				t.Errorf("the raw request id is logged")
			}
			if strings.Contains(logs, "caller-chosen") {
				t.Errorf("the caller's X-Request-Id is logged")
			}
			if len(logs) > 4096 {
				t.Errorf("%d bytes of log for one request", len(logs))
			}
			if tt.signed && f.intake.accepted[0].DeliveryID != tt.wantStored {
				t.Errorf("stored delivery id %.80q, want %q", f.intake.accepted[0].DeliveryID, tt.wantStored)
			}
		})
	}
	t.Run("long path", func(t *testing.T) {
		f := setup(t)
		req, _ := http.NewRequest("GET", f.srv.URL+"/"+huge, nil)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if strings.Contains(f.logs.String(), huge[:200]) {
			t.Fatal("a long path is logged in full")
		}
	})
}

// A signed body whose keys would file it under the wrong meeting or account,
// or that says two things at once (a key twice), is malformed: 400,
// counted under rejected_body, never stored. Zoom sends none of these.
func TestWebhookRefusesBadKeysAndDuplicates(t *testing.T) {
	ts := time.Now().UnixMilli()
	meeting := func(account, id string) string {
		return fmt.Sprintf(`{"event":"meeting.started","event_ts":%d,"payload":{"account_id":%s,"object":{"id":%s,"uuid":"m-uuid=="}}}`, ts, account, id)
	}
	for _, tt := range []struct{ name, body string }{
		{"meeting id abc", meeting(`"acct"`, `"abc"`)},
		{"meeting id 0", meeting(`"acct"`, `0`)},
		{"meeting id -5", meeting(`"acct"`, `-5`)},
		{"zero-padded meeting id", meeting(`"acct"`, `"0087991488412"`)},
		{"empty account_id", meeting(`""`, `87991488412`)},
		{"two event keys", fmt.Sprintf(`{"event":"meeting.participant_joined","event":"app_deauthorized","event_ts":%d,"payload":{"account_id":"acct"}}`, ts)},
		{"event key in another case", fmt.Sprintf(`{"event":"meeting.started","Event":"app_deauthorized","event_ts":%d,"payload":{"account_id":"acct","object":{"id":1,"uuid":"u"}}}`, ts)},
		{"nested duplicate", strings.Replace(joinedBody, `"user_name":"Jill"`, `"user_name":"Jill","user_name":"Host"`, 1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			resp, got := f.signedPost(t, tt.body, nil)
			if resp.StatusCode != http.StatusBadRequest || errorCode(t, got) != "malformed_body" {
				t.Fatalf("status %d %s, want 400 malformed_body", resp.StatusCode, got)
			}
			if len(f.intake.accepted) != 0 {
				t.Fatal("the event was stored")
			}
			if n := testutil.ToFloat64(f.metrics.WebhookRequests.WithLabelValues("unknown", metrics.OutcomeRejectedBody)); n != 1 {
				t.Fatalf("rejected_body counted %v times", n)
			}
		})
	}
}
