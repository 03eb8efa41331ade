/*-------------------------------------------------------------------------
 *
 * template.c
 *		  Templates: strings with {expression} parts, as Sling's brace
 *		  scanner finds them (Evaluator.FindMatches).
 *
 * The scanner respects double-quoted and backtick strings inside a part
 * (so "}" in a string does not end it), nested braces (object literals),
 * and backslash escapes; a '{' that opens a JSON object ('{' then "key":)
 * and an empty "{}" are text, "{{x}}" is left alone, and an unbalanced '{'
 * is a compile error.  As in Sling, a part that names no namespace and
 * calls no known function ({id}, a GraphQL selection) stays text.
 *
 * A block that holds braces of its own is compiled when it is an
 * expression (an object literal: {object_merge({"a": 1}, state.b)}); when
 * it is not (a GraphQL query, "{ customers(first: 10) { edges { ... } } }"
 * around a {state.cursor}), it is text and the scan goes on inside it, as
 * FindMatches does with a block holding nested braces, so the parts within
 * are still found.  Each level of such nesting is scanned once more, so
 * braces may nest BF_EXPR_MAX_DEPTH deep at most (an expression cannot
 * nest deeper either): a template costs a bounded number of passes.
 *
 * A template that is one whole part renders to that part's typed value;
 * otherwise the parts are spliced in as text (null as nothing, arrays and
 * objects as compact JSON).
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

typedef struct TmplPart
{
	BfExpr	   *expr;			/* NULL for text */
	size_t		start;			/* text: a slice of the template's source */
	size_t		len;
} TmplPart;

struct BfTemplate
{
	char	   *src;
	size_t		len;
	int			nparts;
	TmplPart   *parts;
	bool		whole;			/* one expression part and only white space around it */
	int			nexprs;
	struct json_object *constant;	/* the value of a template without parts */
};

typedef enum ScanState
{
	SCAN_TEXT,					/* template text */
	SCAN_PART,					/* inside {...} */
	SCAN_STRING,				/* inside "..." in a part */
	SCAN_RAW					/* inside `...` in a part */
} ScanState;

/*
 * Empty text parts are not kept, so a one-part template has exactly one part.
 */
static bool
add_part(BfTemplate *t, BfExpr *expr, size_t start, size_t len)
{
	TmplPart   *parts;

	if (expr == NULL && len == 0)
		return true;
	parts = realloc(t->parts, sizeof(TmplPart) * (size_t) (t->nparts + 1));
	if (parts == NULL)
		return false;
	t->parts = parts;
	parts[t->nparts].expr = expr;
	parts[t->nparts].start = start;
	parts[t->nparts].len = len;
	t->nparts++;
	if (expr != NULL)
		t->nexprs++;
	return true;
}

/* Does the '{' at i open a JSON object: '{', white space, "key", white space, ':'? */
static bool
json_object_opens(const char *s, size_t len, size_t i)
{
	i++;
	while (i < len && isspace((unsigned char) s[i]))
		i++;
	if (i >= len || s[i] != '"')
		return false;
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	if (i >= len)
		return false;
	for (i++; i < len && isspace((unsigned char) s[i]); i++)
		;
	return i < len && s[i] == ':';
}

/* White space around a lone part still makes it the whole value. */
static bool
all_space(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if (!isspace((unsigned char) s[i]))
			return false;
	return true;
}

/*
 * Compile the part src[start, start + len): its expression, or NULL in
 * *expr when Sling would leave it as text.  False on a compile error.
 */
static bool
compile_part(const char *src, size_t start, size_t len, BfExpr **expr, BfError *err)
{
	*expr = NULL;
	if (all_space(src + start, len))
		return true;
	*expr = bf_expr_compile_part(src, start, len, err);
	if (*expr == NULL)
	{
		if (bf_expr_text_mentions_known(src + start, len))
			return false;
		bf_error_clear(err);
		return true;
	}
	if (bf_expr_is_foreign_path(*expr))
	{
		bf_expr_free(*expr);
		*expr = NULL;
	}
	return true;
}

