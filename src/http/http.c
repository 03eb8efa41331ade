/*-------------------------------------------------------------------------
 *
 * http.c
 *		  The request engine of a scan: a queue, a libcurl multi handle, and
 *		  the rate, concurrency and pause rules that sit between them.
 *
 * A request lives in one of three places: the queue (submitted, waiting for
 * a slot, the rate or a pause), the in-flight table (an easy handle in the
 * multi handle), or the done list (a response bf_http_poll has not handed
 * out yet).  Only bf_http_poll moves requests between them, so the caller
 * controls when any work, and any waiting, happens.
 *
 * Easy handles are kept for reuse when a transfer ends; connections live in
 * the multi handle's cache, so keep-alive works across requests and all of
 * them close in curl_multi_cleanup.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http/http.h"

/*
 * CURLOPT_PROTOCOLS_STR (7.85), CURLOPT_AWS_SIGV4 (7.75), the TLS *_BLOB
 * options (7.77) and curl_multi_poll (7.66).
 */
#if LIBCURL_VERSION_NUM < 0x075500
#error "backfill_fdw needs libcurl 7.85 or later"
#endif

/* A growing byte buffer, always NUL-terminated once it holds anything. */
typedef struct HttpBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} HttpBuf;

typedef struct HttpReq
{
	struct HttpReq *next;		/* in the queue */
	BfHttpMethod method;
	char	   *url;
	struct curl_slist *headers;
	char	   *body;			/* NULL: no body */
	size_t		body_len;
	long		timeout_ms;
	void	   *user;
	double		submitted_at;	/* bf_http_now() at bf_http_submit */
	double		dispatched_at;	/* and when it went into flight */
	BfHttpHold	held_by;		/* the last thing that kept it queued */
	char	   *aws_sigv4;		/* NULL, or the provider and its credentials */
	char	   *aws_key_id;
	char	   *aws_secret;
	char	   *tls_cert;		/* NULL, or PEM text for libcurl's blobs */
	char	   *tls_key;
	char	   *tls_ca;

	/* while in flight */
	CURL	   *easy;
	size_t		max_body;
	HttpBuf		recv;
	struct json_object *resp_headers;
	bool		too_big;
	bool		oom;
	char		errbuf[CURL_ERROR_SIZE];
} HttpReq;

/* A response waiting in the done list; resp must stay the first member. */
typedef struct HttpDone
{
	BfHttpResponse resp;
	struct HttpDone *next;
} HttpDone;

struct BfHttp
{
	CURLM	   *multi;
	BfHttpLimits limits;
	char	   *user_agent;

	HttpReq    *queue_head;
	HttpReq    *queue_tail;
	int			n_queued;

	HttpReq   **in_flight;		/* max_concurrency slots */
	int			n_in_flight;
	CURL	  **idle;			/* easy handles kept for reuse */
	int			n_idle;

	HttpDone   *done_head;
	HttpDone   *done_tail;
	int			n_done;

	double		next_slot;		/* the rate allows no dispatch before this */
	double		pause_until;	/* nor does a shared pause */
	BfHttpStats stats;
};

static const char *const http_method_names[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"
};

#define HTTP_N_METHODS ((int) (sizeof(http_method_names) / sizeof(http_method_names[0])))

static bool http_global_done = false;

/*
 * curl_global_init is not thread-safe and must run before any other curl
 * call; a backend is single-threaded, so a flag is enough to run it once.
 */
bool
bf_http_global_init(BfError *err)
{
	CURLcode	rc;

	if (http_global_done)
		return true;
	rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK)
		return bf_error_set(err, BF_ERR_INTERNAL, "could not initialize libcurl: %s",
							curl_easy_strerror(rc));
	http_global_done = true;
	return true;
}

/* The runner starts from these and overrides what the spec says. */
void
bf_http_limits_default(BfHttpLimits *limits)
{
	limits->max_concurrency = BF_HTTP_DEFAULT_CONCURRENCY;
	limits->rate = BF_HTTP_DEFAULT_RATE;
	limits->timeout_ms = BF_HTTP_DEFAULT_TIMEOUT_MS;
	limits->user_agent = BF_HTTP_USER_AGENT;
	limits->max_body_bytes = BF_HTTP_DEFAULT_MAX_BODY;
}

/* Specs write methods in any case; the spec loader checks them here. */
bool
bf_http_method_parse(const char *name, BfHttpMethod *out)
{
	int			i;

	for (i = 0; name != NULL && i < HTTP_N_METHODS; i++)
	{
		if (strcasecmp(name, http_method_names[i]) == 0)
		{
			*out = (BfHttpMethod) i;
			return true;
		}
	}
	return false;
}

