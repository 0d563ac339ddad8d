/*
 * sasl - see sasl.h.  Each side is a small state machine over the
 * decoded messages.  Secrets are wiped when a side is freed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/b64.h"
#include "session/sasl.h"
#include "session/xalloc.h"

#define SCRAM_ITER	4096
#define SCRAM_MAX_ITER	1000000	/* a server asking more is refused: CPU */

static const char *const mech_names[SASL_MECH_COUNT] = {
	"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER", "SCRAM-SHA-256",
	"SCRAM-SHA-256-PLUS",
};
_Static_assert(sizeof(mech_names) / sizeof(mech_names[0]) == SASL_MECH_COUNT, "mechs");

const char *
sasl_mech_name(enum sasl_mech m)
{
	if ((unsigned)m >= SASL_MECH_COUNT)
		fatalx("%s: bad mechanism %d", __func__, (int)m);
	return mech_names[m];
}

int
sasl_mech_parse(const char *s, size_t n, enum sasl_mech *m)
{
	int	 i;

	for (i = 0; i < SASL_MECH_COUNT; i++)
		if (strlen(mech_names[i]) == n && strncasecmp(s, mech_names[i], n) == 0) {
			*m = (enum sasl_mech)i;
			return 0;
		}
	return -1;
}

int
sasl_mech_crypto(enum sasl_mech m)
{
	return m == SASL_CRAM_MD5 || m == SASL_SCRAM_SHA256 || m == SASL_SCRAM_SHA256_PLUS;
}

/* cbind - the "c=" value: base64 of the gs2 header and, for -PLUS, the
 * channel binding data */
static char *
cbind(const char *gs2, const unsigned char *cb, size_t cblen)
{
	size_t		 gl = strlen(gs2);
	unsigned char	*in = xmalloc(gl + cblen + 1);
	char		*out = xmalloc(4 * ((gl + cblen + 2) / 3) + 1);

	memcpy(in, gs2, gl);
	if (cblen)
		memcpy(in + gl, cb, cblen);
	b64_encode(in, gl + cblen, out);
	free(in);
	return out;
}

