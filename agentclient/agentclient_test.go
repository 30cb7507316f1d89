package agentclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/cohost-dev/cohost/agentclient"
	"github.com/cohost-dev/cohost/api"
)

var secret = []byte("agent-secret-of-the-test-0123456789")

// setup returns a client pointed at a test server's mux, in the style of
// google/go-github: each test registers the path it expects.
func setup(t *testing.T) (*agentclient.Client, *http.ServeMux) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := agentclient.New(agentclient.Config{BaseURL: srv.URL + "/agent/", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return c, mux
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if r.Method != want {
		t.Errorf("method = %s, want %s", r.Method, want)
	}
}

// testBearer checks the contract's bearer JWT.
func testBearer(t *testing.T, r *http.Request) {
	t.Helper()
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		t.Fatalf("no bearer token: %q", r.Header.Get("Authorization"))
	}
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(api.AgentJWTAudience), jwt.WithIssuer(api.AgentJWTIssuer),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	if err != nil {
		t.Fatalf("bearer token: %v", err)
	}
	if claims.ID == "" || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > api.AgentJWTMaxLifetime {
		t.Errorf("claims jti=%q lifetime=%s", claims.ID, claims.ExpiresAt.Sub(claims.IssuedAt.Time))
	}
}

func testBody(t *testing.T, r *http.Request, want any) {
	t.Helper()
	b, _ := io.ReadAll(r.Body)
	got := map[string]any{}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	wb, _ := json.Marshal(want)
	w := map[string]any{}
	_ = json.Unmarshal(wb, &w)
	if diff := cmp.Diff(w, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestOpenSession(t *testing.T) {
	for _, tt := range []struct {
		status     int
		wantJoined bool
	}{{http.StatusOK, true}, {http.StatusCreated, true}, {http.StatusAccepted, false}} {
		c, mux := setup(t)
		body := api.AgentSessionRequest{MeetingNumber: "81234567890", MeetingUUID: "u==", Password: "123456",
			ZAK: "zak", Signature: "sig", DisplayName: "cohost"}
		mux.HandleFunc("/agent/v1/meetings/81234567890/session", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodPut)
			testBearer(t, r)
			testBody(t, r, body)
			w.WriteHeader(tt.status)
			_ = json.NewEncoder(w).Encode(api.AgentSessionResponse{MeetingNumber: "81234567890", State: api.AgentSessionJoined})
		})
		joined, resp, err := c.OpenSession(context.Background(), 81234567890, body)
		if err != nil || joined != tt.wantJoined || resp.StatusCode != tt.status {
			t.Errorf("status %d: joined=%v err=%v", tt.status, joined, err)
		}
	}
}

func TestCloseSession(t *testing.T) {
	for _, status := range []int{http.StatusNoContent, http.StatusOK, http.StatusNotFound} {
		c, mux := setup(t)
		mux.HandleFunc("/agent/v1/meetings/5/session", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, http.MethodDelete)
			testBearer(t, r)
			w.WriteHeader(status)
		})
		if _, err := c.CloseSession(context.Background(), 5); err != nil {
			t.Errorf("status %d: %v", status, err)
		}
	}
}

func TestMakeCoHost(t *testing.T) {
	c, mux := setup(t)
	body := api.AgentCoHostRequest{ParticipantUUID: "p/1", UserID: "16778240", UserName: "Ada", Email: "ada@example.com"}
	mux.HandleFunc("/agent/v1/meetings/7/cohosts/", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPut)
		testBearer(t, r)
		testBody(t, r, body)
		if r.URL.EscapedPath() != "/agent/v1/meetings/7/cohosts/p%2F1" {
			t.Errorf("path = %s", r.URL.EscapedPath())
		}
		_ = json.NewEncoder(w).Encode(api.AgentCoHostResponse{ParticipantKey: "p/1", Role: api.AgentRoleCoHost})
	})
	got, _, err := c.MakeCoHost(context.Background(), 7, "p/1", body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&api.AgentCoHostResponse{ParticipantKey: "p/1", Role: api.AgentRoleCoHost}, got); diff != "" {
		t.Error(diff)
	}
}

