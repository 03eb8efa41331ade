--
-- Partitioned targets (issue 17): the upsert on the primary key plus the
-- partition column, the partitions a range lacks created first (option
-- target_partition), no row left in a default partition, and who may
-- create partitions.  The mock's request log (?log=range) shows which
-- requests each statement made.
--
\set range_spec '/tmp/backfill_fdw_test/specs/range.yaml'
\getenv mock_url MOCK_URL
SET datestyle = 'ISO, YMD';
SET timezone = 'UTC';
CREATE SCHEMA part;
SET search_path = part, public;
CREATE SERVER part_srv FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'range_spec', base_url :'mock_url');
-- the requests since the last call: how many, the first and the last
CREATE FUNCTION requests() RETURNS text LANGUAGE sql AS $$
  SELECT count(*) || coalesce(': ' || min(r) || ' .. ' || max(r), '')
    FROM jsonb_array_elements_text(mock_requests('part_srv')) r
$$;
SELECT requests();

-- the option: an interval of date_trunc, and only with a range column
SELECT try_sql($$CREATE FOREIGN TABLE part.bad (event_id text, date date) SERVER part_srv
  OPTIONS (endpoint 'days', range_column 'date', target_partition 'fortnight')$$);
SELECT try_sql($$CREATE FOREIGN TABLE part.bad (event_id text, date date) SERVER part_srv
  OPTIONS (endpoint 'days', target_partition 'month')$$);

-- a target partitioned by date, keyed by the spec's [event_id] plus date
CREATE TABLE events (event_id text, date date, kind text, PRIMARY KEY (event_id, date))
  PARTITION BY RANGE (date);
CREATE TABLE events_jan PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE FOREIGN TABLE days (event_id text, date date, kind text) SERVER part_srv
  OPTIONS (range_column 'date', target 'part.events');

-- a range inside the partitions there are loads as into a plain table
SELECT backfill_into('days', '2024-01-30', '2024-01-31');
SELECT tableoid::regclass AS partition, count(*) FROM events GROUP BY 1 ORDER BY 1;
SELECT requests();

-- beyond them, with no way to create partitions: an error listing the
-- gaps before any request, nothing written
SELECT backfill_into('days', '2024-01-31', '2024-03-02');
SELECT requests() AS gaps_made_no_request;
SELECT count(*) FROM events;

-- with target_partition the missing months are created first (the part of
-- January there is not touched), and the rows go to their partitions
ALTER FOREIGN TABLE days OPTIONS (ADD target_partition 'month');
SELECT backfill_into('days', '2024-01-31', '2024-03-02');
SELECT requests();
SELECT tableoid::regclass AS partition, min(date), max(date), count(*)
  FROM events GROUP BY 1 ORDER BY 1;
SELECT c.oid::regclass AS partition, pg_get_expr(c.relpartbound, c.oid) AS bound
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'events'::regclass ORDER BY 1;
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'days'::regclass;
-- loading it again creates nothing and rewrites nothing: the upsert's
-- conflict target is (event_id, date)
SELECT backfill_into('days', '2024-01-31', '2024-03-02');
SELECT requests();
-- a changed record updates its row in place
UPDATE events SET kind = 'edited' WHERE event_id = '2024-02-10-1';
SELECT backfill_into('days', '2024-02-10', '2024-02-10');
SELECT kind FROM events WHERE event_id = '2024-02-10-1';

-- CALL backfill: the first window creates the range's partitions, each
-- window commits its rows
CALL backfill_fdw.backfill('days', '2024-04-28', '2024-05-03', 3);
SELECT tableoid::regclass AS partition, count(*) FROM events
 WHERE date >= '2024-04-01' GROUP BY 1 ORDER BY 1;
SELECT range_start, range_end, first_iteration, iterations, rows_written
  FROM backfill_fdw.run_history
 WHERE foreign_table = 'part.days' AND range_start = '2024-04-28' ORDER BY started_at;
SELECT requests();

-- a partitioned target without a unique index covering the primary key:
-- the error names the key, the partition column and the fix, before any
-- request; nothing is written
CREATE TABLE nokey (event_id text, date date, kind text) PARTITION BY RANGE (date);
CREATE TABLE nokey_jan PARTITION OF nokey FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE UNIQUE INDEX ON nokey (date, kind);
SELECT backfill_into('days', '2024-01-05', '2024-01-06', 'part.nokey');
-- its SQLSTATE (verbose would print a LOCATION line that moves with the code)
\set VERBOSITY sqlstate
SELECT backfill_into('days', '2024-01-05', '2024-01-06', 'part.nokey');
\set VERBOSITY default
SELECT requests() AS no_index_made_no_request;
SELECT count(*) FROM nokey;
-- with the index it suggests, the load works
ALTER TABLE nokey ADD PRIMARY KEY (event_id, date);
SELECT backfill_into('days', '2024-01-05', '2024-01-06', 'part.nokey');
SELECT tableoid::regclass AS partition, count(*) FROM nokey GROUP BY 1;
SELECT requests();

