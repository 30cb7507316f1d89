package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/hostportal"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/zoomapp"
)

const (
	goodSession = "hs1.session-of-the-test"
	goodBrowser = "hb1.browser-of-the-test"
)

// fakePortal answers as hostportal.Portal would; the portal itself is tested
// in package hostportal, end to end (Zoom's sign-in, the simulator, Chromium)
// in package harness.
type fakePortal struct {
	off      bool
	err      error // answered by every call that can fail
	startErr error
	signOuts []string
	starts   []string
}

func (f *fakePortal) Enabled() bool { return !f.off }

func (f *fakePortal) BeginSignIn(context.Context) (hostportal.SignInStart, error) {
	if f.err != nil {
		return hostportal.SignInStart{}, f.err
	}
	return hostportal.SignInStart{AuthorizeURL: "https://zoom.example/oauth/authorize?state=s", Browser: goodBrowser}, nil
}

func (f *fakePortal) FinishSignIn(_ context.Context, cb hostportal.Callback, browser string) (hostportal.Session, error) {
	if f.err != nil {
		return hostportal.Session{}, f.err
	}
	if browser != goodBrowser || cb.State != "good-state" {
		return hostportal.Session{}, &hostportal.Error{Code: hostportal.CodeInvalidState, Title: "This sign-in is not valid", Detail: "Start again."}
	}
	return hostportal.Session{ID: goodSession, AccountID: "acct", UserID: "u1", ExpiresAt: time.Now().Add(8 * time.Hour)}, nil
}

func (f *fakePortal) Session(_ context.Context, id string) (hostportal.Session, error) {
	if f.err != nil {
		return hostportal.Session{}, f.err
	}
	if id != goodSession {
		return hostportal.Session{}, &hostportal.Error{Code: hostportal.CodeNotSignedIn, Title: "Sign in", Detail: "Not signed in."}
	}
	return hostportal.Session{AccountID: "acct", UserID: "u1", Name: "Hana Host", Email: "host@example.com"}, nil
}

func (f *fakePortal) SignOut(_ context.Context, id string) error {
	f.signOuts = append(f.signOuts, id)
	return f.err
}

func (f *fakePortal) Meetings(context.Context, hostportal.Session) (hostportal.MeetingList, error) {
	return hostportal.MeetingList{Meetings: []hostportal.Meeting{{ID: "85746065432", DisplayID: "857 4606 5432", Topic: "Weekly <sync>",
		Day: "Today", Time: "10:00 AM – 11:00 AM UTC"}}}, nil
}

func (f *fakePortal) Start(_ context.Context, _ hostportal.Session, id string) (string, error) {
	f.starts = append(f.starts, id)
	if f.startErr != nil {
		return "", f.startErr
	}
	return "/host/" + id + "#link-secret", nil
}

// portalServer serves the portal and the host page as cohostd mounts them.
func portalServer(t *testing.T, p handlers.Portal) *httptest.Server {
	t.Helper()
	return portalServerCounting(t, p, nil)
}

// portalServerCounting is portalServer counting its steps in m.
func portalServerCounting(t *testing.T, p handlers.Portal, m *metrics.Metrics) *httptest.Server {
	t.Helper()
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv := httptest.NewServer(handlers.Router(handlers.Deps{
		Ready: func(context.Context) error { return nil }, Logger: logger,
		Mount: func(r chi.Router) {
			(&handlers.HostPage{Files: fakeFiles{}, Client: &fakeHostClient{}, Logger: logger}).Mount(r)
			(&handlers.HostPortal{Portal: p, PublicURL: "https://cohost.example.com", Off: "set ZOOM_SIGNIN_CLIENT_ID", Logger: logger, Metrics: m}).Mount(r)
		},
	}))
	t.Cleanup(srv.Close)
	return srv
}

// portalDo sends a request as a browser on the portal's own page would
// (Sec-Fetch-Site: same-origin for a POST), with the cookies given.
func portalDo(t *testing.T, srv *httptest.Server, method, path string, cookies ...*http.Cookie) adminReply {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", srv.URL)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return adminReply{res.StatusCode, res.Header, b}
}

var session = &http.Cookie{Name: "__Secure-cohost-host", Value: goodSession}

