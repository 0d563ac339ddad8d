/*
 * smtp_client - client protocol engine.
 *
 * Invariants: every byte queued in out was announced through on_sent;
 * pending[] holds, in order, the commands still waiting for a reply; the
 * state changes only in client_state().  Nothing here blocks or reads the
 * clock.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/dot.h"
#include "session/smtp_client.h"
#include "session/xalloc.h"

#define PENDING_MAX	256

struct smtp_client {
	struct smtp_client_cfg	 cfg;
	struct smtp_client_events ev;
	void			*arg;
	enum smtp_client_state	 state;
	struct smtp_reply_parser *parser;
	struct buf		 out;
	struct smtp_client_cmd	*pending;	/* a ring of pcap, grown to PENDING_MAX */
	size_t			 phead, pcount, pcap;
	uint64_t		 now;
	uint64_t		 connected_us;
	int			 greeted;
	int			 last_code;
	struct dot_enc		 enc;
	size_t			 sent_mark;	/* out.len before a data write */
	struct caps		 caps;
	size_t			 injected;
	unsigned long long	 rx;		/* bytes fed since the parser's reset */
	unsigned long long	 rx_end;	/* during a feed: rx once it is parsed */
	int			 in_feed;
	/* sends queued while a feed is parsed, announced after it: the
	 * transcript shows them after the bytes that were already here */
	struct {
		enum smtp_client_sent kind;
		size_t		 from, to;
	}			 held[16];
	size_t			 nheld;
	char			 rawpart[80];	/* /raw: a line begun without its LF yet */
	int			 lmtp;		/* LHLO answered 250 */
	char			 (*rcpts)[72];	/* this transaction's accepted recipients */
	size_t			 nrcpt, rcap;
	char			 err[256];
};

static const char *const state_names[SMTP_C_STATE_COUNT] = {
	"closed", "greeting", "ready", "mail", "rcpt", "data", "tls", "quit",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == SMTP_C_STATE_COUNT,
    "state_names");

static void	 client_on_line(void *, const struct smtp_line *);
static void	 announce_held(struct smtp_client *);
static void	 client_on_reply(void *, const struct smtp_reply *);
static void	 follow(struct smtp_client *, const struct smtp_client_cmd *,
		    const struct smtp_reply *);

const char *
smtp_client_state_name(enum smtp_client_state s)
{
	if ((unsigned)s >= SMTP_C_STATE_COUNT)
		fatalx("%s: bad state %d", __func__, (int)s);
	return state_names[s];
}

/* client_state - the only way the state changes */
static void
client_state(struct smtp_client *c, enum smtp_client_state s)
{
	enum smtp_client_state old = c->state;

	if (old == s)
		return;
	c->state = s;
	if (c->ev.on_state)
		c->ev.on_state(c->arg, old, s);
}

static void
anomaly(struct smtp_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
anomaly(struct smtp_client *c, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->ev.on_anomaly)
		c->ev.on_anomaly(c->arg, msg);
}

struct smtp_client *
smtp_client_new(const struct smtp_client_cfg *cfg, const struct smtp_client_events *ev,
    void *arg)
{
	struct smtp_client	*c = xcalloc(1, sizeof(*c));
	struct smtp_reply_limits lim;
	static const struct smtp_reply_cb cb = { client_on_line, client_on_reply };

	if (cfg)
		c->cfg = *cfg;
	if (c->cfg.out_max == 0)
		c->cfg.out_max = 1024 * 1024;
	c->ev = *ev;
	c->arg = arg;
	lim.max_line = c->cfg.max_line;
	lim.max_lines = c->cfg.max_lines;
	lim.max_bytes = c->cfg.max_bytes;
	c->parser = smtp_reply_new(&lim, &cb, c);
	buf_init(&c->out, c->cfg.out_max);
	c->state = SMTP_C_CLOSED;
	return c;
}

void
smtp_client_free(struct smtp_client *c)
{
	if (c == NULL)
		return;
	smtp_reply_free(c->parser);
	buf_free(&c->out);
	free(c->rcpts);
	free(c->pending);
	free(c);
}

