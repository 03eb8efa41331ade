/*-------------------------------------------------------------------------
 *
 * pg_tools.c
 *		  SQL functions for spec authors, in schema backfill_fdw:
 *		  evaluate(), render(), jmespath(), records(), whose way of
 *		  running an endpoint IMPORT FOREIGN SCHEMA's sample shares, and
 *		  check_spec().
 *
 * They are thin: each hands its arguments to a plain module and turns the
 * answer into jsonb.  They are also what the regression tests drive, so a
 * spec's expressions can be tried without an API.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg/pg_jsonc.h"

#include "catalog/pg_authid.h"
#include "catalog/pg_foreign_server.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "expr/expr.h"
#include "jmespath/jmespath.h"
#include "pg/pg_options.h"
#include "pg/pg_queue.h"
#include "pg/pg_tools.h"
#include "pg/pg_util.h"
#include "runner/runner.h"

PG_FUNCTION_INFO_V1(backfill_fdw_evaluate);
PG_FUNCTION_INFO_V1(backfill_fdw_render);
PG_FUNCTION_INFO_V1(backfill_fdw_jmespath);
PG_FUNCTION_INFO_V1(backfill_fdw_records);
PG_FUNCTION_INFO_V1(backfill_fdw_check_spec);

/*
 * Return a plain module's result as jsonb, or raise its error with the
 * secrets of vars masked.  It takes value and vars (either may be NULL)
 * and puts both, error or not: json-c memory is not the backend's to
 * reclaim.
 */
static Datum
result_or_raise(struct json_object *value, BfError *err, struct json_object *vars,
				FunctionCallInfo fcinfo)
{
	Datum		out = (Datum) 0;

	PG_TRY();
	{
		if (err->kind != BF_OK)
		{
			BfError		copy = *err;
			struct json_object *secrets = NULL;

			if (vars != NULL)
				json_object_object_get_ex(vars, "secrets", &secrets);
			bf_raise(&copy, secrets);
		}
		out = bf_json_to_jsonb(value);
	}
	PG_FINALLY();
	{
		json_object_put(value);
		json_object_put(vars);
	}
	PG_END_TRY();
	return out;
}

/*
 * vars as json-c, raising if it is not an object of namespaces.  Without
 * an "env" object in vars an expression reads the server's environment:
 * the spec's author may (a spec needs pg_read_server_files), but anyone
 * may run these tools, so for anyone else env is empty.
 */
static struct json_object *
vars_argument(FunctionCallInfo fcinfo, int argno)
{
	struct json_object *vars;
	struct json_object *env;

	vars = bf_jsonb_to_json(PG_GETARG_DATUM(argno));
	if (!json_object_is_type(vars, json_type_object))
	{
		json_object_put(vars);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vars must be a JSON object of namespaces, like {\"state\": {...}}")));
	}
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES) &&
		!(json_object_object_get_ex(vars, "env", &env) &&
		  json_object_is_type(env, json_type_object)))
		json_object_object_add(vars, "env", json_object_new_object());
	return vars;
}

/* evaluate(expression text, vars jsonb DEFAULT '{}') RETURNS jsonb */
Datum
backfill_fdw_evaluate(PG_FUNCTION_ARGS)
{
	char	   *src = text_to_cstring(PG_GETARG_TEXT_PP(0));
	struct json_object *vars = vars_argument(fcinfo, 1);
	struct json_object *value = NULL;
	BfError		err;
	BfExpr	   *expr;

	bf_error_clear(&err);
	expr = bf_expr_compile(src, &err);
	if (expr != NULL)
	{
		value = bf_expr_eval(expr, vars, &err);
		bf_expr_free(expr);
	}
	PG_RETURN_DATUM(result_or_raise(value, &err, vars, fcinfo));
}

/* render(template text, vars jsonb DEFAULT '{}') RETURNS jsonb */
Datum
backfill_fdw_render(PG_FUNCTION_ARGS)
{
	char	   *src = text_to_cstring(PG_GETARG_TEXT_PP(0));
	struct json_object *vars = vars_argument(fcinfo, 1);
	struct json_object *value = NULL;
	BfError		err;
	BfTemplate *tmpl;

	bf_error_clear(&err);
	tmpl = bf_template_compile(src, &err);
	if (tmpl != NULL)
	{
		value = bf_template_render(tmpl, vars, &err);
		bf_template_free(tmpl);
	}
	PG_RETURN_DATUM(result_or_raise(value, &err, vars, fcinfo));
}

/*
 * jmespath(document json, expression text) RETURNS jsonb.  The document is
 * json, not jsonb, so that its object key order (which keys() and values()
 * show) is the document's own.
 */
