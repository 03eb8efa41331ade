-- test/bench/bench_rss.sql: what an idle backend keeps after one big response
-- (issue 15, item 10d).  Not a test: it prints the backend's resident size
-- (VmRSS) and peak (VmHWM) before and after scanning one 600,000-record
-- (~66 MB) body of the mock API, on the fast path (records as bytes) and the
-- tree path (a json_path column makes json-c trees).  Run as a superuser
-- (pg_read_file of /proc) in a fresh database with the mock API running:
--   MOCK_URL=http://127.0.0.1:PORT psql -X -v spec=/path/to/test/specs/bench.yaml -f test/bench/bench_rss.sql
-- Baseline (before malloc_trim at scan end): 714 MB kept after the tree scan.
\getenv mock_url MOCK_URL
CREATE EXTENSION IF NOT EXISTS backfill_fdw;
CREATE SERVER rss_bench FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock_url', pages '1', size '600000');
CREATE USER MAPPING FOR CURRENT_USER SERVER rss_bench;
CREATE FOREIGN TABLE rss_raw (id int, name text, value float8, ts text, flag bool)
  SERVER rss_bench OPTIONS (endpoint 'bulk');
CREATE FOREIGN TABLE rss_tree (id int, name text OPTIONS (json_path 'name'), value float8,
                               ts text, flag bool)
  SERVER rss_bench OPTIONS (endpoint 'bulk');
-- one line of /proc/<backend>/status
CREATE FUNCTION pg_temp.status(field text) RETURNS text LANGUAGE sql AS $$
  SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status')
                   from field || ':\s*(\d+ kB)') $$;
SELECT 'baseline' AS at, pg_temp.status('VmRSS') AS rss, pg_temp.status('VmHWM') AS peak;
SELECT count(*) FROM rss_raw;
SELECT 'after the fast path' AS at, pg_temp.status('VmRSS') AS rss, pg_temp.status('VmHWM') AS peak;
SELECT count(*) FROM rss_tree;
SELECT 'after the tree path' AS at, pg_temp.status('VmRSS') AS rss, pg_temp.status('VmHWM') AS peak;
DROP SERVER rss_bench CASCADE;
