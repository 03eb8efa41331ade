/*
 * test_spec.c
 *		Unit tests of the spec loader (src/spec/): the three specs of
 *		reference/sling-backfill.md, the defaults merge, YAML typing, every
 *		class of load error with its exact file:line:col and key path, the
 *		cache, and the 26 specs of Sling's own suite (path in argv[1],
 *		default ../shared/conformance/sling/api_suite.yaml; skipped when
 *		absent).  Run from the project root (fixtures in test/unit/specs,
 *		the three specs in examples/).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/spec.h"
#include "unit.h"

#define FIXTURES "test/unit/specs/"
/* the seed's three specs, shipped to users in examples/ */
#define EXAMPLES "examples/"

static BfSpec *
load(const char *yaml, BfError *err)
{
	bf_error_clear(err);
	return bf_spec_load_string(yaml, strlen(yaml), "t.yaml", err);
}

/* yaml must fail to load with exactly message. */
static void
expect_error(const char *yaml, const char *message)
{
	BfError		err;
	BfSpec	   *spec = load(yaml, &err);

	CHECK_MSG(spec == NULL, "loaded, expected: %s", message);
	CHECK(err.kind == BF_ERR_SPEC);
	CHECK_STR(err.message, message);
	bf_spec_free(spec);
}

static const BfValue *
map_get(const BfValue *map, const char *key)
{
	int			i;

	for (i = 0; i < map->count; i++)
		if (strcmp(map->keys[i], key) == 0)
			return &map->items[i];
	return NULL;
}

static const char *
header(const BfTmplMap *m, const char *key)
{
	int			i;

	for (i = 0; i < m->count; i++)
		if (strcmp(m->keys[i], key) == 0)
			return m->values[i].src;
	return NULL;
}

/* The spec's rules end with the three default rules, in order. */
static void
check_default_rules(const BfResponse *r, int own)
{
	CHECK(r->rule_count == own + 3);
	if (r->rule_count != own + 3)
		return;
	CHECK(r->rules[own - 1 >= 0 ? own - 1 : 0].default_name == NULL || own == 0);
	CHECK_STR(r->rules[own].default_name, "Default Retry Rule");
	CHECK(r->rules[own].action == BF_RULE_RETRY);
	CHECK_STR(r->rules[own].condition.src, "response.status == 429");
	CHECK(r->rules[own].max_attempts == 3);
	CHECK(r->rules[own].backoff == BF_BACKOFF_LINEAR);
	CHECK(r->rules[own].backoff_base == 2);
	CHECK_STR(r->rules[own + 1].default_name, "Default Server Error Retry Rule");
	CHECK(r->rules[own + 1].action == BF_RULE_RETRY);
	CHECK_STR(r->rules[own + 2].default_name, "Default Fail Rule");
	CHECK(r->rules[own + 2].action == BF_RULE_FAIL);
	CHECK_STR(r->rules[own + 2].condition.src, "response.status >= 400");
	CHECK(r->rules[own + 2].loc.line == 0);
	/* no default rule reads the body: the scan's fast path depends on it */
	CHECK(strstr(r->rules[own].condition.src, "response.json") == NULL);
	CHECK(strstr(r->rules[own + 1].condition.src, "response.json") == NULL);
	CHECK(strstr(r->rules[own + 2].condition.src, "response.json") == NULL);
}

static void
test_analytics(void)
{
	BfError		err;
	BfSpec	   *spec = bf_spec_load_file(EXAMPLES "analytics_api.yaml", &err);
	const BfEndpoint *ep;
	const BfValue *v;

	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec == NULL)
		return;
	CHECK_STR(spec->name, "Analytics API");
	CHECK(spec->auth == NULL);
	CHECK(spec->endpoint_count == 1);
	v = map_get(&spec->base_state, "base_url");
	CHECK(v != NULL && v->kind == BF_VALUE_TEMPLATE);
	CHECK_STR(v ? v->tmpl.src : NULL, "https://api.analytics.com/v1");
	CHECK(v != NULL && v->loc.line == 5 && v->loc.column == 5);

	ep = bf_spec_endpoint(spec, "daily_events");
	CHECK(ep != NULL && ep == &spec->endpoints[0]);
	if (ep == NULL)
		goto done;
	CHECK(bf_spec_endpoint(spec, "nope") == NULL);
	CHECK_STR(ep->description, "Get daily event data for a date range");
	CHECK(ep->loc.line == 11 && ep->loc.column == 3);
	/* headers come from defaults, located where defaults wrote them */
	CHECK(ep->request.headers.count == 1);
	CHECK_STR(header(&ep->request.headers, "Authorization"), "Bearer {secrets.api_key}");
	CHECK(ep->request.headers.values[0].loc.line == 8);
	CHECK_STR(ep->request.headers.values[0].path,
			  "endpoints.daily_events.request.headers.Authorization");
	CHECK_STR(ep->request.url.src, "{state.base_url}/events/daily/{state.date}");
	CHECK_STR(ep->request.url.path, "endpoints.daily_events.request.url");
	CHECK_STR(ep->request.method, "GET");
	CHECK(ep->request.timeout == 30);
	CHECK(ep->request.rate == 2);
	CHECK(ep->request.concurrency == 5);
	CHECK(ep->request.payload == NULL);
	CHECK(ep->request.parameters.kind == BF_VALUE_MAP && ep->request.parameters.count == 0);
	/* state, sync, iterate */
	CHECK(ep->state.count == 1);
	v = map_get(&ep->state, "date");
	CHECK(v != NULL && v->kind == BF_VALUE_TEMPLATE);
	CHECK_STR(v ? v->tmpl.src : NULL, "{date_format(state.current_date, \"%Y-%m-%d\")}");
	CHECK(ep->sync.count == 1);
	CHECK_STR(ep->sync.items[0], "last_date");
	CHECK(ep->iterate.present);
	CHECK_STR(ep->iterate.into, "current_date");
	CHECK(ep->iterate.concurrency == 5);
	CHECK(ep->iterate.over_list == NULL);
	CHECK(ep->iterate.over.src != NULL && strncmp(ep->iterate.over.src, "range(\n", 7) == 0);
	CHECK(ep->iterate.over.loc.line == 19 && ep->iterate.over.loc.column == 7);
	/* response */
	CHECK(ep->response.format == BF_FORMAT_AUTO);
	CHECK_STR(ep->response.records.jmespath.src, "data.events[]");
	CHECK(ep->response.records.primary_key.count == 1);
	CHECK_STR(ep->response.records.primary_key.items[0], "event_id");
	CHECK(ep->response.processor_count == 1);
	CHECK_STR(ep->response.processors[0].expression.src, "state.date");
	CHECK(ep->response.processors[0].output_kind == BF_OUTPUT_STATE);
	CHECK_STR(ep->response.processors[0].output_name, "last_date");
	CHECK(ep->response.processors[0].aggregation == BF_AGG_MAXIMUM);
	CHECK(ep->response.processors[0].condition.src == NULL);
	check_default_rules(&ep->response, 0);
	CHECK(ep->pagination.next_state.count == 0 && ep->pagination.stop_condition.src == NULL);
	CHECK(ep->overrides != NULL);
	CHECK_STR(json_object_to_json_string_ext(ep->overrides, JSON_C_TO_STRING_PLAIN),
			  "{\"mode\":\"incremental\"}");
	CHECK(ep->auth == NULL && ep->setup_count == 0 && ep->teardown_count == 0);
done:
	bf_spec_free(spec);
}

static void
test_sales_and_orders(void)
{
	BfError		err;
	BfSpec	   *spec = bf_spec_load_file(EXAMPLES "sales_api.yaml", &err);
	const BfEndpoint *ep;

	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec != NULL)
	{
		ep = bf_spec_endpoint(spec, "monthly_sales");
		CHECK(ep != NULL);
		CHECK_STR(header(&ep->request.headers, "X-API-Key"), "{secrets.api_key}");
		CHECK(ep->iterate.concurrency == 3);
		CHECK(ep->request.parameters.count == 1);
		CHECK_STR(ep->request.parameters.keys[0], "month");
		CHECK_STR(ep->request.parameters.items[0].tmpl.src, "{state.month}");
		CHECK_STR(ep->response.records.primary_key.items[0], "sale_id");
		CHECK_STR(ep->response.processors[0].output_name, "last_month");
		check_default_rules(&ep->response, 0);
		bf_spec_free(spec);
	}
	spec = bf_spec_load_file(EXAMPLES "orders_api.yaml", &err);
	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec != NULL)
	{
		ep = bf_spec_endpoint(spec, "orders_by_id");
		CHECK(ep != NULL);
		CHECK(ep->request.parameters.count == 2);
		CHECK_STR(ep->request.parameters.keys[1], "id_max");
		CHECK_STR(ep->response.processors[0].expression.src, "record.order_id");
		CHECK_STR(ep->response.records.primary_key.items[0], "order_id");
		CHECK_STR(ep->iterate.into, "start_id");
		bf_spec_free(spec);
	}
}

