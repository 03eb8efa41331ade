/*-------------------------------------------------------------------------
 *
 * expr.h
 *		  Sling's expression and template language over json-c values.
 *
 * Bare expressions (iterate.over, rule conditions, stop_condition,
 * processor expression and if) and templates (strings with {...} parts:
 * urls, headers, state values) are compiled once when a spec loads, so a
 * syntax error, an unknown function or a wrong number of arguments is found
 * there, and then evaluated many times against a set of namespaces.
 *
 * Values: JSON null is the NULL pointer, as in json-c; dates travel as
 * RFC 3339 strings.  Every result is a new reference the caller puts.
 * Paths resolve by reference, so a result may be (or contain) an object
 * that is also inside vars: treat results as read-only.  Since null is a
 * result too, an evaluation failed when err->kind != BF_OK.
 *
 * docs/expressions.md describes the language, the function library
 * (functions.h) and the differences from Sling.
 *
 * vars is a json object whose keys are the namespaces: "state", "sync",
 * "context", "secrets", "env", "record", "response", "request", "inputs",
 * "auth".  A missing namespace or key is null; "env" falls back to the
 * process environment when vars holds no "env" object.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPR_H
#define EXPR_H

#include <stdbool.h>
#include <json-c/json.h>

#include "util/bf_error.h"

typedef struct BfExpr BfExpr;
typedef struct BfTemplate BfTemplate;

/* Called once for each namespace path an expression reads ("state.date"). */
typedef void (*BfRefVisitor) (const char *path, void *arg);

/* Bare expressions. */
extern BfExpr *bf_expr_compile(const char *src, BfError *err);
extern struct json_object *bf_expr_eval(const BfExpr *expr, struct json_object *vars,
										BfError *err);
extern void bf_expr_visit_refs(const BfExpr *expr, BfRefVisitor visit, void *arg);

/*
 * The reads whose null the expression does not handle where it reads
 * them: those bf_expr_visit_refs reports less the arguments of coalesce(),
 * if(), value(), first_valid(), is_null() and is_empty(), all of "? :"
 * (as if()), the sides of && and ||, and a side compared with null.  What a
 * missing value would silently turn into null (a typo of a secret's name).
 */
extern void bf_expr_visit_required_refs(const BfExpr *expr, BfRefVisitor visit, void *arg);
extern const char *bf_expr_source(const BfExpr *expr);
extern void bf_expr_free(BfExpr *expr);

/*
 * Templates.  Rendering gives the typed value when the whole string is one
 * {...}, else the text with each part spliced in (null as empty, arrays and
 * objects as compact JSON).
 */
extern BfTemplate *bf_template_compile(const char *src, BfError *err);
extern struct json_object *bf_template_render(const BfTemplate *tmpl,
											  struct json_object *vars, BfError *err);
/* Render to a malloc'd C string (a typed result stringified as above). */
extern char *bf_template_render_text(const BfTemplate *tmpl, struct json_object *vars,
									 BfError *err);
/* True when the template has no {...} part (its text is its value). */
extern bool bf_template_is_constant(const BfTemplate *tmpl);
extern void bf_template_visit_refs(const BfTemplate *tmpl, BfRefVisitor visit, void *arg);
/* The same as bf_expr_visit_required_refs, for each {...} part. */
extern void bf_template_visit_required_refs(const BfTemplate *tmpl, BfRefVisitor visit,
											void *arg);
extern const char *bf_template_source(const BfTemplate *tmpl);
extern void bf_template_free(BfTemplate *tmpl);

/*
 * Limits of one evaluation (one bf_expr_eval, or one template render with
 * all its parts), documented in docs/expressions.md.  The values it builds
 * are charged against BF_EVAL_MAX_BYTES, estimated: an array element or
 * object member costs BF_EVAL_ELEMENT_COST bytes (about what json-c
 * spends on a small value), a string its length.  What is charged is never
 * given back within the evaluation, so a total, not a peak, is bounded.
 * Going over is a BF_ERR_LIMIT error naming the limit.
 */
#define BF_EVAL_MAX_BYTES ((size_t) 256 * 1024 * 1024)
#define BF_EVAL_ELEMENT_COST 128

/*
 * Interrupts: a long evaluation calls the hook every BF_EVAL_CHECK_EVERY
 * steps (nodes evaluated, elements built or visited); when it returns true
 * the evaluation frees what it built and fails with BF_ERR_CANCELED
 * ("canceled").  The hook must not longjmp: a backend installs one that
 * only reads its interrupt flags, and raises the interrupt itself after the
 * call returns.  Process-wide; NULL (the default) never stops.
 */
#define BF_EVAL_CHECK_EVERY 4096
typedef bool (*BfInterruptFn) (void);
extern void bf_expr_set_interrupt(BfInterruptFn hook);

/* A value as template text: null as "", strings bare, others as compact JSON. */
extern char *bf_value_to_text(struct json_object *value);

#endif							/* EXPR_H */
