package zoomclient

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

func TestParseErrorBody(t *testing.T) {
	for _, tc := range []struct {
		body     string
		code     int
		message  string
		wantOK   bool
		scenario string
	}{
		{`{"code":124,"message":"Invalid access token."}`, 124, "Invalid access token.", true, "Zoom's shape"},
		{`{"code":"3001","message":"Meeting does not exist."}`, 3001, "Meeting does not exist.", true, "string code"},
		{`{"code":300,"message":"Validation Failed.","errors":[{"field":"settings.jbh_time","message":"Invalid field."}]}`, 300, "Validation Failed.", true, "validation"},
		{`{"message":"no code"}`, 0, "no code", true, "message only"},
		{`{"code":429}`, 429, "", true, "code only"},
		{`{"code":1.5,"message":7}`, 0, "", false, "wrong types"},
		{`{}`, 0, "", false, "empty object"},
		{`<html>502 Bad Gateway</html>`, 0, "", false, "HTML"},
		{``, 0, "", false, "empty"},
		{`[1,2]`, 0, "", false, "array"},
		{`{"code":99999999999999999999999}`, 0, "", false, "huge code"},
	} {
		code, msg, ok := ParseErrorBody([]byte(tc.body))
		if code != tc.code || msg != tc.message || ok != tc.wantOK {
			t.Errorf("%s: ParseErrorBody = %d, %q, %v; want %d, %q, %v", tc.scenario, code, msg, ok, tc.code, tc.message, tc.wantOK)
		}
	}
}

func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{`{"code":124,"message":"Invalid access token."}`, `{"code":"3001"}`, `{}`, `null`, `<html>`, ``,
		`{"code":429,"message":"You have reached the maximum per-second rate limit for this API. Try again later."}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, msg, ok := ParseErrorBody(body)
		if !ok && (code != 0 || msg != "") {
			t.Fatalf("ok=false with values %d %q", code, msg)
		}
		// What reaches an error is cleaned: bounded, no control characters.
		e := newAPIError(endpoint{Method: "GET", Route: "/x"}, 400, body, newRedactor(testClientID, testClientSecret))
		if len([]rune(e.Message)) > maxMessageLen+1 {
			t.Fatalf("message too long: %d runes", len([]rune(e.Message)))
		}
		for _, c := range e.Message {
			if c < 0x20 && c != ' ' {
				t.Fatalf("control character in message %q", e.Message)
			}
		}
	})
}

func TestParseTokenErrorBody(t *testing.T) {
	for _, tc := range []struct{ body, code, reason string }{
		{`{"reason":"Invalid Token!","error":"invalid_request"}`, "invalid_request", "Invalid Token!"},
		{`{"reason":"Invalid client_id or client_secret","error":"invalid_client"}`, "invalid_client", "Invalid client_id or client_secret"},
		{`{"error":"invalid_grant","error_description":"expired"}`, "invalid_grant", "expired"},
		{`{"error":7}`, "", ""},
		{`not json`, "", ""},
	} {
		code, reason := ParseTokenErrorBody([]byte(tc.body))
		if code != tc.code || reason != tc.reason {
			t.Errorf("ParseTokenErrorBody(%s) = %q, %q; want %q, %q", tc.body, code, reason, tc.code, tc.reason)
		}
	}
}

func FuzzParseTokenErrorBody(f *testing.F) {
	for _, s := range []string{`{"reason":"Invalid Token!","error":"invalid_request"}`, `{"error":"invalid_grant"}`, `{}`, `x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, _ := ParseTokenErrorBody(body)
		if c := oauthErrorCode(code); c != "" && strings.ContainsAny(c, " \t\r\n\"'<>") {
			t.Fatalf("oauthErrorCode kept %q", c)
		}
	})
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&APIError{Endpoint: "GET /meetings/{meetingId}", Status: 404, Code: 3001, Message: "Meeting does not exist."},
			"zoomclient: GET /meetings/{meetingId}: 404 Not Found (code 3001): Meeting does not exist."},
		{&RateLimitError{Endpoint: "GET /users/{userId}", Category: "Light", Type: "QPS", Limit: -1, Remaining: -1,
			RetryAfter: time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC)},
			"zoomclient: GET /users/{userId}: 429 rate limited (Light QPS), retry after 2026-11-27T01:02:03Z"},
		{&RateLimitError{Endpoint: "GET /users/{userId}", Paused: true, RetryAfter: time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC)},
			"zoomclient: GET /users/{userId}: not sent: account paused by an earlier 429, retry after 2026-11-27T01:02:03Z"},
		{&TokenError{Grant: "refresh_token", Status: 400, Code: "invalid_request", Reason: "Invalid Token!"},
			"zoomclient: token request (refresh_token) failed: 400 Bad Request: invalid_request: Invalid Token!"},
	} {
		if diff := cmp.Diff(tc.want, tc.err.Error()); diff != "" {
			t.Errorf("Error() (-want +got):\n%s", diff)
		}
	}
}

