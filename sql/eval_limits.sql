--
-- evaluate() and render() are bounded and interruptible (issue 15, item 5):
-- one evaluation may build at most BF_EVAL_MAX_BYTES of values in total,
-- and a long one honours statement_timeout while it runs.
--
-- the SQLSTATE and the start of the message of running sql
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION
  WHEN query_canceled THEN RETURN 'canceled ' || SQLSTATE || ': ' || SQLERRM;
  WHEN OTHERS THEN RETURN SQLSTATE || ': ' || left(SQLERRM, 140);
END $$;

-- one full range is fine; forty of them (5.2 GB before) fail at the limit
SELECT backfill_fdw.evaluate('length(range(1, 1000000))');
SELECT pg_temp.try(format('SELECT backfill_fdw.evaluate(%L)',
       (SELECT string_agg('length(range(1, 1000000))', ' + ') FROM generate_series(1, 40))));
-- the limit is a total: dropped values count, and so do a template's parts
SELECT pg_temp.try($q$SELECT backfill_fdw.evaluate('length(range(1, 1000000)) + length(range(1, 1000000)) + length(range(1, 1000000))')$q$);
SELECT pg_temp.try($q$SELECT backfill_fdw.render('{length(range(1, 1000000))}-{length(range(1, 1000000))}-{length(range(1, 1000000))}')$q$);
-- each call has its own budget
SELECT backfill_fdw.render('{length(range(1, 1000000))}-{length(range(1, 1000000))}')
FROM generate_series(1, 2);

-- statement_timeout stops a long evaluation (a sort of a million dates takes
-- well over a second) while it runs: canceled soon after the timeout
SET statement_timeout = '200ms';
CREATE TEMP TABLE took AS SELECT clock_timestamp() AS t0;
SELECT pg_temp.try($q$SELECT backfill_fdw.evaluate('length(sort(range("1900-01-01", "2010-01-01", 1, "hour"), "desc"))')$q$);
SELECT clock_timestamp() - t0 < interval '1 s' AS canceled_within_a_second FROM took;
-- a render too
SELECT pg_temp.try($q$SELECT backfill_fdw.render('n={length(sort(range("1900-01-01", "2010-01-01", 1, "hour"), "desc"))}')$q$);
-- and a scan whose iterate.over is that expression (the runner evaluates it)
\getenv mock_url MOCK_URL
CREATE SERVER heavy FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec '/tmp/backfill_fdw_test/specs/heavy.yaml', base_url :'mock_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER heavy;
CREATE FOREIGN TABLE heavy_slow (event_id text) SERVER heavy OPTIONS (endpoint 'slow');
CREATE FOREIGN TABLE heavy_huge (event_id text) SERVER heavy OPTIONS (endpoint 'huge');
UPDATE took SET t0 = clock_timestamp();
SELECT pg_temp.try('SELECT count(*) FROM heavy_slow');
SELECT clock_timestamp() - t0 < interval '1 s' AS canceled_within_a_second FROM took;
RESET statement_timeout;
SELECT pg_temp.try('SELECT count(*) FROM heavy_huge');
DROP SERVER heavy CASCADE;
-- and the backend is fine afterwards
SELECT backfill_fdw.evaluate('1 + 1');
