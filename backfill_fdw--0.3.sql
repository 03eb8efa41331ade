/* backfill_fdw--0.3.sql */

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

-- ---------------------------------------------------------------------------
-- backfill_into(), sync state, run history and the resumable backfill
-- (src/pg/pg_backfill.c; docs/backfill.md).
--
-- The catalog is written by the extension's C functions as the role that
-- owns it, so a user who may read a foreign table and write its target can
-- load it without write access to the catalog.  Everyone may read it, but
-- row level security shows a role only the rows of foreign tables it may
-- read (a history row's error can say more about an API than the table
-- does); the owner, who writes it, and superusers see every row.  It is
-- registered with pg_extension_config_dump: pg_dump keeps its rows.
-- ---------------------------------------------------------------------------

GRANT USAGE ON SCHEMA backfill_fdw TO PUBLIC;

-- The sync: values of each foreign table, keyed by the table itself: a
-- regclass follows a rename, and pg_dump writes it as the table's name, so
-- the state survives a dump and restore.  Dropping the table forgets it.
CREATE TABLE backfill_fdw.sync_state (
  foreign_table regclass PRIMARY KEY,
  endpoint      text NOT NULL,
  sync          jsonb NOT NULL,
  updated_at    timestamptz NOT NULL
);

-- One row per run of backfill_into and per window of backfill(); a failed
-- window is written after its rollback.  Names are kept as text: history
-- outlives the tables it names.
CREATE TABLE backfill_fdw.run_history (
  id              bigserial PRIMARY KEY,
  foreign_table   text NOT NULL,
  endpoint        text NOT NULL,
  target          text NOT NULL,
  mode            text NOT NULL,
  range_start     text,
  range_end       text,
  first_iteration integer NOT NULL,   -- 0-based index into iterate.over
  iterations      integer,            -- how many this run covered
  status          text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  records         bigint,             -- received from the API
  rows_written    bigint,             -- inserted or changed in the target
  requests        bigint,
  retries         bigint,
  bytes           bigint,
  started_at      timestamptz NOT NULL,
  finished_at     timestamptz NOT NULL,
  error           text                -- secrets masked
);

-- The unfinished backfills of CALL backfill_fdw.backfill(): the first
-- iteration of over not loaded yet.  A row is deleted when its range is done.
CREATE TABLE backfill_fdw.backfill_progress (
  foreign_table    regclass NOT NULL,
  range_start      text NOT NULL,
  range_end        text NOT NULL,
  target           regclass NOT NULL,
  next_iteration   integer NOT NULL,
  total_iterations integer NOT NULL,
  started_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  PRIMARY KEY (foreign_table, range_start, range_end, target)
);

