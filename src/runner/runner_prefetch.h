/*-------------------------------------------------------------------------
 *
 * runner_prefetch.h
 *		  Page prefetch (runner_prefetch.c): the pages of an iteration asked
 *		  for ahead of their turn when next_state does not read the
 *		  response.  Called by runner.c; calls runner_request.c and
 *		  runner_phase.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RUNNER_PREFETCH_H
#define RUNNER_PREFETCH_H

#include "runner/runner_phase.h"

/* A page asked for ahead: its request, and its response once it came. */
typedef struct PageAhead
{
	struct PageAhead *next;		/* the next page of the same iteration */
	long		page;			/* the iteration's pages count at its turn */
	struct json_object *state;	/* the state it was asked for with */
	struct json_object *request;	/* its request namespace */
	BfHttpResponse *resp;		/* NULL until it came */
} PageAhead;

/* The pages an iteration of ep may ask for ahead of its current one; 0: none. */
extern int	bf_prefetch_window(const BfEndpoint *ep);

/* Ask for the pages after an iteration's current one, up to the window. */
extern void bf_prefetch_fill(BfRunner *r, Iteration *it);

/*
 * A response that is no iteration's current page: the iteration whose
 * current page it turns out to be (the caller handles it), or NULL, when
 * it was kept for its turn (*resp is then NULL) or belongs to no live
 * iteration (the caller frees it).
 */
extern Iteration *bf_prefetch_arrived(BfRunner *r, BfHttpResponse **resp);

/*
 * The iteration is to send its current page: when that page was asked for
 * ahead, its response if it came (the caller handles and frees it), else
 * NULL with the iteration waiting for it.  NULL with the iteration still
 * in ITER_SUBMIT: it was not, send it.
 */
extern BfHttpResponse *bf_prefetch_take(BfRunner *r, Iteration *it);

/* The iteration ends: what it asked for ahead is dropped, unread. */
extern void bf_prefetch_orphan(BfRunner *r, Iteration *it);

/* Free the pages of ended iterations still in flight (the run ends). */
extern void bf_prefetch_free(BfRunner *r);

#endif							/* RUNNER_PREFETCH_H */
