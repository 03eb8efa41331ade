/*-------------------------------------------------------------------------
 *
 * jmespath_func.c
 *		  The built-in functions of JMESPath, with their signatures.
 *
 * Names and argument counts are checked by the parser (jp_func_lookup);
 * argument types are checked here before each call, as the specification
 * says, including the element types of array[number] and array[string]
 * arguments.  Results reuse the arguments' json_objects where the value is
 * unchanged (abs of a positive number, max, to_array of an array, ...).
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jmespath/jmespath_int.h"

/* ---- helpers ---- */

static int
jp_str_cmp(struct json_object *a, struct json_object *b)
{
	size_t		la = (size_t) json_object_get_string_len(a);
	size_t		lb = (size_t) json_object_get_string_len(b);
	int			c = memcmp(json_object_get_string(a), json_object_get_string(b),
						   la < lb ? la : lb);

	if (c != 0)
		return c;
	return (la > lb) - (la < lb);
}

/* Order two numbers or two strings (code point order is UTF-8 byte order). */
static int
jp_scalar_cmp(struct json_object *a, struct json_object *b)
{
	if (jp_is_number(a))
		return jp_num_cmp(a, b);
	return jp_str_cmp(a, b);
}

static struct json_object *
jp_new_string(JpEval *ev, const char *s, size_t len)
{
	struct json_object *v;

	if (len > INT_MAX)
	{
		jp_fail(ev, JP_ERR_INVALID_VALUE, "string result too long");
		return NULL;
	}
	v = json_object_new_string_len(s, (int) len);
	return v != NULL ? v : jp_nomem(ev);
}

static struct json_object *
jp_new_int(JpEval *ev, int64_t i)
{
	struct json_object *v = json_object_new_int64(i);

	return v != NULL ? v : jp_nomem(ev);
}

/*
 * A computed double, written the shortest way that reads back the same
 * (0.71, not json-c's default 0.70999999999999996), with ".0" when it looks
 * integral, as Python and JavaScript write it.
 */
static struct json_object *
jp_new_double(JpEval *ev, double d)
{
	char		text[40];
	int			prec;
	struct json_object *v;

	for (prec = 15; prec < 17; prec++)
	{
		snprintf(text, sizeof(text) - 2, "%.*g", prec, d);
		if (strtod(text, NULL) == d)
			break;
	}
	if (prec == 17)
		snprintf(text, sizeof(text) - 2, "%.17g", d);
	if (strpbrk(text, ".eEni") == NULL)
		strcat(text, ".0");
	v = isfinite(d) ? json_object_new_double_s(d, text) : json_object_new_double(d);
	return v != NULL ? v : jp_nomem(ev);
}

/* A whole double as an integer when int64 holds it (ceil(1.2) is 2, not 2.0). */
static struct json_object *
jp_new_integral(JpEval *ev, double d)
{
	if (d >= -9.2e18 && d <= 9.2e18)
		return jp_new_int(ev, (int64_t) d);
	return jp_new_double(ev, d);
}

/* ---- sorting ---- */

typedef struct JpSortItem
{
	struct json_object *key;
	struct json_object *item;
	size_t		index;			/* ties keep the input order: a stable sort */
} JpSortItem;

static int
jp_sort_item_cmp(const void *pa, const void *pb)
{
	const JpSortItem *a = pa;
	const JpSortItem *b = pb;
	int			c = jp_scalar_cmp(a->key, b->key);

	if (c != 0)
		return c;
	return (a->index > b->index) - (a->index < b->index);
}

/* Sort items by key and return a new array of the items. */
static struct json_object *
jp_sorted_array(JpEval *ev, JpSortItem *items, size_t n)
{
	struct json_object *out = jp_new_array(ev, n);
	size_t		i;

	if (out == NULL)
		return NULL;
	qsort(items, n, sizeof(JpSortItem), jp_sort_item_cmp);
	for (i = 0; i < n; i++)
	{
		if (!jp_array_push(ev, out, json_object_get(items[i].item)))
		{
			json_object_put(out);
			return NULL;
		}
	}
	return out;
}

/* Put the keys of items (those not computed yet are NULL) and free it. */
static void
jp_keys_free(JpSortItem *items, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		json_object_put(items[i].key);
	free(items);
}

