-- test/bench/bench_scan.sql, run by bench_scan.sh
CREATE EXTENSION backfill_fdw;
CREATE SERVER bench FOREIGN DATA WRAPPER backfill_fdw OPTIONS (spec :'spec', base_url :'mock');
CREATE SERVER mem100k FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock', pages '20', size '5000');
CREATE SERVER mem1m FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock', pages '200', size '5000');
CREATE FOREIGN TABLE latency (id text) SERVER bench;
CREATE FOREIGN TABLE bulk (id int, name text, value float8, ts timestamptz, flag boolean) SERVER bench;
CREATE FOREIGN TABLE bulk_bodies (items jsonb) SERVER bench;
CREATE FOREIGN TABLE mem_100k (id int, name text, value float8, ts timestamptz, flag boolean)
  SERVER mem100k OPTIONS (endpoint 'bulk');
CREATE FOREIGN TABLE mem_1m (id int, name text, value float8, ts timestamptz, flag boolean)
  SERVER mem1m OPTIONS (endpoint 'bulk');

-- the best of n runs of a query, in seconds
CREATE FUNCTION best_of(q text, n int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8 := 'infinity'; i int;
BEGIN
  FOR i IN 1..n LOOP
    t0 := clock_timestamp();
    EXECUTE q;
    best := least(best, extract(epoch FROM clock_timestamp() - t0));
  END LOOP;
  RETURN best;
END $$;

-- 1. latency-bound: the ideal is 100 requests / 10 at a time x 0.1 s
SELECT best_of('SELECT count(*) FROM latency', 3) AS latency_s \gset
SELECT format('latency: 100 requests of 100 ms, 10 at a time: %s s, ideal 1.0 s, T/ideal %s (goal: at most 1.10)',
              round(:latency_s::numeric, 3), round(:latency_s::numeric / 1.0, 3)) AS line \gset
\echo :line

-- 2. 200k records: over HTTP, and PostgreSQL's jsonb_to_recordset over the same bodies
CREATE TABLE bodies AS SELECT items AS body FROM bulk_bodies;
SELECT count(*) AS pages, sum(jsonb_array_length(body)) AS records FROM bodies \gset
SELECT best_of($$SELECT sum(id), count(name), sum(value), max(ts), count(*) FILTER (WHERE flag) FROM bulk$$, 5)
  AS scan_s \gset
SELECT best_of($$SELECT sum(id), count(name), sum(value), max(ts), count(*) FILTER (WHERE flag)
                 FROM bodies, jsonb_to_recordset(body)
                      AS x(id int, name text, value float8, ts timestamptz, flag boolean)$$, 5)
  AS local_s \gset
SELECT format('throughput: %s records in %s pages: backfill_fdw over HTTP %s s, jsonb_to_recordset over the bodies in a table %s s, ratio %s (goal: at most 1.0)',
              :records, :pages, round(:scan_s::numeric, 3), round(:local_s::numeric, 3),
              round(:scan_s::numeric / :local_s::numeric, 3)) AS line \gset
\echo :line
