--
-- Issue 16: page prefetch (the rows and requests of sequential paging,
-- stopping at the end, at the rate), the primary_key set past work_mem
-- (first wins across a spill), and backfill_into's bulk paths.
--
\set spec '/tmp/backfill_fdw_test/specs/bulk_load.yaml'
\getenv mock_url MOCK_URL
CREATE SCHEMA bulk_load;
SET search_path = bulk_load, public;
CREATE SERVER bulk_load FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock_url');
CREATE FUNCTION bl_stats(tag text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT r FROM backfill_fdw.records('bulk_load', 'stats', tag) AS r
$$;
CREATE FOREIGN TABLE paged (id int, page int) SERVER bulk_load;
CREATE FOREIGN TABLE paged_dups (id int, page int) SERVER bulk_load;
CREATE FOREIGN TABLE cursor_paged (id int, page int) SERVER bulk_load;
CREATE FOREIGN TABLE rated (id int, page int) SERVER bulk_load;

-- == prefetch ==
-- next_state reads only state: the ten pages' rows, in page order, none
-- from the pages the mock has past the stop; up to request.concurrency (5)
-- in flight, the ten requests and at most 4 more past the end
CREATE TABLE got AS SELECT row_number() OVER () AS n, id, page FROM paged;
SELECT count(*) AS rows, min(page), max(page), count(DISTINCT (page, id)) AS distinct_rows,
       bool_and(n = page * 1000 + id % 1000 + 1) AS in_page_order
  FROM got;
SELECT (bl_stats('bl_paged') ->> 'max_in_flight')::int BETWEEN 2 AND 5 AS pages_in_flight_together,
       (bl_stats('bl_paged') ->> 'requests')::int BETWEEN 10 AND 14 AS ten_and_at_most_four_past;
-- next_state reads the response: the same rows, one page at a time, ten requests
CREATE TABLE got_cursor AS SELECT row_number() OVER () AS n, id, page FROM cursor_paged;
SELECT NOT EXISTS (SELECT * FROM got EXCEPT SELECT * FROM got_cursor)
       AND (SELECT count(*) FROM got_cursor) = 10000 AS same_rows_in_same_order,
       bl_stats('bl_cursor') ->> 'max_in_flight' AS cursor_in_flight,
       bl_stats('bl_cursor') ->> 'requests' AS cursor_requests;
-- the rate holds for pages asked for ahead: 10 requests 0.1 s apart
SELECT clock_timestamp() AS t0 \gset
SELECT count(*), min(page), max(page) FROM rated;
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '0.85 s' AS took_the_rate,
       (bl_stats('bl_rated') ->> 'max_per_second')::int <= 11 AS at_most_rate_a_second;

-- == the primary_key set past work_mem ==
-- 10000 records, 5000 ids, each on a page of 0-4 and again five pages on:
-- first wins, so every id keeps its first page.  At 64kB the set spills
-- every 1536 keys (keyset.c), so the second copies are found in its files.
SET work_mem = '64kB';
SELECT count(*) AS rows, count(DISTINCT id) AS ids, max(page) AS last_page_kept,
       bool_and(page = id / 1000) AS first_copy_of_each
  FROM paged_dups;
RESET work_mem;
SELECT count(*) AS rows, max(page) AS last_page_kept FROM paged_dups;

-- == an append (no primary key) through COPY's multi-insert ==
-- what an INSERT keeps: a default, a BEFORE ROW trigger (COPY then inserts
-- row by row), AFTER ROW and statement triggers, a CHECK constraint
CREATE TABLE app (id int, page int, note text DEFAULT 'default', CHECK (page >= 0));
CREATE TABLE app_log (what text, n bigint);
CREATE FUNCTION app_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_WHEN = 'BEFORE' THEN NEW.note := NEW.note || ' + before'; RETURN NEW; END IF;
  INSERT INTO app_log VALUES ('after row', 1);
  RETURN NULL;
END $$;
CREATE FUNCTION app_stmt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO app_log VALUES (TG_WHEN || ' statement', 1); RETURN NULL; END $$;
CREATE TRIGGER app_before BEFORE INSERT ON app FOR EACH ROW EXECUTE FUNCTION app_row();
CREATE TRIGGER app_after AFTER INSERT ON app FOR EACH ROW EXECUTE FUNCTION app_row();
CREATE TRIGGER app_bs BEFORE INSERT ON app FOR EACH STATEMENT EXECUTE FUNCTION app_stmt();
CREATE TRIGGER app_as AFTER INSERT ON app FOR EACH STATEMENT EXECUTE FUNCTION app_stmt();
SELECT backfill_into('paged', NULL, NULL, 'app');
SELECT note, count(*), min(page), max(page) FROM app GROUP BY note;
SELECT what, sum(n) FROM app_log GROUP BY what ORDER BY what;
-- without row triggers, the batches of the multi-insert: the same rows
DROP TRIGGER app_before ON app;
DROP TRIGGER app_after ON app;
TRUNCATE app, app_log;
SELECT backfill_into('paged', NULL, NULL, 'app');
SELECT note, count(*), count(DISTINCT (id, page)) FROM app GROUP BY note;
SELECT what, sum(n) FROM app_log GROUP BY what ORDER BY what;
-- a CHECK the rows break fails the load, nothing kept
TRUNCATE app, app_log;
ALTER TABLE app ADD CONSTRAINT app_early CHECK (page < 7);
SELECT try_sql($$SELECT backfill_into('bulk_load.paged', NULL, NULL, 'bulk_load.app')$$);
SELECT count(*) FROM app;
ALTER TABLE app DROP CONSTRAINT app_early;

-- privileges: INSERT on the target, on every column the load writes
CREATE ROLE regress_bulk_user;
GRANT USAGE ON SCHEMA bulk_load TO regress_bulk_user;
GRANT USAGE ON FOREIGN SERVER bulk_load TO regress_bulk_user;
CREATE USER MAPPING FOR regress_bulk_user SERVER bulk_load;
GRANT SELECT ON paged TO regress_bulk_user;
GRANT SELECT ON app TO regress_bulk_user;
GRANT INSERT ON app_log TO regress_bulk_user;
SET ROLE regress_bulk_user;
SELECT try_sql($$SELECT backfill_into('bulk_load.paged', NULL, NULL, 'bulk_load.app')$$) AS no_insert;
RESET ROLE;
GRANT INSERT (id) ON app TO regress_bulk_user;
SET ROLE regress_bulk_user;
SELECT try_sql($$SELECT backfill_into('bulk_load.paged', NULL, NULL, 'bulk_load.app')$$) AS insert_on_id_only;
RESET ROLE;
GRANT INSERT (page) ON app TO regress_bulk_user;
SET ROLE regress_bulk_user;
SELECT backfill_into('bulk_load.paged', NULL, NULL, 'bulk_load.app') AS insert_on_both_columns;
RESET ROLE;
SELECT count(*) FROM app;
-- row-level security: COPY cannot apply policies, so the append INSERTs,
-- and the policy's WITH CHECK holds
TRUNCATE app;
ALTER TABLE app ENABLE ROW LEVEL SECURITY;
CREATE POLICY app_early ON app FOR ALL TO regress_bulk_user USING (true) WITH CHECK (page < 5);
SET ROLE regress_bulk_user;
SELECT try_sql($$SELECT backfill_into('bulk_load.paged', NULL, NULL, 'bulk_load.app')$$) AS policy_checked;
RESET ROLE;
DROP POLICY app_early ON app;
CREATE POLICY app_all ON app FOR ALL TO regress_bulk_user USING (true) WITH CHECK (true);
SET ROLE regress_bulk_user;
SELECT backfill_into('bulk_load.paged', NULL, NULL, 'bulk_load.app') AS under_a_policy;
RESET ROLE;

-- a view is no table COPY takes: the append INSERTs through it
CREATE VIEW app_view AS SELECT id, page FROM app;
TRUNCATE app;
SELECT backfill_into('paged', NULL, NULL, 'app_view') AS through_a_view;
SELECT count(*), max(note) FROM app;

DROP SCHEMA bulk_load CASCADE;
DROP SERVER bulk_load CASCADE;
DROP ROLE regress_bulk_user;
