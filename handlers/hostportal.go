package handlers

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/cohost-dev/cohost/hostportal"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/web"
)

// The host portal's routes. They live under /host beside the host page
// (/host/{meetingId}, /host/assets/…, /host/api/v1/…), on paths a meeting id
// (digits only) never takes.
const (
	PortalPath         = "/host/"
	PortalSignInPath   = "/host/signin"
	PortalCallbackPath = "/host/signin/callback"
	PortalSignOutPath  = "/host/signout"
	portalAssetsPath   = "/host/portal/assets"
)

// PortalStartPath is where a meeting's Start button posts.
func PortalStartPath(meetingID string) string { return "/host/meetings/" + meetingID + "/start" }

// The portal's cookies. Both are HttpOnly, Secure and SameSite=Lax (sent on
// Zoom's top-level redirect back, never on another site's POST), and carry
// the __Secure- prefix, which browsers accept only with Secure set from a
// secure origin: https, or http on localhost and 127.0.0.1, which Chromium
// counts as secure (a test of the portal over http on 127.0.0.1 shows it).
const (
	// sessionCookie holds the session id, for every path under /host.
	sessionCookie = "__Secure-cohost-host"
	// signInCookie binds a sign-in to the browser that started it, for the
	// callback only.
	signInCookie = "__Secure-cohost-host-signin"
)

// Portal is the host portal (hostportal.Portal).
type Portal interface {
	Enabled() bool
	BeginSignIn(ctx context.Context) (hostportal.SignInStart, error)
	FinishSignIn(ctx context.Context, cb hostportal.Callback, browser string) (hostportal.Session, error)
	Session(ctx context.Context, id string) (hostportal.Session, error)
	SignOut(ctx context.Context, id string) error
	Meetings(ctx context.Context, s hostportal.Session) (hostportal.MeetingList, error)
	Start(ctx context.Context, s hostportal.Session, meetingID string) (string, error)
}

// HostPortal serves the portal:
//
//	GET  /host/                               the portal: the host's meetings, or Sign in with Zoom
//	GET  /host/signin                         302 to Zoom's sign-in, with PKCE and a signed state
//	GET  /host/signin/callback                the sign-in's end: a session cookie, 303 to /host/
//	POST /host/signout                        ends the session everywhere, 303 to /host/
//	POST /host/meetings/{meetingId}/start     303 to the host page with a fresh link's secret
//	GET  /host/portal/assets/...              its style and icon
//
// The POSTs are refused from other origins (net/http's CrossOriginProtection,
// by Sec-Fetch-Site, else Origin), on top of the session cookie's SameSite=Lax.
type HostPortal struct {
	Portal Portal
	// PublicURL is COHOST_PUBLIC_URL, whose origin the POSTs may come from
	// even when a proxy in front rewrites Host.
	PublicURL string
	// Off says why the portal is off, for the page; used when Portal is off.
	Off     string
	Logger  *slog.Logger
	Metrics *metrics.Metrics
}

func (h *HostPortal) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Mount adds the routes to r.
func (h *HostPortal) Mount(r chi.Router) {
	csrf := http.NewCrossOriginProtection()
	if u, err := url.Parse(h.PublicURL); err == nil && u.Scheme != "" && u.Host != "" {
		_ = csrf.AddTrustedOrigin(u.Scheme + "://" + u.Host)
	}
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.log().WarnContext(r.Context(), "host portal: cross-origin request refused", "path", r.URL.Path)
		h.render(w, r, http.StatusForbidden, web.PortalData{Problem: &web.PortalProblem{Title: "Refused",
			Detail: "This request came from another site. Open cohost's host portal and use its buttons."}})
	}))
	r.Group(func(r chi.Router) {
		r.Use(isolated, portalHeaders)
		r.Get(PortalPath, h.page)
		r.Get(strings.TrimSuffix(PortalPath, "/"), http.RedirectHandler(PortalPath, http.StatusMovedPermanently).ServeHTTP)
		r.Get(PortalSignInPath, h.signIn)
		r.Get(PortalCallbackPath, h.callback)
		r.With(csrf.Handler).Post(PortalSignOutPath, h.signOut)
		r.With(csrf.Handler).Post(PortalStartPath("{meetingId}"), h.start)
	})
	assets := http.StripPrefix(portalAssetsPath+"/", http.FileServerFS(web.PortalAssets()))
	r.With(isolated).Get(portalAssetsPath+"/*", func(w http.ResponseWriter, r *http.Request) {
		hostHeaders(w)
		if strings.HasSuffix(r.URL.Path, "/") {
			writeError(w, http.StatusNotFound, "not_found", "no such file")
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		assets.ServeHTTP(w, r)
	})
}

