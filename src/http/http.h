/*-------------------------------------------------------------------------
 *
 * http.h
 *		  The request engine: one libcurl multi handle per scan drives every
 *		  in-flight request, without threads, in bounded waits.
 *
 * A backend runs a scan on one thread and must check for query cancel
 * every ~100 ms, so nothing here blocks longer than the wait the caller
 * passes to bf_http_poll().  Requests are queued by bf_http_submit() and
 * dispatched by bf_http_poll() when the concurrency cap, the rate limit and
 * any shared pause (Retry-After) allow; completed responses come back one
 * per call, in completion order.
 *
 * Rate: a token bucket of burst 1, i.e. strict spacing: a request is never
 * dispatched sooner than 1/rate seconds after the previous one, so any
 * closed 1 s window sees at most floor(rate) + 1 dispatches.
 *
 * Nothing here logs or prints: URLs and headers (which may hold secrets)
 * only ever go into the response or error handed back to the caller.
 *
 * Proxies: libcurl's own rules apply (http_proxy, https_proxy, no_proxy in
 * the environment of the server process).
 *
 *-------------------------------------------------------------------------
 */
#ifndef HTTP_H
#define HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "util/bf_error.h"

/* Sling's defaults (request.concurrency, request.rate, request.timeout). */
#define BF_HTTP_DEFAULT_CONCURRENCY 5
#define BF_HTTP_DEFAULT_RATE 2.0
#define BF_HTTP_DEFAULT_TIMEOUT_MS 30000L
#define BF_HTTP_DEFAULT_MAX_BODY ((size_t) 256 * 1024 * 1024)
#define BF_HTTP_USER_AGENT "backfill_fdw/0.1"
#define BF_HTTP_MAX_REDIRECTS 5

/*
 * The longest wait a server may ask for (Retry-After, RateLimit-Reset)
 * before the run fails instead: a Retry-After of days would otherwise hold
 * a statement, or a cron job, for as long (docs/spec-reference.md, rules).
 */
#define BF_HTTP_MAX_SERVER_WAIT 300.0

typedef enum BfHttpMethod
{
	BF_HTTP_GET = 0,
	BF_HTTP_HEAD,
	BF_HTTP_POST,
	BF_HTTP_PUT,
	BF_HTTP_PATCH,
	BF_HTTP_DELETE,
	BF_HTTP_OPTIONS
} BfHttpMethod;

/* A header or a query/form parameter; a NULL value means "leave it out". */
typedef struct BfHttpPair
{
	const char *name;
	const char *value;
} BfHttpPair;

typedef struct BfHttpLimits
{
	int			max_concurrency;	/* requests in flight at once, >= 1 */
	double		rate;			/* requests per second; <= 0: unlimited */
	long		timeout_ms;		/* per request unless it says otherwise, > 0 */
	const char *user_agent;		/* copied; NULL: no User-Agent header */
	size_t		max_body_bytes; /* larger (decoded) bodies fail the request */
} BfHttpLimits;

typedef struct BfHttpRequest
{
	BfHttpMethod method;
	const char *url;			/* absolute http:// or https:// URL */
	const BfHttpPair *headers;	/* a "" value is sent empty, NULL is skipped */
	int			n_headers;
	const char *body;			/* NULL: none (POST/PUT/PATCH send an empty one) */
	size_t		body_len;
	long		timeout_ms;		/* 0: the engine's timeout */

	/*
	 * AWS Signature Version 4, computed by libcurl (CURLOPT_AWS_SIGV4) over
	 * the request as it is sent: "aws:amz:<region>:<service>", or NULL.
	 */
	const char *aws_sigv4;
	const char *aws_key_id;
	const char *aws_secret;

	/*
	 * TLS client authentication: PEM text handed to libcurl as blobs
	 * (CURLOPT_SSLCERT_BLOB, _SSLKEY_BLOB, _CAINFO_BLOB), never written to a
	 * file.  NULL: none; tls_ca NULL trusts the system's CAs as usual.
	 */
	const char *tls_cert;
	const char *tls_key;
	const char *tls_ca;
} BfHttpRequest;

/* What held a request in the queue before it was sent (the request trace). */
typedef enum BfHttpHold
{
	BF_HTTP_HELD_NONE,			/* sent at once */
	BF_HTTP_HELD_SLOT,			/* every connection was busy */
	BF_HTTP_HELD_RATE,			/* request.rate's spacing */
	BF_HTTP_HELD_PAUSE			/* a pause a server asked for (Retry-After) */
} BfHttpHold;

