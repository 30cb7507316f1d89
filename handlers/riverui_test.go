package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/golang-jwt/jwt/v5"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
)

// riverUIServer is cohostd's router with the admin API and River UI over a
// real store, as server.Open mounts them.
func riverUIServer(t *testing.T, st *store.Store, secret []byte) (*httptest.Server, *adminLog) {
	t.Helper()
	return riverUIServerAt(t, st, secret, "")
}

// riverUIServerAt is riverUIServer with COHOST_PUBLIC_URL set to publicURL.
func riverUIServerAt(t *testing.T, st *store.Store, secret []byte, publicURL string) (*httptest.Server, *adminLog) {
	t.Helper()
	logs := &adminLog{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ui, err := st.RiverUI(handlers.RiverUIPath, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	admin := handlers.NewAdmin(st, secret, logger).WithPublicURL(publicURL)
	srv := httptest.NewServer(handlers.Router(handlers.Deps{
		Ready:  func(context.Context) error { return nil },
		Logger: logger,
		Mount: func(r chi.Router) {
			admin.Mount(r)
			admin.MountRiverUI(ctx, r, ui)
		},
	}))
	t.Cleanup(srv.Close)
	return srv, logs
}

// noRedirects is a client that shows redirects instead of following them.
func noRedirects(srv *httptest.Server) *http.Client {
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

type uiRequest struct {
	method, path string
	header       map[string]string
	cookie       *http.Cookie
	form         url.Values
}

func uiDo(t *testing.T, srv *httptest.Server, q uiRequest) adminReply {
	t.Helper()
	var body io.Reader
	if q.form != nil {
		body = strings.NewReader(q.form.Encode())
	}
	req, err := http.NewRequest(q.method, srv.URL+q.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if q.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range q.header {
		req.Header.Set(k, v)
	}
	if q.cookie != nil {
		req.AddCookie(q.cookie)
	}
	res, err := noRedirects(srv).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return adminReply{res.StatusCode, res.Header, b}
}

func sessionCookie(t *testing.T, r adminReply) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "cohost_riverui" {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", r.header)
	return nil
}

// River UI answers only with a valid admin token: as a bearer header, or
// as the session cookie that signing in with one sets. It lists the queue's
// jobs, on both engines.
func TestRiverUIAuth(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			st := openLedger(t, engine)
			ctx := context.Background()
			if err := st.InTx(ctx, func(tx store.Tx) error { return tx.Enqueue(ctx, uiJob{}, nil) }); err != nil {
				t.Fatal(err)
			}
			srv, logs := riverUIServer(t, st, adminSecret)
			jobs := "/riverui/api/jobs?state=available"
			wrongKey := "Bearer " + signAdmin(t, jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdef-0123456789"),
				jwt.MapClaims{"aud": api.AdminJWTAudience, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
			expired := "Bearer " + signAdmin(t, jwt.SigningMethodHS256, adminSecret,
				jwt.MapClaims{"aud": api.AdminJWTAudience, "iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()})

			for _, tt := range []struct {
				name string
				q    uiRequest
				want int
			}{
				{"no credentials", uiRequest{method: "GET", path: jobs}, http.StatusUnauthorized},
				{"a wrongly signed token", uiRequest{method: "GET", path: jobs, header: map[string]string{"Authorization": wrongKey}}, http.StatusUnauthorized},
				{"an expired token", uiRequest{method: "GET", path: jobs, header: map[string]string{"Authorization": expired}}, http.StatusUnauthorized},
				{"the page without credentials goes to sign-in", uiRequest{method: "GET", path: "/riverui/", header: map[string]string{"Accept": "text/html"}}, http.StatusSeeOther},
				{"an admin token as the cookie (another audience)", uiRequest{method: "GET", path: jobs,
					cookie: &http.Cookie{Name: "cohost_riverui", Value: strings.TrimPrefix(bearer(t), "Bearer ")}}, http.StatusUnauthorized},
				{"the sign-in form is public", uiRequest{method: "GET", path: "/riverui/login"}, http.StatusOK},
				{"signing in with a bad token", uiRequest{method: "POST", path: "/riverui/login", form: url.Values{"token": {"nope"}},
					header: map[string]string{"Sec-Fetch-Site": "same-origin"}}, http.StatusUnauthorized},
			} {
				t.Run(tt.name, func(t *testing.T) {
					r := uiDo(t, srv, tt.q)
					if r.status != tt.want {
						t.Fatalf("%s %s = %d %s, want %d", tt.q.method, tt.q.path, r.status, r.body, tt.want)
					}
					if r.status == http.StatusUnauthorized && strings.Contains(string(r.body), `"data"`) {
						t.Fatal("a refused request saw jobs")
					}
				})
			}

			// A valid bearer token reads the queue.
			r := uiDo(t, srv, uiRequest{method: "GET", path: jobs, header: map[string]string{"Authorization": bearer(t)}})
			assertJobs(t, r)

			// Signing in with the token sets a short-lived, HttpOnly, SameSite=Strict cookie for /riverui only.
			r = uiDo(t, srv, uiRequest{method: "POST", path: "/riverui/login", form: url.Values{"token": {strings.TrimPrefix(bearer(t), "Bearer ")}},
				header: map[string]string{"Origin": srv.URL}})
			if r.status != http.StatusSeeOther || r.header.Get("Location") != "/riverui/" {
				t.Fatalf("sign-in = %d (Location %q), want 303 to /riverui/", r.status, r.header.Get("Location"))
			}
			c := sessionCookie(t, r)
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/riverui" || c.MaxAge <= 0 || c.MaxAge > 3600 {
				t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/riverui, at most an hour", c)
			}
			assertJobs(t, uiDo(t, srv, uiRequest{method: "GET", path: jobs, cookie: c}))
			if r := uiDo(t, srv, uiRequest{method: "GET", path: "/riverui/", cookie: c, header: map[string]string{"Accept": "text/html"}}); r.status != http.StatusOK ||
				!strings.Contains(string(r.body), "<html") || r.header.Get("X-Frame-Options") != "DENY" {
				t.Fatalf("the UI page = %d (X-Frame-Options %q)", r.status, r.header.Get("X-Frame-Options"))
			}
			// The cookie does not let another site act: a change from a foreign origin is refused.
			if r := uiDo(t, srv, uiRequest{method: "POST", path: "/riverui/api/jobs/cancel", cookie: c,
				header: map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json"}}); r.status != http.StatusForbidden {
				t.Fatalf("a cross-site change with the cookie = %d, want 403", r.status)
			}
			// Nor is it an admin API credential.
			if r := uiDo(t, srv, uiRequest{method: "GET", path: "/v1/meetings", cookie: c}); r.status != http.StatusUnauthorized {
				t.Fatalf("/v1 with the River UI cookie = %d, want 401", r.status)
			}
			// Signing out clears it.
			if r := uiDo(t, srv, uiRequest{method: "POST", path: "/riverui/logout", cookie: c, header: map[string]string{"Origin": srv.URL}}); sessionCookie(t, r).MaxAge >= 0 {
				t.Fatal("sign-out did not clear the cookie")
			}
			if strings.Contains(logs.String(), c.Value) || strings.Contains(logs.String(), strings.TrimPrefix(bearer(t), "Bearer ")[:40]) {
				t.Fatal("a credential is in the log")
			}
			if !strings.Contains(logs.String(), `"msg":"River UI sign-in","subject":"ops@example.com"`) {
				t.Fatal("the sign-in is not logged with its subject")
			}
		})
	}
}

// Without the admin secret River UI is off, like the admin API.
func TestRiverUIDisabled(t *testing.T) {
	st := openLedger(t, "sqlite")
	srv, _ := riverUIServer(t, st, nil)
	for _, path := range []string{"/riverui", "/riverui/", "/riverui/login", "/riverui/api/jobs?state=available"} {
		r := uiDo(t, srv, uiRequest{method: "GET", path: path, header: map[string]string{"Authorization": bearer(t)}})
		if r.status != http.StatusNotFound || r.errorBody(t).Error != api.AdminErrDisabled {
			t.Fatalf("GET %s = %d %s, want 404 %s", path, r.status, r.body, api.AdminErrDisabled)
		}
	}
}

func assertJobs(t *testing.T, r adminReply) {
	t.Helper()
	var list struct {
		Data []struct {
			Kind string `json:"kind"`
		} `json:"data"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &list) != nil || len(list.Data) != 1 || list.Data[0].Kind != "riverui_test" {
		t.Fatalf("jobs = %d %s, want the one queued job", r.status, r.body)
	}
}

type uiJob struct{}

func (uiJob) Kind() string { return "riverui_test" }
