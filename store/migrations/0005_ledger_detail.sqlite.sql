-- Move host_settings.meetings (a JSON object keyed by meeting id) into
-- host_setting_meetings. A row whose JSON does not parse fails the migration:
-- cohostd then refuses to start, rather than read it as "no live meetings"
-- and restore a snapshot that meetings still hold.
INSERT INTO host_setting_meetings (account_id, host_id, meeting_id, applied, detail, released)
SELECT h.account_id, h.host_id, e.key,
       CASE WHEN json_extract(e.value, '$.applied') THEN 1 ELSE 0 END,
       COALESCE(json_extract(e.value, '$.detail'), ''),
       CASE WHEN json_extract(e.value, '$.released') THEN 1 ELSE 0 END
FROM host_settings h, json_each(CASE WHEN h.meetings = '' THEN '{}' ELSE h.meetings END) e;

ALTER TABLE host_settings DROP COLUMN meetings;
