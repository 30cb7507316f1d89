package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/hostclient"
)

const goodSecret = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-x"

type fakeFiles struct{}

func (fakeFiles) Render(w io.Writer, id string) error {
	_, err := io.WriteString(w, `<!doctype html><body data-meeting-id="`+id+`">`)
	return err
}
func (fakeFiles) Assets() fs.FS { return fstest.MapFS{"host.js": {Data: []byte("export {}")}} }
func (fakeFiles) CSP() string   { return "default-src 'self'; script-src 'self' https://source.zoom.us" }

// fakeHostClient answers as hostclient.Service would; the service itself is
// tested in package hostclient, end to end in package harness.
type fakeHostClient struct {
	syncs []api.HostSyncRequest
	err   error
}

func (f *fakeHostClient) Authenticate(_ context.Context, secret, meetingID string) (hostclient.LinkRecord, error) {
	switch {
	case secret == "":
		return hostclient.LinkRecord{}, &grant.Error{Code: api.HostErrLinkMissing, Message: "no link"}
	case secret != goodSecret:
		return hostclient.LinkRecord{}, &grant.Error{Code: api.HostErrLinkInvalid, Message: "not a link"}
	}
	return hostclient.LinkRecord{AccountID: "acct", MeetingID: meetingID}, nil
}

func (f *fakeHostClient) Start(context.Context, hostclient.LinkRecord) (api.HostStartResponse, error) {
	if f.err != nil {
		return api.HostStartResponse{}, f.err
	}
	return api.HostStartResponse{MeetingID: "81234567890", ZAK: "zak-value", Signature: "sig-value", SessionID: "s1"}, nil
}

func (f *fakeHostClient) Sync(_ context.Context, _ hostclient.LinkRecord, req api.HostSyncRequest) (api.HostSyncResponse, error) {
	f.syncs = append(f.syncs, req)
	return api.HostSyncResponse{Action: api.HostAction{Kind: api.HostActionWait}, SyncMS: 1000}, nil
}

func hostServer(t *testing.T, c handlers.HostClient) (*httptest.Server, *adminLog) {
	t.Helper()
	logs := &adminLog{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(handlers.Router(handlers.Deps{
		Ready: func(context.Context) error { return nil }, Logger: logger,
		Mount: (&handlers.HostPage{Files: fakeFiles{}, Client: c, Logger: logger}).Mount,
	}))
	t.Cleanup(srv.Close)
	return srv, logs
}

func hostDo(t *testing.T, srv *httptest.Server, method, path, auth, body string) adminReply {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return adminReply{res.StatusCode, res.Header, b}
}

func TestHostPageHeaders(t *testing.T) {
	srv, _ := hostServer(t, &fakeHostClient{})
	r := hostDo(t, srv, "GET", "/host/81234567890", "", "")
	if r.status != 200 || !strings.Contains(string(r.body), `data-meeting-id="81234567890"`) {
		t.Fatalf("page: %d %s", r.status, r.body)
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": fakeFiles{}.CSP(),
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
	} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if r := hostDo(t, srv, "GET", "/host/not-a-meeting", "", ""); r.status != 400 {
		t.Errorf("a non-numeric meeting id: %d", r.status)
	}
	if r := hostDo(t, srv, "GET", "/host/assets/host.js", "", ""); r.status != 200 || r.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("asset: %d %v", r.status, r.header)
	}
	api := hostDo(t, srv, "POST", "/host/api/v1/meetings/81234567890/start", "Bearer "+goodSecret, "")
	if api.header.Get("Cache-Control") != "no-store" || api.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("API headers %v", api.header)
	}
}

