// Package zoomapp is what cohost needs from its Zoom app: the scopes of each
// granter, the events it subscribes to, and the app manifest that asks for
// both. It is the one place in the code that knows them; docs/zoom-setup.md's
// scopes table is generated from it and a test fails when the two drift.
//
// Zoom documents the scope of each call on its API reference pages
// (https://developers.zoom.us/docs/api/meetings/,
// https://developers.zoom.us/docs/api/users/), the ZAK route in
// https://developers.zoom.us/docs/meeting-sdk/auth/zak/ and the granular
// scope of "Get a user's token" in
// https://developers.zoom.us/docs/isv/workflows/start-meeting/.
//
// The manifest follows Zoom's manifest schema for General apps:
// https://developers.zoom.us/docs/build-flow/manifests/ (overview),
// https://developers.zoom.us/docs/build-flow/manifests/schema/,
// https://developers.zoom.us/docs/build-flow/manifests/schema/manifest-template/,
// https://developers.zoom.us/docs/build-flow/manifests/schema/display-information/,
// https://developers.zoom.us/docs/build-flow/manifests/schema/oauth-information/,
// https://developers.zoom.us/docs/build-flow/manifests/schema/features/,
// https://developers.zoom.us/docs/build-flow/manifests/schema/embed-features/ and
// https://developers.zoom.us/docs/build-flow/manifests/schema/event-subscription/.
// Only General apps take a manifest: Zoom's Marketplace API creates
// Server-to-Server OAuth and Meeting SDK apps from other parameters
// (https://developers.zoom.us/docs/api/marketplace/, "Create apps").
package zoomapp

//go:generate go test -run ^TestDocScopesTable$ -update .

import (
	"slices"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/config"
)

// Call is one Zoom REST call cohost makes, with what the Zoom app must be
// granted to make it.
type Call struct {
	// Endpoint is the method and path as Zoom's reference writes them,
	// relative to https://api.zoom.us/v2, with the query that matters.
	Endpoint string
	// Granters are the granters that make the call, in Granters() order.
	Granters []string
	// Install marks the call made once per install, in oauth mode only.
	Install bool
	// Why says what the call is for, where the endpoint alone does not.
	Why string
	// Scope is the granular scope in its :admin form, the one account-level
	// apps (every Server-to-Server OAuth app, and cohost's admin-managed
	// General app) are granted.
	Scope string
	// ClassicScope is the scope apps created before granular scopes use.
	ClassicScope string
	// RateLabel is Zoom's rate-limit label of the endpoint; RateNote adds a
	// limit of its own where Zoom documents one.
	RateLabel string
	RateNote  string
}

// Granters returns the names of every granter: the two that give the real
// co-host role first, then the REST-only ones.
func Granters() []string {
	return []string{config.GranterHostClient, config.GranterAgent, config.GranterPermissions, config.GranterAlternativeHosts}
}

// Calls returns every Zoom REST call cohost makes. Each call's rate label and
// scopes are those of Zoom's API reference for the endpoint.
func Calls() []Call {
	all := Granters()
	return []Call{
		{
			Endpoint:     "GET /meetings/{meetingId}",
			Granters:     all,
			Scope:        "meeting:read:meeting:admin",
			ClassicScope: "meeting:read:admin",
			RateLabel:    "Light",
		},
		{
			Endpoint:     "PATCH /meetings/{meetingId}",
			Granters:     []string{config.GranterPermissions, config.GranterAlternativeHosts},
			Scope:        "meeting:update:meeting:admin",
			ClassicScope: "meeting:write:admin",
			RateLabel:    "Light",
			RateNote:     "at most 100 updates per meeting per day",
		},
		{
			Endpoint:     "GET /users/{userId}",
			Granters:     []string{config.GranterHostClient, config.GranterAlternativeHosts},
			Why:          "the host's name on the host page; checks licensed, same account",
			Scope:        "user:read:user:admin",
			ClassicScope: "user:read:admin",
			RateLabel:    "Light",
		},
		{
			Endpoint:     "GET /users/{userId}/settings",
			Granters:     []string{config.GranterHostClient, config.GranterPermissions},
			Why:          "checks co-host is on; snapshot",
			Scope:        "user:read:settings:admin",
			ClassicScope: "user:read:admin",
			RateLabel:    "Medium",
		},
		{
			Endpoint:     "PATCH /users/{userId}/settings",
			Granters:     []string{config.GranterPermissions},
			Why:          "apply, restore",
			Scope:        "user:update:settings:admin",
			ClassicScope: "user:write:admin",
			RateLabel:    "Medium",
		},
		{
			// The ZAK comes from "Get a user's token" with type=zak, whose
			// granular scope is user:read:token[:admin]; user:read:zak
			// belongs to the other route, GET /users/me/zak, which cannot
			// read another user's ZAK.
			Endpoint:     "GET /users/{userId}/token?type=zak",
			Granters:     []string{config.GranterHostClient, config.GranterAgent},
			Why:          "start the meeting as its host",
			Scope:        "user:read:token:admin",
			ClassicScope: "user:read:admin",
			RateLabel:    "Light",
		},
		{
			// Zoom's list has scheduled meetings only; the portal adds the
			// live ones of the ledger.
			Endpoint:     "GET /users/{userId}/meetings?type=upcoming",
			Granters:     []string{config.GranterHostClient},
			Why:          "the host portal: the signed-in host's upcoming meetings",
			Scope:        "meeting:read:list_meetings:admin",
			ClassicScope: "meeting:read:admin",
			RateLabel:    "Medium",
		},
		{
			// GET /users/me is "Get a user" with userId=me.
			Endpoint:     "GET /users/me",
			Install:      true,
			Why:          "learn the installing account's id",
			Scope:        "user:read:user:admin",
			ClassicScope: "user:read:admin",
			RateLabel:    "Light",
		},
	}
}

// eventScope is the scope Zoom requires to subscribe to event, or "". Zoom's
// meeting webhook reference (https://developers.zoom.us/docs/api/meetings/events/)
// asks meeting:read:participant[:admin] of meeting.participant_joined; left
// and role_changed carry the same participant object and are given the same
// scope. No scope is added for the meeting.* events: none was found
// documented, and every granter holds meeting:read:meeting:admin anyway.
func eventScope(event string) string {
	switch event {
	case api.EventParticipantJoined, api.EventParticipantLeft, api.EventParticipantRoleChanged:
		return "meeting:read:participant:admin"
	}
	return ""
}

// Scopes returns the scopes a Zoom app needs for the named granters in the
// given auth mode (config.AuthS2S or config.AuthOAuth): those of every call
// the granters make, those the subscribed events require, and in oauth mode
// the install's. Sorted, each once. Names Granters() does not know add
// nothing: ParseGranters rejects them before this is asked.
func Scopes(granters []string, mode string) []string {
	var out []string
	for _, c := range Calls() {
		uses := c.Install && mode == config.AuthOAuth
		for _, g := range c.Granters {
			uses = uses || slices.Contains(granters, g)
		}
		if uses {
			out = append(out, c.Scope)
		}
	}
	for _, e := range Events(mode) {
		if s := eventScope(e); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
