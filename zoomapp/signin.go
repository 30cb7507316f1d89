package zoomapp

import (
	"encoding/json"
)

// SignInCallbackPath is where Zoom sends a host back after Sign in with Zoom
// (the host portal's callback, handlers.PortalCallbackPath).
const SignInCallbackPath = "/host/signin/callback"

// SignInScopes are the scopes of the sign-in app: reading the signed-in
// user (GET /users/me), nothing else. Everything the portal does after that
// uses cohost's own app and its :admin scopes.
func SignInScopes() []string { return []string{"user:read:user"} }

// SignInManifest renders the manifest of the Zoom app hosts sign in to the
// host portal with: a General app, user-managed (each user authorizes it for
// themselves, and it sees only their data), whose one scope is
// user:read:user and whose redirect is the portal's callback. It subscribes
// to no event and embeds nothing.
//
// It is a second app beside cohost's own: Zoom's apps are admin-managed or
// user-managed, never both ("there's no app type that combines both",
// https://developers.zoom.us/docs/build-flow/basic-info/app-mgmt/), and
// cohost's own app is admin-managed, installed once for a whole account, so
// its authorization cannot sign in the account's other users. Either auth
// mode takes it.
func SignInManifest(publicURL string) ([]byte, error) {
	base, err := CheckPublicURL(publicURL)
	if err != nil {
		return nil, err
	}
	redirect := base + SignInCallbackPath
	m := manifest{
		DisplayInformation: displayInformation{
			DisplayName: "cohost sign-in",
			Description: "Lets hosts sign in to cohost's host portal to start their meetings.",
		},
		OAuthInformation: oauthInformation{
			Usage:                  "USER_OPERATION",
			DevelopmentRedirectURI: redirect,
			ProductionRedirectURI:  redirect,
			OAuthAllowList:         []string{redirect},
			StrictMode:             true,
		},
		Features: features{Products: []string{}},
	}
	for _, s := range SignInScopes() {
		m.OAuthInformation.Scopes = append(m.OAuthInformation.Scopes, scope{Scope: s, Optional: false})
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
