/*-------------------------------------------------------------------------
 *
 * expr_value.h
 *		  The value helpers the expression engine and its function library
 *		  share: a growable text buffer, text and compact-JSON forms of a
 *		  value, deep equality, ordering, and the casts Sling's functions
 *		  apply to their arguments.
 *
 * Values are json-c objects with JSON null as the NULL pointer.  Nothing
 * here takes a reference it does not give back.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPR_VALUE_H
#define EXPR_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "util/bf_error.h"

/*
 * A growable byte buffer.  It starts in its own inline storage so that
 * short renders (a url, a date) never call malloc; a failed allocation sets
 * failed and later appends are ignored, so callers check once at the end.
 */
typedef struct BfBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		failed;
	char		local[256];
} BfBuf;

extern void bf_buf_init(BfBuf *buf);
extern void bf_buf_free(BfBuf *buf);
extern void bf_buf_append(BfBuf *buf, const char *s, size_t len);
extern void bf_buf_append_str(BfBuf *buf, const char *s);
extern void bf_buf_append_char(BfBuf *buf, char c);
extern void bf_buf_printf(BfBuf *buf, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
/* Hand over the text as a malloc'd NUL-terminated string (NULL if failed). */
extern char *bf_buf_steal(BfBuf *buf);

/*
 * ASCII character classes and case.  ctype's answers for bytes above 127
 * depend on the locale, and a backend runs in its database's: in LATIN1,
 * isalnum(0xE9) is true and toupper would rewrite UTF-8 bytes.
 */
static inline bool
bf_ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static inline bool
bf_ascii_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline char
bf_ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c + ('a' - 'A')) : c;
}

static inline char
bf_ascii_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char) (c - ('a' - 'A')) : c;
}

/* Append v as template text: null as nothing, strings bare, others as JSON. */
extern void bf_value_append_text(BfBuf *buf, struct json_object *v);
/* Append v as compact JSON (integral floats without ".0", as Go prints them). */
extern void bf_value_append_json(BfBuf *buf, struct json_object *v);
/* Append a double as Sling prints a float: 5 for 5.0, shortest otherwise. */
extern void bf_value_append_double(BfBuf *buf, double d);
/* A new double that serializes in its shortest exact form, as a float. */
extern struct json_object *bf_value_new_double(double d);

/*
 * Describe v for an error message: compact JSON, cut to about max bytes
 * with "..." (buf must hold max + 4 bytes).
 */
extern const char *bf_value_describe(struct json_object *v, char *buf, size_t max);

/* Name of v's type as type_of() reports it: "null", "integer", ... */
extern const char *bf_value_type_name(struct json_object *v);

/* True for int and double values. */
extern bool bf_value_is_number(struct json_object *v);
extern bool bf_value_is_string(struct json_object *v);

/* Deep equality: int and float compare by value; keys in any order. */
extern bool bf_value_equal(struct json_object *a, struct json_object *b);

/*
 * Order two numbers or two strings (bytewise); false when the pair has no
 * order (other types, or mixed).
 */
extern bool bf_value_compare(struct json_object *a, struct json_object *b, int *cmp);

/*
 * Casts as Sling's spf13/cast does them, minus its surprises (see
 * docs/expressions.md): false when v does not convert.  Null never
 * converts to a number.
 */
extern bool bf_value_to_int64(struct json_object *v, int64_t *out);
extern bool bf_value_to_double(struct json_object *v, double *out);
/* yes_no also accepts "yes"/"no", as cast(v, "bool") does. Null is false. */
extern bool bf_value_to_bool(struct json_object *v, bool yes_no, bool *out);

/* Parse a whole string as an integer: decimal, 0x hex, 0o octal, 0b binary. */
extern bool bf_parse_int64(const char *s, size_t len, int64_t *out);
/* Parse a whole string as a finite double. */
extern bool bf_parse_double(const char *s, size_t len, double *out);

/*
 * The account of one evaluation (see BF_EVAL_MAX_BYTES and the interrupt
 * hook in expr.h).  Start it with bf_budget_init.
 */
typedef struct BfBudget
{
	size_t		used;			/* estimated bytes built so far */
	size_t		steps;			/* steps since the last interrupt check */
} BfBudget;

extern void bf_budget_init(BfBudget *b);
/* Charge bytes about to be built; false with err set (BF_ERR_LIMIT) if over. */
extern bool bf_budget_charge(BfBudget *b, size_t bytes, BfError *err);
/* Charge n elements or members (BF_EVAL_ELEMENT_COST each). */
extern bool bf_budget_charge_elements(BfBudget *b, size_t n, BfError *err);
/* Count n steps of work; false with err set (BF_ERR_CANCELED) if the hook says stop. */
extern bool bf_budget_step(BfBudget *b, size_t n, BfError *err);

/*
 * Key casings, as Sling's column casing spells them (object_casing(),
 * snake(), response.records.casing): snake splits "firstName" at the
 * lower-to-upper step; every casing then trims blanks, turns each run of
 * characters other than ASCII letters, digits and "_" into one "_", puts
 * "_" before a leading digit, and lower-cases (snake, lower), upper-cases
 * (upper) or joins the "_"-, "-"- and " "-separated words as camelCase
 * (camel).
 */
typedef enum BfKeyCase
{
	BF_KEYCASE_SNAKE,
	BF_KEYCASE_CAMEL,
	BF_KEYCASE_UPPER,
	BF_KEYCASE_LOWER
} BfKeyCase;

/* The casing called name (any case), false for none. */
extern bool bf_key_case_named(const char *name, BfKeyCase *c);
/* Append key (len bytes) in casing c. */
extern void bf_key_case_append(BfBuf *buf, const char *key, size_t len, BfKeyCase c);
/*
 * A new object with obj's members under recased keys, in order (a later
 * key that cases the same replaces the earlier's value); NULL on
 * allocation failure.
 */
extern struct json_object *bf_object_recase(struct json_object *obj, BfKeyCase c);

/*
 * Ask the interrupt hook (expr.h) now, for a caller that waits on something
 * else than its own steps (the jq worker); false without a hook.
 */
extern bool bf_interrupted(void);

/* A new json string from a buffer (NULL on allocation failure). */
extern struct json_object *bf_buf_to_json(BfBuf *buf);

#endif							/* EXPR_VALUE_H */
