/*-------------------------------------------------------------------------
 *
 * functions.c
 *		  The function library of the expression language (functions.h).
 *
 * Each function follows the last public Sling implementation
 * (functions.go@4f5163cb) where it is clear, and takes the safe choice
 * where Sling is surprising; docs/expressions.md lists every difference.
 * The main ones: a null date or range end is an error, not year 1; date
 * arithmetic clamps to month ends (Jan 31 + 1 month = Feb 29) instead of
 * overflowing into March; regular expressions are POSIX ERE.
 *
 * Error messages start with the function's name and quote the values
 * involved; the evaluator adds the expression.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE			/* memmem, strptime, tm_gmtoff outside PGXS */
#endif
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/crypto.h"
#include "expr/datetime.h"
#include "expr/expr.h"
#include "expr/expr_value.h"
#include "expr/functions.h"
#include "expr/jqrun.h"
#include "jmespath/jmespath.h"
#include "util/utf8.h"

/* Room for a described value: bf_value_describe(v, buf, DESCRIBE_MAX). */
#define DESCRIBE_MAX 64
typedef char Desc[DESCRIBE_MAX + 4];

static bool
fn_fail(BfCall *c, BfErrorKind kind, const char *fmt,...)
	__attribute__((format(printf, 3, 4)));

/* Messages start with the function's name; the evaluator adds the expression. */
static bool
fn_fail(BfCall *c, BfErrorKind kind, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	bf_error_setv(c->err, kind, fmt, ap);
	va_end(ap);
	return false;
}

/* Allocation failures are errors, never crashes. */
static bool
fn_nomem(BfCall *c)
{
	return fn_fail(c, BF_ERR_NOMEM, "out of memory");
}

/* Values in messages, cut short. */
static const char *
describe(struct json_object *v, Desc buf)
{
	return bf_value_describe(v, buf, DESCRIBE_MAX);
}

/* Hand back a new value, failing if its allocation did. */
static bool
give(BfCall *c, struct json_object *v, struct json_object **out)
{
	*out = v;
	return v != NULL || fn_nomem(c);
}

/* A new string result, failing if the allocation did. */
static bool
give_string(BfCall *c, const char *s, size_t len, struct json_object **out)
{
	return give(c, json_object_new_string_len(s, (int) len), out);
}

/* A new boolean result. */
static bool
give_bool(BfCall *c, bool b, struct json_object **out)
{
	return give(c, json_object_new_boolean(b), out);
}

/*
 * The text of a scalar argument: a string as it is, null as "", numbers and
 * booleans as printed.  Arrays and objects are not text.
 */
typedef struct ArgText
{
	const char *s;
	size_t		len;
	BfBuf		buf;
} ArgText;

/*
 * Sling casts string arguments with cast.ToStringE; so numbers and booleans
 * are text here too, while arrays and objects are refused rather than printed
 * Go-style.
 */
static bool
arg_text(BfCall *c, const char *fname, int i, ArgText *t)
{
	struct json_object *v = c->args[i];
	Desc		d;

	bf_buf_init(&t->buf);
	switch (json_object_get_type(v))
	{
		case json_type_null:
			t->s = "";
			t->len = 0;
			return true;
		case json_type_string:
			t->s = json_object_get_string(v);
			t->len = (size_t) json_object_get_string_len(v);
			return true;
		case json_type_array:
		case json_type_object:
			return fn_fail(c, BF_ERR_TYPE, "%s: expects a string, not %s", fname, describe(v, d));
		default:
			bf_value_append_json(&t->buf, v);
			if (t->buf.failed)
				return fn_nomem(c);
			t->s = t->buf.data;
			t->len = t->buf.len;
			return true;
	}
}

/* Frees what arg_text may have allocated. */
static void
text_done(ArgText *t)
{
	bf_buf_free(&t->buf);
}

/* A short argument (a unit, a format name) lower-cased into out. */
static bool
arg_word(BfCall *c, const char *fname, int i, char *out, size_t size)
{
	struct json_object *v = c->args[i];
	size_t		len;
	size_t		k;
	Desc		d;

	if (!bf_value_is_string(v))
		return fn_fail(c, BF_ERR_TYPE, "%s: expects a string, not %s", fname, describe(v, d));
	len = (size_t) json_object_get_string_len(v);
	if (len >= size)
		len = size - 1;
	for (k = 0; k < len; k++)
		out[k] = bf_ascii_lower(json_object_get_string(v)[k]);
	out[len] = '\0';
	return true;
}

/*
 * Format and pattern arguments must really be strings: a number there is a
 * spec mistake.
 */
static bool
arg_string(BfCall *c, const char *fname, int i, const char **s)
{
	Desc		d;

	if (!bf_value_is_string(c->args[i]))
		return fn_fail(c, BF_ERR_TYPE, "%s: expects a string, not %s", fname,
					   describe(c->args[i], d));
	*s = json_object_get_string(c->args[i]);
	return true;
}

/*
 * Integer arguments as cast.ToIntE reads them, null as 0, with the argument
 * named in the error.
 */
static bool
arg_int(BfCall *c, const char *fname, const char *what, int i, int64_t *out)
{
	Desc		d;

	*out = 0;
	if (c->args[i] == NULL)
		return true;			/* cast.ToIntE(nil) is 0 */
	if (!bf_value_to_int64(c->args[i], out))
		return fn_fail(c, BF_ERR_TYPE, "%s: %s must be an integer, not %s", fname, what,
					   describe(c->args[i], d));
	return true;
}

/* The epoch rule needs the digit count of a number argument. */
static int
count_digits(int64_t v)
{
	int			n = 1;
	uint64_t	u = v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;

	while (u >= 10)
	{
		u /= 10;
		n++;
	}
	return n;
}

/* A value as a time: dates in strings, epoch numbers by their digit count. */
static bool
value_to_time(struct json_object *v, BfTime *t)
{
	switch (json_object_get_type(v))
	{
		case json_type_string:
			return bf_time_parse(json_object_get_string(v),
								 (size_t) json_object_get_string_len(v), t);
		case json_type_int:
			return bf_time_from_epoch_digits(json_object_get_int64(v),
											 count_digits(json_object_get_int64(v)), t);
		case json_type_double:
			{
				double		d = json_object_get_double(v);

				if (d != floor(d) || fabs(d) >= 9e18)
					return false;
				return bf_time_from_epoch_digits((int64_t) d, count_digits((int64_t) d), t);
			}
		default:
			return false;
	}
}

/*
 * A date argument; callers have taken null and "" with no_date, and a
 * range's ends, where no date is an error, are checked before.
 */
static bool
arg_time(BfCall *c, const char *fname, int i, BfTime *t)
{
	Desc		d;

	if (c->args[i] == NULL)
		return fn_fail(c, BF_ERR_VALUE, "%s: the date is null", fname);
	if (!value_to_time(c->args[i], t))
		return fn_fail(c, BF_ERR_VALUE, "%s: cannot read %s as a date", fname,
					   describe(c->args[i], d));
	return true;
}

/*
 * Sling reads null and "" as the zero time, which it treats as no date (its
 * ParseTime: "return zero time, so it become nil"): a date function given
 * one gives null, so coalesce(date_parse(inputs.x), ...) falls through.
 */
static bool
no_date(BfCall *c, int i, struct json_object **out)
{
	struct json_object *v = c->args[i];

	if (v != NULL && !(bf_value_is_string(v) && json_object_get_string_len(v) == 0))
		return false;
	*out = NULL;
	return true;
}

/*
 * Dates leave the library as RFC 3339 strings, as Sling's state round-trip
 * makes them.
 */
static struct json_object *
time_json(const BfTime *t)
{
	char		buf[BF_TIME_RFC3339_MAX];
	size_t		n = bf_time_rfc3339(t, buf);

	return json_object_new_string_len(buf, (int) n);
}

/* A date result. */
static bool
give_time(BfCall *c, const BfTime *t, struct json_object **out)
{
	return give(c, time_json(t), out);
}

/* Bytes in the UTF-8 sequence at s (1 for a stray byte). */
static size_t
utf8_len(const char *s, size_t avail)
{
	unsigned char b = (unsigned char) s[0];
	size_t		n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
	size_t		k;

	if (n > avail)
		return 1;
	for (k = 1; k < n; k++)
		if (((unsigned char) s[k] & 0xC0) != 0x80)
			return 1;
	return n;
}

/* ---- defaults and conditions ------------------------------------------ */

/* coalesce(a, ...): the first non-null argument, else the last. */
static bool
fn_coalesce(BfCall *c, struct json_object **out)
{
	int			i;

	for (i = 0; i < c->nargs; i++)
	{
		if (!c->arg(c->cx, i, out))
			return false;
		if (*out != NULL)
			return true;
	}
	return true;
}

/* value() and first_valid() skip null and the empty string. */
static bool
is_blank(struct json_object *v)
{
	return v == NULL || (bf_value_is_string(v) && json_object_get_string_len(v) == 0);
}

/* value(a, ...): the first argument neither null nor "", else the last. */
static bool
fn_value(BfCall *c, struct json_object **out)
{
	int			i;

	for (i = 0; i < c->nargs; i++)
	{
		if (!c->arg(c->cx, i, out))
			return false;
		if (!is_blank(*out) || i == c->nargs - 1)
			return true;
		json_object_put(*out);
	}
	return true;
}

/* first_valid(a, ...): the first argument neither null nor "", else null. */
static bool
fn_first_valid(BfCall *c, struct json_object **out)
{
	int			i;

	for (i = 0; i < c->nargs; i++)
	{
		if (!c->arg(c->cx, i, out))
			return false;
		if (!is_blank(*out))
			return true;
		json_object_put(*out);
	}
	*out = NULL;
	return true;
}

/* if(cond, a[, b]): only the chosen branch is evaluated. */
static bool
fn_if(BfCall *c, struct json_object **out)
{
	struct json_object *cond;
	bool		flag;
	Desc		d;

	if (!c->arg(c->cx, 0, &cond))
		return false;
	if (!bf_value_to_bool(cond, false, &flag))
	{
		fn_fail(c, BF_ERR_TYPE, "if: the condition must be true or false, not %s",
				describe(cond, d));
		json_object_put(cond);
		return false;
	}
	json_object_put(cond);
	if (flag)
		return c->arg(c->cx, 1, out);
	if (c->nargs > 2)
		return c->arg(c->cx, 2, out);
	*out = NULL;
	return true;
}

/*
 * require(v[, message]): the closed build's optional message is taken too.
 */
static bool
fn_require(BfCall *c, struct json_object **out)
{
	if (c->args[0] == NULL)
	{
		ArgText		msg;

		if (c->nargs < 2)
			return fn_fail(c, BF_ERR_VALUE, "require: input required");
		if (!arg_text(c, "require", 1, &msg))
			return false;
		fn_fail(c, BF_ERR_VALUE, "require: %.*s", (int) msg.len, msg.s);
		text_done(&msg);
		return false;
	}
	*out = json_object_get(c->args[0]);
	return true;
}

/* ---- casts --------------------------------------------------------------- */

/*
 * cast(v, type).  quiet (try_cast) turns a value that does not convert into
 * null; an unknown type name is an error either way, being a spec mistake.
 */
static bool
do_cast(BfCall *c, const char *fname, struct json_object *v, const char *type, bool quiet,
		struct json_object **out)
{
	Desc		d;
	bool		ok;
	struct json_object *r = NULL;

	*out = NULL;
	if (strcmp(type, "string") == 0)
	{
		if (v == NULL || bf_value_is_string(v))
		{
			*out = json_object_get(v);
			return true;
		}
		else
		{
			BfBuf		buf;

			bf_buf_init(&buf);
			bf_value_append_json(&buf, v);
			ok = give(c, bf_buf_to_json(&buf), out);
			bf_buf_free(&buf);
			return ok;
		}
	}
	if (strcmp(type, "int") != 0 && strcmp(type, "integer") != 0 &&
		strcmp(type, "float") != 0 && strcmp(type, "decimal") != 0 &&
		strcmp(type, "bool") != 0 && strcmp(type, "boolean") != 0 &&
		strcmp(type, "date") != 0 && strcmp(type, "timestamp") != 0)
		return fn_fail(c, BF_ERR_VALUE,
					   "%s: unknown type \"%s\" (string, int, float, bool or date)", fname, type);
	if (v == NULL)
		return true;
	if (type[0] == 'i')
	{
		int64_t		i;

		if ((ok = bf_value_to_int64(v, &i)))
			r = json_object_new_int64(i);
	}
	else if (type[0] == 'f' || (type[0] == 'd' && type[1] == 'e'))
	{
		double		x;

		if ((ok = bf_value_to_double(v, &x)))
			r = bf_value_new_double(x);
	}
	else if (type[0] == 'b')
	{
		bool		b;

		if ((ok = bf_value_to_bool(v, true, &b)))
			r = json_object_new_boolean(b);
	}
	else if (bf_value_is_string(v) && json_object_get_string_len(v) == 0)
		return true;			/* "" is Sling's zero time: no date */
	else
	{
		BfTime		t;

		if ((ok = value_to_time(v, &t)))
			r = time_json(&t);
	}
	if (!ok)
	{
		if (quiet)
			return true;
		return fn_fail(c, BF_ERR_VALUE, "%s: cannot cast %s to %s", fname, describe(v, d), type);
	}
	return give(c, r, out);
}

/* cast(v, type), type names in any case. */
static bool
fn_cast(BfCall *c, struct json_object **out)
{
	char		type[32];

	return arg_word(c, "cast", 1, type, sizeof(type)) &&
		do_cast(c, "cast", c->args[0], type, false, out);
}

/* try_cast(v, type): null instead of an error. */
static bool
fn_try_cast(BfCall *c, struct json_object **out)
{
	char		type[32];

	return arg_word(c, "try_cast", 1, type, sizeof(type)) &&
		do_cast(c, "try_cast", c->args[0], type, true, out);
}

/* The seed specs' to_int(v). */
static bool
fn_to_int(BfCall *c, struct json_object **out)
{
	return do_cast(c, "to_int", c->args[0], "int", false, out);
}

/* to_float(v), beside to_int. */
static bool
fn_to_float(BfCall *c, struct json_object **out)
{
	return do_cast(c, "to_float", c->args[0], "float", false, out);
}

/* to_string(v), beside to_int. */
static bool
fn_to_string(BfCall *c, struct json_object **out)
{
	return do_cast(c, "to_string", c->args[0], "string", false, out);
}

/* to_bool(v), beside to_int. */
static bool
fn_to_bool(BfCall *c, struct json_object **out)
{
	return do_cast(c, "to_bool", c->args[0], "bool", false, out);
}

