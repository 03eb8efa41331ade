/*-------------------------------------------------------------------------
 *
 * jqrun.c
 *		  jq programs run by libjq in a worker process (jqrun.h says why).
 *
 * The caller and its worker talk over a socket pair (send() with
 * MSG_NOSIGNAL, so a dead worker is an error and never a SIGPIPE).  A
 * request is a kind byte ('c' compile, 'r' run), the program and the input
 * as JSON text, each after a 64-bit length; the answer is frames of a tag
 * byte and a length-prefixed text: 'o' one output as compact JSON, 'e' the
 * error that ended the run (the kind byte of BfErrorKind first), 'd' done.
 *
 * The worker: signal handlers back to their defaults (a backend's would
 * act for the backend), every inherited descriptor closed, no environment
 * ($ENV would show the backend's), stderr to /dev/null, no core files, a
 * data limit of BF_JQ_MAX_MEMORY beyond what it was forked with (libjq then
 * aborts, and the caller reports it), no modules (a jq import reads files),
 * and the last few programs kept compiled, since a processor runs the same
 * program for every record.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* close_range */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <jq.h>
#include <jv.h>

#include "expr/expr.h"
#include "expr/expr_value.h"
#include "expr/jqrun.h"

/* The caller looks at the interrupt hook this often while it waits. */
#define POLL_MS 100
/* Compiled programs a worker keeps. */
#define CACHE_SIZE 8
/* The longest program accepted (a spec's is a line or two). */
#define MAX_PROGRAM ((uint64_t) 1024 * 1024)
/* Deepest output the caller parses, as for response bodies. */
#define MAX_OUTPUT_DEPTH 512

static pid_t worker_pid = 0;
static int	worker_fd = -1;
static int	time_limit_ms = BF_JQ_TIME_LIMIT_MS;

/* ---- both sides: whole reads and writes ---------------------------------- */

/* Write all of buf; false when the other side is gone. */
static bool
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0)
	{
		ssize_t		n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t) n;
	}
	return true;
}

/* Read exactly len bytes (the worker's side: it may block). */
static bool
read_all(int fd, void *buf, size_t len)
{
	char	   *p = buf;

	while (len > 0)
	{
		ssize_t		n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t) n;
	}
	return true;
}

/* The worker's frames wait here until FLUSH_AT bytes or the answer's end. */
#define FLUSH_AT 65536
static BfBuf out_frames;

/*
 * A tag and a length-prefixed text (the worker's side).  Frames are sent in
 * batches, so a million small outputs are not three million send() calls;
 * 'd' and 'e' end an answer and send what waits.
 */
static bool
write_frame(int fd, char tag, const char *s, uint64_t len)
{
	bool		ok = true;

	bf_buf_append_char(&out_frames, tag);
	bf_buf_append(&out_frames, (const char *) &len, sizeof(len));
	bf_buf_append(&out_frames, s, (size_t) len);
	if (out_frames.failed)
		abort();				/* out of memory: the caller reports it */
	if (tag == 'd' || tag == 'e' || out_frames.len >= FLUSH_AT)
	{
		ok = write_all(fd, out_frames.data, out_frames.len);
		out_frames.len = 0;
	}
	return ok;
}

/* ---- the worker ---------------------------------------------------------- */

/* A compiled program the worker keeps. */
typedef struct CachedProgram
{
	char	   *text;
	jq_state   *jq;
	char	   *compile_error;	/* NULL when it compiled */
	unsigned long used;			/* for replacing the least recently used */
} CachedProgram;

/* The worker's state: its cache and the use clock. */
static CachedProgram cache[CACHE_SIZE];
static unsigned long use_clock = 0;

/* jq's error callback during compilation: keep the first message. */
static void
keep_compile_error(void *data, jv msg)
{
	char	  **slot = data;

	if (*slot == NULL && jv_get_kind(msg) == JV_KIND_STRING)
	{
		const char *s = jv_string_value(msg);

		size_t		len;

		if (strncmp(s, "jq: error: ", 11) == 0)
			s += 11;
		/* the first line; jq 1.6 goes on with the program's text */
		len = strcspn(s, "\n");
		while (len > 0 && s[len - 1] == ':')
			len--;
		*slot = strndup(s, len);
	}
	jv_free(msg);
}

