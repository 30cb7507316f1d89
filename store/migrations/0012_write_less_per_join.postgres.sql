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
