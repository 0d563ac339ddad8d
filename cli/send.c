/*
 * send - see send.h.  A plan of lines (MAIL, RCPT..., DATA or BDAT
 * chunks) is sent as one group when PIPELINING is in use, else one at a
 * time; replies are matched to the plan in order.  The first failure
 * decides the exit code; the session still ends with QUIT when it can.
 *
 * With --sessions (and for ping) the same sessions run many at a time on
 * the loop, without transcripts: each takes the next message (a "unit";
 * for ping, a whole session) when it is free, paced by --rate or
 * --interval, and reports every phase's latency and every error to load.c.
 * A refused message is followed by RSET and the next one; a session that
 * fails ends, and a new one takes over what is left.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli/auth.h"
#include "cli/client.h"
#include "cli/listen.h"
#include "cli/load.h"
#include "cli/loop.h"
#include "cli/opening.h"
#include "cli/out.h"
#include "cli/send.h"
#include "session/addr.h"
#include "session/caps.h"
#include "session/dot.h"
#include "session/esc.h"
#include "session/mime.h"
#include "session/xalloc.h"
#include "tls/crypto.h"
#include "tls/tls.h"

static const char *const stage_names[SEND_STAGE_COUNT] = {
	"CONNECT", "EHLO", "TLS", "AUTH", "MAIL", "RCPT", "DATA", "DOT",
};

/* TEMP - a stage's exit code; 4xx ("try later") has its own, 10 higher */
#define TEMP(code, exit)	((code) / 100 == 4 ? (exit) + 10 : (exit))

enum phase { P_OPENING, P_TXN, P_RSET, P_QUIT, P_DONE };
enum item { I_MAIL, I_RCPT, I_DATA, I_BDAT, I_DOT };

struct plan {
	enum item	 kind;
	char		*line;		/* MAIL/RCPT/DATA line */
	size_t		 off, len;	/* BDAT: the chunk in msg */
	int		 last;
};

/* run - the whole job: one session, or many (load) */
struct run {
	struct send_opts *o;
	const char	*const *targets;	/* tried in order until one connects */
	const char	*const *names;		/* their MX host names, or NULL */
	size_t		 ntargets;
	const char	*user_sni;		/* --sni: wins over an MX name */
	int		 load;		/* many units: statistics, no transcript */
	struct load	 st;
	struct client_cfg ccfg;		/* load: the sessions' (no transcript) */
	unsigned long	 claimed;	/* units handed out */
	unsigned long	 nsess;		/* sessions started */
	unsigned	 active;
	struct send	*head;		/* the live sessions */
	struct send	*dead;		/* ended, freed on the next turn */
	int		 stopping;	/* Ctrl-C: no more units */
	int		 code;		/* load: the first failure's exit code */
	char		 outcome[600];
	struct buf	 msg;		/* load: the message, built once */
	struct buf	 wire;		/* its dot-stuffed form ending in CRLF.CRLF */
	size_t		 id_at, wid_at;	/* the Message-ID's number in them (or 0) */
	struct loop_timer *spawn_t;
};

struct send {
	struct run	*r;
	struct send	*next, *prev;	/* load: the live sessions */
	unsigned long	 id;		/* load: the session's number, 1.. */
	struct loop_timer *wait;	/* load: until this unit's start time */
	unsigned long	 unit;		/* load: the unit under way (0: none) */
	unsigned long	 on_conn;	/* units taken on this connection */
	uint64_t	 unit_t0, t_conn, t_tls, t_auth;
	enum load_phase	 exp;		/* the phase under way */
	int		 unit_failed;
	struct load_unit_info ui;
	char		 ftext[600];	/* the unit's failure */
	int		 tx_failed;	/* this transaction failed: no more of it */
	int		 stopped;	/* --quit-after/--drop-after: stopped as asked */
	const struct buf *m;		/* the message: msg, or the run's */
	struct client_cfg *cc;		/* the client's configuration */
	struct send_opts *o;
	struct client	*cl;
	struct opening	*op;		/* greeting, EHLO, STARTTLS, AUTH */
	size_t		 ti;		/* the target tried now (r->targets) */
	enum phase	 phase;
	struct plan	*plan;
	size_t		 nplan, sent, answered;
	int		 pipelining, chunking;
	int		 mail_ok;
	size_t		 rcpt_ok, rcpt_bad;
	size_t		 lmtp_seen, lmtp_ok;	/* LMTP: replies to the end of data */
	unsigned long	 done;		/* messages accepted */
	struct buf	 msg;		/* the message (BDAT: as is) */
	int		 code;		/* exit code; first failure wins */
	char		 outcome[600];
	int		 finished;
};

int
send_stage_parse(const char *s, int *st)
{
	/* swaks' names too: FIRST-HELO is the first EHLO, HELO the last one */
	static const struct { const char *name; int st; } alias[] = {
		{ "FIRST-EHLO", SEND_EHLO }, { "FIRST-HELO", SEND_EHLO }, { "HELO", SEND_TLS },
		{ "STARTTLS", SEND_TLS }, { "FROM", SEND_MAIL }, { "TO", SEND_RCPT },
	};
	size_t	 i;

	for (i = 0; i < SEND_STAGE_COUNT; i++)
		if (strcasecmp(s, stage_names[i]) == 0) {
			*st = (int)i;
			return 0;
		}
	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strcasecmp(s, alias[i].name) == 0) {
			*st = alias[i].st;
			return 0;
		}
	return -1;
}

int
send_rate_parse(const char *s, double *rate)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v > 0) || v > 1e9)
		return -1;
	if (*end == '\0' || strcmp(end, "/s") == 0)
		*rate = v;
	else if (strcmp(end, "/m") == 0)
		*rate = v / 60;
	else if (strcmp(end, "/h") == 0)
		*rate = v / 3600;
	else
		return -1;
	return 0;
}

int
send_force_parse(const char *s, unsigned *f)
{
	static const struct { const char *kw; unsigned bit; } t[] = {
		{ "PIPELINING", FORCE_PIPELINING }, { "CHUNKING", FORCE_CHUNKING },
		{ "8BITMIME", FORCE_8BITMIME }, { "SMTPUTF8", FORCE_SMTPUTF8 },
		{ "SIZE", FORCE_SIZE }, { "DSN", FORCE_DSN }, { "REQUIRETLS", FORCE_REQUIRETLS },
		{ "STARTTLS", FORCE_STARTTLS },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(s, t[i].kw) == 0) {
			*f |= t[i].bit;
			return 0;
		}
	return -1;
}

static void	 send_more(struct send *);
static void	 transaction(struct send *);
static void	 session_end(struct send *);
static void	 next_unit(struct send *);
static void	 id_number(struct buf *, size_t, unsigned long);
static void	 note_error(struct send *, enum load_phase, int, int, const char *, ...)
    __attribute__((format(printf, 5, 6)));
