/*-------------------------------------------------------------------------
 *
 * expr_lex.c
 *		  The lexer of the expression language: goval's literals (numbers,
 *		  hex, "strings" with JSON escapes, `raw strings`, true/false/nil)
 *		  and operators.
 *
 * A single-quoted string is an error with its own message, as Sling's
 * Evaluator.Check has it, because vendor examples use them and users will
 * copy those.  A lone '|' is not a token: it is JMESPath's pipe, and an
 * expression that uses it falls back to JMESPath as a whole.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"
#include "util/utf8.h"

/*
 * Lexical errors carry their own position: the parser has no token for them.
 */
static bool
lex_error(BfLexer *lx, size_t pos, const char *msg)
{
	lx->err_pos = pos;
	snprintf(lx->err, sizeof(lx->err), "%s", msg);
	return false;
}

/* Names as goval has them: ASCII letters and underscore. */
static bool
is_ident_start(char c)
{
	return isalpha((unsigned char) c) || c == '_';
}

/*
 * Hyphens are not name characters: response.headers.content-type is a
 * subtraction, as in Sling.
 */
static bool
is_ident_char(char c)
{
	return isalnum((unsigned char) c) || c == '_';
}

/* JSON escapes, plus \' for strings pasted from vendor examples. */
static bool
lex_string(BfLexer *lx, BfToken *tok)
{
	size_t		start = lx->i;
	char	   *out = malloc(lx->len - start + 1);
	size_t		n = 0;

	if (out == NULL)
		return lex_error(lx, start, "out of memory");
	lx->i++;
	for (;;)
	{
		char		c;
		int			esc;

		if (lx->i >= lx->len)
		{
			free(out);
			return lex_error(lx, start, "unterminated string");
		}
		c = lx->src[lx->i];
		if (c == '"')
		{
			lx->i++;
			break;
		}
		if (c != '\\')
		{
			out[n++] = c;
			lx->i++;
			continue;
		}
		if (lx->i + 1 >= lx->len)
		{
			free(out);
			return lex_error(lx, start, "unterminated string");
		}
		c = lx->src[lx->i + 1];
		lx->i += 2;
		esc = c == '\'' ? c : bf_json_simple_escape(c);
		if (esc >= 0)
			out[n++] = (char) esc;
		else if (c == 'u')
		{
			size_t		used;
			int32_t		cp = bf_json_escape(lx->src + lx->i, lx->len - lx->i, &used);

			if (cp < 0)
			{
				free(out);
				return lex_error(lx, lx->i - 2, "invalid \\u escape in string");
			}
			lx->i += used;
			n += bf_utf8_put(out + n, (uint32_t) cp);
		}
		else
		{
			char		msg[64];

			free(out);
			snprintf(msg, sizeof(msg), "invalid escape '\\%c' in string",
					 isprint((unsigned char) c) ? c : '?');
			return lex_error(lx, lx->i - 2, msg);
		}
	}
	out[n] = '\0';
	tok->kind = BF_T_STRING;
	tok->sval = out;
	tok->slen = n;
	return true;
}

/* Backtick strings have no escapes, so regexes and JSON read as written. */
static bool
lex_raw_string(BfLexer *lx, BfToken *tok)
{
	size_t		start = lx->i;
	const char *end = memchr(lx->src + start + 1, '`', lx->len - start - 1);
	size_t		n;

	if (end == NULL)
		return lex_error(lx, start, "unterminated string");
	n = (size_t) (end - (lx->src + start + 1));
	tok->sval = malloc(n + 1);
	if (tok->sval == NULL)
		return lex_error(lx, start, "out of memory");
	memcpy(tok->sval, lx->src + start + 1, n);
	tok->sval[n] = '\0';
	tok->slen = n;
	tok->kind = BF_T_STRING;
	lx->i = start + n + 2;
	return true;
}

/*
 * An integer that does not fit 64 bits becomes a float rather than an error,
 * as in Go's JSON.
 */