static void
test_merge(void)
{
	BfError		err;
	BfSpec	   *spec = bf_spec_load_file(FIXTURES "merge.yaml", &err);
	const BfEndpoint *ep;
	const BfRule *r;

	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec == NULL)
		return;
	CHECK(spec->endpoint_count == 3);
	CHECK_STR(spec->endpoints[0].name, "plain");
	CHECK_STR(spec->endpoints[1].name, "cleared");
	CHECK_STR(spec->endpoints[2].name, "modifiers");
	CHECK(spec->base_state.count == 2);
	CHECK(map_get(&spec->base_state, "page_size")->kind == BF_VALUE_LITERAL);
	CHECK(json_object_get_int(map_get(&spec->base_state, "page_size")->literal) == 100);

	/* plain inherits everything but state */
	ep = &spec->endpoints[0];
	CHECK(ep->state.count == 0);
	CHECK_STR(ep->request.url.src, "{state.base_url}/plain");
	CHECK(ep->request.timeout == 60);
	CHECK(ep->request.headers.count == 3);
	CHECK_STR(ep->request.headers.keys[0], "Accept");
	CHECK_STR(ep->request.headers.keys[2], "X-Trace");
	CHECK(ep->request.parameters.count == 1);
	CHECK(ep->pagination.next_state.count == 1);
	CHECK_STR(ep->pagination.stop_condition.src, "length(response.records) < state.page_size");
	CHECK_STR(ep->response.records.jmespath.src, "data[]");
	CHECK(ep->response.processor_count == 1);
	CHECK_STR(ep->response.rules[0].condition.src, "response.status == 503");
	CHECK(ep->response.rules[0].max_attempts == 5);
	CHECK(ep->response.rules[0].backoff == BF_BACKOFF_EXPONENTIAL);
	CHECK(ep->response.rules[0].backoff_base == 1);
	CHECK(ep->response.rules[0].loc.line == 29);
	check_default_rules(&ep->response, 1);
	CHECK(ep->setup_count == 1);
	CHECK_STR(ep->setup[0].request.url.src, "{state.base_url}/login");
	check_default_rules(&ep->setup[0].response, 0);

	/* explicit blocks win, even empty; headers merge name by name */
	ep = &spec->endpoints[1];
	CHECK(ep->request.timeout == 10);
	CHECK(ep->request.parameters.count == 0);
	CHECK(ep->pagination.next_state.count == 0);
	CHECK(ep->pagination.stop_condition.src == NULL);
	CHECK(ep->request.headers.count == 3);
	CHECK_STR(ep->request.headers.keys[0], "Accept");
	CHECK_STR(ep->request.headers.keys[1], "Authorization");
	CHECK_STR(ep->request.headers.keys[2], "X-Extra");
	CHECK_STR(header(&ep->request.headers, "Authorization"), "Token {secrets.other}");
	CHECK(header(&ep->request.headers, "X-Trace") == NULL);
	CHECK_STR(ep->response.records.jmespath.src, "items");
	CHECK(ep->response.records.primary_key.count == 1);	/* records merge key by key */
	r = ep->response.rules;
	CHECK(ep->response.rule_count == 3 + 3);
	CHECK(r[0].action == BF_RULE_STOP);
	CHECK_STR(r[0].path, "endpoints.cleared.response.+rules[0]");
	CHECK(r[1].action == BF_RULE_SKIP);
	CHECK_STR(r[1].path, "endpoints.cleared.response.rules[0]");
	CHECK(r[2].action == BF_RULE_CONTINUE);
	CHECK_STR(r[2].path, "endpoints.cleared.response.rules+[0]");
	check_default_rules(&ep->response, 3);
	CHECK(ep->response.processor_count == 1);

	/* modifiers around the default lists; authentication: null */
	ep = &spec->endpoints[2];
	CHECK_STR(ep->request.url.src, "{state.base_url}/default");
	r = ep->response.rules;
	CHECK(ep->response.rule_count == 2 + 3);
	CHECK(r[0].action == BF_RULE_BREAK);
	CHECK(r[1].action == BF_RULE_RETRY && r[1].max_attempts == 5);
	check_default_rules(&ep->response, 2);
	CHECK(ep->response.processor_count == 2);
	CHECK_STR(ep->response.processors[0].output_name, "last_id");
	CHECK_STR(ep->response.processors[1].output_name, "last_name");
	CHECK_STR(ep->response.processors[1].path, "endpoints.modifiers.response.processors+[0]");
	CHECK(ep->setup_count == 2);
	CHECK_STR(ep->setup[0].request.url.src, "{state.base_url}/hello");
	CHECK_STR(ep->setup[1].request.url.src, "{state.base_url}/login");
	CHECK(ep->teardown_count == 1);
	CHECK_STR(ep->teardown[0].request.url.src, "{state.base_url}/bye");
	CHECK(ep->auth == NULL);
	bf_spec_free(spec);
}

static void
check_literal(const BfValue *state, const char *key, const char *json)
{
	const BfValue *v = map_get(state, key);

	CHECK_MSG(v != NULL && v->kind == BF_VALUE_LITERAL, "state.%s is not a literal", key);
	if (v != NULL && v->kind == BF_VALUE_LITERAL)
		CHECK_STR(v->literal == NULL ? "null" :
				  json_object_to_json_string_ext(v->literal, JSON_C_TO_STRING_PLAIN), json);
}

static void
check_template(const BfValue *state, const char *key, const char *src)
{
	const BfValue *v = map_get(state, key);

	CHECK_MSG(v != NULL && v->kind == BF_VALUE_TEMPLATE, "state.%s is not a template", key);
	if (v != NULL && v->kind == BF_VALUE_TEMPLATE)
		CHECK_STR(v->tmpl.src, src);
}

static void
test_values(void)
{
	BfError		err;
	BfSpec	   *spec = bf_spec_load_file(FIXTURES "values.yaml", &err);
	const BfEndpoint *ep;
	const BfValue *v;

	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec == NULL)
		return;
	ep = &spec->endpoints[0];
	check_literal(&ep->state, "int", "100");
	check_literal(&ep->state, "float", "1.5");
	check_literal(&ep->state, "yes_word", "true");
	check_literal(&ep->state, "y_letter", "true");
	check_literal(&ep->state, "off_word", "false");
	check_literal(&ep->state, "nothing", "null");
	check_literal(&ep->state, "tilde", "null");
	check_literal(&ep->state, "empty", "null");
	check_literal(&ep->state, "octal", "8");
	check_literal(&ep->state, "hex", "31");
	check_literal(&ep->state, "underscored", "1000");
	check_literal(&ep->state, "not_octal", "9.0");
	check_literal(&ep->state, "exp", "1000.0");
	check_template(&ep->state, "quoted_int", "100");
	check_template(&ep->state, "date", "2024-01-01");
	check_template(&ep->state, "text", "plain text");
	v = map_get(&ep->state, "list");
	CHECK(v != NULL && v->kind == BF_VALUE_LIST && v->count == 2);
	if (v != NULL && v->count == 2)
	{
		CHECK(v->items[0].kind == BF_VALUE_LITERAL);
		CHECK(v->items[1].kind == BF_VALUE_TEMPLATE);
		CHECK_STR(v->items[1].tmpl.path, "endpoints.typed.state.list[1]");
	}
	v = map_get(&ep->state, "map");
	CHECK(v != NULL && v->kind == BF_VALUE_MAP && v->count == 1);
	CHECK_STR(ep->request.method, "POST");
	CHECK(ep->request.rate == 0.5);
	CHECK(ep->request.payload != NULL && ep->request.payload->kind == BF_VALUE_MAP);
	if (ep->request.payload != NULL)
	{
		v = map_get(ep->request.payload, "filter");
		CHECK(v != NULL && v->kind == BF_VALUE_TEMPLATE);
		v = map_get(ep->request.payload, "ids");
		CHECK(v != NULL && v->kind == BF_VALUE_LIST && v->count == 2);
	}
	CHECK(spec->auth != NULL && spec->auth->type == BF_AUTH_BASIC);
	CHECK(ep->auth == spec->auth);
	if (spec->auth != NULL)
		CHECK_STR(spec->auth->username.src, "{secrets.user}");
	CHECK_STR(json_object_to_json_string_ext(ep->overrides, JSON_C_TO_STRING_PLAIN),
			  "{\"mode\":\"incremental\",\"primary_key\":[\"id\"]}");
	bf_spec_free(spec);
}

