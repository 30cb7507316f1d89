-- River's GIN indexes over every key and value of a job's arguments and
-- metadata. Each of a job's three writes (insert, fetch, completion) adds
-- entries to both, two jobs per join; neither cohost nor River UI's API
-- queries river_job with @> (cohost filters jobs by args ->> 'key', which a
-- GIN index does not serve). River's reindexer is told to leave them out
-- (store.riverConfig). A River upgrade whose migration names them must
-- recreate them first: CREATE INDEX river_job_args_index ON river_job USING
-- GIN (args), and river_job_metadata_index likewise on metadata.
DROP INDEX river_job_args_index;
DROP INDEX river_job_metadata_index;

-- A processed event's mark (processed_at, outcome) changes no indexed
-- column: with room left on the page PostgreSQL updates the row in place
-- (a HOT update) instead of adding an entry to each of its indexes.
ALTER TABLE webhook_events SET (fillfactor = 80);

-- A pipelined transaction (store/pipeline.go) sends a join's write with the
-- statements after it without waiting for its result: a write that changed
-- nothing must fail, so that the transaction fails with it on the server.
-- processed: rows the event's processed mark changed (0: an earlier attempt
-- processed it); written: rows the participant's write changed (0: the row
-- changed since it was read). The SQLSTATEs are cohost's own (class CH).
-- (The body keeps its semicolons inside lines: migrations are split at
-- semicolons that end a line.)
CREATE FUNCTION cohost_expect(processed bigint, written bigint) RETURNS void LANGUAGE plpgsql AS $$ BEGIN
    IF processed = 0 THEN RAISE EXCEPTION 'the event was processed already' USING ERRCODE = 'CH001'; END IF;  IF written = 0 THEN RAISE EXCEPTION 'the participant changed since it was read' USING ERRCODE = 'CH002'; END IF; END
$$;
