/*-------------------------------------------------------------------------
 *
 * spec.c
 *		  Loading a Sling API spec: the YAML tree (spec_yaml.c) merged with
 *		  the spec's defaults (spec_merge.c) and checked into the typed model
 *		  of spec.h; and the per-backend cache of loaded specs.
 *
 * Sling reads specs with yaml.v2 into Go structs and silently drops what it
 * does not know.  Here an unknown key is an error (with the closest known
 * key when one is near), since a misspelt "concurency" would otherwise cost
 * a user a slow backfill; so is a key Sling has but this loader does not
 * implement ("not supported", naming it), rather than ignoring it.
 *
 * Every model value lives in the spec's arena; what the arena cannot free
 * (json-c values, compiled expressions) is listed in the spec's private
 * part and released with it.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expr/jqrun.h"
#include "spec/spec.h"
#include "util/suggest.h"

#define SPEC_MAX_FILE (64 * 1024 * 1024)

/* What the arena cannot free: released with the spec. */
typedef enum SpecOwnedKind
{
	SPEC_OWN_JSON,
	SPEC_OWN_TEMPLATE,
	SPEC_OWN_EXPR,
	SPEC_OWN_JMESPATH
} SpecOwnedKind;

typedef struct SpecOwned
{
	SpecOwnedKind kind;
	void	   *ptr;
} SpecOwned;

#define SPEC_DEFAULT_RULES 3

struct BfSpecPrivate
{
	BfArena		arena;
	int			refcount;
	SpecOwned  *owned;
	int			nowned;
	int			capowned;
	/* the default rules, compiled once and shared by every rule list */
	BfRule		default_rules[SPEC_DEFAULT_RULES];
	bool		default_rules_ready;
};

typedef struct SpecCtx
{
	BfSpec	   *spec;
	BfArena    *arena;
	const char *file;
	BfError    *err;
	BfArena    *scratch;		/* for merged trees, gone after loading */
	const BfYamlNode *defaults_request; /* defaults.request, merged into calls */
	BfSpecWarning *warnings;	/* what spec_warn kept, in the arena */
	int			warning_cap;
	bool		in_auth_sequence;	/* parsing authentication.sequence: auth.*
									 * outputs are allowed */
} SpecCtx;

/* A key Sling knows that this loader refuses, and what to tell the author. */
typedef struct SpecUnsupported
{
	const char *key;
	const char *why;
} SpecUnsupported;

static const char *const http_methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
"CONNECT", "OPTIONS", "TRACE", NULL};

/* ---- errors -------------------------------------------------------------- */

/*
 * Allocation failures keep their own kind, so the caller can tell them from
 * a bad spec.
 */
static bool
spec_nomem(SpecCtx *ctx)
{
	bf_error_set(ctx->err, BF_ERR_NOMEM, "%s: out of memory loading the spec", ctx->file);
	return false;
}

