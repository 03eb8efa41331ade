/*-------------------------------------------------------------------------
 *
 * pg_partition.c
 *		  Partitioned targets of backfill_into: which unique index an
 *		  upsert into one may use, the partitions a range needs, and the
 *		  default partition no row of a run may reach.
 *
 * PostgreSQL requires the partition key in every unique index of a
 * partitioned table, so a target partitioned by date and keyed by the
 * spec's [event_id] has a unique index on (event_id, date): the upsert
 * takes that one, and a record whose date changes becomes a second row.
 *
 * Before the rows, a target RANGE-partitioned by the range column gets
 * the partitions the load's range lacks (the gaps, read from the
 * partition bounds of the relcache): cut at the target_partition interval
 * and created with CREATE TABLE ... PARTITION OF, or, when pg_partman
 * manages the target (its part_config), made by pg_partman's
 * create_partition_time at the times its show_partition_name gives.  Both
 * run as the caller, who must own the target and may create tables in its
 * schema, and are checked afterwards: a range still not covered is an
 * error listing the gaps, as it is when neither way applies.  A row that
 * still lands in the default partition (a run whose range the spec picks)
 * fails the run: backfill_into never leaves rows there by surprise.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "partitioning/partbounds.h"
#include "partitioning/partdesc.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pg/pg_partition.h"

/* The most partitions one load creates: each holds locks until it commits. */
#define MAX_NEW_PARTITIONS 1000

/* A piece of the range column's values that no partition holds. */
typedef struct BfGap
{
	Datum		lo;
	Datum		hi;
	bool		hi_inclusive;	/* [lo, hi] rather than [lo, hi) */
} BfGap;

/* The partition key of a target, while the target is open. */
typedef struct BfKey
{
	Relation	rel;
	PartitionKey key;
	Oid			typid;
	const char *type_sql;		/* the key's type, for casts */
	bool		is_time;		/* date, timestamp or timestamptz */
} BfKey;

/* Append name to *cols unless it is there. */
static void
append_unique_name(List **cols, const char *name)
{
	ListCell   *lc;

	foreach(lc, *cols)
	{
		if (strcmp((char *) lfirst(lc), name) == 0)
			return;
	}
	*cols = lappend(*cols, pstrdup(name));
}

/* bf_partition_columns' walk down the partitioned tables of a tree. */
static void
collect_partition_columns(Oid relid, List **cols)
{
	Relation	rel;
	PartitionKey key;
	PartitionDesc desc;
	int			i;

	if (get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE)
		return;
	rel = table_open(relid, AccessShareLock);
	key = RelationGetPartitionKey(rel);
	for (i = 0; i < key->partnatts; i++)
	{
		if (key->partattrs[i] != 0)
			append_unique_name(cols, get_attname(relid, key->partattrs[i], false));
	}
	desc = RelationGetPartitionDesc(rel, true);
	for (i = 0; i < desc->nparts; i++)
	{
		if (!desc->is_leaf[i])
			collect_partition_columns(desc->oids[i], cols);
	}
	table_close(rel, AccessShareLock);
}

List *
bf_partition_columns(Oid relid)
{
	List	   *cols = NIL;

	collect_partition_columns(relid, &cols);
	return cols;
}

/* Is typid one a time interval (date_trunc) applies to? */
static bool
is_time_type(Oid typid)
{
	return typid == DATEOID || typid == TIMESTAMPOID || typid == TIMESTAMPTZOID;
}

const char *
bf_partition_column(Oid ftrelid, const char *range_column, const char *relname)
{
	AttrNumber	attnum = get_attnum(ftrelid, range_column);
	Oid			typid;

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("range_column \"%s\" is not a column of foreign table \"%s\"",
						range_column, relname)));
	typid = get_atttype(ftrelid, attnum);
	if (!is_time_type(typid))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("option \"target_partition\" of foreign table \"%s\" needs a range column of type date, timestamp or timestamptz",
						relname),
				 errdetail("Range column \"%s\" is of type %s.", range_column,
						   format_type_be(typid))));
	return range_column;
}

