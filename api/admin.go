package api

import "time"

// AdminOpenAPIFile is the name, inside OpenAPI, of the admin API contract: the queryable grant
// ledger (GET /v1/meetings, GET /v1/meetings/{meetingId}, GET /v1/summary) and the host links.
const AdminOpenAPIFile = "admin.openapi.yaml"

// The bearer JWT of the admin API: HS256 keyed with COHOST_ADMIN_SECRET, claims aud (must include
// AdminJWTAudience), exp and iat required, sub optional (it names the operator in cohostd's log).
const (
	AdminJWTAudience = "cohost-admin"
	// AdminJWTMaxLifetime bounds exp-iat, so that a leaked token does not work for long.
	AdminJWTMaxLifetime = 24 * time.Hour
	// AdminJWTLeeway is the clock skew tolerated on exp, nbf and iat.
	AdminJWTLeeway = 30 * time.Second
)

// Bounds of the limit query parameter of GET /v1/meetings.
const (
	AdminDefaultLimit = 50
	AdminMaxLimit     = 500
)

// Bounds of the window query parameter of GET /v1/summary: a Go duration of whole seconds. The
// upper bound keeps the query to the rows of one day, which retention always keeps.
const (
	AdminDefaultWindow = time.Hour
	AdminMinWindow     = time.Minute
	AdminMaxWindow     = 24 * time.Hour
)

// Error codes (ErrorResponse.Error) of the admin API.
const (
	// AdminErrDisabled (404 on every /v1 route): COHOST_ADMIN_SECRET is not
	// set (or, should one reach the API, shorter than 32 bytes).
	AdminErrDisabled = "admin_api_disabled"
	// AdminErrUnauthorized (401): the bearer JWT is missing or not acceptable; Detail says why.
	AdminErrUnauthorized = "unauthorized"
	// AdminErrInvalidLimit (400): limit is not an integer from 1 to AdminMaxLimit.
	AdminErrInvalidLimit = "invalid_limit"
	// AdminErrInvalidWindow (400): window is not a duration of whole seconds from
	// AdminMinWindow to AdminMaxWindow.
	AdminErrInvalidWindow = "invalid_window"
	// AdminErrInvalidMeetingID (400): meetingId is not a numeric Zoom meeting id.
	AdminErrInvalidMeetingID = "invalid_meeting_id"
	// AdminErrMeetingNotFound (404): the ledger has no meeting with that id.
	AdminErrMeetingNotFound = "meeting_not_found"
	// AdminErrNotFound (404): no such route under /v1.
	AdminErrNotFound = "not_found"
	// AdminErrMethodNotAllowed (405): the route does not take the method (the ledger routes
	// answer GET only).
	AdminErrMethodNotAllowed = "method_not_allowed"
	// AdminErrUnavailable (503): the database cannot be reached; retry.
	AdminErrUnavailable = "unavailable"
	// AdminErrInternal (500): the ledger could not be read; cohostd's log has the cause.
	AdminErrInternal = "internal"
	// AdminErrInvalidBody (400): a request body is not what the route takes.
	AdminErrInvalidBody = "invalid_body"
	// AdminErrHostClientOff (404 on the host-link routes): the host-client granter is not in
	// COHOST_GRANTERS.
	AdminErrHostClientOff = "host_client_disabled"
	// AdminErrPublicURLUnset (409): COHOST_PUBLIC_URL is not set; host links are URLs under it.
	AdminErrPublicURLUnset = "public_url_unset"
	// AdminErrMeetingUnknownToZoom (404): Zoom does not know the meeting in that account.
	AdminErrMeetingUnknownToZoom = "meeting_unknown_to_zoom"
	// AdminErrHostNotInAccount (422): the meeting's host is not a user of the account.
	AdminErrHostNotInAccount = "host_not_in_account"
	// AdminErrAccountIDRequired (400): oauth mode, a meeting cohostd has not heard of, several accounts.
	AdminErrAccountIDRequired = "account_id_required"
	// AdminErrInvalidTTL (400): ttl is not a duration above 0 and at most 24h.
	AdminErrInvalidTTL = "invalid_ttl"
	// AdminErrZoomFailed (502): Zoom refused (the app's scopes) or failed; Detail has Zoom's code.
	AdminErrZoomFailed = HostErrZoom
)

