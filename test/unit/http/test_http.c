/*
 * Unit tests of the request engine (src/http/http.c, src/http/http_url.c) against
 * test/unit/http_server.py, a loopback server this program starts itself
 * (argv[1] overrides the script's path) and kills at exit; and mutual TLS
 * against test/unit/tls_server.py with a throw-away CA made by the openssl
 * command.
 *
 * Timing assertions have wide margins: the point is the order of magnitude
 * (a rate, a cap, a bounded wait), not the scheduler of a loaded machine.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http.h"
#include "unit.h"

static char base_url[64];
static FILE *server_pipe;
static int	server_pid;

/* ---- the server and small helpers -------------------------------------- */

static void
stop_server(void)
{
	if (server_pid > 0)
		kill(server_pid, SIGTERM);
	if (server_pipe != NULL)
		pclose(server_pipe);
}

static int
start_server(const char *script)
{
	char		cmd[1024];
	int			port = 0;

	snprintf(cmd, sizeof(cmd), "exec python3 '%s' 120", script);
	server_pipe = popen(cmd, "r");
	if (server_pipe == NULL ||
		fscanf(server_pipe, "%d %d", &port, &server_pid) != 2 || port <= 0)
		return 0;
	atexit(stop_server);
	snprintf(base_url, sizeof(base_url), "http://127.0.0.1:%d", port);
	return 1;
}

/* A loopback port nobody listens on (bound, read back, closed). */
static int
closed_port(void)
{
	struct sockaddr_in addr;
	socklen_t	len = sizeof(addr);
	int			fd = socket(AF_INET, SOCK_STREAM, 0);
	int			port;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *) &addr, sizeof(addr));
	getsockname(fd, (struct sockaddr *) &addr, &len);
	port = ntohs(addr.sin_port);
	close(fd);
	return port;
}

static BfHttpLimits
limits_of(int concurrency, double rate)
{
	BfHttpLimits l;

	bf_http_limits_default(&l);
	l.max_concurrency = concurrency;
	l.rate = rate;
	return l;
}

static BfHttpRequest
req_of(BfHttpMethod method, const char *url)
{
	BfHttpRequest r;

	memset(&r, 0, sizeof(r));
	r.method = method;
	r.url = url;
	return r;
}

static int
submit_path(BfHttp *http, BfHttpMethod method, const char *path, void *user)
{
	char		url[256];
	BfHttpRequest r;
	BfError		err;

	snprintf(url, sizeof(url), "%s%s", base_url, path);
	r = req_of(method, url);
	return bf_http_submit(http, &r, user, &err);
}

/* Poll in 100 ms steps (as a backend would) until a response or max_s. */
static BfHttpResponse *
wait_one(BfHttp *http, double max_s)
{
	double		end = bf_http_now() + max_s;
	BfHttpResponse *resp = NULL;
	BfError		err;

	while (bf_http_now() < end)
	{
		int			rc = bf_http_poll(http, 100, &resp, &err);

		if (rc != 0)
			return rc == 1 ? resp : NULL;
	}
	return NULL;
}

/* One request on an engine of its own, without limits. */
static BfHttpResponse *
request_once(const BfHttpRequest *r, BfHttp **keep)
{
	BfHttpLimits l = limits_of(2, 0);
	BfHttp	   *http = bf_http_new(&l, NULL);
	BfHttpResponse *resp;

	if (http == NULL || !bf_http_submit(http, r, NULL, NULL))
	{
		bf_http_free(http);
		return NULL;
	}
	resp = wait_one(http, 10);
	if (keep != NULL)
		*keep = http;
	else
		bf_http_free(http);
	return resp;
}

static BfHttpResponse *
get_once(const char *path)
{
	char		url[256];
	BfHttpRequest r;

	snprintf(url, sizeof(url), "%s%s", base_url, path);
	r = req_of(BF_HTTP_GET, url);
	return request_once(&r, NULL);
}

static struct json_object *
body_json(const BfHttpResponse *resp)
{
	return resp != NULL ? json_tokener_parse(resp->body) : NULL;
}

/* A member as a string, "" when it is missing; the text lives in obj. */
static const char *
jstr(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return "";
	return json_object_get_string(v);
}

static int
jhas(struct json_object *obj, const char *key)
{
	return json_object_object_get_ex(obj, key, NULL);
}

static struct json_object *
server_stats(void)
{
	BfHttpResponse *resp = get_once("/stats");
	struct json_object *stats = body_json(resp);

	bf_http_response_free(resp);
	return stats;
}

static void
server_reset(void)
{
	bf_http_response_free(get_once("/reset"));
}

static int
stat_int(struct json_object *stats, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(stats, key, &v) ? json_object_get_int(v) : -1;
}

/* ---- tests ---------------------------------------------------------------- */

static void
test_basics(void)
{
	BfHttpLimits l;
	BfHttpMethod m;
	BfError		err;

	CHECK(bf_http_global_init(&err));
	CHECK(bf_http_global_init(&err));
	bf_http_limits_default(&l);
	CHECK(l.max_concurrency == 5 && l.rate == 2.0 && l.timeout_ms == 30000);
	CHECK(l.max_body_bytes == (size_t) 256 * 1024 * 1024);
	CHECK(bf_http_method_parse("patch", &m) && m == BF_HTTP_PATCH);
	CHECK(bf_http_method_parse("Options", &m) && m == BF_HTTP_OPTIONS);
	CHECK(!bf_http_method_parse("TRACE", &m));
	CHECK(!bf_http_method_parse(NULL, &m));
	CHECK_STR(bf_http_method_name(BF_HTTP_DELETE), "DELETE");

	l.max_concurrency = 0;
	CHECK(bf_http_new(&l, &err) == NULL && err.kind == BF_ERR_VALUE);
	l.max_concurrency = 1;
	l.timeout_ms = 0;
	CHECK(bf_http_new(&l, &err) == NULL && err.kind == BF_ERR_VALUE);
	bf_http_free(NULL);
}

