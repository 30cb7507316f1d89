// Package web holds the pages cohostd serves to browsers.
//
// The host page (host/) is where a meeting's host runs the meeting instead of Zoom's start_url:
// it embeds Zoom's Web Meeting SDK (Component View), starts the meeting as host with what
// cohostd hands it, calls makeCoHost when cohostd says so and shows the host who is co-host and
// why anyone is not. It speaks the protocol of api/hostpage.go. The files are plain JavaScript
// modules and CSS, embedded in the binary, with no build step; cohostd renders the HTML with
// RenderHostPage, serves HostAssets under HostPageData.AssetBase and sends HostCSP as the page's
// Content-Security-Policy.
//
// The operator console (console/) is where an operator sees who got co-host and why not: a client
// of the admin API, served the same way (RenderConsole, ConsoleAssets, ConsoleCSP).
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/url"
	"regexp"
	"strings"

	"github.com/cohost-dev/cohost/api"
)

//go:embed host/index.html.tmpl
var hostTemplateFS embed.FS

// The assets are embedded apart from the template so that HostAssets serves nothing but them.
//
//go:embed host/*.js host/*.css
var hostAssetFS embed.FS

var hostTemplate = template.Must(template.ParseFS(hostTemplateFS, "host/index.html.tmpl"))

// HostPageData is what the host page's HTML is rendered from.
type HostPageData struct {
	// MeetingID is the meeting's numeric id, as in the page's path (api.HostPagePath).
	MeetingID string
	// SDKScripts are the script URLs of COHOST_MEETING_SDK_URL, loaded in this order before the
	// page's own module.
	SDKScripts []string
	// AssetBase is where HostAssets is served, e.g. "/host/assets" (no trailing slash).
	AssetBase string
	// SDKAssetPath is init's assetPath: where the SDK loads its WebAssembly, worker and media
	// files from. Empty keeps the SDK's default, Zoom's CDN for its version
	// (meetingsdk.AssetPath), which is right for the default COHOST_MEETING_SDK_URL; a copy of the
	// SDK served elsewhere needs its lib/av here (an absolute http(s) URL or a path), and its
	// origin among the URLs given to HostCSP.
	SDKAssetPath string
}

// hostTemplateData adds what the template needs besides HostPageData.
type hostTemplateData struct {
	HostPageData
	APIPrefix string
}

// RenderHostPage writes the host page's HTML. The meeting id reaches the script through a
// data- attribute; the page has no inline script, style or event handler, so the CSP can forbid
// them. Nothing is written when rendering fails.
func RenderHostPage(w io.Writer, d HostPageData) error {
	d.AssetBase = strings.TrimRight(d.AssetBase, "/")
	if d.SDKAssetPath != "" && !assetPathOK(d.SDKAssetPath) {
		return fmt.Errorf("web: SDK asset path %q is neither an http(s) URL nor an absolute path", d.SDKAssetPath)
	}
	d.SDKAssetPath = strings.TrimRight(d.SDKAssetPath, "/")
	return renderPage(w, hostTemplate, hostTemplateData{HostPageData: d, APIPrefix: api.HostAPIPrefix})
}

// renderPage executes t into a buffer first, so that a page that fails to render writes nothing
// (the handler can still answer with an error page).
func renderPage(w io.Writer, t *template.Template, data any) error {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// assetDir is the embedded directory dir of fsys as a file system of its own.
func assetDir(fsys embed.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant, valid path; fs.Sub fails only on invalid ones
	}
	return sub
}

func assetPathOK(p string) bool {
	if strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") {
		return true
	}
	u, err := url.Parse(p)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.User == nil && plainHost.MatchString(strings.ToLower(u.Host))
}

// HostAssets is what is served under HostPageData.AssetBase: host.js and the modules it
// imports, and host.css.
func HostAssets() fs.FS {
	return assetDir(hostAssetFS, "host")
}

// Zoom's service origins: the SDK talks to Zoom's web and media servers under zoom.us over
// HTTPS and WebSocket, and loads its WebAssembly and worker files from source.zoom.us (init's
// default assetPath, meetingsdk.AssetPath).
const (
	zoomHTTPS = "https://*.zoom.us"
	zoomWSS   = "wss://*.zoom.us"
	// zoomApex is zoom.us itself, which "*.zoom.us" does not match: join's first request is
	// https://zoom.us/api/v1/wc/info (init's default webEndpoint is "zoom.us"; meetingsdk/SURFACE.md,
	// and TestRealSDKUnderHostCSP sees it).
	zoomApex = "https://zoom.us"
)

