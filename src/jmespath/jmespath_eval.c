/*-------------------------------------------------------------------------
 *
 * jmespath_eval.c
 *		  Searching a json-c document with a compiled JMESPath tree.
 *
 * The document is never copied: a result that is part of the document (a
 * field, an element, a value) is the document's own json_object with one
 * more reference, and only projections, multi-selects and computed values
 * allocate.  Filter conditions are evaluated to a C truth value, so a
 * comparison in a filter allocates nothing.
 *
 * Every function here returns a new reference (NULL is JSON null).  On an
 * error it sets ev->err, puts whatever it held and returns NULL; callers
 * test ev->err->kind after each step that can fail.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jmespath/jmespath_int.h"

#define JP_FAILED(ev) ((ev)->err->kind != JP_OK)

bool
jp_fail(JpEval *ev, JpErrorKind kind, const char *fmt,...)
{
	va_list		ap;

	ev->err->kind = kind;
	ev->err->position = -1;
	va_start(ap, fmt);
	vsnprintf(ev->err->message, sizeof(ev->err->message), fmt, ap);
	va_end(ap);
	return false;
}

struct json_object *
jp_nomem(JpEval *ev)
{
	jp_fail(ev, JP_ERR_NOMEM, "out of memory");
	return NULL;
}

/* Append item (taken over) to arr; on failure item is put. */
bool
jp_array_push(JpEval *ev, struct json_object *arr, struct json_object *item)
{
	if (json_object_array_add(arr, item) != 0)
	{
		json_object_put(item);
		jp_nomem(ev);
		return false;
	}
	return true;
}

/* A new array with room for about hint elements. */
struct json_object *
jp_new_array(JpEval *ev, size_t hint)
{
	struct json_object *arr = json_object_new_array_ext(hint > 0 && hint < 1024 ? (int) hint : 16);

	if (arr == NULL)
		jp_nomem(ev);
	return arr;
}

struct json_object *
jp_new_bool(JpEval *ev, bool b)
{
	struct json_object *v = json_object_new_boolean(b);

	return v != NULL ? v : jp_nomem(ev);
}

/* ---- values ---- */

/* JMESPath truthiness: false, null, "", [] and {} are false; 0 is true. */
bool
jp_truthy(struct json_object *v)
{
	switch (json_object_get_type(v))
	{
		case json_type_null:
			return false;
		case json_type_boolean:
			return json_object_get_boolean(v) != 0;
		case json_type_string:
			return json_object_get_string_len(v) > 0;
		case json_type_array:
			return json_object_array_length(v) > 0;
		case json_type_object:
			return json_object_object_length(v) > 0;
		default:
			return true;
	}
}

bool
jp_is_number(struct json_object *v)
{
	json_type	t = json_object_get_type(v);

	return t == json_type_int || t == json_type_double;
}

/* v as an int64 when it is a json-c integer that fits one. */
bool
jp_num_int(struct json_object *v, int64_t *out)
{
	if (json_object_get_type(v) != json_type_int)
		return false;
	*out = json_object_get_int64(v);
	return *out != INT64_MAX || json_object_get_uint64(v) <= (uint64_t) INT64_MAX;
}

double
jp_num_double(struct json_object *v)
{
	return json_object_get_double(v);
}

/* Order two numbers by value, whatever mix of int64 and double they are. */
int
jp_num_cmp(struct json_object *a, struct json_object *b)
{
	int64_t		ia;
	int64_t		ib;
	double		da;
	double		db;

	if (jp_num_int(a, &ia) && jp_num_int(b, &ib))
		return (ia > ib) - (ia < ib);
	da = jp_num_double(a);
	db = jp_num_double(b);
	return (da > db) - (da < db);
}

const char *
jp_type_name(struct json_object *v)
{
	switch (json_object_get_type(v))
	{
		case json_type_null:
			return "null";
		case json_type_boolean:
			return "boolean";
		case json_type_int:
		case json_type_double:
			return "number";
		case json_type_string:
			return "string";
		case json_type_array:
			return "array";
		case json_type_object:
			return "object";
	}
	return "null";
}

