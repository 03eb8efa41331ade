#!/usr/bin/env bash
# test/bench/bench_jmespath.sh [N]: the C JMESPath module against Python's
# jmespath package (Debian's python3-jmespath) on every case of the
# compliance suite's benchmarks.json, N rounds of compile + search each
# (default 2000).  Builds the C side with make bench-build (the unit tests'
# flags, PostgreSQL's CFLAGS plus -Werror), then prints per-case and overall
# ratios, Python time / C time.  A measurement, not a test: it never fails on a figure.
#
#   apt-get install -y python3-jmespath   # once
#   test/bench/bench_jmespath.sh
set -eu
cd "$(dirname "$0")/../.."
N=${1:-2000}
OUT=build/bench
make -s bench-build
# Debian's package is for Debian's python3, which another python3 earlier in
# PATH may hide
PY=/usr/bin/python3
if ! $PY -c 'import jmespath' 2>/dev/null; then
	PY=python3
fi
"$OUT/bench_jmespath" test/jmespath/benchmarks.json "$N" > "$OUT/bench_jmespath_c.tsv"
$PY test/bench/bench_jmespath.py test/jmespath/benchmarks.json "$N" "$OUT/bench_jmespath_c.tsv"
