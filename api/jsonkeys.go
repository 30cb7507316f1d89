package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// ErrDuplicateKey: a JSON object of the body names the same key twice.
var ErrDuplicateKey = errors.New("a JSON object has the same key twice")

// CheckUniqueKeys refuses a JSON document in which an object, at any depth,
// has two keys that encoding/json would read into the same field.
// encoding/json keeps the last of them, and matches keys to fields without
// regard to case: a signed body with "event" and then "EVENT" would be read
// as the second while a reader that keeps the first (a log, a person, another
// parser) sees the first. Zoom never sends such a body, so it is refused
// rather than guessed at.
//
// Keys are compared as encoding/json compares them to field names (its
// case folding); the error says where (a byte offset) but never quotes a
// key, which is outside input. A document that is not valid JSON is left to
// the decoder that follows, which says what is wrong with it: the error is
// then nil.
func CheckUniqueKeys(doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber() // numbers are skipped; no need to parse them as floats
	// The open objects and arrays, innermost last. In an object, tokens
	// alternate between a key and its value (a value that is an object or
	// an array opens a level of its own, and the next token after it closes
	// is a key again).
	type level struct {
		keys      map[string]struct{} // folded; nil for an array
		expectKey bool
	}
	var open []level
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // not JSON: the decoder that follows says so
		}
		var in *level
		if n := len(open); n > 0 && open[n-1].keys != nil {
			in = &open[n-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			open = open[:len(open)-1]
			continue
		}
		if in != nil && in.expectKey {
			k := foldKey(tok.(string)) // Token returns an object's keys as strings
			if _, dup := in.keys[k]; dup {
				return fmt.Errorf("%w (the second one ends at byte %d)", ErrDuplicateKey, dec.InputOffset())
			}
			in.keys[k] = struct{}{}
			in.expectKey = false
			continue
		}
		if in != nil {
			in.expectKey = true // this token is the value; a key comes next
		}
		switch tok {
		case json.Delim('{'):
			open = append(open, level{keys: map[string]struct{}{}, expectKey: true})
		case json.Delim('['):
			open = append(open, level{})
		}
	}
}

// foldKey is the form under which encoding/json matches a key to a field
// name: ASCII letters in upper case, other letters through their lower then
// upper case (encoding/json's foldName). Two keys with the same folded form
// land in the same field.
func foldKey(k string) string {
	b := make([]byte, 0, len(k))
	for i := 0; i < len(k); {
		c := k[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			b = append(b, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(k[i:])
		b = utf8.AppendRune(b, unicode.ToUpper(unicode.ToLower(r)))
		i += n
	}
	return string(b)
}