/*
 * The keys of &expr over the elements of arr, which must all be numbers or
 * all strings (the first one decides).  Returns a malloc'd array whose keys
 * the caller puts (jp_keys_free), or NULL on an error.
 */
static JpSortItem *
jp_keys_by(JpEval *ev, const char *fname, struct json_object *arr, const JpNode *expr)
{
	size_t		n = json_object_array_length(arr);
	JpSortItem *items = calloc(n > 0 ? n : 1, sizeof(JpSortItem));
	size_t		i;

	if (items == NULL)
	{
		jp_nomem(ev);
		return NULL;
	}
	for (i = 0; i < n; i++)
	{
		struct json_object *key;

		items[i].item = json_object_array_get_idx(arr, i);
		items[i].index = i;
		key = jp_eval(ev, expr, items[i].item);
		items[i].key = key;
		if (ev->err->kind != JP_OK)
			break;
		if ((!jp_is_number(key) && !json_object_is_type(key, json_type_string)) ||
			(i > 0 && jp_is_number(key) != jp_is_number(items[0].key)))
		{
			jp_fail(ev, JP_ERR_INVALID_TYPE,
					"%s(): the expression must give all numbers or all strings, got %s",
					fname, jp_type_name(key));
			break;
		}
	}
	if (i < n)
	{
		jp_keys_free(items, n);
		return NULL;
	}
	return items;
}

/* ---- the functions ---- */

static struct json_object *
jp_fn_abs(JpEval *ev, JpArg *args, int nargs)
{
	struct json_object *v = args[0].v;
	int64_t		i;
	double		d;

	(void) nargs;
	if (json_object_is_type(v, json_type_int))
	{
		i = json_object_get_int64(v);
		if (i >= 0)
			return json_object_get(v);
		return i == INT64_MIN ? jp_new_double(ev, -(double) i) : jp_new_int(ev, -i);
	}
	d = json_object_get_double(v);
	return d >= 0 ? json_object_get(v) : jp_new_double(ev, -d);
}

static struct json_object *
jp_fn_avg(JpEval *ev, JpArg *args, int nargs)
{
	size_t		n = json_object_array_length(args[0].v);
	double		sum = 0;
	size_t		i;

	(void) nargs;
	if (n == 0)
		return NULL;
	for (i = 0; i < n; i++)
		sum += jp_num_double(json_object_array_get_idx(args[0].v, i));
	return jp_new_double(ev, sum / (double) n);
}

static struct json_object *
jp_fn_ceil(JpEval *ev, JpArg *args, int nargs)
{
	(void) nargs;
	if (json_object_is_type(args[0].v, json_type_int))
		return json_object_get(args[0].v);
	return jp_new_integral(ev, ceil(json_object_get_double(args[0].v)));
}

static struct json_object *
jp_fn_floor(JpEval *ev, JpArg *args, int nargs)
{
	(void) nargs;
	if (json_object_is_type(args[0].v, json_type_int))
		return json_object_get(args[0].v);
	return jp_new_integral(ev, floor(json_object_get_double(args[0].v)));
}

static bool
jp_str_contains(struct json_object *hay, struct json_object *needle)
{
	const char *h = json_object_get_string(hay);
	const char *nd = json_object_get_string(needle);
	size_t		hl = (size_t) json_object_get_string_len(hay);
	size_t		nl = (size_t) json_object_get_string_len(needle);
	size_t		i;

	for (i = 0; i + nl <= hl; i++)
		if (memcmp(h + i, nd, nl) == 0)
			return true;
	return false;
}

static struct json_object *
jp_fn_contains(JpEval *ev, JpArg *args, int nargs)
{
	struct json_object *subject = args[0].v;
	size_t		i;
	size_t		n;

	(void) nargs;
	if (json_object_is_type(subject, json_type_string))
		return jp_new_bool(ev, json_object_is_type(args[1].v, json_type_string) &&
						   jp_str_contains(subject, args[1].v));
	n = json_object_array_length(subject);
	for (i = 0; i < n; i++)
		if (jp_equal(json_object_array_get_idx(subject, i), args[1].v, 0))
			return jp_new_bool(ev, true);
	return jp_new_bool(ev, false);
}

