/*-------------------------------------------------------------------------
 *
 * pg_range.c
 *		  WHERE on the range column to the runs of context.range_start /
 *		  range_end, and backfill_into's range read the same way.
 *
 * At plan time each clause on the range column becomes a small tree of
 * bounds: "col OP value" (OP one of the column type's btree operators:
 * < <= = >= >, BETWEEN being two of them), "col = ANY(array)" / "col IN
 * (...)" (a set of values), and AND / OR of those.  An AND keeps the arms
 * it understands (dropping one only widens the range); an OR needs every
 * arm to bound the column.  Each value side is cast to the column's type
 * and kept as an expression for fdw_exprs.
 *
 * The rule for values, in one place (bound_value below): a value side may
 * hold anything but a column of the scanned table and a volatile function.
 * Constants, parameters ($1, PL/pgSQL variables), stable expressions,
 * InitPlan outputs (a scalar or ARRAY(subquery), PARAM_EXEC), correlated
 * parameters and, in a parameterized path, the outer relation's columns
 * (which become nestloop parameters) all qualify.  Every value is
 * evaluated when the scan starts, i.e. at its first row and again at each
 * rescan, never at plan time (but for the planner's row estimate) and
 * never when the executor only starts for EXPLAIN: there an InitPlan has
 * not run and a nestloop parameter has no value.  Plain EXPLAIN therefore
 * evaluates a range only when every value is immutable over constants and
 * $n parameters (deferred = false).
 *
 * When the scan starts the bounds combine into a set of disjoint runs:
 * an AND intersects, an OR and an IN list unite; consecutive dates and
 * integers join into one run, any other distinct value is a run of its
 * own.  A strict bound on a date or an integer moves by one; elsewhere a
 * strict bound is sent as inclusive.  Each run is sent to the endpoint as
 * one range_start .. range_end.  The runs are only ever wider than the
 * query needs, never narrower, and every clause is still checked on each
 * row, so an API that returns a day too many shows no wrong row.
 *
 * A clause that names the range column but gives no bound (a cast of the
 * column, a function of it, an OR with another column) is kept as text in
 * unpushed, so that a scan with no bound at all can say that its answer is
 * only what the spec's default range holds.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg/pg_jsonc.h"

#include "access/nbtree.h"
#include "access/stratnum.h"
#include "catalog/pg_am.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "parser/parse_coerce.h"
#include "rewrite/rewriteManip.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/timestamp.h"

#include "pg/pg_range.h"

/*
 * info (fdw_private) is (typid, typmod, collid, tree), typid and typmod
 * those of the working type (working_type below).  A tree node is a
 * List whose first Integer says what it is:
 *	 (NODE_CMP, strategy, exprno, movable): col OP exprs[exprno], strategy
 *		as if the column were on the left, movable when a strict bound may
 *		move by one (a date value on a date column, an integer value on an
 *		integer column);
 *	 (NODE_ANY, exprno): col = ANY(exprs[exprno]);
 *	 (NODE_AND, child, ...), (NODE_OR, child, ...).
 */
typedef enum BoundNode
{
	NODE_CMP,
	NODE_ANY,
	NODE_AND,
	NODE_OR
} BoundNode;

#define INFO_TREE 3

/* Planner guesses of the iterations a range makes (see estimate_tree). */
#define SPAN_ITERATIONS 30.0	/* both ends, known only at run time */
#define LIST_ITERATIONS 10.0	/* an array known only at run time */

/* What extraction works with. */
typedef struct Extract
{
	PlannerInfo *root;
	Index		relid;
	AttrNumber	attnum;
	Oid			typid;
	int32		typmod;
	Oid			opfamily;
	List	   *exprs;
	bool		deferred;
} Extract;

/* The column's default btree operator family, or InvalidOid. */
static Oid
column_opfamily(Oid typid)
{
	Oid			opclass = GetDefaultOpClass(typid, BTREE_AM_OID);

	return OidIsValid(opclass) ? get_opclass_family(opclass) : InvalidOid;
}