static void
test_single_get(void)
{
	char		url[256];
	int			tag;
	BfHttp	   *http = bf_http_new(NULL, NULL);
	BfHttpRequest r;
	BfHttpResponse *resp;
	struct json_object *doc;
	struct json_object *hdrs = NULL;
	BfHttpStats st;

	snprintf(url, sizeof(url), "%s/echo?x=1", base_url);
	r = req_of(BF_HTTP_GET, url);
	CHECK(bf_http_submit(http, &r, &tag, NULL));
	CHECK(bf_http_pending(http) == 1 && bf_http_in_flight(http) == 0);
	resp = wait_one(http, 10);
	CHECK(resp != NULL);
	if (resp == NULL)
	{
		bf_http_free(http);
		return;
	}
	CHECK(resp->user == &tag);
	CHECK(resp->status == 200);
	CHECK(resp->error == NULL);
	CHECK_STR(resp->effective_url, url);
	CHECK_STR(jstr(resp->headers, "content-type"), "application/json");
	CHECK(resp->body[resp->body_len] == '\0');
	CHECK(resp->bytes_received > resp->body_len);
	CHECK(resp->elapsed > 0 && resp->elapsed < 5);
	doc = body_json(resp);
	json_object_object_get_ex(doc, "headers", &hdrs);
	CHECK_STR(jstr(doc, "method"), "GET");
	CHECK_STR(jstr(doc, "query"), "x=1");
	CHECK_STR(jstr(hdrs, "user-agent"), BF_HTTP_USER_AGENT);
	CHECK(strstr(jstr(hdrs, "accept-encoding"), "gzip") != NULL);
	CHECK(!jhas(hdrs, "content-type"));
	CHECK(bf_http_pending(http) == 0 && bf_http_in_flight(http) == 0);
	bf_http_stats(http, &st);
	CHECK(st.requests_sent == 1);
	CHECK(st.bytes_received == (double) resp->bytes_received);
	CHECK(st.wait_seconds > 0);
	/* nothing left to do: poll does not wait */
	{
		double		t0 = bf_http_now();
		BfHttpResponse *none;

		CHECK(bf_http_poll(http, 1000, &none, NULL) == 0 && none == NULL);
		CHECK(bf_http_now() - t0 < 0.1);
	}
	json_object_put(doc);
	bf_http_response_free(resp);
	bf_http_free(http);
}

/* Send r, return the echo's JSON (NULL on failure) and its status. */
static struct json_object *
echo_of(const BfHttpRequest *r, long *status)
{
	BfHttpResponse *resp = request_once(r, NULL);
	struct json_object *doc = body_json(resp);

	*status = resp != NULL ? resp->status : -1;
	bf_http_response_free(resp);
	return doc;
}