static bool
lex_number(BfLexer *lx, BfToken *tok)
{
	size_t		start = lx->i;
	size_t		i = start;
	bool		is_float = false;
	char		tmp[64];

	if (lx->src[i] == '0' && i + 1 < lx->len && (lx->src[i + 1] == 'x' || lx->src[i + 1] == 'X'))
	{
		uint64_t	v = 0;
		size_t		nd = 0;

		for (i += 2; i < lx->len && bf_hex_digit(lx->src[i]) >= 0; i++, nd++)
		{
			if (v > (uint64_t) INT64_MAX >> 4)
				return lex_error(lx, start, "hex number too large");
			v = v * 16 + (uint64_t) bf_hex_digit(lx->src[i]);
		}
		if (nd == 0 || (i < lx->len && is_ident_char(lx->src[i])))
			return lex_error(lx, start, "invalid number");
		tok->kind = BF_T_INT;
		tok->ival = (int64_t) v;
		lx->i = i;
		return true;
	}
	while (i < lx->len && isdigit((unsigned char) lx->src[i]))
		i++;
	if (i + 1 < lx->len && lx->src[i] == '.' && isdigit((unsigned char) lx->src[i + 1]))
	{
		is_float = true;
		for (i++; i < lx->len && isdigit((unsigned char) lx->src[i]); i++)
			;
	}
	if (i < lx->len && (lx->src[i] == 'e' || lx->src[i] == 'E'))
	{
		size_t		j = i + 1;

		if (j < lx->len && (lx->src[j] == '+' || lx->src[j] == '-'))
			j++;
		if (j < lx->len && isdigit((unsigned char) lx->src[j]))
		{
			is_float = true;
			for (i = j; i < lx->len && isdigit((unsigned char) lx->src[i]); i++)
				;
		}
	}
	if ((i < lx->len && is_ident_char(lx->src[i])) || i - start >= sizeof(tmp))
		return lex_error(lx, start, "invalid number");
	memcpy(tmp, lx->src + start, i - start);
	tmp[i - start] = '\0';
	lx->i = i;
	if (!is_float && bf_parse_int64(tmp, i - start, &tok->ival))
	{
		tok->kind = BF_T_INT;
		return true;
	}
	/* floats, and integers too large for 64 bits */
	tok->kind = BF_T_FLOAT;
	tok->dval = strtod(tmp, NULL);
	if (tok->dval > 1.7976931348623157e308)
		return lex_error(lx, start, "number too large");
	return true;
}

static const struct
{
	const char *word;
	BfTokKind	kind;
}			keywords[] = {
	{"true", BF_T_TRUE}, {"false", BF_T_FALSE}, {"nil", BF_T_NULL},
	{"null", BF_T_NULL}, {"in", BF_T_IN}
};

