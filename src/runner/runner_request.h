/*-------------------------------------------------------------------------
 *
 * runner_request.h
 *		  The request phase (runner_request.c): an iteration's state to a
 *		  request, and the oauth2 token.  Called by runner.c and by the
 *		  response phase (to render values); calls only runner_phase.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RUNNER_REQUEST_H
#define RUNNER_REQUEST_H

#include "runner/runner_phase.h"

/* A spec value (literal or template) rendered against vars: a new reference. */
extern struct json_object *bf_render_value(const BfValue *value, struct json_object *vars,
										   BfError *err);
/* Render a map's keys in the loader's dependency order into state. */
extern bool bf_render_map_into(const BfValue *map, const int *order, int order_count,
							   struct json_object *state, BfRunner *r, BfError *err);
/* Send an iteration's next request; the token request; read the token. */
extern bool bf_submit_request(BfRunner *r, Iteration *it, BfError *err);

/*
 * The same for any page: rq rendered against state, sent as its attempt-th
 * try with user as the response's tag; *request (a reference replaced)
 * becomes its request namespace.  The iteration is left as it is, so a
 * page can be asked for ahead of its turn (runner_prefetch.c).
 */
extern bool bf_submit_page(BfRunner *r, const BfRequest *rq, struct json_object *state,
						   int attempt, void *user, struct json_object **request,
						   BfError *err);
extern bool bf_submit_token_request(BfRunner *r, BfError *err);
extern bool bf_handle_token_response(BfRunner *r, BfHttpResponse *resp, BfError *err);

#endif							/* RUNNER_REQUEST_H */
