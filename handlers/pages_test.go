package handlers

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/web"
)

// pagesFiles is the host page and the console from package web, as
// server.go serves them, with one folder more among the host page's assets.
type pagesFiles struct{}

func (pagesFiles) Render(w io.Writer, id string) error {
	return web.RenderHostPage(w, web.HostPageData{MeetingID: id, SDKScripts: []string{"https://source.zoom.us/6.2.0/zoom-meeting-embedded-6.2.0.min.js"}, AssetBase: "/host/assets"})
}
func (pagesFiles) Assets() fs.FS {
	return fstest.MapFS{"host.js": {Data: []byte("export {}")}, "img/logo.svg": {Data: []byte("<svg/>")}}
}
func (pagesFiles) CSP() string {
	return web.HostCSP([]string{"https://source.zoom.us/6.2.0/zoom-meeting-embedded-6.2.0.min.js"})
}

type pagesConsole struct{}

func (pagesConsole) Render(w io.Writer, adminOff string) error {
	return web.RenderConsole(w, web.ConsoleData{AssetBase: ConsolePath + "/assets", AdminOff: adminOff})
}
func (pagesConsole) Assets() fs.FS { return web.ConsoleAssets() }
func (pagesConsole) CSP() string   { return web.ConsoleCSP() }

// pagesUI stands in for River UI: its single-page app and its JSON API.
type pagesUI struct{}

func (pagesUI) Start(context.Context) error { return nil }
func (pagesUI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, RiverUIPath+"/api/") {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":[]}`)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, "<!doctype html><title>River</title>")
}

type pagesLedger struct{}

func (pagesLedger) ListMeetings(context.Context, int) ([]grant.Meeting, error) { return nil, nil }
func (pagesLedger) FindMeeting(context.Context, string) (grant.Meeting, error) {
	return grant.Meeting{}, store.ErrNotFound
}
func (pagesLedger) ListParticipants(context.Context, string, string) ([]grant.Participant, error) {
	return nil, nil
}
func (pagesLedger) GranterStates(context.Context, string, string) ([]grant.GranterState, error) {
	return nil, nil
}
func (pagesLedger) GrantOutcomesSince(context.Context, time.Time) (store.GrantOutcomes, error) {
	return store.GrantOutcomes{}, nil
}
func (pagesLedger) GrantCountsByMeeting(context.Context, []store.MeetingKey) (map[store.MeetingKey]map[grant.State]int, error) {
	return nil, nil
}

type pagesHosts struct{}

func (pagesHosts) Authenticate(context.Context, string, string) (hostclient.LinkRecord, error) {
	return hostclient.LinkRecord{}, nil
}
func (pagesHosts) Start(context.Context, hostclient.LinkRecord) (api.HostStartResponse, error) {
	return api.HostStartResponse{}, nil
}
func (pagesHosts) Sync(context.Context, hostclient.LinkRecord, api.HostSyncRequest) (api.HostSyncResponse, error) {
	return api.HostSyncResponse{}, nil
}

