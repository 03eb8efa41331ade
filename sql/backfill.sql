--
-- backfill_into: a range loaded into a local table, loaded again, the
-- incremental run from the stored sync state, an old range that does not
-- move the cursor, a failure in the middle that leaves rows and state as
-- they were, de-duplication, appends, targets, and the run history.
--
\set bf_spec '/tmp/backfill_fdw_test/specs/backfill.yaml'
\getenv mock_url MOCK_URL
SET timezone = 'UTC';

-- the tag the mock API counts this test's requests by, new in every run
SELECT 'bf' || md5(clock_timestamp()::text) AS tag \gset
CREATE SERVER bf FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'bf_spec', base_url :'mock_url', tag :'tag', fail_on 'never');
CREATE USER MAPPING FOR CURRENT_USER SERVER bf
  OPTIONS (api_key 'sk_test_SECRET123');

-- The history without the times, which change from run to run.
CREATE VIEW bf_history AS
  SELECT id, foreign_table, endpoint, target, mode, range_start, range_end,
         first_iteration, iterations, status, records, rows_written, requests,
         retries, bytes > 0 AS bytes, finished_at >= started_at AS timed, error
    FROM backfill_fdw.run_history;

CREATE FOREIGN TABLE events (
  event_id text,
  date     date,
  kind     text,
  amount   numeric,
  payload  jsonb
) SERVER bf OPTIONS (endpoint 'events', range_column 'date', target 'loaded_events');

-- a backfill: the target named by the table option does not exist yet, so
-- it is created with the foreign table's columns and the spec's primary key
SELECT backfill_into('events', '2024-01-01', '2024-01-03');
\d loaded_events
SELECT * FROM loaded_events ORDER BY event_id;
SELECT foreign_table, endpoint, sync FROM backfill_fdw.sync_state;
SELECT * FROM bf_history;

-- the same backfill again: the same rows, none of them rewritten
SELECT backfill_into('events', '2024-01-01', '2024-01-03');
SELECT count(*), count(DISTINCT event_id), min(date), max(date) FROM loaded_events;
-- a row changed locally is put back, and only that row is written
UPDATE loaded_events SET kind = 'edited' WHERE event_id = '2024-01-02-1';
SELECT backfill_into('events', '2024-01-02', '2024-01-02');
SELECT event_id, kind FROM loaded_events WHERE date = '2024-01-02' ORDER BY event_id;
SELECT sync FROM backfill_fdw.sync_state;

