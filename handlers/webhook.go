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

	secret, err := webhook.VerifyRequest(r.Header, body, h.d.Secrets, h.d.Now())
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

	ev, err := api.DecodeEvent(body)
	if err != nil {
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

	in := inboundFrom(ev, r.Header.Get(webhook.HeaderRequestID), body, h.d.Now())
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.d.IntakeTimeout)
	defer cancel()
	res, err := h.d.Intake.Accept(ictx, in)
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

func inboundFrom(ev *api.Event, deliveryID string, body []byte, now time.Time) grant.Inbound {
	in := grant.Inbound{
		DeliveryID: deliveryID,
		Event:      ev.Event,
		EventTime:  ev.Time(),
		AccountID:  ev.Payload.AccountID,
		Body:       body,
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
