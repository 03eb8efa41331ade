/*-------------------------------------------------------------------------
 *
 * keyset.c
 *		  Open-addressing set of 64-bit key hashes (see keyset.h for why
 *		  hashes and not keys).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "util/keyset.h"

struct BfKeySet
{
	uint64_t   *slots;			/* 0 marks an empty slot */
	size_t		capacity;		/* a power of two */
	size_t		count;
};

#define KEYSET_INITIAL 1024

/*
 * FNV-1a over the bytes, then the splitmix64 finaliser: FNV alone mixes
 * short keys that differ in one trailing digit ("2024-01-01-1", "-2")
 * poorly in its low bits, which are the ones the table indexes by.
 */
uint64_t
bf_keyset_hash(const char *key, size_t len)
{
	uint64_t	h = 1469598103934665603ULL;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		h ^= (unsigned char) key[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h == 0 ? 1 : h;
}

BfKeySet *
bf_keyset_new(void)
{
	BfKeySet   *set = malloc(sizeof(BfKeySet));

	if (set == NULL)
		return NULL;
	set->capacity = KEYSET_INITIAL;
	set->count = 0;
	set->slots = calloc(set->capacity, sizeof(uint64_t));
	if (set->slots == NULL)
	{
		free(set);
		return NULL;
	}
	return set;
}

/* Insert h; true when new.  The caller keeps the load factor under 1/2. */
static bool
insert_hash(uint64_t *slots, size_t capacity, uint64_t h)
{
	size_t		mask = capacity - 1;
	size_t		i = (size_t) h & mask;

	while (slots[i] != 0)
	{
		if (slots[i] == h)
			return false;
		i = (i + 1) & mask;
	}
	slots[i] = h;
	return true;
}

/* Double the table; false (set unchanged) when memory runs out. */
static bool
grow(BfKeySet *set)
{
	size_t		capacity = set->capacity * 2;
	uint64_t   *slots = calloc(capacity, sizeof(uint64_t));
	size_t		i;

	if (slots == NULL)
		return false;
	for (i = 0; i < set->capacity; i++)
	{
		if (set->slots[i] != 0)
			insert_hash(slots, capacity, set->slots[i]);
	}
	free(set->slots);
	set->slots = slots;
	set->capacity = capacity;
	return true;
}

bool
bf_keyset_add(BfKeySet *set, const char *key, size_t len)
{
	uint64_t	h = bf_keyset_hash(key, len);

	if ((set->count + 1) * 2 > set->capacity)
		(void) grow(set);
	if (!insert_hash(set->slots, set->capacity, h))
		return false;
	set->count++;
	return true;
}

size_t
bf_keyset_count(const BfKeySet *set)
{
	return set->count;
}

void
bf_keyset_free(BfKeySet *set)
{
	if (set == NULL)
		return;
	free(set->slots);
	free(set);
}

bool
bf_key_append_part(char **key, size_t *len, size_t *cap, char kind, const char *bytes, size_t n)
{
	uint64_t	n64 = n;
	size_t		need = *len + 1 + sizeof(n64) + n;

	if (need > *cap || *key == NULL)
	{
		size_t		grown = need * 2;
		char	   *p = realloc(*key, grown);

		if (p == NULL)
			return false;
		*key = p;
		*cap = grown;
	}
	(*key)[(*len)++] = kind;
	memcpy(*key + *len, &n64, sizeof(n64));
	*len += sizeof(n64);
	if (n > 0)
		memcpy(*key + *len, bytes, n);
	*len += n;
	return true;
}
