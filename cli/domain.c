/*
 * domain - see domain.h.
 *
 * Everything runs at once on the loop: the MX lookup, the MTA-STS and
 * TLS-RPT records; then per MX host its TLSA records; then per address a
 * client through the opening (STARTTLS required, verdicts noted, not
 * fatal).  "pending" counts what is in flight; at zero the findings are
 * weighed and printed.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/client.h"
#include "cli/domain.h"
#include "cli/https.h"
#include "cli/loop.h"
#include "cli/mx.h"
#include "cli/net.h"
#include "cli/opening.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "session/esc.h"
#include "session/json.h"
#include "session/sts.h"
#include "session/xalloc.h"

#define DH_MAX		64	/* addresses probed */
#define TLSA_MAX	8
#define PROBS_MAX	12
#define GREETING_MS	15000
#define STS_FETCH_MS	10000
#define SESS_MAX	(DH_MAX * 32)
#define NCOL		11

/* --checks results */
enum { CHK_NOTRUN, CHK_SAFE, CHK_VULN, CHK_NA, CHK_REFUSED };

/* End-of-data variants for the smuggling check: what a server might take
 * for CR LF . CR LF (the SMTP smuggling research of 2023). */
static const struct { const char *name, *bytes; size_t len; } smug_v[] = {
	{ "\\n.\\n", "\n.\n", 3 },
	{ "\\r.\\r", "\r.\r", 3 },
	{ "\\n.\\r\\n", "\n.\r\n", 4 },
	{ "\\r\\n.\\r", "\r\n.\r", 4 },
	{ "\\r.\\r\\n", "\r.\r\n", 4 },
	{ "\\r\\n.\\n", "\r\n.\n", 4 },
	{ "\\r\\n\\x00.\\r\\n", "\r\n\0.\r\n", 6 },
};
#define SMUG_N		(sizeof(smug_v) / sizeof(smug_v[0]))
#define RELAY_RCPT	"smtpdbg-relay-check@example.net"	/* RFC 2606: never delivered */

struct sess;

enum dane_state { DANE_NONE, DANE_PASS, DANE_FAIL, DANE_INSECURE, DANE_BOGUS, DANE_ERROR };
enum sts_state { STSH_NA, STSH_PASS, STSH_FAIL };

struct problem {
	int	 level;		/* DL_*, or -1: a note */
	char	 text[400];
};

struct tlsa_set {
	int		 done;
	enum dns_sec	 sec;
	size_t		 n;
	char		 rec[TLSA_MAX][300];
	const char	*p[TLSA_MAX];
	char		 name[300];
	char		 why[600];
};

struct dom;

struct dhost {
	struct dom	*d;
	size_t		 mxi;
	char		 ip[46];
	enum dns_sec	 asec;		/* of the address RRset */
	char		 target[80];
	struct client_cfg cfg;		/* what every session to it starts from */
	int		 connected, offered, tls, auth_plain;
	char		 banner[200];
	char		 ehlo[800];	/* keywords, after TLS when there was TLS */
	char		 why[700];
	struct tls_report rep;
	int		 have_rep;
	enum dane_state	 dane;
	enum sts_state	 sts;
	long		 min_days;	/* of every certificate of the chain */
	int		 chain_gap;	/* the chain stops short of a root */
	int		 sides;		/* sessions in flight after the main one */
	unsigned	 vers_ok;	/* bit i: TLS 1.i accepted */
	unsigned	 vers_tried;
	char		 ciphers[400];	/* TLS 1.2 ciphers accepted, in the server's order */
	char		 groups[300];	/* key exchange groups accepted (TLS 1.2) */
	int		 enum_rounds;
	int		 mail_plain;	/* reply code to MAIL without TLS; 0: not asked */
	/* --checks: reply codes, 0 when not asked */
	int		 inj;		/* CHK_* */
	int		 smug[SMUG_N];	/* CHK_* per variant */
	int		 smug_code[SMUG_N];
	int		 relay;		/* RCPT to a domain outside */
	int		 auth_code;	/* AUTH before TLS */
	int		 vrfy, expn;
	char		 vrfy_text[200], expn_text[200];
	int		 level;
	size_t		 nprob;
	struct problem	 prob[PROBS_MAX];
	uint64_t	 t0;
	double		 ms;		/* the probe's own time */
	double		 t;		/* when it ended, from the start of the run */
};

struct tlsa_arg {
	struct dom	*d;
	size_t		 i;
};

struct dom {
	struct run_opts	*ro;
	const struct domain_opts *o;
	char		 name[256];
	struct mx_set	 mx;
	int		 mx_done;
	struct tlsa_set	 tlsa[MX_HOSTS];
	struct tlsa_arg	 targ[MX_HOSTS];
	/* MTA-STS */
	int		 sts_n;		/* v=STSv1 records */
	char		 sts_txt[600];
	enum dns_sec	 sts_sec;
	char		 sts_id[40];
	char		 sts_url[400];
	char		 sts_host[300];
	int		 sts_fetched;
	int		 sts_ok;	/* a policy in force */
	struct sts_policy sts;
	char		 sts_why[800];
	char		 sts_ctype[128];
	/* TLS-RPT */
	int		 rpt_n;
	char		 rpt_txt[600];
	char		 rpt_rua[600];
	char		 rpt_why[400];
	enum dns_sec	 rpt_sec;
	size_t		 nh;
	struct dhost	*h[DH_MAX];
	size_t		 nsess;
	struct sess	*sess[SESS_MAX];
	size_t		 nprob;
	struct problem	 prob[PROBS_MAX];
	int		 pending;
	int		 level;
	int		 changes;	/* --baseline: how many */
	uint64_t	 t0;
};

static void	 unpend(struct dom *);

static const char *const level_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

static void
add_prob(struct problem *pr, size_t *n, int *level, int lv, const char *fmt, va_list ap)
{
	if (*n < PROBS_MAX) {
		pr[*n].level = lv;
		vsnprintf(pr[*n].text, sizeof(pr[*n].text), fmt, ap);
		(*n)++;
	}
	if (lv > *level)
		*level = lv;
}

static void __attribute__((format(printf, 3, 4)))
hprob(struct dhost *h, int lv, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	add_prob(h->prob, &h->nprob, &h->level, lv, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4)))
dprob(struct dom *d, int lv, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	add_prob(d->prob, &d->nprob, &d->level, lv, fmt, ap);
	va_end(ap);
}

/* --- sessions: one per question, all through the same opening ----------- */

/* MAIN: the address's own probe (STARTTLS, the report, EHLO after TLS);
 * then, in sessions of their own, each TLS version alone, the TLS 1.2
 * ciphers and groups (asked again without the one chosen), and MAIL
 * without STARTTLS. */
enum sess_kind { SESS_MAIN, SESS_VERSION, SESS_CIPHER, SESS_GROUP, SESS_PLAIN,
	SESS_INJECT, SESS_SMUGGLE, SESS_RELAY, SESS_AUTH, SESS_VRFY };

#define ENUM_ROUNDS	12	/* handshakes per enumeration at most */

struct sess {
	struct dhost	*h;
	enum sess_kind	 kind;
	int		 ver;		/* SESS_VERSION: 0..3 for TLS 1.0..1.3 */
	char		 prio[700];
	char		 vmin[4];
	struct client_cfg cfg;
	struct client	*cl;
	struct opening	*op;
	int		 quitting, done, tls_ok, mail_sent;
	int		 step;		/* --checks: where the dialogue is */
	char		 cipher[48], group[48];
};

static const char *const tls_vers[] = { "1.0", "1.1", "1.2", "1.3" };

static void	 sess_start(struct dhost *, enum sess_kind, int ver, const char *prio);
static void	 checks_start(struct dhost *);
static void	 send_cmd(struct sess *, const char *);
static void	 host_json(struct dom *, struct dhost *, struct buf *);
static int	 check_step(struct sess *, enum client_ev, int code);

static struct mx_host *
mxh(struct dhost *h)
{
	return &h->d->mx.host[h->mxi];
}

static void
host_fail(struct dhost *h, const char *why)
{
	if (h->why[0] == '\0')
		snprintf(h->why, sizeof(h->why), "%s", why);
}

static void
keywords(char *out, size_t n, const struct caps *c)
{
	size_t	 i, o = 0;

	out[0] = '\0';
	for (i = 0; c && c->valid && i < c->n && o + 1 < n; i++) {
		int k = snprintf(out + o, n - o, "%s%s", o ? " " : "", c->e[i].keyword);
		if (k < 0 || (size_t)k >= n - o)
			break;
		o += (size_t)k;
	}
}

/* plain_caps - what the EHLO reply before TLS offered */
static void
plain_caps(struct dhost *h, const struct caps *c)
{
	if (c && c->valid) {
		h->offered = caps_find(c, "STARTTLS") != NULL;
		h->auth_plain = caps_find(c, "AUTH") != NULL;
	}
}

/* capture - the main session's findings, once the opening is over */
static void
capture(struct sess *ss)
{
	struct dhost	*h = ss->h;
	const struct tls_report *t = client_report(ss->cl);

	if (t && !h->have_rep) {
		h->rep = *t;
		h->have_rep = 1;
	}
	if (!h->tls)
		plain_caps(h, client_caps(ss->cl));
	keywords(h->ehlo, sizeof(h->ehlo), client_caps(ss->cl));
}

