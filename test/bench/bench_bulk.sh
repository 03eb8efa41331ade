#!/usr/bin/env bash
# test/bench/bench_bulk.sh: issue 16's benchmarks, each a ratio measured in
# this run against a named baseline (not a pass/fail test):
#
#   1. prefetch: a 50-page page-numbered iteration at 100 ms a page, request
#      concurrency 5, against ceil(50/5) x 100 ms (goal <= 1.2); the same
#      pages paged by the response (no prefetch) against 50 x 100 ms
#      (unchanged: about 1.0);
#   2. memory: the backend's peak private memory (RssAnon, sampled every 20
#      ms) scanning N records with a primary key, against N/10 (goal: grows
#      <= 32 MB at 10M against 1M);
#   3. backfill_into of N records with a primary key into an empty table,
#      against PostgreSQL's own INSERT ... SELECT jsonb_to_recordset ... ON
#      CONFLICT over the same bodies already in a table (goal <= 1.0); the
#      append-only endpoint against COPY FROM a file of the same rows (goal
#      <= 1.5); best of two runs each;
#   4. backfill_into against test/bench/bulk_loader.py (threads, COPY into a
#      staging table, one INSERT ... ON CONFLICT), same endpoint, latency
#      and concurrency (10 pages in flight).
#
#   test/bench/bench_bulk.sh [--full]     N = 1M (default 200k); memory at
#                                         10M against 1M (default 1M/100k)
#   make bench [BENCH_ARGS=--full]
#   BENCH_ONLY=1|2|3: only that part (3 includes 4)
#
# Builds and installs the extension, runs its own mock API and a throw-away
# cluster (pg_virtualenv -t; as root, or with sudo: it reads /proc of the
# server's backends).  With --inner it runs against the cluster the PG*
# variables name, with MOCK_URL set, and /tmp/backfill_fdw_test pointing at
# test/ (what a developer's private cluster gives).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/../.."
FULL=0
INNER=0
for a in "$@"; do
	case $a in
		--full) FULL=1 ;;
		--inner) INNER=1 ;;
		*) echo "usage: $0 [--full]" >&2; exit 2 ;;
	esac
done
export FULL

if [ $INNER = 0 ]; then
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO=sudo
	make -s
	$SUDO make -s install >/dev/null
	OUT=$(mktemp)
	python3 test/mock/mock_api.py --port 0 --lifetime 7200 > "$OUT" &
	MOCK_PID=$!
	trap 'kill $MOCK_PID 2>/dev/null; rm -f "$OUT"' EXIT
	for _ in $(seq 50); do grep -q '^PORT' "$OUT" && break; sleep 0.1; done
	export MOCK_URL="http://127.0.0.1:$(awk '/^PORT/{print $2}' "$OUT")"
	ln -sfn "$(pwd)/test" /tmp/backfill_fdw_test
	pg_virtualenv -t "$0" --inner $([ $FULL = 1 ] && echo --full)
	exit $?
fi

# ---- against a running cluster ----------------------------------------------
if [ $FULL = 1 ]; then N=1000000; MEM_BIG=10000000; else N=200000; MEM_BIG=1000000; fi
MEM_SMALL=$((MEM_BIG / 10))
PAGES=$((N / 1000))
LAST=$((PAGES - 1))
COLS="id int, name text, value float8, ts timestamptz, flag boolean"
SET_COLS="name = excluded.name, value = excluded.value, ts = excluded.ts, flag = excluded.flag"
TMP=$(mktemp -d)
chmod 1777 "$TMP"
trap 'rm -rf "$TMP"' EXIT

sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}
now() {
	date +%s.%N
}
# secs <sql>: the wall seconds of one statement in a new session
secs() {
	local t0 t1
	t0=$(now)
	sql -c "$1" > /dev/null
	t1=$(now)
	echo "$t1 - $t0" | bc -l
}
# best <setup sql> <sql>: the faster of two runs, each after setup
best() {
	local a b
	sql -c "$1"; a=$(secs "$2")
	sql -c "$1"; b=$(secs "$2")
	if [ "$(echo "$a < $b" | bc -l)" = 1 ]; then echo "$a"; else echo "$b"; fi
}
ratio() {
	printf '%.2f' "$(echo "$1 / $2" | bc -l)"
}

sql -v bulk=/tmp/backfill_fdw_test/bench/bulk.yaml -v b16=/tmp/backfill_fdw_test/bench/bench_bulk.yaml \
	-v mock="$MOCK_URL" -v pages="$PAGES" <<'SQL'
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench16 CASCADE;
CREATE EXTENSION IF NOT EXISTS backfill_fdw;
DROP SERVER IF EXISTS bench16_bulk CASCADE;
DROP SERVER IF EXISTS bench16 CASCADE;
CREATE SCHEMA bench16;
SET search_path = bench16;
CREATE SERVER bench16_bulk FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'bulk', base_url :'mock', pages '1000000');
CREATE SERVER bench16 FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'b16', base_url :'mock');
CREATE FOREIGN TABLE bulk (id int, name text, value float8, ts timestamptz, flag boolean)
  SERVER bench16_bulk OPTIONS (endpoint 'bulk');
CREATE FOREIGN TABLE bulk_append (id int, name text, value float8, ts timestamptz, flag boolean)
  SERVER bench16_bulk OPTIONS (endpoint 'bulk_append');
