/*-------------------------------------------------------------------------
 *
 * runner_sign.c
 *		  hmac authentication: a request signed with HMAC-SHA256 or
 *		  HMAC-SHA512 of a signing string the spec writes, as Sling's
 *		  AuthenticatorHMAC does, on libcrypto (crypto.c).
 *
 * The spec's signing_string and request_headers are templates rendered
 * first (secrets.*, state.*), then Sling's placeholders are filled in:
 * {http_method}, {http_path} (path and query), {http_query} (parameters
 * sorted by name then value, query-escaped), {http_headers} (lower-case
 * "name:value\n", sorted), {http_body_raw}, {http_body_md5|sha1|sha256|
 * sha512}, {unix_time}, {unix_time_ms}, {date_iso}, {date_rfc1123},
 * {nonce} and, in headers only, {signature}.  Filling in after rendering
 * (Sling does it before) means a request body holding braces is never
 * read as an expression.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "util/crypto.h"
#include "expr/expr.h"
#include "runner/runner_sign.h"

/* The placeholders, in the order of their values in Fill. */
static const char *const placeholders[] = {
	"http_method", "http_path", "http_query", "http_headers", "http_body_raw",
	"http_body_md5", "http_body_sha1", "http_body_sha256", "http_body_sha512",
	"unix_time", "unix_time_ms", "date_iso", "date_rfc1123", "nonce", "signature",
};
#define N_PLACEHOLDERS (sizeof(placeholders) / sizeof(placeholders[0]))

typedef struct Fill
{
	char	   *values[N_PLACEHOLDERS];
} Fill;

/* text with every "{placeholder}" replaced by its value, malloc'd. */
static char *
fill_in(const char *text, const Fill *f)
{
	size_t		cap = strlen(text) + 1;
	size_t		i;
	char	   *out;
	char	   *o;
	const char *p;

	for (i = 0; i < N_PLACEHOLDERS; i++)
		if (f->values[i] != NULL)
			cap += strlen(f->values[i]) * (strlen(text) / (strlen(placeholders[i]) + 2) + 1);
	if ((out = malloc(cap)) == NULL)
		return NULL;
	for (o = out, p = text; *p;)
	{
		bool		done = false;

		if (*p == '{')
		{
			for (i = 0; i < N_PLACEHOLDERS && !done; i++)
			{
				size_t		n = strlen(placeholders[i]);

				if (f->values[i] != NULL && strncmp(p + 1, placeholders[i], n) == 0 &&
					p[n + 1] == '}')
				{
					o = stpcpy(o, f->values[i]);
					p += n + 2;
					done = true;
				}
			}
		}
		if (!done)
			*o++ = *p++;
	}
	*o = '\0';
	return out;
}

static int
pair_name_cmp(const void *a, const void *b)
{
	const BfHttpPair *x = a;
	const BfHttpPair *y = b;
	int			c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value ? x->value : "", y->value ? y->value : "");
}

