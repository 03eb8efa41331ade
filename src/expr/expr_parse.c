/*-------------------------------------------------------------------------
 *
 * expr_parse.c
 *		  The hand-written Pratt parser of the expression language, the
 *		  compile entry points, the JMESPath fallback, and the walk that
 *		  reports which namespace paths an expression reads.
 *
 * Precedence, loosest first (goval's, plus **):
 *		?:   ||   &&   ^   &   == !=   < <= > >= in   << >>   + -   * / %
 *		unary ! - ~   **   postfix . [] ()
 * Paths are folded while parsing: state.a["b"][0] becomes one node with
 * three static steps, so evaluation walks it without building anything.
 *
 * An expression that does not parse here, or that calls a function the
 * library lacks, is tried as JMESPath as a whole (Sling answers such
 * expressions with go-jmespath): filters, projections, pipes and
 * JMESPath's own functions work that way.  Single quotes never fall back.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

typedef struct Parser
{
	BfLexer		lx;
	BfToken		tok;			/* the lookahead */
	const char *whole;			/* text the positions refer to */
	size_t		offset;			/* where this expression starts in whole */
	int			depth;
	bool		failed;
	BfErrorKind kind;
	size_t		err_pos;		/* relative to the expression */
	char		msg[BF_ERROR_MAX];
} Parser;

static BfNode *parse_expr(Parser *p, int min_bp);

static void *
parse_fail(Parser *p, BfErrorKind kind, size_t pos, const char *fmt,...)
	__attribute__((format(printf, 4, 5)));

/*
 * Only the first error is kept, later ones being its consequences; returns
 * NULL so that callers can return it.
 */
static void *
parse_fail(Parser *p, BfErrorKind kind, size_t pos, const char *fmt,...)
{
	va_list		ap;

	if (p->failed)
		return NULL;
	p->failed = true;
	p->kind = kind;
	p->err_pos = pos;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
	return NULL;
}

/* Frees the token being left, unless a node took its string. */
static bool
advance(Parser *p)
{
	free(p->tok.sval);
	p->tok.sval = NULL;
	if (!bf_lex_next(&p->lx, &p->tok))
	{
		p->tok.kind = BF_T_EOF;
		parse_fail(p, BF_ERR_SYNTAX, p->lx.err_pos, "%s", p->lx.err);
		return false;
	}
	return true;
}

/* The common syntax error: says what was found where. */
static void *
unexpected(Parser *p)
{
	char		what[64];

	return parse_fail(p, BF_ERR_SYNTAX, p->tok.pos, "unexpected %s",
					  bf_tok_describe(&p->tok, p->lx.src, what, sizeof(what)));
}

/* Required punctuation, with the message naming both sides. */
static bool
expect(Parser *p, BfTokKind kind, const char *text)
{
	char		what[64];

	if (p->tok.kind != kind)
	{
		parse_fail(p, BF_ERR_SYNTAX, p->tok.pos, "expected '%s' but found %s", text,
				   bf_tok_describe(&p->tok, p->lx.src, what, sizeof(what)));
		return false;
	}
	return advance(p);
}

/* Nodes start at height 1; grow() accounts for children. */
static BfNode *
new_node(Parser *p, BfNodeKind kind, size_t pos)
{
	BfNode	   *n = calloc(1, sizeof(BfNode));

	if (n == NULL)
		return parse_fail(p, BF_ERR_NOMEM, pos, "out of memory");
	n->kind = kind;
	n->pos = pos;
	n->height = 1;
	return n;
}

/* Account for a child's height; frees n and fails past the limit. */
static bool
grow(Parser *p, BfNode *n, const BfNode *child)
{
	if (child != NULL && child->height + 1 > n->height)
		n->height = child->height + 1;
	if (n->height > BF_EXPR_MAX_DEPTH)
	{
		parse_fail(p, BF_ERR_SYNTAX, n->pos, "expression nested too deeply");
		return false;
	}
	return true;
}

