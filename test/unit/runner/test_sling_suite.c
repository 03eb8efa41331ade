/*
 * test_sling_suite.c
 *		Sling's own API-spec suite (api_suite.yaml, path in argv[1], default
 *		../shared/conformance/sling/api_suite.yaml) run through the spec
 *		loader and the endpoint runner; skipped when the file is absent.
 *
 * As Sling's runner (api_test.go, TestHTTPCallAndResponseExtraction) does,
 * every case gets a loopback server (test/unit/sling_mock.py, started once,
 * given each case's mock through its control route) and its spec is
 * pointed at it: an endpoint without request.url gets <server>/test, and
 * a URL that is a path ("/users", also in setup and teardown calls and
 * authentication sequences) gets the server in front.  The endpoint runs with the case's sync_state as
 * sync.*, Sling's harness's secrets and its limit of 10 records; then:
 *
 *  - expected_records: the records, in order, each expected key present
 *    with the same value as text ("1" == 1, true == "true"; numbers by
 *    value); as many records, or at least as many for the cases Sling's
 *    harness lets page on ("onestock", "nextstate" in the name);
 *  - expected_columns: the keys of the first record, in order;
 *  - expected_state: bf_runner_state (see runner.h), key by key;
 *  - expected_next_state (checked, as by Sling, when expected_state is not
 *    empty): pagination.next_state rendered against that state and the
 *    case's mock as response.json;
 *  - expected_store, expected_env: bf_runner_store, bf_runner_env.
 *
 * One line per case: PASS, FAIL with the first difference, or UNSUPPORTED
 * with the feature (the loader's "not supported" and unknown-function
 * errors, the runner's "not supported yet"), which is not a failure.  The
 * closing line is "sling: N passed, N failed, N unsupported".
 */
#include <math.h>

#include "runner_harness.h"
#include "runner/runner_request.h"
#include "spec/spec_yaml.h"

/* The text a Sling case's values compare by (NULL stays NULL). */
static char *
text_of(struct json_object *v)
{
	return v != NULL ? bf_value_to_text(v) : NULL;
}

/* A number, from a number or from a string that is one entirely. */
static bool
number_of(struct json_object *v, double *out)
{
	const char *s;
	char	   *end;

	switch (json_object_get_type(v))
	{
		case json_type_int:
		case json_type_double:
			*out = json_object_get_double(v);
			return true;
		case json_type_string:
			s = json_object_get_string(v);
			if (*s == '\0')
				return false;
			*out = strtod(s, &end);
			return *end == '\0';
		default:
			return false;
	}
}

/* Sling's comparison: by value as text, numbers by value; null only as null or "". */
static bool
same_value(struct json_object *want, struct json_object *got)
{
	double		a,
				b;
	char	   *x;
	char	   *y;
	bool		same;

	if (want == NULL || got == NULL)
		return (want == NULL && got == NULL) ||
			(json_object_is_type(want, json_type_string) && json_object_get_string_len(want) == 0);
	if (number_of(want, &a) && number_of(got, &b))
		return a == b || fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
	x = text_of(want);
	y = text_of(got);
	same = strcmp(x, y) == 0;
	free(x);
	free(y);
	return same;
}

/* A YAML node as json-c (scalars typed as the loader types them). */
static struct json_object *
yaml_json(const BfYamlNode *n)
{
	struct json_object *out = NULL;
	int			i;

	if (n == NULL)
		return NULL;
	switch (n->kind)
	{
		case BF_YAML_SCALAR:
			bf_yaml_scalar_value(n, &out);
			break;
		case BF_YAML_MAP:
			out = json_object_new_object();
			for (i = 0; i < n->count; i++)
				json_object_object_add(out, n->keys[i]->text, yaml_json(n->values[i]));
			break;
		case BF_YAML_LIST:
			out = json_object_new_array();
			for (i = 0; i < n->count; i++)
				json_object_array_add(out, yaml_json(n->values[i]));
			break;
	}
	return out;
}

/* What sling_mock.py is to answer for a case. */
static struct json_object *
mock_of(const BfYamlNode *c, struct json_object **json)
{
	struct json_object *m = json_object_new_object();
	const BfYamlNode *resp = bf_yaml_get(c, "mock_response");
	const BfYamlNode *raw = bf_yaml_get(c, "mock_response_raw");

	*json = NULL;
	if (raw == NULL && resp != NULL && resp->kind == BF_YAML_SCALAR)
		raw = resp;				/* a CSV body written as a string */
	if (raw != NULL)
		json_object_object_add(m, "raw", json_object_new_string(raw->text));
	else
	{
		*json = yaml_json(resp);
		json_object_object_add(m, "json", json_object_get(*json));
	}
	if (bf_yaml_get(c, "mock_status") != NULL)
		json_object_object_add(m, "status", yaml_json(bf_yaml_get(c, "mock_status")));
	if (bf_yaml_get(c, "mock_headers") != NULL)
		json_object_object_add(m, "headers", yaml_json(bf_yaml_get(c, "mock_headers")));
	return m;
}

