package zoomclient

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUsersGet(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/v2/users/host@example.com", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		_, _ = io.WriteString(w, `{"id":"30R7kT7bTIKSNUFEuH_Qlg","email":"host@example.com","first_name":"Ada","last_name":"L","type":2,
			"account_id":"acct-AbC123","status":"active","timezone":"Europe/Berlin","role_name":"Owner","pmi":1234567890}`)
	})
	got, _, err := client.Users.Get(context.Background(), "host@example.com")
	if err != nil {
		t.Fatalf("Users.Get: %v", err)
	}
	want := &User{ID: "30R7kT7bTIKSNUFEuH_Qlg", Email: "host@example.com", FirstName: "Ada", LastName: "L", Type: UserTypeLicensed,
		AccountID: "acct-AbC123", Status: "active", Timezone: "Europe/Berlin", RoleName: "Owner"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Users.Get mismatch (-want +got):\n%s", diff)
	}
	if !got.Licensed() {
		t.Error("Licensed() = false for type 2")
	}
}

func TestUsersGet_pathEscaped(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/v2/users/", func(w http.ResponseWriter, r *http.Request) {
		if got, want := r.URL.EscapedPath(), "/v2/users/a%2Fb%20c@example.com"; got != want {
			t.Errorf("path = %q, want %q", got, want)
		}
		_, _ = io.WriteString(w, `{"id":"x","type":1}`)
	})
	if _, _, err := client.Users.Get(context.Background(), "a/b c@example.com"); err != nil {
		t.Fatalf("Users.Get: %v", err)
	}
	if _, _, err := client.Users.Get(context.Background(), ""); err == nil {
		t.Error("Users.Get with an empty id succeeded")
	}
}

// A trimmed but real-shaped GET /users/{userId}/settings answer.
const zoomUserSettingsJSON = `{
	"email_notification": {"jbh_reminder": true},
	"in_meeting": {
		"allow_participants_chat_with": 3,
		"allow_users_save_chats": 2,
		"annotation": false,
		"breakout_room": true,
		"chat": true,
		"co_host": false,
		"e2e_encryption": false,
		"entry_exit_chime": "host",
		"file_transfer": false,
		"non_verbal_feedback": true,
		"polling": true,
		"private_chat": false,
		"remote_control": true,
		"request_permission_to_unmute_participants": false,
		"screen_sharing": true,
		"waiting_room": true,
		"whiteboard": false,
		"who_can_share_screen": "host",
		"who_can_share_screen_when_someone_is_sharing": "host",
		"participants_share_simultaneously": "one",
		"virtual_background_settings": {"enable": true, "files": []}
	},
	"recording": {"local_recording": false, "cloud_recording": true, "auto_recording": "none"},
	"schedule_meeting": {"join_before_host": false, "mute_upon_entry": true, "host_video": true},
	"telephony": {"third_party_audio": false}
}`

func wantSettings() *UserSettings {
	return &UserSettings{
		InMeeting: &InMeetingSettings{
			ScreenSharing:                         Ptr(true),
			WhoCanShareScreen:                     Ptr(ShareHost),
			WhoCanShareScreenWhenSomeoneIsSharing: Ptr(ShareHost),
			ParticipantsShareSimultaneously:       Ptr("one"),
			Annotation:                            Ptr(false),
			Whiteboard:                            Ptr(false),
			Chat:                                  Ptr(true),
			PrivateChat:                           Ptr(false),
			AllowParticipantsChatWith:             Ptr(3),
			AllowUsersSaveChats:                   Ptr(2),
			CoHost:                                Ptr(false),
			WaitingRoom:                           Ptr(true),
			RequestPermissionToUnmuteParticipants: Ptr(false),
			BreakoutRoom:                          Ptr(true),
			NonVerbalFeedback:                     Ptr(true),
			Polling:                               Ptr(true),
			RemoteControl:                         Ptr(true),
			FileTransfer:                          Ptr(false),
		},
		Recording:       &RecordingSettings{LocalRecording: Ptr(false)},
		ScheduleMeeting: &ScheduleMeetingSettings{JoinBeforeHost: Ptr(false), MuteUponEntry: Ptr(true)},
	}
}

func TestUsersGetSettings(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/v2/users/host-1/settings", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		_, _ = io.WriteString(w, zoomUserSettingsJSON)
	})
	got, _, err := client.Users.GetSettings(context.Background(), "host-1")
	if err != nil {
		t.Fatalf("Users.GetSettings: %v", err)
	}
	if diff := cmp.Diff(wantSettings(), got); diff != "" {
		t.Errorf("Users.GetSettings mismatch (-want +got):\n%s", diff)
	}
}

func TestUsersUpdateSettings(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/v2/users/host-1/settings", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPatch)
		body, _ := io.ReadAll(r.Body)
		want := `{"in_meeting":{"who_can_share_screen":"all","who_can_share_screen_when_someone_is_sharing":"all","annotation":true,"allow_participants_chat_with":4},"recording":{"local_recording":true}}`
		if diff := cmp.Diff(want, string(body)); diff != "" {
			t.Errorf("PATCH body mismatch (-want +got):\n%s", diff)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	resp, err := client.Users.UpdateSettings(context.Background(), "host-1", &UserSettings{
		InMeeting: &InMeetingSettings{
			WhoCanShareScreen:                     Ptr(ShareAll),
			WhoCanShareScreenWhenSomeoneIsSharing: Ptr(ShareAll),
			Annotation:                            Ptr(true),
			AllowParticipantsChatWith:             Ptr(4),
		},
		Recording: &RecordingSettings{LocalRecording: Ptr(true)},
	})
	if err != nil {
		t.Fatalf("Users.UpdateSettings: %v", err)
	}
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("status = %d, want 204", resp.StatusCode)
	}
	if _, err := client.Users.UpdateSettings(context.Background(), "host-1", nil); err == nil {
		t.Error("UpdateSettings(nil) succeeded")
	}
}

// The permissions granter snapshots the settings it changes and later PATCHes
// the snapshot back: what GetSettings decodes must encode to exactly the
// values Zoom sent for those fields, false and "host" included.
func TestUserSettingsRoundTrip(t *testing.T) {
	var got UserSettings
	if err := json.Unmarshal([]byte(zoomUserSettingsJSON), &got); err != nil {
		t.Fatal(err)
	}
	restore, err := json.Marshal(&got)
	if err != nil {
		t.Fatal(err)
	}
	var back UserSettings
	if err := json.Unmarshal(restore, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&got, &back); diff != "" {
		t.Errorf("settings do not round-trip (-decoded +re-decoded):\n%s", diff)
	}
	// Every modelled field Zoom sent is in the restore body with Zoom's value.
	var zoom, sent map[string]map[string]any
	_ = json.Unmarshal([]byte(zoomUserSettingsJSON), &zoom)
	_ = json.Unmarshal(restore, &sent)
	for section, fields := range sent {
		for k, v := range fields {
			if diff := cmp.Diff(zoom[section][k], v); diff != "" {
				t.Errorf("%s.%s restored as %v, Zoom sent %v", section, k, v, zoom[section][k])
			}
		}
	}
	if len(sent["in_meeting"]) != 18 || len(sent["recording"]) != 1 || len(sent["schedule_meeting"]) != 2 {
		t.Errorf("restore body has %d/%d/%d fields, want 18/1/2: %s", len(sent["in_meeting"]), len(sent["recording"]), len(sent["schedule_meeting"]), restore)
	}
}

func TestUsersZAK(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/v2/users/host-1/token", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		if got := r.URL.Query().Get("type"); got != "zak" {
			t.Errorf("type = %q, want zak", got)
		}
		_, _ = io.WriteString(w, `{"token":"zak-SECRET-abc"}`)
	})
	zak, _, err := client.Users.ZAK(context.Background(), "host-1")
	if err != nil {
		t.Fatalf("Users.ZAK: %v", err)
	}
	if zak != "zak-SECRET-abc" {
		t.Errorf("ZAK = %q", zak)
	}
}

func TestUsersZAK_empty(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/v2/users/host-1/token", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{}`)
	})
	if _, _, err := client.Users.ZAK(context.Background(), "host-1"); err == nil {
		t.Fatal("ZAK without a token succeeded")
	}
}