/* Split the source into text and expression parts. */
static bool
scan(BfTemplate *t, BfError *err)
{
	const char *s = t->src;
	size_t		len = t->len;
	ScanState	state = SCAN_TEXT;
	size_t		text_start = 0;
	size_t		open = 0;		/* the '{' of the part being scanned */
	int			depth = 0;
	bool		nested = false; /* the part holds a '{' of its own */
	size_t		i = 0;

	while (i < len)
	{
		char		c = s[i];

		switch (state)
		{
			case SCAN_TEXT:
				if (c == '\\')
					i++;		/* the next character is text */
				else if (c == '{' && i + 1 < len && s[i + 1] == '{')
				{
					/* {{x}} is left alone */
					const char *close = strstr(s + i + 2, "}}");

					if (close == NULL)
					{
						open = i;
						state = SCAN_PART;
						i = len;	/* unbalanced: reported below */
						break;
					}
					i = (size_t) (close - s) + 1;
				}
				else if (c == '{' && !json_object_opens(s, len, i))
				{
					state = SCAN_PART;
					open = i;
					depth = 1;
					nested = false;
				}
				break;
			case SCAN_PART:
				if (c == '"')
					state = SCAN_STRING;
				else if (c == '`')
					state = SCAN_RAW;
				else if (c == '{')
				{
					if (++depth > BF_EXPR_MAX_DEPTH)
						return bf_error_set(err, BF_ERR_SYNTAX,
											"syntax error at position %zu in \"%.200s\": "
											"braces nest more than %d deep",
											i + 1, s, BF_EXPR_MAX_DEPTH);
					nested = true;
				}
				else if (c == '}' && --depth == 0)
				{
					BfExpr	   *expr;

					if (!compile_part(s, open + 1, i - open - 1, &expr, err) ||
						(nested && expr == NULL))
					{
						if (!nested)
							return false;
						/* not an expression: text, and the scan goes on inside */
						bf_error_clear(err);
						state = SCAN_TEXT;
						i = open + 1;
						continue;
					}
					if (expr != NULL)
					{
						if (!add_part(t, NULL, text_start, open - text_start) ||
							!add_part(t, expr, open, i + 1 - open))
						{
							bf_expr_free(expr);
							return bf_error_set(err, BF_ERR_NOMEM, "out of memory");
						}
						text_start = i + 1;
					}
					state = SCAN_TEXT;
				}
				break;
			case SCAN_STRING:
				if (c == '\\')
					i++;
				else if (c == '"')
					state = SCAN_PART;
				break;
			case SCAN_RAW:
				if (c == '`')
					state = SCAN_PART;
				break;
		}
		i++;
	}
	if (state != SCAN_TEXT)
		return bf_error_set(err, BF_ERR_SYNTAX,
							"syntax error at position %zu in \"%.200s\": unbalanced '{'",
							open + 1, s);
	if (!add_part(t, NULL, text_start, len - text_start))
		return bf_error_set(err, BF_ERR_NOMEM, "out of memory");
	return true;
}

