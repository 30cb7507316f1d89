-- Webhook deliveries seen, by Zoom's x-zm-request-id: a re-delivery of the
-- same request is answered 200 and enqueues nothing. Kept at least 24 h.
CREATE TABLE webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL
);

CREATE INDEX webhook_deliveries_received_at ON webhook_deliveries (received_at);

-- Verified events, one row per fact (event, account, meeting uuid,
-- participant, event time): the same fact delivered under another request id
-- is a duplicate too.
CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    fact_key TEXT NOT NULL UNIQUE,
    delivery_id TEXT NOT NULL,
    event TEXT NOT NULL,
    event_ts BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    meeting_uuid TEXT NOT NULL,
    participant_key TEXT NOT NULL,
    body {{bytes}} NOT NULL,
    received_at BIGINT NOT NULL,
    processed_at BIGINT NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT ''
);

CREATE INDEX webhook_events_received_at ON webhook_events (received_at);
CREATE INDEX webhook_events_meeting ON webhook_events (meeting_uuid, event_ts);
