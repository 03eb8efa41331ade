--
-- Secrets in the forms they take on the way to an API and back (issue 15):
-- a 401 body that echoes the request (Basic auth's base64 of user:password,
-- the query string percent-encoded by the engine and by encode_url(), with
-- '+' and in either hex case, JSON escapes, a header read as Latin-1 and
-- JSON-escaped) and a rule message built with encode_base64() and
-- encode_url().  Each error, from records() and as CALL backfill records
-- it in run_history, shows *** where a secret was and no form of it.
--
\set secrets_spec '/tmp/backfill_fdw_test/specs/secrets.yaml'
\getenv mock_url MOCK_URL
\set SHOW_CONTEXT never

CREATE SERVER bf_secrets FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'secrets_spec', base_url :'mock_url');
-- a password with a space, '/', '@', a quote, a backslash and an accent
CREATE USER MAPPING FOR CURRENT_USER SERVER bf_secrets
  OPTIONS (password 'p@ss w0rd/é"\x', api_key 'sk_test_MASKED_KEY');

-- what the API echoed, from records()
SELECT e AS endpoint,
       try_sql(format('SELECT * FROM backfill_fdw.records(%L, %L)', 'bf_secrets', e)) AS error
  FROM unnest(ARRAY['basic', 'query', 'lower', 'json', 'latin1', 'rule']) e;

-- the same errors kept by CALL backfill in run_history (the CALL's own
-- error is the same message: only its SQLSTATE is shown here)
CREATE FOREIGN TABLE sec_basic (id int) SERVER bf_secrets OPTIONS (endpoint 'basic', target 'sec_t1');
CREATE FOREIGN TABLE sec_query (id int) SERVER bf_secrets OPTIONS (endpoint 'query', target 'sec_t2');
CREATE FOREIGN TABLE sec_lower (id int) SERVER bf_secrets OPTIONS (endpoint 'lower', target 'sec_t3');
CREATE FOREIGN TABLE sec_json (id int) SERVER bf_secrets OPTIONS (endpoint 'json', target 'sec_t4');
CREATE FOREIGN TABLE sec_latin1 (id int) SERVER bf_secrets OPTIONS (endpoint 'latin1', target 'sec_t5');
CREATE FOREIGN TABLE sec_rule (id int) SERVER bf_secrets OPTIONS (endpoint 'rule', target 'sec_t6');
\set VERBOSITY sqlstate
CALL backfill_fdw.backfill('sec_basic', '2024-01-01', '2024-01-01');
CALL backfill_fdw.backfill('sec_query', '2024-01-01', '2024-01-01');
CALL backfill_fdw.backfill('sec_lower', '2024-01-01', '2024-01-01');
CALL backfill_fdw.backfill('sec_json', '2024-01-01', '2024-01-01');
CALL backfill_fdw.backfill('sec_latin1', '2024-01-01', '2024-01-01');
CALL backfill_fdw.backfill('sec_rule', '2024-01-01', '2024-01-01');
\set VERBOSITY default
SELECT foreign_table, status, replace(error, :'mock_url', 'MOCK') AS error
  FROM backfill_fdw.run_history WHERE foreign_table LIKE 'public.sec\_%' ORDER BY id;

-- and none of those six errors holds a secret or its base64, at any offset
SELECT count(DISTINCT h.id) FILTER (WHERE h.error IS NOT NULL) AS errors,
       count(*) FILTER (WHERE position(s IN h.error) > 0
                           OR position(substr(encode(convert_to(repeat('x', shift) || s, 'UTF8'),
                                                     'base64'), 5, 12)
                                       IN translate(h.error, E'\n', '')) > 0) AS leaks
  FROM backfill_fdw.run_history h,
       unnest(ARRAY['p@ss w0rd/é"\x', 'sk_test_MASKED_KEY']) s,
       generate_series(0, 2) shift
 WHERE h.foreign_table LIKE 'public.sec\_%';
