--
-- What the other tests share.  pg_regress runs this first (see Makefile).
--
\getenv mock_url MOCK_URL
-- the mock API's address for try_sql, in every later session of this database
SELECT format('ALTER DATABASE %I SET bf_test.mock_url = %L', current_database(), :'mock_url')
  AS set_mock_url \gset
:set_mock_url;

-- Runs a statement and shows its SQLSTATE and message, with the mock API's
-- address (a port that changes from run to run) written as MOCK and curl's
-- timings as N.
CREATE FUNCTION try_sql(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE stmt;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' ||
         regexp_replace(replace(SQLERRM, current_setting('bf_test.mock_url'), 'MOCK'),
                        'after \d+ ms', 'after N ms');
END $$;

-- EXPLAIN ANALYZE of a query with the figures that vary from run to run
-- (bytes, waits, sort memory) written as N
CREATE FUNCTION explain_analyze(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    line := regexp_replace(line, 'Bytes Received: \d+', 'Bytes Received: N');
    line := regexp_replace(line, 'Wait Time: [\d.]+ s', 'Wait Time: N s');
    line := regexp_replace(line, 'Memory: \d+kB', 'Memory: NkB');
    RETURN NEXT line;
  END LOOP;
END $$;

-- The requests the mock API logged under ?log=range (test/specs/range.yaml)
-- since the last call, sorted, asked through the given server
CREATE FUNCTION mock_requests(server name) RETURNS jsonb LANGUAGE sql AS $$
  SELECT r -> 'requests' FROM backfill_fdw.records(server, 'logged') AS r
$$;

-- The same as rows, each request with the times it was made (sql/queues*.sql)
CREATE FUNCTION mock_request_counts(server name) RETURNS TABLE (request text, n bigint)
LANGUAGE sql AS $$
  SELECT r, count(*) FROM jsonb_array_elements_text(mock_requests(server)) r
   GROUP BY r ORDER BY r
$$;
