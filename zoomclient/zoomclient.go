// Package zoomclient is cohost's client for Zoom's REST API and Zoom OAuth.
//
// It is shaped like google/go-github: a Client with one service per Zoom
// resource (Meetings, Users), every method taking a context and returning the
// decoded value, a *Response and an error, built as NewRequest then Do.
//
// Around that it does what every caller of Zoom needs and most get wrong:
//
//   - Auth in two modes. "s2s" (Server-to-Server OAuth, one account) mints
//     account_credentials tokens; "oauth" (a Marketplace app installed by many
//     accounts) exchanges install codes and refreshes rotating refresh tokens.
//     Tokens live in a TokenStore shared by all replicas, one record per
//     account, written with compare-and-swap and requested under a per-account
//     lease, so replicas neither invalidate each other's tokens nor lose a
//     rotated refresh token. Access and refresh tokens are sealed with AES-GCM
//     before they reach the store, in both modes.
//   - Rate limits per account and per Zoom label (Light, Medium, Heavy), and
//     429 pauses (Retry-After in seconds, RFC 1123 or ISO-8601) shared by every
//     call of the account, across replicas when the store implements PauseStore.
//   - Retries with jittered exponential backoff for 5xx, network errors,
//     time-outs and 429, one forced token refresh on 401 / Zoom code 124, and
//     typed errors (*APIError, *RateLimitError, *TokenError).
//   - No credential in any error, log line or metric label.
//
// In oauth mode pick the account per call: c.Account(accountID).Meetings.Get(ctx, id).
// In s2s mode the Client is already bound to Config.AccountID.
package zoomclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Zoom's public endpoints, the defaults of Config.APIURL and Config.OAuthURL.
const (
	DefaultAPIURL   = "https://api.zoom.us/v2"
	DefaultOAuthURL = "https://zoom.us"
)

// AuthMode says how the client obtains access tokens (ZOOM_AUTH_MODE).
type AuthMode string

const (
	// ModeS2S is Server-to-Server OAuth: grant_type=account_credentials for one account.
	ModeS2S AuthMode = "s2s"
	// ModeOAuth is a Marketplace (General) app installed per account with the
	// authorization-code flow; access tokens are refreshed with rotating refresh tokens.
	ModeOAuth AuthMode = "oauth"
)

