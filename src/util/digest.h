/*-------------------------------------------------------------------------
 *
 * digest.h
 *		  MD5, SHA-1, SHA-256 and SHA-512 for the hash() function.
 *
 * The extension links libcurl, libyaml and json-c only; none of them
 * exports a hash, and a cryptographic library as a new dependency for one
 * spec function was not worth it, so the four digests are written here
 * from RFC 1321 and FIPS 180-4 and tested against their published vectors.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stdbool.h>
#include <stddef.h>

/* Longest digest as lower-case hex plus NUL (SHA-512). */
#define BF_DIGEST_HEX_MAX 129

/*
 * Hash len bytes of data with algo ("md5", "sha1", "sha256", "sha512")
 * into hex; false for an unknown algorithm.
 */
extern bool bf_digest_hex(const char *algo, const void *data, size_t len, char *hex);

#endif							/* DIGEST_H */
