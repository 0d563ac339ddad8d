/*
 * proxy - client sessions relayed to an upstream server, on the loop.
 *
 * Each session owns two connections (the client's, accepted here, and the
 * upstream's, made here), one relay engine between them and one
 * transcript for both.  Reads on each leg are bounded by what the other
 * leg has not written yet (back-pressure both ways).  A leg closes when
 * the engine asks and its output is written; the session ends when both
 * have.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/listen.h"
#include "cli/loop.h"
#include "cli/net.h"
#include "cli/out.h"
#include "cli/proxy.h"
#include "cli/sinktx.h"
#include "cli/store.h"
#include "cli/tx.h"
#include "session/esc.h"
#include "session/line.h"
#include "session/rules.h"
#include "session/xalloc.h"
#include "tls/report.h"
#include "tls/tls.h"
#include "tls/xport.h"

#define BACKLOG_MAX	65536	/* bytes waiting for a leg before the other is not read */

struct leg {
	struct xport		*xp;		/* NULL: not connected (yet) */
	int			 handshaking;
	int			 want_close;	/* close once out is written */
	int			 closed;
	int			 eof;
	uint64_t		 hs_start;
};

/* a copy being made durable: its session may end first */
struct copy {
	struct store_job	*job;
	struct psess		*s;		/* NULL once the session has ended */
	unsigned		 session;
	struct copy		*next;
};

struct psess {
	struct leg		 l[2];		/* PROXY_CLIENT, PROXY_UPSTREAM */
	struct smtp_proxy	*px;
	struct tx		 tx;
	struct sinktx		 stx;
	struct net_connect	*nc;
	struct loop_timer	*idle;		/* the client said nothing */
	struct slow_watch	 slow;		/* a command line or the data is late */
	struct loop_timer	*wait;		/* the upstream's reply is late */
	struct loop_timer	*hold;		/* a rule's delay */
	struct loop_timer	*drip;
	unsigned		 drip_ms;
	struct smtp_decision	*held;
	unsigned		 tls_fault;	/* for the client leg's handshake */
	int			 implicit;	/* the client came to the implicit-TLS port */
	int			 tls_due;	/* the client leg starts TLS once out is written */
	int			 tls_aborting;	/* a rule: the ClientHello gets an alert */
	struct buf		 upend;		/* upstream bytes not taken yet (a decision) */
	struct store_job	*job;		/* the message being copied */
	struct copy		*copies;	/* copies not yet durable */
	char			 peer[64], ip[64];
	char			 rsuffix[96];
	struct psess		*prev, *next;
};

static struct proxy_opts *po;
static struct sink_cfg	*cfg;
static struct sinktx_cfg stxcfg;
static struct listen_ctx lctx;
static struct tls_ctx	*cctx;		/* towards the upstream */
static struct net_target up;
static int		 up_implicit;	/* smtps:// or --upstream-tls tls */
static struct listener	 lst[2] = { { .fd = -1 }, { .fd = -1 } };	/* plain, implicit TLS */
static struct psess	*sessions;
static struct sink_stats stats;
static const struct proxy_events pevents;

static void	 sess_update(struct psess *);
static void	 leg_io(int, unsigned, void *);

#define want_tx(s)	(cfg->text || (s)->tx.json)

/* ---- the transcript ---- */

/* route - how a line is marked: each leg's letter with '~' when encrypted */
static void
route(struct psess *s, char from, char to, const char *leg)
{
	static char r[8], jr[4];
	int	 ct = smtp_proxy_tls(s->px, PROXY_CLIENT), ut = smtp_proxy_tls(s->px, PROXY_UPSTREAM);

	r[0] = from;
	r[1] = from == 'C' ? (ct ? '~' : ':') : from == 'U' ? (ut ? '~' : ':') : '-';
	r[2] = '>';
	r[3] = to;
	r[4] = to == 'C' ? (ct ? '~' : ':') : to == 'U' ? (ut ? '~' : ':') : '-';
	r[5] = '\0';
	jr[0] = from;
	jr[1] = '>';
	jr[2] = to;
	jr[3] = '\0';
	s->tx.route = r;
	s->tx.jroute = jr;
	s->tx.leg = leg;
	s->tx.tls = strcmp(leg, "client") == 0 ? ct : ut;
}

static void
unroute(struct psess *s)
{
	s->tx.route = s->tx.jroute = s->tx.leg = s->tx.suffix = NULL;
	s->tx.proxy_us = -1;
}

static void
ev_client_line(void *arg, const unsigned char *p, size_t n, unsigned flags, int in_data,
    enum proxy_route r)
{
	struct psess *s = arg;

	if (!want_tx(s))
		return;
	route(s, 'C', r == PROXY_RELAYED ? 'U' : 'P', "client");
	sinktx_input(&s->tx, &s->stx, &stxcfg, loop_now(), p, n, flags, in_data, NULL);
	unroute(s);
}

static void
ev_upstream_line(void *arg, const unsigned char *p, size_t n, unsigned flags, int code,
    enum proxy_route r, int64_t lat, int64_t pxl)
{
	struct psess *s = arg;

