/*
 * Unit tests of the expression engine (expr_*.c) and templates
 * (template.c): literals, every operator with its edge cases, paths and
 * namespaces, compile errors with positions, the JMESPath fallback,
 * templates (typed vs text, JSON braces, {{x}}, escapes), the refs walk,
 * and the expressions of the three example specs of
 * reference/sling-backfill.md.
 */
#include <stdlib.h>
#include <string.h>

#include "expr_check.h"

static const char *const fixture =
"{"
"  \"state\": {\"base_url\": \"https://api.analytics.com/v1\", \"n\": 5, \"f\": 2.5,"
"            \"s\": \"abc\", \"arr\": [1, 2, 3], \"i\": 1, \"key\": \"a\","
"            \"obj\": {\"a\": 1, \"b\": [10, 20]}, \"in\": \"kw\", \"t\": true,"
"            \"neg\": -4, \"quoted key\": 7, \"empty\": \"\", \"nil\": null},"
"  \"sync\": {\"last_date\": \"2024-01-15\", \"deep\": {\"x\": 1}},"
"  \"context\": {\"range_start\": \"2024-01-01\", \"range_end\": \"2024-01-31\", \"mode\": \"backfill\"},"
"  \"secrets\": {\"api_key\": \"sk_live_12345\"},"
"  \"record\": {\"id\": 42},"
"  \"response\": {\"status\": 429, \"headers\": {\"content-type\": \"application/json\"},"
"               \"json\": {\"data\": [{\"id\": 1, \"kind\": \"a\"}, {\"id\": 2, \"kind\": \"b\"},"
"                                  {\"id\": 3, \"kind\": \"a\"}]}},"
"  \"request\": {\"method\": \"GET\", \"attempts\": 2},"
"  \"inputs\": {\"repositories\": [\"a/b\"]},"
"  \"auth\": {\"token\": \"at-Token-77\", \"headers\": {\"X-Session\": \"sess-Id-88\"}}"
"}";

/* Render a template to text. */
static const char *
text(const char *src)
{
	BfError		err;
	BfTemplate *t = bf_template_compile(src, &err);
	char	   *s;

	if (t == NULL)
		return "compile error";
	s = bf_template_render_text(t, vars, &err);
	if (s == NULL)
		snprintf(result, sizeof(result), "error: %s", kind_name(err.kind));
	else
		snprintf(result, sizeof(result), "%s", s);
	free(s);
	bf_template_free(t);
	return result;
}

