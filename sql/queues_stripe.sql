--
-- A parent/child pair in the style of Sling's stripe.yaml (customers, and
-- each customer's charges through queue.customer_ids) against the mock
-- API's Stripe-like /q/v1: the rows, the exact requests, and the
-- producer's sync state, which a SELECT reads (when its user may read the
-- producer's table) and backfill_server writes.
--
\set spec '/tmp/backfill_fdw_test/specs/stripe_like.yaml'
\getenv mock_url MOCK_URL
CREATE SCHEMA stripe;
SET search_path = stripe, public;
SELECT :'mock_url' || '/q/v1' AS stripe_url \gset

CREATE SERVER stripe_api FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'stripe_url', mock :'mock_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER stripe_api OPTIONS (api_key 'sk_test_queues_4242');
CREATE FOREIGN TABLE customer (id text, email text) SERVER stripe_api
  OPTIONS (target 'stripe.customers');
CREATE FOREIGN TABLE customer_charge (id text, customer_id text, amount int) SERVER stripe_api
  OPTIONS (target 'stripe.charges');
SELECT * FROM mock_request_counts('stripe_api');

-- the charges of every customer: two pages of customers, a request per customer
SELECT * FROM customer_charge ORDER BY id;
SELECT * FROM mock_request_counts('stripe_api');
EXPLAIN (COSTS OFF) SELECT * FROM customer_charge;

-- both tables loaded, customers first and fetched once
SELECT * FROM backfill_fdw.backfill_server('stripe_api');
SELECT * FROM mock_request_counts('stripe_api');
SELECT * FROM customers ORDER BY id;
SELECT count(*), sum(amount) FROM charges;
SELECT endpoint, sync FROM backfill_fdw.sync_state
  WHERE foreign_table IN ('customer'::regclass, 'customer_charge'::regclass) ORDER BY 1;

-- the next SELECT of the charges starts its producer from the customer's
-- sync state (starting_after cus_3): no new customer, no charge request
SELECT count(*) FROM customer_charge;
SELECT * FROM mock_request_counts('stripe_api');
EXPLAIN (COSTS OFF) SELECT * FROM customer_charge;
-- and it moved no sync state
SELECT endpoint, sync FROM backfill_fdw.sync_state
  WHERE foreign_table IN ('customer'::regclass, 'customer_charge'::regclass) ORDER BY 1;

-- from an older cursor: the customers after it, and their charges
UPDATE backfill_fdw.sync_state SET sync = '{"last_id": "cus_1"}'
  WHERE foreign_table = 'customer'::regclass;
SELECT * FROM customer_charge ORDER BY id;
SELECT * FROM mock_request_counts('stripe_api');

-- a role that may read the charges but not the customers' table does not
-- see (or use) the customers' sync state
CREATE ROLE stripe_reader;
GRANT USAGE ON SCHEMA stripe TO stripe_reader;
GRANT SELECT ON customer_charge TO stripe_reader;
CREATE USER MAPPING FOR stripe_reader SERVER stripe_api OPTIONS (api_key 'sk_test_queues_4242');
SET ROLE stripe_reader;
EXPLAIN (COSTS OFF) SELECT * FROM customer_charge;
SELECT count(*) FROM customer_charge;
RESET ROLE;
SELECT * FROM mock_request_counts('stripe_api');

DROP SCHEMA stripe CASCADE;
DROP SERVER stripe_api CASCADE;
DROP ROLE stripe_reader;
