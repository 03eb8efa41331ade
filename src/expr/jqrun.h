/*-------------------------------------------------------------------------
 *
 * jqrun.h
 *		  jq programs (response.records.jq and the jq() function) run by
 *		  Debian's libjq in a helper process of the caller's own.
 *
 * libjq 1.6 cannot be stopped from outside, aborts its process when an
 * allocation fails and asserts on some inputs, while a jq program may loop
 * or allocate without end ("x" * 1e9, last(range(infinite))).  A spec is
 * user input, and no spec may take a backend down, so the programs run in
 * a worker process forked on first use: it limits its own memory, and the
 * caller waits for it with poll(), asking the interrupt hook (expr.h) as it
 * waits, and kills it on cancel, past the time limit, or when it dies; the
 * next call forks a fresh one.  docs/expressions.md describes the limits.
 *
 *-------------------------------------------------------------------------
 */
#ifndef JQRUN_H
#define JQRUN_H

#include <stdbool.h>
#include <json-c/json.h>

#include "expr/expr_value.h"
#include "util/bf_error.h"

/* The most outputs one run may give (beyond them the run fails). */
#define BF_JQ_MAX_OUTPUTS 1000000
/* The memory a worker may take beyond what it was forked with. */
#define BF_JQ_MAX_MEMORY ((size_t) 512 * 1024 * 1024)
/* The wall-clock time one run may take, in milliseconds. */
#define BF_JQ_TIME_LIMIT_MS 60000

/*
 * Compile program, to report its syntax errors when the spec loads: false
 * with err set (BF_ERR_SYNTAX for the program's own errors).
 */
extern bool bf_jq_check(const char *program, BfError *err);

/*
 * Run program over input: a new array of its outputs, in order, or NULL
 * with err set.  The outputs are charged to budget (which may be NULL).
 */
extern struct json_object *bf_jq_run(const char *program, struct json_object *input,
									 BfBudget *budget, BfError *err);

/* Set the time limit of a run (tests); 0 restores BF_JQ_TIME_LIMIT_MS. */
extern void bf_jq_set_time_limit(int ms);

/* Stop the worker, if one runs (tests, and callers that want it gone). */
extern void bf_jq_stop(void);

#endif							/* JQRUN_H */
