/*-------------------------------------------------------------------------
 *
 * token_cache.h
 *		  Access tokens kept between runs, by key, until they expire.
 *
 * The runner asks a cache for a token before it asks the token URL, and
 * gives it the token it got; the caller owns the cache and decides how long
 * it lives (a backend keeps one for its lifetime, so the scans of a session
 * share a token).  A key is an opaque string the runner makes from whatever
 * changes the token: who asks (the caller's scope, e.g. server, role and
 * user mapping) and a digest of the grant (token URL, credentials, scopes),
 * so a changed secret is a different key and never meets the old token.
 *
 * An entry holds an access token, the refresh token the token URL gave
 * with it (if any) and when the access token expires.  Times are the
 * caller's clock in seconds (the runner's monotonic one); 0 is "never".
 * Secrets are wiped from memory when an entry is dropped.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TOKEN_CACHE_H
#define TOKEN_CACHE_H

#include <stdbool.h>

/* A token as the cache hands it out: malloc'd copies, freed by bf_token_clear. */
typedef struct BfToken
{
	char	   *access_token;	/* NULL: none that is still good */
	char	   *refresh_token;	/* NULL: none */
	double		expires_at;		/* of access_token; 0 = never */
} BfToken;

typedef struct BfTokenCache BfTokenCache;

/* A cache of at most max_entries keys; the least recently used goes first. */
extern BfTokenCache *bf_token_cache_new(int max_entries);

/*
 * The entry of key into *out (copies), as of now: an access token that has
 * expired comes back NULL, the refresh token still with it.  False when
 * there is no entry (or no memory), *out then all NULL.
 */
extern bool bf_token_cache_get(BfTokenCache *cache, const char *key, double now, BfToken *out);

/* Set key's entry to a copy of tok; false when memory ran out (nothing kept). */
extern bool bf_token_cache_put(BfTokenCache *cache, const char *key, const BfToken *tok);

/*
 * The API refused key's access token (HTTP 401): forget it, keep the
 * refresh token, so the next get asks for a new one.
 */
extern void bf_token_cache_revoke(BfTokenCache *cache, const char *key);

/* Forget key's entry altogether (its refresh token was refused too). */
extern void bf_token_cache_drop(BfTokenCache *cache, const char *key);

/* Forget every entry (a user mapping or server changed). */
extern void bf_token_cache_clear(BfTokenCache *cache);

extern int	bf_token_cache_count(const BfTokenCache *cache);
extern void bf_token_cache_free(BfTokenCache *cache);

/* Free a token's strings, wiping them first. */
extern void bf_token_clear(BfToken *tok);

#endif							/* TOKEN_CACHE_H */
