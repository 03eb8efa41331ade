/*-------------------------------------------------------------------------
 *
 * jsonscan.h
 *		  A validating, non-allocating JSON scanner over a byte buffer.
 *
 * Building a json-c tree costs several allocations a value, which for a
 * page of plain records is most of the work of a scan.  When nothing in a
 * spec reads the records as values (see runner_raw.c), the runner uses this
 * scanner to find each record's bytes in the body, and the scan turns the
 * members of those bytes straight into column values.
 *
 * Positions are byte offsets into the buffer.  Every function that walks a
 * value checks it is well-formed JSON (RFC 8259) and fails otherwise.
 *
 *-------------------------------------------------------------------------
 */
#ifndef JSONSCAN_H
#define JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>

typedef enum JsKind
{
	JS_NULL,
	JS_FALSE,
	JS_TRUE,
	JS_NUMBER,
	JS_STRING,
	JS_ARRAY,
	JS_OBJECT
} JsKind;

/* A value's place: [start, end); for a string, with its quotes. */
typedef struct JsSpan
{
	size_t		start;
	size_t		end;
	JsKind		kind;
	bool		escaped;		/* a string holding a backslash escape */
} JsSpan;

typedef struct JsScanner
{
	const char *buf;
	size_t		len;
	size_t		pos;
	int			depth;
	bool		first;			/* js_next is at a container's first member */
	const char *error;			/* static text, or NULL */
	size_t		error_pos;
} JsScanner;

/* Deeper nesting is an error, so that a hostile body cannot exhaust the stack. */
#define JS_MAX_DEPTH 512

extern void js_init(JsScanner *s, const char *buf, size_t len);

/* Skip whitespace; true when bytes remain. */
extern bool js_skip_ws(JsScanner *s);

/* Read (and validate) the value at the position into *out; false on error. */
extern bool js_value(JsScanner *s, JsSpan *out);

/*
 * Skip the value at the position by its structure alone (strings, brackets),
 * without validating it: for finding where a record ends when its bytes
 * will be walked, and so validated, later.  False at a truncated value.
 */
extern bool js_skip(JsScanner *s, JsSpan *out);

/*
 * Walk an object or array: js_enter at '{' or '[', then js_next until it
 * returns false with no error.  For an object, *key gets each member's key
 * (NULL for arrays); *value each value, already validated and skipped.
 */
extern bool js_enter(JsScanner *s, JsKind kind);
extern bool js_next(JsScanner *s, JsSpan *key, JsSpan *value);

/*
 * The text of a string span without quotes, escapes decoded (\uXXXX with
 * surrogate pairs to UTF-8), written to out (at least span length bytes)
 * and NUL-terminated; returns its length.
 */
extern size_t js_unescape(const char *buf, const JsSpan *str, char *out);

/* Does the string span equal the C string key (exactly / ignoring ASCII case)? */
extern bool js_key_equals(const char *buf, const JsSpan *str, const char *key, bool nocase);

#endif							/* JSONSCAN_H */