/*
 * A jq program may start with module directives; import and include read
 * files from the server's disk, so they are refused before jq sees them.
 */
static bool
uses_modules(const char *p)
{
	for (;;)
	{
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p != '#')
			break;
		while (*p != '\0' && *p != '\n')
			p++;
	}
	return strncmp(p, "import", 6) == 0 || strncmp(p, "include", 7) == 0 ||
		strncmp(p, "module", 6) == 0;
}

/* The compiled program for text, compiling it into the cache if need be. */
static CachedProgram *
program_for(const char *text)
{
	CachedProgram *slot = &cache[0];
	int			i;

	for (i = 0; i < CACHE_SIZE; i++)
	{
		if (cache[i].text != NULL && strcmp(cache[i].text, text) == 0)
		{
			cache[i].used = ++use_clock;
			return &cache[i];
		}
		if (cache[i].used < slot->used)
			slot = &cache[i];
	}
	if (slot->jq != NULL)
		jq_teardown(&slot->jq);
	free(slot->text);
	free(slot->compile_error);
	slot->text = strdup(text);
	slot->compile_error = NULL;
	slot->used = ++use_clock;
	slot->jq = jq_init();
	if (slot->text == NULL || slot->jq == NULL)
		abort();				/* out of memory: the caller reports it */
	if (uses_modules(text))
	{
		slot->compile_error = strdup("import, include and module are not allowed");
		return slot;
	}
	/* no library path: modulemeta and friends find nothing on disk */
	jq_set_attr(slot->jq, jv_string("JQ_LIBRARY_PATH"), jv_array());
	jq_set_error_cb(slot->jq, keep_compile_error, &slot->compile_error);
	if (!jq_compile(slot->jq, text) && slot->compile_error == NULL)
		slot->compile_error = strdup("the program does not compile");
	jq_set_error_cb(slot->jq, NULL, NULL);
	return slot;
}

/* Send the error that ends a run: its kind, then the message. */
static bool
send_error(int fd, BfErrorKind kind, const char *msg)
{
	size_t		len = strlen(msg);
	char	   *buf = malloc(len + 1);
	bool		ok;

	if (buf == NULL)
		abort();
	buf[0] = (char) kind;
	memcpy(buf + 1, msg, len);
	ok = write_frame(fd, 'e', buf, len + 1);
	free(buf);
	return ok;
}

/* The message of an invalid jv: its text, or its value as JSON. */
static bool
send_jv_error(int fd, jv msg)
{
	bool		ok;

	if (jv_get_kind(msg) == JV_KIND_STRING)
		ok = send_error(fd, BF_ERR_VALUE, jv_string_value(msg));
	else
	{
		jv			text = jv_dump_string(msg, 0);

		ok = send_error(fd, BF_ERR_VALUE, jv_string_value(text));
		jv_free(text);
		return ok;
	}
	jv_free(msg);
	return ok;
}

