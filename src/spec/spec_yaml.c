/*-------------------------------------------------------------------------
 *
 * spec_yaml.c
 *		  libyaml events to a node tree with line and column (see spec_yaml.h),
 *		  the arena it lives in, and YAML 1.1 typing of plain scalars.
 *
 * Sling reads specs with Go's yaml.v2, so a scalar's type follows yaml.v2's
 * resolver: "yes", "on" and "y" are booleans, "010" is octal, a date stays a
 * string.  The tree is checked for what would make later stages slow or
 * wrong: nesting deeper than BF_YAML_MAX_DEPTH, aliases that expand past
 * BF_YAML_MAX_WEIGHT nodes, maps of more than BF_YAML_MAX_KEYS keys,
 * duplicate keys, and keys that are not scalars.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "spec/spec_yaml.h"

#define BF_ARENA_BLOCK 16384
#define BF_YAML_MAX_DEPTH 200
#define BF_YAML_MAX_WEIGHT 1000000
#define BF_YAML_MAX_KEYS 10000		/* keys are checked pairwise for duplicates */

struct BfArenaBlock
{
	BfArenaBlock *next;
	size_t		used;
	size_t		size;
	max_align_t data[];
};

/*
 * Small blocks are carved from the current block; a request larger than a
 * block gets a block of its own behind the current one, so the space left
 * in the current block is not lost.
 */
void *
bf_arena_alloc(BfArena *arena, size_t size)
{
	BfArenaBlock *b = arena->head;
	size_t		align = sizeof(max_align_t);
	size_t		need = (size + align - 1) / align * align;
	char	   *p;

	if (need == 0)
		need = align;
	if (b == NULL || b->size - b->used < need)
	{
		size_t		bsize = need > BF_ARENA_BLOCK / 4 ? need : BF_ARENA_BLOCK;
		BfArenaBlock *nb = malloc(sizeof(BfArenaBlock) + bsize);

		if (nb == NULL)
			return NULL;
		nb->used = 0;
		nb->size = bsize;
		if (b != NULL && bsize == need)
		{
			nb->next = b->next;
			b->next = nb;
		}
		else
		{
			nb->next = b;
			arena->head = nb;
		}
		b = nb;
	}
	p = (char *) b->data + b->used;
	b->used += need;
	memset(p, 0, size);
	return p;
}