/* The partition key's order of a and b (<0, 0, >0). */
static int32
key_cmp(const BfKey *k, Datum a, Datum b)
{
	return DatumGetInt32(FunctionCall2Coll(&k->key->partsupfunc[0],
										   k->key->partcollation[0], a, b));
}

/*
 * The pieces of [lo, hi] (hi_inclusive) or [lo, hi) that no partition but
 * the default holds, read from the bounds: each bound's partition is the
 * one whose lower bound it is (PostgreSQL's own routing, as in
 * get_partition_for_tuple).
 */
static List *
range_gaps(const BfKey *k, Datum lo, Datum hi, bool hi_inclusive)
{
	PartitionBoundInfo bi = RelationGetPartitionDesc(k->rel, true)->boundinfo;
	List	   *gaps = NIL;
	Datum		p = lo;

	for (;;)
	{
		int			off = -1;
		int			part = -1;
		bool		has_next;
		bool		last;
		Datum		next = (Datum) 0;

		if (bi != NULL && bi->ndatums > 0)
		{
			bool		equal;

			off = partition_range_datum_bsearch(k->key->partsupfunc,
												k->key->partcollation,
												bi, 1, &p, &equal);
			part = bi->indexes[off + 1];
		}
		has_next = (bi != NULL && off + 1 < bi->ndatums &&
					bi->kind[off + 1][0] == PARTITION_RANGE_DATUM_VALUE);
		if (has_next)
			next = bi->datums[off + 1][0];
		last = !has_next || key_cmp(k, next, hi) > (hi_inclusive ? 0 : -1);
		if (part < 0)
		{
			BfGap	   *g = palloc(sizeof(BfGap));

			g->lo = p;
			g->hi = last ? hi : next;
			g->hi_inclusive = last && hi_inclusive;
			gaps = lappend(gaps, g);
		}
		if (last)
			break;
		p = next;
	}
	return gaps;
}

/* A value of the key's type as text. */
static char *
key_out(const BfKey *k, Datum v)
{
	Oid			out;
	bool		varlena;

	getTypeOutputInfo(k->typid, &out, &varlena);
	return OidOutputFunctionCall(out, v);
}

/* The gaps as "[a, b), [c, d]", for messages. */
static char *
gaps_text(const BfKey *k, List *gaps)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, gaps)
	{
		BfGap	   *g = (BfGap *) lfirst(lc);

		appendStringInfo(&buf, "%s[%s, %s%c", buf.len > 0 ? ", " : "",
						 key_out(k, g->lo), key_out(k, g->hi), g->hi_inclusive ? ']' : ')');
	}
	return buf.data;
}

/*
 * The load's range as values of the key's type.  A missing end of a time
 * range is now; a missing start, the earlier of the end and now (the spec
 * picks the rest, and the default-partition check watches it).  False when
 * there is nothing to cover: no range on a key that is not a time.
 */
static bool
range_values(const BfKey *k, const BfPartitionLoad *pl, Datum *lo, Datum *hi)
{
	Oid			in;
	Oid			ioparam;
	Datum		now = (Datum) 0;
	int32		typmod = k->key->parttypmod[0];

	if (!k->is_time && (pl->range_start == NULL || pl->range_end == NULL))
		return false;
	if (k->is_time)
	{
		TimestampTz ts = GetCurrentTransactionStartTimestamp();

		if (k->typid == TIMESTAMPTZOID)
			now = TimestampTzGetDatum(ts);
		else if (k->typid == TIMESTAMPOID)
			now = DirectFunctionCall1(timestamptz_timestamp, TimestampTzGetDatum(ts));
		else
			now = DirectFunctionCall1(timestamptz_date, TimestampTzGetDatum(ts));
	}
	getTypeInputInfo(k->typid, &in, &ioparam);
	if (pl->range_end != NULL)
		*hi = OidInputFunctionCall(in, (char *) pl->range_end, ioparam, typmod);
	if (pl->range_start != NULL)
		*lo = OidInputFunctionCall(in, (char *) pl->range_start, ioparam, typmod);
	else
		*lo = (pl->range_end != NULL && key_cmp(k, *hi, now) < 0) ? *hi : now;
	if (pl->range_end == NULL)
		*hi = key_cmp(k, *lo, now) > 0 ? *lo : now;
	return key_cmp(k, *lo, *hi) <= 0;
}

