#!/usr/bin/env bash
# test/bench/bench_backfill.sh: backfill_into against PostgreSQL's own upsert.
#
#   test/bench/bench_backfill.sh [records]        (default 1000000)
#
# Time: `records` records of the mock API's /bulk pages (1000 a page) loaded
# by backfill_into into an empty table, against the baseline: the same page
# bodies, fetched beforehand into a table, loaded by
#   INSERT ... SELECT r.* FROM bodies, jsonb_to_recordset(body->'items') r
#   ON CONFLICT (id) DO UPDATE ...
# into another empty table.  Each is run twice and the faster run counts;
# the ratio's goal is <= 1.25.  backfill_into's time includes the HTTP
# requests and the JSON parsing that the baseline does not do.
#
# Memory: the backend's peak memory running backfill_into for 100k records
# and for `records`, each in a new session: VmHWM from /proc (which counts
# the shared buffers the backend touched, so it grows with the table
# written) and the private part, RssAnon, sampled every 20 ms; for the
# endpoint with its primary_key and for the same without one.
#
# Not a pass/fail test.  Builds and installs the extension, and runs its own
# mock API and throw-away cluster (pg_virtualenv -t); run it as root (it
# reads /proc of the server's backends).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "${1:-}" != "--inner" ]; then
	RECORDS=${1:-1000000}
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

# ---- inside the throw-away cluster -------------------------------------------
PAGES=$((RECORDS / 1000))
SPEC=/tmp/backfill_fdw_test/bench/bulk.yaml
COLS="id int, name text, value float8, ts timestamptz, flag boolean"
SET_COLS="name = excluded.name, value = excluded.value, ts = excluded.ts, flag = excluded.flag"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}

# The backend's CPU time so far (user + system), in seconds.
CPU_SQL="SELECT (split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint) / 100.0
  FROM pg_read_file('/proc/' || pg_backend_pid() || '/stat') s"

# run <sql>: "wall cpu" seconds of one statement in a new session; cpu is
# the backend's, without the mock API's or curl's in other processes
run() {
	local t0 t1 out
	t0=$(date +%s.%N)
	out=$(sql -c "$CPU_SQL" -c "$1" -c "$CPU_SQL" | sed -n '1p;$p' | tr '\n' ' ')
	t1=$(date +%s.%N)
	set -- $out
	echo "$(echo "$t1 - $t0" | bc -l) $(echo "$2 - $1" | bc -l)"
}

# best <setup sql> <sql>: the faster of two runs (wall, cpu), each after setup
best() {
	local a b
	sql -c "$1"
	a=$(run "$2")
	sql -c "$1"
	b=$(run "$2")
	if [ "$(echo "${a% *} < ${b% *}" | bc -l)" = 1 ]; then echo "$a"; else echo "$b"; fi
}

sql -v spec="$SPEC" -v mock="$MOCK_URL" -v pages="$PAGES" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION backfill_fdw;
CREATE SERVER bulk FOREIGN DATA WRAPPER backfill_fdw
  OPTIONS (spec :'spec', base_url :'mock', pages :'pages');
CREATE FOREIGN TABLE bulk (id int, name text, value float8, ts timestamptz, flag boolean)
  SERVER bulk OPTIONS (endpoint 'bulk');
CREATE FOREIGN TABLE bulk_append (id int, name text, value float8, ts timestamptz, flag boolean)
  SERVER bulk OPTIONS (endpoint 'bulk_append');
CREATE TABLE t_fdw (id int PRIMARY KEY, name text, value float8, ts timestamptz, flag boolean);
CREATE TABLE t_pg (LIKE t_fdw INCLUDING ALL);
CREATE TABLE bodies (body jsonb);
SQL
LAST=$((PAGES - 1))
sql -c "INSERT INTO bodies SELECT b FROM backfill_fdw.records('bulk', 'bodies', '0', '$LAST') b"
sql -c "VACUUM ANALYZE bodies"
echo "bodies: $(sql -c "SELECT sum(jsonb_array_length(body->'items')) FROM bodies") records in $(sql -c "SELECT count(*) FROM bodies") pages"

FDW=$(best "TRUNCATE t_fdw; CHECKPOINT" "SELECT backfill_into('bulk', '0', '$LAST', 't_fdw')")
PG=$(best "TRUNCATE t_pg; CHECKPOINT" \
	"INSERT INTO t_pg SELECT r.* FROM bodies, jsonb_to_recordset(body->'items') AS r($COLS)
	 ON CONFLICT (id) DO UPDATE SET $SET_COLS")
check=$(sql -c "SELECT (SELECT count(*) FROM t_fdw) = (SELECT count(*) FROM t_pg)
	AND NOT EXISTS (SELECT * FROM t_fdw EXCEPT SELECT * FROM t_pg)")
printf '%-58s %7.2f s (backend CPU %.2f s)\n' "backfill_into, $RECORDS records:" ${FDW% *} ${FDW#* }
printf '%-58s %7.2f s (backend CPU %.2f s)\n' "INSERT ... jsonb_to_recordset ... ON CONFLICT DO UPDATE:" ${PG% *} ${PG#* }
printf 'ratio: %.2f (goal <= 1.25), backend CPU ratio %.2f; same rows: %s\n' \
	"$(echo "${FDW% *} / ${PG% *}" | bc -l)" "$(echo "${FDW#* } / ${PG#* }" | bc -l)" "$check"

# memory <foreign table> <records>: a new session loads that many records
# into an empty table while a sampler follows its RssAnon
memory() {
	local ft=$1 n=$2 last=$(($2 / 1000 - 1)) pid peak=0 v
	sql -c "DROP TABLE IF EXISTS t_mem; CREATE TABLE t_mem (LIKE t_fdw INCLUDING ALL); CHECKPOINT" 2>/dev/null
	rm -f "$TMP/pid" "$TMP/done"
	(
		while [ ! -s "$TMP/pid" ]; do sleep 0.01; done
		pid=$(cat "$TMP/pid")
		while [ ! -e "$TMP/done" ] && [ -r "/proc/$pid/status" ]; do
			v=$(awk '/^RssAnon/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
			[ "${v:-0}" -gt "$peak" ] && peak=$v
			sleep 0.02
		done
		echo "$peak" > "$TMP/peak"
	) &
	local sampler=$!
	sql <<SQL > "$TMP/status"
\o $TMP/pid
SELECT pg_backend_pid();
\o
SELECT backfill_into('$ft', '0', '$last', 't_mem') \g /dev/null
SELECT line FROM regexp_split_to_table(pg_read_file('/proc/' || pg_backend_pid() || '/status'), E'\n') line
 WHERE line ~ '^(VmHWM|RssShmem):';
SQL
	touch "$TMP/done"
	wait "$sampler"
	printf '  %-11s %8d records: %s, %s, RssAnon peak %d kB\n' "$ft" "$n" \
		"$(grep VmHWM "$TMP/status" | tr -s ' \t' ' ')" \
		"$(grep RssShmem "$TMP/status" | tr -s ' \t' ' ') (at the end)" "$(cat "$TMP/peak")"
}

# bulk_append is the same endpoint without a primary_key, so without the
# runner's set of seen keys (8 bytes a slot, at most half full; doubling
# it briefly holds both): the rest of the memory, flat or not
echo "backend memory of backfill_into:"
for ft in bulk bulk_append; do
	memory $ft 100000
	[ "$RECORDS" -gt 100000 ] && memory $ft "$RECORDS"
done
exit 0
