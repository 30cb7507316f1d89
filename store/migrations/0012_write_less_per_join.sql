-- Indexes that every join wrote and nothing read (docs/benchmarks.md).
-- webhook_events (meeting_uuid, event_ts): no query of cohost's looks an
-- event up by its meeting; events are read by id and pruned by received_at.
DROP INDEX webhook_events_meeting;