// Every non-2xx answer becomes one *AgentError, decided in one place.
func TestCheckResponse(t *testing.T) {
	for _, tt := range []struct {
		name       string
		status     int
		body       string
		retryAfter string
		want       agentclient.AgentError
		temporary  bool
	}{
		{"no session", 404, `{"error":"no_session"}`, "", agentclient.AgentError{Status: 404, Code: api.AgentErrNoSession}, false},
		{"not visible", 409, `{"error":"participant_not_found"}`, "", agentclient.AgentError{Status: 409, Code: api.AgentErrParticipantNotFound}, false},
		{"cannot be co-host", 422, `{"error":"cannot_be_cohost"}`, "", agentclient.AgentError{Status: 422, Code: api.AgentErrCannotBeCoHost}, false},
		{"rate limited", 429, `{"error":"rate_limited"}`, "7", agentclient.AgentError{Status: 429, Code: api.AgentErrRateLimited, RetryAfter: 7 * time.Second}, true},
		{"rate limited, no header", 429, ``, "", agentclient.AgentError{Status: 429, RetryAfter: time.Second}, true},
		{"rate limited, odd header", 429, ``, "soon", agentclient.AgentError{Status: 429, RetryAfter: time.Second}, true},
		{"rate limited, huge header", 429, ``, "999999", agentclient.AgentError{Status: 429, RetryAfter: 5 * time.Minute}, true},
		{"server error", 503, `{"error":"internal"}`, "", agentclient.AgentError{Status: 503, Code: api.AgentErrInternal}, true},
		{"server error, html", 502, `<html>bad gateway</html>`, "", agentclient.AgentError{Status: 502}, true},
		{"unauthorized", 401, `{"error":"unauthorized"}`, "", agentclient.AgentError{Status: 401, Code: api.AgentErrUnauthorized}, false},
		{"odd code is cleaned", 403, `{"error":"bad\nline <script>` + strings.Repeat("x", 100) + `"}`, "", agentclient.AgentError{Status: 403, Code: api.AgentErrorCode("badlinescript" + strings.Repeat("x", 27))}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, mux := setup(t)
			mux.HandleFunc("/agent/v1/meetings/9/cohosts/k", func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			_, _, err := c.MakeCoHost(context.Background(), 9, "k", api.AgentCoHostRequest{})
			ae, ok := errors.AsType[*agentclient.AgentError](err)
			if !ok {
				t.Fatalf("err = %v, want *AgentError", err)
			}
			tt.want.Method, tt.want.Path = http.MethodPut, "/agent/v1/meetings/9/cohosts/k"
			if diff := cmp.Diff(&tt.want, ae); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if ae.Temporary() != tt.temporary {
				t.Errorf("Temporary() = %v", ae.Temporary())
			}
		})
	}
}

// A transport error names the method and path, never the agent URL's
// credentials or the bearer token.
func TestTransportErrorHasNoCredentials(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close()
	c, err := agentclient.New(agentclient.Config{BaseURL: "http://user:pa55word@" + addr, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.MakeCoHost(context.Background(), 1, "k", api.AgentCoHostRequest{})
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	for _, leak := range []string{"pa55word", "user:", string(secret), "Bearer"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q contains %q", err, leak)
		}
	}
	if _, ok := errors.AsType[*agentclient.AgentError](err); ok {
		t.Error("a transport error must not look like an agent answer")
	}
}

func TestContextDone(t *testing.T) {
	c, mux := setup(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the server's Close
	mux.HandleFunc("/agent/v1/meetings/1/session", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, err := c.OpenSession(ctx, 1, api.AgentSessionRequest{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []agentclient.Config{
		{BaseURL: "", Secret: secret},
		{BaseURL: "ftp://agent", Secret: secret},
		{BaseURL: "/relative", Secret: secret},
		{BaseURL: "http://agent"},
	} {
		if _, err := agentclient.New(cfg); err == nil {
			t.Errorf("New(%q, secret=%v) accepted", cfg.BaseURL, len(cfg.Secret) > 0)
		}
	}
}
