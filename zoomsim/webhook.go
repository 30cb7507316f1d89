package zoomsim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Zoom's webhook delivery rules (https://developers.zoom.us/docs/api/webhooks/ and
// https://devsupport.zoom.us/hc/en-us/articles/360059893812-Webhook-delays): a delivery succeeds
// with a 2xx within 3 s; only a status >= 500 or a network error/time-out is retried, three times,
// "5 minutes after the initial notification delivery attempt, … 20 minutes after the first retry …
// 60 minutes after the second retry"; no retry for 3xx or 4xx (429 included).
var zoomRetryDelays = [...]time.Duration{5 * time.Minute, 20 * time.Minute, 60 * time.Minute}

// RetryDelays returns the waits before Zoom's three retries, multiplied by scale.
func RetryDelays(scale float64) []time.Duration {
	out := make([]time.Duration, len(zoomRetryDelays))
	for i, d := range zoomRetryDelays {
		out[i] = time.Duration(float64(d) * scale)
	}
	return out
}

// signWebhook computes x-zm-signature for a body sent with x-zm-request-timestamp ts:
// "v0=" + hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body)).
// https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events
func signWebhook(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// eventRef says what an event is about, for the ledger.
type eventRef struct {
	meetingID      int64
	meetingUUID    string
	participantKey string
}

// emit builds an event notification ({"event","event_ts","payload":{"account_id",…}}), records
// it and starts delivering it; it returns the delivery's x-zm-request-id. Callers hold s.mu.
func (s *Sim) emit(name, accountID string, ref eventRef, payload map[string]any) string {
	return s.emitHeld(name, accountID, ref, payload, 0)
}

// emitHeld is emit with the first attempt held back by hold, as when Zoom's webhook arrives after
// its in-meeting clients already saw the change (WebSDKConfig.RosterDelay < 0). Callers hold s.mu.
func (s *Sim) emitHeld(name, accountID string, ref eventRef, payload map[string]any, hold time.Duration) string {
	now := s.clock.Now()
	payload["account_id"] = accountID
	body, err := json.Marshal(map[string]any{"event": name, "event_ts": now.UnixMilli(), "payload": payload})
	if err != nil {
		panic(fmt.Sprintf("zoomsim: encode %s: %v", name, err)) // only JSON types go in
	}
	d := s.newDelivery(name, accountID, ref, body, now.UnixMilli(), "", hold)
	if s.chance(s.faults.WebhookDuplicateRate) {
		s.newDelivery(name, accountID, ref, body, now.UnixMilli(), d, hold)
	}
	s.log.Debug("zoomsim event", "event", name, "request_id", d, "meeting_id", ref.meetingID)
	return d
}

// newDelivery records a delivery and schedules its first attempt; callers hold s.mu.
func (s *Sim) newDelivery(name, accountID string, ref eventRef, body []byte, ts int64, duplicateOf string, hold time.Duration) string {
	reqID := s.requestID()
	d := WebhookDelivery{
		RequestID: reqID, Event: name, AccountID: accountID, MeetingID: ref.meetingID,
		MeetingUUID: ref.meetingUUID, ParticipantKey: ref.participantKey, EventTS: ts,
		Body: json.RawMessage(body), DuplicateOf: duplicateOf, CreatedAt: s.clock.Now(), State: DeliveryPending,
	}
	idx := len(s.ledger.Webhooks)
	if s.webhookURL == "" || s.closed {
		d.State = DeliveryUnsent
		s.ledger.Webhooks = append(s.ledger.Webhooks, d)
		s.notify()
		return reqID
	}
	s.ledger.Webhooks = append(s.ledger.Webhooks, d)
	delay := max(hold, 0)
	if w := s.faults.WebhookReorderWindow; w > 0 {
		delay += time.Duration(s.rng.Int64N(int64(w)))
	}
	s.scheduleAttempt(idx, 1, delay)
	s.notify()
	return reqID
}

// requestID returns an x-zm-request-id in Zoom's style ("6009d653_d487_…"); callers hold s.mu.
func (s *Sim) requestID() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	h := hex.EncodeToString(b[:])
	return h[0:8] + "_" + h[8:12] + "_" + h[12:16] + "_" + h[16:20] + "_" + h[20:32]
}

// scheduleAttempt; callers hold s.mu.
func (s *Sim) scheduleAttempt(idx, n int, delay time.Duration) {
	s.after(delay, func() { s.attempt(idx, n, delay) })
}

