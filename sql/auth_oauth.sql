--
-- oauth2 as real APIs use it, against the mock API's token URL, which
-- checks each grant and refuses a wrong one: client_credentials, password
-- (a public client too) and refresh_token, tokens kept by the backend
-- across scans for one role and user mapping and never for another, a
-- token renewed when it expires (by its refresh token with
-- refresh_on_expire), a revoked token refreshed once on the API's 401;
-- and a login sequence.  No error shows a secret or a token.
--
\set oauth_spec '/tmp/backfill_fdw_test/specs/auth_oauth.yaml'
\getenv mock_url MOCK_URL

CREATE SERVER oauth FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'oauth_spec', base_url :'mock_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER oauth
  OPTIONS (client_id 'oa-app-one', client_secret 'oa-Secret-One7',
           username 'ann.lee@example.org', password 'ann-Passw0rd!',
           pub_client 'oa-public-two', pub_user 'bob.ray@example.org',
           pub_password 'bob-Passw0rd?', pub_refresh 'rt-Preset-7Zw2');

CREATE FOREIGN TABLE cc_data (grant_type text OPTIONS (json_path 'grant'), serial int, scope text)
  SERVER oauth OPTIONS (endpoint 'cc_data');
CREATE FOREIGN TABLE cc_short (grant_type text OPTIONS (json_path 'grant'), serial int)
  SERVER oauth OPTIONS (endpoint 'cc_short');
CREATE FOREIGN TABLE cc_denied (grant_type text OPTIONS (json_path 'grant'))
  SERVER oauth OPTIONS (endpoint 'cc_denied');
CREATE FOREIGN TABLE pw_data (grant_type text OPTIONS (json_path 'grant'), serial int)
  SERVER oauth OPTIONS (endpoint 'pw_data');
CREATE FOREIGN TABLE pw_refresh (grant_type text OPTIONS (json_path 'grant'), serial int)
  SERVER oauth OPTIONS (endpoint 'pw_refresh');
CREATE FOREIGN TABLE rt_data (grant_type text OPTIONS (json_path 'grant'), serial int)
  SERVER oauth OPTIONS (endpoint 'rt_data');
CREATE FOREIGN TABLE seq_data (id int, ok boolean)
  SERVER oauth OPTIONS (endpoint 'seq_data');

