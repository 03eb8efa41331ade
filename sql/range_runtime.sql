--
-- Range bounds known only at run time: InitPlans (scalar and ARRAY
-- subqueries), correlated parameters, generic plans, PL/pgSQL variables;
-- IN lists and OR of ranges as separate runs; conditions that cannot be
-- sent.  Each query is checked for the exact requests the mock saw
-- (mock_requests(): those made since the last call) and for its rows; each
-- plain EXPLAIN for making no request at all.
--
\set range_spec '/tmp/backfill_fdw_test/specs/range.yaml'
\getenv mock_url MOCK_URL
SET datestyle = 'ISO, YMD';
SET timezone = 'UTC';
CREATE SCHEMA range_rt;
SET search_path = range_rt, public;

CREATE SERVER rng FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'range_spec', base_url :'mock_url');

CREATE FOREIGN TABLE days (event_id text, date date, kind text) SERVER rng
  OPTIONS (range_column 'date');
CREATE FOREIGN TABLE days_tz (event_id text, date timestamptz) SERVER rng
  OPTIONS (endpoint 'days', range_column 'date');
CREATE FOREIGN TABLE numbers (n int OPTIONS (json_path 'query.n')) SERVER rng
  OPTIONS (range_column 'n');
CREATE TABLE local_copy (updated date);
INSERT INTO local_copy VALUES ('2024-01-01'), ('2024-01-02');
CREATE TABLE cal (day date);
INSERT INTO cal VALUES ('2024-01-02'), ('2024-03-05');
SELECT mock_requests('rng');

-- a scalar subquery (an InitPlan): plain EXPLAIN evaluates nothing
EXPLAIN (COSTS OFF) SELECT * FROM days WHERE date = (SELECT '2024-01-02'::date);
EXPLAIN (COSTS OFF) SELECT * FROM numbers WHERE n = (SELECT 5);
EXPLAIN (COSTS OFF) SELECT * FROM days_tz WHERE date < (SELECT '2024-01-03'::timestamptz);
SELECT mock_requests('rng') AS explain_made_no_request;
SELECT event_id, date FROM days WHERE date = (SELECT '2024-01-02'::date) ORDER BY 1;
SELECT mock_requests('rng');
SELECT n FROM numbers WHERE n = (SELECT 5);
SELECT mock_requests('rng');
SELECT count(*), min(date), max(date) FROM days_tz
  WHERE date >= (SELECT '2024-01-02'::timestamptz) AND date < (SELECT '2024-01-03'::timestamptz);
SELECT mock_requests('rng');
-- the hand-written incremental: everything after the local copy's latest
SELECT date, count(*) FROM days WHERE date > (SELECT max(updated) FROM local_copy)
  GROUP BY 1 ORDER BY 1;
SELECT mock_requests('rng');
-- a subquery giving NULL: no row can match, no request
SELECT count(*) FROM days WHERE date = (SELECT NULL::date);
SELECT mock_requests('rng');

-- an ARRAY subquery: plain EXPLAIN does not crash, and makes no request
EXPLAIN (COSTS OFF) SELECT * FROM days WHERE date = ANY (ARRAY(SELECT day FROM cal));
EXPLAIN (COSTS OFF) SELECT * FROM numbers WHERE n = ANY (ARRAY(SELECT 5 UNION SELECT 11));
EXPLAIN (COSTS OFF) SELECT * FROM days_tz WHERE date = ANY (ARRAY(SELECT day::timestamptz FROM cal));
SELECT mock_requests('rng') AS explain_made_no_request;
SELECT date, count(*) FROM days WHERE date = ANY (ARRAY(SELECT day FROM cal)) GROUP BY 1 ORDER BY 1;
SELECT mock_requests('rng');
SELECT n FROM numbers WHERE n = ANY (ARRAY(SELECT 5 UNION SELECT 11)) ORDER BY 1;
SELECT mock_requests('rng');
-- an empty array: no request
SELECT count(*) FROM days WHERE date = ANY (ARRAY(SELECT day FROM cal WHERE false));
SELECT mock_requests('rng');
-- EXPLAIN ANALYZE shows the runs the values made
SELECT explain_analyze('SELECT n FROM numbers WHERE n = ANY (ARRAY(SELECT 5 UNION SELECT 11))');
SELECT mock_requests('rng');

-- IN lists and OR of ranges: one run per maximal run of consecutive values
EXPLAIN (COSTS OFF) SELECT * FROM days WHERE date IN ('2024-01-02', '2024-03-05');
SELECT date, count(*) FROM days WHERE date IN ('2024-01-02', '2024-03-05') GROUP BY 1 ORDER BY 1;
SELECT mock_requests('rng');
EXPLAIN (COSTS OFF) SELECT * FROM numbers WHERE n IN (5, 11);
SELECT n FROM numbers WHERE n IN (5, 11) ORDER BY 1;
SELECT mock_requests('rng');
EXPLAIN (COSTS OFF) SELECT * FROM numbers WHERE n IN (7, 5, 6, 11, 6);
SELECT count(*) FROM numbers WHERE n IN (7, 5, 6, 11, 6);
SELECT mock_requests('rng');
EXPLAIN (COSTS OFF) SELECT * FROM days
  WHERE date >= '2024-01-01' AND date < '2024-01-03' OR date = '2024-02-01';
SELECT date, count(*) FROM days
  WHERE date >= '2024-01-01' AND date < '2024-01-03' OR date = '2024-02-01' GROUP BY 1 ORDER BY 1;
