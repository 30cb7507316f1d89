-- One row that readiness (/readyz) upserts: a write that must commit, so a
-- database that answers but cannot write is reported not ready.
CREATE TABLE cohost_health (
    id INTEGER PRIMARY KEY,
    checked_at BIGINT NOT NULL
);

-- Retention: participants are pruned by their last change.
CREATE INDEX participants_updated_at ON participants (updated_at);
CREATE INDEX meeting_granters_updated_at ON meeting_granters (updated_at);
