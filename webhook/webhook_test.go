package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/webhook"
)

// zoomSignature is written from Zoom's documentation, independently of the
// package's own signing code, so the two check each other.
func zoomSignature(secret, ts, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":" + body))
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	body := `{"event":"meeting.started","event_ts":1800000000000,"payload":{}}`
	respaced := `{"event": "meeting.started", "event_ts": 1800000000000, "payload": {}}`
	good := zoomSignature("current", ts, body)

	tests := []struct {
		name      string
		body      string
		timestamp string
		signature string
		secrets   webhook.Secrets
		now       time.Time
		want      error
		wantUsed  string
	}{
		{"valid", body, ts, good, webhook.Secrets{"current"}, now, nil, "current"},
		{"old secret during rotation", body, ts, zoomSignature("old", ts, body), webhook.Secrets{"current", "old"}, now, nil, "old"},
		{"new secret during rotation", body, ts, good, webhook.Secrets{"current", "old"}, now, nil, "current"},
		{"wrong secret", body, ts, zoomSignature("other", ts, body), webhook.Secrets{"current"}, now, webhook.ErrBadSignature, ""},
		{"no secrets configured", body, ts, good, nil, now, webhook.ErrNoSecrets, ""},
		{"missing signature", body, ts, "", webhook.Secrets{"current"}, now, webhook.ErrMissingSignature, ""},
		{"missing timestamp", body, "", good, webhook.Secrets{"current"}, now, webhook.ErrMissingTimestamp, ""},
		{"non-digit timestamp", body, "18e8", good, webhook.Secrets{"current"}, now, webhook.ErrInvalidTimestamp, ""},
		{"signed timestamp", body, "+" + ts, zoomSignature("current", "+"+ts, body), webhook.Secrets{"current"}, now, webhook.ErrInvalidTimestamp, ""},
		{"milliseconds timestamp", body, ts + "000", zoomSignature("current", ts+"000", body), webhook.Secrets{"current"}, now, webhook.ErrInvalidTimestamp, ""},
		{"huge timestamp", body, "99999999999999999999", good, webhook.Secrets{"current"}, now, webhook.ErrInvalidTimestamp, ""},
		{"stale timestamp", body, ts, good, webhook.Secrets{"current"}, now.Add(301 * time.Second), webhook.ErrStaleTimestamp, ""},
		{"future timestamp", body, ts, good, webhook.Secrets{"current"}, now.Add(-301 * time.Second), webhook.ErrStaleTimestamp, ""},
		{"edge of window past", body, ts, good, webhook.Secrets{"current"}, now.Add(300 * time.Second), nil, "current"},
		{"edge of window future", body, ts, good, webhook.Secrets{"current"}, now.Add(-300 * time.Second), nil, "current"},
		{"body re-spaced after signing", respaced, ts, good, webhook.Secrets{"current"}, now, webhook.ErrBadSignature, ""},
		{"signature over other timestamp", body, ts, zoomSignature("current", "1800000001", body), webhook.Secrets{"current"}, now, webhook.ErrBadSignature, ""},
		{"signature without v0 prefix", body, ts, good[3:], webhook.Secrets{"current"}, now, webhook.ErrBadSignature, ""},
		{"signature not hex", body, ts, "v0=zz", webhook.Secrets{"current"}, now, webhook.ErrBadSignature, ""},
		{"signature truncated", body, ts, good[:20], webhook.Secrets{"current"}, now, webhook.ErrBadSignature, ""},
		{"signature upper-case hex", body, ts, "v0=" + upper(good[3:]), webhook.Secrets{"current"}, now, nil, "current"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			used, err := webhook.Verify([]byte(tt.body), tt.timestamp, tt.signature, tt.secrets, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Verify() error = %v, want %v", err, tt.want)
			}
			if used != tt.wantUsed {
				t.Errorf("Verify() secret = %q, want %q", used, tt.wantUsed)
			}
		})
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestSignMatchesZoomDocs(t *testing.T) {
	got := webhook.Sign([]byte(`{"a":1}`), "1700000000", "s3cret")
	if want := zoomSignature("s3cret", "1700000000", `{"a":1}`); got != want {
		t.Fatalf("Sign() = %s, want %s", got, want)
	}
	h := webhook.SignedHeaders([]byte(`{"a":1}`), "s3cret", time.Unix(1700000000, 0))
	if _, err := webhook.VerifyRequest(h, []byte(`{"a":1}`), webhook.Secrets{"s3cret"}, time.Unix(1700000010, 0)); err != nil {
		t.Fatalf("SignedHeaders do not verify: %v", err)
	}
}

func TestEncryptToken(t *testing.T) {
	m := hmac.New(sha256.New, []byte("secret-token"))
	m.Write([]byte("qgg8vlvZRS6UYooatFL8Aw"))
	independent := hex.EncodeToString(m.Sum(nil))
	if got := webhook.EncryptToken("secret-token", "qgg8vlvZRS6UYooatFL8Aw"); got != independent {
		t.Fatalf("EncryptToken() = %s, want %s", got, independent)
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"event":"meeting.started"}`)
	f.Add(body, "1800000000", zoomSignature("k", "1800000000", string(body)))
	f.Add(body, "1800000000", "v0=")
	f.Add([]byte{}, "", "")
	f.Add(body, "-1", "v0=00")
	f.Add(body, "１８００", "v0=abc")
	f.Fuzz(func(t *testing.T, body []byte, ts, sig string) {
		used, err := webhook.Verify(body, ts, sig, webhook.Secrets{"k", "j"}, now)
		if err == nil {
			// Anything accepted must be a genuine signature by one of the secrets.
			if sig != zoomSignature(used, ts, string(body)) && !hmac.Equal([]byte(upper(sig[3:])), []byte(upper(zoomSignature(used, ts, string(body))[3:]))) {
				t.Fatalf("accepted a signature that is not genuine: ts=%q sig=%q", ts, sig)
			}
		}
	})
}
