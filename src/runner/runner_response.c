/*-------------------------------------------------------------------------
 *
 * runner_response.c
 *		  From a response to records: rules, records, processors, pagination.
 *
 * The order is Sling's: the rules are tried in order and the first whose
 * condition holds decides (retry, continue, skip, break, stop, fail; no
 * match is continue); then the records are picked with
 * response.records.jmespath, run through the processors, de-duplicated by
 * primary_key (first wins), cut at the limit and narrowed by
 * records.select; then stop_condition, and if it does not hold, next_state
 * for the next page.  A setup or teardown call's response goes the same
 * way with its own rules, records, processors and pagination, but its
 * records stop after the processors, and the processors run before the
 * rules, so that a rule sees what they wrote (Sling's github spec stops its
 * setup call on state.quota_remaining, which its processor reads from the
 * response); a retry, skip or fail of that response undoes their state
 * writes.
 *
 * Where Sling is silent this file chooses, and docs/spec-reference.md says
 * so: break and stop drop the records of the response that triggered them;
 * a response outside 2xx that a rule lets through has no records (its body
 * is only read by the rules);
 * a pagination block without stop_condition ends at a page with no records
 * or a next_state that changes nothing, never looping for ever; a page
 * whose body repeats the one before it ends its iteration with a warning
 * (an API that ignores the page parameter), and pagination.max_pages
 * (backfill_fdw's own key) caps the pages of an iteration, failing the run
 * past it; a transient transport failure (reset, empty reply, timeout)
 * that no rule takes is retried by the default server-error rule, and a
 * server asking to wait longer than BF_HTTP_MAX_SERVER_WAIT fails; retries of
 * a 429 (or of any response with Retry-After) pause the whole endpoint; a
 * stop rule in a teardown call ends that call only (in a setup call it
 * stops the endpoint, as in Sling, with a warning); select gives
 * a column it names but a record lacks as null, so every record has the
 * same columns, as Sling's output does.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "expr/expr.h"
#include "expr/expr_value.h"
#include "expr/jqrun.h"
#include "json/formats.h"
#include "util/keyset.h"
#include "runner/runner_raw.h"
#include "runner/runner_request.h"
#include "runner/runner_response.h"

/* Bytes of a body an error message shows. */
#define BODY_IN_ERROR 200

bool
bf_value_truthy(struct json_object *v)
{
	switch (json_object_get_type(v))
	{
		case json_type_null:
			return false;
		case json_type_boolean:
			return json_object_get_boolean(v);
		case json_type_int:
			return json_object_get_int64(v) != 0;
		case json_type_double:
			return json_object_get_double(v) != 0.0;
		case json_type_string:
			return json_object_get_string_len(v) > 0;
		case json_type_array:
			return json_object_array_length(v) > 0;
		case json_type_object:
			return json_object_object_length(v) > 0;
	}
	return false;
}

/* Evaluate a compiled field against the runner's namespaces. */
static struct json_object *
eval_field(BfRunner *r, const BfExprField *field, BfError *err)
{
	struct json_object *v;

	bf_error_clear(err);
	v = bf_expr_eval(field->expr, r->vars, err);
	if (err->kind != BF_OK)
		bf_error_prefix(err, "%s", field->path);
	return v;
}

/* The start of a body, printable, for an error message. */
static void
body_excerpt(const BfHttpResponse *resp, char *out, size_t outlen)
{
	size_t		n = resp->body_len < BODY_IN_ERROR ? resp->body_len : BODY_IN_ERROR;
	size_t		i;

	if (n >= outlen - 4)
		n = outlen - 4;
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) resp->body[i];

		out[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char) c;
	}
	strcpy(out + i, resp->body_len > n ? "..." : "");
}

/* "HTTP 503 from GET url: body..." */
static bool
http_error(BfRunner *r, Iteration *it, const BfHttpResponse *resp, const char *why,
		   BfError *err)
{
	char		body[BODY_IN_ERROR + 8];
	struct json_object *url = NULL;
	struct json_object *method = NULL;

	json_object_object_get_ex(it->request, "url", &url);
	json_object_object_get_ex(it->request, "method", &method);
	if (resp->status == 0)
		return bf_error_set(err, BF_ERR_HTTP, "%srequest failed: %s", why ? why : "",
							resp->error ? resp->error : "no response");
	body_excerpt(resp, body, sizeof(body));
	return bf_error_set(err, BF_ERR_HTTP, "%sHTTP %ld from %s %s: %s",
						why ? why : "", resp->status, json_object_get_string(method),
						json_object_get_string(url), body[0] ? body : "(empty body)");
}

/*
 * The response namespace; doc and records are references it takes.  The
 * text is there when the endpoint reads it, and always for a setup or
 * teardown call (a few requests, whose expressions bf_runner_reads skips).
 */
static struct json_object *
response_namespace(BfRunner *r, const Iteration *it, const BfHttpResponse *resp,
				   struct json_object *doc, struct json_object *records)
{
	struct json_object *ns = json_object_new_object();

	json_object_object_add(ns, "status", json_object_new_int64(resp->status));
	json_object_object_add(ns, "headers", json_object_get(resp->headers));
	json_object_object_add(ns, "json", doc);
	json_object_object_add(ns, "records", records);
	if (r->needs_text || it->call != NULL)
		json_object_object_add(ns, "text",
							   json_object_new_string_len(resp->body ? resp->body : "",
														  (int) resp->body_len));
	return ns;
}