func TestHostAPIErrors(t *testing.T) {
	c := &fakeHostClient{}
	srv, logs := hostServer(t, c)
	start := "/host/api/v1/meetings/81234567890/start"
	sync := "/host/api/v1/meetings/81234567890/sync"
	tests := []struct {
		name, path, auth, body string
		status                 int
		code                   string
	}{
		{"no bearer", start, "", "", 401, api.HostErrLinkMissing},
		{"basic auth is not a link", start, "Basic " + goodSecret, "", 401, api.HostErrLinkMissing},
		{"wrong secret", start, "Bearer nope", "", 401, api.HostErrLinkInvalid},
		{"sync: not json", sync, "Bearer " + goodSecret, "{", 400, api.HostErrBadRequest},
		{"sync: unknown field", sync, "Bearer " + goodSecret, `{"session_id":"s1","connection":"Connected","zak":"x"}`, 400, api.HostErrBadRequest},
		{"sync: two objects", sync, "Bearer " + goodSecret, `{"session_id":"s1"}{}`, 400, api.HostErrBadRequest},
		{"sync: a key twice", sync, "Bearer " + goodSecret, `{"session_id":"s1","connection":"Connected","session_id":"s2"}`, 400, api.HostErrBadRequest},
		{"sync: a key twice in the roster", sync, "Bearer " + goodSecret, `{"session_id":"s1","roster":[{"user_id":1,"user_name":"Ann","user_name":"Host"}]}`, 400, api.HostErrBadRequest},
		{"sync: too large", sync, "Bearer " + goodSecret, `{"roster":[` + strings.Repeat(`{"user_name":"xxxxxxxxxxxxxxxx"},`, 20000) + `{}]}`, 413, api.HostErrBadRequest},
		{"bad meeting id", "/host/api/v1/meetings/abc/start", "Bearer " + goodSecret, "", 400, api.HostErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := hostDo(t, srv, "POST", tt.path, tt.auth, tt.body)
			if r.status != tt.status || r.errorBody(t).Error != tt.code || r.errorBody(t).Detail == "" {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}
	if r := hostDo(t, srv, "GET", start, "Bearer "+goodSecret, ""); r.status != 405 {
		t.Errorf("GET start: %d", r.status)
	}
	// A Zoom failure reaches the page with its detail; the cause is logged.
	c.err = &grant.Error{Code: api.HostErrZoom, Message: "getting the host's ZAK: Zoom answered 404 (code 1001: User does not exist)"}
	r := hostDo(t, srv, "POST", start, "Bearer "+goodSecret, "")
	if r.status != 502 || r.errorBody(t).Error != api.HostErrZoom || !strings.Contains(r.errorBody(t).Detail, "1001") {
		t.Fatalf("zoom failure: %d %s", r.status, r.body)
	}
	c.err = nil
	ok := hostDo(t, srv, "POST", start, "Bearer "+goodSecret, "")
	var out api.HostStartResponse
	if ok.status != 200 || json.Unmarshal(ok.body, &out) != nil || out.ZAK != "zak-value" {
		t.Fatalf("start: %d %s", ok.status, ok.body)
	}
	body := `{"session_id":"s1","connection":"Connected","roster":[{"user_id":5,"participant_uuid":"{X}","user_name":"Ada"}]}`
	if r := hostDo(t, srv, "POST", sync, "Bearer "+goodSecret, body); r.status != 200 || len(c.syncs) != 1 || c.syncs[0].Roster[0].UserID != 5 {
		t.Fatalf("sync: %d %s %+v", r.status, r.body, c.syncs)
	}
	// The secret, the ZAK and the signature never reach the log.
	for _, leak := range []string{goodSecret, "zak-value", "sig-value"} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("the log holds %q", leak)
		}
	}
}

// fakeLinks is hostclient.Service's link side.
type fakeLinks struct {
	mint    hostclient.MintRequest
	err     error
	revoked string
}

func (f *fakeLinks) MintLink(_ context.Context, r hostclient.MintRequest) (hostclient.Link, error) {
	f.mint = r
	if f.err != nil {
		return hostclient.Link{}, f.err
	}
	return hostclient.Link{URL: "https://c.example/host/" + r.MeetingID + "#secret", MeetingID: r.MeetingID, AccountID: "acct",
		ExpiresAt: time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)}, nil
}

