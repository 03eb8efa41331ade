/*-------------------------------------------------------------------------
 *
 * pg_util.h
 *		  What the PostgreSQL-facing modules of backfill_fdw share: raising a
 *		  plain module's BfError with the right SQLSTATE and with secrets
 *		  masked, converting between json-c values and jsonb, and reading a
 *		  user mapping's options as secrets.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_UTIL_H
#define PG_UTIL_H

#include "postgres.h"

#include "pg/pg_jsonc.h"

#include "util/bf_error.h"
#include "runner/runner.h"

/* The SQLSTATE a user can catch for each kind of BfError. */
extern int	bf_sqlstate(BfErrorKind kind);

/*
 * Raise err as an ERROR, its message masked by bf_error_mask_secrets first,
 * so no error shows a secret whatever module composed it.  A plain module
 * that stopped because of a pending interrupt (BF_ERR_CANCELED) has the
 * interrupt itself raised: the user sees PostgreSQL's own "canceling
 * statement due to statement timeout" or "user request".
 */
extern void bf_raise(const BfError *err, struct json_object *secrets) pg_attribute_noreturn();

/*
 * Have the expression engine ask this backend's interrupt flags during long
 * evaluations (bf_expr_set_interrupt); once, from _PG_init.
 */
extern void bf_install_interrupt_hook(void);

/*
 * Give the C heap's free memory back to the system after a scan whose
 * responses came to bytes or more: json-c trees and bodies are malloc'd in
 * many small blocks, which glibc keeps after they are freed, so one big
 * response left an idle backend holding hundreds of MB.  A no-op for small
 * scans (malloc_trim walks the heap) and off glibc.
 */
#define BF_TRIM_AFTER_BYTES (8L * 1024 * 1024)
extern void bf_give_back_memory(long bytes);

/* A palloc'd copy of text with secrets masked (see bf_error_mask_secrets). */
extern char *bf_mask_secrets(const char *text, struct json_object *secrets);

/*
 * The options of the user mapping for (userid, serverid), falling back to
 * PUBLIC, as a json object of strings (a new reference); an empty object
 * when there is no mapping, since an API may need no secret at all.
 */
extern struct json_object *bf_user_secrets(Oid userid, Oid serverid);

/*
 * Every secrets.x the endpoint (with defaults.state and its
 * authentication) reads must be an option of the user mapping in secrets:
 * else an error naming the secret, the server and the field that reads it,
 * rather than an empty value sent to the API.
 */
extern void bf_check_secrets(const BfSpec *spec, const BfEndpoint *ep,
							 struct json_object *secrets, Oid serverid);

/*
 * Give a run the backend's token cache and the scope of (userid,
 * serverid): the server, the role and the user mapping in force, so that
 * the scans of a session share an oauth2 token until it expires, and never
 * with another role or mapping.
 */
extern void bf_user_tokens(Oid userid, Oid serverid, BfRunContext *ctx);

/*
 * The runner's next record into *out (see BfRecord), or false when the
 * endpoint is done.  It waits in steps of BF_POLL_MS and checks for
 * interrupts between them, so a cancel is honoured even while the API
 * hangs; a runner error is raised with secrets masked.
 */
/*
 * backfill_fdw.trace: off, or the level (NOTICE, LOG) each request of a
 * run is reported at as it completes, with each retry and wait; set by
 * bf_define_settings, read when a run starts (bf_pull_record reports).
 */
extern int	bf_trace_level;
extern void bf_define_settings(void);

#define BF_POLL_MS 100
extern bool bf_pull_record(BfRunner *runner, struct json_object *secrets, BfRecord *out);

/* The same, a run error prefixed by context ("producer of endpoint ..."). */
extern bool bf_pull_record_as(BfRunner *runner, struct json_object *secrets,
							  BfRecord *out, const char *context);

/* Add the statistics of one run to *sum. */
extern void bf_add_run_stats(BfRunStats *sum, const BfRunStats *run);

/* jsonb Datum from a json-c value (NULL is JSON null), and back. */
extern Datum bf_json_to_jsonb(struct json_object *value);
extern struct json_object *bf_jsonb_to_json(Datum jsonb);

/* Parse JSON text into json-c, raising invalid_json_text on failure. */
extern struct json_object *bf_parse_json_text(const char *text, const char *what);

/*
 * Bound the runner's de-duplication set to work_mem, spilling to the
 * temporary-file directory of a temp_tablespaces tablespace (keyset.h).
 */
extern void bf_bound_dedup(BfRunContext *ctx);

#endif							/* PG_UTIL_H */
