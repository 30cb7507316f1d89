package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file is the one place where values from outside (a webhook's body and
// its x-zm-request-id) are bounded and validated before anything logs them,
// stores them or uses them as a metric label. PostgreSQL refuses a NUL or
// invalid UTF-8 in a text column and an over-long key in an index; a log line
// or a label must not grow with what a sender chose to send. So:
//
//   - identifiers (ids, uuids, the request id) are bounded and must be free
//     of control characters, or the event is malformed (400);
//   - free text (names, emails, topics, tracking fields) is cleaned: valid
//     UTF-8, control characters removed, length bounded at a rune boundary;
//   - times the engine orders by are bounded by the time the event arrived.

// Bounds of the values cohost keeps. Zoom's own are far below them (ids of
// at most a few dozen characters, topics of at most 200, names of 64).
const (
	maxIDBytes         = 128
	maxEventNameBytes  = 64
	maxPlainTokenBytes = 256
	maxEmailBytes      = 320 // RFC 5321's limits on a path
	maxNameBytes       = 256
	maxTopicBytes      = 800
	maxRoleBytes       = 64
	maxTimeBytes       = 64
	maxTrackingFields  = 64
	maxTrackingBytes   = 256

	// MaxDeliveryIDBytes bounds an x-zm-request-id used as it is. Zoom's ids
	// are short (a UUID with underscores); a longer one is replaced by its
	// digest (DeliveryID).
	MaxDeliveryIDBytes = 64
)

// PhoneRedacted replaces a phone participant's number: cohost needs only the
// fact that the participant dialled in (it is never granted), not the number.
const PhoneRedacted = "redacted"

// ErrEventInFuture: the event says it happened later than it arrived, beyond
// the clock skew the signature check tolerates. Zoom signs a delivery after
// the event happened, so such an event cannot be real; storing it would make
// every later real event about the same meeting or participant look older.
var ErrEventInFuture = errors.New("event_ts is later than the delivery's arrival plus the allowed clock skew")

// NormalizeEvent decodes a verified webhook body (DecodeEvent), refuses it
// when its event_ts is after notAfter (ErrEventInFuture; the event is still
// returned, for the caller's metric label), bounds the participant's
// date_time by notAfter, and returns the event with the form to store: the
// JSON of the normalized event, holding only the fields processing needs,
// which DecodeEvent accepts as it is.
//
// notAfter is the time the delivery arrived plus the signature check's
// tolerance.
func NormalizeEvent(body []byte, notAfter time.Time) (*Event, []byte, error) {
	e, err := DecodeEvent(body)
	if err != nil {
		return nil, nil, err
	}
	if err := e.checkKeys(); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, e.Event, err)
	}
	if e.EventTS > notAfter.UnixMilli() {
		return e, nil, ErrEventInFuture
	}
	if o := e.Payload.Object; o != nil && o.Participant != nil && o.Participant.DateTime != "" {
		// The engine orders a role change by the later of event_ts and
		// date_time; a date_time in the future would make every later real
		// change of the participant look stale. The event itself is real
		// (its event_ts is in bounds), so keep it with the time clamped.
		if t, err := time.Parse(time.RFC3339Nano, o.Participant.DateTime); err == nil && t.After(notAfter) {
			o.Participant.DateTime = notAfter.UTC().Format(time.RFC3339Nano)
		}
	}
	stored, err := json.Marshal(e)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: cannot encode the normalized event", ErrMalformedEvent)
	}
	// The worker decodes the stored form with DecodeEvent: make sure it can.
	if _, err := DecodeEvent(stored); err != nil {
		return nil, nil, fmt.Errorf("%w: the normalized event does not decode: %v", ErrMalformedEvent, err)
	}
	return e, stored, nil
}

