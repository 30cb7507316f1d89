package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Zoom event names cohost receives (docs/zoom-setup.md lists them for the subscription). Any other event name
// is valid but not acted on.
const (
	EventURLValidation          = "endpoint.url_validation"
	EventMeetingCreated         = "meeting.created"
	EventMeetingUpdated         = "meeting.updated"
	EventMeetingDeleted         = "meeting.deleted"
	EventMeetingStarted         = "meeting.started"
	EventMeetingEnded           = "meeting.ended"
	EventParticipantJoined      = "meeting.participant_joined"
	EventParticipantLeft        = "meeting.participant_left"
	EventParticipantRoleChanged = "meeting.participant_role_changed"
	EventAppDeauthorized        = "app_deauthorized"
)

// ErrMalformedEvent wraps every reason an event body cannot be used.
var ErrMalformedEvent = errors.New("malformed event")

// Event is the envelope of every Zoom webhook:
// {"event": "...", "event_ts": <ms epoch>, "payload": {...}}.
type Event struct {
	Event   string       `json:"event"`
	EventTS int64        `json:"event_ts"`
	Payload EventPayload `json:"payload"`
}

// Time is the event's own timestamp (event_ts, milliseconds since the epoch).
func (e *Event) Time() time.Time { return time.UnixMilli(e.EventTS).UTC() }

// EventPayload is the union of the payloads of the events cohost handles.
type EventPayload struct {
	AccountID  string `json:"account_id,omitempty"`
	Operator   string `json:"operator,omitempty"`
	OperatorID string `json:"operator_id,omitempty"`

	// Object is the meeting (and, for participant events, its participant).
	Object *MeetingObject `json:"object,omitempty"`
	// OldObject is set on meeting.updated: the fields before the change.
	OldObject *MeetingObject `json:"old_object,omitempty"`

	// PlainToken is set on endpoint.url_validation.
	PlainToken string `json:"plainToken,omitempty"`

	// Set on app_deauthorized.
	UserID              string `json:"user_id,omitempty"`
	ClientID            string `json:"client_id,omitempty"`
	DeauthorizationTime string `json:"deauthorization_time,omitempty"`
	UserDataRetention   ID     `json:"user_data_retention,omitempty"`
}

// MeetingObject is payload.object of the meeting.* events.
type MeetingObject struct {
	ID             ID              `json:"id"`
	UUID           string          `json:"uuid"`
	HostID         string          `json:"host_id"`
	HostEmail      string          `json:"host_email,omitempty"`
	Topic          string          `json:"topic,omitempty"`
	Type           Int             `json:"type,omitempty"`
	StartTime      string          `json:"start_time,omitempty"`
	EndTime        string          `json:"end_time,omitempty"`
	Timezone       string          `json:"timezone,omitempty"`
	Duration       Int             `json:"duration,omitempty"`
	Password       string          `json:"password,omitempty"`
	TrackingFields []TrackingField `json:"tracking_fields,omitempty"`
	Participant    *Participant    `json:"participant,omitempty"`
}

// TrackingField is one of a meeting's tracking fields.
type TrackingField struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// Participant is payload.object.participant of the participant events.
type Participant struct {
	// UserID is the per-meeting participant id (e.g. "16778205").
	UserID   ID     `json:"user_id"`
	UserName string `json:"user_name,omitempty"`
	// ID is the participant's Zoom user id when signed in, else empty.
	ID                ID     `json:"id,omitempty"`
	ParticipantUUID   string `json:"participant_uuid,omitempty"`
	ParticipantUserID ID     `json:"participant_user_id,omitempty"`
	Email             string `json:"email,omitempty"`
	RegistrantID      string `json:"registrant_id,omitempty"`
	CustomerKey       string `json:"customer_key,omitempty"`
	PhoneNumber       string `json:"phone_number,omitempty"`
	JoinTime          string `json:"join_time,omitempty"`
	LeaveTime         string `json:"leave_time,omitempty"`
	LeaveReason       string `json:"leave_reason,omitempty"`
	// DateTime is set on participant_role_changed (and waiting-room events).
	DateTime string `json:"date_time,omitempty"`
	OldRole  string `json:"old_role,omitempty"`
	NewRole  string `json:"new_role,omitempty"`
}

// Key identifies the participant within one meeting instance: its
// participant_uuid, or its per-meeting user_id where Zoom sends none.
func (p *Participant) Key() string {
	if p.ParticipantUUID != "" {
		return p.ParticipantUUID
	}
	return string(p.UserID)
}

