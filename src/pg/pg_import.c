/*-------------------------------------------------------------------------
 *
 * pg_import.c
 *		  IMPORT FOREIGN SCHEMA: a foreign table per endpoint of the server's
 *		  spec, its columns inferred from a sample of the endpoint's records.
 *
 * The sample is a run of the endpoint as backfill_fdw.records() makes it
 * (pg_tools.c): the importing user's user mapping, the spec's default range
 * (a plain SELECT's), no sync state read or written, cut at sample_records
 * records and sample_iterations iterations.  infer.c turns the records into
 * typed keys; this file names the columns and writes the CREATE FOREIGN
 * TABLE statements, which PostgreSQL runs (and pg_dump then keeps as any
 * other foreign table).
 *
 * An endpoint whose sample fails, or gives nothing to infer from, still
 * gets a table: its primary-key columns (text) and one jsonb column
 * "record" whose json_path '@' is the whole record, with a NOTICE saying
 * why.  Only a cancel or statement_timeout stops the import: the sample
 * runs in a subtransaction so that any other error can be caught safely.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg/pg_jsonc.h"

#include <limits.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/defrem.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "infer/infer.h"
#include "pg/pg_import.h"
#include "pg/pg_options.h"
#include "pg/pg_tools.h"
#include "pg/pg_util.h"

/* Defaults of the sample: enough to see each key's types, a few requests. */
#define BF_SAMPLE_RECORDS 100
#define BF_SAMPLE_ITERATIONS 3

/* The name of the whole-record column of a table whose sample failed. */
#define BF_RECORD_COLUMN "record"

/* IMPORT's OPTIONS (...), resolved. */
typedef struct ImportOptions
{
	bool		sample;
	long		sample_records;
	long		sample_iterations;
	char	   *target_schema;	/* or NULL */
	char	   *range_column;	/* or NULL */
} ImportOptions;

/* One column of a table to create. */
typedef struct ImportColumn
{
	char	   *key;			/* the record key; NULL: the whole record */
	const char *type;
	char	   *name;			/* the column's name */
	char	   *json_path;		/* or NULL: the key of the column's name */
} ImportColumn;

static const char *const import_option_names =
"sample, sample_records, sample_iterations, target_schema, range_column";

/* A positive integer option, or an error naming it. */
static long
positive_option(DefElem *def)
{
	char	   *value = defGetString(def);
	char	   *end;
	long		n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || n <= 0 || n > INT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("option \"%s\" of IMPORT FOREIGN SCHEMA must be a positive integer, not \"%s\"",
						def->defname, value)));
	return n;
}

/* A non-empty string option, or an error naming it. */
static char *
name_option(DefElem *def)
{
	char	   *value = defGetString(def);

	if (value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("option \"%s\" of IMPORT FOREIGN SCHEMA must not be empty",
						def->defname)));
	return value;
}

static void
parse_options(List *options, ImportOptions *o)
{
	ListCell   *lc;

	o->sample = true;
	o->sample_records = BF_SAMPLE_RECORDS;
	o->sample_iterations = BF_SAMPLE_ITERATIONS;
	o->target_schema = NULL;
	o->range_column = NULL;
	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "sample") == 0)
			o->sample = defGetBoolean(def);
		else if (strcmp(def->defname, "sample_records") == 0)
			o->sample_records = positive_option(def);
		else if (strcmp(def->defname, "sample_iterations") == 0)
			o->sample_iterations = positive_option(def);
		else if (strcmp(def->defname, "target_schema") == 0)
			o->target_schema = name_option(def);
		else if (strcmp(def->defname, "range_column") == 0)
			o->range_column = name_option(def);
		else
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\" of IMPORT FOREIGN SCHEMA", def->defname),
					 errhint("Valid options are: %s.", import_option_names)));
	}
}

/* Is endpoint name one of LIMIT TO / EXCEPT's list? */
static bool
listed(List *table_list, const char *name)
{
	ListCell   *lc;

	foreach(lc, table_list)
	{
		if (strcmp(((RangeVar *) lfirst(lc))->relname, name) == 0)
			return true;
	}
	return false;
}

/*
 * Run the endpoint's sample into inf.  NULL when it worked; else the error
 * it failed with (its message masked as bf_raise masks), which is caught
 * unless it is a cancel or statement_timeout: those end the import.
 */
static ErrorData *
run_sample(const char *servername, const BfEndpoint *ep, const ImportOptions *o,
		   BfInfer *inf)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	MemoryContext cxt = AllocSetContextCreate(oldcxt, "backfill_fdw import sample",
											  ALLOCSET_DEFAULT_SIZES);
	ErrorData  *edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		BfRunContext ctx;
		BfRecordsRun *rs;
		BfRecord	rec;

		memset(&ctx, 0, sizeof(ctx));
		ctx.limit = o->sample_records;
		ctx.max_iterations = o->sample_iterations;
		rs = bf_records_start(servername, ep->name, &ctx);
		while (bf_pull_record(rs->runner, rs->secrets, &rec))
		{
			bool		ok = bf_infer_add(inf, rec.value);

			json_object_put(rec.value);
			if (!ok)
				ereport(ERROR,
						(errcode(ERRCODE_OUT_OF_MEMORY),
						 errmsg("out of memory")));
		}
		bf_records_release(rs);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		{
			MemoryContextDelete(cxt);
			ReThrowError(edata);
		}
	}
	PG_END_TRY();
	MemoryContextDelete(cxt);	/* frees the runner, if the sample failed */
	return edata;
}

