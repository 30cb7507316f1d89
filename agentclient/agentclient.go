// Package agentclient is cohostd's client for the co-host agent contract
// (api/agent.openapi.yaml): the REST API of an operator's own Meeting SDK
// client that sits in a meeting as its host and assigns the co-host role.
//
// It is shaped like zoomclient (and google/go-github): every method takes a
// context first and returns the decoded value, a *Response and an error; one
// function, CheckResponse, maps a status to a typed *AgentError, so callers
// decide with errors.As and never parse bodies themselves. Every request
// carries a fresh bearer JWT; neither the JWT, the agent secret nor the
// agent URL's credentials appear in any error.
package agentclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
)

// maxBodyBytes bounds what is read of an agent's answer.
const maxBodyBytes = 64 << 10

// maxRetryAfter caps the wait an agent may ask for with Retry-After.
const maxRetryAfter = 5 * time.Minute

// Config configures a Client.
type Config struct {
	// BaseURL is COHOST_AGENT_URL, e.g. https://agent.internal:8443.
	BaseURL string
	// Secret signs the bearer JWT of every request (COHOST_AGENT_SECRET).
	Secret []byte
	// HTTP is the client requests go through; default one with a 10 s time-out.
	HTTP *http.Client
	// Now is the clock for the JWTs; default time.Now.
	Now func() time.Time
}

// Client talks to one co-host agent.
type Client struct {
	base   *url.URL
	secret []byte
	http   *http.Client
	now    func() time.Time
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("agentclient: the base URL must be an absolute http(s) URL")
	}
	if len(cfg.Secret) == 0 {
		return nil, errors.New("agentclient: the secret is empty")
	}
	c := &Client{base: u, secret: append([]byte(nil), cfg.Secret...), http: cfg.HTTP, now: cfg.Now}
	if c.http == nil {
		c.http = &http.Client{Timeout: 10 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Response wraps the agent's HTTP response.
type Response struct {
	*http.Response
}

// AgentError is an agent's answer other than success: its status, the
// contract's error code, and for 429 how long to wait.
type AgentError struct {
	Method string
	// Path is the request path, without the host (whose URL may carry credentials).
	Path   string
	Status int
	Code   api.AgentErrorCode
	// RetryAfter is the wait a 429 asked for (Retry-After seconds; 1 s when
	// absent or unreadable, at most 5 min).
	RetryAfter time.Duration
}

func (e *AgentError) Error() string {
	s := fmt.Sprintf("agent answered %d to %s %s", e.Status, e.Method, e.Path)
	if e.Code != "" {
		s += " (" + string(e.Code) + ")"
	}
	return s
}

// Temporary reports whether the same request may succeed later: 429 and 5xx.
func (e *AgentError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// CheckResponse returns nil for a 2xx answer and an *AgentError otherwise,
// with the contract's error code read from the (bounded) body.
func CheckResponse(r *http.Response) error {
	if r.StatusCode >= 200 && r.StatusCode < 300 {
		return nil
	}
	e := &AgentError{Method: r.Request.Method, Path: r.Request.URL.Path, Status: r.StatusCode}
	var body api.AgentError
	if b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes)); err == nil {
		_ = json.Unmarshal(b, &body)
	}
	e.Code = boundedCode(body.Error)
	if r.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter = parseRetryAfter(r.Header.Get("Retry-After"))
	}
	return e
}

// boundedCode keeps an agent's error code usable in logs: the contract's
// codes are short snake_case words; anything else is cut and cleaned.
func boundedCode(c api.AgentErrorCode) api.AgentErrorCode {
	s := strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, string(c))
	return api.AgentErrorCode(s[:min(len(s), 40)])
}

func parseRetryAfter(v string) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || s < 0 {
		return time.Second
	}
	return min(time.Duration(s)*time.Second, maxRetryAfter)
}

