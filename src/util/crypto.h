/*-------------------------------------------------------------------------
 *
 * crypto.h
 *		  Digests, HMAC, base64 and random bytes, all from OpenSSL's
 *		  libcrypto (EVP), for the function library and authentication.
 *
 * libcurl already links libcrypto, so calling it costs no new dependency,
 * and a library that is audited and tested beats digests written by hand.
 * This is the only module that includes an OpenSSL header; the rest of
 * the project names algorithms by Sling's words ("md5", "sha1", "sha256",
 * "sha512") and gets hex or base64 text back.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BF_CRYPTO_H
#define BF_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

/* Longest digest (SHA-512) in bytes, and as lower-case hex plus NUL. */
#define BF_CRYPTO_MAX_DIGEST 64
#define BF_CRYPTO_HEX_MAX (2 * BF_CRYPTO_MAX_DIGEST + 1)

/* Whether algo is a digest this module knows (md5, sha1, sha256, sha512). */
extern bool bf_crypto_known(const char *algo);

/*
 * Hash len bytes of data with algo into hex (BF_CRYPTO_HEX_MAX bytes);
 * false for an unknown algorithm or a libcrypto failure.
 */
extern bool bf_crypto_digest_hex(const char *algo, const void *data, size_t len,
								 char *hex);

/*
 * HMAC of data under key with algo's digest into mac (BF_CRYPTO_MAX_DIGEST
 * bytes), its length in *mac_len; false as bf_crypto_digest_hex.
 */
extern bool bf_crypto_hmac(const char *algo, const void *key, size_t key_len,
						   const void *data, size_t len,
						   unsigned char *mac, size_t *mac_len);

/* len bytes as lower-case hex into hex (2 * len + 1 bytes). */
extern void bf_crypto_hex(const unsigned char *bytes, size_t len, char *hex);

/* Standard base64 with padding (RFC 4648 §4), malloc'd; NULL on OOM. */
extern char *bf_crypto_base64_encode(const void *data, size_t len);

/*
 * Decode standard padded base64 as Go's base64.StdEncoding does: CR and LF
 * are skipped, the length must be a multiple of 4 and '=' may only end it.
 * *out is malloc'd (NUL-terminated, *out_len bytes before the NUL).
 * Returns 1, 0 for input that is not base64, -1 on OOM.
 */
extern int	bf_crypto_base64_decode(const char *s, size_t len, char **out,
									size_t *out_len);

/* len bytes from the system's CSPRNG (RAND_bytes); false when it has none. */
extern bool bf_crypto_random(void *buf, size_t len);

#endif							/* BF_CRYPTO_H */
