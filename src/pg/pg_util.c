/*-------------------------------------------------------------------------
 *
 * pg_util.c
 *		  Errors, secrets and JSON conversions shared by the PostgreSQL-facing
 *		  modules of backfill_fdw.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "pg/pg_jsonc.h"

#include "access/htup_details.h"
#include "access/reloptions.h"
#include "catalog/pg_tablespace.h"
#include "commands/tablespace.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/inval.h"
#include "utils/syscache.h"

#include "expr/expr.h"
#include "util/suggest.h"
#include "pg/pg_backfill.h"
#include "pg/pg_util.h"

int			bf_trace_level = 0;

/* The values of backfill_fdw.trace: 0 is off, else the elevel to report at. */
static const struct config_enum_entry trace_options[] = {
	{"off", 0, false},
	{"notice", NOTICE, false},
	{"log", LOG, false},
	{NULL, 0, false}
};

/* The extension's settings, defined once when the module loads. */
void
bf_define_settings(void)
{
	DefineCustomEnumVariable("backfill_fdw.trace",
							 "Reports each request of a run as it completes.",
							 "off, notice (to the client) or log (to the server log): the method, "
							 "URL with secrets masked, status and bytes, with the time taken and "
							 "waited in DETAIL, and each retry with its reason.",
							 &bf_trace_level, 0, trace_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("backfill_fdw.progress_interval",
							"Least time between two progress reports of a backfill.",
							"backfill_into and CALL backfill report the iterations ended, rows, "
							"requests and retries as a NOTICE this often; -1 turns it off, 0 reports "
							"at every iteration ended.",
							&bf_progress_interval, 10000, -1, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	MarkGUCPrefixReserved("backfill_fdw");
}

int
bf_sqlstate(BfErrorKind kind)
{
	switch (kind)
	{
		case BF_ERR_SPEC:
			return ERRCODE_CONFIG_FILE_ERROR;
		case BF_ERR_SYNTAX:
			return ERRCODE_SYNTAX_ERROR;
		case BF_ERR_UNKNOWN_FUNCTION:
		case BF_ERR_ARITY:
			return ERRCODE_UNDEFINED_FUNCTION;
		case BF_ERR_TYPE:
			return ERRCODE_DATATYPE_MISMATCH;
		case BF_ERR_VALUE:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case BF_ERR_HTTP:
			return ERRCODE_FDW_ERROR;
		case BF_ERR_RESPONSE:
			return ERRCODE_INVALID_JSON_TEXT;
		case BF_ERR_CANCELED:
			return ERRCODE_QUERY_CANCELED;
		case BF_ERR_LIMIT:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case BF_ERR_NOMEM:
			return ERRCODE_OUT_OF_MEMORY;
		case BF_OK:
		case BF_ERR_INTERNAL:
			break;
	}
	return ERRCODE_INTERNAL_ERROR;
}

char *
bf_mask_secrets(const char *text, struct json_object *secrets)
{
	char	   *copy = pstrdup(text);

	bf_error_mask_secrets(copy, secrets);
	return copy;
}

void
bf_raise(const BfError *err, struct json_object *secrets)
{
	char	   *msg;

	if (err->kind == BF_ERR_CANCELED)
		CHECK_FOR_INTERRUPTS();
	msg = bf_mask_secrets(err->message, secrets);

	ereport(ERROR, (errcode(bf_sqlstate(err->kind)), errmsg("%s", msg)));
	pg_unreachable();
}

/*
 * Only reads the flags: the plain module cannot be longjmp'd out of (it
 * holds json-c and malloc memory), so it returns "canceled" and bf_raise
 * lets CHECK_FOR_INTERRUPTS do the rest.
 */
static bool
interrupt_requested(void)
{
	return InterruptPending && (QueryCancelPending || ProcDiePending);
}

void
bf_install_interrupt_hook(void)
{
	bf_expr_set_interrupt(interrupt_requested);
}

void
bf_give_back_memory(long bytes)
{
#ifdef __GLIBC__
	if (bytes >= BF_TRIM_AFTER_BYTES)
		malloc_trim(0);
#endif
}

/* The options of one pg_user_mapping row, or NULL when there is none. */
static struct json_object *
mapping_options(Oid userid, Oid serverid)
{
	HeapTuple	tp;
	Datum		datum;
	bool		isnull;
	struct json_object *out;
	ListCell   *lc;

	tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(userid),
						 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		return NULL;
	out = json_object_new_object();
	datum = SysCacheGetAttr(USERMAPPINGUSERSERVER, tp,
							Anum_pg_user_mapping_umoptions, &isnull);
	if (!isnull)
	{
		foreach(lc, untransformRelOptions(datum))
		{
			DefElem    *def = (DefElem *) lfirst(lc);

			json_object_object_add(out, def->defname,
								   json_object_new_string(defGetString(def)));
		}
	}
	ReleaseSysCache(tp);
	return out;
}

struct json_object *
bf_user_secrets(Oid userid, Oid serverid)
{
	struct json_object *out = mapping_options(userid, serverid);

	if (out == NULL)
		out = mapping_options(InvalidOid, serverid);
	return out != NULL ? out : json_object_new_object();
}

/*
 * The backend's oauth2 tokens, kept across scans (malloc'd, as the runner's
 * memory is), and emptied whenever a user mapping or a server changes: the
 * keys would miss the old tokens anyway (they digest the credentials), but
 * a token made from a secret that was replaced should not stay in memory.
 */
static BfTokenCache *backend_tokens;

#define BF_BACKEND_TOKENS 64

static void
forget_tokens(Datum arg, int cacheid, uint32 hashvalue)
{
	if (backend_tokens != NULL)
		bf_token_cache_clear(backend_tokens);
}

/* The OID of the user mapping bf_user_secrets reads, or InvalidOid. */
static Oid
mapping_oid(Oid userid, Oid serverid)
{
	Oid			users[2] = {userid, InvalidOid};
	int			i;

	for (i = 0; i < 2; i++)
	{
		HeapTuple	tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(users[i]),
										 ObjectIdGetDatum(serverid));

		if (HeapTupleIsValid(tp))
		{
			Oid			umid = ((Form_pg_user_mapping) GETSTRUCT(tp))->oid;

			ReleaseSysCache(tp);
			return umid;
		}
	}
	return InvalidOid;
}

void
bf_user_tokens(Oid userid, Oid serverid, BfRunContext *ctx)
{
	if (backend_tokens == NULL)
	{
		backend_tokens = bf_token_cache_new(BF_BACKEND_TOKENS);
		if (backend_tokens == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		CacheRegisterSyscacheCallback(USERMAPPINGOID, forget_tokens, (Datum) 0);
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, forget_tokens, (Datum) 0);
	}
	ctx->token_cache = backend_tokens;
	ctx->token_scope = psprintf("server %u role %u mapping %u", serverid, userid,
								mapping_oid(userid, serverid));
}

Datum
bf_json_to_jsonb(struct json_object *value)
{
	const char *text = json_object_to_json_string_ext(value,
													  JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	return DirectFunctionCall1(jsonb_in, CStringGetDatum(text));
}

struct json_object *
bf_jsonb_to_json(Datum jsonb)
{
	char	   *text = DatumGetCString(DirectFunctionCall1(jsonb_out, jsonb));
	struct json_object *out = bf_parse_json_text(text, "jsonb value");

	pfree(text);
	return out;
}

struct json_object *
bf_parse_json_text(const char *text, const char *what)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *out;
	enum json_tokener_error jerr;

	out = json_tokener_parse_ex(tok, text, (int) strlen(text) + 1);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (jerr != json_tokener_success)
	{
		json_object_put(out);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_JSON_TEXT),
				 errmsg("%s is not valid JSON: %s", what, json_tokener_error_desc(jerr))));
	}
	return out;
}

