package handlers_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/web"
)

// webConsole is package web's console, as server.go serves it.
type webConsole struct{}

func (webConsole) Render(w io.Writer, adminOff string) error {
	return web.RenderConsole(w, web.ConsoleData{AssetBase: handlers.ConsolePath + "/assets", AdminOff: adminOff})
}
func (webConsole) Assets() fs.FS { return web.ConsoleAssets() }
func (webConsole) CSP() string   { return web.ConsoleCSP() }

type failingConsole struct{ webConsole }

func (failingConsole) Render(io.Writer, string) error { return errors.New("template: boom") }

func consoleServer(t *testing.T, secret []byte, files handlers.ConsoleFiles) (*httptest.Server, *adminLog) {
	t.Helper()
	logs := &adminLog{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	admin := handlers.NewAdmin(stubLedger{}, secret, logger)
	srv := httptest.NewServer(handlers.Router(handlers.Deps{
		Ready: func(context.Context) error { return nil }, Logger: logger,
		Mount: func(r chi.Router) {
			admin.Mount(r)
			admin.MountConsole(r, files)
		},
	}))
	t.Cleanup(srv.Close)
	return srv, logs
}

// TestConsoleHeaders: the page and its assets are served with the host page's protections
// (strict CSP, no referrer, no framing, no caching of the page), with or without the admin API.
func TestConsoleHeaders(t *testing.T) {
	for _, tt := range []struct {
		name    string
		secret  []byte
		wantOff string
	}{
		{"admin API on", adminSecret, `data-admin-off=""`},
		{"admin API off", nil, `data-admin-off="set COHOST_ADMIN_SECRET to enable the admin API"`},
		{"secret too short", []byte("short"), `data-admin-off="COHOST_ADMIN_SECRET is shorter than 32 bytes`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := consoleServer(t, tt.secret, webConsole{})
			r := adminDo(t, srv, "GET", "/console")
			if r.status != 200 || !strings.Contains(string(r.body), tt.wantOff) || !strings.Contains(string(r.body), `src="/console/assets/console.js"`) {
				t.Fatalf("GET /console = %d, want the page with %s:\n%.600s", r.status, tt.wantOff, r.body)
			}
			for h, want := range map[string]string{
				"Content-Security-Policy": web.ConsoleCSP(),
				"Referrer-Policy":         "no-referrer",
				"Cache-Control":           "no-store",
				"X-Content-Type-Options":  "nosniff",
				"X-Frame-Options":         "DENY",
				"Content-Type":            "text/html; charset=utf-8",
			} {
				if got := r.header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			csp := r.header.Get("Content-Security-Policy")
			for _, d := range []string{"script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("CSP %q lacks %s", csp, d)
				}
			}
			if strings.Contains(csp, "unsafe") || strings.Contains(csp, "*") || strings.Contains(csp, "http") {
				t.Errorf("CSP %q allows more than the page's own origin", csp)
			}
		})
	}
}

func TestConsoleAssetsAndRoutes(t *testing.T) {
	srv, logs := consoleServer(t, adminSecret, webConsole{})
	for _, tt := range []struct {
		path, wantType string
	}{
		{"/console/assets/console.js", "text/javascript; charset=utf-8"},
		{"/console/assets/admin-api.js", "text/javascript; charset=utf-8"},
		{"/console/assets/console.css", "text/css; charset=utf-8"},
		{"/console/assets/icon.svg", "image/svg+xml"},
	} {
		r := adminDo(t, srv, "GET", tt.path)
		if r.status != 200 || r.header.Get("Content-Type") != tt.wantType || len(r.body) == 0 {
			t.Errorf("GET %s = %d %q", tt.path, r.status, r.header.Get("Content-Type"))
		}
		for h, want := range map[string]string{"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"} {
			if got := r.header.Get(h); got != want {
				t.Errorf("GET %s: %s = %q, want %q", tt.path, h, got, want)
			}
		}
	}
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/console/assets/", 404},
		{"GET", "/console/assets/nothing.js", 404},
		{"GET", "/console/assets/../console.go", 404},
		{"GET", "/console/index.html.tmpl", 404},
		{"GET", "/console/assets/index.html.tmpl", 404},
		{"POST", "/console", 405},
		{"GET", "/console/", 301},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, res.StatusCode, tt.want)
		}
		if tt.want == 301 && res.Header.Get("Location") != "/console" {
			t.Errorf("%s redirects to %q", tt.path, res.Header.Get("Location"))
		}
	}

	// The page works without a token; the API it reads does not.
	if r := adminDo(t, srv, "GET", "/v1/meetings"); r.status != 401 {
		t.Errorf("GET /v1/meetings without a token = %d", r.status)
	}
	// The console's polls are reads: logged at debug, not info.
	adminDo(t, srv, "GET", "/v1/summary", bearer(t))
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"path":"/v1/summary"`) && !strings.Contains(line, `"level":"DEBUG"`) {
			t.Errorf("a read is logged above debug: %s", line)
		}
	}

	fail, logs := consoleServer(t, adminSecret, failingConsole{})
	if r := adminDo(t, fail, "GET", "/console"); r.status != 500 || strings.Contains(string(r.body), "boom") {
		t.Errorf("a failed render = %d %s", r.status, r.body)
	}
	if !strings.Contains(logs.String(), "template: boom") {
		t.Error("a failed render is not logged")
	}
}
