/*-------------------------------------------------------------------------
 *
 * expr_eval.c
 *		  The evaluator of the expression language: walks a compiled tree
 *		  against the namespaces in vars.
 *
 * It runs per request and per record, so paths are resolved by reference
 * (a lookup returns the value inside vars with its count raised, never a
 * copy) and only operators that make a new value allocate one.  Every
 * result is a new reference; results may share parts with vars, so treat
 * them as read-only.
 *
 * Deliberate differences from Sling's goval (docs/expressions.md): && and
 * || and ?: short-circuit, so "x != null && x.y > 1" is a safe guard; null
 * counts as false where a condition is expected; a missing path is null
 * whatever its type; negative indices count from the end.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE			/* memmem, strptime, tm_gmtoff outside PGXS */
#endif
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

extern char **environ;

typedef struct EvalCtx
{
	struct json_object *vars;
	BfError    *err;
	BfBudget   *budget;			/* what the whole evaluation may still build */
} EvalCtx;

static bool eval(const BfNode *n, EvalCtx *cx, struct json_object **out);

static bool
eval_fail(EvalCtx *cx, BfErrorKind kind, const char *fmt,...)
	__attribute__((format(printf, 3, 4)));

/* Messages start with what failed; bf_expr_finish_error adds the expression. */
static bool
eval_fail(EvalCtx *cx, BfErrorKind kind, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	bf_error_setv(cx->err, kind, fmt, ap);
	va_end(ap);
	return false;
}

/* Allocation failures are errors, never crashes. */
static bool
nomem(EvalCtx *cx)
{
	return eval_fail(cx, BF_ERR_NOMEM, "out of memory");
}

/* The process environment as an object, for a bare "env". */
static struct json_object *
environment_object(void)
{
	struct json_object *obj = json_object_new_object();
	char	  **e;

	if (obj == NULL)
		return NULL;
	for (e = environ; e != NULL && *e != NULL; e++)
	{
		const char *eq = strchr(*e, '=');
		char	   *name;

		if (eq == NULL)
			continue;
		name = strndup(*e, (size_t) (eq - *e));
		if (name == NULL)
			break;
		json_object_object_add(obj, name, json_object_new_string(eq + 1));
		free(name);
	}
	return obj;
}

/* One static path step from cur (borrowed); NULL when it leads nowhere. */
static struct json_object *
step(struct json_object *cur, const BfSeg *seg, struct json_object **owned)
{
	struct json_object *next = NULL;

	if (!seg->is_index)
	{
		if (json_object_is_type(cur, json_type_object))
			json_object_object_get_ex(cur, seg->key, &next);
		return next;
	}
	if (json_object_is_type(cur, json_type_array))
	{
		int64_t		n = (int64_t) json_object_array_length(cur);
		int64_t		i = seg->index < 0 ? n + seg->index : seg->index;

		return (i >= 0 && i < n) ? json_object_array_get_idx(cur, (size_t) i) : NULL;
	}
	if (json_object_is_type(cur, json_type_string))
	{
		int64_t		n = json_object_get_string_len(cur);
		int64_t		i = seg->index < 0 ? n + seg->index : seg->index;

		if (i < 0 || i >= n)
			return NULL;
		/* a byte of a string is a new value; the caller owns it */
		next = json_object_new_string_len(json_object_get_string(cur) + i, 1);
		json_object_put(*owned);
		*owned = next;
	}
	return next;
}

/*
 * Lookups by reference: the result is the object inside vars with one more
 * reference.
 */
static bool
eval_path(const BfNode *n, EvalCtx *cx, struct json_object **out)
{
	struct json_object *owned = NULL;
	struct json_object *cur = NULL;
	int			first = 0;
	int			i;

	if (n->u.path.base != NULL)
	{
		if (!eval(n->u.path.base, cx, &owned))
			return false;
		cur = owned;
	}
	else if ((!json_object_object_get_ex(cx->vars, n->u.path.root, &cur) ||
			  !json_object_is_type(cur, json_type_object)) &&
			 strcmp(n->u.path.root, "env") == 0)
	{
		/* no "env" in vars: the process environment */
		if (n->u.path.nsegs > 0 && !n->u.path.segs[0].is_index)
		{
			const char *value = getenv(n->u.path.segs[0].key);

			owned = value != NULL ? json_object_new_string(value) : NULL;
			first = 1;
		}
		else
			owned = environment_object();
		cur = owned;
	}
	for (i = first; i < n->u.path.nsegs && cur != NULL; i++)
		cur = step(cur, &n->u.path.segs[i], &owned);
	*out = json_object_get(cur);
	json_object_put(owned);
	return true;
}

