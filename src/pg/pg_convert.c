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

#include "pg/pg_jsonc.h"

#include <errno.h>
#include <math.h>
#include <strings.h>

#include "access/reloptions.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "json/formats.h"
#include "json/jsonscan.h"
#include "mb/pg_wchar.h"
#include "pg/pg_convert.h"
#include "pg/pg_util.h"
#include "util/suggest.h"

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

/* A column option's value, or NULL. */
static char *
column_option(Oid relid, AttrNumber attnum, const char *name)
{
	ListCell   *lc;

	foreach(lc, GetForeignColumnOptions(relid, attnum))
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, name) == 0)
			return defGetString(def);
	}
	return NULL;
}

char *
bf_column_json_path(Oid relid, AttrNumber attnum)
{
	return column_option(relid, attnum, "json_path");
}

int64
bf_epoch_unit(const char *value)
{
	if (strcmp(value, "s") == 0)
		return USECS_PER_SEC;
	if (strcmp(value, "ms") == 0)
		return 1000;
	if (strcmp(value, "us") == 0)
		return 1;
	return 0;
}

int64
bf_column_epoch(Oid relid, AttrNumber attnum, const char *attname, Oid typid)
{
	char	   *unit = column_option(relid, attnum, "epoch");
	bool		is_time = (typid == DATEOID || typid == TIMESTAMPOID || typid == TIMESTAMPTZOID);

	if (unit != NULL && !is_time)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("option \"epoch\" of column \"%s\" needs a date, timestamp or timestamptz column, not %s",
						attname, format_type_be(typid))));
	if (!is_time)
		return 0;
	return unit != NULL ? bf_epoch_unit(unit) : USECS_PER_SEC;
}

/*
 * A JSON number (its text) as Unix time in the column's unit, straight to
 * the column's type with no text in between: integers exactly, others
 * rounded to the microsecond; out of the type's range is an error naming
 * the column and the value.
 */
static Datum
epoch_to_datum(BfConverter *conv, BfColumn *col, const char *text)
{
	int64		usecs;
	bool		overflow;
	TimestampTz ts;

	errno = 0;
	if (strpbrk(text, ".eE") == NULL)
	{
		long long	v = strtoll(text, NULL, 10);

		overflow = errno != 0 || pg_mul_s64_overflow((int64) v, col->epoch_usecs, &usecs);
	}
	else
	{
		double		v = strtod(text, NULL) * (double) col->epoch_usecs;

		overflow = errno != 0 || isnan(v) || !FLOAT8_FITS_IN_INT64(rint(v));
		usecs = overflow ? 0 : (int64) rint(v);
	}
	/* Unix time counts from 1970, PostgreSQL's from 2000 */
	overflow = overflow ||
		pg_sub_s64_overflow(usecs, (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY, &ts) ||
		!IS_VALID_TIMESTAMP(ts);
	if (overflow)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("value %s of column \"%s\" of foreign table \"%s\" is out of range as Unix time in %s, endpoint \"%s\"",
						text, col->name, conv->relname,
						col->epoch_usecs == USECS_PER_SEC ? "seconds" :
						col->epoch_usecs == 1000 ? "milliseconds" : "microseconds",
						conv->endpoint)));
	if (col->typid == DATEOID)
	{
		/* the UTC day, as a timestamptz at midnight UTC casts to it */
		int64		days = ts / USECS_PER_DAY - (ts % USECS_PER_DAY < 0 ? 1 : 0);

		return DateADTGetDatum((DateADT) days);
	}
	/* timestamp: the UTC wall time; timestamptz: the instant */
	return TimestampTzGetDatum(ts);
}

/*
 * When no two column names are equal ignoring case, a record key can be the
 * key of one column at most, which lets bf_raw_record_to_values stop at the
 * first match.
 */
