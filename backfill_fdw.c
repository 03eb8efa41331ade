/*-------------------------------------------------------------------------
 *
 * backfill_fdw.c
 *		  Foreign-data wrapper for REST APIs described by Sling API specs.
 *
 * This file holds the FDW callbacks and nothing else: option validation,
 * planning, the scan (begin / iterate / rescan / end) and EXPLAIN.  The
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
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "commands/explain.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rel.h"

#include "http/http.h"
#include "jmespath/jmespath.h"
#include "pg/pg_backfill.h"
#include "pg/pg_convert.h"
#include "pg/pg_options.h"
#include "pg/pg_range.h"
#include "pg/pg_util.h"
#include "runner/runner.h"
#include "spec/spec.h"

PG_MODULE_MAGIC;

BfRunRequest *bf_active_run = NULL;

/* A guess of rows per scan for the planner: an API call is never cheap. */
#define BF_DEFAULT_ROWS 1000
#define BF_STARTUP_COST 1000.0

/*
 * The options each catalog accepts.  Server options other than these are
 * overrides of the spec's defaults.state (a staging base_url, say); every
 * user-mapping option is a secret, so none is listed and none is refused.
 */
typedef struct BfValidOption
{
	const char *name;
	Oid			context;
} BfValidOption;

static const BfValidOption valid_options[] = {
	{"spec", ForeignServerRelationId},
	{"spec", ForeignTableRelationId},
	{"endpoint", ForeignTableRelationId},
	{"range_column", ForeignTableRelationId},
	{"target", ForeignTableRelationId},
	{"json_path", AttributeRelationId},
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
	struct json_object *sync;	/* a plain SELECT's stored sync values */
	BfConverter *conv;
	List	   *range_states;	/* ExprStates of the range bounds */
	BfRange		range;			/* what they came to at scan start */
	BfRunContext run_ctx;
	BfRunStats	last_stats;		/* of the last runner, kept for EXPLAIN ANALYZE */
	BfRunRequest *run_request;	/* set when backfill_into runs this scan */
	MemoryContextCallback release_cb;
} BfScanState;

void		_PG_init(void);

PG_FUNCTION_INFO_V1(backfill_fdw_handler);
PG_FUNCTION_INFO_V1(backfill_fdw_validator);

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
 * Server options other than spec must name a key of defaults.state: a typo
 * in an override would otherwise be silently ignored.
 */
static void
check_state_overrides(const BfSpec *spec, const char *path, List *overrides)
{
	ListCell   *lc;

	foreach(lc, overrides)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		bool		found = false;
		int			i;

		for (i = 0; i < spec->base_state.count && !found; i++)
			found = (strcmp(spec->base_state.keys[i], def->defname) == 0);
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 errdetail("Server options other than \"spec\" override keys of defaults.state, and spec file \"%s\" has no defaults.state key \"%s\".",
							   path, def->defname)));
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
		else if (strcmp(def->defname, "endpoint") == 0)
			endpoint = nonempty_option(def);
		else if (strcmp(def->defname, "range_column") == 0)
			(void) nonempty_option(def);
		else if (strcmp(def->defname, "target") == 0)
			(void) makeRangeVarFromNameList(stringToQualifiedNameList(nonempty_option(def)));
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
	}

	/* with no spec, a state override would override nothing, unchecked */
	if (catalog == ForeignServerRelationId && spec_path == NULL && overrides != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"", ((DefElem *) linitial(overrides))->defname),
				 errdetail("Server options other than \"spec\" override keys of the spec's defaults.state, and the server has no spec option."),
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
 * Estimate the scan.  An API gives no statistics; the range pushed down
 * (issue of the planner's range extraction) refines this later.
 */
static void
backfillGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	baserel->rows = BF_DEFAULT_ROWS;
}

static void
backfillGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	Cost		startup_cost = BF_STARTUP_COST;
	Cost		total_cost = startup_cost + baserel->rows * cpu_tuple_cost * 10;

	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup_cost, total_cost, NIL,
									 baserel->lateral_relids, NULL, NIL));
}

/*
 * Every qual stays a local filter: the API may return more than asked for,
 * and a row it should not have sent must still not reach the user.  Quals
 * on the range column also become the range sent to the spec: their value
 * sides go in fdw_exprs, evaluated at scan start (pg_range.c).
 */
static ForeignScan *
backfillGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
					   ForeignPath *best_path, List *tlist, List *scan_clauses,
					   Plan *outer_plan)
{
	BfTableOptions *opts = bf_table_options(foreigntableid);
	List	   *range_info = NIL;
	List	   *range_exprs = NIL;

	if (opts->range_column != NULL)
	{
		AttrNumber	attnum = get_attnum(foreigntableid, opts->range_column);

		if (attnum == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("range_column \"%s\" is not a column of foreign table \"%s\"",
							opts->range_column, opts->relname)));
		range_info = bf_range_extract(root, baserel, scan_clauses, attnum, &range_exprs);
	}
	scan_clauses = extract_actual_clauses(scan_clauses, false);
	return make_foreignscan(tlist, scan_clauses, baserel->relid, range_exprs, range_info,
							NIL, NIL, outer_plan);
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
	if (st->runner == NULL)
		return;
	if (st->run_request != NULL && st->run_request == bf_active_run)
		st->run_request->runner = NULL;
	bf_runner_stats(st->runner, &st->last_stats);
	bf_runner_free(st->runner);
	st->runner = NULL;
	bf_give_back_memory(st->last_stats.bytes);
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
	json_object_put(st->sync);
	st->sync = NULL;
}

