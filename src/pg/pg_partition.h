/*-------------------------------------------------------------------------
 *
 * pg_partition.h
 *		  backfill_into's partitioned targets: the partition columns an
 *		  upsert's unique index may add to the primary key, the partitions
 *		  a range needs (made natively or by pg_partman), and the check
 *		  that no row of a run lands in the default partition.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_PARTITION_H
#define PG_PARTITION_H

#include "postgres.h"

#include "nodes/pg_list.h"

/* What a load tells the partition step. */
typedef struct BfPartitionLoad
{
	Oid			target;
	const char *target_sql;		/* quoted, for messages and SQL */
	const char *column;			/* the range column; NULL: none */
	const char *range_start;	/* as the range column's input read them */
	const char *range_end;
	const char *unit;			/* target_partition; NULL: not set */
	const char *relname;		/* the foreign table, for messages */
} BfPartitionLoad;

/*
 * After the partitions are made, the default partition a run's rows must
 * not reach (InvalidOid: none to watch), and the first command of the run.
 */
typedef struct BfDefaultWatch
{
	Oid			part;
	CommandId	since;
} BfDefaultWatch;

/*
 * The names of the columns of a partitioned table's partition key, at
 * every level (its partitions' own keys too): those PostgreSQL requires in
 * each of its unique indexes.  NIL for a table that is not partitioned.
 */
extern List *bf_partition_columns(Oid relid);

/*
 * The target backfill_into creates with target_partition set: the range
 * column, checked to be one a time interval applies to.
 */
extern const char *bf_partition_column(Oid ftrelid, const char *range_column,
									   const char *relname);

/*
 * Make sure every value of the load's range has a partition of the target
 * (when it is range-partitioned by the range column), creating those
 * missing as the caller (natively with target_partition, or by pg_partman
 * when it manages the target), or raise an error listing the missing
 * bounds.  A range the spec completes (an end missing) is covered through
 * now where the caller may create partitions, and otherwise left to the
 * partitions there are.  Returns the default partition to watch.
 */
extern BfDefaultWatch bf_prepare_partitions(const BfPartitionLoad *pl);

/* Raise an error when the run wrote a row into the watched default partition. */
extern void bf_check_default_partition(const BfPartitionLoad *pl, const BfDefaultWatch *w);

#endif							/* PG_PARTITION_H */
