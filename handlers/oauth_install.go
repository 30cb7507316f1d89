package handlers

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/cohost-dev/cohost/zoomclient"
)

// Routes of the install flow (ZOOM_AUTH_MODE=oauth). The callback's absolute
// URL is the app's Redirect URL on the Zoom Marketplace (zoomclient.Config.RedirectURL).
const (
	PathOAuthInstall  = "/oauth/install"
	PathOAuthCallback = "/oauth/callback"
)

// installCookie holds the nonce of the install state, binding the state Zoom
// sends back to the browser that started the install.
const installCookie = "cohost_zoom_install"

// OAuthInstall serves the Marketplace install flow:
//
//	GET /oauth/install   302 to Zoom's consent page with a signed, short-lived state
//	GET /oauth/callback  checks the state, exchanges the code, stores the account's
//	                     tokens, and says what was installed for which account
//
// and forgets an account's tokens on app_deauthorized (HandleAppDeauthorized).
type OAuthInstall struct {
	// Zoom is the oauth-mode client.
	Zoom *zoomclient.Client
	// Logger; nil discards.
	Logger *slog.Logger
}

// NewOAuthInstall returns the install handlers for an oauth-mode client.
func NewOAuthInstall(zoom *zoomclient.Client, logger *slog.Logger) *OAuthInstall {
	return &OAuthInstall{Zoom: zoom, Logger: logger}
}

// Mount adds GET /oauth/install and GET /oauth/callback to r.
func (h *OAuthInstall) Mount(r chi.Router) {
	r.Get(PathOAuthInstall, h.ServeInstall)
	r.Get(PathOAuthCallback, h.ServeCallback)
}

func (h *OAuthInstall) log() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

// secureCookie: the Marketplace requires an https redirect URL; plain http is
// local development, where a Secure cookie would never come back.
func (h *OAuthInstall) secureCookie() bool {
	u, err := url.Parse(h.Zoom.OAuth.RedirectURL())
	return err != nil || u.Scheme != "http"
}

// ServeInstall redirects the browser to Zoom's consent page.
func (h *OAuthInstall) ServeInstall(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET")
		return
	}
	state, nonce, err := h.Zoom.OAuth.NewState()
	if err == nil {
		var authorize string
		authorize, err = h.Zoom.OAuth.AuthorizeURL(state)
		if err == nil {
			http.SetCookie(w, &http.Cookie{
				Name:     installCookie,
				Value:    nonce,
				Path:     "/",
				MaxAge:   int(h.Zoom.OAuth.StateTTL().Seconds()),
				HttpOnly: true,
				Secure:   h.secureCookie(),
				SameSite: http.SameSiteLaxMode, // sent on Zoom's top-level redirect back
			})
			// The redirect's body is a small page: it gets a page's protections.
			htmlHeaders(w, staticPageCSP)
			http.Redirect(w, r, authorize, http.StatusFound)
			return
		}
	}
	h.log().Error("oauth install: cannot start", "error", err.Error())
	writeError(w, http.StatusInternalServerError, "install_unavailable", "the Zoom install flow is not available (is ZOOM_AUTH_MODE=oauth?)")
}

