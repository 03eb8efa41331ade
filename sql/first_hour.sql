--
-- A user's first hour (issue 14): the request trace, typos caught where
-- they are made, epoch timestamps, check_spec, backfill progress and a
-- backfill_into error's CONTEXT.  The trace and progress NOTICEs name the
-- mock API's URL (its port varies) and times: they are shown through a
-- second psql whose output sed makes stable (psql is this one's binary).
--
\getenv mock_url MOCK_URL
\set fh_spec '/tmp/backfill_fdw_test/specs/first_hour.yaml'
CREATE SERVER fh FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'fh_spec', base_url :'mock_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER fh
  OPTIONS (api_key 'sk_trace_SECRET_77', token 'tok_SECRET_88');

-- == the request trace ==
SHOW backfill_fdw.trace;
SET backfill_fdw.trace = 'loud';
-- off: nothing is reported
SELECT * FROM backfill_fdw.records('fh', 'types') LIMIT 0;
-- notice: each request with its status and body bytes; the retry of the
-- 429 with its rule and wait; the retried request queued for the rate
-- limit; the secret in the query string masked, in the URL and the DETAIL
\! "$(readlink /proc/$PPID/exe)" -X -q -d contrib_regression -c "SET backfill_fdw.trace = notice" -c "SELECT * FROM backfill_fdw.records('fh', 'traced')" 2>&1 | sed -E 's/127\.0\.0\.1:[0-9]+/MOCK/; s/[0-9]+(\.[0-9]+)? ms/N ms/g'
-- log: the same lines at LOG, to the server log (and to this client, which
-- asks for LOG); a foreign-table scan is traced as records() is
CREATE FOREIGN TABLE fh_traced (id int, attempt int) SERVER fh OPTIONS (endpoint 'traced');
\! "$(readlink /proc/$PPID/exe)" -X -q -d contrib_regression -c "SET backfill_fdw.trace = log" -c "SET client_min_messages = log" -c "SELECT count(*) FROM fh_traced" 2>&1 | sed -E 's/127\.0\.0\.1:[0-9]+/MOCK/; s/[0-9]+(\.[0-9]+)? ms/N ms/g'

-- == a {secrets.x} the user mapping lacks: an error, not an empty token ==
CREATE FOREIGN TABLE fh_typo_secret (id int) SERVER fh OPTIONS (endpoint 'typo_secret');
SELECT * FROM fh_typo_secret;
SELECT * FROM backfill_fdw.records('fh', 'typo_secret');
-- with no user mapping at all, the hint says to create one
CREATE SERVER fh_nomap FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'fh_spec', base_url :'mock_url');
SELECT * FROM backfill_fdw.records('fh_nomap', 'traced');
-- a secret read with a default (coalesce, if, ...) is not required
SELECT count(*) FROM backfill_fdw.records('fh', 'optional_secret');
-- an endpoint that reads no secret needs no mapping
SELECT count(*) FROM backfill_fdw.records('fh_nomap', 'types');

-- == a sync.x that is not a sync key: a load error, file:line:col and key path ==
CREATE SERVER fh_sync FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec '/tmp/backfill_fdw_test/specs/sync_typo.yaml');

-- == an unknown endpoint or range_column fails CREATE / ALTER FOREIGN TABLE ==
CREATE FOREIGN TABLE fh_t (id int, name text) SERVER fh OPTIONS (endpoint 'tpyes');
CREATE FOREIGN TABLE tpyes (id int, name text) SERVER fh;
CREATE FOREIGN TABLE fh_t (id int, day date) SERVER fh OPTIONS (endpoint 'types', range_column 'dya');
CREATE FOREIGN TABLE fh_t (id int, day date) SERVER fh OPTIONS (endpoint 'types', range_column 'day');
ALTER FOREIGN TABLE fh_t OPTIONS (SET endpoint 'typs');
ALTER FOREIGN TABLE fh_t OPTIONS (ADD target 'public.x', SET range_column 'date');
-- the range column cannot be renamed or dropped from under the option
ALTER FOREIGN TABLE fh_t RENAME COLUMN day TO the_day;
ALTER FOREIGN TABLE fh_t DROP COLUMN day;
-- what the failed commands tried is not there
SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 'fh_t'::regclass;
SELECT to_regclass('tpyes') AS not_created;
-- a server whose new spec lacks a table's endpoint: ALTER SERVER fails
ALTER SERVER fh OPTIONS (SET spec '/tmp/backfill_fdw_test/specs/backfill.yaml');
SELECT srvoptions[1] FROM pg_foreign_server WHERE srvname = 'fh';
-- the check is the same in a transaction, and a caller can catch it
DO $$
BEGIN
  ALTER FOREIGN TABLE fh_t OPTIONS (SET endpoint 'nope');