/*
 * The *_parse functions read null as cast.ToIntE and friends do: 0, 0.0,
 * false (cast(null, type) stays null, as Sling's cast does).
 */
static bool
parse_as(BfCall *c, const char *fname, const char *type, struct json_object **out)
{
	if (c->args[0] == NULL)
		return give(c, type[0] == 'i' ? json_object_new_int64(0) :
					type[0] == 'f' ? bf_value_new_double(0.0) : json_object_new_boolean(0), out);
	return do_cast(c, fname, c->args[0], type, false, out);
}

/* int_parse(v). */
static bool
fn_int_parse(BfCall *c, struct json_object **out)
{
	return parse_as(c, "int_parse", "int", out);
}

/* float_parse(v). */
static bool
fn_float_parse(BfCall *c, struct json_object **out)
{
	return parse_as(c, "float_parse", "float", out);
}

/* bool_parse(v). */
static bool
fn_bool_parse(BfCall *c, struct json_object **out)
{
	return parse_as(c, "bool_parse", "bool", out);
}

/*
 * json_parse(s): the whole string must be one JSON value; a non-string passes
 * through.
 */
static bool
fn_json_parse(BfCall *c, struct json_object **out)
{
	struct json_tokener *tok;
	struct json_object *v;
	const char *text;
	size_t		end;
	Desc		d;
	int			len;

	if (!bf_value_is_string(c->args[0]))
	{
		*out = json_object_get(c->args[0]);
		return true;
	}
	len = json_object_get_string_len(c->args[0]);
	tok = json_tokener_new();
	if (tok == NULL)
		return fn_nomem(c);
	/* the NUL counts as input, so that a bare number ("7") ends */
	text = json_object_get_string(c->args[0]);
	v = json_tokener_parse_ex(tok, text, len + 1);
	for (end = json_tokener_get_parse_end(tok); end < (size_t) len && bf_ascii_space(text[end]);)
		end++;
	if (json_tokener_get_error(tok) != json_tokener_success || end < (size_t) len)
	{
		fn_fail(c, BF_ERR_VALUE, "json_parse: %s is not JSON (%s)", describe(c->args[0], d),
				json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(v);
		json_tokener_free(tok);
		return false;
	}
	json_tokener_free(tok);
	*out = v;
	return true;
}

/* type_of(v), with the names bf_value_type_name gives. */
static bool
fn_type_of(BfCall *c, struct json_object **out)
{
	const char *name = bf_value_type_name(c->args[0]);

	return give_string(c, name, strlen(name), out);
}

/* ---- number formatting --------------------------------------------------- */

/*
 * A printf conversion "%[flags][width][.prec]c" with c in convs and nothing
 * after it; widths and precisions up to 100.  Returns false otherwise.
 */
static bool
printf_spec(const char *f, const char *convs, char *flags, int *width, int *prec)
{
	size_t		i = 1;
	size_t		nf = 0;

	*width = 0;
	*prec = -1;
	if (f[0] != '%')
		return false;
	while (f[i] != '\0' && strchr("-+0 #", f[i]) != NULL)
	{
		if (nf < 7)
			flags[nf++] = f[i];
		i++;
	}
	flags[nf] = '\0';
	while (isdigit((unsigned char) f[i]) && *width <= 100)
		*width = *width * 10 + (f[i++] - '0');
	if (f[i] == '.')
	{
		*prec = 0;
		for (i++; isdigit((unsigned char) f[i]) && *prec <= 100; i++)
			*prec = *prec * 10 + (f[i] - '0');
	}
	return f[i] != '\0' && strchr(convs, f[i]) != NULL && f[i + 1] == '\0' &&
		*width <= 100 && *prec <= 100;
}

/*
 * An integer in base 2, 8, 10 or 16 the way Go's fmt prints it: a sign and
 * the magnitude (never two's complement), padded to width with spaces, or
 * with zeros after the sign for the 0 flag.
 */
static void
append_int(BfBuf *buf, int64_t v, char conv, const char *flags, int width)
{
	uint64_t	mag = v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;
	int			base = conv == 'b' ? 2 : conv == 'o' ? 8 : (conv == 'x' || conv == 'X') ? 16 : 10;
	const char *digits = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	char		tmp[72];
	int			n = 0;
	int			len;
	char		sign = v < 0 ? '-' : strchr(flags, '+') ? '+' : strchr(flags, ' ') ? ' ' : '\0';
	bool		left = strchr(flags, '-') != NULL;
	bool		zeros = strchr(flags, '0') != NULL && !left;

	do
	{
		tmp[n++] = digits[mag % (uint64_t) base];
		mag /= (uint64_t) base;
	} while (mag != 0);
	len = n + (sign != '\0');
	if (!left && !zeros)
		for (; len < width; len++)
			bf_buf_append_char(buf, ' ');
	if (sign != '\0')
		bf_buf_append_char(buf, sign);
	if (zeros)
		for (; len < width; len++)
			bf_buf_append_char(buf, '0');
	while (n > 0)
		bf_buf_append_char(buf, tmp[--n]);
	if (left)
		for (; len < width; len++)
			bf_buf_append_char(buf, ' ');
}

/* int_format(v, fmt): hex/x, HEX/X, bin/b, oct/o, "0N" zero-padding, %d-style. */
static bool
fn_int_format(BfCall *c, struct json_object **out)
{
	static const struct
	{
		const char *name;
		char		conv;
	}			named[] = {
		{"hex", 'x'}, {"x", 'x'}, {"HEX", 'X'}, {"X", 'X'},
		{"bin", 'b'}, {"b", 'b'}, {"oct", 'o'}, {"o", 'o'}
	};
	int64_t		v;
	const char *fmt;
	BfBuf		buf;
	char		flags[8] = "";
	char		conv = 'd';
	int			width = 0;
	int			prec;
	size_t		k;
	bool		ok;

	if (!arg_int(c, "int_format", "the value", 0, &v) || !arg_string(c, "int_format", 1, &fmt))
		return false;
	for (k = 0; k < sizeof(named) / sizeof(named[0]); k++)
		if (strcmp(fmt, named[k].name) == 0)
			conv = named[k].conv;
	if (fmt[0] == '0' && fmt[1] != '\0' && strlen(fmt) <= 4 &&
		strspn(fmt + 1, "0123456789") == strlen(fmt + 1))
	{
		/* "05": zero-padded to five */
		strcpy(flags, "0");
		width = atoi(fmt + 1);
	}
	else if (printf_spec(fmt, "dxXob", flags, &width, &prec) && prec < 0)
		conv = fmt[strlen(fmt) - 1];
	else
	{
		/* anything else prints plainly */
		flags[0] = '\0';
		width = 0;
	}
	bf_buf_init(&buf);
	append_int(&buf, v, conv, flags, width > 100 ? 100 : width);
	ok = give(c, bf_buf_to_json(&buf), out);
	bf_buf_free(&buf);
	return ok;
}

/* float_format(v, fmt): ".N", "W.P", e/E, sci/SCI, %f-style, else shortest %g. */
static bool
fn_float_format(BfCall *c, struct json_object **out)
{
	double		v;
	const char *fmt;
	BfBuf		buf;
	Desc		d;
	char		flags[8];
	int			width;
	int			prec;
	int			w;
	int			p;
	char		tail;
	bool		ok;

	v = 0.0;					/* cast.ToFloat64E(nil) */
	if (c->args[0] != NULL && !bf_value_to_double(c->args[0], &v))
		return fn_fail(c, BF_ERR_TYPE, "float_format: the value must be a number, not %s",
					   describe(c->args[0], d));
	if (!arg_string(c, "float_format", 1, &fmt))
		return false;
	bf_buf_init(&buf);
	if (fmt[0] == '.' && sscanf(fmt + 1, "%3d%c", &p, &tail) == 1 && p >= 0 && p <= 100)
		bf_buf_printf(&buf, "%.*f", p, v);
	else if (isdigit((unsigned char) fmt[0]) &&
			 sscanf(fmt, "%3d.%3d%c", &w, &p, &tail) == 2 && w <= 100 && p <= 100)
		bf_buf_printf(&buf, "%*.*f", w, p, v);
	else if (strcmp(fmt, "e") == 0 || strcmp(fmt, "sci") == 0 || strcmp(fmt, "scientific") == 0)
		bf_buf_printf(&buf, "%e", v);
	else if (strcmp(fmt, "E") == 0 || strcmp(fmt, "SCI") == 0 || strcmp(fmt, "SCIENTIFIC") == 0)
		bf_buf_printf(&buf, "%E", v);
	else if (printf_spec(fmt, "feEgG", flags, &width, &prec))
		bf_buf_printf(&buf, fmt, v);
	else
	{
		int			k;
		char		tmp[64];

		for (k = 15; k <= 17; k++)
		{
			snprintf(tmp, sizeof(tmp), "%.*g", k, v);
			if (strtod(tmp, NULL) == v)
				break;
		}
		bf_buf_append_str(&buf, tmp);
	}
	ok = give(c, bf_buf_to_json(&buf), out);
	bf_buf_free(&buf);
	return ok;
}

/* ---- dates --------------------------------------------------------------- */

/*
 * date_parse(s[, format]): numbers are read by their text, so epoch integers
 * follow the digit-count rule.
 */
static bool
fn_date_parse(BfCall *c, struct json_object **out)
{
	ArgText		s;
	const char *fmt = "auto";
	BfTime		t;
	bool		ok;
	Desc		d;
	char	   *copy;

	if (c->nargs > 1 && !arg_string(c, "date_parse", 1, &fmt))
		return false;
	if (no_date(c, 0, out))
		return true;
	if (!arg_text(c, "date_parse", 0, &s))
		return false;
	if (strcmp(fmt, "auto") == 0)
		ok = bf_time_parse(s.s, s.len, &t);
	else if ((copy = strndup(s.s, s.len)) == NULL)
	{
		text_done(&s);
		return fn_nomem(c);
	}
	else
	{
		ok = bf_time_parse_format(copy, fmt, &t);
		free(copy);
	}
	text_done(&s);
	if (!ok)
		return fn_fail(c, BF_ERR_VALUE, "date_parse: cannot parse %s with format \"%s\"",
					   describe(c->args[0], d), fmt);
	return give_time(c, &t, out);
}

/* date_format(date, format). */
static bool
fn_date_format(BfCall *c, struct json_object **out)
{
	BfTime		t;
	const char *fmt;
	char	   *s;

	if (c->args[1] != NULL && !arg_string(c, "date_format", 1, &fmt))
		return false;
	if (no_date(c, 0, out))
		return true;
	if (c->args[1] == NULL)
		return give_string(c, "", 0, out);	/* Sling formats with "" */
	if (!arg_time(c, "date_format", 0, &t))
		return false;
	s = bf_time_format(&t, fmt);
	if (s == NULL)
		return fn_fail(c, BF_ERR_VALUE, "date_format: the result of \"%.40s\" is too long", fmt);
	*out = json_object_new_string(s);
	free(s);
	return *out != NULL || fn_nomem(c);
}

/*
 * now([zone]): UTC, unlike Sling's local time, so results do not depend on
 * the server.
 */
static bool
fn_now(BfCall *c, struct json_object **out)
{
	BfTime		t;

	bf_time_now(&t);
	if (c->nargs > 0)
	{
		const char *tz;
		int32_t		offset;

		if (c->args[0] == NULL)
			return give_time(c, &t, out);	/* Sling: LoadLocation("") is UTC */
		if (!arg_string(c, "now", 0, &tz))
			return false;
		if (!bf_parse_zone(tz, strlen(tz), &offset))
			return fn_fail(c, BF_ERR_VALUE,
						   "now: unsupported time zone \"%.40s\" (use \"UTC\" or an offset like \"+02:00\")",
						   tz);
		t.offset = offset;
	}
	return give_time(c, &t, out);
}

typedef enum DateUnit
{
	UNIT_NONE,
	UNIT_NANOSECOND,
	UNIT_MICROSECOND,
	UNIT_MILLISECOND,
	UNIT_SECOND,
	UNIT_MINUTE,
	UNIT_HOUR,
	UNIT_DAY,
	UNIT_WEEK,
	UNIT_MONTH,
	UNIT_QUARTER,
	UNIT_YEAR
} DateUnit;

/* A unit by its long name, singular or plural. */
static DateUnit
long_unit(const char *u)
{
	static const char *const names[] = {"", "nanosecond", "microsecond", "millisecond",
	"second", "minute", "hour", "day", "week", "month", "quarter", "year"};
	size_t		len = strlen(u);
	int			i;

	if (len > 1 && u[len - 1] == 's')
		len--;
	for (i = 1; i <= UNIT_YEAR; i++)
		if (strlen(names[i]) == len && strncmp(names[i], u, len) == 0)
			return (DateUnit) i;
	return UNIT_NONE;
}

/* date_add's and date_diff's units: long names, and s m h d w y. */
static DateUnit
add_unit(const char *u)
{
	if (strcmp(u, "s") == 0)
		return UNIT_SECOND;
	if (strcmp(u, "m") == 0)
		return UNIT_MINUTE;
	if (strcmp(u, "h") == 0)
		return UNIT_HOUR;
	if (strcmp(u, "d") == 0)
		return UNIT_DAY;
	if (strcmp(u, "w") == 0)
		return UNIT_WEEK;
	if (strcmp(u, "y") == 0)
		return UNIT_YEAR;
	return long_unit(u);
}

/*
 * Fixed-length units in seconds; days are 86400 s since zones are fixed
 * offsets.
 */
static int64_t
unit_seconds(DateUnit unit)
{
	switch (unit)
	{
		case UNIT_SECOND:
			return 1;
		case UNIT_MINUTE:
			return 60;
		case UNIT_HOUR:
			return 3600;
		case UNIT_DAY:
			return 86400;
		case UNIT_WEEK:
			return 7 * 86400;
		default:
			return 0;
	}
}

/* Add n units to t: fixed units as seconds, months and years in the calendar. */
static bool
add_units(BfTime *t, int64_t n, DateUnit unit)
{
	int64_t		secs;

	if (unit == UNIT_MONTH)
		return bf_time_add_months(t, n);
	if (unit == UNIT_YEAR)
		return !__builtin_mul_overflow(n, 12, &secs) && bf_time_add_months(t, secs);
	return !__builtin_mul_overflow(n, unit_seconds(unit), &secs) && bf_time_add(t, secs, 0);
}

/* date_add(date, amount, unit) or date_add(date, duration). */
static bool
fn_date_add(BfCall *c, struct json_object **out)
{
	BfTime		t;
	int64_t		n;
	Desc		d1;
	Desc		d2;

	if (no_date(c, 0, out))
		return true;
	if (!arg_time(c, "date_add", 0, &t))
		return false;
	if (c->nargs == 3)
	{
		char		unit[32];
		DateUnit	u;

		if (!arg_word(c, "date_add", 2, unit, sizeof(unit)))
			return false;
		u = add_unit(unit);
		if (u < UNIT_SECOND || u == UNIT_QUARTER)
			return fn_fail(c, BF_ERR_VALUE,
						   "date_add: unknown unit \"%s\" (second, minute, hour, day, week, month or year)",
						   unit);
		if (c->args[1] == NULL)
			n = 0;				/* cast.ToIntE(nil) */
		else if (!bf_value_to_int64(c->args[1], &n))
			return fn_fail(c, BF_ERR_TYPE, "date_add: cannot add %s %s to %s",
						   describe(c->args[1], d1), unit, describe(c->args[0], d2));
		if (!add_units(&t, n, u))
			return fn_fail(c, BF_ERR_VALUE, "date_add: adding %lld %s to %s leaves years 1 to 9999",
						   (long long) n, unit, describe(c->args[0], d2));
		return give_time(c, &t, out);
	}
	/* two arguments: a Go duration ("1h30m") or a number of seconds */
	if (bf_value_is_string(c->args[1]))
	{
		if (!bf_parse_duration(json_object_get_string(c->args[1]), &n))
			return fn_fail(c, BF_ERR_VALUE, "date_add: %s is not a duration like \"1h30m\"",
						   describe(c->args[1], d1));
		if (!bf_time_add(&t, 0, n))
			return fn_fail(c, BF_ERR_VALUE, "date_add: adding %s to %s leaves years 1 to 9999",
						   describe(c->args[1], d1), describe(c->args[0], d2));
		return give_time(c, &t, out);
	}
	if (!bf_value_is_number(c->args[1]) || !bf_value_to_int64(c->args[1], &n))
		return fn_fail(c, BF_ERR_TYPE, "date_add: cannot add %s to %s",
					   describe(c->args[1], d1), describe(c->args[0], d2));
	if (!bf_time_add(&t, n, 0))
		return fn_fail(c, BF_ERR_VALUE, "date_add: adding %lld seconds to %s leaves years 1 to 9999",
					   (long long) n, describe(c->args[0], d2));
	return give_time(c, &t, out);
}

/* Seconds from b to a, as a float. */
static double
seconds_between(const BfTime *a, const BfTime *b)
{
	return (double) (a->sec - b->sec) + (double) (a->nsec - b->nsec) / 1e9;
}

/*
 * date_diff(date1, date2[, unit]): Sling's units and its month/year
 * approximations.
 */
static bool
fn_date_diff(BfCall *c, struct json_object **out)
{
	BfTime		t1;
	BfTime		t2;
	char		unit[32] = "day";
	DateUnit	u;
	int64_t		dsec;
	int64_t		r;

	if (no_date(c, 0, out) || no_date(c, 1, out))
		return true;
	if (!arg_time(c, "date_diff", 0, &t1) || !arg_time(c, "date_diff", 1, &t2) ||
		(c->nargs > 2 && !arg_word(c, "date_diff", 2, unit, sizeof(unit))))
		return false;
	if (strcmp(unit, "ns") == 0)
		u = UNIT_NANOSECOND;
	else if (strcmp(unit, "us") == 0)
		u = UNIT_MICROSECOND;
	else if (strcmp(unit, "ms") == 0)
		u = UNIT_MILLISECOND;
	else
		u = add_unit(unit);
	dsec = t1.sec - t2.sec;
	switch (u)
	{
		case UNIT_NANOSECOND:
		case UNIT_MICROSECOND:
		case UNIT_MILLISECOND:
			{
				int64_t		per = u == UNIT_NANOSECOND ? 1000000000 :
					u == UNIT_MICROSECOND ? 1000000 : 1000;

				if (__builtin_mul_overflow(dsec, per, &r))
					return fn_fail(c, BF_ERR_VALUE, "date_diff: the difference is too large in %s",
								   unit);
				r += (t1.nsec - t2.nsec) / (1000000000 / per);
				return give(c, json_object_new_int64(r), out);
			}
		case UNIT_SECOND:
		case UNIT_MINUTE:
		case UNIT_HOUR:
		case UNIT_DAY:
		case UNIT_WEEK:
			return give(c, bf_value_new_double(seconds_between(&t1, &t2) /
												  (double) unit_seconds(u)), out);
		case UNIT_MONTH:
		case UNIT_YEAR:
			{
				BfCivil		a;
				BfCivil		b;
				BfTime		adjusted = t2;
				int64_t		months;

				bf_time_to_civil(&t1, &a);
				bf_time_to_civil(&t2, &b);
				if (u == UNIT_MONTH)
					months = (a.year - b.year) * 12 + a.month - b.month;
				else
				{
					months = a.year - b.year;
					if (a.month < b.month || (a.month == b.month && a.day < b.day))
						months--;
					months *= 12;
				}
				if (!bf_time_add_months(&adjusted, months))
					adjusted = t2;
				if (u == UNIT_MONTH)
					return give(c, bf_value_new_double((double) months +
														  seconds_between(&t1, &adjusted) / (30.0 * 86400)), out);
				return give(c, bf_value_new_double((double) (months / 12) +
													  seconds_between(&t1, &adjusted) / (365.25 * 86400)), out);
			}
		default:
			return fn_fail(c, BF_ERR_VALUE,
						   "date_diff: unknown unit \"%s\" (ns, us, ms, second, minute, hour, day, week, month or year)",
						   unit);
	}
}

/* Truncate t to the start of its unit in local time; false for other units. */
static bool
truncate_time(BfTime *t, DateUnit u)
{
	BfCivil		c;

	bf_time_to_civil(t, &c);
	switch (u)
	{
		case UNIT_MICROSECOND:
			c.nsec = c.nsec / 1000 * 1000;
			break;
		case UNIT_MILLISECOND:
			c.nsec = c.nsec / 1000000 * 1000000;
			break;
		case UNIT_YEAR:
			c.month = 1;
			/* FALLTHROUGH */
		case UNIT_QUARTER:
			c.month = (c.month - 1) / 3 * 3 + 1;
			/* FALLTHROUGH */
		case UNIT_MONTH:
			c.day = 1;
			/* FALLTHROUGH */
		case UNIT_DAY:
			c.hour = 0;
			/* FALLTHROUGH */
		case UNIT_HOUR:
			c.minute = 0;
			/* FALLTHROUGH */
		case UNIT_MINUTE:
			c.second = 0;
			/* FALLTHROUGH */
		case UNIT_SECOND:
			c.nsec = 0;
			break;
		case UNIT_WEEK:
			/* weeks start on Sunday, as in Sling */
			c.day -= bf_time_weekday(t);
			c.hour = c.minute = c.second = 0;
			c.nsec = 0;
			break;
		default:
			return false;
	}
	return bf_time_from_civil(&c, t->offset, t);
}

/* date_trunc(date, unit). */
static bool
fn_date_trunc(BfCall *c, struct json_object **out)
{
	BfTime		t;
	char		unit[32];
	DateUnit	u;

	if (no_date(c, 0, out))
		return true;
	if (!arg_time(c, "date_trunc", 0, &t) || !arg_word(c, "date_trunc", 1, unit, sizeof(unit)))
		return false;
	u = long_unit(unit);
	if (u == UNIT_NANOSECOND || !truncate_time(&t, u))
		return fn_fail(c, BF_ERR_VALUE,
					   "date_trunc: unknown unit \"%s\" (microsecond, millisecond, second, minute, hour, day, week, month, quarter or year)",
					   unit);
	return give_time(c, &t, out);
}

/* The period argument of date_first/date_last: month (default), quarter, year, week. */
static bool
arg_period(BfCall *c, const char *fname, DateUnit *u)
{
	char		period[32] = "month";

	if (c->nargs > 1 && !arg_word(c, fname, 1, period, sizeof(period)))
		return false;
	*u = long_unit(period);
	if (*u != UNIT_MONTH && *u != UNIT_QUARTER && *u != UNIT_YEAR && *u != UNIT_WEEK)
		return fn_fail(c, BF_ERR_VALUE,
					   "%s: unknown period \"%s\" (month, quarter, year or week)", fname, period);
	return true;
}

/* date_first(date[, period]). */
static bool
fn_date_first(BfCall *c, struct json_object **out)
{
	BfTime		t;
	DateUnit	u;

	if (no_date(c, 0, out))
		return true;
	if (!arg_time(c, "date_first", 0, &t) || !arg_period(c, "date_first", &u))
		return false;
	if (!truncate_time(&t, u))
		return fn_fail(c, BF_ERR_VALUE, "date_first: the result leaves years 1 to 9999");
	return give_time(c, &t, out);
}

/* date_last: midnight of the last day of the period (weeks end on Saturday). */
static bool
fn_date_last(BfCall *c, struct json_object **out)
{
	BfTime		t;
	DateUnit	u;
	BfCivil		civ;

	if (no_date(c, 0, out))
		return true;
	if (!arg_time(c, "date_last", 0, &t) || !arg_period(c, "date_last", &u))
		return false;
	bf_time_to_civil(&t, &civ);
	civ.hour = civ.minute = civ.second = 0;
	civ.nsec = 0;
	if (u == UNIT_WEEK)
		civ.day += 6 - bf_time_weekday(&t);
	else
	{
		/* day 0 of the month after the period is its last day */
		if (u == UNIT_MONTH)
			civ.month += 1;
		else if (u == UNIT_QUARTER)
			civ.month = (civ.month - 1) / 3 * 3 + 4;
		else
			civ.month = 13;
		civ.day = 0;
	}
	if (!bf_time_from_civil(&civ, t.offset, &t))
		return fn_fail(c, BF_ERR_VALUE, "date_last: the result leaves years 1 to 9999");
	return give_time(c, &t, out);
}

/* ISO 8601 week number of the local date. */
static int
iso_week(const BfTime *t)
{
	BfCivil		c;
	int			wday;
	int			yday;
	int			week;

	bf_time_to_civil(t, &c);
	wday = bf_time_weekday(t);
	if (wday == 0)
		wday = 7;
	yday = (int) (bf_days_from_civil(c.year, c.month, c.day) - bf_days_from_civil(c.year, 1, 1)) + 1;
	week = (yday - wday + 10) / 7;
	if (week < 1)
	{
		/* the last week of the previous year: 53 if that year had a 53rd */
		int64_t		py = c.year - 1;
		int			jan1 = (int) ((bf_days_from_civil(py, 1, 1) % 7 + 11) % 7);

		week = (jan1 == 4 || (jan1 == 3 && bf_is_leap_year(py))) ? 53 : 52;
	}
	else if (week == 53)
	{
		int			jan1 = (int) ((bf_days_from_civil(c.year, 1, 1) % 7 + 11) % 7);

		if (!(jan1 == 4 || (jan1 == 3 && bf_is_leap_year(c.year))))
			week = 1;
	}
	return week;
}

/* date_extract(date, part). */
static bool
fn_date_extract(BfCall *c, struct json_object **out)
{
	BfTime		t;
	BfCivil		civ;
	char		part[32];
	int64_t		v;

	if (no_date(c, 0, out))
		return true;
	if (!arg_time(c, "date_extract", 0, &t) || !arg_word(c, "date_extract", 1, part, sizeof(part)))
		return false;
	bf_time_to_civil(&t, &civ);
	if (strcmp(part, "dow") == 0 || strcmp(part, "dayofweek") == 0)
		v = bf_time_weekday(&t);
	else if (strcmp(part, "doy") == 0 || strcmp(part, "dayofyear") == 0)
		v = bf_days_from_civil(civ.year, civ.month, civ.day) - bf_days_from_civil(civ.year, 1, 1) + 1;
	else if (strcmp(part, "q") == 0)
		v = (civ.month - 1) / 3 + 1;
	else
	{
		switch (add_unit(part))
		{
			case UNIT_SECOND:
				v = civ.second;
				break;
			case UNIT_MINUTE:
				v = civ.minute;
				break;
			case UNIT_HOUR:
				v = civ.hour;
				break;
			case UNIT_DAY:
				v = civ.day;
				break;
			case UNIT_WEEK:
				v = iso_week(&t);
				break;
			case UNIT_MONTH:
				v = civ.month;
				break;
			case UNIT_QUARTER:
				v = (civ.month - 1) / 3 + 1;
				break;
			case UNIT_YEAR:
				v = civ.year;
				break;
			default:
				return fn_fail(c, BF_ERR_VALUE,
							   "date_extract: unknown part \"%s\" (second, minute, hour, day, week, month, quarter, year, dow or doy)",
							   part);
		}
	}
	return give(c, json_object_new_int64(v), out);
}

/* ---- ranges -------------------------------------------------------------- */

/* A range stopped half-built (canceled): free it, keep the error. */
static bool
drop_result(struct json_object **out)
{
	json_object_put(*out);
	*out = NULL;
	return false;
}

/* The cap keeps a mistyped range from exhausting a backend's memory. */
static bool
range_too_long(BfCall *c, const char *fname, uint64_t count)
{
	return fn_fail(c, BF_ERR_VALUE, "%s: the range would have %llu elements, more than %d",
				   fname, (unsigned long long) count, BF_RANGE_MAX);
}

/* An integer range end: a number or a numeric string (not a date, not a boolean). */
static bool
range_int(struct json_object *v, int64_t *out)
{
	return (bf_value_is_number(v) || bf_value_is_string(v)) && bf_value_to_int64(v, out);
}

/*
 * The count is computed before anything is built, in unsigned arithmetic that
 * cannot overflow.
 */
static bool
int_range(BfCall *c, const char *fname, int64_t a, int64_t b, struct json_object **out)
{
	int64_t		step = 1;
	uint64_t	count = 0;
	uint64_t	i;
	Desc		d;

	if (c->nargs > 3)
		return fn_fail(c, BF_ERR_VALUE, "%s: a unit only goes with dates", fname);
	if (c->nargs > 2 && !range_int(c->args[2], &step))
		return fn_fail(c, BF_ERR_TYPE, "%s: the step of an integer range must be an integer, not %s",
					   fname, describe(c->args[2], d));
	if (step == 0)
		return fn_fail(c, BF_ERR_VALUE, "%s: the step cannot be zero", fname);
	/* count - 1 first: the full int64 span would overflow the count itself */
	if (step > 0 && a <= b)
		count = ((uint64_t) b - (uint64_t) a) / (uint64_t) step;
	else if (step < 0 && a >= b)
		count = ((uint64_t) a - (uint64_t) b) / ((uint64_t) 0 - (uint64_t) step);
	if (count >= BF_RANGE_MAX)
		return range_too_long(c, fname, count == UINT64_MAX ? count : count + 1);
	if ((step > 0 && a <= b) || (step < 0 && a >= b))
		count++;
	*out = json_object_new_array_ext((int) count);
	if (*out == NULL)
		return fn_nomem(c);
	for (i = 0; i < count; i++)
	{
		if (!bf_budget_step(c->budget, 1, c->err))
			return drop_result(out);
		json_object_array_add(*out, json_object_new_int64((int64_t) ((uint64_t) a + i * (uint64_t) step)));
	}
	return true;
}

/*
 * The step of a date range: "1d", "6h", "1M", "2w", or a number with the
 * unit in the fourth argument (default day).  A bare "m" means minutes
 * when the range spans less than a day and months otherwise (so "1M"
 * steps by months), as in Sling.
 */
static bool
date_step(BfCall *c, const char *fname, const BfTime *a, const BfTime *b,
		  int64_t *step, DateUnit *unit)
{
	char		u[32] = "day";
	size_t		len;
	Desc		d;

	*step = 1;
	if (c->nargs > 2 && bf_value_is_string(c->args[2]) &&
		strspn(json_object_get_string(c->args[2]), "0123456789") <
		(size_t) json_object_get_string_len(c->args[2]))
	{
		const char *s = json_object_get_string(c->args[2]);
		size_t		nd = strspn(s, "0123456789");
		size_t		k;

		len = strlen(s + nd);
		if (nd == 0 || nd > 9 || len >= sizeof(u) || len != strspn(s + nd,
																 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
			return fn_fail(c, BF_ERR_VALUE, "%s: the step %s is not like \"1d\", \"6h\" or \"1M\"",
						   fname, describe(c->args[2], d));
		*step = atoll(s);
		for (k = 0; k < len; k++)
			u[k] = bf_ascii_lower(s[nd + k]);
		u[len] = '\0';
		if (len > 1 && u[len - 1] == 's')
			u[len - 1] = '\0';
		if (strcmp(u, "m") == 0)
			strcpy(u, seconds_between(b, a) < 86400 ? "minute" : "month");
	}
	else
	{
		if (c->nargs > 2 && !range_int(c->args[2], step))
			return fn_fail(c, BF_ERR_TYPE, "%s: the step %s is not like \"1d\" or a number",
						   fname, describe(c->args[2], d));
		if (c->nargs > 3)
		{
			if (!arg_word(c, fname, 3, u, sizeof(u)))
				return false;
			len = strlen(u);
			if (len > 1 && u[len - 1] == 's')
				u[len - 1] = '\0';
		}
	}
	if (strcmp(u, "d") == 0)
		*unit = UNIT_DAY;
	else if (strcmp(u, "h") == 0)
		*unit = UNIT_HOUR;
	else if (strcmp(u, "w") == 0)
		*unit = UNIT_WEEK;
	else if (strcmp(u, "y") == 0)
		*unit = UNIT_YEAR;
	else if (strcmp(u, "m") == 0 || strcmp(u, "min") == 0)
		*unit = UNIT_MINUTE;
	else if (strcmp(u, "mo") == 0 || strcmp(u, "mon") == 0)
		*unit = UNIT_MONTH;
	else
		*unit = long_unit(u);
	if (*unit != UNIT_MINUTE && *unit != UNIT_HOUR && *unit != UNIT_DAY &&
		*unit != UNIT_WEEK && *unit != UNIT_MONTH && *unit != UNIT_YEAR)
		return fn_fail(c, BF_ERR_VALUE,
					   "%s: unknown step unit \"%s\" (min, h, d, w, M/mo or y)", fname, u);
	if (*step <= 0)
		return fn_fail(c, BF_ERR_VALUE, "%s: the step of a date range must be positive", fname);
	if (*step > 100000000)
		return fn_fail(c, BF_ERR_VALUE, "%s: the step %lld is too large", fname, (long long) *step);
	return true;
}

/*
 * One month step as Sling takes it: the day is clamped to the new month,
 * and a date on the last day of a short month sticks to month ends
 * (Jan 31, Feb 29, Mar 31, Apr 30 ...).
 */
static bool
step_months(BfTime *t, int64_t step)
{
	BfCivil		c;
	int64_t		m0;
	int			last;
	int			was_last;

	bf_time_to_civil(t, &c);
	was_last = bf_days_in_month(c.year, c.month);
	m0 = c.month - 1 + step;
	c.year += m0 / 12;
	c.month = (int) (m0 % 12) + 1;
	if (c.year > 9999)
		return false;
	last = bf_days_in_month(c.year, c.month);
	if (c.day > last || (c.day == was_last && c.day < 31))
		c.day = last;
	return bf_time_from_civil(&c, t->offset, t);
}

/*
 * Day, hour, minute and week steps compare instants; month and year steps
 * compare (year, month) as Sling does.
 */
static bool
date_range(BfCall *c, const char *fname, const BfTime *a, const BfTime *b,
		   struct json_object **out)
{
	int64_t		step;
	DateUnit	unit = UNIT_DAY;
	uint64_t	count = 0;
	BfTime		cur = *a;
	BfCivil		ca;
	BfCivil		cb;

	if (!date_step(c, fname, a, b, &step, &unit))
		return false;
	bf_time_to_civil(a, &ca);
	bf_time_to_civil(b, &cb);
	/* count first, so that a huge range fails before it allocates */
	if (unit == UNIT_MONTH || unit == UNIT_YEAR)
	{
		int64_t		months = (cb.year - ca.year) * 12 + cb.month - ca.month;
		int64_t		per = unit == UNIT_MONTH ? step : step * 12;

		if (months >= 0)
			count = (uint64_t) (months / per) + 1;
	}
	else if (bf_time_cmp(a, b) <= 0)
	{
		double		span = seconds_between(b, a) / ((double) unit_seconds(unit) * (double) step);

		count = span >= (double) BF_RANGE_MAX ? (uint64_t) BF_RANGE_MAX + 1 : (uint64_t) span + 1;
	}
	if (count > BF_RANGE_MAX)
		return range_too_long(c, fname, count);
	*out = json_object_new_array_ext((int) count);
	if (*out == NULL)
		return fn_nomem(c);
	for (;;)
	{
		bool		more;

		if (unit == UNIT_MONTH || unit == UNIT_YEAR)
		{
			BfCivil		cc;

			/* month steps stop after the end's month, not at its day */
			bf_time_to_civil(&cur, &cc);
			if (cc.year > cb.year || (cc.year == cb.year && cc.month > cb.month))
				break;
		}
		else if (bf_time_cmp(&cur, b) > 0)
			break;
		if (!bf_budget_step(c->budget, 1, c->err))
			return drop_result(out);
		json_object_array_add(*out, time_json(&cur));
		if (unit == UNIT_MONTH)
			more = step_months(&cur, step);
		else
			more = add_units(&cur, step, unit);
		if (!more)
			break;
	}
	return true;
}

/*
 * Sling reads a null end as 0 or year 1 and runs for ~740,000 days; here it
 * is an error.
 */
static bool
check_range_ends(BfCall *c, const char *fname)
{
	if (c->args[0] == NULL)
		return fn_fail(c, BF_ERR_VALUE, "%s: range start is null", fname);
	if (c->args[1] == NULL)
		return fn_fail(c, BF_ERR_VALUE, "%s: range end is null", fname);
	return true;
}

/* range(a, b[, step[, unit]]): integers if both ends are, else dates. */
static bool
fn_range(BfCall *c, struct json_object **out)
{
	int64_t		ia;
	int64_t		ib;
	BfTime		ta;
	BfTime		tb;
	Desc		d1;
	Desc		d2;

	if (!check_range_ends(c, "range"))
		return false;
	if (range_int(c->args[0], &ia) && range_int(c->args[1], &ib))
		return int_range(c, "range", ia, ib, out);
	if (value_to_time(c->args[0], &ta) && value_to_time(c->args[1], &tb))
		return date_range(c, "range", &ta, &tb, out);
	return fn_fail(c, BF_ERR_TYPE,
				   "range: start and end must both be integers or both be dates, not %s and %s",
				   describe(c->args[0], d1), describe(c->args[1], d2));
}

/* int_range(start, end[, step]). */
static bool
fn_int_range(BfCall *c, struct json_object **out)
{
	int64_t		a;
	int64_t		b;

	if (!check_range_ends(c, "int_range") ||
		!arg_int(c, "int_range", "the start", 0, &a) || !arg_int(c, "int_range", "the end", 1, &b))
		return false;
	return int_range(c, "int_range", a, b, out);
}

/* date_range(start, end[, step[, unit]]). */
static bool
fn_date_range(BfCall *c, struct json_object **out)
{
	BfTime		a;
	BfTime		b;

	if (!check_range_ends(c, "date_range") ||
		!arg_time(c, "date_range", 0, &a) || !arg_time(c, "date_range", 1, &b))
		return false;
	return date_range(c, "date_range", &a, &b, out);
}

/* ---- strings ------------------------------------------------------------- */

/* Split s on sep, as Go's strings.Split: "" splits into UTF-8 characters. */
static struct json_object *
split_text(const char *s, size_t len, const char *sep, size_t seplen)
{
	struct json_object *arr = json_object_new_array();
	size_t		i = 0;

	if (arr == NULL)
		return NULL;
	if (seplen == 0)
	{
		while (i < len)
		{
			size_t		n = utf8_len(s + i, len - i);

			json_object_array_add(arr, json_object_new_string_len(s + i, (int) n));
			i += n;
		}
		return arr;
	}
	for (;;)
	{
		const char *hit = memmem(s + i, len - i, sep, seplen);
		size_t		end = hit != NULL ? (size_t) (hit - s) : len;

		json_object_array_add(arr, json_object_new_string_len(s + i, (int) (end - i)));
		if (hit == NULL)
			return arr;
		i = end + seplen;
	}
}

/* split(s, separator). */
static bool
fn_split(BfCall *c, struct json_object **out)
{
	ArgText		s;
	ArgText		sep;
	bool		ok = false;

	if (arg_text(c, "split", 0, &s))
	{
		if (arg_text(c, "split", 1, &sep))
		{
			ok = give(c, split_text(s.s, s.len, sep.s, sep.len), out);
			text_done(&sep);
		}
		text_done(&s);
	}
	return ok;
}

/* split_part(s, sep, i): part i from 0, negative from the end; null past the end. */
static bool
fn_split_part(BfCall *c, struct json_object **out)
{
	struct json_object *parts;
	int64_t		i;
	int64_t		n;

	if (!arg_int(c, "split_part", "the index", 2, &i) || !fn_split(c, &parts))
		return false;
	n = (int64_t) json_object_array_length(parts);
	if (i < 0)
		i += n;
	*out = (i >= 0 && i < n) ? json_object_get(json_object_array_get_idx(parts, (size_t) i)) : NULL;
	json_object_put(parts);
	return true;
}

/*
 * contains(s, sub), or contains(list, item) as Sling's own pipelines use it
 * (contains(keys(x), "id")): an element equal to item.
 */
static bool
fn_contains(BfCall *c, struct json_object **out)
{
	ArgText		s;
	ArgText		sub;
	bool		ok = false;

	if (json_object_is_type(c->args[0], json_type_array))
	{
		size_t		i;

		for (i = 0; i < json_object_array_length(c->args[0]); i++)
			if (bf_value_equal(json_object_array_get_idx(c->args[0], i), c->args[1]))
				return give_bool(c, true, out);
		return give_bool(c, false, out);
	}
	if (arg_text(c, "contains", 0, &s))
	{
		if (arg_text(c, "contains", 1, &sub))
		{
			ok = give_bool(c, memmem(s.s, s.len, sub.s, sub.len) != NULL, out);
			text_done(&sub);
		}
		text_done(&s);
	}
	return ok;
}

/* replace(s, old, new): every occurrence; an empty old inserts around each character. */
static bool
fn_replace(BfCall *c, struct json_object **out)
{
	ArgText		t[3];
	int			k;
	int			got = 0;
	bool		ok = false;
	BfBuf		buf;

	for (k = 0; k < 3 && arg_text(c, "replace", k, &t[k]); k++)
		got++;
	if (got == 3)
	{
		size_t		i = 0;

		bf_buf_init(&buf);
		if (t[1].len == 0)
		{
			bf_buf_append(&buf, t[2].s, t[2].len);
			while (i < t[0].len)
			{
				size_t		n = utf8_len(t[0].s + i, t[0].len - i);

				bf_buf_append(&buf, t[0].s + i, n);
				bf_buf_append(&buf, t[2].s, t[2].len);
				i += n;
			}
		}
		else
		{
			const char *hit;

			while ((hit = memmem(t[0].s + i, t[0].len - i, t[1].s, t[1].len)) != NULL)
			{
				bf_buf_append(&buf, t[0].s + i, (size_t) (hit - (t[0].s + i)));
				bf_buf_append(&buf, t[2].s, t[2].len);
				i = (size_t) (hit - t[0].s) + t[1].len;
			}
			bf_buf_append(&buf, t[0].s + i, t[0].len - i);
		}
		ok = give(c, bf_buf_to_json(&buf), out);
		bf_buf_free(&buf);
	}
	for (k = 0; k < got; k++)
		text_done(&t[k]);
	return ok;
}

/* Is the UTF-8 character at s (n bytes) one of cutset's? */
static bool
in_cutset(const char *s, size_t n, const char *cut, size_t cutlen)
{
	size_t		i = 0;

	while (i < cutlen)
	{
		size_t		m = utf8_len(cut + i, cutlen - i);

		if (m == n && memcmp(cut + i, s, n) == 0)
			return true;
		i += m;
	}
	return false;
}

/* trim(s[, cutset]): white space, or the characters of cutset, from both ends. */
static bool
fn_trim(BfCall *c, struct json_object **out)
{
	ArgText		s;
	ArgText		cut;
	size_t		start = 0;
	size_t		end;
	bool		ok;

	if (!arg_text(c, "trim", 0, &s))
		return false;
	end = s.len;
	if (c->nargs < 2)
	{
		while (start < end && bf_ascii_space(s.s[start]))
			start++;
		while (end > start && bf_ascii_space(s.s[end - 1]))
			end--;
	}
	else
	{
		if (!arg_text(c, "trim", 1, &cut))
		{
			text_done(&s);
			return false;
		}
		while (start < end)
		{
			size_t		n = utf8_len(s.s + start, end - start);

			if (!in_cutset(s.s + start, n, cut.s, cut.len))
				break;
			start += n;
		}
		while (end > start)
		{
			size_t		b = end - 1;

			/* back to the start of the last character */
			while (b > start && ((unsigned char) s.s[b] & 0xC0) == 0x80)
				b--;
			if (!in_cutset(s.s + b, end - b, cut.s, cut.len))
				break;
			end = b;
		}
		text_done(&cut);
	}
	ok = give_string(c, s.s + start, end - start, out);
	text_done(&s);
	return ok;
}

/* substring(s, start[, end]): bytes, negative positions from the end. */
static bool
fn_substring(BfCall *c, struct json_object **out)
{
	ArgText		s;
	int64_t		start;
	int64_t		end;
	int64_t		len;
	bool		ok;

	if (!arg_int(c, "substring", "the start", 1, &start) ||
		(c->nargs > 2 && !arg_int(c, "substring", "the end", 2, &end)) ||
		!arg_text(c, "substring", 0, &s))
		return false;
	len = (int64_t) s.len;
	if (start < 0)
		start = start + len < 0 ? 0 : start + len;
	if (c->nargs < 3 || end > len)
		end = len;
	else if (end < 0)
		end = end + len < 0 ? 0 : end + len;
	if (start >= len || end <= start)
		ok = give_string(c, "", 0, out);
	else
		ok = give_string(c, s.s + start, (size_t) (end - start), out);
	text_done(&s);
	return ok;
}

/*
 * ASCII only: locale-dependent case mapping would differ between servers.
 */
static bool
change_case(BfCall *c, const char *fname, bool up, struct json_object **out)
{
	ArgText		s;
	char	   *copy;
	size_t		i;
	bool		ok;

	if (!arg_text(c, fname, 0, &s))
		return false;
	copy = malloc(s.len + 1);
	if (copy == NULL)
	{
		text_done(&s);
		return fn_nomem(c);
	}
	for (i = 0; i < s.len; i++)
		copy[i] = up ? bf_ascii_upper(s.s[i]) : bf_ascii_lower(s.s[i]);
	ok = give_string(c, copy, s.len, out);
	free(copy);
	text_done(&s);
	return ok;
}

/* upper(s). */
static bool
fn_upper(BfCall *c, struct json_object **out)
{
	return change_case(c, "upper", true, out);
}

/* lower(s). */
static bool
fn_lower(BfCall *c, struct json_object **out)
{
	return change_case(c, "lower", false, out);
}

/* length(v): bytes of a string, as Go's len(). */
static bool
fn_length(BfCall *c, struct json_object **out)
{
	struct json_object *v = c->args[0];
	Desc		d;
	int64_t		n;

	switch (json_object_get_type(v))
	{
		case json_type_null:
			n = 0;
			break;
		case json_type_string:
			n = json_object_get_string_len(v);
			break;
		case json_type_array:
			n = (int64_t) json_object_array_length(v);
			break;
		case json_type_object:
			n = json_object_object_length(v);
			break;
		default:
			return fn_fail(c, BF_ERR_TYPE, "length: %s has no length", describe(v, d));
	}
	return give(c, json_object_new_int64(n), out);
}

/* ---- encodings and hashes ------------------------------------------------ */

/* encode_url: Go's url.QueryEscape (space as '+'). */
static bool
fn_encode_url(BfCall *c, struct json_object **out)
{
	ArgText		s;
	BfBuf		buf;
	size_t		i;
	bool		ok;

	if (!arg_text(c, "encode_url", 0, &s))
		return false;
	bf_buf_init(&buf);
	for (i = 0; i < s.len; i++)
	{
		unsigned char ch = (unsigned char) s.s[i];

		if (bf_ascii_alnum((char) ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~')
			bf_buf_append_char(&buf, (char) ch);
		else if (ch == ' ')
			bf_buf_append_char(&buf, '+');
		else
			bf_buf_printf(&buf, "%%%02X", ch);
	}
	ok = give(c, bf_buf_to_json(&buf), out);
	bf_buf_free(&buf);
	text_done(&s);
	return ok;
}

/* decode_url: Go's url.QueryUnescape ('+' as space). */
static bool
fn_decode_url(BfCall *c, struct json_object **out)
{
	ArgText		s;
	BfBuf		buf;
	size_t		i;
	bool		ok = true;

	if (!arg_text(c, "decode_url", 0, &s))
		return false;
	bf_buf_init(&buf);
	for (i = 0; i < s.len && ok; i++)
	{
		if (s.s[i] == '+')
			bf_buf_append_char(&buf, ' ');
		else if (s.s[i] != '%')
			bf_buf_append_char(&buf, s.s[i]);
		else if (i + 2 < s.len && bf_hex_digit(s.s[i + 1]) >= 0 && bf_hex_digit(s.s[i + 2]) >= 0)
		{
			bf_buf_append_char(&buf, (char) (bf_hex_digit(s.s[i + 1]) * 16 + bf_hex_digit(s.s[i + 2])));
			i += 2;
		}
		else
			ok = fn_fail(c, BF_ERR_VALUE, "decode_url: invalid escape at byte %zu", i + 1);
	}
	if (ok)
		ok = give(c, bf_buf_to_json(&buf), out);
	bf_buf_free(&buf);
	text_done(&s);
	return ok;
}

/* Standard alphabet with padding, as Go's base64.StdEncoding. */
static bool
fn_encode_base64(BfCall *c, struct json_object **out)
{
	ArgText		s;
	char	   *enc;
	bool		ok;

	if (!arg_text(c, "encode_base64", 0, &s))
		return false;
	enc = bf_crypto_base64_encode(s.s, s.len);
	text_done(&s);
	if (enc == NULL)
		return fn_nomem(c);
	ok = give_string(c, enc, strlen(enc), out);
	free(enc);
	return ok;
}

/* Standard base64 with padding; line breaks are skipped, as Go does. */
static bool
fn_decode_base64(BfCall *c, struct json_object **out)
{
	ArgText		s;
	char	   *dec;
	size_t		dec_len;
	int			rc;
	bool		ok;

	if (!arg_text(c, "decode_base64", 0, &s))
		return false;
	rc = bf_crypto_base64_decode(s.s, s.len, &dec, &dec_len);
	text_done(&s);
	if (rc < 0)
		return fn_nomem(c);
	if (rc == 0)
		return fn_fail(c, BF_ERR_VALUE, "decode_base64: the input is not valid base64");
	ok = give_string(c, dec, dec_len, out);
	free(dec);
	return ok;
}

/* hash(s[, algorithm]): sha256 unless told. */
static bool
fn_hash(BfCall *c, struct json_object **out)
{
	ArgText		s;
	char		algo[16] = "sha256";
	char		hex[BF_CRYPTO_HEX_MAX];
	bool		known;

	if (c->nargs > 1 && !arg_word(c, "hash", 1, algo, sizeof(algo)))
		return false;
	if (!arg_text(c, "hash", 0, &s))
		return false;
	known = bf_crypto_digest_hex(algo, s.s, s.len, hex);
	text_done(&s);
	if (!known)
		return fn_fail(c, BF_ERR_VALUE,
					   "hash: unknown algorithm \"%s\" (md5, sha1, sha256 or sha512)", algo);
	return give_string(c, hex, strlen(hex), out);
}

/* uuid(): version 4, from libcrypto's CSPRNG. */
static bool
fn_uuid(BfCall *c, struct json_object **out)
{
	unsigned char b[16];
	char		s[37];

	if (!bf_crypto_random(b, sizeof(b)))
		return fn_fail(c, BF_ERR_INTERNAL, "uuid: no random bytes available");
	b[6] = (unsigned char) ((b[6] & 0x0F) | 0x40);	/* version 4 */
	b[8] = (unsigned char) ((b[8] & 0x3F) | 0x80);	/* RFC 4122 variant */
	snprintf(s, sizeof(s),
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
			 b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return give_string(c, s, 36, out);
}

/*
 * log(v[, level]): info and warn go to stderr (the server log), one line
 * each, secrets masked and control characters escaped (\n, \r, \t, \xHH),
 * so a value cannot forge log lines; debug is dropped.
 */
static bool
fn_log(BfCall *c, struct json_object **out)
{
	char		level[16] = "info";
	char	   *text;

	if (c->nargs > 1 && !arg_word(c, "log", 1, level, sizeof(level)))
		return false;
	if (strcmp(level, "warning") == 0)
		strcpy(level, "warn");
	if (strcmp(level, "info") != 0 && strcmp(level, "warn") != 0 && strcmp(level, "debug") != 0)
		return fn_fail(c, BF_ERR_VALUE, "log: unknown level \"%s\" (info, warn or debug)", level);
	if (strcmp(level, "debug") != 0)
	{
		char		line[BF_ERROR_MAX];
		BfBuf		shown;
		const char *p;

		text = c->args[0] == NULL ? strdup("null") : bf_value_to_text(c->args[0]);
		if (text == NULL)
			return fn_nomem(c);
		/* stderr is the server's log in a backend: never a secret there */
		snprintf(line, sizeof(line), "%s", text);
		bf_hide_secrets(line, c->vars);
		free(text);
		/* nor a line the value forged: control characters are escaped */
		bf_buf_init(&shown);
		for (p = line; *p != '\0'; p++)
		{
			unsigned char ch = (unsigned char) *p;

			if (ch == '\n')
				bf_buf_append_str(&shown, "\\n");
			else if (ch == '\r')
				bf_buf_append_str(&shown, "\\r");
			else if (ch == '\t')
				bf_buf_append_str(&shown, "\\t");
			else if (ch < 0x20 || ch == 0x7f)
				bf_buf_printf(&shown, "\\x%02x", ch);
			else
				bf_buf_append_char(&shown, (char) ch);
		}
		text = bf_buf_steal(&shown);
		if (text == NULL)
			return fn_nomem(c);
		fprintf(stderr, "backfill_fdw: %s: %s\n", level, text);
		free(text);
	}
	*out = json_object_get(c->args[0]);
	return true;
}

/* ---- regular expressions (POSIX ERE) ------------------------------------- */

/* POSIX extended syntax: glibc has it, RE2 would be a new dependency. */
static regex_t *
compile_regex(const char *pattern, BfError *err)
{
	regex_t    *re = malloc(sizeof(regex_t));
	int			rc;
	char		why[128];

	if (re == NULL)
	{
		bf_error_set(err, BF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	rc = regcomp(re, pattern, REG_EXTENDED);
	if (rc != 0)
	{
		regerror(rc, re, why, sizeof(why));
		bf_error_set(err, BF_ERR_SYNTAX, "invalid regular expression \"%.60s\": %s", pattern, why);
		free(re);
		return NULL;
	}
	return re;
}

/* A literal pattern compiles with the spec, so a bad one fails at load. */
static void *
regex_prepare(struct json_object *literal, BfError *err)
{
	if (!bf_value_is_string(literal))
		return NULL;
	return compile_regex(json_object_get_string(literal), err);
}

/* Frees a prepared pattern. */
static void
regex_release(void *prepared)
{
	regfree(prepared);
	free(prepared);
}

/* The call's regex (argument 1): prepared, or compiled into *owned now. */
static regex_t *
call_regex(BfCall *c, const char *fname, regex_t **owned)
{
	const char *pattern;

	*owned = NULL;
	if (c->prepared != NULL)
		return c->prepared;
	if (!arg_string(c, fname, 1, &pattern))
		return NULL;
	*owned = compile_regex(pattern, c->err);
	if (*owned == NULL)
		bf_error_prefix(c->err, "%s", fname);
	return *owned;
}

/* Frees a pattern compiled for one call. */
static void
regex_done(regex_t *owned)
{
	if (owned != NULL)
		regex_release(owned);
}

/*
 * regex_match(s, pattern): REG_STARTEND so the whole string is searched, NULs
 * included.
 */
static bool
fn_regex_match(BfCall *c, struct json_object **out)
{
	regex_t    *owned;
	regex_t    *re;
	ArgText		s;
	bool		ok = false;

	if ((re = call_regex(c, "regex_match", &owned)) == NULL)
		return false;
	if (arg_text(c, "regex_match", 0, &s))
	{
		regmatch_t	m[1];

		m[0].rm_so = 0;
		m[0].rm_eo = (regoff_t) s.len;
		ok = give_bool(c, regexec(re, s.s, 1, m, REG_STARTEND) == 0, out);
		text_done(&s);
	}
	regex_done(owned);
	return ok;
}

#define MAX_GROUPS 32

/* regex_extract(s, re[, group]): the group, or all groups; null without a match. */
static bool
fn_regex_extract(BfCall *c, struct json_object **out)
{
	regex_t    *owned;
	regex_t    *re;
	ArgText		s;
	regmatch_t	m[MAX_GROUPS];
	size_t		ngroups;
	int64_t		group = -1;
	bool		ok = false;
	size_t		i;

	if ((re = call_regex(c, "regex_extract", &owned)) == NULL)
		return false;
	ngroups = re->re_nsub + 1 < MAX_GROUPS ? re->re_nsub + 1 : MAX_GROUPS;
	if (c->nargs > 2 && !arg_int(c, "regex_extract", "the group", 2, &group))
		goto done;
	if (group >= (int64_t) ngroups || (c->nargs > 2 && group < 0))
	{
		fn_fail(c, BF_ERR_VALUE, "regex_extract: group %lld is out of range (0 to %zu)",
				(long long) group, ngroups - 1);
		goto done;
	}
	if (!arg_text(c, "regex_extract", 0, &s))
		goto done;
	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t) s.len;
	if (regexec(re, s.s, ngroups, m, REG_STARTEND) != 0)
	{
		*out = NULL;
		ok = true;
	}
	else if (group >= 0)
		ok = m[group].rm_so < 0 ? give_string(c, "", 0, out) :
			give_string(c, s.s + m[group].rm_so, (size_t) (m[group].rm_eo - m[group].rm_so), out);
	else if (give(c, json_object_new_array(), out))
	{
		for (i = 0; i < ngroups; i++)
			json_object_array_add(*out, m[i].rm_so < 0 ? json_object_new_string("") :
								  json_object_new_string_len(s.s + m[i].rm_so,
															 (int) (m[i].rm_eo - m[i].rm_so)));
		ok = true;
	}
	text_done(&s);
done:
	regex_done(owned);
	return ok;
}

/* Append repl with $N / ${N} replaced by groups and $$ by $. */
static void
expand_replacement(BfBuf *buf, const char *repl, size_t rlen, const char *s,
				   const regmatch_t *m, size_t ngroups)
{
	size_t		i = 0;

	while (i < rlen)
	{
		size_t		g = 0;
		size_t		j;
		bool		braced;

		if (repl[i] != '$' || i + 1 >= rlen)
		{
			bf_buf_append_char(buf, repl[i++]);
			continue;
		}
		if (repl[i + 1] == '$')
		{
			bf_buf_append_char(buf, '$');
			i += 2;
			continue;
		}
		braced = repl[i + 1] == '{';
		j = i + 1 + (braced ? 1 : 0);
		if (j >= rlen || !isdigit((unsigned char) repl[j]))
		{
			bf_buf_append_char(buf, repl[i++]);
			continue;
		}
		for (; j < rlen && isdigit((unsigned char) repl[j]) && g < 1000; j++)
			g = g * 10 + (size_t) (repl[j] - '0');
		if (braced)
		{
			if (j >= rlen || repl[j] != '}')
			{
				bf_buf_append_char(buf, repl[i++]);
				continue;
			}
			j++;
		}
		if (g < ngroups && m[g].rm_so >= 0)
			bf_buf_append(buf, s + m[g].rm_so, (size_t) (m[g].rm_eo - m[g].rm_so));
		i = j;
	}
}

/*
 * regex_replace(s, pattern, replacement): every match, as Go's
 * ReplaceAllString.
 */
static bool
fn_regex_replace(BfCall *c, struct json_object **out)
{
	regex_t    *owned;
	regex_t    *re;
	ArgText		s;
	ArgText		repl;
	regmatch_t	m[MAX_GROUPS];
	size_t		ngroups;
	size_t		pos = 0;
	size_t		after = (size_t) -1;	/* end of the last non-empty match */
	BfBuf		buf;
	bool		ok = false;

	if ((re = call_regex(c, "regex_replace", &owned)) == NULL)
		return false;
	ngroups = re->re_nsub + 1 < MAX_GROUPS ? re->re_nsub + 1 : MAX_GROUPS;
	if (!arg_text(c, "regex_replace", 0, &s))
		goto done;
	if (!arg_text(c, "regex_replace", 2, &repl))
	{
		text_done(&s);
		goto done;
	}
	bf_buf_init(&buf);
	while (pos <= s.len)
	{
		m[0].rm_so = (regoff_t) pos;
		m[0].rm_eo = (regoff_t) s.len;
		if (regexec(re, s.s, ngroups, m, REG_STARTEND | (pos > 0 ? REG_NOTBOL : 0)) != 0)
			break;
		bf_buf_append(&buf, s.s + pos, (size_t) m[0].rm_so - pos);
		/* as in Go, an empty match right after a match replaces nothing */
		if (m[0].rm_eo != m[0].rm_so || (size_t) m[0].rm_so != after)
			expand_replacement(&buf, repl.s, repl.len, s.s, m, ngroups);
		if (m[0].rm_eo == m[0].rm_so)
		{
			/* an empty match: keep the next character and move past it */
			size_t		n = (size_t) m[0].rm_eo < s.len ?
				utf8_len(s.s + m[0].rm_eo, s.len - (size_t) m[0].rm_eo) : 1;

			bf_buf_append(&buf, s.s + m[0].rm_eo,
						  (size_t) m[0].rm_eo < s.len ? n : 0);
			pos = (size_t) m[0].rm_eo + n;
		}
		else
			pos = after = (size_t) m[0].rm_eo;
	}
	if (pos < s.len)
		bf_buf_append(&buf, s.s + pos, s.len - pos);
	ok = give(c, bf_buf_to_json(&buf), out);
	bf_buf_free(&buf);
	text_done(&repl);
	text_done(&s);
done:
	regex_done(owned);
	return ok;
}

/* ---- comparisons ----------------------------------------------------------- */

/* A number, or a string that reads as one (cast.ToFloat64E accepts both). */
static bool
numeric(struct json_object *v, double *d)
{
	return (bf_value_is_number(v) || bf_value_is_string(v)) && bf_value_to_double(v, d);
}

/*
 * Order two values as Sling's is_greater does: numbers (and numeric
 * strings) by value, strings that both read as dates by time, other
 * strings bytewise.  False when the pair has no order.
 */
static bool
order(struct json_object *a, struct json_object *b, int *cmp)
{
	double		x;
	double		y;
	BfTime		ta;
	BfTime		tb;

	if (numeric(a, &x) && numeric(b, &y))
	{
		*cmp = (x > y) - (x < y);
		return true;
	}
	if (bf_value_is_string(a) && bf_value_is_string(b) &&
		value_to_time(a, &ta) && value_to_time(b, &tb))
	{
		*cmp = bf_time_cmp(&ta, &tb);
		return true;
	}
	return bf_value_compare(a, b, cmp);
}

/* order(), with the type error for a pair that has none. */
static bool
order_or_fail(BfCall *c, const char *fname, struct json_object *a, struct json_object *b,
			  int *cmp)
{
	Desc		d1;
	Desc		d2;

	if (!order(a, b, cmp))
		return fn_fail(c, BF_ERR_TYPE, "%s: cannot compare %s and %s", fname,
					   describe(a, d1), describe(b, d2));
	return true;
}

/* greatest/least over the arguments, or over one array argument; nulls are skipped. */
static bool
extreme(BfCall *c, const char *fname, int sign, struct json_object **out)
{
	struct json_object **items = c->args;
	size_t		n = (size_t) c->nargs;
	struct json_object *best = NULL;
	size_t		i;

	if (c->nargs == 1 && json_object_is_type(c->args[0], json_type_array))
	{
		n = json_object_array_length(c->args[0]);
		if (n == 0)
			return fn_fail(c, BF_ERR_VALUE, "%s: the array is empty", fname);
		items = NULL;
	}
	for (i = 0; i < n; i++)
	{
		struct json_object *v = items != NULL ? items[i] :
			json_object_array_get_idx(c->args[0], i);
		int			cmp = 0;

		if (v == NULL)
			continue;
		if (best != NULL && !order_or_fail(c, fname, v, best, &cmp))
			return false;
		if (best == NULL || cmp * sign > 0)
			best = v;
	}
	*out = json_object_get(best);
	return true;
}

/* greatest(array) or greatest(v, ...). */
static bool
fn_greatest(BfCall *c, struct json_object **out)
{
	return extreme(c, "greatest", 1, out);
}

/* least(array) or least(v, ...). */
static bool
fn_least(BfCall *c, struct json_object **out)
{
	return extreme(c, "least", -1, out);
}

/* is_greater/is_less: two nulls are simply not ordered. */
static bool
compare_pair(BfCall *c, const char *fname, int sign, struct json_object **out)
{
	int			cmp;

	struct json_object *a = c->args[0];
	struct json_object *b = c->args[1];
	double		x;

	if (a == NULL && b == NULL)
		return give_bool(c, false, out);
	/* beside a number, null is 0, as cast.ToFloat64E(nil) makes it */
	if ((a == NULL && numeric(b, &x)) || (b == NULL && numeric(a, &x)))
	{
		cmp = a == NULL ? (0.0 > x) - (0.0 < x) : (x > 0.0) - (x < 0.0);
		return give_bool(c, cmp * sign > 0, out);
	}
	if (!order_or_fail(c, fname, a, b, &cmp))
		return false;
	return give_bool(c, cmp * sign > 0, out);
}

/* is_greater(a, b). */
static bool
fn_is_greater(BfCall *c, struct json_object **out)
{
	return compare_pair(c, "is_greater", 1, out);
}

/* is_less(a, b). */
static bool
fn_is_less(BfCall *c, struct json_object **out)
{
	return compare_pair(c, "is_less", -1, out);
}

/* Deep equality with a float tolerance (1e-9, relative; Sling's is absolute). */
static bool
loosely_equal(struct json_object *a, struct json_object *b)
{
	if (bf_value_is_number(a) && bf_value_is_number(b) &&
		(json_object_is_type(a, json_type_double) || json_object_is_type(b, json_type_double)))
	{
		double		x = json_object_get_double(a);
		double		y = json_object_get_double(b);
		double		scale = fmax(1.0, fmax(fabs(x), fabs(y)));

		return fabs(x - y) <= 1e-9 * scale;
	}
	if (json_object_is_type(a, json_type_array) && json_object_is_type(b, json_type_array))
	{
		size_t		n = json_object_array_length(a);
		size_t		i;

		if (n != json_object_array_length(b))
			return false;
		for (i = 0; i < n; i++)
			if (!loosely_equal(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
				return false;
		return true;
	}
	if (json_object_is_type(a, json_type_object) && json_object_is_type(b, json_type_object))
	{
		struct json_object_iter it;

		if (json_object_object_length(a) != json_object_object_length(b))
			return false;
		json_object_object_foreachC(a, it)
		{
			struct json_object *other;

			if (!json_object_object_get_ex(b, it.key, &other) || !loosely_equal(it.val, other))
				return false;
		}
		return true;
	}
	return bf_value_equal(a, b);
}

/* equals(a, b). */
static bool
fn_equals(BfCall *c, struct json_object **out)
{
	return give_bool(c, loosely_equal(c->args[0], c->args[1]), out);
}

/* is_null(v). */
static bool
fn_is_null(BfCall *c, struct json_object **out)
{
	return give_bool(c, c->args[0] == NULL, out);
}

/* is_empty: null, "", 0, false, [] and {}. */
static bool
fn_is_empty(BfCall *c, struct json_object **out)
{
	struct json_object *v = c->args[0];
	bool		empty;

	switch (json_object_get_type(v))
	{
		case json_type_null:
			empty = true;
			break;
		case json_type_boolean:
			empty = !json_object_get_boolean(v);
			break;
		case json_type_int:
			empty = json_object_get_int64(v) == 0;
			break;
		case json_type_double:
			empty = json_object_get_double(v) == 0.0;
			break;
		case json_type_string:
			empty = json_object_get_string_len(v) == 0;
			break;
		case json_type_array:
			empty = json_object_array_length(v) == 0;
			break;
		default:
			empty = json_object_object_length(v) == 0;
			break;
	}
	return give_bool(c, empty, out);
}

/* ---- arrays -------------------------------------------------------------- */

/*
 * element(array, index): unlike a[i], out of range is an error, as in Sling.
 */
static bool
fn_element(BfCall *c, struct json_object **out)
{
	int64_t		i;
	int64_t		n;
	Desc		d;

	if (!json_object_is_type(c->args[0], json_type_array))
		return fn_fail(c, BF_ERR_TYPE, "element: expects an array, not %s", describe(c->args[0], d));
	if (!arg_int(c, "element", "the index", 1, &i))
		return false;
	n = (int64_t) json_object_array_length(c->args[0]);
	if (i < -n || i >= n)
		return fn_fail(c, BF_ERR_VALUE, "element: index %lld is out of range for %lld elements",
					   (long long) i, (long long) n);
	*out = json_object_get(json_object_array_get_idx(c->args[0], (size_t) (i < 0 ? i + n : i)));
	return true;
}

/* join(array, separator): elements as template text. */
static bool
fn_join(BfCall *c, struct json_object **out)
{
	ArgText		sep;
	BfBuf		buf;
	size_t		i;
	size_t		n;
	Desc		d;
	bool		ok;

	if (!json_object_is_type(c->args[0], json_type_array))
		return fn_fail(c, BF_ERR_TYPE, "join: expects an array, not %s", describe(c->args[0], d));
	if (!arg_text(c, "join", 1, &sep))
		return false;
	n = json_object_array_length(c->args[0]);
	bf_buf_init(&buf);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			bf_buf_append(&buf, sep.s, sep.len);
		bf_value_append_text(&buf, json_object_array_get_idx(c->args[0], i));
	}
	ok = give(c, bf_buf_to_json(&buf), out);
	bf_buf_free(&buf);
	text_done(&sep);
	return ok;
}

/*
 * sort's order, a total one so the sort is well defined: numbers (and
 * numeric strings) by value first, then everything else by its text; nulls
 * always last.
 */
static int
sort_cmp(struct json_object *a, struct json_object *b, bool desc)
{
	double		x;
	double		y;
	bool		na;
	bool		nb;
	int			r;

	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	na = numeric(a, &x);
	nb = numeric(b, &y);
	if (na != nb)
		r = na ? -1 : 1;
	else if (na)
		r = (x > y) - (x < y);
	else
	{
		char	   *ta = bf_value_to_text(a);
		char	   *tb = bf_value_to_text(b);

		r = (ta != NULL && tb != NULL) ? strcmp(ta, tb) : 0;
		r = (r > 0) - (r < 0);
		free(ta);
		free(tb);
	}
	return desc ? -r : r;
}

/*
 * A stable merge sort of items[0..n) using tmp.  Each merge counts its
 * elements as steps, so a long sort can be interrupted (false, err set).
 */
static bool
merge_sort(BfCall *c, struct json_object **items, struct json_object **tmp, size_t n, bool desc)
{
	size_t		mid = n / 2;
	size_t		i = 0;
	size_t		j = mid;
	size_t		k = 0;

	if (n < 2)
		return true;
	if (!merge_sort(c, items, tmp, mid, desc) ||
		!merge_sort(c, items + mid, tmp, n - mid, desc) ||
		!bf_budget_step(c->budget, n, c->err))
		return false;
	while (i < mid && j < n)
		tmp[k++] = sort_cmp(items[j], items[i], desc) < 0 ? items[j++] : items[i++];
	while (i < mid)
		tmp[k++] = items[i++];
	while (j < n)
		tmp[k++] = items[j++];
	memcpy(items, tmp, n * sizeof(*items));
	return true;
}

/* sort(array[, order]): stable, on a copy of the element pointers. */
static bool
fn_sort(BfCall *c, struct json_object **out)
{
	struct json_object **items;
	bool		desc = false;
	size_t		n;
	size_t		i;

	if (!json_object_is_type(c->args[0], json_type_array))
	{
		/* a single value sorts to a list of itself, as in Sling */
		if (!give(c, json_object_new_array(), out))
			return false;
		json_object_array_add(*out, json_object_get(c->args[0]));
		return true;
	}
	if (c->nargs > 1)
	{
		struct json_object *o = c->args[1];

		if (json_object_is_type(o, json_type_boolean))
			desc = json_object_get_boolean(o);
		else if (bf_value_is_string(o))
			desc = strcasecmp(json_object_get_string(o), "desc") == 0 ||
				strcasecmp(json_object_get_string(o), "descending") == 0;
	}
	n = json_object_array_length(c->args[0]);
	items = malloc(sizeof(*items) * (2 * n + 1));
	if (items == NULL)
		return fn_nomem(c);
	for (i = 0; i < n; i++)
		items[i] = json_object_array_get_idx(c->args[0], i);
	if (!merge_sort(c, items, items + n, n, desc))
	{
		free(items);
		return false;
	}
	*out = json_object_new_array_ext((int) n);
	for (i = 0; i < n && *out != NULL; i++)
		json_object_array_add(*out, json_object_get(items[i]));
	free(items);
	return *out != NULL || fn_nomem(c);
}

/* array(v, ...). */
static bool
fn_array(BfCall *c, struct json_object **out)
{
	int			i;

	if (!give(c, json_object_new_array_ext(c->nargs), out))
		return false;
	for (i = 0; i < c->nargs; i++)
		json_object_array_add(*out, json_object_get(c->args[i]));
	return true;
}

/* exists(collection, item): an element of an array, a key of an object. */
static bool
fn_exists(BfCall *c, struct json_object **out)
{
	struct json_object *coll = c->args[0];
	bool		found = false;
	Desc		d;

	if (json_object_is_type(coll, json_type_array))
	{
		size_t		i;
		size_t		n = json_object_array_length(coll);

		for (i = 0; i < n && !found; i++)
			found = bf_value_equal(json_object_array_get_idx(coll, i), c->args[1]);
	}
	else if (json_object_is_type(coll, json_type_object))
	{
		ArgText		key;

		if (!arg_text(c, "exists", 1, &key))
			return false;
		if (memchr(key.s, '\0', key.len) == NULL)
		{
			char	   *k = strndup(key.s, key.len);

			found = k != NULL && json_object_object_get_ex(coll, k, NULL);
			free(k);
		}
		text_done(&key);
	}
	else if (coll != NULL)
		return fn_fail(c, BF_ERR_TYPE, "exists: expects an array or an object, not %s",
					   describe(coll, d));
	return give_bool(c, found, out);
}

/*
 * null_if(v, sentinel): the == equality, so null_if(false, false) is null.
 */
static bool
fn_null_if(BfCall *c, struct json_object **out)
{
	*out = bf_value_equal(c->args[0], c->args[1]) ? NULL : json_object_get(c->args[0]);
	return true;
}

/*
 * chunk(array, size): the array in consecutive lists of size elements, the
 * last one shorter, as Sling's chunk does for an array (its queue form is
 * the runner's); an empty array gives no chunks.
 */
static bool
fn_chunk(BfCall *c, struct json_object **out)
{
	struct json_object *arr = c->args[0];
	int64_t		size;
	size_t		n;
	size_t		i;
	Desc		d;

	if (!json_object_is_type(arr, json_type_array))
		return fn_fail(c, BF_ERR_TYPE, "chunk: expects an array or a queue, not %s",
					   describe(arr, d));
	if (!arg_int(c, "chunk", "the chunk size", 1, &size))
		return false;
	if (size <= 0)
		return fn_fail(c, BF_ERR_VALUE, "chunk: the chunk size must be greater than 0, not %lld",
					   (long long) size);
	n = json_object_array_length(arr);
	if (!bf_budget_charge_elements(c->budget, n + n / (size_t) size + 1, c->err) ||
		!give(c, json_object_new_array_ext((int) (n / (size_t) size + 1)), out))
		return false;
	for (i = 0; i < n; i += (size_t) size)
	{
		size_t		end = n - i < (size_t) size ? n : i + (size_t) size;
		struct json_object *part = json_object_new_array_ext((int) (end - i));
		size_t		k;

		if (part == NULL)
		{
			drop_result(out);
			return fn_nomem(c);
		}
		for (k = i; k < end; k++)
			json_object_array_add(part, json_object_get(json_object_array_get_idx(arr, k)));
		json_object_array_add(*out, part);
	}
	return true;
}

/*
 * filter() and map() take their expression as a string over `value`; a
 * literal one compiles with the spec.
 */
static void *
value_expr_prepare(struct json_object *literal, BfError *err)
{
	if (!bf_value_is_string(literal))
		return NULL;
	return bf_expr_compile(json_object_get_string(literal), err);
}

/* Frees a prepared filter or map expression. */
static void
value_expr_release(void *prepared)
{
	bf_expr_free(prepared);
}

/*
 * filter(array, "expression") and map(array, "expression"): the expression
 * evaluated for each element as `value`, with every namespace of the call
 * still in sight; filter keeps the elements it is true for, map gives what
 * it evaluates to.  A null array gives [], as in Sling.
 */
static bool
filter_or_map(BfCall *c, const char *fname, bool keep, struct json_object **out)
{
	struct json_object *arr = c->args[0];
	BfExpr	   *expr = c->prepared;
	BfExpr	   *owned = NULL;
	struct json_object *vars;
	struct json_object_iter it;
	const char *text;
	size_t		i;
	size_t		n;
	Desc		d;
	bool		ok = true;

	if (!arg_string(c, fname, 1, &text))
		return false;
	if (arr == NULL)
		return give(c, json_object_new_array(), out);
	if (!json_object_is_type(arr, json_type_array))
		return fn_fail(c, BF_ERR_TYPE, "%s: expects an array, not %s", fname, describe(arr, d));
	if (expr == NULL && (expr = owned = bf_expr_compile(text, c->err)) == NULL)
	{
		bf_error_prefix(c->err, "%s: ", fname);
		return false;
	}
	n = json_object_array_length(arr);
	vars = json_object_new_object();
	if (vars == NULL || !bf_budget_charge_elements(c->budget, n, c->err) ||
		!give(c, json_object_new_array_ext((int) n), out))
	{
		json_object_put(vars);
		bf_expr_free(owned);
		return vars == NULL ? fn_nomem(c) : false;
	}
	if (c->vars != NULL)
	{
		json_object_object_foreachC(c->vars, it)
			json_object_object_add(vars, it.key, json_object_get(it.val));
	}
	for (i = 0; ok && i < n; i++)
	{
		struct json_object *item = json_object_array_get_idx(arr, i);
		struct json_object *res;
		bool		yes;

		json_object_object_add(vars, "value", json_object_get(item));
		res = bf_expr_eval(expr, vars, c->err);
		if (c->err->kind != BF_OK || !bf_budget_step(c->budget, 1, c->err))
		{
			json_object_put(res);
			bf_error_prefix(c->err, "%s: element %zu: ", fname, i);
			ok = false;
		}
		else if (!keep)
			json_object_array_add(*out, res);
		else if (!bf_value_to_bool(res, false, &yes))
		{
			ok = fn_fail(c, BF_ERR_TYPE, "%s: the condition must be true or false, not %s",
						 fname, describe(res, d));
			json_object_put(res);
		}
		else
		{
			json_object_put(res);
			if (yes)
				json_object_array_add(*out, json_object_get(item));
		}
	}
	json_object_put(vars);
	bf_expr_free(owned);
	if (!ok)
		drop_result(out);
	return ok;
}

/* filter(array, "condition over value"). */
static bool
fn_filter(BfCall *c, struct json_object **out)
{
	return filter_or_map(c, "filter", true, out);
}

/* map(array, "expression over value"). */
static bool
fn_map(BfCall *c, struct json_object **out)
{
	return filter_or_map(c, "map", false, out);
}

/* ---- objects ------------------------------------------------------------- */

/* Object arguments, with the function named in the error. */
static bool
arg_object(BfCall *c, const char *fname, int i)
{
	Desc		d;

	if (!json_object_is_type(c->args[i], json_type_object))
		return fn_fail(c, BF_ERR_TYPE, "%s: expects an object, not %s", fname,
					   describe(c->args[i], d));
	return true;
}

/* A key argument as a NUL-terminated string in *key (malloc'd). */
static bool
arg_key(BfCall *c, const char *fname, int i, char **key)
{
	ArgText		t;
	Desc		d;

	if (c->args[i] == NULL)
		return fn_fail(c, BF_ERR_VALUE, "%s: a key cannot be %s", fname, describe(NULL, d));
	if (!arg_text(c, fname, i, &t))
		return false;
	*key = strndup(t.s, t.len);
	text_done(&t);
	return *key != NULL || fn_nomem(c);
}

/* object(k1, v1, k2, v2, ...) */
static bool
fn_object(BfCall *c, struct json_object **out)
{
	int			i;

	if (!give(c, json_object_new_object(), out))
		return false;
	for (i = 0; i + 1 < c->nargs; i += 2)
	{
		char	   *key;

		if (!arg_key(c, "object", i, &key))
		{
			json_object_put(*out);
			*out = NULL;
			return false;
		}
		json_object_object_add(*out, key, json_object_get(c->args[i + 1]));
		free(key);
	}
	return true;
}

/*
 * object_merge(object, ...): later wins; nulls are skipped so optional parts
 * can be merged.
 */
static bool
fn_object_merge(BfCall *c, struct json_object **out)
{
	int			i;
	struct json_object_iter it;

	for (i = 0; i < c->nargs; i++)
		if (c->args[i] != NULL && !arg_object(c, "object_merge", i))
			return false;
	if (!give(c, json_object_new_object(), out))
		return false;
	for (i = 0; i < c->nargs; i++)
	{
		if (c->args[i] == NULL)
			continue;
		json_object_object_foreachC(c->args[i], it)
			json_object_object_add(*out, it.key, json_object_get(it.val));
	}
	return true;
}

/* Is key among the text of args[from..]?  Non-text keys never match. */
static bool
key_listed(BfCall *c, int from, int stride, const char *key, int *at)
{
	int			i;

	for (i = from; i < c->nargs; i += stride)
		if (bf_value_is_string(c->args[i]) && strcmp(json_object_get_string(c->args[i]), key) == 0)
		{
			*at = i;
			return true;
		}
	return false;
}

/*
 * object_delete(object, key, ...): a new object; the argument is not changed.
 */
static bool
fn_object_delete(BfCall *c, struct json_object **out)
{
	struct json_object_iter it;
	int			at;

	if (c->args[0] == NULL)
	{
		*out = NULL;
		return true;
	}
	if (!arg_object(c, "object_delete", 0) || !give(c, json_object_new_object(), out))
		return false;
	json_object_object_foreachC(c->args[0], it)
	{
		if (!key_listed(c, 1, 1, it.key, &at))
			json_object_object_add(*out, it.key, json_object_get(it.val));
	}
	return true;
}

/* object_rename(m, old1, new1, ...): keys renamed in place, order kept. */
static bool
fn_object_rename(BfCall *c, struct json_object **out)
{
	struct json_object_iter it;
	int			at;

	if (c->args[0] == NULL)
	{
		*out = NULL;
		return true;
	}
	if (!arg_object(c, "object_rename", 0) || !give(c, json_object_new_object(), out))
		return false;
	json_object_object_foreachC(c->args[0], it)
	{
		const char *key = it.key;

		if (key_listed(c, 1, 2, it.key, &at) && bf_value_is_string(c->args[at + 1]))
			key = json_object_get_string(c->args[at + 1]);
		json_object_object_add(*out, key, json_object_get(it.val));
	}
	return true;
}

/*
 * explode(record, field): one record per element of the list in field, each
 * the record without field plus the element's members when it is an object
 * (the element's win), or with field set to the element otherwise.  An
 * empty list gives no record; a field that is missing, null or not a list
 * leaves the record as it is.  With output: record, the runner turns the
 * list into records (Sling's cases 11 and 12).
 */
static bool
fn_explode(BfCall *c, struct json_object **out)
{
	struct json_object *rec = c->args[0];
	struct json_object *list = NULL;
	char	   *field;
	size_t		i;
	size_t		n;

	if (rec == NULL)
	{
		*out = NULL;
		return true;
	}
	if (!arg_object(c, "explode", 0) || !arg_key(c, "explode", 1, &field))
		return false;
	json_object_object_get_ex(rec, field, &list);
	if (!json_object_is_type(list, json_type_array))
	{
		free(field);
		if (!give(c, json_object_new_array(), out))
			return false;
		json_object_array_add(*out, json_object_get(rec));
		return true;
	}
	n = json_object_array_length(list);
	if (!bf_budget_charge_elements(c->budget, n * ((size_t) json_object_object_length(rec) + 1),
								   c->err) ||
		!give(c, json_object_new_array_ext((int) n), out))
	{
		free(field);
		return false;
	}
	for (i = 0; i < n; i++)
	{
		struct json_object *item = json_object_array_get_idx(list, i);
		struct json_object *one = json_object_new_object();
		struct json_object_iter it;

		if (one == NULL)
		{
			free(field);
			drop_result(out);
			return fn_nomem(c);
		}
		json_object_object_foreachC(rec, it)
		{
			if (strcmp(it.key, field) != 0)
				json_object_object_add(one, it.key, json_object_get(it.val));
		}
		if (json_object_is_type(item, json_type_object))
		{
			json_object_object_foreachC(item, it)
				json_object_object_add(one, it.key, json_object_get(it.val));
		}
		else
			json_object_object_add(one, field, json_object_get(item));
		json_object_array_add(*out, one);
	}
	free(field);
	return true;
}

/* The casing argument of object_casing: snake, camel, upper or lower. */
static bool
arg_casing(BfCall *c, const char *fname, int i, BfKeyCase *kc)
{
	char		word[16];

	if (!arg_word(c, fname, i, word, sizeof(word)))
		return false;
	if (!bf_key_case_named(word, kc) || json_object_get_string_len(c->args[i]) >= (int) sizeof(word))
		return fn_fail(c, BF_ERR_VALUE,
					   "%s: the casing must be \"snake\", \"camel\", \"upper\" or \"lower\", not \"%s\"",
					   fname, word);
	return true;
}

/* object_casing(object, casing): the keys recased (null stays null). */
static bool
fn_object_casing(BfCall *c, struct json_object **out)
{
	BfKeyCase	kc;

	if (!arg_casing(c, "object_casing", 1, &kc))
		return false;
	if (c->args[0] == NULL)
	{
		*out = NULL;
		return true;
	}
	if (!arg_object(c, "object_casing", 0) ||
		!bf_budget_charge_elements(c->budget, (size_t) json_object_object_length(c->args[0]),
								   c->err))
		return false;
	return give(c, bf_object_recase(c->args[0], kc), out);
}

/* snake(s): the text in snake_case, as object_casing cases keys. */
static bool
fn_snake(BfCall *c, struct json_object **out)
{
	ArgText		t;
	BfBuf		buf;
	bool		ok;

	if (c->args[0] == NULL)
	{
		*out = NULL;
		return true;
	}
	if (!arg_text(c, "snake", 0, &t))
		return false;
	bf_buf_init(&buf);
	bf_key_case_append(&buf, t.s, t.len, BF_KEYCASE_SNAKE);
	ok = give(c, bf_buf_to_json(&buf), out);
	bf_buf_free(&buf);
	text_done(&t);
	return ok;
}

/*
 * object_zip(keys, values): keys[i] to values[i]; a key without a value
 * gets null, values past the keys are dropped; null keys give {}.
 */
static bool
fn_object_zip(BfCall *c, struct json_object **out)
{
	struct json_object *keys = c->args[0];
	struct json_object *vals = c->args[1];
	size_t		n;
	size_t		i;
	Desc		d;

	if (keys != NULL && !json_object_is_type(keys, json_type_array))
		return fn_fail(c, BF_ERR_TYPE, "object_zip: the keys must be an array, not %s",
					   describe(keys, d));
	if (vals != NULL && !json_object_is_type(vals, json_type_array))
		return fn_fail(c, BF_ERR_TYPE, "object_zip: the values must be an array, not %s",
					   describe(vals, d));
	n = keys != NULL ? json_object_array_length(keys) : 0;
	if (!bf_budget_charge_elements(c->budget, n, c->err) ||
		!give(c, json_object_new_object(), out))
		return false;
	for (i = 0; i < n; i++)
	{
		struct json_object *k = json_object_array_get_idx(keys, i);
		char	   *text;

		if (k == NULL || json_object_is_type(k, json_type_array) ||
			json_object_is_type(k, json_type_object))
		{
			drop_result(out);
			return fn_fail(c, BF_ERR_TYPE, "object_zip: key %zu must be a string, not %s", i,
						   describe(k, d));
		}
		text = bf_value_to_text(k);
		if (text == NULL)
		{
			drop_result(out);
			return fn_nomem(c);
		}
		json_object_object_add(*out, text,
							   json_object_get(vals != NULL && i < json_object_array_length(vals) ?
											   json_object_array_get_idx(vals, i) : NULL));
		free(text);
	}
	return true;
}

/* keys() and values() in the object's order; null gives an empty list. */
static bool
keys_or_values(BfCall *c, const char *fname, bool keys, struct json_object **out)
{
	struct json_object_iter it;

	if (c->args[0] != NULL && !arg_object(c, fname, 0))
		return false;
	if (!give(c, json_object_new_array(), out))
		return false;
	if (c->args[0] == NULL)
		return true;
	json_object_object_foreachC(c->args[0], it)
		json_object_array_add(*out, keys ? json_object_new_string(it.key) : json_object_get(it.val));
	return true;
}

/* keys(object). */
static bool
fn_keys(BfCall *c, struct json_object **out)
{
	return keys_or_values(c, "keys", true, out);
}

/* values(object). */
static bool
fn_values(BfCall *c, struct json_object **out)
{
	return keys_or_values(c, "values", false, out);
}

/* get_path(obj, "a.b.0"[, default]): objects by key, arrays by index. */
static bool
fn_get_path(BfCall *c, struct json_object **out)
{
	struct json_object *cur = c->args[0];
	struct json_object *dflt = c->nargs > 2 ? c->args[2] : NULL;
	ArgText		path;
	size_t		i = 0;

	if (!arg_text(c, "get_path", 1, &path))
		return false;
	while (cur != NULL && i <= path.len)
	{
		const char *part = path.s + i;
		const char *dot = memchr(part, '.', path.len - i);
		size_t		n = dot != NULL ? (size_t) (dot - part) : path.len - i;
		int64_t		idx;
		struct json_object *next = NULL;

		if (json_object_is_type(cur, json_type_object))
		{
			char	   *key = strndup(part, n);

			if (key != NULL)
				json_object_object_get_ex(cur, key, &next);
			free(key);
		}
		else if (json_object_is_type(cur, json_type_array) && bf_parse_int64(part, n, &idx) &&
				 idx >= 0 && (size_t) idx < json_object_array_length(cur))
			next = json_object_array_get_idx(cur, (size_t) idx);
		cur = next;
		i += n + 1;
	}
	text_done(&path);
	*out = json_object_get(cur != NULL ? cur : dflt);
	return true;
}

/* ---- JMESPath ------------------------------------------------------------ */

/* A literal JMESPath expression compiles with the spec. */
static void *
jmespath_prepare(struct json_object *literal, BfError *err)
{
	JpError		jerr;
	JpExpr	   *jp;

	if (!bf_value_is_string(literal))
		return NULL;
	memset(&jerr, 0, sizeof(jerr));
	jp = jp_compile(json_object_get_string(literal), &jerr);
	if (jp == NULL)
		jp_error_to_bf(&jerr, json_object_get_string(literal), err);
	return jp;
}

/* Frees a prepared JMESPath expression. */
static void
jmespath_release(void *prepared)
{
	jp_free(prepared);
}

/* jmespath(obj, expr): null for a null object. */
static bool
fn_jmespath(BfCall *c, struct json_object **out)
{
	JpExpr	   *jp = c->prepared;
	JpExpr	   *owned = NULL;
	JpError		jerr;
	const char *text;

	if (!arg_string(c, "jmespath", 1, &text))
		return false;
	if (c->args[0] == NULL)
	{
		*out = NULL;
		return true;
	}
	memset(&jerr, 0, sizeof(jerr));
	if (jp == NULL && (jp = owned = jp_compile(text, &jerr)) == NULL)
	{
		jp_error_to_bf(&jerr, text, c->err);
		return false;
	}
	*out = jp_search(jp, c->args[0], &jerr);
	jp_free(owned);
	if (jerr.kind != JP_OK)
	{
		jp_error_to_bf(&jerr, text, c->err);
		return false;
	}
	return true;
}

/* ---- jq ------------------------------------------------------------------ */

/* A literal jq program compiles (in the jq worker) with the spec. */
static void *
jq_prepare(struct json_object *literal, BfError *err)
{
	char	   *text;

	if (!bf_value_is_string(literal))
		return NULL;
	if (!bf_jq_check(json_object_get_string(literal), err))
		return NULL;
	text = strdup(json_object_get_string(literal));
	if (text == NULL)
		bf_error_set(err, BF_ERR_NOMEM, "out of memory");
	return text;
}

/* Frees a prepared jq program's text. */
static void
jq_release(void *prepared)
{
	free(prepared);
}

/* jq(value, program): the list of the program's outputs over value. */
static bool
fn_jq(BfCall *c, struct json_object **out)
{
	const char *text;

	if (!arg_string(c, "jq", 1, &text))
		return false;
	*out = bf_jq_run(text, c->args[0], c->budget, c->err);
	return *out != NULL;
}

/* ---- the table ----------------------------------------------------------- */

#define STRICT(name, lo, hi, fn, usage) {name, lo, hi, -1, false, fn, -1, NULL, NULL, usage}
#define LAZY(name, lo, hi, fn, usage) {name, lo, hi, -1, true, fn, -1, NULL, NULL, usage}
#define PAIRS(name, lo, after, fn, usage) {name, lo, -1, after, false, fn, -1, NULL, NULL, usage}
#define REGEX(name, lo, hi, fn, usage) \
	{name, lo, hi, -1, false, fn, 1, regex_prepare, regex_release, usage}
#define VALUE_EXPR(name, fn, usage) \
	{name, 2, 2, -1, false, fn, 1, value_expr_prepare, value_expr_release, usage}

/* In name order: bf_function_lookup searches it by halves. */
static const BfFunction functions[] = {
	STRICT("array", 0, -1, fn_array, "array(v, ...)"),
	STRICT("bool_parse", 1, 1, fn_bool_parse, "bool_parse(v)"),
	STRICT("cast", 2, 2, fn_cast, "cast(v, type)"),
	STRICT("chunk", 2, 2, fn_chunk, "chunk(array, size)"),
	LAZY("coalesce", 1, -1, fn_coalesce, "coalesce(v, ...)"),
	STRICT("contains", 2, 2, fn_contains, "contains(s, sub)"),
	STRICT("date_add", 2, 3, fn_date_add, "date_add(date, amount[, unit])"),
	STRICT("date_diff", 2, 3, fn_date_diff, "date_diff(date1, date2[, unit])"),
	STRICT("date_extract", 2, 2, fn_date_extract, "date_extract(date, part)"),
	STRICT("date_first", 1, 2, fn_date_first, "date_first(date[, period])"),
	STRICT("date_format", 2, 2, fn_date_format, "date_format(date, format)"),
	STRICT("date_last", 1, 2, fn_date_last, "date_last(date[, period])"),
	STRICT("date_parse", 1, 2, fn_date_parse, "date_parse(s[, format])"),
	STRICT("date_range", 2, 4, fn_date_range, "date_range(start, end[, step[, unit]])"),
	STRICT("date_trunc", 2, 2, fn_date_trunc, "date_trunc(date, unit)"),
	STRICT("decode_base64", 1, 1, fn_decode_base64, "decode_base64(s)"),
	STRICT("decode_url", 1, 1, fn_decode_url, "decode_url(s)"),
	STRICT("element", 2, 2, fn_element, "element(array, index)"),
	STRICT("encode_base64", 1, 1, fn_encode_base64, "encode_base64(s)"),
	STRICT("encode_url", 1, 1, fn_encode_url, "encode_url(s)"),
	STRICT("equals", 2, 2, fn_equals, "equals(a, b)"),
	STRICT("exists", 2, 2, fn_exists, "exists(collection, item)"),
	STRICT("explode", 2, 2, fn_explode, "explode(record, field)"),
	VALUE_EXPR("filter", fn_filter, "filter(array, expression)"),
	LAZY("first_valid", 1, -1, fn_first_valid, "first_valid(v, ...)"),
	STRICT("float_format", 2, 2, fn_float_format, "float_format(v, format)"),
	STRICT("float_parse", 1, 1, fn_float_parse, "float_parse(v)"),
	STRICT("get_path", 2, 3, fn_get_path, "get_path(object, path[, default])"),
	STRICT("greatest", 1, -1, fn_greatest, "greatest(array) or greatest(v, ...)"),
	STRICT("hash", 1, 2, fn_hash, "hash(s[, algorithm])"),
	LAZY("if", 2, 3, fn_if, "if(condition, then[, else])"),
	STRICT("int_format", 2, 2, fn_int_format, "int_format(v, format)"),
	STRICT("int_parse", 1, 1, fn_int_parse, "int_parse(v)"),
	STRICT("int_range", 2, 3, fn_int_range, "int_range(start, end[, step])"),
	STRICT("is_empty", 1, 1, fn_is_empty, "is_empty(v)"),
	STRICT("is_greater", 2, 2, fn_is_greater, "is_greater(a, b)"),
	STRICT("is_less", 2, 2, fn_is_less, "is_less(a, b)"),
	STRICT("is_null", 1, 1, fn_is_null, "is_null(v)"),
	{"jmespath", 2, 2, -1, false, fn_jmespath, 1, jmespath_prepare, jmespath_release,
	"jmespath(object, expression)"},
	STRICT("join", 2, 2, fn_join, "join(array, separator)"),
	{"jq", 2, 2, -1, false, fn_jq, 1, jq_prepare, jq_release, "jq(value, program)"},
	STRICT("json_parse", 1, 1, fn_json_parse, "json_parse(s)"),
	STRICT("keys", 1, 1, fn_keys, "keys(object)"),
	STRICT("least", 1, -1, fn_least, "least(array) or least(v, ...)"),
	STRICT("length", 1, 1, fn_length, "length(v)"),
	STRICT("log", 1, 2, fn_log, "log(v[, level])"),
	STRICT("lower", 1, 1, fn_lower, "lower(s)"),
	VALUE_EXPR("map", fn_map, "map(array, expression)"),
	STRICT("now", 0, 1, fn_now, "now([zone])"),
	STRICT("null_if", 2, 2, fn_null_if, "null_if(v, sentinel)"),
	PAIRS("object", 0, 0, fn_object, "object(key, value, ...)"),
	STRICT("object_casing", 2, 2, fn_object_casing, "object_casing(object, casing)"),
	STRICT("object_delete", 1, -1, fn_object_delete, "object_delete(object, key, ...)"),
	STRICT("object_merge", 1, -1, fn_object_merge, "object_merge(object, ...)"),
	PAIRS("object_rename", 1, 1, fn_object_rename, "object_rename(object, old, new, ...)"),
	STRICT("object_zip", 2, 2, fn_object_zip, "object_zip(keys, values)"),
	STRICT("range", 2, 4, fn_range, "range(start, end[, step[, unit]])"),
	REGEX("regex_extract", 2, 3, fn_regex_extract, "regex_extract(s, pattern[, group])"),
	REGEX("regex_match", 2, 2, fn_regex_match, "regex_match(s, pattern)"),
	REGEX("regex_replace", 3, 3, fn_regex_replace, "regex_replace(s, pattern, replacement)"),
	STRICT("replace", 3, 3, fn_replace, "replace(s, old, new)"),
	STRICT("require", 1, 2, fn_require, "require(v[, message])"),
	STRICT("snake", 1, 1, fn_snake, "snake(s)"),
	STRICT("sort", 1, 2, fn_sort, "sort(array[, order])"),
	STRICT("split", 2, 2, fn_split, "split(s, separator)"),
	STRICT("split_part", 3, 3, fn_split_part, "split_part(s, separator, index)"),
	STRICT("substring", 2, 3, fn_substring, "substring(s, start[, end])"),
	STRICT("to_bool", 1, 1, fn_to_bool, "to_bool(v)"),
	STRICT("to_float", 1, 1, fn_to_float, "to_float(v)"),
	STRICT("to_int", 1, 1, fn_to_int, "to_int(v)"),
	STRICT("to_string", 1, 1, fn_to_string, "to_string(v)"),
	STRICT("trim", 1, 2, fn_trim, "trim(s[, cutset])"),
	STRICT("try_cast", 2, 2, fn_try_cast, "try_cast(v, type)"),
	STRICT("type_of", 1, 1, fn_type_of, "type_of(v)"),
	STRICT("upper", 1, 1, fn_upper, "upper(s)"),
	STRICT("uuid", 0, 0, fn_uuid, "uuid()"),
	LAZY("value", 1, -1, fn_value, "value(v, ...)"),
	STRICT("values", 1, 1, fn_values, "values(object)"),
};

#define NFUNCTIONS ((int) (sizeof(functions) / sizeof(functions[0])))

/*
 * Binary search over the sorted table: called once per call site, at compile
 * time.
 */
const BfFunction *
bf_function_lookup(const char *name, size_t len)
{
	int			lo = 0;
	int			hi = NFUNCTIONS - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		const char *fn = functions[mid].name;
		int			cmp = strncmp(name, fn, len);

		if (cmp == 0 && fn[len] != '\0')
			cmp = -1;			/* name is a proper prefix of fn */
		if (cmp == 0)
			return &functions[mid];
		if (cmp < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* For the docs test and tools that list the library. */
const BfFunction *
bf_function_list(int *n)
{
	*n = NFUNCTIONS;
	return functions;
}
