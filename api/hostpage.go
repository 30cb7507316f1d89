package api

// The host page protocol: how cohost's host page (web/host), running the meeting through Zoom's
// Web Meeting SDK in the host's browser, and cohostd talk. docs/host-client.md explains the
// flow; these are the bodies.
//
// Every request carries the host link's secret as a bearer token
// (Authorization: Bearer <secret>): the secret is the part of the host link after "#", which the
// page keeps in sessionStorage and never puts in a URL. Any replica answers any request; the
// state is in the database. The page never decides who is promoted: it reports what the SDK
// shows and does what cohostd answers.
//
//	POST /host/api/v1/meetings/{meetingId}/start   → HostStartResponse
//	POST /host/api/v1/meetings/{meetingId}/sync    HostSyncRequest → HostSyncResponse
//
// Errors are ErrorResponse with one of the HostErr* codes.

// HostAPIPrefix is where the protocol's routes live.
const HostAPIPrefix = "/host/api/v1"

// HostPagePath is the path of a meeting's host page; the host link is
// COHOST_PUBLIC_URL + HostPagePath(id) + "#" + secret.
func HostPagePath(meetingID string) string { return "/host/" + meetingID }

// Error codes of the host page protocol (ErrorResponse.Error).
const (
	// HostErrLinkMissing (401): no bearer token.
	HostErrLinkMissing = "link_missing"
	// HostErrLinkInvalid (401): the secret is not one cohost issued, or was altered.
	HostErrLinkInvalid = "link_invalid"
	// HostErrLinkExpired (401): the link's time is over; mint a new one.
	HostErrLinkExpired = "link_expired"
	// HostErrLinkRevoked (401): the meeting's links were revoked (DELETE .../host-link).
	HostErrLinkRevoked = "link_revoked"
	// HostErrLinkOtherMeeting (403): the link is for another meeting than the URL's.
	HostErrLinkOtherMeeting = "link_other_meeting"
	// HostErrZoom (502): Zoom refused or failed to give what starting the meeting needs
	// (the meeting, the host's ZAK); Detail says what, with Zoom's code.
	HostErrZoom = "zoom_failed"
	// HostErrUnavailable (503): cohostd's database cannot be reached; retry.
	HostErrUnavailable = "unavailable"
	// HostErrBadRequest (400): the body is malformed or too large.
	HostErrBadRequest = "bad_request"
	// HostErrMeetingOver (410): the meeting has ended or was deleted; the link no longer starts it.
	HostErrMeetingOver = "meeting_over"
	// HostErrTooManyStarts (429, with Retry-After): the meeting's page started too often in the last
	// minute (each start asks Zoom for the host's ZAK); wait, then reload once.
	HostErrTooManyStarts = "too_many_starts"
	// HostErrRateLimited (429, with Retry-After): Zoom's rate limit for the account holds; retry after it.
	HostErrRateLimited = "rate_limited"
)

// HostStartResponse is what the page needs to start the meeting as its host with
// client.join: the Meeting SDK signature (role 1) and the host's ZAK, minted per request.
type HostStartResponse struct {
	MeetingID     string `json:"meeting_id"`
	MeetingNumber int64  `json:"meeting_number"`
	Password      string `json:"password"`
	Topic         string `json:"topic"`
	// UserName is the name the host joins with (the host's Zoom display name).
	UserName  string `json:"user_name"`
	UserEmail string `json:"user_email,omitempty"`
	ZAK       string `json:"zak"`
	Signature string `json:"signature"`
	// SessionID identifies this page load in every sync; a reload gets a new one.
	SessionID string `json:"session_id"`
	// ExpiresAt is when the host link stops working (RFC 3339).
	ExpiresAt string `json:"expires_at"`
	// SyncMS is how often the page syncs while nothing happens.
	SyncMS int `json:"sync_ms"`
}

// Values of HostSyncRequest.Connection: the SDK's connection-change states, plus the page's
// own before the join resolves and after the host left or ended the meeting.
const (
	HostConnJoining      = "joining"
	HostConnConnected    = "Connected"
	HostConnReconnecting = "Reconnecting"
	HostConnClosed       = "Closed"
	HostConnFail         = "Fail"
	HostConnLeft         = "left"  // the host pressed Leave
	HostConnEnded        = "ended" // the host pressed End
)

// HostSyncRequest is the page's report: what the SDK shows now, and the result of the last
// makeCoHost cohostd asked for.
type HostSyncRequest struct {
	SessionID  string `json:"session_id"`
	Connection string `json:"connection"`
	// Me is client.getCurrentUser(), null before the join.
	Me *HostRosterEntry `json:"me,omitempty"`
	// Roster is client.getAttendeeslist(), mapped field by field.
	Roster []HostRosterEntry `json:"roster"`
	// Result reports the makeCoHost of the last promote action, once.
	Result *HostCallResult `json:"result,omitempty"`
}

// HostRosterEntry is one participant as the SDK shows them (Participant of embedded.d.ts).
type HostRosterEntry struct {
	UserID          int64  `json:"user_id"`
	ParticipantUUID string `json:"participant_uuid"`
	UserName        string `json:"user_name"`
	IsHost          bool   `json:"is_host"`
	IsCoHost        bool   `json:"is_co_host"`
	IsHold          bool   `json:"is_hold"`
	IsPhoneUser     bool   `json:"is_phone_user"`
	IsGuest         bool   `json:"is_guest"`
}