/*
 * The range from the WHERE clause, evaluated now: parameters and stable
 * expressions have their values for this execution.
 */
static void
evaluate_range(ForeignScanState *node, BfScanState *st)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;

	if (st->run_request != NULL)
	{
		/* backfill_into decides the context; a WHERE clause has no say */
		const BfRunContext *rc = &st->run_request->ctx;

		st->range.bounded = (rc->range_start != NULL || rc->range_end != NULL);
		st->range.start = (char *) rc->range_start;
		st->range.end = (char *) rc->range_end;
		st->run_ctx = *rc;
		return;
	}
	bf_range_evaluate(fsplan->fdw_private, st->range_states,
					  node->ss.ps.ps_ExprContext, &st->range);
	st->run_ctx.range_start = st->range.start;
	st->run_ctx.range_end = st->range.end;
	st->run_ctx.mode = st->range.bounded ? "backfill" : "incremental";
}

/* Start (or restart) the endpoint's requests; none when the range is empty. */
static void
start_runner(BfScanState *st)
{
	BfError		err;

	if (st->range.empty)
		return;
	bf_error_clear(&err);
	st->runner = bf_runner_new(st->spec, st->endpoint, &st->run_ctx, &err);
	if (st->runner == NULL)
		bf_raise(&err, st->secrets);
	if (st->run_request != NULL)
		st->run_request->runner = st->runner;
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

	st->spec = bf_load_spec(st->opts->spec_path);
	st->endpoint = bf_find_endpoint(st->spec, st->opts->spec_path, st->opts->endpoint);
	st->conv = bf_converter_new(rel, st->opts->endpoint);

	if (bf_active_run != NULL && bf_active_run->relid == RelationGetRelid(rel))
		st->run_request = bf_active_run;
	st->range_states = ExecInitExprList(((ForeignScan *) node->ss.ps.plan)->fdw_exprs,
										(PlanState *) node);
	evaluate_range(node, st);
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	st->secrets = bf_user_secrets(scan_user(node), st->opts->serverid);
	st->overrides = bf_overrides_json(st->opts->overrides);
	st->run_ctx.secrets = st->secrets;
	st->run_ctx.state_overrides = st->overrides;
	if (st->run_request == NULL)
	{
		/* a plain SELECT reads the stored sync values, and never writes them */
		st->sync = bf_stored_sync(RelationGetRelid(rel));
		st->run_ctx.sync = st->sync;
	}
	st->run_ctx.raw_records = st->conv->raw_ok;
	start_runner(st);
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
	if (st->runner == NULL)
		return slot;			/* an empty range */
	if (!bf_pull_record(st->runner, st->secrets, &rec))
	{
		finish_run_request(st);
		return slot;
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

static void
backfillReScanForeignScan(ForeignScanState *node)
{
	BfScanState *st = (BfScanState *) node->fdw_state;

	free_runner(st);
	evaluate_range(node, st);
	start_runner(st);
}

static void
backfillEndForeignScan(ForeignScanState *node)
{
	BfScanState *st = (BfScanState *) node->fdw_state;

	if (st != NULL)
		release_scan_resources(st);
}

/* The range as EXPLAIN shows it. */
static char *
range_label(const BfRange *range)
{
	if (!range->bounded)
		return "none";
	if (range->empty)
		return "empty: no request is sent";
	return psprintf("%s .. %s", range->start ? range->start : "(open)",
					range->end ? range->end : "(open)");
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

	ExplainPropertyText("Endpoint", st->opts->endpoint, es);
	ExplainPropertyText("Range", range_label(&st->range), es);
	ExplainPropertyText("Limits",
						psprintf("rate %g requests/s, %d requests in flight, %d iterations at once",
								 rq->rate, rq->concurrency,
								 st->endpoint->iterate.present ? st->endpoint->iterate.concurrency : 1),
						es);
	if (es->verbose)
	{
		ExplainPropertyText("Spec", st->opts->spec_path, es);
		ExplainPropertyText("Records",
							st->conv->raw_ok && bf_runner_takes_bytes(st->endpoint)
							? "decoded straight into columns" : "decoded as JSON values", es);
	}
	if (es->analyze)
	{
		BfRunStats	stats = st->last_stats;

		if (st->runner != NULL)
			bf_runner_stats(st->runner, &stats);
		ExplainPropertyInteger("Iterations", NULL, stats.iterations, es);
		ExplainPropertyInteger("Requests", NULL, stats.requests, es);
		ExplainPropertyInteger("Retries", NULL, stats.retries, es);
		ExplainPropertyInteger("Bytes Received", NULL, stats.bytes, es);
		ExplainPropertyFloat("Wait Time", "s", stats.wait_seconds, 3, es);
	}
}
