#!/usr/bin/env bash
# test/bench/bench_partition.sh: backfill_into a monthly-partitioned target
# against the same into a plain table.
#
#   test/bench/bench_partition.sh [records]        (default 100000; 1000000 for 1M)
#
# Five years of the mock API's /bulk_daily (2020-01-01 .. 2024-12-31, one
# page a day, records/1827 records a page, rounded up) loaded by
# backfill_into, in one run of one cluster:
#   - the baseline: into an empty plain table, PRIMARY KEY (id);
#   - into an empty table PARTITION BY RANGE (day), PRIMARY KEY (id, day),
#     with no partition: backfill_into creates the 60 monthly ones first
#     (target_partition 'month'), so their creation is in the time.
# Each is run twice on a fresh table and the faster run counts; the ratio
# is the partitioned time over the plain one.  Then the same range again
# into each (every row already there, so the upsert changes nothing).
#
# Not a pass/fail test.  Builds and installs the extension, and runs its
# own mock API and throw-away cluster (pg_virtualenv -t); with --inner it
# uses the cluster of PGHOST/PGPORT and the mock API at MOCK_URL instead
# (RECORDS in the environment).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "${1:-}" != "--inner" ]; then
	RECORDS=${1:-100000}
	make -s install >/dev/null
	OUT=$(mktemp)
	python3 test/mock/mock_api.py --port 0 --lifetime 3600 > "$OUT" &
	MOCK_PID=$!
	trap 'kill $MOCK_PID 2>/dev/null; rm -f "$OUT"' EXIT
	for _ in $(seq 50); do grep -q '^PORT' "$OUT" && break; sleep 0.1; done
	export MOCK_URL="http://127.0.0.1:$(awk '/^PORT/{print $2}' "$OUT")"
	export RECORDS
	ln -sfn "$(pwd)/test" /tmp/backfill_fdw_test
	pg_virtualenv -t "$0" --inner
	exit $?
fi

# ---- inside the cluster -------------------------------------------------------
RECORDS=${RECORDS:-100000}
DAYS=1827
SIZE=$(((RECORDS + DAYS - 1) / DAYS))
SPEC=/tmp/backfill_fdw_test/bench/partition.yaml
FROM=2020-01-01
TO=2024-12-31

sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}

# run <sql>: the wall-clock seconds of one statement in a new session
run() {
	local t0 t1
	t0=$(date +%s.%N)
	sql -c "SET client_min_messages = warning" -c "$1" > /dev/null
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}

# best <setup sql> <sql>: the faster of two runs, each after setup
best() {
	local a b
	sql -c "$1"
	a=$(run "$2")
	sql -c "$1"
	b=$(run "$2")
	if [ "$(echo "$a < $b" | bc -l)" = 1 ]; then echo "$a"; else echo "$b"; fi
}

sql -v spec="$SPEC" -v mock="$MOCK_URL" -v size="$SIZE" <<'SQL'
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS backfill_fdw CASCADE;
CREATE EXTENSION backfill_fdw;
CREATE SERVER daily FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock', size :'size');
CREATE FOREIGN TABLE daily_plain (id int, day date, name text, value float8)
  SERVER daily OPTIONS (endpoint 'daily', range_column 'day', target 'public.t_plain');
CREATE FOREIGN TABLE daily_part (id int, day date, name text, value float8)
  SERVER daily OPTIONS (endpoint 'daily', range_column 'day', target 'public.t_part',
                        target_partition 'month');
SQL
# the mock makes each page once: a first pass, not timed, warms it
sql -c "SELECT count(*) FROM daily_plain WHERE day BETWEEN '$FROM' AND '$TO'" > /dev/null

PLAIN_DDL="SET client_min_messages = warning; DROP TABLE IF EXISTS t_plain; CREATE TABLE t_plain (id int PRIMARY KEY, day date, name text, value float8); CHECKPOINT"
PART_DDL="SET client_min_messages = warning; DROP TABLE IF EXISTS t_part; CREATE TABLE t_part (id int, day date, name text, value float8, PRIMARY KEY (id, day)) PARTITION BY RANGE (day); CHECKPOINT"
PLAIN=$(best "$PLAIN_DDL" "SELECT backfill_into('daily_plain', '$FROM', '$TO')")
PART=$(best "$PART_DDL" "SELECT backfill_into('daily_part', '$FROM', '$TO')")
PLAIN_AGAIN=$(run "SELECT backfill_into('daily_plain', '$FROM', '$TO')")
PART_AGAIN=$(run "SELECT backfill_into('daily_part', '$FROM', '$TO')")
rows=$(sql -c "SELECT count(*) FROM t_part")
parts=$(sql -c "SELECT count(*) FROM pg_inherits WHERE inhparent = 't_part'::regclass")
check=$(sql -c "SELECT (SELECT count(*) FROM t_plain) = (SELECT count(*) FROM t_part)
	AND NOT EXISTS (SELECT * FROM t_plain EXCEPT SELECT * FROM t_part)")
printf '%s rows of %s days (%s a day), %s monthly partitions; same rows: %s\n' \
	"$rows" "$DAYS" "$SIZE" "$parts" "$check"
printf '%-52s %7.2f s\n' "backfill_into, plain table (baseline):" "$PLAIN"
printf '%-52s %7.2f s\n' "backfill_into, monthly partitions (created by it):" "$PART"
printf 'ratio: %.2f\n' "$(echo "$PART / $PLAIN" | bc -l)"
printf '%-52s %7.2f s plain, %.2f s partitioned (ratio %.2f)\n' "the same range again (no row changes):" \
	"$PLAIN_AGAIN" "$PART_AGAIN" "$(echo "$PART_AGAIN / $PLAIN_AGAIN" | bc -l)"
exit 0
