#!/bin/sh
# Build test/bench/bench_expr.c with the unit-test flags (PostgreSQL's CFLAGS,
# -O2, -Werror) and run it from the project root.  Prints renders and
# evaluations per second against baselines measured in the same run.
set -e
cd "$(dirname "$0")/../.."
mkdir -p build/bench
${CC:-gcc} $(pg_config --cflags) -Werror -Isrc test/bench/bench_expr.c \
	src/bf_error.c src/expr_lex.c src/expr_parse.c src/expr_eval.c src/expr_value.c \
	src/template.c src/functions.c src/datetime.c src/crypto.c \
	src/jmespath.c src/jmespath_lex.c src/jmespath_eval.c src/jmespath_func.c src/utf8.c \
	-o build/bench/bench_expr -lcrypto -ljson-c -lm
exec ./build/bench/bench_expr