static void
test_methods_and_bodies(void)
{
	static const char body[] = "a=1&b=two\0x";
	char		url[256];
	char		hname[16];
	char		hvalue[16];
	BfHttpPair	headers[5];
	BfHttpRequest r;
	BfHttpResponse *resp;
	struct json_object *doc;
	struct json_object *hdrs = NULL;
	long		status;
	BfHttp	   *http;
	BfError		err;
	BfHttpMethod m;

	/* POST with a body holding a NUL, headers, and the caller's buffers wiped */
	snprintf(url, sizeof(url), "%s/echo", base_url);
	strcpy(hname, "X-Test");
	strcpy(hvalue, "hello");
	headers[0].name = hname;
	headers[0].value = hvalue;
	headers[1].name = "X-Empty";
	headers[1].value = "";
	headers[2].name = "X-Skip";
	headers[2].value = NULL;
	headers[3].name = "Content-Type";
	headers[3].value = "text/plain";
	r = req_of(BF_HTTP_POST, url);
	r.headers = headers;
	r.n_headers = 4;
	r.body = body;
	r.body_len = sizeof(body) - 1;
	http = bf_http_new(NULL, NULL);
	CHECK(bf_http_submit(http, &r, NULL, NULL));
	memset(url, 'z', sizeof(url) - 1);
	memset(hname, 'z', sizeof(hname) - 1);
	memset(hvalue, 'z', sizeof(hvalue) - 1);
	resp = wait_one(http, 10);
	doc = body_json(resp);
	json_object_object_get_ex(doc, "headers", &hdrs);
	CHECK(resp != NULL && resp->status == 200);
	CHECK_STR(jstr(doc, "method"), "POST");
	CHECK(json_object_get_int(json_object_object_get(doc, "body_len")) == 11);
	CHECK(strncmp(jstr(doc, "body"), "a=1&b=two", 9) == 0);
	CHECK_STR(jstr(hdrs, "x-test"), "hello");
	CHECK(jhas(hdrs, "x-empty"));
	CHECK_STR(jstr(hdrs, "x-empty"), "");
	CHECK(!jhas(hdrs, "x-skip"));
	CHECK_STR(jstr(hdrs, "content-type"), "text/plain");
	CHECK(!jhas(hdrs, "expect"));
	json_object_put(doc);
	bf_http_response_free(resp);
	bf_http_free(http);

	/* a POST with no body sends an empty one, and no made-up Content-Type */
	snprintf(url, sizeof(url), "%s/echo", base_url);
	r = req_of(BF_HTTP_POST, url);
	doc = echo_of(&r, &status);
	hdrs = NULL;
	json_object_object_get_ex(doc, "headers", &hdrs);
	CHECK(status == 200);
	CHECK_STR(jstr(hdrs, "content-length"), "0");
	CHECK(!jhas(hdrs, "content-type"));
	json_object_put(doc);

	/* every other method reaches the server as itself */
	for (m = BF_HTTP_PUT; m <= BF_HTTP_OPTIONS; m++)
	{
		r = req_of(m, url);
		if (m == BF_HTTP_DELETE)
		{
			r.body = "gone";
			r.body_len = 4;
		}
		doc = echo_of(&r, &status);
		CHECK(status == 200);
		CHECK_STR(jstr(doc, "method"), bf_http_method_name(m));
		if (m == BF_HTTP_DELETE)
			CHECK_STR(jstr(doc, "body"), "gone");
		json_object_put(doc);
	}
	r = req_of(BF_HTTP_GET, url);
	r.body = "q";
	r.body_len = 1;
	doc = echo_of(&r, &status);
	CHECK_STR(jstr(doc, "method"), "GET");
	CHECK_STR(jstr(doc, "body"), "q");
	json_object_put(doc);

	r = req_of(BF_HTTP_HEAD, url);
	resp = request_once(&r, NULL);
	CHECK(resp != NULL && resp->status == 200 && resp->body_len == 0);
	CHECK(resp != NULL && atoi(jstr(resp->headers, "content-length")) > 0);
	bf_http_response_free(resp);

	/* requests that must not go out */
	http = bf_http_new(NULL, NULL);
	headers[0].name = "X-Evil";
	headers[0].value = "a\r\nX-Injected: 1";
	r = req_of(BF_HTTP_GET, url);
	r.headers = headers;
	r.n_headers = 1;
	CHECK(!bf_http_submit(http, &r, NULL, &err) && err.kind == BF_ERR_VALUE);
	headers[0].name = "Bad Name";
	headers[0].value = "v";
	CHECK(!bf_http_submit(http, &r, NULL, &err) && err.kind == BF_ERR_VALUE);
	r = req_of(BF_HTTP_HEAD, url);
	r.body = "x";
	r.body_len = 1;
	CHECK(!bf_http_submit(http, &r, NULL, &err) && err.kind == BF_ERR_VALUE);
	r = req_of(BF_HTTP_GET, NULL);
	CHECK(!bf_http_submit(http, &r, NULL, &err) && err.kind == BF_ERR_VALUE);
	CHECK(bf_http_pending(http) == 0);
	bf_http_free(http);
}

static void
test_response_headers(void)
{
	BfHttpResponse *resp = get_once("/headers");

	CHECK(resp != NULL && resp->status == 200);
	if (resp != NULL)
	{
		CHECK_STR(jstr(resp->headers, "x-multi"), "a, b");
		CHECK_STR(jstr(resp->headers, "x-mixed-case"), "V");
		CHECK(bf_http_retry_after(resp->headers, 0) == 7.0);
	}
	bf_http_response_free(resp);

	resp = get_once("/status?code=429&h=Retry-After:2&h=X-Why:slow");
	CHECK(resp != NULL && resp->status == 429 && resp->error == NULL);
	if (resp != NULL)
	{
		CHECK_STR(resp->body, "status 429");
		CHECK_STR(jstr(resp->headers, "x-why"), "slow");
		CHECK(bf_http_retry_after(resp->headers, 0) == 2.0);
	}
	bf_http_response_free(resp);

	/* a redirect chain keeps only the final response's headers */
	resp = get_once("/redirect?n=3");
	CHECK(resp != NULL && resp->status == 200);
	if (resp != NULL)
	{
		size_t		n = strlen(resp->effective_url);

		CHECK(n > 5 && strcmp(resp->effective_url + n - 5, "/echo") == 0);
		CHECK(!jhas(resp->headers, "location"));
	}
	bf_http_response_free(resp);

	resp = get_once("/redirect?n=6");
	CHECK(resp != NULL && resp->status == 0 && resp->error != NULL);
	CHECK(resp != NULL && resp->error != NULL && strstr(resp->error, "redirects") != NULL);
	bf_http_response_free(resp);
}

