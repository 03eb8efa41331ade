/*-------------------------------------------------------------------------
 *
 * runner_request.c
 *		  From an iteration's state to a request: url, method, headers
 *		  (authentication first, then the spec's), query parameters or form
 *		  body, JSON payload; the oauth2 token (client_credentials, password
 *		  and refresh_token grants, through the caller's token cache); and
 *		  the keys libcurl signs an aws-sigv4 request with.
 *
 * Parameters that render to null are left out (Sling's specs rely on a
 * null cursor vanishing from the first page's URL); an empty string stays.
 * Parameters go in the query string, except for a POST, PUT or PATCH whose
 * Content-Type is application/x-www-form-urlencoded, where they are the
 * body, as in Sling.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr/expr.h"
#include "util/crypto.h"
#include "runner/runner_request.h"
#include "runner/runner_sign.h"

/* Refresh a token this long before it expires, so no request carries a stale one. */
#define TOKEN_MARGIN_SECONDS 30.0

struct json_object *
bf_render_value(const BfValue *value, struct json_object *vars, BfError *err)
{
	struct json_object *out;
	int			i;

	switch (value->kind)
	{
		case BF_VALUE_LITERAL:
			return json_object_get(value->literal);
		case BF_VALUE_TEMPLATE:
			out = bf_template_render(value->tmpl.tmpl, vars, err);
			if (err->kind != BF_OK)
				bf_error_prefix(err, "%s", value->tmpl.path);
			return out;
		case BF_VALUE_LIST:
			out = json_object_new_array();
			for (i = 0; i < value->count; i++)
			{
				json_object_array_add(out, bf_render_value(&value->items[i], vars, err));
				if (err->kind != BF_OK)
					break;
			}
			break;
		case BF_VALUE_MAP:
			out = json_object_new_object();
			for (i = 0; i < value->count; i++)
			{
				json_object_object_add(out, value->keys[i],
									   bf_render_value(&value->items[i], vars, err));
				if (err->kind != BF_OK)
					break;
			}
			break;
		default:
			return NULL;
	}
	if (err->kind != BF_OK)
	{
		json_object_put(out);
		return NULL;
	}
	return out;
}

/*
 * Render the keys of map in the loader's dependency order into state, each
 * seeing the keys rendered before it (state is the "state" namespace).
 */
bool
bf_render_map_into(const BfValue *map, const int *order, int order_count,
				   struct json_object *state, BfRunner *r, BfError *err)
{
	int			i;

	for (i = 0; i < order_count; i++)
	{
		int			k = order ? order[i] : i;
		struct json_object *value;

		bf_error_clear(err);
		value = bf_render_value(&map->items[k], r->vars, err);
		if (err->kind != BF_OK)
			return false;
		json_object_object_add(state, map->keys[k], value);
	}
	return true;
}

/* A template rendered to text, with its key path on error. */
static char *
render_text(const BfTmplField *field, BfRunner *r, BfError *err)
{
	char	   *out;

	bf_error_clear(err);
	out = bf_template_render_text(field->tmpl, r->vars, err);
	if (out == NULL && err->kind == BF_OK)
		bf_error_set(err, BF_ERR_NOMEM, "out of memory");
	if (out == NULL)
		bf_error_prefix(err, "%s", field->path);
	return out;
}

/* Growable arrays of name/value pairs whose strings the list owns. */
typedef struct PairList
{
	BfHttpPair *items;
	int			count;
	int			cap;
} PairList;

static void
pairs_add(PairList *l, const char *name, char *value)
{
	if (l->count == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = realloc(l->items, sizeof(BfHttpPair) * l->cap);
	}
	l->items[l->count].name = strdup(name);
	l->items[l->count].value = value;
	l->count++;
}

