/*-------------------------------------------------------------------------
 *
 * bf_error.c
 *		  Filling in a BfError (see bf_error.h for why modules do not elog).
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "util/bf_error.h"
#include "util/utf8.h"

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

/*
 * How secrets are found.  A secret reaches a message not only as its own
 * bytes but in the forms the engine (and an API echoing a request) give
 * it: percent-encoded (%XX in either case, '+' for a space), escaped in
 * JSON (\" \\ \/ \n..., \uXXXX for a character or a surrogate pair, or
 * \u00XX for each byte of its UTF-8, as a body decoded as Latin-1 and
 * re-encoded shows it), and base64 (Basic auth's "user:password",
 * encode_base64()).  The first kinds are matched byte by byte, each byte of
 * the secret in any of its spellings, so a mix of them matches too; base64
 * is matched by the part of the encoding that depends on the secret alone,
 * at each of the three offsets the secret can have inside the encoded
 * bytes, and then spelled in any of the same ways.
 */

/* The byte two hex digits at s spell, or -1 (s is NUL-terminated). */
static int
hex_byte(const char *s)
{
	int			hi = bf_hex_digit(s[0]);
	int			lo = hi < 0 ? -1 : bf_hex_digit(s[1]);

	return lo < 0 ? -1 : hi * 16 + lo;
}

/* One way of spelling the first bytes of a needle. */
typedef struct Spelling
{
	size_t		len;			/* bytes of the message */
	size_t		taken;			/* bytes of the needle they stand for */
} Spelling;

/*
 * The ways msg at m spells the first bytes of needle (nlen > 0), in the
 * forms above, into out (room for 4); returns how many.  More than one
 * when a backslash or '%' may stand for itself or begin an escape.
 */
static int
spellings(const char *m, const char *needle, size_t nlen, Spelling *out)
{
	unsigned char want = (unsigned char) needle[0];
	int			n = 0;

	if ((unsigned char) m[0] == want || (m[0] == '+' && want == ' '))
		out[n++] = (Spelling) {1, 1};
	if (m[0] == '%' && hex_byte(m + 1) == want)
		out[n++] = (Spelling) {3, 1};
	if (m[0] != '\\')
		return n;
	if (m[1] == 'x' && hex_byte(m + 2) == want)
		out[n++] = (Spelling) {4, 1};
	if (bf_json_simple_escape(m[1]) == want)
		out[n++] = (Spelling) {2, 1};
	if (m[1] == 'u')
	{
		size_t		used;
		int32_t		cp = bf_json_escape(m + 2, strnlen(m + 2, 10), &used);
		char		utf8[4];
		size_t		len;

		if (cp < 0)
			return n;
		len = bf_utf8_put(utf8, (uint32_t) cp);
		if (len <= nlen && memcmp(utf8, needle, len) == 0)
			out[n++] = (Spelling) {2 + used, len};	/* the character */
		else if (used == 4 && cp == want)
			out[n++] = (Spelling) {6, 1};	/* one UTF-8 byte as \u00XX */
	}
	return n;
}

/*
 * The length of msg at m that spells all of needle, or -1.  Where a byte
 * has more than one spelling the others are tried first, within *budget
 * steps in all, so that a secret of many backslashes cannot make a message
 * take exponential time.
 */
static long
match_at(const char *m, const char *needle, size_t nlen, int *budget)
{
	size_t		done = 0;
	size_t		len = 0;

	while (done < nlen)
	{
		Spelling	ways[4];
		int			n = spellings(m + len, needle + done, nlen - done, ways);
		int			i;

		if (n == 0 || --*budget < 0)
			return -1;
		for (i = 1; i < n; i++)
		{
			long		rest = match_at(m + len + ways[i].len, needle + done + ways[i].taken,
										nlen - done - ways[i].taken, budget);

			if (rest >= 0)
				return (long) (len + ways[i].len) + rest;
		}
		len += ways[0].len;
		done += ways[0].taken;
	}
	return (long) len;
}

/* Whether c is a character of the standard base64 alphabet. */
static bool
is_base64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Replace in msg each stretch that spells needle by "***", shifting the
 * rest left.  For the secret-only part of a base64 encoding, widen_left
 * and widen_right say that the base64 character on that side also carries
 * bits of the secret: it goes too, and so does '=' padding after it.
 */
static void
mask_in_place(char *msg, const char *needle, bool widen_left, bool widen_right)
{
	size_t		nlen = strlen(needle);
	char	   *w = msg;
	const char *r = msg;

	if (nlen < BF_MIN_MASKED_SECRET)
		return;
	while (*r)
	{
		int			budget = 4 * (int) nlen + 64;
		long		len = match_at(r, needle, nlen, &budget);

		if (len < 0)
		{
			*w++ = *r++;
			continue;
		}
		if (widen_left && w > msg && is_base64(w[-1]))
			w--;
		r += len;
		if (widen_right && is_base64(*r))
			r++;
		while ((widen_left || widen_right) && *r == '=')
			r++;
		memcpy(w, "***", 3);
		w += 3;
	}
	*w = '\0';
}

/*
 * The base64 characters that depend only on s, when s stands at offset
 * `shift` (0, 1 or 2) of the bytes encoded; malloc'd, "" when none do.
 */
static char *
base64_core(const char *s, int shift)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t		slen = strlen(s);
	size_t		bits = (shift + slen) * 8;
	char	   *out = malloc(slen * 4 / 3 + 4);
	char	   *o = out;
	size_t		c;

	if (out == NULL)
		return NULL;
	/* character c holds bits 6c..6c+5, i.e. of bytes 6c/8 to (6c+5)/8 */
	for (c = 0; c * 6 + 6 <= bits; c++)
	{
		size_t		first = c * 6 / 8;
		size_t		bit;
		int			v = 0;

		if (first < (size_t) shift)
			continue;
		for (bit = c * 6; bit < c * 6 + 6; bit++)
			v = v << 1 | (((unsigned char) s[bit / 8 - shift] >> (7 - bit % 8)) & 1);
		*o++ = b64[v];
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
		int			shift;

		if (value == NULL)
			continue;
		mask_in_place(msg, value, false, false);
		for (shift = 0; shift < 3; shift++)
		{
			char	   *core = base64_core(value, shift);

			if (core != NULL && strlen(core) >= BF_MIN_MASKED_BASE64)
				mask_in_place(msg, core, shift != 0, (shift + strlen(value)) % 3 != 0);
			free(core);
		}
	}
}
