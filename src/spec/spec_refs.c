/*-------------------------------------------------------------------------
 *
 * spec_refs.c
 *		  Every namespace path the expressions and templates of an
 *		  endpoint read, each with the field it is written in
 *		  (bf_endpoint_visit_refs, spec.h).
 *
 * The loader finds with it the queues an endpoint reads and checks that
 * each sync.x it reads is one of its sync keys, and a backend that each
 * secrets.x is an option of the user mapping: a typo is then an error naming the field's file, line and
 * key path, not an empty value sent to the API.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"

/* One field's visit: the caller's visitor, told the field it reads in. */
typedef struct FieldVisit
{
	BfFieldRefVisitor visit;
	void	   *arg;
	const char *field_path;
	BfLoc		loc;
} FieldVisit;

/* The walk of one endpoint: the visitor and which reads it wants. */
typedef struct Walk
{
	BfFieldRefVisitor visit;
	void	   *arg;
	bool		required_only;	/* bf_expr_visit_required_refs' reads only */
} Walk;

static void
field_ref(const char *ref, void *arg)
{
	FieldVisit *f = arg;

	f->visit(ref, f->field_path, f->loc, f->arg);
}

static void
visit_tmpl(const BfTmplField *t, const Walk *w)
{
	FieldVisit	f = {w->visit, w->arg, t->path, t->loc};

	if (t->tmpl == NULL)
		return;
	if (w->required_only)
		bf_template_visit_required_refs(t->tmpl, field_ref, &f);
	else
		bf_template_visit_refs(t->tmpl, field_ref, &f);
}

static void
visit_expr(const BfExprField *e, const Walk *w)
{
	FieldVisit	f = {w->visit, w->arg, e->path, e->loc};

	if (e->expr == NULL)
		return;
	if (w->required_only)
		bf_expr_visit_required_refs(e->expr, field_ref, &f);
	else
		bf_expr_visit_refs(e->expr, field_ref, &f);
}

/* A value holds templates anywhere in its lists and maps. */
static void
visit_value(const BfValue *v, const Walk *w)
{
	int			i;

	if (v == NULL)
		return;
	if (v->kind == BF_VALUE_TEMPLATE)
		visit_tmpl(&v->tmpl, w);
	for (i = 0; (v->kind == BF_VALUE_LIST || v->kind == BF_VALUE_MAP) && i < v->count; i++)
		visit_value(&v->items[i], w);
}

static void
visit_tmpl_map(const BfTmplMap *m, const Walk *w)
{
	int			i;

	for (i = 0; i < m->count; i++)
		visit_tmpl(&m->values[i], w);
}

static void
visit_request(const BfRequest *rq, const Walk *w)
{
	visit_tmpl(&rq->url, w);
	visit_tmpl_map(&rq->headers, w);
	visit_value(&rq->parameters, w);
	visit_value(rq->payload, w);
}

static void
visit_pagination(const BfPagination *pg, const Walk *w)
{
	visit_value(&pg->next_state, w);
	visit_expr(&pg->stop_condition, w);
}

static void
visit_response(const BfResponse *resp, const Walk *w)
{
	int			i;

	visit_tmpl(&resp->records.jmespath, w);
	for (i = 0; i < resp->processor_count; i++)
	{
		visit_expr(&resp->processors[i].expression, w);
		visit_expr(&resp->processors[i].condition, w);
	}
	/* the default rules end every list: their conditions read no sync or secret */
	for (i = 0; i < resp->rule_count; i++)
	{
		visit_expr(&resp->rules[i].condition, w);
		visit_tmpl(&resp->rules[i].message, w);
	}
}

static void
visit_calls(const BfCall *calls, int count, const Walk *w)
{
	int			i;

	for (i = 0; i < count; i++)
	{
		visit_expr(&calls[i].condition, w);
		visit_expr(&calls[i].iterate, w);
		visit_request(&calls[i].request, w);
		visit_pagination(&calls[i].pagination, w);
		visit_response(&calls[i].response, w);
	}
}

static void
visit_auth(const BfAuth *a, const Walk *w)
{
	const BfTmplField *fields[] = {&a->username, &a->password, &a->client_id,
		&a->client_secret, &a->authentication_url, &a->aws_service, &a->aws_region,
		&a->aws_access_key_id, &a->aws_secret_access_key, &a->aws_session_token,
		&a->secret, &a->signing_string, &a->cert, &a->key, &a->ca};
	size_t		i;

	visit_tmpl_map(&a->headers, w);
	visit_tmpl_map(&a->request_headers, w);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		visit_tmpl(fields[i], w);
}

void
bf_endpoint_visit_refs(const BfSpec *spec, const BfEndpoint *ep, bool required_only,
					   BfFieldRefVisitor visit, void *arg)
{
	Walk		walk = {visit, arg, required_only};
	const Walk *w = &walk;

	if (spec != NULL)
		visit_value(&spec->base_state, w);
	visit_value(&ep->state, w);
	visit_expr(&ep->iterate.over, w);
	visit_request(&ep->request, w);
	visit_pagination(&ep->pagination, w);
	visit_response(&ep->response, w);
	if (ep->auth != NULL)
		visit_auth(ep->auth, w);
	visit_calls(ep->setup, ep->setup_count, w);
	visit_calls(ep->teardown, ep->teardown_count, w);
}

void
bf_value_visit_refs(const BfValue *v, BfFieldRefVisitor visit, void *arg)
{
	Walk		w = {visit, arg, false};

	visit_value(v, &w);
}

/* bf_endpoint_unknown_read's walk: the namespace, the test, the finding. */
typedef struct UnknownWalk
{
	const char *ns;
	size_t		ns_len;
	BfKnownName known;
	void	   *arg;
	BfUnknownRead *out;
} UnknownWalk;

static void
unknown_ref(const char *ref, const char *field_path, BfLoc loc, void *arg)
{
	UnknownWalk *u = arg;
	size_t		len;

	if (u->out->found || strncmp(ref, u->ns, u->ns_len) != 0 || ref[u->ns_len] != '.')
		return;
	ref += u->ns_len + 1;
	len = strcspn(ref, ".[");
	if (u->known(ref, len, u->arg))
		return;
	u->out->found = true;
	u->out->name = strndup(ref, len);
	u->out->field_path = field_path;
	u->out->loc = loc;
}

bool
bf_endpoint_unknown_read(const BfSpec *spec, const BfEndpoint *ep, bool required_only,
						 const char *ns, BfKnownName known, void *arg, BfUnknownRead *out)
{
	UnknownWalk u = {ns, strlen(ns), known, arg, out};

	memset(out, 0, sizeof(*out));
	bf_endpoint_visit_refs(spec, ep, required_only, unknown_ref, &u);
	return out->found;
}
