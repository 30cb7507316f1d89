package granters

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/cohost-dev/cohost/grant"
)

// decodeValues builds a request body from dotted paths and decodes it into
// dst strictly, so that a path zoomclient does not model (and so Zoom does
// not document) is an error, never a silently dropped field.
func decodeValues(values []pathValue, dst any) error {
	body := map[string]any{}
	for _, v := range values {
		node := body
		parts := strings.Split(v.Path, ".")
		for _, p := range parts[:len(parts)-1] {
			next, ok := node[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[p] = next
			}
			node = next
		}
		node[parts[len(parts)-1]] = v.Value
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return &grant.Error{Code: grant.EINVALID, Reason: grant.ReasonInternal, Message: "a setting is not a documented Zoom field", Err: err}
	}
	return nil
}

// jsonMap turns a zoomclient value into its JSON object.
func toJSONObject(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// lookupPath finds a dotted path in a JSON object.
func lookupPath(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[p]; !ok || cur == nil {
			return nil, false
		}
	}
	return cur, true
}

// sameJSON compares two values as JSON (4 equals 4.0).
func sameJSONValue(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
