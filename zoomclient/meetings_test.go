package zoomclient

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMeetingsGet(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		if got := bearer(r); got != "at-SECRET-s2s-1" {
			t.Errorf("bearer = %q", got)
		}
		if got := r.Header.Get("Accept"); got != "application/json" {
			t.Errorf("Accept = %q", got)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{
			"id": 85746065432,
			"uuid": "aDYlohsHRtCd4ii1uC2+hA==",
			"host_id": "30R7kT7bTIKSNUFEuH_Qlg",
			"host_email": "host@example.com",
			"topic": "Weekly sync",
			"type": 2,
			"status": "waiting",
			"start_time": "2026-12-01T15:00:00Z",
			"duration": 60,
			"timezone": "Europe/Berlin",
			"password": "123456",
			"encrypted_password": "secret-enc",
			"start_url": "https://zoom.us/s/85746065432?zak=SECRET-start-url",
			"join_url": "https://zoom.us/j/85746065432?pwd=abc",
			"settings": {
				"alternative_hosts": "a@example.com;b@example.com",
				"join_before_host": false,
				"jbh_time": 5,
				"waiting_room": true,
				"mute_upon_entry": true,
				"allow_multiple_devices": true,
				"meeting_authentication": false,
				"continuous_meeting_chat": {"enable": true},
				"auto_recording": "none"
			}
		}`)
	})

	got, resp, err := client.Meetings.Get(context.Background(), testMeetingID)
	if err != nil {
		t.Fatalf("Meetings.Get: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d", resp.StatusCode)
	}
	if resp.Request.Header.Get("Authorization") != "" {
		t.Error("Response.Request still carries the Authorization header")
	}
	want := &Meeting{
		ID:        testMeetingID,
		UUID:      "aDYlohsHRtCd4ii1uC2+hA==",
		HostID:    "30R7kT7bTIKSNUFEuH_Qlg",
		HostEmail: "host@example.com",
		Topic:     "Weekly sync",
		Type:      2,
		Status:    "waiting",
		StartTime: &Timestamp{time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)},
		Duration:  60,
		Timezone:  "Europe/Berlin",
		Password:  "123456",
		JoinURL:   "https://zoom.us/j/85746065432?pwd=abc",
		Settings: &MeetingSettings{
			AlternativeHosts:      Ptr("a@example.com;b@example.com"),
			JoinBeforeHost:        Ptr(false),
			JBHTime:               Ptr(5),
			WaitingRoom:           Ptr(true),
			MuteUponEntry:         Ptr(true),
			AllowMultipleDevices:  Ptr(true),
			MeetingAuthentication: Ptr(false),
			ContinuousMeetingChat: &ContinuousMeetingChat{Enable: Ptr(true)},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Meetings.Get mismatch (-want +got):\n%s", diff)
	}
}

func TestMeetingsGet_emptyStartTime(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"id": 85746065432, "type": 3, "start_time": ""}`)
	})
	got, _, err := client.Meetings.Get(context.Background(), testMeetingID)
	if err != nil {
		t.Fatalf("Meetings.Get: %v", err)
	}
	if got.StartTime == nil || !got.StartTime.IsZero() {
		t.Errorf("StartTime = %v, want zero", got.StartTime)
	}
}

func TestMeetingsUpdate(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPatch)
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		body, _ := io.ReadAll(r.Body)
		// Only the fields that were set are sent; false and 0 are sent when set.
		want := `{"settings":{"alternative_hosts":"a@example.com;b@example.com","alternative_hosts_email_notification":false,"join_before_host":true,"jbh_time":0,"waiting_room":false}}`
		if diff := cmp.Diff(want, string(body)); diff != "" {
			t.Errorf("PATCH body mismatch (-want +got):\n%s", diff)
		}
		w.WriteHeader(http.StatusNoContent)
	})

	resp, err := client.Meetings.Update(context.Background(), testMeetingID, &MeetingUpdate{
		Settings: &MeetingSettings{
			AlternativeHosts:                  Ptr("a@example.com;b@example.com"),
			AlternativeHostsEmailNotification: Ptr(false),
			JoinBeforeHost:                    Ptr(true),
			JBHTime:                           Ptr(0),
			WaitingRoom:                       Ptr(false),
		},
	})
	if err != nil {
		t.Fatalf("Meetings.Update: %v", err)
	}
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("status = %d, want 204", resp.StatusCode)
	}
}

func TestMeetingsGet_notFound(t *testing.T) {
	client, mux, _ := setup(t)
	var calls counter
	mux.HandleFunc(meetingPath, func(w http.ResponseWriter, r *http.Request) {
		calls.hit(r, time.Time{})
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 3001, "message": "Meeting does not exist: 85746065432."})
	})
	_, resp, err := client.Meetings.Get(context.Background(), testMeetingID)
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	want := &APIError{Endpoint: "GET /meetings/{meetingId}", Status: 404, Code: 3001, Message: "Meeting does not exist: 85746065432."}
	if diff := cmp.Diff(want, apiErr); diff != "" {
		t.Errorf("APIError mismatch (-want +got):\n%s", diff)
	}
	if resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("the failed call must still return the *Response, got %v", resp)
	}
	if n := calls.n.Load(); n != 1 {
		t.Errorf("404 was sent %d times, want 1 (no retry)", n)
	}
}

func TestTimestampJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{`"2026-12-01T15:00:00Z"`, time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)},
		{`"2026-12-01T16:00:00+01:00"`, time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)},
		{`"2026-12-01T15:00:00"`, time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)},
		{`""`, time.Time{}},
		{`null`, time.Time{}},
	} {
		var ts Timestamp
		if err := json.Unmarshal([]byte(tc.in), &ts); err != nil {
			t.Errorf("Unmarshal(%s): %v", tc.in, err)
			continue
		}
		if !ts.Equal(tc.want) {
			t.Errorf("Unmarshal(%s) = %v, want %v", tc.in, ts.Time, tc.want)
		}
	}
	var ts Timestamp
	if err := json.Unmarshal([]byte(`"tomorrow"`), &ts); err == nil {
		t.Error("Unmarshal of a non-time succeeded")
	}
}