/* Trees own everything below them, prepared function state included. */
void
bf_node_free(BfNode *n)
{
	int			i;

	if (n == NULL)
		return;
	switch (n->kind)
	{
		case BF_N_LITERAL:
			json_object_put(n->u.literal);
			break;
		case BF_N_PATH:
			bf_node_free(n->u.path.base);
			free(n->u.path.root);
			for (i = 0; i < n->u.path.nsegs; i++)
				free(n->u.path.segs[i].key);
			free(n->u.path.segs);
			break;
		case BF_N_INDEX:
			bf_node_free(n->u.index.base);
			bf_node_free(n->u.index.index);
			break;
		case BF_N_SLICE:
			bf_node_free(n->u.slice.base);
			bf_node_free(n->u.slice.lo);
			bf_node_free(n->u.slice.hi);
			break;
		case BF_N_UNARY:
		case BF_N_BINARY:
		case BF_N_AND:
		case BF_N_OR:
			bf_node_free(n->u.op.a);
			bf_node_free(n->u.op.b);
			break;
		case BF_N_COND:
			bf_node_free(n->u.cond.cond);
			bf_node_free(n->u.cond.then);
			bf_node_free(n->u.cond.otherwise);
			break;
		case BF_N_CALL:
			if (n->u.call.prepared != NULL)
				n->u.call.fn->release(n->u.call.prepared);
			for (i = 0; i < n->u.call.nargs; i++)
				bf_node_free(n->u.call.args[i]);
			free(n->u.call.args);
			break;
		case BF_N_ARRAY:
		case BF_N_OBJECT:
			for (i = 0; i < n->u.list.n; i++)
			{
				bf_node_free(n->u.list.items[i]);
				if (n->u.list.keys != NULL)
					free(n->u.list.keys[i]);
			}
			free(n->u.list.items);
			free(n->u.list.keys);
			break;
		case BF_N_JMESPATH:
			jp_free(n->u.jmespath);
			break;
	}
	free(n);
}

/* Takes the value's reference, even on failure. */
static BfNode *
literal_node(Parser *p, struct json_object *value, size_t pos)
{
	BfNode	   *n = new_node(p, BF_N_LITERAL, pos);

	if (n == NULL)
	{
		json_object_put(value);
		return NULL;
	}
	n->u.literal = value;
	return n;
}

/* Left binding power of an infix token; 0 when it is not one. */
static int
infix_bp(BfTokKind kind)
{
	switch (kind)
	{
		case BF_T_QUESTION:
			return 1;
		case BF_T_OR:
			return 2;
		case BF_T_AND:
			return 3;
		case BF_T_BITXOR:
			return 5;
		case BF_T_BITAND:
			return 6;
		case BF_T_EQ:
		case BF_T_NE:
			return 7;
		case BF_T_LT:
		case BF_T_LE:
		case BF_T_GT:
		case BF_T_GE:
		case BF_T_IN:
			return 8;
		case BF_T_SHL:
		case BF_T_SHR:
			return 9;
		case BF_T_PLUS:
		case BF_T_MINUS:
			return 10;
		case BF_T_STAR:
		case BF_T_SLASH:
		case BF_T_PERCENT:
			return 11;
		case BF_T_POW:
			return 13;
		default:
			return 0;
	}
}

#define UNARY_BP 12

/*
 * Tokens and operators are separate enums so the evaluator never sees tokens.
 */
static BfOp
infix_op(BfTokKind kind)
{
	switch (kind)
	{
		case BF_T_PLUS:
			return BF_OP_ADD;
		case BF_T_MINUS:
			return BF_OP_SUB;
		case BF_T_STAR:
			return BF_OP_MUL;
		case BF_T_SLASH:
			return BF_OP_DIV;
		case BF_T_PERCENT:
			return BF_OP_MOD;
		case BF_T_POW:
			return BF_OP_POW;
		case BF_T_EQ:
			return BF_OP_EQ;
		case BF_T_NE:
			return BF_OP_NE;
		case BF_T_LT:
			return BF_OP_LT;
		case BF_T_LE:
			return BF_OP_LE;
		case BF_T_GT:
			return BF_OP_GT;
		case BF_T_GE:
			return BF_OP_GE;
		case BF_T_IN:
			return BF_OP_IN;
		case BF_T_BITAND:
			return BF_OP_BITAND;
		case BF_T_BITXOR:
			return BF_OP_BITXOR;
		case BF_T_SHL:
			return BF_OP_SHL;
		default:
			return BF_OP_SHR;
	}
}

/* A path step after '.': a name (keywords too, "state.in"), or a "quoted" key. */
static char *
take_key(Parser *p)
{
	char	   *key = NULL;

	switch (p->tok.kind)
	{
		case BF_T_IDENT:
		case BF_T_TRUE:
		case BF_T_FALSE:
		case BF_T_NULL:
		case BF_T_IN:
			key = strndup(p->lx.src + p->tok.pos, p->tok.len);
			break;
		case BF_T_STRING:
			key = p->tok.sval;
			p->tok.sval = NULL;
			break;
		default:
			return unexpected(p);
	}
	if (key == NULL)
		return parse_fail(p, BF_ERR_NOMEM, p->tok.pos, "out of memory");
	if (!advance(p))
	{
		free(key);
		return NULL;
	}
	return key;
}

