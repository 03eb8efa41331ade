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
	int64		epoch_usecs;	/* date/timestamp(tz): microseconds in a unit
								 * of a JSON number (the epoch option); 0:
								 * numbers go through the input function */
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

	/*
	 * The check for columns no record has (a misspelled column is NULL in
	 * every row): over the first BF_COLUMN_CHECK_RECORDS records, which
	 * columns had their key, and the keys of the first record, for "did
	 * you mean".
	 */
	bool	   *seen;
	int			checked;		/* records looked at so far */
	bool		check_done;		/* warned (or nothing to warn of) */
	List	   *first_keys;		/* of String, in cxt */
	MemoryContext cxt;			/* the converter's: outlives a row's context */
} BfConverter;

/* Records a scan looks at for columns none of them has a key for. */
#define BF_COLUMN_CHECK_RECORDS 100

/* The json_path option of a column of foreign table relid, or NULL. */
extern char *bf_column_json_path(Oid relid, AttrNumber attnum);

/*
 * The unit of the column option epoch ("s", "ms" or "us") in
 * microseconds, or 0 for any other value.
 */
extern int64 bf_epoch_unit(const char *value);

/*
 * A JSON number into a date, timestamp or timestamptz column is Unix time
 * in seconds, or in the unit of the column's epoch option: that unit in
 * microseconds for a column of type typid, 0 for other types.  An epoch
 * option on another type is an error naming the column.
 */
extern int64 bf_column_epoch(Oid relid, AttrNumber attnum, const char *attname, Oid typid);

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

/*
 * One WARNING per column that none of the records converted so far had a
 * key for (columns with a json_path aside), with the record key it
 * probably meant; called once BF_COLUMN_CHECK_RECORDS were converted, or
 * when the scan ends with fewer.  Once per converter, so once per scan.
 */
extern void bf_converter_warn_missing(BfConverter *conv);

#endif							/* PG_CONVERT_H */
