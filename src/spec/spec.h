/*-------------------------------------------------------------------------
 *
 * spec.h
 *		  A Sling API spec file, loaded into a typed model.
 *
 * Loading checks everything that can be checked without a request: YAML
 * syntax, unknown keys, types, enum values, required keys, every expression
 * and template (compiled here, once), the order in which state values can
 * be rendered, that every sync key is written by a processor, and the
 * queue graph (every queue read is written by another endpoint, no circle
 * of endpoints).  An error names the file, line, column and key path:
 *
 *	  analytics.yaml:14:7: endpoints.daily_events.iterate.concurrency:
 *	  expected an integer, got "five"
 *
 * The spec's defaults block is already merged into each endpoint, the
 * default rules (Sling's three and a retry of 5xx) end every rule list,
 * and defaults left unsaid are filled in (timeout 30 s, rate 2/s,
 * concurrency 5, iterate concurrency 10).  Every location is that of the
 * key the author wrote (or of the list item).  A loaded spec is immutable:
 * the runner reads it from many scans at once.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPEC_H
#define SPEC_H

#include <stdbool.h>
#include <json-c/json.h>

#include "util/bf_error.h"
#include "expr/expr.h"
#include "jmespath/jmespath.h"
#include "json/formats.h"		/* BfFormat */
#include "spec/spec_yaml.h"

/* Where a value was written; line 0 for values the loader made up. */
typedef struct BfLoc
{
	int			line;			/* 1-based */
	int			column;			/* 1-based */
} BfLoc;

/* A template-valued field: its text, compiled form, and where it came from. */
typedef struct BfTmplField
{
	const char *src;			/* NULL when the spec does not set it */
	BfTemplate *tmpl;			/* compiled; NULL exactly when src is */
	BfLoc		loc;
	const char *path;			/* "endpoints.users.request.url" */
} BfTmplField;

/* An expression-valued field (rule conditions, processors, iterate.over). */
typedef struct BfExprField
{
	const char *src;			/* NULL when the spec does not set it */
	BfExpr	   *expr;			/* compiled; NULL exactly when src is */
	BfLoc		loc;
	const char *path;
} BfExprField;

/*
 * A value of state, next_state, parameters or payload: YAML scalars other
 * than strings are literals, strings are templates, lists and maps hold
 * more values (map keys in YAML order).
 */
typedef enum BfValueKind
{
	BF_VALUE_LITERAL,
	BF_VALUE_TEMPLATE,
	BF_VALUE_LIST,
	BF_VALUE_MAP
} BfValueKind;

typedef struct BfValue BfValue;

struct BfValue
{
	BfValueKind kind;
	BfLoc		loc;
	struct json_object *literal;	/* LITERAL: null, boolean, int or double */
	BfTmplField tmpl;			/* TEMPLATE */
	int			count;			/* LIST and MAP */
	const char **keys;			/* MAP */
	BfValue    *items;
};

/* A map of templates in YAML order (headers). */
typedef struct BfTmplMap
{
	int			count;
	const char **keys;
	BfTmplField *values;
} BfTmplMap;

typedef struct BfStrList
{
	int			count;
	const char **items;
} BfStrList;

typedef struct BfRequest
{
	BfTmplField url;
	const char *method;			/* upper case, one of HTTP's nine */
	BfTmplMap	headers;		/* defaults.request.headers merged in */
	BfValue		parameters;		/* a MAP, count 0 when none */
	const BfValue *payload;		/* NULL when none */
	int			timeout;		/* seconds; default 30 */
	double		rate;			/* requests a second; default 2; 0 = no limit */
	int			concurrency;	/* requests in flight; default 5 */
} BfRequest;

/*
 * Pages one iteration fetches at most unless pagination.max_pages (a
 * backfill_fdw key; Sling has none) says otherwise: past it the run fails,
 * since what it read so far would be an incomplete answer.
 */
#define BF_DEFAULT_MAX_PAGES 10000

typedef struct BfPagination
{
	BfValue		next_state;		/* a MAP, count 0 when none */
	BfExprField stop_condition;
	int			max_pages;		/* default BF_DEFAULT_MAX_PAGES */
} BfPagination;

typedef enum BfCasing
{
	BF_CASING_NONE,
	BF_CASING_SNAKE,
	BF_CASING_CAMEL
} BfCasing;

typedef struct BfRecords
{
	BfTmplField jmespath;		/* may hold {state.x}; src NULL = the body */
	JpExpr	   *jmespath_expr;	/* compiled when jmespath has no {...}, else NULL */
	BfTmplField jq;				/* a jq program instead of jmespath; may hold {state.x} */
	BfStrList	primary_key;
	const char *update_key;
	int			limit;			/* 0 = no limit */
	BfCasing	casing;
	BfStrList	select;
	const char *duplicate_tolerance;	/* "capacity,error_rate" or NULL */
} BfRecords;