/*
 * The compiled records path: the loader's when it is constant, else the
 * template rendered and compiled (again only when its text changes).
 */
static const JpExpr *
records_path(BfRunner *r, const BfRecords *rec, BfError *err)
{
	const BfTmplField *f = &rec->jmespath;
	char	   *src;
	JpError		jerr;

	if (f->src == NULL)
		return NULL;
	if (rec->jmespath_expr != NULL)
		return rec->jmespath_expr;
	bf_error_clear(err);
	src = bf_template_render_text(f->tmpl, r->vars, err);
	if (src == NULL)
		return NULL;
	if (r->records_src != NULL && strcmp(src, r->records_src) == 0)
	{
		free(src);
		return r->records_path;
	}
	if (r->records_path)
		jp_free(r->records_path);
	free(r->records_src);
	r->records_src = src;
	r->records_path = jp_compile(src, &jerr);
	if (r->records_path == NULL)
		jp_error_to_bf(&jerr, src, err);
	return r->records_path;
}

/*
 * The records records.jq gives over a body (the template rendered first):
 * each output is a record, an output that is an array gives its elements,
 * and null outputs give none, as for records.jmespath.
 */
static struct json_object *
jq_records(BfRunner *r, const BfRecords *rec, struct json_object *doc, BfError *err)
{
	char	   *program;
	struct json_object *outputs;
	struct json_object *records;
	BfBudget	budget;
	size_t		i;

	bf_error_clear(err);
	program = bf_template_render_text(rec->jq.tmpl, r->vars, err);
	if (program == NULL)
	{
		bf_error_prefix(err, "%s", rec->jq.path);
		return NULL;
	}
	bf_budget_init(&budget);
	outputs = bf_jq_run(program, doc, &budget, err);
	free(program);
	if (outputs == NULL)
	{
		bf_error_prefix(err, "%s", rec->jq.path);
		return NULL;
	}
	records = json_object_new_array();
	for (i = 0; i < json_object_array_length(outputs); i++)
	{
		struct json_object *v = json_object_array_get_idx(outputs, i);
		size_t		k;

		if (!json_object_is_type(v, json_type_array))
		{
			if (v != NULL)
				json_object_array_add(records, json_object_get(v));
			continue;
		}
		for (k = 0; k < json_object_array_length(v); k++)
			json_object_array_add(records, json_object_get(json_object_array_get_idx(v, k)));
	}
	json_object_put(outputs);
	return records;
}

/*
 * The records of a parsed body: records.jmespath over it (the whole body
 * without one), an array as it is, an object as one record, null as none;
 * or those of records.jq.
 */
static struct json_object *
pick_records(BfRunner *r, const BfRecords *rec, struct json_object *doc, BfError *err)
{
	const JpExpr *path;
	struct json_object *out;
	struct json_object *arr;

	if (rec->jq.src != NULL)
		return jq_records(r, rec, doc, err);
	path = records_path(r, rec, err);
	if (err->kind != BF_OK)
	{
		bf_error_prefix(err, "%s", rec->jmespath.path);
		return NULL;
	}
	if (path != NULL)
	{
		JpError		jerr;

		out = jp_search(path, doc, &jerr);
		if (out == NULL && jerr.kind != JP_OK)
		{
			jp_error_to_bf(&jerr, rec->jmespath_expr ? rec->jmespath.src : r->records_src, err);
			bf_error_prefix(err, "%s", rec->jmespath.path);
			return NULL;
		}
	}
	else
		out = json_object_get(doc);
	if (out == NULL)
		return json_object_new_array();
	if (json_object_is_type(out, json_type_array))
		return out;
	arr = json_object_new_array();
	json_object_array_add(arr, out);
	return arr;
}

/*
 * The value of a processor's key in target once value is folded in by its
 * aggregation, as a new reference.  Without an aggregation it is the last
 * value.
 */
static struct json_object *
fold_key(const BfProcessor *p, const char *key, struct json_object *target,
		 struct json_object *value)
{
	struct json_object *old = NULL;
	bool		have = json_object_object_get_ex(target, key, &old);
	struct json_object *result = NULL;

	switch (p->aggregation)
	{
		case BF_AGG_NONE:
		case BF_AGG_LAST:
			result = json_object_get(value);
			break;
		case BF_AGG_FIRST:
			result = json_object_get(have ? old : value);
			break;
		case BF_AGG_MAXIMUM:
		case BF_AGG_MINIMUM:
			if (value == NULL)
				result = json_object_get(old);
			else if (!have || old == NULL)
				result = json_object_get(value);
			else
			{
				int			c = bf_compare_values(value, old);

				if (p->aggregation == BF_AGG_MINIMUM)
					c = -c;
				result = json_object_get(c > 0 ? value : old);
			}
			break;
		case BF_AGG_COLLECT:
			result = json_object_new_array();
			if (have && json_object_is_type(old, json_type_array))
			{
				size_t		i;

				for (i = 0; i < json_object_array_length(old); i++)
					json_object_array_add(result, json_object_get(json_object_array_get_idx(old, i)));
			}
			json_object_array_add(result, json_object_get(value));
			break;
	}
	return result;
}

