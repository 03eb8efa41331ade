--
-- The first live SELECT: a one-request endpoint of the mock API, every
-- column type, the column mapping rules, conversion errors, HTTP errors and
-- masked secrets.
--
\set mock_spec '/tmp/backfill_fdw_test/specs/mock.yaml'
\getenv mock_url MOCK_URL
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

CREATE SERVER mock FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'mock_spec', base_url :'mock_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER mock
  OPTIONS (api_key 'sk_test_SECRET123');


-- every column type: by name, case-insensitively, by json_path
CREATE FOREIGN TABLE types (
  id        int,
  name      text,
  big       bigint,
  ratio     float8,
  price     numeric(6,2),
  active    boolean,
  day       date,
  at        timestamptz,
  meta      jsonb,
  tags      json,
  tags_text text OPTIONS (json_path 'tags'),
  first_tag text OPTIONS (json_path 'tags[0]'),
  meta_k    int[] OPTIONS (json_path 'meta.k'),
  tag_arr   text[] OPTIONS (json_path 'tags'),
  mixedcase text,
  "MixedCase" text,
  nothing   text,
  missing   text,
  note      text
) SERVER mock OPTIONS (endpoint 'types');
SELECT * FROM types ORDER BY id;
SELECT id, name FROM types WHERE active;
SELECT count(*) FROM types;

-- a table whose columns are all found by name takes records as bytes, with
-- no json-c tree (runner_raw.c): the same values as the tree path above
CREATE FOREIGN TABLE types_bytes (
  id int, name text, big bigint, ratio float8, price numeric(6,2), active boolean,
  day date, at timestamptz, meta jsonb, tags json, meta_text text, mixedcase text,
  "MixedCase" text, nothing text, missing text, note text
) SERVER mock OPTIONS (endpoint 'types');
SELECT * FROM types_bytes ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM types;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM types_bytes;
SELECT count(*) AS differing_rows FROM (
  SELECT id, name, big, ratio, price, active, day, at, meta, tags::text, mixedcase, "MixedCase",
         nothing, missing, note FROM types
  EXCEPT
  SELECT id, name, big, ratio, price, active, day, at, meta, tags::text, mixedcase, "MixedCase",
         nothing, missing, note FROM types_bytes) d;

-- the endpoint defaults to the table's name
CREATE FOREIGN TABLE day (
  event_id text,
  date     date,
  kind     text,
  amount   numeric,
  payload  jsonb
) SERVER mock;
SELECT * FROM day ORDER BY event_id;
EXPLAIN (COSTS OFF) SELECT * FROM day;
EXPLAIN (COSTS OFF, VERBOSE) SELECT event_id FROM day WHERE kind = 'view';

-- a value that does not convert is an error naming column, value and endpoint
CREATE FOREIGN TABLE types_bad (id int, name int) SERVER mock OPTIONS (endpoint 'types');
SELECT * FROM types_bad;
CREATE FOREIGN TABLE types_bad2 (id int, day date OPTIONS (json_path 'name')) SERVER mock
  OPTIONS (endpoint 'types');
SELECT * FROM types_bad2;
CREATE FOREIGN TABLE types_bad3 (meta int) SERVER mock OPTIONS (endpoint 'types');
SELECT * FROM types_bad3;

-- the request is rendered from state and secrets: headers (defaults merged),
-- query parameters, a JSON payload; the secret reaches the API
SELECT r->>'method' AS method,
       r->>'path' AS path,
       r->'query'->>'q' AS q,
       r->'query'->>'key' = 'sk_test_SECRET123' AS key_sent,
       r->'headers'->>'authorization' = 'Bearer sk_test_SECRET123' AS auth_sent,
       r->'headers'->>'x-static' AS x_static,
       r->'headers'->>'x-token' AS x_token,
       r->'headers'->>'content-type' AS content_type,
       (r->>'body')::jsonb AS body
FROM backfill_fdw.records('mock', 'echo') AS r;

-- an HTTP error shows the status, the URL with the secret masked and the
-- first bytes of the body; a body that is not JSON likewise; a transport
-- error names the URL
SELECT try_sql('SELECT * FROM backfill_fdw.records(''mock'', ''http_error'')');
SELECT try_sql('SELECT * FROM backfill_fdw.records(''mock'', ''not_json'')');
SELECT try_sql('SELECT * FROM backfill_fdw.records(''mock'', ''unreachable'')');
-- the same error from a foreign table scan
CREATE FOREIGN TABLE http_error (id int) SERVER mock;
SELECT try_sql('SELECT * FROM http_error');
-- no error or EXPLAIN ever shows the secret
SELECT try_sql('SELECT * FROM http_error') LIKE '%SECRET123%' AS secret_shown;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM http_error;

-- records(): the raw records, before any column mapping
SELECT r FROM backfill_fdw.records('mock', 'day') AS r ORDER BY r->>'event_id' LIMIT 2;
SELECT backfill_fdw.records('nosuch', 'day');
SELECT backfill_fdw.records('mock', 'nosuch');

DROP SERVER mock CASCADE;