static void
test_yaml_layer(void)
{
	BfArena		arena = {NULL};
	BfError		err;
	BfYamlNode *root;
	BfYamlNode *n;
	const char *doc =
	"base: &b\n"
	"  x: 1\n"
	"  y: 2\n"
	"other:\n"
	"  <<: *b\n"
	"  y: 3\n"
	"list: [*b, *b]\n";

	root = bf_yaml_parse(&arena, doc, strlen(doc), "d.yaml", &err);
	CHECK_MSG(root != NULL, "%s", err.message);
	if (root != NULL)
	{
		n = bf_yaml_get(root, "other");
		CHECK(n != NULL && n->count == 2);
		CHECK_STR(bf_yaml_get(n, "x")->text, "1");
		CHECK_STR(bf_yaml_get(n, "y")->text, "3");
		CHECK(n->line == 5 && n->column == 3);
		CHECK(bf_yaml_get(root, "list")->values[1] == bf_yaml_get(root, "base"));
		CHECK(bf_yaml_get(root, "list")->line == 7 && bf_yaml_get(root, "list")->column == 7);
	}
	root = bf_yaml_parse(&arena, "", 0, "e.yaml", &err);
	CHECK(root != NULL && bf_yaml_is_null(root));
	bf_arena_release(&arena);
}

/* A spec loaded from a tree owns what it keeps: the tree can go first. */
static void
test_load_tree(void)
{
	BfArena		arena = {NULL};
	BfError		err;
	const char *doc = "name: tree\nendpoints:\n  e:\n    request: {url: \"{state.u}\"}\n"
	"    state: {u: \"http://x/\"}\n    iterate: {over: [1, 2], into: state.i}\n";
	BfYamlNode *root = bf_yaml_parse(&arena, doc, strlen(doc), "tree.yaml", &err);
	BfSpec	   *spec = root != NULL ? bf_spec_load_tree(root, "tree.yaml", &err) : NULL;

	bf_arena_release(&arena);
	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec == NULL)
		return;
	CHECK_STR(spec->file, "tree.yaml");
	CHECK_STR(spec->name, "tree");
	CHECK_STR(spec->endpoints[0].name, "e");
	CHECK_STR(spec->endpoints[0].request.url.src, "{state.u}");
	CHECK_STR(spec->endpoints[0].state.keys[0], "u");
	CHECK_STR(spec->endpoints[0].iterate.into, "i");
	CHECK_STR(json_object_to_json_string_ext(spec->endpoints[0].iterate.over_list,
											 JSON_C_TO_STRING_PLAIN), "[1,2]");
	bf_spec_free(spec);
}

/*
 * oauth2's password and refresh_token flows (Sling's guide's keys), and
 * sequence authentication, whose calls alone may write auth.*.
 */
static void
test_auth_flows(void)
{
	BfError		err;
	const BfAuth *a;
	BfSpec	   *spec = load("endpoints:\n"
							"  pw:\n"
							"    request: {url: x}\n"
							"    authentication: {type: oauth2, flow: password, client_id: c,\n"
							"      username: \"{secrets.u}\", password: \"{secrets.p}\",\n"
							"      authentication_url: t, refresh_on_expire: true}\n"
							"  rt:\n"
							"    request: {url: x}\n"
							"    authentication: {type: oauth2, flow: refresh_token, client_id: c,\n"
							"      client_secret: s, refresh_token: \"{secrets.r}\", authentication_url: t}\n"
							"  seq:\n"
							"    request: {url: x}\n"
							"    authentication:\n"
							"      type: sequence\n"
							"      expires: 60\n"
							"      sequence:\n"
							"        - request: {url: login, method: POST}\n"
							"          response:\n"
							"            processors:\n"
							"              - {expression: response.json.t, output: auth.token}\n"
							"              - {expression: response.json.t, output: auth.headers.X-Session}\n"
							"              - {expression: response.json.u, output: state.user}\n"
							"        - request: {url: \"check?t={auth.token}\"}\n",
							&err);

	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec == NULL)
		return;
	a = bf_spec_endpoint(spec, "pw")->auth;
	CHECK(a->type == BF_AUTH_OAUTH2 && a->flow == BF_OAUTH_PASSWORD && a->refresh_on_expire);
	CHECK_STR(a->password.src, "{secrets.p}");
	CHECK(a->client_secret.src == NULL);
	a = bf_spec_endpoint(spec, "rt")->auth;
	CHECK(a->flow == BF_OAUTH_REFRESH_TOKEN && !a->refresh_on_expire);
	CHECK_STR(a->refresh_token.src, "{secrets.r}");
	a = bf_spec_endpoint(spec, "seq")->auth;
	CHECK(a->type == BF_AUTH_SEQUENCE && a->sequence_count == 2 && a->expires == 60);
	CHECK(a->sequence[0].response.processor_count == 3);
	CHECK(a->sequence[0].response.processors[0].output_kind == BF_OUTPUT_AUTH);
	CHECK_STR(a->sequence[0].response.processors[0].output_name, "token");
	CHECK_STR(a->sequence[0].response.processors[1].output_name, "headers.X-Session");
	CHECK(a->sequence[0].response.processors[2].output_kind == BF_OUTPUT_STATE);
	CHECK_STR(a->sequence[1].request.url.src, "check?t={auth.token}");
	bf_spec_free(spec);

	/* what each flow needs, and keys of another flow */
	expect_error("authentication:\n  type: oauth2\n  flow: password\n  client_id: c\n"
				 "  username: u\n  authentication_url: t\nendpoints: {}\n",
				 "t.yaml:1:1: authentication.password: missing required key");
	expect_error("authentication:\n  type: oauth2\n  flow: refresh_token\n  client_id: c\n"
				 "  authentication_url: t\nendpoints: {}\n",
				 "t.yaml:1:1: authentication.refresh_token: missing required key");
	expect_error("authentication:\n  type: oauth2\n  flow: client_credentials\n  client_id: c\n"
				 "  client_secret: s\n  refresh_token: r\n  authentication_url: t\nendpoints: {}\n",
				 "t.yaml:6:3: authentication.refresh_token: belongs to flow refresh_token");
	expect_error("authentication:\n  type: oauth2\n  flow: refresh_token\n  client_id: c\n"
				 "  refresh_token: r\n  password: p\n  authentication_url: t\nendpoints: {}\n",
				 "t.yaml:6:3: authentication: username and password belong to flow password");
	expect_error("authentication:\n  type: oauth2\n  flow: password\n  client_id: c\n"
				 "  username: u\n  password: p\n  authentication_url: t\n"
				 "  refresh_on_expire: sometimes\nendpoints: {}\n",
				 "t.yaml:8:3: authentication.refresh_on_expire: expected true or false, got \"sometimes\"");
	/* a sequence: its calls, the only place auth.* is written */
	expect_error("authentication:\n  type: sequence\nendpoints: {}\n",
				 "t.yaml:1:1: authentication.sequence: missing required key");
	expect_error("authentication:\n  type: sequence\n  sequence: []\nendpoints: {}\n",
				 "t.yaml:1:1: authentication.sequence: needs at least one call");
	expect_error("authentication:\n  type: sequence\n  sequence:\n    - request: {url: x}\n"
				 "      response:\n        processors:\n"
				 "          - {expression: response.json.t, output: auth.a.b}\nendpoints: {}\n",
				 "t.yaml:7:43: authentication.sequence[0].response.processors[0].output: "
				 "invalid output \"auth.a.b\"; expected auth.<name> or auth.headers.<header>");
	expect_error("endpoints:\n  e:\n    request: {url: x}\n    response:\n      processors:\n"
				 "        - {expression: response.json.t, output: auth.token}\n",
				 "t.yaml:6:41: endpoints.e.response.processors[0].output: an output to auth.* "
				 "belongs in an authentication.sequence call");
}

