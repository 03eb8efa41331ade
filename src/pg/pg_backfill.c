/*-------------------------------------------------------------------------
 *
 * pg_backfill.c
 *		  backfill_into(), the windows of CALL backfill_fdw.backfill(),
 *		  backfill_server(), and the catalog they keep: sync state, run
 *		  history and progress.
 *
 * A load runs in its caller's transaction, in this order:
 *
 *	  1. the endpoint's advisory lock: one run at a time per server and
 *		 endpoint, the second waits (or, with wait => false, fails);
 *	  2. the spec, its primary_key mapped to columns, the target (created
 *		 when the table option names one that does not exist yet), its
 *		 unique index on those columns (plus partition columns on a
 *		 partitioned target) and the partitions the range needs
 *		 (pg_partition.c);
 *	  3. the stored sync values and progress, read after the lock with a
 *		 snapshot of their own, so a run that waited starts where the one
 *		 before it ended (in READ COMMITTED; REPEATABLE READ and
 *		 SERIALIZABLE cannot take a new snapshot, and fail with 40001 when
 *		 another run committed since theirs);
 *	  4. INSERT INTO target SELECT FROM foreign_table ON CONFLICT ... DO
 *		 UPDATE through SPI, with bf_active_run giving the scan its context
 *		 (pg_backfill.h), and no row of it left in a default partition;
 *		 without a primary key, an append through COPY's multi-insert from
 *		 a cursor over the foreign table (pg_bulk.c);
 *	  5. the sync values merged with the stored ones, the history row and,
 *		 for a window, its progress.
 *
 * Everything is in one transaction, so a failure leaves rows, state and
 * progress as they were.  The runner drops records whose primary key it
 * has seen in the run (first wins), which is also what keeps ON CONFLICT
 * DO UPDATE from meeting one row twice in a statement.
 *
 * The catalog is written as the role that owns it (pg_cron's way), so a
 * user who may read the foreign table and write the target needs no write
 * access to backfill_fdw's tables; the rows and the target are written as
 * the caller.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg/pg_jsonc.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/snapmgr.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "pg/pg_backfill.h"
#include "pg/pg_bulk.h"
#include "pg/pg_convert.h"
#include "pg/pg_options.h"
#include "pg/pg_partition.h"
#include "pg/pg_queue.h"
#include "pg/pg_range.h"
#include "pg/pg_util.h"

PG_FUNCTION_INFO_V1(backfill_fdw_backfill_into);
PG_FUNCTION_INFO_V1(backfill_fdw_backfill_window);
PG_FUNCTION_INFO_V1(backfill_fdw_record_failed_window);
PG_FUNCTION_INFO_V1(backfill_fdw_backfill_server);

/* What a history row says about one run; strings live in its context. */
typedef struct BfHistory
{
	MemoryContext cxt;
	char	   *foreign_table;
	char	   *endpoint;
	char	   *target;
	const char *mode;			/* a constant */
	char	   *range_start;
	char	   *range_end;
	long		first_iteration;
	long		iterations;
	BfRunStats	stats;
	int64		rows;
	TimestampTz started;
	Oid			serverid;		/* whose secrets an error is masked with */
	char	   *error;			/* a failed window's message, unmasked */
} BfHistory;

/* One load: the caller's arguments, what they resolve to, the result. */
typedef struct BfLoad
{
	Oid			ftrelid;
	char	   *range_start;	/* NULL: the spec's chain decides */
	char	   *range_end;
	Oid			target_arg;		/* InvalidOid: the table option */
	bool		wait;
	long		window;			/* iterations per window; 0: a whole run */
	long		resume_from;	/* a CALL's next iteration; -1: its first window */
	struct BfQueueSet *queues;	/* backfill_server's, which the load fills; or NULL */
	Snapshot	before_lock;	/* the caller's snapshot, taken before the lock */
	bool		finished_elsewhere;	/* a window another run's CALL loaded */

	BfTableOptions *opts;
	char	   *ft_sql;			/* the foreign table, quoted for SQL */
	List	   *columns;		/* its column names */
	List	   *key_columns;	/* those the spec's primary_key maps to */
	List	   *conflict_columns;	/* the upsert's: those and partition columns */
	Oid			target;
	char	   *target_sql;
	long		total_iterations;	/* a window's: of the whole range */
	BfHistory  *hist;
} BfLoad;

/*
 * The history of this session's latest window lives in window_cxt, a child
 * of TopMemoryContext, so that it outlives a rollback: failed_window points
 * to it once the window has started and until it succeeds, and
 * record_failed_window writes it after the rollback.  The next window
 * frees it.
 */
static MemoryContext window_cxt = NULL;
static BfHistory *failed_window = NULL;

/* The role that owns the catalog, which the catalog is written as. */
static Oid
catalog_owner(void)
{
	Oid			nsp = get_namespace_oid("backfill_fdw", false);
	Oid			relid = get_relname_relid("sync_state", nsp);
	HeapTuple	tp;
	Oid			owner;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table backfill_fdw.sync_state is missing"),
				 errhint("Reinstall the extension backfill_fdw.")));
	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
	ReleaseSysCache(tp);
	return owner;
}

/*
 * Run a statement on the catalog as its owner.  The statement's SQL names
 * every object and operator by schema, and it is parsed and run with
 * search_path = pg_catalog, pg_temp: the caller's search_path could put
 * its own "=" or function first, which would then run as the owner (what
 * PostgreSQL's SECURITY DEFINER functions guard against the same way, with
 * a GUC nest level of their own).  An error needs no restore: (sub)
 * transaction abort puts the user id and the GUC back.
 */
static void
catalog_run(const char *sql, int nargs, Oid *types, Datum *values,
			const char *nulls, bool read_only, Snapshot snapshot)
{
	Oid			save_user;
	int			save_sec;
	int			save_nestlevel;
	int			ret;

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(catalog_owner(), save_sec | SECURITY_LOCAL_USERID_CHANGE);
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	if (snapshot == InvalidSnapshot)
		ret = SPI_execute_with_args(sql, nargs, types, values, nulls, read_only, 0);
	else
	{
		SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		ret = SPI_execute_snapshot(plan, values, nulls, snapshot, InvalidSnapshot,
								   true, false, 0);
		SPI_freeplan(plan);
	}
	AtEOXact_GUC(true, save_nestlevel);
	SetUserIdAndSecContext(save_user, save_sec);
	if (ret < 0)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
}

/*
 * catalog_run with the snapshot SPI picks: read_only reads with the
 * caller's, otherwise (in READ COMMITTED) each statement takes a new one.
 */
static void
catalog_exec(const char *sql, int nargs, Oid *types, Datum *values,
			 const char *nulls, bool read_only)
{
	catalog_run(sql, nargs, types, values, nulls, read_only, InvalidSnapshot);
}