/* starts_with and ends_with: does the suffix/prefix match at the given end. */
static struct json_object *
jp_affix(JpEval *ev, JpArg *args, bool at_end)
{
	size_t		sl = (size_t) json_object_get_string_len(args[0].v);
	size_t		al = (size_t) json_object_get_string_len(args[1].v);

	return jp_new_bool(ev, al <= sl &&
					   memcmp(json_object_get_string(args[0].v) + (at_end ? sl - al : 0),
							  json_object_get_string(args[1].v), al) == 0);
}

static struct json_object *
jp_fn_ends_with(JpEval *ev, JpArg *args, int nargs)
{
	(void) nargs;
	return jp_affix(ev, args, true);
}

static struct json_object *
jp_fn_starts_with(JpEval *ev, JpArg *args, int nargs)
{
	(void) nargs;
	return jp_affix(ev, args, false);
}

static struct json_object *
jp_fn_join(JpEval *ev, JpArg *args, int nargs)
{
	struct json_object *arr = args[1].v;
	size_t		n = json_object_array_length(arr);
	size_t		gl = (size_t) json_object_get_string_len(args[0].v);
	size_t		total = 0;
	size_t		pos = 0;
	size_t		i;
	char	   *buf;
	struct json_object *out;

	(void) nargs;
	for (i = 0; i < n; i++)
		total += (size_t) json_object_get_string_len(json_object_array_get_idx(arr, i)) +
			(i > 0 ? gl : 0);
	buf = malloc(total + 1);
	if (buf == NULL)
		return jp_nomem(ev);
	for (i = 0; i < n; i++)
	{
		struct json_object *s = json_object_array_get_idx(arr, i);
		size_t		sl = (size_t) json_object_get_string_len(s);

		if (i > 0)
		{
			memcpy(buf + pos, json_object_get_string(args[0].v), gl);
			pos += gl;
		}
		memcpy(buf + pos, json_object_get_string(s), sl);
		pos += sl;
	}
	out = jp_new_string(ev, buf, total);
	free(buf);
	return out;
}

static struct json_object *
jp_fn_keys(JpEval *ev, JpArg *args, int nargs)
{
	struct json_object *out = jp_new_array(ev, (size_t) json_object_object_length(args[0].v));
	struct json_object_iter it;

	(void) nargs;
	if (out == NULL)
		return NULL;
	json_object_object_foreachC(args[0].v, it)
	{
		if (!jp_array_push(ev, out, jp_new_string(ev, it.key, strlen(it.key))) ||
			ev->err->kind != JP_OK)
		{
			json_object_put(out);
			return NULL;
		}
	}
	return out;
}

static struct json_object *
jp_fn_values(JpEval *ev, JpArg *args, int nargs)
{
	struct json_object *out = jp_new_array(ev, (size_t) json_object_object_length(args[0].v));
	struct json_object_iter it;

	(void) nargs;
	if (out == NULL)
		return NULL;
	json_object_object_foreachC(args[0].v, it)
	{
		if (!jp_array_push(ev, out, json_object_get(it.val)))
		{
			json_object_put(out);
			return NULL;
		}
	}
	return out;
}

static struct json_object *
jp_fn_length(JpEval *ev, JpArg *args, int nargs)
{
	struct json_object *v = args[0].v;
	const unsigned char *s;
	int64_t		n = 0;
	int			len;
	int			i;

	(void) nargs;
	switch (json_object_get_type(v))
	{
		case json_type_string:
			/* code points: every byte that is not a UTF-8 continuation byte */
			s = (const unsigned char *) json_object_get_string(v);
			len = json_object_get_string_len(v);
			for (i = 0; i < len; i++)
				n += (s[i] & 0xC0) != 0x80;
			return jp_new_int(ev, n);
		case json_type_array:
			return jp_new_int(ev, (int64_t) json_object_array_length(v));
		default:
			return jp_new_int(ev, json_object_object_length(v));
	}
}