bool
bf_is_range_var(Node *node, Index relid, AttrNumber attnum)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node && IsA(node, Var) &&
		((Var *) node)->varno == relid &&
		((Var *) node)->varattno == attnum &&
		((Var *) node)->varlevelsup == 0;
}

/* Does node mention the range column anywhere? */
static bool
mentions_range_var(Node *node, Extract *ex)
{
	if (node == NULL)
		return false;
	if (bf_is_range_var(node, ex->relid, ex->attnum))
		return true;
	return expression_tree_walker(node, mentions_range_var, ex);
}

/*
 * Does node hold something with no value before the scan runs (an InitPlan
 * or nestloop parameter, a subplan, another relation's column)?
 */
static bool
needs_execution(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
		return true;
	if (IsA(node, SubPlan) || IsA(node, AlternativeSubPlan) || IsA(node, Var) ||
		IsA(node, PlaceHolderVar))
		return true;
	return expression_tree_walker(node, needs_execution, context);
}

/*
 * The rule of the file header: a value side holds no column of the scanned
 * table and nothing volatile.  Sets ex->deferred when plain EXPLAIN must
 * not evaluate it.
 */
static bool
bound_value(Extract *ex, Node *value)
{
	if (bms_is_member(ex->relid, pull_varnos(ex->root, value)) ||
		contain_volatile_functions(value))
		return false;
	if (needs_execution(value, NULL) || contain_mutable_functions(value))
		ex->deferred = true;
	return true;
}

static bool
is_integer_type(Oid typid)
{
	return typid == INT2OID || typid == INT4OID || typid == INT8OID;
}

/*
 * The type bounds are cast to and compared in: the column's, but bigint
 * for any integer column, so that "int4_col = 3000000000::bigint" or a
 * bigint parameter is a bound (matching nothing the column can hold, as
 * the local filter then finds) rather than a cast that fails.
 */
static Oid
working_type(Oid typid)
{
	return is_integer_type(typid) ? INT8OID : typid;
}

/* May a strict bound of this value type move by one in the working type? */
static bool
moves_by_one(Oid work, Oid valuetype)
{
	return (work == DATEOID && valuetype == DATEOID) ||
		(work == INT8OID && is_integer_type(valuetype));
}

/*
 * value cast to the column's type (or array of it) and with immutable
 * parts folded; NULL if there is no cast.
 */
static Expr *
cast_value(Extract *ex, Node *value, Oid target, int32 typmod)
{
	Oid			source = exprType(value);
	Node	   *cast = value;

	if (source != target)
		cast = coerce_to_target_type(NULL, value, source, target, typmod,
									 COERCION_EXPLICIT, COERCE_IMPLICIT_CAST, -1);
	return cast ? (Expr *) eval_const_expressions(ex->root, cast) : NULL;
}

/* A leaf of the tree for "col OP value" / "col = ANY(value)", or NIL. */
static List *
leaf(Extract *ex, Node *value, int strategy, bool is_array)
{
	Expr	   *cast;
	int			exprno = list_length(ex->exprs);

	if (value == NULL || strategy == 0 || !bound_value(ex, value))
		return NIL;
	cast = is_array
		? cast_value(ex, value, get_array_type(ex->typid), -1)
		: cast_value(ex, value, ex->typid, ex->typmod);
	if (cast == NULL)
		return NIL;
	ex->exprs = lappend(ex->exprs, cast);
	if (is_array)
		return list_make2(makeInteger(NODE_ANY), makeInteger(exprno));
	return list_make4(makeInteger(NODE_CMP), makeInteger(strategy), makeInteger(exprno),
					  makeInteger(moves_by_one(ex->typid, exprType(value))));
}