/* A relation's name, schema-qualified and quoted as SQL needs. */
static char *
qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/* text argument argno as a C string, or NULL. */
static char *
text_arg_or_null(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/* Refuse anything but a foreign table of ours before reading its options. */
static void
check_foreign_table(Oid relid)
{
	ForeignTable *table;
	ForeignDataWrapper *fdw;

	if (get_rel_name(relid) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("foreign table with OID %u does not exist", relid)));
	if (get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a foreign table", get_rel_name(relid))));
	table = GetForeignTable(relid);
	fdw = GetForeignDataWrapper(GetForeignServer(table->serverid)->fdwid);
	if (strcmp(fdw->fdwname, "backfill_fdw") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("foreign table \"%s\" is not a backfill_fdw table", get_rel_name(relid))));
}

/*
 * With a range column, the range means what a WHERE on it means: each end
 * goes through the column type's input and reaches the spec in the form a
 * WHERE bound does (pg_range.c); an infinite end is an open one.
 */
static void
range_input(BfLoad *load)
{
	AttrNumber	attnum;

	if (load->opts->range_column == NULL)
		return;
	attnum = get_attnum(load->ftrelid, load->opts->range_column);
	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("range_column \"%s\" is not a column of foreign table \"%s\"",
						load->opts->range_column, load->opts->relname)));
	if (load->range_start != NULL)
		load->range_start = bf_range_input(load->ftrelid, attnum, "range_start",
										   load->range_start);
	if (load->range_end != NULL)
		load->range_end = bf_range_input(load->ftrelid, attnum, "range_end",
										 load->range_end);
}

/*
 * " WHERE col >= start AND col <= end" on the range column, or "": the rows
 * written are exactly those a SELECT with that WHERE returns, whatever the
 * API sends beyond the range (an API with only a "since", say).
 */
static char *
range_filter(BfLoad *load)
{
	StringInfoData buf;
	AttrNumber	attnum;
	char	   *col;
	char	   *type;
	Oid			typid;
	int32		typmod;
	Oid			collid;

	if (load->opts->range_column == NULL ||
		(load->range_start == NULL && load->range_end == NULL))
		return "";
	attnum = get_attnum(load->ftrelid, load->opts->range_column);
	col = (char *) quote_identifier(load->opts->range_column);
	get_atttypetypmodcoll(load->ftrelid, attnum, &typid, &typmod, &collid);
	type = format_type_with_typemod(typid, typmod);
	initStringInfo(&buf);
	appendStringInfoString(&buf, " WHERE ");
	if (load->range_start != NULL)
		appendStringInfo(&buf, "%s >= %s::%s", col, quote_literal_cstr(load->range_start), type);
	if (load->range_end != NULL)
		appendStringInfo(&buf, "%s%s <= %s::%s", load->range_start ? " AND " : "",
						 col, quote_literal_cstr(load->range_end), type);
	return buf.data;
}

/*
 * A load of foreign table relid over a range (NULL ends: the spec's chain
 * decides).  Its history lives in hist_cxt: the function's context for
 * backfill_into and backfill_server, one that survives the rollback for a
 * window.
 */
static BfLoad *
load_make(Oid relid, char *range_start, char *range_end, long window,
		  MemoryContext hist_cxt)
{
	BfLoad	   *load = palloc0(sizeof(BfLoad));
	BfHistory  *hist = MemoryContextAllocZero(hist_cxt, sizeof(BfHistory));

	load->ftrelid = relid;
	check_foreign_table(load->ftrelid);
	load->opts = bf_table_options(load->ftrelid);
	load->range_start = range_start;
	load->range_end = range_end;
	range_input(load);
	load->window = window;
	load->ft_sql = qualified_name(load->ftrelid);

	hist->cxt = hist_cxt;
	hist->foreign_table = MemoryContextStrdup(hist_cxt, load->ft_sql);
	hist->endpoint = MemoryContextStrdup(hist_cxt, load->opts->endpoint);
	hist->mode = (load->range_start || load->range_end) ? "backfill" : "incremental";
	if (load->range_start)
		hist->range_start = MemoryContextStrdup(hist_cxt, load->range_start);
	if (load->range_end)
		hist->range_end = MemoryContextStrdup(hist_cxt, load->range_end);
	hist->serverid = load->opts->serverid;
	load->hist = hist;
	return load;
}

/* A load from the SQL arguments (foreign_table, range_start, range_end). */
static BfLoad *
load_new(FunctionCallInfo fcinfo, long window, MemoryContext hist_cxt)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("foreign_table must not be null")));
	return load_make(PG_GETARG_OID(0), text_arg_or_null(fcinfo, 1),
					 text_arg_or_null(fcinfo, 2), window, hist_cxt);
}

/*
 * One run at a time per server and endpoint: the transaction-level lock
 * that pg_advisory_xact_lock(server_oid::int, hashtext(endpoint)) takes, so
 * that a script can hold it too.  Per server, not per spec: two servers on
 * one spec are two APIs (a staging base_url, say).
 */
static void
lock_endpoint(BfLoad *load)
{
	const char *ep = load->opts->endpoint;
	LOCKTAG		tag;
	uint32		key = DatumGetUInt32(hash_any((const unsigned char *) ep, strlen(ep)));

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) load->opts->serverid, key, 2);
	if (LockAcquire(&tag, ExclusiveLock, false, !load->wait) == LOCKACQUIRE_NOT_AVAIL)
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("another backfill of endpoint \"%s\" on server \"%s\" is running",
						ep, GetForeignServer(load->opts->serverid)->servername),
				 errhint("Call with wait => true to wait for it to finish.")));
	load->hist->started = GetCurrentTimestamp();
}

/*
 * The column that takes record key field, as pg_convert.c maps them: one
 * named exactly so (without a json_path), one whose json_path is just that
 * key, then one named so ignoring case.
 */
static char *
column_for_field(BfLoad *load, TupleDesc tupdesc, const char *field)
{
	int			pass;
	int			i;

	for (pass = 0; pass < 3; pass++)
	{
		for (i = 0; i < tupdesc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, i);
			char	   *path;
			bool		hit;

			if (att->attisdropped)
				continue;
			path = bf_column_json_path(load->ftrelid, att->attnum);
			if (pass == 0)
				hit = (path == NULL && strcmp(NameStr(att->attname), field) == 0);
			else if (pass == 1)
				hit = (path != NULL && strcmp(path, field) == 0);
			else
				hit = (path == NULL && pg_strcasecmp(NameStr(att->attname), field) == 0);
			if (hit)
				return pstrdup(NameStr(att->attname));
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("primary_key field \"%s\" of endpoint \"%s\" is not a column of foreign table \"%s\"",
					field, load->opts->endpoint, load->opts->relname),
			 errhint("Add a column \"%s\", or one with OPTIONS (json_path '%s').", field, field)));
	return NULL;				/* keep the compiler quiet */
}