-- another role, whose user mapping has the same credentials (made now:
-- a change to any user mapping empties the backend's token cache)
CREATE ROLE regress_oauth_other;
GRANT SELECT ON cc_data TO regress_oauth_other;
CREATE USER MAPPING FOR regress_oauth_other SERVER oauth
  OPTIONS (client_id 'oa-app-one', client_secret 'oa-Secret-One7');

-- what the token URL saw of each client: token requests, grants, 401s
CREATE FUNCTION token_stats(endpoint text DEFAULT 'stats') RETURNS jsonb LANGUAGE sql AS $$
  SELECT r FROM backfill_fdw.records('oauth', endpoint) AS r
$$;

-- client credentials with two scopes: the token URL saw them
SELECT * FROM cc_data;
-- a second scan, and a join scanning it once per outer row, in the same
-- backend: the first token serves them all
SELECT * FROM cc_data;
SELECT g, c.serial FROM generate_series(1, 3) g
  CROSS JOIN LATERAL (SELECT serial FROM cc_data WHERE g IS NOT NULL) c ORDER BY g;
SELECT token_stats();

-- another role with a user mapping of the same credentials gets a token
-- of its own: the cache is kept per role and user mapping
SET ROLE regress_oauth_other;
SELECT * FROM cc_data;
SELECT * FROM cc_data;
RESET ROLE;
-- ... and the first role's token is still the first one
SELECT * FROM cc_data;
SELECT token_stats();

-- the API revokes the tokens: the next request's 401 gets a new token,
-- once, and the request is sent again; the scan sees no error
SELECT * FROM backfill_fdw.records('oauth', 'revoke');
SELECT * FROM cc_data;
SELECT token_stats();

-- a wrong secret: the token URL refuses it, the error names the token URL
-- and shows neither secret; the token of the old secret is not served
ALTER USER MAPPING FOR CURRENT_USER SERVER oauth OPTIONS (SET client_secret 'oa-Wrong-Secret3');
SELECT try_sql('SELECT * FROM cc_data') AS wrong_secret \gset
SELECT :'wrong_secret' AS error;
SELECT position('oa-Wrong-Secret3' IN :'wrong_secret') = 0 AND
       position('oa-Secret-One7' IN :'wrong_secret') = 0 AS secret_masked;
ALTER USER MAPPING FOR CURRENT_USER SERVER oauth OPTIONS (SET client_secret 'oa-Secret-One7');
SELECT * FROM cc_data;
SELECT token_stats();

-- an API that echoes the bearer token in its error: masked
SELECT try_sql('SELECT * FROM cc_denied') AS denied \gset
SELECT :'denied' AS error;
SELECT :'denied' LIKE '%Bearer ***%' AND position('at.' IN :'denied') = 0 AS token_masked;

-- a token good for 2 s (renewed 0.2 s early): a second scan at once reuses
-- it, one after it lapsed asks for a new one before sending, so the API
-- never refuses one (refused stays as it was)
SELECT * FROM cc_short;
SELECT * FROM cc_short;
SELECT pg_sleep(2.1);
SELECT * FROM cc_short;
SELECT token_stats();

-- the password grant of a public client: no client_secret is sent
SELECT * FROM pw_data;
SELECT * FROM pw_data;
-- a wrong password is refused (invalid_grant), and not shown
ALTER USER MAPPING FOR CURRENT_USER SERVER oauth OPTIONS (SET pub_password 'bob-Wrong-Pass5');
SELECT try_sql('SELECT * FROM pw_data') AS wrong_password \gset
SELECT :'wrong_password' AS error;
SELECT position('bob-Wrong-Pass5' IN :'wrong_password') = 0 AS secret_masked;
ALTER USER MAPPING FOR CURRENT_USER SERVER oauth OPTIONS (SET pub_password 'bob-Passw0rd?');

-- the refresh_token grant with the mapping's refresh token; the token URL
-- rotates it, and after a revocation the 401 is answered with the rotated
-- one, kept by the backend, not the mapping's
SELECT * FROM rt_data;
SELECT * FROM backfill_fdw.records('oauth', 'pub_revoke');
SELECT * FROM rt_data;
SELECT token_stats('pub_stats');

-- refresh_on_expire: a lapsed token is renewed with the refresh token that
-- came with it, not with the password
SELECT * FROM pw_refresh;
SELECT pg_sleep(2.1);
SELECT * FROM pw_refresh;
-- the API forgets the refresh tokens too: after the 401, the refused
-- refresh token gives way to the password grant
SELECT * FROM backfill_fdw.records('oauth', 'revoke_all');
SELECT * FROM pw_refresh;
SELECT (token_stats() ->> 'grants') AS grants;

-- a login sequence: its session id goes in every request; a session good
-- for one request only, so each later request's 401 runs the sequence
-- again and is sent again: three logins for three requests
SELECT * FROM seq_data;
SELECT * FROM backfill_fdw.records('oauth', 'seq_stats');
-- a wrong password fails the login call, named, and is not shown
ALTER USER MAPPING FOR CURRENT_USER SERVER oauth OPTIONS (SET password 'ann-Wrong-Pass8');
SELECT try_sql('SELECT * FROM seq_data') AS bad_login \gset
SELECT :'bad_login' AS error;
SELECT position('ann-Wrong-Pass8' IN :'bad_login') = 0 AS secret_masked;
ALTER USER MAPPING FOR CURRENT_USER SERVER oauth OPTIONS (SET password 'ann-Passw0rd!');

-- EXPLAIN shows the endpoint, no credential
EXPLAIN (COSTS OFF, VERBOSE) SELECT * FROM cc_data;

DROP USER MAPPING FOR regress_oauth_other SERVER oauth;
REVOKE SELECT ON cc_data FROM regress_oauth_other;
DROP ROLE regress_oauth_other;
DROP FUNCTION token_stats(text);
DROP SERVER oauth CASCADE;
