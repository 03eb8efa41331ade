/*-------------------------------------------------------------------------
 *
 * pg_import.h
 *		  IMPORT FOREIGN SCHEMA for backfill_fdw (see pg_import.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_IMPORT_H
#define PG_IMPORT_H

#include "postgres.h"

#include "nodes/parsenodes.h"

/*
 * The CREATE FOREIGN TABLE statements (C strings) for the endpoints of the
 * statement's server that its LIMIT TO / EXCEPT selects, columns inferred
 * from a sample of each; an error for an option or a listed name that is
 * not one.
 */
extern List *bf_import_foreign_schema(ImportForeignSchemaStmt *stmt);

#endif							/* PG_IMPORT_H */
