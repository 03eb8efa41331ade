-- demo/demo.sql: the seed's analytics spec against the mock API.
\echo '== the extension, a server on the spec, a secret'
CREATE EXTENSION backfill_fdw;
CREATE SERVER analytics FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock');
CREATE USER MAPPING FOR CURRENT_USER SERVER analytics
  OPTIONS (api_key 'sk_demo_not_a_real_key');

\echo '== a foreign table per endpoint, its columns inferred from a sample of its records'
CREATE SCHEMA analytics;
IMPORT FOREIGN SCHEMA "Analytics API" FROM SERVER analytics INTO public
  OPTIONS (target_schema 'analytics', range_column 'date');
\d daily_events

\echo '== the first three days of 2024, fetched live'
SELECT * FROM backfill_fdw.records('analytics', 'daily_events', '2024-01-01', '2024-01-03') LIMIT 3;

\echo '== backfill_into: the first week of 2024 into a local table, created with the spec''s primary key'
SELECT backfill_into('daily_events', '2024-01-01', '2024-01-07');
SELECT date, count(*) AS events, sum(amount) AS amount
  FROM analytics.daily_events GROUP BY date ORDER BY date;

\echo '== the sync state it kept, in the same transaction: the next incremental run starts there'
SELECT foreign_table, sync, updated_at FROM backfill_fdw.sync_state;

\echo '== the same week again: no row doubled, none rewritten'
SELECT backfill_into('daily_events', '2024-01-01', '2024-01-07');
SELECT count(*) AS rows, count(DISTINCT event_id) AS distinct_ids FROM analytics.daily_events;

\echo '== an older week: loaded, and the cursor does not move back'
SELECT backfill_into('daily_events', '2023-12-25', '2023-12-31');
SELECT sync FROM backfill_fdw.sync_state;

\echo '== a longer range, committed 3 days at a time (a failed CALL resumes where it stopped)'
CALL backfill_fdw.backfill('daily_events', '2024-01-08', '2024-01-14', 3);

\echo '== the run history'
SELECT id, mode, range_start, range_end, first_iteration, iterations, status,
       records, rows_written, requests,
       round(extract(epoch FROM finished_at - started_at)::numeric, 2) AS seconds
  FROM backfill_fdw.run_history ORDER BY id;
