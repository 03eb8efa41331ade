/* backfill_fdw--0.1--0.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION backfill_fdw UPDATE TO '0.2'" to load this file. \quit

-- What 0.2 changes, each part as backfill_fdw--0.2.sql has it (test/upgrade
-- checks that an updated 0.1 and a fresh 0.2 have the same catalog).

-- The event trigger, its operators named by schema.
CREATE OR REPLACE FUNCTION backfill_fdw.forget_dropped_tables()
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

-- The catalog shows a role only the rows of foreign tables it may read.
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

-- backfill_window() learns where the CALL's previous window ended.
DROP FUNCTION backfill_fdw.backfill_window(regclass, text, text, integer, regclass, boolean);
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

-- record_failed_window() takes no text: it writes the error the window caught.
DROP FUNCTION backfill_fdw.record_failed_window(text);
-- The history row of the window that just failed in this session, with
-- the error backfill_window caught, written after its rollback; false when
-- no window had started.  It takes no text: no role can write a history
-- row of its own wording.
CREATE FUNCTION backfill_fdw.record_failed_window()
RETURNS boolean
AS 'MODULE_PATHNAME', 'backfill_fdw_record_failed_window'
LANGUAGE C VOLATILE;

-- The procedure, calling both as 0.2 has them.
CREATE OR REPLACE PROCEDURE backfill_fdw.backfill(foreign_table regclass,
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
