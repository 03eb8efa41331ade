/*-------------------------------------------------------------------------
 *
 * runner_raw.h
 *		  The fast path of the response phase (runner_raw.c): records found
 *		  as bytes in the body, without json-c trees.  Called by runner.c
 *		  and runner_response.c; calls only runner_phase.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RUNNER_RAW_H
#define RUNNER_RAW_H

#include "runner/runner_phase.h"

/* The fast path: set up for a run, take a response's records as bytes. */
extern bool bf_raw_setup(BfRunner *r, const BfRunContext *ctx);
extern Batch *bf_raw_extract(BfRunner *r, BfHttpResponse *resp, bool *fallback, BfError *err);
extern size_t bf_raw_accept(BfRunner *r, Batch *b);
extern void bf_raw_free_path(char **keys, int nkeys);

#endif							/* RUNNER_RAW_H */