-- a target backfill_into creates with target_partition: partitioned by
-- month of date, its primary key the spec's plus date (the NOTICE says
-- what that means), its partitions those of the range
CREATE FOREIGN TABLE days_new (event_id text, date date, kind text) SERVER part_srv
  OPTIONS (endpoint 'days', range_column 'date', target 'part.created',
           target_partition 'month');
SELECT backfill_into('days_new', '2023-12-30', '2024-01-02');
SELECT pg_get_partkeydef('created'::regclass) AS partition_key,
       pg_get_constraintdef(oid) AS primary_key
  FROM pg_constraint WHERE conrelid = 'created'::regclass AND contype = 'p';
SELECT tableoid::regclass AS partition, count(*) FROM created GROUP BY 1 ORDER BY 1;
SELECT requests();
-- day and year intervals name their partitions by day and by year
CREATE FOREIGN TABLE days_daily (event_id text, date date, kind text) SERVER part_srv
  OPTIONS (endpoint 'days', range_column 'date', target 'part.daily',
           target_partition 'day');
SELECT backfill_into('days_daily', '2024-02-28', '2024-03-01');
SELECT tableoid::regclass AS partition, count(*) FROM daily GROUP BY 1 ORDER BY 1;
CREATE FOREIGN TABLE days_yearly (event_id text, date date, kind text) SERVER part_srv
  OPTIONS (endpoint 'days', range_column 'date', target 'part.yearly',
           target_partition 'year');
SELECT backfill_into('days_yearly', '2023-12-31', '2024-01-01');
SELECT tableoid::regclass AS partition, count(*) FROM yearly GROUP BY 1 ORDER BY 1;
SELECT requests();
-- a range column that is not a time cannot be cut into months
CREATE FOREIGN TABLE numbers (n int OPTIONS (json_path 'query.n')) SERVER part_srv
  OPTIONS (range_column 'n', target 'part.numbers_local', target_partition 'month');
SELECT try_sql($$SELECT backfill_into('part.numbers', '1', '2')$$);
SELECT to_regclass('part.numbers_local') AS not_created;

-- a default partition: the range's partitions are created first, so the
-- rows never land in it
CREATE TABLE withdef (event_id text, date date, kind text, PRIMARY KEY (event_id, date))
  PARTITION BY RANGE (date);
CREATE TABLE withdef_default PARTITION OF withdef DEFAULT;
CREATE FOREIGN TABLE days_def (event_id text, date date, kind text) SERVER part_srv
  OPTIONS (endpoint 'days', range_column 'date', target 'part.withdef',
           target_partition 'month');
SELECT backfill_into('days_def', '2024-06-29', '2024-07-01');
SELECT tableoid::regclass AS partition, count(*) FROM withdef GROUP BY 1 ORDER BY 1;
SELECT requests();
-- an incremental run, whose range the spec picks (2024-01-01 .. 01-03 with
-- no sync state): rows of it that would land in the default partition
-- fail the run, nothing is written
CREATE FOREIGN TABLE days_inc (event_id text, date date, kind text) SERVER part_srv
  OPTIONS (endpoint 'days', range_column 'date', target 'part.withdef');
SELECT backfill_into('days_inc');
SELECT count(*) AS in_default FROM withdef_default;
SELECT requests();
SELECT count(*) AS no_state FROM backfill_fdw.sync_state WHERE foreign_table = 'days_inc'::regclass;
-- a row written into the default partition before, in the same
-- transaction, is not the run's: the run that lands nothing there passes
BEGIN;
INSERT INTO withdef VALUES ('mine', '2030-01-01', 'by hand');
SELECT backfill_into('days_def', '2024-06-30', '2024-06-30');
ROLLBACK;
-- the check in the isolation levels that keep one snapshot
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT try_sql($$SELECT backfill_into('part.days_inc')$$);
ROLLBACK;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT backfill_into('days_def', '2024-06-30', '2024-07-01');
SELECT try_sql($$SELECT backfill_into('part.days_inc')$$);
COMMIT;
SELECT count(*) AS in_default FROM withdef_default;
SELECT requests();
-- with the partitions there, the incremental run loads them
CREATE TABLE withdef_2024_01 PARTITION OF withdef FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
SELECT backfill_into('days_inc');
SELECT tableoid::regclass AS partition, count(*) FROM withdef GROUP BY 1 ORDER BY 1;
SELECT sync FROM backfill_fdw.sync_state WHERE foreign_table = 'days_inc'::regclass;
SELECT requests();

-- an incremental run with target_partition makes this month's partition
-- (its range ends now, the spec picks the rest)
SET client_min_messages = warning;
SELECT backfill_into('days_def');
RESET client_min_messages;
SELECT count(*) AS this_month FROM pg_inherits
 WHERE inhparent = 'withdef'::regclass
   AND inhrelid = to_regclass('part.withdef_p' || to_char(now(), 'YYYY_MM'));

-- other partitionings.  LIST by kind with a default: nothing to create,
-- and the default is the list's catch-all; the upsert's key is
-- (event_id, kind)
CREATE TABLE bykind (event_id text, date date, kind text, PRIMARY KEY (event_id, kind))
  PARTITION BY LIST (kind);
