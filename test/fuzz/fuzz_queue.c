/*
 * fuzz_queue.c
 *		libFuzzer target for the runner's queue paths (src/runner/runner.c,
 *		runner_phase.c, runner_response.c, queue_mem.c) offline: the input
 *		is a spec's YAML, then a line "%%", then JSON lines appended to
 *		queue.in of an in-memory store (bf_queue_mem); an endpoint that
 *		makes a request, and so is not run, writes queue.in in the spec,
 *		so that it loads.  The endpoints that make no request
 *		(iterate.into: response.records, no setup or teardown, no
 *		authentication) run in the spec's order, each through
 *		its processors into the queues the next ones read: streamed overs,
 *		chunk(queue.x, n), queues read whole, queue_only, items that are no
 *		JSON.  Errors are expected; crashes, leaks, undefined behaviour and
 *		hangs are not.
 *
 * Built with the others by make fuzz; run:
 *   mkdir -p build/fuzz/corpus_queue && ./build/fuzz/fuzz_queue \
 *     -dict=test/fuzz/fuzz_spec.dict -max_total_time=600 -timeout=10 \
 *     build/fuzz/corpus_queue test/fuzz/seeds_queue
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "runner/queue.h"
#include "runner/runner.h"
#include "spec/spec.h"

#define MAX_RECORDS 20000		/* per endpoint: a run's end, not a hang */

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Append each line of items (up to end) to queue.in. */
static void
fill_queue(void *store, const char *items, const char *end)
{
	while (items < end)
	{
		const char *nl = memchr(items, '\n', (size_t) (end - items));
		const char *stop = nl != NULL ? nl : end;
		BfError		err;

		bf_error_clear(&err);
		if (stop > items && !bf_queue_mem_ops.append(store, "in", items,
													  (size_t) (stop - items), &err) &&
			err.message[0] == '\0')
			abort();			/* a refusal says why */
		items = stop + 1;
	}
}

/* An endpoint this target can run: nothing of it goes to the network. */
static bool
offline(const BfEndpoint *ep)
{
	return ep->iterate.into_records && ep->setup_count == 0 && ep->teardown_count == 0 &&
		(ep->auth == NULL || ep->auth->type == BF_AUTH_NONE);
}

/* Run one endpoint to its end; its records are dropped. */
static void
run_endpoint(const BfSpec *spec, const BfEndpoint *ep, void *store)
{
	BfRunContext ctx;
	BfError		err;
	BfRunner   *r;
	long		n;

	memset(&ctx, 0, sizeof(ctx));
	ctx.queue_ops = &bf_queue_mem_ops;
	ctx.queue_store = store;
	ctx.mode = "full";
	bf_error_clear(&err);
	r = bf_runner_new(spec, ep, &ctx, &err);
	if (r == NULL)
	{
		if (err.kind == BF_OK || err.message[0] == '\0')
			abort();
		return;
	}
	for (n = 0; n < MAX_RECORDS; n++)
	{
		struct json_object *record = NULL;
		BfRunStatus st = bf_runner_next(r, 0, &record, &err);

		json_object_put(record);
		if (st == BF_RUN_ERROR && err.message[0] == '\0')
			abort();
		if (st == BF_RUN_DONE || st == BF_RUN_ERROR)
			break;
	}
	bf_runner_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the end */
	char	   *text = malloc(size ? size : 1);
	const char *sep;
	size_t		yaml_len = size;
	BfError		err;
	BfSpec	   *spec;
	void	   *store;
	int			i;

	memcpy(text, data, size);
	sep = memmem(text, size, "\n%%\n", 4);
	if (sep != NULL)
		yaml_len = (size_t) (sep - text) + 1;
	bf_error_clear(&err);
	spec = bf_spec_load_string(text, yaml_len, "fuzz.yaml", &err);
	store = bf_queue_mem_new();
	if (spec != NULL && store != NULL)
	{
		if (sep != NULL)
			fill_queue(store, sep + 4, text + size);
		for (i = 0; i < spec->endpoint_count; i++)
			if (offline(spec->order[i]))
				run_endpoint(spec, spec->order[i], store);
	}
	bf_queue_mem_free(store);
	bf_spec_free(spec);
	free(text);
	return 0;
}