static struct json_object *
jp_fn_map(JpEval *ev, JpArg *args, int nargs)
{
	struct json_object *arr = args[1].v;
	size_t		n = json_object_array_length(arr);
	struct json_object *out = jp_new_array(ev, n);
	size_t		i;

	(void) nargs;
	for (i = 0; out != NULL && i < n; i++)
	{
		struct json_object *r = jp_eval(ev, args[0].expref, json_object_array_get_idx(arr, i));

		if (ev->err->kind != JP_OK || !jp_array_push(ev, out, r))
		{
			json_object_put(r);
			json_object_put(out);
			out = NULL;
		}
	}
	return out;
}

/* max and min: the first greatest (sign 1) or least (sign -1) element. */
static struct json_object *
jp_extreme(JpEval *ev, JpArg *args, int sign)
{
	struct json_object *arr = args[0].v;
	size_t		n = json_object_array_length(arr);
	struct json_object *best;
	size_t		i;

	(void) ev;
	if (n == 0)
		return NULL;
	best = json_object_array_get_idx(arr, 0);
	for (i = 1; i < n; i++)
	{
		struct json_object *v = json_object_array_get_idx(arr, i);

		if (jp_scalar_cmp(v, best) * sign > 0)
			best = v;
	}
	return json_object_get(best);
}

static struct json_object *
jp_fn_max(JpEval *ev, JpArg *args, int nargs)
{
	(void) nargs;
	return jp_extreme(ev, args, 1);
}

static struct json_object *
jp_fn_min(JpEval *ev, JpArg *args, int nargs)
{
	(void) nargs;
	return jp_extreme(ev, args, -1);
}

/* max_by and min_by: the element whose key is first greatest or least. */
static struct json_object *
jp_extreme_by(JpEval *ev, JpArg *args, int sign, const char *fname)
{
	size_t		n = json_object_array_length(args[0].v);
	JpSortItem *items;
	size_t		best = 0;
	size_t		i;
	struct json_object *out;

	if (n == 0)
		return NULL;
	items = jp_keys_by(ev, fname, args[0].v, args[1].expref);
	if (items == NULL)
		return NULL;
	for (i = 1; i < n; i++)
		if (jp_scalar_cmp(items[i].key, items[best].key) * sign > 0)
			best = i;
	out = json_object_get(items[best].item);
	jp_keys_free(items, n);
	return out;
}

static struct json_object *
jp_fn_max_by(JpEval *ev, JpArg *args, int nargs)
{
	(void) nargs;
	return jp_extreme_by(ev, args, 1, "max_by");
}

static struct json_object *
jp_fn_min_by(JpEval *ev, JpArg *args, int nargs)
{
	(void) nargs;
	return jp_extreme_by(ev, args, -1, "min_by");
}

static struct json_object *
jp_fn_merge(JpEval *ev, JpArg *args, int nargs)
{
	struct json_object *out;
	struct json_object_iter it;
	int			i;

	if (nargs == 1)
		return json_object_get(args[0].v);
	out = json_object_new_object();
	if (out == NULL)
		return jp_nomem(ev);
	for (i = 0; i < nargs; i++)
	{
		json_object_object_foreachC(args[i].v, it)
		{
			if (json_object_object_add(out, it.key, json_object_get(it.val)) != 0)
			{
				json_object_put(it.val);
				json_object_put(out);
				return jp_nomem(ev);
			}
		}
	}
	return out;
}

static struct json_object *
jp_fn_not_null(JpEval *ev, JpArg *args, int nargs)
{
	int			i;

	(void) ev;
	for (i = 0; i < nargs; i++)
		if (args[i].v != NULL)
			return json_object_get(args[i].v);
	return NULL;
}

/* The byte length of the UTF-8 sequence at s (1 for a stray byte). */
static size_t
jp_utf8_len(const unsigned char *s, size_t avail)
{
	size_t		n = 1;
	size_t		i;

	if (s[0] >= 0xF0 && s[0] < 0xF8)
		n = 4;
	else if (s[0] >= 0xE0)
		n = 3;
	else if (s[0] >= 0xC0)
		n = 2;
	if (n > avail)
		return 1;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 1;
	return n;
}

