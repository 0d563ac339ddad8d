/*
 * client - the client connection driver.
 *
 * Owns: the fd (through its transport), the engine, the transcript and a
 * /data file being streamed.  Reads everything the server sends, also
 * after a half-close, until end of stream; writes the engine's output as
 * the socket accepts it.  Deadlines come from the engine and become one
 * loop timer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "cli/client.h"
#include "cli/loop.h"
#include "cli/net.h"
#include "cli/out.h"
#include "session/esc.h"
#include "session/line.h"
#include "session/xalloc.h"
#include "tls/xport.h"

struct client {
	struct client_cfg	*cfg;
	struct client_hooks	 hooks;
	struct smtp_client	*eng;
	struct xport		*xp;
	struct net_connect	*nc;
	struct tx		 tx;
	struct buf		 saved;		/* transcript text for /save */
	struct loop_timer	*deadline;
	uint64_t		 deadline_at;
	char			 target[300];
	char			 peer[128];
	int			 connected;
	int			 datafd;	/* /data file being sent, or -1 */
	size_t			 data_shown;	/* data lines shown this message */
	size_t			 data_hidden;
	struct smtp_line	 last;		/* a reply's final line, until ev_reply */
	unsigned char		 last_raw[8192 + 2];
	struct line_acc		 sacc;		/* the command line being sent, in pieces */
	struct line_acc		 dacc;		/* the message line being sent, in pieces */
	/* TLS */
	char			 host[256];	/* as given: for SNI and the name check */
	struct tls_ctx		*ctx;		/* made on first use */
	int			 tls_due;	/* STARTTLS answered 220: start at once */
	int			 handshaking;
	int			 implicit;	/* this handshake is --tls, before greeting */
	uint64_t		 hs_start;
	struct loop_timer	*hs_timer;
	struct loop_timer	*reread;	/* TLS records left inside GnuTLS */
	struct loop_timer	*flush;		/* write what was queued this turn */
	int			 reading;	/* inside read_input */
	struct tls_report	*report;	/* the last TLS report (made on the first) */
	int			 have_report;
	struct caps		*caps_before;	/* capabilities before STARTTLS (made then) */
	char			 ehlo[300];	/* the last EHLO/HELO sent, redone after TLS */
	struct buf		 last_text;	/* the last reply's text */
	char			*mask;		/* shown instead of the next line sent */
	const char		*viol;		/* the last fatal violation, in words */
	enum smtp_verb		 answers;	/* what the reply in the hook answers */
	const struct smtp_client_cmd *answers_cmd;
	char			 why[600];	/* the last connect or TLS failure */
	char			 line1[1024];	/* client_last_line */
	char			 port[16];
	char			 words[64];
};

static void	 tls_start(struct client *, int implicit);
static void	 tls_step(struct client *);
static void	 hs_timeout(void *);
static void	 caps_diff(struct client *);

static void	 client_io(int, unsigned, void *);
static void	 client_update(struct client *);
static int	 read_input(struct client *);
static void	 kick(struct client *);

/*
 * What the server may do wrong, and whether the reply stream can still be
 * trusted.  Fatal: a script or send ends (exit 5) unless --keep-going.
 * Warning: shown (escaped, with a '!' line) and the session goes on.  The
 * manual's PROTOCOL VIOLATIONS section is this table in words.
 */
enum viol {
	V_MALFORMED, V_MISMATCH, V_UNSOLICITED, V_TOO_LONG,
	V_BARE_LF, V_BARE_CR, V_NUL, V_CTRL, V_8BIT, V_LONG_LINE,
	V_COUNT
};
static const struct {
	const char	*what;
	int		 fatal;
} viol_tab[V_COUNT] = {
	[V_MALFORMED]	= { "a reply line without a valid code", 1 },
	[V_MISMATCH]	= { "a multi-line reply whose codes differ", 1 },
	[V_UNSOLICITED]	= { "an unsolicited reply", 1 },
	[V_TOO_LONG]	= { "a reply over the limits (1000 lines, 64 KiB, a line over "
			    "8192 octets)", 1 },
	[V_BARE_LF]	= { "a reply line ending in a bare LF", 0 },
	[V_BARE_CR]	= { "a bare CR in a reply line", 0 },
	[V_NUL]		= { "a NUL byte in a reply", 0 },
	[V_CTRL]	= { "control characters in a reply", 0 },
	[V_8BIT]	= { "8-bit bytes in a reply", 0 },
	[V_LONG_LINE]	= { "a reply line over 512 octets", 0 },
};

static void	 hook(struct client *, enum client_ev, int);

/* violation - the server broke the protocol: fatal ones go to the runner */
static void
violation(struct client *c, enum viol v, int code)
{
	if ((unsigned)v >= V_COUNT)
		fatalx("%s: bad violation %d", __func__, (int)v);
	if (viol_tab[v].fatal) {
		c->viol = viol_tab[v].what;
		hook(c, CLIENT_VIOLATION, code);
	}
}

const char *
client_violation_row(size_t i, int *fatal)
{
	if (i >= V_COUNT)
		return NULL;
	*fatal = viol_tab[i].fatal;
	return viol_tab[i].what;
}

const char *
client_violation(const struct client *c)
{
	return c->viol ? c->viol : "a protocol violation";
}