/* Point a request map at the server: <base>/test when it has no url, <base><url> for a path. */
static void
point_request(BfArena *arena, BfYamlNode *holder, const char *base)
{
	BfYamlNode *req = bf_yaml_get(holder, "request");
	BfYamlNode *url;

	if (req == NULL)
	{
		req = bf_yaml_new_map(arena, holder->line, holder->column);
		bf_yaml_map_set(arena, holder, "request", req);
	}
	url = bf_yaml_get(req, "url");
	if (url == NULL)
		bf_yaml_map_set(arena, req, "url",
						bf_yaml_new_scalar(arena, bf_arena_printf(arena, "%s/test", base)));
	else if (url->kind == BF_YAML_SCALAR && url->text[0] == '/')
		bf_yaml_map_set(arena, req, "url",
						bf_yaml_new_scalar(arena, bf_arena_printf(arena, "%s%s", base, url->text)));
}

/* The calls of an authentication sequence under holder, pointed at base. */
static void
point_sequence(BfArena *arena, BfYamlNode *holder, const char *base)
{
	BfYamlNode *auth = bf_yaml_get(holder, "authentication");
	BfYamlNode *list = auth != NULL ? bf_yaml_get(auth, "sequence") : NULL;
	int			j;

	for (j = 0; list != NULL && list->kind == BF_YAML_LIST && j < list->count; j++)
		if (list->values[j]->kind == BF_YAML_MAP)
			point_request(arena, list->values[j], base);
}

/*
 * Every endpoint, setup call, teardown call and authentication sequence
 * call of a case's spec, pointed at base.
 */
static void
point_spec(BfArena *arena, BfYamlNode *spec, const char *base)
{
	BfYamlNode *eps = bf_yaml_get(spec, "endpoints");
	int			i,
				j;

	point_sequence(arena, spec, base);

	for (i = 0; eps != NULL && eps->kind == BF_YAML_MAP && i < eps->count; i++)
	{
		static const char *const calls[] = {"setup", "teardown"};
		int			k;

		point_request(arena, eps->values[i], base);
		point_sequence(arena, eps->values[i], base);
		for (k = 0; k < 2; k++)
		{
			BfYamlNode *list = bf_yaml_get(eps->values[i], calls[k]);

			for (j = 0; list != NULL && list->kind == BF_YAML_LIST && j < list->count; j++)
				if (list->values[j]->kind == BF_YAML_MAP)
					point_request(arena, list->values[j], base);
		}
	}
}

/*
 * Compare expected (a YAML map) with got key by key: every key present,
 * every value the same.  False with why set at the first difference.
 */
static bool
check_map(const char *what, const BfYamlNode *expected, struct json_object *got,
		  char *why, size_t whylen)
{
	int			i;

	for (i = 0; expected != NULL && expected->kind == BF_YAML_MAP && i < expected->count; i++)
	{
		const char *key = expected->keys[i]->text;
		struct json_object *want = yaml_json(expected->values[i]);
		struct json_object *have = NULL;
		bool		present = json_object_object_get_ex(got, key, &have);
		bool		same = present && same_value(want, have);

		if (!same)
		{
			char	   *w = want ? text_of(want) : strdup("null");
			char	   *h = have ? text_of(have) : strdup("null");

			snprintf(why, whylen, "%s.%s: want %s, got %s", what, key, w, present ? h : "(absent)");
			free(w);
			free(h);
		}
		json_object_put(want);
		if (!same)
			return false;
	}
	return true;
}

