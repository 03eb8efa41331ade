/*-------------------------------------------------------------------------
 *
 * spec_yaml.h
 *		  The YAML layer of the spec loader: a node tree that keeps the line
 *		  and column of every key and value, the arena it lives in, and the
 *		  merge of a spec's defaults into an endpoint on that tree.
 *
 * libyaml's events are turned into maps (keys in document order), lists
 * and scalars.  Scalars keep their text and whether they were plain, since
 * only plain scalars are typed (YAML 1.1, as Sling's yaml.v2 does it);
 * quoted and block scalars are strings.  Aliases share the anchored node and
 * "<<" merge keys are applied, so later stages never see either.
 *
 * Everything is allocated in a BfArena and freed with it at once: the
 * loader's error paths then have nothing to unwind.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPEC_YAML_H
#define SPEC_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "util/bf_error.h"

/* A bump allocator: many small blocks, freed together. */
typedef struct BfArenaBlock BfArenaBlock;

typedef struct BfArena
{
	BfArenaBlock *head;
} BfArena;

/* Zeroed memory, or NULL when malloc fails. */
extern void *bf_arena_alloc(BfArena *arena, size_t size);
extern char *bf_arena_strndup(BfArena *arena, const char *s, size_t len);
extern char *bf_arena_strdup(BfArena *arena, const char *s);
extern char *bf_arena_printf(BfArena *arena, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
extern void bf_arena_release(BfArena *arena);

typedef enum BfYamlKind
{
	BF_YAML_SCALAR,
	BF_YAML_MAP,
	BF_YAML_LIST
} BfYamlKind;

typedef struct BfYamlNode BfYamlNode;

struct BfYamlNode
{
	BfYamlKind	kind;
	int			line;			/* 1-based */
	int			column;			/* 1-based */
	/* scalars */
	const char *text;			/* NUL-terminated; len excludes the NUL */
	size_t		len;
	bool		plain;			/* unquoted and untagged: typed by YAML rules */
	/* maps: keys[i] (scalars) and values[i]; lists: values[i] */
	int			count;
	BfYamlNode **keys;
	BfYamlNode **values;
	/*
	 * A list built by the defaults merge from several lists ("+rules",
	 * "rules", "rules+") names where each item came from, so errors point
	 * at the key the author wrote; NULL elsewhere.
	 */
	const char **labels;
	size_t		weight;			/* nodes in the subtree, aliases expanded */
};

/*
 * Parse the first YAML document of text into a tree allocated in arena.
 * name is used in error messages ("name:line:col: ...").  An empty
 * document gives a null scalar.
 */
extern BfYamlNode *bf_yaml_parse(BfArena *arena, const char *text, size_t len,
								 const char *name, BfError *err);

/* The value of key in map, or NULL when map is not a map or has no such key. */
extern BfYamlNode *bf_yaml_get(const BfYamlNode *map, const char *key);

/* True for a plain null scalar ("", "~", "null"), as YAML 1.1 reads it. */
extern bool bf_yaml_is_null(const BfYamlNode *node);

/*
 * Type a scalar as Sling's yaml.v2 does: a plain scalar may be null, a
 * boolean (true/false, yes/no, on/off, y/n), an integer (decimal, 0x, 0o,
 * 0b, leading-0 octal, "_" separators) or a float; anything else, and every
 * quoted or block scalar, is a string.  Sets *out to a new json-c value
 * (NULL for null); false on allocation failure.
 */
extern bool bf_yaml_scalar_value(const BfYamlNode *node, struct json_object **out);

/* Tree building, for the defaults merge and for callers that edit a spec. */
extern BfYamlNode *bf_yaml_new_scalar(BfArena *arena, const char *text);
extern BfYamlNode *bf_yaml_new_map(BfArena *arena, int line, int column);
/* Set key to value in map (replacing an existing value); false on ENOMEM. */
extern bool bf_yaml_map_set(BfArena *arena, BfYamlNode *map, const char *key,
							BfYamlNode *value);

/*
 * Merge a spec's defaults block into an endpoint block, as Sling's endpoint
 * compiler does (sling-api-spec.md 1.9), giving a new tree that shares the
 * nodes of both:
 *   - a key the endpoint writes wins over the default, even when its value
 *     is empty ({} or null): "pagination: {}" clears the default pagination;
 *   - request, response and response.records merge key by key;
 *   - request.headers merge name by name (the endpoint's value wins; a null
 *     value drops the default header);
 *   - "+rules" / "rules+" (and processors, setup, teardown) prepend / append
 *     to the endpoint's list or, when it writes none, to the default list;
 *   - defaults.state is not merged: it is the spec's base state.
 * defaults may be NULL, which only resolves the endpoint's own "+x" / "x+"
 * keys.  Returns NULL on allocation failure.
 */
extern BfYamlNode *bf_yaml_merge_endpoint(BfArena *arena, const BfYamlNode *endpoint,
										  const BfYamlNode *defaults);

/*
 * A setup or teardown call's request merged over defaults.request by the
 * same rules as an endpoint's request (headers name by name, any other key
 * the call writes wins), so a call sends the spec's default headers and
 * parameters as the endpoint's requests do.  Either may be NULL.
 */
extern BfYamlNode *bf_yaml_merge_request(BfArena *arena, const BfYamlNode *request,
										 const BfYamlNode *defaults);

#endif							/* SPEC_YAML_H */
