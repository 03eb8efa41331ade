/*-------------------------------------------------------------------------
 *
 * expr_value.c
 *		  Text, JSON, equality, ordering and casts of json-c values, shared
 *		  by the evaluator (expr_eval.c), the templates and the function
 *		  library.
 *
 * The text forms follow what Sling's Go engine prints, because spec authors
 * compare our output with theirs: a float that is integral prints as an
 * integer ("5", not "5.0"), strings are bare in text and escaped in JSON,
 * and '/' is not escaped.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr/expr.h"
#include "expr/expr_value.h"

/* Start in the inline storage, so short texts never reach malloc. */
void
bf_buf_init(BfBuf *buf)
{
	buf->data = buf->local;
	buf->len = 0;
	buf->cap = sizeof(buf->local);
	buf->failed = false;
	buf->local[0] = '\0';
}

/* Leaves the buffer empty and reusable. */
void
bf_buf_free(BfBuf *buf)
{
	if (buf->data != buf->local)
		free(buf->data);
	bf_buf_init(buf);
}

/* Make room for extra more bytes plus a NUL; false (and failed) if we can't. */
static bool
bf_buf_reserve(BfBuf *buf, size_t extra)
{
	size_t		need;
	size_t		cap;
	char	   *p;

	if (buf->failed)
		return false;
	need = buf->len + extra + 1;
	if (need <= buf->cap)
		return true;
	cap = buf->cap * 2;
	while (cap < need)
		cap *= 2;
	if (buf->data == buf->local)
	{
		p = malloc(cap);
		if (p != NULL)
			memcpy(p, buf->data, buf->len);
	}
	else
		p = realloc(buf->data, cap);
	if (p == NULL)
	{
		buf->failed = true;
		return false;
	}
	buf->data = p;
	buf->cap = cap;
	return true;
}