SELECT pg_catalog.pg_extension_config_dump('backfill_fdw.sync_state', '');
SELECT pg_catalog.pg_extension_config_dump('backfill_fdw.run_history', '');
SELECT pg_catalog.pg_extension_config_dump('backfill_fdw.run_history_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('backfill_fdw.backfill_progress', '');
GRANT SELECT ON backfill_fdw.sync_state, backfill_fdw.run_history,
                backfill_fdw.backfill_progress TO PUBLIC;
ALTER TABLE backfill_fdw.sync_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE backfill_fdw.run_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE backfill_fdw.backfill_progress ENABLE ROW LEVEL SECURITY;
CREATE POLICY readable_tables ON backfill_fdw.sync_state FOR SELECT
  USING (pg_catalog.has_table_privilege(foreign_table, 'SELECT'));
CREATE POLICY readable_tables ON backfill_fdw.backfill_progress FOR SELECT
  USING (pg_catalog.has_table_privilege(foreign_table, 'SELECT'));
-- history names its table as text (schema.name, quoted): one dropped or
-- renamed since is shown to no one but the owner and superusers.  The name
-- is looked up in pg_class, not with to_regclass, which fails on a schema
-- the reader may not use.
CREATE POLICY readable_tables ON backfill_fdw.run_history FOR SELECT
  USING (EXISTS (SELECT FROM pg_catalog.pg_class c, pg_catalog.pg_namespace n
                  WHERE n.oid OPERATOR(pg_catalog.=) c.relnamespace
                    AND n.nspname OPERATOR(pg_catalog.=) (pg_catalog.parse_ident(foreign_table))[1]
                    AND c.relname OPERATOR(pg_catalog.=) (pg_catalog.parse_ident(foreign_table))[2]
                    AND pg_catalog.has_table_privilege(c.oid, 'SELECT')));

-- Rows naming a dropped table by OID would name whatever table gets that
-- OID later (or, after a dump, a bare number): forget them with the table.
CREATE FUNCTION backfill_fdw.forget_dropped_tables()
RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  DELETE FROM backfill_fdw.sync_state s
   USING pg_event_trigger_dropped_objects() d
   WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
     AND d.objsubid OPERATOR(pg_catalog.=) 0
     AND s.foreign_table OPERATOR(pg_catalog.=) d.objid;
  DELETE FROM backfill_fdw.backfill_progress p
   USING pg_event_trigger_dropped_objects() d
   WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
     AND d.objsubid OPERATOR(pg_catalog.=) 0
     AND (p.foreign_table OPERATOR(pg_catalog.=) d.objid
          OR p.target OPERATOR(pg_catalog.=) d.objid);
END
$$;
CREATE EVENT TRIGGER backfill_fdw_forget_dropped_tables ON sql_drop
  EXECUTE FUNCTION backfill_fdw.forget_dropped_tables();

-- Loads a range (or, with none, what the spec's sync chain picks) into the
-- target in one transaction; wait => false fails at once when another run
-- of the same endpoint holds its lock.
CREATE FUNCTION backfill_into(foreign_table regclass,
                              range_start text DEFAULT NULL,
                              range_end text DEFAULT NULL,
                              target regclass DEFAULT NULL,
                              wait boolean DEFAULT true)
RETURNS bigint
AS 'MODULE_PATHNAME', 'backfill_fdw_backfill_into'
LANGUAGE C VOLATILE;

-- One window of backfill(): the next window_iterations iterations of over
-- that the progress row has not seen loaded, with rows, sync, history and
-- progress in the caller's transaction.  resume_from is where the calling
-- CALL's previous window ended (NULL for its first): a range another CALL
-- finished meanwhile is done, not started again.
CREATE FUNCTION backfill_fdw.backfill_window(foreign_table regclass,
                                             range_start text,
                                             range_end text,
                                             window_iterations integer,
                                             target regclass,
                                             wait boolean,
                                             resume_from integer,
                                             OUT rows_written bigint,
                                             OUT first_iteration integer,
                                             OUT iterations integer,
                                             OUT total_iterations integer,
                                             OUT done boolean)
AS 'MODULE_PATHNAME', 'backfill_fdw_backfill_window'
LANGUAGE C VOLATILE;

-- The history row of the window that just failed in this session, with
-- the error backfill_window caught, written after its rollback; false when
-- no window had started.  It takes no text: no role can write a history
-- row of its own wording.
CREATE FUNCTION backfill_fdw.record_failed_window()
RETURNS boolean
AS 'MODULE_PATHNAME', 'backfill_fdw_record_failed_window'
LANGUAGE C VOLATILE;

-- A long backfill, committed window by window.  A failure keeps every
-- finished window; the next CALL with the same arguments starts at the
-- first unfinished one.  A procedure cannot COMMIT inside an exception
-- block, so a failure is caught into variables, recorded and committed
-- after the block, and raised again with its own SQLSTATE.
CREATE PROCEDURE backfill_fdw.backfill(foreign_table regclass,
                                       range_start text,
                                       range_end text,
                                       window_iterations integer DEFAULT 7,
                                       target regclass DEFAULT NULL,
                                       wait boolean DEFAULT true,
                                       INOUT rows_written bigint DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
  w record;
  first_window boolean := true;
  resume_from integer;
  failed boolean;
  err_state text;
  err_message text;
  err_detail text;
  err_hint text;
BEGIN
  IF range_start IS NULL OR range_end IS NULL THEN
    RAISE EXCEPTION 'backfill needs both range_start and range_end'
      USING ERRCODE = 'null_value_not_allowed',
            HINT = 'For an incremental run, from the stored sync state, use backfill_into().';
  END IF;
  IF window_iterations IS NULL OR window_iterations < 1 THEN
    RAISE EXCEPTION 'window_iterations must be at least 1'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  rows_written := 0;
  LOOP
    failed := false;
    BEGIN
      SELECT * INTO w
        FROM backfill_fdw.backfill_window(foreign_table, range_start, range_end,
                                          window_iterations, target, wait,
                                          resume_from);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
      GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE,
                              err_message = MESSAGE_TEXT,
                              err_detail = PG_EXCEPTION_DETAIL,
                              err_hint = PG_EXCEPTION_HINT;
      failed := true;
    END;
    IF failed THEN
      PERFORM backfill_fdw.record_failed_window();
      COMMIT;
      -- RAISE refuses a null option, and an empty one would print empty lines
      IF err_detail = '' AND err_hint = '' THEN
        RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = err_message;
      ELSIF err_hint = '' THEN
        RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = err_message, DETAIL = err_detail;
      ELSIF err_detail = '' THEN
        RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = err_message, HINT = err_hint;
      ELSE
        RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = err_message,
                              DETAIL = err_detail, HINT = err_hint;
      END IF;
    END IF;
    IF first_window AND w.first_iteration > 0 THEN
      RAISE NOTICE 'resumed the backfill of % at iteration % of %',
        foreign_table, w.first_iteration + 1, w.total_iterations;
    END IF;
    first_window := false;
    rows_written := rows_written + w.rows_written;
    resume_from := w.first_iteration + w.iterations;
    COMMIT;
    EXIT WHEN w.done;
  END LOOP;
END
$$;

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
