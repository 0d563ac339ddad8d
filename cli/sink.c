/*
 * sink - server connections on the loop.
 *
 * Each connection owns its fd (through a transport), its engine and its
 * transcript.  Reads are bounded by the engine's input space, so a client
 * that floods while replies pile up is simply not read (backpressure).
 * A session closes when the engine asks and its output is flushed, at
 * end of stream, or on an I/O error.
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/listen.h"
#include "cli/loop.h"
#include "cli/manual.h"
#include "cli/net.h"
#include "cli/sink.h"
#include "cli/sinktx.h"
#include "cli/store.h"
#include "cli/tx.h"
#include "session/esc.h"
#include "session/line.h"
#include "session/mime.h"
#include "session/rules.h"
#include "session/xalloc.h"
#include "tls/tls.h"
#include "tls/xport.h"

struct conn {
	struct xport		*xp;
	struct smtp_server	*srv;
	struct tx		 tx;
	struct loop_timer	*idle;
	struct slow_watch	 slow;		/* a command or message takes too long */
	char			 peer[64];
	int			 want_close;
	int			 eof;
	int			 tls_due;	/* 220 to STARTTLS queued */
	int			 handshaking;
	int			 implicit;	/* accepted on the implicit-TLS port */
	uint64_t		 hs_start;
	struct loop_timer	*reread;
	struct store_job	*job;		/* message being stored */
	char			**rcpts;	/* its recipients, for --expect-rcpt */
	size_t			 nrcpts;
	int			 job_ended;	/* store_end called, answer due */
	struct loop_timer	*throttle;	/* re-check a storage backlog */
	struct sinktx		 stx;		/* message lines shown and not */
	char			 ip[64];	/* the client's address, for rules */
	struct smtp_decision	*held;		/* a reply held back (delay) */
	struct loop_timer	*hold;
	unsigned		 drip_ms;	/* send output a byte at a time */
	struct loop_timer	*drip;
	unsigned		 tls_fault;	/* SMTP_F_TLS_ABORT, _CERT_* */
	int			 tls_aborting;	/* waiting for the ClientHello */
	struct side		*side;		/* --json-sidecar only */
	int			 shutdown;	/* the sink is stopping: 421 sent */
	char			*pend_sum;	/* a message's summary, said once stored */
	char			*pend_json;
	struct conn		*prev, *next;
};

/*
 * What a --json-sidecar needs of its session: the transcript without the
 * message data (the message file has that), bounded, and the TLS facts.
 * Each message's sidecar gets the session's start (up to its first MAIL)
 * and its own transaction.
 */
#define SIDE_MAX	65536
struct side {
	struct buf	 tx;		/* plain transcript lines (tx.save) */
	size_t		 pre;		/* length before the first MAIL, or SIZE_MAX */
	int		 done;		/* a sidecar was written: cut back at MAIL */
	char		*tls_desc, *tls_sni;
};

/* want_tx - anything to print, log or keep for this session */
#define want_tx(c)	(cfg->text || (c)->tx.json || (c)->tx.save)

static struct sink_cfg	*cfg;
static struct sinktx_cfg stxcfg;	/* how client lines are written */
static int		 draining;
static struct smtp_server_cfg tls_scfg;	/* for implicit-TLS sessions */
static struct tls_ctx	*ctx;
static struct tls_ctx	*ctx_expired, *ctx_wrongname;	/* for rules */
static struct listener	 lst[2] = { { .fd = -1 }, { .fd = -1 } };	/* plain, implicit TLS */
static struct conn	*conns;
static struct sink_stats stats;
static uint64_t		 io_now;	/* the time of the read being processed */

/* now - one clock reading per read: its lines all arrived then */
static uint64_t
now(void)
{
	return io_now ? io_now : loop_now();
}

#define STORE_BACKLOG_MAX	(4 * 1024 * 1024)

static void	 conn_io(int, unsigned, void *);
static void	 conn_update(struct conn *);
static void	 unthrottle(void *);
static void	 free_rcpts(struct conn *);

/* lint_report - what the client did worth a remark, once per session */
static void
lint_report(struct conn *c)
{
	const struct smtp_lint *l = smtp_server_lint(c->srv);
	char		 txt[1024], j[1200];
	unsigned	 n;

	if ((n = smtp_lint_text(l, txt, sizeof(txt))) == 0)
		return;
	stats.lint_sessions++;
	stats.lint_findings += n;
	if (cfg->text || cfg->summaries) {
		int t = c->tx.text;
		c->tx.text = 1;
		tx_note(&c->tx, loop_now(), '#', "lint: %u finding%s: %s", n, n == 1 ? "" : "s", txt);
		c->tx.text = t;
	}
	if (c->tx.json) {
		struct buf b;
		buf_init(&b, sizeof(j));
		buf_printf(&b, ",\"findings\":%u,\"text\":\"", n);
		esc_json(&b, txt, strlen(txt));
		buf_printf(&b, "\"");
		buf_append(&b, "", 1);
		tx_event(&c->tx, loop_now(), "lint", (const char *)buf_ptr(&b));
		buf_free(&b);
	}
}