/* line_violations - the warnings a reply line's flags carry */
static void
line_violations(struct client *c, unsigned f)
{
	static const struct { unsigned flag; enum viol v; } m[] = {
		{ LINE_BARE_LF, V_BARE_LF }, { LINE_BARE_CR, V_BARE_CR }, { LINE_NUL, V_NUL },
		{ LINE_CTRL, V_CTRL }, { LINE_8BIT, V_8BIT }, { LINE_LONG, V_LONG_LINE },
	};
	size_t	 i;

	if (f & LINE_MORE)
		return;	/* judged on the whole line */
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (f & m[i].flag)
			violation(c, m[i].v, 0);
}

static void
hook(struct client *c, enum client_ev ev, int code)
{
	if (c->hooks.on_event)
		c->hooks.on_event(c->hooks.arg, ev, code);
}

void
client_note(struct client *c, char kind, const char *fmt, ...)
{
	va_list	 ap;

	c->tx.text = c->cfg->text;
	c->tx.json = c->cfg->json;
	va_start(ap, fmt);
	tx_vnote(&c->tx, loop_now(), kind, fmt, ap);
	va_end(ap);
}

/* Engine events. */

static void
ev_line(void *arg, const struct smtp_line *l)
{
	struct client	*c = arg;

	tx_line(&c->tx, loop_now(), TX_S, l->raw, l->len, l->flags, -1,
	    l->code > 0 ? l->code : 0, NULL, NULL);
	line_violations(c, l->flags);
}

/* ev_line_last - keep a reply's final line until ev_reply has the latency */
static void
ev_line_last(void *arg, const struct smtp_line *l)
{
	struct client	*c = arg;
	size_t		 n = l->len > sizeof(c->last_raw) ? sizeof(c->last_raw) : l->len;

	memcpy(c->last_raw, l->raw, n);
	c->last = *l;
	c->last.raw = c->last_raw;
	c->last.len = n;
	c->last.text = NULL;
}

static void
ev_line_any(void *arg, const struct smtp_line *l)
{
	if (l->last)
		ev_line_last(arg, l);
	else
		ev_line(arg, l);
}

/* caps_event - the EHLO capabilities as JSON: "caps" with "domain" and
 * "keywords" [{"keyword", "params"}] */
static void
caps_event(struct client *c)
{
	const struct caps *k = smtp_client_caps(c->eng);
	struct buf	 j;
	size_t		 i;

	buf_init(&j, 1 << 20);
	buf_puts(&j, ",\"domain\":\"");
	esc_json(&j, k->domain, strlen(k->domain));
	buf_puts(&j, "\",\"keywords\":[");
	for (i = 0; i < k->n; i++) {
		buf_puts(&j, i ? ",{\"keyword\":\"" : "{\"keyword\":\"");
		esc_json(&j, k->e[i].keyword, strlen(k->e[i].keyword));
		buf_puts(&j, "\",\"params\":\"");
		esc_json(&j, k->e[i].params, strlen(k->e[i].params));
		buf_puts(&j, "\"}");
	}
	buf_puts(&j, "]");
	buf_append(&j, "", 1);
	tx_event(&c->tx, loop_now(), "caps", (const char *)buf_ptr(&j));
	buf_free(&j);
}

static void
ev_reply(void *arg, const struct smtp_reply *r, const struct smtp_client_cmd *cmd)
{
	struct client	*c = arg;
	uint64_t	 now = loop_now();
	int64_t		 lat = cmd ? (int64_t)(now - cmd->sent_us) : -1;
	char		 members[256];

	if (c->last.raw) {
		/* Pipelined (more awaited, or sent behind another) or one of LMTP's
		 * replies to the end of data: say what this one answers. */
		if (cmd && (smtp_client_waiting(c->eng) > 0 || cmd->pipelined || cmd->part))
			c->tx.answers = cmd->text;
		tx_line(&c->tx, now, TX_S, c->last.raw, c->last.len, c->last.flags, lat,
		    r->code > 0 ? r->code : 0, r->enh,
		    smtp_client_state_name(smtp_client_state(c->eng)));
		c->tx.answers = NULL;
		line_violations(c, c->last.flags);
		c->last.raw = NULL;
	}
	buf_drain(&c->last_text, c->last_text.len);
	buf_append(&c->last_text, buf_ptr(&r->text), r->text.len);
	snprintf(members, sizeof(members), ",\"code\":%d,\"lines\":%zu,\"answers\":\"%s\"",
	    r->code, r->nlines, cmd ? smtp_cmd_name(cmd->verb) : "");
	if (cmd && cmd->part) {
		/* LMTP: the recipient this reply is for */
		struct buf e;
		size_t l = strlen(members);
		buf_init(&e, 256);
		esc_json(&e, cmd->text + 6, strlen(cmd->text + 6));
		snprintf(members + l, sizeof(members) - l, ",\"rcpt\":\"%.*s\"", (int)e.len,
		    (const char *)buf_ptr(&e));
		buf_free(&e);
	}
	if (lat >= 0) {
		size_t l = strlen(members);
		snprintf(members + l, sizeof(members) - l, ",\"latency_ms\":%.3f",
		    (double)lat / 1000.0);
	}
	tx_event(&c->tx, now, "reply", members);
	if (cmd && (cmd->verb == SMTP_V_EHLO || cmd->verb == SMTP_V_LHLO) && r->code == 250 &&
	    c->tx.json)
		caps_event(c);
	if (cmd && (cmd->verb == SMTP_V_EHLO || cmd->verb == SMTP_V_LHLO) &&
	    c->caps_before && c->caps_before->valid && c->tx.tls && r->code == 250) {
		caps_diff(c);
		c->caps_before->valid = 0;
	}
	if (r->flags & SMTP_REPLY_MALFORMED)
		violation(c, V_MALFORMED, r->code);
	else if (r->flags & SMTP_REPLY_MISMATCH)
		violation(c, V_MISMATCH, r->code);
	else if (r->flags & SMTP_REPLY_TOO_LONG)
		violation(c, V_TOO_LONG, r->code);
	else if (cmd == NULL && r->code != 421)
		violation(c, V_UNSOLICITED, r->code);
	c->answers = cmd ? cmd->verb : SMTP_V_UNKNOWN;
	c->answers_cmd = cmd;
	hook(c, CLIENT_REPLY, r->code);
	c->answers = SMTP_V_UNKNOWN;
	c->answers_cmd = NULL;
}

