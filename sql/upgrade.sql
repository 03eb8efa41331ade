--
-- ALTER EXTENSION backfill_fdw UPDATE from 0.1 gives the catalog a fresh
-- install of the current version has: every member object of the
-- extension (functions with their definitions and ACLs, tables with their
-- columns, defaults, constraints, indexes, policies, row security, ACLs,
-- the event trigger, the wrapper, the schema) and what pg_dump keeps
-- (extconfig), compared between two databases of their own.  Generic: it
-- needs no change when a later version adds or changes objects.
--
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT format('port=%s host=%s', current_setting('port'),
              split_part(current_setting('unix_socket_directories'), ',', 1)) AS conn \gset
SELECT dblink_exec(:'conn' || ' dbname=postgres', 'DROP DATABASE IF EXISTS bf_upgraded');
SELECT dblink_exec(:'conn' || ' dbname=postgres', 'DROP DATABASE IF EXISTS bf_fresh');
SELECT dblink_exec(:'conn' || ' dbname=postgres', 'CREATE DATABASE bf_upgraded');
SELECT dblink_exec(:'conn' || ' dbname=postgres', 'CREATE DATABASE bf_fresh');
SELECT dblink_connect('upgraded', :'conn' || ' dbname=bf_upgraded');
SELECT dblink_connect('fresh', :'conn' || ' dbname=bf_fresh');

SELECT dblink_exec('upgraded', $$CREATE EXTENSION backfill_fdw VERSION '0.1'$$);
SELECT * FROM dblink('upgraded', $$SELECT extversion FROM pg_extension WHERE extname = 'backfill_fdw'$$)
  AS t(installed text);
SELECT dblink_exec('upgraded', 'ALTER EXTENSION backfill_fdw UPDATE');
SELECT dblink_exec('fresh', 'CREATE EXTENSION backfill_fdw');
SELECT u.v AS upgraded, f.v AS fresh,
       u.v = (SELECT default_version FROM pg_available_extensions WHERE name = 'backfill_fdw') AS is_default
  FROM dblink('upgraded', $$SELECT extversion FROM pg_extension WHERE extname = 'backfill_fdw'$$) AS u(v text),
       dblink('fresh', $$SELECT extversion FROM pg_extension WHERE extname = 'backfill_fdw'$$) AS f(v text);

-- One row per member object: its identity and everything that defines it.
CREATE TEMP TABLE catalog_query AS SELECT $q$
WITH ext AS (SELECT oid, extconfig FROM pg_extension WHERE extname = 'backfill_fdw'),
members AS (
  SELECT d.classid, d.objid FROM pg_depend d, ext
   WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e')
SELECT pg_describe_object(m.classid, m.objid, 0) AS object,
  CASE m.classid
  WHEN 'pg_proc'::regclass THEN
    (SELECT pg_get_functiondef(p.oid) || ' acl ' || coalesce(p.proacl::text, 'default')
       FROM pg_proc p WHERE p.oid = m.objid)
  WHEN 'pg_class'::regclass THEN
    (SELECT concat_ws(E'\n',
       'kind ' || c.relkind::text || ' acl ' || coalesce(c.relacl::text, 'default')
         || ' rls ' || c.relrowsecurity || ' force ' || c.relforcerowsecurity
         || ' options ' || coalesce(c.reloptions::text, '')
         || ' dumped ' || (c.oid = ANY ((SELECT extconfig FROM ext)::oid[])),
       (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                          || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                          || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
                          || coalesce(' acl ' || a.attacl::text, ''), ', ' ORDER BY a.attnum)
          FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT string_agg(pg_get_constraintdef(k.oid), ', ' ORDER BY k.conname)
          FROM pg_constraint k WHERE k.conrelid = c.oid),
       (SELECT string_agg(pg_get_indexdef(i.indexrelid), ', ' ORDER BY 1)
          FROM pg_index i WHERE i.indrelid = c.oid),
       (SELECT string_agg(format('policy %s %s %s using %s check %s', p.polname, p.polcmd,
                                 p.polroles::regrole[], pg_get_expr(p.polqual, p.polrelid),
                                 pg_get_expr(p.polwithcheck, p.polrelid)), ', ' ORDER BY p.polname)
          FROM pg_policy p WHERE p.polrelid = c.oid),
       (SELECT string_agg(pg_get_triggerdef(t.oid), ', ' ORDER BY t.tgname)
          FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal))
       FROM pg_class c WHERE c.oid = m.objid)
  WHEN 'pg_namespace'::regclass THEN
    (SELECT 'acl ' || coalesce(n.nspacl::text, 'default') FROM pg_namespace n WHERE n.oid = m.objid)
  WHEN 'pg_event_trigger'::regclass THEN
    (SELECT concat_ws(' ', e.evtevent, e.evtfoid::regprocedure, e.evtenabled, e.evttags)
       FROM pg_event_trigger e WHERE e.oid = m.objid)
  WHEN 'pg_foreign_data_wrapper'::regclass THEN
    (SELECT concat_ws(' ', w.fdwhandler::regproc, w.fdwvalidator::regproc, w.fdwacl, w.fdwoptions)
       FROM pg_foreign_data_wrapper w WHERE w.oid = m.objid)
  WHEN 'pg_type'::regclass THEN
    (SELECT format_type(t.oid, NULL) || ' ' || t.typtype::text FROM pg_type t WHERE t.oid = m.objid)
  ELSE 'unknown catalog ' || m.classid::regclass
  END AS definition
FROM members m
$q$ AS q;
SELECT q AS catalog_query FROM catalog_query \gset
CREATE TEMP TABLE upgraded AS SELECT * FROM dblink('upgraded', :'catalog_query') AS t(object text, definition text);
CREATE TEMP TABLE fresh AS SELECT * FROM dblink('fresh', :'catalog_query') AS t(object text, definition text);

-- what is compared (a comparison of nothing would pass), and the kinds of objects
SELECT count(*) > 10 AS enough_objects, count(*) FILTER (WHERE definition IS NULL) AS undescribed
  FROM fresh;
SELECT split_part(object, ' ', 1) AS kind, count(*) FROM fresh GROUP BY 1 ORDER BY 1;
-- every difference: none
SELECT coalesce(u.object, f.object) AS object,
       u.definition AS upgraded, f.definition AS fresh
  FROM upgraded u FULL JOIN fresh f ON f.object = u.object
 WHERE u.definition IS DISTINCT FROM f.definition
 ORDER BY 1;

SELECT dblink_disconnect('upgraded');
SELECT dblink_disconnect('fresh');
SELECT dblink_exec(:'conn' || ' dbname=postgres', 'DROP DATABASE bf_upgraded');
SELECT dblink_exec(:'conn' || ' dbname=postgres', 'DROP DATABASE bf_fresh');
DROP EXTENSION dblink;
