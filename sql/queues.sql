--
-- Queues: a consumer's producers run first, in the same statement, in fill
-- mode (their records fill the queues and are not returned), once per
-- statement and context however many scans, rescans or consumers read
-- their queues.  Each query is checked for its rows and for the exact
-- requests the mock API saw (test/specs/queues.yaml, ?log=queues).
--
\set spec '/tmp/backfill_fdw_test/specs/queues.yaml'
\getenv mock_url MOCK_URL
SET datestyle = 'ISO, YMD';
CREATE SCHEMA queues;
SET search_path = queues, public;

CREATE SERVER q FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock_url');
CREATE FOREIGN TABLE parents (id text, name text, created date) SERVER q
  OPTIONS (range_column 'created');
CREATE FOREIGN TABLE children (id text, parent_id text, created date) SERVER q
  OPTIONS (range_column 'created');
CREATE FOREIGN TABLE grandchildren (id text, child_id text) SERVER q;
CREATE FOREIGN TABLE parent_copies (id text, name text, created date) SERVER q;
CREATE FOREIGN TABLE batches (id text, batch text) SERVER q;
CREATE FOREIGN TABLE parent_ids_only (id text) SERVER q;
CREATE FOREIGN TABLE from_only (id text, batch text) SERVER q;
CREATE FOREIGN TABLE orphans (id text) SERVER q;
CREATE FOREIGN TABLE hanging_children (id text) SERVER q;
CREATE FOREIGN TABLE many (id int) SERVER q;
SELECT * FROM mock_request_counts('q');

-- a producer alone is a plain scan
SELECT * FROM parents ORDER BY id;
SELECT * FROM mock_request_counts('q');

-- a consumer: the parents' three pages, then each parent's pages of children
SELECT * FROM children ORDER BY id;
SELECT * FROM mock_request_counts('q');
-- the consumer's range is its producer's: only the parents since Jan 4
SELECT * FROM children WHERE created >= '2024-01-04' ORDER BY id;
SELECT * FROM mock_request_counts('q');
-- and the same from a parameter
PREPARE kids(date) AS SELECT count(*) FROM children WHERE created >= $1;
EXECUTE kids('2024-01-05');
SELECT * FROM mock_request_counts('q');
DEALLOCATE kids;

-- a chain of three: parents, then children, then a grandchild per child
SELECT count(*), min(id), max(id) FROM grandchildren;
SELECT * FROM mock_request_counts('q');

-- into: response.records: the queue's items are the records, no request
SELECT * FROM parent_copies ORDER BY id;
SELECT * FROM mock_request_counts('q');

-- chunk(queue.parent_ids, 2): a request per two ids
SELECT * FROM batches ORDER BY id;
SELECT * FROM mock_request_counts('q');

-- queue_only: it runs, and returns no row; its consumer reads its queue
SELECT count(*) FROM parent_ids_only;
SELECT * FROM mock_request_counts('q');
SELECT * FROM from_only ORDER BY id;
SELECT * FROM mock_request_counts('q');

-- two consumers of one queue in one statement: the parents are fetched once
SELECT c.parent_id, count(*) AS children, max(p.name) AS name
  FROM children c JOIN parent_copies p ON p.id = c.parent_id
  GROUP BY 1 ORDER BY 1;
SELECT * FROM mock_request_counts('q');
-- two consumers with different ranges are two contexts: the producer runs
-- once for each range
SELECT count(*) FROM children c JOIN parent_copies p ON p.id = c.parent_id
 WHERE c.created >= '2024-01-04';
SELECT * FROM mock_request_counts('q');
-- two subqueries of one statement share the fill too
SELECT (SELECT count(*) FROM parent_copies) AS copies,
       (SELECT count(*) FROM children) AS children;
SELECT * FROM mock_request_counts('q');
-- a UNION ALL of a consumer and its own consumer: the parents once; the
-- children twice, as the rows of one scan and as the fill of the other
SELECT count(*) FROM (SELECT id FROM children UNION ALL SELECT id FROM grandchildren) u;
SELECT * FROM mock_request_counts('q');

-- rescans: the consumer inside a nested loop (LATERAL), rescanned per
-- outer row, fills its queue once
EXPLAIN (COSTS OFF)
SELECT v.pid, x.name FROM (VALUES ('p1'), ('p3'), ('p9')) v(pid),
  LATERAL (SELECT name FROM parent_copies p WHERE p.id = v.pid OFFSET 0) x;
SELECT * FROM mock_request_counts('q') AS explain_made_no_request;
SELECT v.pid, x.name FROM (VALUES ('p1'), ('p3'), ('p9')) v(pid),
  LATERAL (SELECT name FROM parent_copies p WHERE p.id = v.pid OFFSET 0) x ORDER BY 1;
