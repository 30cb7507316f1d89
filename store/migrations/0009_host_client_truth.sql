-- The host client, one feature in one place (docs/host-client.md).

-- The per-meeting limit on page starts: how many in the current window and
-- since when (hostclient.StartWindow).
ALTER TABLE host_pages ADD COLUMN starts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE host_pages ADD COLUMN starts_since BIGINT NOT NULL DEFAULT 0;

-- What the page's roster shows holds a participant (not_in_roster, on_hold),
-- apart from why cohost's last call failed (reason, detail). state is now
-- waiting, done (a call of cohost's resolved) or other (someone else made
-- them co-host).
ALTER TABLE host_promotions ADD COLUMN hold TEXT NOT NULL DEFAULT '';
UPDATE host_promotions SET hold = reason, reason = '', detail = ''
    WHERE attempts = 0 AND reason IN ('not_in_roster', 'on_hold');
