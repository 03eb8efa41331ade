/*-------------------------------------------------------------------------
 *
 * utf8.h
 *		  The pieces of JSON string decoding that the expression lexer, the
 *		  JMESPath lexer, the record scanner and secret masking all need:
 *		  hex digits, one-letter escapes, the four hex digits of a \u
 *		  escape, and a code point written as UTF-8 (the encoding json-c
 *		  strings and the database hold).
 *
 *-------------------------------------------------------------------------
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The value of hex digit c (either case), or -1. */
extern int	bf_hex_digit(char c);

/* The character a one-letter JSON escape (\n, \", \/ ...) stands for, or -1. */
extern int	bf_json_simple_escape(char c);

/* The value of the four hex digits at s (avail bytes readable), or -1. */
extern int32_t bf_hex4(const char *s, size_t avail);

/*
 * The code point of a JSON \u escape whose four hex digits start at hex
 * (avail bytes readable): a high surrogate followed by \u and a low one
 * spell one code point, and a lone surrogate, which is no character, is
 * U+FFFD (as json-c decodes documents, so keys still match).  *used gets
 * the bytes taken from hex (4, or 10 for a pair).  -1 when the digits are
 * not four hex digits.
 */
extern int32_t bf_json_escape(const char *hex, size_t avail, size_t *used);

/* Write cp to out as UTF-8 (1 to 4 bytes); returns the bytes written. */
extern size_t bf_utf8_put(char *out, uint32_t cp);

#endif							/* UTF8_H */
