package zoomclient

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors that callers branch on with errors.Is.
var (
	// ErrNoAccount: the Client is not bound to a Zoom account; use Client.Account.
	ErrNoAccount = errors.New("zoomclient: no Zoom account selected")
	// ErrNotInstalled: oauth mode has no tokens for the account (never installed,
	// or deauthorized).
	ErrNotInstalled = errors.New("zoomclient: the app is not installed for this Zoom account")
	// ErrReauthorizationRequired: Zoom rejected the account's stored refresh
	// token; someone must install the app again.
	ErrReauthorizationRequired = errors.New("zoomclient: Zoom rejected the stored refresh token; the app must be installed again for this account")
	// ErrAccessTokenRejected: Zoom answered 401 / code 124 to a request made with
	// a token obtained right after an earlier 401 / code 124.
	ErrAccessTokenRejected = errors.New("zoomclient: Zoom rejected the access token again after a refresh")
	// ErrWrongMode: the operation belongs to the other auth mode.
	ErrWrongMode = errors.New("zoomclient: not available in this auth mode")
)

// Zoom error codes the client acts on.
const (
	// CodeInvalidAccessToken is Zoom's "Invalid access token." (124).
	CodeInvalidAccessToken = 124
)

// APIError is a non-2xx answer of the Zoom API other than 429. Zoom's error
// body is {"code": 124, "message": "Invalid access token."}; Code is 0 and
// Message the status text when the body is not of that shape.
type APIError struct {
	// Endpoint is the route template, e.g. "GET /meetings/{meetingId}".
	Endpoint string
	Status   int
	Code     int
	Message  string
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("zoomclient: ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d %s", e.Status, http.StatusText(e.Status))
	if e.Code != 0 {
		fmt.Fprintf(&b, " (code %d)", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// rateTypeDaily is the X-RateLimit-Type of a daily limit, as returned by
// RateLimitError.Type after normalisation.
const rateTypeDaily = "Daily-limit"

// RateLimitError is a 429 from Zoom, or a call refused locally (Paused) because
// its account is in a 429 pause. RetryAfter is the absolute time after which
// calls may resume (zero when Zoom named none); a worker can snooze until then.
type RateLimitError struct {
	Endpoint string
	// Category is X-RateLimit-Category (e.g. "Light"), Type is X-RateLimit-Type
	// ("QPS" or "Daily-limit"); empty when Zoom sent no such header.
	Category string
	Type     string
	// Limit and Remaining are X-RateLimit-Limit and X-RateLimit-Remaining, -1 when absent.
	Limit     int
	Remaining int
	// RetryAfter is when the account may be called again (Retry-After, capped).
	RetryAfter time.Time
	// Message is Zoom's message (redacted), or why the call was refused locally.
	Message string
	// Paused is true when no request was sent: the account was already paused.
	Paused bool
}

// Error implements error.
func (e *RateLimitError) Error() string {
	var b strings.Builder
	b.WriteString("zoomclient: ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(": ")
	}
	if e.Paused {
		b.WriteString("not sent: account paused by an earlier 429")
	} else {
		b.WriteString("429 rate limited")
	}
	if kind := strings.TrimSpace(e.Category + " " + e.Type); kind != "" {
		fmt.Fprintf(&b, " (%s)", kind)
	}
	if !e.RetryAfter.IsZero() {
		b.WriteString(", retry after ")
		b.WriteString(e.RetryAfter.UTC().Format(time.RFC3339))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// TokenError is a failed request to Zoom's token endpoint. It never holds the
// client secret, a token, or an authorization code.
type TokenError struct {
	// Grant is account_credentials, authorization_code or refresh_token.
	Grant string
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Code is the OAuth "error" field (e.g. invalid_grant), Reason Zoom's "reason"
	// or "error_description", both sanitized.
	Code   string
	Reason string
	msg    string // transport failure, sanitized
	err    error
}

// Error implements error.
func (e *TokenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "zoomclient: token request (%s) failed", e.Grant)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.msg != "" {
		b.WriteString(": ")
		b.WriteString(e.msg)
	}
	return b.String()
}

// Unwrap returns the transport error, if any, so that errors.Is finds
// context.DeadlineExceeded and the like.
func (e *TokenError) Unwrap() error { return e.err }

// Rejected reports whether Zoom refused the grant itself (a 4xx other than
// 429): bad client credentials, an invalid or reused refresh token, an expired
// authorization code.
func (e *TokenError) Rejected() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests && e.Status != http.StatusRequestTimeout
}

// Temporary reports whether retrying the token request may succeed.
func (e *TokenError) Temporary() bool {
	return e.Status == 0 || e.Status >= 500 || e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout
}

// NetworkError is a request that got no complete HTTP response.
type NetworkError struct {
	Endpoint string
	msg      string
	err      error
}

// Error implements error.
func (e *NetworkError) Error() string {
	return "zoomclient: " + e.Endpoint + ": " + e.msg
}

// Unwrap returns the transport error (its text may hold URLs, never credentials).
func (e *NetworkError) Unwrap() error { return e.err }

// DecodeError is a 2xx response whose JSON body did not decode.
type DecodeError struct {
	Endpoint string
	Status   int
	msg      string
}

// Error implements error.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("zoomclient: %s: decoding %d response: %s", e.Endpoint, e.Status, e.msg)
}

func isRetryableTokenError(err error) bool {
	var te *TokenError
	return errors.As(err, &te) && te.Temporary()
}

// ParseErrorBody reads Zoom's error body {"code": 124, "message": "..."}. The
// code may also arrive as a string of digits. ok is false when body is not a
// JSON object with a code or a message.
func ParseErrorBody(body []byte) (code int, message string, ok bool) {
	var raw struct {
		Code    json.RawMessage `json:"code"`
		Message json.RawMessage `json:"message"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return 0, "", false
	}
	if len(raw.Code) > 0 {
		var n json.Number
		if err := json.Unmarshal(raw.Code, &n); err == nil {
			if i, err := strconv.Atoi(n.String()); err == nil {
				code = i
			}
		} else {
			var s string
			if err := json.Unmarshal(raw.Code, &s); err == nil {
				if i, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
					code = i
				}
			}
		}
	}
	if len(raw.Message) > 0 {
		_ = json.Unmarshal(raw.Message, &message) // a non-string message is ignored
	}
	return code, message, code != 0 || message != ""
}

func newAPIError(ep endpoint, status int, body []byte, red redactor) *APIError {
	e := &APIError{Endpoint: ep.String(), Status: status}
	if code, msg, ok := ParseErrorBody(body); ok {
		e.Code = code
		e.Message = red.clean(msg)
	}
	return e
}

// redactor removes known secrets from text that came from outside (error
// bodies, transport errors) before it reaches an error or a log line.
type redactor struct {
	secrets []string
}

// minSecretLen keeps short, common strings from being "redacted" everywhere.
const minSecretLen = 6

func newRedactor(clientID, clientSecret string) redactor {
	var r redactor
	r = r.with(clientSecret, url.QueryEscape(clientSecret))
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(clientID) + ":" + url.QueryEscape(clientSecret)))
	rawBasic := base64.StdEncoding.EncodeToString([]byte(clientID + ":" + clientSecret))
	return r.with(basic, rawBasic)
}

// with returns a redactor that also removes secrets (the receiver is unchanged).
func (r redactor) with(secrets ...string) redactor {
	out := redactor{secrets: make([]string, 0, len(r.secrets)+len(secrets)*2)}
	out.secrets = append(out.secrets, r.secrets...)
	for _, s := range secrets {
		if len(s) < minSecretLen {
			continue
		}
		out.secrets = append(out.secrets, s)
		if q := url.QueryEscape(s); q != s {
			out.secrets = append(out.secrets, q)
		}
	}
	return out
}

const maxMessageLen = 300

// clean redacts secrets, replaces control characters with spaces and bounds
// the length. Redaction runs first, so truncation never exposes a whole secret.
func (r redactor) clean(s string) string {
	for _, sec := range r.secrets {
		if sec != "" && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	s = strings.Map(func(c rune) rune {
		if c == utf8.RuneError || unicode.IsControl(c) {
			return ' '
		}
		return c
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxMessageLen {
		rs := []rune(s)
		s = string(rs[:maxMessageLen]) + "…"
	}
	return s
}

func statusLabel(status int) string {
	return strconv.Itoa(status)
}
