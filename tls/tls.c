/*
 * tls - contexts and the GnuTLS transport.
 *
 * The transport runs GnuTLS non-blocking on the socket itself
 * (gnutls_transport_set_int): GNUTLS_E_AGAIN becomes errno EAGAIN and
 * want() says which direction to wait for.  A send that returned EAGAIN
 * is retried with the same length (GnuTLS holds the record and flushes
 * it), so callers may keep appending to their output buffer meanwhile.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "session/b64.h"
#include "tls/tls.h"
#include "tls/tls_int.h"

static void
set_err(char *err, size_t len, const char *what, int r)
{
	snprintf(err, len, "%s: %s", what, gnutls_strerror(r));
}

static int
global_init(void)
{
	static int done;

	if (!done) {
		if (gnutls_global_init() < 0)
			return -1;
		done = 1;
	}
	return 0;
}

int
tls_version_ok(const char *v)
{
	return v && (!strcmp(v, "1.0") || !strcmp(v, "1.1") || !strcmp(v, "1.2") ||
	    !strcmp(v, "1.3"));
}

static int	 priority_range(struct tls_ctx *, const char *, const char *, const char *,
		    char *, size_t);

/* priority_for - the priority string for cfg's priority and version range */
static int
priority_for(struct tls_ctx *c, const struct tls_client_cfg *cfg, char *err, size_t errlen)
{
	if (c->prio) {
		gnutls_priority_deinit(c->prio);
		c->prio = NULL;
	}
	return priority_range(c, cfg->priority, cfg->tls_min, cfg->tls_max, err, errlen);
}

int
tls_ctx_versions(struct tls_ctx *c, const char *min, const char *max, char *err, size_t errlen)
{
	gnutls_priority_t old = c->prio;

	c->prio = NULL;
	if (priority_range(c, NULL, min, max, err, errlen) == -1) {
		c->prio = old;
		return -1;
	}
	if (old)
		gnutls_priority_deinit(old);
	return 0;
}

/* priority_range - c->prio from a priority string and a version range */
static int
priority_range(struct tls_ctx *c, const char *priority, const char *tls_min, const char *tls_max,
    char *err, size_t errlen)
{
	static const char *const vers[] = { "1.0", "1.1", "1.2", "1.3" };
	char	 p[1024];
	size_t	 i, l;
	int	 lo = 0, hi = 3, r;
	const char *errpos = NULL;

	for (i = 0; i < 4; i++) {
		if (tls_min && strcmp(tls_min, vers[i]) == 0)
			lo = (int)i;
		if (tls_max && strcmp(tls_max, vers[i]) == 0)
			hi = (int)i;
	}
	if (lo > hi) {
		snprintf(err, errlen, "--tls-min %s is above --tls-max %s", vers[lo], vers[hi]);
		return -1;
	}
	l = (size_t)snprintf(p, sizeof(p), "%s", priority ? priority : "NORMAL");
	/* Versions outside the range are removed; inside it, added back. */
	for (i = 0; i < 4 && l < sizeof(p) - 32; i++)
		l += (size_t)snprintf(p + l, sizeof(p) - l, ":%cVERS-TLS%s",
		    ((int)i < lo || (int)i > hi) ? '-' : (tls_min || tls_max ? '+' : '-'),
		    vers[i]);
	if (!tls_min && !tls_max)
		snprintf(p, sizeof(p), "%s", priority ? priority : "NORMAL");
	if ((r = gnutls_priority_init(&c->prio, p, &errpos)) < 0) {
		snprintf(err, errlen, "TLS priority \"%s\": %s%s%s", p, gnutls_strerror(r),
		    errpos ? " at " : "", errpos ? errpos : "");
		return -1;
	}
	return 0;
}

