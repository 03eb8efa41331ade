/*-------------------------------------------------------------------------
 *
 * pg_bulk.h
 *		  backfill_into's append through COPY FROM's multi-insert
 *		  (pg_bulk.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_BULK_H
#define PG_BULK_H

#include "postgres.h"

#include "nodes/pg_list.h"

/*
 * Append the rows of select_sql (columns in the order of column_names, the
 * target's columns they go to) to target as COPY FROM does, the caller's
 * INSERT privilege checked first; *rows: how many.  False, with nothing
 * done, when COPY cannot (row-level security): the caller INSERTs.
 * Called with SPI connected.
 */
extern bool bf_bulk_append(Oid target, List *column_names, const char *select_sql,
						   uint64 *rows);

#endif							/* PG_BULK_H */
