/*-------------------------------------------------------------------------
 *
 * pg_queue.c
 *		  The queue store of a backend (runner/queue.h's BfQueueOps on
 *		  tuplestores), and the producers' runs in fill mode.
 *
 * A queue is a tuplestore of one bytea column, each item the text of one
 * JSON value and a NUL (so a reader may also treat it as a C string).  A
 * tuplestore keeps its tuples in memory up to work_mem and moves them all
 * to a temp file past it, so a queue of a million ids costs the backend
 * work_mem, not the queue.  Every reader has a read pointer of its own,
 * so two consumers (or two rescans of one) read every item at their own
 * pace; a closed reader's pointer serves the next one.
 *
 * Lifetime: a statement's set lives in a child of the executor state's
 * memory, and its last scan ends it (tuplestore_end closes the temp files)
 * before that memory goes.  Its temp files belong to the resource owner in
 * force when the set was made (the statement's portal, or a subtransaction
 * of records() or IMPORT), and whichever comes first closes them: the end
 * of the set (its last scan, or its memory going), or the release of that
 * owner (an error, a subtransaction's end), which a resource-release
 * callback sees before the owner closes its files itself, so that no file
 * is ever closed twice.  Readers are malloc'd, since the runner frees its
 * own after the set may be gone: the set marks its readers orphaned as it
 * goes, and closing an orphan only frees it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg/pg_jsonc.h"

#include <stdlib.h>

#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "utils/resowner.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "pg/pg_backfill.h"
#include "pg/pg_queue.h"
#include "pg/pg_util.h"

/* One queue of a group (its name first: see named_entry). */
typedef struct BfQueue
{
	char	   *name;
	struct BfQueueGroup *group;
	Tuplestorestate *items;		/* NULL until the first item or reader */
	long		count;
	bool		reading;		/* a reader has opened it: no more appends */
	int		   *free_ptrs;		/* read pointers closed readers left */
	int			nfree;
	int			maxfree;
} BfQueue;

/*
 * A producer's fill of its queues in a group: one enum and one switch
 * (bf_queue_scan_start) say every state it can be in.
 */
typedef enum BfFillState
{
	BF_FILL_PENDING = 0,		/* not run in this group yet */
	BF_FILL_RUNNING,			/* its run is writing the queues now */
	BF_FILL_DONE				/* ran to its end: its queues are full */
} BfFillState;

typedef struct BfFill
{
	char	   *endpoint;		/* first: see named_entry */
	BfFillState state;
} BfFill;

/* The queues and fills of one context (see pg_queue.h). */
typedef struct BfQueueGroup
{
	struct BfQueueSet *set;
	Oid			serverid;
	Oid			userid;
	char	   *spec_path;
	char	   *range_start;
	char	   *range_end;
	char	   *mode;
	List	   *queues;			/* of BfQueue */
	List	   *fills;			/* of BfFill */
} BfQueueGroup;

/*
 * What a run gets as its queue_store: the group it reads, and whether what
 * it writes is kept (a fill) or dropped (a scan whose consumers fill their
 * queues by runs of their own).
 */
typedef struct BfQueueView
{
	BfQueueGroup *group;
	bool		discard;
} BfQueueView;

typedef struct BfQueueReader
{
	dlist_node	node;			/* in its set's readers */
	BfQueue    *queue;			/* NULL: orphaned, its set is gone */
	int			ptr;
	TupleTableSlot *slot;
} BfQueueReader;

struct BfQueueSet
{
	MemoryContext cxt;
	EState	   *estate;			/* the statement's; NULL for a set of its own */
	ResourceOwner owner;		/* its temp files' */
	int			users;
	bool		ended;			/* its tuplestores are closed: it takes no item */
	TupleDesc	desc;			/* (item bytea) */
	List	   *groups;
	dlist_head	readers;
	MemoryContextCallback cb;
	struct BfQueueSet *next;	/* in live_sets */
};

struct BfQueueScan
{
	BfQueueSet *set;
	const BfTableOptions *opts;
	Oid			userid;
	const BfEndpoint *endpoint;
	bool		owns_fill;
	BfQueueGroup *group;		/* of the run started last */
	BfFill	   *own_fill;		/* that run is the endpoint's fill */
	BfQueueView view;
	BfProducerReport *producers;
};

/* The sets of this backend whose memory is not gone yet. */
static BfQueueSet *live_sets = NULL;
static bool release_callback_set = false;

static bool queue_append(void *store, const char *queue, const char *json,
						 size_t len, BfError *err);
static void *queue_open_reader(void *store, const char *queue, long *count,
							   BfError *err);
