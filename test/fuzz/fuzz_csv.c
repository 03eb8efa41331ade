/*
 * fuzz_csv.c
 *		libFuzzer target for the CSV reader (src/json/formats.c): a body parses
 *		into an array of objects, one per row, with no more members than
 *		the header has fields, or fails with an error saying why.  It must
 *		never read outside the body (an exact-size copy, not NUL-terminated).
 *
 * Built with the others by make fuzz; run:
 *   ./build/fuzz/fuzz_csv -max_total_time=1800 build/fuzz/corpus_csv \
 *     test/fuzz/seeds_csv
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/formats.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *body = malloc(size ? size : 1);
	BfError		err;
	struct json_object *rows;

	memcpy(body, data, size);
	bf_error_clear(&err);
	rows = bf_parse_body(body, size, BF_FORMAT_CSV, &err);
	if (rows == NULL)
	{
		if (err.kind != BF_ERR_RESPONSE)
			abort();
	}
	else
	{
		size_t		n = json_object_array_length(rows);
		size_t		i;
		size_t		lines = 1;

		if (!json_object_is_type(rows, json_type_array) || err.kind != BF_OK)
			abort();
		for (i = 0; i < size; i++)
			lines += (body[i] == '\n' || body[i] == '\r');
		if (n > lines)
			abort();			/* no more rows than lines */
		for (i = 0; i < n; i++)
			if (!json_object_is_type(json_object_array_get_idx(rows, i), json_type_object))
				abort();
		json_object_put(rows);
	}
	free(body);
	return 0;
}
