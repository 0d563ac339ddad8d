/*
 * b64 - base64 (RFC 4648) for SMTP AUTH and certificate pins.  The
 * decoder is strict: only the alphabet, length a multiple of 4, '=' only
 * as one or two final pad characters (RFC 4954 rules for AUTH).
 */
#ifndef SESSION_B64_H
#define SESSION_B64_H

#include <stddef.h>

/* b64_encode - out must hold 4 * ((n + 2) / 3) + 1 bytes; returns length */
size_t	 b64_encode(const void *, size_t n, char *out);
/* b64_decode - into out (room for 3 * (n / 4)); length, or -1 if invalid */
long	 b64_decode(const char *, size_t n, unsigned char *out, size_t outlen);

#endif
