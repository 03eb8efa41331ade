/*
 * fuzz_jmespath.c
 *		libFuzzer target of the JMESPath module: the first line of the input
 *		is the expression, the rest a JSON document (a fixed document when the
 *		rest does not parse); the expression is compiled, searched and freed.
 *		Crashes, leaks and undefined behaviour are what it looks for.
 *
 * Build from the project root:
 *   make fuzz        (every target of test/fuzz, into build/fuzz)
 *
 * Seed corpus, one file per compliance case ("expression\ndocument"):
 *   python3 -c 'import json,glob,os,hashlib
 *   d="build/fuzz-corpus/jmespath"; os.makedirs(d,exist_ok=True)
 *   for f in glob.glob(os.path.join("test/jmespath","*.json")):
 *     for s in json.load(open(f)):
 *       for c in s["cases"]:
 *         b=(c["expression"].replace("\n"," ")+"\n"+json.dumps(s["given"])).encode()
 *         open(d+"/"+hashlib.sha1(b).hexdigest(),"wb").write(b)'
 *
 * Run (10 minutes, the corpus grows in place):
 *   ./build/fuzz/fuzz_jmespath -max_total_time=600 -max_len=4096 \
 *     build/fuzz-corpus/jmespath
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jmespath/jmespath.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_doc[] =
"{\"a\": [1, 2.5, -3, \"x\", null, true, [4, [5]], {\"b\": \"y\"}],"
" \"s\": \"h\\u00e9llo\", \"o\": {\"k\": {\"k\": [{\"n\": 1}, {\"n\": \"2\"}]}},"
" \"people\": [{\"age\": 20, \"name\": \"b\"}, {\"age\": 10, \"name\": \"a\"}]}";

static struct json_object *
fuzz_parse(const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *v;

	v = json_tokener_parse_ex(tok, text, (int) len + 1);
	if (json_tokener_get_error(tok) != json_tokener_success)
	{
		json_object_put(v);
		v = NULL;
	}
	json_tokener_free(tok);
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *buf;
	char	   *nl;
	struct json_object *doc = NULL;
	JpExpr	   *expr;
	JpError		err;

	if (size > 65536)
		return 0;
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	nl = memchr(buf, '\n', size);
	if (nl != NULL)
	{
		*nl = '\0';
		doc = fuzz_parse(nl + 1, size - (size_t) (nl + 1 - buf));
	}
	if (doc == NULL)
		doc = fuzz_parse(fuzz_doc, sizeof(fuzz_doc) - 1);
	expr = jp_compile(buf, &err);
	if (expr != NULL)
	{
		/* twice: a compiled expression is searched many times */
		json_object_put(jp_search(expr, doc, &err));
		json_object_put(jp_search(expr, doc, &err));
		jp_free(expr);
	}
	json_object_put(doc);
	free(buf);
	return 0;
}