/*
 * Why the sample gives no columns (a NOTICE's message), or NULL when it
 * does.  A record that is not an object has no keys: only the whole-record
 * column holds it; nor do more keys than a table has columns (an API whose
 * keys are ids, say).
 */
static char *
sample_unusable(const BfEndpoint *ep, const BfInfer *inf, const ErrorData *edata)
{
	if (edata != NULL)
		return psprintf("could not sample endpoint \"%s\": %s", ep->name, edata->message);
	if (inf->records == 0)
		return psprintf("the sample of endpoint \"%s\" has no records", ep->name);
	if (inf->non_objects > 0)
		return psprintf("%ld of the %ld sampled records of endpoint \"%s\" are not JSON objects",
						inf->non_objects, inf->records, ep->name);
	if (inf->count == 0)
		return psprintf("the sampled records of endpoint \"%s\" have no keys", ep->name);
	if (inf->count + ep->response.records.primary_key.count > MaxHeapAttributeNumber)
		return psprintf("the sampled records of endpoint \"%s\" have %d keys, more than the %d columns a table can have",
						ep->name, inf->count, MaxHeapAttributeNumber);
	return NULL;
}

/* The sampled type of key, or NULL when the sample has no such key. */
static const char *
sampled_type(const BfInfer *inf, const char *key)
{
	int			i;

	for (i = 0; inf != NULL && i < inf->count; i++)
	{
		if (strcmp(inf->keys[i].name, key) == 0)
			return bf_infer_type_name(inf->keys[i].type);
	}
	return NULL;
}

/*
 * The columns, before naming: the primary key's fields first (text when
 * the sample has not seen them), then the sample's other keys in the
 * order first seen, or, with no usable sample, the whole record.
 */
static List *
table_columns(const BfEndpoint *ep, const BfInfer *inf)
{
	const BfStrList *pk = &ep->response.records.primary_key;
	List	   *columns = NIL;
	int			i;

	for (i = 0; i < pk->count; i++)
	{
		ImportColumn *col = palloc0(sizeof(ImportColumn));
		const char *type = sampled_type(inf, pk->items[i]);

		col->key = pstrdup(pk->items[i]);
		col->type = type ? type : "text";
		columns = lappend(columns, col);
	}
	if (inf == NULL)
	{
		ImportColumn *col = palloc0(sizeof(ImportColumn));

		col->type = "jsonb";
		col->json_path = "@";
		return lappend(columns, col);
	}
	for (i = 0; i < inf->count; i++)
	{
		ImportColumn *col;
		int			k;
		bool		is_pk = false;

		for (k = 0; k < pk->count && !is_pk; k++)
			is_pk = (strcmp(pk->items[k], inf->keys[i].name) == 0);
		if (is_pk)
			continue;
		col = palloc0(sizeof(ImportColumn));
		col->key = pstrdup(inf->keys[i].name);
		col->type = bf_infer_type_name(inf->keys[i].type);
		columns = lappend(columns, col);
	}
	return columns;
}

/* Is name the name of a column before upto in columns? */
static bool
name_taken(List *columns, int upto, const char *name)
{
	int			i;

	for (i = 0; i < upto; i++)
	{
		ImportColumn *col = list_nth(columns, i);

		if (strcmp(col->name, name) == 0)
			return true;
	}
	return false;
}

/* Does another column's key equal key ignoring case? */
static bool
has_case_twin(List *columns, ImportColumn *self)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		ImportColumn *col = lfirst(lc);

		if (col != self && col->key != NULL && pg_strcasecmp(col->key, self->key) == 0)
			return true;
	}
	return false;
}

/*
 * A JMESPath that reads exactly key: the key itself when it is a plain
 * identifier (so backfill_into's primary_key lookup, which compares a
 * json_path to the field, still finds it), else a quoted identifier.
 */