static bool
names_distinct_by_case(const BfConverter *conv)
{
	int			i;
	int			j;

	for (i = 0; i < conv->natts; i++)
	{
		for (j = i + 1; j < conv->natts; j++)
		{
			if (!conv->columns[i].dropped && !conv->columns[j].dropped &&
				pg_strcasecmp(conv->columns[i].name, conv->columns[j].name) == 0)
				return false;
		}
	}
	return true;
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
	conv->raw_ok = true;
	conv->match = palloc0(conv->natts);
	conv->nguess = 64;
	conv->guess = palloc(sizeof(int) * conv->nguess);
	memset(conv->guess, -1, sizeof(int) * conv->nguess);
	conv->buflen = 1024;
	conv->buf = palloc(conv->buflen);
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
		col->namelen = strlen(col->name);
		col->typid = att->atttypid;
		col->typmod = att->atttypmod;
		col->is_json = (att->atttypid == JSONOID || att->atttypid == JSONBOID);
		col->is_array = OidIsValid(get_element_type(att->atttypid));
		col->epoch_usecs = bf_column_epoch(RelationGetRelid(rel), att->attnum, col->name,
										   att->atttypid);
		getTypeInputInfo(att->atttypid, &infunc, &col->ioparam);
		fmgr_info(infunc, &col->input);
		col->fast_timestamptz = (infunc == F_TIMESTAMPTZ_IN && col->typmod < 0);
		path = bf_column_json_path(RelationGetRelid(rel), att->attnum);
		if (path != NULL)
		{
			JpError		jerr;

			conv->raw_ok = false;
			col->path = jp_compile(path, &jerr);
			if (col->path == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("invalid json_path option of column \"%s\": %s",
								col->name, jerr.message)));
		}
	}
	conv->distinct_by_case = names_distinct_by_case(conv);
	conv->seen = palloc0(sizeof(bool) * conv->natts);
	conv->cxt = CurrentMemoryContext;
	return conv;
}

/* Does the record have a key for name, exactly or ignoring case (even with null)? */
static bool
has_key(struct json_object *record, const char *name)
{
	if (json_object_object_get_ex(record, name, NULL))
		return true;
	{
		json_object_object_foreach(record, key, v)
		{
			(void) v;
			if (strcasecmp(key, name) == 0)
				return true;
		}
	}
	return false;
}

/* Count a converted record for the missing-column check; see pg_convert.h. */
static void
note_record(BfConverter *conv)
{
	if (++conv->checked >= BF_COLUMN_CHECK_RECORDS)
		bf_converter_warn_missing(conv);
}

/* The tree form of note_record: which columns the record has keys for. */
static void
note_tree_keys(BfConverter *conv, struct json_object *record)
{
	int			i;

	if (!json_object_is_type(record, json_type_object))
		return;
	if (conv->checked == 0)
	{
		MemoryContext old = MemoryContextSwitchTo(conv->cxt);

		json_object_object_foreach(record, key, v)
		{
			(void) v;
			conv->first_keys = lappend(conv->first_keys, makeString(pstrdup(key)));
		}
		MemoryContextSwitchTo(old);
	}
	for (i = 0; i < conv->natts; i++)
		if (!conv->columns[i].dropped && conv->columns[i].path == NULL && !conv->seen[i])
			conv->seen[i] = has_key(record, conv->columns[i].name);
	note_record(conv);
}

void
bf_converter_warn_missing(BfConverter *conv)
{
	const char **known;
	ListCell   *lc;
	int			n = 0;
	int			i;

	if (conv->check_done || conv->checked == 0)
		return;
	conv->check_done = true;
	known = palloc0(sizeof(char *) * (list_length(conv->first_keys) + 1));
	foreach(lc, conv->first_keys)
		known[n++] = strVal(lfirst(lc));
	for (i = 0; i < conv->natts; i++)
	{
		BfColumn   *col = &conv->columns[i];
		const char *suggestion;

		if (col->dropped || col->path != NULL || conv->seen[i])
			continue;
		suggestion = bf_suggest(col->name, known);
		ereport(WARNING,
				(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
				 errmsg("column \"%s\" of foreign table \"%s\" is in none of the first %d records of endpoint \"%s\", so it is NULL in their rows",
						col->name, conv->relname, conv->checked, conv->endpoint),
				 suggestion != NULL
				 ? errhint("Did you mean the record key \"%s\"?  Rename the column, or give it a json_path.", suggestion)
				 : errhint("Give the column a json_path if its value is nested, or drop it.")));
	}
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
	const char *end;

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
	/* by length: a NUL inside a string must reach convert_text's check */
	end = s + (json_object_is_type(val, json_type_string) ? json_object_get_string_len(val)
			   : strlen(s));
	appendStringInfoChar(buf, '"');
	for (; s < end; s++)
	{
		if (*s == '"' || *s == '\\')
			appendStringInfoChar(buf, '\\');
		appendStringInfoChar(buf, *s);
	}
	appendStringInfoChar(buf, '"');
}

/*
 * The text the input function sees for a value (see the file header), and
 * its length in *len: a string may hold NULs, which convert_text refuses.
 */