/*
 * Why the caller may not make the target's partitions, or NULL: they must
 * own the target (PostgreSQL's rule for a partition) and may create
 * tables in its schema.  Checked first, for an error that says so.
 */
static char *
create_denied(const BfKey *k, const BfPartitionLoad *pl)
{
	Oid			nsp = RelationGetNamespace(k->rel);
	const char *role = GetUserNameFromId(GetUserId(), false);

	if (!pg_class_ownercheck(pl->target, GetUserId()))
		return psprintf("role \"%s\" does not own it", role);
	if (pg_namespace_aclcheck(nsp, GetUserId(), ACL_CREATE) != ACLCHECK_OK)
		return psprintf("role \"%s\" may not create tables in schema \"%s\"", role,
						get_namespace_name(nsp));
	return NULL;
}

/* Run a statement as the caller, through SPI. */
static void
run_sql(const char *sql, int nargs, Oid *types, Datum *values)
{
	int			ret = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);

	if (ret < 0)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
}

/* The name of a new partition: the target's, clipped to fit, and a suffix. */
static char *
partition_name(const BfKey *k, const char *suffix)
{
	const char *parent = RelationGetRelationName(k->rel);
	int			room = NAMEDATALEN - 1 - (int) strlen(suffix) - 2;
	int			len = pg_mbcliplen(parent, strlen(parent), Max(room, 1));

	return quote_qualified_identifier(get_namespace_name(RelationGetNamespace(k->rel)),
									  psprintf("%.*s_p%s", len, parent, suffix));
}

/* A value's text with every character but letters and digits as "_". */
static char *
name_suffix(const char *text)
{
	char	   *s = pstrdup(text);
	char	   *c;

	for (c = s; *c; c++)
	{
		if (!isalnum((unsigned char) *c))
			*c = '_';
	}
	return s;
}

/* At most MAX_NEW_PARTITIONS partitions (n) in one load, before any is made. */
static void
check_new_partitions(const BfPartitionLoad *pl, int n)
{
	if (n > MAX_NEW_PARTITIONS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the range of this backfill needs %d new partitions of target table %s, more than %d in one transaction",
						n, pl->target_sql, MAX_NEW_PARTITIONS),
				 errhint("Backfill a shorter range first, or partition by a longer interval.")));
}

/* The to_char pattern of a partition's suffix, per interval. */
static const char *
suffix_pattern(const char *unit)
{
	if (strcmp(unit, "day") == 0)
		return "YYYY_MM_DD";
	if (strcmp(unit, "week") == 0)
		return "IYYY\"w\"IW";
	if (strcmp(unit, "month") == 0)
		return "YYYY_MM";
	return "YYYY";
}

/*
 * Create the missing partitions natively: each interval of the range
 * (date_trunc of unit, in the session's time zone for timestamptz) not
 * covered gets a partition; one partly covered gets the part that is not.
 * The target is closed (its lock kept) before, since CREATE TABLE ...
 * PARTITION OF refuses a table this session has open.
 */
