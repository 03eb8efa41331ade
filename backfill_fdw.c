/*-------------------------------------------------------------------------
 *
 * backfill_fdw.c
 *		  Foreign-data wrapper for REST APIs described by Sling API specs.
 *
 * This file holds the FDW callbacks and nothing else: option validation,
 * planning, the scan (begin / iterate / rescan / end), EXPLAIN and IMPORT
 * FOREIGN SCHEMA.  The
 * work is done by plain C modules under src/ that do not know PostgreSQL:
 * the spec loader, the expression engine, JMESPath, the request engine and
 * the endpoint runner, which turns a spec endpoint and a context into a
 * stream of records.  A scan pulls records from the runner as the executor
 * asks for rows, so the first row comes after the first response and the
 * memory held is that of the responses in flight, not of the whole range.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg/pg_jsonc.h"

#include "access/reloptions.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_type.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "commands/explain.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "storage/latch.h"
#include "parser/parsetree.h"
#include "utils/acl.h"
#include "utils/wait_event.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rel.h"

#include "expr/datetime.h"
#include "http/http.h"
#include "jmespath/jmespath.h"
#include "pg/pg_backfill.h"
#include "pg/pg_convert.h"
#include "pg/pg_import.h"
#include "pg/pg_options.h"
#include "pg/pg_queue.h"
#include "pg/pg_range.h"
#include "pg/pg_util.h"
#include "runner/runner.h"
#include "spec/spec.h"

PG_MODULE_MAGIC;

BfRunRequest *bf_active_run = NULL;

/*
 * The planner's model of a scan: a fixed cost to start (the spec, a
 * connection), a cost per iteration (at least one request, which is
 * never cheap next to a row) and a guess of rows per iteration, so that a
 * scan's estimate grows with its range (pg_range.c guesses the iterations).
 */
#define BF_STARTUP_COST 100.0
#define BF_ITERATION_COST 100.0
#define BF_ROWS_PER_ITERATION 10.0

/*
 * The items of a ForeignScan's fdw_private, named as postgres_fdw names
 * its FdwScanPrivateIndex.
 */
enum BfScanPrivateIndex
{
	/* pg_range.c's bounds on the range column (NIL: none); values in fdw_exprs */
	BfPrivateRange,
	/* Integer: a bound value that plain EXPLAIN must not evaluate */
	BfPrivateDeferred,
	/* List of String: conditions on the range column not sent to the API */
	BfPrivateUnpushed
};

/* What the planner keeps in baserel->fdw_private between its callbacks. */
typedef struct BfPlanInfo
{
	AttrNumber	range_attnum;	/* InvalidAttrNumber: no range column */
	bool		join_bounds;	/* some join clause bounds the range column */
	double		iterations;		/* of the plain path */
} BfPlanInfo;

/*
 * The options each catalog accepts.  Server options other than these set
 * state keys the spec reads, Sling's connection-level state (a staging
 * base_url, say); every user-mapping option is a secret, so none is listed
 * and none is refused.
 */
typedef struct BfValidOption
{
	const char *name;
	Oid			context;
} BfValidOption;

static const BfValidOption valid_options[] = {
	{"spec", ForeignServerRelationId},
	{"inputs", ForeignServerRelationId},
	{"spec", ForeignTableRelationId},
	{"endpoint", ForeignTableRelationId},
	{"range_column", ForeignTableRelationId},
	{"target", ForeignTableRelationId},
	{"target_partition", ForeignTableRelationId},
	{"json_path", AttributeRelationId},
	{"epoch", AttributeRelationId},
	{NULL, InvalidOid}
};

/*
 * Execution state of a scan.  Everything the plain modules malloc (the
 * runner with its curl handles, the spec reference, json-c values) is
 * released by release_scan_resources, which runs at EndForeignScan and, if
 * the query fails or is canceled first, when the executor's memory context
 * goes away: no connection outlives its scan.
 */
typedef struct BfScanState
{
	BfTableOptions *opts;
	BfSpec	   *spec;
	const BfEndpoint *endpoint;
	BfRunner   *runner;
	struct json_object *secrets;
	struct json_object *overrides;
	struct json_object *inputs; /* the server's inputs option, or NULL */
	struct json_object *sync;	/* a plain SELECT's stored sync values */
	BfConverter *conv;
	List	   *range_states;	/* ExprStates of the range bounds */
	MemoryContext range_cxt;	/* holds range; reset at each start */
	BfRange		range;			/* what they came to at scan start */
	bool		evaluated;		/* range holds this start's values */
	bool		started;		/* the first run has started since (re)start */
	int			next_run;		/* index in range.runs of the next run */
	bool		warned;			/* the unpushed-condition WARNING was given */
	BfRunContext run_ctx;
	BfRunStats	done_stats;		/* of the runners freed, for EXPLAIN ANALYZE */
	double		first_run_at;	/* bf_http_now() when the first run started */
	BfRunRequest *run_request;	/* set when backfill_into runs this scan */
	AttrNumber	range_attnum;	/* backfill_into's filter: the range column */
	BfQueueScan *queues;		/* its queues and producers; NULL: it has none */
	BfQueueSet *queue_set;		/* the statement's set, which End releases */
	MemoryContextCallback release_cb;
} BfScanState;

void		_PG_init(void);

PG_FUNCTION_INFO_V1(backfill_fdw_handler);
PG_FUNCTION_INFO_V1(backfill_fdw_validator);
PG_FUNCTION_INFO_V1(backfill_fdw_check_tables);

static void backfillGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
									  Oid foreigntableid);
