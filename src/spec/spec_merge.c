/*-------------------------------------------------------------------------
 *
 * spec_merge.c
 *		  Merging a spec's defaults block into each endpoint, on the YAML
 *		  node tree, the way Sling's (closed) endpoint compiler is seen to do
 *		  it (sling-api-spec.md 1.9).
 *
 * Merging nodes rather than the typed model keeps one parser for every
 * block and keeps presence visible: a key the endpoint wrote is in its map
 * even when its value is empty.  The result shares the nodes of both trees,
 * so every value still carries the line and column its author wrote.
 *
 * A list with modifiers ("+rules", "rules", "rules+") becomes one list whose
 * items are labelled with the key they came from.  A modifier whose value
 * is not a list is left under its own key, where the parser reports it.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "spec/spec_yaml.h"

typedef enum MergeHow
{
	MERGE_REPLACE,				/* the endpoint's value wins, whatever it is */
	MERGE_DEEP,					/* both maps merge key by key (sub rules) */
	MERGE_HEADERS,				/* name by name; a null value drops the name */
	MERGE_LIST,					/* "+key" ++ (key or default key) ++ "key+" */
	MERGE_OWN					/* the endpoint's only; the default is ignored */
} MergeHow;

typedef struct MergeRule
{
	const char *key;
	MergeHow	how;
	const struct MergeRule *sub;
} MergeRule;

static const MergeRule records_rules[] = {
	{NULL, MERGE_REPLACE, NULL}
};

static const MergeRule request_rules[] = {
	{"headers", MERGE_HEADERS, NULL},
	{NULL, MERGE_REPLACE, NULL}
};

static const MergeRule response_rules[] = {
	{"records", MERGE_DEEP, records_rules},
	{"processors", MERGE_LIST, NULL},
	{"rules", MERGE_LIST, NULL},
	{NULL, MERGE_REPLACE, NULL}
};

static const MergeRule endpoint_rules[] = {
	{"state", MERGE_OWN, NULL},
	{"request", MERGE_DEEP, request_rules},
	{"response", MERGE_DEEP, response_rules},
	{"setup", MERGE_LIST, NULL},
	{"teardown", MERGE_LIST, NULL},
	{NULL, MERGE_REPLACE, NULL}
};

static BfYamlNode *merge_map(BfArena *arena, const BfYamlNode *e, const BfYamlNode *d,
							 const MergeRule *rules);

/* Keys without a rule of their own are replaced by the endpoint's value. */
static const MergeRule *
merge_rule_for(const MergeRule *rules, const char *key)
{
	for (; rules->key != NULL; rules++)
		if (strcmp(rules->key, key) == 0)
			return rules;
	return rules;				/* the terminator: MERGE_REPLACE */
}

/* Is key a modifier ("+x" or "x+") of a MERGE_LIST key of rules? */
static bool
merge_is_modifier(const MergeRule *rules, const char *key)
{
	size_t		len = strlen(key);

	for (; rules->key != NULL; rules++)
	{
		size_t		klen = strlen(rules->key);

		if (rules->how != MERGE_LIST || len != klen + 1)
			continue;
		if ((key[0] == '+' && strcmp(key + 1, rules->key) == 0) ||
			(key[len - 1] == '+' && strncmp(key, rules->key, klen) == 0))
			return true;
	}
	return false;
}

/*
 * Only lists (or nothing) can be combined; anything else is left for the
 * parser to report.
 */
static bool
merge_is_list_or_absent(const BfYamlNode *n)
{
	return n == NULL || n->kind == BF_YAML_LIST || bf_yaml_is_null(n);
}

/* Absent and null lists have no items. */
static int
merge_list_len(const BfYamlNode *n)
{
	return n != NULL && n->kind == BF_YAML_LIST ? n->count : 0;
}

/* Append the items of part to out, labelled "name[i]". */
static bool
merge_append_items(BfArena *arena, BfYamlNode *out, const BfYamlNode *part,
				   const char *name)
{
	int			i;

	for (i = 0; i < merge_list_len(part); i++)
	{
		out->labels[out->count] = bf_arena_printf(arena, "%s[%d]", name, i);
		if (out->labels[out->count] == NULL)
			return false;
		out->values[out->count++] = part->values[i];
		out->weight += part->values[i]->weight;
	}
	return true;
}

/* The key node of name in map, or NULL. */
static const BfYamlNode *
merge_key_node(const BfYamlNode *map, const char *name)
{
	int			i;

	for (i = 0; map != NULL && i < map->count; i++)
		if (strcmp(map->keys[i]->text, name) == 0)
			return map->keys[i];
	return NULL;
}