static void
create_native(const BfKey *k, const BfPartitionLoad *pl, Datum lo, Datum hi)
{
	const char *base = k->typid == TIMESTAMPTZOID ? "pg_catalog.timestamptz" : "pg_catalog.timestamp";
	Oid			types[5] = {k->typid, k->typid, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[5];
	List	   *pieces = NIL;	/* BfGap, with the name in a parallel list */
	List	   *names = NIL;
	ListCell   *lc;
	ListCell   *ln;
	uint64		i;

	values[0] = lo;
	values[1] = hi;
	values[2] = CStringGetTextDatum(psprintf("1 %s", pl->unit));
	values[3] = CStringGetTextDatum(suffix_pattern(pl->unit));
	values[4] = CStringGetTextDatum(pl->unit);
	run_sql(psprintf("SELECT s::%s, (s OPERATOR(pg_catalog.+) $3::pg_catalog.interval)::%s,"
					 " pg_catalog.to_char(s, $4)"
					 " FROM pg_catalog.generate_series(pg_catalog.date_trunc($5, $1::%s),"
					 "  $2::%s, $3::pg_catalog.interval) s",
					 k->type_sql, k->type_sql, base, base),
			5, types, values);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		s_lo = SPI_getbinval(tup, td, 1, &isnull);
		Datum		s_hi = SPI_getbinval(tup, td, 2, &isnull);
		char	   *suffix = SPI_getvalue(tup, td, 3);

		foreach(lc, range_gaps(k, s_lo, s_hi, false))
		{
			BfGap	   *g = (BfGap *) lfirst(lc);
			bool		whole = key_cmp(k, g->lo, s_lo) == 0 && key_cmp(k, g->hi, s_hi) == 0;

			pieces = lappend(pieces, g);
			names = lappend(names, partition_name(k, whole ? suffix : name_suffix(key_out(k, g->lo))));
		}
	}
	check_new_partitions(pl, list_length(pieces));
	table_close(k->rel, NoLock);
	forboth(lc, pieces, ln, names)
	{
		BfGap	   *g = (BfGap *) lfirst(lc);

		run_sql(psprintf("CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%s) TO (%s)",
						 (char *) lfirst(ln), pl->target_sql,
						 quote_literal_cstr(key_out(k, g->lo)),
						 quote_literal_cstr(key_out(k, g->hi))),
				0, NULL, NULL);
	}
	if (pieces != NIL)
		ereport(NOTICE,
				(errmsg("created %d partition%s of target table %s for the range: %s%s%s",
						list_length(pieces), list_length(pieces) == 1 ? "" : "s",
						pl->target_sql, (char *) linitial(names),
						list_length(names) > 1 ? " .. " : "",
						list_length(names) > 1 ? (char *) llast(names) : "")));
}

/* The target as pg_partman's part_config names a parent: schema.table, unquoted. */
static char *
partman_parent(const BfKey *k)
{
	return psprintf("%s.%s", get_namespace_name(RelationGetNamespace(k->rel)),
					RelationGetRelationName(k->rel));
}

/*
 * The schema of pg_partman when it manages the target (a row of its
 * part_config), with the interval there in *interval; else NULL.
 */
static char *
partman_schema(const BfKey *k, char **interval)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	char	   *nsp;

	if (!OidIsValid(get_extension_oid("pg_partman", true)) || !k->is_time)
		return NULL;
	run_sql("SELECT n.nspname FROM pg_catalog.pg_extension e"
			" JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace"
			" WHERE e.extname OPERATOR(pg_catalog.=) 'pg_partman'", 0, NULL, NULL);
	if (SPI_processed != 1)
		return NULL;
	nsp = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	values[0] = CStringGetTextDatum(partman_parent(k));
	run_sql(psprintf("SELECT c.partition_interval FROM %s.part_config c"
					 " WHERE c.parent_table OPERATOR(pg_catalog.=) $1",
					 quote_identifier(nsp)), 1, types, values);
	if (SPI_processed != 1)
		return NULL;
	*interval = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return nsp;
}

/*
 * Ask pg_partman for the missing partitions: a time every interval from lo
 * and hi itself hits every partition the range meets; those in a gap go
 * to create_partition_time at the starts show_partition_name aligns them
 * to (partman's naming, template and privileges).  The target is closed
 * (its lock kept) before, as for create_native.
 */