static void
test_auth(void)
{
	BfError		err;
	BfSpec	   *spec = load("authentication:\n"
							"  type: oauth2\n"
							"  flow: client_credentials\n"
							"  client_id: \"{secrets.id}\"\n"
							"  client_secret: \"{secrets.secret}\"\n"
							"  authentication_url: https://example.com/token\n"
							"  scopes: [read, write]\n"
							"  expires: 3600\n"
							"endpoints:\n"
							"  a: {request: {url: x}}\n"
							"  b: {request: {url: x}, authentication: {headers: {X-Key: \"{secrets.k}\"}}}\n"
							"  c: {request: {url: x}, authentication: {}}\n"
							"  d: {request: {url: x}, authentication: {type: basic, username: u}}\n"
							"  e: {request: {url: x}, authentication: {type: none}}\n",
							&err);

	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec == NULL)
		return;
	CHECK(spec->auth != NULL && spec->auth->type == BF_AUTH_OAUTH2);
	CHECK(spec->auth->scopes.count == 2 && strcmp(spec->auth->scopes.items[1], "write") == 0);
	CHECK(spec->auth->expires == 3600);
	CHECK_STR(spec->auth->client_secret.src, "{secrets.secret}");
	CHECK_STR(spec->auth->authentication_url.path, "authentication.authentication_url");
	CHECK(bf_spec_endpoint(spec, "a")->auth == spec->auth);
	CHECK(bf_spec_endpoint(spec, "b")->auth->type == BF_AUTH_STATIC);
	CHECK_STR(header(&bf_spec_endpoint(spec, "b")->auth->headers, "X-Key"), "{secrets.k}");
	CHECK(bf_spec_endpoint(spec, "c")->auth == NULL);
	CHECK(bf_spec_endpoint(spec, "d")->auth->type == BF_AUTH_BASIC);
	CHECK(bf_spec_endpoint(spec, "d")->auth->password.src == NULL);
	CHECK(bf_spec_endpoint(spec, "e")->auth == NULL);
	bf_spec_free(spec);

	expect_error("authentication:\n  username: u\nendpoints: {}\n",
				 "t.yaml:1:1: authentication.type: missing required key");
	expect_error("authentication:\n  type: oauth2\n  flow: client_credentials\n  client_secret: s\n"
				 "endpoints: {}\n",
				 "t.yaml:1:1: authentication.client_id: missing required key");
	expect_error("authentication:\n  type: basic\n  username: u\n  headers: {a: b}\nendpoints: {}\n",
				 "t.yaml:4:3: authentication.headers: unknown key");
	expect_error("authentication:\n  type: bearer\nendpoints: {}\n",
				 "t.yaml:2:3: authentication.type: invalid value \"bearer\"; "
				 "expected one of none, static, basic, oauth2, aws-sigv4, hmac, mtls, sequence");

	/* aws-sigv4: Sling's keys; no profile files; the four keys it signs with */
	spec = load("authentication:\n"
				"  type: aws-sigv4\n"
				"  aws_service: execute-api\n"
				"  aws_region: \"{state.region}\"\n"
				"  aws_access_key_id: \"{secrets.key}\"\n"
				"  aws_secret_access_key: \"{secrets.secret}\"\n"
				"endpoints:\n  a: {request: {url: x}}\n", &err);
	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec != NULL)
	{
		CHECK(spec->auth->type == BF_AUTH_AWS_SIGV4);
		CHECK_STR(spec->auth->aws_secret_access_key.src, "{secrets.secret}");
		CHECK_STR(spec->auth->aws_region.path, "authentication.aws_region");
		CHECK(spec->auth->aws_session_token.tmpl == NULL);
	}
	bf_spec_free(spec);
	expect_error("authentication:\n  type: aws-sigv4\n  aws_service: s3\n  aws_region: r\n"
				 "  aws_access_key_id: k\nendpoints: {}\n",
				 "t.yaml:1:1: authentication.aws_secret_access_key: missing required key");
	expect_error("authentication:\n  type: aws-sigv4\n  aws_profile: default\nendpoints: {}\n",
				 "t.yaml:3:3: authentication.aws_profile: not supported: a backend reads no "
				 "AWS profile files; give aws_access_key_id and aws_secret_access_key from "
				 "the user mapping");

	/* hmac: sha256 and a raw secret unless told; Sling's two algorithms only */
	spec = load("authentication:\n"
				"  type: hmac\n"
				"  secret: \"{secrets.s}\"\n"
				"  signing_string: \"{http_method} {http_path}\"\n"
				"  request_headers: {X-Sig: \"{signature}\"}\n"
				"endpoints:\n  a: {request: {url: x}}\n", &err);
	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec != NULL)
	{
		CHECK(spec->auth->type == BF_AUTH_HMAC);
		CHECK_STR(spec->auth->algorithm, "sha256");
		CHECK(spec->auth->secret_encoding == BF_SECRET_RAW);
		CHECK(spec->auth->nonce_length == 0);
		CHECK_STR(header(&spec->auth->request_headers, "X-Sig"), "{signature}");
	}
	bf_spec_free(spec);
	expect_error("authentication:\n  type: hmac\n  algorithm: md5\n  secret: s\n"
				 "  signing_string: x\n  request_headers: {a: b}\nendpoints: {}\n",
				 "t.yaml:3:3: authentication.algorithm: invalid value \"md5\"; "
				 "expected one of sha256, sha512");
	expect_error("authentication:\n  type: hmac\n  secret: s\n  request_headers: {a: b}\n"
				 "endpoints: {}\n",
				 "t.yaml:1:1: authentication.signing_string: missing required key");

	/* mtls: a certificate and its key, the CA optional */
	spec = load("authentication: {type: mtls, cert: \"{secrets.c}\", key: \"{secrets.k}\"}\n"
				"endpoints:\n  a: {request: {url: x}}\n", &err);
	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec != NULL)
		CHECK(spec->auth->type == BF_AUTH_MTLS && spec->auth->ca.tmpl == NULL &&
			  strcmp(spec->auth->key.src, "{secrets.k}") == 0);
	bf_spec_free(spec);
	expect_error("authentication: {type: mtls, cert: c}\nendpoints: {}\n",
				 "t.yaml:1:1: authentication.key: missing required key");
}

/* Trees that would make later stages slow or wrong are refused. */
static void
test_yaml_limits(void)
{
	char		deep[1300];
	int			i;
	const char *bomb =
	"a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
	"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
	BfError		err;
	BfArena		arena = {NULL};

	for (i = 0; i < 600; i++)
		deep[i] = '[';
	for (i = 600; i < 1200; i++)
		deep[i] = ']';
	deep[1200] = '\0';
	CHECK(bf_yaml_parse(&arena, deep, strlen(deep), "t.yaml", &err) == NULL);
	CHECK(strstr(err.message, "t.yaml:1:201:") != NULL &&
		  strstr(err.message, "nesting deeper than 200 levels") != NULL);
	CHECK(bf_yaml_parse(&arena, bomb, strlen(bomb), "t.yaml", &err) == NULL);
	CHECK_STR(err.message, "t.yaml:6:36: f: the document is too large "
			  "(more than 1000000 values once aliases are expanded)");
	{
		/* 10001 keys: "k0: 1\n" ... */
		char	   *big = malloc(10001 * 12 + 1);
		size_t		len = 0;

		for (i = 0; i <= 10000; i++)
			len += sprintf(big + len, "k%d: 1\n", i);
		CHECK(bf_yaml_parse(&arena, big, len, "t.yaml", &err) == NULL);
		CHECK_STR(err.message, "t.yaml:10001:1: a map of more than 10000 keys");
		free(big);
	}
	CHECK(bf_yaml_parse(&arena, "? [a]\n: 1\n", 10, "t.yaml", &err) == NULL);
	CHECK_STR(err.message, "t.yaml:1:3: a map key must be a plain value, not a list");
	CHECK(bf_yaml_parse(&arena, "a: {<<: 1}\n", 11, "t.yaml", &err) == NULL);
	CHECK_STR(err.message, "t.yaml:1:9: a: a \"<<\" merge key takes a map or a list of maps");
	bf_arena_release(&arena);
}

static void
test_scalars(void)
{
	static const struct
	{
		const char *text;
		const char *json;
	}			cases[] = {
		{"-12", "-12"}, {"+5", "5"}, {".5", "0.5"}, {"-.inf", "-Infinity"}, {"0b101", "5"},
		{"0o17", "15"}, {"9223372036854775807", "9223372036854775807"},
		{"9223372036854775808", "9.2233720368547758e+18"}, {"1.", "1.0"}, {"NO", "false"},
		{"On", "true"}, {"Null", "null"}, {"nil", "\"nil\""}, {"1e", "\"1e\""},
		{"0x", "\"0x\""}, {"12:30", "\"12:30\""}, {"- 1", "\"- 1\""},
	};
	size_t		i;
	BfArena		arena = {NULL};

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		BfYamlNode *n = bf_yaml_new_scalar(&arena, cases[i].text);
		struct json_object *v;

		n->plain = true;
		CHECK(bf_yaml_scalar_value(n, &v));
		CHECK_STR(v == NULL ? "null" : json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
				  cases[i].json);
		json_object_put(v);
	}
	bf_arena_release(&arena);
}