static void backfillGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
									Oid foreigntableid);
static ForeignScan *backfillGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
										   Oid foreigntableid, ForeignPath *best_path,
										   List *tlist, List *scan_clauses,
										   Plan *outer_plan);
static void backfillExplainForeignScan(ForeignScanState *node, ExplainState *es);
static void backfillBeginForeignScan(ForeignScanState *node, int eflags);
static TupleTableSlot *backfillIterateForeignScan(ForeignScanState *node);
static void backfillReScanForeignScan(ForeignScanState *node);
static void backfillEndForeignScan(ForeignScanState *node);
static List *backfillImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);

/*
 * Module load: libcurl's global initialisation is not thread-safe and must
 * run once per process, before any handle exists.
 */
void
_PG_init(void)
{
	BfError		err;

	bf_error_clear(&err);
	if (!bf_http_global_init(&err))
		bf_raise(&err, NULL);
	bf_install_interrupt_hook();
	bf_define_settings();
}

Datum
backfill_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = backfillGetForeignRelSize;
	routine->GetForeignPaths = backfillGetForeignPaths;
	routine->GetForeignPlan = backfillGetForeignPlan;
	routine->ExplainForeignScan = backfillExplainForeignScan;
	routine->BeginForeignScan = backfillBeginForeignScan;
	routine->IterateForeignScan = backfillIterateForeignScan;
	routine->ReScanForeignScan = backfillReScanForeignScan;
	routine->EndForeignScan = backfillEndForeignScan;
	routine->ImportForeignSchema = backfillImportForeignSchema;

	PG_RETURN_POINTER(routine);
}

static bool
is_valid_option(const char *name, Oid context)
{
	const BfValidOption *opt;

	for (opt = valid_options; opt->name; opt++)
	{
		if (context == opt->context && strcmp(opt->name, name) == 0)
			return true;
	}
	return false;
}

/* The error for an option the catalog does not take, listing those it does. */
static void
reject_option(const char *name, Oid context)
{
	const BfValidOption *opt;
	StringInfoData buf;

	initStringInfo(&buf);
	for (opt = valid_options; opt->name; opt++)
	{
		if (context == opt->context)
			appendStringInfo(&buf, "%s%s", (buf.len > 0) ? ", " : "", opt->name);
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			 errmsg("invalid option \"%s\"", name),
			 buf.len > 0
			 ? errhint("Valid options in this context are: %s.", buf.data)
			 : errhint("There are no valid options in this context.")));
}

/*
 * The spec option reads a file on the server, so the rule is file_fdw's:
 * only a superuser or a member of pg_read_server_files may set it, since it
 * would otherwise let any user probe the server's files through our errors.
 */
static void
check_spec_privilege(Oid catalog)
{
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superuser or a role with privileges of the pg_read_server_files role may specify the spec option of a backfill_fdw %s",
						catalog == ForeignServerRelationId ? "server" : "foreign table")));
}

/* A non-empty string value, or an error naming the option. */
static char *
nonempty_option(DefElem *def)
{
	char	   *value = defGetString(def);

	if (value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("option \"%s\" must not be empty", def->defname)));
	return value;
}

/*
 * Server options other than spec and inputs must name a state key the spec
 * reads (or a key of defaults.state): a typo would otherwise be silently
 * ignored.
 */
static void
check_state_overrides(const BfSpec *spec, const char *path, List *overrides)
{
	ListCell   *lc;

	foreach(lc, overrides)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const char *suggestion;

		if (!bf_spec_state_key_known(spec, def->defname, &suggestion))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 errdetail("Server options other than \"spec\" and \"inputs\" set state keys, and spec file \"%s\" never reads state.%s.",
							   path, def->defname),
					 suggestion ? errhint("Did you mean \"%s\"?", suggestion) : 0));
	}
}

/*
 * Validate the options of a CREATE or ALTER of our FDW, server, user
 * mapping, foreign table or column.  Setting spec loads and checks the spec
 * at once, so a broken spec fails here with its file and line rather than
 * at the first query.
 */
