/*
 * test_sasl - every mechanism, client against server: the right secret
 * passes, a wrong one or an unknown user fails, "any" mode accepts
 * anything it can, malformed messages are told apart, and what the
 * transcript shows never holds the secret.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "session/sasl.h"
#include "tests/tap.h"
#include "tls/crypto.h"

static int any;
static const unsigned char *srv_cb;	/* the server's binding, when it differs */

static int
lookup(void *arg, const char *user, char *pw, size_t len)
{
	if (any)
		return 2;
	if (strcmp(user, "alice") != 0)
		return 0;
	snprintf(pw, len, "s3cret,=pw");
	return 1;
}

/* run - a whole exchange; returns the server's verdict; shows collects
 * every masked message */
static enum sasl_result
run(enum sasl_mech m, const char *user, const char *secret, int ir, char *shows, size_t sl)
{
	const struct sasl_crypto *cr = tls_sasl_crypto();
	static const unsigned char cb[32] = "channel-binding-of-this-session";
	struct sasl_client *c = sasl_client_new(m, "", user, secret, cr, 0, cb, sizeof(cb));
	struct sasl_server *s = sasl_server_new(m, cr, lookup, NULL, "mx.test",
	    srv_cb ? srv_cb : cb, sizeof(cb));
	struct buf	 cmsg, smsg;
	enum sasl_result sr = SASL_BAD, cr2;
	int		 has, i;

	buf_init(&cmsg, 1 << 16);
	buf_init(&smsg, 1 << 16);
	shows[0] = '\0';
	has = ir ? sasl_client_initial(c, &cmsg) : 0;
	for (i = 0; i < 10; i++) {
		snprintf(shows + strlen(shows), sl - strlen(shows), "[C %s]", sasl_client_shown(c));
		buf_drain(&smsg, smsg.len);
		sr = sasl_server_step(s, buf_ptr(&cmsg), cmsg.len, has, &smsg);
		snprintf(shows + strlen(shows), sl - strlen(shows), "[S %s]", sasl_server_shown(s));
		if (sr != SASL_CONTINUE)
			break;
		buf_drain(&cmsg, cmsg.len);
		cr2 = sasl_client_step(c, buf_ptr(&smsg), smsg.len, &cmsg);
		has = 1;
		if (cr2 == SASL_FAIL && m != SASL_XOAUTH2 && m != SASL_OAUTHBEARER) {
			sr = SASL_FAIL;
			break;
		}
	}
	sasl_client_free(c);
	sasl_server_free(s);
	buf_free(&cmsg);
	buf_free(&smsg);
	return sr;
}

int
main(void)
{
	char	 shows[4096];
	int	 m, ir;

	for (m = 0; m < SASL_MECH_COUNT; m++)
		for (ir = 0; ir <= 1; ir++) {
			const char *n = sasl_mech_name((enum sasl_mech)m);
			any = 0;
			is_int(run((enum sasl_mech)m, "alice", "s3cret,=pw", ir, shows, sizeof(shows)),
			    SASL_OK, "%s%s: the right secret passes", n, ir ? " (initial response)" : "");
			ok(strstr(shows, "s3cret") == NULL, "%s: the secret is never shown: %s", n, shows);
			is_int(run((enum sasl_mech)m, "alice", "wrong", ir, shows, sizeof(shows)), SASL_FAIL,
			    "%s%s: a wrong secret fails", n, ir ? " (initial response)" : "");
			is_int(run((enum sasl_mech)m, "mallory", "s3cret,=pw", ir, shows, sizeof(shows)),
			    SASL_FAIL, "%s%s: an unknown user fails", n, ir ? " (initial response)" : "");
			any = 1;
			if (m != SASL_SCRAM_SHA256 && m != SASL_SCRAM_SHA256_PLUS)
				is_int(run((enum sasl_mech)m, "bob", "x", ir, shows, sizeof(shows)), SASL_OK,
				    "%s%s: any credentials in 'any' mode", n, ir ? " (initial response)" : "");
		}
	/* Malformed client messages. */
	{
		const struct sasl_crypto *cr = tls_sasl_crypto();
		struct buf b;
		struct sasl_server *s;
		buf_init(&b, 4096);
		any = 0;
		s = sasl_server_new(SASL_PLAIN, cr, lookup, NULL, "mx", NULL, 0);
		is_int(sasl_server_step(s, (const unsigned char *)"alice", 5, 1, &b), SASL_BAD,
		    "PLAIN without NULs is malformed");
		sasl_server_free(s);
		s = sasl_server_new(SASL_CRAM_MD5, cr, lookup, NULL, "mx", NULL, 0);
		is_int(sasl_server_step(s, (const unsigned char *)"x", 1, 1, &b), SASL_BAD,
		    "CRAM-MD5 with an initial response is malformed");
		sasl_server_free(s);
		s = sasl_server_new(SASL_SCRAM_SHA256, cr, lookup, NULL, "mx", NULL, 0);
		is_int(sasl_server_step(s, (const unsigned char *)"p=tls-unique,,n=a,r=x", 21, 1, &b),
		    SASL_BAD, "SCRAM asking for channel binding we do not offer is refused");
		sasl_server_free(s);
		buf_free(&b);
	}
	/* SCRAM-SHA-256-PLUS: another TLS session's binding fails. */
	{
		static const unsigned char other[32] = "a different session, in between";
		any = 0;
		srv_cb = other;
		is_int(run(SASL_SCRAM_SHA256_PLUS, "alice", "s3cret,=pw", 1, shows, sizeof(shows)),
		    SASL_FAIL, "SCRAM-SHA-256-PLUS: a channel binding that differs (a man in the "
		    "middle) fails");
		srv_cb = NULL;
	}
	/* A client saying "y" to a server that offers -PLUS: a downgrade. */
	{
		const struct sasl_crypto *cr = tls_sasl_crypto();
		static const unsigned char cb[8] = "binding";
		struct sasl_client *c = sasl_client_new(SASL_SCRAM_SHA256, "", "alice", "x", cr, 1,
		    NULL, 0);
		struct sasl_server *s = sasl_server_new(SASL_SCRAM_SHA256, cr, lookup, NULL, "mx", cb,
		    sizeof(cb));
		struct buf in, out;
		buf_init(&in, 4096);
		buf_init(&out, 4096);
		sasl_client_initial(c, &in);
		is_int(sasl_server_step(s, buf_ptr(&in), in.len, 1, &out), SASL_FAIL,
		    "SCRAM \"y\" while the server could bind: refused as a downgrade");
		sasl_client_free(c);
		sasl_server_free(s);
		buf_free(&in);
		buf_free(&out);
	}
	return tap_done();
}
