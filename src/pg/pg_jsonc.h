/*-------------------------------------------------------------------------
 *
 * pg_jsonc.h
 *		  json-c inside a PostgreSQL translation unit.
 *
 * PostgreSQL's utils/fmgrprotos.h declares the SQL function json_object(),
 * and json-c typedefs json_object: the two cannot meet in one file.  This
 * header reads fmgrprotos.h with PostgreSQL's name renamed (we never call
 * that SQL function from C), so that its include guard keeps every later
 * include of it (through utils/builtins.h, say) from declaring it again.
 * Include it right after postgres.h, before any other header.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_JSONC_H
#define PG_JSONC_H

#define json_object pg_sql_function_json_object
#include "utils/fmgrprotos.h"
#undef json_object

#include <json-c/json.h>

#endif							/* PG_JSONC_H */