typedef struct BfHttpResponse
{
	void	   *user;			/* as given to bf_http_submit */
	BfHttpMethod method;		/* as submitted */
	double		queued;			/* seconds from submit to dispatch */
	BfHttpHold	held_by;		/* what held it the longest part of that */
	long		status;			/* HTTP status; 0 when the transfer failed */
	char	   *error;			/* NULL, or "METHOD url: curl's reason" */
	bool		transient;		/* status 0 from a failure a resend may not
								 * meet: reset, empty reply, timeout, a body
								 * cut short */
	struct json_object *headers;	/* {lower-case name: value}, never NULL */
	char	   *body;			/* decoded, NUL-terminated, never NULL */
	size_t		body_len;
	size_t		bytes_received; /* on the wire: headers + (compressed) body */
	double		elapsed;		/* seconds from dispatch to completion */
	char	   *effective_url;	/* after redirects; never NULL */
} BfHttpResponse;

typedef struct BfHttpStats
{
	long		requests_sent;
	double		bytes_received;
	double		wait_seconds;	/* blocked in bf_http_poll waiting for I/O,
								 * the rate limit or a pause */
} BfHttpStats;

typedef struct BfHttp BfHttp;

/* Process-wide libcurl setup; call before anything else (idempotent). */
extern bool bf_http_global_init(BfError *err);

/* Sling's defaults: concurrency 5, rate 2/s, timeout 30 s, 256 MB bodies. */
extern void bf_http_limits_default(BfHttpLimits *limits);

/* Method names as a spec writes them, case-insensitively. */
extern bool bf_http_method_parse(const char *name, BfHttpMethod *out);
extern const char *bf_http_method_name(BfHttpMethod method);

/* The engine of one scan; limits NULL means bf_http_limits_default's. */
extern BfHttp *bf_http_new(const BfHttpLimits *limits, BfError *err);

/* Queue a copy of req; user comes back in its response. */
extern bool bf_http_submit(BfHttp *http, const BfHttpRequest *req, void *user,
						   BfError *err);

/*
 * Drive transfers for at most max_wait_ms.  1: *out is a completed response
 * (the caller frees it); 0: none completed in time, or nothing is pending
 * or in flight; -1: an internal error (err set; the engine is still safe to
 * free).
 */
extern int	bf_http_poll(BfHttp *http, int max_wait_ms, BfHttpResponse **out,
						 BfError *err);
extern void bf_http_response_free(BfHttpResponse *resp);

/* Requests in flight / queued or completed but not yet returned by poll. */
extern int	bf_http_in_flight(const BfHttp *http);
extern int	bf_http_pending(const BfHttp *http);

/* Dispatch nothing new before this bf_http_now() time (never shortens). */
extern void bf_http_pause_until(BfHttp *http, double monotonic_seconds);
extern double bf_http_now(void);

extern void bf_http_stats(const BfHttp *http, BfHttpStats *out);

/* Safe at any moment: aborts what is in flight, closes every connection. */
extern void bf_http_free(BfHttp *http);

/*
 * Seconds to wait from Retry-After (delta-seconds or HTTP-date) or, failing
 * that, RateLimit-Reset (seconds, or an epoch time when > 1e9), given the
 * wall-clock time now_wall; 0 for a time already past; -1 when neither
 * header is there or parses.
 */
extern double bf_http_retry_after(const struct json_object *headers, double now_wall);

/*
 * URL helpers (http_url.c); each returns a malloc'd string, NULL on OOM.
 * Escaping keeps RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~)
 * and writes every other byte as %XX; a space is %20 in query strings and
 * '+' in form bodies (application/x-www-form-urlencoded, as Go's
 * url.Values.Encode writes it).  Parameters with a NULL value are left out,
 * "" ones are kept ("key=").
 */
extern char *bf_http_escape(const char *s, size_t len, bool space_as_plus,
							BfError *err);
extern char *bf_http_url_with_query(const char *url, const BfHttpPair *params,
									int n_params, BfError *err);
extern char *bf_http_form_encode(const BfHttpPair *params, int n_params,
								 BfError *err);
/* The value of an Authorization header: "Basic " base64(user ":" password). */
extern char *bf_http_basic_auth(const char *user, const char *password,
								BfError *err);

#endif							/* HTTP_H */
