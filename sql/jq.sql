--
-- jq (records.jq and jq()) through libjq in the jq worker, explode and
-- records.casing, against the mock API's daily events; a jq program that
-- exhausts memory or never ends fails its statement and leaves the backend
-- (and the next jq call) working.
--
\set jq_spec '/tmp/backfill_fdw_test/specs/jq.yaml'
\getenv mock_url MOCK_URL

CREATE SERVER jq FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'jq_spec', base_url :'mock_url');

-- records.jq over a template, keys recased to snake_case after jq
CREATE FOREIGN TABLE jq_picked (event_id text, amount_cents int, tag_count int, "eventId" text)
  SERVER jq OPTIONS (endpoint 'picked');
SELECT * FROM jq_picked ORDER BY event_id;
EXPLAIN (COSTS OFF) SELECT * FROM jq_picked;

-- explode then jq(): one row per tag, the view's amount nulled by jq
CREATE FOREIGN TABLE jq_exploded (event_id text, kind text, amount float8, tag text, payload jsonb)
  SERVER jq OPTIONS (endpoint 'exploded');
SELECT event_id, kind, amount, tag, payload FROM jq_exploded ORDER BY event_id, tag;
-- in a join and a subquery, as any foreign table
SELECT p.event_id, p.amount_cents, e.tag FROM jq_picked p JOIN jq_exploded e USING (event_id)
  WHERE e.tag LIKE 't%' ORDER BY 1;
SELECT count(*) FROM (SELECT * FROM jq_exploded WHERE amount IS NULL) s;

-- a gigabyte: the worker dies, the statement fails (54000, the signal
-- libjq dies of varies), the backend goes on
CREATE FOREIGN TABLE jq_bomb (event_id text, n int) SERVER jq OPTIONS (endpoint 'jq_bomb');
DO $$
BEGIN
  PERFORM * FROM jq_bomb;
EXCEPTION WHEN program_limit_exceeded THEN
  RAISE NOTICE '%', regexp_replace(SQLERRM, 'signal [0-9]+', 'signal N');
END $$;
SELECT count(*) FROM jq_picked;

-- an endless program: statement_timeout stops it, the next call works
CREATE FOREIGN TABLE jq_forever (event_id text, n int) SERVER jq OPTIONS (endpoint 'jq_forever');
SET statement_timeout = '1s';
SELECT * FROM jq_forever;
RESET statement_timeout;
SELECT count(*) FROM jq_exploded;

-- a jq run-time error names the key
CREATE FOREIGN TABLE jq_error (x text) SERVER jq OPTIONS (endpoint 'jq_error');
SELECT * FROM jq_error;

DROP SERVER jq CASCADE;