/* Appends keep a NUL after the text, so data is always a C string. */
void
bf_buf_append(BfBuf *buf, const char *s, size_t len)
{
	if (!bf_buf_reserve(buf, len))
		return;
	memcpy(buf->data + buf->len, s, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

/* For NUL-terminated pieces. */
void
bf_buf_append_str(BfBuf *buf, const char *s)
{
	bf_buf_append(buf, s, strlen(s));
}

/* For separators and escapes. */
void
bf_buf_append_char(BfBuf *buf, char c)
{
	bf_buf_append(buf, &c, 1);
}

/* Measures first, so the text is never cut. */
void
bf_buf_printf(BfBuf *buf, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !bf_buf_reserve(buf, (size_t) n))
		return;
	va_start(ap, fmt);
	vsnprintf(buf->data + buf->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t) n;
}

/* The caller gets malloc'd memory even when the text was inline. */
char *
bf_buf_steal(BfBuf *buf)
{
	char	   *s;

	if (buf->failed)
	{
		bf_buf_free(buf);
		return NULL;
	}
	if (buf->data == buf->local)
	{
		s = malloc(buf->len + 1);
		if (s != NULL)
			memcpy(s, buf->data, buf->len + 1);
	}
	else
		s = buf->data;
	bf_buf_init(buf);
	return s;
}

/* One copy into json-c, which cannot adopt a buffer. */
struct json_object *
bf_buf_to_json(BfBuf *buf)
{
	if (buf->failed)
		return NULL;
	return json_object_new_string_len(buf->data, (int) buf->len);
}

/*
 * Go's encoder prints integral floats below 1e21 without a fraction; for
 * the rest the shortest %g that reads back the same keeps 0.1 as "0.1".
 */
void
bf_value_append_double(BfBuf *buf, double d)
{
	char		tmp[64];
	int			prec;

	if (d == floor(d) && fabs(d) < 1e21)
	{
		snprintf(tmp, sizeof(tmp), "%.0f", d);
		bf_buf_append_str(buf, tmp);
		return;
	}
	for (prec = 15; prec <= 17; prec++)
	{
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	bf_buf_append_str(buf, tmp);
}

/*
 * A double that serializes in the shortest form that reads back the same,
 * still looking like a float ("2.0", "1e+20"): json-c's own format (%.17g)
 * prints 24 / 10.0 as 2.3999999999999999, and every serializer (json-c's,
 * and so jsonb's input) takes the text stored here instead.
 */
struct json_object *
bf_value_new_double(double d)
{
	char		tmp[64];
	int			prec;

	if (!isfinite(d))
		return json_object_new_double(d);
	for (prec = 15; prec <= 17; prec++)
	{
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	if (strpbrk(tmp, ".e") == NULL)
		strcat(tmp, ".0");
	return json_object_new_double_s(d, tmp);
}

/*
 * JSON escapes for quotes, backslashes and controls only: '/' and UTF-8 stay
 * as they are, as Go's encoder leaves them (bar its HTML escapes).
 */
static void
append_json_string(BfBuf *buf, const char *s, size_t len)
{
	size_t		i;
	size_t		run = 0;

	bf_buf_append_char(buf, '"');
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		const char *esc = NULL;
		char		hex[8];

		switch (c)
		{
			case '"':
				esc = "\\\"";
				break;
			case '\\':
				esc = "\\\\";
				break;
			case '\n':
				esc = "\\n";
				break;
			case '\r':
				esc = "\\r";
				break;
			case '\t':
				esc = "\\t";
				break;
			case '\b':
				esc = "\\b";
				break;
			case '\f':
				esc = "\\f";
				break;
			default:
				if (c < 0x20)
				{
					snprintf(hex, sizeof(hex), "\\u%04x", c);
					esc = hex;
				}
				break;
		}
		if (esc != NULL)
		{
			bf_buf_append(buf, s + run, i - run);
			bf_buf_append_str(buf, esc);
			run = i + 1;
		}
	}
	bf_buf_append(buf, s + run, len - run);
	bf_buf_append_char(buf, '"');
}

/*
 * Our own serializer rather than json-c's, which prints 5.0 and
 * 0.10000000000000001 where Sling prints 5 and 0.1.
 */
void
bf_value_append_json(BfBuf *buf, struct json_object *v)
{
	switch (json_object_get_type(v))
	{
		case json_type_null:
			bf_buf_append(buf, "null", 4);
			break;
		case json_type_boolean:
			bf_buf_append_str(buf, json_object_get_boolean(v) ? "true" : "false");
			break;
		case json_type_int:
			bf_buf_printf(buf, "%lld", (long long) json_object_get_int64(v));
			break;
		case json_type_double:
			bf_value_append_double(buf, json_object_get_double(v));
			break;
		case json_type_string:
			append_json_string(buf, json_object_get_string(v),
							   (size_t) json_object_get_string_len(v));
			break;
		case json_type_array:
			{
				size_t		i;
				size_t		n = json_object_array_length(v);

				bf_buf_append_char(buf, '[');
				for (i = 0; i < n; i++)
				{
					if (i > 0)
						bf_buf_append_char(buf, ',');
					bf_value_append_json(buf, json_object_array_get_idx(v, i));
				}
				bf_buf_append_char(buf, ']');
				break;
			}
		case json_type_object:
			{
				bool		first = true;
				struct json_object_iter it;

				bf_buf_append_char(buf, '{');
				json_object_object_foreachC(v, it)
				{
					if (!first)
						bf_buf_append_char(buf, ',');
					first = false;
					append_json_string(buf, it.key, strlen(it.key));
					bf_buf_append_char(buf, ':');
					bf_value_append_json(buf, it.val);
				}
				bf_buf_append_char(buf, '}');
				break;
			}
	}
}

/* Template text: what a {...} part becomes inside a longer string. */
void
bf_value_append_text(BfBuf *buf, struct json_object *v)
{
	if (v == NULL)
		return;
	if (json_object_is_type(v, json_type_string))
		bf_buf_append(buf, json_object_get_string(v),
					  (size_t) json_object_get_string_len(v));
	else
		bf_value_append_json(buf, v);
}

/*
 * The public form of bf_value_append_text, for the spec loader and the
 * runner.
 */
char *
bf_value_to_text(struct json_object *value)
{
	BfBuf		buf;

	bf_buf_init(&buf);
	bf_value_append_text(&buf, value);
	return bf_buf_steal(&buf);
}

/*
 * Error messages quote values, cut short so a large response cannot flood
 * them.
 */
const char *
bf_value_describe(struct json_object *v, char *out, size_t max)
{
	BfBuf		buf;
	size_t		n;

	bf_buf_init(&buf);
	bf_value_append_json(&buf, v);
	n = buf.len;
	if (buf.failed)
	{
		snprintf(out, max + 4, "(a %s)", bf_value_type_name(v));
		bf_buf_free(&buf);
		return out;
	}
	if (n > max)
	{
		n = max;
		/* do not cut a UTF-8 sequence in half */
		while (n > 0 && ((unsigned char) buf.data[n] & 0xC0) == 0x80)
			n--;
		memcpy(out, buf.data, n);
		memcpy(out + n, "...", 4);
	}
	else
		memcpy(out, buf.data, n + 1);
	bf_buf_free(&buf);
	return out;
}

/* The names type_of() reports and error messages use. */
const char *
bf_value_type_name(struct json_object *v)
{
	switch (json_object_get_type(v))
	{
		case json_type_null:
			return "null";
		case json_type_boolean:
			return "boolean";
		case json_type_int:
			return "integer";
		case json_type_double:
			return "float";
		case json_type_string:
			return "string";
		case json_type_array:
			return "array";
		case json_type_object:
			return "object";
	}
	return "unknown";
}

/* Integers and floats are one kind for arithmetic and comparison. */
bool
bf_value_is_number(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) ||
		json_object_is_type(v, json_type_double);
}

/* A shorthand the callers read better with. */
bool
bf_value_is_string(struct json_object *v)
{
	return json_object_is_type(v, json_type_string);
}

/* Compare two numbers, exactly when both are integers. */
static int
compare_numbers(struct json_object *a, struct json_object *b)
{
	double		x;
	double		y;

	if (json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int))
	{
		int64_t		i = json_object_get_int64(a);
		int64_t		j = json_object_get_int64(b);

		return (i > j) - (i < j);
	}
	x = json_object_get_double(a);
	y = json_object_get_double(b);
	return (x > y) - (x < y);
}