// NewRequest builds a request for path (relative to the base URL, already
// escaped, as api.AgentCoHostPath returns it) with a JSON body when body is
// not nil and a fresh bearer JWT.
func (c *Client) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("agentclient: encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	rel, err := url.Parse(path)
	if err != nil || rel.IsAbs() || rel.Host != "" {
		return nil, fmt.Errorf("agentclient: %q is not a path", path)
	}
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + rel.Path
	u.RawPath = strings.TrimRight(c.base.EscapedPath(), "/") + rel.EscapedPath()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("agentclient: %s %s: %w", method, path, err)
	}
	token, err := Token(c.secret, c.now())
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// Do sends req and decodes a 2xx JSON answer into v (when v is not nil).
// Transport errors are returned without the URL, which may hold credentials.
func (c *Client) Do(req *http.Request, v any) (*Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, fmt.Errorf("agentclient: %s %s: %w", req.Method, req.URL.Path, ctxErr)
		}
		return nil, fmt.Errorf("agentclient: %s %s: %w", req.Method, req.URL.Path, scrubURLError(err))
	}
	defer resp.Body.Close()
	r := &Response{resp}
	if err := CheckResponse(resp); err != nil {
		return r, err
	}
	if v != nil {
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
		if err != nil {
			return r, fmt.Errorf("agentclient: read %s %s: %w", req.Method, req.URL.Path, err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			if err := json.Unmarshal(b, v); err != nil {
				return r, fmt.Errorf("agentclient: decode %s %s: %w", req.Method, req.URL.Path, err)
			}
		}
	}
	return r, nil
}

// scrubURLError drops the URL from a transport error.
func scrubURLError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// OpenSession asks the agent to join (or stay in) the meeting as its host:
// PUT /v1/meetings/{meetingId}/session. joined is true when the agent is in
// the meeting (200 or 201), false while it is still joining (202).
func (c *Client) OpenSession(ctx context.Context, meetingID int64, body api.AgentSessionRequest) (joined bool, _ *Response, _ error) {
	req, err := c.NewRequest(ctx, http.MethodPut, api.AgentSessionPath(meetingID), body)
	if err != nil {
		return false, nil, err
	}
	resp, err := c.Do(req, nil)
	if err != nil {
		return false, resp, err
	}
	return resp.StatusCode != http.StatusAccepted, resp, nil
}

// CloseSession asks the agent to leave the meeting: DELETE
// /v1/meetings/{meetingId}/session. An agent that is not in the meeting (404)
// has nothing to leave: that is success too.
func (c *Client) CloseSession(ctx context.Context, meetingID int64) (*Response, error) {
	req, err := c.NewRequest(ctx, http.MethodDelete, api.AgentSessionPath(meetingID), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req, nil)
	if ae, ok := errors.AsType[*AgentError](err); ok && ae.Status == http.StatusNotFound {
		return resp, nil
	}
	return resp, err
}

// MakeCoHost asks the agent to make the participant co-host: PUT
// /v1/meetings/{meetingId}/cohosts/{participantKey}. A 200 means they are
// co-host (or host) now.
func (c *Client) MakeCoHost(ctx context.Context, meetingID int64, participantKey string, body api.AgentCoHostRequest) (*api.AgentCoHostResponse, *Response, error) {
	req, err := c.NewRequest(ctx, http.MethodPut, api.AgentCoHostPath(meetingID, participantKey), body)
	if err != nil {
		return nil, nil, err
	}
	out := new(api.AgentCoHostResponse)
	resp, err := c.Do(req, out)
	if err != nil {
		return nil, resp, err
	}
	return out, resp, nil
}

// Token mints the bearer JWT of the agent contract: HS256, iss cohostd, aud
// cohost-agent, a fresh jti, valid for less than the contract's 60 s.
func Token(secret []byte, now time.Time) (string, error) {
	claims := jwt.RegisteredClaims{
		Issuer:    api.AgentJWTIssuer,
		Audience:  jwt.ClaimStrings{api.AgentJWTAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(api.AgentJWTMaxLifetime - 5*time.Second)),
		ID:        grant.NewID(),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		return "", errors.New("agentclient: sign the bearer token")
	}
	return s, nil
}
