-- Every Zoom token is stored sealed (docs/operations.md, "Tokens at rest"):
-- AES-256-GCM, whose first byte is the seal's version, 1. An older
-- build stored s2s access tokens in clear when COHOST_ENCRYPTION_KEY was not
-- set: such a row is dropped, and a new token is fetched and stored sealed
-- at the next call. (secure_delete overwrites the row's bytes in the file,
-- and the store checkpoints the write-ahead log after the migrations.)
DELETE FROM zoom_tokens
WHERE substr(access_token, 1, 1) <> x'01'
   OR (length(refresh_token) > 0 AND substr(refresh_token, 1, 1) <> x'01');

-- Host links an older build minted for a meeting id not in Zoom's one form
-- (digits, no leading zero: api.CanonicalMeetingID) escaped the revocation of
-- the meeting's canonical id: they are revoked now. The routes refuse such an
-- id anyway.
UPDATE host_links SET revoked_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000
WHERE revoked_at = 0
  AND (meeting_id = '' OR meeting_id GLOB '0*' OR meeting_id GLOB '*[^0-9]*' OR length(meeting_id) > 19);
