/*
 * test_proxy - the relay engine, driven as the proxy drives it, with
 * every conversation fed in pieces of 1 to 17 bytes and whole: each way
 * of splitting gives the same bytes on both legs and the same events.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/buf.h"
#include "session/smtp_proxy.h"
#include "tests/tap.h"

struct h {
	struct smtp_proxy *px;
	struct buf	 out[2];	/* what each leg was sent */
	struct buf	 content;
	struct buf	 notes;
	int		 tls[2], closed[2];
	int		 msgs, code;
	size_t		 nrcpt;
	int		 rcpt_rule;	/* on_decide: RCPT becomes 450 */
};

static void
ev_tls(void *arg, enum proxy_leg leg)
{
	((struct h *)arg)->tls[leg]++;
}

static void
ev_close(void *arg, enum proxy_leg leg)
{
	((struct h *)arg)->closed[leg] = 1;
}

static void
ev_data(void *arg, const unsigned char *p, size_t n)
{
	buf_append(&((struct h *)arg)->content, p, n);
}

static void
ev_message(void *arg, const struct proxy_message *m)
{
	struct h *h = arg;

	h->msgs++;
	h->code = m->code;
	h->nrcpt = m->nrcpt;
}

static void
ev_note(void *arg, char kind, const char *m)
{
	struct h *h = arg;

	buf_printf(&h->notes, "%c %s\n", kind, m);
}

static void
ev_decide(void *arg, struct smtp_decision *d)
{
	struct h *h = arg;

	if (h->rcpt_rule && d->stage == SMTP_ST_RCPT && d->arg && strcmp(d->arg, "no@x") == 0) {
		d->code = 450;
		snprintf(d->enh, sizeof(d->enh), "4.2.0");
		snprintf(d->text, sizeof(d->text), "not now");
	}
}

static const struct proxy_events ev = {
	NULL, NULL, NULL, ev_note, ev_tls, ev_data, NULL, ev_message, ev_decide, ev_close,
};

static void
drain(struct h *h)
{
	int	 k;

	for (k = 0; k < 2; k++) {
		struct buf *o = smtp_proxy_output(h->px, (enum proxy_leg)k);
		buf_append(&h->out[k], buf_ptr(o), o->len);
		buf_drain(o, o->len);
	}
}

/* A step: 'C' client bytes, 'U' upstream bytes, 'T' a handshake done
 * (text "C" or "U"), 'E' end of a leg's input. */
struct step {
	char		 what;
	const char	*text;
};

struct conv {
	const char	*name;
	struct proxy_cfg cfg;
	int		 rcpt_rule;
	const struct step *steps;
	const char	*to_up, *to_client;	/* NULL: every byte of the other side */
	const char	*content;
	int		 msgs, code;
	int		 tls_client, tls_up;	/* handshakes asked for */
	int		 closed_client, closed_up;
	const char	*note;			/* a note that must be given */
};

/* run - one conversation with pieces of size chunk (0: whole) */
static int
run(const struct conv *cv, size_t chunk, struct h *h)
{
	const struct step *s;
	struct buf	 cpend;
	size_t		 n, k, sp;

	memset(h, 0, sizeof(*h));
	buf_init(&h->out[0], SIZE_MAX);
	buf_init(&h->out[1], SIZE_MAX);
	buf_init(&h->content, SIZE_MAX);
	buf_init(&h->notes, SIZE_MAX);
	buf_init(&cpend, SIZE_MAX);
	h->rcpt_rule = cv->rcpt_rule;
	h->px = smtp_proxy_new(&cv->cfg, &ev, h, 1000);
	smtp_proxy_upstream_up(h->px, 1000);
	for (s = cv->steps; s->what; s++) {
		const unsigned char *p = (const unsigned char *)s->text;
		n = strlen(s->text);
		switch (s->what) {
		case 'C':
			buf_append(&cpend, p, n);
			break;
		case 'U':
			while (n) {
				k = chunk && chunk < n ? chunk : n;
				size_t took = smtp_proxy_upstream_feed(h->px, p, k, 2000);
				drain(h);
				if (took < k && !smtp_proxy_waiting(h->px))
					took = k;	/* after a 220: would be discarded */
				p += took;
				n -= took;
			}
			break;
		case 'T':
			smtp_proxy_tls_up(h->px, s->text[0] == 'C' ? PROXY_CLIENT : PROXY_UPSTREAM,
			    3000);
			break;
		case 'E':
			smtp_proxy_eof(h->px, s->text[0] == 'C' ? PROXY_CLIENT : PROXY_UPSTREAM, 4000);
			break;
		}
		drain(h);
		/* client bytes go in as far as the engine takes them */
		while (cpend.len && (sp = smtp_proxy_client_space(h->px)) > 0) {
			k = chunk && chunk < cpend.len ? chunk : cpend.len;
			if (k > sp)
				k = sp;
			smtp_proxy_client_feed(h->px, buf_ptr(&cpend), k, 1500);
			buf_drain(&cpend, k);
			drain(h);
		}
	}
	buf_free(&cpend);
	return 0;
}