Datum
backfill_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	char	   *spec_path = NULL;
	char	   *endpoint = NULL;
	List	   *overrides = NIL;
	bool		range_column = false;
	bool		target_partition = false;
	ListCell   *lc;

	/* Every user-mapping option is a secret: accept all, echo none. */
	if (catalog == UserMappingRelationId)
		PG_RETURN_VOID();

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (!is_valid_option(def->defname, catalog))
		{
			if (catalog != ForeignServerRelationId)
				reject_option(def->defname, catalog);
			overrides = lappend(overrides, def);
			continue;
		}
		if (strcmp(def->defname, "spec") == 0)
		{
			check_spec_privilege(catalog);
			spec_path = nonempty_option(def);
		}
		else if (strcmp(def->defname, "inputs") == 0)
			json_object_put(bf_parse_inputs(defGetString(def)));
		else if (strcmp(def->defname, "endpoint") == 0)
			endpoint = nonempty_option(def);
		else if (strcmp(def->defname, "range_column") == 0)
		{
			(void) nonempty_option(def);
			range_column = true;
		}
		else if (strcmp(def->defname, "target") == 0)
			(void) makeRangeVarFromNameList(stringToQualifiedNameList(nonempty_option(def)));
		else if (strcmp(def->defname, "target_partition") == 0)
		{
			(void) bf_partition_unit(defGetString(def));
			target_partition = true;
		}
		else if (strcmp(def->defname, "json_path") == 0)
		{
			JpError		jerr;
			JpExpr	   *path = jp_compile(nonempty_option(def), &jerr);

			if (path == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"json_path\": %s", jerr.message)));
			jp_free(path);
		}
		else if (strcmp(def->defname, "epoch") == 0 && bf_epoch_unit(defGetString(def)) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"epoch\": \"%s\"", defGetString(def)),
					 errhint("Valid values are \"s\" (Unix seconds, the default for a JSON number in a date or timestamp column), \"ms\" and \"us\".")));
	}

	/* the partitions of a target are ranges of the range column */
	if (target_partition && !range_column)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"target_partition\" needs the option \"range_column\""),
				 errdetail("The target's partitions are ranges of the range column.")));

	/* with no spec, a state override would override nothing, unchecked */
	if (catalog == ForeignServerRelationId && spec_path == NULL && overrides != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"", ((DefElem *) linitial(overrides))->defname),
				 errdetail("Server options other than \"spec\" and \"inputs\" set state keys the spec reads, and the server has no spec option."),
				 errhint("Set spec in the same command, e.g. OPTIONS (ADD spec '/path/to/spec.yaml', ADD %s '...').",
						 ((DefElem *) linitial(overrides))->defname)));
	if (spec_path != NULL)
	{
		BfSpec	   *spec = bf_load_spec(spec_path);

		PG_TRY();
		{
			if (catalog == ForeignServerRelationId)
				check_state_overrides(spec, spec_path, overrides);
			if (endpoint != NULL)
				(void) bf_find_endpoint(spec, spec_path, endpoint);
		}
		PG_FINALLY();
		{
			bf_spec_release(spec);
		}
		PG_END_TRY();
	}

	PG_RETURN_VOID();
}

/*
 * The event trigger at the end of CREATE and ALTER FOREIGN TABLE, IMPORT
 * FOREIGN SCHEMA and ALTER SERVER: checks each of our foreign tables the
 * command made or changed, or whose server it changed (a new spec may lack
 * their endpoints), with bf_check_table_options.  The validator cannot: it is
 * given a table's options but not the table, nor (at CREATE) its server,
 * so it cannot tell which spec an endpoint should be in.
 */
Datum
backfill_fdw_check_tables(PG_FUNCTION_ARGS)
{
	List	   *relids = NIL;
	ListCell   *lc;
	uint64		i;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("backfill_fdw.check_tables() must be called as an event trigger")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* the tables the command made or changed, and those of a server it changed */
	if (SPI_execute("SELECT d.objid FROM pg_catalog.pg_event_trigger_ddl_commands() d "
					"WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
					"UNION SELECT t.ftrelid FROM pg_catalog.pg_foreign_table t, "
					"pg_catalog.pg_event_trigger_ddl_commands() d "
					"WHERE d.classid = 'pg_catalog.pg_foreign_server'::pg_catalog.regclass "
					"AND t.ftserver OPERATOR(pg_catalog.=) d.objid ORDER BY 1",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the commands of the event");
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			relids = lappend_oid(relids, DatumGetObjectId(d));
	}
	SPI_finish();
	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);

		/* gone later in the command, or a table of another wrapper */
		if (get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE ||
			GetFdwRoutineByServerId(GetForeignServerIdByRelId(relid))->GetForeignRelSize !=
			backfillGetForeignRelSize)
			continue;
		bf_check_table_options(relid);
	}
	PG_RETURN_VOID();
}

/* The range column's number, InvalidAttrNumber when there is none or no such column. */
static AttrNumber
range_attnum(Oid foreigntableid, const BfTableOptions *opts)
{
	return opts->range_column ? get_attnum(foreigntableid, opts->range_column)
		: InvalidAttrNumber;
}

/* Rows and costs of a path whose range makes the given iterations. */
static void
scan_costs(double iterations, double *rows, Cost *startup, Cost *total)
{
	*rows = clamp_row_est(iterations * BF_ROWS_PER_ITERATION);
	*startup = BF_STARTUP_COST + BF_ITERATION_COST;
	*total = BF_STARTUP_COST + iterations * BF_ITERATION_COST +
		*rows * cpu_tuple_cost * 10;
}

/*
 * Estimate the scan.  An API gives no statistics: the estimate is the
 * iterations the WHERE's range makes (pg_range.c) times a guess per
 * iteration.
 */
static void
backfillGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	BfTableOptions *opts = bf_table_options(foreigntableid);
	BfPlanInfo *info = palloc0(sizeof(BfPlanInfo));
	BfRangeQuals q;
	Cost		startup;
	Cost		total;

	info->range_attnum = range_attnum(foreigntableid, opts);
	baserel->fdw_private = info;
	q.iterations = BF_RANGE_OPEN_ITERATIONS;
	if (info->range_attnum != InvalidAttrNumber)
		bf_range_extract(root, baserel, baserel->baserestrictinfo, info->range_attnum, &q);
	info->iterations = q.iterations;
	scan_costs(q.iterations, &baserel->rows, &startup, &total);
}

/* generate_implied_equalities_for_column's test: is em the range column? */
static bool
is_range_member(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
				EquivalenceMember *em, void *arg)
{
	return bf_is_range_var((Node *) em->em_expr, rel->relid, *(AttrNumber *) arg);
}

/*
 * The sets of outer relations whose join clauses bound the range column:
 * an equality from an equivalence class (e.date = d.day) or any other
 * clause pg_range.c understands (e.date BETWEEN d.first AND d.last).
 */
