/*-------------------------------------------------------------------------
 *
 * runner.c
 *		  The endpoint runner: scheduling iterations and handing out records.
 *
 * iterate.over is evaluated once, after the setup calls (so that they can
 * produce what it iterates over); each of its values starts an iteration
 * with its own copy of the state, at most iterate.concurrency at a time,
 * and each iteration pages on its own.  The request engine caps requests
 * in flight and their rate for the whole endpoint.  Responses become
 * batches of records (runner_response.c), handed out one by one; while
 * records are being handed out the runner drives transfers only now and
 * then and only while few batches wait, so memory holds the responses in
 * flight and not the range.
 *
 * Setup calls run before the first iteration, one after another, each
 * seeing the state the previous ones left (defaults.state and the
 * endpoint's state rendered first, as Sling's suite case 24 wants); the state
 * keys they write are given to every iteration.  Teardown calls run the
 * same way once the iterations are over, on the state the run ends with.
 * A call's records only feed its processors, which run before its rules
 * (runner_response.c); a stop rule of a setup call ends the setup calls and
 * leaves the endpoint nothing to iterate, as Sling's setup hands its stop
 * to the endpoint.
 *
 * Authentication that takes requests of its own comes before any of
 * these: an oauth2 token (runner_request.c), or the calls of a sequence,
 * run one after another like setup calls, whose state.* outputs become
 * the base state and whose auth.* outputs the auth namespace.  It is done
 * again when it expires and a request is due, and when the API answers a
 * request with 401 (that request is then sent again, once).
 *
 * Queues (queue.h) come from the caller's store: an over of "queue.X" or
 * "chunk(queue.X, n)" is read from it an iteration at a time, never made
 * one array (memory does not grow with the queue), and any other read of
 * queue.X gets the queue whole, as an array, when the run starts.  With
 * into: response.records an iteration makes no request: its value is its
 * records, and it ends as it starts, so the batches waiting to be handed
 * out bound how many run ahead.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "expr/expr.h"
#include "json/formats.h"
#include "runner/runner_phase.h"
#include "runner/runner_prefetch.h"
#include "runner/runner_raw.h"
#include "runner/runner_request.h"
#include "runner/runner_response.h"

/* Records handed out between two looks at the transfers. */
#define DRIVE_EVERY 256
/* Batches waiting to be handed out before the runner stops reading ahead. */
#define MAX_WAITING_BATCHES 4

/* Fail the run (the first error wins), prefixed with the endpoint. */
static bool
bf_runner_fail(BfRunner *r, const BfError *err)
{
	if (!r->failed)
	{
		r->failed = true;
		r->error = *err;
		bf_error_prefix(&r->error, "endpoint \"%s\"", r->ep->name);
		bf_error_mask_secrets(r->error.message, r->derived);
	}
	return false;
}

char *
bf_runner_take_warning(BfRunner *r)
{
	char	   *out;

	if (json_object_array_length(r->warnings) == 0)
		return NULL;
	out = strdup(json_object_get_string(json_object_array_get_idx(r->warnings, 0)));
	json_object_array_del_idx(r->warnings, 0, 1);
	return out;
}

char *
bf_runner_take_trace(BfRunner *r, char **detail)
{
	struct json_object *pair;
	char	   *out;

	*detail = NULL;
	if (json_object_array_length(r->traces) == 0)
		return NULL;
	pair = json_object_array_get_idx(r->traces, 0);
	out = strdup(json_object_get_string(json_object_array_get_idx(pair, 0)));
	*detail = strdup(json_object_get_string(json_object_array_get_idx(pair, 1)));
	json_object_array_del_idx(r->traces, 0, 1);
	return out;
}

/* What held a request in the queue, as the trace says it. */
static const char *
hold_reason(const BfRunner *r, BfHttpHold hold, char *buf, size_t size)
{
	switch (hold)
	{
		case BF_HTTP_HELD_NONE:
			break;
		case BF_HTTP_HELD_SLOT:
			snprintf(buf, size, "a free connection (request.concurrency %d)",
					 r->ep->request.concurrency);
			return buf;
		case BF_HTTP_HELD_RATE:
			snprintf(buf, size, "the rate limit (request.rate %g/s)", r->ep->request.rate);
			return buf;
		case BF_HTTP_HELD_PAUSE:
			return "a pause the server asked for (Retry-After)";
	}
	return NULL;
}

/*
 * The trace line of a completed request: what was asked and answered in
 * the line, how long it took and waited in the detail.
 */
static void
trace_response(BfRunner *r, const BfHttpResponse *resp)
{
	char		detail[256];
	char		why[96];
	const char *held = hold_reason(r, resp->held_by, why, sizeof(why));
	int			len;

	len = snprintf(detail, sizeof(detail), "%.1f ms", resp->elapsed * 1000.0);
	if (held != NULL && resp->queued >= 0.0005 && len < (int) sizeof(detail))
		snprintf(detail + len, sizeof(detail) - len, ", after %.0f ms queued for %s",
				 resp->queued * 1000.0, held);
	if (resp->status == 0)
		bf_runner_trace(r, detail, "%s", resp->error ? resp->error : "request failed");
	else
		bf_runner_trace(r, detail, "%s %s: %ld, %zu bytes", bf_http_method_name(resp->method),
						resp->effective_url, resp->status, resp->body_len);
}

/* The keys of state that processors of resp write, copied into dst. */
static void
copy_outputs(const BfResponse *resp, struct json_object *state, struct json_object *dst)
{
	int			i;

	for (i = 0; i < resp->processor_count; i++)
	{
		const BfProcessor *p = &resp->processors[i];
		struct json_object *v;

		if (p->output_kind == BF_OUTPUT_STATE &&
			json_object_object_get_ex(state, p->output_name, &v))
			json_object_object_add(dst, p->output_name, json_object_get(v));
	}
}

static void
free_iteration(Iteration *it)
{
	json_object_put(it->state);
	json_object_put(it->request);
	free(it);
}

