/*
 * report - the TLS report: session facts, the presented chain field by
 * field, and separate verdicts (trust, host name, validity, OCSP staple,
 * DANE), each with its reason in words.
 *
 * Verification runs in "report mode": the handshake always completes and
 * every check is made afterwards, so a bad certificate is shown in full
 * instead of ending the connection with a bare alert.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/dane.h>
#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <gnutls/x509.h>

#include "session/b64.h"
#include "tls/lazy.h"
#include "tls/report.h"
#include "tls/tls.h"
#include "tls/tls_int.h"

#define TIME_BITS	(GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED)

const char *
tls_verdict_name(enum tls_verdict v)
{
	switch (v) {
	case TLS_PASS: return "pass";
	case TLS_FAIL: return "FAIL";
	case TLS_NA: return "n/a";
	}
	return "?";
}

static void
check(struct tls_check *c, enum tls_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
check(struct tls_check *c, enum tls_verdict v, const char *fmt, ...)
{
	va_list	 ap;

	c->v = v;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

static void
hex(const unsigned char *p, size_t n, char *out, size_t len, const char *sep)
{
	size_t	 i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o + 4 < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%02X", i && *sep ? sep : "", p[i]);
}

static void
cert_info(gnutls_x509_crt_t crt, const gnutls_datum_t *der, struct tls_cert_info *ci)
{
	gnutls_datum_t	 d;
	unsigned char	 buf[1024];
	size_t		 sz, o = 0;
	unsigned	 bits = 0, seq, crit;
	int		 pk, r;
	gnutls_ecc_curve_t curve;

	memset(ci, 0, sizeof(*ci));
	if (gnutls_x509_crt_get_dn3(crt, &d, 0) >= 0) {
		snprintf(ci->subject, sizeof(ci->subject), "%.*s", (int)d.size, d.data);
		gnutls_free(d.data);
	}
	if (gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) >= 0) {
		snprintf(ci->issuer, sizeof(ci->issuer), "%.*s", (int)d.size, d.data);
		gnutls_free(d.data);
	}
	for (seq = 0;; seq++) {
		char a[INET6_ADDRSTRLEN];
		sz = sizeof(buf) - 1;
		r = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf, &sz, &crit);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0)
			continue;
		buf[sz] = '\0';
		if (r == GNUTLS_SAN_IPADDRESS)
			snprintf((char *)buf, sizeof(buf), "IP:%s", inet_ntop(sz == 4 ? AF_INET :
			    AF_INET6, memcpy(a, buf, sz), a, sizeof(a)) ? a : "?");
		else if (r == GNUTLS_SAN_DNSNAME) {
			memmove(buf + 4, buf, sz + 1);
			memcpy(buf, "DNS:", 4);
		} else if (r == GNUTLS_SAN_RFC822NAME) {
			memmove(buf + 6, buf, sz + 1);
			memcpy(buf, "email:", 6);
		} else if (r == GNUTLS_SAN_URI) {
			memmove(buf + 4, buf, sz + 1);
			memcpy(buf, "URI:", 4);
		} else
			snprintf((char *)buf, sizeof(buf), "other(%d)", r);
		o += (size_t)snprintf(ci->san + o, sizeof(ci->san) - o, "%s%s", o ? ", " : "",
		    (char *)buf);
		if (o >= sizeof(ci->san))
			break;
	}
	sz = sizeof(buf);
	if (gnutls_x509_crt_get_serial(crt, buf, &sz) >= 0)
		hex(buf, sz, ci->serial, sizeof(ci->serial), "");
	ci->not_before = gnutls_x509_crt_get_activation_time(crt);
	ci->not_after = gnutls_x509_crt_get_expiration_time(crt);
	pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	if (pk == GNUTLS_PK_ECDSA && gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, NULL, NULL) >= 0)
		snprintf(ci->key, sizeof(ci->key), "ECDSA %u bits (%s)", bits,
		    gnutls_ecc_curve_get_name(curve));
	else
		snprintf(ci->key, sizeof(ci->key), "%s %u bits",
		    gnutls_pk_get_name((gnutls_pk_algorithm_t)pk), bits);
	r = gnutls_x509_crt_get_signature_algorithm(crt);
	snprintf(ci->sigalg, sizeof(ci->sigalg), "%s",
	    r >= 0 ? gnutls_sign_get_name((gnutls_sign_algorithm_t)r) : "?");
	sz = sizeof(buf);
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, buf, &sz) >= 0)
		hex(buf, sz, ci->sha256, sizeof(ci->sha256), ":");
	sz = sizeof(buf);
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, buf, &sz) >= 0 && sz <= 32)
		b64_encode(buf, sz, ci->pin);
	ci->is_ca = gnutls_x509_crt_get_ca_status(crt, &crit) > 0;
	(void)der;
}

/* status_words - GnuTLS's sentence for a status, without the boilerplate */
static void
status_words(unsigned status, gnutls_certificate_type_t type, char *out, size_t len)
{
	gnutls_datum_t	 t;
	const char	*s;
	size_t		 n;

	if (gnutls_certificate_verification_status_print(status, type, &t, 0) < 0) {
		snprintf(out, len, "status 0x%x", status);
		return;
	}
	s = (const char *)t.data;
	if (strncmp(s, "The certificate is NOT trusted. ", 32) == 0)
		s += 32;
	snprintf(out, len, "%s", s);
	for (n = strlen(out); n > 0 && out[n - 1] == ' '; n--)
		out[n - 1] = '\0';
	snprintf(out + n, len - n, " (status 0x%x)", status);
	gnutls_free(t.data);
}

