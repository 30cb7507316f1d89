package server

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cohost-dev/cohost/web"
)

// cohostd serves the console beside the admin API, also while the admin API is off: the page
// then says how to turn it on, and the API it would read answers admin_api_disabled.
func TestConsoleMountedWithTheAdminAPIOff(t *testing.T) {
	s := openTestServer(t)
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get("http://" + s.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	resp, page := get("/console")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") != web.ConsoleCSP() ||
		!strings.Contains(page, `data-admin-off="set COHOST_ADMIN_SECRET to enable the admin API"`) {
		t.Fatalf("GET /console = %d CSP %q:\n%.400s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), page)
	}
	if resp, _ := get("/console/assets/console.js"); resp.StatusCode != 200 {
		t.Errorf("GET /console/assets/console.js = %d", resp.StatusCode)
	}
	if resp, body := get("/v1/summary"); resp.StatusCode != 404 || !strings.Contains(body, "admin_api_disabled") {
		t.Errorf("GET /v1/summary = %d %s, want 404 admin_api_disabled", resp.StatusCode, body)
	}
}