/* The foreign table's columns, and those the spec's primary_key maps to. */
static void
describe_columns(BfLoad *load, const BfEndpoint *ep)
{
	Relation	rel = table_open(load->ftrelid, AccessShareLock);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	const BfStrList *pk = &ep->response.records.primary_key;
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped)
			load->columns = lappend(load->columns, pstrdup(NameStr(att->attname)));
	}
	for (i = 0; i < pk->count; i++)
		load->key_columns = lappend(load->key_columns,
									column_for_field(load, tupdesc, pk->items[i]));
	table_close(rel, AccessShareLock);
}

/* "a, b" (quoted identifiers), each prefixed by prefix when not NULL. */
static char *
column_list(List *names, const char *prefix)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
	{
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		if (prefix != NULL)
			appendStringInfo(&buf, "%s.", prefix);
		appendStringInfoString(&buf, quote_identifier((char *) lfirst(lc)));
	}
	return buf.data;
}

/* Is name one of names (C strings)? */
static bool
name_in_list(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	}
	return false;
}

/*
 * create_target with target_partition: PARTITION BY RANGE of the range
 * column, whose partitions the load then creates, and a primary key of the
 * spec's plus that column (PostgreSQL wants the partition key in it), so a
 * record whose range column changes becomes a second row: the NOTICE says
 * so.
 */
static void
create_partitioned_target(BfLoad *load, const char *name)
{
	const char *col = bf_partition_column(load->ftrelid, load->opts->range_column,
										  load->opts->relname);
	List	   *pk = list_copy(load->key_columns);
	bool		added = !name_in_list(pk, col);
	StringInfoData sql;
	int			ret;

	if (added && pk != NIL)
		pk = lappend(pk, (char *) col);
	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE %s (LIKE %s", name, load->ft_sql);
	if (pk != NIL)
		appendStringInfo(&sql, ", PRIMARY KEY (%s)", column_list(pk, NULL));
	appendStringInfo(&sql, ") PARTITION BY RANGE (%s)", quote_identifier(col));
	ret = SPI_execute(sql.data, false, 0);
	if (ret < 0)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
	ereport(NOTICE,
			(errmsg("created target table %s with the columns of foreign table %s, partitioned by %s of \"%s\"",
					name, load->opts->relname, load->opts->target_partition, col),
			 pk == NIL
			 ? errdetail("Endpoint \"%s\" has no primary_key: rows are appended.",
						 load->opts->endpoint)
			 : added
			 ? errdetail("Its primary key is (%s): the primary_key of endpoint \"%s\" and the partition column, so a record whose \"%s\" changes becomes a second row.",
						 column_list(pk, NULL), load->opts->endpoint, col)
			 : errdetail("Its primary key is (%s), the primary_key of endpoint \"%s\".",
						 column_list(pk, NULL), load->opts->endpoint)));
}

/*
 * Create the missing target the table option names: the foreign table's
 * columns (LIKE copies names, types and NOT NULL) and the primary key.
 * It is created as the caller, who owns it.  With target_partition it is
 * partitioned by range of the range column (create_partitioned_target).
 */
static void
create_target(BfLoad *load, List *names)
{
	char	   *name = NameListToQuotedString(names);
	StringInfoData sql;
	int			ret;

	if (load->opts->target_partition != NULL)
	{
		create_partitioned_target(load, name);
		return;
	}
	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE %s (LIKE %s", name, load->ft_sql);
	if (load->key_columns != NIL)
		appendStringInfo(&sql, ", PRIMARY KEY (%s)", column_list(load->key_columns, NULL));
	appendStringInfoChar(&sql, ')');
	ret = SPI_execute(sql.data, false, 0);
	if (ret < 0)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
	ereport(NOTICE,
			(errmsg("created target table %s with the columns of foreign table %s",
					name, load->opts->relname),
			 load->key_columns != NIL
			 ? errdetail("Its primary key is (%s), the primary_key of endpoint \"%s\".",
						 column_list(load->key_columns, NULL), load->opts->endpoint)
			 : errdetail("Endpoint \"%s\" has no primary_key: rows are appended.",
						 load->opts->endpoint)));
}

/* The target argument, else the table option's table, created if missing. */
static void
resolve_target(BfLoad *load)
{
	if (!OidIsValid(load->target_arg))
	{
		List	   *names;
		RangeVar   *rv;

		if (load->opts->target == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("no target for foreign table \"%s\"", load->opts->relname),
					 errhint("Pass target => 'table', or set the table option \"target\".")));
		names = stringToQualifiedNameList(load->opts->target);
		rv = makeRangeVarFromNameList(names);
		load->target = RangeVarGetRelid(rv, NoLock, true);
		if (!OidIsValid(load->target))
		{
			create_target(load, names);
			load->target = RangeVarGetRelid(rv, NoLock, false);
		}
	}
	else
		load->target = load->target_arg;
	load->target_sql = qualified_name(load->target);
	load->hist->target = MemoryContextStrdup(load->hist->cxt, load->target_sql);
}

/*
 * Every column of the foreign table is written, so the target must have
 * them all: say which one is missing before the statement is built.
 */
static void
check_target_columns(BfLoad *load)
{
	ListCell   *lc;

	foreach(lc, load->columns)
	{
		char	   *col = (char *) lfirst(lc);

		if (get_attnum(load->target, col) == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("target table %s has no column \"%s\" of foreign table \"%s\"",
							load->target_sql, col, load->opts->relname),
					 errhint("backfill_into writes every column of the foreign table.")));
	}
}

/*
 * Is index idx (open) one ON CONFLICT can use as the arbiter of the key
 * columns (attnums)?  Its columns are those and, on a partitioned target,
 * partition columns (allowed): PostgreSQL requires the partition key in
 * every unique index of a partitioned table.
 */
static bool
index_is_arbiter(Relation idx, AttrNumber *attnums, int nkeys, Bitmapset *allowed)
{
	Form_pg_index ix = idx->rd_index;
	int			i;
	int			j;

	if (!ix->indisunique || !ix->indimmediate || !ix->indisvalid ||
		ix->indnkeyatts < nkeys ||
		!heap_attisnull(idx->rd_indextuple, Anum_pg_index_indexprs, NULL) ||
		!heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL))
		return false;
	for (j = 0; j < ix->indnkeyatts; j++)
	{
		bool		found = bms_is_member(ix->indkey.values[j], allowed);

		for (i = 0; i < nkeys && !found; i++)
			found = (ix->indkey.values[j] == attnums[i]);
		if (!found)
			return false;
	}
	for (i = 0; i < nkeys; i++)
	{
		bool		found = false;

		for (j = 0; j < ix->indnkeyatts && !found; j++)
			found = (ix->indkey.values[j] == attnums[i]);
		if (!found)
			return false;
	}
	return true;
}

/*
 * The upsert needs a unique index on the key columns (and, on a
 * partitioned target, partition columns): its columns become the conflict
 * target.  Without one, say so with the statement that adds one, rather
 * than leave the user with ON CONFLICT's own message about an inference
 * specification.
 */