	if (code >= 400 && code <= 599 && (n < 4 || p[3] != '-'))
		stats.rejects++;
	if (!want_tx(s))
		return;
	route(s, 'U', r == PROXY_RELAYED ? 'C' : 'P', "upstream");
	if (lat >= 0) {
		if (pxl >= 0)
			snprintf(s->rsuffix, sizeof(s->rsuffix), "(upstream %.3f ms, proxy %.3f ms)",
			    (double)lat / 1000.0, (double)pxl / 1000.0);
		else
			snprintf(s->rsuffix, sizeof(s->rsuffix), "(upstream %.3f ms)",
			    (double)lat / 1000.0);
		s->tx.suffix = s->rsuffix;
		s->tx.proxy_us = pxl;
	}
	tx_line(&s->tx, loop_now(), TX_S, p, n, flags, lat, code > 0 ? code : 0, NULL, NULL);
	unroute(s);
}

static void
ev_own_line(void *arg, enum proxy_leg leg, const unsigned char *p, size_t n, unsigned flags)
{
	struct psess *s = arg;
	int	 code = 0;

	if (!want_tx(s))
		return;
	if (flags & LINE_SECRET) {
		/* the proxy's own credentials: masked as a client's are */
		route(s, 'P', 'U', "upstream");
		sinktx_input(&s->tx, &s->stx, &stxcfg, loop_now(), p, n,
		    line_classify(p, n, 512) | LINE_SECRET, 0, NULL);
		unroute(s);
		return;
	}
	if (leg == PROXY_CLIENT) {
		route(s, 'P', 'C', "client");
		if (n >= 3 && p[0] >= '2' && p[0] <= '5')
			code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
		if (code >= 400 && (n < 4 || p[3] != '-'))
			stats.rejects++;
		tx_line(&s->tx, loop_now(), TX_S, p, n, line_classify(p, n, 512), -1, code, NULL,
		    NULL);
	} else {
		route(s, 'P', 'U', "upstream");
		tx_line(&s->tx, loop_now(), TX_C, p, n, line_classify(p, n, 512), -1, 0, NULL, NULL);
	}
	unroute(s);
}

static void
ev_note(void *arg, char kind, const char *msg)
{
	struct psess *s = arg;

	if (want_tx(s))
		tx_text(&s->tx, loop_now(), kind, msg);
}

/* ---- TLS ---- */

static void
hs_start_client(struct psess *s)
{
	char		 err[256];
	int		 fd;
	struct tls_ctx	*use = s->tls_fault & SMTP_F_CERT_EXPIRED && lctx.expired ? lctx.expired :
	    s->tls_fault & SMTP_F_CERT_NAME && lctx.wrongname ? lctx.wrongname : lctx.ctx;
	struct leg	*l = &s->l[PROXY_CLIENT];

	s->tls_due = 0;
	if (s->tls_fault & SMTP_F_TLS_ABORT) {
		s->tls_aborting = 1;	/* leg_io answers the ClientHello with an alert */
		return;
	}
	fd = xport_detach(l->xp);
	if ((l->xp = xport_tls_server(fd, use, err, sizeof(err))) == NULL) {
		l->xp = xport_plain(fd);
		smtp_proxy_tls_failed(s->px, PROXY_CLIENT, err, loop_now());
		return;
	}
	l->handshaking = 1;
	l->hs_start = loop_now();
}

static void
hs_start_up(struct psess *s)
{
	char		 err[256];
	int		 fd;
	const char	*sni = po->no_sni ? NULL : po->sni ? po->sni :
	    net_is_ip(up.host) || up.path[0] ? NULL : up.host;
	struct leg	*l = &s->l[PROXY_UPSTREAM];

	fd = xport_detach(l->xp);
	if ((l->xp = xport_tls_client(fd, cctx, sni, err, sizeof(err))) == NULL) {
		l->xp = xport_plain(fd);
		smtp_proxy_tls_failed(s->px, PROXY_UPSTREAM, err, loop_now());
		return;
	}
	l->handshaking = 1;
	l->hs_start = loop_now();
	if (want_tx(s))
		tx_note(&s->tx, loop_now(), '*', "TLS handshake with the upstream, SNI %s",
		    sni ? sni : po->no_sni ? "not sent (--no-sni)" : "not sent (IP literal)");
}

static void
ev_tls(void *arg, enum proxy_leg leg)
{
	struct psess *s = arg;

	if (leg == PROXY_CLIENT)
		s->tls_due = 1;	/* once the 220 is written */
	else
		hs_start_up(s);
}

/* up_report - the upstream's certificate report; -1 when it fails and
 * --no-verify was not given (words in why) */
