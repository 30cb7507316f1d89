-- Meetings cohost watches, one row per account and numeric meeting id; uuid
-- is the current (or last) instance.
CREATE TABLE meetings (
    account_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    uuid TEXT NOT NULL DEFAULT '',
    host_id TEXT NOT NULL DEFAULT '',
    host_email TEXT NOT NULL DEFAULT '',
    topic TEXT NOT NULL DEFAULT '',
    start_time BIGINT NOT NULL DEFAULT 0,
    tracking_fields TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'scheduled',
    status_at BIGINT NOT NULL DEFAULT 0,
    started_at BIGINT NOT NULL DEFAULT 0,
    ended_at BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, meeting_id)
);

CREATE INDEX meetings_uuid ON meetings (uuid);
CREATE INDEX meetings_updated_at ON meetings (updated_at);

-- The grant ledger: one row per participant of a meeting instance.
CREATE TABLE participants (
    meeting_uuid TEXT NOT NULL,
    participant_key TEXT NOT NULL,
    account_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    user_id TEXT NOT NULL DEFAULT '',
    zoom_user_id TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    joined_at BIGINT NOT NULL DEFAULT 0,
    left_at BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    granter TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    join_seen_at BIGINT NOT NULL DEFAULT 0,
    granted_at BIGINT NOT NULL DEFAULT 0,
    confirmed_at BIGINT NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (meeting_uuid, participant_key)
);

CREATE INDEX participants_meeting ON participants (account_id, meeting_id);
CREATE INDEX participants_state ON participants (state);

-- What each granter did for a meeting (prepared, finished, with details such
-- as settings an admin has locked).
CREATE TABLE meeting_granters (
    account_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    granter TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, meeting_id, granter)
);

-- Host user settings as they were before the permissions granter changed
-- them; restored when the host's last live meeting ends.
CREATE TABLE host_settings (
    account_id TEXT NOT NULL,
    host_id TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    meetings TEXT NOT NULL DEFAULT '',
    taken_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, host_id)
);
