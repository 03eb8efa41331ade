/*-------------------------------------------------------------------------
 *
 * expr_int.h
 *		  Inside the expression engine: tokens, the syntax tree, and the
 *		  entry points the lexer, parser, evaluator and templates share.
 *		  Nothing outside expr_*.c and template.c includes this.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPR_INT_H
#define EXPR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "expr/expr.h"
#include "expr/expr_value.h"
#include "expr/functions.h"
#include "jmespath/jmespath.h"

/* Deepest nesting the parser accepts (parentheses, calls, operators). */
#define BF_EXPR_MAX_DEPTH 256

typedef enum BfTokKind
{
	BF_T_EOF,
	BF_T_INT,
	BF_T_FLOAT,
	BF_T_STRING,
	BF_T_IDENT,
	BF_T_PLUS,
	BF_T_MINUS,
	BF_T_STAR,
	BF_T_SLASH,
	BF_T_PERCENT,
	BF_T_POW,
	BF_T_EQ,
	BF_T_NE,
	BF_T_LT,
	BF_T_LE,
	BF_T_GT,
	BF_T_GE,
	BF_T_AND,
	BF_T_OR,
	BF_T_NOT,
	BF_T_QUESTION,
	BF_T_COLON,
	BF_T_COMMA,
	BF_T_DOT,
	BF_T_LBRACKET,
	BF_T_RBRACKET,
	BF_T_LPAREN,
	BF_T_RPAREN,
	BF_T_LBRACE,
	BF_T_RBRACE,
	BF_T_BITAND,
	BF_T_BITXOR,
	BF_T_BITNOT,
	BF_T_SHL,
	BF_T_SHR,
	BF_T_IN,
	BF_T_TRUE,
	BF_T_FALSE,
	BF_T_NULL
} BfTokKind;

typedef struct BfToken
{
	BfTokKind	kind;
	size_t		pos;			/* byte offset in the text lexed */
	size_t		len;
	int64_t		ival;
	double		dval;
	char	   *sval;			/* strings: malloc'd, NUL-terminated */
	size_t		slen;
} BfToken;

typedef struct BfLexer
{
	const char *src;
	size_t		len;
	size_t		i;
	size_t		err_pos;
	bool		single_quote;	/* the error is a single-quoted string */
	char		err[160];
} BfLexer;

/* Next token; false with err/err_pos set on a lexical error. */
extern bool bf_lex_next(BfLexer *lx, BfToken *tok);

/* How a token reads in an error message: "'*'", "end of expression", ... */
extern const char *bf_tok_describe(const BfToken *tok, const char *src, char *buf, size_t size);

/* True for the namespace names a template part must mention to be evaluated. */
extern bool bf_is_namespace(const char *name, size_t len);

typedef enum BfNodeKind
{
	BF_N_LITERAL,
	BF_N_PATH,
	BF_N_INDEX,
	BF_N_SLICE,
	BF_N_UNARY,
	BF_N_BINARY,
	BF_N_AND,
	BF_N_OR,
	BF_N_COND,
	BF_N_CALL,
	BF_N_ARRAY,
	BF_N_OBJECT,
	BF_N_JMESPATH
} BfNodeKind;

typedef enum BfOp
{
	BF_OP_ADD,
	BF_OP_SUB,
	BF_OP_MUL,
	BF_OP_DIV,
	BF_OP_MOD,
	BF_OP_POW,
	BF_OP_EQ,
	BF_OP_NE,
	BF_OP_LT,
	BF_OP_LE,
	BF_OP_GT,
	BF_OP_GE,
	BF_OP_IN,
	BF_OP_BITAND,
	BF_OP_BITXOR,
	BF_OP_SHL,
	BF_OP_SHR,
	BF_OP_NEG,
	BF_OP_NOT,
	BF_OP_BITNOT
} BfOp;

/* One static step of a path: .key, ["key"], [3], [-1]. */
typedef struct BfSeg
{
	bool		is_index;
	int64_t		index;
	char	   *key;
} BfSeg;

typedef struct BfNode BfNode;

struct BfNode
{
	BfNodeKind	kind;
	size_t		pos;			/* byte offset in the expression */
	int			height;			/* longest chain of nodes below, for the depth limit */
	union
	{
		struct json_object *literal;
		struct
		{
			BfNode	   *base;	/* NULL: starts at root, a variable */
			char	   *root;
			int			nsegs;
			BfSeg	   *segs;
		}			path;
		struct
		{
			BfNode	   *base;
			BfNode	   *index;
		}			index;
		struct
		{
			BfNode	   *base;
			BfNode	   *lo;		/* NULL when omitted */
			BfNode	   *hi;
		}			slice;
		struct
		{
			BfOp		op;
			BfNode	   *a;
			BfNode	   *b;		/* NULL for unary operators */
		}			op;
		struct
		{
			BfNode	   *cond;
			BfNode	   *then;
			BfNode	   *otherwise;
		}			cond;
		struct
		{
			const BfFunction *fn;
			int			nargs;
			BfNode	  **args;
			void	   *prepared;
		}			call;
		struct
		{
			int			n;
			BfNode	  **items;
			char	  **keys;	/* objects only */
		}			list;
		JpExpr	   *jmespath;
	}			u;
};

struct BfExpr
{
	char	   *src;			/* the expression's own text */
	BfNode	   *root;
};

/*
 * Compile the expression text[offset, offset + len) of whole.  Error
 * messages give positions and the text of whole, so a template part's error
 * points into its template.
 */
extern BfExpr *bf_expr_compile_part(const char *whole, size_t offset, size_t len,
									BfError *err);

/*
 * Sling leaves a template part as text when it names no namespace and calls
 * no function it knows ({id}, a GraphQL selection).  These tell such parts:
 * a compiled part that is only a path from an unknown variable, and the
 * text of a part that did not compile.
 */
extern bool bf_expr_is_foreign_path(const BfExpr *expr);
extern bool bf_expr_text_mentions_known(const char *text, size_t len);

/* Evaluation, and the refs walk, of a tree (expr_eval.c / expr_parse.c). */
extern bool bf_node_eval(const BfNode *node, struct json_object *vars,
						 struct json_object **out, BfBudget *budget, BfError *err);
extern void bf_node_free(BfNode *node);

/* Add " in expression: src" and hide secret values in a run-time error. */
extern void bf_expr_finish_error(BfError *err, const char *src, struct json_object *vars);

#endif							/* EXPR_INT_H */
