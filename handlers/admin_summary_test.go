package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
)

// seedRecent writes a meeting and its participants with join times relative to now, since the
// summary counts the joins of a window that ends now.
func seedRecent(t *testing.T, st *store.Store, account, meetingID string, status grant.MeetingStatus, ps []grant.Participant) {
	t.Helper()
	ctx := context.Background()
	err := st.InTx(ctx, func(tx store.Tx) error {
		m, err := tx.LockMeeting(ctx, account, meetingID)
		if err != nil {
			return err
		}
		m.UUID, m.Topic, m.Status = meetingID+"-uuid", "Meeting "+meetingID, status
		if err := tx.SaveMeeting(ctx, m); err != nil {
			return err
		}
		for _, seed := range ps {
			p, err := tx.LockParticipant(ctx, account, meetingID, m.UUID, seed.Key)
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
}

// joined is a participant whose join cohostd saw ago before now, granted and confirmed the given
// times after it (0: not).
func joined(key string, ago time.Duration, state grant.State, reason grant.Reason, grantMS, confirmMS int64) grant.Participant {
	seen := time.Now().Add(-ago)
	p := grant.Participant{Key: key, Name: key, JoinedAt: seen, JoinSeenAt: seen, State: state, Reason: reason}
	if grantMS > 0 {
		p.GrantedAt = seen.Add(time.Duration(grantMS) * time.Millisecond)
	}
	if confirmMS > 0 {
		p.ConfirmedAt = seen.Add(time.Duration(confirmMS) * time.Millisecond)
	}
	return p
}

func getSummary(t *testing.T, srv *httptest.Server, query, auth string) api.AdminSummary {
	t.Helper()
	r := adminDo(t, srv, "GET", "/v1/summary"+query, auth)
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /v1/summary%s = %d %q: %s", query, r.status, r.header.Get("Content-Type"), r.body)
	}
	var got api.AdminSummary
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestAdminSummary: the joins of the window by state and reason, nearest-rank times, meetings
// live; a join before the window is left out until the window reaches it; on both engines.
func TestAdminSummary(t *testing.T) {
	for _, eng := range testdb.Engines {
		t.Run(eng, func(t *testing.T) {
			st := openLedger(t, eng)
			srv, _ := adminServer(t, st, adminSecret)
			auth := bearer(t)

			empty := getSummary(t, srv, "", auth)
			if d := cmp.Diff(api.AdminSummary{WindowSeconds: 3600, Reasons: []api.AdminReasonCount{}}, empty); d != "" {
				t.Errorf("empty ledger (-want +got):\n%s", d)
			}

			seedRecent(t, st, "acct-1", "81000000001", grant.MeetingStarted, []grant.Participant{
				joined("a", 10*time.Minute, grant.StateConfirmed, "", 300, 400),
				joined("b", 9*time.Minute, grant.StateConfirmed, "", 800, 1000),
				joined("c", 8*time.Minute, grant.StateConfirmed, "", 2000, 2500),
				joined("d", 7*time.Minute, grant.StateGranted, "", 600, 0),
				joined("e", time.Minute, grant.StatePending, "", 0, 0),
				joined("host", 11*time.Minute, grant.StateSkipped, grant.ReasonHost, 0, 0),
				joined("phone1", 6*time.Minute, grant.StateSkipped, grant.ReasonPhoneOnly, 0, 0),
				joined("phone2", 5*time.Minute, grant.StateSkipped, grant.ReasonPhoneOnly, 0, 0),
				joined("late", 4*time.Minute, grant.StateFailed, grant.ReasonNoHostPage, 0, 0),
				// Two hours ago: outside the default window, inside a 3h one.
				joined("old", 2*time.Hour, grant.StateConfirmed, "", 5000, 9000),
				// A row created by a leave or a role change, with no join seen: never counted.
				{Key: "no-join", State: grant.StatePending},
			})
			seedRecent(t, st, "acct-1", "81000000002", grant.MeetingStarted, nil)
			seedRecent(t, st, "acct-2", "81000000003", grant.MeetingEnded, []grant.Participant{
				joined("f", 20*time.Minute, grant.StateFailed, grant.ReasonNoHostPage, 0, 0),
			})

			want := api.AdminSummary{
				WindowSeconds: 3600,
				MeetingsLive:  2,
				Grants:        api.AdminGrantCounts{Total: 10, Pending: 1, Granted: 1, Confirmed: 3, Skipped: 3, Failed: 2},
				Reasons: []api.AdminReasonCount{
					{State: "failed", Reason: "no_host_page", ReasonText: grant.ReasonNoHostPage.Text(), Count: 2},
					{State: "skipped", Reason: "phone_only", ReasonText: grant.ReasonPhoneOnly.Text(), Count: 2},
					{State: "skipped", Reason: "is_host", ReasonText: grant.ReasonHost.Text(), Count: 1},
				},
				// Grants 300, 600, 800, 2000: p50 is the 2nd, p90 the 4th. Confirms 400, 1000, 2500.
				TimeToGrant:   api.AdminDurationStats{Count: 4, P50MS: ms(600), P90MS: ms(2000), MaxMS: ms(2000)},
				TimeToConfirm: api.AdminDurationStats{Count: 3, P50MS: ms(1000), P90MS: ms(2500), MaxMS: ms(2500)},
			}
			if d := cmp.Diff(want, getSummary(t, srv, "", auth)); d != "" {
				t.Errorf("summary (-want +got):\n%s", d)
			}
			if d := cmp.Diff(want, getSummary(t, srv, "?window=1h", auth)); d != "" {
				t.Errorf("window=1h (-want +got):\n%s", d)
			}

			wide := getSummary(t, srv, "?window=3h", auth)
			if wide.WindowSeconds != 3*3600 || wide.Grants.Total != 11 || wide.Grants.Confirmed != 4 ||
				*wide.TimeToConfirm.MaxMS != 9000 || wide.TimeToConfirm.Count != 4 {
				t.Errorf("window=3h: %+v, want the two-hour-old join counted", wide)
			}
			narrow := getSummary(t, srv, "?window=5m30s", auth)
			if narrow.WindowSeconds != 330 || narrow.Grants.Total != 3 || narrow.Grants.Pending != 1 ||
				narrow.Grants.Skipped != 1 || narrow.Grants.Failed != 1 || narrow.TimeToGrant.Count != 0 || narrow.TimeToGrant.P50MS != nil {
				t.Errorf("window=5m30s: %+v, want e, phone2 and late only", narrow)
			}
		})
	}
}

// TestAdminSummaryBadWindow: window takes a Go duration of whole seconds from 1m to 24h; anything
// else is a 400 invalid_window that says what it takes.
func TestAdminSummaryBadWindow(t *testing.T) {
	srv, _ := adminServer(t, openLedger(t, "sqlite"), adminSecret)
	auth := bearer(t)
	for _, tt := range []struct {
		query string
		want  int
	}{
		{"?window=", 400},
		{"?window=abc", 400},
		{"?window=1", 400},
		{"?window=0", 400},
		{"?window=0s", 400},
		{"?window=-1h", 400},
		{"?window=59s", 400},
		{"?window=25h", 400},
		{"?window=24h0m1s", 400},
		{"?window=90.5s", 400},
		{"?window=1h30", 400},
		{"?window=1d", 400},
		{"?window=%201h", 400},
		{"?window=1e3h", 400},
		{"?window=99999999999999999999h", 400},
		{"?window=1m", 200},
		{"?window=90s", 200},
		{"?window=1h30m", 200},
		{"?window=24h", 200},
		{"?window=1440m", 200},
		{"", 200},
		{"?other=x", 200},
	} {
		t.Run(tt.query, func(t *testing.T) {
			r := adminDo(t, srv, "GET", "/v1/summary"+tt.query, auth)
			if r.status != tt.want {
				t.Fatalf("GET /v1/summary%s = %d, want %d: %s", tt.query, r.status, tt.want, r.body)
			}
			if tt.want == 400 {
				e := r.errorBody(t)
				if e.Error != api.AdminErrInvalidWindow || !strings.Contains(e.Detail, "1m to 24h") {
					t.Errorf("body %+v, want invalid_window saying what it takes", e)
				}
			}
		})
	}
	for _, method := range []string{"POST", "PUT", "DELETE"} {
		if r := adminDo(t, srv, method, "/v1/summary", auth); r.status != 405 || r.header.Get("Allow") != "GET" {
			t.Errorf("%s /v1/summary = %d Allow %q", method, r.status, r.header.Get("Allow"))
		}
	}
	if r := adminDo(t, srv, "GET", "/v1/summary"); r.status != 401 {
		t.Errorf("GET /v1/summary without a token = %d, want 401", r.status)
	}
}

// TestAdminETag: every ledger read answers an ETag; If-None-Match with it gives 304 and no body
// until the data changes; two replicas over one database give the same tag.
func TestAdminETag(t *testing.T) {
	st := openLedger(t, "sqlite")
	seedLedger(t, st)
	srv, _ := adminServer(t, st, adminSecret)
	replica, _ := adminServer(t, st, adminSecret)
	auth := bearer(t)
	do := func(srv *httptest.Server, path string, inm ...string) adminReply {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", auth)
		for _, v := range inm {
			req.Header.Add("If-None-Match", v)
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
	for _, path := range []string{"/v1/meetings", "/v1/meetings/" + seededMeeting, "/v1/summary?window=24h"} {
		t.Run(path, func(t *testing.T) {
			first := do(srv, path)
			tag := first.header.Get("ETag")
			if first.status != 200 || len(tag) < 10 || !strings.HasPrefix(tag, `"`) || !strings.HasSuffix(tag, `"`) {
				t.Fatalf("first read: %d ETag %q", first.status, tag)
			}
			if other := do(replica, path); other.header.Get("ETag") != tag || string(other.body) != string(first.body) {
				t.Errorf("another replica: ETag %q, want %q", other.header.Get("ETag"), tag)
			}
			for _, inm := range [][]string{{tag}, {"W/" + tag}, {`"other", ` + tag}, {`"other"`, tag}, {"*"}} {
				r := do(srv, path, inm...)
				if r.status != http.StatusNotModified || len(r.body) != 0 || r.header.Get("ETag") != tag {
					t.Errorf("If-None-Match %q: %d ETag %q body %q, want 304 with the tag and no body", inm, r.status, r.header.Get("ETag"), r.body)
				}
				if r.header.Get("Cache-Control") != "no-store" {
					t.Errorf("If-None-Match %q: Cache-Control %q", inm, r.header.Get("Cache-Control"))
				}
			}
			for _, inm := range [][]string{{`"other"`}, {tag[:len(tag)-2] + `x"`}, {strings.Trim(tag, `"`)}} {
				if r := do(srv, path, inm...); r.status != 200 || string(r.body) != string(first.body) {
					t.Errorf("If-None-Match %q: %d, want 200 with the body", inm, r.status)
				}
			}
		})
	}

	// A change to the meeting changes the tags of the list and of the meeting.
	before := map[string]string{}
	for _, path := range []string{"/v1/meetings", "/v1/meetings/" + seededMeeting} {
		before[path] = do(srv, path).header.Get("ETag")
	}
	seedRecent(t, st, "acct-1", seededMeeting, grant.MeetingStarted, []grant.Participant{
		joined("p-new", time.Second, grant.StatePending, "", 0, 0),
	})
	for path, tag := range before {
		if r := do(srv, path, tag); r.status != 200 || r.header.Get("ETag") == tag {
			t.Errorf("%s after a join: %d ETag %q, want 200 with a new tag", path, r.status, r.header.Get("ETag"))
		}
	}
}
