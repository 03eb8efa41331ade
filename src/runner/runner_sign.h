/*-------------------------------------------------------------------------
 *
 * runner_sign.h
 *		  hmac authentication (runner_sign.c): the headers that sign a
 *		  request.  Called by the request phase; calls only runner_phase.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RUNNER_SIGN_H
#define RUNNER_SIGN_H

#include "runner/runner_phase.h"

/* The headers an hmac authentication adds to req (malloc'd). */
extern bool bf_hmac_sign(BfRunner *r, const BfHttpRequest *req, const BfHttpPair *params,
						 int n_params, BfHttpPair **out, int *n_out, BfError *err);

#endif							/* RUNNER_SIGN_H */