/* Bytewise, with embedded NULs counted: json strings carry their length. */
static int
compare_strings(struct json_object *a, struct json_object *b)
{
	size_t		la = (size_t) json_object_get_string_len(a);
	size_t		lb = (size_t) json_object_get_string_len(b);
	int			c = memcmp(json_object_get_string(a), json_object_get_string(b),
						   la < lb ? la : lb);

	if (c != 0)
		return c < 0 ? -1 : 1;
	return (la > lb) - (la < lb);
}

/*
 * == and in: deep, with 1 == 1.0 as goval has it, and a string never equal to
 * a number.
 */
bool
bf_value_equal(struct json_object *a, struct json_object *b)
{
	enum json_type ta = json_object_get_type(a);
	enum json_type tb = json_object_get_type(b);

	if (a == b)
		return true;
	if (bf_value_is_number(a) && bf_value_is_number(b))
		return compare_numbers(a, b) == 0;
	if (ta != tb)
		return false;
	switch (ta)
	{
		case json_type_null:
			return true;
		case json_type_boolean:
			return json_object_get_boolean(a) == json_object_get_boolean(b);
		case json_type_string:
			return compare_strings(a, b) == 0;
		case json_type_array:
			{
				size_t		n = json_object_array_length(a);
				size_t		i;

				if (n != json_object_array_length(b))
					return false;
				for (i = 0; i < n; i++)
					if (!bf_value_equal(json_object_array_get_idx(a, i),
										json_object_array_get_idx(b, i)))
						return false;
				return true;
			}
		case json_type_object:
			{
				struct json_object_iter it;

				if (json_object_object_length(a) != json_object_object_length(b))
					return false;
				json_object_object_foreachC(a, it)
				{
					struct json_object *other;

					if (!json_object_object_get_ex(b, it.key, &other) ||
						!bf_value_equal(it.val, other))
						return false;
				}
				return true;
			}
		default:
			return false;
	}
}

