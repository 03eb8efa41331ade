--
-- A target pg_partman manages (issue 17): backfill_into asks pg_partman
-- for the partitions a range lacks (create_partition_time, at the starts
-- its show_partition_name gives), so they get pg_partman's names, and its
-- default partition stays empty.  pg_partman 4.7 needs no preloaded
-- library without its background worker.
--
\set range_spec '/tmp/backfill_fdw_test/specs/range.yaml'
\getenv mock_url MOCK_URL
SET datestyle = 'ISO, YMD';
SET timezone = 'UTC';
SET client_min_messages = warning;
CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;
RESET client_min_messages;
CREATE SCHEMA pm;
SET search_path = pm, public;
CREATE SERVER pm_srv FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'range_spec', base_url :'mock_url');
SELECT count(*) FROM jsonb_array_elements(mock_requests('pm_srv'));

-- a monthly partition set from this month on (its partitions depend on
-- the date; the test looks only at those of 2024)
CREATE TABLE events (event_id text, date date, kind text, PRIMARY KEY (event_id, date))
  PARTITION BY RANGE (date);
SELECT partman.create_parent('pm.events', 'date', 'native', 'monthly', p_premake := 1,
                             p_start_partition := date_trunc('month', now())::date::text);
SELECT partition_interval FROM partman.part_config WHERE parent_table = 'pm.events';
SELECT count(*) AS partitions_of_2024 FROM partman.show_partitions('pm.events')
 WHERE partition_tablename LIKE '%2024%';
CREATE FOREIGN TABLE days (event_id text, date date, kind text) SERVER pm_srv
  OPTIONS (range_column 'date', target 'pm.events');

-- a range across three months that have no partition: pg_partman makes
-- them (no target_partition needed), the rows go there and not to the
-- default partition
SELECT backfill_into('days', '2024-01-30', '2024-03-01');
SELECT tableoid::regclass AS partition, min(date), max(date), count(*)
  FROM events GROUP BY 1 ORDER BY 1;
SELECT count(*) AS in_default FROM events_default;
SELECT partition_tablename FROM partman.show_partitions('pm.events')
 WHERE partition_tablename LIKE '%2024%' ORDER BY 1;
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'days'::regclass;
SELECT count(*) AS requests, min(r), max(r)
  FROM jsonb_array_elements_text(mock_requests('pm_srv')) r;
-- again: nothing to create, nothing rewritten
SELECT backfill_into('days', '2024-01-30', '2024-03-01');
SELECT count(*) AS requests FROM jsonb_array_elements(mock_requests('pm_srv'));
SELECT count(*) AS partitions_of_2024 FROM partman.show_partitions('pm.events')
 WHERE partition_tablename LIKE '%2024%';

-- a range inside a month pg_partman made and one it did not: only the
-- missing one is asked for; pg_partman's setting wins over target_partition
ALTER FOREIGN TABLE days OPTIONS (ADD target_partition 'day');
SELECT backfill_into('days', '2024-02-28', '2024-04-01');
SELECT tableoid::regclass AS partition, count(*) FROM events
 WHERE date >= '2024-02-28' GROUP BY 1 ORDER BY 1;
SELECT count(*) AS in_default FROM events_default;
SELECT count(*) AS requests FROM jsonb_array_elements(mock_requests('pm_srv'));

-- CALL backfill into the same set
CALL backfill_fdw.backfill('days', '2023-11-29', '2023-12-02', 2);
SELECT tableoid::regclass AS partition, count(*) FROM events
 WHERE date < '2024-01-01' GROUP BY 1 ORDER BY 1;
SELECT count(*) AS requests FROM jsonb_array_elements(mock_requests('pm_srv'));

SET client_min_messages = warning;
DROP SCHEMA pm CASCADE;
DROP SERVER pm_srv CASCADE;
DROP EXTENSION pg_partman;
DROP SCHEMA partman CASCADE;
RESET client_min_messages;