static void
create_by_partman(const BfKey *k, const BfPartitionLoad *pl, const char *nsp,
				  const char *interval, Datum lo, Datum hi)
{
	const char *base = k->typid == TIMESTAMPTZOID ? "pg_catalog.timestamptz" : "pg_catalog.timestamp";
	const char *q = quote_identifier(nsp);
	Oid			types[3] = {k->typid, k->typid, TEXTOID};
	Datum		values[3];
	Datum	   *points;
	int			n = 0;
	uint64		i;
	Oid			ctypes[2] = {TEXTOID, TEXTARRAYOID};
	Datum		cvalues[2];
	char	   *config_name = partman_parent(k);

	values[0] = lo;
	values[1] = hi;
	values[2] = CStringGetTextDatum(interval);
	run_sql(psprintf("SELECT p::%s FROM pg_catalog.generate_series($1::%s, $2::%s,"
					 " $3::pg_catalog.interval) p UNION ALL SELECT $2",
					 k->type_sql, base, base), 3, types, values);
	points = palloc(sizeof(Datum) * (SPI_processed + 1));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		p = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (range_gaps(k, p, p, true) != NIL)
			points[n++] = CStringGetTextDatum(key_out(k, p));
	}
	check_new_partitions(pl, n);
	table_close(k->rel, NoLock);
	if (n == 0)
		return;
	cvalues[0] = CStringGetTextDatum(config_name);
	cvalues[1] = PointerGetDatum(construct_array(points, n, TEXTOID, -1, false, TYPALIGN_INT));
	run_sql(psprintf("SELECT %s.create_partition_time($1, ARRAY("
					 "SELECT DISTINCT (%s.show_partition_name($1, p)).suffix_timestamp"
					 " FROM pg_catalog.unnest($2) p ORDER BY 1))", q, q),
			2, ctypes, cvalues);
}

/*
 * Open the target and read its partition key, when it is RANGE-partitioned
 * by the one column named column; else false (the target is closed).
 */
static bool
open_key(const BfPartitionLoad *pl, BfKey *k)
{
	if (pl->column == NULL || get_rel_relkind(pl->target) != RELKIND_PARTITIONED_TABLE)
		return false;
	k->rel = table_open(pl->target, AccessShareLock);
	k->key = RelationGetPartitionKey(k->rel);
	if (k->key->strategy != PARTITION_STRATEGY_RANGE || k->key->partnatts != 1 ||
		k->key->partattrs[0] != get_attnum(pl->target, pl->column))
	{
		table_close(k->rel, AccessShareLock);
		return false;
	}
	k->typid = k->key->parttypid[0];
	k->type_sql = format_type_be_qualified(k->typid);
	k->is_time = is_time_type(k->typid);
	return true;
}

