--
-- Authentication that signs each request: aws-sigv4 (signed by libcurl)
-- and hmac (libcrypto), against the mock API, which checks the signature
-- and refuses a wrong one; the keys come from the user mapping and no
-- error shows them.
--
\set auth_spec '/tmp/backfill_fdw_test/specs/auth.yaml'
\getenv mock_url MOCK_URL

CREATE SERVER auth FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'auth_spec', base_url :'mock_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER auth
  OPTIONS (aws_key 'AKIDBACKFILLTEST', aws_secret 'sigv4/Secret+Key=42');

CREATE FOREIGN TABLE aws_items (name text, region text, service text)
  SERVER auth OPTIONS (endpoint 'aws_items');
CREATE FOREIGN TABLE aws_temp (name text, region text, service text)
  SERVER auth OPTIONS (endpoint 'aws_temp');

-- the right keys: the mock verified the signature, region and service
SELECT * FROM aws_items;

-- a wrong secret, then a wrong key id: refused by the API, and the error
-- shows neither the secret used nor the right one
ALTER USER MAPPING FOR CURRENT_USER SERVER auth
  OPTIONS (SET aws_secret 'sigv4/Wrong+Key=41');
SELECT try_sql('SELECT * FROM aws_items') AS wrong_secret \gset
SELECT :'wrong_secret' AS error;
SELECT position('Wrong+Key' IN :'wrong_secret') = 0 AND
       position('Wrong%2BKey' IN :'wrong_secret') = 0 AND
       position('Secret+Key' IN :'wrong_secret') = 0 AS secret_masked;
ALTER USER MAPPING FOR CURRENT_USER SERVER auth
  OPTIONS (SET aws_key 'AKIDUNKNOWN', SET aws_secret 'sigv4/Secret+Key=42');
SELECT try_sql('SELECT * FROM aws_items') AS error;

-- a region that cannot be one: named with its key, before any request
ALTER USER MAPPING FOR CURRENT_USER SERVER auth
  OPTIONS (SET aws_key 'AKIDBACKFILLTEST');
ALTER SERVER auth OPTIONS (ADD region 'eu:west');
SELECT try_sql('SELECT * FROM aws_items') AS error;
ALTER SERVER auth OPTIONS (DROP region);
SELECT count(*) FROM aws_items;

-- temporary credentials: the session token is sent and signed, with a body
ALTER USER MAPPING FOR CURRENT_USER SERVER auth
  OPTIONS (SET aws_key 'ASIATEMPBACKFILL', SET aws_secret 'temp-secret-7Qx',
           ADD aws_token 'session-token-9Zy');
SELECT * FROM aws_temp;
ALTER USER MAPPING FOR CURRENT_USER SERVER auth OPTIONS (SET aws_token 'session-token-bad');
SELECT try_sql('SELECT * FROM aws_temp') AS wrong_token \gset
SELECT :'wrong_token' AS error;
SELECT position('session-token-bad' IN :'wrong_token') = 0 AND
       position('temp-secret-7Qx' IN :'wrong_token') = 0 AS secret_masked;

-- the signature is made per request: a join that scans the table again
-- for each outer row is signed every time
ALTER USER MAPPING FOR CURRENT_USER SERVER auth
  OPTIONS (SET aws_key 'AKIDBACKFILLTEST', SET aws_secret 'sigv4/Secret+Key=42');
SELECT g, a.name FROM generate_series(1, 2) g CROSS JOIN LATERAL
  (SELECT name FROM aws_items WHERE g IS NOT NULL) a ORDER BY g;
EXPLAIN (COSTS OFF) SELECT * FROM aws_items;

-- hmac: HMAC-SHA256 with a raw secret, HMAC-SHA512 with a base64 one
CREATE FOREIGN TABLE hmac_items (name text, key text)
  SERVER auth OPTIONS (endpoint 'hmac_items');
CREATE FOREIGN TABLE hmac_512 (name text, key text)
  SERVER auth OPTIONS (endpoint 'hmac_512');
ALTER USER MAPPING FOR CURRENT_USER SERVER auth
  OPTIONS (ADD hmac_secret 'hmac-secret-5Tq',
           ADD hmac_key_b64 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=');
SELECT * FROM hmac_items;
SELECT * FROM hmac_512;
-- each request has its own nonce: a second scan is not a replay
SELECT g, h.name FROM generate_series(1, 2) g CROSS JOIN LATERAL
  (SELECT name FROM hmac_items WHERE g IS NOT NULL) h ORDER BY g;

-- a wrong secret is refused; a secret that is not base64 fails before any
-- request, naming the key and not the value
ALTER USER MAPPING FOR CURRENT_USER SERVER auth OPTIONS (SET hmac_secret 'hmac-secret-BAD');
SELECT try_sql('SELECT * FROM hmac_items') AS wrong_hmac \gset
SELECT :'wrong_hmac' AS error;
SELECT position('hmac-secret-BAD' IN :'wrong_hmac') = 0 AS secret_masked;
ALTER USER MAPPING FOR CURRENT_USER SERVER auth OPTIONS (SET hmac_key_b64 'not*base64');
SELECT try_sql('SELECT * FROM hmac_512') AS error;

DROP SERVER auth CASCADE;