static List *
range_join_outers(PlannerInfo *root, RelOptInfo *baserel, AttrNumber attnum)
{
	List	   *clauses;
	List	   *outers = NIL;
	ListCell   *lc;

	clauses = generate_implied_equalities_for_column(root, baserel, is_range_member,
													 &attnum, baserel->lateral_referencers);
	foreach(lc, baserel->joininfo)
	{
		RestrictInfo *rinfo = lfirst(lc);

		if (join_clause_is_movable_to(rinfo, baserel) &&
			bf_range_join_clause(root, baserel, rinfo, attnum))
			clauses = lappend(clauses, rinfo);
	}
	foreach(lc, clauses)
	{
		RestrictInfo *rinfo = lfirst(lc);
		Relids		outer = bms_difference(rinfo->clause_relids, baserel->relids);
		ListCell   *lc2;
		bool		seen = false;

		if (bms_is_empty(outer) || bms_overlap(outer, baserel->lateral_referencers))
			continue;
		foreach(lc2, outers)
			seen |= bms_equal(lfirst(lc2), outer);
		if (!seen)
			outers = lappend(outers, outer);
	}
	return outers;
}

/*
 * The plain path, and a parameterized path per set of outer relations
 * whose join clauses bound the range column, as postgres_fdw makes them
 * for its join clauses: in a nested loop with this table inside, each
 * outer row rescans it with that row's values as the range, which for a
 * small outer side costs far fewer requests than the spec's default range.
 * The costs say so: a path pays per iteration, and a join's parameterized
 * path makes the iterations of one outer row (one for an equality).
 */
static void
backfillGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	BfPlanInfo *info = (BfPlanInfo *) baserel->fdw_private;
	double		rows;
	Cost		startup_cost;
	Cost		total_cost;
	ListCell   *lc;
	List	   *outers;

	scan_costs(info->iterations, &rows, &startup_cost, &total_cost);
	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, rows,
									 startup_cost, total_cost, NIL,
									 baserel->lateral_relids, NULL, NIL));
	if (info->range_attnum == InvalidAttrNumber)
		return;

	outers = range_join_outers(root, baserel, info->range_attnum);
	info->join_bounds = (outers != NIL);
	foreach(lc, outers)
	{
		Relids		required = bms_union(lfirst(lc), baserel->lateral_relids);
		ParamPathInfo *ppi = get_baserel_parampathinfo(root, baserel, required);
		BfRangeQuals q;

		bf_range_extract(root, baserel,
						 list_concat_copy(ppi->ppi_clauses, baserel->baserestrictinfo),
						 info->range_attnum, &q);
		scan_costs(q.iterations, &rows, &startup_cost, &total_cost);
		add_path(baserel, (Path *)
				 create_foreignscan_path(root, baserel, NULL, rows,
										 startup_cost, total_cost, NIL,
										 required, NULL, NIL));
	}
}

/*
 * Every qual stays a local filter: the API may return more than asked for,
 * and a row it should not have sent must still not reach the user.  Quals
 * on the range column also become the range sent to the spec: their value
 * sides go in fdw_exprs, evaluated when the scan starts (pg_range.c).  In
 * a parameterized path scan_clauses holds the join clauses too, whose
 * outer columns the planner turns into nestloop parameters afterwards.
 */
static ForeignScan *
backfillGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
					   ForeignPath *best_path, List *tlist, List *scan_clauses,
					   Plan *outer_plan)
{
	BfTableOptions *opts = bf_table_options(foreigntableid);
	BfPlanInfo *info = (BfPlanInfo *) baserel->fdw_private;
	BfRangeQuals q;

	memset(&q, 0, sizeof(q));
	if (opts->range_column != NULL)
	{
		if (info->range_attnum == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("range_column \"%s\" is not a column of foreign table \"%s\"",
							opts->range_column, opts->relname)));
		bf_range_extract(root, baserel, scan_clauses, info->range_attnum, &q);
		if (info->join_bounds && best_path->path.param_info == NULL)
			q.unpushed = lappend(q.unpushed,
								 makeString(psprintf("a join condition on \"%s\" (this plan does not pass the joined values to the scan)",
													 opts->range_column)));
	}
	scan_clauses = extract_actual_clauses(scan_clauses, false);
	return make_foreignscan(tlist, scan_clauses, baserel->relid, q.exprs,
							list_make3(q.info, makeInteger(q.deferred), q.unpushed),
							NIL, NIL, outer_plan);
}

/* Add the present runner's statistics to *sum. */
static void
add_stats(BfScanState *st, BfRunStats *sum)
{
	BfRunStats	s;

	bf_runner_stats(st->runner, &s);
	bf_add_run_stats(sum, &s);
}

/*
 * Free the runner, keeping its stats for EXPLAIN ANALYZE, and give a big
 * scan's freed heap back to the system (bf_give_back_memory).  The run
 * request stops pointing to it, unless backfill_into has already let go of
 * the request (an error: the request may be gone by the time this runs).
 */
static void
free_runner(BfScanState *st)
{
	BfRunStats	before = st->done_stats;

	if (st->runner == NULL)
		return;
	if (st->run_request != NULL && st->run_request == bf_active_run)
		st->run_request->runner = NULL;
	add_stats(st, &st->done_stats);
	bf_runner_free(st->runner);
	st->runner = NULL;
	bf_give_back_memory(st->done_stats.bytes - before.bytes);
}