typedef enum BfOutputKind
{
	BF_OUTPUT_STATE,			/* state.<name> */
	BF_OUTPUT_RECORD,			/* record: replaces the record */
	BF_OUTPUT_RECORD_FIELD,		/* record.<name> */
	BF_OUTPUT_ENV,				/* env.<name> */
	BF_OUTPUT_STORE,			/* context.store.<name> */
	BF_OUTPUT_QUEUE,			/* queue.<name>: a list is one item per element */
	BF_OUTPUT_NONE,				/* no output: evaluated for its effect (log) */
	BF_OUTPUT_AUTH				/* auth.<name> or auth.headers.<Header>: only in an
								 * authentication sequence's calls */
} BfOutputKind;

typedef enum BfAggregation
{
	BF_AGG_NONE,
	BF_AGG_MAXIMUM,
	BF_AGG_MINIMUM,
	BF_AGG_COLLECT,
	BF_AGG_FIRST,
	BF_AGG_LAST
} BfAggregation;

typedef struct BfProcessor
{
	BfExprField expression;
	BfExprField condition;		/* "if"; src NULL = always */
	const char *output;			/* as written: "state.last_date"; NULL: none */
	BfOutputKind output_kind;
	const char *output_name;	/* "last_date"; NULL for BF_OUTPUT_RECORD */
	BfAggregation aggregation;
	BfLoc		loc;
	const char *path;
} BfProcessor;

typedef enum BfRuleAction
{
	BF_RULE_RETRY,
	BF_RULE_CONTINUE,
	BF_RULE_STOP,
	BF_RULE_BREAK,
	BF_RULE_FAIL,
	BF_RULE_SKIP
} BfRuleAction;

typedef enum BfBackoff
{
	BF_BACKOFF_NONE,
	BF_BACKOFF_CONSTANT,
	BF_BACKOFF_LINEAR,
	BF_BACKOFF_EXPONENTIAL,
	BF_BACKOFF_JITTER
} BfBackoff;

/* The default rule a transient transport failure is retried by (runner). */
#define BF_SERVER_ERROR_RULE "Default Server Error Retry Rule"

typedef struct BfRule
{
	BfRuleAction action;
	BfExprField condition;
	int			max_attempts;	/* default 3 */
	BfBackoff	backoff;
	double		backoff_base;	/* seconds; default 1 */
	BfTmplField message;		/* src NULL = none */
	const char *default_name;	/* one of the loader's default rules: its name; else NULL */
	BfLoc		loc;
	const char *path;
} BfRule;

typedef struct BfResponse
{
	BfFormat	format;
	BfRecords	records;
	int			processor_count;
	BfProcessor *processors;
	int			rule_count;		/* the spec's rules, then the default ones */
	BfRule	   *rules;
} BfResponse;

typedef enum BfConsume
{
	BF_CONSUME_DEFERRED,
	BF_CONSUME_IMMEDIATE
} BfConsume;

typedef struct BfIterate
{
	bool		present;
	struct json_object *over_list;	/* "over" written as a YAML list, or NULL */
	BfExprField over;			/* "over" written as an expression */
	const char *into;			/* the state key, without "state."; NULL with into_records */
	bool		into_records;	/* "into: response.records": each value is a record, no request */

	/*
	 * over written as "queue.X" or "chunk(queue.X, n)": X, which the
	 * runner streams from the queue store (an item, or a list of up to
	 * over_chunk items, per iteration) instead of evaluating over.  For the
	 * chunk form over.expr is "queue.X" compiled (what it reads), since the
	 * expression library may not have chunk().  NULL: over is evaluated.
	 */
	const char *over_queue;
	int			over_chunk;		/* 0: one item per iteration */
	int			concurrency;	/* default 10 */
	BfConsume	consume;
	BfLoc		loc;
} BfIterate;

typedef enum BfAuthType
{
	BF_AUTH_NONE,
	BF_AUTH_STATIC,
	BF_AUTH_BASIC,
	BF_AUTH_OAUTH2,
	BF_AUTH_AWS_SIGV4,
	BF_AUTH_HMAC,
	BF_AUTH_MTLS,
	BF_AUTH_SEQUENCE
} BfAuthType;

/* The oauth2 grant a token is asked for with (RFC 6749 sections 4.4, 4.3, 6). */
typedef enum BfOAuthFlow
{
	BF_OAUTH_CLIENT_CREDENTIALS,
	BF_OAUTH_PASSWORD,
	BF_OAUTH_REFRESH_TOKEN
} BfOAuthFlow;

