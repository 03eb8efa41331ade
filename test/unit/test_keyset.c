/* Unit tests of keyset: first wins, growth keeps every key, distinct hashes. */
#include <stdio.h>

#include "keyset.h"
#include "unit.h"

int
main(void)
{
	BfKeySet   *set = bf_keyset_new();
	char		key[32];
	int			i;
	int			added = 0;
	int			again = 0;

	CHECK(bf_keyset_add(set, "a", 1));
	CHECK(!bf_keyset_add(set, "a", 1));
	CHECK(bf_keyset_add(set, "a\0b", 3));
	CHECK(bf_keyset_count(set) == 2);
	/* 100k keys across many doublings: each is new once, then known */
	for (i = 0; i < 100000; i++)
	{
		snprintf(key, sizeof(key), "2024-01-01-%d", i);
		added += bf_keyset_add(set, key, strlen(key));
	}
	for (i = 0; i < 100000; i++)
	{
		snprintf(key, sizeof(key), "2024-01-01-%d", i);
		again += bf_keyset_add(set, key, strlen(key));
	}
	CHECK_MSG(added == 100000, "added %d", added);
	CHECK_MSG(again == 0, "re-added %d", again);
	CHECK(bf_keyset_count(set) == 100002);
	CHECK(bf_keyset_hash("x1", 2) != bf_keyset_hash("x2", 2));
	CHECK(bf_keyset_hash("", 0) != 0);
	bf_keyset_free(set);
	return UNIT_DONE("keyset");
}
