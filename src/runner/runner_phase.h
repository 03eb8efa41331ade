/*-------------------------------------------------------------------------
 *
 * runner_phase.h
 *		  What a request phase (runner_request.c) and a response phase
 *		  (runner_response.c, runner_raw.c) may see of the runner: its
 *		  state (struct BfRunner, the iterations, the batches of records)
 *		  and the few things they may do to it, which runner_phase.c does:
 *		  set a namespace, remember a derived secret, queue a warning,
 *		  queue records, append to a queue.  Each phase has its header (runner_request.h,
 *		  runner_sign.h, runner_response.h, runner_raw.h); a file includes
 *		  those of the phases it calls, no others.
 *
 * A phase never calls into runner.c: what ends an iteration, fails the
 * run or starts the next request is runner.c's to decide from what a phase
 * returns (an iteration's phase, ITER_DONE, and a false return with the
 * error).  So the calls between the runner's files go one way:
 *
 *	  runner.c -> runner_response.c -> runner_raw.c, runner_request.c
 *	  runner.c -> runner_request.c -> runner_sign.c (hmac signatures)
 *	  runner.c -> runner_prefetch.c -> runner_request.c (pages ahead)
 *	  runner.c -> runner_raw.c
 *	  all of them -> runner_phase.c, which calls none of them
 *
 *-------------------------------------------------------------------------
 */
#ifndef RUNNER_PHASE_H
#define RUNNER_PHASE_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"
#include "jmespath/jmespath.h"
#include "util/keyset.h"
#include "runner/runner.h"

/*
 * The run's state.  A phase reads all of it and writes: its iteration (its
 * phase, state, pages), the token fields (request phase), the rendered
 * records path, the select list, the aggregates, the seen keys, the retry
 * count and stopped (response phases), and records through bf_runner_emit.
 * Ending an iteration, failing the run and moving between the run's
 * phases are runner.c's.
 */
/*
 * One iteration of iterate.over (or the single one of an endpoint without
 * iterate), or one setup or teardown call.  Its pages follow each other,
 * since each page's next_state may read the last response; when it cannot
 * (runner_prefetch.c), the pages after the current one are asked for ahead,
 * but their responses are still handled one after another, in page order.
 */
typedef enum IterPhase
{
	ITER_SUBMIT,				/* its next request is to be sent */
	ITER_IN_FLIGHT,				/* waiting for its response */
	ITER_RETRY_WAIT,			/* a rule said retry: resend at retry_at */
	ITER_DONE					/* no more pages */
} IterPhase;

typedef struct Iteration
{
	struct Iteration *next;
	long		index;			/* its place in iterate.over */
	const BfCall *call;			/* a setup or teardown call; NULL: a main one */
	const BfRequest *rq;		/* what it sends and reads: the call's, */
	const BfPagination *pg;		/* else the endpoint's */
	const BfResponse *resp;
	IterPhase	phase;
	struct json_object *state;	/* its own copy of the state */
	struct json_object *request;	/* the request namespace of its last request */
	int			attempts;		/* sends of the current page so far */
	double		retry_at;		/* monotonic seconds, in ITER_RETRY_WAIT */
	long		pages;			/* pages it went on from so far */
	long		auth_generation;	/* r->auth_generation its last request had */
	bool		auth_retried;	/* its page got a 401 and was sent again */
	uint64_t	last_hash;		/* bf_keyset_hash of its last page's body */
	size_t		last_len;		/* that body's length; with the hash, how a */
	bool		have_last;		/* page repeating the last one shows */
	struct PageAhead *ahead;	/* pages asked for ahead, in page order
								 * (runner_prefetch.c) */
	bool		ahead_end;		/* next_state changes nothing: ask no more */
} Iteration;

/*
 * The records of one response, handed out one at a time: a json-c array,
 * or (the fast path, runner_raw.c) the body and the spans of its records.
 */
typedef struct Batch
{
	struct Batch *next;
	struct json_object *records;	/* an array, or NULL for spans */
	char	   *body;
	size_t	   *spans;			/* start, end of each record in body */
	size_t		nspans;
	size_t		pos;
} Batch;

/*
 * The phases of a run: setup calls one after another, then the iterations
 * of over, then (once they are over, when the run has not failed) the
 * teardown calls one after another.
 */
typedef enum RunPhase
{
	RUN_SETUP,
	RUN_MAIN,
	RUN_TEARDOWN,
	RUN_DONE
} RunPhase;

/* One entry of response.records.select. */
typedef enum SelectKind
{
	SELECT_NAME,				/* "id", or "id as uid": that column */
	SELECT_GLOB,				/* "user_*": the matching columns, by name */
	SELECT_REST,				/* "*": the columns no entry names, by name */
	SELECT_EXCLUDE				/* "-internal_*": never these */
} SelectKind;

typedef struct SelectItem
{
	SelectKind	kind;
	char	   *pattern;		/* the name or glob, without "-" or " as " */
	char	   *alias;			/* SELECT_NAME renamed: the new name; else NULL */
} SelectItem;

/*
 * The state of an authentication that takes requests of its own: an
 * oauth2 token, or the calls of a sequence.  No request of the endpoint
 * goes out unless it is AUTH_NONE or AUTH_READY.
 */
typedef enum AuthPhase
{
	AUTH_NONE,					/* the endpoint needs no such requests */
	AUTH_NEEDED,				/* authenticate before the next request */
	AUTH_PENDING,				/* the token request or a sequence call is in
								 * flight */
	AUTH_READY
} AuthPhase;