/* ev_sent - bytes queued for the server, a line or a piece of one at a
 * time: shown as lines, whole-line flags, pieces joined */
static void
ev_sent(void *arg, enum smtp_client_sent kind, const unsigned char *p, size_t n)
{
	struct client	*c = arg;
	struct line_acc	*a = kind == SMTP_SENT_DATA ? &c->dacc : &c->sacc;
	int		 show = 1, start = !line_acc_open(a);
	unsigned	 f = (line_acc_add(a, p, n, 0, NULL) & ~(unsigned)(LINE_NOEOL | LINE_8BIT)) |
			    (kind == SMTP_SENT_DATA ? LINE_DATA : 0);

	if (kind == SMTP_SENT_DATA && c->cfg->data_lines >= 0) {
		/* a line is counted when it ends: its pieces go together */
		if (c->data_shown >= (size_t)c->cfg->data_lines) {
			show = 0;
			c->data_hidden += !(f & LINE_MORE);
		} else
			c->data_shown += !(f & LINE_MORE);
	}
	c->tx.text = show ? c->cfg->text : 0;
	if (!show)
		c->tx.save = NULL;
	if (start && c->mask == NULL && !c->cfg->show_secrets && kind != SMTP_SENT_DATA) {
		/* A credential typed by hand: "AUTH MECH <response>", or any
		 * line answering a 334 challenge. */
		if (n > 5 && strncasecmp((const char *)p, "AUTH ", 5) == 0) {
			const unsigned char *sp = memchr(p + 5, ' ', n - 5);
			if (sp && line_body_len(p, n) > (size_t)(sp - p) + 1) {
				char m[80];
				snprintf(m, sizeof(m), "%.*s ****", (int)(sp - p) > 60 ? 60 :
				    (int)(sp - p), (const char *)p);
				c->mask = xstrdup(m);
			}
		} else if (smtp_client_last_code(c->eng) == 334 && line_body_len(p, n) > 0 &&
		    !(line_body_len(p, n) == 1 && p[0] == '*'))
			c->mask = xstrdup("****");
	}
	if (c->mask) {
		/* A credential: the mask is shown, never the bytes. */
		char *m = c->mask;
		if (f & LINE_MORE)
			goto out;	/* shown once, when the line ends */
		char shown[128];
		int ended = n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n';
		c->mask = NULL;
		/* the mask keeps the line's end, so the JSON raw is a whole line */
		snprintf(shown, sizeof(shown), "%s%s", m, ended ? "\r\n" : "");
		tx_line(&c->tx, loop_now(), TX_C, (const unsigned char *)shown, strlen(shown),
		    ended ? 0 : LINE_NOEOL, -1, 0, NULL, NULL);
		free(m);
	} else
		tx_line(&c->tx, loop_now(), TX_C, p, n, f, -1, 0, NULL, NULL);
out:
	c->tx.text = c->cfg->text;
	c->tx.save = c->cfg->no_save ? NULL : &c->saved;
	if (kind == SMTP_SENT_COMMAND && n > 6 && n - 2 < sizeof(c->ehlo) &&
	    (strncasecmp((const char *)p, "EHLO ", 5) == 0 ||
	    strncasecmp((const char *)p, "HELO ", 5) == 0)) {
		memcpy(c->ehlo, p, n - 2);
		c->ehlo[n - 2] = '\0';
	}
	if (kind == SMTP_SENT_DATA && n == 3 && memcmp(p, ".\r\n", 3) == 0) {
		if (c->data_hidden)
			client_note(c, '*', "%zu more data lines sent, not shown "
			    "(/set data-lines N)", c->data_hidden);
		c->data_shown = c->data_hidden = 0;
	}
}

static void
ev_state(void *arg, enum smtp_client_state o, enum smtp_client_state n)
{
	struct client	*c = arg;
	char		 m[96];

	snprintf(m, sizeof(m), ",\"from\":\"%s\",\"to\":\"%s\"", smtp_client_state_name(o),
	    smtp_client_state_name(n));
	tx_event(&c->tx, loop_now(), "state", m);
	hook(c, CLIENT_STATE, 0);
}

static void
ev_anomaly(void *arg, const char *msg)
{
	client_note(arg, '!', "%s", msg);
}

static void
ev_note(void *arg, const char *msg)
{
	client_note(arg, '*', "%s", msg);
}

