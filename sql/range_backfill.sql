--
-- backfill_into's range means what a WHERE on the range column means: read
-- through the column type's input, sent in the same canonical form, and
-- only the rows inside it written, with a sync cursor that never runs
-- ahead of the rows written.
--
\set range_spec '/tmp/backfill_fdw_test/specs/range.yaml'
\getenv mock_url MOCK_URL
SET datestyle = 'ISO, YMD';
SET timezone = 'UTC';
CREATE SCHEMA range_bf;
SET search_path = range_bf, public;

CREATE SERVER rng FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'range_spec', base_url :'mock_url');
CREATE FOREIGN TABLE days (event_id text, date date, kind text) SERVER rng
  OPTIONS (range_column 'date', target 'range_bf.days_local');
CREATE FOREIGN TABLE since (event_id text, date date, kind text) SERVER rng
  OPTIONS (range_column 'date', target 'range_bf.since_local');
CREATE FOREIGN TABLE numbers (n int OPTIONS (json_path 'query.n')) SERVER rng
  OPTIONS (range_column 'n', target 'range_bf.numbers_local');
SELECT mock_requests('rng');

-- no sync state yet: EXPLAIN says the spec's default applies
EXPLAIN (COSTS OFF) SELECT * FROM days;

-- a range that is not ISO 8601 reaches the spec as a WHERE bound does
SELECT backfill_into('days', 'Feb 1 2024', 'February 2, 2024');
SELECT mock_requests('rng');
SELECT date, count(*) FROM days_local GROUP BY 1 ORDER BY 1;
SELECT range_start, range_end, rows_written FROM backfill_fdw.run_history
  WHERE foreign_table = 'range_bf.days' ORDER BY started_at;
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'range_bf.days'::regclass;
-- now EXPLAIN with no bound says the run starts from the sync state
EXPLAIN (COSTS OFF) SELECT * FROM days;
SELECT mock_requests('rng') AS explain_made_no_request;

-- an API that overshoots (it only takes a start): only the range's rows
-- are written, and the cursor stays at the last row written
SELECT backfill_into('since', '2024-02-01', '2024-02-02');
SELECT mock_requests('rng');
SELECT date, count(*) FROM since_local GROUP BY 1 ORDER BY 1;
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'range_bf.since'::regclass;
-- which is what a SELECT with the same bounds returns
SELECT count(*) FROM since WHERE date BETWEEN '2024-02-01' AND '2024-02-02';
SELECT mock_requests('rng');
-- with only a start the API's overshoot is inside the range: all written
SELECT backfill_into('since', '2024-03-01');
SELECT date, count(*) FROM since_local WHERE date >= '2024-03-01' GROUP BY 1 ORDER BY 1;
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'range_bf.since'::regclass;
SELECT mock_requests('rng');

-- a bad value: an error naming the column and the value, nothing written
SELECT try_sql($$SELECT backfill_into('range_bf.days', 'not a date', '2024-02-02')$$);
SELECT try_sql($$SELECT backfill_into('range_bf.days', '2024-02-01', '2024-02-30')$$);
SELECT try_sql($$SELECT backfill_into('range_bf.numbers', '1', 'eleven')$$);
SELECT mock_requests('rng') AS bad_values_made_no_request;
SELECT count(*) FROM days_local;

-- an integer range, with a sign and spaces, as the column's input reads it
SELECT backfill_into('numbers', ' +4 ', '5');
SELECT n FROM numbers_local ORDER BY 1;
SELECT mock_requests('rng');

DROP SERVER rng CASCADE;
DROP SCHEMA range_bf CASCADE;
