--
-- Issue 12: real Sling specs run unchanged.  Sling's official specs
-- (test/specs/official/, from sling-cli's api/specs/) each run one request
-- of every endpoint against the mock API's /official/<spec>/ routes, which
-- answer every path, with inputs given as a server option.  An endpoint
-- shows "ok" with the method and path the mock saw, or the error it failed
-- with.
--
\getenv mock_url MOCK_URL
\set official '/tmp/backfill_fdw_test/specs/official/'
\set p_attio :official 'attio.yaml'
\set p_dbt_cloud :official 'dbt_cloud.yaml'
\set p_sling_platform :official 'sling_platform.yaml'
\set p_uberall :official 'uberall.yaml'
\set p_test_spec_sling_platform :official 'test_spec_sling_platform.yaml'

-- Every page of an endpoint (the mock's first page has a record, the next
-- none): how many records came and what the mock saw of the first
-- request, or the error; warnings are the caller's to see.  A secret of
-- the user mapping in the path the mock saw (attio's object id) is shown
-- as ***, as the engine masks secrets of 3 characters or more.
CREATE FUNCTION official_run(srv name, ep text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  r jsonb;
  n bigint;
  path text;
  secret text;
BEGIN
  SELECT count(*), (array_agg(rec))[1] INTO n, r
  FROM backfill_fdw.records(srv, ep) AS rec;
  path := coalesce(r #>> '{request,path}', '-');
  FOR secret IN
    SELECT substr(o, strpos(o, '=') + 1)
    FROM pg_user_mappings AS um, unnest(um.umoptions) AS o
    WHERE um.srvname = srv AND um.usename = current_user
  LOOP
    IF length(secret) >= 3 THEN
      path := replace(path, secret, '***');
    END IF;
  END LOOP;
  RETURN format('ok: %s record(s), %s %s auth=%s', n,
                coalesce(r #>> '{request,method}', '-'), path,
                coalesce(r #>> '{request,authorization}', '-'));
EXCEPTION WHEN OTHERS THEN
  RETURN 'error ' || SQLSTATE || ': ' ||
         replace(SQLERRM, current_setting('bf_test.mock_url'), 'MOCK');
END $$;

-- the official specs that load without queues, one server each
\set url :mock_url '/official/'
\set u :url 'attio'
CREATE SERVER o_attio FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'p_attio', base_url :'u', inputs '{}');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_attio
  OPTIONS (api_key 'attio-test-key', people_object_id 'people-object-7');
\set u :url 'dbt_cloud'
CREATE SERVER o_dbt FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'p_dbt_cloud', base_url :'u', inputs '{}');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_dbt
  OPTIONS (api_token 'dbt-test-token', account_id '42');
\set u :url 'sling_platform'
CREATE SERVER o_sling FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'p_sling_platform', base_url :'u', inputs '{}');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_sling OPTIONS (api_token 'sling-test-token');
-- uberall's url is https://uberall.com/..., no state key: it loads, but
-- only a proxy could bring its requests to the mock
CREATE SERVER o_uberall FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'p_uberall', inputs '{}');
-- sling-cli's test spec: base_url is in no defaults.state, only the
-- connection's state sets it
\set u :url 'test_spec'
CREATE SERVER o_test_spec FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'p_test_spec_sling_platform', base_url :'u');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_test_spec OPTIONS (api_token 'test-spec-token');

SELECT srv, ep, official_run(srv, ep) AS result
FROM (VALUES ('o_attio', 'people'),
             ('o_dbt', 'jobs'), ('o_dbt', 'runs'), ('o_dbt', 'users'),
             ('o_sling', 'connections'), ('o_sling', 'executions'),
             ('o_sling', 'executions_many'),
             ('o_test_spec', 'connections'), ('o_test_spec', 'executions'),
             ('o_test_spec', 'executions_many')) AS e(srv, ep)
ORDER BY 1, 2;

-- the specs that use queues (sling-cli's github and stripe; inputs as
-- github and stripe read them): a consumer's producers run first, in
-- fill mode, and "- -" is a record whose jmespath keeps no request field.
\set u :url 'github'
\set p :official 'github.yaml'
CREATE SERVER o_github FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'p', base_url :'u',
           inputs '{"owner": "acme", "repositories": ["api"], "anchor_date": "2025-01-01"}');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_github OPTIONS (access_token 'gh-test-token');
\set u :url 'stripe'
\set p :official 'stripe.yaml'
CREATE SERVER o_stripe FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'p', base_url :'u', inputs '{"anchor_date": "2025-01-01"}');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_stripe OPTIONS (api_key 'stripe-test-key');
SELECT ep, official_run('o_github', ep) AS result
FROM unnest(ARRAY['organizations', 'users', 'repositories', 'assignees', 'branches',
                  'collaborators', 'issue_labels', 'tags', 'teams', 'commits', 'issues',
                  'pull_requests', 'releases', 'deployments', 'events', 'issue_milestones',
                  'projects', 'stargazers', 'workflows', 'workflow_runs', 'comments',
                  'issue_events', 'issue_reactions', 'issue_timeline', 'commit_comments',
                  'pull_request_commits', 'pull_request_stats', 'reviews', 'review_comments',
                  'project_columns', 'project_cards', 'issue_comment_reactions',
                  'commit_comment_reactions', 'pull_request_comment_reactions']) AS ep;