/* The run's warnings as WARNINGs, secrets masked, before anything else it says. */
static void
report_warnings(BfRunner *runner, struct json_object *secrets)
{
	char	   *w;

	while ((w = bf_runner_take_warning(runner)) != NULL)
	{
		char	   *msg = bf_mask_secrets(w, secrets);

		free(w);
		ereport(WARNING, (errmsg("%s", msg)));
		pfree(msg);
	}
}

/*
 * The request trace at the level backfill_fdw.trace says (the run queues
 * lines only when it was on at the run's start), secrets masked.
 */
static void
report_traces(BfRunner *runner, struct json_object *secrets)
{
	char	   *line;
	char	   *detail;

	while ((line = bf_runner_take_trace(runner, &detail)) != NULL)
	{
		char	   *msg = bf_mask_secrets(line, secrets);
		char	   *det = bf_mask_secrets(detail, secrets);

		free(line);
		free(detail);
		ereport(bf_trace_level != 0 ? bf_trace_level : LOG,
				(errmsg("%s", msg), errdetail("%s", det), errhidestmt(true)));
		pfree(msg);
		pfree(det);
	}
}

/* Is name an option of the user mapping (arg: secrets.*)? */
static bool
secret_known(const char *name, size_t len, void *arg)
{
	char	   *key = pnstrdup(name, len);
	bool		known = json_object_object_get_ex((struct json_object *) arg, key, NULL);

	pfree(key);
	return known;
}

