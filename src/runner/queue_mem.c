/*-------------------------------------------------------------------------
 *
 * queue_mem.c
 *		  The in-memory queue store (queue.h): for the unit tests and the
 *		  Sling suite, which run the runner outside a backend.
 *
 * Each queue keeps its items back to back in one buffer, with the offset
 * of each; a reader walks them.  Once a reader is opened the queue takes
 * no more items (Sling's rule: a queue is written, then read), which is
 * also what lets a reader hand out pointers into the buffer: it never
 * moves again.  Everything lives until bf_queue_mem_free.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/queue.h"

typedef struct MemQueue
{
	struct MemQueue *next;
	char	   *name;
	char	   *data;			/* the items' text, back to back */
	size_t		len;
	size_t		cap;
	size_t	   *starts;			/* item i is data[starts[i] .. starts[i + 1]) */
	long		count;
	long		cap_starts;
	bool		reading;		/* a reader was opened: no more appends */
} MemQueue;

typedef struct MemStore
{
	MemQueue   *queues;
} MemStore;

typedef struct MemReader
{
	const MemQueue *queue;
	long		pos;
} MemReader;

/* The queue of that name, created when create says so; NULL if not (or no memory). */
static MemQueue *
mem_queue(MemStore *store, const char *name, bool create)
{
	MemQueue   *q;

	for (q = store->queues; q != NULL; q = q->next)
		if (strcmp(q->name, name) == 0)
			return q;
	if (!create)
		return NULL;
	q = calloc(1, sizeof(MemQueue));
	if (q == NULL || (q->name = strdup(name)) == NULL ||
		(q->starts = malloc(sizeof(size_t) * 16)) == NULL)
	{
		if (q != NULL)
			free(q->name);
		free(q);
		return NULL;
	}
	q->cap_starts = 16;
	q->starts[0] = 0;
	q->next = store->queues;
	store->queues = q;
	return q;
}

/* queue.h: append; refused once the queue is being read. */
static bool
mem_append(void *store, const char *queue, const char *json, size_t len, BfError *err)
{
	MemQueue   *q = mem_queue(store, queue, true);

	if (q == NULL)
		return bf_error_set(err, BF_ERR_NOMEM, "out of memory appending to queue.%s", queue);
	if (q->reading)
		return bf_error_set(err, BF_ERR_VALUE, "queue.%s is being read and takes no more items",
							queue);
	if (q->len + len > q->cap)
	{
		size_t		ncap = q->cap == 0 ? 4096 : q->cap;
		char	   *n;

		while (ncap < q->len + len)
			ncap *= 2;
		n = realloc(q->data, ncap);
		if (n == NULL)
			return bf_error_set(err, BF_ERR_NOMEM, "out of memory appending to queue.%s", queue);
		q->data = n;
		q->cap = ncap;
	}
	if (q->count + 2 > q->cap_starts)
	{
		size_t	   *n = realloc(q->starts, sizeof(size_t) * (size_t) q->cap_starts * 2);

		if (n == NULL)
			return bf_error_set(err, BF_ERR_NOMEM, "out of memory appending to queue.%s", queue);
		q->starts = n;
		q->cap_starts *= 2;
	}
	if (len > 0)
		memcpy(q->data + q->len, json, len);
	q->len += len;
	q->starts[++q->count] = q->len;
	return true;
}

/* queue.h: a reader from the first item; the queue now refuses appends. */
static void *
mem_open_reader(void *store, const char *queue, long *count, BfError *err)
{
	MemQueue   *q = mem_queue(store, queue, true);
	MemReader  *reader = q != NULL ? calloc(1, sizeof(MemReader)) : NULL;

	if (reader == NULL)
	{
		bf_error_set(err, BF_ERR_NOMEM, "out of memory reading queue.%s", queue);
		return NULL;
	}
	q->reading = true;
	reader->queue = q;
	*count = q->count;
	return reader;
}

/* queue.h: the next item, a pointer into the queue's buffer. */
static const char *
mem_read(void *reader, size_t *len, BfError *err)
{
	MemReader  *rd = reader;
	const MemQueue *q = rd->queue;
	long		i = rd->pos;

	(void) err;
	if (i >= q->count)
		return NULL;
	rd->pos++;
	*len = q->starts[i + 1] - q->starts[i];
	return q->data + q->starts[i];
}

static void
mem_close_reader(void *reader)
{
	free(reader);
}

const BfQueueOps bf_queue_mem_ops = {
	mem_append,
	mem_open_reader,
	mem_read,
	mem_close_reader
};

void *
bf_queue_mem_new(void)
{
	return calloc(1, sizeof(MemStore));
}

long
bf_queue_mem_count(void *store, const char *queue)
{
	MemQueue   *q = mem_queue(store, queue, false);

	return q != NULL ? q->count : 0;
}

void
bf_queue_mem_free(void *store)
{
	MemStore   *s = store;

	if (s == NULL)
		return;
	while (s->queues != NULL)
	{
		MemQueue   *q = s->queues;

		s->queues = q->next;
		free(q->name);
		free(q->data);
		free(q->starts);
		free(q);
	}
	free(s);
}