/* Integral floats index too: state round-trips can turn 1 into 1.0. */
static bool
to_index(struct json_object *v, int64_t *out)
{
	if (json_object_is_type(v, json_type_int))
	{
		*out = json_object_get_int64(v);
		return true;
	}
	if (json_object_is_type(v, json_type_double))
	{
		double		d = json_object_get_double(v);

		if (d == floor(d) && fabs(d) < 9e18)
		{
			*out = (int64_t) d;
			return true;
		}
	}
	return false;
}

/* Dynamic steps ([expr]) reuse the static step so both behave alike. */
static bool
eval_index(const BfNode *n, EvalCtx *cx, struct json_object **out)
{
	struct json_object *base;
	struct json_object *index;
	struct json_object *owned = NULL;
	struct json_object *found = NULL;
	BfSeg		seg;

	if (!eval(n->u.index.base, cx, &base))
		return false;
	if (!eval(n->u.index.index, cx, &index))
	{
		json_object_put(base);
		return false;
	}
	seg.key = NULL;
	seg.index = 0;
	if (json_object_is_type(index, json_type_string))
	{
		seg.is_index = false;
		seg.key = (char *) json_object_get_string(index);
		found = step(base, &seg, &owned);
	}
	else if (to_index(index, &seg.index))
	{
		seg.is_index = true;
		found = step(base, &seg, &owned);
	}
	*out = json_object_get(found);
	json_object_put(owned);
	json_object_put(index);
	json_object_put(base);
	return true;
}

/* A slice bound: omitted, or an integer counted from the end when negative. */
static bool
slice_bound(const BfNode *n, EvalCtx *cx, int64_t len, int64_t dflt, int64_t *out)
{
	struct json_object *v;
	int64_t		i;

	if (n == NULL)
	{
		*out = dflt;
		return true;
	}
	if (!eval(n, cx, &v))
		return false;
	if (v == NULL)
		i = dflt;
	else if (!to_index(v, &i))
	{
		char		d[80];

		eval_fail(cx, BF_ERR_TYPE, "a slice bound must be an integer, not %s",
				  bf_value_describe(v, d, 64));
		json_object_put(v);
		return false;
	}
	json_object_put(v);
	if (i < 0)
		i += len;
	*out = i < 0 ? 0 : i > len ? len : i;
	return true;
}

/*
 * Python/JMESPath slice rules: clamped, negative from the end, empty rather
 * than an error.
 */
static bool
eval_slice(const BfNode *n, EvalCtx *cx, struct json_object **out)
{
	struct json_object *base;
	int64_t		len;
	int64_t		lo;
	int64_t		hi;
	int64_t		i;
	bool		ok = true;

	if (!eval(n->u.slice.base, cx, &base))
		return false;
	if (json_object_is_type(base, json_type_array))
		len = (int64_t) json_object_array_length(base);
	else if (json_object_is_type(base, json_type_string))
		len = json_object_get_string_len(base);
	else
	{
		/* slicing null, or anything that has no elements, is null */
		json_object_put(base);
		*out = NULL;
		return true;
	}
	if (!slice_bound(n->u.slice.lo, cx, len, 0, &lo) ||
		!slice_bound(n->u.slice.hi, cx, len, len, &hi))
	{
		json_object_put(base);
		return false;
	}
	if (hi < lo)
		hi = lo;
	if (!(json_object_is_type(base, json_type_string) ?
		  bf_budget_charge(cx->budget, (size_t) (hi - lo), cx->err) :
		  bf_budget_charge_elements(cx->budget, (size_t) (hi - lo), cx->err)))
	{
		json_object_put(base);
		return false;
	}
	if (json_object_is_type(base, json_type_string))
		*out = json_object_new_string_len(json_object_get_string(base) + lo, (int) (hi - lo));
	else
	{
		*out = json_object_new_array_ext((int) (hi - lo));
		for (i = lo; i < hi && *out != NULL; i++)
			json_object_array_add(*out, json_object_get(json_object_array_get_idx(base, (size_t) i)));
	}
	if (*out == NULL)
		ok = nomem(cx);
	json_object_put(base);
	return ok;
}

