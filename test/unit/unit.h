/*
 * unit.h
 *		A minimal test harness for the plain-C modules: CHECK counts a case,
 *		prints the failing ones with file and line, and UNIT_DONE prints
 *		"<suite>: N passed, N failed" and returns the exit code, which the
 *		test runner (test/run) sums into the project's closing line.
 */
#ifndef UNIT_H
#define UNIT_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

static int	unit_passed;
static int	unit_failed;

#define CHECK(cond) \
	do { \
		if (cond) \
			unit_passed++; \
		else \
		{ \
			unit_failed++; \
			fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
		} \
	} while (0)

#define CHECK_MSG(cond, ...) \
	do { \
		if (cond) \
			unit_passed++; \
		else \
		{ \
			unit_failed++; \
			fprintf(stderr, "%s:%d: FAILED: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
		} \
	} while (0)

#define CHECK_STR(got, want) \
	do { \
		const char *g_ = (got); \
		const char *w_ = (want); \
		if (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0) \
			unit_passed++; \
		else \
		{ \
			unit_failed++; \
			fprintf(stderr, "%s:%d: FAILED: %s\n    got:  %s\n    want: %s\n", \
					__FILE__, __LINE__, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
		} \
	} while (0)

/*
 * The process's open descriptors, for tests that show a module releases
 * every connection and file it opened; -1 when /proc is not there.
 */
static inline int
unit_count_fds(void)
{
	DIR		   *dir = opendir("/proc/self/fd");
	struct dirent *d;
	int			n = 0;

	if (dir == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

#define UNIT_DONE(suite) \
	(printf("%s: %d passed, %d failed\n", (suite), unit_passed, unit_failed), \
	 unit_failed == 0 ? 0 : 1)

#endif