/* Free what the plain modules hold for this scan; safe to call twice. */
static void
release_scan_resources(void *arg)
{
	BfScanState *st = (BfScanState *) arg;

	free_runner(st);
	if (st->spec != NULL)
		bf_spec_release(st->spec);
	st->spec = NULL;
	st->endpoint = NULL;
	json_object_put(st->secrets);
	st->secrets = NULL;
	json_object_put(st->overrides);
	st->overrides = NULL;
	json_object_put(st->inputs);
	st->inputs = NULL;
	json_object_put(st->sync);
	st->sync = NULL;
}

/*
 * The range from the WHERE clause, evaluated now: parameters, InitPlans,
 * nestloop parameters and stable expressions have their values for this
 * start of the scan.  Only ever called when the scan starts (its first
 * row, or the first after a rescan), or for plain EXPLAIN when no value
 * is deferred (pg_range.c's rule).
 */
static void
evaluate_range(ForeignScanState *node, BfScanState *st)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	MemoryContext old;

	MemoryContextReset(st->range_cxt);
	old = MemoryContextSwitchTo(st->range_cxt);
	if (st->run_request != NULL)
	{
		/* backfill_into decides the context; a WHERE clause has no say */
		const BfRunContext *rc = &st->run_request->ctx;

		st->range.bounded = (rc->range_start != NULL || rc->range_end != NULL);
		st->range.nruns = 1;
		st->range.runs = palloc0(sizeof(BfRangeRun));
		st->range.runs[0].start = (char *) rc->range_start;
		st->range.runs[0].end = (char *) rc->range_end;
	}
	else
		bf_range_evaluate(list_nth(fsplan->fdw_private, BfPrivateRange), st->range_states,
						  node->ss.ps.ps_ExprContext, &st->range);
	MemoryContextSwitchTo(old);
	st->evaluated = true;
}

/*
 * Where a scan with no bound starts, as EXPLAIN and the WARNING below say
 * it: the stored values of the endpoint's sync keys, which the spec's
 * coalesce(context.range_start, sync.last_x, default) picks next, or the
 * spec's default.
 */
static char *
sync_label(const BfEndpoint *ep, struct json_object *sync)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < ep->sync.count; i++)
	{
		const char *key = ep->sync.items[i];
		struct json_object *v;

		if (sync == NULL || !json_object_object_get_ex(sync, key, &v))
			continue;
		appendStringInfo(&buf, "%s%s = %s", buf.len > 0 ? ", " : "", key,
						 json_object_is_type(v, json_type_string)
						 ? json_object_get_string(v)
						 : json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	}
	if (buf.len == 0)
		return "spec default";
	return psprintf("from sync state (%s)", buf.data);
}

/* The same for the scan's endpoint and its stored values. */
static char *
unbounded_label(BfScanState *st)
{
	return sync_label(st->endpoint, st->sync);
}

/*
 * Never a silently incomplete answer: a query that constrains the range
 * column only in ways that cannot be sent (a cast of it, a function of it,
 * an OR with another column, a join the plan does not pass on) fetches the
 * range the spec picks with no bound, so say so, once per scan.
 */
static void
warn_unpushed(ForeignScanState *node, BfScanState *st)
{
	List	   *unpushed = list_nth(((ForeignScan *) node->ss.ps.plan)->fdw_private,
									BfPrivateUnpushed);
	StringInfoData buf;
	ListCell   *lc;

	if (st->warned || st->run_request != NULL || st->range.bounded || unpushed == NIL)
		return;
	st->warned = true;
	initStringInfo(&buf);
	foreach(lc, unpushed)
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? "; " : "", strVal(lfirst(lc)));
	ereport(WARNING,
			(errmsg("condition on range column \"%s\" of foreign table \"%s\" is not sent to the API: %s",
					st->opts->range_column, st->opts->relname, buf.data),
			 errdetail("The scan fetches only the range the spec picks with no bound (%s): rows outside it are missing from the result.",
					   unbounded_label(st)),
			 errhint("Bound the column itself with =, <, <=, >, >=, BETWEEN, IN or = ANY, or an OR of those.")));
}

/* A record's value of column col, as pg_convert.c finds it (a new reference). */
static struct json_object *
record_column(const BfColumn *col, struct json_object *record)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(record, json_type_object))
		return NULL;
	if (col->path != NULL)
	{
		JpError		jerr;

		return jp_search(col->path, record, &jerr);
	}
	if (!json_object_object_get_ex(record, col->name, &v))
	{
		json_object_object_foreach(record, key, val)
		{
			if (pg_strcasecmp(key, col->name) == 0)
			{
				v = val;
				break;
			}
		}
	}
	return json_object_get(v);
}

/*
 * Order text a against bound b as the column type orders them: dates by
 * day, timestamps by instant, numbers by value.  False when either cannot
 * be read that way (*cmp unset).
 */
static bool
compare_as(Oid typid, const char *a, const char *b, int *cmp)
{
	if (typid == DATEOID || typid == TIMESTAMPOID || typid == TIMESTAMPTZOID)
	{
		BfTime		ta;
		BfTime		tb;

		if (!bf_time_parse(a, strlen(a), &ta) || !bf_time_parse(b, strlen(b), &tb))
			return false;
		if (typid == DATEOID)
		{
			BfCivil		ca;
			BfCivil		cb;

			bf_time_to_civil(&ta, &ca);
			bf_time_to_civil(&tb, &cb);
			*cmp = (ca.year != cb.year) ? (ca.year < cb.year ? -1 : 1)
				: (ca.month != cb.month) ? (ca.month < cb.month ? -1 : 1)
				: (ca.day > cb.day) - (ca.day < cb.day);
			return true;
		}
		*cmp = bf_time_cmp(&ta, &tb);
		return true;
	}
	if (typid == INT2OID || typid == INT4OID || typid == INT8OID ||
		typid == NUMERICOID || typid == FLOAT4OID || typid == FLOAT8OID)
	{
		char	   *end;
		double		x = strtod(a, &end);
		double		y;

		if (end == a || *end != '\0')
			return false;
		y = strtod(b, &end);
		if (end == b || *end != '\0')
			return false;
		*cmp = (x > y) - (x < y);
		return true;
	}
	return false;
}

