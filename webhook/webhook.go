// Package webhook verifies the signatures Zoom puts on its webhook deliveries
// and answers Zoom's URL-validation challenge.
//
// Zoom signs "v0:" + x-zm-request-timestamp + ":" + body with HMAC-SHA256 keyed
// by the app's secret token and sends "v0=" + hex in x-zm-signature
// (https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events).
// Verification here runs over the raw body bytes exactly as received, never
// over a re-serialised JSON value, and compares in constant time.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// Tolerance is how far a delivery's timestamp may be from now, in either
	// direction, before it is rejected as a possible replay.
	Tolerance = 300 * time.Second

	// MaxBodyBytes is the largest body accepted. Zoom's event bodies are a few
	// KiB; anything larger is refused before it is hashed or decoded.
	MaxBodyBytes = 64 << 10

	// Header names Zoom sets on every delivery.
	HeaderSignature = "X-Zm-Signature"
	HeaderTimestamp = "X-Zm-Request-Timestamp"
	HeaderRequestID = "X-Zm-Request-Id"

	signaturePrefix = "v0="
)

// Sentinel errors. Callers map them to HTTP statuses and metric reasons; none
// of them carries secret material or the signature presented.
var (
	// ErrNoSecrets: no secret token configured. Verification never passes
	// without one: cohost fails closed.
	ErrNoSecrets = errors.New("webhook: no secret token configured")
	// ErrMissingSignature: the x-zm-signature header is absent or empty.
	ErrMissingSignature = errors.New("webhook: missing x-zm-signature header")
	// ErrMissingTimestamp: the x-zm-request-timestamp header is absent or empty.
	ErrMissingTimestamp = errors.New("webhook: missing x-zm-request-timestamp header")
	// ErrInvalidTimestamp: the timestamp is not a decimal number of seconds.
	ErrInvalidTimestamp = errors.New("webhook: x-zm-request-timestamp is not a number of seconds")
	// ErrStaleTimestamp: the timestamp is outside Tolerance of now (past or future).
	ErrStaleTimestamp = errors.New("webhook: x-zm-request-timestamp is outside the allowed window")
	// ErrBadSignature: the signature is malformed or matches none of the secrets.
	ErrBadSignature = errors.New("webhook: signature does not match")
)

// Secrets is the list of secret tokens accepted at once, current first, so a
// secret can be rotated without dropping deliveries signed with the old one.
type Secrets []string

// Verify checks a delivery's signature over the raw body and its timestamp
// against now. It returns the secret that verified the delivery, which is the
// one Zoom holds and so the one to answer a URL-validation challenge with.
func Verify(body []byte, timestamp, signature string, secrets Secrets, now time.Time) (string, error) {
	if len(secrets) == 0 {
		return "", ErrNoSecrets
	}
	if signature == "" {
		return "", ErrMissingSignature
	}
	if timestamp == "" {
		return "", ErrMissingTimestamp
	}
	ts, err := parseTimestamp(timestamp)
	if err != nil {
		return "", err
	}
	if d := now.Sub(ts); d > Tolerance || d < -Tolerance {
		return "", ErrStaleTimestamp
	}
	hexSig, ok := strings.CutPrefix(signature, signaturePrefix)
	if !ok {
		return "", ErrBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return "", ErrBadSignature
	}
	// Try every secret, even after a match, so the time taken does not tell
	// which secret (old or new) verified.
	matched := -1
	for i, secret := range secrets {
		if hmac.Equal(got, mac(secret, timestamp, body)) && matched < 0 {
			matched = i
		}
	}
	if matched < 0 {
		return "", ErrBadSignature
	}
	return secrets[matched], nil
}

// VerifyRequest is Verify with the timestamp and signature taken from Zoom's headers.
func VerifyRequest(h http.Header, body []byte, secrets Secrets, now time.Time) (string, error) {
	return Verify(body, h.Get(HeaderTimestamp), h.Get(HeaderSignature), secrets, now)
}

// parseTimestamp accepts only ASCII digits: strconv would also take a sign,
// and Zoom never sends one.
func parseTimestamp(s string) (time.Time, error) {
	if len(s) > 12 {
		return time.Time{}, ErrInvalidTimestamp
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, ErrInvalidTimestamp
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, ErrInvalidTimestamp
	}
	return time.Unix(n, 0), nil
}

func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:"))
	m.Write([]byte(timestamp))
	m.Write([]byte(":"))
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the x-zm-signature value Zoom would send for body at timestamp.
// It is for tests and tools that play Zoom.
func Sign(body []byte, timestamp, secret string) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

// SignedHeaders returns the headers of a delivery of body signed with secret at
// now, for tests and tools that play Zoom.
func SignedHeaders(body []byte, secret string, now time.Time) http.Header {
	ts := strconv.FormatInt(now.Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, Sign(body, ts, secret))
	return h
}

// EncryptToken answers Zoom's endpoint.url_validation challenge: the hex
// HMAC-SHA256 of the plain token keyed by the secret token.
func EncryptToken(secret, plainToken string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(plainToken))
	return hex.EncodeToString(m.Sum(nil))
}
