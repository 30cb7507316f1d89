package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Zoom event names cohost receives. Any other event name
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

// ErrMalformedEvent wraps every reason an event body cannot be used. Its
// messages name the field and the problem, never the value sent.
var ErrMalformedEvent = errors.New("malformed event")

// Event is the envelope of every Zoom webhook:
// {"event": "...", "event_ts": <ms epoch>, "payload": {...}}.
//
// It holds only the fields cohost processes: whatever else Zoom sends (the
// meeting's password and join URL, settings, registrant data, phone numbers)
// is dropped when a body is decoded, so it is never stored. The JSON form of
// a decoded Event is what the intake stores (see NormalizeEvent).
type Event struct {
	Event   string       `json:"event"`
	EventTS int64        `json:"event_ts"`
	Payload EventPayload `json:"payload"`
}

// Time is the event's own timestamp (event_ts, milliseconds since the epoch).
func (e *Event) Time() time.Time { return time.UnixMilli(e.EventTS).UTC() }

// EventPayload is the union of the payloads of the events cohost handles.
type EventPayload struct {
	AccountID string `json:"account_id,omitempty"`

	// Object is the meeting (and, for participant events, its participant).
	Object *MeetingObject `json:"object,omitempty"`

	// PlainToken is set on endpoint.url_validation.
	PlainToken string `json:"plainToken,omitempty"`
}

// MeetingObject is payload.object of the meeting.* events.
type MeetingObject struct {
	ID             ID              `json:"id"`
	UUID           string          `json:"uuid"`
	HostID         string          `json:"host_id"`
	HostEmail      string          `json:"host_email,omitempty"`
	Topic          string          `json:"topic,omitempty"`
	StartTime      string          `json:"start_time,omitempty"`
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
	// PhoneNumber is non-empty for a phone participant. Decoding keeps only
	// that fact (PhoneRedacted), not the number.
	PhoneNumber string `json:"phone_number,omitempty"`
	// DateTime is set on participant_role_changed (and waiting-room events).
	DateTime string `json:"date_time,omitempty"`
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
		// The decoder hands over a valid JSON string: without escapes and
		// in valid UTF-8 its content is the id as it stands, and decoding
		// it again would cost a third of decoding a whole event.
		if len(b) >= 2 && b[len(b)-1] == '"' {
			if inner := b[1 : len(b)-1]; !bytes.ContainsAny(inner, `"\\`) && utf8.Valid(inner) {
				*id = ID(inner)
				return nil
			}
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return errors.New("an id is not a valid JSON string")
		}
		*id = ID(s)
		return nil
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		// A valid JSON number (the decoder checked); an integer keeps its
		// exact digits.
		n := string(b)
		if _, err := strconv.ParseInt(n, 10, 64); err != nil {
			if _, err := strconv.ParseUint(n, 10, 64); err != nil {
				return errors.New("an id is a number but not a 64-bit integer")
			}
		}
		*id = ID(n)
		return nil
	}
	return errors.New("an id must be a string or an integer")
}

// DecodeEvent parses a webhook body, refuses one with a key twice in an
// object (CheckUniqueKeys), checks that the fields cohost relies on for the
// event's kind are present, and normalizes every value it keeps (see
// normalize): identifiers are bounded and free of control characters, free
// text is cleaned. Unknown events decode without error; the caller decides
// to ignore them. Every error wraps ErrMalformedEvent.
//
// It is also how the workers read the stored form back, so what the intake
// stored passes the same checks again.
func DecodeEvent(body []byte) (*Event, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var e Event
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMalformedEvent, jsonProblem(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrMalformedEvent)
	}
	// encoding/json keeps the last of two keys for one field; the body
	// must not mean one thing to it and another to whoever reads it first.
	if err := CheckUniqueKeys(body); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	if e.Event == "" {
		return nil, fmt.Errorf("%w: no \"event\" field", ErrMalformedEvent)
	}
	if !isEventName(e.Event) {
		return nil, fmt.Errorf("%w: \"event\" is not a Zoom event name", ErrMalformedEvent)
	}
	if err := e.normalize(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, e.Event, err)
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
