package api_test

import (
	"errors"
	"testing"

	"github.com/cohost-dev/cohost/api"
	"github.com/google/go-cmp/cmp"
)

// joinedNumericID has the shape of Zoom's documented example, with the
// meeting id as a JSON number.
const joinedNumericID = `{
  "event": "meeting.participant_joined",
  "event_ts": 1626230691572,
  "payload": {
    "account_id": "AAAAAABBBB",
    "object": {
      "id": 85746065432,
      "uuid": "4444AAAiAAAAAiAiAiiAii==",
      "host_id": "x1yCzABCDEfg23HiJKl4mN",
      "topic": "My Meeting",
      "type": 8,
      "start_time": "2021-07-13T21:44:51Z",
      "timezone": "America/Los_Angeles",
      "duration": 60,
      "participant": {
        "user_id": "16778240",
        "user_name": "Jill Chill",
        "id": "iFxeBPYun6SAiWUzBcEkX",
        "participant_uuid": "55555AAAiAAAAAiAiAiiAii",
        "join_time": "2021-07-13T21:44:51Z",
        "email": "jchill@example.com",
        "registrant_id": "abcdefghij0-klmnopq23456",
        "participant_user_id": "rstuvwxyZ_ABCDEFGHIJ",
        "customer_key": "349589LkJyeW"
      }
    }
  }
}`

func TestDecodeEvent(t *testing.T) {
	e, err := api.DecodeEvent([]byte(joinedNumericID))
	if err != nil {
		t.Fatal(err)
	}
	want := &api.Event{
		Event:   api.EventParticipantJoined,
		EventTS: 1626230691572,
		Payload: api.EventPayload{
			AccountID: "AAAAAABBBB",
			Object: &api.MeetingObject{
				ID: "85746065432", UUID: "4444AAAiAAAAAiAiAiiAii==", HostID: "x1yCzABCDEfg23HiJKl4mN",
				Topic: "My Meeting", StartTime: "2021-07-13T21:44:51Z",
				Participant: &api.Participant{
					UserID: "16778240", UserName: "Jill Chill", ID: "iFxeBPYun6SAiWUzBcEkX",
					ParticipantUUID: "55555AAAiAAAAAiAiAiiAii", Email: "jchill@example.com",
					ParticipantUserID: "rstuvwxyZ_ABCDEFGHIJ",
				},
			},
		},
	}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Fatalf("DecodeEvent() mismatch (-want +got):\n%s", diff)
	}
	if got := e.Payload.Object.Participant.Key(); got != "55555AAAiAAAAAiAiAiiAii" {
		t.Errorf("Key() = %q", got)
	}
	if got := e.Time().UnixMilli(); got != 1626230691572 {
		t.Errorf("Time() = %d", got)
	}
}

func TestDecodeEventIDForms(t *testing.T) {
	tests := []struct {
		name, body string
		meetingID  api.ID
		userID     api.ID
	}{
		{"string ids", `{"event":"meeting.participant_left","event_ts":1,"payload":{"object":{"id":"123","uuid":"u","participant":{"user_id":"16778205","id":"abc"}}}}`, "123", "16778205"},
		{"number ids", `{"event":"meeting.participant_left","event_ts":1,"payload":{"object":{"id":123,"uuid":"u","participant":{"user_id":16778205,"id":""}}}}`, "123", "16778205"},
		{"id beyond float precision", `{"event":"meeting.participant_left","event_ts":1,"payload":{"object":{"id":9007199254740993,"uuid":"u","participant":{"user_id":"1"}}}}`, "9007199254740993", "1"},
		{"null id", `{"event":"meeting.participant_left","event_ts":1,"payload":{"object":{"id":null,"uuid":"u","participant":{"user_id":"1","id":null}}}}`, "", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := api.DecodeEvent([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if e.Payload.Object.ID != tt.meetingID || e.Payload.Object.Participant.UserID != tt.userID {
				t.Fatalf("ids = %q, %q; want %q, %q", e.Payload.Object.ID, e.Payload.Object.Participant.UserID, tt.meetingID, tt.userID)
			}
		})
	}
}

func TestDecodeEventMalformed(t *testing.T) {
	tests := []struct{ name, body string }{
		{"empty", ``},
		{"not json", `hello`},
		{"array", `[]`},
		{"no event", `{"event_ts":1,"payload":{}}`},
		{"trailing data", `{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":1,"uuid":"u"}}} {}`},
		{"truncated", `{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":1`},
		{"meeting without object", `{"event":"meeting.started","event_ts":1,"payload":{}}`},
		{"meeting without ids", `{"event":"meeting.ended","event_ts":1,"payload":{"object":{}}}`},
		{"meeting without event_ts", `{"event":"meeting.ended","payload":{"object":{"id":1,"uuid":"u"}}}`},
		{"participant missing", `{"event":"meeting.participant_joined","event_ts":1,"payload":{"object":{"id":1,"uuid":"u"}}}`},
		{"participant without key", `{"event":"meeting.participant_joined","event_ts":1,"payload":{"object":{"id":1,"uuid":"u","participant":{"user_name":"x"}}}}`},
		{"participant event without uuid", `{"event":"meeting.participant_joined","event_ts":1,"payload":{"object":{"id":1,"participant":{"user_id":"1"}}}}`},
		{"id is an object", `{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":{},"uuid":"u"}}}`},
		{"id is a fraction", `{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":1.5,"uuid":"u"}}}`},
		{"id is a boolean", `{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":true,"uuid":"u"}}}`},
		{"uuid is a number", `{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":1,"uuid":5}}}`},
		{"url validation without token", `{"event":"endpoint.url_validation","event_ts":1,"payload":{}}`},
		{"deauthorized without account", `{"event":"app_deauthorized","event_ts":1,"payload":{"user_id":"x"}}`},
		{"event is a number", `{"event":5,"payload":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := api.DecodeEvent([]byte(tt.body)); !errors.Is(err, api.ErrMalformedEvent) {
				t.Fatalf("DecodeEvent() error = %v, want ErrMalformedEvent", err)
			}
		})
	}
}

func TestDecodeUnknownEventIsValid(t *testing.T) {
	e, err := api.DecodeEvent([]byte(`{"event":"meeting.participant_joined_waiting_room","event_ts":1,"payload":{"object":{}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if api.Handled(e.Event) {
		t.Fatal("waiting-room event should not be handled")
	}
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(joinedNumericID))
	f.Add([]byte(`{"event":"endpoint.url_validation","event_ts":1654503849680,"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"}}`))
	f.Add([]byte(`{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":"1","uuid":"u","type":"2","duration":"30"}}}`))
	f.Add([]byte(`{"event":"app_deauthorized","event_ts":1,"payload":{"account_id":"a","user_data_retention":false}}`))
	f.Add([]byte(`{"event":"meeting.participant_joined","event_ts":1,"payload":{"object":{"uuid":"u","participant":{"user_id":"1","user_name":"a\u0000b","participant_uuid":"p\u0000"}}}}`))
	f.Add([]byte(`{"event":"x","payload":{"object":{"id":-0}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := api.DecodeEvent(body)
		if err != nil {
			if !errors.Is(err, api.ErrMalformedEvent) {
				t.Fatalf("error does not wrap ErrMalformedEvent: %v", err)
			}
			return
		}
		if e.Event == "" {
			t.Fatal("decoded an event without a name")
		}
		if p := e.Payload.Object; p != nil && p.Participant != nil && api.Handled(e.Event) && p.Participant.Key() == "" {
			t.Fatal("participant event without a key passed validation")
		}
		assertClean(t, e)
	})
}