/* Conditions: true and false, and null as false. */
static bool
truth(EvalCtx *cx, struct json_object *v, const char *what, bool *out)
{
	char		d[80];

	if (v == NULL)
	{
		*out = false;
		return true;
	}
	if (json_object_is_type(v, json_type_boolean))
	{
		*out = json_object_get_boolean(v);
		return true;
	}
	return eval_fail(cx, BF_ERR_TYPE, "%s needs true or false, not %s", what,
					 bf_value_describe(v, d, 64));
}

/*
 * Evaluate and read a condition in one step for the short-circuit operators.
 */
static bool
eval_condition(const BfNode *n, EvalCtx *cx, const char *what, bool *out)
{
	struct json_object *v;
	bool		ok;

	if (!eval(n, cx, &v))
		return false;
	ok = truth(cx, v, what, out);
	json_object_put(v);
	return ok;
}

/* Operators by their spelling, for messages. */
static const char *
op_name(BfOp op)
{
	static const char *const names[] = {"+", "-", "*", "/", "%", "**", "==", "!=", "<",
	"<=", ">", ">=", "in", "&", "^", "<<", ">>", "-", "!", "~"};

	return names[op];
}

/* One wording for every operator applied to the wrong types. */
static bool
type_error(EvalCtx *cx, BfOp op, struct json_object *a, struct json_object *b)
{
	char		da[80];
	char		db[80];

	if (b == NULL && (op == BF_OP_NEG || op == BF_OP_NOT || op == BF_OP_BITNOT))
		return eval_fail(cx, BF_ERR_TYPE, "cannot apply %s to %s", op_name(op),
						 bf_value_describe(a, da, 64));
	return eval_fail(cx, BF_ERR_TYPE, "cannot apply %s to %s and %s", op_name(op),
					 bf_value_describe(a, da, 64), bf_value_describe(b, db, 64));
}

/*
 * JSON has no NaN or infinity, so such a result is an error, not a value.
 */
static bool
new_double(EvalCtx *cx, double d, struct json_object **out)
{
	if (!isfinite(d))
		return eval_fail(cx, BF_ERR_VALUE, "arithmetic result is not a finite number");
	*out = bf_value_new_double(d);
	return *out != NULL || nomem(cx);
}

/* With the allocation failure checked. */
static bool
new_int(EvalCtx *cx, int64_t i, struct json_object **out)
{
	*out = json_object_new_int64(i);
	return *out != NULL || nomem(cx);
}

/* a ** b: an integer while exact, else a float. */
static bool
int_power(EvalCtx *cx, int64_t base, int64_t exp, struct json_object **out)
{
	int64_t		r = 1;
	int64_t		b = base;
	int64_t		e = exp;

	if (exp < 0)
		return new_double(cx, pow((double) base, (double) exp), out);
	while (e > 0)
	{
		if (((e & 1) && __builtin_mul_overflow(r, b, &r)) ||
			(e > 1 && __builtin_mul_overflow(b, b, &b)))
			return new_double(cx, pow((double) base, (double) exp), out);
		e >>= 1;
	}
	return new_int(cx, r, out);
}

/*
 * Integer arithmetic is checked for overflow: Go wraps silently, C would be
 * undefined.
 */
