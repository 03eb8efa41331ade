/*-------------------------------------------------------------------------
 *
 * formats.c
 *		  Parsing response bodies: JSON (json-c), JSON lines and CSV
 *		  (RFC 4180: quoted fields, doubled quotes, CRLF or LF).
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json/formats.h"
#include "json/jsonscan.h"

const char *
bf_format_name(BfFormat format)
{
	switch (format)
	{
		case BF_FORMAT_AUTO:
			return "auto";
		case BF_FORMAT_JSON:
			return "json";
		case BF_FORMAT_JSONLINES:
			return "jsonlines";
		case BF_FORMAT_CSV:
			return "csv";
	}
	return "?";
}

BfFormat
bf_format_detect(const char *content_type)
{
	if (content_type != NULL)
	{
		if (strcasestr(content_type, "ndjson") || strcasestr(content_type, "jsonl") ||
			strcasestr(content_type, "json-seq"))
			return BF_FORMAT_JSONLINES;
		if (strcasestr(content_type, "json"))
			return BF_FORMAT_JSON;
		if (strcasestr(content_type, "csv"))
			return BF_FORMAT_CSV;
	}
	/* No telling header: JSON is what APIs send, and its error is the clearest. */
	return BF_FORMAT_JSON;
}

/*
 * Parse one JSON text of len bytes, strictly (RFC 8259); on failure say
 * where, as `what`, with the byte offset.  json-c, even in its strict mode,
 * takes single quotes, NaN, Infinity, "1.", "-01" and raw control
 * characters, and without it trailing commas and comments too; so the
 * record scanner of the fast path (jsonscan.c) checks the text first, and
 * both paths accept exactly the same bodies.
 */
static struct json_object *
parse_json(const char *text, size_t len, const char *what, long line, BfError *err)
{
	struct json_tokener *tok;
	struct json_object *out;
	enum json_tokener_error jerr;
	JsScanner	s;
	JsSpan		v;

	js_init(&s, text, len);
	if (!js_value(&s, &v) || js_skip_ws(&s))
	{
		const char *why = s.error != NULL ? s.error : "unexpected data";
		size_t		at = s.error != NULL ? s.error_pos : s.pos;

		if (line > 0)
			return bf_error_set(err, BF_ERR_RESPONSE,
								"%s line %ld is not valid JSON: %s at byte %zu of the line",
								what, line, why, at), NULL;
		return bf_error_set(err, BF_ERR_RESPONSE, "%s is not valid JSON: %s at byte %zu",
							what, why, at), NULL;
	}
	tok = json_tokener_new_ex(BF_JSON_MAX_DEPTH);
	if (tok == NULL)
		return bf_error_set(err, BF_ERR_NOMEM, "out of memory parsing %s", what), NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	out = json_tokener_parse_ex(tok, text + v.start, (int) (v.end - v.start));
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue)
	{
		/* a bare number ends only at the end of the input */
		out = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success)
	{
		/* the scanner passed it: json-c is short of memory */
		json_object_put(out);
		return bf_error_set(err, BF_ERR_NOMEM, "%s: json-c failed: %s", what,
							json_tokener_error_desc(jerr)), NULL;
	}
	return out;
}

/* Blank lines are skipped, as Sling does; any other bad line is an error. */
static struct json_object *
parse_jsonlines(const char *body, size_t len, BfError *err)
{
	struct json_object *out = json_object_new_array();
	size_t		start = 0;
	long		line = 0;

	while (start < len)
	{
		const char *nl = memchr(body + start, '\n', len - start);
		size_t		end = nl ? (size_t) (nl - body) : len;
		size_t		i;

		line++;
		for (i = start; i < end && (body[i] == ' ' || body[i] == '\r' || body[i] == '\t'); i++)
			;
		if (i < end)
		{
			struct json_object *value = parse_json(body + start, end - start,
												   "response", line, err);

			if (value == NULL && err != NULL && err->kind != BF_OK)
			{
				json_object_put(out);
				return NULL;
			}
			json_object_array_add(out, value);
		}
		start = end + 1;
	}
	return out;
}

/*
 * One CSV field starting at *pos: unquoted up to a comma or line end, or
 * quoted with "" for a quote.  Sets *end_of_row when the field ended the
 * row.  Returns a new string object, or NULL with *why set on a quote that
 * is never closed or one followed by more than a comma or a line end (which
 * would otherwise start a row of its own in the middle of a line).
 */