/* Set name to value, replacing a header of that name (any case) if there is one. */
static void
pairs_set(PairList *l, const char *name, char *value)
{
	int			i;

	for (i = 0; i < l->count; i++)
	{
		if (strcasecmp(l->items[i].name, name) == 0)
		{
			free((char *) l->items[i].value);
			l->items[i].value = value;
			return;
		}
	}
	pairs_add(l, name, value);
}

static void
pairs_free(PairList *l)
{
	int			i;

	for (i = 0; i < l->count; i++)
	{
		free((char *) l->items[i].name);
		free((char *) l->items[i].value);
	}
	free(l->items);
}

static const char *
pairs_get(const PairList *l, const char *name)
{
	int			i;

	for (i = 0; i < l->count; i++)
	{
		if (strcasecmp(l->items[i].name, name) == 0)
			return l->items[i].value;
	}
	return NULL;
}

/* The auth namespace's headers object (auth.headers.*), or NULL. */
static struct json_object *
auth_namespace_headers(BfRunner *r)
{
	struct json_object *auth = NULL;
	struct json_object *h = NULL;

	json_object_object_get_ex(r->vars, "auth", &auth);
	json_object_object_get_ex(auth, "headers", &h);
	return json_object_is_type(h, json_type_object) ? h : NULL;
}

/*
 * Authentication headers in force for a request made for user (an
 * iteration or a page asked for ahead): none for a call of the
 * authentication sequence itself, which is how one authenticates.
 */
static bool
auth_headers(BfRunner *r, const void *user, PairList *headers, BfError *err)
{
	const BfAuth *auth = r->ep->auth;
	int			i;

	if (auth == NULL || user == (const void *) r->auth_call)
		return true;
	switch (auth->type)
	{
		case BF_AUTH_NONE:
			break;
		case BF_AUTH_STATIC:
			for (i = 0; i < auth->headers.count; i++)
			{
				char	   *v = render_text(&auth->headers.values[i], r, err);

				if (v == NULL)
					return false;
				pairs_add(headers, auth->headers.keys[i], v);
			}
			break;
		case BF_AUTH_BASIC:
			{
				char	   *user = render_text(&auth->username, r, err);
				char	   *pass = user ? render_text(&auth->password, r, err) : NULL;
				char	   *value = pass ? bf_http_basic_auth(user, pass, err) : NULL;

				free(user);
				free(pass);
				if (value == NULL)
					return false;
				bf_runner_add_derived(r, value + 6);	/* base64 of user:password */
				pairs_add(headers, "Authorization", value);
			}
			break;
		case BF_AUTH_OAUTH2:
			pairs_add(headers, "Authorization", strdup(r->auth_header));
			break;
		case BF_AUTH_HMAC:
			break;				/* signed once the request is built */
		case BF_AUTH_MTLS:
			break;				/* in the TLS handshake, not a header */
		case BF_AUTH_SEQUENCE:
			{
				struct json_object *h = auth_namespace_headers(r);

				if (h != NULL)
				{
					json_object_object_foreach(h, name, value)
					{
						if (value != NULL)
							pairs_add(headers, name, bf_value_to_text(value));
					}
				}
			}
			break;
		case BF_AUTH_AWS_SIGV4:
			/* temporary credentials: the token is a header the signature covers */
			if (auth->aws_session_token.tmpl != NULL)
			{
				char	   *v = render_text(&auth->aws_session_token, r, err);

				if (v == NULL)
					return false;
				if (v[0] != '\0')
					pairs_add(headers, "X-Amz-Security-Token", v);
				else
					free(v);
			}
			break;
	}
	return true;
}

/* qsort order of parameters: by name, then value (a left-out one first). */
static int
pair_cmp(const void *a, const void *b)
{
	const BfHttpPair *x = a;
	const BfHttpPair *y = b;
	int			c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	if (x->value == NULL || y->value == NULL)
		return (x->value != NULL) - (y->value != NULL);
	return strcmp(x->value, y->value);
}

