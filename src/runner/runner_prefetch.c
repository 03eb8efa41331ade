/*-------------------------------------------------------------------------
 *
 * runner_prefetch.c
 *		  Page prefetch: when a page's state follows from the one before it
 *		  without its response, the pages after an iteration's current one
 *		  are asked for ahead.
 *
 * An endpoint qualifies when pagination.next_state reads neither the
 * response nor a state key a processor writes (the loader's
 * next_state_reads_response), and its request reads no state key a
 * processor writes either: the request of page n+1 is then the same
 * whether page n has arrived or not; and the run has no record limit
 * (records.limit, context.limit: a sample), which would make the pages
 * after it requests for nothing.  An iteration keeps at most
 * request.concurrency - 1 pages ahead of its current one, so that with
 * its current page it never has more in flight than the endpoint's cap;
 * the request engine still holds every request to the endpoint's rate and
 * concurrency, and a 429 that arrives before its turn pauses the endpoint
 * at once.
 *
 * Only the asking comes early.  The responses are handled as they would
 * be without prefetch, one after another in page order, against the state
 * the pages before left: rules, records, processors, de-duplication,
 * stop_condition and next_state see exactly what sequential paging shows
 * them, so rows come out in page order within an iteration whatever the
 * concurrency.  A page that comes before its turn waits for it.  When a
 * page ends the iteration (stop_condition, no records, a rule), the pages
 * asked for after it are dropped unread: their responses, arriving later,
 * are freed without a record emitted.  Such pages are the only extra
 * requests (at most the window, past the end); a page whose state is not
 * the one sequential paging comes to (a next_state that failed to render
 * ahead, say) is dropped and asked for again at its turn.
 *
 * Nothing is asked ahead of an iteration's first page; once it has shown
 * there is a second, the window is full.  Most iterations of a
 * parent/child endpoint (a customer's charges) have one page, and a window
 * from the start would multiply their requests by it.  (A window growing
 * with the pages handled wasted less past the end of two-page iterations
 * but made a 50-page one 1.35x its ideal time in test/bench/bench_bulk.sh,
 * against 1.18x so.)
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "expr/expr.h"
#include "runner/runner_prefetch.h"
#include "runner/runner_request.h"

/* Visitor: is a path state.<a key some processor writes>? */
typedef struct WritesArg
{
	const BfResponse *resp;
	bool		found;
} WritesArg;

static void
writes_visit(const char *path, void *arg)
{
	WritesArg  *a = arg;
	int			i;

	if (strncmp(path, "state.", 6) != 0)
		return;
	for (i = 0; i < a->resp->processor_count; i++)
	{
		const BfProcessor *p = &a->resp->processors[i];
		size_t		len = strlen(p->output_name);

		if (p->output_kind == BF_OUTPUT_STATE && strncmp(path + 6, p->output_name, len) == 0 &&
			(path[6 + len] == '\0' || path[6 + len] == '.'))
			a->found = true;
	}
}

/* Visit the templates of a value, inside its lists and maps too. */
static void
value_refs(const BfValue *v, WritesArg *a)
{
	int			i;

	if (v->kind == BF_VALUE_TEMPLATE && v->tmpl.tmpl != NULL)
		bf_template_visit_refs(v->tmpl.tmpl, writes_visit, a);
	for (i = 0; (v->kind == BF_VALUE_LIST || v->kind == BF_VALUE_MAP) && i < v->count; i++)
		value_refs(&v->items[i], a);
}

int
bf_prefetch_window(const BfEndpoint *ep)
{
	const BfRequest *rq = &ep->request;
	WritesArg	a = {&ep->response, false};
	int			i;

	if (ep->pagination.next_state.count == 0 || ep->next_state_reads_response ||
		rq->concurrency < 2)
		return 0;
	if (rq->url.tmpl != NULL)
		bf_template_visit_refs(rq->url.tmpl, writes_visit, &a);
	for (i = 0; i < rq->headers.count; i++)
		if (rq->headers.values[i].tmpl != NULL)
			bf_template_visit_refs(rq->headers.values[i].tmpl, writes_visit, &a);
	value_refs(&rq->parameters, &a);
	if (rq->payload != NULL)
		value_refs(rq->payload, &a);
	return a.found ? 0 : rq->concurrency - 1;
}

static void
free_page(PageAhead *p)
{
	json_object_put(p->state);
	json_object_put(p->request);
	if (p->resp != NULL)
		bf_http_response_free(p->resp);
	free(p);
}

/* Copy the keys of src into dst (values shared). */
static void
merge_keys(struct json_object *dst, struct json_object *src)
{
	json_object_object_foreach(src, key, value)
		json_object_object_add(dst, key, json_object_get(value));
}

/*
 * The state of the page after the one asked for with state and request:
 * next_state rendered against them, every key before any is assigned, as
 * paginate does.  NULL when a key does not render (sequential paging will
 * meet the error at its turn) or, without stop_condition, when nothing
 * changes (the iteration ends there).
 */
static struct json_object *
state_after(BfRunner *r, const BfPagination *pg, struct json_object *state,
			struct json_object *request)
{
	struct json_object *next = json_object_new_object();
	struct json_object *out;
	bool		changed = false;
	BfError		err;
	int			i;

	bf_runner_set_var(r, "state", json_object_get(state));
	bf_runner_set_var(r, "request", json_object_get(request));
	for (i = 0; i < pg->next_state.count; i++)
	{
		struct json_object *v;
		struct json_object *old = NULL;

		bf_error_clear(&err);
		v = bf_render_value(&pg->next_state.items[i], r->vars, &err);
		if (err.kind != BF_OK)
		{
			json_object_put(v);
			json_object_put(next);
			return NULL;
		}
		json_object_object_get_ex(state, pg->next_state.keys[i], &old);
		if (!json_object_equal(old, v))
			changed = true;
		json_object_object_add(next, pg->next_state.keys[i], v);
	}
	if (!changed && pg->stop_condition.expr == NULL)
	{
		json_object_put(next);
		return NULL;
	}
	out = json_object_new_object();
	merge_keys(out, state);
	merge_keys(out, next);
	json_object_put(next);
	return out;
}

