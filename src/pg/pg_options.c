/*-------------------------------------------------------------------------
 *
 * pg_options.c
 *		  Resolving a foreign table's options, and loading its spec.
 *
 * The scan, backfill_into and records() all need the same answer to "which
 * spec, which endpoint": the table's spec option wins over the server's,
 * the endpoint defaults to the table's name, the server's inputs option is
 * the inputs namespace, and every other server option but spec sets a
 * state key (Sling's connection-level state).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg/pg_jsonc.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_foreign_table.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "access/relation.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "pg/pg_convert.h"
#include "pg/pg_options.h"
#include "pg/pg_util.h"
#include "util/suggest.h"

/* The intervals target_partition takes, each a unit of date_trunc. */
static const char *const partition_units[] = {"day", "week", "month", "year", NULL};

const char *
bf_partition_unit(const char *value)
{
	int			i;

	for (i = 0; partition_units[i] != NULL; i++)
	{
		if (strcmp(value, partition_units[i]) == 0)
			return partition_units[i];
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("invalid value for option \"target_partition\": \"%s\"", value),
			 errhint("Valid values are day, week, month and year.")));
	return NULL;				/* keep the compiler quiet */
}

BfTableOptions *
bf_table_options(Oid relid)
{
	ForeignTable *table = GetForeignTable(relid);
	ForeignServer *server = GetForeignServer(table->serverid);
	BfTableOptions *opts = palloc0(sizeof(BfTableOptions));
	ListCell   *lc;

	opts->relid = relid;
	opts->serverid = server->serverid;
	opts->relname = get_rel_name(relid);

	foreach(lc, server->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "spec") == 0)
			opts->spec_path = defGetString(def);
		else
			opts->overrides = lappend(opts->overrides, def);
	}
	foreach(lc, table->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "spec") == 0)
			opts->spec_path = defGetString(def);
		else if (strcmp(def->defname, "endpoint") == 0)
			opts->endpoint = defGetString(def);
		else if (strcmp(def->defname, "range_column") == 0)
			opts->range_column = defGetString(def);
		else if (strcmp(def->defname, "target") == 0)
			opts->target = defGetString(def);
		else if (strcmp(def->defname, "target_partition") == 0)
			opts->target_partition = defGetString(def);
	}
	if (opts->endpoint == NULL)
		opts->endpoint = opts->relname;
	if (opts->spec_path == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("foreign table \"%s\" has no spec", opts->relname),
				 errhint("Set the option \"spec\" on the table or on server \"%s\".",
						 server->servername)));
	return opts;
}

/* list_sort's order of OIDs. */
static int
oid_order(const ListCell *a, const ListCell *b)
{
	Oid			x = lfirst_oid(a);
	Oid			y = lfirst_oid(b);

	return (x > y) - (x < y);
}

List *
bf_server_tables(Oid serverid)
{
	Relation	rel = table_open(ForeignTableRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	List	   *out = NIL;
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_foreign_table ft = (Form_pg_foreign_table) GETSTRUCT(tup);

		if (ft->ftserver == serverid)
			out = lappend_oid(out, ft->ftrelid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	list_sort(out, oid_order);
	return out;
}

struct json_object *
bf_overrides_json(List *overrides)
{
	struct json_object *out = json_object_new_object();
	ListCell   *lc;

	foreach(lc, overrides)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "inputs") != 0)
			json_object_object_add(out, def->defname, json_object_new_string(defGetString(def)));
	}
	return out;
}

struct json_object *
bf_parse_inputs(const char *value)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t		len = strlen(value);
	bool		whole;

	if (tok == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	obj = json_tokener_parse_ex(tok, value, (int) len);
	jerr = json_tokener_get_error(tok);
	/* nothing but white space may follow the object */
	whole = jerr == json_tokener_success &&
		strspn(value + json_tokener_get_parse_end(tok), " \t\r\n") ==
		len - json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!whole || !json_object_is_type(obj, json_type_object))
	{
		json_object_put(obj);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"inputs\": expected a JSON object"),
				 errdetail("The value %s.", whole ? "is JSON but not an object" :
						   "is not JSON"),
				 errhint("Write it as OPTIONS (inputs '{\"owner\": \"acme\", \"repositories\": [\"api\"]}').")));
	}
	return obj;
}

