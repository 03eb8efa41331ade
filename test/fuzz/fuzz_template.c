/*
 * fuzz_template.c
 *		libFuzzer target for templates (src/template.c over the expression
 *		engine) and for secret masking (src/bf_error.c): each input is
 *		compiled as a template; what compiles is rendered, typed and as
 *		text, against vars that hold secrets, and the text and any error
 *		are masked.  After masking, neither may contain a secret, whatever
 *		the template did with it (raw, encode_url, encode_base64, ...).
 *		Crashes, leaks, undefined behaviour and hangs are also looked for.
 *
 * Built with the others by test/fuzz/build.sh; run:
 *   ./build/fuzz/fuzz_template -dict=test/fuzz/fuzz_expr.dict \
 *     -max_total_time=1800 -timeout=10 -close_fd_mask=2 \
 *     build/fuzz/corpus_template test/fuzz/seeds_template
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No '*' in a secret: "***" must never complete one. */
#define SECRET_KEY "k3y-v@lue/s3cr3t"
#define SECRET_PASS "p\xc3\xa4ss w\"rd"

static const char *const fixture =
"{\"state\": {\"page\": 2, \"date\": \"2024-01-05\", \"s\": \"h\\u00e9llo\","
" \"arr\": [1, \"two\", null], \"obj\": {\"a\": 1}},"
" \"sync\": {\"last_date\": \"2024-01-01\"},"
" \"secrets\": {\"api_key\": \"" SECRET_KEY "\", \"password\": \"p\\u00e4ss w\\\"rd\"},"
" \"response\": {\"status\": 401, \"json\": {\"next\": null}}}";

/* Mask text with the fixture's secrets; abort if a secret survives. */
static void
check_masked(char *text, struct json_object *secrets)
{
	bf_error_mask_secrets(text, secrets);
	if (strstr(text, SECRET_KEY) != NULL || strstr(text, SECRET_PASS) != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_object *vars;
	static struct json_object *secrets;
	char	   *src;
	BfError		err;
	BfTemplate *tmpl;

	if (vars == NULL)
	{
		vars = json_tokener_parse(fixture);
		json_object_object_get_ex(vars, "secrets", &secrets);
	}
	src = malloc(size + 1);
	if (src == NULL)
		return 0;
	memcpy(src, data, size);
	src[size] = '\0';

	bf_error_clear(&err);
	tmpl = bf_template_compile(src, &err);
	if (tmpl != NULL)
	{
		char	   *text;

		json_object_put(bf_template_render(tmpl, vars, &err));
		text = bf_template_render_text(tmpl, vars, &err);
		if (text != NULL)
			check_masked(text, secrets);
		free(text);
		bf_template_free(tmpl);
	}
	check_masked(err.message, secrets);
	free(src);
	return 0;
}