// checkKeys refuses an event cohost acts on whose keys would file it under
// the wrong account or meeting: an empty account_id, or a meeting id that is
// present but not canonical (CanonicalMeetingID). An absent meeting id stays
// allowed where Zoom's own types allow it (the meeting's uuid identifies it),
// since Zoom does not retry a 4xx and a real event must never be refused.
// Events cohost does not act on are answered and dropped, never stored, and
// their object.id may be no meeting at all (a user's id on user.* events).
func (e *Event) checkKeys() error {
	if !Handled(e.Event) {
		return nil
	}
	if e.Payload.AccountID == "" {
		return errors.New("payload.account_id is empty")
	}
	if o := e.Payload.Object; o != nil && o.ID != "" && !CanonicalMeetingID(string(o.ID)) {
		return errors.New("payload.object.id is not a Zoom meeting id (digits only, no leading zero, at most 19)")
	}
	return nil
}

// normalize checks the identifiers and cleans the free text of a decoded
// event in place. Its errors name the field, never the value.
func (e *Event) normalize() error {
	p := &e.Payload
	if err := checkID("payload.account_id", p.AccountID); err != nil {
		return err
	}
	if p.PlainToken != "" {
		if err := checkIdentifier("payload.plainToken", p.PlainToken, maxPlainTokenBytes); err != nil {
			return err
		}
	}
	o := p.Object
	if o == nil {
		return nil
	}
	for _, f := range []struct{ name, v string }{
		{"payload.object.id", string(o.ID)},
		{"payload.object.uuid", o.UUID},
		{"payload.object.host_id", o.HostID},
	} {
		if err := checkID(f.name, f.v); err != nil {
			return err
		}
	}
	o.HostEmail = CleanText(o.HostEmail, maxEmailBytes)
	o.Topic = CleanText(o.Topic, maxTopicBytes)
	o.StartTime = normalizeTime(o.StartTime)
	if len(o.TrackingFields) > maxTrackingFields {
		return fmt.Errorf("payload.object.tracking_fields has more than %d entries", maxTrackingFields)
	}
	for i := range o.TrackingFields {
		f := &o.TrackingFields[i]
		f.Field, f.Value = CleanText(f.Field, maxTrackingBytes), CleanText(f.Value, maxTrackingBytes)
	}
	pt := o.Participant
	if pt == nil {
		return nil
	}
	for _, f := range []struct{ name, v string }{
		{"participant.user_id", string(pt.UserID)},
		{"participant.id", string(pt.ID)},
		{"participant.participant_uuid", pt.ParticipantUUID},
		{"participant.participant_user_id", string(pt.ParticipantUserID)},
	} {
		if err := checkID(f.name, f.v); err != nil {
			return err
		}
	}
	pt.UserName = CleanText(pt.UserName, maxNameBytes)
	pt.Email = CleanText(pt.Email, maxEmailBytes)
	if pt.PhoneNumber != "" {
		pt.PhoneNumber = PhoneRedacted
	}
	pt.DateTime = normalizeTime(pt.DateTime)
	pt.NewRole = CleanText(pt.NewRole, maxRoleBytes)
	return nil
}

// MeetingIDForm says in words what CanonicalMeetingID accepts, for the
// errors that refuse another form.
const MeetingIDForm = "a Zoom meeting id is the meeting's number as Zoom's API and join URL give it: digits only, without a leading zero, at most 19 (for example 85746065432)"

// maxMeetingIDDigits: Zoom's meeting ids are 64-bit integers (int64 in
// Zoom's API), so at most 19 digits.
const maxMeetingIDDigits = 19