/* ctx_new - an empty context with its credentials; NULL with err */
static struct tls_ctx *
ctx_new(int server, char *err, size_t errlen)
{
	struct tls_ctx	*c;

	if (global_init() == -1) {
		snprintf(err, errlen, "GnuTLS initialisation failed");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->server = server;
	if (gnutls_certificate_allocate_credentials(&c->cred) < 0) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return c;
}

struct tls_ctx *
tls_ctx_client(const struct tls_client_cfg *cfg, char *err, size_t errlen)
{
	struct tls_ctx	*c;
	int		 r;

	if ((c = ctx_new(0, err, errlen)) == NULL)
		return NULL;
	/*
	 * No trust anchors in the handshake: verification happens after it
	 * (report mode), against only the CAs the presented chain names;
	 * see tls_trust_verify().  A bad --ca-file is still an error now.
	 */
	if (cfg->ca_file) {
		gnutls_x509_trust_list_t tl;
		gnutls_x509_trust_list_init(&tl, 0);
		r = gnutls_x509_trust_list_add_trust_file(tl, cfg->ca_file, NULL,
		    GNUTLS_X509_FMT_PEM, 0, 0);
		gnutls_x509_trust_list_deinit(tl, 1);
		if (r <= 0) {
			snprintf(err, errlen, "--ca-file %s: %s", cfg->ca_file,
			    r == 0 ? "no certificate in it" : gnutls_strerror(r));
			goto fail;
		}
		c->ca_file = strdup(cfg->ca_file);
	}
	if (cfg->cert_file || cfg->key_file) {
		if (!cfg->cert_file || !cfg->key_file) {
			snprintf(err, errlen, "--cert and --key go together");
			goto fail;
		}
		r = gnutls_certificate_set_x509_key_file2(c->cred, cfg->cert_file, cfg->key_file,
		    GNUTLS_X509_FMT_PEM, NULL, 0);
		if (r < 0) {
			snprintf(err, errlen, "--cert %s / --key %s: %s", cfg->cert_file,
			    cfg->key_file, gnutls_strerror(r));
			goto fail;
		}
	}
	if (priority_for(c, cfg, err, errlen) == -1)
		goto fail;
	return c;
fail:
	tls_ctx_free(c);
	return NULL;
}

/* fingerprint - SHA-256 of a DER certificate as "AB:CD:..." */
static void
fingerprint(const gnutls_datum_t *der, char *out, size_t len)
{
	unsigned char	 d[32];
	size_t		 i, o = 0;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der->data, der->size, d) < 0) {
		snprintf(out, len, "?");
		return;
	}
	for (i = 0; i < 32 && o + 3 < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%02X", i ? ":" : "", d[i]);
}

static int
server_finish(struct tls_ctx *c, gnutls_x509_crt_t crt, char *err, size_t errlen)
{
	gnutls_datum_t	 der, pem;
	int		 r;

	if ((r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der)) < 0) {
		set_err(err, errlen, "exporting the certificate", r);
		return -1;
	}
	fingerprint(&der, c->fp, sizeof(c->fp));
	gnutls_free(der.data);
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) >= 0) {
		c->pem = malloc(pem.size + 1);
		if (c->pem) {
			memcpy(c->pem, pem.data, pem.size);
			c->pem[pem.size] = '\0';
		}
		gnutls_free(pem.data);
	}
	if ((r = gnutls_priority_init(&c->prio, "NORMAL", NULL)) < 0) {
		set_err(err, errlen, "TLS priority", r);
		return -1;
	}
	return 0;
}

struct tls_ctx *
tls_ctx_server_generate(const char *const *names, size_t n, long from_s, long until_s,
    char *err, size_t errlen)
{
	struct tls_ctx		*c;
	gnutls_x509_privkey_t	 key = NULL;
	gnutls_x509_crt_t	 crt = NULL;
	unsigned char		 serial[16], keyid[64], ip[16];
	size_t			 i, kl = sizeof(keyid);
	time_t			 now = time(NULL);
	int			 r;

	if ((c = ctx_new(1, err, errlen)) == NULL)
		return NULL;
	if ((r = gnutls_x509_privkey_init(&key)) < 0 ||
	    (r = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
	    (r = gnutls_x509_crt_init(&crt)) < 0) {
		set_err(err, errlen, "generating a key", r);
		goto fail;
	}
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	serial[0] &= 0x7f;
	gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	gnutls_x509_crt_set_activation_time(crt, now + from_s);
	gnutls_x509_crt_set_expiration_time(crt, now + until_s);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    n ? names[0] : "localhost", (unsigned)strlen(n ? names[0] : "localhost"));
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
	    "smtpdbg sink (generated at start-up)", 36);
	gnutls_x509_crt_set_key(crt, key);
	for (i = 0; i < n; i++) {
		if (inet_pton(AF_INET, names[i], ip) == 1)
			r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4,
			    GNUTLS_FSAN_APPEND);
		else if (inet_pton(AF_INET6, names[i], ip) == 1)
			r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16,
			    GNUTLS_FSAN_APPEND);
		else
			r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, names[i],
			    (unsigned)strlen(names[i]), GNUTLS_FSAN_APPEND);
		if (r < 0) {
			set_err(err, errlen, names[i], r);
			goto fail;
		}
	}
	gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
	gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
	gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
	if (gnutls_x509_privkey_get_key_id(key, 0, keyid, &kl) >= 0)
		gnutls_x509_crt_set_subject_key_id(crt, keyid, kl);
	if ((r = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0) {
		set_err(err, errlen, "signing the certificate", r);
		goto fail;
	}
	if ((r = gnutls_certificate_set_x509_key(c->cred, &crt, 1, key)) < 0) {
		set_err(err, errlen, "installing the certificate", r);
		goto fail;
	}
	if (server_finish(c, crt, err, errlen) == -1)
		goto fail;
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return c;
fail:
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	tls_ctx_free(c);
	return NULL;
}