static void
test_literals(void)
{
	EV("42", "42");
	EV("-42", "-42");
	EV("0x1F", "31");
	EV("0XfF", "255");
	EV("1.5", "1.5");
	EV("1e3", "1000.0");
	EV("2.5E-1", "0.25");
	EV("99999999999999999999", "1e+20");
	/* computed doubles print in their shortest exact form, not json-c's %.17g */
	EV("24 / 10.0", "2.4");
	EV("0.1 + 0.2", "0.30000000000000004");
	EV("1 / 3.0", "0.3333333333333333");
	EV("9223372036854775807", "9223372036854775807");
	EV("\"a\\\"b\\\\c\\n\\t\\/\"", "\"a\\\"b\\\\c\\n\\t/\"");
	EV("\"\\u00e9\"", "\"\xc3\xa9\"");
	EV("\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"");
	EV("`raw \\n \"quoted\"`", "\"raw \\\\n \\\"quoted\\\"\"");
	EV("true", "true");
	EV("false", "false");
	EV("nil", "null");
	EV("null", "null");
	EV("[]", "[]");
	EV("[1, \"a\", [true], {}]", "[1,\"a\",[true],{}]");
	EV("{\"a\": 1, b: [2], \"c\": {\"d\": null}}", "{\"a\":1,\"b\":[2],\"c\":{\"d\":null}}");
	EV("  7  ", "7");
	EV("\n(1)\n", "1");
}

static void
test_arithmetic(void)
{
	EV("1 + 2 * 3", "7");
	EV("(1 + 2) * 3", "9");
	EV("10 - 4 - 3", "3");
	EV("24 / 10", "2");
	EV("-7 / 2", "-3");
	EV("24 / 10.0 == 2.4", "true");
	EV("7 % 3", "1");
	EV("-7 % 3", "-1");
	EV("7.5 % 2", "1.5");
	EV("2 ** 10", "1024");
	EV("2 ** -1", "0.5");
	EV("2 ** 3 ** 2", "512");
	EV("-2 ** 2", "-4");
	EV("2 ** 0.5 * 2 ** 0.5 > 1.99", "true");
	EV("3 ** 40", "1.2157665459056929e+19");
	EV("1.5 + 1", "2.5");
	EV("state.n * state.f", "12.5");
	EV("-state.n", "-5");
	EV("--state.n", "5");
	EV("- state.f", "-2.5");
	EV("9223372036854775807 + 1", "error: value");
	MSG_HAS("integer overflow in 9223372036854775807 + 1");
	EV("-9223372036854775807 - 2", "error: value");
	EV("4611686018427387904 * 2", "error: value");
	EV("1 / 0", "error: value");
	MSG_HAS("division by zero");
	EV("1 % 0", "error: value");
	EV("1.0 / 0", "error: value");
	EV("(-9223372036854775807 - 1) / -1", "error: value");
	EV("-(-9223372036854775807 - 1)", "error: value");
	EV("1e308 * 10", "error: value");
	EV("2 - \"a\"", "error: type");
	MSG_HAS("cannot apply - to 2 and \"a\"");
	EV("null + 1", "error: type");
	EV("true + 1", "error: type");
	EV("-\"a\"", "error: type");
	EV("[1] * 2", "error: type");
}

static void
test_plus(void)
{
	EV("\"a\" + \"b\"", "\"ab\"");
	EV("\"a\" + 1", "\"a1\"");
	EV("1 + \"a\"", "\"1a\"");
	EV("\"a\" + 1.5", "\"a1.5\"");
	EV("\"a\" + 2.0", "\"a2\"");
	EV("\"a\" + 0.1", "\"a0.1\"");
	EV("\"a\" + true", "\"atrue\"");
	EV("\"a\" + null", "\"a\"");
	EV("null + \"a\"", "\"a\"");
	EV("\"a\" + [1]", "error: type");
	EV("{\"a\": 1} + \"x\"", "error: type");
	EV("[1, 2] + [3]", "[1,2,3]");
	EV("[] + []", "[]");
	EV("{\"a\": 1, \"b\": 2} + {\"b\": 3, \"c\": 4}", "{\"a\":1,\"b\":3,\"c\":4}");
	EV("[1] + {\"a\": 1}", "error: type");
	EV("state.base_url + \"/x\"", "\"https://api.analytics.com/v1/x\"");
}

static void
test_comparison(void)
{
	EV("1 == 1.0", "true");
	EV("1 != 1.0", "false");
	EV("\"1\" == 1", "false");
	EV("[1, {\"a\": 2}] == [1.0, {\"a\": 2}]", "true");
	EV("{\"a\": 1, \"b\": 2} == {\"b\": 2, \"a\": 1}", "true");
	EV("{\"a\": 1} == {\"a\": 1, \"b\": 2}", "false");
	EV("[1, 2] == [2, 1]", "false");
	EV("null == null", "true");
	EV("null == 0", "false");
	EV("null != false", "true");
	EV("state.missing == null", "true");
	EV("true == true", "true");
	EV("\"a\" == \"a\"", "true");
	EV("1 < 2", "true");
	EV("2 <= 2", "true");
	EV("2.5 > 2", "true");
	EV("2 >= 2.5", "false");
	EV("9223372036854775807 > 9223372036854775806", "true");
	EV("\"a\" < \"b\"", "true");
	EV("\"abc\" < \"abd\"", "true");
	EV("\"ab\" < \"abc\"", "true");
	EV("\"2024-01-02\" > \"2024-01-01\"", "true");
	EV("\"b\" >= \"b\"", "true");
	EV("\"a\" < 1", "error: type");
	MSG_HAS("cannot apply < to \"a\" and 1");
	EV("null < 1", "error: type");
	EV("true > false", "error: type");
	EV("response.status == 429", "true");
}

static void
test_logic(void)
{
	EV("true && false", "false");
	EV("true && true", "true");
	EV("false || true", "true");
	EV("false || false", "false");
	EV("!true", "false");
	EV("!false", "true");
	EV("!!true", "true");
	EV("!null", "true");
	EV("null || true", "true");
	EV("null && true", "false");
	/* short-circuit: the right side is not evaluated */
	EV("true || 1 / 0 == 1", "true");
	EV("false && 1 / 0 == 1", "false");
	EV("state.missing != null && state.missing.x > 1", "false");
	EV("state.obj != null && state.obj.a > 0", "true");
	EV("false || 1 / 0 == 1", "error: value");
	EV("1 && true", "error: type");
	MSG_HAS("&& needs true or false, not 1");
	EV("true && \"x\"", "error: type");
	EV("!1", "error: type");
	EV("1 < 2 && 2 < 3 || false", "true");
	EV("true || false && false", "true");
}

static void
test_conditional(void)
{
	EV("1 > 0 ? \"y\" : \"n\"", "\"y\"");
	EV("1 < 0 ? \"y\" : \"n\"", "\"n\"");
	EV("false ? 1 : true ? 2 : 3", "2");
	EV("true ? 1 : 1 / 0", "1");
	EV("false ? 1 / 0 : 2", "2");
	EV("null ? 1 : 2", "2");
	EV("state.n ? 1 : 2", "error: type");
	EV("1 + 1 == 2 ? \"ok\" : \"no\"", "\"ok\"");
	EV("true ? false ? 1 : 2 : 3", "2");
}

static void
test_in_and_bits(void)
{
	EV("2 in [1, 2, 3]", "true");
	EV("2.0 in [1, 2]", "true");
	EV("4 in [1, 2]", "false");
	EV("[1] in [[1], 2]", "true");
	EV("\"a\" in {\"a\": 1}", "true");
	EV("\"z\" in state.obj", "false");
	EV("\"b\" in \"abc\"", "true");
	EV("\"x\" in \"abc\"", "false");
	EV("1 in null", "false");
	EV("1 in 5", "error: type");
	EV("1 in {\"a\": 1}", "error: type");
	EV("1 in \"1\"", "error: type");
	EV("6 & 3", "2");
	EV("6 ^ 3", "5");
	EV("~0", "-1");
	EV("1 << 4", "16");
	EV("256 >> 4", "16");
	EV("-16 >> 2", "-4");
	EV("1 << 64", "error: value");
	EV("1 << -1", "error: value");
	EV("1.5 & 1", "error: type");
	EV("~1.5", "error: type");
	EV("1 + 2 << 1", "6");
	EV("5 & 4 == 4", "error: type");
}

static void
test_paths(void)
{
	EV("state.n", "5");
	EV("state.obj.a", "1");
	EV("state.obj.b[1]", "20");
	EV("state.obj.b[-1]", "20");
	EV("state.obj.b[-2]", "10");
	EV("state.obj.b[2]", "null");
	EV("state.obj.b[-3]", "null");
	EV("state.obj[\"a\"]", "1");
	EV("state.obj[state.key]", "1");
	EV("state.arr[state.i]", "2");
	EV("state.arr[1.0]", "2");
	EV("state.arr[\"x\"]", "null");
	EV("state.obj[0]", "null");
	EV("state.arr[true]", "null");
	EV("state.missing", "null");
	EV("state.missing.deeper[0].x", "null");
	EV("state.n.x", "null");
	EV("state.s.length", "null");
	EV("state.nil.x", "null");
	EV("nothing", "null");
	EV("nothing.at.all", "null");
	EV("state.in", "\"kw\"");
	EV("state.\"quoted key\"", "7");
	EV("state[\"quoted key\"]", "7");
	EV("response.headers[\"content-type\"]", "\"application/json\"");
	EV("response.json.data[-1].id", "3");
	EV("response.json.data[0][\"kind\"]", "\"a\"");
	EV("\"abc\"[1]", "\"b\"");
	EV("\"abc\"[-1]", "\"c\"");
	EV("\"abc\"[3]", "null");
	EV("state.s[0]", "\"a\"");
	EV("[10, 20, 30][1]", "20");
	EV("{\"a\": {\"b\": 2}}.a.b", "2");
	EV("(state.obj).a", "1");
	EV("state.arr[state.arr[0]]", "2");
	EV("coalesce(state.obj).b[0]", "10");
	EV("state", "{\"base_url\":\"https://api.analytics.com/v1\",\"n\":5,\"f\":2.5,\"s\":\"abc\",\"arr\":[1,2,3],\"i\":1,\"key\":\"a\",\"obj\":{\"a\":1,\"b\":[10,20]},\"in\":\"kw\",\"t\":true,\"neg\":-4,\"quoted key\":7,\"empty\":\"\",\"nil\":null}");
}

static void
test_slices(void)
{
	EV("[1, 2, 3, 4][1:3]", "[2,3]");
	EV("[1, 2, 3, 4][:2]", "[1,2]");
	EV("[1, 2, 3, 4][2:]", "[3,4]");
	EV("[1, 2, 3, 4][-2:]", "[3,4]");
	EV("[1, 2, 3, 4][:-1]", "[1,2,3]");
	EV("[1, 2, 3, 4][3:1]", "[]");
	EV("[1, 2, 3, 4][-10:10]", "[1,2,3,4]");
	EV("[1, 2, 3][:]", "[1,2,3]");
	EV("\"hello\"[1:3]", "\"el\"");
	EV("\"hello\"[-3:]", "\"llo\"");
	EV("state.missing[1:2]", "null");
	EV("5[0:1]", "null");
	EV("[1, 2][state.missing:1]", "[1]");
	EV("[1, 2][\"a\":1]", "error: type");
	MSG_HAS("a slice bound must be an integer");
}

static void
test_namespaces(void)
{
	struct json_object *w;

	EV("sync.last_date", "\"2024-01-15\"");
	EV("context.mode", "\"backfill\"");
	EV("secrets.api_key", "\"sk_live_12345\"");
	EV("record.id", "42");
	EV("request.attempts", "2");
	EV("inputs.repositories[0]", "\"a/b\"");
	EV("auth.token", "\"at-Token-77\"");
	/* no "env" in vars: the process environment */
	setenv("BF_TEST_ENV", "from-env", 1);
	EV("env.BF_TEST_ENV", "\"from-env\"");
	EV("env.BF_TEST_NOT_SET_XYZ", "null");
	EV("env[\"BF_TEST_ENV\"]", "\"from-env\"");
	EV("env.BF_TEST_ENV[0]", "\"f\"");
	EV("env.BF_TEST_ENV == \"from-env\"", "true");
	CHECK_STR(ev("\"BF_TEST_ENV\" in env"), "true");
	/* an "env" object in vars wins */
	w = json_tokener_parse("{\"env\": {\"BF_TEST_ENV\": \"from-vars\"}}");
	CHECK_STR(eval_in("env.BF_TEST_ENV", w), "\"from-vars\"");
	CHECK_STR(eval_in("env.HOME", w), "null");
	json_object_put(w);
	/* an "env" that is not an object does not hide the environment */
	w = json_tokener_parse("{\"env\": \"x\"}");
	CHECK_STR(eval_in("env.BF_TEST_ENV", w), "\"from-env\"");
	json_object_put(w);
	/* vars that is not an object reads as empty */
	w = json_object_new_int(3);
	CHECK_STR(eval_in("state.n", w), "null");
	json_object_put(w);
	CHECK_STR(eval_in("state.n", NULL), "null");
}

static void
test_compile_errors(void)
{
	BfError		err;
	BfExpr	   *e;
	char		deep[1024];
	char		chain[2048];
	int			i;

	EV("a + * b", "error: syntax");
	CHECK_STR(msg, "syntax error at position 5 in \"a + * b\": unexpected '*'");
	EV("date_add(now(), -7, 'day')", "error: syntax");
	MSG_HAS("position 21");
	MSG_HAS("cannot use single quotes");
	EV("state.x == 'abc'", "error: syntax");
	MSG_HAS("cannot use single quotes");
	EV("\"abc", "error: syntax");
	MSG_HAS("unterminated string");
	EV("`abc", "error: syntax");
	EV("\"\\q\"", "error: syntax");
	MSG_HAS("invalid escape '\\q'");
	EV("\"\\u12\"", "error: syntax");
	EV("(1 + 2", "error: syntax");
	MSG_HAS("expected ')' but found end of expression");
	EV("[1, 2", "error: syntax");
	EV("{\"a\" 1}", "error: syntax");
	EV("", "error: syntax");
	MSG_HAS("unexpected end of expression");
	EV("1 2", "error: syntax");
	MSG_HAS("unexpected number 2");
	EV("a = 1", "error: syntax");
	MSG_HAS("compare with ==");
	EV("1 ? 2", "error: syntax");
	EV("state.", "error: syntax");
	EV("12abc", "error: syntax");
	MSG_HAS("invalid number");
	EV("0x", "error: syntax");
	EV("0x10000000000000000", "error: syntax");
	EV("1e999", "error: syntax");
	EV("#", "error: syntax");
	MSG_HAS("unexpected character '#'");
	EV("\x01", "error: syntax");
	MSG_HAS("unexpected byte 0x01");
	EV("foo(1)", "error: unknown function");
	CHECK_STR(msg, "unknown function \"foo\" at position 1 in \"foo(1)\"");
	EV("1 + date_formt(state.d, \"%Y\")", "error: unknown function");
	MSG_HAS("\"date_formt\" at position 5");
	EV("date_add(state.d)", "error: arity");
	CHECK_STR(msg, "wrong number of arguments at position 1 in \"date_add(state.d)\": "
			  "date_add takes 2 to 3 arguments, got 1 (date_add(date, amount[, unit]))");
	EV("upper()", "error: arity");
	MSG_HAS("upper takes 1 argument, got 0");
	EV("uuid(1)", "error: arity");
	EV("coalesce()", "error: arity");
	MSG_HAS("coalesce takes at least 1 argument, got 0");
	EV("object(\"a\")", "error: arity");
	MSG_HAS("in pairs");
	EV("object_rename({}, \"a\")", "error: arity");
	EV("regex_match(state.s, \"(\")", "error: syntax");
	MSG_HAS("invalid regular expression");
	/* nesting is bounded */
	for (i = 0; i < 300; i++)
		deep[i] = '(';
	deep[300] = '1';
	for (i = 0; i < 300; i++)
		deep[301 + i] = ')';
	deep[601] = '\0';
	EV(deep, "error: syntax");
	MSG_HAS("nested too deeply");
	strcpy(chain, "1");
	for (i = 0; i < 300; i++)
		strcat(chain, "+1");
	EV(chain, "error: syntax");
	MSG_HAS("nested too deeply");
	strcpy(chain, "1");
	for (i = 0; i < 100; i++)
		strcat(chain, "+1");
	EV(chain, "101");
	for (i = 0; i < 300; i++)
		deep[i] = '!';
	strcpy(deep + 300, "true");
	EV(deep, "error: syntax");
	/* compile errors come back with err set and no expression */
	e = bf_expr_compile("1 +", &err);
	CHECK(e == NULL && err.kind == BF_ERR_SYNTAX);
	e = bf_expr_compile("state.n + 1", &err);
	CHECK(e != NULL);
	CHECK_STR(bf_expr_source(e), "state.n + 1");
	bf_expr_free(e);
	bf_expr_free(NULL);
}

static void
test_runtime_errors(void)
{
	EV("date_add(\"2024-01-01\", \"x\", \"days\")", "error: type");
	CHECK_STR(msg, "date_add: cannot add \"x\" days to \"2024-01-01\" in expression: "
			  "date_add(\"2024-01-01\", \"x\", \"days\")");
	/* secret values never appear in messages */
	EV("int_parse(secrets.api_key)", "error: value");
	CHECK(strstr(msg, "sk_live_12345") == NULL);
	MSG_HAS("int_parse: cannot cast \"***\" to int");
	EV("secrets.api_key + 1 > 2", "error: type");
	CHECK(strstr(msg, "sk_live_12345") == NULL);
	MSG_HAS("\"***1\"");
	/* nor what authentication made: a token, a sequence's header */
	EV("int_parse(auth.token)", "error: value");
	CHECK(strstr(msg, "at-Token-77") == NULL);
	MSG_HAS("int_parse: cannot cast \"***\" to int");
	EV("int_parse(auth.headers.\"X-Session\")", "error: value");
	CHECK(strstr(msg, "sess-Id-88") == NULL);
	MSG_HAS("int_parse: cannot cast \"***\" to int");
}

static void
test_jmespath_fallback(void)
{
	EV("state.arr[?@ > `1`]", "[2,3]");
	EV("response.json.data[*].id", "[1,2,3]");
	EV("response.json.data[?kind == `\"a\"`].id", "[1,3]");
	EV("state.arr | length(@)", "3");
	EV("abs(state.neg)", "4");
	EV("sort_by(response.json.data, &kind)[-1].id", "2");
	EV("state.obj.*", "[1,[10,20]]");
	/* neither ours nor JMESPath: our error */
	EV("nosuch(state.arr)", "error: unknown function");
	EV("state.arr[?", "error: syntax");
	MSG_HAS("position 11");
	/* a JMESPath run-time error carries the expression */
	EV("abs(state.s)", "error: type");
	MSG_HAS("in expression: abs(state.s)");
}

static void
test_templates(void)
{
	BfError		err;
	BfTemplate *t;

	/* one whole part: the typed value */
	RT("{state.n}", "5");
	RT("{ state.n }", "5");
	RT("  {state.n}\n", "5");
	RT("{state.f}", "2.5");
	RT("{state.arr}", "[1,2,3]");
	RT("{state.missing}", "null");
	RT("{state.t}", "true");
	RT("{1 + 1}", "2");
	RT("{2.0}", "2.0");
	/* otherwise text */
	RT("n={state.n}", "\"n=5\"");
	RT("{state.n}{state.n}", "\"55\"");
	RT("{state.n} ", "5");
	RT("x{state.missing}y", "\"xy\"");
	RT("a={state.arr} o={state.obj}", "\"a=[1,2,3] o={\\\"a\\\":1,\\\"b\\\":[10,20]}\"");
	RT("f={2.0} g={0.1} h={1e20} t={state.t} s={state.s}", "\"f=2 g=0.1 h=100000000000000000000 t=true s=abc\"");
	RT("q={\"quo\\\"te\"}", "\"q=quo\\\"te\"");
	RT("plain text", "\"plain text\"");
	RT("", "\"\"");
	/* JSON object braces are text; parts inside them are found */
	RT("{\"a\": \"{state.n}\"}", "\"{\\\"a\\\": \\\"5\\\"}\"");
	RT("{ \"a\" : 1, \"b\": {state.n}}", "\"{ \\\"a\\\" : 1, \\\"b\\\": 5}\"");
	RT("{}", "\"{}\"");
	RT("{  }", "\"{  }\"");
	/* {{x}} is left alone */
	RT("{{x}}", "\"{{x}}\"");
	RT("{{state.n}} and {state.n}", "\"{{state.n}} and 5\"");
	/* escapes and strings inside parts */
	RT("\\{state.n}", "\"\\\\{state.n}\"");
	RT("{\"}\" + state.s}", "\"}abc\"");
	RT("{\"{\" + state.s}", "\"{abc\"");
	RT("{`}` + state.s}", "\"}abc\"");
	RT("{\"\\\"}\" + state.s}", "\"\\\"}abc\"");
	RT("{object_merge({\"a\": 1}, {\"b\": state.n})}", "{\"a\":1,\"b\":5}");
	RT("x{ {\"a\": state.n}.a }", "\"x5\"");
	/* parts Sling leaves as text: no namespace, no known function */
	RT("{id}", "\"{id}\"");
	RT("/items/{id}/{state.n}", "\"/items/{id}/5\"");
	RT("{foo.bar}", "\"{foo.bar}\"");
	RT("query { users(first: 10) { id name } }", "\"query { users(first: 10) { id name } }\"");
	RT("{invalid_function()}", "\"{invalid_function()}\"");
	RT("{a + * b}", "\"{a + * b}\"");
	RT("{null}", "null");
	RT("{1}", "1");
	/*
	 * a block with braces of its own that is no expression is text, and
	 * the parts inside it are found (FindMatches), even next to a bare
	 * namespace word such as a GraphQL field called state
	 */
	RT("query { customers(first: {state.n}) { edges { node { id address { city } state } } } }",
	   "\"query { customers(first: 5) { edges { node { id address { city } state } } } }\"");
	RT("{ a(q: \"{state.s}\") { b } }", "\"{ a(q: \\\"abc\\\") { b } }\"");
	RT("{ node { id } state }", "\"{ node { id } state }\"");
	RT("{ x { {state.n} } {state.s} }", "\"{ x { 5 } abc }\"");
	/* ... but a block with no braces of its own that names a namespace must compile */
	RT("{ x { state y } }", "error: syntax");
	/* and a nested block that is an expression stays one */
	RT("{ {\"a\": {\"b\": state.n}}.a.b }", "5");
	/* each level is scanned once more, so braces nest 256 deep at most */
	{
		char		deep[4 * 257 + 16];
		char		want[4 * 257 + 16];
		int			k;

		for (k = 0, deep[0] = want[0] = '\0'; k < 256; k++)
			strcat(deep, "{ ");
		strcat(deep, "state.n");
		for (k = 0; k < 256; k++)
			strcat(deep, " }");
		for (k = 0, strcat(want, "\""); k < 255; k++)
			strcat(want, "{ ");
		strcat(want, "5");
		for (k = 0; k < 255; k++)
			strcat(want, " }");
		strcat(want, "\"");
		RT(deep, want);
		memmove(deep + 2, deep, strlen(deep) + 1);
		memcpy(deep, "{ ", 2);
		strcat(deep, " }");
		RT(deep, "error: syntax");
		MSG_HAS("braces nest more than 256 deep");
	}
	/* errors */
	RT("{state.n", "error: syntax");
	CHECK_STR(msg, "syntax error at position 1 in \"{state.n\": unbalanced '{'");
	RT("x {{y", "error: syntax");
	MSG_HAS("position 3");
	RT("ok {\"a\": {state.n}", "\"ok {\\\"a\\\": 5\"");
	RT("{foo(state.x)}", "error: unknown function");
	RT("{state.base_url}/{state.n + * 2}", "error: syntax");
	CHECK_STR(msg, "syntax error at position 29 in \"{state.base_url}/{state.n + * 2}\": "
			  "unexpected '*'");
	RT("{date_add(state.n)}", "error: arity");
	RT("{state.s > 1}", "error: type");
	MSG_HAS("in expression: state.s > 1");
	RT("{'day'}", "\"{'day'}\"");
	RT("{date_format(state.d, '%Y')}", "error: syntax");
	MSG_HAS("cannot use single quotes");
	/* render_text */
	CHECK_STR(text("{state.n}"), "5");
	CHECK_STR(text("{state.arr}"), "[1,2,3]");
	CHECK_STR(text("{state.missing}"), "");
	CHECK_STR(text("{state.s}"), "abc");
	CHECK_STR(text("{state.f}!"), "2.5!");
	CHECK_STR(text("const"), "const");
	CHECK_STR(text("{1/0}"), "error: value");
	/* constant templates and sources */
	t = bf_template_compile("no parts {{here}}", &err);
	CHECK(t != NULL && bf_template_is_constant(t));
	CHECK_STR(bf_template_source(t), "no parts {{here}}");
	bf_template_free(t);
	t = bf_template_compile("{state.n}", &err);
	CHECK(t != NULL && !bf_template_is_constant(t));
	bf_template_free(t);
	t = bf_template_compile("{id}", &err);
	CHECK(t != NULL && bf_template_is_constant(t));
	bf_template_free(t);
	bf_template_free(NULL);
}

static char refs[1024];

static void
collect(const char *path, void *arg)
{
	(void) arg;
	if (refs[0] != '\0')
		strcat(refs, " ");
	strcat(refs, path);
}

static const char *
expr_refs(const char *src)
{
	BfError		err;
	BfExpr	   *e = bf_expr_compile(src, &err);

	refs[0] = '\0';
	if (e == NULL)
		return "compile error";
	bf_expr_visit_refs(e, collect, NULL);
	bf_expr_free(e);
	return refs;
}

static const char *
template_refs(const char *src)
{
	BfError		err;
	BfTemplate *t = bf_template_compile(src, &err);

	refs[0] = '\0';
	if (t == NULL)
		return "compile error";
	bf_template_visit_refs(t, collect, NULL);
	bf_template_free(t);
	return refs;
}

/* The reads whose null nothing handles (bf_expr_visit_required_refs). */
static const char *
required_refs(const char *src, bool is_template)
{
	BfError		err;

	refs[0] = '\0';
	if (is_template)
	{
		BfTemplate *t = bf_template_compile(src, &err);

		if (t == NULL)
			return "compile error";
		bf_template_visit_required_refs(t, collect, NULL);
		bf_template_free(t);
	}
	else
	{
		BfExpr	   *e = bf_expr_compile(src, &err);

		if (e == NULL)
			return "compile error";
		bf_expr_visit_required_refs(e, collect, NULL);
		bf_expr_free(e);
	}
	return refs;
}

static void
test_required_refs(void)
{
	CHECK_STR(required_refs("Bearer {secrets.tokn}", true), "secrets.tokn");
	CHECK_STR(required_refs("{ coalesce(secrets.api_version, \"2023-10-16\") }", true), "");
	CHECK_STR(required_refs("upper(secrets.a) + if(secrets.b, secrets.c, \"\")", false), "secrets.a");
	CHECK_STR(required_refs("secrets.a == null ? \"x\" : secrets.a", false), "");
	CHECK_STR(required_refs("[secrets.a, {\"k\": secrets.b}][0]", false), "secrets.a secrets.b");
	CHECK_STR(required_refs("is_null(secrets.a) || secrets.b", false), "");
	CHECK_STR(required_refs("value(secrets.a, state.b) + state.c", false), "state.c");
	CHECK_STR(required_refs("secrets.a != null", false), "");
	CHECK_STR(required_refs("secrets.a != 1", false), "secrets.a");
	/* a JMESPath expression gives null for what it lacks */
	CHECK_STR(required_refs("state.items | [0].name", false), "");
}

static void
test_refs(void)
{
	CHECK_STR(expr_refs("state.a + sync.b.c + response.json.x[0]"), "state.a sync.b response.json");
	CHECK_STR(expr_refs("state"), "state");
	CHECK_STR(expr_refs("state[\"x-y\"]"), "state.x-y");
	CHECK_STR(expr_refs("state[0]"), "state");
	CHECK_STR(expr_refs("state[sync.k]"), "state sync.k");
	CHECK_STR(expr_refs("1 + 2"), "");
	CHECK_STR(expr_refs("coalesce(context.range_start, sync.last_date, \"x\")"),
			  "context.range_start sync.last_date");
	CHECK_STR(expr_refs("x ? [state.a] : {\"k\": -auth.t}"), "x state.a auth.t");
	CHECK_STR(expr_refs("state.s[state.lo:state.hi]"), "state.s state.lo state.hi");
	CHECK_STR(expr_refs("[1, 2][0].x"), "");
	CHECK_STR(template_refs("{state.base_url}/events/daily/{state.date}"), "state.base_url state.date");
	CHECK_STR(template_refs("Bearer {secrets.api_key}"), "secrets.api_key");
	CHECK_STR(template_refs("{id} {{state.x}}"), "");
	/* JMESPath fallback: names inside filters, after pipes and '&' are not refs */
	CHECK_STR(expr_refs("response.json.data[?kind == `\"a\"`].id"), "response.json");
	CHECK_STR(expr_refs("state.items | [0].name"), "state.items");
	CHECK_STR(expr_refs("sort_by(state.items, &name)"), "state.items");
	CHECK_STR(expr_refs("[state.a, sync.b][?x]"), "state.a sync.b");
	CHECK_STR(expr_refs("{a: state.a, b: sync.b}.a"), "state.a sync.b");
	CHECK_STR(expr_refs("response.json.data[*].id"), "response.json");
	CHECK_STR(expr_refs("state.obj.*"), "state.obj");
}

/* The expressions of reference/sling-backfill.md's three specs. */
static void
test_seed_specs(void)
{
	struct json_object *w;
	struct json_object *v;
	BfError		err;
	BfExpr	   *e;
	const char *daily_over =
	"range(\n"
	"  coalesce(context.range_start, sync.last_date, date_format(date_add(now(), -7, \"day\"), \"%Y-%m-%d\")),\n"
	"  coalesce(context.range_end, date_format(date_add(now(), -1, \"day\"), \"%Y-%m-%d\")),\n"
	"  \"1d\"\n"
	")\n";
	const char *monthly_over =
	"range(\n"
	"  coalesce(context.range_start, sync.last_month, date_format(date_add(now(), -6, \"month\"), \"%Y-%m-01\")),\n"
	"  coalesce(context.range_end, date_format(now(), \"%Y-%m-01\")),\n"
	"  \"1M\"\n"
	")\n";
	const char *orders_over =
	"range(\n"
	"  coalesce(context.range_start, sync.last_order_id, \"1\"),\n"
	"  coalesce(context.range_end, \"999999\"),\n"
	"  \"1000\"\n"
	")\n";

	/* daily_events with range 2024-01-01,2024-01-31 */
	w = json_tokener_parse("{\"context\": {\"range_start\": \"2024-01-01\", \"range_end\": \"2024-01-31\"},"
						   " \"sync\": {}}");
	e = bf_expr_compile(daily_over, &err);
	CHECK(e != NULL);
	v = bf_expr_eval(e, w, &err);
	CHECK(err.kind == BF_OK && json_object_array_length(v) == 31);
	CHECK_STR(json_object_get_string(json_object_array_get_idx(v, 0)), "2024-01-01T00:00:00Z");
	CHECK_STR(json_object_get_string(json_object_array_get_idx(v, 30)), "2024-01-31T00:00:00Z");
	json_object_put(v);
	json_object_put(w);
	/* no range, a sync value: from sync.last_date to yesterday */
	w = json_tokener_parse("{\"context\": {\"range_start\": null, \"range_end\": \"2024-02-03\"},"
						   " \"sync\": {\"last_date\": \"2024-01-30\"}}");
	v = bf_expr_eval(e, w, &err);
	CHECK(err.kind == BF_OK && json_object_array_length(v) == 5);
	json_object_put(v);
	json_object_put(w);
	/* nothing at all: the last seven days, whatever today is */
	w = json_tokener_parse("{}");
	v = bf_expr_eval(e, w, &err);
	CHECK(err.kind == BF_OK && json_object_array_length(v) == 7);
	json_object_put(v);
	json_object_put(w);
	bf_expr_free(e);

	/* its state and url templates */
	w = json_tokener_parse("{\"state\": {\"base_url\": \"https://api.analytics.com/v1\","
						   " \"current_date\": \"2024-01-05T00:00:00Z\"},"
						   " \"secrets\": {\"api_key\": \"k1\"}}");
	CHECK_STR(render_in("{date_format(state.current_date, \"%Y-%m-%d\")}", w), "\"2024-01-05\"");
	json_object_object_add(json_object_object_get(w, "state"), "date",
						   json_object_new_string("2024-01-05"));
	CHECK_STR(render_in("{state.base_url}/events/daily/{state.date}", w),
			  "\"https://api.analytics.com/v1/events/daily/2024-01-05\"");
	CHECK_STR(render_in("Bearer {secrets.api_key}", w), "\"Bearer k1\"");
	CHECK_STR(eval_in("state.date", w), "\"2024-01-05\"");
	json_object_put(w);

	/* monthly_sales with range 2023-07-01,2023-12-31 */
	w = json_tokener_parse("{\"context\": {\"range_start\": \"2023-07-01\", \"range_end\": \"2023-12-31\"}}");
	CHECK_STR(eval_in(monthly_over, w),
			  "[\"2023-07-01T00:00:00Z\",\"2023-08-01T00:00:00Z\",\"2023-09-01T00:00:00Z\","
			  "\"2023-10-01T00:00:00Z\",\"2023-11-01T00:00:00Z\",\"2023-12-01T00:00:00Z\"]");
	json_object_put(w);
	/* a stored sync.last_month of "2023-10" (what the processor saves) reads as a month */
	w = json_tokener_parse("{\"context\": {\"range_end\": \"2023-12-01\"}, \"sync\": {\"last_month\": \"2023-10\"}}");
	CHECK_STR(eval_in(monthly_over, w),
			  "[\"2023-10-01T00:00:00Z\",\"2023-11-01T00:00:00Z\",\"2023-12-01T00:00:00Z\"]");
	json_object_put(w);
	w = json_tokener_parse("{}");
	e = bf_expr_compile(monthly_over, &err);
	v = bf_expr_eval(e, w, &err);
	CHECK(err.kind == BF_OK && json_object_array_length(v) == 7);
	json_object_put(v);
	bf_expr_free(e);
	json_object_put(w);
	w = json_tokener_parse("{\"state\": {\"current_month\": \"2023-07-01T00:00:00Z\"}}");
	CHECK_STR(render_in("{date_format(state.current_month, \"%Y-%m\")}", w), "\"2023-07\"");
	json_object_put(w);

	/* orders_by_id with range 10000,50000 */
	w = json_tokener_parse("{\"context\": {\"range_start\": \"10000\", \"range_end\": \"50000\"}}");
	e = bf_expr_compile(orders_over, &err);
	v = bf_expr_eval(e, w, &err);
	CHECK(err.kind == BF_OK && json_object_array_length(v) == 41);
	CHECK(json_object_get_int64(json_object_array_get_idx(v, 0)) == 10000);
	CHECK(json_object_get_int64(json_object_array_get_idx(v, 1)) == 11000);
	CHECK(json_object_get_int64(json_object_array_get_idx(v, 40)) == 50000);
	CHECK(json_object_is_type(json_object_array_get_idx(v, 0), json_type_int));
	json_object_put(v);
	json_object_put(w);
	/* no range: 1 to 999999 by 1000 */
	w = json_tokener_parse("{}");
	v = bf_expr_eval(e, w, &err);
	CHECK(err.kind == BF_OK && json_object_array_length(v) == 1000);
	CHECK(json_object_get_int64(json_object_array_get_idx(v, 999)) == 999001);
	json_object_put(v);
	json_object_put(w);
	bf_expr_free(e);
	w = json_tokener_parse("{\"state\": {\"start_id\": 10000, \"s\": \"10000\"}}");
	CHECK_STR(render_in("{to_int(state.start_id) + 999}", w), "10999");
	CHECK_STR(render_in("{to_int(state.s) + 999}", w), "10999");
	json_object_put(w);
	CHECK_STR(eval_in("record.order_id", NULL), "null");

	/* the rule of "Best Practices" */
	EV("response.status == 429", "true");

	/* api_suite case 5's next_state, as Sling expects it */
	w = json_tokener_parse("{\"state\": {\"default_limit\": 50, \"max_limit\": 100, \"token\": \"token_456\","
						   " \"has_more\": true, \"max_created\": \"2025-01-10T12:00:00Z\"},"
						   " \"response\": {\"json\": {\"pagination\": {\"next_token\": \"token_456\"}}}}");
	CHECK_STR(render_in("{ coalesce(response.json.pagination.per_page, state.default_limit) }", w), "50");
	CHECK_STR(render_in("{ if(state.has_more, state.token, null) }", w), "\"token_456\"");
	CHECK_STR(render_in("{ date_add(state.max_created, 1, \"second\") }", w), "\"2025-01-10T12:00:01Z\"");
	CHECK_STR(render_in("{ least(coalesce(response.json.pagination.per_page, state.default_limit), state.max_limit) }", w), "50");
	CHECK_STR(render_in("{ substring(state.token, 0, 5) }", w), "\"token\"");
	CHECK_STR(render_in("{ encode_base64(state.token) }", w), "\"dG9rZW5fNDU2\"");
	CHECK_STR(render_in("{ join([\"limit=\", cast(least(state.default_limit, 100), \"string\"), \"&token=\", state.token], \"\") }", w),
			  "\"limit=50&token=token_456\"");
	CHECK_STR(eval_in("!state.has_more || is_null(state.token) || response.json.pagination.next_token == \"token_456\"", w),
			  "true");
	json_object_put(w);
}

/* One compiled expression evaluated many times against changing vars. */
static void
test_reuse(void)
{
	BfError		err;
	BfExpr	   *e = bf_expr_compile("record.id * 2", &err);
	struct json_object *w = json_object_new_object();
	struct json_object *rec = json_object_new_object();
	struct json_object *v;
	int			i;
	bool		ok = true;

	json_object_object_add(w, "record", rec);
	for (i = 0; i < 100; i++)
	{
		json_object_object_add(rec, "id", json_object_new_int(i));
		v = bf_expr_eval(e, w, &err);
		if (json_object_get_int(v) != 2 * i)
			ok = false;
		json_object_put(v);
	}
	CHECK(ok);
	json_object_put(w);
	bf_expr_free(e);
}

/* Calls of the interrupt hook, and after how many it says stop (0: never). */
static int	hook_calls;
static int	hook_stop_after;

static bool
count_hook(void)
{
	hook_calls++;
	return hook_stop_after > 0 && hook_calls >= hook_stop_after;
}

/*
 * BF_EVAL_MAX_BYTES is a total over one evaluation: one full range fits,
 * three do not, even when each is dropped at once, nor across the parts
 * of one template.
 */
static void
test_limits(void)
{
	EV("length(range(1, 1000000))", "1000000");
	EV("length(range(1, 1000000)) + length(range(1, 1000000)) + length(range(1, 1000000))",
	   "error: limit");
	MSG_HAS("BF_EVAL_MAX_BYTES");
	MSG_HAS("256 MB");
	EV("length(range(1, 1000000) + range(1, 1000000))", "error: limit");
	EV("length([range(1, 700000), range(1, 700000), range(1, 700000)])", "error: limit");
	EV("length(join(range(1, 1000000), \",\") + join(range(1, 1000000), \",\"))",
	   "error: limit");
	CHECK_STR(text("{length(range(1, 1000000))} {length(range(1, 1000000))} {length(range(1, 1000000))}"),
			  "error: limit");
	/* each evaluation has its own budget */
	EV("length(range(1, 1000000))", "1000000");
	CHECK_STR(text("{length(range(1, 1000000))} {length(range(1, 1000000))}"),
			  "1000000 1000000");
}

/*
 * The hook is asked while a big value is built; when it says stop, the
 * evaluation frees what it built (ASan's leak check) and fails "canceled".
 */
static void
test_interrupt(void)
{
	bf_expr_set_interrupt(count_hook);
	hook_calls = 0;
	hook_stop_after = 0;
	EV("length(range(1, 1000000))", "1000000");
	CHECK_MSG(hook_calls >= 1000000 / BF_EVAL_CHECK_EVERY, "%d calls", hook_calls);
	hook_calls = 0;
	hook_stop_after = 3;
	EV("length(range(1, 1000000))", "error: canceled");
	MSG_HAS("canceled");
	CHECK(hook_calls == 3);
	hook_calls = 0;
	EV("[range(1, 300000), range(1, 300000), sort(range(1, 300000))]", "error: canceled");
	hook_calls = 0;
	CHECK_STR(text("a{length(range(1, 1000000))}b"), "error: canceled");
	hook_calls = 0;
	CHECK_STR(text("{date_range(\"2000-01-01\", \"2020-01-01\", 1, \"hour\")}"), "error: canceled");
	bf_expr_set_interrupt(NULL);
	EV("length(range(1, 1000000))", "1000000");
}

int
main(void)
{
	vars = json_tokener_parse(fixture);
	CHECK(vars != NULL);
	test_literals();
	test_arithmetic();
	test_plus();
	test_comparison();
	test_logic();
	test_conditional();
	test_in_and_bits();
	test_paths();
	test_slices();
	test_namespaces();
	test_compile_errors();
	test_runtime_errors();
	test_jmespath_fallback();
	test_templates();
	test_refs();
	test_required_refs();
	test_seed_specs();
	test_reuse();
	test_limits();
	test_interrupt();
	json_object_put(vars);
	return UNIT_DONE("expr");
}
