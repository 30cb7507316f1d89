// Package handlers is cohostd's HTTP layer (chi): the Zoom webhook ingress,
// health and readiness, and the mount points of the OAuth install flow and
// the admin API.
package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/webhook"
)

// EventIntake stores a verified event durably (engine.Intake).
type EventIntake interface {
	Accept(ctx context.Context, in grant.Inbound) (grant.IntakeResult, error)
}

// Deps is what the router needs.
type Deps struct {
	// Secrets are the webhook secret tokens, current first. Empty means every
	// delivery is rejected: the handler fails closed.
	Secrets webhook.Secrets
	Intake  EventIntake
	// Ready reports whether the service can take traffic (database reachable,
	// migrations done, not shutting down).
	Ready   func(ctx context.Context) error
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// Now is the clock for timestamp checks; time.Now when nil.
	Now func() time.Time
	// IntakeTimeout bounds the durable write so Zoom gets an answer (503 on
	// time-out, which Zoom retries) well inside its 3 s. Default 2 s.
	IntakeTimeout time.Duration
	// Mount adds routes owned by other parts (OAuth install, admin API).
	Mount func(r chi.Router)
}

// notReadyDetail is all /readyz tells a caller when cohostd is not ready.
const notReadyDetail = "cohostd cannot take traffic now; its log says why"

// Router returns cohostd's HTTP handler.
func Router(d Deps) http.Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.IntakeTimeout == 0 {
		d.IntakeTimeout = 2 * time.Second
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	r := chi.NewRouter()
	r.Use(requestID, requestLog(d.Logger), middleware.Recoverer)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such route")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "this route does not take "+r.Method)
	})
	r.Handle("/webhooks/zoom", &webhookHandler{d: d})
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := d.Ready(ctx); err != nil {
			// The cause (a database's user, name, host and port, a driver's
			// words) is for the operator's log, not for whoever can reach the
			// public listener.
			d.Logger.WarnContext(ctx, "not ready", "error", err.Error())
			writeError(w, http.StatusServiceUnavailable, "not_ready", notReadyDetail)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	if d.Mount != nil {
		d.Mount(r)
	}
	return r
}

// requestID gives every request an id of cohost's own for its log lines.
// chi's middleware.RequestID would take the caller's X-Request-Id header as
// it is, and an unauthenticated caller must not choose what is logged.
func requestID(next http.Handler) http.Handler {
	var prefix [6]byte
	_, _ = rand.Read(prefix[:])
	p := hex.EncodeToString(prefix[:])
	var seq atomic.Uint64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := p + "-" + strconv.FormatUint(seq.Add(1), 10)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), middleware.RequestIDKey, id)))
	})
}

// requestNote carries what a handler lets the request's log line say about
// outside input: the x-zm-request-id in the form the webhook handler chose
// (the id once the request authenticated, a digest before).
type requestNote struct{ deliveryID string }

type requestNoteKey struct{}

func noteDeliveryID(ctx context.Context, id string) {
	if n, ok := ctx.Value(requestNoteKey{}).(*requestNote); ok {
		n.deliveryID = id
	}
}

// maxLoggedPathBytes bounds the path in a log line: a request line can be as
// long as the server's header limit.
const maxLoggedPathBytes = 128

// requestLog logs one line per request with cohost's request id. It never
// logs headers or bodies: they carry signatures, tokens and personal data.
// The method and the path come from the caller, so they are bounded too.
func requestLog(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			note := &requestNote{}
			r = r.WithContext(context.WithValue(r.Context(), requestNoteKey{}, note))
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			level := slog.LevelInfo
			// Probes, and the reads of River UI and of the console (both poll
			// every few seconds), would drown the log; changes are logged with
			// who made them.
			if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" ||
				r.Method == http.MethodGet && (strings.HasPrefix(r.URL.Path, RiverUIPath+"/") || strings.HasPrefix(r.URL.Path, "/v1/")) {
				level = slog.LevelDebug
			}
			attrs := []slog.Attr{
				slog.String("request_id", middleware.GetReqID(r.Context())),
				slog.String("method", methodLabel(r.Method)),
				slog.String("path", api.CleanText(r.URL.Path, maxLoggedPathBytes)),
				slog.Int("status", ww.Status()),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			}
			if note.deliveryID != "" {
				attrs = append(attrs, slog.String("zm_request_id", note.deliveryID))
			}
			logger.LogAttrs(r.Context(), level, "http request", attrs...)
		})
	}
}

// methodLabel names the standard methods and lumps the rest together: a
// method is any token the caller sends.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "other"
}
