/*-------------------------------------------------------------------------
 *
 * runner_phase.c
 *		  What the runner's phases may do to it (runner_phase.h): set a
 *		  namespace their expressions see, remember a value made from
 *		  secrets (to mask it), queue a warning or a trace line, queue a batch of records; and
 *		  the questions they share: does an expression of the endpoint
 *		  read a path, how do two values compare.
 *
 * Nothing here calls another file of the runner, so the request and
 * response phases can use it without calling back into runner.c.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr.h"
#include "runner/runner_phase.h"

/*
 * Remember a value made from secrets, to mask it in the run's messages.
 * A signature changes with every request, so only the last few are kept:
 * enough for the requests in flight, whose errors may show them.
 */
#define MAX_DERIVED 64
void
bf_runner_add_derived(BfRunner *r, const char *value)
{
	char		key[16];

	snprintf(key, sizeof(key), "%d", r->n_derived++ % MAX_DERIVED);
	json_object_object_add(r->derived, key, json_object_new_string(value));
}

/* Queue a warning, "endpoint \"name\": ..." like the run's errors. */
void
bf_runner_warn(BfRunner *r, const char *fmt,...)
{
	char		msg[BF_ERROR_MAX];
	char		line[BF_ERROR_MAX + 128];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "endpoint \"%s\": %s", r->ep->name, msg);
	bf_error_mask_secrets(line, r->derived);
	json_object_array_add(r->warnings, json_object_new_string(line));
}

/*
 * Queue a trace line and its detail, each masked like a warning, when the
 * caller asked for a trace; nothing is formatted otherwise.
 */
void
bf_runner_trace(BfRunner *r, const char *detail, const char *fmt,...)
{
	char		msg[BF_ERROR_MAX];
	char		line[BF_ERROR_MAX + 128];
	char		det[BF_ERROR_MAX];
	struct json_object *pair;
	va_list		ap;

	if (!r->trace)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "endpoint \"%s\": %s", r->ep->name, msg);
	snprintf(det, sizeof(det), "%s", detail);
	bf_error_mask_secrets(line, r->derived);
	bf_error_mask_secrets(det, r->derived);
	pair = json_object_new_array();
	json_object_array_add(pair, json_object_new_string(line));
	json_object_array_add(pair, json_object_new_string(det));
	json_object_array_add(r->traces, pair);
}

/* Put value (a reference the caller gives up) under a namespace name. */
void
bf_runner_set_var(BfRunner *r, const char *ns, struct json_object *value)
{
	json_object_object_add(r->vars, ns, value);
}

void
bf_merge_into(struct json_object *dst, struct json_object *src)
{
	json_object_object_foreach(src, key, value)
		json_object_object_add(dst, key, json_object_get(value));
}

/* Queue a batch of records. */
void
bf_runner_emit_batch(BfRunner *r, Batch *b)
{
	if (r->tail)
		r->tail->next = b;
	else
		r->head = b;
	r->tail = b;
	r->batches++;
}

/* Queue a response's records (an array, given up by the caller). */
void
bf_runner_emit(BfRunner *r, struct json_object *records)
{
	Batch	   *b;

	if (json_object_array_length(records) == 0)
	{
		json_object_put(records);
		return;
	}
	b = calloc(1, sizeof(Batch));
	b->records = records;
	bf_runner_emit_batch(r, b);
}

/*
 * A processor's value to its queue (output: queue.X), through the caller's
 * store: a list is one item per element, as Sling's queue does; anything
 * else, null included, is one item (Sling writes null as null).
 */
bool
bf_runner_queue_append(BfRunner *r, const BfProcessor *p, struct json_object *value,
					   BfError *err)
{
	bool		list = json_object_is_type(value, json_type_array);
	size_t		n = list ? json_object_array_length(value) : 1;
	struct json_object *count = NULL;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		struct json_object *item = list ? json_object_array_get_idx(value, i) : value;
		size_t		len;
		const char *text = json_object_to_json_string_length(item, JSON_C_TO_STRING_PLAIN |
															 JSON_C_TO_STRING_NOSLASHESCAPE,
															 &len);

		if (text == NULL)
			return bf_error_set(err, BF_ERR_NOMEM, "out of memory writing queue.%s",
								p->output_name);
		if (!r->queue_ops->append(r->queue_store, p->output_name, text, len, err))
		{
			bf_error_prefix(err, "%s", p->path);
			return false;
		}
	}
	json_object_object_get_ex(r->queue_items, p->output_name, &count);
	json_object_object_add(r->queue_items, p->output_name,
						   json_object_new_int64(json_object_get_int64(count) + (int64_t) n));
	r->stats.queue_items += (long) n;
	return true;
}

/* Free a batch with the records or the body it holds. */
void
bf_batch_free(Batch *b)
{
	json_object_put(b->records);
	free(b->body);
	free(b->spans);
	free(b);
}

/* Visitor for bf_runner_reads: does a read path start with the wanted one? */
typedef struct ReadsArg
{
	const char *want;
	bool		found;
} ReadsArg;

static void
reads_visit(const char *path, void *arg)
{
	ReadsArg   *a = (ReadsArg *) arg;

	if (strncmp(path, a->want, strlen(a->want)) == 0)
		a->found = true;
}

bool
bf_runner_reads(const BfEndpoint *ep, const char *path)
{
	ReadsArg	a = {path, false};
	int			i;

	for (i = 0; i < ep->response.rule_count; i++)
	{
		if (ep->response.rules[i].condition.expr)
			bf_expr_visit_refs(ep->response.rules[i].condition.expr, reads_visit, &a);
		if (ep->response.rules[i].message.tmpl)
			bf_template_visit_refs(ep->response.rules[i].message.tmpl, reads_visit, &a);
	}
	for (i = 0; i < ep->response.processor_count; i++)
	{
		bf_expr_visit_refs(ep->response.processors[i].expression.expr, reads_visit, &a);
		if (ep->response.processors[i].condition.expr)
			bf_expr_visit_refs(ep->response.processors[i].condition.expr, reads_visit, &a);
	}
	if (ep->pagination.stop_condition.expr)
		bf_expr_visit_refs(ep->pagination.stop_condition.expr, reads_visit, &a);
	for (i = 0; i < ep->pagination.next_state.count; i++)
	{
		const BfValue *v = &ep->pagination.next_state.items[i];

		if (v->kind == BF_VALUE_TEMPLATE)
			bf_template_visit_refs(v->tmpl.tmpl, reads_visit, &a);
	}
	return a.found;
}

/* Order two values for maximum and minimum: numbers by value, else as text. */
int
bf_compare_values(struct json_object *a, struct json_object *b)
{
	json_type	ta = json_object_get_type(a);
	json_type	tb = json_object_get_type(b);
	char	   *x;
	char	   *y;
	int			c;

	if ((ta == json_type_int || ta == json_type_double) &&
		(tb == json_type_int || tb == json_type_double))
	{
		double		dx = json_object_get_double(a);
		double		dy = json_object_get_double(b);

		return dx < dy ? -1 : dx > dy ? 1 : 0;
	}
	/* dates travel as ISO 8601 text, which orders as text */
	x = bf_value_to_text(a);
	y = bf_value_to_text(b);
	c = strcmp(x, y);
	free(x);
	free(y);
	return c;
}