const char *
bf_http_method_name(BfHttpMethod method)
{
	if ((int) method < 0 || (int) method >= HTTP_N_METHODS)
		return "?";
	return http_method_names[method];
}

/* Rate and pause deadlines must not jump with the wall clock. */
double
bf_http_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/*
 * The limits are checked here rather than trusted, as they come from a
 * spec; the tables of slots are sized once, since the cap never changes.
 */
BfHttp *
bf_http_new(const BfHttpLimits *limits, BfError *err)
{
	BfHttpLimits defaults;
	BfHttp	   *http;

	if (limits == NULL)
	{
		bf_http_limits_default(&defaults);
		limits = &defaults;
	}
	if (limits->max_concurrency < 1)
	{
		bf_error_set(err, BF_ERR_VALUE, "request concurrency must be at least 1, not %d",
					 limits->max_concurrency);
		return NULL;
	}
	if (limits->timeout_ms <= 0)
	{
		bf_error_set(err, BF_ERR_VALUE, "request timeout must be positive, not %ld ms",
					 limits->timeout_ms);
		return NULL;
	}
	if (!bf_http_global_init(err))
		return NULL;

	http = calloc(1, sizeof(BfHttp));
	if (http == NULL)
		goto oom;
	http->limits = *limits;
	if (http->limits.max_body_bytes == 0)
		http->limits.max_body_bytes = BF_HTTP_DEFAULT_MAX_BODY;
	if (limits->user_agent != NULL &&
		(http->user_agent = strdup(limits->user_agent)) == NULL)
		goto oom;
	http->limits.user_agent = http->user_agent;
	http->in_flight = calloc(limits->max_concurrency, sizeof(HttpReq *));
	http->idle = calloc(limits->max_concurrency, sizeof(CURL *));
	http->multi = curl_multi_init();
	if (http->in_flight == NULL || http->idle == NULL || http->multi == NULL)
		goto oom;
	/* keep an idle connection per slot, not curl's default of 4 per handle */
	curl_multi_setopt(http->multi, CURLMOPT_MAXCONNECTS, (long) limits->max_concurrency);
	return http;

oom:
	bf_http_free(http);
	bf_error_set(err, BF_ERR_NOMEM, "out of memory creating the request engine");
	return NULL;
}

/* ---- requests ----------------------------------------------------------- */

/* Frees a request that is not (or no longer) in the multi handle. */
static void
http_req_free(HttpReq *req)
{
	if (req == NULL)
		return;
	free(req->url);
	curl_slist_free_all(req->headers);
	free(req->body);
	free(req->aws_sigv4);
	free(req->aws_key_id);
	free(req->aws_secret);
	free(req->tls_cert);
	free(req->tls_key);
	free(req->tls_ca);
	free(req->recv.data);
	if (req->resp_headers != NULL)
		json_object_put(req->resp_headers);
	free(req);
}

/*
 * A header line goes to the server as given, so a name or value carrying a
 * line break would let a templated value inject headers of its own.
 */
static bool
http_check_header(const BfHttpPair *h, BfError *err)
{
	const char *p;

	if (h->name == NULL || h->name[0] == '\0')
		return bf_error_set(err, BF_ERR_VALUE, "HTTP header with an empty name");
	for (p = h->name; *p; p++)
	{
		if (*p == ':' || *p == '\r' || *p == '\n' || *p == ' ' || *p == '\t')
			return bf_error_set(err, BF_ERR_VALUE,
								"HTTP header name \"%s\" has a character not allowed there",
								h->name);
	}
	if (h->value != NULL && strpbrk(h->value, "\r\n") != NULL)
		return bf_error_set(err, BF_ERR_VALUE, "HTTP header \"%s\" has a line break in its value",
							h->name);
	return true;
}

/* Append one raw header line to *list (curl copies it). */
static bool
http_add_line(struct curl_slist **list, const char *line)
{
	struct curl_slist *grown = curl_slist_append(*list, line);

	if (grown == NULL)
		return false;
	*list = grown;
	return true;
}

/* Append "Name: value", or curl's "Name;" which sends an empty value. */
static bool
http_add_header(struct curl_slist **list, const char *name, const char *value)
{
	size_t		size = strlen(name) + strlen(value) + 3;
	char	   *line = malloc(size);
	bool		ok;

	if (line == NULL)
		return false;
	if (value[0] == '\0')
		snprintf(line, size, "%s;", name);
	else
		snprintf(line, size, "%s: %s", name, value);
	ok = http_add_line(list, line);
	free(line);
	return ok;
}