static void
done(struct h *h)
{
	smtp_proxy_free(h->px);
	buf_free(&h->out[0]);
	buf_free(&h->out[1]);
	buf_free(&h->content);
	buf_free(&h->notes);
}

static char *
concat(const struct step *steps, char what)
{
	struct buf	 b;
	char		*s;

	buf_init(&b, SIZE_MAX);
	for (; steps->what; steps++)
		if (steps->what == what)
			buf_puts(&b, steps->text);
	s = buf_strdup(&b);
	buf_free(&b);
	return s;
}

static int
same(const struct buf *b, const char *want)
{
	return b->len == strlen(want) && memcmp(buf_ptr(b), want, b->len) == 0;
}

static void
check(const struct conv *cv)
{
	static const size_t chunks[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 17 };
	char		*all_c = concat(cv->steps, 'C'), *all_u = concat(cv->steps, 'U');
	const char	*want_up = cv->to_up ? cv->to_up : all_c;
	const char	*want_cl = cv->to_client ? cv->to_client : all_u;
	struct h	 h;
	size_t		 i;
	int		 bad = 0;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]) && !bad; i++) {
		run(cv, chunks[i], &h);
		if (!same(&h.out[PROXY_UPSTREAM], want_up)) {
			char *g = buf_strdup(&h.out[PROXY_UPSTREAM]);
			ok(0, "%s: the upstream gets the expected bytes (pieces of %zu)", cv->name,
			    chunks[i]);
			printf("#   got  [%s]\n#   want [%s]\n", g, want_up);
			free(g);
			bad = 1;
		}
		if (!same(&h.out[PROXY_CLIENT], want_cl)) {
			char *g = buf_strdup(&h.out[PROXY_CLIENT]);
			ok(0, "%s: the client gets the expected bytes (pieces of %zu)", cv->name,
			    chunks[i]);
			printf("#   got  [%s]\n#   want [%s]\n", g, want_cl);
			free(g);
			bad = 1;
		}
		if (cv->content && !same(&h.content, cv->content)) {
			ok(0, "%s: the message content (pieces of %zu)", cv->name, chunks[i]);
			bad = 1;
		}
		if (h.msgs != cv->msgs || (cv->msgs && h.code != cv->code)) {
			ok(0, "%s: %d messages, code %d (pieces of %zu): got %d, %d", cv->name,
			    cv->msgs, cv->code, chunks[i], h.msgs, h.code);
			bad = 1;
		}
		if (h.tls[0] != cv->tls_client || h.tls[1] != cv->tls_up) {
			ok(0, "%s: handshakes asked (pieces of %zu): client %d up %d", cv->name,
			    chunks[i], h.tls[0], h.tls[1]);
			bad = 1;
		}
		if (h.closed[0] != cv->closed_client || h.closed[1] != cv->closed_up) {
			ok(0, "%s: legs closed (pieces of %zu): client %d up %d", cv->name, chunks[i],
			    h.closed[0], h.closed[1]);
			bad = 1;
		}
		if (cv->note && strstr((const char *)buf_ptr(&h.notes), cv->note) == NULL) {
			buf_append(&h.notes, "", 1);
			ok(0, "%s: the note \"%s\" (pieces of %zu)", cv->name, cv->note, chunks[i]);
			printf("# notes: %s\n", (const char *)buf_ptr(&h.notes));
			bad = 1;
		}
		done(&h);
	}
	if (!bad)
		ok(1, "%s: the same bytes and events for every split", cv->name);
	free(all_c);
	free(all_u);
}