/*
 * The list key resolves to in block m ("+key" ++ key ++ "key+"), with base
 * standing in for m's own key when m does not write it.  Returns NULL when
 * none of the three is there.  When one of them is not a list, nothing is
 * combined: *bad is set to it and *bad_key to the key it was written under.
 */
static BfYamlNode *
merge_list(BfArena *arena, const BfYamlNode *m, const char *key,
		   const BfYamlNode *base, const BfYamlNode **bad, const BfYamlNode **bad_key,
		   bool *nomem)
{
	char		pre[64];
	char		post[64];
	const BfYamlNode *p;
	const BfYamlNode *own;
	const BfYamlNode *a;
	const BfYamlNode *mid;
	const BfYamlNode *anchor;
	BfYamlNode *out;
	int			n;

	snprintf(pre, sizeof(pre), "+%s", key);
	snprintf(post, sizeof(post), "%s+", key);
	p = bf_yaml_get(m, pre);
	own = bf_yaml_get(m, key);
	a = bf_yaml_get(m, post);
	mid = own != NULL ? own : base;
	*bad = NULL;
	if (!merge_is_list_or_absent(p) || !merge_is_list_or_absent(own) ||
		!merge_is_list_or_absent(a))
	{
		*bad = !merge_is_list_or_absent(p) ? p : !merge_is_list_or_absent(own) ? own : a;
		*bad_key = merge_key_node(m, *bad == p ? pre : *bad == own ? key : post);
		return NULL;
	}
	if (p == NULL && a == NULL)
		return (BfYamlNode *) mid;
	anchor = p != NULL ? p : mid != NULL ? mid : a;
	out = bf_arena_alloc(arena, sizeof(BfYamlNode));
	n = merge_list_len(p) + merge_list_len(mid) + merge_list_len(a);
	if (out != NULL)
	{
		out->kind = BF_YAML_LIST;
		out->line = anchor->line;
		out->column = anchor->column;
		out->weight = 1;
		out->values = bf_arena_alloc(arena, sizeof(BfYamlNode *) * (n + 1));
		out->labels = bf_arena_alloc(arena, sizeof(char *) * (n + 1));
	}
	if (out == NULL || out->values == NULL || out->labels == NULL ||
		!merge_append_items(arena, out, p, pre) ||
		!merge_append_items(arena, out, mid, key) ||
		!merge_append_items(arena, out, a, post))
	{
		*nomem = true;
		return NULL;
	}
	return out;
}

/* Headers name by name: the default's order, then the endpoint's new names. */
static BfYamlNode *
merge_headers(BfArena *arena, const BfYamlNode *e, const BfYamlNode *d)
{
	const BfYamlNode *src[2];
	BfYamlNode *out;
	int			s,
				i;

	if (e != NULL && e->kind != BF_YAML_MAP && !bf_yaml_is_null(e))
		return (BfYamlNode *) e;
	if (d != NULL && d->kind != BF_YAML_MAP)
		d = NULL;
	if (e != NULL && e->kind != BF_YAML_MAP)
		e = NULL;
	src[0] = d;
	src[1] = e;
	out = bf_yaml_new_map(arena, e != NULL ? e->line : d != NULL ? d->line : 0,
						  e != NULL ? e->column : d != NULL ? d->column : 0);
	if (out == NULL)
		return NULL;
	for (s = 0; s < 2; s++)
		for (i = 0; src[s] != NULL && i < src[s]->count; i++)
		{
			const char *name = src[s]->keys[i]->text;
			BfYamlNode *val = s == 0 ? bf_yaml_get(e, name) : NULL;

			if (s == 1 && bf_yaml_get(d, name) != NULL)
				continue;		/* placed already, at the default's position */
			if (val == NULL)
				val = src[s]->values[i];
			if (bf_yaml_is_null(val))
				continue;
			if (!bf_yaml_map_set(arena, out, name, val))
				return NULL;
			out->keys[out->count - 1]->line = src[s]->keys[i]->line;
			out->keys[out->count - 1]->column = src[s]->keys[i]->column;
		}
	return out;
}

/* Merged entries keep the position of the key that was written. */
static bool
merge_put(BfArena *arena, BfYamlNode *out, const BfYamlNode *key, BfYamlNode *value)
{
	if (!bf_yaml_map_set(arena, out, key->text, value))
		return false;
	out->keys[out->count - 1]->line = key->line;
	out->keys[out->count - 1]->column = key->column;
	return true;
}