static void
conn_free(struct conn *c)
{
	char	 m[96];

	free(c->pend_sum);
	free(c->pend_json);

	lint_report(c);
	if (cfg->manual)
		manual_forget(c);
	tx_flush(&c->tx, loop_now());	/* an unfinished line is never lost */
	tx_free(&c->tx);
	snprintf(m, sizeof(m), ",\"peer\":\"%s\"", c->peer);
	tx_event(&c->tx, loop_now(), "close", m);
	if (cfg->text)
		tx_note(&c->tx, loop_now(), '*', "connection closed");
	loop_forget_fd(c->xp->fd);
	xport_free(c->xp);	/* closes the fd */
	smtp_server_free(c->srv);
	loop_del_timer(c->idle);
	listen_slow_stop(&c->slow);
	loop_del_timer(c->reread);
	loop_del_timer(c->throttle);
	loop_del_timer(c->hold);
	loop_del_timer(c->drip);
	free(c->held);
	if (c->side) {
		buf_free(&c->side->tx);
		free(c->side->tls_desc);
		free(c->side->tls_sni);
		free(c->side);
	}
	if (c->job) {
		if (c->job_ended)
			store_forget(c->job);	/* it still becomes durable */
		else
			store_abort(c->job);
	}
	free_rcpts(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	stats.active--;
	free(c);
}

static void
on_idle(void *arg)
{
	struct conn *c = arg;

	c->idle = NULL;
	if (cfg->text)
		tx_note(&c->tx, loop_now(), '!', "no command for %d s: closing", cfg->idle_timeout);
	smtp_server_timeout(c->srv);
	conn_update(c);
}

/* on_slow - a command line, or the message data, did not arrive in time
 * although bytes kept coming */
static void
on_slow(void *arg)
{
	struct conn *c = arg;
	char	 why[96];

	c->slow.t = NULL;
	listen_slow_why(&c->slow, cfg, why, sizeof(why));
	if (want_tx(c))
		tx_note(&c->tx, loop_now(), '!', "%s: closing", why);
	smtp_server_timeout(c->srv);
	conn_update(c);
}

/* slow_watch - after input: time the command line or the message being sent */
static void
slow_watch(struct conn *c)
{
	enum smtp_server_state st = smtp_server_state(c->srv);

	listen_slow(&c->slow, st == SMTP_S_DATA || st == SMTP_S_BDAT,
	    smtp_server_partial(c->srv) != 0, cfg, on_slow, c);
}

static void
ev_input(void *arg, const unsigned char *p, size_t n, unsigned flags, int in_data)
{
	struct conn	*c = arg;

	if (c->side && !in_data && n >= 4 && strncasecmp((const char *)p, "MAIL", 4) == 0) {
		/* The session's start ends at the first MAIL; each later
		 * transaction replaces the one before. */
		if (c->side->pre == SIZE_MAX)
			c->side->pre = c->side->tx.len;
		else if (c->side->done && c->side->pre <= c->side->tx.len)
			c->side->tx.len = c->side->pre;
		c->side->done = 0;
	}
	sinktx_input(&c->tx, &c->stx, &stxcfg, now(), p, n, flags, in_data,
	    smtp_server_state_name(smtp_server_state(c->srv)));
}

/* ev_data_lines - whole plain data lines at once: the fast transcript */
static void
ev_data_lines(void *arg, const unsigned char *p, size_t n, size_t nlines)
{
	struct conn *c = arg;

	sinktx_lines(&c->tx, &c->stx, &stxcfg, now(), p, n, nlines,
	    smtp_server_state_name(smtp_server_state(c->srv)));
}

static void
ev_output(void *arg, const unsigned char *p, size_t n)
{
	struct conn *c = arg;
	int code = n >= 3 ? (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0') : 0;

	if (code >= 400 && code <= 599 && (n < 4 || p[3] != '-') && !c->shutdown)
		stats.rejects++;	/* a reply's last line */
	if (want_tx(c))
		tx_line(&c->tx, now(), TX_S, p, n, 0, -1, code, NULL, NULL);
}

static void
ev_note(void *arg, const char *msg)
{
	struct conn *c = arg;

	if (want_tx(c))
		tx_text(&c->tx, loop_now(), '!', msg);
}

/* hdr_text - client bytes for a header: printable ASCII, nothing else */
static void
hdr_text(struct buf *b, const char *s, size_t max)
{
	size_t	 i;

	for (i = 0; s && s[i] && i < max; i++)
		buf_append(b, (unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f &&
		    s[i] != '(' && s[i] != ')' && s[i] != ';' ? &s[i] : "?", 1);
}

/* json_envelope - "from":..,"rcpt":[..],"size":N (the message event and sidecar) */
static void
json_envelope(struct buf *j, const struct smtp_message *m)
{
	size_t	 i;

	buf_printf(j, "\"from\":\"");
	esc_json_utf8(j, m->from, strlen(m->from));
	buf_printf(j, "\",\"rcpt\":[");
	for (i = 0; i < m->nrcpt; i++) {
		buf_printf(j, "%s\"", i ? "," : "");
		esc_json_utf8(j, m->rcpt[i], strlen(m->rcpt[i]));
		buf_printf(j, "\"");
	}
	buf_printf(j, "],\"size\":%llu", (unsigned long long)m->size);
	if (m->subject) {
		struct buf d;
		buf_init(&d, 4096);
		mime_decode_words(m->subject, &d);	/* RFC 2047: as a person reads it */
		buf_puts(j, ",\"subject\":\"");
		esc_json_utf8(j, buf_ptr(&d), d.len);
		buf_puts(j, "\"");
		buf_free(&d);
	}
	if (m->msgid) {
		buf_puts(j, ",\"message_id\":\"");
		esc_json_utf8(j, m->msgid, strlen(m->msgid));
		buf_puts(j, "\"");
	}
	if (m->auth_mech) {
		buf_printf(j, ",\"auth\":{\"mech\":\"%s\",\"user\":\"", m->auth_mech);
		esc_json_utf8(j, m->auth_user, strlen(m->auth_user));
		buf_printf(j, "\"}");
	}
}

/* side_json - the sidecar's TLS facts and transcript (",..." members) */
static void
side_json(struct conn *c, struct buf *j)
{
	struct side	*sd = c->side;
	const unsigned char *p, *e, *lf;

	if (sd == NULL)
		return;
	if (sd->tls_desc) {
		buf_puts(j, ",\"tls_session\":\"");
		esc_json(j, sd->tls_desc, strlen(sd->tls_desc));
		buf_puts(j, "\",\"sni\":\"");
		esc_json(j, sd->tls_sni, strlen(sd->tls_sni));
		buf_puts(j, "\"");
	}
	buf_puts(j, ",\"transcript\":[");
	p = buf_ptr(&sd->tx);
	e = p + sd->tx.len;
	for (; p < e && (lf = memchr(p, '\n', (size_t)(e - p))) != NULL; p = lf + 1) {
		if (p != buf_ptr(&sd->tx))
			buf_puts(j, ",");
		buf_puts(j, "\"");
		esc_json(j, p, (size_t)(lf - p));
		buf_puts(j, "\"");
	}
	if (buf_space(&sd->tx) < 4096)
		buf_puts(j, ",\"(transcript cut at 64 KiB)\"");
	buf_puts(j, "],\"transcript_note\":\"message data lines are in the message file\"");
	sd->done = 1;
}

/* accepted - a message got its 250: count it, tick off expected recipients */
void
sink_count_accepted(const struct sink_cfg *sc, struct sink_stats *st, const char *const *rcpt,
    size_t n)
{
	size_t	 i, k;

	st->accepted++;
	for (i = 0; i < sc->nexpect_rcpt; i++)
		for (k = 0; k < n; k++)
			if (strcasecmp(rcpt[k], sc->expect_rcpt[i]) == 0)
				st->rcpt_seen[i] = 1;
	if (sc->exit_after && st->accepted == sc->exit_after && sc->on_enough)
		sc->on_enough();
}

static void
accepted(const char *const *rcpt, size_t n)
{
	sink_count_accepted(cfg, &stats, rcpt, n);
}

static void
ev_data_start(void *arg, const struct smtp_message *m)
{
	struct conn	*c = arg;
	struct buf	 h;
	char		 date[64];
	time_t		 now = time(NULL);
	struct tm	 tm;

	if (!store_enabled())
		return;
	c->job = store_begin(m->from);
	c->job_ended = 0;
	/* One Return-Path and one Received header, clearly the sink's. */
	buf_init(&h, 8192);
	buf_printf(&h, "Return-Path: <");
	hdr_text(&h, m->from, 256);
	buf_printf(&h, ">\r\nReceived: from ");
	hdr_text(&h, m->helo ? m->helo : "unknown", 128);
	/* RFC 5321 4.4: TCP-info is an address literal; RFC 3848: the
	 * protocol says TLS (S) and AUTH (A) */
	if (c->ip[0] && c->peer[0] != '(' && strncmp(c->peer, "unix", 4) != 0)
		buf_printf(&h, " ([%s%s])", strchr(c->ip, ':') ? "IPv6:" : "", c->ip);
	buf_printf(&h, "\r\n\tby %s (smtpdbg sink) with %s%s%s id %s",
	    cfg->scfg.hostname ? cfg->scfg.hostname : "localhost",
	    cfg->scfg.lmtp ? "LMTP" : m->esmtp ? "ESMTP" : "SMTP", c->tx.tls ? "S" : "",
	    m->auth_mech && (m->esmtp || cfg->scfg.lmtp) ? "A" : "", store_name(c->job));
	if (m->nrcpt == 1) {
		buf_printf(&h, "\r\n\tfor <");
		hdr_text(&h, m->rcpt[0], 256);
		buf_printf(&h, ">");
	}
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	buf_printf(&h, "; %s\r\n", date);
	store_write(c->job, buf_ptr(&h), h.len);
	buf_free(&h);
}

static void
ev_data(void *arg, const unsigned char *p, size_t n)
{
	struct conn *c = arg;

	if (c->job)
		store_write(c->job, p, n);
}

static void
ev_abort(void *arg)
{
	struct conn *c = arg;

	if (c->job && !c->job_ended) {
		store_abort(c->job);
		c->job = NULL;
	}
}

static void
free_rcpts(struct conn *c)
{
	size_t	 i;

	for (i = 0; i < c->nrcpts; i++)
		free(c->rcpts[i]);
	free(c->rcpts);
	c->rcpts = NULL;
	c->nrcpts = 0;
}

static void	 summary(struct conn *, const char *, const char *);

/* stored - the worker's verdict, on the loop: now the reply goes out */
static void
stored(void *arg, const struct store_result *r)
{
	struct conn	*c = arg;
	char		 text[200];

	c->job = NULL;
	c->job_ended = 0;
	if (r->ok) {
		if (want_tx(c))
			tx_note(&c->tx, loop_now(), '*', "stored as %s%s", r->name,
			    store_fsync() ? " (fsynced)" : " (--no-fsync: not durable)");
		summary(c, r->path[0] ? r->path : r->name, NULL);
		snprintf(text, sizeof(text), "Ok: queued as %s", r->name);
		smtp_server_message_done(c->srv, 250, "2.0.0", text);
		accepted((const char *const *)c->rcpts, c->nrcpts);
	} else {
		stats.errors++;
		if (want_tx(c))
			tx_note(&c->tx, loop_now(), '!', "storage failed, the message is NOT "
			    "accepted: %s", r->err);
		summary(c, NULL, r->err);
		if (r->enospc)
			smtp_server_message_done(c->srv, 452, "4.3.1",
			    "Error: insufficient system storage");
		else
			smtp_server_message_done(c->srv, 451, "4.3.0",
			    "Error: local error in processing");
	}
	conn_update(c);
}

/* summary - the '#' line and the JSON message event, once the message's
 * fate is known: the file it was stored as, or why it was not */
static void
summary(struct conn *c, const char *stored_as, const char *not_stored)
{
	struct buf	 s, j;

	if (c->pend_sum == NULL)
		return;
	buf_init(&s, SIZE_MAX);
	buf_puts(&s, c->pend_sum);
	buf_init(&j, SIZE_MAX);
	buf_puts(&j, c->pend_json);
	if (stored_as) {
		buf_puts(&s, ", stored as ");
		buf_puts(&s, stored_as);
		buf_puts(&j, ",\"stored\":\"");
		esc_json(&j, stored_as, strlen(stored_as));
		buf_puts(&j, "\"");
	} else if (not_stored) {
		buf_puts(&s, ", NOT stored: ");
		buf_puts(&s, not_stored);
		buf_puts(&j, ",\"stored\":null,\"store_error\":\"");
		esc_json(&j, not_stored, strlen(not_stored));
		buf_puts(&j, "\"");
	} else
		buf_puts(&j, ",\"stored\":null");
	buf_append(&s, "", 1);
	buf_append(&j, "", 1);
	if (cfg->summaries) {
		int t = c->tx.text;
		c->tx.text = 1;
		tx_text(&c->tx, loop_now(), '#', (const char *)buf_ptr(&s));
		c->tx.text = t;
	} else if (c->tx.json)
		tx_text(&c->tx, loop_now(), '#', (const char *)buf_ptr(&s));
	if (c->tx.json)
		tx_event(&c->tx, loop_now(), "message", (const char *)buf_ptr(&j));
	buf_free(&s);
	buf_free(&j);
	free(c->pend_sum);
	free(c->pend_json);
	c->pend_sum = c->pend_json = NULL;
}

static void
ev_message(void *arg, const struct smtp_message *m)
{
	struct conn	*c = arg;
	struct buf	 s, j, subj;
	size_t		 i;

	if (c->stx.hidden && cfg->text)
		tx_note(&c->tx, loop_now(), '*', "%zu more data lines not shown (--data-lines)",
		    c->stx.hidden);
	c->stx.shown = c->stx.hidden = 0;
	stats.messages++;
	stats.bytes += m->size;
	buf_init(&s, SIZE_MAX);
	buf_puts(&s, "message ");
	buf_putu(&s, stats.messages);	/* numbered across the whole run */
	buf_puts(&s, " from <");
	esc_text(&s, m->from, strlen(m->from), 1);
	buf_puts(&s, "> to ");
	for (i = 0; i < m->nrcpt; i++) {
		buf_puts(&s, i ? ",<" : "<");
		esc_text(&s, m->rcpt[i], strlen(m->rcpt[i]), 1);
		buf_puts(&s, ">");
	}
	buf_puts(&s, ", ");
	buf_putu(&s, m->size);
	buf_puts(&s, " bytes");
	buf_init(&subj, 4096);
	if (m->subject) {
		/* shown decoded (RFC 2047), escaped like any peer text */
		mime_decode_words(m->subject, &subj);
		buf_puts(&s, ", Subject: ");
		esc_text(&s, buf_ptr(&subj), subj.len, 1);
	}
	if (m->msgid) {
		buf_puts(&s, ", Message-ID: ");
		esc_text(&s, m->msgid, strlen(m->msgid), 1);
	}
	if (m->bare_lf || m->bare_cr)
		buf_printf(&s, ", %zu bare LF / %zu bare CR lines", m->bare_lf, m->bare_cr);
	if (m->long_lines)
		buf_printf(&s, ", %zu lines over 1000 octets", m->long_lines);
	if (m->eightbit && !m->body8)
		buf_puts(&s, ", 8-bit data without BODY=8BITMIME");
	if (m->auth_mech) {
		buf_printf(&s, ", AUTH %s as ", m->auth_mech);
		esc_text(&s, m->auth_user, strlen(m->auth_user), 1);
	}
	buf_init(&j, SIZE_MAX);
	buf_printf(&j, ",\"seq\":%lu,\"session_seq\":%u,", stats.messages, m->seq);
	json_envelope(&j, m);
	if (c->tx.tls) {
		char desc[160];
		tls_session_desc(c->xp, desc, sizeof(desc));
		buf_puts(&j, ",\"tls_session\":\"");
		esc_json(&j, desc, strlen(desc));
		buf_puts(&j, "\"");
	} else
		buf_puts(&j, ",\"tls_session\":null");
	buf_free(&subj);
	c->pend_sum = buf_strdup(&s);
	c->pend_json = buf_strdup(&j);
	buf_free(&s);
	buf_free(&j);
	if (c->job == NULL)
		summary(c, NULL, NULL);	/* nothing is stored: said now */
	if (c->job) {
		char *side = NULL;
		if (store_sidecar()) {
			buf_init(&j, 1 << 20);
			buf_printf(&j, "{\"session\":%u,\"peer\":\"%s\",\"helo\":\"", c->tx.session,
			    c->peer);
			esc_json(&j, m->helo ? m->helo : "", m->helo ? strlen(m->helo) : 0);
			buf_printf(&j, "\",\"mail_params\":\"");
			esc_json(&j, m->mail_params, strlen(m->mail_params));
			buf_printf(&j, "\",");
			json_envelope(&j, m);
			buf_printf(&j, ",\"tls\":%s,\"bare_lf\":%zu,"
			    "\"long_lines\":%zu,\"8bit\":%s,\"body_8bitmime\":%s",
			    c->tx.tls ? "true" : "false", m->bare_lf,
			    m->long_lines, m->eightbit ? "true" : "false", m->body8 ? "true" : "false");
			side_json(c, &j);
			buf_puts(&j, "}\n");
			buf_append(&j, "", 1);
			side = buf_strdup(&j);
			buf_free(&j);
		}
		c->job_ended = 1;
		free_rcpts(c);
		if (cfg->nexpect_rcpt) {
			c->rcpts = xcalloc(m->nrcpt + 1, sizeof(*c->rcpts));
			for (i = 0; i < m->nrcpt; i++)
				c->rcpts[i] = xstrdup(m->rcpt[i]);
			c->nrcpts = m->nrcpt;
		}
		store_end(c->job, side, stored, c);
		free(side);
		return;	/* answered by stored(), once it is on disk */
	}
	/* Count first: message_done() frees the envelope m points into. */
	accepted(m->rcpt, m->nrcpt);
	smtp_server_message_done(c->srv, 250, "2.0.0", "Ok: message discarded by smtpdbg sink");
}

static void
ev_close(void *arg)
{
	struct conn *c = arg;

	c->want_close = 1;
}

static void
ev_starttls(void *arg)
{
	struct conn *c = arg;

	c->tls_due = 1;
}

/* ev_auth_lookup - --auth-users, or any credentials */
static int
ev_auth_lookup(void *arg, const char *user, char *pw, size_t len)
{
	(void)arg;
	return sink_user_secret(cfg, user, pw, len);
}

int
sink_user_secret(const struct sink_cfg *sc, const char *user, char *pw, size_t len)
{
	size_t	 i;

	if (sc->nusers == 0)
		return 2;
	for (i = 0; i < sc->nusers; i++)
		if (strcmp(sc->users[i].user, user) == 0) {
			snprintf(pw, len, "%s", sc->users[i].secret);
			return 1;
		}
	return 0;
}

/* ev_auth - who authenticated how: in the transcript, never the secret */
static void
ev_auth(void *arg, const char *mech, const char *user, int ok, const char *shown)
{
	struct conn *c = arg;

	if (ok)
		stats.auth_ok++;
	else
		stats.auth_failed++;
	if (want_tx(c))
		tx_note(&c->tx, loop_now(), ok ? '*' : '!', "AUTH %s as \"%s\": %s (the client "
		    "sent: %s)", mech, user, ok ? "accepted" : "refused", shown);
}

/* release - a delayed reply is due */
static void
release(void *arg)
{
	struct conn *c = arg;

	c->hold = NULL;
	smtp_server_decide(c->srv, c->held);
	free(c->held);
	c->held = NULL;
	conn_update(c);
}

/* effects - what the driver does for a decision: drip, TLS faults, and a
 * delay (1: the reply is held; release() gives it) */
static int
effects(struct conn *c, const struct smtp_decision *d)
{
	if (d->flags & SMTP_F_DRIP)
		c->drip_ms = d->drip_ms ? d->drip_ms : 1;
	c->tls_fault = d->flags & (SMTP_F_TLS_ABORT | SMTP_F_CERT_EXPIRED | SMTP_F_CERT_NAME);
	if (!(d->flags & SMTP_F_DELAY) || d->delay_ms == 0)
		return 0;
	if (c->held == NULL)
		c->held = xmalloc(sizeof(*c->held));
	*c->held = *d;
	c->held->flags &= ~(unsigned)(SMTP_F_WAIT | SMTP_F_DELAY);
	loop_del_timer(c->hold);
	c->hold = loop_add_timer(d->delay_ms, release, c);
	return 1;
}

/* ev_decide - rules (and the operator) choose the reply */
static void
ev_decide(void *arg, struct smtp_decision *d)
{
	struct conn	*c = arg;
	const char	*why = NULL;

	if (cfg->rules)
		why = rules_apply(cfg->rules, d, c->ip, loop_now() / 1000);
	if (why)
		stats.faults++;
	if (why && (want_tx(c))) {
		char what[300];
		rules_effect_text(d, what, sizeof(what));
		tx_note(&c->tx, loop_now(), '!', "%s at %s%s", why, smtp_stage_name(d->stage), what);
	}
	if (cfg->manual) {
		d->flags |= SMTP_F_WAIT;
		manual_ask(c, c->tx.session, d, (cfg->scfg.ext & SMTP_EXT_ENHANCED) != 0);
		return;
	}
	if (effects(c, d))
		d->flags |= SMTP_F_WAIT;
}

/* manual_answer - the operator decided */
static void
manual_answer(void *owner, struct smtp_decision *d)
{
	struct conn *c = owner;

	if (effects(c, d))
		return;	/* release() gives it */
	smtp_server_decide(c->srv, d);
	conn_update(c);
}

static const struct smtp_server_events sevents = {
	ev_input, ev_output, ev_note, ev_data, ev_message, ev_abort, ev_close, ev_starttls,
	ev_data_start, ev_decide, ev_auth_lookup, ev_auth, ev_data_lines,
};

/* tls_begin - the 220 is out: the socket speaks TLS from now on */
static int
tls_begin(struct conn *c)
{
	char	 err[256];
	int	 fd;
	struct tls_ctx *use = c->tls_fault & SMTP_F_CERT_EXPIRED ? ctx_expired :
	    c->tls_fault & SMTP_F_CERT_NAME ? ctx_wrongname : ctx;

	c->tls_due = 0;
	if (c->tls_fault & SMTP_F_TLS_ABORT) {
		c->tls_aborting = 1;	/* conn_io answers the ClientHello with an alert */
		return 0;
	}
	fd = xport_detach(c->xp);
	if ((c->xp = xport_tls_server(fd, use, err, sizeof(err))) == NULL) {
		c->xp = xport_plain(fd);
		if (want_tx(c))
			tx_note(&c->tx, loop_now(), '!', "TLS set-up failed: %s", err);
		return -1;
	}
	c->handshaking = 1;
	c->hs_start = loop_now();
	return 0;
}

/* tls_step - advance the handshake; -1 when the session must end */
static int
tls_step(struct conn *c)
{
	char	 desc[160], sni[300], subj[600], m[1024];
	int	 r = xport_handshake(c->xp);

	if (r == 1)
		return 0;
	c->handshaking = 0;
	if (r == -1) {
		if (want_tx(c))
			tx_note(&c->tx, loop_now(), '!', "TLS handshake failed: %s", xport_error(c->xp));
		return -1;
	}
	tls_session_desc(c->xp, desc, sizeof(desc));
	tls_peer_sni(c->xp, sni, sizeof(sni));
	if (tls_peer_cert_subject(c->xp, subj, sizeof(subj)) == -1)
		snprintf(subj, sizeof(subj), "none");
	c->tx.tls = 1;
	if (c->side) {
		free(c->side->tls_desc);
		free(c->side->tls_sni);
		c->side->tls_desc = xstrdup(desc);
		c->side->tls_sni = xstrdup(sni);
	}
	if (want_tx(c)) {
		tx_note(&c->tx, loop_now(), '*', "TLS started: %s in %.1f ms; SNI %s; client "
		    "certificate %s; lines marked ~ are encrypted", desc,
		    (double)(loop_now() - c->hs_start) / 1000.0, sni[0] ? sni : "none", subj);
		snprintf(m, sizeof(m), ",\"desc\":\"%s\",\"sni\":\"%s\"", desc, sni);
		tx_event(&c->tx, loop_now(), "handshake", m);
	}
	{
		unsigned char cb[64];
		int n = tls_channel_binding(c->xp, cb, sizeof(cb));
		if (n > 0)
			smtp_server_channel_binding(c->srv, cb, (size_t)n);
	}
	if (c->implicit)
		smtp_server_start(c->srv);
	else
		smtp_server_tls_up(c->srv);
	return 0;
}

static void
unthrottle(void *arg)
{
	struct conn *c = arg;

	c->throttle = NULL;
	conn_update(c);
}

static void
drip_next(void *arg)
{
	struct conn *c = arg;

	c->drip = NULL;
	conn_update(c);
}

/* tls_abort - the ClientHello came: a fatal handshake_failure alert, close */
static void
tls_abort(struct conn *c)
{
	static const unsigned char alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };
	unsigned char	 b[4096];

	while (read(c->xp->fd, b, sizeof(b)) > 0)
		;
	if (send(c->xp->fd, alert, sizeof(alert), MSG_NOSIGNAL) < 0)
		(void)0;
	if (want_tx(c))
		tx_note(&c->tx, loop_now(), '!', "TLS handshake aborted on purpose "
		    "(fatal handshake_failure alert)");
	shutdown(c->xp->fd, SHUT_WR);
	conn_free(c);
}

static void
conn_reread(void *arg)
{
	struct conn *c = arg;

	c->reread = NULL;
	conn_io(c->xp->fd, LOOP_IN, c);
}

/* conn_update - flush replies, close when due, set poll interest */
static void
conn_update(struct conn *c)
{
	struct buf	*out = smtp_server_output(c->srv);
	ssize_t		 w;

	while (out->len > 0 && c->drip == NULL) {
		w = xport_write(c->xp, buf_ptr(out), c->drip_ms ? 1 : out->len);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (cfg->text)
				tx_note(&c->tx, loop_now(), '!', "write failed: %s", strerror(errno));
			conn_free(c);
			return;
		}
		buf_drain(out, (size_t)w);
		if (c->drip_ms && out->len) {
			c->drip = loop_add_timer(c->drip_ms, drip_next, c);
			break;
		}
		smtp_server_process(c->srv);
	}
	if (out->len == 0)
		c->drip_ms = 0;
	/* At end of input the engine still answers what it received, then
	 * asks to close: a half-close is not an abort. */
	if (out->len == 0 && c->want_close) {
		conn_free(c);
		return;
	}
	if (draining && !c->want_close && !c->handshaking && c->job == NULL) {
		enum smtp_server_state st = smtp_server_state(c->srv);
		if (st == SMTP_S_GREETED || st == SMTP_S_READY) {
			smtp_server_shutdown(c->srv);
			conn_update(c);
			return;
		}
	}
	if (out->len == 0 && c->tls_due && tls_begin(c) == -1) {
		conn_free(c);
		return;
	}
	if (c->handshaking) {
		loop_mod_fd(c->xp->fd, xport_want(c->xp) == XPORT_WANT_WRITE ? LOOP_OUT : LOOP_IN);
		return;
	}
	if (c->tls_aborting) {
		loop_mod_fd(c->xp->fd, LOOP_IN);
		return;
	}
	if (c->drip) {
		loop_mod_fd(c->xp->fd, smtp_server_input_space(c->srv) && !c->eof ? LOOP_IN : 0);
		return;
	}
	/* Back-pressure: a slow disk stops reading this client, nobody else. */
	if (c->job && !c->job_ended && store_backlog(c->job) > STORE_BACKLOG_MAX) {
		loop_mod_fd(c->xp->fd, out->len ? LOOP_OUT : 0);
		if (c->throttle == NULL)
			c->throttle = loop_add_timer(20, unthrottle, c);
		return;
	}
	loop_mod_fd(c->xp->fd, (smtp_server_input_space(c->srv) && !c->eof ? LOOP_IN : 0) |
	    (out->len ? LOOP_OUT : 0));
}

static void
conn_io(int fd, unsigned ev, void *arg)
{
	struct conn	*c = arg;
	unsigned char	 b[65536];
	size_t		 space;
	ssize_t		 r;

	if (c->tls_aborting) {
		tls_abort(c);
		return;
	}
	if (c->handshaking) {
		if (tls_step(c) == -1) {
			conn_free(c);
			return;
		}
		if (c->handshaking) {
			conn_update(c);
			return;
		}
	}
	if (ev & LOOP_IN) {
		space = smtp_server_input_space(c->srv);
		if (space > sizeof(b))
			space = sizeof(b);
		if (space > 0) {
			r = xport_read(c->xp, b, space);
			if (r > 0) {
				loop_del_timer(c->idle);
				c->idle = loop_add_timer((uint64_t)cfg->idle_timeout * 1000, on_idle, c);
				io_now = loop_now();
				smtp_server_feed(c->srv, b, (size_t)r);
				io_now = 0;
				slow_watch(c);
			} else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
				if (xport_is_tls(c->xp) && *xport_error(c->xp) && (want_tx(c)))
					tx_text(&c->tx, loop_now(), '!', xport_error(c->xp));
				c->eof = 1;
				if (want_tx(c))
					tx_note(&c->tx, loop_now(), '*', "end of input from the client%s: "
					    "what it sent is still answered", r == 0 ? "" : " (read error)");
				listen_slow_stop(&c->slow);
				smtp_server_eof(c->srv);
			}
			if (!c->eof && xport_pending(c->xp) > 0 && c->reread == NULL)
				c->reread = loop_add_timer(0, conn_reread, c);
		}
	}
	conn_update(c);
}

