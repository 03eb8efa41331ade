/* backfill_fdw--0.2--0.3.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION backfill_fdw UPDATE TO '0.3'" to load this file. \quit

-- What 0.3 adds, each part as backfill_fdw--0.3.sql has it (sql/upgrade.sql
-- checks that an updated 0.1 and a fresh 0.3 have the same catalog).

-- run_history grows by a row per run; every run counts a table's rows of it
-- (catalog_fingerprint) and users look up a table's latest runs.
CREATE INDEX run_history_foreign_table
  ON backfill_fdw.run_history (foreign_table, started_at);

-- Queues (issue 11): a whole server loaded in the spec's dependency order,
-- producers before their consumers, in the caller's transaction; each
-- producer is fetched once, its records going to its own target and to its
-- queues in the same pass.  Rows, sync state and history per table, as
-- backfill_into() writes them.
CREATE FUNCTION backfill_fdw.backfill_server(server name,
                                             range_start text DEFAULT NULL,
                                             range_end text DEFAULT NULL,
                                             endpoints text[] DEFAULT NULL)
RETURNS TABLE (foreign_table regclass, rows_written bigint)
AS 'MODULE_PATHNAME', 'backfill_fdw_backfill_server'
LANGUAGE C VOLATILE;

-- A user's first hour (issue 14): typos caught when a foreign table is
-- made or changed, and check_spec.
--
-- An endpoint the spec lacks, or a range_column the table lacks, fails
-- CREATE / ALTER FOREIGN TABLE (and IMPORT FOREIGN SCHEMA, and an ALTER
-- SERVER that changes the spec under its tables) rather than the first
-- SELECT: the validator is given a table's options but neither the table
-- nor its server, so the check runs at the end of the command.
CREATE FUNCTION backfill_fdw.check_tables()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'backfill_fdw_check_tables'
LANGUAGE C;
CREATE EVENT TRIGGER backfill_fdw_check_tables ON ddl_command_end
  WHEN TAG IN ('CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE', 'IMPORT FOREIGN SCHEMA',
              'ALTER SERVER')
  EXECUTE FUNCTION backfill_fdw.check_tables();

-- Validates a spec file before it is deployed (a spec is re-read when it
-- changes, so a bad edit breaks every job on its server): what loading it
-- reports, as rows; none for a spec that loads.  severity is 'error' (the
-- loader stops at the first) or 'warning'.  Reads a server file: only a
-- superuser or a member of pg_read_server_files may, as for the spec option.
CREATE FUNCTION backfill_fdw.check_spec(path text,
                                        OUT severity text, OUT line integer,
                                        OUT col integer, OUT key_path text,
                                        OUT message text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'backfill_fdw_check_spec'
LANGUAGE C STRICT;
