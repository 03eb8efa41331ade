/*-------------------------------------------------------------------------
 *
 * functions.h
 *		  The function library of the expression language: Sling's
 *		  functions (reference/sling-api-spec.md §2.4, §2.5, §3) over
 *		  json-c values.
 *
 * Each function declares its arity so that a call with the wrong number of
 * arguments is found when the spec loads.  A function whose argument is
 * better prepared once (a regular expression, a JMESPath expression) names
 * that argument; when the call has a literal there, prepare runs at compile
 * time, so a bad pattern is also a load-time error and the pattern is not
 * recompiled per record.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FUNCTIONS_H
#define FUNCTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "util/bf_error.h"

/* The most elements range(), int_range() and date_range() will build. */
#define BF_RANGE_MAX 1000000

/* Evaluate argument i of a lazy call into *out (a new reference). */
typedef bool (*BfArgFn) (void *cx, int i, struct json_object **out);

/* One call of a library function, as the evaluator hands it over. */
typedef struct BfCall
{
	struct json_object **args;	/* evaluated arguments (borrowed); NULL if lazy */
	int			nargs;
	void	   *prepared;		/* what prepare() made, or NULL */
	BfArgFn		arg;			/* lazy functions evaluate arguments with this */
	void	   *cx;
	struct json_object *vars;	/* the namespaces (borrowed), e.g. for secrets */
	BfError    *err;
	struct BfBudget *budget;	/* the evaluation's account (expr_value.h) */
} BfCall;

/*
 * bf_error_mask_secrets over the secrets namespace of vars, and over what
 * authentication made (the auth namespace and its headers).
 */
extern void bf_hide_secrets(char *msg, struct json_object *vars);

/* Put the result (a new reference; NULL is JSON null) in *out; false on error. */
typedef bool (*BfFuncImpl) (BfCall *call, struct json_object **out);

/*
 * Prepare from a literal argument.  Returns the prepared state, or NULL:
 * with err set when the literal is wrong, with err untouched when there is
 * nothing to prepare (the call then prepares per evaluation).
 */
typedef void *(*BfPrepareFn) (struct json_object *literal, BfError *err);
typedef void (*BfReleaseFn) (void *prepared);

typedef struct BfFunction
{
	const char *name;
	int			min_args;
	int			max_args;		/* -1: no upper bound */
	int			pairs_after;	/* args after this many come in pairs; -1: no rule */
	bool		lazy;			/* evaluates its own arguments (if, coalesce) */
	BfFuncImpl	impl;
	int			prepare_arg;	/* argument prepare() reads; -1: none */
	BfPrepareFn prepare;
	BfReleaseFn release;
	const char *usage;			/* shown in arity errors */
} BfFunction;

/* The function called name (len bytes), or NULL. */
extern const BfFunction *bf_function_lookup(const char *name, size_t len);

/* All functions, in name order; *n gets the count. */
extern const BfFunction *bf_function_list(int *n);

#endif							/* FUNCTIONS_H */
