/* Unit tests of keyset: first wins, growth keeps every key, distinct hashes. */
#include <stdio.h>
#include <stdlib.h>

#include "util/keyset.h"
#include "unit.h"

/* A key of parts, each given as kind and NUL-terminated text. */
static size_t
key_of(char **key, size_t *cap, const char *parts[][2], int n)
{
	size_t		len = 0;
	int			i;

	for (i = 0; i < n; i++)
		CHECK(bf_key_append_part(key, &len, cap, parts[i][0][0], parts[i][1],
								 parts[i][1] ? strlen(parts[i][1]) : 0));
	return len;
}

/*
 * Keys of parts: kinds and boundaries tell apart what one joined string
 * would not (issue 15: "1", 1, 1.0 and 1e0 were one key).
 */
static void
test_parts(void)
{
	BfKeySet   *set = bf_keyset_new();
	char	   *key = NULL;
	size_t		cap = 0;
	size_t		len;
	static const char *one_s[][2] = {{"s", "1"}};
	static const char *one_j[][2] = {{"j", "1"}};
	static const char *one_f[][2] = {{"j", "1.0"}};
	static const char *one_e[][2] = {{"j", "1e0"}};
	static const char *a_bc[][2] = {{"s", "a"}, {"s", "bc"}};
	static const char *ab_c[][2] = {{"s", "ab"}, {"s", "c"}};
	static const char *sep[][2] = {{"s", "a\x1f"}, {"s", "b"}};
	static const char *sep2[][2] = {{"s", "a"}, {"s", "\x1f" "b"}};
	static const char *null_[][2] = {{"n", NULL}};
	static const char *empty[][2] = {{"s", ""}};

	len = key_of(&key, &cap, one_s, 1);
	CHECK(bf_keyset_add(set, key, len));
	len = key_of(&key, &cap, one_j, 1);
	CHECK(bf_keyset_add(set, key, len));
	len = key_of(&key, &cap, one_f, 1);
	CHECK(bf_keyset_add(set, key, len));
	len = key_of(&key, &cap, one_e, 1);
	CHECK(bf_keyset_add(set, key, len));
	len = key_of(&key, &cap, one_f, 1);
	CHECK(!bf_keyset_add(set, key, len));
	len = key_of(&key, &cap, a_bc, 2);
	CHECK(bf_keyset_add(set, key, len));
	len = key_of(&key, &cap, ab_c, 2);
	CHECK(bf_keyset_add(set, key, len));
	len = key_of(&key, &cap, sep, 2);
	CHECK(bf_keyset_add(set, key, len));
	len = key_of(&key, &cap, sep2, 2);
	CHECK(bf_keyset_add(set, key, len));
	len = key_of(&key, &cap, null_, 1);
	CHECK(bf_keyset_add(set, key, len));
	len = key_of(&key, &cap, empty, 1);
	CHECK(bf_keyset_add(set, key, len));
	/* bytes after a NUL count */
	len = 0;
	CHECK(bf_key_append_part(&key, &len, &cap, BF_KEY_STRING, "a\0x", 3));
	CHECK(bf_keyset_add(set, key, len));
	len = 0;
	CHECK(bf_key_append_part(&key, &len, &cap, BF_KEY_STRING, "a\0y", 3));
	CHECK(bf_keyset_add(set, key, len));
	CHECK(bf_keyset_count(set) == 12);
	free(key);
	bf_keyset_free(set);
}

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
	test_parts();
	return UNIT_DONE("keyset");
}
