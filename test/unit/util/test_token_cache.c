/*
 * test_token_cache.c
 *		Unit tests of token_cache: expiry as of the caller's clock, revoke
 *		keeping the refresh token, drop, the bound on entries (least
 *		recently used first) and keys that tell callers apart.
 */
#include <stdio.h>
#include <stdlib.h>

#include "util/token_cache.h"
#include "unit.h"

/* put key -> (access, refresh, expires_at) */
static void
put(BfTokenCache *c, const char *key, const char *access, const char *refresh, double at)
{
	BfToken		t = {(char *) access, (char *) refresh, at};

	CHECK(bf_token_cache_put(c, key, &t));
}

/* Expiry and the refresh token that outlives the access token. */
static void
test_expiry(void)
{
	BfTokenCache *c = bf_token_cache_new(8);
	BfToken		t;

	CHECK(!bf_token_cache_get(c, "k", 0, &t));
	CHECK(t.access_token == NULL && t.refresh_token == NULL);
	put(c, "k", "at-1", "rt-1", 100);
	CHECK(bf_token_cache_get(c, "k", 99.5, &t));
	CHECK_STR(t.access_token, "at-1");
	CHECK_STR(t.refresh_token, "rt-1");
	CHECK(t.expires_at == 100);
	bf_token_clear(&t);
	CHECK(t.access_token == NULL && t.expires_at == 0);
	/* expired: no access token, the refresh token still there */
	CHECK(bf_token_cache_get(c, "k", 100, &t));
	CHECK(t.access_token == NULL);
	CHECK_STR(t.refresh_token, "rt-1");
	bf_token_clear(&t);
	/* 0 is never */
	put(c, "forever", "at-2", NULL, 0);
	CHECK(bf_token_cache_get(c, "forever", 1e12, &t));
	CHECK_STR(t.access_token, "at-2");
	CHECK(t.refresh_token == NULL);
	bf_token_clear(&t);
	/* a put replaces the entry, not adds one */
	put(c, "k", "at-3", NULL, 200);
	CHECK(bf_token_cache_count(c) == 2);
	CHECK(bf_token_cache_get(c, "k", 150, &t));
	CHECK_STR(t.access_token, "at-3");
	CHECK(t.refresh_token == NULL);
	bf_token_clear(&t);
	bf_token_cache_free(c);
}

/* revoke keeps the refresh token; drop and clear forget everything. */
static void
test_revoke_drop(void)
{
	BfTokenCache *c = bf_token_cache_new(8);
	BfToken		t;

	put(c, "a", "at-a", "rt-a", 0);
	put(c, "b", "at-b", "rt-b", 0);
	bf_token_cache_revoke(c, "a");
	CHECK(bf_token_cache_get(c, "a", 1, &t));
	CHECK(t.access_token == NULL);
	CHECK_STR(t.refresh_token, "rt-a");
	bf_token_clear(&t);
	/* the other key is untouched */
	CHECK(bf_token_cache_get(c, "b", 1, &t));
	CHECK_STR(t.access_token, "at-b");
	bf_token_clear(&t);
	bf_token_cache_drop(c, "a");
	CHECK(!bf_token_cache_get(c, "a", 1, &t));
	CHECK(bf_token_cache_count(c) == 1);
	bf_token_cache_revoke(c, "missing");
	bf_token_cache_drop(c, "missing");
	CHECK(bf_token_cache_count(c) == 1);
	bf_token_cache_clear(c);
	CHECK(bf_token_cache_count(c) == 0);
	CHECK(!bf_token_cache_get(c, "b", 1, &t));
	bf_token_cache_free(c);
	bf_token_cache_free(NULL);
}

/* The bound: the least recently used (put or got) entry goes first. */
static void
test_bound(void)
{
	BfTokenCache *c = bf_token_cache_new(3);
	BfToken		t;
	char		key[16];
	int			i;

	put(c, "k1", "t1", NULL, 0);
	put(c, "k2", "t2", NULL, 0);
	put(c, "k3", "t3", NULL, 0);
	CHECK(bf_token_cache_get(c, "k1", 0, &t));	/* k1 is now the most recent */
	bf_token_clear(&t);
	put(c, "k4", "t4", NULL, 0);
	CHECK(bf_token_cache_count(c) == 3);
	CHECK(!bf_token_cache_get(c, "k2", 0, &t));
	CHECK(bf_token_cache_get(c, "k1", 0, &t));
	CHECK_STR(t.access_token, "t1");
	bf_token_clear(&t);
	for (i = 0; i < 100; i++)
	{
		snprintf(key, sizeof(key), "x%d", i);
		put(c, key, key, key, 0);
	}
	CHECK(bf_token_cache_count(c) == 3);
	CHECK(bf_token_cache_get(c, "x99", 0, &t));
	CHECK_STR(t.access_token, "x99");
	bf_token_clear(&t);
	CHECK(!bf_token_cache_get(c, "x96", 0, &t));
	bf_token_cache_free(c);
}

int
main(void)
{
	test_expiry();
	test_revoke_drop();
	test_bound();
	return UNIT_DONE("token_cache");
}
