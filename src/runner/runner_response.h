/*-------------------------------------------------------------------------
 *
 * runner_response.h
 *		  The response phase (runner_response.c): a response to records.
 *		  Called by runner.c; calls runner_raw.c, runner_request.c and
 *		  runner_phase.c, never runner.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RUNNER_RESPONSE_H
#define RUNNER_RESPONSE_H

#include "runner/runner_phase.h"

/*
 * An iteration's response: rules, records, processors, pagination.  When
 * the iteration has no page left it sets it->phase to ITER_DONE, and
 * runner.c ends it; false (err set) fails the run.
 */
extern bool bf_handle_response(BfRunner *r, Iteration *it, BfHttpResponse *resp,
							   BfError *err);
/*
 * iterate.into: response.records: one value of over as the iteration's
 * records (a list as its elements, null as none, anything else as one
 * record), through the processors and de-duplication, with no request.
 */
extern bool bf_accept_over_records(BfRunner *r, Iteration *it, struct json_object *value,
								   BfError *err);
/* A value as a condition: null, false, 0, "", [] and {} are false. */
extern bool bf_value_truthy(struct json_object *value);
/* response.records.select, parsed once per run, and freed. */
extern bool bf_select_compile(BfRunner *r, BfError *err);
extern void bf_select_free(BfRunner *r);

#endif							/* RUNNER_RESPONSE_H */