static int
up_report(struct psess *s, char *why, size_t wl)
{
	struct tls_report_opts o;
	struct tls_report *r = xcalloc(1, sizeof(*r));
	struct buf	 b;
	char		 err[256];
	const struct tls_check *cs[4];
	size_t		 i, w = 0;
	int		 failed;

	memset(&o, 0, sizeof(o));
	o.verify_name = po->sni ? po->sni : up.path[0] ? NULL : up.host;
	o.sni = po->no_sni ? NULL : po->sni ? po->sni : net_is_ip(up.host) ? NULL : up.host;
	o.handshake_ms = (double)(loop_now() - s->l[PROXY_UPSTREAM].hs_start) / 1000.0;
	if (tls_report_fill(s->l[PROXY_UPSTREAM].xp, &o, r, err, sizeof(err)) == -1) {
		snprintf(why, wl, "no certificate report: %s", err);
		free(r);
		return po->no_verify ? 0 : -1;
	}
	if (cfg->text) {
		const unsigned char *p, *lf, *e;
		buf_init(&b, 1 << 20);
		tls_report_text(r, 0, &b);
		for (p = buf_ptr(&b), e = p + b.len; p < e && (lf = memchr(p, '\n',
		    (size_t)(e - p))) != NULL; p = lf + 1) {
			char line[600];
			snprintf(line, sizeof(line), "upstream %.*s", (int)(lf - p), (const char *)p);
			tx_text(&s->tx, loop_now(), '*', line);
		}
		buf_free(&b);
	}
	if (s->tx.json) {
		buf_init(&b, 1 << 20);
		buf_puts(&b, ",\"leg\":\"upstream\"");
		tls_report_json(r, &b);
		buf_append(&b, "", 1);
		tx_event(&s->tx, loop_now(), "tls", (const char *)buf_ptr(&b));
		buf_free(&b);
	}
	failed = tls_report_failed(r);
	cs[0] = &r->trust;
	cs[1] = &r->name;
	cs[2] = &r->validity;
	cs[3] = &r->dane;
	why[0] = '\0';
	for (i = 0; i < 4; i++)
		if (cs[i]->v == TLS_FAIL)
			w += (size_t)snprintf(why + w, w < wl ? wl - w : 0, "%s%s", w ? "; " : "",
			    cs[i]->why);
	free(r);
	if (failed && w && !po->no_verify)
		return -1;
	if (failed && w && want_tx(s))
		tx_note(&s->tx, loop_now(), '!', "the upstream's certificate fails verification, "
		    "relayed anyway (--no-verify): %s", why);
	return 0;
}

/* hs_step - advance a leg's handshake */
static void
hs_step(struct psess *s, enum proxy_leg leg)
{
	struct leg	*l = &s->l[leg];
	char		 desc[160], why[600];
	int		 r = xport_handshake(l->xp);

	if (r == 1)
		return;
	l->handshaking = 0;
	if (r == -1) {
		smtp_proxy_tls_failed(s->px, leg, xport_error(l->xp), loop_now());
		return;
	}
	tls_session_desc(l->xp, desc, sizeof(desc));
	if (want_tx(s)) {
		char	 m[400];
		if (leg == PROXY_CLIENT) {
			char sni[300];
			tls_peer_sni(l->xp, sni, sizeof(sni));
			tx_note(&s->tx, loop_now(), '*', "TLS with the client: %s in %.1f ms; SNI %s",
			    desc, (double)(loop_now() - l->hs_start) / 1000.0, sni[0] ? sni : "none");
		} else
			tx_note(&s->tx, loop_now(), '*', "TLS with the upstream: %s in %.1f ms", desc,
			    (double)(loop_now() - l->hs_start) / 1000.0);
		snprintf(m, sizeof(m), ",\"leg\":\"%s\",\"desc\":\"%s\"",
		    leg == PROXY_CLIENT ? "client" : "upstream", desc);
		tx_event(&s->tx, loop_now(), "handshake", m);
	}
	if (leg == PROXY_UPSTREAM && up_report(s, why, sizeof(why)) == -1) {
		smtp_proxy_tls_failed(s->px, leg, why, loop_now());
		return;
	}
	smtp_proxy_tls_up(s->px, leg, loop_now());
}

/* ---- messages ---- */

static void
ev_data_start(void *arg, const char *from)
{
	struct psess *s = arg;

	if (store_enabled() && s->job == NULL)
		s->job = store_begin(from);
}

static void
ev_data(void *arg, const unsigned char *p, size_t n)
{
	struct psess *s = arg;

	if (s->job)
		store_write(s->job, p, n);
}

static void
stored(void *arg, const struct store_result *r)
{
	struct copy	*cp = arg, **pp;
	struct psess	*s = cp->s, gone;

	if (s) {
		for (pp = &s->copies; *pp && *pp != cp; pp = &(*pp)->next)
			;
		if (*pp)
			*pp = cp->next;
	} else {
		/* the session ended first: its transcript still hears */
		memset(&gone, 0, sizeof(gone));
		gone.tx.wall = 1;
		gone.tx.session = cp->session;
		gone.tx.text = cfg->text;
		gone.tx.json = cfg->json;
		s = &gone;
	}
	free(cp);

	if (r->ok) {
		if (want_tx(s))
			tx_note(&s->tx, loop_now(), '*', "copy stored as %s%s", r->path[0] ? r->path :
			    r->name, store_fsync() ? " (fsynced)" : " (--no-fsync)");
	} else {
		stats.errors++;
		if (want_tx(s))
			tx_note(&s->tx, loop_now(), '!', "the copy could not be stored: %s", r->err);
	}
}