/* True when the method hands curl a body (possibly empty) to send. */
static bool
http_sends_body(BfHttpMethod method, const char *body)
{
	return body != NULL || method == BF_HTTP_POST || method == BF_HTTP_PUT ||
		method == BF_HTTP_PATCH;
}

/*
 * Build the header list once, at submit.  curl would add "Expect:
 * 100-continue" to large bodies (a round trip, and a 1 s stall with servers
 * that ignore it) and a form Content-Type to any body; "Name:" lines remove
 * both, so that what goes out is what the spec says.
 */
static bool
http_build_headers(HttpReq *req, const BfHttpRequest *src, BfError *err)
{
	bool		has_type = false;
	int			i;

	for (i = 0; i < src->n_headers; i++)
	{
		const BfHttpPair *h = &src->headers[i];

		if (!http_check_header(h, err))
			return false;
		if (h->value == NULL)
			continue;
		if (strcasecmp(h->name, "Content-Type") == 0)
			has_type = true;
		if (!http_add_header(&req->headers, h->name, h->value))
			goto oom;
	}
	if (!http_add_line(&req->headers, "Expect:") ||
		(http_sends_body(src->method, src->body) && !has_type &&
		 !http_add_line(&req->headers, "Content-Type:")))
		goto oom;
	return true;

oom:
	return bf_error_set(err, BF_ERR_NOMEM, "out of memory building HTTP headers");
}

/*
 * Everything is checked and copied now, so that a bad request fails where
 * the caller built it, and the caller's buffers may go at once.
 */
bool
bf_http_submit(BfHttp *http, const BfHttpRequest *src, void *user, BfError *err)
{
	HttpReq    *req;

	if ((int) src->method < 0 || (int) src->method >= HTTP_N_METHODS)
		return bf_error_set(err, BF_ERR_VALUE, "unknown HTTP method %d", (int) src->method);
	if (src->url == NULL || src->url[0] == '\0')
		return bf_error_set(err, BF_ERR_VALUE, "HTTP request without a URL");
	if (src->timeout_ms < 0)
		return bf_error_set(err, BF_ERR_VALUE, "request timeout must not be negative");
	if (src->body == NULL && src->body_len > 0)
		return bf_error_set(err, BF_ERR_VALUE, "HTTP body length without a body");
	if (src->method == BF_HTTP_HEAD && src->body != NULL)
		return bf_error_set(err, BF_ERR_VALUE, "a HEAD request cannot have a body");

	req = calloc(1, sizeof(HttpReq));
	if (req == NULL)
		return bf_error_set(err, BF_ERR_NOMEM, "out of memory queuing a request");
	req->method = src->method;
	req->timeout_ms = src->timeout_ms > 0 ? src->timeout_ms : http->limits.timeout_ms;
	req->user = user;
	req->submitted_at = bf_http_now();
	req->url = strdup(src->url);
	req->body_len = src->body_len;
	if (http_sends_body(src->method, src->body))
	{
		req->body = malloc(src->body_len + 1);
		if (req->body != NULL && src->body_len > 0)
			memcpy(req->body, src->body, src->body_len);
		if (req->body != NULL)
			req->body[src->body_len] = '\0';
	}
	if (src->aws_sigv4 != NULL)
	{
		req->aws_sigv4 = strdup(src->aws_sigv4);
		req->aws_key_id = strdup(src->aws_key_id ? src->aws_key_id : "");
		req->aws_secret = strdup(src->aws_secret ? src->aws_secret : "");
	}
	req->tls_cert = src->tls_cert ? strdup(src->tls_cert) : NULL;
	req->tls_key = src->tls_key ? strdup(src->tls_key) : NULL;
	req->tls_ca = src->tls_ca ? strdup(src->tls_ca) : NULL;
	if (req->url == NULL || (http_sends_body(src->method, src->body) && req->body == NULL) ||
		(src->aws_sigv4 != NULL &&
		 (req->aws_sigv4 == NULL || req->aws_key_id == NULL || req->aws_secret == NULL)) ||
		(src->tls_cert != NULL && req->tls_cert == NULL) ||
		(src->tls_key != NULL && req->tls_key == NULL) ||
		(src->tls_ca != NULL && req->tls_ca == NULL))
	{
		http_req_free(req);
		return bf_error_set(err, BF_ERR_NOMEM, "out of memory queuing a request");
	}
	if (!http_build_headers(req, src, err))
	{
		http_req_free(req);
		return false;
	}

	if (http->queue_tail != NULL)
		http->queue_tail->next = req;
	else
		http->queue_head = req;
	http->queue_tail = req;
	http->n_queued++;
	return true;
}

