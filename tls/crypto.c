/*
 * crypto - struct sasl_crypto over GnuTLS.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "session/xalloc.h"
#include "tls/crypto.h"

static void
hmac(int sha256, const void *key, size_t kl, const void *msg, size_t ml, unsigned char *out)
{
	if (gnutls_hmac_fast(sha256 ? GNUTLS_MAC_SHA256 : GNUTLS_MAC_MD5, key, kl, msg, ml,
	    out) < 0)
		fatalx("%s: HMAC failed", __func__);
}

static void
sha256(const void *msg, size_t ml, unsigned char out[32])
{
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, msg, ml, out) < 0)
		fatalx("%s: SHA-256 failed", __func__);
}

static int
pbkdf2(const void *pw, size_t pl, const void *salt, size_t sl, unsigned iter,
    unsigned char out[32])
{
	gnutls_datum_t	 k = { (unsigned char *)(uintptr_t)pw, (unsigned)pl };
	gnutls_datum_t	 s = { (unsigned char *)(uintptr_t)salt, (unsigned)sl };

	return gnutls_pbkdf2(GNUTLS_MAC_SHA256, &k, &s, iter, out, 32) < 0 ? -1 : 0;
}

static void
rnd(void *p, size_t n)
{
	if (gnutls_rnd(GNUTLS_RND_NONCE, p, n) < 0)
		fatalx("%s: no random numbers", __func__);
}

const struct sasl_crypto *
tls_sasl_crypto(void)
{
	static const struct sasl_crypto c = { hmac, sha256, pbkdf2, rnd };

	return &c;
}

const char *
tls_lib_version(void)
{
	static char v[48];

	snprintf(v, sizeof(v), "GnuTLS %s", gnutls_check_version(NULL));
	return v;
}