struct buf *
smtp_client_output(struct smtp_client *c)
{
	return &c->out;
}

enum smtp_client_state
smtp_client_state(const struct smtp_client *c)
{
	return c->state;
}

size_t
smtp_client_waiting(const struct smtp_client *c)
{
	return c->pcount + (c->state == SMTP_C_GREETING && !c->greeted);
}

enum smtp_verb
smtp_client_awaiting(const struct smtp_client *c)
{
	if (c->pcount > 0)
		return c->pending[c->phead].verb;
	return c->state == SMTP_C_GREETING && !c->greeted ? SMTP_V_GREETING : SMTP_V_UNKNOWN;
}

const struct caps *
smtp_client_caps(const struct smtp_client *c)
{
	return &c->caps;
}

const char *
smtp_client_error(const struct smtp_client *c)
{
	return c->err;
}

int
smtp_client_lmtp(const struct smtp_client *c)
{
	return c->lmtp;
}

/* rcpt_accepted - remember an accepted recipient for LMTP's replies */
static void
rcpt_accepted(struct smtp_client *c, const char *text)
{
	const char *a = strchr(text, '<');
	size_t	 n;

	if (c->nrcpt == c->rcap) {
		c->rcap = c->rcap ? c->rcap * 2 : 8;
		c->rcpts = xrealloc(c->rcpts, c->rcap * sizeof(*c->rcpts));
	}
	if (a == NULL)
		a = text;
	n = strcspn(a, " ");
	snprintf(c->rcpts[c->nrcpt++], sizeof(c->rcpts[0]), "%.*s", (int)n, a);
}

/* grow - room in the ring for n awaited replies (n <= PENDING_MAX): it
 * starts small (most sessions await a few) and doubles */
static void
grow(struct smtp_client *c, size_t n)
{
	c->pending = xring_grow(c->pending, sizeof(*c->pending), &c->phead, c->pcount, &c->pcap,
	    n, 8, PENDING_MAX);
}

/*
 * lmtp_parts - the first reply to the end of data in LMTP: one more is
 * due for every other accepted recipient, before anything sent later
 */
static void
lmtp_parts(struct smtp_client *c, struct smtp_client_cmd *cmd)
{
	size_t	 k, extra = c->nrcpt - 1;

	cmd->part = 1;
	snprintf(cmd->text, sizeof(cmd->text), ". for %s", c->rcpts[0]);
	if (extra > PENDING_MAX - c->pcount) {
		anomaly(c, "%zu LMTP replies cannot all be awaited; %zu are", extra + 1,
		    (size_t)(PENDING_MAX - c->pcount) + 1);
		extra = PENDING_MAX - c->pcount;
	}
	grow(c, c->pcount + extra);
	for (k = extra; k >= 1; k--) {
		struct smtp_client_cmd *e;
		c->phead = (c->phead + c->pcap - 1) % c->pcap;
		c->pcount++;
		e = &c->pending[c->phead];
		*e = *cmd;
		e->rx_mark = 0;
		e->part = (unsigned)k + 1;
		snprintf(e->text, sizeof(e->text), ". for %s", c->rcpts[k]);
	}
}

int
smtp_client_last_code(const struct smtp_client *c)
{
	return c->last_code;
}

uint64_t
smtp_client_deadline(const struct smtp_client *c)
{
	const struct smtp_client_cmd *p;
	uint64_t	 t;

	if (c->state == SMTP_C_GREETING && !c->greeted) {
		t = c->cfg.greeting_ms ? c->cfg.greeting_ms : c->cfg.timeout_ms ?
		    c->cfg.timeout_ms : 300000;
		return c->connected_us + t * 1000u;
	}
	if (c->pcount == 0)
		return 0;
	p = &c->pending[c->phead];
	t = c->cfg.timeout_ms ? c->cfg.timeout_ms :
	    (uint64_t)smtp_cmd_def(p->verb)->timeout * 1000;
	return p->sent_us + t * 1000u;
}