/* ---- receiving ------------------------------------------------------------ */

/* Doubling keeps a large body to O(log n) reallocations. */
static bool
http_buf_append(HttpBuf *buf, const char *data, size_t len)
{
	if (buf->len + len + 1 > buf->cap)
	{
		size_t		cap = buf->cap > 0 ? buf->cap : 4096;
		char	   *grown;

		while (cap < buf->len + len + 1)
			cap *= 2;
		grown = realloc(buf->data, cap);
		if (grown == NULL)
			return false;
		buf->data = grown;
		buf->cap = cap;
	}
	memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return true;
}

/* The cap stops a runaway body before it eats the backend's memory. */
static size_t
http_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	HttpReq    *req = arg;
	size_t		len = size * nmemb;

	if (len > req->max_body - req->recv.len)
	{
		req->too_big = true;
		return 0;
	}
	if (!http_buf_append(&req->recv, data, len))
	{
		req->oom = true;
		return 0;
	}
	return len;
}

/*
 * Store one header line.  Every response of a redirect chain (and a 100
 * Continue) starts with its status line, which starts the set over, so
 * only the final response's headers remain.  A repeated header is joined
 * with ", " (RFC 9110 §5.3); folded continuation lines are ignored.
 */
static bool
http_header_line(HttpReq *req, const char *line, size_t len)
{
	const char *colon;
	const char *value;
	const char *end = line + len;
	struct json_object *old;
	char	   *name;
	size_t		i;
	bool		ok;

	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0)
	{
		json_object_put(req->resp_headers);
		req->resp_headers = json_object_new_object();
		return req->resp_headers != NULL;
	}
	colon = memchr(line, ':', len);
	if (colon == NULL || colon == line || line[0] == ' ' || line[0] == '\t')
		return true;
	value = colon + 1;
	while (value < end && (*value == ' ' || *value == '\t'))
		value++;
	while (end > value && isspace((unsigned char) end[-1]))
		end--;

	name = malloc(colon - line + 1);
	if (name == NULL)
		return false;
	for (i = 0; i < (size_t) (colon - line); i++)
		name[i] = tolower((unsigned char) line[i]);
	name[i] = '\0';

	if (json_object_object_get_ex(req->resp_headers, name, &old))
	{
		HttpBuf		joined = {0};

		ok = http_buf_append(&joined, json_object_get_string(old),
							 json_object_get_string_len(old)) &&
			http_buf_append(&joined, ", ", 2) &&
			http_buf_append(&joined, value, end - value) &&
			json_object_object_add(req->resp_headers, name,
								   json_object_new_string_len(joined.data,
															  (int) joined.len)) == 0;
		free(joined.data);
	}
	else
		ok = json_object_object_add(req->resp_headers, name,
									json_object_new_string_len(value,
															   (int) (end - value))) == 0;
	free(name);
	return ok;
}

/* curl's callback; returning less than len aborts the transfer. */
static size_t
http_header_cb(char *data, size_t size, size_t nitems, void *arg)
{
	HttpReq    *req = arg;
	size_t		len = size * nitems;

	if (!http_header_line(req, data, len))
	{
		req->oom = true;
		return 0;
	}
	return len;
}

/* ---- dispatching ------------------------------------------------------------ */

/* Set an option unless an earlier one failed (needs a CURLcode rc). */
#define HTTP_SETOPT(easy, opt, val) \
	do { \
		if (rc == CURLE_OK) \
			rc = curl_easy_setopt((easy), (opt), (val)); \
	} while (0)

/*
 * Set the method and body.  GET and POST use curl's own modes, so that a
 * redirect turns a POST into a GET as browsers and Go do; the other
 * methods are a custom verb over POSTFIELDS (body) or none.
 */
static CURLcode
http_set_method(CURL *easy, HttpReq *req)
{
	CURLcode	rc = CURLE_OK;

	if (req->body != NULL)
	{
		HTTP_SETOPT(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->body_len);
		HTTP_SETOPT(easy, CURLOPT_POSTFIELDS, req->body);
	}
	switch (req->method)
	{
		case BF_HTTP_GET:
			if (req->body == NULL)
				HTTP_SETOPT(easy, CURLOPT_HTTPGET, 1L);
			else
				HTTP_SETOPT(easy, CURLOPT_CUSTOMREQUEST, "GET");
			break;
		case BF_HTTP_HEAD:
			HTTP_SETOPT(easy, CURLOPT_NOBODY, 1L);
			break;
		case BF_HTTP_POST:
			break;
		case BF_HTTP_PUT:
		case BF_HTTP_PATCH:
		case BF_HTTP_DELETE:
		case BF_HTTP_OPTIONS:
			HTTP_SETOPT(easy, CURLOPT_CUSTOMREQUEST, bf_http_method_name(req->method));
			break;
	}
	return rc;
}

