package web

import (
	"embed"
	"html/template"
	"io"
	"io/fs"
	"strings"
)

// The host portal (portal/) is where a host signs in with Zoom and starts one of their meetings
// from the host page. cohostd renders it on the server, in the words of package hostportal; the
// page has no script at all: its buttons are forms that post to cohostd, which answers each with
// a redirect (303) or a page.

//go:embed portal/index.html.tmpl
var portalTemplateFS embed.FS

// The assets are embedded apart from the template so that PortalAssets serves nothing but them.
//
//go:embed portal/*.css portal/*.svg
var portalAssetFS embed.FS

var portalTemplate = template.Must(template.ParseFS(portalTemplateFS, "portal/index.html.tmpl"))

// PortalData is what the portal's HTML is rendered from. With neither User nor Off it is the
// signed-out page, which offers Sign in with Zoom.
type PortalData struct {
	// AssetBase is where PortalAssets is served, e.g. "/host/portal/assets" (no trailing slash).
	AssetBase string
	// SignInPath, SignOutPath: where the sign-in link and the sign-out form go.
	SignInPath  string
	SignOutPath string
	// Off, when not empty, says why signing in is off; the page says that and nothing else.
	Off string
	// User is the signed-in host; nil when signed out.
	User *PortalUser
	// Meetings are the host's live and upcoming meetings, in the order to show.
	Meetings []PortalMeeting
	// Notice says what the list lacks, when it does.
	Notice string
	// Problem, when set, is what went wrong with the last action (a refused sign-in, a meeting
	// the host cannot start), shown above everything else.
	Problem *PortalProblem
}

// PortalUser is the signed-in host.
type PortalUser struct {
	Name  string
	Email string
}

// PortalMeeting is one row of the host's list.
type PortalMeeting struct {
	// DisplayID is the meeting ID as Zoom shows it ("857 4606 5432").
	DisplayID string
	Topic     string
	// Day and Time say when, as Zoom's lists do.
	Day  string
	Time string
	Live bool
	// StartPath is where the row's Start button posts.
	StartPath string
}

// PortalProblem is a refusal or failure, in plain words.
type PortalProblem struct {
	Title  string
	Detail string
	// SignIn offers Sign in with Zoom beside it (the problem ended or refused a sign-in).
	SignIn bool
}

// RenderPortal writes the portal's HTML. Nothing is written when rendering fails.
func RenderPortal(w io.Writer, d PortalData) error {
	d.AssetBase = strings.TrimRight(d.AssetBase, "/")
	return renderPage(w, portalTemplate, d)
}

// PortalAssets is what is served under PortalData.AssetBase: portal.css and the icon.
func PortalAssets() fs.FS {
	return assetDir(portalAssetFS, "portal")
}

// PortalCSP is the portal's Content-Security-Policy. The page is HTML and CSS from its own
// origin, with no script: none is allowed. Its forms post to its own origin only, and the
// redirects that answer them (to the host page) stay there too, which form-action also holds
// Chromium to; Sign in with Zoom is a link, which form-action does not govern.
func PortalCSP() string {
	return strings.Join([]string{
		"default-src 'none'",
		"style-src 'self'",
		"img-src 'self'",
		"form-action 'self'",
		"frame-ancestors 'none'",
		"base-uri 'none'",
	}, "; ")
}