/* enumerated - a cipher or group accepted: note it, ask again without it */
static void
enumerated(struct sess *ss)
{
	struct dhost	*h = ss->h;
	const char	*got = ss->kind == SESS_CIPHER ? ss->cipher : ss->group;
	char		*list = ss->kind == SESS_CIPHER ? h->ciphers : h->groups;
	size_t		 room = ss->kind == SESS_CIPHER ? sizeof(h->ciphers) : sizeof(h->groups);
	size_t		 l = strlen(list);
	char		 next[700];

	if (!ss->tls_ok || got[0] == '\0' || strstr(ss->prio, got) != NULL ||
	    ++h->enum_rounds >= 2 * ENUM_ROUNDS)
		return;
	snprintf(list + l, room - l, "%s%s", l ? " " : "", got);
	snprintf(next, sizeof(next), "%.600s:-%s%.48s", ss->prio,
	    ss->kind == SESS_GROUP ? "GROUP-" : "", got);
	sess_start(h, ss->kind, 0, next);
}

/* sides - after the main session, the other questions; the address stays
 * pending until they are all answered */
static void
sides(struct dhost *h)
{
	int	 v;

	h->sides++;
	if (h->tls && !h->d->o->fast) {
		for (v = 0; v < 4; v++)
			sess_start(h, SESS_VERSION, v, NULL);
		sess_start(h, SESS_CIPHER, 0, "NORMAL:-VERS-ALL:+VERS-TLS1.2");
		sess_start(h, SESS_GROUP, 0, "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:"
		    "+ECDHE-RSA:+DHE-RSA");
	}
	if (h->connected && !h->d->o->fast)
		sess_start(h, SESS_PLAIN, 0, NULL);
	if (h->connected)
		checks_start(h);
	if (--h->sides == 0)
		unpend(h->d);
}

/* sess_done - the session's answer is in; its client is freed with the
 * run (a callback of the client's may be on the stack now) */
static void
sess_done(struct sess *ss)
{
	struct dhost	*h = ss->h;

	if (ss->done)
		return;
	ss->done = 1;
	if (client_is_connected(ss->cl))
		client_close(ss->cl, NULL);
	switch (ss->kind) {
	case SESS_MAIN:
		h->ms = (double)(loop_now() - h->t0) / 1000.0;
		h->t = (double)(loop_now() - h->d->t0) / 1000.0;
		sides(h);
		break;
	case SESS_VERSION:
		h->vers_tried |= 1u << ss->ver;
		if (ss->tls_ok)
			h->vers_ok |= 1u << ss->ver;
		break;
	case SESS_CIPHER:
	case SESS_GROUP:
		enumerated(ss);
		break;
	default:
		break;
	}
	if (ss->kind != SESS_MAIN && --h->sides == 0)
		unpend(h->d);
}

static void
sess_quit(struct sess *ss)
{
	char	 err[200];

	ss->quitting = 1;
	if (client_command(ss->cl, "QUIT", err, sizeof(err)) == -1)
		sess_done(ss);
}

static void
sess_event(void *arg, enum client_ev ev, int code)
{
	struct sess	*ss = arg;
	struct dhost	*h = ss->h;
	const struct tls_report *t;
	char		 why[600];

	if (ss->done)
		return;
	if (ss->kind == SESS_MAIN) {
		if (ev == CLIENT_CONNECTED)
			h->connected = 1;
		if (ev == CLIENT_TLS_UP) {
			h->tls = 1;
			plain_caps(h, client_caps_before(ss->cl));
		}
		if (ev == CLIENT_REPLY && client_answers(ss->cl) == SMTP_V_GREETING)
			snprintf(h->banner, sizeof(h->banner), "%s", client_last_line(ss->cl));
	}
	if (ev == CLIENT_TLS_UP && (t = client_report(ss->cl)) != NULL) {
		ss->tls_ok = 1;
		snprintf(ss->cipher, sizeof(ss->cipher), "%s", t->cipher);
		snprintf(ss->group, sizeof(ss->group), "%s", t->group);
	}
	if (ss->kind >= SESS_INJECT && check_step(ss, ev, code))
		return;
	switch (opening_event(ss->op, ev, code)) {
	case OPEN_READY:
		if (ss->kind == SESS_INJECT && ss->step == 2) {
			/* ready again after TLS: QUIT, and see what answers it */
			ss->step = 3;
			send_cmd(ss, "QUIT");
			return;
		}
		if (ss->kind >= SESS_INJECT) {
			ss->step = 1;
			check_step(ss, CLIENT_REPLY, code);
			return;
		}
		if (ss->kind == SESS_MAIN)
			capture(ss);
		if (ss->kind == SESS_PLAIN && !ss->mail_sent) {
			/* MAIL with no TLS; QUIT ends the transaction unsent */
			ss->mail_sent = 1;
			if (client_command(ss->cl, "MAIL FROM:<>", why, sizeof(why)) == -1)
				sess_done(ss);
			return;
		}
		sess_quit(ss);
		return;
	case OPEN_FAILED:
		if (ss->kind == SESS_MAIN) {
			capture(ss);
			host_fail(h, opening_why(ss->op));
		}
		if (opening_may_quit(ss->op))
			sess_quit(ss);
		else
			sess_done(ss);
		return;
	case OPEN_TAKEN:
	case OPEN_STOPPED:
		return;
	case OPEN_PASS:
		break;
	}
	switch (ev) {
	case CLIENT_REPLY:
		if (ss->mail_sent && !ss->quitting && client_answers(ss->cl) == SMTP_V_MAIL) {
			h->mail_plain = code;
			sess_quit(ss);
		} else if (ss->quitting && client_waiting(ss->cl) == 0)
			sess_done(ss);
		return;
	case CLIENT_CLOSED:
	case CLIENT_TIMEOUT:
	case CLIENT_VIOLATION:
	case CLIENT_CONNECT_FAILED:
		if (ss->kind == SESS_MAIN && !ss->quitting) {
			opening_ev_failure(ss->cl, ev, why, sizeof(why));
			host_fail(h, why);
		}
		sess_done(ss);
		return;
	default:
		return;
	}
}

static void
sess_start(struct dhost *h, enum sess_kind kind, int ver, const char *prio)
{
	struct dom	*d = h->d;
	struct sess	*ss;
	struct client_hooks hooks;
	struct opening_cfg oc;
	char		 err[300];

	if (d->nsess == SESS_MAX) {
		if (kind == SESS_MAIN) {
			host_fail(h, "too many sessions for one run");
			unpend(d);
		}
		return;
	}
	ss = xcalloc(1, sizeof(*ss));
	d->sess[d->nsess++] = ss;
	ss->h = h;
	ss->kind = kind;
	ss->ver = ver;
	ss->cfg = h->cfg;
	if (kind != SESS_MAIN)
		ss->cfg.ntlsa = 0;
	if (kind == SESS_VERSION) {
		snprintf(ss->vmin, sizeof(ss->vmin), "%s", tls_vers[ver]);
		ss->cfg.tcfg.tls_min = ss->vmin;
		ss->cfg.tcfg.tls_max = ss->vmin;
		/* TLS 1.0 and 1.1 sign the handshake with SHA-1 */
		ss->cfg.tcfg.priority = ver < 2 ? "NORMAL:%VERIFY_ALLOW_SIGN_WITH_SHA1" : NULL;
	} else if (prio) {
		snprintf(ss->prio, sizeof(ss->prio), "%s", prio);
		ss->cfg.tcfg.priority = ss->prio;
	}
	hooks.on_event = sess_event;
	hooks.arg = ss;
	ss->cl = client_new(&ss->cfg, &hooks);
	memset(&oc, 0, sizeof(oc));
	oc.helo = ss->cfg.helo;
	oc.greet = 1;
	/* the plaintext questions ask before TLS; relay and smuggling go the
	 * way mail goes (TLS when offered); the rest require it */
	oc.starttls = kind == SESS_PLAIN || kind == SESS_INJECT || kind == SESS_AUTH ||
	    kind == SESS_VRFY ? OPEN_TLS_OFF : kind == SESS_RELAY || kind == SESS_SMUGGLE ?
	    OPEN_TLS_TRY : OPEN_TLS_REQUIRED;
	oc.no_verify = 1;
	ss->op = opening_new(ss->cl, &oc);
	if (kind != SESS_MAIN)
		h->sides++;
	if (client_connect(ss->cl, h->target, err, sizeof(err)) == -1) {
		if (kind == SESS_MAIN)
			host_fail(h, err);
		sess_done(ss);
	}
}

/* host_new - an address to ask, silent sessions with the MX name as SNI */
static struct dhost *
host_new(struct dom *d, size_t mxi, const char *ip, const char *target)
{
	struct dhost	*h = xcalloc(1, sizeof(*h));

	d->h[d->nh++] = h;
	h->d = d;
	h->mxi = mxi;
	h->min_days = -1000000;
	snprintf(h->ip, sizeof(h->ip), "%s", ip);
	snprintf(h->target, sizeof(h->target), "%s", target);
	h->cfg = d->ro->ccfg;
	h->cfg.text = 0;
	h->cfg.json = NULL;
	h->cfg.report = 0;
	h->cfg.sni = d->mx.host[mxi].name;
	h->cfg.ntlsa = 0;
	if (h->cfg.timeout_ms == 0)
		h->cfg.greeting_ms = GREETING_MS;
	return h;
}

/* host_start - one address of an MX host */
static void
host_start(struct dom *d, size_t mxi, const char *ip, int v6, enum dns_sec asec)
{
	struct dhost	*h;
	struct tlsa_set	*ts = &d->tlsa[mxi];

	char		 target[80];

	if (d->nh == DH_MAX)
		return;
	snprintf(target, sizeof(target), v6 ? "[%s]:%s" : "%s:%s", ip, d->o->port);
	h = host_new(d, mxi, ip, target);
	h->asec = asec;
	/* RFC 7672 2.2: TLSA records count only when they and the host's
	 * address records are DNSSEC-secure */
	if (ts->n && ts->sec == DNS_SEC_SECURE && asec == DNS_SEC_SECURE) {
		size_t i;
		for (i = 0; i < ts->n; i++)
			h->cfg.tlsa[i] = ts->p[i];
		h->cfg.ntlsa = ts->n;
		h->cfg.tlsa_dnssec = 1;
	}
	h->t0 = loop_now();
	d->pending++;
	sess_start(h, SESS_MAIN, 0, NULL);
}

