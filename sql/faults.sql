--
-- The fault matrix: each fault an API or the network can throw, through
-- each way of reading an endpoint (a SELECT, backfill_into, CALL
-- backfill_fdw.backfill), with the target's rows and the sync state before
-- and after.  A fault that heals (it hits the first ask of a run only) is
-- retried and the run gets the right rows, which carry the name of the run
-- that wrote them (v); a fault that does not heal fails the run, leaving
-- rows and sync state as they were.  The mock API (/fault/<kind>/<day>,
-- test/mock/mock_api.py) counts the asks of each run (asks).  Request
-- timeout 1 s; the default rules retry (5xx and transport failures after
-- 1 s, 429 and 503 after their Retry-After: 0).
--
\set f_spec '/tmp/backfill_fdw_test/specs/faults.yaml'
\getenv mock_url MOCK_URL
SET timezone = 'UTC';
\set SHOW_CONTEXT never
-- a prefix of the mock's keys that is new in every run of this test
SELECT set_config('f.run', md5(clock_timestamp()::text), false) IS NOT NULL AS run_set;

CREATE SERVER faults FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'f_spec', base_url :'mock_url', kind 'ok', n '0', after '0', run 'none');
CREATE FOREIGN TABLE f_days (id text, day date, v text)
  SERVER faults OPTIONS (endpoint 'days', range_column 'day', target 'f_target');
CREATE FOREIGN TABLE f_patient (id text, day date, v text)
  SERVER faults OPTIONS (endpoint 'days_patient', range_column 'day', target 'f_target');
CREATE TABLE f_target (id text PRIMARY KEY, day date, v text);

-- an error or a name as the test shows it: the mock's port and the run's
-- prefix vary from run to run
CREATE FUNCTION f_mask(t text) RETURNS text LANGUAGE sql AS $$
  SELECT replace(regexp_replace(t, 'http://127\.0\.0\.1:\d+', 'MOCK', 'g'),
                 current_setting('f.run') || '-', '')
$$;
-- an error as the test shows it, with the column it names when there is one
CREATE FUNCTION f_error(state text, msg text, ctx text) RETURNS text LANGUAGE sql AS $$
  SELECT state || ': ' || f_mask(msg) ||
         CASE WHEN ctx LIKE 'column %' THEN ' (' || split_part(ctx, E'\n', 1) || ')' ELSE '' END
$$;
-- point the server at a fault: its kind, how many asks meet it, the run's
-- name; and remember where the run history stands
CREATE PROCEDURE f_set(kind text, n int, run text, after text DEFAULT '0') LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('f.history', (SELECT coalesce(max(id), 0) FROM backfill_fdw.run_history)::text,
                     false);
  EXECUTE format('ALTER SERVER faults OPTIONS (SET kind %L, SET n %L, SET run %L, SET after %L)',
                 kind, n, current_setting('f.run') || '-' || run, after);
END $$;
-- how many times the mock was asked in a run
CREATE FUNCTION f_asks(run text) RETURNS int LANGUAGE sql AS $$
  SELECT (r ->> 'attempts')::int
    FROM backfill_fdw.records('faults', 'attempts', current_setting('f.run') || '-' || run) r
$$;
-- the target's rows (and which runs wrote them) and the sync state of tbl
CREATE FUNCTION f_state(tbl regclass DEFAULT 'f_days') RETURNS text LANGUAGE sql AS $$
  SELECT format('%s rows [%s], sync %s',
                (SELECT count(*) FROM f_target),
                (SELECT string_agg(DISTINCT f_mask(v), ',') FROM f_target),
                coalesce((SELECT sync ->> 'last_day' FROM backfill_fdw.sync_state
                           WHERE foreign_table = tbl), 'none'))
$$;

-- a SELECT of 2024-01-01 and 02 meeting a fault: its rows or its error
CREATE FUNCTION f_select(kind text, n int, tbl regclass DEFAULT 'f_days', after text DEFAULT '0')
RETURNS TABLE (fault text, outcome text, asks int) LANGUAGE plpgsql AS $$
DECLARE
  run text := kind || '-select-' || n;
  ctx text;
BEGIN
  CALL f_set(kind, n, run, after);
  fault := kind || ' x' || n;
  BEGIN
    EXECUTE format('SELECT string_agg(id || ''='' || f_mask(v), '' '' ORDER BY id) FROM %s '
                   'WHERE day BETWEEN ''2024-01-01'' AND ''2024-01-02''', tbl) INTO outcome;
  EXCEPTION WHEN OTHERS OR query_canceled THEN
    GET STACKED DIAGNOSTICS ctx = PG_EXCEPTION_CONTEXT;
    outcome := f_error(SQLSTATE, SQLERRM, ctx);
  END;
  asks := f_asks(run);
  RETURN NEXT;
