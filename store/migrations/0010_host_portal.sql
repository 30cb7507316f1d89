-- The host portal (docs/host-client.md): hosts sign in with Zoom and start
-- their own meetings from the host page.

-- A sign-in under way, by the SHA-256 of its state's nonce: the PKCE
-- verifier its code must be exchanged with, and the SHA-256 of the cookie
-- that binds it to the browser that started it. The callback takes (deletes)
-- the row, so a state works once.
CREATE TABLE host_signins (
    state_hash TEXT PRIMARY KEY,
    verifier TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX host_signins_expiry ON host_signins (expires_at);

-- A signed-in host, by the SHA-256 of the session id in their cookie (the
-- id itself is nowhere else). Signing out deletes the row, which ends the
-- session on every replica at once.
CREATE TABLE host_sessions (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    display_name TEXT NOT NULL DEFAULT '',
    timezone TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX host_sessions_expiry ON host_sessions (expires_at);
CREATE INDEX host_sessions_account ON host_sessions (account_id);

-- The portal lists a host's live meetings from the ledger.
CREATE INDEX meetings_host ON meetings (account_id, host_id);