static struct json_object *
jp_fn_reverse(JpEval *ev, JpArg *args, int nargs)
{
	struct json_object *v = args[0].v;
	struct json_object *out;
	size_t		len;
	size_t		i;

	(void) nargs;
	if (json_object_is_type(v, json_type_string))
	{
		const unsigned char *s = (const unsigned char *) json_object_get_string(v);
		char	   *buf;

		len = (size_t) json_object_get_string_len(v);
		buf = malloc(len + 1);
		if (buf == NULL)
			return jp_nomem(ev);
		for (i = 0; i < len;)
		{
			size_t		n = jp_utf8_len(s + i, len - i);

			memcpy(buf + len - i - n, s + i, n);
			i += n;
		}
		out = jp_new_string(ev, buf, len);
		free(buf);
		return out;
	}
	len = json_object_array_length(v);
	out = jp_new_array(ev, len);
	for (i = len; out != NULL && i > 0; i--)
	{
		if (!jp_array_push(ev, out, json_object_get(json_object_array_get_idx(v, i - 1))))
		{
			json_object_put(out);
			out = NULL;
		}
	}
	return out;
}

static struct json_object *
jp_fn_sort(JpEval *ev, JpArg *args, int nargs)
{
	size_t		n = json_object_array_length(args[0].v);
	JpSortItem *items = calloc(n > 0 ? n : 1, sizeof(JpSortItem));
	struct json_object *out;
	size_t		i;

	(void) nargs;
	if (items == NULL)
		return jp_nomem(ev);
	for (i = 0; i < n; i++)
	{
		items[i].item = json_object_array_get_idx(args[0].v, i);
		items[i].key = items[i].item;
		items[i].index = i;
	}
	out = jp_sorted_array(ev, items, n);
	free(items);
	return out;
}

static struct json_object *
jp_fn_sort_by(JpEval *ev, JpArg *args, int nargs)
{
	size_t		n = json_object_array_length(args[0].v);
	JpSortItem *items;
	struct json_object *out;

	(void) nargs;
	items = jp_keys_by(ev, "sort_by", args[0].v, args[1].expref);
	if (items == NULL)
		return NULL;
	out = jp_sorted_array(ev, items, n);
	jp_keys_free(items, n);
	return out;
}

/* The sum stays an integer while the inputs are and it does not overflow. */
static struct json_object *
jp_fn_sum(JpEval *ev, JpArg *args, int nargs)
{
	struct json_object *arr = args[0].v;
	size_t		n = json_object_array_length(arr);
	int64_t		isum = 0;
	double		dsum = 0;
	bool		integral = true;
	size_t		i;

	(void) nargs;
	for (i = 0; i < n; i++)
	{
		struct json_object *v = json_object_array_get_idx(arr, i);
		int64_t		next;

		if (integral && jp_num_int(v, &next) &&
			!__builtin_add_overflow(isum, next, &next))
		{
			isum = next;
			continue;
		}
		if (integral)
		{
			dsum = (double) isum;
			integral = false;
		}
		dsum += jp_num_double(v);
	}
	return integral ? jp_new_int(ev, isum) : jp_new_double(ev, dsum);
}

static struct json_object *
jp_fn_to_array(JpEval *ev, JpArg *args, int nargs)
{
	struct json_object *out;

	(void) nargs;
	if (json_object_is_type(args[0].v, json_type_array))
		return json_object_get(args[0].v);
	out = jp_new_array(ev, 1);
	if (out != NULL && !jp_array_push(ev, out, json_object_get(args[0].v)))
	{
		json_object_put(out);
		out = NULL;
	}
	return out;
}

static struct json_object *
jp_fn_to_string(JpEval *ev, JpArg *args, int nargs)
{
	const char *s;
	size_t		len;

	(void) nargs;
	if (json_object_is_type(args[0].v, json_type_string))
		return json_object_get(args[0].v);
	s = json_object_to_json_string_length(args[0].v,
										  JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
										  &len);
	if (s == NULL)
		return jp_nomem(ev);
	return jp_new_string(ev, s, len);
}

/* The length of the run of digits at s[i..len). */
static size_t
jp_digits(const char *s, size_t i, size_t len)
{
	size_t		start = i;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i - start;
}

/*
 * Whether s[0..len) is a decimal number: a JSON number, or one of the forms
 * Python's and Go's JMESPath also take ("+1", "01", ".5", "5.").  No blanks,
 * no hexadecimal, no inf or nan.  *integral when it has no '.' or exponent.
 */
