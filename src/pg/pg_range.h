/*-------------------------------------------------------------------------
 *
 * pg_range.h
 *		  WHERE clauses on a foreign table's range column, turned into the
 *		  range the spec sees as context.range_start / context.range_end.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_RANGE_H
#define PG_RANGE_H

#include "postgres.h"

#include "pg/pg_jsonc.h"

#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"

/*
 * At plan time: the bounds among clauses (RestrictInfos) on column attnum
 * of the relation with index relid.  *exprs gets the expressions to
 * evaluate at execution (constants, parameters, stable expressions, cast
 * to the column's type); the result (for fdw_private) says what each one
 * bounds.  NIL when no clause bounds the column.
 */
extern List *bf_range_extract(PlannerInfo *root, RelOptInfo *baserel, List *clauses,
							  AttrNumber attnum, List **exprs);

/* What a scan's range came to at execution. */
typedef struct BfRange
{
	bool		bounded;		/* some clause bounds the column */
	bool		empty;			/* the bounds exclude every value: send nothing */
	char	   *start;			/* context.range_start, or NULL */
	char	   *end;			/* context.range_end, or NULL */
} BfRange;

/*
 * At execution: evaluate the bound expressions (ExprStates of the exprs
 * above) and combine them to the tightest range, in the spec's text forms
 * (dates YYYY-MM-DD, timestamps ISO 8601, numbers as decimals).
 */
extern void bf_range_evaluate(List *info, List *exprstates, ExprContext *econtext,
							  BfRange *out);

#endif							/* PG_RANGE_H */