struct BfRunner
{
	const BfSpec *spec;
	const BfEndpoint *ep;
	BfHttp	   *http;
	RunPhase	phase;
	int			next_call;		/* the next setup or teardown call to run */
	struct json_object *vars;	/* the namespaces expressions see */
	struct json_object *base_state; /* defaults.state rendered, overrides applied */
	struct json_object *call_state; /* the state setup and teardown calls see */
	struct json_object *setup_out;	/* state keys setup calls wrote */
	struct json_object *last_state; /* of the last main iteration to end;
									 * from teardown on, the run's state */
	struct json_object *env;	/* env.* outputs (the process environment is
								 * left alone) */
	struct json_object *over;	/* the iterate.over list, or NULL: one iteration */
	size_t		over_count;		/* iterations run end here (the window's end) */
	size_t		next_over;
	long		total_iterations;	/* over's length, before the window */
	Iteration  *iterations;		/* the active ones */
	int			active;
	int			max_active;
	bool		stopped;		/* a stop rule (of the endpoint or a setup
								 * call) or the limit: no new iterations */
	bool		failed;
	BfError		error;
	Batch	   *head;
	Batch	   *tail;
	int			batches;
	BfKeySet   *seen;			/* primary keys handed out, when there is one */
	long		limit;			/* records to hand out at most; 0 = all */
	long		queued;			/* records queued so far, for the limit */
	long		handed_out;
	long		since_drive;	/* records handed out since the last poll */
	struct json_object *aggregates; /* state keys of aggregating processors */
	long		window_first;	/* BfRunContext's first_iteration and */
	long		window_max;		/* max_iterations, applied once over is known */
	bool		(*keep) (void *arg, struct json_object *record);	/* see BfRunContext */
	void	   *keep_arg;
	char	  **raw_keys;		/* the fast path's records path, when it is on */
	int			raw_nkeys;
	bool		raw;			/* the fast path is on (runner_raw.c) */
	JpExpr	   *records_path;	/* the last rendered records.jmespath template */
	char	   *records_src;	/* its text */
	SelectItem *select;			/* response.records.select, parsed */
	int			select_count;
	bool		needs_text;		/* some expression reads response.text */
	AuthPhase	auth_phase;
	long		auth_generation;	/* counts the times authentication got ready */
	double		auth_expires;	/* monotonic seconds; 0 = never */
	bool		auth_unused;	/* no request has carried it yet: it is not
								 * renewed before one has, however short its
								 * life, so the run always moves on */
	char	   *auth_header;	/* oauth2: "Bearer ..." once a token is had */
	BfTokenCache *tokens;		/* the caller's (BfRunContext), else own_tokens */
	BfTokenCache *own_tokens;
	char	   *token_scope;
	char	   *token_key;		/* the cache key of the last token request */
	char	   *refresh_used;	/* the refresh token that request sent, or NULL */
	bool		no_refresh;		/* a cached refresh token was refused: use the
								 * flow's own grant */
	Iteration  *auth_call;		/* sequence: the call in progress, not among
								 * iterations */
	int			auth_next_call;
	struct json_object *auth_state; /* the state the sequence's calls see */
	struct json_object *warnings;	/* strings not yet taken by the caller */
	bool		trace;			/* see BfRunContext.trace */
	struct json_object *traces; /* [line, detail] pairs not yet taken */
	struct json_object *derived;	/* secrets made from secrets (a signature,
									 * a Basic or Bearer credential), masked
									 * like secrets.* in the run's messages */
	int			n_derived;
	const BfQueueOps *queue_ops;	/* see BfRunContext */
	void	   *queue_store;
	void	   *over_reader;	/* iterate.over streamed from a queue, or NULL */
	size_t		over_read;		/* values of over read from it so far */
	size_t		over_items;		/* and items (more with chunk) */
	struct json_object *queue_items;	/* queue name -> items this run appended */
	BfRunStats	stats;			/* wait_seconds: slept for retries here, the
								 * engine's waits are added by bf_runner_stats */
	int			prefetch;		/* pages an iteration asks for ahead; 0: none */
	struct PageAhead *orphans;	/* asked for by iterations now ended */
	Iteration  *dropped;		/* ended with a request in flight: freed when
								 * its response comes, so that a new
								 * iteration at the same address never
								 * takes that response for its own */
};

/* runner_phase.c */
extern void bf_runner_warn(BfRunner *r, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
/* Queue a trace line (when the run traces) with its detail: see runner.h. */
extern void bf_runner_trace(BfRunner *r, const char *detail, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern void bf_runner_set_var(BfRunner *r, const char *ns, struct json_object *value);
extern void bf_runner_emit(BfRunner *r, struct json_object *records);
extern void bf_runner_emit_batch(BfRunner *r, Batch *b);
extern void bf_batch_free(Batch *b);
extern void bf_runner_add_derived(BfRunner *r, const char *value);
/* Copy the keys of src into dst (values shared). */
extern void bf_merge_into(struct json_object *dst, struct json_object *src);
extern bool bf_runner_queue_append(BfRunner *r, const BfProcessor *p,
								   struct json_object *value, BfError *err);

/* True when a rule, processor or pagination expression of ep reads path. */
extern bool bf_runner_reads(const BfEndpoint *ep, const char *path);

#endif							/* RUNNER_PHASE_H */
