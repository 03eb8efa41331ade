/*-------------------------------------------------------------------------
 *
 * infer.c
 *		  Column types from a sample of records (see infer.h).
 *
 * The string shapes are ISO 8601 only, and checked strictly (a real
 * calendar day, hours below 24, a zone PostgreSQL accepts): a string is a
 * date or a timestamp here only when PostgreSQL's date or timestamptz input
 * would take it, so an imported table never fails on a value like those it
 * was inferred from.  Sling's looser "auto" parse (datetime.c) would call
 * epoch digits a time, which a timestamptz column does not read.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr/datetime.h"
#include "infer/infer.h"

/* PostgreSQL refuses zone offsets from 16 hours on. */
#define BF_MAX_ZONE_SECONDS (16 * 3600)

/* n digits at s as a number, or -1 when one of them is not a digit. */
static int
digits(const char *s, int n)
{
	int			v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool
bf_infer_is_date(const char *s, size_t len)
{
	int			y;
	int			m;
	int			d;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return false;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= bf_days_in_month(y, m);
}

bool
bf_infer_is_timestamp(const char *s, size_t len)
{
	size_t		i = 16;
	int32_t		offset;

	/* date, T or space, hh:mm */
	if (len < 16 || !bf_infer_is_date(s, 10) ||
		(s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
		digits(s + 11, 2) < 0 || digits(s + 11, 2) > 23 ||
		digits(s + 14, 2) < 0 || digits(s + 14, 2) > 59)
		return false;
	if (i < len && s[i] == ':')
	{
		if (len < i + 3 || digits(s + i + 1, 2) < 0 || digits(s + i + 1, 2) > 59)
			return false;
		i += 3;
		if (i < len && s[i] == '.')
		{
			size_t		start = ++i;

			while (i < len && s[i] >= '0' && s[i] <= '9')
				i++;
			if (i == start)
				return false;
		}
	}
	if (i == len)
		return true;
	if (s[i] != 'Z' && s[i] != 'z' && s[i] != '+' && s[i] != '-')
		return false;
	return bf_parse_zone(s + i, len - i, &offset) &&
		offset < BF_MAX_ZONE_SECONDS && offset > -BF_MAX_ZONE_SECONDS;
}

/*
 * An integer is bigint when it fits: json-c also keeps integers up to
 * 2^64 - 1, which only numeric holds.
 */
static BfInferType
integer_type(struct json_object *value)
{
	const char *text = json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN);
	char	   *end;

	errno = 0;
	(void) strtoll(text, &end, 10);
	return (errno == 0 && *end == '\0') ? BF_INFER_BIGINT : BF_INFER_NUMERIC;
}

BfInferType
bf_infer_value(struct json_object *value)
{
	switch (json_object_get_type(value))
	{
		case json_type_null:
			return BF_INFER_NULL;
		case json_type_boolean:
			return BF_INFER_BOOLEAN;
		case json_type_int:
			return integer_type(value);
		case json_type_double:
			return BF_INFER_NUMERIC;
		case json_type_string:
			{
				const char *s = json_object_get_string(value);
				size_t		len = (size_t) json_object_get_string_len(value);

				if (bf_infer_is_date(s, len))
					return BF_INFER_DATE;
				if (bf_infer_is_timestamp(s, len))
					return BF_INFER_TIMESTAMPTZ;
				return BF_INFER_TEXT;
			}
		case json_type_object:
		case json_type_array:
			return BF_INFER_JSONB;
	}
	return BF_INFER_TEXT;
}

BfInferType
bf_infer_widen(BfInferType a, BfInferType b)
{
	if (a == b || b == BF_INFER_NULL)
		return a;
	if (a == BF_INFER_NULL)
		return b;
	if ((a == BF_INFER_BIGINT && b == BF_INFER_NUMERIC) ||
		(a == BF_INFER_NUMERIC && b == BF_INFER_BIGINT))
		return BF_INFER_NUMERIC;
	if ((a == BF_INFER_DATE && b == BF_INFER_TIMESTAMPTZ) ||
		(a == BF_INFER_TIMESTAMPTZ && b == BF_INFER_DATE))
		return BF_INFER_TIMESTAMPTZ;
	/* jsonb takes any JSON value; text takes any scalar, but not as JSON */
	if (a == BF_INFER_JSONB || b == BF_INFER_JSONB)
		return BF_INFER_JSONB;
	return BF_INFER_TEXT;
}

const char *
bf_infer_type_name(BfInferType type)
{
	switch (type)
	{
		case BF_INFER_BOOLEAN:
			return "boolean";
		case BF_INFER_BIGINT:
			return "bigint";
		case BF_INFER_NUMERIC:
			return "numeric";
		case BF_INFER_DATE:
			return "date";
		case BF_INFER_TIMESTAMPTZ:
			return "timestamptz";
		case BF_INFER_JSONB:
			return "jsonb";
		case BF_INFER_NULL:
		case BF_INFER_TEXT:
			break;
	}
	return "text";
}

BfInfer *
bf_infer_new(void)
{
	BfInfer    *inf = calloc(1, sizeof(BfInfer));

	if (inf == NULL)
		return NULL;
	inf->index = json_object_new_object();
	if (inf->index == NULL)
	{
		free(inf);
		return NULL;
	}
	return inf;
}

/* The position of key name, added (as only nulls) when new; -1: out of memory. */
static int
key_position(BfInfer *inf, const char *name)
{
	struct json_object *pos;

	if (json_object_object_get_ex(inf->index, name, &pos))
		return json_object_get_int(pos);
	if (inf->count == inf->cap)
	{
		int			cap = inf->cap > 0 ? inf->cap * 2 : 16;
		BfInferKey *keys = realloc(inf->keys, sizeof(BfInferKey) * cap);

		if (keys == NULL)
			return -1;
		inf->keys = keys;
		inf->cap = cap;
	}
	inf->keys[inf->count].name = strdup(name);
	if (inf->keys[inf->count].name == NULL ||
		json_object_object_add(inf->index, name, json_object_new_int(inf->count)) != 0)
	{
		free(inf->keys[inf->count].name);
		return -1;
	}
	inf->keys[inf->count].type = BF_INFER_NULL;
	return inf->count++;
}

bool
bf_infer_add(BfInfer *inf, struct json_object *record)
{
	inf->records++;
	if (!json_object_is_type(record, json_type_object))
	{
		inf->non_objects++;
		return true;
	}
	{
		json_object_object_foreach(record, key, value)
		{
			int			pos = key_position(inf, key);

			if (pos < 0)
				return false;
			inf->keys[pos].type = bf_infer_widen(inf->keys[pos].type, bf_infer_value(value));
		}
	}
	return true;
}

void
bf_infer_free(BfInfer *inf)
{
	int			i;

	if (inf == NULL)
		return;
	for (i = 0; i < inf->count; i++)
		free(inf->keys[i].name);
	free(inf->keys);
	json_object_put(inf->index);
	free(inf);
}