static void	 fail(struct send *, enum load_phase, int, int, const char *, ...)
    __attribute__((format(printf, 5, 6)));

/* unit_end - the unit under way is over: counted, shown (ping) */
static void
unit_end(struct send *s, int ok)
{
	struct run	*r = s->r;

	if (!s->unit)
		return;
	s->ui.seq = s->unit;
	s->ui.session = s->id;
	s->ui.on_conn = s->on_conn;
	s->ui.ok = ok && !s->unit_failed;
	if (!s->ui.ok)
		s->ui.text = s->ftext;
	s->ui.total_us = loop_now() - s->unit_t0;
	load_unit(&r->st, s->ui.ok, s->ui.total_us);
	if (r->o->ping) {
		if (!r->o->ro->quiet && !r->st.tx.json)
			load_ping_line(&r->st, &s->ui, out_file());
		load_unit_event(&r->st, "ping", &s->ui);
	} else if (r->o->json_messages)
		load_unit_event(&r->st, "load_message", &s->ui);
	s->unit = 0;
}

/* unit_fail - the unit under way failed (a message at once; a ping when
 * its session ends) */
static void
unit_fail(struct send *s, enum load_phase ph, int rcode, const char *why)
{
	if (!s->unit || s->unit_failed)
		return;
	s->unit_failed = 1;
	s->ui.ph = ph;
	s->ui.code = rcode;
	snprintf(s->ftext, sizeof(s->ftext), "%s", why);
	if (!s->r->o->ping)
		unit_end(s, 0);
}

/* vnote_error - one session: the first failure decides the exit code
 * and the words; many: an error counted by stage and code (none for what
 * follows a refusal in the same transaction) */
static int
vnote_error(struct send *s, enum load_phase ph, int rcode, int code, char *why, size_t len,
    const char *fmt, va_list ap)
{
	struct run	*r = s->r;

	vsnprintf(why, len, fmt, ap);
	if (!r->load) {
		if (s->code == 0) {
			s->code = code;
			snprintf(s->outcome, sizeof(s->outcome), "%s", why);
		}
		return 0;
	}
	if (s->tx_failed && ph >= LP_MAIL && ph <= LP_DOT)
		return 0;
	if (r->code == 0) {
		r->code = code;
		snprintf(r->outcome, sizeof(r->outcome), "%s", why);
	}
	load_error(&r->st, ph, rcode, why);
	return 1;
}

static void
note_error(struct send *s, enum load_phase ph, int rcode, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[600];

	va_start(ap, fmt);
	vnote_error(s, ph, rcode, code, why, sizeof(why), fmt, ap);
	va_end(ap);
}

/* fail - a failure at a stage: an error, and the unit under way failed */
static void
fail(struct send *s, enum load_phase ph, int rcode, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[600];

	va_start(ap, fmt);
	if (vnote_error(s, ph, rcode, code, why, sizeof(why), fmt, ap))
		unit_fail(s, ph, rcode, why);
	va_end(ap);
}

static void
finish(struct send *s)
{
	if (s->finished)
		return;
	s->finished = 1;
	s->phase = P_DONE;
	loop_del_timer(s->wait);	/* a start time it waited for is void */
	s->wait = NULL;
	if (client_is_connected(s->cl))
		client_close(s->cl, NULL);
	if (s->r->load)
		session_end(s);
	else
		loop_quit(s->code);
}

/* quit - end the session politely */
static void
quit(struct send *s)
{
	char	 err[256];

	if (!client_is_connected(s->cl)) {
		finish(s);
		return;
	}
	s->phase = P_QUIT;
	if (client_command(s->cl, "QUIT", err, sizeof(err)) == -1)
		finish(s);
}

static int
offered(struct send *s, const char *kw)
{
	return caps_find(client_caps(s->cl), kw) != NULL;
}

/* use - an extension in use: offered, or forced (and said so) */
static int
use(struct send *s, const char *kw, unsigned force)
{
	if (offered(s, kw))
		return 1;
	if (s->o->force & force) {
		client_note(s->cl, '!', "%s is forced: the server did not offer it", kw);
		return 1;
	}
	return 0;
}

/* stage_done - a stage succeeded: stop here if asked; 1 when stopped */
static int
stage_done(struct send *s, int st)
{
	if (s->o->drop_after == st || s->o->quit_after == st)
		s->stopped = 1;
	if (s->o->drop_after == st) {
		client_note(s->cl, '*', "--drop-after %s: closing without QUIT", stage_names[st]);
		snprintf(s->outcome, sizeof(s->outcome), "dropped after %s as asked",
		    stage_names[st]);
		finish(s);
		return 1;
	}
	if (s->o->quit_after == st) {
		client_note(s->cl, '*', "--quit-after %s", stage_names[st]);
		snprintf(s->outcome, sizeof(s->outcome), "stopped after %s as asked",
		    stage_names[st]);
		quit(s);
		return 1;
	}
	return 0;
}

/* rcpts - how many recipients: none means no message (ping) */
static size_t
rcpts(const struct send_opts *o)
{
	return o->nto + o->ncc + o->nbcc;
}

static int
has8(const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return 1;
	return 0;
}

static int
addr8(const struct send_opts *o)
{
	size_t	 i;

	if (has8(o->from, strlen(o->from)))
		return 1;
	for (i = 0; i < o->nto; i++)
		if (has8(o->to[i], strlen(o->to[i])))
			return 1;
	for (i = 0; i < o->ncc; i++)
		if (has8(o->cc[i], strlen(o->cc[i])))
			return 1;
	for (i = 0; i < o->nbcc; i++)
		if (has8(o->bcc[i], strlen(o->bcc[i])))
			return 1;
	return 0;
}

static void
plan_free(struct send *s)
{
	size_t	 i;

	for (i = 0; i < s->nplan; i++)
		free(s->plan[i].line);
	free(s->plan);
	s->plan = NULL;
	s->nplan = s->sent = s->answered = 0;
}

static void
plan_add(struct send *s, enum item k, char *line, size_t off, size_t len, int last)
{
	s->plan = xrealloc(s->plan, (s->nplan + 1) * sizeof(*s->plan));
	s->plan[s->nplan].kind = k;
	s->plan[s->nplan].line = line;
	s->plan[s->nplan].off = off;
	s->plan[s->nplan].len = len;
	s->plan[s->nplan].last = last;
	s->nplan++;
}