-- a plain SELECT sees what the next incremental run would fetch (sync.*:
-- from 2024-01-03 on, to the spec's default end) and does not move the state
SELECT min(date), max(date), count(*) FROM events;
SELECT sync FROM backfill_fdw.sync_state;

-- the incremental run starts from the stored state; 2024-01-03 is fetched
-- again but unchanged, so the rows written are the 3 new days
SELECT backfill_into('events');
SELECT count(*), min(date), max(date) FROM loaded_events;
SELECT sync FROM backfill_fdw.sync_state;

-- a backfill of an older range loads it but does not move the cursor back
SELECT backfill_into('events', '2023-12-30', '2023-12-31');
SELECT count(*), min(date), max(date) FROM loaded_events;
SELECT sync FROM backfill_fdw.sync_state;

-- a failure in the middle (2024-01-08 answers 409, after 2024-01-07 was
-- loaded): rows and state are exactly as they were, the secret is masked
CREATE TEMP TABLE rows_before AS SELECT * FROM loaded_events;
ALTER SERVER bf OPTIONS (SET fail_on '2024-01-08');
SELECT backfill_into('events', '2024-01-06', '2024-01-10');
SELECT (SELECT count(*) FROM loaded_events) AS rows_now,
       (SELECT count(*) FROM rows_before) AS rows_before,
       (SELECT count(*) FROM (SELECT * FROM loaded_events
                              EXCEPT SELECT * FROM rows_before) d) AS rows_differing;
SELECT sync FROM backfill_fdw.sync_state;
-- (the API was asked for 2024-01-07 and 2024-01-08, and no more)
SELECT day, (SELECT (r->>'requests')::int
               FROM backfill_fdw.records('bf', 'requests', :'tag' || '-' || day) r) AS requests
  FROM unnest(ARRAY['2024-01-07', '2024-01-08', '2024-01-09']) day;
ALTER SERVER bf OPTIONS (SET fail_on 'never');

-- the history of every run that succeeded (a failed backfill_into rolls
-- back with its history row; CALL backfill_fdw.backfill records failures)
SELECT * FROM bf_history;

-- rows whose primary key repeats in one run (within a page and across
-- pages): the first wins, as a plain SELECT shows too
CREATE FOREIGN TABLE dups (id int, v text) SERVER bf OPTIONS (endpoint 'dups');
SELECT * FROM dups;
CREATE TABLE dups_target (id int PRIMARY KEY, v text, loaded_at timestamptz DEFAULT now());
SELECT backfill_into('dups', target => 'dups_target');
SELECT id, v, loaded_at IS NOT NULL AS defaulted FROM dups_target ORDER BY id;

-- without a primary key, rows are appended: twice loaded, twice there
CREATE FOREIGN TABLE events_log (event_id text, date date)
  SERVER bf OPTIONS (endpoint 'events_nokey');
CREATE TABLE events_log_target (event_id text, date date, note text);
SELECT backfill_into('events_log', '2024-01-01', '2024-01-01', 'events_log_target');
SELECT backfill_into('events_log', '2024-01-01', '2024-01-01', 'events_log_target');
SELECT event_id, count(*) FROM events_log_target GROUP BY 1 ORDER BY 1;

-- targets: one without a unique index on the key, one without a key
-- column, none at all, and something that is not a backfill_fdw table
CREATE TABLE no_index (event_id text, date date, kind text, amount numeric, payload jsonb);
SELECT backfill_into('events', '2024-01-01', '2024-01-01', 'no_index');
CREATE TABLE no_key_column (date date, kind text);
SELECT backfill_into('events', '2024-01-01', '2024-01-01', 'no_key_column');
SELECT backfill_into('dups', '1', '2');
SELECT backfill_into('no_index');
SELECT backfill_into(NULL);
-- a unique index other than the primary key will do
CREATE UNIQUE INDEX ON no_index (event_id);
SELECT backfill_into('events', '2024-01-01', '2024-01-01', 'no_index');
-- a target whose schema does not exist is not created
CREATE FOREIGN TABLE events_elsewhere (event_id text, date date)
  SERVER bf OPTIONS (endpoint 'events', target 'nowhere.events');
SELECT backfill_into('events_elsewhere', '2024-01-01', '2024-01-01');
-- a primary_key field that is no column of the foreign table
CREATE FOREIGN TABLE events_nokeycol (date date, kind text)
  SERVER bf OPTIONS (endpoint 'events', target 'loaded_events');
SELECT backfill_into('events_nokeycol', '2024-01-01', '2024-01-01');
-- ... unless a column's json_path is that field
CREATE FOREIGN TABLE events_path (id text OPTIONS (json_path 'event_id'), date date)
  SERVER bf OPTIONS (endpoint 'events');
CREATE TABLE events_path_target (id text PRIMARY KEY, date date);
SELECT backfill_into('events_path', '2024-01-01', '2024-01-01', 'events_path_target');

-- the state is keyed by the foreign table itself: a rename keeps it, and a
-- drop forgets it (and the state of each table is its own)
SELECT foreign_table, sync FROM backfill_fdw.sync_state ORDER BY 1;
ALTER FOREIGN TABLE events RENAME TO events_renamed;
SELECT foreign_table, sync FROM backfill_fdw.sync_state ORDER BY 1;
SELECT min(date), max(date) FROM events_renamed;
ALTER FOREIGN TABLE events_renamed RENAME TO events;
DROP FOREIGN TABLE events_path;
SELECT foreign_table, sync FROM backfill_fdw.sync_state ORDER BY 1;

-- a user who may read the foreign table and write the target may load it:
-- the catalog is written as its owner, and everyone may read it, not write
-- it; the rows are written as the user, who needs the target's privileges
CREATE ROLE regress_bf_loader;
GRANT USAGE ON FOREIGN SERVER bf TO regress_bf_loader;
CREATE USER MAPPING FOR regress_bf_loader SERVER bf OPTIONS (api_key 'sk_test_LOADER');
GRANT SELECT ON events TO regress_bf_loader;
GRANT SELECT, INSERT, UPDATE ON loaded_events TO regress_bf_loader;
SET ROLE regress_bf_loader;
SELECT backfill_into('events', '2024-01-07', '2024-01-07');
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'events'::regclass;
SELECT foreign_table, range_start, status FROM backfill_fdw.run_history ORDER BY id DESC LIMIT 1;
UPDATE backfill_fdw.sync_state SET sync = '{}';
SELECT backfill_into('events', '2024-01-07', '2024-01-07', 'no_index');
RESET ROLE;
DROP OWNED BY regress_bf_loader;
DROP ROLE regress_bf_loader;

-- the catalog is readable by everyone, and dumped by pg_dump
SELECT c.relname, c.relkind,
       CASE c.relkind WHEN 'r' THEN has_table_privilege('public', c.oid, 'SELECT') END AS readable,
       c.oid = ANY (e.extconfig) AS dumped
  FROM pg_class c, pg_extension e
 WHERE c.relnamespace = 'backfill_fdw'::regnamespace AND c.relkind IN ('r', 'S')
   AND e.extname = 'backfill_fdw'
 ORDER BY 1;
