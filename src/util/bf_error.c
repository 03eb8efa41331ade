/*-------------------------------------------------------------------------
 *
 * bf_error.c
 *		  Filling in a BfError (see bf_error.h for why modules do not elog).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "util/bf_error.h"

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

/* Replace each occurrence of needle in msg by "***", shifting the rest left. */
static void
mask_in_place(char *msg, const char *needle)
{
	size_t		nlen = strlen(needle);
	char	   *w = msg;
	const char *r = msg;
	const char *hit;

	if (nlen < BF_MIN_MASKED_SECRET || strstr(msg, needle) == NULL)
		return;
	while ((hit = strstr(r, needle)) != NULL)
	{
		size_t		n = (size_t) (hit - r);

		memmove(w, r, n);
		w += n;
		memcpy(w, "***", 3);
		w += 3;
		r = hit + nlen;
	}
	memmove(w, r, strlen(r) + 1);
}

/* The percent-encoded form of s (RFC 3986 unreserved bytes kept), malloc'd. */
static char *
percent_encoded(const char *s)
{
	char	   *out = malloc(strlen(s) * 3 + 1);
	char	   *o = out;

	if (out == NULL)
		return NULL;
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~')
			*o++ = (char) c;
		else
			o += sprintf(o, "%%%02X", c);
	}
	*o = '\0';
	return out;
}

void
bf_error_mask_secrets(char *msg, struct json_object *secrets)
{
	struct json_object_iter it;

	if (msg == NULL || !json_object_is_type(secrets, json_type_object))
		return;
	json_object_object_foreachC(secrets, it)
	{
		const char *value = json_object_get_string(it.val);
		char	   *encoded;

		if (value == NULL)
			continue;
		mask_in_place(msg, value);
		encoded = percent_encoded(value);
		if (encoded != NULL)
			mask_in_place(msg, encoded);
		free(encoded);
	}
}