static const struct step s_plain[] = {
	{ 'U', "220 up.test ESMTP\r\n" },
	{ 'C', "EHLO c.test\r\n" },
	{ 'U', "250-up.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n" },
	{ 'C', "MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nRCPT TO:<c@x>\r\nDATA\r\n" },
	{ 'U', "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n" },
	{ 'C', "Subject: t\r\n\r\n..dot\r\nbare\n.\r\nline\r\n.\r\n" },
	{ 'U', "250 2.0.0 queued\r\n" },
	{ 'C', "QUIT\r\n" },
	{ 'U', "221 2.0.0 Bye\r\n" },
	{ 0, NULL }
};

static const struct step s_bdat[] = {
	{ 'U', "220 up.test ESMTP\r\n" },
	{ 'C', "EHLO c.test\r\n" },
	{ 'U', "250-up.test\r\n250 CHUNKING\r\n" },
	{ 'C', "MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nBDAT 7\r\nab\r\n.\ncBDAT 3 LAST\r\nxyz" },
	{ 'U', "250 Ok\r\n250 Ok\r\n250 7 octets\r\n250 done\r\n" },
	{ 'C', "QUIT\r\n" },
	{ 'U', "221 Bye\r\n" },
	{ 0, NULL }
};

static const struct step s_rej[] = {
	{ 'U', "220 up.test ESMTP\r\n" },
	{ 'C', "HELO c.test\r\n" },
	{ 'U', "250 up.test\r\n" },
	{ 'C', "MAIL FROM:<a@x>\r\n" },
	{ 'U', "250 Ok\r\n" },
	{ 'C', "RCPT TO:<b@x>\r\n" },
	{ 'U', "250 Ok\r\n" },
	{ 'C', "DATA\r\n" },
	{ 'U', "354 go\r\n" },
	{ 'C', "x\r\n.\r\nRSET\r\n" },
	{ 'U', "554 5.7.1 no thanks\r\n250 Ok\r\n" },
	{ 'E', "C" },
	{ 'U', "221 Bye\r\n" },
	{ 0, NULL }
};

/* the proxy terminates STARTTLS towards the client (upstream: none) */
static const struct step s_tls_own[] = {
	{ 'U', "220 up.test ESMTP\r\n" },
	{ 'C', "EHLO c.test\r\n" },
	{ 'U', "250-up.test\r\n250-STARTTLS\r\n250-CHUNKING\r\n250 SIZE 100\r\n" },
	{ 'C', "STARTTLS\r\n" },
	{ 'T', "C" },
	{ 'C', "EHLO c.test\r\n" },
	{ 'U', "250-up.test\r\n250-STARTTLS\r\n250-CHUNKING\r\n250 SIZE 100\r\n" },
	{ 'C', "QUIT\r\n" },
	{ 'U', "221 Bye\r\n" },
	{ 0, NULL }
};

/* mirror: the upstream leg first, then the client's */
static const struct step s_mirror[] = {
	{ 'U', "220 up.test ESMTP\r\n" },
	{ 'C', "EHLO c.test\r\n" },
	{ 'U', "250-up.test\r\n250 STARTTLS\r\n" },
	{ 'C', "STARTTLS\r\n" },
	{ 'U', "220 2.0.0 go ahead\r\n" },
	{ 'T', "U" },
	{ 'T', "C" },
	{ 'C', "EHLO c.test\r\n" },
	{ 'U', "250-up.test\r\n250 AUTH PLAIN\r\n" },
	{ 'C', "AUTH PLAIN\r\n" },
	{ 'U', "334 \r\n" },
	{ 'C', "AGEAYg==\r\n" },
	{ 'U', "235 2.7.0 ok\r\n" },
	{ 'C', "QUIT\r\n" },
	{ 'U', "221 Bye\r\n" },
	{ 0, NULL }
};