static void
test_gzip_and_cap(void)
{
	BfHttpResponse *resp = get_once("/gzip");
	BfHttpLimits l = limits_of(2, 0);
	BfHttp	   *http;
	int			i;

	CHECK(resp != NULL && resp->status == 200);
	if (resp != NULL)
	{
		CHECK(resp->body_len == 18000);
		for (i = 0; i < 2000 && resp->body_len == 18000; i++)
			if (memcmp(resp->body + i * 9, "backfill ", 9) != 0)
				break;
		CHECK(i == 2000);
		CHECK_STR(jstr(resp->headers, "content-encoding"), "gzip");
		/* counted as received on the wire, compressed */
		CHECK(resp->bytes_received < 2000);
	}
	bf_http_response_free(resp);

	l.max_body_bytes = 1000;
	http = bf_http_new(&l, NULL);
	CHECK(submit_path(http, BF_HTTP_GET, "/big?n=1000", NULL));
	resp = wait_one(http, 10);
	CHECK(resp != NULL && resp->status == 200 && resp->body_len == 1000);
	bf_http_response_free(resp);
	CHECK(submit_path(http, BF_HTTP_GET, "/big?n=5000", NULL));
	resp = wait_one(http, 10);
	/* refused on its Content-Length, before the body is read; a resend would be too */
	CHECK(resp != NULL && resp->status == 0 && resp->body_len == 0 && !resp->transient);
	if (resp != NULL)
	{
		CHECK_STR(resp->body, "");
		CHECK_MSG(resp->error != NULL &&
				  strstr(resp->error, "exceeds the limit of 1000 bytes") != NULL &&
				  strstr(resp->error, "GET http://127.0.0.1") == resp->error,
				  "%s", resp->error ? resp->error : "(null)");
	}
	bf_http_response_free(resp);
	bf_http_free(http);
}

static void
test_transport_errors(void)
{
	char		url[256];
	char		prefix[300];
	BfHttpRequest r;
	BfHttpResponse *resp;
	double		t0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", closed_port());
	snprintf(prefix, sizeof(prefix), "GET %s: ", url);
	r = req_of(BF_HTTP_GET, url);
	t0 = bf_http_now();
	resp = request_once(&r, NULL);
	CHECK(bf_http_now() - t0 < 3);
	CHECK(resp != NULL && resp->status == 0 && resp->error != NULL);
	if (resp != NULL && resp->error != NULL)
		CHECK_MSG(strncmp(resp->error, prefix, strlen(prefix)) == 0, "%s", resp->error);
	/* a refused connection is most often a wrong URL: not worth a retry */
	CHECK(resp != NULL && !resp->transient);
	bf_http_response_free(resp);

	/* only http and https: a spec cannot read the server's files */
	r = req_of(BF_HTTP_GET, "file:///etc/passwd");
	resp = request_once(&r, NULL);
	CHECK(resp != NULL && resp->status == 0 && resp->error != NULL);
	CHECK(resp != NULL && resp->body_len == 0 && !resp->transient);
	bf_http_response_free(resp);

	/* a per-request timeout */
	snprintf(url, sizeof(url), "%s/hang?s=10", base_url);
	r = req_of(BF_HTTP_GET, url);
	r.timeout_ms = 300;
	t0 = bf_http_now();
	resp = request_once(&r, NULL);
	t0 = bf_http_now() - t0;
	CHECK_MSG(t0 >= 0.25 && t0 < 1.5, "timeout took %.3f s", t0);
	CHECK(resp != NULL && resp->status == 0);
	if (resp != NULL)
		CHECK_MSG(resp->error != NULL && strstr(resp->error, "timed out") != NULL,
				  "%s", resp->error ? resp->error : "(null)");
	/* a timeout may not happen again: the runner retries it */
	CHECK(resp != NULL && resp->transient);
	bf_http_response_free(resp);

	/* the engine's timeout when the request has none */
	{
		BfHttpLimits l = limits_of(1, 0);
		BfHttp	   *http;

		l.timeout_ms = 300;
		http = bf_http_new(&l, NULL);
		CHECK(submit_path(http, BF_HTTP_GET, "/hang?s=10", NULL));
		t0 = bf_http_now();
		resp = wait_one(http, 5);
		t0 = bf_http_now() - t0;
		CHECK_MSG(resp != NULL && resp->status == 0 && t0 < 1.5, "%.3f s", t0);
		bf_http_response_free(resp);
		bf_http_free(http);
	}
}

/*
 * Collect n responses (users are &ids[i]); returns how many arrived, after
 * checking that the engine never had more than cap in flight.
 */
static int
collect_all(BfHttp *http, int n, int *seen, const int *ids, int cap, double max_s)
{
	int			got = 0;
	int			most = 0;
	double		end = bf_http_now() + max_s;
	BfHttpResponse *resp;

	while (got < n && bf_http_now() < end)
	{
		int			rc = bf_http_poll(http, 100, &resp, NULL);

		if (bf_http_in_flight(http) > most)
			most = bf_http_in_flight(http);
		if (rc < 0)
			break;
		if (rc == 0)
			continue;
		if (resp->status == 200 && resp->user != NULL)
			seen[(const int *) resp->user - ids]++;
		got++;
		bf_http_response_free(resp);
	}
	CHECK_MSG(most <= cap, "%d in flight over %d slots", most, cap);
	return got;
}