/* The bound tree of one clause, or NIL when it does not bound the column. */
static List *
clause_tree(Extract *ex, Node *clause)
{
	if (clause == NULL)
		return NIL;
	if (IsA(clause, RestrictInfo))
		clause = (Node *) ((RestrictInfo *) clause)->clause;

	if (IsA(clause, OpExpr) && list_length(((OpExpr *) clause)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) clause;
		Node	   *left = linitial(op->args);
		Node	   *right = lsecond(op->args);
		int			strategy = get_op_opfamily_strategy(op->opno, ex->opfamily);

		if (bf_is_range_var(left, ex->relid, ex->attnum))
			return leaf(ex, right, strategy, false);
		if (bf_is_range_var(right, ex->relid, ex->attnum))
			return leaf(ex, left, BTCommuteStrategyNumber(strategy), false);
		return NIL;
	}
	if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *sa = (ScalarArrayOpExpr *) clause;

		if (sa->useOr &&
			get_op_opfamily_strategy(sa->opno, ex->opfamily) == BTEqualStrategyNumber &&
			bf_is_range_var(linitial(sa->args), ex->relid, ex->attnum))
			return leaf(ex, lsecond(sa->args), BTEqualStrategyNumber, true);
		return NIL;
	}
	if (IsA(clause, BoolExpr) && ((BoolExpr *) clause)->boolop != NOT_EXPR)
	{
		BoolExpr   *b = (BoolExpr *) clause;
		bool		is_or = (b->boolop == OR_EXPR);
		int			saved_exprs = list_length(ex->exprs);
		bool		saved_deferred = ex->deferred;
		List	   *node = list_make1(makeInteger(is_or ? NODE_OR : NODE_AND));
		ListCell   *lc;

		foreach(lc, b->args)
		{
			List	   *child = clause_tree(ex, lfirst(lc));

			if (child != NIL)
				node = lappend(node, child);
			else if (is_or)
			{
				/* an arm with no bound: the OR bounds nothing */
				ex->exprs = list_truncate(ex->exprs, saved_exprs);
				ex->deferred = saved_deferred;
				return NIL;
			}
		}
		if (list_length(node) == 1)
			return NIL;
		return list_length(node) == 2 ? lsecond(node) : node;
	}
	return NIL;
}

/* A clause as EXPLAIN would print it, for the warning of an unpushed one. */
static char *
clause_text(Extract *ex, Expr *clause)
{
	RangeTblEntry *rte = planner_rt_fetch(ex->relid, ex->root);
	Node	   *copy;

	if (!bms_equal(pull_varnos(ex->root, (Node *) clause), bms_make_singleton(ex->relid)))
		return psprintf("a join condition on column \"%s\"",
						get_attname(rte->relid, ex->attnum, false));
	copy = copyObject((Node *) clause);
	ChangeVarNodes(copy, ex->relid, 1, 0);
	return deparse_expression(copy, deparse_context_for(get_rel_name(rte->relid), rte->relid),
							  false, false);
}

/* One end of an interval; unset is open (minus or plus infinity). */
typedef struct Span
{
	bool		lo_set;
	bool		hi_set;
	Datum		lo;
	Datum		hi;
} Span;

/* A set of intervals; the whole line is one interval with no end set. */
typedef struct SpanSet
{
	int			n;
	Span   *iv;
} SpanSet;

/* What evaluation works with: the type, and each expression's value. */
typedef struct Eval
{
	Oid			typid;
	Oid			collid;
	FmgrInfo	cmp;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *values;
	bool	   *nulls;
} Eval;

static int
compare(Eval *ev, Datum a, Datum b)
{
	return DatumGetInt32(FunctionCall2Coll(&ev->cmp, ev->collid, a, b));
}

/*
 * The value one step past v (dir +1) or before it (-1), if there is one,
 * in a working type that has steps (a date, a bigint).
 */
static bool
step(Oid typid, Datum v, int dir, Datum *out)
{
	switch (typid)
	{
		case DATEOID:
			if (DATE_NOT_FINITE(DatumGetDateADT(v)))
				return false;
			*out = DateADTGetDatum(DatumGetDateADT(v) + dir);
			return true;
		case INT8OID:
			if ((dir > 0 && DatumGetInt64(v) == PG_INT64_MAX) ||
				(dir < 0 && DatumGetInt64(v) == PG_INT64_MIN))
				return false;
			*out = Int64GetDatum(DatumGetInt64(v) + dir);
			return true;
	}
	return false;
}

