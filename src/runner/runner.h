/*-------------------------------------------------------------------------
 *
 * runner.h
 *		  The endpoint runner: from a spec endpoint and a context to a
 *		  stream of records.
 *
 * The runner owns the endpoint's requests (one request engine, so one
 * libcurl multi handle) and hands out records one at a time as responses
 * complete, so that a scan returns its first row after the first response
 * and holds no more than the responses in flight.  bf_runner_next waits at
 * most max_wait_ms, so the caller can check for query cancel between calls.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RUNNER_H
#define RUNNER_H

#include <json-c/json.h>

#include "util/bf_error.h"
#include "spec/spec.h"
#include "runner/queue.h"
#include "util/token_cache.h"

/* What the caller knows that the spec reads as context.*, sync.*, secrets.* */
typedef struct BfRunContext
{
	const char *range_start;	/* context.range_start, or NULL */
	const char *range_end;		/* context.range_end, or NULL */
	const char *mode;			/* context.mode, or NULL */
	long		limit;			/* context.limit; 0 = none */
	struct json_object *sync;	/* borrowed: the stored sync.* values, or NULL */
	struct json_object *secrets;	/* borrowed: secrets.*, or NULL */
	struct json_object *inputs; /* borrowed: inputs.* (Sling's connection
								 * inputs), or NULL */

	/*
	 * Borrowed, or NULL: Sling's connection-level state, state keys the
	 * server sets (their values as they are, not rendered): over a key of
	 * defaults.state, or as a key of their own that the spec reads.  The
	 * endpoint's own state still renders over them.
	 */
	struct json_object *state_overrides;
	bool		raw_records;	/* the caller takes records as bytes (BfRecord.raw) */
	bool		trace;			/* queue a line per request and retry
								 * (bf_runner_take_trace) */
	long		first_iteration;	/* run iterations of over from this one ... */
	long		max_iterations; /* ... this many of them; 0 = to the end */

	/*
	 * When set, a record (after the processors) that keep refuses is
	 * dropped, and the processors' state outputs, the sync values among
	 * them, do not count it: a cursor then never runs ahead of what the
	 * caller keeps.  Its queue.* outputs are not written either, by the
	 * same rule: a consumer then fetches the children of exactly the
	 * parents the caller keeps (backfill_server loads a producer's target
	 * and its queues in one pass, and they must agree).
	 */
	bool		(*keep) (void *arg, struct json_object *record);
	void	   *keep_arg;

	/*
	 * Where the endpoint's queue.* outputs go and its queue.* reads come
	 * from (queue.h).  NULL ops: an endpoint that reads or writes a queue
	 * fails at bf_runner_new.
	 */
	const BfQueueOps *queue_ops;
	void	   *queue_store;

	/*
	 * The primary_key de-duplication set's memory budget in bytes (past
	 * it, keys spill to temporary files in spill_dir: keyset.h); 0: no
	 * bound.  spill_dir NULL: $TMPDIR, else /tmp.
	 */
	size_t		dedup_memory;
	const char *spill_dir;

	/*
	 * Where oauth2 tokens outlive the run (token_cache.h): the caller's
	 * cache, borrowed, and the scope its keys start with, naming who asks
	 * (in a backend: the server, the role and the user mapping), so that a
	 * token is never handed to another.  NULL cache: the run keeps its
	 * tokens to itself.
	 */
	BfTokenCache *token_cache;
	const char *token_scope;
} BfRunContext;

typedef enum BfRunStatus
{
	BF_RUN_RECORD,				/* *record holds a new reference */
	BF_RUN_WAIT,				/* nothing yet: call again */
	BF_RUN_DONE,				/* the endpoint has no more records */
	BF_RUN_ERROR				/* err says why; the runner is spent */
} BfRunStatus;

/* What EXPLAIN ANALYZE and the run history show. */
typedef struct BfRunStats
{
	long		iterations;		/* values of iterate.over (1 without iterate),
								 * before first_iteration/max_iterations */
	long		iterations_done;	/* of those, the ones this run ended */
	long		requests;
	long		retries;
	long		bytes;
	long		records;
	long		queue_items;	/* items appended to queues (output: queue.X) */
	double		wait_seconds;
} BfRunStats;

