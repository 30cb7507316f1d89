package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cohost-dev/cohost/store"
)

// River UI can cancel, retry and delete jobs: a page of another site must
// not make the operator's browser do that with its session cookie, nor sign
// it in or out. A change is taken only from River UI's own page: the browser
// says so (Sec-Fetch-Site: same-origin) or names this origin (Origin); a
// change that says neither is refused, as is one marked cross-site or from
// another origin, whatever the Referer. River's API reads any body as JSON,
// so a change to it must be application/json unless the browser marks it
// same-origin (River UI's own page sends text/plain).
func TestRiverUIRefusesCrossSiteChanges(t *testing.T) {
	st := openLedger(t, "sqlite")
	ctx := context.Background()
	if err := st.InTx(ctx, func(tx store.Tx) error { return tx.Enqueue(ctx, uiJob{}, nil) }); err != nil {
		t.Fatal(err)
	}
	srv, _ := riverUIServer(t, st, adminSecret)
	login := uiDo(t, srv, uiRequest{method: "POST", path: "/riverui/login", form: url.Values{"token": {strings.TrimPrefix(bearer(t), "Bearer ")}},
		header: map[string]string{"Origin": srv.URL}})
	c := sessionCookie(t, login)
	token := bearer(t)
	const cancel = "/riverui/api/jobs/cancel"
	const body = `{"ids":["1"]}`
	own := srv.URL
	for _, tt := range []struct {
		name   string
		method string
		path   string
		header map[string]string
		body   string
		cookie bool
		want   int
	}{
		// The session cookie: the browser adds it by itself.
		{"marked cross-site", "POST", cancel, map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}, body, true, 403},
		{"marked same-site (another origin of the site)", "POST", cancel, map[string]string{"Sec-Fetch-Site": "same-site", "Content-Type": "application/json"}, body, true, 403},
		{"marked cross-site with our Origin", "POST", cancel, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": own, "Content-Type": "application/json"}, body, true, 403},
		{"another Origin", "POST", cancel, map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json"}, body, true, 403},
		{"Origin null", "POST", cancel, map[string]string{"Origin": "null", "Content-Type": "application/json"}, body, true, 403},
		{"no Origin, no Sec-Fetch-Site", "POST", cancel, map[string]string{"Content-Type": "application/json"}, body, true, 403},
		{"no Origin, a foreign Referer", "POST", cancel, map[string]string{"Referer": "https://evil.example/x", "Content-Type": "application/json"}, body, true, 403},
		{"no Origin, Sec-Fetch-Site none", "POST", cancel, map[string]string{"Sec-Fetch-Site": "none", "Content-Type": "application/json"}, body, true, 403},
		{"our Origin, text/plain", "POST", cancel, map[string]string{"Origin": own, "Content-Type": "text/plain;charset=UTF-8"}, body, true, 415},
		{"our Origin, a form", "POST", cancel, map[string]string{"Origin": own, "Content-Type": "application/x-www-form-urlencoded"}, body, true, 415},
		{"our Origin, no body type", "POST", cancel, map[string]string{"Origin": own}, body, true, 415},
		{"our Origin, JSON", "POST", cancel, map[string]string{"Origin": own, "Content-Type": "application/json"}, body, true, 200},
		{"River UI's own request (text/plain, same-origin)", "POST", cancel, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": own,
			"Content-Type": "text/plain;charset=UTF-8"}, body, true, 200},
		{"a read needs no proof", "GET", "/riverui/api/jobs?state=available", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", true, 200},
		// Sign-out is a change too.
		{"sign-out with no Origin", "POST", "/riverui/logout", nil, "", true, 403},
		{"sign-out from another site", "POST", "/riverui/logout", map[string]string{"Origin": "https://evil.example"}, "", true, 403},
		{"sign-out marked cross-site", "POST", "/riverui/logout", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", true, 403},
		{"sign-out from River UI", "POST", "/riverui/logout", map[string]string{"Sec-Fetch-Site": "same-origin"}, "", true, 303},
		// So is signing a browser in (with a token of the other site's choosing).
		{"sign-in form with no Origin", "POST", "/riverui/login", nil, "", false, 403},
		{"sign-in form from another site", "POST", "/riverui/login", map[string]string{"Origin": "https://evil.example"}, "", false, 403},
		{"sign-in form marked cross-site", "POST", "/riverui/login", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": own}, "", false, 403},
		// A bearer token is a program's: a page cannot send one without a
		// preflight, so no Origin is needed; the rest still holds.
		{"bearer, JSON, no Origin", "POST", cancel, map[string]string{"Authorization": token, "Content-Type": "application/json"}, body, false, 200},
		{"bearer, text/plain", "POST", cancel, map[string]string{"Authorization": token, "Content-Type": "text/plain"}, body, false, 415},
		{"bearer marked cross-site", "POST", cancel, map[string]string{"Authorization": token, "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}, body, false, 403},
		{"bearer sign-in with no Origin", "POST", "/riverui/login", map[string]string{"Authorization": token}, "", false, 303},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.path == "/riverui/login" && tt.header["Authorization"] == "" {
				form := url.Values{"token": {strings.TrimPrefix(token, "Bearer ")}}.Encode()
				if req, err = http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(form)); err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if tt.cookie {
				req.AddCookie(c)
			}
			res, err := noRedirects(srv).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.want {
				t.Fatalf("%s %s = %d, want %d", tt.method, tt.path, res.StatusCode, tt.want)
			}
			for _, sc := range res.Cookies() {
				if tt.want >= 400 && sc.Name == "cohost_riverui" {
					t.Fatal("a refused request changed the session cookie")
				}
			}
		})
	}
}

// The session cookie is Secure from configuration (COHOST_PUBLIC_URL's
// scheme), never from X-Forwarded-Proto, which any client can send.
func TestRiverUICookieSecureFromConfiguration(t *testing.T) {
	st := openLedger(t, "sqlite")
	for _, tt := range []struct {
		publicURL, forwardedProto string
		want                      bool
	}{
		{"https://cohost.example.com", "", true},
		{"https://cohost.example.com", "http", true},
		{"http://127.0.0.1:8080", "https", false},
		{"http://localhost:8080", "", false},
		{"", "http", true}, // unset: Secure, the safe side
	} {
		t.Run(tt.publicURL+" "+tt.forwardedProto, func(t *testing.T) {
			srv, _ := riverUIServerAt(t, st, adminSecret, tt.publicURL)
			h := map[string]string{"Origin": srv.URL}
			if tt.forwardedProto != "" {
				h["X-Forwarded-Proto"] = tt.forwardedProto
			}
			for _, path := range []string{"/riverui/login", "/riverui/logout"} {
				r := uiDo(t, srv, uiRequest{method: "POST", path: path, header: h,
					form: url.Values{"token": {strings.TrimPrefix(bearer(t), "Bearer ")}}})
				if c := sessionCookie(t, r); c.Secure != tt.want {
					t.Fatalf("%s: Secure = %v, want %v", path, c.Secure, tt.want)
				}
			}
		})
	}
}
