--
-- pg_cron keeps a table current: a job that runs backfill_into, scheduled
-- every minute (pg_cron 1.4 schedules by the minute, so this test waits for
-- the next minute to start, at most about 60 s), succeeds and loads rows.
-- Jobs run in background workers (cron.use_background_workers, set by
-- test/run), as the user who scheduled them, with that user's mapping.
--
\set bf_spec '/tmp/backfill_fdw_test/specs/backfill.yaml'
\getenv mock_url MOCK_URL
SET timezone = 'UTC';
CREATE EXTENSION pg_cron;

CREATE SERVER bf_cron FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'bf_spec', base_url :'mock_url', tag 'cron');
CREATE USER MAPPING FOR CURRENT_USER SERVER bf_cron
  OPTIONS (api_key 'sk_test_SECRET123');
CREATE FOREIGN TABLE cron_events (event_id text, date date, kind text)
  SERVER bf_cron OPTIONS (endpoint 'events', target 'cron_target');
CREATE TABLE cron_target (event_id text PRIMARY KEY, date date, kind text);

SELECT cron.schedule('backfill-cron-test', '* * * * *',
  $$SELECT backfill_into('cron_events', '2024-03-01', '2024-03-03')$$) > 0 AS scheduled;

-- wait for the first run to end (at most 90 s)
DO $$
BEGIN
  FOR i IN 1..900 LOOP
    EXIT WHEN EXISTS (SELECT FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                       WHERE j.jobname = 'backfill-cron-test'
                         AND d.status IN ('succeeded', 'failed'));
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT cron.unschedule('backfill-cron-test');

SELECT d.status, d.command, d.return_message
  FROM cron.job_run_details d
 WHERE d.status IN ('succeeded', 'failed')
 ORDER BY d.start_time LIMIT 1;
SELECT count(*), min(date), max(date) FROM cron_target;
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'cron_events'::regclass;
SELECT mode, range_start, range_end, status, rows_written
  FROM backfill_fdw.run_history WHERE foreign_table = 'public.cron_events' ORDER BY id LIMIT 1;