static SpanSet
set_of(int n)
{
	SpanSet s;

	s.n = n;
	s.iv = palloc0(sizeof(Span) * Max(n, 1));
	return s;
}

/* Order intervals by their lower ends, an open one first. */
static int
interval_order(const void *a, const void *b, void *arg)
{
	const Span *x = a;
	const Span *y = b;

	if (!x->lo_set || !y->lo_set)
		return (int) x->lo_set - (int) y->lo_set;
	return compare((Eval *) arg, x->lo, y->lo);
}

/*
 * Sort, drop the empty intervals and join those that overlap or, for a
 * date or an integer, that touch (5..7 and 8..9 make 5..9).
 */
static SpanSet
normalize(Eval *ev, SpanSet s)
{
	SpanSet out = set_of(s.n);
	int			i;

	out.n = 0;
	qsort_arg(s.iv, s.n, sizeof(Span), interval_order, ev);
	for (i = 0; i < s.n; i++)
	{
		Span   *x = &s.iv[i];
		Span   *last = out.n > 0 ? &out.iv[out.n - 1] : NULL;
		Datum		next;

		if (x->lo_set && x->hi_set && compare(ev, x->lo, x->hi) > 0)
			continue;
		if (last != NULL &&
			(!last->hi_set || !x->lo_set || compare(ev, x->lo, last->hi) <= 0 ||
			 (step(ev->typid, last->hi, 1, &next) && compare(ev, x->lo, next) <= 0)))
		{
			if (!x->hi_set)
				last->hi_set = false;
			else if (last->hi_set && compare(ev, x->hi, last->hi) > 0)
				last->hi = x->hi;
			continue;
		}
		out.iv[out.n++] = *x;
	}
	return out;
}

/*
 * The intervals common to a and b, both sorted and disjoint (normalized):
 * one walk along both, so two long IN lists cost their lengths, not their
 * product.
 */
static SpanSet
intersect(Eval *ev, SpanSet a, SpanSet b)
{
	SpanSet		out = set_of(a.n + b.n);
	int			i = 0;
	int			j = 0;

	out.n = 0;
	while (i < a.n && j < b.n)
	{
		Span		x = a.iv[i];
		const Span *y = &b.iv[j];
		bool		a_ends_first;

		if (y->lo_set && (!x.lo_set || compare(ev, y->lo, x.lo) > 0))
		{
			x.lo_set = true;
			x.lo = y->lo;
		}
		a_ends_first = a.iv[i].hi_set &&
			(!y->hi_set || compare(ev, a.iv[i].hi, y->hi) < 0);
		if (!a_ends_first)
		{
			x.hi_set = y->hi_set;
			x.hi = y->hi;
		}
		if (!x.lo_set || !x.hi_set || compare(ev, x.lo, x.hi) <= 0)
			out.iv[out.n++] = x;
		if (a_ends_first)
			i++;
		else
			j++;
	}
	return out;
}