END $$;

-- backfill_into of 2024-01-01 and 02 meeting a fault: rows and state before and after
CREATE FUNCTION f_into(kind text, n int, tbl regclass DEFAULT 'f_days', after text DEFAULT '0')
RETURNS TABLE (fault text, before text, outcome text, after_ text, asks int)
LANGUAGE plpgsql AS $$
DECLARE
  run text := kind || '-into-' || n;
  ctx text;
BEGIN
  CALL f_set(kind, n, run, after);
  fault := kind || ' x' || n;
  before := f_state(tbl);
  BEGIN
    outcome := backfill_into(tbl, '2024-01-01', '2024-01-02') || ' written';
  EXCEPTION WHEN OTHERS OR query_canceled THEN
    GET STACKED DIAGNOSTICS ctx = PG_EXCEPTION_CONTEXT;
    outcome := f_error(SQLSTATE, SQLERRM, ctx);
  END;
  after_ := f_state(tbl);
  asks := f_asks(run);
  RETURN NEXT;
END $$;

-- after a CALL: the state, the asks, and the windows it recorded
CREATE FUNCTION f_called(run text, tbl regclass DEFAULT 'f_days')
RETURNS TABLE (after_ text, asks int, history text) LANGUAGE sql AS $$
  SELECT f_state(tbl), f_asks(run),
         (SELECT string_agg(range_start || ' ' || status || coalesce(': ' || f_mask(error), ''),
                            '; ' ORDER BY id)
            FROM backfill_fdw.run_history
           WHERE foreign_table = 'public.' || tbl::text
             AND id > current_setting('f.history')::bigint)
$$;

-- == SELECT ==
SELECT * FROM f_select('ok', 0);
SELECT * FROM f_select('429', 1);
SELECT * FROM f_select('500', 1);
SELECT * FROM f_select('503', 1);
SELECT * FROM f_select('reset', 1);
SELECT * FROM f_select('empty', 1);
SELECT * FROM f_select('timeout', 1);
SELECT * FROM f_select('truncated', 1);
SELECT * FROM f_select('redirect', 1);
SELECT * FROM f_select('garbage', 9);
SELECT * FROM f_select('string', 9);
SELECT * FROM f_select('badvalue', 9);
SELECT * FROM f_select('huge', 9);
-- a wait asked for past the 300 s allowed fails at once, naming it
SELECT * FROM f_select('429', 9, after => '999999');
-- a transient fault that does not heal: 3 retries (1 + 2 + 4 s) for the
-- default rule, so only once, with reset
SELECT * FROM f_select('reset', 9);
-- an API that hangs: cancel (statement_timeout) ends it within a second
SET statement_timeout = '1s';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM f_select('hang', 9, 'f_patient');
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '2 s' AS cancelled_within_a_second;

-- == backfill_into ==
SELECT * FROM f_into('ok', 0);
SELECT * FROM f_into('429', 1);
SELECT * FROM f_into('500', 1);
SELECT * FROM f_into('503', 1);
SELECT * FROM f_into('reset', 1);
SELECT * FROM f_into('empty', 1);
SELECT * FROM f_into('timeout', 1);
SELECT * FROM f_into('truncated', 1);
SELECT * FROM f_into('redirect', 1);
SELECT * FROM f_into('garbage', 9);
SELECT * FROM f_into('string', 9);
SELECT * FROM f_into('badvalue', 9);
SELECT * FROM f_into('huge', 9);
SELECT * FROM f_into('429', 9, after => '999999');
SET statement_timeout = '1s';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM f_into('hang', 9, 'f_patient');
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '2 s' AS cancelled_within_a_second;

