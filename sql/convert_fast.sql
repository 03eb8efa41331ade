--
-- Values converted without their input function (pg_convert.c,
-- pg_bulk.c) are the values the input function gives: a timestamptz read
-- directly from ISO 8601 with an offset is the text's ::timestamptz under
-- any TimeZone, on both the fast path and the tree path; every other text
-- still goes to timestamptz_in.  backfill_into's append through COPY's
-- binary format writes the rows a text COPY and an INSERT write.
--
\set bf_spec '/tmp/backfill_fdw_test/specs/convert_fast.yaml'
\getenv mock_url MOCK_URL

CREATE SERVER convert_fast FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'bf_spec', base_url :'mock_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER convert_fast;
CREATE FOREIGN TABLE ts_raw (text text, ts timestamptz)
  SERVER convert_fast OPTIONS (endpoint 'timestamps');
CREATE FOREIGN TABLE ts_tree (text text, ts timestamptz)
  SERVER convert_fast OPTIONS (endpoint 'timestamps_tree');
-- a typmod: the direct read gives way to timestamptz_in, which rounds
CREATE FOREIGN TABLE ts_typmod (text text, ts timestamptz(2))
  SERVER convert_fast OPTIONS (endpoint 'timestamps');

-- a zone with a half-hour offset and daylight saving, then another
SET timezone = 'America/St_Johns';
SELECT count(*) AS texts,
       count(*) FILTER (WHERE ts IS NOT DISTINCT FROM text::timestamptz) AS same
  FROM ts_raw;
SELECT text, ts FROM ts_raw WHERE ts IS DISTINCT FROM text::timestamptz;
SELECT count(*) FILTER (WHERE ts IS NOT DISTINCT FROM text::timestamptz) AS same FROM ts_tree;
SELECT count(*) FILTER (WHERE ts IS NOT DISTINCT FROM text::timestamptz(2)) AS same FROM ts_typmod;
SET timezone = 'Asia/Kathmandu';
SELECT count(*) FILTER (WHERE ts IS NOT DISTINCT FROM text::timestamptz) AS same FROM ts_raw;
-- what a few of them are, in UTC
SET timezone = 'UTC';
SELECT text, ts FROM ts_raw
 WHERE text IN ('2024-06-30T12:34:56.5+05:30', '2024-06-30T12:34:56-14:59',
                '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z', '2024-02-29 12:00:00Z')
 ORDER BY ts;

-- append: binary COPY (the same types), text COPY (a text target column
-- takes the timestamps as text) and INSERT (through a view, which COPY
-- does not take) write the same rows
CREATE TABLE ts_bin (text text, ts timestamptz);
CREATE TABLE ts_txt (text text, ts text);
CREATE TABLE ts_ins (text text, ts timestamptz);
CREATE VIEW ts_ins_view AS SELECT text, ts FROM ts_ins;
SELECT backfill_into('ts_raw', NULL, NULL, 'ts_bin') AS binary_rows;
SELECT backfill_into('ts_raw', NULL, NULL, 'ts_txt') AS text_rows;
SELECT backfill_into('ts_raw', NULL, NULL, 'ts_ins_view') AS insert_rows;
SELECT (SELECT count(*) FROM ts_bin) AS rows,
       NOT EXISTS (SELECT text, ts FROM ts_bin EXCEPT SELECT text, ts FROM ts_ins) AS bin_is_insert,
       NOT EXISTS (SELECT text, ts::text FROM ts_bin EXCEPT SELECT text, ts FROM ts_txt) AS bin_is_text,
       NOT EXISTS (SELECT text, ts FROM ts_bin WHERE ts IS DISTINCT FROM text::timestamptz) AS values_right;

DROP SERVER convert_fast CASCADE;
DROP VIEW ts_ins_view;
DROP TABLE ts_bin, ts_txt, ts_ins;
RESET timezone;
