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

#include "pg_jsonc.h"

#include "jmespath.h"

/* How one column is found in a record and converted. */
typedef struct BfColumn
{
	char	   *name;			/* attname: the record key looked up */
	JpExpr	   *path;			/* compiled json_path option, or NULL */
	Oid			typid;
	bool		is_json;		/* json or jsonb: values go in as JSON text */
	bool		is_array;		/* an array type: JSON arrays go in as array literals */
	FmgrInfo	input;
	Oid			ioparam;
	int32		typmod;
	bool		dropped;
} BfColumn;

typedef struct BfConverter
{
	int			natts;
	BfColumn   *columns;
	const char *endpoint;		/* for error messages */
	const char *relname;
} BfConverter;

/*
 * Prepare the conversion for rel's columns (json_path options compiled
 * once); everything is palloc'd in the current memory context and its
 * compiled paths are freed by a callback on that context.
 */
extern BfConverter *bf_converter_new(Relation rel, const char *endpoint);

/* Fill values/nulls (natts long) from a record, in the current context. */
extern void bf_record_to_values(BfConverter *conv, struct json_object *record,
								Datum *values, bool *nulls);

#endif							/* PG_CONVERT_H */
