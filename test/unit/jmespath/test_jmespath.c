/*
 * test_jmespath.c
 *		Unit tests of the JMESPath module (error classes and positions,
 *		references into the document, number types, limits), and a runner of
 *		the JMESPath compliance suite: given a directory, every case with a
 *		"result" or an "error" of every *.json file there is run and
 *		counted on the line "jmespath: N passed, N failed".
 *
 *		./build/unit/test_jmespath test/jmespath
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jmespath/jmespath.h"
#include "unit.h"

/* ---- helpers ---- */

static struct json_object *
parse_json(const char *text)
{
	struct json_tokener *tok = json_tokener_new_ex(512);
	struct json_object *v = json_tokener_parse_ex(tok, text, (int) strlen(text) + 1);

	if (json_tokener_get_error(tok) != json_tokener_success)
	{
		fprintf(stderr, "bad JSON in test: %s\n", text);
		exit(2);
	}
	json_tokener_free(tok);
	return v;
}

/*
 * JSON equality for the suite, written apart from the module's own so that
 * a bug there cannot hide itself: numbers by value, object keys in any order.
 */
static bool
json_same(struct json_object *a, struct json_object *b)
{
	json_type	ta = json_object_get_type(a);
	json_type	tb = json_object_get_type(b);
	struct json_object_iter it;
	size_t		i;

	if ((ta == json_type_int || ta == json_type_double) &&
		(tb == json_type_int || tb == json_type_double))
	{
		if (ta == json_type_int && tb == json_type_int)
			return json_object_get_int64(a) == json_object_get_int64(b);
		return json_object_get_double(a) == json_object_get_double(b);
	}
	if (ta != tb)
		return false;
	switch (ta)
	{
		case json_type_null:
			return true;
		case json_type_boolean:
			return json_object_get_boolean(a) == json_object_get_boolean(b);
		case json_type_string:
			return json_object_get_string_len(a) == json_object_get_string_len(b) &&
				memcmp(json_object_get_string(a), json_object_get_string(b),
					   (size_t) json_object_get_string_len(a)) == 0;
		case json_type_array:
			if (json_object_array_length(a) != json_object_array_length(b))
				return false;
			for (i = 0; i < json_object_array_length(a); i++)
				if (!json_same(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
					return false;
			return true;
		case json_type_object:
			if (json_object_object_length(a) != json_object_object_length(b))
				return false;
			json_object_object_foreachC(a, it)
			{
				struct json_object *bv;

				if (!json_object_object_get_ex(b, it.key, &bv) || !json_same(it.val, bv))
					return false;
			}
			return true;
		default:
			return false;
	}
}

/* Search expr over the document text; the result (or NULL) is returned. */
static struct json_object *
search(const char *expr, const char *doc, JpError *err)
{
	JpExpr	   *e = jp_compile(expr, err);
	struct json_object *d;
	struct json_object *r;

	if (e == NULL)
		return NULL;
	d = doc != NULL ? parse_json(doc) : NULL;
	r = jp_search(e, d, err);
	json_object_put(d);
	jp_free(e);
	return r;
}

/* Whether expr over doc gives want (JSON text) without error. */
static bool
gives(const char *expr, const char *doc, const char *want)
{
	JpError		err;
	struct json_object *r = search(expr, doc, &err);
	struct json_object *w = parse_json(want);
	bool		ok = err.kind == JP_OK && json_same(r, w);

	if (!ok)
		fprintf(stderr, "  %s over %s: got %s (%s), want %s\n", expr, doc ? doc : "null",
				json_object_to_json_string(r), err.message, want);
	json_object_put(r);
	json_object_put(w);
	return ok;
}

/* Whether expr fails with kind (at compile or search time). */
static bool
fails(const char *expr, const char *doc, JpErrorKind kind)
{
	JpError		err;
	struct json_object *r = search(expr, doc, &err);

	json_object_put(r);
	if (err.kind != kind)
		fprintf(stderr, "  %s: got %s (%s), want %s\n", expr, jp_error_class(err.kind),
				err.message, jp_error_class(kind));
	return err.kind == kind;
}

/* ---- unit checks ---- */

static void
check_errors(void)
{
	JpError		err;
	BfError		bf;
	JpExpr	   *e;

	CHECK_STR(jp_error_class(JP_ERR_SYNTAX), "syntax");
	CHECK_STR(jp_error_class(JP_ERR_INVALID_TYPE), "invalid-type");
	CHECK_STR(jp_error_class(JP_ERR_INVALID_ARITY), "invalid-arity");
	CHECK_STR(jp_error_class(JP_ERR_INVALID_VALUE), "invalid-value");
	CHECK_STR(jp_error_class(JP_ERR_UNKNOWN_FUNCTION), "unknown-function");

	/* syntax errors carry the byte offset of the offending token */
	CHECK(jp_compile("foo.", &err) == NULL);
	CHECK(err.kind == JP_ERR_SYNTAX && err.position == 4);
	CHECK(jp_compile("a.b = c", &err) == NULL);
	CHECK(err.kind == JP_ERR_SYNTAX && err.position == 4);
	CHECK(jp_compile("foo[?a == `\"x`]", &err) == NULL);
	CHECK(err.kind == JP_ERR_SYNTAX && err.position == 10);
	CHECK(jp_compile("\"\\ud834", &err) == NULL);
	CHECK(err.kind == JP_ERR_SYNTAX && err.position == 0);
	CHECK(jp_compile("a b", &err) == NULL);
	CHECK(err.kind == JP_ERR_SYNTAX && err.position == 2);

	/* unknown functions and arities are found when compiling */
	CHECK(jp_compile("a | nope(@)", &err) == NULL);
	CHECK(err.kind == JP_ERR_UNKNOWN_FUNCTION && err.position == 4);
	CHECK(jp_compile("abs(`1`, `2`)", &err) == NULL);
	CHECK(err.kind == JP_ERR_INVALID_ARITY);
	CHECK(jp_compile("merge()", &err) == NULL);
	CHECK(err.kind == JP_ERR_INVALID_ARITY);
	/* ... but a syntax error anywhere wins, as the whole must parse first */
	CHECK(jp_compile("nope(@) ||", &err) == NULL);
	CHECK(err.kind == JP_ERR_SYNTAX);
	CHECK(jp_compile("abs(@, @", &err) == NULL);
	CHECK(err.kind == JP_ERR_SYNTAX);
	CHECK(fails("length(@,)", NULL, JP_ERR_SYNTAX));

	/* type errors are found at run time, and only then */
	e = jp_compile("abs(foo)", &err);
	CHECK(e != NULL && err.kind == JP_OK);
	if (e != NULL)
	{
		struct json_object *d = parse_json("{\"foo\": \"x\"}");

		CHECK(jp_search(e, d, &err) == NULL);
		CHECK(err.kind == JP_ERR_INVALID_TYPE && err.position == -1);
		CHECK(strstr(err.message, "abs()") != NULL);
		/* the same JpError is reset by the next search */
		json_object_put(d);
		d = parse_json("{\"foo\": -3}");
		json_object_put(jp_search(e, d, &err));
		CHECK(err.kind == JP_OK);
		json_object_put(d);
		jp_free(e);
	}
	CHECK(fails("[::0]", "[1, 2]", JP_ERR_INVALID_VALUE));
	CHECK(fails("sort_by(@, &a)", "[{\"a\": 1}, {\"a\": \"x\"}]", JP_ERR_INVALID_TYPE));
	CHECK(fails("length(&a)", "{}", JP_ERR_INVALID_TYPE));
	CHECK(fails("map(a, @)", "[]", JP_ERR_INVALID_TYPE));

	/* mapped into the project's error record, with the expression */
	jp_compile("foo.", &err);
	jp_error_to_bf(&err, "foo.", &bf);
	CHECK(bf.kind == BF_ERR_SYNTAX);
	CHECK(strstr(bf.message, "\"foo.\"") != NULL && strstr(bf.message, "position 4") != NULL);
	jp_compile("nope()", &err);
	jp_error_to_bf(&err, NULL, &bf);
	CHECK(bf.kind == BF_ERR_UNKNOWN_FUNCTION);
	jp_compile("abs()", &err);
	jp_error_to_bf(&err, NULL, &bf);
	CHECK(bf.kind == BF_ERR_ARITY);
	json_object_put(search("abs('x')", NULL, &err));
	jp_error_to_bf(&err, "abs('x')", &bf);
	CHECK(bf.kind == BF_ERR_TYPE);
	json_object_put(search("[::0]", "[]", &err));
	jp_error_to_bf(&err, NULL, &bf);
	CHECK(bf.kind == BF_ERR_VALUE);
}

static void
check_references(void)
{
	JpError		err;
	struct json_object *doc = parse_json("{\"foo\": {\"bar\": [3, 1, 2]}, \"n\": 5}");
	struct json_object *foo = json_object_object_get(doc, "foo");
	struct json_object *bar = json_object_object_get(foo, "bar");
	JpExpr	   *e = jp_compile("foo.bar", &err);
	struct json_object *r;
	struct json_object *r2;
	struct json_object *want;

	/* a sub-value is the document's own object with one more reference */
	r = jp_search(e, doc, &err);
	CHECK(r == bar);
	/* evaluated twice: two references, each put once */
	r2 = jp_search(e, doc, &err);
	CHECK(r2 == bar);
	json_object_put(r2);
	jp_free(e);

	/* functions leave their arguments alone */
	e = jp_compile("sort(foo.bar)", &err);
	r2 = jp_search(e, doc, &err);
	want = parse_json("[1, 2, 3]");
	CHECK(r2 != bar && json_same(r2, want));
	json_object_put(want);
	CHECK(json_object_get_int(json_object_array_get_idx(bar, 0)) == 3);
	/* ... and the sorted array holds the document's elements, not copies */
	CHECK(json_object_array_get_idx(r2, 2) == json_object_array_get_idx(bar, 0));
	json_object_put(r2);
	jp_free(e);

	/* the result outlives the document */
	json_object_put(doc);
	CHECK(json_object_array_length(r) == 3);
	json_object_put(r);

	/* and a literal result outlives the compiled expression */
	e = jp_compile("`{\"a\": [1]}`", &err);
	r = jp_search(e, NULL, &err);
	jp_free(e);
	CHECK(json_object_is_type(json_object_object_get(r, "a"), json_type_array));
	json_object_put(r);

	/* searching null */
	e = jp_compile("foo.bar", &err);
	CHECK(jp_search(e, NULL, &err) == NULL && err.kind == JP_OK);
	jp_free(e);
}

static void
check_values(void)
{
	JpError		err;
	struct json_object *r;

	/* integers stay integers where the inputs are */
	r = search("abs(`-1`)", NULL, &err);
	CHECK(json_object_is_type(r, json_type_int) && json_object_get_int64(r) == 1);
	json_object_put(r);
	r = search("ceil(`1.5`)", NULL, &err);
	CHECK(json_object_is_type(r, json_type_int) && json_object_get_int64(r) == 2);
	json_object_put(r);
	r = search("sum(`[1, 2, 3]`)", NULL, &err);
	CHECK(json_object_is_type(r, json_type_int) && json_object_get_int64(r) == 6);
	json_object_put(r);
	r = search("sum(`[9223372036854775807, 1]`)", NULL, &err);
	CHECK(json_object_is_type(r, json_type_double));
	json_object_put(r);
	r = search("to_number('12')", NULL, &err);
	CHECK(json_object_is_type(r, json_type_int));
	json_object_put(r);
	CHECK(gives("to_number('1.5e1')", NULL, "15.0"));
	CHECK(gives("to_number(' 1')", NULL, "null"));
	CHECK(gives("`1` == `1.0`", NULL, "true"));
	CHECK(gives("`[1, {\"a\": 2.0}]` == `[1.0, {\"a\": 2}]`", NULL, "true"));
	CHECK(gives("`{\"a\": 1, \"b\": 2}` == `{\"b\": 2, \"a\": 1}`", NULL, "true"));
	CHECK(gives("`\"a\"` < `\"b\"`", NULL, "null"));
	CHECK(gives("to_string(`{\"a\": [1, \"x/y\"]}`)", NULL, "\"{\\\"a\\\":[1,\\\"x/y\\\"]}\""));
	CHECK(gives("to_string(`null`)", NULL, "\"null\""));
	/* computed doubles print the shortest way that reads back */
	CHECK(gives("to_string(sum(`[0.1, 0.2, 0.41]`))", NULL, "\"0.71\""));
	CHECK(gives("to_string(avg(`[1, 2]`))", NULL, "\"1.5\""));
	CHECK(gives("to_string(avg(`[2, 2]`))", NULL, "\"2.0\""));

	/* strings are counted and reversed by code point */
	CHECK(gives("length('\xe2\x9c\x93" "foo\xf0\x9d\x84\x9e')", NULL, "5"));
	CHECK(gives("reverse('a\xe2\x9c\x93" "b')", NULL, "\"b\xe2\x9c\x93" "a\""));
	CHECK(gives("sort(@)", "[\"b\", \"\xc3\xa9\", \"a\"]", "[\"a\", \"b\", \"\xc3\xa9\"]"));

	/* quoted identifiers decode JSON escapes, surrogate pairs included */
	CHECK(gives("\"\\ud834\\udd1e\"", "{\"\xf0\x9d\x84\x9e\": 1}", "1"));
	CHECK(gives("\"a\\tb\"", "{\"a\\tb\": 2}", "2"));

	/* sort_by is stable; min_by takes the first least */
	CHECK(gives("sort_by(@, &k)[].i", "[{\"k\":2,\"i\":1},{\"k\":1,\"i\":2},{\"k\":2,\"i\":3},{\"k\":1,\"i\":4}]",
				"[2, 4, 1, 3]"));
	CHECK(gives("min_by(@, &k).i", "[{\"k\":2,\"i\":1},{\"k\":1,\"i\":2},{\"k\":1,\"i\":4}]", "2"));

	/* projections stop at a pipe, not at a dot */
	CHECK(gives("a[*].b[0]", "{\"a\": [{\"b\": [1]}, {\"b\": [2]}]}", "[1, 2]"));
	CHECK(gives("a[*].b | [0]", "{\"a\": [{\"b\": [1]}, {\"b\": [2]}]}", "[1]"));
	CHECK(gives("a[?x > `1`] | length(@)", "{\"a\": [{\"x\": 1}, {\"x\": 2}, {\"x\": 3}]}", "2"));
	/* JEP-12 literals that are not JSON are strings */
	CHECK(gives("[?s == `running`] | length(@)", "[{\"s\": \"running\"}, {\"s\": \"x\"}]", "1"));
}

/* An expression of n repetitions of unit between prefix and suffix. */
static char *
repeat(const char *prefix, const char *unit, int n, const char *suffix)
{
	size_t		len = strlen(prefix) + strlen(unit) * (size_t) n + strlen(suffix) + 1;
	char	   *s = malloc(len);
	int			i;

	strcpy(s, prefix);
	for (i = 0; i < n; i++)
		strcat(s, unit);
	strcat(s, suffix);
	return s;
}

static void
check_depth(void)
{
	static const char *const deep[][3] = {
		{"", "(", "a"},
		{"", "!", "a"},
		{"", "[", "a"},
		{"", "{a:", "b"},
		{"a", " || a", ""},
		{"", "abs(", "a"},
		{"", "&", "a"},
		{"a", "[*].a", ""},
	};
	/* prefix, step, document, result */
	static const char *const flat[][4] = {
		{"@", ".a", "{\"a\": 1}", "null"},
		{"@", "[0]", "[[]]", "null"},
		{"@", " | @", "5", "5"},
	};
	JpError		err;
	size_t		i;

	/* far too deep: a syntax error, not a crash */
	for (i = 0; i < sizeof(deep) / sizeof(deep[0]); i++)
	{
		char	   *s = repeat(deep[i][0], deep[i][1], 100000, deep[i][2]);
		JpExpr	   *e = jp_compile(s, &err);

		CHECK_MSG(e == NULL && err.kind == JP_ERR_SYNTAX, "%s... : %s", deep[i][1], err.message);
		jp_free(e);
		free(s);
	}
	/* long chains are a loop, not nesting */
	for (i = 0; i < sizeof(flat) / sizeof(flat[0]); i++)
	{
		char	   *s = repeat(flat[i][0], flat[i][1], 100000, "");
		JpExpr	   *e = jp_compile(s, &err);
		struct json_object *d = parse_json(flat[i][2]);
		struct json_object *want = parse_json(flat[i][3]);
		struct json_object *r = e != NULL ? jp_search(e, d, &err) : NULL;

		CHECK_MSG(e != NULL && err.kind == JP_OK && json_same(r, want),
				  "%s... : %s", flat[i][1], err.message);
		json_object_put(r);
		json_object_put(want);
		json_object_put(d);
		jp_free(e);
		free(s);
	}
	/* reasonable nesting is fine */
	{
		char	   *s = repeat("", "(", 100, "a");
		char	   *t = repeat(s, ")", 100, "");
		JpExpr	   *e = jp_compile(t, &err);

		CHECK_MSG(e != NULL, "%s", err.message);
		jp_free(e);
		free(s);
		free(t);
	}
}

/* ---- the compliance suite ---- */

typedef struct SuiteCount
{
	int			passed;
	int			failed;
} SuiteCount;

static void
run_case(const char *file, struct json_object *given, struct json_object *c, SuiteCount *count)
{
	struct json_object *jexpr = json_object_object_get(c, "expression");
	struct json_object *want = NULL;
	struct json_object *want_err = NULL;
	bool		has_result = json_object_object_get_ex(c, "result", &want);
	bool		has_error = json_object_object_get_ex(c, "error", &want_err);
	const char *expr = json_object_get_string(jexpr);
	JpError		err;
	JpExpr	   *e;
	struct json_object *got = NULL;
	bool		ok;

	if (!has_result && !has_error)
		return;					/* a benchmark only */
	e = jp_compile(expr, &err);
	if (e != NULL)
		got = jp_search(e, given, &err);
	if (has_error)
		ok = err.kind != JP_OK && strcmp(jp_error_class(err.kind), json_object_get_string(want_err)) == 0;
	else
		ok = err.kind == JP_OK && json_same(got, want);
	if (ok)
		count->passed++;
	else
	{
		count->failed++;
		fprintf(stderr, "FAIL %s: %s\n  got:  %s%s%s\n  want: %s\n", file, expr,
				err.kind != JP_OK ? jp_error_class(err.kind) : json_object_to_json_string(got),
				err.kind != JP_OK ? ": " : "", err.kind != JP_OK ? err.message : "",
				has_error ? json_object_get_string(want_err) : json_object_to_json_string(want));
	}
	json_object_put(got);
	jp_free(e);
}

static struct json_object *
read_json_file(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	long		size;
	char	   *text;
	struct json_object *v;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0)
	{
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	rewind(f);
	text = malloc((size_t) size + 1);
	if (fread(text, 1, (size_t) size, f) != (size_t) size)
	{
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	text[size] = '\0';
	fclose(f);
	v = parse_json(text);
	free(text);
	return v;
}

static void
run_file(const char *dir, const char *name, SuiteCount *count)
{
	char		path[4096];
	struct json_object *suites;
	size_t		i;
	size_t		j;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	suites = read_json_file(path);
	for (i = 0; i < json_object_array_length(suites); i++)
	{
		struct json_object *suite = json_object_array_get_idx(suites, i);
		struct json_object *given = json_object_object_get(suite, "given");
		struct json_object *cases = json_object_object_get(suite, "cases");

		for (j = 0; j < json_object_array_length(cases); j++)
			run_case(name, given, json_object_array_get_idx(cases, j), count);
	}
	json_object_put(suites);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int
run_suite(const char *dir)
{
	DIR		   *d = opendir(dir);
	struct dirent *ent;
	char	   *names[256];
	int			n = 0;
	int			i;
	SuiteCount	count = {0, 0};

	if (d == NULL)
	{
		fprintf(stderr, "cannot open %s\n", dir);
		printf("jmespath: 0 passed, 1 failed\n");
		return 1;
	}
	while ((ent = readdir(d)) != NULL && n < 256)
	{
		size_t		len = strlen(ent->d_name);

		if (len > 5 && strcmp(ent->d_name + len - 5, ".json") == 0)
			names[n++] = strdup(ent->d_name);
	}
	closedir(d);
	qsort(names, (size_t) n, sizeof(char *), cmp_names);
	for (i = 0; i < n; i++)
	{
		run_file(dir, names[i], &count);
		free(names[i]);
	}
	if (n == 0)
		count.failed++;
	printf("jmespath: %d passed, %d failed\n", count.passed, count.failed);
	return count.failed == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	int			rc;

	check_errors();
	check_references();
	check_values();
	check_depth();
	rc = UNIT_DONE("jmespath-unit");
	if (argc > 1)
		rc |= run_suite(argv[1]);
	return rc;
}
