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
// Unknown keys are errors, reported with their line, the keys known there
// and the nearest one, so a typo cannot silently widen or narrow the scope.
// A domain both allowed and denied is refused too: deny would win, and the
// allow entry would do nothing.
package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
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

// knownKeys are the keys of each mapping of the policy, by path. A path not
// listed (the inside of tracking_fields) takes any key.
var knownKeys = map[string][]string{
	"":             {"meetings", "participants", "agent_display_name"},
	"meetings":     {"host_ids", "host_emails", "meeting_ids", "topic_patterns", "tracking_fields"},
	"participants": {"allow_email_domains", "deny_email_domains", "signed_in_only"},
}

// Parse reads a policy from YAML.
func Parse(b []byte) (*grant.Policy, error) {
	var doc yaml.Node
	// An empty file (io.EOF) is the default policy.
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, cleanYAMLError(err)
	}
	var f file
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			return Parse(nil)
		}
		if root.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: the policy must be a mapping with the keys %s", root.Line, strings.Join(knownKeys[""], ", "))
		}
		if err := checkKeys(root, ""); err != nil {
			return nil, err
		}
		if err := root.Decode(&f); err != nil {
			return nil, cleanYAMLError(err)
		}
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
	denied := map[string]bool{}
	for _, d := range p.Participants.DenyEmailDomains {
		denied[normalDomain(d)] = true
	}
	for _, d := range p.Participants.AllowEmailDomains {
		if denied[normalDomain(d)] {
			return nil, fmt.Errorf("email domain %q is in both allow_email_domains and deny_email_domains: deny wins, so allowing it admits no one; remove it from one of the lists", normalDomain(d))
		}
	}
	return p, nil
}

// normalDomain is a domain as the policy compares it (grant.Policy.Decide).
func normalDomain(d string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
}

// checkKeys refuses, with its line, a key the policy does not know, naming
// the keys known there and the nearest one.
func checkKeys(n *yaml.Node, path string) error {
	known, checked := knownKeys[path]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		for v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias // an anchored mapping is checked where it is used
		}
		if checked && !slices.Contains(known, k.Value) {
			key := k.Value
			if len(key) > 64 {
				key = key[:64] + "…"
			}
			where := ""
			if path != "" {
				where = " under " + path
			}
			msg := fmt.Sprintf("unknown key %q at line %d%s; known keys: %s", key, k.Line, where, strings.Join(known, ", "))
			if near := nearest(k.Value, known); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			return errors.New(msg)
		}
		child := k.Value
		if path != "" {
			child = path + "." + k.Value
		}
		// Only mappings whose keys are known are walked: walking the rest
		// (the inside of tracking_fields) checks nothing, and following its
		// aliases would take exponential time on a nested-alias document.
		if _, known := knownKeys[child]; known && v.Kind == yaml.MappingNode {
			if err := checkKeys(v, child); err != nil {
				return err
			}
		}
	}
	return nil
}

// nearest returns the known key closest to key in edit distance, when it is
// close enough to be the one meant.
func nearest(key string, known []string) string {
	if len(key) > 64 {
		return ""
	}
	best, bestD := "", -1
	for _, k := range known {
		if d := editDistance(key, k); bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	if bestD < 0 || bestD > max(2, len(best)/3) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
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
