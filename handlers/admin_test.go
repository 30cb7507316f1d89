package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
)

var adminSecret = []byte("admin-test-secret-0123456789abcdef-0123456789")

// The real store is what the admin API reads in production.
var _ handlers.AdminStore = (*store.Store)(nil)

// stubLedger is an AdminStore double in the wtf style, for the cases the
// real store cannot produce on demand (a failing database) and for fuzzing.
type stubLedger struct {
	err error
}

var _ handlers.AdminStore = stubLedger{}

func (s stubLedger) ListMeetings(context.Context, int) ([]grant.Meeting, error) { return nil, s.err }
func (s stubLedger) FindMeeting(context.Context, string) (grant.Meeting, error) {
	if s.err != nil {
		return grant.Meeting{}, s.err
	}
	return grant.Meeting{}, fmt.Errorf("stub: %w", store.ErrNotFound)
}
func (s stubLedger) ListParticipants(context.Context, string, string) ([]grant.Participant, error) {
	return nil, s.err
}
func (s stubLedger) GranterStates(context.Context, string, string) ([]grant.GranterState, error) {
	return nil, s.err
}
func (s stubLedger) GrantOutcomesSince(context.Context, time.Time) (store.GrantOutcomes, error) {
	return store.GrantOutcomes{}, s.err
}
func (s stubLedger) GrantCountsByMeeting(context.Context, []store.MeetingKey) (map[store.MeetingKey]map[grant.State]int, error) {
	return nil, s.err
}

// adminLog collects cohostd's log lines for assertions.
type adminLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *adminLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *adminLog) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// adminRouter is cohostd's router with the admin API mounted through Deps.Mount.
func adminRouter(st handlers.AdminStore, secret []byte, logs io.Writer) http.Handler {
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return handlers.Router(handlers.Deps{
		Ready:  func(context.Context) error { return nil },
		Logger: logger,
		Mount:  handlers.NewAdmin(st, secret, logger).Mount,
	})
}

func adminServer(t *testing.T, st handlers.AdminStore, secret []byte) (*httptest.Server, *adminLog) {
	t.Helper()
	logs := &adminLog{}
	srv := httptest.NewServer(adminRouter(st, secret, logs))
	t.Cleanup(srv.Close)
	return srv, logs
}

func openLedger(t *testing.T, engine string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), testdb.URL(t, engine), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

type adminReply struct {
	status int
	header http.Header
	body   []byte
}

func (r adminReply) errorBody(t *testing.T) api.ErrorResponse {
	t.Helper()
	var e api.ErrorResponse
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	return e
}