static void
check_arbiter_index(BfLoad *load)
{
	Relation	rel = table_open(load->target, AccessShareLock);
	int			nkeys = list_length(load->key_columns);
	AttrNumber *attnums = palloc(sizeof(AttrNumber) * nkeys);
	List	   *partcols = bf_partition_columns(load->target);
	List	   *extra = NIL;
	Bitmapset  *allowed = NULL;
	ListCell   *lc;
	int			i = 0;

	foreach(lc, load->key_columns)
		attnums[i++] = get_attnum(load->target, (char *) lfirst(lc));
	foreach(lc, partcols)
	{
		allowed = bms_add_member(allowed, get_attnum(load->target, (char *) lfirst(lc)));
		if (!name_in_list(load->key_columns, (char *) lfirst(lc)))
			extra = lappend(extra, lfirst(lc));
	}
	foreach(lc, RelationGetIndexList(rel))
	{
		Relation	idx = index_open(lfirst_oid(lc), AccessShareLock);

		if (index_is_arbiter(idx, attnums, nkeys, allowed))
		{
			for (i = 0; i < idx->rd_index->indnkeyatts; i++)
				load->conflict_columns =
					lappend(load->conflict_columns,
							get_attname(load->target, idx->rd_index->indkey.values[i], false));
		}
		index_close(idx, AccessShareLock);
		if (load->conflict_columns != NIL)
			break;
	}
	table_close(rel, AccessShareLock);
	if (load->conflict_columns != NIL)
		return;
	if (extra != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
				 errmsg("partitioned target table %s has no unique index on (%s), the primary_key of endpoint \"%s\", with partition column%s %s",
						load->target_sql, column_list(load->key_columns, NULL),
						load->opts->endpoint, list_length(extra) > 1 ? "s" : "",
						column_list(extra, NULL)),
				 errdetail("backfill_into upserts with INSERT ... ON CONFLICT on the primary_key, and a unique index of a partitioned table must include its partition key."),
				 errhint("Add one: ALTER TABLE %s ADD PRIMARY KEY (%s, %s); a record whose %s changes then becomes a second row.",
						 load->target_sql, column_list(load->key_columns, NULL),
						 column_list(extra, NULL), column_list(extra, NULL))));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
			 errmsg("target table %s has no unique index on (%s), the primary_key of endpoint \"%s\"",
					load->target_sql, column_list(load->key_columns, NULL),
					load->opts->endpoint),
			 errdetail("backfill_into upserts with INSERT ... ON CONFLICT (%s) DO UPDATE.",
					   column_list(load->key_columns, NULL)),
			 errhint("Add one: ALTER TABLE %s ADD PRIMARY KEY (%s);",
					 load->target_sql, column_list(load->key_columns, NULL))));
}

/*
 * The sync values stored for a foreign table (new reference), or NULL.
 * fresh: with a snapshot of its own (in READ COMMITTED), for a run that
 * may have waited for another's lock; else with the caller's.
 */
static struct json_object *
read_sync(Oid relid, bool fresh)
{
	Oid			types[1] = {REGCLASSOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	bool		isnull;
	Datum		sync;

	catalog_exec("SELECT s.sync FROM backfill_fdw.sync_state s"
				 " WHERE s.foreign_table OPERATOR(pg_catalog.=) $1",
				 1, types, values, NULL, !fresh);
	if (SPI_processed == 0)
		return NULL;
	sync = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? NULL : bf_jsonb_to_json(sync);
}

struct json_object *
bf_stored_sync(Oid relid)
{
	struct json_object *sync;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	sync = read_sync(relid, false);
	SPI_finish();
	return sync;
}

static void
write_sync(BfLoad *load, struct json_object *sync)
{
	Oid			types[3] = {REGCLASSOID, TEXTOID, JSONBOID};
	Datum		values[3];

	values[0] = ObjectIdGetDatum(load->ftrelid);
	values[1] = CStringGetTextDatum(load->opts->endpoint);
	values[2] = bf_json_to_jsonb(sync);
	catalog_exec("INSERT INTO backfill_fdw.sync_state AS s"
				 " (foreign_table, endpoint, sync, updated_at)"
				 " VALUES ($1, $2, $3, pg_catalog.clock_timestamp())"
				 " ON CONFLICT (foreign_table) DO UPDATE"
				 " SET endpoint = excluded.endpoint, sync = excluded.sync,"
				 " updated_at = excluded.updated_at",
				 3, types, values, NULL, false);
}

/*
 * What a history row keeps of an error: its message with its DETAIL and
 * HINT, since the message alone often names no cause ("the API answered
 * 500" without the body).  Secrets are masked when the row is written.
 */
static char *
history_error(ErrorData *edata)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, edata->message ? edata->message : "unknown error");
	if (edata->detail != NULL)
		appendStringInfo(&buf, "\nDETAIL:  %s", edata->detail);
	if (edata->hint != NULL)
		appendStringInfo(&buf, "\nHINT:  %s", edata->hint);
	return buf.data;
}

/* A history row; error is NULL for a run that succeeded. */
static void
write_history(BfHistory *h, const char *error)
{
	Oid			types[17] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
		INT4OID, INT4OID, TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,
	TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID};
	Datum		values[17];
	char		nulls[17];

	memset(nulls, ' ', sizeof(nulls));
	nulls[4] = h->range_start ? ' ' : 'n';
	nulls[5] = h->range_end ? ' ' : 'n';
	nulls[16] = error ? ' ' : 'n';
	values[0] = CStringGetTextDatum(h->foreign_table);
	values[1] = CStringGetTextDatum(h->endpoint);
	values[2] = CStringGetTextDatum(h->target);
	values[3] = CStringGetTextDatum(h->mode);
	values[4] = h->range_start ? CStringGetTextDatum(h->range_start) : (Datum) 0;
	values[5] = h->range_end ? CStringGetTextDatum(h->range_end) : (Datum) 0;
	values[6] = Int32GetDatum((int32) h->first_iteration);
	values[7] = Int32GetDatum((int32) h->iterations);
	values[8] = CStringGetTextDatum(error ? "failed" : "succeeded");
	values[9] = Int64GetDatum(h->stats.records);
	values[10] = Int64GetDatum(h->rows);
	values[11] = Int64GetDatum(h->stats.requests);
	values[12] = Int64GetDatum(h->stats.retries);
	values[13] = Int64GetDatum(h->stats.bytes);
	values[14] = TimestampTzGetDatum(h->started);
	values[15] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[16] = error ? CStringGetTextDatum(error) : (Datum) 0;
	catalog_exec("INSERT INTO backfill_fdw.run_history"
				 " (foreign_table, endpoint, target, mode, range_start, range_end,"
				 "  first_iteration, iterations, status, records, rows_written,"
				 "  requests, retries, bytes, started_at, finished_at, error)"
				 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
				 "  $14, $15, $16, $17)",
				 17, types, values, nulls, false);
}