/* fold_key under the processor's own output name. */
static struct json_object *
fold(const BfProcessor *p, struct json_object *target, struct json_object *value)
{
	return fold_key(p, p->output_name, target, value);
}

/*
 * An authentication sequence's auth.<name> or auth.headers.<Header>
 * output.  What a sequence makes is how the API is entered (a token, a
 * session id), so its text is masked like a secret in the run's messages.
 */
static void
auth_output(BfRunner *r, const BfProcessor *p, struct json_object *value)
{
	struct json_object *target = NULL;
	const char *key = p->output_name;

	json_object_object_get_ex(r->vars, "auth", &target);
	if (strncmp(key, "headers.", 8) == 0)
	{
		struct json_object *h = NULL;

		if (!json_object_object_get_ex(target, "headers", &h) ||
			!json_object_is_type(h, json_type_object))
		{
			h = json_object_new_object();
			json_object_object_add(target, "headers", h);
		}
		target = h;
		key += 8;
	}
	if (json_object_is_type(value, json_type_string))
		bf_runner_add_derived(r, json_object_get_string(value));
	json_object_object_add(target, key, fold_key(p, key, target, value));
}

/*
 * Fold value into the endpoint-wide value of a state key (Sling keeps the
 * aggregate on the endpoint: over all pages and iterations); the
 * iteration's state gets it once the page's records are through
 * (page_outputs), so every record of a page reads the state the page
 * started with, as in Sling (its suite's case 8: "state.request_count + 1"
 * over two records is 1).  A setup, teardown or sequence call aggregates
 * over its own records, in its own state.
 */
static void
aggregate(BfRunner *r, Iteration *it, const BfProcessor *p, struct json_object *value)
{
	struct json_object *result = fold(p, it->call ? it->state : r->aggregates, value);

	if (it == r->auth_call && json_object_is_type(result, json_type_string))
		bf_runner_add_derived(r, json_object_get_string(result));
	json_object_object_add(it->call ? it->state : r->aggregates, p->output_name, result);
}

/* A page's records are through: the iteration's state takes the aggregates. */
static void
page_outputs(BfRunner *r, Iteration *it)
{
	int			i;

	for (i = 0; it->call == NULL && i < it->resp->processor_count; i++)
	{
		const BfProcessor *p = &it->resp->processors[i];
		struct json_object *v;

		if (p->output_kind == BF_OUTPUT_STATE &&
			json_object_object_get_ex(r->aggregates, p->output_name, &v))
			json_object_object_add(it->state, p->output_name, json_object_get(v));
	}
}

static bool record_kept(BfRunner *r, struct json_object *record);

/*
 * Fold the state outputs held back for a record ([processor, value] pairs)
 * into state and write its queue outputs, now that the record is kept;
 * then free them.  False (err set) when a queue refuses an item.
 */
static bool
apply_pending(BfRunner *r, Iteration *it, struct json_object *pending, BfError *err)
{
	size_t		k;
	bool		ok = true;

	for (k = 0; ok && pending != NULL && k < json_object_array_length(pending); k++)
	{
		struct json_object *pair = json_object_array_get_idx(pending, k);
		const BfProcessor *p =
			&it->resp->processors[json_object_get_int(json_object_array_get_idx(pair, 0))];

		if (p->output_kind == BF_OUTPUT_QUEUE)
			ok = bf_runner_queue_append(r, p, json_object_array_get_idx(pair, 1), err);
		else
			aggregate(r, it, p, json_object_array_get_idx(pair, 1));
	}
	json_object_put(pending);
	return ok;
}

/* Hold a state or queue output back until the record is kept. */
static void
hold_back(struct json_object **pending, int i, struct json_object *value)
{
	struct json_object *pair = json_object_new_array();

	json_object_array_add(pair, json_object_new_int(i));
	json_object_array_add(pair, value);
	if (*pending == NULL)
		*pending = json_object_new_array();
	json_object_array_add(*pending, pair);
}

/*
 * Run the processors from the first-th on over one record (a reference the
 * caller gives up), adding what comes out to out.  A record processor that
 * gives a list (Sling's explode(record, "items")) gives one record per
 * element, each going on through the processors after it.  With a keep
 * filter (BfRunContext), the record's state outputs count only once it is
 * kept; those before an explode count for its elements as a whole.
 */
static bool
process_record(BfRunner *r, Iteration *it, struct json_object *record, int first,
			   struct json_object *out, BfError *err)
{
	const BfResponse *resp = it->resp;
	bool		failed = false;
	bool		filtered = (r->keep != NULL && it->call == NULL);
	struct json_object *pending = NULL;
	int			i;

