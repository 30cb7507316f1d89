package web

import (
	"embed"
	"html/template"
	"io"
	"io/fs"
	"strings"
	"time"
)

// The operator console (console/) answers "did this participant get co-host, and if not, why"
// in a browser: the meetings, one meeting's participants with their grant and reason, what each
// granter did to prepare it, a chart of time to co-host, the last hour's totals and a host link
// button. It is a client of the admin API (/v1, api/admin.openapi.yaml) and nothing else: it
// holds no state on the server, and it polls, because any replica answers the admin API and none
// of them knows when another has changed the ledger.

//go:embed console/index.html.tmpl
var consoleTemplateFS embed.FS

// The assets are embedded apart from the template so that ConsoleAssets serves nothing but them.
//
//go:embed console/*.js console/*.css console/*.svg
var consoleAssetFS embed.FS

var consoleTemplate = template.Must(template.ParseFS(consoleTemplateFS, "console/index.html.tmpl"))

// ConsolePollInterval is how often the console reads the admin API while it is shown: often
// enough that a grant appears within seconds, rare enough that an open tab costs a replica one
// indexed read of each kind every few seconds (answered 304 while nothing changed).
const ConsolePollInterval = 3 * time.Second

// ConsoleData is what the console's HTML is rendered from.
type ConsoleData struct {
	// AssetBase is where ConsoleAssets is served, e.g. "/console/assets" (no trailing slash).
	AssetBase string
	// AdminOff, when not empty, says why the admin API is off (it answers 404
	// admin_api_disabled); the console then says how to turn it on instead of asking for a token.
	AdminOff string
	// PollInterval is the time between two reads; ConsolePollInterval when zero.
	PollInterval time.Duration
}

// consoleTemplateData adds what the template computes from ConsoleData.
type consoleTemplateData struct {
	ConsoleData
	PollMS int64
}

// RenderConsole writes the console's HTML. Like the host page it has no inline script, style or
// event handler, so ConsoleCSP can forbid them; what the script needs reaches it through data-
// attributes. Nothing is written when rendering fails.
func RenderConsole(w io.Writer, d ConsoleData) error {
	d.AssetBase = strings.TrimRight(d.AssetBase, "/")
	if d.PollInterval <= 0 {
		d.PollInterval = ConsolePollInterval
	}
	return renderPage(w, consoleTemplate, consoleTemplateData{ConsoleData: d, PollMS: d.PollInterval.Milliseconds()})
}

// ConsoleAssets is what is served under ConsoleData.AssetBase: console.js and the modules it
// imports, console.css and the icon.
func ConsoleAssets() fs.FS {
	return assetDir(consoleAssetFS, "console")
}

// ConsoleCSP is the console's Content-Security-Policy. The console loads its own script, style
// and icon and talks to its own origin's admin API; it needs nothing else, so nothing else is
// allowed: no inline code (its markup has none), no other origin, no framing (it shows host
// links, which are host credentials, and a button that mints them), no forms that post
// anywhere (the token form is handled by the script). require-trusted-types-for makes the
// browser refuse any HTML string put into the DOM: the console builds its DOM from elements
// and textContent only, so a participant's name can never become markup.
func ConsoleCSP() string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"connect-src 'self'",
		"style-src 'self'",
		"img-src 'self'",
		"frame-ancestors 'none'",
		"base-uri 'none'",
		"form-action 'none'",
		"require-trusted-types-for 'script'",
	}, "; ")
}