/* tls_rules - the rules at stage TLS, before an implicit-TLS handshake
 * (there is no reply to change: only TLS faults and drop); -1: drop */
static int
tls_rules(struct conn *c)
{
	struct smtp_decision	 d;
	const char		*why;

	if (cfg->rules == NULL)
		return 0;
	memset(&d, 0, sizeof(d));
	d.stage = SMTP_ST_TLS;
	d.code = d.dflt = 220;
	if ((why = rules_apply(cfg->rules, &d, c->ip, loop_now() / 1000)) == NULL)
		return 0;
	stats.faults++;
	if (want_tx(c))
		tx_note(&c->tx, loop_now(), '!', "%s at TLS, %s", why,
		    d.flags & SMTP_F_DROP ? "connection dropped before the handshake" :
		    d.flags & SMTP_F_TLS_ABORT ? "the TLS handshake will be aborted" :
		    d.flags & SMTP_F_CERT_EXPIRED ? "an expired certificate will be served" :
		    "a certificate for another name will be served");
	if (d.flags & SMTP_F_DROP)
		return -1;
	c->tls_fault = d.flags & (SMTP_F_TLS_ABORT | SMTP_F_CERT_EXPIRED | SMTP_F_CERT_NAME);
	return 0;
}

/* conn_new - a client connected (listen_accept's callback) */
static void
conn_new(int cfd, const struct sockaddr *sa, void *arg)
{
	int	 implicit = arg != NULL;
	struct conn	*c;
	char		 m[128];

	c = xcalloc(1, sizeof(*c));
	c->xp = xport_plain(cfd);
	if (c->xp == NULL)
		fatalx("%s: out of memory", __func__);
	net_addr_str(sa, c->peer, sizeof(c->peer));
	listen_peer_ip(c->peer, c->ip, sizeof(c->ip));
	c->tx.wall = 1;
	c->tx.session = (unsigned)++stats.sessions;
	c->tx.text = cfg->text;
	c->tx.json = cfg->json;
	c->tx.t0 = loop_now();
	stats.active++;
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	if (store_sidecar()) {
		c->side = xcalloc(1, sizeof(*c->side));
		buf_init(&c->side->tx, SIDE_MAX);
		c->side->pre = SIZE_MAX;
		c->tx.save = &c->side->tx;
	}
	snprintf(m, sizeof(m), ",\"peer\":\"%s\"", c->peer);
	tx_event(&c->tx, c->tx.t0, "connect", m);
	if (cfg->text || c->tx.save)
		tx_note(&c->tx, c->tx.t0, '*', "connection from %s", c->peer);
	c->srv = smtp_server_new(implicit ? &tls_scfg : &cfg->scfg, &sevents, c);
	loop_add_fd(cfd, LOOP_IN, conn_io, c);
	c->idle = loop_add_timer((uint64_t)cfg->idle_timeout * 1000, on_idle, c);
	if (implicit) {
		c->implicit = 1;
		if (tls_rules(c) == -1 || tls_begin(c) == -1) {
			conn_free(c);
			return;
		}
		conn_update(c);
		return;
	}
	smtp_server_start(c->srv);
	conn_update(c);
}