static void
ev_message(void *arg, const struct proxy_message *m)
{
	struct psess	*s = arg;
	struct buf	 t, j;
	size_t		 i;

	stats.messages++;
	stats.bytes += m->size;
	buf_init(&t, SIZE_MAX);
	buf_init(&j, SIZE_MAX);
	buf_printf(&t, "message %lu from <", stats.messages);
	esc_text(&t, m->from, strlen(m->from), 1);
	buf_puts(&t, "> to ");
	buf_printf(&j, ",\"seq\":%lu,\"session_seq\":%u,\"from\":\"", stats.messages, m->seq);
	esc_json_utf8(&j, m->from, strlen(m->from));
	buf_puts(&j, "\",\"rcpt\":[");
	for (i = 0; i < m->nrcpt; i++) {
		buf_puts(&t, i ? ",<" : "<");
		esc_text(&t, m->rcpt[i], strlen(m->rcpt[i]), 1);
		buf_puts(&t, ">");
		buf_printf(&j, "%s\"", i ? "," : "");
		esc_json_utf8(&j, m->rcpt[i], strlen(m->rcpt[i]));
		buf_puts(&j, "\"");
	}
	buf_printf(&t, ", %llu bytes, upstream %d", (unsigned long long)m->size, m->code);
	buf_printf(&j, "],\"size\":%llu,\"upstream_code\":%d", (unsigned long long)m->size,
	    m->code);
	if (m->code == 250 && s->job)
		buf_puts(&t, ", copy kept");
	else if (s->job)
		buf_puts(&t, ", no copy (the upstream did not accept it)");
	buf_printf(&j, ",\"copy\":%s", m->code == 250 && s->job ? "true" : "false");
	buf_append(&t, "", 1);
	buf_append(&j, "", 1);
	if (cfg->summaries || s->tx.json) {
		int tt = s->tx.text;
		s->tx.text = cfg->summaries;
		tx_text(&s->tx, loop_now(), '#', (const char *)buf_ptr(&t));
		s->tx.text = tt;
	}
	tx_event(&s->tx, loop_now(), "message", (const char *)buf_ptr(&j));
	buf_free(&t);
	buf_free(&j);
	if (s->job) {
		if (m->code == 250) {
			struct copy *cp = xcalloc(1, sizeof(*cp));
			cp->job = s->job;
			cp->s = s;
			cp->session = s->tx.session;
			cp->next = s->copies;
			s->copies = cp;
			store_end(s->job, NULL, stored, cp);
		}
		else
			store_abort(s->job);
		s->job = NULL;
	}
	if (m->code == 250)
		sink_count_accepted(cfg, &stats, m->rcpt, m->nrcpt);
}

/* ---- rules ---- */

static void	 up_take(struct psess *, const unsigned char *, size_t);

/* feed_upend - upstream bytes that waited for a decision go in now */
static void
feed_upend(struct psess *s)
{
	struct buf	 b;

	if (s->upend.len == 0 || smtp_proxy_waiting(s->px))
		return;
	b = s->upend;
	buf_init(&s->upend, 1 << 20);
	up_take(s, buf_ptr(&b), b.len);
	buf_free(&b);
}

static void
release(void *arg)
{
	struct psess *s = arg;

	s->hold = NULL;
	smtp_proxy_decide(s->px, s->held, loop_now());
	free(s->held);
	s->held = NULL;
	feed_upend(s);
	sess_update(s);
}

static void
ev_decide(void *arg, struct smtp_decision *d)
{
	struct psess	*s = arg;
	const char	*why;

	if (cfg->rules == NULL || (why = rules_apply(cfg->rules, d, s->ip, loop_now() / 1000)) ==
	    NULL)
		return;
	stats.faults++;
	if (want_tx(s)) {
		char what[300];
		rules_effect_text(d, what, sizeof(what));
		tx_note(&s->tx, loop_now(), '!', "%s at %s, on the upstream's %d%s", why,
		    smtp_stage_name(d->stage), d->dflt, what);
	}
	if (d->flags & SMTP_F_DRIP)
		s->drip_ms = d->drip_ms ? d->drip_ms : 1;
	s->tls_fault = d->flags & (SMTP_F_TLS_ABORT | SMTP_F_CERT_EXPIRED | SMTP_F_CERT_NAME);
	if ((d->flags & SMTP_F_DELAY) && d->delay_ms) {
		if (s->held == NULL)
			s->held = xmalloc(sizeof(*s->held));
		*s->held = *d;
		s->held->flags &= ~(unsigned)(SMTP_F_WAIT | SMTP_F_DELAY);
		d->flags |= SMTP_F_WAIT;
		loop_del_timer(s->hold);
		s->hold = loop_add_timer(d->delay_ms, release, s);
	}
}

/* ev_auth_lookup - --auth-users, or any credentials */
static int
ev_auth_lookup(void *arg, const char *user, char *pw, size_t len)
{
	(void)arg;
	return sink_user_secret(cfg, user, pw, len);
}

static void
ev_close(void *arg, enum proxy_leg leg)
{
	struct psess *s = arg;

	s->l[leg].want_close = 1;
}