/* Hand PEM text to libcurl as a blob it copies (curl 7.77). */
static CURLcode
http_set_blob(CURL *easy, CURLoption opt, const char *pem)
{
	struct curl_blob blob;

	blob.data = (void *) pem;
	blob.len = strlen(pem);
	blob.flags = CURL_BLOB_COPY;
	return curl_easy_setopt(easy, opt, &blob);
}

/*
 * Only http and https, also after a redirect: a spec's URL must not read
 * file:// or talk to other protocols on the server's behalf.
 */
static CURLcode
http_configure(BfHttp *http, HttpReq *req, CURL *easy)
{
	CURLcode	rc = CURLE_OK;

	HTTP_SETOPT(easy, CURLOPT_PRIVATE, (void *) req);
	HTTP_SETOPT(easy, CURLOPT_URL, req->url);
	HTTP_SETOPT(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	HTTP_SETOPT(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	HTTP_SETOPT(easy, CURLOPT_NOSIGNAL, 1L);
	HTTP_SETOPT(easy, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	HTTP_SETOPT(easy, CURLOPT_FOLLOWLOCATION, 1L);
	HTTP_SETOPT(easy, CURLOPT_MAXREDIRS, (long) BF_HTTP_MAX_REDIRECTS);
	HTTP_SETOPT(easy, CURLOPT_ACCEPT_ENCODING, "");
	/* a declared length over the limit fails before any of it is read */
	HTTP_SETOPT(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) http->limits.max_body_bytes);
	HTTP_SETOPT(easy, CURLOPT_HTTPHEADER, req->headers);
	if (http->user_agent != NULL)
		HTTP_SETOPT(easy, CURLOPT_USERAGENT, http->user_agent);
	HTTP_SETOPT(easy, CURLOPT_ERRORBUFFER, req->errbuf);
	HTTP_SETOPT(easy, CURLOPT_WRITEFUNCTION, http_write_cb);
	HTTP_SETOPT(easy, CURLOPT_WRITEDATA, (void *) req);
	HTTP_SETOPT(easy, CURLOPT_HEADERFUNCTION, http_header_cb);
	HTTP_SETOPT(easy, CURLOPT_HEADERDATA, (void *) req);
	if (req->aws_sigv4 != NULL)
	{
		HTTP_SETOPT(easy, CURLOPT_AWS_SIGV4, req->aws_sigv4);
		HTTP_SETOPT(easy, CURLOPT_USERNAME, req->aws_key_id);
		HTTP_SETOPT(easy, CURLOPT_PASSWORD, req->aws_secret);
	}
	if (rc == CURLE_OK && req->tls_cert != NULL)
		rc = http_set_blob(easy, CURLOPT_SSLCERT_BLOB, req->tls_cert);
	if (rc == CURLE_OK && req->tls_key != NULL)
		rc = http_set_blob(easy, CURLOPT_SSLKEY_BLOB, req->tls_key);
	if (rc == CURLE_OK && req->tls_ca != NULL)
		rc = http_set_blob(easy, CURLOPT_CAINFO_BLOB, req->tls_ca);
	if (rc == CURLE_OK)
		rc = http_set_method(easy, req);
	return rc;
}

/* Start one request on a reused (or new) easy handle. */
static bool
http_start(BfHttp *http, HttpReq *req, BfError *err)
{
	CURL	   *easy;
	CURLcode	rc;
	CURLMcode	mc;

	easy = http->n_idle > 0 ? http->idle[--http->n_idle] : curl_easy_init();
	req->resp_headers = json_object_new_object();
	if (easy == NULL || req->resp_headers == NULL)
	{
		if (easy != NULL)
			http->idle[http->n_idle++] = easy;
		return bf_error_set(err, BF_ERR_NOMEM, "out of memory starting a request");
	}
	req->easy = easy;
	req->max_body = http->limits.max_body_bytes;
	req->errbuf[0] = '\0';
	rc = http_configure(http, req, easy);
	if (rc != CURLE_OK)
	{
		curl_easy_reset(easy);
		http->idle[http->n_idle++] = easy;
		return bf_error_set(err, BF_ERR_INTERNAL, "could not set up a request: %s",
							curl_easy_strerror(rc));
	}
	mc = curl_multi_add_handle(http->multi, easy);
	if (mc != CURLM_OK)
	{
		curl_easy_reset(easy);
		http->idle[http->n_idle++] = easy;
		return bf_error_set(err, BF_ERR_INTERNAL, "could not start a request: %s",
							curl_multi_strerror(mc));
	}
	http->in_flight[http->n_in_flight++] = req;
	http->stats.requests_sent++;
	return true;
}

/* The earliest time the rate and the pause allow the next dispatch. */
static double
http_next_dispatch(const BfHttp *http)
{
	return http->next_slot > http->pause_until ? http->next_slot : http->pause_until;
}

/*
 * Move queued requests into flight while a slot is free and the rate and
 * pause allow.  Strict spacing (a bucket of one token): the next slot is
 * 1/rate after this dispatch, so idling never saves up a burst.  On error
 * the request goes back to the head of the queue.
 */
static bool
http_dispatch(BfHttp *http, BfError *err)
{
	HttpReq    *req;
	BfHttpHold	hold = BF_HTTP_HELD_SLOT;	/* unless the clock holds them */

	while (http->queue_head != NULL &&
		   http->n_in_flight < http->limits.max_concurrency)
	{
		double		now = bf_http_now();

		req = http->queue_head;
		if (now < http_next_dispatch(http))
		{
			hold = http->pause_until > http->next_slot ?
				BF_HTTP_HELD_PAUSE : BF_HTTP_HELD_RATE;
			break;
		}
		http->queue_head = req->next;
		if (http->queue_head == NULL)
			http->queue_tail = NULL;
		http->n_queued--;
		req->next = NULL;
		if (!http_start(http, req, err))
		{
			req->next = http->queue_head;
			http->queue_head = req;
			if (http->queue_tail == NULL)
				http->queue_tail = req;
			http->n_queued++;
			json_object_put(req->resp_headers);
			req->resp_headers = NULL;
			return false;
		}
		req->dispatched_at = now;
		if (http->limits.rate > 0)
			http->next_slot = now + 1.0 / http->limits.rate;
	}
	/* what holds the head holds every request behind it */
	for (req = http->queue_head; req != NULL; req = req->next)
		req->held_by = hold;
	return true;
}

/* ---- completing ------------------------------------------------------------ */

/* "METHOD url: reason", the transport failure as the caller reports it. */
static char *
http_error_message(const HttpReq *req, CURLcode result, size_t max_body)
{
	char		reason[CURL_ERROR_SIZE + 64];
	const char *method = bf_http_method_name(req->method);
	size_t		size;
	char	   *msg;

	if (req->too_big || result == CURLE_FILESIZE_EXCEEDED)
		snprintf(reason, sizeof(reason),
				 "response body exceeds the limit of %zu bytes", max_body);
	else if (req->oom)
		snprintf(reason, sizeof(reason), "out of memory receiving the response");
	else if (req->errbuf[0] != '\0')
		snprintf(reason, sizeof(reason), "%s", req->errbuf);
	else
		snprintf(reason, sizeof(reason), "%s", curl_easy_strerror(result));
	size = strlen(method) + strlen(req->url) + strlen(reason) + 4;
	msg = malloc(size);
	if (msg != NULL)
		snprintf(msg, size, "%s %s: %s", method, req->url, reason);
	return msg;
}

/*
 * Failures of an established exchange, which a resend may well not meet:
 * a reset, an empty reply, a timeout, a body cut short.  A body over the
 * limit, a refused protocol or a bad certificate would fail the same way
 * again, and a refused connection or a name that does not resolve is most
 * often a wrong URL, which should fail at once rather than after retries.
 */
static bool
http_transient(const HttpReq *req, CURLcode result)
{
	if (req->too_big || req->oom)
		return false;
	switch (result)
	{
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_PARTIAL_FILE:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
			return true;
		default:
			return false;
	}
}

/*
 * Turn a finished transfer into a response, moving the body and headers
 * over.  A failed transfer keeps no partial body or headers: status 0 and
 * the error say all there is.
 */
static bool
http_fill_response(BfHttpResponse *resp, HttpReq *req, CURLcode result)
{
	CURL	   *easy = req->easy;
	long		status = 0;
	long		header_size = 0;
	curl_off_t	download = 0;
	curl_off_t	total_us = 0;
	char	   *url = NULL;

	curl_easy_getinfo(easy, CURLINFO_HEADER_SIZE, &header_size);
	curl_easy_getinfo(easy, CURLINFO_SIZE_DOWNLOAD_T, &download);
	curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total_us);
	curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &url);
	resp->user = req->user;
	resp->method = req->method;
	resp->queued = req->dispatched_at - req->submitted_at;
	resp->held_by = resp->queued > 0 ? req->held_by : BF_HTTP_HELD_NONE;
	resp->bytes_received = (size_t) header_size + (size_t) download;
	resp->elapsed = (double) total_us / 1e6;
	resp->effective_url = strdup(url != NULL ? url : req->url);

	if (result == CURLE_OK)
	{
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
		resp->status = status;
		resp->headers = req->resp_headers;
		req->resp_headers = NULL;
		if (req->recv.data == NULL)
			http_buf_append(&req->recv, "", 0);
		resp->body = req->recv.data;
		resp->body_len = req->recv.len;
		req->recv.data = NULL;
	}
	else
	{
		resp->status = 0;
		resp->transient = http_transient(req, result);
		resp->error = http_error_message(req, result, req->max_body);
		resp->headers = json_object_new_object();
		resp->body = calloc(1, 1);
		resp->body_len = 0;
	}
	return resp->effective_url != NULL && resp->headers != NULL &&
		resp->body != NULL && (result == CURLE_OK || resp->error != NULL);
}

