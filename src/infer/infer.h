/*-------------------------------------------------------------------------
 *
 * infer.h
 *		  Column types inferred from a sample of records, for IMPORT
 *		  FOREIGN SCHEMA.
 *
 * Each top-level key of the sampled objects becomes a column, in the
 * order the keys are first seen; its type is the narrowest that holds
 * every value sampled for it (docs/import.md has the table).  Nested
 * objects and arrays stay one jsonb value: the import makes no column per
 * nested key.  The module knows no PostgreSQL: types are an enum with
 * their SQL names.
 *
 *-------------------------------------------------------------------------
 */
#ifndef INFER_H
#define INFER_H

#include <stdbool.h>

#include <json-c/json.h>

/*
 * The types a column can get.  BF_INFER_NULL is "only nulls seen so far"
 * and is shown as text.
 */
typedef enum BfInferType
{
	BF_INFER_NULL,
	BF_INFER_BOOLEAN,
	BF_INFER_BIGINT,
	BF_INFER_NUMERIC,
	BF_INFER_DATE,
	BF_INFER_TIMESTAMPTZ,
	BF_INFER_TEXT,
	BF_INFER_JSONB
} BfInferType;

/* One key of the sample and the type of its values. */
typedef struct BfInferKey
{
	char	   *name;			/* malloc'd */
	BfInferType type;
} BfInferKey;

typedef struct BfInfer
{
	int			count;
	int			cap;
	BfInferKey *keys;			/* in first-seen order */
	struct json_object *index;	/* key name -> its position in keys */
	long		records;		/* records added */
	long		non_objects;	/* of which were not JSON objects */
} BfInfer;

/* The type of one JSON value (NULL is JSON null). */
extern BfInferType bf_infer_value(struct json_object *value);

/* The narrowest type that holds values of both types. */
extern BfInferType bf_infer_widen(BfInferType a, BfInferType b);

/* The SQL name of a type: "bigint", "timestamptz", ... (null: "text"). */
extern const char *bf_infer_type_name(BfInferType type);

/* Is s (len bytes) an ISO 8601 date, "2024-02-29"? */
extern bool bf_infer_is_date(const char *s, size_t len);

/*
 * Is s an ISO 8601 date and time, "2024-01-02T03:04:05.5+02:00" (T or a
 * space, seconds and fraction optional, zone Z, +hh, +hhmm or +hh:mm or
 * none)?
 */
extern bool bf_infer_is_timestamp(const char *s, size_t len);

/* An empty sample, or NULL when memory ran out. */
extern BfInfer *bf_infer_new(void);

/* Count a record in: its keys and their values' types.  False: out of memory. */
extern bool bf_infer_add(BfInfer *inf, struct json_object *record);

extern void bf_infer_free(BfInfer *inf);

#endif							/* INFER_H */