/* --upstream-tls starttls: the greeting waits for the upstream's TLS */
static const struct step s_first[] = {
	{ 'U', "220 up.test ESMTP\r\n" },
	{ 'C', "EHLO c.test\r\n" },
	{ 'U', "250-up.test\r\n250 STARTTLS\r\n" },
	{ 'U', "220 go\r\n" },
	{ 'T', "U" },
	{ 'U', "250-up.test\r\n250 AUTH LOGIN\r\n" },
	{ 'C', "AUTH LOGIN\r\n" },
	{ 'U', "334 VXNlcm5hbWU6\r\n" },
	{ 'C', "dQ==\r\n" },
	{ 'U', "334 UGFzc3dvcmQ6\r\n" },
	{ 'C', "cA==\r\n" },
	{ 'U', "535 5.7.8 no\r\n" },
	{ 'E', "C" },
	{ 'U', "221 Bye\r\n" },
	{ 0, NULL }
};

/* the client's leg is encrypted, the upstream's not: no AUTH goes on */
static const struct step s_noauth[] = {
	{ 'U', "220 up.test ESMTP\r\n" },
	{ 'C', "EHLO c.test\r\n" },
	{ 'U', "250-up.test\r\n250 AUTH PLAIN\r\n" },
	{ 'C', "AUTH PLAIN AGEAYg==\r\nNOOP\r\n" },
	{ 'U', "250 Ok\r\n" },
	{ 'C', "QUIT\r\n" },
	{ 'U', "221 Bye\r\n" },
	{ 0, NULL }
};

static const struct step s_updown[] = {
	{ 'U', "220 up.test ESMTP\r\n" },
	{ 'C', "EHLO c.test\r\nNOOP\r\n" },
	{ 'E', "U" },
	{ 0, NULL }
};

static const struct step s_rule[] = {
	{ 'U', "220 up.test ESMTP\r\n" },
	{ 'C', "EHLO c.test\r\n" },
	{ 'U', "250-up.test\r\n250 PIPELINING\r\n" },
	{ 'C', "MAIL FROM:<a@x>\r\nRCPT TO:<no@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n" },
	{ 'U', "250 Ok\r\n250 Ok\r\n250 Ok\r\n354 go\r\n" },
	{ 'C', "hi\r\n.\r\nQUIT\r\n" },
	{ 'U', "250 queued\r\n221 Bye\r\n" },
	{ 0, NULL }
};

static const struct step s_crule[] = {
	{ 'U', "220 up.test ESMTP\r\n" },
	{ 'C', "EHLO c.test\r\n" },
	{ 'U', "250-up.test\r\n250 PIPELINING\r\n" },
	{ 'C', "MAIL FROM:<a@x>\r\nRCPT TO:<in@internal.test>\r\nRCPT TO:<b@x>\r\n" },
	{ 'U', "250 Ok\r\n250 Ok\r\n" },
	{ 'C', "QUIT\r\n" },
	{ 'U', "221 Bye\r\n" },
	{ 0, NULL }
};

static const struct step s_ownauth[] = {
	{ 'U', "220 up.test ESMTP\r\n" },
	{ 'C', "EHLO c.test\r\n" },
	{ 'U', "250-up.test\r\n250-AUTH PLAIN LOGIN\r\n250 PIPELINING\r\n" },
	{ 'C', "AUTH LOGIN\r\n" },
	{ 'C', "dQ==\r\n" },
	{ 'C', "cA==\r\n" },
	{ 'C', "MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\n" },
	{ 'U', "235 2.7.0 ok\r\n" },
	{ 'U', "250 Ok\r\n250 Ok\r\n" },
	{ 'C', "QUIT\r\n" },
	{ 'U', "221 Bye\r\n" },
	{ 0, NULL }
};

static const char *const strip_chunking[] = { "CHUNKING" };