static char *
value_text(BfColumn *col, struct json_object *val, size_t *len)
{
	char	   *out;

	if (col->is_array && json_object_is_type(val, json_type_array))
	{
		StringInfoData buf;

		initStringInfo(&buf);
		append_array_element(&buf, val);
		*len = buf.len;
		return buf.data;
	}
	if (!col->is_json && json_object_is_type(val, json_type_string))
	{
		*len = json_object_get_string_len(val);
		out = palloc(*len + 1);
		memcpy(out, json_object_get_string(val), *len + 1);
		return out;
	}
	out = pstrdup(json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN |
												 JSON_C_TO_STRING_NOSLASHESCAPE));
	*len = strlen(out);
	return out;
}

/*
 * PostgreSQL text cannot hold NUL: a value with \u0000 is an error (as
 * jsonb's own), never a string cut at the NUL, which would also make two
 * different keys one.  The value is shown escaped and cut.
 */
static void
refuse_nul(BfConverter *conv, BfColumn *col, const char *text, size_t len)
{
	StringInfoData shown;
	size_t		i;

	initStringInfo(&shown);
	for (i = 0; i < len && shown.len < BF_VALUE_IN_ERROR; i++)
	{
		unsigned char c = (unsigned char) text[i];

		if (c < 0x20 || c == '"' || c == '\\')
			appendStringInfo(&shown, "\\u%04x", c);
		else
			appendStringInfoChar(&shown, (char) c);
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
			 errmsg("column \"%s\" of foreign table \"%s\": value \"%s%s\" from endpoint \"%s\" holds \\u0000, which PostgreSQL text cannot store",
					col->name, conv->relname, shown.data, i < len ? "..." : "",
					conv->endpoint)));
}

