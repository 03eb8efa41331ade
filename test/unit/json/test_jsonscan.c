/*
 * Unit tests of jsonscan: valid and invalid JSON (checked against json-c's
 * verdict on the same text), member walks, unescaping, key comparison.
 */
#include <json-c/json.h>

#include "json/jsonscan.h"
#include "util/utf8.h"
#include "unit.h"

/* Does the scanner accept text as exactly one JSON value? */
static bool
scans(const char *text)
{
	JsScanner	s;
	JsSpan		v;

	js_init(&s, text, strlen(text));
	return js_value(&s, &v) && !js_skip_ws(&s);
}

/* json-c's verdict on the same text, for agreement checks. */
static bool
jsonc_accepts(const char *text)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = json_tokener_parse_ex(tok, text, (int) strlen(text) + 1);
	bool		ok = json_tokener_get_error(tok) == json_tokener_success &&
		json_tokener_get_parse_end(tok) >= strlen(text);

	json_object_put(o);
	json_tokener_free(tok);
	return ok;
}

int
main(void)
{
	static const char *valid[] = {
		"0", "-0", "1.5", "-12.5e+3", "1E9", "\"\"", "\"a\\\"b\\\\c\\/\\u00e9\\ud83d\\ude00\"",
		"true", "false", "null", "[]", "{}", " [1, [2, {\"a\": []}], \"x\"] ",
		"{\"a\": {\"b\": [true, false, null]}, \"c\": -1}", NULL
	};
	static const char *invalid[] = {
		"", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12g4\"",
		"[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":}", "{a: 1}", "[1}", "{\"a\": 1]", "{,}", "[,1]",
		"\"tab\there\"", "[1] x", "{\"a\":1,}", NULL
	};
	JsScanner	s;
	JsSpan		k;
	JsSpan		v;
	char		out[64];
	const char *rec = "{\"id\": 7, \"Name\": \"caf\\u00e9\", \"tags\": [1, {\"x\": 2}], \"n\": null}";
	int			members = 0;
	int			i;
	char		deep[2 * JS_MAX_DEPTH + 8];

	for (i = 0; valid[i]; i++)
	{
		CHECK_MSG(scans(valid[i]), "should accept %s", valid[i]);
		CHECK_MSG(jsonc_accepts(valid[i]), "json-c disagrees on %s", valid[i]);
	}
	for (i = 0; invalid[i]; i++)
		CHECK_MSG(!scans(invalid[i]), "should reject %s", invalid[i]);

	/* walking a record's members, with each value's kind and span */
	js_init(&s, rec, strlen(rec));
	CHECK(js_enter(&s, JS_OBJECT));
	while (js_next(&s, &k, &v))
	{
		members++;
		if (js_key_equals(rec, &k, "id", false))
			CHECK(v.kind == JS_NUMBER && v.end - v.start == 1 && rec[v.start] == '7');
		else if (js_key_equals(rec, &k, "name", true))
		{
			CHECK(!js_key_equals(rec, &k, "name", false));
			CHECK(v.kind == JS_STRING && v.escaped);
			CHECK(js_unescape(rec, &v, out) == 5);
			CHECK_STR(out, "caf\xc3\xa9");
		}
		else if (js_key_equals(rec, &k, "tags", false))
			CHECK(v.kind == JS_ARRAY && memcmp(rec + v.start, "[1, {\"x\": 2}]", v.end - v.start) == 0);
		else
			CHECK(v.kind == JS_NULL);
	}
	CHECK(s.error == NULL);
	CHECK(members == 4);

	/* an array's elements */
	js_init(&s, "[{\"a\":1}, 2 ,\"x\"]", 17);
	CHECK(js_enter(&s, JS_ARRAY));
	members = 0;
	while (js_next(&s, NULL, &v))
		members++;
	CHECK(members == 3 && s.error == NULL);

	/* a surrogate pair and a lone surrogate */
	{
		const char *t = "\"\\ud83d\\ude00|\\ud800\"";

		js_init(&s, t, strlen(t));
		CHECK(js_value(&s, &v));
		CHECK(js_unescape(t, &v, out) == 8);
		CHECK(memcmp(out, "\xf0\x9f\x98\x80|\xef\xbf\xbd", 8) == 0);
	}

	/* js_skip finds a value's end by structure: escaped quotes, brackets in strings */
	{
		const char *t = " {\"a\": \"x\\\"}\", \"b\": [1, {\"c\": \"]\\\\\"}]} , 5";

		js_init(&s, t, strlen(t));
		CHECK(js_skip(&s, &v));
		CHECK(v.kind == JS_OBJECT && v.start == 1 && t[v.end - 1] == '}' && t[v.end] == ' ');
		CHECK(js_value(&s, &v) == false);	/* the scanner is at the comma */
		js_init(&s, "[1, \"a", 7);
		CHECK(!js_skip(&s, &v));
		CHECK_STR(s.error, "unterminated string");
		js_init(&s, "{\"a\": [1}", 10);
		CHECK(!js_skip(&s, &v));
		js_init(&s, " 12.5,", 6);
		CHECK(js_skip(&s, &v) && v.kind == JS_NUMBER && v.end == 5);
	}

	/* the shared \u decoding: pairs join, lone surrogates are U+FFFD */
	{
		size_t		used;

		CHECK(bf_json_escape("00e9", 4, &used) == 0xE9 && used == 4);
		CHECK(bf_json_escape("d83d\\ude00", 10, &used) == 0x1F600 && used == 10);
		CHECK(bf_json_escape("d83d\\ude00", 9, &used) == 0xFFFD && used == 4);	/* pair cut short */
		CHECK(bf_json_escape("d83dx", 5, &used) == 0xFFFD && used == 4);
		CHECK(bf_json_escape("de00", 4, &used) == 0xFFFD);
		CHECK(bf_json_escape("d83d\\u0041", 10, &used) == 0xFFFD && used == 4);
		CHECK(bf_json_escape("12g4", 4, &used) == -1);
		CHECK(bf_json_escape("12", 2, &used) == -1);
	}

	/* nesting past the limit is an error, not a stack overflow */
	memset(deep, '[', JS_MAX_DEPTH + 2);
	memset(deep + JS_MAX_DEPTH + 2, ']', JS_MAX_DEPTH + 2);
	deep[2 * JS_MAX_DEPTH + 4] = '\0';
	js_init(&s, deep, strlen(deep));
	CHECK(!js_value(&s, &v));
	CHECK_STR(s.error, "nested too deeply");
	return UNIT_DONE("jsonscan");
}