// TestPageHeaders checks every HTML page cohostd serves (the host page, the
// console, the OAuth install's redirect and both its answers, River UI's
// sign-in and River UI itself) for the same protections, every JSON answer
// and JSON error for nosniff, and that no asset folder is listed.
func TestPageHeaders(t *testing.T) {
	env := newInstallEnv(t)
	secret := []byte(strings.Repeat("k", 32))
	logger := slog.New(slog.DiscardHandler)
	admin := NewAdmin(pagesLedger{}, secret, logger)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv := httptest.NewServer(Router(Deps{Ready: func(context.Context) error { return nil }, Logger: logger,
		Mount: func(r chi.Router) {
			env.handler.Mount(r)
			(&HostPage{Files: pagesFiles{}, Client: pagesHosts{}, Logger: logger}).Mount(r)
			admin.Mount(r)
			admin.MountConsole(r, pagesConsole{})
			admin.MountRiverUI(ctx, r, pagesUI{})
		}}))
	t.Cleanup(srv.Close)
	token, err := MintAdminToken(secret, time.Hour, "test")
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(t *testing.T, u string, header ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest("GET", u, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	// installed walks the install flow to the page that says it worked.
	installed := func(t *testing.T) *http.Response {
		start := get(t, srv.URL+PathOAuthInstall)
		atZoom := get(t, start.Header.Get("Location")) // the fake consent page approves at once
		back, err := url.Parse(atZoom.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		return get(t, srv.URL+PathOAuthCallback+"?"+back.RawQuery, "Accept", "text/html")
	}
	html := "text/html"
	for _, tt := range []struct {
		name   string
		do     func(t *testing.T) *http.Response
		status int
		kind   string // text/html or application/json
	}{
		{"host page", func(t *testing.T) *http.Response { return get(t, srv.URL+"/host/81234567890") }, 200, html},
		{"console", func(t *testing.T) *http.Response { return get(t, srv.URL+ConsolePath) }, 200, html},
		{"OAuth install redirect", func(t *testing.T) *http.Response { return get(t, srv.URL+PathOAuthInstall) }, 302, html},
		{"OAuth callback, installed", installed, 200, html},
		{"OAuth callback, refused", func(t *testing.T) *http.Response { return get(t, srv.URL+PathOAuthCallback+"?state=x&code=y") }, 400, html},
		{"OAuth callback, Zoom said no", func(t *testing.T) *http.Response {
			return get(t, srv.URL+PathOAuthCallback+"?error=access_denied")
		}, 400, html},
		{"River UI sign-in", func(t *testing.T) *http.Response { return get(t, srv.URL+RiverUIPath+"/login") }, 200, html},
		{"River UI", func(t *testing.T) *http.Response {
			return get(t, srv.URL+RiverUIPath+"/", "Authorization", "Bearer "+token)
		}, 200, html},
		{"River UI's API", func(t *testing.T) *http.Response {
			return get(t, srv.URL+RiverUIPath+"/api/jobs", "Authorization", "Bearer "+token)
		}, 200, "application/json"},
		{"admin API", func(t *testing.T) *http.Response {
			return get(t, srv.URL+"/v1/meetings", "Authorization", "Bearer "+token)
		}, 200, "application/json"},
		{"admin API error", func(t *testing.T) *http.Response { return get(t, srv.URL+"/v1/meetings") }, 401, "application/json"},
		{"admin API not found", func(t *testing.T) *http.Response {
			return get(t, srv.URL+"/v1/meetings/81234567890", "Authorization", "Bearer "+token)
		}, 404, "application/json"},
		{"OAuth callback as JSON", func(t *testing.T) *http.Response {
			return get(t, srv.URL+PathOAuthCallback+"?state=x&code=y", "Accept", "application/json")
		}, 400, "application/json"},
		{"health", func(t *testing.T) *http.Response { return get(t, srv.URL+"/healthz") }, 200, "application/json"},
		{"readiness", func(t *testing.T) *http.Response { return get(t, srv.URL+"/readyz") }, 200, "application/json"},
		{"webhook error", func(t *testing.T) *http.Response { return get(t, srv.URL+"/webhooks/zoom") }, 405, "application/json"},
		{"no such route", func(t *testing.T) *http.Response { return get(t, srv.URL+"/nope") }, 404, "application/json"},
		{"host page API error", func(t *testing.T) *http.Response {
			return get(t, srv.URL+api.HostAPIPrefix+"/meetings/81234567890/start")
		}, 405, "application/json"},
		// Asset folders are never listed, at the top or below.
		{"host assets folder", func(t *testing.T) *http.Response { return get(t, srv.URL+"/host/assets/") }, 404, "application/json"},
		{"host assets subfolder", func(t *testing.T) *http.Response { return get(t, srv.URL+"/host/assets/img/") }, 404, "application/json"},
		{"host assets subfolder without a slash", func(t *testing.T) *http.Response { return get(t, srv.URL+"/host/assets/img") }, 404, "application/json"},
		{"console assets folder", func(t *testing.T) *http.Response { return get(t, srv.URL+ConsolePath+"/assets/") }, 404, "application/json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.do(t)
			h := res.Header
			if res.StatusCode != tt.status || !strings.HasPrefix(h.Get("Content-Type"), tt.kind) {
				t.Fatalf("%d %s, want %d %s", res.StatusCode, h.Get("Content-Type"), tt.status, tt.kind)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", h.Get("X-Content-Type-Options"))
			}
			if tt.kind != html {
				return
			}
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") && tt.name != "River UI" {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
			for name, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
				if got := h.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
	// The assets themselves are served.
	if res := get(t, srv.URL+"/host/assets/img/logo.svg"); res.StatusCode != 200 {
		t.Errorf("an asset in a folder: %d", res.StatusCode)
	}
}