static struct json_object *
csv_field(const char *body, size_t len, size_t *pos, bool *end_of_row, const char **why)
{
	size_t		p = *pos;
	struct json_object *out;

	*end_of_row = false;
	if (p < len && body[p] == '"')
	{
		char	   *buf = malloc(len - p + 1);
		size_t		n = 0;

		for (p++;; p++)
		{
			if (p >= len)
			{
				free(buf);
				*why = "unterminated quoted field";
				return NULL;
			}
			if (body[p] == '"')
			{
				if (p + 1 < len && body[p + 1] == '"')
				{
					buf[n++] = '"';
					p++;
					continue;
				}
				p++;
				break;
			}
			buf[n++] = body[p];
		}
		if (p < len && body[p] != ',' && body[p] != '\r' && body[p] != '\n')
		{
			free(buf);
			*why = "data after a closing quote";
			return NULL;
		}
		out = json_object_new_string_len(buf, (int) n);
		free(buf);
	}
	else
	{
		size_t		start = p;

		while (p < len && body[p] != ',' && body[p] != '\n' && body[p] != '\r')
			p++;
		out = json_object_new_string_len(body + start, (int) (p - start));
	}
	if (p < len && body[p] == ',')
		p++;
	else
	{
		*end_of_row = true;
		if (p < len && body[p] == '\r')
			p++;
		if (p < len && body[p] == '\n')
			p++;
	}
	*pos = p;
	return out;
}

/* One row of fields as an array, or NULL (error set) on a broken quote. */
static struct json_object *
csv_row(const char *body, size_t len, size_t *pos, long row, BfError *err)
{
	struct json_object *fields = json_object_new_array();
	bool		end_of_row = false;

	while (!end_of_row)
	{
		const char *why = NULL;
		struct json_object *field = csv_field(body, len, pos, &end_of_row, &why);

		if (field == NULL)
		{
			json_object_put(fields);
			bf_error_set(err, BF_ERR_RESPONSE,
						 "response is not valid CSV: %s in row %ld", why, row);
			return NULL;
		}
		json_object_array_add(fields, field);
	}
	return fields;
}

static struct json_object *
parse_csv(const char *body, size_t len, BfError *err)
{
	struct json_object *out = json_object_new_array();
	struct json_object *header;
	size_t		pos = 0;
	long		row = 1;

	if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;				/* a byte-order mark is not part of the first name */
	if (pos >= len)
		return out;
	header = csv_row(body, len, &pos, row, err);
	if (header == NULL)
	{
		json_object_put(out);
		return NULL;
	}
	while (pos < len)
	{
		struct json_object *fields;
		struct json_object *record;
		size_t		n;
		size_t		i;

		row++;
		if (body[pos] == '\n' || body[pos] == '\r')
		{
			pos += (body[pos] == '\r' && pos + 1 < len && body[pos + 1] == '\n') ? 2 : 1;
			continue;			/* a blank line */
		}
		fields = csv_row(body, len, &pos, row, err);
		if (fields == NULL)
			break;
		n = json_object_array_length(fields);
		if (n != json_object_array_length(header))
		{
			bf_error_set(err, BF_ERR_RESPONSE,
						 "response is not valid CSV: row %ld has %zu fields, the header has %zu",
						 row, n, json_object_array_length(header));
			json_object_put(fields);
			break;
		}
		record = json_object_new_object();
		for (i = 0; i < n; i++)
			json_object_object_add(record,
								   json_object_get_string(json_object_array_get_idx(header, i)),
								   json_object_get(json_object_array_get_idx(fields, i)));
		json_object_put(fields);
		json_object_array_add(out, record);
	}
	json_object_put(header);
	if (err != NULL && err->kind != BF_OK)
	{
		json_object_put(out);
		return NULL;
	}
	return out;
}

struct json_object *
bf_parse_body(const char *body, size_t len, BfFormat format, BfError *err)
{
	switch (format)
	{
		case BF_FORMAT_JSONLINES:
			return parse_jsonlines(body, len, err);
		case BF_FORMAT_CSV:
			return parse_csv(body, len, err);
		case BF_FORMAT_AUTO:
		case BF_FORMAT_JSON:
			break;
	}
	return parse_json(body, len, "response", 0, err);
}