/* What libcurl needs to sign a request with AWS Signature Version 4. */
typedef struct AwsSigning
{
	char	   *provider;		/* "aws:amz:<region>:<service>" */
	char	   *key_id;
	char	   *secret;
} AwsSigning;

static void
aws_signing_free(AwsSigning *a)
{
	free(a->provider);
	free(a->key_id);
	free(a->secret);
}

/*
 * Render the aws-sigv4 keys.  The region and service are fields of curl's
 * colon-separated provider string, so neither may hold a colon.
 */
static bool
aws_signing(BfRunner *r, AwsSigning *a, BfError *err)
{
	const BfAuth *auth = r->ep->auth;
	char	   *region = NULL;
	char	   *service = NULL;
	bool		ok = false;

	if ((region = render_text(&auth->aws_region, r, err)) == NULL ||
		(service = render_text(&auth->aws_service, r, err)) == NULL ||
		(a->key_id = render_text(&auth->aws_access_key_id, r, err)) == NULL ||
		(a->secret = render_text(&auth->aws_secret_access_key, r, err)) == NULL)
		goto done;
	if (region[0] == '\0' || strchr(region, ':') != NULL)
	{
		bf_error_set(err, BF_ERR_VALUE, "%s: \"%s\" is not an AWS region",
					 auth->aws_region.path, region);
		goto done;
	}
	if (service[0] == '\0' || strchr(service, ':') != NULL)
	{
		bf_error_set(err, BF_ERR_VALUE, "%s: \"%s\" is not an AWS service name",
					 auth->aws_service.path, service);
		goto done;
	}
	a->provider = malloc(strlen(region) + strlen(service) + 10);
	if (a->provider == NULL)
	{
		bf_error_set(err, BF_ERR_NOMEM, "out of memory");
		goto done;
	}
	sprintf(a->provider, "aws:amz:%s:%s", region, service);
	ok = true;
done:
	free(region);
	free(service);
	return ok;
}

/*
 * The spec's headers (defaults merged by the loader), after
 * authentication's: one the request names too replaces it, since a header
 * sent twice is read as either by the API.
 */
static bool
spec_headers(BfRunner *r, const BfRequest *rq, PairList *headers, BfError *err)
{
	const BfTmplMap *h = &rq->headers;
	int			i;

	for (i = 0; i < h->count; i++)
	{
		char	   *v = render_text(&h->values[i], r, err);

		if (v == NULL)
			return false;
		pairs_set(headers, h->keys[i], v);
	}
	return true;
}

/* Rendered parameters; NULL values mean "left out" to the URL helpers. */
static bool
render_parameters(BfRunner *r, const BfRequest *rq, PairList *params, BfError *err)
{
	const BfValue *p = &rq->parameters;
	int			i;

	for (i = 0; i < p->count; i++)
	{
		struct json_object *v;

		bf_error_clear(err);
		v = bf_render_value(&p->items[i], r->vars, err);
		if (err->kind != BF_OK)
			return false;
		pairs_add(params, p->keys[i], v ? bf_value_to_text(v) : NULL);
		json_object_put(v);
	}
	return true;
}

/* The request namespace rules and pagination may read. */
static struct json_object *
request_namespace(const char *url, const char *method, const PairList *headers,
				  struct json_object *payload, int attempts)
{
	struct json_object *req = json_object_new_object();
	struct json_object *h = json_object_new_object();
	int			i;

	for (i = 0; i < headers->count; i++)
		json_object_object_add(h, headers->items[i].name,
							   json_object_new_string(headers->items[i].value));
	json_object_object_add(req, "url", json_object_new_string(url));
	json_object_object_add(req, "method", json_object_new_string(method));
	json_object_object_add(req, "headers", h);
	json_object_object_add(req, "payload", json_object_get(payload));
	json_object_object_add(req, "attempts", json_object_new_int(attempts));
	return req;
}

