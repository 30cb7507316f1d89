package handlers

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"

	"github.com/go-chi/chi/v5"
)

// ConsolePath is where cohostd serves the operator console, on its main listener beside the
// admin API the console reads.
const ConsolePath = "/console"

// ConsoleFiles is the operator console (package web): its HTML, the files it loads from cohostd
// and the Content-Security-Policy it runs under.
type ConsoleFiles interface {
	// Render writes the page; adminOff, when not empty, says why the admin API is off.
	Render(w io.Writer, adminOff string) error
	Assets() fs.FS
	CSP() string
}

// MountConsole adds the operator console to r:
//
//	GET /console            the page
//	GET /console/assets/... its script, style and icon
//
// The page itself needs no token: it holds no data, and asks the operator for an admin token
// that it sends only to the admin API. It is served while the admin API is off too, and then
// says how to turn it on.
func (a *Admin) MountConsole(r chi.Router, files ConsoleFiles) {
	r.Get(ConsolePath, func(w http.ResponseWriter, r *http.Request) {
		off := ""
		if !a.Enabled() {
			off = a.offDetail
		}
		var b bytes.Buffer
		if err := files.Render(&b, off); err != nil {
			a.logger.ErrorContext(r.Context(), "console: render failed", "error", err.Error())
			writeError(w, http.StatusInternalServerError, "internal", "the console could not be rendered; cohostd's log has the cause")
			return
		}
		htmlHeaders(w, files.CSP())
		_, _ = w.Write(b.Bytes())
	})
	r.Get(ConsolePath+"/", http.RedirectHandler(ConsolePath, http.StatusMovedPermanently).ServeHTTP)
	assets := http.StripPrefix(ConsolePath+"/assets/", fileServer(files.Assets()))
	r.Get(ConsolePath+"/assets/*", func(w http.ResponseWriter, r *http.Request) {
		hostHeaders(w)
		// Revalidated on every load, so a new cohostd's console is never mixed with an old
		// one's modules.
		w.Header().Set("Cache-Control", "no-cache")
		assets.ServeHTTP(w, r)
	})
}