// AdminHostLinkRequest is the optional body of POST /v1/meetings/{meetingId}/host-link.
type AdminHostLinkRequest struct {
	// AccountID is the meeting's Zoom account; needed only in oauth mode for a meeting cohostd
	// has not heard of yet.
	AccountID string `json:"account_id,omitempty"`
	// TTL is how long the link works, a Go duration like "4h" (at most 24h); by default until
	// a few hours after the meeting's scheduled end.
	TTL string `json:"ttl,omitempty"`
}

// AdminHostLink is the body of a 201 answer to POST /v1/meetings/{meetingId}/host-link.
type AdminHostLink struct {
	// URL is the host link: the host starts the meeting from it instead of Zoom's start_url.
	// Its secret is the part after "#": treat the URL as a host credential.
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
	MeetingID string    `json:"meeting_id"`
	AccountID string    `json:"account_id"`
}

// AdminHostLinkRevoked is the body of a 200 answer to DELETE /v1/meetings/{meetingId}/host-link.
type AdminHostLinkRevoked struct {
	MeetingID string `json:"meeting_id"`
	// Revoked counts the links revoked (expired ones included).
	Revoked int64 `json:"revoked"`
}

// AdminMeetingList is the body of GET /v1/meetings: the most recently updated meetings first.
type AdminMeetingList struct {
	Meetings []AdminMeeting `json:"meetings"`
	// Limit is the limit applied (the query's, or AdminDefaultLimit).
	Limit int `json:"limit"`
}

// AdminMeeting is one meeting of the ledger. Times are RFC 3339 in UTC; unknown values are left out.
type AdminMeeting struct {
	AccountID string `json:"account_id"`
	MeetingID string `json:"meeting_id"`
	// UUID is the current (or last) instance; a recurring meeting gets a new one per occurrence.
	UUID      string `json:"uuid,omitempty"`
	Topic     string `json:"topic,omitempty"`
	HostID    string `json:"host_id,omitempty"`
	HostEmail string `json:"host_email,omitempty"`
	// Status is scheduled, started, ended or deleted.
	Status string `json:"status"`
	// StartTime is the scheduled start (absent for instant meetings).
	StartTime      *time.Time        `json:"start_time,omitempty"`
	StartedAt      *time.Time        `json:"started_at,omitempty"`
	EndedAt        *time.Time        `json:"ended_at,omitempty"`
	TrackingFields map[string]string `json:"tracking_fields,omitempty"`
	// Grants counts the meeting's participants (all its instances) by grant state.
	Grants AdminGrantCounts `json:"grants"`
	// HostPage says whether cohost's host page runs the meeting (GET /v1/meetings/{meetingId}
	// only; absent when the host-client granter is off). Status says whether Zoom runs it.
	HostPage *AdminHostPage `json:"host_page,omitempty"`
}

// Values of AdminHostPage.State.
const (
	AdminHostPageRunning = "running"
	AdminHostPageGone    = "gone"
	AdminHostPageNever   = "never_opened"
)

// AdminHostPage says whether cohost's host page runs a meeting, and what that means for the
// joiners who wait for it.
type AdminHostPage struct {
	// State is running, gone (Since is its last report) or never_opened.
	State string     `json:"state"`
	Since *time.Time `json:"since,omitempty"`
	// Connection is what the page reported last: joining, Connected, Reconnecting, Closed, Fail,
	// left or ended.
	Connection string `json:"connection,omitempty"`
	// FallbackAt is, while joiners of the running meeting wait for a host page, when the first of
	// them falls back to FallbackTo (the next granter of COHOST_GRANTERS; absent when their
	// grants fail then).
	FallbackAt *time.Time `json:"fallback_at,omitempty"`
	FallbackTo string     `json:"fallback_to,omitempty"`
	// Summary says it in one sentence.
	Summary string `json:"summary"`
}

// AdminGrantCounts counts participants by grant state.
type AdminGrantCounts struct {
	Total     int `json:"total"`
	Pending   int `json:"pending"`
	Granted   int `json:"granted"`
	Confirmed int `json:"confirmed"`
	Skipped   int `json:"skipped"`
	Failed    int `json:"failed"`
}

// AdminMeetingDetail is the body of GET /v1/meetings/{meetingId}.
type AdminMeetingDetail struct {
	Meeting AdminMeeting `json:"meeting"`
	// Granters says what each granter did to prepare the meeting (agent session, permission
	// settings), including why it could not.
	Granters []AdminGranterState `json:"granters"`
	// Participants are every participant of every instance, in join order.
	Participants []AdminParticipant `json:"participants"`
}

