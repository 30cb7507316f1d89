package failure_test

import (
	"strings"
	"testing"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/failure"
	"github.com/cohost-dev/cohost/grant"
)

// What each answer of the Meeting SDK's makeCoHost means (meetingsdk/SURFACE.md).
func TestSDKVerdicts(t *testing.T) {
	sdkErr := func(typ string, code int, reason string) api.HostCallResult {
		return api.HostCallResult{CallID: "c", Error: &api.HostSDKError{Type: typ, ErrorCode: code, Reason: reason}}
	}
	for _, tt := range []struct {
		name   string
		r      api.HostCallResult
		done   bool
		other  bool
		reason grant.Reason
		label  string
		detail string
	}{
		{"resolved: the roster shows the co-host", api.HostCallResult{CallID: "c", OK: true}, true, false, "", failure.CallOK, ""},
		{"co-host already: someone else did it", sdkErr("INVALID_PARAMETERS", 5011, "already co-host"), false, true, "", failure.CallAlready, ""},
		{"no matching user", sdkErr("INVALID_PARAMETERS", 0, "no matching user"), false, false, grant.ReasonNotInRoster, failure.CallNotInRoster, "INVALID_PARAMETERS: no matching user"},
		{"timed out", sdkErr("OPERATION_TIMEOUT", 1, ""), false, false, grant.ReasonSDKTimeout, failure.CallTimeout, "OPERATION_TIMEOUT 1"},
		{"not joined", sdkErr("IMPROPER_MEETING_STATE", 0, ""), false, false, grant.ReasonSDKError, failure.CallError, "not connected"},
		{"not the host", sdkErr("INSUFFICIENT_PRIVILEGES", 0, ""), false, false, grant.ReasonSDKError, failure.CallError, "another device"},
		{"anything else keeps Zoom's words", sdkErr("INTERNAL_ERROR", 2, "internal\nerror"), false, false, grant.ReasonSDKError, failure.CallError, "INTERNAL_ERROR 2: internal error"},
		{"a type that is not a word", sdkErr("<script>", 0, ""), false, false, grant.ReasonSDKError, failure.CallError, "script"},
		{"no error at all", api.HostCallResult{CallID: "c"}, false, false, grant.ReasonSDKError, failure.CallError, "UNKNOWN"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := failure.SDK(tt.r)
			if v.Done != tt.done || v.Already != tt.other || v.Reason != tt.reason || v.Label != tt.label || !strings.Contains(v.Detail, tt.detail) {
				t.Fatalf("verdict %+v", v)
			}
			if strings.ContainsAny(v.Detail, "<>\n") {
				t.Fatalf("detail %q not cleaned", v.Detail)
			}
		})
	}
}
