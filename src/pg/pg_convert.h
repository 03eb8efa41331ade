/*-------------------------------------------------------------------------
 *
 * pg_convert.h
 *		  Records (json-c objects) to tuples of a foreign table.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_CONVERT_H
#define PG_CONVERT_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "fmgr.h"
#include "utils/relcache.h"

#include "pg/pg_jsonc.h"

#include "jmespath/jmespath.h"

/* How one column is found in a record and converted. */
typedef struct BfColumn
{
	char	   *name;			/* attname: the record key looked up */
	size_t		namelen;
	JpExpr	   *path;			/* compiled json_path option, or NULL */
	Oid			typid;
	bool		is_json;		/* json or jsonb: values go in as JSON text */
	bool		is_array;		/* an array type: JSON arrays go in as array literals */
	FmgrInfo	input;
	Oid			ioparam;
	int32		typmod;
	bool		fast_timestamptz;	/* timestamptz_in, no typmod: see convert_text */
	bool		dropped;
} BfColumn;

typedef struct BfConverter
{
	int			natts;
	BfColumn   *columns;
	bool		raw_ok;			/* no json_path: columns take records as bytes */
	char	   *buf;			/* a value's text, reused from record to record */
	size_t		buflen;
	char	   *match;			/* per column: 0 unset, 1 by case, 2 exact */
	bool		distinct_by_case;	/* no two column names equal ignoring case */
	int		   *guess;			/* per member position: the column it matched last */
	int			nguess;
	const char *endpoint;		/* for error messages */
	const char *relname;
} BfConverter;

/* The json_path option of a column of foreign table relid, or NULL. */
extern char *bf_column_json_path(Oid relid, AttrNumber attnum);

/*
 * Prepare the conversion for rel's columns (json_path options compiled
 * once); everything is palloc'd in the current memory context and its
 * compiled paths are freed by a callback on that context.
 */
extern BfConverter *bf_converter_new(Relation rel, const char *endpoint);

/* Fill values/nulls (natts long) from a record, in the current context. */
extern void bf_record_to_values(BfConverter *conv, struct json_object *record,
								Datum *values, bool *nulls);

/*
 * The same from a record's bytes (a JSON object the runner validated, see
 * runner_raw.c): its members go straight to the input functions, with no
 * json-c tree in between.  Gives the same values as bf_record_to_values.
 */
extern void bf_raw_record_to_values(BfConverter *conv, const char *json, size_t len,
									Datum *values, bool *nulls);

#endif							/* PG_CONVERT_H */