func adminDo(t *testing.T, srv *httptest.Server, method, path string, authorization ...string) adminReply {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range authorization {
		req.Header.Add("Authorization", a)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return adminReply{res.StatusCode, res.Header, body}
}

func bearer(t *testing.T) string {
	t.Helper()
	tok, err := handlers.MintAdminToken(adminSecret, time.Hour, "ops@example.com")
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + tok
}

func signAdmin(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAdminAuth(t *testing.T) {
	srv, logs := adminServer(t, openLedger(t, "sqlite"), adminSecret)
	now := time.Now()
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"aud": api.AdminJWTAudience, "sub": "ops", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if edit != nil {
			edit(c)
		}
		return c
	}
	hs256 := func(edit func(jwt.MapClaims)) string {
		return signAdmin(t, jwt.SigningMethodHS256, adminSecret, claims(edit))
	}
	minted, err := handlers.MintAdminToken(adminSecret, time.Hour, "ops")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		headers    []string // Authorization values
		want       int
		wantDetail string // substring of the 401 detail
	}{
		{"missing header", nil, 401, "missing Authorization header"},
		{"wrong scheme", []string{"Basic b3BzOnNlY3JldA=="}, 401, "Bearer scheme"},
		{"token without scheme", []string{minted}, 401, "Bearer scheme"},
		{"empty bearer", []string{"Bearer "}, 401, "empty"},
		{"two headers", []string{"Bearer " + minted, "Bearer " + minted}, 401, "exactly one"},
		{"oversized token", []string{"Bearer " + strings.Repeat("a", 5000)}, 401, "longer than 4096"},
		{"malformed", []string{"Bearer not.a-jwt"}, 401, "well-formed JWT"},
		{"bad signature", []string{"Bearer " + signAdmin(t, jwt.SigningMethodHS256, []byte("some-other-secret-0123456789abcdef"), claims(nil))}, 401, "signature does not verify"},
		{"alg none", []string{"Bearer " + signAdmin(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil))}, 401, "HS256"},
		{"HS512 with the right secret", []string{"Bearer " + signAdmin(t, jwt.SigningMethodHS512, adminSecret, claims(nil))}, 401, "HS256"},
		{"expired", []string{"Bearer " + hs256(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		})}, 401, "expired"},
		{"expired within the 30s leeway", []string{"Bearer " + hs256(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = now.Add(-time.Hour).Unix(), now.Add(-10*time.Second).Unix()
		})}, 200, ""},
		{"not valid yet", []string{"Bearer " + hs256(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = now.Add(10*time.Minute).Unix(), now.Add(20*time.Minute).Unix()
		})}, 401, "not valid yet"},
		{"wrong audience", []string{"Bearer " + hs256(func(c jwt.MapClaims) { c["aud"] = "cohost-agent" })}, 401, "audience"},
		{"no audience", []string{"Bearer " + hs256(func(c jwt.MapClaims) { delete(c, "aud") })}, 401, "audience"},
		{"audience list including cohost-admin", []string{"Bearer " + hs256(func(c jwt.MapClaims) {
			c["aud"] = []string{"other", api.AdminJWTAudience}
		})}, 200, ""},
		{"no exp", []string{"Bearer " + hs256(func(c jwt.MapClaims) { delete(c, "exp") })}, 401, "no exp claim"},
		{"no iat", []string{"Bearer " + hs256(func(c jwt.MapClaims) { delete(c, "iat") })}, 401, "no iat claim"},
		{"lives longer than 24h", []string{"Bearer " + hs256(func(c jwt.MapClaims) { c["exp"] = now.Add(25 * time.Hour).Unix() })}, 401, "longer than 24h"},
		{"lives exactly 24h", []string{"Bearer " + hs256(func(c jwt.MapClaims) { c["exp"] = now.Add(24 * time.Hour).Unix() })}, 200, ""},
		{"valid minted token", []string{"Bearer " + minted}, 200, ""},
		{"scheme is case-insensitive", []string{"bearer " + minted}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := adminDo(t, srv, "GET", "/v1/meetings", tt.headers...)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d; body %s", r.status, tt.want, r.body)
			}
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			if tt.want == 200 {
				return
			}
			e := r.errorBody(t)
			if e.Error != api.AdminErrUnauthorized || !strings.Contains(e.Detail, tt.wantDetail) {
				t.Errorf("body %+v, want error unauthorized with detail containing %q", e, tt.wantDetail)
			}
			challenge := r.header.Get("WWW-Authenticate")
			if !strings.HasPrefix(challenge, "Bearer ") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", challenge)
			}
			if (len(tt.headers) == 0) == strings.Contains(challenge, "invalid_token") {
				t.Errorf("WWW-Authenticate = %q: invalid_token belongs exactly to requests that sent a token", challenge)
			}
			for _, h := range tt.headers {
				tok := strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
				if len(tok) >= 8 && (bytes.Contains(r.body, []byte(tok)) || strings.Contains(challenge, tok)) {
					t.Errorf("the response repeats the token")
				}
			}
		})
	}
	if strings.Contains(logs.String(), minted) {
		t.Error("a token reached the log")
	}
	if !strings.Contains(logs.String(), `"subject":"ops"`) {
		t.Error("authorized requests are not logged with the token's subject")
	}
}

