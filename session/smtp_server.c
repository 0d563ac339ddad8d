/*
 * smtp_server - server protocol engine.
 *
 * Input is split into lines at LF inside a bounded buffer.  A command
 * line longer than max_line is answered "500 5.5.2" once its LF arrives;
 * its bytes are dropped as they come (never buffered without bound, never
 * executed).  Message data goes line by line through the dot decoder;
 * only CRLF "." CRLF ends it.  Replies are built by reply(), which is the
 * only writer of the output buffer, and every state change goes through
 * server_state().
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/b64.h"
#include "session/dot.h"
#include "session/line.h"
#include "session/smtp_cmdtab.h"
#include "session/smtp_server.h"
#include "session/xalloc.h"

#define DATA_CHUNK	8192	/* data line pieces passed on at most */
#define RFC_TEXT_LINE	1000
#define PATH_MAX_LEN	1024	/* lenient, but bounded (RFC: 256) */
#define HDR_KEEP	200
#define AUTH_LINE_MAX	12288

enum commit {
	C_NONE, C_CONNECT, C_HELO, C_MAIL, C_RCPT, C_DATA, C_RSET, C_QUIT, C_STARTTLS,
	C_BDAT, C_DOT, C_AUTH
};

/* pend - a reply being decided, and what it commits when it is a success */
struct pend {
	int			 active;
	int			 waiting;	/* SMTP_F_WAIT: smtp_server_decide() due */
	struct smtp_decision	 d;
	enum commit		 commit;
	int			 count_error;	/* a client error, unless overridden */
	char			*arg;		/* owned: HELO name or path */
	char			*params;
	int			 body8, smtputf8, esmtp;
};

struct smtp_server {
	struct smtp_server_cfg	 cfg;
	struct smtp_server_events ev;
	void			*arg;
	enum smtp_server_state	 state;
	struct buf		 in;
	struct buf		 out;
	size_t			 skipping;	/* bytes of an over-long line passed on */
	int			 skip_secret;	/* that line is an AUTH with a credential */
	int			 in_long;	/* such a line is being passed on */
	struct line_acc		 cacc;		/* an over-long command line, in pieces */
	unsigned long long	 rx;		/* bytes fed so far */
	unsigned long long	 rx_reply;	/* rx when the last reply was queued */
	unsigned		 errors;
	char			*helo;
	struct pend		*pend;		/* allocated while a reply is decided */
	struct smtp_decision	*dot;		/* the DOT decision, for message_done */
	int			 refused;	/* greeting was not 220: QUIT only */
	int			 stalled;	/* SMTP_F_STALL: read nothing more */
	int			 cutting;	/* SMTP_F_CUT: cut_left bytes to go */
	uint64_t		 cut_left;
	int			 tls_signalled;	/* on_starttls called for this 220 */
	int			 quit_seen;
	int			 eof;		/* the client sent all it will send */
	struct smtp_lint	 lint;
	/* AUTH */
	struct sasl_server	*sasl;		/* an exchange in progress */
	enum sasl_mech		 auth_mech;
	enum smtp_server_state	 auth_back;	/* state after the exchange */
	int			 authed;
	char			*auth_user;
	int			 skip_auth;	/* an over-long AUTH line is dropped */
	unsigned char		 cb[64];	/* TLS channel binding (SCRAM -PLUS) */
	size_t			 cblen;
	/* transaction */
	char			*from;
	char			*mail_params;
	char			**rcpt;
	size_t			 nrcpt;
	int			 body8, smtputf8;
	int			 bdat_txn;	/* the message comes in BDAT chunks */
	uint64_t		 bdat_left;	/* bytes of this chunk still to read */
	int			 bdat_last;
	int			 bdat_err;	/* reply after the chunk: 0 or a code */
	const char		*bdat_errtext;
	enum smtp_server_state	 bdat_back;	/* state after the chunk */
	struct dot_dec		 dec;
	uint64_t		 size;
	int			 too_big;
	int			 in_headers;
	int			 hdr_cont;	/* 1: Subject, 2: Message-ID continues */
	char			 subject[HDR_KEEP + 1];
	char			 msgid[HDR_KEEP + 1];
	size_t			 bare_lf, bare_cr, long_lines;
	int			 eightbit;
	int			 data_bol;	/* data line piece starts a line */
	struct line_acc		 dacc;		/* the data line, across pieces */
	int			 norm_cr;	/* --bare-lf normalize: a CR waits for its next byte */
	unsigned		 seq;
	int			 tls;		/* the session is encrypted */
	int			 esmtp;		/* EHLO, not HELO */
};

static const char *const state_names[SMTP_S_STATE_COUNT] = {
	"init", "greeted", "ready", "mail", "rcpt", "data", "bdat", "wait", "tls", "auth",
	"closing",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == SMTP_S_STATE_COUNT,
    "state_names");

static const char *const bare_names[SMTP_BARE_COUNT] = { "reject", "accept", "normalize" };
_Static_assert(sizeof(bare_names) / sizeof(bare_names[0]) == SMTP_BARE_COUNT, "bare");

static const char *const stage_names[SMTP_ST_COUNT] = {
	"CONNECT", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "DOT", "BDAT",
	"RSET", "NOOP", "VRFY", "QUIT", "OTHER", "TLS",
};
_Static_assert(sizeof(stage_names) / sizeof(stage_names[0]) == SMTP_ST_COUNT, "stages");

