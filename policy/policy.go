// Package policy loads the grant policy (COHOST_POLICY_FILE) from YAML:
//
//	meetings:                 # in scope when any rule matches; omit for all meetings
//	  host_ids: [x1yCzABCDEfg23HiJKl4mN]
//	  host_emails: [ceo@example.com]
//	  meeting_ids: ["85746065432"]
//	  topic_patterns: ["(?i)all.hands"]   # RE2 regular expressions
//	  tracking_fields: {cohost: ["yes"]}
//	participants:             # omit for every joiner
//	  allow_email_domains: [example.com]  # subdomains included
//	  deny_email_domains: [vendor.example.com]
//	  signed_in_only: false
//	agent_display_name: cohost   # the name the co-host agent joins with
//
// Unknown keys are errors, reported with their line, so a typo cannot
// silently widen or narrow the scope.
package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cohost-dev/cohost/grant"
)

type file struct {
	Meetings struct {
		HostIDs        []string            `yaml:"host_ids"`
		HostEmails     []string            `yaml:"host_emails"`
		MeetingIDs     []string            `yaml:"meeting_ids"`
		TopicPatterns  []yaml.Node         `yaml:"topic_patterns"`
		TrackingFields map[string][]string `yaml:"tracking_fields"`
	} `yaml:"meetings"`
	Participants struct {
		AllowEmailDomains []string `yaml:"allow_email_domains"`
		DenyEmailDomains  []string `yaml:"deny_email_domains"`
		SignedInOnly      bool     `yaml:"signed_in_only"`
	} `yaml:"participants"`
	AgentDisplayName string `yaml:"agent_display_name"`
}

// Load reads the policy file at path.
func Load(path string) (*grant.Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", path, err)
	}
	p, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", path, err)
	}
	return p, nil
}

// Parse reads a policy from YAML.
func Parse(b []byte) (*grant.Policy, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	// An empty file (io.EOF) is the default policy.
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, cleanYAMLError(err)
	}
	p := &grant.Policy{
		Meetings: grant.MeetingScope{
			HostIDs: f.Meetings.HostIDs, HostEmails: f.Meetings.HostEmails,
			MeetingIDs: f.Meetings.MeetingIDs, TrackingFields: f.Meetings.TrackingFields,
		},
		Participants: grant.ParticipantScope{
			AllowEmailDomains: f.Participants.AllowEmailDomains,
			DenyEmailDomains:  f.Participants.DenyEmailDomains,
			SignedInOnly:      f.Participants.SignedInOnly,
		},
		AgentDisplayName: f.AgentDisplayName,
	}
	for _, n := range f.Meetings.TopicPatterns {
		if n.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: topic_patterns entries must be strings", n.Line)
		}
		re, err := regexp.Compile(n.Value)
		if err != nil {
			return nil, fmt.Errorf("line %d: topic pattern %q: %v", n.Line, n.Value, err)
		}
		p.Meetings.TopicPatterns = append(p.Meetings.TopicPatterns, re)
	}
	for _, d := range append(append([]string{}, p.Participants.AllowEmailDomains...), p.Participants.DenyEmailDomains...) {
		if strings.TrimSpace(strings.TrimPrefix(d, "@")) == "" || strings.ContainsAny(d, " /") {
			return nil, fmt.Errorf("email domain %q is not a domain like example.com", d)
		}
	}
	return p, nil
}

// cleanYAMLError turns yaml.v3's "yaml: unmarshal errors:\n  line 3: ..." into
// one line that still names the line.
func cleanYAMLError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	parts := strings.Split(msg, "\n")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return errors.New(strings.Join(parts, "; "))
}
