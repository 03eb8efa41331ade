/*
 * fuzz_template.c
 *		libFuzzer target for templates (src/expr/template.c over the expression
 *		engine) and for secret masking (src/util/bf_error.c): each input is
 *		compiled as a template; what compiles is rendered, typed and as
 *		text, against vars that hold secrets, and the text and any error
 *		are masked, and so is the input itself, as a message.  After
 *		masking, none may contain a secret, raw, base64-encoded or
 *		percent-encoded, whatever the template did with it.
 *		Crashes, leaks, undefined behaviour and hangs are also looked for.
 *
 * Built with the others by make fuzz; run:
 *   ./build/fuzz/fuzz_template -dict=test/fuzz/fuzz_expr.dict \
 *     -max_total_time=1800 -timeout=10 -close_fd_mask=2 \
 *     build/fuzz/corpus_template test/fuzz/seeds_template
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr.h"

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

/* The secrets as encode_base64() and encode_url() give them (no '*' either). */
static const char *const derived[] = {
	"azN5LXZAbHVlL3MzY3IzdA", "k3y-v%40lue%2Fs3cr3t",
	"cMOkc3MgdyJyZA", "p%C3%A4ss%20w%22rd", "p%C3%A4ss+w%22rd",
};

/* Mask text with the fixture's secrets; abort if a secret survives. */
static void
check_masked(char *text, struct json_object *secrets)
{
	size_t		i;

	bf_error_mask_secrets(text, secrets);
	if (strstr(text, SECRET_KEY) != NULL || strstr(text, SECRET_PASS) != NULL)
		abort();
	for (i = 0; i < sizeof(derived) / sizeof(derived[0]); i++)
		if (strstr(text, derived[i]) != NULL)
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
	check_masked(src, secrets);	/* the input itself as a message: any escapes */
	free(src);
	return 0;
}