/* make_ctx - the server certificate: the files given, or one made now */
static int
make_ctx(char *info, size_t ilen, char *err, size_t errlen)
{
	struct listen_ctx lc;

	if (listen_ctx(&lc, cfg->cert, cfg->key, cfg->scfg.hostname, cfg->listen,
	    cfg->manual || (cfg->rules && (rules_flags(cfg->rules) & SMTP_F_CERT_EXPIRED)),
	    cfg->manual || (cfg->rules && (rules_flags(cfg->rules) & SMTP_F_CERT_NAME)),
	    info, ilen, err, errlen) == -1)
		return -1;
	ctx = lc.ctx;
	ctx_expired = lc.expired;
	ctx_wrongname = lc.wrongname;
	return 0;
}

int
sink_start(struct sink_cfg *sc, char *bound, size_t blen, char *info, size_t ilen,
    char *err, size_t errlen)
{
	char		 tb[128];
	size_t		 i;

	cfg = sc;
	stxcfg.text = cfg->text;
	stxcfg.data_lines = cfg->data_lines;
	stxcfg.show_secrets = cfg->show_secrets;
	stxcfg.save_data = 0;	/* the sidecar: the message file has the data */
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
	if ((!cfg->no_starttls || cfg->tls_listen) && make_ctx(info, ilen, err, errlen) == -1)
		return -1;
	if (cfg->tls_min || cfg->tls_max) {
		struct tls_ctx *all[] = { ctx, ctx_expired, ctx_wrongname };
		for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			if (all[i] && tls_ctx_versions(all[i], cfg->tls_min, cfg->tls_max, err,
			    errlen) == -1)
				return -1;
	}
	if (ctx && cfg->ocsp && tls_ctx_staple(ctx, cfg->ocsp, err, errlen) == -1)
		return -1;
	if (store_open(&cfg->store, cfg->scfg.hostname ? cfg->scfg.hostname : "localhost",
	    err, errlen) == -1)
		return -1;
	cfg->scfg.starttls = !cfg->no_starttls;
	tls_scfg = cfg->scfg;
	tls_scfg.starttls = 0;
	tls_scfg.tls_active = 1;
	cfg->max_conn = listen_fd_limit(cfg->max_conn, 1, info, ilen);
#ifdef M_TRIM_THRESHOLD
	/* Sessions' buffers come and go with every read of message data.
	 * glibc gives freed memory at the top of the heap back to the kernel
	 * at 128 KiB and faults it in again on the next read: 2.4x the CPU
	 * per 100 KB message (bench/sink.sh, 10 sessions).  Keep up to 8 MiB
	 * for reuse, and buffers under 1 MiB on the heap. */
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
	for (i = 0; i < 2; i++) {
		lst[i].max = &cfg->max_conn;
		lst[i].active = &stats.active;
		lst[i].rejects = &stats.rejects;
		lst[i].cb = conn_new;
		lst[i].arg = i ? (void *)1 : NULL;
	}
	if (listen_on(&lst[0], cfg->listen, "2525", bound, blen, err, errlen) == -1)
		return -1;
	if (cfg->manual && manual_start(manual_answer) == -1) {
		snprintf(err, errlen, "--manual: cannot read the terminal");
		return -1;
	}
	if (cfg->tls_listen) {
		if (listen_on(&lst[1], cfg->tls_listen, "2525", tb, sizeof(tb), err, errlen) == -1)
			return -1;
		if (info) {
			size_t l = strlen(info);
			snprintf(info + l, ilen - l, "; implicit TLS on %s", tb);
		}
	}
	return 0;
}

