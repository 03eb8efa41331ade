/*
 * bench_expr.c
 *		How fast the expression engine runs the two things a backfill runs
 *		most: the daily_events url template (per request) and its
 *		iterate.over expression (per endpoint run), each compiled once.
 *
 * Each figure is set against a baseline measured in the same run, the two
 * interleaved: the url against the same string built by hand (lookups,
 * snprintf, a json string), the over expression against compiling it again
 * every time.
 * Not a pass/fail test; build and run with test/bench/bench_expr.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "expr/expr.h"

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The url as a hand-written renderer would make it. */
static struct json_object *
url_by_hand(struct json_object *vars)
{
	struct json_object *state;
	struct json_object *base;
	struct json_object *date;
	char		buf[512];
	int			n;

	if (!json_object_object_get_ex(vars, "state", &state) ||
		!json_object_object_get_ex(state, "base_url", &base) ||
		!json_object_object_get_ex(state, "date", &date))
		return NULL;
	n = snprintf(buf, sizeof(buf), "%s/events/daily/%s",
				 json_object_get_string(base), json_object_get_string(date));
	return json_object_new_string_len(buf, n);
}

typedef enum Subject
{
	URL_TEMPLATE,
	URL_BY_HAND,
	OVER_EVAL,
	OVER_COMPILE_EVAL
} Subject;

static const char *const url_src = "{state.base_url}/events/daily/{state.date}";
static const char *const over_src =
"range(\n"
"  coalesce(context.range_start, sync.last_date, date_format(date_add(now(), -7, \"day\"), \"%Y-%m-%d\")),\n"
"  coalesce(context.range_end, date_format(date_add(now(), -1, \"day\"), \"%Y-%m-%d\")),\n"
"  \"1d\"\n"
")";

/* Run subject n times; returns runs per second (0 on an error). */
static double
run(Subject subject, long n, const BfTemplate *url, const BfExpr *over,
	struct json_object *vars)
{
	BfError		err;
	double		start = now_seconds();
	long		i;

	for (i = 0; i < n; i++)
	{
		struct json_object *v = NULL;

		switch (subject)
		{
			case URL_TEMPLATE:
				v = bf_template_render(url, vars, &err);
				break;
			case URL_BY_HAND:
				v = url_by_hand(vars);
				break;
			case OVER_EVAL:
				v = bf_expr_eval(over, vars, &err);
				break;
			case OVER_COMPILE_EVAL:
				{
					BfExpr	   *e = bf_expr_compile(over_src, &err);

					if (e == NULL)
						return 0;
					v = bf_expr_eval(e, vars, &err);
					bf_expr_free(e);
					break;
				}
		}
		if (v == NULL)
			return 0;
		json_object_put(v);
	}
	return (double) n / (now_seconds() - start);
}

/*
 * Size n so that a run of a takes about a fifth of a second, then run a and
 * b in turn five times and keep the best of each: interleaving makes the two
 * share whatever else the machine is doing.
 */
static void
compare(Subject a, Subject b, const BfTemplate *url, const BfExpr *over,
		struct json_object *vars, double *ra, double *rb)
{
	long		n = 1000;
	int			k;

	*ra = *rb = 0;
	while (n / run(a, n, url, over, vars) < 0.2 && n < 100000000)
		n *= 2;
	for (k = 0; k < 5; k++)
	{
		double		x = run(a, n, url, over, vars);
		double		y = run(b, n, url, over, vars);

		if (x > *ra)
			*ra = x;
		if (y > *rb)
			*rb = y;
	}
}

int
main(void)
{
	struct json_object *vars = json_tokener_parse(
												  "{\"state\": {\"base_url\": \"https://api.analytics.com/v1\", \"date\": \"2024-01-05\","
												  "             \"current_date\": \"2024-01-05T00:00:00Z\"},"
												  " \"context\": {\"range_start\": \"2024-01-01\", \"range_end\": \"2024-01-31\"},"
												  " \"sync\": {}, \"secrets\": {\"api_key\": \"k\"}}");
	BfError		err;
	BfTemplate *url = bf_template_compile(url_src, &err);
	BfExpr	   *over = bf_expr_compile(over_src, &err);
	double		tmpl;
	double		hand;
	double		eval;
	double		both;

	if (vars == NULL || url == NULL || over == NULL)
	{
		fprintf(stderr, "bench_expr: setup failed: %s\n", err.message);
		return 1;
	}
	compare(URL_TEMPLATE, URL_BY_HAND, url, over, vars, &tmpl, &hand);
	compare(OVER_EVAL, OVER_COMPILE_EVAL, url, over, vars, &eval, &both);
	if (tmpl == 0 || hand == 0 || eval == 0 || both == 0)
	{
		fprintf(stderr, "bench_expr: an evaluation failed\n");
		return 1;
	}
	printf("url template %s\n", url_src);
	printf("  compiled once, rendered:   %12.0f renders/s\n", tmpl);
	printf("  baseline, by hand:         %12.0f renders/s\n", hand);
	printf("  ratio template/by hand:    %12.2f\n", tmpl / hand);
	printf("daily_events iterate.over, range 2024-01-01..2024-01-31 (31 dates)\n");
	printf("  compiled once, evaluated:  %12.0f evaluations/s\n", eval);
	printf("  baseline, compile+evaluate:%12.0f evaluations/s\n", both);
	printf("  ratio eval/compile+eval:   %12.2f\n", eval / both);
	bf_template_free(url);
	bf_expr_free(over);
	json_object_put(vars);
	return 0;
}
