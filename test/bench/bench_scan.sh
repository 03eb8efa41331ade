#!/usr/bin/env bash
# test/bench/bench_scan.sh: the scan's benchmarks (issue 5).  Not a test:
# each figure is a ratio measured in this run against a named baseline.
#
#   1. a latency-bound scan: 100 requests of 100 ms, 10 at a time, against
#      the ideal of 100 / 10 x 100 ms = 1.0 s;
#   2. 200k records in 40 pages over HTTP from the mock API, against
#      PostgreSQL's own jsonb_to_recordset over the same 40 bodies already in
#      a table (best of 3 each);
#   3. the backend's peak memory (VmHWM) scanning 1M records, against the
#      same for 100k records, each in a fresh backend.
#
# Needs the packages of tools/install-deps; runs as root or with sudo.
set -euo pipefail
cd "$(dirname "$0")/../.."
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
make -s
$SUDO make -s install >/dev/null

OUT=$(mktemp)
python3 test/mock/mock_api.py --port 0 --lifetime 1800 > "$OUT" &
MOCK_PID=$!
trap 'kill $MOCK_PID 2>/dev/null; rm -f "$OUT"' EXIT
for _ in $(seq 50); do grep -q '^PORT' "$OUT" && break; sleep 0.1; done
export MOCK_URL="http://127.0.0.1:$(awk '/^PORT/{print $2}' "$OUT")"
SPEC_DIR=$(mktemp -d /tmp/backfill_bench.XXXXXX)
cp test/specs/bench.yaml "$SPEC_DIR/"
chmod -R a+rX "$SPEC_DIR"
export SPEC="$SPEC_DIR/bench.yaml"

pg_virtualenv sh -c '
set -e
psql -X -q -v ON_ERROR_STOP=1 -v spec="$SPEC" -v mock="$MOCK_URL" -f test/bench/bench_scan.sql
# memory: a fresh backend for each size, its peak resident size after the scan
for n in 100k 1m; do
  psql -X -q -At -v ON_ERROR_STOP=1 -c "SELECT count(*), sum(id) FROM mem_$n" \
       -c "SELECT substring(pg_read_file(\$\$/proc/\$\$ || pg_backend_pid() || \$\$/status\$\$) from \$\$VmHWM:\s+(\d+)\$\$)" \
       > /tmp/bench_mem_$n
done
psql -X -q -At -c "SELECT substring(pg_read_file(\$\$/proc/\$\$ || pg_backend_pid() || \$\$/status\$\$) from \$\$VmHWM:\s+(\d+)\$\$)" > /tmp/bench_mem_idle
'
idle=$(cat /tmp/bench_mem_idle)
k100=$(tail -1 /tmp/bench_mem_100k)
m1=$(tail -1 /tmp/bench_mem_1m)
echo "memory: rows $(head -1 /tmp/bench_mem_100k | cut -d'|' -f1) and $(head -1 /tmp/bench_mem_1m | cut -d'|' -f1)"
awk -v i="$idle" -v a="$k100" -v b="$m1" 'BEGIN {
  printf "memory: backend peak (VmHWM) idle %.1f MB, scanning 100k records %.1f MB, 1M records %.1f MB\n", i/1024, a/1024, b/1024;
  printf "memory: 1M records take %.1f MB more than 100k (goal: at most 32 MB more)\n", (b-a)/1024 }'
rm -rf "$SPEC_DIR" /tmp/bench_mem_*