static const struct proxy_events pevents = {
	ev_client_line, ev_upstream_line, ev_own_line, ev_note, ev_tls, ev_data, ev_data_start,
	ev_message, ev_decide, ev_close, ev_auth_lookup,
};

/* ---- sessions ---- */

static void
sess_free(struct psess *s)
{
	int	 k;
	char	 m[96];

	tx_flush(&s->tx, loop_now());
	tx_free(&s->tx);
	snprintf(m, sizeof(m), ",\"peer\":\"%s\"", s->peer);
	tx_event(&s->tx, loop_now(), "close", m);
	if (cfg->text)
		tx_note(&s->tx, loop_now(), '*', "session closed");
	for (k = 0; k < 2; k++) {
		if (s->l[k].xp) {
			loop_forget_fd(s->l[k].xp->fd);
			xport_free(s->l[k].xp);
		}
	}
	if (s->nc)
		net_connect_cancel(s->nc);
	if (s->job)
		store_abort(s->job);
	while (s->copies) {
		struct copy *cp = s->copies;
		s->copies = cp->next;
		cp->s = NULL;	/* stored() still says where it went */
		cp->next = NULL;
	}
	smtp_proxy_free(s->px);
	loop_del_timer(s->idle);
	listen_slow_stop(&s->slow);
	loop_del_timer(s->wait);
	loop_del_timer(s->hold);
	loop_del_timer(s->drip);
	free(s->held);
	buf_free(&s->upend);
	if (s->prev)
		s->prev->next = s->next;
	else
		sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	stats.active--;
	free(s);
}

/* leg_close - the leg is done: its fd goes */
static void
leg_close(struct psess *s, enum proxy_leg k)
{
	struct leg *l = &s->l[k];

	if (l->closed)
		return;
	l->closed = 1;
	if (l->xp) {
		loop_forget_fd(l->xp->fd);
		xport_free(l->xp);
		l->xp = NULL;
	}
	if (k == PROXY_UPSTREAM && s->nc) {
		net_connect_cancel(s->nc);
		s->nc = NULL;
	}
	if (k == PROXY_UPSTREAM) {
		loop_del_timer(s->wait);
		s->wait = NULL;
	}
	/* a leg that closes leaves the engine nothing to wait for there */
	if (k == PROXY_CLIENT)
		smtp_proxy_eof(s->px, PROXY_CLIENT, loop_now());
	else
		smtp_proxy_eof(s->px, PROXY_UPSTREAM, loop_now());
}

static void
on_idle(void *arg)
{
	struct psess *s = arg;

	s->idle = NULL;
	if (want_tx(s))
		tx_note(&s->tx, loop_now(), '!', "the client said nothing for %d s: closing",
		    cfg->idle_timeout);
	smtp_proxy_end(s->px, "4.4.2", "the client was idle too long", loop_now());
	sess_update(s);
}

/* on_slow - as the sink: a command line, or the message data, did not
 * arrive in time although bytes kept coming */
static void
on_slow(void *arg)
{
	struct psess	*s = arg;
	char		 why[96];

	s->slow.t = NULL;
	listen_slow_why(&s->slow, cfg, why, sizeof(why));
	if (want_tx(s))
		tx_note(&s->tx, loop_now(), '!', "%s: closing", why);
	smtp_proxy_end(s->px, "4.4.2", why, loop_now());
	sess_update(s);
}

static void
on_wait(void *arg)
{
	struct psess	*s = arg;
	char		 why[128];

	s->wait = NULL;
	snprintf(why, sizeof(why), "the upstream did not answer within %.3g s",
	    (double)(po->timeout_ms ? po->timeout_ms : 300000) / 1000.0);
	s->l[PROXY_UPSTREAM].want_close = 1;
	smtp_proxy_upstream_failed(s->px, "4.4.2", why, loop_now());
	sess_update(s);
}

static void
drip_next(void *arg)
{
	struct psess *s = arg;

	s->drip = NULL;
	sess_update(s);
}

/* flush - write a leg's output; -1 when the leg failed */
static int
flush(struct psess *s, enum proxy_leg k)
{
	struct leg	*l = &s->l[k];
	struct buf	*out = smtp_proxy_output(s->px, k);
	ssize_t		 w;
	int		 drip = k == PROXY_CLIENT && s->drip_ms;

	if (l->xp == NULL || l->handshaking || l->closed) {
		if (l->closed)
			buf_drain(out, out->len);
		return 0;
	}
	while (out->len > 0 && !(drip && s->drip)) {
		w = xport_write(l->xp, buf_ptr(out), drip ? 1 : out->len);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (want_tx(s))
				tx_note(&s->tx, loop_now(), '!', "writing to the %s failed: %s",
				    k == PROXY_CLIENT ? "client" : "upstream", strerror(errno));
			return -1;
		}
		buf_drain(out, (size_t)w);
		if (drip && out->len) {
			s->drip = loop_add_timer(s->drip_ms, drip_next, s);
			return 0;
		}
	}
	if (out->len == 0 && k == PROXY_CLIENT)
		s->drip_ms = 0;
	return 0;
}