static bool
jp_equal_object(struct json_object *a, struct json_object *b, int depth)
{
	struct json_object_iter it;

	if (json_object_object_length(a) != json_object_object_length(b))
		return false;
	json_object_object_foreachC(a, it)
	{
		struct json_object *bv;

		if (!json_object_object_get_ex(b, it.key, &bv) || !jp_equal(it.val, bv, depth + 1))
			return false;
	}
	return true;
}

/*
 * Deep equality: numbers by value, objects whatever their key order.  A
 * document nested deeper than JP_MAX_DATA_DEPTH compares unequal rather than
 * exhausting the stack.
 */
bool
jp_equal(struct json_object *a, struct json_object *b, int depth)
{
	json_type	t = json_object_get_type(a);
	size_t		i;
	size_t		n;

	if (a == b)
		return true;
	if (jp_is_number(a) && jp_is_number(b))
		return jp_num_cmp(a, b) == 0;
	if (t != json_object_get_type(b) || depth > JP_MAX_DATA_DEPTH)
		return false;
	switch (t)
	{
		case json_type_boolean:
			return json_object_get_boolean(a) == json_object_get_boolean(b);
		case json_type_string:
			n = (size_t) json_object_get_string_len(a);
			return n == (size_t) json_object_get_string_len(b) &&
				memcmp(json_object_get_string(a), json_object_get_string(b), n) == 0;
		case json_type_array:
			n = json_object_array_length(a);
			if (n != json_object_array_length(b))
				return false;
			for (i = 0; i < n; i++)
				if (!jp_equal(json_object_array_get_idx(a, i),
							  json_object_array_get_idx(b, i), depth + 1))
					return false;
			return true;
		case json_type_object:
			return jp_equal_object(a, b, depth);
		default:
			return true;		/* null (only reached for two distinct NULLs: never) */
	}
}

/* ---- nodes ---- */