static void
test_errors(void)
{
	/* the brief's own example */
	expect_error("name: Analytics\n"
				 "endpoints:\n"
				 "  daily_events:\n"
				 "    request:\n"
				 "      url: https://x/\n"
				 "    iterate:\n"
				 "      over: range(1, 3)\n"
				 "      into: state.n\n"
				 "      concurrency: \"five\"\n",
				 "t.yaml:9:7: endpoints.daily_events.iterate.concurrency: expected an integer, got \"five\"");
	/* YAML syntax */
	expect_error("endpoints:\n  e:\n    request: {url: \"x\"\n",
				 "t.yaml:4:1: invalid YAML: did not find expected ',' or '}' "
				 "(while parsing a flow mapping at line 3, column 14)");
	expect_error("endpoints:\n  e: 1\n  e: 2\n",
				 "t.yaml:3:3: endpoints: duplicate key \"e\" (first at line 2)");
	expect_error("a: *nope\n", "t.yaml:1:4: unknown alias \"*nope\"");
	/* one document: a second is an error at its start, not silently dropped */
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n---\nendpoints:\n  f: {}\n",
				 "t.yaml:5:1: a second YAML document starts here; a spec file holds one");
	expect_error("--- \nendpoints: {}\n...\n--- \nendpoints: {}\n",
				 "t.yaml:4:1: a second YAML document starts here; a spec file holds one");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n...\n}\n",
				 "t.yaml:6:1: invalid YAML: did not find expected <document start>");
	/* unknown keys */
	expect_error("endpoints:\n  e:\n    reqest:\n      url: x\n",
				 "t.yaml:3:5: endpoints.e.reqest: unknown key (did you mean \"request\"?)");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n      zzz: 1\n",
				 "t.yaml:5:7: endpoints.e.request.zzz: unknown key");
	expect_error("nmae: x\nendpoints:\n  e:\n    request:\n      url: x\n",
				 "t.yaml:1:1: nmae: unknown key (did you mean \"name\"?)");
	/* wrong types */
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n      timeout: [1]\n",
				 "t.yaml:5:7: endpoints.e.request.timeout: expected an integer, got a list");
	expect_error("endpoints:\n  e:\n    disabled: maybe\n    request:\n      url: x\n",
				 "t.yaml:3:5: endpoints.e.disabled: expected true or false, got \"maybe\"");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n      rate: -1\n",
				 "t.yaml:5:7: endpoints.e.request.rate: must be zero or more, got -1");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n      timeout: 0\n",
				 "t.yaml:5:7: endpoints.e.request.timeout: must be between 1 and 2147483647, got 0");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n      headers: [a]\n",
				 "t.yaml:5:7: endpoints.e.request.headers: expected a map, got a list");
	expect_error("endpoints:\n  e:\n    state: [1]\n    request:\n      url: x\n",
				 "t.yaml:3:5: endpoints.e.state: expected a map, got a list");
	expect_error("endpoints: [a]\n", "t.yaml:1:1: endpoints: expected a map, got a list");
	/* enums */
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n      method: FETCH\n",
				 "t.yaml:5:7: endpoints.e.request.method: invalid value \"FETCH\"; expected one of "
				 "GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n    response:\n      rules:\n"
				 "        - action: retry\n          condition: \"true\"\n          backoff: exponental\n",
				 "t.yaml:9:11: endpoints.e.response.rules[0].backoff: invalid value \"exponental\" "
				 "(did you mean \"exponential\"?); expected one of none, constant, linear, exponential, jitter");
	/* missing keys */
	expect_error("endpoints:\n  e:\n    description: no request\n",
				 "t.yaml:2:3: endpoints.e.request.url: missing required key");
	expect_error("endpoints:\n  e:\n    request:\n      method: GET\n",
				 "t.yaml:3:5: endpoints.e.request.url: missing required key");
	expect_error("name: x\n", "t.yaml:1:1: endpoints: missing required key");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n    response:\n      processors:\n"
				 "        - output: state.x\n",
				 "t.yaml:7:11: endpoints.e.response.processors[0].expression: missing required key");
	/* not supported */
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n    response:\n      format: xml\n",
				 "t.yaml:6:7: endpoints.e.response.format: \"xml\" is not supported "
				 "(supported: json, jsonlines, csv)");
	/* records.jq: compiled by libjq at load time, and not beside jmespath */
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n    response:\n      records:\n"
				 "        jq: '.data[] |'\n",
				 "t.yaml:7:9: endpoints.e.response.records.jq: invalid jq program: jq: syntax error, "
				 "unexpected $end (Unix shell quoting issues?) at <top-level>, line 1");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n    response:\n      records:\n"
				 "        jq: .data[]\n        jmespath: data\n",
				 "t.yaml:6:7: endpoints.e.response.records: give jmespath or jq, not both");
	{
		BfError		err;
		BfSpec	   *spec = load("endpoints:\n  e:\n    request:\n      url: x\n    response:\n"
								"      records:\n        jq: '.{state.key}[]'\n", &err);

		CHECK_MSG(spec != NULL, "%s", err.message);
		if (spec != NULL)
			CHECK_STR(spec->endpoints[0].response.records.jq.src, ".{state.key}[]");
		bf_spec_free(spec);
	}
	expect_error("authentication:\n  type: oauth2\n  flow: authorization_code\nendpoints: {}\n",
				 "t.yaml:3:3: authentication.flow: \"authorization_code\" is not supported "
				 "(supported: client_credentials, password, refresh_token)");
	expect_error("dynamic_endpoints:\n  - iterate: '[1]'\nendpoints: {}\n",
				 "t.yaml:1:1: dynamic_endpoints: not supported: dynamic endpoints are not implemented");
	/* cross checks */
	/* a sync.x the endpoint does not list (issue 14: it fell back to a full reload) */
	expect_error("endpoints:\n  e:\n    sync: [last_updated]\n    state:\n"
				 "      since: \"{coalesce(sync.last_updatd, 0)}\"\n    request:\n      url: x\n"
				 "    response:\n      processors:\n        - expression: record.t\n"
				 "          output: state.last_updated\n          aggregation: maximum\n",
				 "t.yaml:5:7: endpoints.e.state.since: reads sync.last_updatd, which is not a sync "
				 "key of endpoint \"e\" (did you mean \"last_updated\"?) (its sync keys: last_updated)");
	expect_error("endpoints:\n  e:\n    request:\n      url: \"x?since={sync.cursor}\"\n",
				 "t.yaml:4:7: endpoints.e.request.url: reads sync.cursor, which is not a sync key of "
				 "endpoint \"e\" (it has no sync: list; list the key under sync: to keep it between runs)");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n    iterate:\n      over: [1]\n"
				 "      into: current\n",
				 "t.yaml:7:7: endpoints.e.iterate.into: must be \"state.<name>\", got \"current\"");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n    response:\n      processors:\n"
				 "        - expression: record.a\n          output: env.A\n",
				 "t.yaml:8:11: endpoints.e.response.processors[0].output: an output to env. needs "
				 "an aggregation (maximum, minimum, collect, first or last)");
	/* defaults: reported once, under defaults. */
	expect_error("defaults:\n  request:\n    timeout: soon\nendpoints:\n  e:\n    request:\n      url: x\n",
				 "t.yaml:3:5: defaults.request.timeout: expected an integer, got \"soon\"");
	/* modifiers keep the key the author wrote */
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n    response:\n      +rules:\n"
				 "        - action: rety\n          condition: \"true\"\n",
				 "t.yaml:7:11: endpoints.e.response.+rules[0].action: invalid value \"rety\" "
				 "(did you mean \"retry\"?); expected one of retry, continue, stop, break, fail, skip");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n    iterate:\n      if: \"true\"\n",
				 "t.yaml:6:7: endpoints.e.iterate.if: not supported: Sling documents iterate.if but "
				 "ignores it; filter in iterate.over instead");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n    setup:\n"
				 "      - request: {url: y}\n        iterate: state.ids\n",
				 "t.yaml:6:9: endpoints.e.setup[0]: iterate and into go together");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n    response:\n      rules+: {}\n",
				 "t.yaml:6:7: endpoints.e.response.rules+: expected a list, got a map");
}