/* sess_update - write, close what is done, set each leg's interest */
static void
sess_update(struct psess *s)
{
	int		 k;
	struct buf	*out;

	for (k = 0; k < 2; k++) {
		struct leg *l = &s->l[k];
		if (l->closed)
			continue;
		if (flush(s, (enum proxy_leg)k) == -1) {
			leg_close(s, (enum proxy_leg)k);
			continue;
		}
		out = smtp_proxy_output(s->px, (enum proxy_leg)k);
		if (l->want_close && out->len == 0 && !l->handshaking)
			leg_close(s, (enum proxy_leg)k);
	}
	/* closing one leg may have asked more of the other */
	for (k = 0; k < 2; k++) {
		struct leg *l = &s->l[k];
		out = smtp_proxy_output(s->px, (enum proxy_leg)k);
		if (!l->closed && flush(s, (enum proxy_leg)k) == 0 && l->want_close &&
		    out->len == 0 && !l->handshaking)
			leg_close(s, (enum proxy_leg)k);
	}
	if (s->l[PROXY_CLIENT].closed && s->l[PROXY_UPSTREAM].closed) {
		sess_free(s);
		return;
	}
	if (s->tls_due && !s->l[PROXY_CLIENT].closed &&
	    smtp_proxy_output(s->px, PROXY_CLIENT)->len == 0) {
		hs_start_client(s);
		if (s->l[PROXY_CLIENT].handshaking)
			hs_step(s, PROXY_CLIENT);
		sess_update(s);
		return;
	}
	/* the upstream's reply is awaited: time it */
	if (smtp_proxy_busy(s->px) && !s->l[PROXY_UPSTREAM].closed && s->l[PROXY_UPSTREAM].xp &&
	    !smtp_proxy_in_data(s->px)) {
		if (s->wait == NULL)
			s->wait = loop_add_timer(po->timeout_ms ? po->timeout_ms : 300000, on_wait, s);
	} else if (s->wait) {
		loop_del_timer(s->wait);
		s->wait = NULL;
	}
	for (k = 0; k < 2; k++) {
		struct leg *l = &s->l[k];
		unsigned ev = 0;
		if (l->closed || l->xp == NULL)
			continue;
		out = smtp_proxy_output(s->px, (enum proxy_leg)k);
		if (l->handshaking)
			ev = xport_want(l->xp) == XPORT_WANT_WRITE ? LOOP_OUT : LOOP_IN;
		else if (k == PROXY_CLIENT && s->tls_aborting)
			ev = LOOP_IN;
		else {
			if (out->len && !(k == PROXY_CLIENT && s->drip))
				ev |= LOOP_OUT;
			if (!l->eof && (k == PROXY_CLIENT ? smtp_proxy_client_space(s->px) > 0 :
			    !smtp_proxy_waiting(s->px) && s->upend.len == 0 &&
			    smtp_proxy_output(s->px, PROXY_CLIENT)->len < BACKLOG_MAX))
				ev |= LOOP_IN;
		}
		loop_mod_fd(l->xp->fd, ev);
	}
}

/* up_take - upstream bytes into the engine; what it does not take yet
 * (a decision pending) waits in upend, what comes after a 220 to
 * STARTTLS in clear is dropped (RFC 3207) */
static void
up_take(struct psess *s, const unsigned char *p, size_t n)
{
	size_t	 k = smtp_proxy_upstream_feed(s->px, p, n, loop_now());

	if (k == n)
		return;
	if (smtp_proxy_waiting(s->px)) {
		buf_append(&s->upend, p + k, n - k);
		return;
	}
	if (want_tx(s))
		tx_note(&s->tx, loop_now(), '!', "%zu bytes the upstream sent after its 220 to "
		    "STARTTLS, in clear, are discarded (RFC 3207)", n - k);
}

static void
leg_read(struct psess *s, enum proxy_leg k)
{
	struct leg	*l = &s->l[k];
	unsigned char	 b[65536];
	size_t		 space = sizeof(b);
	ssize_t		 r;

	if (k == PROXY_CLIENT) {
		space = smtp_proxy_client_space(s->px);
		if (space > sizeof(b))
			space = sizeof(b);
		if (space == 0)
			return;
	}
	r = xport_read(l->xp, b, space);
	if (r > 0) {
		if (k == PROXY_CLIENT) {
			loop_del_timer(s->idle);
			s->idle = loop_add_timer((uint64_t)cfg->idle_timeout * 1000, on_idle, s);
			smtp_proxy_client_feed(s->px, b, (size_t)r, loop_now());
		} else {
			loop_del_timer(s->wait);
			s->wait = NULL;
			up_take(s, b, (size_t)r);
		}
		if (s->px)
			listen_slow(&s->slow, smtp_proxy_in_data(s->px),
			    smtp_proxy_client_partial(s->px), cfg, on_slow, s);
		return;
	}
	if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
		l->eof = 1;
		if (xport_is_tls(l->xp) && *xport_error(l->xp) && want_tx(s))
			tx_text(&s->tx, loop_now(), '!', xport_error(l->xp));
		if (want_tx(s))
			tx_note(&s->tx, loop_now(), '*', "end of input from the %s%s",
			    k == PROXY_CLIENT ? "client" : "upstream", r == 0 ? "" : " (read error)");
		smtp_proxy_eof(s->px, k, loop_now());
	}
}

