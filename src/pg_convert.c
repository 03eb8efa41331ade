/*-------------------------------------------------------------------------
 *
 * pg_convert.c
 *		  Records to tuples: DESIGN §2's column mapping.
 *
 * A column takes the record key of its name (exact first, then
 * case-insensitively) or, with the column option json_path, a JMESPath over
 * the record.  A scalar goes through the column type's input function, as
 * if it had been typed in; an object or array goes to json/jsonb as JSON and
 * to any other type as its JSON text, so that a text column still shows it.
 * A value that does not convert is the input function's own error, with a
 * context line naming the column, the value and the endpoint: never a silent
 * NULL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include <strings.h>

#include "access/reloptions.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "pg_convert.h"
#include "pg_util.h"

/* What the error context callback needs while one value is converted. */
typedef struct ConvertErrorContext
{
	BfConverter *conv;
	BfColumn   *column;
	const char *value;
} ConvertErrorContext;

/* Longer values are cut in error messages: a whole page body helps nobody. */
#define BF_VALUE_IN_ERROR 80

static void
convert_error_callback(void *arg)
{
	ConvertErrorContext *ctx = (ConvertErrorContext *) arg;
	int			len = strlen(ctx->value);

	errcontext("column \"%s\" of foreign table \"%s\", value \"%.*s%s\", endpoint \"%s\"",
			   ctx->column->name, ctx->conv->relname,
			   len > BF_VALUE_IN_ERROR ? BF_VALUE_IN_ERROR : len, ctx->value,
			   len > BF_VALUE_IN_ERROR ? "..." : "",
			   ctx->conv->endpoint);
}

/* Compiled JMESPaths are malloc'd by the plain module: free them with the context. */
static void
free_converter_paths(void *arg)
{
	BfConverter *conv = (BfConverter *) arg;
	int			i;

	for (i = 0; i < conv->natts; i++)
	{
		if (conv->columns[i].path != NULL)
			jp_free(conv->columns[i].path);
		conv->columns[i].path = NULL;
	}
}

/* The json_path option of a column, or NULL. */
static char *
column_json_path(Oid relid, AttrNumber attnum)
{
	ListCell   *lc;

	foreach(lc, GetForeignColumnOptions(relid, attnum))
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "json_path") == 0)
			return defGetString(def);
	}
	return NULL;
}

BfConverter *
bf_converter_new(Relation rel, const char *endpoint)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	BfConverter *conv = palloc0(sizeof(BfConverter));
	MemoryContextCallback *cb = palloc0(sizeof(MemoryContextCallback));
	int			i;

	conv->natts = tupdesc->natts;
	conv->columns = palloc0(sizeof(BfColumn) * conv->natts);
	conv->endpoint = pstrdup(endpoint);
	conv->relname = pstrdup(RelationGetRelationName(rel));
	cb->func = free_converter_paths;
	cb->arg = conv;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);

	for (i = 0; i < conv->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		BfColumn   *col = &conv->columns[i];
		Oid			infunc;
		char	   *path;

		col->dropped = att->attisdropped;
		if (col->dropped)
			continue;
		col->name = pstrdup(NameStr(att->attname));
		col->typid = att->atttypid;
		col->typmod = att->atttypmod;
		col->is_json = (att->atttypid == JSONOID || att->atttypid == JSONBOID);
		col->is_array = OidIsValid(get_element_type(att->atttypid));
		getTypeInputInfo(att->atttypid, &infunc, &col->ioparam);
		fmgr_info(infunc, &col->input);
		path = column_json_path(RelationGetRelid(rel), att->attnum);
		if (path != NULL)
		{
			JpError		jerr;

			col->path = jp_compile(path, &jerr);
			if (col->path == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("invalid json_path option of column \"%s\": %s",
								col->name, jerr.message)));
		}
	}
	return conv;
}

/*
 * The record's value for a column, borrowed: the key of the column's name,
 * or, failing that, the first key equal to it ignoring case.
 */
static struct json_object *
lookup_key(struct json_object *record, const char *name)
{
	struct json_object *val;

	if (json_object_object_get_ex(record, name, &val))
		return val;
	{
		json_object_object_foreach(record, key, v)
		{
			if (strcasecmp(key, name) == 0)
				return v;
		}
	}
	return NULL;
}

/* A JSON value as an element of an array literal: quoted, NULL, or nested. */
static void
append_array_element(StringInfo buf, struct json_object *val)
{
	const char *s;

	if (val == NULL)
	{
		appendStringInfoString(buf, "NULL");
		return;
	}
	if (json_object_is_type(val, json_type_array))
	{
		size_t		i;

		appendStringInfoChar(buf, '{');
		for (i = 0; i < json_object_array_length(val); i++)
		{
			if (i > 0)
				appendStringInfoChar(buf, ',');
			append_array_element(buf, json_object_array_get_idx(val, i));
		}
		appendStringInfoChar(buf, '}');
		return;
	}
	s = json_object_is_type(val, json_type_string) ? json_object_get_string(val)
		: json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN |
										 JSON_C_TO_STRING_NOSLASHESCAPE);
	appendStringInfoChar(buf, '"');
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			appendStringInfoChar(buf, '\\');
		appendStringInfoChar(buf, *s);
	}
	appendStringInfoChar(buf, '"');
}

/* The text the input function sees for a value (see the file header). */
static char *
value_text(BfColumn *col, struct json_object *val)
{
	if (col->is_array && json_object_is_type(val, json_type_array))
	{
		StringInfoData buf;

		initStringInfo(&buf);
		append_array_element(&buf, val);
		return buf.data;
	}
	if (!col->is_json && json_object_is_type(val, json_type_string))
		return pstrdup(json_object_get_string(val));
	return pstrdup(json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN |
												  JSON_C_TO_STRING_NOSLASHESCAPE));
}

void
bf_record_to_values(BfConverter *conv, struct json_object *record,
					Datum *values, bool *nulls)
{
	int			i;

	for (i = 0; i < conv->natts; i++)
	{
		BfColumn   *col = &conv->columns[i];
		struct json_object *val = NULL;
		struct json_object *owned = NULL;
		ConvertErrorContext ectx;
		ErrorContextCallback errcb;

		nulls[i] = true;
		values[i] = (Datum) 0;
		if (col->dropped)
			continue;
		if (col->path != NULL)
		{
			JpError		jerr;

			owned = val = jp_search(col->path, record, &jerr);
			if (val == NULL && jerr.kind != JP_OK)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("json_path of column \"%s\" failed on a record of endpoint \"%s\": %s",
								col->name, conv->endpoint, jerr.message)));
		}
		else if (json_object_is_type(record, json_type_object))
			val = lookup_key(record, col->name);
		if (val == NULL)
			continue;

		ectx.conv = conv;
		ectx.column = col;
		ectx.value = value_text(col, val);
		json_object_put(owned);
		errcb.callback = convert_error_callback;
		errcb.arg = &ectx;
		errcb.previous = error_context_stack;
		error_context_stack = &errcb;
		values[i] = InputFunctionCall(&col->input, (char *) ectx.value,
									  col->ioparam, col->typmod);
		error_context_stack = errcb.previous;
		nulls[i] = false;
	}
}