/* Copies into the arena, so the copy dies with everything else. */
char *
bf_arena_strndup(BfArena *arena, const char *s, size_t len)
{
	char	   *p = bf_arena_alloc(arena, len + 1);

	if (p != NULL)
	{
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

/* Copies into the arena, so the copy dies with everything else. */
char *
bf_arena_strdup(BfArena *arena, const char *s)
{
	return bf_arena_strndup(arena, s, strlen(s));
}

/* Paths and labels are formatted straight into the arena. */
char *
bf_arena_printf(BfArena *arena, const char *fmt,...)
{
	va_list		ap;
	int			n;
	char	   *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = bf_arena_alloc(arena, (size_t) n + 1);
	if (p == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t) n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* One call frees a whole tree or model. */
void
bf_arena_release(BfArena *arena)
{
	BfArenaBlock *b = arena->head;

	while (b != NULL)
	{
		BfArenaBlock *next = b->next;

		free(b);
		b = next;
	}
	arena->head = NULL;
}

/* ---- the event-to-tree builder ------------------------------------------ */

typedef struct YamlFrame
{
	BfYamlNode *node;
	int			cap;
	BfYamlNode *pending_key;	/* a map's key still waiting for its value */
	const char *anchor;			/* registered when the collection ends */
} YamlFrame;

typedef struct YamlAnchor
{
	const char *name;
	BfYamlNode *node;
	struct YamlAnchor *next;
} YamlAnchor;

typedef struct YamlBuilder
{
	BfArena    *arena;
	const char *name;
	BfError    *err;
	YamlFrame	stack[BF_YAML_MAX_DEPTH];
	int			depth;
	YamlAnchor *anchors;
	size_t		weight;
	BfYamlNode *root;
} YamlBuilder;

/*
 * The key path of the innermost open collection ("endpoints.users.state"),
 * so that tree-level errors read like the loader's own.
 */
static void
yaml_stack_path(const YamlBuilder *b, char *buf, size_t size)
{
	size_t		len = 0;
	int			i;

	buf[0] = '\0';
	for (i = 0; i < b->depth - 1 && len < size; i++)
	{
		const YamlFrame *f = &b->stack[i];

		if (f->node->kind == BF_YAML_MAP && f->pending_key != NULL)
			len += snprintf(buf + len, size - len, "%s%s", len > 0 ? "." : "",
							f->pending_key->text);
		else if (f->node->kind == BF_YAML_LIST)
			len += snprintf(buf + len, size - len, "[%d]", f->node->count);
	}
}

static bool
yaml_fail(YamlBuilder *b, int line, int column, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* Tree-level errors use the loader's "file:line:col: path: what" shape. */
static bool
yaml_fail(YamlBuilder *b, int line, int column, const char *fmt,...)
{
	char		msg[512];
	char		path[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	yaml_stack_path(b, path, sizeof(path));
	if (path[0] != '\0')
		bf_error_set(b->err, BF_ERR_SPEC, "%s:%d:%d: %s: %s", b->name, line, column, path, msg);
	else
		bf_error_set(b->err, BF_ERR_SPEC, "%s:%d:%d: %s", b->name, line, column, msg);
	return false;
}

/* Allocation failures keep their own kind. */
static bool
yaml_nomem(YamlBuilder *b)
{
	bf_error_set(b->err, BF_ERR_NOMEM, "%s: out of memory reading the spec", b->name);
	return false;
}

/* Every node starts with weight 1: itself. */
static BfYamlNode *
yaml_node(BfArena *arena, BfYamlKind kind, int line, int column)
{
	BfYamlNode *n = bf_arena_alloc(arena, sizeof(BfYamlNode));

	if (n != NULL)
	{
		n->kind = kind;
		n->line = line;
		n->column = column;
		n->weight = 1;
	}
	return n;
}

/* Grow a collection's arrays to hold one more entry (arena: old ones stay). */
static bool
yaml_reserve(BfArena *arena, BfYamlNode *node, int *cap)
{
	BfYamlNode **values;
	BfYamlNode **keys = NULL;
	int			ncap;

	if (node->count < *cap)
		return true;
	ncap = *cap == 0 ? 8 : *cap * 2;
	values = bf_arena_alloc(arena, sizeof(BfYamlNode *) * ncap);
	if (values == NULL)
		return false;
	if (node->kind == BF_YAML_MAP)
	{
		keys = bf_arena_alloc(arena, sizeof(BfYamlNode *) * ncap);
		if (keys == NULL)
			return false;
		if (node->count > 0)
			memcpy(keys, node->keys, sizeof(BfYamlNode *) * node->count);
	}
	if (node->count > 0)
		memcpy(values, node->values, sizeof(BfYamlNode *) * node->count);
	node->values = values;
	node->keys = keys;
	*cap = ncap;
	return true;
}

/* Hang a finished node under the innermost open collection (or as root). */
static bool
yaml_add(YamlBuilder *b, BfYamlNode *child)
{
	YamlFrame  *f;

	if (b->depth == 0)
	{
		b->root = child;
		return true;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->kind == BF_YAML_MAP && f->pending_key == NULL)
	{
		if (child->kind != BF_YAML_SCALAR)
			return yaml_fail(b, child->line, child->column,
							 "a map key must be a plain value, not a %s",
							 child->kind == BF_YAML_MAP ? "map" : "list");
		if (f->node->count >= BF_YAML_MAX_KEYS)
			return yaml_fail(b, child->line, child->column, "a map of more than %d keys",
							 BF_YAML_MAX_KEYS);
		f->pending_key = child;
		return true;
	}
	if (!yaml_reserve(b->arena, f->node, &f->cap))
		return yaml_nomem(b);
	if (f->node->kind == BF_YAML_MAP)
	{
		f->node->keys[f->node->count] = f->pending_key;
		f->pending_key = NULL;
	}
	f->node->values[f->node->count++] = child;
	return true;
}

/*
 * Anchors are registered when their node is complete, so no alias can point
 * into itself.
 */
static bool
yaml_register_anchor(YamlBuilder *b, const char *name, BfYamlNode *node)
{
	YamlAnchor *a;

	if (name == NULL)
		return true;
	a = bf_arena_alloc(b->arena, sizeof(YamlAnchor));
	if (a == NULL)
		return yaml_nomem(b);
	a->name = name;
	a->node = node;
	a->next = b->anchors;		/* a later anchor of the same name wins */
	b->anchors = a;
	return true;
}

/*
 * Aliases share nodes, but later stages walk them expanded: the expanded
 * size is bounded.
 */
static bool
yaml_count_weight(YamlBuilder *b, size_t weight, int line, int column)
{
	b->weight += weight;
	if (b->weight > BF_YAML_MAX_WEIGHT)
		return yaml_fail(b, line, column,
						 "the document is too large (more than %d values once aliases are expanded)",
						 BF_YAML_MAX_WEIGHT);
	return true;
}

/* Only a plain "<<" is a merge key; a quoted one is an ordinary key. */
static bool
yaml_key_is_merge(const BfYamlNode *key)
{
	return key->plain && strcmp(key->text, "<<") == 0;
}

/* Keys compare by their bytes, NULs included. */
static bool
yaml_keys_equal(const BfYamlNode *a, const BfYamlNode *b)
{
	return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* Index of key among the first n of keys, or -1. */
static int
yaml_find_key(BfYamlNode *const *keys, int n, const BfYamlNode *key)
{
	int			i;

	for (i = 0; i < n; i++)
		if (yaml_keys_equal(keys[i], key))
			return i;
	return -1;
}

/* The maps a "<<" value names: itself, or each item of a list. */
static BfYamlNode *
yaml_merge_source(const BfYamlNode *val, int j)
{
	return val->kind == BF_YAML_LIST ? val->values[j] : (BfYamlNode *) val;
}

/* A "<<" value is one map or a list of them. */
static int
yaml_merge_source_count(const BfYamlNode *val)
{
	return val->kind == BF_YAML_LIST ? val->count : 1;
}

/*
 * Resolve "<<" keys and reject duplicates once a map is complete.  Keys
 * written in the map win over merged ones wherever they stand; among the
 * merged maps the first one listed wins (yaml.v2's order).  Merged entries
 * take the place of their "<<" key.
 */
static bool
yaml_finish_map(YamlBuilder *b, BfYamlNode *map)
{
	int			i,
				j,
				k,
				nmerged = 0,
				total = 0;
	bool		has_merge = false;
	BfYamlNode **keys;
	BfYamlNode **values;

	for (i = 0; i < map->count; i++)
	{
		BfYamlNode *key = map->keys[i];
		BfYamlNode *val = map->values[i];

		if (yaml_key_is_merge(key))
		{
			has_merge = true;
			for (j = 0; j < yaml_merge_source_count(val); j++)
			{
				BfYamlNode *src = yaml_merge_source(val, j);

				if (src->kind != BF_YAML_MAP)
					return yaml_fail(b, src->line, src->column,
									 "a \"<<\" merge key takes a map or a list of maps");
				nmerged += src->count;
			}
			continue;
		}
		k = yaml_find_key(map->keys, i, key);
		if (k >= 0)
			return yaml_fail(b, key->line, key->column,
							 "duplicate key \"%s\" (first at line %d)",
							 key->text, map->keys[k]->line);
	}
	if (!has_merge)
		return true;

	keys = bf_arena_alloc(b->arena, sizeof(BfYamlNode *) * (map->count + nmerged));
	values = bf_arena_alloc(b->arena, sizeof(BfYamlNode *) * (map->count + nmerged));
	if (keys == NULL || values == NULL)
		return yaml_nomem(b);
	for (i = 0; i < map->count; i++)
	{
		BfYamlNode *val = map->values[i];

		if (!yaml_key_is_merge(map->keys[i]))
		{
			keys[total] = map->keys[i];
			values[total++] = val;
			continue;
		}
		for (j = 0; j < yaml_merge_source_count(val); j++)
		{
			BfYamlNode *src = yaml_merge_source(val, j);

			for (k = 0; k < src->count; k++)
			{
				BfYamlNode *key = src->keys[k];

				if (yaml_find_key(map->keys, map->count, key) >= 0 ||
					yaml_find_key(keys, total, key) >= 0)
					continue;
				keys[total] = key;
				values[total++] = src->values[k];
			}
		}
	}
	map->keys = keys;
	map->values = values;
	map->count = total;
	return true;
}

/* A map or list opens a frame that collects its entries until it ends. */
static bool
yaml_start_collection(YamlBuilder *b, BfYamlKind kind, const yaml_mark_t *mark,
					  const yaml_char_t *anchor)
{
	YamlFrame  *f;
	BfYamlNode *node;
	int			line = (int) mark->line + 1;
	int			column = (int) mark->column + 1;

	if (b->depth >= BF_YAML_MAX_DEPTH)
		return yaml_fail(b, line, column, "nesting deeper than %d levels", BF_YAML_MAX_DEPTH);
	if (!yaml_count_weight(b, 1, line, column))
		return false;
	node = yaml_node(b->arena, kind, line, column);
	if (node == NULL)
		return yaml_nomem(b);
	f = &b->stack[b->depth++];
	memset(f, 0, sizeof(*f));
	f->node = node;
	if (anchor != NULL)
	{
		f->anchor = bf_arena_strdup(b->arena, (const char *) anchor);
		if (f->anchor == NULL)
			return yaml_nomem(b);
	}
	return true;
}

/*
 * A finished collection gets its weight, its anchor, and its place in its
 * parent.
 */
static bool
yaml_end_collection(YamlBuilder *b)
{
	YamlFrame  *f = &b->stack[b->depth - 1];
	BfYamlNode *node = f->node;
	int			i;

	if (node->kind == BF_YAML_MAP && !yaml_finish_map(b, node))
		return false;
	for (i = 0; i < node->count; i++)
		node->weight += node->values[i]->weight + (node->keys != NULL ? 1 : 0);
	if (!yaml_register_anchor(b, f->anchor, node))
		return false;
	b->depth--;
	return yaml_add(b, node);
}

/*
 * A scalar keeps its text and whether it was plain, which decides its YAML
 * type later.
 */
static bool
yaml_scalar(YamlBuilder *b, const yaml_event_t *ev)
{
	int			line = (int) ev->start_mark.line + 1;
	int			column = (int) ev->start_mark.column + 1;
	BfYamlNode *node;
	const char *tag = (const char *) ev->data.scalar.tag;

	if (!yaml_count_weight(b, 1, line, column))
		return false;
	node = yaml_node(b->arena, BF_YAML_SCALAR, line, column);
	if (node == NULL)
		return yaml_nomem(b);
	node->text = bf_arena_strndup(b->arena, (const char *) ev->data.scalar.value,
								  ev->data.scalar.length);
	if (node->text == NULL)
		return yaml_nomem(b);
	node->len = ev->data.scalar.length;
	node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		(tag == NULL || strcmp(tag, YAML_STR_TAG) != 0);
	if (ev->data.scalar.anchor != NULL)
	{
		const char *anchor = bf_arena_strdup(b->arena, (const char *) ev->data.scalar.anchor);

		if (anchor == NULL || !yaml_register_anchor(b, anchor, node))
			return anchor == NULL ? yaml_nomem(b) : false;
	}
	return yaml_add(b, node);
}

/* An alias shares the anchored node; its expanded size still counts. */
static bool
yaml_alias(YamlBuilder *b, const yaml_event_t *ev)
{
	const char *name = (const char *) ev->data.alias.anchor;
	int			line = (int) ev->start_mark.line + 1;
	int			column = (int) ev->start_mark.column + 1;
	YamlAnchor *a;

	for (a = b->anchors; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			break;
	if (a == NULL)
		return yaml_fail(b, line, column, "unknown alias \"*%s\"", name);
	if (!yaml_count_weight(b, a->node->weight, line, column))
		return false;
	return yaml_add(b, a->node);
}

/* libyaml's problem and context, with 1-based positions. */
static bool
yaml_syntax_error(YamlBuilder *b, const yaml_parser_t *parser)
{
	const yaml_mark_t *mark = &parser->problem_mark;

	if (parser->error == YAML_MEMORY_ERROR)
		return yaml_nomem(b);
	if (parser->context != NULL)
		bf_error_set(b->err, BF_ERR_SPEC,
					 "%s:%d:%d: invalid YAML: %s (%s at line %d, column %d)",
					 b->name, (int) mark->line + 1, (int) mark->column + 1,
					 parser->problem ? parser->problem : "syntax error",
					 parser->context, (int) parser->context_mark.line + 1,
					 (int) parser->context_mark.column + 1);
	else
		bf_error_set(b->err, BF_ERR_SPEC, "%s:%d:%d: invalid YAML: %s",
					 b->name, (int) mark->line + 1, (int) mark->column + 1,
					 parser->problem ? parser->problem : "syntax error");
	return false;
}

/* Feed one event to the builder; *done when the first document ends. */
static bool
yaml_event(YamlBuilder *b, const yaml_event_t *ev, bool *done)
{
	switch (ev->type)
	{
		case YAML_SCALAR_EVENT:
			return yaml_scalar(b, ev);
		case YAML_ALIAS_EVENT:
			return yaml_alias(b, ev);
		case YAML_MAPPING_START_EVENT:
			return yaml_start_collection(b, BF_YAML_MAP, &ev->start_mark,
										 ev->data.mapping_start.anchor);
		case YAML_SEQUENCE_START_EVENT:
			return yaml_start_collection(b, BF_YAML_LIST, &ev->start_mark,
										 ev->data.sequence_start.anchor);
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			return yaml_end_collection(b);
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_END_EVENT:
			*done = true;
			return true;
		case YAML_NO_EVENT:
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
			return true;
	}
	return true;
}

/*
 * After the first document only the end of the stream may come: a second
 * document ("---" again) would otherwise be ignored without a word, and
 * the endpoints it defines with it.
 */
static bool
yaml_one_document(YamlBuilder *b, yaml_parser_t *parser)
{
	yaml_event_t ev;
	bool		ok = true;

	if (!yaml_parser_parse(parser, &ev))
		return yaml_syntax_error(b, parser);
	if (ev.type != YAML_STREAM_END_EVENT)
		ok = bf_error_set(b->err, BF_ERR_SPEC,
						  "%s:%d:%d: a second YAML document starts here; a spec file holds one",
						  b->name, (int) ev.start_mark.line + 1,
						  (int) ev.start_mark.column + 1);
	yaml_event_delete(&ev);
	return ok;
}

/*
 * The event API builds this tree directly; libyaml's document API would
 * build its own tree first, only to be copied into this one.
 */
BfYamlNode *
bf_yaml_parse(BfArena *arena, const char *text, size_t len, const char *name,
			  BfError *err)
{
	yaml_parser_t parser;
	YamlBuilder *b;
	bool		ok = true;
	bool		done = false;
	BfYamlNode *root = NULL;

	b = calloc(1, sizeof(YamlBuilder));
	if (b == NULL)
	{
		bf_error_set(err, BF_ERR_NOMEM, "%s: out of memory reading the spec", name);
		return NULL;
	}
	b->arena = arena;
	b->name = name;
	b->err = err;
	if (!yaml_parser_initialize(&parser))
	{
		free(b);
		bf_error_set(err, BF_ERR_NOMEM, "%s: out of memory reading the spec", name);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
	while (ok && !done)
	{
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev))
		{
			ok = yaml_syntax_error(b, &parser);
			break;
		}
		ok = yaml_event(b, &ev, &done);
		if (done && ev.type == YAML_DOCUMENT_END_EVENT)
			ok = yaml_one_document(b, &parser);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (ok)
	{
		root = b->root;
		if (root == NULL)
		{
			root = bf_yaml_new_scalar(arena, "");
			if (root == NULL)
				yaml_nomem(b);
			else
				root->plain = true; /* an empty document is null */
		}
	}
	free(b);
	return root;
}

/* Maps are small: a linear search keeps YAML order without an index. */
BfYamlNode *
bf_yaml_get(const BfYamlNode *map, const char *key)
{
	int			i;

	if (map == NULL || map->kind != BF_YAML_MAP)
		return NULL;
	for (i = 0; i < map->count; i++)
		if (strcmp(map->keys[i]->text, key) == 0)
			return map->values[i];
	return NULL;
}

/* YAML 1.1's null spellings, plain only: a quoted "null" is a string. */
bool
bf_yaml_is_null(const BfYamlNode *node)
{
	return node->kind == BF_YAML_SCALAR && node->plain &&
		(node->len == 0 || strcmp(node->text, "~") == 0 ||
		 strcmp(node->text, "null") == 0 || strcmp(node->text, "Null") == 0 ||
		 strcmp(node->text, "NULL") == 0);
}

/* ---- YAML 1.1 typing of plain scalars (yaml.v2's resolve) ---------------- */

/* Membership in a NULL-terminated word list. */
static bool
yaml_word_in(const char *s, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

/* Go's strconv.ParseInt(s, 0, 64): sign, then 0x / 0o / 0b / 0 prefixes. */
static bool
yaml_parse_go_int(const char *s, int64_t *out)
{
	bool		neg = false;
	int			base = 10;
	uint64_t	v = 0;
	uint64_t	limit;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && s[1] != '\0')
	{
		if (s[1] == 'x' || s[1] == 'X')
			base = 16, s += 2;
		else if (s[1] == 'o' || s[1] == 'O')
			base = 8, s += 2;
		else if (s[1] == 'b' || s[1] == 'B')
			base = 2, s += 2;
		else
			base = 8, s += 1;
	}
	if (*s == '\0')
		return false;
	limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	for (; *s != '\0'; s++)
	{
		int			d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		if (d >= base || v > (limit - (uint64_t) d) / (uint64_t) base)
			return false;
		v = v * (uint64_t) base + (uint64_t) d;
	}
	*out = neg ? (int64_t) (0 - v) : (int64_t) v;
	return true;
}

/* yaml.v2's float syntax: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool
yaml_is_float(const char *s)
{
	const char *p = s;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.')
	{
		if (p[1] < '0' || p[1] > '9')
			return false;
		for (p++; *p >= '0' && *p <= '9'; p++);
	}
	else
	{
		if (*p < '0' || *p > '9')
			return false;
		for (; *p >= '0' && *p <= '9'; p++);
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++);
	}
	if (*p == 'e' || *p == 'E')
	{
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return false;
		for (; *p >= '0' && *p <= '9'; p++);
	}
	return *p == '\0';
}

bool
bf_yaml_scalar_value(const BfYamlNode *node, struct json_object **out)
{
	static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "true", "True",
	"TRUE", "on", "On", "ON", NULL};
	static const char *const no[] = {"n", "N", "no", "No", "NO", "false", "False",
	"FALSE", "off", "Off", "OFF", NULL};
	static const char *const nan[] = {".nan", ".NaN", ".NAN", NULL};
	static const char *const inf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
	static const char *const ninf[] = {"-.inf", "-.Inf", "-.INF", NULL};
	const char *s = node->text;
	char		digits[130];
	int64_t		iv;

	*out = NULL;
	if (!node->plain || node->len != strlen(s))
		goto string;
	if (bf_yaml_is_null(node))
		return true;
	if (yaml_word_in(s, yes) || yaml_word_in(s, no))
	{
		*out = json_object_new_boolean(yaml_word_in(s, yes));
		return *out != NULL;
	}
	if (yaml_word_in(s, nan) || yaml_word_in(s, inf) || yaml_word_in(s, ninf))
	{
		*out = json_object_new_double(yaml_word_in(s, nan) ? NAN :
									  yaml_word_in(s, inf) ? INFINITY : -INFINITY);
		return *out != NULL;
	}
	if (s[0] == '.')
	{
		if (!yaml_is_float(s))
			goto string;
		*out = json_object_new_double(strtod(s, NULL));
		return *out != NULL;
	}
	if ((s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '-')
	{
		size_t		n = 0;
		const char *p;

		if (node->len >= sizeof(digits))
			goto string;
		for (p = s; *p != '\0'; p++)
			if (*p != '_')
				digits[n++] = *p;
		digits[n] = '\0';
		if (yaml_parse_go_int(digits, &iv))
		{
			*out = json_object_new_int64(iv);
			return *out != NULL;
		}
		if (yaml_is_float(digits))
		{
			*out = json_object_new_double(strtod(digits, NULL));
			return *out != NULL;
		}
	}
string:
	*out = json_object_new_string_len(s, (int) node->len);
	return *out != NULL;
}

/* ---- building trees ------------------------------------------------------ */

/* Made-up scalars are quoted, so they always read as strings. */
BfYamlNode *
bf_yaml_new_scalar(BfArena *arena, const char *text)
{
	BfYamlNode *n = yaml_node(arena, BF_YAML_SCALAR, 0, 0);

	if (n == NULL)
		return NULL;
	n->text = bf_arena_strdup(arena, text);
	if (n->text == NULL)
		return NULL;
	n->len = strlen(text);
	n->plain = false;
	return n;
}

/* Made-up maps take the position of what they stand for. */
BfYamlNode *
bf_yaml_new_map(BfArena *arena, int line, int column)
{
	return yaml_node(arena, BF_YAML_MAP, line, column);
}

/* Arrays are copied on insert: maps built this way are small. */
bool
bf_yaml_map_set(BfArena *arena, BfYamlNode *map, const char *key, BfYamlNode *value)
{
	BfYamlNode **keys;
	BfYamlNode **values;
	BfYamlNode *k;
	int			i;

	for (i = 0; i < map->count; i++)
		if (strcmp(map->keys[i]->text, key) == 0)
		{
			map->values[i] = value;
			return true;
		}
	k = bf_yaml_new_scalar(arena, key);
	keys = bf_arena_alloc(arena, sizeof(BfYamlNode *) * (map->count + 1));
	values = bf_arena_alloc(arena, sizeof(BfYamlNode *) * (map->count + 1));
	if (k == NULL || keys == NULL || values == NULL)
		return false;
	k->line = value->line;
	k->column = value->column;
	k->plain = true;
	if (map->count > 0)
	{
		memcpy(keys, map->keys, sizeof(BfYamlNode *) * map->count);
		memcpy(values, map->values, sizeof(BfYamlNode *) * map->count);
	}
	keys[map->count] = k;
	values[map->count] = value;
	map->keys = keys;
	map->values = values;
	map->count++;
	return true;
}