// AdminGranterState is what one granter did for a meeting.
type AdminGranterState struct {
	// Granter is a granter of COHOST_GRANTERS, or "cohost" for the engine's
	// own note (grant.EngineNote).
	Granter string `json:"granter"`
	// State is prepared, prepare_failed, finished or finish_failed, or
	// event_failed (granter cohost).
	State string `json:"state"`
	// Detail explains the state, e.g. which settings the account admin has locked.
	Detail string     `json:"detail,omitempty"`
	At     *time.Time `json:"at,omitempty"`
}

// AdminParticipant is one participant of one meeting instance and their grant: whether they got
// co-host (or its abilities), through which granter, how fast, and if not, why.
type AdminParticipant struct {
	MeetingUUID string `json:"meeting_uuid"`
	// Key is Zoom's participant_uuid, or the per-meeting user_id where there is none.
	Key    string `json:"key"`
	UserID string `json:"user_id,omitempty"`
	Name   string `json:"name,omitempty"`
	Email  string `json:"email,omitempty"`
	// SignedIn is true when Zoom identified the participant as a Zoom user.
	SignedIn bool       `json:"signed_in"`
	JoinedAt *time.Time `json:"joined_at,omitempty"`
	LeftAt   *time.Time `json:"left_at,omitempty"`
	// Present is true while the last join is after the last leave.
	Present bool `json:"present"`
	// State is pending, granted, confirmed, skipped or failed.
	State   string `json:"state"`
	Granter string `json:"granter,omitempty"`
	// Reason says why a grant was skipped or failed: a stable code such as phone_only (the
	// registry in docs/admin-api.md lists them).
	Reason string `json:"reason,omitempty"`
	// ReasonText is the reason's sentence for people.
	ReasonText string `json:"reason_text,omitempty"`
	// Detail adds what the granter, the agent or Zoom said, in words.
	Detail string `json:"detail,omitempty"`
	// Summary answers "did this participant get co-host, and if not, why" in one sentence.
	Summary string `json:"summary"`
	// JoinSeenAt is when cohostd received the join webhook: the start of the time-to-co-host clock.
	JoinSeenAt  *time.Time `json:"join_seen_at,omitempty"`
	GrantedAt   *time.Time `json:"granted_at,omitempty"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
	// TimeToGrantMS is granted_at - join_seen_at; TimeToConfirmMS is confirmed_at - join_seen_at.
	TimeToGrantMS   *int64 `json:"time_to_grant_ms,omitempty"`
	TimeToConfirmMS *int64 `json:"time_to_confirm_ms,omitempty"`
	Attempts        int    `json:"attempts"`
}

// AdminSummary is the body of GET /v1/summary: the grant outcomes of the joins cohostd saw in
// the window that ends now, and the meetings live now. It carries no timestamp of its own, so
// that the same ledger gives the same body (and ETag) on every replica and every poll.
type AdminSummary struct {
	// WindowSeconds is the window applied (the query's, or AdminDefaultWindow).
	WindowSeconds int64 `json:"window_seconds"`
	// MeetingsLive counts the meetings that have started and not ended, now.
	MeetingsLive int `json:"meetings_live"`
	// Grants counts the participants whose join cohostd saw in the window, by their grant state now.
	Grants AdminGrantCounts `json:"grants"`
	// Reasons counts the skipped and failed among them by state and reason, most frequent first.
	Reasons []AdminReasonCount `json:"reasons"`
	// TimeToGrant is join seen → a granter succeeded (for permissions: the abilities are in
	// place); TimeToConfirm is join seen → Zoom confirmed the co-host role, the time to co-host.
	TimeToGrant   AdminDurationStats `json:"time_to_grant"`
	TimeToConfirm AdminDurationStats `json:"time_to_confirm"`
}

// AdminReasonCount is how many grants of the window ended in one state for one reason.
type AdminReasonCount struct {
	// State is skipped or failed.
	State  string `json:"state"`
	Reason string `json:"reason"`
	// ReasonText is the reason's sentence for people.
	ReasonText string `json:"reason_text"`
	Count      int    `json:"count"`
}

// AdminDurationStats summarises durations: nearest-rank percentiles and the largest, in
// milliseconds, left out when Count is 0.
type AdminDurationStats struct {
	Count int    `json:"count"`
	P50MS *int64 `json:"p50_ms,omitempty"`
	P90MS *int64 `json:"p90_ms,omitempty"`
	MaxMS *int64 `json:"max_ms,omitempty"`
}