void
sink_drain(int grace, void (*done)(void), int soft)
{
	struct conn	*c, *next;

	draining = 1;
	listen_close(lst, 2);
	/* Idle sessions end now; transactions in flight may finish. */
	for (c = conns; c; c = next) {
		enum smtp_server_state st = smtp_server_state(c->srv);
		next = c->next;
		if (c->handshaking || st == SMTP_S_MAIL || st == SMTP_S_RCPT ||
		    st == SMTP_S_DATA || st == SMTP_S_WAIT || soft)
			continue;
		c->shutdown = 1;	/* its 421 is the sink's going, not a reject */
		smtp_server_shutdown(c->srv);
		conn_update(c);
	}
	listen_drain(grace, &stats.active, done);
}

int
sink_tlsa_pin(char *out, size_t len)
{
	return listen_tlsa_pin(ctx, out, len);
}

void
sink_stats(struct sink_stats *s)
{
	*s = stats;
}

void
sink_stop(void)
{
	if (cfg->manual)
		manual_stop();
	listen_close(lst, 2);
	while (conns)
		conn_free(conns);
	store_close();	/* finishes what was handed over, durably */
	tls_ctx_free(ctx);
	tls_ctx_free(ctx_expired);
	tls_ctx_free(ctx_wrongname);
	ctx = ctx_expired = ctx_wrongname = NULL;
	listen_drain_stop();
}
