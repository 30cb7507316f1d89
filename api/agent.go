// Package api holds cohost's wire contracts: the OpenAPI documents (embedded, see embed.go) and
// the Go types of the bodies they describe, so that every side of a contract (cohostd, the co-host
// agent, the Zoom simulator) encodes and decodes the same shapes.
package api

import (
	"net/url"
	"strconv"
	"time"
)

// AgentContractVersion is the version of the co-host agent contract (api/agent.openapi.yaml) that the
// types below and agent.openapi.yaml describe. It is also the first path segment of every route.
const AgentContractVersion = "v1"

// Claims of the bearer JWT that cohostd sends with every agent request (HS256, keyed with
// COHOST_AGENT_SECRET). The token also carries iat, exp and a unique jti.
const (
	AgentJWTIssuer   = "cohostd"
	AgentJWTAudience = "cohost-agent"
	// AgentJWTMaxLifetime bounds exp-iat: tokens are minted per request and die quickly, so a
	// leaked one is useless within a minute; the agent also refuses a jti it has already seen.
	AgentJWTMaxLifetime = 60 * time.Second
)

// The Meeting SDK signature cohostd hands the agent (HS256 with ZOOM_SDK_SECRET, claims appKey and
// sdkKey = ZOOM_SDK_KEY, mn = meeting number, role, iat, exp, tokenExp). Zoom's sample auth
// endpoint (zoom/meetingsdk-auth-endpoint-sample src/index.js) accepts an expiry between 1800 s and
// 172800 s after iat; role 1 with the host's ZAK starts or joins the meeting as that host.
const (
	SDKSignatureMinLifetime = 30 * time.Minute
	SDKSignatureMaxLifetime = 48 * time.Hour
	SDKRoleHost             = 1
)

// AgentErrorCode is the value of the "error" member of every non-2xx agent response.
type AgentErrorCode string

// Error codes of the agent contract. cohostd reacts to no_session (open the session, then retry)
// and participant_not_found (retry with backoff, bounded); the others are final for the request.
const (
	// AgentErrNoSession (404): the agent is not in that meeting (or is still joining it).
	AgentErrNoSession AgentErrorCode = "no_session"
	// AgentErrParticipantNotFound (409): the participant is not visible to the agent (yet).
	AgentErrParticipantNotFound AgentErrorCode = "participant_not_found"
	// AgentErrCannotBeCoHost (422): the participant exists but cannot hold the co-host role
	// (for example a phone-only participant). Retrying does not help.
	AgentErrCannotBeCoHost AgentErrorCode = "cannot_be_cohost"
	// AgentErrMeetingNotFound (404 on the session route): Zoom does not know the meeting.
	AgentErrMeetingNotFound AgentErrorCode = "meeting_not_found"
	// AgentErrUnauthorized (401): missing, malformed, expired, mis-signed or replayed bearer JWT.
	AgentErrUnauthorized AgentErrorCode = "unauthorized"
	// AgentErrInvalidSignature (403): the Meeting SDK signature is not acceptable.
	AgentErrInvalidSignature AgentErrorCode = "invalid_signature"
	// AgentErrInvalidZAK (403): the ZAK is unknown, expired or not the meeting host's.
	AgentErrInvalidZAK AgentErrorCode = "invalid_zak"
	// AgentErrWrongPassword (403): the meeting password does not match.
	AgentErrWrongPassword AgentErrorCode = "wrong_password"
	// AgentErrBadRequest (400): the path or body is malformed.
	AgentErrBadRequest AgentErrorCode = "bad_request"
	// AgentErrRateLimited (429): too many calls; the Retry-After header says how many seconds to wait.
	AgentErrRateLimited AgentErrorCode = "rate_limited"
	// AgentErrInternal (5xx): the agent failed; retry.
	AgentErrInternal AgentErrorCode = "internal"
)

// AgentError is the body of every non-2xx agent response.
type AgentError struct {
	Error AgentErrorCode `json:"error"`
}

// AgentSessionRequest is the body of PUT /v1/meetings/{meetingId}/session: everything the agent
// needs to join the meeting as its host. Every value is a string.
type AgentSessionRequest struct {
	MeetingNumber string `json:"meeting_number"`
	MeetingUUID   string `json:"meeting_uuid"`
	Password      string `json:"password"`
	ZAK           string `json:"zak"`
	Signature     string `json:"signature"`
	DisplayName   string `json:"display_name"`
}

// Values of AgentSessionResponse.State.
const (
	AgentSessionJoining = "joining"
	AgentSessionJoined  = "joined"
)

// AgentSessionResponse is the body of a 200, 201 or 202 answer to the session route.
type AgentSessionResponse struct {
	MeetingNumber string `json:"meeting_number"`
	State         string `json:"state"`
}

// AgentCoHostRequest is the body of PUT /v1/meetings/{meetingId}/cohosts/{participantKey}. The
// participant key in the path is ParticipantUUID, or UserID where there is no participant_uuid.
type AgentCoHostRequest struct {
	ParticipantUUID string `json:"participant_uuid"`
	UserID          string `json:"user_id"`
	UserName        string `json:"user_name"`
	Email           string `json:"email"`
}

// Values of AgentCoHostResponse.Role.
const (
	AgentRoleCoHost = "co-host"
	AgentRoleHost   = "host"
)

// AgentCoHostResponse is the body of a 200 answer to the co-host route.
type AgentCoHostResponse struct {
	ParticipantKey string `json:"participant_key"`
	Role           string `json:"role"`
}

// AgentSessionPath is the path, relative to COHOST_AGENT_URL, of a meeting's session.
func AgentSessionPath(meetingID int64) string {
	return "/" + AgentContractVersion + "/meetings/" + strconv.FormatInt(meetingID, 10) + "/session"
}

// AgentCoHostPath is the path, relative to COHOST_AGENT_URL, that promotes one participant.
func AgentCoHostPath(meetingID int64, participantKey string) string {
	return "/" + AgentContractVersion + "/meetings/" + strconv.FormatInt(meetingID, 10) +
		"/cohosts/" + url.PathEscape(participantKey)
}