static void
test_concurrency_cap(void)
{
	int			ids[20];
	int			seen[20];
	int			i;
	int			ok = 1;
	BfHttpLimits l = limits_of(4, 0);
	BfHttp	   *http = bf_http_new(&l, NULL);
	struct json_object *stats;
	double		t0;

	server_reset();
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 20; i++)
	{
		ids[i] = i;
		CHECK(submit_path(http, BF_HTTP_GET, "/delay?ms=200", &ids[i]));
	}
	CHECK(bf_http_pending(http) == 20);
	t0 = bf_http_now();
	CHECK(collect_all(http, 20, seen, ids, 4, 20) == 20);
	t0 = bf_http_now() - t0;
	for (i = 0; i < 20; i++)
		ok &= seen[i] == 1;
	CHECK(ok);
	CHECK_MSG(t0 >= 0.95 && t0 < 2.5, "20 x 200 ms over 4 slots took %.3f s", t0);
	stats = server_stats();
	CHECK_MSG(stat_int(stats, "max_in_flight") == 4, "max in flight %d",
			  stat_int(stats, "max_in_flight"));
	CHECK_MSG(stat_int(stats, "connections") >= 1 && stat_int(stats, "connections") <= 4,
			  "%d connections", stat_int(stats, "connections"));
	json_object_put(stats);
	bf_http_free(http);
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/*
 * The rate as the server saw it: arrival times at least ~1/rate apart,
 * and no 1 s window holding more than floor(rate) + 1 of them.
 */
static void
check_rate(double rate, int n)
{
	int			ids[20];
	int			seen[20];
	double		times[20];
	BfHttpLimits l = limits_of(5, rate);
	BfHttp	   *http = bf_http_new(&l, NULL);
	struct json_object *stats;
	struct json_object *arr = NULL;
	double		min_gap = 1e9;
	int			max_window = 0;
	int			i;
	int			j;

	server_reset();
	for (i = 0; i < n; i++)
	{
		ids[i] = i;
		CHECK(submit_path(http, BF_HTTP_GET, "/echo", &ids[i]));
	}
	memset(seen, 0, sizeof(seen));
	CHECK(collect_all(http, n, seen, ids, 5, n / rate + 10) == n);
	stats = server_stats();
	json_object_object_get_ex(stats, "times", &arr);
	CHECK((int) json_object_array_length(arr) == n);
	if ((int) json_object_array_length(arr) == n)
	{
		for (i = 0; i < n; i++)
			times[i] = json_object_get_double(json_object_array_get_idx(arr, i));
		qsort(times, n, sizeof(double), cmp_double);
		for (i = 1; i < n; i++)
			if (times[i] - times[i - 1] < min_gap)
				min_gap = times[i] - times[i - 1];
		for (i = 0; i < n; i++)
		{
			for (j = i; j < n && times[j] - times[i] <= 1.0; j++)
				;
			if (j - i > max_window)
				max_window = j - i;
		}
		CHECK_MSG(min_gap >= 0.7 / rate, "rate %.1f: smallest gap %.3f s", rate, min_gap);
		CHECK_MSG(times[n - 1] - times[0] >= 0.9 * (n - 1) / rate,
				  "rate %.1f: %d requests in %.3f s", rate, n, times[n - 1] - times[0]);
		CHECK_MSG(max_window <= (int) ceil(rate) + 1,
				  "rate %.1f: %d requests in one second", rate, max_window);
	}
	json_object_put(stats);
	bf_http_free(http);
}

/*
 * What held each request in the queue, for the request trace: nothing for
 * the first, a connection with one slot, the rate's spacing, a pause.
 */
static void
hold_run(BfHttpLimits *l, double pause, BfHttpHold *held, double *queued, BfHttpMethod *method)
{
	BfHttp	   *http = bf_http_new(l, NULL);
	int			ids[3] = {0, 1, 2};
	int			got = 0;
	int			i;
	double		deadline = bf_http_now() + 10;

	for (i = 0; i < 3; i++)
		CHECK(submit_path(http, BF_HTTP_GET, "/echo", &ids[i]));
	if (pause > 0)
		bf_http_pause_until(http, bf_http_now() + pause);
	while (got < 3 && bf_http_now() < deadline)
	{
		BfHttpResponse *resp;

		if (bf_http_poll(http, 100, &resp, NULL) == 1)
		{
			int			id = *(int *) resp->user;

			held[id] = resp->held_by;
			queued[id] = resp->queued;
			method[id] = resp->method;
			bf_http_response_free(resp);
			got++;
		}
	}
	CHECK(got == 3);
	bf_http_free(http);
}

static void
test_hold_reasons(void)
{
	BfHttpHold	held[3];
	double		queued[3];
	BfHttpMethod method[3];
	BfHttpLimits l;

	l = limits_of(1, 0);		/* one connection, no rate */
	hold_run(&l, 0, held, queued, method);
	CHECK(held[0] == BF_HTTP_HELD_NONE && method[0] == BF_HTTP_GET);
	CHECK(held[1] == BF_HTTP_HELD_SLOT && held[2] == BF_HTTP_HELD_SLOT);
	CHECK(queued[2] > 0);

	l = limits_of(5, 10);		/* 10/s: 0.1 s between sends */
	hold_run(&l, 0, held, queued, method);
	CHECK(held[0] == BF_HTTP_HELD_NONE);
	CHECK(held[1] == BF_HTTP_HELD_RATE && held[2] == BF_HTTP_HELD_RATE);
	CHECK_MSG(queued[1] >= 0.08 && queued[2] >= 0.18, "%.3f %.3f", queued[1], queued[2]);

	l = limits_of(5, 0);		/* a server's pause holds them all */
	hold_run(&l, 0.2, held, queued, method);
	CHECK(held[0] == BF_HTTP_HELD_PAUSE && held[2] == BF_HTTP_HELD_PAUSE);
	CHECK_MSG(queued[0] >= 0.18, "%.3f", queued[0]);
}