CREATE FOREIGN TABLE paged50 (id int) SERVER bench16;
CREATE FOREIGN TABLE cursor50 (id int) SERVER bench16;
CREATE FOREIGN TABLE mem (id int) SERVER bench16;
CREATE TABLE t_fdw (id int PRIMARY KEY, name text, value float8, ts timestamptz, flag boolean);
CREATE TABLE t_pg (LIKE t_fdw INCLUDING ALL);
CREATE TABLE t_py (LIKE t_fdw INCLUDING ALL);
CREATE TABLE a_fdw (id int, name text, value float8, ts timestamptz, flag boolean);
CREATE TABLE a_pg (LIKE a_fdw);
CREATE TABLE bodies (body jsonb);
SQL
export PGOPTIONS="-c search_path=bench16,public"

if [ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = 1 ]; then
echo "== 1. prefetch (50 pages of 100 ms, request concurrency 5)"
T=$(secs "SELECT count(*) FROM paged50")
C=$(secs "SELECT count(*) FROM cursor50")
printf '  page-numbered: %.2f s / ceil(50/5) x 100 ms = %s (goal <= 1.2)\n' "$T" "$(ratio "$T" 1.0)"
printf '  cursor-paged:  %.2f s / 50 x 100 ms        = %s (no prefetch: about 1.0)\n' "$C" "$(ratio "$C" 5.0)"

fi
if [ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = 2 ]; then
echo "== 2. backend peak private memory, reading records with a primary key"
# peak <records>: the peak RssAnon (kB) of a new session reading that many
# records through backfill_fdw.records (in the select list, so streamed)
peak() {
	local last=$(($1 / 1000 - 1)) pid v top=0
	rm -f "$TMP/pid" "$TMP/done"
	(
		while [ ! -s "$TMP/pid" ]; do sleep 0.01; done
		pid=$(cat "$TMP/pid")
		while [ ! -e "$TMP/done" ] && [ -r "/proc/$pid/status" ]; do
			v=$(awk '/^RssAnon/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
			[ "${v:-0}" -gt "$top" ] && top=$v
			sleep 0.02
		done
		echo "$top" > "$TMP/peak"
	) &
	local sampler=$!
	sql > "$TMP/count" <<SQL
\o $TMP/pid
SELECT pg_backend_pid();
\o
SELECT count(r) FROM (SELECT backfill_fdw.records('bench16', 'mem', '0', '$last') r) s;
SQL
	touch "$TMP/done"
	wait "$sampler"
	echo "$(cat "$TMP/peak") $(cat "$TMP/count")"
}
sql -c "ALTER SERVER bench16 OPTIONS (ADD pages '$((MEM_BIG / 1000))')"
read -r PS CS < <(peak $MEM_SMALL)
read -r PB CB < <(peak $MEM_BIG)
printf '  %9d records: RssAnon peak %7d kB\n' "$CS" "$PS"
printf '  %9d records: RssAnon peak %7d kB\n' "$CB" "$PB"
printf '  growth: %.1f MB (goal <= 32 MB at 10M against 1M; work_mem %s)\n' \
	"$(echo "($PB - $PS) / 1024" | bc -l)" "$(sql -c 'SHOW work_mem')"

fi
if [ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = 3 ]; then
echo "== 3. backfill_into against PostgreSQL's own load of the same rows, $N records"
sql -c "INSERT INTO bodies SELECT b FROM backfill_fdw.records('bench16_bulk', 'bodies', '0', '$LAST') b"
sql -c "VACUUM ANALYZE bodies"
FDW=$(best "TRUNCATE t_fdw; CHECKPOINT" "SELECT backfill_into('bulk', '0', '$LAST', 't_fdw')")
PG=$(best "TRUNCATE t_pg; CHECKPOINT" \
	"INSERT INTO t_pg SELECT r.* FROM bodies, jsonb_to_recordset(body->'items') AS r($COLS)
	 ON CONFLICT (id) DO UPDATE SET $SET_COLS")
SAME=$(sql -c "SELECT (SELECT count(*) FROM t_fdw) = (SELECT count(*) FROM t_pg)
	AND NOT EXISTS (SELECT * FROM t_fdw EXCEPT SELECT * FROM t_pg)")
printf '  primary key: backfill_into %.2f s / INSERT ... jsonb_to_recordset ... ON CONFLICT %.2f s = %s (goal <= 1.0; same rows: %s)\n' \
	"$FDW" "$PG" "$(ratio "$FDW" "$PG")" "$SAME"
sql -c "COPY t_pg TO '$TMP/rows.copy'"
AFDW=$(best "TRUNCATE a_fdw; CHECKPOINT" "SELECT backfill_into('bulk_append', '0', '$LAST', 'a_fdw')")
APG=$(best "TRUNCATE a_pg; CHECKPOINT" "COPY a_pg FROM '$TMP/rows.copy'")
printf '  append-only: backfill_into %.2f s / COPY FROM a file of the rows %.2f s = %s (goal <= 1.5)\n' \
	"$AFDW" "$APG" "$(ratio "$AFDW" "$APG")"

echo "== 4. backfill_into against a Python loader (10 pages in flight, COPY to staging, one upsert)"
sql -c "TRUNCATE t_py; CHECKPOINT"
t0=$(now)
/usr/bin/python3 test/bench/bulk_loader.py "$MOCK_URL" 0 "$LAST" 10 bench16.t_py > /dev/null
t1=$(now)
PY=$(echo "$t1 - $t0" | bc -l)
SAME=$(sql -c "SELECT NOT EXISTS (SELECT * FROM t_fdw EXCEPT SELECT * FROM t_py)
	AND (SELECT count(*) FROM t_py) = $N")
printf '  backfill_into %.2f s / bulk_loader.py %.2f s = %s (same rows: %s)\n' \
	"$FDW" "$PY" "$(ratio "$FDW" "$PY")" "$SAME"
fi
sql -c "DROP SCHEMA bench16 CASCADE; DROP SERVER bench16 CASCADE; DROP SERVER bench16_bulk CASCADE" 2>/dev/null
exit 0
