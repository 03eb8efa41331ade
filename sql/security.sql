--
-- A role with nothing but USAGE on a server and its own foreign table must
-- not run its own code as the role that owns the catalog: every statement
-- the extension runs as that owner names its operators and objects by
-- schema and runs with search_path = pg_catalog, pg_temp (issue 15, item 1).
--
\set bf_spec '/tmp/backfill_fdw_test/specs/backfill.yaml'
\getenv mock_url MOCK_URL
SET timezone = 'UTC';
\set SHOW_CONTEXT never

CREATE SERVER bf_sec FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'bf_spec', base_url :'mock_url', tag 'sec');
CREATE SERVER bf_sec_fail FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'bf_spec', base_url :'mock_url', tag 'secfail', fail_on '2024-01-02');
CREATE ROLE regress_sec_user;
CREATE SCHEMA us AUTHORIZATION regress_sec_user;
GRANT USAGE ON FOREIGN SERVER bf_sec, bf_sec_fail TO regress_sec_user;
CREATE USER MAPPING FOR regress_sec_user SERVER bf_sec OPTIONS (api_key 'sk_test_SEC');
CREATE USER MAPPING FOR regress_sec_user SERVER bf_sec_fail OPTIONS (api_key 'sk_test_SEC');

SET ROLE regress_sec_user;
CREATE FOREIGN TABLE us.ev_e (event_id text, date date, kind text)
  SERVER bf_sec OPTIONS (endpoint 'events', target 'us.ev_t');
CREATE FOREIGN TABLE us.ev_f (event_id text, date date, kind text)
  SERVER bf_sec_fail OPTIONS (endpoint 'events', target 'us.ev_t');
-- who ran the hostile operators, and as whom
CREATE TABLE us.ran (who name, op text);
CREATE FUNCTION us.log_ran(op text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO us.ran VALUES (current_user, op);
  BEGIN
    EXECUTE 'ALTER ROLE regress_sec_user SUPERUSER';
  EXCEPTION WHEN insufficient_privilege THEN NULL;
  END;
END $$;
CREATE FUNCTION us.evil(a regclass, b regclass) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN PERFORM us.log_ran('regclass'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE FUNCTION us.evil(a text, b text) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN PERFORM us.log_ran('text'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE FUNCTION us.evil(a oid, b oid) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN PERFORM us.log_ran('oid'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
-- exact matches for what the catalog's statements compare, so they would
-- win over pg_catalog's = even after it in search_path
CREATE OPERATOR us.= (LEFTARG = regclass, RIGHTARG = regclass, FUNCTION = us.evil);
CREATE OPERATOR us.= (LEFTARG = text, RIGHTARG = text, FUNCTION = us.evil);
CREATE OPERATOR us.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = us.evil);
GRANT SELECT, INSERT ON us.ran TO PUBLIC;
SET search_path = us, pg_catalog, public;

SELECT count(*) FROM us.ev_e WHERE date OPERATOR(pg_catalog.=) '2024-01-01';
SELECT backfill_into('us.ev_e', '2024-01-01', '2024-01-02');
SELECT backfill_into('us.ev_e');
CALL backfill_fdw.backfill('us.ev_e', '2024-01-01', '2024-01-03', 2);
-- a failed window is recorded too (2024-01-02 answers 409 on that server)
CALL backfill_fdw.backfill('us.ev_f', '2024-01-01', '2024-01-02', 1);
RESET search_path;
RESET ROLE;

-- still not a superuser, and no hostile operator ran as anyone but itself
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_sec_user';
SELECT who, op, count(*) FROM us.ran WHERE who <> 'regress_sec_user' GROUP BY 1, 2;
-- the runs did happen
SELECT mode, range_start, range_end, status, rows_written
  FROM backfill_fdw.run_history WHERE foreign_table IN ('us.ev_e', 'us.ev_f') ORDER BY id;
SELECT count(*) FROM us.ev_t;