/* The values a bound tree allows. */
static SpanSet
eval_tree(Eval *ev, List *node)
{
	SpanSet s;

	switch ((BoundNode) intVal(linitial(node)))
	{
		case NODE_CMP:
			{
				int			strategy = intVal(lsecond(node));
				int			exprno = intVal(lthird(node));
				bool		movable = intVal(lfourth(node));
				Datum		v = ev->values[exprno];
				Span   *x;

				if (ev->nulls[exprno])
					return set_of(0);	/* a comparison with NULL is never true */
				s = set_of(1);
				x = &s.iv[0];
				if (strategy == BTLessStrategyNumber && movable)
					(void) step(ev->typid, v, -1, &v);
				else if (strategy == BTGreaterStrategyNumber && movable)
					(void) step(ev->typid, v, 1, &v);
				if (strategy != BTLessStrategyNumber && strategy != BTLessEqualStrategyNumber)
				{
					x->lo_set = true;
					x->lo = v;
				}
				if (strategy != BTGreaterStrategyNumber && strategy != BTGreaterEqualStrategyNumber)
				{
					x->hi_set = true;
					x->hi = v;
				}
				return s;
			}
		case NODE_ANY:
			{
				int			exprno = intVal(lsecond(node));
				Datum	   *elems;
				bool	   *nulls;
				int			n;
				int			k;

				if (ev->nulls[exprno])
					return set_of(0);
				deconstruct_array(DatumGetArrayTypeP(ev->values[exprno]), ev->typid,
								  ev->typlen, ev->typbyval, ev->typalign,
								  &elems, &nulls, &n);
				s = set_of(n);
				s.n = 0;
				for (k = 0; k < n; k++)
				{
					if (nulls[k])
						continue;
					s.iv[s.n].lo_set = s.iv[s.n].hi_set = true;
					s.iv[s.n].lo = s.iv[s.n].hi = elems[k];
					s.n++;
				}
				return normalize(ev, s);
			}
		case NODE_AND:
			{
				ListCell   *lc;

				s = set_of(1);	/* everything */
				for_each_from(lc, node, 1)
					s = intersect(ev, s, eval_tree(ev, lfirst(lc)));
				return s;
			}
		case NODE_OR:
			{
				ListCell   *lc;
				SpanSet all = set_of(0);

				for_each_from(lc, node, 1)
				{
					SpanSet arm = eval_tree(ev, lfirst(lc));
					SpanSet both = set_of(all.n + arm.n);

					memcpy(both.iv, all.iv, sizeof(Span) * all.n);
					memcpy(both.iv + all.n, arm.iv, sizeof(Span) * arm.n);
					all = both;
				}
				return normalize(ev, all);
			}
	}
	elog(ERROR, "unknown range bound node %d", intVal(linitial(node)));
	return set_of(0);			/* keep the compiler quiet */
}

/* Set ev up for info's column type. */
static void
eval_init(Eval *ev, List *info, int nvalues)
{
	ev->typid = (Oid) intVal(linitial(info));
	ev->collid = (Oid) intVal(lthird(info));
	fmgr_info(get_opfamily_proc(column_opfamily(ev->typid), ev->typid, ev->typid,
								BTORDER_PROC), &ev->cmp);
	get_typlenbyvalalign(ev->typid, &ev->typlen, &ev->typbyval, &ev->typalign);
	ev->values = palloc0(sizeof(Datum) * Max(nvalues, 1));
	ev->nulls = palloc0(sizeof(bool) * Max(nvalues, 1));
}

/*
 * The planner's guess of the iterations of a tree whose values are not all
 * known: an equality is one, an IN list of constants its length.
 */
static double
guess_tree(List *node, List *exprs)
{
	ListCell   *lc;
	double		n;

	switch ((BoundNode) intVal(linitial(node)))
	{
		case NODE_CMP:
			return intVal(lsecond(node)) == BTEqualStrategyNumber ? 1.0 : BF_RANGE_OPEN_ITERATIONS;
		case NODE_ANY:
			{
				Node	   *arr = list_nth(exprs, intVal(lsecond(node)));

				if (IsA(arr, Const) && !((Const *) arr)->constisnull)
					return Max(1, ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(((Const *) arr)->constvalue)),
												 ARR_DIMS(DatumGetArrayTypeP(((Const *) arr)->constvalue))));
				return LIST_ITERATIONS;
			}
		case NODE_AND:
			{
				bool		lower = false;
				bool		upper = false;

				n = BF_RANGE_OPEN_ITERATIONS;
				for_each_from(lc, node, 1)
				{
					List	   *child = lfirst(lc);
					int			strategy = intVal(linitial(child)) == NODE_CMP ? intVal(lsecond(child)) : 0;

					n = Min(n, guess_tree(child, exprs));
					lower |= (strategy == BTGreaterStrategyNumber || strategy == BTGreaterEqualStrategyNumber);
					upper |= (strategy == BTLessStrategyNumber || strategy == BTLessEqualStrategyNumber);
				}
				return (lower && upper) ? Min(n, SPAN_ITERATIONS) : n;
			}
		case NODE_OR:
			n = 0;
			for_each_from(lc, node, 1)
				n += guess_tree(lfirst(lc), exprs);
			return n;
	}
	return BF_RANGE_OPEN_ITERATIONS;
}