static bool
arith_int(EvalCtx *cx, BfOp op, int64_t x, int64_t y, struct json_object **out)
{
	int64_t		r = 0;
	bool		overflow = false;

	switch (op)
	{
		case BF_OP_ADD:
			overflow = __builtin_add_overflow(x, y, &r);
			break;
		case BF_OP_SUB:
			overflow = __builtin_sub_overflow(x, y, &r);
			break;
		case BF_OP_MUL:
			overflow = __builtin_mul_overflow(x, y, &r);
			break;
		case BF_OP_DIV:
		case BF_OP_MOD:
			if (y == 0)
				return eval_fail(cx, BF_ERR_VALUE, "division by zero");
			if (x == INT64_MIN && y == -1)
				overflow = true;
			else
				r = op == BF_OP_DIV ? x / y : x % y;
			break;
		case BF_OP_POW:
			return int_power(cx, x, y, out);
		case BF_OP_BITAND:
			r = x & y;
			break;
		case BF_OP_BITXOR:
			r = x ^ y;
			break;
		case BF_OP_SHL:
		case BF_OP_SHR:
			if (y < 0 || y > 63)
				return eval_fail(cx, BF_ERR_VALUE, "shift count %lld is not between 0 and 63",
								 (long long) y);
			r = op == BF_OP_SHL ? (int64_t) ((uint64_t) x << y) : x >> y;
			break;
		default:
			break;
	}
	if (overflow)
		return eval_fail(cx, BF_ERR_VALUE, "integer overflow in %lld %s %lld",
						 (long long) x, op_name(op), (long long) y);
	return new_int(cx, r, out);
}

/*
 * Two integers stay integers (24 / 10 is 2, as in goval); anything else is
 * float arithmetic.
 */
static bool
arith(EvalCtx *cx, BfOp op, struct json_object *a, struct json_object *b,
	  struct json_object **out)
{
	double		x;
	double		y;

	if (!bf_value_is_number(a) || !bf_value_is_number(b))
		return type_error(cx, op, a, b);
	if (json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int))
		return arith_int(cx, op, json_object_get_int64(a), json_object_get_int64(b), out);
	if (op == BF_OP_BITAND || op == BF_OP_BITXOR || op == BF_OP_SHL || op == BF_OP_SHR)
		return type_error(cx, op, a, b);
	x = json_object_get_double(a);
	y = json_object_get_double(b);
	switch (op)
	{
		case BF_OP_ADD:
			return new_double(cx, x + y, out);
		case BF_OP_SUB:
			return new_double(cx, x - y, out);
		case BF_OP_MUL:
			return new_double(cx, x * y, out);
		case BF_OP_DIV:
			if (y == 0)
				return eval_fail(cx, BF_ERR_VALUE, "division by zero");
			return new_double(cx, x / y, out);
		case BF_OP_MOD:
			if (y == 0)
				return eval_fail(cx, BF_ERR_VALUE, "division by zero");
			return new_double(cx, fmod(x, y), out);
		default:
			return new_double(cx, pow(x, y), out);
	}
}

/* +: strings join (if either side is one), arrays concatenate, objects merge. */
static bool
add(EvalCtx *cx, struct json_object *a, struct json_object *b, struct json_object **out)
{
	if (bf_value_is_string(a) || bf_value_is_string(b))
	{
		BfBuf		buf;

		if (json_object_is_type(a, json_type_array) || json_object_is_type(a, json_type_object) ||
			json_object_is_type(b, json_type_array) || json_object_is_type(b, json_type_object))
			return type_error(cx, BF_OP_ADD, a, b);
		bf_buf_init(&buf);
		bf_value_append_text(&buf, a);
		bf_value_append_text(&buf, b);
		if (!bf_budget_charge(cx->budget, buf.len, cx->err))
		{
			bf_buf_free(&buf);
			return false;
		}
		*out = bf_buf_to_json(&buf);
		bf_buf_free(&buf);
		return *out != NULL || nomem(cx);
	}
	if (json_object_is_type(a, json_type_array) && json_object_is_type(b, json_type_array))
	{
		size_t		na = json_object_array_length(a);
		size_t		nb = json_object_array_length(b);
		size_t		i;

		if (!bf_budget_charge_elements(cx->budget, na + nb, cx->err))
			return false;
		*out = json_object_new_array_ext((int) (na + nb));
		if (*out == NULL)
			return nomem(cx);
		for (i = 0; i < na; i++)
			json_object_array_add(*out, json_object_get(json_object_array_get_idx(a, i)));
		for (i = 0; i < nb; i++)
			json_object_array_add(*out, json_object_get(json_object_array_get_idx(b, i)));
		return true;
	}
	if (json_object_is_type(a, json_type_object) && json_object_is_type(b, json_type_object))
	{
		struct json_object_iter it;

		if (!bf_budget_charge_elements(cx->budget, (size_t) json_object_object_length(a) +
									   (size_t) json_object_object_length(b), cx->err))
			return false;
		*out = json_object_new_object();
		if (*out == NULL)
			return nomem(cx);
		json_object_object_foreachC(a, it)
			json_object_object_add(*out, it.key, json_object_get(it.val));
		json_object_object_foreachC(b, it)
			json_object_object_add(*out, it.key, json_object_get(it.val));
		return true;
	}
	return arith(cx, BF_OP_ADD, a, b, out);
}