func TestAdminDisabled(t *testing.T) {
	for _, secret := range [][]byte{nil, {}} {
		srv, _ := adminServer(t, openLedger(t, "sqlite"), secret)
		for _, path := range []string{"/v1/meetings", "/v1/meetings/85746065432", "/v1", "/v1/anything"} {
			for _, auth := range [][]string{nil, {bearer(t)}} {
				r := adminDo(t, srv, "GET", path, auth...)
				want := `{"error":"admin_api_disabled","detail":"set COHOST_ADMIN_SECRET to enable the admin API"}` + "\n"
				if r.status != 404 || string(r.body) != want {
					t.Errorf("GET %s (auth %v) = %d %s, want 404 %s", path, auth != nil, r.status, r.body, want)
				}
			}
		}
		if r := adminDo(t, srv, "GET", "/healthz"); r.status != 200 {
			t.Errorf("/healthz = %d with the admin API off", r.status)
		}
	}
}

// The ledger seeded on each engine: a started meeting with a confirmed, a
// skipped (phone only) and a failed participant, what its granters did, and a
// scheduled meeting of another account updated after it.
var (
	t0       = time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)
	joinSeen = t0.Add(time.Minute + 200*time.Millisecond)
)

const (
	seededMeeting = "85746065432"
	seededUUID    = "m-uuid/+A=="
	otherMeeting  = "93000000001"
)

