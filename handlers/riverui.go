package handlers

import (
	"context"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/golang-jwt/jwt/v5"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
)

// RiverUIPath is where cohostd serves River's web UI, on its main listener.
const RiverUIPath = "/riverui"

// A browser cannot add a bearer header to the page loads and API calls of
// River's UI, so the UI also accepts a session cookie: POST /riverui/login
// with an admin token (the bearer header, or the login form's field) answers
// with a cookie holding a JWT of its own audience, signed with the same
// COHOST_ADMIN_SECRET, living at most riverUISessionMax and never longer
// than the admin token it was minted from. HttpOnly keeps it from scripts;
// SameSite=Strict and the Origin check keep other sites from using it; Path
// keeps it off the admin API and the webhooks.
const (
	riverUICookie     = "cohost_riverui"
	riverUIAudience   = "cohost-riverui"
	riverUISessionMax = time.Hour
	// maxLoginBody bounds the login form: one token of at most 4 KiB.
	maxLoginBody = 8 << 10
)

// RiverUIHandler is River's web UI and its JSON API (riverui.Handler, from
// store.Store.RiverUI). Its background counts run once it is started.
type RiverUIHandler interface {
	http.Handler
	Start(ctx context.Context) error
}

// riverUI guards a RiverUIHandler with the admin API's credentials.
type riverUI struct {
	a       *Admin
	ui      RiverUIHandler
	ctx     context.Context
	start   sync.Once
	session *jwt.Parser
	origins *http.CrossOriginProtection
}

// MountRiverUI adds River's web UI under /riverui (on r, the main router),
// behind the admin API's authentication: an admin token as a bearer header,
// or the session cookie POST /riverui/login sets. The UI shows every job
// with its errors and can cancel, retry and delete jobs, so it is only
// served while the admin API is on. ctx bounds the UI's background counts,
// which start with its first authenticated request (a replica nobody
// browses does not poll the queue).
func (a *Admin) MountRiverUI(ctx context.Context, r chi.Router, ui RiverUIHandler) {
	u := &riverUI{a: a, ui: ui, ctx: ctx, origins: http.NewCrossOriginProtection(), session: jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithAudience(riverUIAudience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(api.AdminJWTLeeway),
	)}
	r.Route(RiverUIPath, func(r chi.Router) {
		r.Use(noStore, noFraming)
		if !a.Enabled() || ui == nil {
			off := func(w http.ResponseWriter, r *http.Request) {
				writeError(w, http.StatusNotFound, api.AdminErrDisabled, a.offDetail+" (River UI is served with the admin API)")
			}
			r.HandleFunc("/", off)
			r.HandleFunc("/*", off)
			return
		}
		r.Get("/login", u.loginPage)
		r.Post("/login", u.login)
		r.Post("/logout", u.logout)
		r.Group(func(r chi.Router) {
			r.Use(u.authenticate)
			r.Handle("/", ui)
			r.Handle("/*", ui)
		})
	})
}

// noFraming keeps the UI out of other sites' frames (its buttons cancel and
// retry jobs), keeps browsers from sniffing its JSON as something else, and
// sends no Referer from it.
func noFraming(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// authenticate lets a request through with a valid admin token (bearer) or
// session cookie.
func (u *riverUI) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var subject string
		switch c, err := r.Cookie(riverUICookie); {
		case len(r.Header.Values("Authorization")) > 0:
			claims, problem := u.a.verifyBearer(r.Header.Values("Authorization"))
			if problem != "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="cohost-admin", error="invalid_token"`)
				writeError(w, http.StatusUnauthorized, api.AdminErrUnauthorized, problem)
				return
			}
			// A page of another site cannot add an Authorization header
			// without a CORS preflight, which River UI never allows: a
			// bearer request without Origin is a program's, not a forgery.
			if !u.allowed(w, r, false) {
				return
			}
			subject = claims.Subject
		case err == nil:
			claims, problem := u.verifySession(c.Value)
			if problem != "" {
				u.signIn(w, r, problem)
				return
			}
			// The browser sends the cookie by itself: a change must prove it
			// comes from River UI's own page.
			if !u.allowed(w, r, true) {
				return
			}
			subject = claims.Subject
		default:
			u.signIn(w, r, "sign in at "+RiverUIPath+"/login with an admin token (cohostd admin-token), or send Authorization: Bearer <JWT>")
			return
		}
		// The UI polls its API every few seconds; what changes the queue is
		// worth a line at INFO, the reads are not.
		level := slog.LevelDebug
		if !safeMethod(r.Method) {
			level = slog.LevelInfo
		}
		u.a.logger.Log(r.Context(), level, "River UI request", "subject", subject, "method", r.Method,
			"path", api.CleanText(r.URL.Path, maxLoggedPathBytes))
		u.start.Do(func() {
			if err := u.ui.Start(u.ctx); err != nil {
				u.a.logger.ErrorContext(r.Context(), "River UI: start", "error", err.Error())
			}
		})
		next.ServeHTTP(w, r)
	})
}