EXCEPTION WHEN fdw_table_not_found THEN
  RAISE NOTICE 'caught %', SQLSTATE;
END $$;

-- == a column no record has: one WARNING per scan, with "did you mean" ==
CREATE FOREIGN TABLE fh_types (id int, nmae text, price numeric, colour text)
  SERVER fh OPTIONS (endpoint 'types');
SELECT id, nmae, price FROM fh_types ORDER BY id;
-- a LIMIT ends the scan early: the records it saw are checked
SELECT id FROM fh_types ORDER BY id LIMIT 1;
-- the tree path (a json_path column) checks the same; the json_path column is not checked
CREATE FOREIGN TABLE fh_types_tree (id int, nmae text, n text OPTIONS (json_path 'nested.x'))
  SERVER fh OPTIONS (endpoint 'types');
SELECT id, nmae FROM fh_types_tree ORDER BY id;
-- columns that are all there: no WARNING
CREATE FOREIGN TABLE fh_types_ok (id int, name text) SERVER fh OPTIONS (endpoint 'types');
SELECT id, name FROM fh_types_ok ORDER BY id;

-- == epoch timestamps ==
SET timezone = 'America/New_York';
-- seconds (the default) into timestamptz, timestamp and date; ms with the
-- option; the fast path (no json_path) and the tree path give the same
CREATE FOREIGN TABLE fh_epoch (
  id int,
  created timestamptz,
  created_ts timestamp OPTIONS (json_path 'created'),
  created_day date OPTIONS (json_path 'created'),
  created_ms timestamptz OPTIONS (epoch 'ms')
) SERVER fh OPTIONS (endpoint 'epochs');
CREATE FOREIGN TABLE fh_epoch_raw (id int, created timestamptz, created_ms timestamptz OPTIONS (epoch 'ms'))
  SERVER fh OPTIONS (endpoint 'epochs');
SELECT * FROM fh_epoch ORDER BY id;
SELECT r.id, r.created = t.created AND r.created_ms = t.created_ms AS same
  FROM fh_epoch_raw r JOIN fh_epoch t USING (id) ORDER BY id;
-- microseconds
CREATE FOREIGN TABLE fh_epoch_us (id int, created_ms timestamptz OPTIONS (epoch 'us'))
  SERVER fh OPTIONS (endpoint 'epochs');
SELECT id, created_ms FROM fh_epoch_us ORDER BY id;
RESET timezone;
-- strings still go through the input function
SELECT created FROM (SELECT '2024-03-01T10:00:00Z'::timestamptz AS created) s;
-- a number out of range is an error naming the column and the value
CREATE FOREIGN TABLE fh_epoch_big (id int, big timestamptz) SERVER fh OPTIONS (endpoint 'types');
SELECT * FROM fh_epoch_big;
-- bad values of the option, and the option on a column that is no time
CREATE FOREIGN TABLE fh_bad (id int, c timestamptz OPTIONS (epoch 'minutes')) SERVER fh OPTIONS (endpoint 'epochs');
CREATE FOREIGN TABLE fh_bad (id int, c text OPTIONS (epoch 'ms')) SERVER fh OPTIONS (endpoint 'epochs');
ALTER FOREIGN TABLE fh_epoch_raw ALTER COLUMN id OPTIONS (ADD epoch 's');

-- == check_spec ==
SELECT * FROM backfill_fdw.check_spec(:'fh_spec');
SELECT * FROM backfill_fdw.check_spec('/tmp/backfill_fdw_test/specs/sync_typo.yaml');
SELECT * FROM backfill_fdw.check_spec('/tmp/backfill_fdw_test/specs/unknown_key.yaml');
SELECT severity, line, col, key_path IS NULL AS no_key_path, message ~ 'YAML|yaml' AS says_yaml
  FROM backfill_fdw.check_spec('/tmp/backfill_fdw_test/specs/bad_yaml.yaml');