func TestRedactor(t *testing.T) {
	r := newRedactor(testClientID, testClientSecret).with("at-SECRET-xyz", "abc")
	in := "secret " + testClientSecret + " token at-SECRET-xyz short abc\x00\nend"
	got := r.clean(in)
	want := "secret [REDACTED] token [REDACTED] short abc  end"
	if got != want {
		t.Errorf("clean = %q, want %q", got, want)
	}
	long := r.clean(strings.Repeat("é", 1000))
	if n := len([]rune(long)); n != maxMessageLen+1 {
		t.Errorf("clean kept %d runes, want %d", n, maxMessageLen+1)
	}
}

// leakChecker knows every secret of a scenario and fails the test if one
// appears in a text.
type leakChecker struct {
	t       *testing.T
	secrets []string
}

func newLeakChecker(t *testing.T) *leakChecker {
	basic := base64.StdEncoding.EncodeToString([]byte(testClientID + ":" + testClientSecret))
	return &leakChecker{t: t, secrets: []string{
		"SECRET", // every test token, code, ZAK and the client secret contain it
		testClientSecret,
		basic,
		basic[:20],
	}}
}

func (l *leakChecker) check(where, text string) {
	l.t.Helper()
	for _, s := range l.secrets {
		if strings.Contains(text, s) {
			l.t.Errorf("%s contains a secret (%q):\n%s", where, s, text)
		}
	}
}

func (l *leakChecker) checkErr(where string, err error) {
	l.t.Helper()
	if err == nil {
		l.t.Errorf("%s: expected an error", where)
		return
	}
	l.check(where+": err.Error()", err.Error())
	l.check(where+": %+v", fmt.Sprintf("%+v", err))
	l.check(where+": %#v", fmt.Sprintf("%#v", err))
	for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
		l.check(where+": wrapped", e.Error())
	}
}