struct BfCall;

/* How an hmac secret is written: as it is, or the key's bytes in hex or base64. */
typedef enum BfSecretEncoding
{
	BF_SECRET_RAW,
	BF_SECRET_HEX,
	BF_SECRET_BASE64
} BfSecretEncoding;

typedef struct BfAuth
{
	BfAuthType	type;
	BfTmplMap	headers;		/* static */
	BfTmplField username;		/* basic, and oauth2's password flow */
	BfTmplField password;
	BfOAuthFlow flow;			/* oauth2 */
	BfTmplField client_id;
	BfTmplField client_secret;	/* src NULL: a public client (password and
								 * refresh_token flows only) */
	BfTmplField authentication_url;	/* the token URL */
	BfStrList	scopes;
	BfTmplField refresh_token;	/* the refresh_token flow's grant */
	bool		refresh_on_expire;	/* renew with the refresh token the token URL
									 * gave, rather than the flow's own grant */
	int			sequence_count; /* sequence: calls run before the endpoint's */
	struct BfCall *sequence;
	BfTmplField aws_service;	/* aws-sigv4, signed by libcurl */
	BfTmplField aws_region;
	BfTmplField aws_access_key_id;
	BfTmplField aws_secret_access_key;
	BfTmplField aws_session_token;	/* optional: temporary credentials */
	const char *algorithm;		/* hmac: "sha256" (default) or "sha512" */
	BfTmplField secret;
	BfSecretEncoding secret_encoding;
	BfTmplField signing_string; /* rendered, then Sling's {http_...} filled in */
	BfTmplMap	request_headers;	/* likewise, and {signature} */
	int			nonce_length;	/* random bytes in {nonce}; 0 = none */
	BfTmplField cert;			/* mtls: PEM text, given to libcurl as blobs */
	BfTmplField key;
	BfTmplField ca;				/* optional: else the system's CAs */
	int			expires;		/* seconds before re-authenticating; 0 = never */
	BfLoc		loc;
} BfAuth;

/*
 * A setup or teardown call, or a call of an authentication sequence
 * (accepted and checked; the runner may refuse it).
 */
typedef struct BfCall
{
	BfExprField condition;		/* "if" */
	BfRequest	request;
	BfPagination pagination;
	BfResponse	response;
	BfExprField iterate;		/* a string expression */
	const char *into;			/* state key, without "state." */
	BfLoc		loc;
	const char *path;
} BfCall;

typedef struct BfEndpoint
{
	const char *name;
	BfLoc		loc;
	const char *description;
	const char *docs;
	bool		disabled;
	bool		queue_only;
	BfValue		state;			/* a MAP: the endpoint's own state */
	int		   *state_order;	/* indexes into state in render order */
	int			state_order_count;	/* excludes iterate.into */
	BfStrList	sync;
	BfIterate	iterate;
	BfRequest	request;
	BfPagination pagination;
	BfResponse	response;
	const BfAuth *auth;			/* in force: own, else the spec's; NULL = none */
	int			setup_count;
	BfCall	   *setup;
	int			teardown_count;
	BfCall	   *teardown;
	BfStrList	depends_on;
	struct json_object *overrides;	/* the map as written, or NULL */

	/*
	 * True when pagination.next_state reads response.* or a state key a
	 * processor writes: the next page then waits for this one.  False lets
	 * the runner request the next page before this one has arrived.
	 */
	bool		next_state_reads_response;

	/*
	 * The queue graph.  queues_read: every queue.X any expression or
	 * template of the endpoint reads (not only a leading one in
	 * iterate.over); queues_written: every queue.X its processors write.
	 * producers: the endpoints a run of this one needs first, each once,
	 * in an order that runs every producer after its own producers (the
	 * writers of queues_read, transitively; depends_on orders but does not
	 * add).  producers may be a run of BfSpec.order itself (along a chain
	 * it is, which keeps a long chain's lists from growing with its square):
	 * read it, never write it.
	 */
	BfStrList	queues_read;
	BfStrList	queues_written;

	/*
	 * The queues of queues_read that something other than a streamed
	 * iterate.over (iterate.over_queue) reads: the runner gives each to
	 * expressions as one JSON array of all its items.
	 */
	BfStrList	queues_loaded;
	int			producer_count;
	const struct BfEndpoint **producers;
} BfEndpoint;

typedef struct BfSpecPrivate BfSpecPrivate;

/*
 * Something a spec says that loads but is probably a mistake (depends_on
 * naming no endpoint, which Sling ignores): the caller reports it (a
 * WARNING at CREATE SERVER, a row of check_spec).
 */
