package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cohost-dev/cohost/api"
)

// participantEvent is a participant_joined body whose participant object is p.
func participantEvent(p string) string {
	return `{"event":"meeting.participant_joined","event_ts":1800000000000,"payload":{"account_id":"acct","object":{"id":85746065432,"uuid":"m-uuid==","host_id":"host1","participant":` + p + `}}}`
}

// A NUL, a line break or an over-long value in an identifier must not reach
// a log line, a key or a text column: the event is malformed.
func TestDecodeEventRefusesBadIdentifiers(t *testing.T) {
	long := strings.Repeat("a", 129)
	tests := []struct{ name, body string }{
		{"NUL in participant_uuid", participantEvent(`{"user_id":"1","participant_uuid":"p\u0000x"}`)},
		{"NUL in user_id", participantEvent(`{"user_id":"1\u0000"}`)},
		{"line break in participant id", participantEvent(`{"user_id":"1","id":"a\nb"}`)},
		{"over-long participant_uuid", participantEvent(`{"user_id":"1","participant_uuid":"` + long + `"}`)},
		{"over-long participant_user_id", participantEvent(`{"user_id":"1","participant_user_id":"` + long + `"}`)},
		{"space in meeting uuid", `{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":1,"uuid":"a b"}}}`},
		{"bar in meeting uuid", `{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":1,"uuid":"a|b"}}}`},
		{"bidi override in host_id", `{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":1,"uuid":"u","host_id":"a\u202eb"}}}`},
		{"control character in account_id", `{"event":"meeting.started","event_ts":1,"payload":{"account_id":"a\u0007","object":{"id":1,"uuid":"u"}}}`},
		{"over-long account_id", `{"event":"app_deauthorized","event_ts":1,"payload":{"account_id":"` + long + `"}}`},
		{"over-long meeting id", `{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":"` + long + `","uuid":"u"}}}`},
		{"NUL in plainToken", `{"event":"endpoint.url_validation","event_ts":1,"payload":{"plainToken":"a\u0000"}}`},
		{"event name with NUL", `{"event":"meeting.started\u0000","event_ts":1,"payload":{"object":{"id":1,"uuid":"u"}}}`},
		{"event name with a space", `{"event":"meeting started","event_ts":1,"payload":{}}`},
		{"over-long event name", `{"event":"` + strings.Repeat("x", 65) + `","event_ts":1,"payload":{}}`},
		{"too many tracking fields", `{"event":"meeting.created","event_ts":1,"payload":{"object":{"id":1,"uuid":"u","tracking_fields":[` +
			strings.TrimSuffix(strings.Repeat(`{"field":"f","value":"v"},`, 65), ",") + `]}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := api.DecodeEvent([]byte(tt.body))
			if !errors.Is(err, api.ErrMalformedEvent) {
				t.Fatalf("DecodeEvent() error = %v, want ErrMalformedEvent", err)
			}
		})
	}
}

// Free text is cleaned, not refused: a participant whose name holds a NUL is
// still a participant to serve.
func TestDecodeEventCleansFreeText(t *testing.T) {
	tests := []struct {
		name, participant, wantName, wantEmail string
	}{
		{"NUL in name", `{"user_id":"1","user_name":"Ji\u0000ll"}`, "Jill", ""},
		{"line breaks become spaces", `{"user_id":"1","user_name":"Jill\r\nChill\tX"}`, "Jill  Chill X", ""},
		{"C0 and C1 controls removed", `{"user_id":"1","user_name":"a\u0001\u001b\u007f\u0085b"}`, "ab", ""},
		{"lone surrogate becomes U+FFFD", `{"user_id":"1","user_name":"a\ud800b"}`, "a\ufffdb", ""},
		{"NUL in email", `{"user_id":"1","email":"jill\u0000@example.com"}`, "", "jill@example.com"},
		{"over-long name cut at a rune boundary", `{"user_id":"1","user_name":"` + strings.Repeat("é", 200) + `"}`, strings.Repeat("é", 128), ""},
		{"ordinary text unchanged", `{"user_id":"1","user_name":"Zoë 😀 O'Brien","email":"zoe@example.com"}`, "Zoë 😀 O'Brien", "zoe@example.com"},
		// A name made to read as another in the console and the host panel.
		{"bidi override in name", `{"user_id":"1","user_name":"\u202enimda\u202c"}`, "nimda", ""},
		{"zero-width characters in name", `{"user_id":"1","user_name":"Ji\u200bll \u2060Host\ufeff"}`, "Jill Host", ""},
		{"format characters in email", `{"user_id":"1","email":"jill\u200b@exa\u202emple.com"}`, "", "jill@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := api.DecodeEvent([]byte(participantEvent(tt.participant)))
			if err != nil {
				t.Fatal(err)
			}
			p := e.Payload.Object.Participant
			if p.UserName != tt.wantName || p.Email != tt.wantEmail {
				t.Fatalf("name, email = %q, %q; want %q, %q", p.UserName, p.Email, tt.wantName, tt.wantEmail)
			}
		})
	}
	e, err := api.DecodeEvent([]byte(`{"event":"meeting.created","event_ts":1,"payload":{"object":{"id":1,"uuid":"u",` +
		`"topic":"all\u0000hands\u202e\n","host_email":"h\u0000@example.com","tracking_fields":[{"field":"co\u0000host\u200b","value":"y\u0000es\u2066"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	o := e.Payload.Object
	if o.Topic != "allhands " || o.HostEmail != "h@example.com" || o.TrackingFields[0] != (api.TrackingField{Field: "cohost", Value: "yes"}) {
		t.Fatalf("meeting text not cleaned: %+v", o)
	}
}

func TestCleanText(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"", 10, ""},
		{"plain", 10, "plain"},
		{"a\x00b", 10, "ab"},
		{"\xff\xfeok", 10, "\ufffdok"}, // a run of invalid bytes becomes one U+FFFD
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // é is two bytes: cut before it, not inside it
		{"日本語", 7, "日本"},
		// Format characters (Unicode category Cf) are invisible: removed.
		{"Ji\u200bll", 10, "Jill"},                         // zero-width space
		{"Ji\u2060ll\ufeff", 10, "Jill"},                   // word joiner, byte order mark
		{"\u202eevil\u202c", 10, "evil"},                   // right-to-left override, pop
		{"a\u202ab\u202bc\u202dd", 10, "abcd"},             // embeddings and left-to-right override
		{"\u2066a\u2067b\u2068c\u2069", 10, "abc"},         // isolates
		{"a\u200eb\u200fc\u061cd", 10, "abcd"},             // left-to-right, right-to-left and Arabic letter marks
		{"a\u200cb\u200dc\u00add", 10, "abcd"},             // zero-width non-joiner and joiner, soft hyphen
		{"a\u2028b\u2029c", 10, "a b c"},                   // line and paragraph separators are line breaks
		{"\u202e" + strings.Repeat("x", 8), 8, "xxxxxxxx"}, // stripped before the bound counts
	} {
		if got := api.CleanText(tt.in, tt.max); got != tt.want {
			t.Errorf("CleanText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

// Error messages name the field and the problem; they never repeat what the
// sender put there (they are logged and answered).
func TestDecodeEventErrorsDoNotEchoValues(t *testing.T) {
	const marker = "SENTINEL42"
	for _, body := range []string{
		`{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":"` + marker + `\u0000","uuid":"u"}}}`,
		`{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":42424242424242424242424242,"uuid":"u"}}}`,
		`{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":1,"uuid":"u"}},` + marker + `}`,
		`{"event":"` + marker + ` x","payload":{}}`,
		`{"event":"meeting.started","event_ts":"` + marker + `","payload":{}}`,
		participantEvent(`{"user_id":"1","participant_uuid":"` + marker + strings.Repeat("x", 200) + `"}`),
	} {
		_, err := api.DecodeEvent([]byte(body))
		if err == nil {
			t.Fatalf("accepted %s", body)
		}
		if strings.Contains(err.Error(), marker) || strings.Contains(err.Error(), "4242424242") {
			t.Errorf("error repeats the input: %v", err)
		}
	}
}

// rawJoined is what Zoom sends: much more than cohost needs.
const rawJoined = `{"event":"meeting.participant_joined","event_ts":1800000000000,"payload":{"account_id":"acct","operator":"op@example.com",
"object":{"id":85746065432,"uuid":"m-uuid==","host_id":"host1","host_email":"host@example.com","topic":"Board","type":2,
"password":"s3cret-pass","join_url":"https://zoom.us/j/85746065432?pwd=abcdef","start_url":"https://zoom.us/s/1?zak=zzz",
"settings":{"waiting_room":true},"timezone":"UTC","duration":60,"start_time":"2027-01-15T08:00:00Z",
"participant":{"user_id":"16778240","user_name":"Jill","id":"zoomuser1","participant_uuid":"p-uuid","email":"jill@example.com",
"phone_number":"+1 555 0100","registrant_id":"reg-1","customer_key":"ck-1","join_time":"2027-01-15T08:00:00Z","leave_reason":"x"}}}}`

// The intake stores a minimized form: only what processing needs, never the
// meeting's password, its join URL, its settings or registrant data.
func TestNormalizeEventStoresOnlyWhatProcessingNeeds(t *testing.T) {
	e, stored, err := api.NormalizeEvent([]byte(rawJoined), time.UnixMilli(1800000000000).Add(300*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cret-pass", "pwd=", "zak=", "join_url", "settings", "waiting_room", "reg-1", "ck-1",
		"555", "op@example.com", "leave_reason", "timezone", "duration", "type"} {
		if bytes.Contains(stored, []byte(secret)) {
			t.Errorf("stored form keeps %q: %s", secret, stored)
		}
	}
	const want = `{"event":"meeting.participant_joined","event_ts":1800000000000,"payload":{"account_id":"acct","object":{"id":"85746065432",` +
		`"uuid":"m-uuid==","host_id":"host1","host_email":"host@example.com","topic":"Board","start_time":"2027-01-15T08:00:00Z",` +
		`"participant":{"user_id":"16778240","user_name":"Jill","id":"zoomuser1","participant_uuid":"p-uuid","email":"jill@example.com",` +
		`"phone_number":"redacted"}}}}`
	if string(stored) != want {
		t.Fatalf("stored form\n got %s\nwant %s", stored, want)
	}
	// The worker reads the stored form with DecodeEvent: it must decode to the same event.
	back, err := api.DecodeEvent(stored)
	if err != nil {
		t.Fatalf("stored form does not decode: %v", err)
	}
	if fmt.Sprint(*back.Payload.Object.Participant) != fmt.Sprint(*e.Payload.Object.Participant) || back.EventTS != e.EventTS {
		t.Fatalf("stored form decodes to %+v, want %+v", back, e)
	}
}

// A validly signed event dated in the future would poison the timestamp
// guards: refused. The bound is the arrival time plus the signature
// tolerance; a participant's date_time is clamped to it.
func TestNormalizeEventTimeBound(t *testing.T) {
	arrived := time.UnixMilli(1800000000000)
	notAfter := arrived.Add(300 * time.Second)
	left := func(ts int64) string {
		return fmt.Sprintf(`{"event":"meeting.participant_left","event_ts":%d,"payload":{"account_id":"a","object":{"id":1,"uuid":"u","participant":{"user_id":"1"}}}}`, ts)
	}
	year3000 := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for _, tt := range []struct {
		name    string
		body    string
		wantErr error
	}{
		{"year 3000", left(year3000), api.ErrEventInFuture},
		{"just past the bound", left(notAfter.UnixMilli() + 1), api.ErrEventInFuture},
		{"meeting.started in the future", fmt.Sprintf(`{"event":"meeting.started","event_ts":%d,"payload":{"account_id":"a","object":{"id":1,"uuid":"u"}}}`, year3000), api.ErrEventInFuture},
		{"largest int64", left(1<<63 - 1), api.ErrEventInFuture},
		{"at the bound", left(notAfter.UnixMilli()), nil},
		{"now", left(arrived.UnixMilli()), nil},
		{"in the past", left(arrived.Add(-time.Hour).UnixMilli()), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, _, err := api.NormalizeEvent([]byte(tt.body), notAfter)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("NormalizeEvent() error = %v, want %v", err, tt.wantErr)
			}
			if errors.Is(err, api.ErrMalformedEvent) {
				t.Fatal("a future event is not malformed; it must be told apart")
			}
			if err != nil && e == nil {
				t.Fatal("the refused event is returned for the metric label")
			}
		})
	}

	role := func(dateTime string) string {
		return fmt.Sprintf(`{"event":"meeting.participant_role_changed","event_ts":%d,"payload":{"account_id":"a","object":{"id":1,"uuid":"u",`+
			`"participant":{"user_id":"1","date_time":%q,"old_role":"attendee","new_role":"co-host"}}}}`, arrived.UnixMilli(), dateTime)
	}
	for _, tt := range []struct{ in, want string }{
		{"3000-01-01T00:00:00Z", notAfter.UTC().Format(time.RFC3339Nano)},
		{"2027-01-15T08:00:00Z", "2027-01-15T08:00:00Z"},
		{"not a time", ""},
	} {
		e, stored, err := api.NormalizeEvent([]byte(role(tt.in)), notAfter)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Payload.Object.Participant.DateTime; got != tt.want {
			t.Errorf("date_time %q stored as %q, want %q", tt.in, got, tt.want)
		}
		if !bytes.Contains(stored, []byte(`"new_role":"co-host"`)) {
			t.Errorf("stored form lost new_role: %s", stored)
		}
	}
}

func TestDeliveryID(t *testing.T) {
	digest := api.DeliveryIDDigest
	for _, tt := range []struct{ raw, want string }{
		{"", ""},
		{"6009d653_d487_4b04_9d0b_5d3a0f1b2c3e", "6009d653_d487_4b04_9d0b_5d3a0f1b2c3e"},
		{"req-42", "req-42"},
		{strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{strings.Repeat("a", 65), digest(strings.Repeat("a", 65))},
		{strings.Repeat("x", 8192), digest(strings.Repeat("x", 8192))},
		{"has space", digest("has space")},
		{"semi;colon", digest("semi;colon")},
		{"ünïcode", digest("ünïcode")},
		{"sha256:0011", digest("sha256:0011")}, // cannot pass for a digest of something else
	} {
		got := api.DeliveryID(tt.raw)
		if got != tt.want {
			t.Errorf("DeliveryID(%.20q) = %q, want %q", tt.raw, got, tt.want)
		}
		if len(got) > api.MaxDeliveryIDBytes {
			t.Errorf("DeliveryID(%.20q) is %d bytes", tt.raw, len(got))
		}
	}
	if d := digest(strings.Repeat("x", 1<<20)); len(d) != len("sha256:")+32 || d != digest(strings.Repeat("x", 1<<20)) {
		t.Fatalf("digest %q is not fixed-size and stable", d)
	}
}

// assertClean checks what normalization promises for every value kept.
func assertClean(t *testing.T, e *api.Event) {
	t.Helper()
	var texts []string
	texts = append(texts, e.Event, e.Payload.AccountID, e.Payload.PlainToken)
	if o := e.Payload.Object; o != nil {
		texts = append(texts, string(o.ID), o.UUID, o.HostID, o.HostEmail, o.Topic, o.StartTime)
		for _, f := range o.TrackingFields {
			texts = append(texts, f.Field, f.Value)
		}
		if p := o.Participant; p != nil {
			texts = append(texts, string(p.UserID), p.UserName, string(p.ID), p.ParticipantUUID, string(p.ParticipantUserID),
				p.Email, p.PhoneNumber, p.DateTime, p.NewRole)
			if p.PhoneNumber != "" && p.PhoneNumber != api.PhoneRedacted {
				t.Fatalf("phone number kept: %q", p.PhoneNumber)
			}
		}
	}
	for _, s := range texts {
		if !utf8.ValidString(s) || len(s) > 800 {
			t.Fatalf("value not bounded or not UTF-8: %q", s)
		}
		for _, r := range s {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("control or format character kept in %q", s)
			}
		}
	}
}

func FuzzNormalizeEvent(f *testing.F) {
	f.Add([]byte(rawJoined), int64(1800000300000))
	f.Add([]byte(joinedNumericID), int64(1626230691572))
	f.Add([]byte(participantEvent(`{"user_id":"1","user_name":"a\u0000b","email":"\ud800@x","date_time":"3000-01-01T00:00:00Z","new_role":"co-host"}`)), int64(1800000000000))
	f.Add([]byte(`{"event":"meeting.created","event_ts":1,"payload":{"account_id":"a","object":{"id":"1","uuid":"u","topic":"t\n","tracking_fields":[{"field":"f","value":"v"}]}}}`), int64(2))
	f.Add([]byte(`{"event":"app_deauthorized","event_ts":32503680000000,"payload":{"account_id":"a"}}`), int64(1800000000000))
	f.Add([]byte(`{"event":"endpoint.url_validation","event_ts":1,"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"}}`), int64(1))
	f.Add([]byte(`{"event":"meeting.started","event_ts":1,"payload":{"account_id":"a","object":{"id":"0087991488412","uuid":"u"}}}`), int64(2))
	f.Add([]byte(`{"event":"meeting.ended","event_ts":1,"payload":{"account_id":"","object":{"id":-5,"uuid":"u"}}}`), int64(2))
	f.Add([]byte(`{"event":"app_deauthorized","event":"meeting.started","event_ts":1,"payload":{"account_id":"a"}}`), int64(2))
	f.Add([]byte(`{"event":"meeting.started","EVENT":"app_deauthorized","event_ts":1,"payload":{"account_id":"a","object":{"id":1,"uuid":"u"}}}`), int64(2))
	f.Fuzz(func(t *testing.T, body []byte, notAfterMS int64) {
		notAfter := time.UnixMilli(notAfterMS)
		e, stored, err := api.NormalizeEvent(body, notAfter)
		if err != nil {
			if !errors.Is(err, api.ErrMalformedEvent) && !errors.Is(err, api.ErrEventInFuture) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if errors.Is(err, api.ErrEventInFuture) && (e == nil || e.EventTS <= notAfterMS) {
				t.Fatalf("future refusal for event_ts within the bound: %v", e)
			}
			return
		}
		assertClean(t, e)
		if api.Handled(e.Event) {
			if e.Payload.AccountID == "" {
				t.Fatalf("%s kept without an account_id", e.Event)
			}
			if o := e.Payload.Object; o != nil && o.ID != "" && !api.CanonicalMeetingID(string(o.ID)) {
				t.Fatalf("%s kept with the meeting id %q", e.Event, o.ID)
			}
		}
		if e.EventTS > notAfterMS {
			t.Fatalf("event_ts %d accepted past the bound %d", e.EventTS, notAfterMS)
		}
		if p := e.Payload.Object; p != nil && p.Participant != nil && p.Participant.DateTime != "" {
			if ts, err := time.Parse(time.RFC3339Nano, p.Participant.DateTime); err == nil && ts.After(notAfter) {
				t.Fatalf("date_time %s kept past the bound", p.Participant.DateTime)
			}
		}
		if len(stored) > len(body)+256 && len(stored) > 2*len(body) {
			t.Fatalf("stored form (%d bytes) grew beyond the body (%d bytes)", len(stored), len(body))
		}
		// The stored form is a fixed point: the worker decodes it, and
		// normalizing it again changes nothing.
		_, again, err := api.NormalizeEvent(stored, notAfter)
		if err != nil {
			t.Fatalf("stored form %s refused: %v", stored, err)
		}
		if !bytes.Equal(again, stored) {
			t.Fatalf("normalizing is not idempotent:\n%s\n%s", stored, again)
		}
		var anyJSON map[string]any
		if err := json.Unmarshal(stored, &anyJSON); err != nil {
			t.Fatalf("stored form is not JSON: %v", err)
		}
	})
}

func FuzzDeliveryID(f *testing.F) {
	for _, s := range []string{"", "6009d653_d487_4b04", "a b", "sha256:00", strings.Repeat("z", 65), "\x00", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id := api.DeliveryID(raw)
		if (id == "") != (raw == "") {
			t.Fatalf("DeliveryID(%q) = %q", raw, id)
		}
		if len(id) > api.MaxDeliveryIDBytes {
			t.Fatalf("DeliveryID is %d bytes", len(id))
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == ':') {
				t.Fatalf("DeliveryID(%q) = %q has an unsafe byte", raw, id)
			}
		}
		if id != raw && id != api.DeliveryIDDigest(raw) {
			t.Fatalf("DeliveryID(%q) = %q is neither the id nor its digest", raw, id)
		}
	})
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "Jill", "a\x00b", "\xff", "日本語", "a\r\nb", strings.Repeat("é", 50), "\u202eJi\u200bll\ufeff", "a\u2066b\u2069\u2028"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		got := api.CleanText(s, max)
		if !utf8.ValidString(got) || len(got) > max {
			t.Fatalf("CleanText(%q, %d) = %q", s, max, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("CleanText(%q) kept a control, format or line-break character: %q", s, got)
			}
		}
		if again := api.CleanText(got, max); again != got {
			t.Fatalf("CleanText is not idempotent: %q then %q", got, again)
		}
	})
}

func TestCanonicalMeetingID(t *testing.T) {
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{"85746065432", true},
		{"87991488412", true},
		{"1", true},
		{"9223372036854775807", true}, // the largest int64
		{"", false},
		{"0", false},
		{"0087991488412", false}, // Zoom reads it as 87991488412: one meeting, two keys
		{"087991488412", false},
		{"-5", false},
		{"+87991488412", false},
		{"abc", false},
		{"8799 1488 412", false},
		{" 87991488412", false},
		{"87991488412\n", false},
		{"8.7e10", false},
		{"87991488412.0", false},
		{"９８７", false},                  // full-width digits
		{"9223372036854775808", false},  // past int64
		{"12345678901234567890", false}, // 20 digits
		{"m-uuid==", false},
	} {
		if got := api.CanonicalMeetingID(tt.id); got != tt.want {
			t.Errorf("CanonicalMeetingID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

// A webhook cohost acts on must name its account and, when it names its
// meeting, name it in Zoom's one form: otherwise the ledger gets a second
// meeting for the same one ("0087991488412") or a row nobody can read
// ("abc"). Such a body is malformed (400, counted); Zoom sends none.
func TestNormalizeEventRefusesBadKeys(t *testing.T) {
	notAfter := time.UnixMilli(1800000300000)
	started := func(account, id string) string {
		return `{"event":"meeting.started","event_ts":1800000000000,"payload":{"account_id":` + account + `,"object":{"id":` + id + `,"uuid":"u=="}}}`
	}
	joined := func(account, id string) string {
		return `{"event":"meeting.participant_joined","event_ts":1800000000000,"payload":{"account_id":` + account +
			`,"object":{"id":` + id + `,"uuid":"u==","participant":{"user_id":"16778240","user_name":"Jill"}}}}`
	}
	for _, tt := range []struct{ name, body string }{
		{"meeting id abc", started(`"acct"`, `"abc"`)},
		{"meeting id 0", started(`"acct"`, `0`)},
		{"meeting id \"0\"", started(`"acct"`, `"0"`)},
		{"meeting id -5", started(`"acct"`, `-5`)},
		{"zero-padded meeting id", started(`"acct"`, `"0087991488412"`)},
		{"zero-padded meeting id on a join", joined(`"acct"`, `"0087991488412"`)},
		{"meeting id with a sign", joined(`"acct"`, `"+87991488412"`)},
		{"meeting id past int64", started(`"acct"`, `"9223372036854775808"`)},
		{"empty account_id", started(`""`, `87991488412`)},
		{"empty account_id on a join", joined(`""`, `87991488412`)},
		{"no account_id", `{"event":"meeting.ended","event_ts":1800000000000,"payload":{"object":{"id":87991488412,"uuid":"u=="}}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stored, err := api.NormalizeEvent([]byte(tt.body), notAfter)
			if !errors.Is(err, api.ErrMalformedEvent) {
				t.Fatalf("NormalizeEvent() error = %v, want ErrMalformedEvent", err)
			}
			if stored != nil {
				t.Fatal("a refused event has a form to store")
			}
			if strings.Contains(err.Error(), "0087991488412") || strings.Contains(err.Error(), "abc") {
				t.Fatalf("the error repeats the value: %v", err)
			}
		})
	}
	// What Zoom's own types allow stays accepted: a participant event
	// without object.id (the uuid names the meeting), an id sent as a
	// number or a string, and events cohost does not act on, whose
	// object.id is no meeting id at all.
	for _, tt := range []struct{ name, body string }{
		{"numeric id", started(`"acct"`, `87991488412`)},
		{"string id", started(`"acct"`, `"87991488412"`)},
		{"participant event without object.id", `{"event":"meeting.participant_left","event_ts":1800000000000,"payload":{"account_id":"acct",` +
			`"object":{"uuid":"u==","participant":{"user_id":"16778240"}}}}`},
		{"meeting event with only a uuid", `{"event":"meeting.ended","event_ts":1800000000000,"payload":{"account_id":"acct","object":{"uuid":"u=="}}}`},
		{"user event with a user id", `{"event":"user.updated","event_ts":1800000000000,"payload":{"account_id":"acct","object":{"id":"KDcuGIm1QgePTO8WbOqwIQ"}}}`},
		{"url validation without an account", `{"event":"endpoint.url_validation","event_ts":1800000000000,"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := api.NormalizeEvent([]byte(tt.body), notAfter); err != nil {
				t.Fatalf("NormalizeEvent() error = %v", err)
			}
		})
	}
}