void
smtp_client_set_timeouts(struct smtp_client *c, uint64_t timeout_ms, uint64_t greeting_ms)
{
	c->cfg.timeout_ms = timeout_ms;
	c->cfg.greeting_ms = greeting_ms;
}

void
smtp_client_connected(struct smtp_client *c, uint64_t now)
{
	smtp_reply_reset(c->parser);
	buf_drain(&c->out, c->out.len);
	c->nheld = 0;
	c->rawpart[0] = '\0';
	c->phead = c->pcount = 0;
	c->greeted = 0;
	c->lmtp = 0;
	c->nrcpt = 0;
	c->last_code = 0;
	c->injected = 0;
	c->rx = 0;
	c->connected_us = now;
	c->now = now;
	caps_clear(&c->caps);
	client_state(c, SMTP_C_GREETING);
}

static int
push_pending(struct smtp_client *c, enum smtp_verb v, const char *text, size_t len)
{
	struct smtp_client_cmd *p;
	size_t	 i, n;

	if (c->pcount == PENDING_MAX) {
		snprintf(c->err, sizeof(c->err),
		    "%d commands already wait for a reply", PENDING_MAX);
		return -1;
	}
	grow(c, c->pcount + 1);
	p = &c->pending[(c->phead + c->pcount) % c->pcap];
	p->verb = v;
	p->sent_us = c->now;
	p->pipelined = c->pcount > 0;
	p->part = 0;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;	/* a /raw line's end is not part of its name */
	/* Everything fed so far was received before this command was queued,
	 * also the rest of a buffer being parsed right now. */
	p->rx_mark = c->in_feed ? c->rx_end : c->rx;
	n = len < sizeof(p->text) - 1 ? len : sizeof(p->text) - 1;
	for (i = 0; i < n; i++)
		p->text[i] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?';
	p->text[n] = '\0';
	c->pcount++;
	return 0;
}

static void	 announce(struct smtp_client *, enum smtp_client_sent, size_t, size_t);

/* sent - out[from..] was just queued: announce it, or hold it until the
 * feed in progress is parsed */
static void
sent(struct smtp_client *c, enum smtp_client_sent kind, size_t from)
{
	if (c->ev.on_sent == NULL)
		return;
	if (c->in_feed) {
		if (c->nheld == sizeof(c->held) / sizeof(c->held[0]))
			announce_held(c);
		c->held[c->nheld].kind = kind;
		c->held[c->nheld].from = from;
		c->held[c->nheld].to = c->out.len;
		c->nheld++;
		return;
	}
	announce(c, kind, from, c->out.len);
}

/* announce_held - what was queued during the feed, in order */
static void
announce_held(struct smtp_client *c)
{
	size_t	 i, n = c->nheld;

	c->nheld = 0;
	for (i = 0; i < n; i++)
		announce(c, c->held[i].kind, c->held[i].from, c->held[i].to);
}

static void
announce(struct smtp_client *c, enum smtp_client_sent kind, size_t from, size_t to)
{
	const unsigned char *p = buf_ptr(&c->out) + from, *e = buf_ptr(&c->out) + to;
	const unsigned char *lf;

	/* One event per line, so transcripts show each line sent. */
	while (p < e) {
		lf = memchr(p, '\n', (size_t)(e - p));
		size_t n = lf ? (size_t)(lf - p) + 1 : (size_t)(e - p);
		c->ev.on_sent(c->arg, kind, p, n);
		p += n;
	}
}