/* Append a static step to base, making base a path node if it is not one. */
static BfNode *
add_seg(Parser *p, BfNode *base, size_t pos, char *key, int64_t index)
{
	BfNode	   *path = base;
	BfSeg	   *segs;

	if (base->kind != BF_N_PATH)
	{
		path = new_node(p, BF_N_PATH, pos);
		if (path == NULL || !grow(p, path, base))
		{
			free(path);
			free(key);
			bf_node_free(base);
			return NULL;
		}
		path->u.path.base = base;
	}
	segs = realloc(path->u.path.segs, sizeof(BfSeg) * (size_t) (path->u.path.nsegs + 1));
	if (segs == NULL)
	{
		free(key);
		bf_node_free(path);
		return parse_fail(p, BF_ERR_NOMEM, pos, "out of memory");
	}
	path->u.path.segs = segs;
	segs[path->u.path.nsegs].is_index = (key == NULL);
	segs[path->u.path.nsegs].key = key;
	segs[path->u.path.nsegs].index = index;
	path->u.path.nsegs++;
	return path;
}

/* [expr], [lo:hi] after base. */
static BfNode *
parse_bracket(Parser *p, BfNode *base)
{
	size_t		pos = p->tok.pos;
	BfNode	   *e = NULL;
	BfNode	   *n;

	if (!advance(p))
		goto fail;
	if (p->tok.kind != BF_T_COLON)
	{
		e = parse_expr(p, 0);
		if (e == NULL)
			goto fail;
	}
	if (p->tok.kind == BF_T_COLON)
	{
		BfNode	   *hi = NULL;

		if (!advance(p))
			goto fail;
		if (p->tok.kind != BF_T_RBRACKET && (hi = parse_expr(p, 0)) == NULL)
			goto fail;
		n = new_node(p, BF_N_SLICE, pos);
		if (n == NULL)
		{
			bf_node_free(hi);
			goto fail;
		}
		n->u.slice.base = base;
		n->u.slice.lo = e;
		n->u.slice.hi = hi;
		if (!grow(p, n, base) || !grow(p, n, e) || !grow(p, n, hi) ||
			!expect(p, BF_T_RBRACKET, "]"))
		{
			bf_node_free(n);
			return NULL;
		}
		return n;
	}
	if (!expect(p, BF_T_RBRACKET, "]"))
		goto fail;
	if (e->kind == BF_N_LITERAL && json_object_is_type(e->u.literal, json_type_int))
	{
		int64_t		index = json_object_get_int64(e->u.literal);

		bf_node_free(e);
		return add_seg(p, base, pos, NULL, index);
	}
	if (e->kind == BF_N_LITERAL && json_object_is_type(e->u.literal, json_type_string))
	{
		char	   *key = strdup(json_object_get_string(e->u.literal));

		bf_node_free(e);
		if (key == NULL)
		{
			bf_node_free(base);
			return parse_fail(p, BF_ERR_NOMEM, pos, "out of memory");
		}
		return add_seg(p, base, pos, key, 0);
	}
	n = new_node(p, BF_N_INDEX, pos);
	if (n == NULL)
		goto fail;
	n->u.index.base = base;
	n->u.index.index = e;
	if (!grow(p, n, base) || !grow(p, n, e))
	{
		bf_node_free(n);
		return NULL;
	}
	return n;
fail:
	bf_node_free(e);
	bf_node_free(base);
	return NULL;
}

/*
 * Static steps fold into one path node, so evaluation walks them in a loop.
 */
static BfNode *
parse_postfix(Parser *p, BfNode *base)
{
	while (base != NULL)
	{
		if (p->tok.kind == BF_T_DOT)
		{
			size_t		pos = p->tok.pos;
			char	   *key;

			if (!advance(p) || (key = take_key(p)) == NULL)
			{
				bf_node_free(base);
				return NULL;
			}
			base = add_seg(p, base, pos, key, 0);
		}
		else if (p->tok.kind == BF_T_LBRACKET)
			base = parse_bracket(p, base);
		else
			break;
	}
	return base;
}

/* Arguments of a call, up to and including ')'. */
static bool
parse_args(Parser *p, BfNode *call)
{
	if (p->tok.kind == BF_T_RPAREN)
		return advance(p);
	for (;;)
	{
		BfNode	   *arg;
		BfNode	  **args;

		arg = parse_expr(p, 0);
		if (arg == NULL)
			return false;
		args = realloc(call->u.call.args, sizeof(BfNode *) * (size_t) (call->u.call.nargs + 1));
		if (args == NULL)
		{
			bf_node_free(arg);
			parse_fail(p, BF_ERR_NOMEM, call->pos, "out of memory");
			return false;
		}
		call->u.call.args = args;
		args[call->u.call.nargs++] = arg;
		if (!grow(p, call, arg))
			return false;
		if (p->tok.kind == BF_T_COMMA)
		{
			if (!advance(p))
				return false;
			continue;
		}
		return expect(p, BF_T_RPAREN, ")");
	}
}

/* Arity messages read naturally for one argument. */
static const char *
plural(int n)
{
	return n == 1 ? "" : "s";
}

