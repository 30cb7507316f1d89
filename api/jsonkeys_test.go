package api_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/cohost-dev/cohost/api"
)

func TestCheckUniqueKeys(t *testing.T) {
	for _, tt := range []struct {
		name, doc string
		dup       bool
	}{
		{"one key each", `{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`, false},
		{"a key equal to a value", `{"a":"b","b":"a"}`, false},
		{"same key in sibling objects", `[{"event":1},{"event":2}]`, false},
		{"keys after a nested object", `{"a":{"x":1},"b":{"x":2},"c":[1,{"x":3}],"d":null}`, false},
		{"empty object and array", `{"a":{},"b":[],"c":""}`, false},
		{"not JSON is left to the decoder", `{"a":1,"b"`, false},
		{"top level", `{"event":"meeting.started","event":"app_deauthorized"}`, true},
		{"case variant", `{"event":"meeting.started","EVENT":"app_deauthorized"}`, true},
		{"Kelvin sign folds to k", `{"kind":1,"\u212aind":2}`, true},
		{"escaped form of the same key", `{"event":1,"\u0065vent":2}`, true},
		{"nested", `{"payload":{"object":{"id":1,"uuid":"u","id":2}}}`, true},
		{"after a nested value", `{"a":{"b":1},"a":2}`, true},
		{"in an array's object", `{"a":[1,{"b":1,"c":[],"b":2}]}`, true},
		{"deep", strings.Repeat(`{"x":`, 50) + `{"k":1,"k":2}` + strings.Repeat(`}`, 50), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := api.CheckUniqueKeys([]byte(tt.doc))
			if tt.dup != errors.Is(err, api.ErrDuplicateKey) || !tt.dup && err != nil {
				t.Fatalf("CheckUniqueKeys(%s) = %v, want duplicate %v", tt.doc, err, tt.dup)
			}
		})
	}
}

// A signed body with two "event" keys was read last-wins and erased an
// account. It is malformed now, whichever way round and at whatever depth.
func TestDecodeEventRefusesDuplicateKeys(t *testing.T) {
	for _, body := range []string{
		`{"event":"meeting.participant_joined","event":"app_deauthorized","event_ts":1,"payload":{"account_id":"acct"}}`,
		`{"event":"app_deauthorized","event_ts":1,"Event":"app_deauthorized","payload":{"account_id":"acct"}}`,
		`{"event":"meeting.started","event_ts":1,"payload":{"account_id":"acct","account_id":"other","object":{"id":1,"uuid":"u"}}}`,
		participantEvent(`{"user_id":"1","user_id":"2"}`),
	} {
		_, err := api.DecodeEvent([]byte(body))
		if !errors.Is(err, api.ErrMalformedEvent) || !errors.Is(err, api.ErrDuplicateKey) {
			t.Errorf("DecodeEvent(%s) error = %v, want a malformed event with a duplicate key", body, err)
		}
		if err != nil && strings.Contains(err.Error(), "account_id") {
			t.Errorf("the error names the key (outside input): %v", err)
		}
	}
}

// FuzzCheckUniqueKeys holds CheckUniqueKeys to a second reader:
// go-json-experiment's jsontext (the prototype of encoding/json/v2), which
// refuses duplicate names exactly as written. Every document it refuses for
// a duplicate name, CheckUniqueKeys refuses too (it also folds case, as
// encoding/json does when it fills a struct).
func FuzzCheckUniqueKeys(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"a":2}`, `{"a":{"b":[{"c":1,"c":2}]}}`, `{"a":"a","b":"b"}`, `[1,"a",{"a":[]}]`,
		`{"event":"x","EVENT":"y"}`, `{"a":1} {"a":2}`, `{"\u00e9":1,"\u00c9":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		err := api.CheckUniqueKeys(doc)
		if err != nil && !errors.Is(err, api.ErrDuplicateKey) {
			t.Fatalf("CheckUniqueKeys() = %v, want nil or ErrDuplicateKey", err)
		}
		dec := jsontext.NewDecoder(strings.NewReader(string(doc)), jsontext.AllowInvalidUTF8(true))
		if _, jerr := dec.ReadValue(); errors.Is(jerr, jsontext.ErrDuplicateName) && err == nil {
			t.Fatalf("jsontext finds a duplicate name in %q; CheckUniqueKeys does not", doc)
		}
	})
}
