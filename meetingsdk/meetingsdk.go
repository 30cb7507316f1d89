// Package meetingsdk pins the version of Zoom's Web Meeting SDK (npm @zoom/meetingsdk, Component
// View) that cohost's host page loads, and says which of its functions and events the page may
// use. The npm project beside this file (package.json, package-lock.json) installs that exact
// version so that a test can load the real bundle offline in a headless browser
// (surface_test.go) and fail on the day Zoom changes the API; SURFACE.md records the shapes
// (participants, events, errors) read from that bundle, which the simulated SDK of package
// zoomsim mimics. Signature (signature.go) mints the Meeting SDK JWT with which any SDK client,
// the host page or an operator's agent, starts a meeting as its host.
package meetingsdk

import "strings"

// Version is the pinned @zoom/meetingsdk version; package.json names it exactly.
const Version = "6.2.0"

// CDNBase is where Zoom serves the SDK's files.
const CDNBase = "https://source.zoom.us"

// Script is one file a Component View page loads, in order.
type Script struct {
	// URL on Zoom's CDN.
	URL string
	// Dist is the same file in the npm package, relative to node_modules/@zoom/meetingsdk.
	Dist string
}

// Scripts are the files a page needs, in load order, so that window.ZoomMtgEmbedded is defined
// for Component View with Version.
//
// How this list was determined:
//   - Zoom's "Get started" page (https://developers.zoom.us/docs/meeting-sdk/web/get-started/,
//     "Install from CDN") lists, for both views, the dependencies
//     https://source.zoom.us/{VERSION}/lib/vendor/{react,react-dom,redux,redux-thunk,lodash}.min.js
//     and then, "CDN for component view",
//     https://source.zoom.us/zoom-meeting-embedded-{VERSION}.min.js (at the CDN root, not under
//     {VERSION}/), which is also the form in Zoom's own skills notes (zoom/skills,
//     skills/meeting-sdk/web/component-view/SKILL.md).
//   - The npm package ships the same files: dist/lib/vendor/ holds exactly those five (React and
//     ReactDOM 18.2.0, as the package's peerDependencies pin), and
//     dist/zoom-meeting-embedded-ES5.min.js opens with "For license information please see
//     zoom-meeting-embedded-6.2.0.min.js.LICENSE.txt", i.e. it is the CDN's embedded bundle.
//   - That bundle reads only the globals React and ReactDOM (its webpack externals) and sets
//     window.ZoomMtgEmbedded; Redux, ReduxThunk and lodash are loaded anyway because Zoom's page
//     lists them as dependencies of both views. surface_test.go loads the local copies in this
//     order and checks the result.
var Scripts = []Script{
	{CDNBase + "/" + Version + "/lib/vendor/react.min.js", "dist/lib/vendor/react.min.js"},
	{CDNBase + "/" + Version + "/lib/vendor/react-dom.min.js", "dist/lib/vendor/react-dom.min.js"},
	{CDNBase + "/" + Version + "/lib/vendor/redux.min.js", "dist/lib/vendor/redux.min.js"},
	{CDNBase + "/" + Version + "/lib/vendor/redux-thunk.min.js", "dist/lib/vendor/redux-thunk.min.js"},
	{CDNBase + "/" + Version + "/lib/vendor/lodash.min.js", "dist/lib/vendor/lodash.min.js"},
	{CDNBase + "/zoom-meeting-embedded-" + Version + ".min.js", "dist/zoom-meeting-embedded-ES5.min.js"},
}

// DefaultScriptURLs are the URLs of Scripts in load order: the default of COHOST_MEETING_SDK_URL.
var DefaultScriptURLs = scriptURLs()

func scriptURLs() []string {
	out := make([]string, len(Scripts))
	for i, s := range Scripts {
		out[i] = s.URL
	}
	return out
}

// DefaultScriptURLList is DefaultScriptURLs as the comma list COHOST_MEETING_SDK_URL takes.
func DefaultScriptURLList() string { return strings.Join(DefaultScriptURLs, ",") }

// AssetPath is the default of init's assetPath in this version (the WebAssembly and worker files);
// the package ships them under dist/lib/av.
const AssetPath = CDNBase + "/" + Version + "/lib/av"

// Surface is what cohost's host page may use of the Component View API, as declared in the
// package's embedded.d.ts: ZoomMtgEmbedded.createClient(), then these functions of the client and
// these events of client.on/off. Nothing else. endMeeting is declared in 6.2.0's embedded.d.ts
// (EmbeddedClient.endMeeting(): ExecutedResult), so the page may offer End as well as Leave.
var Surface = struct {
	// Global are functions of window.ZoomMtgEmbedded.
	Global []string
	// Functions are functions of the client createClient() returns.
	Functions []string
	// Events are event names of client.on/client.off.
	Events []string
}{
	Global:    []string{"createClient"},
	Functions: []string{"init", "join", "on", "off", "getAttendeeslist", "getCurrentUser", "makeCoHost", "leaveMeeting", "endMeeting"},
	Events:    []string{"user-added", "user-updated", "user-removed", "connection-change"},
}