func (f *fakeLinks) RevokeLinks(_ context.Context, id string) (int64, error) {
	f.revoked = id
	return 2, f.err
}

func TestAdminHostLink(t *testing.T) {
	links := &fakeLinks{}
	logs := &adminLog{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	on := httptest.NewServer(handlers.Router(handlers.Deps{Ready: func(context.Context) error { return nil }, Logger: logger,
		Mount: handlers.NewAdmin(stubLedger{}, adminSecret, logger).WithHostLinks(links).Mount}))
	t.Cleanup(on.Close)
	off, _ := adminServer(t, stubLedger{}, adminSecret)
	path := "/v1/meetings/81234567890/host-link"
	do := func(srv *httptest.Server, method, p, body string, auth bool) adminReply {
		t.Helper()
		a := ""
		if auth {
			a = bearer(t)
		}
		return hostDo(t, srv, method, p, a, body)
	}

	r := do(on, "POST", path, "", true)
	var l api.AdminHostLink
	if r.status != 201 || json.Unmarshal(r.body, &l) != nil || l.URL == "" || l.ExpiresAt.IsZero() || links.mint.MeetingID != "81234567890" {
		t.Fatalf("mint: %d %s", r.status, r.body)
	}
	if r := do(on, "POST", path, `{"account_id":"a2","ttl":"90m"}`, true); r.status != 201 || links.mint.AccountID != "a2" || links.mint.TTL != 90*time.Minute {
		t.Fatalf("mint with a body: %d %s %+v", r.status, r.body, links.mint)
	}
	r = do(on, "DELETE", path, "", true)
	var rv api.AdminHostLinkRevoked
	if r.status != 200 || json.Unmarshal(r.body, &rv) != nil || rv.Revoked != 2 || links.revoked != "81234567890" {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	for _, tt := range []struct {
		name   string
		srv    *httptest.Server
		method string
		path   string
		body   string
		auth   bool
		status int
		code   string
	}{
		{"no token", on, "POST", path, "", false, 401, api.AdminErrUnauthorized},
		{"host client off", off, "POST", path, "", true, 404, api.AdminErrHostClientOff},
		{"bad meeting id", on, "POST", "/v1/meetings/abc/host-link", "", true, 400, api.AdminErrInvalidMeetingID},
		{"bad body", on, "POST", path, `{"ttl":5}`, true, 400, api.AdminErrInvalidBody},
		{"unknown field", on, "POST", path, `{"expires":"1h"}`, true, 400, api.AdminErrInvalidBody},
		{"a key twice", on, "POST", path, `{"ttl":"1h","TTL":"24h"}`, true, 400, api.AdminErrInvalidBody},
		{"bad ttl", on, "POST", path, `{"ttl":"soon"}`, true, 400, api.AdminErrInvalidTTL},
		{"wrong method", on, "PUT", path, "", true, 405, api.AdminErrMethodNotAllowed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := do(tt.srv, tt.method, tt.path, tt.body, tt.auth)
			if r.status != tt.status || r.errorBody(t).Error != tt.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}
	if r := do(on, "PUT", path, "", true); r.header.Get("Allow") != "POST, DELETE" {
		t.Errorf("Allow = %q", r.header.Get("Allow"))
	}
	// The host client's own refusals pass through with their status and words.
	links.err = &grant.Error{Code: api.AdminErrHostNotInAccount, Message: "the meeting's host is not a user of the account"}
	if r := do(on, "POST", path, "", true); r.status != 422 || r.errorBody(t).Error != api.AdminErrHostNotInAccount {
		t.Fatalf("host not in account: %d %s", r.status, r.body)
	}
	if strings.Contains(logs.String(), "#secret") {
		t.Error("a host link reached the log")
	}
}