int
smtp_client_command(struct smtp_client *c, const char *line, size_t len, uint64_t now)
{
	enum smtp_verb	 v;
	size_t		 i, mark;

	c->now = now;
	c->err[0] = '\0';
	if (c->state == SMTP_C_CLOSED) {
		snprintf(c->err, sizeof(c->err), "not connected");
		return -1;
	}
	if (c->state == SMTP_C_DATA) {
		snprintf(c->err, sizeof(c->err), "in message data: use a data line or \".\"");
		return -1;
	}
	if (c->state == SMTP_C_TLS) {
		snprintf(c->err, sizeof(c->err), "the TLS handshake is not done yet");
		return -1;
	}
	for (i = 0; i < len; i++)
		if (line[i] == '\r' || line[i] == '\n' || line[i] == '\0') {
			snprintf(c->err, sizeof(c->err),
			    "a command cannot contain CR, LF or NUL (it would inject "
			    "another command); use /raw to send such bytes on purpose");
			return -1;
		}
	if (len + 2 > buf_space(&c->out)) {
		snprintf(c->err, sizeof(c->err), "output buffer full");
		return -1;
	}
	v = smtp_cmd_lookup(line, len, NULL);
	if (v == SMTP_V_UNKNOWN && c->last_code == 334 && c->pcount == 0)
		v = SMTP_V_AUTH;	/* a line answering a 334 challenge */
	if (push_pending(c, v, line, len) == -1)
		return -1;
	c->rawpart[0] = '\0';	/* on the wire this line ends what /raw began */
	mark = c->out.len;
	buf_append(&c->out, line, len);
	buf_append(&c->out, "\r\n", 2);
	sent(c, SMTP_SENT_COMMAND, mark);
	if (len + 2 > 512)
		anomaly(c, "command line is %zu octets; RFC 5321 4.5.3.1.4 only "
		    "guarantees 512 (sent anyway)", len + 2);
	return 0;
}

int
smtp_client_data_line(struct smtp_client *c, const char *line, size_t len, uint64_t now)
{
	size_t	 mark;

	c->now = now;
	if (c->state != SMTP_C_DATA) {
		snprintf(c->err, sizeof(c->err), "not in message data");
		return -1;
	}
	if (len == 1 && line[0] == '.')
		return smtp_client_data_end(c, now);
	if (2 * len + 4 > buf_space(&c->out)) {
		snprintf(c->err, sizeof(c->err), "output buffer full");
		return -1;
	}
	mark = c->out.len;
	/* The line end is ours, not content: CRLF, never counted as fixed. */
	if (dot_enc_feed(&c->enc, &c->out, line, len) == -1 ||
	    dot_enc_feed(&c->enc, &c->out, "\r\n", 2) == -1)
		fatalx("%s: buffer space", __func__);
	sent(c, SMTP_SENT_DATA, mark);
	return 0;
}

int
smtp_client_data(struct smtp_client *c, const void *p, size_t n, uint64_t now)
{
	size_t	 mark;

	c->now = now;
	if (c->state != SMTP_C_DATA) {
		snprintf(c->err, sizeof(c->err), "not in message data");
		return -1;
	}
	if (2 * n + 2 > buf_space(&c->out)) {
		snprintf(c->err, sizeof(c->err), "output buffer full");
		return -1;
	}
	mark = c->out.len;
	if (dot_enc_feed(&c->enc, &c->out, p, n) == -1)
		fatalx("%s: buffer space", __func__);
	sent(c, SMTP_SENT_DATA, mark);
	return 0;
}

int
smtp_client_data_end(struct smtp_client *c, uint64_t now)
{
	size_t	 mark;
	int	 unended;

	c->now = now;
	if (c->state != SMTP_C_DATA) {
		snprintf(c->err, sizeof(c->err), "not in message data");
		return -1;
	}
	if (buf_space(&c->out) < 8) {
		snprintf(c->err, sizeof(c->err), "output buffer full");
		return -1;
	}
	if (push_pending(c, SMTP_V_DOT, ".", 1) == -1)
		return -1;
	unended = !c->enc.bol && !c->enc.cr;
	mark = c->out.len;
	dot_enc_finish(&c->enc, &c->out);
	sent(c, SMTP_SENT_DATA, mark);
	if (unended && c->ev.on_note)
		c->ev.on_note(c->arg, "the data did not end with a line end: CRLF added "
		    "before the final \".\" (RFC 5321 4.1.1.4)");
	if (c->enc.normalized && c->ev.on_note) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%zu bare CR/LF in the message were sent as CRLF",
		    c->enc.normalized);
		c->ev.on_note(c->arg, msg);
	}
	/* The reply, not this call, ends the transaction; stop data mode. */
	client_state(c, SMTP_C_READY);
	return 0;
}

