/*
 * fuzz_jsonscan.c
 *		libFuzzer target for the record scanner (src/json/jsonscan.c), which reads
 *		API bodies on the scan's fast path: it must never read outside the
 *		buffer; a value it validates must walk cleanly, member by member, and
 *		js_skip must find the same end for it.
 *
 * Build and run from the project root:
 *
 *   make fuzz        (every target of test/fuzz, into build/fuzz)
 *   mkdir -p build/fuzz/corpus_jsonscan && ./build/fuzz/fuzz_jsonscan \
 *     -max_total_time=600 build/fuzz/corpus_jsonscan test/jmespath
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json/jsonscan.h"

int			LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* Walk every member of every container, unescaping every string. */
static void
walk(const char *buf, size_t len, JsSpan *v, int depth)
{
	JsScanner	s;
	JsSpan		k;
	JsSpan		m;
	char	   *out;

	if (v->kind == JS_STRING)
	{
		out = malloc(v->end - v->start + 1);
		js_unescape(buf, v, out);
		free(out);
		return;
	}
	if ((v->kind != JS_OBJECT && v->kind != JS_ARRAY) || depth > 64)
		return;
	js_init(&s, buf, v->end);
	s.pos = v->start;
	js_enter(&s, v->kind);
	while (js_next(&s, v->kind == JS_OBJECT ? &k : NULL, &m))
		walk(buf, len, &m, depth + 1);
	if (s.error != NULL)
		abort();				/* a validated value must walk cleanly */
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the end */
	char	   *buf = malloc(size ? size : 1);
	JsScanner	s;
	JsSpan		v;
	JsSpan		w;
	bool		ok;

	memcpy(buf, data, size);
	js_init(&s, buf, size);
	ok = js_value(&s, &v) && !js_skip_ws(&s);
	if (ok)
	{
		walk(buf, size, &v, 0);
		/* js_skip finds the same end as the validating scan */
		js_init(&s, buf, size);
		if (!js_skip(&s, &w) || w.end != v.end)
			abort();
	}
	else
	{
		js_init(&s, buf, size);
		(void) js_skip(&s, &w);	/* must not crash on garbage either */
	}
	free(buf);
	return 0;
}