/* Take req out of flight and keep its easy handle for the next request. */
static void
http_release(BfHttp *http, HttpReq *req)
{
	int			i;

	curl_multi_remove_handle(http->multi, req->easy);
	curl_easy_reset(req->easy);
	http->idle[http->n_idle++] = req->easy;
	req->easy = NULL;
	for (i = 0; i < http->n_in_flight; i++)
	{
		if (http->in_flight[i] == req)
		{
			http->in_flight[i] = http->in_flight[--http->n_in_flight];
			break;
		}
	}
}

/* Move every transfer curl reports finished onto the done list. */
static bool
http_collect(BfHttp *http, BfError *err)
{
	CURLMsg    *msg;
	int			left;
	bool		ok = true;

	while ((msg = curl_multi_info_read(http->multi, &left)) != NULL)
	{
		CURLcode	result = msg->data.result;
		void	   *priv = NULL;
		HttpReq    *req;
		HttpDone   *done;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		req = priv;
		done = calloc(1, sizeof(HttpDone));
		if (done != NULL && !http_fill_response(&done->resp, req, result))
		{
			bf_http_response_free(&done->resp);
			done = NULL;
		}
		http_release(http, req);
		http_req_free(req);
		if (done == NULL)
		{
			ok = bf_error_set(err, BF_ERR_NOMEM, "out of memory receiving a response");
			continue;
		}
		http->stats.bytes_received += (double) done->resp.bytes_received;
		if (http->done_tail != NULL)
			http->done_tail->next = done;
		else
			http->done_head = done;
		http->done_tail = done;
		http->n_done++;
	}
	return ok;
}