static void
ev_need_tls(void *arg)
{
	struct client *c = arg;

	/* Act after the feed returns: the engine is mid-callback now. */
	c->tls_due = 1;
	if (c->caps_before == NULL)
		c->caps_before = xmalloc(sizeof(*c->caps_before));
	*c->caps_before = *smtp_client_caps(c->eng);
}

/* caps_diff - what changed in the EHLO reply across STARTTLS */
static void
caps_diff(struct client *c)
{
	const struct caps *a = c->caps_before, *b = smtp_client_caps(c->eng);
	struct buf	 d;
	size_t		 i;
	const struct caps_entry *e;

	buf_init(&d, 4096);
	for (i = 0; i < b->n; i++) {
		e = caps_find(a, b->e[i].keyword);
		if (e == NULL)
			buf_printf(&d, "%s+%s%s%s", d.len ? ", " : "", b->e[i].keyword,
			    b->e[i].params[0] ? " " : "", b->e[i].params);
		else if (strcmp(e->params, b->e[i].params) != 0)
			buf_printf(&d, "%s~%s %s (was %s)", d.len ? ", " : "", b->e[i].keyword,
			    b->e[i].params, e->params[0] ? e->params : "no parameters");
	}
	for (i = 0; i < a->n; i++)
		if (caps_find(b, a->e[i].keyword) == NULL)
			buf_printf(&d, "%s-%s", d.len ? ", " : "", a->e[i].keyword);
	buf_append(&d, "", 1);
	client_note(c, '*', "capabilities after TLS: %s", d.len > 1 ?
	    (const char *)buf_ptr(&d) : "unchanged");
	buf_free(&d);
}

struct client *
client_new(struct client_cfg *cfg, const struct client_hooks *hooks)
{
	struct client	*c = xcalloc(1, sizeof(*c));
	struct smtp_client_cfg ecfg;
	static const struct smtp_client_events ev = {
		ev_line_any, ev_reply, ev_sent, ev_state, ev_anomaly, ev_note, ev_need_tls,
	};

	c->cfg = cfg;
	c->hooks = *hooks;
	memset(&ecfg, 0, sizeof(ecfg));
	ecfg.timeout_ms = cfg->timeout_ms;
	ecfg.greeting_ms = cfg->greeting_ms;
	c->eng = smtp_client_new(&ecfg, &ev, c);
	c->datafd = -1;
	buf_init(&c->saved, 64 * 1024 * 1024);
	buf_init(&c->last_text, 1 << 20);
	c->tx.text = cfg->text;
	c->tx.json = cfg->json;
	c->tx.save = cfg->no_save ? NULL : &c->saved;
	c->tx.t0 = loop_now();
	return c;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	net_connect_cancel(c->nc);
	if (c->xp) {
		loop_del_fd(c->xp->fd);
		xport_free(c->xp);
	}
	loop_del_timer(c->deadline);
	loop_del_timer(c->hs_timer);
	loop_del_timer(c->reread);
	loop_del_timer(c->flush);
	if (c->datafd != -1)
		close(c->datafd);
	if (c->ctx != c->cfg->shared_ctx)
		tls_ctx_free(c->ctx);
	smtp_client_free(c->eng);
	tx_free(&c->tx);
	buf_free(&c->saved);
	buf_free(&c->last_text);
	free(c->mask);
	free(c->report);
	free(c->caps_before);
	free(c);
}

struct buf *
client_transcript(struct client *c)
{
	return &c->saved;
}

static void
on_connected(int fd, const char *peer, const char *err, void *arg)
{
	struct client	*c = arg;
	char		 m[400];

	c->nc = NULL;
	if (fd == -1) {
		snprintf(c->why, sizeof(c->why), "%s", err);	/* why, for the front end */
		client_note(c, '!', "connection to %s failed: %s", c->target, err);
		hook(c, CLIENT_CONNECT_FAILED, 0);
		return;
	}
	c->xp = xport_plain(fd);
	if (c->xp == NULL)
		fatalx("%s: out of memory", __func__);
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->connected = 1;
	c->tx.t0 = loop_now();
	snprintf(m, sizeof(m), ",\"target\":\"%.200s\",\"peer\":\"%s\"", c->target, peer);
	tx_event(&c->tx, c->tx.t0, "connect", m);
	client_note(c, '*', "connected to %s (%s)", c->target, peer);
	loop_add_fd(fd, LOOP_IN, client_io, c);
	hook(c, CLIENT_CONNECTED, 0);
	if (c->cfg->tls_mode == CLIENT_TLS_IMPLICIT) {
		tls_start(c, 1);
		return;
	}
	smtp_client_connected(c->eng, c->tx.t0);
	client_update(c);
}