// Every error path, driven with known secrets that Zoom echoes back in its
// error bodies, leaves no credential in errors, logs or metrics.
func TestSecretsNeverLeak(t *testing.T) {
	ctx := context.Background()
	basic := base64.StdEncoding.EncodeToString([]byte(testClientID + ":" + testClientSecret))
	echo := func(extra string) string {
		return fmt.Sprintf("echo: secret=%s basic=Basic %s %s", testClientSecret, basic, extra)
	}
	hijack := func(w http.ResponseWriter) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	type scenario struct {
		name string
		opts []func(*Config)
		prep func(t *testing.T, env *testEnv)
		run  func(t *testing.T, c *Client) error
	}
	getMeeting := func(t *testing.T, c *Client) error {
		_, _, err := c.Meetings.Get(ctx, testMeetingID)
		return err
	}
	tokenFails := func(status int, body string) func(*testing.T, *testEnv) {
		return func(t *testing.T, env *testEnv) {
			env.oauth.fail = func(*http.Request, string) (int, string, bool) { return status, body, true }
		}
	}
	api := func(path string, h http.HandlerFunc) func(*testing.T, *testEnv) {
		return func(t *testing.T, env *testEnv) { env.mux.HandleFunc(path, h) }
	}
	scenarios := []scenario{
		{name: "token 400", prep: tokenFails(400, `{"reason":"`+echo("")+`","error":"invalid_client"}`), run: getMeeting},
		{name: "token 401 code is the secret", prep: tokenFails(401, `{"reason":"`+echo("")+`","error":"`+testClientSecret+`"}`), run: getMeeting},
		{name: "token 500 HTML", prep: tokenFails(500, `<html>`+echo("")+`</html>`), run: getMeeting},
		{name: "token 200 bad JSON", prep: tokenFails(200, `{"access_token":"at-SECRET-truncated`), run: getMeeting},
		{name: "token network error", prep: func(t *testing.T, env *testEnv) {
			env.mux.HandleFunc("/oauth/", func(w http.ResponseWriter, r *http.Request) { hijack(w) })
		}, opts: []func(*Config){func(cfg *Config) { cfg.OAuthURL = cfg.OAuthURL + "/broken" }}, run: getMeeting},
		{name: "API 401 code 124 twice", prep: api(meetingPath, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 401, map[string]any{"code": 124, "message": "Invalid access token " + bearer(r) + " " + echo("")})
		}), run: getMeeting},
		{name: "API 429", prep: api(meetingPath, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.Header().Set("X-RateLimit-Category", bearer(r))
			writeJSON(w, 429, map[string]any{"code": 429, "message": "slow down " + bearer(r)})
		}), run: getMeeting},
		{name: "API 5xx", prep: api(meetingPath, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 503, map[string]any{"code": 503, "message": "busy " + bearer(r) + " " + r.Header.Get("Authorization")})
		}), run: getMeeting},
		{name: "API 400 with non-string message", prep: api(meetingPath, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 400, map[string]any{"code": 300, "message": map[string]string{"token": bearer(r)}})
		}), run: getMeeting},
		{name: "API bad JSON (ZAK truncated)", prep: api("/v2/users/host-1/token", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"token":"zak-SECRET-1`)
		}), run: func(t *testing.T, c *Client) error { _, _, err := c.Users.ZAK(ctx, "host-1"); return err }},
		{name: "API bad JSON (ZAK wrong type)", prep: api("/v2/users/host-1/token", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"token":["zak-SECRET-1"]}`)
		}), run: func(t *testing.T, c *Client) error { _, _, err := c.Users.ZAK(ctx, "host-1"); return err }},
		{name: "API network error", prep: api(meetingPath, func(w http.ResponseWriter, r *http.Request) { hijack(w) }), run: getMeeting},
		{name: "oauth refresh rejected", opts: []func(*Config){oauthMode}, prep: func(t *testing.T, env *testEnv) {
			env.install(t, installedAccount, "at-SECRET-a", "rt-SECRET-a", env.clock.Now())
			env.oauth.fail = func(r *http.Request, _ string) (int, string, bool) {
				return 400, `{"reason":"Invalid Token! ` + r.PostForm.Get("refresh_token") + `","error":"invalid_request"}`, true
			}
		}, run: func(t *testing.T, c *Client) error {
			_, _, err := c.Account(installedAccount).Meetings.Get(ctx, testMeetingID)
			return err
		}},
		{name: "oauth exchange bad code", opts: []func(*Config){oauthMode}, run: func(t *testing.T, c *Client) error {
			_, err := c.OAuth.Exchange(ctx, "code-SECRET-bad")
			return err
		}},
		{name: "oauth exchange, /users/me 401", opts: []func(*Config){oauthMode}, prep: func(t *testing.T, env *testEnv) {
			env.oauth.addCode("code-SECRET-good", installedAccount)
			env.mux.HandleFunc("/v2/users/me", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 401, map[string]any{"code": 124, "message": "Invalid access token " + bearer(r)})
			})
		}, run: func(t *testing.T, c *Client) error {
			_, err := c.OAuth.Exchange(ctx, "code-SECRET-good")
			return err
		}},
		{name: "oauth state tampered", opts: []func(*Config){oauthMode}, run: func(t *testing.T, c *Client) error {
			return c.OAuth.VerifyState("eyJhbGciOiJIUzI1NiJ9.SECRET.SECRET", "nonce")
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			env := newEnv(t)
			reg := prometheus.NewRegistry()
			metrics, err := NewMetrics(reg)
			if err != nil {
				t.Fatal(err)
			}
			opts := append([]func(*Config){func(cfg *Config) { cfg.Metrics = metrics }}, sc.opts...)
			c := env.newClient(t, opts...)
			if sc.prep != nil {
				sc.prep(t, env)
			}
			err = sc.run(t, c)
			lc := newLeakChecker(t)
			lc.checkErr(sc.name, err)
			lc.check("logs", env.logs.String())
			lc.check("metrics", gatherText(t, reg))
		})
	}

	// A successful run logs and counts, and leaks nothing either.
	t.Run("success paths", func(t *testing.T) {
		env := newEnv(t)
		reg := prometheus.NewRegistry()
		metrics, _ := NewMetrics(reg)
		c := env.newClient(t, oauthMode, func(cfg *Config) { cfg.Metrics = metrics })
		env.oauth.addCode("code-SECRET-ok", installedAccount)
		env.mux.HandleFunc("/v2/users/me", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"id": "u1", "account_id": installedAccount, "type": 2})
		})
		env.mux.HandleFunc("/v2/users/host-1/token", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"token": "zak-SECRET-ok"})
		})
		if _, err := c.OAuth.Exchange(ctx, "code-SECRET-ok"); err != nil {
			t.Fatal(err)
		}
		env.clock.Advance(2 * time.Hour) // force a refresh
		zak, resp, err := c.Account(installedAccount).Users.ZAK(ctx, "host-1")
		if err != nil || zak != "zak-SECRET-ok" {
			t.Fatalf("ZAK = %q, %v", zak, err)
		}
		lc := newLeakChecker(t)
		lc.check("logs", env.logs.String())
		lc.check("metrics", gatherText(t, reg))
		lc.check("response request headers", fmt.Sprint(resp.Request.Header))
		if !strings.Contains(env.logs.String(), "zoom access token refreshed") {
			t.Errorf("expected a refresh log line, got:\n%s", env.logs.String())
		}
	})
}

func gatherText(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		b.WriteString(mf.String())
		b.WriteByte('\n')
	}
	return b.String()
}
