/*-------------------------------------------------------------------------
 *
 * utf8.c
 *		  Hex digits, JSON escapes and UTF-8 encoding, shared by every
 *		  JSON-ish lexer and by secret masking.
 *
 *-------------------------------------------------------------------------
 */
#include "util/utf8.h"

int
bf_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
bf_json_simple_escape(char c)
{
	switch (c)
	{
		case '"':
		case '\\':
		case '/':
			return c;
		case 'b':
			return '\b';
		case 'f':
			return '\f';
		case 'n':
			return '\n';
		case 'r':
			return '\r';
		case 't':
			return '\t';
		default:
			return -1;
	}
}

int32_t
bf_hex4(const char *s, size_t avail)
{
	int32_t		v = 0;
	int			i;

	if (avail < 4)
		return -1;
	/* stops at the first non-hex byte, so a NUL-terminated string is never overread */
	for (i = 0; i < 4; i++)
	{
		int			d = bf_hex_digit(s[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

int32_t
bf_json_escape(const char *hex, size_t avail, size_t *used)
{
	int32_t		cp = bf_hex4(hex, avail);
	int32_t		lo = -1;

	*used = 4;
	if (cp < 0)
		return -1;
	if (cp >= 0xD800 && cp <= 0xDBFF && avail >= 10 && hex[4] == '\\' && hex[5] == 'u')
		lo = bf_hex4(hex + 6, avail - 6);
	if (lo >= 0xDC00 && lo <= 0xDFFF)
	{
		*used = 10;
		return 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	}
	return (cp >= 0xD800 && cp <= 0xDFFF) ? 0xFFFD : cp;
}

size_t
bf_utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}
