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

#include "spec/spec.h"

/* One field's visit: the caller's visitor, told the field it reads in. */
typedef struct FieldVisit
{
	BfFieldRefVisitor visit;
	void	   *arg;
	const char *field_path;
	BfLoc		loc;
} FieldVisit;

static void
field_ref(const char *ref, void *arg)
{
	FieldVisit *f = arg;

	f->visit(ref, f->field_path, f->loc, f->arg);
}

static void
visit_tmpl(const BfTmplField *t, BfFieldRefVisitor visit, void *arg)
{
	FieldVisit	f = {visit, arg, t->path, t->loc};

	if (t->tmpl != NULL)
		bf_template_visit_refs(t->tmpl, field_ref, &f);
}

static void
visit_expr(const BfExprField *e, BfFieldRefVisitor visit, void *arg)
{
	FieldVisit	f = {visit, arg, e->path, e->loc};

	if (e->expr != NULL)
		bf_expr_visit_refs(e->expr, field_ref, &f);
}

/* A value holds templates anywhere in its lists and maps. */
static void
visit_value(const BfValue *v, BfFieldRefVisitor visit, void *arg)
{
	int			i;

	if (v == NULL)
		return;
	if (v->kind == BF_VALUE_TEMPLATE)
		visit_tmpl(&v->tmpl, visit, arg);
	for (i = 0; (v->kind == BF_VALUE_LIST || v->kind == BF_VALUE_MAP) && i < v->count; i++)
		visit_value(&v->items[i], visit, arg);
}

static void
visit_tmpl_map(const BfTmplMap *m, BfFieldRefVisitor visit, void *arg)
{
	int			i;

	for (i = 0; i < m->count; i++)
		visit_tmpl(&m->values[i], visit, arg);
}

static void
visit_request(const BfRequest *rq, BfFieldRefVisitor visit, void *arg)
{
	visit_tmpl(&rq->url, visit, arg);
	visit_tmpl_map(&rq->headers, visit, arg);
	visit_value(&rq->parameters, visit, arg);
	visit_value(rq->payload, visit, arg);
}

static void
visit_pagination(const BfPagination *pg, BfFieldRefVisitor visit, void *arg)
{
	visit_value(&pg->next_state, visit, arg);
	visit_expr(&pg->stop_condition, visit, arg);
}

static void
visit_response(const BfResponse *resp, BfFieldRefVisitor visit, void *arg)
{
	int			i;

	visit_tmpl(&resp->records.jmespath, visit, arg);
	for (i = 0; i < resp->processor_count; i++)
	{
		visit_expr(&resp->processors[i].expression, visit, arg);
		visit_expr(&resp->processors[i].condition, visit, arg);
	}
	/* the default rules end every list: their conditions read no sync or secret */
	for (i = 0; i < resp->rule_count; i++)
	{
		visit_expr(&resp->rules[i].condition, visit, arg);
		visit_tmpl(&resp->rules[i].message, visit, arg);
	}
}

static void
visit_calls(const BfCall *calls, int count, BfFieldRefVisitor visit, void *arg)
{
	int			i;

	for (i = 0; i < count; i++)
	{
		visit_expr(&calls[i].condition, visit, arg);
		visit_expr(&calls[i].iterate, visit, arg);
		visit_request(&calls[i].request, visit, arg);
		visit_pagination(&calls[i].pagination, visit, arg);
		visit_response(&calls[i].response, visit, arg);
	}
}

static void
visit_auth(const BfAuth *a, BfFieldRefVisitor visit, void *arg)
{
	const BfTmplField *fields[] = {&a->username, &a->password, &a->client_id,
		&a->client_secret, &a->authentication_url, &a->aws_service, &a->aws_region,
		&a->aws_access_key_id, &a->aws_secret_access_key, &a->aws_session_token,
		&a->secret, &a->signing_string, &a->cert, &a->key, &a->ca};
	size_t		i;

	visit_tmpl_map(&a->headers, visit, arg);
	visit_tmpl_map(&a->request_headers, visit, arg);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		visit_tmpl(fields[i], visit, arg);
}

void
bf_endpoint_visit_refs(const BfSpec *spec, const BfEndpoint *ep, BfFieldRefVisitor visit,
					   void *arg)
{
	if (spec != NULL)
		visit_value(&spec->base_state, visit, arg);
	visit_value(&ep->state, visit, arg);
	visit_expr(&ep->iterate.over, visit, arg);
	visit_request(&ep->request, visit, arg);
	visit_pagination(&ep->pagination, visit, arg);
	visit_response(&ep->response, visit, arg);
	if (ep->auth != NULL)
		visit_auth(ep->auth, visit, arg);
	visit_calls(ep->setup, ep->setup_count, visit, arg);
	visit_calls(ep->teardown, ep->teardown_count, visit, arg);
}