/* Sling's canonical query: parameters sorted, "k=v" query-escaped, joined by '&'. */
static char *
canonical_query(const BfHttpPair *params, int n, BfError *err)
{
	BfHttpPair *sorted = malloc(sizeof(BfHttpPair) * (n > 0 ? n : 1));
	size_t		len = 1;
	char	   *out;
	int			i;
	int			kept = 0;

	if (sorted == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (params[i].value != NULL)
			sorted[kept++] = params[i];
	qsort(sorted, kept, sizeof(BfHttpPair), pair_name_cmp);
	for (i = 0; i < kept; i++)
		len += 3 * (strlen(sorted[i].name) + strlen(sorted[i].value)) + 2;
	out = calloc(1, len);
	for (i = 0; out != NULL && i < kept; i++)
	{
		char	   *k = bf_http_escape(sorted[i].name, strlen(sorted[i].name), true, err);
		char	   *v = bf_http_escape(sorted[i].value, strlen(sorted[i].value), true, err);

		if (k != NULL && v != NULL)
			sprintf(out + strlen(out), "%s%s=%s", i > 0 ? "&" : "", k, v);
		free(k);
		free(v);
	}
	free(sorted);
	return out;
}

/* The request's headers as "name:value\n", names lower-cased, sorted. */
static char *
canonical_headers(const BfHttpPair *headers, int n)
{
	BfHttpPair *sorted = malloc(sizeof(BfHttpPair) * (n > 0 ? n : 1));
	char	  **names = calloc(n > 0 ? n : 1, sizeof(char *));
	size_t		len = 1;
	char	   *out = NULL;
	int			i;
	int			kept = 0;

	if (sorted != NULL && names != NULL)
	{
		for (i = 0; i < n; i++)
		{
			char	   *c;

			if (headers[i].value == NULL || (names[kept] = strdup(headers[i].name)) == NULL)
				continue;
			for (c = names[kept]; *c; c++)
				*c = (char) (*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
			sorted[kept].name = names[kept];
			sorted[kept].value = headers[i].value;
			len += strlen(names[kept]) + strlen(headers[i].value) + 2;
			kept++;
		}
		qsort(sorted, kept, sizeof(BfHttpPair), pair_name_cmp);
		if ((out = calloc(1, len)) != NULL)
			for (i = 0; i < kept; i++)
				sprintf(out + strlen(out), "%s:%s\n", sorted[i].name, sorted[i].value);
	}
	for (i = 0; names != NULL && i < kept; i++)
		free(names[i]);
	free(names);
	free(sorted);
	return out;
}

/* The value of a hex digit, or -1. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The key's bytes as the spec's secret_encoding says; false: not that encoding. */
static bool
decode_secret(BfSecretEncoding enc, const char *secret, char **key, size_t *key_len)
{
	size_t		n = strlen(secret);
	size_t		i;

	*key = NULL;
	if (enc == BF_SECRET_BASE64)
		return bf_crypto_base64_decode(secret, n, key, key_len) == 1;
	if (enc == BF_SECRET_RAW)
	{
		*key = strdup(secret);
		*key_len = n;
		return *key != NULL;
	}
	if (n % 2 != 0 || (*key = malloc(n / 2 + 1)) == NULL)
		return false;
	for (i = 0; i < n; i += 2)
	{
		int			hi = hex_value(secret[i]);
		int			lo = hex_value(secret[i + 1]);

		if (hi < 0 || lo < 0)
		{
			free(*key);
			*key = NULL;
			return false;
		}
		(*key)[i / 2] = (char) (hi << 4 | lo);
	}
	*key_len = n / 2;
	return true;
}

/* The placeholders' values for this request (all but signature). */
static bool
fill_request(BfRunner *r, const BfHttpRequest *req, const BfHttpPair *params, int n_params,
			 Fill *f, BfError *err)
{
	static const char *const body_algos[] = {"md5", "sha1", "sha256", "sha512"};
	const char *body = req->body ? req->body : "";
	const char *path = strstr(req->url, "://");
	struct timeval tv;
	struct tm	tm;
	char		buf[64];
	int			i;

	path = path != NULL ? strchr(path + 3, '/') : NULL;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	f->values[0] = strdup(bf_http_method_name(req->method));
	f->values[1] = strdup(path != NULL ? path : "/");
	f->values[2] = canonical_query(params, n_params, err);
	f->values[3] = canonical_headers(req->headers, req->n_headers);
	f->values[4] = strndup(body, req->body_len);
	for (i = 0; i < 4; i++)
	{
		char		hex[BF_CRYPTO_HEX_MAX];

		f->values[5 + i] = bf_crypto_digest_hex(body_algos[i], body, req->body_len, hex) ?
			strdup(hex) : NULL;
	}
	snprintf(buf, sizeof(buf), "%lld", (long long) tv.tv_sec);
	f->values[9] = strdup(buf);
	snprintf(buf, sizeof(buf), "%lld", (long long) tv.tv_sec * 1000 + tv.tv_usec / 1000);
	f->values[10] = strdup(buf);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	f->values[11] = strdup(buf);
	/* Go's time.RFC1123 of a UTC time names the zone "UTC" */
	strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S UTC", &tm);
	f->values[12] = strdup(buf);
	f->values[13] = strdup("");
	if (r->ep->auth->nonce_length > 0)
	{
		unsigned char nonce[256];

		free(f->values[13]);
		f->values[13] = malloc(2 * (size_t) r->ep->auth->nonce_length + 1);
		if (f->values[13] == NULL || !bf_crypto_random(nonce, r->ep->auth->nonce_length))
			return bf_error_set(err, BF_ERR_INTERNAL,
								"authentication: no random bytes for the nonce");
		bf_crypto_hex(nonce, r->ep->auth->nonce_length, f->values[13]);
	}
	for (i = 0; i < (int) N_PLACEHOLDERS - 1; i++)
		if (f->values[i] == NULL)
			return err->kind != BF_OK ? false :
				bf_error_set(err, BF_ERR_NOMEM, "out of memory signing a request");
	return true;
}

static void
fill_free(Fill *f)
{
	size_t		i;

	for (i = 0; i < N_PLACEHOLDERS; i++)
		free(f->values[i]);
}

/* A template rendered, then its placeholders filled in; NULL with err set. */
static char *
render_filled(BfRunner *r, const BfTmplField *field, const Fill *f, BfError *err)
{
	char	   *text;
	char	   *out;

	bf_error_clear(err);
	text = bf_template_render_text(field->tmpl, r->vars, err);
	if (text == NULL)
	{
		if (err->kind == BF_OK)
			bf_error_set(err, BF_ERR_NOMEM, "out of memory");
		bf_error_prefix(err, "%s", field->path);
		return NULL;
	}
	out = fill_in(text, f);
	free(text);
	if (out == NULL)
		bf_error_set(err, BF_ERR_NOMEM, "out of memory signing a request");
	return out;
}

bool
bf_hmac_sign(BfRunner *r, const BfHttpRequest *req, const BfHttpPair *params, int n_params,
			 BfHttpPair **out, int *n_out, BfError *err)
{
	const BfAuth *auth = r->ep->auth;
	Fill		f = {{0}};
	char	   *secret = NULL;
	char	   *key = NULL;
	size_t		key_len = 0;
	char	   *to_sign = NULL;
	unsigned char mac[BF_CRYPTO_MAX_DIGEST];
	size_t		mac_len = 0;
	bool		ok = false;
	int			i;

	*out = NULL;
	*n_out = 0;
	if (!fill_request(r, req, params, n_params, &f, err) ||
		(to_sign = render_filled(r, &auth->signing_string, &f, err)) == NULL)
		goto done;
	bf_error_clear(err);
	if ((secret = bf_template_render_text(auth->secret.tmpl, r->vars, err)) == NULL)
	{
		bf_error_prefix(err, "%s", auth->secret.path);
		goto done;
	}
	if (!decode_secret(auth->secret_encoding, secret, &key, &key_len))
	{
		/* the message names the key, never the secret */
		bf_error_set(err, BF_ERR_VALUE, "%s: the secret is not valid %s", auth->secret.path,
					 auth->secret_encoding == BF_SECRET_HEX ? "hex" : "base64");
		goto done;
	}
	if (!bf_crypto_hmac(auth->algorithm, key, key_len, to_sign, strlen(to_sign), mac, &mac_len) ||
		(f.values[N_PLACEHOLDERS - 1] = malloc(2 * mac_len + 1)) == NULL)
	{
		bf_error_set(err, BF_ERR_INTERNAL, "authentication: HMAC-%s failed", auth->algorithm);
		goto done;
	}
	bf_crypto_hex(mac, mac_len, f.values[N_PLACEHOLDERS - 1]);
	bf_runner_add_derived(r, f.values[N_PLACEHOLDERS - 1]);
	*out = calloc(auth->request_headers.count > 0 ? auth->request_headers.count : 1,
				  sizeof(BfHttpPair));
	if (*out == NULL)
		goto done;
	for (i = 0; i < auth->request_headers.count; i++)
	{
		char	   *v = render_filled(r, &auth->request_headers.values[i], &f, err);

		if (v == NULL)
			goto done;
		(*out)[i].name = strdup(auth->request_headers.keys[i]);
		(*out)[i].value = v;
		*n_out = i + 1;
		if (strstr(v, f.values[N_PLACEHOLDERS - 1]) != NULL)
			bf_runner_add_derived(r, v);
	}
	ok = true;
done:
	fill_free(&f);
	free(to_sign);
	free(secret);
	free(key);
	return ok;
}