/* The records against expected_records and expected_columns. */
static bool
check_records(const BfYamlNode *c, const char *name, struct json_object *records,
			  char *why, size_t whylen)
{
	const BfYamlNode *exp = bf_yaml_get(c, "expected_records");
	const BfYamlNode *cols = bf_yaml_get(c, "expected_columns");
	int			want = exp != NULL && exp->kind == BF_YAML_LIST ? exp->count : 0;
	int			got = (int) json_object_array_length(records);
	bool		at_least = strstr(name, "onestock") != NULL || strstr(name, "nextstate") != NULL;
	int			i;

	if (at_least ? got < want : got != want)
	{
		snprintf(why, whylen, "%d records, want %s%d", got, at_least ? ">= " : "", want);
		return false;
	}
	for (i = 0; i < want; i++)
	{
		char		what[32];

		snprintf(what, sizeof(what), "record %d", i);
		if (!check_map(what, exp->values[i], json_object_array_get_idx(records, i), why, whylen))
			return false;
	}
	if (cols != NULL && cols->kind == BF_YAML_LIST && got > 0)
	{
		struct json_object *first = json_object_array_get_idx(records, 0);
		int			n = 0;

		json_object_object_foreach(first, key, value)
		{
			(void) value;
			if (n >= cols->count || strcmp(key, cols->values[n]->text) != 0)
			{
				snprintf(why, whylen, "column %d is %s, want %s", n, key,
						 n < cols->count ? cols->values[n]->text : "none");
				return false;
			}
			n++;
		}
		if (n != cols->count)
		{
			snprintf(why, whylen, "%d columns, want %d", n, cols->count);
			return false;
		}
	}
	return true;
}

/* pagination.next_state rendered against the final state and the mock (Sling's way). */
static struct json_object *
render_next_state(const BfEndpoint *ep, struct json_object *state, struct json_object *mock_json,
				  struct json_object *sync, char *why, size_t whylen)
{
	struct json_object *vars = json_object_new_object();
	struct json_object *response = json_object_new_object();
	struct json_object *headers = json_object_new_object();
	struct json_object *out = json_object_new_object();
	int			i;

	json_object_object_add(headers, "content-type", json_object_new_string("application/json"));
	json_object_object_add(response, "status", json_object_new_int(200));
	json_object_object_add(response, "headers", headers);
	json_object_object_add(response, "json", json_object_get(mock_json));
	json_object_object_add(vars, "state", json_object_get(state));
	json_object_object_add(vars, "sync", json_object_get(sync));
	json_object_object_add(vars, "response", response);
	for (i = 0; i < ep->pagination.next_state.count; i++)
	{
		BfError		err;
		struct json_object *v;

		bf_error_clear(&err);
		v = bf_render_value(&ep->pagination.next_state.items[i], vars, &err);
		if (err.kind != BF_OK)
		{
			snprintf(why, whylen, "next_state.%s: %s", ep->pagination.next_state.keys[i],
					 err.message);
			json_object_put(out);
			out = NULL;
			break;
		}
		json_object_object_add(out, ep->pagination.next_state.keys[i], v);
	}
	json_object_put(vars);
	return out;
}

typedef enum CaseResult
{
	CASE_PASS,
	CASE_FAIL,
	CASE_UNSUPPORTED
} CaseResult;

/* Everything after the run: records, state, next_state, store, env. */
static bool
check_run(const BfYamlNode *c, const char *name, const BfEndpoint *ep, BfRunner *r,
		  struct json_object *records, struct json_object *mock_json, struct json_object *sync,
		  char *why, size_t whylen)
{
	const BfYamlNode *exp_state = bf_yaml_get(c, "expected_state");
	const BfYamlNode *exp_next = bf_yaml_get(c, "expected_next_state");
	struct json_object *state = bf_runner_state(r);
	struct json_object *store = bf_runner_store(r);
	struct json_object *env = bf_runner_env(r);
	bool		ok = check_records(c, name, records, why, whylen) &&
		check_map("state", exp_state, state, why, whylen) &&
		check_map("store", bf_yaml_get(c, "expected_store"), store, why, whylen) &&
		check_map("env", bf_yaml_get(c, "expected_env"), env, why, whylen);

	if (ok && exp_state != NULL && exp_state->count > 0 && exp_next != NULL && exp_next->count > 0)
	{
		struct json_object *next = render_next_state(ep, state, mock_json, sync, why, whylen);

		ok = next != NULL && check_map("next_state", exp_next, next, why, whylen);
		json_object_put(next);
	}
	json_object_put(state);
	json_object_put(store);
	json_object_put(env);
	return ok;
}

/* Is this load or run error a feature the project does not have yet? */
static bool
unsupported(const BfError *err)
{
	return strstr(err->message, "not supported") != NULL ||
		strstr(err->message, "unknown function") != NULL;
}