static void
test_rate(void)
{
	int			ids[10];
	int			seen[10];
	int			i;
	double		t0;
	BfHttpLimits l = limits_of(5, 0);
	BfHttp	   *http = bf_http_new(&l, NULL);

	check_rate(10, 15);
	check_rate(2, 5);
	memset(seen, 0, sizeof(seen));

	/* rate <= 0: no limit */
	for (i = 0; i < 10; i++)
	{
		ids[i] = i;
		CHECK(submit_path(http, BF_HTTP_GET, "/echo", &ids[i]));
	}
	t0 = bf_http_now();
	CHECK(collect_all(http, 10, seen, ids, 5, 10) == 10);
	CHECK_MSG(bf_http_now() - t0 < 0.8, "10 unlimited requests took %.3f s",
			  bf_http_now() - t0);
	bf_http_free(http);
}

static void
test_reuse(void)
{
	int			ids[10];
	int			seen[10];
	int			i;
	BfHttpLimits l = limits_of(2, 0);
	BfHttp	   *http = bf_http_new(&l, NULL);
	struct json_object *stats;
	BfHttpResponse *resp;

	server_reset();
	for (i = 0; i < 10; i++)
	{
		CHECK(submit_path(http, BF_HTTP_GET, "/echo", NULL));
		resp = wait_one(http, 10);
		CHECK(resp != NULL && resp->status == 200);
		bf_http_response_free(resp);
	}
	stats = server_stats();
	CHECK_MSG(stat_int(stats, "connections") == 1, "%d connections for 10 sequential requests",
			  stat_int(stats, "connections"));
	json_object_put(stats);

	for (i = 0; i < 10; i++)
	{
		ids[i] = i;
		CHECK(submit_path(http, BF_HTTP_GET, "/echo", &ids[i]));
	}
	CHECK(collect_all(http, 10, seen, ids, 2, 10) == 10);
	stats = server_stats();
	CHECK_MSG(stat_int(stats, "connections") <= 2, "%d connections over 2 slots",
			  stat_int(stats, "connections"));
	json_object_put(stats);
	bf_http_free(http);
}

static void
test_pause(void)
{
	BfHttpLimits l = limits_of(5, 0);
	BfHttp	   *http = bf_http_new(&l, NULL);
	BfHttpResponse *resp = NULL;
	double		t0 = bf_http_now();

	bf_http_pause_until(http, t0 + 0.5);
	CHECK(submit_path(http, BF_HTTP_GET, "/echo", NULL));
	CHECK(bf_http_poll(http, 100, &resp, NULL) == 0);
	CHECK(bf_http_in_flight(http) == 0 && bf_http_pending(http) == 1);
	resp = wait_one(http, 5);
	CHECK(resp != NULL && resp->status == 200);
	CHECK_MSG(bf_http_now() - t0 >= 0.5, "paused for %.3f s", bf_http_now() - t0);
	bf_http_response_free(resp);

	/* an earlier time does not shorten a pause */
	t0 = bf_http_now();
	bf_http_pause_until(http, t0 + 0.3);
	bf_http_pause_until(http, t0 + 0.05);
	CHECK(submit_path(http, BF_HTTP_GET, "/echo", NULL));
	resp = wait_one(http, 5);
	CHECK(resp != NULL && bf_http_now() - t0 >= 0.3);
	bf_http_response_free(resp);

	/* a pause holds back new requests, not those already in flight */
	CHECK(submit_path(http, BF_HTTP_GET, "/delay?ms=300", NULL));
	CHECK(bf_http_poll(http, 50, &resp, NULL) == 0);
	CHECK(bf_http_in_flight(http) == 1);
	t0 = bf_http_now();
	bf_http_pause_until(http, t0 + 2);
	CHECK(submit_path(http, BF_HTTP_GET, "/echo", NULL));
	resp = wait_one(http, 5);
	CHECK(resp != NULL && resp->status == 200);
	CHECK_MSG(bf_http_now() - t0 < 1.0, "in-flight request held %.3f s", bf_http_now() - t0);
	CHECK(bf_http_in_flight(http) == 0 && bf_http_pending(http) == 1);
	bf_http_response_free(resp);
	bf_http_free(http);
}

/* A hanging API must not hold poll beyond its budget (query cancel). */
static void
test_bounded_poll(void)
{
	BfHttpLimits l = limits_of(2, 0);
	BfHttp	   *http = bf_http_new(&l, NULL);
	BfHttpResponse *resp = NULL;
	BfHttpStats st;
	double		worst = 0;
	double		least = 1e9;
	double		t0;
	int			i;
	int			zeros = 0;

	CHECK(submit_path(http, BF_HTTP_GET, "/hang?s=20", NULL));
	for (i = 0; i < 5; i++)
	{
		double		dt;

		t0 = bf_http_now();
		zeros += bf_http_poll(http, 100, &resp, NULL) == 0;
		dt = bf_http_now() - t0;
		if (dt > worst)
			worst = dt;
		if (dt < least)
			least = dt;
	}
	CHECK(zeros == 5);
	CHECK_MSG(least >= 0.095 && worst < 0.3, "poll(100 ms) took %.3f..%.3f s", least, worst);
	t0 = bf_http_now();
	CHECK(bf_http_poll(http, 0, &resp, NULL) == 0);
	CHECK(bf_http_now() - t0 < 0.05);
	CHECK(bf_http_in_flight(http) == 1);
	bf_http_stats(http, &st);
	CHECK(st.wait_seconds >= 0.4 && st.wait_seconds < 1.0);
	bf_http_free(http);
}

