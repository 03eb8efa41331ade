-- test/bench/bench_queue.sql: the objects of test/bench/bench_queue.sh
-- (issue 11): a 1M-item queue and a 10k-item one, each read back by a
-- consumer, and a parent/child pair of 100 children of 100 ms each.
-- Variables: spec (test/specs/bench_queue.yaml), mock (the mock API's URL).
CREATE EXTENSION IF NOT EXISTS backfill_fdw;
CREATE SERVER queue_big FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock', pages '100', size '10000');
CREATE SERVER queue_small FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock', pages '1', size '10000');
CREATE SERVER queue_slow FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock', size '100', ms '100');
CREATE FOREIGN TABLE items_1m (id int) SERVER queue_big OPTIONS (endpoint 'items');
CREATE FOREIGN TABLE items_10k (id int) SERVER queue_small OPTIONS (endpoint 'items');
CREATE FOREIGN TABLE slow_children (id text) SERVER queue_slow OPTIONS (endpoint 'children');
