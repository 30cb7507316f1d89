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
	"strconv"
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

// Load reads the policy file at path. Its errors start with the path, then
// the line: "/etc/cohost/policy.yaml: line 3: …".
func Load(path string) (*grant.Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path comes first already
		}
		return nil, fmt.Errorf("%s: cannot read it: %w", path, err)
	}
	p, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
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
		return nil, yamlProblem(err, b, nil)
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
			return nil, yamlProblem(err, b, root)
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

// yamlTypeError is one of yaml.v3's "line N: cannot unmarshal !!kind `value`
// into type" lines.
var yamlTypeError = regexp.MustCompile("^line ([0-9]+): cannot unmarshal !!([a-z]+)(?: `(.*)`)? into (.+)$")

// yamlLine is the "line N: " yaml.v3 puts in front of a syntax error.
var yamlLine = regexp.MustCompile(`^line ([0-9]+): (.*)$`)

// typeWords says in words what a field of the policy takes.
var typeWords = map[string]string{
	"[]string":            "a list of strings, like [a, b]",
	"[]yaml.Node":         `a list of patterns, like ["(?i)all.hands"]`,
	"bool":                "true or false",
	"string":              "a string",
	"map[string][]string": `a mapping of each field to a list of values, like {cohost: ["yes"]}`,
}

// kindWords says in words what the file holds where a field's value is.
func kindWords(kind, value string) string {
	if len(value) > 40 {
		value = value[:40] + "…"
	}
	switch kind {
	case "str":
		return fmt.Sprintf("the text %q", value)
	case "int", "float":
		return "the number " + value
	case "bool":
		return value
	case "map":
		return "a mapping"
	case "seq":
		return "a list"
	case "null":
		return "nothing"
	}
	return "a " + kind
}

// yamlProblem says in the operator's words what yaml.v3 found wrong with
// src, keeping the line: no Go types, no YAML tags, no bare "found
// character that cannot start any token". root is the parsed document, to
// name the key a wrong value belongs to (nil when src does not parse).
func yamlProblem(err error, src []byte, root *yaml.Node) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		parts := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			parts = append(parts, typeProblem(e, root))
		}
		return errors.New(strings.Join(parts, "; "))
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlAnchor.FindStringSubmatch(msg); m != nil {
		// The composer names no line: the alias's is the first that uses it.
		for i, l := range strings.Split(string(src), "\n") {
			if strings.Contains(l, "*"+m[1]) {
				return fmt.Errorf("line %d: %s", i+1, syntaxWords(msg, l))
			}
		}
		return errors.New(syntaxWords(msg, ""))
	}
	line := 1 // yaml.v3's scanner and parser leave the line out for a problem on the first one
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	return fmt.Errorf("line %d: %s", line, syntaxWords(msg, sourceLine(src, line)))
}

// yamlAnchor is yaml.v3's error for an alias without its anchor.
var yamlAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// typeProblem rewrites one "cannot unmarshal" line.
func typeProblem(e string, root *yaml.Node) string {
	m := yamlTypeError.FindStringSubmatch(strings.TrimSpace(e))
	if m == nil {
		if l := yamlLine.FindStringSubmatch(strings.TrimSpace(e)); l != nil {
			return "line " + l[1] + ": " + syntaxWords(l[2], "")
		}
		return strings.TrimSpace(e)
	}
	line, _ := strconv.Atoi(m[1])
	kind, value, goType := m[2], m[3], m[4]
	want, ok := typeWords[goType]
	if !ok {
		want = "another kind of value"
	}
	what := "this value"
	if key := keyAtLine(root, line, "!!"+kind); key != "" {
		what = key
	}
	out := fmt.Sprintf("line %d: %s must be %s, not %s", line, what, want, kindWords(kind, value))
	if goType == "[]string" && (kind == "str" || kind == "int" || kind == "bool" || kind == "float") {
		out += fmt.Sprintf(" (a list of one is written [%s])", value)
	}
	return out
}

// keyAtLine names (as a dotted path) the key whose value starts on line and
// has tag; "" when there is none. Aliases are not followed.
func keyAtLine(root *yaml.Node, line int, tag string) string {
	var found string
	var walk func(n *yaml.Node, path string, depth int)
	walk = func(n *yaml.Node, path string, depth int) {
		if n == nil || depth > 16 || found != "" {
			return
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path, depth+1)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				child := k.Value
				if path != "" {
					child = path + "." + k.Value
				}
				if v.Line == line && v.Tag == tag {
					found = child
					return
				}
				walk(v, child, depth+1)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, path, depth+1)
			}
		}
	}
	walk(root, "", 0)
	if len(found) > 80 {
		found = found[:80] + "…"
	}
	return found
}

// syntaxWords says what yaml.v3's syntax error means and what to do; text
// is the source line it names ("" when there is none).
func syntaxWords(msg, text string) string {
	indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
	switch {
	case strings.Contains(msg, "found character that cannot start any token"),
		strings.Contains(msg, "found a tab character"):
		if strings.Contains(indent, "\t") || strings.Contains(msg, "tab") {
			return "indented with a tab: YAML indents with spaces only"
		}
		return "a value starts with a character YAML reserves (@, ` or a tab): put the value in quotes"
	case strings.Contains(msg, "did not find expected ',' or ']'"):
		return "a list opened with [ is not closed with ], or two of its items lack the comma between them"
	case strings.Contains(msg, "did not find expected ',' or '}'"):
		return "a mapping opened with { is not closed with }, or two of its entries lack the comma between them"
	case strings.Contains(msg, "did not find expected node content"):
		return "a value is missing here, or a [ or { before it is not closed"
	case strings.Contains(msg, "did not find expected key"), strings.Contains(msg, "did not find expected '-' indicator"):
		return "the indentation does not line up: the keys of one mapping (and the - of one list) start in the same column"
	case strings.Contains(msg, "mapping values are not allowed in this context"):
		return `a second colon on one line: put a value that holds ": " in quotes, or start a nested mapping on the next line, indented`
	case strings.Contains(msg, "could not find expected ':'"):
		return "a key without its colon: write key: value"
	case strings.Contains(msg, "found unexpected end of stream"):
		return "the file ends inside a quoted string or an open [ or {: close it"
	case strings.Contains(msg, "found unknown escape character"):
		return `an unknown escape (a backslash) in a double-quoted string: use single quotes, or write \\ for a backslash`
	case strings.Contains(msg, "already defined at line"):
		return msg + ": keep one of them"
	case strings.HasPrefix(msg, "unknown anchor"):
		if m := yamlAnchor.FindStringSubmatch(msg); m != nil && len(m[1]) <= 40 {
			return fmt.Sprintf("the alias *%s refers to no anchor &%s defined above it", m[1], m[1])
		}
		return "an alias (*name) refers to no anchor (&name) defined above it"
	}
	return msg
}

// sourceLine is line n (1-based) of src, "" when there is none.
func sourceLine(src []byte, n int) string {
	lines := strings.Split(string(src), "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return lines[n-1]
}
