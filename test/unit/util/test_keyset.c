/*
 * Unit tests of keyset: first wins, growth keeps every key, distinct hashes;
 * a bounded set spills to runs and answers as the unbounded one does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

/*
 * A set bounded to 16 kB (a table of 1024 slots, 768 keys, then a run)
 * against an unbounded one: 50k keys in a shuffled order with every third
 * one repeated at once and again much later, across many spills and
 * merges; both give the same answer for every add (first wins), the
 * bounded table never grows past its budget, and freeing it closes every
 * file.  A directory that cannot take files keeps the keys in memory.
 */
static void
test_bounded(void)
{
	int			fds = unit_count_fds();
	BfKeySet   *plain = bf_keyset_new();
	BfKeySet   *bounded = bf_keyset_new_bounded(16 * 1024, NULL);
	char		key[32];
	int			runs = -1;
	int			differ = 0;
	int			fresh = 0;
	int			i;
	int			pass;

	for (pass = 0; pass < 2; pass++)
	{
		for (i = 0; i < 50000; i++)
		{
			int			k = (int) (((long) i * 7919) % 50000);	/* a permutation */
			int			rep;

			for (rep = 0; rep < (k % 3 == 0 ? 2 : 1); rep++)
			{
				bool		a;
				bool		b;

				snprintf(key, sizeof(key), "k%d", k);
				a = bf_keyset_add(plain, key, strlen(key));
				b = bf_keyset_add(bounded, key, strlen(key));
				differ += a != b;
				fresh += b;
			}
		}
	}
	CHECK_MSG(differ == 0, "%d answers differ", differ);
	CHECK_MSG(fresh == 50000, "%d new", fresh);
	CHECK(bf_keyset_count(bounded) == 50000);
	CHECK(bf_keyset_spilled(bounded, &runs) > 40000);
	/* about log2(50000 / 768) runs, never one a spill */
	CHECK_MSG(runs >= 1 && runs <= 8, "%d runs", runs);
	CHECK(fds < 0 || unit_count_fds() == fds + runs);
	bf_keyset_free(bounded);
	bf_keyset_free(plain);
	CHECK(fds < 0 || unit_count_fds() == fds);

	/* no file can be made: the keys stay in memory, none is forgotten */
	bounded = bf_keyset_new_bounded(16 * 1024, "/nonexistent/dir");
	fresh = 0;
	for (i = 0; i < 5000; i++)
	{
		snprintf(key, sizeof(key), "k%d", i);
		fresh += bf_keyset_add(bounded, key, strlen(key));
		fresh -= bf_keyset_add(bounded, key, strlen(key));
	}
	CHECK(fresh == 5000);
	CHECK(bf_keyset_spilled(bounded, &runs) == 0 && runs == 0);
	CHECK(bf_keyset_count(bounded) == 5000);
	bf_keyset_free(bounded);
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
	test_bounded();
	return UNIT_DONE("keyset");
}
