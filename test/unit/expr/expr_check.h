/*
 * Helpers shared by the expression and function-library unit tests:
 * evaluate an expression or render a template against a vars object and
 * give the result as JSON text (floats keep ".0", so types show), or
 * "error: <kind>" with the message in msg.
 */
#ifndef EXPR_CHECK_H
#define EXPR_CHECK_H

#include <stdio.h>
#include <string.h>

#include "expr/expr.h"
#include "unit.h"

static struct json_object *vars;
static char result[8192];
static char msg[BF_ERROR_MAX];

static inline const char *
kind_name(BfErrorKind kind)
{
	switch (kind)
	{
		case BF_ERR_SYNTAX:
			return "syntax";
		case BF_ERR_UNKNOWN_FUNCTION:
			return "unknown function";
		case BF_ERR_ARITY:
			return "arity";
		case BF_ERR_TYPE:
			return "type";
		case BF_ERR_VALUE:
			return "value";
		case BF_ERR_LIMIT:
			return "limit";
		case BF_ERR_CANCELED:
			return "canceled";
		default:
			return "other";
	}
}

static inline const char *
as_json(struct json_object *v)
{
	snprintf(result, sizeof(result), "%s",
			 json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
											JSON_C_TO_STRING_NOSLASHESCAPE));
	return result;
}

/* Evaluate src against w. */
static inline const char *
eval_in(const char *src, struct json_object *w)
{
	BfError		err;
	BfExpr	   *e = bf_expr_compile(src, &err);
	struct json_object *v;

	msg[0] = '\0';
	if (e == NULL)
	{
		snprintf(msg, sizeof(msg), "%s", err.message);
		snprintf(result, sizeof(result), "error: %s", kind_name(err.kind));
		return result;
	}
	v = bf_expr_eval(e, w, &err);
	if (err.kind != BF_OK)
	{
		snprintf(msg, sizeof(msg), "%s", err.message);
		snprintf(result, sizeof(result), "error: %s", kind_name(err.kind));
	}
	else
		as_json(v);
	json_object_put(v);
	bf_expr_free(e);
	return result;
}

static inline const char *
ev(const char *src)
{
	return eval_in(src, vars);
}

#define EV(src, want) CHECK_STR(ev(src), want)
#define MSG_HAS(text) CHECK_MSG(strstr(msg, text) != NULL, "message was: %s", msg)

/* Render a template: typed JSON, or "error: <kind>". */
static inline const char *
render_in(const char *src, struct json_object *w)
{
	BfError		err;
	BfTemplate *t = bf_template_compile(src, &err);
	struct json_object *v;

	msg[0] = '\0';
	if (t == NULL)
	{
		snprintf(msg, sizeof(msg), "%s", err.message);
		snprintf(result, sizeof(result), "error: %s", kind_name(err.kind));
		return result;
	}
	v = bf_template_render(t, w, &err);
	if (err.kind != BF_OK)
	{
		snprintf(msg, sizeof(msg), "%s", err.message);
		snprintf(result, sizeof(result), "error: %s", kind_name(err.kind));
	}
	else
		as_json(v);
	json_object_put(v);
	bf_template_free(t);
	return result;
}

#define RT(src, want) CHECK_STR(render_in(src, vars), want)

#endif							/* EXPR_CHECK_H */
