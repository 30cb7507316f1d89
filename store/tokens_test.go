package store_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomclient"
	"github.com/cohost-dev/cohost/zoomclient/zoomclienttest"
)

// openTokenStore opens a Store on url and closes it when the test ends. Two
// Stores on one URL are two replicas: separate pools, one database.
func openTokenStore(t *testing.T, url string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), url, store.Options{})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(st.Close)
	return st
}

// The zoomclient.TokenStore and PauseStore contract on both engines, on the
// real clock (the suite waits a short lease TTL out).
func TestTokenStoreConformance(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			zoomclienttest.RunTokenStoreTests(t, func(t *testing.T) (zoomclient.TokenStore, func(time.Duration)) {
				return openTokenStore(t, testdb.URL(t, engine)), nil
			})
		})
	}
}

// An s2s record has a nil refresh token (drivers bind nil as NULL, the
// columns are NOT NULL), and expiries keep millisecond precision.
func TestTokenStoreNilRefreshTokenAndExpiry(t *testing.T) {
	ctx := context.Background()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			st := openTokenStore(t, testdb.URL(t, engine))
			exp := time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.UTC)
			v, err := st.SaveToken(ctx, zoomclient.TokenRecord{AccountID: "acct-s2s", AccessToken: []byte("at"), Expiry: exp}, 0)
			if err != nil || v != 1 {
				t.Fatalf("SaveToken = %d, %v; want 1, nil", v, err)
			}
			if v, err := st.SaveToken(ctx, zoomclient.TokenRecord{AccountID: "acct-s2s", AccessToken: []byte("at2"), Expiry: exp}, 1); err != nil || v != 2 {
				t.Fatalf("SaveToken(prev 1) = %d, %v; want 2, nil", v, err)
			}
			got, err := st.LoadToken(ctx, "acct-s2s")
			if err != nil {
				t.Fatal(err)
			}
			if len(got.RefreshToken) != 0 || string(got.AccessToken) != "at2" || got.Version != 2 {
				t.Fatalf("LoadToken = %+v", got)
			}
			if want := exp.Truncate(time.Millisecond); !got.Expiry.Equal(want) {
				t.Fatalf("Expiry = %v, want %v", got.Expiry, want)
			}
		})
	}
}

// Leases taken through two Stores on one database (two replicas) exclude
// each other, also when taken concurrently.
func TestTokenLeaseAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			url := testdb.URL(t, engine)
			replicas := []*store.Store{openTokenStore(t, url), openTokenStore(t, url)}
			const n = 16
			var wins atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					ok, err := replicas[i%2].AcquireLease(ctx, "acct-1", fmt.Sprintf("holder-%d", i), time.Minute)
					if err != nil {
						t.Errorf("AcquireLease: %v", err)
					}
					if ok {
						wins.Add(1)
					}
				}()
			}
			close(start)
			wg.Wait()
			if got := wins.Load(); got != 1 {
				t.Fatalf("%d of %d concurrent leases across two replicas succeeded, want 1", got, n)
			}

			// Sequentially: a's lease blocks b until a releases it.
			a, b := replicas[0], replicas[1]
			mustAcquire := func(s *store.Store, acct, holder string, want bool) {
				t.Helper()
				got, err := s.AcquireLease(ctx, acct, holder, time.Minute)
				if err != nil || got != want {
					t.Fatalf("AcquireLease(%s, %s) = %v, %v; want %v", acct, holder, got, err, want)
				}
			}
			mustAcquire(a, "acct-2", "a", true)
			mustAcquire(b, "acct-2", "b", false)
			mustAcquire(a, "acct-2", "a", true) // extend
			if err := b.ReleaseLease(ctx, "acct-2", "b"); err != nil {
				t.Fatal(err)
			}
			mustAcquire(b, "acct-2", "b", false)
			if err := a.ReleaseLease(ctx, "acct-2", "a"); err != nil {
				t.Fatal(err)
			}
			mustAcquire(b, "acct-2", "b", true)

			// A pause set through one replica is seen by the other.
			until := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
			if err := a.PauseAccount(ctx, "acct-2", until); err != nil {
				t.Fatal(err)
			}
			if p, err := b.AccountPause(ctx, "acct-2"); err != nil || !p.Equal(until) {
				t.Fatalf("AccountPause on the other replica = %v, %v; want %v", p, err, until)
			}
			// DeleteToken drops the lease and the pause with the record.
			if err := a.DeleteToken(ctx, "acct-2"); err != nil {
				t.Fatal(err)
			}
			if p, err := b.AccountPause(ctx, "acct-2"); err != nil || !p.IsZero() {
				t.Fatalf("AccountPause after DeleteToken = %v, %v; want zero", p, err)
			}
			mustAcquire(a, "acct-2", "a", true)
		})
	}
}

