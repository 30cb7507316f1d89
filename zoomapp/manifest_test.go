package zoomapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cohost-dev/cohost/config"
)

// decoded is the part of a manifest the tests read back.
type decoded struct {
	DisplayInformation struct {
		DisplayName string `json:"display_name"`
	} `json:"display_information"`
	OAuthInformation struct {
		Usage                  string   `json:"usage"`
		DevelopmentRedirectURI string   `json:"development_redirect_uri"`
		ProductionRedirectURI  string   `json:"production_redirect_uri"`
		OAuthAllowList         []string `json:"oauth_allow_list"`
		Scopes                 []struct {
			Scope    string `json:"scope"`
			Optional *bool  `json:"optional"`
		} `json:"scopes"`
	} `json:"oauth_information"`
	Features struct {
		Embed *struct {
			MeetingSDK struct {
				Enable bool `json:"enable"`
			} `json:"meeting_sdk"`
		} `json:"embed"`
		EventSubscription struct {
			Enable bool `json:"enable"`
			Events []struct {
				EventTypes            []string `json:"event_types"`
				DevelopmentWebhookURL string   `json:"development_webhook_url"`
				ProductionWebhookURL  string   `json:"production_webhook_url"`
			} `json:"events"`
		} `json:"event_subscription"`
	} `json:"features"`
}

func mustManifest(t *testing.T, opts Options) []byte {
	t.Helper()
	b, err := Manifest(opts)
	if err != nil {
		t.Fatalf("Manifest(%+v): %v", opts, err)
	}
	return b
}

func decode(t *testing.T, b []byte) decoded {
	t.Helper()
	var m decoded
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest is not JSON: %v\n%s", err, b)
	}
	return m
}

// TestManifestAsksForScopesAndEvents: what the manifest asks of Zoom is
// exactly Scopes and Events, so the app cannot lack what a granter calls.
func TestManifestAsksForScopesAndEvents(t *testing.T) {
	combos := [][]string{
		{config.GranterHostClient, config.GranterPermissions},
		{config.GranterHostClient},
		{config.GranterAgent},
		{config.GranterPermissions},
		{config.GranterAlternativeHosts},
		{config.GranterAgent, config.GranterAlternativeHosts, config.GranterPermissions},
		Granters(),
	}
	for _, granters := range combos {
		t.Run(strings.Join(granters, ","), func(t *testing.T) {
			m := decode(t, mustManifest(t, Options{PublicURL: "https://cohost.example.com/", Granters: granters}))

			var scopes []string
			for _, s := range m.OAuthInformation.Scopes {
				scopes = append(scopes, s.Scope)
				if s.Optional == nil || *s.Optional {
					t.Errorf("scope %s: optional must be false, and written", s.Scope)
				}
			}
			if diff := cmp.Diff(Scopes(granters, config.AuthOAuth), scopes); diff != "" {
				t.Errorf("scopes differ from Scopes (-want +got):\n%s", diff)
			}

			es := m.Features.EventSubscription
			if !es.Enable || len(es.Events) != 1 {
				t.Fatalf("event_subscription: enable=%v with %d subscriptions, want one enabled", es.Enable, len(es.Events))
			}
			sub := es.Events[0]
			if diff := cmp.Diff(Events(config.AuthOAuth), sub.EventTypes); diff != "" {
				t.Errorf("event_types differ from Events (-want +got):\n%s", diff)
			}
			const webhook = "https://cohost.example.com/webhooks/zoom"
			if sub.DevelopmentWebhookURL != webhook || sub.ProductionWebhookURL != webhook {
				t.Errorf("webhook URLs %q, %q, want %q", sub.DevelopmentWebhookURL, sub.ProductionWebhookURL, webhook)
			}

			const redirect = "https://cohost.example.com/oauth/callback"
			o := m.OAuthInformation
			if o.DevelopmentRedirectURI != redirect || o.ProductionRedirectURI != redirect || !slices.Equal(o.OAuthAllowList, []string{redirect}) {
				t.Errorf("redirect %q, %q, allow list %v; want %q in each", o.DevelopmentRedirectURI, o.ProductionRedirectURI, o.OAuthAllowList, redirect)
			}

			hostClient := slices.Contains(granters, config.GranterHostClient)
			embedded := m.Features.Embed != nil && m.Features.Embed.MeetingSDK.Enable
			if embedded != hostClient {
				t.Errorf("Meeting SDK embed enabled=%v, want %v (host-client among the granters: %v)", embedded, hostClient, hostClient)
			}
		})
	}
}