// CanonicalMeetingID reports whether id is a Zoom meeting id in the one form
// cohost keys meetings, host links and ledger rows by: the decimal digits of
// a positive 64-bit integer, without a leading zero, sign or space. Zoom
// treats "0087991488412" and "87991488412" as the same meeting; cohost must
// not, or a link minted for one would outlive the revocation of the other.
// Every id from outside (a webhook, a route, a command line) is checked with
// it and refused, never rewritten, when it is not canonical.
func CanonicalMeetingID(id string) bool {
	if id == "" || len(id) > maxMeetingIDDigits || id[0] == '0' {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	_, err := strconv.ParseInt(id, 10, 64)
	return err == nil
}

// checkID checks an identifier cohost keys rows, jobs and log lines by. "|"
// is refused too: it separates the parts of an event's fact key, and no Zoom
// id contains it.
func checkID(field, v string) error {
	if err := checkIdentifier(field, v, maxIDBytes); err != nil {
		return err
	}
	if strings.ContainsRune(v, '|') {
		return fmt.Errorf("%s contains a character Zoom ids never contain", field)
	}
	return nil
}

func checkIdentifier(field, v string, max int) error {
	if len(v) > max {
		return fmt.Errorf("%s is longer than %d bytes", field, max)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	for _, r := range v {
		if unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("%s contains a control, format or space character", field)
		}
	}
	return nil
}

// CleanText makes free text from outside safe to store, log and show: invalid
// UTF-8 becomes U+FFFD, tabs and line breaks (U+2028 and U+2029 among them)
// become spaces, other control characters (NUL among them) and Unicode
// format characters (category Cf) are removed, and the result is at most max
// bytes, cut at a rune boundary.
//
// Format characters are invisible: zero-width spaces and joiners (U+200B,
// U+200D, U+2060, U+FEFF) make two names that look alike differ, and bidi
// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and marks
// (U+200E, U+200F, U+061C) reorder what a console or the host panel shows,
// so a joiner could pass for someone else.
//
// It is the one cleaner of free text from outside (the webhook's names,
// emails, topics and tracking fields, and what is logged of a request).
func CleanText(s string, max int) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || textRune(r) != r {
			clean = false
			break
		}
	}
	if clean && len(s) <= max {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), max))
	for _, r := range strings.ToValidUTF8(s, string(utf8.RuneError)) {
		if r = textRune(r); r < 0 {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > max {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// textRune is what CleanText keeps of r: a space for a line break or tab,
// -1 (dropped) for another control or a format character, else r.
func textRune(r rune) rune {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
		return ' '
	case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
		return -1
	}
	return r
}

// normalizeTime keeps an RFC 3339 time the engine may parse, and drops what
// is not one (the engine ignores such values anyway).
func normalizeTime(s string) string {
	if s == "" || len(s) > maxTimeBytes {
		return ""
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return ""
	}
	return s
}

// isEventName accepts Zoom's event names (lower case words joined by dots
// and underscores) and refuses anything that could not be one.
func isEventName(s string) bool {
	if len(s) > maxEventNameBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// DeliveryID returns the form of an x-zm-request-id header that cohost
// stores and logs. The header is not signed, so it is outside input like the
// body: an id of Zoom's shape (at most MaxDeliveryIDBytes of letters,
// digits, "_" and "-") is used as it is; anything else is replaced by its
// digest (DeliveryIDDigest), which is short, safe to log, and still the same
// for every retry of the same delivery. "" stays "" (no delivery dedupe; the
// fact key still dedupes).
func DeliveryID(raw string) string {
	if raw == "" {
		return ""
	}
	if len(raw) <= MaxDeliveryIDBytes && isDeliveryIDChars(raw) {
		return raw
	}
	return DeliveryIDDigest(raw)
}

// DeliveryIDDigest is "sha256:" and the first 16 bytes of the SHA-256 of raw
// in hex: what is logged of the request id of a request that did not
// authenticate, and what is stored for an id not of Zoom's shape. The ":"
// keeps it apart from every id of Zoom's shape.
func DeliveryIDDigest(raw string) string {
	if raw == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(raw))
	return "sha256:" + hex.EncodeToString(sum[:16])
}

func isDeliveryIDChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// jsonProblem describes a decoding error without the input: encoding/json's
// own messages can quote the offending value.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("%s has the wrong JSON type (want %s)", typ.Field, typ.Type)
		}
		return "the body is not a JSON object"
	case errors.Is(err, io.EOF):
		return "the body is empty"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	// The errors of ID.UnmarshalJSON carry no value; encoding/json adds the
	// field's Go path in front of them, which names a field, not a value.
	return strings.TrimPrefix(err.Error(), "json: ")
}