// Defaults of the Config knobs left zero.
const (
	DefaultMaxAttempts   = 4
	DefaultBackoffBase   = 250 * time.Millisecond
	DefaultBackoffMax    = 10 * time.Second
	DefaultMaxRetryAfter = time.Hour
	DefaultMaxPauseWait  = 30 * time.Second
	DefaultRefreshBefore = 60 * time.Second
	DefaultLeaseTTL      = 30 * time.Second
	DefaultLeasePoll     = 100 * time.Millisecond
	DefaultTokenTimeout  = 20 * time.Second
	DefaultStateTTL      = 10 * time.Minute
	// DefaultRateLimitPause is how long an account pauses after a 429 that names no Retry-After.
	DefaultRateLimitPause = time.Second

	maxResponseBytes = 10 << 20
)

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	// Mode is ModeS2S (default) or ModeOAuth.
	Mode AuthMode
	// AccountID is the Zoom account of an s2s app (ZOOM_ACCOUNT_ID), and the
	// account a Client returned by New is bound to. In oauth mode it may be empty.
	AccountID string
	// ClientID and ClientSecret are the app credentials (ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET).
	ClientID     string
	ClientSecret string
	// RedirectURL is the oauth app's redirect URL, the absolute URL of GET /oauth/callback.
	// It must match the app's configuration on the Marketplace exactly.
	RedirectURL string
	// APIURL (ZOOM_API_URL, default DefaultAPIURL) and OAuthURL (ZOOM_OAUTH_URL,
	// default DefaultOAuthURL) let the simulator stand in for Zoom.
	APIURL   string
	OAuthURL string

	// Store holds tokens, token leases and (if it implements PauseStore)
	// rate-limit pauses. Nil: a new MemoryTokenStore, right for one process only.
	Store TokenStore
	// Sealer encrypts access and refresh tokens before they reach Store, so
	// no bearer token is ever stored in clear. Required in oauth mode
	// (COHOST_ENCRYPTION_KEY). In s2s mode, nil derives one from ClientSecret
	// (SealerFromClientSecret): whoever holds the client secret can mint an
	// s2s token anyway, and whoever reads the store alone cannot open one.
	Sealer *Sealer
	// StateKey signs the oauth install state (HS256). Nil: derived from
	// ClientSecret with HMAC-SHA256, so rotating the client secret also
	// invalidates install links in flight (they live StateTTL only).
	StateKey []byte
	// StateTTL is how long an install state stays valid (default 10 min;
	// Zoom's authorization codes themselves expire after 5 min).
	StateTTL time.Duration

	// HTTPClient sends every request (API and token). Default: 30 s time-out.
	HTTPClient *http.Client
	// Logger receives structured logs. Nil: logs are discarded.
	Logger *slog.Logger
	// Metrics, from NewMetrics; nil records nothing.
	Metrics *Metrics

	// RateLimits are the client-side limits per account and label (default: Zoom's Pro plan).
	RateLimits RateLimits
	// MaxAttempts bounds the attempts of one call (default 4). The single retry
	// after a forced token refresh is not counted.
	MaxAttempts int
	// BackoffBase and BackoffMax shape the jittered exponential backoff
	// between attempts (defaults 250 ms and 10 s).
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// MaxRetryAfter caps the pause a 429's Retry-After can impose (default 1 h).
	MaxRetryAfter time.Duration
	// MaxPauseWait is the longest a call waits for an account's rate-limit pause
	// to end before it fails fast with *RateLimitError (default 30 s). A call also
	// fails fast when its context's deadline comes before the pause ends.
	// Negative: never wait.
	MaxPauseWait time.Duration
	// RefreshBefore is how long before expiry a token is replaced (default and minimum 60 s).
	RefreshBefore time.Duration
	// LeaseTTL is the lifetime of the per-account token lease in the store
	// (default 30 s); a replica that dies holding it blocks others at most this long.
	LeaseTTL time.Duration
	// LeasePoll is how often a replica waiting for another's lease looks again (default 100 ms).
	LeasePoll time.Duration
	// TokenTimeout bounds one token request (default 20 s). It must be shorter
	// than LeaseTTL so that a lease never expires under a request in flight.
	TokenTimeout time.Duration

	// Now, Sleep and Jitter replace the clock, the wait and the random source in tests.
	// Sleep must return ctx.Err() when ctx ends first. Jitter returns a value in [0, 1).
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	Jitter func() float64
}

// Client talks to Zoom for one account. Use Account to get a Client for another
// account; all such Clients share tokens, limiters, pauses and metrics.
type Client struct {
	core      *core
	accountID string

	common service

	// Meetings is the Meetings API (GET and PATCH /meetings/{meetingId}).
	Meetings *MeetingsService
	// Users is the Users API (user, settings, ZAK).
	Users *UsersService
	// OAuth is the install flow of oauth mode (authorize URL, state, code
	// exchange, deauthorization).
	OAuth *OAuthService
}

type service struct {
	client *Client
}

// core is what every account view of a Client shares.
type core struct {
	mode         AuthMode
	clientID     string
	clientSecret string
	apiURL       *url.URL
	oauthURL     *url.URL
	redirectURL  string

	http    *http.Client
	store   TokenStore
	pauses  PauseStore // nil when the store does not share pauses
	local   *pauseBook
	limits  *limiterSet
	tokens  *tokenManager
	state   *stateSigner
	metrics *Metrics
	log     *slog.Logger
	red     redactor

	maxAttempts   int
	backoffBase   time.Duration
	backoffMax    time.Duration
	maxRetryAfter time.Duration
	maxPauseWait  time.Duration

	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	jitter func() float64
}