/* --- --checks: active questions, each in a session of its own ----------- */

static void
send_cmd(struct sess *ss, const char *line)
{
	char	 err[200];

	if (client_command(ss->cl, line, err, sizeof(err)) == -1)
		sess_done(ss);
}

/* smuggle_body - the message: text, the variant, a NOOP the server runs as
 * a command if the variant ended the data, more text, the real end */
static size_t
smuggle_body(size_t v, char *out, size_t n)
{
	int	 k = snprintf(out, n, "Subject: smtpdbg smuggling check, variant %zu (%s)\r\n"
	    "From: <>\r\n\r\nsmtpdbg --checks smuggling: does the server end the data early?",
	    v + 1, smug_v[v].name);
	size_t	 o = k > 0 ? (size_t)k : 0;

	memcpy(out + o, smug_v[v].bytes, smug_v[v].len);
	o += smug_v[v].len;
	o += (size_t)snprintf(out + o, n - o, "NOOP\r\nif you read this line, the data went on\r\n"
	    ".\r\n");
	return o;
}

/* check_step - a --checks session's dialogue after the opening (step 1:
 * it just became ready); 1 when the event was taken */
static int
check_step(struct sess *ss, enum client_ev ev, int code)
{
	struct dhost	*h = ss->h;
	const struct caps *c;
	const struct caps_entry *auth;
	char		 line[600], err[200];
	size_t		 n;

	if (ss->step == 0 || ss->quitting)
		return 0;
	if (ev == CLIENT_VIOLATION && (ss->kind == SESS_INJECT || ss->kind == SESS_SMUGGLE)) {
		/* a reply to nothing: the server ran the command we hid */
		if (ss->kind == SESS_INJECT)
			h->inj = CHK_VULN;
		else if (h->smug[ss->ver] != CHK_REFUSED)
			h->smug[ss->ver] = CHK_VULN;
		sess_done(ss);
		return 1;
	}
	if (ev != CLIENT_REPLY)
		return 0;
	switch (ss->kind) {
	case SESS_INJECT:
		if (ss->step == 1) {
			c = client_caps(ss->cl);
			if (caps_find(c, "STARTTLS") == NULL) {
				h->inj = CHK_NA;
				sess_quit(ss);
				return 1;
			}
			/* STARTTLS and a NOOP in one write: a server that runs
			 * the NOOP after the handshake is vulnerable (RFC 3207 5,
			 * CVE-2011-0411); the opening says EHLO after TLS, and
			 * the NOOP's reply comes as a reply to nothing */
			ss->step = 2;
			if (client_raw(ss->cl, "STARTTLS\r\nNOOP\r\n", 16, err, sizeof(err)) == -1)
				sess_done(ss);
			return 1;
		}
		if (ss->step == 2 && client_answers(ss->cl) == SMTP_V_STARTTLS && code != 220) {
			h->inj = CHK_NA;	/* STARTTLS refused: nothing to inject into */
			sess_quit(ss);
			return 1;
		}
		if (ss->step == 3) {
			/* QUIT is answered by 221, unless the hidden NOOP's
			 * reply moved every reply one place on */
			h->inj = code == 221 ? CHK_SAFE : CHK_VULN;
			sess_done(ss);
			return 1;
		}
		return 0;	/* the STARTTLS reply and the EHLO after TLS: the opening's */
	case SESS_SMUGGLE:
		switch (ss->step) {
		case 1:
			ss->step = 2;
			send_cmd(ss, "MAIL FROM:<>");
			return 1;
		case 2:
			if (code / 100 != 2)
				break;
			ss->step = 3;
			snprintf(line, sizeof(line), "RCPT TO:<%s>", h->d->o->rcpt);
			send_cmd(ss, line);
			return 1;
		case 3:
			if (code / 100 != 2)
				break;
			ss->step = 4;
			send_cmd(ss, "DATA");
			return 1;
		case 4: {
			char body[800];
			if (code != 354)
				break;
			ss->step = 5;
			n = smuggle_body((size_t)ss->ver, body, sizeof(body));
			if (client_raw(ss->cl, body, n, err, sizeof(err)) == -1 ||
			    client_data_sent(ss->cl, err, sizeof(err)) == -1)
				sess_done(ss);
			return 1;
		}
		case 5:
			/* the reply to the end of data; then QUIT: a server that
			 * ended the data early answers the NOOP before it */
			h->smug_code[ss->ver] = code;
			h->smug[ss->ver] = code / 100 == 2 ? CHK_SAFE : CHK_REFUSED;
			ss->step = 6;
			send_cmd(ss, "QUIT");
			return 1;
		case 6:
			if (code != 221)
				h->smug[ss->ver] = CHK_VULN;
			sess_done(ss);
			return 1;
		}
		h->smug_code[ss->ver] = code;
		h->smug[ss->ver] = CHK_NA;	/* could not get to the data */
		sess_quit(ss);
		return 1;
	case SESS_RELAY:
		if (ss->step == 1) {
			ss->step = 2;
			send_cmd(ss, "MAIL FROM:<>");
			return 1;
		}
		if (ss->step == 2 && code / 100 == 2) {
			ss->step = 3;
			send_cmd(ss, "RCPT TO:<" RELAY_RCPT ">");
			return 1;
		}
		if (ss->step == 3)
			h->relay = code;
		if (ss->step == 3 || ss->step == 2) {
			/* nothing is ever sent: RSET, then QUIT */
			ss->step = 4;
			send_cmd(ss, "RSET");
			return 1;
		}
		sess_quit(ss);
		return 1;
	case SESS_AUTH:
		if (ss->step == 1) {
			char mech[32];
			c = client_caps(ss->cl);
			if ((auth = caps_find(c, "AUTH")) == NULL || auth->params[0] == '\0') {
				sess_quit(ss);
				return 1;
			}
			snprintf(mech, sizeof(mech), "%.*s", (int)strcspn(auth->params, " "),
			    auth->params);
			ss->step = 2;
			snprintf(line, sizeof(line), "AUTH %s", mech);
			send_cmd(ss, line);
			return 1;
		}
		if (ss->step == 2) {
			h->auth_code = code;
			if (code == 334) {
				/* cancel the exchange (RFC 4954 4) */
				ss->step = 3;
				if (client_raw(ss->cl, "*\r\n", 3, err, sizeof(err)) == -1)
					sess_done(ss);
				return 1;
			}
		}
		sess_quit(ss);
		return 1;
	case SESS_VRFY:
		if (ss->step == 1) {
			ss->step = (h->d->o->checks & CHECK_VRFY) ? 2 : 3;
			send_cmd(ss, ss->step == 2 ? "VRFY postmaster" : "EXPN postmaster");
			return 1;
		}
		if (ss->step == 2) {
			h->vrfy = code;
			snprintf(h->vrfy_text, sizeof(h->vrfy_text), "%s", client_last_line(ss->cl));
			if (h->d->o->checks & CHECK_EXPN) {
				ss->step = 3;
				send_cmd(ss, "EXPN postmaster");
				return 1;
			}
		}
		if (ss->step == 3) {
			h->expn = code;
			snprintf(h->expn_text, sizeof(h->expn_text), "%s", client_last_line(ss->cl));
		}
		sess_quit(ss);
		return 1;
	default:
		return 0;
	}
}

static void
checks_start(struct dhost *h)
{
	unsigned c = h->d->o->checks;
	size_t	 v;

	if (c & CHECK_INJECTION)
		sess_start(h, SESS_INJECT, 0, NULL);
	if (c & CHECK_SMUGGLING)
		for (v = 0; v < SMUG_N; v++)
			sess_start(h, SESS_SMUGGLE, (int)v, NULL);
	if (c & CHECK_RELAY)
		sess_start(h, SESS_RELAY, 0, NULL);
	if (c & CHECK_PLAINAUTH)
		sess_start(h, SESS_AUTH, 0, NULL);
	if (c & (CHECK_VRFY | CHECK_EXPN))
		sess_start(h, SESS_VRFY, 0, NULL);
}

/* --- DNS ------------------------------------------------------------------ */

static void
on_tlsa(void *arg, const struct dns_answer *a)
{
	struct tlsa_arg	*ta = arg;
	struct dom	*d = ta->d;
	struct tlsa_set	*ts = &d->tlsa[ta->i];
	struct mx_host	*m = &d->mx.host[ta->i];
	size_t		 i;

	ts->done = 1;
	ts->sec = a->sec;
	if (!a->ok)
		snprintf(ts->why, sizeof(ts->why), "%s", a->why);
	for (i = 0; a->ok && i < a->n && ts->n < TLSA_MAX; i++)
		if (dns_tlsa((const unsigned char *)a->data[i], (size_t)a->len[i], ts->rec[ts->n],
		    sizeof(ts->rec[0])) == 0) {
			ts->p[ts->n] = ts->rec[ts->n];
			ts->n++;
		}
	for (i = 0; i < m->n4; i++)
		host_start(d, ta->i, m->a4[i], 0, m->sec4);
	for (i = 0; i < m->n6; i++)
		host_start(d, ta->i, m->a6[i], 1, m->sec6);
	unpend(d);
}

