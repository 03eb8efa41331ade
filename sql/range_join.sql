--
-- Joins and LATERAL on the range column: a parameterized foreign scan,
-- rescanned per outer row with that row's values as the range.  Each query
-- is checked for the exact requests the mock saw and for its rows, each
-- plain EXPLAIN for making no request.
--
\set range_spec '/tmp/backfill_fdw_test/specs/range.yaml'
\getenv mock_url MOCK_URL
SET datestyle = 'ISO, YMD';
SET timezone = 'UTC';
CREATE SCHEMA range_join;
SET search_path = range_join, public;

CREATE SERVER rng FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'range_spec', base_url :'mock_url');
CREATE FOREIGN TABLE days (event_id text, date date, kind text) SERVER rng
  OPTIONS (range_column 'date');
CREATE FOREIGN TABLE numbers (n int OPTIONS (json_path 'query.n')) SERVER rng
  OPTIONS (range_column 'n');
-- a small calendar, far from the spec's default range
CREATE TABLE cal (day date);
INSERT INTO cal VALUES ('2024-01-02'), ('2024-03-05');
CREATE TABLE spans (first date, last date);
INSERT INTO spans VALUES ('2024-02-01', '2024-02-02'), ('2024-05-01', '2024-05-01');
ANALYZE cal, spans;
SELECT mock_requests('rng');

-- a join against a small local table: a nested loop with the scan inside
EXPLAIN (COSTS OFF) SELECT c.day, e.event_id FROM cal c JOIN days e ON e.date = c.day;
SELECT mock_requests('rng') AS explain_made_no_request;
SELECT c.day, count(*) FROM cal c JOIN days e ON e.date = c.day GROUP BY 1 ORDER BY 1;
SELECT mock_requests('rng');
-- the same written as a comma join, and on an integer column
SELECT count(*) FROM (VALUES (5), (11)) v(k), numbers WHERE numbers.n = v.k;
SELECT mock_requests('rng');
-- a join clause that is a range: BETWEEN two columns of the outer row
EXPLAIN (COSTS OFF) SELECT s.first, e.date FROM spans s JOIN days e ON e.date BETWEEN s.first AND s.last;
SELECT mock_requests('rng') AS explain_made_no_request;
SELECT s.first, e.date, count(*) FROM spans s JOIN days e ON e.date BETWEEN s.first AND s.last
  GROUP BY 1, 2 ORDER BY 1, 2;
SELECT mock_requests('rng');

-- a correlated LATERAL subquery (not pulled up: it aggregates)
EXPLAIN (COSTS OFF) SELECT c.day, x.n FROM cal c,
  LATERAL (SELECT count(*) AS n FROM days e WHERE e.date = c.day) x;
SELECT mock_requests('rng') AS explain_made_no_request;
SELECT c.day, x.n FROM cal c, LATERAL (SELECT count(*) AS n FROM days e WHERE e.date = c.day) x
  ORDER BY 1;
SELECT mock_requests('rng');
-- and one with a LIMIT
SELECT c.day, x.kind FROM cal c,
  LATERAL (SELECT kind FROM days e WHERE e.date = c.day ORDER BY event_id LIMIT 1) x ORDER BY 1;
SELECT mock_requests('rng');
-- a correlated scalar subquery in the select list
SELECT c.day, (SELECT count(*) FROM days e WHERE e.date = c.day) AS n FROM cal c ORDER BY 1;
SELECT mock_requests('rng');

-- EXPLAIN ANALYZE of the nested loop: the inner scan ran once per outer row
SELECT explain_analyze('SELECT c.day, e.event_id FROM cal c JOIN days e ON e.date = c.day');
SELECT mock_requests('rng');

-- the planner's estimates: iterations x 10 rows, a cost per iteration; the
-- parameterized scan makes one iteration per outer row
EXPLAIN SELECT * FROM days WHERE date BETWEEN '2024-01-01' AND '2024-01-31';
EXPLAIN SELECT * FROM days;
EXPLAIN SELECT c.day, e.event_id FROM cal c JOIN days e ON e.date = c.day;

-- a large outer side: the plan fetches the default range once and the
-- join condition cannot reach the scan, which the WARNING says
CREATE TABLE big_cal AS SELECT d::date AS day FROM generate_series('2023-01-01'::date, '2024-12-31', '1 day') d;
ANALYZE big_cal;
EXPLAIN (COSTS OFF) SELECT count(*) FROM big_cal c JOIN days e ON e.date = c.day;
SELECT count(*) FROM big_cal c JOIN days e ON e.date = c.day;
SELECT mock_requests('rng');

DROP SERVER rng CASCADE;
DROP SCHEMA range_join CASCADE;
