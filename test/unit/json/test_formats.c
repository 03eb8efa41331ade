/* Unit tests of formats: JSON, JSON lines and CSV bodies, and their errors. */
#include "json/formats.h"
#include "unit.h"

/* Parse and return the compact JSON text (static buffer) or the error. */
static const char *
parse(const char *body, BfFormat format)
{
	static char out[2048];
	BfError		err;
	struct json_object *v;

	bf_error_clear(&err);
	v = bf_parse_body(body, strlen(body), format, &err);
	if (err.kind != BF_OK)
		snprintf(out, sizeof(out), "ERROR %s", err.message);
	else
		snprintf(out, sizeof(out), "%s",
				 json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	json_object_put(v);
	return out;
}

/*
 * RFC 8259 and nothing more: what json-c takes (even in its strict mode)
 * and JSON does not is an error with the byte where it goes wrong.
 */
static void
test_strict_json(void)
{
	static const struct
	{
		const char *body;
		const char *error;
	}			bad[] = {
		{"[1, 2,]", "unexpected character at byte 6"},
		{"{\"a\": 1,}", "expected a member name at byte 8"},
		{"{'a': 1}", "expected a member name at byte 1"},
		{"['a']", "unexpected character at byte 1"},
		{"[NaN]", "unexpected character at byte 1"},
		{"[Infinity]", "unexpected character at byte 1"},
		{"[-Infinity]", "bad number at byte 2"},
		{"[0123]", "expected ',' or the end of a container at byte 2"},
		{"[-01]", "expected ',' or the end of a container at byte 3"},
		{"[1.]", "bad number at byte 3"},
		{"[.5]", "unexpected character at byte 1"},
		{"[+1]", "unexpected character at byte 1"},
		{"/* c */ [1]", "unexpected character at byte 0"},
		{"[1] // c", "unexpected data at byte 4"},
		{"[1, /* c */ 2]", "unexpected character at byte 4"},
		{"[\"a\tb\"]", "control character in a string at byte 3"},
		{"[\"\\x\"]", "bad escape in a string at byte 3"},
		{"[TRUE]", "unexpected character at byte 1"},
		{"{\"a\" 1}", "expected ':' at byte 5"},
	};
	char		want[256];
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		snprintf(want, sizeof(want), "ERROR response is not valid JSON: %s", bad[i].error);
		CHECK_STR(parse(bad[i].body, BF_FORMAT_JSON), want);
	}
	/* what JSON allows still parses, numbers keeping their text */
	CHECK_STR(parse(" [1.0, 1e0, 1E+2, 0.5e-3, \"\\u00e9\", true, null] ", BF_FORMAT_JSON),
			  "[1.0,1e0,1E+2,0.5e-3,\"\xc3\xa9\",true,null]");
	/* a lone surrogate is U+FFFD, as on the fast path (docs/spec-reference.md) */
	CHECK_STR(parse("[\"a\\ud800b\", \"\\udc00\"]", BF_FORMAT_JSON),
			  "[\"a\xef\xbf\xbd" "b\",\"\xef\xbf\xbd\"]");
}

int
main(void)
{
	CHECK(bf_format_detect("application/json; charset=utf-8") == BF_FORMAT_JSON);
	CHECK(bf_format_detect("application/x-ndjson") == BF_FORMAT_JSONLINES);
	CHECK(bf_format_detect("text/csv") == BF_FORMAT_CSV);
	CHECK(bf_format_detect(NULL) == BF_FORMAT_JSON);
	CHECK_STR(bf_format_name(BF_FORMAT_CSV), "csv");

	CHECK_STR(parse("{\"a\": [1, 2]}\n", BF_FORMAT_JSON), "{\"a\":[1,2]}");
	CHECK_STR(parse("42", BF_FORMAT_JSON), "42");
	CHECK_STR(parse("[1] x", BF_FORMAT_JSON),
			  "ERROR response is not valid JSON: unexpected data at byte 4");
	CHECK(strncmp(parse("<html>", BF_FORMAT_JSON), "ERROR response is not valid JSON: ", 34) == 0);
	CHECK(strncmp(parse("{\"a\": ", BF_FORMAT_JSON), "ERROR response is not valid JSON", 32) == 0);

	CHECK_STR(parse("{\"id\":1}\n\n{\"id\":2}\r\n", BF_FORMAT_JSONLINES),
			  "[{\"id\":1},{\"id\":2}]");
	CHECK_STR(parse("{\"id\":1}\n{\"id\":\n", BF_FORMAT_JSONLINES),
			  "ERROR response line 2 is not valid JSON: unexpected end of data at byte 6 of the line");
	CHECK_STR(parse("{\"id\":1}\n{\"id\":2,}\n", BF_FORMAT_JSONLINES),
			  "ERROR response line 2 is not valid JSON: expected a member name at byte 8 of the line");
	CHECK_STR(parse("", BF_FORMAT_JSONLINES), "[]");

	CHECK_STR(parse("id,name\n1,John Doe\r\n2,\"Smith, \"\"J\"\"\"\n", BF_FORMAT_CSV),
			  "[{\"id\":\"1\",\"name\":\"John Doe\"},{\"id\":\"2\",\"name\":\"Smith, \\\"J\\\"\"}]");
	CHECK_STR(parse("\xEF\xBB\xBFid\n7\n\n8", BF_FORMAT_CSV), "[{\"id\":\"7\"},{\"id\":\"8\"}]");
	CHECK_STR(parse("a,b\n\"multi\nline\",x\n", BF_FORMAT_CSV),
			  "[{\"a\":\"multi\\nline\",\"b\":\"x\"}]");
	CHECK_STR(parse("a,b\n1\n", BF_FORMAT_CSV),
			  "ERROR response is not valid CSV: row 2 has 1 fields, the header has 2");
	CHECK_STR(parse("a\n\"open\n", BF_FORMAT_CSV),
			  "ERROR response is not valid CSV: unterminated quoted field in row 2");
	/* found by fuzz_csv: text after a closing quote started a new row */
	CHECK_STR(parse("a,b\n\"x\"y,z\n", BF_FORMAT_CSV),
			  "ERROR response is not valid CSV: data after a closing quote in row 2");
	CHECK_STR(parse("\"a\"\"\"b\"\n1\n", BF_FORMAT_CSV),
			  "ERROR response is not valid CSV: data after a closing quote in row 1");
	CHECK_STR(parse("a,b\n\"x\",\"y\"\r\n", BF_FORMAT_CSV), "[{\"a\":\"x\",\"b\":\"y\"}]");
	test_strict_json();
	return UNIT_DONE("formats");
}
