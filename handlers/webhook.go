package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/webhook"
)

// webhookHandler is POST /webhooks/zoom: read the raw body once under a size
// limit, verify it, decode it, store it durably, and only then answer 200.
type webhookHandler struct{ d Deps }

func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	event, outcome := h.serve(w, r)
	h.d.Metrics.WebhookRequests.WithLabelValues(event, outcome).Inc()
	h.d.Metrics.WebhookAck.Observe(time.Since(start).Seconds())
}

// serve answers the request and returns the labels to count it under.
func (h *webhookHandler) serve(w http.ResponseWriter, r *http.Request) (event, outcome string) {
	const unknown = "unknown"
	ctx := r.Context()
	log := h.d.Logger.With("request_id", middleware.GetReqID(ctx))
	now := h.d.Now()
	// x-zm-request-id is not signed: until the request has authenticated,
	// only its digest is logged, never the value a sender chose.
	rawDeliveryID := r.Header.Get(webhook.HeaderRequestID)
	noteDeliveryID(ctx, api.DeliveryIDDigest(rawDeliveryID))

	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Zoom delivers webhooks with POST")
		return unknown, metrics.OutcomeWrongMethod
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, webhook.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", "webhook bodies are limited to 64 KiB")
			return unknown, metrics.OutcomeTooLarge
		}
		writeError(w, http.StatusBadRequest, "unreadable_body", "the request body could not be read")
		return unknown, metrics.OutcomeRejectedBody
	}

	secret, err := webhook.VerifyRequest(r.Header, body, h.d.Secrets, now)
	if err != nil {
		// The sentinel errors carry no secret and no signature: safe to log.
		log.WarnContext(ctx, "webhook rejected", "reason", err.Error())
		switch {
		case errors.Is(err, webhook.ErrMissingTimestamp), errors.Is(err, webhook.ErrInvalidTimestamp), errors.Is(err, webhook.ErrStaleTimestamp):
			writeError(w, http.StatusUnauthorized, "bad_timestamp", "x-zm-request-timestamp must be the current time in seconds (±300 s); check the sender's clock")
			return unknown, metrics.OutcomeRejectedTimestamp
		default:
			writeError(w, http.StatusUnauthorized, "bad_signature", "x-zm-signature does not verify with the configured secret token(s)")
			return unknown, metrics.OutcomeRejectedSignature
		}
	}
	deliveryID := api.DeliveryID(rawDeliveryID)
	noteDeliveryID(ctx, deliveryID)

	// The one place where the body's values are bounded, validated and
	// reduced to what processing needs; nothing of the raw body is stored
	// or logged past this point.
	ev, stored, err := api.NormalizeEvent(body, now.Add(webhook.Tolerance))
	switch {
	case errors.Is(err, api.ErrEventInFuture):
		log.WarnContext(ctx, "webhook refused: its event_ts is in the future", "event", eventLabel(ev.Event))
		writeError(w, http.StatusBadRequest, "event_time_in_future",
			"event_ts is later than the delivery's arrival plus 300 s; Zoom signs events after they happen, so this one is refused")
		return eventLabel(ev.Event), metrics.OutcomeRejectedFuture
	case err != nil:
		// DecodeEvent's errors name fields, not values: safe to log and answer.
		log.WarnContext(ctx, "webhook body malformed", "reason", err.Error())
		writeError(w, http.StatusBadRequest, "malformed_body", err.Error())
		return unknown, metrics.OutcomeRejectedBody
	}
	event = eventLabel(ev.Event)

	if ev.Event == api.EventURLValidation {
		writeJSON(w, http.StatusOK, api.URLValidationResponse{
			PlainToken:     ev.Payload.PlainToken,
			EncryptedToken: webhook.EncryptToken(secret, ev.Payload.PlainToken),
		})
		return event, metrics.OutcomeURLValidation
	}
	if !api.Handled(ev.Event) {
		// Valid but not acted on: 200, or Zoom would re-deliver it.
		writeJSON(w, http.StatusOK, map[string]string{"status": "ignored"})
		return event, metrics.OutcomeIgnored
	}

	in := inboundFrom(ev, deliveryID, stored, now)
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.d.IntakeTimeout)
	defer cancel()
	res, err := h.d.Intake.Accept(ictx, in)
	if errors.Is(err, store.ErrInvalidData) {
		// A permanent refusal: a retry would be refused again, so 400 (Zoom
		// does not retry a 4xx) instead of a 503 that Zoom would repeat.
		log.ErrorContext(ctx, "webhook refused by the database as invalid data; answering 400", "event", ev.Event, "error", err.Error())
		writeError(w, http.StatusBadRequest, "unstorable_event", "the database refused a value of this event; it is not retried")
		return event, metrics.OutcomeRejectedBody
	}
	if err != nil {
		log.ErrorContext(ctx, "webhook not stored; answering 503 so Zoom retries", "event", ev.Event, "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "store_unavailable", "the event could not be stored; Zoom will retry")
		return event, metrics.OutcomeStoreUnavailable
	}
	if res.Duplicate {
		log.InfoContext(ctx, "duplicate webhook", "event", ev.Event, "meeting_uuid", in.MeetingUUID, "participant_key", in.ParticipantKey)
		writeJSON(w, http.StatusOK, map[string]string{"status": "duplicate"})
		return event, metrics.OutcomeDuplicate
	}
	log.LogAttrs(ctx, slog.LevelInfo, "webhook stored", slog.String("event", ev.Event),
		slog.String("meeting_uuid", in.MeetingUUID), slog.String("participant_key", in.ParticipantKey))
	writeJSON(w, http.StatusOK, map[string]string{"status": "accepted"})
	return event, metrics.OutcomeAccepted
}

// inboundFrom builds what the intake stores: the normalized event's keys and
// its stored form, never the raw body.
func inboundFrom(ev *api.Event, deliveryID string, stored []byte, now time.Time) grant.Inbound {
	in := grant.Inbound{
		DeliveryID: deliveryID,
		Event:      ev.Event,
		EventTime:  ev.Time(),
		AccountID:  ev.Payload.AccountID,
		Body:       stored,
		ReceivedAt: now,
	}
	if o := ev.Payload.Object; o != nil {
		in.MeetingID, in.MeetingUUID = string(o.ID), o.UUID
		if o.Participant != nil {
			in.ParticipantKey = o.Participant.Key()
		}
	}
	return in
}

// eventLabel keeps the metric's cardinality bounded: events cohost does not
// handle are counted together.
func eventLabel(event string) string {
	if api.Handled(event) || event == api.EventURLValidation {
		return event
	}
	return "other"
}
