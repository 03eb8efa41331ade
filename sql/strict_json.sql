--
-- Response bodies are parsed strictly (RFC 8259) on both paths, NUL never
-- reaches a text value, and primary keys compare as JSON text (issue 15,
-- items 6, 7 and 10a).  `events` reads records as bytes (the fast path),
-- `events_tree` as json-c trees; the server option `body` picks the mock's
-- fixed body (test/mock/mock_api.py, FIXED_BODIES).
--
\set bf_spec '/tmp/backfill_fdw_test/specs/strict.yaml'
\getenv mock_url MOCK_URL
SET timezone = 'UTC';

CREATE SERVER strict FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'bf_spec', base_url :'mock_url', body 'good');
CREATE USER MAPPING FOR CURRENT_USER SERVER strict;
CREATE FOREIGN TABLE strict_raw (event_id text, date date, kind text, amount numeric)
  SERVER strict OPTIONS (endpoint 'events');
CREATE FOREIGN TABLE strict_tree (event_id text, date date, kind text, amount numeric)
  SERVER strict OPTIONS (endpoint 'events_tree', range_column 'date', target 'strict_loaded');

-- the SQLSTATE and message of a statement, or 'ok'; the response that
-- follows the reason (with the mock's port) is cut off
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || split_part(SQLERRM, ': HTTP 200 from', 1);
END $$;
-- the body the server serves from now on
CREATE FUNCTION pg_temp.serve(body text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER SERVER strict OPTIONS (SET body %L)', body);
END $$;

-- a good body on both paths
SELECT * FROM strict_raw;
SELECT * FROM strict_tree ORDER BY event_id;

-- a load, then the state every failure below must leave as it is
SELECT backfill_into('strict_tree', '2024-01-01', '2024-01-02');
CREATE TEMP TABLE before AS
  SELECT (SELECT array_agg(t ORDER BY event_id) FROM strict_loaded t) AS rows,
         (SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'strict_tree'::regclass) AS sync;
SELECT * FROM before;

-- invalid JSON, each on both paths and in a backfill: 22032 with the byte
SELECT b AS body,
       pg_temp.serve(b) AS served,
       pg_temp.try('SELECT * FROM strict_raw') AS fast_path,
       pg_temp.try('SELECT * FROM strict_tree') AS tree_path,
       pg_temp.try($$SELECT backfill_into('strict_tree', '2024-01-03', '2024-01-03')$$) AS backfill
  FROM unnest(ARRAY['trailing_comma', 'trailing_comma_array', 'single_quotes', 'nan',
                    'leading_zero', 'comment', 'after_records']) AS b \gx
-- an incremental run too
SELECT pg_temp.serve('trailing_comma');
SELECT pg_temp.try($$SELECT backfill_into('strict_tree')$$);
-- nothing was written and the cursor did not move
SELECT (SELECT array_agg(t ORDER BY event_id) FROM strict_loaded t) = rows AS rows_unchanged,
       (SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'strict_tree'::regclass) = sync
         AS sync_unchanged
  FROM before;
SELECT status, split_part(error, ': HTTP 200 from', 1) AS error FROM backfill_fdw.run_history
 WHERE foreign_table LIKE '%strict_tree' ORDER BY id;

-- \u0000 in a key or a value: 22P05 naming column, value and endpoint, not
-- two records cut to one 'a'
SELECT pg_temp.serve('nul');
SELECT pg_temp.try('SELECT * FROM strict_raw');
SELECT pg_temp.try('SELECT * FROM strict_tree');
SELECT pg_temp.try($$SELECT backfill_into('strict_tree', '2024-01-03', '2024-01-03')$$);
SELECT pg_temp.serve('nul_kind');
SELECT pg_temp.try('SELECT * FROM strict_raw');
SELECT pg_temp.try('SELECT * FROM strict_tree');
-- a json column keeps it as JSON text; jsonb refuses it as PostgreSQL does
CREATE FOREIGN TABLE strict_json (event_id text, kind json) SERVER strict OPTIONS (endpoint 'events');
CREATE FOREIGN TABLE strict_jsonb (event_id text, kind jsonb) SERVER strict OPTIONS (endpoint 'events');
SELECT * FROM strict_json;
SELECT pg_temp.try('SELECT * FROM strict_jsonb');
SELECT (SELECT array_agg(t ORDER BY event_id) FROM strict_loaded t) = rows AS rows_unchanged,
       (SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'strict_tree'::regclass) = sync
         AS sync_unchanged
  FROM before;

-- primary keys compare as JSON text: 1.0, 1, "1" and 1e0 are four keys of a
-- text column; the second number 1 is a repeat, dropped (first wins)
SELECT pg_temp.serve('numeric_keys');
SELECT event_id, kind FROM strict_raw ORDER BY kind;
SELECT event_id, kind FROM strict_tree WHERE date = '2024-01-01' ORDER BY kind;

-- a lone surrogate is U+FFFD on both paths (docs/spec-reference.md)
SELECT pg_temp.serve('surrogate');
SELECT kind, kind = 'a' || U&'\FFFD' || 'b' AS replaced FROM strict_raw;
SELECT kind, kind = 'a' || U&'\FFFD' || 'b' AS replaced FROM strict_tree WHERE date = '2024-01-01';

DROP SERVER strict CASCADE;
DROP TABLE before, strict_loaded;
