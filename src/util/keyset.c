/*-------------------------------------------------------------------------
 *
 * keyset.c
 *		  Open-addressing set of 64-bit key hashes (see keyset.h for why
 *		  hashes and not keys), spilling to sorted runs in temporary files
 *		  past a memory budget.
 *
 * A bounded set's table grows up to the largest size its budget allows
 * (a doubling briefly holds both tables, so 12 bytes a slot are counted);
 * full there (3/4), its hashes are sorted and written to a new unlinked
 * temporary file, a run, and the table starts empty again.  Runs are
 * merged as a binary counter merges carries: while the run before the
 * newest is at most twice its size, the two become one, so a set of n
 * keys has about log2(n / table) runs and writes each key about as many
 * times.  A run is read through a read-only shared mapping of its file:
 * its pages are the kernel's page cache, which the kernel may drop and
 * read again, not the process's own memory, which is what stays flat.
 * A lookup in a run interpolates (the hashes are uniform), alternating
 * with bisection so that the worst case stays logarithmic.
 *
 * The files are unlinked as soon as they are made, so nothing is left on
 * disk whatever happens to the process; the descriptors and mappings are
 * released by bf_keyset_free, which a backend calls from the memory
 * context callback that frees the runner, on ERROR too.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/keyset.h"

/* A sorted run of hashes in its own temporary file. */
typedef struct KeyRun
{
	int			fd;
	const uint64_t *keys;		/* the file, mapped read-only */
	size_t		n;
} KeyRun;

/* More runs than a 64-bit count of keys can need under the binary-counter rule. */
#define KEYSET_MAX_RUNS 72

struct BfKeySet
{
	uint64_t   *slots;			/* 0 marks an empty slot */
	size_t		capacity;		/* a power of two */
	size_t		count;			/* in the table */
	size_t		max_capacity;	/* the budget's table; 0 = no bound */
	char	   *spill_dir;
	KeyRun		runs[KEYSET_MAX_RUNS];	/* oldest (largest) first */
	int			nruns;
	size_t		spilled;		/* keys in the runs */
};

#define KEYSET_INITIAL 1024

/*
 * Eight bytes at a time (a scan hashes every page's whole body, see
 * repeats_last_page, as well as every key), each word mixed into the state
 * by a multiply and a shift, then the splitmix64 finaliser, so that keys
 * that differ in one trailing digit ("2024-01-01-1", "-2") differ in the
 * low bits the table indexes by.  The length seeds the state, so a key and
 * the same key with NUL bytes after it differ too.  Only this process
 * compares the hashes (runs live in its own unlinked files), so the words'
 * byte order does not matter.
 */
static inline uint64_t
mix_word(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= 0x9fb21c651e98df25ULL;
	return h ^ (h >> 29);
}