BfDefaultWatch
bf_prepare_partitions(const BfPartitionLoad *pl)
{
	BfDefaultWatch w = {InvalidOid, InvalidCommandId};
	BfKey		k;
	Datum		lo = (Datum) 0;
	Datum		hi = (Datum) 0;
	List	   *gaps;
	char	   *interval = NULL;
	char	   *nsp = NULL;
	char	   *denied = NULL;
	bool		explicit_range = pl->range_start != NULL && pl->range_end != NULL;
	int			before;
	Oid			def;

	if (!open_key(pl, &k))
		return w;
	if (range_values(&k, pl, &lo, &hi) && (gaps = range_gaps(&k, lo, hi, true)) != NIL &&
		((nsp = partman_schema(&k, &interval)) != NULL || pl->unit != NULL ||
		 explicit_range) &&
		((denied = create_denied(&k, pl)) == NULL || explicit_range))
	{
		if (nsp == NULL && pl->unit == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("target table %s has no partition for \"%s\" in %s",
							pl->target_sql, pl->column, gaps_text(&k, gaps)),
					 errdetail("backfill_into creates missing partitions when foreign table \"%s\" has the option target_partition or pg_partman manages the target, and never leaves rows in a default partition.",
							   pl->relname),
					 errhint("Create them, or set the interval: ALTER FOREIGN TABLE %s OPTIONS (ADD target_partition 'month');",
							 quote_identifier(pl->relname))));
		if (denied != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("cannot create the partitions of target table %s that the range needs: %s",
							pl->target_sql, denied),
					 errdetail("No partition holds \"%s\" in %s.", pl->column, gaps_text(&k, gaps)),
					 errhint("Partitions are created as the caller of backfill_into: have the owner of %s create them, or run this backfill once.",
							 pl->target_sql)));
		before = RelationGetPartitionDesc(k.rel, true)->nparts;
		if (nsp != NULL)
			create_by_partman(&k, pl, nsp, interval, lo, hi);
		else
			create_native(&k, pl, lo, hi);
		CommandCounterIncrement();
		if (!open_key(pl, &k))
			elog(ERROR, "target table %s lost its partition key", pl->target_sql);
		if (nsp != NULL)
			ereport(NOTICE,
					(errmsg("pg_partman created %d partition%s of target table %s for the range",
							RelationGetPartitionDesc(k.rel, true)->nparts - before,
							RelationGetPartitionDesc(k.rel, true)->nparts - before == 1 ? "" : "s",
							pl->target_sql)));
		/* what the new partitions leave uncovered: pg_partman's own limits */
		gaps = range_gaps(&k, lo, hi, true);
		if (gaps != NIL)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("target table %s still has no partition for \"%s\" in %s",
							pl->target_sql, pl->column, gaps_text(&k, gaps)),
					 errdetail("pg_partman did not create them (its configuration limits the partition set).")));
	}
	def = get_default_oid_from_partdesc(RelationGetPartitionDesc(k.rel, true));
	if (OidIsValid(def) && get_rel_relkind(def) == RELKIND_RELATION)
		w.part = def;
	table_close(k.rel, AccessShareLock);
	CommandCounterIncrement();
	w.since = GetCurrentCommandId(false);
	return w;
}

/*
 * The run's rows are those whose xmin is this transaction (or a
 * subtransaction of it) and whose cmin is not before the run's first
 * command: a row the caller wrote there earlier in the transaction is not
 * the run's.
 */
void
bf_check_default_partition(const BfPartitionLoad *pl, const BfDefaultWatch *w)
{
	Relation	rel;
	TableScanDesc scan;
	TupleTableSlot *slot;
	AttrNumber	attnum;
	int64		count = 0;
	char	   *first = NULL;

	if (!OidIsValid(w->part))
		return;
	CommandCounterIncrement();
	rel = table_open(w->part, AccessShareLock);
	/* xmin and cmin say which rows this run wrote: a heap's, not another AM's */
	if (rel->rd_tableam != GetHeapamTableAmRoutine())
	{
		table_close(rel, AccessShareLock);
		return;
	}
	attnum = get_attnum(w->part, pl->column);
	/* the run's own rows, in any isolation level: SnapshotSelf sees them */
	scan = table_beginscan(rel, SnapshotSelf, 0, NULL);
	slot = table_slot_create(rel, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		should_free;
		HeapTuple	tup = ExecFetchSlotHeapTuple(slot, false, &should_free);
		HeapTupleHeader h = tup->t_data;

		if (TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(h)) &&
			HeapTupleHeaderGetCmin(h) >= w->since)
		{
			if (first == NULL)
			{
				bool		isnull;
				Datum		v = slot_getattr(slot, attnum, &isnull);
				Oid			out;
				bool		varlena;

				getTypeOutputInfo(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid,
								  &out, &varlena);
				first = isnull ? "NULL" : OidOutputFunctionCall(out, v);
			}
			count++;
		}
		if (should_free)
			heap_freetuple(tup);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	if (count > 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("%lld row%s of foreign table \"%s\" would land in the default partition %s of target table %s",
						(long long) count, count == 1 ? "" : "s", pl->relname,
						quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												   RelationGetRelationName(rel)),
						pl->target_sql),
				 errdetail("No other partition holds \"%s\" = %s%s.", pl->column, first,
						   count > 1 ? " (the first of them)" : ""),
				 errhint("Backfill that range with range_start and range_end, which creates its partitions first, or create them.")));
	table_close(rel, AccessShareLock);
}