void
bf_check_secrets(const BfSpec *spec, const BfEndpoint *ep, struct json_object *secrets,
				 Oid serverid)
{
	BfUnknownRead r;
	char	   *key;
	const char **known;
	const char *suggestion;
	const char *servername;
	int			n = 0;

	if (!bf_endpoint_unknown_read(spec, ep, true, "secrets", secret_known, secrets, &r))
		return;
	if (r.name == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	key = pstrdup(r.name);
	free(r.name);
	/* the option names are no secret (their values are): suggest among them */
	known = palloc0(sizeof(char *) * (json_object_object_length(secrets) + 1));
	{
		json_object_object_foreach(secrets, name, value)
		{
			(void) value;
			known[n++] = name;
		}
	}
	suggestion = bf_suggest(key, known);
	servername = GetForeignServer(serverid)->servername;
	ereport(ERROR,
			(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
			 errmsg("secret \"%s\" is not set for server \"%s\"", key, servername),
			 errdetail("%s:%d:%d: %s reads secrets.%s, and %s.", spec->file, r.loc.line,
					   r.loc.column, r.field_path, key,
					   n > 0 ? "the user mapping has no such option"
					   : "there is no user mapping for the current user or PUBLIC"),
			 suggestion != NULL
			 ? errhint("Did you mean \"%s\"?  Else add it: ALTER USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (ADD %s '...').",
					   suggestion, quote_identifier(servername), quote_identifier(key))
			 : errhint("Add it: %s USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (%s%s '...').",
					   n > 0 ? "ALTER" : "CREATE", quote_identifier(servername),
					   n > 0 ? "ADD " : "", quote_identifier(key))));
}

bool
bf_pull_record(BfRunner *runner, struct json_object *secrets, BfRecord *out)
{
	return bf_pull_record_as(runner, secrets, out, NULL);
}

bool
bf_pull_record_as(BfRunner *runner, struct json_object *secrets, BfRecord *out,
				  const char *context)
{
	for (;;)
	{
		BfError		err;
		BfRunStatus status;

		CHECK_FOR_INTERRUPTS();
		bf_error_clear(&err);
		status = bf_runner_next_record(runner, BF_POLL_MS, out, &err);
		report_traces(runner, secrets);
		report_warnings(runner, secrets);
		switch (status)
		{
			case BF_RUN_RECORD:
				return true;
			case BF_RUN_WAIT:
				break;
			case BF_RUN_DONE:
				return false;
			case BF_RUN_ERROR:
				if (context != NULL)
					bf_error_prefix(&err, "%s", context);
				bf_raise(&err, secrets);
		}
	}
}

void
bf_add_run_stats(BfRunStats *sum, const BfRunStats *run)
{
	sum->iterations += run->iterations;
	sum->iterations_done += run->iterations_done;
	sum->requests += run->requests;
	sum->retries += run->retries;
	sum->bytes += run->bytes;
	sum->records += run->records;
	sum->queue_items += run->queue_items;
	sum->wait_seconds += run->wait_seconds;
}

/*
 * work_mem is what a sort or a hash may hold before it spills, and the set
 * of seen keys is such a hash.  Its files go where PostgreSQL's own
 * temporary files go (base/pgsql_tmp, or a temp_tablespaces one), made if
 * missing as fd.c makes it; they are unlinked as soon as made, so a crash
 * leaves none, and the runner's memory context callback closes them on
 * ERROR.  They are not counted against temp_file_limit.
 */
void
bf_bound_dedup(BfRunContext *ctx)
{
	char		path[MAXPGPATH];
	Oid			tablespace;

	PrepareTempTablespaces();
	tablespace = GetNextTempTableSpace();
	TempTablespacePath(path, OidIsValid(tablespace) ? tablespace : DEFAULTTABLESPACE_OID);
	(void) MakePGDirectory(path);
	ctx->dedup_memory = (size_t) work_mem * 1024;
	ctx->spill_dir = pstrdup(path);
}
