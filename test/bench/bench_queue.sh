#!/usr/bin/env bash
# test/bench/bench_queue.sh: the queues' benchmarks (issue 11).  Not a
# test: each figure is measured in this run against a named baseline.
#
#   1. the backend's peak memory (VmHWM) reading a 1M-item queue (100 pages
#      of 10k ids, each item read back as a record by a consumer with no
#      request and no primary_key, whose de-duplication set would grow with
#      the items) against the same for a 10k-item one, each in a fresh
#      backend, with work_mem at its default: the queue spills to a temp
#      file past work_mem, so the two should differ by about work_mem;
#   2. a parent/child SELECT: 1 parent request, then 100 children of 100 ms,
#      10 at a time, against the ideal of 1 + 100 / 10 x 100 ms = 1.0 s
#      (the parent request answers at once).
#
# Needs the packages of tools/install-deps; runs as root or with sudo.  With
# BENCH_PGHOST/BENCH_PGPORT set, it uses that running cluster (where the
# extension is installed already) instead of a pg_virtualenv of its own.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$(mktemp)
python3 test/mock/mock_api.py --port 0 --lifetime 1800 > "$OUT" &
MOCK_PID=$!
SPEC_DIR=$(mktemp -d /tmp/backfill_bench.XXXXXX)
trap 'kill $MOCK_PID 2>/dev/null; rm -rf "$OUT" "$SPEC_DIR"' EXIT
for _ in $(seq 50); do grep -q '^PORT' "$OUT" && break; sleep 0.1; done
export MOCK_URL="http://127.0.0.1:$(awk '/^PORT/{print $2}' "$OUT")"
cp test/specs/bench_queue.yaml "$SPEC_DIR/"
chmod -R a+rX "$SPEC_DIR"
export SPEC="$SPEC_DIR/bench_queue.yaml" RESULTS="$SPEC_DIR"

run() {
  psql -X -q -v ON_ERROR_STOP=1 -v spec="$SPEC" -v mock="$MOCK_URL" -f test/bench/bench_queue.sql
  # memory: a fresh backend for each size, its peak resident size after the scan
  for n in 10k 1m; do
    psql -X -q -At -v ON_ERROR_STOP=1 -c "SELECT count(*), sum(id) FROM items_$n" \
         -c "SELECT substring(pg_read_file(\$\$/proc/\$\$ || pg_backend_pid() || \$\$/status\$\$) from \$\$VmHWM:\s+(\d+)\$\$)" \
         > "$RESULTS/mem_$n"
  done
  psql -X -q -At -c "SELECT substring(pg_read_file(\$\$/proc/\$\$ || pg_backend_pid() || \$\$/status\$\$) from \$\$VmHWM:\s+(\d+)\$\$)" > "$RESULTS/mem_idle"
  psql -X -q -At -c "SHOW work_mem" > "$RESULTS/work_mem"
  # time: best of 3 of the parent/child SELECT
  psql -X -q -At -v ON_ERROR_STOP=1 > "$RESULTS/time" <<'SQL'
CREATE TEMP TABLE t (s float8);
DO $$
DECLARE t0 timestamptz;
BEGIN
  FOR i IN 1..3 LOOP
    t0 := clock_timestamp();
    PERFORM count(*) FROM slow_children;
    INSERT INTO t VALUES (extract(epoch FROM clock_timestamp() - t0));
  END LOOP;
END $$;
SELECT (SELECT count(*) FROM slow_children), min(s) FROM t;
SQL
  psql -X -q -c "DROP SERVER queue_big, queue_small, queue_slow CASCADE"
}

if [ -n "${BENCH_PGPORT:-}" ]; then
  export PGHOST=${BENCH_PGHOST:-/tmp} PGPORT=$BENCH_PGPORT
  run
else
  SUDO=
  [ "$(id -u)" = 0 ] || SUDO=sudo
  make -s
  $SUDO make -s install >/dev/null
  export -f run
  pg_virtualenv bash -c run
fi

idle=$(cat "$RESULTS/mem_idle")
k10=$(tail -1 "$RESULTS/mem_10k")
m1=$(tail -1 "$RESULTS/mem_1m")
echo "memory: items read $(head -1 "$RESULTS/mem_10k" | cut -d'|' -f1) and $(head -1 "$RESULTS/mem_1m" | cut -d'|' -f1), work_mem $(cat "$RESULTS/work_mem")"
awk -v i="$idle" -v a="$k10" -v b="$m1" 'BEGIN {
  printf "memory: backend peak (VmHWM) idle %.1f MB, 10k-item queue %.1f MB, 1M-item queue %.1f MB\n", i/1024, a/1024, b/1024;
  printf "memory: the 1M-item queue takes %.1f MB more than the 10k one (the items: 12.9 MB of JSON text; goal: no more than work_mem)\n", (b-a)/1024 }'
IFS='|' read -r rows secs < "$RESULTS/time"
awk -v r="$rows" -v s="$secs" 'BEGIN {
  printf "time: parent/child SELECT, 1 + 100 requests of 100 ms, 10 at a time: %d rows in %.2f s (best of 3); ideal 1.00 s; ratio %.2f\n", r, s, s/1.0 }'