SELECT * FROM mock_request_counts('q');
SELECT explain_analyze($$SELECT v.pid, x.name FROM (VALUES ('p1'), ('p3'), ('p9')) v(pid),
  LATERAL (SELECT name FROM parent_copies p WHERE p.id = v.pid OFFSET 0) x$$);
SELECT * FROM mock_request_counts('q');
-- a correlated subquery on a consumer of a consumer: its producers run
-- once, the grandchildren's own requests once per outer row
SELECT v.cid, (SELECT count(*) FROM grandchildren g WHERE g.child_id = v.cid) AS n
  FROM (VALUES ('p2-c2'), ('p5-c5'), ('none')) v(cid) ORDER BY 1;
SELECT * FROM mock_request_counts('q');

-- records() of a consumer runs its producers too
SELECT r->>'id' AS id FROM backfill_fdw.records('q', 'grandchildren', '2024-01-05') r ORDER BY 1;
SELECT * FROM mock_request_counts('q');

-- a LIMIT stops the consumer early, after its producer ran to its end
SELECT count(*) FROM (SELECT id FROM parent_copies LIMIT 1) s;
SELECT * FROM mock_request_counts('q');

-- a queue past work_mem spills to a temp file: every item still comes back
-- once, to each of two readers, also through a cursor and after an error
SET work_mem = '64kB';
SELECT count(*), count(DISTINCT id), sum(id) FROM many;
SELECT * FROM mock_request_counts('q');
SELECT count(*), sum(a.id) FROM many a JOIN many b ON a.id = b.id;
SELECT * FROM mock_request_counts('q');
SELECT try_sql('SELECT 1 / (id - 19999) FROM many');
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM many;
FETCH 2 FROM c;
MOVE FORWARD 19000 IN c;
FETCH 1 FROM c;
CLOSE c;
COMMIT;
-- a cursor that outlives its transaction, and errors caught in PL/pgSQL
BEGIN;
DECLARE h CURSOR WITH HOLD FOR SELECT id FROM many;
FETCH 2 FROM h;
COMMIT;
FETCH 2 FROM h;
CLOSE h;
DO $$
BEGIN
  BEGIN
    PERFORM count(*) FROM many WHERE 1 / (id - 19999) > 0;
  EXCEPTION WHEN division_by_zero THEN RAISE NOTICE 'caught: %', SQLERRM;
  END;
  BEGIN
    PERFORM * FROM orphans;
  EXCEPTION WHEN fdw_error THEN RAISE NOTICE 'caught: %', regexp_replace(SQLERRM, 'http://[^/]*', 'MOCK');
  END;
  RAISE NOTICE 'many: %', (SELECT count(*) FROM many);
END $$;
-- IMPORT FOREIGN SCHEMA samples a consumer (in a subtransaction of its own)
CREATE SCHEMA queues_import;
IMPORT FOREIGN SCHEMA any_name LIMIT TO (many, parent_copies) FROM SERVER q INTO queues_import;
SELECT attrelid::regclass, attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid IN ('queues_import.many'::regclass, 'queues_import.parent_copies'::regclass)
   AND attnum > 0 ORDER BY 1, attnum;
DROP SCHEMA queues_import CASCADE;
RESET work_mem;
SELECT * FROM mock_request_counts('q');

-- a producer that fails fails the statement, naming it and its consumer
SELECT try_sql('SELECT * FROM orphans');
SELECT * FROM mock_request_counts('q');

-- statement_timeout stops a producer that hangs, within a second
SET statement_timeout = '500ms';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM hanging_children;
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '1.5 s' AS stopped_in_time;
SELECT * FROM mock_request_counts('q');

-- EXPLAIN shows the producers and their range, and makes no request
EXPLAIN (COSTS OFF) SELECT * FROM grandchildren;
EXPLAIN (COSTS OFF) SELECT * FROM children WHERE created BETWEEN '2024-01-04' AND '2024-01-05';
EXPLAIN (COSTS OFF, FORMAT JSON) SELECT * FROM batches;
SELECT * FROM mock_request_counts('q') AS explain_made_no_request;
-- EXPLAIN ANALYZE adds the producers' requests and the queues' sizes
SELECT explain_analyze('SELECT * FROM grandchildren');
SELECT * FROM mock_request_counts('q');
SELECT explain_analyze('SELECT * FROM children c JOIN parent_copies p ON p.id = c.parent_id');
SELECT * FROM mock_request_counts('q');