/* Unlink an iteration and free it. */
static void
bf_runner_drop_iteration(BfRunner *r, Iteration *it)
{
	Iteration **p;

	for (p = &r->iterations; *p != NULL; p = &(*p)->next)
	{
		if (*p == it)
		{
			*p = it->next;
			break;
		}
	}
	bf_prefetch_orphan(r, it);
	r->active--;
	if (it->phase == ITER_IN_FLIGHT)
	{
		it->next = r->dropped;
		r->dropped = it;
		return;
	}
	free_iteration(it);
}

/*
 * The response of an iteration dropped while its request was in flight
 * (begin_teardown, a limit reached): free the iteration; the response goes
 * unread.  False when user is no dropped iteration.
 */
static bool
take_dropped(BfRunner *r, void *user)
{
	Iteration **p;

	for (p = &r->dropped; *p != NULL; p = &(*p)->next)
	{
		if (*p == user)
		{
			Iteration  *it = *p;

			*p = it->next;
			free_iteration(it);
			return true;
		}
	}
	return false;
}

/*
 * An iteration ended: keep what the run's state is made of (a call's
 * outputs for the calls after it and the iterations, a main iteration's
 * state for bf_runner_state), then free it.
 */
static void
bf_runner_iteration_done(BfRunner *r, Iteration *it)
{
	if (it->call != NULL)
	{
		copy_outputs(it->resp, it->state, r->call_state);
		copy_outputs(it->resp, it->state, r->phase == RUN_SETUP ? r->setup_out : r->last_state);
	}
	else
	{
		json_object_put(r->last_state);
		r->last_state = json_object_get(it->state);
		r->stats.iterations_done++;
	}
	bf_runner_drop_iteration(r, it);
}

/* The next queued record, or false when none is queued. */
static bool
pop_record(BfRunner *r, BfRecord *out)
{
	while (r->head != NULL)
	{
		Batch	   *b = r->head;

		if (b->records != NULL && b->pos < json_object_array_length(b->records))
		{
			out->value = json_object_get(json_object_array_get_idx(b->records, b->pos++));
			return true;
		}
		if (b->records == NULL && b->pos < b->nspans)
		{
			out->raw = b->body + b->spans[2 * b->pos];
			out->raw_len = b->spans[2 * b->pos + 1] - b->spans[2 * b->pos];
			b->pos++;
			return true;
		}
		r->head = b->next;
		if (r->head == NULL)
			r->tail = NULL;
		bf_batch_free(b);
		r->batches--;
	}
	return false;
}

/* The context namespace (DESIGN §2: range, mode, limit, store). */
static struct json_object *
context_object(const BfRunContext *ctx)
{
	struct json_object *c = json_object_new_object();

	json_object_object_add(c, "mode", ctx->mode ? json_object_new_string(ctx->mode) : NULL);
	json_object_object_add(c, "range_start",
						   ctx->range_start ? json_object_new_string(ctx->range_start) : NULL);
	json_object_object_add(c, "range_end",
						   ctx->range_end ? json_object_new_string(ctx->range_end) : NULL);
	json_object_object_add(c, "limit", json_object_new_int64(ctx->limit));
	json_object_object_add(c, "store", json_object_new_object());
	return c;
}

/* A json object, or a new empty one when value is NULL. */
static struct json_object *
object_or_empty(struct json_object *value)
{
	return value != NULL ? json_object_get(value) : json_object_new_object();
}

/*
 * The base state: the keys the server sets (connection-level state) first,
 * so that every key of defaults.state that reads one sees it, then the
 * other keys of defaults.state rendered in dependency order.
 */
static bool
render_base_state(BfRunner *r, struct json_object *overrides, BfError *err)
{
	const BfValue *map = &r->spec->base_state;
	int			i;

	r->base_state = json_object_new_object();
	bf_runner_set_var(r, "state", json_object_get(r->base_state));
	if (overrides != NULL)
		bf_merge_into(r->base_state, overrides);
	for (i = 0; i < r->spec->base_state_order_count; i++)
	{
		int			k = r->spec->base_state_order[i];
		struct json_object *value;

		if (overrides && json_object_object_get_ex(overrides, map->keys[k], NULL))
			continue;
		bf_error_clear(err);
		value = bf_render_value(&map->items[k], r->vars, err);
		if (err->kind != BF_OK)
			return false;		/* the error names defaults.state.x already */
		json_object_object_add(r->base_state, map->keys[k], value);
	}
	return true;
}

/*
 * A queue item's JSON text as a value; the item's place names it when it
 * does not parse.  An item is as deep as the record it came from may be.
 */
static bool
parse_item(const char *queue, size_t index, const char *text, size_t len,
		   struct json_object **out, BfError *err)
{
	struct json_tokener *tok = json_tokener_new_ex(BF_JSON_MAX_DEPTH);
	enum json_tokener_error jerr;

	if (tok == NULL)
		return bf_error_set(err, BF_ERR_NOMEM, "out of memory reading queue.%s", queue);
	*out = json_tokener_parse_ex(tok, text, (int) len);
	jerr = json_tokener_get_error(tok);
	/* a number or a literal ends only where its text does: say so */
	if (jerr == json_tokener_continue)
	{
		*out = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		if (jerr == json_tokener_continue)
			jerr = json_tokener_error_parse_eof;
	}
	else if (jerr == json_tokener_success && tok->char_offset < (int) len)
		jerr = json_tokener_error_parse_unexpected;
	json_tokener_free(tok);
	if (jerr != json_tokener_success)
	{
		json_object_put(*out);
		*out = NULL;
		return bf_error_set(err, BF_ERR_VALUE, "queue.%s: item %zu is not JSON (%s)", queue,
							index + 1, json_tokener_error_desc(jerr));
	}
	return true;
}

/*
 * The next item of the streamed over's queue, parsed into *out; false
 * with err untouched at the end, or with err set.
 */
