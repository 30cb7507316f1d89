// Package grant is cohost's domain: the Zoom events it receives, the meetings
// it watches, their participants and the co-host grants it makes. It imports
// nothing outside the standard library; the store, the engine and the HTTP
// layer adapt it.
package grant

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"time"
)

// Inbound is a verified Zoom webhook event as it is stored for processing.
type Inbound struct {
	// ID is cohost's own id for the stored event.
	ID string
	// DeliveryID is Zoom's x-zm-request-id, "" where Zoom sent none.
	DeliveryID     string
	Event          string
	EventTime      time.Time
	AccountID      string
	MeetingID      string
	MeetingUUID    string
	ParticipantKey string
	// Body is the raw JSON body exactly as Zoom sent it.
	Body       []byte
	ReceivedAt time.Time
}

// FactKey identifies the fact an event reports, independent of how often or
// through which delivery it arrived: Zoom re-delivers on time-outs and may
// send the same fact twice under different request ids.
func (in Inbound) FactKey() string {
	return in.Event + "|" + in.AccountID + "|" + in.MeetingUUID + "|" + in.ParticipantKey + "|" +
		strconv.FormatInt(in.EventTime.UnixMilli(), 10)
}

// IntakeResult says what happened to an inbound event.
type IntakeResult struct {
	// Duplicate is true when the delivery or the fact was seen before; nothing
	// new was stored or enqueued.
	Duplicate bool
	// EventID is the id of the stored event ("" for a duplicate).
	EventID string
}

// NewID returns a random 128-bit id in hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