// isolated makes a response cross-origin isolated (web.CrossOriginOpenerPolicy,
// web.CrossOriginEmbedderPolicy): the host page and the portal, and what they
// load from cohostd.
func isolated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cross-Origin-Opener-Policy", web.CrossOriginOpenerPolicy)
		w.Header().Set("Cross-Origin-Embedder-Policy", web.CrossOriginEmbedderPolicy)
		next.ServeHTTP(w, r)
	})
}

// portalHeaders keep the portal's pages and redirects (which carry a host
// link's secret) out of caches, referrers and frames.
func portalHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hostHeaders(w)
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// render writes the portal's page with d, filling in its paths.
func (h *HostPortal) render(w http.ResponseWriter, r *http.Request, status int, d web.PortalData) {
	d.AssetBase, d.SignInPath, d.SignOutPath = portalAssetsPath, PortalSignInPath, PortalSignOutPath
	var b bytes.Buffer
	if err := web.RenderPortal(&b, d); err != nil {
		h.log().ErrorContext(r.Context(), "host portal: render failed", "error", err.Error())
		writeError(w, http.StatusInternalServerError, "internal", "the host portal could not be rendered; cohostd's log has the cause")
		return
	}
	w.Header().Set("Content-Security-Policy", web.PortalCSP())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// session is the signed-in host of the request, or the error that says why
// there is none.
func (h *HostPortal) session(r *http.Request) (hostportal.Session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return h.Portal.Session(r.Context(), "")
	}
	return h.Portal.Session(r.Context(), c.Value)
}

func (h *HostPortal) page(w http.ResponseWriter, r *http.Request) {
	if !h.Portal.Enabled() {
		h.render(w, r, http.StatusOK, web.PortalData{Off: h.Off})
		return
	}
	s, err := h.session(r)
	if err != nil {
		var pe *hostportal.Error
		if errors.As(err, &pe) && pe.Code == hostportal.CodeNotSignedIn {
			h.render(w, r, http.StatusOK, web.PortalData{})
			return
		}
		h.fail(w, r, err)
		return
	}
	h.list(w, r, http.StatusOK, s, nil)
}

// list renders the signed-in host's meetings, with problem above them.
func (h *HostPortal) list(w http.ResponseWriter, r *http.Request, status int, s hostportal.Session, problem *web.PortalProblem) {
	ml, err := h.Portal.Meetings(r.Context(), s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := web.PortalData{User: &web.PortalUser{Name: s.Name, Email: s.Email}, Notice: ml.Notice, Problem: problem}
	for _, m := range ml.Meetings {
		d.Meetings = append(d.Meetings, web.PortalMeeting{DisplayID: m.DisplayID, Topic: m.Topic, Day: m.Day, Time: m.Time,
			Live: m.Live, StartPath: PortalStartPath(m.ID)})
	}
	h.render(w, r, status, d)
}

func (h *HostPortal) signIn(w http.ResponseWriter, r *http.Request) {
	start, err := h.Portal.BeginSignIn(r.Context())
	h.count(metrics.PortalSignIn, err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: start.Browser, Path: PortalSignInPath,
		MaxAge: int(hostportal.SignInTTL.Seconds()), HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, start.AuthorizeURL, http.StatusFound)
}

// maxCallbackParam bounds what the callback takes from its query before the
// portal looks at it.
const maxCallbackParam = 2048

func (h *HostPortal) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cb := hostportal.Callback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error")}
	if len(cb.State) > maxCallbackParam || len(cb.Code) > maxCallbackParam || len(cb.Error) > maxCallbackParam {
		cb = hostportal.Callback{}
	}
	browser := ""
	if c, err := r.Cookie(signInCookie); err == nil {
		browser = c.Value
	}
	// The binding has done its work whatever the outcome: the state is spent.
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: "", Path: PortalSignInPath, MaxAge: -1, HttpOnly: true, Secure: true,
		SameSite: http.SameSiteLaxMode})
	s, err := h.Portal.FinishSignIn(r.Context(), cb, browser)
	h.count(metrics.PortalCallback, err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.ID, Path: "/host", Expires: s.ExpiresAt,
		MaxAge: max(1, int(time.Until(s.ExpiresAt).Seconds())), HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, PortalPath, http.StatusSeeOther)
}

