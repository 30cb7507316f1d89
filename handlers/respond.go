package handlers

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/cohost-dev/cohost/api"
)

// writeJSON answers with v as JSON. Every JSON answer, errors included,
// carries nosniff: a browser must never read one as a page or a script,
// whatever a value in it looks like.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// htmlHeaders are the protections every HTML page cohostd serves carries
// (the host page, the console, the OAuth install pages, River UI's sign-in):
// its own Content-Security-Policy, which says frame-ancestors 'none', and
// X-Frame-Options for browsers that ignore that; no MIME sniffing; no
// Referer to anyone (the OAuth callback's URL holds the code and state, the
// host page's a meeting id); not kept in caches.
func htmlHeaders(w http.ResponseWriter, csp string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// staticPageCSP is the policy of cohostd's small server-rendered pages (the
// OAuth install's answers): nothing to load, run, submit or frame them.
const staticPageCSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// fileServer serves the files of fsys and answers 404 for a folder, which
// http.FileServer would list.
func fileServer(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" {
			name = "."
		}
		if fi, err := fs.Stat(fsys, name); strings.HasSuffix(r.URL.Path, "/") || err == nil && fi.IsDir() {
			writeError(w, http.StatusNotFound, "not_found", "no such file")
			return
		}
		files.ServeHTTP(w, r)
	})
}

// writeError answers with the small JSON error body every route uses. code is
// a stable machine-readable reason; detail says what to do about it and never
// carries secrets.
func writeError(w http.ResponseWriter, status int, code, detail string) {
	writeJSON(w, status, api.ErrorResponse{Error: code, Detail: detail})
}

// writeJSONTagged answers 200 with v and an ETag, or 304 without a body when the request's
// If-None-Match names that tag. The tag is a digest of the body, so every replica gives the same
// tag for the same data and a poller (the console) that moves between replicas still gets 304
// while nothing changed; the database is read either way, the answer is not sent again.
func writeJSONTagged(w http.ResponseWriter, r *http.Request, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "the answer could not be encoded")
		return
	}
	b = append(b, '\n')
	sum := sha256.Sum256(b)
	tag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	w.Header().Set("ETag", tag)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if etagMatches(r.Header.Values("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 section 13.1.2): any listed tag
// equal to tag once a W/ prefix is dropped, or "*".
func etagMatches(values []string, tag string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == tag {
				return true
			}
		}
	}
	return false
}
