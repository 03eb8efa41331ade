--
-- The scan: iterate and its limits as the mock API saw them, rules,
-- pagination, processors, formats, WHERE on the range column, EXPLAIN,
-- cancel, LIMIT.
--
\set runner_spec '/tmp/backfill_fdw_test/specs/runner.yaml'
\getenv mock_url MOCK_URL
SET datestyle = 'ISO, YMD';
SET timezone = 'UTC';
-- a schema of its own: other tests leave tables behind for the dump test
CREATE SCHEMA scan;
SET search_path = scan, public;

CREATE SERVER runner FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'runner_spec', base_url :'mock_url');

-- the mock's counters for a tag
CREATE FUNCTION mock_stats(tag text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT r FROM backfill_fdw.records('runner', 'stats', tag) AS r
$$;
-- one figure of EXPLAIN ANALYZE, e.g. Requests
CREATE FUNCTION explain_figure(q text, label text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    IF line ~ (label || ': ') THEN
      RETURN substring(line from label || ': ([\d.]+)')::numeric;
    END IF;
  END LOOP;
  RETURN NULL;
END $$;

CREATE FOREIGN TABLE events (
  event_id text, date date, kind text, amount numeric, payload jsonb
) SERVER runner OPTIONS (range_column 'date');

-- WHERE on the range column: each operator, and the range sent
EXPLAIN (COSTS OFF) SELECT * FROM events WHERE date = '2024-01-02';
SELECT event_id, date, kind FROM events WHERE date = '2024-01-02' ORDER BY event_id;
EXPLAIN (COSTS OFF) SELECT * FROM events WHERE date > '2024-01-01' AND date < '2024-01-04';
SELECT date, count(*) FROM events WHERE date > '2024-01-01' AND date < '2024-01-04' GROUP BY 1 ORDER BY 1;
EXPLAIN (COSTS OFF) SELECT * FROM events WHERE date >= '2024-01-01' AND date <= '2024-01-02';
EXPLAIN (COSTS OFF) SELECT * FROM events WHERE date BETWEEN '2024-01-30' AND '2024-02-02';
SELECT date, count(*) FROM events WHERE date BETWEEN '2024-01-30' AND '2024-02-02' GROUP BY 1 ORDER BY 1;
EXPLAIN (COSTS OFF) SELECT * FROM events WHERE date IN ('2024-01-05', '2024-01-02');
SELECT date, count(*) FROM events WHERE date IN ('2024-01-05', '2024-01-02') GROUP BY 1 ORDER BY 1;
EXPLAIN (COSTS OFF) SELECT * FROM events WHERE date = ANY (ARRAY['2024-03-01', '2024-02-28']::date[]);
-- the tightest of several bounds; a bound from a timestamp is cast
EXPLAIN (COSTS OFF) SELECT * FROM events
  WHERE date >= '2024-01-01' AND date >= '2024-01-03' AND date <= '2024-01-09' AND date < '2024-01-05';
EXPLAIN (COSTS OFF) SELECT * FROM events WHERE date >= '2024-01-03 10:00'::timestamp AND date < '2024-01-05'::timestamp;
-- no row can match: no request at all
EXPLAIN (COSTS OFF) SELECT * FROM events WHERE date > '2024-01-05' AND date < '2024-01-03';
SELECT explain_figure('SELECT * FROM events WHERE date > ''2024-01-05'' AND date < ''2024-01-03''', 'Requests') AS requests;
-- a stable expression, evaluated at execution
SELECT count(*), min(date) = current_date - 2 AS from_two_days_ago, max(date) = current_date AS to_today
FROM events WHERE date >= current_date - 2 AND date <= current_date;
-- a prepared statement's parameters, in a custom and in a generic plan
PREPARE by_range(date, date) AS SELECT count(*) FROM events WHERE date BETWEEN $1 AND $2;
EXECUTE by_range('2024-01-01', '2024-01-02');
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE by_range('2024-05-01', '2024-05-03');
EXECUTE by_range('2024-05-01', '2024-05-03');
RESET plan_cache_mode;
-- a PL/pgSQL variable
DO $$
DECLARE d date := '2024-06-01'; n bigint;
BEGIN
  SELECT count(*) INTO n FROM events WHERE date = d + 1;
  RAISE NOTICE 'events on %: %', d + 1, n;
END $$;
-- every clause is still checked on each row: an API that ignores the range
CREATE FOREIGN TABLE fixed_day (event_id text, date date) SERVER runner
  OPTIONS (range_column 'date');
SELECT count(*) FROM fixed_day;
SELECT count(*) FROM fixed_day WHERE date = '2024-03-01';
-- a numeric range: strict bounds move by one on integers, and reach the spec as numbers
CREATE FOREIGN TABLE numbered (query jsonb, start int) SERVER runner
  OPTIONS (range_column 'start');
EXPLAIN (COSTS OFF) SELECT * FROM numbered WHERE start > 10 AND start < 20;
SELECT start, query FROM numbered WHERE start > 10 AND start < 20 ORDER BY start;
-- a range column that is not a column
CREATE FOREIGN TABLE bad_range (a int) SERVER runner OPTIONS (endpoint 'events', range_column 'nope');

-- EXPLAIN ANALYZE: iterations, requests, retries
SELECT * FROM explain_analyze('SELECT * FROM events WHERE date BETWEEN ''2024-01-01'' AND ''2024-01-04''');

-- concurrency and rate as the mock saw them
CREATE FOREIGN TABLE iterate_cap (id text) SERVER runner;
CREATE FOREIGN TABLE request_cap (id text) SERVER runner;
CREATE FOREIGN TABLE rated (id text) SERVER runner;
SELECT count(*) FROM iterate_cap;
SELECT mock_stats('iterate_cap') ->> 'max_in_flight' AS iterate_cap_max_in_flight;
SELECT count(*) FROM request_cap;
SELECT mock_stats('request_cap') ->> 'max_in_flight' AS request_cap_max_in_flight;
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM rated;
-- (10 requests sent 0.2 s apart span 1.8 s and put at most 6 in any second;
-- the mock sees them arrive, so one more is allowed for a late arrival; a
-- burst of even 5 puts 9 in the first second, no rate 10)
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '1.7 s' AS took_at_least_a_second,
       (mock_stats('rated') ->> 'max_per_second')::int <= 7 AS at_most_rate_plus_two_a_second;

-- a 429 with Retry-After is retried after the pause it asks for
CREATE FOREIGN TABLE ratelimited (id int, attempt int) SERVER runner;
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM explain_analyze('SELECT * FROM ratelimited');
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '1.9 s' AS waited_retry_after;
SELECT * FROM ratelimited;

-- rule actions
CREATE FOREIGN TABLE rule_retry (id int, attempt int) SERVER runner;
SELECT * FROM rule_retry;
CREATE FOREIGN TABLE rule_retry_exhausted (id int) SERVER runner;
SELECT try_sql('SELECT * FROM rule_retry_exhausted');
CREATE FOREIGN TABLE rule_continue (id int) SERVER runner;
SELECT count(*) FROM rule_continue;
CREATE FOREIGN TABLE rule_skip (id int, page int) SERVER runner;
SELECT * FROM rule_skip ORDER BY id;
CREATE FOREIGN TABLE rule_break (id int, page int) SERVER runner;
SELECT * FROM rule_break ORDER BY id;
CREATE FOREIGN TABLE rule_stop (id int, page int) SERVER runner;
SELECT * FROM rule_stop ORDER BY id;
CREATE FOREIGN TABLE rule_fail (id int) SERVER runner;
SELECT try_sql('SELECT * FROM rule_fail');

-- pagination: cursor, page number, offset, next URL
CREATE FOREIGN TABLE cursor (id int) SERVER runner;
CREATE FOREIGN TABLE page (id int) SERVER runner;
CREATE FOREIGN TABLE "offset" (id int) SERVER runner;
CREATE FOREIGN TABLE next_url (id int) SERVER runner;
SELECT 'cursor' AS style, array_agg(id ORDER BY id) AS ids FROM cursor
UNION ALL SELECT 'page', array_agg(id ORDER BY id) FROM page
UNION ALL SELECT 'offset', array_agg(id ORDER BY id) FROM "offset"
UNION ALL SELECT 'next_url', array_agg(id ORDER BY id) FROM next_url;
SELECT explain_figure('SELECT * FROM cursor', 'Requests') AS cursor_requests,
       explain_figure('SELECT * FROM "offset"', 'Requests') AS offset_requests;

-- processors: each aggregation into state, as each record saw it: the
-- state its page started with, the aggregates of the pages before (as in
-- Sling, whose suite's case 8 wants it)
CREATE FOREIGN TABLE aggregates (id int, max_v int, min_v int, first_v int, last_v int, odd_ids int[])
  SERVER runner;
SELECT * FROM aggregates ORDER BY id;

-- formats
CREATE FOREIGN TABLE csv (id int, name text, note text) SERVER runner;
SELECT * FROM csv ORDER BY id;
CREATE FOREIGN TABLE jsonl (id int, v text) SERVER runner;
SELECT * FROM jsonl ORDER BY id;

-- LIMIT stops early: no more requests than the iterations in flight
SELECT explain_figure('SELECT * FROM events WHERE date BETWEEN ''2024-01-01'' AND ''2024-12-31'' LIMIT 3',
                      'Requests') <= 2 AS at_most_two_requests;

-- a cancel (here statement_timeout) stops a scan of a hanging API at once,
-- with PostgreSQL's own error, and leaves no connection open
CREATE FOREIGN TABLE hang (id int) SERVER runner;
CREATE FUNCTION backend_fds() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/fd')
$$;
SELECT backend_fds() AS fds \gset
SELECT clock_timestamp() AS t0 \gset
SET statement_timeout = '1s';
SELECT * FROM hang;
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '2 s' AS canceled_within_a_second,
       backend_fds() = :fds AS no_descriptor_left;

DROP SERVER runner CASCADE;
DROP SCHEMA scan CASCADE;
