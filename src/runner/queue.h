/*-------------------------------------------------------------------------
 *
 * queue.h
 *		  The queues that join endpoints: what a processor with
 *		  "output: queue.X" writes and "iterate.over: queue.X" reads.
 *
 * A queue is an append-only list of JSON values, named by the spec, that
 * lives as long as its store: a statement for a SELECT, a call for
 * backfill_server.  The runner does not own the storage: the caller hands
 * it a store through BfQueueOps, so that a backend keeps queues in its
 * temp files (spilling past work_mem, freed by the resource owner) while
 * the unit tests and the Sling suite keep them in memory (bf_queue_mem).
 * As in Sling, once a queue is being read it takes no more items.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BF_QUEUE_H
#define BF_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/bf_error.h"

typedef struct BfQueueOps
{
	/*
	 * Append one item, the text of one JSON value, to the named queue
	 * (created on first use).  False with err set when the store cannot
	 * take it (the queue is being read, the disk is full).
	 */
	bool		(*append) (void *store, const char *queue, const char *json,
						   size_t len, BfError *err);

	/*
	 * Start reading the named queue from its first item; *count is its
	 * number of items (0 for a queue nobody wrote).  Returns a reader, or
	 * NULL with err set.  From now on the queue refuses appends.
	 */
	void	   *(*open_reader) (void *store, const char *queue, long *count,
								BfError *err);

	/*
	 * The next item's JSON text, valid until the next call on this reader,
	 * with *len its length; NULL at the end (err untouched) or on failure
	 * (err set).
	 */
	const char *(*read) (void *reader, size_t *len, BfError *err);

	void		(*close_reader) (void *reader);
} BfQueueOps;

/* The in-memory store, for callers outside a backend (tests, the Sling suite). */
extern const BfQueueOps bf_queue_mem_ops;
extern void *bf_queue_mem_new(void);
extern long bf_queue_mem_count(void *store, const char *queue);
extern void bf_queue_mem_free(void *store);

#endif							/* BF_QUEUE_H */
