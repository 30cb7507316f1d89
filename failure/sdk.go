package failure

import (
	"strconv"
	"strings"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
)

// The Meeting SDK's error types for makeCoHost (meetingsdk/SURFACE.md: what
// the pinned @zoom/meetingsdk bundle rejects with).
const (
	sdkInvalidParameters     = "INVALID_PARAMETERS"
	sdkOperationTimeout      = "OPERATION_TIMEOUT"
	sdkImproperMeetingState  = "IMPROPER_MEETING_STATE"
	sdkInsufficientPrivilege = "INSUFFICIENT_PRIVILEGES"
	// sdkAlreadyCoHost is INVALID_PARAMETERS' code for a target who is
	// co-host already.
	sdkAlreadyCoHost = 5011
)

// Results of one makeCoHost call: the result label of
// cohost_host_client_calls_total.
const (
	CallOK          = "ok"
	CallAlready     = "already"
	CallNotInRoster = "not_in_roster"
	CallTimeout     = "timeout"
	CallError       = "error"
	// CallLost: the page never reported the call's result within its lease.
	CallLost = "lost"
)

// SDKVerdict is what one makeCoHost result means for its participant.
type SDKVerdict struct {
	// Done: the SDK resolved the call, which it does only once the roster
	// shows the co-host: cohost made them co-host.
	Done bool
	// Already: Zoom answered that they were co-host before this call, so
	// someone else made them co-host; cohost asks no more.
	Already bool
	// Reason and Detail say why not, when neither: a registered reason and
	// Zoom's type, code and words, bounded.
	Reason grant.Reason
	Detail string
	// Label is the metric label (Call*).
	Label string
}

// SDK reads the Meeting SDK's answer to a makeCoHost call, as the host page
// reported it.
func SDK(r api.HostCallResult) SDKVerdict {
	if r.OK {
		return SDKVerdict{Done: true, Label: CallOK}
	}
	e := api.HostSDKError{Type: "UNKNOWN"}
	if r.Error != nil {
		e = *r.Error
	}
	e.Type = word(e.Type, 40)
	e.Reason = api.CleanText(e.Reason, 160)
	detail := e.Type
	if e.ErrorCode != 0 {
		detail += " " + strconv.Itoa(e.ErrorCode)
	}
	if e.Reason != "" {
		detail += ": " + e.Reason
	}
	switch {
	case e.Type == sdkInvalidParameters && e.ErrorCode == sdkAlreadyCoHost:
		return SDKVerdict{Already: true, Label: CallAlready}
	case e.Type == sdkInvalidParameters:
		// "no matching user": not in the main roster (gone, on hold, in a breakout room).
		return SDKVerdict{Reason: grant.ReasonNotInRoster, Detail: detail, Label: CallNotInRoster}
	case e.Type == sdkOperationTimeout:
		return SDKVerdict{Reason: grant.ReasonSDKTimeout, Detail: detail, Label: CallTimeout}
	case e.Type == sdkImproperMeetingState:
		return SDKVerdict{Reason: grant.ReasonSDKError, Detail: detail + " (the host page is not connected to the meeting)", Label: CallError}
	case e.Type == sdkInsufficientPrivilege:
		return SDKVerdict{Reason: grant.ReasonSDKError, Detail: detail + " (the host page is not the meeting's host; did the host join on another device?)", Label: CallError}
	}
	return SDKVerdict{Reason: grant.ReasonSDKError, Detail: detail, Label: CallError}
}

// Lost is the verdict on a call whose result the page never reported
// within its lease (a reload or a closed tab while it ran).
func Lost() SDKVerdict {
	return SDKVerdict{Reason: grant.ReasonSDKTimeout, Detail: "the host page did not report the call's result (reloaded or closed while it ran?)", Label: CallLost}
}

// word keeps an outside identifier-like value to letters, digits and _.
func word(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	return s[:min(len(s), n)]
}
