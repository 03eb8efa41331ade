--
-- IMPORT FOREIGN SCHEMA (issue 14): a foreign table per endpoint of
-- test/specs/import.yaml, columns inferred from a sample of its records;
-- LIMIT TO and EXCEPT; the sample's bounds, read back from the requests
-- the mock saw (mock_requests()); sampling off; failing samples and the
-- whole-record fallback; target_schema and range_column, then a
-- backfill_into on an imported table; a statement_timeout during a sample.
--
\set import_spec '/tmp/backfill_fdw_test/specs/import.yaml'
\getenv mock_url MOCK_URL
SET datestyle = 'ISO, YMD';
SET timezone = 'UTC';
CREATE SCHEMA imp;
CREATE SERVER imp FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'import_spec', base_url :'mock_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER imp OPTIONS (api_key 'sk_import_secret');

-- bad options and names: errors naming them, and no table made
SELECT try_sql($$IMPORT FOREIGN SCHEMA x FROM SERVER imp INTO imp OPTIONS (sampel 'false')$$);
SELECT try_sql($$IMPORT FOREIGN SCHEMA x FROM SERVER imp INTO imp OPTIONS (sample 'maybe')$$);
SELECT try_sql($$IMPORT FOREIGN SCHEMA x FROM SERVER imp INTO imp OPTIONS (sample_records '0')$$);
SELECT try_sql($$IMPORT FOREIGN SCHEMA x FROM SERVER imp INTO imp OPTIONS (sample_iterations '3x')$$);
SELECT try_sql($$IMPORT FOREIGN SCHEMA x FROM SERVER imp INTO imp OPTIONS (target_schema '')$$);
SELECT try_sql($$IMPORT FOREIGN SCHEMA x LIMIT TO (types, typo) FROM SERVER imp INTO imp$$);
SELECT try_sql($$IMPORT FOREIGN SCHEMA x EXCEPT (typo) FROM SERVER imp INTO imp$$);
SELECT count(*) AS tables FROM pg_class WHERE relnamespace = 'imp'::regnamespace;
SELECT mock_requests('imp');

-- every endpoint but hang: a NOTICE for each sample that gives no columns,
-- the 404's message with its secret masked
IMPORT FOREIGN SCHEMA "Import tests" EXCEPT (hang) FROM SERVER imp INTO imp;
SELECT c.relname, ft.ftoptions
  FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
 WHERE c.relnamespace = 'imp'::regnamespace ORDER BY c.oid;

-- the primary key first, then the keys as first seen; numbers, booleans,
-- ISO dates and timestamps, objects and arrays typed; a key only ever null
-- is text, and so is "12.50" next to 7; the two keys that differ only by
-- case each read their own key (json_path)
\d imp.types
SELECT * FROM imp.types ORDER BY id;

-- values that disagree get the widest type; keys that are no column name
-- are renamed and read through json_path; a nested object stays one jsonb
\d imp.mixed
SELECT * FROM imp.mixed ORDER BY id;

\d imp.daily_events
\d imp.paged

-- samples that give nothing to infer from: the primary key and the whole
-- record, which json_path '@' reads (scalars' records are not objects;
-- wide's have more keys than a table has columns)
\d imp.not_found
\d imp.scalars
\d imp.empty
\d imp.wide
SELECT * FROM imp.scalars;
SELECT try_sql('SELECT * FROM imp.not_found');

-- LIMIT TO, a smaller sample: two records are one page of paged, and one
-- iteration one day of daily_events (which are last week's: DAY below);
-- target_schema and range_column set on the tables they fit
CREATE SCHEMA imp2;
SELECT mock_requests('imp') IS NOT NULL AS forgotten;
IMPORT FOREIGN SCHEMA "Import tests" LIMIT TO (paged, daily_events) FROM SERVER imp INTO imp2
  OPTIONS (sample_records '2', sample_iterations '1', target_schema 'loaded',
           range_column 'date');
SELECT regexp_replace(mock_requests('imp')::text, '\d{4}-\d\d-\d\d', 'DAY', 'g') AS requests;
\d imp2.daily_events
\d imp2.paged

-- the imported table takes WHERE bounds on its range column, and
-- backfill_into loads it into the target with the spec's primary key
SELECT * FROM imp2.daily_events WHERE date = '2024-03-01' ORDER BY event_id;
SELECT mock_requests('imp');
CREATE SCHEMA loaded;
SELECT backfill_into('imp2.daily_events', '2024-01-01', '2024-01-02');
\d loaded.daily_events
SELECT event_id, date, kind, amount FROM loaded.daily_events ORDER BY event_id;
SELECT backfill_into('imp2.paged');
SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM loaded.paged;

-- sampling off: no request, the primary key and the whole record
CREATE SCHEMA imp3;
SELECT mock_requests('imp') IS NOT NULL AS forgotten;
IMPORT FOREIGN SCHEMA "Import tests" LIMIT TO (types, scalars) FROM SERVER imp INTO imp3
  OPTIONS (sample 'false');
SELECT mock_requests('imp');
\d imp3.types
SELECT id, record ->> 'name' AS name, record -> 'meta' AS meta FROM imp3.types ORDER BY id;

-- a sample is a scan: statement_timeout ends it (and the import), within a second
CREATE SCHEMA imp4;
SET statement_timeout = '1s';
IMPORT FOREIGN SCHEMA "Import tests" LIMIT TO (hang) FROM SERVER imp INTO imp4;
RESET statement_timeout;
SELECT count(*) AS tables FROM pg_class WHERE relnamespace = 'imp4'::regnamespace;

-- the same sample without a secret: the importing user's mapping is used
CREATE ROLE import_user;
GRANT USAGE ON FOREIGN SERVER imp TO import_user;
GRANT USAGE, CREATE ON SCHEMA imp4 TO import_user;
SET ROLE import_user;
IMPORT FOREIGN SCHEMA "Import tests" LIMIT TO (not_found) FROM SERVER imp INTO imp4;
RESET ROLE;
\d imp4.not_found

-- from a function, in a transaction that rolls back: a failing sample's
-- subtransaction inside PL/pgSQL's own, and nothing left behind
CREATE SCHEMA imp5;
BEGIN;
SELECT try_sql($$IMPORT FOREIGN SCHEMA x LIMIT TO (not_found, types) FROM SERVER imp INTO imp5$$);
SELECT count(*) AS tables FROM pg_class WHERE relnamespace = 'imp5'::regnamespace;
ROLLBACK;
SELECT count(*) AS tables FROM pg_class WHERE relnamespace = 'imp5'::regnamespace;

DROP SCHEMA imp, imp2, imp3, imp4, imp5, loaded CASCADE;
DROP SERVER imp CASCADE;
DROP ROLE import_user;