int
smtp_client_data_sent(struct smtp_client *c, uint64_t now)
{
	c->now = now;
	if (c->state != SMTP_C_DATA) {
		snprintf(c->err, sizeof(c->err), "not in message data");
		return -1;
	}
	if (push_pending(c, SMTP_V_DOT, ".", 1) == -1)
		return -1;
	client_state(c, SMTP_C_READY);
	return 0;
}

int
smtp_client_bdat(struct smtp_client *c, const void *p, size_t n, int last, uint64_t now)
{
	char	 cmd[48];
	size_t	 mark;
	int	 cl;

	c->now = now;
	c->err[0] = '\0';
	if (c->state != SMTP_C_MAIL && c->state != SMTP_C_RCPT && c->state != SMTP_C_READY) {
		snprintf(c->err, sizeof(c->err), "BDAT needs a transaction (state %s)",
		    state_names[c->state]);
		return -1;
	}
	cl = snprintf(cmd, sizeof(cmd), "BDAT %zu%s\r\n", n, last ? " LAST" : "");
	if ((size_t)cl + n > buf_space(&c->out)) {
		snprintf(c->err, sizeof(c->err), "output buffer full");
		return -1;
	}
	if (push_pending(c, last ? SMTP_V_DOT : SMTP_V_BDAT, cmd, (size_t)cl - 2) == -1)
		return -1;
	mark = c->out.len;
	buf_append(&c->out, cmd, (size_t)cl);
	sent(c, SMTP_SENT_COMMAND, mark);
	/* The chunk goes as it is: no dot-stuffing, no line rules. */
	mark = c->out.len;
	buf_append(&c->out, p, n);
	sent(c, SMTP_SENT_DATA, mark);
	return 0;
}

int
smtp_client_raw(struct smtp_client *c, const void *vp, size_t n, uint64_t now)
{
	const unsigned char	*p = vp, *lf, *s;
	size_t			 mark;

	c->now = now;
	if (c->state == SMTP_C_CLOSED) {
		snprintf(c->err, sizeof(c->err), "not connected");
		return -1;
	}
	if (n > buf_space(&c->out)) {
		snprintf(c->err, sizeof(c->err), "output buffer full");
		return -1;
	}
	/* Outside DATA each LF-terminated line is taken as one command: the
	 * whole line, also when it was sent in several pieces. */
	if (c->state != SMTP_C_DATA) {
		char	 line[80];
		size_t	 have, take;
		for (s = p; s < p + n; s = lf ? lf + 1 : p + n) {
			lf = memchr(s, '\n', n - (size_t)(s - p));
			have = strlen(c->rawpart);
			take = (size_t)((lf ? lf : p + n) - s);
			if (take > sizeof(line) - 1 - have)
				take = sizeof(line) - 1 - have;
			memcpy(line, c->rawpart, have);
			memcpy(line + have, s, take);
			line[have + take] = '\0';
			if (lf == NULL) {
				memcpy(c->rawpart, line, have + take + 1);
				break;
			}
			c->rawpart[0] = '\0';
			enum smtp_verb v = smtp_cmd_lookup(line, have + take, NULL);
			if (v == SMTP_V_UNKNOWN && c->last_code == 334 && c->pcount == 0)
				v = SMTP_V_AUTH;	/* a response to a challenge, as typed */
			if (push_pending(c, v == SMTP_V_UNKNOWN ? SMTP_V_RAW : v, line,
			    have + take) == -1)
				return -1;
		}
	}
	mark = c->out.len;
	buf_append(&c->out, p, n);
	sent(c, SMTP_SENT_RAW, mark);
	return 0;
}

