/*-------------------------------------------------------------------------
 *
 * pg_range.c
 *		  WHERE on the range column to context.range_start / range_end.
 *
 * At plan time each clause "col OP value" (OP one of the column type's
 * btree operators: < <= = >= >, BETWEEN being two of them) or
 * "col = ANY(array)" / "col IN (...)", where value holds no column of any
 * table and nothing volatile, contributes a bound; its value side is cast
 * to the column's type and kept as an expression, so constants, parameters
 * ($1, PL/pgSQL variables) and stable expressions (now() - interval '7
 * days') are evaluated when the scan starts.  There the bounds combine to
 * the tightest range.  A strict bound on a date or an integer moves by one;
 * elsewhere a strict bound is sent as inclusive.  The range is only ever
 * wider than the query needs, never narrower, and every clause is still
 * checked on each row, so an API that returns a day too many shows no
 * wrong row.
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
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "pg/pg_range.h"

/*
 * fdw_private layout: the column's type, typmod and collation, then three
 * integers per bound: its btree strategy (as if the column were on the
 * left), whether its value is an array (IN / ANY), and whether a strict
 * bound may move by one (the value's own type is the column's, and the
 * column is a date or an integer).
 */
#define INFO_HEADER 3
#define INFO_PER_BOUND 3

/* The column's default btree operator family, or InvalidOid. */
static Oid
column_opfamily(Oid typid)
{
	Oid			opclass = GetDefaultOpClass(typid, BTREE_AM_OID);

	return OidIsValid(opclass) ? get_opclass_family(opclass) : InvalidOid;
}

/* Is node the range column itself (perhaps under a binary-compatible cast)? */
static bool
is_range_var(Node *node, Index relid, AttrNumber attnum)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node && IsA(node, Var) &&
		((Var *) node)->varno == relid &&
		((Var *) node)->varattno == attnum &&
		((Var *) node)->varlevelsup == 0;
}

/* A value side that can be evaluated once, when the scan starts. */
static bool
is_scan_constant(Node *node)
{
	return !contain_var_clause(node) && !contain_volatile_functions(node);
}

static bool
moves_by_one(Oid typid)
{
	return typid == DATEOID || typid == INT2OID || typid == INT4OID || typid == INT8OID;
}

/* Cast value to the column's type (or array of it); NULL if there is no cast. */
static Expr *
cast_value(Node *value, Oid target, int32 typmod)
{
	Oid			source = exprType(value);

	if (source == target)
		return (Expr *) value;
	return (Expr *) coerce_to_target_type(NULL, value, source, target, typmod,
										  COERCION_EXPLICIT, COERCE_IMPLICIT_CAST, -1);
}

List *
bf_range_extract(PlannerInfo *root, RelOptInfo *baserel, List *clauses,
				 AttrNumber attnum, List **exprs)
{
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
	Oid			typid;
	int32		typmod;
	Oid			collid;
	Oid			opfamily;
	List	   *info = NIL;
	ListCell   *lc;

	*exprs = NIL;
	get_atttypetypmodcoll(rte->relid, attnum, &typid, &typmod, &collid);
	opfamily = column_opfamily(typid);
	if (!OidIsValid(opfamily))
		return NIL;

	foreach(lc, clauses)
	{
		Expr	   *clause = ((RestrictInfo *) lfirst(lc))->clause;
		Node	   *value = NULL;
		Oid			opno;
		int			strategy;
		bool		is_array = false;
		Expr	   *cast;

		if (IsA(clause, OpExpr) && list_length(((OpExpr *) clause)->args) == 2)
		{
			OpExpr	   *op = (OpExpr *) clause;
			Node	   *left = linitial(op->args);
			Node	   *right = lsecond(op->args);

			opno = op->opno;
			strategy = get_op_opfamily_strategy(opno, opfamily);
			if (is_range_var(left, baserel->relid, attnum))
				value = right;
			else if (is_range_var(right, baserel->relid, attnum))
			{
				value = left;
				strategy = BTCommuteStrategyNumber(strategy);
			}
		}
		else if (IsA(clause, ScalarArrayOpExpr))
		{
			ScalarArrayOpExpr *sa = (ScalarArrayOpExpr *) clause;

			strategy = get_op_opfamily_strategy(sa->opno, opfamily);
			if (sa->useOr && strategy == BTEqualStrategyNumber &&
				is_range_var(linitial(sa->args), baserel->relid, attnum))
			{
				value = lsecond(sa->args);
				is_array = true;
			}
		}
		else
			continue;
		if (value == NULL || strategy == 0 || !is_scan_constant(value))
			continue;
		cast = is_array
			? cast_value(value, get_array_type(typid), -1)
			: cast_value(value, typid, typmod);
		if (cast == NULL)
			continue;
		if (info == NIL)
			info = list_make3(makeInteger((int) typid), makeInteger(typmod),
							  makeInteger((int) collid));
		info = lappend(info, makeInteger(strategy));
		info = lappend(info, makeInteger(is_array));
		info = lappend(info, makeInteger(!is_array && moves_by_one(typid) &&
										 exprType(value) == typid));
		*exprs = lappend(*exprs, cast);
	}
	return info;
}