/*
 * backfill_into's keep filter (BfRunContext.keep): is the record's range
 * column inside the run's range?  Its rows are those of a WHERE on the
 * range, so a record outside it is not written and must not move the sync
 * cursor either (an API that only takes a start sends everything after
 * it).  The comparison uses the plain modules' parsers, which raise no
 * error: a value they cannot read is kept, and its row is filtered (or its
 * conversion fails) as any other.  So is a record that is not an object:
 * its conversion is the error that says so.
 */
static bool
keep_in_range(void *arg, struct json_object *record)
{
	BfScanState *st = (BfScanState *) arg;
	const BfColumn *col = &st->conv->columns[st->range_attnum - 1];
	struct json_object *v;
	const char *text;
	int			cmp;
	bool		keep = true;

	if (!json_object_is_type(record, json_type_object))
		return true;
	v = record_column(col, record);
	if (v == NULL)
		return false;			/* a NULL is in no range */
	text = json_object_get_string(v);
	if (st->run_ctx.range_start != NULL &&
		compare_as(col->typid, text, st->run_ctx.range_start, &cmp) && cmp < 0)
		keep = false;
	if (st->run_ctx.range_end != NULL &&
		compare_as(col->typid, text, st->run_ctx.range_end, &cmp) && cmp > 0)
		keep = false;
	json_object_put(v);
	return keep;
}

/*
 * Keep the endpoint's request.rate across the runs of a scan and its
 * rescans (one runner paces its own requests only): before a new run,
 * wait until the requests made so far are within the rate since the first
 * run started.  The wait is on the latch, so a cancel is seen at once.
 */
static void
pace_runs(BfScanState *st)
{
	double		rate = st->endpoint->request.rate;
	double		due;
	double		now;

	if (st->first_run_at == 0)
	{
		st->first_run_at = bf_http_now();
		return;
	}
	if (rate <= 0)
		return;
	due = st->first_run_at + st->done_stats.requests / rate;
	while ((now = bf_http_now()) < due)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min((long) ((due - now) * 1000) + 1, BF_POLL_MS), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Start the endpoint over the next run of the range. */
static void
start_runner(BfScanState *st)
{
	BfRangeRun *run = &st->range.runs[st->next_run++];
	BfError		err;

	pace_runs(st);
	if (st->run_request == NULL)
	{
		st->run_ctx.range_start = run->start;
		st->run_ctx.range_end = run->end;
		st->run_ctx.mode = st->range.bounded ? "backfill" : "incremental";
	}
	/* producers run with the scan's context: traced as it is */
	st->run_ctx.trace = bf_trace_level != 0;
	if (st->queues != NULL)
		bf_queue_scan_start(st->queues, st->spec, &st->run_ctx);
	bf_error_clear(&err);
	st->runner = bf_runner_new(st->spec, st->endpoint, &st->run_ctx, &err);
	if (st->runner == NULL)
		bf_raise(&err, st->secrets);
	if (st->run_request != NULL)
		st->run_request->runner = st->runner;
}

/*
 * The scan starts (its first row is asked for): evaluate the range now,
 * when every value it depends on has one.  No bound is one run over the
 * spec's default; an empty range is no run at all.
 */
static void
start_scan(ForeignScanState *node, BfScanState *st)
{
	evaluate_range(node, st);
	if (!st->range.bounded)
	{
		st->range.nruns = 1;
		st->range.runs = MemoryContextAllocZero(st->range_cxt, sizeof(BfRangeRun));
	}
	warn_unpushed(node, st);
	st->next_run = 0;
	st->started = true;
}

/* The user whose mapping holds the secrets: the view owner's, if any. */
static Oid
scan_user(ForeignScanState *node)
{
	EState	   *estate = node->ss.ps.state;
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	RangeTblEntry *rte;
	int			rtindex;

	rtindex = fsplan->scan.scanrelid > 0 ? fsplan->scan.scanrelid
		: bms_next_member(fsplan->fs_relids, -1);
	rte = exec_rt_fetch(rtindex, estate);
	return OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
}

/*
 * The scan's use of queues: backfill_server's set for a load it runs (the
 * load's run is then the endpoint's fill of its own queues), else the
 * statement's, shared with every other scan of the statement.
 */
static void
start_queues(ForeignScanState *node, BfScanState *st)
{
	BfQueueSet *set;
	bool		owns;

	if (!bf_queue_used(st->endpoint))
		return;
	owns = (st->run_request != NULL && st->run_request->queues != NULL);
	if (owns)
		set = st->run_request->queues;
	else
		set = st->queue_set = bf_queue_statement_set(node->ss.ps.state);
	st->queues = bf_queue_scan_new(set, st->opts, scan_user(node), st->endpoint, owns);
}

static void
backfillBeginForeignScan(ForeignScanState *node, int eflags)
{
	Relation	rel = node->ss.ss_currentRelation;
	BfScanState *st = palloc0(sizeof(BfScanState));

	node->fdw_state = st;
	st->opts = bf_table_options(RelationGetRelid(rel));
	st->release_cb.func = release_scan_resources;
	st->release_cb.arg = st;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &st->release_cb);
	st->range_cxt = AllocSetContextCreate(CurrentMemoryContext, "backfill_fdw range",
										  ALLOCSET_SMALL_SIZES);

	st->spec = bf_load_spec(st->opts->spec_path);
	st->endpoint = bf_find_endpoint(st->spec, st->opts->spec_path, st->opts->endpoint);
	st->conv = bf_converter_new(rel, st->opts->endpoint);

	if (bf_active_run != NULL && bf_active_run->relid == RelationGetRelid(rel))
		st->run_request = bf_active_run;
	st->range_states = ExecInitExprList(((ForeignScan *) node->ss.ps.plan)->fdw_exprs,
										(PlanState *) node);
	if (st->run_request != NULL)
	{
		st->run_ctx = st->run_request->ctx;
		st->range_attnum = range_attnum(RelationGetRelid(rel), st->opts);
		if (st->range_attnum != InvalidAttrNumber &&
			(st->run_ctx.range_start != NULL || st->run_ctx.range_end != NULL))
		{
			st->run_ctx.keep = keep_in_range;
			st->run_ctx.keep_arg = st;
		}
	}
	else
	{
		/* a plain SELECT reads the stored sync values, and never writes them */
		st->sync = bf_stored_sync(RelationGetRelid(rel));
		st->run_ctx.sync = st->sync;
	}
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
	{
		/* nothing runs: a deferred value (an InitPlan's, say) has none */
		if (!intVal(list_nth(((ForeignScan *) node->ss.ps.plan)->fdw_private,
							 BfPrivateDeferred)))
			evaluate_range(node, st);
		return;
	}

	st->secrets = bf_user_secrets(scan_user(node), st->opts->serverid);
	bf_check_secrets(st->spec, st->endpoint, st->secrets, st->opts->serverid);
	st->overrides = bf_overrides_json(st->opts->overrides);
	st->inputs = bf_inputs_json(st->opts->overrides);
	st->run_ctx.secrets = st->secrets;
	bf_user_tokens(scan_user(node), st->opts->serverid, &st->run_ctx);
	st->run_ctx.state_overrides = st->overrides;
	st->run_ctx.inputs = st->inputs;
	st->run_ctx.raw_records = st->conv->raw_ok;
	bf_bound_dedup(&st->run_ctx);
	start_queues(node, st);
}