/* x in [..], "key" in {..}, "sub" in "string"; nothing is in null. */
static bool
contains(EvalCtx *cx, struct json_object *a, struct json_object *b, bool *found)
{
	*found = false;
	switch (json_object_get_type(b))
	{
		case json_type_null:
			return true;
		case json_type_array:
			{
				size_t		i;
				size_t		n = json_object_array_length(b);

				if (!bf_budget_step(cx->budget, n, cx->err))
					return false;
				for (i = 0; i < n && !*found; i++)
					*found = bf_value_equal(a, json_object_array_get_idx(b, i));
				return true;
			}
		case json_type_object:
			if (!bf_value_is_string(a))
				return type_error(cx, BF_OP_IN, a, b);
			*found = json_object_object_get_ex(b, json_object_get_string(a), NULL);
			return true;
		case json_type_string:
			if (!bf_value_is_string(a))
				return type_error(cx, BF_OP_IN, a, b);
			*found = memmem(json_object_get_string(b), (size_t) json_object_get_string_len(b),
							json_object_get_string(a),
							(size_t) json_object_get_string_len(a)) != NULL;
			return true;
		default:
			return type_error(cx, BF_OP_IN, a, b);
	}
}

/* Operands are evaluated before the operator; && and || never come here. */
static bool
binary(EvalCtx *cx, BfOp op, struct json_object *a, struct json_object *b,
	   struct json_object **out)
{
	int			cmp;
	bool		flag;

	switch (op)
	{
		case BF_OP_ADD:
			return add(cx, a, b, out);
		case BF_OP_EQ:
		case BF_OP_NE:
			flag = bf_value_equal(a, b) == (op == BF_OP_EQ);
			break;
		case BF_OP_LT:
		case BF_OP_LE:
		case BF_OP_GT:
		case BF_OP_GE:
			if (!bf_value_compare(a, b, &cmp))
				return type_error(cx, op, a, b);
			flag = op == BF_OP_LT ? cmp < 0 : op == BF_OP_LE ? cmp <= 0 :
				op == BF_OP_GT ? cmp > 0 : cmp >= 0;
			break;
		case BF_OP_IN:
			if (!contains(cx, a, b, &flag))
				return false;
			break;
		default:
			return arith(cx, op, a, b, out);
	}
	*out = json_object_new_boolean(flag);
	return true;
}

/* !, unary - and ~. */
static bool
unary(EvalCtx *cx, BfOp op, struct json_object *a, struct json_object **out)
{
	bool		flag;

	switch (op)
	{
		case BF_OP_NOT:
			if (!truth(cx, a, "!", &flag))
				return false;
			*out = json_object_new_boolean(!flag);
			return true;
		case BF_OP_NEG:
			if (json_object_is_type(a, json_type_int))
			{
				if (json_object_get_int64(a) == INT64_MIN)
					return eval_fail(cx, BF_ERR_VALUE, "integer overflow in -");
				return new_int(cx, -json_object_get_int64(a), out);
			}
			if (json_object_is_type(a, json_type_double))
				return new_double(cx, -json_object_get_double(a), out);
			return type_error(cx, op, a, NULL);
		default:
			if (!json_object_is_type(a, json_type_int))
				return type_error(cx, op, a, NULL);
			return new_int(cx, ~json_object_get_int64(a), out);
	}
}

/* What a lazy function's BfArgFn needs to evaluate an argument. */
typedef struct LazyArgs
{
	EvalCtx    *cx;
	const BfNode *call;
} LazyArgs;

/* Lazy functions (if, coalesce) evaluate their arguments through this. */
static bool
lazy_arg(void *p, int i, struct json_object **out)
{
	LazyArgs   *la = p;

	return eval(la->call->u.call.args[i], la->cx, out);
}

#define INLINE_ARGS 8