static void
leg_io(int fd, unsigned ev, void *arg)
{
	struct psess	*s = arg;
	enum proxy_leg	 k = s->l[PROXY_CLIENT].xp && s->l[PROXY_CLIENT].xp->fd == fd ?
	    PROXY_CLIENT : PROXY_UPSTREAM;
	struct leg	*l = &s->l[k];

	if (l->handshaking) {
		hs_step(s, k);
		sess_update(s);
		return;
	}
	if (k == PROXY_CLIENT && s->tls_aborting) {
		static const unsigned char alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };
		unsigned char b[4096];
		while (read(fd, b, sizeof(b)) > 0)
			;
		if (send(fd, alert, sizeof(alert), MSG_NOSIGNAL) < 0)
			(void)0;
		s->tls_aborting = 0;
		ev_note(s, '!', "TLS handshake with the client aborted on purpose (rule: fatal "
		    "handshake_failure alert)");
		smtp_proxy_tls_failed(s->px, PROXY_CLIENT, "aborted by a rule", loop_now());
		sess_update(s);
		return;
	}
	if (ev & (LOOP_IN | LOOP_ERR)) {
		leg_read(s, k);
		/* TLS may hold decrypted bytes the fd does not show */
		while (!l->closed && l->xp && !l->eof && !l->handshaking && xport_pending(l->xp) > 0 &&
		    (k == PROXY_UPSTREAM ? !smtp_proxy_waiting(s->px) && s->upend.len == 0 :
		    smtp_proxy_client_space(s->px) > 0))
			leg_read(s, k);
	}
	sess_update(s);
}


/* up_connected - the upstream connection is made (or not) */
static void
up_connected(int fd, const char *peer, const char *err, void *arg)
{
	struct psess	*s = arg;
	char		 m[400];

	s->nc = NULL;
	if (fd == -1) {
		char why[700];
		s->l[PROXY_UPSTREAM].closed = 1;
		snprintf(why, sizeof(why), "cannot reach the upstream %s: %s", po->upstream, err);
		smtp_proxy_upstream_failed(s->px, "4.4.0", why, loop_now());
		sess_update(s);
		return;
	}
	s->l[PROXY_UPSTREAM].xp = xport_plain(fd);
	if (want_tx(s)) {
		tx_note(&s->tx, loop_now(), '*', "connected to the upstream %s in %.1f ms", peer,
		    (double)(loop_now() - s->tx.t0) / 1000.0);
		snprintf(m, sizeof(m), ",\"leg\":\"upstream\",\"peer\":\"%s\"", peer);
		tx_event(&s->tx, loop_now(), "connect", m);
	}
	loop_add_fd(fd, 0, leg_io, s);
	smtp_proxy_upstream_up(s->px, loop_now());
	if (up_implicit)
		hs_start_up(s);
	sess_update(s);
}

static void
sess_new(int cfd, const struct sockaddr *sa, void *arg)
{
	int		 implicit = arg != NULL;
	struct psess	*s = xcalloc(1, sizeof(*s));
	struct proxy_cfg pc;
	char		 m[128], err[256];

	s->l[PROXY_CLIENT].xp = xport_plain(cfd);
	net_addr_str(sa, s->peer, sizeof(s->peer));
	listen_peer_ip(s->peer, s->ip, sizeof(s->ip));
	s->tx.wall = 1;
	s->tx.session = (unsigned)++stats.sessions;
	s->tx.text = cfg->text;
	s->tx.json = cfg->json;
	s->tx.t0 = loop_now();
	s->tx.proxy_us = -1;
	buf_init(&s->upend, 1 << 20);
	s->implicit = implicit;
	stats.active++;
	s->next = sessions;
	if (sessions)
		sessions->prev = s;
	sessions = s;
	memset(&pc, 0, sizeof(pc));
	pc.up_tls = po->up_tls;
	if (implicit && pc.up_tls == PROXY_UP_MIRROR)
		pc.up_tls = PROXY_UP_STARTTLS;	/* encrypted from the start, both legs */
	pc.client_tls = lctx.ctx != NULL && !cfg->no_starttls;
	pc.client_implicit = implicit;
	pc.helo = po->helo;
	pc.strip = po->strip;
	pc.nstrip = po->nstrip;
	pc.max_line = cfg->scfg.max_line;
	pc.max_rcpt = cfg->scfg.max_rcpt;
	pc.crules = po->crules;
	pc.ncrules = po->ncrules;
	pc.up_user = po->auth.user;
	pc.up_secret = po->auth.secret;
	pc.up_authzid = po->auth.authzid;
	pc.up_mech = po->auth.mech;
	pc.up_plaintext_ok = po->auth_plaintext_ok;
	pc.auth_mechs = cfg->scfg.auth_mechs;
	pc.auth_any_time = cfg->scfg.auth_any_time;
	pc.crypto = cfg->scfg.crypto;
	pc.hostname = cfg->scfg.hostname;
	s->px = smtp_proxy_new(&pc, &pevents, s, loop_now());
	snprintf(m, sizeof(m), ",\"peer\":\"%s\",\"leg\":\"client\"", s->peer);
	tx_event(&s->tx, s->tx.t0, "connect", m);
	if (cfg->text)
		tx_note(&s->tx, s->tx.t0, '*', "connection from %s%s; upstream %s (TLS: %s)",
		    s->peer, implicit ? " (implicit TLS)" : "", po->upstream,
		    proxy_up_tls_name(pc.up_tls));
	loop_add_fd(cfd, LOOP_IN, leg_io, s);
	s->idle = loop_add_timer((uint64_t)cfg->idle_timeout * 1000, on_idle, s);
	if (implicit) {
		s->tls_due = 1;
		sess_update(s);
		if (s->l[PROXY_CLIENT].closed)
			return;
	}
	s->nc = net_connect(&up, po->connect_timeout_ms ? po->connect_timeout_ms : 30000,
	    up_connected, s, err, sizeof(err));
	if (s->nc == NULL) {
		char why[700];
		s->l[PROXY_UPSTREAM].closed = 1;
		snprintf(why, sizeof(why), "cannot reach the upstream %s: %s", po->upstream, err);
		smtp_proxy_upstream_failed(s->px, "4.4.0", why, loop_now());
	}
	sess_update(s);
}