/* The key of a window's progress row: table, range, target. */
static void
progress_key(BfLoad *load, Oid *types, Datum *values)
{
	types[0] = REGCLASSOID;
	types[1] = TEXTOID;
	types[2] = TEXTOID;
	types[3] = REGCLASSOID;
	values[0] = ObjectIdGetDatum(load->ftrelid);
	values[1] = CStringGetTextDatum(load->range_start);
	values[2] = CStringGetTextDatum(load->range_end);
	values[3] = ObjectIdGetDatum(load->target);
}

/*
 * Where the backfill of this range stands: its first unfinished iteration,
 * read after the lock with a snapshot of its own.  Returns whether the
 * range has a progress row.
 */
static bool
read_progress(BfLoad *load)
{
	Oid			types[4];
	Datum		values[4];
	bool		isnull;

	progress_key(load, types, values);
	catalog_exec("SELECT next_iteration FROM backfill_fdw.backfill_progress"
				 " WHERE foreign_table OPERATOR(pg_catalog.=) $1"
				 " AND range_start OPERATOR(pg_catalog.=) $2"
				 " AND range_end OPERATOR(pg_catalog.=) $3"
				 " AND target OPERATOR(pg_catalog.=) $4",
				 4, types, values, NULL, false);
	load->hist->first_iteration = 0;
	if (SPI_processed == 0)
		return false;
	load->hist->first_iteration =
		DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return true;
}

/*
 * What another run of this foreign table changes in the catalog, as one
 * text: its sync state, how many runs of it the history has, and how many
 * of those loaded this range into this target.
 */
