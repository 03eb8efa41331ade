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
