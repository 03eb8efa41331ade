/*
 * bench_jmespath.c
 *		The C side of the JMESPath benchmark (test/bench/bench_jmespath.sh runs
 *		both sides): every case of benchmarks.json is compiled, searched and
 *		freed N times, and the time of one round is printed per case as
 *		"<case number>\t<nanoseconds>\t<expression>" for bench_jmespath.py to
 *		set against Python's jmespath.
 *
 *		bench_jmespath <benchmarks.json> <N>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jmespath/jmespath.h"

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

/* ns per compile + search + free of expr over given, over n rounds; -1 on error. */
static double
bench_case(const char *expr, struct json_object *given, long n)
{
	double		start = now_ns();
	long		i;

	for (i = 0; i < n; i++)
	{
		JpError		err;
		JpExpr	   *e = jp_compile(expr, &err);

		if (e == NULL)
		{
			fprintf(stderr, "%s: %s\n", expr, err.message);
			return -1;
		}
		json_object_put(jp_search(e, given, &err));
		jp_free(e);
	}
	return (now_ns() - start) / (double) n;
}

int
main(int argc, char **argv)
{
	struct json_object *suites;
	long		n;
	size_t		i;
	size_t		j;
	int			num = 0;

	if (argc != 3)
	{
		fprintf(stderr, "usage: %s benchmarks.json N\n", argv[0]);
		return 2;
	}
	suites = json_object_from_file(argv[1]);
	n = atol(argv[2]);
	if (suites == NULL || n <= 0)
	{
		fprintf(stderr, "cannot read %s\n", argv[1]);
		return 2;
	}
	for (i = 0; i < json_object_array_length(suites); i++)
	{
		struct json_object *suite = json_object_array_get_idx(suites, i);
		struct json_object *given = json_object_object_get(suite, "given");
		struct json_object *cases = json_object_object_get(suite, "cases");

		for (j = 0; j < json_object_array_length(cases); j++)
		{
			const char *expr = json_object_get_string(
													  json_object_object_get(json_object_array_get_idx(cases, j), "expression"));
			double		ns = bench_case(expr, given, n);

			if (ns < 0)
				return 1;
			printf("%d\t%.1f\t%s\n", num++, ns, expr);
		}
	}
	json_object_put(suites);
	return 0;
}
