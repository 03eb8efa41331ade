/*-------------------------------------------------------------------------
 *
 * jmespath.c
 *		  The JMESPath parser: tokens to a syntax tree, and the module's
 *		  public entry points other than the search (jmespath_eval.c).
 *
 * A Pratt parser with the binding powers of the reference implementation
 * (jmespath.py).  Projections are settled here, not at run time: the right
 * side of a projection is parsed with a binding power that stops at the
 * tokens that end a projection (pipe, comparators, && ||, flatten), so the
 * evaluator only follows the tree.
 *
 * Function names and arities are checked here, so that a spec with an
 * unknown function or a wrong argument count fails when it is loaded.
 *
 * Nodes come from the expression's arena (jp_arena_alloc), so a failed
 * parse just frees the arena: no error path frees a subtree.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jmespath/jmespath_int.h"

/* Tokens whose binding power is below this end a projection. */
#define JP_PROJECTION_STOP 10

static const int jp_bp[JP_T_COUNT_] = {
	[JP_T_EOF] = 0,
	[JP_T_UNQUOTED] = 0,
	[JP_T_QUOTED] = 0,
	[JP_T_LITERAL] = 0,
	[JP_T_RBRACKET] = 0,
	[JP_T_RPAREN] = 0,
	[JP_T_COMMA] = 0,
	[JP_T_RBRACE] = 0,
	[JP_T_NUMBER] = 0,
	[JP_T_CURRENT] = 0,
	[JP_T_EXPREF] = 0,
	[JP_T_COLON] = 0,
	[JP_T_PIPE] = 1,
	[JP_T_OR] = 2,
	[JP_T_AND] = 3,
	[JP_T_EQ] = 5,
	[JP_T_NE] = 5,
	[JP_T_LT] = 5,
	[JP_T_LTE] = 5,
	[JP_T_GT] = 5,
	[JP_T_GTE] = 5,
	[JP_T_FLATTEN] = 9,
	[JP_T_STAR] = 20,
	[JP_T_FILTER] = 21,
	[JP_T_DOT] = 40,
	[JP_T_NOT] = 45,
	[JP_T_LBRACE] = 50,
	[JP_T_LBRACKET] = 55,
	[JP_T_LPAREN] = 60,
};

typedef struct JpParser
{
	const char *src;
	JpToken    *toks;
	int			ntoks;
	int			pos;			/* index of the current token */
	int			depth;			/* recursion depth of jp_parse_expr */
	JpArena    *arena;
	JpError    *err;

	/*
	 * The first unknown function or wrong arity.  Parsing goes on, so that a
	 * syntax error anywhere in the expression is the one reported.
	 */
	JpError		semantic;
} JpParser;

static JpNode *jp_parse_expr(JpParser *p, int rbp);

