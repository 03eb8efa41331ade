/*
 * test_runner.c
 *		Unit tests of the endpoint runner (src/runner/) against the mock
 *		API of the SQL tests (test/mock/mock_api.py; argv[1] overrides its
 *		path), which this program starts on a free loopback port and stops.
 *
 * Each test loads a small spec whose URLs point at the mock ("@URL@" in
 * the YAML below), runs an endpoint to its end and checks its records,
 * its statistics and what the mock saw.  Timing assertions have wide
 * margins: they tell a wait of ~1 s from one of ~2 s or none, no more.
 */
#include <dirent.h>
#include <malloc.h>
#include <math.h>

#include "runner_harness.h"
#include "unit.h"

/* How the checks below write JSON */
#define JSON_TEXT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Every spec below sends as fast as it can unless it says otherwise. */
#define HEAD "name: t\ndefaults:\n  request:\n    rate: 0\nendpoints:\n  e:\n"

static HarnessServer mock;

/* A spec's text with @URL@ replaced by the mock's URL. */
static char *
with_url(const char *yaml)
{
	size_t		ulen = strlen(mock.url);
	char	   *out = malloc(strlen(yaml) * (ulen + 1) + 1);
	char	   *o = out;
	const char *p;

	for (p = yaml; *p; p++)
	{
		if (strncmp(p, "@URL@", 5) == 0)
		{
			memcpy(o, mock.url, ulen);
			o += ulen;
			p += 4;
		}
		else
			*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* One run of a spec's first endpoint, kept for its accessors. */
typedef struct Run
{
	BfSpec	   *spec;
	BfRunner   *runner;
	struct json_object *records;
	BfRunStatus status;
	BfError		err;
	BfRunStats	stats;
	double		elapsed;
} Run;

static BfSpec *
load_spec(const char *yaml)
{
	char	   *text = with_url(yaml);
	BfError		err;
	BfSpec	   *spec = bf_spec_load_string(text, strlen(text), "t.yaml", &err);

	CHECK_MSG(spec != NULL, "%s", err.message);
	free(text);
	return spec;
}

/* Run the endpoint to its end (ctx NULL: an empty context); false if it did not start. */
static bool
run_spec(Run *run, const char *yaml, const BfRunContext *ctx)
{
	BfRunContext none;
	double		t0 = bf_http_now();

	memset(run, 0, sizeof(*run));
	memset(&none, 0, sizeof(none));
	run->spec = load_spec(yaml);
	if (run->spec == NULL)
		return false;
	run->runner = bf_runner_new(run->spec, &run->spec->endpoints[0], ctx ? ctx : &none, &run->err);
	CHECK_MSG(run->runner != NULL, "%s", run->err.message);
	if (run->runner == NULL)
	{
		bf_spec_free(run->spec);
		return false;
	}
	run->status = harness_drain(run->runner, 30, &run->records, &run->err);
	run->elapsed = bf_http_now() - t0;
	bf_runner_stats(run->runner, &run->stats);
	return true;
}

static void
run_free(Run *run)
{
	json_object_put(run->records);
	bf_runner_free(run->runner);
	bf_spec_free(run->spec);
}

/* The text of key in every record, comma-separated (static buffer). */
static const char *
column(struct json_object *records, const char *key)
{
	static char buf[4096];
	size_t		i;

	buf[0] = '\0';
	for (i = 0; records != NULL && i < json_object_array_length(records); i++)
	{
		struct json_object *v = NULL;
		char	   *t;

		json_object_object_get_ex(json_object_array_get_idx(records, i), key, &v);
		t = bf_value_to_text(v);
		if (i > 0)
			strncat(buf, ",", sizeof(buf) - strlen(buf) - 1);
		strncat(buf, t, sizeof(buf) - strlen(buf) - 1);
		free(t);
	}
	return buf;
}

/* The compact JSON text of key in obj (static buffer), "(absent)" if none. */
static const char *
json_at(struct json_object *obj, const char *key)
{
	static char buf[4096];
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return "(absent)";
	snprintf(buf, sizeof(buf), "%s", json_object_to_json_string_ext(v, JSON_TEXT));
	return buf;
}

/* A number the mock reports: /stats?tag=... or /attempts?key=... */
static long
mock_number(const char *path, const char *key)
{
	char		url[256];
	struct json_object *doc;
	struct json_object *v;
	long		n = -1;

	snprintf(url, sizeof(url), "%s%s", mock.url, path);
	doc = harness_fetch(BF_HTTP_GET, url, NULL);
	if (json_object_object_get_ex(doc, key, &v))
		n = (long) json_object_get_int64(v);
	json_object_put(doc);
	return n;
}

/* ---- requests and iterations ------------------------------------------- */

static void
test_single_request(void)
{
	Run			run;

	if (!run_spec(&run, HEAD
				  "    request:\n"
				  "      url: @URL@/v1/events/daily/2024-01-15\n"
				  "    response:\n"
				  "      records:\n"
				  "        jmespath: data.events[]\n", NULL))
		return;
	CHECK(run.status == BF_RUN_DONE);
	CHECK_STR(column(run.records, "event_id"), "2024-01-15-1,2024-01-15-2,2024-01-15-3");
	CHECK_STR(column(run.records, "date"), "2024-01-15,2024-01-15,2024-01-15");
	CHECK(run.stats.requests == 1 && run.stats.iterations == 1 && run.stats.records == 3);
	CHECK(run.stats.bytes > 0 && run.stats.retries == 0);
	run_free(&run);
}

/*
 * iterate: each value of over is an iteration with its own state (into set
 * first, the endpoint's state rendered after it), at most concurrency at
 * a time.
 */
static void
test_iterate(void)
{
	Run			run;

	if (!run_spec(&run, HEAD
				  "    state:\n"
				  "      key: \"k{state.i}\"\n"
				  "    iterate:\n"
				  "      over: [1, 2, 3, 4, 5, 6]\n"
				  "      into: state.i\n"
				  "      concurrency: 3\n"
				  "    request:\n"
				  "      url: @URL@/slow\n"
				  "      parameters: {ms: 300, id: \"{state.key}\", tag: conc3}\n"
				  "    response:\n"
				  "      records:\n"
				  "        jmespath: items[]\n", NULL))
		return;
	CHECK(run.status == BF_RUN_DONE);
	CHECK(json_object_array_length(run.records) == 6);
	{
		int			i;

		for (i = 1; i <= 6; i++)
		{
			char		want[8];

			snprintf(want, sizeof(want), "k%d", i);
			CHECK_MSG(strstr(column(run.records, "id"), want) != NULL, "%s missing", want);
		}
	}
	CHECK(run.stats.iterations == 6 && run.stats.requests == 6);
	CHECK_MSG(mock_number("/stats?tag=conc3", "max_in_flight") == 3, "max_in_flight %ld",
			  mock_number("/stats?tag=conc3", "max_in_flight"));
	CHECK_MSG(run.elapsed >= 0.55 && run.elapsed < 1.5, "%.2f s", run.elapsed);
	run_free(&run);

	/* concurrency 1: one at a time, so in the order of over */
	if (!run_spec(&run, HEAD
				  "    iterate:\n"
				  "      over: '[\"a\", \"b\", \"c\"]'\n"
				  "      into: state.i\n"
				  "      concurrency: 1\n"
				  "    request:\n"
				  "      url: @URL@/slow?ms=50&id={state.i}&tag=conc1\n"
				  "    response:\n"
				  "      records:\n"
				  "        jmespath: items[]\n", NULL))
		return;
	CHECK(run.status == BF_RUN_DONE);
	CHECK_STR(column(run.records, "id"), "a,b,c");
	CHECK(mock_number("/stats?tag=conc1", "max_in_flight") == 1);
	run_free(&run);
}

/* BfRunContext.first_iteration / max_iterations: a window of over. */
static void
test_iteration_window(void)
{
	static const char *spec = HEAD
		"    iterate:\n"
		"      over: [1, 2, 3, 4, 5]\n"
		"      into: state.i\n"
		"      concurrency: 1\n"
		"    request:\n"
		"      url: @URL@/slow?ms=0&id={state.i}\n"
		"    response:\n"
		"      records:\n"
		"        jmespath: items[]\n";
	BfRunContext ctx;
	Run			run;

	memset(&ctx, 0, sizeof(ctx));
	ctx.first_iteration = 1;
	ctx.max_iterations = 2;
	if (!run_spec(&run, spec, &ctx))
		return;
	CHECK(run.status == BF_RUN_DONE);
	CHECK_STR(column(run.records, "id"), "2,3");
	CHECK(run.stats.iterations == 5 && run.stats.requests == 2);
	run_free(&run);

	ctx.first_iteration = 4;
	ctx.max_iterations = 0;
	if (!run_spec(&run, spec, &ctx))
		return;
	CHECK_STR(column(run.records, "id"), "5");
	run_free(&run);

	ctx.first_iteration = 9;
	if (!run_spec(&run, spec, &ctx))
		return;
	CHECK(run.status == BF_RUN_DONE && json_object_array_length(run.records) == 0);
	CHECK(run.stats.requests == 0);
	run_free(&run);
}

/* ---- pagination ---------------------------------------------------------- */

/*
 * requests: what sequential paging sends; ahead: how many more page
 * prefetch (runner_prefetch.c) may send past the end, its window.
 */
static void
check_paged(const char *what, const char *yaml, long requests, long ahead)
{
	Run			run;

	if (!run_spec(&run, yaml, NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s: %s", what, run.err.message);
	CHECK_MSG(strcmp(column(run.records, "id"), "1,2,3,4,5,6,7,8,9,10") == 0, "%s: %s", what,
			  column(run.records, "id"));
	CHECK_MSG(run.stats.requests >= requests && run.stats.requests <= requests + ahead,
			  "%s: %ld requests", what, run.stats.requests);
	run_free(&run);
}

static void
test_pagination(void)
{
	check_paged("cursor", HEAD
				"    request:\n"
				"      url: @URL@/paged/cursor\n"
				"      parameters: {after: \"{state.after}\", limit: 3}\n"
				"    pagination:\n"
				"      next_state: {after: \"{response.json.next_cursor}\"}\n"
				"      stop_condition: response.json.has_more == false\n"
				"    response:\n"
				"      records: {jmespath: \"data[]\"}\n", 4, 0);
	check_paged("page number", HEAD
				"    state: {page: 1}\n"
				"    request:\n"
				"      url: @URL@/paged/page\n"
				"      parameters: {page: \"{state.page}\", per_page: 4}\n"
				"    pagination:\n"
				"      next_state: {page: \"{state.page + 1}\"}\n"
				"      stop_condition: response.json.page >= response.json.total_pages\n"
				"    response:\n"
				"      records: {jmespath: \"items[]\"}\n", 3, 4);
	check_paged("offset", HEAD
				"    state: {offset: 0, limit: 4}\n"
				"    request:\n"
				"      url: @URL@/paged/offset\n"
				"      parameters: {offset: \"{state.offset}\", limit: \"{state.limit}\"}\n"
				"    pagination:\n"
				"      next_state: {offset: \"{state.offset + state.limit}\"}\n"
				"      stop_condition: length(response.records) < state.limit\n"
				"    response:\n"
				"      records: {jmespath: \"results[]\"}\n", 3, 4);
	check_paged("next url", HEAD
				"    state: {url: \"@URL@/paged/next\"}\n"
				"    request:\n"
				"      url: \"{state.url}\"\n"
				"    pagination:\n"
				"      next_state: {url: \"{response.json.next}\"}\n"
				"      stop_condition: is_null(response.json.next)\n"
				"    response:\n"
				"      records: {jmespath: \"items[]\"}\n", 4, 0);
	/* without stop_condition, the first page without records ends it */
	check_paged("no stop_condition", HEAD
				"    state: {offset: 0}\n"
				"    request:\n"
				"      url: @URL@/paged/offset?limit=4&offset={state.offset}\n"
				"    pagination:\n"
				"      next_state: {offset: \"{state.offset + 4}\"}\n"
				"    response:\n"
				"      records: {jmespath: \"results[]\"}\n", 4, 4);
}

/* ---- rules ----------------------------------------------------------------- */

static void
test_rule_retry(void)
{
	Run			run;

	/* backoff none: resent at once, up to max_attempts */
	if (!run_spec(&run, HEAD
				  "    request: {url: \"@URL@/flaky?key=rn&fail=2\"}\n"
				  "    response:\n"
				  "      records: {jmespath: \"items[]\"}\n"
				  "      rules:\n"
				  "        - {condition: response.status == 503, action: retry, max_attempts: 3,"
				  " backoff: none}\n", NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(column(run.records, "attempt"), "3");
	CHECK(run.stats.retries == 2 && run.stats.requests == 3);
	CHECK_MSG(run.elapsed < 0.8, "%.2f s", run.elapsed);
	run_free(&run);

	/* constant backoff waits backoff_base between attempts */
	if (!run_spec(&run, HEAD
				  "    request: {url: \"@URL@/flaky?key=rc&fail=1\"}\n"
				  "    response:\n"
				  "      records: {jmespath: \"items[]\"}\n"
				  "      rules:\n"
				  "        - {condition: response.status == 503, action: retry, max_attempts: 3,"
				  " backoff: constant, backoff_base: 0.4}\n", NULL))
		return;
	CHECK_STR(column(run.records, "attempt"), "2");
	CHECK_MSG(run.elapsed >= 0.35 && run.elapsed < 1.5, "%.2f s", run.elapsed);
	run_free(&run);

	/* attempts spent: the run fails, saying so */
	if (!run_spec(&run, HEAD
				  "    request: {url: \"@URL@/flaky?key=rx&fail=9\"}\n"
				  "    response:\n"
				  "      rules:\n"
				  "        - {condition: response.status == 503, action: retry, max_attempts: 2,"
				  " backoff: none}\n", NULL))
		return;
	CHECK(run.status == BF_RUN_ERROR && run.err.kind == BF_ERR_HTTP);
	CHECK_MSG(strstr(run.err.message, "gave up after 2 retries: HTTP 503") != NULL, "%s",
			  run.err.message);
	CHECK(run.stats.requests == 3);
	run_free(&run);
}

/* A defaults.state value that fails to render names its key once. */
static void
test_base_state_error(void)
{
	BfSpec	   *spec = load_spec("name: t\ndefaults:\n  state:\n    bad: \"{1 / 0}\"\n"
								 "endpoints:\n  e:\n    request: {url: \"@URL@/x\"}\n");
	BfRunContext ctx;
	BfError		err;
	BfRunner   *runner;
	const char *at;

	if (spec == NULL)
		return;
	memset(&ctx, 0, sizeof(ctx));
	runner = bf_runner_new(spec, &spec->endpoints[0], &ctx, &err);
	CHECK(runner == NULL);
	if (runner == NULL)
	{
		at = strstr(err.message, "defaults.state.bad");
		CHECK_MSG(at != NULL && strstr(at + 1, "defaults.state.bad") == NULL, "%s", err.message);
		CHECK_MSG(strstr(err.message, "division by zero") != NULL, "%s", err.message);
	}
	bf_runner_free(runner);
	bf_spec_free(spec);
}

/* The default 429 rule (linear, base 2 s) waits what Retry-After says instead. */
static void
test_rule_429(void)
{
	Run			run;

	if (!run_spec(&run, HEAD
				  "    request: {url: \"@URL@/ratelimited?key=rl1&fail=1&after=1\"}\n"
				  "    response:\n"
				  "      records: {jmespath: \"items[]\"}\n", NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(column(run.records, "attempt"), "2");
	CHECK(run.stats.retries == 1);
	CHECK_MSG(run.elapsed >= 0.9 && run.elapsed < 1.8, "%.2f s", run.elapsed);
	run_free(&run);
}

/*
 * The request trace (issue 14): a line per completed request and per
 * retry, with the time and the queue wait in the detail, only when the
 * context asks; the iterations ended are counted for the progress report.
 */
static void
test_trace(void)
{
	Run			run;
	BfRunContext ctx;
	char	   *line;
	char	   *detail;
	char	   *lines[4] = {NULL, NULL, NULL, NULL};
	char	   *details[4] = {NULL, NULL, NULL, NULL};
	int			n = 0;
	int			i;
	const char *spec = "name: t\nendpoints:\n  e:\n"
		"    request: {url: \"@URL@/ratelimited?key=trace1&fail=1&after=0\", rate: 4}\n"
		"    response:\n"
		"      records: {jmespath: \"items[]\"}\n";

	memset(&ctx, 0, sizeof(ctx));
	ctx.trace = true;
	if (!run_spec(&run, spec, &ctx))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	while ((line = bf_runner_take_trace(run.runner, &detail)) != NULL)
	{
		if (n < 4)
		{
			lines[n] = line;
			details[n] = detail;
		}
		else
		{
			free(line);
			free(detail);
		}
		n++;
	}
	CHECK_MSG(n == 3, "%d lines", n);
	if (n == 3)
	{
		CHECK_MSG(strstr(lines[0], "endpoint \"e\": GET ") == lines[0] &&
				  strstr(lines[0], "/ratelimited?key=trace1&fail=1&after=0: 429, ") != NULL,
				  "%s", lines[0]);
		CHECK_MSG(strstr(details[0], " ms") != NULL && strstr(details[0], "queued") == NULL,
				  "%s", details[0]);
		CHECK_MSG(strstr(lines[1], "retry 1 of 3 of GET ") != NULL &&
				  strstr(lines[1], "after status 429 (default rule ") != NULL, "%s", lines[1]);
		CHECK_MSG(strstr(details[1], "as the server asked (Retry-After)") != NULL, "%s", details[1]);
		CHECK_MSG(strstr(lines[2], ": 200, ") != NULL, "%s", lines[2]);
		/* the resend waited for the rate's spacing (4/s), not for the 0 s pause */
		CHECK_MSG(strstr(details[2], "queued for the rate limit (request.rate 4/s)") != NULL,
				  "%s", details[2]);
	}
	for (i = 0; i < 4; i++)
	{
		free(lines[i]);
		free(details[i]);
	}
	CHECK(run.stats.iterations_done == 1);
	run_free(&run);

	/* not asked: nothing is queued */
	if (!run_spec(&run, HEAD "    request: {url: \"@URL@/ratelimited?key=trace2&fail=0\"}\n"
				  "    response:\n      records: {jmespath: \"items[]\"}\n", NULL))
		return;
	CHECK(bf_runner_take_trace(run.runner, &detail) == NULL && detail == NULL);
	run_free(&run);
}

static void
test_rule_actions(void)
{
	Run			run;

	/* continue: a response a rule lets through has no records, the run goes on */
	if (!run_spec(&run, HEAD
				  "    iterate:\n"
				  "      over: [\"2024-01-01\", \"bad\", \"2024-01-03\"]\n"
				  "      into: state.d\n"
				  "      concurrency: 1\n"
				  "    request: {url: \"@URL@/v1/events/daily/{state.d}\"}\n"
				  "    response:\n"
				  "      records: {jmespath: \"data.events[]\"}\n"
				  "      rules:\n"
				  "        - {condition: response.status == 400, action: continue}\n", NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(column(run.records, "date"),
			  "2024-01-01,2024-01-01,2024-01-01,2024-01-03,2024-01-03,2024-01-03");
	run_free(&run);

	/* skip: page 2's records are dropped, paging goes on */
	if (!run_spec(&run, HEAD
				  "    state: {page: 1}\n"
				  "    request: {url: \"@URL@/paged/page?per_page=4&page={state.page}\"}\n"
				  "    pagination:\n"
				  "      next_state: {page: \"{state.page + 1}\"}\n"
				  "      stop_condition: response.json.page >= response.json.total_pages\n"
				  "    response:\n"
				  "      records: {jmespath: \"items[]\"}\n"
				  "      rules:\n"
				  "        - {condition: response.json.page == 2, action: skip}\n", NULL))
		return;
	CHECK_STR(column(run.records, "id"), "1,2,3,4,9,10");
	/* pages asked for ahead past the end (runner_prefetch.c): 4 at most */
	CHECK(run.stats.requests >= 3 && run.stats.requests <= 7);
	run_free(&run);

	/* break: ends its own iteration (dropping that page), not the others */
	if (!run_spec(&run, HEAD
				  "    iterate: {over: [\"a\", \"b\"], into: state.k, concurrency: 1}\n"
				  "    request:\n"
				  "      url: @URL@/paged/cursor\n"
				  "      parameters: {after: \"{state.after}\", limit: 3, tag: \"{state.k}\"}\n"
				  "    pagination:\n"
				  "      next_state: {after: \"{response.json.next_cursor}\"}\n"
				  "      stop_condition: response.json.has_more == false\n"
				  "    response:\n"
				  "      records: {jmespath: \"data[]\"}\n"
				  "      rules:\n"
				  "        - condition: 'state.k == \"a\" && response.json.next_cursor == 6'\n"
				  "          action: break\n", NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(column(run.records, "id"), "1,2,3,1,2,3,4,5,6,7,8,9,10");
	CHECK(run.stats.requests == 6);
	run_free(&run);

	/* stop: no new iteration starts */
	if (!run_spec(&run, HEAD
				  "    iterate:\n"
				  "      over: [\"2024-01-01\", \"2024-01-02\", \"2024-01-03\"]\n"
				  "      into: state.d\n"
				  "      concurrency: 1\n"
				  "    request: {url: \"@URL@/v1/events/daily/{state.d}\"}\n"
				  "    response:\n"
				  "      records: {jmespath: \"data.events[]\"}\n"
				  "      rules:\n"
				  "        - condition: 'state.d == \"2024-01-02\"'\n"
				  "          action: stop\n", NULL))
		return;
	CHECK(run.status == BF_RUN_DONE);
	CHECK_STR(column(run.records, "date"), "2024-01-01,2024-01-01,2024-01-01");
	CHECK(run.stats.requests == 2);
	run_free(&run);

	/* fail, with a message rendered against the response */
	if (!run_spec(&run, HEAD
				  "    request: {url: \"@URL@/status/404\"}\n"
				  "    response:\n"
				  "      rules:\n"
				  "        - condition: response.status == 404\n"
				  "          action: fail\n"
				  "          message: \"nothing at {request.url} ({response.status})\"\n", NULL))
		return;
	CHECK(run.status == BF_RUN_ERROR && run.err.kind == BF_ERR_HTTP);
	{
		char		want[256];

		snprintf(want, sizeof(want), "endpoint \"e\": nothing at %s/status/404 (404) (HTTP 404)",
				 mock.url);
		CHECK_STR(run.err.message, want);
	}
	run_free(&run);

	/* no rule of the spec's: the default fail rule names status, request and body */
	if (!run_spec(&run, HEAD "    request: {url: \"@URL@/status/404\"}\n", NULL))
		return;
	CHECK(run.status == BF_RUN_ERROR);
	CHECK_MSG(strstr(run.err.message, "HTTP 404 from GET ") != NULL &&
			  strstr(run.err.message, "status 404 from the mock") != NULL, "%s", run.err.message);
	run_free(&run);
}

/* ---- processors, records --------------------------------------------------- */

static const char *processors_spec = HEAD
"    sync: [max_id, min_id, last_id]\n"
"    request:\n"
"      url: @URL@/paged/cursor\n"
"      parameters: {after: \"{state.after}\", limit: 3}\n"
"    pagination:\n"
"      next_state: {after: \"{response.json.next_cursor}\"}\n"
"      stop_condition: response.json.has_more == false\n"
"    response:\n"
"      records: {jmespath: \"data[]\"}\n"
"      processors:\n"
"        - {expression: record.id, output: state.max_id, aggregation: maximum}\n"
"        - {expression: record.id, output: state.min_id, aggregation: minimum}\n"
"        - {expression: record.id, output: state.first_id, aggregation: first}\n"
"        - {expression: record.id, output: state.last_id, aggregation: last}\n"
"        - {expression: record.id, output: state.ids, aggregation: collect}\n"
"        - {expression: record.id, output: state.plain_id}\n"
"        - {expression: record.id, if: record.id < 5, output: state.small_max,"
" aggregation: maximum}\n"
"        - {expression: record.id * 2, output: record.doubled}\n"
"        - {expression: record.id, if: record.id == 5, output: state.only_five,"
" aggregation: collect}\n";

/* Each aggregation over all pages, "if", record.x, and the sync values. */
static void
test_processors(void)
{
	Run			run;
	struct json_object *state;
	struct json_object *sync;

	if (!run_spec(&run, processors_spec, NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(column(run.records, "doubled"), "2,4,6,8,10,12,14,16,18,20");
	state = bf_runner_state(run.runner);
	CHECK_STR(json_at(state, "max_id"), "10");
	CHECK_STR(json_at(state, "min_id"), "1");
	CHECK_STR(json_at(state, "first_id"), "1");
	CHECK_STR(json_at(state, "last_id"), "10");
	CHECK_STR(json_at(state, "ids"), "[1,2,3,4,5,6,7,8,9,10]");
	CHECK_STR(json_at(state, "plain_id"), "10");
	CHECK_STR(json_at(state, "small_max"), "4");
	CHECK_STR(json_at(state, "only_five"), "[5]");
	/* the state of the last page: the cursor that asked for it */
	CHECK_STR(json_at(state, "after"), "9");
	json_object_put(state);
	sync = bf_runner_sync_values(run.runner);
	CHECK_STR(json_object_to_json_string_ext(sync, JSON_TEXT),
			  "{\"max_id\":10,\"min_id\":1,\"last_id\":10}");
	json_object_put(sync);
	run_free(&run);
}

/*
 * A record processor replaces the record, or makes several of it; later
 * ones see the new ones.
 */
static void
test_record_transforms(void)
{
	Run			run;

	if (!run_spec(&run, HEAD
				  "    request: {url: \"@URL@/paged/cursor?limit=2\"}\n"
				  "    response:\n"
				  "      records: {jmespath: \"data[]\"}\n"
				  "      processors:\n"
				  "        - {expression: 'object(\"key\", record.id)', output: record}\n"
				  "        - {expression: record.key + 100, output: record.big}\n"
				  "        - {expression: upper(\"x\"), output: record.tag, if: record.key == 2}\n",
				  NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(json_object_to_json_string_ext(run.records, JSON_TEXT),
			  "[{\"key\":1,\"big\":101},{\"key\":2,\"big\":102,\"tag\":\"X\"}]");
	run_free(&run);

	/* a list as the record (what explode gives) is one record per element */
	if (!run_spec(&run, HEAD
				  "    request: {url: \"@URL@/paged/cursor?limit=2\"}\n"
				  "    response:\n"
				  "      records: {jmespath: \"data[]\"}\n"
				  "      processors:\n"
				  "        - expression: 'array(object(\"id\", record.id, \"p\", \"a\"),"
				  " object(\"id\", record.id, \"p\", \"b\"))'\n"
				  "          output: record\n"
				  "        - {expression: upper(record.p), output: record.p}\n"
				  "        - {expression: record.p, output: state.parts, aggregation: collect}\n",
				  NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(json_object_to_json_string_ext(run.records, JSON_TEXT),
			  "[{\"id\":1,\"p\":\"A\"},{\"id\":1,\"p\":\"B\"},{\"id\":2,\"p\":\"A\"},"
			  "{\"id\":2,\"p\":\"B\"}]");
	{
		struct json_object *state = bf_runner_state(run.runner);

		CHECK_STR(json_at(state, "parts"), "[\"A\",\"B\",\"A\",\"B\"]");
		json_object_put(state);
	}
	run_free(&run);
}

/*
 * records.jq picks the records with a jq program (its template rendered
 * first; an output that is a list gives its elements); a jq error names the
 * key; records.casing recases every record's keys after the processors.
 */
static void
test_jq_and_casing(void)
{
	Run			run;

	if (!run_spec(&run, HEAD
				  "    state: {field: data}\n"
				  "    request: {url: \"@URL@/paged/cursor?limit=2\"}\n"
				  "    response:\n"
				  "      records: {jq: '.{state.field} | map({recordId: .id})', casing: snake}\n"
				  "      processors:\n"
				  "        - {expression: record.recordId * 10, output: record.bigValue}\n",
				  NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(json_object_to_json_string_ext(run.records, JSON_TEXT),
			  "[{\"record_id\":1,\"big_value\":10},{\"record_id\":2,\"big_value\":20}]");
	run_free(&run);

	if (!run_spec(&run, HEAD
				  "    request: {url: \"@URL@/paged/cursor?limit=2\"}\n"
				  "    response:\n"
				  "      records: {jq: '.data[] | .id.x', casing: camel}\n",
				  NULL))
		return;
	CHECK(run.status == BF_RUN_ERROR);
	CHECK_MSG(strstr(run.err.message, "endpoints.e.response.records.jq") != NULL &&
			  strstr(run.err.message, "jq: Cannot index number with string \"x\"") != NULL,
			  "%s", run.err.message);
	run_free(&run);
}

/* Stored sync.* values are read; bf_sync_merge never moves a maximum back. */
static void
test_sync(void)
{
	BfRunContext ctx;
	Run			run;
	struct json_object *stored;
	struct json_object *fresh;
	struct json_object *merged;
	const BfEndpoint *ep;

	memset(&ctx, 0, sizeof(ctx));
	ctx.sync = json_tokener_parse("{\"max_id\": 7}");
	if (!run_spec(&run, HEAD
				  "    sync: [max_id]\n"
				  "    state: {after: \"{sync.max_id}\"}\n"
				  "    request: {url: \"@URL@/paged/cursor?limit=3&after={state.after}\"}\n"
				  "    pagination:\n"
				  "      next_state: {after: \"{response.json.next_cursor}\"}\n"
				  "      stop_condition: response.json.has_more == false\n"
				  "    response:\n"
				  "      records: {jmespath: \"data[]\"}\n"
				  "      processors:\n"
				  "        - {expression: record.id, output: state.max_id, aggregation: maximum}\n",
				  &ctx))
	{
		json_object_put(ctx.sync);
		return;
	}
	CHECK_STR(column(run.records, "id"), "8,9,10");
	run_free(&run);
	json_object_put(ctx.sync);

	run.spec = load_spec(processors_spec);
	if (run.spec == NULL)
		return;
	ep = &run.spec->endpoints[0];
	stored = json_tokener_parse("{\"max_id\": 50, \"min_id\": 5, \"last_id\": 99, \"other\": 1}");
	fresh = json_tokener_parse("{\"max_id\": 10, \"min_id\": 1, \"last_id\": 10}");
	merged = bf_sync_merge(ep, stored, fresh);
	CHECK_STR(json_object_to_json_string_ext(merged, JSON_TEXT),
			  "{\"max_id\":50,\"min_id\":1,\"last_id\":10}");
	json_object_put(merged);
	json_object_put(stored);
	/* a larger fresh maximum wins; dates compare as text */
	stored = json_tokener_parse("{\"max_id\": \"2024-01-31\"}");
	json_object_put(fresh);
	fresh = json_tokener_parse("{\"max_id\": \"2024-02-01\", \"min_id\": null}");
	merged = bf_sync_merge(ep, stored, fresh);
	CHECK_STR(json_object_to_json_string_ext(merged, JSON_TEXT),
			  "{\"max_id\":\"2024-02-01\"}");
	json_object_put(merged);
	merged = bf_sync_merge(ep, fresh, stored);
	CHECK_STR(json_object_to_json_string_ext(merged, JSON_TEXT),
			  "{\"max_id\":\"2024-02-01\"}");
	json_object_put(merged);
	merged = bf_sync_merge(ep, NULL, stored);
	CHECK_STR(json_object_to_json_string_ext(merged, JSON_TEXT),
			  "{\"max_id\":\"2024-01-31\"}");
	json_object_put(merged);
	json_object_put(stored);
	json_object_put(fresh);
	bf_spec_free(run.spec);
}

/* The keep filter of the test below: records whose key is at most limit. */
typedef struct KeepUpTo
{
	const char *key;
	int			limit;
} KeepUpTo;

static bool
keep_up_to(void *arg, struct json_object *record)
{
	const KeepUpTo *k = arg;
	struct json_object *v;

	return json_object_object_get_ex(record, k->key, &v) &&
		json_object_get_int(v) <= k->limit;
}

/*
 * A keep filter (BfRunContext.keep) drops records, and their state outputs
 * do not count: the sync cursor stays at the last record kept, even though
 * the processor saw later ones; setting the filter changes nothing else.
 */
static void
test_keep_filter(void)
{
	BfRunContext ctx;
	Run			run;
	KeepUpTo	k = {"id", 4};
	struct json_object *sync;

	memset(&ctx, 0, sizeof(ctx));
	ctx.keep = keep_up_to;
	ctx.keep_arg = &k;
	if (!run_spec(&run, processors_spec, &ctx))
		return;
	CHECK(run.status == BF_RUN_DONE);
	CHECK_STR(column(run.records, "id"), "1,2,3,4");
	CHECK_STR(column(run.records, "doubled"), "2,4,6,8");
	sync = bf_runner_sync_values(run.runner);
	CHECK_STR(json_object_to_json_string_ext(sync, JSON_TEXT),
			  "{\"max_id\":4,\"min_id\":1,\"last_id\":4}");
	json_object_put(sync);
	/* pagination still went through every page */
	CHECK(run.stats.requests == 4);
	run_free(&run);

	/* the filter sees the record as the caller does: after select's renames */
	k.key = "ident";
	k.limit = 2;
	if (!run_spec(&run, HEAD
				  "    request: {url: \"@URL@/paged/page?per_page=10\"}\n"
				  "    response:\n"
				  "      records: {jmespath: \"items[]\", select: [\"id as ident\"]}\n",
				  &ctx))
		return;
	CHECK(run.status == BF_RUN_DONE);
	CHECK_STR(column(run.records, "ident"), "1,2");
	run_free(&run);
}

/* context.store.* and env.* outputs, aggregated; the process environment untouched. */
static void
test_store_env(void)
{
	Run			run;
	struct json_object *store;
	struct json_object *env;

	if (!run_spec(&run, HEAD
				  "    request: {url: \"@URL@/paged/cursor?limit=4\"}\n"
				  "    response:\n"
				  "      records: {jmespath: \"data[]\"}\n"
				  "      processors:\n"
				  "        - {expression: record.id, output: context.store.first, aggregation: first}\n"
				  "        - {expression: record.id, output: context.store.all, aggregation: collect}\n"
				  "        - {expression: record.id, output: env.BF_TEST_LAST_ID, aggregation: last}\n",
				  NULL))
		return;
	CHECK(run.status == BF_RUN_DONE);
	store = bf_runner_store(run.runner);
	env = bf_runner_env(run.runner);
	CHECK_STR(json_object_to_json_string_ext(store, JSON_TEXT),
			  "{\"first\":1,\"all\":[1,2,3,4]}");
	CHECK_STR(json_object_to_json_string_ext(env, JSON_TEXT),
			  "{\"BF_TEST_LAST_ID\":4}");
	CHECK(getenv("BF_TEST_LAST_ID") == NULL);
	json_object_put(store);
	json_object_put(env);
	run_free(&run);
}

/* primary_key: a key seen before (in this page or an earlier one) is dropped. */
static void
test_dedup(void)
{
	Run			run;

	if (!run_spec(&run, HEAD
				  "    state: {page: 1}\n"
				  "    request: {url: \"@URL@/dups?page={state.page}\"}\n"
				  "    pagination:\n"
				  "      next_state: {page: \"{state.page + 1}\"}\n"
				  "      stop_condition: length(response.records) == 0\n"
				  "    response:\n"
				  "      records: {jmespath: \"items[]\", primary_key: [id]}\n", NULL))
		return;
	CHECK(run.status == BF_RUN_DONE);
	CHECK_STR(column(run.records, "id"), "1,2,3");
	CHECK_STR(column(run.records, "v"), "first,page 1,page 2");
	CHECK(run.stats.requests >= 3 && run.stats.requests <= 7);	/* prefetch: 4 ahead */
	run_free(&run);
}

/* records.limit and context.limit: the smaller wins; no page is asked past it. */
static void
test_limits(void)
{
	static const char *spec = HEAD
		"    request:\n"
		"      url: @URL@/paged/cursor\n"
		"      parameters: {after: \"{state.after}\", limit: 3}\n"
		"    pagination:\n"
		"      next_state: {after: \"{response.json.next_cursor}\"}\n"
		"      stop_condition: response.json.has_more == false\n"
		"    response:\n"
		"      records: {jmespath: \"data[]\", limit: %s}\n";
	char		yaml[1024];
	BfRunContext ctx;
	Run			run;

	memset(&ctx, 0, sizeof(ctx));
	snprintf(yaml, sizeof(yaml), spec, "4");
	if (!run_spec(&run, yaml, NULL))
		return;
	CHECK(run.status == BF_RUN_DONE);
	CHECK_STR(column(run.records, "id"), "1,2,3,4");
	CHECK_MSG(run.stats.requests == 2, "%ld requests", run.stats.requests);
	run_free(&run);

	ctx.limit = 5;
	snprintf(yaml, sizeof(yaml), spec, "0");
	if (!run_spec(&run, yaml, &ctx))
		return;
	CHECK_STR(column(run.records, "id"), "1,2,3,4,5");
	run_free(&run);

	ctx.limit = 7;
	snprintf(yaml, sizeof(yaml), spec, "4");
	if (!run_spec(&run, yaml, &ctx))
		return;
	CHECK_STR(column(run.records, "id"), "1,2,3,4");
	run_free(&run);
}

static void
test_formats(void)
{
	Run			run;

	/* JSON lines: from the Content-Type, or said */
	if (!run_spec(&run, HEAD "    request: {url: \"@URL@/jsonl\"}\n", NULL))
		return;
	CHECK(run.status == BF_RUN_DONE);
	CHECK_STR(column(run.records, "v"), "a,b");
	run_free(&run);
	if (!run_spec(&run, HEAD "    request: {url: \"@URL@/jsonl\"}\n"
				  "    response: {format: jsonlines}\n", NULL))
		return;
	CHECK_STR(column(run.records, "id"), "1,2");
	run_free(&run);

	/* CSV: rows as objects of strings */
	if (!run_spec(&run, HEAD "    request: {url: \"@URL@/csv\"}\n", NULL))
		return;
	CHECK(run.status == BF_RUN_DONE);
	CHECK_STR(column(run.records, "name"), "John Doe,Jane Smith");
	CHECK_STR(column(run.records, "note"), "says \"hi\", twice,");
	CHECK_STR(json_at(json_object_array_get_idx(run.records, 0), "id"), "\"1\"");
	run_free(&run);

	/* JSON said, CSV sent: the body does not parse, which is an error */
	if (!run_spec(&run, HEAD "    request: {url: \"@URL@/csv\"}\n"
				  "    response: {format: json}\n", NULL))
		return;
	CHECK(run.status == BF_RUN_ERROR && run.err.kind == BF_ERR_RESPONSE);
	run_free(&run);
}

/* The keys of a record, in order, space-separated (static buffer). */
static const char *
keys_of(struct json_object *record)
{
	static char buf[512];

	buf[0] = '\0';
	{
		json_object_object_foreach(record, k, v)
		{
			(void) v;
			strncat(buf, k, sizeof(buf) - strlen(buf) - 2);
			strcat(buf, " ");
		}
	}
	return buf;
}

/*
 * records.select: names, renames, globs, "*" (by name) and exclusions, over
 * /echo's records, whose keys come as method, path, query, headers, body.
 */
static void
test_select(void)
{
	static const char *spec = HEAD
		"    request: {url: \"@URL@/echo?a=1\"}\n"
		"    response:\n"
		"      records:\n"
		"        jmespath: records[]\n"
		"        select: %s\n";
	char		yaml[1024];
	Run			run;
	struct json_object *first;

	snprintf(yaml, sizeof(yaml), spec, "[path, method as verb, \"*\", \"-headers\", missing]");
	if (!run_spec(&run, yaml, NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	first = json_object_array_get_idx(run.records, 0);
	CHECK_STR(keys_of(first), "path verb body query missing ");
	CHECK_STR(json_at(first, "verb"), "\"GET\"");
	CHECK_STR(json_at(first, "query"), "{\"a\":\"1\"}");
	CHECK_STR(json_at(first, "missing"), "null");
	run_free(&run);

	/* exclusions only: the rest, by name */
	snprintf(yaml, sizeof(yaml), spec, "[\"-h*\", \"-q*\"]");
	if (!run_spec(&run, yaml, NULL))
		return;
	CHECK_STR(json_object_to_json_string_ext(json_object_array_get_idx(run.records, 0),
											 JSON_TEXT),
			  "{\"body\":\"\",\"method\":\"GET\",\"path\":\"/echo\"}");
	run_free(&run);

	/* a glob includes what matches, where it is written */
	snprintf(yaml, sizeof(yaml), spec, "[\"p*\", method]");
	if (!run_spec(&run, yaml, NULL))
		return;
	CHECK_STR(keys_of(json_object_array_get_idx(run.records, 0)), "path method ");
	run_free(&run);
}

/* ---- setup and teardown --------------------------------------------------- */

static void
test_setup_teardown(void)
{
	Run			run;
	struct json_object *state;

	if (!run_spec(&run, HEAD
				  "    state: {label: \"L{state.origin}\"}\n"
				  "    setup:\n"
				  "      - request: {url: \"@URL@/echo?from=setup\"}\n"
				  "        response:\n"
				  "          records: {jmespath: \"records[0]\"}\n"
				  "          processors:\n"
				  "            - {expression: record.query.from, output: state.origin,"
				  " aggregation: last}\n"
				  "      - if: state.origin != \"setup\"\n"
				  "        request: {url: \"@URL@/status/500\"}\n"
				  "    teardown:\n"
				  "      - request:\n"
				  "          url: @URL@/echo\n"
				  "          method: POST\n"
				  "          payload: {seen: \"{state.total}\", label: \"{state.label}\"}\n"
				  "        response:\n"
				  "          processors:\n"
				  "            - {expression: \"response.json.records[0].body\", output: state.torn}\n"
				  "            - {expression: 'contains(response.text, \"seen\")', output: state.text}\n"
				  "            - {expression: '\"done\"', output: state.total}\n"
				  "    request:\n"
				  "      url: @URL@/echo\n"
				  "      parameters: {origin: \"{state.origin}\"}\n"
				  "    response:\n"
				  "      records: {jmespath: \"records[]\"}\n"
				  "      processors:\n"
				  "        - {expression: record.query.origin, output: state.total,"
				  " aggregation: last}\n", NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK(json_object_array_length(run.records) == 1);
	CHECK_STR(json_at(json_object_array_get_idx(run.records, 0), "path"), "\"/echo\"");
	CHECK_STR(column(run.records, "query"), "{\"origin\":\"setup\"}");
	CHECK(run.stats.requests == 3);
	state = bf_runner_state(run.runner);
	CHECK_STR(json_at(state, "origin"), "\"setup\"");
	CHECK_STR(json_at(state, "label"), "\"Lsetup\"");
	/* teardown wrote over the main processor's value */
	CHECK_STR(json_at(state, "total"), "\"done\"");
	CHECK_STR(json_at(state, "text"), "true");
	CHECK_STR(json_at(state, "torn"), "\"{\\\"seen\\\":\\\"setup\\\",\\\"label\\\":\\\"Lsetup\\\"}\"");
	json_object_put(state);
	run_free(&run);

	/*
	 * A limit reached while other iterations wait for their responses
	 * drops them before teardown: a teardown call made after them (likely
	 * at the address one of them had) takes its own response, not a late
	 * one of theirs.
	 */
	if (!run_spec(&run, HEAD
				  "    iterate: {over: [0, 1, 2, 3, 4], into: state.i, concurrency: 5}\n"
				  "    request:\n"
				  "      url: @URL@/bulk\n"
				  "      parameters: {page: \"{state.i}\", size: 2, pages: 100,"
				  " ms: \"{if(state.i == 0, 0, 300)}\"}\n"
				  "    response:\n"
				  "      records: {jmespath: \"items[]\", limit: 2}\n"
				  "    teardown:\n"
				  "      - request:\n"
				  "          url: @URL@/bulk\n"
				  "          parameters: {page: 99, size: 1, pages: 100, ms: 700}\n"
				  "        response:\n"
				  "          processors:\n"
				  "            - {expression: response.json.page, output: state.torn}\n", NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(column(run.records, "id"), "0,1");
	state = bf_runner_state(run.runner);
	CHECK_STR(json_at(state, "torn"), "99");
	json_object_put(state);
	run_free(&run);

	/* a setup call that fails fails the run before the first request */
	if (!run_spec(&run, HEAD
				  "    setup:\n"
				  "      - request: {url: \"@URL@/status/404\"}\n"
				  "    request: {url: \"@URL@/echo\"}\n", NULL))
		return;
	CHECK(run.status == BF_RUN_ERROR && strstr(run.err.message, "HTTP 404") != NULL);
	CHECK(run.stats.requests == 1);
	run_free(&run);
}

/*
 * Setup calls as Sling's github spec writes them (issue 12): in defaults,
 * sending defaults.request's headers and parameters; a processor without
 * output runs; the call's rule sees what its processor wrote, and a stop
 * there stops the endpoint with a warning.
 */
#define GITHUB_LIKE \
	"name: t\n" \
	"defaults:\n" \
	"  request:\n" \
	"    rate: 0\n" \
	"    headers: {X-Api-Version: v9}\n" \
	"    parameters: {per: 5}\n" \
	"  setup:\n" \
	"    - request: {url: \"@URL@/echo?n=%d\"}\n" \
	"      response:\n" \
	"        records: {jmespath: \"records[0]\"}\n" \
	"        processors:\n" \
	"          - expression: 'require(record.query.n, \"the processor ran\")'\n" \
	"          - {expression: 'to_int(record.query.n)', output: state.quota, aggregation: last}\n" \
	"          - {expression: 'record.headers[\"x-api-version\"] + \" \" + record.query.per'," \
	" output: state.sent, aggregation: last}\n" \
	"        rules:\n" \
	"          - {action: stop, condition: state.quota < 5, message: \"low quota {state.quota}\"}\n" \
	"endpoints:\n" \
	"  e:\n" \
	"    request: {url: \"@URL@/echo\", parameters: {}}\n" \
	"    response: {records: {jmespath: \"records[]\"}}\n"

static void
test_setup_calls(void)
{
	char		yaml[2048];
	Run			run;
	struct json_object *state;
	char	   *w;

	snprintf(yaml, sizeof(yaml), GITHUB_LIKE, 7);
	if (!run_spec(&run, yaml, NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK(json_object_array_length(run.records) == 1);
	state = bf_runner_state(run.runner);
	CHECK_STR(json_at(state, "quota"), "7");
	/* the call sent defaults.request's header and parameter */
	CHECK_STR(json_at(state, "sent"), "\"v9 5\"");
	json_object_put(state);
	CHECK(bf_runner_take_warning(run.runner) == NULL);
	run_free(&run);

	/* the rule sees the quota its processor wrote: a stop ends the endpoint */
	snprintf(yaml, sizeof(yaml), GITHUB_LIKE, 3);
	if (!run_spec(&run, yaml, NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK(json_object_array_length(run.records) == 0);
	CHECK(run.stats.requests == 1);
	w = bf_runner_take_warning(run.runner);
	CHECK_MSG(w != NULL && strstr(w, "endpoint \"e\": ") == w &&
			  strstr(w, "setup[0] stopped the endpoint before its requests: low quota 3") != NULL,
			  "%s", w ? w : "(none)");
	free(w);
	run_free(&run);

	/* the processor without output runs: its require fails the run */
	if (!run_spec(&run, HEAD
				  "    setup:\n"
				  "      - request: {url: \"@URL@/echo\"}\n"
				  "        response:\n"
				  "          records: {jmespath: \"records[0]\"}\n"
				  "          processors:\n"
				  "            - expression: 'require(record.query.n, \"the processor ran\")'\n"
				  "    request: {url: \"@URL@/echo\"}\n", NULL))
		return;
	CHECK(run.status == BF_RUN_ERROR);
	CHECK_MSG(strstr(run.err.message, "the processor ran") != NULL, "%s", run.err.message);
	CHECK(run.stats.requests == 1);
	run_free(&run);

	/* a retried response's state writes are undone: collect sees one value */
	if (!run_spec(&run, HEAD
				  "    setup:\n"
				  "      - request: {url: \"@URL@/echo?x=1\"}\n"
				  "        response:\n"
				  "          records: {jmespath: \"records[0]\"}\n"
				  "          processors:\n"
				  "            - {expression: request.attempts, output: state.tries, aggregation: collect}\n"
				  "          rules:\n"
				  "            - {action: retry, condition: request.attempts < 2, max_attempts: 3}\n"
				  "    request: {url: \"@URL@/echo\"}\n", NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	state = bf_runner_state(run.runner);
	CHECK_STR(json_at(state, "tries"), "[2]");
	json_object_put(state);
	CHECK(run.stats.requests == 3);
	run_free(&run);
}

/*
 * context.store within an endpoint, and iterate.over evaluated after setup:
 * a setup call's processor writes the store, a later processor and the
 * next call read it, and over iterates what setup stored.  An over that is
 * null warns.
 */
static void
test_store_and_over(void)
{
	Run			run;
	struct json_object *state;
	struct json_object *store;
	char	   *w;

	if (!run_spec(&run, HEAD
				  "    setup:\n"
				  "      - request: {url: \"@URL@/echo\"}\n"
				  "        response:\n"
				  "          records: {jmespath: \"records[0]\"}\n"
				  "          processors:\n"
				  "            - {expression: '[\"x\", \"y\"]', output: context.store.ids, aggregation: last}\n"
				  "            - {expression: 'length(context.store.ids)', output: state.n, aggregation: last}\n"
				  "      - request:\n"
				  "          url: \"@URL@/echo\"\n"
				  "          parameters: {ids: '{join(context.store.ids, \",\")}'}\n"
				  "        response:\n"
				  "          records: {jmespath: \"records[0]\"}\n"
				  "          processors:\n"
				  "            - {expression: record.query.ids, output: state.joined, aggregation: last}\n"
				  "    iterate: {over: context.store.ids, into: state.id}\n"
				  "    request: {url: \"@URL@/echo\", parameters: {id: \"{state.id}\"}}\n"
				  "    response: {records: {jmespath: \"records[]\"}}\n", NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK(json_object_array_length(run.records) == 2);
	CHECK(run.stats.iterations == 2);
	state = bf_runner_state(run.runner);
	CHECK_STR(json_at(state, "n"), "2");
	CHECK_STR(json_at(state, "joined"), "\"x,y\"");
	json_object_put(state);
	store = bf_runner_store(run.runner);
	CHECK_STR(json_at(store, "ids"), "[\"x\",\"y\"]");
	json_object_put(store);
	run_free(&run);

	/* an over that is null: no request, and a warning naming it */
	if (!run_spec(&run, HEAD
				  "    iterate: {over: context.store.records, into: state.r}\n"
				  "    request: {url: \"@URL@/echo\"}\n", NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK(json_object_array_length(run.records) == 0 && run.stats.requests == 0);
	w = bf_runner_take_warning(run.runner);
	CHECK_STR(w, "endpoint \"e\": endpoints.e.iterate.over: \"context.store.records\" is null, "
			  "so the endpoint makes no request");
	free(w);
	run_free(&run);
}

/*
 * A GraphQL payload as shopify_graphql's customer endpoint writes it: the
 * query's nested blocks are text (one holds a field called state), the
 * {state.x} inside them and the variables are rendered.
 */
static void
test_graphql_payload(void)
{
	Run			run;

	if (!run_spec(&run, HEAD
				  "    state: {cursor: c1, limit: 3}\n"
				  "    request:\n"
				  "      url: \"@URL@/echo\"\n"
				  "      method: POST\n"
				  "      payload:\n"
				  "        query: >\n"
				  "          query ($cursor: String) {\n"
				  "            customers(first: {state.limit}, after: $cursor) {\n"
				  "              edges { node { id defaultAddress { city } state } }\n"
				  "            }\n"
				  "          }\n"
				  "        variables:\n"
				  "          cursor: '{state.cursor}'\n"
				  "    response: {records: {jmespath: \"records[]\"}}\n", NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(column(run.records, "body"),
			  "{\"query\":\"query ($cursor: String) {\\n  customers(first: 3, "
			  "after: $cursor) {\\n    edges { node { id defaultAddress { city } state } }\\n"
			  "  }\\n}\\n\",\"variables\":{\"cursor\":\"c1\"}}");
	run_free(&run);
}

/* inputs.* and connection-level state: a state key only the server sets */
static void
test_inputs_and_server_state(void)
{
	BfRunContext ctx;
	Run			run;
	char		overrides[128];

	memset(&ctx, 0, sizeof(ctx));
	snprintf(overrides, sizeof(overrides), "{\"base\": \"%s\", \"page\": \"2\"}", mock.url);
	ctx.state_overrides = json_tokener_parse(overrides);
	ctx.inputs = json_tokener_parse("{\"repos\": [\"r1\", \"r2\"]}");
	if (run_spec(&run, "name: t\n"
				 "defaults:\n"
				 "  state: {page: 1, url: \"{state.base}/echo\"}\n"
				 "  request: {rate: 0}\n"
				 "endpoints:\n"
				 "  e:\n"
				 "    iterate: {over: inputs.repos, into: state.repo, concurrency: 1}\n"
				 "    request: {url: \"{state.url}\", parameters: {repo: \"{state.repo}\","
				 " page: \"{state.page}\"}}\n"
				 "    response: {records: {jmespath: \"records[]\"}}\n", &ctx))
	{
		CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
		CHECK_STR(column(run.records, "query"),
				  "{\"repo\":\"r1\",\"page\":\"2\"},{\"repo\":\"r2\",\"page\":\"2\"}");
		run_free(&run);
	}
	json_object_put(ctx.state_overrides);
	json_object_put(ctx.inputs);
}

/* ---- authentication -------------------------------------------------------- */

static void
test_auth_headers(void)
{
	BfRunContext ctx;
	Run			run;
	struct json_object *headers = NULL;

	memset(&ctx, 0, sizeof(ctx));
	ctx.secrets = json_tokener_parse("{\"key\": \"k123\", \"user\": \"alice\"}");
	if (run_spec(&run, HEAD
				 "    authentication:\n"
				 "      type: static\n"
				 "      headers: {X-Api-Key: \"{secrets.key}\"}\n"
				 "    request: {url: \"@URL@/echo\"}\n"
				 "    response: {records: {jmespath: \"records[]\"}}\n", &ctx))
	{
		json_object_object_get_ex(json_object_array_get_idx(run.records, 0), "headers", &headers);
		CHECK_STR(json_at(headers, "x-api-key"), "\"k123\"");
		run_free(&run);
	}
	if (run_spec(&run, HEAD
				 "    authentication:\n"
				 "      type: basic\n"
				 "      username: \"{secrets.user}\"\n"
				 "      password: pw\n"
				 "    request: {url: \"@URL@/echo\"}\n"
				 "    response: {records: {jmespath: \"records[]\"}}\n", &ctx))
	{
		json_object_object_get_ex(json_object_array_get_idx(run.records, 0), "headers", &headers);
		CHECK_STR(json_at(headers, "authorization"), "\"Basic YWxpY2U6cHc=\"");
		run_free(&run);
	}
	json_object_put(ctx.secrets);
}

static void
test_oauth2(void)
{
	static const char *spec = HEAD
		"    authentication:\n"
		"      type: oauth2\n"
		"      flow: client_credentials\n"
		"      client_id: \"{secrets.cid}\"\n"
		"      client_secret: \"{secrets.cs}\"\n"
		"      authentication_url: \"@URL@/oauth/token?expires_in=%s\"\n"
		"    iterate: {over: [1, 2], into: state.i, concurrency: 1}\n"
		"    request: {url: \"@URL@/oauth/data?id={state.i}\", rate: 2}\n"
		"    response: {records: {jmespath: \"items[]\"}}\n";
	char		yaml[1024];
	BfRunContext ctx;
	Run			run;

	memset(&ctx, 0, sizeof(ctx));
	/* one token serves both requests */
	ctx.secrets = json_tokener_parse("{\"cid\": \"c1\", \"cs\": \"s3cret\"}");
	snprintf(yaml, sizeof(yaml), spec, "3600");
	if (run_spec(&run, yaml, &ctx))
	{
		CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
		CHECK_STR(column(run.records, "token"), "tok-c1-1,tok-c1-1");
		CHECK(mock_number("/attempts?key=oauth:c1", "attempts") == 1);
		run_free(&run);
	}
	json_object_put(ctx.secrets);

	/*
	 * a token that expires (a tenth of its life early) is asked for again
	 * before the next request, which the rate holds back 0.5 s
	 */
	ctx.secrets = json_tokener_parse("{\"cid\": \"c2\", \"cs\": \"s3cret\"}");
	snprintf(yaml, sizeof(yaml), spec, "0.3");
	if (run_spec(&run, yaml, &ctx))
	{
		CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
		CHECK_STR(column(run.records, "token"), "tok-c2-1,tok-c2-2");
		CHECK(mock_number("/attempts?key=oauth:c2", "attempts") == 2);
		run_free(&run);
	}
	json_object_put(ctx.secrets);

	/*
	 * expires_in 0 says nothing: the token is kept (the API's 401 would
	 * end it); one that lapses at once still serves a request, so a run
	 * asks for one per request and never stalls
	 */
	ctx.secrets = json_tokener_parse("{\"cid\": \"c4\", \"cs\": \"s3cret\"}");
	snprintf(yaml, sizeof(yaml), spec, "0");
	if (run_spec(&run, yaml, &ctx))
	{
		CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
		CHECK_STR(column(run.records, "token"), "tok-c4-1,tok-c4-1");
		run_free(&run);
	}
	json_object_put(ctx.secrets);
	ctx.secrets = json_tokener_parse("{\"cid\": \"c5\", \"cs\": \"s3cret\"}");
	snprintf(yaml, sizeof(yaml), spec, "0.0001");
	if (run_spec(&run, yaml, &ctx))
	{
		CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
		CHECK_STR(column(run.records, "token"), "tok-c5-1,tok-c5-2");
		CHECK(mock_number("/attempts?key=oauth:c5", "attempts") == 2);
		run_free(&run);
	}
	json_object_put(ctx.secrets);

	/* a refused client fails the run, naming the token URL */
	ctx.secrets = json_tokener_parse("{\"cid\": \"c3\", \"cs\": \"wrong\"}");
	snprintf(yaml, sizeof(yaml), spec, "3600");
	if (run_spec(&run, yaml, &ctx))
	{
		CHECK(run.status == BF_RUN_ERROR);
		CHECK_MSG(strstr(run.err.message, "HTTP 401 from the token URL") != NULL, "%s",
				  run.err.message);
		CHECK(run.stats.requests == 1);
		run_free(&run);
	}
	json_object_put(ctx.secrets);
}

/* key of the first record (items[0]) of the mock's answer at path, as text. */
static char *
mock_item(const char *path, const char *key)
{
	char		url[256];
	struct json_object *doc;
	struct json_object *items = NULL;
	struct json_object *v = NULL;
	char	   *out;

	snprintf(url, sizeof(url), "%s%s", mock.url, path);
	doc = harness_fetch(BF_HTTP_GET, url, NULL);
	json_object_object_get_ex(doc, "items", &items);
	json_object_object_get_ex(json_object_array_get_idx(items, 0), key, &v);
	out = strdup(v ? json_object_get_string(v) : "(none)");
	json_object_put(doc);
	return out;
}

/* What the mock's token URL saw of client: key of /oauth2/stats. */
static char *
oauth2_stat(const char *client, const char *key)
{
	char		path[128];

	snprintf(path, sizeof(path), "/oauth2/stats?client=%s", client);
	return mock_item(path, key);
}

/* Ask the mock at path (a GET), for its side effect. */
static void
mock_get(const char *path)
{
	char		url[256];

	snprintf(url, sizeof(url), "%s%s", mock.url, path);
	json_object_put(harness_fetch(BF_HTTP_GET, url, NULL));
}

/* Run yaml with ctx and check its status and the grant column of its records. */
static void
check_run(const char *yaml, BfRunContext *ctx, const char *grants, long retries)
{
	Run			run;

	if (run_spec(&run, yaml, ctx))
	{
		CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
		CHECK_STR(column(run.records, "grant"), grants);
		CHECK_MSG(run.stats.retries == retries, "%ld retries", run.stats.retries);
		run_free(&run);
	}
}

#define CHECK_STAT(client, key, want) \
	do { \
		char	   *s_ = oauth2_stat(client, key); \
		CHECK_STR(s_, want); \
		free(s_); \
	} while (0)

/*
 * The caller's token cache: two runs of one scope share a token, another
 * scope gets its own; a 401 revokes it, gets a new one once and sends the
 * page again, and a second 401 fails the run; the refresh_token grant's rotated refresh token is the one
 * used next; a public client's password grant; the token masked in errors.
 */
static void
test_oauth2_cache(void)
{
	static const char *cc = HEAD
		"    authentication:\n"
		"      type: oauth2\n"
		"      flow: client_credentials\n"
		"      client_id: \"{secrets.cid}\"\n"
		"      client_secret: \"{secrets.cs}\"\n"
		"      authentication_url: \"@URL@/oauth2/token\"\n"
		"    request: {url: \"@URL@%s\"}\n"
		"    response: {records: {jmespath: \"items\"}}\n";
	static const char *rt = HEAD
		"    authentication:\n"
		"      type: oauth2\n"
		"      flow: refresh_token\n"
		"      client_id: \"{secrets.pub}\"\n"
		"      refresh_token: \"{secrets.rt}\"\n"
		"      authentication_url: \"@URL@/oauth2/token?refresh=1\"\n"
		"    request: {url: \"@URL@/oauth2/data\"}\n"
		"    response: {records: {jmespath: \"items\"}}\n";
	static const char *pw = HEAD
		"    authentication:\n"
		"      type: oauth2\n"
		"      flow: password\n"
		"      client_id: \"{secrets.pub}\"\n"
		"      username: \"{secrets.user}\"\n"
		"      password: \"{secrets.pw}\"\n"
		"      authentication_url: \"@URL@/oauth2/token\"\n"
		"    request: {url: \"@URL@/oauth2/data\"}\n"
		"    response: {records: {jmespath: \"items\"}}\n";
	char		yaml[1024];
	BfTokenCache *cache = bf_token_cache_new(8);
	BfRunContext ctx;
	Run			run;

	memset(&ctx, 0, sizeof(ctx));
	ctx.secrets = json_tokener_parse("{\"cid\": \"oa-app-one\", \"cs\": \"oa-Secret-One7\","
									 " \"pub\": \"oa-public-two\", \"rt\": \"rt-Preset-7Zw2\","
									 " \"user\": \"bob.ray@example.org\", \"pw\": \"bob-Passw0rd?\"}");
	ctx.token_cache = cache;
	ctx.token_scope = "scope one";
	snprintf(yaml, sizeof(yaml), cc, "/oauth2/data");
	check_run(yaml, &ctx, "client_credentials", 0);
	check_run(yaml, &ctx, "client_credentials", 0);
	CHECK_STAT("oa-app-one", "token_requests", "1");
	ctx.token_scope = "scope two";
	check_run(yaml, &ctx, "client_credentials", 0);
	CHECK_STAT("oa-app-one", "token_requests", "2");
	CHECK(bf_token_cache_count(cache) == 2);

	/* revoked: one 401, one new token, the page sent again */
	mock_get("/oauth2/revoke?client=oa-app-one");
	check_run(yaml, &ctx, "client_credentials", 1);
	CHECK_STAT("oa-app-one", "token_requests", "3");
	CHECK_STAT("oa-app-one", "refused", "1");

	/* another secret in the same scope is another key: never the cached token */
	json_object_object_add(ctx.secrets, "cs", json_object_new_string("oa-Wrong-Secret3"));
	snprintf(yaml, sizeof(yaml), cc, "/oauth2/data");
	if (run_spec(&run, yaml, &ctx))
	{
		CHECK(run.status == BF_RUN_ERROR);
		CHECK_MSG(strstr(run.err.message, "HTTP 401 from the token URL") != NULL, "%s",
				  run.err.message);
		run_free(&run);
	}
	CHECK_STAT("oa-app-one", "token_requests", "4");
	json_object_object_add(ctx.secrets, "cs", json_object_new_string("oa-Secret-One7"));

	/* a 403 is no reason to re-authenticate: the run fails, the echoed token masked */
	snprintf(yaml, sizeof(yaml), cc, "/oauth2/data?deny=1");
	if (run_spec(&run, yaml, &ctx))
	{
		CHECK(run.status == BF_RUN_ERROR);
		CHECK_MSG(strstr(run.err.message, "HTTP 403") != NULL &&
				  strstr(run.err.message, "denied: Bearer ***") != NULL &&
				  strstr(run.err.message, "at.") == NULL, "%s", run.err.message);
		run_free(&run);
	}

	/* an API that refuses every token: one new token, one resend, then the 401 fails */
	snprintf(yaml, sizeof(yaml), cc, "/echo401/auth");
	if (run_spec(&run, yaml, &ctx))
	{
		CHECK(run.status == BF_RUN_ERROR);
		CHECK_MSG(strstr(run.err.message, "HTTP 401") != NULL &&
				  strstr(run.err.message, "Bearer ***") != NULL, "%s", run.err.message);
		CHECK(run.stats.retries == 1);
		run_free(&run);
	}
	CHECK_STAT("oa-app-one", "token_requests", "5");

	/* refresh_token: the rotated refresh token answers the next 401 */
	check_run(rt, &ctx, "refresh_token:preset", 0);
	mock_get("/oauth2/revoke?client=oa-public-two");
	check_run(rt, &ctx, "refresh_token:issued", 1);
	CHECK_STAT("oa-public-two", "grants", "refresh_token:preset,refresh_token:issued");

	/* a public client's password grant, no secret sent */
	check_run(pw, &ctx, "password", 0);
	check_run(pw, &ctx, "password", 0);
	CHECK_STAT("oa-public-two", "token_requests", "3");

	/* without a cache of the caller's, each run asks for its own */
	ctx.token_cache = NULL;
	check_run(pw, &ctx, "password", 0);
	check_run(pw, &ctx, "password", 0);
	CHECK_STAT("oa-public-two", "token_requests", "5");
	json_object_put(ctx.secrets);
	bf_token_cache_free(cache);
}

/*
 * A login sequence: its session header in every request; a session that
 * serves one request only: each later request's 401 runs the sequence
 * again and sends the request again, once.
 */
static void
test_sequence(void)
{
	static const char *seq = HEAD
		"    authentication:\n"
		"      type: sequence\n"
		"      sequence:\n"
		"        - request:\n"
		"            url: \"@URL@/seq/login\"\n"
		"            method: POST\n"
		"            payload: {user: \"{secrets.user}\", password: \"{secrets.pw}\"}\n"
		"          response:\n"
		"            processors:\n"
		"              - {expression: response.json.session, output: auth.headers.X-Session}\n"
		"              - {expression: response.json.user, output: state.login}\n"
		"    iterate: {over: [1, 2, 3], into: state.i, concurrency: 1}\n"
		"    request: {url: \"@URL@/seq/data?single=1&id={state.i}\"}\n"
		"    response:\n"
		"      records: {jmespath: \"items\"}\n"
		"      processors:\n"
		"        - {expression: state.login, output: record.login}\n";
	BfRunContext ctx;
	Run			run;

	memset(&ctx, 0, sizeof(ctx));
	ctx.secrets = json_tokener_parse("{\"user\": \"ann.lee@example.org\", \"pw\": \"ann-Passw0rd!\"}");
	if (run_spec(&run, seq, &ctx))
	{
		CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
		/* the sequence's state output is the endpoint's state */
		CHECK_STR(column(run.records, "login"),
				  "ann.lee@example.org,ann.lee@example.org,ann.lee@example.org");
		CHECK_STR(column(run.records, "id"), "1,2,3");
		CHECK_MSG(run.stats.retries == 2, "%ld retries", run.stats.retries);
		{
			char	   *logins = mock_item("/seq/stats", "logins");

			CHECK_STR(logins, "3");
			free(logins);
		}
		run_free(&run);
	}

	/* expires: the sequence runs again when it has passed and a request is due */
	{
		static const char *timed = HEAD
			"    authentication:\n"
			"      type: sequence\n"
			"      expires: 1\n"
			"      sequence:\n"
			"        - request:\n"
			"            url: \"@URL@/seq/login\"\n"
			"            method: POST\n"
			"            payload: {user: \"{secrets.user}\", password: \"{secrets.pw}\"}\n"
			"          response:\n"
			"            processors:\n"
			"              - {expression: response.json.session, output: auth.headers.X-Session}\n"
			"    iterate: {over: [1, 2, 3], into: state.i, concurrency: 1}\n"
			"    request: {url: \"@URL@/seq/data?id={state.i}\", rate: 0.8}\n"
			"    response: {records: {jmespath: \"items\"}}\n";
		char	   *before = mock_item("/seq/stats", "logins");

		if (run_spec(&run, timed, &ctx))
		{
			char	   *after = mock_item("/seq/stats", "logins");

			CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
			CHECK_STR(column(run.records, "id"), "1,2,3");
			CHECK(run.stats.retries == 0);
			/* 1.25 s between requests: each finds the last login expired */
			CHECK_MSG(atol(after) - atol(before) == 3, "%s then %s logins", before, after);
			free(after);
			run_free(&run);
		}
		free(before);
	}
	json_object_put(ctx.secrets);
	ctx.secrets = json_tokener_parse("{\"user\": \"ann.lee@example.org\", \"pw\": \"wrong-Pass9\"}");
	if (run_spec(&run, seq, &ctx))
	{
		CHECK(run.status == BF_RUN_ERROR);
		CHECK_MSG(strstr(run.err.message, "authentication.sequence[0]: HTTP 401 from POST") != NULL &&
				  strstr(run.err.message, "wrong-Pass9") == NULL, "%s", run.err.message);
		run_free(&run);
	}
	json_object_put(ctx.secrets);
}

/*
 * hmac: the signing string with Sling's placeholders filled in (sorted,
 * query-escaped parameters; lower-case sorted headers; the body's MD5),
 * HMAC-SHA256 under a hex-written key, checked against a signature
 * computed independently (Python's hmac); and the signature, like the
 * base64 of user:password, masked in the run's errors.
 */
static void
test_hmac(void)
{
	BfRunContext ctx;
	Run			run;
	struct json_object *headers = NULL;

	memset(&ctx, 0, sizeof(ctx));
	ctx.secrets = json_tokener_parse("{\"hex\": \"6b6579\", \"user\": \"alice\"}");
	if (run_spec(&run, HEAD
				 "    authentication:\n"
				 "      type: hmac\n"
				 "      secret: \"{secrets.hex}\"\n"
				 "      secret_encoding: hex\n"
				 "      signing_string: \"{http_method}|{http_query}|{http_headers}|{http_body_md5}\"\n"
				 "      request_headers: {X-Sig: \"v1={signature}\"}\n"
				 "    request:\n"
				 "      url: \"@URL@/echo\"\n"
				 "      method: POST\n"
				 "      headers: {X-Tag: t}\n"
				 "      parameters: {b: \"x y/z\", a: 1}\n"
				 "      payload: {q: 1}\n"
				 "    response: {records: {jmespath: \"records[]\"}}\n", &ctx))
	{
		CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
		json_object_object_get_ex(json_object_array_get_idx(run.records, 0), "headers", &headers);
		CHECK_STR(json_at(headers, "x-sig"),
				  "\"v1=1b5571209fb5c78299a7907603fd5ac552d4c518989fb01e61ffa09f56a66520\"");
		run_free(&run);
	}
	/* a fail rule whose message shows the signed header shows no signature */
	if (run_spec(&run, HEAD
				 "    authentication:\n"
				 "      type: hmac\n"
				 "      secret: \"{secrets.hex}\"\n"
				 "      signing_string: \"{unix_time_ms} {nonce}\"\n"
				 "      nonce_length: 8\n"
				 "      request_headers: {X-Sig: \"{signature}\", X-Nonce: \"{nonce}\"}\n"
				 "    request: {url: \"@URL@/echo\"}\n"
				 "    response:\n"
				 "      rules: [{action: fail, condition: \"true\", message: \"sent {request.headers}\"}]\n",
				 &ctx))
	{
		CHECK(run.status == BF_RUN_ERROR);
		CHECK_MSG(strstr(run.err.message, "\"X-Sig\":\"***\"") != NULL, "%s", run.err.message);
		/* the nonce is not a secret: 16 hex digits, shown */
		CHECK_MSG(strstr(run.err.message, "\"X-Nonce\":\"***\"") == NULL, "%s", run.err.message);
		run_free(&run);
	}
	if (run_spec(&run, HEAD
				 "    authentication: {type: basic, username: \"{secrets.user}\", password: pw}\n"
				 "    request: {url: \"@URL@/echo\"}\n"
				 "    response:\n"
				 "      rules: [{action: fail, condition: \"true\", message: \"sent {request.headers}\"}]\n",
				 &ctx))
	{
		CHECK(run.status == BF_RUN_ERROR);
		CHECK_MSG(strstr(run.err.message, "Basic ***") != NULL &&
				  strstr(run.err.message, "YWxpY2U6cHc") == NULL, "%s", run.err.message);
		run_free(&run);
	}
	json_object_put(ctx.secrets);
}

/* ---- faults ----------------------------------------------------------------- */

/*
 * A reset, an empty reply, a timeout and a body cut short are retried by
 * the default server-error rule (exponential, 1 s first); a refused
 * connection fails at once.
 */
static void
test_transport_retry(void)
{
	static const char *const kinds[] = {"reset", "empty", "timeout", "truncated"};
	char		yaml[512];
	Run			run;
	int			i;

	for (i = 0; i < 4; i++)
	{
		snprintf(yaml, sizeof(yaml), HEAD
				 "    request: {url: \"@URL@/fault/%s/2024-01-01?key=tr-%s&n=1\", timeout: 1}\n"
				 "    response: {records: {jmespath: \"data\"}}\n", kinds[i], kinds[i]);
		if (!run_spec(&run, yaml, NULL))
			return;
		CHECK_MSG(run.status == BF_RUN_DONE, "%s: %s", kinds[i], run.err.message);
		CHECK_MSG(strcmp(column(run.records, "id"), "2024-01-01-1,2024-01-01-2") == 0, "%s: %s",
				  kinds[i], column(run.records, "id"));
		CHECK_MSG(run.stats.retries == 1 && run.stats.requests == 2, "%s: %ld retries",
				  kinds[i], run.stats.retries);
		CHECK_MSG(run.elapsed >= 0.9 && run.elapsed < 3.5, "%s: %.2f s", kinds[i], run.elapsed);
		/* the backoff's sleep is waiting, as EXPLAIN ANALYZE shows it */
		CHECK_MSG(run.stats.wait_seconds >= 0.9, "%s: waited %.2f s", kinds[i],
				  run.stats.wait_seconds);
		run_free(&run);
	}
	/* a spec's own rule for status 0 decides before the default one */
	if (!run_spec(&run, HEAD
				  "    request: {url: \"@URL@/fault/reset/2024-01-01?key=tr-own&n=1\"}\n"
				  "    response:\n"
				  "      rules: [{condition: response.status == 0, action: fail}]\n", NULL))
		return;
	CHECK(run.status == BF_RUN_ERROR && run.stats.requests == 1);
	CHECK_MSG(strstr(run.err.message, "Connection reset by peer") != NULL, "%s", run.err.message);
	run_free(&run);
	/* nothing listens on port 1: no retry */
	if (!run_spec(&run, HEAD "    request: {url: \"http://127.0.0.1:1/x\"}\n", NULL))
		return;
	CHECK(run.status == BF_RUN_ERROR && run.stats.retries == 0 && run.elapsed < 0.5);
	run_free(&run);
}

/* Retry-After: waited (and counted as waiting) up to 300 s; past it the run fails at once. */
static void
test_server_wait(void)
{
	Run			run;

	if (!run_spec(&run, HEAD
				  "    request: {url: \"@URL@/fault/429/2024-01-01?key=sw1&n=1&after=1\"}\n"
				  "    response: {records: {jmespath: \"data\"}}\n", NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_MSG(run.stats.wait_seconds >= 0.9 && run.stats.wait_seconds < 2.0, "waited %.2f s",
			  run.stats.wait_seconds);
	run_free(&run);
	if (!run_spec(&run, HEAD
				  "    request: {url: \"@URL@/fault/429/2024-01-01?key=sw2&n=1&after=999999\"}\n",
				  NULL))
		return;
	CHECK(run.status == BF_RUN_ERROR && run.err.kind == BF_ERR_HTTP && run.elapsed < 1.0);
	CHECK_MSG(strstr(run.err.message, "endpoint \"e\": the server asks to wait 999999 s "
					 "(Retry-After), more than the 300 s allowed: HTTP 429 from GET") != NULL,
			  "%s", run.err.message);
	run_free(&run);

	/* a long pause still hands control back within the caller's wait, for cancel */
	{
		BfSpec	   *spec = load_spec(HEAD "    request: {url: \"@URL@/fault/429/2024-01-01"
									 "?key=sw3&n=1&after=30\"}\n");
		BfRunContext ctx;
		BfRunner   *r;
		BfError		err;
		struct json_object *rec = NULL;
		int			i;

		if (spec == NULL)
			return;
		memset(&ctx, 0, sizeof(ctx));
		r = bf_runner_new(spec, &spec->endpoints[0], &ctx, &err);
		CHECK_MSG(r != NULL, "%s", err.message);
		for (i = 0; r != NULL && i < 4; i++)
		{
			double		t0 = bf_http_now();
			BfRunStatus st = bf_runner_next(r, 200, &rec, &err);
			double		dt = bf_http_now() - t0;

			CHECK(st == BF_RUN_WAIT && rec == NULL);
			CHECK_MSG(dt < 0.6, "waited %.3f s", dt);
		}
		bf_runner_free(r);
		bf_spec_free(spec);
	}
}

/*
 * A page that repeats the one before it ends the iteration with a warning;
 * pagination.max_pages fails a run that pages past it.
 */
static void
test_endless_pagination(void)
{
	Run			run;
	static const char zero_pages[] = HEAD "    request: {url: x}\n    pagination: {max_pages: 0}\n";
	char	   *w;
	BfError		err;
	BfSpec	   *bad;

	if (!run_spec(&run, HEAD
				  "    state: {page: 1}\n"
				  "    request: {url: \"@URL@/fault/ok/2024-01-01?key=same&page={state.page}\"}\n"
				  "    pagination: {next_state: {page: \"{state.page + 1}\"}}\n"
				  "    response: {records: {jmespath: \"data\"}}\n", NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(column(run.records, "id"), "2024-01-01-1,2024-01-01-2");
	CHECK(run.stats.requests >= 2 && run.stats.requests <= 6);	/* prefetch: 4 ahead */
	w = bf_runner_take_warning(run.runner);
	CHECK_MSG(w != NULL && strstr(w, "endpoint \"e\": page 2 (") != NULL &&
			  strstr(w, "page=2) repeats the page before it") != NULL, "%s", w ? w : "(none)");
	free(w);
	CHECK(bf_runner_take_warning(run.runner) == NULL);
	run_free(&run);

	if (!run_spec(&run, HEAD
				  "    state: {page: 1}\n"
				  "    request: {url: \"@URL@/slow?ms=1&id={state.page}\"}\n"
				  "    pagination:\n"
				  "      next_state: {page: \"{state.page + 1}\"}\n"
				  "      max_pages: 4\n"
				  "    response: {records: {jmespath: \"items\"}}\n", NULL))
		return;
	CHECK(run.status == BF_RUN_ERROR && run.stats.requests == 4);
	CHECK_MSG(strstr(run.err.message, "pagination did not end after 4 pages "
					 "(pagination.max_pages is 4;") != NULL, "%s", run.err.message);
	CHECK(bf_runner_take_warning(run.runner) == NULL);
	run_free(&run);

	bad = bf_spec_load_string(zero_pages, strlen(zero_pages), "t.yaml", &err);
	CHECK(bad == NULL);
	CHECK_MSG(bad != NULL || strstr(err.message, "pagination.max_pages: must be between 1") != NULL,
			  "%s", err.message);
	if (bad != NULL)
		bf_spec_free(bad);
}

/* ---- page prefetch (runner_prefetch.c) ------------------------------------ */

/*
 * A /bulk endpoint paged by page number, 2 records a page and 100 pages, 30
 * ms a page, stopped at page 9 by stop_condition; tag and log name what the
 * mock counts and keeps.  rq_extra, extra: more YAML under request and
 * under response.
 */
#define BULK_PAGED(tag, next, rq_extra, extra) HEAD \
	"    state: {page: 0}\n" \
	"    request:\n" \
	"      url: @URL@/bulk\n" \
	"      concurrency: 5\n" rq_extra \
	"      parameters: {page: \"{state.page}\", size: 2, pages: 100, ms: 30, tag: " tag ", log: " tag "}\n" \
	"    pagination:\n" \
	"      next_state: {page: \"" next "\"}\n" \
	"      stop_condition: response.json.page >= 9\n" \
	"    response:\n" \
	"      records: {jmespath: \"items[]\"}\n" extra

/* The mock's log of tag's requests: how many, and whether pages 0-9 are each there once. */
static long
logged_pages(const char *tag, bool *each_once)
{
	char		url[256];
	struct json_object *doc;
	struct json_object *reqs = NULL;
	long		n = -1;
	int			page;

	snprintf(url, sizeof(url), "%s/logged?name=%s", mock.url, tag);
	doc = harness_fetch(BF_HTTP_GET, url, NULL);
	*each_once = json_object_object_get_ex(doc, "requests", &reqs);
	if (reqs != NULL)
		n = (long) json_object_array_length(reqs);
	for (page = 0; *each_once && page < 10; page++)
	{
		char		want[64];
		size_t		i;
		int			seen = 0;

		snprintf(want, sizeof(want), "&page=%d&", page);
		for (i = 0; i < (size_t) n; i++)
			seen += strstr(json_object_get_string(json_object_array_get_idx(reqs, i)), want) != NULL;
		*each_once = seen == 1;
	}
	json_object_put(doc);
	return n;
}

/* "0,1,...,n-1" (static buffer) */
static const char *
count_list(int n)
{
	static char buf[1024];
	int			i;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), i ? ",%d" : "%d", i);
	return buf;
}

/*
 * next_state reads only state: pages are asked for ahead, up to
 * request.concurrency in flight, and the rows are those of sequential
 * paging, in page order, none from the pages past the stop (which the
 * mock has records for).  Reading the response, or a request that reads
 * state a processor writes, keeps paging sequential.
 */
static void
test_prefetch(void)
{
	Run			run;
	bool		once;
	long		n;

	if (!run_spec(&run, BULK_PAGED("pf_state", "{state.page + 1}", "", ""), NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(column(run.records, "id"), count_list(20));
	n = mock_number("/stats?tag=pf_state", "max_in_flight");
	CHECK_MSG(n >= 2 && n <= 5, "prefetch: %ld in flight at most", n);
	/* sequential paging's 10 requests, and at most 4 past the stop */
	CHECK_MSG(run.stats.requests >= 10 && run.stats.requests <= 14, "%ld requests",
			  run.stats.requests);
	run_free(&run);
	n = logged_pages("pf_state", &once);
	CHECK_MSG(once && n >= 10 && n <= 14, "logged: %ld requests, pages 0-9 once each: %d", n, once);

	/*
	 * An iteration whose first page is its last asks for nothing ahead:
	 * most children of a parent/child endpoint have one page
	 */
	if (!run_spec(&run, HEAD
				  "    iterate: {over: [0, 1, 2], into: state.first, concurrency: 3}\n"
				  "    state: {page: \"{state.first}\"}\n"
				  "    request:\n"
				  "      url: @URL@/bulk\n"
				  "      concurrency: 5\n"
				  "      parameters: {page: \"{state.page}\", size: 2, pages: 100, ms: 30, tag: pf_one}\n"
				  "    pagination:\n"
				  "      next_state: {page: \"{state.page + 1}\"}\n"
				  "      stop_condition: \"true\"\n"
				  "    response:\n"
				  "      records: {jmespath: \"items[]\"}\n", NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_MSG(run.stats.requests == 3, "one-page iterations: %ld requests", run.stats.requests);
	CHECK(json_object_array_length(run.records) == 6);
	run_free(&run);

	/* the same pages paged by the response: one at a time, exactly the ten */
	if (!run_spec(&run, BULK_PAGED("pf_resp", "{response.json.page + 1}", "", ""), NULL))
		return;
	CHECK_STR(column(run.records, "id"), count_list(20));
	CHECK(mock_number("/stats?tag=pf_resp", "max_in_flight") == 1);
	CHECK(run.stats.requests == 10);
	run_free(&run);
	n = logged_pages("pf_resp", &once);
	CHECK(once && n == 10);

	/* the request reads state a processor fills from the records: sequential */
	if (!run_spec(&run, BULK_PAGED("pf_proc", "{state.page + 1}",
								   "      headers: {X-Max: \"{state.max_id}\"}\n",
								   "      processors:\n"
								   "        - {expression: record.id, output: state.max_id, aggregation: maximum}\n"),
				  NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(column(run.records, "id"), count_list(20));
	CHECK(mock_number("/stats?tag=pf_proc", "max_in_flight") == 1);
	CHECK(run.stats.requests == 10);
	run_free(&run);
	(void) logged_pages("pf_proc", &once);

	/* a record limit (a sample): no page is asked for past what it needs */
	{
		BfRunContext ctx;

		memset(&ctx, 0, sizeof(ctx));
		ctx.limit = 3;
		if (!run_spec(&run, BULK_PAGED("pf_limit", "{state.page + 1}", "", ""), &ctx))
			return;
		CHECK_STR(column(run.records, "id"), "0,1,2");
		CHECK(mock_number("/stats?tag=pf_limit", "max_in_flight") == 1);
		CHECK_MSG(run.stats.requests == 2, "%ld requests", run.stats.requests);
		run_free(&run);
		(void) logged_pages("pf_limit", &once);
	}

	/* one iteration at a time, each paging ahead: rows in iteration, then page, order */
	if (!run_spec(&run, HEAD
				  "    iterate: {over: [0, 50], into: state.first, concurrency: 1}\n"
				  "    state: {page: \"{state.first}\"}\n"
				  "    request:\n"
				  "      url: @URL@/bulk\n"
				  "      concurrency: 5\n"
				  "      parameters: {page: \"{state.page}\", size: 1, pages: 100, ms: 20, tag: pf_iter}\n"
				  "    pagination:\n"
				  "      next_state: {page: \"{state.page + 1}\"}\n"
				  "      stop_condition: response.json.page >= state.first + 5\n"
				  "    response:\n"
				  "      records: {jmespath: \"items[]\"}\n", NULL))
		return;
	CHECK_STR(column(run.records, "id"), "0,1,2,3,4,5,50,51,52,53,54,55");
	n = mock_number("/stats?tag=pf_iter", "max_in_flight");
	CHECK_MSG(n >= 2 && n <= 5, "%ld in flight", n);
	run_free(&run);

	/* the rate holds for pages asked for ahead: 8 pages at 10 a second */
	if (!run_spec(&run, HEAD
				  "    state: {page: 0}\n"
				  "    request:\n"
				  "      url: @URL@/bulk\n"
				  "      concurrency: 5\n"
				  "      rate: 10\n"
				  "      parameters: {page: \"{state.page}\", size: 1, pages: 8, tag: pf_rate}\n"
				  "    pagination:\n"
				  "      next_state: {page: \"{state.page + 1}\"}\n"
				  "      stop_condition: length(response.records) == 0\n"
				  "    response:\n"
				  "      records: {jmespath: \"items[]\"}\n", NULL))
		return;
	CHECK_STR(column(run.records, "id"), count_list(8));
	/* 9 pages (the 9th is empty) 0.1 s apart: at least 0.8 s */
	CHECK_MSG(run.elapsed >= 0.75, "%.2f s", run.elapsed);
	n = mock_number("/stats?tag=pf_rate", "max_per_second");
	CHECK_MSG(n >= 1 && n <= 11, "%ld in a second", n);
	run_free(&run);

	/*
	 * Page n answers 429 (Retry-After: 0) 3 - n times: the pages that came
	 * ahead of their turn are retried at it, as often, in page order.
	 */
	if (!run_spec(&run, HEAD
				  "    state: {page: 0}\n"
				  "    request:\n"
				  "      url: \"@URL@/ratelimited?key=pf429-{state.page}&fail={3 - state.page}&after=0\"\n"
				  "      concurrency: 5\n"
				  "    pagination:\n"
				  "      next_state: {page: \"{state.page + 1}\"}\n"
				  "      stop_condition: state.page >= 3\n"
				  "    response:\n"
				  "      records: {jmespath: \"items[]\"}\n", NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(column(run.records, "attempt"), "4,3,2,1");
	CHECK_MSG(run.stats.retries == 6, "%ld retries", run.stats.retries);
	run_free(&run);
}

/* ---- waiting and freeing --------------------------------------------------- */

/* bf_runner_next waits about max_wait_ms for an API that hangs, no more. */
static void
test_bounded_wait(void)
{
	BfSpec	   *spec = load_spec(HEAD "    request: {url: \"@URL@/hang?s=30\"}\n");
	BfRunContext ctx;
	BfRunner   *r;
	BfError		err;
	struct json_object *rec = NULL;
	int			fds0 = unit_count_fds();
	int			i;

	if (spec == NULL)
		return;
	memset(&ctx, 0, sizeof(ctx));
	r = bf_runner_new(spec, &spec->endpoints[0], &ctx, &err);
	CHECK_MSG(r != NULL, "%s", err.message);
	for (i = 0; r != NULL && i < 3; i++)
	{
		double		t0 = bf_http_now();
		BfRunStatus st = bf_runner_next(r, 200, &rec, &err);
		double		dt = bf_http_now() - t0;

		CHECK(st == BF_RUN_WAIT && rec == NULL);
		CHECK_MSG(dt >= 0.15 && dt < 0.6, "waited %.3f s", dt);
	}
	CHECK(unit_count_fds() > fds0);		/* the connection is open */
	bf_runner_free(r);
	CHECK_MSG(unit_count_fds() == fds0, "%d fds, %d before", unit_count_fds(), fds0);
	bf_spec_free(spec);
}

/* Freed while records wait and pages are in flight: every fd and byte is back. */
static void
test_free_mid_run(void)
{
	BfSpec	   *spec = load_spec(HEAD
								 "    iterate: {over: [1, 2, 3], into: state.i}\n"
								 "    state: {page: 0}\n"
								 "    request: {url: \"@URL@/bulk?size=500&pages=4&ms=50&page={state.page}\"}\n"
								 "    pagination:\n"
								 "      next_state: {page: \"{state.page + 1}\"}\n"
								 "      stop_condition: response.json.more == false\n"
								 "    response: {records: {jmespath: \"items[]\", primary_key: [id]}}\n");
	BfRunContext ctx;
	BfRunner   *r;
	BfError		err;
	int			fds0 = unit_count_fds();
	int			taken = 0;
	double		end = bf_http_now() + 10;

	if (spec == NULL)
		return;
	memset(&ctx, 0, sizeof(ctx));
	r = bf_runner_new(spec, &spec->endpoints[0], &ctx, &err);
	CHECK_MSG(r != NULL, "%s", err.message);
	while (r != NULL && taken < 10 && bf_http_now() < end)
	{
		struct json_object *rec = NULL;

		if (bf_runner_next(r, 100, &rec, &err) == BF_RUN_RECORD)
		{
			taken++;
			json_object_put(rec);
		}
	}
	CHECK(taken == 10);
	bf_runner_free(r);
	CHECK_MSG(unit_count_fds() == fds0, "%d fds, %d before", unit_count_fds(), fds0);
	bf_spec_free(spec);
}

/* ---- queues (issue 11) ---------------------------------------------------- */

/*
 * A parent that pages through /paged/cursor (ids 1..10, 4 pages) and
 * writes each id to queue.ids, [id, -id] exploded to queue.pairs, the
 * record to queue.objs, and an id only "if" it is even to queue.evens;
 * then the endpoints that read them.
 */
#define QUEUE_PARENT \
	"name: t\ndefaults:\n  request:\n    rate: 0\nendpoints:\n" \
	"  parent:\n" \
	"    request:\n" \
	"      url: @URL@/paged/cursor\n" \
	"      parameters: {after: \"{state.after}\", limit: 3}\n" \
	"    pagination:\n" \
	"      next_state: {after: \"{response.json.next_cursor}\"}\n" \
	"      stop_condition: response.json.has_more == false\n" \
	"    response:\n" \
	"      records: {jmespath: \"data[]\"}\n" \
	"      processors:\n" \
	"        - {expression: record.id, output: queue.ids}\n" \
	"        - {expression: \"[record.id, 0 - record.id]\", output: queue.pairs}\n" \
	"        - {expression: record, output: queue.objs}\n" \
	"        - {expression: record.id, if: record.id % 2 == 0, output: queue.evens}\n"

/* A runner of the named endpoint of spec over store; NULL (checked) if it did not start. */
static BfRunner *
queue_runner(const BfSpec *spec, const char *endpoint, void *store, BfRunContext *ctx,
			 BfError *err)
{
	BfRunContext none;
	BfRunner   *r;

	if (ctx == NULL)
	{
		memset(&none, 0, sizeof(none));
		ctx = &none;
	}
	ctx->queue_ops = &bf_queue_mem_ops;
	ctx->queue_store = store;
	r = bf_runner_new(spec, bf_spec_endpoint(spec, endpoint), ctx, err);
	CHECK_MSG(r != NULL, "%s: %s", endpoint, err->message);
	return r;
}

/* Run endpoint over store to its end: its records (a new array), its stats. */
static BfRunStatus
queue_run(const BfSpec *spec, const char *endpoint, void *store, BfRunContext *ctx,
		  struct json_object **records, BfRunStats *stats, BfError *err)
{
	BfRunner   *r = queue_runner(spec, endpoint, store, ctx, err);
	BfRunStatus st;

	*records = NULL;
	if (r == NULL)
		return BF_RUN_ERROR;
	st = harness_drain(r, 30, records, err);
	bf_runner_stats(r, stats);
	bf_runner_free(r);
	return st;
}

/* The compact JSON of every record (static buffer). */
static const char *
all_json(struct json_object *records)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s", json_object_to_json_string_ext(records, JSON_TEXT));
	return buf;
}

/*
 * A producer's processors fill its queues (a list exploded, "if" obeyed)
 * and it still hands out its records; a consumer then iterates over a
 * queue item by item, over chunk(queue.x, n) a chunk at a time, reads a
 * queue whole in a template, and takes a queue's items as its records
 * with into: response.records (no request).  Once read, a queue refuses
 * items, from the store and from a producer's run.
 */
static void
test_queue_parent_child(void)
{
	BfSpec	   *spec = load_spec(QUEUE_PARENT
								 "  child:\n"
								 "    iterate: {over: queue.ids, into: state.id, concurrency: 1}\n"
								 "    request: {url: \"@URL@/slow?ms=0&id={state.id}\"}\n"
								 "    response: {records: {jmespath: \"items[]\"}}\n"
								 "  chunks:\n"
								 "    iterate: {over: \"chunk(queue.ids, 4)\", into: state.ids,"
								 " concurrency: 1}\n"
								 "    request: {url: \"@URL@/slow?ms=0&id={join(state.ids, \\\"-\\\")}\"}\n"
								 "    response: {records: {jmespath: \"items[]\"}}\n"
								 "  whole:\n"
								 "    state: {n: \"{length(queue.pairs)}\"}\n"
								 "    request: {url: \"@URL@/slow?ms=0&id={state.n}-{queue.evens[-1]}\"}\n"
								 "    response: {records: {jmespath: \"items[]\"}}\n"
								 "  objs:\n"
								 "    iterate: {over: queue.objs, into: response.records}\n"
								 "    response:\n"
								 "      records: {primary_key: [id]}\n"
								 "      processors:\n"
								 "        - {expression: record.id * 10, output: record.tenfold}\n");
	void	   *store = bf_queue_mem_new();
	struct json_object *records = NULL;
	BfRunStats	stats;
	BfError		err;
	BfRunner   *r;

	if (spec == NULL)
		return;
	r = queue_runner(spec, "parent", store, NULL, &err);
	if (r != NULL)
	{
		CHECK(harness_drain(r, 30, &records, &err) == BF_RUN_DONE);
		CHECK_STR(column(records, "id"), "1,2,3,4,5,6,7,8,9,10");
		bf_runner_stats(r, &stats);
		CHECK(stats.queue_items == 10 + 20 + 10 + 5);
		CHECK(bf_runner_queue_items(r, "ids") == 10);
		CHECK(bf_runner_queue_items(r, "pairs") == 20);
		CHECK(bf_runner_queue_items(r, "evens") == 5);
		CHECK(bf_runner_queue_items(r, "nothing") == 0);
		json_object_put(records);
		bf_runner_free(r);
	}
	CHECK(bf_queue_mem_count(store, "ids") == 10);
	CHECK(bf_queue_mem_count(store, "objs") == 10);

	CHECK(queue_run(spec, "child", store, NULL, &records, &stats, &err) == BF_RUN_DONE);
	CHECK_STR(column(records, "id"), "1,2,3,4,5,6,7,8,9,10");
	CHECK(stats.iterations == 10 && stats.requests == 10);
	json_object_put(records);

	/* every consumer reads every item: the store is read again from the start */
	CHECK(queue_run(spec, "chunks", store, NULL, &records, &stats, &err) == BF_RUN_DONE);
	CHECK_STR(column(records, "id"), "1-2-3-4,5-6-7-8,9-10");
	CHECK(stats.iterations == 3 && stats.requests == 3);
	json_object_put(records);

	CHECK(queue_run(spec, "whole", store, NULL, &records, &stats, &err) == BF_RUN_DONE);
	CHECK_STR(column(records, "id"), "20-10");
	json_object_put(records);

	CHECK(queue_run(spec, "objs", store, NULL, &records, &stats, &err) == BF_RUN_DONE);
	CHECK_STR(column(records, "tenfold"), "10,20,30,40,50,60,70,80,90,100");
	CHECK(stats.requests == 0 && stats.iterations == 10);
	json_object_put(records);

	/* read now: no more items, from the store or from a producer */
	CHECK(!bf_queue_mem_ops.append(store, "ids", "11", 2, &err));
	CHECK_STR(err.message, "queue.ids is being read and takes no more items");
	CHECK(queue_run(spec, "parent", store, NULL, &records, &stats, &err) == BF_RUN_ERROR);
	CHECK_STR(err.message, "endpoint \"parent\": endpoints.parent.response.processors[0]: "
			  "queue.ids is being read and takes no more items");
	json_object_put(records);
	bf_queue_mem_free(store);
	bf_spec_free(spec);
}

/*
 * queue_only: the records go through the processors (the queues fill) and
 * none is handed out.  A keep filter's dropped records write no queue
 * item (runner.h).  The window of over (first_iteration, max_iterations)
 * applies to a streamed queue.  An endpoint with queues and no store
 * does not start.
 */
static void
test_queue_only_keep_window(void)
{
	BfSpec	   *spec = load_spec(QUEUE_PARENT
								 "    queue_only: true\n"
								 "  kids:\n"
								 "    iterate: {over: queue.ids, into: response.records}\n");
	void	   *store = bf_queue_mem_new();
	struct json_object *records = NULL;
	BfRunStats	stats;
	BfRunContext ctx;
	BfError		err;
	KeepUpTo	k = {"id", 4};
	BfRunner   *r;

	if (spec == NULL)
		return;
	CHECK(queue_run(spec, "parent", store, NULL, &records, &stats, &err) == BF_RUN_DONE);
	CHECK(json_object_array_length(records) == 0);
	CHECK(stats.requests == 4 && stats.queue_items == 45);
	CHECK(bf_queue_mem_count(store, "ids") == 10);
	json_object_put(records);

	memset(&ctx, 0, sizeof(ctx));
	ctx.first_iteration = 2;
	ctx.max_iterations = 3;
	CHECK(queue_run(spec, "kids", store, &ctx, &records, &stats, &err) == BF_RUN_DONE);
	CHECK_STR(all_json(records), "[3,4,5]");
	CHECK(stats.iterations == 10);
	json_object_put(records);
	bf_queue_mem_free(store);

	/* kept records only */
	store = bf_queue_mem_new();
	memset(&ctx, 0, sizeof(ctx));
	ctx.keep = keep_up_to;
	ctx.keep_arg = &k;
	CHECK(queue_run(spec, "parent", store, &ctx, &records, &stats, &err) == BF_RUN_DONE);
	CHECK(bf_queue_mem_count(store, "ids") == 4);
	CHECK(bf_queue_mem_count(store, "pairs") == 8);
	CHECK(bf_queue_mem_count(store, "evens") == 2);
	json_object_put(records);
	CHECK(queue_run(spec, "kids", store, NULL, &records, &stats, &err) == BF_RUN_DONE);
	CHECK_STR(all_json(records), "[1,2,3,4]");
	json_object_put(records);
	bf_queue_mem_free(store);

	memset(&ctx, 0, sizeof(ctx));
	r = bf_runner_new(spec, bf_spec_endpoint(spec, "kids"), &ctx, &err);
	CHECK(r == NULL);
	CHECK_STR(err.message, "endpoint \"kids\" reads queue.ids, but the run was given no "
			  "queue store");
	bf_runner_free(r);
	bf_spec_free(spec);
}

/* Bytes malloc has handed out and not had back; 0 where that is not known (ASan). */
static size_t
heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return 0;
#else
	return mallinfo2().uordblks;
#endif
}

/*
 * A 100k-item queue streams: iterations read it one item at a time, so the
 * heap does not grow with it (a queue made one array would cost over
 * 10 MB here); records come out as they are made.  Chunks likewise.
 */
static void
test_queue_stream(void)
{
	BfSpec	   *spec = load_spec("name: t\nendpoints:\n"
								 "  big:\n"
								 "    iterate: {over: queue.big, into: response.records}\n"
								 "  chunked:\n"
								 "    iterate: {over: \"chunk(queue.big, 1000)\", into: state.c}\n"
								 "    request: {url: x}\n"
								 "  writer:\n"
								 "    request: {url: x}\n"
								 "    response:\n"
								 "      processors: [{expression: record, output: queue.big}]\n");
	void	   *store = bf_queue_mem_new();
	BfRunner   *r;
	BfError		err;
	BfRunStats	stats;
	long		i,
				n = 0,
				last = -1;
	size_t		base = 0,
				peak = 0;
	bool		in_order = true;

	if (spec == NULL)
		return;
	for (i = 0; i < 100000; i++)
	{
		char		item[64];
		int			len = snprintf(item, sizeof(item), "{\"n\":%ld,\"pad\":\"xxxxxxxxxxxxxxxx\"}", i);

		if (!bf_queue_mem_ops.append(store, "big", item, (size_t) len, &err))
			break;
	}
	CHECK(bf_queue_mem_count(store, "big") == 100000);
	base = heap_in_use();
	r = queue_runner(spec, "big", store, NULL, &err);
	while (r != NULL)
	{
		struct json_object *rec = NULL;
		struct json_object *v = NULL;
		BfRunStatus st = bf_runner_next(r, 100, &rec, &err);

		if (st != BF_RUN_RECORD && st != BF_RUN_WAIT)
		{
			CHECK_MSG(st == BF_RUN_DONE, "%s", err.message);
			break;
		}
		if (st == BF_RUN_WAIT)
			continue;
		json_object_object_get_ex(rec, "n", &v);
		in_order = in_order && json_object_get_int64(v) == last + 1;
		last = (long) json_object_get_int64(v);
		json_object_put(rec);
		if (++n % 1000 == 0 && heap_in_use() > peak)
			peak = heap_in_use();
	}
	CHECK(n == 100000 && last == 99999 && in_order);
	CHECK_MSG(peak < base + 2 * 1024 * 1024, "the heap grew by %zu bytes",
			  peak > base ? peak - base : 0);
	if (r != NULL)
	{
		bf_runner_stats(r, &stats);
		CHECK(stats.iterations == 100000 && stats.requests == 0);
	}
	bf_runner_free(r);

	/* chunks: 100 iterations of 1000 items, counted without reading a value */
	r = queue_runner(spec, "chunked", store, NULL, &err);
	if (r != NULL)
	{
		bf_runner_stats(r, &stats);
		CHECK(stats.iterations == 100);
	}
	bf_runner_free(r);

	/* a queue item that is not JSON fails the run, naming it */
	CHECK(bf_queue_mem_ops.append(store, "bad", "1", 1, &err));
	CHECK(bf_queue_mem_ops.append(store, "bad", "{x", 2, &err));
	bf_spec_free(spec);
	spec = load_spec("name: t\nendpoints:\n"
					 "  bad:\n"
					 "    iterate: {over: queue.bad, into: response.records}\n"
					 "  writer:\n"
					 "    request: {url: x}\n"
					 "    response:\n"
					 "      processors: [{expression: record, output: queue.bad}]\n");
	if (spec != NULL)
	{
		struct json_object *records = NULL;

		CHECK(queue_run(spec, "bad", store, NULL, &records, &stats, &err) == BF_RUN_ERROR);
		CHECK_STR(err.message, "endpoint \"bad\": queue.bad: item 2 is not JSON "
				  "(quoted object property name expected)");
		json_object_put(records);
	}
	bf_queue_mem_free(store);
	bf_spec_free(spec);
}

/*
 * A queue item as deep as a response body may be (its records nest up to
 * 512 levels) reads back: a processor wrote it from such a record, and
 * json-c's default tokener stops at 32 levels.
 */
static void
test_queue_deep_item(void)
{
	BfSpec	   *spec = load_spec("name: t\nendpoints:\n"
								 "  deep:\n"
								 "    iterate: {over: queue.in, into: response.records}\n"
								 "    response:\n"
								 "      processors: [{expression: record, output: queue.back}]\n"
								 "  back:\n"
								 "    iterate: {over: \"chunk(queue.back, 2)\", into: response.records}\n"
								 "  writer:\n"
								 "    request: {url: x}\n"
								 "    response:\n"
								 "      processors: [{expression: record, output: queue.in}]\n");
	void	   *store = bf_queue_mem_new();
	struct json_object *records = NULL;
	BfRunStats	stats;
	BfError		err;
	char		item[1024];
	int			len = 0;
	int			i;

	if (spec == NULL)
		return;
	for (i = 0; i < 100; i++)
		len += snprintf(item + len, sizeof(item) - len, "{\"a\":");
	len += snprintf(item + len, sizeof(item) - len, "1");
	for (i = 0; i < 100; i++)
		len += snprintf(item + len, sizeof(item) - len, "}");
	CHECK(bf_queue_mem_ops.append(store, "in", item, (size_t) len, &err));
	CHECK_MSG(queue_run(spec, "deep", store, NULL, &records, &stats, &err) == BF_RUN_DONE,
			  "%s", err.message);
	CHECK(records != NULL && json_object_array_length(records) == 1);
	json_object_put(records);
	CHECK(bf_queue_mem_count(store, "back") == 1);
	CHECK_MSG(queue_run(spec, "back", store, NULL, &records, &stats, &err) == BF_RUN_DONE,
			  "%s", err.message);
	CHECK(records != NULL && json_object_array_length(records) == 1);
	json_object_put(records);
	bf_queue_mem_free(store);
	bf_spec_free(spec);
}

/*
 * A processor's value that holds what it is written into (record into
 * record.x, state into state.x, the store into context.store.x) is copied
 * first: added as it was, the value held itself, a cycle that leaked the
 * record and overflowed the stack of whatever printed it (fuzz_queue).
 * Each copy is the value when its processor ran: the store's second me
 * the store holding the first.  state.me reaches the state once the page
 * is done (Sling's rule), so record.st reads it null.
 */
static void
test_output_holds_itself(void)
{
	Run			run;

	if (!run_spec(&run, HEAD
				  "    iterate: {over: '[{\"id\": 1}]', into: response.records}\n"
				  "    response:\n"
				  "      processors:\n"
				  "        - {expression: record, output: record.me}\n"
				  "        - {expression: \"[record]\", output: record.list}\n"
				  "        - {expression: state, output: state.me}\n"
				  "        - {expression: \"state.me\", output: record.st}\n"
				  "        - {expression: context.store, output: context.store.me, aggregation: last}\n"
				  "        - {expression: context.store, output: context.store.me, aggregation: last}\n"
				  "        - {expression: \"context.store.me\", output: record.store}\n",
				  NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(all_json(run.records),
			  "[{\"id\":1,\"me\":{\"id\":1},\"list\":[{\"id\":1,\"me\":{\"id\":1}}],"
			  "\"st\":null,\"store\":{\"me\":{}}}]");
	run_free(&run);
}

/*
 * A queue output held back for a keep filter is the value when its
 * processor ran: the record as it was then, not as the processors after
 * it changed it (those went into the queue too, by reference).  The same
 * spec without a filter writes the same item.
 */
static void
test_queue_held_back_value(void)
{
	BfSpec	   *spec = load_spec("name: t\nendpoints:\n"
								 "  p:\n"
								 "    iterate: {over: '[{\"id\": 1}]', into: response.records}\n"
								 "    response:\n"
								 "      processors:\n"
								 "        - {expression: record, output: queue.q}\n"
								 "        - {expression: 2, output: record.later}\n"
								 "  c:\n"
								 "    iterate: {over: queue.q, into: response.records}\n");
	KeepUpTo	k = {"id", 4};
	int			filtered;

	if (spec == NULL)
		return;
	for (filtered = 0; filtered < 2; filtered++)
	{
		void	   *store = bf_queue_mem_new();
		struct json_object *records = NULL;
		BfRunContext ctx;
		BfRunStats	stats;
		BfError		err;

		memset(&ctx, 0, sizeof(ctx));
		if (filtered)
		{
			ctx.keep = keep_up_to;
			ctx.keep_arg = &k;
		}
		CHECK(queue_run(spec, "p", store, &ctx, &records, &stats, &err) == BF_RUN_DONE);
		CHECK_STR(all_json(records), "[{\"id\":1,\"later\":2}]");
		json_object_put(records);
		CHECK(queue_run(spec, "c", store, NULL, &records, &stats, &err) == BF_RUN_DONE);
		CHECK_MSG(strcmp(all_json(records), "[{\"id\":1}]") == 0, "filtered %d: %s", filtered,
				  all_json(records));
		json_object_put(records);
		bf_queue_mem_free(store);
	}
	bf_spec_free(spec);
}

/* into: response.records over a plain list: processors, then de-duplication. */
static void
test_into_records(void)
{
	Run			run;

	if (!run_spec(&run, HEAD
				  "    iterate:\n"
				  "      over: '[{\"id\": 1}, {\"id\": 1}, {\"id\": 2}, null, [{\"id\": 3}, {\"id\": 4}]]'\n"
				  "      into: response.records\n"
				  "    response:\n"
				  "      records: {primary_key: [id]}\n"
				  "      processors:\n"
				  "        - {expression: record.id + 1, output: record.next}\n"
				  "        - {expression: length(response.records), output: record.batch}\n",
				  NULL))
		return;
	CHECK_MSG(run.status == BF_RUN_DONE, "%s", run.err.message);
	CHECK_STR(column(run.records, "id"), "1,2,3,4");
	CHECK_STR(column(run.records, "next"), "2,3,4,5");
	CHECK_STR(column(run.records, "batch"), "1,1,2,2");
	CHECK(run.stats.requests == 0 && run.stats.iterations == 5);
	run_free(&run);
}

int
main(int argc, char **argv)
{
	char	   *server[] = {"python3", argc > 1 ? argv[1] : "test/mock/mock_api.py",
	"--port", "0", "--lifetime", "120", NULL};
	BfError		err;

	if (!bf_http_global_init(&err))
	{
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	if (!harness_start_server(&mock, server))
	{
		fprintf(stderr, "runner: could not start %s\n", server[1]);
		CHECK(false);
		return UNIT_DONE("runner");
	}
	test_single_request();
	test_iterate();
	test_iteration_window();
	test_pagination();
	test_rule_retry();
	test_base_state_error();
	test_rule_429();
	test_trace();
	test_rule_actions();
	test_processors();
	test_record_transforms();
	test_sync();
	test_keep_filter();
	test_store_env();
	test_dedup();
	test_limits();
	test_formats();
	test_select();
	test_jq_and_casing();
	test_setup_teardown();
	test_setup_calls();
	test_store_and_over();
	test_inputs_and_server_state();
	test_graphql_payload();
	test_auth_headers();
	test_oauth2();
	test_oauth2_cache();
	test_sequence();
	test_hmac();
	test_transport_retry();
	test_server_wait();
	test_endless_pagination();
	test_bounded_wait();
	test_free_mid_run();
	test_queue_parent_child();
	test_queue_only_keep_window();
	test_queue_stream();
	test_queue_deep_item();
	test_output_holds_itself();
	test_queue_held_back_value();
	test_into_records();
	test_prefetch();
	harness_stop_server(&mock);
	return UNIT_DONE("runner");
}