static void
on_mx(void *arg, struct mx_set *s)
{
	struct dom	*d = arg;
	size_t		 i;
	char		 err[300];

	d->mx_done = 1;
	for (i = 0; i < s->nhosts; i++) {
		struct tlsa_set *ts = &d->tlsa[i];
		d->targ[i].d = d;
		d->targ[i].i = i;
		snprintf(ts->name, sizeof(ts->name), "_%s._tcp.%s", d->o->port, s->host[i].name);
		if (resolve_ask(ts->name, DNS_TLSA, on_tlsa, &d->targ[i], err, sizeof(err)) == -1)
			snprintf(ts->why, sizeof(ts->why), "%s", err);
		else
			d->pending++;
	}
	unpend(d);
}

/* txt_one - the TXT record starting with prefix (RFC 8461 3.1, RFC 8460 3:
 * others are discarded, and more than one is an error, said in why with
 * rfc); how many there were */
static int
txt_one(const struct dns_answer *a, const char *prefix, const char *rfc, char *out, size_t n,
    char *why, size_t whyn)
{
	size_t	 i, pl = strlen(prefix);
	int	 found = 0;
	char	 t[700];

	if (!a->ok && !a->nxdomain) {
		snprintf(why, whyn, "%.*s", (int)whyn - 1, a->why);
		return 0;
	}
	for (i = 0; a->ok && i < a->n; i++) {
		if (dns_txt((const unsigned char *)a->data[i], (size_t)a->len[i], t, sizeof(t)) == -1)
			continue;
		if (strncmp(t, prefix, pl) != 0 || (t[pl] != ';' && t[pl] != '\0' && t[pl] != ' '))
			continue;
		if (found++ == 0)
			snprintf(out, n, "%.*s", (int)n - 1, t);
	}
	if (found > 1)
		snprintf(why, whyn, "%d %s TXT records: %s wants exactly one, so senders see "
		    "none", found, prefix, rfc);
	return found;
}

static void
on_policy(void *arg, const struct https_result *r)
{
	struct dom	*d = arg;
	char		 err[300];

	d->sts_fetched = 1;
	snprintf(d->sts_ctype, sizeof(d->sts_ctype), "%s", r->content_type);
	if (!r->ok)
		snprintf(d->sts_why, sizeof(d->sts_why), "the policy %s could not be fetched: %.300s",
		    d->sts_url, r->why);
	else if (strncasecmp(r->content_type, "text/plain", 10) != 0 ||
	    (r->content_type[10] != '\0' && r->content_type[10] != ';'))
		snprintf(d->sts_why, sizeof(d->sts_why), "the policy %s is served as \"%s\", not "
		    "text/plain (RFC 8461 3.3)", d->sts_url, r->content_type[0] ?
		    r->content_type : "(no Content-Type)");
	else if (sts_policy(r->body, r->len, &d->sts, err, sizeof(err)) == -1)
		snprintf(d->sts_why, sizeof(d->sts_why), "the policy %s: %s", d->sts_url, err);
	else
		d->sts_ok = 1;
	unpend(d);
}

static void
on_sts_addr(void *arg, const struct dns_answer *a)
{
	struct dom	*d = arg;
	char		 ip[64], err[300];

	if (!a->ok || a->n == 0 || dns_addr(a->type, (const unsigned char *)a->data[0],
	    (size_t)a->len[0], ip, sizeof(ip)) == -1) {
		if (a->ok && a->type == DNS_A) {
			/* no IPv4 address: try IPv6 */
			if (resolve_ask(d->sts_host, DNS_AAAA, on_sts_addr, d, err, sizeof(err)) != -1)
				return;
		}
		snprintf(d->sts_why, sizeof(d->sts_why), "%.250s has no address: the policy cannot "
		    "be fetched%s%.400s", d->sts_host, a->ok ? "" : ": ", a->ok ? "" : a->why);
		unpend(d);
		return;
	}
	if (https_get(d->sts_url, d->sts_host, d->o->sts_port, ip, d->ro->ccfg.tcfg.ca_file,
	    STS_POLICY_MAX, STS_FETCH_MS, on_policy, d, err, sizeof(err)) == -1) {
		snprintf(d->sts_why, sizeof(d->sts_why), "%s", err);
		unpend(d);
	}
}

/* sts_fetch - the policy of a valid record: its host's address first; 0
 * while that is under way, -1 with sts_why */
static int
sts_fetch(struct dom *d)
{
	char	 err[300];

	if (sts_txt(d->sts_txt, d->sts_id, sizeof(d->sts_id), err, sizeof(err)) == -1) {
		snprintf(d->sts_why, sizeof(d->sts_why), "the TXT record \"%.400s\": %s", d->sts_txt,
		    err);
		return -1;
	}
	snprintf(d->sts_host, sizeof(d->sts_host), "mta-sts.%s", d->name);
	if (d->o->sts_port == 443)
		snprintf(d->sts_url, sizeof(d->sts_url), "https://%s/.well-known/mta-sts.txt",
		    d->sts_host);
	else
		snprintf(d->sts_url, sizeof(d->sts_url), "https://%s:%d/.well-known/mta-sts.txt",
		    d->sts_host, d->o->sts_port);
	if (resolve_ask(d->sts_host, DNS_A, on_sts_addr, d, err, sizeof(err)) == -1) {
		snprintf(d->sts_why, sizeof(d->sts_why), "%s", err);
		return -1;
	}
	return 0;
}

static void
on_sts_txt(void *arg, const struct dns_answer *a)
{
	struct dom	*d = arg;

	d->sts_sec = a->sec;
	d->sts_n = txt_one(a, "v=STSv1", "RFC 8461 3.1", d->sts_txt, sizeof(d->sts_txt),
	    d->sts_why, sizeof(d->sts_why));
	if (d->sts_n == 1 && sts_fetch(d) == 0)
		return;		/* still pending */
	unpend(d);
}

static void
on_rpt(void *arg, const struct dns_answer *a)
{
	struct dom	*d = arg;
	char		 err[300];

	d->rpt_sec = a->sec;
	if ((d->rpt_n = txt_one(a, "v=TLSRPTv1", "RFC 8460 3", d->rpt_txt, sizeof(d->rpt_txt),
	    d->rpt_why, sizeof(d->rpt_why))) == 1 && tlsrpt_txt(d->rpt_txt, d->rpt_rua,
	    sizeof(d->rpt_rua), err, sizeof(err)) == -1)
		snprintf(d->rpt_why, sizeof(d->rpt_why), "\"%.200s\": %.180s", d->rpt_txt, err);
	unpend(d);
}

/* --- weighing --------------------------------------------------------------- */

static long
days_left(time_t t)
{
	time_t	 now = time(NULL);

	return t < now ? -(long)((now - t + 86399) / 86400) : (long)((t - now) / 86400);
}

/* cn - the CN= part of a DN, or the whole DN */
static const char *
cn(const char *dn, char *out, size_t n)
{
	const char *c = strstr(dn, "CN=");

	snprintf(out, n, "%s", c ? c : dn);
	if ((c = strchr(out, ',')) != NULL)
		out[c - out] = '\0';
	return out;
}

/* weigh_checks - what --checks found */
static void
weigh_checks(struct dhost *h)
{
	unsigned c = h->d->o->checks;
	char	 ended[300] = "", refused[300] = "";
	size_t	 v, oe = 0, orf = 0;

	if ((c & CHECK_INJECTION) && h->inj == CHK_VULN)
		hprob(h, DL_CRITICAL, "STARTTLS command injection: a command sent with STARTTLS "
		    "ran after the handshake (CVE-2011-0411 class)");
	else if ((c & CHECK_INJECTION) && h->inj == CHK_SAFE)
		hprob(h, -1, "STARTTLS command injection: not vulnerable");
	else if ((c & CHECK_INJECTION) && h->inj == CHK_NA)
		hprob(h, -1, "STARTTLS command injection: not checked (STARTTLS not offered or "
		    "refused)");
	for (v = 0; (c & CHECK_SMUGGLING) && v < SMUG_N; v++) {
		if (h->smug[v] == CHK_VULN)
			oe += (size_t)snprintf(ended + oe, sizeof(ended) - oe, "%s%s", oe ? ", " : "",
			    smug_v[v].name);
		else if (h->smug[v] == CHK_REFUSED)
			orf += (size_t)snprintf(refused + orf, sizeof(refused) - orf, "%s%s (%d)",
			    orf ? ", " : "", smug_v[v].name, h->smug_code[v]);
		if (oe >= sizeof(ended) || orf >= sizeof(refused))
			break;
	}
	if (ended[0])
		hprob(h, DL_CRITICAL, "SMTP smuggling: the data ends at %s", ended);
	else if (c & CHECK_SMUGGLING)
		hprob(h, -1, "SMTP smuggling: no variant ended the data%s%s", refused[0] ?
		    "; refused: " : "", refused);
	if ((c & CHECK_RELAY) && h->relay / 100 == 2)
		hprob(h, DL_CRITICAL, "open relay? RCPT TO:<" RELAY_RCPT "> got %d (then RSET: "
		    "nothing was sent)", h->relay);
	else if ((c & CHECK_RELAY) && h->relay)
		hprob(h, -1, "relay: RCPT to an outside domain refused (%d)", h->relay);
	if ((c & CHECK_PLAINAUTH) && h->auth_code == 334)
		hprob(h, DL_WARNING, "AUTH is accepted before STARTTLS: credentials would travel "
		    "in plaintext");
	if ((c & CHECK_VRFY) && (h->vrfy == 250 || h->vrfy == 251))
		hprob(h, DL_WARNING, "VRFY answers with real data: %s", h->vrfy_text);
	if ((c & CHECK_EXPN) && (h->expn == 250 || h->expn == 251))
		hprob(h, DL_WARNING, "EXPN answers with real data: %s", h->expn_text);
}