// TestManifestValues checks the values Zoom's field tables constrain.
func TestManifestValues(t *testing.T) {
	m := decode(t, mustManifest(t, Options{PublicURL: "https://cohost.example.com", Granters: Granters()}))
	if n := len(m.DisplayInformation.DisplayName); n == 0 || n >= 50 {
		t.Errorf("display_name %q: Zoom wants one of fewer than 50 characters", m.DisplayInformation.DisplayName)
	}
	// usage is ADMIN_MANAGEMENT or USER_OPERATION; cohost's app is admin-managed,
	// and an admin-managed app is granted :admin scopes only.
	if m.OAuthInformation.Usage != "ADMIN_MANAGEMENT" {
		t.Errorf("usage %q, want ADMIN_MANAGEMENT", m.OAuthInformation.Usage)
	}
	for _, s := range m.OAuthInformation.Scopes {
		if !strings.HasSuffix(s.Scope, ":admin") {
			t.Errorf("scope %s in an admin-managed app", s.Scope)
		}
	}
}

// TestManifestShape compares the manifest with the shape of Zoom's template
// (testdata/manifest-shape.json): every field must be one Zoom documents, with
// the JSON type Zoom's examples give it. Fields may be left out, except those
// Zoom's field tables mark required.
func TestManifestShape(t *testing.T) {
	raw, err := os.ReadFile("testdata/manifest-shape.json")
	if err != nil {
		t.Fatal(err)
	}
	var shape any
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatalf("testdata/manifest-shape.json: %v", err)
	}
	for _, granters := range [][]string{{config.GranterPermissions}, Granters()} {
		b := mustManifest(t, Options{PublicURL: "http://localhost:8080", Granters: granters})
		var got any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		for _, problem := range matchShape("", got, shape) {
			t.Errorf("granters %v: %s", granters, problem)
		}
		for _, path := range []string{
			"display_information.display_name",
			"oauth_information.usage",
			"oauth_information.development_redirect_uri",
			"features.products",
		} {
			if !has(got, path) {
				t.Errorf("granters %v: %s is missing; Zoom marks it required", granters, path)
			}
		}
	}
}

// TestMatchShape: the comparison itself catches what it is there to catch.
func TestMatchShape(t *testing.T) {
	shape := map[string]any{"a": "string", "b": []any{map[string]any{"c": "boolean"}}, "d": map[string]any{}}
	tests := []struct {
		doc  string
		want int
	}{
		{`{"a": "x", "b": [{"c": true}]}`, 0},
		{`{}`, 0},
		{`{"z": 1}`, 1},
		{`{"a": 1}`, 1},
		{`{"b": [{"c": "yes"}]}`, 1},
		{`{"b": {"c": true}}`, 1},
		{`{"d": {"e": 1}}`, 1},
		{`{"b": [{"c": true, "x": null}]}`, 1},
	}
	for _, tt := range tests {
		var got any
		if err := json.Unmarshal([]byte(tt.doc), &got); err != nil {
			t.Fatal(err)
		}
		if problems := matchShape("", got, shape); len(problems) != tt.want {
			t.Errorf("%s: %d problems %v, want %d", tt.doc, len(problems), problems, tt.want)
		}
	}
}

