package granters

import (
	"errors"
	"testing"

	"github.com/cohost-dev/cohost/engine"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/zoomclient"
)

// The granters' own errors (not an outside party's) go through the engine's
// classifier like the rest: a meeting id cohost cannot use, a setting Zoom
// does not document.
func TestGranterErrorsClassified(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		action engine.Action
		reason grant.Reason
	}{
		{"bad meeting id", func() error { _, err := meetingNumber("abc"); return err }(), engine.Fail, grant.ReasonInternal},
		{"undocumented setting", decodeValues([]pathValue{{"in_meeting.nope", true}}, new(zoomclient.UserSettings)), engine.Fail, grant.ReasonInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ge, ok := errors.AsType[*grant.Error](tt.err); !ok || ge.Message == "" {
				t.Fatalf("%v is not a *grant.Error with a message", tt.err)
			}
			if d := engine.Classify(tt.err); d.Action != tt.action || d.Reason != tt.reason {
				t.Fatalf("Classify(%v) = %s/%s, want %s/%s", tt.err, d.Action, d.Reason, tt.action, tt.reason)
			}
		})
	}
}