static bool
spec_fail(SpecCtx *ctx, const BfYamlNode *at, const char *path, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/*
 * Every spec error and warning reads "file:line:col: key.path: what", the
 * shape editors jump to ("file: key.path: what" where the loader made the
 * value up).
 */
static void
spec_place(char *out, size_t size, const char *file, BfLoc loc, const char *path,
		   const char *msg)
{
	if (loc.line > 0)
		snprintf(out, size, "%s:%d:%d: %s: %s", file, loc.line, loc.column, path, msg);
	else
		snprintf(out, size, "%s: %s: %s", file, path, msg);
}

static bool spec_fail_loc(SpecCtx *ctx, BfLoc loc, const char *path, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* A load error placed at loc (a model value's, once the YAML is gone). */
static bool
spec_fail_loc(SpecCtx *ctx, BfLoc loc, const char *path, const char *fmt,...)
{
	char		msg[BF_ERROR_MAX];
	char		placed[BF_ERROR_MAX];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path == NULL)
		return spec_nomem(ctx);	/* the path itself could not be allocated */
	spec_place(placed, sizeof(placed), ctx->file, loc, path, msg);
	bf_error_set(ctx->err, BF_ERR_SPEC, "%s", placed);
	return false;
}

/* A load error placed where node at was written (NULL: nowhere). */
static bool
spec_fail(SpecCtx *ctx, const BfYamlNode *at, const char *path, const char *fmt,...)
{
	char		msg[BF_ERROR_MAX];
	va_list		ap;
	BfLoc		loc = {0, 0};

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at != NULL)
		loc = (BfLoc) {at->line, at->column};
	return spec_fail_loc(ctx, loc, path, "%s", msg);
}

/* How a value reads in "expected X, got Y". */
static const char *
spec_describe(const BfYamlNode *n, char *buf, size_t size)
{
	if (n->kind == BF_YAML_MAP)
		return "a map";
	if (n->kind == BF_YAML_LIST)
		return "a list";
	if (bf_yaml_is_null(n))
		return "null";
	snprintf(buf, size, "\"%.60s%s\"", n->text, n->len > 60 ? "..." : "");
	return buf;
}

/* "expected <expected>, got <n>", reported where n's key was written (at). */
static bool
spec_fail_type(SpecCtx *ctx, const BfYamlNode *at, const BfYamlNode *n, const char *path,
			   const char *expected)
{
	char		buf[80];

	return spec_fail(ctx, at, path, "expected %s, got %s", expected,
					 spec_describe(n, buf, sizeof(buf)));
}

/* ---- paths and small allocations ---------------------------------------- */

/*
 * Key paths are built as the parse descends, so that any error can name
 * one.
 */
static const char *
spec_path(SpecCtx *ctx, const char *parent, const char *key)
{
	if (parent == NULL || parent[0] == '\0')
		return bf_arena_strdup(ctx->arena, key);
	return bf_arena_printf(ctx->arena, "%s.%s", parent, key);
}

/*
 * The path of item i of the list at list_path.  Items of a list the defaults
 * merge assembled are named by the key they were written under
 * ("...response.+rules[0]").
 */
static const char *
spec_item_path(SpecCtx *ctx, const char *list_path, const BfYamlNode *list, int i)
{
	if (list->labels != NULL)
	{
		const char *dot = strrchr(list_path, '.');
		int			plen = dot != NULL ? (int) (dot - list_path) : 0;

		return bf_arena_printf(ctx->arena, "%.*s%s%s", plen, list_path,
							   plen > 0 ? "." : "", list->labels[i]);
	}
	return bf_arena_printf(ctx->arena, "%s[%d]", list_path, i);
}

/*
 * Arena allocation that records ENOMEM in the error, to keep callers
 * one-line.
 */
static void *
spec_alloc(SpecCtx *ctx, size_t size)
{
	void	   *p = bf_arena_alloc(ctx->arena, size);

	if (p == NULL)
		spec_nomem(ctx);
	return p;
}

/*
 * Keep a warning: something the loader works around rather than refuses,
 * because Sling loads it (a depends_on naming no endpoint, a sync key no
 * processor writes).  The spec's list grows by doubling in the arena.
 */
static bool spec_warn(SpecCtx *ctx, BfLoc loc, const char *path, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

static bool
spec_warn(SpecCtx *ctx, BfLoc loc, const char *path, const char *fmt,...)
{
	BfSpec	   *spec = ctx->spec;
	char		msg[BF_ERROR_MAX];
	va_list		ap;
	BfSpecWarning *w;

	if (path == NULL)
		return spec_nomem(ctx);
	if (spec->warning_count == ctx->warning_cap)
	{
		int			cap = ctx->warning_cap > 0 ? ctx->warning_cap * 2 : 8;
		BfSpecWarning *grown = spec_alloc(ctx, sizeof(BfSpecWarning) * cap);

		if (grown == NULL)
			return false;
		if (spec->warning_count > 0)
			memcpy(grown, ctx->warnings, sizeof(BfSpecWarning) * spec->warning_count);
		ctx->warnings = grown;
		ctx->warning_cap = cap;
		spec->warnings = grown;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w = &ctx->warnings[spec->warning_count];
	w->loc = loc;
	w->path = path;
	w->message = bf_arena_printf(ctx->arena, "%s", msg);
	if (w->message == NULL)
		return spec_nomem(ctx);
	spec->warning_count++;
	return true;
}

/* Each kind of owned object has its own destructor. */
static void
spec_release_owned(SpecOwned *o)
{
	switch (o->kind)
	{
		case SPEC_OWN_JSON:
			json_object_put(o->ptr);
			break;
		case SPEC_OWN_TEMPLATE:
			bf_template_free(o->ptr);
			break;
		case SPEC_OWN_EXPR:
			bf_expr_free(o->ptr);
			break;
		case SPEC_OWN_JMESPATH:
			jp_free(o->ptr);
			break;
	}
}

/* Keep ptr until the spec is freed (released at once if that fails). */
static bool
spec_own(SpecCtx *ctx, SpecOwnedKind kind, void *ptr)
{
	BfSpecPrivate *priv = ctx->spec->priv;
	SpecOwned	o = {kind, ptr};

	if (ptr == NULL)
		return true;
	if (priv->nowned == priv->capowned)
	{
		int			ncap = priv->capowned == 0 ? 64 : priv->capowned * 2;
		SpecOwned  *n = realloc(priv->owned, sizeof(*n) * ncap);

		if (n == NULL)
		{
			spec_release_owned(&o);
			return spec_nomem(ctx);
		}
		priv->owned = n;
		priv->capowned = ncap;
	}
	priv->owned[priv->nowned++] = o;
	return true;
}

/*
 * json-c values are reference counted, not arena memory: the spec keeps one
 * reference.
 */
static bool
spec_track_json(SpecCtx *ctx, struct json_object *obj)
{
	return spec_own(ctx, SPEC_OWN_JSON, obj);
}

/*
 * A compile error of the expression engine, placed: "file:line:col: path:
 * <its message>".  Every load error is BF_ERR_SPEC, whatever the engine
 * called it, so that the caller has one kind to map.
 */
static bool
spec_compile_fail(SpecCtx *ctx, BfLoc loc, const char *path, const BfError *cerr)
{
	if (cerr->kind == BF_ERR_NOMEM)
		return spec_nomem(ctx);
	return spec_fail_loc(ctx, loc, path, "%s", cerr->message);
}

/*
 * Templates are compiled at load so their errors surface at CREATE SERVER,
 * not mid-scan.
 */
static bool
spec_compile_tmpl(SpecCtx *ctx, BfTmplField *f)
{
	BfError		cerr;

	bf_error_clear(&cerr);
	f->tmpl = bf_template_compile(f->src, &cerr);
	if (f->tmpl == NULL)
		return spec_compile_fail(ctx, f->loc, f->path, &cerr);
	return spec_own(ctx, SPEC_OWN_TEMPLATE, f->tmpl);
}

/*
 * Expressions likewise: compiled once here, evaluated many times by the
 * runner.  text is what is compiled: f->src but for iterate.over's chunk
 * form (spec_over_queue).
 */
static bool
spec_compile_expr_text(SpecCtx *ctx, BfExprField *f, const char *text)
{
	BfError		cerr;

	bf_error_clear(&cerr);
	f->expr = bf_expr_compile(text, &cerr);
	if (f->expr == NULL)
		return spec_compile_fail(ctx, f->loc, f->path, &cerr);
	return spec_own(ctx, SPEC_OWN_EXPR, f->expr);
}

/* The usual case: the field's own text. */
static bool
spec_compile_expr(SpecCtx *ctx, BfExprField *f)
{
	return spec_compile_expr_text(ctx, f, f->src);
}

/*
 * The model keeps 1-based positions so run-time errors can point back at
 * the spec.
 */
static BfLoc
spec_loc(const BfYamlNode *n)
{
	BfLoc		loc = {n->line, n->column};

	return loc;
}

/* ---- keys ---------------------------------------------------------------- */

/*
 * The value of key in map, and in *at the key node, where errors about the
 * value are reported.  A null value counts as absent: yaml.v2 leaves the Go
 * field at its zero value, which Sling then reads as "use the default".
 */
static const BfYamlNode *
spec_entry(const BfYamlNode *map, const char *key, const BfYamlNode **at)
{
	int			i;

	if (map == NULL || map->kind != BF_YAML_MAP)
		return NULL;
	for (i = 0; i < map->count; i++)
		if (strcmp(map->keys[i]->text, key) == 0)
		{
			if (bf_yaml_is_null(map->values[i]))
				return NULL;
			*at = map->keys[i];
			return map->values[i];
		}
	return NULL;
}

/*
 * node must be a map (null reads as an empty one) whose keys are all in
 * known; a key of unsupported gets its own message.
 */
static bool
spec_check_map(SpecCtx *ctx, const BfYamlNode *node, const BfYamlNode *at, const char *path,
			   const char *const *known, const SpecUnsupported *unsupported)
{
	int			i;

	if (node == NULL || bf_yaml_is_null(node))
		return true;
	if (node->kind != BF_YAML_MAP)
		return spec_fail_type(ctx, at, node, path, "a map");
	for (i = 0; i < node->count; i++)
	{
		const BfYamlNode *key = node->keys[i];
		const char *const *k;
		const SpecUnsupported *u;
		const char *suggestion;
		const char *kpath;

		for (k = known; *k != NULL; k++)
			if (strcmp(*k, key->text) == 0)
				break;
		if (*k != NULL)
			continue;
		kpath = spec_path(ctx, path, key->text);
		for (u = unsupported; u != NULL && u->key != NULL; u++)
			if (strcmp(u->key, key->text) == 0)
				return spec_fail(ctx, key, kpath, "not supported: %s", u->why);
		suggestion = bf_suggest(key->text, known);
		if (suggestion != NULL)
			return spec_fail(ctx, key, kpath, "unknown key (did you mean \"%s\"?)", suggestion);
		return spec_fail(ctx, key, kpath, "unknown key");
	}
	return true;
}

/* A required key; at is where the enclosing block was written. */
static bool
spec_require(SpecCtx *ctx, const BfYamlNode *map, const BfYamlNode *at, const char *path,
			 const char *key)
{
	const BfYamlNode *k;

	if (spec_entry(map, key, &k) != NULL)
		return true;
	return spec_fail(ctx, at, spec_path(ctx, path, key), "missing required key");
}

/* ---- scalar fields ------------------------------------------------------- */

/*
 * A string field: yaml.v2 gives a string field the text of any scalar, so
 * "true" is "true".
 */
static bool
spec_string(SpecCtx *ctx, const BfYamlNode *at, const BfYamlNode *n, const char *path,
			const char **out)
{
	if (n->kind != BF_YAML_SCALAR)
		return spec_fail_type(ctx, at, n, path, "a string");
	if (strlen(n->text) != n->len)
		return spec_fail(ctx, at, path, "a string may not contain a NUL character");
	*out = bf_arena_strndup(ctx->arena, n->text, n->len);
	return *out != NULL || spec_nomem(ctx);
}

/* key of map as a string; *out untouched when absent. */
static bool
spec_string_key(SpecCtx *ctx, const BfYamlNode *map, const char *path, const char *key,
				const char **out)
{
	const BfYamlNode *at;
	const BfYamlNode *n = spec_entry(map, key, &at);

	return n == NULL || spec_string(ctx, at, n, spec_path(ctx, path, key), out);
}

/* The typed value of a scalar key (NULL and true when absent). */
static bool
spec_scalar_key(SpecCtx *ctx, const BfYamlNode *map, const char *key,
				const BfYamlNode **at, const BfYamlNode **n, struct json_object **v)
{
	*v = NULL;
	*n = spec_entry(map, key, at);
	if (*n == NULL || (*n)->kind != BF_YAML_SCALAR)
		return true;
	return bf_yaml_scalar_value(*n, v) || spec_nomem(ctx);
}

/*
 * Booleans follow YAML 1.1 (yes/no, on/off), as yaml.v2 reads them for
 * Sling.
 */
static bool
spec_bool_key(SpecCtx *ctx, const BfYamlNode *map, const char *path, const char *key,
			  bool *out)
{
	const BfYamlNode *at;
	const BfYamlNode *n;
	struct json_object *v;
	bool		ok;

	if (!spec_scalar_key(ctx, map, key, &at, &n, &v))
		return false;
	if (n == NULL)
		return true;
	ok = json_object_is_type(v, json_type_boolean);
	*out = ok && json_object_get_boolean(v);
	json_object_put(v);
	return ok || spec_fail_type(ctx, at, n, spec_path(ctx, path, key), "true or false");
}

/*
 * Integers must be plain YAML integers, as yaml.v2 requires for an int
 * field; min bounds them.
 */
static bool
spec_int_key(SpecCtx *ctx, const BfYamlNode *map, const char *path, const char *key,
			 int min, int *out)
{
	const BfYamlNode *at;
	const BfYamlNode *n;
	struct json_object *v;
	int64_t		i;

	if (!spec_scalar_key(ctx, map, key, &at, &n, &v))
		return false;
	if (n == NULL)
		return true;
	if (!json_object_is_type(v, json_type_int))
	{
		json_object_put(v);
		return spec_fail_type(ctx, at, n, spec_path(ctx, path, key), "an integer");
	}
	i = json_object_get_int64(v);
	json_object_put(v);
	if (i < min || i > INT_MAX)
		return spec_fail(ctx, at, spec_path(ctx, path, key),
						 "must be between %d and %d, got %s", min, INT_MAX, n->text);
	*out = (int) i;
	return true;
}

/* A number (integer or not) that is > 0, or >= 0 when zero_ok. */
static bool
spec_number_key(SpecCtx *ctx, const BfYamlNode *map, const char *path, const char *key,
				bool zero_ok, double *out)
{
	const BfYamlNode *at;
	const BfYamlNode *n;
	struct json_object *v;
	double		d;

	if (!spec_scalar_key(ctx, map, key, &at, &n, &v))
		return false;
	if (n == NULL)
		return true;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
	{
		json_object_put(v);
		return spec_fail_type(ctx, at, n, spec_path(ctx, path, key), "a number");
	}
	d = json_object_get_double(v);
	json_object_put(v);
	if (!isfinite(d) || d < 0 || (d == 0 && !zero_ok))
		return spec_fail(ctx, at, spec_path(ctx, path, key), "must be %s, got %s",
						 zero_ok ? "zero or more" : "more than zero", n->text);
	*out = d;
	return true;
}

/*
 * An enum: the value must be one of names (compared exactly, or without
 * case when fold_case), giving values[i].  A name of unsupported gets a
 * "not supported" error instead of "invalid value".
 */
static bool
spec_enum_key(SpecCtx *ctx, const BfYamlNode *map, const char *path, const char *key,
			  const char *const *names, const int *values, bool fold_case,
			  const char *const *unsupported, int *out)
{
	const BfYamlNode *at;
	const BfYamlNode *n = spec_entry(map, key, &at);
	const char *kpath;
	const char *suggestion;
	char		list[256];
	size_t		len = 0;
	int			i;

	if (n == NULL)
		return true;
	kpath = spec_path(ctx, path, key);
	if (n->kind != BF_YAML_SCALAR)
		return spec_fail_type(ctx, at, n, kpath, "a string");
	for (i = 0; names[i] != NULL; i++)
		if (fold_case ? strcasecmp(names[i], n->text) == 0 : strcmp(names[i], n->text) == 0)
		{
			*out = values[i];
			return true;
		}
	list[0] = '\0';
	for (i = 0; names[i] != NULL && len < sizeof(list); i++)
		if (names[i][0] != '\0')
			len += snprintf(list + len, sizeof(list) - len, "%s%s", len > 0 ? ", " : "",
							names[i]);
	for (i = 0; unsupported != NULL && unsupported[i] != NULL; i++)
		if (strcasecmp(unsupported[i], n->text) == 0)
			return spec_fail(ctx, at, kpath, "\"%s\" is not supported (supported: %s)",
							 n->text, list);
	suggestion = bf_suggest(n->text, names);
	if (suggestion != NULL)
		return spec_fail(ctx, at, kpath,
						 "invalid value \"%s\" (did you mean \"%s\"?); expected one of %s",
						 n->text, suggestion, list);
	return spec_fail(ctx, at, kpath, "invalid value \"%.60s\"; expected one of %s", n->text, list);
}

/* ---- templates and expressions ------------------------------------------ */

/* A template field from a scalar (numbers and booleans read as their text). */
static bool
spec_tmpl(SpecCtx *ctx, const BfYamlNode *at, const BfYamlNode *n, const char *path,
		  BfTmplField *f)
{
	if (path == NULL)
		return spec_nomem(ctx);
	f->path = path;
	f->loc = spec_loc(at);
	return spec_string(ctx, at, n, path, &f->src) && spec_compile_tmpl(ctx, f);
}

/* The template under key, if written. */
static bool
spec_tmpl_key(SpecCtx *ctx, const BfYamlNode *map, const char *path, const char *key,
			  BfTmplField *f)
{
	const BfYamlNode *at;
	const BfYamlNode *n = spec_entry(map, key, &at);

	return n == NULL || spec_tmpl(ctx, at, n, spec_path(ctx, path, key), f);
}

/* A bare expression (no braces) from a scalar, compiled now. */
static bool
spec_expr(SpecCtx *ctx, const BfYamlNode *at, const BfYamlNode *n, const char *path,
		  BfExprField *f)
{
	if (path == NULL)
		return spec_nomem(ctx);
	f->path = path;
	f->loc = spec_loc(at);
	return spec_string(ctx, at, n, path, &f->src) && spec_compile_expr(ctx, f);
}

/* The expression under key, if written. */
static bool
spec_expr_key(SpecCtx *ctx, const BfYamlNode *map, const char *path, const char *key,
			  BfExprField *f)
{
	const BfYamlNode *at;
	const BfYamlNode *n = spec_entry(map, key, &at);

	return n == NULL || spec_expr(ctx, at, n, spec_path(ctx, path, key), f);
}

/* ---- values -------------------------------------------------------------- */

/*
 * Values keep YAML's types: strings become templates, other scalars stay
 * literal json-c values.
 */
static bool
spec_value(SpecCtx *ctx, const BfYamlNode *at, const BfYamlNode *n, const char *path,
		   BfValue *v)
{
	int			i;

	if (path == NULL)
		return spec_nomem(ctx);
	v->loc = spec_loc(at);
	if (n->kind == BF_YAML_SCALAR)
	{
		struct json_object *lit;

		if (!bf_yaml_scalar_value(n, &lit))
			return spec_nomem(ctx);
		if (json_object_is_type(lit, json_type_string))
		{
			json_object_put(lit);
			v->kind = BF_VALUE_TEMPLATE;
			return spec_tmpl(ctx, at, n, path, &v->tmpl);
		}
		v->kind = BF_VALUE_LITERAL;
		v->literal = lit;
		return spec_track_json(ctx, lit);
	}
	v->kind = n->kind == BF_YAML_MAP ? BF_VALUE_MAP : BF_VALUE_LIST;
	v->count = n->count;
	v->items = spec_alloc(ctx, sizeof(BfValue) * (n->count + 1));
	if (v->items == NULL)
		return false;
	if (n->kind == BF_YAML_MAP)
	{
		v->keys = spec_alloc(ctx, sizeof(char *) * (n->count + 1));
		if (v->keys == NULL)
			return false;
	}
	for (i = 0; i < n->count; i++)
	{
		if (n->kind == BF_YAML_MAP)
		{
			v->keys[i] = bf_arena_strdup(ctx->arena, n->keys[i]->text);
			if (v->keys[i] == NULL)
				return spec_nomem(ctx);
			if (!spec_value(ctx, n->keys[i], n->values[i],
							spec_path(ctx, path, n->keys[i]->text), &v->items[i]))
				return false;
		}
		else if (!spec_value(ctx, n->values[i], n->values[i],
							 spec_item_path(ctx, path, n, i), &v->items[i]))
			return false;
	}
	return true;
}

/* key of map as a map of values; absent or null reads as an empty map. */
static bool
spec_value_map_key(SpecCtx *ctx, const BfYamlNode *map, const char *path, const char *key,
				   BfValue *v)
{
	const BfYamlNode *at;
	const BfYamlNode *n = spec_entry(map, key, &at);
	const char *kpath = spec_path(ctx, path, key);

	v->kind = BF_VALUE_MAP;
	if (n == NULL)
		return true;
	if (n->kind != BF_YAML_MAP)
		return spec_fail_type(ctx, at, n, kpath, "a map");
	return spec_value(ctx, at, n, kpath, v);
}

/* A YAML subtree as one json-c value (typed scalars); NULL on ENOMEM. */
static struct json_object *
spec_json(const BfYamlNode *n)
{
	struct json_object *out = NULL;
	int			i;

	if (n->kind == BF_YAML_SCALAR)
		return bf_yaml_scalar_value(n, &out) ? out : NULL;
	out = n->kind == BF_YAML_MAP ? json_object_new_object() : json_object_new_array();
	for (i = 0; out != NULL && i < n->count; i++)
	{
		struct json_object *item = spec_json(n->values[i]);

		if (item == NULL && !bf_yaml_is_null(n->values[i]))
		{
			json_object_put(out);
			return NULL;
		}
		if ((n->kind == BF_YAML_MAP ?
			 json_object_object_add(out, n->keys[i]->text, item) :
			 json_object_array_add(out, item)) != 0)
		{
			json_object_put(item);
			json_object_put(out);
			return NULL;
		}
	}
	return out;
}

/* key of map as a map of templates (headers). */
static bool
spec_tmpl_map_key(SpecCtx *ctx, const BfYamlNode *map, const char *path, const char *key,
				  BfTmplMap *m)
{
	const BfYamlNode *at;
	const BfYamlNode *n = spec_entry(map, key, &at);
	const char *kpath = spec_path(ctx, path, key);
	int			i;

	if (n == NULL)
		return true;
	if (n->kind != BF_YAML_MAP)
		return spec_fail_type(ctx, at, n, kpath, "a map");
	m->keys = spec_alloc(ctx, sizeof(char *) * (n->count + 1));
	m->values = spec_alloc(ctx, sizeof(BfTmplField) * (n->count + 1));
	if (m->keys == NULL || m->values == NULL)
		return false;
	for (i = 0; i < n->count; i++)
	{
		m->keys[i] = bf_arena_strdup(ctx->arena, n->keys[i]->text);
		if (m->keys[i] == NULL)
			return spec_nomem(ctx);
		if (!spec_tmpl(ctx, n->keys[i], n->values[i], spec_path(ctx, kpath, n->keys[i]->text),
					   &m->values[i]))
			return false;
		m->count++;
	}
	return true;
}

/* key of map as a list of strings; a lone string is a list of one when single_ok. */
static bool
spec_str_list_key(SpecCtx *ctx, const BfYamlNode *map, const char *path, const char *key,
				  bool single_ok, BfStrList *out)
{
	const BfYamlNode *at;
	const BfYamlNode *n = spec_entry(map, key, &at);
	const char *kpath = spec_path(ctx, path, key);
	int			i;

	if (n == NULL)
		return true;
	if (n->kind == BF_YAML_SCALAR && single_ok)
	{
		out->items = spec_alloc(ctx, sizeof(char *));
		out->count = 1;
		return out->items != NULL && spec_string(ctx, at, n, kpath, &out->items[0]);
	}
	if (n->kind != BF_YAML_LIST)
		return spec_fail_type(ctx, at, n, kpath, single_ok ? "a list or a string" : "a list");
	out->items = spec_alloc(ctx, sizeof(char *) * (n->count + 1));
	if (out->items == NULL)
		return false;
	for (i = 0; i < n->count; i++)
	{
		const BfYamlNode *item = n->values[i];
		const char *ipath = spec_item_path(ctx, kpath, n, i);

		if (item->kind != BF_YAML_SCALAR || bf_yaml_is_null(item))
			return spec_fail_type(ctx, item, item, ipath, "a string");
		if (!spec_string(ctx, item, item, ipath, &out->items[i]))
			return false;
		out->count++;
	}
	return true;
}

/*
 * "state.<name>" (iterate.into, a call's into) to name, which must be a
 * plain key: the runner sets it without rendering anything.
 */
static bool
spec_state_target(SpecCtx *ctx, const BfYamlNode *map, const char *path, const char *key,
				  const char **out)
{
	const BfYamlNode *at;
	const BfYamlNode *n = spec_entry(map, key, &at);
	const char *kpath = spec_path(ctx, path, key);
	const char *text;

	if (n == NULL)
		return true;
	if (!spec_string(ctx, at, n, kpath, &text))
		return false;
	if (strncmp(text, "state.", 6) != 0 || text[6] == '\0' || strchr(text + 6, '.') != NULL)
		return spec_fail(ctx, at, kpath, "must be \"state.<name>\", got \"%s\"", text);
	*out = text + 6;
	return true;
}

/* ---- what values read: render order and page prefetch ------------------- */

typedef struct SpecRefs
{
	const BfValue *state;		/* resolve state.<key> to an index of this map */
	int		   *found;			/* indexes of the state keys read (malloc'd) */
	int			nfound;
	int			capfound;
	bool		failed;			/* out of memory */
	const BfResponse *response; /* its processors' state outputs count as response */
	bool		reads_response;
} SpecRefs;

/* Is path ("state.date", "response") root, or under it? */
static const char *
spec_ref_under(const char *path, const char *root)
{
	size_t		len = strlen(root);

	if (strncmp(path, root, len) != 0)
		return NULL;
	if (path[len] == '\0')
		return path + len;
	return path[len] == '.' ? path + len + 1 : NULL;
}

/*
 * Called for each path a template reads; notes the state keys and response
 * reads that matter.
 */
static void
spec_ref_visit(const char *path, void *arg)
{
	SpecRefs   *r = arg;
	const char *key = spec_ref_under(path, "state");
	int			i;

	if (spec_ref_under(path, "response") != NULL)
		r->reads_response = true;
	if (key == NULL || key[0] == '\0')
		return;
	for (i = 0; r->state != NULL && i < r->state->count; i++)
	{
		if (strcmp(r->state->keys[i], key) != 0)
			continue;
		if (r->nfound == r->capfound)
		{
			int			ncap = r->capfound == 0 ? 8 : r->capfound * 2;
			int		   *n = realloc(r->found, sizeof(int) * ncap);

			if (n == NULL)
			{
				r->failed = true;
				return;
			}
			r->found = n;
			r->capfound = ncap;
		}
		r->found[r->nfound++] = i;
	}
	for (i = 0; r->response != NULL && i < r->response->processor_count; i++)
		if (r->response->processors[i].output_kind == BF_OUTPUT_STATE &&
			strcmp(r->response->processors[i].output_name, key) == 0)
			r->reads_response = true;
}

/* A value may hold templates anywhere inside its lists and maps. */
static void
spec_value_refs(const BfValue *v, SpecRefs *r)
{
	int			i;

	switch (v->kind)
	{
		case BF_VALUE_TEMPLATE:
			bf_template_visit_refs(v->tmpl.tmpl, spec_ref_visit, r);
			break;
		case BF_VALUE_LIST:
		case BF_VALUE_MAP:
			for (i = 0; i < v->count; i++)
				spec_value_refs(&v->items[i], r);
			break;
		case BF_VALUE_LITERAL:
			break;
	}
}

/* The cycle on the DFS stack from key j back to j: "a -> b -> a". */
static bool
spec_state_cycle(SpecCtx *ctx, const BfValue *state, const char *path, const int *stack,
				 int depth, int j)
{
	char		chain[512];
	size_t		len = 0;
	int			k = depth - 1;

	while (k > 0 && stack[k] != j)
		k--;
	for (; k < depth && len < sizeof(chain); k++)
		len += snprintf(chain + len, sizeof(chain) - len, "%s -> ", state->keys[stack[k]]);
	if (len < sizeof(chain))
		snprintf(chain + len, sizeof(chain) - len, "%s", state->keys[j]);
	bf_error_set(ctx->err, BF_ERR_SPEC, "%s:%d:%d: %s.%s: state values read each other in a "
				 "circle: %s", ctx->file, state->items[j].loc.line, state->items[j].loc.column,
				 path, state->keys[j], chain);
	return false;
}

/*
 * The order to render state in: a key after the keys it reads (Sling's
 * DetermineStateRenderOrder, spec.go:935, but deterministic: YAML order
 * where nothing says otherwise).  skip (iterate.into) is set by the runner,
 * not rendered: it is left out, and reading it orders nothing.  A circle
 * is an error naming its keys.
 */
static bool
spec_state_order(SpecCtx *ctx, const BfValue *state, const char *skip, const char *path,
				 int **order, int *count)
{
	int			n = state->count;
	SpecRefs   *reads = calloc((size_t) n + 1, sizeof(SpecRefs));	/* per key */
	char	   *color = calloc((size_t) n + 1, 1);	/* 0 new, 1 on the stack, 2 done */
	int		   *stack = malloc(sizeof(int) * (n + 1));
	int		   *next = malloc(sizeof(int) * (n + 1));	/* per frame: next of found[] */
	int			root;
	bool		ok = true;

	*count = 0;
	*order = bf_arena_alloc(ctx->arena, sizeof(int) * (n + 1));
	if (reads == NULL || color == NULL || stack == NULL || next == NULL || *order == NULL)
		ok = spec_nomem(ctx);
	for (root = 0; ok && root < n; root++)
	{
		reads[root].state = state;
		if (skip != NULL && strcmp(state->keys[root], skip) == 0)
			color[root] = 2;
		else
			spec_value_refs(&state->items[root], &reads[root]);
		if (reads[root].failed)
			ok = spec_nomem(ctx);
	}
	for (root = 0; ok && root < n; root++)
	{
		int			depth = 0;

		if (color[root] != 0)
			continue;
		stack[depth] = root;
		next[depth++] = 0;
		color[root] = 1;
		while (ok && depth > 0)
		{
			int			i = stack[depth - 1];
			int			j;

			if (next[depth - 1] == reads[i].nfound)
			{
				color[i] = 2;
				(*order)[(*count)++] = i;
				depth--;
				continue;
			}
			j = reads[i].found[next[depth - 1]++];
			if (color[j] == 1)
				ok = spec_state_cycle(ctx, state, path, stack, depth, j);
			else if (color[j] == 0)
			{
				color[j] = 1;
				stack[depth] = j;
				next[depth++] = 0;
			}
		}
	}
	for (root = 0; reads != NULL && root < n; root++)
		free(reads[root].found);
	free(reads);
	free(color);
	free(stack);
	free(next);
	return ok;
}

/*
 * Whether the next page can be asked for before this one arrives: not when
 * next_state reads the response, or state a processor fills from it.
 */
static bool
spec_next_state_reads_response(const BfEndpoint *ep)
{
	SpecRefs	refs;

	memset(&refs, 0, sizeof(refs));
	refs.response = &ep->response;
	spec_value_refs(&ep->pagination.next_state, &refs);
	return refs.reads_response;
}

/* ---- blocks -------------------------------------------------------------- */

/*
 * Each block parser takes the block's map (NULL when the spec does not
 * write it) and at, where it was written (its key, a list item, or the
 * enclosing block's key when it is absent), for "missing required key".
 */

/*
 * request: Sling's defaults (GET, 30 s, 2/s, 5 in flight) apply to what is
 * not written.  An explicit "rate: 0" lifts the limit (the request engine's
 * meaning of 0), for APIs of one's own and for tests.
 */
static bool
spec_parse_request(SpecCtx *ctx, const BfYamlNode *node, const BfYamlNode *at,
				   const char *path, bool url_required, BfRequest *r)
{
	static const char *const keys[] = {"url", "method", "headers", "parameters", "payload",
	"timeout", "rate", "concurrency", NULL};
	static const int method_values[] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
	const BfYamlNode *payload;
	const BfYamlNode *pat;
	int			method = 0;

	r->timeout = 30;
	r->rate = 2;
	r->concurrency = 5;
	r->parameters.kind = BF_VALUE_MAP;
	if (!spec_check_map(ctx, node, at, path, keys, NULL) ||
		(url_required && !spec_require(ctx, node, at, path, "url")) ||
		!spec_tmpl_key(ctx, node, path, "url", &r->url) ||
		!spec_enum_key(ctx, node, path, "method", http_methods, method_values, true, NULL, &method) ||
		!spec_tmpl_map_key(ctx, node, path, "headers", &r->headers) ||
		!spec_value_map_key(ctx, node, path, "parameters", &r->parameters) ||
		!spec_int_key(ctx, node, path, "timeout", 1, &r->timeout) ||
		!spec_number_key(ctx, node, path, "rate", true, &r->rate) ||
		!spec_int_key(ctx, node, path, "concurrency", 1, &r->concurrency))
		return false;
	r->method = http_methods[method];
	payload = spec_entry(node, "payload", &pat);
	if (payload != NULL)
	{
		BfValue    *p = spec_alloc(ctx, sizeof(BfValue));

		if (p == NULL || !spec_value(ctx, pat, payload, spec_path(ctx, path, "payload"), p))
			return false;
		r->payload = p;
	}
	return true;
}

/*
 * pagination: no pagination block, or an empty one, means a single request.
 * max_pages is backfill_fdw's own key (Sling has no cap on pages).
 */
static bool
spec_parse_pagination(SpecCtx *ctx, const BfYamlNode *node, const BfYamlNode *at,
					  const char *path, BfPagination *p)
{
	static const char *const keys[] = {"next_state", "stop_condition", "max_pages", NULL};

	p->max_pages = BF_DEFAULT_MAX_PAGES;
	return spec_check_map(ctx, node, at, path, keys, NULL) &&
		spec_value_map_key(ctx, node, path, "next_state", &p->next_state) &&
		spec_expr_key(ctx, node, path, "stop_condition", &p->stop_condition) &&
		spec_int_key(ctx, node, path, "max_pages", 1, &p->max_pages);
}

/*
 * A records.jmespath with no {...} part is compiled here, so a JMESPath
 * syntax error is a load error and the runner need not compile it again.
 */
static bool
spec_compile_jmespath(SpecCtx *ctx, const BfTmplField *f, JpExpr **out)
{
	BfError		cerr;
	JpError		jerr;
	char	   *text;

	bf_error_clear(&cerr);
	text = bf_template_render_text(f->tmpl, NULL, &cerr);
	if (text == NULL)
		return spec_compile_fail(ctx, f->loc, f->path, &cerr);
	*out = jp_compile(text, &jerr);
	if (*out == NULL)
	{
		jp_error_to_bf(&jerr, text, &cerr);
		bf_error_prefix(&cerr, "invalid JMESPath");
		free(text);
		return spec_compile_fail(ctx, f->loc, f->path, &cerr);
	}
	free(text);
	return spec_own(ctx, SPEC_OWN_JMESPATH, *out);
}

/* "capacity,error_rate": an integer > 0 and a rate strictly between 0 and 1. */
static bool
spec_check_tolerance(SpecCtx *ctx, const BfYamlNode *map, const char *path, const char *text)
{
	const BfYamlNode *at = NULL;
	char	   *end;
	long		cap;
	double		rate;

	errno = 0;
	cap = strtol(text, &end, 10);
	if (errno == 0 && cap > 0 && *end == ',')
	{
		rate = strtod(end + 1, &end);
		if (*end == '\0' && rate > 0 && rate < 1)
			return true;
	}
	spec_entry(map, "duplicate_tolerance", &at);
	return spec_fail(ctx, at, spec_path(ctx, path, "duplicate_tolerance"),
					 "expected \"capacity,error_rate\" (e.g. \"1000000,0.001\"), got \"%s\"", text);
}

/*
 * A records.jq with no {...} part is compiled (by the jq worker) here, so a
 * jq syntax error is a load error too.
 */
static bool
spec_check_jq(SpecCtx *ctx, const BfTmplField *f)
{
	BfError		cerr;
	char	   *text;
	bool		ok;

	bf_error_clear(&cerr);
	text = bf_template_render_text(f->tmpl, NULL, &cerr);
	ok = text != NULL && bf_jq_check(text, &cerr);
	free(text);
	if (ok)
		return true;
	bf_error_prefix(&cerr, "invalid jq program");
	return spec_compile_fail(ctx, f->loc, f->path, &cerr);
}

/* response.records: how records are found in a body and told apart. */
static bool
spec_parse_records(SpecCtx *ctx, const BfYamlNode *node, const BfYamlNode *at,
				   const char *path, BfRecords *r)
{
	static const char *const keys[] = {"jmespath", "jq", "primary_key", "update_key", "limit",
	"casing", "select", "duplicate_tolerance", NULL};
	static const char *const casings[] = {"snake", "camel", NULL};
	static const int casing_values[] = {BF_CASING_SNAKE, BF_CASING_CAMEL};
	int			casing = BF_CASING_NONE;

	if (!spec_check_map(ctx, node, at, path, keys, NULL) ||
		!spec_tmpl_key(ctx, node, path, "jmespath", &r->jmespath) ||
		!spec_tmpl_key(ctx, node, path, "jq", &r->jq) ||
		!spec_str_list_key(ctx, node, path, "primary_key", true, &r->primary_key) ||
		!spec_string_key(ctx, node, path, "update_key", &r->update_key) ||
		!spec_int_key(ctx, node, path, "limit", 0, &r->limit) ||
		!spec_enum_key(ctx, node, path, "casing", casings, casing_values, false, NULL, &casing) ||
		!spec_str_list_key(ctx, node, path, "select", false, &r->select) ||
		!spec_string_key(ctx, node, path, "duplicate_tolerance", &r->duplicate_tolerance))
		return false;
	r->casing = (BfCasing) casing;
	if (r->duplicate_tolerance != NULL &&
		!spec_check_tolerance(ctx, node, path, r->duplicate_tolerance))
		return false;
	if (r->jq.src != NULL && r->jmespath.src != NULL)
		return spec_fail(ctx, at, path, "give jmespath or jq, not both");
	if (r->jq.src != NULL && bf_template_is_constant(r->jq.tmpl) && !spec_check_jq(ctx, &r->jq))
		return false;
	return r->jmespath.tmpl == NULL || !bf_template_is_constant(r->jmespath.tmpl) ||
		spec_compile_jmespath(ctx, &r->jmespath, &r->jmespath_expr);
}

/*
 * A queue name as Sling finds them in a spec (queue\.([a-zA-Z0-9_]+)): a
 * queue named otherwise could never be read back.
 */
#define SPEC_QUEUE_NAME_CHARS \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

static bool
spec_queue_name(const char *name)
{
	size_t		len = strspn(name, SPEC_QUEUE_NAME_CHARS);

	return len > 0 && name[len] == '\0';
}

/* Split a processor's output into its kind and name. */
static bool
spec_parse_output(SpecCtx *ctx, const BfYamlNode *map, const char *path, BfProcessor *p)
{
	static const struct
	{
		const char *prefix;
		BfOutputKind kind;
	}			outputs[] = {
		{"state.", BF_OUTPUT_STATE},
		{"record.", BF_OUTPUT_RECORD_FIELD},
		{"env.", BF_OUTPUT_ENV},
		{"context.store.", BF_OUTPUT_STORE},
	};
	const BfYamlNode *at;
	const BfYamlNode *n = spec_entry(map, "output", &at);
	const char *kpath = spec_path(ctx, path, "output");
	size_t		i;

	/* without an output the expression runs for its effect (Sling: log(record)) */
	if (n == NULL)
	{
		p->output_kind = BF_OUTPUT_NONE;
		return true;
	}
	if (!spec_string(ctx, at, n, kpath, &p->output))
		return false;
	if (strcmp(p->output, "record") == 0)
	{
		p->output_kind = BF_OUTPUT_RECORD;
		return true;
	}
	for (i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++)
	{
		size_t		len = strlen(outputs[i].prefix);

		if (strncmp(p->output, outputs[i].prefix, len) == 0 && p->output[len] != '\0')
		{
			p->output_kind = outputs[i].kind;
			p->output_name = p->output + len;
			if ((p->output_kind == BF_OUTPUT_ENV || p->output_kind == BF_OUTPUT_STORE) &&
				p->aggregation == BF_AGG_NONE)
				return spec_fail(ctx, at, kpath, "an output to %s needs an aggregation "
								 "(maximum, minimum, collect, first or last)", outputs[i].prefix);
			return true;
		}
	}
	if (strncmp(p->output, "queue.", 6) == 0)
	{
		p->output_kind = BF_OUTPUT_QUEUE;
		p->output_name = p->output + 6;
		if (!spec_queue_name(p->output_name))
			return spec_fail(ctx, at, kpath, "invalid queue name \"%s\"; a queue is named "
							 "with letters, digits and _", p->output_name);
		if (p->aggregation != BF_AGG_NONE)
			return spec_fail(ctx, at, kpath, "an output to a queue takes no aggregation: "
							 "each value is appended (a list as one item per element)");
		return true;
	}
	if (strncmp(p->output, "auth.", 5) == 0)
	{
		const char *name = p->output + 5;
		const char *dot = strchr(name, '.');

		if (!ctx->in_auth_sequence)
			return spec_fail(ctx, at, kpath, "an output to auth.* belongs in an "
							 "authentication.sequence call");
		/* auth.<name>, or auth.headers.<Header>: a header every request sends */
		if (name[0] == '\0' || (dot != NULL && (strncmp(name, "headers.", 8) != 0 ||
												 name[8] == '\0' || strchr(name + 8, '.'))))
			return spec_fail(ctx, at, kpath, "invalid output \"%s\"; expected auth.<name> or "
							 "auth.headers.<header>", p->output);
		p->output_kind = BF_OUTPUT_AUTH;
		p->output_name = name;
		return true;
	}
	return spec_fail(ctx, at, kpath, "invalid output \"%s\"; expected state.<name>, record, "
					 "record.<name>, env.<name>, context.store.<name> or queue.<name>", p->output);
}

/*
 * A processor: an expression, where its value goes, and how values combine
 * across records.
 */
static bool
spec_parse_processor(SpecCtx *ctx, const BfYamlNode *node, const char *path, void *item)
{
	static const char *const keys[] = {"expression", "output", "if", "aggregation", NULL};
	static const char *const aggs[] = {"", "none", "maximum", "minimum", "collect", "flatten",
	"first", "last", NULL};
	static const int agg_values[] = {BF_AGG_NONE, BF_AGG_NONE, BF_AGG_MAXIMUM, BF_AGG_MINIMUM,
	BF_AGG_COLLECT, BF_AGG_COLLECT, BF_AGG_FIRST, BF_AGG_LAST};
	BfProcessor *p = item;
	int			agg = BF_AGG_NONE;

	p->path = path;
	p->loc = spec_loc(node);
	if (node->kind != BF_YAML_MAP)
		return spec_fail_type(ctx, node, node, path, "a map");
	if (!spec_check_map(ctx, node, node, path, keys, NULL) ||
		!spec_require(ctx, node, node, path, "expression") ||
		!spec_expr_key(ctx, node, path, "expression", &p->expression) ||
		!spec_expr_key(ctx, node, path, "if", &p->condition) ||
		!spec_enum_key(ctx, node, path, "aggregation", aggs, agg_values, false, NULL, &agg))
		return false;
	p->aggregation = (BfAggregation) agg;
	return spec_parse_output(ctx, node, path, p);
}

/*
 * A rule: a condition checked after each response and what to do when it
 * holds.
 */
static bool
spec_parse_rule(SpecCtx *ctx, const BfYamlNode *node, const char *path, void *item)
{
	static const char *const keys[] = {"action", "condition", "max_attempts", "backoff",
	"backoff_base", "message", NULL};
	static const char *const actions[] = {"retry", "continue", "stop", "break", "fail",
	"skip", NULL};
	static const int action_values[] = {BF_RULE_RETRY, BF_RULE_CONTINUE, BF_RULE_STOP,
	BF_RULE_BREAK, BF_RULE_FAIL, BF_RULE_SKIP};
	static const char *const backoffs[] = {"", "none", "constant", "linear", "exponential",
	"jitter", NULL};
	static const int backoff_values[] = {BF_BACKOFF_NONE, BF_BACKOFF_NONE, BF_BACKOFF_CONSTANT,
	BF_BACKOFF_LINEAR, BF_BACKOFF_EXPONENTIAL, BF_BACKOFF_JITTER};
	BfRule	   *r = item;
	int			action = 0;
	int			backoff = BF_BACKOFF_NONE;

	r->path = path;
	r->loc = spec_loc(node);
	r->max_attempts = 3;
	r->backoff_base = 1;
	if (node->kind != BF_YAML_MAP)
		return spec_fail_type(ctx, node, node, path, "a map");
	if (!spec_check_map(ctx, node, node, path, keys, NULL) ||
		!spec_require(ctx, node, node, path, "action") ||
		!spec_require(ctx, node, node, path, "condition") ||
		!spec_enum_key(ctx, node, path, "action", actions, action_values, false, NULL, &action) ||
		!spec_expr_key(ctx, node, path, "condition", &r->condition) ||
		!spec_int_key(ctx, node, path, "max_attempts", 1, &r->max_attempts) ||
		!spec_enum_key(ctx, node, path, "backoff", backoffs, backoff_values, false, NULL, &backoff) ||
		!spec_number_key(ctx, node, path, "backoff_base", true, &r->backoff_base) ||
		!spec_tmpl_key(ctx, node, path, "message", &r->message))
		return false;
	r->action = (BfRuleAction) action;
	r->backoff = (BfBackoff) backoff;
	return true;
}

/*
 * The rules appended to every rule list, after the spec's own (so a spec's
 * rule for the same status wins).  Sling's retry of 429 and fail of 4xx/5xx,
 * plus a retry of 5xx: Sling fails a long backfill on the first 502 ("rules
 * that retry nothing but 429"), which DESIGN.md asks to replace with the
 * safe choice; the runner retries a transient transport failure (status 0)
 * by the same rule.  Sling's third default rule, for a JSON-RPC error envelope
 * sent with HTTP 200, is left out: its condition is not public, and any
 * condition reading response.json would make every response of every
 * endpoint be parsed into a tree, which the scan's fast path avoids
 * (runner_raw.c).  A JSON-RPC API writes that rule in its spec.
 */
static const struct
{
	const char *name;
	BfRuleAction action;
	const char *condition;
	int			max_attempts;
	BfBackoff	backoff;
	double		base;
	const char *message;
}			spec_default_rules[] = {
	{"Default Retry Rule", BF_RULE_RETRY, "response.status == 429", 3, BF_BACKOFF_LINEAR, 2, NULL},
	{BF_SERVER_ERROR_RULE, BF_RULE_RETRY, "response.status >= 500", 3,
	BF_BACKOFF_EXPONENTIAL, 1, NULL},
	{"Default Fail Rule", BF_RULE_FAIL, "response.status >= 400", 1, BF_BACKOFF_NONE, 1, NULL},
};

_Static_assert(sizeof(spec_default_rules) / sizeof(spec_default_rules[0]) == SPEC_DEFAULT_RULES,
			   "spec_default_rules and BfSpecPrivate.default_rules must agree");

/* The default rules, compiled on first use and shared by every rule list. */
static bool
spec_default_rules_ready(SpecCtx *ctx)
{
	BfSpecPrivate *priv = ctx->spec->priv;
	int			i;

	if (priv->default_rules_ready)
		return true;
	for (i = 0; i < SPEC_DEFAULT_RULES; i++)
	{
		BfRule	   *r = &priv->default_rules[i];

		r->default_name = spec_default_rules[i].name;
		r->action = spec_default_rules[i].action;
		r->max_attempts = spec_default_rules[i].max_attempts;
		r->backoff = spec_default_rules[i].backoff;
		r->backoff_base = spec_default_rules[i].base;
		r->path = bf_arena_printf(ctx->arena, "default rule \"%s\"", r->default_name);
		if (r->path == NULL)
			return spec_nomem(ctx);
		r->condition.src = spec_default_rules[i].condition;
		r->condition.path = r->path;
		if (!spec_compile_expr(ctx, &r->condition))
			return false;
		r->message.src = spec_default_rules[i].message;
		r->message.path = r->path;
		if (r->message.src != NULL && !spec_compile_tmpl(ctx, &r->message))
			return false;
	}
	priv->default_rules_ready = true;
	return true;
}

/*
 * A list of maps under key (processors, rules, setup, ...), one parser per
 * item, with extra slots left at the end for the caller.  A modifier the
 * merge could not fold ("+rules: {}") is still in the map: it is reported.
 */
typedef bool (*SpecItemParser) (SpecCtx *ctx, const BfYamlNode *node, const char *path,
								void *item);

/*
 * Lists of blocks share one walk, so every item gets the same path and
 * error handling.
 */
static bool
spec_list_key(SpecCtx *ctx, const BfYamlNode *map, const char *path, const char *key,
			  size_t item_size, int extra, SpecItemParser parse, int *count, void **items)
{
	const BfYamlNode *at;
	const BfYamlNode *n = spec_entry(map, key, &at);
	const char *kpath = spec_path(ctx, path, key);
	char		mod[2][64];
	int			i,
				len;

	snprintf(mod[0], sizeof(mod[0]), "+%s", key);
	snprintf(mod[1], sizeof(mod[1]), "%s+", key);
	for (i = 0; i < 2; i++)
	{
		const BfYamlNode *mat;
		const BfYamlNode *m = spec_entry(map, mod[i], &mat);

		if (m != NULL)
			return spec_fail_type(ctx, mat, m, spec_path(ctx, path, mod[i]), "a list");
	}
	if (n != NULL && n->kind != BF_YAML_LIST)
		return spec_fail_type(ctx, at, n, kpath, "a list");
	len = n != NULL ? n->count : 0;
	*items = spec_alloc(ctx, item_size * (size_t) (len + extra + 1));
	if (*items == NULL)
		return false;
	for (i = 0; i < len; i++)
	{
		const char *ipath = spec_item_path(ctx, kpath, n, i);

		if (ipath == NULL)
			return spec_nomem(ctx);
		if (!parse(ctx, n->values[i], ipath, (char *) *items + item_size * (size_t) i))
			return false;
	}
	*count = len;
	return true;
}

/*
 * response: format, records, processors, and the rules with the default
 * ones last.
 */
static bool
spec_parse_response(SpecCtx *ctx, const BfYamlNode *node, const BfYamlNode *at,
					const char *path, BfResponse *r)
{
	static const char *const keys[] = {"format", "records", "processors", "rules",
		"+processors", "processors+", "+rules", "rules+", NULL};
	static const char *const formats[] = {"json", "jsonlines", "csv", NULL};
	static const int format_values[] = {BF_FORMAT_JSON, BF_FORMAT_JSONLINES, BF_FORMAT_CSV};
	static const char *const unsupported_formats[] = {"xml", "parquet", "avro", "excel", "xlsx",
	"sas", "sas7bdat", "text", "raw", "arrow", "delta", "iceberg", NULL};
	const BfYamlNode *rat = at;
	const BfYamlNode *records;
	int			format = BF_FORMAT_AUTO;
	int			i;
	void	   *items;

	records = spec_entry(node, "records", &rat);
	if (!spec_check_map(ctx, node, at, path, keys, NULL) ||
		!spec_enum_key(ctx, node, path, "format", formats, format_values, false,
					   unsupported_formats, &format) ||
		!spec_parse_records(ctx, records, rat, spec_path(ctx, path, "records"), &r->records))
		return false;
	r->format = (BfFormat) format;
	if (!spec_list_key(ctx, node, path, "processors", sizeof(BfProcessor), 0,
					   spec_parse_processor, &r->processor_count, &items))
		return false;
	r->processors = items;
	if (!spec_list_key(ctx, node, path, "rules", sizeof(BfRule), SPEC_DEFAULT_RULES,
					   spec_parse_rule, &r->rule_count, &items))
		return false;
	r->rules = items;
	if (!spec_default_rules_ready(ctx))
		return false;
	for (i = 0; i < SPEC_DEFAULT_RULES; i++)
		r->rules[r->rule_count++] = ctx->spec->priv->default_rules[i];
	return true;
}

/* Move *p past blanks. */
static void
spec_skip_blanks(const char **p)
{
	while (isspace((unsigned char) **p))
		(*p)++;
}

/*
 * The queue iterate.over streams, when it is written "queue.X" or
 * "chunk(queue.X, n)" (n a positive integer): over_queue and over_chunk
 * are set, else left alone.  The chunk form is recognised here, not left
 * to the function library, because streaming it must not make the queue
 * one array first.
 */
static bool
spec_over_queue(SpecCtx *ctx, const char *text, BfIterate *it)
{
	const char *p = text;
	const char *name;
	size_t		len;
	long		n = 0;
	bool		chunk = false;

	spec_skip_blanks(&p);
	if (strncmp(p, "chunk", 5) == 0)
	{
		p += 5;
		spec_skip_blanks(&p);
		if (*p++ != '(')
			return true;
		spec_skip_blanks(&p);
		chunk = true;
	}
	if (strncmp(p, "queue.", 6) != 0)
		return true;
	name = p + 6;
	len = strspn(name, SPEC_QUEUE_NAME_CHARS);
	p = name + len;
	spec_skip_blanks(&p);
	if (chunk)
	{
		char	   *end;

		if (*p++ != ',')
			return true;
		spec_skip_blanks(&p);
		if (!isdigit((unsigned char) *p))
			return true;
		errno = 0;
		n = strtol(p, &end, 10);
		p = end;
		spec_skip_blanks(&p);
		if (*p++ != ')' || errno != 0 || n <= 0 || n > INT_MAX)
			return true;
		spec_skip_blanks(&p);
	}
	if (len == 0 || *p != '\0')
		return true;
	it->over_queue = bf_arena_strndup(ctx->arena, name, len);
	it->over_chunk = (int) n;
	return it->over_queue != NULL || spec_nomem(ctx);
}

/*
 * iterate: over a YAML list or an expression; into the state key each item
 * is set in.
 */
static bool
spec_parse_iterate(SpecCtx *ctx, const BfYamlNode *node, const BfYamlNode *at,
				   const char *path, BfIterate *it)
{
	static const char *const keys[] = {"over", "into", "concurrency", "consume", NULL};
	static const SpecUnsupported unsupported[] = {
		{"if", "Sling documents iterate.if but ignores it; filter in iterate.over instead"},
		{NULL, NULL}
	};
	static const char *const consumes[] = {"deferred", "immediate", NULL};
	static const int consume_values[] = {BF_CONSUME_DEFERRED, BF_CONSUME_IMMEDIATE};
	const BfYamlNode *over;
	const BfYamlNode *oat;
	const BfYamlNode *into;
	const BfYamlNode *iat;
	const char *opath = spec_path(ctx, path, "over");
	int			consume = BF_CONSUME_DEFERRED;

	it->concurrency = 10;
	if (node == NULL)
		return true;
	it->present = true;
	it->loc = spec_loc(at);
	if (!spec_check_map(ctx, node, at, path, keys, unsupported) ||
		!spec_require(ctx, node, at, path, "over") ||
		!spec_require(ctx, node, at, path, "into"))
		return false;
	into = spec_entry(node, "into", &iat);
	if (into->kind == BF_YAML_SCALAR && strcmp(into->text, "response.records") == 0)
		it->into_records = true;
	else if (!spec_state_target(ctx, node, path, "into", &it->into))
		return false;
	if (!spec_int_key(ctx, node, path, "concurrency", 1, &it->concurrency) ||
		!spec_enum_key(ctx, node, path, "consume", consumes, consume_values, false, NULL, &consume))
		return false;
	it->consume = (BfConsume) consume;
	over = spec_entry(node, "over", &oat);
	if (over->kind == BF_YAML_LIST)
	{
		it->over_list = spec_json(over);
		return it->over_list != NULL ? spec_track_json(ctx, it->over_list) : spec_nomem(ctx);
	}
	if (over->kind != BF_YAML_SCALAR)
		return spec_fail_type(ctx, oat, over, opath, "a list or an expression");
	if (over->plain)
	{
		struct json_object *v;
		bool		is_string;

		if (!bf_yaml_scalar_value(over, &v))
			return spec_nomem(ctx);
		is_string = json_object_is_type(v, json_type_string);
		json_object_put(v);
		if (!is_string)
			return spec_fail_type(ctx, oat, over, opath, "a list or an expression");
	}
	if (!spec_over_queue(ctx, over->text, it))
		return false;
	if (it->over_chunk > 0)
	{
		/* over.expr is what the chunk form reads (spec.h) */
		const char *reads = bf_arena_printf(ctx->arena, "queue.%s", it->over_queue);

		if (reads == NULL)
			return spec_nomem(ctx);
		if (!spec_string(ctx, oat, over, opath, &it->over.src))
			return false;
		it->over.path = opath;
		it->over.loc = spec_loc(oat);
		return spec_compile_expr_text(ctx, &it->over, reads);
	}
	return spec_expr(ctx, oat, over, opath, &it->over);
}

static bool spec_parse_call(SpecCtx *ctx, const BfYamlNode *node, const char *path, void *item);

/*
 * An authentication block.  A null block, {} and type none give NULL (no
 * authentication); a map with only headers is static, as in Sling.
 */
static bool
spec_parse_auth(SpecCtx *ctx, const BfYamlNode *node, const BfYamlNode *at, const char *path,
				const BfAuth **out)
{
	static const char *const keys_none[] = {"type", NULL};
	static const char *const keys_static[] = {"type", "headers", "expires", NULL};
	static const char *const keys_basic[] = {"type", "username", "password", "expires", NULL};
	static const char *const keys_oauth2[] = {"type", "flow", "client_id", "client_secret",
		"authentication_url", "scopes", "username", "password", "refresh_token",
	"refresh_on_expire", "expires", NULL};
	static const char *const keys_sequence[] = {"type", "sequence", "expires", NULL};
	static const char *const keys_aws[] = {"type", "aws_service", "aws_region",
		"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "expires", NULL};
	static const SpecUnsupported aws_unsupported[] = {
		{"aws_profile", "a backend reads no AWS profile files; give aws_access_key_id and "
		"aws_secret_access_key from the user mapping"},
		{NULL, NULL}};
	static const char *const keys_hmac[] = {"type", "algorithm", "secret", "secret_encoding",
		"signing_string", "request_headers", "nonce_length", "expires", NULL};
	static const char *const algorithms[] = {"sha256", "sha512", NULL};
	static const int algorithm_values[] = {0, 1};
	static const char *const encodings[] = {"raw", "hex", "base64", NULL};
	static const int encoding_values[] = {BF_SECRET_RAW, BF_SECRET_HEX, BF_SECRET_BASE64};
	static const char *const keys_mtls[] = {"type", "cert", "key", "ca", "expires", NULL};
	static const char *const types[] = {"", "none", "static", "basic", "oauth2", "aws-sigv4",
	"hmac", "mtls", "sequence", NULL};
	static const int type_values[] = {BF_AUTH_NONE, BF_AUTH_NONE, BF_AUTH_STATIC,
		BF_AUTH_BASIC, BF_AUTH_OAUTH2, BF_AUTH_AWS_SIGV4, BF_AUTH_HMAC, BF_AUTH_MTLS,
	BF_AUTH_SEQUENCE};
	static const char *const flows[] = {"client_credentials", "password", "refresh_token", NULL};
	static const int flow_values[] = {BF_OAUTH_CLIENT_CREDENTIALS, BF_OAUTH_PASSWORD,
	BF_OAUTH_REFRESH_TOKEN};
	/* both need a browser or a person at a terminal, which a backend has not */
	static const char *const unsupported_flows[] = {"authorization_code", "device_code", NULL};
	static const char *const *const keys_by_type[] = {keys_none, keys_static, keys_basic,
	keys_oauth2, keys_aws, keys_hmac, keys_mtls, keys_sequence};
	const BfYamlNode *tat;
	BfAuth	   *auth;
	int			type = BF_AUTH_NONE;
	int			flow = 0;
	bool		has_type = spec_entry(node, "type", &tat) != NULL;

	*out = NULL;
	if (node == NULL || bf_yaml_is_null(node))
		return true;
	if (node->kind != BF_YAML_MAP)
		return spec_fail_type(ctx, at, node, path, "a map");
	if (!spec_enum_key(ctx, node, path, "type", types, type_values, false, NULL, &type))
		return false;
	if (!has_type && spec_entry(node, "headers", &tat) != NULL)
		type = BF_AUTH_STATIC;
	else if (!has_type && node->count > 0)
		return spec_require(ctx, node, at, path, "type");
	if (!spec_check_map(ctx, node, at, path, keys_by_type[type],
						type == BF_AUTH_AWS_SIGV4 ? aws_unsupported : NULL))
		return false;
	if (type == BF_AUTH_NONE)
		return true;
	auth = spec_alloc(ctx, sizeof(BfAuth));
	if (auth == NULL)
		return false;
	auth->type = (BfAuthType) type;
	auth->loc = spec_loc(at);
	if (!spec_int_key(ctx, node, path, "expires", 0, &auth->expires))
		return false;
	switch (auth->type)
	{
		case BF_AUTH_STATIC:
			if (!spec_require(ctx, node, at, path, "headers") ||
				!spec_tmpl_map_key(ctx, node, path, "headers", &auth->headers))
				return false;
			break;
		case BF_AUTH_BASIC:
			if (!spec_require(ctx, node, at, path, "username") ||
				!spec_tmpl_key(ctx, node, path, "username", &auth->username) ||
				!spec_tmpl_key(ctx, node, path, "password", &auth->password))
				return false;
			break;
		case BF_AUTH_OAUTH2:
			if (!spec_require(ctx, node, at, path, "flow") ||
				!spec_enum_key(ctx, node, path, "flow", flows, flow_values, false,
							   unsupported_flows, &flow))
				return false;
			auth->flow = (BfOAuthFlow) flow;
			/* a public client (no secret) may use the password and refresh grants */
			if (!spec_require(ctx, node, at, path, "client_id") ||
				(auth->flow == BF_OAUTH_CLIENT_CREDENTIALS &&
				 !spec_require(ctx, node, at, path, "client_secret")) ||
				(auth->flow == BF_OAUTH_PASSWORD &&
				 (!spec_require(ctx, node, at, path, "username") ||
				  !spec_require(ctx, node, at, path, "password"))) ||
				(auth->flow == BF_OAUTH_REFRESH_TOKEN &&
				 !spec_require(ctx, node, at, path, "refresh_token")) ||
				!spec_require(ctx, node, at, path, "authentication_url") ||
				!spec_tmpl_key(ctx, node, path, "client_id", &auth->client_id) ||
				!spec_tmpl_key(ctx, node, path, "client_secret", &auth->client_secret) ||
				!spec_tmpl_key(ctx, node, path, "authentication_url", &auth->authentication_url) ||
				!spec_str_list_key(ctx, node, path, "scopes", false, &auth->scopes) ||
				!spec_bool_key(ctx, node, path, "refresh_on_expire", &auth->refresh_on_expire))
				return false;
			if (auth->flow != BF_OAUTH_PASSWORD &&
				(spec_entry(node, "username", &tat) != NULL ||
				 spec_entry(node, "password", &tat) != NULL))
				return spec_fail(ctx, tat, path, "username and password belong to flow password");
			if (auth->flow != BF_OAUTH_REFRESH_TOKEN && spec_entry(node, "refresh_token", &tat))
				return spec_fail(ctx, tat, spec_path(ctx, path, "refresh_token"),
								 "belongs to flow refresh_token");
			if (!spec_tmpl_key(ctx, node, path, "username", &auth->username) ||
				!spec_tmpl_key(ctx, node, path, "password", &auth->password) ||
				!spec_tmpl_key(ctx, node, path, "refresh_token", &auth->refresh_token))
				return false;
			break;
		case BF_AUTH_SEQUENCE:
			{
				void	   *items = NULL;
				bool		ok;

				if (!spec_require(ctx, node, at, path, "sequence"))
					return false;
				ctx->in_auth_sequence = true;
				ok = spec_list_key(ctx, node, path, "sequence", sizeof(BfCall), 0,
								   spec_parse_call, &auth->sequence_count, &items);
				ctx->in_auth_sequence = false;
				if (!ok)
					return false;
				if (auth->sequence_count == 0)
					return spec_fail(ctx, at, spec_path(ctx, path, "sequence"),
									 "needs at least one call");
				auth->sequence = items;
			}
			break;
		case BF_AUTH_AWS_SIGV4:
			if (!spec_require(ctx, node, at, path, "aws_service") ||
				!spec_require(ctx, node, at, path, "aws_region") ||
				!spec_require(ctx, node, at, path, "aws_access_key_id") ||
				!spec_require(ctx, node, at, path, "aws_secret_access_key") ||
				!spec_tmpl_key(ctx, node, path, "aws_service", &auth->aws_service) ||
				!spec_tmpl_key(ctx, node, path, "aws_region", &auth->aws_region) ||
				!spec_tmpl_key(ctx, node, path, "aws_access_key_id", &auth->aws_access_key_id) ||
				!spec_tmpl_key(ctx, node, path, "aws_secret_access_key",
							   &auth->aws_secret_access_key) ||
				!spec_tmpl_key(ctx, node, path, "aws_session_token", &auth->aws_session_token))
				return false;
			break;
		case BF_AUTH_HMAC:
			{
				int			algorithm = 0;
				int			encoding = BF_SECRET_RAW;

				if (!spec_require(ctx, node, at, path, "secret") ||
					!spec_require(ctx, node, at, path, "signing_string") ||
					!spec_require(ctx, node, at, path, "request_headers") ||
					!spec_enum_key(ctx, node, path, "algorithm", algorithms, algorithm_values,
								   true, NULL, &algorithm) ||
					!spec_enum_key(ctx, node, path, "secret_encoding", encodings,
								   encoding_values, true, NULL, &encoding) ||
					!spec_tmpl_key(ctx, node, path, "secret", &auth->secret) ||
					!spec_tmpl_key(ctx, node, path, "signing_string", &auth->signing_string) ||
					!spec_tmpl_map_key(ctx, node, path, "request_headers",
									   &auth->request_headers) ||
					!spec_int_key(ctx, node, path, "nonce_length", 0, &auth->nonce_length))
					return false;
				if (auth->nonce_length < 0 || auth->nonce_length > 256)
					return spec_fail(ctx, at, spec_path(ctx, path, "nonce_length"),
									 "must be between 0 and 256 bytes");
				auth->algorithm = algorithms[algorithm];
				auth->secret_encoding = (BfSecretEncoding) encoding;
			}
			break;
		case BF_AUTH_MTLS:
			if (!spec_require(ctx, node, at, path, "cert") ||
				!spec_require(ctx, node, at, path, "key") ||
				!spec_tmpl_key(ctx, node, path, "cert", &auth->cert) ||
				!spec_tmpl_key(ctx, node, path, "key", &auth->key) ||
				!spec_tmpl_key(ctx, node, path, "ca", &auth->ca))
				return false;
			break;
		case BF_AUTH_NONE:
			break;
	}
	*out = auth;
	return true;
}

/* A block under key of map, with where it was written (or dflt when absent). */
static const BfYamlNode *
spec_block(const BfYamlNode *map, const char *key, const BfYamlNode *dflt,
		   const BfYamlNode **at)
{
	const BfYamlNode *n = spec_entry(map, key, at);

	if (n == NULL)
		*at = dflt;
	return n;
}

/*
 * A setup or teardown call: its request merged over defaults.request (so
 * it sends the default headers, an Accept or an API version, as the
 * endpoint's requests do) and checked like an endpoint's request; its
 * pagination and response are its own.
 */
static bool
spec_parse_call(SpecCtx *ctx, const BfYamlNode *node, const char *path, void *item)
{
	static const char *const keys[] = {"if", "request", "pagination", "response", "iterate",
	"into", NULL};
	static const SpecUnsupported unsupported[] = {
		{"authentication", "per-call authentication is not implemented"},
		{NULL, NULL}
	};
	BfCall	   *c = item;
	const BfYamlNode *at;
	const BfYamlNode *b;

	c->path = path;
	c->loc = spec_loc(node);
	if (node->kind != BF_YAML_MAP)
		return spec_fail_type(ctx, node, node, path, "a map");
	if (!spec_check_map(ctx, node, node, path, keys, unsupported) ||
		!spec_require(ctx, node, node, path, "request") ||
		!spec_expr_key(ctx, node, path, "if", &c->condition))
		return false;
	b = spec_block(node, "request", node, &at);
	if (ctx->defaults_request != NULL &&
		(b = bf_yaml_merge_request(ctx->scratch, b, ctx->defaults_request)) == NULL)
		return spec_nomem(ctx);
	if (!spec_parse_request(ctx, b, at, spec_path(ctx, path, "request"), true, &c->request))
		return false;
	b = spec_block(node, "pagination", node, &at);
	if (!spec_parse_pagination(ctx, b, at, spec_path(ctx, path, "pagination"), &c->pagination))
		return false;
	b = spec_block(node, "response", node, &at);
	if (!spec_parse_response(ctx, b, at, spec_path(ctx, path, "response"), &c->response) ||
		!spec_expr_key(ctx, node, path, "iterate", &c->iterate) ||
		!spec_state_target(ctx, node, path, "into", &c->into))
		return false;
	if ((c->iterate.src != NULL) != (c->into != NULL))
		return spec_fail(ctx, node, path, "iterate and into go together");
	return true;
}

/*
 * overrides are replication settings Sling copies onto the stream: kept as
 * written, mode checked.
 */
static bool
spec_parse_overrides(SpecCtx *ctx, const BfYamlNode *node, const BfYamlNode *at,
					 const char *path, struct json_object **out)
{
	static const char *const modes[] = {"full-refresh", "incremental", "truncate", "snapshot",
	"backfill", NULL};
	static const int mode_values[] = {0, 1, 2, 3, 4};
	int			mode;

	if (node == NULL)
		return true;
	if (node->kind != BF_YAML_MAP)
		return spec_fail_type(ctx, at, node, path, "a map");
	if (!spec_enum_key(ctx, node, path, "mode", modes, mode_values, false, NULL, &mode))
		return false;
	*out = spec_json(node);
	return *out != NULL ? spec_track_json(ctx, *out) : spec_nomem(ctx);
}

/* Is name one of the sync keys (arg: the endpoint's sync: list)? */
static bool
spec_sync_known(const char *name, size_t len, void *arg)
{
	const BfStrList *sync = arg;
	int			i;

	for (i = 0; i < sync->count; i++)
		if (strlen(sync->items[i]) == len && strncmp(sync->items[i], name, len) == 0)
			return true;
	return false;
}

/*
 * A sync.x the endpoint reads but does not list under sync: is always
 * null, so a typo (sync.last_updatd) would silently reload everything.
 */
static bool
spec_check_sync_reads(SpecCtx *ctx, BfEndpoint *ep)
{
	BfUnknownRead r;
	const char **known;
	const char *suggestion;
	char		list[256] = "";
	size_t		len = 0;
	int			i;

	if (!bf_endpoint_unknown_read(NULL, ep, false, "sync", spec_sync_known, &ep->sync, &r))
		return true;
	if (r.name == NULL)
		return spec_nomem(ctx);
	for (i = 0; i < ep->sync.count && len < sizeof(list); i++)
		len += snprintf(list + len, sizeof(list) - len, "%s%s", i > 0 ? ", " : "",
						ep->sync.items[i]);
	known = calloc((size_t) ep->sync.count + 1, sizeof(char *));	/* NULL-terminated */
	if (known == NULL)
	{
		free(r.name);
		return spec_nomem(ctx);
	}
	for (i = 0; i < ep->sync.count; i++)
		known[i] = ep->sync.items[i];
	suggestion = bf_suggest(r.name, known);
	bf_error_set(ctx->err, BF_ERR_SPEC,
				 "%s:%d:%d: %s: reads sync.%.63s, which is not a sync key of endpoint \"%s\"%s%s%s (%s%s%s)",
				 ctx->file, r.loc.line, r.loc.column, r.field_path, r.name, ep->name,
				 suggestion ? " (did you mean \"" : "", suggestion ? suggestion : "",
				 suggestion ? "\"?)" : "",
				 ep->sync.count > 0 ? "its sync keys: " : "it has no sync: list",
				 list, ep->sync.count > 0 ? "" : "; list the key under sync: to keep it between runs");
	free(known);
	free(r.name);
	return false;
}

/*
 * A sync key nobody writes never advances.  Sling's validateSync refuses
 * it, yet sling-cli's own Shopify specs have one (product_variant's
 * last_id): a warning here, so those specs load unchanged.
 */
static bool
spec_check_sync(SpecCtx *ctx, const BfYamlNode *node, const char *path, BfEndpoint *ep)
{
	const BfYamlNode *at;
	const BfYamlNode *sync = spec_entry(node, "sync", &at);
	int			i,
				j;

	for (i = 0; i < ep->sync.count; i++)
	{
		const char *key = ep->sync.items[i];
		bool		written = false;

		for (j = 0; j < ep->response.processor_count; j++)
			if (ep->response.processors[j].output_kind == BF_OUTPUT_STATE &&
				strcmp(ep->response.processors[j].output_name, key) == 0)
				written = true;
		if (!written &&
			!spec_warn(ctx, (BfLoc) {sync->values[i]->line, sync->values[i]->column},
					   spec_item_path(ctx, spec_path(ctx, path, "sync"), sync, i),
					   "sync key \"%s\" is not written by any processor, so it never "
					   "advances (add a processor with output: state.%s)", key, key))
			return false;
	}
	return spec_check_sync_reads(ctx, ep);
}

/*
 * One endpoint (or the defaults block, when is_defaults: then nothing is
 * required and cross-checks wait for the endpoints it merges into).  node
 * is already merged with the defaults; at is the endpoint's key.
 */
static bool
spec_parse_endpoint(SpecCtx *ctx, const BfYamlNode *node, const BfYamlNode *at,
					const char *path, bool is_defaults, BfEndpoint *ep)
{
	static const char *const keys[] = {"name", "description", "docs", "disabled", "queue_only",
		"state", "sync", "request", "pagination", "response", "iterate", "authentication",
		"setup", "teardown", "+setup", "setup+", "+teardown", "teardown+", "depends_on",
	"overrides", NULL};
	const BfYamlNode *bat;
	const BfYamlNode *b;
	void	   *items;
	int			i;

	ep->loc = spec_loc(at);
	if (!spec_check_map(ctx, node, at, path, keys, NULL) ||
		!spec_string_key(ctx, node, path, "description", &ep->description) ||
		!spec_string_key(ctx, node, path, "docs", &ep->docs) ||
		!spec_bool_key(ctx, node, path, "disabled", &ep->disabled) ||
		!spec_bool_key(ctx, node, path, "queue_only", &ep->queue_only) ||
		!spec_value_map_key(ctx, node, path, "state", &ep->state) ||
		!spec_str_list_key(ctx, node, path, "sync", false, &ep->sync))
		return false;
	b = spec_block(node, "iterate", at, &bat);
	if (!spec_parse_iterate(ctx, b, bat, spec_path(ctx, path, "iterate"), &ep->iterate))
		return false;
	b = spec_block(node, "request", at, &bat);
	/* iterate.into response.records makes no request (Sling: then request is optional) */
	if (!spec_parse_request(ctx, b, bat, spec_path(ctx, path, "request"),
							!is_defaults && !ep->iterate.into_records, &ep->request))
		return false;
	b = spec_block(node, "pagination", at, &bat);
	if (!spec_parse_pagination(ctx, b, bat, spec_path(ctx, path, "pagination"), &ep->pagination))
		return false;
	b = spec_block(node, "response", at, &bat);
	if (!spec_parse_response(ctx, b, bat, spec_path(ctx, path, "response"), &ep->response) ||
		!spec_str_list_key(ctx, node, path, "depends_on", false, &ep->depends_on))
		return false;
	b = spec_block(node, "overrides", at, &bat);
	if (!spec_parse_overrides(ctx, b, bat, spec_path(ctx, path, "overrides"), &ep->overrides))
		return false;
	if (!spec_list_key(ctx, node, path, "setup", sizeof(BfCall), 0, spec_parse_call,
					   &ep->setup_count, &items))
		return false;
	ep->setup = items;
	if (!spec_list_key(ctx, node, path, "teardown", sizeof(BfCall), 0, spec_parse_call,
					   &ep->teardown_count, &items))
		return false;
	ep->teardown = items;

	/* a written "authentication: null" turns the spec's authentication off */
	ep->auth = ctx->spec->auth;
	for (i = 0; i < node->count; i++)
		if (strcmp(node->keys[i]->text, "authentication") == 0 &&
			!spec_parse_auth(ctx, node->values[i], node->keys[i],
							 spec_path(ctx, path, "authentication"), &ep->auth))
			return false;
	if (!spec_state_order(ctx, &ep->state, ep->iterate.into, spec_path(ctx, path, "state"),
						  &ep->state_order, &ep->state_order_count))
		return false;
	ep->next_state_reads_response = spec_next_state_reads_response(ep);
	return is_defaults || spec_check_sync(ctx, node, path, ep);
}

/* ---- the queue graph ------------------------------------------------------ */

/*
 * What one endpoint's expressions and templates read of queue.*: each
 * queue once, with where it is first read (for the errors of the graph).
 */
typedef struct SpecQueueWalk
{
	BfLoc		loc;			/* the field being visited */
	const char *path;
	bool		in_over;		/* it is an iterate.over the runner streams */
	const char **names;			/* malloc'd, parallel arrays */
	BfLoc	   *locs;
	const char **paths;
	bool	   *loaded;			/* read by something but a streamed over */
	int			n;
	int			cap;
	bool		failed;			/* out of memory */
	const char *over_path;		/* iterate.over's path when it streams a queue */
	bool		unnamed;		/* "queue" read without a name, first at: */
	BfLoc		unnamed_loc;
	const char *unnamed_path;
} SpecQueueWalk;

/* Where one endpoint's queue reads and depends_on items were written. */
typedef struct SpecEpGraph
{
	BfLoc	   *read_locs;		/* parallel to queues_read */
	const char **read_paths;
	BfLoc	   *dep_locs;		/* parallel to depends_on */
} SpecEpGraph;

/* A path an expression reads: note queue.<name> (visit_path gives root.key). */
static void
spec_queue_visit(const char *path, void *arg)
{
	SpecQueueWalk *w = arg;
	const char *name = spec_ref_under(path, "queue");
	int			i;

	if (name == NULL || w->failed)
		return;
	if (name[0] == '\0')
	{
		if (!w->unnamed)
		{
			w->unnamed = true;
			w->unnamed_loc = w->loc;
			w->unnamed_path = w->path;
		}
		return;
	}
	for (i = 0; i < w->n && strcmp(w->names[i], name) != 0; i++)
		;
	if (i == w->n)
	{
		if (w->n == w->cap)
		{
			int			ncap = w->cap == 0 ? 4 : w->cap * 2;
			const char **names = realloc(w->names, sizeof(char *) * ncap);
			BfLoc	   *locs = names ? realloc(w->locs, sizeof(BfLoc) * ncap) : NULL;
			const char **paths = locs ? realloc(w->paths, sizeof(char *) * ncap) : NULL;
			bool	   *loaded = paths ? realloc(w->loaded, sizeof(bool) * ncap) : NULL;

			if (names)
				w->names = names;
			if (locs)
				w->locs = locs;
			if (paths)
				w->paths = paths;
			if (loaded == NULL)
			{
				w->failed = true;
				return;
			}
			w->loaded = loaded;
			w->cap = ncap;
		}
		w->names[i] = strdup(name);
		if (w->names[i] == NULL)
		{
			w->failed = true;
			return;
		}
		w->locs[i] = w->loc;
		w->paths[i] = w->path;
		w->loaded[i] = false;
		w->n++;
	}
	if (!w->in_over)
		w->loaded[i] = true;
}

/*
 * A path a field of the endpoint reads (bf_endpoint_visit_refs): where the
 * field is, whether it is the iterate.over that streams a queue, then the
 * path itself.
 */
static void
spec_queue_field_ref(const char *ref, const char *field_path, BfLoc loc, void *arg)
{
	SpecQueueWalk *w = arg;

	w->loc = loc;
	w->path = field_path;
	/* the field's path string is its own: the same pointer is the same field */
	w->in_over = w->over_path != NULL && field_path == w->over_path;
	spec_queue_visit(ref, w);
	w->in_over = false;
}

/* What a walk malloc'd. */
static void
spec_queue_walk_free(SpecQueueWalk *w)
{
	int			i;

	for (i = 0; i < w->n; i++)
		free((char *) w->names[i]);
	free(w->names);
	free(w->locs);
	free(w->paths);
	free(w->loaded);
}

/*
 * defaults.state reads no queue: every endpoint renders it, the queue's
 * writers too, which may not read what they write, so such a read could
 * never load; say so where it is, rather than blame each writer.
 */
static bool
spec_check_base_queues(SpecCtx *ctx)
{
	SpecQueueWalk w;
	bool		ok = true;

	memset(&w, 0, sizeof(w));
	bf_value_visit_refs(&ctx->spec->base_state, spec_queue_field_ref, &w);
	if (w.failed)
		ok = spec_nomem(ctx);
	else if (w.n > 0 || w.unnamed)
		ok = spec_fail_loc(ctx, w.n > 0 ? w.locs[0] : w.unnamed_loc,
						   w.n > 0 ? w.paths[0] : w.unnamed_path,
						   "defaults.state may not read a queue (every endpoint renders it, "
						   "the queue's writers too); read it in the endpoints that need it");
	spec_queue_walk_free(&w);
	return ok;
}

/* Add name to list (arena strings) unless it is there. */
static bool
spec_list_add(SpecCtx *ctx, BfStrList *list, int cap, const char *name)
{
	int			i;

	for (i = 0; i < list->count; i++)
		if (strcmp(list->items[i], name) == 0)
			return true;
	if (list->count == cap)
		return true;			/* cannot happen: cap counts every candidate */
	list->items[list->count] = bf_arena_strdup(ctx->arena, name);
	if (list->items[list->count] == NULL)
		return spec_nomem(ctx);
	list->count++;
	return true;
}

/*
 * An endpoint's queues: what it reads (queues_read, queues_loaded, and
 * where each is read in g), what its processors and its calls' write
 * (queues_written), and where its depends_on items were written (node is
 * the merged endpoint).
 */
static bool
spec_endpoint_queues(SpecCtx *ctx, const BfYamlNode *node, BfEndpoint *ep, SpecEpGraph *g)
{
	SpecQueueWalk w;
	const BfYamlNode *at;
	const BfYamlNode *deps = spec_entry(node, "depends_on", &at);
	int			nwritten = ep->response.processor_count;
	bool		ok = true;
	int			i,
				j;

	memset(&w, 0, sizeof(w));
	w.over_path = ep->iterate.over_queue != NULL ? ep->iterate.over.path : NULL;
	bf_endpoint_visit_refs(NULL, ep, false, spec_queue_field_ref, &w);
	if (w.failed)
		ok = spec_nomem(ctx);
	else if (w.unnamed)
		ok = spec_fail_loc(ctx, w.unnamed_loc, w.unnamed_path,
						   "the queue namespace is read without a queue name; "
						   "write queue.<name>");
	for (i = 0; i < ep->setup_count + ep->teardown_count; i++)
		nwritten += (i < ep->setup_count ? &ep->setup[i] :
					 &ep->teardown[i - ep->setup_count])->response.processor_count;
	ep->queues_read.items = spec_alloc(ctx, sizeof(char *) * (w.n + 1));
	ep->queues_loaded.items = spec_alloc(ctx, sizeof(char *) * (w.n + 1));
	ep->queues_written.items = spec_alloc(ctx, sizeof(char *) * (nwritten + 1));
	g->read_locs = spec_alloc(ctx, sizeof(BfLoc) * (w.n + 1));
	g->read_paths = spec_alloc(ctx, sizeof(char *) * (w.n + 1));
	g->dep_locs = spec_alloc(ctx, sizeof(BfLoc) * (ep->depends_on.count + 1));
	if (ep->queues_read.items == NULL || ep->queues_loaded.items == NULL ||
		ep->queues_written.items == NULL || g->read_locs == NULL || g->read_paths == NULL ||
		g->dep_locs == NULL)
		ok = false;
	for (i = 0; ok && i < w.n; i++)
	{
		g->read_locs[i] = w.locs[i];
		g->read_paths[i] = w.paths[i];
		ok = spec_list_add(ctx, &ep->queues_read, w.n, w.names[i]) &&
			(!w.loaded[i] || spec_list_add(ctx, &ep->queues_loaded, w.n, w.names[i]));
	}
	for (i = -1; ok && i < ep->setup_count + ep->teardown_count; i++)
	{
		const BfResponse *resp = i < 0 ? &ep->response : i < ep->setup_count ?
			&ep->setup[i].response : &ep->teardown[i - ep->setup_count].response;

		for (j = 0; ok && j < resp->processor_count; j++)
			if (resp->processors[j].output_kind == BF_OUTPUT_QUEUE)
				ok = spec_list_add(ctx, &ep->queues_written, nwritten,
								   resp->processors[j].output_name);
	}
	for (i = 0; ok && i < ep->depends_on.count; i++)
		if (deps != NULL && deps->kind == BF_YAML_LIST && i < deps->count)
			g->dep_locs[i] = spec_loc(deps->values[i]);
	spec_queue_walk_free(&w);
	return ok;
}

/* An edge of the graph: from must run after to. */
typedef struct SpecEdge
{
	int			from;
	int			to;
	const char *queue;			/* the queue from reads and to writes; NULL: depends_on */
	BfLoc		loc;			/* where from says so */
	const char *path;
} SpecEdge;

typedef struct SpecEdges
{
	SpecEdge   *items;
	int			n;
	int			cap;
} SpecEdges;

static bool
spec_add_edge(SpecCtx *ctx, SpecEdges *e, SpecEdge edge)
{
	if (e->n == e->cap)
	{
		int			ncap = e->cap == 0 ? 16 : e->cap * 2;
		SpecEdge   *items = realloc(e->items, sizeof(SpecEdge) * ncap);

		if (items == NULL)
			return spec_nomem(ctx);
		e->items = items;
		e->cap = ncap;
	}
	e->items[e->n++] = edge;
	return true;
}

/* Does ep's processors (or its calls') write queue? */
static bool
spec_writes(const BfEndpoint *ep, const char *queue)
{
	int			i;

	for (i = 0; i < ep->queues_written.count; i++)
		if (strcmp(ep->queues_written.items[i], queue) == 0)
			return true;
	return false;
}

/* A queue and an endpoint that writes it: the writers, sorted, are looked up by queue. */
typedef struct SpecWriter
{
	const char *queue;
	int			ep;
} SpecWriter;

/* By queue, then in YAML order: a queue's edges keep their writers' order. */
static int
spec_writer_cmp(const void *a, const void *b)
{
	const SpecWriter *x = a;
	const SpecWriter *y = b;
	int			d = strcmp(x->queue, y->queue);

	return d != 0 ? d : x->ep - y->ep;
}

/* The first writer of queue in the sorted writers (nwriters when none). */
static int
spec_first_writer(const SpecWriter *writers, int nwriters, const char *queue)
{
	int			lo = 0;
	int			hi = nwriters;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (strcmp(writers[mid].queue, queue) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The edges: a reader of a queue after each of its writers, an endpoint
 * after what its depends_on names.  A queue nobody writes, or one its own
 * reader writes (it would refuse the writes once read), is an error; a
 * depends_on naming no endpoint a warning (Sling ignores it: Stripe's spec
 * names a "discount" it does not have).
 */
static bool
spec_graph_edges(SpecCtx *ctx, const SpecEpGraph *graph, const SpecWriter *writers,
				 int nwriters, SpecEdges *edges)
{
	BfSpec	   *spec = ctx->spec;
	int			c,
				k,
				w;

	for (c = 0; c < spec->endpoint_count; c++)
	{
		const BfEndpoint *ep = &spec->endpoints[c];

		for (k = 0; k < ep->queues_read.count; k++)
		{
			const char *q = ep->queues_read.items[k];
			bool		found = false;

			if (spec_writes(ep, q))
				return spec_fail_loc(ctx, graph[c].read_locs[k], graph[c].read_paths[k],
									 "endpoint \"%s\" reads queue.%s, which it also writes: "
									 "a queue takes no items once it is being read",
									 ep->name, q);
			for (w = spec_first_writer(writers, nwriters, q);
				 w < nwriters && strcmp(writers[w].queue, q) == 0; w++)
			{
				SpecEdge	e = {c, writers[w].ep, q, graph[c].read_locs[k],
				graph[c].read_paths[k]};

				found = true;
				if (!spec_add_edge(ctx, edges, e))
					return false;
			}
			if (!found)
				return spec_fail_loc(ctx, graph[c].read_locs[k], graph[c].read_paths[k],
									 "queue.%s is read here but no endpoint writes it "
									 "(a misspelt name, or a missing processor with "
									 "output: queue.%s?)", q, q);
		}
		for (k = 0; k < ep->depends_on.count; k++)
		{
			const BfEndpoint *dep = bf_spec_endpoint(spec, ep->depends_on.items[k]);
			const char *path = bf_arena_printf(ctx->arena, "endpoints.%s.depends_on[%d]",
											   ep->name, k);

			if (path == NULL)
				return spec_nomem(ctx);
			if (dep == NULL)
			{
				if (!spec_warn(ctx, graph[c].dep_locs[k], path,
							   "no endpoint named \"%s\"; ignored", ep->depends_on.items[k]))
					return false;
			}
			else
			{
				SpecEdge	e = {c, (int) (dep - spec->endpoints), NULL, graph[c].dep_locs[k],
				path};

				if (!spec_add_edge(ctx, edges, e))
					return false;
			}
		}
	}
	return true;
}

/*
 * The endpoints left when no order exists wait for each other in a
 * circle: follow first edges (out_first and out_idx: the edges by the
 * endpoint they start from) from the first of them until one comes back,
 * and name that circle where its first edge was written.
 */
static bool
spec_graph_cycle(SpecCtx *ctx, const SpecEdges *edges, const int *out_first,
				 const int *out_idx, const bool *placed)
{
	BfSpec	   *spec = ctx->spec;
	int		   *seen = calloc(spec->endpoint_count + 1, sizeof(int));	/* step + 1 */
	const SpecEdge **chain = calloc(spec->endpoint_count + 1, sizeof(SpecEdge *));
	char		text[768];
	size_t		len = 0;
	int			node = 0,
				step = 0,
				first,
				i,
				k;

	if (seen == NULL || chain == NULL)
	{
		free(seen);
		free(chain);
		return spec_nomem(ctx);
	}
	while (placed[node])
		node++;
	while (seen[node] == 0)
	{
		seen[node] = ++step;
		for (k = out_first[node]; placed[edges->items[out_idx[k]].to]; k++)
			;					/* every one left has an edge to another one left */
		chain[step - 1] = &edges->items[out_idx[k]];
		node = chain[step - 1]->to;
	}
	first = seen[node] - 1;
	text[0] = '\0';
	for (i = first; i < step; i++)
	{
		const SpecEdge *e = chain[i];
		char		piece[256];

		if (e->queue != NULL)
			snprintf(piece, sizeof(piece), "%s%s reads queue.%s from %s",
					 i > first ? ", " : "", spec->endpoints[e->from].name, e->queue,
					 spec->endpoints[e->to].name);
		else
			snprintf(piece, sizeof(piece), "%s%s depends_on %s", i > first ? ", " : "",
					 spec->endpoints[e->from].name, spec->endpoints[e->to].name);
		/* a long circle is named by its start and its length, not cut mid-name */
		if (len + strlen(piece) + 32 >= sizeof(text))
		{
			snprintf(text + len, sizeof(text) - len, ", and %d more", step - i);
			break;
		}
		len += (size_t) snprintf(text + len, sizeof(text) - len, "%s", piece);
	}
	spec_fail_loc(ctx, chain[first]->loc, chain[first]->path,
				  "endpoints need each other in a circle: %s", text);
	free(seen);
	free(chain);
	return false;
}

/*
 * The edges sorted by a key (to or from) as index lists, first[v] ..
 * first[v + 1] of idx: the order algorithms below visit each edge once
 * instead of scanning them all per endpoint, which a chain of thousands of
 * endpoints would make cubic.
 */
static bool
spec_edge_index(const SpecEdges *edges, int n, bool by_to, int **first, int **idx)
{
	int			k;
	int			v;

	*first = calloc(n + 2, sizeof(int));
	*idx = malloc(sizeof(int) * (edges->n + 1));
	if (*first == NULL || *idx == NULL)
		return false;
	for (k = 0; k < edges->n; k++)
		(*first)[(by_to ? edges->items[k].to : edges->items[k].from) + 2]++;
	for (v = 2; v < n + 2; v++)
		(*first)[v] += (*first)[v - 1];
	/* first[v + 1] counts the edges placed so far, ending as v's end */
	for (k = 0; k < edges->n; k++)
		(*idx)[(*first)[(by_to ? edges->items[k].to : edges->items[k].from) + 1]++] = k;
	return true;
}

/* The ready endpoints, a min-heap of YAML indexes: ties run in YAML order. */
static void
spec_heap_push(int *heap, int *len, int v)
{
	int			i = (*len)++;

	for (; i > 0 && heap[(i - 1) / 2] > v; i = (i - 1) / 2)
		heap[i] = heap[(i - 1) / 2];
	heap[i] = v;
}

static int
spec_heap_pop(int *heap, int *len)
{
	int			top = heap[0];
	int			last = heap[--(*len)];
	int			i = 0;

	for (;;)
	{
		int			c = 2 * i + 1;

		if (c >= *len)
			break;
		if (c + 1 < *len && heap[c + 1] < heap[c])
			c++;
		if (heap[c] >= last)
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (*len > 0)
		heap[i] = last;
	return top;
}

/*
 * The producers of endpoint c: the endpoints its queue edges reach (an
 * explicit stack, not recursion: a chain may be thousands long), in run
 * order (all before c's own place).  When they are a run of consecutive
 * places of BfSpec.order, as along a chain, the list points into order
 * instead of copying it, so that a long chain does not take memory
 * quadratic in its length.
 */
static bool
spec_producers(SpecCtx *ctx, int c, const SpecEdges *edges, const int *out_first,
			   const int *out_idx, const int *pos, int *mark, int *stack)
{
	BfSpec	   *spec = ctx->spec;
	BfEndpoint *ep = &spec->endpoints[c];
	int			depth = 0;
	int			lo = spec->endpoint_count;
	int			hi = -1;
	int			count = 0;
	int			i;

	mark[c] = c;
	stack[depth++] = c;
	while (depth > 0)
	{
		int			v = stack[--depth];
		int			k;

		for (k = out_first[v]; k < out_first[v + 1]; k++)
		{
			const SpecEdge *e = &edges->items[out_idx[k]];

			if (e->queue == NULL || mark[e->to] == c)
				continue;
			mark[e->to] = c;
			stack[depth++] = e->to;
			count++;
			lo = pos[e->to] < lo ? pos[e->to] : lo;
			hi = pos[e->to] > hi ? pos[e->to] : hi;
		}
	}
	ep->producer_count = count;
	if (count == 0 || hi - lo + 1 == count)
	{
		ep->producers = spec->order + (count == 0 ? 0 : lo);
		return true;
	}
	ep->producers = spec_alloc(ctx, sizeof(BfEndpoint *) * count);
	if (ep->producers == NULL)
		return false;
	count = 0;
	for (i = lo; i <= hi; i++)
		if (mark[spec->order[i] - spec->endpoints] == c)
			ep->producers[count++] = spec->order[i];
	return true;
}

/*
 * The run order (BfSpec.order): an endpoint after every endpoint it has an
 * edge to, ties in YAML order; and each endpoint's producers, the writers
 * of what it reads, transitively, in that order.
 */
static bool
spec_graph_order(SpecCtx *ctx, const SpecEdges *edges)
{
	BfSpec	   *spec = ctx->spec;
	int			n = spec->endpoint_count;
	int		   *waits = calloc(n + 1, sizeof(int));	/* edges to unplaced ones */
	bool	   *placed = calloc(n + 1, sizeof(bool));
	int		   *heap = malloc(sizeof(int) * (n + 1));
	int		   *pos = malloc(sizeof(int) * (n + 1));	/* place in order */
	int		   *mark = malloc(sizeof(int) * (n + 1));
	int		   *in_first = NULL,
			   *in_idx = NULL,
			   *out_first = NULL,
			   *out_idx = NULL;
	int			count = 0,
				len = 0,
				c,
				k;
	bool		ok;

	spec->order = spec_alloc(ctx, sizeof(BfEndpoint *) * (n + 1));
	ok = spec->order != NULL;
	if (ok && (waits == NULL || placed == NULL || heap == NULL || pos == NULL ||
			   mark == NULL || !spec_edge_index(edges, n, true, &in_first, &in_idx) ||
			   !spec_edge_index(edges, n, false, &out_first, &out_idx)))
		ok = spec_nomem(ctx);
	for (k = 0; ok && k < edges->n; k++)
		waits[edges->items[k].from]++;
	for (c = 0; ok && c < n; c++)
		if (waits[c] == 0)
			spec_heap_push(heap, &len, c);
	while (ok && count < n)
	{
		if (len == 0)
		{
			ok = spec_graph_cycle(ctx, edges, out_first, out_idx, placed);
			break;
		}
		c = spec_heap_pop(heap, &len);
		placed[c] = true;
		pos[c] = count;
		spec->order[count++] = &spec->endpoints[c];
		for (k = in_first[c]; k < in_first[c + 1]; k++)
			if (--waits[edges->items[in_idx[k]].from] == 0)
				spec_heap_push(heap, &len, edges->items[in_idx[k]].from);
	}
	for (c = 0; ok && c < n; c++)
		mark[c] = -1;
	/* heap, no longer needed, is the producers' walk's stack */
	for (c = 0; ok && c < n; c++)
		ok = spec_producers(ctx, c, edges, out_first, out_idx, pos, mark, heap);
	free(waits);
	free(placed);
	free(heap);
	free(pos);
	free(mark);
	free(in_first);
	free(in_idx);
	free(out_first);
	free(out_idx);
	return ok;
}

/* The queue graph of the loaded endpoints (spec.h: BfEndpoint, BfSpec.order). */
static bool
spec_build_graph(SpecCtx *ctx, const SpecEpGraph *graph)
{
	SpecEdges	edges = {NULL, 0, 0};
	SpecWriter *writers;
	int			nwriters = 0;
	int			c;
	bool		ok;

	for (c = 0; c < ctx->spec->endpoint_count; c++)
		nwriters += ctx->spec->endpoints[c].queues_written.count;
	writers = malloc(sizeof(SpecWriter) * (nwriters + 1));
	if (writers == NULL)
		return spec_nomem(ctx);
	nwriters = 0;
	for (c = 0; c < ctx->spec->endpoint_count; c++)
	{
		const BfStrList *written = &ctx->spec->endpoints[c].queues_written;
		int			k;

		for (k = 0; k < written->count; k++)
			writers[nwriters++] = (SpecWriter) {written->items[k], c};
	}
	qsort(writers, nwriters, sizeof(SpecWriter), spec_writer_cmp);
	ok = spec_graph_edges(ctx, graph, writers, nwriters, &edges) &&
		spec_graph_order(ctx, &edges);
	free(writers);
	free(edges.items);
	return ok;
}

/*
 * Endpoints in YAML order, each merged with the defaults before it is
 * checked.
 */
static bool
spec_parse_endpoints(SpecCtx *ctx, const BfYamlNode *root, const BfYamlNode *defaults,
					 BfArena *scratch)
{
	const BfYamlNode *at;
	const BfYamlNode *endpoints = spec_entry(root, "endpoints", &at);
	SpecEpGraph *graph;
	int			i;

	if (endpoints == NULL)
		return spec_fail(ctx, root, "endpoints", "missing required key");
	if (endpoints->kind != BF_YAML_MAP)
		return spec_fail_type(ctx, at, endpoints, "endpoints", "a map");
	ctx->spec->endpoints = spec_alloc(ctx, sizeof(BfEndpoint) * (endpoints->count + 1));
	graph = spec_alloc(ctx, sizeof(SpecEpGraph) * (endpoints->count + 1));
	if (ctx->spec->endpoints == NULL || graph == NULL || !spec_check_base_queues(ctx))
		return false;
	for (i = 0; i < endpoints->count; i++)
	{
		BfEndpoint *ep = &ctx->spec->endpoints[i];
		const BfYamlNode *key = endpoints->keys[i];
		const BfYamlNode *node = endpoints->values[i];
		const char *path = spec_path(ctx, "endpoints", key->text);
		const BfYamlNode *merged;

		if (bf_yaml_is_null(node))
			node = bf_yaml_new_map(scratch, key->line, key->column);
		if (node == NULL || path == NULL)
			return spec_nomem(ctx);
		if (node->kind != BF_YAML_MAP)
			return spec_fail_type(ctx, key, node, path, "a map");
		merged = bf_yaml_merge_endpoint(scratch, node, defaults);
		ep->name = bf_arena_strdup(ctx->arena, key->text);
		if (merged == NULL || ep->name == NULL)
			return spec_nomem(ctx);
		if (!spec_parse_endpoint(ctx, merged, key, path, false, ep) ||
			!spec_endpoint_queues(ctx, merged, ep, &graph[i]))
			return false;
		ctx->spec->endpoint_count++;
	}
	return spec_build_graph(ctx, graph);
}

/* The top level: authentication before endpoints, which inherit it. */
static bool
spec_parse(SpecCtx *ctx, const BfYamlNode *root, BfArena *scratch)
{
	static const char *const keys[] = {"name", "description", "queues", "defaults",
	"authentication", "endpoints", "dynamic_endpoints", NULL};
	const BfYamlNode *at;
	const BfYamlNode *auth;
	const BfYamlNode *defaults;
	const BfYamlNode *dyn;
	BfEndpoint	defaults_ep;
	BfStrList	declared = {0, NULL};

	if (root->kind != BF_YAML_MAP)
		return spec_fail_type(ctx, root, root, "(top level)", "a map");
	/* queues: Sling finds queues from their use and ignores the list; so do we */
	if (!spec_check_map(ctx, root, root, "", keys, NULL) ||
		!spec_string_key(ctx, root, "", "name", &ctx->spec->name) ||
		!spec_string_key(ctx, root, "", "description", &ctx->spec->description) ||
		!spec_str_list_key(ctx, root, "", "queues", false, &declared))
		return false;
	auth = spec_block(root, "authentication", root, &at);
	if (!spec_parse_auth(ctx, auth, at, "authentication", &ctx->spec->auth))
		return false;
	dyn = spec_entry(root, "dynamic_endpoints", &at);
	if (dyn != NULL && !(dyn->kind == BF_YAML_LIST && dyn->count == 0))
		return spec_fail(ctx, at, "dynamic_endpoints",
						 "not supported: dynamic endpoints are not implemented");

	/*
	 * The defaults block is checked on its own first, so that an error in
	 * it is reported once, under "defaults.", not under every endpoint.
	 */
	memset(&defaults_ep, 0, sizeof(defaults_ep));
	ctx->spec->base_state.kind = BF_VALUE_MAP;
	defaults = spec_entry(root, "defaults", &at);
	if (defaults != NULL)
	{
		const BfYamlNode *folded;

		if (defaults->kind != BF_YAML_MAP)
			return spec_fail_type(ctx, at, defaults, "defaults", "a map");
		ctx->defaults_request = bf_yaml_get(defaults, "request");
		folded = bf_yaml_merge_endpoint(scratch, defaults, NULL);
		if (folded == NULL)
			return spec_nomem(ctx);
		if (!spec_parse_endpoint(ctx, folded, at, "defaults", true, &defaults_ep))
			return false;
		ctx->spec->base_state = defaults_ep.state;
		ctx->spec->base_state_order = defaults_ep.state_order;
		ctx->spec->base_state_order_count = defaults_ep.state_order_count;
	}
	return spec_parse_endpoints(ctx, root, defaults, scratch);
}

/* ---- loading ------------------------------------------------------------- */

/*
 * Frees everything at once: the owned objects, then the arena holding the
 * model.
 */
static void
spec_destroy(BfSpec *spec)
{
	BfSpecPrivate *priv = spec->priv;
	int			i;

	for (i = 0; i < priv->nowned; i++)
		spec_release_owned(&priv->owned[i]);
	free(priv->owned);
	bf_arena_release(&priv->arena);
	free(priv);
}

/* Visitor state for spec_collect_state_keys: the names so far, in the arena. */
typedef struct StateKeys
{
	SpecCtx    *ctx;
	const char **names;
	int			count;
	int			cap;
	bool		nomem;
} StateKeys;

/* Add name[0, len) to the list unless it is there. */
static void
state_keys_add(StateKeys *k, const char *name, size_t len)
{
	char	   *copy;
	int			i;

	for (i = 0; i < k->count; i++)
		if (strlen(k->names[i]) == len && strncmp(k->names[i], name, len) == 0)
			return;
	if (k->count + 1 >= k->cap)
	{
		int			ncap = k->cap == 0 ? 32 : k->cap * 2;
		const char **n = bf_arena_alloc(k->ctx->arena, sizeof(char *) * ncap);

		if (n == NULL)
		{
			k->nomem = true;
			return;
		}
		if (k->count > 0)
			memcpy(n, k->names, sizeof(char *) * k->count);
		k->names = n;
		k->cap = ncap;
	}
	copy = bf_arena_alloc(k->ctx->arena, len + 1);
	if (copy == NULL)
	{
		k->nomem = true;
		return;
	}
	memcpy(copy, name, len);
	copy[len] = '\0';
	k->names[k->count++] = copy;
	k->names[k->count] = NULL;
}

/* A read path "state.<key>..." gives its key. */
static void
state_keys_visit(const char *path, void *arg)
{
	if (strncmp(path, "state.", 6) == 0 && path[6] != '\0')
		state_keys_add((StateKeys *) arg, path + 6, strcspn(path + 6, ".["));
}

/*
 * The state keys a server may set (Sling's connection-level state): those
 * of defaults.state and every state.<key> an expression or template of the
 * spec reads, found among the compiled expressions the spec owns.
 */
static bool
spec_collect_state_keys(SpecCtx *ctx)
{
	BfSpecPrivate *priv = ctx->spec->priv;
	StateKeys	k = {ctx, NULL, 0, 0, false};
	int			i;

	for (i = 0; i < ctx->spec->base_state.count; i++)
		state_keys_add(&k, ctx->spec->base_state.keys[i], strlen(ctx->spec->base_state.keys[i]));
	for (i = 0; i < priv->nowned; i++)
	{
		if (priv->owned[i].kind == SPEC_OWN_TEMPLATE)
			bf_template_visit_refs(priv->owned[i].ptr, state_keys_visit, &k);
		else if (priv->owned[i].kind == SPEC_OWN_EXPR)
			bf_expr_visit_refs(priv->owned[i].ptr, state_keys_visit, &k);
	}
	if (k.nomem)
		return spec_nomem(ctx);
	ctx->spec->state_keys.count = k.count;
	ctx->spec->state_keys.items = k.names;
	return true;
}

bool
bf_spec_state_key_known(const BfSpec *spec, const char *name, const char **suggestion)
{
	int			i;

	*suggestion = NULL;
	for (i = 0; i < spec->state_keys.count; i++)
		if (strcmp(spec->state_keys.items[i], name) == 0)
			return true;
	if (spec->state_keys.count > 0)
		*suggestion = bf_suggest(name, spec->state_keys.items);
	return false;
}

/*
 * Loading works on a tree so that a caller (a test harness, a conformance
 * runner) can edit one first.
 */
BfSpec *
bf_spec_load_tree(const BfYamlNode *root, const char *name_for_errors, BfError *err)
{
	BfSpecPrivate *priv = calloc(1, sizeof(BfSpecPrivate));
	BfArena		scratch = {NULL};
	SpecCtx		ctx = {0};
	BfSpec	   *spec;
	bool		ok;

	if (priv == NULL)
	{
		bf_error_set(err, BF_ERR_NOMEM, "%s: out of memory loading the spec", name_for_errors);
		return NULL;
	}
	spec = bf_arena_alloc(&priv->arena, sizeof(BfSpec));
	if (spec == NULL || (spec->file = bf_arena_strdup(&priv->arena, name_for_errors)) == NULL)
	{
		bf_arena_release(&priv->arena);
		free(priv);
		bf_error_set(err, BF_ERR_NOMEM, "%s: out of memory loading the spec", name_for_errors);
		return NULL;
	}
	spec->priv = priv;
	priv->refcount = 1;
	ctx.spec = spec;
	ctx.arena = &priv->arena;
	ctx.file = spec->file;
	ctx.err = err;
	ctx.scratch = &scratch;
	ctx.defaults_request = NULL;
	ok = spec_parse(&ctx, root, &scratch) && spec_collect_state_keys(&ctx);
	bf_arena_release(&scratch);
	if (!ok)
	{
		spec_destroy(spec);
		return NULL;
	}
	return spec;
}

/* The YAML tree is only needed while loading; the spec keeps copies. */
BfSpec *
bf_spec_load_string(const char *yaml, size_t len, const char *name_for_errors, BfError *err)
{
	BfArena		doc = {NULL};
	BfYamlNode *root = bf_yaml_parse(&doc, yaml, len, name_for_errors, err);
	BfSpec	   *spec = NULL;

	if (root != NULL)
		spec = bf_spec_load_tree(root, name_for_errors, err);
	bf_arena_release(&doc);
	return spec;
}

/* Read a whole file and, when st is not NULL, the stat of what was read. */
static char *
spec_read_file(const char *path, size_t *len, struct stat *st, BfError *err)
{
	int			fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat local;
	char	   *buf = NULL;
	size_t		got = 0;

	if (st == NULL)
		st = &local;
	if (fd < 0 || fstat(fd, st) != 0)
	{
		bf_error_set(err, BF_ERR_SPEC, "%s: cannot read the spec file: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st->st_mode) || st->st_size > SPEC_MAX_FILE)
	{
		bf_error_set(err, BF_ERR_SPEC, "%s: the spec must be a regular file of at most %d MB",
					 path, SPEC_MAX_FILE / (1024 * 1024));
		close(fd);
		return NULL;
	}
	buf = malloc((size_t) st->st_size + 1);
	while (buf != NULL && got < (size_t) st->st_size)
	{
		ssize_t		n = read(fd, buf + got, (size_t) st->st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			bf_error_set(err, BF_ERR_SPEC, "%s: cannot read the spec file: %s", path,
						 n < 0 ? strerror(errno) : "it shrank while being read");
			free(buf);
			close(fd);
			return NULL;
		}
		got += (size_t) n;
	}
	close(fd);
	if (buf == NULL)
	{
		bf_error_set(err, BF_ERR_NOMEM, "%s: out of memory reading the spec", path);
		return NULL;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* Reads and loads, giving the stat of the very file read, for the cache. */
static BfSpec *
spec_load_file_stat(const char *path, struct stat *st, BfError *err)
{
	size_t		len;
	char	   *text = spec_read_file(path, &len, st, err);
	BfSpec	   *spec;

	if (text == NULL)
		return NULL;
	spec = bf_spec_load_string(text, len, path, err);
	free(text);
	return spec;
}

/* A file's path is the name its errors use. */
BfSpec *
bf_spec_load_file(const char *path, BfError *err)
{
	return spec_load_file_stat(path, NULL, err);
}

/*
 * Reference counted, so a cache reload never frees a spec a scan still
 * reads.
 */
void
bf_spec_release(BfSpec *spec)
{
	if (spec != NULL && --spec->priv->refcount == 0)
		spec_destroy(spec);
}

/* Same as bf_spec_release: a spec from bf_spec_load_* holds one reference. */
void
bf_spec_free(BfSpec *spec)
{
	bf_spec_release(spec);
}

/*
 * A linear search: specs have tens of endpoints and lookups happen once per
 * scan.
 */
const BfEndpoint *
bf_spec_endpoint(const BfSpec *spec, const char *name)
{
	int			i;

	for (i = 0; i < spec->endpoint_count; i++)
		if (strcmp(spec->endpoints[i].name, name) == 0)
			return &spec->endpoints[i];
	return NULL;
}

const char *
bf_spec_warning_text(const BfSpec *spec, int i, char *buf, size_t size)
{
	const BfSpecWarning *w = &spec->warnings[i];

	spec_place(buf, size, spec->file, w->loc, w->path, w->message);
	return buf;
}

/* ---- the cache ----------------------------------------------------------- */

typedef struct SpecCacheEntry
{
	char	   *path;
	dev_t		dev;
	ino_t		ino;
	off_t		size;
	struct timespec mtime;
	BfSpec	   *spec;			/* the cache's reference */
	struct SpecCacheEntry *next;
} SpecCacheEntry;

/* One per process: a backend parses each spec file once, not once per scan. */
static SpecCacheEntry *spec_cache;

/*
 * A file is unchanged while its device, inode, size and mtime (to the
 * nanosecond) are.
 */
static bool
spec_cache_fresh(const SpecCacheEntry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
		e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/*
 * A backend parses a spec once and re-reads it only after the file changed.
 */
BfSpec *
bf_spec_cache_get(const char *path, BfError *err)
{
	SpecCacheEntry *e;
	struct stat st;
	BfSpec	   *spec;

	for (e = spec_cache; e != NULL; e = e->next)
		if (strcmp(e->path, path) == 0)
			break;
	if (e != NULL && stat(path, &st) == 0 && spec_cache_fresh(e, &st))
	{
		e->spec->priv->refcount++;
		return e->spec;
	}
	spec = spec_load_file_stat(path, &st, err);
	if (spec == NULL)
		return NULL;
	if (e == NULL)
	{
		e = calloc(1, sizeof(SpecCacheEntry));
		if (e == NULL || (e->path = strdup(path)) == NULL)
		{
			free(e);
			return spec;		/* uncached, still correct */
		}
		e->next = spec_cache;
		spec_cache = e;
	}
	bf_spec_release(e->spec);	/* a caller's reference keeps the old one */
	e->spec = spec;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mtime = st.st_mtim;
	spec->priv->refcount++;
	return spec;
}