/* name(args...): the function must exist and take that many arguments. */
static BfNode *
parse_call(Parser *p, const char *name, size_t name_len, size_t pos)
{
	const BfFunction *fn = bf_function_lookup(name, name_len);
	BfNode	   *n;
	int			nargs;

	if (fn == NULL)
		return parse_fail(p, BF_ERR_UNKNOWN_FUNCTION, pos, "\"%.*s\"", (int) name_len, name);
	n = new_node(p, BF_N_CALL, pos);
	if (n == NULL)
		return NULL;
	n->u.call.fn = fn;
	if (!advance(p) || !parse_args(p, n))
	{
		bf_node_free(n);
		return NULL;
	}
	nargs = n->u.call.nargs;
	if (nargs < fn->min_args || (fn->max_args >= 0 && nargs > fn->max_args))
	{
		if (fn->max_args < 0)
			parse_fail(p, BF_ERR_ARITY, pos, "%s takes at least %d argument%s, got %d (%s)",
					   fn->name, fn->min_args, plural(fn->min_args), nargs, fn->usage);
		else if (fn->min_args == fn->max_args)
			parse_fail(p, BF_ERR_ARITY, pos, "%s takes %d argument%s, got %d (%s)",
					   fn->name, fn->min_args, plural(fn->min_args), nargs, fn->usage);
		else
			parse_fail(p, BF_ERR_ARITY, pos, "%s takes %d to %d arguments, got %d (%s)",
					   fn->name, fn->min_args, fn->max_args, nargs, fn->usage);
		bf_node_free(n);
		return NULL;
	}
	if (fn->pairs_after >= 0 && (nargs - fn->pairs_after) % 2 != 0)
	{
		parse_fail(p, BF_ERR_ARITY, pos, "%s takes its arguments in pairs, got %d (%s)",
				   fn->name, nargs, fn->usage);
		bf_node_free(n);
		return NULL;
	}
	if (fn->prepare != NULL && fn->prepare_arg < nargs &&
		n->u.call.args[fn->prepare_arg]->kind == BF_N_LITERAL)
	{
		BfError		perr;

		bf_error_clear(&perr);
		n->u.call.prepared = fn->prepare(n->u.call.args[fn->prepare_arg]->u.literal, &perr);
		if (perr.kind != BF_OK)
		{
			parse_fail(p, perr.kind, n->u.call.args[fn->prepare_arg]->pos, "%s", perr.message);
			bf_node_free(n);
			return NULL;
		}
	}
	return n;
}

/* [a, b, ...] */
static BfNode *
parse_array(Parser *p, size_t pos)
{
	BfNode	   *n = new_node(p, BF_N_ARRAY, pos);

	if (n == NULL || !advance(p))
		goto fail;
	while (p->tok.kind != BF_T_RBRACKET)
	{
		BfNode	  **items;
		BfNode	   *item;

		if (n->u.list.n > 0 && !expect(p, BF_T_COMMA, ","))
			goto fail;
		item = parse_expr(p, 0);
		if (item == NULL)
			goto fail;
		items = realloc(n->u.list.items, sizeof(BfNode *) * (size_t) (n->u.list.n + 1));
		if (items == NULL)
		{
			bf_node_free(item);
			parse_fail(p, BF_ERR_NOMEM, pos, "out of memory");
			goto fail;
		}
		n->u.list.items = items;
		items[n->u.list.n++] = item;
		if (!grow(p, n, item))
			goto fail;
	}
	if (advance(p))
		return n;
fail:
	bf_node_free(n);
	return NULL;
}

/* {"key": value, name: value, ...} */
static BfNode *
parse_object(Parser *p, size_t pos)
{
	BfNode	   *n = new_node(p, BF_N_OBJECT, pos);

	if (n == NULL || !advance(p))
		goto fail;
	while (p->tok.kind != BF_T_RBRACE)
	{
		BfNode	  **items;
		char	  **keys;
		char	   *key;
		BfNode	   *value;

		if (n->u.list.n > 0 && !expect(p, BF_T_COMMA, ","))
			goto fail;
		if ((key = take_key(p)) == NULL)
			goto fail;
		if (!expect(p, BF_T_COLON, ":") || (value = parse_expr(p, 0)) == NULL)
		{
			free(key);
			goto fail;
		}
		items = realloc(n->u.list.items, sizeof(BfNode *) * (size_t) (n->u.list.n + 1));
		if (items != NULL)
			n->u.list.items = items;
		keys = realloc(n->u.list.keys, sizeof(char *) * (size_t) (n->u.list.n + 1));
		if (keys != NULL)
			n->u.list.keys = keys;
		if (items == NULL || keys == NULL)
		{
			free(key);
			bf_node_free(value);
			parse_fail(p, BF_ERR_NOMEM, pos, "out of memory");
			goto fail;
		}
		keys[n->u.list.n] = key;
		items[n->u.list.n++] = value;
		if (!grow(p, n, value))
			goto fail;
	}
	if (advance(p))
		return n;
fail:
	bf_node_free(n);
	return NULL;
}