// Fake Zoom for the replica tests: the token endpoint (account_credentials
// and rotating refresh tokens) and GET /v2/meetings/{id}, which accepts only
// access tokens it issued and has not revoked, and answers 401 / code 124
// otherwise.
const (
	tokTestClientID     = "tok-test-client"
	tokTestClientSecret = "tok-test-SECRET"
	tokTestAccount      = "acct-Replicas1"
	tokTestMeetingID    = int64(85746065432)
)

type tokFakeZoom struct {
	t *testing.T

	mu           sync.Mutex
	n            int
	expiresIn    int
	delay        time.Duration
	grants       map[string]int  // token requests by grant type
	liveAccess   map[string]bool // access tokens the API accepts
	validRefresh map[string]bool // refresh tokens not used yet
	usedRefresh  map[string]bool // refresh tokens already traded
	staleRefresh int             // uses of an already traded refresh token
	apiTokens    map[string]int  // access tokens the API saw, with counts
	apiRejected  int             // API calls answered 124
}

func newTokFakeZoom(t *testing.T) (*tokFakeZoom, *httptest.Server) {
	f := &tokFakeZoom{
		t:            t,
		expiresIn:    3600,
		grants:       make(map[string]int),
		liveAccess:   make(map[string]bool),
		validRefresh: make(map[string]bool),
		usedRefresh:  make(map[string]bool),
		apiTokens:    make(map[string]int),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", f.token)
	mux.HandleFunc("GET /v2/meetings/{id}", f.meeting)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func tokWriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *tokFakeZoom) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "form", http.StatusBadRequest)
		return
	}
	grant := r.PostForm.Get("grant_type")
	f.mu.Lock()
	f.grants[grant]++
	f.n++
	n, delay, expiresIn := f.n, f.delay, f.expiresIn
	f.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay) // widen the window in which replicas could race
	}
	if r.Header.Get("Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte(tokTestClientID+":"+tokTestClientSecret)) {
		tokWriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "reason": "Invalid client_id or client_secret"})
		return
	}
	resp := map[string]any{"token_type": "bearer", "expires_in": expiresIn, "scope": "meeting:read:meeting:admin"}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch grant {
	case "account_credentials":
		if r.PostForm.Get("account_id") != tokTestAccount {
			tokWriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "reason": "Invalid account_id"})
			return
		}
		at := fmt.Sprintf("at-s2s-%d", n)
		f.liveAccess[at] = true
		resp["access_token"] = at
	case "refresh_token":
		old := r.PostForm.Get("refresh_token")
		if !f.validRefresh[old] {
			if f.usedRefresh[old] {
				f.staleRefresh++
			}
			tokWriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "reason": "Invalid Token!"})
			return
		}
		// Rotation: the refresh token dies with this request.
		delete(f.validRefresh, old)
		f.usedRefresh[old] = true
		at, rt := fmt.Sprintf("at-oauth-%d", n), fmt.Sprintf("rt-oauth-%d", n)
		f.liveAccess[at] = true
		f.validRefresh[rt] = true
		resp["access_token"], resp["refresh_token"] = at, rt
	default:
		tokWriteJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	tokWriteJSON(w, http.StatusOK, resp)
}

func (f *tokFakeZoom) meeting(w http.ResponseWriter, r *http.Request) {
	at := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	f.apiTokens[at]++
	live := f.liveAccess[at]
	if !live {
		f.apiRejected++
	}
	f.mu.Unlock()
	if !live {
		tokWriteJSON(w, http.StatusUnauthorized, map[string]any{"code": 124, "message": "Invalid access token."})
		return
	}
	tokWriteJSON(w, http.StatusOK, map[string]any{"id": tokTestMeetingID, "host_id": "host-1"})
}

func (f *tokFakeZoom) grantCount(grant string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.grants[grant]
}

func (f *tokFakeZoom) stale() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.staleRefresh
}

// takeAPITokens returns the access tokens the API saw since the last call.
func (f *tokFakeZoom) takeAPITokens() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.apiTokens
	f.apiTokens = make(map[string]int)
	return m
}

