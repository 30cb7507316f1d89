package zoomsim

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Ledger is a record of every request the simulator answered and every effect it had. Sim.Ledger
// returns a copy; WaitFor hands one to a condition each time something changes.
type Ledger struct {
	TokenRequests  []TokenRequest    `json:"token_requests"`
	APICalls       []APICall         `json:"api_calls"`
	Webhooks       []WebhookDelivery `json:"webhooks"`
	URLValidations []URLValidation   `json:"url_validations"`
	AgentCalls     []AgentCall       `json:"agent_calls"`
	Sessions       []SessionRecord   `json:"sessions"`
	Promotions     []Promotion       `json:"promotions"`
	// SDKSessions and SDKCalls record the simulated Web Meeting SDK (websdk.go).
	SDKSessions []SDKSession `json:"sdk_sessions"`
	SDKCalls    []SDKCall    `json:"sdk_calls"`
}

// TokenRequest is one POST /oauth/token.
type TokenRequest struct {
	At        time.Time `json:"at"`
	AccountID string    `json:"account_id,omitempty"`
	GrantType string    `json:"grant_type"`
	Status    int       `json:"status"`
	Error     string    `json:"error,omitempty"`
}

// APICall is one request under /v2.
type APICall struct {
	At        time.Time `json:"at"`
	AccountID string    `json:"account_id,omitempty"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Label     string    `json:"label,omitempty"`
	Status    int       `json:"status"`
	// Code is Zoom's error code of a failed call (124, 300, 1001, 3001, 429…).
	Code int `json:"code,omitempty"`
	// RateLimitType is "QPS" or "Daily-limit" for a 429.
	RateLimitType string `json:"rate_limit_type,omitempty"`
}

// Values of WebhookDelivery.State.
const (
	DeliveryPending   = "pending"   // an attempt is under way or scheduled
	DeliveryDelivered = "delivered" // a 2xx came back
	DeliveryFailed    = "failed"    // 3xx/4xx, or the last retry failed
	DeliveryUnsent    = "unsent"    // no webhook URL was configured
)

// WebhookDelivery is one event notification and its attempts.
type WebhookDelivery struct {
	// RequestID is the x-zm-request-id header, the same on every attempt of this delivery.
	RequestID      string          `json:"request_id"`
	Event          string          `json:"event"`
	AccountID      string          `json:"account_id,omitempty"`
	MeetingID      int64           `json:"meeting_id,omitempty"`
	MeetingUUID    string          `json:"meeting_uuid,omitempty"`
	ParticipantKey string          `json:"participant_key,omitempty"`
	EventTS        int64           `json:"event_ts"`
	Body           json.RawMessage `json:"body"`
	// DuplicateOf is the RequestID of the delivery this one duplicates (Faults.WebhookDuplicateRate).
	DuplicateOf string           `json:"duplicate_of,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	State       string           `json:"state"`
	Attempts    []WebhookAttempt `json:"attempts"`
}

// WebhookAttempt is one POST of a delivery.
type WebhookAttempt struct {
	// N is 1 for the first attempt and 2..4 for Zoom's three retries.
	N int `json:"n"`
	// Delay is the planned wait after the previous attempt: 0 (or the reorder delay) for the
	// first, then +5, +20, +60 min multiplied by Config.TimeScale.
	Delay time.Duration `json:"delay"`
	// At is when the attempt was sent, on the sim's clock.
	At time.Time `json:"at"`
	// Status is the receiver's HTTP status, 0 for a transport error or time-out.
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
	// TrackingID is the x-zm-trackingid header, new on every attempt.
	TrackingID string `json:"tracking_id"`
	// Timestamp is the x-zm-request-timestamp header (seconds), new on every attempt.
	Timestamp string `json:"timestamp"`
}

// URLValidation is one endpoint.url_validation challenge.
type URLValidation struct {
	At         time.Time `json:"at"`
	URL        string    `json:"url"`
	PlainToken string    `json:"plain_token"`
	Status     int       `json:"status"`
	Passed     bool      `json:"passed"`
	Error      string    `json:"error,omitempty"`
}

// AgentCall is one request to the co-host agent.
type AgentCall struct {
	At             time.Time `json:"at"`
	Method         string    `json:"method"`
	Path           string    `json:"path"`
	MeetingID      int64     `json:"meeting_id,omitempty"`
	ParticipantKey string    `json:"participant_key,omitempty"`
	Status         int       `json:"status"`
	Error          string    `json:"error,omitempty"`
	// Outcome of a 200 co-host call: promoted, already_cohost or already_host.
	Outcome string `json:"outcome,omitempty"`
}

