#!/bin/sh
# Build test/bench/bench_expr.c with the unit-test flags (PostgreSQL's CFLAGS,
# -O2, -Werror) and run it from the project root.  Prints renders and
# evaluations per second against baselines measured in the same run.
set -e
cd "$(dirname "$0")/../.."
mkdir -p build/bench
${CC:-gcc} $(pg_config --cflags) -Werror -Isrc test/bench/bench_expr.c \
	src/util/bf_error.c src/expr/expr_lex.c src/expr/expr_parse.c src/expr/expr_eval.c src/expr/expr_value.c \
	src/expr/template.c src/expr/functions.c src/expr/datetime.c src/util/digest.c \
	src/jmespath/jmespath.c src/jmespath/jmespath_lex.c src/jmespath/jmespath_eval.c src/jmespath/jmespath_func.c src/util/utf8.c \
	-o build/bench/bench_expr -ljson-c -lm
exec ./build/bench/bench_expr