/* shown - printable copy of n bytes into out ("\x01" style escapes) */
static void
shown(char *out, size_t len, const unsigned char *p, size_t n)
{
	size_t	 o = 0, i;

	for (i = 0; i < n && o + 5 < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02X", p[i]);
	}
	out[o] = '\0';
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t	 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

static void
wipe_str(char *s)
{
	if (s)
		wipe(s, strlen(s));
	free(s);
}

/* nonce - 24 random bytes as printable base64 (no ',') */
static void
nonce(const struct sasl_crypto *cr, char out[33])
{
	unsigned char r[24];

	cr->random(r, sizeof(r));
	b64_encode(r, sizeof(r), out);
}

/* saslname - RFC 5802: ',' and '=' escaped */
static void
saslname(struct buf *b, const char *u)
{
	for (; *u; u++) {
		if (*u == ',')
			buf_append(b, "=2C", 3);
		else if (*u == '=')
			buf_append(b, "=3D", 3);
		else
			buf_append(b, u, 1);
	}
}

/* attr - the value of "k=" in a SCRAM message (up to ','), or NULL */
static char *
attr(const char *msg, char k)
{
	const char *p = msg, *e;

	for (;;) {
		if (p[0] == k && p[1] == '=') {
			e = strchr(p + 2, ',');
			return xstrndup(p + 2, e ? (size_t)(e - p - 2) : strlen(p + 2));
		}
		if ((p = strchr(p, ',')) == NULL)
			return NULL;
		p++;
	}
}

/* scram_keys - SaltedPassword, then ClientKey, StoredKey and ServerKey */
static int
scram_keys(const struct sasl_crypto *cr, const char *pw, const unsigned char *salt, size_t sl,
    unsigned iter, unsigned char ck[32], unsigned char sk[32], unsigned char srvk[32])
{
	unsigned char salted[32];

	if (cr->pbkdf2(pw, strlen(pw), salt, sl, iter, salted) == -1)
		return -1;
	cr->hmac(1, salted, 32, "Client Key", 10, ck);
	cr->sha256(ck, 32, sk);
	cr->hmac(1, salted, 32, "Server Key", 10, srvk);
	wipe(salted, sizeof(salted));
	return 0;
}

/* ---- client ---- */

struct sasl_client {
	enum sasl_mech		 mech;
	char			*authzid, *user, *secret;
	const struct sasl_crypto *cr;
	int			 tls;
	int			 step;
	char			 shown[600];
	char			 err[300];
	char			 cnonce[33];
	char			*first_bare;	/* SCRAM client-first-message-bare */
	char			 gs2[32];	/* SCRAM gs2 header sent */
	unsigned char		 cb[64];	/* -PLUS: tls-exporter data */
	size_t			 cblen;
	unsigned char		 server_sig[32];
};

struct sasl_client *
sasl_client_new(enum sasl_mech m, const char *authzid, const char *user, const char *secret,
    const struct sasl_crypto *cr, int tls, const unsigned char *cb, size_t cblen)
{
	struct sasl_client *c = xcalloc(1, sizeof(*c));

	c->mech = m;
	c->authzid = xstrdup(authzid ? authzid : "");
	c->user = xstrdup(user ? user : "");
	c->secret = xstrdup(secret ? secret : "");
	c->cr = cr;
	c->tls = tls;
	if (cb && cblen <= sizeof(c->cb)) {
		memcpy(c->cb, cb, cblen);
		c->cblen = cblen;
	}
	if (sasl_mech_crypto(m) && cr == NULL)
		fatalx("%s: %s needs crypto", __func__, sasl_mech_name(m));
	return c;
}

void
sasl_client_free(struct sasl_client *c)
{
	if (c == NULL)
		return;
	wipe_str(c->authzid);
	wipe_str(c->user);
	wipe_str(c->secret);
	free(c->first_bare);
	wipe(c, sizeof(*c));
	free(c);
}

const char *
sasl_client_shown(const struct sasl_client *c)
{
	return c->shown;
}

const char *
sasl_client_error(const struct sasl_client *c)
{
	return c->err;
}

/* bearer - XOAUTH2 or OAUTHBEARER initial response */
static void
bearer(struct sasl_client *c, struct buf *out, int masked)
{
	const char *tok = masked ? "****" : c->secret;

	if (c->mech == SASL_XOAUTH2)
		buf_printf(out, "user=%s\001auth=Bearer %s\001\001", c->user, tok);
	else
		buf_printf(out, "n,a=%s,\001auth=Bearer %s\001\001", c->user, tok);
}

int
sasl_client_initial(struct sasl_client *c, struct buf *out)
{
	struct buf	 m;

	c->step = 1;
	switch (c->mech) {
	case SASL_PLAIN:
		buf_printf(out, "%s", c->authzid);
		buf_append(out, "", 1);
		buf_printf(out, "%s", c->user);
		buf_append(out, "", 1);
		buf_printf(out, "%s", c->secret);
		snprintf(c->shown, sizeof(c->shown), "%s<NUL>%s<NUL>****", c->authzid, c->user);
		return 1;
	case SASL_XOAUTH2:
	case SASL_OAUTHBEARER:
		bearer(c, out, 0);
		buf_init(&m, 4096);
		bearer(c, &m, 1);
		shown(c->shown, sizeof(c->shown), buf_ptr(&m), m.len);
		buf_free(&m);
		return 1;
	case SASL_SCRAM_SHA256:
	case SASL_SCRAM_SHA256_PLUS:
		nonce(c->cr, c->cnonce);
		buf_init(&m, 4096);
		buf_printf(&m, "n=");
		saslname(&m, c->user);
		buf_printf(&m, ",r=%s", c->cnonce);
		c->first_bare = buf_strdup(&m);
		buf_free(&m);
		/* "p=tls-exporter": bound to this TLS session (-PLUS); "y": we
		 * could bind, but the server offers no -PLUS; "n": no TLS */
		snprintf(c->gs2, sizeof(c->gs2), "%s", c->mech == SASL_SCRAM_SHA256_PLUS ?
		    "p=tls-exporter,," : c->tls ? "y,," : "n,,");
		buf_printf(out, "%s%s", c->gs2, c->first_bare);
		shown(c->shown, sizeof(c->shown), buf_ptr(out), out->len);
		return 1;
	default:
		c->step = 0;
		c->shown[0] = '\0';
		return 0;
	}
}

static enum sasl_result
scram_client_final(struct sasl_client *c, const char *sf, struct buf *out)
{
	char		*r = attr(sf, 'r'), *s = attr(sf, 's'), *i = attr(sf, 'i'), *e;
	unsigned char	 salt[256], ck[32], sk[32], srvk[32], sig[32], proof[32];
	char		*cb, p64[48];
	long		 sl;
	unsigned long	 iter;
	struct buf	 am, wo;
	size_t		 k;
	enum sasl_result res = SASL_FAIL;

	buf_init(&am, 1 << 16);
	buf_init(&wo, 1 << 16);
	if ((e = attr(sf, 'e')) != NULL) {
		snprintf(c->err, sizeof(c->err), "server error: %.200s", e);
		free(e);
		goto done;
	}
	if (!r || !s || !i || strncmp(r, c->cnonce, strlen(c->cnonce)) != 0 ||
	    strlen(r) == strlen(c->cnonce)) {
		snprintf(c->err, sizeof(c->err), "malformed server-first-message (or the nonce "
		    "does not extend ours)");
		goto done;
	}
	iter = strtoul(i, NULL, 10);
	if (iter == 0 || iter > SCRAM_MAX_ITER) {
		snprintf(c->err, sizeof(c->err), "iteration count %s refused", i);
		goto done;
	}
	if ((sl = b64_decode(s, strlen(s), salt, sizeof(salt))) <= 0) {
		snprintf(c->err, sizeof(c->err), "bad salt");
		goto done;
	}
	if (scram_keys(c->cr, c->secret, salt, (size_t)sl, (unsigned)iter, ck, sk, srvk) == -1) {
		snprintf(c->err, sizeof(c->err), "PBKDF2 failed");
		goto done;
	}
	cb = cbind(c->gs2, c->cblen && c->mech == SASL_SCRAM_SHA256_PLUS ? c->cb : NULL,
	    c->mech == SASL_SCRAM_SHA256_PLUS ? c->cblen : 0);
	buf_printf(&wo, "c=%s,r=%s", cb, r);
	free(cb);
	buf_printf(&am, "%s,%s,", c->first_bare, sf);
	buf_append(&am, buf_ptr(&wo), wo.len);
	c->cr->hmac(1, sk, 32, buf_ptr(&am), am.len, sig);
	for (k = 0; k < 32; k++)
		proof[k] = ck[k] ^ sig[k];
	c->cr->hmac(1, srvk, 32, buf_ptr(&am), am.len, c->server_sig);
	b64_encode(proof, 32, p64);
	buf_append(out, buf_ptr(&wo), wo.len);
	buf_printf(out, ",p=%s", p64);
	buf_append(&wo, ",p=****", 7);
	shown(c->shown, sizeof(c->shown), buf_ptr(&wo), wo.len);
	wipe(ck, 32);
	wipe(sk, 32);
	wipe(srvk, 32);
	res = SASL_CONTINUE;
done:
	free(r);
	free(s);
	free(i);
	buf_free(&am);
	buf_free(&wo);
	return res;
}

enum sasl_result
sasl_client_step(struct sasl_client *c, const unsigned char *ch, size_t n, struct buf *out)
{
	unsigned char	 d[16];
	char		 hx[33], *msg, *v;
	unsigned char	 sig[64];
	long		 sl;

	c->err[0] = '\0';
	c->shown[0] = '\0';
	switch (c->mech) {
	case SASL_PLAIN:
		if (c->step == 0) {	/* the server asked for it: no initial response */
			sasl_client_initial(c, out);
			return SASL_CONTINUE;
		}
		break;
	case SASL_LOGIN:
		if (c->step == 0) {
			buf_printf(out, "%s", c->user);
			snprintf(c->shown, sizeof(c->shown), "%s", c->user);
			c->step = 1;
			return SASL_CONTINUE;
		}
		if (c->step == 1) {
			buf_printf(out, "%s", c->secret);
			snprintf(c->shown, sizeof(c->shown), "****");
			c->step = 2;
			return SASL_OK;
		}
		break;
	case SASL_CRAM_MD5:
		if (c->step == 0) {
			c->cr->hmac(0, c->secret, strlen(c->secret), ch, n, d);
			hex(d, 16, hx);
			buf_printf(out, "%s %s", c->user, hx);
			snprintf(c->shown, sizeof(c->shown), "%s ****", c->user);
			c->step = 1;
			return SASL_OK;
		}
		break;
	case SASL_XOAUTH2:
	case SASL_OAUTHBEARER:
		if (c->step == 0) {
			sasl_client_initial(c, out);
			return SASL_CONTINUE;
		}
		/* An error report: answer with an empty (XOAUTH2) or ^A
		 * (OAUTHBEARER) message, then the server says 535. */
		shown(c->err, sizeof(c->err), ch, n);
		if (c->mech == SASL_OAUTHBEARER)
			buf_append(out, "\001", 1);
		snprintf(c->shown, sizeof(c->shown), "%s",
		    c->mech == SASL_OAUTHBEARER ? "\\x01" : "");
		return SASL_FAIL;
	case SASL_SCRAM_SHA256:
	case SASL_SCRAM_SHA256_PLUS:
		if (c->step == 0) {
			sasl_client_initial(c, out);
			return SASL_CONTINUE;
		}
		msg = xstrndup((const char *)ch, n);
		if (c->step == 1) {
			enum sasl_result r = scram_client_final(c, msg, out);
			free(msg);
			c->step = 2;
			return r;
		}
		if (c->step == 2) {
			c->step = 3;
			if ((v = attr(msg, 'v')) == NULL || (sl = b64_decode(v, strlen(v), sig,
			    sizeof(sig))) != 32 || memcmp(sig, c->server_sig, 32) != 0) {
				snprintf(c->err, sizeof(c->err), "the server's signature is wrong: "
				    "it does not know the password (or someone is in between)");
				free(v);
				free(msg);
				return SASL_FAIL;
			}
			free(v);
			free(msg);
			return SASL_OK;	/* and an empty response */
		}
		free(msg);
		break;
	default:
		break;
	}
	snprintf(c->err, sizeof(c->err), "unexpected challenge for %s", sasl_mech_name(c->mech));
	return SASL_FAIL;
}

/* ---- server ---- */

struct sasl_server {
	enum sasl_mech		 mech;
	const struct sasl_crypto *cr;
	sasl_lookup		 lookup;
	void			*arg;
	const char		*hostname;
	int			 step;
	int			 failing;	/* an error challenge was sent */
	char			 user[256];
	char			 shown[600];
	char			 challenge[160];
	char			*first_bare, *server_first, *nonce;
	char			 gs2[32];
	unsigned char		 cb[64];	/* this session's tls-exporter data */
	size_t			 cblen;
	unsigned char		 stored[32], skey[32];
	int			 known;		/* the SCRAM user exists */
};

struct sasl_server *
sasl_server_new(enum sasl_mech m, const struct sasl_crypto *cr, sasl_lookup lookup, void *arg,
    const char *hostname, const unsigned char *cb, size_t cblen)
{
	struct sasl_server *s = xcalloc(1, sizeof(*s));

	if (cb && cblen <= sizeof(s->cb)) {
		memcpy(s->cb, cb, cblen);
		s->cblen = cblen;
	}
	s->mech = m;
	s->cr = cr;
	s->lookup = lookup;
	s->arg = arg;
	s->hostname = hostname ? hostname : "localhost";
	if (sasl_mech_crypto(m) && cr == NULL)
		fatalx("%s: %s needs crypto", __func__, sasl_mech_name(m));
	return s;
}

void
sasl_server_free(struct sasl_server *s)
{
	if (s == NULL)
		return;
	free(s->first_bare);
	free(s->server_first);
	free(s->nonce);
	wipe(s, sizeof(*s));
	free(s);
}

const char *
sasl_server_user(const struct sasl_server *s)
{
	return s->user;
}

const char *
sasl_server_shown(const struct sasl_server *s)
{
	return s->shown;
}

static void
set_user(struct sasl_server *s, const char *u, size_t n)
{
	shown(s->user, sizeof(s->user), (const unsigned char *)u, n);
}

/* check - the user's secret against the one given */
static enum sasl_result
check(struct sasl_server *s, const char *user, const char *secret, size_t sl)
{
	char	 pw[512];
	int	 r = s->lookup(s->arg, user, pw, sizeof(pw));
	enum sasl_result res;

	if (r == 2)
		return SASL_OK;
	res = r == 1 && strlen(pw) == sl && memcmp(pw, secret, sl) == 0 ? SASL_OK : SASL_FAIL;
	wipe(pw, sizeof(pw));
	return res;
}

static enum sasl_result
srv_plain(struct sasl_server *s, const unsigned char *in, size_t n, int has, struct buf *out)
{
	const unsigned char *z1, *z2;
	char		*user;
	enum sasl_result r;

	if (!has && s->step++ == 0)
		return SASL_CONTINUE;	/* an empty challenge: send it now */
	if ((z1 = memchr(in, '\0', n)) == NULL ||
	    (z2 = memchr(z1 + 1, '\0', n - (size_t)(z1 + 1 - in))) == NULL ||
	    memchr(z2 + 1, '\0', n - (size_t)(z2 + 1 - in)) != NULL || z2 == z1 + 1)
		return SASL_BAD;
	user = xstrndup((const char *)z1 + 1, (size_t)(z2 - z1 - 1));
	set_user(s, user, strlen(user));
	snprintf(s->shown, sizeof(s->shown), "%.*s<NUL>%s<NUL>****", (int)(z1 - in) > 100 ? 100 :
	    (int)(z1 - in), (const char *)in, s->user);
	r = check(s, user, (const char *)z2 + 1, n - (size_t)(z2 + 1 - in));
	free(user);
	return r;
}

static enum sasl_result
srv_login(struct sasl_server *s, const unsigned char *in, size_t n, int has, struct buf *out)
{
	char	*pw;
	enum sasl_result r;

	if (s->step == 0 && !has) {
		s->step = 1;
		buf_printf(out, "Username:");
		return SASL_CONTINUE;
	}
	if (s->step <= 1) {
		if (n == 0 || memchr(in, '\0', n))
			return SASL_BAD;
		set_user(s, (const char *)in, n);
		shown(s->shown, sizeof(s->shown), in, n);
		s->step = 2;
		buf_printf(out, "Password:");
		return SASL_CONTINUE;
	}
	snprintf(s->shown, sizeof(s->shown), "****");
	pw = xstrndup((const char *)in, n);
	r = check(s, s->user, pw, n);
	wipe_str(pw);
	return r;
}

static enum sasl_result
srv_cram(struct sasl_server *s, const unsigned char *in, size_t n, int has, struct buf *out)
{
	unsigned char	 r[12], d[16];
	char		 rh[25], want[33], pw[512], *sp;
	int		 k;

	if (s->step == 0) {
		if (has)
			return SASL_BAD;	/* CRAM-MD5 has no initial response */
		s->cr->random(r, sizeof(r));
		hex(r, sizeof(r), rh);
		snprintf(s->challenge, sizeof(s->challenge), "<%s@%s>", rh, s->hostname);
		buf_printf(out, "%s", s->challenge);
		s->step = 1;
		return SASL_CONTINUE;
	}
	if ((sp = memchr(in, ' ', n)) == NULL || n - (size_t)(sp - (const char *)in) - 1 != 32)
		return SASL_BAD;
	set_user(s, (const char *)in, (size_t)(sp - (const char *)in));
	snprintf(s->shown, sizeof(s->shown), "%s ****", s->user);
	k = s->lookup(s->arg, s->user, pw, sizeof(pw));
	if (k == 2)
		return SASL_OK;
	if (k != 1)
		return SASL_FAIL;
	s->cr->hmac(0, pw, strlen(pw), s->challenge, strlen(s->challenge), d);
	wipe(pw, sizeof(pw));
	hex(d, 16, want);
	return strncasecmp(want, sp + 1, 32) == 0 ? SASL_OK : SASL_FAIL;
}

/* srv_bearer - XOAUTH2 and OAUTHBEARER: the token is the user's secret */
static enum sasl_result
srv_bearer(struct sasl_server *s, const unsigned char *in, size_t n, int has, struct buf *out)
{
	char		*msg, *u = NULL, *tok = NULL, *p, *e;
	enum sasl_result r;

	if (s->failing)
		return SASL_FAIL;	/* the client's answer to our error report */
	if (!has && s->step++ == 0)
		return SASL_CONTINUE;
	if (n == 0 || memchr(in, '\0', n))
		return SASL_BAD;
	msg = xstrndup((const char *)in, n);
	if (s->mech == SASL_OAUTHBEARER) {
		/* gs2-header "n,a=USER," or "n,,", then ^A-separated pairs */
		if (strncmp(msg, "n,", 2) != 0 && strncmp(msg, "y,", 2) != 0)
			goto bad;
		if (strncmp(msg + 2, "a=", 2) == 0 && (e = strchr(msg + 4, ',')) != NULL)
			u = xstrndup(msg + 4, (size_t)(e - msg - 4));
		p = strchr(msg + 2, ',');
		if (p == NULL)
			goto bad;
		p++;
	} else
		p = msg;
	for (; p && *p; p = e ? e + 1 : NULL) {
		e = strchr(p, '\001');
		if (e)
			*e = '\0';
		if (strncmp(p, "user=", 5) == 0 && s->mech == SASL_XOAUTH2 && !u)
			u = xstrdup(p + 5);
		else if (strncasecmp(p, "auth=Bearer ", 12) == 0 && !tok)
			tok = xstrdup(p + 12);
	}
	if (tok == NULL || (s->mech == SASL_XOAUTH2 && u == NULL))
		goto bad;
	set_user(s, u ? u : "", u ? strlen(u) : 0);
	snprintf(s->shown, sizeof(s->shown), "%s%s auth=Bearer ****",
	    s->mech == SASL_XOAUTH2 ? "user=" : "a=", s->user);
	r = check(s, s->user, tok, strlen(tok));
	if (r == SASL_FAIL) {
		/* RFC 7628 3.2.2, and Google's XOAUTH2: an error, then 535 */
		buf_printf(out, s->mech == SASL_XOAUTH2 ? "{\"status\":\"401\",\"schemes\":"
		    "\"bearer\",\"scope\":\"https://mail.google.com/\"}" :
		    "{\"status\":\"invalid_token\",\"scope\":\"smtp\"}");
		s->failing = 1;
		r = SASL_CONTINUE;
	}
	free(u);
	wipe_str(tok);
	free(msg);
	return r;
bad:
	free(u);
	wipe_str(tok);
	free(msg);
	return SASL_BAD;
}

static enum sasl_result
srv_scram(struct sasl_server *s, const unsigned char *in, size_t n, int has, struct buf *out)
{
	char		*msg, *u, *r = NULL, *c = NULL, *p = NULL, *q;
	unsigned char	 salt[16], ck[32], srvk[32], sig[32], proof[64], key[32], h[32];
	char		 pw[512], salt64[32], *cbw, sig64[48];
	struct buf	 am;
	size_t		 k, gl;
	long		 pl;
	int		 lk;
	enum sasl_result res = SASL_BAD;

	if (!has && s->step == 0) {
		s->step = 1;
		return SASL_CONTINUE;
	}
	if (s->step == 3)	/* the client's empty answer to our signature */
		return n == 0 ? SASL_OK : SASL_BAD;
	if (n == 0 || memchr(in, '\0', n))
		return SASL_BAD;
	msg = xstrndup((const char *)in, n);
	if (s->step <= 1) {
		/* client-first: gs2-header, then n=USER,r=NONCE */
		if (s->mech == SASL_SCRAM_SHA256_PLUS) {
			if (strncmp(msg, "p=tls-exporter,", 15) != 0 || s->cblen == 0)
				goto out;	/* the only binding we offer */
			q = strchr(msg + 15, ',');
		} else if ((msg[0] == 'n' || msg[0] == 'y') && msg[1] == ',')
			q = strchr(msg + 2, ',');
		else
			q = NULL;	/* "p=" without -PLUS */
		if (q == NULL)
			goto out;
		if (s->mech == SASL_SCRAM_SHA256 && msg[0] == 'y' && s->cblen) {
			/* RFC 5802 6: the client could bind and thinks we cannot,
			 * but we offered -PLUS: someone removed it in between */
			shown(s->shown, sizeof(s->shown), in, n);
			res = SASL_FAIL;
			goto out;
		}
		gl = (size_t)(q + 1 - msg);
		if (gl >= sizeof(s->gs2))
			goto out;
		memcpy(s->gs2, msg, gl);
		s->gs2[gl] = '\0';
		s->first_bare = xstrdup(q + 1);
		if (strncmp(s->first_bare, "n=", 2) != 0 || (u = attr(s->first_bare, 'n')) == NULL)
			goto out;
		if ((r = attr(s->first_bare, 'r')) == NULL || *r == '\0') {
			free(u);
			goto out;
		}
		set_user(s, u, strlen(u));
		free(u);
		shown(s->shown, sizeof(s->shown), in, n);
		lk = s->lookup(s->arg, s->user, pw, sizeof(pw));
		s->known = lk == 1;
		s->cr->random(salt, sizeof(salt));
		/* An unknown user gets the same exchange, and fails at the end. */
		if (scram_keys(s->cr, s->known ? pw : "-", salt, sizeof(salt), SCRAM_ITER, ck,
		    s->stored, s->skey) == -1)
			goto out;
		wipe(pw, sizeof(pw));
		wipe(ck, sizeof(ck));
		{
			char sn[33];
			nonce(s->cr, sn);
			s->nonce = xmalloc(strlen(r) + strlen(sn) + 1);
			sprintf(s->nonce, "%s%s", r, sn);
		}
		b64_encode(salt, sizeof(salt), salt64);
		buf_printf(out, "r=%s,s=%s,i=%d", s->nonce, salt64, SCRAM_ITER);
		s->server_first = buf_strdup(out);
		s->step = 2;
		res = SASL_CONTINUE;
		goto out;
	}
	/* client-final: c=GS2,r=NONCE[,...],p=PROOF (p last) */
	if ((q = strstr(msg, ",p=")) == NULL || (c = attr(msg, 'c')) == NULL ||
	    (r = attr(msg, 'r')) == NULL)
		goto out;
	p = xstrdup(q + 3);
	*q = '\0';
	shown(s->shown, sizeof(s->shown), (const unsigned char *)msg, strlen(msg));
	k = strlen(s->shown);
	snprintf(s->shown + k, sizeof(s->shown) - k, ",p=****");
	cbw = cbind(s->gs2, s->cb, s->mech == SASL_SCRAM_SHA256_PLUS ? s->cblen : 0);
	if (strcmp(c, cbw) != 0) {
		/* another gs2 header, or another TLS session: refused */
		free(cbw);
		res = SASL_FAIL;
		goto out;
	}
	free(cbw);
	if (strcmp(r, s->nonce) != 0 ||
	    (pl = b64_decode(p, strlen(p), proof, sizeof(proof))) != 32)
		goto out;
	buf_init(&am, 1 << 16);
	buf_printf(&am, "%s,%s,%s", s->first_bare, s->server_first, msg);
	s->cr->hmac(1, s->stored, 32, buf_ptr(&am), am.len, sig);
	for (k = 0; k < 32; k++)
		key[k] = proof[k] ^ sig[k];
	s->cr->sha256(key, 32, h);
	res = SASL_FAIL;
	if (s->known && memcmp(h, s->stored, 32) == 0) {
		s->cr->hmac(1, s->skey, 32, buf_ptr(&am), am.len, srvk);
		b64_encode(srvk, 32, sig64);
		buf_printf(out, "v=%s", sig64);
		s->step = 3;
		res = SASL_CONTINUE;
	}
	buf_free(&am);
out:
	free(r);
	free(c);
	free(p);
	free(msg);
	return res;
}

enum sasl_result
sasl_server_step(struct sasl_server *s, const unsigned char *in, size_t n, int has,
    struct buf *out)
{
	switch (s->mech) {
	case SASL_PLAIN:
		return srv_plain(s, in, n, has, out);
	case SASL_LOGIN:
		return srv_login(s, in, n, has, out);
	case SASL_CRAM_MD5:
		return srv_cram(s, in, n, has, out);
	case SASL_XOAUTH2:
	case SASL_OAUTHBEARER:
		return srv_bearer(s, in, n, has, out);
	case SASL_SCRAM_SHA256:
	case SASL_SCRAM_SHA256_PLUS:
		return srv_scram(s, in, n, has, out);
	default:
		fatalx("%s: bad mechanism %d", __func__, (int)s->mech);
	}
}

int
sasl_offered(const char *p, enum sasl_mech m)
{
	const char	*n = sasl_mech_name(m);
	size_t		 nl = strlen(n);

	for (; p && *p; p++) {
		while (*p == ' ')
			p++;
		if (strncasecmp(p, n, nl) == 0 && (p[nl] == ' ' || p[nl] == '\0'))
			return 1;
		p += strcspn(p, " ");
		if (*p == '\0')
			break;
	}
	return 0;
}

int
sasl_pick(const char *params, int channel_binding)
{
	/* strongest first */
	static const enum sasl_mech prefer[] = {
		SASL_SCRAM_SHA256_PLUS, SASL_SCRAM_SHA256, SASL_PLAIN, SASL_LOGIN, SASL_CRAM_MD5,
	};
	size_t	 i;

	for (i = 0; i < sizeof(prefer) / sizeof(prefer[0]); i++)
		if (sasl_offered(params, prefer[i]) &&
		    (prefer[i] != SASL_SCRAM_SHA256_PLUS || channel_binding))
			return (int)prefer[i];
	return -1;
}
