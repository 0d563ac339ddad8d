/*
 * smtp_proxy - the relay engine (see smtp_proxy.h).
 *
 * Client bytes wait in cin until they make a line (or, in message data, a
 * piece long enough that it cannot be the final "."); each command is
 * classified, sent on as it came and queued, so that each upstream reply
 * is matched with what it answers.  A reply the proxy gives itself (a
 * STARTTLS it terminates, an AUTH it refuses, a line too long) is queued
 * too and leaves in its turn: replies reach the client in command order.
 * An upstream reply is held until its last line, then relayed as it came
 * or, when something changes it, replaced; either way every line is
 * reported once with where it went.
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/b64.h"
#include "session/dot.h"
#include "session/line.h"
#include "session/smtp_cmdtab.h"
#include "session/smtp_proxy.h"
#include "session/smtp_reply.h"
#include "session/xalloc.h"

#define PEND_MAX	128		/* commands awaiting replies */
#define RAW_MAX		65536		/* an upstream reply held whole */
#define OUT_MAX		(16u << 20)	/* output bounds (back-pressure keeps far below) */
#define PIECE		8192		/* long data lines go on in pieces of this size */

enum mode { M_CMD, M_SASL, M_SASL_OWN, M_DATA, M_BDAT };

/* pend flags */
#define PP_OWN		0x01	/* the proxy's own command: its reply is not relayed */
#define PP_HOLD		0x02	/* the client's next bytes wait for this reply */
#define PP_LAST		0x04	/* BDAT ... LAST */
#define PP_TLS		0x08	/* a local 220: the client leg starts TLS after it */

/* The proxy's own commands. */
enum own { OWN_NONE, OWN_EHLO, OWN_STARTTLS, OWN_QUIT, OWN_CANCEL, OWN_AUTH };

struct pend {
	enum smtp_verb	 verb;
	enum own	 own;
	unsigned	 flags;
	uint64_t	 t_in, t_out;
	char		*arg;		/* MAIL/RCPT address, HELO name */
	struct buf	 local;		/* a reply the proxy gives itself */
};

struct smtp_proxy {
	struct proxy_cfg	 cfg;
	struct proxy_events	 ev;
	void			*arg;
	uint64_t		 now;

	struct buf		 cin;		/* client bytes not yet handled */
	struct buf		 out[2];	/* to the client, to the upstream */
	struct smtp_reply_parser *rp;
	struct buf		 raw;		/* the upstream reply so far, as it came */
	int			 raw_over;	/* too long to hold: relayed as it comes */

	struct pend		*q;		/* a ring of qcap (grows up to PEND_MAX) */
	size_t			 qh, qn, qcap;

	enum mode		 mode;
	uint64_t		 bdat_left;
	struct line_acc		 acc;		/* a data line arriving in pieces */
	struct dot_dec		 dd;
	int			 skip;		/* discarding an over-long command line */
	size_t			 skip_len;	/* its octets so far */

	int			 hold;		/* the client waits for a PP_HOLD reply */
	int			 up_ready;	/* client commands may go upstream */
	int			 early_noted;
	int			 tls[2];	/* leg encrypted */
	int			 hs[2];		/* leg handshaking */
	int			 opening;	/* the proxy's own EHLO/STARTTLS upstream */
	struct buf		 greet;		/* the greeting, held during the opening */
	int			 greet_code;
	struct pend		 greet_p;
	struct buf		 tls_reply;	/* mirror: the answer to STARTTLS, held for
						 * the upstream handshake */
	int			 tls_own, tls_code;	/* it was changed; its code */
	int			 regreet;	/* relaying the held greeting */
	int			 rewriting;	/* a client rule's line: the proxy's own */
	char			*up_auth;	/* the upstream's AUTH parameters (last EHLO) */
	struct sasl_client	*usc;		/* the proxy's AUTH upstream, under way */
	int			 up_authing;	/* client commands wait for it */
	int			 up_auth_done;	/* tried: ok or not */
	char			*up_auth_why;	/* why it failed, or NULL */
	struct sasl_server	*ssv;		/* the client's AUTH, answered here */
	int			 c_authed;
	int			 in_feed;
	int			 up_starttls;	/* the upstream offered STARTTLS */

	int			 eof[2];
	int			 closed[2];	/* asked to close (on_close) */
	int			 quit_sent;	/* QUIT went upstream (the client's or ours) */
	int			 stalled;
	int			 waiting;	/* a decision is pending */
	struct pend		 w_p;
	struct buf		 w_raw;		/* the reply to send when it comes */
	int			 w_ucode, w_changed;
	char			*w_text;	/* its text before the decision */
	uint64_t		 cut_left;	/* DATA cut: bytes still relayed */
	int			 cutting;

	/* the transaction, for copies */
	char			*cmd_from;	/* the last MAIL sent on (its reply may be due) */
	char			*from;
	char			**rcpt;
	size_t			 nrcpt;
	int			 msg;		/* content is being passed on */
	int			 msg_bad;	/* a BDAT chunk was refused */
	uint64_t		 msg_size;
	unsigned		 seq;
};

static void	 client_process(struct smtp_proxy *);
static void	 on_line(void *, const struct smtp_line *);
static void	 on_reply(void *, const struct smtp_reply *);
static void	 finish(struct smtp_proxy *);

static const char *const up_tls_names[PROXY_UP_COUNT] = { "mirror", "starttls", "tls", "none" };

const char *
proxy_up_tls_name(enum proxy_up_tls m)
{
	return (unsigned)m < PROXY_UP_COUNT ? up_tls_names[m] : "?";
}

int
proxy_up_tls_parse(const char *s, enum proxy_up_tls *m)
{
	int	 i;

	for (i = 0; i < PROXY_UP_COUNT; i++)
		if (strcasecmp(s, up_tls_names[i]) == 0) {
			*m = (enum proxy_up_tls)i;
			return 0;
		}
	return -1;
}