typedef struct BfSpecWarning
{
	BfLoc		loc;			/* line 0 when not known */
	const char *path;			/* "endpoints.event.depends_on[9]" */
	const char *message;		/* "no endpoint named \"discount\"; ignored" */
} BfSpecWarning;

typedef struct BfSpec
{
	const char *file;			/* the name errors use */
	const char *name;
	const char *description;
	BfValue		base_state;		/* defaults.state, a MAP */
	int		   *base_state_order;
	int			base_state_order_count;
	const BfAuth *auth;			/* the top-level authentication; NULL = none */
	int			endpoint_count;
	BfEndpoint *endpoints;		/* in YAML order */
	const BfEndpoint **order;	/* all endpoints, producers and depends_on first */
	BfStrList	state_keys;		/* defaults.state's keys and every state.<key>
								 * the spec reads (NULL-terminated) */
	int			warning_count;
	const BfSpecWarning *warnings;	/* in the order the loader found them */
	BfSpecPrivate *priv;
} BfSpec;

/* Load a spec.  The result has one reference; bf_spec_free drops it. */
extern BfSpec *bf_spec_load_file(const char *path, BfError *err);
extern BfSpec *bf_spec_load_string(const char *yaml, size_t len,
								   const char *name_for_errors, BfError *err);

/*
 * Load a spec from a YAML tree (bf_yaml_parse), e.g. one a caller edited.
 * The spec copies what it keeps; the tree may be freed afterwards.
 */
extern BfSpec *bf_spec_load_tree(const BfYamlNode *root, const char *name_for_errors,
								 BfError *err);

/* Drop a reference (bf_spec_free and bf_spec_release are the same). */
extern void bf_spec_free(BfSpec *spec);
extern void bf_spec_release(BfSpec *spec);

/*
 * Called for each namespace path ("sync.last_id", "secrets.token") an
 * expression or template reads, with the key path and location of the
 * field it is written in.
 */
typedef void (*BfFieldRefVisitor) (const char *ref, const char *field_path, BfLoc loc,
								   void *arg);

/*
 * Visit what every expression and template of ep reads, in this order:
 * defaults.state when spec is given, then its state, iterate.over,
 * request, pagination, response (processors, rules), the authentication
 * in force, and its setup and teardown calls (spec_refs.c).  required_only:
 * only the reads bf_expr_visit_required_refs reports (those whose null
 * nothing handles where they are read).
 */
extern void bf_endpoint_visit_refs(const BfSpec *spec, const BfEndpoint *ep,
								   bool required_only, BfFieldRefVisitor visit, void *arg);

/* The same for one value (a state map, say): every template in it. */
extern void bf_value_visit_refs(const BfValue *v, BfFieldRefVisitor visit, void *arg);

/* Whether name (len bytes, not terminated) is one the caller knows. */
typedef bool (*BfKnownName) (const char *name, size_t len, void *arg);

/* A read of <ns>.<name> that the caller does not know, and where it is. */
typedef struct BfUnknownRead
{
	bool		found;
	char	   *name;			/* malloc'd (the caller frees); NULL when out of memory */
	const char *field_path;		/* the field it is read in */
	BfLoc		loc;
} BfUnknownRead;

/*
 * The first <ns>.<name> that ep's fields read (walked as
 * bf_endpoint_visit_refs walks them) and known refuses: a typo such as
 * sync.last_updatd or secrets.tokn.  Returns out->found.
 */
extern bool bf_endpoint_unknown_read(const BfSpec *spec, const BfEndpoint *ep,
									 bool required_only, const char *ns,
									 BfKnownName known, void *arg, BfUnknownRead *out);

/*
 * Whether a server option may set state key name, Sling's connection-level
 * state: defaults.state has it or the spec reads state.<name>.  When not,
 * *suggestion is the closest such key (a likely typo), or NULL.
 */
extern bool bf_spec_state_key_known(const BfSpec *spec, const char *name,
									const char **suggestion);

/*
 * Warning i of the spec as "file:line:col: key.path: message" (the shape of
 * a load error) into buf; returns buf.
 */
extern const char *bf_spec_warning_text(const BfSpec *spec, int i, char *buf, size_t size);

/* The endpoint of that name, or NULL. */
extern const BfEndpoint *bf_spec_endpoint(const BfSpec *spec, const char *name);

/*
 * The spec at path, parsed once and shared: a new reference to the cached
 * spec while the file's device, inode, size and mtime are unchanged, else
 * to a fresh load.  A spec a caller still holds stays valid after a reload.
 * Release with bf_spec_release.  Not thread-safe (a backend has one thread).
 */
extern BfSpec *bf_spec_cache_get(const char *path, BfError *err);

#endif							/* SPEC_H */
