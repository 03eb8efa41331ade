/*-------------------------------------------------------------------------
 *
 * formats.h
 *		  Response bodies to json-c values: JSON, JSON lines and CSV.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FORMATS_H
#define FORMATS_H

#include <stddef.h>
#include <json-c/json.h>

#include "util/bf_error.h"

/* A response body's format: a spec's response.format, or detected. */
typedef enum BfFormat
{
	BF_FORMAT_AUTO,				/* from Content-Type */
	BF_FORMAT_JSON,
	BF_FORMAT_JSONLINES,
	BF_FORMAT_CSV
} BfFormat;

/*
 * How deep a parsed JSON value may nest: deep enough for any real API;
 * json-c's default of 32 is not.  What is parsed again later (a queue
 * item) is parsed with the same limit.
 */
#define BF_JSON_MAX_DEPTH 512

/* "json", "jsonlines", "csv" */
extern const char *bf_format_name(BfFormat format);

/* The format of a body of this Content-Type (may be NULL) when none is set. */
extern BfFormat bf_format_detect(const char *content_type);

/*
 * Parse body (len bytes; it need not be NUL-terminated) in format, which
 * must not be BF_FORMAT_AUTO.  JSON gives the document; JSON lines and CSV
 * give an array with one element per line or row (CSV rows as objects of
 * strings keyed by the header row).  Returns a new reference; on a body
 * that does not parse, NULL with a BF_ERR_RESPONSE error saying where.
 */
extern struct json_object *bf_parse_body(const char *body, size_t len, BfFormat format,
										 BfError *err);

#endif							/* FORMATS_H */
