/* backfill_fdw--0.2--0.3.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION backfill_fdw UPDATE TO '0.3'" to load this file. \quit

-- What 0.3 adds, each part as backfill_fdw--0.3.sql has it (sql/upgrade.sql
-- checks that an updated 0.1 and a fresh 0.3 have the same catalog).