static struct json_object *
jp_eval_field(const JpNode *n, struct json_object *cur)
{
	struct json_object *v;

	if (n->u.field.has_nul || !json_object_is_type(cur, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(cur, n->u.field.name, &v))
		return NULL;
	return json_object_get(v);
}

static struct json_object *
jp_eval_index(const JpNode *n, struct json_object *cur)
{
	int64_t		len;
	int64_t		i = n->u.index;

	if (!json_object_is_type(cur, json_type_array))
		return NULL;
	len = (int64_t) json_object_array_length(cur);
	if (i < 0)
		i += len;
	if (i < 0 || i >= len)
		return NULL;
	return json_object_get(json_object_array_get_idx(cur, (size_t) i));
}

/* A slice bound as Python resolves it: negative from the end, then clamped. */
static int64_t
jp_slice_bound(int64_t v, int64_t len, bool neg_step)
{
	if (v < 0)
	{
		v += len;
		if (v < 0)
			v = neg_step ? -1 : 0;
	}
	else if (v >= len)
		v = neg_step ? len - 1 : len;
	return v;
}

static struct json_object *
jp_eval_slice(JpEval *ev, const JpNode *n, struct json_object *cur)
{
	int64_t		len;
	int64_t		step = n->u.slice.has_step ? n->u.slice.step : 1;
	int64_t		start;
	int64_t		stop;
	int64_t		i;
	struct json_object *out;

	if (!json_object_is_type(cur, json_type_array))
		return NULL;
	if (step == 0)
	{
		jp_fail(ev, JP_ERR_INVALID_VALUE, "slice step cannot be 0");
		return NULL;
	}
	len = (int64_t) json_object_array_length(cur);
	if (n->u.slice.has_start)
		start = jp_slice_bound(n->u.slice.start, len, step < 0);
	else
		start = step < 0 ? len - 1 : 0;
	if (n->u.slice.has_stop)
		stop = jp_slice_bound(n->u.slice.stop, len, step < 0);
	else
		stop = step < 0 ? -1 : len;
	out = jp_new_array(ev, 0);
	if (out == NULL)
		return NULL;
	for (i = start; step > 0 ? i < stop : i > stop; i += step)
	{
		if (!jp_array_push(ev, out, json_object_get(json_object_array_get_idx(cur, (size_t) i))))
		{
			json_object_put(out);
			return NULL;
		}
	}
	return out;
}

/* Each step on what the step before gave (a.b, a[0], a | b). */
static struct json_object *
jp_eval_chain(JpEval *ev, const JpNode *n, struct json_object *cur)
{
	struct json_object *v = jp_eval(ev, n->u.multi.items[0], cur);
	int			i;

	for (i = 1; i < n->u.multi.n && !JP_FAILED(ev); i++)
	{
		struct json_object *next = jp_eval(ev, n->u.multi.items[i], v);

		json_object_put(v);
		v = next;
	}
	return v;
}

/* Apply n->right to item and append the result unless it is null. */
static bool
jp_project_one(JpEval *ev, const JpNode *n, struct json_object *item, struct json_object *out)
{
	struct json_object *r = jp_eval(ev, n->right, item);

	if (JP_FAILED(ev))
		return false;
	return r == NULL || jp_array_push(ev, out, r);
}

/* foo[*].bar, foo[].bar, foo[1:].bar: right over each element; nulls dropped. */
static struct json_object *
jp_eval_project(JpEval *ev, const JpNode *n, struct json_object *cur)
{
	struct json_object *base = jp_eval(ev, n->left, cur);
	struct json_object *out = NULL;
	size_t		len;
	size_t		i;

	if (JP_FAILED(ev) || !json_object_is_type(base, json_type_array))
		goto done;
	len = json_object_array_length(base);
	out = jp_new_array(ev, len);
	for (i = 0; out != NULL && i < len; i++)
	{
		if (!jp_project_one(ev, n, json_object_array_get_idx(base, i), out))
		{
			json_object_put(out);
			out = NULL;
		}
	}
done:
	json_object_put(base);
	return out;
}

/* foo.*.bar: right over each value of an object. */
static struct json_object *
jp_eval_values(JpEval *ev, const JpNode *n, struct json_object *cur)
{
	struct json_object *base = jp_eval(ev, n->left, cur);
	struct json_object *out = NULL;
	struct json_object_iter it;

	if (JP_FAILED(ev) || !json_object_is_type(base, json_type_object))
		goto done;
	out = jp_new_array(ev, (size_t) json_object_object_length(base));
	if (out == NULL)
		goto done;
	json_object_object_foreachC(base, it)
	{
		if (!jp_project_one(ev, n, it.val, out))
		{
			json_object_put(out);
			out = NULL;
			break;
		}
	}
done:
	json_object_put(base);
	return out;
}

/* Append item to out, or its elements when it is an array. */
static bool
jp_flatten_one(JpEval *ev, struct json_object *item, struct json_object *out)
{
	size_t		n;
	size_t		i;

	if (!json_object_is_type(item, json_type_array))
		return jp_array_push(ev, out, json_object_get(item));
	n = json_object_array_length(item);
	for (i = 0; i < n; i++)
		if (!jp_array_push(ev, out, json_object_get(json_object_array_get_idx(item, i))))
			return false;
	return true;
}

/* foo[]: one level of nested arrays merged into their parent. */
static struct json_object *
jp_eval_flatten(JpEval *ev, const JpNode *n, struct json_object *cur)
{
	struct json_object *base = jp_eval(ev, n->left, cur);
	struct json_object *out = NULL;
	size_t		len;
	size_t		i;

	if (JP_FAILED(ev) || !json_object_is_type(base, json_type_array))
		goto done;
	len = json_object_array_length(base);
	out = jp_new_array(ev, len);
	for (i = 0; out != NULL && i < len; i++)
	{
		if (!jp_flatten_one(ev, json_object_array_get_idx(base, i), out))
		{
			json_object_put(out);
			out = NULL;
		}
	}
done:
	json_object_put(base);
	return out;
}

static bool jp_test(JpEval *ev, const JpNode *n, struct json_object *cur);

/* foo[?cond].bar: right over the elements for which cond is true. */
static struct json_object *
jp_eval_filter(JpEval *ev, const JpNode *n, struct json_object *cur)
{
	struct json_object *base = jp_eval(ev, n->left, cur);
	struct json_object *out = NULL;
	size_t		len;
	size_t		i;

	if (JP_FAILED(ev) || !json_object_is_type(base, json_type_array))
		goto done;
	len = json_object_array_length(base);
	out = jp_new_array(ev, 0);
	for (i = 0; out != NULL && i < len; i++)
	{
		struct json_object *item = json_object_array_get_idx(base, i);
		bool		keep = jp_test(ev, n->cond, item);

		if (JP_FAILED(ev) || (keep && !jp_project_one(ev, n, item, out)))
		{
			json_object_put(out);
			out = NULL;
		}
	}
done:
	json_object_put(base);
	return out;
}

static struct json_object *
jp_eval_multi_list(JpEval *ev, const JpNode *n, struct json_object *cur)
{
	struct json_object *out;
	int			i;

	if (cur == NULL)
		return NULL;
	out = jp_new_array(ev, (size_t) n->u.multi.n);
	for (i = 0; out != NULL && i < n->u.multi.n; i++)
	{
		struct json_object *r = jp_eval(ev, n->u.multi.items[i], cur);

		if (JP_FAILED(ev) || !jp_array_push(ev, out, r))
		{
			json_object_put(out);
			out = NULL;
		}
	}
	return out;
}

static struct json_object *
jp_eval_multi_hash(JpEval *ev, const JpNode *n, struct json_object *cur)
{
	struct json_object *out;
	unsigned	opts = n->u.multi.unique_keys ? JSON_C_OBJECT_ADD_KEY_IS_NEW : 0;
	int			i;

	if (cur == NULL)
		return NULL;
	out = json_object_new_object();
	if (out == NULL)
		return jp_nomem(ev);
	for (i = 0; i < n->u.multi.n; i++)
	{
		struct json_object *r = jp_eval(ev, n->u.multi.items[i], cur);

		if (JP_FAILED(ev))
			break;
		if (json_object_object_add_ex(out, n->u.multi.keys[i], r, opts) != 0)
		{
			json_object_put(r);
			jp_nomem(ev);
			break;
		}
	}
	if (JP_FAILED(ev))
	{
		json_object_put(out);
		return NULL;
	}
	return out;
}

/*
 * A comparison: 1 true, 0 false, -1 null (an ordering of non-numbers).
 * Equality is deep; the ordering operators only compare numbers.
 */
static int
jp_compare(JpEval *ev, const JpNode *n, struct json_object *cur)
{
	struct json_object *l = jp_eval(ev, n->left, cur);
	struct json_object *r;
	int			out = -1;
	int			c;

	if (JP_FAILED(ev))
		return -1;
	r = jp_eval(ev, n->right, cur);
	if (JP_FAILED(ev))
	{
		json_object_put(l);
		return -1;
	}
	if (n->u.cmp == JP_CMP_EQ || n->u.cmp == JP_CMP_NE)
		out = jp_equal(l, r, 0) == (n->u.cmp == JP_CMP_EQ);
	else if (jp_is_number(l) && jp_is_number(r))
	{
		c = jp_num_cmp(l, r);
		switch (n->u.cmp)
		{
			case JP_CMP_LT:
				out = c < 0;
				break;
			case JP_CMP_LTE:
				out = c <= 0;
				break;
			case JP_CMP_GT:
				out = c > 0;
				break;
			default:
				out = c >= 0;
				break;
		}
	}
	json_object_put(l);
	json_object_put(r);
	return out;
}

/*
 * The truth of n on cur without building the value: how filters evaluate
 * their condition.  a && b is true exactly when both are, and so on.
 */
static bool
jp_test(JpEval *ev, const JpNode *n, struct json_object *cur)
{
	struct json_object *v;
	bool		t;

	switch (n->type)
	{
		case JP_N_COMPARE:
			return jp_compare(ev, n, cur) == 1;
		case JP_N_AND:
		case JP_N_OR:
			/* the right side decides unless the left one already did */
			t = jp_test(ev, n->left, cur);
			if (JP_FAILED(ev))
				return false;
			if (t == (n->type == JP_N_OR))
				return t;
			return jp_test(ev, n->right, cur);
		case JP_N_NOT:
			return !jp_test(ev, n->left, cur) && !JP_FAILED(ev);
		default:
			v = jp_eval(ev, n, cur);
			t = jp_truthy(v);
			json_object_put(v);
			return t;
	}
}

/* a && b is a when a is false, else b; a || b is a when a is true, else b. */
static struct json_object *
jp_eval_logic(JpEval *ev, const JpNode *n, struct json_object *cur)
{
	struct json_object *l = jp_eval(ev, n->left, cur);

	if (JP_FAILED(ev) || jp_truthy(l) == (n->type == JP_N_OR))
		return l;
	json_object_put(l);
	return jp_eval(ev, n->right, cur);
}

/* name(args): arguments evaluated (an &expr passed as its tree), then the call. */
static struct json_object *
jp_eval_call(JpEval *ev, const JpNode *n, struct json_object *cur)
{
	JpArg		inline_args[4];
	JpArg	   *args = inline_args;
	int			nargs = n->u.multi.n;
	struct json_object *out = NULL;
	int			i;

	if (nargs > 4)
	{
		args = malloc(sizeof(JpArg) * (size_t) nargs);
		if (args == NULL)
			return jp_nomem(ev);
	}
	memset(args, 0, sizeof(JpArg) * (size_t) nargs);
	for (i = 0; i < nargs; i++)
	{
		const JpNode *a = n->u.multi.items[i];

		if (a->type == JP_N_EXPREF)
			args[i].expref = a->left;
		else
			args[i].v = jp_eval(ev, a, cur);
		if (JP_FAILED(ev))
			break;
	}
	if (!JP_FAILED(ev))
		out = jp_func_call(ev, n->u.multi.fn, args, nargs);
	for (i = 0; i < nargs; i++)
		json_object_put(args[i].v);
	if (args != inline_args)
		free(args);
	return out;
}

struct json_object *
jp_eval(JpEval *ev, const JpNode *n, struct json_object *cur)
{
	int			c;

	switch (n->type)
	{
		case JP_N_CURRENT:
			return json_object_get(cur);
		case JP_N_FIELD:
			return jp_eval_field(n, cur);
		case JP_N_CHAIN:
			return jp_eval_chain(ev, n, cur);
		case JP_N_INDEX:
			return jp_eval_index(n, cur);
		case JP_N_SLICE:
			return jp_eval_slice(ev, n, cur);
		case JP_N_PROJECT:
			return jp_eval_project(ev, n, cur);
		case JP_N_VALUES:
			return jp_eval_values(ev, n, cur);
		case JP_N_FLATTEN:
			return jp_eval_flatten(ev, n, cur);
		case JP_N_FILTER:
			return jp_eval_filter(ev, n, cur);
		case JP_N_MULTI_LIST:
			return jp_eval_multi_list(ev, n, cur);
		case JP_N_MULTI_HASH:
			return jp_eval_multi_hash(ev, n, cur);
		case JP_N_LITERAL:
			return json_object_get(n->u.literal);
		case JP_N_COMPARE:
			c = jp_compare(ev, n, cur);
			return c < 0 || JP_FAILED(ev) ? NULL : jp_new_bool(ev, c == 1);
		case JP_N_AND:
		case JP_N_OR:
			return jp_eval_logic(ev, n, cur);
		case JP_N_NOT:
			c = jp_test(ev, n->left, cur);
			return JP_FAILED(ev) ? NULL : jp_new_bool(ev, !c);
		case JP_N_EXPREF:
			/* an &expr only means something as a function argument */
			return NULL;
		case JP_N_CALL:
			return jp_eval_call(ev, n, cur);
	}
	return NULL;
}

struct json_object *
jp_search(const JpExpr *expr, struct json_object *doc, JpError *err)
{
	JpError		local;
	JpEval		ev;
	struct json_object *out;

	if (err == NULL)
		err = &local;
	err->kind = JP_OK;
	err->position = -1;
	err->message[0] = '\0';
	ev.err = err;
	out = jp_eval(&ev, expr->root, doc);
	if (JP_FAILED(&ev))
	{
		json_object_put(out);
		return NULL;
	}
	return out;
}
