/*
 * fuzz_jsonl.c
 *		libFuzzer target for the JSON lines reader (src/json/formats.c): a body
 *		parses into an array with one element per non-blank line, or fails
 *		with an error naming the line.  It must never read outside the body
 *		(an exact-size copy, not NUL-terminated).
 *
 * Built with the others by make fuzz; run:
 *   ./build/fuzz/fuzz_jsonl -max_total_time=1800 build/fuzz/corpus_jsonl \
 *     test/fuzz/seeds_jsonl
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
	rows = bf_parse_body(body, size, BF_FORMAT_JSONLINES, &err);
	if (rows == NULL)
	{
		if (err.kind != BF_ERR_RESPONSE || strstr(err.message, "line") == NULL)
			abort();
	}
	else
	{
		size_t		lines = 1;
		size_t		i;

		if (!json_object_is_type(rows, json_type_array) || err.kind != BF_OK)
			abort();
		for (i = 0; i < size; i++)
			lines += (body[i] == '\n');
		if (json_object_array_length(rows) > lines)
			abort();			/* at most one element a line */
		json_object_put(rows);
	}
	free(body);
	return 0;
}