// SessionRecord is one agent session in a meeting.
type SessionRecord struct {
	MeetingID   int64     `json:"meeting_id"`
	MeetingUUID string    `json:"meeting_uuid,omitempty"`
	OpenedAt    time.Time `json:"opened_at"`
	// JoinedAt is when the agent was in the meeting (OpenedAt + AgentConfig.JoinDelay).
	JoinedAt    time.Time `json:"joined_at,omitzero"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
	CloseReason string    `json:"close_reason,omitempty"`
}

// Promotion is one participant made co-host by the agent.
type Promotion struct {
	MeetingID       int64  `json:"meeting_id"`
	MeetingUUID     string `json:"meeting_uuid"`
	ParticipantUUID string `json:"participant_uuid"`
	UserID          string `json:"user_id"`
	UserName        string `json:"user_name"`
	// Key is the participant key the agent was called with.
	Key        string    `json:"key"`
	JoinedAt   time.Time `json:"joined_at"`
	PromotedAt time.Time `json:"promoted_at"`
	// RoleChangedSentAt is when meeting.participant_role_changed was emitted; zero until then.
	RoleChangedSentAt time.Time `json:"role_changed_sent_at,omitzero"`
	// RoleChangedRequestID is the x-zm-request-id of that webhook.
	RoleChangedRequestID string `json:"role_changed_request_id,omitempty"`
	// Repeats counts later calls for a participant who was already co-host (idempotent 200s).
	Repeats int `json:"repeats"`
	// Via says which route promoted: PromotedByAgent, PromotedBySDK or PromotedByHost.
	Via string `json:"via"`
}

// Values of Promotion.Via.
const (
	PromotedByAgent = "agent" // the co-host agent's PUT …/cohosts/{key}
	PromotedBySDK   = "sdk"   // makeCoHost of the simulated Web Meeting SDK (a host page)
	PromotedByHost  = "host"  // the host, by hand, in Zoom's own participant panel (AssignCoHost)
)

// TimeToCoHost is PromotedAt - JoinedAt.
func (p Promotion) TimeToCoHost() time.Duration { return p.PromotedAt.Sub(p.JoinedAt) }

// Counters sums up a Ledger.
type Counters struct {
	TokenRequests          int            `json:"token_requests"`
	TokenRequestsByAccount map[string]int `json:"token_requests_by_account"`
	APICalls               int            `json:"api_calls"`
	APIRateLimited         int            `json:"api_rate_limited"`
	APIServerErrors        int            `json:"api_server_errors"`
	APIUnauthorized        int            `json:"api_unauthorized"`
	WebhookDeliveries      int            `json:"webhook_deliveries"`
	WebhookAttempts        int            `json:"webhook_attempts"`
	WebhooksDelivered      int            `json:"webhooks_delivered"`
	WebhooksFailed         int            `json:"webhooks_failed"`
	WebhooksPending        int            `json:"webhooks_pending"`
	AgentCalls             int            `json:"agent_calls"`
	Sessions               int            `json:"sessions"`
	Promotions             int            `json:"promotions"`
	DuplicatePromotions    int            `json:"duplicate_promotions"`
	RoleChangedSent        int            `json:"role_changed_sent"`
}

// Counters sums up the ledger.
func (l Ledger) Counters() Counters {
	c := Counters{TokenRequestsByAccount: map[string]int{}}
	c.TokenRequests = len(l.TokenRequests)
	for _, t := range l.TokenRequests {
		c.TokenRequestsByAccount[t.AccountID]++
	}
	c.APICalls = len(l.APICalls)
	for _, a := range l.APICalls {
		switch {
		case a.Status == 429:
			c.APIRateLimited++
		case a.Status == 401:
			c.APIUnauthorized++
		case a.Status >= 500:
			c.APIServerErrors++
		}
	}
	c.WebhookDeliveries = len(l.Webhooks)
	for _, d := range l.Webhooks {
		c.WebhookAttempts += len(d.Attempts)
		switch d.State {
		case DeliveryDelivered:
			c.WebhooksDelivered++
		case DeliveryFailed:
			c.WebhooksFailed++
		case DeliveryPending:
			c.WebhooksPending++
		}
	}
	c.AgentCalls = len(l.AgentCalls)
	for _, a := range l.AgentCalls {
		if a.Outcome == OutcomeAlreadyCoHost || a.Outcome == OutcomeAlreadyHost {
			c.DuplicatePromotions++
		}
	}
	c.Sessions = len(l.Sessions)
	c.Promotions = len(l.Promotions)
	for _, p := range l.Promotions {
		if !p.RoleChangedSentAt.IsZero() {
			c.RoleChangedSent++
		}
	}
	return c
}

// TokenRequestCount counts the token requests made for an account.
func (l Ledger) TokenRequestCount(accountID string) int {
	n := 0
	for _, t := range l.TokenRequests {
		if t.AccountID == accountID {
			n++
		}
	}
	return n
}

// Deliveries returns the deliveries of one event ("" for all), in creation order.
func (l Ledger) Deliveries(event string) []WebhookDelivery {
	var out []WebhookDelivery
	for _, d := range l.Webhooks {
		if event == "" || d.Event == event {
			out = append(out, d)
		}
	}
	return out
}

// Delivery finds a delivery by its x-zm-request-id.
func (l Ledger) Delivery(requestID string) (WebhookDelivery, bool) {
	for _, d := range l.Webhooks {
		if d.RequestID == requestID {
			return d, true
		}
	}
	return WebhookDelivery{}, false
}

// Promotion finds the promotion of a participant by participant_uuid, user_id or the key used.
func (l Ledger) Promotion(meetingID int64, participantKey string) (Promotion, bool) {
	for _, p := range l.Promotions {
		if p.MeetingID == meetingID &&
			(p.Key == participantKey || p.ParticipantUUID == participantKey || p.UserID == participantKey) {
			return p, true
		}
	}
	return Promotion{}, false
}

// PromotionsIn returns the promotions made in a meeting.
func (l Ledger) PromotionsIn(meetingID int64) []Promotion {
	var out []Promotion
	for _, p := range l.Promotions {
		if p.MeetingID == meetingID {
			out = append(out, p)
		}
	}
	return out
}

// APICallCount counts REST calls with this method ("" for any) whose path starts with prefix.
func (l Ledger) APICallCount(method, pathPrefix string) int {
	n := 0
	for _, a := range l.APICalls {
		if (method == "" || a.Method == method) && strings.HasPrefix(a.Path, pathPrefix) {
			n++
		}
	}
	return n
}

// Ledger returns a copy of the ledger.
func (s *Sim) Ledger() Ledger {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ledgerCopy()
}

// Counters sums up the ledger.
func (s *Sim) Counters() Counters { return s.Ledger().Counters() }

func (s *Sim) ledgerCopy() Ledger {
	l := Ledger{
		TokenRequests:  append([]TokenRequest(nil), s.ledger.TokenRequests...),
		APICalls:       append([]APICall(nil), s.ledger.APICalls...),
		Webhooks:       append([]WebhookDelivery(nil), s.ledger.Webhooks...),
		URLValidations: append([]URLValidation(nil), s.ledger.URLValidations...),
		AgentCalls:     append([]AgentCall(nil), s.ledger.AgentCalls...),
		Sessions:       append([]SessionRecord(nil), s.ledger.Sessions...),
		Promotions:     append([]Promotion(nil), s.ledger.Promotions...),
		SDKSessions:    append([]SDKSession(nil), s.ledger.SDKSessions...),
		SDKCalls:       append([]SDKCall(nil), s.ledger.SDKCalls...),
	}
	for i := range l.Webhooks {
		l.Webhooks[i].Attempts = append([]WebhookAttempt(nil), l.Webhooks[i].Attempts...)
	}
	return l
}

// WaitFor calls cond with a copy of the ledger now and after every change, until cond returns true
// (WaitFor returns that ledger) or ctx is done (WaitFor returns the last ledger and ctx's error).
func (s *Sim) WaitFor(ctx context.Context, cond func(Ledger) bool) (Ledger, error) {
	for {
		s.mu.Lock()
		l := s.ledgerCopy()
		ch := s.changed
		s.mu.Unlock()
		if cond(l) {
			return l, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return l, ctx.Err()
		}
	}
}

// WaitForCoHost waits until the participant is promoted and meeting.participant_role_changed has
// been emitted for it.
func (s *Sim) WaitForCoHost(ctx context.Context, meetingID int64, participantKey string) (Promotion, error) {
	l, err := s.WaitFor(ctx, func(l Ledger) bool {
		p, ok := l.Promotion(meetingID, participantKey)
		return ok && !p.RoleChangedSentAt.IsZero()
	})
	p, _ := l.Promotion(meetingID, participantKey)
	return p, err
}

// WaitForDeliveries waits until n deliveries of event ("" for any) have settled (delivered, failed
// or unsent) and returns them.
func (s *Sim) WaitForDeliveries(ctx context.Context, event string, n int) ([]WebhookDelivery, error) {
	l, err := s.WaitFor(ctx, func(l Ledger) bool {
		settled := 0
		for _, d := range l.Deliveries(event) {
			if d.State != DeliveryPending {
				settled++
			}
		}
		return settled >= n
	})
	return l.Deliveries(event), err
}