Datum
backfill_fdw_jmespath(PG_FUNCTION_ARGS)
{
	char	   *doc_text = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *src = text_to_cstring(PG_GETARG_TEXT_PP(1));
	struct json_object *doc = bf_parse_json_text(doc_text, "document");
	struct json_object *value = NULL;
	JpError		jerr;
	BfError		err;
	JpExpr	   *expr;

	bf_error_clear(&err);
	expr = jp_compile(src, &jerr);
	if (expr != NULL)
	{
		value = jp_search(expr, doc, &jerr);
		jp_free(expr);
	}
	json_object_put(doc);
	if (jerr.kind != JP_OK)
		jp_error_to_bf(&jerr, src, &err);
	PG_RETURN_DATUM(result_or_raise(value, &err, NULL, fcinfo));
}

/* Free the plain modules' memory, at the end or when the query fails. */
static void
release_records_state(void *arg)
{
	BfRecordsRun *rs = (BfRecordsRun *) arg;

	if (rs->runner != NULL)
		bf_runner_free(rs->runner);
	rs->runner = NULL;
	if (rs->spec != NULL)
		bf_spec_release(rs->spec);
	rs->spec = NULL;
	json_object_put(rs->secrets);
	rs->secrets = NULL;
	json_object_put(rs->overrides);
	rs->overrides = NULL;
	json_object_put(rs->inputs);
	rs->inputs = NULL;
}

/* A server of ours that the caller may use, with its spec path. */
ForeignServer *
bf_usable_server(const char *servername, char **spec_path, List **overrides)
{
	ForeignServer *server = GetForeignServerByName(servername, false);
	ForeignDataWrapper *fdw = GetForeignDataWrapper(server->fdwid);
	AclResult	aclresult;
	ListCell   *lc;

	if (strcmp(fdw->fdwname, "backfill_fdw") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("server \"%s\" is not a backfill_fdw server", server->servername)));
	aclresult = pg_foreign_server_aclcheck(server->serverid, GetUserId(), ACL_USAGE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FOREIGN_SERVER, server->servername);
	*spec_path = NULL;
	*overrides = NIL;
	foreach(lc, server->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "spec") == 0)
			*spec_path = defGetString(def);
		else
			*overrides = lappend(*overrides, def);
	}
	if (*spec_path == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no spec option", server->servername)));
	return server;
}

/*
 * A consumer's producers, run first as a scan runs them (pg_queue.h), in a
 * queue set of the run's own that goes with its memory context.
 */
static void
start_producers(ForeignServer *server, char *spec_path, const BfSpec *spec,
				const BfEndpoint *ep, BfRunContext *ctx)
{
	BfTableOptions *opts = palloc0(sizeof(BfTableOptions));

	if (!bf_queue_used(ep))
		return;
	opts->serverid = server->serverid;
	opts->spec_path = spec_path;
	bf_queue_scan_start(bf_queue_scan_new(bf_queue_set_new(), opts, GetUserId(), ep, false),
						spec, ctx);
}

/*
 * Start endpoint of server servername as records() runs it: the caller's
 * user mapping, the server's overrides, no stored sync values, and from
 * base the range, limit and iterations (mode follows the range); a
 * consumer's producers first, in fill mode.  In the
 * current memory context, whose reset frees it.
 */
BfRecordsRun *
bf_records_start(const char *servername, const char *endpoint, const BfRunContext *base)
{
	BfRecordsRun *rs = palloc0(sizeof(BfRecordsRun));
	char	   *spec_path;
	List	   *overrides;
	ForeignServer *server = bf_usable_server(servername, &spec_path, &overrides);
	const BfEndpoint *ep;
	BfRunContext ctx = *base;
	BfError		err;

	rs->release_cb.func = release_records_state;
	rs->release_cb.arg = rs;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &rs->release_cb);
	rs->spec = bf_load_spec(spec_path);
	ep = bf_find_endpoint(rs->spec, spec_path, endpoint);
	rs->secrets = bf_user_secrets(GetUserId(), server->serverid);
	bf_check_secrets(rs->spec, ep, rs->secrets, server->serverid);
	rs->overrides = bf_overrides_json(overrides);
	rs->inputs = bf_inputs_json(overrides);

	ctx.mode = (ctx.range_start || ctx.range_end) ? "backfill" : "incremental";
	ctx.secrets = rs->secrets;
	bf_user_tokens(GetUserId(), server->serverid, &ctx);
	ctx.state_overrides = rs->overrides;
	ctx.inputs = rs->inputs;
	bf_bound_dedup(&ctx);
	ctx.trace = bf_trace_level != 0;
	start_producers(server, spec_path, rs->spec, ep, &ctx);
	bf_error_clear(&err);
	rs->runner = bf_runner_new(rs->spec, ep, &ctx, &err);
	if (rs->runner == NULL)
		bf_raise(&err, rs->secrets);
	return rs;
}

