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
	/* derived forms: base64, every URL encoding, JSON escapes (issue 15) */
	{
		struct json_object *secrets = json_tokener_parse(
			"{\"pass\": \"p@ss w0rd/x\", \"key\": \"s\\u00e9cret-1\", \"q\": \"q\\\"u\\\\o\","
			" \"pin\": \"42\"}");
		char		msg[BF_ERROR_MAX];

#define MASKED(in, out) \
		do { \
			snprintf(msg, sizeof(msg), "%s", in); \
			bf_error_mask_secrets(msg, secrets); \
			CHECK_STR(msg, out); \
		} while (0)

		/* Basic auth echoed: base64("user:p@ss w0rd/x"), the password at offset 5 */
		MASKED("401: Authorization: Basic dXNlcjpwQHNzIHcwcmQveA== rejected",
			   "401: Authorization: Basic dXNlcj*** rejected");
		/* base64 of the secret alone (encode_base64), and at offset 1 */
		MASKED("got cEBzcyB3MHJkL3g= and c8OpY3JldC0x", "got *** and ***");
		MASKED("b64 eHBAc3MgdzByZC94.", "b64 e***.");
		/* percent-encoded: '+' for a space, upper and lower hex, a mix */
		MASKED("?a=p%40ss+w0rd%2Fx&b=p%40ss%20w0rd%2fx&c=p@ss%20w0rd/x",
			   "?a=***&b=***&c=***");
		MASKED("?k=s%C3%A9cret-1&l=s%c3%a9cret%2D1", "?k=***&l=***");
		/* JSON: \u per character, \u00XX per UTF-8 byte, \/ \" \\ */
		MASKED("{\"e\": \"s\\u00e9cret-1\", \"f\": \"s\\u00c3\\u00a9cret-1\"}",
			   "{\"e\": \"***\", \"f\": \"***\"}");
		MASKED("{\"e\": \"p@ss w0rd\\/x\", \"f\": \"q\\\"u\\\\o\", \"g\": \"\\u0070@ss w0rd/x\"}",
			   "{\"e\": \"***\", \"f\": \"***\", \"g\": \"***\"}");
		/* and what is no secret stays: short ones, near misses, plain text */
		MASKED("pin 42, NDI=, p@ss w0rd/y, s%C3%A9cret-2, Basic dXNlcjpwQHNz",
			   "pin 42, NDI=, p@ss w0rd/y, s%C3%A9cret-2, Basic dXNlcjpwQHNz");
#undef MASKED
		json_object_put(secrets);
	}
	/* a secret of backslashes: its escaped form is found, a near miss ends */
	{
		struct json_object *secrets = json_object_new_object();
		char		secret[64];
		char		msg[BF_ERROR_MAX];

		memset(secret, '\\', 40);
		strcpy(secret + 40, "X");
		json_object_object_add(secrets, "k", json_object_new_string(secret));
		memset(msg, '\\', 80);
		strcpy(msg + 80, "X!");
		bf_error_mask_secrets(msg, secrets);
		CHECK_STR(msg, "***!");
		memset(msg, '\\', 80);
		strcpy(msg + 80, "Y");
		bf_error_mask_secrets(msg, secrets);	/* would take 2^40 steps unbounded */
		CHECK(strlen(msg) == 81 && msg[80] == 'Y');
		json_object_put(secrets);
	}
	return UNIT_DONE("error");
}