func seedLedger(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	err := st.InTx(ctx, func(tx store.Tx) error {
		m, err := tx.LockMeeting(ctx, "acct-1", seededMeeting)
		if err != nil {
			return err
		}
		m.UUID, m.HostID, m.HostEmail, m.Topic = seededUUID, "host-1", "host@example.com", "Weekly sync"
		m.StartTime, m.Status, m.StatusAt, m.StartedAt = t0, grant.MeetingStarted, t0, t0
		m.TrackingFields = map[string]string{"team": "eng"}
		if err := tx.SaveMeeting(ctx, m); err != nil {
			return err
		}
		for _, seed := range []grant.Participant{
			{Key: "p-alice", UserID: "16778240", ZoomUserID: "zu-alice", Name: "Alice", Email: "alice@example.com",
				JoinedAt: t0.Add(time.Minute), State: grant.StateConfirmed, Granter: "agent", JoinSeenAt: joinSeen,
				GrantedAt: joinSeen.Add(450 * time.Millisecond), ConfirmedAt: joinSeen.Add(time.Second), Attempts: 1},
			{Key: "p-phone", UserID: "16778241", Name: "Caller", Phone: "+15550100", JoinedAt: t0.Add(2 * time.Minute),
				State: grant.StateSkipped, Reason: grant.ReasonPhoneOnly, JoinSeenAt: t0.Add(2 * time.Minute)},
			{Key: "p-bob", UserID: "16778242", Name: "Bob", Email: "bob@example.com", JoinedAt: t0.Add(3 * time.Minute),
				LeftAt: t0.Add(5 * time.Minute), State: grant.StateFailed, Granter: "agent", Reason: grant.ReasonNotVisible,
				JoinSeenAt: t0.Add(3 * time.Minute), Attempts: 4},
		} {
			p, err := tx.LockParticipant(ctx, "acct-1", seededMeeting, seededUUID, seed.Key)
			if err != nil {
				return err
			}
			seed.AccountID, seed.MeetingID, seed.MeetingUUID = p.AccountID, p.MeetingID, p.MeetingUUID
			if err := tx.SaveParticipant(ctx, seed); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []grant.GranterState{
		{Granter: "agent", Phase: grant.GranterPrepared, At: t0.Add(-2 * time.Minute)},
		{Granter: "permissions", Phase: grant.GranterPrepareFailed, At: t0.Add(-2 * time.Minute),
			Detail: "locked by the account admin: in_meeting.annotation"},
	} {
		if err := st.SetGranterState(ctx, "acct-1", seededMeeting, g); err != nil {
			t.Fatal(err)
		}
	}
	// The list is ordered by the store's updated_at (milliseconds): let the
	// clock move on so the second meeting is strictly more recent.
	time.Sleep(2 * time.Millisecond)
	err = st.InTx(ctx, func(tx store.Tx) error {
		m, err := tx.LockMeeting(ctx, "acct-2", otherMeeting)
		if err != nil {
			return err
		}
		m.Topic, m.HostID, m.Status, m.StartTime = "Planning", "host-2", grant.MeetingScheduled, t0.Add(24*time.Hour)
		return tx.SaveMeeting(ctx, m)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func at(t time.Time) *time.Time { return &t }
func ms(n int64) *int64         { return &n }

func TestAdminLedger(t *testing.T) {
	for _, eng := range testdb.Engines {
		t.Run(eng, func(t *testing.T) {
			st := openLedger(t, eng)
			seedLedger(t, st)
			srv, _ := adminServer(t, st, adminSecret)
			auth := bearer(t)

			seeded := api.AdminMeeting{
				AccountID: "acct-1", MeetingID: seededMeeting, UUID: seededUUID, Topic: "Weekly sync",
				HostID: "host-1", HostEmail: "host@example.com", Status: "started",
				StartTime: at(t0), StartedAt: at(t0), TrackingFields: map[string]string{"team": "eng"},
				Grants: api.AdminGrantCounts{Total: 3, Confirmed: 1, Skipped: 1, Failed: 1},
			}
			other := api.AdminMeeting{
				AccountID: "acct-2", MeetingID: otherMeeting, Topic: "Planning", HostID: "host-2",
				Status: "scheduled", StartTime: at(t0.Add(24 * time.Hour)),
			}

			t.Run("list", func(t *testing.T) {
				r := adminDo(t, srv, "GET", "/v1/meetings", auth)
				if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
					t.Fatalf("status %d type %q: %s", r.status, r.header.Get("Content-Type"), r.body)
				}
				var got api.AdminMeetingList
				if err := json.Unmarshal(r.body, &got); err != nil {
					t.Fatal(err)
				}
				want := api.AdminMeetingList{Meetings: []api.AdminMeeting{other, seeded}, Limit: api.AdminDefaultLimit}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("list (-want +got):\n%s", d)
				}
				r = adminDo(t, srv, "GET", "/v1/meetings?limit=1", auth)
				got = api.AdminMeetingList{}
				if err := json.Unmarshal(r.body, &got); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(api.AdminMeetingList{Meetings: []api.AdminMeeting{other}, Limit: 1}, got); d != "" {
					t.Errorf("limit=1 (-want +got):\n%s", d)
				}
			})

			t.Run("detail", func(t *testing.T) {
				r := adminDo(t, srv, "GET", "/v1/meetings/"+seededMeeting, auth)
				if r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				var got api.AdminMeetingDetail
				if err := json.Unmarshal(r.body, &got); err != nil {
					t.Fatal(err)
				}
				want := api.AdminMeetingDetail{
					Meeting: seeded,
					Granters: []api.AdminGranterState{
						{Granter: "agent", State: "prepared", At: at(t0.Add(-2 * time.Minute))},
						{Granter: "permissions", State: "prepare_failed", Detail: "locked by the account admin: in_meeting.annotation",
							At: at(t0.Add(-2 * time.Minute))},
					},
					Participants: []api.AdminParticipant{
						{MeetingUUID: seededUUID, Key: "p-alice", UserID: "16778240", Name: "Alice", Email: "alice@example.com",
							SignedIn: true, JoinedAt: at(t0.Add(time.Minute)), Present: true, State: "confirmed", Granter: "agent",
							Summary:    "co-host: made co-host by the co-host agent; Zoom confirmed the role change, 1000 ms after cohost saw the join",
							JoinSeenAt: at(joinSeen), GrantedAt: at(joinSeen.Add(450 * time.Millisecond)),
							ConfirmedAt: at(joinSeen.Add(time.Second)), TimeToGrantMS: ms(450), TimeToConfirmMS: ms(1000), Attempts: 1},
						{MeetingUUID: seededUUID, Key: "p-phone", UserID: "16778241", Name: "Caller",
							JoinedAt: at(t0.Add(2 * time.Minute)), Present: true, State: "skipped", Reason: "phone_only",
							ReasonText: grant.ReasonPhoneOnly.Text(),
							Summary:    "not co-host (skipped): they joined by phone only, without a Zoom client that can hold a role",
							JoinSeenAt: at(t0.Add(2 * time.Minute))},
						{MeetingUUID: seededUUID, Key: "p-bob", UserID: "16778242", Name: "Bob", Email: "bob@example.com",
							JoinedAt: at(t0.Add(3 * time.Minute)), LeftAt: at(t0.Add(5 * time.Minute)), State: "failed",
							Granter: "agent", Reason: "participant_not_visible_to_agent",
							ReasonText: grant.ReasonNotVisible.Text(),
							Summary:    "not co-host (failed via agent after 4 attempts): the co-host agent did not see them in the meeting within the retry window",
							JoinSeenAt: at(t0.Add(3 * time.Minute)), Attempts: 4},
					},
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("detail (-want +got):\n%s", d)
				}
				// Unknowns are left out of the JSON, not sent as zero values.
				var raw struct {
					Participants []map[string]json.RawMessage `json:"participants"`
				}
				if err := json.Unmarshal(r.body, &raw); err != nil {
					t.Fatal(err)
				}
				for _, key := range []string{"granted_at", "confirmed_at", "time_to_grant_ms", "time_to_confirm_ms", "left_at", "granter", "email"} {
					if _, ok := raw.Participants[1][key]; ok {
						t.Errorf("phone participant has %s", key)
					}
				}
				if string(raw.Participants[0]["joined_at"]) != `"2027-01-15T08:01:00Z"` {
					t.Errorf("joined_at = %s, want RFC 3339 UTC", raw.Participants[0]["joined_at"])
				}
				if bytes.Contains(r.body, []byte("+15550100")) {
					t.Error("the phone number is exposed")
				}
			})

			t.Run("unknown meeting", func(t *testing.T) {
				r := adminDo(t, srv, "GET", "/v1/meetings/11111111111", auth)
				e := r.errorBody(t)
				if r.status != 404 || e.Error != api.AdminErrMeetingNotFound || !strings.Contains(e.Detail, "11111111111") {
					t.Errorf("= %d %+v, want 404 meeting_not_found naming the id", r.status, e)
				}
			})
		})
	}
}

func TestAdminBadRequests(t *testing.T) {
	srv, _ := adminServer(t, openLedger(t, "sqlite"), adminSecret)
	auth := bearer(t)
	tests := []struct {
		path      string
		want      int
		wantError string
	}{
		{"/v1/meetings?limit=", 400, api.AdminErrInvalidLimit},
		{"/v1/meetings?limit=abc", 400, api.AdminErrInvalidLimit},
		{"/v1/meetings?limit=0", 400, api.AdminErrInvalidLimit},
		{"/v1/meetings?limit=-1", 400, api.AdminErrInvalidLimit},
		{"/v1/meetings?limit=501", 400, api.AdminErrInvalidLimit},
		{"/v1/meetings?limit=1.5", 400, api.AdminErrInvalidLimit},
		{"/v1/meetings?limit=%201", 400, api.AdminErrInvalidLimit},
		{"/v1/meetings?limit=99999999999999999999", 400, api.AdminErrInvalidLimit},
		{"/v1/meetings?limit=1", 200, ""},
		{"/v1/meetings?limit=500", 200, ""},
		{"/v1/meetings?other=x", 200, ""},
		{"/v1/meetings/m-uuid%2F%2BA%3D%3D", 400, api.AdminErrInvalidMeetingID},
		{"/v1/meetings/857%2046", 400, api.AdminErrInvalidMeetingID},
		{"/v1/meetings/" + strings.Repeat("9", 21), 400, api.AdminErrInvalidMeetingID},
		{"/v1/meetings/1/participants", 404, api.AdminErrNotFound},
		{"/v1/nothing", 404, api.AdminErrNotFound},
	}
	for _, tt := range tests {
		r := adminDo(t, srv, "GET", tt.path, auth)
		if r.status != tt.want {
			t.Errorf("GET %s = %d, want %d: %s", tt.path, r.status, tt.want, r.body)
			continue
		}
		if tt.wantError != "" {
			if e := r.errorBody(t); e.Error != tt.wantError || e.Detail == "" {
				t.Errorf("GET %s = %+v, want %s with a detail", tt.path, e, tt.wantError)
			}
		}
	}
	for _, method := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		r := adminDo(t, srv, method, "/v1/meetings", auth)
		if r.status != 405 || r.header.Get("Allow") != "GET" || r.errorBody(t).Error != api.AdminErrMethodNotAllowed {
			t.Errorf("%s /v1/meetings = %d Allow %q: %s", method, r.status, r.header.Get("Allow"), r.body)
		}
		if r := adminDo(t, srv, method, "/v1/meetings"); r.status != 401 {
			t.Errorf("%s /v1/meetings without a token = %d, want 401 before routing", method, r.status)
		}
	}
	if r := adminDo(t, srv, "GET", "/v1/nothing"); r.status != 401 {
		t.Errorf("unknown /v1 route without a token = %d, want 401 (routes are not revealed)", r.status)
	}
}

func TestAdminStoreErrors(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		want      int
		wantError string
	}{
		{"database down", fmt.Errorf("%w: dial tcp: connection refused", store.ErrUnavailable), 503, api.AdminErrUnavailable},
		{"query failed", errors.New("pq: relation participants does not exist"), 500, api.AdminErrInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, logs := adminServer(t, stubLedger{err: tt.err}, adminSecret)
			for _, path := range []string{"/v1/meetings", "/v1/meetings/1", "/v1/summary"} {
				r := adminDo(t, srv, "GET", path, bearer(t))
				if r.status != tt.want || r.errorBody(t).Error != tt.wantError {
					t.Errorf("GET %s = %d %s, want %d %s", path, r.status, r.body, tt.want, tt.wantError)
				}
				if bytes.Contains(r.body, []byte(tt.err.Error())) {
					t.Errorf("GET %s leaks the database error: %s", path, r.body)
				}
			}
			if !strings.Contains(logs.String(), tt.err.Error()) {
				t.Error("the database error is not logged")
			}
		})
	}
}

func TestMintAdminToken(t *testing.T) {
	for _, tt := range []struct {
		name   string
		secret []byte
		ttl    time.Duration
	}{
		{"no secret", nil, time.Hour},
		{"5-byte secret", []byte("short"), time.Hour},
		{"31-byte secret", adminSecret[:31], time.Hour},
		{"zero ttl", adminSecret, 0},
		{"negative ttl", adminSecret, -time.Minute},
		{"longer than the API accepts", adminSecret, 24*time.Hour + time.Second},
	} {
		if _, err := handlers.MintAdminToken(tt.secret, tt.ttl, "ops"); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	tok, err := handlers.MintAdminToken(adminSecret, 24*time.Hour, "ops@example.com")
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.RegisteredClaims
	if _, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return adminSecret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(api.AdminJWTAudience), jwt.WithExpirationRequired()); err != nil {
		t.Fatal(err)
	}
	if c.Subject != "ops@example.com" || c.ID == "" || c.ExpiresAt.Sub(c.IssuedAt.Time) != 24*time.Hour {
		t.Errorf("claims %+v", c)
	}
}

// FuzzAdminBearer drives the Authorization header through the whole admin
// router. Whatever arrives, the answer is 200 only for a token an independent
// check accepts, else a 401 with a Bearer challenge that does not repeat the
// token.
func FuzzAdminBearer(f *testing.F) {
	now := time.Now()
	good, err := handlers.MintAdminToken(adminSecret, time.Hour, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	claims := jwt.MapClaims{"aud": api.AdminJWTAudience, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for _, seed := range []string{
		"", "Bearer", "Bearer ", "bearer " + good, "Bearer " + good, "Bearer  " + good + " ", good,
		"Basic b3BzOnNlY3JldA==", "Bearer a.b.c", "Bearer ..", "Bearer e30.e30.", "Bearer " + strings.Repeat(".", 5000),
		"Bearer " + signAdmin(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims),
		"Bearer " + signAdmin(f, jwt.SigningMethodHS384, adminSecret, claims),
		"Bearer " + signAdmin(f, jwt.SigningMethodHS256, []byte("wrong"), claims),
		"Bearer " + signAdmin(f, jwt.SigningMethodHS256, adminSecret, jwt.MapClaims{"aud": "x", "exp": now.Add(time.Hour).Unix()}),
		"Bearer " + signAdmin(f, jwt.SigningMethodHS256, adminSecret, jwt.MapClaims{"aud": api.AdminJWTAudience, "iat": "soon", "exp": 1e300}),
	} {
		f.Add(seed)
	}
	h := adminRouter(stubLedger{}, adminSecret, io.Discard)
	f.Fuzz(func(t *testing.T, authorization string) {
		req := httptest.NewRequest("GET", "/v1/meetings", nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		scheme, tok, _ := strings.Cut(strings.TrimSpace(authorization), " ")
		tok = strings.TrimSpace(tok)
		switch rec.Code {
		case 200:
			var c jwt.RegisteredClaims
			_, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return adminSecret, nil },
				jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(api.AdminJWTAudience),
				jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(api.AdminJWTLeeway))
			if !strings.EqualFold(scheme, "bearer") || err != nil || c.IssuedAt == nil ||
				c.ExpiresAt.Sub(c.IssuedAt.Time) > api.AdminJWTMaxLifetime {
				t.Fatalf("accepted %q (independent check: %v)", authorization, err)
			}
		case 401:
			if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer ") {
				t.Fatalf("401 without a Bearer challenge for %q", authorization)
			}
			var e api.ErrorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error != api.AdminErrUnauthorized || e.Detail == "" {
				t.Fatalf("401 body %q for %q", rec.Body.Bytes(), authorization)
			}
			// The details are fixed sentences without dots; a JWT has two.
			if strings.Contains(tok, ".") && len(tok) >= 8 && strings.Contains(rec.Body.String(), tok) {
				t.Fatalf("the 401 repeats the token %q", tok)
			}
		default:
			t.Fatalf("status %d for %q", rec.Code, authorization)
		}
	})
}

// A short secret fails closed: the admin API is off (cohostd refuses to
// start with one before it gets here), and says why.
func TestAdminShortSecretTurnsTheAPIOff(t *testing.T) {
	short := []byte("12345")
	srv, _ := adminServer(t, nil, short)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Audience: jwt.ClaimStrings{api.AdminJWTAudience}, IssuedAt: jwt.NewNumericDate(time.Now()),
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	}).SignedString(short)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/v1/meetings", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e api.ErrorResponse
	_ = json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != http.StatusNotFound || e.Error != api.AdminErrDisabled || !strings.Contains(e.Detail, "32 bytes") {
		t.Fatalf("a token signed with a 5-byte secret: %d %+v, want 404 %s", resp.StatusCode, e, api.AdminErrDisabled)
	}
}