	for (i = first; i < resp->processor_count; i++)
	{
		const BfProcessor *p = &resp->processors[i];
		struct json_object *value;

		bf_runner_set_var(r, "record", json_object_get(record));
		if (p->condition.expr)
		{
			struct json_object *cond = eval_field(r, &p->condition, err);
			bool		yes = bf_value_truthy(cond);

			json_object_put(cond);
			if ((failed = err->kind != BF_OK))
				break;
			if (!yes)
				continue;
		}
		value = eval_field(r, &p->expression, err);
		if ((failed = err->kind != BF_OK))
			break;
		switch (p->output_kind)
		{
			case BF_OUTPUT_STATE:
				if (filtered)
				{
					hold_back(&pending, i, value);
					break;
				}
				aggregate(r, it, p, value);
				json_object_put(value);
				break;
			case BF_OUTPUT_RECORD:
				json_object_put(record);
				record = value;
				if (json_object_is_type(record, json_type_array))
				{
					size_t		j;
					bool		ok = apply_pending(r, it, pending, err);

					for (j = 0; ok && j < json_object_array_length(record); j++)
						ok = process_record(r, it,
											json_object_get(json_object_array_get_idx(record, j)),
											i + 1, out, err);
					json_object_put(record);
					return ok;
				}
				break;
			case BF_OUTPUT_RECORD_FIELD:
				if (json_object_is_type(record, json_type_object))
					json_object_object_add(record, p->output_name, value);
				else
					json_object_put(value);
				break;
			case BF_OUTPUT_ENV:
			case BF_OUTPUT_STORE:
				{
					/* aggregated like state (Sling: "first" keeps the first record's) */
					struct json_object *ctx = NULL;
					struct json_object *target = r->env;

					if (p->output_kind == BF_OUTPUT_STORE)
					{
						json_object_object_get_ex(r->vars, "context", &ctx);
						json_object_object_get_ex(ctx, "store", &target);
					}
					json_object_object_add(target, p->output_name, fold(p, target, value));
					json_object_put(value);
				}
				break;
			case BF_OUTPUT_AUTH:
				auth_output(r, p, value);
				json_object_put(value);
				break;
			case BF_OUTPUT_NONE:
				/* evaluated for its effect (log) */
				json_object_put(value);
				break;
			case BF_OUTPUT_QUEUE:
				/* held back like state (runner.h, keep) */
				if (filtered)
				{
					hold_back(&pending, i, value);
					break;
				}
				failed = !bf_runner_queue_append(r, p, value, err);
				json_object_put(value);
				break;
		}
		if (failed)
			break;
	}
	if (failed)
	{
		json_object_put(pending);
		json_object_put(record);
		return false;
	}
	if (resp->records.casing != BF_CASING_NONE && json_object_is_type(record, json_type_object))
	{
		struct json_object *cased = bf_object_recase(record, resp->records.casing ==
													 BF_CASING_SNAKE ? BF_KEYCASE_SNAKE :
													 BF_KEYCASE_CAMEL);

		json_object_put(record);
		if (cased == NULL)
		{
			json_object_put(pending);
			return bf_error_set(err, BF_ERR_NOMEM, "out of memory");
		}
		record = cased;
	}
	if (filtered && !record_kept(r, record))
	{
		json_object_put(pending);
		json_object_put(record);
		return true;
	}
	if (!apply_pending(r, it, pending, err))
	{
		json_object_put(record);
		return false;
	}
	json_object_array_add(out, record);
	return true;
}

/*
 * The primary key of a record as one string of parts (keyset.h): strings
 * by their bytes, NULs included, other values by their JSON text, which
 * json-c keeps as the body wrote it for numbers (1.0 stays 1.0).  NULL when
 * memory runs out.
 */
static char *
record_key(const BfRecords *rec, struct json_object *record, size_t *len)
{
	size_t		cap = 0;
	char	   *key = NULL;
	int			i;
	bool		ok = true;

	*len = 0;
	for (i = 0; ok && i < rec->primary_key.count; i++)
	{
		struct json_object *v = NULL;
		const char *text;

		json_object_object_get_ex(record, rec->primary_key.items[i], &v);
		if (v == NULL)
			ok = bf_key_append_part(&key, len, &cap, BF_KEY_NULL, NULL, 0);
		else if (json_object_is_type(v, json_type_string))
			ok = bf_key_append_part(&key, len, &cap, BF_KEY_STRING, json_object_get_string(v),
									(size_t) json_object_get_string_len(v));
		else
		{
			text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
												  JSON_C_TO_STRING_NOSLASHESCAPE);
			ok = text != NULL &&
				bf_key_append_part(&key, len, &cap, BF_KEY_JSON, text, strlen(text));
		}
	}
	if (!ok)
	{
		free(key);
		return NULL;
	}
	return key;
}

/* A copy of s[0..len) without surrounding blanks. */
static char *
trimmed(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char) *s))
		s++, len--;
	while (len > 0 && isspace((unsigned char) s[len - 1]))
		len--;
	return strndup(s, len);
}

/*
 * Parse response.records.select once, as Sling reads it: a name ("id"), a
 * rename ("id as uid"), a glob ("user_*"), the rest ("*") or an exclusion
 * ("-internal_*"); a list of exclusions only keeps the rest.
 */