func matchShape(path string, got, shape any) []string {
	switch s := shape.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %s, Zoom's template has an object", name(path), jsonType(got))}
		}
		var problems []string
		keys := make([]string, 0, len(g))
		for k := range g {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub, ok := s[k]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: not a field of Zoom's template", join(path, k)))
				continue
			}
			problems = append(problems, matchShape(join(path, k), g[k], sub)...)
		}
		return problems
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %s, Zoom's template has an array", name(path), jsonType(got))}
		}
		var problems []string
		for i, e := range g {
			if len(s) == 0 {
				return []string{fmt.Sprintf("%s: Zoom's template shows no element of this array", name(path))}
			}
			problems = append(problems, matchShape(fmt.Sprintf("%s[%d]", path, i), e, s[0])...)
		}
		return problems
	case string:
		if jsonType(got) != s {
			return []string{fmt.Sprintf("%s: %s, Zoom's template has a %s", name(path), jsonType(got), s)}
		}
		return nil
	}
	return []string{fmt.Sprintf("%s: the shape file has %T, not a type name", name(path), shape)}
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func name(path string) string {
	if path == "" {
		return "the manifest"
	}
	return path
}

func has(doc any, path string) bool {
	for _, k := range strings.Split(path, ".") {
		m, ok := doc.(map[string]any)
		if !ok {
			return false
		}
		if doc, ok = m[k]; !ok {
			return false
		}
	}
	return true
}

func TestManifestDeterministic(t *testing.T) {
	opts := Options{PublicURL: "https://cohost.example.com", Granters: Granters()}
	if a, b := mustManifest(t, opts), mustManifest(t, opts); !bytes.Equal(a, b) {
		t.Fatal("two manifests from the same options differ")
	}
}

func TestManifestRejects(t *testing.T) {
	ok := Options{PublicURL: "https://cohost.example.com", Granters: []string{config.GranterPermissions}}
	tests := []struct {
		name   string
		change func(*Options)
		want   string
	}{
		{"no URL", func(o *Options) { o.PublicURL = "" }, "not an absolute URL"},
		{"relative URL", func(o *Options) { o.PublicURL = "cohost.example.com" }, "not an absolute URL"},
		{"plain http", func(o *Options) { o.PublicURL = "http://cohost.example.com" }, "must use https"},
		{"no granter", func(o *Options) { o.Granters = nil }, "no granter"},
		{"unknown granter", func(o *Options) { o.Granters = []string{"bot"} }, `unknown granter "bot": use a comma list of host-client, agent, permissions, alternative-hosts`},
		{"unknown mode", func(o *Options) { o.Mode = "jwt" }, `unknown mode "jwt"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := ok
			tt.change(&opts)
			_, err := Manifest(opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Manifest(%+v) = %v, want an error with %q", opts, err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
	opts := ok
	opts.Mode = config.AuthS2S
	if _, err := Manifest(opts); !errors.Is(err, ErrNoManifestForS2S) {
		t.Errorf("s2s mode: %v, want ErrNoManifestForS2S", err)
	}
}

func TestCheckPublicURL(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://cohost.example.com", "https://cohost.example.com", true},
		{"https://cohost.example.com/", "https://cohost.example.com", true},
		{"https://example.com/cohost/", "https://example.com/cohost", true},
		{"https://cohost.example.com:8443", "https://cohost.example.com:8443", true},
		{"http://localhost:8080", "http://localhost:8080", true},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080", true},
		{"http://[::1]:8080", "http://[::1]:8080", true},
		{"http://cohost.example.com", "", false},
		{"http://10.0.0.1", "", false},
		{"ftp://cohost.example.com", "", false},
		{"cohost.example.com", "", false},
		{"/oauth", "", false},
		{"https://", "", false},
		{"https://cohost.example.com/?x=1", "", false},
		{"https://cohost.example.com/?", "", false},
		{"https://cohost.example.com/#top", "", false},
		{"https://user:pw@cohost.example.com", "", false},
		{"https://cohost example.com", "", false},
	}
	for _, tt := range tests {
		got, err := CheckPublicURL(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("CheckPublicURL(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseGranters(t *testing.T) {
	got, err := ParseGranters(" host-client, permissions,,host-client ")
	if err != nil || !slices.Equal(got, []string{config.GranterHostClient, config.GranterPermissions}) {
		t.Errorf("ParseGranters = %v, %v", got, err)
	}
	for _, bad := range []string{"", " , ", "agent,bot"} {
		if _, err := ParseGranters(bad); err == nil {
			t.Errorf("ParseGranters(%q) accepted", bad)
		}
	}
}