/*
 * < and friends order numbers and strings only; the caller reports the rest
 * as a type error.
 */
bool
bf_value_compare(struct json_object *a, struct json_object *b, int *cmp)
{
	if (bf_value_is_number(a) && bf_value_is_number(b))
	{
		*cmp = compare_numbers(a, b);
		return true;
	}
	if (bf_value_is_string(a) && bf_value_is_string(b))
	{
		*cmp = compare_strings(a, b);
		return true;
	}
	return false;
}

/* Skip ASCII white space at both ends of [*s, *s + *len). */
static void
trim_space(const char **s, size_t *len)
{
	while (*len > 0 && bf_ascii_space((*s)[0]))
	{
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && bf_ascii_space((*s)[*len - 1]))
		(*len)--;
}

/*
 * cast.ToIntE's reading of strings, except that a leading zero is decimal:
 * "08" is 8, not an error, and "010" is 10, not 8.
 */
bool
bf_parse_int64(const char *s, size_t len, int64_t *out)
{
	bool		neg = false;
	int			base = 10;
	uint64_t	acc = 0;
	uint64_t	limit;
	size_t		i = 0;
	size_t		ndigits = 0;

	trim_space(&s, &len);
	if (len > 0 && (s[0] == '-' || s[0] == '+'))
	{
		neg = (s[0] == '-');
		i++;
	}
	if (len - i > 2 && s[i] == '0')
	{
		char		p = bf_ascii_lower(s[i + 1]);

		if (p == 'x')
			base = 16;
		else if (p == 'o')
			base = 8;
		else if (p == 'b')
			base = 2;
		if (base != 10)
			i += 2;
	}
	limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	for (; i < len; i++)
	{
		int			d;
		unsigned char c = (unsigned char) s[i];

		if (isdigit(c))
			d = c - '0';
		else if (base == 16 && isxdigit(c))
			d = bf_ascii_lower((char) c) - 'a' + 10;
		else
			break;
		if (d >= base)
			return false;
		if (acc > (limit - (uint64_t) d) / (uint64_t) base)
			return false;
		acc = acc * (uint64_t) base + (uint64_t) d;
		ndigits++;
	}
	if (ndigits == 0)
		return false;
	/* "10.0" is an integer for cast, as in Go's cast.ToIntE */
	if (base == 10 && i < len && s[i] == '.')
	{
		for (i++; i < len && s[i] == '0'; i++)
			;
	}
	if (i != len)
		return false;
	*out = neg ? (int64_t) (0 - acc) : (int64_t) acc;
	return true;
}

/*
 * strtod would also take "inf", "nan" and hex floats; JSON has none of them,
 * so neither do we.
 */
bool
bf_parse_double(const char *s, size_t len, double *out)
{
	char		tmp[128];
	char	   *end;
	size_t		i;
	double		d;

	trim_space(&s, &len);
	if (len == 0 || len >= sizeof(tmp))
		return false;
	for (i = 0; i < len; i++)
		if (!strchr("0123456789+-.eE", s[i]))
			return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	d = strtod(tmp, &end);
	if (*end != '\0' || end == tmp || !isfinite(d))
		return false;
	*out = d;
	return true;
}

/*
 * Floats truncate and booleans count, as cast.ToIntE does; null is not 0
 * here.
 */