/* One token of lookahead is all the Pratt parser needs. */
bool
bf_lex_next(BfLexer *lx, BfToken *tok)
{
	const char *s = lx->src;
	char		c;
	char		next;
	size_t		k;

	while (lx->i < lx->len && isspace((unsigned char) s[lx->i]))
		lx->i++;
	memset(tok, 0, sizeof(*tok));
	tok->pos = lx->i;
	if (lx->i >= lx->len)
	{
		tok->kind = BF_T_EOF;
		return true;
	}
	c = s[lx->i];
	next = lx->i + 1 < lx->len ? s[lx->i + 1] : '\0';
	if (isdigit((unsigned char) c))
	{
		if (!lex_number(lx, tok))
			return false;
	}
	else if (c == '"')
	{
		if (!lex_string(lx, tok))
			return false;
	}
	else if (c == '`')
	{
		if (!lex_raw_string(lx, tok))
			return false;
	}
	else if (c == '\'')
	{
		lx->single_quote = true;
		return lex_error(lx, lx->i,
						 "cannot use single quotes (write strings in double quotes or backticks)");
	}
	else if (is_ident_start(c))
	{
		size_t		start = lx->i;

		while (lx->i < lx->len && is_ident_char(s[lx->i]))
			lx->i++;
		tok->kind = BF_T_IDENT;
		for (k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
			if (strlen(keywords[k].word) == lx->i - start &&
				memcmp(keywords[k].word, s + start, lx->i - start) == 0)
				tok->kind = keywords[k].kind;
	}
	else
	{
		BfTokKind	kind;
		size_t		n = 1;

		switch (c)
		{
			case '+':
				kind = BF_T_PLUS;
				break;
			case '-':
				kind = BF_T_MINUS;
				break;
			case '*':
				kind = next == '*' ? BF_T_POW : BF_T_STAR;
				break;
			case '/':
				kind = BF_T_SLASH;
				break;
			case '%':
				kind = BF_T_PERCENT;
				break;
			case '=':
				if (next != '=')
					return lex_error(lx, lx->i, "unexpected '=' (compare with ==)");
				kind = BF_T_EQ;
				break;
			case '!':
				kind = next == '=' ? BF_T_NE : BF_T_NOT;
				break;
			case '<':
				kind = next == '=' ? BF_T_LE : next == '<' ? BF_T_SHL : BF_T_LT;
				break;
			case '>':
				kind = next == '=' ? BF_T_GE : next == '>' ? BF_T_SHR : BF_T_GT;
				break;
			case '&':
				kind = next == '&' ? BF_T_AND : BF_T_BITAND;
				break;
			case '|':
				if (next != '|')
					return lex_error(lx, lx->i, "unexpected '|'");
				kind = BF_T_OR;
				break;
			case '^':
				kind = BF_T_BITXOR;
				break;
			case '~':
				kind = BF_T_BITNOT;
				break;
			case '?':
				kind = BF_T_QUESTION;
				break;
			case ':':
				kind = BF_T_COLON;
				break;
			case ',':
				kind = BF_T_COMMA;
				break;
			case '.':
				kind = BF_T_DOT;
				break;
			case '[':
				kind = BF_T_LBRACKET;
				break;
			case ']':
				kind = BF_T_RBRACKET;
				break;
			case '(':
				kind = BF_T_LPAREN;
				break;
			case ')':
				kind = BF_T_RPAREN;
				break;
			case '{':
				kind = BF_T_LBRACE;
				break;
			case '}':
				kind = BF_T_RBRACE;
				break;
			default:
				{
					char		msg[48];

					if (isprint((unsigned char) c))
						snprintf(msg, sizeof(msg), "unexpected character '%c'", c);
					else
						snprintf(msg, sizeof(msg), "unexpected byte 0x%02x",
								 (unsigned) (unsigned char) c);
					return lex_error(lx, lx->i, msg);
				}
		}
		if (kind == BF_T_POW || kind == BF_T_EQ || kind == BF_T_NE || kind == BF_T_LE ||
			kind == BF_T_GE || kind == BF_T_SHL || kind == BF_T_SHR || kind == BF_T_AND ||
			kind == BF_T_OR)
			n = 2;
		tok->kind = kind;
		lx->i += n;
	}
	tok->len = lx->i - tok->pos;
	return true;
}

/* Syntax errors name what was found, not a token code. */
const char *
bf_tok_describe(const BfToken *tok, const char *src, char *buf, size_t size)
{
	switch (tok->kind)
	{
		case BF_T_EOF:
			snprintf(buf, size, "end of expression");
			break;
		case BF_T_STRING:
			snprintf(buf, size, "a string");
			break;
		case BF_T_INT:
		case BF_T_FLOAT:
			snprintf(buf, size, "number %.*s", (int) (tok->len > 24 ? 24 : tok->len),
					 src + tok->pos);
			break;
		default:
			snprintf(buf, size, "'%.*s'", (int) (tok->len > 40 ? 40 : tok->len),
					 src + tok->pos);
			break;
	}
	return buf;
}

/*
 * The names whose presence makes a template part an expression (Sling's
 * prefix list).
 */
bool
bf_is_namespace(const char *name, size_t len)
{
	static const char *const names[] = {"state", "sync", "context", "secrets", "env",
		"record", "response", "request", "inputs", "auth", "queue"};
	size_t		i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return true;
	return false;
}