/* Responses go out in the order they completed. */
static BfHttpResponse *
http_pop_done(BfHttp *http)
{
	HttpDone   *done = http->done_head;

	http->done_head = done->next;
	if (http->done_head == NULL)
		http->done_tail = NULL;
	http->n_done--;
	done->next = NULL;
	return &done->resp;
}

/*
 * One round of work (dispatch, perform, collect) and then a wait bounded by
 * the caller's deadline and by the next moment the rate or a pause lets a
 * queued request go, until a response is done or the deadline passes.
 */
int
bf_http_poll(BfHttp *http, int max_wait_ms, BfHttpResponse **out, BfError *err)
{
	double		deadline = bf_http_now() + (max_wait_ms > 0 ? max_wait_ms : 0) / 1000.0;

	*out = NULL;
	for (;;)
	{
		int			running;
		double		now;
		double		wait;
		double		started;
		CURLMcode	mc;

		if (http->done_head != NULL)
		{
			*out = http_pop_done(http);
			return 1;
		}
		if (!http_dispatch(http, err))
			return -1;
		mc = curl_multi_perform(http->multi, &running);
		if (mc != CURLM_OK)
		{
			bf_error_set(err, BF_ERR_INTERNAL, "curl_multi_perform: %s",
						 curl_multi_strerror(mc));
			return -1;
		}
		if (!http_collect(http, err))
			return -1;
		if (http->done_head != NULL)
			continue;

		now = bf_http_now();
		if (now >= deadline || (http->n_in_flight == 0 && http->queue_head == NULL))
			return 0;
		wait = deadline - now;
		if (http->queue_head != NULL &&
			http->n_in_flight < http->limits.max_concurrency)
		{
			double		next = http_next_dispatch(http) - now;

			if (next <= 0)
				continue;		/* a slot just freed up */
			if (next < wait)
				wait = next;
		}
		started = now;
		mc = curl_multi_poll(http->multi, NULL, 0, (int) ceil(wait * 1000.0), NULL);
		http->stats.wait_seconds += bf_http_now() - started;
		if (mc != CURLM_OK)
		{
			bf_error_set(err, BF_ERR_INTERNAL, "curl_multi_poll: %s",
						 curl_multi_strerror(mc));
			return -1;
		}
	}
}