/* A name followed by '(' is a call; otherwise the start of a path. */
static BfNode *
parse_primary(Parser *p)
{
	size_t		pos = p->tok.pos;
	BfNode	   *n;

	switch (p->tok.kind)
	{
		case BF_T_INT:
			n = literal_node(p, json_object_new_int64(p->tok.ival), pos);
			break;
		case BF_T_FLOAT:
			n = literal_node(p, bf_value_new_double(p->tok.dval), pos);
			break;
		case BF_T_STRING:
			n = literal_node(p, json_object_new_string_len(p->tok.sval, (int) p->tok.slen), pos);
			break;
		case BF_T_TRUE:
		case BF_T_FALSE:
			n = literal_node(p, json_object_new_boolean(p->tok.kind == BF_T_TRUE), pos);
			break;
		case BF_T_NULL:
			n = literal_node(p, NULL, pos);
			break;
		case BF_T_IDENT:
			{
				const char *name = p->lx.src + pos;
				size_t		len = p->tok.len;

				if (!advance(p))
					return NULL;
				if (p->tok.kind == BF_T_LPAREN)
					return parse_call(p, name, len, pos);
				n = new_node(p, BF_N_PATH, pos);
				if (n != NULL && (n->u.path.root = strndup(name, len)) == NULL)
				{
					free(n);
					return parse_fail(p, BF_ERR_NOMEM, pos, "out of memory");
				}
				return n;
			}
		case BF_T_LPAREN:
			if (!advance(p) || (n = parse_expr(p, 0)) == NULL)
				return NULL;
			if (!expect(p, BF_T_RPAREN, ")"))
			{
				bf_node_free(n);
				return NULL;
			}
			return n;
		case BF_T_LBRACKET:
			return parse_array(p, pos);
		case BF_T_LBRACE:
			return parse_object(p, pos);
		default:
			return unexpected(p);
	}
	if (n != NULL && !advance(p))
	{
		bf_node_free(n);
		return NULL;
	}
	return n;
}

/* -literal is folded, so that [-1] is a static path step. */
static BfNode *
fold_negative(Parser *p, BfNode *operand, size_t pos)
{
	struct json_object *v = operand->u.literal;
	struct json_object *neg = NULL;

	if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) != INT64_MIN)
		neg = json_object_new_int64(-json_object_get_int64(v));
	else if (json_object_is_type(v, json_type_double))
		neg = bf_value_new_double(-json_object_get_double(v));
	else
		return NULL;
	bf_node_free(operand);
	return literal_node(p, neg, pos);
}

/*
 * Unary operators take their operand at a binding power above * but below **,
 * so -2 ** 2 is -(2 ** 2).
 */
static BfNode *
parse_unary(Parser *p)
{
	size_t		pos = p->tok.pos;
	BfTokKind	kind = p->tok.kind;
	BfNode	   *operand;
	BfNode	   *n;

	if (kind != BF_T_MINUS && kind != BF_T_NOT && kind != BF_T_BITNOT)
		return parse_postfix(p, parse_primary(p));
	if (!advance(p) || (operand = parse_expr(p, UNARY_BP)) == NULL)
		return NULL;
	if (kind == BF_T_MINUS && operand->kind == BF_N_LITERAL &&
		(n = fold_negative(p, operand, pos)) != NULL)
		return n;
	n = new_node(p, BF_N_UNARY, pos);
	if (n == NULL)
	{
		bf_node_free(operand);
		return NULL;
	}
	n->u.op.op = kind == BF_T_MINUS ? BF_OP_NEG : kind == BF_T_NOT ? BF_OP_NOT : BF_OP_BITNOT;
	n->u.op.a = operand;
	if (!grow(p, n, operand))
	{
		bf_node_free(n);
		return NULL;
	}
	return n;
}

/*
 * The Pratt loop: binds tighter operators first; the depth counter keeps
 * hostile input off the C stack.
 */