static char *
key_path(const char *key)
{
	const char *p;
	bool		plain = (key[0] != '\0' && !(key[0] >= '0' && key[0] <= '9'));
	struct json_object *s;
	char	   *out;

	for (p = key; *p && plain; p++)
		plain = (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				 (*p >= '0' && *p <= '9'));
	if (plain)
		return pstrdup(key);
	s = json_object_new_string(key);
	out = pstrdup(json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN |
												 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(s);
	return out;
}

/*
 * Name the columns: a key's own name when PostgreSQL can take it (not
 * empty, shorter than NAMEDATALEN, not taken), else one cut to fit with a
 * number added; such a column, and one whose key differs from another
 * only by case (which pg_convert.c's case-insensitive fallback would mix
 * up), gets a json_path reading exactly its key.
 */
static void
name_columns(List *columns)
{
	int			i;

	for (i = 0; i < list_length(columns); i++)
	{
		ImportColumn *col = list_nth(columns, i);
		const char *want = col->key ? col->key : BF_RECORD_COLUMN;
		int			len = strlen(want);
		int			n = 1;

		if (len == 0)
			want = "column";
		len = pg_mbcliplen(want, strlen(want), NAMEDATALEN - 1);
		col->name = pnstrdup(want, len);
		while (name_taken(columns, i, col->name))
		{
			char		suffix[16];

			snprintf(suffix, sizeof(suffix), "_%d", ++n);
			len = pg_mbcliplen(want, strlen(want), NAMEDATALEN - 1 - strlen(suffix));
			col->name = psprintf("%.*s%s", len, want, suffix);
		}
		if (col->key != NULL &&
			(strcmp(col->name, col->key) != 0 || has_case_twin(columns, col)))
			col->json_path = key_path(col->key);
	}
}

/* The CREATE FOREIGN TABLE statement of one endpoint. */
static char *
create_statement(const char *servername, const BfEndpoint *ep, List *columns,
				 const ImportOptions *o)
{
	StringInfoData sql;
	ListCell   *lc;
	bool		has_range = false;

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE FOREIGN TABLE %s (", quote_identifier(ep->name));
	foreach(lc, columns)
	{
		ImportColumn *col = lfirst(lc);

		appendStringInfo(&sql, "%s\n  %s %s", foreach_current_index(lc) > 0 ? "," : "",
						 quote_identifier(col->name), col->type);
		if (col->json_path != NULL)
			appendStringInfo(&sql, " OPTIONS (json_path %s)", quote_literal_cstr(col->json_path));
		has_range |= (o->range_column != NULL && strcmp(col->name, o->range_column) == 0);
	}
	appendStringInfo(&sql, "\n) SERVER %s OPTIONS (endpoint %s", quote_identifier(servername),
					 quote_literal_cstr(ep->name));
	if (has_range)
		appendStringInfo(&sql, ", range_column %s", quote_literal_cstr(o->range_column));
	if (o->target_schema != NULL)
		appendStringInfo(&sql, ", target %s",
						 quote_literal_cstr(psprintf("%s.%s", quote_identifier(o->target_schema),
													 quote_identifier(ep->name))));
	appendStringInfoChar(&sql, ')');
	return sql.data;
}

/* The statement for one endpoint: sampled, or the whole-record fallback. */
static char *
import_endpoint(const char *servername, const BfEndpoint *ep, const ImportOptions *o)
{
	BfInfer    *inf = NULL;
	char	   *why = NULL;
	List	   *columns;

	if (o->sample)
	{
		ErrorData  *edata;

		inf = bf_infer_new();
		if (inf == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		PG_TRY();
		{
			edata = run_sample(servername, ep, o, inf);
			why = sample_unusable(ep, inf, edata);
			columns = table_columns(ep, why == NULL ? inf : NULL);
		}
		PG_FINALLY();
		{
			bf_infer_free(inf);
		}
		PG_END_TRY();
		if (why != NULL)
			ereport(NOTICE,
					(errmsg("%s", why),
					 ep->response.records.primary_key.count > 0
					 ? errdetail("Foreign table \"%s\" gets the primary-key columns (text) and a jsonb column \"%s\" holding the whole record.",
								 ep->name, BF_RECORD_COLUMN)
					 : errdetail("Foreign table \"%s\" gets one jsonb column \"%s\" holding the whole record.",
								 ep->name, BF_RECORD_COLUMN)));
	}
	else
		columns = table_columns(ep, NULL);
	name_columns(columns);
	return create_statement(servername, ep, columns, o);
}

List *
bf_import_foreign_schema(ImportForeignSchemaStmt *stmt)
{
	ImportOptions o;
	char	   *spec_path;
	List	   *overrides;
	BfSpec	   *spec;
	List	   *commands = NIL;

	parse_options(stmt->options, &o);
	(void) bf_usable_server(stmt->server_name, &spec_path, &overrides);
	spec = bf_load_spec(spec_path);
	PG_TRY();
	{
		ListCell   *lc;
		int			i;

		/* a name that is no endpoint is a typo, which would import nothing */
		foreach(lc, stmt->table_list)
			(void) bf_find_endpoint(spec, spec_path, ((RangeVar *) lfirst(lc))->relname);
		for (i = 0; i < spec->endpoint_count; i++)
		{
			const BfEndpoint *ep = &spec->endpoints[i];
			bool		in_list = listed(stmt->table_list, ep->name);

			if ((stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO && !in_list) ||
				(stmt->list_type == FDW_IMPORT_SCHEMA_EXCEPT && in_list))
				continue;
			commands = lappend(commands, import_endpoint(stmt->server_name, ep, &o));
		}
	}
	PG_FINALLY();
	{
		bf_spec_release(spec);
	}
	PG_END_TRY();
	return commands;
}