int
main(void)
{
	struct conv cv;

	memset(&cv, 0, sizeof(cv));
	cv.name = "pipelined plain session";
	cv.steps = s_plain;
	cv.content = "Subject: t\r\n\r\n.dot\r\nbare\n.\r\nline\r\n";
	cv.msgs = 1;
	cv.code = 250;
	cv.closed_client = cv.closed_up = 1;
	cv.note = "SMTP smuggling";
	check(&cv);

	memset(&cv, 0, sizeof(cv));
	cv.name = "BDAT chunks pipelined with the envelope";
	cv.steps = s_bdat;
	cv.content = "ab\r\n.\ncxyz";
	cv.msgs = 1;
	cv.code = 250;
	cv.closed_client = cv.closed_up = 1;
	check(&cv);

	memset(&cv, 0, sizeof(cv));
	cv.name = "a message refused upstream, then the client half-closes";
	cv.steps = s_rej;
	cv.content = "x\r\n";
	cv.msgs = 1;
	cv.code = 554;
	cv.to_up = "HELO c.test\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\nx\r\n.\r\nRSET\r\n"
	    "QUIT\r\n";
	cv.to_client = "220 up.test ESMTP\r\n250 up.test\r\n250 Ok\r\n250 Ok\r\n354 go\r\n"
	    "554 5.7.1 no thanks\r\n250 Ok\r\n";
	cv.closed_client = cv.closed_up = 1;
	check(&cv);

	memset(&cv, 0, sizeof(cv));
	cv.name = "STARTTLS terminated by the proxy (upstream none)";
	cv.cfg.up_tls = PROXY_UP_NONE;
	cv.cfg.client_tls = 1;
	cv.cfg.strip = strip_chunking;
	cv.cfg.nstrip = 1;
	cv.steps = s_tls_own;
	cv.to_up = "EHLO c.test\r\nEHLO c.test\r\nQUIT\r\n";
	cv.to_client = "220 up.test ESMTP\r\n250-up.test\r\n250-STARTTLS\r\n250 SIZE 100\r\n"
	    "220 2.0.0 Ready to start TLS (smtpdbg proxy)\r\n250-up.test\r\n250 SIZE 100\r\n"
	    "221 Bye\r\n";
	cv.tls_client = 1;
	cv.closed_client = cv.closed_up = 1;
	cv.note = "CHUNKING removed";
	check(&cv);

	memset(&cv, 0, sizeof(cv));
	cv.name = "mirror: STARTTLS on both legs, AUTH passed through";
	cv.cfg.up_tls = PROXY_UP_MIRROR;
	cv.cfg.client_tls = 1;
	cv.steps = s_mirror;
	cv.tls_client = cv.tls_up = 1;
	cv.closed_client = cv.closed_up = 1;
	check(&cv);

	memset(&cv, 0, sizeof(cv));
	cv.name = "starttls: the upstream leg is secured before the greeting is relayed";
	cv.cfg.up_tls = PROXY_UP_STARTTLS;
	cv.cfg.client_tls = 0;
	cv.cfg.helo = "proxy.test";
	cv.steps = s_first;
	cv.to_up = "EHLO proxy.test\r\nSTARTTLS\r\nEHLO c.test\r\nAUTH LOGIN\r\ndQ==\r\ncA==\r\n"
	    "QUIT\r\n";
	cv.to_client = "220 up.test ESMTP\r\n250-up.test\r\n250 AUTH LOGIN\r\n334 VXNlcm5hbWU6\r\n"
	    "334 UGFzc3dvcmQ6\r\n535 5.7.8 no\r\n";
	cv.tls_up = 1;
	cv.closed_client = cv.closed_up = 1;
	cv.note = "the greeting is held";
	check(&cv);

	memset(&cv, 0, sizeof(cv));
	cv.name = "AUTH refused when only the client's leg is encrypted";
	cv.cfg.up_tls = PROXY_UP_NONE;
	cv.cfg.client_implicit = 1;
	cv.steps = s_noauth;
	cv.to_up = "EHLO c.test\r\nNOOP\r\nQUIT\r\n";
	cv.to_client = "220 up.test ESMTP\r\n250-up.test\r\n250 AUTH PLAIN\r\n"
	    "538 5.7.11 Encryption required for requested authentication mechanism (smtpdbg "
	    "proxy: the upstream leg is not encrypted)\r\n250 Ok\r\n221 Bye\r\n";
	cv.closed_client = cv.closed_up = 1;
	check(&cv);

	memset(&cv, 0, sizeof(cv));
	cv.name = "the upstream closes with commands unanswered: the client gets 421";
	cv.steps = s_updown;
	cv.to_up = "EHLO c.test\r\n";
	cv.to_client = "220 up.test ESMTP\r\n421 4.4.2 smtpdbg proxy: the upstream closed the "
	    "connection without answering\r\n";
	cv.closed_client = cv.closed_up = 1;
	check(&cv);

	memset(&cv, 0, sizeof(cv));
	cv.name = "a decision changes one pipelined reply, the rest is relayed";
	cv.rcpt_rule = 1;
	cv.steps = s_rule;
	cv.to_client = "220 up.test ESMTP\r\n250-up.test\r\n250 PIPELINING\r\n250 Ok\r\n"
	    "450 4.2.0 not now\r\n250 Ok\r\n354 go\r\n250 queued\r\n221 Bye\r\n";
	cv.content = "hi\r\n";
	cv.msgs = 1;
	cv.code = 250;
	cv.closed_client = cv.closed_up = 1;
	check(&cv);
	{
		struct proxy_crule cr[2];
		char	 err[200];
		size_t	 i;
		ok(proxy_crule_parse("MAIL=rewrite MAIL FROM:<other@y>", &cr[0], err,
		    sizeof(err)) == 0, "a rewrite rule parses");
		ok(proxy_crule_parse("RCPT:*@internal.test=drop 550 5.7.1 not from here", &cr[1], err,
		    sizeof(err)) == 0, "a drop rule with a reply parses");
		memset(&cv, 0, sizeof(cv));
		cv.name = "client rules: MAIL rewritten, one RCPT dropped and answered in its turn";
		cv.cfg.crules = cr;
		cv.cfg.ncrules = 2;
		cv.steps = s_crule;
		cv.to_up = "EHLO c.test\r\nMAIL FROM:<other@y>\r\nRCPT TO:<b@x>\r\nQUIT\r\n";
		cv.to_client = "220 up.test ESMTP\r\n250-up.test\r\n250 PIPELINING\r\n250 Ok\r\n"
		    "550 5.7.1 not from here\r\n250 Ok\r\n221 Bye\r\n";
		cv.closed_client = cv.closed_up = 1;
		cv.note = "client rule MAIL=rewrite";
		check(&cv);
		for (i = 0; i < 2; i++)
			proxy_crule_free(&cr[i]);
		ok(proxy_crule_parse("DATA=drop", &cr[0], err, sizeof(err)) == -1 &&
		    strstr(err, "change the session's state") != NULL, "no rules for DATA: %s", err);
		ok(proxy_crule_parse("RCPT#0=drop", &cr[0], err, sizeof(err)) == -1,
		    "#0 is refused: %s", err);
		ok(proxy_crule_parse("RCPT=drop 700", &cr[0], err, sizeof(err)) == -1,
		    "a code over 599 is refused: %s", err);
		ok(proxy_crule_parse("MAIL=bounce", &cr[0], err, sizeof(err)) == -1,
		    "an unknown action is refused: %s", err);
	}
	memset(&cv, 0, sizeof(cv));
	cv.name = "--auth-user: the client's AUTH answered here, the proxy's own upstream "
	    "before the first MAIL";
	cv.cfg.up_user = "bob";
	cv.cfg.up_secret = "pw";
	cv.cfg.up_mech = "PLAIN";
	cv.cfg.up_plaintext_ok = 1;
	cv.cfg.auth_mechs = 1u << SASL_PLAIN | 1u << SASL_LOGIN;
	cv.cfg.auth_any_time = 1;
	cv.steps = s_ownauth;
	cv.to_up = "EHLO c.test\r\nAUTH PLAIN AGJvYgBwdw==\r\nMAIL FROM:<a@x>\r\n"
	    "RCPT TO:<b@x>\r\nQUIT\r\n";
	cv.to_client = "220 up.test ESMTP\r\n250-up.test\r\n250-PIPELINING\r\n"
	    "250 AUTH PLAIN LOGIN\r\n334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"
	    "235 2.7.0 Authentication successful\r\n250 Ok\r\n250 Ok\r\n221 Bye\r\n";
	cv.closed_client = cv.closed_up = 1;
	cv.note = "authenticated with the upstream as \"bob\"";
	check(&cv);
	return tap_done();
}
