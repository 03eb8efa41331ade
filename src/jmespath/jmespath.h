/*-------------------------------------------------------------------------
 *
 * jmespath.h
 *		  JMESPath (https://jmespath.org/specification.html), the whole
 *		  language, over json-c values.
 *
 * An expression is compiled once (jp_compile) and searched many times
 * (jp_search).  JSON null is the NULL pointer, as in json-c.  A search never
 * changes the document; it returns a new reference the caller puts.
 *
 *-------------------------------------------------------------------------
 */
#ifndef JMESPATH_H
#define JMESPATH_H

#include <json-c/json.h>

#include "util/bf_error.h"

/* The error classes of the JMESPath specification and its compliance suite. */
typedef enum JpErrorKind
{
	JP_OK = 0,
	JP_ERR_SYNTAX,
	JP_ERR_INVALID_TYPE,
	JP_ERR_INVALID_ARITY,
	JP_ERR_INVALID_VALUE,
	JP_ERR_UNKNOWN_FUNCTION,
	JP_ERR_NOMEM
} JpErrorKind;

typedef struct JpError
{
	JpErrorKind kind;
	int			position;		/* byte offset in the expression, or -1 */
	char		message[256];
} JpError;

typedef struct JpExpr JpExpr;

/*
 * Compile expr.  Returns NULL and fills err on a syntax error (and on
 * unknown-function / invalid-arity, which are found here when the call is
 * literal in the expression).
 */
extern JpExpr *jp_compile(const char *expr, JpError *err);

/*
 * Search doc (borrowed; NULL is JSON null).  Returns a new reference, NULL
 * for JSON null; on a run-time error returns NULL with err->kind != JP_OK.
 */
extern struct json_object *jp_search(const JpExpr *expr, struct json_object *doc,
									 JpError *err);

extern void jp_free(JpExpr *expr);

/* The spec's name of an error class: "syntax", "invalid-type", ... */
extern const char *jp_error_class(JpErrorKind kind);

/* Copy a JpError into the project's BfError (kind mapped, message kept). */
extern void jp_error_to_bf(const JpError *jerr, const char *expr, BfError *err);

#endif							/* JMESPATH_H */
