/* Unit tests of bf_error: the message and kind survive, prefixes stack. */
#include "bf_error.h"
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
	return UNIT_DONE("error");
}
