--
-- CALL backfill_fdw.backfill(): a range committed window by window.  A
-- failure keeps every finished window and is recorded in the history after
-- its rollback; the next CALL with the same arguments starts at the first
-- unfinished window and fetches no finished one again (the mock API counts
-- the requests of each day).
--
\set bf_spec '/tmp/backfill_fdw_test/specs/backfill.yaml'
\getenv mock_url MOCK_URL
SET timezone = 'UTC';
\set SHOW_CONTEXT never

-- 2024-01-05 answers 409 to its first request, then its events; the tag,
-- which the mock counts requests and failures by, is new in every run
SELECT 'resume' || md5(clock_timestamp()::text) AS tag,
       'resume2' || md5(clock_timestamp()::text) AS tag2 \gset
CREATE SERVER bf_resume FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'bf_spec', base_url :'mock_url', tag :'tag', fail_on '2024-01-05', fail '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER bf_resume
  OPTIONS (api_key 'sk_test_SECRET123');
CREATE FOREIGN TABLE resume_events (event_id text, date date, kind text)
  SERVER bf_resume OPTIONS (endpoint 'events', target 'resume_target');

-- The requests the mock API saw for each day of January's first ten.
CREATE VIEW resume_requests AS
  SELECT d::date AS day,
         (SELECT (r->>'requests')::int
            FROM backfill_fdw.records('bf_resume', 'requests',
                                    :'tag' || '-' || to_char(d, 'YYYY-MM-DD')) r) AS requests
    FROM generate_series(date '2024-01-01', date '2024-01-10', interval '1 day') d;

-- The history of this table, without the times.
CREATE VIEW resume_history AS
  SELECT row_number() OVER (ORDER BY id) AS run, mode, range_start, range_end,
         first_iteration, iterations, status, records, rows_written, requests, error
    FROM backfill_fdw.run_history WHERE foreign_table = 'public.resume_events';

-- windows of 2 days: the first two are committed, the third fails
CALL backfill_fdw.backfill('resume_events', '2024-01-01', '2024-01-10', 2);
SELECT count(*), min(date), max(date) FROM resume_target;
SELECT foreign_table, range_start, range_end, target, next_iteration, total_iterations,
       updated_at >= started_at AS timed
  FROM backfill_fdw.backfill_progress;
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'resume_events'::regclass;
SELECT * FROM resume_history ORDER BY run;

-- the same CALL again starts at the third window
CALL backfill_fdw.backfill('resume_events', '2024-01-01', '2024-01-10', 2);
SELECT count(*), count(DISTINCT event_id), min(date), max(date) FROM resume_target;
SELECT count(*) AS unfinished FROM backfill_fdw.backfill_progress;
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'resume_events'::regclass;
SELECT * FROM resume_history ORDER BY run;
-- every day was fetched once, but the one that failed, twice
SELECT * FROM resume_requests;

-- a finished range called again is loaded again, in windows of another
-- size; nothing changed, so nothing is written
CALL backfill_fdw.backfill('resume_events', '2024-01-01', '2024-01-10', 4);
SELECT run, range_end, first_iteration, iterations, status, rows_written
  FROM resume_history WHERE run > 6 ORDER BY run;

-- a window size changed between a failure and the resume: progress counts
-- iterations, so the resume starts at the same day
ALTER SERVER bf_resume OPTIONS (SET fail_on '2024-01-04', SET fail '1', SET tag :'tag2');
CALL backfill_fdw.backfill('resume_events', '2024-01-01', '2024-01-06', 3);
SELECT next_iteration, total_iterations FROM backfill_fdw.backfill_progress;
CALL backfill_fdw.backfill('resume_events', '2024-01-01', '2024-01-06', 1);
SELECT run, range_end, first_iteration, iterations, status, rows_written, error
  FROM resume_history WHERE run > 9 ORDER BY run;

-- arguments a backfill cannot run with
CALL backfill_fdw.backfill('resume_events', NULL, '2024-01-10');
CALL backfill_fdw.backfill('resume_events', '2024-01-01', '2024-01-10', 0);
