-- cohost's updates of one Zoom meeting (PATCH /meetings/{meetingId}) on one
-- UTC day. Zoom allows 100 updates of a meeting in 24 hours; the
-- alternative-hosts granter spends what is left of that budget in batches and
-- the permissions granter counts its own PATCH here too. day is the UTC date
-- (YYYY-MM-DD) that updates counts for; last_update_at is when cohost last
-- updated the meeting and flushing_until the lease of the worker sending the
-- next batch (Unix milliseconds, 0: none).
CREATE TABLE meeting_updates (
    account_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    day TEXT NOT NULL DEFAULT '',
    updates INTEGER NOT NULL DEFAULT 0,
    last_update_at BIGINT NOT NULL DEFAULT 0,
    flushing_until BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, meeting_id)
);

-- Emails waiting to be added to a meeting's settings.alternative_hosts in the
-- next batch.
CREATE TABLE alternative_host_queue (
    account_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    email TEXT NOT NULL,
    queued_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, meeting_id, email)
);