struct json_object *
bf_inputs_json(List *overrides)
{
	ListCell   *lc;

	foreach(lc, overrides)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "inputs") == 0)
			return bf_parse_inputs(defGetString(def));
	}
	return NULL;
}

BfSpec *
bf_load_spec(const char *path)
{
	BfError		err;
	BfSpec	   *spec;

	bf_error_clear(&err);
	spec = bf_spec_cache_get(path, &err);
	if (spec == NULL)
		bf_raise(&err, NULL);
	return spec;
}

const BfEndpoint *
bf_find_endpoint(const BfSpec *spec, const char *path, const char *name)
{
	const BfEndpoint *ep = bf_spec_endpoint(spec, name);
	StringInfoData names;
	const char **known;
	const char *suggestion;
	int			i;

	if (ep != NULL)
		return ep;
	initStringInfo(&names);
	for (i = 0; i < spec->endpoint_count; i++)
		appendStringInfo(&names, "%s%s", i > 0 ? ", " : "", spec->endpoints[i].name);
	known = palloc0(sizeof(char *) * (spec->endpoint_count + 1));
	for (i = 0; i < spec->endpoint_count; i++)
		known[i] = spec->endpoints[i].name;
	suggestion = bf_suggest(name, known);
	ereport(ERROR,
			(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
			 errmsg("spec file \"%s\" has no endpoint \"%s\"", path, name),
			 suggestion != NULL
			 ? errhint("Did you mean \"%s\"?  Its endpoints are: %s.", suggestion, names.data)
			 : names.len > 0 ? errhint("Its endpoints are: %s.", names.data) : 0));
	return NULL;				/* keep the compiler quiet */
}

/* Whether a list of DefElems sets spec. */
static bool
sets_spec(List *options)
{
	ListCell   *lc;

	foreach(lc, options)
		if (strcmp(((DefElem *) lfirst(lc))->defname, "spec") == 0)
		return true;
	return false;
}

void
bf_check_table_options(Oid relid)
{
	ForeignTable *table = GetForeignTable(relid);
	BfTableOptions *opts;
	BfSpec	   *spec;
	Relation	rel;
	TupleDesc	desc;
	int			i;

	if (!sets_spec(table->options) && !sets_spec(GetForeignServer(table->serverid)->options))
		return;
	opts = bf_table_options(relid);
	spec = bf_load_spec(opts->spec_path);
	PG_TRY();
	{
		(void) bf_find_endpoint(spec, opts->spec_path, opts->endpoint);
	}
	PG_FINALLY();
	{
		bf_spec_release(spec);
	}
	PG_END_TRY();
	rel = relation_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	/* an epoch option on a column of another type */
	for (i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			(void) bf_column_epoch(relid, TupleDescAttr(desc, i)->attnum,
								   NameStr(TupleDescAttr(desc, i)->attname),
								   TupleDescAttr(desc, i)->atttypid);
	if (opts->range_column != NULL &&
		get_attnum(relid, opts->range_column) == InvalidAttrNumber)
	{
		const char **known = palloc0(sizeof(char *) * (desc->natts + 1));
		const char *suggestion;
		int			n = 0;

		for (i = 0; i < desc->natts; i++)
			if (!TupleDescAttr(desc, i)->attisdropped)
				known[n++] = pstrdup(NameStr(TupleDescAttr(desc, i)->attname));
		relation_close(rel, AccessShareLock);
		suggestion = bf_suggest(opts->range_column, known);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
				 errmsg("option \"range_column\" of foreign table \"%s\" names no column: \"%s\"",
						opts->relname, opts->range_column),
				 suggestion != NULL ? errhint("Did you mean \"%s\"?", suggestion) : 0));
	}
	relation_close(rel, AccessShareLock);
}
