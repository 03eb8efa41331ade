--
-- Each spec of docs/cookbook.md (examples/cookbook/) against the mock API,
-- the way the cookbook uses it: CREATE SERVER, IMPORT FOREIGN SCHEMA or a
-- foreign table, a SELECT or backfill_into.
--
\getenv mock_url MOCK_URL
\set cookbook '/tmp/backfill_fdw_test/../examples/cookbook/'

-- == cursor pagination: 10 items over 4 pages, each once ==
SELECT :'cookbook' || 'cursor.yaml' AS spec \gset
CREATE SERVER cb_cursor FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cb_cursor OPTIONS (api_key 'sk_cookbook_1');
CREATE SCHEMA cb;
IMPORT FOREIGN SCHEMA cookbook FROM SERVER cb_cursor INTO cb;
SELECT count(*) AS items, count(DISTINCT id) AS distinct_ids, min(id), max(id) FROM cb.items;

-- == Link-header pagination: 3 pages of 2, following rel="next" ==
SELECT :'cookbook' || 'link_header.yaml' AS spec \gset
CREATE SERVER cb_link FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock_url');
CREATE FOREIGN TABLE cb_repos (id bigint, page int) SERVER cb_link OPTIONS (endpoint 'repos');
SELECT id, page FROM cb_repos ORDER BY id;

-- == page and offset pagination ==
SELECT :'cookbook' || 'page_offset.yaml' AS spec \gset
CREATE SERVER cb_pages FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock_url');
CREATE FOREIGN TABLE cb_by_page (id bigint, page int) SERVER cb_pages OPTIONS (endpoint 'by_page');
CREATE FOREIGN TABLE cb_by_offset (id bigint) SERVER cb_pages OPTIONS (endpoint 'by_offset');
SELECT page, count(*), min(id), max(id) FROM cb_by_page GROUP BY page ORDER BY page;
SELECT count(*), count(DISTINCT id), max(id) FROM cb_by_offset;

-- == incremental with updated_since: the second run asks only for what is newer ==
SELECT :'cookbook' || 'incremental.yaml' AS spec \gset
CREATE SERVER cb_incr FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock_url');
CREATE FOREIGN TABLE cb_customers (id bigint, name text, updated_at timestamptz)
  SERVER cb_incr OPTIONS (endpoint 'customers', target 'public.cb_customers_local');
SELECT backfill_into('cb_customers', '2024-03-02T12:00:00Z') AS first_run;
SELECT id, name FROM cb_customers_local ORDER BY id;
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'cb_customers'::regclass;
-- from the sync state: nothing after 2024-03-04T18:45:00Z
SELECT backfill_into('cb_customers') AS incremental_run;
-- a range that starts earlier loads the older rows; the cursor does not move back
SELECT backfill_into('cb_customers', '2024-01-01T00:00:00Z') AS older;
SELECT id, name FROM cb_customers_local ORDER BY id;
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'cb_customers'::regclass;

-- == epoch timestamps: seconds and milliseconds into timestamptz, fast path ==
SELECT :'cookbook' || 'epoch.yaml' AS spec \gset
CREATE SERVER cb_epoch FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock_url');
CREATE FOREIGN TABLE cb_events (
  id bigint,
  created timestamptz,
  created_ms timestamptz OPTIONS (epoch 'ms')
) SERVER cb_epoch OPTIONS (endpoint 'events');
SET timezone = 'UTC';
SELECT id, created, created_ms FROM cb_events ORDER BY id;
RESET timezone;

DROP SCHEMA cb CASCADE;
DROP TABLE cb_customers_local;
DROP SERVER cb_cursor, cb_link, cb_pages, cb_incr, cb_epoch CASCADE;