static char *
catalog_fingerprint(BfLoad *load, Snapshot snapshot)
{
	Oid			types[5] = {REGCLASSOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

	values[0] = ObjectIdGetDatum(load->ftrelid);
	values[1] = CStringGetTextDatum(load->hist->foreign_table);
	values[2] = CStringGetTextDatum(load->target_sql);
	values[3] = load->range_start ? CStringGetTextDatum(load->range_start) : (Datum) 0;
	values[4] = load->range_end ? CStringGetTextDatum(load->range_end) : (Datum) 0;
	nulls[3] = load->range_start ? ' ' : 'n';
	nulls[4] = load->range_end ? ' ' : 'n';
	catalog_run("SELECT pg_catalog.concat_ws('/',"
				" (SELECT s.sync::pg_catalog.text FROM backfill_fdw.sync_state s"
				"   WHERE s.foreign_table OPERATOR(pg_catalog.=) $1),"
				" (SELECT pg_catalog.count(*) FROM backfill_fdw.run_history h"
				"   WHERE h.foreign_table OPERATOR(pg_catalog.=) $2),"
				" (SELECT pg_catalog.count(*) FROM backfill_fdw.run_history h"
				"   WHERE h.foreign_table OPERATOR(pg_catalog.=) $2"
				"   AND h.target OPERATOR(pg_catalog.=) $3"
				"   AND h.range_start OPERATOR(pg_catalog.=) $4"
				"   AND h.range_end OPERATOR(pg_catalog.=) $5"
				"   AND h.status OPERATOR(pg_catalog.=) 'succeeded'))",
				5, types, values, nulls, true, snapshot);
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/*
 * Did a run of this foreign table commit while this one waited for the
 * lock (or, in REPEATABLE READ and SERIALIZABLE, at all since the
 * transaction's snapshot)?  READ COMMITTED reads the catalog again after
 * the lock, so it starts where that run ended.  A transaction snapshot
 * cannot see that run, and would load its rows again: that is an error.
 */
static bool
other_run_committed(BfLoad *load)
{
	bool		changed;

	if (load->before_lock == InvalidSnapshot)
		return false;
	/* this transaction's own writes since are no other run's */
	load->before_lock->curcid = GetCurrentCommandId(false);
	changed = strcmp(catalog_fingerprint(load, load->before_lock),
					 catalog_fingerprint(load, GetLatestSnapshot())) != 0;
	if (changed && IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("another backfill of foreign table \"%s\" committed after this transaction's snapshot was taken",
						load->opts->relname),
				 errdetail("In REPEATABLE READ or SERIALIZABLE, this run cannot see what that one loaded, and would load it again."),
				 errhint("Retry the transaction, or run the backfill in a READ COMMITTED transaction.")));
	return changed;
}

/* The window is loaded: move the progress on, or forget it at the end. */
static void
write_progress(BfLoad *load, bool done)
{
	Oid			types[6];
	Datum		values[6];

	progress_key(load, types, values);
	if (done)
	{
		catalog_exec("DELETE FROM backfill_fdw.backfill_progress"
					 " WHERE foreign_table OPERATOR(pg_catalog.=) $1"
					 " AND range_start OPERATOR(pg_catalog.=) $2"
					 " AND range_end OPERATOR(pg_catalog.=) $3"
					 " AND target OPERATOR(pg_catalog.=) $4",
					 4, types, values, NULL, false);
		return;
	}
	types[4] = INT4OID;
	types[5] = INT4OID;
	values[4] = Int32GetDatum((int32) (load->hist->first_iteration + load->hist->iterations));
	values[5] = Int32GetDatum((int32) load->total_iterations);
	catalog_exec("INSERT INTO backfill_fdw.backfill_progress AS p"
				 " (foreign_table, range_start, range_end, target, next_iteration,"
				 "  total_iterations, started_at, updated_at)"
				 " VALUES ($1, $2, $3, $4, $5, $6, pg_catalog.clock_timestamp(),"
				 "  pg_catalog.clock_timestamp())"
				 " ON CONFLICT (foreign_table, range_start, range_end, target) DO UPDATE"
				 " SET next_iteration = excluded.next_iteration,"
				 " total_iterations = excluded.total_iterations,"
				 " updated_at = excluded.updated_at",
				 6, types, values, NULL, false);
}

/* Is name one of the upsert's conflict columns (which it does not update)? */
static bool
is_key_column(BfLoad *load, const char *name)
{
	return name_in_list(load->conflict_columns, name);
}

/*
 * "t.c IS DISTINCT FROM excluded.c" for a target column; a type without an
 * equality operator (json, say) is compared as text.
 */
static void
append_changed_test(StringInfo sql, BfLoad *load, const char *name)
{
	const char *c = quote_identifier(name);
	Oid			typid = get_atttype(load->target, get_attnum(load->target, name));
	TypeCacheEntry *tc = lookup_type_cache(typid, TYPECACHE_EQ_OPR);
	const char *cast = OidIsValid(tc->eq_opr) ? "" : "::pg_catalog.text";

	appendStringInfo(sql, "t.%s%s IS DISTINCT FROM excluded.%s%s", c, cast, c, cast);
}

/*
 * The statement that loads the rows.  With a primary key, an upsert whose
 * UPDATE skips rows that would not change, so that loading a range again
 * rewrites nothing and counts only what changed; without one, an append.
 */
static char *
upsert_sql(BfLoad *load)
{
	char	   *cols = column_list(load->columns, NULL);
	StringInfoData sql;
	ListCell   *lc;
	bool		first = true;

	initStringInfo(&sql);
	appendStringInfo(&sql, "INSERT INTO %s AS t (%s) SELECT %s FROM %s%s",
					 load->target_sql, cols, cols, load->ft_sql, range_filter(load));
	if (load->key_columns == NIL)
		return sql.data;
	appendStringInfo(&sql, " ON CONFLICT (%s) DO ", column_list(load->conflict_columns, NULL));
	if (list_length(load->columns) == list_length(load->conflict_columns))
	{
		appendStringInfoString(&sql, "NOTHING");
		return sql.data;
	}
	appendStringInfoString(&sql, "UPDATE SET ");
	foreach(lc, load->columns)
	{
		const char *c = quote_identifier((char *) lfirst(lc));

		if (is_key_column(load, (char *) lfirst(lc)))
			continue;
		appendStringInfo(&sql, "%s%s = excluded.%s", first ? "" : ", ", c, c);
		first = false;
	}
	appendStringInfoString(&sql, " WHERE ");
	first = true;
	foreach(lc, load->columns)
	{
		if (is_key_column(load, (char *) lfirst(lc)))
			continue;
		if (!first)
			appendStringInfoString(&sql, " OR ");
		append_changed_test(&sql, load, (char *) lfirst(lc));
		first = false;
	}
	return sql.data;
}

/*
 * An error's CONTEXT as backfill_into reports it: the lines it had (a
 * column's value, a trigger), without SPI's line quoting the generated
 * INSERT ... ON CONFLICT, which names nothing the caller wrote, and with
 * one naming the foreign table, the target and the range instead.
 */
static char *
run_context(BfLoad *load, const char *sql, const char *context)
{
	StringInfoData buf;
	char	   *spi_line = psprintf("SQL statement \"%s\"", sql);
	const char *p = context;

	initStringInfo(&buf);
	while (p != NULL && *p != '\0')
	{
		const char *nl = strchr(p, '\n');
		size_t		len = nl ? (size_t) (nl - p) : strlen(p);

		if (len != strlen(spi_line) || strncmp(p, spi_line, len) != 0)
			appendStringInfo(&buf, "%s%.*s", buf.len > 0 ? "\n" : "", (int) len, p);
		p = nl ? nl + 1 : NULL;
	}
	appendStringInfo(&buf, "%sbackfill_into of foreign table %s into %s, ",
					 buf.len > 0 ? "\n" : "", load->ft_sql, load->target_sql);
	if (load->range_start != NULL || load->range_end != NULL)
		appendStringInfo(&buf, "range %s to %s",
						 load->range_start ? load->range_start : "(open)",
						 load->range_end ? load->range_end : "(open)");
	else
		appendStringInfoString(&buf, "incremental (from the sync state)");
	if (load->window > 0)
		appendStringInfo(&buf, ", iterations %ld to %ld of %ld",
						 load->hist->first_iteration + 1,
						 Min(load->hist->first_iteration + load->window, load->total_iterations),
						 load->total_iterations);
	return buf.data;
}

/*
 * Append the foreign table's rows over the range with COPY's multi-insert;
 * false when COPY cannot take the target (bf_bulk_append).
 */
static bool
append_by_copy(BfLoad *load, uint64 *rows)
{
	char	   *cols = column_list(load->columns, NULL);
	char	   *select = psprintf("SELECT %s FROM %s%s", cols, load->ft_sql, range_filter(load));

	return bf_bulk_append(load->target, load->columns, select, rows);
}

/*
 * Run the load statement with the scan taking its context from the run
 * request.  Returns the run's sync values (new reference).  On an error the
 * run's statistics so far go to the history row before the error goes on.
 */
static struct json_object *
run_upsert(BfLoad *load, struct json_object *stored_sync)
{
	BfRunRequest *rr = palloc0(sizeof(BfRunRequest));
	BfRunRequest *outer = bf_active_run;	/* when called from a trigger of another */
	char	   *sql = upsert_sql(load);
	MemoryContext cxt = CurrentMemoryContext;
	int			ret = SPI_OK_INSERT;
	uint64		rows = 0;

	rr->relid = load->ftrelid;
	rr->ctx.range_start = load->range_start;
	rr->ctx.range_end = load->range_end;
	rr->ctx.mode = load->hist->mode;
	rr->ctx.sync = stored_sync;
	rr->ctx.first_iteration = load->hist->first_iteration;
	rr->ctx.max_iterations = load->window;
	rr->queues = load->queues;

	bf_active_run = rr;
	PG_TRY();
	{
		/* an append goes through COPY's multi-insert when it can (pg_bulk.c) */
		if (load->key_columns != NIL || !append_by_copy(load, &rows))
		{
			ret = SPI_execute(sql, false, 0);
			rows = SPI_processed;
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		edata->context = run_context(load, sql, edata->context);
		bf_active_run = outer;
		if (rr->runner != NULL)
			bf_runner_stats(rr->runner, &load->hist->stats);
		json_object_put(rr->sync_out);
		ReThrowError(edata);
	}
	PG_END_TRY();
	bf_active_run = outer;

	if (ret < 0 || !rr->finished)
	{
		json_object_put(rr->sync_out);
		if (ret < 0)
			elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
		elog(ERROR, "the scan of foreign table \"%s\" did not run to its end",
			 load->opts->relname);
	}
	load->hist->stats = rr->stats;
	load->hist->rows = (int64) rows;
	return rr->sync_out;
}

/* The iterations a window covered of the total, and whether it was the last. */
static bool
window_done(BfLoad *load)
{
	BfHistory  *h = load->hist;
	long		left = load->total_iterations - h->first_iteration;

	h->iterations = left < 0 ? 0 : (left < load->window ? left : load->window);
	return h->first_iteration + load->window >= load->total_iterations;
}

/*
 * Has a run of another session finished this window's range while this
 * CALL ran?  The range then has no progress row, and this CALL either had
 * a window of it before or waited for that run's lock.  Otherwise the
 * window starts where the progress row says (read with a fresh snapshot).
 */
static bool
window_finished_elsewhere(BfLoad *load)
{
	bool		other = other_run_committed(load);

	if (read_progress(load) || (!other && load->resume_from < 0))
		return false;
	ereport(NOTICE,
			(errmsg("the backfill of foreign table \"%s\" from %s to %s was finished by another run",
					load->opts->relname, load->range_start, load->range_end)));
	load->hist->iterations = 0;
	return true;
}

/* What the partition step (pg_partition.c) needs to know of a load. */
static void
partition_load(BfLoad *load, BfPartitionLoad *part)
{
	part->target = load->target;
	part->target_sql = load->target_sql;
	part->column = load->opts->range_column;
	part->range_start = load->range_start;
	part->range_end = load->range_end;
	part->unit = load->opts->target_partition;
	part->relname = load->opts->relname;
}

/*
 * Steps 2-5 of the file header, after the lock.  The spec and every json-c
 * value are released whatever happens.  Returns whether a window was the
 * last of its range (always true for a whole run).
 */
static bool
load_locked(BfLoad *load)
{
	BfSpec	   *spec = bf_load_spec(load->opts->spec_path);
	struct json_object *volatile stored = NULL;
	struct json_object *volatile fresh = NULL;
	struct json_object *volatile merged = NULL;
	bool		done = true;
	BfPartitionLoad part;
	BfDefaultWatch watch;

	PG_TRY();
	{
		const BfEndpoint *ep = bf_find_endpoint(spec, load->opts->spec_path,
												load->opts->endpoint);

		describe_columns(load, ep);
		resolve_target(load);
		check_target_columns(load);
		if (load->key_columns != NIL)
			check_arbiter_index(load);
		partition_load(load, &part);
		watch = bf_prepare_partitions(&part);
		if (load->window == 0)
		{
			/* READ COMMITTED needs no check: it reads the state afresh */
			if (IsolationUsesXactSnapshot())
				(void) other_run_committed(load);	/* raises when one did */
		}
		else
			load->finished_elsewhere = window_finished_elsewhere(load);
		if (!load->finished_elsewhere)
		{
			if (load->window > 0)
			{
				load->hist->iterations = load->window;	/* what a failure tried */
				failed_window = load->hist;
			}
			stored = read_sync(load->ftrelid, true);
			fresh = run_upsert(load, stored);
			bf_check_default_partition(&part, &watch);
			load->total_iterations = load->hist->stats.iterations;
			if (load->window > 0)
				done = window_done(load);
			else
				load->hist->iterations = load->total_iterations;
			if (ep->sync.count > 0)
			{
				merged = bf_sync_merge(ep, stored, fresh);
				if (json_object_object_length(merged) > 0)
					write_sync(load, merged);
			}
			write_history(load->hist, NULL);
			if (load->window > 0)
				write_progress(load, done);
		}
	}
	PG_FINALLY();
	{
		json_object_put(stored);
		json_object_put(fresh);
		json_object_put(merged);
		bf_spec_release(spec);
	}
	PG_END_TRY();
	return done;
}

/* Lock, load, and give back whether it was the last window. */
static bool
run_load(BfLoad *load)
{
	bool		done;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* a copy of the caller's snapshot, to see what committed during the wait */
	load->before_lock = InvalidSnapshot;
	if (ActiveSnapshotSet())
	{
		PushCopiedSnapshot(GetActiveSnapshot());
		load->before_lock = RegisterSnapshot(GetActiveSnapshot());
		PopActiveSnapshot();
	}
	lock_endpoint(load);
	done = load_locked(load);
	if (load->before_lock != InvalidSnapshot)
		UnregisterSnapshot(load->before_lock);
	SPI_finish();
	return done;
}

/*
 * backfill_into(foreign_table regclass, range_start text, range_end text,
 * target regclass, wait boolean) RETURNS bigint: the rows inserted or
 * changed.  Not STRICT: a null range is the incremental run.
 */
Datum
backfill_fdw_backfill_into(PG_FUNCTION_ARGS)
{
	BfLoad	   *load = load_new(fcinfo, 0, CurrentMemoryContext);

	load->target_arg = PG_ARGISNULL(3) ? InvalidOid : PG_GETARG_OID(3);
	load->wait = PG_ARGISNULL(4) || PG_GETARG_BOOL(4);
	(void) run_load(load);
	PG_RETURN_INT64(load->hist->rows);
}

/* Free the latest window's history (recorded or not). */
static void
forget_window(void)
{
	if (window_cxt != NULL)
		MemoryContextDelete(window_cxt);
	window_cxt = NULL;
	failed_window = NULL;
}

/*
 * backfill_fdw.backfill_window(foreign_table, range_start, range_end,
 * window_iterations, target, wait, resume_from): the next window of CALL
 * backfill()'s range.  Which window is next is read under the endpoint's
 * lock with a fresh snapshot, so two CALLs of one range never load a
 * window twice; resume_from (where the CALL's previous window ended, NULL
 * for its first) tells a range another CALL finished from one never begun.
 */
Datum
backfill_fdw_backfill_window(PG_FUNCTION_ARGS)
{
	BfLoad	   *load;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	volatile bool done = false;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_GETARG_INT32(3) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a window needs a range and a positive number of iterations")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	forget_window();
	window_cxt = AllocSetContextCreate(TopMemoryContext, "backfill_fdw window",
									   ALLOCSET_SMALL_SIZES);
	load = load_new(fcinfo, PG_GETARG_INT32(3), window_cxt);
	load->target_arg = PG_ARGISNULL(4) ? InvalidOid : PG_GETARG_OID(4);
	load->wait = PG_ARGISNULL(5) || PG_GETARG_BOOL(5);
	load->resume_from = PG_ARGISNULL(6) ? -1 : PG_GETARG_INT32(6);
	PG_TRY();
	{
		done = run_load(load);
	}
	PG_CATCH();
	{
		/* the message record_failed_window writes after the rollback */
		if (failed_window != NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(window_cxt);

			failed_window->error = history_error(CopyErrorData());
			MemoryContextSwitchTo(old);
		}
		PG_RE_THROW();
	}
	PG_END_TRY();

	values[0] = Int64GetDatum(load->hist->rows);
	values[1] = Int32GetDatum((int32) load->hist->first_iteration);
	values[2] = Int32GetDatum((int32) load->hist->iterations);
	values[3] = Int32GetDatum((int32) load->total_iterations);
	values[4] = BoolGetDatum(done);
	forget_window();
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/*
 * backfill_fdw.record_failed_window() RETURNS boolean: the history row of
 * this session's window that failed, with the error backfill_window caught
 * (the user's secrets masked), written after its rollback; false when no
 * window had got as far as its target.  It takes no text, so that no one
 * writes a history row of their own wording.
 */
Datum
backfill_fdw_record_failed_window(PG_FUNCTION_ARGS)
{
	struct json_object *secrets;
	char	   *masked;

	if (failed_window == NULL || failed_window->error == NULL)
		PG_RETURN_BOOL(false);
	secrets = bf_user_secrets(GetUserId(), failed_window->serverid);
	masked = bf_mask_secrets(failed_window->error, secrets);
	json_object_put(secrets);
	failed_window->rows = 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	write_history(failed_window, masked);
	SPI_finish();
	forget_window();
	PG_RETURN_BOOL(true);
}

/* One table backfill_server loads, and where it comes in the spec's order. */
typedef struct BfServerTable
{
	Oid			relid;
	int			position;		/* of its endpoint in BfSpec.order */
} BfServerTable;

/* list_sort's order of server tables: the spec's order, then OID. */
static int
server_table_order(const ListCell *a, const ListCell *b)
{
	const BfServerTable *x = lfirst(a);
	const BfServerTable *y = lfirst(b);

	if (x->position != y->position)
		return (x->position > y->position) - (x->position < y->position);
	return (x->relid > y->relid) - (x->relid < y->relid);
}

/* The position of endpoint ep in the spec's dependency order. */
static int
order_position(const BfSpec *spec, const BfEndpoint *ep)
{
	int			i;

	for (i = 0; i < spec->endpoint_count; i++)
	{
		if (spec->order != NULL && spec->order[i] == ep)
			return i;
	}
	return (int) (ep - spec->endpoints);
}

/* The endpoints argument as a List of C strings; NIL when NULL. */
static List *
endpoint_names(ArrayType *arr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *out = NIL;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("endpoints must not contain a null")));
		out = lappend(out, TextDatumGetCString(elems[i]));
	}
	return out;
}

