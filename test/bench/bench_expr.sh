#!/bin/sh
# Build test/bench/bench_expr.c (make bench-build: the unit-test flags,
# PostgreSQL's CFLAGS, -O2, -Werror, linked with the modules it includes) and
# run it from the project root.  Prints renders and
# evaluations per second against baselines measured in the same run.
set -e
cd "$(dirname "$0")/../.."
make -s bench-build
exec ./build/bench/bench_expr
