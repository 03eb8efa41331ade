/*-------------------------------------------------------------------------
 *
 * pg_tools.h
 *		  Running an endpoint as backfill_fdw.records() does, for the other
 *		  PostgreSQL-facing modules (IMPORT FOREIGN SCHEMA's sample).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_TOOLS_H
#define PG_TOOLS_H

#include "postgres.h"

#include "pg/pg_jsonc.h"

#include "foreign/foreign.h"

#include "runner/runner.h"
#include "spec/spec.h"

/* An endpoint being run; pull its records with bf_pull_record. */
typedef struct BfRecordsRun
{
	BfSpec	   *spec;
	BfRunner   *runner;
	struct json_object *secrets;
	struct json_object *overrides;
	struct json_object *inputs;
	MemoryContextCallback release_cb;
} BfRecordsRun;

/*
 * The backfill_fdw server named servername, which the caller must have
 * USAGE on, with its spec path and its other options (DefElems: inputs
 * and the state keys it sets); an error if it is not one or has no spec.
 */
extern ForeignServer *bf_usable_server(const char *servername, char **spec_path,
									   List **overrides);

/*
 * Start endpoint of the server named servername as records() runs it (the
 * caller's USAGE on the server and user mapping; no stored sync values),
 * with base's range, limit and max_iterations.  Allocated in the current
 * memory context, whose reset frees the runner if bf_records_release has
 * not.
 */
extern BfRecordsRun *bf_records_start(const char *servername, const char *endpoint,
									  const BfRunContext *base);

/* Free the run's runner, spec reference and secrets now. */
extern void bf_records_release(BfRecordsRun *rs);

#endif							/* PG_TOOLS_H */