// New validates cfg and returns a Client bound to cfg.AccountID.
func New(cfg Config) (*Client, error) {
	if cfg.Mode == "" {
		cfg.Mode = ModeS2S
	}
	if cfg.Mode != ModeS2S && cfg.Mode != ModeOAuth {
		return nil, fmt.Errorf("zoomclient: auth mode %q: want %q or %q", cfg.Mode, ModeS2S, ModeOAuth)
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("zoomclient: client id and client secret are required")
	}
	if cfg.Mode == ModeS2S && cfg.AccountID == "" {
		return nil, errors.New("zoomclient: s2s mode needs the Zoom account id")
	}
	if cfg.Mode == ModeS2S && cfg.Sealer == nil {
		s, err := SealerFromClientSecret(cfg.ClientID, cfg.ClientSecret)
		if err != nil {
			return nil, err
		}
		cfg.Sealer = s
	}
	if cfg.Mode == ModeOAuth {
		if cfg.Sealer == nil {
			return nil, errors.New("zoomclient: oauth mode needs a Sealer (COHOST_ENCRYPTION_KEY) for refresh tokens")
		}
		if _, err := parseBaseURL(cfg.RedirectURL); err != nil {
			return nil, fmt.Errorf("zoomclient: redirect URL: %w", err)
		}
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if cfg.OAuthURL == "" {
		cfg.OAuthURL = DefaultOAuthURL
	}
	apiURL, err := parseBaseURL(cfg.APIURL)
	if err != nil {
		return nil, fmt.Errorf("zoomclient: API URL: %w", err)
	}
	oauthURL, err := parseBaseURL(cfg.OAuthURL)
	if err != nil {
		return nil, fmt.Errorf("zoomclient: OAuth URL: %w", err)
	}

	setDefault(&cfg.MaxAttempts, DefaultMaxAttempts)
	setDefault(&cfg.BackoffBase, DefaultBackoffBase)
	setDefault(&cfg.BackoffMax, DefaultBackoffMax)
	setDefault(&cfg.MaxRetryAfter, DefaultMaxRetryAfter)
	setDefault(&cfg.MaxPauseWait, DefaultMaxPauseWait)
	setDefault(&cfg.LeaseTTL, DefaultLeaseTTL)
	setDefault(&cfg.LeasePoll, DefaultLeasePoll)
	setDefault(&cfg.TokenTimeout, DefaultTokenTimeout)
	setDefault(&cfg.StateTTL, DefaultStateTTL)
	if cfg.RefreshBefore < DefaultRefreshBefore {
		cfg.RefreshBefore = DefaultRefreshBefore
	}
	if cfg.TokenTimeout >= cfg.LeaseTTL {
		return nil, fmt.Errorf("zoomclient: token time-out %v must be shorter than the lease TTL %v", cfg.TokenTimeout, cfg.LeaseTTL)
	}
	if cfg.MaxPauseWait < 0 {
		cfg.MaxPauseWait = 0
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryTokenStore()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepContext
	}
	if cfg.Jitter == nil {
		cfg.Jitter = mrand.Float64
	}
	limits, err := newLimiterSet(cfg.RateLimits)
	if err != nil {
		return nil, err
	}

	co := &core{
		mode:          cfg.Mode,
		clientID:      cfg.ClientID,
		clientSecret:  cfg.ClientSecret,
		apiURL:        apiURL,
		oauthURL:      oauthURL,
		redirectURL:   cfg.RedirectURL,
		http:          cfg.HTTPClient,
		store:         cfg.Store,
		local:         newPauseBook(),
		limits:        limits,
		metrics:       cfg.Metrics,
		log:           cfg.Logger,
		red:           newRedactor(cfg.ClientID, cfg.ClientSecret),
		maxAttempts:   cfg.MaxAttempts,
		backoffBase:   cfg.BackoffBase,
		backoffMax:    cfg.BackoffMax,
		maxRetryAfter: cfg.MaxRetryAfter,
		maxPauseWait:  cfg.MaxPauseWait,
		now:           cfg.Now,
		sleep:         cfg.Sleep,
		jitter:        cfg.Jitter,
	}
	if ps, ok := cfg.Store.(PauseStore); ok {
		co.pauses = ps
	}
	co.tokens = newTokenManager(co, cfg)
	if cfg.Mode == ModeOAuth {
		key := cfg.StateKey
		if len(key) == 0 {
			key = deriveStateKey(cfg.ClientSecret)
		}
		co.state = &stateSigner{key: key, ttl: cfg.StateTTL, now: cfg.Now, audience: stateAudience}
	}
	return co.client(cfg.AccountID), nil
}

func (co *core) client(accountID string) *Client {
	c := &Client{core: co, accountID: accountID}
	c.common.client = c
	c.Meetings = (*MeetingsService)(&c.common)
	c.Users = (*UsersService)(&c.common)
	c.OAuth = (*OAuthService)(&c.common)
	return c
}

// Account returns a Client for the Zoom account accountID. It shares tokens,
// limiters, pauses, metrics and the HTTP client with c and is cheap to make.
func (c *Client) Account(accountID string) *Client {
	return c.core.client(accountID)
}

// AccountID is the Zoom account this Client acts for ("" if none).
func (c *Client) AccountID() string { return c.accountID }

// Mode is the Client's auth mode.
func (c *Client) Mode() AuthMode { return c.core.mode }

// Response wraps Zoom's HTTP response. Its body has been read and closed, and
// the Authorization header is removed from Response.Request.
type Response struct {
	*http.Response
	// Rate holds the X-RateLimit-* headers Zoom sent, if any.
	Rate Rate
}

func newResponse(r *http.Response) *Response {
	if r == nil {
		return nil
	}
	if r.Request != nil {
		req := r.Request.Clone(context.Background())
		req.Header.Del("Authorization")
		r.Request = req
	}
	return &Response{Response: r, Rate: parseRate(r.Header)}
}

// endpoint identifies a Zoom route by its template, never its filled-in path,
// so that metric labels and logs carry no ids.
type endpoint struct {
	Method string
	Route  string
	Label  RateLabel
}

func (e endpoint) String() string { return e.Method + " " + e.Route }

type endpointKey struct{}

// NewRequest builds a request for route, a path template relative to the API
// base URL such as "/users/{userId}/settings"; its {placeholders} are filled in
// order from params, each path-escaped. A non-nil body is sent as JSON. The
// template names the request in metrics and logs and picks its rate label
// (see RouteLabel); the query string may be set on the returned request.
func (c *Client) NewRequest(method, route string, body any, params ...string) (*http.Request, error) {
	path, err := fillRoute(route, params)
	if err != nil {
		return nil, err
	}
	u := *c.core.apiURL
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawPath = ""
	if strings.Contains(path, "%") {
		u.RawPath = strings.TrimSuffix(c.core.apiURL.EscapedPath(), "/") + path
		if p, err := url.PathUnescape(u.RawPath); err == nil {
			u.Path = p
		}
	}
	var buf io.Reader
	var raw []byte
	if body != nil {
		raw, err = json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("zoomclient: encoding %s %s body: %w", method, route, err)
		}
		buf = bytes.NewReader(raw)
	}
	ep := endpoint{Method: method, Route: route, Label: RouteLabel(method, route)}
	req, err := http.NewRequestWithContext(context.WithValue(context.Background(), endpointKey{}, ep), method, u.String(), buf)
	if err != nil {
		return nil, fmt.Errorf("zoomclient: %s: %w", ep, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// fillRoute replaces each {name} of route with the next param, path-escaped.
func fillRoute(route string, params []string) (string, error) {
	if !strings.HasPrefix(route, "/") {
		return "", fmt.Errorf("zoomclient: route %q must start with /", route)
	}
	var b strings.Builder
	rest := route
	i := 0
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return "", fmt.Errorf("zoomclient: route %q: unclosed {", route)
		}
		if i >= len(params) {
			return "", fmt.Errorf("zoomclient: route %q: too few parameters", route)
		}
		if params[i] == "" {
			return "", fmt.Errorf("zoomclient: route %q: parameter %s is empty", route, rest[open:open+end+1])
		}
		b.WriteString(rest[:open])
		b.WriteString(url.PathEscape(params[i]))
		i++
		rest = rest[open+end+1:]
	}
	if i != len(params) {
		return "", fmt.Errorf("zoomclient: route %q: too many parameters", route)
	}
	return b.String(), nil
}

// Do sends req for the Client's account and decodes a 2xx JSON body into v
// (when v is non-nil). It waits for the account's rate limiter and any 429
// pause, attaches a valid access token, retries transient failures with
// jittered exponential backoff, and forces one token refresh after a 401 or
// Zoom error 124. The returned *Response is the last one Zoom sent (nil if
// none); errors are *APIError, *RateLimitError, *TokenError, a wrapped
// network error, or the context's error wrapped.
func (c *Client) Do(ctx context.Context, req *http.Request, v any) (*Response, error) {
	ep, ok := req.Context().Value(endpointKey{}).(endpoint)
	if !ok {
		ep = endpoint{Method: req.Method, Route: "(other)", Label: Medium}
	}
	if c.accountID == "" {
		return nil, fmt.Errorf("%w (%s)", ErrNoAccount, ep)
	}
	co := c.core
	bearer := func(ctx context.Context, rejected int64) (*accessToken, error) {
		return co.tokens.token(ctx, c.accountID, rejected)
	}
	return co.do(ctx, c.accountID, ep, req, v, bearer)
}

// tokenFunc returns the access token to use, avoiding the one of version
// rejected (0: none rejected). A nil token means "no refresh possible".
type tokenFunc func(ctx context.Context, rejected int64) (*accessToken, error)

func (co *core) do(ctx context.Context, acct string, ep endpoint, req *http.Request, v any, tokenFor tokenFunc) (*Response, error) {
	log := co.log.With("endpoint", ep.String(), "account_id", acct)
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		// A request not made by NewRequest: keep its body so that retries resend it.
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("zoomclient: %s: reading the request body: %w", ep, err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	var (
		last      *Response
		rejected  int64 // version of the token Zoom rejected, 0: none
		refreshed bool  // the one forced refresh has been used
	)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return last, fmt.Errorf("zoomclient: %s: %w", ep, err)
		}
		if err := co.waitPause(ctx, acct, ep); err != nil {
			return last, err
		}
		if err := co.limits.wait(ctx, acct, ep.Label, co.now, co.sleep); err != nil {
			return last, fmt.Errorf("zoomclient: %s: waiting for the %s rate limit: %w", ep, ep.Label, err)
		}
		tok, err := tokenFor(ctx, rejected)
		if err != nil {
			if ctx.Err() != nil {
				return last, fmt.Errorf("zoomclient: %s: %w", ep, ctx.Err())
			}
			if isRetryableTokenError(err) && attempt+1 < co.maxAttempts {
				log.Warn("zoom token request failed; will retry", "attempt", attempt+1, "error", err.Error())
				if serr := co.backoffSleep(ctx, ep, attempt, "token"); serr != nil {
					return last, serr
				}
				continue
			}
			return last, err
		}

		resp, apiErr, sendErr := co.send(ctx, ep, req, tok, v)
		if resp != nil {
			last = resp
		}
		status, code := 0, 0
		if resp != nil {
			status = resp.StatusCode
		}
		if apiErr != nil {
			code = apiErr.Code
		}

		switch classify(ctx, status, code, sendErr) {
		case outcomeSuccess:
			return last, nil

		case outcomeReauth:
			if tok.Version == 0 { // a token that cannot be refreshed (during an install)
				return last, apiErr
			}
			if refreshed {
				log.Error("zoom rejected a freshly obtained access token", "status", status, "code", code)
				return last, fmt.Errorf("%w; last answer: %w", ErrAccessTokenRejected, apiErr)
			}
			log.Warn("zoom rejected the access token; refreshing it once", "status", status, "code", code)
			refreshed = true
			rejected = tok.Version
			attempt-- // the retry after the forced refresh is not counted
			continue

		case outcomeRateLimited:
			rl := co.rateLimited(ctx, acct, ep, resp, apiErr)
			if rl.Type == rateTypeDaily || attempt+1 >= co.maxAttempts || !co.canWait(ctx, rl.RetryAfter) {
				return last, rl
			}
			co.metrics.retry(ep, "429")
			continue // waitPause sleeps out the pause

		case outcomeRetry:
			var failure error = apiErr
			reason := "5xx"
			if sendErr != nil {
				failure, reason = sendErr, "network"
			}
			if attempt+1 >= co.maxAttempts {
				return last, failure
			}
			log.Warn("zoom request failed; will retry", "attempt", attempt+1, "error", failure.Error())
			if err := co.backoffSleep(ctx, ep, attempt, reason); err != nil {
				return last, err
			}
			continue

		default: // outcomePermanent
			if ctx.Err() != nil {
				return last, fmt.Errorf("zoomclient: %s: %w", ep, ctx.Err())
			}
			if sendErr != nil {
				return last, sendErr
			}
			return last, apiErr
		}
	}
}