/* The caller owns a returned response; one call frees all it holds. */
void
bf_http_response_free(BfHttpResponse *resp)
{
	if (resp == NULL)
		return;
	free(resp->error);
	if (resp->headers != NULL)
		json_object_put(resp->headers);
	free(resp->body);
	free(resp->effective_url);
	/* every response comes from an HttpDone, of which it is the first member */
	free((HttpDone *) resp);
}

/* The caller is done when both counts are zero. */
int
bf_http_in_flight(const BfHttp *http)
{
	return http->n_in_flight;
}

int
bf_http_pending(const BfHttp *http)
{
	return http->n_queued + http->n_done;
}

/*
 * A 429's Retry-After holds back every request of the endpoint, not only
 * the one retried; an earlier time never cuts a longer pause short.
 */
void
bf_http_pause_until(BfHttp *http, double monotonic_seconds)
{
	if (monotonic_seconds > http->pause_until)
		http->pause_until = monotonic_seconds;
}

/* For EXPLAIN ANALYZE: what the scan cost in requests, bytes and waiting. */
void
bf_http_stats(const BfHttp *http, BfHttpStats *out)
{
	*out = http->stats;
}

/*
 * Called on every path out of a scan, including errors and cancel, so it
 * must take apart any state: transfers in flight are aborted (their
 * connections closed), and curl_multi_cleanup closes the idle ones.
 */
void
bf_http_free(BfHttp *http)
{
	int			i;

	if (http == NULL)
		return;
	for (i = 0; i < http->n_in_flight; i++)
	{
		HttpReq    *req = http->in_flight[i];

		curl_multi_remove_handle(http->multi, req->easy);
		curl_easy_cleanup(req->easy);
		http_req_free(req);
	}
	for (i = 0; i < http->n_idle; i++)
		curl_easy_cleanup(http->idle[i]);
	while (http->queue_head != NULL)
	{
		HttpReq    *req = http->queue_head;

		http->queue_head = req->next;
		http_req_free(req);
	}
	while (http->done_head != NULL)
		bf_http_response_free(http_pop_done(http));
	if (http->multi != NULL)
		curl_multi_cleanup(http->multi);
	free(http->in_flight);
	free(http->idle);
	free(http->user_agent);
	free(http);
}

/* ---- Retry-After ------------------------------------------------------------ */

/*
 * A non-negative decimal number and nothing else (surrounding blanks
 * allowed): strtod alone would take "inf", hex and leading signs.
 */
static bool
http_parse_seconds(const char *s, double *out)
{
	const char *p = s;
	bool		digits = false;

	while (*p == ' ' || *p == '\t')
		p++;
	s = p;
	for (; isdigit((unsigned char) *p); p++)
		digits = true;
	if (*p == '.')
	{
		for (p++; isdigit((unsigned char) *p); p++)
			digits = true;
	}
	if (!digits)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
		return false;
	*out = strtod(s, NULL);
	return true;
}

/* A header's text, or NULL; the caller may pass any JSON it was given. */
static const char *
http_header_get(const struct json_object *headers, const char *name)
{
	struct json_object *value;

	if (headers == NULL || !json_object_object_get_ex(headers, name, &value) ||
		!json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

/*
 * Retry-After wins over RateLimit-Reset (the draft RateLimit headers), as
 * it is the standard one.  HTTP-dates (IMF-fixdate, RFC 850, asctime) are
 * parsed by curl_getdate, which knows all three.
 */
double
bf_http_retry_after(const struct json_object *headers, double now_wall)
{
	const char *value;
	double		secs;

	value = http_header_get(headers, "retry-after");
	if (value != NULL)
	{
		time_t		when;

		if (http_parse_seconds(value, &secs))
			return secs;
		when = curl_getdate(value, NULL);
		if (when != (time_t) -1)
			return (double) when > now_wall ? (double) when - now_wall : 0.0;
	}
	value = http_header_get(headers, "ratelimit-reset");
	if (value != NULL && http_parse_seconds(value, &secs))
	{
		if (secs > 1e9)
			return secs > now_wall ? secs - now_wall : 0.0;
		return secs;
	}
	return -1.0;
}