bool
bf_select_compile(BfRunner *r, BfError *err)
{
	const BfStrList *sel = &r->ep->response.records.select;
	bool		includes = false;
	int			i;

	if (sel->count == 0)
		return true;
	r->select = calloc(sel->count + 1, sizeof(SelectItem));
	if (r->select == NULL)
		return bf_error_set(err, BF_ERR_NOMEM, "out of memory");
	for (i = 0; i < sel->count; i++)
	{
		const char *text = sel->items[i];
		const char *as = strstr(text, " as ");
		SelectItem *item = &r->select[r->select_count++];

		if (text[0] == '-')
			item->kind = SELECT_EXCLUDE;
		else if (as != NULL)
		{
			item->kind = SELECT_NAME;
			item->alias = trimmed(as + 4, strlen(as + 4));
		}
		else if (strpbrk(text, "*?[") != NULL)
			item->kind = strspn(text, " *") == strlen(text) ? SELECT_REST : SELECT_GLOB;
		else
			item->kind = SELECT_NAME;
		item->pattern = item->kind == SELECT_EXCLUDE ? trimmed(text + 1, strlen(text + 1)) :
			trimmed(text, as != NULL ? (size_t) (as - text) : strlen(text));
		if (item->kind != SELECT_REST && (item->pattern[0] == '\0' ||
										  (item->alias != NULL && item->alias[0] == '\0')))
			return bf_error_set(err, BF_ERR_VALUE,
								"response.records.select: \"%s\" names no column", text);
		includes = includes || item->kind != SELECT_EXCLUDE;
	}
	if (!includes)
		r->select[r->select_count++].kind = SELECT_REST;
	return true;
}

void
bf_select_free(BfRunner *r)
{
	int			i;

	for (i = 0; i < r->select_count; i++)
	{
		free(r->select[i].pattern);
		free(r->select[i].alias);
	}
	free(r->select);
}

