/*-------------------------------------------------------------------------
 *
 * crypto.c
 *		  Digests, HMAC, base64 and random bytes through libcrypto's EVP.
 *
 * Each function is a thin wrapper: the algorithm table maps Sling's names
 * to libcrypto's, and base64 decoding adds the checks Go makes that
 * EVP_DecodeBlock leaves out (it takes '=' anywhere and reports the
 * padding bytes as data).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/crypto.h"

/* Sling's algorithm names (lower case, as its hash() folds them) and libcrypto's. */
static const struct
{
	const char *name;
	const char *evp_name;
}			algorithms[] =
{
	{"md5", "MD5"},
	{"sha1", "SHA1"},
	{"sha256", "SHA256"},
	{"sha512", "SHA512"},
};

/* libcrypto's name of algo, or NULL. */
static const char *
evp_name(const char *algo)
{
	size_t		i;

	for (i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
	{
		if (strcmp(algo, algorithms[i].name) == 0)
			return algorithms[i].evp_name;
	}
	return NULL;
}

bool
bf_crypto_known(const char *algo)
{
	return evp_name(algo) != NULL;
}

void
bf_crypto_hex(const unsigned char *bytes, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t		i;

	for (i = 0; i < len; i++)
	{
		hex[2 * i] = digits[bytes[i] >> 4];
		hex[2 * i + 1] = digits[bytes[i] & 15];
	}
	hex[2 * len] = '\0';
}

bool
bf_crypto_digest_hex(const char *algo, const void *data, size_t len, char *hex)
{
	const char *name = evp_name(algo);
	EVP_MD	   *md;
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int out_len = 0;
	bool		ok;

	if (name == NULL || (md = EVP_MD_fetch(NULL, name, NULL)) == NULL)
		return false;
	ok = EVP_Digest(data, len, out, &out_len, md, NULL) == 1 &&
		out_len <= BF_CRYPTO_MAX_DIGEST;
	EVP_MD_free(md);
	if (ok)
		bf_crypto_hex(out, out_len, hex);
	return ok;
}

bool
bf_crypto_hmac(const char *algo, const void *key, size_t key_len,
			   const void *data, size_t len, unsigned char *mac, size_t *mac_len)
{
	const char *name = evp_name(algo);
	static const unsigned char no_key[1] = {0};

	if (name == NULL)
		return false;
	/* an empty key is a valid HMAC key, but libcrypto wants a pointer */
	return EVP_Q_mac(NULL, "HMAC", NULL, name, NULL, key_len > 0 ? key : no_key, key_len,
					 data, len, mac, BF_CRYPTO_MAX_DIGEST, mac_len) != NULL;
}

char *
bf_crypto_base64_encode(const void *data, size_t len)
{
	char	   *out = malloc((len + 2) / 3 * 4 + 1);

	if (out != NULL)
		EVP_EncodeBlock((unsigned char *) out, data, (int) len);
	return out;
}

int
bf_crypto_base64_decode(const char *s, size_t len, char **out, size_t *out_len)
{
	char	   *clean = malloc(len + 1);
	size_t		n = 0;
	size_t		pad = 0;
	size_t		i;
	int			decoded;

	*out = NULL;
	*out_len = 0;
	if (clean == NULL)
		return -1;
	for (i = 0; i < len; i++)
	{
		if (s[i] != '\r' && s[i] != '\n')
			clean[n++] = s[i];
	}
	while (pad < n && pad < 3 && clean[n - 1 - pad] == '=')
		pad++;
	/* '=' only as the last one or two characters of a whole quantum */
	if (n % 4 != 0 || pad > 2 || memchr(clean, '=', n - pad) != NULL ||
		memchr(clean, '\0', n) != NULL || n > (size_t) 0x7fffffff)
	{
		free(clean);
		return 0;
	}
	*out = malloc(n / 4 * 3 + 1);
	if (*out == NULL)
	{
		free(clean);
		return -1;
	}
	decoded = EVP_DecodeBlock((unsigned char *) *out, (unsigned char *) clean, (int) n);
	free(clean);
	if (decoded < 0 || (size_t) decoded != n / 4 * 3)
	{
		free(*out);
		*out = NULL;
		return 0;
	}
	*out_len = (size_t) decoded - pad;
	(*out)[*out_len] = '\0';
	return 1;
}

bool
bf_crypto_random(void *buf, size_t len)
{
	return len <= 0x7fffffff && RAND_bytes(buf, (int) len) == 1;
}