SELECT severity, line, key_path, message FROM backfill_fdw.check_spec('/tmp/backfill_fdw_test/specs/no_such.yaml');
-- a spec that loads with warnings: a row for each, severity warning
SELECT * FROM backfill_fdw.check_spec('/tmp/backfill_fdw_test/specs/spec_warning.yaml');
-- a spec that loads cleanly: no rows
SELECT count(*) AS rows_for_a_good_spec FROM backfill_fdw.check_spec('/tmp/backfill_fdw_test/specs/backfill.yaml');
-- a null path is no row; a directory is no spec; the event trigger's
-- function cannot be called by hand
SELECT count(*) FROM backfill_fdw.check_spec(NULL);
SELECT severity, line, message FROM backfill_fdw.check_spec('/tmp');
SELECT backfill_fdw.check_tables();
-- it reads a server file: the spec option's rule
CREATE ROLE fh_plain NOLOGIN;
SET ROLE fh_plain;
SELECT * FROM backfill_fdw.check_spec('/etc/passwd');
RESET ROLE;
GRANT pg_read_server_files TO fh_plain;
SET ROLE fh_plain;
SELECT severity, line FROM backfill_fdw.check_spec(:'fh_spec');
RESET ROLE;
DROP ROLE fh_plain;

-- == backfill progress ==
CREATE FOREIGN TABLE fh_days (event_id text, date date, kind text, amount numeric)
  SERVER fh OPTIONS (endpoint 'days', range_column 'date', target 'public.fh_days_local');
-- by default (every 10 s), a short backfill says nothing of its progress
SHOW backfill_fdw.progress_interval;
SELECT backfill_into('fh_days', '2024-01-01', '2024-01-05') AS rows_written;
-- at every iteration ended (0): the counts grow to 5 of 5 iterations, 15
-- rows, 5 requests; the rates are in DETAIL
\! "$(readlink /proc/$PPID/exe)" -X -q -d contrib_regression -c "SET backfill_fdw.progress_interval = 0" -c "SELECT backfill_into('fh_days', '2024-01-01', '2024-01-05')" 2>&1 | grep -E '^(NOTICE|DETAIL)' | sed -E 's/[0-9.]+ (s so far|rows\/s|requests\/s)/N \1/g' | tail -2
\! "$(readlink /proc/$PPID/exe)" -X -q -d contrib_regression -c "SET backfill_fdw.progress_interval = 0" -c "SELECT backfill_into('fh_days', '2024-01-01', '2024-01-05')" 2>&1 | grep '^NOTICE' | sed -E 's/: [0-9] of 5 iterations, [0-9]+ rows, [0-9] requests/: N of 5 iterations, N rows, N requests/' | sort -u
-- CALL backfill's windows add up: the last NOTICE counts the whole range
\! "$(readlink /proc/$PPID/exe)" -X -q -d contrib_regression -c "SET backfill_fdw.progress_interval = 0" -c "CALL backfill_fdw.backfill('fh_days', '2024-01-01', '2024-01-05', 2)" 2>&1 | grep '^NOTICE' | tail -1

-- == a backfill_into error's CONTEXT: the table, the target and the range ==
CREATE FOREIGN TABLE fh_days_int (event_id text, date date, amount int)
  SERVER fh OPTIONS (endpoint 'days', range_column 'date', target 'public.fh_days_int_local');
CREATE TABLE fh_days_int_local (event_id text PRIMARY KEY, date date, amount int);
SELECT backfill_into('fh_days_int', '2024-01-02', '2024-01-03');
-- incremental, with no range
SELECT backfill_into('fh_days_int');
-- CALL backfill re-raises a window's error from PL/pgSQL, whose RAISE
-- sets the CONTEXT: its line, not the generated INSERT either
CALL backfill_fdw.backfill('fh_days_int', '2024-01-01', '2024-01-05', 2);

DROP TABLE fh_days_local, fh_days_int_local;
DROP SERVER fh, fh_nomap CASCADE;