/*
 * The planner's guess of the iterations the range makes: when every value
 * folds to a constant, the runs themselves (a day per iteration for dates,
 * one per integer, else one per run); otherwise guess_tree.
 */
static double
estimate_iterations(Extract *ex, List *info)
{
	List	   *tree = list_nth(info, INFO_TREE);
	Eval		ev;
	SpanSet s;
	ListCell   *lc;
	double		n = 0;
	int			i = 0;

	eval_init(&ev, info, list_length(ex->exprs));
	foreach(lc, ex->exprs)
	{
		Node	   *v = estimate_expression_value(ex->root, lfirst(lc));

		if (!IsA(v, Const))
			return guess_tree(tree, ex->exprs);
		ev.values[i] = ((Const *) v)->constvalue;
		ev.nulls[i++] = ((Const *) v)->constisnull;
	}
	s = eval_tree(&ev, tree);
	for (i = 0; i < s.n; i++)
	{
		Span   *x = &s.iv[i];

		if (!x->lo_set || !x->hi_set)
			n += BF_RANGE_OPEN_ITERATIONS;
		else if (ev.typid == DATEOID && !DATE_NOT_FINITE(DatumGetDateADT(x->lo)) &&
				 !DATE_NOT_FINITE(DatumGetDateADT(x->hi)))
			n += (double) DatumGetDateADT(x->hi) - DatumGetDateADT(x->lo) + 1;
		else if (ev.typid == INT8OID)
			n += Min(BF_RANGE_OPEN_ITERATIONS,
					 (double) DatumGetInt64(x->hi) - (double) DatumGetInt64(x->lo) + 1);
		else
			n += 1;
	}
	return n;
}

/* Set ex up for column attnum of baserel; returns the column's collation. */
static Oid
extract_init(Extract *ex, PlannerInfo *root, RelOptInfo *baserel, AttrNumber attnum)
{
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
	Oid			collid;

	memset(ex, 0, sizeof(Extract));
	ex->root = root;
	ex->relid = baserel->relid;
	ex->attnum = attnum;
	get_atttypetypmodcoll(rte->relid, attnum, &ex->typid, &ex->typmod, &collid);
	ex->opfamily = column_opfamily(ex->typid);
	if (ex->typid != working_type(ex->typid))
	{
		ex->typid = working_type(ex->typid);
		ex->typmod = -1;
	}
	return collid;
}

void
bf_range_extract(PlannerInfo *root, RelOptInfo *baserel, List *clauses,
				 AttrNumber attnum, BfRangeQuals *out)
{
	Extract		ex;
	Oid			collid = extract_init(&ex, root, baserel, attnum);
	List	   *tree = list_make1(makeInteger(NODE_AND));
	ListCell   *lc;

	memset(out, 0, sizeof(BfRangeQuals));
	out->iterations = BF_RANGE_OPEN_ITERATIONS;

	foreach(lc, clauses)
	{
		Expr	   *clause = ((RestrictInfo *) lfirst(lc))->clause;
		List	   *child = OidIsValid(ex.opfamily) ? clause_tree(&ex, (Node *) clause) : NIL;

		if (child != NIL)
			tree = lappend(tree, child);
		else if (mentions_range_var((Node *) clause, &ex))
			out->unpushed = lappend(out->unpushed, makeString(clause_text(&ex, clause)));
	}
	if (list_length(tree) == 1)
		return;
	out->info = list_make4(makeInteger((int) ex.typid), makeInteger(ex.typmod),
						   makeInteger((int) collid), tree);
	out->exprs = ex.exprs;
	out->deferred = ex.deferred;
	out->iterations = estimate_iterations(&ex, out->info);
}

