/*-------------------------------------------------------------------------
 *
 * pg_backfill.h
 *		  How backfill_into hands a run to the foreign scan, and takes its
 *		  result back.
 *
 * backfill_into loads a range by executing, through SPI,
 *
 *	  INSERT INTO target (...) SELECT ... FROM foreign_table
 *	  ON CONFLICT (primary key) DO UPDATE SET ...
 *
 * so that records become rows exactly as in a SELECT (same conversion,
 * same streaming, same cancel), and the upsert is PostgreSQL's own.  Around
 * that statement it sets bf_active_run: the scan of that foreign table
 * then takes its context (range, mode, sync values, window of iterations)
 * from the request instead of from a WHERE clause, and, when it has run to
 * the end, leaves the run's statistics and final sync values in it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_BACKFILL_H
#define PG_BACKFILL_H

#include "postgres.h"

#include "pg/pg_jsonc.h"

#include "runner/runner.h"

typedef struct BfRunRequest
{
	Oid			relid;			/* the foreign table whose scan this is for */
	BfRunContext ctx;			/* range, mode, sync, window (secrets: the scan's) */
	/* the scan's runner while it exists, so a failed run's stats can be read */
	BfRunner   *runner;
	/* set by the scan when the endpoint is done */
	bool		finished;
	BfRunStats	stats;
	struct json_object *sync_out;	/* new reference: the run's sync values */
	/* backfill_server's queues, which this load fills; NULL: the statement's */
	struct BfQueueSet *queues;
} BfRunRequest;

/* The run in progress in this backend, or NULL; see above. */
extern BfRunRequest *bf_active_run;

/*
 * The sync values stored for foreign table relid (a new json-c reference),
 * or NULL when it has none: what a plain SELECT gives the spec as sync.*.
 */
extern struct json_object *bf_stored_sync(Oid relid);

/*
 * backfill_fdw.progress_interval: the least time in ms between two
 * progress NOTICEs of a backfill (-1: none; 0: at every iteration ended).
 */
extern int	bf_progress_interval;

/*
 * The progress NOTICE of backfill_into and CALL backfill: iterations
 * ended of the total, rows, requests, retries, in the message, the rates
 * in DETAIL, when an iteration ended since the last one (or, as a run
 * ends, rows came) and the interval has passed (counted from the statement's first run, so a short backfill
 * says nothing).  The scan calls it as it hands out rows and when its run
 * is over (run_over), with its runner and the run's first iteration; the
 * windows of one CALL add up, since they share its statement.
 */
extern void bf_backfill_progress(Oid relid, const char *relname, BfRunner *runner,
								 long first_iteration, bool run_over);

#endif							/* PG_BACKFILL_H */
