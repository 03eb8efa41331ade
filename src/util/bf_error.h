/*-------------------------------------------------------------------------
 *
 * bf_error.h
 *		  The error record every plain module of backfill_fdw fills in.
 *
 * The modules under src/ (all but src/pg/) never longjmp and never call
 * elog: a failing call returns NULL or false and leaves its reason here, so
 * that the same code runs in a unit test, under a fuzzer, and in a backend,
 * where the PostgreSQL layer frees what it holds and then raises the error
 * with the SQLSTATE that matches the kind.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BF_ERROR_H
#define BF_ERROR_H

#include <stdarg.h>

typedef enum BfErrorKind
{
	BF_OK = 0,
	BF_ERR_SPEC,				/* the spec file: YAML, schema, unknown key */
	BF_ERR_SYNTAX,				/* an expression, template or path that does not parse */
	BF_ERR_UNKNOWN_FUNCTION,	/* a function name the library does not have */
	BF_ERR_ARITY,				/* a function called with the wrong number of arguments */
	BF_ERR_TYPE,				/* a value of the wrong type at run time */
	BF_ERR_VALUE,				/* a value of the right type that is not allowed */
	BF_ERR_HTTP,				/* a request failed: transport, status, or rule "fail" */
	BF_ERR_RESPONSE,			/* a response body that does not parse */
	BF_ERR_CANCELED,			/* the caller asked to stop */
	BF_ERR_LIMIT,				/* a documented size limit was reached */
	BF_ERR_NOMEM,
	BF_ERR_INTERNAL
} BfErrorKind;

#define BF_ERROR_MAX 1024

typedef struct BfError
{
	BfErrorKind kind;
	char		message[BF_ERROR_MAX];
} BfError;

/* Set err (when not NULL) to kind with a printf-style message; returns false. */
extern int	bf_error_set(BfError *err, BfErrorKind kind, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern int	bf_error_setv(BfError *err, BfErrorKind kind, const char *fmt, va_list ap)
			__attribute__((format(printf, 3, 0)));

/* Put "prefix: " in front of an error already set, keeping its kind. */
extern void bf_error_prefix(BfError *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/*
 * Replace in msg, in place, every string value of secrets (a json object,
 * may be NULL) of BF_MIN_MASKED_SECRET bytes or more with "***": as its own
 * bytes, percent-encoded (either hex case, '+' for a space), JSON-escaped
 * (\uXXXX per character or per UTF-8 byte, \" \\ \/ ...), and inside
 * base64 (Basic auth, encode_base64()) at any offset, when the part of the
 * encoding that depends on the secret alone has BF_MIN_MASKED_BASE64
 * characters or more.  Every message and log line goes through this: no
 * error shows a secret, whichever module composed it.  ("***" is never
 * longer than what it replaces.)
 */
#define BF_MIN_MASKED_SECRET 3	/* masking "1" would garble every message */
#define BF_MIN_MASKED_BASE64 4	/* fewer base64 characters match by chance */
struct json_object;
extern void bf_error_mask_secrets(char *msg, struct json_object *secrets);

/* Clear err to BF_OK. */
extern void bf_error_clear(BfError *err);

#endif							/* BF_ERROR_H */
