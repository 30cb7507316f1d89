package policy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/policy"
)

func TestParse(t *testing.T) {
	p, err := policy.Parse([]byte(`
meetings:
  meeting_ids: ["85746065432"]
  topic_patterns: ["(?i)all.hands"]
  tracking_fields: {cohost: ["yes"]}
participants:
  allow_email_domains: [example.com]
  signed_in_only: true
agent_display_name: cohost
`))
	if err != nil {
		t.Fatal(err)
	}
	m := grant.Meeting{ID: "1", Topic: "Q3 All-Hands"}
	if !p.MeetingInScope(m) {
		t.Fatal("topic pattern did not match")
	}
	if got := p.Decide(m, grant.Participant{Email: "a@example.com"}); got != grant.ReasonNotSignedIn {
		t.Fatalf("Decide = %q", got)
	}
	if p.AgentDisplayName != "cohost" {
		t.Fatal("agent name not read")
	}
}

func TestParseEmptyIsDefault(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "{}"} {
		p, err := policy.Parse([]byte(src))
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if !p.MeetingInScope(grant.Meeting{ID: "1"}) || p.Decide(grant.Meeting{}, grant.Participant{Name: "x"}) != "" {
			t.Fatalf("%q: not the default policy", src)
		}
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"typo key", "meetings:\n  meeting_id: [1]\n", "line 2"},
		{"bad regexp", "meetings:\n  topic_patterns:\n    - \"(\"\n", "line 3"},
		{"wrong type", "participants:\n  signed_in_only: maybe\n", "line 2"},
		{"not yaml", "meetings: [\n", "line"},
		{"bad domain", "participants:\n  deny_email_domains: [\"@\"]\n", "email domain"},
		{"pattern not string", "meetings:\n  topic_patterns:\n    - {a: b}\n", "line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policy.Parse([]byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Parse() error = %v, want one line containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte("meetings:\n  bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := policy.Load(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("Load() error = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("meetings:\n  topic_patterns: [\"a\"]\n"))
	f.Add([]byte("participants: {allow_email_domains: [x.com]}\n"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := policy.Parse(b)
		if err == nil && p == nil {
			t.Fatal("nil policy without error")
		}
	})
}
