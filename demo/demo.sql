-- demo/demo.sql: the seed's analytics spec against the mock API.
\echo '== the extension, a server on the spec, a secret, a foreign table'
CREATE EXTENSION backfill_fdw;
CREATE SERVER analytics FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock');
CREATE USER MAPPING FOR CURRENT_USER SERVER analytics
  OPTIONS (api_key 'sk_demo_not_a_real_key');
CREATE FOREIGN TABLE daily_events (
  event_id  text,
  date      date,
  kind      text,
  amount    numeric,
  payload   jsonb
) SERVER analytics
  OPTIONS (endpoint 'daily_events', range_column 'date');

\echo '== the first three days of 2024, fetched live'
SELECT * FROM backfill_fdw.records('analytics', 'daily_events', '2024-01-01', '2024-01-03') LIMIT 3;
