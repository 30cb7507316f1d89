package policy_test

import (
	"fmt"
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

// A typo names the key, its line, the keys known there and the nearest one,
// not Go's types.
func TestParseUnknownKeys(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"typo under meetings", "meetings:\n  hosts_emails: [ceo@example.com]\n",
			`unknown key "hosts_emails" at line 2 under meetings; known keys: host_ids, host_emails, meeting_ids, topic_patterns, tracking_fields; did you mean "host_emails"?`},
		{"typo at the top", "participant:\n  signed_in_only: true\n",
			`unknown key "participant" at line 1; known keys: meetings, participants, agent_display_name; did you mean "participants"?`},
		{"typo under participants", "participants:\n  signed_in: true\n",
			`unknown key "signed_in" at line 2 under participants; known keys: allow_email_domains, deny_email_domains, signed_in_only`},
		{"nothing near", "meetings:\n  color: blue\n",
			`unknown key "color" at line 2 under meetings; known keys: host_ids, host_emails, meeting_ids, topic_patterns, tracking_fields`},
		{"through an alias", "meetings: &m\n  host_ids: [a]\nparticipants: *m\n",
			`unknown key "host_ids" at line 2 under participants`},
		{"not a mapping", "- meetings\n", "line 1: the policy must be a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policy.Parse([]byte(tt.src))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Parse() error = %v\nwant %s", err, tt.want)
			}
			if tt.name == "nothing near" && strings.Contains(err.Error(), "did you mean") {
				t.Fatalf("suggests a key far from the typo: %v", err)
			}
			if strings.Contains(err.Error(), "struct") || strings.Contains(err.Error(), "not found in type") {
				t.Fatalf("Go internals in the message: %v", err)
			}
		})
	}
	// tracking_fields' keys are the account's own.
	if _, err := policy.Parse([]byte("meetings:\n  tracking_fields: {anything_goes: [\"yes\"]}\n")); err != nil {
		t.Fatal(err)
	}
}

// host_ids selects meetings by their host's Zoom user id.
func TestParseHostIDs(t *testing.T) {
	p, err := policy.Parse([]byte("meetings:\n  host_ids: [x1yCzABCDEfg23HiJKl4mN]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.MeetingInScope(grant.Meeting{ID: "1", HostID: "x1yCzABCDEfg23HiJKl4mN"}) || p.MeetingInScope(grant.Meeting{ID: "2", HostID: "other"}) {
		t.Fatal("host_ids does not select by host id")
	}
}

// A domain both allowed and denied would start silently with the allow
// entry doing nothing.
func TestParseRefusesDomainInAllowAndDeny(t *testing.T) {
	for _, src := range []string{
		"participants:\n  allow_email_domains: [example.com]\n  deny_email_domains: [example.com]\n",
		"participants:\n  allow_email_domains: [Example.COM, other.org]\n  deny_email_domains: [\"@example.com\"]\n",
	} {
		_, err := policy.Parse([]byte(src))
		if err == nil || !strings.Contains(err.Error(), `"example.com"`) || !strings.Contains(err.Error(), "both") {
			t.Fatalf("Parse(%q) error = %v, want one naming example.com in both lists", src, err)
		}
	}
	// A denied subdomain of an allowed domain is the documented use.
	if _, err := policy.Parse([]byte("participants:\n  allow_email_domains: [example.com]\n  deny_email_domains: [vendor.example.com]\n")); err != nil {
		t.Fatal(err)
	}
}

// aliasBomb nests each anchor twice in the next, so a walk that follows
// aliases visits 2^levels nodes. CI's fuzzer found this shape hanging Parse.
func aliasBomb(levels int) []byte {
	var b strings.Builder
	b.WriteString("meetings:\n  tracking_fields:\n    l0: &l0 {a: 1}\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "    l%d: &l%d {a: *l%d, b: *l%d}\n", i, i, i-1, i-1)
	}
	return []byte(b.String())
}

// A nested-alias document is refused in one line rather than walked. Before
// the key check stopped at tracking_fields, 2^40 visits made this test hang.
func TestParseRefusesAliasBomb(t *testing.T) {
	_, err := policy.Parse(aliasBomb(40))
	if err == nil {
		t.Fatal("an alias bomb parsed as a policy")
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error is not one line: %q", err)
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
	f.Add([]byte("meetings:\n  hosts_emails: [a]\n"))
	f.Add([]byte("meetings: &m {host_ids: [a]}\nparticipants: *m\n"))
	f.Add([]byte("participants: {allow_email_domains: [a.com], deny_email_domains: [A.com]}\n"))
	f.Add([]byte("~"))
	f.Add(aliasBomb(12))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := policy.Parse(b)
		if err == nil && p == nil {
			t.Fatal("nil policy without error")
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("error is not one line: %q", err)
		}
	})
}

