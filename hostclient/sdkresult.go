package hostclient

import (
	"strconv"
	"strings"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
)

// Results of a makeCoHost call: the result label of
// cohost_host_client_calls_total.
const (
	callOK          = "ok"
	callNotInRoster = "not_in_roster"
	callOnHold      = "on_hold"
	callTimeout     = "timeout"
	callError       = "error"
	callLost        = "lost"
)

// The Meeting SDK's error types (meetingsdk/SURFACE.md).
const (
	sdkInvalidParameters     = "INVALID_PARAMETERS"
	sdkOperationTimeout      = "OPERATION_TIMEOUT"
	sdkImproperMeetingState  = "IMPROPER_MEETING_STATE"
	sdkInsufficientPrivilege = "INSUFFICIENT_PRIVILEGES"
	// sdkAlreadyCoHost is INVALID_PARAMETERS' code for a target who is co-host already.
	sdkAlreadyCoHost = 5011
)

// callVerdict is what one makeCoHost result means for its participant.
type callVerdict struct {
	done   bool         // they are co-host
	reason grant.Reason // why not, when not done
	detail string       // Zoom's words and code, bounded
	label  string       // metric label
}

// judgeCall reads the SDK's answer. A resolved call is Zoom's confirmation:
// makeCoHost resolves only once the roster shows the co-host.
func judgeCall(r api.HostCallResult) callVerdict {
	if r.OK {
		return callVerdict{done: true, label: callOK}
	}
	e := api.HostSDKError{Type: "UNKNOWN"}
	if r.Error != nil {
		e = *r.Error
	}
	e.Type = cleanWord(e.Type, 40)
	e.Reason = cleanText(e.Reason, 200)
	detail := "Zoom error " + e.Type
	if e.ErrorCode != 0 {
		detail += " " + strconv.Itoa(e.ErrorCode)
	}
	if e.Reason != "" {
		detail += ": " + e.Reason
	}
	switch {
	case e.Type == sdkInvalidParameters && e.ErrorCode == sdkAlreadyCoHost:
		return callVerdict{done: true, label: callOK}
	case e.Type == sdkInvalidParameters:
		// "no matching user": not in the main roster (gone, on hold, in a breakout room).
		return callVerdict{reason: grant.ReasonNotInRoster, detail: detail, label: callNotInRoster}
	case e.Type == sdkOperationTimeout:
		return callVerdict{reason: grant.ReasonSDKTimeout, detail: detail, label: callTimeout}
	case e.Type == sdkImproperMeetingState:
		return callVerdict{reason: grant.ReasonSDKError, detail: detail + " (the host page is not connected to the meeting)", label: callError}
	case e.Type == sdkInsufficientPrivilege:
		return callVerdict{reason: grant.ReasonSDKError, detail: detail + " (the host page is not the meeting's host; did the host join on another device?)", label: callError}
	}
	return callVerdict{reason: grant.ReasonSDKError, detail: detail, label: callError}
}

// settleCall records the verdict on the promotion: done, or one more failed
// attempt and a backoff.
func settleCall(p store.HostPromotion, v callVerdict, now time.Time) store.HostPromotion {
	if v.done {
		p.Done, p.DoneAt, p.Reason, p.Detail = true, now, "", ""
		return p
	}
	p.Attempts++
	p.Reason, p.Detail = v.reason, v.detail
	p.NextAt = now.Add(backoff(p.Attempts))
	return p
}

// cleanWord keeps an outside identifier-like value to letters, digits and _.
func cleanWord(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	return s[:min(len(s), n)]
}

// cleanText keeps an outside sentence printable and bounded (n bytes, cut at
// a rune boundary).
func cleanText(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			continue
		}
		if b.Len()+len(string(r)) > n {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}
