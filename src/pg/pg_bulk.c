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
 * a cursor over the foreign table, whose rows are written in COPY's binary
 * format when every column has the target column's type (and the session
 * converts no text: its client encoding is the database's), so that COPY
 * takes each value as it is (its type's receive function) instead of
 * printing and parsing it again; else as COPY text through the types'
 * output functions, in the database's encoding, which the target's input
 * functions read as an INSERT's assignment would.
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
#include "catalog/pg_type.h"
#include "catalog/pg_class.h"
#include "commands/copy.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "parser/parse_relation.h"
#include "tcop/pquery.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "pg/pg_bulk.h"

/* Rows fetched from the cursor at a time. */
#define BULK_FETCH 1000

/* COPY's binary signature, its flags and its header extension length. */
static const char binary_signature[11] = "PGCOPY\n\377\r\n\0";

/*
 * How a column's values are written in binary: most types by their send
 * function, the common ones by the bytes that function would send, without
 * its call and its allocation.
 */
typedef enum BulkEncoding
{
	BULK_SEND,					/* the type's send function */
	BULK_INT16,
	BULK_INT32,					/* int4, date */
	BULK_INT64,					/* int8, timestamp, timestamptz */
	BULK_FLOAT4,
	BULK_FLOAT8,
	BULK_BOOL,
	BULK_TEXT					/* text, varchar, bpchar: the bytes */
} BulkEncoding;

/*
 * The cursor COPY reads from.  COPY's data source callback takes no
 * argument, so the one load in progress is here (loads do not nest: a
 * trigger of the target that runs backfill_into meets the INSERT path).
 */
typedef struct BulkSource
{
	Portal		portal;
	int			ncols;
	bool		binary;			/* COPY's binary format, else text */
	FmgrInfo   *out;			/* each column's output or send function */
	BulkEncoding *enc;			/* binary: how each column is written */
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

/* One value in COPY's binary format: its length, then its bytes. */
static void
append_binary(BulkSource *src, int c, Datum d)
{
	StringInfo	buf = &src->buf;

	switch (src->enc[c])
	{
		case BULK_INT16:
			pq_sendint32(buf, 2);
			pq_sendint16(buf, DatumGetInt16(d));
			break;
		case BULK_INT32:
			pq_sendint32(buf, 4);
			pq_sendint32(buf, DatumGetInt32(d));
			break;
		case BULK_INT64:
			pq_sendint32(buf, 8);
			pq_sendint64(buf, DatumGetInt64(d));
			break;
		case BULK_FLOAT4:
			pq_sendint32(buf, 4);
			pq_sendfloat4(buf, DatumGetFloat4(d));
			break;
		case BULK_FLOAT8:
			pq_sendint32(buf, 8);
			pq_sendfloat8(buf, DatumGetFloat8(d));
			break;
		case BULK_BOOL:
			pq_sendint32(buf, 1);
			pq_sendbyte(buf, DatumGetBool(d) ? 1 : 0);
			break;
		case BULK_TEXT:
			{
				text	   *t = DatumGetTextPP(d);

				pq_sendint32(buf, VARSIZE_ANY_EXHDR(t));
				pq_sendbytes(buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
				break;
			}
		case BULK_SEND:
			{
				bytea	   *b = SendFunctionCall(&src->out[c], d);

				pq_sendint32(buf, VARSIZE(b) - VARHDRSZ);
				pq_sendbytes(buf, VARDATA(b), VARSIZE(b) - VARHDRSZ);
				break;
			}
	}
}

/* One row as COPY text, its values through their output functions. */
static void
append_text_row(BulkSource *src, TupleTableSlot *slot)
{
	int			c;

	for (c = 0; c < src->ncols; c++)
	{
		if (c > 0)
			appendStringInfoChar(&src->buf, '\t');
		if (slot->tts_isnull[c])
			appendBinaryStringInfo(&src->buf, "\\N", 2);
		else
			append_escaped(&src->buf, OutputFunctionCall(&src->out[c], slot->tts_values[c]));
	}
	appendStringInfoChar(&src->buf, '\n');
}

/* One row in COPY's binary format: its field count, then each field. */
static void
append_binary_row(BulkSource *src, TupleTableSlot *slot)
{
	int			c;

	pq_sendint16(&src->buf, src->ncols);
	for (c = 0; c < src->ncols; c++)
	{
		if (slot->tts_isnull[c])
			pq_sendint32(&src->buf, -1);
		else
			append_binary(src, c, slot->tts_values[c]);
	}
}

/*
 * The cursor's receiver: each row written in COPY's format as the scan
 * makes it, straight from its slot (SPI's own receiver would first copy
 * it into a tuple of a table of results, to be taken apart again).
 */
typedef struct BulkReceiver
{
	DestReceiver pub;
	BulkSource *src;
} BulkReceiver;

static bool
bulk_receive_slot(TupleTableSlot *slot, DestReceiver *self)
{
	BulkSource *src = ((BulkReceiver *) self)->src;
	MemoryContext old = MemoryContextSwitchTo(src->rows_cxt);

	slot_getallattrs(slot);
	if (src->binary)
		append_binary_row(src, slot);
	else
		append_text_row(src, slot);
	MemoryContextSwitchTo(old);
	return true;
}

static void
bulk_receive_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
bulk_receive_shutdown(DestReceiver *self)
{
}

/* The next rows of the cursor, in COPY's format, after what is left of buf. */
static void
bulk_refill(BulkSource *src)
{
	BulkReceiver dest;

	if (src->pos > 0)
	{
		memmove(src->buf.data, src->buf.data + src->pos, src->buf.len - src->pos);
		src->buf.len -= src->pos;
		src->buf.data[src->buf.len] = '\0';
		src->pos = 0;
	}
	memset(&dest, 0, sizeof(dest));
	dest.pub.receiveSlot = bulk_receive_slot;
	dest.pub.rStartup = bulk_receive_startup;
	dest.pub.rShutdown = bulk_receive_shutdown;
	dest.pub.rDestroy = bulk_receive_shutdown;
	dest.pub.mydest = DestNone;
	dest.src = src;
	if (PortalRunFetch(src->portal, FETCH_FORWARD, BULK_FETCH, &dest.pub) == 0)
	{
		src->done = true;
		if (src->binary)
			pq_sendint16(&src->buf, -1);	/* the file trailer */
	}
	MemoryContextReset(src->rows_cxt);
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

/* The binary encoding of a column of type typid. */
static BulkEncoding
binary_encoding(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
			return BULK_INT16;
		case INT4OID:
		case DATEOID:
			return BULK_INT32;
		case INT8OID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return BULK_INT64;
		case FLOAT4OID:
			return BULK_FLOAT4;
		case FLOAT8OID:
			return BULK_FLOAT8;
		case BOOLOID:
			return BULK_BOOL;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			return BULK_TEXT;
		default:
			return BULK_SEND;
	}
}

/* Does the type have a send or receive function (which)? */
static bool
has_io_function(Oid typid, IOFuncSelector which)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	char		typdelim;
	Oid			typioparam;
	Oid			func;

	get_type_io_data(typid, which, &typlen, &typbyval, &typalign, &typdelim,
					 &typioparam, &func);
	return OidIsValid(func);
}

/*
 * Can the rows go in COPY's binary format?  Only when each column of the
 * cursor has the target column's type (a receive function takes no other),
 * that type can be sent and received, and the session converts no text
 * (binary COPY's text goes from the client encoding to the database's).
 */
static bool
binary_possible(Relation rel, TupleDesc tupdesc, List *attnames)
{
	ListCell   *lc;
	int			c = 0;

	if (pg_get_client_encoding() != GetDatabaseEncoding())
		return false;
	foreach(lc, attnames)
	{
		AttrNumber	attno = attnameAttNum(rel, strVal(lfirst(lc)), false);
		Oid			typid = TupleDescAttr(RelationGetDescr(rel), attno - 1)->atttypid;

		if (SPI_gettypeid(tupdesc, ++c) != typid ||
			!has_io_function(typid, IOFunc_send) || !has_io_function(typid, IOFunc_receive))
			return false;
	}
	return true;
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
	src.enc = palloc(sizeof(BulkEncoding) * src.ncols);
	src.binary = binary_possible(rel, src.portal->tupDesc, attnames);
	for (c = 0; c < src.ncols; c++)
	{
		Oid			typid = SPI_gettypeid(src.portal->tupDesc, c + 1);
		Oid			func;
		bool		varlena;

		if (src.binary)
		{
			getTypeBinaryOutputInfo(typid, &func, &varlena);
			src.enc[c] = binary_encoding(typid);
		}
		else
			getTypeOutputInfo(typid, &func, &varlena);
		fmgr_info(func, &src.out[c]);
	}
	initStringInfo(&src.buf);
	src.rows_cxt = AllocSetContextCreate(CurrentMemoryContext, "backfill_fdw bulk rows",
										 ALLOCSET_DEFAULT_SIZES);
	if (src.binary)
	{
		appendBinaryStringInfo(&src.buf, binary_signature, sizeof(binary_signature));
		pq_sendint32(&src.buf, 0);
		pq_sendint32(&src.buf, 0);
		options = list_make1(makeDefElem("format", (Node *) makeString("binary"), -1));
	}
	else
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
