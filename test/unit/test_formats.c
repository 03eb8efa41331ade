/* Unit tests of formats: JSON, JSON lines and CSV bodies, and their errors. */
#include "formats.h"
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
			  "ERROR response line 2 is not valid JSON: unexpected end of data");
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
	return UNIT_DONE("formats");
}