struct tls_ctx *
tls_ctx_server_files(const char *cert, const char *key, char *err, size_t errlen)
{
	struct tls_ctx		*c;
	gnutls_x509_crt_t	*list = NULL;
	unsigned		 n = 0, i;
	int			 r;

	if ((c = ctx_new(1, err, errlen)) == NULL)
		return NULL;
	r = gnutls_certificate_set_x509_key_file2(c->cred, cert, key, GNUTLS_X509_FMT_PEM,
	    NULL, 0);
	if (r < 0) {
		snprintf(err, errlen, "%s / %s: %s", cert, key, gnutls_strerror(r));
		goto fail;
	}
	if ((r = gnutls_certificate_get_x509_crt(c->cred, 0, &list, &n)) < 0 || n == 0) {
		snprintf(err, errlen, "%s: %s", cert, r < 0 ? gnutls_strerror(r) : "empty");
		goto fail;
	}
	r = server_finish(c, list[0], err, errlen);
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	if (r == -1)
		goto fail;
	return c;
fail:
	tls_ctx_free(c);
	return NULL;
}

int
tls_ctx_staple(struct tls_ctx *c, const char *file, char *err, size_t errlen)
{
	int	 r;

	gnutls_certificate_set_flags(c->cred, GNUTLS_CERTIFICATE_SKIP_OCSP_RESPONSE_CHECK);
	if ((r = gnutls_certificate_set_ocsp_status_request_file(c->cred, file, 0)) < 0) {
		snprintf(err, errlen, "--ocsp-response %s: %s", file, gnutls_strerror(r));
		return -1;
	}
	return 0;
}

const char *
tls_ctx_fingerprint(const struct tls_ctx *c)
{
	return c->fp;
}

const char *
tls_ctx_pem(const struct tls_ctx *c)
{
	return c->pem;
}

void
tls_ctx_free(struct tls_ctx *c)
{
	if (c == NULL)
		return;
	if (c->cred)
		gnutls_certificate_free_credentials(c->cred);
	if (c->prio)
		gnutls_priority_deinit(c->prio);
	free(c->pem);
	free(c->ca_file);
	free(c);
}

/* The transport. */

static struct tls_xp *
txp(struct xport *x)
{
	return x->priv;
}

static int
tls_handshake_op(struct xport *x)
{
	struct tls_xp	*t = txp(x);
	int		 r;

	if (t->done)
		return 0;
	r = gnutls_handshake(t->s);
	if (r == GNUTLS_E_SUCCESS) {
		t->done = 1;
		return 0;
	}
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
		t->want = gnutls_record_get_direction(t->s) ? XPORT_WANT_WRITE : XPORT_WANT_READ;
		return 1;
	}
	if (r == GNUTLS_E_WARNING_ALERT_RECEIVED || r == GNUTLS_E_FATAL_ALERT_RECEIVED)
		snprintf(t->err, sizeof(t->err), "%s: %s", gnutls_strerror(r),
		    gnutls_alert_get_name(gnutls_alert_get(t->s)));
	else if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
		snprintf(t->err, sizeof(t->err), "%s", gnutls_strerror(r));
	else if (r == GNUTLS_E_UNEXPECTED_PACKET_LENGTH || r == GNUTLS_E_UNSUPPORTED_VERSION_PACKET ||
	    r == GNUTLS_E_UNEXPECTED_PACKET)
		snprintf(t->err, sizeof(t->err), "%s (the peer did not speak TLS?)",
		    gnutls_strerror(r));
	else
		snprintf(t->err, sizeof(t->err), "%s", gnutls_strerror(r));
	t->failed = 1;
	return -1;
}

