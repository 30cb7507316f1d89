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

// ReasonKind says whether a reason ends a grant on purpose (skip) or
// because trying did not work (fail).
type ReasonKind string

// Reason kinds.
const (
	KindSkip ReasonKind = "skip"
	KindFail ReasonKind = "fail"
)

// ReasonInfo is one registered reason: its code, its kind and its sentences
// for people. Text completes "not co-host: …" once the grant has ended for
// that reason; Waiting, for the reasons that can also hold a pending grant
// for a while, says what holds it now ("in the waiting room: …").
type ReasonInfo struct {
	Code    Reason
	Kind    ReasonKind
	Text    string
	Waiting string
}

// reasons is the registry: the only list of reasons in cohost. Metrics, the
// admin API, the logs, the ledger and every participant's sentence
// (Describe) read it.
var reasons = []ReasonInfo{
	{ReasonHost, KindSkip, "they are the meeting's host", ""},
	{ReasonAgent, KindSkip, "they are the co-host agent itself", ""},
	{ReasonPhoneOnly, KindSkip, "they joined by phone only, without a Zoom client that can hold a role", ""},
	{ReasonMeetingOutOfScope, KindSkip, "the meeting is out of the scope of COHOST_POLICY_FILE", ""},
	{ReasonParticipantOutOfScope, KindSkip, "the participant is out of the scope of COHOST_POLICY_FILE (e.g. their email domain)", ""},
	{ReasonNotSignedIn, KindSkip, "they were not signed in to Zoom, and the policy or the granter needs a signed-in user", ""},
	{ReasonLeft, KindSkip, "they left before the grant was made", ""},
	{ReasonMeetingEnded, KindSkip, "the meeting ended before the grant was made", ""},
	{ReasonNotEligible, KindSkip, "they are not a signed-in licensed user of the host's account, which alternative hosts must be", ""},
	{ReasonNotVisible, KindFail, "the co-host agent did not see them in the meeting within the retry window",
		"the co-host agent does not see them in the meeting yet"},
	{ReasonAlternativeHostsLimit, KindFail, "Zoom's limit of 100 meeting updates a day was reached", ""},
	{ReasonAgentRejected, KindFail, "the co-host agent refused to make them co-host", ""},
	{ReasonAgentUnavailable, KindFail, "the co-host agent could not be reached or kept failing until cohost gave up",
		"the co-host agent cannot be reached or is failing"},
	{ReasonZoomRejected, KindFail, "Zoom refused the change", ""},
	{ReasonZoomAccessDenied, KindFail, "Zoom refused the app's access or credentials; check the app's scopes and that it is installed", ""},
	{ReasonZoomNotFound, KindFail, "Zoom does not know the meeting or the user", ""},
	{ReasonZoomUnavailable, KindFail, "Zoom kept failing or could not be reached until cohost gave up", "Zoom is failing or cannot be reached"},
	{ReasonRateLimited, KindFail, "Zoom's or the agent's rate limit held until cohost gave up", "Zoom's or the agent's rate limit holds"},
	{ReasonNoGranter, KindFail, "no granter in COHOST_GRANTERS could grant them", ""},
	{ReasonNoHostPage, KindFail, "no host page ran the meeting: the host did not run it from cohost's host page in time",
		"no host page runs this meeting"},
	{ReasonNotInRoster, KindFail, "the host page did not see them in the meeting's participant list in time",
		"not in the meeting's participant list on the host page yet"},
	{ReasonOnHold, KindFail, "they stayed in the waiting room; a participant there cannot be made co-host until admitted",
		"in the waiting room: admit them in Zoom's participant panel and they are made co-host"},
	{ReasonSDKTimeout, KindFail, "Zoom's Meeting SDK did not confirm the co-host role in time",
		"Zoom's Meeting SDK does not confirm makeCoHost in time"},
	{ReasonSDKError, KindFail, "Zoom's Meeting SDK refused makeCoHost",
		"Zoom's Meeting SDK refuses makeCoHost"},
	{ReasonTimeout, KindFail, "the work timed out until cohost gave up", "the work is timing out"},
	{ReasonStoreUnavailable, KindFail, "cohost's database could not be reached until cohost gave up", "cohost's database cannot be reached"},
	{ReasonStoredDataInvalid, KindFail, "what cohost stored for this meeting cannot be read back; its log has the cause", ""},
	{ReasonUnprocessable, KindFail, "the event about them could not be processed: the database refused a value for good, or what was stored no longer decodes (the detail says which)", ""},
	{ReasonInternal, KindFail, "cohost hit an unexpected error; its log has the cause", "cohost is hitting an unexpected error; its log has the cause"},
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

// Kind is r's kind, KindFail for an unregistered reason.
func (r Reason) Kind() ReasonKind {
	if i, ok := reasonIndex[r]; ok {
		return reasons[i].Kind
	}
	return KindFail
}

// Waiting says what holds a pending grant for r, in the present tense;
// reasons that never hold one read as their Text.
func (r Reason) Waiting() string {
	if i, ok := reasonIndex[r]; ok && reasons[i].Waiting != "" {
		return reasons[i].Waiting
	}
	return r.Text()
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
