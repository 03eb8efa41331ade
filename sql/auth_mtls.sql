--
-- mtls: a client certificate, its key and the CA from the user mapping,
-- given to libcurl as blobs (never written to a file), against an HTTPS
-- listener of the mock API that demands a certificate from its throw-away
-- CA (made by the openssl command when first asked for, /tls/info).
--
\set auth_spec '/tmp/backfill_fdw_test/specs/auth.yaml'
\getenv mock_url MOCK_URL

CREATE SERVER mtls FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'auth_spec', base_url :'mock_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER mtls;
CREATE FOREIGN TABLE tls_info (url text, ca_pem text, client_pem text, client_key text)
  SERVER mtls OPTIONS (endpoint 'tls_info');
CREATE FOREIGN TABLE mtls_items (name text, client text)
  SERVER mtls OPTIONS (endpoint 'mtls_items');

-- the listener's address and the PEM text (new in every run) go into the
-- server and the user mapping
CREATE FUNCTION mtls_setup(ca boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t record;
BEGIN
  SELECT * INTO t FROM tls_info;
  EXECUTE format('ALTER SERVER mtls OPTIONS (%s tls_url %L)',
                 CASE WHEN ca THEN 'ADD' ELSE 'SET' END, t.url);
  EXECUTE format('ALTER USER MAPPING FOR CURRENT_USER SERVER mtls OPTIONS '
                 '(%1$s client_cert %2$L, %1$s client_key %3$L, %1$s ca_cert %4$L)',
                 CASE WHEN ca THEN 'ADD' ELSE 'SET' END, t.client_pem, t.client_key,
                 t.ca_pem);
END $$;
SELECT mtls_setup(true);

-- the right certificate: the listener saw the client's name
SELECT * FROM mtls_items;

-- without the CA (an empty one means the system's) the server is not
-- trusted; a key that is not one fails before the handshake; no error
-- shows the PEM text
ALTER USER MAPPING FOR CURRENT_USER SERVER mtls OPTIONS (SET ca_cert '');
SELECT regexp_replace(try_sql('SELECT * FROM mtls_items'), ':\d+/', ':PORT/') AS error;
SELECT mtls_setup(false);
SELECT count(*) FROM mtls_items;
ALTER USER MAPPING FOR CURRENT_USER SERVER mtls OPTIONS (SET client_key 'not a key');
SELECT try_sql('SELECT * FROM mtls_items') AS bad_key \gset
SELECT regexp_replace(:'bad_key', ':\d+/', ':PORT/') AS error;
SELECT position('BEGIN' IN :'bad_key') = 0 AS no_pem;

DROP SERVER mtls CASCADE;
DROP FUNCTION mtls_setup(boolean);
