/*
 * b64 - strict base64 (see b64.h).
 */
#include "config.h"

#include "session/b64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
b64_encode(const void *vp, size_t n, char *out)
{
	const unsigned char *p = vp;
	size_t	 i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = alphabet[p[i] >> 2];
		out[o++] = alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = alphabet[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		out[o++] = alphabet[p[i + 2] & 63];
	}
	if (i < n) {
		out[o++] = alphabet[p[i] >> 2];
		if (i + 1 < n) {
			out[o++] = alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			out[o++] = alphabet[(p[i + 1] & 15) << 2];
		} else {
			out[o++] = alphabet[(p[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

static int
val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

long
b64_decode(const char *s, size_t n, unsigned char *out, size_t outlen)
{
	size_t	 i, o = 0, pad = 0;
	int	 v[4], k;

	if (n % 4 != 0)
		return -1;
	if (n >= 1 && s[n - 1] == '=')
		pad++;
	if (n >= 2 && s[n - 2] == '=')
		pad++;
	if (3 * (n / 4) - pad > outlen)
		return -1;
	for (i = 0; i < n; i += 4) {
		for (k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)s[i + k];
			if (c == '=') {
				/* Only in the last group, as its last one or two. */
				if (i + 4 != n || k < 2 || (k == 2 && s[i + 3] != '='))
					return -1;
				v[k] = 0;
			} else if ((v[k] = val(c)) < 0)
				return -1;
		}
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (!(i + 4 == n && pad == 2))
			out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (!(i + 4 == n && pad >= 1))
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	/* Non-canonical padding bits are refused too. */
	if (pad == 2 && (v[1] & 15))
		return -1;
	if (pad == 1 && (v[2] & 3))
		return -1;
	return (long)o;
}