/* Free the run now, not only when its memory context goes (see pg_tools.h). */
void
bf_records_release(BfRecordsRun *rs)
{
	release_records_state(rs);
}

/* Start the endpoint for records(), in the SRF's multi-call context. */
static BfRecordsRun *
start_records(FunctionCallInfo fcinfo)
{
	BfRunContext ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.range_start = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	ctx.range_end = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	return bf_records_start(NameStr(*PG_GETARG_NAME(0)), text_to_cstring(PG_GETARG_TEXT_PP(1)),
							&ctx);
}

/*
 * records(server name, endpoint text, range_start text, range_end text)
 * RETURNS SETOF jsonb: the endpoint's raw records, before any column
 * mapping, one per call as responses arrive.
 */
Datum
backfill_fdw_records(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	BfRecordsRun *rs;
	BfRecord	rec;
	struct json_object *record;
	Datum		out;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("server and endpoint must not be null")));
	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		funcctx->user_fctx = start_records(fcinfo);
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	rs = (BfRecordsRun *) funcctx->user_fctx;
	if (!bf_pull_record(rs->runner, rs->secrets, &rec))
	{
		release_records_state(rs);
		SRF_RETURN_DONE(funcctx);
	}
	record = rec.value;			/* records() asks for no raw records */
	PG_TRY();
	{
		out = bf_json_to_jsonb(record);
	}
	PG_FINALLY();
	{
		json_object_put(record);
	}
	PG_END_TRY();
	SRF_RETURN_NEXT(funcctx, out);
}

/*
 * One row of check_spec from a loader error: "file:line:col: key.path:
 * message" (or "file: key.path: message", or just a message, for a file
 * that cannot be read), split into its parts.
 */
static void
check_spec_row(Tuplestorestate *store, TupleDesc desc, const char *path, const char *msg)
{
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	const char *rest = msg;
	size_t		plen = strlen(path);
	int			line = 0;
	int			column = 0;
	int			used = 0;
	const char *sep;

	if (strncmp(rest, path, plen) == 0 && rest[plen] == ':')
	{
		rest += plen + 1;
		if (sscanf(rest, "%d:%d:%n", &line, &column, &used) == 2 && used > 0)
			rest += used;
		while (*rest == ' ')
			rest++;
	}
	values[0] = CStringGetTextDatum("error");
	values[1] = Int32GetDatum(line);
	nulls[1] = (line == 0);
	values[2] = Int32GetDatum(column);
	nulls[2] = (line == 0);
	/* a key path is one word before ": " */
	sep = strstr(rest, ": ");
	if (rest != msg && sep != NULL && memchr(rest, ' ', sep - rest) == NULL)
	{
		values[3] = PointerGetDatum(cstring_to_text_with_len(rest, (int) (sep - rest)));
		rest = sep + 2;
	}
	else
		nulls[3] = true;
	values[4] = CStringGetTextDatum(rest);
	tuplestore_putvalues(store, desc, values, nulls);
}

/*
 * check_spec(path text) RETURNS TABLE (severity, line, col, key_path,
 * message): what loading the spec file reports, as rows: its error (the
 * loader stops at the first), or its warnings; none for a clean spec.  It reads a server file, so the rule is the spec option's
 * (file_fdw's): a superuser or a member of pg_read_server_files.  The file
 * is loaded afresh, never from the cache, so a bad edit shows at once.
 */
Datum
backfill_fdw_check_spec(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	BfError		err;
	BfSpec	   *spec;

	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superuser or a role with privileges of the pg_read_server_files role may check a spec file")));
	InitMaterializedSRF(fcinfo, 0);
	bf_error_clear(&err);
	spec = bf_spec_load_file(path, &err);
	if (spec == NULL)
		check_spec_row(rsinfo->setResult, rsinfo->setDesc, path, err.message);
	else
	{
		int			i;

		for (i = 0; i < spec->warning_count; i++)
		{
			const BfSpecWarning *w = &spec->warnings[i];
			Datum		values[5];
			bool		nulls[5] = {false, w->loc.line == 0, w->loc.line == 0,
			w->path == NULL, false};

			values[0] = CStringGetTextDatum("warning");
			values[1] = Int32GetDatum(w->loc.line);
			values[2] = Int32GetDatum(w->loc.column);
			values[3] = w->path ? CStringGetTextDatum(w->path) : (Datum) 0;
			values[4] = CStringGetTextDatum(w->message);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	bf_spec_free(spec);
	return (Datum) 0;
}