static bool
is_form(const char *content_type)
{
	return content_type != NULL &&
		strncasecmp(content_type, "application/x-www-form-urlencoded", 33) == 0;
}

/* The body of a payload: a string as it is, anything else as JSON. */
static char *
payload_body(struct json_object *payload, PairList *headers)
{
	if (json_object_is_type(payload, json_type_string))
		return strdup(json_object_get_string(payload));
	if (pairs_get(headers, "Content-Type") == NULL)
		pairs_add(headers, "Content-Type", strdup("application/json"));
	return strdup(json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN |
												 JSON_C_TO_STRING_NOSLASHESCAPE));
}

/*
 * Render and send the iteration's current page (of the endpoint's request
 * or of its setup or teardown call).  The request's memory is the
 * engine's once submitted; what is kept is the request namespace.
 */
bool
bf_submit_request(BfRunner *r, Iteration *it, BfError *err)
{
	bool		ok = bf_submit_page(r, it->rq, it->state, it->attempts + 1, it,
									&it->request, err);

	if (ok)
	{
		it->auth_generation = r->auth_generation;
		it->attempts++;
		it->phase = ITER_IN_FLIGHT;
	}
	return ok;
}

bool
bf_submit_page(BfRunner *r, const BfRequest *rq, struct json_object *state, int attempt,
			   void *user, struct json_object **request, BfError *err)
{
	PairList	headers = {0};
	PairList	params = {0};
	struct json_object *payload = NULL;
	char	   *url = NULL;
	char	   *full_url = NULL;
	char	   *body = NULL;
	BfHttpRequest req;
	AwsSigning	aws = {0};
	char	   *tls[3] = {NULL, NULL, NULL};	/* mtls: cert, key, ca */
	bool		ok = false;

	bf_runner_set_var(r, "state", json_object_get(state));
	if ((url = render_text(&rq->url, r, err)) == NULL ||
		!auth_headers(r, user, &headers, err) || !spec_headers(r, rq, &headers, err) ||
		!render_parameters(r, rq, &params, err))
		goto done;
	if (rq->payload != NULL)
	{
		bf_error_clear(err);
		payload = bf_render_value(rq->payload, r->vars, err);
		if (err->kind != BF_OK)
			goto done;
		body = payload_body(payload, &headers);
	}
	memset(&req, 0, sizeof(req));
	if (!bf_http_method_parse(rq->method, &req.method))
	{
		bf_error_set(err, BF_ERR_VALUE, "request.method %s is not supported", rq->method);
		goto done;
	}
	if (r->ep->auth != NULL && r->ep->auth->type == BF_AUTH_MTLS)
	{
		if ((tls[0] = render_text(&r->ep->auth->cert, r, err)) == NULL ||
			(tls[1] = render_text(&r->ep->auth->key, r, err)) == NULL ||
			(r->ep->auth->ca.tmpl != NULL &&
			 (tls[2] = render_text(&r->ep->auth->ca, r, err)) == NULL))
			goto done;
		req.tls_cert = tls[0];
		req.tls_key = tls[1];
		/* an empty ca, like none, trusts the system's CAs */
		req.tls_ca = tls[2] != NULL && tls[2][0] != '\0' ? tls[2] : NULL;
	}
	/*
	 * SigV4 signs the query sorted by name and value; libcurl before 8.x
	 * signs it in the order it stands (curl issue 9717), so send it sorted.
	 */
	if (r->ep->auth != NULL && r->ep->auth->type == BF_AUTH_AWS_SIGV4 && params.count > 1)
		qsort(params.items, params.count, sizeof(BfHttpPair), pair_cmp);
	if (params.count > 0 && body == NULL &&
		(req.method == BF_HTTP_POST || req.method == BF_HTTP_PUT || req.method == BF_HTTP_PATCH) &&
		is_form(pairs_get(&headers, "Content-Type")))
	{
		body = bf_http_form_encode(params.items, params.count, err);
		full_url = strdup(url);
	}
	else
		full_url = bf_http_url_with_query(url, params.items, params.count, err);
	if (full_url == NULL)
		goto done;
	req.url = full_url;
	req.headers = headers.items;
	req.n_headers = headers.count;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.timeout_ms = (long) rq->timeout * 1000L;	/* a setup or teardown call has its own */
	if (r->ep->auth != NULL && r->ep->auth->type == BF_AUTH_AWS_SIGV4)
	{
		if (!aws_signing(r, &aws, err))
			goto done;
		req.aws_sigv4 = aws.provider;
		req.aws_key_id = aws.key_id;
		req.aws_secret = aws.secret;
	}
	if (r->ep->auth != NULL && r->ep->auth->type == BF_AUTH_HMAC)
	{
		BfHttpPair *signed_headers;
		int			n_signed;
		int			i;

		if (!bf_hmac_sign(r, &req, params.items, params.count, &signed_headers, &n_signed, err))
			goto done;
		for (i = 0; i < n_signed; i++)
		{
			pairs_set(&headers, signed_headers[i].name, (char *) signed_headers[i].value);
			free((char *) signed_headers[i].name);
		}
		free(signed_headers);
		req.headers = headers.items;
		req.n_headers = headers.count;
	}
	json_object_put(*request);
	*request = request_namespace(full_url, rq->method, &headers, payload, attempt);
	if (!bf_http_submit(r->http, &req, user, err))
		goto done;
	ok = true;
done:
	pairs_free(&headers);
	pairs_free(&params);
	aws_signing_free(&aws);
	free(tls[0]);
	free(tls[1]);
	free(tls[2]);
	json_object_put(payload);
	free(url);
	free(full_url);
	free(body);
	return ok;
}

