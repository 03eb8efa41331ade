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
CREATE USER MAPPING FOR regress_sec_user SERVER bf_sec OPTIONS (api_key 'sk_sec_role_q7');
CREATE USER MAPPING FOR regress_sec_user SERVER bf_sec_fail OPTIONS (api_key 'sk_sec_role_q7');

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

SELECT count(*) FROM us.ev_e WHERE date = '2024-01-01';
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

--
-- The catalog shows a role only the rows of foreign tables it may read
-- (row level security; issue 15, item 3): a history row's error says more
-- about an API than its table does.
--
CREATE ROLE regress_sec_other;
SET ROLE regress_sec_other;
-- (a schema it may not use is no error)
SELECT count(*) AS history FROM backfill_fdw.run_history WHERE foreign_table LIKE 'us.%';
SELECT count(*) AS sync FROM backfill_fdw.sync_state;
SELECT count(*) AS progress FROM backfill_fdw.backfill_progress;
RESET ROLE;
-- may read ev_e (not ev_f): its rows, and no others
GRANT USAGE ON SCHEMA us TO regress_sec_other;
GRANT SELECT ON us.ev_e TO regress_sec_other;
SET ROLE regress_sec_other;
SELECT foreign_table, status, count(*) FROM backfill_fdw.run_history
 WHERE foreign_table LIKE 'us.%' GROUP BY 1, 2 ORDER BY 1, 2;
SELECT foreign_table, sync FROM backfill_fdw.sync_state ORDER BY 1;
SELECT foreign_table, next_iteration FROM backfill_fdw.backfill_progress;
RESET ROLE;
-- the owner of ev_f sees its failure, and its progress
SET ROLE regress_sec_user;
SELECT foreign_table, status, error IS NOT NULL AS has_error FROM backfill_fdw.run_history
 WHERE foreign_table = 'us.ev_f' ORDER BY id;
SELECT foreign_table, next_iteration, total_iterations FROM backfill_fdw.backfill_progress;
RESET ROLE;
-- the superuser (and the owner, who writes them) sees every row
SELECT count(*) FROM backfill_fdw.run_history WHERE foreign_table LIKE 'us.%';
SELECT c.relname, c.relrowsecurity, p.polname, p.polcmd
  FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid
 WHERE c.relnamespace = 'backfill_fdw'::regnamespace ORDER BY 1;

--
-- The SQL tools give env.* of the server's environment only to members of
-- pg_read_server_files (issue 15, item 4): anyone may EXECUTE them.
--
SET ROLE regress_sec_other;
SELECT backfill_fdw.evaluate('env');
SELECT backfill_fdw.evaluate('env.PATH'), backfill_fdw.render('path: {env.PATH}');
SELECT backfill_fdw.evaluate('coalesce(env.HOME, "none")');
-- an env of the caller's own is the caller's to read
SELECT backfill_fdw.evaluate('env.x', '{"env": {"x": 1}}');
SELECT backfill_fdw.render('{env.x}', '{"env": "not an object"}');
RESET ROLE;
SELECT backfill_fdw.evaluate('env.PATH') IS NOT NULL AS superuser_reads_env;
GRANT pg_read_server_files TO regress_sec_other;
SET ROLE regress_sec_other;
SELECT backfill_fdw.evaluate('env') <> '{}' AS member_reads_env,
       backfill_fdw.render('{env.PATH}') = backfill_fdw.evaluate('env.PATH') AS render_too;
RESET ROLE;
REVOKE pg_read_server_files FROM regress_sec_other;

--
-- Smaller ones (issue 15, item 10).
--
-- record_failed_window takes no text: nobody writes history of their own
-- wording, and with no failed window it writes nothing
SET ROLE regress_sec_user;
SELECT count(*) AS history_before FROM backfill_fdw.run_history \gset
SELECT backfill_fdw.record_failed_window('forged: the API is down');
SELECT backfill_fdw.record_failed_window();
SELECT count(*) - :history_before AS new_rows FROM backfill_fdw.run_history;
RESET ROLE;
-- state overrides on a server with no spec would override nothing
CREATE SERVER bf_nospec FOREIGN DATA WRAPPER backfill_fdw;
SELECT try_sql($$ALTER SERVER bf_nospec OPTIONS (ADD base_url 'x')$$);
SELECT try_sql($$CREATE SERVER bf_nospec2 FOREIGN DATA WRAPPER backfill_fdw OPTIONS (tag 'x')$$);
ALTER SERVER bf_nospec OPTIONS (ADD base_url 'x');
SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'bf_nospec';
-- an OID that names no table
SELECT try_sql($$SELECT backfill_into(0::regclass)$$);
SELECT try_sql($$SELECT backfill_into(4294967295::oid::regclass, '2024-01-01', '2024-01-01')$$);
CALL backfill_fdw.backfill(0::regclass, '2024-01-01', '2024-01-02');
SELECT try_sql($$SELECT backfill_into('pg_class')$$);
DROP SERVER bf_nospec;

-- history outlives its tables: this test's goes, for the tests after it
DELETE FROM backfill_fdw.run_history WHERE foreign_table LIKE 'us.%';
DROP SCHEMA us CASCADE;
DROP SERVER bf_sec, bf_sec_fail CASCADE;
DROP ROLE regress_sec_user, regress_sec_other;