static bool
read_over_item(BfRunner *r, struct json_object **out, BfError *err)
{
	const char *queue = r->ep->iterate.over_queue;
	size_t		len;
	const char *text;

	bf_error_clear(err);
	text = r->queue_ops->read(r->over_reader, &len, err);
	if (text == NULL)
		return false;
	return parse_item(queue, r->over_items++, text, len, out, err);
}

/*
 * Value index of over: the list's element, or the next item (a chunk of up
 * to over_chunk items) of its queue, read in order; the values before the
 * caller's window (first_iteration) are read and dropped first.  A new
 * reference in *out; false with err set on failure.
 */
static bool
over_value(BfRunner *r, size_t index, struct json_object **out, BfError *err)
{
	int			chunk = r->ep->iterate.over_chunk;

	*out = NULL;
	if (r->over_reader == NULL)
	{
		*out = json_object_get(json_object_array_get_idx(r->over, index));
		return true;
	}
	while (r->over_read <= index)
	{
		struct json_object *value = NULL;

		json_object_put(*out);
		*out = NULL;
		if (chunk == 0)
		{
			if (!read_over_item(r, &value, err))
				return err->kind == BF_OK ? bf_error_set(err, BF_ERR_INTERNAL,
														 "queue.%s ended before its count",
														 r->ep->iterate.over_queue) : false;
		}
		else
		{
			struct json_object *item;
			int			n;

			value = json_object_new_array();
			for (n = 0; n < chunk && read_over_item(r, &item, err); n++)
				json_object_array_add(value, item);
			if (err->kind != BF_OK)
			{
				json_object_put(value);
				return false;
			}
		}
		*out = value;
		r->over_read++;
	}
	return true;
}

/*
 * Every queue an expression reads whole (BfEndpoint.queues_loaded) as the
 * JSON array queue.<name>: its items parsed, all in memory at once (about
 * BF_EVAL_ELEMENT_COST bytes plus the item's size each), which is why a
 * plain "queue.X" or "chunk(queue.X, n)" over is streamed instead.
 */
static bool
load_queues(BfRunner *r, BfError *err)
{
	const BfStrList *names = &r->ep->queues_loaded;
	struct json_object *ns = json_object_new_object();
	int			i;

	bf_runner_set_var(r, "queue", ns);
	for (i = 0; i < names->count; i++)
	{
		long		count;
		void	   *reader = r->queue_ops->open_reader(r->queue_store, names->items[i],
													   &count, err);
		struct json_object *items = json_object_new_array();
		const char *text;
		size_t		len;

		if (reader == NULL)
		{
			json_object_put(items);
			return false;
		}
		json_object_object_add(ns, names->items[i], items);
		bf_error_clear(err);
		while ((text = r->queue_ops->read(reader, &len, err)) != NULL)
		{
			struct json_object *item;

			if (!parse_item(names->items[i], json_object_array_length(items), text, len,
							&item, err))
				break;
			json_object_array_add(items, item);
		}
		r->queue_ops->close_reader(reader);
		if (err->kind != BF_OK)
			return false;
	}
	return true;
}

/* Open the queue a streamed over reads: its length gives the iterations. */
static bool
open_over_queue(BfRunner *r, BfError *err)
{
	const BfIterate *iter = &r->ep->iterate;
	long		count;

	r->over_reader = r->queue_ops->open_reader(r->queue_store, iter->over_queue, &count, err);
	if (r->over_reader == NULL)
		return false;
	r->over_count = iter->over_chunk > 0 ?
		(size_t) ((count + iter->over_chunk - 1) / iter->over_chunk) : (size_t) count;
	return true;
}

/*
 * Evaluate iterate.over once, into the list the iterations walk.  It sees
 * the endpoint's state as well as defaults.state, rendered before any
 * iteration (iterate.into null), as Sling renders the initial state first:
 * chunk(state.item_ids, 3) reads a list the endpoint's state holds.  After
 * setup calls (begin_main) that state is the calls' (call_state), which
 * holds what they wrote.
 */
static bool
evaluate_over(BfRunner *r, BfError *err)
{
	const BfIterate *iter = &r->ep->iterate;

	if (!iter->present)
	{
		r->over = NULL;
		r->over_count = 1;
		return true;
	}
	if (iter->over_queue != NULL)
		return open_over_queue(r, err);
	if (iter->over_list != NULL)
		r->over = json_object_get(iter->over_list);
	else
	{
		struct json_object *state = NULL;
		bool		rendered = true;

		bf_error_clear(err);
		if (r->call_state == NULL)
		{
			/* no setup call ran: render the endpoint's state for over alone */
			state = json_object_new_object();
			bf_merge_into(state, r->base_state);
			bf_runner_set_var(r, "state", json_object_get(state));
			rendered = bf_render_map_into(&r->ep->state, r->ep->state_order,
										  r->ep->state_order_count, state, r, err);
		}
		r->over = rendered ? bf_expr_eval(iter->over.expr, r->vars, err) : NULL;
		if (state != NULL)
		{
			bf_runner_set_var(r, "state", json_object_get(r->base_state));
			json_object_put(state);
		}
		if (err->kind != BF_OK)
		{
			bf_error_prefix(err, "%s", iter->over.path);
			return false;
		}
	}
	if (r->over == NULL)
	{
		/* null: nothing to iterate, which is most likely not what was meant */
		bf_runner_warn(r, "%s: \"%s\" is null, so the endpoint makes no request",
					   iter->over.path, iter->over.src);
		r->over = json_object_new_array();
	}
	if (!json_object_is_type(r->over, json_type_array))
		return bf_error_set(err, BF_ERR_TYPE, "%s must give a list, got %s",
							iter->over.path ? iter->over.path : "iterate.over",
							json_object_to_json_string_ext(r->over, JSON_C_TO_STRING_PLAIN));
	r->over_count = json_object_array_length(r->over);
	return true;
}

/* Restrict the iterations to the caller's window of over. */
static void
apply_window(BfRunner *r)
{
	size_t		first = r->window_first > 0 ? (size_t) r->window_first : 0;

	r->total_iterations = (long) r->over_count;
	r->next_over = first < r->over_count ? first : r->over_count;
	if (r->window_max > 0 && r->next_over + (size_t) r->window_max < r->over_count)
		r->over_count = r->next_over + (size_t) r->window_max;
}