/* Run one request's program over its input, sending every output. */
static bool
serve_run(int fd, CachedProgram *prog, const char *input, size_t input_len)
{
	jv			value = jv_parse_sized(input, (int) input_len);
	uint64_t	outputs = 0;
	uint64_t	bytes = 0;

	if (!jv_is_valid(value))
	{
		jv			msg = jv_invalid_get_msg(value);
		bool		ok = send_error(fd, BF_ERR_VALUE, jv_get_kind(msg) == JV_KIND_STRING ?
									jv_string_value(msg) : "the input is not JSON");

		jv_free(msg);
		return ok;
	}
	jq_start(prog->jq, value, 0);
	for (;;)
	{
		jv			out = jq_next(prog->jq);

		if (jv_is_valid(out))
		{
			jv			text = jv_dump_string(out, 0);
			uint64_t	len = (uint64_t) jv_string_length_bytes(jv_copy(text));
			bool		ok;

			bytes += len;
			if (++outputs > BF_JQ_MAX_OUTPUTS || bytes > BF_EVAL_MAX_BYTES)
			{
				jv_free(text);
				return send_error(fd, BF_ERR_LIMIT, outputs > BF_JQ_MAX_OUTPUTS ?
								  "the program gives more than BF_JQ_MAX_OUTPUTS (1000000) outputs" :
								  "the program's outputs exceed BF_EVAL_MAX_BYTES");
			}
			/* with its NUL, so that the caller's parser sees "1" end */
			ok = write_frame(fd, 'o', jv_string_value(text), len + 1);
			jv_free(text);
			if (!ok)
				return false;
			continue;
		}
		if (jq_halted(prog->jq))
		{
			jv			msg = jq_get_error_message(prog->jq);

			jv_free(out);
			if (jv_get_kind(msg) != JV_KIND_INVALID)
				return send_jv_error(fd, msg);	/* halt_error */
			jv_free(msg);		/* halt: the outputs so far */
			break;
		}
		if (jv_invalid_has_msg(jv_copy(out)))
			return send_jv_error(fd, jv_invalid_get_msg(out));
		jv_free(out);
		break;
	}
	return write_frame(fd, 'd', "", 0);
}

/* Read one request and answer it; false when the caller has gone. */
static bool
serve_one(int fd)
{
	char		kind;
	uint64_t	plen;
	uint64_t	ilen;
	char	   *program;
	char	   *input;
	CachedProgram *prog;
	bool		ok;

	if (!read_all(fd, &kind, 1) || !read_all(fd, &plen, sizeof(plen)) || plen > MAX_PROGRAM)
		return false;
	program = malloc((size_t) plen + 1);
	if (program == NULL || !read_all(fd, program, (size_t) plen) ||
		!read_all(fd, &ilen, sizeof(ilen)) || ilen > INT32_MAX)
		return false;
	program[plen] = '\0';
	input = malloc((size_t) ilen + 1);
	if (input == NULL || !read_all(fd, input, (size_t) ilen))
		return false;
	input[ilen] = '\0';
	prog = program_for(program);
	if (prog->compile_error != NULL)
		ok = send_error(fd, BF_ERR_SYNTAX, prog->compile_error);
	else if (kind == 'r')
		ok = serve_run(fd, prog, input, (size_t) ilen);
	else
		ok = write_frame(fd, 'd', "", 0);
	free(program);
	free(input);
	return ok;
}

/* The data segment the worker starts with, from /proc/self/statm. */
static size_t
current_data_bytes(void)
{
	FILE	   *f = fopen("/proc/self/statm", "r");
	unsigned long v[6] = {0};

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		v[5] = 0;
	fclose(f);
	return (size_t) v[5] * (size_t) sysconf(_SC_PAGESIZE);
}

/* The worker's life: made harmless to the process it came from, then serving. */
static void
worker_main(int fd)
{
	struct rlimit lim;
	sigset_t	all;
	int			sig;
	int			devnull;
	size_t		data;

	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (dup2(fd, 0) < 0)
		_exit(1);
	devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0)
		_exit(1);
	close_range(3, ~0U, 0);
	clearenv();
	lim.rlim_cur = lim.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &lim);
	data = current_data_bytes();
	if (data > 0)
	{
		lim.rlim_cur = lim.rlim_max = data + BF_JQ_MAX_MEMORY;
		setrlimit(RLIMIT_DATA, &lim);
	}
	bf_buf_init(&out_frames);
	while (serve_one(0))
		;
	_exit(0);
}

/* ---- the caller ---------------------------------------------------------- */