/*
 * free() at any moment: with requests queued, in flight, and completed but
 * not yet returned; every socket is closed (ASan checks the memory).
 */
static void
test_free_releases_everything(void)
{
	int			before = unit_count_fds();
	int			during;
	BfHttpLimits l = limits_of(4, 0);
	BfHttp	   *http = bf_http_new(&l, NULL);
	BfHttpResponse *resp = NULL;
	int			i;

	CHECK(submit_path(http, BF_HTTP_GET, "/delay?ms=100", NULL));
	CHECK(submit_path(http, BF_HTTP_GET, "/delay?ms=100", NULL));
	for (i = 0; i < 3; i++)
		CHECK(submit_path(http, BF_HTTP_GET, "/hang?s=30", NULL));
	for (i = 0; i < 3; i++)
		CHECK(bf_http_poll(http, 20, &resp, NULL) == 0);
	usleep(400 * 1000);
	/* both delayed answers are read in one round: one returned, one kept */
	CHECK(bf_http_poll(http, 0, &resp, NULL) == 1);
	bf_http_response_free(resp);
	CHECK(bf_http_in_flight(http) == 2);
	CHECK(bf_http_pending(http) == 2);	/* one done, one hang queued */
	during = unit_count_fds();
	CHECK_MSG(during >= before + 2, "fds %d before, %d with connections", before, during);
	bf_http_free(http);
	CHECK_MSG(unit_count_fds() == before, "fds %d before, %d after free", before, unit_count_fds());

	/* and again right after submit, before anything was dispatched */
	http = bf_http_new(&l, NULL);
	CHECK(submit_path(http, BF_HTTP_POST, "/echo", NULL));
	bf_http_free(http);
	CHECK(unit_count_fds() == before);
}

static void
test_retry_after(void)
{
	struct json_object *h = json_object_new_object();
	const double date = 784111777;	/* Sun, 06 Nov 1994 08:49:37 GMT */

#define SET_H(name, value) json_object_object_add(h, (name), json_object_new_string(value))
	CHECK(bf_http_retry_after(NULL, 0) == -1);
	CHECK(bf_http_retry_after(h, 0) == -1);
	SET_H("retry-after", "7");
	CHECK(bf_http_retry_after(h, 0) == 7);
	SET_H("retry-after", " 3 ");
	CHECK(bf_http_retry_after(h, 0) == 3);
	SET_H("retry-after", "1.5");
	CHECK(bf_http_retry_after(h, 0) == 1.5);
	SET_H("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT");
	CHECK(bf_http_retry_after(h, date - 30) == 30);
	CHECK(bf_http_retry_after(h, date + 100) == 0);
	SET_H("retry-after", "Sunday, 06-Nov-94 08:49:37 GMT");
	CHECK(bf_http_retry_after(h, date - 30) == 30);
	SET_H("retry-after", "Sun Nov  6 08:49:37 1994");
	CHECK(bf_http_retry_after(h, date - 30) == 30);
	SET_H("retry-after", "-5");
	CHECK(bf_http_retry_after(h, 0) == -1);
	SET_H("retry-after", "soon");
	CHECK(bf_http_retry_after(h, 0) == -1);
	SET_H("retry-after", "");
	CHECK(bf_http_retry_after(h, 0) == -1);
	/* RateLimit-Reset: seconds, or an epoch time; Retry-After wins */
	SET_H("ratelimit-reset", "12");
	CHECK(bf_http_retry_after(h, 0) == 12);
	SET_H("retry-after", "5");
	CHECK(bf_http_retry_after(h, 0) == 5);
	json_object_object_del(h, "retry-after");
	SET_H("ratelimit-reset", "1700000100");
	CHECK(bf_http_retry_after(h, 1700000000) == 100);
	CHECK(bf_http_retry_after(h, 1700000500) == 0);
	json_object_object_add(h, "ratelimit-reset", json_object_new_int(12));
	CHECK(bf_http_retry_after(h, 0) == -1);
#undef SET_H
	json_object_put(h);
}

static void
check_query(const char *url, const BfHttpPair *p, int n, const char *want)
{
	char	   *got = bf_http_url_with_query(url, p, n, NULL);

	CHECK_STR(got, want);
	free(got);
}