// HostCallResult is how one makeCoHost call ended.
type HostCallResult struct {
	CallID string `json:"call_id"`
	// OK: the promise resolved, which the SDK does only once the roster shows the co-host.
	OK bool `json:"ok"`
	// Error is the rejection, as the SDK gave it.
	Error *HostSDKError `json:"error,omitempty"`
}

// HostSDKError is a Meeting SDK rejection: {type, reason, errorCode}.
type HostSDKError struct {
	Type      string `json:"type"`
	Reason    string `json:"reason,omitempty"`
	ErrorCode int    `json:"error_code,omitempty"`
}

// Kinds of HostAction.
const (
	// HostActionPromote: call client.makeCoHost(UserID), then sync with the result.
	HostActionPromote = "promote"
	// HostActionWait: nothing to do now; sync again after HostSyncResponse.SyncMS.
	HostActionWait = "wait"
	// HostActionStop: the page's work is over (Why says why); stop syncing.
	HostActionStop = "stop"
)

// Values of HostAction.Why for HostActionStop.
const (
	HostStopEnded      = "ended"      // Zoom reported the meeting ended
	HostStopSuperseded = "superseded" // the host link was opened in another tab or browser
	// HostStopClosed: the page reported that it is out of the meeting (Closed, Fail, left,
	// ended); its report is recorded and it has nothing more to do.
	HostStopClosed = "closed"
)

// HostAction is what cohostd asks the page to do next.
type HostAction struct {
	Kind   string `json:"kind"`
	CallID string `json:"call_id,omitempty"`
	UserID int64  `json:"user_id,omitempty"`
	// DelayMS, on a promote, is how long to wait before calling makeCoHost: the pace's interval
	// since the last call is not over yet. The call counts as in flight from the answer on, so the
	// page sends no report in between to learn it.
	DelayMS int    `json:"delay_ms,omitempty"`
	Why     string `json:"why,omitempty"`
}

// HostSyncResponse answers a sync: the next action and what the host's panel shows.
type HostSyncResponse struct {
	Action HostAction `json:"action"`
	SyncMS int        `json:"sync_ms"`
	Panel  HostPanel  `json:"panel"`
}

// Values of HostPanelRow.State.
const (
	HostRowCoHost    = "cohost"    // the real co-host role, confirmed
	HostRowPromoting = "promoting" // makeCoHost is in flight for them
	HostRowPending   = "pending"   // to be promoted; Text says what they wait for
	HostRowSkipped   = "skipped"   // not promoted on purpose; Text says why
	HostRowFailed    = "failed"    // tried and given up; Text says why
	HostRowGranted   = "granted"   // co-host abilities from another granter (permissions); the page may still make them co-host
	HostRowHost      = "host"      // the host (this page)
)

// HostPanel is the side panel of the host page, computed by cohostd.
type HostPanel struct {
	Topic  string         `json:"topic"`
	Counts HostPanelCount `json:"counts"`
	Rows   []HostPanelRow `json:"rows"`
	// Notice is a sentence for the top of the panel ("the meeting ended", "promotions are paused
	// while the connection recovers"), or "".
	Notice string `json:"notice,omitempty"`
}

// HostPanelCount counts the rows by state: Pending includes the one being promoted; WaitingRoom
// counts the pending held in Zoom's waiting room; Total counts every row but the host's.
type HostPanelCount struct {
	CoHost      int `json:"cohost"`
	Pending     int `json:"pending"`
	Granted     int `json:"granted"`
	Skipped     int `json:"skipped"`
	Failed      int `json:"failed"`
	WaitingRoom int `json:"waiting_room"`
	Total       int `json:"total"`
}

// HostPanelRow is one participant in the panel.
type HostPanelRow struct {
	Name  string `json:"name"`
	State string `json:"state"`
	// Text is the participant's one sentence: the same the admin API, the console and cohostd's log
	// give for them ("pending: 4th in line on the host page, about 4 s").
	Text string `json:"text,omitempty"`
	// UserID is the SDK's id when the participant is in the roster (0 otherwise).
	UserID int64 `json:"user_id,omitempty"`
	// Place is their place in line (1 = next) while they wait for their turn, 0 otherwise.
	Place int `json:"place,omitempty"`
	// WaitingRoom is true while Zoom holds them in the waiting room.
	WaitingRoom bool `json:"waiting_room,omitempty"`
	// Group is the panel's section the row belongs in (HostGroup*); rows come in the sections'
	// order, and in line by Place.
	Group string `json:"group"`
}

// Sections of the host page's panel (HostPanelRow.Group), in the order a host reads a crowd.
const (
	HostGroupHost      = "host"      // the host
	HostGroupAttention = "attention" // what needs the host: failures, the waiting room
	HostGroupLine      = "line"      // being made co-host, and the line by place
	HostGroupWaiting   = "waiting"   // pending for another reason (not in the list yet, Zoom's join event)
	HostGroupCoHost    = "cohost"    // co-hosts
	HostGroupOther     = "other"     // not made co-host on purpose (skipped)
)