static void
weigh_host(struct dom *d, struct dhost *h)
{
	struct mx_host	*m = mxh(h);
	struct tlsa_set	*ts = &d->tlsa[h->mxi];
	const struct tls_report *t = &h->rep;
	size_t		 i, j;
	int		 sts_on = d->sts_ok && d->sts.mode != STS_NONE;
	int		 sts_lv = d->sts.mode == STS_ENFORCE ? DL_CRITICAL : DL_WARNING;
	int		 dane_ee = 0;
	char		 a[300], b[300];

	/* DANE first: it decides how much the WebPKI verdicts weigh */
	if (ts->n == 0)
		h->dane = ts->sec == DNS_SEC_BOGUS ? DANE_BOGUS : ts->why[0] ? DANE_ERROR : DANE_NONE;
	else if (ts->sec == DNS_SEC_BOGUS || h->asec == DNS_SEC_BOGUS)
		h->dane = DANE_BOGUS;
	else if (ts->sec != DNS_SEC_SECURE || h->asec != DNS_SEC_SECURE)
		h->dane = DANE_INSECURE;
	else if (h->have_rep)
		h->dane = t->dane.v == TLS_PASS ? DANE_PASS : DANE_FAIL;
	else
		h->dane = DANE_FAIL;
	if (h->dane == DANE_BOGUS)
		hprob(h, DL_CRITICAL, "DNSSEC: the TLSA or address records of %s are bogus: "
		    "DANE senders will not deliver (%s)", m->name, ts->why[0] ? ts->why : "bogus");
	else if (h->dane == DANE_ERROR)
		hprob(h, DL_UNKNOWN, "TLSA lookup failed: %s", ts->why);
	else if (h->dane == DANE_INSECURE)
		hprob(h, DL_WARNING, "TLSA present but not secure (TLSA %s, %s %s): DANE senders "
		    "ignore it", resolve_sec_name(ts->sec), m->name, resolve_sec_name(h->asec));
	if (!h->connected) {
		hprob(h, DL_WARNING, "%s", h->why[0] ? h->why : "no connection");
		return;
	}
	weigh_checks(h);
	if (h->auth_plain)
		hprob(h, -1, "AUTH is offered before STARTTLS");
	if (h->mail_plain >= 200 && h->mail_plain < 300)
		hprob(h, -1, "MAIL is accepted without STARTTLS (%d)", h->mail_plain);
	if (!h->tls) {
		hprob(h, DL_CRITICAL, "no TLS: %s", h->why[0] ? h->why : "STARTTLS failed");
		if (h->dane == DANE_PASS || h->dane == DANE_FAIL)
			h->dane = DANE_FAIL;
		if (sts_on)
			h->sts = STSH_FAIL;
		return;
	}
	if (h->dane == DANE_PASS)
		dane_ee = t->dane_usage == 3;
	else if (h->dane == DANE_FAIL)
		hprob(h, DL_CRITICAL, "DANE: %s", t->dane.why);
	/* the chain as presented */
	if (t->pkix_trust.v == TLS_FAIL && t->ncerts > 0) {
		const struct tls_cert_info *last = &t->certs[t->ncerts - 1];
		int found = 0;
		for (j = 0; j < t->ncerts; j++)
			if (strcmp(t->certs[j].subject, last->issuer) == 0)
				found = 1;
		if (!found && strcmp(last->subject, last->issuer) != 0) {
			h->chain_gap = 1;
			hprob(h, dane_ee ? DL_OK : DL_WARNING, "incomplete chain: the server sent %zu "
			    "certificate%s; the issuer %s of the last is not among them",
			    t->ncerts, t->ncerts == 1 ? "" : "s", cn(last->issuer, a, sizeof(a)));
		}
	}
	if (t->pkix_trust.v == TLS_FAIL && !h->chain_gap)
		hprob(h, h->dane == DANE_PASS ? DL_OK : DL_WARNING, "not WebPKI-trusted: %s",
		    t->pkix_trust.why);
	if (t->pkix_name.v == TLS_FAIL)
		hprob(h, dane_ee ? DL_OK : DL_WARNING, "name: %s", t->pkix_name.why);
	for (i = 0; i < t->ncerts; i++) {
		long dl = days_left(t->certs[i].not_after);
		if (i == 0 || dl < h->min_days)
			h->min_days = dl;
	}
	if (t->ncerts) {
		for (i = 0; i < t->ncerts; i++)
			if (days_left(t->certs[i].not_after) == h->min_days)
				break;
		cn(t->certs[i].subject, b, sizeof(b));
		if (h->min_days < 0)
			hprob(h, dane_ee ? DL_WARNING : DL_CRITICAL, "certificate %zu (%s) expired %ld "
			    "day%s ago", i, b, -h->min_days, h->min_days == -1 ? "" : "s");
		else if (h->min_days < d->o->crit_days)
			hprob(h, DL_CRITICAL, "certificate %zu (%s) expires in %ld days (--crit-days "
			    "%d)", i, b, h->min_days, d->o->crit_days);
		else if (h->min_days < d->o->warn_days)
			hprob(h, DL_WARNING, "certificate %zu (%s) expires in %ld days (--warn-days "
			    "%d)", i, b, h->min_days, d->o->warn_days);
	}
	if (t->strength.v == TLS_FAIL)
		hprob(h, DL_WARNING, "strength: %s", t->strength.why);
	if (strcmp(t->protocol, "TLS1.2") != 0 && strcmp(t->protocol, "TLS1.3") != 0)
		hprob(h, DL_WARNING, "%s negotiated: older than TLS 1.2", t->protocol);
	if (h->vers_ok & 3)
		hprob(h, DL_WARNING, "accepts %s%s%s (RFC 8996 deprecates them)",
		    h->vers_ok & 1 ? "TLS 1.0" : "", (h->vers_ok & 3) == 3 ? " and " : "",
		    h->vers_ok & 2 ? "TLS 1.1" : "");

	/* MTA-STS (RFC 8461 4.1, 4.2): the MX name in the policy, and a
	 * certificate valid for it in the WebPKI */
	if (sts_on) {
		int match = 0;
		for (j = 0; j < d->sts.nmx; j++)
			if (sts_mx_match(d->sts.mx[j], m->name))
				match = 1;
		h->sts = STSH_PASS;
		if (!match) {
			h->sts = STSH_FAIL;
			hprob(h, sts_lv, "MTA-STS (%s): %s matches no mx pattern of the policy",
			    sts_mode_name(d->sts.mode), m->name);
		}
		if (t->pkix_trust.v != TLS_PASS || t->pkix_name.v != TLS_PASS ||
		    t->pkix_validity.v == TLS_FAIL) {
			h->sts = STSH_FAIL;
			hprob(h, sts_lv, "MTA-STS (%s): the certificate is not valid for %s in the "
			    "WebPKI (%s)", sts_mode_name(d->sts.mode), m->name,
			    t->pkix_trust.v != TLS_PASS ? "untrusted" : t->pkix_name.v != TLS_PASS ?
			    "name" : "validity");
		}
	}
}

static void
weigh(struct dom *d)
{
	size_t	 i, up = 0;

	if (d->mx.sec == DNS_SEC_BOGUS)
		dprob(d, DL_CRITICAL, "DNSSEC: the MX records are bogus: %s", d->mx.why);
	else if (d->mx.nhosts == 0)
		dprob(d, d->mx.null_mx ? DL_OK : DL_UNKNOWN, "%s", d->mx.why);
	for (i = 0; i < d->mx.nhosts; i++)
		if (d->mx.host[i].n4 + d->mx.host[i].n6 == 0)
			dprob(d, DL_WARNING, "MX %s: %s", d->mx.host[i].name, d->mx.host[i].why);
	if (d->sts_why[0])
		dprob(d, d->sts_n ? DL_CRITICAL : DL_UNKNOWN, "MTA-STS: %s", d->sts_why);
	else if (d->sts_ok && d->sts.mode == STS_TESTING)
		dprob(d, -1, "MTA-STS is in testing mode: senders report failures, and deliver");
	if (d->rpt_why[0])
		dprob(d, DL_WARNING, "TLS-RPT: %s", d->rpt_why);
	for (i = 0; i < d->nh; i++) {
		weigh_host(d, d->h[i]);
		if (d->h[i]->connected)
			up++;
		if (d->h[i]->level > d->level)
			d->level = d->h[i]->level;
	}
	if (d->mx.nhosts && up == 0)
		dprob(d, DL_CRITICAL, "no MX address of %s could be reached", d->name);
}

/* --- --baseline: what changed since an earlier --json run ---------------- */

struct fact {
	char	 host[320];	/* "mx1.example.org [192.0.2.1]" */
	char	 key[80];	/* protocol, cipher, ehlo, versions, certificates.N.sha256 ... */
	char	 val[700];
};

struct facts {
	size_t		 n, cap;
	struct fact	*f;
	/* the object being read */
	int		 is_host;
	char		 mx[256], addr[64];
	size_t		 nline;
	struct fact	 line[64];
};

static int
relevant(const char *path, char *key, size_t n)
{
	const char *dot;

	if (strcmp(path, "protocol") == 0 || strcmp(path, "cipher") == 0 ||
	    strcmp(path, "ehlo") == 0) {
		snprintf(key, n, "%s", path);
		return 1;
	}
	if (strncmp(path, "versions.", 9) == 0) {
		snprintf(key, n, "versions");
		return 1;
	}
	if (strncmp(path, "certificates.", 13) == 0 && (dot = strrchr(path, '.')) != NULL &&
	    (strcmp(dot, ".sha256") == 0 || strcmp(dot, ".issuer") == 0 ||
	    strcmp(dot, ".key") == 0)) {
		snprintf(key, n, "%s", path);
		return 1;
	}
	return 0;
}