/*
 * The setup calls are over: iterate.over is evaluated now, on the state
 * they left (Sling renders it with the setup state), so that setup can
 * produce what the endpoint iterates over.  A setup call's stop rule leaves
 * nothing to iterate.
 */
static bool
begin_main(BfRunner *r, BfError *err)
{
	r->phase = RUN_MAIN;
	if (r->stopped)
	{
		r->over_count = 0;
		return true;
	}
	bf_runner_set_var(r, "state", json_object_get(r->call_state));
	if (!evaluate_over(r, err))
		return false;
	apply_window(r);
	return true;
}

/*
 * The state setup calls start from: defaults.state and the endpoint's
 * state, rendered as for an iteration (iterate.into is null here).  Only an
 * endpoint with setup or teardown calls needs it.
 */
static bool
setup_state(BfRunner *r, BfError *err)
{
	const BfEndpoint *ep = r->ep;

	r->phase = ep->setup_count > 0 ? RUN_SETUP : RUN_MAIN;
	if (ep->setup_count == 0 && ep->teardown_count == 0)
		return true;
	r->call_state = json_object_new_object();
	bf_merge_into(r->call_state, r->base_state);
	bf_runner_set_var(r, "state", json_object_get(r->call_state));
	return bf_render_map_into(&ep->state, ep->state_order, ep->state_order_count,
							  r->call_state, r, err);
}

/*
 * Features the model accepts that this runner does not run yet, and a
 * caller that gives an endpoint with queues no store.
 */
static bool
check_supported(const BfEndpoint *ep, const BfRunContext *ctx, BfError *err)
{
	const char *what = NULL;
	int			i;

	for (i = 0; i < ep->setup_count + ep->teardown_count; i++)
	{
		const BfCall *c = i < ep->setup_count ? &ep->setup[i] : &ep->teardown[i - ep->setup_count];

		if (c->iterate.src != NULL)
			what = i < ep->setup_count ? "setup iterate" : "teardown iterate";
	}
	for (i = 0; ep->auth != NULL && i < ep->auth->sequence_count; i++)
		if (ep->auth->sequence[i].iterate.src != NULL)
			what = "authentication.sequence iterate";
	if (what != NULL)
		return bf_error_set(err, BF_ERR_VALUE, "endpoint \"%s\": %s is not supported yet",
							ep->name, what);
	if (ctx->queue_ops == NULL && (ep->queues_read.count > 0 || ep->queues_written.count > 0))
		return bf_error_set(err, BF_ERR_INTERNAL, "endpoint \"%s\" %s queue.%s, but the run "
							"was given no queue store", ep->name,
							ep->queues_read.count > 0 ? "reads" : "writes",
							ep->queues_read.count > 0 ? ep->queues_read.items[0] :
							ep->queues_written.items[0]);
	return true;
}

BfRunner *
bf_runner_new(const BfSpec *spec, const BfEndpoint *ep, const BfRunContext *ctx,
			  BfError *err)
{
	BfRunner   *r;
	BfHttpLimits limits;

	if (!check_supported(ep, ctx, err))
		return NULL;
	r = calloc(1, sizeof(BfRunner));
	if (r == NULL)
		return bf_error_set(err, BF_ERR_NOMEM, "out of memory"), NULL;
	r->spec = spec;
	r->ep = ep;
	r->vars = json_object_new_object();
	bf_runner_set_var(r, "secrets", object_or_empty(ctx->secrets));
	bf_runner_set_var(r, "sync", object_or_empty(ctx->sync));
	bf_runner_set_var(r, "context", context_object(ctx));
	bf_runner_set_var(r, "inputs", object_or_empty(ctx->inputs));
	bf_runner_set_var(r, "auth", json_object_new_object());
	r->aggregates = json_object_new_object();
	r->setup_out = json_object_new_object();
	r->env = json_object_new_object();
	r->warnings = json_object_new_array();
	r->trace = ctx->trace;
	r->traces = json_object_new_array();
	r->derived = json_object_new_object();
	r->max_active = ep->iterate.present ? ep->iterate.concurrency : 1;
	r->limit = ep->response.records.limit;
	r->keep = ctx->keep;
	r->keep_arg = ctx->keep_arg;
	r->window_first = ctx->first_iteration;
	r->window_max = ctx->max_iterations;
	r->queue_ops = ctx->queue_ops;
	r->queue_store = ctx->queue_store;
	r->queue_items = json_object_new_object();
	if (ctx->limit > 0 && (r->limit == 0 || ctx->limit < r->limit))
		r->limit = ctx->limit;
	r->needs_text = bf_runner_reads(ep, "response.text");
	/* with a limit, pages past it would be asked for only to be dropped */
	r->prefetch = r->limit > 0 ? 0 : bf_prefetch_window(ep);
	if (ep->response.records.primary_key.count > 0)
		r->seen = bf_keyset_new_bounded(ctx->dedup_memory, ctx->spill_dir);
	if (ep->auth != NULL &&
		(ep->auth->type == BF_AUTH_OAUTH2 || ep->auth->type == BF_AUTH_SEQUENCE))
		r->auth_phase = AUTH_NEEDED;
	r->tokens = ctx->token_cache;
	if (r->tokens == NULL)
		r->tokens = r->own_tokens = bf_token_cache_new(4);
	r->token_scope = strdup(ctx->token_scope ? ctx->token_scope : "");

	bf_http_limits_default(&limits);
	limits.max_concurrency = ep->request.concurrency;
	limits.rate = ep->request.rate;
	limits.timeout_ms = (long) ep->request.timeout * 1000L;
	r->http = bf_http_new(&limits, err);
	if (r->tokens == NULL || r->token_scope == NULL)
	{
		bf_error_set(err, BF_ERR_NOMEM, "out of memory");
		bf_runner_free(r);
		return NULL;
	}
	if (r->http == NULL || !bf_select_compile(r, err) || !load_queues(r, err) ||
		!render_base_state(r, ctx->state_overrides, err) ||
		(ep->setup_count == 0 && !evaluate_over(r, err)) || !setup_state(r, err))
	{
		bf_error_prefix(err, "endpoint \"%s\"", ep->name);
		bf_runner_free(r);
		return NULL;
	}
	if (ep->setup_count == 0)
		apply_window(r);		/* else once setup is over (begin_main) */
	r->raw = bf_raw_setup(r, ctx);
	return r;
}