// ZoomUserID is the participant's Zoom user id when signed in, else "".
func (p *Participant) ZoomUserID() string {
	if p.ID != "" {
		return string(p.ID)
	}
	return string(p.ParticipantUserID)
}

// ID is an identifier Zoom sends sometimes as a JSON string and sometimes as
// a JSON number (payload.object.id, participant.id). Numbers keep their exact
// digits: meeting ids exceed float64's integer precision in places.
type ID string

// UnmarshalJSON accepts a string, an integer number or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
		return nil
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
			if _, err := strconv.ParseUint(n.String(), 10, 64); err != nil {
				return fmt.Errorf("id %s is not an integer", n)
			}
		}
		*id = ID(n.String())
		return nil
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
		// user_data_retention arrives as a boolean in some payloads.
		*id = ID(b)
		return nil
	}
	return fmt.Errorf("id must be a string or a number, got %.20s", b)
}

// Int is an integer Zoom may also send as a string of digits.
type Int int64

// UnmarshalJSON accepts a number, a string of digits, or null.
func (n *Int) UnmarshalJSON(b []byte) error {
	var id ID
	if err := id.UnmarshalJSON(b); err != nil {
		return err
	}
	if id == "" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(string(id), 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not an integer", string(id))
	}
	*n = Int(v)
	return nil
}

// DecodeEvent parses a webhook body and checks that the fields cohost relies on
// for the event's kind are present. Unknown events decode without error; the
// caller decides to ignore them. Every error wraps ErrMalformedEvent.
func DecodeEvent(body []byte) (*Event, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var e Event
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedEvent, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrMalformedEvent)
	}
	if e.Event == "" {
		return nil, fmt.Errorf("%w: no \"event\" field", ErrMalformedEvent)
	}
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, e.Event, err)
	}
	return &e, nil
}

func (e *Event) validate() error {
	obj := e.Payload.Object
	switch e.Event {
	case EventURLValidation:
		if e.Payload.PlainToken == "" {
			return errors.New("payload.plainToken is empty")
		}
		return nil
	case EventAppDeauthorized:
		if e.Payload.AccountID == "" {
			return errors.New("payload.account_id is empty")
		}
		return nil
	case EventMeetingCreated, EventMeetingUpdated, EventMeetingDeleted, EventMeetingStarted, EventMeetingEnded:
		if obj == nil {
			return errors.New("payload.object is missing")
		}
		if obj.ID == "" && obj.UUID == "" {
			return errors.New("payload.object has neither id nor uuid")
		}
	case EventParticipantJoined, EventParticipantLeft, EventParticipantRoleChanged:
		if obj == nil {
			return errors.New("payload.object is missing")
		}
		if obj.UUID == "" {
			return errors.New("payload.object.uuid is empty")
		}
		if obj.Participant == nil {
			return errors.New("payload.object.participant is missing")
		}
		if obj.Participant.Key() == "" {
			return errors.New("participant has neither participant_uuid nor user_id")
		}
	default:
		return nil
	}
	if e.EventTS <= 0 {
		return errors.New("event_ts is missing")
	}
	return nil
}

// handledEvents is the one list of the events cohost acts on. Handled and
// HandledEvents both read it, so what the webhook handler processes and what
// the Zoom app subscribes to (package zoomapp) cannot disagree: an event
// missing from the subscription would silently stop grants.
var handledEvents = [...]string{
	EventMeetingCreated, EventMeetingUpdated, EventMeetingDeleted,
	EventMeetingStarted, EventMeetingEnded,
	EventParticipantJoined, EventParticipantLeft, EventParticipantRoleChanged,
	EventAppDeauthorized,
}

// HandledEvents returns the names of the events cohost acts on, in a fixed
// order. endpoint.url_validation is not among them: Zoom sends it without a
// subscription, and it is answered, not acted on.
func HandledEvents() []string { return slices.Clone(handledEvents[:]) }

// Handled reports whether cohost acts on events with this name.
func Handled(event string) bool { return slices.Contains(handledEvents[:], event) }

// URLValidationResponse answers endpoint.url_validation.
type URLValidationResponse struct {
	PlainToken     string `json:"plainToken"`
	EncryptedToken string `json:"encryptedToken"`
}

// ErrorResponse is the small JSON body of every error cohost answers with.
type ErrorResponse struct {
	Error string `json:"error"`
	// Detail says what to do about it, for a human reading the response.
	Detail string `json:"detail,omitempty"`
}