SELECT mock_requests('rng');
-- the runs of one scan keep the endpoint's rate together (4 a second:
-- five single-day runs take a second), as do the rescans of a join
CREATE FOREIGN TABLE paced (event_id text, date date) SERVER rng
  OPTIONS (range_column 'date');
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM paced
  WHERE date IN ('2024-01-01', '2024-01-03', '2024-01-05', '2024-01-07', '2024-01-09');
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '0.95 s' AS kept_the_rate;
SELECT mock_requests('rng');
-- an IN list within a range keeps only what is in both
EXPLAIN (COSTS OFF) SELECT * FROM numbers WHERE n IN (2, 5, 9) AND n >= 4;
-- two IN lists, and an OR of ranges within a range: what is in both
EXPLAIN (COSTS OFF) SELECT * FROM numbers WHERE n IN (1, 3, 5, 7, 9) AND n IN (3, 4, 5, 9, 12);
EXPLAIN (COSTS OFF) SELECT * FROM numbers
  WHERE (n BETWEEN 1 AND 4 OR n BETWEEN 8 AND 12) AND n >= 3 AND n <= 9;
-- bounds of another integer type: no failing cast, a strict bound still moves
EXPLAIN (COSTS OFF) SELECT * FROM numbers WHERE n > 4::bigint AND n < 3000000000::bigint;
EXPLAIN (COSTS OFF) SELECT * FROM numbers WHERE n = 3000000000::bigint;
SELECT n FROM numbers WHERE n > 4::bigint AND n <= 6::smallint ORDER BY 1;
SELECT mock_requests('rng');
-- bounds that allow everything, or nothing
EXPLAIN (COSTS OFF) SELECT * FROM numbers WHERE n < 5 OR n >= 5;
EXPLAIN (COSTS OFF) SELECT * FROM days WHERE date IN (NULL) OR date = ANY (NULL::date[]);
EXPLAIN (COSTS OFF) SELECT * FROM days WHERE date > '-infinity' AND date <= '2024-01-02';
EXPLAIN (COSTS OFF) SELECT * FROM days WHERE date = ANY ('{{2024-01-02,2024-01-03},{2024-01-05,2024-01-05}}'::date[]);
-- distinct timestamps are runs of their own
EXPLAIN (COSTS OFF) SELECT * FROM days_tz
  WHERE date IN ('2024-01-02 00:00+00', '2024-01-02 00:00+00', '2024-01-03 00:00+00');
-- an arm that bounds something else: the OR bounds nothing (see below)
EXPLAIN (COSTS OFF) SELECT * FROM days WHERE date = '2024-01-02' OR kind = 'click';
SELECT mock_requests('rng') AS explain_made_no_request;

-- a condition on the range column that cannot be sent: a WARNING naming it
-- and the range fetched instead, and EXPLAIN says so too
EXPLAIN (COSTS OFF) SELECT * FROM days WHERE date::text BETWEEN '2024-01-01' AND '2024-01-05';
SELECT count(*) FROM days WHERE date::text BETWEEN '2024-01-01' AND '2024-01-05';
SELECT mock_requests('rng');
SELECT count(*) FROM days WHERE date = '2024-01-02' OR kind = 'click';
SELECT mock_requests('rng');
-- with a bound that is sent as well, nothing is missing: no WARNING
SELECT count(*) FROM days WHERE date::text LIKE '2024-%' AND date = '2024-01-02';
SELECT mock_requests('rng');

-- a prepared statement's generic plan: $n and an InitPlan over it
PREPARE by_sub(date) AS SELECT count(*) FROM days WHERE date = (SELECT $1 + 1);
PREPARE by_array(date[]) AS SELECT date, count(*) FROM days WHERE date = ANY ($1) GROUP BY 1 ORDER BY 1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE by_sub('2024-01-01');
EXPLAIN (COSTS OFF) EXECUTE by_array('{2024-01-02,2024-03-05}');
SELECT mock_requests('rng') AS explain_made_no_request;
EXECUTE by_sub('2024-01-01');
SELECT mock_requests('rng');
EXECUTE by_array('{2024-01-02,2024-03-05}');
SELECT mock_requests('rng');
RESET plan_cache_mode;

-- PL/pgSQL variables, alone and in a subquery
DO $$
DECLARE d date := '2024-03-04'; days_wanted date[] := '{2024-01-02,2024-03-05}'; n bigint;
BEGIN
  SELECT count(*) INTO n FROM days WHERE date = d + 1;
  RAISE NOTICE 'events on %: %', d + 1, n;
  SELECT count(*) INTO n FROM days WHERE date = ANY (days_wanted);
  RAISE NOTICE 'events on %: %', days_wanted, n;
  SELECT count(*) INTO n FROM days WHERE date = (SELECT max(day) FROM cal WHERE day < d);
  RAISE NOTICE 'events on the latest day before %: %', d, n;
END $$;
SELECT mock_requests('rng');
-- plain EXPLAIN of the same from PL/pgSQL: a variable has its value, a
-- subquery none, and no request is made
DO $$
DECLARE d date := '2024-03-04'; line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) SELECT * FROM days WHERE date = $1 + 1' USING d LOOP
    IF line ~ 'Range' THEN RAISE NOTICE '%', line; END IF;
  END LOOP;
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) SELECT * FROM days WHERE date = (SELECT max(day) FROM cal WHERE day < $1)' USING d LOOP
    IF line ~ 'Range' THEN RAISE NOTICE '%', line; END IF;
  END LOOP;
END $$;
SELECT mock_requests('rng') AS explain_made_no_request;

-- with no bound, EXPLAIN says where the run starts
EXPLAIN (COSTS OFF) SELECT * FROM days;
SELECT mock_requests('rng') AS explain_made_no_request;

DROP SERVER rng CASCADE;
DROP SCHEMA range_rt CASCADE;
