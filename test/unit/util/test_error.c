/* Unit tests of bf_error: the message and kind survive, prefixes stack. */
#include <json-c/json.h>

#include "util/bf_error.h"
#include "unit.h"

int
main(void)
{
	BfError		err;

	bf_error_clear(&err);
	CHECK(err.kind == BF_OK);
	CHECK(bf_error_set(&err, BF_ERR_TYPE, "bad %s %d", "value", 7) == 0);
	CHECK(err.kind == BF_ERR_TYPE);
	CHECK_STR(err.message, "bad value 7");
	bf_error_prefix(&err, "spec.yaml:%d", 3);
	CHECK_STR(err.message, "spec.yaml:3: bad value 7");
	CHECK(err.kind == BF_ERR_TYPE);
	CHECK(bf_error_set(NULL, BF_ERR_TYPE, "ignored") == 0);

	/* secrets: raw and percent-encoded, every occurrence, short ones left */
	{
		struct json_object *secrets = json_tokener_parse(
			"{\"key\": \"sk live/1\", \"pin\": \"42\", \"n\": 123456}");
		char		msg[BF_ERROR_MAX];

		snprintf(msg, sizeof(msg), "GET /x?k=sk%%20live%%2F1&pin=42: sk live/1 denied (sk live/1), 123456");
		bf_error_mask_secrets(msg, secrets);
		CHECK_STR(msg, "GET /x?k=***&pin=42: *** denied (***), ***");
		bf_error_mask_secrets(msg, NULL);
		CHECK_STR(msg, "GET /x?k=***&pin=42: *** denied (***), ***");
		json_object_put(secrets);
	}
	return UNIT_DONE("error");
}
