package zoomapp

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/config"
)

const (
	listMeetings    = "meeting:read:list_meetings:admin"
	meetingRead     = "meeting:read:meeting:admin"
	meetingUpdate   = "meeting:update:meeting:admin"
	participantRead = "meeting:read:participant:admin"
	settingsRead    = "user:read:settings:admin"
	settingsUpdate  = "user:update:settings:admin"
	tokenRead       = "user:read:token:admin"
	userRead        = "user:read:user:admin"
)

func TestScopes(t *testing.T) {
	const (
		s2s   = config.AuthS2S
		oauth = config.AuthOAuth
	)
	tests := []struct {
		name     string
		granters []string
		mode     string
		want     []string
	}{
		{"host-client", []string{config.GranterHostClient}, s2s, []string{listMeetings, meetingRead, participantRead, settingsRead, tokenRead, userRead}},
		{"agent", []string{config.GranterAgent}, s2s, []string{meetingRead, participantRead, tokenRead}},
		{"permissions", []string{config.GranterPermissions}, s2s, []string{meetingRead, participantRead, meetingUpdate, settingsRead, settingsUpdate}},
		{"alternative-hosts", []string{config.GranterAlternativeHosts}, s2s, []string{meetingRead, participantRead, meetingUpdate, userRead}},
		{"host-client and agent share the ZAK scope", []string{config.GranterHostClient, config.GranterAgent}, s2s, []string{listMeetings, meetingRead, participantRead, settingsRead, tokenRead, userRead}},
		{"default granters", []string{config.GranterHostClient, config.GranterPermissions}, s2s,
			[]string{listMeetings, meetingRead, participantRead, meetingUpdate, settingsRead, tokenRead, userRead, settingsUpdate}},
		{"every granter", Granters(), s2s,
			[]string{listMeetings, meetingRead, participantRead, meetingUpdate, settingsRead, tokenRead, userRead, settingsUpdate}},
		{"order does not matter", []string{config.GranterPermissions, config.GranterHostClient}, s2s,
			[]string{listMeetings, meetingRead, participantRead, meetingUpdate, settingsRead, tokenRead, userRead, settingsUpdate}},
		{"oauth adds the install's scope", []string{config.GranterAgent}, oauth, []string{meetingRead, participantRead, tokenRead, userRead}},
		{"oauth default granters", []string{config.GranterHostClient, config.GranterPermissions}, oauth,
			[]string{listMeetings, meetingRead, participantRead, meetingUpdate, settingsRead, tokenRead, userRead, settingsUpdate}},
		{"install and alternative-hosts need the same scope once", []string{config.GranterAlternativeHosts}, oauth,
			[]string{meetingRead, participantRead, meetingUpdate, userRead}},
		{"no granter: the events' scope only", nil, s2s, []string{participantRead}},
		{"no granter, oauth", nil, oauth, []string{participantRead, userRead}},
		{"unknown names add nothing", []string{"bot", config.GranterAgent}, s2s, []string{meetingRead, participantRead, tokenRead}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Scopes(tt.granters, tt.mode)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Scopes(%v, %s) (-want +got):\n%s", tt.granters, tt.mode, diff)
			}
			if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Errorf("Scopes(%v, %s) = %v, want sorted and each once", tt.granters, tt.mode, got)
			}
		})
	}
}

// TestCalls keeps the table honest: every granter makes some call, every call
// is made by someone, and the scopes have the form an account-level app is
// granted.
func TestCalls(t *testing.T) {
	used := map[string]bool{}
	for _, c := range Calls() {
		if len(c.Granters) == 0 && !c.Install {
			t.Errorf("%s: made by no granter and not by the install", c.Endpoint)
		}
		for _, g := range c.Granters {
			if !slices.Contains(Granters(), g) {
				t.Errorf("%s: unknown granter %q", c.Endpoint, g)
			}
			used[g] = true
		}
		if !strings.HasSuffix(c.Scope, ":admin") {
			t.Errorf("%s: scope %q is not the :admin form", c.Endpoint, c.Scope)
		}
		if c.ClassicScope == "" || c.RateLabel == "" {
			t.Errorf("%s: classic scope or rate label missing", c.Endpoint)
		}
		if !slices.Contains([]string{"Light", "Medium", "Heavy"}, c.RateLabel) {
			t.Errorf("%s: rate label %q is not one of Zoom's", c.Endpoint, c.RateLabel)
		}
	}
	for _, g := range Granters() {
		if !used[g] {
			t.Errorf("granter %s makes no call", g)
		}
	}
}

func TestEvents(t *testing.T) {
	for _, mode := range []string{config.AuthS2S, config.AuthOAuth} {
		events := Events(mode)
		for _, e := range events {
			if !api.Handled(e) {
				t.Errorf("Events(%s) has %s, which cohost does not act on", mode, e)
			}
		}
		if slices.Contains(events, api.EventURLValidation) {
			t.Errorf("Events(%s) has %s: Zoom sends it unsubscribed", mode, api.EventURLValidation)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(events)))) != len(events) {
			t.Errorf("Events(%s) = %v, want each once", mode, events)
		}
	}
	// Every handled event is subscribed in oauth mode, app_deauthorized only there.
	if diff := cmp.Diff(api.HandledEvents(), Events(config.AuthOAuth)); diff != "" {
		t.Errorf("Events(oauth) differs from api.HandledEvents (-want +got):\n%s", diff)
	}
	want := slices.DeleteFunc(api.HandledEvents(), func(e string) bool { return e == api.EventAppDeauthorized })
	if diff := cmp.Diff(want, Events(config.AuthS2S)); diff != "" {
		t.Errorf("Events(s2s) (-want +got):\n%s", diff)
	}
	// The join is what grants hang on: losing it from the list would go unnoticed.
	for _, e := range []string{api.EventParticipantJoined, api.EventMeetingStarted, api.EventMeetingEnded, api.EventParticipantRoleChanged} {
		if !slices.Contains(Events(config.AuthS2S), e) {
			t.Errorf("Events(s2s) lacks %s", e)
		}
	}
}