void
smtp_client_feed(struct smtp_client *c, const void *p, size_t n, uint64_t now)
{
	size_t	 used;

	c->now = now;
	if (c->state == SMTP_C_CLOSED)
		return;
	if (c->state == SMTP_C_TLS) {
		/* Nothing may arrive between the 220 and our ClientHello. */
		c->injected += n;
		return;
	}
	c->rx_end = c->rx + n;
	c->in_feed = 1;
	used = smtp_reply_feed(c->parser, p, n);
	c->in_feed = 0;
	c->rx += used;
	announce_held(c);
	if (used < n && c->state == SMTP_C_TLS) {
		c->injected += n - used;
		anomaly(c, "%zu byte%s followed the 220 to STARTTLS in plaintext: a "
		    "response injection attempt (CVE-2021-22947 class); discarded",
		    n - used, n - used == 1 ? "" : "s");
	}
}

size_t
smtp_client_injected(const struct smtp_client *c)
{
	return c->injected;
}

void
smtp_client_tls_up(struct smtp_client *c, uint64_t now)
{
	c->now = now;
	smtp_reply_reset(c->parser);
	c->rx = 0;
	caps_clear(&c->caps);
	c->phead = c->pcount = 0;
	client_state(c, SMTP_C_READY);
}

void
smtp_client_eof(struct smtp_client *c, uint64_t now)
{
	c->now = now;
	if (c->state == SMTP_C_CLOSED)
		return;
	smtp_reply_eof(c->parser);
	if (c->pcount > 0 || (c->state == SMTP_C_GREETING && !c->greeted))
		anomaly(c, "server closed the connection in state %s with %zu "
		    "repl%s outstanding", state_names[c->state],
		    smtp_client_waiting(c), smtp_client_waiting(c) == 1 ? "y" : "ies");
	else if (c->state != SMTP_C_QUIT)
		anomaly(c, "server closed the connection in state %s",
		    state_names[c->state]);
	c->pcount = 0;
	client_state(c, SMTP_C_CLOSED);
}

void
smtp_client_close(struct smtp_client *c)
{
	smtp_reply_reset(c->parser);
	c->rx = 0;
	c->nheld = 0;
	buf_drain(&c->out, c->out.len);
	c->phead = c->pcount = 0;
	client_state(c, SMTP_C_CLOSED);
}

static void
client_on_line(void *arg, const struct smtp_line *l)
{
	struct smtp_client *c = arg;

	if (c->ev.on_line)
		c->ev.on_line(c->arg, l);
}

/* client_on_reply - pair the reply with a command, then follow the state */
static void
client_on_reply(void *arg, const struct smtp_reply *r)
{
	struct smtp_client	*c = arg;
	struct smtp_client_cmd	 cmd, *cp = NULL;
	int			 code = r->code, n = 0, k;
	char			 why[6][192];	/* said after the reply is shown */

#define WHY(...) snprintf(why[n++], sizeof(why[0]), __VA_ARGS__)
	c->last_code = code;
	if (c->state == SMTP_C_GREETING && !c->greeted) {
		c->greeted = 1;
		memset(&cmd, 0, sizeof(cmd));
		cmd.verb = SMTP_V_GREETING;
		cmd.sent_us = c->connected_us;
		snprintf(cmd.text, sizeof(cmd.text), "(connect)");
		cp = &cmd;
		if (code != 220)
			WHY(code == 554 ? "server refuses service (554 greeting)" :
			    "greeting is %d, not 220", code);
	} else if (c->pcount > 0 && c->pending[c->phead].rx_mark <= r->start) {
		cmd = c->pending[c->phead];
		c->phead = (c->phead + 1) % c->pcap;
		c->pcount--;
		cp = &cmd;
		if (cmd.verb == SMTP_V_DOT && c->lmtp && cmd.part == 0 && c->nrcpt > 0)
			lmtp_parts(c, &cmd);
	} else if (c->pcount > 0) {
		/* It began to arrive before the oldest waiting command was
		 * sent: an answer to nothing, never to that command. */
		if (code != 421)
			WHY("unsolicited reply: it arrived before \"%s\" was sent, "
			    "so it answers nothing", c->pending[c->phead].text);
	} else if (c->state == SMTP_C_DATA) {
		/* Data ended by raw bytes: this answers it. */
		memset(&cmd, 0, sizeof(cmd));
		cmd.verb = SMTP_V_DOT;
		cmd.sent_us = c->now;
		cp = &cmd;
	} else if (code != 421)
		WHY("unsolicited reply: no command was waiting for it");

	if (r->flags & SMTP_REPLY_MISMATCH)
		WHY("multi-line reply changes its code between lines (RFC 5321 4.2.1)");
	if (r->flags & SMTP_REPLY_MALFORMED)
		WHY("malformed reply line: not \"NNN text\"");
	if (r->flags & SMTP_REPLY_TOO_LONG)
		WHY("reply exceeds %s; the rest is shown but not kept",
		    r->nlines > 1000 ? "1000 lines" : "the reply size limit");
	if (r->flags & SMTP_REPLY_INCOMPLETE)
		WHY("reply cut off by the end of the connection");

	/* Follow the state first: the event sees the state after the reply. */
	if (code == 421)
		client_state(c, SMTP_C_QUIT);
	else if (cp != NULL)
		follow(c, cp, r);
	if (c->ev.on_reply)
		c->ev.on_reply(c->arg, r, cp);
	for (k = 0; k < n; k++)
		anomaly(c, "%s", why[k]);
#undef WHY
}

