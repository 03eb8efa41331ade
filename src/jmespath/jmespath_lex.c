/*-------------------------------------------------------------------------
 *
 * jmespath_lex.c
 *		  The JMESPath lexer: an expression string to an array of tokens.
 *
 * The whole expression is split before parsing because the parser needs one
 * token of lookahead past the current one ("[*]", "[1:") and error messages
 * want the text of the offending token.  Identifiers are decoded here (JSON
 * escapes of quoted identifiers included) straight into the expression's
 * arena, and literals parsed to json-c values the arena holds, so the
 * parser only points its nodes at them.
 *
 * Where the specification and the reference implementation (jmespath.py,
 * whose compliance suite we pass) differ, the reference wins: raw strings
 * only unescape \', and a `literal` that is not JSON is taken as a string
 * (the deprecated JEP-12 form, still common in the wild: `running`).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "jmespath/jmespath_int.h"
#include "util/utf8.h"

/* Numbers are saturated here: no array is that long, and slice arithmetic stays in range. */
#define JP_NUM_MAX (INT64_MAX / 4)

typedef struct JpLexer
{
	const char *src;
	size_t		pos;
	JpArena    *arena;
	JpToken    *toks;
	int			ntoks;
	int			cap;
	struct json_tokener *tok;	/* for literals, made at the first one */
	JpError    *err;
} JpLexer;

static bool
jp_lex_nomem(JpLexer *lx)
{
	jp_set_error(lx->err, JP_ERR_NOMEM, -1, "out of memory");
	return false;
}

/* Append a token; its payload fields start empty. */
static JpToken *
jp_lex_push(JpLexer *lx, JpTokType type, size_t start, size_t end)
{
	JpToken    *t;

	if (lx->ntoks == lx->cap)
	{
		int			ncap = lx->cap ? lx->cap * 2 : 32;
		JpToken    *nt = realloc(lx->toks, sizeof(JpToken) * (size_t) ncap);

		if (nt == NULL)
		{
			jp_lex_nomem(lx);
			return NULL;
		}
		lx->toks = nt;
		lx->cap = ncap;
	}
	t = &lx->toks[lx->ntoks++];
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->start = (int) start;
	t->end = (int) end;
	return t;
}

/* Room for n bytes and a NUL in the arena. */
static char *
jp_lex_room(JpLexer *lx, size_t n)
{
	char	   *s = jp_arena_alloc(lx->arena, n + 1);

	if (s == NULL)
		jp_lex_nomem(lx);
	return s;
}

/*
 * The end of the text between the delimiter at lx->pos and its closing
 * twin, where a backslash protects the next character: the index of the
 * closing delimiter, or 0 after an error.
 */
static size_t
jp_lex_scan(JpLexer *lx, char delim)
{
	const char *s = lx->src;
	size_t		i = lx->pos + 1;

	while (s[i] != delim)
	{
		if (s[i] == '\0' || (s[i] == '\\' && s[i + 1] == '\0'))
		{
			jp_set_error(lx->err, JP_ERR_SYNTAX, (int) lx->pos, "unclosed %c delimiter", delim);
			return 0;
		}
		i += s[i] == '\\' ? 2 : 1;
	}
	return i;
}

/* "...": a JSON string, decoded into the arena (never longer than its source). */
static bool
jp_lex_quoted(JpLexer *lx)
{
	const char *s = lx->src;
	size_t		end = jp_lex_scan(lx, '"');
	size_t		i = lx->pos + 1;
	size_t		n = 0;
	char	   *out;
	JpToken    *t;

	if (end == 0 || (out = jp_lex_room(lx, end - i)) == NULL)
		return false;
	while (i < end)
	{
		unsigned char c = (unsigned char) s[i];
		int			esc;
		int32_t		cp;
		size_t		used;

		if (c < 0x20)
		{
			jp_set_error(lx->err, JP_ERR_SYNTAX, (int) i, "control character in quoted identifier");
			return false;
		}
		if (c != '\\')
		{
			out[n++] = (char) c;
			i++;
		}
		else if (s[i + 1] == 'u' &&
				 (cp = bf_json_escape(s + i + 2, strnlen(s + i + 2, 10), &used)) >= 0)
		{
			/* a lone surrogate becomes U+FFFD, as json-c decodes documents */
			n += bf_utf8_put(out + n, (uint32_t) cp);
			i += 2 + used;
		}
		else if ((esc = bf_json_simple_escape(s[i + 1])) >= 0)
		{
			out[n++] = (char) esc;
			i += 2;
		}
		else
		{
			jp_set_error(lx->err, JP_ERR_SYNTAX, (int) i, "invalid escape in quoted identifier");
			return false;
		}
	}
	out[n] = '\0';
	t = jp_lex_push(lx, JP_T_QUOTED, lx->pos, end + 1);
	if (t == NULL)
		return false;
	t->str = out;
	t->len = n;
	lx->pos = end + 1;
	return true;
}