static void
fact_cb(void *arg, const char *path, const char *value, int is_string)
{
	struct facts	*fs = arg;
	char		 key[80];
	size_t		 i;

	if (strcmp(path, "event") == 0)
		fs->is_host = strcmp(value, "mx_host") == 0;
	else if (strcmp(path, "mx") == 0)
		snprintf(fs->mx, sizeof(fs->mx), "%s", value);
	else if (strcmp(path, "address") == 0)
		snprintf(fs->addr, sizeof(fs->addr), "%s", value);
	if (!relevant(path, key, sizeof(key)))
		return;
	/* an array's items join into one value */
	for (i = 0; i < fs->nline; i++)
		if (strcmp(fs->line[i].key, key) == 0) {
			size_t l = strlen(fs->line[i].val);
			snprintf(fs->line[i].val + l, sizeof(fs->line[i].val) - l, ",%s", value);
			return;
		}
	if (fs->nline < sizeof(fs->line) / sizeof(fs->line[0])) {
		snprintf(fs->line[fs->nline].key, sizeof(key), "%s", key);
		snprintf(fs->line[fs->nline].val, sizeof(fs->line[0].val), "%s", value);
		fs->nline++;
	}
}

/* facts_add - one JSON line's facts, when it is an mx_host object */
static int
facts_add(struct facts *fs, const char *line, size_t len)
{
	size_t	 i;

	fs->is_host = 0;
	fs->nline = 0;
	fs->mx[0] = fs->addr[0] = '\0';
	if (json_flatten(line, len, fact_cb, fs) == -1)
		return -1;
	if (!fs->is_host)
		return 0;
	for (i = 0; i < fs->nline; i++) {
		if (fs->n == fs->cap) {
			fs->cap = fs->cap ? 2 * fs->cap : 64;
			fs->f = xrealloc(fs->f, fs->cap * sizeof(*fs->f));
		}
		fs->f[fs->n] = fs->line[i];
		snprintf(fs->f[fs->n].host, sizeof(fs->f[0].host), "%.250s [%.60s]", fs->mx, fs->addr);
		fs->n++;
	}
	if (fs->nline == 0) {	/* a host without TLS still counts as there */
		if (fs->n == fs->cap) {
			fs->cap = fs->cap ? 2 * fs->cap : 64;
			fs->f = xrealloc(fs->f, fs->cap * sizeof(*fs->f));
		}
		memset(&fs->f[fs->n], 0, sizeof(fs->f[0]));
		snprintf(fs->f[fs->n].host, sizeof(fs->f[0].host), "%.250s [%.60s]", fs->mx, fs->addr);
		fs->n++;
	}
	return 0;
}

/* baseline_load - the facts of an earlier --json run; -1 with err */
static int
baseline_load(const char *path, struct facts *fs, char *err, size_t errlen)
{
	FILE	*f = fopen(path, "r");
	char	*line = NULL;
	size_t	 cap = 0, n = 0;
	ssize_t	 l;
	int	 rc = 0, hosts = 0;

	memset(fs, 0, sizeof(*fs));
	if (f == NULL) {
		snprintf(err, errlen, "--baseline %s: %s", path, strerror(errno));
		return -1;
	}
	while ((l = getline(&line, &cap, f)) != -1) {
		n++;
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			l--;
		if (l == 0)
			continue;
		if (facts_add(fs, line, (size_t)l) == -1) {
			snprintf(err, errlen, "--baseline %s: line %zu is not JSON", path, n);
			rc = -1;
			break;
		}
		hosts += fs->is_host;
	}
	free(line);
	fclose(f);
	if (rc == 0 && hosts == 0) {
		snprintf(err, errlen, "--baseline %s: no mx_host objects in it (the output of "
		    "probe --mx --json is)", path);
		rc = -1;
	}
	return rc;
}

static const struct fact *
fact_find(const struct facts *fs, const char *host, const char *key)
{
	size_t	 i;

	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->f[i].host, host) == 0 && (key == NULL ||
		    strcmp(fs->f[i].key, key) == 0))
			return &fs->f[i];
	return NULL;
}

/* words_diff - "+ADDED -REMOVED" between two space-separated lists */
static void
words_diff(const char *a, const char *b, char *out, size_t n)
{
	char	 w[100];
	const char *p;
	size_t	 o = 0, l;
	int	 pass;

	out[0] = '\0';
	for (pass = 0; pass < 2; pass++)
		for (p = pass ? a : b; *p; p += l + (p[l] == ' ')) {
			const char *other = pass ? b : a, *q;
			int found = 0;
			l = strcspn(p, " ");
			snprintf(w, sizeof(w), "%.*s", (int)l, p);
			for (q = other; *q; q += strcspn(q, " ") + (q[strcspn(q, " ")] == ' '))
				if (strcspn(q, " ") == l && strncmp(q, p, l) == 0)
					found = 1;
			if (!found && l && o < n)
				o += (size_t)snprintf(out + o, n - o, "%s%c%s", o ? " " : "",
				    pass ? '-' : '+', w);
		}
}

/* baseline_compare - every change from the baseline is a WARNING */
static void
baseline_compare(struct dom *d, const struct facts *old)
{
	struct facts	 now;
	struct buf	 j;
	size_t		 i;
	char		 diff[700];
	const struct fact *f;

	memset(&now, 0, sizeof(now));
	buf_init(&j, 1 << 16);
	for (i = 0; i < d->nh; i++) {
		buf_drain(&j, j.len);
		host_json(d, d->h[i], &j);
		facts_add(&now, (const char *)buf_ptr(&j), j.len);
	}
	buf_free(&j);
	for (i = 0; i < old->n; i++) {
		f = &old->f[i];
		if (i > 0 && strcmp(old->f[i - 1].host, f->host) == 0 &&
		    fact_find(&now, f->host, NULL) == NULL)
			continue;	/* said once */
		if (fact_find(&now, f->host, NULL) == NULL) {
			dprob(d, DL_WARNING, "baseline: %s is gone", f->host);
			d->changes++;
			continue;
		}
		if (f->key[0] == '\0')
			continue;
		const struct fact *g = fact_find(&now, f->host, f->key);
		if (g && strcmp(g->val, f->val) == 0)
			continue;
		d->changes++;
		if (g && strcmp(f->key, "ehlo") == 0) {
			words_diff(f->val, g->val, diff, sizeof(diff));
			dprob(d, DL_WARNING, "baseline: %s ehlo: %s", f->host, diff);
		} else
			dprob(d, DL_WARNING, "baseline: %s %s: %.200s -> %.200s", f->host, f->key,
			    f->val, g ? g->val : "(none)");
	}
	for (i = 0; i < now.n; i++) {
		f = &now.f[i];
		if (fact_find(old, f->host, NULL) == NULL) {
			if (i == 0 || strcmp(now.f[i - 1].host, f->host) != 0) {
				dprob(d, DL_WARNING, "baseline: %s is new", f->host);
				d->changes++;
			}
		} else if (f->key[0] && fact_find(old, f->host, f->key) == NULL) {
			dprob(d, DL_WARNING, "baseline: %s %s: (none) -> %.200s", f->host, f->key,
			    f->val);
			d->changes++;
		}
	}
	free(now.f);
}

/* --- output ------------------------------------------------------------------ */

static const char *
dane_word(const struct dhost *h)
{
	static char b[32];

	switch (h->dane) {
	case DANE_PASS:
		snprintf(b, sizeof(b), "pass (%s)", h->rep.dane_usage == 3 ? "EE" : "TA");
		return b;
	case DANE_FAIL:		return "FAIL";
	case DANE_INSECURE:	return "insecure";
	case DANE_BOGUS:	return "BOGUS";
	case DANE_ERROR:	return "error";
	case DANE_NONE:		break;
	}
	return "none";
}

/* versions - "1.2,1.3" for the versions accepted; "?" when not tried */
static void
versions(const struct dhost *h, char *out, size_t n)
{
	size_t	 o = 0;
	int	 v;

	out[0] = '\0';
	if (h->vers_tried == 0) {
		snprintf(out, n, "-");
		return;
	}
	for (v = 0; v < 4; v++)
		if (h->vers_ok & (1u << v))
			o += (size_t)snprintf(out + o, n - o, "%s%s", o ? "," : "", tls_vers[v]);
	if (o == 0)
		snprintf(out, n, "none");
}

static void
cols(struct dhost *h, char c[NCOL][80])
{
	const struct tls_report *t = &h->rep;

	snprintf(c[0], 80, "%d", mxh(h)->pref);
	if (mxh(h)->pref < 0)
		snprintf(c[0], 80, "-");
	snprintf(c[1], 80, "%s", mxh(h)->name);
	snprintf(c[2], 80, "%s", h->ip);
	snprintf(c[3], 80, "%s", !h->connected ? "unreachable" : !h->tls ? (h->offered ?
	    "failed" : "no STARTTLS") : t->protocol);
	versions(h, c[10], 80);
	snprintf(c[4], 80, "%s", !h->tls ? "-" : h->chain_gap ? "incomplete" :
	    t->pkix_trust.v == TLS_PASS ? "trusted" : "untrusted");
	snprintf(c[5], 80, "%s", !h->tls ? "-" : t->pkix_name.v == TLS_PASS ? "match" :
	    "MISMATCH");
	if (!h->tls || t->ncerts == 0)
		snprintf(c[6], 80, "-");
	else if (h->min_days < 0)
		snprintf(c[6], 80, "EXPIRED");
	else
		snprintf(c[6], 80, "%ldd", h->min_days);
	snprintf(c[7], 80, "%s", dane_word(h));
	snprintf(c[8], 80, "%s", h->sts == STSH_PASS ? "pass" : h->sts == STSH_FAIL ? "FAIL" : "-");
	snprintf(c[9], 80, "%s", level_names[h->level > 0 ? h->level : 0]);
}