// ServeCallback completes an install. A missing, altered, foreign or expired
// state is a 400 that says to start again at /oauth/install.
func (h *OAuthInstall) ServeCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	q := r.URL.Query()
	restart := " Start again at " + PathOAuthInstall + "."

	if zerr := q.Get("error"); zerr != "" {
		h.fail(w, r, http.StatusBadRequest, "not_authorized", "Zoom did not authorize the app ("+safeWord(zerr)+")."+restart)
		return
	}
	var nonce string
	if c, err := r.Cookie(installCookie); err == nil {
		nonce = c.Value
	}
	if err := h.Zoom.OAuth.VerifyState(q.Get("state"), nonce); err != nil {
		h.log().Warn("oauth callback: state rejected", "reason", err.Error())
		if errors.Is(err, zoomclient.ErrStateExpired) {
			h.fail(w, r, http.StatusBadRequest, "state_expired", "This install link has expired."+restart)
			return
		}
		h.fail(w, r, http.StatusBadRequest, "invalid_state",
			"This install request is not valid: its state is missing, was altered, or was started in another browser."+restart)
		return
	}
	// The state is single-use from the browser's point of view.
	http.SetCookie(w, &http.Cookie{Name: installCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.secureCookie(), SameSite: http.SameSiteLaxMode})

	code := q.Get("code")
	if code == "" {
		h.fail(w, r, http.StatusBadRequest, "missing_code", "Zoom sent no authorization code."+restart)
		return
	}
	inst, err := h.Zoom.OAuth.Exchange(r.Context(), code)
	if err != nil {
		h.log().Error("oauth callback: install failed", "error", err.Error())
		var te *zoomclient.TokenError
		if errors.As(err, &te) && te.Rejected() {
			h.fail(w, r, http.StatusBadRequest, "code_rejected", "Zoom refused the authorization code (it expires after 5 minutes and works once)."+restart)
			return
		}
		h.fail(w, r, http.StatusBadGateway, "install_failed", "The install could not be completed with Zoom; please try again."+restart)
		return
	}
	h.log().Info("zoom app installed", "account_id", inst.AccountID, "user_id", inst.UserID, "reinstalled", inst.Reinstalled)

	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, installResult{
			Installed:   true,
			AccountID:   inst.AccountID,
			UserID:      inst.UserID,
			UserEmail:   inst.UserEmail,
			Scopes:      inst.Scopes,
			Reinstalled: inst.Reinstalled,
		})
		return
	}
	htmlHeaders(w, staticPageCSP)
	w.WriteHeader(http.StatusOK)
	_ = installedPage.Execute(w, inst)
}

// HandleAppDeauthorized deletes the tokens of the Zoom account named in an
// app_deauthorized event (payload.account_id). The worker calls it; deleting
// the account's other data is the store's part.
func (h *OAuthInstall) HandleAppDeauthorized(ctx context.Context, accountID string) error {
	if err := h.Zoom.OAuth.Deauthorize(ctx, accountID); err != nil {
		return err
	}
	h.log().Info("zoom app deauthorized", "account_id", accountID)
	return nil
}

type installResult struct {
	Installed   bool     `json:"installed"`
	AccountID   string   `json:"account_id"`
	UserID      string   `json:"user_id,omitempty"`
	UserEmail   string   `json:"user_email,omitempty"`
	Scopes      []string `json:"scopes,omitempty"`
	Reinstalled bool     `json:"reinstalled"`
}

func (h *OAuthInstall) fail(w http.ResponseWriter, r *http.Request, status int, code, detail string) {
	if wantsJSON(r) {
		writeError(w, status, code, detail)
		return
	}
	htmlHeaders(w, staticPageCSP)
	w.WriteHeader(status)
	_ = failedPage.Execute(w, struct{ Code, Detail string }{code, detail})
}

// wantsJSON: an API client asked for JSON rather than a page.
func wantsJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/json":
			return true
		case "text/html":
			return false
		}
	}
	return false
}

// safeWord keeps an OAuth error code from the query string printable and short.
func safeWord(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Map(func(c rune) rune {
		if c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			return c
		}
		return -1
	}, s)
}

var installedPage = template.Must(template.New("installed").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cohost installed</title></head>
<body>
<h1>cohost is installed{{if .Reinstalled}} again{{end}}</h1>
<p>Zoom account <code>{{.AccountID}}</code>{{if .UserEmail}}, authorized by {{.UserEmail}}{{end}}.</p>
{{if .Scopes}}<p>Granted scopes:</p><ul>{{range .Scopes}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}
<p>Joiners of this account's meetings will now be made co-hosts as configured. You can close this page.</p>
</body></html>
`))

var failedPage = template.Must(template.New("failed").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cohost install failed</title></head>
<body>
<h1>cohost was not installed</h1>
<p>{{.Detail}}</p>
<p><small>{{.Code}}</small></p>
</body></html>
`))
