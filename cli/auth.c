/*
 * auth - see auth.h.  Lines go out through the client engine like any
 * command (so replies pair up and time out as usual); before each one the
 * transcript is told what to show instead.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>

#include "cli/auth.h"
#include "session/b64.h"
#include "session/caps.h"
#include "session/sasl.h"
#include "session/xalloc.h"
#include "tls/crypto.h"

struct auth {
	struct client		*cl;
	struct sasl_client	*sc;
	enum sasl_mech		 mech;
	int			 show;
	int			 done;		/* our side finished: only 235 may come */
	int			 cancelled;
};

static int
offered(const struct caps_entry *e, enum sasl_mech m)
{
	return sasl_offered(e ? e->params : "", m);
}

/* send_line - base64 of msg (or "=" / empty), shown as `shown` */
static int
send_line(struct auth *a, const char *prefix, const struct buf *msg, int empty_as_eq,
    const char *shown, char *err, size_t errlen)
{
	char	*b = xmalloc(4 * ((msg->len + 2) / 3) + 64 + (prefix ? strlen(prefix) : 0));
	size_t	 o = 0;
	int	 r;

	if (prefix)
		o = (size_t)sprintf(b, "%s", prefix);
	if (msg->len)
		o += b64_encode(buf_ptr(msg), msg->len, b + o);
	else if (empty_as_eq)
		b[o++] = '=';
	b[o] = '\0';
	if (!a->show)
		client_mask_next(a->cl, shown);
	if (o == 0)
		r = client_raw(a->cl, "\r\n", 2, err, errlen);	/* an empty response */
	else
		r = client_command(a->cl, b, err, errlen);
	memset(b, 0, o);
	free(b);
	return r;
}

struct auth *
auth_begin(struct client *cl, const struct auth_cfg *cfg, char *err, size_t errlen)
{
	const struct caps_entry *e = caps_find(client_caps(cl), "AUTH");
	struct auth	*a;
	struct buf	 ir;
	enum sasl_mech	 m = SASL_PLAIN;
	char		 prefix[64], shown[700];
	unsigned char	 cb[64];
	int		 has, cbl = client_channel_binding(cl, cb, sizeof(cb));

	if (cfg->mech) {
		if (sasl_mech_parse(cfg->mech, strlen(cfg->mech), &m) == -1) {
			snprintf(err, errlen, "unknown mechanism %s (PLAIN, LOGIN, CRAM-MD5, "
			    "XOAUTH2, OAUTHBEARER, SCRAM-SHA-256)", cfg->mech);
			return NULL;
		}
		if (!offered(e, m))
			client_note(cl, '!', "%s is forced: the server did not offer it (%s)",
			    sasl_mech_name(m), e ? e->params : "no AUTH at all");
	} else {
		int	 pick = sasl_pick(e ? e->params : "", cbl > 0);
		if (pick == -1) {
			snprintf(err, errlen, "the server offers no mechanism we can use with a "
			    "password (%s); force one with --auth-mech", e ? e->params :
			    "no AUTH at all");
			return NULL;
		}
		m = (enum sasl_mech)pick;
	}
	if (m == SASL_SCRAM_SHA256_PLUS && cbl <= 0) {
		snprintf(err, errlen, "%s needs a TLS session with a tls-exporter channel binding",
		    sasl_mech_name(m));
		return NULL;
	}
	a = xcalloc(1, sizeof(*a));
	a->cl = cl;
	a->mech = m;
	a->show = cfg->show_secrets;
	/* SCRAM's "y" says "I could bind, you cannot": only true when the
	 * server did not offer -PLUS (else "y" reads as a downgrade) */
	a->sc = sasl_client_new(m, cfg->authzid, cfg->user, cfg->secret, tls_sasl_crypto(),
	    client_tls(cl) && !offered(e, SASL_SCRAM_SHA256_PLUS), cbl > 0 ? cb : NULL,
	    cbl > 0 ? (size_t)cbl : 0);
	buf_init(&ir, 1 << 16);
	has = sasl_client_initial(a->sc, &ir);
	snprintf(prefix, sizeof(prefix), "AUTH %s%s", sasl_mech_name(m), has ? " " : "");
	snprintf(shown, sizeof(shown), "AUTH %s%s", sasl_mech_name(m), has ? " ****" : "");
	client_note(cl, '*', "AUTH %s as \"%s\"%s%s", sasl_mech_name(m), cfg->user,
	    has ? "; initial response " : "", has ? sasl_client_shown(a->sc) : "");
	if (send_line(a, prefix, &ir, has, shown, err, errlen) == -1) {
		buf_free(&ir);
		auth_free(a);
		return NULL;
	}
	buf_free(&ir);
	return a;
}

