/*
 * send - see send.h.  A plan of lines (MAIL, RCPT..., DATA or BDAT
 * chunks) is sent as one group when PIPELINING is in use, else one at a
 * time; replies are matched to the plan in order.  The first failure
 * decides the exit code; the session still ends with QUIT when it can.
 */
#include "config.h"

#include <errno.h>
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
#include "cli/loop.h"
#include "cli/opening.h"
#include "cli/out.h"
#include "cli/send.h"
#include "session/addr.h"
#include "session/caps.h"
#include "session/esc.h"
#include "session/mime.h"
#include "session/xalloc.h"
#include "tls/crypto.h"

static const char *const stage_names[SEND_STAGE_COUNT] = {
	"CONNECT", "EHLO", "TLS", "AUTH", "MAIL", "RCPT", "DATA", "DOT",
};

/* TEMP - a stage's exit code; 4xx ("try later") has its own, 10 higher */
#define TEMP(code, exit)	((code) / 100 == 4 ? (exit) + 10 : (exit))

enum phase { P_OPENING, P_TXN, P_QUIT, P_DONE };
enum item { I_MAIL, I_RCPT, I_DATA, I_BDAT, I_DOT };

struct plan {
	enum item	 kind;
	char		*line;		/* MAIL/RCPT/DATA line */
	size_t		 off, len;	/* BDAT: the chunk in msg */
	int		 last;
};