/* Every expression and template is compiled at load. */
static void
test_compiled(void)
{
	BfError		err;
	BfSpec	   *spec = bf_spec_load_file(EXAMPLES "analytics_api.yaml", &err);
	const BfEndpoint *ep;
	int			i;

	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec == NULL)
		return;
	ep = &spec->endpoints[0];
	CHECK(ep->request.url.tmpl != NULL);
	CHECK(ep->request.headers.values[0].tmpl != NULL);
	CHECK(ep->iterate.over.expr != NULL);
	CHECK(ep->state.items[0].tmpl.tmpl != NULL);
	CHECK(spec->base_state.items[0].tmpl.tmpl != NULL);
	CHECK(ep->response.processors[0].expression.expr != NULL);
	CHECK(ep->response.records.jmespath.tmpl != NULL);
	CHECK(ep->response.records.jmespath_expr != NULL);
	for (i = 0; i < ep->response.rule_count; i++)
		CHECK(ep->response.rules[i].condition.expr != NULL);
	CHECK(ep->response.rules[2].message.tmpl == NULL);	/* the fail rule composes its message */
	CHECK(ep->state_order_count == 1 && ep->state_order[0] == 0);
	CHECK(!ep->next_state_reads_response);
	bf_spec_free(spec);

	spec = load("endpoints:\n  e:\n    request: {url: x}\n    state: {r: orders}\n"
				"    response:\n      records: {jmespath: \"{state.r}[]\"}\n", &err);
	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec != NULL)
	{
		CHECK(spec->endpoints[0].response.records.jmespath.tmpl != NULL);
		CHECK(spec->endpoints[0].response.records.jmespath_expr == NULL);
		bf_spec_free(spec);
	}
}

/* a load error at line:column and path whose message mentions what */
static void
expect_compile_error(const char *yaml, const char *prefix, const char *what)
{
	BfError		err;
	BfSpec	   *spec = load(yaml, &err);

	CHECK_MSG(spec == NULL, "loaded, expected an error at %s", prefix);
	CHECK(err.kind == BF_ERR_SPEC);
	CHECK_MSG(strncmp(err.message, prefix, strlen(prefix)) == 0 && strstr(err.message, what) != NULL,
			  "got: %s; want: %s ... %s", err.message, prefix, what);
	bf_spec_free(spec);
}

static void
test_compile_errors(void)
{
	expect_compile_error("endpoints:\n  e:\n    request:\n      url: \"{nosuch_fn(state.a)}\"\n",
						 "t.yaml:4:7: endpoints.e.request.url: ", "unknown function \"nosuch_fn\"");
	expect_compile_error("endpoints:\n  e:\n    request:\n      url: \"x{state.a\"\n",
						 "t.yaml:4:7: endpoints.e.request.url: ", "unbalanced");
	expect_compile_error("endpoints:\n  e:\n    request: {url: x}\n    response:\n      rules:\n"
						 "        - action: fail\n          condition: \"response.status ==\"\n",
						 "t.yaml:7:11: endpoints.e.response.rules[0].condition: ", "");
	expect_compile_error("endpoints:\n  e:\n    request: {url: x}\n    iterate:\n"
						 "      over: \"range(1)\"\n      into: state.i\n",
						 "t.yaml:5:7: endpoints.e.iterate.over: ", "range");
	expect_compile_error("endpoints:\n  e:\n    request: {url: x}\n    response:\n"
						 "      records: {jmespath: \"data[?\"}\n",
						 "t.yaml:5:17: endpoints.e.response.records.jmespath: invalid JMESPath", "");
	expect_compile_error("defaults:\n  state:\n    a: \"{upper()}\"\nendpoints:\n  e:\n    request: {url: x}\n",
						 "t.yaml:3:5: defaults.state.a: ", "upper");
}

static void
test_state_order(void)
{
	BfError		err;
	BfSpec	   *spec = load("defaults:\n"
							"  state:\n"
							"    api: \"{state.base}/v1\"\n"
							"    base: https://example.com\n"
							"endpoints:\n"
							"  e:\n"
							"    request: {url: \"{state.api}\"}\n"
							"    iterate: {over: [1, 2], into: state.day}\n"
							"    state:\n"
							"      c: \"{state.b}/{state.day}\"\n"
							"      b: \"{coalesce(state.a, state.lit)}-x\"\n"
							"      day: ignored\n"
							"      a: \"{state.base}\"\n"
							"      lit: 5\n"
							"      deep: {x: [\"{state.c}\"]}\n",
							&err);
	const BfEndpoint *ep;

	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec == NULL)
		return;
	CHECK(spec->base_state_order_count == 2);
	CHECK(spec->base_state_order[0] == 1 && spec->base_state_order[1] == 0);
	ep = &spec->endpoints[0];
	CHECK(ep->state_order_count == 5);
	if (ep->state_order_count == 5)
	{
		/* a, lit, b, c (YAML order where nothing says otherwise), deep; no day */
		CHECK(ep->state_order[0] == 3);
		CHECK(ep->state_order[1] == 4);
		CHECK(ep->state_order[2] == 1);
		CHECK(ep->state_order[3] == 0);
		CHECK(ep->state_order[4] == 5);
	}
	bf_spec_free(spec);

	{
		/* a chain written backwards: s0 reads s1 ... reads s1999 */
		char	   *yaml = malloc(2000 * 40 + 100);
		size_t		len = sprintf(yaml, "endpoints:\n  e:\n    request: {url: x}\n    state:\n");
		int			i,
					good = 0;

		for (i = 0; i < 1999; i++)
			len += sprintf(yaml + len, "      s%d: \"{state.s%d}\"\n", i, i + 1);
		sprintf(yaml + len, "      s1999: last\n");
		spec = load(yaml, &err);
		CHECK_MSG(spec != NULL, "%s", err.message);
		if (spec != NULL)
		{
			ep = &spec->endpoints[0];
			for (i = 0; i < ep->state_order_count; i++)
				good += ep->state_order[i] == 1999 - i;
			CHECK(ep->state_order_count == 2000 && good == 2000);
			bf_spec_free(spec);
		}
		free(yaml);
	}
	expect_error("endpoints:\n  e:\n    request: {url: x}\n    state:\n      a: \"{state.b}\"\n"
				 "      b: \"x{state.c}\"\n      c: \"{upper(state.a)}\"\n",
				 "t.yaml:5:7: endpoints.e.state.a: state values read each other in a circle: "
				 "a -> b -> c -> a");
	expect_error("endpoints:\n  e:\n    request: {url: x}\n    state:\n      z: 1\n      a: \"{state.a}\"\n",
				 "t.yaml:6:7: endpoints.e.state.a: state values read each other in a circle: a -> a");
}

static void
test_prefetch(void)
{
	BfError		err;
	BfSpec	   *spec = load("endpoints:\n"
							"  pages:\n"
							"    request: {url: x}\n"
							"    pagination:\n"
							"      next_state: {page: \"{state.page + 1}\"}\n"
							"  cursor:\n"
							"    request: {url: x}\n"
							"    pagination:\n"
							"      next_state: {cursor: \"{response.json.next}\"}\n"
							"  processed:\n"
							"    request: {url: x}\n"
							"    pagination:\n"
							"      next_state: {cursor: \"{state.cursor}\"}\n"
							"    response:\n"
							"      processors:\n"
							"        - expression: response.json.next\n"
							"          output: state.cursor\n"
							"          aggregation: last\n",
							&err);

	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec == NULL)
		return;
	CHECK(!bf_spec_endpoint(spec, "pages")->next_state_reads_response);
	CHECK(bf_spec_endpoint(spec, "cursor")->next_state_reads_response);
	CHECK(bf_spec_endpoint(spec, "processed")->next_state_reads_response);
	bf_spec_free(spec);
}