/* n ASCII digits at s as a number, or -1 when one is not a digit. */
static inline int
digits(const char *s, int n)
{
	int			v = 0;

	for (; n > 0; n--, s++)
	{
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/*
 * An API's timestamps are nearly always ISO 8601 with a zone
 * (2024-01-01T00:00:05Z, ...T00:00:05.250+02:00), and parsing them with
 * timestamptz_in (tokens, a table of keywords, the session's zone rules)
 * is most of a row's conversion.  Exactly that form, with every field in
 * range (day of the month, 0-23 hours, 0-59 minutes and seconds, up to 6
 * fractional digits, an offset under 15 hours), is read here into the same
 * value timestamptz_in gives, which depends on neither DateStyle nor
 * TimeZone when the text has its offset; false for anything else, which
 * then goes to timestamptz_in as it is.
 */
static bool
iso_timestamptz(const char *t, size_t len, TimestampTz *out)
{
	int			y, mo, d, h, mi, sec;
	int64		frac = 0;
	int			offset = 0;
	size_t		p = 19;

	if (len < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != ' ') ||
		t[13] != ':' || t[16] != ':')
		return false;
	y = digits(t, 4);
	mo = digits(t + 5, 2);
	d = digits(t + 8, 2);
	h = digits(t + 11, 2);
	mi = digits(t + 14, 2);
	sec = digits(t + 17, 2);
	if (y < 1 || mo < 1 || mo > MONTHS_PER_YEAR || d < 1 ||
		d > day_tab[isleap(y)][mo - 1] || h < 0 || h > 23 || mi < 0 || mi > 59 ||
		sec < 0 || sec > 59)
		return false;
	if (t[p] == '.')
	{
		int			n = 0;
		int64		scale = USECS_PER_SEC;

		for (p++; p < len && t[p] >= '0' && t[p] <= '9'; p++, n++)
		{
			if (n == 6)
				return false;	/* timestamptz_in rounds: leave it that */
			scale /= 10;
			frac += (t[p] - '0') * scale;
		}
		if (n == 0)
			return false;
	}
	if (p + 1 == len && t[p] == 'Z')
		offset = 0;
	else if (p + 6 == len && (t[p] == '+' || t[p] == '-') && t[p + 3] == ':')
	{
		int			oh = digits(t + p + 1, 2);
		int			om = digits(t + p + 4, 2);

		if (oh < 0 || oh > 14 || om < 0 || om > 59)
			return false;
		offset = (oh * MINS_PER_HOUR + om) * SECS_PER_MINUTE * (t[p] == '-' ? -1 : 1);
	}
	else
		return false;
	*out = ((int64) (date2j(y, mo, d) - POSTGRES_EPOCH_JDATE) * SECS_PER_DAY +
			(h * MINS_PER_HOUR + mi) * SECS_PER_MINUTE + sec - offset) * USECS_PER_SEC + frac;
	return true;
}

/*
 * The column's value from its text (len bytes, NUL-terminated), through the
 * type's input function, with an error context naming column, value and
 * endpoint.  A string is checked against the database encoding first
 * (verify): an API may send bytes that are not UTF-8, and input functions
 * take them as they are.  A text that cannot hold a NUL (may_nul false:
 * on the raw path, a number, a literal, or a string without escapes, as
 * the scanner refuses raw control characters) is not searched for one.
 */
static Datum
convert_text(BfConverter *conv, BfColumn *col, char *text, size_t len, bool verify,
			 bool may_nul)
{
	ConvertErrorContext ectx;
	ErrorContextCallback errcb;
	Datum		out;
	TimestampTz ts;

	if (col->fast_timestamptz && iso_timestamptz(text, len, &ts))
		return TimestampTzGetDatum(ts);
	if (may_nul && memchr(text, '\0', len) != NULL)
		refuse_nul(conv, col, text, len);
	ectx.conv = conv;
	ectx.column = col;
	ectx.value = text;
	errcb.callback = convert_error_callback;
	errcb.arg = &ectx;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;
	if (verify)
		(void) pg_verify_mbstr(GetDatabaseEncoding(), text, (int) len, false);
	out = InputFunctionCall(&col->input, text, col->ioparam, col->typmod);
	error_context_stack = errcb.previous;
	return out;
}

void
bf_record_to_values(BfConverter *conv, struct json_object *record,
					Datum *values, bool *nulls)
{
	int			i;

	if (!conv->check_done)
		note_tree_keys(conv, record);
	for (i = 0; i < conv->natts; i++)
	{
		BfColumn   *col = &conv->columns[i];
		struct json_object *val = NULL;
		struct json_object *owned = NULL;
		char	   *text;
		size_t		len;

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
		else
		{
			/* a row of NULLs would hide that the records are not what the table expects */
			const char *json = json_object_to_json_string_ext(record, JSON_C_TO_STRING_PLAIN);
			int			len = strlen(json);

			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("endpoint \"%s\": a record is %.*s%s, not an object, so column \"%s\" of foreign table \"%s\" has no key to read",
							conv->endpoint, len > BF_VALUE_IN_ERROR ? BF_VALUE_IN_ERROR : len,
							json, len > BF_VALUE_IN_ERROR ? "..." : "", col->name, conv->relname),
					 errhint("Point response.records.jmespath at the objects, or give the column a json_path.")));
		}
		if (val == NULL)
			continue;
		text = value_text(col, val, &len);
		if (col->epoch_usecs != 0 &&
			(json_object_is_type(val, json_type_int) || json_object_is_type(val, json_type_double)))
			values[i] = epoch_to_datum(conv, col, text);
		else
			values[i] = convert_text(conv, col, text, len, true, true);
		json_object_put(owned);
		nulls[i] = false;
	}
}

/* The scratch buffer, at least n bytes. */
static char *
conv_buffer(BfConverter *conv, size_t n)
{
	if (n > conv->buflen)
	{
		conv->buflen = n * 2;
		conv->buf = repalloc(conv->buf, conv->buflen);
	}
	return conv->buf;
}

/* One member's value into column col (see bf_record_to_values for the rules). */
static void
raw_member_to_value(BfConverter *conv, BfColumn *col, const char *json, const JsSpan *v,
					Datum *value, bool *isnull)
{
	size_t		n = v->end - v->start;
	char	   *text;
	bool		verify = false;

	*isnull = false;
	switch (v->kind)
	{
		case JS_NULL:
			*isnull = true;
			return;
		case JS_TRUE:
		case JS_FALSE:
		case JS_NUMBER:
			text = conv_buffer(conv, n + 1);
			memcpy(text, json + v->start, n);
			text[n] = '\0';
			if (v->kind == JS_NUMBER && col->epoch_usecs != 0)
			{
				*value = epoch_to_datum(conv, col, text);
				return;
			}
			break;
		case JS_STRING:
			text = conv_buffer(conv, n + 1);
			verify = true;
			if (col->is_json)
			{
				memcpy(text, json + v->start, n);	/* with its quotes */
				text[n] = '\0';
			}
			else
				n = js_unescape(json, v, text);
			break;
		case JS_ARRAY:
		case JS_OBJECT:
			verify = true;
			if (col->typid != JSONBOID)
			{
				/* json, text, arrays: the tree path's exact text, from a tree */
				BfError		err;
				struct json_object *tree;

				bf_error_clear(&err);
				tree = bf_parse_body(json + v->start, n, BF_FORMAT_JSON, &err);
				text = value_text(col, tree, &n);
				json_object_put(tree);
				break;
			}
			text = conv_buffer(conv, n + 1);
			memcpy(text, json + v->start, n);
			text[n] = '\0';
			break;
		default:
			*isnull = true;
			return;
	}
	*value = convert_text(conv, col, text, n, verify,
						  v->kind == JS_ARRAY || v->kind == JS_OBJECT ||
						  (v->kind == JS_STRING && v->escaped && !col->is_json));
}