bool
bf_value_to_int64(struct json_object *v, int64_t *out)
{
	switch (json_object_get_type(v))
	{
		case json_type_int:
			*out = json_object_get_int64(v);
			return true;
		case json_type_double:
			{
				double		d = json_object_get_double(v);

				if (!isfinite(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0)
					return false;
				*out = (int64_t) d;
				return true;
			}
		case json_type_boolean:
			*out = json_object_get_boolean(v) ? 1 : 0;
			return true;
		case json_type_string:
			return bf_parse_int64(json_object_get_string(v),
								  (size_t) json_object_get_string_len(v), out);
		default:
			return false;
	}
}

/* As bf_value_to_int64, for floats; hex strings read as integers first. */
bool
bf_value_to_double(struct json_object *v, double *out)
{
	switch (json_object_get_type(v))
	{
		case json_type_int:
			*out = (double) json_object_get_int64(v);
			return true;
		case json_type_double:
			*out = json_object_get_double(v);
			return true;
		case json_type_boolean:
			*out = json_object_get_boolean(v) ? 1.0 : 0.0;
			return true;
		case json_type_string:
			{
				int64_t		i;

				/* hex and friends read as integers first */
				if (bf_parse_int64(json_object_get_string(v),
								   (size_t) json_object_get_string_len(v), &i))
				{
					*out = (double) i;
					return true;
				}
				return bf_parse_double(json_object_get_string(v),
									   (size_t) json_object_get_string_len(v), out);
			}
		default:
			return false;
	}
}

/* strconv.ParseBool's spellings, plus yes/no for cast(); null is false. */
bool
bf_value_to_bool(struct json_object *v, bool yes_no, bool *out)
{
	static const char *const truths[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const lies[] = {"0", "f", "F", "FALSE", "false", "False"};
	const char *s;
	size_t		len;
	size_t		i;

	switch (json_object_get_type(v))
	{
		case json_type_null:
			*out = false;
			return true;
		case json_type_boolean:
			*out = json_object_get_boolean(v);
			return true;
		case json_type_int:
			*out = json_object_get_int64(v) != 0;
			return true;
		case json_type_double:
			*out = json_object_get_double(v) != 0.0;
			return true;
		case json_type_string:
			break;
		default:
			return false;
	}
	s = json_object_get_string(v);
	len = (size_t) json_object_get_string_len(v);
	if (yes_no)
	{
		trim_space(&s, &len);
		if (len == 3 && strncasecmp(s, "yes", 3) == 0)
		{
			*out = true;
			return true;
		}
		if (len == 2 && strncasecmp(s, "no", 2) == 0)
		{
			*out = false;
			return true;
		}
	}
	for (i = 0; i < sizeof(truths) / sizeof(truths[0]); i++)
	{
		if (len == strlen(truths[i]) && memcmp(s, truths[i], len) == 0)
		{
			*out = true;
			return true;
		}
		if (len == strlen(lies[i]) && memcmp(s, lies[i], len) == 0)
		{
			*out = false;
			return true;
		}
	}
	return false;
}

bool
bf_key_case_named(const char *name, BfKeyCase *c)
{
	static const char *const names[] = {"snake", "camel", "upper", "lower"};
	int			i;

	for (i = 0; i < 4; i++)
		if (strcasecmp(name, names[i]) == 0)
		{
			*c = (BfKeyCase) i;
			return true;
		}
	return false;
}

/* Sling's word step: a lower-case letter or digit, then an upper-case letter. */
static bool
case_step(const char *s, size_t len, size_t i)
{
	return i + 1 < len && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')) &&
		s[i + 1] >= 'A' && s[i + 1] <= 'Z';
}

/* A character Sling keeps in a cleaned name. */
static bool
name_char(char ch)
{
	return bf_ascii_alnum(ch) || ch == '_';
}

void
bf_key_case_append(BfBuf *buf, const char *key, size_t len, BfKeyCase c)
{
	BfBuf		clean;
	size_t		i;
	bool		cap_next = false;
	bool		first_word = true;

	/* trim, and split words for snake (camel splits them below) */
	while (len > 0 && bf_ascii_space(*key))
		key++, len--;
	while (len > 0 && bf_ascii_space(key[len - 1]))
		len--;
	bf_buf_init(&clean);
	if (len > 0 && key[0] >= '0' && key[0] <= '9')
		bf_buf_append_char(&clean, '_');
	for (i = 0; i < len; i++)
	{
		if (!name_char(key[i]))
		{
			bf_buf_append_char(&clean, '_');
			while (i + 1 < len && !name_char(key[i + 1]))
				i++;
			continue;
		}
		bf_buf_append_char(&clean, key[i]);
		if ((c == BF_KEYCASE_SNAKE || c == BF_KEYCASE_CAMEL) && case_step(key, len, i))
			bf_buf_append_char(&clean, '_');
	}
	if (clean.failed)
	{
		buf->failed = true;
		bf_buf_free(&clean);
		return;
	}
	for (i = 0; i < clean.len; i++)
	{
		char		ch = clean.data[i];

		switch (c)
		{
			case BF_KEYCASE_UPPER:
				bf_buf_append_char(buf, bf_ascii_upper(ch));
				break;
			case BF_KEYCASE_SNAKE:
			case BF_KEYCASE_LOWER:
				bf_buf_append_char(buf, bf_ascii_lower(ch));
				break;
			case BF_KEYCASE_CAMEL:
				if (ch == '_')
				{
					cap_next = !first_word;
					continue;
				}
				bf_buf_append_char(buf, cap_next ? bf_ascii_upper(ch) : bf_ascii_lower(ch));
				cap_next = false;
				first_word = false;
				break;
		}
	}
	bf_buf_free(&clean);
}

struct json_object *
bf_object_recase(struct json_object *obj, BfKeyCase c)
{
	struct json_object *out = json_object_new_object();
	struct json_object_iter it;
	BfBuf		key;

	if (out == NULL)
		return NULL;
	bf_buf_init(&key);
	json_object_object_foreachC(obj, it)
	{
		key.len = 0;
		bf_key_case_append(&key, it.key, strlen(it.key), c);
		bf_buf_append_char(&key, '\0');
		if (key.failed)
		{
			json_object_put(out);
			out = NULL;
			break;
		}
		json_object_object_add(out, key.data, json_object_get(it.val));
	}
	bf_buf_free(&key);
	return out;
}

/* The process-wide interrupt hook (expr.h); NULL never stops. */
static BfInterruptFn interrupt_hook = NULL;

void
bf_expr_set_interrupt(BfInterruptFn hook)
{
	interrupt_hook = hook;
}

bool
bf_interrupted(void)
{
	return interrupt_hook != NULL && interrupt_hook();
}

void
bf_budget_init(BfBudget *b)
{
	b->used = 0;
	b->steps = 0;
}

/*
 * Charged before the value is built, so an oversized range or string fails
 * without ever being allocated.  Building is work too: it counts as steps.
 */
bool
bf_budget_charge(BfBudget *b, size_t bytes, BfError *err)
{
	if (bytes > BF_EVAL_MAX_BYTES - b->used)
		return bf_error_set(err, BF_ERR_LIMIT,
							"the values built by one evaluation would exceed %zu MB (BF_EVAL_MAX_BYTES: an array element or object member counts %d bytes, a string its length)",
							BF_EVAL_MAX_BYTES / (1024 * 1024), BF_EVAL_ELEMENT_COST);
	b->used += bytes;
	return bf_budget_step(b, 1 + bytes / BF_EVAL_ELEMENT_COST, err);
}

bool
bf_budget_charge_elements(BfBudget *b, size_t n, BfError *err)
{
	if (n > BF_EVAL_MAX_BYTES / BF_EVAL_ELEMENT_COST)
		n = BF_EVAL_MAX_BYTES / BF_EVAL_ELEMENT_COST + 1;
	return bf_budget_charge(b, n * BF_EVAL_ELEMENT_COST, err);
}

/* The hook is asked once per BF_EVAL_CHECK_EVERY steps, so it costs nothing. */
bool
bf_budget_step(BfBudget *b, size_t n, BfError *err)
{
	b->steps += n;
	if (b->steps < BF_EVAL_CHECK_EVERY)
		return true;
	b->steps = 0;
	if (bf_interrupted())
		return bf_error_set(err, BF_ERR_CANCELED, "canceled");
	return true;
}