int
client_connect(struct client *c, const char *target, char *err, size_t errlen)
{
	struct net_target t;

	if (c->connected || c->nc) {
		snprintf(err, errlen, "already connected to %s (/close first)", c->target);
		return -1;
	}
	if (strncmp(target, "smtps://", 8) == 0) {
		c->cfg->tls_mode = CLIENT_TLS_IMPLICIT;
		target += 8;
	}
	if (net_parse(target, c->cfg->tls_mode == CLIENT_TLS_IMPLICIT ? "465" : c->cfg->lmtp ?
	    "24" : "25", &t, err, errlen) == -1)
		return -1;
	snprintf(c->host, sizeof(c->host), "%s", t.path[0] ? "" : t.host);
	snprintf(c->port, sizeof(c->port), "%s", t.port);
	c->have_report = 0;
	c->ehlo[0] = '\0';
	c->why[0] = '\0';
	c->tx.tls = 0;
	if (t.path[0])
		snprintf(c->target, sizeof(c->target), "unix:%s", t.path);
	else
		snprintf(c->target, sizeof(c->target), "%s%s%s:%s", strchr(t.host, ':') ? "[" :
		    "", t.host, strchr(t.host, ':') ? "]" : "", t.port);
	buf_drain(&c->saved, c->saved.len);
	smtp_client_set_timeouts(c->eng, c->cfg->timeout_ms, c->cfg->greeting_ms);
	c->nc = net_connect(&t, c->cfg->connect_timeout_ms, on_connected, c, err, errlen);
	return c->nc ? 0 : -1;
}

void
client_close(struct client *c, const char *why)
{
	if (c->nc) {
		net_connect_cancel(c->nc);
		c->nc = NULL;
	}
	if (!c->connected)
		return;
	if (why)
		client_note(c, '*', "%s", why);
	if (smtp_client_output(c->eng)->len > 0 && !c->handshaking)
		client_note(c, '*', "%zu queued bytes were not sent: the connection is closed "
		    "first", smtp_client_output(c->eng)->len);
	loop_del_timer(c->flush);
	c->flush = NULL;
	loop_del_fd(c->xp->fd);
	xport_free(c->xp);
	c->xp = NULL;
	c->connected = 0;
	if (c->datafd != -1) {
		close(c->datafd);
		c->datafd = -1;
	}
	loop_del_timer(c->deadline);
	c->deadline = NULL;
	c->deadline_at = 0;
	loop_del_timer(c->hs_timer);
	c->hs_timer = NULL;
	loop_del_timer(c->reread);
	c->reread = NULL;
	c->tls_due = c->handshaking = 0;
	tx_flush(&c->tx, loop_now());
	tx_free(&c->tx);
	line_acc_end(&c->sacc, NULL);
	line_acc_end(&c->dacc, NULL);
	tx_event(&c->tx, loop_now(), "close", "");
	smtp_client_close(c->eng);
	hook(c, CLIENT_CLOSED, 0);
}

int
client_is_connected(const struct client *c)
{
	return c->connected;
}

int
client_is_connecting(const struct client *c)
{
	return c->nc != NULL;
}

enum smtp_client_state
client_state(const struct client *c)
{
	return smtp_client_state(c->eng);
}

size_t
client_waiting(const struct client *c)
{
	return c->connected ? smtp_client_waiting(c->eng) + (c->datafd != -1) +
	    (c->tls_due || c->handshaking) : 0;
}

int
client_last_code(const struct client *c)
{
	return smtp_client_last_code(c->eng);
}

const struct caps *
client_caps(const struct client *c)
{
	return smtp_client_caps(c->eng);
}

const char *
client_peer(const struct client *c)
{
	return c->connected ? c->target : NULL;
}

static void
on_deadline(void *arg)
{
	struct client *c = arg;

	c->deadline = NULL;
	c->deadline_at = 0;
	client_note(c, '!', "timeout: no reply within %s in state %s",
	    client_timeout_words(c), smtp_client_state_name(smtp_client_state(c->eng)));
	hook(c, CLIENT_TIMEOUT, 0);
}

/* pump_data - move more of a /data file into the engine */
static void
pump_data(struct client *c)
{
	unsigned char	 chunk[16384];
	struct buf	*out = smtp_client_output(c->eng);
	ssize_t		 r;

	while (c->datafd != -1 && out->len < 65536 && smtp_client_state(c->eng) == SMTP_C_DATA) {
		r = read(c->datafd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			client_note(c, '!', "reading the data file: %s", strerror(errno));
			close(c->datafd);
			c->datafd = -1;
			hook(c, CLIENT_LOCAL_ERROR, 0);
			return;
		}
		if (r == 0) {
			close(c->datafd);
			c->datafd = -1;
			smtp_client_data_end(c->eng, loop_now());
			hook(c, CLIENT_DATA_DONE, 0);
			return;
		}
		smtp_client_data(c->eng, chunk, (size_t)r, loop_now());
	}
}

/* client_update - write what we can, then set poll interest and timer */
static void
client_update(struct client *c)
{
	struct buf	*out;
	ssize_t		 w;
	uint64_t	 dl;

	if (!c->connected)
		return;
	if (c->handshaking) {
		loop_mod_fd(c->xp->fd, xport_want(c->xp) == XPORT_WANT_WRITE ? LOOP_OUT : LOOP_IN);
		return;
	}
	pump_data(c);
	out = smtp_client_output(c->eng);
	while (out->len > 0) {
		w = xport_write(c->xp, buf_ptr(out), out->len);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_note(c, '!', "write failed: %s", strerror(errno));
			client_close(c, NULL);
			return;
		}
		buf_drain(out, (size_t)w);
		pump_data(c);
	}
	if (!c->connected)
		return;
	loop_mod_fd(c->xp->fd, LOOP_IN | (out->len ? LOOP_OUT : 0));
	dl = smtp_client_deadline(c->eng);
	if (dl != c->deadline_at) {
		loop_del_timer(c->deadline);
		c->deadline = dl ? loop_timer_at(dl, on_deadline, c) : NULL;
		c->deadline_at = dl;
	}
}

