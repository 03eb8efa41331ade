/* Unit tests of suggest: distance with swaps, limits by length, no modifiers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/suggest.h"
#include "unit.h"

int
main(void)
{
	static const char *const keys[] = {"last_updated", "cursor", "+setup", "", "id", NULL};
	static const char *const mods[] = {"+setup", "setup+", NULL};

	CHECK(bf_edit_distance("abc", "abc") == 0);
	CHECK(bf_edit_distance("abc", "acb") == 1);	/* a swap is one edit */
	CHECK(bf_edit_distance("ABC", "abc") == 0);	/* case-blind */
	CHECK(bf_edit_distance("", "abc") == 3);
	CHECK(bf_edit_distance("kitten", "sitting") == 3);
	CHECK(strcmp(bf_suggest("last_updatd", keys), "last_updated") == 0);
	CHECK(strcmp(bf_suggest("cursr", keys), "cursor") == 0);
	CHECK(strcmp(bf_suggest("di", keys), "id") == 0);
	CHECK(bf_suggest("cusr", keys) == NULL);	/* 2 edits on a short word: no */
	CHECK(bf_suggest("setup", mods) == NULL);	/* modifiers are never offered */
	CHECK(bf_suggest("x", keys) == NULL);
	return UNIT_DONE("suggest");
}
