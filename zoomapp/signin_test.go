package zoomapp

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// The sign-in app's manifest: user-managed, the portal's callback as its only
// redirect, user:read:user as its only scope, no events; every field one of
// Zoom's template.
func TestSignInManifest(t *testing.T) {
	b, err := SignInManifest("https://cohost.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, b)
	const redirect = "https://cohost.example.com/host/signin/callback"
	o := m.OAuthInformation
	if o.Usage != "USER_OPERATION" || o.DevelopmentRedirectURI != redirect || o.ProductionRedirectURI != redirect ||
		!slices.Equal(o.OAuthAllowList, []string{redirect}) {
		t.Errorf("oauth_information %+v", o)
	}
	if len(o.Scopes) != 1 || o.Scopes[0].Scope != "user:read:user" || o.Scopes[0].Optional == nil || *o.Scopes[0].Optional {
		t.Errorf("scopes %+v, want user:read:user, required", o.Scopes)
	}
	if m.Features.EventSubscription.Enable || len(m.Features.EventSubscription.Events) > 0 || m.Features.Embed != nil {
		t.Errorf("features %+v: want no events, no embed", m.Features)
	}
	if n := len(m.DisplayInformation.DisplayName); n == 0 || n >= 50 {
		t.Errorf("display_name %q", m.DisplayInformation.DisplayName)
	}
	raw, err := os.ReadFile("testdata/manifest-shape.json")
	if err != nil {
		t.Fatal(err)
	}
	var shape, got any
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, problem := range matchShape("", got, shape) {
		t.Error(problem)
	}
	for _, path := range []string{"display_information.display_name", "oauth_information.usage", "oauth_information.development_redirect_uri", "features.products"} {
		if !has(got, path) {
			t.Errorf("%s is missing; Zoom marks it required", path)
		}
	}
	for _, bad := range []string{"", "http://cohost.example.com", "https://cohost.example.com/?x=1"} {
		if _, err := SignInManifest(bad); err == nil {
			t.Errorf("SignInManifest(%q) accepted", bad)
		}
	}
}