static void
verdict_line(struct dom *d)
{
	out_printf("domain %s: %s (%zu address%s in %.0f ms)\n", d->name, level_names[d->level],
	    d->nh, d->nh == 1 ? "" : "es", (double)(loop_now() - d->t0) / 1000.0);
}

static void
print_text(struct dom *d)
{
	static const char *const head[NCOL] = { "MX", "HOST", "ADDRESS", "TLS", "CERTIFICATE",
	    "NAME", "EXPIRY", "DANE", "MTA-STS", "STATUS", "VERSIONS" };
	/* the order on screen */
	static const int ord[NCOL] = { 0, 1, 2, 3, 10, 4, 5, 6, 7, 8, 9 };
	char	 c[NCOL][80];
	size_t	 w[NCOL], i, k;

	out_printf("domain %s: %s; %s\n", d->name, d->mx.implicit ? "no MX, the domain itself" :
	    d->mx.nhosts ? "MX records" : "no mail servers", resolve_where());
	out_printf("  MX RRset: DNSSEC %s\n", resolve_sec_name(d->mx.sec));
	for (i = 0; i < d->mx.nhosts; i++) {
		struct mx_host *m = &d->mx.host[i];
		struct tlsa_set *ts = &d->tlsa[i];
		out_printf("  MX %d %s: %zu IPv4 (%s), %zu IPv6 (%s); TLSA %s: ", m->pref, m->name,
		    m->n4, resolve_sec_name(m->sec4), m->n6, resolve_sec_name(m->sec6), ts->name);
		if (ts->n == 0)
			out_printf("none (%s)\n", ts->why[0] ? ts->why : resolve_sec_name(ts->sec));
		else {
			out_printf("%zu record%s (%s)\n", ts->n, ts->n == 1 ? "" : "s",
			    resolve_sec_name(ts->sec));
			for (k = 0; k < ts->n; k++)
				out_printf("    %s\n", ts->rec[k]);
		}
	}
	if (d->sts_n == 0 && d->sts_why[0] == '\0')
		out_printf("  MTA-STS: no _mta-sts TXT record\n");
	else {
		out_printf("  MTA-STS: \"%s\" (%s)\n", d->sts_txt, resolve_sec_name(d->sts_sec));
		if (d->sts_ok) {
			out_printf("    policy %s: mode %s, max_age %ld, mx", d->sts_url,
			    sts_mode_name(d->sts.mode), d->sts.max_age);
			for (k = 0; k < d->sts.nmx; k++)
				out_printf(" %s", d->sts.mx[k]);
			out_printf("\n");
		}
	}
	if (d->rpt_n == 0 && d->rpt_why[0] == '\0')
		out_printf("  TLS-RPT: no _smtp._tls TXT record\n");
	else
		out_printf("  TLS-RPT: \"%s\" (%s)%s%s\n", d->rpt_txt, resolve_sec_name(d->rpt_sec),
		    d->rpt_why[0] ? "" : ", reports to ", d->rpt_why[0] ? "" : d->rpt_rua);
	out_printf("\n");
	for (k = 0; k < NCOL; k++)
		w[k] = strlen(head[k]);
	for (i = 0; i < d->nh; i++) {
		cols(d->h[i], c);
		for (k = 0; k < NCOL; k++)
			if (strlen(c[k]) > w[k])
				w[k] = strlen(c[k]);
	}
	for (k = 0; k < NCOL; k++)
		out_printf("%-*s%s", k < NCOL - 1 ? (int)w[ord[k]] : 0, head[ord[k]],
		    k < NCOL - 1 ? "  " : "\n");
	for (i = 0; i < d->nh; i++) {
		cols(d->h[i], c);
		for (k = 0; k < NCOL; k++)
			out_printf("%-*s%s", k < NCOL - 1 ? (int)w[ord[k]] : 0, c[ord[k]],
			    k < NCOL - 1 ? "  " : "\n");
	}
	out_printf("\n");
	for (i = 0; i < d->nprob; i++)
		out_printf("%-8s %s\n", d->prob[i].level < 0 ? "note" :
		    level_names[d->prob[i].level], d->prob[i].text);
	for (i = 0; i < d->nh; i++)
		for (k = 0; k < d->h[i]->nprob; k++)
			out_printf("%-8s %s [%s]: %s\n", d->h[i]->prob[k].level < 0 ? "note" :
			    level_names[d->h[i]->prob[k].level], mxh(d->h[i])->name, d->h[i]->ip,
			    d->h[i]->prob[k].text);
	verdict_line(d);
}

/* nagios - one status line and perfdata (the plugin guidelines) */
static void
print_nagios(struct dom *d)
{
	size_t	 i, k, tls = 0;
	long	 min = 100000;
	const char *first = NULL;
	char	 fb[500] = "";

	for (i = 0; i < d->nprob && first == NULL; i++)
		if (d->prob[i].level == d->level && d->level > 0)
			first = d->prob[i].text;
	for (i = 0; i < d->nh; i++) {
		struct dhost *h = d->h[i];
		tls += h->tls;
		if (h->tls && h->rep.ncerts && h->min_days < min)
			min = h->min_days;
		for (k = 0; k < h->nprob && first == NULL; k++)
			if (h->prob[k].level == d->level && d->level > 0) {
				snprintf(fb, sizeof(fb), "%s [%s]: %s", mxh(h)->name, h->ip,
				    h->prob[k].text);
				first = fb;
			}
	}
	printf("SMTP MX %s - %s: %zu address%s, %zu with TLS%s%s | addresses=%zu tls=%zu",
	    level_names[d->level], d->name, d->nh, d->nh == 1 ? "" : "es", tls,
	    first ? "; " : "", first ? first : "", d->nh, tls);
	if (min != 100000)
		printf(" cert_days=%ld;%d;%d", min, d->o->warn_days, d->o->crit_days);
	printf(" time=%.3fs\n", (double)(loop_now() - d->t0) / 1e6);
}

static void
json_str(struct buf *j, const char *k, const char *v)
{
	buf_printf(j, ",\"%s\":\"", k);
	esc_json(j, v, strlen(v));
	buf_puts(j, "\"");
}

static void
json_probs(struct buf *j, const struct problem *p, size_t n)
{
	size_t	 i;

	buf_puts(j, ",\"problems\":[");
	for (i = 0; i < n; i++) {
		buf_printf(j, "%s{\"level\":\"%s\",\"text\":\"", i ? "," : "",
		    p[i].level < 0 ? "note" : level_names[p[i].level]);
		esc_json(j, p[i].text, strlen(p[i].text));
		buf_puts(j, "\"}");
	}
	buf_puts(j, "]");
}

/* json_checks - "checks": what --checks found at one address */
static void
json_checks(struct buf *j, const struct dhost *h)
{
	static const char *const cw[] = { "not run", "safe", "vulnerable", "n/a", "refused" };
	size_t	 v;

	buf_printf(j, ",\"checks\":{\"injection\":\"%s\",\"smuggling\":{", cw[h->inj]);
	for (v = 0; v < SMUG_N; v++) {
		buf_puts(j, v ? ",\"" : "\"");
		esc_json(j, smug_v[v].bytes, smug_v[v].len);
		buf_printf(j, "\":\"%s\"", cw[h->smug[v]]);
	}
	buf_printf(j, "},\"relay\":%d,\"plainauth\":%d,\"vrfy\":%d,\"expn\":%d}", h->relay,
	    h->auth_code, h->vrfy, h->expn);
}

/* host_json - one address as an mx_host object (one line) */
static void
host_json(struct dom *d, struct dhost *h, struct buf *j)
{
	const struct tls_report *t = &h->rep;
	size_t	 k;

	buf_printf(j, "{\"t\":%.1f,\"event\":\"mx_host\"", h->t);
	json_str(j, "domain", d->name);
	json_str(j, "mx", mxh(h)->name);
	buf_printf(j, ",\"pref\":%d", mxh(h)->pref);
	json_str(j, "address", h->ip);
	json_str(j, "address_dnssec", resolve_sec_name(h->asec));
	json_str(j, "tlsa_dnssec", resolve_sec_name(d->tlsa[h->mxi].sec));
	buf_printf(j, ",\"tlsa_records\":%zu", d->tlsa[h->mxi].n);
	buf_printf(j, ",\"connected\":%s,\"starttls\":%s,\"tls\":%s,\"auth_before_tls\":%s",
	    h->connected ? "true" : "false", h->offered ? "true" : "false",
	    h->tls ? "true" : "false", h->auth_plain ? "true" : "false");
	json_str(j, "banner", h->banner);
	json_str(j, "ehlo", h->ehlo);
	if (h->tls) {
		json_str(j, "protocol", t->protocol);
		json_str(j, "cipher", t->cipher);
		json_str(j, "group", t->group);
		json_str(j, "trust", tls_verdict_name(t->pkix_trust.v));
		json_str(j, "hostname", tls_verdict_name(t->pkix_name.v));
		json_str(j, "validity", tls_verdict_name(t->pkix_validity.v));
		buf_printf(j, ",\"incomplete_chain\":%s,\"min_days\":%ld",
		    h->chain_gap ? "true" : "false", h->min_days);
		buf_puts(j, ",\"certificates\":[");
		for (k = 0; k < t->ncerts; k++) {
			const struct tls_cert_info *c = &t->certs[k];
			buf_printf(j, "%s{\"depth\":%zu", k ? "," : "", k);
			json_str(j, "subject", c->subject);
			json_str(j, "issuer", c->issuer);
			json_str(j, "key", c->key);
			json_str(j, "sha256", c->sha256);
			json_str(j, "pin", c->pin);
			buf_printf(j, ",\"not_after\":%lld}", (long long)c->not_after);
		}
		buf_puts(j, "]");
	}
	{
		char v[40];
		int k2;
		buf_puts(j, ",\"versions\":[");
		for (v[0] = '\0', k2 = 0; k2 < 4; k2++)
			if (h->vers_ok & (1u << k2))
				buf_printf(j, "%s\"%s\"", v[0]++ ? "," : "", tls_vers[k2]);
		buf_puts(j, "]");
	}
	json_str(j, "ciphers_tls12", h->ciphers);
	json_str(j, "groups_tls12", h->groups);
	buf_printf(j, ",\"mail_without_tls\":%d", h->mail_plain);
	if (d->o->checks)
		json_checks(j, h);
	json_str(j, "dane", h->dane == DANE_PASS ? "pass" : h->dane == DANE_FAIL ? "fail" :
	    h->dane == DANE_INSECURE ? "insecure" : h->dane == DANE_BOGUS ? "bogus" :
	    h->dane == DANE_ERROR ? "error" : "none");
	json_str(j, "mta_sts", h->sts == STSH_PASS ? "pass" : h->sts == STSH_FAIL ? "fail" :
	    "n/a");
	if (h->why[0])
		json_str(j, "reason", h->why);
	json_str(j, "status", level_names[h->level > 0 ? h->level : 0]);
	json_probs(j, h->prob, h->nprob);
	buf_printf(j, ",\"ms\":%.1f}\n", h->ms);
}