static unsigned
tls_want(struct xport *x)
{
	return txp(x)->want;
}

static const char *
tls_error(struct xport *x)
{
	return txp(x)->err;
}

static ssize_t
tls_read(struct xport *x, void *p, size_t n)
{
	struct tls_xp	*t = txp(x);
	ssize_t		 r = gnutls_record_recv(t->s, p, n);

	if (r >= 0)
		return r;
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
		t->want = XPORT_WANT_READ;
		errno = EAGAIN;
		return -1;
	}
	if (r == GNUTLS_E_PREMATURE_TERMINATION) {
		/* The peer closed without close_notify: report, then EOF. */
		snprintf(t->err, sizeof(t->err), "the peer closed without a TLS close_notify");
		t->no_close_notify = 1;
		return 0;
	}
	snprintf(t->err, sizeof(t->err), "%s", gnutls_strerror((int)r));
	if (r == GNUTLS_E_WARNING_ALERT_RECEIVED && !gnutls_error_is_fatal((int)r)) {
		errno = EAGAIN;
		return -1;
	}
	errno = EIO;
	return -1;
}

static ssize_t
tls_write(struct xport *x, const void *p, size_t n)
{
	struct tls_xp	*t = txp(x);
	ssize_t		 r;

	/* After EAGAIN, GnuTLS wants the same length again. */
	if (t->send_pending)
		n = t->send_pending;
	if (n > 16384)
		n = 16384;
	r = gnutls_record_send(t->s, p, n);
	if (r >= 0) {
		t->send_pending = 0;
		return r;
	}
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
		t->send_pending = n;
		t->want = XPORT_WANT_WRITE;
		errno = EAGAIN;
		return -1;
	}
	snprintf(t->err, sizeof(t->err), "%s", gnutls_strerror((int)r));
	errno = EIO;
	return -1;
}

static size_t
tls_pending(struct xport *x)
{
	return gnutls_record_check_pending(txp(x)->s);
}

static int
tls_shutdown(struct xport *x)
{
	struct tls_xp *t = txp(x);

	if (t->done && !t->failed)
		gnutls_bye(t->s, GNUTLS_SHUT_WR);	/* best effort, never waits */
	return shutdown(x->fd, SHUT_WR);
}

static void
tls_free(struct xport *x)
{
	struct tls_xp *t = txp(x);

	if (t->done && !t->failed && !t->no_close_notify)
		gnutls_bye(t->s, GNUTLS_SHUT_WR);
	gnutls_deinit(t->s);
	free(t->sni);
	free(t);
	close(x->fd);
	free(x);
}

static const struct xport_ops tls_ops = {
	"tls", tls_handshake_op, tls_want, tls_error, tls_read, tls_write, tls_pending,
	tls_shutdown, tls_free,
};

static struct xport *
xport_tls(int fd, struct tls_ctx *c, int server, const char *sni, char *err, size_t errlen)
{
	struct xport	*x = calloc(1, sizeof(*x));
	struct tls_xp	*t = calloc(1, sizeof(*t));
	int		 r;

	if (x == NULL || t == NULL) {
		free(x);
		free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r = gnutls_init(&t->s, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL);
	if (r < 0) {
		set_err(err, errlen, "gnutls_init", r);
		free(x);
		free(t);
		return NULL;
	}
	gnutls_priority_set(t->s, c->prio);
	gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE, c->cred);
	if (server)
		gnutls_certificate_server_set_request(t->s, GNUTLS_CERT_REQUEST);
	else if (sni && *sni) {
		gnutls_server_name_set(t->s, GNUTLS_NAME_DNS, sni, strlen(sni));
		t->sni = strdup(sni);
	}
	gnutls_handshake_set_timeout(t->s, 0);	/* the loop's timers bound it */
	gnutls_transport_set_int(t->s, fd);
	t->ctx = c;
	t->want = server ? XPORT_WANT_READ : XPORT_WANT_WRITE;
	x->ops = &tls_ops;
	x->fd = fd;
	x->priv = t;
	return x;
}

struct xport *
xport_tls_client(int fd, struct tls_ctx *c, const char *sni, char *err, size_t errlen)
{
	return xport_tls(fd, c, 0, sni, err, errlen);
}

struct xport *
xport_tls_server(int fd, struct tls_ctx *c, char *err, size_t errlen)
{
	return xport_tls(fd, c, 1, NULL, err, errlen);
}