static void	 server_line(struct smtp_server *, const unsigned char *, size_t, int);
static void	 server_data(struct smtp_server *, const unsigned char *, size_t, int);
static void	 bdat_piece(struct smtp_server *, const unsigned char *, size_t, int);
static void	 bdat_end(struct smtp_server *);
static void	 data_end(struct smtp_server *);
static void	 cmd_auth(struct smtp_server *, const char *, size_t);
static void	 auth_line(struct smtp_server *, const unsigned char *, size_t);
static void	 handover(struct smtp_server *);
static void	 eof_finish(struct smtp_server *);
static void	 data_close(struct smtp_server *, int);
static void	 reply(struct smtp_server *, int, const char *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

const char *
smtp_server_state_name(enum smtp_server_state s)
{
	if ((unsigned)s >= SMTP_S_STATE_COUNT)
		fatalx("%s: bad state %d", __func__, (int)s);
	return state_names[s];
}

const char *
smtp_stage_name(enum smtp_stage st)
{
	if ((unsigned)st >= SMTP_ST_COUNT)
		fatalx("%s: bad stage %d", __func__, (int)st);
	return stage_names[st];
}

int
smtp_stage_parse(const char *p, size_t n, enum smtp_stage *st)
{
	int	 i;

	if ((n == 4 && (strncasecmp(p, "HELO", 4) == 0 || strncasecmp(p, "LHLO", 4) == 0))) {
		*st = SMTP_ST_HELO;
		return 0;
	}
	for (i = 0; i < SMTP_ST_COUNT; i++)
		if (strlen(stage_names[i]) == n && strncasecmp(p, stage_names[i], n) == 0) {
			*st = (enum smtp_stage)i;
			return 0;
		}
	return -1;
}

const char *
smtp_bare_lf_name(enum smtp_bare_lf m)
{
	if ((unsigned)m >= SMTP_BARE_COUNT)
		fatalx("%s: bad mode %d", __func__, (int)m);
	return bare_names[m];
}

int
smtp_bare_lf_parse(const char *s, enum smtp_bare_lf *m)
{
	int	 i;

	for (i = 0; i < SMTP_BARE_COUNT; i++)
		if (strcasecmp(s, bare_names[i]) == 0) {
			*m = (enum smtp_bare_lf)i;
			return 0;
		}
	return -1;
}

/* server_state - the only way the state changes */
static void
server_state(struct smtp_server *s, enum smtp_server_state st)
{
	s->state = st;
}

static void
note(struct smtp_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct smtp_server *s, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	if (s->ev.on_note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->ev.on_note(s->arg, msg);
}

struct smtp_server *
smtp_server_new(const struct smtp_server_cfg *cfg, const struct smtp_server_events *ev,
    void *arg)
{
	struct smtp_server *s = xcalloc(1, sizeof(*s));

	s->cfg = *cfg;
	if (s->cfg.hostname == NULL)
		s->cfg.hostname = "localhost";
	if (s->cfg.banner == NULL)
		s->cfg.banner = s->cfg.lmtp ? "LMTP smtpdbg sink" : "ESMTP smtpdbg sink";
	if (s->cfg.max_line < 512)
		s->cfg.max_line = 2048;
	if (s->cfg.max_rcpt == 0)
		s->cfg.max_rcpt = 1000;
	if (s->cfg.max_size == 0)
		s->cfg.max_size = 36700160;
	if (s->cfg.max_errors == 0)
		s->cfg.max_errors = 20;
	if (s->cfg.in_max < s->cfg.max_line + DATA_CHUNK)
		s->cfg.in_max = 65536;
	s->ev = *ev;
	s->arg = arg;
	s->tls = s->cfg.tls_active;
	buf_init(&s->in, s->cfg.in_max);
	buf_init(&s->out, 65536);
	return s;
}

static void
pend_free(struct smtp_server *s)
{
	if (s->pend == NULL)
		return;
	free(s->pend->arg);
	free(s->pend->params);
	free(s->pend);
	s->pend = NULL;
}

static void
reset_transaction(struct smtp_server *s, int abort_event)
{
	size_t	 i;

	if (abort_event && s->from && s->ev.on_abort)
		s->ev.on_abort(s->arg);
	free(s->from);
	free(s->mail_params);
	for (i = 0; i < s->nrcpt; i++)
		free(s->rcpt[i]);
	free(s->rcpt);
	s->from = s->mail_params = NULL;
	s->rcpt = NULL;
	s->nrcpt = 0;
	s->body8 = s->smtputf8 = 0;
	s->bdat_txn = 0;
	s->cutting = 0;
}

void
smtp_server_free(struct smtp_server *s)
{
	if (s == NULL)
		return;
	reset_transaction(s, 0);
	pend_free(s);
	free(s->dot);
	sasl_server_free(s->sasl);
	free(s->auth_user);
	free(s->helo);
	buf_free(&s->in);
	buf_free(&s->out);
	free(s);
}

struct buf *
smtp_server_output(struct smtp_server *s)
{
	return &s->out;
}

enum smtp_server_state
smtp_server_state(const struct smtp_server *s)
{
	return s->state;
}

int
smtp_server_tls(const struct smtp_server *s)
{
	return s->tls;
}

void
smtp_server_channel_binding(struct smtp_server *s, const unsigned char *cb, size_t n)
{
	s->cblen = n <= sizeof(s->cb) ? n : 0;
	if (s->cblen)
		memcpy(s->cb, cb, n);
}

size_t
smtp_server_partial(const struct smtp_server *s)
{
	if (s->state == SMTP_S_DATA || s->state == SMTP_S_BDAT || s->state == SMTP_S_CLOSING)
		return 0;
	return s->in.len + s->skipping;
}

int
smtp_server_waiting(const struct smtp_server *s)
{
	return s->pend && s->pend->waiting;
}

const struct smtp_lint *
smtp_server_lint(const struct smtp_server *s)
{
	return &s->lint;
}

unsigned
smtp_lint_text(const struct smtp_lint *l, char *out, size_t len)
{
	static const struct { size_t off; const char *what; } t[] = {
		{ offsetof(struct smtp_lint, bare_lf), "lines ending in a bare LF" },
		{ offsetof(struct smtp_lint, bare_cr), "lines with a bare CR" },
		{ offsetof(struct smtp_lint, long_lines), "data lines over 998 octets" },
		{ offsetof(struct smtp_lint, eightbit_undeclared),
		    "messages with 8-bit data but no BODY=8BITMIME" },
		{ offsetof(struct smtp_lint, utf8_undeclared), "UTF-8 addresses without SMTPUTF8" },
		{ offsetof(struct smtp_lint, pipelined_unoffered),
		    "commands sent ahead though PIPELINING was not offered" },
		{ offsetof(struct smtp_lint, pipelined_after_last),
		    "commands sent ahead after one that must end a group (RFC 2920)" },
		{ offsetof(struct smtp_lint, before_greeting), "commands sent before the greeting" },
		{ offsetof(struct smtp_lint, auth_plain_text), "AUTH without TLS" },
		{ offsetof(struct smtp_lint, no_quit), "closed without QUIT" },
		{ offsetof(struct smtp_lint, space_after_colon),
		    "a space after MAIL FROM:/RCPT TO:" },
	};
	size_t	 i, l0 = 0;
	unsigned n, total = 0;

	if (len)
		out[0] = '\0';
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memcpy(&n, (const char *)l + t[i].off, sizeof(n));
		if (n == 0)
			continue;
		total += n;
		if (l0 < len)
			l0 += (size_t)snprintf(out + l0, len - l0, "%s%s (%u)", l0 ? "; " : "",
			    t[i].what, n);
	}
	return total;
}

size_t
smtp_server_input_space(const struct smtp_server *s)
{
	if (s->state == SMTP_S_CLOSING)
		return 65536;	/* read and ignore */
	if (s->state == SMTP_S_TLS || s->stalled)
		return 0;	/* the TLS handshake reads now, or a stall */
	/* Backpressure: stop reading while replies pile up. */
	if (s->out.len > 32768)
		return 0;
	return buf_space(&s->in);
}

/* put_reply_line - "CODE[-| ]ENH TEXT" and the line end into line[];
 * its length, or 0 when it would not fit (a few instructions, no printf:
 * every reply of a busy sink passes here) */
static size_t
put_reply_line(char *line, size_t size, int code, int last, const char *enh,
    const char *text, size_t tlen, const char *eol)
{
	size_t	 n = 0, el = enh ? strlen(enh) : 0, nl = strlen(eol);

	if (4 + el + 1 + tlen + nl > size || code < 0 || code > 999)
		return 0;
	line[n++] = (char)('0' + code / 100);
	line[n++] = (char)('0' + code / 10 % 10);
	line[n++] = (char)('0' + code % 10);
	line[n++] = last ? ' ' : '-';
	if (el) {
		memcpy(line + n, enh, el);
		n += el;
		line[n++] = ' ';
	}
	memcpy(line + n, text, tlen);
	n += tlen;
	memcpy(line + n, eol, nl);
	return n + nl;
}

/* emit_line - one reply line to the output and the driver */
static void
emit_line(struct smtp_server *s, const char *line, size_t n)
{
	if (buf_append(&s->out, line, n) == -1)
		fatalx("%s: output overflow", __func__);
	s->rx_reply = s->rx;
	if (s->ev.on_output)
		s->ev.on_output(s->arg, (const unsigned char *)line, n);
}

void
smtp_compose_reply(struct buf *out, int code, const char *enh, const char *text,
    unsigned flags)
{
	static const char badmulti[] = "inconsistent code on purpose (smtpdbg fault)";
	static const char extra[] = "unsolicited reply on purpose (smtpdbg fault)";
	char		 line[1200];
	const char	*p, *nl, *eol = flags & SMTP_F_BARELF ? "\n" : "\r\n";
	size_t		 n;
	int		 last;

	if (enh && *enh == '\0')
		enh = NULL;
	for (p = text;; p = nl + 1) {
		nl = strchr(p, '\n');
		last = nl == NULL && !(flags & SMTP_F_BADMULTI);
		n = put_reply_line(line, sizeof(line), code, last, enh, p,
		    nl ? (size_t)(nl - p) : strlen(p), eol);
		if (n == 0)
			fatalx("%s: reply too long", __func__);
		buf_append(out, line, n);
		if (nl == NULL)
			break;
	}
	if (flags & SMTP_F_BADMULTI) {
		/* The last line of the reply carries another code (RFC 5321 4.2.1). */
		n = put_reply_line(line, sizeof(line), code % 10 == 9 ? code - 1 : code + 1, 1,
		    NULL, badmulti, sizeof(badmulti) - 1, eol);
		buf_append(out, line, n);
	}
	if (flags & SMTP_F_EXTRA) {
		n = put_reply_line(line, sizeof(line), 250, 1, NULL, extra, sizeof(extra) - 1, eol);
		buf_append(out, line, n);
	}
}

/* emit - the only writer of the output: one reply, composed, each line
 * reported */
static void
emit(struct smtp_server *s, int code, const char *enh, const char *text, unsigned flags)
{
	static struct buf r;	/* reused: no allocation per reply */
	const unsigned char *p, *lf;
	size_t		 left;

	if (r.max == 0)
		buf_init(&r, SIZE_MAX);
	if (!(s->cfg.ext & SMTP_EXT_ENHANCED))
		enh = NULL;
	smtp_compose_reply(&r, code, enh, text, flags);
	for (p = buf_ptr(&r), left = r.len; left && (lf = memchr(p, '\n', left)) != NULL;
	    left -= (size_t)(lf + 1 - p), p = lf + 1)
		emit_line(s, (const char *)p, (size_t)(lf + 1 - p));
	buf_clear(&r);
}

/* reply - an engine reply that no rule changes (limits, shutdown) */
static void
reply(struct smtp_server *s, int code, const char *enh, const char *fmt, ...)
{
	char		 text[2048];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	emit(s, code, enh, text, 0);
}

static void
closing(struct smtp_server *s)
{
	reset_transaction(s, 1);
	pend_free(s);
	sasl_server_free(s->sasl);
	s->sasl = NULL;
	s->stalled = 0;
	server_state(s, SMTP_S_CLOSING);
	buf_drain(&s->in, s->in.len);
	if (s->ev.on_close)
		s->ev.on_close(s->arg);
}

/* error - count a client error; too many end the session */
static int
error(struct smtp_server *s)
{
	if (++s->errors < s->cfg.max_errors)
		return 0;
	reply(s, 421, "4.7.0", "%s Error: too many errors", s->cfg.hostname);
	note(s, "%u errors in this session: closing (limit %u)", s->errors,
	    s->cfg.max_errors);
	closing(s);
	return -1;
}

/* copy_str - src into dst[size], truncated, always terminated */
static void
copy_str(char *dst, size_t size, const char *src)
{
	size_t	 n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* pend_begin - the engine's own reply to a command, to be decided */
static void pend_begin(struct smtp_server *, enum smtp_stage, enum commit, int,
    const char *, const char *, ...) __attribute__((format(printf, 6, 7)));

static void
pend_begin(struct smtp_server *s, enum smtp_stage st, enum commit c, int code,
    const char *enh, const char *fmt, ...)
{
	va_list	 ap;

	if (s->pend)
		fatalx("%s: a decision is pending", __func__);
	s->pend = xcalloc(1, sizeof(*s->pend));
	s->pend->active = 1;
	s->pend->commit = c;
	s->pend->d.stage = st;
	s->pend->d.code = code;
	copy_str(s->pend->d.enh, sizeof(s->pend->d.enh), enh ? enh : "");
	if (strchr(fmt, '%') == NULL)	/* most replies: no formatting */
		copy_str(s->pend->d.text, sizeof(s->pend->d.text), fmt);
	else {
		va_start(ap, fmt);
		vsnprintf(s->pend->d.text, sizeof(s->pend->d.text), fmt, ap);
		va_end(ap);
	}
}

/* pend_error - a client error reply (counted unless a rule says otherwise) */
#define pend_error(s, st, code, enh, ...) do {				\
	pend_begin((s), (st), C_NONE, (code), (enh), __VA_ARGS__);	\
	(s)->pend->count_error = 1;					\
} while (0)

static void	 apply(struct smtp_server *);

/* decide - offer the pending reply to the driver, then give it */
static void
decide(struct smtp_server *s)
{
	struct smtp_decision *d = &s->pend->d;

	d->arg = s->pend->arg;
	d->from = s->from;
	d->dflt = d->code;
	d->flags = 0;
	d->cut = 0;
	d->delay_ms = d->drip_ms = 0;
	d->rule = 0;
	if (s->ev.on_decide)
		s->ev.on_decide(s->arg, d);
	if (d->code < 200 || d->code > 599)
		d->code = d->dflt;
	if (d->flags & SMTP_F_WAIT) {
		d->flags &= ~(unsigned)SMTP_F_WAIT;
		s->pend->waiting = 1;
		return;
	}
	apply(s);
}

void
smtp_server_decide(struct smtp_server *s, const struct smtp_decision *d)
{
	struct smtp_decision *p;

	if (s->pend == NULL || !s->pend->waiting)
		return;	/* the session ended meanwhile */
	p = &s->pend->d;
	p->code = d->code >= 200 && d->code <= 599 ? d->code : p->dflt;
	memcpy(p->enh, d->enh, sizeof(d->enh));
	memcpy(p->text, d->text, sizeof(d->text));
	p->enh[sizeof(d->enh) - 1] = p->text[sizeof(d->text) - 1] = '\0';
	p->flags = d->flags & ~(unsigned)SMTP_F_WAIT;
	p->cut = d->cut;
	p->rule = d->rule;
	s->pend->waiting = 0;
	apply(s);
	smtp_server_process(s);
}

static void	 data_begin(struct smtp_server *);

/* commit - what a successful command changes */
static void
commit(struct smtp_server *s, struct pend *p)
{
	switch (p->commit) {
	case C_NONE:
	case C_BDAT:
		break;
	case C_CONNECT:
		server_state(s, SMTP_S_GREETED);
		break;
	case C_HELO:
		reset_transaction(s, 1);
		free(s->helo);
		s->helo = p->arg;
		p->arg = NULL;
		s->esmtp = p->esmtp;
		server_state(s, SMTP_S_READY);
		break;
	case C_MAIL:
		s->from = p->arg;
		s->mail_params = p->params;
		p->arg = p->params = NULL;
		s->body8 = p->body8;
		s->smtputf8 = p->smtputf8;
		server_state(s, SMTP_S_MAIL);
		break;
	case C_RCPT:
		s->rcpt = xrealloc(s->rcpt, (s->nrcpt + 1) * sizeof(*s->rcpt));
		s->rcpt[s->nrcpt++] = p->arg;
		p->arg = NULL;
		server_state(s, SMTP_S_RCPT);
		break;
	case C_DATA:
		data_begin(s);
		server_state(s, SMTP_S_DATA);
		break;
	case C_RSET:
		reset_transaction(s, 1);
		if (s->state != SMTP_S_GREETED)
			server_state(s, SMTP_S_READY);
		break;
	case C_QUIT:
		break;	/* apply() closes */
	case C_STARTTLS:
		reset_transaction(s, 1);
		s->tls_signalled = 0;
		server_state(s, SMTP_S_TLS);
		break;
	case C_AUTH:
		s->authed = 1;
		free(s->auth_user);
		s->auth_user = p->arg;
		p->arg = NULL;
		break;
	case C_DOT:
		fatalx("%s: DOT is committed by apply", __func__);
	}
}

/* apply - give the decided reply and commit what it allows */
static void
apply(struct smtp_server *s)
{
	struct pend		*p = s->pend;
	struct smtp_decision	*d = &p->d;
	int			 ok = d->dflt < 400 && d->code < 400;

	p->active = 0;
	if (d->flags & SMTP_F_DROP) {
		note(s, "%s: connection dropped without a reply", smtp_stage_name(d->stage));
		closing(s);
		return;
	}
	if ((d->flags & SMTP_F_STALL) && p->commit != C_DATA) {
		note(s, "%s: no reply; reading nothing more (stall)", smtp_stage_name(d->stage));
		pend_free(s);
		s->stalled = 1;
		return;
	}
	if (p->commit == C_DOT) {
		/* A success is given by smtp_server_message_done(). */
		if (ok) {
			free(s->dot);
			s->dot = xmalloc(sizeof(*s->dot));
			*s->dot = *d;
			pend_free(s);
			handover(s);
			return;
		}
		reset_transaction(s, 1);
		server_state(s, SMTP_S_READY);
		emit(s, d->code, d->enh, d->text, d->flags);
		if (d->code == 421 || (d->flags & SMTP_F_CLOSE))
			closing(s);
		else
			pend_free(s);
		return;
	}
	emit(s, d->code, d->enh, d->text, d->flags);
	if (p->commit == C_CONNECT) {
		/* RFC 5321 3.1: after a greeting other than 220, only QUIT */
		s->refused = d->code != 220;
		server_state(s, SMTP_S_GREETED);
	} else if (ok)
		commit(s, p);
	else if (p->commit == C_BDAT) {
		reset_transaction(s, 1);
		server_state(s, SMTP_S_READY);
	}
	if (ok && p->commit == C_DATA) {
		if (d->flags & SMTP_F_STALL) {
			note(s, "DATA: 354 sent; reading nothing more (stall)");
			s->stalled = 1;
		}
		if (d->flags & SMTP_F_CUT) {
			s->cutting = 1;
			s->cut_left = d->cut;
		}
	}
	if (p->commit == C_QUIT && ok)
		s->quit_seen = 1;
	if (d->code == 421 || (d->flags & SMTP_F_CLOSE) || (p->commit == C_QUIT && ok)) {
		closing(s);
		return;
	}
	if (p->count_error && d->code >= 400) {
		pend_free(s);
		error(s);
		return;
	}
	pend_free(s);
}

void
smtp_server_start(struct smtp_server *s)
{
	if (s->state != SMTP_S_INIT)
		fatalx("%s: bad state %d", __func__, (int)s->state);
	pend_begin(s, SMTP_ST_CONNECT, C_CONNECT, 220, NULL, "%s %s", s->cfg.hostname,
	    s->cfg.banner);
	decide(s);
	smtp_server_process(s);
}

/* close_421 - the server ends the session: 421, then close */
static void
close_421(struct smtp_server *s, const char *enh, const char *text)
{
	if (s->state == SMTP_S_CLOSING)
		return;
	reply(s, 421, enh, "%s %s", s->cfg.hostname, text);
	closing(s);
}

void
smtp_server_timeout(struct smtp_server *s)
{
	close_421(s, "4.4.2", "Error: timeout exceeded");
}

void
smtp_server_shutdown(struct smtp_server *s)
{
	close_421(s, "4.3.2", "Service shutting down");
}

void
smtp_server_tls_up(struct smtp_server *s)
{
	if (s->state != SMTP_S_TLS)
		fatalx("%s: bad state %d", __func__, (int)s->state);
	s->tls = 1;
	reset_transaction(s, 0);
	free(s->helo);
	s->helo = NULL;
	/* RFC 3207 4.2: everything learnt before TLS is forgotten */
	s->authed = 0;
	free(s->auth_user);
	s->auth_user = NULL;
	server_state(s, SMTP_S_GREETED);
}

void
smtp_server_feed(struct smtp_server *s, const void *p, size_t n)
{
	if (s->state == SMTP_S_CLOSING)
		return;
	if (s->state == SMTP_S_INIT && n > 0)
		s->lint.before_greeting++;
	if (buf_append(&s->in, p, n) == -1)
		fatalx("%s: fed %zu bytes, room for %zu", __func__, n, buf_space(&s->in));
	s->rx += n;
	smtp_server_process(s);
}

/* cut - SMTP_F_CUT: the connection ends in the middle of the data */
static int
cut(struct smtp_server *s, size_t n)
{
	if (!s->cutting)
		return 0;
	if ((uint64_t)n < s->cut_left) {
		s->cut_left -= n;
		return 0;
	}
	note(s, "connection cut inside the message data (rule)");
	closing(s);
	return 1;
}

/* bdat_take - the next piece of a BDAT chunk: up to a LF, or what is there */
static size_t
bdat_take(struct smtp_server *s, int *complete)
{
	size_t			 avail = s->in.len;
	const unsigned char	*p = buf_ptr(&s->in), *lf;

	if ((uint64_t)avail > s->bdat_left)
		avail = (size_t)s->bdat_left;
	if (avail > DATA_CHUNK)
		avail = DATA_CHUNK;
	if ((lf = memchr(p, '\n', avail)) != NULL) {
		*complete = 1;
		return (size_t)(lf - p) + 1;
	}
	*complete = 0;
	if (avail == s->bdat_left || avail == DATA_CHUNK)
		return avail;
	return 0;	/* wait for more of the line */
}

/* tls_check - the 220 to STARTTLS is queued: nothing read so far counts */
static void
tls_check(struct smtp_server *s)
{
	if (s->state != SMTP_S_TLS || s->tls_signalled)
		return;
	s->tls_signalled = 1;
	/* CVE-2011-0411: nothing sent in plaintext after STARTTLS may run
	 * inside the TLS session. */
	if (s->in.len > 0) {
		note(s, "%zu byte%s pipelined after STARTTLS in plaintext: "
		    "discarded, never executed (CVE-2011-0411 class)", s->in.len,
		    s->in.len == 1 ? "" : "s");
		buf_drain(&s->in, s->in.len);
	}
	if (s->ev.on_starttls)
		s->ev.on_starttls(s->arg);
}

/*
 * long_command - a command line over max_line (or an AUTH response over
 * AUTH_LINE_MAX): every byte is passed on, in pieces of DATA_CHUNK bytes
 * (the same whatever the reads), none is executed; at its end "500".
 * n: the line's length if its LF is here, else 0.  Returns 1 after a
 * piece, 0 when more input is needed, -1 when the session ended.
 */
static int
long_command(struct smtp_server *s, size_t n)
{
	const unsigned char	*p = buf_ptr(&s->in);
	size_t			 take, lim = s->cfg.max_line;
	unsigned		 f;

	if (!s->in_long) {
		s->in_long = 1;
		s->skipping = 0;
		if (!s->skip_auth)
			s->skip_secret = s->in.len >= 5 &&
			    strncasecmp((const char *)p, "AUTH ", 5) == 0;
	}
	if (n == 0 || n > DATA_CHUNK) {
		if (s->in.len < DATA_CHUNK)
			return 0;
		take = DATA_CHUNK;
	} else
		take = n;
	f = line_acc_add(&s->cacc, p, take, lim, NULL);
	if (s->skip_secret || s->skip_auth)
		f |= LINE_SECRET;
	if (s->ev.on_input)
		s->ev.on_input(s->arg, p, take, f, 0);
	s->skipping += take;
	buf_drain(&s->in, take);
	if (f & LINE_MORE)
		return 1;
	note(s, "command line of %zu bytes is over the %zu-byte limit; not executed",
	    s->skipping, s->skip_auth ? (size_t)AUTH_LINE_MAX : lim);
	s->in_long = 0;
	s->skipping = 0;
	s->skip_secret = 0;
	if (s->skip_auth) {
		s->skip_auth = 0;
		reply(s, 500, "5.5.6", "Authentication Exchange line is too long");
		return 1;
	}
	reply(s, 500, "5.5.2", "Error: line too long");
	return error(s) == -1 ? -1 : 1;
}

void
smtp_server_process(struct smtp_server *s)
{
	size_t	 n, lim;
	int	 complete;

	while (s->state != SMTP_S_WAIT && s->state != SMTP_S_CLOSING &&
	    s->state != SMTP_S_INIT && s->state != SMTP_S_TLS && s->out.len <= 32768 &&
	    !smtp_server_waiting(s) && !s->stalled) {
		if (s->state == SMTP_S_BDAT) {
			if (s->bdat_left == 0) {
				bdat_end(s);
				continue;
			}
			if ((n = bdat_take(s, &complete)) == 0)
				break;
			if (cut(s, n))
				return;
			bdat_piece(s, buf_ptr(&s->in), n, complete);
			buf_drain(&s->in, n);
			s->bdat_left -= n;
			continue;
		}
		if (s->state == SMTP_S_DATA && s->ev.on_data_lines && s->data_bol &&
		    !s->in_headers && !s->cutting && !s->too_big) {
			/* A run of plain lines: the same result as one by one
			 * (no dot to remove, nothing to flag), in one event. */
			size_t nl, run = line_plain_run(buf_ptr(&s->in), s->in.len,
			    RFC_TEXT_LINE, &nl);
			if (nl > 0 && s->size + run <= s->cfg.max_size) {
				s->ev.on_data_lines(s->arg, buf_ptr(&s->in), run, nl);
				s->dec.bol = 1;
				s->size += run;
				if (s->ev.on_data)
					s->ev.on_data(s->arg, buf_ptr(&s->in), run);
				buf_drain(&s->in, run);
				continue;
			}
		}
		n = buf_findline(&s->in);
		if (s->state == SMTP_S_AUTH && !s->in_long) {
			/* RFC 4954 4: AUTH lines may be up to 12288 octets */
			if (n == 0 && s->in.len <= AUTH_LINE_MAX)
				break;
			if (n == 0 || n > AUTH_LINE_MAX) {
				note(s, "AUTH response over %d octets: the exchange is aborted",
				    AUTH_LINE_MAX);
				server_state(s, s->auth_back);
				sasl_server_free(s->sasl);
				s->sasl = NULL;
				s->skip_auth = 1;
				s->in_long = 1;
				s->skipping = 0;
				continue;
			}
			auth_line(s, buf_ptr(&s->in), n);
			buf_drain(&s->in, n);
			continue;
		}
		if (s->state == SMTP_S_DATA) {
			/* A line longer than a piece goes in pieces of DATA_CHUNK
			 * bytes, whatever the reads: the same pieces every time. */
			if ((n == 0 || n > DATA_CHUNK) && s->in.len >= DATA_CHUNK)
				n = DATA_CHUNK;
			if (n == 0)
				break;
			if (cut(s, n))
				return;
			server_data(s, buf_ptr(&s->in), n,
			    buf_ptr(&s->in)[n - 1] == '\n');
			buf_drain(&s->in, n);
			continue;
		}
		lim = s->cfg.max_line;
		if (s->in_long || (n == 0 && s->in.len > lim) || n > lim) {
			int r = long_command(s, n);
			if (r == -1)
				return;
			if (r == 0)
				break;	/* wait for more of it */
			continue;
		}
		if (n == 0)
			break;
		/* ahead: the next command is here already, sent before this reply */
		server_line(s, buf_ptr(&s->in), n, s->in.len > n);
		buf_drain(&s->in, n);
	}
	tls_check(s);
	/* At EOF, once everything received is answered (nothing waits for the
	 * driver, the output is not backed up), the session ends. */
	if (s->eof && s->state != SMTP_S_CLOSING && s->state != SMTP_S_WAIT &&
	    !smtp_server_waiting(s) && !s->stalled && s->out.len <= 32768)
		eof_finish(s);
}

/*
 * eof_finish - the client has sent everything and every complete command
 * has been answered: report what is left unfinished, then close.
 */
static void
eof_finish(struct smtp_server *s)
{
	int		 data = s->state == SMTP_S_DATA || s->state == SMTP_S_BDAT;
	struct line_acc	*a = data ? &s->dacc : &s->cacc;
	unsigned	 f;

	if ((s->in.len > 0 || line_acc_open(a)) && s->ev.on_input) {
		/* what came of a line that never ended: shown as it is */
		line_acc_add(a, buf_ptr(&s->in), s->in.len, data ? RFC_TEXT_LINE :
		    s->cfg.max_line, NULL);
		f = line_acc_end(a, NULL);
		if (!data && (s->skip_secret || s->skip_auth || s->state == SMTP_S_AUTH ||
		    (s->in.len > 5 && strncasecmp((const char *)buf_ptr(&s->in), "AUTH ", 5) == 0)))
			f |= LINE_SECRET;
		s->ev.on_input(s->arg, buf_ptr(&s->in), s->in.len, f, data);
	}
	if (data)
		note(s, "connection closed inside message data: message discarded");
	if (!s->quit_seen)
		s->lint.no_quit++;
	closing(s);
}

/*
 * smtp_server_eof - a half-close is not an abort: every command already
 * received is carried out and answered (a message handed over is still
 * acknowledged), and only then does the session close.
 */
void
smtp_server_eof(struct smtp_server *s)
{
	if (s->eof || s->state == SMTP_S_CLOSING)
		return;
	s->eof = 1;
	smtp_server_process(s);
}

/* parse_path - "<...>" after FROM:/TO:; returns the end offset or 0 */
static size_t
parse_path(const char *a, size_t n, char **path)
{
	size_t	 i;
	int	 quoted = 0;

	if (n == 0 || a[0] != '<')
		return 0;
	for (i = 1; i < n; i++) {
		if (quoted && a[i] == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (a[i] == '"')
			quoted = !quoted;
		else if (!quoted && a[i] == '>')
			break;
		else if ((unsigned char)a[i] < 0x20 || a[i] == 0x7f)
			return 0;
	}
	if (i >= n || i - 1 > PATH_MAX_LEN)
		return 0;
	*path = xstrndup(a + 1, i - 1);
	return i + 1;
}

/* parse_size - digits without overflow; -1 when not a number */
static int
parse_size(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;
	size_t	 i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

static int
has_8bit(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return 1;
	return 0;
}

/* parse_params - ESMTP parameters; on error a reply is pending, -1 */
static int
parse_params(struct smtp_server *s, const char *p, size_t n, int mail, enum smtp_stage st,
    int *body8, int *smtputf8)
{
	size_t	 i = 0, kl, vl, tok;
	const char *eq, *k, *v;
	uint64_t sz;

	while (i < n) {
		while (i < n && p[i] == ' ')
			i++;
		if (i >= n)
			break;
		for (tok = i; tok < n && p[tok] != ' '; tok++)
			;
		k = p + i;
		eq = memchr(k, '=', tok - i);
		kl = eq ? (size_t)(eq - k) : tok - i;
		v = eq ? eq + 1 : NULL;
		vl = eq ? (size_t)(p + tok - v) : 0;
		if (kl == 0) {
			pend_error(s, st, 501, "5.5.4", "Syntax error in parameters");
			return -1;
		}
#define KEY(x) (kl == sizeof(x) - 1 && strncasecmp(k, x, kl) == 0)
		if (mail && KEY("SIZE") && (s->cfg.ext & SMTP_EXT_SIZE)) {
			if (!v || parse_size(v, vl, &sz) == -1) {
				pend_error(s, st, 501, "5.5.4", "Bad SIZE parameter");
				return -1;
			}
			if (sz > s->cfg.max_size) {
				pend_begin(s, st, C_NONE, 552, "5.3.4",
				    "Message size exceeds fixed limit");
				return -1;
			}
		} else if (mail && KEY("BODY") && (s->cfg.ext & SMTP_EXT_8BITMIME)) {
			if (v && vl == 8 && strncasecmp(v, "8BITMIME", 8) == 0)
				*body8 = 1;
			else if (!v || vl != 4 || strncasecmp(v, "7BIT", 4) != 0) {
				pend_error(s, st, 501, "5.5.4", "Bad BODY parameter");
				return -1;
			}
		} else if (mail && KEY("SMTPUTF8") && (s->cfg.ext & SMTP_EXT_SMTPUTF8)) {
			if (v) {
				pend_error(s, st, 501, "5.5.4", "SMTPUTF8 takes no value");
				return -1;
			}
			*smtputf8 = 1;
		} else if ((s->cfg.ext & SMTP_EXT_DSN) && v && vl > 0 &&
		    ((mail && (KEY("RET") || KEY("ENVID"))) ||
		    (!mail && (KEY("NOTIFY") || KEY("ORCPT"))))) {
			/* Accepted and shown; xtext is never decoded into storage. */
		} else if (mail && KEY("AUTH") && v) {
			/* RFC 4954 5: accepted and ignored. */
		} else {
			/* Never reflect client bytes raw into a reply. */
			char name[65];
			size_t j;
			for (j = 0; j < kl && j < sizeof(name) - 1; j++)
				name[j] = k[j] > 0x20 && k[j] < 0x7f ? k[j] : '?';
			name[j] = '\0';
			pend_error(s, st, 555, "5.5.4", "Unsupported option: %s", name);
			return -1;
		}
#undef KEY
		i = tok;
	}
	return 0;
}

static void
cmd_ehlo(struct smtp_server *s, enum smtp_verb v, const char *a, size_t n)
{
	char	 ext[512];
	size_t	 el = 0;

	if (s->cfg.lmtp != (v == SMTP_V_LHLO)) {
		pend_error(s, SMTP_ST_HELO, 500, "5.5.1", s->cfg.lmtp ?
		    "Error: this is LMTP; say LHLO" : "Error: LHLO is for LMTP; say EHLO");
		return;
	}
	if (n == 0) {
		pend_error(s, SMTP_ST_HELO, 501, "5.5.4", "Syntax: %s hostname", smtp_cmd_name(v));
		return;
	}
	if (v == SMTP_V_HELO) {
		pend_begin(s, SMTP_ST_HELO, C_HELO, 250, NULL, "%s", s->cfg.hostname);
		s->pend->arg = xstrndup(a, n);
		return;
	}
#define EXT(f, str) do { if (s->cfg.ext & (f)) \
	el += (size_t)snprintf(ext + el, sizeof(ext) - el, "\n%s", str); } while (0)
	EXT(SMTP_EXT_PIPELINING, "PIPELINING");
	if (s->cfg.ext & SMTP_EXT_SIZE)
		el += (size_t)snprintf(ext + el, sizeof(ext) - el, "\nSIZE %llu",
		    (unsigned long long)s->cfg.max_size);
	EXT(SMTP_EXT_8BITMIME, "8BITMIME");
	EXT(SMTP_EXT_SMTPUTF8, "SMTPUTF8");
	EXT(SMTP_EXT_ENHANCED, "ENHANCEDSTATUSCODES");
	EXT(SMTP_EXT_DSN, "DSN");
	EXT(SMTP_EXT_CHUNKING, "CHUNKING");
	EXT(SMTP_EXT_HELP, "HELP");
	if (s->cfg.auth_mechs && (s->tls || s->cfg.auth_any_time)) {
		int m;
		el += (size_t)snprintf(ext + el, sizeof(ext) - el, "\nAUTH");
		for (m = 0; m < SASL_MECH_COUNT; m++)
			if ((s->cfg.auth_mechs & (1u << m)) &&
			    (m != SASL_SCRAM_SHA256_PLUS || s->cblen))
				el += (size_t)snprintf(ext + el, sizeof(ext) - el, " %s",
				    sasl_mech_name((enum sasl_mech)m));
	}
	if (s->cfg.starttls && !s->tls)
		el += (size_t)snprintf(ext + el, sizeof(ext) - el, "\nSTARTTLS");
#undef EXT
	ext[el] = '\0';
	/* The EHLO reply carries no enhanced code (RFC 2034). */
	pend_begin(s, SMTP_ST_HELO, C_HELO, 250, NULL, "%s%s", s->cfg.hostname, ext);
	s->pend->arg = xstrndup(a, n);
	s->pend->esmtp = 1;
}

static void
cmd_mail(struct smtp_server *s, const char *a, size_t n)
{
	size_t	 off;
	char	*path = NULL;
	int	 b8 = 0, u8 = 0;

	if (s->state == SMTP_S_GREETED) {
		pend_error(s, SMTP_ST_MAIL, 503, "5.5.1", "Error: send %s first",
		    s->cfg.lmtp ? "LHLO" : "HELO/EHLO");
		return;
	}
	if (s->state != SMTP_S_READY) {
		pend_error(s, SMTP_ST_MAIL, 503, "5.5.1", "Error: nested MAIL command");
		return;
	}
	if (s->cfg.require_tls && !s->tls) {
		pend_error(s, SMTP_ST_MAIL, 530, "5.7.0", "Must issue a STARTTLS command first");
		return;
	}
	if (s->cfg.require_auth && !s->authed) {
		pend_error(s, SMTP_ST_MAIL, 530, "5.7.0", "Authentication required");
		return;
	}
	if (n < 5 || strncasecmp(a, "FROM:", 5) != 0) {
		pend_error(s, SMTP_ST_MAIL, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
		return;
	}
	a += 5, n -= 5;
	if (n && *a == ' ') {
		note(s, "space after FROM: is not allowed by RFC 5321 (accepted)");
		s->lint.space_after_colon++;
		while (n && *a == ' ')
			a++, n--;
	}
	if ((off = parse_path(a, n, &path)) == 0) {
		pend_error(s, SMTP_ST_MAIL, 501, "5.1.7", "Bad sender address syntax");
		return;
	}
	if (parse_params(s, a + off, n - off, 1, SMTP_ST_MAIL, &b8, &u8) == -1) {
		free(path);
		return;
	}
	if (has_8bit(path) && !u8)
		s->lint.utf8_undeclared++;
	while (off < n && a[off] == ' ')
		off++;
	pend_begin(s, SMTP_ST_MAIL, C_MAIL, 250, "2.1.0", "Ok");
	s->pend->arg = path;
	s->pend->params = xstrndup(a + off, n - off);
	s->pend->body8 = b8;
	s->pend->smtputf8 = u8;
}

static void
cmd_rcpt(struct smtp_server *s, const char *a, size_t n)
{
	size_t	 off;
	char	*path = NULL;
	int	 b8 = 0, u8 = 0;

	if (s->state != SMTP_S_MAIL && s->state != SMTP_S_RCPT) {
		pend_error(s, SMTP_ST_RCPT, 503, "5.5.1", "Error: need MAIL command");
		return;
	}
	if (n < 3 || strncasecmp(a, "TO:", 3) != 0) {
		pend_error(s, SMTP_ST_RCPT, 501, "5.5.4", "Syntax: RCPT TO:<address>");
		return;
	}
	a += 3, n -= 3;
	if (n && *a == ' ') {
		note(s, "space after TO: is not allowed by RFC 5321 (accepted)");
		s->lint.space_after_colon++;
		while (n && *a == ' ')
			a++, n--;
	}
	if ((off = parse_path(a, n, &path)) == 0 || path[0] == '\0') {
		free(path);
		pend_error(s, SMTP_ST_RCPT, 501, "5.1.3", "Bad recipient address syntax");
		return;
	}
	if (s->nrcpt >= s->cfg.max_rcpt) {
		free(path);
		pend_begin(s, SMTP_ST_RCPT, C_NONE, 452, "4.5.3", "Error: too many recipients");
		return;
	}
	if (parse_params(s, a + off, n - off, 0, SMTP_ST_RCPT, &b8, &u8) == -1) {
		free(path);
		return;
	}
	if (has_8bit(path) && !s->smtputf8)
		s->lint.utf8_undeclared++;
	pend_begin(s, SMTP_ST_RCPT, C_RCPT, 250, "2.1.5", "Ok");
	s->pend->arg = path;
}

/* data_begin - a message starts (DATA's 354, or the first BDAT) */
static void
data_begin(struct smtp_server *s)
{
	dot_dec_init(&s->dec);
	s->size = 0;
	s->too_big = 0;
	s->in_headers = 1;
	s->hdr_cont = 0;
	s->subject[0] = s->msgid[0] = '\0';
	s->bare_lf = s->bare_cr = s->long_lines = 0;
	s->eightbit = 0;
	s->data_bol = 1;
	line_acc_end(&s->dacc, NULL);
	s->norm_cr = 0;
	if (s->ev.on_data_start) {
		struct smtp_message m;
		memset(&m, 0, sizeof(m));
		m.helo = s->helo;
		m.from = s->from;
		m.mail_params = s->mail_params;
		m.rcpt = (const char *const *)s->rcpt;
		m.nrcpt = s->nrcpt;
		m.body8 = s->body8;
		m.smtputf8 = s->smtputf8;
		m.esmtp = s->esmtp;
		m.auth_mech = s->authed ? sasl_mech_name(s->auth_mech) : NULL;
		m.auth_user = s->authed ? s->auth_user : NULL;
		m.seq = s->seq + 1;
		s->ev.on_data_start(s->arg, &m);
	}
}

static void
cmd_data(struct smtp_server *s, size_t n)
{
	if (n) {
		pend_error(s, SMTP_ST_DATA, 501, "5.5.4", "Syntax: DATA");
		return;
	}
	if (s->bdat_txn) {
		pend_error(s, SMTP_ST_DATA, 503, "5.5.1", "Error: DATA inside a BDAT transaction");
		return;
	}
	if (s->state != SMTP_S_RCPT) {
		pend_error(s, SMTP_ST_DATA, 503, "5.5.1", s->state == SMTP_S_MAIL ?
		    "Error: need RCPT command" : "Error: need MAIL command");
		return;
	}
	pend_begin(s, SMTP_ST_DATA, C_DATA, 354, NULL, "End data with <CR><LF>.<CR><LF>");
}

/* cmd_bdat - RFC 3030: the chunk is read (and discarded on error) before
 * any reply, so its bytes are never taken for commands */
static void
cmd_bdat(struct smtp_server *s, const char *a, size_t n)
{
	size_t	 dl = 0;
	uint64_t size;
	int	 last = 0;

	if (!(s->cfg.ext & SMTP_EXT_CHUNKING)) {
		/* Its payload would be read as commands: hang up (Postfix). */
		note(s, "BDAT while CHUNKING is not offered: its chunk would be read as "
		    "commands, so the session ends");
		reply(s, 521, "5.5.1", "Error: BDAT is not offered");
		closing(s);
		return;
	}
	while (dl < n && a[dl] >= '0' && a[dl] <= '9')
		dl++;
	if (dl < n && n - dl == 5 && strncasecmp(a + dl, " LAST", 5) == 0)
		last = 1;
	if (parse_size(a, dl, &size) == -1 || (dl < n && !last)) {
		/* Where its chunk ends is unknown: its bytes would be read as
		 * commands.  Hang up (Postfix does the same). */
		note(s, "BDAT without a valid size: its chunk cannot be skipped, so the "
		    "session ends");
		reply(s, 521, "5.5.4", "Syntax: BDAT size [LAST]; closing the connection");
		closing(s);
		return;
	}
	if (size > s->cfg.max_size || (s->bdat_txn && s->size + size > s->cfg.max_size)) {
		/* Reading it only to throw it away could take for ever. */
		note(s, "BDAT chunk of %llu octets would pass the %llu-octet limit: it is not "
		    "read, so the session ends", (unsigned long long)size,
		    (unsigned long long)s->cfg.max_size);
		reply(s, 552, "5.3.4", "Message size exceeds fixed limit; closing the connection");
		closing(s);
		return;
	}
	s->bdat_left = size;
	s->bdat_last = last;
	s->bdat_err = 0;
	if (s->state != SMTP_S_RCPT) {
		s->bdat_err = 503;
		s->bdat_errtext = s->state == SMTP_S_MAIL ? "Error: need RCPT command" :
		    s->state == SMTP_S_GREETED ? "Error: send HELO/EHLO first" :
		    "Error: need MAIL command";
	} else if (!s->bdat_txn) {
		s->bdat_txn = 1;
		data_begin(s);
	}
	s->bdat_back = s->state;
	server_state(s, SMTP_S_BDAT);
}

static void
bdat_end(struct smtp_server *s)
{
	server_state(s, s->bdat_back);
	if (s->bdat_err || s->bdat_last)
		data_close(s, !s->bdat_err);
	if (s->norm_cr && s->bdat_last && !s->bdat_err) {
		/* a CR that ended the message: a bare one */
		s->norm_cr = 0;
		if (s->ev.on_data && !s->too_big)
			s->ev.on_data(s->arg, (const unsigned char *)"\r\n", 2);
	}
	if (s->bdat_err) {
		pend_error(s, SMTP_ST_BDAT, s->bdat_err, "5.5.1", "%s (chunk discarded)",
		    s->bdat_errtext);
		decide(s);
		return;
	}
	if (s->bdat_last) {
		data_end(s);
		return;
	}
	pend_begin(s, SMTP_ST_BDAT, C_BDAT, 250, "2.0.0", "Ok: %llu octets received",
	    (unsigned long long)s->size);
	decide(s);
}

/* auth_lookup - sasl's lookup through the driver (no driver: any) */
static int
auth_lookup(void *arg, const char *user, char *pw, size_t len)
{
	struct smtp_server *s = arg;

	return s->ev.on_auth_lookup ? s->ev.on_auth_lookup(s->arg, user, pw, len) : 2;
}

/* auth_end - the exchange is over: the verdict goes through the decision */
static void
auth_end(struct smtp_server *s, enum sasl_result r)
{
	char	*user = xstrdup(sasl_server_user(s->sasl));

	server_state(s, s->auth_back);
	if (s->ev.on_auth)
		s->ev.on_auth(s->arg, sasl_mech_name(s->auth_mech), user, r == SASL_OK,
		    sasl_server_shown(s->sasl));
	sasl_server_free(s->sasl);
	s->sasl = NULL;
	if (r == SASL_OK) {
		pend_begin(s, SMTP_ST_AUTH, C_AUTH, 235, "2.7.0", "Authentication successful");
		s->pend->arg = user;
		user = NULL;
	} else if (r == SASL_BAD)
		pend_error(s, SMTP_ST_AUTH, 501, "5.5.2", "Error: malformed authentication message");
	else
		pend_begin(s, SMTP_ST_AUTH, C_NONE, 535, "5.7.8",
		    "Error: authentication credentials invalid");
	free(user);
	decide(s);
}

/* auth_step - one decoded SASL message: a 334 challenge, or the end */
static void
auth_step(struct smtp_server *s, const unsigned char *msg, size_t n, int has)
{
	struct buf	 ch;
	enum sasl_result r;
	char		*b;

	buf_init(&ch, 8192);
	r = sasl_server_step(s->sasl, msg, n, has, &ch);
	if (r != SASL_CONTINUE) {
		buf_free(&ch);
		auth_end(s, r);
		return;
	}
	b = xmalloc(4 * ((ch.len + 2) / 3) + 1);
	b64_encode(buf_ptr(&ch), ch.len, b);
	reply(s, 334, NULL, "%s", b);
	free(b);
	buf_free(&ch);
	server_state(s, SMTP_S_AUTH);
}

/* auth_decode - base64 ("=" alone: empty); -1 when invalid */
static long
auth_decode(const char *a, size_t n, unsigned char **out)
{
	*out = xmalloc(n / 4 * 3 + 3);
	if (n == 1 && a[0] == '=')
		return 0;
	return b64_decode(a, n, *out, n / 4 * 3 + 3);
}

/* auth_line - a line in the AUTH exchange (never a command) */
static void
auth_line(struct smtp_server *s, const unsigned char *raw, size_t n)
{
	size_t		 len = line_body_len(raw, n);
	unsigned char	*d;
	long		 dl;

	if (s->ev.on_input)
		s->ev.on_input(s->arg, raw, n, line_classify(raw, n, 0) | LINE_SECRET, 0);
	if (len == 1 && raw[0] == '*') {
		server_state(s, s->auth_back);
		if (s->ev.on_auth)
			s->ev.on_auth(s->arg, sasl_mech_name(s->auth_mech),
			    sasl_server_user(s->sasl), 0, "cancelled by the client");
		sasl_server_free(s->sasl);
		s->sasl = NULL;
		pend_error(s, SMTP_ST_AUTH, 501, "5.7.0", "Authentication cancelled");
		decide(s);
		return;
	}
	if ((dl = auth_decode((const char *)raw, len, &d)) < 0) {
		free(d);
		server_state(s, s->auth_back);
		sasl_server_free(s->sasl);
		s->sasl = NULL;
		pend_error(s, SMTP_ST_AUTH, 501, "5.5.2", "Error: cannot decode the response");
		decide(s);
		return;
	}
	auth_step(s, d, (size_t)dl, 1);
	free(d);
}

/* cmd_auth - RFC 4954 */
static void
cmd_auth(struct smtp_server *s, const char *a, size_t n)
{
	size_t		 ml;
	enum sasl_mech	 m;
	unsigned char	*d = NULL;
	long		 dl = 0;
	int		 has = 0;

	for (ml = 0; ml < n && a[ml] != ' '; ml++)
		;
	if (!s->cfg.auth_mechs)
		pend_error(s, SMTP_ST_AUTH, 502, "5.5.1", "Error: authentication not enabled");
	else if (!s->tls && !s->cfg.auth_any_time)
		pend_error(s, SMTP_ST_AUTH, 538, "5.7.11",
		    "Encryption required for requested authentication mechanism");
	else if (s->state == SMTP_S_GREETED)
		pend_error(s, SMTP_ST_AUTH, 503, "5.5.1", "Error: send EHLO first");
	else if (s->authed)
		pend_error(s, SMTP_ST_AUTH, 503, "5.5.1", "Error: already authenticated");
	else if (s->state != SMTP_S_READY)
		pend_error(s, SMTP_ST_AUTH, 503, "5.5.1", "Error: MAIL transaction in progress");
	else if (ml == 0 || sasl_mech_parse(a, ml, &m) == -1 || !(s->cfg.auth_mechs & (1u << m)) ||
	    (sasl_mech_crypto(m) && s->cfg.crypto == NULL) ||
	    (m == SASL_SCRAM_SHA256_PLUS && s->cblen == 0))
		pend_error(s, SMTP_ST_AUTH, 504, "5.5.4", "Unrecognized authentication type");
	else if (ml < n && (dl = auth_decode(a + ml + 1, n - ml - 1, &d)) < 0)
		pend_error(s, SMTP_ST_AUTH, 501, "5.5.2", "Error: cannot decode the response");
	else {
		has = ml < n;
		s->auth_mech = m;
		s->auth_back = s->state;
		s->sasl = sasl_server_new(m, s->cfg.crypto, auth_lookup, s, s->cfg.hostname,
		    s->cblen ? s->cb : NULL, s->cblen);
		auth_step(s, d, (size_t)dl, has);
		free(d);
		return;
	}
	free(d);
	decide(s);
}

static void
cmd_help(struct smtp_server *s)
{
	pend_begin(s, SMTP_ST_OTHER, C_NONE, 214, "2.0.0", "smtpdbg sink; commands:\n"
	    "%s MAIL RCPT DATA BDAT RSET NOOP VRFY HELP QUIT STARTTLS\n"
	    "Every message is accepted and shown; see smtpdbg(1)",
	    s->cfg.lmtp ? "LHLO" : "HELO EHLO");
}

/* must_end_group - RFC 2920 3.1 (and 3207, 4954): nothing may follow it
 * before its reply */
static int
must_end_group(enum smtp_verb v)
{
	return v == SMTP_V_EHLO || v == SMTP_V_HELO || v == SMTP_V_LHLO || v == SMTP_V_DATA ||
	    v == SMTP_V_VRFY || v == SMTP_V_EXPN || v == SMTP_V_QUIT || v == SMTP_V_NOOP ||
	    v == SMTP_V_STARTTLS || v == SMTP_V_AUTH;
}

/* server_line - one complete command line of n bytes (ends in LF); ahead:
 * more bytes came with it, before its reply */
static void
server_line(struct smtp_server *s, const unsigned char *raw, size_t n, int ahead)
{
	unsigned	 f = line_classify(raw, n, s->cfg.max_line);
	const char	*line = (const char *)raw, *a;
	size_t		 len = line_body_len(raw, n), off, an;
	enum smtp_verb	 v;

	/* Its first byte came before the last reply was given: pipelined. */
	if (s->rx - s->in.len < s->rx_reply)
		f |= LINE_AHEAD;
	if (s->ev.on_input)
		s->ev.on_input(s->arg, raw, n, f | (len > 5 && strncasecmp(line, "AUTH ", 5) == 0 &&
		    memchr(line + 5, ' ', len - 5) ? LINE_SECRET : 0), 0);
	if (f & LINE_BARE_LF)
		s->lint.bare_lf++;
	if (f & LINE_BARE_CR)
		s->lint.bare_cr++;
	if ((f & (LINE_BARE_LF | LINE_BARE_CR)) && s->cfg.bare_lf == SMTP_BARE_REJECT) {
		note(s, "command with a bare %s: refused (RFC 5321 2.3.8 requires CRLF; "
		    "--bare-lf accept|normalize allows it)", f & LINE_BARE_LF ? "LF" : "CR");
		reply(s, 500, "5.5.2", "Error: bare <%s> received", f & LINE_BARE_LF ? "LF" : "CR");
		error(s);
		return;
	}
	if (f & LINE_NUL) {
		reply(s, 500, "5.5.2", "Error: NUL character in command");
		error(s);
		return;
	}
	v = len ? smtp_cmd_lookup(line, len, &off) : SMTP_V_UNKNOWN;
	if (len == 0)
		off = 0;
	a = line + off;
	an = len - off;
	if (ahead && v != SMTP_V_BDAT) {
		if (!(s->cfg.ext & SMTP_EXT_PIPELINING))
			s->lint.pipelined_unoffered++;
		else if (must_end_group(v))
			s->lint.pipelined_after_last++;
	}
	if (v == SMTP_V_AUTH && !s->tls)
		s->lint.auth_plain_text++;
	if (s->refused && v != SMTP_V_QUIT) {
		pend_error(s, SMTP_ST_OTHER, 503, "5.5.1", "Error: no service here; only QUIT");
		decide(s);
		return;
	}
	switch (v) {
	case SMTP_V_HELO:
	case SMTP_V_EHLO:
	case SMTP_V_LHLO:
		cmd_ehlo(s, v, a, an);
		break;
	case SMTP_V_MAIL:
		cmd_mail(s, a, an);
		break;
	case SMTP_V_RCPT:
		cmd_rcpt(s, a, an);
		break;
	case SMTP_V_DATA:
		cmd_data(s, an);
		break;
	case SMTP_V_BDAT:
		cmd_bdat(s, a, an);
		return;	/* answered after its chunk */
	case SMTP_V_RSET:
		pend_begin(s, SMTP_ST_RSET, C_RSET, 250, "2.0.0", "Ok");
		break;
	case SMTP_V_NOOP:
		pend_begin(s, SMTP_ST_NOOP, C_NONE, 250, "2.0.0", "Ok");
		break;
	case SMTP_V_VRFY:
		if (an == 0)
			pend_error(s, SMTP_ST_VRFY, 501, "5.5.4", "Syntax: VRFY address");
		else
			pend_begin(s, SMTP_ST_VRFY, C_NONE, 252, "2.0.0",
			    "Cannot VRFY user, but will accept message");
		break;
	case SMTP_V_HELP:
		cmd_help(s);
		break;
	case SMTP_V_QUIT:
		pend_begin(s, SMTP_ST_QUIT, C_QUIT, 221, "2.0.0", "Bye");
		break;
	case SMTP_V_STARTTLS:
		if (!s->cfg.starttls)
			pend_error(s, SMTP_ST_STARTTLS, 502, "5.5.1", "Error: STARTTLS not offered");
		else if (s->tls)
			pend_error(s, SMTP_ST_STARTTLS, 503, "5.5.1", "Error: TLS is already active");
		else if (an)
			pend_error(s, SMTP_ST_STARTTLS, 501, "5.5.4", "Syntax: STARTTLS");
		else
			pend_begin(s, SMTP_ST_STARTTLS, C_STARTTLS, 220, "2.0.0",
			    "Ready to start TLS");
		break;
	case SMTP_V_AUTH:
		cmd_auth(s, a, an);
		return;	/* a 334, or decided there */
	case SMTP_V_EXPN:
	case SMTP_V_ETRN:
		pend_error(s, SMTP_ST_OTHER, 502, "5.5.1", "Error: %s not offered",
		    smtp_cmd_name(v));
		break;
	case SMTP_V_UNKNOWN:
		pend_error(s, SMTP_ST_OTHER, 500, "5.5.2", len ? "Error: command not recognized" :
		    "Error: bad syntax");
		break;
	default:
		fatalx("%s: bad verb %d", __func__, (int)v);
	}
	decide(s);
}

/* header - remember Subject and Message-ID while in the header section */
static void
header(struct smtp_server *s, const unsigned char *p, size_t n)
{
	size_t	 body = line_body_len(p, n), cur;
	char	*dst;

	if (body == 0) {
		s->in_headers = 0;
		return;
	}
	if (p[0] == ' ' || p[0] == '\t') {
		if (s->hdr_cont == 0)
			return;
		dst = s->hdr_cont == 1 ? s->subject : s->msgid;
	} else {
		s->hdr_cont = 0;
		if (body >= 8 && strncasecmp((const char *)p, "Subject:", 8) == 0 &&
		    s->subject[0] == '\0') {
			s->hdr_cont = 1;
			p += 8, body -= 8;
			dst = s->subject;
		} else if (body >= 11 && strncasecmp((const char *)p, "Message-ID:", 11) == 0 &&
		    s->msgid[0] == '\0') {
			s->hdr_cont = 2;
			p += 11, body -= 11;
			dst = s->msgid;
		} else
			return;
		while (body && (*p == ' ' || *p == '\t'))
			p++, body--;
	}
	cur = strlen(dst);
	if (cur && cur < HDR_KEEP)
		dst[cur++] = ' ';
	while (body && (*p == ' ' || *p == '\t') && cur)
		p++, body--;
	if (body > HDR_KEEP - cur)
		body = HDR_KEEP - cur;
	memcpy(dst + cur, p, body);
	dst[cur + body] = '\0';
}

/* handover - the DOT decision was a success: on_message */
static void
handover(struct smtp_server *s)
{
	struct smtp_message m;

	memset(&m, 0, sizeof(m));
	m.helo = s->helo;
	m.from = s->from;
	m.mail_params = s->mail_params;
	m.rcpt = (const char *const *)s->rcpt;
	m.nrcpt = s->nrcpt;
	m.size = s->size;
	m.subject = s->subject[0] ? s->subject : NULL;
	m.msgid = s->msgid[0] ? s->msgid : NULL;
	m.bare_lf = s->bare_lf;
	m.bare_cr = s->bare_cr;
	m.long_lines = s->long_lines;
	m.smuggle = s->dec.smuggle;
	m.eightbit = s->eightbit;
	m.body8 = s->body8;
	m.smtputf8 = s->smtputf8;
	m.esmtp = s->esmtp;
	m.auth_mech = s->authed ? sasl_mech_name(s->auth_mech) : NULL;
	m.auth_user = s->authed ? s->auth_user : NULL;
	m.seq = ++s->seq;
	server_state(s, SMTP_S_WAIT);
	if (s->ev.on_message)
		s->ev.on_message(s->arg, &m);
	else
		smtp_server_message_done(s, 250, "2.0.0", "Ok: discarded");
}

/* data_end - the end of the data (CRLF.CRLF or BDAT LAST): decide DOT */
static void
data_end(struct smtp_server *s)
{
	s->lint.long_lines += (unsigned)s->long_lines;
	if (s->eightbit && !s->body8)
		s->lint.eightbit_undeclared++;
	if (s->dec.smuggle)
		note(s, "%zu \".\" line(s) after a bare LF/CR did NOT end the data "
		    "(only CRLF.CRLF does; SMTP smuggling attempt or broken client)",
		    s->dec.smuggle);
	server_state(s, SMTP_S_WAIT);
	if (s->too_big) {
		note(s, "message of %llu bytes is over the %llu-byte limit: rejected",
		    (unsigned long long)s->size, (unsigned long long)s->cfg.max_size);
		pend_begin(s, SMTP_ST_DOT, C_DOT, 552, "5.3.4", "Error: message too big");
	} else if ((s->bare_lf || s->bare_cr) && s->cfg.bare_lf == SMTP_BARE_REJECT &&
	    !s->bdat_txn) {
		note(s, "message has %zu bare LF and %zu bare CR line(s): rejected "
		    "(RFC 5321 2.3.8; --bare-lf accept|normalize allows it)",
		    s->bare_lf, s->bare_cr);
		pend_begin(s, SMTP_ST_DOT, C_DOT, 550, "5.5.2",
		    "Error: bare <LF> or <CR> received in message");
	} else
		pend_begin(s, SMTP_ST_DOT, C_DOT, 250, "2.0.0", "Ok");
	decide(s);
}

void
smtp_server_message_done(struct smtp_server *s, int code, const char *enh, const char *text)
{
	size_t	 i, n;
	unsigned flags;

	if (s->state != SMTP_S_WAIT || s->pend || s->dot == NULL)
		return;	/* the session ended meanwhile */
	flags = s->dot->flags;
	/* A rule's own success reply wins over the driver's; failures do not. */
	if (code < 400 && s->dot->rule && s->dot->code < 400) {
		code = s->dot->code;
		enh = s->dot->enh;
		text = s->dot->text;
	}
	n = s->cfg.lmtp ? s->nrcpt : 1;
	for (i = 0; i < n; i++)
		emit(s, code, enh, text, flags);
	reset_transaction(s, 0);
	server_state(s, SMTP_S_READY);
	free(s->dot);
	s->dot = NULL;
	if (code == 421 || (flags & SMTP_F_CLOSE))
		closing(s);
}

/* normalize - --bare-lf normalize: a bare LF or bare CR is stored as
 * CRLF; a CR at the end of a piece waits for the byte after it, so any
 * split of the data stores the same bytes */
static void
normalize(struct smtp_server *s, const unsigned char *c, size_t cl)
{
	static const unsigned char crlf[2] = { '\r', '\n' };
	size_t	 i, from = 0;

	for (i = 0; i < cl; i++) {
		if (s->norm_cr) {
			s->norm_cr = 0;
			s->ev.on_data(s->arg, crlf, 2);
			if (c[i] == '\n') {
				from = i + 1;	/* CRLF as it came */
				continue;
			}
		}
		if (c[i] == '\r' || c[i] == '\n') {
			if (i > from)
				s->ev.on_data(s->arg, c + from, i - from);
			if (c[i] == '\r')
				s->norm_cr = 1;
			else
				s->ev.on_data(s->arg, crlf, 2);
			from = i + 1;
		}
	}
	if (cl > from)
		s->ev.on_data(s->arg, c + from, cl - from);
}

/* data_piece - a piece of message content (after unstuffing); f: the
 * line's flags (the whole line's when complete) */
static void
data_piece(struct smtp_server *s, const unsigned char *c, size_t cl, int complete, unsigned f)
{
	if (complete) {
		/* judged once per line, on the whole line */
		if (f & LINE_BARE_LF) {
			s->bare_lf++;
			s->lint.bare_lf++;
		}
		if (f & LINE_BARE_CR) {
			s->bare_cr++;
			s->lint.bare_cr++;
		}
		if (f & LINE_LONG)
			s->long_lines++;
	}
	if (f & LINE_8BIT)
		s->eightbit = 1;
	if (s->in_headers && s->data_bol && complete)
		header(s, c, cl);
	s->data_bol = complete;
	if (s->too_big || s->size + cl > s->cfg.max_size) {
		/* Keep consuming to the end of data; store nothing more. */
		s->too_big = 1;
		s->size += cl;
		return;
	}
	s->size += cl;
	if (s->ev.on_data == NULL)
		return;
	if (s->cfg.bare_lf == SMTP_BARE_NORMALIZE)
		normalize(s, c, cl);
	else
		s->ev.on_data(s->arg, c, cl);
}

/* data_close - the data ended inside a line (BDAT LAST, or a discarded
 * chunk): that line is judged as it is, and shown as ended */
static void
data_close(struct smtp_server *s, int count)
{
	unsigned f;

	if (!line_acc_open(&s->dacc))
		return;
	f = line_acc_end(&s->dacc, NULL);
	if (s->ev.on_input)
		s->ev.on_input(s->arg, (const unsigned char *)"", 0, f, 1);
	if (count && (f & LINE_BARE_CR)) {
		s->bare_cr++;
		s->lint.bare_cr++;
	}
	if (count && (f & LINE_LONG))
		s->long_lines++;
	s->data_bol = 1;
}

/* server_data - one data line piece; complete: it ends with LF */
static void
server_data(struct smtp_server *s, const unsigned char *raw, size_t n, int complete)
{
	const unsigned char	*c;
	size_t			 cl, lim = RFC_TEXT_LINE;
	unsigned		 f;

	/* RFC 5321 4.5.3.1.6: the limit does not count a stuffed dot */
	if (!line_acc_open(&s->dacc) && s->dec.bol && raw[0] == '.')
		lim++;
	f = line_acc_add(&s->dacc, raw, n, lim, NULL);
	if (s->ev.on_input)
		s->ev.on_input(s->arg, raw, n, f, 1);
	if (dot_dec_line(&s->dec, raw, n, complete, &c, &cl) == DOT_DEC_END) {
		data_end(s);
		return;
	}
	data_piece(s, c, cl, complete, f);
}

/* bdat_piece - BDAT content: as it came, no dot processing; a line may
 * go on in the next chunk */
static void
bdat_piece(struct smtp_server *s, const unsigned char *raw, size_t n, int complete)
{
	unsigned f = line_acc_add(&s->dacc, raw, n, RFC_TEXT_LINE, NULL);

	if (s->ev.on_input)
		s->ev.on_input(s->arg, raw, n, f, 1);
	if (s->bdat_err)
		return;
	data_piece(s, raw, n, complete, f);
}