/* The cache reloads a changed file and keeps a spec still held valid. */
static void
test_cache(void)
{
	char		path[] = "/tmp/bf_spec_cache_XXXXXX";
	int			fd = mkstemp(path);
	const char *one = "name: one\nendpoints:\n  a:\n    request:\n      url: x\n";
	const char *two = "name: two\nendpoints:\n  a:\n    request:\n      url: x\n"
	"  b:\n    request:\n      url: y\n";
	const char *three = "name: tri\nendpoints:\n  a:\n    request:\n      url: x\n";
	const char *broken = "name: [\n";
	BfError		err;
	BfSpec	   *s1,
			   *s2,
			   *s3,
			   *s4;
	FILE	   *f;
	struct timespec times[2] = {{0, 0}, {1000000, 0}};

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	f = fopen(path, "w");
	fputs(one, f);
	fclose(f);
	s1 = bf_spec_cache_get(path, &err);
	CHECK_MSG(s1 != NULL, "%s", err.message);
	s2 = bf_spec_cache_get(path, &err);
	CHECK(s2 == s1);
	f = fopen(path, "w");
	fputs(two, f);
	fclose(f);
	s3 = bf_spec_cache_get(path, &err);
	CHECK(s3 != NULL && s3 != s1);
	CHECK(s3 != NULL && s3->endpoint_count == 2);
	/* the old one is still whole */
	CHECK(s1 != NULL && s1->endpoint_count == 1 && strcmp(s1->name, "one") == 0);
	CHECK(s1 != NULL && strcmp(s1->endpoints[0].request.url.src, "x") == 0);
	bf_spec_release(s1);
	bf_spec_release(s2);
	/* same size, new mtime */
	f = fopen(path, "w");
	fputs(three, f);
	fclose(f);
	utimensat(AT_FDCWD, path, times, 0);
	s4 = bf_spec_cache_get(path, &err);
	CHECK(s4 != NULL && s4 != s3 && strcmp(s4->name, "tri") == 0);
	bf_spec_release(s4);
	bf_spec_release(s3);
	/* a broken file is an error, a fixed one loads again */
	f = fopen(path, "w");
	fputs(broken, f);
	fclose(f);
	s1 = bf_spec_cache_get(path, &err);
	CHECK(s1 == NULL && err.kind == BF_ERR_SPEC && strstr(err.message, "invalid YAML") != NULL);
	f = fopen(path, "w");
	fputs(one, f);
	fclose(f);
	s1 = bf_spec_cache_get(path, &err);
	CHECK(s1 != NULL && strcmp(s1->name, "one") == 0);
	bf_spec_release(s1);
	unlink(path);
	s1 = bf_spec_cache_get(path, &err);
	CHECK(s1 == NULL && strstr(err.message, "cannot read the spec file") != NULL);
	s1 = bf_spec_load_file("test/unit/specs/none.yaml", &err);
	CHECK(s1 == NULL && err.kind == BF_ERR_SPEC);
}

/*
 * Sling's own suite: every case's spec loads, or is refused as "not
 * supported", or calls a function the library does not have (the error
 * names the key and the function).  Sling's harness (api_test.go) points
 * each endpoint at its mock server before loading; so does this, where the
 * spec has no url.
 */
static void
test_suite(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	char	   *text;
	long		len;
	BfArena		arena = {NULL};
	BfError		err;
	BfYamlNode *root;
	int			i,
				loaded = 0,
				unsupported = 0,
				no_function = 0;

	if (f == NULL)
	{
		printf("spec: %s not found, Sling suite skipped\n", path);
		return;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = malloc(len + 1);
	CHECK(fread(text, 1, len, f) == (size_t) len);
	fclose(f);
	root = bf_yaml_parse(&arena, text, len, "api_suite.yaml", &err);
	CHECK_MSG(root != NULL && root->kind == BF_YAML_LIST, "%s", err.message);
	for (i = 0; root != NULL && i < root->count; i++)
	{
		BfYamlNode *spec_node = bf_yaml_get(root->values[i], "spec");
		BfYamlNode *eps = bf_yaml_get(spec_node, "endpoints");
		int			j;
		BfSpec	   *spec;

		for (j = 0; eps != NULL && j < eps->count; j++)
		{
			BfYamlNode *req = bf_yaml_get(eps->values[j], "request");

			if (req == NULL)
			{
				req = bf_yaml_new_map(&arena, 0, 0);
				CHECK(req != NULL && bf_yaml_map_set(&arena, eps->values[j], "request", req));
			}
			if (bf_yaml_get(req, "url") == NULL)
				CHECK(bf_yaml_map_set(&arena, req, "url",
									  bf_yaml_new_scalar(&arena, "http://127.0.0.1:1/test")));
		}
		spec = bf_spec_load_tree(spec_node, "api_suite.yaml", &err);
		if (spec != NULL)
			loaded++;
		else if (strstr(err.message, "not supported") != NULL ||
				 strstr(err.message, "unknown function") != NULL)
		{
			if (strstr(err.message, "not supported") != NULL)
				unsupported++;
			else
				no_function++;
			printf("spec: suite case %s: %s\n", bf_yaml_get(root->values[i], "id")->text,
				   err.message);
		}
		else
			CHECK_MSG(false, "suite case %s: %s", bf_yaml_get(root->values[i], "id")->text,
					  err.message);
		bf_spec_free(spec);
	}
	printf("spec: Sling suite: %d of %d specs load, %d not supported, %d call a function "
		   "the library lacks\n", loaded, root != NULL ? root->count : 0, unsupported, no_function);
	CHECK(root != NULL && root->count == 26);
	bf_arena_release(&arena);
	free(text);
}

/* The names of a string list, joined by commas, into buf. */
static const char *
joined(const BfStrList *l, char *buf, size_t size)
{
	size_t		len = 0;
	int			i;

	buf[0] = '\0';
	for (i = 0; i < l->count && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s", i ? "," : "", l->items[i]);
	return buf;
}

/* BfSpec.order, or an endpoint's producers, as names joined by commas. */
static const char *
order_names(const BfEndpoint *const *eps, int n, char *buf, size_t size)
{
	size_t		len = 0;
	int			i;

	buf[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s", i ? "," : "", eps[i]->name);
	return buf;
}

/*
 * The queue graph: what each endpoint reads, loads and writes, its
 * producers (transitive, by queues only, in run order) and the spec's run
 * order (queue edges and depends_on, ties in YAML order).
 */
static void
test_queue_graph(void)
{
	BfError		err;
	char		buf[256];
	BfSpec	   *spec = load("queues: [ids, sub, unused]\n"
							"endpoints:\n"
							"  child:\n"
							"    iterate: {over: queue.ids, into: state.id}\n"
							"    request: {url: \"x/{state.id}\"}\n"
							"    response:\n"
							"      processors:\n"
							"        - {expression: record.subs, output: queue.sub}\n"
							"  grand:\n"
							"    iterate: {over: \"chunk( queue.sub , 50 )\", into: state.ids}\n"
							"    state: {first: \"{coalesce(context.store.x, queue.ids)}\"}\n"
							"    request: {url: x}\n"
							"  parent:\n"
							"    request: {url: x}\n"
							"    response:\n"
							"      processors:\n"
							"        - {expression: record.id, output: queue.ids}\n"
							"  other:\n"
							"    depends_on: [grand]\n"
							"    request: {url: x}\n"
							"  solo:\n"
							"    iterate: {over: queue.sub, into: response.records}\n",
							&err);
	const BfEndpoint *child,
			   *grand,
			   *other,
			   *solo;

	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec == NULL)
		return;
	child = bf_spec_endpoint(spec, "child");
	grand = bf_spec_endpoint(spec, "grand");
	other = bf_spec_endpoint(spec, "other");
	solo = bf_spec_endpoint(spec, "solo");
	CHECK_STR(order_names(spec->order, spec->endpoint_count, buf, sizeof(buf)),
			  "parent,child,grand,other,solo");
	CHECK_STR(joined(&child->queues_read, buf, sizeof(buf)), "ids");
	CHECK_STR(joined(&child->queues_loaded, buf, sizeof(buf)), "");
	CHECK_STR(joined(&child->queues_written, buf, sizeof(buf)), "sub");
	CHECK_STR(child->iterate.over_queue, "ids");
	CHECK(child->iterate.over_chunk == 0);
	CHECK_STR(order_names(child->producers, child->producer_count, buf, sizeof(buf)), "parent");
	/* the streamed chunk over and a template reading another queue whole */
	CHECK_STR(joined(&grand->queues_read, buf, sizeof(buf)), "ids,sub");
	CHECK_STR(joined(&grand->queues_loaded, buf, sizeof(buf)), "ids");
	CHECK_STR(grand->iterate.over_queue, "sub");
	CHECK(grand->iterate.over_chunk == 50);
	CHECK_STR(grand->iterate.over.src, "chunk( queue.sub , 50 )");
	CHECK_STR(order_names(grand->producers, grand->producer_count, buf, sizeof(buf)),
			  "parent,child");
	/* depends_on orders but adds no producer */
	CHECK(other->producer_count == 0);
	/* into: response.records needs no request */
	CHECK(solo->iterate.into_records);
	CHECK(solo->iterate.into == NULL);
	CHECK(solo->request.url.src == NULL);
	CHECK_STR(order_names(solo->producers, solo->producer_count, buf, sizeof(buf)),
			  "parent,child");
	CHECK(spec->warning_count == 0);
	bf_spec_free(spec);

	/* an over that is no plain queue read is an expression, read whole */
	spec = load("endpoints:\n"
				"  p:\n"
				"    request: {url: x}\n"
				"    response:\n"
				"      processors:\n"
				"        - {expression: record.id, output: queue.ids}\n"
				"  c:\n"
				"    iterate: {over: \"coalesce(context.store.x, queue.ids)\", into: state.id}\n"
				"    request: {url: x}\n", &err);
	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec != NULL)
	{
		const BfEndpoint *c = bf_spec_endpoint(spec, "c");

		CHECK(c->iterate.over_queue == NULL);
		CHECK_STR(joined(&c->queues_loaded, buf, sizeof(buf)), "ids");
		CHECK_STR(order_names(spec->order, spec->endpoint_count, buf, sizeof(buf)), "p,c");
	}
	bf_spec_free(spec);
}

/* depends_on naming no endpoint loads, with a warning (Sling ignores it). */
static void
test_queue_warnings(void)
{
	BfError		err;
	char		buf[256];
	BfSpec	   *spec = load("endpoints:\n  e:\n    depends_on: [g, f]\n    request:\n      url: x\n"
							"  g:\n    request: {url: x}\n", &err);

	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec == NULL)
		return;
	CHECK(spec->warning_count == 1);
	if (spec->warning_count == 1)
	{
		CHECK_STR(bf_spec_warning_text(spec, 0, buf, sizeof(buf)),
				  "t.yaml:3:21: endpoints.e.depends_on[1]: no endpoint named \"f\"; ignored");
		CHECK(spec->warnings[0].loc.line == 3);
		CHECK_STR(spec->warnings[0].path, "endpoints.e.depends_on[1]");
	}
	/* the known one still orders */
	CHECK_STR(order_names(spec->order, spec->endpoint_count, buf, sizeof(buf)), "g,e");
	bf_spec_free(spec);
}