/* Scan, then decide once whether rendering is constant, typed or text. */
BfTemplate *
bf_template_compile(const char *src, BfError *err)
{
	BfTemplate *t = calloc(1, sizeof(BfTemplate));
	int			i;

	bf_error_clear(err);
	if (t == NULL || (t->src = strdup(src)) == NULL)
	{
		free(t);
		bf_error_set(err, BF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	t->len = strlen(src);
	if (!scan(t, err))
	{
		bf_template_free(t);
		return NULL;
	}
	if (t->nexprs == 0)
	{
		t->constant = json_object_new_string_len(t->src, (int) t->len);
		if (t->constant == NULL)
		{
			bf_template_free(t);
			bf_error_set(err, BF_ERR_NOMEM, "out of memory");
			return NULL;
		}
	}
	else if (t->nexprs == 1)
	{
		t->whole = true;
		for (i = 0; i < t->nparts; i++)
			if (t->parts[i].expr == NULL && !all_space(t->src + t->parts[i].start, t->parts[i].len))
				t->whole = false;
	}
	return t;
}

/* Render the parts as text into buf. */
static bool
render_into(const BfTemplate *t, struct json_object *vars, BfBuf *buf, BfError *err)
{
	int			i;
	BfBudget	budget;

	bf_budget_init(&budget);
	for (i = 0; i < t->nparts; i++)
	{
		const TmplPart *p = &t->parts[i];
		struct json_object *v;

		if (p->expr == NULL)
		{
			bf_buf_append(buf, t->src + p->start, p->len);
			continue;
		}
		if (!bf_node_eval(p->expr->root, vars, &v, &budget, err))
		{
			bf_expr_finish_error(err, p->expr->src, vars);
			return false;
		}
		bf_value_append_text(buf, v);
		json_object_put(v);
	}
	if (buf->failed)
		return bf_error_set(err, BF_ERR_NOMEM, "out of memory");
	return true;
}

/* The one expression part of a whole template. */
static const BfExpr *
whole_expr(const BfTemplate *t)
{
	int			i;

	for (i = 0; i < t->nparts; i++)
		if (t->parts[i].expr != NULL)
			return t->parts[i].expr;
	return NULL;
}

/*
 * Constant templates hand out one shared string; whole ones the typed value.
 */
struct json_object *
bf_template_render(const BfTemplate *t, struct json_object *vars, BfError *err)
{
	BfBuf		buf;
	struct json_object *out;
	BfError		local;

	if (err == NULL)
		err = &local;
	bf_error_clear(err);
	if (t->constant != NULL)
		return json_object_get(t->constant);
	if (t->whole)
		return bf_expr_eval(whole_expr(t), vars, err);
	bf_buf_init(&buf);
	if (!render_into(t, vars, &buf, err))
	{
		bf_buf_free(&buf);
		return NULL;
	}
	out = bf_buf_to_json(&buf);
	bf_buf_free(&buf);
	if (out == NULL)
		bf_error_set(err, BF_ERR_NOMEM, "out of memory");
	return out;
}

/* For urls and headers, which are text whatever the value's type. */
char *
bf_template_render_text(const BfTemplate *t, struct json_object *vars, BfError *err)
{
	BfBuf		buf;
	char	   *text;
	BfError		local;

	if (err == NULL)
		err = &local;
	bf_error_clear(err);
	bf_buf_init(&buf);
	if (t->whole)
	{
		struct json_object *v = bf_expr_eval(whole_expr(t), vars, err);

		if (err->kind != BF_OK)
			return NULL;
		bf_value_append_text(&buf, v);
		json_object_put(v);
	}
	else if (!render_into(t, vars, &buf, err))
	{
		bf_buf_free(&buf);
		return NULL;
	}
	text = bf_buf_steal(&buf);
	if (text == NULL)
		bf_error_set(err, BF_ERR_NOMEM, "out of memory");
	return text;
}

/* The spec loader skips rendering for these. */
bool
bf_template_is_constant(const BfTemplate *t)
{
	return t->nexprs == 0;
}

/* The refs of every expression part. */
void
bf_template_visit_refs(const BfTemplate *t, BfRefVisitor visit, void *arg)
{
	int			i;

	for (i = 0; i < t->nparts; i++)
		if (t->parts[i].expr != NULL)
			bf_expr_visit_refs(t->parts[i].expr, visit, arg);
}

void
bf_template_visit_required_refs(const BfTemplate *t, BfRefVisitor visit, void *arg)
{
	int			i;

	for (i = 0; i < t->nparts; i++)
		if (t->parts[i].expr != NULL)
			bf_expr_visit_required_refs(t->parts[i].expr, visit, arg);
}

/* For messages built by callers. */
const char *
bf_template_source(const BfTemplate *t)
{
	return t->src;
}

/* Accepts NULL, as free() does. */
void
bf_template_free(BfTemplate *t)
{
	int			i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nparts; i++)
		bf_expr_free(t->parts[i].expr);
	free(t->parts);
	json_object_put(t->constant);
	free(t->src);
	free(t);
}