/* Does member key k name column col, exactly or ignoring case? */
static inline bool
key_is(const char *json, const JsSpan *k, const BfColumn *col, bool nocase)
{
	if (k->escaped)
		return js_key_equals(json, k, col->name, nocase);
	if ((size_t) (k->end - k->start - 2) != col->namelen)
		return false;
	return nocase ? pg_strncasecmp(json + k->start + 1, col->name, col->namelen) == 0
		: memcmp(json + k->start + 1, col->name, col->namelen) == 0;
}

/* The column member key k is for: exact match first, else by case; -1 for none. */
static int
match_member(BfConverter *conv, const char *json, const JsSpan *k, int pos)
{
	int			i;
	int			by_case = -1;

	/* records of a page share their key order: try last time's column first */
	if (pos < conv->nguess && conv->guess[pos] >= 0 &&
		key_is(json, k, &conv->columns[conv->guess[pos]], false))
		return conv->guess[pos];
	for (i = 0; i < conv->natts; i++)
	{
		BfColumn   *col = &conv->columns[i];

		if (col->dropped)
			continue;
		if (key_is(json, k, col, false))
		{
			if (pos < conv->nguess)
				conv->guess[pos] = i;
			return i;
		}
		if (by_case < 0 && key_is(json, k, col, true))
			by_case = i;
	}
	return by_case;
}

/*
 * Give column c the member's value unless it has a better one: an exact key
 * wins over one equal by case, and of those the first is kept, as
 * lookup_key does on a tree.
 */
static void
offer_member(BfConverter *conv, int c, const char *json, const JsSpan *k, const JsSpan *v,
			 Datum *values, bool *nulls)
{
	bool		exact = key_is(json, k, &conv->columns[c], false);

	if (conv->match[c] == 2 || (!exact && conv->match[c] == 1))
		return;
	conv->match[c] = exact ? 2 : 1;
	raw_member_to_value(conv, &conv->columns[c], json, v, &values[c], &nulls[c]);
}

void
bf_raw_record_to_values(BfConverter *conv, const char *json, size_t len,
						Datum *values, bool *nulls)
{
	JsScanner	s;
	JsSpan		k;
	JsSpan		v;
	int			i;
	int			pos = 0;

	memset(conv->match, 0, conv->natts);
	for (i = 0; i < conv->natts; i++)
	{
		nulls[i] = true;
		values[i] = (Datum) 0;
	}
	js_init(&s, json, len);
	js_enter(&s, JS_OBJECT);
	while (js_next(&s, &k, &v))
	{
		/* the first record's keys, for "did you mean" (escapes as written) */
		if (!conv->check_done && conv->checked == 0)
		{
			MemoryContext old = MemoryContextSwitchTo(conv->cxt);

			conv->first_keys = lappend(conv->first_keys,
									   makeString(pnstrdup(json + k.start + 1,
														   k.end - k.start - 2)));
			MemoryContextSwitchTo(old);
		}
		if (conv->distinct_by_case)
		{
			int			c = match_member(conv, json, &k, pos++);

			if (c >= 0)
				offer_member(conv, c, json, &k, &v, values, nulls);
			continue;
		}
		/* names that differ only by case: a key may serve several columns */
		for (i = 0; i < conv->natts; i++)
		{
			if (!conv->columns[i].dropped && key_is(json, &k, &conv->columns[i], true))
				offer_member(conv, i, json, &k, &v, values, nulls);
		}
	}
	if (s.error != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_JSON_TEXT),
				 errmsg("endpoint \"%s\": a record is not valid JSON: %s at byte %zu of the record",
						conv->endpoint, s.error, s.error_pos)));
	if (!conv->check_done)
	{
		/* offer_member marked each column whose key the record has */
		for (i = 0; i < conv->natts; i++)
			conv->seen[i] = conv->seen[i] || conv->match[i] != 0;
		note_record(conv);
	}
}