struct send {
	struct send_opts *o;
	struct client	*cl;
	struct opening	*op;		/* greeting, EHLO, STARTTLS, AUTH */
	const char	*const *targets;	/* tried in order until one connects */
	const char	*const *names;		/* their MX host names, or NULL */
	const char	*user_sni;		/* --sni: wins over an MX name */
	size_t		 ntargets, ti;
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

/* failed - the first failure decides the exit code */
static void
failed(struct send *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
failed(struct send *s, int code, const char *fmt, ...)
{
	va_list	 ap;

	if (s->code != 0)
		return;
	s->code = code;
	va_start(ap, fmt);
	vsnprintf(s->outcome, sizeof(s->outcome), fmt, ap);
	va_end(ap);
}

static void
finish(struct send *s)
{
	if (s->finished)
		return;
	s->finished = 1;
	s->phase = P_DONE;
	if (client_is_connected(s->cl))
		client_close(s->cl, NULL);
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

/* build - this transaction's message into s->msg */
static int
build(struct send *s, char *err, size_t errlen)
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

	buf_drain(&s->msg, s->msg.len);
	err[0] = '\0';
	if (o->raw_data_file)
		return send_read_file(o->raw_data_file, &s->msg, err, errlen);
	if (o->data_file) {
		/* the file is the message; --header and --subject edit its headers */
		if (send_read_file(o->data_file, &s->msg, err, errlen) == -1)
			return -1;
		for (i = 0; i < o->nheaders; i++)
			mime_set_header(&s->msg, o->headers[i]);
		if (o->subject) {
			buf_init(&body, 4096);
			mime_subject(&body, o->subject);
			buf_append(&body, "", 1);
			mime_set_header(&s->msg, (const char *)buf_ptr(&body));
			buf_free(&body);
		}
		return 0;
	}
	memset(&m, 0, sizeof(m));
	buf_init(&body, 256 * 1024 * 1024);
	if (o->body && o->body[0] == '@') {
		if (send_read_file(o->body + 1, &body, err, errlen) == -1)
			goto fail;
	} else if (o->body && strcmp(o->body, "-") == 0) {
		if (send_read_file("-", &body, err, errlen) == -1)
			goto fail;
	} else
		buf_printf(&body, "%s\n", o->body ? o->body : "This is a test message sent by "
		    "smtpdbg.");
	for (i = 0; i < o->nattach; i++) {
		buf_init(&files[i], 256 * 1024 * 1024);
		if (send_read_file(o->attach[i], &files[i], err, errlen) == -1) {
			while (i-- > 0)
				buf_free(&files[i]);
			goto fail;
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
	snprintf(msgid, sizeof(msgid), "<%lld.%06ld.%02x%02x%02x%02x%02x%02x@%s>",
	    (long long)tv.tv_sec, (long)tv.tv_usec, r[0], r[1], r[2], r[3], r[4], r[5], host);
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
	mime_build(&m, &s->msg);
	if (o->nattach && !o->data_lines_set && s->o->ro->ccfg.text) {
		/* the attachments' base64 is not shown line by line: a summary */
		size_t from = mime_body_line(&s->msg, boundary);
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
fail:
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
	if (build(s, err, sizeof(err)) == -1) {
		failed(s, EXIT_LOCAL, "%s", err);
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
		buf_printf(&l, " SIZE=%zu", s->msg.len);
	if (has8((const char *)buf_ptr(&s->msg), s->msg.len)) {
		if (use(s, "8BITMIME", FORCE_8BITMIME))
			buf_printf(&l, " BODY=8BITMIME");
		else
			client_note(s->cl, '!', "the message has 8-bit data but the server does not "
			    "offer 8BITMIME (RFC 6152): sent anyway");
	}
	if (addr8(o)) {
		if (!use(s, "SMTPUTF8", FORCE_SMTPUTF8)) {
			buf_free(&l);
			failed(s, EXIT_MAIL, "UTF-8 addresses, but the server does not offer "
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
			failed(s, EXIT_MAIL, "REQUIRETLS (RFC 8689) needs TLS and a server that "
			    "offers it");
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
				size_t n = s->msg.len - off > c ? c : s->msg.len - off;
				plan_add(s, off + n >= s->msg.len ? I_DOT : I_BDAT, NULL, off, n,
				    off + n >= s->msg.len);
				off += n;
			} while (off < s->msg.len);
		} else
			plan_add(s, I_DATA, xstrdup("DATA"), 0, 0, 0);
	}
	send_more(s);
}

/* send_more - send what the plan allows now */
static void
send_more(struct send *s)
{
	char		 err[512];
	struct plan	*p;

	while (s->sent < s->nplan && (s->pipelining || s->sent == s->answered)) {
		p = &s->plan[s->sent];
		if (p->kind == I_BDAT || p->kind == I_DOT) {
			if (client_bdat(s->cl, buf_ptr(&s->msg) + p->off, p->len, p->last, err,
			    sizeof(err)) == -1) {
				failed(s, EXIT_LOCAL, "BDAT: %s", err);
				finish(s);
				return;
			}
		} else if (client_command(s->cl, p->line, err, sizeof(err)) == -1) {
			failed(s, EXIT_USAGE, "%s", err);
			quit(s);
			return;
		}
		s->sent++;
		if (p->kind == I_DATA)
			break;	/* nothing may follow DATA before its 354 */
	}
}

/* message - after 354: the message, or only "." when nobody takes it */
static void
message(struct send *s)
{
	char	 err[512];
	int	 fd;

	plan_add(s, I_DOT, NULL, 0, 0, 1);
	s->sent++;	/* its reply is the next one expected */
	if (s->rcpt_ok == 0 || !s->mail_ok || s->o->quit_after == SEND_DATA) {
		/* RFC 2920 3.1: a 354 after failures still needs the end of data */
		client_data_line(s->cl, ".", 1, err, sizeof(err));
		return;
	}
	if (s->o->raw_data_file) {
		client_note(s->cl, '!', "--raw-data: %zu bytes sent exactly as in the file: no "
		    "dot-stuffing, no line-end fixes; the file must end the data itself",
		    s->msg.len);
		if (client_raw(s->cl, buf_ptr(&s->msg), s->msg.len, err, sizeof(err)) == -1 ||
		    client_data_sent(s->cl, err, sizeof(err)) == -1) {
			failed(s, EXIT_LOCAL, "--raw-data: %s", err);
			finish(s);
		}
		return;
	}
	if ((fd = memfd_create("smtpdbg-message", MFD_CLOEXEC)) == -1 ||
	    write(fd, buf_ptr(&s->msg), s->msg.len) != (ssize_t)s->msg.len ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		failed(s, EXIT_LOCAL, "message buffer: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		finish(s);
		return;
	}
	if (client_data_fd(s->cl, fd, err, sizeof(err)) == -1) {
		failed(s, EXIT_LOCAL, "%s", err);
		finish(s);
	}
}

/* txn_reply - a reply to the plan's next line */
static void
txn_reply(struct send *s, int code)
{
	struct plan	*p;

	if (s->answered >= s->nplan) {
		failed(s, EXIT_PROTOCOL, "a reply nobody asked for: %d", code);
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
			failed(s, TEMP(code, EXIT_MAIL), "MAIL refused: %d %s", code, client_last_line(s->cl));
			if (!s->pipelining) {
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
			failed(s, TEMP(code, EXIT_RCPT), "RCPT refused: %d %s", code, client_last_line(s->cl));
		}
		if (s->answered < s->nplan && s->plan[s->answered].kind == I_RCPT)
			break;
		/* the last recipient */
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
		failed(s, TEMP(code, EXIT_DATA), "DATA refused: %d %s", code, client_last_line(s->cl));
		quit(s);
		return;
	case I_BDAT:
		if (code / 100 != 2)
			failed(s, TEMP(code, EXIT_DATA), "BDAT refused: %d %s", code, client_last_line(s->cl));
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
				failed(s, TEMP(code, EXIT_MESSAGE), "message refused for %s: %d %s", who,
				    code, client_last_line(s->cl));
			}
			if (s->lmtp_seen < s->rcpt_ok) {
				s->answered--;	/* more replies to this "." */
				return;
			}
			if (s->lmtp_ok)
				code = 250;	/* delivered to some: counted as accepted */
			s->lmtp_seen = s->lmtp_ok = 0;
		}
		if (code / 100 == 2 && s->mail_ok && s->rcpt_ok && s->code != EXIT_DATA &&
		    s->code != EXIT_DATA_TEMP) {
			s->done++;
			if (s->code == 0)
				snprintf(s->outcome, sizeof(s->outcome), "%d %s", code,
				    client_last_line(s->cl));
			if (s->o->quit_after == SEND_DATA) {
				quit(s);
				return;
			}
			if (stage_done(s, SEND_DOT))
				return;
		} else if (code / 100 != 2)
			failed(s, TEMP(code, EXIT_MESSAGE), "message refused: %d %s", code,
			    client_last_line(s->cl));
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
	if (s->names && s->names[s->ti] && s->user_sni == NULL)
		s->o->ro->ccfg.sni = s->names[s->ti];
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

static void
on_event(void *arg, enum client_ev ev, int code)
{
	struct send	*s = arg;
	char		 err[512];

	if (s->phase == P_DONE)
		return;
	switch (opening_event(s->op, ev, code)) {
	case OPEN_READY:
		s->phase = P_TXN;
		transaction(s);
		return;
	case OPEN_FAILED:
		if (opening_failure(s->op) == OF_CONNECT && s->ti + 1 < s->ntargets) {
			s->ti++;
			client_note(s->cl, '!', "trying the next mail server: %s", s->targets[s->ti]);
			target_name(s);
			if (client_connect(s->cl, s->targets[s->ti], err, sizeof(err)) == 0)
				return;
		}
		failed(s, opening_exit(s->op), "%s", opening_why(s->op));
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
		if (!(ev == CLIENT_CLOSED && s->phase == P_QUIT))
			failed(s, c, "%s", why);
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
	case P_QUIT:
		if (client_waiting(s->cl) == 0)
			finish(s);
		return;
	case P_OPENING:
	case P_DONE:
		return;
	}
}

int
send_run(struct send_opts *o, const char *const *targets, const char *const *names,
    size_t ntargets)
{
	struct send	 s;
	struct client_hooks h = { on_event, &s };
	char		 err[512];
	int		 code;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.targets = targets;
	s.names = names;
	s.user_sni = o->ro->ccfg.sni;
	s.ntargets = ntargets;
	buf_init(&s.msg, 512 * 1024 * 1024);
	if (o->count == 0)
		o->count = 1;
	if (o->pipeline == 1)
		o->force |= FORCE_PIPELINING;
	s.cl = client_new(&o->ro->ccfg, &h);
	{
		struct opening_cfg oc;
		memset(&oc, 0, sizeof(oc));
		oc.helo = o->ro->ccfg.helo;
		oc.greet = 1;
		oc.lmtp = o->ro->ccfg.lmtp;
		oc.starttls = o->ro->tls_required ? OPEN_TLS_REQUIRED : o->ro->starttls ?
		    OPEN_TLS_TRY : OPEN_TLS_OFF;
		oc.force_starttls = (o->force & FORCE_STARTTLS) != 0;
		oc.no_verify = o->ro->no_verify;
		oc.auth = &o->ro->auth;
		oc.auth_plaintext_ok = o->ro->auth_plaintext_ok;
		oc.ask_secret = isatty(STDIN_FILENO);
		oc.stage = on_stage;
		oc.arg = &s;
		s.op = opening_new(s.cl, &oc);
	}
	target_name(&s);
	if (client_connect(s.cl, targets[0], err, sizeof(err)) == -1) {
		fprintf(stderr, "smtpdbg: send: %s\n", err);
		client_free(s.cl);
		buf_free(&s.msg);
		return EXIT_CONNECT;
	}
	code = loop_run();
	if (s.code == 0 && !s.outcome[0])
		snprintf(s.outcome, sizeof(s.outcome), "nothing was sent");
	if (o->ro->quiet || s.code)
		fprintf(s.code ? stderr : out_file(), "%s%s\n", s.code ? "smtpdbg: send: " : "",
		    s.outcome);
	else if (o->count > 1)
		out_printf("smtpdbg: %lu of %lu messages accepted\n", s.done, o->count);
	if (o->ro->ccfg.json) {
		struct buf j;
		buf_init(&j, 4096);
		buf_printf(&j, ",\"exit\":%d,\"accepted\":%lu,\"text\":\"", s.code, s.done);
		esc_json(&j, s.outcome, strlen(s.outcome));
		buf_append(&j, "\"", 2);
		client_event(s.cl, "outcome", (const char *)buf_ptr(&j));
		buf_free(&j);
	}
	opening_free(s.op);
	plan_free(&s);
	client_free(s.cl);
	buf_free(&s.msg);
	return s.code ? s.code : code;
}
