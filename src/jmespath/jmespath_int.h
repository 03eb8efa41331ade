/*-------------------------------------------------------------------------
 *
 * jmespath_int.h
 *		  What the parts of the JMESPath module share and nobody else sees:
 *		  the tokens (jmespath_lex.c), the syntax tree (jmespath.c builds it),
 *		  the evaluator (jmespath_eval.c) and the function library
 *		  (jmespath_func.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef JMESPATH_INT_H
#define JMESPATH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jmespath/jmespath.h"

/*
 * How deep the parser may recurse and how deep the tree may grow; the
 * evaluator recurses along the tree, so this bounds its stack too.
 */
#define JP_MAX_DEPTH 256

/* How deep the evaluator follows nested documents (equality, ordering). */
#define JP_MAX_DATA_DEPTH 1024

/* Fill err (when not NULL) with kind, position and message. */
extern void jp_set_error(JpError *err, JpErrorKind kind, int position, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* ---- memory ----
 *
 * A compiled expression lives in one arena: the tree, its names and arrays
 * are carved from a few large blocks and freed together, which makes
 * compiling cheap and error paths simple.  Literal values are json-c objects
 * the arena holds a reference to until it is freed.
 */

typedef struct JpChunk
{
	struct JpChunk *next;
	size_t		size;
	size_t		used;
	char		data[];
} JpChunk;

typedef struct JpLiteralRef
{
	struct JpLiteralRef *next;
	struct json_object *value;
} JpLiteralRef;

typedef struct JpArena
{
	JpChunk    *chunks;
	JpLiteralRef *literals;
} JpArena;

/* size zeroed bytes, 8-aligned; NULL when out of memory */
extern void *jp_arena_alloc(JpArena *arena, size_t size);
/* Hold value (taken over; put now if that fails) until the arena is freed. */
extern bool jp_arena_keep(JpArena *arena, struct json_object *value);
extern void jp_arena_free(JpArena *arena);

/* ---- tokens ---- */

typedef enum JpTokType
{
	JP_T_EOF,
	JP_T_UNQUOTED,
	JP_T_QUOTED,
	JP_T_LITERAL,
	JP_T_RBRACKET,
	JP_T_RPAREN,
	JP_T_COMMA,
	JP_T_RBRACE,
	JP_T_NUMBER,
	JP_T_CURRENT,
	JP_T_EXPREF,
	JP_T_COLON,
	JP_T_PIPE,
	JP_T_OR,
	JP_T_AND,
	JP_T_EQ,
	JP_T_NE,
	JP_T_LT,
	JP_T_LTE,
	JP_T_GT,
	JP_T_GTE,
	JP_T_FLATTEN,
	JP_T_STAR,
	JP_T_FILTER,
	JP_T_DOT,
	JP_T_NOT,
	JP_T_LBRACE,
	JP_T_LBRACKET,
	JP_T_LPAREN,
	JP_T_COUNT_
} JpTokType;

typedef struct JpToken
{
	JpTokType	type;
	int			start;			/* byte offset in the expression */
	int			end;			/* one past the last byte */
	char	   *str;			/* identifiers: decoded, NUL-ended, in the arena */
	size_t		len;			/* its length in bytes (may hold a NUL) */
	int64_t		num;			/* JP_T_NUMBER */
	struct json_object *lit;	/* JP_T_LITERAL: held by the arena */
} JpToken;

/*
 * Split expr into a malloc'd array of tokens ending with JP_T_EOF, their
 * strings and values in arena; NULL and err on failure.
 */
extern JpToken *jp_lex(const char *expr, JpArena *arena, int *ntokens, JpError *err);

/* ---- syntax tree ---- */

typedef enum JpNodeType
{
	JP_N_CURRENT,				/* @, and the implicit right side of projections */
	JP_N_FIELD,
	JP_N_CHAIN,					/* each item on the result of the one before:
								 * a.b, a[0], a | b */
	JP_N_INDEX,
	JP_N_SLICE,
	JP_N_PROJECT,				/* right over each element of left's array */
	JP_N_VALUES,				/* right over each value of left's object */
	JP_N_FLATTEN,
	JP_N_FILTER,				/* right over the elements of left where cond */
	JP_N_MULTI_LIST,
	JP_N_MULTI_HASH,
	JP_N_LITERAL,
	JP_N_COMPARE,
	JP_N_AND,
	JP_N_OR,
	JP_N_NOT,
	JP_N_EXPREF,
	JP_N_CALL
} JpNodeType;

typedef enum JpCmpOp
{
	JP_CMP_EQ,
	JP_CMP_NE,
	JP_CMP_LT,
	JP_CMP_LTE,
	JP_CMP_GT,
	JP_CMP_GTE
} JpCmpOp;

struct JpFunc;

typedef struct JpNode
{
	JpNodeType	type;
	int			depth;			/* height of the subtree, for the depth limit */
	struct JpNode *left;
	struct JpNode *right;
	struct JpNode *cond;		/* JP_N_FILTER */
	union
	{
		struct
		{
			char	   *name;	/* NUL-ended */
			bool		has_nul;	/* a \u0000 in the name: no json-c key matches */
		}			field;
		int64_t		index;
		struct
		{
			int64_t		start;
			int64_t		stop;
			int64_t		step;
			bool		has_start;
			bool		has_stop;
			bool		has_step;
		}			slice;
		struct json_object *literal;
		JpCmpOp		cmp;
		struct
		{
			int			n;
			int			cap;	/* room in items (and keys) */
			struct JpNode **items;	/* chain steps, list items, hash values,
									 * call args */
			char	  **keys;	/* JP_N_MULTI_HASH */
			bool		unique_keys;	/* no key repeats: add without lookup */
			const struct JpFunc *fn;	/* JP_N_CALL */
		}			multi;
	}			u;
} JpNode;

struct JpExpr
{
	JpNode	   *root;
	JpArena		arena;			/* holds the whole tree */
};

/* ---- evaluation ---- */

typedef struct JpEval
{
	JpError    *err;
} JpEval;

/* An evaluated function argument: a value, or the tree of an &expression. */
typedef struct JpArg
{
	struct json_object *v;
	const JpNode *expref;
} JpArg;

typedef struct json_object *(*JpFuncImpl) (JpEval *ev, JpArg *args, int nargs);

/* Argument type masks of function signatures. */
#define JP_TY_NULL		0x001
#define JP_TY_BOOL		0x002
#define JP_TY_NUMBER	0x004
#define JP_TY_STRING	0x008
#define JP_TY_ARRAY		0x010
#define JP_TY_OBJECT	0x020
#define JP_TY_EXPREF	0x040
#define JP_TY_ARRAY_NUM 0x080	/* an array whose elements are all numbers */
#define JP_TY_ARRAY_STR 0x100	/* an array whose elements are all strings */
#define JP_TY_ANY		0x03f

typedef struct JpFunc
{
	const char *name;
	int			min_args;
	bool		variadic;		/* more than min_args, each of type args[last] */
	int			args[3];
	JpFuncImpl	impl;
} JpFunc;

extern const JpFunc *jp_func_lookup(const char *name);
extern struct json_object *jp_func_call(JpEval *ev, const JpFunc *fn, JpArg *args, int nargs);

extern struct json_object *jp_eval(JpEval *ev, const JpNode *node, struct json_object *cur);
extern bool jp_truthy(struct json_object *v);
extern bool jp_equal(struct json_object *a, struct json_object *b, int depth);
extern bool jp_is_number(struct json_object *v);
extern bool jp_num_int(struct json_object *v, int64_t *out);
extern int	jp_num_cmp(struct json_object *a, struct json_object *b);
extern double jp_num_double(struct json_object *v);
extern const char *jp_type_name(struct json_object *v);
extern bool jp_fail(JpEval *ev, JpErrorKind kind, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern struct json_object *jp_nomem(JpEval *ev);
extern struct json_object *jp_new_array(JpEval *ev, size_t hint);
extern struct json_object *jp_new_bool(JpEval *ev, bool b);
extern bool jp_array_push(JpEval *ev, struct json_object *arr, struct json_object *item);

#endif							/* JMESPATH_INT_H */
