/*
 * fuzz_spec.c
 *		libFuzzer target for the spec loader (src/spec/spec.c, src/spec/spec_yaml.c,
 *		src/spec/spec_merge.c): the input is a YAML file's bytes, loaded into a
 *		spec or refused with an error.  A refusal must say something; a
 *		loaded spec must be walkable and free cleanly.  Crashes, leaks,
 *		undefined behaviour and hangs are what it looks for.
 *
 * Built with the others by make fuzz; run:
 *   mkdir -p build/fuzz/corpus_spec && ./build/fuzz/fuzz_spec \
 *     -dict=test/fuzz/fuzz_spec.dict -max_total_time=1800 -timeout=10 \
 *     build/fuzz/corpus_spec test/fuzz/seeds_spec
 *
 * The dictionary's words are the spec's keys and the queue forms
 * (output: queue.x, chunk(queue.x, n), into: response.records), which
 * random bytes would rarely spell.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the end */
	char	   *yaml = malloc(size ? size : 1);
	BfError		err;
	BfSpec	   *spec;

	memcpy(yaml, data, size);
	bf_error_clear(&err);
	spec = bf_spec_load_string(yaml, size, "fuzz.yaml", &err);
	if (spec == NULL)
	{
		/* a refusal names its reason */
		if (err.kind == BF_OK || err.message[0] == '\0')
			abort();
	}
	else
	{
		int			i;

		/* every endpoint is found by its own name */
		for (i = 0; i < spec->endpoint_count; i++)
			if (bf_spec_endpoint(spec, spec->endpoints[i].name) == NULL)
				abort();
		bf_spec_free(spec);
	}
	free(yaml);
	return 0;
}