// Every answer of the portal and of the host page is cross-origin isolated;
// the portal's pages carry its policy and stay out of caches and referrers.
func TestPortalAndHostPageHeaders(t *testing.T) {
	srv := portalServer(t, &fakePortal{})
	for _, tc := range []struct {
		method, path, auth string
		cookie             *http.Cookie
		page               bool
	}{
		{"GET", "/host/", "", nil, true},
		{"GET", "/host/", "", session, true},
		{"GET", "/host", "", nil, false},
		{"GET", "/host/signin", "", nil, false},
		{"GET", "/host/signin/callback?state=good-state&code=c", "", &http.Cookie{Name: "__Secure-cohost-host-signin", Value: goodBrowser}, false},
		{"GET", "/host/signin/callback?state=forged", "", nil, true},
		{"POST", "/host/signout", "", session, false},
		{"POST", "/host/meetings/85746065432/start", "", session, false},
		{"POST", "/host/meetings/85746065432/start", "", nil, true},
		{"GET", "/host/portal/assets/portal.css", "", nil, false},
		{"GET", "/host/81234567890", "", nil, false},
		{"GET", "/host/assets/host.js", "", nil, false},
		{"POST", "/host/api/v1/meetings/81234567890/start", "Bearer " + goodSecret, nil, false},
		{"POST", "/host/api/v1/meetings/81234567890/sync", "Bearer " + goodSecret, nil, false},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var r adminReply
			if tc.auth != "" {
				r = hostDo(t, srv, tc.method, tc.path, tc.auth, "{}")
			} else if tc.cookie != nil {
				r = portalDo(t, srv, tc.method, tc.path, tc.cookie)
			} else {
				r = portalDo(t, srv, tc.method, tc.path)
			}
			want := map[string]string{
				"Cross-Origin-Opener-Policy":   "same-origin",
				"Cross-Origin-Embedder-Policy": "credentialless",
				"Referrer-Policy":              "no-referrer",
				"X-Content-Type-Options":       "nosniff",
			}
			if tc.page {
				want["Content-Security-Policy"] = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
				want["Cache-Control"] = "no-store"
				want["X-Frame-Options"] = "DENY"
			}
			for h, v := range want {
				if got := r.header.Get(h); got != v {
					t.Errorf("%d: %s = %q, want %q", r.status, h, got, v)
				}
			}
		})
	}
}

// The cookies' flags: HttpOnly, Secure, SameSite=Lax, the __Secure- prefix,
// the session's scoped to /host and the sign-in's to the callback; sign-out
// and the callback clear what they end.
func TestPortalCookies(t *testing.T) {
	srv := portalServer(t, &fakePortal{})
	check := func(t *testing.T, r adminReply, name, path string, clears bool) *http.Cookie {
		t.Helper()
		res := http.Response{Header: r.header}
		for _, c := range res.Cookies() {
			if c.Name != name {
				continue
			}
			if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != path || c.Domain != "" {
				t.Errorf("%s: %s", name, c.String())
			}
			if clears != (c.MaxAge < 0) {
				t.Errorf("%s: Max-Age %d, clears %v", name, c.MaxAge, clears)
			}
			return c
		}
		t.Fatalf("no %s cookie in %v", name, r.header.Values("Set-Cookie"))
		return nil
	}
	r := portalDo(t, srv, "GET", "/host/signin")
	if r.status != http.StatusFound || r.header.Get("Location") != "https://zoom.example/oauth/authorize?state=s" {
		t.Fatalf("sign-in: %d to %q", r.status, r.header.Get("Location"))
	}
	if c := check(t, r, "__Secure-cohost-host-signin", "/host/signin", false); c.Value != goodBrowser || c.MaxAge != 600 {
		t.Errorf("sign-in cookie %s", c)
	}

	r = portalDo(t, srv, "GET", "/host/signin/callback?state=good-state&code=c", &http.Cookie{Name: "__Secure-cohost-host-signin", Value: goodBrowser})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/host/" {
		t.Fatalf("callback: %d to %q %s", r.status, r.header.Get("Location"), r.body)
	}
	c := check(t, r, "__Secure-cohost-host", "/host", false)
	if c.Value != goodSession || c.MaxAge < 8*3600-5 || c.MaxAge > 8*3600 {
		t.Errorf("session cookie %s", c)
	}
	check(t, r, "__Secure-cohost-host-signin", "/host/signin", true)

	r = portalDo(t, srv, "POST", "/host/signout", session)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/host/" {
		t.Fatalf("sign-out: %d to %q", r.status, r.header.Get("Location"))
	}
	check(t, r, "__Secure-cohost-host", "/host", true)
}

// A POST from another site is refused before the portal sees it, whether the
// browser says so (Sec-Fetch-Site) or only its Origin shows it.
func TestPortalRefusesCrossOriginPosts(t *testing.T) {
	p := &fakePortal{}
	srv := portalServer(t, p)
	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site subdomain", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"foreign origin, no Sec-Fetch-Site", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"same origin", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
		{"the public URL's origin behind a proxy", map[string]string{"Origin": "https://cohost.example.com"}, http.StatusSeeOther},
	} {
		for _, path := range []string{"/host/signout", "/host/meetings/85746065432/start"} {
			t.Run(tc.name+" "+path, func(t *testing.T) {
				before := len(p.signOuts) + len(p.starts)
				req, _ := http.NewRequest("POST", srv.URL+path, nil)
				for k, v := range tc.headers {
					req.Header.Set(k, v)
				}
				req.AddCookie(session)
				client := srv.Client()
				client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != tc.want {
					t.Errorf("status %d, want %d", res.StatusCode, tc.want)
				}
				if reached := len(p.signOuts)+len(p.starts) > before; reached != (tc.want != http.StatusForbidden) {
					t.Errorf("the portal was reached: %v", reached)
				}
			})
		}
	}
}

