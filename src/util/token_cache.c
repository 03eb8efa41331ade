/*-------------------------------------------------------------------------
 *
 * token_cache.c
 *		  Access tokens by key, until they expire (token_cache.h).
 *
 * A list in least-recently-used order: a backend holds a few servers and
 * user mappings, so a search is cheaper than a hash table's upkeep, and the
 * bound on entries keeps a session that changes its secrets often from
 * piling up old tokens.  Every secret string is wiped before it is freed.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "util/token_cache.h"

typedef struct Entry
{
	struct Entry *next;
	char	   *key;
	BfToken		tok;
} Entry;

struct BfTokenCache
{
	Entry	   *head;			/* most recently used first */
	int			count;
	int			max_entries;
};

/* Wipe and free a secret string; explicit_bzero is not optimised away. */
static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
bf_token_clear(BfToken *tok)
{
	wipe_free(tok->access_token);
	wipe_free(tok->refresh_token);
	tok->access_token = NULL;
	tok->refresh_token = NULL;
	tok->expires_at = 0;
}

/* A copy of s (NULL stays NULL); false when memory ran out. */
static bool
copy_string(const char *s, char **out)
{
	*out = s != NULL ? strdup(s) : NULL;
	return s == NULL || *out != NULL;
}

BfTokenCache *
bf_token_cache_new(int max_entries)
{
	BfTokenCache *c = calloc(1, sizeof(BfTokenCache));

	if (c != NULL)
		c->max_entries = max_entries > 0 ? max_entries : 1;
	return c;
}

/* The entry of key, moved to the front; NULL when there is none. */
static Entry *
find(BfTokenCache *c, const char *key)
{
	Entry	  **p;

	for (p = &c->head; *p != NULL; p = &(*p)->next)
	{
		Entry	   *e = *p;

		if (strcmp(e->key, key) == 0)
		{
			*p = e->next;
			e->next = c->head;
			c->head = e;
			return e;
		}
	}
	return NULL;
}

static void
entry_free(Entry *e)
{
	bf_token_clear(&e->tok);
	free(e->key);
	free(e);
}

bool
bf_token_cache_get(BfTokenCache *c, const char *key, double now, BfToken *out)
{
	Entry	   *e = find(c, key);
	bool		fresh;

	memset(out, 0, sizeof(BfToken));
	if (e == NULL)
		return false;
	fresh = e->tok.access_token != NULL && (e->tok.expires_at == 0 || now < e->tok.expires_at);
	if (!copy_string(fresh ? e->tok.access_token : NULL, &out->access_token) ||
		!copy_string(e->tok.refresh_token, &out->refresh_token))
	{
		bf_token_clear(out);
		return false;
	}
	out->expires_at = fresh ? e->tok.expires_at : 0;
	return true;
}

bool
bf_token_cache_put(BfTokenCache *c, const char *key, const BfToken *tok)
{
	BfToken		copy = {NULL, NULL, tok->expires_at};
	Entry	   *e;

	if (!copy_string(tok->access_token, &copy.access_token) ||
		!copy_string(tok->refresh_token, &copy.refresh_token))
	{
		bf_token_clear(&copy);
		return false;
	}
	if ((e = find(c, key)) == NULL)
	{
		e = calloc(1, sizeof(Entry));
		if (e == NULL || (e->key = strdup(key)) == NULL)
		{
			free(e);
			bf_token_clear(&copy);
			return false;
		}
		e->next = c->head;
		c->head = e;
		c->count++;
	}
	bf_token_clear(&e->tok);
	e->tok = copy;
	/* over the bound: the least recently used entries go */
	if (c->count > c->max_entries)
	{
		Entry	   *keep = c->head;
		int			n = 1;

		while (n < c->max_entries)
		{
			keep = keep->next;
			n++;
		}
		while (keep->next != NULL)
		{
			Entry	   *gone = keep->next;

			keep->next = gone->next;
			entry_free(gone);
			c->count--;
		}
	}
	return true;
}

void
bf_token_cache_revoke(BfTokenCache *c, const char *key)
{
	Entry	   *e = find(c, key);

	if (e != NULL)
	{
		wipe_free(e->tok.access_token);
		e->tok.access_token = NULL;
		e->tok.expires_at = 0;
	}
}

void
bf_token_cache_drop(BfTokenCache *c, const char *key)
{
	Entry	   *e = find(c, key);

	if (e != NULL)
	{
		c->head = e->next;		/* find put it first */
		entry_free(e);
		c->count--;
	}
}

void
bf_token_cache_clear(BfTokenCache *c)
{
	while (c->head != NULL)
	{
		Entry	   *e = c->head;

		c->head = e->next;
		entry_free(e);
	}
	c->count = 0;
}

int
bf_token_cache_count(const BfTokenCache *c)
{
	return c->count;
}

void
bf_token_cache_free(BfTokenCache *c)
{
	if (c == NULL)
		return;
	bf_token_cache_clear(c);
	free(c);
}