// signIn answers an unauthenticated request: a browser's page load goes to
// the login form, anything else gets the admin API's 401.
func (u *riverUI) signIn(w http.ResponseWriter, r *http.Request, problem string) {
	if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
		http.Redirect(w, r, RiverUIPath+"/login", http.StatusSeeOther)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="cohost-admin"`)
	writeError(w, http.StatusUnauthorized, api.AdminErrUnauthorized, problem)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// allowed refuses (403, or 415 for a body River's API must not take) a
// request that changes something unless it comes from River UI's own page.
//
// net/http's CrossOriginProtection refuses what the browser marks as coming
// from another site (Sec-Fetch-Site other than same-origin or none) and,
// from browsers that send no Sec-Fetch-Site, an Origin that is not this
// host. It lets a request with neither header through; a browser sends
// Origin with every change it makes from a page, so when the credential is
// one the browser adds by itself (the session cookie, a sign-in form) a
// change without Origin is refused unless the browser marks it
// Sec-Fetch-Site: same-origin.
//
// River's API reads its bodies as JSON whatever their type; a form of
// another site can post text/plain (or a form encoding) without a CORS
// preflight. A change to the API must be application/json, except one the
// browser marks same-origin: River UI's own page sends its JSON as fetch()
// does by default, text/plain, and its pause and resume with no body.
func (u *riverUI) allowed(w http.ResponseWriter, r *http.Request, browserCredential bool) bool {
	if safeMethod(r.Method) {
		return true
	}
	sameOrigin := r.Header.Get("Sec-Fetch-Site") == "same-origin"
	if err := u.origins.Check(r); err != nil || browserCredential && r.Header.Get("Origin") == "" && !sameOrigin {
		u.a.logger.WarnContext(r.Context(), "River UI: a change from another site refused", "method", r.Method,
			"path", api.CleanText(r.URL.Path, maxLoggedPathBytes), "sec_fetch_site", api.CleanText(r.Header.Get("Sec-Fetch-Site"), 32))
		writeError(w, http.StatusForbidden, api.AdminErrUnauthorized,
			"the request comes from another site, or does not say where it comes from (no Origin); use River UI's own page")
		return false
	}
	if strings.HasPrefix(r.URL.Path, RiverUIPath+"/api/") && !sameOrigin {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, api.AdminErrInvalidBody, "River UI's API takes changes as Content-Type: application/json")
			return false
		}
	}
	return true
}

// verifySession checks a session cookie's JWT.
func (u *riverUI) verifySession(raw string) (*jwt.RegisteredClaims, string) {
	if len(raw) > maxBearerTokenLen {
		return nil, "the session cookie is too long; sign in again"
	}
	claims := &jwt.RegisteredClaims{}
	if _, err := u.session.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return u.a.secret, nil }); err != nil {
		return nil, "the River UI session has expired or is invalid; sign in again"
	}
	if claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > riverUISessionMax {
		return nil, "the River UI session is invalid; sign in again"
	}
	return claims, ""
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cohost: River UI sign-in</title>
<style>body{font:16px system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}input{width:100%;font:inherit}p.problem{color:#a00}</style>
</head><body>
<h1>River UI</h1>
<p>The job queue of this cohostd. Paste an admin token (<code>cohostd admin-token</code>); the session lasts an hour at most, and never longer than the token.</p>
{{if .}}<p class="problem">{{.}}</p>{{end}}
<form method="post" action="` + RiverUIPath + `/login">
<p><label>Admin token<br><input type="password" name="token" autocomplete="off" required></label></p>
<p><button type="submit">Sign in</button></p>
</form>
</body></html>
`))

// pageHeaders lets the login page load nothing from elsewhere and post only
// to cohostd.
func pageHeaders(w http.ResponseWriter) {
	htmlHeaders(w, "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
}

func (u *riverUI) loginPage(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	_ = loginPage.Execute(w, "")
}

// login turns an admin token into a session cookie.
func (u *riverUI) login(w http.ResponseWriter, r *http.Request) {
	values, fromForm := r.Header.Values("Authorization"), false
	// The sign-in form is a browser's: another site must not sign this
	// browser in (with a token of its own choosing).
	if !u.allowed(w, r, len(values) == 0) {
		return
	}
	if len(values) == 0 {
		r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
		if err := r.ParseForm(); err != nil {
			writeError(w, http.StatusBadRequest, api.AdminErrUnauthorized, "send the admin token as the form field token, or as Authorization: Bearer <JWT>")
			return
		}
		values, fromForm = []string{"Bearer " + strings.TrimSpace(r.PostForm.Get("token"))}, true
	}
	claims, problem := u.a.verifyBearer(values)
	if problem != "" {
		if fromForm {
			pageHeaders(w)
			w.WriteHeader(http.StatusUnauthorized)
			_ = loginPage.Execute(w, problem)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="cohost-admin", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, api.AdminErrUnauthorized, problem)
		return
	}
	now := time.Now()
	exp := now.Add(riverUISessionMax)
	if claims.ExpiresAt.Before(exp) {
		exp = claims.ExpiresAt.Time
	}
	session, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Issuer:    "cohostd",
		Subject:   claims.Subject,
		Audience:  jwt.ClaimStrings{riverUIAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
		ID:        grant.NewID(),
	}).SignedString(u.a.secret)
	if err != nil {
		writeError(w, http.StatusInternalServerError, api.AdminErrInternal, "the session could not be signed")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: riverUICookie, Value: session, Path: RiverUIPath, Expires: exp,
		MaxAge: max(int(time.Until(exp).Seconds()), 1), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: u.a.secureCookies})
	u.a.logger.InfoContext(r.Context(), "River UI sign-in", "subject", claims.Subject, "until", exp.UTC().Format(time.RFC3339))
	http.Redirect(w, r, RiverUIPath+"/", http.StatusSeeOther)
}

// logout ends the browser's session; like every change, only from River
// UI's own page.
func (u *riverUI) logout(w http.ResponseWriter, r *http.Request) {
	if !u.allowed(w, r, true) {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: riverUICookie, Value: "", Path: RiverUIPath, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: u.a.secureCookies})
	http.Redirect(w, r, RiverUIPath+"/login", http.StatusSeeOther)
}
