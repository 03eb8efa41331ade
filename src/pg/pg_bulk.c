/*-------------------------------------------------------------------------
 *
 * pg_bulk.c
 *		  backfill_into's append (an endpoint without primary_key) through
 *		  COPY FROM's multi-insert.
 *
 * COPY FROM batches its rows into table_multi_insert and keeps everything
 * an INSERT does: column defaults and generated columns, NOT NULL and
 * CHECK constraints, indexes and unique checks, statement and row
 * triggers (a BEFORE or INSTEAD row trigger makes COPY insert row by row,
 * as it should), partition routing.  Its data source is a callback: here
 * a cursor over the foreign table, whose rows are written as COPY text
 * through their types' output functions, in the database's encoding.
 *
 * What COPY's command (DoCopy) checks before it starts is done here the
 * same way: the caller's INSERT privilege on the target and its columns
 * (ExecCheckRTPerms over the one range-table entry COPY's executor then
 * uses).  COPY FROM refuses a target with row-level security in force, so
 * there bf_bulk_append declines and the caller appends with INSERT,
 * whose policies apply; so it does for a target that is no table (a view
 * an INSERT updates through, a foreign table).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "commands/copy.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "parser/parse_relation.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "pg/pg_bulk.h"

/* Rows fetched from the cursor at a time. */
#define BULK_FETCH 1000

/*
 * The cursor COPY reads from.  COPY's data source callback takes no
 * argument, so the one load in progress is here (loads do not nest: a
 * trigger of the target that runs backfill_into meets the INSERT path).
 */
typedef struct BulkSource
{
	Portal		portal;
	int			ncols;
	FmgrInfo   *out;			/* each column's output function */
	StringInfoData buf;			/* COPY text not yet handed to COPY */
	int			pos;
	bool		done;
	MemoryContext rows_cxt;		/* the output functions' memory, per fetch */
} BulkSource;

static BulkSource *bulk_source = NULL;

/* Append a value as COPY's text format writes it: \, newline, CR, tab escaped. */
static void
append_escaped(StringInfo buf, const char *s)
{
	for (; *s; s++)
	{
		switch (*s)
		{
			case '\\':
				appendBinaryStringInfo(buf, "\\\\", 2);
				break;
			case '\n':
				appendBinaryStringInfo(buf, "\\n", 2);
				break;
			case '\r':
				appendBinaryStringInfo(buf, "\\r", 2);
				break;
			case '\t':
				appendBinaryStringInfo(buf, "\\t", 2);
				break;
			default:
				appendStringInfoChar(buf, *s);
		}
	}
}

/* The next rows of the cursor, as COPY text after what is left of buf. */
static void
bulk_refill(BulkSource *src)
{
	MemoryContext old;
	uint64		i;

	if (src->pos > 0)
	{
		memmove(src->buf.data, src->buf.data + src->pos, src->buf.len - src->pos);
		src->buf.len -= src->pos;
		src->buf.data[src->buf.len] = '\0';
		src->pos = 0;
	}
	SPI_cursor_fetch(src->portal, true, BULK_FETCH);
	if (SPI_processed == 0)
		src->done = true;
	old = MemoryContextSwitchTo(src->rows_cxt);
	for (i = 0; i < SPI_processed; i++)
	{
		int			c;

		for (c = 0; c < src->ncols; c++)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, c + 1, &isnull);

			if (c > 0)
				appendStringInfoChar(&src->buf, '\t');
			if (isnull)
				appendBinaryStringInfo(&src->buf, "\\N", 2);
			else
				append_escaped(&src->buf, OutputFunctionCall(&src->out[c], d));
		}
		appendStringInfoChar(&src->buf, '\n');
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(src->rows_cxt);
	SPI_freetuptable(SPI_tuptable);
}

/* COPY's data source: at least minread bytes (0 at the end), at most maxread. */
static int
bulk_read(void *outbuf, int minread, int maxread)
{
	BulkSource *src = bulk_source;
	int			n;

	while (src->buf.len - src->pos < minread && !src->done)
		bulk_refill(src);
	n = Min(maxread, src->buf.len - src->pos);
	memcpy(outbuf, src->buf.data + src->pos, n);
	src->pos += n;
	return n;
}

/*
 * The one range-table entry of the target, with the columns the load
 * writes, checked for INSERT as DoCopy checks it.
 */
static void
check_insert_privilege(ParseState *pstate, Relation rel, List *columns)
{
	ParseNamespaceItem *nsitem = addRangeTableEntryForRelation(pstate, rel, RowExclusiveLock,
															   NULL, false, false);
	RangeTblEntry *rte = nsitem->p_rte;
	ListCell   *lc;

	rte->requiredPerms = ACL_INSERT;
	foreach(lc, columns)
	{
		AttrNumber	attno = attnameAttNum(rel, strVal(lfirst(lc)), false);

		rte->insertedCols = bms_add_member(rte->insertedCols,
										   attno - FirstLowInvalidHeapAttributeNumber);
	}
	ExecCheckRTPerms(pstate->p_rtable, true);
}

bool
bf_bulk_append(Oid target, List *column_names, const char *select_sql, uint64 *rows)
{
	Relation	rel;
	ParseState *pstate;
	CopyFromState cstate;
	BulkSource	src;
	List	   *attnames = NIL;
	List	   *options;
	ListCell   *lc;
	SPIPlanPtr	plan;
	char		relkind;
	int			c;

	/* COPY takes tables (partitioned ones too); a view INSERT may update, not */
	relkind = get_rel_relkind(target);
	if ((relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE) ||
		check_enable_rls(target, InvalidOid, false) == RLS_ENABLED || bulk_source != NULL)
		return false;
	foreach(lc, column_names)
		attnames = lappend(attnames, makeString((char *) lfirst(lc)));

	rel = table_open(target, RowExclusiveLock);
	pstate = make_parsestate(NULL);
	check_insert_privilege(pstate, rel, attnames);

	memset(&src, 0, sizeof(src));
	plan = SPI_prepare(select_sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	src.portal = SPI_cursor_open(NULL, plan, NULL, NULL, false);
	src.ncols = list_length(column_names);
	src.out = palloc(sizeof(FmgrInfo) * src.ncols);
	for (c = 0; c < src.ncols; c++)
	{
		Oid			func;
		bool		varlena;

		getTypeOutputInfo(SPI_gettypeid(src.portal->tupDesc, c + 1), &func, &varlena);
		fmgr_info(func, &src.out[c]);
	}
	initStringInfo(&src.buf);
	src.rows_cxt = AllocSetContextCreate(CurrentMemoryContext, "backfill_fdw bulk rows",
										 ALLOCSET_DEFAULT_SIZES);
	options = list_make1(makeDefElem("encoding",
									 (Node *) makeString(pstrdup(GetDatabaseEncodingName())), -1));

	bulk_source = &src;
	PG_TRY();
	{
		cstate = BeginCopyFrom(pstate, rel, NULL, NULL, false, bulk_read, attnames, options);
		*rows = CopyFrom(cstate);
		EndCopyFrom(cstate);
	}
	PG_FINALLY();
	{
		bulk_source = NULL;
	}
	PG_END_TRY();
	SPI_cursor_close(src.portal);
	MemoryContextDelete(src.rows_cxt);
	free_parsestate(pstate);
	table_close(rel, NoLock);
	return true;
}