bool
bf_range_join_clause(PlannerInfo *root, RelOptInfo *baserel, RestrictInfo *rinfo,
					 AttrNumber attnum)
{
	Extract		ex;

	if (bms_is_subset(rinfo->clause_relids, baserel->relids))
		return false;
	(void) extract_init(&ex, root, baserel, attnum);
	return OidIsValid(ex.opfamily) && clause_tree(&ex, (Node *) rinfo->clause) != NIL;
}

/* A bound as the spec sees it; NULL for an infinite date or timestamp. */
static char *
range_text(Oid typid, Datum v)
{
	Oid			outfunc;
	bool		isvarlena;

	switch (typid)
	{
		case DATEOID:
			{
				int			y,
							m,
							d;

				if (DATE_NOT_FINITE(DatumGetDateADT(v)))
					return NULL;
				j2date(DatumGetDateADT(v) + POSTGRES_EPOCH_JDATE, &y, &m, &d);
				return psprintf("%04d-%02d-%02d", y, m, d);
			}
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			{
				int			utc = 0;
				char		buf[MAXDATELEN + 1];

				if (TIMESTAMP_NOT_FINITE(DatumGetTimestamp(v)))
					return NULL;
				return pstrdup(JsonEncodeDateTime(buf, v, typid,
												  typid == TIMESTAMPTZOID ? &utc : NULL));
			}
	}
	getTypeOutputInfo(typid, &outfunc, &isvarlena);
	return OidOutputFunctionCall(outfunc, v);
}

void
bf_range_evaluate(List *info, List *exprstates, ExprContext *econtext, BfRange *out)
{
	Eval		ev;
	SpanSet s;
	ListCell   *lc;
	int			i = 0;

	memset(out, 0, sizeof(BfRange));
	if (info == NIL)
		return;
	out->bounded = true;
	eval_init(&ev, info, list_length(exprstates));
	foreach(lc, exprstates)
	{
		ev.values[i] = ExecEvalExpr((ExprState *) lfirst(lc), econtext, &ev.nulls[i]);
		i++;
	}
	s = eval_tree(&ev, list_nth(info, INFO_TREE));
	out->runs = palloc0(sizeof(BfRangeRun) * Max(s.n, 1));
	for (i = 0; i < s.n; i++)
	{
		if (s.iv[i].lo_set)
			out->runs[i].start = range_text(ev.typid, s.iv[i].lo);
		if (s.iv[i].hi_set)
			out->runs[i].end = range_text(ev.typid, s.iv[i].hi);
	}
	out->nruns = s.n;
	/* the whole line: no bound after all (x < 5 OR x >= 5) */
	if (s.n == 1 && out->runs[0].start == NULL && out->runs[0].end == NULL)
		memset(out, 0, sizeof(BfRange));
}

char *
bf_range_input(Oid relid, AttrNumber attnum, const char *argname, const char *value)
{
	Oid			typid;
	int32		typmod;
	Oid			collid;
	Oid			infunc;
	Oid			ioparam;
	Datum		d = (Datum) 0;
	MemoryContext cxt = CurrentMemoryContext;
	char	   *column = get_attname(relid, attnum, false);
	char	   *relname = get_rel_name(relid);
	char	   *typname;

	get_atttypetypmodcoll(relid, attnum, &typid, &typmod, &collid);
	getTypeInputInfo(typid, &infunc, &ioparam);
	typname = format_type_with_typemod(typid, typmod);
	PG_TRY();
	{
		d = OidInputFunctionCall(infunc, (char *) value, ioparam, typmod);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/* raised again at once: nothing runs in the failed state */
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("invalid %s \"%s\" for range column \"%s\" (%s) of foreign table \"%s\"",
						argname, value, column, typname, relname),
				 errdetail("%s", edata->message)));
	}
	PG_END_TRY();
	return range_text(typid, d);
}
