"""Python side of the JMESPath benchmark (run by test/bench/bench_jmespath.sh).

Times every case of benchmarks.json with the `jmespath` package, N rounds
each, in two ways: jmespath.search() as callers use it (the package caches up
to 128 parsed expressions, so after the first round it only interprets), and
with the cache cleared before each round (a real compile + search, the work
the C side does).  Reads the C side's per-case timings from a file and prints
per-case and overall ratios, Python time / C time.

    python3 bench_jmespath.py <benchmarks.json> <N> <c-results.tsv>
"""
import json
import math
import sys
import time
import warnings

import jmespath
from jmespath.parser import Parser


def per_round(fn, n):
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e9


def main():
    path, n, c_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    warnings.simplefilter("ignore")
    c_ns = {}
    with open(c_path) as f:
        for line in f:
            num, ns, _ = line.rstrip("\n").split("\t", 2)
            c_ns[int(num)] = float(ns)
    cases = []
    with open(path) as f:
        for suite in json.load(f):
            for case in suite["cases"]:
                cases.append((case["expression"], suite["given"]))
    if len(cases) != len(c_ns):
        sys.exit("C results do not match %s" % path)

    print("JMESPath benchmark: %d cases of %s, %d rounds each" % (len(cases), path, n))
    print("python: jmespath %s; cached = jmespath.search() (parse cache on),"
          " compile = cache cleared each round" % jmespath.__version__)
    print("%-3s %-42s %10s %11s %7s %11s %7s" % (
        "#", "expression", "C ns", "cached ns", "ratio", "compile ns", "ratio"))
    tot_c = tot_cached = tot_compile = 0.0
    logs_cached = []
    logs_compile = []
    for i, (expr, given) in enumerate(cases):
        cached = per_round(lambda: jmespath.search(expr, given), n)

        def compiled():
            Parser.purge()
            jmespath.search(expr, given)
        compile_ns = per_round(compiled, n)
        c = c_ns[i]
        tot_c += c
        tot_cached += cached
        tot_compile += compile_ns
        logs_cached.append(math.log(cached / c))
        logs_compile.append(math.log(compile_ns / c))
        shown = expr if len(expr) <= 42 else expr[:39] + "..."
        print("%-3d %-42s %10.0f %11.0f %6.1fx %11.0f %6.1fx" % (
            i, shown, c, cached, cached / c, compile_ns, compile_ns / c))
    print("overall (total time): %.1fx vs cached search, %.1fx vs compile+search" % (
        tot_cached / tot_c, tot_compile / tot_c))
    print("geometric mean of the cases: %.1fx vs cached search, %.1fx vs compile+search" % (
        math.exp(sum(logs_cached) / len(cases)), math.exp(sum(logs_compile) / len(cases))))


if __name__ == "__main__":
    main()
