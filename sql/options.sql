--
-- Options and the validator: each wrong or unknown option is an error that
-- names it; setting spec loads the spec at once, so a broken spec fails here
-- with its file, line and key; only a superuser or a member of
-- pg_read_server_files may set spec (file_fdw's rule).
--
\set specs '/tmp/backfill_fdw_test/specs'
\set analytics_spec :specs '/analytics_api.yaml'
\set mock_spec :specs '/mock.yaml'
\getenv mock_url MOCK_URL

-- the wrapper itself takes no options
ALTER FOREIGN DATA WRAPPER backfill_fdw OPTIONS (ADD spec 'x');

-- server: spec must load, other options must be state keys the spec reads
CREATE SERVER s_empty FOREIGN DATA WRAPPER backfill_fdw OPTIONS (spec '');
CREATE SERVER s_missing FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec '/tmp/backfill_fdw_test/specs/no_such_file.yaml');
CREATE SERVER s_yaml FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec '/tmp/backfill_fdw_test/specs/bad_yaml.yaml');
CREATE SERVER s_unknown FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec '/tmp/backfill_fdw_test/specs/unknown_key.yaml');
CREATE SERVER s_type FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec '/tmp/backfill_fdw_test/specs/wrong_type.yaml');
CREATE SERVER s_nourl FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec '/tmp/backfill_fdw_test/specs/missing_url.yaml');
CREATE SERVER analytics FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'analytics_spec', bogus 'x');
CREATE SERVER analytics FOREIGN DATA WRAPPER backfill_fdw OPTIONS (spec :'analytics_spec');
ALTER SERVER analytics OPTIONS (ADD base_url 'http://staging.invalid/v1');
ALTER SERVER analytics OPTIONS (ADD base_urll 'typo');
ALTER SERVER analytics OPTIONS (DROP base_url);

-- user mapping: every option is a secret, any name is accepted
CREATE USER MAPPING FOR CURRENT_USER SERVER analytics
  OPTIONS (api_key 'sk_test_options_secret', other_secret 'x');

-- foreign table options
CREATE FOREIGN TABLE t_bad (a int) SERVER analytics OPTIONS (bogus 'x');
CREATE FOREIGN TABLE t_bad (a int) SERVER analytics OPTIONS (endpoint '');
CREATE FOREIGN TABLE t_bad (a int) SERVER analytics OPTIONS (range_column '');
CREATE FOREIGN TABLE t_bad (a int) SERVER analytics OPTIONS (target 'a.b.c.d');
CREATE FOREIGN TABLE t_bad (a int) SERVER analytics
  OPTIONS (spec :'analytics_spec', endpoint 'no_such_endpoint');
CREATE FOREIGN TABLE t_bad (a int OPTIONS (bogus 'x')) SERVER analytics;
CREATE FOREIGN TABLE t_bad (a int OPTIONS (json_path 'a.[')) SERVER analytics;
CREATE FOREIGN TABLE daily_events (
  event_id text OPTIONS (json_path 'event_id'),
  date date,
  amount numeric
) SERVER analytics OPTIONS (range_column 'date', target 'public.events');

-- an endpoint that is not in the spec fails CREATE FOREIGN TABLE (the
-- endpoint defaults to the table's name; sql/first_hour.sql has the rest)
CREATE FOREIGN TABLE no_such_endpoint (a int) SERVER analytics;
-- a server with no spec at all
CREATE SERVER nospec FOREIGN DATA WRAPPER backfill_fdw;
CREATE FOREIGN TABLE nospec_t (a int) SERVER nospec;
SELECT * FROM nospec_t;

-- each spec error is a config_file_error a caller can catch
DO $$
BEGIN
  EXECUTE 'CREATE SERVER s_caught FOREIGN DATA WRAPPER backfill_fdw '
          'OPTIONS (spec ''/tmp/backfill_fdw_test/specs/unknown_key.yaml'')';
EXCEPTION WHEN config_file_error THEN
  RAISE NOTICE 'caught config_file_error (%)', SQLSTATE;
END $$;

-- the spec option needs pg_read_server_files, on a server and on a table
CREATE ROLE bf_plain NOLOGIN;
GRANT USAGE ON FOREIGN DATA WRAPPER backfill_fdw TO bf_plain;
GRANT USAGE ON FOREIGN SERVER analytics TO bf_plain;
GRANT CREATE ON SCHEMA public TO bf_plain;
SET ROLE bf_plain;
CREATE SERVER s_plain FOREIGN DATA WRAPPER backfill_fdw OPTIONS (spec :'analytics_spec');
CREATE FOREIGN TABLE t_plain (a int) SERVER analytics OPTIONS (spec :'analytics_spec');
-- without spec, a plain user may create a table on a server it may use
CREATE FOREIGN TABLE t_plain (a int) SERVER analytics OPTIONS (endpoint 'daily_events');
RESET ROLE;
GRANT pg_read_server_files TO bf_plain;
SET ROLE bf_plain;
CREATE SERVER s_plain FOREIGN DATA WRAPPER backfill_fdw OPTIONS (spec :'analytics_spec');
CREATE FOREIGN TABLE t_plain2 (a int) SERVER analytics
  OPTIONS (spec :'analytics_spec', endpoint 'daily_events');
RESET ROLE;
DROP FOREIGN TABLE t_plain, t_plain2;
DROP SERVER s_plain;
REVOKE CREATE ON SCHEMA public FROM bf_plain;
REVOKE USAGE ON FOREIGN SERVER analytics FROM bf_plain;
REVOKE USAGE ON FOREIGN DATA WRAPPER backfill_fdw FROM bf_plain;
DROP ROLE bf_plain;

DROP SERVER nospec CASCADE;
DROP SERVER analytics CASCADE;