// send makes one attempt. It returns the response (nil on a transport error),
// the *APIError for a non-2xx status, and the transport or decoding error.
func (co *core) send(ctx context.Context, ep endpoint, req *http.Request, tok *accessToken, v any) (*Response, *APIError, error) {
	r := req.Clone(ctx)
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, nil, fmt.Errorf("zoomclient: %s: %w", ep, err)
		}
		r.Body = body
	}
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	red := co.red.with(tok.AccessToken)

	start := co.now()
	hr, err := co.http.Do(r)
	elapsed := co.now().Sub(start)
	if err != nil {
		co.metrics.request(ep, "error", elapsed)
		return nil, nil, &NetworkError{Endpoint: ep.String(), msg: red.clean(err.Error()), err: err}
	}
	defer hr.Body.Close()
	body, rerr := io.ReadAll(io.LimitReader(hr.Body, maxResponseBytes))
	co.metrics.request(ep, statusLabel(hr.StatusCode), elapsed)
	resp := newResponse(hr)
	if rerr != nil {
		return resp, nil, &NetworkError{Endpoint: ep.String(), msg: red.clean("reading response: " + rerr.Error()), err: rerr}
	}
	if hr.StatusCode < 200 || hr.StatusCode > 299 {
		return resp, newAPIError(ep, hr.StatusCode, body, red), nil
	}
	if v != nil && len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, v); err != nil {
			return resp, nil, &DecodeError{Endpoint: ep.String(), Status: hr.StatusCode, msg: red.clean(err.Error())}
		}
	}
	return resp, nil, nil
}

// backoffSleep waits the jittered exponential backoff before attempt+1.
func (co *core) backoffSleep(ctx context.Context, ep endpoint, attempt int, reason string) error {
	co.metrics.retry(ep, reason)
	if err := co.sleep(ctx, co.backoff(attempt)); err != nil {
		return fmt.Errorf("zoomclient: %s: %w", ep, err)
	}
	return nil
}

// canWait reports whether a call may wait until t: within MaxPauseWait and
// before the context's deadline.
func (co *core) canWait(ctx context.Context, t time.Time) bool {
	wait := t.Sub(co.now())
	if wait <= 0 {
		return true
	}
	if wait > co.maxPauseWait {
		return false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		return false
	}
	return true
}

func setDefault[T int | time.Duration](p *T, v T) {
	if *p == 0 {
		*p = v
	}
}

func parseBaseURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", u.Redacted())
	}
	if u.User != nil {
		return nil, errors.New("must not carry credentials")
	}
	return u, nil
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Ptr returns a pointer to v, for the optional fields of update types:
// &MeetingSettings{WaitingRoom: zoomclient.Ptr(false)}.
func Ptr[T any](v T) *T { return &v }