// Start sends the host to the host page with the link's secret in the
// fragment; a refusal shows the list again, with why, and its status.
func TestPortalStart(t *testing.T) {
	p := &fakePortal{}
	m := metrics.New(prometheus.NewRegistry(), metrics.BuildInfo{})
	srv := portalServerCounting(t, p, m)
	r := portalDo(t, srv, "POST", "/host/meetings/85746065432/start", session)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/host/85746065432#link-secret" {
		t.Fatalf("start: %d to %q", r.status, r.header.Get("Location"))
	}
	for _, tc := range []struct {
		code   hostportal.Code
		status int
	}{
		{hostportal.CodeNotHost, http.StatusForbidden},
		{hostportal.CodeMeetingUnknown, http.StatusNotFound},
		{hostportal.CodeInvalidMeeting, http.StatusBadRequest},
		{hostportal.CodeStartFailed, http.StatusConflict},
		{hostportal.CodeUnavailable, http.StatusServiceUnavailable},
	} {
		p.startErr = &hostportal.Error{Code: tc.code, Title: "Title of " + string(tc.code), Detail: "Detail of " + string(tc.code)}
		r := portalDo(t, srv, "POST", "/host/meetings/85746065432/start", session)
		body := string(r.body)
		if r.status != tc.status || !strings.Contains(body, "Title of "+string(tc.code)) || r.header.Get("Location") != "" {
			t.Errorf("%s: %d %q", tc.code, r.status, body)
		}
		if tc.code != hostportal.CodeUnavailable && !strings.Contains(body, "Weekly &lt;sync&gt;") {
			t.Errorf("%s: the list is not shown again (escaped)", tc.code)
		}
	}
	// Signed out, Start is refused and offers to sign in.
	r = portalDo(t, srv, "POST", "/host/meetings/85746065432/start")
	if r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), `href="/host/signin"`) {
		t.Errorf("signed out: %d %s", r.status, r.body)
	}
	// Each outcome counted once under its code.
	for _, outcome := range []string{"ok", "not_host", "meeting_unknown", "invalid_meeting_id", "start_failed", "unavailable", "not_signed_in"} {
		if n := testutil.ToFloat64(m.HostPortal.WithLabelValues(metrics.PortalStart, outcome)); n != 1 {
			t.Errorf("cohost_host_portal_requests_total{step=start,outcome=%s} = %v, want 1", outcome, n)
		}
	}
	// A sign-in and a tampered callback.
	portalDo(t, srv, "GET", "/host/signin")
	portalDo(t, srv, "GET", "/host/signin/callback?state=forged&code=c", &http.Cookie{Name: "__Secure-cohost-host-signin", Value: goodBrowser})
	if n := testutil.ToFloat64(m.HostPortal.WithLabelValues(metrics.PortalSignIn, "ok")); n != 1 {
		t.Errorf("sign-ins counted %v", n)
	}
	if n := testutil.ToFloat64(m.HostPortal.WithLabelValues(metrics.PortalCallback, "invalid_state")); n != 1 {
		t.Errorf("refused callbacks counted %v", n)
	}
}

func TestPortalPages(t *testing.T) {
	r := portalDo(t, portalServer(t, &fakePortal{}), "GET", "/host/")
	if r.status != 200 || !strings.Contains(string(r.body), `href="/host/signin"`) || strings.Contains(string(r.body), "<script") {
		t.Errorf("signed out: %d %s", r.status, r.body)
	}
	r = portalDo(t, portalServer(t, &fakePortal{}), "GET", "/host/", session)
	for _, want := range []string{"Hana Host", "857 4606 5432", `action="/host/meetings/85746065432/start"`, `action="/host/signout"`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("signed in: no %q in %s", want, r.body)
		}
	}
	off := portalServer(t, &fakePortal{off: true})
	if r := portalDo(t, off, "GET", "/host/"); r.status != 200 || !strings.Contains(string(r.body), "set ZOOM_SIGNIN_CLIENT_ID") {
		t.Errorf("off: %d %s", r.status, r.body)
	}
	// The callback's refusals say why, and offer to start again.
	srv := portalServer(t, &fakePortal{})
	r = portalDo(t, srv, "GET", "/host/signin/callback?"+url.Values{"state": {"forged"}, "code": {"c"}}.Encode())
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "This sign-in is not valid") ||
		!strings.Contains(string(r.body), `href="/host/signin"`) {
		t.Errorf("forged state: %d %s", r.status, r.body)
	}
	if r := portalDo(t, srv, "GET", "/host/signin/callback?state="+strings.Repeat("x", 3000)); r.status != http.StatusBadRequest {
		t.Errorf("oversized state: %d", r.status)
	}
}

// The sign-in app's manifest names the callback cohostd serves.
func TestPortalCallbackIsTheManifests(t *testing.T) {
	if handlers.PortalCallbackPath != zoomapp.SignInCallbackPath {
		t.Errorf("cohostd serves %s, the sign-in app's manifest redirects to %s", handlers.PortalCallbackPath, zoomapp.SignInCallbackPath)
	}
}