/* One key of the merged map; false on allocation failure. */
static bool
merge_key(BfArena *arena, BfYamlNode *out, const BfYamlNode *e, const BfYamlNode *d,
		  const BfYamlNode *key, const MergeRule *rule)
{
	const char *name = key->text;
	BfYamlNode *ev = bf_yaml_get(e, name);
	BfYamlNode *dv = bf_yaml_get(d, name);
	BfYamlNode *v = NULL;

	switch (rule->how)
	{
		case MERGE_OWN:
			v = ev;
			break;
		case MERGE_REPLACE:
			v = ev != NULL ? ev : dv;
			break;
		case MERGE_HEADERS:
			v = merge_headers(arena, ev, dv);
			if (v == NULL)
				return false;
			break;
		case MERGE_DEEP:
			if (ev != NULL && bf_yaml_is_null(ev))
				ev = NULL;		/* "request:" alone adds nothing to the default */
			if (ev == NULL && dv == NULL)
				break;
			v = merge_map(arena, ev != NULL ? ev : dv, ev != NULL ? dv : NULL, rule->sub);
			if (v == NULL)
				return false;
			break;
		case MERGE_LIST:
			{
				const BfYamlNode *bad;
				const BfYamlNode *bad_key;
				const BfYamlNode *base = NULL;
				bool		nomem = false;

				if (d != NULL && bf_yaml_get(e, name) == NULL)
				{
					base = merge_list(arena, d, name, NULL, &bad, &bad_key, &nomem);
					if (nomem)
						return false;
					if (bad != NULL)
						return merge_put(arena, out, bad_key, (BfYamlNode *) bad);
				}
				v = merge_list(arena, e, name, base, &bad, &bad_key, &nomem);
				if (nomem)
					return false;
				if (bad != NULL)
					return merge_put(arena, out, bad_key, (BfYamlNode *) bad);
			}
			break;
	}
	return v == NULL || merge_put(arena, out, key, v);
}

/*
 * Merge map e over map d by rules; either may be NULL.  A non-map e is
 * returned as it is (the parser reports its type); a non-map d is ignored
 * (the defaults block was checked on its own first).
 */
static BfYamlNode *
merge_map(BfArena *arena, const BfYamlNode *e, const BfYamlNode *d, const MergeRule *rules)
{
	const BfYamlNode *src[2];
	BfYamlNode *out;
	int			s,
				i;

	if (e != NULL && e->kind != BF_YAML_MAP)
		return (BfYamlNode *) e;
	if (d != NULL && d->kind != BF_YAML_MAP)
		d = NULL;
	if (e == NULL)
	{
		e = d;
		d = NULL;
	}
	if (e == NULL)
		return NULL;
	out = bf_yaml_new_map(arena, e->line, e->column);
	if (out == NULL)
		return NULL;
	src[0] = e;
	src[1] = d;
	for (s = 0; s < 2; s++)
		for (i = 0; src[s] != NULL && i < src[s]->count; i++)
		{
			const BfYamlNode *key = src[s]->keys[i];
			const MergeRule *rule;

			if (merge_is_modifier(rules, key->text) || bf_yaml_get(out, key->text) != NULL)
				continue;
			rule = merge_rule_for(rules, key->text);
			if (s == 1 && rule->how == MERGE_OWN)
				continue;
			if (!merge_key(arena, out, e, d, key, rule))
				return NULL;
		}
	/* a list written only through its modifiers ("+rules" alone) */
	for (; rules->key != NULL; rules++)
	{
		char		pre[64];
		char		post[64];
		const BfYamlNode *k;

		if (rules->how != MERGE_LIST || bf_yaml_get(out, rules->key) != NULL)
			continue;
		snprintf(pre, sizeof(pre), "+%s", rules->key);
		snprintf(post, sizeof(post), "%s+", rules->key);
		if ((k = bf_yaml_get(e, pre)) == NULL && (k = bf_yaml_get(e, post)) == NULL &&
			(k = bf_yaml_get(d, pre)) == NULL && (k = bf_yaml_get(d, post)) == NULL)
			continue;
		if (bf_yaml_get(out, pre) != NULL || bf_yaml_get(out, post) != NULL)
			continue;
		{
			BfYamlNode *key = bf_yaml_new_scalar(arena, rules->key);

			if (key == NULL)
				return NULL;
			key->line = k->line;
			key->column = k->column;
			if (!merge_key(arena, out, e, d, key, rules))
				return NULL;
		}
	}
	return out;
}

/* Endpoints merge by the endpoint rules of spec_yaml.h. */
BfYamlNode *
bf_yaml_merge_endpoint(BfArena *arena, const BfYamlNode *endpoint, const BfYamlNode *defaults)
{
	return merge_map(arena, endpoint, defaults, endpoint_rules);
}

/* A call's request merges as an endpoint's request does. */
BfYamlNode *
bf_yaml_merge_request(BfArena *arena, const BfYamlNode *request, const BfYamlNode *defaults)
{
	return merge_map(arena, request, defaults, request_rules);
}