// HostCSP is the host page's Content-Security-Policy for the SDK scripts it loads (and, if it is
// on another origin, HostPageData.SDKAssetPath among them).
//
// script-src and connect-src allow only the page's own origin, the origins of sdkScripts and
// Zoom's service origins. The other directives are what the real 6.2.0 bundle needs to run; each
// says why below. URLs in sdkScripts that are not absolute http(s) URLs with a plain host
// contribute no origin (their script is then blocked and the page says the SDK did not load), so
// nothing in the list can widen the policy beyond the hosts it names.
//
// Not allowed on purpose: when its files fail to load from source.zoom.us, the bundle retries
// them from Zoom's backup CDN, https://dmogdx0jrul3u.cloudfront.net (its AssetLoader). That
// origin is not Zoom's service domain; the policy refuses it, and the join then fails with
// "dependent assets are not accessible" (5001), which the page explains.
func HostCSP(sdkScripts []string) string {
	origins := scriptOrigins(sdkScripts)
	src := func(parts ...string) string {
		var out []string
		for _, p := range parts {
			if p != "" {
				out = append(out, p)
			}
		}
		return strings.Join(out, " ")
	}
	sdk := strings.Join(origins, " ")
	directives := []string{
		// Everything not named below is refused.
		"default-src 'none'",
		// 'wasm-unsafe-eval': the SDK compiles its audio, video and sharing codecs from
		// WebAssembly (lib/av/*.wasm, which it checks with WebAssembly.validate); it allows
		// WebAssembly only, not eval or new Function. Offline the join stops before that, so no
		// test here can show it.
		// https://*.zoom.us: at join the SDK loads js_media.min.js (and later its worklets) from
		// its assetPath, by default on source.zoom.us.
		"script-src " + src("'self'", sdk, zoomHTTPS, "'wasm-unsafe-eval'"),
		// The page's own API ('self'), the SDK's origins (its language files beside the scripts;
		// the simulated SDK's endpoints), and Zoom's web and media servers.
		"connect-src " + src("'self'", sdk, zoomApex, zoomHTTPS, zoomWSS),
		// The SDK runs its codecs in workers: it creates one from a blob: URL already at join
		// (TestRealSDKNeedsHostCSPExtras), others from its asset files.
		"worker-src " + src("'self'", sdk, zoomHTTPS, "blob:"),
		// 'unsafe-inline': the SDK's React components inject <style> elements at run time
		// (emotion's <style data-emotion>, MUI's layer order, goober, react-draggable) and style
		// attributes, without a nonce the page could set; without it Chromium refuses them at
		// init. Style cannot run script.
		"style-src 'self' 'unsafe-inline'",
		// Avatars and the SDK's images (source.zoom.us/<version>/lib/image, or beside a self-hosted
		// copy), icons inlined as data: URLs (refused at init without data:), virtual backgrounds
		// and snapshots as blob: URLs.
		"img-src " + src("'self'", sdk, zoomHTTPS, "data:", "blob:"),
		// The SDK's sounds (st1.zoom.us, the speaker test's ring.mp3) and recorded audio played
		// back from blob: URLs.
		"media-src " + src("'self'", sdk, zoomHTTPS, "data:", "blob:"),
		// The whiteboard opens Zoom's dashboard in an iframe (https://<zoom web host>/wb/embed/...).
		"frame-src " + zoomHTTPS,
		// The page holds a host credential: it must not be framed (clickjacking End or Leave),
		// rebased, or made to submit or embed plugins.
		"frame-ancestors 'none'",
		"base-uri 'none'",
		"form-action 'none'",
		"object-src 'none'",
	}
	return strings.Join(directives, "; ")
}

// plainHost is a host name, an IPv4 address or a bracketed IPv6 address, with an optional port:
// no wildcard, quote, semicolon or space can pass into the policy.
var plainHost = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$`)

// scriptOrigins returns the origins (scheme://host[:port]) of the absolute http and https URLs
// among urls, lower-cased, each once, in order of first appearance.
func scriptOrigins(urls []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, raw := range urls {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
			continue
		}
		host := strings.ToLower(u.Host)
		if !plainHost.MatchString(host) {
			continue
		}
		origin := u.Scheme + "://" + host
		if !seen[origin] {
			seen[origin] = true
			out = append(out, origin)
		}
	}
	return out
}