void
jp_set_error(JpError *err, JpErrorKind kind, int position, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	err->kind = kind;
	err->position = position;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* ---- memory ---- */

#define JP_CHUNK_MIN 1024

void *
jp_arena_alloc(JpArena *arena, size_t size)
{
	JpChunk    *c = arena->chunks;
	void	   *out;

	size = (size + 7) & ~(size_t) 7;
	if (c == NULL || c->size - c->used < size)
	{
		size_t		csize = c != NULL ? c->size * 2 : JP_CHUNK_MIN;

		if (csize < size)
			csize = size;
		c = malloc(sizeof(JpChunk) + csize);
		if (c == NULL)
			return NULL;
		c->next = arena->chunks;
		c->size = csize;
		c->used = 0;
		arena->chunks = c;
	}
	out = c->data + c->used;
	c->used += size;
	memset(out, 0, size);
	return out;
}

bool
jp_arena_keep(JpArena *arena, struct json_object *value)
{
	JpLiteralRef *ref = jp_arena_alloc(arena, sizeof(JpLiteralRef));

	if (ref == NULL)
	{
		json_object_put(value);
		return false;
	}
	ref->value = value;
	ref->next = arena->literals;
	arena->literals = ref;
	return true;
}

void
jp_arena_free(JpArena *arena)
{
	JpLiteralRef *ref;
	JpChunk    *c;

	for (ref = arena->literals; ref != NULL; ref = ref->next)
		json_object_put(ref->value);
	while ((c = arena->chunks) != NULL)
	{
		arena->chunks = c->next;
		free(c);
	}
	arena->literals = NULL;
}

/* ---- tokens ---- */

static JpToken *
jp_cur(JpParser *p)
{
	return &p->toks[p->pos];
}

/* The token n after the current one (EOF past the end). */
static JpTokType
jp_peek(JpParser *p, int n)
{
	int			i = p->pos + n;

	return i < p->ntoks ? p->toks[i].type : JP_T_EOF;
}

static JpToken *
jp_advance(JpParser *p)
{
	JpToken    *t = &p->toks[p->pos];

	if (p->pos < p->ntoks - 1)
		p->pos++;
	return t;
}

/* A syntax error at token t, showing its text; always returns NULL. */
static JpNode *
jp_syntax(JpParser *p, const JpToken *t, const char *what)
{
	int			len = t->end - t->start;

	if (t->type == JP_T_EOF)
		jp_set_error(p->err, JP_ERR_SYNTAX, t->start,
					 "%s, got the end of the expression", what);
	else
		jp_set_error(p->err, JP_ERR_SYNTAX, t->start, "%s, got \"%.*s\"",
					 what, len > 40 ? 40 : len, p->src + t->start);
	return NULL;
}

/* Consume a token of the given type, or fail. */
static bool
jp_match(JpParser *p, JpTokType type, const char *what)
{
	if (jp_cur(p)->type != type)
	{
		jp_syntax(p, jp_cur(p), what);
		return false;
	}
	jp_advance(p);
	return true;
}

/* ---- nodes ---- */

static JpNode *
jp_too_deep(JpParser *p)
{
	jp_set_error(p->err, JP_ERR_SYNTAX, jp_cur(p)->start,
				 "expression nested deeper than %d levels", JP_MAX_DEPTH);
	return NULL;
}

/* n's height grows to hold child; false (and an error) past the limit. */
static bool
jp_adopt(JpParser *p, JpNode *n, const JpNode *child)
{
	if (child != NULL && child->depth >= n->depth)
		n->depth = child->depth + 1;
	if (n->depth > JP_MAX_DEPTH)
	{
		jp_too_deep(p);
		return false;
	}
	return true;
}

/*
 * A new node over left and right, either of which may be NULL (a leaf, a
 * unary node).  The tree's height is checked here and not only in the
 * parser's recursion because some chains grow the tree in a loop
 * (a || b || ..., a[*][*]...).
 */
static JpNode *
jp_node(JpParser *p, JpNodeType type, JpNode *left, JpNode *right)
{
	JpNode	   *n = jp_arena_alloc(p->arena, sizeof(JpNode));

	if (n == NULL)
	{
		jp_set_error(p->err, JP_ERR_NOMEM, -1, "out of memory");
		return NULL;
	}
	n->type = type;
	n->depth = 1;
	n->left = left;
	n->right = right;
	if (!jp_adopt(p, n, left) || !jp_adopt(p, n, right))
		return NULL;
	return n;
}

/* jp_node over two parsed operands, either of which may have failed. */
static JpNode *
jp_join(JpParser *p, JpNodeType type, JpNode *left, JpNode *right)
{
	if (left == NULL || right == NULL)
		return NULL;
	return jp_node(p, type, left, right);
}

/* jp_node over one parsed operand, which may have failed. */
static JpNode *
jp_wrap(JpParser *p, JpNodeType type, JpNode *child)
{
	if (child == NULL)
		return NULL;
	return jp_node(p, type, child, NULL);
}

static JpNode *
jp_current(JpParser *p)
{
	return jp_node(p, JP_N_CURRENT, NULL, NULL);
}

/* Append item (and key) to a chain, list, hash or call node. */
static bool
jp_multi_add(JpParser *p, JpNode *n, JpNode *item, char *key)
{
	int			k = n->u.multi.n;

	if (k == n->u.multi.cap)
	{
		int			cap = k > 0 ? k * 2 : 4;
		JpNode	  **items = jp_arena_alloc(p->arena, sizeof(JpNode *) * (size_t) cap);
		char	  **keys = NULL;

		if (items != NULL && n->type == JP_N_MULTI_HASH)
			keys = jp_arena_alloc(p->arena, sizeof(char *) * (size_t) cap);
		if (items == NULL || (n->type == JP_N_MULTI_HASH && keys == NULL))
		{
			jp_set_error(p->err, JP_ERR_NOMEM, -1, "out of memory");
			return false;
		}
		if (k > 0)
		{
			memcpy(items, n->u.multi.items, sizeof(JpNode *) * (size_t) k);
			if (keys != NULL)
				memcpy(keys, n->u.multi.keys, sizeof(char *) * (size_t) k);
		}
		n->u.multi.items = items;
		n->u.multi.keys = keys;
		n->u.multi.cap = cap;
	}
	n->u.multi.items[k] = item;
	if (key != NULL)
		n->u.multi.keys[k] = key;
	n->u.multi.n = k + 1;
	return jp_adopt(p, n, item);
}

/*
 * left, then right on its result (a.b, a[0], a | b).  Steps are appended to
 * one chain node, which the evaluator runs in a loop, so a long a.b.c...
 * neither deepens the tree nor the evaluator's stack.  Composition does not
 * care how it is grouped, so (a.b) | c is the chain a, b, c.  "[0]" alone
 * parses as @ then [0]; the @ step is dropped.
 */
static JpNode *
jp_chain(JpParser *p, JpNode *left, JpNode *right)
{
	JpNode	   *n = left;

	if (left == NULL || right == NULL)
		return NULL;
	if (left->type == JP_N_CURRENT)
		return right;
	if (left->type != JP_N_CHAIN)
	{
		n = jp_node(p, JP_N_CHAIN, NULL, NULL);
		if (n == NULL || !jp_multi_add(p, n, left, NULL))
			return NULL;
	}
	return jp_multi_add(p, n, right, NULL) ? n : NULL;
}

/* A field node named by the identifier of token t. */
static JpNode *
jp_field(JpParser *p, const JpToken *t)
{
	JpNode	   *n = jp_node(p, JP_N_FIELD, NULL, NULL);

	if (n == NULL)
		return NULL;
	n->u.field.name = t->str;
	n->u.field.has_nul = strlen(t->str) != t->len;
	return n;
}

/* ---- grammar ---- */

static JpNode *jp_parse_multi_list(JpParser *p);
static JpNode *jp_parse_multi_hash(JpParser *p);

/* After a '.': an identifier, '*', a function call, [list] or {hash}. */
static JpNode *
jp_parse_dot_rhs(JpParser *p, int bp)
{
	JpTokType	t = jp_cur(p)->type;

	if (t == JP_T_QUOTED || t == JP_T_UNQUOTED || t == JP_T_STAR)
		return jp_parse_expr(p, bp);
	if (t == JP_T_LBRACKET)
	{
		jp_advance(p);
		return jp_parse_multi_list(p);
	}
	if (t == JP_T_LBRACE)
	{
		jp_advance(p);
		return jp_parse_multi_hash(p);
	}
	return jp_syntax(p, jp_cur(p), "expected an identifier, '*', '[' or '{' after '.'");
}

/*
 * What follows a projection ([*], *, [], [?...], [a:b]): nothing when the
 * next token ends projections, else the expression applied to each element.
 */
static JpNode *
jp_parse_projection_rhs(JpParser *p, int bp)
{
	JpTokType	t = jp_cur(p)->type;

	if (jp_bp[t] < JP_PROJECTION_STOP)
		return jp_current(p);
	if (t == JP_T_LBRACKET || t == JP_T_FILTER)
		return jp_parse_expr(p, bp);
	if (t == JP_T_DOT)
	{
		jp_advance(p);
		return jp_parse_dot_rhs(p, bp);
	}
	return jp_syntax(p, jp_cur(p), "expected '.', '[' or the end of the projection");
}

/* [start:stop:step], each part optional; the '[' is consumed. */
static JpNode *
jp_parse_slice(JpParser *p)
{
	int64_t		part[3] = {0, 0, 0};
	bool		has[3] = {false, false, false};
	int			i = 0;
	JpNode	   *n;

	while (jp_cur(p)->type != JP_T_RBRACKET)
	{
		if (jp_cur(p)->type == JP_T_COLON && i < 2)
			i++;
		else if (jp_cur(p)->type == JP_T_NUMBER && !has[i])
		{
			part[i] = jp_cur(p)->num;
			has[i] = true;
		}
		else
			return jp_syntax(p, jp_cur(p), "expected a number, ':' or ']' in a slice");
		jp_advance(p);
	}
	jp_advance(p);
	n = jp_node(p, JP_N_SLICE, NULL, NULL);
	if (n == NULL)
		return NULL;
	n->u.slice.start = part[0];
	n->u.slice.stop = part[1];
	n->u.slice.step = part[2];
	n->u.slice.has_start = has[0];
	n->u.slice.has_stop = has[1];
	n->u.slice.has_step = has[2];
	return n;
}

/* [number] or a slice; the '[' is consumed and a number or ':' is next. */
static JpNode *
jp_parse_index(JpParser *p)
{
	JpNode	   *n;

	if (jp_peek(p, 0) == JP_T_COLON || jp_peek(p, 1) == JP_T_COLON)
		return jp_parse_slice(p);
	n = jp_node(p, JP_N_INDEX, NULL, NULL);
	if (n == NULL)
		return NULL;
	n->u.index = jp_advance(p)->num;
	return jp_match(p, JP_T_RBRACKET, "expected ']' after an index") ? n : NULL;
}

/* left[index], or left[slice] which projects what follows over the slice. */
static JpNode *
jp_project_if_slice(JpParser *p, JpNode *left, JpNode *index)
{
	JpNode	   *n = jp_chain(p, left, index);

	if (n == NULL || index->type != JP_N_SLICE)
		return n;
	return jp_join(p, JP_N_PROJECT, n, jp_parse_projection_rhs(p, jp_bp[JP_T_STAR]));
}

/* left[*]... and [*]...; "[*" is consumed and "]" is next. */
static JpNode *
jp_parse_star_projection(JpParser *p, JpNode *left)
{
	if (left == NULL || !jp_match(p, JP_T_RBRACKET, "expected ']' after '[*'"))
		return NULL;
	return jp_join(p, JP_N_PROJECT, left, jp_parse_projection_rhs(p, jp_bp[JP_T_STAR]));
}

/* [a, b, ...]; the '[' is consumed. */
static JpNode *
jp_parse_multi_list(JpParser *p)
{
	JpNode	   *n = jp_node(p, JP_N_MULTI_LIST, NULL, NULL);

	while (n != NULL)
	{
		JpNode	   *e = jp_parse_expr(p, 0);

		if (e == NULL || !jp_multi_add(p, n, e, NULL))
			return NULL;
		if (jp_cur(p)->type == JP_T_RBRACKET)
		{
			jp_advance(p);
			return n;
		}
		if (!jp_match(p, JP_T_COMMA, "expected ',' or ']'"))
			return NULL;
	}
	return NULL;
}

/* Whether no key of a multi-select hash repeats (then adding needs no lookup). */
static bool
jp_keys_unique(const JpNode *n)
{
	int			i;
	int			j;

	for (i = 0; i < n->u.multi.n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(n->u.multi.keys[i], n->u.multi.keys[j]) == 0)
				return false;
	return true;
}

/* {key: expr, ...}; the '{' is consumed. */
static JpNode *
jp_parse_multi_hash(JpParser *p)
{
	JpNode	   *n = jp_node(p, JP_N_MULTI_HASH, NULL, NULL);

	while (n != NULL)
	{
		JpToken    *key = jp_cur(p);
		JpNode	   *v;

		if (key->type != JP_T_UNQUOTED && key->type != JP_T_QUOTED)
			return jp_syntax(p, key, "expected a key name");
		jp_advance(p);
		if (!jp_match(p, JP_T_COLON, "expected ':' after a key name"))
			return NULL;
		v = jp_parse_expr(p, 0);
		if (v == NULL || !jp_multi_add(p, n, v, key->str))
			return NULL;
		if (jp_cur(p)->type == JP_T_RBRACE)
		{
			jp_advance(p);
			n->u.multi.unique_keys = jp_keys_unique(n);
			return n;
		}
		if (!jp_match(p, JP_T_COMMA, "expected ',' or '}'"))
			return NULL;
	}
	return NULL;
}

/* Check the function and the number of arguments of call n, named by token name. */
static void
jp_check_call(JpParser *p, const JpToken *name, const JpNode *n)
{
	const JpFunc *fn = n->u.multi.fn;
	int			got = n->u.multi.n;

	if (p->semantic.kind != JP_OK)
		return;
	if (fn == NULL)
		jp_set_error(&p->semantic, JP_ERR_UNKNOWN_FUNCTION, name->start,
					 "unknown function %s()", name->str);
	else if (got < fn->min_args || (!fn->variadic && got > fn->min_args))
		jp_set_error(&p->semantic, JP_ERR_INVALID_ARITY, name->start,
					 "function %s() takes %s%d argument%s, got %d", fn->name,
					 fn->variadic ? "at least " : "", fn->min_args,
					 fn->min_args == 1 ? "" : "s", got);
}

/* name(args); the '(' is consumed and left is the name. */
static JpNode *
jp_parse_call(JpParser *p, JpNode *left)
{
	const JpToken *name = &p->toks[p->pos - 2];
	JpNode	   *n;

	if (left->type != JP_N_FIELD || name->type != JP_T_UNQUOTED)
		return jp_syntax(p, &p->toks[p->pos - 1], "'(' must follow a function name");
	n = jp_node(p, JP_N_CALL, NULL, NULL);
	if (n == NULL)
		return NULL;
	n->u.multi.fn = jp_func_lookup(name->str);
	while (jp_cur(p)->type != JP_T_RPAREN)
	{
		JpNode	   *arg = jp_parse_expr(p, 0);

		if (arg == NULL || !jp_multi_add(p, n, arg, NULL))
			return NULL;
		if (jp_cur(p)->type == JP_T_COMMA && jp_peek(p, 1) != JP_T_RPAREN)
			jp_advance(p);
		else if (jp_cur(p)->type != JP_T_RPAREN)
			return jp_syntax(p, jp_cur(p), "expected ',' or ')' in a function call");
	}
	jp_advance(p);
	jp_check_call(p, name, n);
	return n;
}

/* expr[? cond ] and what it projects; "[?" is consumed. */
static JpNode *
jp_parse_filter(JpParser *p, JpNode *left)
{
	JpNode	   *cond = jp_parse_expr(p, 0);
	JpNode	   *right;
	JpNode	   *n;

	if (left == NULL || cond == NULL || !jp_match(p, JP_T_RBRACKET, "expected ']' after a filter"))
		return NULL;
	if (jp_cur(p)->type == JP_T_FLATTEN)
		right = jp_current(p);
	else
		right = jp_parse_projection_rhs(p, jp_bp[JP_T_FILTER]);
	n = jp_join(p, JP_N_FILTER, left, right);
	if (n == NULL || !jp_adopt(p, n, cond))
		return NULL;
	n->cond = cond;
	return n;
}

/* A token at the start of an expression. */
static JpNode *
jp_nud(JpParser *p, JpToken *t)
{
	JpNode	   *n;

	switch (t->type)
	{
		case JP_T_LITERAL:
			n = jp_node(p, JP_N_LITERAL, NULL, NULL);
			if (n != NULL)
				n->u.literal = t->lit;
			return n;
		case JP_T_UNQUOTED:
			return jp_field(p, t);
		case JP_T_QUOTED:
			if (jp_cur(p)->type == JP_T_LPAREN)
				return jp_syntax(p, jp_cur(p), "a quoted identifier cannot name a function");
			return jp_field(p, t);
		case JP_T_CURRENT:
			return jp_current(p);
		case JP_T_STAR:
			return jp_join(p, JP_N_VALUES, jp_current(p),
						   jp_parse_projection_rhs(p, jp_bp[JP_T_STAR]));
		case JP_T_FILTER:
			return jp_parse_filter(p, jp_current(p));
		case JP_T_FLATTEN:
			return jp_join(p, JP_N_PROJECT, jp_wrap(p, JP_N_FLATTEN, jp_current(p)),
						   jp_parse_projection_rhs(p, jp_bp[JP_T_FLATTEN]));
		case JP_T_LBRACE:
			return jp_parse_multi_hash(p);
		case JP_T_LPAREN:
			n = jp_parse_expr(p, 0);
			return n != NULL && jp_match(p, JP_T_RPAREN, "expected ')'") ? n : NULL;
		case JP_T_NOT:
			return jp_wrap(p, JP_N_NOT, jp_parse_expr(p, jp_bp[JP_T_NOT]));
		case JP_T_EXPREF:
			return jp_wrap(p, JP_N_EXPREF, jp_parse_expr(p, jp_bp[JP_T_EXPREF]));
		case JP_T_LBRACKET:
			if (jp_cur(p)->type == JP_T_NUMBER || jp_cur(p)->type == JP_T_COLON)
				return jp_project_if_slice(p, jp_current(p), jp_parse_index(p));
			if (jp_cur(p)->type == JP_T_STAR && jp_peek(p, 1) == JP_T_RBRACKET)
			{
				jp_advance(p);
				return jp_parse_star_projection(p, jp_current(p));
			}
			return jp_parse_multi_list(p);
		default:
			return jp_syntax(p, t, "expected an expression");
	}
}

static JpNode *
jp_compare(JpParser *p, JpNode *left, JpCmpOp op)
{
	JpNode	   *n = jp_join(p, JP_N_COMPARE, left, jp_parse_expr(p, jp_bp[JP_T_EQ]));

	if (n != NULL)
		n->u.cmp = op;
	return n;
}

/* A token after a complete left operand. */
static JpNode *
jp_led(JpParser *p, JpToken *t, JpNode *left)
{
	switch (t->type)
	{
		case JP_T_DOT:
			if (jp_cur(p)->type == JP_T_STAR)
			{
				jp_advance(p);
				return jp_join(p, JP_N_VALUES, left,
							   jp_parse_projection_rhs(p, jp_bp[JP_T_DOT]));
			}
			return jp_chain(p, left, jp_parse_dot_rhs(p, jp_bp[JP_T_DOT]));
		case JP_T_PIPE:
			return jp_chain(p, left, jp_parse_expr(p, jp_bp[JP_T_PIPE]));
		case JP_T_OR:
			return jp_join(p, JP_N_OR, left, jp_parse_expr(p, jp_bp[JP_T_OR]));
		case JP_T_AND:
			return jp_join(p, JP_N_AND, left, jp_parse_expr(p, jp_bp[JP_T_AND]));
		case JP_T_EQ:
			return jp_compare(p, left, JP_CMP_EQ);
		case JP_T_NE:
			return jp_compare(p, left, JP_CMP_NE);
		case JP_T_LT:
			return jp_compare(p, left, JP_CMP_LT);
		case JP_T_LTE:
			return jp_compare(p, left, JP_CMP_LTE);
		case JP_T_GT:
			return jp_compare(p, left, JP_CMP_GT);
		case JP_T_GTE:
			return jp_compare(p, left, JP_CMP_GTE);
		case JP_T_LPAREN:
			return jp_parse_call(p, left);
		case JP_T_FILTER:
			return jp_parse_filter(p, left);
		case JP_T_FLATTEN:
			return jp_join(p, JP_N_PROJECT, jp_wrap(p, JP_N_FLATTEN, left),
						   jp_parse_projection_rhs(p, jp_bp[JP_T_FLATTEN]));
		case JP_T_LBRACKET:
			if (jp_cur(p)->type == JP_T_NUMBER || jp_cur(p)->type == JP_T_COLON)
				return jp_project_if_slice(p, left, jp_parse_index(p));
			if (jp_cur(p)->type == JP_T_STAR)
			{
				jp_advance(p);
				return jp_parse_star_projection(p, left);
			}
			return jp_syntax(p, jp_cur(p), "expected a number, ':' or '*' after '['");
		default:
			return jp_syntax(p, t, "unexpected token");
	}
}

/* An expression whose operators bind tighter than rbp. */
static JpNode *
jp_parse_expr(JpParser *p, int rbp)
{
	JpNode	   *left;

	if (p->depth >= JP_MAX_DEPTH)
		return jp_too_deep(p);
	p->depth++;
	left = jp_nud(p, jp_advance(p));
	while (left != NULL && rbp < jp_bp[jp_cur(p)->type])
		left = jp_led(p, jp_advance(p), left);
	p->depth--;
	return left;
}

JpExpr *
jp_compile(const char *expr, JpError *err)
{
	JpError		local;
	JpParser	p;
	JpExpr	   *e;

	if (err == NULL)
		err = &local;
	err->kind = JP_OK;
	err->position = -1;
	err->message[0] = '\0';
	e = calloc(1, sizeof(JpExpr));
	if (e == NULL)
	{
		jp_set_error(err, JP_ERR_NOMEM, -1, "out of memory");
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.src = expr;
	p.err = err;
	p.arena = &e->arena;
	p.semantic.kind = JP_OK;
	p.toks = jp_lex(expr, p.arena, &p.ntoks, err);
	if (p.toks != NULL)
		e->root = jp_parse_expr(&p, 0);
	if (e->root != NULL && jp_cur(&p)->type != JP_T_EOF)
		e->root = jp_syntax(&p, jp_cur(&p), "expected the end of the expression");
	if (e->root != NULL && p.semantic.kind != JP_OK)
	{
		*err = p.semantic;
		e->root = NULL;
	}
	free(p.toks);
	if (e->root == NULL)
	{
		jp_free(e);
		return NULL;
	}
	return e;
}

void
jp_free(JpExpr *expr)
{
	if (expr == NULL)
		return;
	jp_arena_free(&expr->arena);
	free(expr);
}

const char *
jp_error_class(JpErrorKind kind)
{
	switch (kind)
	{
		case JP_OK:
			return "ok";
		case JP_ERR_SYNTAX:
			return "syntax";
		case JP_ERR_INVALID_TYPE:
			return "invalid-type";
		case JP_ERR_INVALID_ARITY:
			return "invalid-arity";
		case JP_ERR_INVALID_VALUE:
			return "invalid-value";
		case JP_ERR_UNKNOWN_FUNCTION:
			return "unknown-function";
		case JP_ERR_NOMEM:
			return "out-of-memory";
	}
	return "unknown";
}

void
jp_error_to_bf(const JpError *jerr, const char *expr, BfError *err)
{
	BfErrorKind kind;
	char		where[64] = "";

	switch (jerr->kind)
	{
		case JP_OK:
			bf_error_clear(err);
			return;
		case JP_ERR_SYNTAX:
			kind = BF_ERR_SYNTAX;
			break;
		case JP_ERR_INVALID_TYPE:
			kind = BF_ERR_TYPE;
			break;
		case JP_ERR_INVALID_ARITY:
			kind = BF_ERR_ARITY;
			break;
		case JP_ERR_INVALID_VALUE:
			kind = BF_ERR_VALUE;
			break;
		case JP_ERR_UNKNOWN_FUNCTION:
			kind = BF_ERR_UNKNOWN_FUNCTION;
			break;
		default:
			kind = BF_ERR_NOMEM;
			break;
	}
	if (jerr->position >= 0)
		snprintf(where, sizeof(where), " at position %d", jerr->position);
	if (expr != NULL)
		bf_error_set(err, kind, "JMESPath %s error in \"%.200s\"%s: %s",
					 jp_error_class(jerr->kind), expr, where, jerr->message);
	else
		bf_error_set(err, kind, "JMESPath %s error%s: %s",
					 jp_error_class(jerr->kind), where, jerr->message);
}
