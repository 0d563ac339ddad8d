/*
 * fuzz_sasl - untrusted bytes into the SASL server and client, and DNS
 * record data into the decoders the MX lookup and the domain check use,
 * and the same bytes as text into the MTA-STS and TLS-RPT parsers and the
 * JSON reader (--baseline).
 *
 * Byte 0 picks the mechanism and side; the rest is split at 0xFF bytes
 * into messages fed one after another.  Properties: no crash, no read
 * outside the input (ASan), results in range, what the client shows never
 * holds its secret, and the DNS decoders never write past the room they
 * were given or return text that is not NUL-terminated.  The crypto here is a stand-in (its values do not
 * matter to parsing), so the target needs only the session library.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/buf.h"
#include "session/dns.h"
#include "session/json.h"
#include "session/sasl.h"
#include "session/sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
hmac(int sha256, const void *k, size_t kl, const void *m, size_t ml, unsigned char *out)
{
	size_t	 i, n = sha256 ? 32 : 16;

	memset(out, 0x5a, n);
	for (i = 0; i < kl; i++)
		out[i % n] ^= ((const unsigned char *)k)[i];
	for (i = 0; i < ml; i++)
		out[(i * 7) % n] += ((const unsigned char *)m)[i];
}

static void
sha(const void *m, size_t n, unsigned char out[32])
{
	hmac(1, "", 0, m, n, out);
}

static int
kdf(const void *p, size_t pl, const void *s, size_t sl, unsigned it, unsigned char out[32])
{
	hmac(1, p, pl, s, sl, out);
	return 0;
}

static void
rnd(void *p, size_t n)
{
	memset(p, 0x41, n);
}

static const struct sasl_crypto crypto = { hmac, sha, kdf, rnd };

static int
lookup(void *arg, const char *user, char *pw, size_t len)
{
	if (user[0] == 'a')
		return 2;
	strncpy(pw, "SECRETpw", len - 1);
	pw[len - 1] = '\0';
	return user[0] == 'b' ? 1 : 0;
}

/* json_sink - every scalar is NUL-terminated within its bound */
static void
json_sink(void *arg, const char *path, const char *value, int is_string)
{
	if (strlen(path) >= JSON_PATH || strlen(value) >= JSON_VALUE)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const unsigned char cb[16] = "binding-data-16";
	enum sasl_mech	 m;
	struct buf	 out;
	const uint8_t	*p, *e, *sep;
	int		 r, k;

	if (n < 1)
		return 0;
	m = (enum sasl_mech)(d[0] % SASL_MECH_COUNT);
	p = d + 1;
	e = d + n;
	buf_init(&out, 1 << 20);
	if (d[0] & 0x80) {
		char	 txt[300];
		unsigned pref;
		size_t	 len = (size_t)(e - p);
		txt[sizeof(txt) - 1] = 'x';
		if (dns_mx(p, len, &pref, txt, sizeof(txt) - 1) == 0 &&
		    (strlen(txt) > 253 || pref > 65535))
			abort();
		if (dns_txt(p, len, txt, sizeof(txt) - 1) == 0 && strlen(txt) >= len)
			abort();
		if (dns_tlsa(p, len, txt, sizeof(txt) - 1) == 0 && strlen(txt) < 7)
			abort();
		r = dns_addr((d[0] & 0x40) ? DNS_A : DNS_AAAA, p, len, txt, sizeof(txt) - 1);
		if (txt[sizeof(txt) - 1] != 'x' || (r == 0 && strlen(txt) > 45))
			abort();
		{
			static struct sts_policy po;
			char *z = malloc(len + 1), id[40], rua[300], err[300];
			if (z == NULL)
				abort();
			memcpy(z, p, len);
			z[len] = '\0';
			if (sts_policy(z, len, &po, err, sizeof(err)) == 0 &&
			    (po.nmx > STS_MX_MAX || po.max_age < 0 || po.max_age > 31557600))
				abort();
			if (sts_txt(z, id, sizeof(id), err, sizeof(err)) == 0 && strlen(id) > 32)
				abort();
			(void)tlsrpt_txt(z, rua, sizeof(rua), err, sizeof(err));
			(void)sts_mx_match(z, "mx1.example.org");
			(void)sts_mx_match("*.example.org", z);
			(void)json_flatten(z, len, json_sink, NULL);
			free(z);
		}
	} else if (d[0] & 0x40) {
		struct sasl_client *c = sasl_client_new(m, "", "b", "SECRETpw", &crypto, 1, cb,
		    sizeof(cb));
		sasl_client_initial(c, &out);
		for (k = 0; p < e && k < 8; k++, p = sep + 1) {
			sep = memchr(p, 0xff, (size_t)(e - p));
			if (sep == NULL)
				sep = e;
			buf_drain(&out, out.len);
			r = sasl_client_step(c, p, (size_t)(sep - p), &out);
			if (r < SASL_CONTINUE || r > SASL_BAD || strstr(sasl_client_shown(c), "SECRET"))
				abort();
			if (sep == e)
				break;
		}
		sasl_client_free(c);
	} else {
		struct sasl_server *s = sasl_server_new(m, &crypto, lookup, NULL, "mx", (d[0] & 0x20) ?
		    cb : NULL, (d[0] & 0x20) ? sizeof(cb) : 0);
		for (k = 0; k < 8; k++) {
			sep = p < e ? memchr(p, 0xff, (size_t)(e - p)) : NULL;
			if (sep == NULL)
				sep = e;
			buf_drain(&out, out.len);
			r = sasl_server_step(s, p, (size_t)(sep - p), k > 0 || p < e, &out);
			/* (the client chooses every byte here, so "shown" is not
			 * checked for a secret on this side: the client side is) */
			if (r < SASL_CONTINUE || r > SASL_BAD)
				abort();
			if (r != SASL_CONTINUE || sep == e)
				break;
			p = sep + 1;
		}
		sasl_server_free(s);
	}
	buf_free(&out);
	return 0;
}
