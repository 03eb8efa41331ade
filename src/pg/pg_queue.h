/*-------------------------------------------------------------------------
 *
 * pg_queue.h
 *		  The queues of a statement in a backend, and the producers' runs
 *		  that fill them.
 *
 * Glossary (as in docs/backfill.md): a producer is an endpoint whose
 * processors write a queue.X; a consumer is one whose expressions read
 * one.  Before a run of a consumer starts, its producers run in fill mode:
 * their records go through their processors and de-duplication, fill the
 * queues, and are not returned.  A queue set holds the queues of one
 * statement (or of one backfill_server call), in groups, one per context
 * a producer ran in: the server, the user whose secrets it used, the spec
 * file and the consumer's range and mode.  Within a group each producer
 * runs at most once, however many consumers, runs or rescans read its
 * queues; a consumer whose context differs (another range) has its own
 * group, since a producer's records depend on its range.
 *
 * Items live in a tuplestore per queue, in the backend's memory up to
 * work_mem and in a temp file past it; a set is freed when its statement
 * ends (its last scan ends, or its memory goes on an error, when the
 * resource owner has already closed the files).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_QUEUE_H
#define PG_QUEUE_H

#include "postgres.h"

#include "pg/pg_jsonc.h"

#include "nodes/execnodes.h"

#include "pg/pg_options.h"
#include "runner/runner.h"

typedef struct BfQueueSet BfQueueSet;
typedef struct BfQueueScan BfQueueScan;

/*
 * What one scan's producers did, for EXPLAIN ANALYZE: the fills this scan
 * ran (runs, with their statistics), and the times it found the fill
 * already done by an earlier scan or run of the statement (reused).
 */
typedef struct BfProducerReport
{
	const BfEndpoint *endpoint;
	long		runs;
	long		reused;
	BfRunStats	stats;
} BfProducerReport;

/*
 * The set of a statement, made on first use and shared by every scan of
 * that executor state; each scan that takes it releases it at its end, the
 * last one frees it.
 */
extern BfQueueSet *bf_queue_statement_set(EState *estate);
extern void bf_queue_set_release(BfQueueSet *set);

/*
 * A set of its own, in the current memory context: backfill_server's, in
 * which a table's load of an endpoint fills that endpoint's queues too
 * (bf_queue_scan_new with owns_fill), so that a consumer loaded later
 * finds them filled; records()'s.  Freed by bf_queue_set_release, or with
 * its memory context.
 */
extern BfQueueSet *bf_queue_set_new(void);

/* Does the endpoint read or write a queue, or have producers? */
extern bool bf_queue_used(const BfEndpoint *endpoint);

/*
 * A scan's use of a set, for an endpoint bf_queue_used says uses queues.
 * owns_fill: the scan's own run counts as the endpoint's fill of its
 * queues (backfill_server); else what it writes is dropped, since its
 * consumers fill their queues from runs of their own.
 */
extern BfQueueScan *bf_queue_scan_new(BfQueueSet *set, const BfTableOptions *opts,
									  Oid userid, const BfEndpoint *endpoint,
									  bool owns_fill);

/*
 * Before a run of the scan's endpoint in ctx: run, in fill mode, each of
 * its producers not yet run in ctx's group, in order, then point ctx's
 * queue_ops and queue_store at that group.  A failed producer raises its
 * error, naming it and the consumer.
 */
extern void bf_queue_scan_start(BfQueueScan *qs, const BfSpec *spec, BfRunContext *ctx);

/* The run started last has reached its end: with owns_fill, its fill is done. */
extern void bf_queue_scan_done(BfQueueScan *qs);

/* The scan's producers, [endpoint->producer_count], for EXPLAIN ANALYZE. */
extern const BfProducerReport *bf_queue_scan_producers(const BfQueueScan *qs);

/* Items in the named queue of the group the scan ran in last; -1: none yet. */
extern long bf_queue_scan_count(const BfQueueScan *qs, const char *queue);

/*
 * The stored sync values a producer reads as sync.* (a new reference, or
 * NULL): those of the first foreign table (by OID) of the server whose
 * endpoint it is on the same spec file, the table backfill_server loads it
 * as; none when it has no table, or when userid (whose secrets the run
 * uses) may not read that table, since its sync values are its data.
 */
extern struct json_object *bf_producer_sync(const BfTableOptions *consumer, Oid userid,
											const char *producer);

#endif							/* PG_QUEUE_H */