int
send_read_file(const char *path, struct buf *b, char *err, size_t errlen)
{
	int	 fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	char	 chunk[65536];
	ssize_t	 r;

	err[0] = '\0';
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(b, chunk, (size_t)r) == -1) {
			snprintf(err, errlen, "%s: too big", path);
			r = -1;
			break;
		}
	if (fd != STDIN_FILENO)
		close(fd);
	if (r < 0) {
		if (!err[0])
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* filler - n bytes of text for --size, counting each line end as the
 * CRLF it becomes: lines of 76 characters, the last one shorter */
static void
filler(struct buf *b, size_t n)
{
	static const char text[] = "smtpdbg generated this text to give the message its size; "
	    "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ ";
	size_t	 k = 0, w;

	while (n >= 3) {
		w = n - 2 > 76 ? 76 : n - 2;
		if (n - 2 - w == 1 || n - 2 - w == 2)
			w -= 3 - (n - 2 - w);	/* leave a last line of one character,
						 * not a rest too short for a line */
		buf_append(b, text + k % (sizeof(text) - 1 - 76), w);
		buf_append(b, "\n", 1);
		k += 7;
		n -= w + 2;
	}
}

/* build - this transaction's message into msg */
static int
build(struct send *s, struct buf *msg, char *err, size_t errlen)
{
	struct send_opts *o = s->o;
	struct mime_msg	 m;
	struct mime_part parts[64];
	struct buf	 body, files[64];
	char		 date[64], msgid[200], boundary[80], host[128];
	time_t		 now = time(NULL);
	struct tm	 tm;
	struct timeval	 tv;
	size_t		 i;
	unsigned char	 r[8];

	buf_drain(msg, msg->len);
	err[0] = '\0';
	if (o->raw_data_file)
		return send_read_file(o->raw_data_file, msg, err, errlen);
	if (o->data_file) {
		/* the file is the message; --header and --subject edit its headers */
		if (send_read_file(o->data_file, msg, err, errlen) == -1)
			return -1;
		for (i = 0; i < o->nheaders; i++)
			mime_set_header(msg, o->headers[i]);
		if (o->subject) {
			buf_init(&body, 4096);
			mime_subject(&body, o->subject);
			buf_append(&body, "", 1);
			mime_set_header(msg, (const char *)buf_ptr(&body));
			buf_free(&body);
		}
		return 0;
	}
	memset(&m, 0, sizeof(m));
	buf_init(&body, 256 * 1024 * 1024);
	if (o->body && o->body[0] == '@') {
		if (send_read_file(o->body + 1, &body, err, errlen) == -1)
			goto bad;
	} else if (o->body && strcmp(o->body, "-") == 0) {
		if (send_read_file("-", &body, err, errlen) == -1)
			goto bad;
	} else if (!o->size)
		buf_printf(&body, "%s\n", o->body ? o->body : "This is a test message sent by "
		    "smtpdbg.");
	for (i = 0; i < o->nattach; i++) {
		buf_init(&files[i], 256 * 1024 * 1024);
		if (send_read_file(o->attach[i], &files[i], err, errlen) == -1) {
			while (i-- > 0)
				buf_free(&files[i]);
			goto bad;
		}
		parts[i].filename = o->attach_name[i] ? o->attach_name[i] :
		    strcmp(o->attach[i], "-") == 0 ? "attachment.bin" : o->attach[i];
		parts[i].type = o->attach_type[i];
		parts[i].data = buf_ptr(&files[i]);
		parts[i].len = files[i].len;
	}
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	gettimeofday(&tv, NULL);
	tls_sasl_crypto()->random(r, sizeof(r));
	if (gethostname(host, sizeof(host)) == -1 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (s->r->load)	/* each message writes its number over the zeros */
		snprintf(msgid, sizeof(msgid), "<%lld.0000000000.%02x%02x%02x%02x%02x%02x@%s>",
		    (long long)tv.tv_sec, r[0], r[1], r[2], r[3], r[4], r[5], host);
	else
		snprintf(msgid, sizeof(msgid), "<%lld.%06ld.%02x%02x%02x%02x%02x%02x@%s>",
		    (long long)tv.tv_sec, (long)tv.tv_usec, r[0], r[1], r[2], r[3], r[4], r[5],
		    host);
	snprintf(boundary, sizeof(boundary), "=_smtpdbg_%02x%02x%02x%02x%02x%02x%02x%02x",
	    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
	m.from = o->from_hdr ? o->from_hdr : o->from;
	m.to = o->to_hdr;
	m.nto = o->nto;
	m.cc = o->cc_hdr;
	m.ncc = o->ncc;
	m.subject = o->subject ? o->subject : "smtpdbg test";
	m.headers = o->headers;
	m.nheaders = o->nheaders;
	m.body = buf_ptr(&body);
	m.bodylen = body.len;
	m.parts = parts;
	m.nparts = o->nattach;
	m.date = date;
	m.msgid = msgid;
	m.boundary = boundary;
	if (o->size) {
		/* --size: the headers first, then text to make up the rest */
		mime_build(&m, msg);
		if (msg->len < o->size)
			filler(&body, o->size - msg->len);
		buf_drain(msg, msg->len);
		m.body = buf_ptr(&body);
		m.bodylen = body.len;
	}
	mime_build(&m, msg);
	if (o->nattach && !o->data_lines_set && s->o->ro->ccfg.text) {
		/* the attachments' base64 is not shown line by line: a summary */
		size_t from = mime_body_line(msg, boundary);
		for (i = 0; i < o->nattach; i++)
			client_note(s->cl, '*', "attachment %zu: %s, %s, %zu bytes as base64%s", i + 1,
			    parts[i].filename, parts[i].type ? parts[i].type :
			    mime_type(parts[i].filename), parts[i].len, i == 0 && from ?
			    "; its lines are not shown from here (--data-lines N shows N lines)" :
			    "");
		s->o->ro->ccfg.data_lines = from ? (int)from : -1;
	}
	for (i = 0; i < o->nattach; i++)
		buf_free(&files[i]);
	buf_free(&body);
	return 0;
bad:
	buf_free(&body);
	return -1;
}

/* orcpt - " ORCPT=rfc822;ADDR" with ADDR as xtext (RFC 3461 4.2) */
static void
orcpt(struct buf *l, const char *addr)
{
	char	 x[1600];

	addr_xtext(addr, x, sizeof(x));
	buf_printf(l, " ORCPT=rfc822;%s", x);
}

/* transaction - plan MAIL, RCPT..., DATA (or BDAT chunks) and start */
static void
transaction(struct send *s)
{
	struct send_opts *o = s->o;
	struct buf	 l;
	char		 err[512];
	size_t		 i, k;
	const char	*const *lists[3] = { o->to, o->cc, o->bcc };
	size_t		 ns[3] = { o->nto, o->ncc, o->nbcc };
	int		 stop_early = o->quit_after == SEND_MAIL || o->drop_after == SEND_MAIL ||
			    o->quit_after == SEND_RCPT || o->drop_after == SEND_RCPT;

	plan_free(s);
	s->mail_ok = 0;
	s->rcpt_ok = s->rcpt_bad = 0;
	s->tx_failed = 0;
	if (s->r->load) {
		/* the message built once; its own number in the Message-ID */
		s->m = &s->r->msg;
		if (!o->ping) {
			memset(&s->ui, 0, sizeof(s->ui));
			s->unit_t0 = loop_now();
		}
	} else if (build(s, &s->msg, err, sizeof(err)) == -1) {
		fail(s, LP_MAIL, 0, EXIT_LOCAL, "%s", err);
		quit(s);
		return;
	}
	s->pipelining = o->pipeline != 0 && !stop_early &&
	    (o->pipeline == 1 ? use(s, "PIPELINING", FORCE_PIPELINING) : offered(s, "PIPELINING"));
	s->chunking = o->bdat && !o->raw_data_file && use(s, "CHUNKING", FORCE_CHUNKING);
	if (o->bdat && !s->chunking)
		client_note(s->cl, '!', "CHUNKING not offered: sending with DATA");
	buf_init(&l, 4096);
	buf_printf(&l, "MAIL FROM:<%s>", o->from);
	if (offered(s, "SIZE") || (o->force & FORCE_SIZE))
		buf_printf(&l, " SIZE=%zu", s->m->len);
	if (has8((const char *)buf_ptr(s->m), s->m->len)) {
		if (use(s, "8BITMIME", FORCE_8BITMIME))
			buf_printf(&l, " BODY=8BITMIME");
		else
			client_note(s->cl, '!', "the message has 8-bit data but the server does not "
			    "offer 8BITMIME (RFC 6152): sent anyway");
	}
	if (addr8(o)) {
		if (!use(s, "SMTPUTF8", FORCE_SMTPUTF8)) {
			buf_free(&l);
			fail(s, LP_MAIL, 0, EXIT_MAIL, "UTF-8 addresses, but the server does not offer "
			    "SMTPUTF8 (RFC 6531; --force-ext SMTPUTF8 to try anyway)");
			quit(s);
			return;
		}
		buf_printf(&l, " SMTPUTF8");
	}
	if (o->ret || o->envid) {
		if (use(s, "DSN", FORCE_DSN)) {
			if (o->ret)
				buf_printf(&l, " RET=%s", o->ret);
			if (o->envid) {
				char x[400];
				addr_xtext(o->envid, x, sizeof(x));	/* RFC 3461 4.4 */
				buf_printf(&l, " ENVID=%s", x);
			}
		} else
			client_note(s->cl, '!', "DSN is not offered: RET/ENVID not sent");
	}
	if (o->requiretls) {
		if (!client_tls(s->cl) || !use(s, "REQUIRETLS", FORCE_REQUIRETLS)) {
			buf_free(&l);
			fail(s, LP_MAIL, 0, EXIT_MAIL, "REQUIRETLS (RFC 8689) needs TLS and a server "
			    "that offers it");
			quit(s);
			return;
		}
		buf_printf(&l, " REQUIRETLS");
	}
	buf_append(&l, "", 1);
	plan_add(s, I_MAIL, buf_strdup(&l), 0, 0, 0);
	for (k = 0; k < 3; k++)
		for (i = 0; i < ns[k]; i++) {
			buf_drain(&l, l.len);
			buf_printf(&l, "RCPT TO:<%s>", lists[k][i]);
			if ((o->notify || o->orcpt) && (offered(s, "DSN") || (o->force & FORCE_DSN))) {
				if (o->notify)
					buf_printf(&l, " NOTIFY=%s", o->notify);
				if (o->orcpt)
					orcpt(&l, lists[k][i]);
			}
			buf_append(&l, "", 1);
			plan_add(s, I_RCPT, buf_strdup(&l), 0, 0, 0);
		}
	if ((o->notify || o->orcpt) && !offered(s, "DSN") && !(o->force & FORCE_DSN))
		client_note(s->cl, '!', "DSN is not offered: NOTIFY/ORCPT not sent");
	buf_free(&l);
	if (!stop_early) {
		if (s->chunking) {
			size_t off = 0, c = o->chunk ? o->chunk : 65536;
			do {
				size_t n = s->m->len - off > c ? c : s->m->len - off;
				plan_add(s, off + n >= s->m->len ? I_DOT : I_BDAT, NULL, off, n,
				    off + n >= s->m->len);
				off += n;
			} while (off < s->m->len);
		} else
			plan_add(s, I_DATA, xstrdup("DATA"), 0, 0, 0);
	}
	send_more(s);
}

/* send_more - send what the plan allows now; after a refusal (with
 * many sessions) nothing more of the transaction, and when every reply
 * is in, on to the next message */
static void
send_more(struct send *s)
{
	char		 err[512];
	struct plan	*p;

	while (!s->tx_failed && s->sent < s->nplan && (s->pipelining || s->sent == s->answered)) {
		p = &s->plan[s->sent];
		if (p->kind == I_BDAT || p->kind == I_DOT) {
			if (p->off == 0 && s->r->id_at)	/* this message's number */
				id_number(&s->r->msg, s->r->id_at, s->unit);
			if (client_bdat(s->cl, buf_ptr(s->m) + p->off, p->len, p->last, err,
			    sizeof(err)) == -1) {
				fail(s, LP_DATA, 0, EXIT_LOCAL, "BDAT: %s", err);
				finish(s);
				return;
			}
		} else if (client_command(s->cl, p->line, err, sizeof(err)) == -1) {
			fail(s, p->kind == I_RCPT ? LP_RCPT : p->kind == I_DATA ? LP_DATA : LP_MAIL, 0,
			    EXIT_USAGE, "%s", err);
			quit(s);
			return;
		}
		s->sent++;
		if (p->kind == I_DATA)
			break;	/* nothing may follow DATA before its 354 */
	}
	if (s->tx_failed && s->answered == s->sent)
		next_unit(s);
}

/* id_number - write n (10 digits) at the Message-ID's number */
static void
id_number(struct buf *b, size_t at, unsigned long n)
{
	char	 d[16];

	snprintf(d, sizeof(d), "%010lu", n % 10000000000UL);
	memcpy(b->data + b->off + at, d, 10);
}

/* message_fd - the message (with its number) as a file to stream */
static int
message_fd(struct send *s)
{
	int	 fd;

	if (s->r->id_at)	/* this message's number */
		id_number(&s->r->msg, s->r->id_at, s->unit);
	if ((fd = memfd_create("smtpdbg-message", MFD_CLOEXEC)) == -1)
		return -1;
	if (write(fd, buf_ptr(s->m), s->m->len) != (ssize_t)s->m->len ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* message - after 354: the message, or only "." when nobody takes it */
static void
message(struct send *s)
{
	struct run	*r = s->r;
	char		 err[512];
	int		 fd;

	plan_add(s, I_DOT, NULL, 0, 0, 1);
	s->sent++;	/* its reply is the next one expected */
	if (s->rcpt_ok == 0 || !s->mail_ok || s->tx_failed || s->o->quit_after == SEND_DATA) {
		/* RFC 2920 3.1: a 354 after failures still needs the end of data */
		client_data_line(s->cl, ".", 1, err, sizeof(err));
		return;
	}
	if (s->o->raw_data_file || r->wire.len) {
		/* --raw-data; or (many sessions) the message stuffed once */
		const struct buf *b = s->o->raw_data_file ? s->m : &r->wire;
		if (s->o->raw_data_file)
			client_note(s->cl, '!', "--raw-data: %zu bytes sent exactly as in the file: "
			    "no dot-stuffing, no line-end fixes; the file must end the data itself",
			    b->len);
		else if (r->wid_at)
			id_number(&r->wire, r->wid_at, s->unit);
		if (client_raw(s->cl, buf_ptr(b), b->len, err, sizeof(err)) == -1 ||
		    client_data_sent(s->cl, err, sizeof(err)) == -1) {
			fail(s, LP_DATA, 0, EXIT_LOCAL, "%s%s", s->o->raw_data_file ? "--raw-data: " :
			    "", err);
			finish(s);
		}
		return;
	}
	if ((fd = message_fd(s)) == -1) {
		fail(s, LP_DATA, 0, EXIT_LOCAL, "message buffer: %s", strerror(errno));
		finish(s);
		return;
	}
	if (client_data_fd(s->cl, fd, err, sizeof(err)) == -1) {
		fail(s, LP_DATA, 0, EXIT_LOCAL, "%s", err);
		finish(s);
	}
}

/* txn_reply - a reply to the plan's next line */
static void
txn_reply(struct send *s, int code)
{
	struct plan	*p;
	int		 load = s->r->load;

	if (s->answered >= s->nplan) {
		fail(s, LP_MAIL, code, EXIT_PROTOCOL, "a reply nobody asked for: %d", code);
		quit(s);
		return;
	}
	p = &s->plan[s->answered++];
	switch (p->kind) {
	case I_MAIL:
		if (code / 100 == 2) {
			s->mail_ok = 1;
			if (stage_done(s, SEND_MAIL))
				return;
		} else {
			fail(s, LP_MAIL, code, TEMP(code, EXIT_MAIL), "MAIL refused: %d %s", code,
			    client_last_line(s->cl));
			s->tx_failed = load;
			if (!s->pipelining && !load) {
				quit(s);
				return;
			}
		}
		break;
	case I_RCPT:
		if (code / 100 == 2)
			s->rcpt_ok++;
		else {
			s->rcpt_bad++;
			client_note(s->cl, '!', "recipient refused: %s", p->line + 8);
			note_error(s, LP_RCPT, code, TEMP(code, EXIT_RCPT), "RCPT refused: %d %s", code,
			    client_last_line(s->cl));
		}
		if (s->answered < s->nplan && s->plan[s->answered].kind == I_RCPT)
			break;
		/* the last recipient */
		if (s->rcpt_ok == 0 && load) {
			unit_fail(s, LP_RCPT, code, "every recipient refused");
			s->tx_failed = 1;
			break;
		}
		if (s->rcpt_ok == 0 && !s->pipelining) {
			quit(s);
			return;
		}
		if (s->rcpt_ok && s->mail_ok && stage_done(s, SEND_RCPT))
			return;
		break;
	case I_DATA:
		if (code == 354) {
			if (s->o->drop_after == SEND_DATA) {
				stage_done(s, SEND_DATA);
				return;
			}
			message(s);
			return;
		}
		fail(s, LP_DATA, code, TEMP(code, EXIT_DATA), "DATA refused: %d %s", code,
		    client_last_line(s->cl));
		if (load) {
			s->tx_failed = 1;
			break;
		}
		quit(s);
		return;
	case I_BDAT:
		if (code / 100 != 2) {
			fail(s, LP_DATA, code, TEMP(code, EXIT_DATA), "BDAT refused: %d %s", code,
			    client_last_line(s->cl));
			s->tx_failed = load;
		}
		break;
	case I_DOT:
		if (client_answers_part(s->cl) > 0) {
			/* LMTP: one reply per accepted recipient, each for one */
			const char *who = client_answers_text(s->cl);
			who += strncmp(who, ". for ", 6) == 0 ? 6 : 0;
			s->lmtp_seen++;
			if (code / 100 == 2)
				s->lmtp_ok++;
			else {
				client_note(s->cl, '!', "the message was refused for %s", who);
				note_error(s, LP_DOT, code, TEMP(code, EXIT_MESSAGE), "message refused "
				    "for %s: %d %s", who, code, client_last_line(s->cl));
			}
			if (s->lmtp_seen < s->rcpt_ok) {
				s->answered--;	/* more replies to this "." */
				return;
			}
			if (s->lmtp_ok)
				code = 250;	/* delivered to some: counted as accepted */
			s->lmtp_seen = s->lmtp_ok = 0;
		}
		if (code / 100 == 2 && s->mail_ok && s->rcpt_ok && !s->tx_failed &&
		    (load || (s->code != EXIT_DATA && s->code != EXIT_DATA_TEMP))) {
			s->done++;
			if (s->code == 0)
				snprintf(s->outcome, sizeof(s->outcome), "%d %s", code,
				    client_last_line(s->cl));
			if (load) {
				s->ui.text = client_last_line(s->cl);
				if (!s->o->ping)
					unit_end(s, 1);
			}
			if (s->o->quit_after == SEND_DATA) {
				quit(s);
				return;
			}
			if (stage_done(s, SEND_DOT))
				return;
		} else if (code / 100 != 2)
			fail(s, LP_DOT, code, TEMP(code, EXIT_MESSAGE), "message refused: %d %s", code,
			    client_last_line(s->cl));
		if (load) {
			next_unit(s);
			return;
		}
		if (s->code == 0 && s->done < s->o->count) {
			transaction(s);
			return;
		}
		quit(s);
		return;
	}
	send_more(s);
}

/* on_stage - the opening passed a stage: --quit-after, --drop-after */
static int
on_stage(void *arg, enum open_stage st)
{
	struct send	*s = arg;
	static const int map[] = {
		[OPEN_ST_CONNECT] = SEND_CONNECT, [OPEN_ST_EHLO] = SEND_EHLO,
		[OPEN_ST_TLS] = SEND_TLS, [OPEN_ST_AUTH] = SEND_AUTH,
	};

	return stage_done(s, map[st]);
}

/* target_name - TLS sends and checks the MX host's name, not the address */
static void
target_name(struct send *s)
{
	if (s->r->names && s->r->names[s->ti] && s->r->user_sni == NULL)
		s->cc->sni = s->r->names[s->ti];
}

/* close_failed - a failure: QUIT when the server can still hear it */
static void
close_failed(struct send *s)
{
	if (opening_may_quit(s->op) && s->phase != P_QUIT)
		quit(s);
	else
		finish(s);
}

/* verb_phase - the phase a reply to this command belongs to */
static int
verb_phase(enum smtp_verb v)
{
	switch (v) {
	case SMTP_V_GREETING: return LP_GREETING;
	case SMTP_V_EHLO: case SMTP_V_HELO: case SMTP_V_LHLO: return LP_EHLO;
	case SMTP_V_STARTTLS: return LP_TLS;
	case SMTP_V_AUTH: return LP_AUTH;
	case SMTP_V_MAIL: case SMTP_V_RSET: return LP_MAIL;
	case SMTP_V_RCPT: return LP_RCPT;
	case SMTP_V_DATA: case SMTP_V_BDAT: return LP_DATA;
	case SMTP_V_DOT: return LP_DOT;
	case SMTP_V_QUIT: return LP_QUIT;
	default: return -1;
	}
}

/* open_phase - where the opening failed */
static enum load_phase
open_phase(struct send *s)
{
	switch (opening_failure(s->op)) {
	case OF_CONNECT: return LP_CONNECT;
	case OF_GREETING: case OF_NO_GREETING: return LP_GREETING;
	case OF_EHLO: case OF_EHLO_TLS: return LP_EHLO;
	case OF_NO_STARTTLS: case OF_STARTTLS: case OF_HANDSHAKE: case OF_VERIFY:
	case OF_PLAINTEXT: return LP_TLS;
	case OF_NO_SECRET: case OF_AUTH: return LP_AUTH;
	default: return s->exp;
	}
}

static void
sample(struct send *s, enum load_phase ph, uint64_t us)
{
	load_sample(&s->r->st, ph, us);
	s->ui.us[ph] += us;
	s->ui.have |= 1u << ph;
}

/* observe - many sessions: each phase's time, from the client's events */
static void
observe(struct send *s, enum client_ev ev)
{
	uint64_t	 now = loop_now(), sent;
	int		 ph;

	switch (ev) {
	case CLIENT_CONNECTED:
		sample(s, LP_CONNECT, now - s->t_conn);
		s->exp = s->cc->tls_mode == CLIENT_TLS_IMPLICIT ? LP_TLS : LP_GREETING;
		return;
	case CLIENT_TLS_UP:
		sample(s, LP_TLS, now - (s->t_tls ? s->t_tls : client_tls_started(s->cl)));
		s->t_tls = 0;
		return;
	case CLIENT_REPLY:
		break;
	default:
		return;
	}
	sent = client_answers_sent(s->cl);
	if ((ph = verb_phase(client_answers(s->cl))) < 0 || sent == 0 || sent > now)
		return;
	if (ph == LP_TLS) {
		/* STARTTLS and its handshake are one phase, timed at the end */
		s->t_tls = sent;
		s->exp = LP_TLS;
		return;
	}
	if (ph == LP_AUTH) {
		/* the whole exchange, challenges included */
		if (s->t_auth == 0)
			s->t_auth = sent;
		if (client_last_code(s->cl) == 334)
			return;
		sent = s->t_auth;
		s->t_auth = 0;
	}
	if (client_answers(s->cl) == SMTP_V_RSET)
		return;
	sample(s, (enum load_phase)ph, now - sent);
}

/* track - remember the phase under way, for a failure without a reply */
static void
track(struct send *s)
{
	int	 ph = verb_phase(client_awaiting(s->cl));

	if (ph >= 0)
		s->exp = (enum load_phase)ph;
}

static void
on_event_1(struct send *s, enum client_ev ev, int code)
{
	char		 err[512];

	switch (opening_event(s->op, ev, code)) {
	case OPEN_READY:
		s->phase = P_TXN;
		if (s->r->load && s->o->ping && rcpts(s->o) == 0) {
			quit(s);	/* ping without a recipient: the opening only */
			return;
		}
		transaction(s);
		return;
	case OPEN_FAILED:
		if (opening_failure(s->op) == OF_CONNECT && s->ti + 1 < s->r->ntargets) {
			s->ti++;
			client_note(s->cl, '!', "trying the next mail server: %s", s->r->targets[s->ti]);
			target_name(s);
			s->t_conn = loop_now();
			if (client_connect(s->cl, s->r->targets[s->ti], err, sizeof(err)) == 0)
				return;
		}
		{
			int rc = client_last_code(s->cl);
			fail(s, open_phase(s), opening_failure(s->op) == OF_CONNECT || rc < 400 ? 0 : rc,
			    opening_exit(s->op), "%s", opening_why(s->op));
		}
		close_failed(s);
		return;
	case OPEN_TAKEN:
	case OPEN_STOPPED:
		return;
	case OPEN_PASS:
		break;
	}
	switch (ev) {
	case CLIENT_CLOSED:
	case CLIENT_TIMEOUT:
	case CLIENT_VIOLATION:
	case CLIENT_LOCAL_ERROR: {
		char why[600];
		int c = opening_ev_failure(s->cl, ev, why, sizeof(why));
		if (ev == CLIENT_VIOLATION && s->o->ro->keep_going)
			return;
		if (s->r->stopping && ev == CLIENT_CLOSED)
			s->unit = 0;	/* interrupted: neither done nor failed */
		else if (!(ev == CLIENT_CLOSED && s->phase == P_QUIT))
			fail(s, s->phase == P_QUIT ? LP_QUIT : s->exp, 0, c, "%s", why);
		finish(s);
		return;
	}
	case CLIENT_REPLY:
		break;
	default:
		return;
	}
	switch (s->phase) {
	case P_TXN:
		txn_reply(s, code);
		return;
	case P_RSET:
		s->phase = P_TXN;
		if (code / 100 != 2) {
			note_error(s, LP_MAIL, code, TEMP(code, EXIT_MAIL), "RSET refused: %d %s", code,
			    client_last_line(s->cl));
			quit(s);
			return;
		}
		next_unit(s);
		return;
	case P_QUIT:
		if (client_waiting(s->cl) == 0)
			finish(s);
		return;
	case P_OPENING:
	case P_DONE:
		return;
	}
}

static void
on_event(void *arg, enum client_ev ev, int code)
{
	struct send	*s = arg;

	if (s->phase == P_DONE)
		return;
	if (s->r->load)
		observe(s, ev);
	on_event_1(s, ev, code);
	if (s->r->load && s->phase != P_DONE)
		track(s);
}

/* session_new - a session with its client and opening */
static struct send *
session_new(struct run *r, struct client_cfg *cc)
{
	struct send	*s = xcalloc(1, sizeof(*s));
	struct send_opts *o = r->o;
	struct client_hooks h = { on_event, s };
	struct opening_cfg oc;

	s->r = r;
	s->o = o;
	s->cc = cc;
	s->m = &s->msg;
	buf_init(&s->msg, 512 * 1024 * 1024);
	s->cl = client_new(cc, &h);
	memset(&oc, 0, sizeof(oc));
	oc.helo = o->ro->ccfg.helo;
	oc.greet = 1;
	oc.lmtp = o->ro->ccfg.lmtp;
	oc.starttls = o->ro->tls_required ? OPEN_TLS_REQUIRED : o->ro->starttls ? OPEN_TLS_TRY :
	    OPEN_TLS_OFF;
	oc.force_starttls = (o->force & FORCE_STARTTLS) != 0;
	oc.no_verify = o->ro->no_verify;
	oc.auth = &o->ro->auth;
	oc.auth_plaintext_ok = o->ro->auth_plaintext_ok;
	oc.ask_secret = isatty(STDIN_FILENO) && !r->load;
	oc.stage = on_stage;
	oc.arg = s;
	s->op = opening_new(s->cl, &oc);
	return s;
}

static void
session_free(struct send *s)
{
	loop_del_timer(s->wait);
	opening_free(s->op);
	plan_free(s);
	client_free(s->cl);
	buf_free(&s->msg);
	free(s);
}

/* units_left - more units may be handed out */
static int
units_left(const struct run *r)
{
	return !r->stopping && (r->o->count == 0 || r->claimed < r->o->count);
}

/* claim - the next unit for s: 1 go now, 0 none (left, or on this
 * connection), -1 later (a timer resumes s at its start time) */
static void	 resume(void *);

static int
claim(struct send *s)
{
	struct run	*r = s->r;
	struct send_opts *o = r->o;
	uint64_t	 at = 0, now = loop_now();

	if (!units_left(r) || (o->per_conn && s->on_conn >= o->per_conn))
		return 0;
	s->unit = ++r->claimed;
	s->on_conn++;
	s->unit_failed = 0;
	memset(&s->ui, 0, sizeof(s->ui));
	if (o->rate > 0)
		at = r->st.t0 + (uint64_t)((double)(s->unit - 1) * 1e6 / o->rate);
	else if (o->ping)
		at = r->st.t0 + (s->unit - 1) * o->interval_us;
	if (at > now) {
		s->wait = loop_timer_at(at, resume, s);
		return -1;
	}
	return 1;
}

/* start - connect the session for its first unit */
static void
start(struct send *s)
{
	char	 err[512];

	s->t_conn = s->unit_t0 = loop_now();
	s->exp = LP_CONNECT;
	s->r->st.sessions++;
	target_name(s);
	if (client_connect(s->cl, s->r->targets[0], err, sizeof(err)) == -1) {
		fail(s, LP_CONNECT, 0, EXIT_CONNECT, "%s", err);
		finish(s);
	}
}

static void
resume(void *arg)
{
	struct send	*s = arg;

	s->wait = NULL;
	if (s->phase == P_OPENING && !client_is_connected(s->cl) && !client_is_connecting(s->cl))
		start(s);
	else
		transaction(s);
}

/* next_unit - a transaction is over: RSET when it is still open, then the
 * next message on this connection, or QUIT */
static void
next_unit(struct send *s)
{
	enum smtp_client_state st = client_state(s->cl);
	char	 err[256];

	if (st == SMTP_C_MAIL || st == SMTP_C_RCPT) {
		s->phase = P_RSET;
		if (client_command(s->cl, "RSET", err, sizeof(err)) == -1)
			finish(s);
		return;
	}
	if (s->o->ping) {
		quit(s);
		return;
	}
	switch (claim(s)) {
	case 1:
		transaction(s);
		return;
	case 0:
		quit(s);
		return;
	default:
		return;
	}
}

static void	 spawn(void *);

/* session_end - a session is over: its ping counted, its place given to
 * a new one (after this turn: the client is still on the stack) */
static void
session_end(struct send *s)
{
	struct run	*r = s->r;

	if (s->unit && (r->o->ping || s->stopped))
		unit_end(s, 1);	/* a failure before counts: unit_fail said so */
	else if (s->unit)
		unit_fail(s, s->exp, 0, s->outcome[0] ? s->outcome : "the session ended");
	if (s->prev)
		s->prev->next = s->next;
	else
		r->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	r->active--;
	s->next = r->dead;
	r->dead = s;
	if (r->spawn_t == NULL)
		r->spawn_t = loop_add_timer(0, spawn, r);
}

/* spawn - free what ended; start sessions while units are left */
static void
spawn(void *arg)
{
	struct run	*r = arg;
	struct send	*s;

	r->spawn_t = NULL;
	while ((s = r->dead) != NULL) {
		r->dead = s->next;
		session_free(s);
	}
	while (units_left(r) && r->active < r->o->sessions) {
		s = session_new(r, &r->ccfg);
		s->id = ++r->nsess;
		s->next = r->head;
		if (r->head)
			r->head->prev = s;
		r->head = s;
		r->active++;
		switch (claim(s)) {
		case 1:
			start(s);
			break;
		case 0:
			s->unit = 0;
			finish(s);
			return;
		default:
			break;	/* resume() connects at the start time */
		}
	}
	if (r->active == 0 && r->dead == NULL)
		loop_quit(r->code);
}

/* on_signal - Ctrl-C (or TERM): stop at once, report what was done */
static void
on_signal(int signo, void *arg)
{
	struct run	*r = arg;
	struct send	*s, *n;

	(void)signo;
	if (r->stopping)
		return;
	r->stopping = 1;
	for (s = r->head; s; s = n) {
		n = s->next;
		s->unit = 0;
		finish(s);
	}
	if (r->spawn_t == NULL)
		r->spawn_t = loop_add_timer(0, spawn, r);
}

/* prepare - many sessions: the message built once; its Message-ID has a
 * number each message gets its own of; a small one is also dot-stuffed
 * once (a big one is streamed like a single message's) */
static int
prepare(struct run *r, char *err, size_t errlen)
{
	struct send	*s = session_new(r, &r->ccfg);
	struct dot_enc	 enc;
	const char	*id;
	int		 rc;

	rc = build(s, &r->msg, err, errlen);
	session_free(s);
	if (rc == -1)
		return -1;
	if (r->o->raw_data_file)
		return 0;
	if ((id = memmem(buf_ptr(&r->msg), r->msg.len, ".0000000000.", 12)) != NULL)
		r->id_at = (size_t)(id + 1 - (const char *)buf_ptr(&r->msg));
	if (r->msg.len <= 256 * 1024) {
		buf_init(&r->wire, 2 * r->msg.len + 8);
		dot_enc_init(&enc, 0);
		if (dot_enc_feed(&enc, &r->wire, buf_ptr(&r->msg), r->msg.len) == -1 ||
		    dot_enc_finish(&enc, &r->wire) == -1)
			fatalx("%s: buffer space", __func__);
		if (r->id_at && (id = memmem(buf_ptr(&r->wire), r->wire.len, ".0000000000.",
		    12)) != NULL)
			r->wid_at = (size_t)(id + 1 - (const char *)buf_ptr(&r->wire));
	}
	return 0;
}

/* run_many - send --sessions, ping: many units, the statistics at the end */
static int
run_many(struct run *r)
{
	struct send_opts *o = r->o;
	char		 err[512], *secret = NULL;
	int		 progress = !o->ro->quiet && !o->ping && isatty(STDERR_FILENO);

	r->load = 1;
	r->ccfg = o->ro->ccfg;
	r->ccfg.text = 0;
	r->ccfg.json = NULL;
	r->ccfg.report = 0;
	r->ccfg.no_save = 1;
	buf_init(&r->msg, 512 * 1024 * 1024);
	if (o->sessions == 0)
		o->sessions = 1;
	{
		/* a descriptor per session: raise the limit, or run fewer */
		char	 info[200] = "";
		int	 fit = listen_fd_limit((int)o->sessions, 1, info, sizeof(info));
		if (fit < (int)o->sessions) {
			fprintf(stderr, "smtpdbg: %s: %s\n", o->ping ? "ping" : "send", info);
			o->sessions = (unsigned)(fit > 0 ? fit : 1);
		}
	}
	if ((o->ro->starttls || r->ccfg.tls_mode == CLIENT_TLS_IMPLICIT ||
	    strncmp(r->targets[0], "smtps://", 8) == 0) &&
	    (r->ccfg.shared_ctx = tls_ctx_client(&r->ccfg.tcfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "smtpdbg: %s: TLS set-up failed: %s\n", o->ping ? "ping" : "send",
		    err);
		return EXIT_TLS;
	}
	if (o->ro->auth.user && o->ro->auth.secret == NULL && isatty(STDIN_FILENO)) {
		/* asked once, for every session */
		snprintf(err, sizeof(err), "secret for %s (not shown): ", o->ro->auth.user);
		o->ro->auth.secret = secret = auth_read_secret(err);
	}
	if (rcpts(o) && prepare(r, err, sizeof(err)) == -1) {
		fprintf(stderr, "smtpdbg: %s: %s\n", o->ping ? "ping" : "send", err);
		return EXIT_LOCAL;
	}
	load_init(&r->st, r->targets[0], o->count, o->ping, o->ro->ccfg.json, progress);
	if (o->ping && !o->ro->quiet && !o->ro->ccfg.json) {
		/* what each session does, as far as the options say */
		int tls = o->ro->starttls || r->ccfg.tls_mode == CLIENT_TLS_IMPLICIT ||
		    strncmp(r->targets[0], "smtps://", 8) == 0;
		if (o->quit_after >= 0)
			out_printf("SMTPDBG PING %s: a session up to %s (--quit-after) every %.3g s\n",
			    r->targets[0], stage_names[o->quit_after], (double)o->interval_us / 1e6);
		else
			out_printf("SMTPDBG PING %s: greeting, EHLO%s%s%s every %.3g s\n",
			    r->targets[0], tls ? ", TLS" : "", o->ro->auth.user ? ", AUTH" : "",
			    rcpts(o) ? ", a message" : "", (double)o->interval_us / 1e6);
	}
	loop_signal(SIGINT, on_signal, r);
	loop_signal(SIGTERM, on_signal, r);
	spawn(r);
	loop_run();
	load_stop(&r->st);
	if (o->ro->ccfg.json)
		load_json(&r->st);
	else if (o->ping)
		load_ping_summary(&r->st, out_file());
	else if (!o->ro->quiet)
		load_table(&r->st, out_file());
	if (o->ro->quiet || (o->ro->ccfg.json && r->code))
		fprintf(r->code ? stderr : out_file(), "smtpdbg: %s: %lu of %lu %s\n",
		    o->ping ? "ping" : "send", r->st.ok, r->st.done, o->ping ? "sessions succeeded" :
		    "messages accepted");
	if (r->code && !o->ro->ccfg.json)
		fprintf(stderr, "smtpdbg: %s: first failure: %s\n", o->ping ? "ping" : "send",
		    r->outcome);
	tls_ctx_free(r->ccfg.shared_ctx);
	if (secret) {
		volatile char *v = secret;
		while (*v)
			*v++ = '\0';
		free(secret);
		o->ro->auth.secret = NULL;
	}
	buf_free(&r->msg);
	buf_free(&r->wire);
	if (r->code == 0 && r->stopping && !o->ping && r->st.done < o->count)
		return EXIT_INTERRUPTED;	/* not all were sent */
	return r->code;
}

int
send_run(struct send_opts *o, const char *const *targets, const char *const *names,
    size_t ntargets)
{
	struct run	 r;
	struct send	*s;
	char		 err[512];
	int		 code;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.targets = targets;
	r.names = names;
	r.user_sni = o->ro->ccfg.sni;
	r.ntargets = ntargets;
	if (o->pipeline == 1)
		o->force |= FORCE_PIPELINING;
	if (o->sessions || o->ping || o->per_conn || o->rate > 0)
		return run_many(&r);
	if (o->count == 0)
		o->count = 1;
	s = session_new(&r, &o->ro->ccfg);
	target_name(s);
	if (client_connect(s->cl, targets[0], err, sizeof(err)) == -1) {
		fprintf(stderr, "smtpdbg: send: %s\n", err);
		session_free(s);
		return EXIT_CONNECT;
	}
	code = loop_run();
	if (s->code == 0 && !s->outcome[0])
		snprintf(s->outcome, sizeof(s->outcome), "nothing was sent");
	if (o->ro->quiet || s->code)
		fprintf(s->code ? stderr : out_file(), "%s%s\n", s->code ? "smtpdbg: send: " : "",
		    s->outcome);
	else if (o->count > 1)
		out_printf("smtpdbg: %lu of %lu messages accepted\n", s->done, o->count);
	if (o->ro->ccfg.json) {
		struct buf j;
		buf_init(&j, 4096);
		buf_printf(&j, ",\"exit\":%d,\"accepted\":%lu,\"text\":\"", s->code, s->done);
		esc_json(&j, s->outcome, strlen(s->outcome));
		buf_append(&j, "\"", 2);
		client_event(s->cl, "outcome", (const char *)buf_ptr(&j));
		buf_free(&j);
	}
	code = s->code ? s->code : code;
	session_free(s);
	return code;
}