/* Does an entry of this kind name the column key? */
static bool
select_names(const BfRunner *r, const char *key, bool exclusions)
{
	int			i;

	for (i = 0; i < r->select_count; i++)
	{
		const SelectItem *item = &r->select[i];

		if ((item->kind == SELECT_EXCLUDE) != exclusions || item->kind == SELECT_REST)
			continue;
		if (item->kind == SELECT_NAME ? strcmp(item->pattern, key) == 0 :
			fnmatch(item->pattern, key, 0) == 0)
			return true;
	}
	return false;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * The columns of record a glob or "*" entry adds, in name order (Sling
 * sorts them: the API's order of keys is not kept).
 */
static void
select_matching(const BfRunner *r, const SelectItem *item, struct json_object *record,
				struct json_object *out)
{
	const char **names = malloc(sizeof(char *) * (json_object_object_length(record) + 1));
	size_t		n = 0;
	size_t		i;

	{
		json_object_object_foreach(record, key, value)
		{
			(void) value;
			if (select_names(r, key, true))
				continue;
			if (item->kind == SELECT_GLOB ? fnmatch(item->pattern, key, 0) == 0 :
				!select_names(r, key, false))
				names[n++] = key;
		}
	}
	qsort(names, n, sizeof(char *), compare_names);
	for (i = 0; i < n; i++)
	{
		struct json_object *v = NULL;

		json_object_object_get_ex(record, names[i], &v);
		json_object_object_add(out, names[i], json_object_get(v));
	}
	free(names);
}

/* records.select over a record (a reference the caller gives up). */
static struct json_object *
select_columns(const BfRunner *r, struct json_object *record)
{
	struct json_object *out;
	int			i;

	if (!json_object_is_type(record, json_type_object))
		return record;
	out = json_object_new_object();
	for (i = 0; i < r->select_count; i++)
	{
		const SelectItem *item = &r->select[i];
		struct json_object *v = NULL;

		switch (item->kind)
		{
			case SELECT_NAME:
				json_object_object_get_ex(record, item->pattern, &v);
				json_object_object_add(out, item->alias ? item->alias : item->pattern,
									   json_object_get(v));
				break;
			case SELECT_GLOB:
			case SELECT_REST:
				select_matching(r, item, record, out);
				break;
			case SELECT_EXCLUDE:
				break;
		}
	}
	json_object_put(record);
	return out;
}

/*
 * The keep filter's verdict on a record as its caller will see it, that is
 * after response.records.select (which may rename the range column).
 */
static bool
record_kept(BfRunner *r, struct json_object *record)
{
	struct json_object *view = json_object_get(record);
	bool		keep;

	if (r->select_count > 0)
		view = select_columns(r, view);
	keep = r->keep(r->keep_arg, view);
	json_object_put(view);
	return keep;
}

/*
 * Processors, de-duplication, the limit and select over a response's
 * records; a setup or teardown call's records end after the processors.
 */
static bool
accept_records(BfRunner *r, Iteration *it, struct json_object *records, BfError *err)
{
	const BfRecords *rec = &r->ep->response.records;
	struct json_object *out = json_object_new_array();
	struct json_object *done = json_object_new_array();	/* one record's, processed */
	size_t		n = json_object_array_length(records);
	size_t		i;
	size_t		j;
	bool		ok = true;

	for (i = 0; ok && i < n && !(it->call == NULL && r->stopped && r->limit > 0); i++)
	{
		ok = process_record(r, it, json_object_get(json_object_array_get_idx(records, i)), 0,
							done, err);
		for (j = 0; ok && it->call == NULL && j < json_object_array_length(done); j++)
		{
			struct json_object *record = json_object_get(json_object_array_get_idx(done, j));

			if (r->stopped && r->limit > 0)
			{
				json_object_put(record);
				break;
			}
			if (r->seen != NULL)
			{
				size_t		len;
				char	   *key = record_key(rec, record, &len);

				/* no memory for the key: keep the record rather than lose it */
				bool		fresh = key == NULL || bf_keyset_add(r->seen, key, len);

				free(key);
				if (!fresh)
				{
					json_object_put(record);
					continue;
				}
			}
			/* queue_only: processed, de-duplicated, never handed out */
			if (r->ep->queue_only)
			{
				json_object_put(record);
				continue;
			}
			if (r->select_count > 0)
				record = select_columns(r, record);
			json_object_array_add(out, record);
			if (r->limit > 0 && ++r->queued >= r->limit)
				r->stopped = true;
		}
		json_object_array_del_idx(done, 0, json_object_array_length(done));
	}
	json_object_put(done);
	page_outputs(r, it);
	bf_runner_set_var(r, "record", NULL);
	if (!ok)
	{
		json_object_put(out);
		return false;
	}
	bf_runner_emit(r, out);
	return true;
}

bool
bf_accept_over_records(BfRunner *r, Iteration *it, struct json_object *value, BfError *err)
{
	struct json_object *records;
	struct json_object *ns = json_object_new_object();
	bool		ok;

	if (json_object_is_type(value, json_type_array))
		records = json_object_get(value);
	else
	{
		records = json_object_new_array();
		if (value != NULL)
			json_object_array_add(records, json_object_get(value));
	}
	json_object_object_add(ns, "records", json_object_get(records));
	bf_runner_set_var(r, "state", json_object_get(it->state));
	bf_runner_set_var(r, "response", ns);
	ok = accept_records(r, it, records, err);
	bf_runner_set_var(r, "response", NULL);
	json_object_put(records);
	return ok;
}

/* The backoff of a retry, in seconds (Sling's formulas; see the header). */
static double
backoff_delay(const BfRule *rule, int attempt, const BfHttpResponse *resp)
{
	double		base = rule->backoff_base;
	double		d = 0;
	double		ra = bf_http_retry_after(resp->headers, (double) time(NULL));

	switch (rule->backoff)
	{
		case BF_BACKOFF_NONE:
			d = 0;
			break;
		case BF_BACKOFF_CONSTANT:
			d = base;
			break;
		case BF_BACKOFF_LINEAR:
			d = base * attempt;
			break;
		case BF_BACKOFF_EXPONENTIAL:
			d = base * pow(2.0, attempt - 1);
			break;
		case BF_BACKOFF_JITTER:
			d = base * pow(2.0, attempt - 1) * (0.5 + (double) rand() / RAND_MAX);
			break;
	}
	return ra >= 0 ? ra : d;
}

/* The rule that decides this response: the first whose condition holds. */
static const BfRule *
match_rule(BfRunner *r, const BfResponse *resp, BfError *err)
{
	int			i;

	for (i = 0; i < resp->rule_count; i++)
	{
		struct json_object *v = eval_field(r, &resp->rules[i].condition, err);
		bool		yes = bf_value_truthy(v);

		json_object_put(v);
		if (err->kind != BF_OK)
			return NULL;
		if (yes)
			return &resp->rules[i];
	}
	return NULL;
}

/*
 * The trace line of a retry: which attempt of which request, and the rule
 * that asked for it; the wait and where it comes from in the detail.
 */
static void
trace_retry(BfRunner *r, const Iteration *it, const BfRule *rule,
			const BfHttpResponse *resp, double asked, double delay)
{
	static const char *const backoffs[] = {"none", "constant", "linear", "exponential", "jitter"};
	char		detail[160];
	char		status[32];

	if (asked >= 0)
		snprintf(detail, sizeof(detail), "waiting %.3f s, as the server asked (%s)", delay,
				 json_object_object_get_ex(resp->headers, "retry-after", NULL) ?
				 "Retry-After" : "RateLimit-Reset");
	else
		snprintf(detail, sizeof(detail), "waiting %.3f s (backoff %s, backoff_base %g s)",
				 delay, backoffs[rule->backoff], rule->backoff_base);
	if (resp->status == 0)
		snprintf(status, sizeof(status), "a failed transfer");
	else
		snprintf(status, sizeof(status), "status %ld", resp->status);
	/* a default rule's path is already 'default rule "name"' */
	bf_runner_trace(r, detail, "retry %d of %d of %s %s after %s (%s%s)",
					it->attempts, rule->max_attempts, bf_http_method_name(resp->method),
					resp->effective_url, status, rule->default_name ? "" : "rule ",
					rule->path);
}

/*
 * Schedule a retry, or fail when the rule's attempts are spent or the
 * server asks for a longer wait than BF_HTTP_MAX_SERVER_WAIT.
 */
static bool
retry(BfRunner *r, Iteration *it, const BfRule *rule, const BfHttpResponse *resp,
	  BfError *err)
{
	double		delay;
	double		asked = bf_http_retry_after(resp->headers, (double) time(NULL));

	if (it->attempts > rule->max_attempts)
	{
		char		why[64];

		snprintf(why, sizeof(why), "gave up after %d retries: ", rule->max_attempts);
		return http_error(r, it, resp, why, err);
	}
	if (asked > BF_HTTP_MAX_SERVER_WAIT)
	{
		char		why[160];

		snprintf(why, sizeof(why),
				 "the server asks to wait %.0f s (%s), more than the %.0f s allowed: ",
				 asked, json_object_object_get_ex(resp->headers, "retry-after", NULL) ?
				 "Retry-After" : "RateLimit-Reset", BF_HTTP_MAX_SERVER_WAIT);
		return http_error(r, it, resp, why, err);
	}
	delay = backoff_delay(rule, it->attempts, resp);
	if (r->trace)
		trace_retry(r, it, rule, resp, asked, delay);
	it->phase = ITER_RETRY_WAIT;
	it->retry_at = bf_http_now() + delay;
	if (resp->status == 429 || bf_http_retry_after(resp->headers, (double) time(NULL)) >= 0)
		bf_http_pause_until(r->http, it->retry_at);
	r->stats.retries++;
	return true;
}

/*
 * A stop rule of a setup call: no more setup calls and no iterations (the
 * teardown calls still run), and a warning saying why, with the rule's
 * message when it has one, since the endpoint then returns no records.
 */
static bool
stop_in_setup(BfRunner *r, Iteration *it, const BfRule *rule, BfError *err)
{
	char	   *msg = NULL;

	r->stopped = true;
	if (rule->message.tmpl != NULL)
	{
		bf_error_clear(err);
		msg = bf_template_render_text(rule->message.tmpl, r->vars, err);
		if (msg == NULL)
		{
			bf_error_prefix(err, "%s", rule->message.path);
			return false;
		}
	}
	bf_runner_warn(r, "%s stopped the endpoint before its requests%s%s",
				   it->call->path, msg ? ": " : "", msg ? msg : "");
	free(msg);
	return true;
}

/* A fail rule: its message when it has one, else the HTTP error. */
static bool
fail(BfRunner *r, Iteration *it, const BfRule *rule, const BfHttpResponse *resp,
	 BfError *err)
{
	char	   *msg;

	if (rule->message.tmpl == NULL)
		return http_error(r, it, resp, NULL, err);
	bf_error_clear(err);
	msg = bf_template_render_text(rule->message.tmpl, r->vars, err);
	if (msg == NULL)
		return false;
	bf_error_set(err, BF_ERR_HTTP, "%s (HTTP %ld)", msg, resp->status);
	free(msg);
	return false;
}

/*
 * After a page: stop_condition, else next_state for the next one.  With no
 * stop_condition, a page without records or a next_state that changes no
 * value ends the iteration (see the file header).
 */
static bool
paginate(BfRunner *r, Iteration *it, size_t page_records, BfError *err)
{
	const BfPagination *pg = it->pg;
	struct json_object *next;
	bool		changed = false;
	int			i;

	/* past the limit a next page would only be read to be dropped */
	if ((pg->next_state.count == 0 && pg->stop_condition.expr == NULL) ||
		(it->call == NULL && r->limit > 0 && r->queued >= r->limit))
	{
		it->phase = ITER_DONE;
		return true;
	}
	if (pg->stop_condition.expr != NULL)
	{
		struct json_object *v = eval_field(r, &pg->stop_condition, err);
		bool		stop = bf_value_truthy(v);

		json_object_put(v);
		if (err->kind != BF_OK)
			return false;
		if (stop)
		{
			it->phase = ITER_DONE;
			return true;
		}
	}
	else if (page_records == 0)
	{
		it->phase = ITER_DONE;
		return true;
	}
	/* every key renders against the page's state before any is assigned */
	next = json_object_new_object();
	for (i = 0; i < pg->next_state.count; i++)
	{
		struct json_object *v;

		bf_error_clear(err);
		v = bf_render_value(&pg->next_state.items[i], r->vars, err);
		if (err->kind != BF_OK)
		{
			json_object_put(next);
			return false;
		}
		json_object_object_add(next, pg->next_state.keys[i], v);
	}
	{
		json_object_object_foreach(next, key, value)
		{
			struct json_object *old = NULL;

			json_object_object_get_ex(it->state, key, &old);
			if (!json_object_equal(old, value))
				changed = true;
			json_object_object_add(it->state, key, json_object_get(value));
		}
	}
	json_object_put(next);
	if (!changed && pg->stop_condition.expr == NULL)
		it->phase = ITER_DONE;
	else if (it->pages + 1 >= pg->max_pages)
	{
		struct json_object *url = NULL;

		json_object_object_get_ex(it->request, "url", &url);
		return bf_error_set(err, BF_ERR_HTTP,
							"pagination did not end after %ld pages (pagination.max_pages is %d; "
							"raise it if the API really has more), last page %s",
							it->pages + 1, pg->max_pages, json_object_get_string(url));
	}
	else
	{
		it->phase = ITER_SUBMIT;
		it->attempts = 0;
		it->auth_retried = false;
		it->pages++;
	}
	return true;
}

/* Parse the body; a body that does not parse is kept as an error for later. */
static struct json_object *
parse_response(const Iteration *it, const BfHttpResponse *resp, BfError *perr)
{
	BfFormat	format = it->resp->format;
	struct json_object *ctype = NULL;

	bf_error_clear(perr);
	if (resp->body_len == 0)
		return NULL;
	if (format == BF_FORMAT_AUTO)
	{
		json_object_object_get_ex(resp->headers, "content-type", &ctype);
		format = bf_format_detect(ctype ? json_object_get_string(ctype) : NULL);
	}
	return bf_parse_body(resp->body, resp->body_len, format, perr);
}

/*
 * Whether this page's body is the body of the iteration's page before it,
 * which an API that ignores the page parameter sends for ever; the body's
 * hash is kept for the next page either way.
 */
static bool
repeats_last_page(Iteration *it, const char *body, size_t len)
{
	uint64_t	hash = bf_keyset_hash(body, len);
	bool		same = it->have_last && it->pages > 0 && hash == it->last_hash &&
		len == it->last_len;

	it->last_hash = hash;
	it->last_len = len;
	it->have_last = true;
	return same;
}

/* The default rule that retries 5xx, which a transient transport failure takes. */
static const BfRule *
server_error_rule(const BfResponse *resp)
{
	int			i;

	for (i = 0; i < resp->rule_count; i++)
	{
		const char *name = resp->rules[i].default_name;

		if (name != NULL && strcmp(name, BF_SERVER_ERROR_RULE) == 0)
			return &resp->rules[i];
	}
	return NULL;
}

bool
bf_handle_response(BfRunner *r, Iteration *it, BfHttpResponse *resp, BfError *err)
{
	BfError		perr;
	bool		fallback = true;
	/* the fast path (runner_raw.c) serves the endpoint's own pages only */
	Batch	   *raw = (r->raw && it->call == NULL) ?
		bf_raw_extract(r, resp, &fallback, &perr) : NULL;
	struct json_object *doc = fallback ? parse_response(it, resp, &perr) : NULL;
	struct json_object *records = NULL;
	struct json_object *before = NULL;	/* a call's state before its processors */
	const BfRule *rule;
	size_t		page_records = 0;
	bool		ok = true;

	bf_error_clear(err);
	if (raw == NULL && perr.kind == BF_OK && resp->status >= 200 && resp->status < 300)
	{
		records = pick_records(r, &it->resp->records, doc, err);
		if (records == NULL)
		{
			json_object_put(doc);
			return false;
		}
	}
	bf_runner_set_var(r, "state", json_object_get(it->state));
	bf_runner_set_var(r, "request", json_object_get(it->request));
	bf_runner_set_var(r, "response", response_namespace(r, it, resp, doc,
														records ? json_object_get(records) : json_object_new_array()));
	/* a call's processors first, on a copy of its state kept for an undo */
	if (it->call != NULL && records != NULL)
	{
		before = json_object_new_object();
		bf_merge_into(before, it->state);
		if (!accept_records(r, it, records, err))
		{
			json_object_put(before);
			json_object_put(records);
			bf_runner_set_var(r, "response", NULL);
			return false;
		}
	}
	rule = match_rule(r, it->resp, err);
	if (rule == NULL && resp->status == 0 && resp->transient)
		rule = server_error_rule(it->resp);
	if (err->kind != BF_OK)
		ok = false;
	else if (resp->status == 0 && (rule == NULL || rule->action != BF_RULE_RETRY))
		ok = http_error(r, it, resp, NULL, err);
	else if ((rule == NULL || rule->action == BF_RULE_CONTINUE) &&
			 resp->status >= 200 && resp->status < 300 &&
			 /* the fast path has taken the body over */
			 repeats_last_page(it, raw ? raw->body : resp->body, resp->body_len))
	{
		struct json_object *url = NULL;

		json_object_object_get_ex(it->request, "url", &url);
		bf_runner_warn(r, "page %ld (%s) repeats the page before it; "
					   "the API seems to ignore the pagination, so the iteration ends there",
					   it->pages + 1, json_object_get_string(url));
		it->phase = ITER_DONE;
	}
	else if (rule == NULL || rule->action == BF_RULE_CONTINUE)
	{
		if (perr.kind != BF_OK && resp->status >= 200 && resp->status < 300)
		{
			char		why[BF_ERROR_MAX];

			snprintf(why, sizeof(why), "%s: ", perr.message);
			ok = http_error(r, it, resp, why, err);
			err->kind = BF_ERR_RESPONSE;
		}
		else
		{
			if (raw != NULL)
			{
				page_records = bf_raw_accept(r, raw);
				raw = NULL;		/* queued */
			}
			else
				page_records = records ? json_object_array_length(records) : 0;
			ok = (records == NULL || it->call != NULL ||
				  accept_records(r, it, records, err)) &&
				paginate(r, it, page_records, err);
		}
	}
	else
	{
		switch (rule->action)
		{
			case BF_RULE_RETRY:
				ok = retry(r, it, rule, resp, err);
				break;
			case BF_RULE_SKIP:
				ok = paginate(r, it, 0, err);
				break;
			case BF_RULE_STOP:
				if (it->call == NULL)
					r->stopped = true;
				else if (r->phase == RUN_SETUP)
					ok = stop_in_setup(r, it, rule, err);
				/* FALLTHROUGH */
			case BF_RULE_BREAK:
				it->phase = ITER_DONE;
				break;
			case BF_RULE_FAIL:
				ok = fail(r, it, rule, resp, err);
				break;
			case BF_RULE_CONTINUE:
				break;
		}
	}
	/* a response the call's rules retry, skip or fail leaves no state behind */
	if (before != NULL && rule != NULL && (rule->action == BF_RULE_RETRY ||
										   rule->action == BF_RULE_SKIP ||
										   rule->action == BF_RULE_FAIL))
	{
		json_object_put(it->state);
		it->state = before;
		before = NULL;
	}
	json_object_put(before);
	json_object_put(records);
	if (raw != NULL)
		bf_batch_free(raw);
	bf_runner_set_var(r, "response", NULL);
	return ok;
}
