/*
 * crypto - the hashes, HMACs, PBKDF2 and random numbers the SASL
 * mechanisms need (session/sasl.h), from GnuTLS.
 */
#ifndef TLS_CRYPTO_H
#define TLS_CRYPTO_H

#include "session/sasl.h"

const struct sasl_crypto *tls_sasl_crypto(void);

/* tls_lib_version - the GnuTLS library in use, e.g. "GnuTLS 3.7.9" */
const char *tls_lib_version(void);

#endif
