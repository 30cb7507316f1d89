-- Zoom tokens, one row per account, shared by every replica
-- (zoomclient.TokenStore). access_token and refresh_token are opaque bytes,
-- sealed (AES-GCM) by zoomclient; refresh_token is empty in s2s mode.
-- expiry is Unix milliseconds. version is a compare-and-swap counter: 1 for a
-- new row, +1 on every save.
CREATE TABLE zoom_tokens (
    account_id TEXT PRIMARY KEY,
    access_token {{bytes}} NOT NULL,
    refresh_token {{bytes}} NOT NULL,
    token_type TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL DEFAULT '',
    expiry BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL DEFAULT 0
);

-- The per-account token lease: only its holder requests a token for the
-- account until expires_at (Unix milliseconds, the clock of the replica that
-- took the lease).
CREATE TABLE zoom_token_leases (
    account_id TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Rate-limit pauses shared by every call of an account (zoomclient.PauseStore):
-- no call to Zoom for the account before paused_until (Unix milliseconds).
CREATE TABLE zoom_account_pauses (
    account_id TEXT PRIMARY KEY,
    paused_until BIGINT NOT NULL
);