static void
reread(void *arg)
{
	struct client *c = arg;

	c->reread = NULL;
	if (c->connected)
		client_io(c->xp->fd, LOOP_IN, c);
}

/*
 * read_input - feed what the server sent (a bounded number of reads);
 * -1 when the connection ended.  Every byte is parsed before the end is
 * taken: replies that came with the server's half-close still count.
 */
static int
read_input(struct client *c)
{
	unsigned char	 b[16384];
	ssize_t		 r;
	int		 rounds = 0;

	c->reading = 1;
	while (c->connected && rounds++ < 16) {
		r = xport_read(c->xp, b, sizeof(b));
		if (r > 0) {
			smtp_client_feed(c->eng, b, (size_t)r, loop_now());
			if ((size_t)r < sizeof(b))
				break;	/* all there was: the poll is level-triggered, so
					 * more (or the end) is reported again; no read
					 * that would only say EAGAIN */
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r < 0)
			client_note(c, '!', "read failed: %s%s%s", strerror(errno),
			    xport_is_tls(c->xp) ? ": " : "",
			    xport_is_tls(c->xp) ? xport_error(c->xp) : "");
		else if (xport_is_tls(c->xp) && *xport_error(c->xp))
			client_note(c, '!', "%s", xport_error(c->xp));
		c->reading = 0;
		smtp_client_eof(c->eng, loop_now());
		client_close(c, "connection closed by server");
		return -1;
	}
	c->reading = 0;
	return c->connected ? 0 : -1;
}

/*
 * settle - before a command that waits for nothing else: read what the
 * server has already sent, so that a reply nobody asked for is seen as
 * such and never taken for this command's answer.
 */
static void
settle(struct client *c)
{
	if (c->reading || !c->connected || c->handshaking || c->tls_due ||
	    smtp_client_waiting(c->eng) > 0 || smtp_client_state(c->eng) == SMTP_C_TLS)
		return;
	read_input(c);
}

/* on_flush, kick - commands queued in one turn of the loop (a pipelined
 * group, BDAT and its chunk) leave in one write */
static void
on_flush(void *arg)
{
	struct client *c = arg;

	c->flush = NULL;
	client_update(c);
}

static void
kick(struct client *c)
{
	if (c->connected && c->flush == NULL)
		c->flush = loop_add_timer(0, on_flush, c);
}

static void
client_io(int fd, unsigned ev, void *arg)
{
	struct client	*c = arg;

	(void)fd;
	if (c->handshaking) {
		tls_step(c);
		return;
	}
	if (ev & LOOP_IN) {
		if (read_input(c) == -1)
			return;
		if (c->tls_due) {
			tls_start(c, 0);
			return;
		}
		/* Decrypted records GnuTLS holds are invisible to epoll. */
		if (c->connected && xport_pending(c->xp) > 0 && c->reread == NULL)
			c->reread = loop_add_timer(0, reread, c);
	}
	client_update(c);
}