// revokeAccessTokens makes every access token issued so far invalid, as when
// Zoom invalidates them (the API then answers code 124).
func (f *tokFakeZoom) revokeAccessTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.liveAccess = make(map[string]bool)
}

func (f *tokFakeZoom) set(fn func(f *tokFakeZoom)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func tokClientConfig(srv *httptest.Server, st zoomclient.TokenStore) zoomclient.Config {
	return zoomclient.Config{
		Mode:         zoomclient.ModeS2S,
		AccountID:    tokTestAccount,
		ClientID:     tokTestClientID,
		ClientSecret: tokTestClientSecret,
		RedirectURL:  "https://cohost.example/oauth/callback",
		APIURL:       srv.URL + "/v2",
		OAuthURL:     srv.URL,
		Store:        st,
		HTTPClient:   srv.Client(),
		RateLimits:   zoomclient.RateLimits{Light: -1, Medium: -1, Heavy: -1},
		Jitter:       func() float64 { return 0 },
		LeasePoll:    2 * time.Millisecond,
	}
}

// callAll makes n concurrent GET /meetings/{id} calls, alternating between
// the clients, released together; it reports the calls that failed.
func callAll(t *testing.T, clients []*zoomclient.Client, n int) int {
	t.Helper()
	var failed atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		c := clients[i%len(clients)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			m, _, err := c.Meetings.Get(context.Background(), tokTestMeetingID)
			if err != nil {
				failed.Add(1)
				t.Errorf("Meetings.Get via replica %d: %v", i%len(clients), err)
				return
			}
			if m.ID != tokTestMeetingID {
				t.Errorf("meeting id = %d", m.ID)
			}
		}()
	}
	close(start)
	wg.Wait()
	return int(failed.Load())
}

// Issue 3, s2s: two replicas (two Stores on one database, two Clients) on a
// cold cache make exactly one token request between them for 50 concurrent
// calls, and every call uses that one token.
func TestTokenStoreTwoReplicasS2SOneTokenRequest(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			url := testdb.URL(t, engine)
			zoom, srv := newTokFakeZoom(t)
			zoom.set(func(f *tokFakeZoom) { f.delay = 30 * time.Millisecond })
			var clients []*zoomclient.Client
			for range 2 {
				c, err := zoomclient.New(tokClientConfig(srv, openTokenStore(t, url)))
				if err != nil {
					t.Fatal(err)
				}
				clients = append(clients, c)
			}
			if failed := callAll(t, clients, 50); failed > 0 {
				t.Fatalf("%d calls failed", failed)
			}
			if got := zoom.grantCount("account_credentials"); got != 1 {
				t.Errorf("token requests across two replicas = %d, want 1", got)
			}
			used := zoom.takeAPITokens()
			if len(used) != 1 || used["at-s2s-1"] != 50 {
				t.Errorf("access tokens used by the API calls = %v, want only at-s2s-1, 50 times", used)
			}
		})
	}
}