enum auth_step
auth_reply(struct auth *a, int code, char *err, size_t errlen)
{
	struct buf	 resp;
	const char	*t;
	size_t		 tl;
	long		 cl;
	enum sasl_result r;

	if (code == 235) {
		if (!a->done && (a->mech == SASL_SCRAM_SHA256 ||
		    a->mech == SASL_SCRAM_SHA256_PLUS)) {
			snprintf(err, errlen, "235 before the server proved it knows the password "
			    "(SCRAM server signature missing)");
			return AUTH_FAILED;
		}
		return AUTH_DONE;
	}
	if (code != 334 || a->cancelled) {
		snprintf(err, errlen, "AUTH %s refused with %d", sasl_mech_name(a->mech), code);
		return AUTH_FAILED;
	}
	t = client_last_text(a->cl, &tl);
	buf_init(&resp, 1 << 16);
	{
		unsigned char *d = xmalloc(tl / 4 * 3 + 3);
		cl = b64_decode(t, tl, d, tl / 4 * 3 + 3);
		if (cl < 0) {
			free(d);
			snprintf(err, errlen, "the 334 challenge is not base64");
			a->cancelled = 1;
			client_mask_next(a->cl, "*");
			client_command(a->cl, "*", err, errlen);
			buf_free(&resp);
			return AUTH_MORE;
		}
		r = sasl_client_step(a->sc, d, (size_t)cl, &resp);
		free(d);
	}
	if (r == SASL_FAIL && a->mech != SASL_XOAUTH2 && a->mech != SASL_OAUTHBEARER) {
		/* The server's message is wrong: cancel (RFC 4954 "*"). */
		client_note(a->cl, '!', "AUTH %s: %s; cancelling", sasl_mech_name(a->mech),
		    sasl_client_error(a->sc));
		a->cancelled = 1;
		buf_free(&resp);
		if (client_command(a->cl, "*", err, errlen) == -1)
			return AUTH_FAILED;
		return AUTH_MORE;
	}
	if (r == SASL_FAIL)
		client_note(a->cl, '!', "AUTH %s: the server reports %s", sasl_mech_name(a->mech),
		    sasl_client_error(a->sc));
	if (r == SASL_OK)
		a->done = 1;
	if (send_line(a, NULL, &resp, 0, resp.len ? "****" : "", err, errlen) == -1) {
		buf_free(&resp);
		return AUTH_FAILED;
	}
	if (sasl_client_shown(a->sc)[0])
		client_note(a->cl, '*', "AUTH %s response: %s", sasl_mech_name(a->mech),
		    sasl_client_shown(a->sc));
	buf_free(&resp);
	return AUTH_MORE;
}

char *
auth_read_secret(const char *prompt)
{
	struct termios	 t, quiet;
	char		 line[1024];
	FILE		*tty = fopen("/dev/tty", "r+");
	char		*s = NULL;

	if (tty == NULL)
		return NULL;
	fprintf(tty, "%s", prompt);
	fflush(tty);
	if (tcgetattr(fileno(tty), &t) == 0) {
		quiet = t;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ICANON;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	if (fgets(line, sizeof(line), tty)) {
		line[strcspn(line, "\r\n")] = '\0';
		s = xstrdup(line);
		memset(line, 0, sizeof(line));
	}
	tcsetattr(fileno(tty), TCSAFLUSH, &t);
	fprintf(tty, "\n");
	fclose(tty);
	return s;
}

const char *
auth_mech(const struct auth *a)
{
	return sasl_mech_name(a->mech);
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	sasl_client_free(a->sc);
	free(a);
}