static BfNode *
parse_expr(Parser *p, int min_bp)
{
	BfNode	   *left;

	if (++p->depth > BF_EXPR_MAX_DEPTH)
		return parse_fail(p, BF_ERR_SYNTAX, p->tok.pos, "expression nested too deeply");
	left = parse_unary(p);
	while (left != NULL)
	{
		BfTokKind	kind = p->tok.kind;
		int			bp = infix_bp(kind);
		size_t		pos = p->tok.pos;
		BfNode	   *n;

		if (bp == 0 || bp < min_bp)
			break;
		if (!advance(p))
		{
			bf_node_free(left);
			return NULL;
		}
		if (kind == BF_T_QUESTION)
		{
			n = new_node(p, BF_N_COND, pos);
			if (n == NULL)
			{
				bf_node_free(left);
				return NULL;
			}
			n->u.cond.cond = left;
			if ((n->u.cond.then = parse_expr(p, 0)) == NULL ||
				!expect(p, BF_T_COLON, ":") ||
				(n->u.cond.otherwise = parse_expr(p, bp)) == NULL ||
				!grow(p, n, n->u.cond.cond) || !grow(p, n, n->u.cond.then) ||
				!grow(p, n, n->u.cond.otherwise))
			{
				bf_node_free(n);
				return NULL;
			}
			left = n;
			continue;
		}
		n = new_node(p, kind == BF_T_AND ? BF_N_AND : kind == BF_T_OR ? BF_N_OR : BF_N_BINARY,
					 pos);
		if (n == NULL)
		{
			bf_node_free(left);
			return NULL;
		}
		n->u.op.op = infix_op(kind);
		n->u.op.a = left;
		/* ** is right-associative: 2 ** 3 ** 2 is 2 ** 9 */
		n->u.op.b = parse_expr(p, kind == BF_T_POW ? bp : bp + 1);
		if (n->u.op.b == NULL || !grow(p, n, n->u.op.a) || !grow(p, n, n->u.op.b))
		{
			bf_node_free(n);
			return NULL;
		}
		left = n;
	}
	p->depth--;
	return left;
}

/* Print at most about 200 bytes of the source in a message. */
static void
format_source(const char *s, size_t len, char *out, size_t size)
{
	if (len > 200)
		snprintf(out, size, "%.200s...", s);
	else
		snprintf(out, size, "%.*s", (int) len, s);
}

/*
 * Positions are 1-based and counted in the whole text, so a template part's
 * error points into its template.
 */
static void
report(Parser *p, size_t whole_len, BfError *err)
{
	char		src[256];
	size_t		pos = p->offset + p->err_pos + 1;

	format_source(p->whole, whole_len, src, sizeof(src));
	switch (p->kind)
	{
		case BF_ERR_SYNTAX:
			bf_error_set(err, BF_ERR_SYNTAX, "syntax error at position %zu in \"%s\": %s",
						 pos, src, p->msg);
			break;
		case BF_ERR_UNKNOWN_FUNCTION:
			bf_error_set(err, BF_ERR_UNKNOWN_FUNCTION,
						 "unknown function %s at position %zu in \"%s\"", p->msg, pos, src);
			break;
		case BF_ERR_ARITY:
			bf_error_set(err, BF_ERR_ARITY,
						 "wrong number of arguments at position %zu in \"%s\": %s",
						 pos, src, p->msg);
			break;
		default:
			bf_error_set(err, p->kind, "%s at position %zu in \"%s\"", p->msg, pos, src);
			break;
	}
}

/* The whole text as JMESPath, or NULL. */
static BfNode *
try_jmespath(const char *text, size_t len)
{
	char	   *copy = strndup(text, len);
	JpError		jerr;
	JpExpr	   *jp;
	BfNode	   *n;

	if (copy == NULL)
		return NULL;
	memset(&jerr, 0, sizeof(jerr));
	jp = jp_compile(copy, &jerr);
	free(copy);
	if (jp == NULL)
		return NULL;
	n = calloc(1, sizeof(BfNode));
	if (n == NULL)
	{
		jp_free(jp);
		return NULL;
	}
	n->kind = BF_N_JMESPATH;
	n->height = 1;
	n->u.jmespath = jp;
	return n;
}

/*
 * The one compile path: bare expressions are parts that span their whole
 * text.
 */
