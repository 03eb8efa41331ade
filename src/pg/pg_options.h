/*-------------------------------------------------------------------------
 *
 * pg_options.h
 *		  The options of a backfill_fdw foreign table, resolved: which spec,
 *		  which endpoint, which range column and target, the server's
 *		  inputs and the state keys it sets.
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
	char	   *target_partition;	/* a bf_partition_unit, or NULL */
	List	   *overrides;		/* DefElems: server options other than spec
								 * (inputs among them) */
} BfTableOptions;

/*
 * The value of option target_partition checked: the date_trunc unit of
 * the partitions of a target ("day", "week", "month", "year"), or an
 * error naming the option and the values it takes.
 */
extern const char *bf_partition_unit(const char *value);

/* Read and resolve the options of foreign table relid. */
extern BfTableOptions *bf_table_options(Oid relid);

/* The foreign tables of a server, by OID (a List of Oid). */
extern List *bf_server_tables(Oid serverid);

/*
 * The server options other than spec and inputs, the state keys the server
 * sets, as a json object of strings (new).
 */
extern struct json_object *bf_overrides_json(List *overrides);

/*
 * The inputs option's value as a json object (new), or an error naming the
 * option when it is not one; bf_inputs_json finds it among a server's
 * options (NULL when it has none).
 */
extern struct json_object *bf_parse_inputs(const char *value);
extern struct json_object *bf_inputs_json(List *overrides);

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