// Issue 3, oauth: refresh tokens rotate, and Zoom answers invalid_grant to a
// refresh token used twice. Two replicas on one database are forced to
// refresh one account concurrently (an expired access token; then Zoom
// answering 124 to the live one; then tokens that are always inside the
// refresh margin, so every call refreshes). Zoom never sees a reused refresh
// token, each forced refresh happens once across both replicas, and both
// replicas end up with working tokens and the store with Zoom's live refresh
// token.
func TestTokenStoreTwoReplicasOAuthRotation(t *testing.T) {
	ctx := context.Background()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			url := testdb.URL(t, engine)
			zoom, srv := newTokFakeZoom(t)
			zoom.set(func(f *tokFakeZoom) { f.delay = 5 * time.Millisecond })
			sealer, err := zoomclient.NewSealer(bytes.Repeat([]byte{0x5a}, zoomclient.SealerKeySize))
			if err != nil {
				t.Fatal(err)
			}
			stores := []*store.Store{openTokenStore(t, url), openTokenStore(t, url)}
			var clients []*zoomclient.Client
			for _, st := range stores {
				cfg := tokClientConfig(srv, st)
				cfg.Mode, cfg.AccountID, cfg.Sealer = zoomclient.ModeOAuth, "", sealer
				c, err := zoomclient.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				clients = append(clients, c.Account(tokTestAccount))
			}

			// The account is installed (as /oauth/callback stores it) with an
			// access token that has expired.
			zoom.set(func(f *tokFakeZoom) {
				f.validRefresh["rt-install"] = true
				f.liveAccess["at-install"] = true
			})
			if _, err := stores[0].SaveToken(ctx, zoomclient.TokenRecord{
				AccountID:    tokTestAccount,
				AccessToken:  sealer.Seal([]byte("at-install"), tokTestAccount, "access_token"),
				RefreshToken: sealer.Seal([]byte("rt-install"), tokTestAccount, "refresh_token"),
				TokenType:    "bearer",
				Expiry:       time.Now().Add(-time.Minute),
			}, 0); err != nil {
				t.Fatalf("install: %v", err)
			}

			checkPhase := func(phase string, wantRefreshes int) {
				t.Helper()
				if n := zoom.stale(); n != 0 {
					t.Fatalf("%s: Zoom saw %d reused refresh tokens", phase, n)
				}
				if got := zoom.grantCount("refresh_token"); got != wantRefreshes {
					t.Errorf("%s: refreshes so far = %d, want %d", phase, got, wantRefreshes)
				}
			}

			// 1. Expired access token: 50 concurrent calls over both replicas, one refresh.
			if failed := callAll(t, clients, 50); failed > 0 {
				t.Fatalf("expired token: %d calls failed", failed)
			}
			checkPhase("expired token", 1)
			if used := zoom.takeAPITokens(); len(used) != 1 || used["at-install"] != 0 {
				t.Errorf("expired token: access tokens used = %v, want one refreshed token for all 50 calls", used)
			}

			// 2. Zoom invalidates the live access token (code 124): both replicas
			// hold it in memory and must both replace it; one refresh between them.
			zoom.revokeAccessTokens()
			if failed := callAll(t, clients, 50); failed > 0 {
				t.Fatalf("code 124: %d calls failed", failed)
			}
			checkPhase("code 124", 2)

			// 3. Every token Zoom issues now lives 60 s, inside the refresh
			// margin, so every call of either replica refreshes (once Zoom has
			// invalidated the hour-long token the replicas hold).
			zoom.set(func(f *tokFakeZoom) { f.expiresIn = 60; f.delay = time.Millisecond })
			zoom.revokeAccessTokens()
			before := zoom.grantCount("refresh_token")
			for round := range 3 {
				if failed := callAll(t, clients, 16); failed > 0 {
					t.Fatalf("always refreshing, round %d: %d calls failed", round, failed)
				}
			}
			if n := zoom.stale(); n != 0 {
				t.Fatalf("always refreshing: Zoom saw %d reused refresh tokens", n)
			}
			if got := zoom.grantCount("refresh_token") - before; got < 2 {
				t.Errorf("always refreshing: %d refreshes; the test did not exercise concurrent refreshes", got)
			}

			// Both replicas end with working tokens, and the store holds the
			// refresh token Zoom considers live and a live access token.
			zoom.set(func(f *tokFakeZoom) { f.expiresIn = 3600 })
			for i, c := range clients {
				if _, _, err := c.Meetings.Get(ctx, tokTestMeetingID); err != nil {
					t.Errorf("replica %d after the races: %v", i, err)
				}
			}
			for i, st := range stores {
				rec, err := st.LoadToken(ctx, tokTestAccount)
				if err != nil {
					t.Fatalf("LoadToken via replica %d: %v", i, err)
				}
				rt, err := sealer.Open(rec.RefreshToken, tokTestAccount, "refresh_token")
				if err != nil {
					t.Fatalf("stored refresh token does not open: %v", err)
				}
				at, err := sealer.Open(rec.AccessToken, tokTestAccount, "access_token")
				if err != nil {
					t.Fatalf("stored access token does not open: %v", err)
				}
				var validRT, liveAT bool
				zoom.set(func(f *tokFakeZoom) { validRT, liveAT = f.validRefresh[string(rt)], f.liveAccess[string(at)] })
				if !validRT || !liveAT {
					t.Errorf("replica %d reads refresh token %q (live: %v) and access token %q (live: %v); want Zoom's live ones",
						i, rt, validRT, at, liveAT)
				}
			}
			if n := zoom.stale(); n != 0 {
				t.Fatalf("Zoom saw %d reused refresh tokens", n)
			}
			var rejected int
			zoom.set(func(f *tokFakeZoom) { rejected = f.apiRejected })
			t.Logf("%s: %d refreshes, %d API answers of 124", engine, zoom.grantCount("refresh_token"), rejected)
		})
	}
}