static bool
jp_decimal_number(const char *s, size_t len, bool *integral)
{
	size_t		i = 0;
	size_t		whole;
	size_t		frac = 0;

	*integral = true;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	whole = jp_digits(s, i, len);
	i += whole;
	if (i < len && s[i] == '.')
	{
		*integral = false;
		frac = jp_digits(s, i + 1, len);
		i += 1 + frac;
	}
	if (whole == 0 && frac == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		size_t		exp;

		*integral = false;
		if (++i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		exp = jp_digits(s, i, len);
		if (exp == 0)
			return false;
		i += exp;
	}
	return i == len;
}

static struct json_object *
jp_fn_to_number(JpEval *ev, JpArg *args, int nargs)
{
	struct json_object *v = args[0].v;
	const char *s;
	bool		integral;
	long long	ll;
	char	   *end;

	(void) nargs;
	if (jp_is_number(v))
		return json_object_get(v);
	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (!jp_decimal_number(s, (size_t) json_object_get_string_len(v), &integral))
		return NULL;
	if (integral)
	{
		errno = 0;
		ll = strtoll(s, &end, 10);
		if (errno == 0)
			return jp_new_int(ev, (int64_t) ll);
	}
	return jp_new_double(ev, strtod(s, &end));
}

static struct json_object *
jp_fn_type(JpEval *ev, JpArg *args, int nargs)
{
	const char *t = jp_type_name(args[0].v);

	(void) nargs;
	return jp_new_string(ev, t, strlen(t));
}

/* Sorted by name. */
static const JpFunc jp_funcs[] = {
	{"abs", 1, false, {JP_TY_NUMBER}, jp_fn_abs},
	{"avg", 1, false, {JP_TY_ARRAY_NUM}, jp_fn_avg},
	{"ceil", 1, false, {JP_TY_NUMBER}, jp_fn_ceil},
	{"contains", 2, false, {JP_TY_ARRAY | JP_TY_STRING, JP_TY_ANY}, jp_fn_contains},
	{"ends_with", 2, false, {JP_TY_STRING, JP_TY_STRING}, jp_fn_ends_with},
	{"floor", 1, false, {JP_TY_NUMBER}, jp_fn_floor},
	{"join", 2, false, {JP_TY_STRING, JP_TY_ARRAY_STR}, jp_fn_join},
	{"keys", 1, false, {JP_TY_OBJECT}, jp_fn_keys},
	{"length", 1, false, {JP_TY_STRING | JP_TY_ARRAY | JP_TY_OBJECT}, jp_fn_length},
	{"map", 2, false, {JP_TY_EXPREF, JP_TY_ARRAY}, jp_fn_map},
	{"max", 1, false, {JP_TY_ARRAY_NUM | JP_TY_ARRAY_STR}, jp_fn_max},
	{"max_by", 2, false, {JP_TY_ARRAY, JP_TY_EXPREF}, jp_fn_max_by},
	{"merge", 1, true, {JP_TY_OBJECT}, jp_fn_merge},
	{"min", 1, false, {JP_TY_ARRAY_NUM | JP_TY_ARRAY_STR}, jp_fn_min},
	{"min_by", 2, false, {JP_TY_ARRAY, JP_TY_EXPREF}, jp_fn_min_by},
	{"not_null", 1, true, {JP_TY_ANY}, jp_fn_not_null},
	{"reverse", 1, false, {JP_TY_STRING | JP_TY_ARRAY}, jp_fn_reverse},
	{"sort", 1, false, {JP_TY_ARRAY_NUM | JP_TY_ARRAY_STR}, jp_fn_sort},
	{"sort_by", 2, false, {JP_TY_ARRAY, JP_TY_EXPREF}, jp_fn_sort_by},
	{"starts_with", 2, false, {JP_TY_STRING, JP_TY_STRING}, jp_fn_starts_with},
	{"sum", 1, false, {JP_TY_ARRAY_NUM}, jp_fn_sum},
	{"to_array", 1, false, {JP_TY_ANY}, jp_fn_to_array},
	{"to_number", 1, false, {JP_TY_ANY}, jp_fn_to_number},
	{"to_string", 1, false, {JP_TY_ANY}, jp_fn_to_string},
	{"type", 1, false, {JP_TY_ANY}, jp_fn_type},
	{"values", 1, false, {JP_TY_OBJECT}, jp_fn_values},
};

static int
jp_func_cmp(const void *key, const void *elem)
{
	return strcmp((const char *) key, ((const JpFunc *) elem)->name);
}

const JpFunc *
jp_func_lookup(const char *name)
{
	return bsearch(name, jp_funcs, sizeof(jp_funcs) / sizeof(jp_funcs[0]),
				   sizeof(JpFunc), jp_func_cmp);
}

/* ---- type checking ---- */

/* A signature type as the specification writes it, for error messages. */
static void
jp_type_describe(int mask, char *buf, size_t size)
{
	static const struct
	{
		int			bit;
		const char *name;
	}			names[] = {
		{JP_TY_NUMBER, "number"}, {JP_TY_STRING, "string"}, {JP_TY_BOOL, "boolean"},
		{JP_TY_ARRAY, "array"}, {JP_TY_OBJECT, "object"}, {JP_TY_NULL, "null"},
		{JP_TY_EXPREF, "expression"}, {JP_TY_ARRAY_NUM, "array[number]"},
		{JP_TY_ARRAY_STR, "array[string]"},
	};
	size_t		i;
	size_t		pos = 0;

	buf[0] = '\0';
	if ((mask & JP_TY_ANY) == JP_TY_ANY)
	{
		snprintf(buf, size, "any value");
		return;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && pos < size; i++)
		if (mask & names[i].bit)
			pos += (size_t) snprintf(buf + pos, size - pos, "%s%s",
									 pos > 0 ? " or " : "", names[i].name);
}

static int
jp_type_bit(struct json_object *v)
{
	switch (json_object_get_type(v))
	{
		case json_type_null:
			return JP_TY_NULL;
		case json_type_boolean:
			return JP_TY_BOOL;
		case json_type_int:
		case json_type_double:
			return JP_TY_NUMBER;
		case json_type_string:
			return JP_TY_STRING;
		case json_type_array:
			return JP_TY_ARRAY;
		case json_type_object:
			return JP_TY_OBJECT;
	}
	return JP_TY_NULL;
}

/*
 * Whether arr fits array[number] and/or array[string]: with both allowed,
 * the first element decides which one every element must be.
 */
static bool
jp_elements_fit(struct json_object *arr, int mask)
{
	size_t		n = json_object_array_length(arr);
	size_t		i;
	int			want;

	if (n == 0)
		return true;
	want = jp_type_bit(json_object_array_get_idx(arr, 0));
	if (!((want == JP_TY_NUMBER && (mask & JP_TY_ARRAY_NUM)) ||
		  (want == JP_TY_STRING && (mask & JP_TY_ARRAY_STR))))
		return false;
	for (i = 1; i < n; i++)
		if (jp_type_bit(json_object_array_get_idx(arr, i)) != want)
			return false;
	return true;
}

static bool
jp_check_arg(JpEval *ev, const JpFunc *fn, int i, const JpArg *a)
{
	int			mask = fn->args[i < fn->min_args ? i : fn->min_args - 1];
	int			bit = a->expref != NULL ? JP_TY_EXPREF : jp_type_bit(a->v);
	char		want[128];

	if ((mask & bit) ||
		(bit == JP_TY_ARRAY && (mask & (JP_TY_ARRAY_NUM | JP_TY_ARRAY_STR)) &&
		 jp_elements_fit(a->v, mask)))
		return true;
	jp_type_describe(mask, want, sizeof(want));
	return jp_fail(ev, JP_ERR_INVALID_TYPE, "%s() argument %d: expected %s, got %s%s",
				   fn->name, i + 1, want,
				   a->expref != NULL ? "an expression" : jp_type_name(a->v),
				   bit == JP_TY_ARRAY ? " with other elements" : "");
}

struct json_object *
jp_func_call(JpEval *ev, const JpFunc *fn, JpArg *args, int nargs)
{
	int			i;

	for (i = 0; i < nargs; i++)
		if (!jp_check_arg(ev, fn, i, &args[i]))
			return NULL;
	return fn->impl(ev, args, nargs);
}
