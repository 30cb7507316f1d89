package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/hostclient"
)

// HostPageFiles is the host page itself (package web): its HTML, the files
// it loads from cohostd, and the Content-Security-Policy it runs under.
type HostPageFiles interface {
	Render(w io.Writer, meetingID string) error
	Assets() fs.FS
	CSP() string
}

// HostClient is what the host page's protocol needs of cohostd
// (hostclient.Service).
type HostClient interface {
	Authenticate(ctx context.Context, secret, meetingID string) (hostclient.LinkRecord, error)
	Start(ctx context.Context, l hostclient.LinkRecord) (api.HostStartResponse, error)
	Sync(ctx context.Context, l hostclient.LinkRecord, req api.HostSyncRequest) (api.HostSyncResponse, error)
}

// maxSyncBody bounds a sync: a roster of 1,000 participants fits with room.
const maxSyncBody = 512 << 10

// HostPage serves the host page and its protocol:
//
//	GET  /host/{meetingId}                              the page (the link's secret is its fragment)
//	GET  /host/assets/...                               its script and style
//	POST /host/api/v1/meetings/{meetingId}/start        api.HostStartResponse
//	POST /host/api/v1/meetings/{meetingId}/sync         api.HostSyncRequest → api.HostSyncResponse
//
// Every API request carries the link's secret as a bearer token; nothing of
// it, nor of the ZAK or the signature, reaches a log line. Every answer is
// cross-origin isolated (isolated), so the SDK gets SharedArrayBuffer.
type HostPage struct {
	Files  HostPageFiles
	Client HostClient
	Logger *slog.Logger
}

// Mount adds the routes to r.
func (h *HostPage) Mount(r chi.Router) {
	r.With(isolated).Get("/host/{meetingId}", h.page)
	assets := http.StripPrefix("/host/assets/", fileServer(h.Files.Assets()))
	r.With(isolated).Get("/host/assets/*", func(w http.ResponseWriter, r *http.Request) {
		hostHeaders(w)
		w.Header().Set("Cache-Control", "no-cache")
		assets.ServeHTTP(w, r)
	})
	r.Route(api.HostAPIPrefix+"/meetings/{meetingId}", func(r chi.Router) {
		r.Use(isolated)
		r.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hostHeaders(w)
				w.Header().Set("Cache-Control", "no-store")
				next.ServeHTTP(w, r)
			})
		})
		r.Post("/start", h.start)
		r.Post("/sync", h.sync)
	})
}

// hostHeaders keep the page and its answers out of caches, referrers and
// other sites' frames.
func hostHeaders(w http.ResponseWriter) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
}

func (h *HostPage) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (h *HostPage) page(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "meetingId")
	if !api.CanonicalMeetingID(id) {
		// A link minted for a non-canonical id by an older build ends here
		// too: its meeting's revocation could not reach it.
		hostHeaders(w)
		writeError(w, http.StatusBadRequest, api.HostErrBadRequest, "this is not a host link cohost issues: a host link looks like /host/<meeting id>#<secret>, and "+
			api.MeetingIDForm+"; ask for a new link")
		return
	}
	var b bytes.Buffer
	if err := h.Files.Render(&b, id); err != nil {
		h.log().ErrorContext(r.Context(), "host page: render failed", "error", err.Error())
		writeError(w, http.StatusInternalServerError, "internal", "the host page could not be rendered; cohostd's log has the cause")
		return
	}
	htmlHeaders(w, h.Files.CSP())
	_, _ = w.Write(b.Bytes())
}

// authenticate checks the bearer secret for the URL's meeting.
func (h *HostPage) authenticate(w http.ResponseWriter, r *http.Request) (hostclient.LinkRecord, bool) {
	id := chi.URLParam(r, "meetingId")
	if !api.CanonicalMeetingID(id) {
		writeError(w, http.StatusBadRequest, api.HostErrBadRequest, "the URL's meeting id is not canonical: "+api.MeetingIDForm+
			"; a link for another form of the id is not valid, ask for a new link")
		return hostclient.LinkRecord{}, false
	}
	secret := ""
	if v := r.Header.Values("Authorization"); len(v) == 1 {
		if scheme, s, ok := strings.Cut(strings.TrimSpace(v[0]), " "); ok && strings.EqualFold(scheme, "Bearer") {
			secret = strings.TrimSpace(s)
		}
	}
	l, err := h.Client.Authenticate(r.Context(), secret, id)
	if err != nil {
		h.fail(w, r, err)
		return l, false
	}
	return l, true
}

func (h *HostPage) start(w http.ResponseWriter, r *http.Request) {
	l, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	out, err := h.Client.Start(r.Context(), l)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *HostPage) sync(w http.ResponseWriter, r *http.Request) {
	l, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSyncBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, api.HostErrBadRequest, "the sync body is larger than 512 KiB")
		return
	}
	var req api.HostSyncRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() || api.CheckUniqueKeys(body) != nil {
		writeError(w, http.StatusBadRequest, api.HostErrBadRequest, "the sync body is not a HostSyncRequest (api/hostpage.go)")
		return
	}
	out, err := h.Client.Sync(r.Context(), l, req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// fail answers an error of the host client; only failures on cohost's side
// are logged with their cause, and never with the secret.
func (h *HostPage) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeDomainError(w, r, h.log(), "host page request", err)
}