static int
is_ip(const char *s)
{
	unsigned char b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

/*
 * tlsa_parse - "usage selector type hex" (RFC 6698 2.2 presentation form;
 * the hex may hold spaces or colons, as tools print fingerprints) into
 * the record's bytes; their count, or 0 with words in err
 */
size_t
tlsa_parse(const char *rec, unsigned char *out, size_t outlen, char *err, size_t errlen)
{
	unsigned	 f[3];
	int		 pos = 0, hi = -1, v;
	size_t		 n = 3;
	const char	*p;

	if (sscanf(rec, "%u %u %u %n", &f[0], &f[1], &f[2], &pos) != 3 || pos == 0) {
		if (err)
			snprintf(err, errlen, "not \"usage selector type hex\" (like \"3 1 1 "
			    "ab12...\")");
		return 0;
	}
	if (f[0] > 3 || f[1] > 1 || f[2] > 2) {
		if (err)
			snprintf(err, errlen, "usage 0 to 3, selector 0 or 1, type 0 to 2");
		return 0;
	}
	out[0] = (unsigned char)f[0];
	out[1] = (unsigned char)f[1];
	out[2] = (unsigned char)f[2];
	for (p = rec + pos; *p; p++) {
		if (*p == ' ' || *p == ':')
			continue;
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
			v = (*p | 0x20) - 'a' + 10;
		else {
			if (err)
				snprintf(err, errlen, "'%c' is not a hex digit", *p);
			return 0;
		}
		if (hi < 0)
			hi = v;
		else {
			if (n == outlen) {
				if (err)
					snprintf(err, errlen, "the data is too long");
				return 0;
			}
			out[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0 || n == 3 || (f[2] == 1 && n != 3 + 32) || (f[2] == 2 && n != 3 + 64)) {
		if (err)
			snprintf(err, errlen, "%s", hi >= 0 ? "an odd number of hex digits" :
			    n == 3 ? "no data" : f[2] == 1 ? "a SHA-256 digest is 32 bytes (64 hex "
			    "digits)" : "a SHA-512 digest is 64 bytes (128 hex digits)");
		return 0;
	}
	return n;
}

int
tls_tlsa_check(const char *rec, char *err, size_t errlen)
{
	unsigned char	 b[1027];

	return tlsa_parse(rec, b, sizeof(b), err, errlen) ? 0 : -1;
}

/* gnutls-dane (it brings libunbound and libevent), loaded when TLSA
 * records are checked (tls/lazy.h) */
#define DANE_SONAME	"libgnutls-dane.so.0"
static const char *const dane_names[] = {
	"dane_state_init",
	"dane_state_deinit",
	"dane_raw_tlsa",
	"dane_query_deinit",
	"dane_verify_crt_raw",
	"dane_verification_status_print",
};
static void	*dane_lib;
static union {
	void	*p[6];
	struct {
		int (*state_init)(dane_state_t *, unsigned int);
		void (*state_deinit)(dane_state_t);
		int (*raw_tlsa)(dane_state_t, dane_query_t *, char *const *, const int *, int, int);
		void (*query_deinit)(dane_query_t);
		int (*verify_crt_raw)(dane_state_t, const gnutls_datum_t *, unsigned, gnutls_certificate_type_t, dane_query_t, unsigned int, unsigned int, unsigned int *);
		int (*verification_status_print)(unsigned int, gnutls_datum_t *, unsigned int);
	};
} df;
LAZY_FNS(dane_names, df);

/* dane_check - each TLSA record on its own, so the report names the one
 * that matched and the depth it matched at */
static void
dane_check(struct tls_report *r, const gnutls_datum_t *peers, unsigned n,
    const struct tls_report_opts *o)
{
	dane_state_t	 st;
	size_t		 i, matched = 0, o2 = 0;
	char		 why[300] = "";

	r->dane_usage = -1;

	if (o->ntlsa == 0) {
		check(&r->dane, TLS_NA, "no TLSA records given (--tlsa)");
		return;
	}
	if (lazy_load(&dane_lib, DANE_SONAME, dane_names, df.p, sizeof(dane_names) /
	    sizeof(dane_names[0]), why, sizeof(why)) == -1) {
		check(&r->dane, TLS_FAIL, "%s", why);
		return;
	}
	why[0] = '\0';
	if (df.state_init(&st, DANE_F_IGNORE_LOCAL_RESOLVER | DANE_F_IGNORE_DNSSEC) < 0) {
		check(&r->dane, TLS_FAIL, "DANE library could not start");
		return;
	}
	for (i = 0; i < o->ntlsa; i++) {
		unsigned	 u, s, m, status = 0;
		char		 *rd[2];
		unsigned char	 data[1027];
		int		 rl[2], ret;
		size_t		 dl;
		dane_query_t	 q = NULL;

		if ((dl = tlsa_parse(o->tlsa[i], data, sizeof(data), NULL, 0)) == 0) {
			o2 += (size_t)snprintf(why + o2, sizeof(why) - o2,
			    "%srecord %zu is not \"usage selector type hex\"", o2 ? "; " : "", i + 1);
			continue;
		}
		u = data[0];
		s = data[1];
		m = data[2];
		rd[0] = (char *)data;
		rd[1] = NULL;
		rl[0] = (int)dl;
		rl[1] = 0;
		if (df.raw_tlsa(st, &q, rd, rl, 1, 0) < 0) {
			o2 += (size_t)snprintf(why + o2, sizeof(why) - o2,
			    "%srecord %zu unusable", o2 ? "; " : "", i + 1);
			continue;
		}
		ret = df.verify_crt_raw(st, peers, n, GNUTLS_CRT_X509, q, 0, 0, &status);
		df.query_deinit(q);
		if (ret >= 0 && status == 0) {
			/* Prefer DANE-EE, then DANE-TA (RFC 7672 usages). */
			if (r->dane_usage != 3 && (u == 3 || (u == 2 && r->dane_usage != 2) ||
			    r->dane_usage < 0))
				r->dane_usage = (int)u;
			if (!matched)
				o2 = (size_t)snprintf(why, sizeof(why),
				    "record %zu (%u %u %u) matches the certificate at depth %u",
				    i + 1, u, s, m, (u == 0 || u == 2) ? 1 : 0);
			matched++;
		} else if (!matched) {
			gnutls_datum_t t;
			const char *w = "could not be checked";
			if (ret >= 0 && df.verification_status_print(status, &t, 0) >= 0) {
				o2 += (size_t)snprintf(why + o2, sizeof(why) - o2,
				    "%srecord %zu: %s", o2 ? "; " : "", i + 1, (char *)t.data);
				gnutls_free(t.data);
			} else {
				if (u == 0 || u == 2)
					w = "needs the issuer certificate, which the server did not send";
				o2 += (size_t)snprintf(why + o2, sizeof(why) - o2,
				    "%srecord %zu %s", o2 ? "; " : "", i + 1, w);
			}
		}
		if (o2 >= sizeof(why))
			o2 = sizeof(why) - 1;
	}
	df.state_deinit(st);
	if (matched)
		check(&r->dane, TLS_PASS, "%s (records from %s)", why, o->tlsa_dnssec ?
		    "DNSSEC-secure DNS" : "the command line, not from DNSSEC");
	else
		check(&r->dane, TLS_FAIL, "no TLSA record matches: %s", why);
}

/*
 * strength - keys and signatures against GnuTLS's MEDIUM profile (112-bit
 * security), by GnuTLS's own judgement of each: a key whose security
 * parameter is under MEDIUM (RSA or DSA under 2048 bits, EC under 224), a
 * signature GnuTLS does not hold secure for certificates (MD5, SHA-1)
 * below a self-signed root.  pstatus: the profile verification's status
 * (0 when it could not run), for what the chain's own certificates do not
 * show (a weak trust anchor).
 */
static void
strength(struct tls_report *r, gnutls_x509_crt_t *crts, size_t n, unsigned pstatus)
{
	char	 w[sizeof(r->strength.why)];
	size_t	 i, l = 0;

	w[0] = '\0';
	for (i = 0; i < n && l + 80 < sizeof(w); i++) {
		unsigned bits = 0;
		int	 pk = gnutls_x509_crt_get_pk_algorithm(crts[i], &bits);
		int	 sig = gnutls_x509_crt_get_signature_algorithm(crts[i]);

		if (pk >= 0 && bits > 0 && gnutls_pk_bits_to_sec_param((gnutls_pk_algorithm_t)pk,
		    bits) < GNUTLS_SEC_PARAM_MEDIUM)
			l += (size_t)snprintf(w + l, sizeof(w) - l, "%scertificate %zu has a %u-bit %s "
			    "key", l ? "; " : "", i, bits,
			    gnutls_pk_get_name((gnutls_pk_algorithm_t)pk));
		if (sig >= 0 && !gnutls_x509_crt_check_issuer(crts[i], crts[i]) &&
		    !gnutls_sign_is_secure2((gnutls_sign_algorithm_t)sig,
		    GNUTLS_SIGN_FLAG_SECURE_FOR_CERTS))
			l += (size_t)snprintf(w + l, sizeof(w) - l, "%scertificate %zu is signed with "
			    "%s", l ? "; " : "", i, gnutls_sign_get_name((gnutls_sign_algorithm_t)sig));
	}
	if (w[0])
		check(&r->strength, TLS_FAIL, "%s (under GnuTLS's MEDIUM profile)", w);
	else if (pstatus & GNUTLS_CERT_INSECURE_ALGORITHM)
		check(&r->strength, TLS_FAIL, "the chain fails GnuTLS's MEDIUM profile (its trust "
		    "anchor's key or signature is weak)");
	else
		check(&r->strength, TLS_PASS, "keys and signatures meet GnuTLS's MEDIUM profile "
		    "(112-bit security)");
}

int
tls_report_fill(struct xport *x, const struct tls_report_opts *o, struct tls_report *r,
    char *err, size_t errlen)
{
	struct tls_xp		*t = x->priv;
	gnutls_session_t	 s;
	const gnutls_datum_t	*peers;
	unsigned		 n = 0, i, status = 0, pstatus = 0;
	gnutls_x509_crt_t	 crts[TLS_CHAIN_MAX];
	gnutls_datum_t		 alpn, ocsp;
	const char		*g;
	time_t			 now = time(NULL);
	int			 ret;

	memset(r, 0, sizeof(*r));
	if (t == NULL || !t->done) {
		snprintf(err, errlen, "no TLS session");
		return -1;
	}
	s = t->s;
	snprintf(r->protocol, sizeof(r->protocol), "%s",
	    gnutls_protocol_get_name(gnutls_protocol_get_version(s)));
	snprintf(r->cipher, sizeof(r->cipher), "%s", gnutls_cipher_get_name(gnutls_cipher_get(s)));
	g = gnutls_group_get_name(gnutls_group_get(s));
	snprintf(r->group, sizeof(r->group), "%s", g ? g : gnutls_kx_get_name(gnutls_kx_get(s)));
	g = gnutls_sign_get_name(gnutls_sign_algorithm_get(s));
	snprintf(r->sigalg, sizeof(r->sigalg), "%s", g ? g : "");
	snprintf(r->mac, sizeof(r->mac), "%s", gnutls_mac_get_name(gnutls_mac_get(s)));
	r->resumed = gnutls_session_is_resumed(s) != 0;
	if (gnutls_alpn_get_selected_protocol(s, &alpn) >= 0)
		snprintf(r->alpn, sizeof(r->alpn), "%.*s", (int)alpn.size, alpn.data);
	if (t->ctx->server)
		tls_peer_sni(x, r->sni, sizeof(r->sni));
	else
		snprintf(r->sni, sizeof(r->sni), "%s", o->sni ? o->sni : "");
	r->handshake_ms = o->handshake_ms;
	snprintf(r->trust_desc, sizeof(r->trust_desc), "%s", t->ctx->trust_desc);
	snprintf(r->verify_name, sizeof(r->verify_name), "%s", o->verify_name ? o->verify_name : "");

	peers = gnutls_certificate_get_peers(s, &n);
	if (peers == NULL || n == 0) {
		check(&r->trust, TLS_FAIL, "the peer sent no certificate");
		check(&r->name, TLS_NA, "no certificate");
		check(&r->validity, TLS_NA, "no certificate");
		check(&r->strength, TLS_NA, "no certificate");
		check(&r->ocsp, TLS_NA, "no certificate");
		check(&r->dane, TLS_NA, "no certificate");
		return 0;
	}
	r->ncerts = n > TLS_CHAIN_MAX ? TLS_CHAIN_MAX : n;
	for (i = 0; i < r->ncerts; i++) {
		gnutls_x509_crt_init(&crts[i]);
		if (gnutls_x509_crt_import(crts[i], &peers[i], GNUTLS_X509_FMT_DER) < 0) {
			snprintf(r->certs[i].subject, sizeof(r->certs[i].subject), "(unparsable)");
			continue;
		}
		cert_info(crts[i], &peers[i], &r->certs[i]);
	}
	r->order_ok = 1;
	for (i = 0; i + 1 < r->ncerts; i++)
		if (!gnutls_x509_crt_check_issuer(crts[i], crts[i + 1])) {
			r->order_ok = 0;
			snprintf(r->order_why, sizeof(r->order_why),
			    "certificate %u was not issued by certificate %u", i, i + 1);
			break;
		}
	if (r->order_ok)
		snprintf(r->order_why, sizeof(r->order_why), r->ncerts > 1 ?
		    "each certificate is issued by the next" : "a single certificate");

	/* Trust, without the name; time problems and weak algorithms are
	 * their own verdicts. */
	if (t->ctx->server) {
		/* A client certificate: the sink only reports it. */
		ret = gnutls_certificate_verify_peers3(s, NULL, &status);
		pstatus = status;
	} else
		ret = tls_trust_verify(t->ctx, crts, (unsigned)r->ncerts, &status, &pstatus,
		    r->trust_desc, sizeof(r->trust_desc));
	strength(r, crts, r->ncerts, ret < 0 ? 0 : pstatus);
	if (ret < 0)
		check(&r->trust, TLS_FAIL, "verification could not run: %s", gnutls_strerror(ret));
	else if ((status & ~TIME_BITS & ~GNUTLS_CERT_INVALID) == 0)
		check(&r->trust, TLS_PASS, "chains to a CA in %s", r->trust_desc);
	else {
		char w[256];
		status_words(status & ~TIME_BITS, GNUTLS_CRT_X509, w, sizeof(w));
		check(&r->trust, TLS_FAIL, "%s; trusted CAs: %s", w, r->trust_desc);
	}
	/* Host name (DNS name or IP literal, against the leaf). */
	if (o->verify_name == NULL || *o->verify_name == '\0')
		check(&r->name, TLS_NA, "no name to check");
	else if (gnutls_x509_crt_check_hostname2(crts[0], o->verify_name, 0))
		check(&r->name, TLS_PASS, "%s matches the certificate%s", o->verify_name,
		    is_ip(o->verify_name) ? " (IP SAN)" : "");
	else
		check(&r->name, TLS_FAIL, "%s is not in the certificate (%s%s%s)", o->verify_name,
		    r->certs[0].san[0] ? "SAN " : "subject ",
		    r->certs[0].san[0] ? r->certs[0].san : r->certs[0].subject, "");
	/* Validity of every certificate presented. */
	{
		size_t bad = (size_t)-1;
		for (i = 0; i < r->ncerts; i++)
			if (r->certs[i].not_after < now || r->certs[i].not_before > now) {
				bad = i;
				break;
			}
		if (bad != (size_t)-1) {
			char d[64];
			struct tm tm;
			int exp = r->certs[bad].not_after < now;
			time_t when = exp ? r->certs[bad].not_after : r->certs[bad].not_before;
			gmtime_r(&when, &tm);
			strftime(d, sizeof(d), "%Y-%m-%d %H:%M UTC", &tm);
			long nd = (long)((exp ? now - when : when - now) / 86400);
			check(&r->validity, TLS_FAIL, "certificate %zu %s %s (%ld day%s %s)", bad,
			    exp ? "expired on" : "is not valid before", d, nd, nd == 1 ? "" : "s",
			    exp ? "ago" : "from now");
		} else
			check(&r->validity, TLS_PASS, "valid now; the leaf expires in %ld day%s",
			    (long)((r->certs[0].not_after - now) / 86400),
			    (r->certs[0].not_after - now) / 86400 == 1 ? "" : "s");
	}
	/* OCSP staple (read after verification, which checks it). */
	if (gnutls_ocsp_status_request_get(s, &ocsp) < 0)
		check(&r->ocsp, TLS_NA, "no stapled OCSP response");
	else {
		gnutls_ocsp_resp_t resp;
		unsigned cs = GNUTLS_OCSP_CERT_UNKNOWN;
		time_t tu, nu, rt;
		int reason;
		if (gnutls_ocsp_resp_init(&resp) >= 0 && gnutls_ocsp_resp_import(resp, &ocsp) >= 0 &&
		    gnutls_ocsp_resp_get_single(resp, 0, NULL, NULL, NULL, NULL, &cs, &tu, &nu, &rt,
		    (unsigned *)&reason) >= 0) {
			unsigned vs = 0;
			char when[40] = "", upd[40] = "";
			int signed_ok = r->ncerts > 1 &&
			    gnutls_ocsp_resp_verify_direct(resp, crts[1], &vs, 0) >= 0 && vs == 0;
			if (cs == GNUTLS_OCSP_CERT_REVOKED) {
				struct tm tm;
				gmtime_r(&rt, &tm);
				strftime(when, sizeof(when), " on %Y-%m-%d", &tm);
			}
			if (nu != (time_t)-1 && nu < now) {
				struct tm tm;
				gmtime_r(&nu, &tm);
				strftime(upd, sizeof(upd), "%Y-%m-%d", &tm);
			}
			if (gnutls_ocsp_resp_check_crt(resp, 0, crts[0]) < 0)
				check(&r->ocsp, TLS_FAIL, "stapled response is for another certificate");
			else if (r->ncerts > 1 && !signed_ok)
				check(&r->ocsp, TLS_FAIL, "stapled response is not signed by the "
				    "certificate's issuer");
			else if (cs == GNUTLS_OCSP_CERT_REVOKED)
				check(&r->ocsp, TLS_FAIL, "stapled response: the certificate is "
				    "REVOKED%s", when);
			else if (upd[0])
				check(&r->ocsp, TLS_FAIL, "stapled response is stale: next update was "
				    "due %s", upd);
			else if (cs == GNUTLS_OCSP_CERT_GOOD)
				check(&r->ocsp, TLS_PASS, "stapled response: good%s", signed_ok ?
				    ", signed by the issuer" : " (issuer not sent: signature unchecked)");
			else
				check(&r->ocsp, TLS_FAIL, "stapled response: status unknown");
		} else
			check(&r->ocsp, TLS_FAIL, "stapled response cannot be parsed");
		gnutls_ocsp_resp_deinit(resp);
	}
	r->pkix_trust = r->trust;
	r->pkix_name = r->name;
	r->pkix_validity = r->validity;
	dane_check(r, peers, n, o);
	/*
	 * RFC 7672 3.1: a DANE-EE match authenticates the key itself (no
	 * PKIX trust, name or expiry checks); a DANE-TA match replaces the
	 * PKIX trust anchor but the name still matters.
	 */
	if (r->dane.v == TLS_PASS && r->dane_usage == 3) {
		if (r->trust.v == TLS_FAIL)
			check(&r->trust, TLS_PASS, "authenticated by a DANE-EE record; PKIX trust is "
			    "not required (RFC 7672 3.1.1)");
		if (r->name.v == TLS_FAIL)
			check(&r->name, TLS_NA, "not checked for DANE-EE (RFC 7672 3.1.1)");
		if (r->validity.v == TLS_FAIL) {
			char w[300];
			snprintf(w, sizeof(w), "%.200s: ignored for DANE-EE (RFC 7672 3.1.1)",
			    r->validity.why);
			check(&r->validity, TLS_NA, "%s", w);
		}
	} else if (r->dane.v == TLS_PASS && r->dane_usage == 2 && r->trust.v == TLS_FAIL)
		check(&r->trust, TLS_PASS, "the chain leads to a DANE-TA record's certificate "
		    "(RFC 7672 3.1.2)");
	for (i = 0; i < r->ncerts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return 0;
}

int
tls_report_failed(const struct tls_report *r)
{
	return (r->trust.v == TLS_FAIL) + (r->name.v == TLS_FAIL) +
	    (r->validity.v == TLS_FAIL) + (r->strength.v == TLS_FAIL) +
	    (r->ocsp.v == TLS_FAIL) + (r->dane.v == TLS_FAIL);
}

static void
date(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

void
tls_report_text(const struct tls_report *r, int color, struct buf *b)
{
	const char *bold = color ? "\033[1m" : "", *rst = color ? "\033[0m" : "";
	const char *red = color ? "\033[1;31m" : "", *grn = color ? "\033[32m" : "";
	const char *dim = color ? "\033[2m" : "";
	const struct { const char *name; const struct tls_check *c; } v[] = {
		{ "trust", &r->trust }, { "hostname", &r->name }, { "validity", &r->validity },
		{ "strength", &r->strength }, { "OCSP", &r->ocsp }, { "DANE", &r->dane },
	};
	char	 a[64], z[64];
	size_t	 i;
	time_t	 now = time(NULL);

	buf_printf(b, "%sTLS session%s\n", bold, rst);
	buf_printf(b, "  protocol     %s\n  cipher       %s%s%s\n", r->protocol, r->cipher,
	    strcmp(r->mac, "AEAD") ? " with " : "", strcmp(r->mac, "AEAD") ? r->mac : "");
	buf_printf(b, "  key exchange %s\n  signature    %s\n", r->group,
	    r->sigalg[0] ? r->sigalg : "-");
	buf_printf(b, "  resumed      %s\n  ALPN         %s\n", r->resumed ? "yes" : "no",
	    r->alpn[0] ? r->alpn : "none");
	buf_printf(b, "  SNI          %s\n", r->sni[0] ? r->sni : "none sent");
	if (r->handshake_ms > 0)
		buf_printf(b, "  handshake    %.1f ms\n", r->handshake_ms);
	buf_printf(b, "%sCertificate chain%s (%zu certificate%s; order: %s%s%s)\n", bold, rst,
	    r->ncerts, r->ncerts == 1 ? "" : "s", r->order_ok ? "" : red, r->order_why, rst);
	for (i = 0; i < r->ncerts; i++) {
		const struct tls_cert_info *c = &r->certs[i];
		date(c->not_before, a, sizeof(a));
		date(c->not_after, z, sizeof(z));
		buf_printf(b, "  [%zu] subject  %s%s%s\n", i, bold, c->subject, rst);
		buf_printf(b, "      issuer   %s\n", c->issuer);
		if (c->san[0])
			buf_printf(b, "      SAN      %s\n", c->san);
		buf_printf(b, "      serial   %s\n", c->serial);
		{
			long d = (long)((c->not_after - now) / 86400);
			if (c->not_after < now)
				buf_printf(b, "      valid    %s .. %s (EXPIRED %ld day%s ago)\n", a, z,
				    -d, -d == 1 ? "" : "s");
			else
				buf_printf(b, "      valid    %s .. %s (%ld day%s left)\n", a, z, d,
				    d == 1 ? "" : "s");
		}
		buf_printf(b, "      key      %s%s\n", c->key, c->is_ca ? ", CA" : "");
		buf_printf(b, "      sig alg  %s\n", c->sigalg);
		buf_printf(b, "      SHA-256  %s%s%s\n", dim, c->sha256, rst);
		buf_printf(b, "      pin      pin-sha256=\"%s\"\n", c->pin);
	}
	buf_printf(b, "%sVerdicts%s%s%s%s\n", bold, rst, r->verify_name[0] ? " for " : "",
	    r->verify_name, "");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		buf_printf(b, "  %-9s %s%-4s%s %s\n", v[i].name,
		    v[i].c->v == TLS_FAIL ? red : v[i].c->v == TLS_PASS ? grn : dim,
		    tls_verdict_name(v[i].c->v), rst, v[i].c->why);
}

static void
jstr(struct buf *b, const char *k, const char *v, int comma)
{
	size_t	 i;

	buf_printf(b, "%s\"%s\":\"", comma ? "," : "", k);
	for (i = 0; v[i]; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			buf_printf(b, "\\u%04x", c);
		else
			buf_append(b, &v[i], 1);
	}
	buf_append(b, "\"", 1);
}

void
tls_report_json(const struct tls_report *r, struct buf *b)
{
	const struct { const char *name; const struct tls_check *c; } v[] = {
		{ "trust", &r->trust }, { "hostname", &r->name }, { "validity", &r->validity },
		{ "strength", &r->strength }, { "ocsp", &r->ocsp }, { "dane", &r->dane },
	};
	size_t	 i;

	buf_printf(b, ",\"session\":{");
	jstr(b, "protocol", r->protocol, 0);
	jstr(b, "cipher", r->cipher, 1);
	jstr(b, "group", r->group, 1);
	jstr(b, "signature", r->sigalg, 1);
	buf_printf(b, ",\"resumed\":%s", r->resumed ? "true" : "false");
	jstr(b, "alpn", r->alpn, 1);
	jstr(b, "sni", r->sni, 1);
	buf_printf(b, ",\"handshake_ms\":%.3f}", r->handshake_ms);
	buf_printf(b, ",\"chain\":[");
	for (i = 0; i < r->ncerts; i++) {
		const struct tls_cert_info *c = &r->certs[i];
		buf_printf(b, "%s{", i ? "," : "");
		jstr(b, "subject", c->subject, 0);
		jstr(b, "issuer", c->issuer, 1);
		jstr(b, "san", c->san, 1);
		jstr(b, "serial", c->serial, 1);
		buf_printf(b, ",\"not_before\":%lld,\"not_after\":%lld",
		    (long long)c->not_before, (long long)c->not_after);
		jstr(b, "key", c->key, 1);
		jstr(b, "sigalg", c->sigalg, 1);
		jstr(b, "sha256", c->sha256, 1);
		jstr(b, "pin_sha256", c->pin, 1);
		buf_printf(b, ",\"ca\":%s}", c->is_ca ? "true" : "false");
	}
	buf_printf(b, "],\"chain_order_ok\":%s,\"verdicts\":{", r->order_ok ? "true" : "false");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_printf(b, "%s\"%s\":{\"result\":\"%s\"", i ? "," : "", v[i].name,
		    v[i].c->v == TLS_PASS ? "pass" : v[i].c->v == TLS_FAIL ? "fail" : "n/a");
		jstr(b, "why", v[i].c->why, 1);
		buf_printf(b, "}");
	}
	buf_printf(b, "}");
}

int
tls_peer_pem(struct xport *x, struct buf *b)
{
	struct tls_xp		*t = x->priv;
	const gnutls_datum_t	*peers;
	unsigned		 n = 0, i;
	gnutls_datum_t		 pem;

	if (t == NULL || (peers = gnutls_certificate_get_peers(t->s, &n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (gnutls_pem_base64_encode2("CERTIFICATE", &peers[i], &pem) < 0)
			return -1;
		buf_append(b, pem.data, pem.size);
		gnutls_free(pem.data);
	}
	return 0;
}
