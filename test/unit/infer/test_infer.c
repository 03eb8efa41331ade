/* Unit tests of infer: value types, widening, ISO shapes, key order. */
#include <stdio.h>
#include <stdlib.h>

#include "infer/infer.h"
#include "unit.h"

/* The type of the JSON text's value. */
static BfInferType
type_of(const char *json)
{
	struct json_object *v = json_tokener_parse(json);
	BfInferType t = bf_infer_value(v);

	json_object_put(v);
	return t;
}

static void
test_values(void)
{
	CHECK(type_of("null") == BF_INFER_NULL);
	CHECK(type_of("true") == BF_INFER_BOOLEAN);
	CHECK(type_of("-42") == BF_INFER_BIGINT);
	CHECK(type_of("9223372036854775807") == BF_INFER_BIGINT);
	/* json-c keeps it as an unsigned integer: too big for bigint */
	CHECK(type_of("9223372036854775808") == BF_INFER_NUMERIC);
	CHECK(type_of("0.25") == BF_INFER_NUMERIC);
	CHECK(type_of("1e-3") == BF_INFER_NUMERIC);
	CHECK(type_of("\"2024-02-29\"") == BF_INFER_DATE);
	CHECK(type_of("\"2023-02-29\"") == BF_INFER_TEXT);
	CHECK(type_of("\"2024-13-01\"") == BF_INFER_TEXT);
	CHECK(type_of("\"0000-01-01\"") == BF_INFER_TEXT);
	CHECK(type_of("\"2024-1-01\"") == BF_INFER_TEXT);
	CHECK(type_of("\"2024-01-02T03:04:05Z\"") == BF_INFER_TIMESTAMPTZ);
	CHECK(type_of("\"2023-12-31T23:59:59.5+02:00\"") == BF_INFER_TIMESTAMPTZ);
	CHECK(type_of("\"2024-01-02 03:04\"") == BF_INFER_TIMESTAMPTZ);
	CHECK(type_of("\"2024-01-02T03:04:05-0530\"") == BF_INFER_TIMESTAMPTZ);
	CHECK(type_of("\"2024-01-02T03:04:05+05\"") == BF_INFER_TIMESTAMPTZ);
	CHECK(type_of("\"2024-01-02T24:00:00Z\"") == BF_INFER_TEXT);
	CHECK(type_of("\"2024-01-02T03:04:05.Z\"") == BF_INFER_TEXT);
	CHECK(type_of("\"2024-01-02T03:04:05+16:00\"") == BF_INFER_TEXT);
	CHECK(type_of("\"2024-01-02T03:04:05 UTC\"") == BF_INFER_TEXT);
	CHECK(type_of("\"2024-01-02T03:04:05Zulu\"") == BF_INFER_TEXT);
	/* epoch digits are not a timestamp here, whatever Sling's auto parse says */
	CHECK(type_of("\"1704067200\"") == BF_INFER_TEXT);
	CHECK(type_of("\"12.50\"") == BF_INFER_TEXT);
	CHECK(type_of("{\"a\": 1}") == BF_INFER_JSONB);
	CHECK(type_of("[]") == BF_INFER_JSONB);
}

static void
test_widen(void)
{
	CHECK(bf_infer_widen(BF_INFER_NULL, BF_INFER_DATE) == BF_INFER_DATE);
	CHECK(bf_infer_widen(BF_INFER_DATE, BF_INFER_NULL) == BF_INFER_DATE);
	CHECK(bf_infer_widen(BF_INFER_BIGINT, BF_INFER_NUMERIC) == BF_INFER_NUMERIC);
	CHECK(bf_infer_widen(BF_INFER_NUMERIC, BF_INFER_BIGINT) == BF_INFER_NUMERIC);
	CHECK(bf_infer_widen(BF_INFER_DATE, BF_INFER_TIMESTAMPTZ) == BF_INFER_TIMESTAMPTZ);
	CHECK(bf_infer_widen(BF_INFER_TIMESTAMPTZ, BF_INFER_DATE) == BF_INFER_TIMESTAMPTZ);
	CHECK(bf_infer_widen(BF_INFER_BIGINT, BF_INFER_TEXT) == BF_INFER_TEXT);
	CHECK(bf_infer_widen(BF_INFER_BOOLEAN, BF_INFER_BIGINT) == BF_INFER_TEXT);
	CHECK(bf_infer_widen(BF_INFER_DATE, BF_INFER_NUMERIC) == BF_INFER_TEXT);
	CHECK(bf_infer_widen(BF_INFER_TEXT, BF_INFER_JSONB) == BF_INFER_JSONB);
	CHECK(bf_infer_widen(BF_INFER_JSONB, BF_INFER_BOOLEAN) == BF_INFER_JSONB);
	CHECK_STR(bf_infer_type_name(BF_INFER_NULL), "text");
	CHECK_STR(bf_infer_type_name(BF_INFER_TIMESTAMPTZ), "timestamptz");
	CHECK_STR(bf_infer_type_name(BF_INFER_JSONB), "jsonb");
}

/* Keys in first-seen order, each with the widest of its types. */
static void
test_sample(void)
{
	static const char *records[] = {
		"{\"id\": 1, \"when\": \"2024-01-01\", \"n\": null, \"x\": {\"deep\": 1}}",
		"{\"late\": true, \"id\": 2.5, \"when\": \"2024-01-01T00:00:00Z\", \"x\": \"s\"}",
		"[1, 2]",
		"{\"n\": null}",
	};
	BfInfer    *inf = bf_infer_new();
	size_t		i;

	CHECK(inf != NULL);
	for (i = 0; i < sizeof(records) / sizeof(records[0]); i++)
	{
		struct json_object *r = json_tokener_parse(records[i]);

		CHECK(bf_infer_add(inf, r));
		json_object_put(r);
	}
	CHECK(inf->records == 4);
	CHECK(inf->non_objects == 1);
	CHECK(inf->count == 5);
	CHECK_STR(inf->keys[0].name, "id");
	CHECK(inf->keys[0].type == BF_INFER_NUMERIC);
	CHECK_STR(inf->keys[1].name, "when");
	CHECK(inf->keys[1].type == BF_INFER_TIMESTAMPTZ);
	CHECK_STR(inf->keys[2].name, "n");
	CHECK(inf->keys[2].type == BF_INFER_NULL);
	CHECK_STR(inf->keys[3].name, "x");
	CHECK(inf->keys[3].type == BF_INFER_JSONB);
	CHECK_STR(inf->keys[4].name, "late");
	CHECK(inf->keys[4].type == BF_INFER_BOOLEAN);
	bf_infer_free(inf);
}

/* Many keys: the index and the array grow together. */
static void
test_growth(void)
{
	BfInfer    *inf = bf_infer_new();
	struct json_object *r = json_object_new_object();
	char		name[16];
	int			i;
	int			ok = 1;

	for (i = 0; i < 100; i++)
	{
		snprintf(name, sizeof(name), "k%d", i);
		json_object_object_add(r, name, json_object_new_int(i));
	}
	CHECK(bf_infer_add(inf, r));
	CHECK(bf_infer_add(inf, r));
	CHECK(inf->count == 100);
	for (i = 0; i < 100; i++)
	{
		snprintf(name, sizeof(name), "k%d", i);
		ok &= strcmp(inf->keys[i].name, name) == 0 && inf->keys[i].type == BF_INFER_BIGINT;
	}
	CHECK(ok);
	json_object_put(r);
	bf_infer_free(inf);
}

int
main(void)
{
	test_values();
	test_widen();
	test_sample();
	test_growth();
	return UNIT_DONE("infer");
}
