package grant

// Reason says why a participant's grant was skipped or failed. It is a
// stable code: the ledger stores it, metrics use it as a label, the admin API
// and the logs show it with its text. What the other side said in words
// (Zoom's message, the agent's answer) is the grant's Detail, never its Reason,
// so the set of reasons stays bounded.
type Reason string

// Reasons a grant is skipped: cohost decided not to grant.
const (
	ReasonHost                  Reason = "is_host"
	ReasonAgent                 Reason = "is_agent"
	ReasonPhoneOnly             Reason = "phone_only"
	ReasonMeetingOutOfScope     Reason = "meeting_out_of_scope"
	ReasonParticipantOutOfScope Reason = "participant_out_of_scope"
	ReasonNotSignedIn           Reason = "not_signed_in"
	ReasonLeft                  Reason = "left_before_grant"
	ReasonMeetingEnded          Reason = "meeting_ended"
	ReasonNotEligible           Reason = "not_eligible_alternative_host"
)

// Reasons a grant fails: it was tried and did not work.
const (
	ReasonNotVisible            Reason = "participant_not_visible_to_agent"
	ReasonAlternativeHostsLimit Reason = "alternative_hosts_daily_limit"
	ReasonAgentRejected         Reason = "agent_rejected"
	ReasonAgentUnavailable      Reason = "agent_unavailable"
	ReasonZoomRejected          Reason = "zoom_rejected"
	ReasonZoomAccessDenied      Reason = "zoom_access_denied"
	ReasonZoomNotFound          Reason = "zoom_not_found"
	ReasonZoomUnavailable       Reason = "zoom_unavailable"
	ReasonRateLimited           Reason = "rate_limited"
	ReasonNoGranter             Reason = "no_granter_can_grant"
	ReasonNoHostPage            Reason = "no_host_page"
	ReasonNotInRoster           Reason = "not_in_roster"
	ReasonOnHold                Reason = "on_hold"
	ReasonSDKTimeout            Reason = "sdk_timeout"
	ReasonSDKError              Reason = "sdk_error"
	ReasonTimeout               Reason = "timed_out"
	ReasonStoreUnavailable      Reason = "database_unavailable"
	ReasonStoredDataInvalid     Reason = "stored_data_invalid"
	ReasonUnprocessable         Reason = "event_unprocessable"
	ReasonInternal              Reason = "internal_error"
)

// ReasonOther is the metric label of a reason that is not registered (a
// ledger row written by an older cohost, say): labels stay bounded whatever
// the ledger holds.
const ReasonOther = "other"

// ReasonInfo is one registered reason: its code and its one sentence for
// people, which completes "not co-host: …".
type ReasonInfo struct {
	Code Reason
	Text string
}

// reasons is the registry: the only list of reasons in cohost. Metrics, the
// admin API, the logs and the ledger all read it.
var reasons = []ReasonInfo{
	{ReasonHost, "they are the meeting's host"},
	{ReasonAgent, "they are the co-host agent itself"},
	{ReasonPhoneOnly, "they joined by phone only, without a Zoom client that can hold a role"},
	{ReasonMeetingOutOfScope, "the meeting is out of the scope of COHOST_POLICY_FILE"},
	{ReasonParticipantOutOfScope, "the participant is out of the scope of COHOST_POLICY_FILE (e.g. their email domain)"},
	{ReasonNotSignedIn, "they were not signed in to Zoom, and the policy or the granter needs a signed-in user"},
	{ReasonLeft, "they left before the grant was made"},
	{ReasonMeetingEnded, "the meeting ended before the grant was made"},
	{ReasonNotEligible, "they are not a signed-in licensed user of the host's account, which alternative hosts must be"},
	{ReasonNotVisible, "the co-host agent did not see them in the meeting within the retry window"},
	{ReasonAlternativeHostsLimit, "Zoom's limit of 100 meeting updates a day was reached"},
	{ReasonAgentRejected, "the co-host agent refused to make them co-host"},
	{ReasonAgentUnavailable, "the co-host agent could not be reached or kept failing until cohost gave up"},
	{ReasonZoomRejected, "Zoom refused the change"},
	{ReasonZoomAccessDenied, "Zoom refused the app's access or credentials; check the app's scopes and that it is installed"},
	{ReasonZoomNotFound, "Zoom does not know the meeting or the user"},
	{ReasonZoomUnavailable, "Zoom kept failing or could not be reached until cohost gave up"},
	{ReasonRateLimited, "Zoom's or the agent's rate limit held until cohost gave up"},
	{ReasonNoGranter, "no granter in COHOST_GRANTERS could grant them"},
	{ReasonNoHostPage, "no host page was connected: the host did not run the meeting from cohost's host link in time"},
	{ReasonNotInRoster, "the host page did not see them in the meeting's participant list in time"},
	{ReasonOnHold, "they stayed in the waiting room; a participant there cannot be made co-host until admitted"},
	{ReasonSDKTimeout, "Zoom's Meeting SDK did not confirm the co-host role in time"},
	{ReasonSDKError, "Zoom's Meeting SDK refused the change (the detail has Zoom's code)"},
	{ReasonTimeout, "the work timed out until cohost gave up"},
	{ReasonStoreUnavailable, "cohost's database could not be reached until cohost gave up"},
	{ReasonStoredDataInvalid, "what cohost stored for this meeting cannot be read back; its log has the cause"},
	{ReasonUnprocessable, "the event about them could not be processed: the database refused a value for good, or what was stored no longer decodes (the detail says which)"},
	{ReasonInternal, "cohost hit an unexpected error; its log has the cause"},
}

var reasonIndex = func() map[Reason]int {
	m := make(map[Reason]int, len(reasons))
	for i, r := range reasons {
		m[r.Code] = i
	}
	return m
}()

// Reasons returns the registry, in its order. The slice is a copy.
func Reasons() []ReasonInfo { return append([]ReasonInfo(nil), reasons...) }

// Known reports whether r is registered.
func (r Reason) Known() bool { _, ok := reasonIndex[r]; return ok }

// Label is r as a metric label: its code when registered, ReasonOther
// otherwise, and "" for no reason.
func (r Reason) Label() string {
	switch {
	case r == "":
		return ""
	case r.Known():
		return string(r)
	}
	return ReasonOther
}

// Text is r's sentence for people ("they are the meeting's host").
func (r Reason) Text() string {
	if i, ok := reasonIndex[r]; ok {
		return reasons[i].Text
	}
	if r == "" {
		return "no reason recorded"
	}
	return string(r)
}