SELECT ep, official_run('o_stripe', ep) AS result
FROM unnest(ARRAY['account', 'charge', 'coupon', 'dispute', 'credit_note',
                  'credit_note_line_item', 'customer', 'customer_balance_transaction',
                  'invoice', 'invoice_item', 'invoice_line_item', 'payment_intent',
                  'payment_method', 'payout', 'plan', 'price', 'product', 'refund',
                  'setup_intent', 'setup_attempt', 'subscription', 'subscription_item',
                  'event', 'customer_update', 'charge_update', 'coupon_update',
                  'credit_note_update', 'invoice_update', 'payment_method_update',
                  'payout_update', 'refund_update', 'customer_subscription_update',
                  'customer_discount_update']) AS ep;
-- Sling's two shopify specs: Sling's own loader refuses them (its
-- validateSync: product_variant's sync key last_id has no processor);
-- here that is a warning, and they run
\set u :url 'shopify_graphql'
\set p :official 'shopify_graphql.yaml'
CREATE SERVER o_shopify_graphql FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'p', base_url :'u');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_shopify_graphql
  OPTIONS (shop_name 'acme-shop', access_token 'shpat-graphql-test');
\set u :url 'shopify_legacy'
\set p :official 'shopify_legacy.yaml'
CREATE SERVER o_shopify_legacy FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'p', base_url :'u');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_shopify_legacy
  OPTIONS (shop_name 'acme-shop', access_token 'shpat-legacy-test');
SELECT srv, ep, official_run(srv, ep) AS result
FROM unnest(ARRAY['o_shopify_graphql', 'o_shopify_legacy']) AS srv,
     unnest(ARRAY['shop', 'product', 'product_variant', 'product_image', 'collection',
                  'smart_collection', 'order', 'order_transaction', 'refund', 'customer',
                  'customer_address', 'customer_order', 'inventory_item', 'inventory_level',
                  'abandoned_checkout']) AS ep
WHERE ep <> 'smart_collection' OR srv = 'o_shopify_legacy'
ORDER BY 1, 2;

-- issue 12's spec language as github's spec uses it, in a spec of our own:
-- inputs, a state key only the server sets, a setup call in defaults
\set u :url 'spec_language'
CREATE SERVER o_lang FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec '/tmp/backfill_fdw_test/specs/spec_language.yaml', api_root :'u',
           inputs '{"owner": "acme", "repositories": ["api", "web"]}');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_lang OPTIONS (token 'lang-test-token');
-- the setup call sent defaults.request's Accept and the authentication's
-- header; over iterated what it stored
SELECT rec ->> 'setup_accept' AS setup_accept, rec ->> 'setup_auth' AS setup_auth,
       rec #>> '{request,path}' AS path
FROM backfill_fdw.records('o_lang', 'repos') AS rec;
-- a scan of a foreign table gets the same inputs and server-set state
CREATE FOREIGN TABLE lang_repos (setup_accept text, setup_auth boolean, id int)
  SERVER o_lang OPTIONS (endpoint 'repos');
SELECT * FROM lang_repos ORDER BY 1;
SELECT r.id, count(*) FROM lang_repos r JOIN (VALUES (1), (2)) AS v(id) USING (id) GROUP BY 1;
-- an over that is null warns, naming the endpoint and the expression
SELECT count(*) FROM backfill_fdw.records('o_lang', 'nothing');
-- inputs.owner read through require(): without inputs, its message
ALTER SERVER o_lang OPTIONS (DROP inputs);
SELECT try_sql($$SELECT * FROM backfill_fdw.records('o_lang', 'repos')$$);

-- inputs must be a JSON object, and the error names the option
ALTER SERVER o_lang OPTIONS (ADD inputs 'owner=acme');
ALTER SERVER o_lang OPTIONS (ADD inputs '["acme"]');
ALTER SERVER o_lang OPTIONS (ADD inputs '{"owner": "acme"} x');
ALTER SERVER o_lang OPTIONS (ADD inputs '{"owner": "acme"}');
-- a state key the spec never reads is still an error, with a suggestion
ALTER SERVER o_lang OPTIONS (ADD api_rot 'x');
ALTER SERVER o_test_spec OPTIONS (ADD page 'x');
-- a key the spec reads but defaults.state lacks is one a server may set
ALTER SERVER o_lang OPTIONS (SET inputs '{"owner": "acme", "repositories": ["api"]}',
                             ADD repo 'x');
SELECT count(*) FROM backfill_fdw.records('o_lang', 'repos');

DROP SERVER o_attio, o_dbt, o_sling, o_uberall, o_test_spec, o_github, o_stripe, o_lang,
  o_shopify_graphql, o_shopify_legacy CASCADE;
DROP FUNCTION official_run(name, text);