/*
 * The endpoint is done: give backfill_into the run's statistics and sync
 * values, which it stores in the same transaction as the rows.
 */
static void
finish_run_request(BfScanState *st)
{
	BfRunRequest *rr = st->run_request;

	if (rr == NULL || rr->finished)
		return;
	bf_runner_stats(st->runner, &rr->stats);
	rr->sync_out = bf_runner_sync_values(st->runner);
	rr->finished = true;
}

/*
 * Return the next row.  bf_pull_record waits in short steps so that a
 * query cancel or statement_timeout is seen even when the API hangs; an
 * error frees the runner through the memory-context callback.
 */
static TupleTableSlot *
backfillIterateForeignScan(ForeignScanState *node)
{
	BfScanState *st = (BfScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	BfRecord	rec;

	ExecClearTuple(slot);
	if (!st->started)
		start_scan(node, st);
	for (;;)
	{
		if (st->runner == NULL)
		{
			if (st->next_run >= st->range.nruns)
			{
				/* every run is done, or the range is empty */
				bf_converter_warn_missing(st->conv);
				return slot;
			}
			start_runner(st);
		}
		if (bf_pull_record(st->runner, st->secrets, &rec))
		{
			if (st->run_request != NULL)
				bf_backfill_progress(st->run_request->relid, st->conv->relname, st->runner,
									 st->run_ctx.first_iteration, false);
			if (!st->endpoint->queue_only)
				break;
			/* it runs to fill its queues, and returns no row */
			json_object_put(rec.value);
			continue;
		}
		if (st->run_request != NULL)
			bf_backfill_progress(st->run_request->relid, st->conv->relname, st->runner,
								 st->run_ctx.first_iteration, true);
		if (st->queues != NULL)
			bf_queue_scan_done(st->queues);
		finish_run_request(st);
		free_runner(st);
	}
	if (rec.value == NULL)
	{
		bf_raw_record_to_values(st->conv, rec.raw, rec.raw_len,
								slot->tts_values, slot->tts_isnull);
		return ExecStoreVirtualTuple(slot);
	}
	PG_TRY();
	{
		bf_record_to_values(st->conv, rec.value, slot->tts_values, slot->tts_isnull);
	}
	PG_FINALLY();
	{
		json_object_put(rec.value);
	}
	PG_END_TRY();
	return ExecStoreVirtualTuple(slot);
}

/*
 * A rescan, for a new outer row of a nested loop (its values are the
 * range's nestloop parameters) or any other reason: a fresh start, whose
 * range is evaluated again when its first row is asked for.
 */
static void
backfillReScanForeignScan(ForeignScanState *node)
{
	BfScanState *st = (BfScanState *) node->fdw_state;

	free_runner(st);
	st->started = false;
}

static void
backfillEndForeignScan(ForeignScanState *node)
{
	BfScanState *st = (BfScanState *) node->fdw_state;

	if (st == NULL)
		return;
	/* a LIMIT may end the scan before the check had its records */
	if (st->conv != NULL && st->started)
		bf_converter_warn_missing(st->conv);
	release_scan_resources(st);
	/* after the runner, whose readers are the set's */
	if (st->queue_set != NULL)
		bf_queue_set_release(st->queue_set);
	st->queue_set = NULL;
}

/*
 * The range as EXPLAIN shows it: its runs; where a scan with no bound
 * starts; or, before the scan has started, that its values come only then.
 */
static char *
range_label(BfScanState *st)
{
	StringInfoData buf;
	int			i;

	if (!st->evaluated)
		return "set when the scan starts, from values known only then";
	if (!st->range.bounded)
		return unbounded_label(st);
	if (st->range.nruns == 0)
		return "empty: no request is sent";
	initStringInfo(&buf);
	for (i = 0; i < st->range.nruns; i++)
		appendStringInfo(&buf, "%s%s .. %s", i > 0 ? ", " : "",
						 st->range.runs[i].start ? st->range.runs[i].start : "(open)",
						 st->range.runs[i].end ? st->range.runs[i].end : "(open)");
	return buf.data;
}

/*
 * A consumer's producers, one line each ("Producer parents"): the range
 * each runs over, which is the consumer's, or with no bound what its own
 * sync state picks; with ANALYZE, its runs and requests, or that an
 * earlier scan of the statement filled its queues; then each queue they
 * write with its items.
 */
static void
explain_producers(ForeignScanState *node, BfScanState *st, ExplainState *es)
{
	const BfEndpoint *ep = st->endpoint;
	List	   *shown = NIL;
	int			i;

	for (i = 0; i < ep->producer_count; i++)
	{
		const BfEndpoint *p = ep->producers[i];
		StringInfoData buf;

		initStringInfo(&buf);
		if (st->evaluated && !st->range.bounded)
		{
			struct json_object *sync = bf_producer_sync(st->opts, scan_user(node), p->name);

			appendStringInfoString(&buf, sync_label(p, sync));
			json_object_put(sync);
		}
		else
			appendStringInfoString(&buf, range_label(st));
		if (es->analyze && st->queues != NULL)
		{
			const BfProducerReport *r = &bf_queue_scan_producers(st->queues)[i];

			if (r->runs > 0)
				appendStringInfo(&buf, "; %ld run%s, %ld request%s", r->runs,
								 r->runs == 1 ? "" : "s", r->stats.requests,
								 r->stats.requests == 1 ? "" : "s");
			else if (r->reused > 0)
				appendStringInfoString(&buf, "; its queues were filled by an earlier scan");
			if (r->runs > 0 && r->reused > 0)
				appendStringInfo(&buf, ", its queues read again by %ld later run%s",
								 r->reused, r->reused == 1 ? "" : "s");
		}
		ExplainPropertyText(psprintf("Producer %s", p->name), buf.data, es);
	}
	if (!es->analyze || st->queues == NULL)
		return;
	for (i = 0; i < ep->producer_count; i++)
	{
		const BfStrList *written = &ep->producers[i]->queues_written;
		int			j;

		for (j = 0; j < written->count; j++)
		{
			const char *q = written->items[j];
			long		n = bf_queue_scan_count(st->queues, q);

			if (list_member(shown, makeString((char *) q)) || n < 0)
				continue;
			shown = lappend(shown, makeString((char *) q));
			ExplainPropertyInteger(psprintf("Queue %s", q), "items", n, es);
		}
	}
}

/*
 * EXPLAIN shows the endpoint, the range sent and the limits in force, so a
 * slow scan explains itself; EXPLAIN ANALYZE adds what the scan did.
 */
static void
backfillExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	BfScanState *st = (BfScanState *) node->fdw_state;
	const BfRequest *rq = &st->endpoint->request;
	List	   *unpushed = list_nth(((ForeignScan *) node->ss.ps.plan)->fdw_private,
									BfPrivateUnpushed);

	ExplainPropertyText("Endpoint", st->opts->endpoint, es);
	ExplainPropertyText("Range", range_label(st), es);
	if (unpushed != NIL && (!st->evaluated || !st->range.bounded))
	{
		StringInfoData buf;
		ListCell   *lc;

		initStringInfo(&buf);
		foreach(lc, unpushed)
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? "; " : "", strVal(lfirst(lc)));
		ExplainPropertyText("Range Condition Not Sent", buf.data, es);
	}
	ExplainPropertyText("Limits",
						psprintf("rate %g requests/s, %d requests in flight, %d iterations at once",
								 rq->rate, rq->concurrency,
								 st->endpoint->iterate.present ? st->endpoint->iterate.concurrency : 1),
						es);
	explain_producers(node, st, es);
	if (es->verbose)
	{
		ExplainPropertyText("Spec", st->opts->spec_path, es);
		ExplainPropertyText("Records",
							st->conv->raw_ok && bf_runner_takes_bytes(st->endpoint)
							? "decoded straight into columns" : "decoded as JSON values", es);
	}
	if (es->analyze)
	{
		BfRunStats	stats = st->done_stats;

		if (st->runner != NULL)
			add_stats(st, &stats);
		ExplainPropertyInteger("Iterations", NULL, stats.iterations, es);
		ExplainPropertyInteger("Requests", NULL, stats.requests, es);
		ExplainPropertyInteger("Retries", NULL, stats.retries, es);
		ExplainPropertyInteger("Bytes Received", NULL, stats.bytes, es);
		ExplainPropertyFloat("Wait Time", "s", stats.wait_seconds, 3, es);
	}
}

/*
 * A foreign table per endpoint of the server's spec, its columns inferred
 * from a sample of the endpoint's records (pg_import.c).  The remote schema
 * name means nothing to a spec and is not read.
 */
static List *
backfillImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	return bf_import_foreign_schema(stmt);
}