static void
print_json(struct dom *d, FILE *f)
{
	struct buf j;
	size_t	 i;

	buf_init(&j, 1 << 20);
	for (i = 0; i < d->nh; i++)
		host_json(d, d->h[i], &j);
	buf_printf(&j, "{\"t\":%.1f,\"event\":\"domain\"", (double)(loop_now() - d->t0) / 1000.0);
	json_str(&j, "domain", d->name);
	json_str(&j, "mx_dnssec", resolve_sec_name(d->mx.sec));
	buf_printf(&j, ",\"implicit_mx\":%s,\"null_mx\":%s,\"addresses\":%zu",
	    d->mx.implicit ? "true" : "false", d->mx.null_mx ? "true" : "false", d->nh);
	if (d->sts_ok) {
		json_str(&j, "mta_sts_mode", sts_mode_name(d->sts.mode));
		json_str(&j, "mta_sts_id", d->sts_id);
		buf_printf(&j, ",\"mta_sts_max_age\":%ld", d->sts.max_age);
	} else
		json_str(&j, "mta_sts_mode", d->sts_n ? "error" : "absent");
	json_str(&j, "mta_sts_dnssec", resolve_sec_name(d->sts_sec));
	json_str(&j, "tlsrpt", d->rpt_n == 0 ? "" : d->rpt_rua);
	json_str(&j, "tlsrpt_dnssec", resolve_sec_name(d->rpt_sec));
	if (d->o->baseline)
		buf_printf(&j, ",\"baseline_changes\":%d", d->changes);
	json_str(&j, "status", level_names[d->level]);
	json_probs(&j, d->prob, d->nprob);
	buf_printf(&j, ",\"ms\":%.1f}\n", (double)(loop_now() - d->t0) / 1000.0);
	fwrite(buf_ptr(&j), 1, j.len, f);
	fflush(f);
	buf_free(&j);
}

static int
level_exit(int level)
{
	return level == DL_OK ? 0 : level == DL_WARNING ? EXIT_DOMAIN_WARN :
	    level == DL_CRITICAL ? EXIT_TLS : EXIT_MX;
}

static void
dom_free(struct dom *d)
{
	size_t	 i;

	for (i = 0; i < d->nsess; i++) {
		opening_free(d->sess[i]->op);
		client_free(d->sess[i]->cl);
		free(d->sess[i]);
	}
	for (i = 0; i < d->nh; i++)
		free(d->h[i]);
	free(d);
}

/* announce - the smuggling check sends mail: say so before it starts */
static void
announce(struct dom *d)
{
	if (d->o->checks & CHECK_SMUGGLING)
		fprintf(stderr, "smtpdbg: --checks smuggling sends %zu messages to <%s> through "
		    "every address it checks\n", SMUG_N, d->o->rcpt);
}

static void
unpend(struct dom *d)
{
	if (--d->pending == 0)
		loop_quit(0);
}

int
domain_run(struct run_opts *ro, const struct domain_opts *o, const char *name)
{
	struct dom	*d = xcalloc(1, sizeof(*d));
	struct facts	 base;
	char		 err[600], q[300];
	int		 code;

	memset(&base, 0, sizeof(base));

	d->ro = ro;
	d->o = o;
	d->t0 = loop_now();
	if (o->baseline && baseline_load(o->baseline, &base, err, sizeof(err)) == -1) {
		fprintf(stderr, "smtpdbg: probe: %s\n", err);
		free(base.f);
		free(d);
		return o->nagios ? DL_UNKNOWN : EXIT_USAGE;
	}
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (d->name[0] && d->name[strlen(d->name) - 1] == '.')
		d->name[strlen(d->name) - 1] = '\0';
	if (mx_lookup(d->name, &d->mx, on_mx, d, err, sizeof(err)) == -1) {
		fprintf(stderr, "smtpdbg: probe --mx: %s\n", err);
		free(base.f);
		free(d);
		return o->nagios ? DL_UNKNOWN : EXIT_USAGE;
	}
	announce(d);
	d->pending = 1;
	snprintf(q, sizeof(q), "_mta-sts.%s", d->name);
	if (resolve_ask(q, DNS_TXT, on_sts_txt, d, err, sizeof(err)) != -1)
		d->pending++;
	snprintf(q, sizeof(q), "_smtp._tls.%s", d->name);
	if (resolve_ask(q, DNS_TXT, on_rpt, d, err, sizeof(err)) != -1)
		d->pending++;
	loop_run();
	weigh(d);
	if (o->baseline) {
		baseline_compare(d, &base);
		free(base.f);
	}
	if (o->nagios)
		print_nagios(d);
	else if (!ro->quiet)
		print_text(d);
	else if (!ro->ccfg.json)
		verdict_line(d);	/* -q: only the verdict */
	if (ro->ccfg.json)
		print_json(d, ro->ccfg.json);
	fflush(stdout);
	code = o->nagios ? (int)d->level : level_exit(d->level);
	dom_free(d);
	return code;
}

int
domain_checks_host(struct run_opts *ro, const struct domain_opts *o, const char *target)
{
	struct dom	*d = xcalloc(1, sizeof(*d));
	struct dhost	*h;
	struct net_target t;
	char		 err[200];
	size_t		 k;
	int		 code;

	if (net_parse(target, "25", &t, err, sizeof(err)) == -1 || t.path[0]) {
		fprintf(stderr, "smtpdbg: probe --checks: %s\n", t.path[0] ? "a Unix socket has "
		    "no MX to check" : err);
		free(d);
		return EXIT_USAGE;
	}
	d->ro = ro;
	d->o = o;
	d->t0 = loop_now();
	snprintf(d->name, sizeof(d->name), "%s", t.host);
	d->mx.nhosts = 1;
	d->mx.host[0].pref = -1;
	snprintf(d->mx.host[0].name, sizeof(d->mx.host[0].name), "%s", t.host);
	h = host_new(d, 0, t.host, target);
	announce(d);
	d->pending = 1;
	h->sides = 1;
	checks_start(h);
	if (--h->sides == 0)
		unpend(d);
	loop_run();
	weigh_checks(h);
	for (k = 0; k < h->nprob && !(ro->quiet && ro->ccfg.json); k++)
		out_printf("%-8s %s: %s\n", h->prob[k].level < 0 ? "note" :
		    level_names[h->prob[k].level], target, h->prob[k].text);
	if (ro->ccfg.json) {
		struct buf j;
		buf_init(&j, 1 << 16);
		buf_printf(&j, "{\"t\":%.1f,\"event\":\"checks\"",
		    (double)(loop_now() - d->t0) / 1000.0);
		json_str(&j, "target", target);
		json_checks(&j, h);
		json_str(&j, "status", level_names[h->level > 0 ? h->level : 0]);
		json_probs(&j, h->prob, h->nprob);
		buf_puts(&j, "}\n");
		fwrite(buf_ptr(&j), 1, j.len, ro->ccfg.json);
		fflush(ro->ccfg.json);
		buf_free(&j);
	}
	code = level_exit(h->level > 0 ? h->level : 0);
	dom_free(d);
	return code;
}

int
domain_checks_parse(const char *list, unsigned *out, char *err, size_t errlen)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{ "injection", CHECK_INJECTION }, { "smuggling", CHECK_SMUGGLING },
		{ "relay", CHECK_RELAY }, { "plainauth", CHECK_PLAINAUTH },
		{ "vrfy", CHECK_VRFY }, { "expn", CHECK_EXPN },
		{ "all", CHECK_INJECTION | CHECK_SMUGGLING | CHECK_RELAY | CHECK_PLAINAUTH |
		    CHECK_VRFY | CHECK_EXPN },
	};
	const char *p = list;
	size_t	 i, l;

	while (*p) {
		l = strcspn(p, ",");
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == l && strncmp(p, names[i].name, l) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0])) {
			snprintf(err, errlen, "--checks: \"%.*s\" is not one of injection, smuggling, "
			    "relay, plainauth, vrfy, expn, all", (int)l, p);
			return -1;
		}
		*out |= names[i].bit;
		p += l;
		if (*p == ',')
			p++;
	}
	return 0;
}