// attempt POSTs delivery idx once and decides what follows. Every attempt is signed afresh with
// the current timestamp (receivers reject timestamps older than a few minutes, and Zoom's retries
// come up to 85 minutes later) and a new x-zm-trackingid. The x-zm-request-id stays the same on
// every attempt: Zoom's docs do not say, and a stable id is what lets receivers dedupe retries.
func (s *Sim) attempt(idx, n int, delay time.Duration) {
	s.mu.Lock()
	d := s.ledger.Webhooks[idx]
	url, secret := s.webhookURL, s.webhookSecret
	now := s.clock.Now()
	tracking := "v=2.0;clid=zoomsim;rid=WEB_" + s.zoomID()
	s.mu.Unlock()

	ts := strconv.FormatInt(now.Unix(), 10)
	att := WebhookAttempt{N: n, Delay: delay, At: now, TrackingID: tracking, Timestamp: ts}
	if url == "" {
		att.Error = "no webhook URL"
	} else {
		att.Status, att.Error = s.post(url, secret, ts, d.RequestID, tracking, d.Body)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	rec := &s.ledger.Webhooks[idx]
	rec.Attempts = append(rec.Attempts, att)
	switch {
	case att.Status >= 200 && att.Status < 300:
		rec.State = DeliveryDelivered
	case (att.Status >= 500 || att.Status == 0) && url != "" && n <= len(zoomRetryDelays) && !s.closed:
		next := time.Duration(float64(zoomRetryDelays[n-1]) * s.cfg.TimeScale)
		s.scheduleAttempt(idx, n+1, next)
	default:
		rec.State = DeliveryFailed
	}
	if s.closed && rec.State == DeliveryPending {
		rec.State = DeliveryFailed
	}
	s.notify()
}

// post sends one signed request; it returns the status (0 on a transport error) and an error text.
func (s *Sim) post(url, secret, ts, requestID, tracking string, body []byte) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	// Headers of https://developers.zoom.us/docs/api/webhooks/.
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Zoom Marketplace/1.0a")
	req.Header.Set("x-zm-request-timestamp", ts)
	req.Header.Set("x-zm-signature", signWebhook(secret, ts, body))
	req.Header.Set("x-zm-request-id", requestID)
	req.Header.Set("x-zm-trackingid", tracking)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, ""
}

// ValidateURL runs Zoom's endpoint URL validation against the webhook URL: it sends a signed
// endpoint.url_validation event with a random plainToken and checks that the answer (200 or 204
// within 3 s, JSON) carries that plainToken and encryptedToken = hex(HMAC-SHA256(secret,
// plainToken)). https://developers.zoom.us/docs/api/webhooks/#validate-your-webhook-endpoint
func (s *Sim) ValidateURL(ctx context.Context) (URLValidation, error) {
	s.mu.Lock()
	url, secret := s.webhookURL, s.webhookSecret
	now := s.clock.Now()
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	s.mu.Unlock()
	plain := hex.EncodeToString(b[:])[:22]
	v := URLValidation{At: now, URL: url, PlainToken: plain}
	if url == "" {
		v.Error = "no webhook URL"
		s.recordValidation(v)
		return v, fmt.Errorf("%w: no webhook URL", ErrInvalid)
	}
	body, _ := json.Marshal(map[string]any{
		"payload":  map[string]any{"plainToken": plain},
		"event_ts": now.UnixMilli(),
		"event":    "endpoint.url_validation",
	})
	ts := strconv.FormatInt(now.Unix(), 10)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		v.Error = err.Error()
		s.recordValidation(v)
		return v, nil
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Zoom Marketplace/1.0a")
	req.Header.Set("x-zm-request-timestamp", ts)
	req.Header.Set("x-zm-signature", signWebhook(secret, ts, body))
	s.mu.Lock()
	req.Header.Set("x-zm-request-id", s.requestID())
	s.mu.Unlock()
	resp, err := s.client.Do(req)
	if err != nil {
		v.Error = err.Error()
		s.recordValidation(v)
		return v, nil
	}
	defer resp.Body.Close()
	v.Status = resp.StatusCode
	var answer struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(plain))
	want := hex.EncodeToString(mac.Sum(nil))
	switch {
	case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent:
		v.Error = fmt.Sprintf("status %d", resp.StatusCode)
	case json.Unmarshal(raw, &answer) != nil:
		v.Error = "answer is not JSON"
	case answer.PlainToken != plain:
		v.Error = "plainToken does not match"
	case !hmac.Equal([]byte(answer.EncryptedToken), []byte(want)):
		v.Error = "encryptedToken does not match"
	default:
		v.Passed = true
	}
	s.recordValidation(v)
	return v, nil
}

func (s *Sim) recordValidation(v URLValidation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ledger.URLValidations = append(s.ledger.URLValidations, v)
	s.notify()
}