/* tls_start - swap the plain transport for TLS on the same socket */
static void
tls_start(struct client *c, int implicit)
{
	char		 err[512], peek[1];
	const char	*sni;
	int		 fd;

	c->tls_due = 0;
	if (!implicit) {
		/* Bytes already waiting before our ClientHello are injected too. */
		if (smtp_client_injected(c->eng) == 0 &&
		    recv(c->xp->fd, peek, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
			client_note(c, '!', "the server sent more plaintext after its 220 to "
			    "STARTTLS, before the handshake: a response injection attempt");
		else if (smtp_client_injected(c->eng) == 0)
			goto go;
		if (!c->cfg->allow_injection) {
			client_note(c, '!', "STARTTLS aborted: nothing the server sends in "
			    "plaintext after its 220 may be trusted (--allow-injection to go on)");
			snprintf(c->why, sizeof(c->why), "STARTTLS response injection "
			    "(--allow-injection to go on)");
			hook(c, CLIENT_TLS_FAILED, 0);
			client_close(c, NULL);
			return;
		}
		client_note(c, '*', "going on despite the injection (--allow-injection)");
	}
go:
	if (c->ctx == NULL && c->cfg->shared_ctx)
		c->ctx = c->cfg->shared_ctx;
	if (c->ctx == NULL && (c->ctx = tls_ctx_client(&c->cfg->tcfg, err, sizeof(err))) == NULL) {
		client_note(c, '!', "TLS set-up failed: %s", err);
		snprintf(c->why, sizeof(c->why), "set-up failed: %s", err);
		hook(c, CLIENT_TLS_FAILED, 0);
		client_close(c, NULL);
		return;
	}
	/* SNI: --sni, or the host when it is a name; never an IP literal. */
	sni = c->cfg->no_sni ? NULL : c->cfg->sni ? c->cfg->sni :
	    net_is_ip(c->host) ? NULL : c->host;
	fd = xport_detach(c->xp);
	c->xp = xport_tls_client(fd, c->ctx, sni, err, sizeof(err));
	if (c->xp == NULL) {
		close(fd);
		c->connected = 0;
		client_note(c, '!', "TLS set-up failed: %s", err);
		snprintf(c->why, sizeof(c->why), "set-up failed: %s", err);
		hook(c, CLIENT_TLS_FAILED, 0);
		loop_del_fd(fd);
		hook(c, CLIENT_CLOSED, 0);
		return;
	}
	c->implicit = implicit;
	c->handshaking = 1;
	c->hs_start = loop_now();
	client_note(c, '*', "TLS handshake%s, SNI %s", implicit ? " (implicit TLS)" : "",
	    sni ? sni : c->cfg->no_sni ? "not sent (--no-sni)" : "not sent (IP literal)");
	c->hs_timer = loop_add_timer(c->cfg->connect_timeout_ms > 0 ?
	    c->cfg->connect_timeout_ms : 30000, hs_timeout, c);
	tls_step(c);
}

static void
hs_timeout(void *arg)
{
	struct client *c = arg;

	c->hs_timer = NULL;
	snprintf(c->why, sizeof(c->why), "the handshake timed out after %.3g s",
	    (double)(c->cfg->connect_timeout_ms > 0 ? c->cfg->connect_timeout_ms : 30000) /
	    1000.0);
	client_note(c, '!', "TLS %s", c->why);
	hook(c, CLIENT_TIMEOUT, 0);
	client_close(c, NULL);
}

/* tls_step - advance the handshake; on success report and go on */
static void
tls_step(struct client *c)
{
	struct tls_report_opts o;
	char		 err[256], m[64];
	struct buf	 b;
	int		 r = xport_handshake(c->xp);

	if (r == 1) {
		client_update(c);
		return;
	}
	loop_del_timer(c->hs_timer);
	c->hs_timer = NULL;
	c->handshaking = 0;
	if (r == -1) {
		snprintf(c->why, sizeof(c->why), "%s", xport_error(c->xp));
		client_note(c, '!', "TLS handshake failed: %s", c->why);
		hook(c, CLIENT_TLS_FAILED, 0);
		client_close(c, NULL);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.verify_name = c->cfg->sni ? c->cfg->sni : c->host;
	o.sni = c->cfg->no_sni ? NULL : c->cfg->sni ? c->cfg->sni :
	    net_is_ip(c->host) ? NULL : c->host;
	o.handshake_ms = (double)(loop_now() - c->hs_start) / 1000.0;
	o.tlsa = c->cfg->tlsa;
	o.ntlsa = c->cfg->ntlsa;
	o.tlsa_dnssec = c->cfg->tlsa_dnssec;
	if (c->report == NULL)
		c->report = xmalloc(sizeof(*c->report));
	if (tls_report_fill(c->xp, &o, c->report, err, sizeof(err)) == 0)
		c->have_report = 1;
	c->tx.tls = 1;
	{
		char desc[160];
		tls_session_desc(c->xp, desc, sizeof(desc));
		client_note(c, '*', "TLS started: %s in %.1f ms; lines marked ~ are encrypted",
		    desc, o.handshake_ms);
	}
	if (c->have_report) {
		if (c->cfg->report && c->cfg->text)
			client_print_report(c);
		if (c->tx.json) {
			buf_init(&b, 1 << 20);
			tls_report_json(c->report, &b);
			buf_append(&b, "", 1);
			tx_event(&c->tx, loop_now(), "tls", (const char *)buf_ptr(&b));
			buf_free(&b);
		}
	}
	snprintf(m, sizeof(m), "%d", c->have_report ? tls_report_failed(c->report) : 0);
	if (c->implicit)
		smtp_client_connected(c->eng, c->tx.t0);
	else
		smtp_client_tls_up(c->eng, loop_now());	/* the opening says EHLO again */
	hook(c, CLIENT_TLS_UP, c->have_report ? tls_report_failed(c->report) : 0);
	if (c->connected)
		client_update(c);
}

int
client_tls(const struct client *c)
{
	return c->connected && c->tx.tls;
}

const struct tls_report *
client_report(const struct client *c)
{
	return c->have_report ? c->report : NULL;
}

int
client_peer_pem(struct client *c, struct buf *b)
{
	if (!c->connected || !c->tx.tls)
		return -1;
	return tls_peer_pem(c->xp, b);
}

const struct caps *
client_caps_before(const struct client *c)
{
	static const struct caps none;

	return c->caps_before ? c->caps_before : &none;
}

void
client_print_report(struct client *c)
{
	struct buf	 b;

	if (!c->have_report)
		return;
	buf_init(&b, 1 << 20);
	tls_report_text(c->report, out_color(), &b);
	buf_append(&b, "", 1);
	out_puts((const char *)buf_ptr(&b));
	buf_append(&c->saved, buf_ptr(&b), b.len - 1);
	buf_free(&b);
}

int
client_channel_binding(struct client *c, unsigned char *out, size_t len)
{
	if (!c->connected || !xport_is_tls(c->xp) || c->handshaking)
		return -1;
	return tls_channel_binding(c->xp, out, len);
}

void
client_mask_next(struct client *c, const char *shown)
{
	free(c->mask);
	c->mask = xstrdup(shown);
}

void
client_event(struct client *c, const char *name, const char *members)
{
	c->tx.json = c->cfg->json;
	tx_event(&c->tx, loop_now(), name, members);
}

enum smtp_verb
client_answers(const struct client *c)
{
	return c->answers;
}

uint64_t
client_answers_sent(const struct client *c)
{
	return c->answers_cmd ? c->answers_cmd->sent_us : 0;
}

enum smtp_verb
client_awaiting(const struct client *c)
{
	return smtp_client_awaiting(c->eng);
}

uint64_t
client_tls_started(const struct client *c)
{
	return c->hs_start;
}

const char *
client_answers_text(const struct client *c)
{
	return c->answers_cmd ? c->answers_cmd->text : "";
}

unsigned
client_answers_part(const struct client *c)
{
	return c->answers_cmd ? c->answers_cmd->part : 0;
}

const char *
client_last_greet(const struct client *c)
{
	return c->ehlo;
}

const char *
client_target(const struct client *c)
{
	return c->target;
}

const char *
client_connect_error(const struct client *c)
{
	size_t	 n = strlen(c->target);

	if (c->why[0] == '\0')
		return "see the transcript";
	/* one address tried: its name is the target's, said once */
	if (strncmp(c->why, c->target, n) == 0 && c->why[n] == ':' &&
	    c->why[n + 1] == ' ' && strchr(c->why + n, ';') == NULL)
		return c->why + n + 2;
	return c->why;
}

const char *
client_tls_error(const struct client *c)
{
	return c->why[0] ? c->why : "see the transcript";
}

const char *
client_timeout_words(struct client *c)
{
	uint64_t ms = smtp_client_state(c->eng) == SMTP_C_GREETING && c->cfg->greeting_ms ?
	    c->cfg->greeting_ms : c->cfg->timeout_ms;

	if (ms == 0)
		snprintf(c->words, sizeof(c->words), "%s",
		    smtp_client_state(c->eng) == SMTP_C_GREETING ? "300 s (RFC 5321)" :
		    "the RFC 5321 time");
	else
		snprintf(c->words, sizeof(c->words), "%.3g s", (double)ms / 1000.0);
	return c->words;
}

const char *
client_implicit_hint(const struct client *c)
{
	if (c->tx.tls || c->cfg->tls_mode == CLIENT_TLS_IMPLICIT || c->target[0] == 'u')
		return "";
	if (strcmp(c->port, "465") == 0)
		return "; port 465 is usually implicit TLS: try --tls";
	return "; an implicit-TLS port (like 465) says nothing before the handshake: if this "
	    "is one, try --tls";
}

const char *
client_last_line(struct client *c)
{
	size_t	 n;
	const char *t = client_last_text(c, &n);

	snprintf(c->line1, sizeof(c->line1), "%.*s", (int)strcspn(t, "\n"), t);
	return c->line1;
}

const char *
client_last_text(struct client *c, size_t *len)
{
	buf_append(&c->last_text, "", 1);
	c->last_text.len--;
	*len = c->last_text.len;
	return (const char *)buf_ptr(&c->last_text);
}

int
client_command(struct client *c, const char *line, char *err, size_t errlen)
{
	if (!c->connected) {
		snprintf(err, errlen, "not connected (use /connect HOST[:PORT])");
		return -1;
	}
	settle(c);
	if (!c->connected) {
		snprintf(err, errlen, "the server closed the connection");
		return -1;
	}
	smtp_client_set_timeouts(c->eng, c->cfg->timeout_ms, c->cfg->greeting_ms);
	if (smtp_client_command(c->eng, line, strlen(line), loop_now()) == -1) {
		snprintf(err, errlen, "%s", smtp_client_error(c->eng));
		return -1;
	}
	kick(c);
	return 0;
}

int
client_data_line(struct client *c, const char *line, size_t n, char *err, size_t errlen)
{
	if (!c->connected) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
	if (smtp_client_data_line(c->eng, line, n, loop_now()) == -1) {
		snprintf(err, errlen, "%s", smtp_client_error(c->eng));
		return -1;
	}
	kick(c);
	return 0;
}

int
client_raw(struct client *c, const void *p, size_t n, char *err, size_t errlen)
{
	if (!c->connected) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
	if (smtp_client_raw(c->eng, p, n, loop_now()) == -1) {
		snprintf(err, errlen, "%s", smtp_client_error(c->eng));
		return -1;
	}
	tx_flush(&c->tx, loop_now());	/* a line without its end yet is shown now */
	kick(c);
	return 0;
}

int
client_data_fd(struct client *c, int fd, char *err, size_t errlen)
{
	if (!c->connected || smtp_client_state(c->eng) != SMTP_C_DATA) {
		snprintf(err, errlen, "not in message data");
		close(fd);
		return -1;
	}
	c->datafd = fd;
	kick(c);
	return 0;
}

int
client_bdat(struct client *c, const void *p, size_t n, int last, char *err, size_t errlen)
{
	if (!c->connected) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
	settle(c);
	if (!c->connected) {
		snprintf(err, errlen, "the server closed the connection");
		return -1;
	}
	if (smtp_client_bdat(c->eng, p, n, last, loop_now()) == -1) {
		snprintf(err, errlen, "%s", smtp_client_error(c->eng));
		return -1;
	}
	kick(c);
	return 0;
}

int
client_data_sent(struct client *c, char *err, size_t errlen)
{
	if (smtp_client_data_sent(c->eng, loop_now()) == -1) {
		snprintf(err, errlen, "%s", smtp_client_error(c->eng));
		return -1;
	}
	return 0;
}

int
client_data_file(struct client *c, const char *path, char *err, size_t errlen)
{
	int	 fd;

	if (!c->connected || smtp_client_state(c->eng) != SMTP_C_DATA) {
		snprintf(err, errlen, "not in message data");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	c->datafd = fd;
	kick(c);
	return 0;
}
