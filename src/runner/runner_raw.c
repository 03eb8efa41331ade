/*-------------------------------------------------------------------------
 *
 * runner_raw.c
 *		  The runner's fast path: records handed out as their bytes.
 *
 * A json-c tree costs several allocations a value, and for an endpoint that
 * only lists records it is most of the work of a scan.  When nothing in the
 * spec reads or reshapes the records (no processor, select or casing; no
 * rule or pagination expression reading response.json, response.records or
 * response.text; a records.jmespath that is a plain dotted path, perhaps
 * ending in []) and
 * the caller can take bytes (the scan, whose columns are found by name),
 * each response is only scanned: the records' bytes are found with the
 * validating scanner of jsonscan.c and handed out as spans of the body,
 * which the scan turns into column values itself.  Anything else about a
 * body (a record that is not an object, a path through a non-object, a
 * format other than JSON) falls back to the tree, so both paths give the
 * same records.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "json/formats.h"
#include "json/jsonscan.h"
#include "runner/runner_raw.h"

/* A records.jmespath the fast path can follow: a.b.c, perhaps with [] at the end. */
static bool
plain_path(const char *src, char ***keys, int *nkeys)
{
	size_t		len = strlen(src);
	char	   *copy;
	char	   *p;
	int			n = 1;

	*keys = NULL;
	*nkeys = 0;
	if (strcmp(src, "@") == 0)
		return true;
	if (len >= 2 && strcmp(src + len - 2, "[]") == 0)
		len -= 2;
	if (len == 0)
		return false;
	for (p = (char *) src; p < src + len; p++)
	{
		if (*p == '.')
			n++;
		else if (!(isalnum((unsigned char) *p) || *p == '_'))
			return false;
	}
	copy = strndup(src, len);
	*keys = calloc(n + 1, sizeof(char *));
	*nkeys = 0;
	for (p = strtok(copy, "."); p != NULL; p = strtok(NULL, "."))
	{
		if (isdigit((unsigned char) p[0]))
			break;				/* not an identifier */
		(*keys)[(*nkeys)++] = strdup(p);
	}
	free(copy);
	if (*nkeys != n)
	{
		bf_raw_free_path(*keys, *nkeys);
		*keys = NULL;
		*nkeys = 0;
		return false;
	}
	return true;
}