void
tls_session_desc(struct xport *x, char *out, size_t len)
{
	struct tls_xp	*t = txp(x);
	const char	*grp = gnutls_group_get_name(gnutls_group_get(t->s));
	const char	*sig = gnutls_sign_get_name(gnutls_sign_algorithm_get(t->s));

	snprintf(out, len, "%s %s (%s%s%s)",
	    gnutls_protocol_get_name(gnutls_protocol_get_version(t->s)),
	    gnutls_cipher_get_name(gnutls_cipher_get(t->s)),
	    grp ? grp : gnutls_kx_get_name(gnutls_kx_get(t->s)), sig ? ", " : "", sig ? sig : "");
}

int
tls_channel_binding(struct xport *x, unsigned char *out, size_t len)
{
	struct tls_xp	*t = txp(x);
	gnutls_datum_t	 cb;
	int		 n;

	/* RFC 9266: defined for TLS 1.3 (and 1.2 with extended master secret) */
	if (gnutls_session_channel_binding(t->s, GNUTLS_CB_TLS_EXPORTER, &cb) < 0)
		return -1;
	n = cb.size <= len ? (int)cb.size : -1;
	if (n > 0)
		memcpy(out, cb.data, cb.size);
	gnutls_free(cb.data);
	return n;
}

void
tls_peer_sni(struct xport *x, char *out, size_t len)
{
	struct tls_xp	*t = txp(x);
	char		 name[256];
	size_t		 nl = sizeof(name), i, o = 0;
	unsigned	 type;

	out[0] = '\0';
	if (gnutls_server_name_get(t->s, name, &nl, &type, 0) < 0 || type != GNUTLS_NAME_DNS)
		return;
	/* Untrusted bytes (Exim CVE-2019-15846): printable only. */
	for (i = 0; i < nl && name[i] && o + 5 < len; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch > 0x20 && ch < 0x7f)
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02X", ch);
	}
	out[o] = '\0';
}

