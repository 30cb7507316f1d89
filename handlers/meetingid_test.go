package handlers_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/hostclient"
)

// countingHostClient records every meeting id that reached the host client.
type countingHostClient struct {
	fakeHostClient
	seen []string
}

func (c *countingHostClient) Authenticate(ctx context.Context, secret, meetingID string) (hostclient.LinkRecord, error) {
	c.seen = append(c.seen, meetingID)
	return c.fakeHostClient.Authenticate(ctx, secret, meetingID)
}

// Every route that takes {meetingId} refuses an id that is not canonical
// (api.CanonicalMeetingID) with 400 and words that say the canonical form,
// and never hands it on: "0087991488412" is the same meeting to Zoom as
// "87991488412", so a link minted, used or revoked under it would escape the
// revocation of the other. A link stored for such an id by an older build
// can only be used under it, and so ends here too.
func TestMeetingIDRoutesRefuseNonCanonicalIDs(t *testing.T) {
	links := &fakeLinks{}
	hosts := &countingHostClient{}
	logger := slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(handlers.Router(handlers.Deps{Ready: func(context.Context) error { return nil }, Logger: logger,
		Mount: func(r chi.Router) {
			handlers.NewAdmin(stubLedger{}, adminSecret, logger).WithHostLinks(links).Mount(r)
			(&handlers.HostPage{Files: fakeFiles{}, Client: hosts, Logger: logger}).Mount(r)
		}}))
	t.Cleanup(srv.Close)
	admin := bearer(t)
	link := "Bearer " + goodSecret
	routes := []struct {
		method, path, auth, code string
	}{
		{"GET", "/v1/meetings/%s", admin, api.AdminErrInvalidMeetingID},
		{"POST", "/v1/meetings/%s/host-link", admin, api.AdminErrInvalidMeetingID},
		{"DELETE", "/v1/meetings/%s/host-link", admin, api.AdminErrInvalidMeetingID},
		{"GET", "/host/%s", "", api.HostErrBadRequest},
		{"POST", "/host/api/v1/meetings/%s/start", link, api.HostErrBadRequest},
		{"POST", "/host/api/v1/meetings/%s/sync", link, api.HostErrBadRequest},
	}
	for _, id := range []string{"0087991488412", "087991488412", "0", "-5", "abc", "%2B87991488412", "8799%201488412",
		"9223372036854775808", strings.Repeat("9", 21), "m-uuid%3D%3D"} {
		for _, rt := range routes {
			path := strings.Replace(rt.path, "%s", id, 1)
			t.Run(rt.method+" "+path, func(t *testing.T) {
				r := hostDo(t, srv, rt.method, path, rt.auth, "")
				e := r.errorBody(t)
				if r.status != 400 || e.Error != rt.code || !strings.Contains(e.Detail, "without a leading zero") {
					t.Fatalf("%d %s, want 400 %s saying the canonical form", r.status, r.body, rt.code)
				}
			})
		}
	}
	if links.mint.MeetingID != "" || links.revoked != "" || len(hosts.seen) != 0 {
		t.Fatalf("a non-canonical id was handed on: minted %q, revoked %q, authenticated %q", links.mint.MeetingID, links.revoked, hosts.seen)
	}
	// The canonical form of the same meeting goes through.
	for _, rt := range routes[1:] {
		path := strings.Replace(rt.path, "%s", "87991488412", 1)
		body := ""
		if strings.HasSuffix(path, "/sync") {
			body = `{"session_id":"s1"}`
		}
		if r := hostDo(t, srv, rt.method, path, rt.auth, body); r.status >= 400 {
			t.Errorf("%s %s: %d %s", rt.method, path, r.status, r.body)
		}
	}
	if links.mint.MeetingID != "87991488412" || links.revoked != "87991488412" {
		t.Fatalf("the canonical id: minted %q, revoked %q", links.mint.MeetingID, links.revoked)
	}
}
