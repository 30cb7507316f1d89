-- A participant's row version, raised by every write: the join path reads
-- the meeting and the participant without locking them and writes the row
-- back only if its version is still the one it read (store.ParticipantRead).
ALTER TABLE participants ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