int
tls_peer_cert_subject(struct xport *x, char *out, size_t len)
{
	struct tls_xp		*t = txp(x);
	const gnutls_datum_t	*der;
	unsigned		 n = 0;
	gnutls_x509_crt_t	 crt;
	gnutls_datum_t		 dn;

	der = gnutls_certificate_get_peers(t->s, &n);
	if (der == NULL || n == 0)
		return -1;
	if (gnutls_x509_crt_init(&crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(crt, &der[0], GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0) {
		gnutls_x509_crt_deinit(crt);
		return -1;
	}
	snprintf(out, len, "%.*s", (int)dn.size, dn.data);
	gnutls_free(dn.data);
	gnutls_x509_crt_deinit(crt);
	return 0;
}

/* The system CA bundle, as Debian's ca-certificates writes it. */
#define SYSTEM_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"

/*
 * The bundle's certificates, decoded once per process (a load run checks
 * one chain per session): their DER one after another, and where each is.
 */
static struct {
	char		 path[4096];
	unsigned char	*der;
	struct { size_t off, len; } *crt;
	int		 n;		/* -1: the file cannot be read */
} cas;
static pthread_mutex_t cas_mu = PTHREAD_MUTEX_INITIALIZER;

/* bundle_load - decode path's certificates unless they are already */
static void
bundle_load(const char *path)
{
	gnutls_datum_t	 f;
	char		*p, *e, *end;
	size_t		 used = 0;
	int		 max = 0;

	if (cas.path[0] && strcmp(cas.path, path) == 0)
		return;
	free(cas.der);
	free(cas.crt);
	memset(&cas, 0, sizeof(cas));
	snprintf(cas.path, sizeof(cas.path), "%s", path);
	cas.n = -1;
	if (gnutls_load_file(path, &f) < 0)
		return;
	if ((cas.der = malloc(f.size + 1)) == NULL) {
		gnutls_free(f.data);
		return;
	}
	cas.n = 0;
	end = (char *)f.data + f.size;
	for (p = (char *)f.data; (p = memmem(p, (size_t)(end - p), "-----BEGIN CERTIFICATE-----",
	    27)) != NULL; p = e) {
		char	*b, b64[16384];
		size_t	 bl = 0;
		long	 dl;
		p += 27;
		if ((e = memmem(p, (size_t)(end - p), "-----END CERTIFICATE-----", 25)) == NULL)
			break;
		for (b = p; b < e && bl < sizeof(b64); b++)
			if (*b != '\n' && *b != '\r' && *b != ' ')
				b64[bl++] = *b;
		dl = b64_decode(b64, bl, cas.der + used, f.size - used);
		if (cas.n == max) {
			void *c = realloc(cas.crt, (size_t)(max = max ? max * 2 : 256) *
			    sizeof(*cas.crt));
			if (c == NULL)
				break;
			cas.crt = c;
		}
		cas.crt[cas.n].off = used;
		cas.crt[cas.n++].len = dl > 0 ? (size_t)dl : 0;
		used += dl > 0 ? (size_t)dl : 0;
	}
	gnutls_free(f.data);
}

/*
 * add_named_cas - from a PEM bundle, load only the CAs whose DER holds
 * one of the issuer names of the chain: parsing all 144 system CAs costs
 * ~17 ms, looking for a name in their DER (decoded once) well under one.
 * Returns how many were considered (-1: the file cannot be read).
 */
static int
add_named_cas(gnutls_x509_trust_list_t tl, const char *path, const gnutls_x509_crt_t *chain,
    unsigned n, int *added)
{
	gnutls_datum_t	 names[16], d;
	unsigned	 i, nn = 0;
	int		 k, total;

	*added = 0;
	pthread_mutex_lock(&cas_mu);
	bundle_load(path);
	if ((total = cas.n) < 0) {
		pthread_mutex_unlock(&cas_mu);
		return -1;
	}
	for (i = 0; i < n && nn < 16; i++)
		if (gnutls_x509_crt_get_raw_issuer_dn(chain[i], &names[nn]) >= 0)
			nn++;
	for (k = 0; k < cas.n; k++) {
		const unsigned char *der = cas.der + cas.crt[k].off;
		size_t	 dl = cas.crt[k].len;
		if (dl == 0)
			continue;
		for (i = 0; i < nn; i++)
			if (names[i].size && memmem(der, dl, names[i].data, names[i].size) != NULL)
				break;
		if (i == nn)
			continue;
		d.data = (unsigned char *)der;
		d.size = (unsigned)dl;
		if (gnutls_x509_trust_list_add_trust_mem(tl, &d, NULL, GNUTLS_X509_FMT_DER, 0, 0) > 0)
			(*added)++;
	}
	pthread_mutex_unlock(&cas_mu);
	for (i = 0; i < nn; i++)
		gnutls_free(names[i].data);
	return total;
}

int
tls_trust_verify(struct tls_ctx *c, const gnutls_x509_crt_t *chain, unsigned n,
    unsigned *status, unsigned *pstatus, char *desc, size_t dlen)
{
	gnutls_x509_trust_list_t tl;
	int		 r, added = 0, total;
	const char	*bundle = getenv("SSL_CERT_FILE");

	if (bundle == NULL || *bundle == '\0')
		bundle = SYSTEM_BUNDLE;
	*status = *pstatus = 0;
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		snprintf(desc, dlen, "no trust list");
		return -1;
	}
	if (c->ca_file) {
		r = gnutls_x509_trust_list_add_trust_file(tl, c->ca_file, NULL, GNUTLS_X509_FMT_PEM,
		    0, 0);
		snprintf(desc, dlen, "%s (%d CA%s)", c->ca_file, r, r == 1 ? "" : "s");
	} else if ((total = add_named_cas(tl, bundle, chain, n, &added)) >= 0)
		snprintf(desc, dlen, "the system store (%s: %d of %d CAs name an issuer of "
		    "this chain)", bundle, added, total);
	else {
		r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
		snprintf(desc, dlen, "the system store (%d CAs)", r < 0 ? 0 : r);
	}
	/* Whether it chains, also through weak signatures (judged below)... */
	r = gnutls_x509_trust_list_verify_crt2(tl, (gnutls_x509_crt_t *)chain, n, NULL, 0,
	    GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 | GNUTLS_VERIFY_ALLOW_SIGN_RSA_MD5, status, NULL);
	/* ... and whether it meets the MEDIUM profile (the strength verdict). */
	if (r >= 0 && gnutls_x509_trust_list_verify_crt2(tl, (gnutls_x509_crt_t *)chain, n,
	    NULL, 0, GNUTLS_PROFILE_TO_VFLAGS(GNUTLS_PROFILE_MEDIUM), pstatus, NULL) < 0)
		*pstatus = GNUTLS_CERT_INVALID;
	gnutls_x509_trust_list_deinit(tl, 1);
	return r;
}