-- == CALL backfill_fdw.backfill, 2024-01-03 and 04 in windows of one day ==
-- (psql shows an error's SQLSTATE only; the run history has its message)
\set VERBOSITY sqlstate
SELECT f_state() AS before \gset
CALL f_set('429', 1, '429-call');
CALL backfill_fdw.backfill('f_days', '2024-01-03', '2024-01-04', 1);
SELECT :'before' AS before, * FROM f_called('429-call');
SELECT f_state() AS before \gset
CALL f_set('500', 1, '500-call');
CALL backfill_fdw.backfill('f_days', '2024-01-03', '2024-01-04', 1);
SELECT :'before' AS before, * FROM f_called('500-call');
SELECT f_state() AS before \gset
CALL f_set('503', 1, '503-call');
CALL backfill_fdw.backfill('f_days', '2024-01-03', '2024-01-04', 1);
SELECT :'before' AS before, * FROM f_called('503-call');
SELECT f_state() AS before \gset
CALL f_set('reset', 1, 'reset-call');
CALL backfill_fdw.backfill('f_days', '2024-01-03', '2024-01-04', 1);
SELECT :'before' AS before, * FROM f_called('reset-call');
SELECT f_state() AS before \gset
CALL f_set('empty', 1, 'empty-call');
CALL backfill_fdw.backfill('f_days', '2024-01-03', '2024-01-04', 1);
SELECT :'before' AS before, * FROM f_called('empty-call');
SELECT f_state() AS before \gset
CALL f_set('timeout', 1, 'timeout-call');
CALL backfill_fdw.backfill('f_days', '2024-01-03', '2024-01-04', 1);
SELECT :'before' AS before, * FROM f_called('timeout-call');
SELECT f_state() AS before \gset
CALL f_set('truncated', 1, 'truncated-call');
CALL backfill_fdw.backfill('f_days', '2024-01-03', '2024-01-04', 1);
SELECT :'before' AS before, * FROM f_called('truncated-call');
SELECT f_state() AS before \gset
CALL f_set('redirect', 1, 'redirect-call');
CALL backfill_fdw.backfill('f_days', '2024-01-03', '2024-01-04', 1);
SELECT :'before' AS before, * FROM f_called('redirect-call');
-- the faults that do not heal fail the first window: nothing is committed
SELECT f_state() AS before \gset
CALL f_set('garbage', 9, 'garbage-call');
CALL backfill_fdw.backfill('f_days', '2024-01-05', '2024-01-06', 1);
SELECT :'before' AS before, * FROM f_called('garbage-call');
SELECT f_state() AS before \gset
CALL f_set('string', 9, 'string-call');
CALL backfill_fdw.backfill('f_days', '2024-01-05', '2024-01-06', 1);
SELECT :'before' AS before, * FROM f_called('string-call');
SELECT f_state() AS before \gset
CALL f_set('badvalue', 9, 'badvalue-call');
CALL backfill_fdw.backfill('f_days', '2024-01-05', '2024-01-06', 1);
SELECT :'before' AS before, * FROM f_called('badvalue-call');
SELECT f_state() AS before \gset
CALL f_set('huge', 9, 'huge-call');
CALL backfill_fdw.backfill('f_days', '2024-01-05', '2024-01-06', 1);
SELECT :'before' AS before, * FROM f_called('huge-call');
SELECT f_state() AS before \gset
CALL f_set('429', 9, '429long-call', '999999');
CALL backfill_fdw.backfill('f_days', '2024-01-05', '2024-01-06', 1);
SELECT :'before' AS before, * FROM f_called('429long-call');
SELECT f_state('f_patient') AS before \gset
CALL f_set('hang', 9, 'hang-call');
SET statement_timeout = '1s';
SELECT clock_timestamp() AS t0 \gset
CALL backfill_fdw.backfill('f_patient', '2024-01-05', '2024-01-06', 1);
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '2 s' AS cancelled_within_a_second;
SELECT :'before' AS before, * FROM f_called('hang-call', 'f_patient');
\set VERBOSITY default

-- == waits ==
-- EXPLAIN ANALYZE's Wait Time counts a Retry-After pause (1 s here)
CREATE FUNCTION f_wait_time(q text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || q INTO plan;
  RETURN (plan -> 0 -> 'Plan' ->> 'Wait Time')::numeric;
END $$;
CALL f_set('429', 1, '429-explain', '1');
SELECT f_wait_time('SELECT * FROM f_days WHERE day = ''2024-01-01''') >= 0.9 AS waited_the_pause;
-- a cancel is honoured within a second during a Retry-After pause (30 s here)
SET statement_timeout = '1s';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM f_select('429', 8, after => '30');
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '2 s' AS cancelled_within_a_second;

-- == pagination that never ends ==
-- an API that ignores the page parameter: page 2 repeats page 1, so the
-- run stops there with a WARNING (and page 1's records only)
-- (the WARNING names the URL, whose port varies: its SQLSTATE is shown;
-- test_runner checks its text)
CALL f_set('ok', 0, 'same-page');
CREATE FOREIGN TABLE f_same_page (id text, v text) SERVER faults OPTIONS (endpoint 'same_page');
\set VERBOSITY sqlstate
SELECT id, f_mask(v) AS v FROM f_same_page ORDER BY id;
\set VERBOSITY default
-- (2 pages read; prefetch asks for up to 4 more ahead, dropped unread)
SELECT f_asks('same-page') BETWEEN 2 AND 6 AS asks_two_and_at_most_four_ahead;
-- a new page for ever: pagination.max_pages (5 here) fails the run
CREATE FOREIGN TABLE f_endless (id text) SERVER faults OPTIONS (endpoint 'endless');
DO $$
BEGIN
  PERFORM count(*) FROM f_endless;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE '%', f_error(SQLSTATE, SQLERRM, NULL);
END $$;
