--
-- Two runs of one endpoint at the same time: the second waits for the
-- first to commit (or, with wait => false, fails at once), then starts from
-- the state the first left, and no row is loaded twice.  The sessions are
-- dblink connections to this database.
--
\set bf_spec '/tmp/backfill_fdw_test/specs/backfill.yaml'
\getenv mock_url MOCK_URL
SET timezone = 'UTC';
CREATE EXTENSION dblink;

CREATE SERVER bf_lock FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'bf_spec', base_url :'mock_url', tag 'lock');
CREATE USER MAPPING FOR CURRENT_USER SERVER bf_lock
  OPTIONS (api_key 'sk_test_SECRET123');
CREATE FOREIGN TABLE lock_events (event_id text, date date, kind text)
  SERVER bf_lock OPTIONS (endpoint 'events', target 'lock_target');
CREATE TABLE lock_target (event_id text PRIMARY KEY, date date, kind text);

SELECT format('dbname=%s port=%s host=%s', current_database(), current_setting('port'),
              split_part(current_setting('unix_socket_directories'), ',', 1)) AS conninfo \gset
SELECT dblink_connect('first', :'conninfo');
SELECT dblink_connect('second', :'conninfo');

-- the first run, in a transaction left open: it holds the endpoint's lock,
-- which is the one pg_advisory_xact_lock(server oid, hashtext(endpoint)) takes
SELECT dblink_exec('first', 'BEGIN');
SELECT * FROM dblink('first', $$SELECT backfill_into('lock_events', '2024-02-01', '2024-02-02')$$)
  AS t(rows_written bigint);
SELECT l.classid = s.oid AS server, l.objid = hashtext('events')::oid AS endpoint,
       l.objsubid, l.mode, l.granted
  FROM pg_locks l, pg_foreign_server s
 WHERE l.locktype = 'advisory' AND s.srvname = 'bf_lock';

-- wait => false: fails at once, with a message that says why
SELECT backfill_into('lock_events', '2024-02-01', '2024-02-03', wait => false);

-- the second run waits ...
SELECT dblink_send_query('second',
  $$SELECT backfill_into('lock_events', '2024-02-01', '2024-02-03')$$);
DO $$
BEGIN
  FOR i IN 1..200 LOOP
    EXIT WHEN EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND NOT granted);
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
SELECT mode, granted FROM pg_locks WHERE locktype = 'advisory' ORDER BY granted;
SELECT dblink_is_busy('second');
-- ... until the first commits: then it reads the state the first wrote, and
-- its upsert meets the first's rows, so it writes only the new day
SELECT dblink_exec('first', 'COMMIT');
SELECT * FROM dblink_get_result('second') AS t(rows_written bigint);
SELECT * FROM dblink_get_result('second') AS t(rows_written bigint);
SELECT count(*), count(DISTINCT event_id), min(date), max(date) FROM lock_target;
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'lock_events'::regclass;
SELECT range_start, range_end, status, records, rows_written
  FROM backfill_fdw.run_history WHERE foreign_table = 'public.lock_events' ORDER BY id;

-- a run waiting for the lock is bounded by lock_timeout (and statement_timeout)
SELECT dblink_exec('first', 'BEGIN');
SELECT * FROM dblink('first',
  format('SELECT ''held'' FROM pg_advisory_xact_lock(%s, hashtext(%L))',
         (SELECT oid FROM pg_foreign_server WHERE srvname = 'bf_lock')::int, 'events'))
  AS t(lock text);
SET lock_timeout = '100ms';
SELECT backfill_into('lock_events', '2024-02-01', '2024-02-01');
RESET lock_timeout;
-- the lock is per server and endpoint: the same endpoint on another server
-- (another API, a staging base_url say) is not held up
CREATE SERVER bf_lock2 FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'bf_spec', base_url :'mock_url', tag 'lock2');
CREATE USER MAPPING FOR CURRENT_USER SERVER bf_lock2
  OPTIONS (api_key 'sk_test_SECRET123');
CREATE FOREIGN TABLE lock_events2 (event_id text, date date, kind text)
  SERVER bf_lock2 OPTIONS (endpoint 'events');
SELECT backfill_into('lock_events2', '2024-02-01', '2024-02-01', 'lock_target', wait => false);
SELECT dblink_exec('first', 'ROLLBACK');

SELECT dblink_disconnect('first');
SELECT dblink_disconnect('second');