BfExpr *
bf_expr_compile_part(const char *whole, size_t offset, size_t len, BfError *err)
{
	Parser		p;
	BfNode	   *root = NULL;
	BfExpr	   *expr;

	memset(&p, 0, sizeof(p));
	p.whole = whole;
	p.offset = offset;
	p.lx.src = whole + offset;
	p.lx.len = len;
	if (advance(&p))
	{
		root = parse_expr(&p, 0);
		if (root != NULL && p.tok.kind != BF_T_EOF)
		{
			unexpected(&p);
			bf_node_free(root);
			root = NULL;
		}
	}
	free(p.tok.sval);
	if (root == NULL && !p.lx.single_quote &&
		(p.kind == BF_ERR_SYNTAX || p.kind == BF_ERR_UNKNOWN_FUNCTION))
		root = try_jmespath(whole + offset, len);
	if (root == NULL)
	{
		report(&p, strlen(whole), err);
		return NULL;
	}
	expr = malloc(sizeof(BfExpr));
	if (expr == NULL || (expr->src = strndup(whole + offset, len)) == NULL)
	{
		free(expr);
		bf_node_free(root);
		bf_error_set(err, BF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	expr->root = root;
	return expr;
}

/* A bare expression is a part spanning its whole text. */
BfExpr *
bf_expr_compile(const char *src, BfError *err)
{
	bf_error_clear(err);
	return bf_expr_compile_part(src, 0, strlen(src), err);
}

/* For messages built by callers. */
const char *
bf_expr_source(const BfExpr *expr)
{
	return expr->src;
}

/* Accepts NULL, as free() does. */
void
bf_expr_free(BfExpr *expr)
{
	if (expr == NULL)
		return;
	bf_node_free(expr->root);
	free(expr->src);
	free(expr);
}

/* A bare unknown name ({id}) in a template is text in Sling. */
bool
bf_expr_is_foreign_path(const BfExpr *expr)
{
	const BfNode *n = expr->root;

	return n->kind == BF_N_PATH && n->u.path.base == NULL &&
		!bf_is_namespace(n->u.path.root, strlen(n->u.path.root));
}

/*
 * A part that failed to compile is an error only if it was meant as an
 * expression: it names a namespace or calls a known function.
 */
bool
bf_expr_text_mentions_known(const char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		size_t		start = i;
		size_t		j;

		if (s[i] == '"' || s[i] == '`')
		{
			char		q = s[i];

			for (i++; i < len && s[i] != q; i++)
				if (q == '"' && s[i] == '\\')
					i++;
			i++;
			continue;
		}
		if (!isalpha((unsigned char) s[i]) && s[i] != '_')
		{
			i++;
			continue;
		}
		while (i < len && (isalnum((unsigned char) s[i]) || s[i] == '_'))
			i++;
		if (start > 0 && s[start - 1] == '.')
			continue;
		if (bf_is_namespace(s + start, i - start))
			return true;
		for (j = i; j < len && isspace((unsigned char) s[j]); j++)
			;
		if (j < len && s[j] == '(' && bf_function_lookup(s + start, i - start) != NULL)
			return true;
	}
	return false;
}

/* Report root or root.key for a path from a variable. */
static void
visit_path(const BfNode *n, BfRefVisitor visit, void *arg)
{
	char		buf[256];

	if (n->u.path.nsegs > 0 && !n->u.path.segs[0].is_index)
		snprintf(buf, sizeof(buf), "%s.%s", n->u.path.root, n->u.path.segs[0].key);
	else
		snprintf(buf, sizeof(buf), "%s", n->u.path.root);
	visit(buf, arg);
}

/* Is n the literal null (a side of "== null" tests for null, needs no value)? */
static bool
is_null_literal(const BfNode *n)
{
	return n != NULL && n->kind == BF_N_LITERAL && n->u.literal == NULL;
}

/*
 * Only paths from variables are reads; literals and operators are not.
 * required_only leaves out the reads whose null is handled where they are
 * read: the arguments of a function that evaluates its own (coalesce, if,
 * value, first_valid) or tests for null (is_null, is_empty), "? :" as
 * if(), both sides of && and ||, and a side compared with null.
 */
static void
visit_node(const BfNode *n, bool required_only, BfRefVisitor visit, void *arg)
{
	int			i;

	if (n == NULL)
		return;
	switch (n->kind)
	{
		case BF_N_LITERAL:
		case BF_N_JMESPATH:
			break;
		case BF_N_PATH:
			if (n->u.path.base == NULL)
				visit_path(n, visit, arg);
			else
				visit_node(n->u.path.base, required_only, visit, arg);
			break;
		case BF_N_INDEX:
			visit_node(n->u.index.base, required_only, visit, arg);
			visit_node(n->u.index.index, required_only, visit, arg);
			break;
		case BF_N_SLICE:
			visit_node(n->u.slice.base, required_only, visit, arg);
			visit_node(n->u.slice.lo, required_only, visit, arg);
			visit_node(n->u.slice.hi, required_only, visit, arg);
			break;
		case BF_N_AND:
		case BF_N_OR:
			if (required_only)
				break;
			/* FALLTHROUGH */
		case BF_N_UNARY:
		case BF_N_BINARY:
			if (required_only && n->kind == BF_N_BINARY &&
				(n->u.op.op == BF_OP_EQ || n->u.op.op == BF_OP_NE) &&
				(is_null_literal(n->u.op.a) || is_null_literal(n->u.op.b)))
				break;
			visit_node(n->u.op.a, required_only, visit, arg);
			visit_node(n->u.op.b, required_only, visit, arg);
			break;
		case BF_N_COND:
			if (required_only)
				break;			/* like if(): a branch may be what handles null */
			visit_node(n->u.cond.cond, required_only, visit, arg);
			visit_node(n->u.cond.then, required_only, visit, arg);
			visit_node(n->u.cond.otherwise, required_only, visit, arg);
			break;
		case BF_N_CALL:
			if (required_only &&
				(n->u.call.fn->lazy || strcmp(n->u.call.fn->name, "is_null") == 0 ||
				 strcmp(n->u.call.fn->name, "is_empty") == 0))
				break;
			for (i = 0; i < n->u.call.nargs; i++)
				visit_node(n->u.call.args[i], required_only, visit, arg);
			break;
		case BF_N_ARRAY:
		case BF_N_OBJECT:
			for (i = 0; i < n->u.list.n; i++)
				visit_node(n->u.list.items[i], required_only, visit, arg);
			break;
	}
}

/*
 * The names a JMESPath expression reads from the namespaces: identifiers at
 * its root level.  Inside a filter ([?...]), after a pipe, after '&', and in
 * brackets applied to a value, names are relative to that value and are not
 * reported.  A heuristic over the text, since the JMESPath module keeps its
 * tree to itself; it errs towards reporting.
 */
#define JP_MAX_NEST 64

typedef enum JpPrev
{
	JP_PREV_START,				/* start, operator, comma, opening bracket */
	JP_PREV_VALUE,				/* a name, literal or closing bracket */
	JP_PREV_DOT
} JpPrev;

/*
 * See above: a scan of the text, since the JMESPath tree is private to that
 * module.
 */
static void
visit_jmespath_refs(const char *s, BfRefVisitor visit, void *arg)
{
	bool		rel[JP_MAX_NEST];	/* names here are relative */
	int			top = 0;
	JpPrev		prev = JP_PREV_START;
	size_t		len = strlen(s);
	size_t		i = 0;

	rel[0] = false;
	while (i < len)
	{
		char		c = s[i];

		if (isspace((unsigned char) c))
		{
			i++;
			continue;
		}
		if (c == '\'' || c == '`')
		{
			for (i++; i < len && s[i] != c; i++)
				if (s[i] == '\\')
					i++;
			i++;
			prev = JP_PREV_VALUE;
			continue;
		}
		if (isalpha((unsigned char) c) || c == '_' || c == '"')
		{
			size_t		start = i;
			size_t		j;

			if (c == '"')
			{
				for (i++; i < len && s[i] != '"'; i++)
					if (s[i] == '\\')
						i++;
				i++;
			}
			else
				while (i < len && (isalnum((unsigned char) s[i]) || s[i] == '_'))
					i++;
			for (j = i; j < len && isspace((unsigned char) s[j]); j++)
				;
			if (c != '"' && prev == JP_PREV_START && !rel[top] && (j >= len || s[j] != '('))
			{
				char		buf[256];
				size_t		k = j;

				/* root.key when a plain name follows the dot */
				if (k < len && s[k] == '.')
				{
					size_t		ks = k + 1;

					while (ks < len && isspace((unsigned char) s[ks]))
						ks++;
					for (k = ks; k < len && (isalnum((unsigned char) s[k]) || s[k] == '_'); k++)
						;
					if (k > ks && (isalpha((unsigned char) s[ks]) || s[ks] == '_'))
						snprintf(buf, sizeof(buf), "%.*s.%.*s", (int) (i - start), s + start,
								 (int) (k - ks), s + ks);
					else
						snprintf(buf, sizeof(buf), "%.*s", (int) (i - start), s + start);
				}
				else
					snprintf(buf, sizeof(buf), "%.*s", (int) (i - start), s + start);
				visit(buf, arg);
			}
			prev = JP_PREV_VALUE;
			continue;
		}
		i++;
		switch (c)
		{
			case '[':
			case '{':
			case '(':
				if (top + 1 < JP_MAX_NEST)
				{
					/* a bracket applied to a value, or a filter, is relative */
					bool		applied = (c != '(' && prev != JP_PREV_START) ||
						(c == '[' && i < len && s[i] == '?');

					rel[top + 1] = rel[top] || applied;
					top++;
				}
				prev = JP_PREV_START;
				break;
			case ']':
			case '}':
			case ')':
				if (top > 0)
					top--;
				prev = JP_PREV_VALUE;
				break;
			case '.':
				prev = JP_PREV_DOT;
				break;
			case '|':
			case '&':
				/* the rest of this level (or this argument) is relative */
				if (i < len && s[i] == c)
				{
					i++;
					prev = JP_PREV_START;
					break;
				}
				rel[top] = true;
				prev = JP_PREV_START;
				break;
			case '*':
				prev = prev == JP_PREV_DOT || prev == JP_PREV_START ? JP_PREV_VALUE : JP_PREV_START;
				break;
			case '@':
				prev = JP_PREV_VALUE;
				break;
			default:
				prev = JP_PREV_START;
				break;
		}
	}
}

/*
 * The spec loader orders state rendering and spots pagination's response
 * reads with this.
 */
void
bf_expr_visit_refs(const BfExpr *expr, BfRefVisitor visit, void *arg)
{
	if (expr->root->kind == BF_N_JMESPATH)
		visit_jmespath_refs(expr->src, visit, arg);
	else
		visit_node(expr->root, false, visit, arg);
}

void
bf_expr_visit_required_refs(const BfExpr *expr, BfRefVisitor visit, void *arg)
{
	/* a JMESPath expression gives null for what it lacks: nothing is required */
	if (expr->root->kind != BF_N_JMESPATH)
		visit_node(expr->root, true, visit, arg);
}