/*
 * The tables backfill_server loads, in the order it loads them: every
 * foreign table of the server that has a target, or, with endpoints, every
 * one whose endpoint is listed (a listed endpoint no table has is an
 * error), producers before their consumers as the spec orders them.
 */
static List *
server_loads(ForeignServer *server, List *names)
{
	List	   *out = NIL;
	ListCell   *lc;

	foreach(lc, bf_server_tables(server->serverid))
	{
		BfTableOptions *opts = bf_table_options(lfirst_oid(lc));
		BfServerTable *t;
		BfSpec	   *spec;

		if (names != NIL ? !name_in_list(names, opts->endpoint) : opts->target == NULL)
			continue;
		t = palloc(sizeof(BfServerTable));
		t->relid = opts->relid;
		spec = bf_load_spec(opts->spec_path);
		PG_TRY();
		{
			t->position = order_position(spec, bf_find_endpoint(spec, opts->spec_path,
																opts->endpoint));
		}
		PG_FINALLY();
		{
			bf_spec_release(spec);
		}
		PG_END_TRY();
		out = lappend(out, t);
	}
	foreach(lc, names)
	{
		ListCell   *lt;
		bool		found = false;

		foreach(lt, out)
			found |= (strcmp(bf_table_options(((BfServerTable *) lfirst(lt))->relid)->endpoint,
							 (char *) lfirst(lc)) == 0);
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
					 errmsg("server \"%s\" has no foreign table of endpoint \"%s\"",
							server->servername, (char *) lfirst(lc))));
	}
	list_sort(out, server_table_order);
	return out;
}