func FuzzTimestampUnmarshal(f *testing.F) {
	for _, s := range []string{`"2026-12-01T15:00:00Z"`, `""`, `null`, `"2026-12-01T15:00:00"`, `12`, `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Outside input must never panic the decoder; what decodes must encode.
		var ts Timestamp
		if err := json.Unmarshal([]byte(s), &ts); err != nil {
			return
		}
		if _, err := json.Marshal(ts); err != nil {
			t.Fatalf("Marshal after a good Unmarshal of %q: %v", s, err)
		}
	})
}

func TestMeetingsListByUser(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/v2/users/30R7kT7bTIKSNUFEuH_Qlg/meetings", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		want := map[string]string{"type": "upcoming", "page_size": "100", "next_page_token": "tok-2"}
		for k, v := range want {
			if got := r.URL.Query().Get(k); got != v {
				t.Errorf("query %s = %q, want %q", k, got, v)
			}
		}
		// Zoom's example answer of "List meetings", trimmed to two meetings.
		_, _ = io.WriteString(w, `{
			"next_page_token": "tok-3",
			"page_size": 100,
			"total_records": 130,
			"meetings": [
				{"uuid": "aDYlohsHRtCd4ii1uC2+hA==", "id": 85746065432, "host_id": "30R7kT7bTIKSNUFEuH_Qlg",
				 "topic": "Weekly sync", "type": 8, "start_time": "2026-12-01T15:00:00Z", "duration": 60,
				 "timezone": "Europe/Berlin", "created_at": "2026-11-01T09:00:00Z", "join_url": "https://zoom.us/j/85746065432", "pmi": "97891943927"},
				{"uuid": "Y2FsbGVkLm5vLXRpbWU=", "id": 91234567890, "host_id": "30R7kT7bTIKSNUFEuH_Qlg",
				 "topic": "Office hours", "type": 3, "start_time": "", "duration": 0, "timezone": "", "join_url": "https://zoom.us/j/91234567890"}
			]
		}`)
	})
	got, _, err := client.Meetings.ListByUser(context.Background(), "30R7kT7bTIKSNUFEuH_Qlg",
		&ListMeetingsOptions{Type: MeetingListUpcoming, PageSize: 100, NextPageToken: "tok-2"})
	if err != nil {
		t.Fatalf("Meetings.ListByUser: %v", err)
	}
	want := &MeetingList{PageSize: 100, TotalRecords: 130, NextPageToken: "tok-3", Meetings: []Meeting{
		{ID: 85746065432, UUID: "aDYlohsHRtCd4ii1uC2+hA==", HostID: "30R7kT7bTIKSNUFEuH_Qlg", Topic: "Weekly sync", Type: 8,
			StartTime: &Timestamp{time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)}, Duration: 60, Timezone: "Europe/Berlin",
			JoinURL: "https://zoom.us/j/85746065432"},
		{ID: 91234567890, UUID: "Y2FsbGVkLm5vLXRpbWU=", HostID: "30R7kT7bTIKSNUFEuH_Qlg", Topic: "Office hours", Type: 3,
			StartTime: &Timestamp{}, JoinURL: "https://zoom.us/j/91234567890"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Meetings.ListByUser mismatch (-want +got):\n%s", diff)
	}
}

// Without options the request carries no query: Zoom's defaults apply.
func TestMeetingsListByUser_defaults(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/v2/users/me/meetings", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "" {
			t.Errorf("query %q, want none", r.URL.RawQuery)
		}
		_, _ = io.WriteString(w, `{"page_size": 30, "total_records": 0, "next_page_token": "", "meetings": []}`)
	})
	got, _, err := client.Meetings.ListByUser(context.Background(), "me", nil)
	if err != nil {
		t.Fatalf("Meetings.ListByUser: %v", err)
	}
	if len(got.Meetings) != 0 || got.NextPageToken != "" {
		t.Errorf("got %+v, want an empty last page", got)
	}
}

func TestMeetingsListByUser_badInput(t *testing.T) {
	client, mux, _ := setup(t)
	var calls int
	mux.HandleFunc("/v2/users/", func(w http.ResponseWriter, r *http.Request) { calls++ })
	for _, tc := range []struct {
		name string
		user string
		opts *ListMeetingsOptions
	}{
		{"no user", "", nil},
		{"page too large", "me", &ListMeetingsOptions{PageSize: MaxMeetingsPageSize + 1}},
		{"negative page", "me", &ListMeetingsOptions{PageSize: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := client.Meetings.ListByUser(context.Background(), tc.user, tc.opts); err == nil {
				t.Error("ListByUser succeeded")
			}
		})
	}
	if calls != 0 {
		t.Errorf("%d requests reached Zoom, want none", calls)
	}
}

// A user id is one path segment: a crafted id cannot reach another route.
func TestMeetingsListByUser_pathEscaped(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/v2/users/", func(w http.ResponseWriter, r *http.Request) {
		if got, want := r.URL.EscapedPath(), "/v2/users/a%2F..%2Fmeetings%2F1/meetings"; got != want {
			t.Errorf("path %s, want %s", got, want)
		}
		_, _ = io.WriteString(w, `{"meetings": []}`)
	})
	if _, _, err := client.Meetings.ListByUser(context.Background(), "a/../meetings/1", nil); err != nil {
		t.Fatal(err)
	}
}