/*
 * A strict function's result is charged to the budget by its top level (an
 * array's elements, an object's members, a string's bytes): its parts are
 * arguments, charged where they were built, or small new values.  A result
 * that is one of the arguments is no new value.  Lazy functions return what
 * their arguments evaluated to, charged there.
 */
static bool
charge_result(EvalCtx *cx, struct json_object **args, int nargs, struct json_object **out)
{
	int			i;
	bool		ok;

	for (i = 0; i < nargs; i++)
		if (*out == args[i])
			return true;
	switch (json_object_get_type(*out))
	{
		case json_type_array:
			ok = bf_budget_charge_elements(cx->budget, json_object_array_length(*out), cx->err);
			break;
		case json_type_object:
			ok = bf_budget_charge_elements(cx->budget, (size_t) json_object_object_length(*out),
										   cx->err);
			break;
		case json_type_string:
			ok = bf_budget_charge(cx->budget, (size_t) json_object_get_string_len(*out), cx->err);
			break;
		default:
			return true;
	}
	if (!ok)
	{
		json_object_put(*out);
		*out = NULL;
	}
	return ok;
}

/*
 * Strict functions get their arguments evaluated in order; up to eight live
 * on the stack.
 */
static bool
eval_call(const BfNode *n, EvalCtx *cx, struct json_object **out)
{
	const BfFunction *fn = n->u.call.fn;
	struct json_object *inline_args[INLINE_ARGS];
	struct json_object **args = inline_args;
	BfCall		call;
	int			i;
	int			done = 0;
	bool		ok = true;

	call.nargs = n->u.call.nargs;
	call.prepared = n->u.call.prepared;
	call.vars = cx->vars;
	call.err = cx->err;
	call.budget = cx->budget;
	call.args = NULL;
	if (fn->lazy)
	{
		LazyArgs	la = {cx, n};

		call.arg = lazy_arg;
		call.cx = &la;
		return fn->impl(&call, out);
	}
	call.arg = NULL;
	call.cx = NULL;
	if (call.nargs > INLINE_ARGS && (args = malloc(sizeof(*args) * (size_t) call.nargs)) == NULL)
		return nomem(cx);
	for (; done < call.nargs && ok; done++)
		ok = eval(n->u.call.args[done], cx, &args[done]);
	if (ok)
	{
		call.args = args;
		*out = NULL;
		ok = fn->impl(&call, out) && charge_result(cx, args, call.nargs, out);
	}
	else
		done--;					/* the failed argument left nothing */
	for (i = 0; i < done; i++)
		json_object_put(args[i]);
	if (args != inline_args)
		free(args);
	return ok;
}

/*
 * Array and object literals are built anew each time: callers may own them.
 */
static bool
eval_list(const BfNode *n, EvalCtx *cx, struct json_object **out)
{
	struct json_object *list;
	int			i;

	if (!bf_budget_charge_elements(cx->budget, (size_t) n->u.list.n, cx->err))
		return false;
	list = n->kind == BF_N_ARRAY ? json_object_new_array_ext(n->u.list.n) : json_object_new_object();
	if (list == NULL)
		return nomem(cx);
	for (i = 0; i < n->u.list.n; i++)
	{
		struct json_object *v;

		if (!eval(n->u.list.items[i], cx, &v))
		{
			json_object_put(list);
			return false;
		}
		if (n->kind == BF_N_ARRAY)
			json_object_array_add(list, v);
		else
			json_object_object_add(list, n->u.list.keys[i], v);
	}
	*out = list;
	return true;
}

/* The whole-expression fallback: JMESPath over vars. */
static bool
eval_jmespath(const BfNode *n, EvalCtx *cx, struct json_object **out)
{
	JpError		jerr;

	memset(&jerr, 0, sizeof(jerr));
	*out = jp_search(n->u.jmespath, cx->vars, &jerr);
	if (jerr.kind != JP_OK)
	{
		jp_error_to_bf(&jerr, NULL, cx->err);
		return false;
	}
	return true;
}

