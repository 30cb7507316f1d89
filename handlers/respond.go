package handlers

import (
	"encoding/json"
	"net/http"

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
