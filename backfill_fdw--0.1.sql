/* backfill_fdw--0.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION backfill_fdw" to load this file. \quit

CREATE FUNCTION backfill_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION backfill_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER backfill_fdw
  HANDLER backfill_fdw_handler
  VALIDATOR backfill_fdw_validator;

-- Tools for spec authors, and the catalog, live in their own schema.
CREATE SCHEMA backfill_fdw;

CREATE FUNCTION backfill_fdw.records(server name, endpoint text,
                                     range_start text DEFAULT NULL,
                                     range_end text DEFAULT NULL)
RETURNS SETOF jsonb
AS 'MODULE_PATHNAME', 'backfill_fdw_records'
LANGUAGE C VOLATILE;

CREATE FUNCTION backfill_fdw.evaluate(expression text, vars jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'backfill_fdw_evaluate'
LANGUAGE C VOLATILE STRICT;

CREATE FUNCTION backfill_fdw.render(template text, vars jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'backfill_fdw_render'
LANGUAGE C VOLATILE STRICT;

CREATE FUNCTION backfill_fdw.jmespath(document json, expression text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'backfill_fdw_jmespath'
LANGUAGE C IMMUTABLE STRICT;