/*
 * A sync key no processor writes loads, with a warning (sling-cli's Shopify
 * specs have one), and more warnings than the first allocation holds keep.
 */
static void
test_sync_warnings(void)
{
	BfError		err;
	char		buf[256];
	BfSpec	   *spec = load("endpoints:\n  e:\n    sync: [last, a, b, c, d, f, g, h, i, j]\n"
							"    request:\n      url: x\n", &err);

	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec == NULL)
		return;
	CHECK(spec->warning_count == 10);
	if (spec->warning_count == 10)
	{
		CHECK_STR(bf_spec_warning_text(spec, 0, buf, sizeof(buf)),
				  "t.yaml:3:12: endpoints.e.sync[0]: sync key \"last\" is not written by any "
				  "processor, so it never advances (add a processor with output: state.last)");
		CHECK_STR(spec->warnings[9].path, "endpoints.e.sync[9]");
	}
	bf_spec_free(spec);
}

/* The queue graph's load errors, placed where the offending read is. */
static void
test_queue_errors(void)
{
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n    iterate:\n      over: queue.ids\n"
				 "      into: state.id\n",
				 "t.yaml:6:7: endpoints.e.iterate.over: queue.ids is read here but no endpoint "
				 "writes it (a misspelt name, or a missing processor with output: queue.ids?)");
	expect_error("endpoints:\n  e:\n    request:\n      url: \"{queue.ids[0]}\"\n",
				 "t.yaml:4:7: endpoints.e.request.url: queue.ids is read here but no endpoint "
				 "writes it (a misspelt name, or a missing processor with output: queue.ids?)");
	expect_error("endpoints:\n  a:\n    iterate: {over: queue.b_out, into: state.x}\n"
				 "    request: {url: x}\n"
				 "    response:\n      processors:\n"
				 "        - {expression: record.id, output: queue.a_out}\n"
				 "  b:\n    iterate: {over: queue.a_out, into: state.x}\n"
				 "    request: {url: x}\n"
				 "    response:\n      processors:\n"
				 "        - {expression: record.id, output: queue.b_out}\n",
				 "t.yaml:3:15: endpoints.a.iterate.over: endpoints need each other in a circle: "
				 "a reads queue.b_out from b, b reads queue.a_out from a");
	expect_error("endpoints:\n  a:\n    depends_on: [b]\n    request: {url: x}\n"
				 "  b:\n    depends_on: [c]\n    request: {url: x}\n"
				 "  c:\n    depends_on: [b]\n    request: {url: x}\n",
				 "t.yaml:6:18: endpoints.b.depends_on[0]: endpoints need each other in a circle: "
				 "b depends_on c, c depends_on b");
	expect_error("endpoints:\n  a:\n    iterate: {over: queue.a_out, into: state.x}\n"
				 "    request: {url: x}\n"
				 "    response:\n      processors:\n"
				 "        - {expression: record.id, output: queue.a_out}\n",
				 "t.yaml:3:15: endpoints.a.iterate.over: endpoint \"a\" reads queue.a_out, which "
				 "it also writes: a queue takes no items once it is being read");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n    response:\n      processors:\n"
				 "        - expression: record.a\n          output: queue.a-b\n",
				 "t.yaml:8:11: endpoints.e.response.processors[0].output: invalid queue name "
				 "\"a-b\"; a queue is named with letters, digits and _");
	expect_error("endpoints:\n  e:\n    request:\n      url: x\n    response:\n      processors:\n"
				 "        - expression: record.a\n          output: queue.a\n"
				 "          aggregation: last\n",
				 "t.yaml:8:11: endpoints.e.response.processors[0].output: an output to a queue "
				 "takes no aggregation: each value is appended (a list as one item per element)");
	expect_error("endpoints:\n  e:\n    request:\n      url: \"{queue}\"\n",
				 "t.yaml:4:7: endpoints.e.request.url: the queue namespace is read without a "
				 "queue name; write queue.<name>");
	expect_error("queues: ids\nendpoints: {}\n", "t.yaml:1:1: queues: expected a list, got \"ids\"");
	/* without into: response.records, a request still needs its url */
	expect_error("endpoints:\n  e:\n    iterate: {over: [1], into: state.x}\n",
				 "t.yaml:2:3: endpoints.e.request.url: missing required key");
}

/*
 * Issue 12: a setup call's request merged over defaults.request, a
 * processor without output, and the state keys a server may set.
 */
static void
test_calls_and_state_keys(void)
{
	static const char yaml[] =
		"name: t\n"
		"defaults:\n"
		"  state: {page: 1}\n"
		"  request:\n"
		"    method: POST\n"
		"    headers: {Accept: application/json, X-Version: \"2\"}\n"
		"    parameters: {per_page: 100}\n"
		"  setup:\n"
		"    - request:\n"
		"        url: \"{state.base_url}/rate_limit\"\n"
		"        headers: {X-Version: \"3\"}\n"
		"      response:\n"
		"        processors:\n"
		"          - expression: log(record)\n"
		"          - {expression: record.remaining, output: state.quota_remaining}\n"
		"endpoints:\n"
		"  e:\n"
		"    request: {url: \"{state.base_url}/x/{state.test_record.id}\"}\n";
	BfError		err;
	BfSpec	   *spec = load(yaml, &err);
	const BfCall *c;
	const char *suggestion;

	CHECK_MSG(spec != NULL, "%s", err.message);
	if (spec == NULL)
		return;
	c = &spec->endpoints[0].setup[0];
	CHECK_STR(c->request.method, "POST");
	CHECK_STR(header(&c->request.headers, "Accept"), "application/json");
	CHECK_STR(header(&c->request.headers, "X-Version"), "3");
	CHECK(map_get(&c->request.parameters, "per_page") != NULL);
	CHECK(c->response.processors[0].output_kind == BF_OUTPUT_NONE);
	CHECK(c->response.processors[0].output == NULL);
	CHECK(c->response.processors[1].output_kind == BF_OUTPUT_STATE);
	/* read only: base_url, test_record; in defaults.state: page */
	CHECK(bf_spec_state_key_known(spec, "base_url", &suggestion) && suggestion == NULL);
	CHECK(bf_spec_state_key_known(spec, "test_record", &suggestion));
	CHECK(bf_spec_state_key_known(spec, "page", &suggestion));
	CHECK(!bf_spec_state_key_known(spec, "base_urll", &suggestion));
	CHECK_STR(suggestion, "base_url");
	CHECK(!bf_spec_state_key_known(spec, "zzz", &suggestion) && suggestion == NULL);
	/* a key written but never read is not one a server may set */
	CHECK(!bf_spec_state_key_known(spec, "quota_remaining", &suggestion));
	bf_spec_free(spec);
}

int
main(int argc, char **argv)
{
	test_calls_and_state_keys();
	test_analytics();
	test_sales_and_orders();
	test_merge();
	test_values();
	test_yaml_layer();
	test_load_tree();
	test_yaml_limits();
	test_scalars();
	test_auth();
	test_auth_flows();
	test_errors();
	test_compiled();
	test_compile_errors();
	test_state_order();
	test_prefetch();
	test_queue_graph();
	test_queue_warnings();
	test_sync_warnings();
	test_queue_errors();
	test_cache();
	test_suite(argc > 1 ? argv[1] : "../shared/conformance/sling/api_suite.yaml");
	return UNIT_DONE("spec");
}