/*
 * The text of a raw string or literal into the arena: "\<delim>" becomes the
 * delimiter, any other backslash pair stays as it is (in a literal, the JSON
 * parser then reads it).  *len gets the length; NULL after an error.
 */
static char *
jp_lex_unescape(JpLexer *lx, char delim, size_t end, size_t *len)
{
	const char *s = lx->src;
	size_t		i = lx->pos + 1;
	size_t		n = 0;
	char	   *out = jp_lex_room(lx, end - i);

	if (out == NULL)
		return NULL;
	while (i < end)
	{
		if (s[i] == '\\' && s[i + 1] == delim)
			i++;
		else if (s[i] == '\\')
			out[n++] = s[i++];
		out[n++] = s[i++];
	}
	out[n] = '\0';
	*len = n;
	return out;
}

/* A literal token holding value (taken over). */
static bool
jp_lex_value(JpLexer *lx, struct json_object *value, size_t end)
{
	JpToken    *t;

	if (value != NULL && !jp_arena_keep(lx->arena, value))
		return jp_lex_nomem(lx);
	t = jp_lex_push(lx, JP_T_LITERAL, lx->pos, end + 1);
	if (t == NULL)
		return false;
	t->lit = value;
	lx->pos = end + 1;
	return true;
}

/* 'raw string': a string literal, no escapes but \'. */
static bool
jp_lex_raw(JpLexer *lx)
{
	size_t		end = jp_lex_scan(lx, '\'');
	size_t		len;
	char	   *text;
	struct json_object *v;

	if (end == 0 || (text = jp_lex_unescape(lx, '\'', end, &len)) == NULL)
		return false;
	v = json_object_new_string_len(text, (int) len);
	if (v == NULL)
		return jp_lex_nomem(lx);
	return jp_lex_value(lx, v, end);
}

/* Parse all of text (NUL-ended) as one JSON value, blanks around allowed. */
static bool
jp_lex_json(JpLexer *lx, const char *text, size_t len, struct json_object **out)
{
	bool		ok;

	if (lx->tok == NULL)
	{
		lx->tok = json_tokener_new_ex(JP_MAX_DEPTH);
		if (lx->tok == NULL)
			return false;
		json_tokener_set_flags(lx->tok, JSON_TOKENER_STRICT);
	}
	json_tokener_reset(lx->tok);
	/* len + 1 takes the NUL in, which ends a number at the very end */
	*out = json_tokener_parse_ex(lx->tok, text, (int) len + 1);
	ok = json_tokener_get_error(lx->tok) == json_tokener_success &&
		json_tokener_get_parse_end(lx->tok) >= len;
	if (!ok)
	{
		json_object_put(*out);
		*out = NULL;
	}
	return ok;
}

/* `json`: a literal value; not JSON, the text taken as a string (JEP-12). */
static bool
jp_lex_literal(JpLexer *lx)
{
	size_t		end = jp_lex_scan(lx, '`');
	size_t		len;
	size_t		skip = 0;
	char	   *text;
	char	   *quoted;
	struct json_object *v = NULL;

	if (end == 0 || (text = jp_lex_unescape(lx, '`', end, &len)) == NULL)
		return false;
	if (!jp_lex_json(lx, text, len, &v))
	{
		while (skip < len && strchr(" \t\n\r", text[skip]) != NULL)
			skip++;
		quoted = jp_lex_room(lx, len - skip + 2);
		if (quoted == NULL)
			return false;
		quoted[0] = '"';
		memcpy(quoted + 1, text + skip, len - skip);
		quoted[len - skip + 1] = '"';
		quoted[len - skip + 2] = '\0';
		if (!jp_lex_json(lx, quoted, len - skip + 2, &v))
		{
			jp_set_error(lx->err, JP_ERR_SYNTAX, (int) lx->pos, "invalid JSON literal");
			return false;
		}
	}
	return jp_lex_value(lx, v, end);
}

static bool
jp_lex_number(JpLexer *lx)
{
	const char *s = lx->src;
	size_t		start = lx->pos;
	size_t		i = start;
	bool		neg = false;
	int64_t		v = 0;
	JpToken    *t;

	if (s[i] == '-')
	{
		neg = true;
		i++;
	}
	if (s[i] < '0' || s[i] > '9')
	{
		jp_set_error(lx->err, JP_ERR_SYNTAX, (int) start, "'-' must be followed by digits");
		return false;
	}
	while (s[i] >= '0' && s[i] <= '9')
	{
		int			d = s[i] - '0';

		v = v > (JP_NUM_MAX - d) / 10 ? JP_NUM_MAX : v * 10 + d;
		i++;
	}
	t = jp_lex_push(lx, JP_T_NUMBER, start, i);
	if (t == NULL)
		return false;
	t->num = neg ? -v : v;
	lx->pos = i;
	return true;
}

