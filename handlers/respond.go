package handlers

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/cohost-dev/cohost/api"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
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