/*
 * A record: a json-c value, or, when the caller set raw_records and the
 * endpoint allows it (runner_raw.c), the bytes of a JSON object in a
 * response body, valid until the next call.
 */
typedef struct BfRecord
{
	struct json_object *value;	/* a new reference, or NULL */
	const char *raw;
	size_t		raw_len;
} BfRecord;

typedef struct BfRunner BfRunner;

extern BfRunner *bf_runner_new(const BfSpec *spec, const BfEndpoint *endpoint,
							   const BfRunContext *ctx, BfError *err);
extern BfRunStatus bf_runner_next(BfRunner *runner, int max_wait_ms,
								  struct json_object **record, BfError *err);
/* The same, for a caller that set raw_records: either form may come. */
extern BfRunStatus bf_runner_next_record(BfRunner *runner, int max_wait_ms,
										 BfRecord *record, BfError *err);
extern void bf_runner_stats(const BfRunner *runner, BfRunStats *out);
/* Items the run has appended to queue.<queue> so far (EXPLAIN ANALYZE). */
extern long bf_runner_queue_items(const BfRunner *runner, const char *queue);

/*
 * The oldest warning the run has not handed out yet (a malloc'd string
 * the caller frees, its secrets not yet masked), or NULL.  A warning is
 * something the run worked around, such as a page that repeats the one
 * before it; the caller reports it (a WARNING in a backend).
 */
extern char *bf_runner_take_warning(BfRunner *runner);

/*
 * The request trace, when the context asked for it: the oldest line not
 * handed out yet, or NULL.  A line is one completed request ("GET url:
 * 200, 512 bytes") or one retry scheduled; *detail gets its timing (the
 * time the request took, the time it was queued and what held it, the
 * wait before a retry and why), which varies from run to run where the
 * line does not.  Both are malloc'd, the caller frees them; secrets.* are
 * not masked yet (values made from them are).
 */
extern char *bf_runner_take_trace(BfRunner *runner, char **detail);

/*
 * The values of the endpoint's sync keys as the run left them (aggregated
 * over every record of every page and iteration), as a new json object;
 * keys no processor wrote are absent.
 */
extern struct json_object *bf_runner_sync_values(const BfRunner *runner);

/*
 * The endpoint's state as the run left it, which is what Sling's endpoint
 * State holds after a run (its api_suite's expected_state): the state of
 * the last iteration to end (defaults.state, the endpoint's state, what
 * setup calls wrote, iterate.into, the processors' state.* outputs and the
 * last next_state applied), with the endpoint-wide value of every
 * aggregating processor's key over it, and what teardown calls wrote.
 * Before an iteration has ended: the state setup calls left, else
 * defaults.state.  Iterations running concurrently end in no set order.
 * A new json object.
 */
extern struct json_object *bf_runner_state(const BfRunner *runner);

/*
 * What processors wrote to context.store.* and env.*, each aggregated as
 * its processor says (a new reference).  env.* outputs are kept here and
 * not put in the process environment: a backend must not change its own.
 */
extern struct json_object *bf_runner_store(const BfRunner *runner);
extern struct json_object *bf_runner_env(const BfRunner *runner);

/*
 * Stored sync values updated with a run's: a key whose processor
 * aggregates by maximum (minimum) keeps the larger (smaller) of the two, so
 * backfilling an old range never moves a cursor back; any other key takes
 * the run's value.  Returns a new object.
 */
extern struct json_object *bf_sync_merge(const BfEndpoint *endpoint,
										 struct json_object *stored,
										 struct json_object *fresh);

/*
 * Whether the endpoint's records can come as bytes (BfRecord.raw) to a
 * caller that sets raw_records: nothing in the spec reads them as values
 * (runner_raw.c).
 */
extern bool bf_runner_takes_bytes(const BfEndpoint *endpoint);

/* Order two values as maximum/minimum do: numbers by value, else as text. */
extern int	bf_compare_values(struct json_object *a, struct json_object *b);
extern void bf_runner_free(BfRunner *runner);

#endif							/* RUNNER_H */
