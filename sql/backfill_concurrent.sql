--
-- Overlapping runs of one endpoint (issue 15, item 2).  A run that waited
-- for another's advisory lock reads the sync state and the progress after
-- the lock with a snapshot of its own, so it starts where the other ended:
-- two incremental runs without a primary key write each row once, and
-- CALLs of one range fetch each window once.  REPEATABLE READ cannot take
-- a new snapshot: a run there fails (40001) rather than load again what
-- another run committed after its snapshot.  The sessions are dblink
-- connections to this database; the mock API counts requests per day.
--
\set bf_spec '/tmp/backfill_fdw_test/specs/concurrent.yaml'
\getenv mock_url MOCK_URL
SET timezone = 'UTC';
CREATE EXTENSION IF NOT EXISTS dblink;

-- tags the mock counts this run's requests by, new in every run
SELECT 'conc' || md5(clock_timestamp()::text) AS tag,
       'conccall' || md5(clock_timestamp()::text) AS tag2 \gset
CREATE SERVER bf_conc FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'bf_spec', base_url :'mock_url', tag :'tag');
CREATE SERVER bf_conc_call FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'bf_spec', base_url :'mock_url', tag :'tag2');
CREATE USER MAPPING FOR CURRENT_USER SERVER bf_conc;
CREATE USER MAPPING FOR CURRENT_USER SERVER bf_conc_call;
CREATE FOREIGN TABLE conc_events (event_id text, date date, kind text)
  SERVER bf_conc OPTIONS (endpoint 'appended', target 'conc_target');
CREATE TABLE conc_target (event_id text, date date, kind text);   -- no key
CREATE FOREIGN TABLE conc_call_events (event_id text, date date, kind text)
  SERVER bf_conc_call OPTIONS (endpoint 'appended', target 'conc_call_target');
CREATE TABLE conc_call_target (event_id text, date date, kind text);

-- The requests the mock API saw for each day, per server.
CREATE FUNCTION conc_requests(server name, tag text)
RETURNS TABLE (day date, requests int) LANGUAGE sql AS $$
  SELECT d::date, (SELECT (r->>'requests')::int
                     FROM backfill_fdw.records(server, 'requests',
                                               tag || '-' || to_char(d, 'YYYY-MM-DD')) r)
    FROM generate_series(date '2024-03-01', date '2024-03-08', interval '1 day') d
$$;
-- Wait until n sessions wait for an advisory lock.
CREATE PROCEDURE wait_for_waiters(n int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..400 LOOP
    EXIT WHEN (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted) >= n;
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;

SELECT format('dbname=%s port=%s host=%s', current_database(), current_setting('port'),
              split_part(current_setting('unix_socket_directories'), ',', 1)) AS conninfo \gset
SELECT dblink_connect('first', :'conninfo');
SELECT dblink_connect('second', :'conninfo');

-- two incremental runs, the second started while the first holds the lock
SELECT dblink_exec('first', 'BEGIN');
SELECT * FROM dblink('first', $$SELECT backfill_into('conc_events')$$) AS t(rows_written bigint);
SELECT dblink_send_query('second', $$SELECT backfill_into('conc_events')$$);
CALL wait_for_waiters(1);
SELECT dblink_exec('first', 'COMMIT');
-- the second starts at the cursor the first left (2024-03-06): nothing to load
SELECT * FROM dblink_get_result('second') AS t(rows_written bigint);
SELECT * FROM dblink_get_result('second') AS t(rows_written bigint);
SELECT count(*), count(DISTINCT event_id), min(date), max(date) FROM conc_target;
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'conc_events'::regclass;
SELECT mode, status, records, rows_written
  FROM backfill_fdw.run_history WHERE foreign_table = 'public.conc_events' ORDER BY id;
SELECT * FROM conc_requests('bf_conc', :'tag') WHERE day <= '2024-03-05';

-- REPEATABLE READ: another run committed after this transaction's
-- snapshot, which cannot see it: an error, not a second load
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM conc_target;
SELECT * FROM dblink('first', $$SELECT backfill_into('conc_events', '2024-03-06', '2024-03-06')$$)
  AS t(rows_written bigint);
SELECT backfill_into('conc_events');
ROLLBACK;
-- with no run committed since its snapshot, it loads as in READ COMMITTED
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM conc_target;
SELECT backfill_into('conc_events', '2024-03-07', '2024-03-07');
COMMIT;
-- SERIALIZABLE alike: the error when another run committed, else a load
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT count(*) FROM conc_target;
SELECT * FROM dblink('first', $$SELECT backfill_into('conc_events', '2024-03-08', '2024-03-08')$$)
  AS t(rows_written bigint);
SELECT backfill_into('conc_events', '2024-03-09', '2024-03-09');
ROLLBACK;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT backfill_into('conc_events', '2024-03-09', '2024-03-09');
COMMIT;
SELECT count(*), count(DISTINCT event_id), max(date) FROM conc_target;
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'conc_events'::regclass;

-- two CALLs of one range (three windows of two days), both waiting for the
-- endpoint's lock, which a third session holds, when they start
SELECT dblink_connect('third', :'conninfo');
SELECT dblink_exec('first', 'BEGIN');
SELECT * FROM dblink('first',
  format('SELECT ''held'' FROM pg_advisory_xact_lock(%s, hashtext(%L))',
         (SELECT oid FROM pg_foreign_server WHERE srvname = 'bf_conc_call')::int, 'appended'))
  AS t(lock text);
SELECT dblink_send_query('second',
  $$CALL backfill_fdw.backfill('conc_call_events', '2024-03-01', '2024-03-06', 2)$$);
SELECT dblink_send_query('third',
  $$CALL backfill_fdw.backfill('conc_call_events', '2024-03-01', '2024-03-06', 2)$$);
CALL wait_for_waiters(2);
SELECT dblink_exec('first', 'ROLLBACK');
-- which CALL loads which window is a race; together they load each once
CREATE TEMP TABLE call_results AS
  SELECT * FROM dblink_get_result('second') AS t(rows_written bigint);
SELECT * FROM dblink_get_result('second') AS t(rows_written bigint);
INSERT INTO call_results SELECT * FROM dblink_get_result('third') AS t(rows_written bigint);
SELECT * FROM dblink_get_result('third') AS t(rows_written bigint);
SELECT count(*) AS calls, sum(rows_written) AS rows_written FROM call_results;
SELECT count(*), count(DISTINCT event_id), min(date), max(date) FROM conc_call_target;
SELECT first_iteration, iterations, status, records, count(*)
  FROM backfill_fdw.run_history WHERE foreign_table = 'public.conc_call_events'
 GROUP BY 1, 2, 3, 4 ORDER BY 1;
SELECT count(*) AS unfinished FROM backfill_fdw.backfill_progress
 WHERE foreign_table = 'conc_call_events'::regclass;
SELECT * FROM conc_requests('bf_conc_call', :'tag2') WHERE day <= '2024-03-06';

-- the range done, the same CALL again loads it again (no run overlapped it)
CALL backfill_fdw.backfill('conc_call_events', '2024-03-01', '2024-03-06', 2);
SELECT count(*) FROM conc_call_target;

SELECT dblink_disconnect('first');
SELECT dblink_disconnect('second');
SELECT dblink_disconnect('third');
-- history outlives its tables: this test's goes, for the tests after it
DELETE FROM backfill_fdw.run_history WHERE foreign_table LIKE 'public.conc%';
DROP SERVER bf_conc, bf_conc_call CASCADE;
DROP TABLE conc_target, conc_call_target;
DROP EXTENSION dblink;
