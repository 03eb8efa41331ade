#!/bin/sh
# test/fuzz/build.sh: build every libFuzzer target of test/fuzz into
# build/fuzz (clang, -fsanitize=fuzzer,address,undefined).  Each target's
# file header says how to run it; test/fuzz/seeds_<name> is its seed corpus.
set -eu
cd "$(dirname "$0")/../.."
mkdir -p build/fuzz
CC=${CC:-clang}
FLAGS="-D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc"
EXPR="src/bf_error.c src/expr_lex.c src/expr_parse.c src/expr_eval.c src/expr_value.c
	src/template.c src/functions.c src/datetime.c src/crypto.c src/jmespath.c
	src/jmespath_lex.c src/jmespath_eval.c src/jmespath_func.c src/utf8.c"
SPEC="src/spec.c src/spec_yaml.c src/spec_merge.c"

# build <target> <sources...>: one fuzzer binary
build() {
	t=$1; shift
	echo "fuzz: $t"
	# shellcheck disable=SC2086
	$CC $FLAGS "test/fuzz/$t.c" "$@" -ljson-c -lyaml -lcrypto -lm -o "build/fuzz/$t"
}

build fuzz_expr $EXPR
build fuzz_template $EXPR
build fuzz_jmespath src/jmespath.c src/jmespath_lex.c src/jmespath_eval.c \
	src/jmespath_func.c src/bf_error.c src/utf8.c
build fuzz_jsonscan src/jsonscan.c src/utf8.c
build fuzz_spec $SPEC $EXPR
build fuzz_csv src/formats.c src/jsonscan.c src/bf_error.c src/utf8.c
build fuzz_jsonl src/formats.c src/jsonscan.c src/bf_error.c src/utf8.c