static const char *queue_read(void *reader, size_t *len, BfError *err);
static void queue_close_reader(void *reader);

static const BfQueueOps pg_queue_ops = {
	queue_append, queue_open_reader, queue_read, queue_close_reader
};

/* Close the set's tuplestores, and with them their temp files. */
static void
end_queues(BfQueueSet *set)
{
	ListCell   *lg;

	foreach(lg, set->groups)
	{
		ListCell   *lq;

		foreach(lq, ((BfQueueGroup *) lfirst(lg))->queues)
		{
			BfQueue    *q = lfirst(lq);

			if (q->items != NULL)
				tuplestore_end(q->items);
			q->items = NULL;
		}
	}
	set->ended = true;
}

/*
 * A resource owner is being released (a statement's end or error, a
 * subtransaction's): before it closes the temp files it holds (in a later
 * phase), close those of the sets it owns through their tuplestores, so
 * that nothing closes them again.
 */
static void
owner_released(ResourceReleasePhase phase, bool isCommit, bool isTopLevel, void *arg)
{
	BfQueueSet *set;

	if (phase != RESOURCE_RELEASE_BEFORE_LOCKS)
		return;
	for (set = live_sets; set != NULL; set = set->next)
	{
		if (set->owner == CurrentResourceOwner && !set->ended)
			end_queues(set);
	}
}

/*
 * The set's memory is going: close its tuplestores if nothing has (their
 * owner is still there, or owner_released would have), forget the set,
 * and orphan its readers.
 */
static void
set_gone(void *arg)
{
	BfQueueSet *set = (BfQueueSet *) arg;
	BfQueueSet **p;
	dlist_mutable_iter it;

	if (!set->ended)
		end_queues(set);
	for (p = &live_sets; *p != NULL; p = &(*p)->next)
	{
		if (*p == set)
		{
			*p = set->next;
			break;
		}
	}
	dlist_foreach_modify(it, &set->readers)
	{
		BfQueueReader *r = dlist_container(BfQueueReader, node, it.cur);

		dlist_delete(&r->node);
		r->queue = NULL;
		r->slot = NULL;
	}
}

/* A new set in a context of its own under parent. */
static BfQueueSet *
set_new(MemoryContext parent, EState *estate)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "backfill_fdw queues",
											  ALLOCSET_DEFAULT_SIZES);
	BfQueueSet *set = MemoryContextAllocZero(cxt, sizeof(BfQueueSet));
	MemoryContext old = MemoryContextSwitchTo(cxt);

	set->cxt = cxt;
	set->estate = estate;
	set->owner = CurrentResourceOwner;
	set->users = 1;
	set->desc = CreateTemplateTupleDesc(1);
	TupleDescInitEntry(set->desc, (AttrNumber) 1, "item", BYTEAOID, -1, 0);
	dlist_init(&set->readers);
	set->cb.func = set_gone;
	set->cb.arg = set;
	MemoryContextRegisterResetCallback(cxt, &set->cb);
	MemoryContextSwitchTo(old);
	if (!release_callback_set)
		RegisterResourceReleaseCallback(owner_released, NULL);
	release_callback_set = true;
	set->next = live_sets;
	live_sets = set;
	return set;
}

BfQueueSet *
bf_queue_statement_set(EState *estate)
{
	BfQueueSet *set;

	for (set = live_sets; set != NULL; set = set->next)
	{
		if (set->estate == estate)
		{
			set->users++;
			return set;
		}
	}
	return set_new(estate->es_query_cxt, estate);
}

BfQueueSet *
bf_queue_set_new(void)
{
	return set_new(CurrentMemoryContext, NULL);
}

void
bf_queue_set_release(BfQueueSet *set)
{
	if (--set->users > 0)
		return;
	MemoryContextDelete(set->cxt);	/* set_gone ends its queues */
}

