-- Move host_settings.meetings (a JSON object keyed by meeting id) into
-- host_setting_meetings. A row whose JSON does not parse fails the migration:
-- cohostd then refuses to start, rather than read it as "no live meetings"
-- and restore a snapshot that meetings still hold.
INSERT INTO host_setting_meetings (account_id, host_id, meeting_id, applied, detail, released)
SELECT h.account_id, h.host_id, e.key,
       CASE WHEN (e.value ->> 'applied') = 'true' THEN 1 ELSE 0 END,
       COALESCE(e.value ->> 'detail', ''),
       CASE WHEN (e.value ->> 'released') = 'true' THEN 1 ELSE 0 END
FROM host_settings h, jsonb_each(CASE WHEN h.meetings = '' THEN '{}'::jsonb ELSE h.meetings::jsonb END) e;

ALTER TABLE host_settings DROP COLUMN meetings;
