/*-------------------------------------------------------------------------
 *
 * bf_error.c
 *		  Filling in a BfError (see bf_error.h for why modules do not elog).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "bf_error.h"

int
bf_error_setv(BfError *err, BfErrorKind kind, const char *fmt, va_list ap)
{
	if (err != NULL)
	{
		err->kind = kind;
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
	}
	return 0;
}

int
bf_error_set(BfError *err, BfErrorKind kind, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	bf_error_setv(err, kind, fmt, ap);
	va_end(ap);
	return 0;
}

/*
 * Context is added on the way out (the spec loader knows the file and line,
 * the expression engine only the expression), so the prefix goes in front.
 */
void
bf_error_prefix(BfError *err, const char *fmt,...)
{
	char		prefix[BF_ERROR_MAX];
	char		old[BF_ERROR_MAX];
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->message, sizeof(old));
	snprintf(err->message, sizeof(err->message), "%s: %s", prefix, old);
}

void
bf_error_clear(BfError *err)
{
	if (err != NULL)
	{
		err->kind = BF_OK;
		err->message[0] = '\0';
	}
}