/* upstream - HOST[:PORT], smtps://HOST[:PORT] or unix:/path */
static int
upstream(const char *spec, char *err, size_t errlen)
{
	if (strncasecmp(spec, "smtps://", 8) == 0) {
		up_implicit = 1;
		if (!po->up_tls_set)
			po->up_tls = PROXY_UP_TLS;
		return net_parse(spec + 8, "465", &up, err, errlen);
	}
	if (strncasecmp(spec, "smtp://", 7) == 0)
		spec += 7;
	if (net_parse(spec, "25", &up, err, errlen) == -1)
		return -1;
	up_implicit = po->up_tls == PROXY_UP_TLS;
	return 0;
}

int
proxy_start(struct proxy_opts *o, char *bound, size_t blen, char *info, size_t ilen,
    char *err, size_t errlen)
{
	char	 tb[128];
	size_t	 i;

	po = o;
	cfg = o->sc;
	stxcfg.text = cfg->text;
	stxcfg.data_lines = cfg->data_lines;
	stxcfg.show_secrets = cfg->show_secrets;
	if (cfg->idle_timeout <= 0)
		cfg->idle_timeout = 300;
	if (cfg->command_timeout <= 0)
		cfg->command_timeout = 300;
	if (cfg->data_timeout <= 0)
		cfg->data_timeout = 600;
	if (cfg->max_conn <= 0)
		cfg->max_conn = 10000;
	if (info)
		info[0] = '\0';
	if (upstream(o->upstream, err, errlen) == -1)
		return -1;
	if ((!cfg->no_starttls || cfg->tls_listen) && listen_ctx(&lctx, cfg->cert, cfg->key,
	    cfg->scfg.hostname, cfg->listen,
	    cfg->rules && (rules_flags(cfg->rules) & SMTP_F_CERT_EXPIRED),
	    cfg->rules && (rules_flags(cfg->rules) & SMTP_F_CERT_NAME), info, ilen, err,
	    errlen) == -1)
		return -1;
	if (o->up_tls != PROXY_UP_NONE &&
	    (cctx = tls_ctx_client(&o->tcfg, err, errlen)) == NULL)
		return -1;
	if (store_open(&cfg->store, cfg->scfg.hostname ? cfg->scfg.hostname : "localhost",
	    err, errlen) == -1)
		return -1;
	cfg->max_conn = listen_fd_limit(cfg->max_conn, 2, info, ilen);
	for (i = 0; i < 2; i++) {
		lst[i].max = &cfg->max_conn;
		lst[i].active = &stats.active;
		lst[i].rejects = &stats.rejects;
		lst[i].cb = sess_new;
		lst[i].arg = i ? (void *)1 : NULL;
	}
	if (listen_on(&lst[0], cfg->listen, "2526", bound, blen, err, errlen) == -1)
		return -1;
	if (cfg->tls_listen) {
		if (listen_on(&lst[1], cfg->tls_listen, "2526", tb, sizeof(tb), err, errlen) == -1)
			return -1;
		if (info) {
			size_t l = strlen(info);
			snprintf(info + l, ilen - l, "; implicit TLS on %s", tb);
		}
	}
	return 0;
}

void
proxy_stats(struct sink_stats *st)
{
	*st = stats;
}

void
proxy_drain(int grace, void (*done)(void), int soft)
{
	struct psess	*s, *next;

	listen_close(lst, 2);
	for (s = sessions; s; s = next) {
		next = s->next;
		if (soft || smtp_proxy_busy(s->px) || smtp_proxy_in_data(s->px))
			continue;
		smtp_proxy_end(s->px, "4.3.2", "the proxy is stopping", loop_now());
		sess_update(s);
	}
	listen_drain(grace, &stats.active, done);
}

void
proxy_stop(void)
{
	listen_close(lst, 2);
	while (sessions)
		sess_free(sessions);
	store_close();
	listen_ctx_free(&lctx);
	tls_ctx_free(cctx);
	cctx = NULL;
	listen_drain_stop();
}
