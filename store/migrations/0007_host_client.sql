-- The host client (docs/host-client.md): host links, the host page of each
-- meeting, and the page's promotions.

-- Host links: one row per minted link. Only the SHA-256 of the link's secret
-- is kept; the secret itself is in the link's URL fragment and nowhere else.
-- revoked_at is 0 while the link is good.
CREATE TABLE host_links (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX host_links_meeting ON host_links (account_id, meeting_id);

-- The host page that runs a meeting: which page load (session_id) holds it,
-- when it last synced, what it reported, and the one makeCoHost in flight
-- (inflight_call, its target and the lease until which no other call is
-- issued). Every replica reads and writes this row under a row lock, so the
-- page may reach any of them.
CREATE TABLE host_pages (
    account_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    meeting_uuid TEXT NOT NULL DEFAULT '',
    session_id TEXT NOT NULL DEFAULT '',
    claimed_at BIGINT NOT NULL DEFAULT 0,
    seen_at BIGINT NOT NULL DEFAULT 0,
    connection TEXT NOT NULL DEFAULT '',
    host_user_id BIGINT NOT NULL DEFAULT 0,
    inflight_call TEXT NOT NULL DEFAULT '',
    inflight_key TEXT NOT NULL DEFAULT '',
    inflight_until BIGINT NOT NULL DEFAULT 0,
    last_call_at BIGINT NOT NULL DEFAULT 0,
    ended_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, meeting_id)
);

-- Each participant the host page tries to promote, by meeting instance and
-- match key (the SDK's participantUUID, lower case without braces, or
-- "uid:" + the per-join user id): attempts, when to try again, and why the
-- last try did not make them co-host (a grant.Reason and Zoom's words).
-- state is waiting or done.
CREATE TABLE host_promotions (
    meeting_uuid TEXT NOT NULL,
    match_key TEXT NOT NULL,
    account_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    done_at BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (meeting_uuid, match_key)
);

CREATE INDEX host_promotions_meeting ON host_promotions (account_id, meeting_id);