void
bf_prefetch_fill(BfRunner *r, Iteration *it)
{
	const BfPagination *pg = it->pg;
	PageAhead **tail = &it->ahead;
	PageAhead *last = NULL;
	int			ahead = 0;
	int			window;

	if (r->prefetch == 0 || it->call != NULL || it->phase != ITER_IN_FLIGHT || it->ahead_end)
		return;
	/* none ahead of the first page (see the file header) */
	window = it->pages > 0 ? r->prefetch : 0;
	for (; *tail != NULL; tail = &(*tail)->next)
	{
		last = *tail;
		if (last->page > it->pages)
			ahead++;
	}
	while (ahead < window)
	{
		long		page = (last ? last->page : it->pages) + 1;
		PageAhead  *p;
		BfError		err;

		if (page >= pg->max_pages)
		{
			it->ahead_end = true;	/* paginate fails there: ask nothing past it */
			return;
		}
		if ((p = calloc(1, sizeof(PageAhead))) == NULL)
			return;
		p->page = page;
		p->state = state_after(r, pg, last ? last->state : it->state,
							   last ? last->request : it->request);
		bf_error_clear(&err);
		if (p->state == NULL ||
			!bf_submit_page(r, it->rq, p->state, 1, p, &p->request, &err))
		{
			/* sequential paging will do what failed here, at its turn */
			free_page(p);
			it->ahead_end = true;
			return;
		}
		*tail = p;
		tail = &p->next;
		last = p;
		ahead++;
	}
}

/*
 * Pause the endpoint for what a response asks (a 429 without Retry-After:
 * a second), no longer than a retry would wait (BF_HTTP_MAX_SERVER_WAIT);
 * its rule decides the rest at its turn.
 */
static void
hold_back(BfRunner *r, const BfHttpResponse *resp)
{
	double		wait = bf_http_retry_after(resp->headers, (double) time(NULL));

	if (wait < 0)
		wait = 1;
	if (wait > BF_HTTP_MAX_SERVER_WAIT)
		wait = BF_HTTP_MAX_SERVER_WAIT;
	bf_http_pause_until(r->http, bf_http_now() + wait);
}

Iteration *
bf_prefetch_arrived(BfRunner *r, BfHttpResponse **resp)
{
	PageAhead **pp;
	Iteration  *it;

	for (pp = &r->orphans; *pp != NULL; pp = &(*pp)->next)
	{
		if ((void *) *pp == (*resp)->user)
		{
			PageAhead  *p = *pp;

			*pp = p->next;
			free_page(p);
			return NULL;
		}
	}
	for (it = r->iterations; it != NULL; it = it->next)
	{
		for (pp = &it->ahead; *pp != NULL; pp = &(*pp)->next)
		{
			PageAhead  *p = *pp;

			if ((void *) p != (*resp)->user)
				continue;
			if (pp == &it->ahead && p->page == it->pages && it->phase == ITER_IN_FLIGHT)
			{
				/* the page the iteration waits for: bf_prefetch_take gave it its request */
				*pp = p->next;
				free_page(p);
				return it;
			}
			/*
			 * A 429 or a Retry-After waiting for its turn holds back the
			 * endpoint now, as it would arriving in turn: the pages after
			 * it must not keep asking meanwhile.
			 */
			if ((*resp)->status == 429 ||
				bf_http_retry_after((*resp)->headers, (double) time(NULL)) > 0)
				hold_back(r, *resp);
			p->resp = *resp;
			*resp = NULL;
			return NULL;
		}
	}
	return NULL;
}

/* Does page p's state agree with the iteration's on every next_state key? */
static bool
same_state(const Iteration *it, const PageAhead *p)
{
	int			i;

	for (i = 0; i < it->pg->next_state.count; i++)
	{
		struct json_object *a = NULL;
		struct json_object *b = NULL;

		json_object_object_get_ex(it->state, it->pg->next_state.keys[i], &a);
		json_object_object_get_ex(p->state, it->pg->next_state.keys[i], &b);
		if (!json_object_equal(a, b))
			return false;
	}
	return true;
}

BfHttpResponse *
bf_prefetch_take(BfRunner *r, Iteration *it)
{
	PageAhead  *p = it->ahead;
	BfHttpResponse *resp;

	if (p == NULL)
		return NULL;
	if (p->page != it->pages || !same_state(it, p))
	{
		bf_prefetch_orphan(r, it);
		it->ahead_end = true;
		return NULL;
	}
	json_object_put(it->request);
	it->request = p->request;
	p->request = NULL;
	it->attempts = 1;
	if (p->resp == NULL)
	{
		it->phase = ITER_IN_FLIGHT;
		return NULL;
	}
	resp = p->resp;
	p->resp = NULL;
	it->ahead = p->next;
	free_page(p);
	return resp;
}

void
bf_prefetch_orphan(BfRunner *r, Iteration *it)
{
	while (it->ahead != NULL)
	{
		PageAhead  *p = it->ahead;

		it->ahead = p->next;
		if (p->resp != NULL)
		{
			free_page(p);
			continue;
		}
		/* still in flight: its response must find no iteration */
		p->next = r->orphans;
		r->orphans = p;
	}
}

void
bf_prefetch_free(BfRunner *r)
{
	while (r->orphans != NULL)
	{
		PageAhead  *p = r->orphans;

		r->orphans = p->next;
		free_page(p);
	}
}
