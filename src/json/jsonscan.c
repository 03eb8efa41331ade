/*-------------------------------------------------------------------------
 *
 * jsonscan.c
 *		  A validating, non-allocating JSON scanner (see jsonscan.h for why).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>
#include <strings.h>

#include "json/jsonscan.h"
#include "util/utf8.h"

static bool
fail(JsScanner *s, const char *why)
{
	if (s->error == NULL)
	{
		s->error = why;
		s->error_pos = s->pos;
	}
	return false;
}

void
js_init(JsScanner *s, const char *buf, size_t len)
{
	memset(s, 0, sizeof(JsScanner));
	s->buf = buf;
	s->len = len;
}

bool
js_skip_ws(JsScanner *s)
{
	const char *b = s->buf;
	size_t		p = s->pos;

	while (p < s->len && (b[p] == ' ' || b[p] == '\n' || b[p] == '\r' || b[p] == '\t'))
		p++;
	s->pos = p;
	return p < s->len;
}

/* Bytes a string's scan must look at: the quote, a backslash, control characters. */
static const unsigned char js_string_stop[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
	[0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
	[0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
	[0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
	[0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1, ['\\'] = 1
};

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string starting at the opening quote. */
static bool
scan_string(JsScanner *s, JsSpan *out)
{
	const char *b = s->buf;

	out->kind = JS_STRING;
	out->start = s->pos++;
	out->escaped = false;
	while (s->pos < s->len)
	{
		unsigned char c;

		/* the plain run of the string, at table speed */
		while (s->pos < s->len && !js_string_stop[(unsigned char) b[s->pos]])
			s->pos++;
		if (s->pos >= s->len)
			break;
		c = (unsigned char) b[s->pos];
		if (c == '"')
		{
			out->end = ++s->pos;
			return true;
		}
		if (c < 0x20)
			return fail(s, "control character in a string");
		if (c == '\\')
		{
			out->escaped = true;
			if (++s->pos >= s->len)
				break;
			if (b[s->pos] == 'u')
			{
				if (s->pos + 4 >= s->len || !is_hex(b[s->pos + 1]) || !is_hex(b[s->pos + 2]) ||
					!is_hex(b[s->pos + 3]) || !is_hex(b[s->pos + 4]))
					return fail(s, "bad \\u escape");
				s->pos += 4;
			}
			else if (bf_json_simple_escape(b[s->pos]) < 0)
				return fail(s, "bad escape in a string");
		}
		s->pos++;
	}
	return fail(s, "unterminated string");
}

static bool
scan_digits(JsScanner *s)
{
	size_t		start = s->pos;

	while (s->pos < s->len && s->buf[s->pos] >= '0' && s->buf[s->pos] <= '9')
		s->pos++;
	return s->pos > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool
scan_number(JsScanner *s, JsSpan *out)
{
	out->kind = JS_NUMBER;
	out->start = s->pos;
	if (s->buf[s->pos] == '-')
		s->pos++;
	if (s->pos < s->len && s->buf[s->pos] == '0')
		s->pos++;
	else if (!scan_digits(s))
		return fail(s, "bad number");
	if (s->pos < s->len && s->buf[s->pos] == '.')
	{
		s->pos++;
		if (!scan_digits(s))
			return fail(s, "bad number");
	}
	if (s->pos < s->len && (s->buf[s->pos] == 'e' || s->buf[s->pos] == 'E'))
	{
		s->pos++;
		if (s->pos < s->len && (s->buf[s->pos] == '+' || s->buf[s->pos] == '-'))
			s->pos++;
		if (!scan_digits(s))
			return fail(s, "bad number");
	}
	out->end = s->pos;
	return true;
}

static bool
scan_literal(JsScanner *s, const char *word, JsKind kind, JsSpan *out)
{
	size_t		n = strlen(word);

	if (s->len - s->pos < n || memcmp(s->buf + s->pos, word, n) != 0)
		return fail(s, "unexpected character");
	out->kind = kind;
	out->start = s->pos;
	s->pos += n;
	out->end = s->pos;
	return true;
}

/* An object or array: walk its members, each validated by js_value. */
static bool
scan_container(JsScanner *s, JsKind kind, JsSpan *out)
{
	JsSpan		k;
	JsSpan		v;

	out->kind = kind;
	out->start = s->pos;
	if (++s->depth > JS_MAX_DEPTH)
		return fail(s, "nested too deeply");
	if (!js_enter(s, kind))
		return false;
	while (js_next(s, kind == JS_OBJECT ? &k : NULL, &v))
		;
	s->depth--;
	out->end = s->pos;
	return s->error == NULL;
}

bool
js_value(JsScanner *s, JsSpan *out)
{
	if (!js_skip_ws(s))
		return fail(s, "unexpected end of data");
	out->escaped = false;
	switch (s->buf[s->pos])
	{
		case '"':
			return scan_string(s, out);
		case '{':
			return scan_container(s, JS_OBJECT, out);
		case '[':
			return scan_container(s, JS_ARRAY, out);
		case 't':
			return scan_literal(s, "true", JS_TRUE, out);
		case 'f':
			return scan_literal(s, "false", JS_FALSE, out);
		case 'n':
			return scan_literal(s, "null", JS_NULL, out);
		default:
			if (s->buf[s->pos] == '-' || (s->buf[s->pos] >= '0' && s->buf[s->pos] <= '9'))
				return scan_number(s, out);
			return fail(s, "unexpected character");
	}
}

/* The bytes js_skip stops at: quotes and brackets; everything else is passed over. */
static const unsigned char js_structural[256] = {
	['"'] = 1, ['{'] = 2, ['['] = 2, ['}'] = 3, [']'] = 3
};

bool
js_skip(JsScanner *s, JsSpan *out)
{
	const unsigned char *b = (const unsigned char *) s->buf;
	size_t		p;
	size_t		len = s->len;
	int			depth = 0;

	if (!js_skip_ws(s))
		return fail(s, "unexpected end of data");
	p = out->start = s->pos;
	out->escaped = false;
	if (b[p] != '{' && b[p] != '[')
		return js_value(s, out);	/* a scalar: the validating path is as quick */
	out->kind = b[p] == '{' ? JS_OBJECT : JS_ARRAY;
	while (p < len)
	{
		while (p < len && js_structural[b[p]] == 0)
			p++;
		if (p >= len)
			break;
		switch (js_structural[b[p]])
		{
			case 1:
				/* to the closing quote that no odd run of backslashes escapes */
				for (;;)
				{
					const unsigned char *q = memchr(b + p + 1, '"', len - p - 1);
					size_t		bs = 0;

					if (q == NULL)
					{
						s->pos = len;
						return fail(s, "unterminated string");
					}
					p = (size_t) (q - b);
					while (b[p - 1 - bs] == '\\')
						bs++;
					if (bs % 2 == 0)
						break;
				}
				break;
			case 2:
				depth++;
				break;
			default:
				if (--depth == 0)
				{
					s->pos = out->end = p + 1;
					return true;
				}
				break;
		}
		p++;
	}
	s->pos = len;
	return fail(s, "unexpected end of data");
}

bool
js_enter(JsScanner *s, JsKind kind)
{
	char		open = kind == JS_OBJECT ? '{' : '[';

	if (!js_skip_ws(s) || s->buf[s->pos] != open)
		return fail(s, kind == JS_OBJECT ? "expected an object" : "expected an array");
	s->pos++;
	s->first = true;
	return true;
}

bool
js_next(JsScanner *s, JsSpan *key, JsSpan *value)
{
	bool		first = s->first;
	bool		object = key != NULL;
	char		close;

	/* cleared before any nested container sets it again for itself */
	s->first = false;
	if (!js_skip_ws(s))
		return fail(s, "unexpected end of data");
	/* what closes this container: the caller's key tells object from array */
	close = object ? '}' : ']';
	if (s->buf[s->pos] == '}' || s->buf[s->pos] == ']')
	{
		if (s->buf[s->pos] != close)
			return fail(s, "mismatched end of a container");
		s->pos++;
		return false;
	}
	if (!first)
	{
		if (s->buf[s->pos] != ',')
			return fail(s, "expected ',' or the end of a container");
		s->pos++;
		if (!js_skip_ws(s))
			return fail(s, "unexpected end of data");
	}
	if (object)
	{
		if (s->buf[s->pos] != '"' || !scan_string(s, key))
			return fail(s, "expected a member name");
		if (!js_skip_ws(s) || s->buf[s->pos] != ':')
			return fail(s, "expected ':'");
		s->pos++;
	}
	return js_value(s, value);
}

size_t
js_unescape(const char *buf, const JsSpan *str, char *out)
{
	const char *p = buf + str->start + 1;
	const char *end = buf + str->end - 1;
	size_t		n = 0;

	if (!str->escaped)
	{
		n = (size_t) (end - p);
		memcpy(out, p, n);
		out[n] = '\0';
		return n;
	}
	while (p < end)
	{
		if (*p != '\\')
		{
			out[n++] = *p++;
			continue;
		}
		p++;
		if (*p == 'u')
		{
			/* scan_string checked the digits of every \u escape */
			size_t		used;
			int32_t		cp = bf_json_escape(p + 1, (size_t) (end - p - 1), &used);

			p += used;
			/* a \u escape is 6 bytes and at most 4 of UTF-8: out stays in bounds */
			n += bf_utf8_put(out + n, (uint32_t) cp);
		}
		else					/* scan_string let no other escape through */
			out[n++] = (char) bf_json_simple_escape(*p);
		p++;
	}
	out[n] = '\0';
	return n;
}

bool
js_key_equals(const char *buf, const JsSpan *str, const char *key, bool nocase)
{
	size_t		n = str->end - str->start - 2;
	const char *p = buf + str->start + 1;

	if (str->escaped)
	{
		/* rare: decode into a small buffer, else give up on equality */
		char		tmp[256];

		if (n >= sizeof(tmp))
			return false;
		n = js_unescape(buf, str, tmp);
		return strlen(key) == n &&
			(nocase ? strncasecmp(tmp, key, n) == 0 : memcmp(tmp, key, n) == 0);
	}
	if (strlen(key) != n)
		return false;
	return nocase ? strncasecmp(p, key, n) == 0 : memcmp(p, key, n) == 0;
}