/* A template field rendered and added to a form under name (none when src is NULL). */
static bool
form_add_field(BfRunner *r, PairList *form, const char *name, const BfTmplField *field,
			   bool skip_empty, BfError *err)
{
	char	   *v;

	if (field->tmpl == NULL)
		return true;
	if ((v = render_text(field, r, err)) == NULL)
		return false;
	if (skip_empty && v[0] == '\0')
		free(v);
	else
		pairs_add(form, name, v);
	return true;
}

/*
 * The form of a token request: the flow's own grant (RFC 6749 4.4
 * client_credentials, 4.3 password, 6 refresh_token), or, given refresh,
 * the refresh grant that renews a token with it.  A client with no
 * secret (an empty one too) is a public client and sends only its id.
 */
static char *
token_form(BfRunner *r, const char *refresh, BfError *err)
{
	const BfAuth *auth = r->ep->auth;
	PairList	form = {0};
	char	   *body = NULL;
	bool		ok;

	if (refresh != NULL)
	{
		pairs_add(&form, "grant_type", strdup("refresh_token"));
		pairs_add(&form, "refresh_token", strdup(refresh));
		ok = true;
	}
	else
	{
		static const char *const grants[] = {"client_credentials", "password", "refresh_token"};

		pairs_add(&form, "grant_type", strdup(grants[auth->flow]));
		ok = form_add_field(r, &form, "username", &auth->username, false, err) &&
			form_add_field(r, &form, "password", &auth->password, false, err) &&
			form_add_field(r, &form, "refresh_token", &auth->refresh_token, false, err);
	}
	ok = ok && form_add_field(r, &form, "client_id", &auth->client_id, false, err) &&
		form_add_field(r, &form, "client_secret", &auth->client_secret, true, err);
	if (ok && auth->scopes.count > 0)
	{
		size_t		len = 1;
		char	   *scope;
		int			i;

		for (i = 0; i < auth->scopes.count; i++)
			len += strlen(auth->scopes.items[i]) + 1;
		scope = calloc(1, len);
		for (i = 0; i < auth->scopes.count; i++)
		{
			if (i > 0)
				strcat(scope, " ");
			strcat(scope, auth->scopes.items[i]);
		}
		pairs_add(&form, "scope", scope);
	}
	if (ok)
		body = bf_http_form_encode(form.items, form.count, err);
	pairs_free(&form);
	return body;
}

