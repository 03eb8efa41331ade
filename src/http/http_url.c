/*-------------------------------------------------------------------------
 *
 * http_url.c
 *		  Query strings, form bodies and Basic auth for the request engine.
 *
 * Sling builds query strings with Go's url.Values.Encode: keys sorted, a
 * space written '+'.  Here parameters keep the spec's order (servers do
 * not care, and a reader of the request log can find them), a space in a
 * query is %20, which every server reads as a space while some read '+'
 * literally, and a form body keeps '+', which its media type defines.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/crypto.h"
#include "http/http.h"

static const char http_hex[] = "0123456789ABCDEF";

/* RFC 3986 §2.3: the characters that never need escaping. */
static bool
http_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Measured before writing, so each result is one exact allocation. */
static size_t
http_escaped_len(const char *s, size_t len, bool space_as_plus)
{
	size_t		out = 0;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		out += (http_unreserved(c) || (c == ' ' && space_as_plus)) ? 1 : 3;
	}
	return out;
}

/* Write the escaped form of s at dst; returns the end of what it wrote. */
static char *
http_escape_into(char *dst, const char *s, size_t len, bool space_as_plus)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (http_unreserved(c))
			*dst++ = (char) c;
		else if (c == ' ' && space_as_plus)
			*dst++ = '+';
		else
		{
			*dst++ = '%';
			*dst++ = http_hex[c >> 4];
			*dst++ = http_hex[c & 15];
		}
	}
	return dst;
}

/* One component, for callers that build URLs of their own (encode_url). */
char *
bf_http_escape(const char *s, size_t len, bool space_as_plus, BfError *err)
{
	char	   *out;

	if (len > (SIZE_MAX - 1) / 3)
	{
		bf_error_set(err, BF_ERR_VALUE, "string too long to URL-encode");
		return NULL;
	}
	out = malloc(http_escaped_len(s, len, space_as_plus) + 1);
	if (out == NULL)
	{
		bf_error_set(err, BF_ERR_NOMEM, "out of memory URL-encoding");
		return NULL;
	}
	*http_escape_into(out, s, len, space_as_plus) = '\0';
	return out;
}

/*
 * "k=v&k=v" of the parameters that have a value, measured first and then
 * written, so nothing is reallocated.  A NULL value drops the parameter:
 * Sling's Stripe spec sends a null starting_after on the first page.
 */
static char *
http_join_params(const BfHttpPair *params, int n_params, bool space_as_plus,
				 BfError *err)
{
	size_t		size = 1;
	char	   *out;
	char	   *p;
	int			i;

	for (i = 0; i < n_params; i++)
	{
		if (params[i].value == NULL)
			continue;
		size += http_escaped_len(params[i].name, strlen(params[i].name), space_as_plus) +
			http_escaped_len(params[i].value, strlen(params[i].value), space_as_plus) + 2;
	}
	out = p = malloc(size);
	if (out == NULL)
	{
		bf_error_set(err, BF_ERR_NOMEM, "out of memory URL-encoding parameters");
		return NULL;
	}
	for (i = 0; i < n_params; i++)
	{
		if (params[i].value == NULL)
			continue;
		if (p != out)
			*p++ = '&';
		p = http_escape_into(p, params[i].name, strlen(params[i].name), space_as_plus);
		*p++ = '=';
		p = http_escape_into(p, params[i].value, strlen(params[i].value), space_as_plus);
	}
	*p = '\0';
	return out;
}

/*
 * The URL's own query string stays as it is (a parameter given twice goes
 * out twice), and a #fragment stays last.
 */
char *
bf_http_url_with_query(const char *url, const BfHttpPair *params, int n_params,
					   BfError *err)
{
	char	   *query = http_join_params(params, n_params, false, err);
	const char *hash;
	const char *sep;
	size_t		base_len;
	size_t		size;
	char	   *out;

	if (query == NULL)
		return NULL;
	hash = strchr(url, '#');
	base_len = hash != NULL ? (size_t) (hash - url) : strlen(url);
	if (query[0] == '\0')
		sep = "";
	else if (memchr(url, '?', base_len) == NULL)
		sep = "?";
	else if (url[base_len - 1] == '?' || url[base_len - 1] == '&')
		sep = "";
	else
		sep = "&";
	size = strlen(url) + strlen(sep) + strlen(query) + 1;
	out = malloc(size);
	if (out == NULL)
		bf_error_set(err, BF_ERR_NOMEM, "out of memory building a URL");
	else
		snprintf(out, size, "%.*s%s%s%s", (int) base_len, url, sep, query,
				 hash != NULL ? hash : "");
	free(query);
	return out;
}

/* A body for Content-Type application/x-www-form-urlencoded. */
char *
bf_http_form_encode(const BfHttpPair *params, int n_params, BfError *err)
{
	return http_join_params(params, n_params, true, err);
}

/* RFC 7617; a NULL user or password counts as empty, as in Go's SetBasicAuth. */
char *
bf_http_basic_auth(const char *user, const char *password, BfError *err)
{
	size_t		ulen = user != NULL ? strlen(user) : 0;
	size_t		plen = password != NULL ? strlen(password) : 0;
	char	   *raw = malloc(ulen + 1 + plen);
	char	   *b64 = NULL;
	char	   *out = NULL;

	if (raw != NULL)
	{
		memcpy(raw, user != NULL ? user : "", ulen);
		raw[ulen] = ':';
		memcpy(raw + ulen + 1, password != NULL ? password : "", plen);
		b64 = bf_crypto_base64_encode(raw, ulen + 1 + plen);
	}
	if (b64 != NULL && (out = malloc(strlen(b64) + 7)) != NULL)
	{
		memcpy(out, "Basic ", 6);
		strcpy(out + 6, b64);
	}
	if (out == NULL)
		bf_error_set(err, BF_ERR_NOMEM, "out of memory building Basic auth");
	free(raw);
	free(b64);
	return out;
}