static void
test_url_helpers(void)
{
	BfHttpPair	p[5] = {
		{"a", "1"}, {"b c", "d&e=f"}, {"starting_after", NULL}, {"e", ""}, {"u", "\xc3\xa9/+?#~-._"}
	};
	BfHttpPair	nulls[1] = {{"x", NULL}};
	BfHttpPair	form[2] = {{"q", "b c"}, {"x", "1+1"}};
	char	   *s;

	check_query("https://h/p", p, 5,
				"https://h/p?a=1&b%20c=d%26e%3Df&e=&u=%C3%A9%2F%2B%3F%23~-._");
	check_query("https://h/p?z=1", p, 1, "https://h/p?z=1&a=1");
	check_query("https://h/p?", p, 1, "https://h/p?a=1");
	check_query("https://h/p?z=1&", p, 1, "https://h/p?z=1&a=1");
	check_query("https://h/p#frag", p, 1, "https://h/p?a=1#frag");
	check_query("https://h/p?z=1#f?g", p, 1, "https://h/p?z=1&a=1#f?g");
	check_query("https://h/p?z=1", nulls, 1, "https://h/p?z=1");
	check_query("https://h/p", NULL, 0, "https://h/p");

	s = bf_http_form_encode(form, 2, NULL);
	CHECK_STR(s, "q=b+c&x=1%2B1");
	free(s);
	s = bf_http_form_encode(nulls, 1, NULL);
	CHECK_STR(s, "");
	free(s);
	s = bf_http_escape("a b\0c", 5, false, NULL);
	CHECK_STR(s, "a%20b%00c");
	free(s);
	s = bf_http_escape("a b", 3, true, NULL);
	CHECK_STR(s, "a+b");
	free(s);

	/* RFC 7617's example */
	s = bf_http_basic_auth("Aladdin", "open sesame", NULL);
	CHECK_STR(s, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
	free(s);
	s = bf_http_basic_auth("ab", NULL, NULL);
	CHECK_STR(s, "Basic YWI6");
	free(s);
	s = bf_http_basic_auth(NULL, NULL, NULL);
	CHECK_STR(s, "Basic Og==");
	free(s);
}

/* The whole file as a NUL-terminated string (free it), or NULL. */
static char *
slurp(const char *dir, const char *name)
{
	char		path[512];
	FILE	   *f;
	char	   *buf = NULL;
	long		len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
		(buf = calloc(1, len + 1)) != NULL && fread(buf, 1, len, f) != (size_t) len)
	{
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/*
 * Mutual TLS: a client certificate, its key and the CA, given as PEM text
 * (libcurl blobs, no file), open a server that demands a certificate from
 * its CA; without the certificate, or without the CA to trust the server
 * by, the request fails.
 */
static void
test_mtls(void)
{
	char		dir[] = "/tmp/bf_mtls_XXXXXX";
	char		cmd[2048];
	char		url[128];
	char	   *cert;
	char	   *key;
	char	   *ca;
	FILE	   *server;
	int			port = 0;
	int			pid = 0;
	BfHttpRequest r;
	BfHttpResponse *resp;
	struct json_object *doc;

	if (mkdtemp(dir) == NULL)
	{
		CHECK_MSG(0, "mkdtemp");
		return;
	}
	snprintf(cmd, sizeof(cmd),
			 "cd %s && exec 2>/dev/null && "
			 "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 "
			 "-subj /CN=bf-test-ca && "
			 "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
			 "-subj /CN=127.0.0.1 && printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
			 "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
			 "-out server.pem -days 1 -extfile san.ext && "
			 "openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr "
			 "-subj /CN=bf-client && "
			 "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
			 "-out client.pem -days 1", dir);
	CHECK_MSG(system(cmd) == 0, "openssl could not make the test CA");
	cert = slurp(dir, "client.pem");
	key = slurp(dir, "client.key");
	ca = slurp(dir, "ca.pem");
	snprintf(cmd, sizeof(cmd), "exec python3 test/unit/tls_server.py %s 60", dir);
	server = popen(cmd, "r");
	if (server == NULL || fscanf(server, "PORT %d %d", &port, &pid) != 2 || cert == NULL ||
		key == NULL || ca == NULL)
		CHECK_MSG(0, "could not start test/unit/tls_server.py");
	else
	{
		snprintf(url, sizeof(url), "https://127.0.0.1:%d/data", port);
		r = req_of(BF_HTTP_GET, url);
		r.tls_cert = cert;
		r.tls_key = key;
		r.tls_ca = ca;
		resp = request_once(&r, NULL);
		CHECK_MSG(resp != NULL && resp->status == 200, "%s", resp && resp->error ? resp->error : "");
		doc = body_json(resp);
		CHECK_STR(jstr(doc, "client"), "bf-client");
		json_object_put(doc);
		bf_http_response_free(resp);

		/* no client certificate: the server ends the handshake */
		r.tls_cert = r.tls_key = NULL;
		resp = request_once(&r, NULL);
		CHECK(resp != NULL && resp->status == 0 && resp->error != NULL);
		bf_http_response_free(resp);

		/* the certificate but not the CA: the server is not trusted */
		r.tls_cert = cert;
		r.tls_key = key;
		r.tls_ca = NULL;
		resp = request_once(&r, NULL);
		CHECK(resp != NULL && resp->status == 0 && resp->error != NULL &&
			  strstr(resp->error, "certificate") != NULL);
		bf_http_response_free(resp);
	}
	if (server != NULL)
	{
		if (pid > 0)
			kill(pid, SIGTERM);
		pclose(server);
	}
	free(cert);
	free(key);
	free(ca);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

int
main(int argc, char **argv)
{
	const char *script = argc > 1 ? argv[1] : "test/unit/http_server.py";
	static const char *const proxies[] = {
		"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"
	};
	size_t		i;

	/* the engine honours proxy variables; the loopback tests must not */
	for (i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);

	test_basics();
	test_retry_after();
	test_url_helpers();
	if (!start_server(script))
	{
		fprintf(stderr, "could not start %s\n", script);
		CHECK(0);
		return UNIT_DONE("http");
	}
	test_single_get();
	test_methods_and_bodies();
	test_response_headers();
	test_gzip_and_cap();
	test_transport_errors();
	test_concurrency_cap();
	test_rate();
	test_hold_reasons();
	test_reuse();
	test_pause();
	test_bounded_poll();
	test_free_releases_everything();
	test_mtls();
	return UNIT_DONE("http");
}