/* One end of the range being built. */
typedef struct Bound
{
	bool		set;
	Datum		value;
} Bound;

/* The value one step past v (dir +1) or before it (-1), if there is one. */
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
		case INT2OID:
			if ((dir > 0 && DatumGetInt16(v) == PG_INT16_MAX) ||
				(dir < 0 && DatumGetInt16(v) == PG_INT16_MIN))
				return false;
			*out = Int16GetDatum(DatumGetInt16(v) + dir);
			return true;
		case INT4OID:
			if ((dir > 0 && DatumGetInt32(v) == PG_INT32_MAX) ||
				(dir < 0 && DatumGetInt32(v) == PG_INT32_MIN))
				return false;
			*out = Int32GetDatum(DatumGetInt32(v) + dir);
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

/* Keep the tighter of b and v: the larger for a lower end, else the smaller. */
static void
tighten(Bound *b, Datum v, bool lower, FmgrInfo *cmp, Oid collid)
{
	int			c;

	if (!b->set)
	{
		b->set = true;
		b->value = v;
		return;
	}
	c = DatumGetInt32(FunctionCall2Coll(cmp, collid, v, b->value));
	if (lower ? c > 0 : c < 0)
		b->value = v;
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
	Oid			typid;
	Oid			collid;
	FmgrInfo	cmp;
	Bound		lower = {false, 0};
	Bound		upper = {false, 0};
	int16		typlen;
	bool		typbyval;
	char		typalign;
	ListCell   *lc;
	int			i = INFO_HEADER;

	memset(out, 0, sizeof(BfRange));
	if (info == NIL)
		return;
	out->bounded = true;
	typid = (Oid) intVal(linitial(info));
	collid = (Oid) intVal(lthird(info));
	fmgr_info(get_opfamily_proc(column_opfamily(typid), typid, typid, BTORDER_PROC), &cmp);
	get_typlenbyvalalign(typid, &typlen, &typbyval, &typalign);

	foreach(lc, exprstates)
	{
		int			strategy = intVal(list_nth(info, i));
		bool		is_array = intVal(list_nth(info, i + 1));
		bool		movable = intVal(list_nth(info, i + 2));
		bool		isnull;
		Datum		v = ExecEvalExpr((ExprState *) lfirst(lc), econtext, &isnull);

		i += INFO_PER_BOUND;
		if (isnull)
		{
			/* a comparison with NULL is never true: no row can match */
			out->empty = true;
			return;
		}
		if (is_array)
		{
			Datum	   *elems;
			bool	   *nulls;
			int			n;
			int			k;
			Bound		lo = {false, 0};
			Bound		hi = {false, 0};

			deconstruct_array(DatumGetArrayTypeP(v), typid, typlen, typbyval, typalign,
							  &elems, &nulls, &n);
			for (k = 0; k < n; k++)
			{
				if (nulls[k])
					continue;
				tighten(&lo, elems[k], false, &cmp, collid);	/* the least */
				tighten(&hi, elems[k], true, &cmp, collid); /* the greatest */
			}
			if (!lo.set)
			{
				out->empty = true;
				return;
			}
			tighten(&lower, lo.value, true, &cmp, collid);
			tighten(&upper, hi.value, false, &cmp, collid);
			continue;
		}
		switch (strategy)
		{
			case BTLessStrategyNumber:
				if (movable)
					(void) step(typid, v, -1, &v);
				/* FALLTHROUGH */
			case BTLessEqualStrategyNumber:
				tighten(&upper, v, false, &cmp, collid);
				break;
			case BTEqualStrategyNumber:
				tighten(&lower, v, true, &cmp, collid);
				tighten(&upper, v, false, &cmp, collid);
				break;
			case BTGreaterStrategyNumber:
				if (movable)
					(void) step(typid, v, 1, &v);
				/* FALLTHROUGH */
			case BTGreaterEqualStrategyNumber:
				tighten(&lower, v, true, &cmp, collid);
				break;
		}
	}
	if (lower.set && upper.set &&
		DatumGetInt32(FunctionCall2Coll(&cmp, collid, lower.value, upper.value)) > 0)
	{
		out->empty = true;
		return;
	}
	if (lower.set)
		out->start = range_text(typid, lower.value);
	if (upper.set)
		out->end = range_text(typid, upper.value);
}
