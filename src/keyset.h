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
 *-------------------------------------------------------------------------
 */
#ifndef KEYSET_H
#define KEYSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct BfKeySet BfKeySet;

extern BfKeySet *bf_keyset_new(void);

/* Add a key (bytes); true when it was not in the set before. */
extern bool bf_keyset_add(BfKeySet *set, const char *key, size_t len);

extern size_t bf_keyset_count(const BfKeySet *set);
extern void bf_keyset_free(BfKeySet *set);

/* The 64-bit hash the set keeps (exposed for the unit tests). */
extern uint64_t bf_keyset_hash(const char *key, size_t len);

#endif							/* KEYSET_H */