-- a plain SELECT writes no sync state, the producers' included
SELECT count(*) FROM backfill_fdw.sync_state s JOIN pg_class c ON c.oid = s.foreign_table
 WHERE c.relnamespace = 'queues'::regnamespace;

--
-- backfill_into on a consumer runs its producers the same way
--
CREATE TABLE child_rows (id text PRIMARY KEY, parent_id text, created date);
ALTER FOREIGN TABLE children OPTIONS (ADD target 'queues.child_rows');
SELECT backfill_into('children', '2024-01-05', '2024-01-05');
SELECT * FROM child_rows ORDER BY id;
SELECT * FROM mock_request_counts('q');

--
-- backfill_server: every table with a target, producers first, in one
-- transaction, each producer fetched once
--
ALTER FOREIGN TABLE parents OPTIONS (ADD target 'queues.parent_rows');
ALTER FOREIGN TABLE grandchildren OPTIONS (ADD target 'queues.grandchild_rows');
SELECT * FROM backfill_fdw.backfill_server('q');
SELECT * FROM mock_request_counts('q');
SELECT (SELECT count(*) FROM parent_rows) AS parents,
       (SELECT count(*) FROM child_rows) AS children,
       (SELECT count(*) FROM grandchild_rows) AS grandchildren;
SELECT foreign_table, mode, range_start, status, records, rows_written, requests
  FROM backfill_fdw.run_history WHERE foreign_table LIKE 'queues.%' ORDER BY id;
-- the parents' sync state moved; a consumer's next SELECT starts its
-- producer there (only the parents created on the last day loaded)
SELECT endpoint, sync FROM backfill_fdw.sync_state WHERE foreign_table = 'parents'::regclass;
EXPLAIN (COSTS OFF) SELECT * FROM children;
SELECT count(*) FROM children;
SELECT * FROM mock_request_counts('q');
-- with a range, and only the endpoints listed: the grandchildren's
-- producers run in fill mode, and the parents' table is not loaded
TRUNCATE grandchild_rows;
SELECT * FROM backfill_fdw.backfill_server('q', '2024-01-05', '2024-01-05',
                                           endpoints => ARRAY['grandchildren']);
SELECT * FROM mock_request_counts('q');
SELECT count(*) FROM grandchild_rows;
-- a failing producer: nothing is written
CREATE TABLE orphan_rows (id text PRIMARY KEY);
ALTER FOREIGN TABLE orphans OPTIONS (ADD target 'queues.orphan_rows');
TRUNCATE child_rows;
SELECT try_sql($$SELECT * FROM backfill_fdw.backfill_server('q', endpoints => ARRAY['children', 'orphans'])$$);
SELECT * FROM mock_request_counts('q');
SELECT count(*) FROM child_rows;
-- CALL backfill() of a consumer: windows of its iterations (two parents
-- each), its producers run again in every window
CALL backfill_fdw.backfill('children', '2024-01-01', '2024-01-05', 2);
SELECT * FROM (SELECT first_iteration, iterations, rows_written, requests
                 FROM backfill_fdw.run_history WHERE foreign_table = 'queues.children'
                ORDER BY id DESC LIMIT 3) w ORDER BY 1;
SELECT * FROM mock_request_counts('q');
SELECT count(*) FROM child_rows;
-- bad arguments
SELECT try_sql($$SELECT * FROM backfill_fdw.backfill_server('q', endpoints => ARRAY['nosuch'])$$);
SELECT try_sql($$SELECT * FROM backfill_fdw.backfill_server('q', endpoints => ARRAY[NULL])$$);
SELECT try_sql($$SELECT * FROM backfill_fdw.backfill_server('nosuch')$$);
SELECT try_sql($$SELECT * FROM backfill_fdw.backfill_server(NULL)$$);
SELECT try_sql($$SELECT * FROM backfill_fdw.backfill_server('q', endpoints => ARRAY['batches'])$$);
-- a role that may read the foreign tables but not write a target
CREATE ROLE queues_reader;
GRANT USAGE ON SCHEMA queues TO queues_reader;
GRANT SELECT ON children, parents TO queues_reader;
CREATE USER MAPPING FOR queues_reader SERVER q;
SET ROLE queues_reader;
SELECT count(*) FROM children;
SELECT try_sql($$SELECT * FROM backfill_fdw.backfill_server('q', endpoints => ARRAY['children'])$$);
RESET ROLE;
SELECT * FROM mock_request_counts('q');

DROP SCHEMA queues CASCADE;
DROP USER MAPPING FOR queues_reader SERVER q;
DROP SERVER q CASCADE;
DROP ROLE queues_reader;
