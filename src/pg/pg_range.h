/*-------------------------------------------------------------------------
 *
 * pg_range.h
 *		  WHERE clauses on a foreign table's range column, turned into the
 *		  runs of the range the spec sees as context.range_start /
 *		  context.range_end; and backfill_into's range text, read the same
 *		  way.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_RANGE_H
#define PG_RANGE_H

#include "postgres.h"

#include "pg/pg_jsonc.h"

#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"

/* The planner's guess of the iterations of a range with an open end, or none. */
#define BF_RANGE_OPEN_ITERATIONS 100.0

/* What the planner learnt from the clauses on the range column. */
typedef struct BfRangeQuals
{
	List	   *info;			/* for fdw_private: what each expression bounds */
	List	   *exprs;			/* for fdw_exprs: the bound values */
	bool		deferred;		/* a value must not be evaluated by plain EXPLAIN */
	List	   *unpushed;		/* String: conditions on the column not sent */
	double		iterations;		/* a guess of the iterations the range makes */
} BfRangeQuals;

/*
 * At plan time: the bounds among clauses (RestrictInfos) on column attnum
 * of baserel.  A value side may hold other relations' columns (a join
 * clause of a parameterized path: they become nestloop parameters) but
 * none of baserel's.
 */
extern void bf_range_extract(PlannerInfo *root, RelOptInfo *baserel, List *clauses,
							 AttrNumber attnum, BfRangeQuals *out);

/* Is node column attnum of relation relid (perhaps under a binary-compatible cast)? */
extern bool bf_is_range_var(Node *node, Index relid, AttrNumber attnum);

/* Is this RestrictInfo a join clause that bounds column attnum of baserel? */
extern bool bf_range_join_clause(PlannerInfo *root, RelOptInfo *baserel,
								 RestrictInfo *rinfo, AttrNumber attnum);

/* One run: the endpoint once over [start, end]; NULL is an open end. */
typedef struct BfRangeRun
{
	char	   *start;
	char	   *end;
} BfRangeRun;

/* What a scan's range came to at execution. */
typedef struct BfRange
{
	bool		bounded;		/* some clause bounds the column */
	int			nruns;			/* 0 when bounded: nothing can match */
	BfRangeRun *runs;			/* in ascending order, disjoint */
} BfRange;

/*
 * At execution: evaluate the bound values (ExprStates of the exprs above)
 * and combine them into disjoint runs, in the spec's text forms (dates
 * YYYY-MM-DD, timestamps ISO 8601, numbers as decimals).
 */
extern void bf_range_evaluate(List *info, List *exprstates, ExprContext *econtext,
							  BfRange *out);

/*
 * backfill_into's range_start or range_end (argname) for range column
 * attnum of foreign table relid: the text through the column type's input
 * (so 'Feb 1 2024' and 'yesterday' work), given back in the form a WHERE
 * bound reaches the spec in.  A bad value is an error naming the column
 * and the value, with the input function's SQLSTATE.
 */
extern char *bf_range_input(Oid relid, AttrNumber attnum, const char *argname,
							const char *value);

#endif							/* PG_RANGE_H */
