/*
 * runner_harness.h
 *		What the endpoint runner's tests (test_runner.c, test_sling_suite.c)
 *		share: a loopback Python server they start and stop themselves (it
 *		prints "PORT <n>" as its first line), a request to it outside any
 *		runner, reading a whole file, and running an endpoint to its end.
 *
 * Functions are static inline so that a test that uses only some of them
 * compiles without unused-function warnings.
 */
#ifndef RUNNER_HARNESS_H
#define RUNNER_HARNESS_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http/http.h"
#include "runner/runner.h"

typedef struct HarnessServer
{
	pid_t		pid;
	int			port;
	char		url[64];		/* "http://127.0.0.1:<port>" */
} HarnessServer;

/*
 * Start argv (argv[0] is looked up in PATH) with its stdout on a pipe and
 * its stderr on /dev/null, and read its "PORT <n>" line.  The pipe is closed then: the servers print
 * nothing more.  False (and no process left) when it did not say its port.
 */
static inline bool
harness_start_server(HarnessServer *s, char *const argv[])
{
	int			fds[2];
	FILE	   *in;
	char		line[128];

	memset(s, 0, sizeof(*s));
	if (pipe(fds) != 0)
		return false;
	fflush(NULL);
	s->pid = fork();
	if (s->pid < 0)
	{
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (s->pid == 0)
	{
		/* stderr too: a client hanging up mid-answer makes Python talk */
		int			devnull = open("/dev/null", O_WRONLY);

		dup2(fds[1], STDOUT_FILENO);
		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	if (in == NULL || fgets(line, sizeof(line), in) == NULL ||
		sscanf(line, "PORT %d", &s->port) != 1 || s->port <= 0)
	{
		if (in != NULL)
			fclose(in);
		else
			close(fds[0]);
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
		return false;
	}
	fclose(in);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
	return true;
}

static inline void
harness_stop_server(HarnessServer *s)
{
	if (s->pid > 0)
	{
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
}

/* The whole file as a NUL-terminated string (free it), or NULL. */
static inline char *
harness_read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *text;
	long		n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
		(text = malloc((size_t) n + 1)) == NULL)
	{
		fclose(f);
		return NULL;
	}
	if (fread(text, 1, (size_t) n, f) != (size_t) n)
	{
		free(text);
		fclose(f);
		return NULL;
	}
	fclose(f);
	text[n] = '\0';
	if (len != NULL)
		*len = (size_t) n;
	return text;
}

/*
 * One request outside any runner (a server's control or statistics
 * route): the parsed JSON answer, or NULL when none came in 10 s or it is
 * not JSON.
 */
static inline struct json_object *
harness_fetch(BfHttpMethod method, const char *url, const char *body)
{
	BfHttp	   *http = bf_http_new(NULL, NULL);
	BfHttpRequest req;
	BfHttpPair	ctype = {"Content-Type", "application/json"};
	BfHttpResponse *resp = NULL;
	struct json_object *doc = NULL;
	double		end = bf_http_now() + 10;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.headers = &ctype;
	req.n_headers = body ? 1 : 0;
	if (http == NULL || !bf_http_submit(http, &req, NULL, NULL))
	{
		bf_http_free(http);
		return NULL;
	}
	while (resp == NULL && bf_http_now() < end)
	{
		if (bf_http_poll(http, 100, &resp, NULL) < 0)
			break;
	}
	if (resp != NULL)
		doc = json_tokener_parse(resp->body);
	bf_http_response_free(resp);
	bf_http_free(http);
	return doc;
}

/*
 * Take every record of a runner into *records (a new array), calling
 * bf_runner_next in 100 ms waits as a backend does, for at most max_s
 * seconds: BF_RUN_DONE, BF_RUN_ERROR (err set) or BF_RUN_WAIT when the
 * time ran out.
 */
static inline BfRunStatus
harness_drain(BfRunner *runner, double max_s, struct json_object **records, BfError *err)
{
	double		end = bf_http_now() + max_s;
	BfRunStatus st = BF_RUN_WAIT;

	*records = json_object_new_array();
	bf_error_clear(err);
	while (bf_http_now() < end)
	{
		struct json_object *rec = NULL;

		st = bf_runner_next(runner, 100, &rec, err);
		if (st == BF_RUN_RECORD)
			json_object_array_add(*records, rec);
		else if (st != BF_RUN_WAIT)
			break;
	}
	return st;
}

#endif							/* RUNNER_HARNESS_H */
