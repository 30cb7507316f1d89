package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/hostportal"
)

// statusOf is the one table from a domain error's code to an HTTP status:
// the domain's codes (grant.E*) and those its features add for their callers
// (the host page protocol's api.HostErr*, the admin API's host-link codes,
// the host portal's hostportal.Code*).
// No package below handlers knows a status.
var statusOf = map[string]int{
	grant.EINVALID:     http.StatusBadRequest,
	grant.ENOTFOUND:    http.StatusNotFound,
	grant.EUNAVAILABLE: http.StatusServiceUnavailable, // = api.HostErrUnavailable
	grant.ERATELIMITED: http.StatusTooManyRequests,    // = api.HostErrRateLimited
	grant.EREJECTED:    http.StatusBadGateway,
	grant.EINTERNAL:    http.StatusInternalServerError,

	api.HostErrLinkMissing:      http.StatusUnauthorized,
	api.HostErrLinkInvalid:      http.StatusUnauthorized,
	api.HostErrLinkExpired:      http.StatusUnauthorized,
	api.HostErrLinkRevoked:      http.StatusUnauthorized,
	api.HostErrLinkOtherMeeting: http.StatusForbidden,
	api.HostErrZoom:             http.StatusBadGateway,
	api.HostErrBadRequest:       http.StatusBadRequest,
	api.HostErrMeetingOver:      http.StatusGone,
	api.HostErrTooManyStarts:    http.StatusTooManyRequests,

	api.AdminErrPublicURLUnset:       http.StatusConflict,
	api.AdminErrMeetingUnknownToZoom: http.StatusNotFound,
	api.AdminErrHostNotInAccount:     http.StatusUnprocessableEntity,
	api.AdminErrAccountIDRequired:    http.StatusBadRequest,
	api.AdminErrInvalidTTL:           http.StatusBadRequest,
	api.AdminErrInvalidMeetingID:     http.StatusBadRequest,

	string(hostportal.CodeOff):              http.StatusNotFound,
	string(hostportal.CodeInvalidState):     http.StatusBadRequest,
	string(hostportal.CodeStateExpired):     http.StatusBadRequest,
	string(hostportal.CodeSignInRefused):    http.StatusBadRequest,
	string(hostportal.CodeNotSignedIn):      http.StatusUnauthorized,
	string(hostportal.CodeAccountNotServed): http.StatusForbidden,
	string(hostportal.CodeNotHost):          http.StatusForbidden,
	string(hostportal.CodeMeetingUnknown):   http.StatusNotFound,
	string(hostportal.CodeStartFailed):      http.StatusConflict,
	string(hostportal.CodeTooManySignIns):   http.StatusTooManyRequests,
}

// internalDetail is what a caller is told of a failure that is cohost's own.
const internalDetail = "cohostd failed; its log has the cause"

// writeDomainError answers err with its code's status (statusOf), its code
// and its message, and Retry-After when the error names a wait. A failure
// on cohost's side (5xx) is logged with its cause, what it was doing named
// by what; the answer carries no cause, only the message, which never holds
// a secret.
func writeDomainError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, what string, err error) {
	ge, ok := errors.AsType[*grant.Error](err)
	if !ok {
		logger.ErrorContext(r.Context(), what+" failed", "path", api.CleanText(r.URL.Path, maxLoggedPathBytes), "error", err.Error())
		writeError(w, http.StatusInternalServerError, grant.EINTERNAL, internalDetail)
		return
	}
	status, known := statusOf[ge.Code]
	if !known {
		status = http.StatusInternalServerError
	}
	msg := ge.Message
	if status >= 500 {
		logger.WarnContext(r.Context(), what+" failed", "path", api.CleanText(r.URL.Path, maxLoggedPathBytes), "code", ge.Code, "error", err.Error())
		if msg == "" || status == http.StatusInternalServerError {
			msg = internalDetail
		}
	}
	if ge.RetryAfter > 0 && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
		w.Header().Set("Retry-After", strconv.Itoa(int((ge.RetryAfter+time.Second-1)/time.Second)))
	}
	writeError(w, status, ge.Code, msg)
}