CREATE TABLE bykind_click PARTITION OF bykind FOR VALUES IN ('click');
CREATE TABLE bykind_other PARTITION OF bykind DEFAULT;
SELECT backfill_into('days', '2024-01-05', '2024-01-06', 'part.bykind');
SELECT tableoid::regclass AS partition, count(*) FROM bykind GROUP BY 1 ORDER BY 1;
SELECT backfill_into('days', '2024-01-05', '2024-01-06', 'part.bykind') AS again;
-- sub-partitions: the unique index has every level's partition column,
-- which the upsert may use
CREATE TABLE sub (event_id text, date date, kind text, PRIMARY KEY (event_id, date, kind))
  PARTITION BY RANGE (date);
CREATE TABLE sub_2024 PARTITION OF sub FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
  PARTITION BY LIST (kind);
CREATE TABLE sub_2024_all PARTITION OF sub_2024 DEFAULT;
SELECT backfill_into('days', '2024-01-05', '2024-01-05', 'part.sub');
SELECT tableoid::regclass AS partition, count(*) FROM sub GROUP BY 1;
SELECT requests();
-- MINVALUE and MAXVALUE bounds, and the hole between them
CREATE TABLE bounded (event_id text, date date, kind text, PRIMARY KEY (event_id, date))
  PARTITION BY RANGE (date);
CREATE TABLE bounded_old PARTITION OF bounded FOR VALUES FROM (MINVALUE) TO ('2024-01-03');
CREATE TABLE bounded_new PARTITION OF bounded FOR VALUES FROM ('2024-01-05') TO (MAXVALUE);
SELECT try_sql($$SELECT backfill_into('part.days_inc', '2023-12-30', '2024-01-06', 'part.bounded')$$);
SELECT try_sql($$SELECT backfill_into('part.days_inc', '2024-01-04', '2024-01-04', 'part.bounded')$$);
SELECT requests() AS gaps_made_no_request;
SELECT backfill_into('days_inc', '2023-12-30', '2024-01-02', 'part.bounded');
SELECT requests();
-- a timestamptz column, cut into ISO weeks
CREATE FOREIGN TABLE days_tz (event_id text, date timestamptz, kind text) SERVER part_srv
  OPTIONS (endpoint 'days', range_column 'date', target 'part.tz', target_partition 'week');
SELECT backfill_into('days_tz', '2024-01-06', '2024-01-08');
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound, count(t.*)
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  LEFT JOIN tz t ON t.tableoid = c.oid
 WHERE i.inhparent = 'tz'::regclass GROUP BY 1, 2 ORDER BY 1;
SELECT requests();

-- privileges: partitions are created as the caller, who must own the
-- target and may create tables in its schema
CREATE ROLE regress_part_writer;
CREATE ROLE regress_part_owner;
GRANT USAGE ON SCHEMA part TO regress_part_writer, regress_part_owner;
GRANT USAGE ON FOREIGN SERVER part_srv TO regress_part_writer, regress_part_owner;
GRANT SELECT ON days TO regress_part_writer, regress_part_owner;
GRANT SELECT, INSERT, UPDATE ON events TO regress_part_writer;
SET ROLE regress_part_writer;
-- a range the partitions cover: a writer may load it
SELECT backfill_into('days', '2024-02-01', '2024-02-01');
SELECT requests();
-- one they do not: the error says why, before any request
SELECT backfill_into('days', '2024-08-01', '2024-08-02');
SELECT requests() AS denied_made_no_request;
RESET ROLE;
-- the owner without CREATE on the schema
ALTER TABLE events OWNER TO regress_part_owner;
SET ROLE regress_part_owner;
SELECT try_sql($$SELECT backfill_into('part.days', '2024-08-01', '2024-08-02')$$);
SELECT requests() AS denied_made_no_request;
RESET ROLE;
-- with it, the owner's run creates them
GRANT CREATE ON SCHEMA part TO regress_part_owner;
SET ROLE regress_part_owner;
SELECT backfill_into('days', '2024-08-01', '2024-08-02');
RESET ROLE;
SELECT c.relname, pg_get_userbyid(c.relowner) AS owner
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'events'::regclass AND c.relname LIKE '%2024_08';
SELECT requests();
-- more partitions than one transaction should lock: an error, nothing made
CREATE FOREIGN TABLE days_many (event_id text, date date, kind text) SERVER part_srv
  OPTIONS (endpoint 'days', range_column 'date', target 'part.many',
           target_partition 'day');
SELECT try_sql($$SELECT backfill_into('part.days_many', '2020-01-01', '2024-01-01')$$);
SELECT to_regclass('part.many') AS not_created;

SET client_min_messages = warning;
DROP SCHEMA part CASCADE;
DROP SERVER part_srv CASCADE;
DROP OWNED BY regress_part_writer, regress_part_owner;
DROP ROLE regress_part_writer, regress_part_owner;
RESET client_min_messages;