void
bf_raw_free_path(char **keys, int nkeys)
{
	int			i;

	for (i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
}

bool
bf_runner_takes_bytes(const BfEndpoint *ep)
{
	const BfTmplField *path = &ep->response.records.jmespath;
	char	  **keys;
	int			nkeys;

	if (ep->response.processor_count > 0 || ep->response.records.select.count > 0 ||
		ep->queue_only || ep->iterate.into_records ||
		ep->response.records.casing != BF_CASING_NONE || ep->response.records.jq.src != NULL ||
		(ep->response.format != BF_FORMAT_AUTO && ep->response.format != BF_FORMAT_JSON) ||
		bf_runner_reads(ep, "response.json") || bf_runner_reads(ep, "response.records") ||
		bf_runner_reads(ep, "response.text"))
		return false;
	if (path->src != NULL && !bf_template_is_constant(path->tmpl))
		return false;
	if (!plain_path(path->src ? path->src : "@", &keys, &nkeys))
		return false;
	bf_raw_free_path(keys, nkeys);
	return true;
}

bool
bf_raw_setup(BfRunner *r, const BfRunContext *ctx)
{
	const BfTmplField *path = &r->ep->response.records.jmespath;

	if (!ctx->raw_records || !bf_runner_takes_bytes(r->ep))
		return false;
	return plain_path(path->src ? path->src : "@", &r->raw_keys, &r->raw_nkeys);
}

/*
 * Move the scanner onto the value of key in the object it is at; false if
 * absent or not an object.  Members before it are validated and skipped;
 * the value itself is left for the caller, so it is scanned once.
 */
static bool
descend(JsScanner *s, const char *key)
{
	JsSpan		k;
	JsSpan		v;
	bool		first = true;

	if (!js_enter(s, JS_OBJECT))
		return false;
	for (;;)
	{
		if (!js_skip_ws(s) || s->buf[s->pos] == '}')
			return false;
		if (!first)
		{
			if (s->buf[s->pos] != ',')
				return false;
			s->pos++;
			if (!js_skip_ws(s))
				return false;
		}
		first = false;
		if (s->buf[s->pos] != '"' || !js_value(s, &k) || !js_skip_ws(s) || s->buf[s->pos] != ':')
			return false;
		s->pos++;
		if (js_key_equals(s->buf, &k, key, false))
			return js_skip_ws(s);
		if (!js_value(s, &v))
			return false;
	}
}

/* Is this body JSON, by the spec's format or else its Content-Type? */
static bool
is_json(BfRunner *r, const BfHttpResponse *resp)
{
	struct json_object *ctype = NULL;

	if (r->ep->response.format == BF_FORMAT_JSON)
		return true;
	json_object_object_get_ex(resp->headers, "content-type", &ctype);
	return bf_format_detect(ctype ? json_object_get_string(ctype) : NULL) == BF_FORMAT_JSON;
}

/* Append a span to the batch's list. */
static void
add_span(Batch *b, size_t start, size_t end, size_t *cap)
{
	if (b->nspans == *cap)
	{
		*cap = *cap ? *cap * 2 : 256;
		b->spans = realloc(b->spans, sizeof(size_t) * 2 * *cap);
	}
	b->spans[2 * b->nspans] = start;
	b->spans[2 * b->nspans + 1] = end;
	b->nspans++;
}

/*
 * The spans of the objects of the array at the scanner, which is left after
 * it.  The records are only skipped here (js_skip): the scan validates each
 * one as it walks its members.  False when an element is not an object
 * (the tree path then takes the body) or the array is broken.
 */
static bool
records_array(JsScanner *s, Batch *b, size_t *cap)
{
	JsSpan		v;
	bool		first = true;

	js_enter(s, JS_ARRAY);
	for (;;)
	{
		if (!js_skip_ws(s))
			return false;
		if (s->buf[s->pos] == ']')
		{
			s->pos++;
			s->first = false;
			return true;
		}
		if (!first)
		{
			if (s->buf[s->pos] != ',')
				return false;
			s->pos++;
		}
		first = false;
		if (!js_skip(s, &v) || v.kind != JS_OBJECT)
			return false;
		add_span(b, v.start, v.end, cap);
	}
}

/*
 * Find the records of a 2xx JSON body as spans.  Returns the batch (taking
 * the body from resp), or NULL with *fallback set when the response is not
 * of the plain shape the fast path serves (the tree path then takes it), or
 * NULL with err set when the body is not valid JSON.
 */
Batch *
bf_raw_extract(BfRunner *r, BfHttpResponse *resp, bool *fallback, BfError *err)
{
	JsScanner	s;
	JsSpan		v;
	Batch	   *b;
	size_t		cap = 0;
	int			i;

	*fallback = true;
	bf_error_clear(err);
	if (resp->status < 200 || resp->status >= 300 || resp->body_len == 0 || !is_json(r, resp))
		return NULL;
	js_init(&s, resp->body, resp->body_len);
	for (i = 0; i < r->raw_nkeys; i++)
	{
		if (!descend(&s, r->raw_keys[i]))
			return NULL;		/* absent, not an object, or broken: the tree decides */
	}
	if (!js_skip_ws(&s) || s.buf[s.pos] != '[')
		return NULL;			/* one record, or none: rare enough for the tree */
	b = calloc(1, sizeof(Batch));
	if (!records_array(&s, b, &cap))
	{
		free(b->spans);
		free(b);
		return NULL;
	}
	/* the rest of the body must be well-formed too, as the tree path demands */
	for (i = 0; i < r->raw_nkeys && s.error == NULL; i++)
	{
		JsSpan		k;

		while (js_next(&s, &k, &v))
			;
	}
	if (s.error != NULL || js_skip_ws(&s))
	{
		free(b->spans);
		free(b);
		if (s.error != NULL)
		{
			*fallback = false;
			bf_error_set(err, BF_ERR_RESPONSE, "response is not valid JSON: %s at byte %zu",
						 s.error, s.error_pos);
		}
		return NULL;
	}
	*fallback = false;
	b->body = resp->body;
	resp->body = NULL;
	return b;
}

/*
 * A member's value as a primary-key part (keyset.h): strings decoded, with
 * any NUL kept, the rest as written.  False when memory runs out.
 */
static bool
append_key_part(const char *buf, const JsSpan *v, char **key, size_t *len, size_t *cap)
{
	char	   *text;
	size_t		n;
	bool		ok;

	if (v->kind == JS_NULL)
		return bf_key_append_part(key, len, cap, BF_KEY_NULL, NULL, 0);
	if (v->kind != JS_STRING)
		return bf_key_append_part(key, len, cap, BF_KEY_JSON, buf + v->start, v->end - v->start);
	text = malloc(v->end - v->start);
	if (text == NULL)
		return false;
	n = js_unescape(buf, v, text);
	ok = bf_key_append_part(key, len, cap, BF_KEY_STRING, text, n);
	free(text);
	return ok;
}

/*
 * Is the record at span i new by the primary key (first wins)?  A key that
 * cannot be built for want of memory counts as new: a duplicate row is
 * better than a lost one.
 */
static bool
raw_record_is_new(BfRunner *r, const Batch *b, size_t i)
{
	const BfStrList *pk = &r->ep->response.records.primary_key;
	size_t		cap = 0;
	size_t		len = 0;
	char	   *key = NULL;
	int			k;
	bool		fresh = true;
	bool		ok = true;

	for (k = 0; ok && k < pk->count; k++)
	{
		JsScanner	s;
		JsSpan		mk;
		JsSpan		mv;
		JsSpan		found = {0, 0, JS_NULL, false};

		js_init(&s, b->body, b->spans[2 * i + 1]);
		s.pos = b->spans[2 * i];
		js_enter(&s, JS_OBJECT);
		while (js_next(&s, &mk, &mv))
		{
			/* json-c keeps the last of repeated keys: so does this */
			if (js_key_equals(b->body, &mk, pk->items[k], false))
				found = mv;
		}
		ok = append_key_part(b->body, &found, &key, &len, &cap);
	}
	if (ok)
		fresh = bf_keyset_add(r->seen, key, len);
	free(key);
	return fresh;
}

/*
 * De-duplicate and cut at the limit, as accept_records does for trees;
 * queue the batch.  Returns the number of records the page had.
 */
size_t
bf_raw_accept(BfRunner *r, Batch *b)
{
	size_t		page = b->nspans;
	size_t		i;
	size_t		kept = 0;

	for (i = 0; i < b->nspans; i++)
	{
		if (r->stopped && r->limit > 0)
			break;
		if (r->seen != NULL && !raw_record_is_new(r, b, i))
			continue;
		b->spans[2 * kept] = b->spans[2 * i];
		b->spans[2 * kept + 1] = b->spans[2 * i + 1];
		kept++;
		if (r->limit > 0 && ++r->queued >= r->limit)
			r->stopped = true;
	}
	b->nspans = kept;
	bf_runner_emit_batch(r, b);
	return page;
}