/* An iteration sending rq and reading resp and pg (of call, else of the endpoint). */
static Iteration *
make_iteration(BfRunner *r, const BfCall *call, struct json_object *state, BfError *err)
{
	Iteration  *it = calloc(1, sizeof(Iteration));

	if (it == NULL)
	{
		bf_error_set(err, BF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	it->call = call;
	it->rq = call ? &call->request : &r->ep->request;
	it->pg = call ? &call->pagination : &r->ep->pagination;
	it->resp = call ? &call->response : &r->ep->response;
	it->phase = ITER_SUBMIT;
	it->state = json_object_new_object();
	bf_merge_into(it->state, state);
	return it;
}

/* A new active iteration of the runner. */
static Iteration *
new_iteration(BfRunner *r, const BfCall *call, struct json_object *state, BfError *err)
{
	Iteration  *it = make_iteration(r, call, state, err);

	if (it == NULL)
		return NULL;
	it->next = r->iterations;
	r->iterations = it;
	r->active++;
	return it;
}

/*
 * Start the next iteration of over: its state, then its first request.
 * What setup calls wrote is there while the endpoint's state renders, and
 * wins over it after, as in Sling, where setup writes the rendered state.
 */
static bool
start_iteration(BfRunner *r, BfError *err)
{
	const BfEndpoint *ep = r->ep;
	Iteration  *it = new_iteration(r, NULL, r->base_state, err);
	struct json_object *value = NULL;

	if (it == NULL)
		return false;
	it->index = (long) r->next_over++;
	bf_merge_into(it->state, r->setup_out);
	if (ep->iterate.present && !over_value(r, (size_t) it->index, &value, err))
		return false;
	if (ep->iterate.present && !ep->iterate.into_records)
		json_object_object_add(it->state, ep->iterate.into, json_object_get(value));
	bf_runner_set_var(r, "state", json_object_get(it->state));
	if (!bf_render_map_into(&ep->state, ep->state_order, ep->state_order_count,
							it->state, r, err))
	{
		json_object_put(value);
		return false;
	}
	bf_merge_into(it->state, r->setup_out);
	if (ep->iterate.into_records)
	{
		/* the value is the iteration's records: no request, done at once */
		bool		ok = bf_accept_over_records(r, it, value, err);

		json_object_put(value);
		if (ok)
			bf_runner_iteration_done(r, it);
		return ok;
	}
	json_object_put(value);
	return true;
}

/*
 * Start the next setup or teardown call whose "if" holds, on the state the
 * calls before it left; false with *started false when none is left.
 */
static bool
start_call(BfRunner *r, bool *started, BfError *err)
{
	int			count = r->phase == RUN_SETUP ? r->ep->setup_count : r->ep->teardown_count;
	const BfCall *calls = r->phase == RUN_SETUP ? r->ep->setup : r->ep->teardown;

	*started = false;
	/* a setup call's stop rule ends the setup calls too */
	while (r->next_call < count && !(r->phase == RUN_SETUP && r->stopped))
	{
		const BfCall *c = &calls[r->next_call++];

		bf_runner_set_var(r, "state", json_object_get(r->call_state));
		if (c->condition.expr != NULL)
		{
			struct json_object *v;
			bool		yes;

			bf_error_clear(err);
			v = bf_expr_eval(c->condition.expr, r->vars, err);
			yes = bf_value_truthy(v);
			json_object_put(v);
			if (err->kind != BF_OK)
			{
				bf_error_prefix(err, "%s", c->condition.path);
				return false;
			}
			if (!yes)
				continue;
		}
		*started = true;
		return new_iteration(r, c, r->call_state, err) != NULL;
	}
	return true;
}

/*
 * The iterations of over are over: all ended, or the limit is reached (the
 * ones still paging are then of no use).
 */
static bool
main_over(BfRunner *r)
{
	return (r->active == 0 && (r->stopped || r->next_over >= r->over_count)) ||
		(r->limit > 0 && r->queued >= r->limit);
}

/* Teardown calls start from the state the run ends with. */
static void
begin_teardown(BfRunner *r)
{
	struct json_object *state = bf_runner_state(r);

	while (r->iterations != NULL)
		bf_runner_drop_iteration(r, r->iterations);
	json_object_put(r->call_state);
	r->call_state = json_object_get(state);
	json_object_put(r->last_state);
	r->last_state = state;
	r->next_call = 0;
	r->phase = RUN_TEARDOWN;
}

/* Move through the phases as far as they go without waiting. */
static bool
schedule(BfRunner *r, BfError *err)
{
	bool		started;
	int			started_now;

	for (;;)
	{
		switch (r->phase)
		{
			case RUN_SETUP:
			case RUN_TEARDOWN:
				if (r->active > 0)
					return true;
				if (!start_call(r, &started, err))
					return false;
				if (started)
					return true;
				if (r->phase == RUN_TEARDOWN)
					r->phase = RUN_DONE;
				else if (!begin_main(r, err))
					return false;
				break;
			case RUN_MAIN:
				/*
				 * into: response.records iterations end as they start: the
				 * batches waiting to be handed out bound them, and so does
				 * DRIVE_EVERY a call, so that the caller gets back to its
				 * cancel checks when no record comes out (queue_only)
				 */
				for (started_now = 0;
					 !r->stopped && r->active < r->max_active && r->next_over < r->over_count &&
					 !(r->ep->iterate.into_records &&
					   (r->batches >= MAX_WAITING_BATCHES || started_now >= DRIVE_EVERY));
					 started_now++)
				{
					if (!start_iteration(r, err))
						return false;
				}
				if (!main_over(r))
					return true;
				if (r->ep->teardown_count == 0)
				{
					r->phase = RUN_DONE;
					return true;
				}
				begin_teardown(r);
				break;
			case RUN_DONE:
				return true;
		}
	}
}

/*
 * Start the next call of the authentication sequence, on the state the
 * calls before it left; when none is left, the sequence's state outputs go
 * where every request's state comes from (defaults.state's rendering, the
 * setup calls' state, the iterations that are running: Sling writes them
 * to the connection's state) and the endpoint's requests may go.
 */
static bool
next_auth_call(BfRunner *r, BfError *err)
{
	const BfAuth *auth = r->ep->auth;
	Iteration  *it;

	if (r->auth_next_call < auth->sequence_count)
	{
		r->auth_call = make_iteration(r, &auth->sequence[r->auth_next_call++], r->auth_state,
									  err);
		return r->auth_call != NULL;
	}
	bf_merge_into(r->base_state, r->auth_state);
	if (r->call_state != NULL)
		bf_merge_into(r->call_state, r->auth_state);
	for (it = r->iterations; it != NULL; it = it->next)
		bf_merge_into(it->state, r->auth_state);
	r->auth_expires = auth->expires > 0 ? bf_http_now() + auth->expires : 0;
	r->auth_phase = AUTH_READY;
	r->auth_generation++;
	r->auth_unused = true;
	return true;
}

/* (Re)authenticate: ask for a token, or run the sequence from its first call. */
static bool
start_auth(BfRunner *r, BfError *err)
{
	if (r->ep->auth->type == BF_AUTH_OAUTH2)
		return bf_submit_token_request(r, err);
	json_object_put(r->auth_state);
	r->auth_state = json_object_new_object();
	bf_merge_into(r->auth_state, r->base_state);
	r->auth_next_call = 0;
	r->auth_phase = AUTH_PENDING;
	return next_auth_call(r, err);
}

/* Send the sequence call's page when it is due. */
static bool
advance_auth_call(BfRunner *r, double now, BfError *err)
{
	Iteration  *it = r->auth_call;

	if (it == NULL)
		return true;
	if (it->phase == ITER_RETRY_WAIT && it->retry_at <= now)
		it->phase = ITER_SUBMIT;
	return it->phase != ITER_SUBMIT || bf_submit_request(r, it, err);
}

/* Send what is due: new iterations, first pages, retries whose time came. */
static bool
advance(BfRunner *r, BfError *err)
{
	Iteration  *it;
	double		now = bf_http_now();

	if (r->auth_phase == AUTH_NEEDED && !start_auth(r, err))
		return false;
	if (r->auth_phase == AUTH_PENDING)
		return advance_auth_call(r, now, err);
	if (!schedule(r, err))
		return false;
	for (it = r->iterations; it != NULL; it = it->next)
	{
		if (it->phase == ITER_RETRY_WAIT && it->retry_at <= now)
			it->phase = ITER_SUBMIT;
		if (it->phase != ITER_SUBMIT)
			continue;
		/* renew an expired authentication when a request needs it, not while none does */
		if (r->auth_phase == AUTH_READY && !r->auth_unused && r->auth_expires > 0 &&
			now >= r->auth_expires)
		{
			r->auth_phase = AUTH_NEEDED;
			return start_auth(r, err) &&
				(r->auth_phase != AUTH_PENDING || advance_auth_call(r, now, err));
		}
		if (!bf_submit_request(r, it, err))
			return false;
		r->auth_unused = false;
	}
	for (it = r->iterations; it != NULL; it = it->next)
	{
		/* pages ahead need a token that lasts; an expired one waits for the next page */
		if (r->auth_phase == AUTH_READY && r->auth_expires > 0 && now >= r->auth_expires)
			break;
		bf_prefetch_fill(r, it);
	}
	return true;
}

/* The iteration a response belongs to, if it is still active. */
static Iteration *
find_iteration(BfRunner *r, void *user)
{
	Iteration  *it;

	for (it = r->iterations; it != NULL; it = it->next)
	{
		if ((void *) it == user)
			return it;
	}
	return NULL;
}

/* A sequence call's response: on to the next call once its pages are done. */
static bool
handle_auth_call(BfRunner *r, BfHttpResponse *resp, BfError *err)
{
	Iteration  *it = r->auth_call;
	int			n = r->auth_next_call - 1;

	if (!bf_handle_response(r, it, resp, err))
	{
		bf_error_prefix(err, "authentication.sequence[%d]", n);
		return false;
	}
	if (it->phase != ITER_DONE)
		return true;
	copy_outputs(it->resp, it->state, r->auth_state);
	free_iteration(it);
	r->auth_call = NULL;
	return next_auth_call(r, err);
}

/*
 * An API's 401 to a request of an endpoint whose authentication takes
 * requests (an oauth2 token, a sequence): the token may have been revoked
 * or have lapsed early, so authenticate again (once for the token the
 * request carried, however many requests it refused) and send the page
 * again, once; a second 401 goes to the rules like any status.
 */
static bool
reauthenticate(BfRunner *r, Iteration *it, const BfHttpResponse *resp)
{
	if (resp->status != 401 || r->auth_phase == AUTH_NONE || it->auth_retried)
		return false;
	it->auth_retried = true;
	it->attempts--;				/* the rules' attempts count the API's answers */
	it->phase = ITER_SUBMIT;
	r->stats.retries++;
	if (it->auth_generation == r->auth_generation && r->auth_phase == AUTH_READY)
	{
		if (r->token_key != NULL)
			bf_token_cache_revoke(r->tokens, r->token_key);
		r->auth_phase = AUTH_NEEDED;
	}
	return true;
}

/*
 * Handle an iteration's current page, then the pages after it that came
 * ahead of their turn (runner_prefetch.c), in page order.  A 401 sends the
 * page again with a fresh token and drops the pages asked for ahead with
 * the old one.
 */
static bool
handle_pages(BfRunner *r, Iteration *it, BfHttpResponse *resp, BfError *err)
{
	bool		ok;

	if (reauthenticate(r, it, resp))
	{
		bf_prefetch_orphan(r, it);
		return true;
	}
	ok = bf_handle_response(r, it, resp, err);
	/* ITER_SUBMIT after a response: paginate moved on to the next page */
	while (ok && it->phase == ITER_SUBMIT && (resp = bf_prefetch_take(r, it)) != NULL)
	{
		bool		again = reauthenticate(r, it, resp);

		if (!again)
			ok = bf_handle_response(r, it, resp, err);
		bf_http_response_free(resp);
		if (again)
		{
			bf_prefetch_orphan(r, it);
			break;
		}
	}
	/* the response phase says an iteration is over; ending it is ours */
	if (ok && it->phase == ITER_DONE)
		bf_runner_iteration_done(r, it);
	return ok;
}

/* Handle one completed response: the token's, a sequence call's, or an iteration's. */
static bool
dispatch_response(BfRunner *r, BfHttpResponse *resp, BfError *err)
{
	Iteration  *it;
	bool		ok = true;

	r->stats.bytes += (long) resp->bytes_received;
	if (r->trace)
		trace_response(r, resp);
	if (resp->user == (void *) r)
		ok = bf_handle_token_response(r, resp, err);
	else if (take_dropped(r, resp->user))
		ok = true;
	else if (r->auth_call != NULL && resp->user == (void *) r->auth_call)
		ok = handle_auth_call(r, resp, err);
	else if ((it = find_iteration(r, resp->user)) != NULL ||
			 (it = bf_prefetch_arrived(r, &resp)) != NULL)
		ok = handle_pages(r, it, resp, err);
	if (resp != NULL)
		bf_http_response_free(resp);
	return ok;
}

/* Nothing left to hand out and nothing that could bring more. */
static bool
finished(BfRunner *r)
{
	bool		full = r->limit > 0 && r->handed_out >= r->limit;

	/* records queued past the limit are never handed out: they hold nothing up */
	if (r->head != NULL && !full)
		return false;
	switch (r->phase)
	{
		case RUN_SETUP:
			return false;
		case RUN_MAIN:
			return r->ep->teardown_count == 0 &&
				(full || (main_over(r) && r->auth_phase != AUTH_PENDING));
		case RUN_TEARDOWN:
			return false;
		case RUN_DONE:
			return true;
	}
	return true;
}

/* The earliest retry time of a waiting iteration, or INFINITY. */
static double
next_retry(BfRunner *r)
{
	Iteration  *it;
	double		t = INFINITY;

	for (it = r->iterations; it != NULL; it = it->next)
	{
		if (it->phase == ITER_RETRY_WAIT && it->retry_at < t)
			t = it->retry_at;
	}
	it = r->auth_call;
	if (it != NULL && it->phase == ITER_RETRY_WAIT && it->retry_at < t)
		t = it->retry_at;
	return t;
}

/*
 * Sleep (bounded by the caller's budget) when only a retry timer can wake
 * us; the time counts as waiting, as the engine's own waits do, so that
 * EXPLAIN ANALYZE's Wait Time shows a Retry-After pause.
 */
static void
sleep_until(BfRunner *r, double when)
{
	double		start = bf_http_now();
	double		dt = when - start;
	struct timespec ts;

	if (dt <= 0)
		return;
	ts.tv_sec = (time_t) dt;
	ts.tv_nsec = (long) ((dt - (double) ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
	r->stats.wait_seconds += bf_http_now() - start;
}

/*
 * Drive the transfers for at most wait_ms: send what is due, then take at
 * most one completed response.  False when the run failed.
 */
static bool
drive(BfRunner *r, int wait_ms, BfError *err)
{
	BfHttpResponse *resp = NULL;
	double		deadline = bf_http_now() + wait_ms / 1000.0;
	double		retry = next_retry(r);
	int			rc;

	if (!advance(r, err))
		return false;
	if (bf_http_in_flight(r->http) + bf_http_pending(r->http) == 0)
	{
		/* nothing to wait for: the run is over (the caller sees it) */
		if (retry == INFINITY && finished(r))
			return true;
		/* records to hand out, or into: response.records iterations to start */
		if (r->head != NULL || (r->phase == RUN_MAIN && r->ep->iterate.into_records &&
								!r->stopped && r->next_over < r->over_count))
			return true;
		/* only a retry timer is left: wait for it within the budget */
		sleep_until(r, retry < deadline ? retry : deadline);
		return advance(r, err);
	}
	if (retry < deadline)
		wait_ms = (int) ceil((retry - bf_http_now()) * 1000.0);
	rc = bf_http_poll(r->http, wait_ms < 0 ? 0 : wait_ms, &resp, err);
	if (rc < 0)
		return false;
	if (rc == 1)
		return dispatch_response(r, resp, err);
	return true;
}

BfRunStatus
bf_runner_next(BfRunner *r, int max_wait_ms, struct json_object **record, BfError *err)
{
	BfRecord	rec;
	BfRunStatus status = bf_runner_next_record(r, max_wait_ms, &rec, err);

	*record = rec.value;
	return status;
}

/*
 * A batch that was handed out in part may be freed by the next call, which
 * is why raw records live only until then.
 */
BfRunStatus
bf_runner_next_record(BfRunner *r, int max_wait_ms, BfRecord *record, BfError *err)
{
	double		deadline = -1;	/* read the clock only when there is a wait */

	memset(record, 0, sizeof(BfRecord));
	for (;;)
	{
		BfError		derr;
		double		left;

		if (r->failed)
		{
			*err = r->error;
			return BF_RUN_ERROR;
		}
		if (r->head != NULL && !(r->limit > 0 && r->handed_out >= r->limit))
		{
			/* read ahead now and then, so transfers in flight keep moving */
			if (++r->since_drive >= DRIVE_EVERY && r->batches < MAX_WAITING_BATCHES)
			{
				r->since_drive = 0;
				bf_error_clear(&derr);
				if (!drive(r, 0, &derr))
				{
					bf_runner_fail(r, &derr);
					continue;
				}
			}
			if (pop_record(r, record))
			{
				r->handed_out++;
				r->stats.records++;
				return BF_RUN_RECORD;
			}
		}
		if (finished(r))
			return BF_RUN_DONE;
		if (deadline < 0)
			deadline = bf_http_now() + max_wait_ms / 1000.0;
		left = (deadline - bf_http_now()) * 1000.0;
		bf_error_clear(&derr);
		if (!drive(r, left > 0 ? (int) left : 0, &derr))
		{
			bf_runner_fail(r, &derr);
			continue;
		}
		if (r->head == NULL && bf_http_now() >= deadline)
			return BF_RUN_WAIT;
	}
}

void
bf_runner_stats(const BfRunner *r, BfRunStats *out)
{
	BfHttpStats hs;

	*out = r->stats;
	out->iterations = r->total_iterations;
	bf_http_stats(r->http, &hs);
	out->requests = hs.requests_sent;
	out->wait_seconds = r->stats.wait_seconds + hs.wait_seconds;
}

long
bf_runner_queue_items(const BfRunner *r, const char *queue)
{
	struct json_object *count = NULL;

	json_object_object_get_ex(r->queue_items, queue, &count);
	return (long) json_object_get_int64(count);
}

void
bf_runner_free(BfRunner *r)
{
	if (r == NULL)
		return;
	while (r->iterations != NULL)
		bf_runner_drop_iteration(r, r->iterations);
	while (r->dropped != NULL)
		(void) take_dropped(r, r->dropped);
	while (r->head != NULL)
	{
		Batch	   *b = r->head;

		r->head = b->next;
		bf_batch_free(b);
	}
	bf_http_free(r->http);
	bf_prefetch_free(r);
	json_object_put(r->vars);
	json_object_put(r->base_state);
	json_object_put(r->call_state);
	json_object_put(r->setup_out);
	json_object_put(r->last_state);
	json_object_put(r->env);
	json_object_put(r->warnings);
	json_object_put(r->traces);
	json_object_put(r->derived);
	json_object_put(r->over);
	if (r->over_reader != NULL)
		r->queue_ops->close_reader(r->over_reader);
	json_object_put(r->queue_items);
	json_object_put(r->aggregates);
	bf_select_free(r);
	bf_keyset_free(r->seen);
	bf_raw_free_path(r->raw_keys, r->raw_nkeys);
	if (r->records_path)
		jp_free(r->records_path);
	free(r->records_src);
	if (r->auth_call != NULL)
		free_iteration(r->auth_call);
	json_object_put(r->auth_state);
	if (r->auth_header != NULL)
		explicit_bzero(r->auth_header, strlen(r->auth_header));
	free(r->auth_header);
	if (r->refresh_used != NULL)
		explicit_bzero(r->refresh_used, strlen(r->refresh_used));
	free(r->refresh_used);
	free(r->token_key);
	free(r->token_scope);
	bf_token_cache_free(r->own_tokens);
	free(r);
}

struct json_object *
bf_runner_sync_values(const BfRunner *r)
{
	struct json_object *out = json_object_new_object();
	int			i;

	for (i = 0; i < r->ep->sync.count; i++)
	{
		struct json_object *v;

		if (json_object_object_get_ex(r->aggregates, r->ep->sync.items[i], &v))
			json_object_object_add(out, r->ep->sync.items[i], json_object_get(v));
	}
	return out;
}

struct json_object *
bf_runner_state(const BfRunner *r)
{
	struct json_object *out = json_object_new_object();
	bool		torn = r->phase == RUN_TEARDOWN ||
		(r->phase == RUN_DONE && r->ep->teardown_count > 0);

	bf_merge_into(out, r->last_state != NULL ? r->last_state : r->call_state != NULL ?
			   r->call_state : r->base_state);
	/* begin_teardown put the aggregates in last_state, teardown's outputs over them */
	if (!torn)
		bf_merge_into(out, r->aggregates);
	return out;
}

struct json_object *
bf_runner_store(const BfRunner *r)
{
	struct json_object *ctx = NULL;
	struct json_object *store = NULL;

	json_object_object_get_ex(r->vars, "context", &ctx);
	json_object_object_get_ex(ctx, "store", &store);
	return json_object_get(store);
}

struct json_object *
bf_runner_env(const BfRunner *r)
{
	return json_object_get(r->env);
}

/* The aggregation of the processor that writes state.<key>, if any. */
static BfAggregation
key_aggregation(const BfEndpoint *ep, const char *key)
{
	int			i;

	for (i = ep->response.processor_count - 1; i >= 0; i--)
	{
		const BfProcessor *p = &ep->response.processors[i];

		if (p->output_kind == BF_OUTPUT_STATE && strcmp(p->output_name, key) == 0)
			return p->aggregation;
	}
	return BF_AGG_NONE;
}

struct json_object *
bf_sync_merge(const BfEndpoint *ep, struct json_object *stored, struct json_object *fresh)
{
	struct json_object *out = json_object_new_object();
	int			i;

	for (i = 0; i < ep->sync.count; i++)
	{
		const char *key = ep->sync.items[i];
		struct json_object *old = NULL;
		struct json_object *new = NULL;
		bool		have_old = stored && json_object_object_get_ex(stored, key, &old) && old;
		bool		have_new = fresh && json_object_object_get_ex(fresh, key, &new) && new;
		struct json_object *pick = have_new ? new : old;

		if (have_old && have_new)
		{
			BfAggregation agg = key_aggregation(ep, key);

			if (agg == BF_AGG_MAXIMUM && bf_compare_values(old, new) > 0)
				pick = old;
			else if (agg == BF_AGG_MINIMUM && bf_compare_values(old, new) < 0)
				pick = old;
		}
		if (have_old || have_new)
			json_object_object_add(out, key, json_object_get(pick));
	}
	return out;
}