/*
 * backfill_fdw.backfill_server(server name, range_start text, range_end
 * text, endpoints text[]) RETURNS TABLE (foreign_table regclass,
 * rows_written bigint): each table of server_loads, loaded as
 * backfill_into loads it (its lock, its target, its sync state and history
 * row), one after the other in the caller's transaction.  The loads share
 * one queue set, and a load of a producer fills its queues as it goes, so
 * that its consumers, loaded after it, read them instead of running it
 * again: each producer is fetched once.  A producer with no table loaded
 * runs in fill mode for its first consumer, as in a SELECT.
 */
Datum
backfill_fdw_backfill_server(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ForeignServer *server;
	ForeignDataWrapper *fdw;
	char	   *range_start = text_arg_or_null(fcinfo, 1);
	char	   *range_end = text_arg_or_null(fcinfo, 2);
	List	   *loads;
	BfQueueSet *set;
	ListCell   *lc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("server must not be null")));
	server = GetForeignServerByName(NameStr(*PG_GETARG_NAME(0)), false);
	fdw = GetForeignDataWrapper(server->fdwid);
	if (strcmp(fdw->fdwname, "backfill_fdw") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("server \"%s\" is not a backfill_fdw server", server->servername)));
	loads = server_loads(server, PG_ARGISNULL(3) ? NIL
						 : endpoint_names(PG_GETARG_ARRAYTYPE_P(3)));
	InitMaterializedSRF(fcinfo, 0);
	set = bf_queue_set_new();
	foreach(lc, loads)
	{
		BfLoad	   *load = load_make(((BfServerTable *) lfirst(lc))->relid,
									 range_start, range_end, 0, CurrentMemoryContext);
		Datum		values[2];
		bool		nulls[2] = {false, false};

		load->wait = true;
		load->queues = set;
		(void) run_load(load);
		values[0] = ObjectIdGetDatum(load->ftrelid);
		values[1] = Int64GetDatum(load->hist->rows);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	bf_queue_set_release(set);
	return (Datum) 0;
}

int			bf_progress_interval = 10000;

/*
 * The progress of the backfill in this backend's statement: a CALL's
 * windows are scans of their own, committed one by one, but one statement
 * (its statement_timestamp), so their counts add up here.
 */
static struct
{
	TimestampTz statement;		/* whose progress this is, with relid */
	Oid			relid;
	TimestampTz started;		/* at its first run */
	TimestampTz last;			/* at the last NOTICE (or the start) */
	long		last_done;		/* iterations ended at the last NOTICE */
	long		last_rows;		/* and rows */
	BfRunStats	windows;		/* the runs that are over */
}			progress;

void
bf_backfill_progress(Oid relid, const char *relname, BfRunner *runner,
					 long first_iteration, bool run_over)
{
	TimestampTz now = GetCurrentTimestamp();
	BfRunStats	run;
	long		done;
	long		rows;
	long		requests;
	long		retries;
	double		secs;

	if (progress.statement != GetCurrentStatementStartTimestamp() || progress.relid != relid)
	{
		memset(&progress, 0, sizeof(progress));
		progress.statement = GetCurrentStatementStartTimestamp();
		progress.relid = relid;
		progress.started = progress.last = now;
	}
	if (bf_progress_interval < 0 ||
		(TimestampDifferenceMilliseconds(progress.last, now) < bf_progress_interval && !run_over))
		return;
	bf_runner_stats(runner, &run);
	done = first_iteration + run.iterations_done;
	rows = progress.windows.records + run.records;
	requests = progress.windows.requests + run.requests;
	retries = progress.windows.retries + run.retries;
	if (run_over)
	{
		progress.windows.records += run.records;
		progress.windows.requests += run.requests;
		progress.windows.retries += run.retries;
	}
	/* news: an iteration ended, or (as a run ends) rows came since */
	if (!(done > progress.last_done || (run_over && rows > progress.last_rows)) ||
		TimestampDifferenceMilliseconds(progress.last, now) < bf_progress_interval)
		return;
	secs = TimestampDifferenceMilliseconds(progress.started, now) / 1000.0;
	ereport(NOTICE,
			(errmsg("backfill of \"%s\": %ld of %ld iterations, %ld rows, %ld requests, %ld retries",
					relname, done, run.iterations, rows, requests, retries),
			 errdetail("%.0f s so far: %.1f rows/s, %.1f requests/s.", secs,
					   secs > 0 ? rows / secs : 0.0, secs > 0 ? requests / secs : 0.0)));
	progress.last = now;
	progress.last_done = done;
	progress.last_rows = rows;
}
