package grant

import (
	"regexp"
	"slices"
	"strings"
)

// Policy says which meetings and which joiners cohost grants. The zero
// Policy grants every joiner of every meeting (but never the host, the agent
// or a phone-only participant).
type Policy struct {
	Meetings     MeetingScope
	Participants ParticipantScope
	// AgentDisplayName is the name the co-host agent joins with; a
	// participant with that name and the host's identity is the agent.
	AgentDisplayName string
}

// MeetingScope selects meetings. Empty selects all; otherwise a meeting is in
// scope when it matches at least one rule.
type MeetingScope struct {
	HostIDs        []string
	HostEmails     []string
	MeetingIDs     []string
	TopicPatterns  []*regexp.Regexp
	TrackingFields map[string][]string
}

func (s MeetingScope) empty() bool {
	return len(s.HostIDs) == 0 && len(s.HostEmails) == 0 && len(s.MeetingIDs) == 0 &&
		len(s.TopicPatterns) == 0 && len(s.TrackingFields) == 0
}

// ParticipantScope selects joiners of in-scope meetings.
type ParticipantScope struct {
	// AllowEmailDomains, when set, admits only these domains (and their subdomains).
	AllowEmailDomains []string
	// DenyEmailDomains are never granted; they win over AllowEmailDomains.
	DenyEmailDomains []string
	// SignedInOnly skips guests who are not signed in to Zoom.
	SignedInOnly bool
}

// MeetingInScope reports whether the policy covers the meeting.
func (p *Policy) MeetingInScope(m Meeting) bool {
	s := p.Meetings
	if s.empty() {
		return true
	}
	if slices.Contains(s.HostIDs, m.HostID) || slices.Contains(s.MeetingIDs, m.ID) {
		return true
	}
	if m.HostEmail != "" && slices.ContainsFunc(s.HostEmails, func(e string) bool { return strings.EqualFold(e, m.HostEmail) }) {
		return true
	}
	for _, re := range s.TopicPatterns {
		if re.MatchString(m.Topic) {
			return true
		}
	}
	for field, values := range s.TrackingFields {
		if v, ok := m.TrackingFields[field]; ok && slices.Contains(values, v) {
			return true
		}
	}
	return false
}

// Decide returns "" when the participant is to be granted, or the reason to
// skip them.
func (p *Policy) Decide(m Meeting, pt Participant) Reason {
	switch {
	case m.HostID != "" && pt.ZoomUserID == m.HostID && p.AgentDisplayName != "" && pt.Name == p.AgentDisplayName:
		return ReasonAgent
	case m.HostID != "" && pt.ZoomUserID == m.HostID:
		return ReasonHost
	case pt.PhoneOnly():
		return ReasonPhoneOnly
	case !p.MeetingInScope(m):
		return ReasonMeetingOutOfScope
	}
	s := p.Participants
	if s.SignedInOnly && !pt.SignedIn() {
		return ReasonNotSignedIn
	}
	domain := ""
	if at := strings.LastIndexByte(pt.Email, '@'); at >= 0 {
		domain = strings.ToLower(pt.Email[at+1:])
	}
	if domain != "" && slices.ContainsFunc(s.DenyEmailDomains, func(d string) bool { return domainMatches(domain, d) }) {
		return ReasonParticipantOutOfScope
	}
	if len(s.AllowEmailDomains) > 0 && (domain == "" || !slices.ContainsFunc(s.AllowEmailDomains, func(d string) bool { return domainMatches(domain, d) })) {
		return ReasonParticipantOutOfScope
	}
	return ""
}

func domainMatches(domain, rule string) bool {
	rule = strings.ToLower(strings.TrimPrefix(rule, "@"))
	return domain == rule || strings.HasSuffix(domain, "."+rule)
}
