/*
 * Unit tests of crypto.c: HMAC against the published vectors of RFC 2202
 * (HMAC-MD5, HMAC-SHA1) and RFC 4231 (HMAC-SHA256, HMAC-SHA512), base64
 * against RFC 4648 §10 and Go's decoding rules, the digests' names, and
 * random bytes that are not all the same.  (The digests' own FIPS / RFC
 * vectors are in test_functions.c, through hash().)
 */
#include <stdlib.h>
#include <string.h>

#include "util/crypto.h"
#include "unit.h"

/* HMAC of (key, data) as hex, or "(failed)". */
static const char *
hmac_hex(const char *algo, const void *key, size_t key_len, const void *data, size_t len)
{
	static char hex[BF_CRYPTO_HEX_MAX];
	unsigned char mac[BF_CRYPTO_MAX_DIGEST];
	size_t		mac_len = 0;

	if (!bf_crypto_hmac(algo, key, key_len, data, len, mac, &mac_len))
		return "(failed)";
	bf_crypto_hex(mac, mac_len, hex);
	return hex;
}

/* The base64 decoding of s, or "(invalid)". */
static const char *
decoded(const char *s)
{
	static char buf[256];
	char	   *out;
	size_t		len;
	int			rc = bf_crypto_base64_decode(s, strlen(s), &out, &len);

	if (rc != 1)
		return "(invalid)";
	memcpy(buf, out, len + 1);
	free(out);
	return buf;
}

/* CHECK_STR of the encoding of s. */
#define CHECK_B64(s, want) \
	do { \
		char *e_ = bf_crypto_base64_encode((s), strlen(s)); \
		CHECK_STR(e_, (want)); \
		free(e_); \
	} while (0)

