/*-------------------------------------------------------------------------
 *
 * pg_options.h
 *		  The options of a backfill_fdw foreign table, resolved: which spec,
 *		  which endpoint, which range column and target, and the server's
 *		  overrides of defaults.state.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_OPTIONS_H
#define PG_OPTIONS_H

#include "postgres.h"

#include "pg/pg_jsonc.h"

#include "spec/spec.h"

typedef struct BfTableOptions
{
	Oid			relid;
	Oid			serverid;
	char	   *relname;
	char	   *spec_path;		/* the table's spec option, else the server's */
	char	   *endpoint;		/* the endpoint option, else the table's name */
	char	   *range_column;	/* or NULL */
	char	   *target;			/* or NULL */
	List	   *overrides;		/* DefElems: server options other than spec */
} BfTableOptions;

/* Read and resolve the options of foreign table relid. */
extern BfTableOptions *bf_table_options(Oid relid);

/* The server options other than spec, as a json object of strings (new). */
extern struct json_object *bf_overrides_json(List *overrides);

/*
 * Load (or take from the backend's cache) the spec at path, raising a
 * config_file_error naming the file, line and key on a broken spec.  The
 * caller releases it with bf_spec_release.
 */
extern BfSpec *bf_load_spec(const char *path);

/* The endpoint of a loaded spec, or an error naming the spec's endpoints. */
extern const BfEndpoint *bf_find_endpoint(const BfSpec *spec, const char *path,
										  const char *name);

/*
 * Check a foreign table's endpoint and range_column against its spec and
 * columns, once the table exists (the validator sees neither the table
 * nor its server); a table with no spec yet is left alone.
 */
extern void bf_check_table_options(Oid relid);

#endif							/* PG_OPTIONS_H */
