/*-------------------------------------------------------------------------
 *
 * keyset.h
 *		  A set of record keys for primary_key de-duplication (first wins).
 *
 * A run can see millions of records, and DESIGN §4 wants memory that does
 * not grow with the range more than it must, so the set keeps a 64-bit hash
 * of each key, not the key: 16 bytes a record at most.  Two different keys
 * with the same hash would drop a record; at a million keys the chance is
 * about 3 in 10^8, which is the price of a flat footprint (Sling offers a
 * Bloom filter for the same reason, with a far higher rate).
 *
 * Even 8 bytes a record grow with the range, so a set made by
 * bf_keyset_new_bounded keeps no more than its memory budget in memory:
 * past it, the hashes held go to a temporary file as a sorted run, and a
 * key is new when it is neither in memory nor in any run.  The answer is
 * the same as the unbounded set's for every key, in any order (first
 * wins, across a spill too).  See keyset.c for the runs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYSET_H
#define KEYSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct BfKeySet BfKeySet;

extern BfKeySet *bf_keyset_new(void);

/*
 * A set that holds at most about memory_bytes in memory (0: no bound, as
 * bf_keyset_new) and spills the rest to unlinked temporary files in
 * spill_dir (copied; NULL: $TMPDIR, else /tmp).  A file that cannot be
 * made or written leaves the keys in memory: the set then grows past its
 * budget rather than forget a key.  bf_keyset_free closes every file.
 */
extern BfKeySet *bf_keyset_new_bounded(size_t memory_bytes, const char *spill_dir);

/* Add a key (bytes); true when it was not in the set before. */
extern bool bf_keyset_add(BfKeySet *set, const char *key, size_t len);

extern size_t bf_keyset_count(const BfKeySet *set);

/* Keys held in temporary files, and in how many runs (for tests and EXPLAIN). */
extern size_t bf_keyset_spilled(const BfKeySet *set, int *runs);
extern void bf_keyset_free(BfKeySet *set);

/*
 * A record's primary key is the list of its key members, each appended as
 * a part: its kind, its length and its bytes, so that no two lists make
 * the same key ("a","bc" and "ab","c"; a NUL or separator inside a string).
 * Parts compare as JSON text, never by value: the string "1" and the
 * numbers 1, 1.0 and 1e0 are four keys, as they are four texts in a text
 * column.  *key is malloc'd and grown as needed; false when that fails.
 */
#define BF_KEY_STRING 's'		/* a string's decoded bytes */
#define BF_KEY_JSON 'j'			/* any other value, its JSON text as written */
#define BF_KEY_NULL 'n'			/* null, or no such member */
extern bool bf_key_append_part(char **key, size_t *len, size_t *cap, char kind,
							   const char *bytes, size_t n);

/* The 64-bit hash the set keeps (exposed for the unit tests). */
extern uint64_t bf_keyset_hash(const char *key, size_t len);

#endif							/* KEYSET_H */
