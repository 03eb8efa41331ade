/*
 * fuzz_expr.c
 *		libFuzzer target for the expression language: each input is
 *		compiled as a bare expression and as a template, and whatever
 *		compiles is evaluated, rendered (typed and as text) and walked for
 *		refs against a fixed vars object.  Errors are expected; crashes,
 *		leaks, undefined behaviour and hangs are not.
 *
 * Build and run from the project root:
 *
 *   make fuzz        (every target of test/fuzz, into build/fuzz)
 *   mkdir -p build/fuzz/corpus_expr && ./build/fuzz/fuzz_expr \
 *     -dict=test/fuzz/fuzz_expr.dict -max_total_time=600 -timeout=10 \
 *     -close_fd_mask=2 build/fuzz/corpus_expr test/fuzz/seeds_expr
 *
 * now() and uuid() make some results differ between runs; nothing here
 * compares results, so that does not matter.  jq() calls run in the jq
 * worker (src/expr/jqrun.h), forked by the fuzzer; its time limit is cut to
 * 2 s so that an endless jq program is an error, not a libFuzzer timeout.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr.h"
#include "expr/jqrun.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fixture =
"{\"state\": {\"base_url\": \"https://x\", \"date\": \"2024-01-05\", \"n\": 5, \"f\": 2.5,"
" \"arr\": [1, 2, \"3\", null, {\"a\": [true]}], \"s\": \"h\\u00e9llo\", \"obj\": {\"a\": 1}},"
" \"sync\": {\"last_date\": \"2024-01-01\"},"
" \"context\": {\"range_start\": \"2024-01-01\", \"range_end\": \"2024-01-31\"},"
" \"secrets\": {\"api_key\": \"secret-value\"},"
" \"record\": {\"id\": 9, \"created\": 1704067200},"
" \"response\": {\"status\": 200, \"headers\": {\"content-type\": \"text/plain\"},"
"  \"json\": {\"data\": [{\"id\": 1}, {\"id\": 2}], \"next\": null}}}";

static void
ignore_ref(const char *path, void *arg)
{
	(void) path;
	(void) arg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_object *vars;
	char	   *src;
	BfError		err;
	BfExpr	   *expr;
	BfTemplate *tmpl;

	if (vars == NULL)
	{
		vars = json_tokener_parse(fixture);
		/* an endless jq program stops well within -timeout=10 */
		bf_jq_set_time_limit(2000);
	}
	src = malloc(size + 1);
	if (src == NULL)
		return 0;
	memcpy(src, data, size);
	src[size] = '\0';

	expr = bf_expr_compile(src, &err);
	if (expr != NULL)
	{
		json_object_put(bf_expr_eval(expr, vars, &err));
		bf_expr_visit_refs(expr, ignore_ref, NULL);
		bf_expr_free(expr);
	}
	tmpl = bf_template_compile(src, &err);
	if (tmpl != NULL)
	{
		json_object_put(bf_template_render(tmpl, vars, &err));
		free(bf_template_render_text(tmpl, vars, &err));
		bf_template_visit_refs(tmpl, ignore_ref, NULL);
		bf_template_free(tmpl);
	}
	free(src);
	return 0;
}