static bool
jp_lex_ident(JpLexer *lx)
{
	const char *s = lx->src;
	size_t		start = lx->pos;
	size_t		i = start;
	JpToken    *t;

	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		   (s[i] >= '0' && s[i] <= '9') || s[i] == '_')
		i++;
	t = jp_lex_push(lx, JP_T_UNQUOTED, start, i);
	if (t == NULL || (t->str = jp_lex_room(lx, i - start)) == NULL)
		return false;
	memcpy(t->str, s + start, i - start);
	t->len = i - start;
	lx->pos = i;
	return true;
}

/* A one- or two-character operator: type2 when the next character is 'second'. */
static bool
jp_lex_op(JpLexer *lx, JpTokType type1, char second, JpTokType type2)
{
	size_t		start = lx->pos;

	if (lx->src[start + 1] == second)
	{
		lx->pos += 2;
		return jp_lex_push(lx, type2, start, start + 2) != NULL;
	}
	lx->pos++;
	return jp_lex_push(lx, type1, start, start + 1) != NULL;
}

static JpTokType
jp_lex_single(char c)
{
	switch (c)
	{
		case '.':
			return JP_T_DOT;
		case '*':
			return JP_T_STAR;
		case ']':
			return JP_T_RBRACKET;
		case ',':
			return JP_T_COMMA;
		case ':':
			return JP_T_COLON;
		case '@':
			return JP_T_CURRENT;
		case '(':
			return JP_T_LPAREN;
		case ')':
			return JP_T_RPAREN;
		case '{':
			return JP_T_LBRACE;
		case '}':
			return JP_T_RBRACE;
		default:
			return JP_T_EOF;
	}
}

/* Lex the token at lx->pos (never whitespace). */
static bool
jp_lex_one(JpLexer *lx)
{
	char		c = lx->src[lx->pos];
	JpTokType	single = jp_lex_single(c);

	if (single != JP_T_EOF)
	{
		lx->pos++;
		return jp_lex_push(lx, single, lx->pos - 1, lx->pos) != NULL;
	}
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return jp_lex_ident(lx);
	if ((c >= '0' && c <= '9') || c == '-')
		return jp_lex_number(lx);
	switch (c)
	{
		case '[':
			if (lx->src[lx->pos + 1] == '?')
				return jp_lex_op(lx, JP_T_LBRACKET, '?', JP_T_FILTER);
			return jp_lex_op(lx, JP_T_LBRACKET, ']', JP_T_FLATTEN);
		case '"':
			return jp_lex_quoted(lx);
		case '\'':
			return jp_lex_raw(lx);
		case '`':
			return jp_lex_literal(lx);
		case '|':
			return jp_lex_op(lx, JP_T_PIPE, '|', JP_T_OR);
		case '&':
			return jp_lex_op(lx, JP_T_EXPREF, '&', JP_T_AND);
		case '<':
			return jp_lex_op(lx, JP_T_LT, '=', JP_T_LTE);
		case '>':
			return jp_lex_op(lx, JP_T_GT, '=', JP_T_GTE);
		case '!':
			return jp_lex_op(lx, JP_T_NOT, '=', JP_T_NE);
		case '=':
			if (lx->src[lx->pos + 1] == '=')
			{
				lx->pos += 2;
				return jp_lex_push(lx, JP_T_EQ, lx->pos - 2, lx->pos) != NULL;
			}
			jp_set_error(lx->err, JP_ERR_SYNTAX, (int) lx->pos,
						 "'=' is not an operator (use '==')");
			return false;
		default:
			jp_set_error(lx->err, JP_ERR_SYNTAX, (int) lx->pos,
						 "unexpected character '%c'", c);
			return false;
	}
}

JpToken *
jp_lex(const char *expr, JpArena *arena, int *ntokens, JpError *err)
{
	JpLexer		lx;
	bool		ok = true;

	memset(&lx, 0, sizeof(lx));
	lx.src = expr;
	lx.arena = arena;
	lx.err = err;
	for (;;)
	{
		while (expr[lx.pos] == ' ' || expr[lx.pos] == '\t' ||
			   expr[lx.pos] == '\n' || expr[lx.pos] == '\r')
			lx.pos++;
		if (expr[lx.pos] == '\0')
			break;
		if (!jp_lex_one(&lx))
		{
			ok = false;
			break;
		}
	}
	if (ok)
		ok = jp_lex_push(&lx, JP_T_EOF, lx.pos, lx.pos) != NULL;
	if (lx.tok != NULL)
		json_tokener_free(lx.tok);
	if (!ok)
	{
		free(lx.toks);
		return NULL;
	}
	*ntokens = lx.ntoks;
	return lx.toks;
}