/* follow - the state change a reply to cmd causes */
static void
follow(struct smtp_client *c, const struct smtp_client_cmd *cp, const struct smtp_reply *r)
{
	int	 code = r->code, ok = code >= 200 && code < 300;

	switch (cp->verb) {
	case SMTP_V_GREETING:
		client_state(c, SMTP_C_READY);
		break;
	case SMTP_V_EHLO:
	case SMTP_V_LHLO:
		if (ok) {
			c->lmtp = cp->verb == SMTP_V_LHLO;
			caps_parse(&c->caps, r);
			client_state(c, SMTP_C_READY);
		}
		break;
	case SMTP_V_HELO:
		if (ok) {
			c->lmtp = 0;
			caps_clear(&c->caps);
			client_state(c, SMTP_C_READY);
		}
		break;
	case SMTP_V_MAIL:
		c->nrcpt = 0;
		if (ok)
			client_state(c, SMTP_C_MAIL);
		break;
	case SMTP_V_RCPT:
		if (ok && (c->state == SMTP_C_MAIL || c->state == SMTP_C_RCPT)) {
			rcpt_accepted(c, cp->text);
			client_state(c, SMTP_C_RCPT);
		}
		break;
	case SMTP_V_DATA:
		if (code == 354) {
			dot_enc_init(&c->enc, 0);
			client_state(c, SMTP_C_DATA);
		}
		break;
	case SMTP_V_DOT:
	case SMTP_V_RSET:
		if (cp->verb == SMTP_V_DOT || ok)
			client_state(c, SMTP_C_READY);
		break;
	case SMTP_V_QUIT:
		client_state(c, SMTP_C_QUIT);
		break;
	case SMTP_V_STARTTLS:
		if (code == 220) {
			/* Parse nothing more in plaintext (RFC 3207, CVE-2011-0411). */
			client_state(c, SMTP_C_TLS);
			smtp_reply_pause(c->parser);
			if (c->ev.on_need_tls)
				c->ev.on_need_tls(c->arg);
		}
		break;
	case SMTP_V_UNKNOWN:
	case SMTP_V_BDAT:
	case SMTP_V_NOOP:
	case SMTP_V_VRFY:
	case SMTP_V_EXPN:
	case SMTP_V_HELP:
	case SMTP_V_AUTH:
	case SMTP_V_ETRN:
	case SMTP_V_RAW:
		if (cp->verb == SMTP_V_RAW && code == 354) {
			dot_enc_init(&c->enc, 0);
			client_state(c, SMTP_C_DATA);
		}
		break;
	default:
		fatalx("%s: bad verb %d", __func__, (int)cp->verb);
	}
}