/* Equal C strings, NULL equal only to NULL. */
static bool
same_text(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static char *
set_strdup(BfQueueSet *set, const char *s)
{
	return s ? MemoryContextStrdup(set->cxt, s) : NULL;
}

/* The group of the scan's context, made on first use. */
static BfQueueGroup *
scan_group(BfQueueScan *qs, const BfRunContext *ctx)
{
	BfQueueSet *set = qs->set;
	BfQueueGroup *g;
	ListCell   *lc;
	MemoryContext old;

	foreach(lc, set->groups)
	{
		g = lfirst(lc);
		if (g->serverid == qs->opts->serverid && g->userid == qs->userid &&
			strcmp(g->spec_path, qs->opts->spec_path) == 0 &&
			same_text(g->range_start, ctx->range_start) &&
			same_text(g->range_end, ctx->range_end) && same_text(g->mode, ctx->mode))
			return g;
	}
	g = MemoryContextAllocZero(set->cxt, sizeof(BfQueueGroup));
	g->set = set;
	g->serverid = qs->opts->serverid;
	g->userid = qs->userid;
	g->spec_path = set_strdup(set, qs->opts->spec_path);
	g->range_start = set_strdup(set, ctx->range_start);
	g->range_end = set_strdup(set, ctx->range_end);
	g->mode = set_strdup(set, ctx->mode);
	old = MemoryContextSwitchTo(set->cxt);
	set->groups = lappend(set->groups, g);
	MemoryContextSwitchTo(old);
	return g;
}

/*
 * The entry of *list whose name (a struct's first field, a char *) is
 * name; absent, a new zeroed one of size bytes with that name in the
 * set's memory, appended, or NULL when !create.
 */
static void *
named_entry(BfQueueSet *set, List **list, const char *name, Size size, bool create)
{
	char	  **entry;
	ListCell   *lc;
	MemoryContext old;

	foreach(lc, *list)
	{
		entry = lfirst(lc);
		if (strcmp(*entry, name) == 0)
			return entry;
	}
	if (!create)
		return NULL;
	entry = MemoryContextAllocZero(set->cxt, size);
	*entry = MemoryContextStrdup(set->cxt, name);
	old = MemoryContextSwitchTo(set->cxt);
	*list = lappend(*list, entry);
	MemoryContextSwitchTo(old);
	return entry;
}

/* The group's fill of endpoint, PENDING (zero) when new. */
static BfFill *
group_fill(BfQueueGroup *g, const char *endpoint)
{
	return named_entry(g->set, &g->fills, endpoint, sizeof(BfFill), true);
}

/* The group's queue of that name; NULL when absent and !create. */
static BfQueue *
group_queue(BfQueueGroup *g, const char *name, bool create)
{
	BfQueue    *q = named_entry(g->set, &g->queues, name, sizeof(BfQueue), create);

	if (q != NULL)
		q->group = g;
	return q;
}

/*
 * The queue's tuplestore, begun on first use in the set's memory and under
 * the set's resource owner (see the file header); an error once the set
 * has ended.
 */
static Tuplestorestate *
queue_items(BfQueue *q)
{
	BfQueueSet *set = q->group->set;

	if (set->ended)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the statement that held it has ended")));
	if (q->items == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(set->cxt);
		ResourceOwner oldowner = CurrentResourceOwner;

		CurrentResourceOwner = set->owner;
		q->items = tuplestore_begin_heap(false, false, work_mem);
		CurrentResourceOwner = oldowner;
		MemoryContextSwitchTo(old);
	}
	return q->items;
}

/*
 * A PostgreSQL error caught inside a BfQueueOps call, which the runner
 * called: the runner cannot be longjmp'd out of, so the error becomes its
 * err, which the caller raises at once when the run fails.
 */
static void
caught_error(MemoryContext cxt, const char *queue, BfError *err)
{
	ErrorData  *ed;

	MemoryContextSwitchTo(cxt);
	ed = CopyErrorData();
	FlushErrorState();
	bf_error_set(err, BF_ERR_LIMIT, "queue.%s: %s", queue, ed->message);
	FreeErrorData(ed);
}

static bool
queue_append(void *store, const char *queue, const char *json, size_t len, BfError *err)
{
	BfQueueView *view = (BfQueueView *) store;
	MemoryContext cxt = CurrentMemoryContext;
	BfQueue    *q;
	volatile bool ok = true;

	if (view->discard)
		return true;
	q = group_queue(view->group, queue, true);
	if (q->reading)
		return bf_error_set(err, BF_ERR_VALUE,
							"queue.%s is being read, and takes no more items", queue);
	PG_TRY();
	{
		MemoryContext old = MemoryContextSwitchTo(view->group->set->cxt);
		bytea	   *item = palloc(VARHDRSZ + len + 1);
		Datum		value = PointerGetDatum(item);
		bool		isnull = false;

		SET_VARSIZE(item, VARHDRSZ + len + 1);
		memcpy(VARDATA(item), json, len);
		VARDATA(item)[len] = '\0';
		tuplestore_putvalues(queue_items(q), view->group->set->desc, &value, &isnull);
		pfree(item);
		q->count++;
		MemoryContextSwitchTo(old);
	}
	PG_CATCH();
	{
		caught_error(cxt, queue, err);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/*
 * A reader from the queue's first item.  The queue takes no more items
 * from now on (a queue nobody wrote is an empty one).
 */
static void *
queue_open_reader(void *store, const char *queue, long *count, BfError *err)
{
	BfQueueView *view = (BfQueueView *) store;
	BfQueueSet *set = view->group->set;
	MemoryContext cxt = CurrentMemoryContext;
	BfQueueReader *r = malloc(sizeof(BfQueueReader));
	BfQueue    *q;
	volatile bool ok = true;

	if (r == NULL)
	{
		bf_error_set(err, BF_ERR_NOMEM, "queue.%s: out of memory", queue);
		return NULL;
	}
	q = group_queue(view->group, queue, true);
	q->reading = true;
	*count = q->count;
	r->queue = q;
	PG_TRY();
	{
		Tuplestorestate *ts = queue_items(q);
		MemoryContext old = MemoryContextSwitchTo(set->cxt);

		r->ptr = (q->nfree > 0) ? q->free_ptrs[--q->nfree]
			: tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);
		tuplestore_select_read_pointer(ts, r->ptr);
		tuplestore_rescan(ts);
		r->slot = MakeSingleTupleTableSlot(set->desc, &TTSOpsMinimalTuple);
		MemoryContextSwitchTo(old);
	}
	PG_CATCH();
	{
		caught_error(cxt, queue, err);
		ok = false;
	}
	PG_END_TRY();
	if (!ok)
	{
		free(r);
		return NULL;
	}
	dlist_push_tail(&set->readers, &r->node);
	return r;
}

static const char *
queue_read(void *reader, size_t *len, BfError *err)
{
	BfQueueReader *r = (BfQueueReader *) reader;
	MemoryContext cxt = CurrentMemoryContext;
	const char *volatile out = NULL;

	if (r->queue == NULL)
	{
		bf_error_set(err, BF_ERR_INTERNAL, "a queue was read after its statement ended");
		return NULL;
	}
	PG_TRY();
	{
		Tuplestorestate *ts = queue_items(r->queue);

		/*
		 * A tuple read back from the temp file is palloc'd in the current
		 * context and freed by the slot at its next store: that must be the
		 * set's, not a context of the caller's that may be reset between.
		 */
		MemoryContext old = MemoryContextSwitchTo(r->queue->group->set->cxt);

		tuplestore_select_read_pointer(ts, r->ptr);
		if (tuplestore_gettupleslot(ts, true, false, r->slot))
		{
			bool		isnull;
			bytea	   *item = DatumGetByteaPP(slot_getattr(r->slot, 1, &isnull));

			*len = VARSIZE_ANY_EXHDR(item) - 1;
			out = VARDATA_ANY(item);
		}
		MemoryContextSwitchTo(old);
	}
	PG_CATCH();
	{
		caught_error(cxt, r->queue->name, err);
	}
	PG_END_TRY();
	return out;
}

/* Give the read pointer back to the queue (unless orphaned), free the reader. */
static void
queue_close_reader(void *reader)
{
	BfQueueReader *r = (BfQueueReader *) reader;
	BfQueue    *q = r->queue;

	if (q != NULL)
	{
		dlist_delete(&r->node);
		if (q->nfree == q->maxfree)
		{
			q->maxfree = Max(4, q->maxfree * 2);
			q->free_ptrs = q->free_ptrs
				? repalloc(q->free_ptrs, q->maxfree * sizeof(int))
				: MemoryContextAlloc(q->group->set->cxt, q->maxfree * sizeof(int));
		}
		q->free_ptrs[q->nfree++] = r->ptr;
		ExecDropSingleTupleTableSlot(r->slot);
	}
	free(r);
}

bool
bf_queue_used(const BfEndpoint *endpoint)
{
	return endpoint->producer_count > 0 || endpoint->queues_read.count > 0 ||
		endpoint->queues_written.count > 0;
}

BfQueueScan *
bf_queue_scan_new(BfQueueSet *set, const BfTableOptions *opts, Oid userid,
				  const BfEndpoint *endpoint, bool owns_fill)
{
	BfQueueScan *qs = palloc0(sizeof(BfQueueScan));

	qs->set = set;
	qs->opts = opts;
	qs->userid = userid;
	qs->endpoint = endpoint;
	qs->owns_fill = owns_fill;
	qs->producers = palloc0(sizeof(BfProducerReport) * Max(1, endpoint->producer_count));
	return qs;
}

struct json_object *
bf_producer_sync(const BfTableOptions *consumer, Oid userid, const char *producer)
{
	ListCell   *lc;

	foreach(lc, bf_server_tables(consumer->serverid))
	{
		BfTableOptions *o = bf_table_options(lfirst_oid(lc));

		if (strcmp(o->endpoint, producer) != 0 ||
			strcmp(o->spec_path, consumer->spec_path) != 0)
			continue;
		/* the stored values are the table's: only its readers see them */
		if (pg_class_aclcheck(o->relid, userid, ACL_SELECT) != ACLCHECK_OK)
			return NULL;
		return bf_stored_sync(o->relid);
	}
	return NULL;
}

/*
 * One producer's fill of its queues in the group: a run in the consumer's
 * context, but with the producer's own sync values, over all of its
 * iterations (a consumer's window is a window of its own iterations), its
 * records dropped once its processors have written the queues.  The run
 * waits in steps and checks for interrupts between them (bf_pull_record),
 * so cancel and statement_timeout stop it as they stop a scan.
 */
static void
run_fill(BfQueueScan *qs, const BfSpec *spec, const BfEndpoint *producer,
		 const BfRunContext *consumer_ctx, BfFill *fill, BfProducerReport *report)
{
	BfRunContext ctx = *consumer_ctx;
	BfQueueView view = {qs->group, false};
	struct json_object *volatile sync = bf_producer_sync(qs->opts, qs->userid,
															  producer->name);
	BfRunner   *volatile runner = NULL;
	char	   *context = psprintf("producer of endpoint \"%s\"", qs->endpoint->name);
	BfError		err;

	ctx.sync = sync;
	ctx.limit = 0;
	ctx.raw_records = false;
	ctx.first_iteration = 0;
	ctx.max_iterations = 0;
	ctx.keep = NULL;
	ctx.keep_arg = NULL;
	ctx.queue_ops = &pg_queue_ops;
	ctx.queue_store = &view;
	fill->state = BF_FILL_RUNNING;
	PG_TRY();
	{
		BfRecord	rec;
		BfRunStats	stats;

		bf_check_secrets(spec, producer, ctx.secrets, qs->opts->serverid);
		bf_error_clear(&err);
		runner = bf_runner_new(spec, producer, &ctx, &err);
		if (runner == NULL)
		{
			bf_error_prefix(&err, "%s", context);
			bf_raise(&err, ctx.secrets);
		}
		while (bf_pull_record_as(runner, ctx.secrets, &rec, context))
			json_object_put(rec.value);
		bf_runner_stats(runner, &stats);
		bf_add_run_stats(&report->stats, &stats);
		report->runs++;
	}
	PG_FINALLY();
	{
		if (runner != NULL)
			bf_runner_free(runner);
		json_object_put(sync);
	}
	PG_END_TRY();
	fill->state = BF_FILL_DONE;
}

void
bf_queue_scan_start(BfQueueScan *qs, const BfSpec *spec, BfRunContext *ctx)
{
	const BfEndpoint *ep = qs->endpoint;
	int			i;

	qs->group = scan_group(qs, ctx);
	for (i = 0; i < ep->producer_count; i++)
	{
		const BfEndpoint *p = ep->producers[i];
		BfFill	   *fill = group_fill(qs->group, p->name);

		qs->producers[i].endpoint = p;
		switch (fill->state)
		{
			case BF_FILL_PENDING:
				run_fill(qs, spec, p, ctx, fill, &qs->producers[i]);
				break;
			case BF_FILL_RUNNING:
				/* an owning load that stopped early: its queues are short */
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("the queues endpoint \"%s\" fills for endpoint \"%s\" are incomplete: its run did not reach its end",
								p->name, ep->name)));
				break;
			case BF_FILL_DONE:
				qs->producers[i].reused++;
				break;
		}
	}
	qs->own_fill = NULL;
	qs->view.group = qs->group;
	qs->view.discard = true;
	if (qs->owns_fill && ep->queues_written.count > 0)
	{
		BfFill	   *fill = group_fill(qs->group, ep->name);

		if (fill->state == BF_FILL_PENDING)
		{
			fill->state = BF_FILL_RUNNING;
			qs->own_fill = fill;
			qs->view.discard = false;
		}
	}
	ctx->queue_ops = &pg_queue_ops;
	ctx->queue_store = &qs->view;
}

void
bf_queue_scan_done(BfQueueScan *qs)
{
	if (qs->own_fill != NULL)
		qs->own_fill->state = BF_FILL_DONE;
	qs->own_fill = NULL;
}

const BfProducerReport *
bf_queue_scan_producers(const BfQueueScan *qs)
{
	return qs->producers;
}

long
bf_queue_scan_count(const BfQueueScan *qs, const char *queue)
{
	BfQueue    *q;

	if (qs->group == NULL)
		return -1;
	q = group_queue(qs->group, queue, false);
	return q ? q->count : 0;
}