void
bf_jq_stop(void)
{
	if (worker_fd >= 0)
		close(worker_fd);
	if (worker_pid > 0)
	{
		kill(worker_pid, SIGKILL);
		while (waitpid(worker_pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	worker_fd = -1;
	worker_pid = 0;
}

void
bf_jq_set_time_limit(int ms)
{
	time_limit_ms = ms > 0 ? ms : BF_JQ_TIME_LIMIT_MS;
}

/* A worker ready for a request, forking one if none runs. */
static bool
ensure_worker(BfError *err)
{
	int			fds[2];
	pid_t		pid;

	if (worker_fd >= 0)
		return true;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return bf_error_set(err, BF_ERR_INTERNAL, "jq: cannot make a socket pair: %s",
							strerror(errno));
	pid = fork();
	if (pid < 0)
	{
		close(fds[0]);
		close(fds[1]);
		return bf_error_set(err, BF_ERR_INTERNAL, "jq: cannot start the jq worker: %s",
							strerror(errno));
	}
	if (pid == 0)
		worker_main(fds[1]);
	close(fds[1]);
	worker_pid = pid;
	worker_fd = fds[0];
	return true;
}

/* Milliseconds on a clock that does not jump. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What the caller reads from the worker: bytes gathered, the clock started. */
typedef struct Reader
{
	BfBuf		buf;
	size_t		pos;
	int64_t		started;
} Reader;

/*
 * Wait until buf holds len bytes after pos, asking the interrupt hook every
 * POLL_MS; on cancel, timeout or a dead worker the worker is stopped.
 */
static bool
wait_for(Reader *rd, size_t len, BfError *err)
{
	while (rd->buf.len - rd->pos < len)
	{
		struct pollfd p = {worker_fd, POLLIN, 0};
		int			n = poll(&p, 1, POLL_MS);
		char		chunk[65536];
		ssize_t		got;

		if (bf_interrupted())
		{
			bf_jq_stop();
			return bf_error_set(err, BF_ERR_CANCELED, "canceled");
		}
		if (now_ms() - rd->started > time_limit_ms)
		{
			bf_jq_stop();
			return bf_error_set(err, BF_ERR_LIMIT,
								"jq: the program ran longer than %d s (BF_JQ_TIME_LIMIT_MS) and was stopped",
								time_limit_ms / 1000);
		}
		if (n <= 0)
			continue;
		got = read(worker_fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
		{
			int			status = 0;
			pid_t		pid = worker_pid;

			close(worker_fd);
			worker_fd = -1;
			worker_pid = 0;
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return bf_error_set(err, BF_ERR_LIMIT,
								"jq: the program stopped the jq worker (signal %d): it needed more than %zu MB or hit a jq bug",
								WIFSIGNALED(status) ? WTERMSIG(status) : 0,
								BF_JQ_MAX_MEMORY / (1024 * 1024));
		}
		bf_buf_append(&rd->buf, chunk, (size_t) got);
		if (rd->buf.failed)
		{
			bf_jq_stop();
			return bf_error_set(err, BF_ERR_NOMEM, "out of memory");
		}
	}
	return true;
}

/*
 * About how many values a compact JSON text holds (a comma or an opening
 * bracket outside strings starts one), so that an output is charged by the
 * values it will make, as BF_EVAL_ELEMENT_COST counts them, before it is
 * parsed: "[0,0,...]" is 2 bytes of text per value but far more in json-c.
 */
static size_t
json_text_values(const char *s, size_t len)
{
	size_t		n = 1;
	size_t		i;
	bool		in_string = false;

	for (i = 0; i < len; i++)
	{
		if (in_string)
		{
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_string = false;
		}
		else if (s[i] == '"')
			in_string = true;
		else if (s[i] == ',' || s[i] == '[' || s[i] == '{')
			n++;
	}
	return n;
}

/* One output's JSON text as a value (the worker wrote it; depth is capped). */
static bool
parse_output(const char *s, size_t len, struct json_object **out, BfError *err)
{
	struct json_tokener *tok = json_tokener_new_ex(MAX_OUTPUT_DEPTH);

	if (tok == NULL)
		return bf_error_set(err, BF_ERR_NOMEM, "out of memory");
	*out = json_tokener_parse_ex(tok, s, (int) len);
	if (json_tokener_get_error(tok) != json_tokener_success)
	{
		json_tokener_free(tok);
		return bf_error_set(err, BF_ERR_LIMIT, "jq: an output is nested deeper than %d levels",
							MAX_OUTPUT_DEPTH);
	}
	json_tokener_free(tok);
	return true;
}

/*
 * Send a request and read its frames: the outputs go into results (when
 * not NULL); the first 'e' frame becomes err.
 */
static bool
request(char kind, const char *program, struct json_object *input,
		struct json_object *results, BfBudget *budget, BfError *err)
{
	BfBuf		in;
	uint64_t	plen = strlen(program);
	uint64_t	ilen;
	Reader		rd;
	bool		ok = true;

	if (plen > MAX_PROGRAM)
		return bf_error_set(err, BF_ERR_LIMIT, "jq: the program is longer than %llu bytes",
							(unsigned long long) MAX_PROGRAM);
	bf_buf_init(&in);
	bf_value_append_json(&in, input);
	if (in.failed)
		return bf_error_set(err, BF_ERR_NOMEM, "out of memory");
	if (in.len > INT32_MAX)
	{
		bf_buf_free(&in);
		return bf_error_set(err, BF_ERR_LIMIT, "jq: the input is larger than 2 GB");
	}
	ilen = in.len;
	if (!ensure_worker(err))
	{
		bf_buf_free(&in);
		return false;
	}
	if (!write_all(worker_fd, &kind, 1) || !write_all(worker_fd, &plen, sizeof(plen)) ||
		!write_all(worker_fd, program, (size_t) plen) ||
		!write_all(worker_fd, &ilen, sizeof(ilen)) || !write_all(worker_fd, in.data, in.len))
	{
		bf_buf_free(&in);
		bf_jq_stop();
		return bf_error_set(err, BF_ERR_INTERNAL, "jq: the jq worker is gone");
	}
	bf_buf_free(&in);
	bf_buf_init(&rd.buf);
	rd.pos = 0;
	rd.started = now_ms();
	for (;;)
	{
		char		tag;
		uint64_t	len;

		if (!wait_for(&rd, 1 + sizeof(len), err))
		{
			ok = false;
			break;
		}
		tag = rd.buf.data[rd.pos];
		memcpy(&len, rd.buf.data + rd.pos + 1, sizeof(len));
		if (!wait_for(&rd, 1 + sizeof(len) + (size_t) len, err))
		{
			ok = false;
			break;
		}
		rd.pos += 1 + sizeof(len);
		if (tag == 'd')
			break;
		if (tag == 'e')
		{
			bf_error_set(err, len > 0 ? (BfErrorKind) rd.buf.data[rd.pos] : BF_ERR_VALUE,
						 "jq: %.*s", len > 1 ? (int) (len - 1) : 0, rd.buf.data + rd.pos + 1);
			/* the worker ends the run with the error: nothing follows */
			ok = false;
			break;
		}
		if (results != NULL)
		{
			struct json_object *v = NULL;

			if ((budget != NULL &&
				 (!bf_budget_charge(budget, (size_t) len, err) ||
				  !bf_budget_charge_elements(budget,
											 json_text_values(rd.buf.data + rd.pos, (size_t) len),
											 err))) ||
				!parse_output(rd.buf.data + rd.pos, (size_t) len, &v, err))
			{
				/* the rest of the answer is unread: a fresh worker next time */
				bf_jq_stop();
				ok = false;
				break;
			}
			json_object_array_add(results, v);
		}
		rd.pos += (size_t) len;
		/* keep what is read small: drop the frames handled */
		if (rd.pos > 65536 && rd.pos == rd.buf.len)
		{
			rd.buf.len = 0;
			rd.pos = 0;
		}
	}
	bf_buf_free(&rd.buf);
	return ok;
}

bool
bf_jq_check(const char *program, BfError *err)
{
	return request('c', program, NULL, NULL, NULL, err);
}

struct json_object *
bf_jq_run(const char *program, struct json_object *input, BfBudget *budget, BfError *err)
{
	struct json_object *results = json_object_new_array();

	if (results == NULL)
	{
		bf_error_set(err, BF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (!request('r', program, input, results, budget, err))
	{
		json_object_put(results);
		return NULL;
	}
	return results;
}
