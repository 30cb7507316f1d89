package grant_test

import (
	"regexp"
	"testing"

	"github.com/cohost-dev/cohost/grant"
)

func TestPolicyDecide(t *testing.T) {
	m := grant.Meeting{ID: "111", HostID: "host", HostEmail: "boss@example.com", Topic: "All hands",
		TrackingFields: map[string]string{"dept": "eng"}}
	guest := grant.Participant{Name: "Guest", Email: "g@other.org"}
	member := grant.Participant{Name: "Member", Email: "m@eng.example.com", ZoomUserID: "u1"}
	tests := []struct {
		name   string
		policy grant.Policy
		m      grant.Meeting
		p      grant.Participant
		want   grant.Reason
	}{
		{"default grants a guest", grant.Policy{}, m, guest, ""},
		{"host is never granted", grant.Policy{}, m, grant.Participant{ZoomUserID: "host", Name: "Boss"}, grant.ReasonHost},
		{"agent is never granted", grant.Policy{AgentDisplayName: "cohost agent"}, m, grant.Participant{ZoomUserID: "host", Name: "cohost agent"}, grant.ReasonAgent},
		{"phone-only skipped", grant.Policy{}, m, grant.Participant{Phone: "+15550100", Name: "Caller"}, grant.ReasonPhoneOnly},
		{"meeting by id", grant.Policy{Meetings: grant.MeetingScope{MeetingIDs: []string{"111"}}}, m, guest, ""},
		{"meeting not listed", grant.Policy{Meetings: grant.MeetingScope{MeetingIDs: []string{"222"}}}, m, guest, grant.ReasonMeetingOutOfScope},
		{"meeting by host email, any case", grant.Policy{Meetings: grant.MeetingScope{HostEmails: []string{"BOSS@example.com"}}}, m, guest, ""},
		{"meeting by topic", grant.Policy{Meetings: grant.MeetingScope{TopicPatterns: []*regexp.Regexp{regexp.MustCompile("^All")}}}, m, guest, ""},
		{"meeting by tracking field", grant.Policy{Meetings: grant.MeetingScope{TrackingFields: map[string][]string{"dept": {"eng"}}}}, m, guest, ""},
		{"tracking field other value", grant.Policy{Meetings: grant.MeetingScope{TrackingFields: map[string][]string{"dept": {"ops"}}}}, m, guest, grant.ReasonMeetingOutOfScope},
		{"signed-in only skips guest", grant.Policy{Participants: grant.ParticipantScope{SignedInOnly: true}}, m, guest, grant.ReasonNotSignedIn},
		{"signed-in only grants member", grant.Policy{Participants: grant.ParticipantScope{SignedInOnly: true}}, m, member, ""},
		{"allow domain covers subdomain", grant.Policy{Participants: grant.ParticipantScope{AllowEmailDomains: []string{"example.com"}}}, m, member, ""},
		{"allow domain excludes others", grant.Policy{Participants: grant.ParticipantScope{AllowEmailDomains: []string{"example.com"}}}, m, guest, grant.ReasonParticipantOutOfScope},
		{"allow domain excludes no email", grant.Policy{Participants: grant.ParticipantScope{AllowEmailDomains: []string{"example.com"}}}, m, grant.Participant{Name: "x"}, grant.ReasonParticipantOutOfScope},
		{"deny wins over allow", grant.Policy{Participants: grant.ParticipantScope{AllowEmailDomains: []string{"example.com"}, DenyEmailDomains: []string{"eng.example.com"}}}, m, member, grant.ReasonParticipantOutOfScope},
		{"deny does not match lookalike", grant.Policy{Participants: grant.ParticipantScope{DenyEmailDomains: []string{"ample.com"}}}, m, member, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Decide(tt.m, tt.p); got != tt.want {
				t.Fatalf("Decide() = %q, want %q", got, tt.want)
			}
		})
	}
}
