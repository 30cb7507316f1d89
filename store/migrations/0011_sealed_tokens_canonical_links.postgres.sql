-- Every Zoom token is stored sealed (docs/operations.md, "Tokens at rest"):
-- AES-256-GCM, whose first byte is the seal's version, 1. An older
-- build stored s2s access tokens in clear when COHOST_ENCRYPTION_KEY was not
-- set: such a row is dropped, and a new token is fetched and stored sealed
-- at the next call. (The dead row version is gone from the table's files
-- once autovacuum or VACUUM has run.)
DELETE FROM zoom_tokens
WHERE substring(access_token FROM 1 FOR 1) <> '\x01'::bytea
   OR (length(refresh_token) > 0 AND substring(refresh_token FROM 1 FOR 1) <> '\x01'::bytea);

-- Host links an older build minted for a meeting id not in Zoom's one form
-- (digits, no leading zero: api.CanonicalMeetingID) escaped the revocation of
-- the meeting's canonical id: they are revoked now. The routes refuse such an
-- id anyway.
UPDATE host_links SET revoked_at = (extract(epoch FROM now()) * 1000)::bigint
WHERE revoked_at = 0
  AND meeting_id !~ '^[1-9][0-9]{0,18}$';