/* Wipe and free a string that held a secret. */
static void
free_secret(char *s)
{
	if (s != NULL)
	{
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/*
 * The cache key of a grant: the caller's scope and a digest of the token
 * URL and the flow's own form, so that another role, mapping, secret or
 * scope list never meets this token, and the key holds no secret.
 */
static char *
token_key(BfRunner *r, const char *url, const char *form)
{
	size_t		len = strlen(url) + strlen(form) + 2;
	char	   *text = malloc(len);
	char		hex[BF_CRYPTO_HEX_MAX];
	char	   *key = NULL;
	const char *scope = r->token_scope ? r->token_scope : "";

	if (text == NULL)
		return NULL;
	snprintf(text, len, "%s\n%s", url, form);
	if (bf_crypto_digest_hex("sha256", text, len - 1, hex) &&
		(key = malloc(strlen(scope) + strlen(hex) + 2)) != NULL)
		sprintf(key, "%s/%s", scope, hex);
	free_secret(text);
	return key;
}

/*
 * Authenticate with an access token: its header, the auth.token value
 * expressions read, masked from now on in the run's messages.
 */
static void
use_token(BfRunner *r, const char *token, double expires_at)
{
	struct json_object *auth = NULL;
	size_t		len = strlen(token) + 8;

	free_secret(r->auth_header);
	r->auth_header = malloc(len);
	snprintf(r->auth_header, len, "Bearer %s", token);
	bf_runner_add_derived(r, token);
	json_object_object_get_ex(r->vars, "auth", &auth);
	json_object_object_add(auth, "token", json_object_new_string(token));
	r->auth_expires = expires_at;
	r->auth_phase = AUTH_READY;
	r->auth_generation++;
	r->auth_unused = true;
}

/*
 * Get an oauth2 token: from the cache when it holds a good one for this
 * grant; else ask the token URL through the same engine (so it counts
 * against the endpoint's rate like any request), with the refresh token
 * the cache keeps when the flow is refresh_token or the spec says
 * refresh_on_expire, else with the flow's own grant.
 */
bool
bf_submit_token_request(BfRunner *r, BfError *err)
{
	const BfAuth *auth = r->ep->auth;
	PairList	headers = {0};
	char	   *url = NULL;
	char	   *own = NULL;
	char	   *body = NULL;
	BfToken		cached = {NULL, NULL, 0};
	BfHttpRequest req;
	bool		ok = false;

	bf_runner_set_var(r, "state", json_object_get(r->base_state));
	if ((url = render_text(&auth->authentication_url, r, err)) == NULL ||
		(own = token_form(r, NULL, err)) == NULL)
		goto done;
	free(r->token_key);
	if ((r->token_key = token_key(r, url, own)) == NULL)
	{
		bf_error_set(err, BF_ERR_NOMEM, "out of memory");
		goto done;
	}
	bf_token_cache_get(r->tokens, r->token_key, bf_http_now(), &cached);
	if (cached.access_token != NULL)
	{
		use_token(r, cached.access_token, cached.expires_at);
		ok = true;
		goto done;
	}
	free_secret(r->refresh_used);
	r->refresh_used = NULL;
	if (cached.refresh_token != NULL && !r->no_refresh &&
		(auth->flow == BF_OAUTH_REFRESH_TOKEN || auth->refresh_on_expire))
	{
		bf_runner_add_derived(r, cached.refresh_token);
		if ((body = token_form(r, cached.refresh_token, err)) == NULL)
			goto done;
		r->refresh_used = strdup(cached.refresh_token);
	}
	else
	{
		body = own;
		own = NULL;
	}
	pairs_add(&headers, "Content-Type", strdup("application/x-www-form-urlencoded"));
	pairs_add(&headers, "Accept", strdup("application/json"));
	memset(&req, 0, sizeof(req));
	req.method = BF_HTTP_POST;
	req.url = url;
	req.headers = headers.items;
	req.n_headers = headers.count;
	req.body = body;
	req.body_len = strlen(body);
	if (!bf_http_submit(r->http, &req, r, err))
		goto done;
	r->auth_phase = AUTH_PENDING;
	ok = true;
done:
	bf_token_clear(&cached);
	pairs_free(&headers);
	free(url);
	free_secret(own);
	free_secret(body);
	if (!ok)
		bf_error_prefix(err, "authentication");
	return ok;
}

/*
 * When a token expires, by the token URL's expires_in less a margin (a
 * tenth of its life, at most TOKEN_MARGIN_SECONDS, so that no request
 * carries a token about to lapse), or by the spec's expires, whichever
 * comes first; 0: never.  A token always serves at least one request
 * (auth_unused), so even one that lapses at once cannot stall the run.
 */
static double
token_expiry(BfRunner *r, struct json_object *expires_in)
{
	double		now = bf_http_now();
	double		at = 0;

	/* no life, or none that makes sense: the API's 401 will say when */
	if (expires_in != NULL && json_object_get_double(expires_in) > 0)
	{
		double		life = json_object_get_double(expires_in);
		double		margin = life / 10 < TOKEN_MARGIN_SECONDS ? life / 10 : TOKEN_MARGIN_SECONDS;

		at = now + life - margin;
	}
	if (r->ep->auth->expires > 0 && (at == 0 || now + r->ep->auth->expires < at))
		at = now + r->ep->auth->expires;
	return at;
}

/*
 * Take the token from its response into the run and the cache, with the
 * refresh token that came with it (or the one that got it, which stays
 * good).  A refused refresh token is dropped, and the flow's own grant
 * tried instead; any other refusal fails naming the token URL's status.
 */
bool
bf_handle_token_response(BfRunner *r, BfHttpResponse *resp, BfError *err)
{
	struct json_object *doc;
	struct json_object *token;
	struct json_object *refresh = NULL;
	struct json_object *expires = NULL;
	BfToken		tok;

	if (resp->status < 200 || resp->status >= 300)
	{
		if (r->refresh_used != NULL)
		{
			bf_token_cache_drop(r->tokens, r->token_key);
			r->no_refresh = true;
			r->auth_phase = AUTH_NEEDED;
			return true;
		}
		return bf_error_set(err, BF_ERR_HTTP, "authentication: %s%sHTTP %ld from the token URL",
							resp->error ? resp->error : "", resp->error ? ": " : "",
							resp->status);
	}
	doc = resp->body ? json_tokener_parse(resp->body) : NULL;
	if (!json_object_object_get_ex(doc, "access_token", &token) ||
		!json_object_is_type(token, json_type_string) ||
		json_object_get_string_len(token) == 0)
	{
		json_object_put(doc);
		return bf_error_set(err, BF_ERR_HTTP,
							"authentication: the token URL's answer has no access_token");
	}
	json_object_object_get_ex(doc, "expires_in", &expires);
	if (json_object_object_get_ex(doc, "refresh_token", &refresh) &&
		json_object_is_type(refresh, json_type_string))
		bf_runner_add_derived(r, json_object_get_string(refresh));
	else
		refresh = NULL;
	use_token(r, json_object_get_string(token), token_expiry(r, expires));
	tok.access_token = (char *) json_object_get_string(token);
	tok.refresh_token = refresh ? (char *) json_object_get_string(refresh) : r->refresh_used;
	tok.expires_at = r->auth_expires;
	/* no memory for the cache: the run still has its token */
	(void) bf_token_cache_put(r->tokens, r->token_key, &tok);
	r->no_refresh = false;
	json_object_put(doc);
	return true;
}