/* The tree walk; its depth is bounded by the parser's limit. */
static bool
eval(const BfNode *n, EvalCtx *cx, struct json_object **out)
{
	struct json_object *a;
	struct json_object *b;
	bool		flag;
	bool		ok;

	*out = NULL;
	if (!bf_budget_step(cx->budget, 1, cx->err))
		return false;
	switch (n->kind)
	{
		case BF_N_LITERAL:
			*out = json_object_get(n->u.literal);
			return true;
		case BF_N_PATH:
			return eval_path(n, cx, out);
		case BF_N_INDEX:
			return eval_index(n, cx, out);
		case BF_N_SLICE:
			return eval_slice(n, cx, out);
		case BF_N_UNARY:
			if (!eval(n->u.op.a, cx, &a))
				return false;
			ok = unary(cx, n->u.op.op, a, out);
			json_object_put(a);
			return ok;
		case BF_N_BINARY:
			if (!eval(n->u.op.a, cx, &a))
				return false;
			if (!eval(n->u.op.b, cx, &b))
			{
				json_object_put(a);
				return false;
			}
			ok = binary(cx, n->u.op.op, a, b, out);
			json_object_put(a);
			json_object_put(b);
			return ok;
		case BF_N_AND:
		case BF_N_OR:
			/* short-circuit: the right side runs only when it decides */
			if (!eval_condition(n->u.op.a, cx, n->kind == BF_N_AND ? "&&" : "||", &flag))
				return false;
			if (flag == (n->kind == BF_N_AND) &&
				!eval_condition(n->u.op.b, cx, n->kind == BF_N_AND ? "&&" : "||", &flag))
				return false;
			*out = json_object_new_boolean(flag);
			return true;
		case BF_N_COND:
			if (!eval_condition(n->u.cond.cond, cx, "?:", &flag))
				return false;
			return eval(flag ? n->u.cond.then : n->u.cond.otherwise, cx, out);
		case BF_N_CALL:
			return eval_call(n, cx, out);
		case BF_N_ARRAY:
		case BF_N_OBJECT:
			return eval_list(n, cx, out);
		case BF_N_JMESPATH:
			return eval_jmespath(n, cx, out);
	}
	return false;
}

/*
 * Templates evaluate part trees directly, without clearing err per part,
 * and with one budget for all their parts.
 */
bool
bf_node_eval(const BfNode *node, struct json_object *vars, struct json_object **out,
			 BfBudget *budget, BfError *err)
{
	EvalCtx		cx;

	cx.vars = json_object_is_type(vars, json_type_object) ? vars : NULL;
	cx.err = err;
	cx.budget = budget;
	return eval(node, &cx, out);
}

/*
 * Every run-time message ends with the expression, and no message shows a
 * secret.
 */
void
bf_expr_finish_error(BfError *err, const char *src, struct json_object *vars)
{
	size_t		len;

	if (err == NULL)
		return;
	len = strlen(err->message);
	if (strlen(src) > 200)
		snprintf(err->message + len, sizeof(err->message) - len,
				 " in expression: %.200s...", src);
	else
		snprintf(err->message + len, sizeof(err->message) - len, " in expression: %s", src);
	/* values are quoted in messages; a secret's value must never be */
	bf_hide_secrets(err->message, vars);
}

void
bf_hide_secrets(char *msg, struct json_object *vars)
{
	struct json_object *secrets = NULL;
	struct json_object *auth = NULL;
	struct json_object *headers = NULL;

	if (json_object_object_get_ex(vars, "secrets", &secrets))
		bf_error_mask_secrets(msg, secrets);
	/* what authentication made (auth.token, a sequence's auth.*) is as secret */
	if (json_object_object_get_ex(vars, "auth", &auth))
	{
		bf_error_mask_secrets(msg, auth);
		if (json_object_object_get_ex(auth, "headers", &headers))
			bf_error_mask_secrets(msg, headers);
	}
}

/*
 * Clears err first, since null is a valid result and err is how failure
 * shows.
 */
struct json_object *
bf_expr_eval(const BfExpr *expr, struct json_object *vars, BfError *err)
{
	struct json_object *out;
	BfError		local;
	BfBudget	budget;

	if (err == NULL)
		err = &local;
	bf_error_clear(err);
	bf_budget_init(&budget);
	if (!bf_node_eval(expr->root, vars, &out, &budget, err))
	{
		bf_expr_finish_error(err, expr->src, vars);
		return NULL;
	}
	return out;
}