func (h *HostPortal) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		err := h.Portal.SignOut(r.Context(), c.Value)
		h.count(metrics.PortalSignOut, err)
		if err != nil {
			h.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/host", MaxAge: -1, HttpOnly: true, Secure: true,
		SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, PortalPath, http.StatusSeeOther)
}

func (h *HostPortal) start(w http.ResponseWriter, r *http.Request) {
	s, err := h.session(r)
	if err != nil {
		h.count(metrics.PortalStart, err)
		h.fail(w, r, err)
		return
	}
	to, err := h.Portal.Start(r.Context(), s, chi.URLParam(r, "meetingId"))
	h.count(metrics.PortalStart, err)
	if err != nil {
		var pe *hostportal.Error
		if errors.As(err, &pe) && pe.Code != hostportal.CodeUnavailable {
			// Refused: the host's list again, with why on top.
			h.list(w, r, portalStatus(pe.Code), s, &web.PortalProblem{Title: pe.Title, Detail: pe.Detail})
			return
		}
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// count counts a step's outcome: ok, the portal's code, or internal.
func (h *HostPortal) count(step string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "internal"
		if pe, ok := errors.AsType[*hostportal.Error](err); ok {
			outcome = string(pe.Code)
		}
	}
	h.Metrics.CountHostPortal(step, outcome)
}

// fail answers an error of the portal with its page, saying what happened
// and what to do; only failures are logged with their cause.
func (h *HostPortal) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pe *hostportal.Error
	if !errors.As(err, &pe) {
		h.log().ErrorContext(r.Context(), "host portal request failed", "path", r.URL.Path, "error", err.Error())
		h.render(w, r, http.StatusInternalServerError, web.PortalData{Problem: &web.PortalProblem{Title: "Something went wrong",
			Detail: "cohost could not answer. Reload the page to try again; if it keeps failing, cohostd's log has the cause."}})
		return
	}
	status := portalStatus(pe.Code)
	switch {
	case status >= 500:
		h.log().WarnContext(r.Context(), "host portal request failed", "path", r.URL.Path, "code", string(pe.Code), "error", err.Error())
	default:
		h.log().InfoContext(r.Context(), "host portal request refused", "path", r.URL.Path, "code", string(pe.Code))
	}
	d := web.PortalData{Problem: &web.PortalProblem{Title: pe.Title, Detail: pe.Detail}}
	switch pe.Code {
	case hostportal.CodeOff:
		d = web.PortalData{Off: h.Off}
	case hostportal.CodeInvalidState, hostportal.CodeStateExpired, hostportal.CodeSignInRefused, hostportal.CodeAccountNotServed,
		hostportal.CodeNotSignedIn, hostportal.CodeTooManySignIns:
		d.Problem.SignIn = true
	}
	h.render(w, r, status, d)
}

// portalStatus is the HTTP status of a portal error code (statusOf).
func portalStatus(c hostportal.Code) int {
	if status, ok := statusOf[string(c)]; ok {
		return status
	}
	return http.StatusInternalServerError
}