int
main(void)
{
	unsigned char k_0b[20];
	unsigned char k_aa[131];
	unsigned char d_dd[50];
	unsigned char k_inc[25];
	unsigned char d_cd[50];
	const char *jefe_data = "what do ya want for nothing?";
	const char *big_key = "Test Using Larger Than Block-Size Key - Hash Key First";
	const char *big_both = "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data";
	const char *big_4231 = "This is a test using a larger than block-size key and a larger "
		"than block-size data. The key needs to be hashed before being used by the HMAC algorithm.";
	int			i;

	memset(k_0b, 0x0b, sizeof(k_0b));
	memset(k_aa, 0xaa, sizeof(k_aa));
	memset(d_dd, 0xdd, sizeof(d_dd));
	memset(d_cd, 0xcd, sizeof(d_cd));
	for (i = 0; i < 25; i++)
		k_inc[i] = (unsigned char) (i + 1);

	/* RFC 2202 §2: HMAC-MD5, test cases 1, 2, 3, 4, 6, 7 */
	CHECK_STR(hmac_hex("md5", k_0b, 16, "Hi There", 8), "9294727a3638bb1c13f48ef8158bfc9d");
	CHECK_STR(hmac_hex("md5", "Jefe", 4, jefe_data, 28), "750c783e6ab0b503eaa86e310a5db738");
	CHECK_STR(hmac_hex("md5", k_aa, 16, d_dd, 50), "56be34521d144c88dbb8c733f0e8b3f6");
	CHECK_STR(hmac_hex("md5", k_inc, 25, d_cd, 50), "697eaf0aca3a3aea3a75164746ffaa79");
	CHECK_STR(hmac_hex("md5", k_aa, 80, big_key, strlen(big_key)), "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd");
	CHECK_STR(hmac_hex("md5", k_aa, 80, big_both, strlen(big_both)), "6f630fad67cda0ee1fb1f562db3aa53e");

	/* RFC 2202 §3: HMAC-SHA1, the same cases */
	CHECK_STR(hmac_hex("sha1", k_0b, 20, "Hi There", 8), "b617318655057264e28bc0b6fb378c8ef146be00");
	CHECK_STR(hmac_hex("sha1", "Jefe", 4, jefe_data, 28), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	CHECK_STR(hmac_hex("sha1", k_aa, 20, d_dd, 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
	CHECK_STR(hmac_hex("sha1", k_inc, 25, d_cd, 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da");
	CHECK_STR(hmac_hex("sha1", k_aa, 80, big_key, strlen(big_key)), "aa4ae5e15272d00e95705637ce8a3b55ed402112");
	CHECK_STR(hmac_hex("sha1", k_aa, 80, big_both, strlen(big_both)), "e8e99d0f45237d786d6bbaa7965c7808bbff1a91");

	/* RFC 4231 §4: HMAC-SHA256 and HMAC-SHA512, test cases 1, 2, 3, 4, 6, 7 */
	CHECK_STR(hmac_hex("sha256", k_0b, 20, "Hi There", 8),
			  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	CHECK_STR(hmac_hex("sha256", "Jefe", 4, jefe_data, 28),
			  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	CHECK_STR(hmac_hex("sha256", k_aa, 20, d_dd, 50),
			  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	CHECK_STR(hmac_hex("sha256", k_inc, 25, d_cd, 50),
			  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	CHECK_STR(hmac_hex("sha256", k_aa, 131, big_key, strlen(big_key)),
			  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	CHECK_STR(hmac_hex("sha256", k_aa, 131, big_4231, strlen(big_4231)),
			  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
	CHECK_STR(hmac_hex("sha512", k_0b, 20, "Hi There", 8),
			  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
			  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
	CHECK_STR(hmac_hex("sha512", "Jefe", 4, jefe_data, 28),
			  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
			  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
	CHECK_STR(hmac_hex("sha512", k_aa, 20, d_dd, 50),
			  "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
			  "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb");
	CHECK_STR(hmac_hex("sha512", k_inc, 25, d_cd, 50),
			  "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
			  "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd");
	CHECK_STR(hmac_hex("sha512", k_aa, 131, big_key, strlen(big_key)),
			  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
			  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
	CHECK_STR(hmac_hex("sha512", k_aa, 131, big_4231, strlen(big_4231)),
			  "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
			  "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58");

	/* an empty key is a key; an unknown algorithm is refused */
	CHECK_STR(hmac_hex("sha256", "", 0, "", 0),
			  "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
	CHECK_STR(hmac_hex("sha384", "k", 1, "d", 1), "(failed)");
	CHECK_STR(hmac_hex("SHA256", "k", 1, "d", 1), "(failed)");

	/* the names hash() and the hmac authentication accept */
	CHECK(bf_crypto_known("md5") && bf_crypto_known("sha1") &&
		  bf_crypto_known("sha256") && bf_crypto_known("sha512"));
	CHECK(!bf_crypto_known("crc32") && !bf_crypto_known("") && !bf_crypto_known("sha"));
	{
		char		hex[BF_CRYPTO_HEX_MAX];

		CHECK(bf_crypto_digest_hex("sha1", "abc", 3, hex));
		CHECK_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
		CHECK(!bf_crypto_digest_hex("whirlpool", "abc", 3, hex));
	}

	/* RFC 4648 §10 */
	CHECK_B64("", "");
	CHECK_B64("f", "Zg==");
	CHECK_B64("fo", "Zm8=");
	CHECK_B64("foo", "Zm9v");
	CHECK_B64("foob", "Zm9vYg==");
	CHECK_B64("fooba", "Zm9vYmE=");
	CHECK_B64("foobar", "Zm9vYmFy");
	CHECK_STR(decoded(""), "");
	CHECK_STR(decoded("Zg=="), "f");
	CHECK_STR(decoded("Zm8="), "fo");
	CHECK_STR(decoded("Zm9v"), "foo");
	CHECK_STR(decoded("Zm9vYg=="), "foob");
	CHECK_STR(decoded("Zm9vYmE="), "fooba");
	CHECK_STR(decoded("Zm9vYmFy"), "foobar");

	/* Go's StdEncoding: CR/LF skipped; padding required and only at the end */
	CHECK_STR(decoded("Zm9v\r\nYmFy\n"), "foobar");
	CHECK_STR(decoded("Zg"), "(invalid)");
	CHECK_STR(decoded("Zg="), "(invalid)");
	CHECK_STR(decoded("Z==="), "(invalid)");
	CHECK_STR(decoded("===="), "(invalid)");
	CHECK_STR(decoded("Zg==Zg=="), "(invalid)");
	CHECK_STR(decoded("Zm=v"), "(invalid)");
	CHECK_STR(decoded(" Zg="), "(invalid)");
	CHECK_STR(decoded("Zm9v YmFy"), "(invalid)");
	CHECK_STR(decoded("Zm9-"), "(invalid)");
	{
		char	   *out;
		size_t		len;

		/* a NUL inside is not base64; bytes after it are not ignored */
		CHECK(bf_crypto_base64_decode("Zg==\0Zg=", 8, &out, &len) == 0 && out == NULL);
		/* decoded bytes may hold a NUL: the length says where they end */
		CHECK(bf_crypto_base64_decode("AGE=", 4, &out, &len) == 1 && len == 2 &&
			  out[0] == '\0' && out[1] == 'a' && out[2] == '\0');
		free(out);
	}

	/* random bytes: filled, and two draws of 32 bytes differ */
	{
		unsigned char a[32];
		unsigned char b[32];

		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		CHECK(bf_crypto_random(a, sizeof(a)) && bf_crypto_random(b, sizeof(b)));
		CHECK(memcmp(a, b, sizeof(a)) != 0);
		CHECK(bf_crypto_random(a, 0));
	}
	return UNIT_DONE("crypto");
}