uint64_t
bf_keyset_hash(const char *key, size_t len)
{
	uint64_t	h = 1469598103934665603ULL ^ ((uint64_t) len * 0x9e3779b97f4a7c15ULL);
	uint64_t	w;

	for (; len >= 8; key += 8, len -= 8)
	{
		memcpy(&w, key, 8);
		h = mix_word(h, w);
	}
	if (len > 0)
	{
		w = 0;
		memcpy(&w, key, len);
		h = mix_word(h, w);
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
	return bf_keyset_new_bounded(0, NULL);
}

BfKeySet *
bf_keyset_new_bounded(size_t memory_bytes, const char *spill_dir)
{
	BfKeySet   *set = calloc(1, sizeof(BfKeySet));

	if (set == NULL)
		return NULL;
	set->capacity = KEYSET_INITIAL;
	if (memory_bytes > 0)
	{
		/* the largest power of two whose doubling fits: 12 bytes a slot */
		set->max_capacity = KEYSET_INITIAL;
		while (set->max_capacity * 2 * 12 <= memory_bytes)
			set->max_capacity *= 2;
		if (set->capacity > set->max_capacity)
			set->capacity = set->max_capacity;
		if (spill_dir == NULL)
			spill_dir = getenv("TMPDIR");
		set->spill_dir = strdup(spill_dir != NULL && spill_dir[0] != '\0' ? spill_dir : "/tmp");
	}
	set->slots = calloc(set->capacity, sizeof(uint64_t));
	if (set->slots == NULL || (memory_bytes > 0 && set->spill_dir == NULL))
	{
		bf_keyset_free(set);
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

/* Is h in the table? */
static bool
table_has(const BfKeySet *set, uint64_t h)
{
	size_t		mask = set->capacity - 1;
	size_t		i = (size_t) h & mask;

	while (set->slots[i] != 0)
	{
		if (set->slots[i] == h)
			return true;
		i = (i + 1) & mask;
	}
	return false;
}

/* Is h in the sorted run? Interpolation, every other step a bisection. */
static bool
run_has(const KeyRun *run, uint64_t h)
{
	const uint64_t *k = run->keys;
	size_t		lo = 0;
	size_t		hi = run->n;	/* the half-open range that may hold h */
	bool		bisect = false;

	while (lo < hi)
	{
		size_t		probe;

		if (h < k[lo] || h > k[hi - 1])
			return false;
		if (bisect || k[hi - 1] == k[lo])
			probe = lo + (hi - lo) / 2;
		else
			probe = lo + (size_t) ((double) (h - k[lo]) / (double) (k[hi - 1] - k[lo]) *
								   (double) (hi - 1 - lo));
		if (probe >= hi)
			probe = hi - 1;
		if (k[probe] == h)
			return true;
		if (k[probe] < h)
			lo = probe + 1;
		else
			hi = probe;
		bisect = !bisect;
	}
	return false;
}

static int
compare_hashes(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *) a;
	uint64_t	y = *(const uint64_t *) b;

	return x < y ? -1 : x > y;
}

/*
 * Sort n hashes: a radix sort, a byte a pass, through a buffer as large as
 * the keys (which qsort's merge sort would take as well), several times
 * faster than comparisons for a table's worth of uniform hashes; qsort
 * when that buffer cannot be had.
 */
static void
sort_hashes(uint64_t *keys, size_t n)
{
	uint64_t   *tmp = n > 1 ? malloc(n * sizeof(uint64_t)) : NULL;
	uint64_t   *from = keys;
	uint64_t   *to = tmp;
	int			shift;

	if (tmp == NULL)
	{
		qsort(keys, n, sizeof(uint64_t), compare_hashes);
		return;
	}
	for (shift = 0; shift < 64; shift += 8)
	{
		size_t		count[256] = {0};
		size_t		pos = 0;
		size_t		i;
		uint64_t   *swap;

		for (i = 0; i < n; i++)
			count[(from[i] >> shift) & 0xff]++;
		for (i = 0; i < 256; i++)
		{
			size_t		c = count[i];

			count[i] = pos;
			pos += c;
		}
		for (i = 0; i < n; i++)
			to[count[(from[i] >> shift) & 0xff]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	/* eight passes: the sorted keys are back in keys */
	free(tmp);
}

/* Write all of buf to fd; false on an error. */
static bool
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0)
	{
		ssize_t		w = write(fd, p, len);

		if (w <= 0)
			return false;
		p += w;
		len -= (size_t) w;
	}
	return true;
}

/* A new unlinked temporary file in the spill directory, or -1. */
static int
temp_file(const BfKeySet *set)
{
	size_t		len = strlen(set->spill_dir) + sizeof("/bf_keyset.XXXXXX");
	char	   *path = malloc(len);
	int			fd;

	if (path == NULL)
		return -1;
	snprintf(path, len, "%s/bf_keyset.XXXXXX", set->spill_dir);
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	free(path);
	return fd;
}

/* Map a written run's file; false (the file closed) when that fails. */
static bool
map_run(KeyRun *run)
{
	void	   *m = run->n == 0 ? NULL :
		mmap(NULL, run->n * sizeof(uint64_t), PROT_READ, MAP_SHARED, run->fd, 0);

	if (m == MAP_FAILED)
	{
		close(run->fd);
		return false;
	}
	run->keys = m;
	return true;
}

/* Release a run: its mapping and file, or its memory when it has no file. */
static void
free_run(KeyRun *run)
{
	if (run->fd < 0)
		free((void *) run->keys);
	else
	{
		if (run->keys != NULL)
			munmap((void *) run->keys, run->n * sizeof(uint64_t));
		close(run->fd);
	}
}

/* Merge two sorted runs into a new one (disjoint: a key is never added twice). */
static bool
merge_runs(const BfKeySet *set, const KeyRun *a, const KeyRun *b, KeyRun *out)
{
	uint64_t	buf[8192];		/* 64 kB written at a time */
	size_t		i = 0;
	size_t		j = 0;
	size_t		n = 0;

	out->fd = temp_file(set);
	out->keys = NULL;
	out->n = a->n + b->n;
	if (out->fd < 0)
		return false;
	while (i < a->n || j < b->n)
	{
		buf[n++] = (j >= b->n || (i < a->n && a->keys[i] < b->keys[j])) ?
			a->keys[i++] : b->keys[j++];
		if ((n == sizeof(buf) / sizeof(buf[0]) || (i >= a->n && j >= b->n)) &&
			!write_all(out->fd, buf, n * sizeof(uint64_t)))
		{
			close(out->fd);
			return false;
		}
		if (n == sizeof(buf) / sizeof(buf[0]))
			n = 0;
	}
	return map_run(out);
}

/*
 * Move the table's hashes to a new run and empty it, then merge runs as
 * the file header says.  False, with the set unchanged, when no file can
 * be made; when the run cannot be written, it stays in memory instead (a
 * run without a file), so that no key is lost; a failed merge only
 * leaves more runs.
 */
static bool
spill(BfKeySet *set)
{
	KeyRun	   *run;
	size_t		i;
	size_t		n = 0;

	if (set->nruns >= KEYSET_MAX_RUNS)
		return false;
	run = &set->runs[set->nruns];
	if ((run->fd = temp_file(set)) < 0)
		return false;
	/* the table's hashes, packed at its start and sorted: the run */
	for (i = 0; i < set->capacity; i++)
	{
		if (set->slots[i] != 0)
			set->slots[n++] = set->slots[i];
	}
	sort_hashes(set->slots, n);
	run->n = n;
	run->keys = NULL;
	set->spilled += n;
	set->count = 0;
	set->nruns++;
	if (write_all(run->fd, set->slots, n * sizeof(uint64_t)) && map_run(run))
		memset(set->slots, 0, set->capacity * sizeof(uint64_t));
	else
	{
		/* no file: the packed table is the run, and a new table starts */
		if (run->fd >= 0 && run->keys == NULL)
			close(run->fd);
		run->fd = -1;
		run->keys = set->slots;
		set->slots = calloc(set->capacity, sizeof(uint64_t));
		return true;
	}
	while (set->nruns >= 2 && set->runs[set->nruns - 2].n <= 2 * set->runs[set->nruns - 1].n)
	{
		KeyRun		merged;

		if (!merge_runs(set, &set->runs[set->nruns - 2], &set->runs[set->nruns - 1], &merged))
			break;
		free_run(&set->runs[set->nruns - 2]);
		free_run(&set->runs[set->nruns - 1]);
		set->runs[set->nruns - 2] = merged;
		set->nruns--;
	}
	return true;
}

bool
bf_keyset_add(BfKeySet *set, const char *key, size_t len)
{
	uint64_t	h = bf_keyset_hash(key, len);
	int			i;

	/* no memory for a table: keep the record rather than lose it */
	if (set->slots == NULL)
		return true;
	/* in the table first: a spill below would move it to a run */
	if (set->max_capacity > 0 && table_has(set, h))
		return false;
	for (i = 0; i < set->nruns; i++)
	{
		if (run_has(&set->runs[i], h))
			return false;
	}
	if (set->max_capacity > 0 && set->capacity >= set->max_capacity &&
		(set->count + 1) * 4 > set->capacity * 3)
	{
		/* full at its budget: spill, or (no file) grow past it */
		if (!spill(set))
			(void) grow(set);
	}
	else if ((set->count + 1) * 2 > set->capacity &&
			 (set->max_capacity == 0 || set->capacity < set->max_capacity))
		(void) grow(set);
	if (set->slots == NULL)
		return true;
	if (!insert_hash(set->slots, set->capacity, h))
		return false;
	set->count++;
	return true;
}

size_t
bf_keyset_count(const BfKeySet *set)
{
	return set->count + set->spilled;
}

size_t
bf_keyset_spilled(const BfKeySet *set, int *runs)
{
	if (runs != NULL)
		*runs = set->nruns;
	return set->spilled;
}

void
bf_keyset_free(BfKeySet *set)
{
	int			i;

	if (set == NULL)
		return;
	for (i = 0; i < set->nruns; i++)
		free_run(&set->runs[i]);
	free(set->slots);
	free(set->spill_dir);
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