static void
note(struct smtp_proxy *px, char kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
note(struct smtp_proxy *px, char kind, const char *fmt, ...)
{
	char	 m[1024];
	va_list	 ap;

	if (px->ev.on_note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	px->ev.on_note(px->arg, kind, m);
}

struct smtp_proxy *
smtp_proxy_new(const struct proxy_cfg *cfg, const struct proxy_events *ev, void *arg,
    uint64_t now)
{
	static const struct smtp_reply_cb cb = { on_line, on_reply };
	struct smtp_proxy *px = xcalloc(1, sizeof(*px));
	struct pend	*p;

	px->cfg = *cfg;
	if (px->cfg.max_line < 512)
		px->cfg.max_line = 2048;
	if (px->cfg.in_max < px->cfg.max_line + 2)
		px->cfg.in_max = 65536;
	if (px->cfg.max_rcpt == 0)
		px->cfg.max_rcpt = 1000;
	px->ev = *ev;
	px->arg = arg;
	px->now = now;
	buf_init(&px->cin, px->cfg.in_max);
	buf_init(&px->out[PROXY_CLIENT], OUT_MAX);
	buf_init(&px->out[PROXY_UPSTREAM], OUT_MAX);
	buf_init(&px->raw, RAW_MAX);
	buf_init(&px->greet, RAW_MAX);
	buf_init(&px->tls_reply, RAW_MAX);
	buf_init(&px->w_raw, SIZE_MAX);
	px->rp = smtp_reply_new(NULL, &cb, px);
	px->tls[PROXY_CLIENT] = cfg->client_implicit;
	px->tls[PROXY_UPSTREAM] = cfg->up_tls == PROXY_UP_TLS;
	dot_dec_init(&px->dd);
	/* The greeting is the first reply awaited. */
	px->qcap = 4;
	px->q = xcalloc(px->qcap, sizeof(*px->q));
	p = &px->q[0];
	p->verb = SMTP_V_GREETING;
	p->t_in = p->t_out = now;
	buf_init(&p->local, SIZE_MAX);
	px->qn = 1;
	return px;
}

static void
pend_clear(struct pend *p)
{
	free(p->arg);
	p->arg = NULL;
	buf_free(&p->local);
}

static void
tx_reset(struct smtp_proxy *px)
{
	size_t	 i;

	free(px->from);
	px->from = NULL;
	for (i = 0; i < px->nrcpt; i++)
		free(px->rcpt[i]);
	free(px->rcpt);
	px->rcpt = NULL;
	px->nrcpt = 0;
	px->msg = px->msg_bad = 0;
	px->msg_size = 0;
}

void
smtp_proxy_free(struct smtp_proxy *px)
{
	size_t	 i;

	if (px == NULL)
		return;
	for (i = 0; i < px->qn; i++)
		pend_clear(&px->q[(px->qh + i) % px->qcap]);
	free(px->q);
	pend_clear(&px->w_p);
	pend_clear(&px->greet_p);
	tx_reset(px);
	free(px->cmd_from);
	free(px->up_auth);
	free(px->up_auth_why);
	free(px->w_text);
	sasl_client_free(px->usc);
	sasl_server_free(px->ssv);
	buf_free(&px->cin);
	buf_free(&px->out[0]);
	buf_free(&px->out[1]);
	buf_free(&px->raw);
	buf_free(&px->greet);
	buf_free(&px->tls_reply);
	buf_free(&px->w_raw);
	smtp_reply_free(px->rp);
	free(px);
}

void
smtp_proxy_upstream_up(struct smtp_proxy *px, uint64_t now)
{
	if (px->qn && px->q[px->qh].verb == SMTP_V_GREETING)
		px->q[px->qh].t_out = now;
}

struct buf *
smtp_proxy_output(struct smtp_proxy *px, enum proxy_leg leg)
{
	return &px->out[leg];
}

size_t
smtp_proxy_client_space(const struct smtp_proxy *px)
{
	if (px->closed[PROXY_CLIENT] || px->eof[PROXY_CLIENT] || px->hs[PROXY_CLIENT] ||
	    px->stalled || px->out[PROXY_UPSTREAM].len >= px->cfg.in_max)
		return 0;
	return buf_space(&px->cin);
}

int
smtp_proxy_waiting(const struct smtp_proxy *px)
{
	return px->waiting;
}

int
smtp_proxy_busy(const struct smtp_proxy *px)
{
	return px->qn > 0;
}

int
smtp_proxy_in_data(const struct smtp_proxy *px)
{
	return px->mode == M_DATA || px->mode == M_BDAT;
}

int
smtp_proxy_client_partial(const struct smtp_proxy *px)
{
	if (smtp_proxy_in_data(px))
		return 0;
	return px->skip || (px->cin.len > 0 && buf_ptr(&px->cin)[px->cin.len - 1] != '\n');
}

int
smtp_proxy_tls(const struct smtp_proxy *px, enum proxy_leg leg)
{
	return px->tls[leg];
}

/* ---- output ---- */

static void	 put_own_f(struct smtp_proxy *, enum proxy_leg, const unsigned char *, size_t,
		    unsigned);

/* put_own - the proxy's own bytes on a leg, each line reported */
static void
put_own(struct smtp_proxy *px, enum proxy_leg leg, const unsigned char *p, size_t n)
{
	put_own_f(px, leg, p, n, 0);
}

static void
put_own_f(struct smtp_proxy *px, enum proxy_leg leg, const unsigned char *p, size_t n,
    unsigned flags)
{
	const unsigned char *lf;
	size_t	 l;

	if (px->closed[leg])
		return;
	if (buf_append(&px->out[leg], p, n) == -1)
		fatalx("%s: output overflow", __func__);
	for (; n && px->ev.on_own_line; n -= l, p += l) {
		lf = memchr(p, '\n', n);
		l = lf ? (size_t)(lf - p) + 1 : n;
		px->ev.on_own_line(px->arg, leg, p, l, flags);
	}
}

static void
put_relay(struct smtp_proxy *px, enum proxy_leg leg, const unsigned char *p, size_t n)
{
	if (px->closed[leg])
		return;
	if (buf_append(&px->out[leg], p, n) == -1)
		fatalx("%s: output overflow", __func__);
}

static void
close_leg(struct smtp_proxy *px, enum proxy_leg leg)
{
	if (px->closed[leg])
		return;
	px->closed[leg] = 1;
	if (px->ev.on_close)
		px->ev.on_close(px->arg, leg);
}

/* pause - stop reading upstream bytes after this reply (inside a feed) */
static void
pause_up(struct smtp_proxy *px)
{
	if (px->in_feed)
		smtp_reply_pause(px->rp);
}

/* ---- the queue ---- */

static struct pend *
push(struct smtp_proxy *px, enum smtp_verb verb, unsigned flags, const char *arg)
{
	struct pend	*p;

	if (px->qn == PEND_MAX)
		fatalx("%s: queue overflow", __func__);
	px->q = xring_grow(px->q, sizeof(*px->q), &px->qh, px->qn, &px->qcap, px->qn + 1, 4,
	    PEND_MAX);
	p = &px->q[(px->qh + px->qn++) % px->qcap];
	memset(p, 0, sizeof(*p));
	p->verb = verb;
	p->flags = flags;
	p->t_in = p->t_out = px->now;
	p->arg = arg ? xstrdup(arg) : NULL;
	buf_init(&p->local, SIZE_MAX);
	return p;
}

/* pop - take the head off; the caller owns what it points to */
static struct pend
pop(struct smtp_proxy *px)
{
	struct pend	 p = px->q[px->qh];

	px->qh = (px->qh + 1) % px->qcap;
	px->qn--;
	return p;
}

/* locals - replies the proxy gives itself leave once they are first */
static void
locals(struct smtp_proxy *px)
{
	struct pend	 p;

	while (px->qn && px->q[px->qh].local.len && !px->waiting) {
		p = pop(px);
		put_own(px, PROXY_CLIENT, buf_ptr(&p.local), p.local.len);
		if (p.flags & PP_HOLD)
			px->hold = 0;
		if (p.flags & PP_TLS) {
			px->hs[PROXY_CLIENT] = 1;
			if (px->ev.on_tls)
				px->ev.on_tls(px->arg, PROXY_CLIENT);
		}
		pend_clear(&p);
	}
}

/* local - the proxy answers a client command itself, in its turn */
static void
local(struct smtp_proxy *px, enum smtp_verb verb, unsigned flags, int code, const char *enh,
    const char *text)
{
	struct pend	*p = push(px, verb, flags, NULL);

	smtp_compose_reply(&p->local, code, enh, text, 0);
	locals(px);
}

/* own - the proxy's own command upstream */
static void
own(struct smtp_proxy *px, enum own what, enum smtp_verb verb, const char *line)
{
	struct pend	*p;

	if (px->closed[PROXY_UPSTREAM] || px->eof[PROXY_UPSTREAM])
		return;
	p = push(px, verb, PP_OWN, NULL);
	p->own = what;
	put_own_f(px, PROXY_UPSTREAM, (const unsigned char *)line, strlen(line),
	    what == OWN_AUTH ? LINE_SECRET : 0);
	if (what == OWN_QUIT)
		px->quit_sent = 1;
}

/* fail_client - the client gets a 421 at once (nothing else is due to
 * it), and both legs close */
static void
fail_client(struct smtp_proxy *px, const char *enh, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail_client(struct smtp_proxy *px, const char *enh, const char *fmt, ...)
{
	char		 text[900];
	struct buf	 b;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	note(px, '!', "%s", text);
	buf_init(&b, SIZE_MAX);
	smtp_compose_reply(&b, 421, enh, text, 0);
	put_own(px, PROXY_CLIENT, buf_ptr(&b), b.len);
	buf_free(&b);
	close_leg(px, PROXY_CLIENT);
	if (!px->quit_sent && px->up_ready && !px->opening && !smtp_proxy_in_data(px) &&
	    !px->hs[PROXY_UPSTREAM] && !px->eof[PROXY_UPSTREAM])
		own(px, OWN_QUIT, SMTP_V_QUIT, "QUIT\r\n");
	else
		close_leg(px, PROXY_UPSTREAM);
}

/* ---- the client's side ---- */

static void
report_client(struct smtp_proxy *px, const unsigned char *p, size_t n, unsigned flags,
    int in_data, enum proxy_route route)
{
	if (px->ev.on_client_line)
		px->ev.on_client_line(px->arg, p, n, flags, in_data, route);
}

/* relay - a client command goes upstream as it came */
static void
relay(struct smtp_proxy *px, const unsigned char *p, size_t n, unsigned flags,
    enum smtp_verb verb, unsigned pflags, const char *arg)
{
	if (px->rewriting)
		put_own(px, PROXY_UPSTREAM, p, n);	/* the original was shown */
	else {
		report_client(px, p, n, flags, 0, PROXY_RELAYED);
		put_relay(px, PROXY_UPSTREAM, p, n);
	}
	push(px, verb, pflags, arg);
}

/* path_arg - the address in "FROM:<a>" / "TO:<a>", or the first word */
static char *
path_arg(const unsigned char *p, size_t n, size_t off)
{
	const unsigned char *s = p + off, *e = p + line_body_len(p, n), *c, *lt, *gt;

	if ((c = memchr(s, ':', (size_t)(e - s))) != NULL)
		s = c + 1;
	while (s < e && *s == ' ')
		s++;
	if (s < e && *s == '<' && (gt = memchr(s, '>', (size_t)(e - s))) != NULL) {
		lt = s + 1;
		return xstrndup((const char *)lt, (size_t)(gt - lt));
	}
	for (c = s; c < e && *c != ' '; c++)
		;
	return xstrndup((const char *)s, (size_t)(c - s));
}

/* bdat_size - "BDAT n [LAST]": 0 and *n, *last; -1 when malformed */
static int
bdat_size(const unsigned char *p, size_t n, size_t off, uint64_t *size, int *last)
{
	size_t	 e = line_body_len(p, n), i = off;
	uint64_t v = 0;

	if (i >= e || p[i] < '0' || p[i] > '9')
		return -1;
	for (; i < e && p[i] >= '0' && p[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*last = 0;
	if (i < e) {
		if (p[i] != ' ' || e - i - 1 != 4 || strncasecmp((const char *)p + i + 1, "LAST", 4))
			return -1;
		*last = 1;
	}
	*size = v;
	return 0;
}

static void	 command(struct smtp_proxy *, const unsigned char *, size_t);

/* ---- AUTH answered by the proxy (--auth-user, --auth-users) ---- */

static int
auth_lookup(void *arg, const char *user, char *pw, size_t len)
{
	struct smtp_proxy *px = arg;

	return px->ev.on_auth_lookup ? px->ev.on_auth_lookup(px->arg, user, pw, len) : 2;
}

/* auth_step - one message of the client's AUTH into the SASL server */
static void
auth_step(struct smtp_proxy *px, const unsigned char *msg, size_t n, int has)
{
	struct buf	 out;
	char		*b;
	enum sasl_result r;

	buf_init(&out, 1 << 16);
	r = sasl_server_step(px->ssv, msg, n, has, &out);
	switch (r) {
	case SASL_CONTINUE:
		b = xmalloc(4 * ((out.len + 2) / 3) + 1);
		b[b64_encode(buf_ptr(&out), out.len, b)] = '\0';
		px->mode = M_SASL_OWN;
		px->hold = 1;
		local(px, SMTP_V_AUTH, PP_HOLD, 334, NULL, b);
		free(b);
		break;
	case SASL_OK:
		px->c_authed = 1;
		note(px, '*', "AUTH as \"%s\": accepted by the proxy (the client sent: %s)",
		    sasl_server_user(px->ssv), sasl_server_shown(px->ssv));
		local(px, SMTP_V_AUTH, 0, 235, "2.7.0", "Authentication successful");
		break;
	case SASL_FAIL:
		note(px, '!', "AUTH as \"%s\": refused by the proxy (the client sent: %s)",
		    sasl_server_user(px->ssv), sasl_server_shown(px->ssv));
		local(px, SMTP_V_AUTH, 0, 535, "5.7.8", "Error: authentication failed");
		break;
	default:
		local(px, SMTP_V_AUTH, 0, 501, "5.5.2", "Error: malformed authentication message");
		break;
	}
	if (r != SASL_CONTINUE) {
		sasl_server_free(px->ssv);
		px->ssv = NULL;
	}
	buf_free(&out);
}

/* client_auth - the client's AUTH command or SASL response, answered here */
static void
client_auth(struct smtp_proxy *px, const unsigned char *p, size_t n, size_t off)
{
	size_t		 b = line_body_len(p, n), ml;
	enum sasl_mech	 m;
	unsigned char	*msg;
	long		 dl = 0;
	int		 has;

	report_client(px, p, n, line_classify(p, n, 512) | LINE_SECRET, 0, PROXY_TAKEN);
	if (px->mode == M_SASL_OWN) {
		px->mode = M_CMD;
		if (b == 1 && p[0] == '*') {
			sasl_server_free(px->ssv);
			px->ssv = NULL;
			local(px, SMTP_V_AUTH, 0, 501, "5.0.0", "Authentication cancelled");
			return;
		}
		msg = xmalloc(b + 1);
		if ((dl = b64_decode((const char *)p, b, msg, b + 1)) < 0) {
			free(msg);
			sasl_server_free(px->ssv);
			px->ssv = NULL;
			local(px, SMTP_V_AUTH, 0, 501, "5.5.2", "Error: invalid base64");
			return;
		}
		auth_step(px, msg, (size_t)dl, 1);
		free(msg);
		return;
	}
	if (px->c_authed) {
		local(px, SMTP_V_AUTH, 0, 503, "5.5.1", "Error: already authenticated");
		return;
	}
	if (!px->tls[PROXY_CLIENT] && !px->cfg.auth_any_time) {
		local(px, SMTP_V_AUTH, 0, 530, "5.7.0", "Must issue a STARTTLS command first");
		return;
	}
	for (ml = 0; off + ml < b && p[off + ml] != ' '; ml++)
		;
	if (sasl_mech_parse((const char *)p + off, ml, &m) == -1 ||
	    !(px->cfg.auth_mechs & (1u << m))) {
		local(px, SMTP_V_AUTH, 0, 504, "5.5.4", "Unrecognized authentication type");
		return;
	}
	has = off + ml < b;
	msg = xmalloc(b + 1);
	if (has && !(b - off - ml - 1 == 1 && p[off + ml + 1] == '=') &&
	    (dl = b64_decode((const char *)p + off + ml + 1, b - off - ml - 1, msg, b + 1)) < 0) {
		free(msg);
		local(px, SMTP_V_AUTH, 0, 501, "5.5.2", "Error: invalid base64");
		return;
	}
	px->ssv = sasl_server_new(m, px->cfg.crypto, auth_lookup, px,
	    px->cfg.hostname ? px->cfg.hostname : "localhost", NULL, 0);
	auth_step(px, msg, (size_t)dl, has);
	free(msg);
}

/* why_set - why the proxy's AUTH upstream failed */
static void
why_set(struct smtp_proxy *px, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
why_set(struct smtp_proxy *px, const char *fmt, ...)
{
	va_list	 ap;

	free(px->up_auth_why);
	va_start(ap, fmt);
	if (vasprintf(&px->up_auth_why, fmt, ap) < 0)
		fatalx("%s: out of memory", __func__);
	va_end(ap);
}

/* up_auth_start - before the client's first MAIL: the proxy's own AUTH
 * upstream (--auth-user) */
static void
up_auth_start(struct smtp_proxy *px)
{
	struct buf	 ir, line;
	char		*b;
	int		 has, pick;
	enum sasl_mech	 m;

	px->up_auth_done = 1;
	if (px->cfg.up_mech)
		pick = sasl_mech_parse(px->cfg.up_mech, strlen(px->cfg.up_mech), &m) == -1 ? -1 :
		    (int)m;
	else if (px->cfg.crypto)
		pick = sasl_pick(px->up_auth ? px->up_auth : "", 0);
	else	/* no hashes at hand: the mechanisms that need none */
		pick = sasl_offered(px->up_auth, SASL_PLAIN) ? SASL_PLAIN :
		    sasl_offered(px->up_auth, SASL_LOGIN) ? SASL_LOGIN : -1;
	if (pick != -1 && sasl_mech_crypto((enum sasl_mech)pick) && px->cfg.crypto == NULL)
		pick = -1;
	if (pick == -1) {
		why_set(px, "the upstream offers no AUTH mechanism usable with a password (%s)",
		    px->up_auth ? px->up_auth : "no AUTH at all");
		note(px, '!', "%s", px->up_auth_why);
		return;
	}
	m = (enum sasl_mech)pick;
	if (!px->tls[PROXY_UPSTREAM] && !px->cfg.up_plaintext_ok && (m == SASL_PLAIN ||
	    m == SASL_LOGIN || m == SASL_XOAUTH2 || m == SASL_OAUTHBEARER)) {
		why_set(px, "AUTH %s would send the password to the upstream in clear "
		    "(--upstream-tls, or --auth-plaintext-ok)", sasl_mech_name(m));
		note(px, '!', "%s", px->up_auth_why);
		return;
	}
	px->usc = sasl_client_new(m, px->cfg.up_authzid, px->cfg.up_user, px->cfg.up_secret,
	    px->cfg.crypto, px->tls[PROXY_UPSTREAM], NULL, 0);
	buf_init(&ir, 1 << 16);
	buf_init(&line, SIZE_MAX);
	has = sasl_client_initial(px->usc, &ir);
	buf_printf(&line, "AUTH %s", sasl_mech_name(m));
	if (has) {
		b = xmalloc(4 * ((ir.len + 2) / 3) + 2);
		b[b64_encode(buf_ptr(&ir), ir.len, b)] = '\0';
		buf_printf(&line, " %s", ir.len ? b : "=");
		free(b);
	}
	buf_puts(&line, "\r\n");
	buf_append(&line, "", 1);
	note(px, '*', "AUTH %s as \"%s\" with the upstream (--auth-user)%s%s", sasl_mech_name(m),
	    px->cfg.up_user, has ? "; initial response " : "", has ?
	    sasl_client_shown(px->usc) : "");
	own(px, OWN_AUTH, SMTP_V_AUTH, (const char *)buf_ptr(&line));
	px->up_authing = 1;
	buf_free(&ir);
	buf_free(&line);
}

/* up_auth_reply - the upstream's answer to the proxy's AUTH line */
static void
up_auth_reply(struct smtp_proxy *px, const struct smtp_reply *r)
{
	struct buf	 out;
	unsigned char	*ch;
	char		*b;
	long		 cl;
	enum sasl_result res;

	if (r->code == 334 && px->usc) {
		ch = xmalloc(r->text.len + 1);
		cl = b64_decode((const char *)buf_ptr(&r->text), r->text.len, ch, r->text.len + 1);
		buf_init(&out, 1 << 16);
		res = cl < 0 ? SASL_FAIL : sasl_client_step(px->usc, ch, (size_t)cl, &out);
		free(ch);
		if (res == SASL_FAIL) {
			why_set(px, "the upstream's challenge is wrong: %s", cl < 0 ?
			    "invalid base64" : sasl_client_error(px->usc));
			note(px, '!', "%s: AUTH cancelled", px->up_auth_why);
			own(px, OWN_CANCEL, SMTP_V_AUTH, "*\r\n");
			px->up_authing = 0;
		} else {
			b = xmalloc(4 * ((out.len + 2) / 3) + 3);
			b[b64_encode(buf_ptr(&out), out.len, b)] = '\0';
			strcat(b, "\r\n");
			own(px, OWN_AUTH, SMTP_V_AUTH, b);
			free(b);
		}
		buf_free(&out);
		return;
	}
	px->up_authing = 0;
	sasl_client_free(px->usc);
	px->usc = NULL;
	if (r->code == 235) {
		note(px, '*', "authenticated with the upstream as \"%s\"", px->cfg.up_user);
		return;
	}
	why_set(px, "AUTH as \"%s\" with the upstream failed: %d %.*s", px->cfg.up_user,
	    r->code, (int)(r->text.len > 400 ? 400 : r->text.len), (const char *)buf_ptr(&r->text));
	note(px, '!', "%s", px->up_auth_why);
}

/* client_rule - a --client-rule for this command: 1 when it took it */
static int
client_rule(struct smtp_proxy *px, const unsigned char *p, size_t n, enum smtp_verb verb,
    size_t off)
{
	struct proxy_crule *r;
	char		*a;
	size_t		 i;
	unsigned	 flags = line_classify(p, n, 512);

	if (px->rewriting || px->cfg.ncrules == 0)
		return 0;
	a = verb == SMTP_V_MAIL || verb == SMTP_V_RCPT ? path_arg(p, n, off) :
	    xstrndup((const char *)p + off, line_body_len(p, n) > off ?
	    line_body_len(p, n) - off : 0);
	for (i = 0; i < px->cfg.ncrules; i++) {
		r = &px->cfg.crules[i];
		if (r->verb != (int)verb || (r->pattern && fnmatch(r->pattern, a, FNM_CASEFOLD)))
			continue;
		if (r->nth && ++r->seen != r->nth)
			continue;
		free(a);
		report_client(px, p, n, flags, 0, PROXY_TAKEN);
		if (r->drop) {
			note(px, '!', "client rule %s: not sent upstream, answered %d", r->spec,
			    r->code);
			local(px, verb, 0, r->code, r->enh, r->text);
		} else {
			char	*line;
			note(px, '!', "client rule %s: sent upstream instead: %s", r->spec, r->text);
			if (asprintf(&line, "%s\r\n", r->text) < 0)
				fatalx("%s: out of memory", __func__);
			px->rewriting = 1;
			command(px, (const unsigned char *)line, strlen(line));
			px->rewriting = 0;
			free(line);
		}
		return 1;
	}
	free(a);
	return 0;
}

static void
command(struct smtp_proxy *px, const unsigned char *p, size_t n)
{
	unsigned	 flags = line_classify(p, n, 512);
	size_t		 off;
	enum smtp_verb	 verb;
	char		*a = NULL;
	uint64_t	 size;
	int		 last;

	if (px->mode == M_SASL) {
		/* a SASL response: never shown unless asked (LINE_SECRET) */
		px->mode = M_CMD;
		relay(px, p, n, flags | LINE_SECRET, SMTP_V_AUTH, PP_HOLD, NULL);
		return;
	}
	if (px->mode == M_SASL_OWN) {
		client_auth(px, p, n, 0);
		return;
	}
	verb = smtp_cmd_lookup(p, n, &off);
	if (client_rule(px, p, n, verb, off))
		return;
	if (verb == SMTP_V_AUTH && px->cfg.auth_mechs) {
		client_auth(px, p, n, off);
		return;
	}
	if (verb == SMTP_V_MAIL && px->up_auth_why) {
		/* the proxy's AUTH upstream failed: the client hears it here */
		report_client(px, p, n, flags, 0, PROXY_TAKEN);
		local(px, verb, 0, 530, "5.7.0", px->up_auth_why);
		return;
	}
	switch (verb) {
	case SMTP_V_STARTTLS:
		if (px->tls[PROXY_CLIENT]) {
			report_client(px, p, n, flags, 0, PROXY_TAKEN);
			local(px, verb, 0, 503, "5.5.1", "Error: TLS already active "
			    "(smtpdbg proxy)");
		} else if (!px->cfg.client_tls) {
			report_client(px, p, n, flags, 0, PROXY_TAKEN);
			local(px, verb, 0, 454, "4.7.0", "TLS not available on this leg "
			    "(smtpdbg proxy: no STARTTLS towards the client)");
		} else if (px->cfg.up_tls == PROXY_UP_MIRROR && !px->tls[PROXY_UPSTREAM]) {
			relay(px, p, n, flags, verb, PP_HOLD, NULL);
			px->hold = 1;
		} else {
			/* the proxy's own 220: the rules for STARTTLS apply to it
			 * (a delay does not: there is no upstream reply to hold) */
			struct smtp_decision d;
			memset(&d, 0, sizeof(d));
			d.stage = SMTP_ST_STARTTLS;
			d.code = d.dflt = 220;
			snprintf(d.enh, sizeof(d.enh), "2.0.0");
			snprintf(d.text, sizeof(d.text), "Ready to start TLS (smtpdbg proxy)");
			if (px->ev.on_decide)
				px->ev.on_decide(px->arg, &d);
			report_client(px, p, n, flags, 0, PROXY_TAKEN);
			if (d.flags & SMTP_F_DROP) {
				note(px, '!', "the client's connection is dropped without a reply "
				    "(rule)");
				close_leg(px, PROXY_CLIENT);
				if (!px->quit_sent)
					own(px, OWN_QUIT, SMTP_V_QUIT, "QUIT\r\n");
				return;
			}
			px->hold = d.code == 220;
			local(px, verb, d.code == 220 ? PP_HOLD | PP_TLS : 0, d.code, d.enh, d.text);
		}
		return;
	case SMTP_V_AUTH:
		if (px->tls[PROXY_CLIENT] && !px->tls[PROXY_UPSTREAM]) {
			/* the client trusts its leg: the proxy must not send the
			 * credentials on in clear */
			report_client(px, p, n, flags | LINE_SECRET, 0, PROXY_TAKEN);
			local(px, verb, 0, 538, "5.7.11", "Encryption required for requested "
			    "authentication mechanism (smtpdbg proxy: the upstream leg is not "
			    "encrypted)");
			return;
		}
		relay(px, p, n, flags | LINE_SECRET, verb, PP_HOLD, NULL);
		px->hold = 1;
		return;
	case SMTP_V_HELO:
	case SMTP_V_EHLO:
	case SMTP_V_LHLO:
		a = path_arg(p, n, off);
		relay(px, p, n, flags, verb, PP_HOLD, a);
		px->hold = 1;
		break;
	case SMTP_V_DATA:
	case SMTP_V_QUIT:
		relay(px, p, n, flags, verb, PP_HOLD, NULL);
		px->hold = 1;
		if (verb == SMTP_V_QUIT)
			px->quit_sent = 1;
		break;
	case SMTP_V_MAIL:
	case SMTP_V_RCPT:
	case SMTP_V_VRFY:
	case SMTP_V_EXPN:
		a = path_arg(p, n, off);
		relay(px, p, n, flags, verb, 0, a);
		if (verb == SMTP_V_MAIL) {
			free(px->cmd_from);
			px->cmd_from = xstrdup(a);
		}
		break;
	case SMTP_V_BDAT:
		if (bdat_size(p, n, off, &size, &last) == -1) {
			relay(px, p, n, flags, verb, 0, NULL);
			note(px, '!', "a BDAT command without a valid size: its data, if any, "
			    "is read as commands");
			break;
		}
		relay(px, p, n, flags, verb, last ? PP_LAST : 0, NULL);
		if (!px->msg) {
			px->msg = 1;
			px->msg_size = 0;
			if (px->ev.on_data_start)
				px->ev.on_data_start(px->arg, px->from ? px->from :
				    px->cmd_from ? px->cmd_from : "");
		}
		px->bdat_left = size;
		if (size)
			px->mode = M_BDAT;
		break;
	default:
		relay(px, p, n, flags, verb, 0, NULL);
		break;
	}
	free(a);
}

/* data_line - a line (or a piece) of DATA content goes upstream */
static void
data_line(struct smtp_proxy *px, const unsigned char *p, size_t n, int complete)
{
	const unsigned char *c;
	size_t		 cl, before = px->dd.smuggle;
	unsigned	 flags;

	if (dot_dec_line(&px->dd, p, n, complete, &c, &cl) == DOT_DEC_END) {
		report_client(px, p, n, 0, 0, PROXY_RELAYED);
		put_relay(px, PROXY_UPSTREAM, p, n);
		push(px, SMTP_V_DOT, 0, NULL);
		px->mode = M_CMD;
		dot_dec_init(&px->dd);
		return;
	}
	flags = line_acc_add(&px->acc, p, n, 1000, NULL);
	report_client(px, p, n, flags, 1, PROXY_RELAYED);
	if (px->dd.smuggle > before)
		note(px, '!', "a \".\" line not preceded by CRLF: this proxy does not end the "
		    "message there, a server that does can be smuggled mail (SMTP smuggling)");
	if (px->cutting) {
		/* the rule cuts the client off after so many data bytes */
		if (n >= px->cut_left) {
			put_relay(px, PROXY_UPSTREAM, p, (size_t)px->cut_left);
			note(px, '!', "the data is cut here (rule): both connections close, the "
			    "upstream without an end of data, so it keeps no message");
			close_leg(px, PROXY_CLIENT);
			close_leg(px, PROXY_UPSTREAM);
			return;
		}
		px->cut_left -= n;
	}
	put_relay(px, PROXY_UPSTREAM, p, n);
	px->msg_size += cl;
	if (px->ev.on_data && cl)
		px->ev.on_data(px->arg, c, cl);
}

/* piece - how much of p[0..n) goes on as one line or piece of data: to
 * its LF, or to the next multiple of PIECE octets of a long line, so the
 * pieces are the same however the bytes arrived; 0: wait for more */
static size_t
piece(const struct smtp_proxy *px, const unsigned char *p, size_t n, int *complete)
{
	const unsigned char *lf = memchr(p, '\n', n);
	size_t	 room = PIECE - px->acc.len % PIECE;

	*complete = lf != NULL && (size_t)(lf - p) + 1 <= room;
	if (*complete)
		return (size_t)(lf - p) + 1;
	return n >= room ? room : 0;
}

/* bdat_data - bytes of a chunk, in lines and pieces as for DATA; the end
 * of the chunk ends a piece too */
static void
bdat_data(struct smtp_proxy *px)
{
	const unsigned char *p = buf_ptr(&px->cin);
	size_t		 n = px->cin.len, k;
	unsigned	 flags;
	int		 complete;

	if (n > px->bdat_left)
		n = (size_t)px->bdat_left;
	if ((k = piece(px, p, n, &complete)) == 0) {
		if (n < px->bdat_left)
			return;		/* the rest of the line decides */
		k = n;			/* the chunk ends inside a line */
	}
	put_relay(px, PROXY_UPSTREAM, p, k);
	px->msg_size += k;
	if (px->ev.on_data)
		px->ev.on_data(px->arg, p, k);
	flags = line_acc_add(&px->acc, p, k, 1000, NULL);
	report_client(px, p, k, flags, 1, PROXY_RELAYED);
	px->bdat_left -= k;
	buf_drain(&px->cin, k);
	if (px->bdat_left == 0)
		px->mode = M_CMD;
}

static void
client_process(struct smtp_proxy *px)
{
	const unsigned char *p, *lf;
	size_t		 n;

	while (px->cin.len && !px->hold && px->up_ready && !px->stalled && !px->waiting &&
	    !px->up_authing &&
	    !px->closed[PROXY_CLIENT] && !px->closed[PROXY_UPSTREAM] && px->qn < PEND_MAX - 1 &&
	    !px->hs[PROXY_CLIENT] && !px->hs[PROXY_UPSTREAM]) {
		p = buf_ptr(&px->cin);
		if (px->mode == M_BDAT) {
			size_t before = px->cin.len;
			bdat_data(px);
			if (px->cin.len == before && px->mode == M_BDAT)
				break;	/* waiting for the rest of a line */
			continue;
		}
		lf = memchr(p, '\n', px->cin.len);
		if (px->mode == M_DATA) {
			int complete;
			if ((n = piece(px, p, px->cin.len, &complete)) == 0)
				break;	/* the rest of the line decides */
			data_line(px, p, n, complete);
			buf_drain(&px->cin, n);
			continue;
		}
		if (px->skip) {
			/* a line over the limit: shown in pieces of max_line
			 * octets (the same however it came), never sent on */
			size_t room = px->cfg.max_line - px->skip_len % px->cfg.max_line;
			if (lf && (size_t)(lf - p) + 1 <= room) {
				n = (size_t)(lf - p) + 1;
				px->skip = 0;
				report_client(px, p, n, LINE_LONG, 0, PROXY_TAKEN);
				buf_drain(&px->cin, n);
				local(px, SMTP_V_UNKNOWN, 0, 500, "5.5.2", "Error: line too long "
				    "(smtpdbg proxy)");
				continue;
			}
			if (px->cin.len < room)
				break;
			report_client(px, p, room, LINE_MORE, 0, PROXY_TAKEN);
			px->skip_len += room;
			buf_drain(&px->cin, room);
			continue;
		}
		if ((lf == NULL && px->cin.len >= px->cfg.max_line) ||
		    (lf && (size_t)(lf - p) + 1 > px->cfg.max_line)) {
			note(px, '!', "a command line over %zu bytes: not sent upstream",
			    px->cfg.max_line);
			px->skip = 1;
			px->skip_len = 0;
			continue;
		}
		if (lf == NULL)
			break;
		n = (size_t)(lf - p) + 1;
		if (px->cfg.up_user && !px->up_auth_done && px->mode == M_CMD &&
		    smtp_cmd_lookup(p, n, NULL) == SMTP_V_MAIL) {
			up_auth_start(px);
			if (px->up_authing)
				break;	/* the MAIL waits for it */
		}
		command(px, p, n);
		buf_drain(&px->cin, n);
	}
	finish(px);
}

void
smtp_proxy_client_feed(struct smtp_proxy *px, const void *p, size_t n, uint64_t now)
{
	px->now = now;
	if (n > buf_space(&px->cin))
		fatalx("%s: %zu bytes, room for %zu", __func__, n, buf_space(&px->cin));
	buf_append(&px->cin, p, n);
	if (!px->up_ready && !px->early_noted) {
		px->early_noted = 1;
		note(px, '!', "the client sent before %s: held until then",
		    px->opening ? "the upstream leg was ready" : "the greeting");
	}
	client_process(px);
}

/* ---- the upstream's side ---- */

static void
on_line(void *arg, const struct smtp_line *l)
{
	struct smtp_proxy *px = arg;

	if (px->raw_over) {
		/* past what is held: on as it comes */
		if (px->ev.on_upstream_line)
			px->ev.on_upstream_line(px->arg, l->raw, l->len, l->flags, l->code,
			    PROXY_RELAYED, -1, -1);
		put_relay(px, PROXY_CLIENT, l->raw, l->len);
		return;
	}
	if (buf_append(&px->raw, l->raw, l->len) == -1) {
		/* a reply over RAW_MAX: what came is relayed, the rest follows */
		const unsigned char *p = buf_ptr(&px->raw), *lf;
		size_t	 left = px->raw.len, k;
		note(px, '!', "an upstream reply over %d bytes: relayed as it comes, unchanged",
		    RAW_MAX);
		for (; left; left -= k, p += k) {
			lf = memchr(p, '\n', left);
			k = lf ? (size_t)(lf - p) + 1 : left;
			if (px->ev.on_upstream_line)
				px->ev.on_upstream_line(px->arg, p, k, line_classify(p, k, 512),
				    -1, PROXY_RELAYED, -1, -1);
		}
		put_relay(px, PROXY_CLIENT, buf_ptr(&px->raw), px->raw.len);
		buf_clear(&px->raw);
		px->raw_over = 1;
		on_line(arg, l);
	}
}

/* report_up - the held reply's lines, with where they went */
static void
report_up(struct smtp_proxy *px, const unsigned char *p, size_t n, enum proxy_route route,
    const struct pend *pd)
{
	const unsigned char *lf;
	size_t		 l;
	int64_t		 lat = -1, pxl = -1;

	if (px->ev.on_upstream_line == NULL)
		return;
	for (; n; n -= l, p += l) {
		lf = memchr(p, '\n', n);
		l = lf ? (size_t)(lf - p) + 1 : n;
		if (l == n && pd) {
			lat = (int64_t)(px->now - pd->t_out);
			pxl = pd->own ? -1 : (int64_t)(pd->t_out - pd->t_in);
		}
		px->ev.on_upstream_line(px->arg, p, l, line_classify(p, l, 512),
		    l >= 3 ? (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0') : -1, route,
		    lat, pxl);
	}
}

static enum smtp_stage
stage_of(enum smtp_verb v)
{
	switch (v) {
	case SMTP_V_GREETING:	return SMTP_ST_CONNECT;
	case SMTP_V_HELO:
	case SMTP_V_EHLO:
	case SMTP_V_LHLO:	return SMTP_ST_HELO;
	case SMTP_V_STARTTLS:	return SMTP_ST_STARTTLS;
	case SMTP_V_AUTH:	return SMTP_ST_AUTH;
	case SMTP_V_MAIL:	return SMTP_ST_MAIL;
	case SMTP_V_RCPT:	return SMTP_ST_RCPT;
	case SMTP_V_DATA:	return SMTP_ST_DATA;
	case SMTP_V_DOT:	return SMTP_ST_DOT;
	case SMTP_V_BDAT:	return SMTP_ST_BDAT;
	case SMTP_V_RSET:	return SMTP_ST_RSET;
	case SMTP_V_NOOP:	return SMTP_ST_NOOP;
	case SMTP_V_VRFY:	return SMTP_ST_VRFY;
	case SMTP_V_QUIT:	return SMTP_ST_QUIT;
	default:		return SMTP_ST_OTHER;
	}
}

/* kw_is - the EHLO line p[0..n) offers keyword kw */
static int
kw_is(const unsigned char *p, size_t n, const char *kw)
{
	size_t	 k = strlen(kw), b = line_body_len(p, n);

	return b >= 4 + k && strncasecmp((const char *)p + 4, kw, k) == 0 &&
	    (b == 4 + k || p[4 + k] == ' ' || p[4 + k] == '=');
}

/* ehlo_rewrite - the EHLO reply the client sees: --no-ext keywords out,
 * STARTTLS as the client leg allows; 1 when it differs (words in why) */
static int
ehlo_rewrite(struct smtp_proxy *px, const unsigned char *raw, size_t len, struct buf *out,
    char *why, size_t wl)
{
	const unsigned char *p = raw, *lf, *lines[1100];
	size_t		 n = len, l, lens[1100], nl = 0, i, k, w = 0;
	int		 has_tls = 0, want_tls, drop;
	unsigned char	*o;

	why[0] = '\0';
	for (; n && nl < 1099; n -= l, p += l) {
		lf = memchr(p, '\n', n);
		l = lf ? (size_t)(lf - p) + 1 : n;
		lines[nl] = p;
		lens[nl++] = l;
		if (nl > 1 && kw_is(p, l, "STARTTLS"))
			has_tls = 1;
	}
	if (n || nl == 0 || lines[nl - 1][lens[nl - 1] - 1] != '\n')
		return 0;	/* not a reply this proxy can rewrite (cut short) */
	px->up_starttls = has_tls;
	want_tls = !px->tls[PROXY_CLIENT] && px->cfg.client_tls &&
	    (px->cfg.up_tls != PROXY_UP_MIRROR || has_tls || px->tls[PROXY_UPSTREAM]);
	for (k = 0; k < px->cfg.nstrip; k++)
		if (strcasecmp(px->cfg.strip[k], "STARTTLS") == 0)
			want_tls = 0;
	free(px->up_auth);
	px->up_auth = NULL;
	for (i = 1; i < nl; i++)
		if (kw_is(lines[i], lens[i], "AUTH") && px->up_auth == NULL)
			px->up_auth = xstrndup((const char *)lines[i] + 9,
			    line_body_len(lines[i], lens[i]) > 9 ? line_body_len(lines[i], lens[i]) - 9 : 0);
	buf_append(out, lines[0], lens[0]);
	for (i = 1; i < nl; i++) {
		drop = kw_is(lines[i], lens[i], "STARTTLS") && !want_tls;
		if (px->cfg.auth_mechs && kw_is(lines[i], lens[i], "AUTH")) {
			w += (size_t)snprintf(why + w, w < wl ? wl - w : 0, "%sthe upstream's %.*s "
			    "removed (the proxy answers AUTH)", w ? ", " : "",
			    (int)(line_body_len(lines[i], lens[i]) - 4), (const char *)lines[i] + 4);
			continue;
		}
		for (k = 0; k < px->cfg.nstrip && !drop; k++)
			drop = kw_is(lines[i], lens[i], px->cfg.strip[k]);
		if (drop) {
			w += (size_t)snprintf(why + w, w < wl ? wl - w : 0, "%s%.*s removed",
			    w ? ", " : "", (int)(line_body_len(lines[i], lens[i]) - 4),
			    (const char *)lines[i] + 4);
			continue;
		}
		buf_append(out, lines[i], lens[i]);
	}
	if (px->cfg.auth_mechs && (px->tls[PROXY_CLIENT] || px->cfg.auth_any_time)) {
		buf_puts(out, "250 AUTH");
		for (k = 0; k < SASL_MECH_COUNT; k++)
			if (px->cfg.auth_mechs & (1u << k)) {
				buf_puts(out, " ");
				buf_puts(out, sasl_mech_name((enum sasl_mech)k));
			}
		buf_puts(out, "\r\n");
		w += (size_t)snprintf(why + w, w < wl ? wl - w : 0, "%sthe proxy's AUTH added",
		    w ? ", " : "");
	}
	if (want_tls && !has_tls) {
		buf_append(out, "250 STARTTLS\r\n", 14);
		w += (size_t)snprintf(why + w, w < wl ? wl - w : 0, "%sSTARTTLS added (the proxy "
		    "offers it on the client leg)", w ? ", " : "");
	}
	if (!w)
		return 0;
	/* separators: '-' on every line but the last */
	o = out->data + out->off;
	for (p = o, n = out->len; n; n -= l, p += l) {
		lf = memchr(p, '\n', n);
		l = lf ? (size_t)(lf - p) + 1 : n;
		/* only a well-formed line's separator: a malformed one (or
		 * a line of three bytes and its LF) stays as it came */
		if (l > 4 && (p[3] == ' ' || p[3] == '-'))
			o[p - o + 3] = (unsigned char)(l == n ? ' ' : '-');
	}
	return 1;
}

/* after_reply - what the upstream's answer (ucode) means for the session */
static void
after_reply(struct smtp_proxy *px, struct pend *p, int ucode, int sent)
{
	switch (p->verb) {
	case SMTP_V_HELO:
	case SMTP_V_EHLO:
	case SMTP_V_LHLO:
	case SMTP_V_RSET:
		if (ucode >= 200 && ucode < 300)
			tx_reset(px);
		break;
	case SMTP_V_MAIL:
		if (ucode >= 200 && ucode < 300) {
			int msg = px->msg;	/* BDAT may have come with the MAIL */
			tx_reset(px);
			px->msg = msg;
			px->from = p->arg ? xstrdup(p->arg) : xstrdup("");
		}
		break;
	case SMTP_V_RCPT:
		if (ucode >= 200 && ucode < 300 && p->arg && px->nrcpt < px->cfg.max_rcpt) {
			px->rcpt = xrealloc(px->rcpt, (px->nrcpt + 1) * sizeof(*px->rcpt));
			px->rcpt[px->nrcpt++] = xstrdup(p->arg);
		}
		break;
	case SMTP_V_DATA:
		if (ucode == 354 && sent == 354) {
			px->mode = M_DATA;
			px->msg = 1;
			px->msg_size = 0;
			dot_dec_init(&px->dd);
			if (px->ev.on_data_start)
				px->ev.on_data_start(px->arg, px->from ? px->from : "");
		} else if (ucode == 354) {
			note(px, '!', "the upstream waits for message data the client will not "
			    "send: its connection is closed, so it keeps no message");
			close_leg(px, PROXY_UPSTREAM);
		}
		break;
	case SMTP_V_AUTH:
		if (ucode == 334 && sent == 334)
			px->mode = M_SASL;
		else if (ucode == 334)
			own(px, OWN_CANCEL, SMTP_V_AUTH, "*\r\n");
		break;
	case SMTP_V_DOT:
	case SMTP_V_BDAT:
		if (p->verb == SMTP_V_BDAT && !px->msg)
			break;
		if (ucode != 250)
			px->msg_bad = 1;
		if (p->verb == SMTP_V_DOT || (p->flags & PP_LAST)) {
			struct proxy_message m;
			memset(&m, 0, sizeof(m));
			m.from = px->from ? px->from : "";
			m.rcpt = (const char *const *)px->rcpt;
			m.nrcpt = px->nrcpt;
			m.size = px->msg_size;
			m.code = px->msg_bad ? (ucode == 250 ? 554 : ucode) : ucode;
			m.seq = ++px->seq;
			if (px->ev.on_message)
				px->ev.on_message(px->arg, &m);
			tx_reset(px);
		}
		break;
	case SMTP_V_QUIT:
		if (ucode == 221) {
			close_leg(px, PROXY_CLIENT);
			close_leg(px, PROXY_UPSTREAM);
		}
		break;
	default:
		break;
	}
	if (ucode == 421) {
		note(px, '!', "the upstream said 421: both connections close");
		close_leg(px, PROXY_CLIENT);
		close_leg(px, PROXY_UPSTREAM);
	}
}

/* deliver - a reply goes to the client, as decided */
static void
deliver(struct smtp_proxy *px, struct pend *p, const unsigned char *raw, size_t rawlen,
    int ucode, int changed, const struct smtp_decision *d)
{
	struct buf	 b;
	int		 sent = ucode;

	if (p->flags & PP_HOLD)
		px->hold = 0;
	if (d && (d->flags & SMTP_F_DROP)) {
		note(px, '!', "the client's connection is dropped without a reply (rule)");
		close_leg(px, PROXY_CLIENT);
		if (!px->quit_sent && !smtp_proxy_in_data(px))
			own(px, OWN_QUIT, SMTP_V_QUIT, "QUIT\r\n");
		return;
	}
	if (d && (d->flags & SMTP_F_STALL)) {
		note(px, '!', "no reply and nothing more read from the client (rule: stall)");
		px->stalled = 1;
		return;
	}
	buf_init(&b, SIZE_MAX);
	if (d && changed == 2) {
		smtp_compose_reply(&b, d->code, d->enh, d->text, d->flags);
		sent = d->code;
	} else
		buf_append(&b, raw, rawlen);
	if (p->verb == SMTP_V_STARTTLS && ucode == 220 && !px->tls[PROXY_UPSTREAM]) {
		/* the upstream leg first: the client hears its answer after */
		buf_clear(&px->tls_reply);
		buf_append(&px->tls_reply, buf_ptr(&b), b.len);
		px->tls_own = changed != 0;
		px->tls_code = sent;
		px->hold = 1;
		pause_up(px);
		px->hs[PROXY_UPSTREAM] = 1;
		if (px->ev.on_tls)
			px->ev.on_tls(px->arg, PROXY_UPSTREAM);
		buf_free(&b);
		return;
	}
	if (changed)
		put_own(px, PROXY_CLIENT, buf_ptr(&b), b.len);
	else
		put_relay(px, PROXY_CLIENT, buf_ptr(&b), b.len);
	buf_free(&b);
	if (p->verb == SMTP_V_GREETING) {
		px->up_ready = 1;
		if (ucode >= 400 && ucode != 421)
			note(px, '!', "the upstream's greeting is not 220: the client's commands "
			    "still go to it");
	}
	if (d && (d->flags & SMTP_F_CUT) && p->verb == SMTP_V_DATA && sent == 354) {
		px->cutting = 1;
		px->cut_left = d->cut;
	}
	after_reply(px, p, ucode, sent);
	if (d && (d->flags & SMTP_F_CLOSE) && !px->closed[PROXY_CLIENT]) {
		note(px, '!', "the client's connection closes after this reply (rule)");
		close_leg(px, PROXY_CLIENT);
		if (!px->quit_sent && !smtp_proxy_in_data(px))
			own(px, OWN_QUIT, SMTP_V_QUIT, "QUIT\r\n");
	}
}

/* relay_reply - a reply to a client command: rewritten, decided, sent */
static void
relay_reply(struct smtp_proxy *px, struct pend *p, const struct smtp_reply *r)
{
	struct smtp_decision d;
	struct buf	 alt;
	char		 why[600] = "", orig[1024] = "";
	const unsigned char *raw = buf_ptr(&px->raw);
	size_t		 rawlen = px->raw.len, el;
	int		 changed = 0, ucode = r->code;
	const char	*t, *e;

	buf_init(&alt, SIZE_MAX);
	if ((p->verb == SMTP_V_EHLO || p->verb == SMTP_V_LHLO) && ucode == 250 &&
	    ehlo_rewrite(px, raw, rawlen, &alt, why, sizeof(why))) {
		changed = 1;
		raw = buf_ptr(&alt);
		rawlen = alt.len;
	}
	memset(&d, 0, sizeof(d));
	if (px->ev.on_decide && ucode >= 200 && ucode < 600 && !(r->flags & SMTP_REPLY_TOO_LONG)) {
		d.stage = stage_of(p->verb);
		d.arg = p->arg;
		d.from = px->from;
		d.dflt = d.code = ucode;
		snprintf(d.enh, sizeof(d.enh), "%s", r->enh);
		/* the text without the enhanced code on each line */
		el = strlen(r->enh);
		for (t = (const char *)buf_ptr(&r->text), e = t + r->text.len; t < e;) {
			const char *nl = memchr(t, '\n', (size_t)(e - t));
			size_t	 ll = nl ? (size_t)(nl - t) : (size_t)(e - t), w = strlen(d.text);
			if (el && ll > el && strncmp(t, r->enh, el) == 0 && t[el] == ' ') {
				t += el + 1;
				ll -= el + 1;
			}
			snprintf(d.text + w, sizeof(d.text) - w, "%s%.*s", w ? "\n" : "", (int)ll, t);
			t += ll + (nl != NULL);
		}
		snprintf(orig, sizeof(orig), "%s", d.text);
		px->ev.on_decide(px->arg, &d);
		if (d.code != d.dflt || strcmp(d.text, orig) != 0 || strcmp(d.enh, r->enh) != 0 ||
		    (d.flags & (SMTP_F_BARELF | SMTP_F_BADMULTI | SMTP_F_EXTRA)))
			changed = 2;
	}
	if (px->regreet)
		changed = changed ? changed : 1;	/* shown when it came */
	else
		report_up(px, buf_ptr(&px->raw), px->raw.len, changed ||
		    (d.flags & (SMTP_F_DROP | SMTP_F_STALL | SMTP_F_WAIT)) ? PROXY_TAKEN :
		    PROXY_RELAYED, p);
	if (changed == 1 && why[0])
		note(px, '*', "EHLO reply changed for the client: %s", why);
	if (d.flags & SMTP_F_WAIT) {
		/* the driver answers later (a delay): hold everything behind it */
		px->waiting = 1;
		px->w_p = *p;
		memset(p, 0, sizeof(*p));
		buf_clear(&px->w_raw);
		buf_append(&px->w_raw, raw, rawlen);
		px->w_ucode = ucode;
		px->w_changed = changed;
		free(px->w_text);
		px->w_text = xstrdup(orig);
		pause_up(px);
		buf_free(&alt);
		return;
	}
	deliver(px, p, raw, rawlen, ucode, changed, px->ev.on_decide ? &d : NULL);
	buf_free(&alt);
}

void
smtp_proxy_decide(struct smtp_proxy *px, const struct smtp_decision *d, uint64_t now)
{
	struct pend	 p;
	int		 changed;

	if (!px->waiting)
		return;
	px->now = now;
	px->waiting = 0;
	p = px->w_p;
	memset(&px->w_p, 0, sizeof(px->w_p));
	changed = px->w_changed;
	if (d->code != d->dflt || strcmp(d->text, px->w_text ? px->w_text : "") != 0 ||
	    (d->flags & (SMTP_F_BARELF | SMTP_F_BADMULTI | SMTP_F_EXTRA)))
		changed = 2;
	deliver(px, &p, buf_ptr(&px->w_raw), px->w_raw.len, px->w_ucode, changed, d);
	pend_clear(&p);
	buf_clear(&px->w_raw);
	locals(px);
	client_process(px);
}

/* opening_reply - the proxy's own EHLO and STARTTLS (--upstream-tls starttls) */
static void
own_reply(struct smtp_proxy *px, struct pend *p, const struct smtp_reply *r)
{
	report_up(px, buf_ptr(&px->raw), px->raw.len, PROXY_TAKEN, p);
	switch (p->own) {
	case OWN_EHLO: {
		const unsigned char *q = buf_ptr(&px->raw), *lf;
		size_t	 n = px->raw.len, l, i = 0;
		int	 has = 0;
		for (; n; n -= l, q += l, i++) {
			lf = memchr(q, '\n', n);
			l = lf ? (size_t)(lf - q) + 1 : n;
			if (i && kw_is(q, l, "STARTTLS"))
				has = 1;
		}
		if (r->code != 250)
			fail_client(px, "4.4.0", "smtpdbg proxy: the upstream refused EHLO (%d), "
			    "so no STARTTLS (--upstream-tls starttls)", r->code);
		else if (!has)
			fail_client(px, "4.7.0", "smtpdbg proxy: the upstream does not offer "
			    "STARTTLS (--upstream-tls starttls)");
		else
			own(px, OWN_STARTTLS, SMTP_V_STARTTLS, "STARTTLS\r\n");
		break;
	}
	case OWN_STARTTLS:
		if (r->code != 220) {
			fail_client(px, "4.7.0", "smtpdbg proxy: the upstream refused STARTTLS "
			    "(%d)", r->code);
			break;
		}
		pause_up(px);
		px->hs[PROXY_UPSTREAM] = 1;
		if (px->ev.on_tls)
			px->ev.on_tls(px->arg, PROXY_UPSTREAM);
		break;
	case OWN_QUIT:
		close_leg(px, PROXY_UPSTREAM);
		break;
	case OWN_AUTH:
		up_auth_reply(px, r);
		break;
	default:
		break;
	}
}

/* greeting - the first reply: relayed, or held while the proxy makes the
 * upstream leg secure first */
static void
greeting(struct smtp_proxy *px, struct pend *p, const struct smtp_reply *r)
{
	if (px->cfg.up_tls == PROXY_UP_STARTTLS && r->code == 220) {
		report_up(px, buf_ptr(&px->raw), px->raw.len, PROXY_TAKEN, p);
		buf_append(&px->greet, buf_ptr(&px->raw), px->raw.len);
		px->greet_code = r->code;
		px->greet_p = *p;
		memset(p, 0, sizeof(*p));
		px->opening = 1;
		note(px, '*', "the greeting is held: the upstream leg starts TLS first "
		    "(--upstream-tls starttls)");
		{
			char	 line[300];
			snprintf(line, sizeof(line), "EHLO %s\r\n", px->cfg.helo && *px->cfg.helo ?
			    px->cfg.helo : "localhost");
			own(px, OWN_EHLO, SMTP_V_EHLO, line);
		}
		return;
	}
	relay_reply(px, p, r);
}

static void
on_reply(void *arg, const struct smtp_reply *r)
{
	struct smtp_proxy *px = arg;
	struct pend	 p;

	if (px->raw_over) {
		px->raw_over = 0;
		if (px->qn && !(px->q[px->qh].flags & PP_OWN)) {
			p = pop(px);
			if (p.flags & PP_HOLD)
				px->hold = 0;
			after_reply(px, &p, r->code, r->code);
			pend_clear(&p);
		}
		goto done;
	}
	if (r->flags & SMTP_REPLY_INCOMPLETE) {
		report_up(px, buf_ptr(&px->raw), px->raw.len, PROXY_TAKEN, NULL);
		note(px, '!', "the upstream closed inside a reply: what came of it is not relayed");
		goto done;
	}
	if (px->qn == 0 || px->q[px->qh].local.len) {
		/* nothing asked: shown and relayed (a 421 on its own, or noise) */
		report_up(px, buf_ptr(&px->raw), px->raw.len, PROXY_RELAYED, NULL);
		note(px, '!', "an upstream reply nobody asked for: relayed");
		put_relay(px, PROXY_CLIENT, buf_ptr(&px->raw), px->raw.len);
		if (r->code == 421) {
			close_leg(px, PROXY_CLIENT);
			close_leg(px, PROXY_UPSTREAM);
		}
		goto done;
	}
	p = pop(px);
	if (p.flags & PP_OWN)
		own_reply(px, &p, r);
	else if (p.verb == SMTP_V_GREETING)
		greeting(px, &p, r);
	else
		relay_reply(px, &p, r);
	pend_clear(&p);
done:
	buf_clear(&px->raw);
	locals(px);
}

size_t
smtp_proxy_upstream_feed(struct smtp_proxy *px, const void *p, size_t n, uint64_t now)
{
	size_t	 k;

	px->now = now;
	if (px->waiting || px->hs[PROXY_UPSTREAM])
		return 0;
	px->in_feed = 1;
	k = smtp_reply_feed(px->rp, p, n);
	px->in_feed = 0;
	client_process(px);
	return k;
}

/* finish - a client that has gone: once its commands are answered, the
 * upstream session ends with QUIT */
static void
finish(struct smtp_proxy *px)
{
	if (!px->eof[PROXY_CLIENT] || px->qn || px->waiting || px->hold)
		return;
	if (px->cin.len && !px->closed[PROXY_CLIENT] && px->up_ready && !px->stalled &&
	    !smtp_proxy_in_data(px) && !px->closed[PROXY_UPSTREAM]) {
		/* an unfinished command line: shown, not sent */
		unsigned f = line_classify(buf_ptr(&px->cin), px->cin.len, 512) | LINE_NOEOL;
		report_client(px, buf_ptr(&px->cin), px->cin.len, f, 0, PROXY_TAKEN);
		note(px, '!', "the client ended inside a command line: it is not sent upstream");
		buf_clear(&px->cin);
	}
	close_leg(px, PROXY_CLIENT);
	if (smtp_proxy_in_data(px)) {
		note(px, '!', "the client ended inside the message data: the upstream connection "
		    "closes without an end of data, so it keeps no message");
		close_leg(px, PROXY_UPSTREAM);
		return;
	}
	if (!px->quit_sent && !px->closed[PROXY_UPSTREAM] && !px->eof[PROXY_UPSTREAM] &&
	    px->up_ready)
		own(px, OWN_QUIT, SMTP_V_QUIT, "QUIT\r\n");
	else if (px->qn == 0)
		close_leg(px, PROXY_UPSTREAM);
}

void
smtp_proxy_eof(struct smtp_proxy *px, enum proxy_leg leg, uint64_t now)
{
	px->now = now;
	if (px->eof[leg])
		return;
	px->eof[leg] = 1;
	if (leg == PROXY_CLIENT) {
		if (px->hs[PROXY_CLIENT] || px->closed[PROXY_CLIENT]) {
			px->hs[PROXY_CLIENT] = 0;
			close_leg(px, PROXY_CLIENT);
			px->cin.len = 0;
		}
		if (!px->up_ready || px->opening) {
			close_leg(px, PROXY_CLIENT);
			if (px->opening && !px->hs[PROXY_UPSTREAM])
				own(px, OWN_QUIT, SMTP_V_QUIT, "QUIT\r\n");
			else
				close_leg(px, PROXY_UPSTREAM);
			return;
		}
		client_process(px);
		return;
	}
	smtp_reply_eof(px->rp);
	if (px->closed[PROXY_CLIENT]) {
		close_leg(px, PROXY_UPSTREAM);
		return;
	}
	/* nothing more comes: whatever the client waits for, it gets a 421 */
	if (px->qn && (px->q[px->qh].flags & PP_OWN) && px->q[px->qh].own == OWN_QUIT) {
		close_leg(px, PROXY_UPSTREAM);
		return;
	}
	fail_client(px, "4.4.2", "smtpdbg proxy: the upstream closed the connection%s",
	    px->qn ? " without answering" : "");
}

void
smtp_proxy_end(struct smtp_proxy *px, const char *enh, const char *why, uint64_t now)
{
	px->now = now;
	if (px->closed[PROXY_CLIENT])
		return;
	fail_client(px, enh, "smtpdbg proxy: %s", why);
}

void
smtp_proxy_upstream_failed(struct smtp_proxy *px, const char *enh, const char *why,
    uint64_t now)
{
	px->now = now;
	px->eof[PROXY_UPSTREAM] = 1;
	px->hs[PROXY_UPSTREAM] = 0;
	fail_client(px, enh, "smtpdbg proxy: %s", why);
}

void
smtp_proxy_tls_up(struct smtp_proxy *px, enum proxy_leg leg, uint64_t now)
{
	px->now = now;
	px->hs[leg] = 0;
	px->tls[leg] = 1;
	if (leg == PROXY_CLIENT) {
		if (px->cin.len) {
			note(px, '!', "%zu bytes the client sent after STARTTLS, before the "
			    "handshake, are discarded (RFC 3207)", px->cin.len);
			buf_clear(&px->cin);
		}
		px->hold = 0;
		client_process(px);
		return;
	}
	smtp_reply_reset(px->rp);
	if (px->opening) {
		/* now the client hears the greeting */
		struct smtp_reply r;
		px->opening = 0;
		memset(&r, 0, sizeof(r));
		r.code = px->greet_code;
		buf_init(&r.text, 1);
		buf_clear(&px->raw);
		buf_append(&px->raw, buf_ptr(&px->greet), px->greet.len);
		px->regreet = 1;
		relay_reply(px, &px->greet_p, &r);
		px->regreet = 0;
		pend_clear(&px->greet_p);
		buf_clear(&px->raw);
		buf_free(&r.text);
	} else if (px->tls_reply.len) {
		/* mirror: the upstream leg is secure; the client hears its answer */
		if (px->tls_own)
			put_own(px, PROXY_CLIENT, buf_ptr(&px->tls_reply), px->tls_reply.len);
		else
			put_relay(px, PROXY_CLIENT, buf_ptr(&px->tls_reply), px->tls_reply.len);
		buf_clear(&px->tls_reply);
		if (px->tls_code == 220) {
			if (px->cin.len) {
				note(px, '!', "%zu bytes the client sent after STARTTLS, before the "
				    "handshake, are discarded (RFC 3207)", px->cin.len);
				buf_clear(&px->cin);
			}
			px->hs[PROXY_CLIENT] = 1;
			if (px->ev.on_tls)
				px->ev.on_tls(px->arg, PROXY_CLIENT);
			return;
		}
		px->hold = 0;
	}
	locals(px);
	client_process(px);
}

void
smtp_proxy_tls_failed(struct smtp_proxy *px, enum proxy_leg leg, const char *why,
    uint64_t now)
{
	px->now = now;
	px->hs[leg] = 0;
	if (leg == PROXY_CLIENT) {
		note(px, '!', "TLS with the client failed: %s", why);
		close_leg(px, PROXY_CLIENT);
		px->eof[PROXY_CLIENT] = 1;
		buf_clear(&px->cin);
		if (!px->quit_sent && !px->hs[PROXY_UPSTREAM] && !px->closed[PROXY_UPSTREAM])
			own(px, OWN_QUIT, SMTP_V_QUIT, "QUIT\r\n");
		return;
	}
	px->eof[PROXY_UPSTREAM] = 1;
	close_leg(px, PROXY_UPSTREAM);
	fail_client(px, "4.7.0", "smtpdbg proxy: TLS with the upstream failed: %s", why);
}

int
proxy_crule_parse(const char *spec, struct proxy_crule *r, char *err, size_t errlen)
{
	static const int ok_verbs[] = { SMTP_V_HELO, SMTP_V_EHLO, SMTP_V_LHLO, SMTP_V_MAIL,
	    SMTP_V_RCPT, SMTP_V_RSET, SMTP_V_NOOP, SMTP_V_VRFY, SMTP_V_EXPN, SMTP_V_HELP,
	    SMTP_V_QUIT, SMTP_V_ETRN };
	const char	*eq = strchr(spec, '='), *v, *e;
	size_t		 vl, i;
	char		 verb[16];

	memset(r, 0, sizeof(*r));
	if (eq == NULL) {
		snprintf(err, errlen, "\"%s\": VERB[#N][:PATTERN]=rewrite LINE or =drop [CODE "
		    "[TEXT]]", spec);
		return -1;
	}
	for (vl = 0; spec + vl < eq && isalpha((unsigned char)spec[vl]); vl++)
		;
	if (vl == 0 || vl >= sizeof(verb)) {
		snprintf(err, errlen, "\"%s\": a command verb first (MAIL, RCPT, ...)", spec);
		return -1;
	}
	memcpy(verb, spec, vl);
	verb[vl] = '\0';
	r->verb = smtp_cmd_lookup(verb, vl, NULL);
	for (i = 0; i < sizeof(ok_verbs) / sizeof(ok_verbs[0]) && ok_verbs[i] != r->verb; i++)
		;
	if (i == sizeof(ok_verbs) / sizeof(ok_verbs[0])) {
		snprintf(err, errlen, "\"%s\": rules are for HELO, EHLO, LHLO, MAIL, RCPT, RSET, "
		    "NOOP, VRFY, EXPN, HELP, QUIT, ETRN (DATA, BDAT, STARTTLS and AUTH change "
		    "the session's state)", verb);
		return -1;
	}
	v = spec + vl;
	if (*v == '#') {
		r->nth = strtoul(v + 1, (char **)&e, 10);
		if (e == v + 1 || r->nth == 0) {
			snprintf(err, errlen, "\"%s\": #N needs a number from 1", spec);
			return -1;
		}
		v = e;
	}
	if (*v == ':') {
		r->pattern = xstrndup(v + 1, (size_t)(eq - v - 1));
		v = eq;
	}
	if (v != eq) {
		snprintf(err, errlen, "\"%s\": VERB[#N][:PATTERN]= expected", spec);
		goto fail;
	}
	v = eq + 1;
	if (strncasecmp(v, "rewrite ", 8) == 0 && v[8]) {
		if (strpbrk(v + 8, "\r\n")) {
			snprintf(err, errlen, "\"%s\": one line", spec);
			goto fail;
		}
		r->text = xstrdup(v + 8);
	} else if (strncasecmp(v, "drop", 4) == 0 && (v[4] == '\0' || v[4] == ' ')) {
		r->drop = 1;
		r->code = 250;
		snprintf(r->enh, sizeof(r->enh), "2.0.0");
		v += 4;
		while (*v == ' ')
			v++;
		if (*v) {
			if (!isdigit((unsigned char)v[0]) || !isdigit((unsigned char)v[1]) ||
			    !isdigit((unsigned char)v[2]) || (v[3] && v[3] != ' ') || v[0] < '2' ||
			    v[0] > '5') {
				snprintf(err, errlen, "\"%s\": drop takes a reply code 200 to 599", spec);
				goto fail;
			}
			r->code = atoi(v);
			r->enh[0] = '\0';
			v += 3;
			while (*v == ' ')
				v++;
		}
		r->text = xstrdup(*v ? v : "Ok (smtpdbg proxy: not sent upstream)");
	} else {
		snprintf(err, errlen, "\"%s\": the action is rewrite LINE or drop [CODE [TEXT]]",
		    spec);
		goto fail;
	}
	r->spec = xstrdup(spec);
	return 0;
fail:
	proxy_crule_free(r);
	return -1;
}

void
proxy_crule_free(struct proxy_crule *r)
{
	free(r->pattern);
	free(r->text);
	free(r->spec);
	memset(r, 0, sizeof(*r));
}
