-- What the granter or Zoom said about a skipped or failed grant, in words.
-- participants.reason keeps only the stable code (grant.Reason).
ALTER TABLE participants ADD COLUMN detail TEXT NOT NULL DEFAULT '';

-- The meetings that hold a host's settings snapshot, one row each, read by
-- (account_id, meeting_id) on the grant path of every join. applied and
-- released are 0 or 1.
CREATE TABLE host_setting_meetings (
    account_id TEXT NOT NULL,
    host_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    applied INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '',
    released INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, host_id, meeting_id)
);

CREATE INDEX host_setting_meetings_meeting ON host_setting_meetings (account_id, meeting_id);