/* Run one case against the server at base; why says what went wrong. */
static CaseResult
run_case(BfArena *arena, BfYamlNode *c, const char *name, const char *base,
		 char *why, size_t whylen)
{
	BfYamlNode *spec_node = bf_yaml_get(c, "spec");
	struct json_object *mock_json = NULL;
	struct json_object *mock = mock_of(c, &mock_json);
	struct json_object *sync = yaml_json(bf_yaml_get(c, "sync_state"));
	struct json_object *answer;
	struct json_object *records = NULL;
	char		url[128];
	BfSpec	   *spec = NULL;
	const BfEndpoint *ep;
	BfRunContext ctx;
	BfRunner   *r = NULL;
	BfError		err;
	CaseResult	result = CASE_FAIL;

	snprintf(url, sizeof(url), "%s/__case", base);
	answer = harness_fetch(BF_HTTP_POST, url,
						   json_object_to_json_string_ext(mock, JSON_C_TO_STRING_PLAIN));
	if (answer == NULL)
	{
		snprintf(why, whylen, "the mock server did not take the case");
		goto done;
	}
	json_object_put(answer);
	point_spec(arena, spec_node, base);
	spec = bf_spec_load_tree(spec_node, "api_suite.yaml", &err);
	if (spec == NULL)
	{
		snprintf(why, whylen, "%s", err.message);
		result = unsupported(&err) ? CASE_UNSUPPORTED : CASE_FAIL;
		goto done;
	}
	ep = bf_spec_endpoint(spec, "test_endpoint");
	if (ep == NULL)
		ep = &spec->endpoints[0];
	memset(&ctx, 0, sizeof(ctx));
	ctx.sync = sync;
	ctx.secrets = json_tokener_parse("{\"site_id\": \"store_123\", \"user_id\": \"test_user\","
									 " \"password\": \"test_password\"}");
	ctx.limit = 10;
	r = bf_runner_new(spec, ep, &ctx, &err);
	json_object_put(ctx.secrets);
	if (r == NULL)
	{
		snprintf(why, whylen, "%s", err.message);
		result = unsupported(&err) ? CASE_UNSUPPORTED : CASE_FAIL;
		goto done;
	}
	if (harness_drain(r, 20, &records, &err) != BF_RUN_DONE)
		snprintf(why, whylen, "run: %s", err.kind != BF_OK ? err.message : "did not end in 20 s");
	else if (check_run(c, name, ep, r, records, mock_json, sync, why, whylen))
		result = CASE_PASS;
done:
	json_object_put(records);
	bf_runner_free(r);
	bf_spec_free(spec);
	json_object_put(mock);
	json_object_put(mock_json);
	json_object_put(sync);
	return result;
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "../shared/conformance/sling/api_suite.yaml";
	char	   *server_argv[] = {"python3", "test/unit/sling_mock.py", "300", NULL};
	HarnessServer server;
	BfArena		arena = {NULL};
	BfYamlNode *root;
	BfError		err;
	size_t		len;
	char	   *text = harness_read_file(path, &len);
	int			counts[3] = {0, 0, 0};
	int			i;

	if (text == NULL)
	{
		printf("sling: %s not found, Sling suite skipped\n", path);
		printf("sling: 0 passed, 0 failed\n");
		return 0;
	}
	if (!bf_http_global_init(&err) ||
		(root = bf_yaml_parse(&arena, text, len, "api_suite.yaml", &err)) == NULL ||
		root->kind != BF_YAML_LIST)
	{
		printf("sling: %s: %s\n", path, err.message);
		printf("sling: 0 passed, 1 failed\n");
		free(text);
		bf_arena_release(&arena);
		return 1;
	}
	if (!harness_start_server(&server, server_argv))
	{
		printf("sling: could not start %s\n", server_argv[1]);
		printf("sling: 0 passed, 1 failed\n");
		free(text);
		bf_arena_release(&arena);
		return 1;
	}
	for (i = 0; i < root->count; i++)
	{
		BfYamlNode *c = root->values[i];
		const BfYamlNode *id = bf_yaml_get(c, "id");
		const BfYamlNode *name = bf_yaml_get(c, "name");
		char		why[BF_ERROR_MAX + 256] = "";
		CaseResult	res = run_case(&arena, c, name ? name->text : "", server.url, why, sizeof(why));
		static const char *const words[] = {"PASS", "FAIL", "UNSUPPORTED"};

		counts[res]++;
		printf("sling: case %s %s: %s%s%s%s\n", id ? id->text : "?", name ? name->text : "?",
			   words[res], res != CASE_PASS ? " (" : "", res != CASE_PASS ? why : "",
			   res != CASE_PASS ? ")" : "");
	}
	harness_stop_server(&server);
	bf_arena_release(&arena);
	free(text);
	printf("sling: %d passed, %d failed, %d unsupported\n", counts[CASE_PASS],
		   counts[CASE_FAIL], counts[CASE_UNSUPPORTED]);
	return counts[CASE_FAIL] == 0 ? 0 : 1;
}