// yaml.v3's errors reach the operator in their words, with the line: the key
// a wrong value belongs to and what it takes, never Go's types or YAML's
// tags, never the scanner's "found character that cannot start any token"
// alone.
func TestParseYAMLErrorsInTheUsersWords(t *testing.T) {
	for _, tt := range []struct {
		name, src string
		want      []string
	}{
		{"a word for a list", "meetings:\n  host_ids: yes\n", []string{"line 2", "meetings.host_ids", "a list of strings", `"yes"`, "[yes]"}},
		{"a mapping for a list", "meetings:\n  host_ids: [a]\n  meeting_ids: {a: 1}\n", []string{"line 3", "meetings.meeting_ids", "a list of strings", "not a mapping"}},
		{"a word for a bool", "participants:\n  signed_in_only: maybe\n", []string{"line 2", "participants.signed_in_only", "true or false", `"maybe"`}},
		{"a list for a bool", "participants:\n  signed_in_only: [true]\n", []string{"line 2", "participants.signed_in_only", "not a list"}},
		{"a list for a string", "agent_display_name: [x]\n", []string{"line 1", "agent_display_name", "must be a string"}},
		{"a word for tracking values", "meetings:\n  tracking_fields: {cohost: yes}\n", []string{"line 2", "meetings.tracking_fields.cohost", "a list of strings"}},
		{"a list for tracking fields", "meetings:\n  tracking_fields: [a]\n", []string{"line 2", "meetings.tracking_fields", "a mapping of each field"}},
		{"a tab", "meetings:\n\thost_ids: [a]\n", []string{"line 2", "tab", "spaces"}},
		{"a reserved first character", "agent_display_name: @cohost\n", []string{"line 1", "quotes"}},
		{"an unclosed list", "meetings:\n  host_ids: [a, b\n", []string{"line", "not closed with ]"}},
		{"a missing value", "meetings: [\n", []string{"line 1", "missing"}},
		{"a second colon", "agent_display_name: co: host\n", []string{"line 1", "quotes"}},
		{"misaligned list", "meetings:\n  host_ids:\n  - a\n - b\n", []string{"line 3", "indentation"}},
		{"unterminated quote", "agent_display_name: \"cohost\n", []string{"line 2", "quoted string"}},
		{"a key twice", "meetings:\n  host_ids: [a]\nmeetings:\n  host_ids: [b]\n", []string{"line 3", `"meetings"`, "line 1", "keep one"}},
		{"an alias without anchor", "meetings: &a\n  host_ids: *b\n", []string{"line 2", "*b", "&b"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policy.Parse([]byte(tt.src))
			if err == nil {
				t.Fatal("parsed")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%v: does not say %q", err, want)
				}
			}
			for _, jargon := range []string{"!!", "cannot unmarshal", "[]string", "map[string]", "yaml:", "yaml.Node"} {
				if strings.Contains(err.Error(), jargon) {
					t.Errorf("%v: says %q", err, jargon)
				}
			}
			if strings.Contains(err.Error(), "found character that cannot start any token") || strings.Contains(err.Error(), "\n") {
				t.Errorf("%v: not one line in the user's words", err)
			}
		})
	}
}
