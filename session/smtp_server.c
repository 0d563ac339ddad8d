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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/dot.h"
#include "session/line.h"
#include "session/smtp_cmdtab.h"
#include "session/smtp_server.h"
#include "session/xalloc.h"

#define DATA_CHUNK	8192	/* data line pieces passed on at most */
#define RFC_TEXT_LINE	1000
#define PATH_MAX_LEN	1024	/* lenient, but bounded (RFC: 256) */
#define HDR_KEEP	200

struct smtp_server {
	struct smtp_server_cfg	 cfg;
	struct smtp_server_events ev;
	void			*arg;
	enum smtp_server_state	 state;
	struct buf		 in;
	struct buf		 out;
	size_t			 skipping;	/* bytes of an over-long line dropped */
	unsigned		 errors;
	char			*helo;
	/* transaction */
	char			*from;
	char			*mail_params;
	char			**rcpt;
	size_t			 nrcpt;
	int			 body8, smtputf8;
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
	unsigned		 seq;
	int			 tls;		/* the session is encrypted */
	int			 esmtp;		/* EHLO, not HELO */
};

static const char *const state_names[SMTP_S_STATE_COUNT] = {
	"init", "greeted", "ready", "mail", "rcpt", "data", "wait", "tls", "closing",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == SMTP_S_STATE_COUNT,
    "state_names");

static const char *const bare_names[SMTP_BARE_COUNT] = { "reject", "accept", "normalize" };
_Static_assert(sizeof(bare_names) / sizeof(bare_names[0]) == SMTP_BARE_COUNT, "bare");

static void	 server_line(struct smtp_server *, const unsigned char *, size_t);
static void	 server_data(struct smtp_server *, const unsigned char *, size_t, int);
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
		s->cfg.banner = "ESMTP smtpdbg sink";
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
}

void
smtp_server_free(struct smtp_server *s)
{
	if (s == NULL)
		return;
	reset_transaction(s, 0);
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
smtp_server_tls_up(struct smtp_server *s)
{
	if (s->state != SMTP_S_TLS)
		fatalx("%s: bad state %d", __func__, (int)s->state);
	s->tls = 1;
	reset_transaction(s, 0);
	free(s->helo);
	s->helo = NULL;
	server_state(s, SMTP_S_GREETED);
}

size_t
smtp_server_input_space(const struct smtp_server *s)
{
	if (s->state == SMTP_S_CLOSING)
		return 65536;	/* read and ignore */
	if (s->state == SMTP_S_TLS)
		return 0;	/* the TLS handshake reads now */
	/* Backpressure: stop reading while replies pile up. */
	if (s->out.len > 32768)
		return 0;
	return buf_space(&s->in);
}

/* reply - queue one reply; text may hold '\n' for a multi-line reply */
static void
reply(struct smtp_server *s, int code, const char *enh, const char *fmt, ...)
{
	char		 text[2048], line[600];
	const char	*p, *nl;
	va_list		 ap;
	int		 n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!(s->cfg.ext & SMTP_EXT_ENHANCED))
		enh = NULL;
	for (p = text;; p = nl + 1) {
		nl = strchr(p, '\n');
		n = snprintf(line, sizeof(line), "%03d%c%s%s%.*s\r\n", code,
		    nl ? '-' : ' ', enh ? enh : "", enh ? " " : "",
		    nl ? (int)(nl - p) : (int)strlen(p), p);
		if (n < 0 || (size_t)n >= sizeof(line))
			fatalx("%s: reply too long", __func__);
		if (buf_append(&s->out, line, (size_t)n) == -1)
			fatalx("%s: output overflow", __func__);
		if (s->ev.on_output)
			s->ev.on_output(s->arg, (const unsigned char *)line, (size_t)n);
		if (nl == NULL)
			break;
	}
}

static void
closing(struct smtp_server *s)
{
	reset_transaction(s, 1);
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

void
smtp_server_start(struct smtp_server *s)
{
	if (s->state != SMTP_S_INIT)
		fatalx("%s: bad state %d", __func__, (int)s->state);
	reply(s, 220, NULL, "%s %s", s->cfg.hostname, s->cfg.banner);
	server_state(s, SMTP_S_GREETED);
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
smtp_server_feed(struct smtp_server *s, const void *p, size_t n)
{
	if (s->state == SMTP_S_CLOSING)
		return;
	if (buf_append(&s->in, p, n) == -1)
		fatalx("%s: fed %zu bytes, room for %zu", __func__, n, buf_space(&s->in));
	smtp_server_process(s);
}

void
smtp_server_process(struct smtp_server *s)
{
	size_t	 n, lim;

	while (s->state != SMTP_S_WAIT && s->state != SMTP_S_CLOSING &&
	    s->state != SMTP_S_INIT && s->state != SMTP_S_TLS && s->out.len <= 32768) {
		n = buf_findline(&s->in);
		if (s->state == SMTP_S_DATA) {
			if (n == 0 && s->in.len >= DATA_CHUNK)
				n = DATA_CHUNK;	/* a piece of a long line */
			if (n == 0)
				break;
			server_data(s, buf_ptr(&s->in), n,
			    buf_ptr(&s->in)[n - 1] == '\n');
			buf_drain(&s->in, n);
			continue;
		}
		lim = s->cfg.max_line;
		if (s->skipping) {
			/* Drop an over-long command line up to its LF. */
			if (n == 0) {
				s->skipping += s->in.len;
				buf_drain(&s->in, s->in.len);
				break;
			}
			s->skipping += n;
			buf_drain(&s->in, n);
			note(s, "command line of %zu bytes is over the %zu-byte limit; "
			    "dropped, not executed", s->skipping, lim);
			s->skipping = 0;
			reply(s, 500, "5.5.2", "Error: line too long");
			if (error(s) == -1)
				return;
			continue;
		}
		if (n == 0) {
			if (s->in.len > lim) {
				if (s->ev.on_input)
					s->ev.on_input(s->arg, buf_ptr(&s->in), lim,
					    LINE_TRUNC | LINE_LONG | LINE_NOEOL, 0);
				s->skipping = s->in.len;
				buf_drain(&s->in, s->in.len);
			}
			break;
		}
		if (n > lim) {
			if (s->ev.on_input)
				s->ev.on_input(s->arg, buf_ptr(&s->in), lim,
				    LINE_TRUNC | LINE_LONG, 0);
			buf_drain(&s->in, n);
			note(s, "command line of %zu bytes is over the %zu-byte limit; "
			    "dropped, not executed", n, lim);
			reply(s, 500, "5.5.2", "Error: line too long");
			if (error(s) == -1)
				return;
			continue;
		}
		server_line(s, buf_ptr(&s->in), n);
		buf_drain(&s->in, n);
		if (s->state == SMTP_S_TLS) {
			/* CVE-2011-0411: nothing sent in plaintext after STARTTLS
			 * may run inside the TLS session. */
			if (s->in.len > 0) {
				note(s, "%zu byte%s pipelined after STARTTLS in plaintext: "
				    "discarded, never executed (CVE-2011-0411 class)", s->in.len,
				    s->in.len == 1 ? "" : "s");
				buf_drain(&s->in, s->in.len);
			}
			if (s->ev.on_starttls)
				s->ev.on_starttls(s->arg);
			break;
		}
	}
}

void
smtp_server_eof(struct smtp_server *s)
{
	if (s->in.len > 0 && s->state != SMTP_S_CLOSING && s->ev.on_input)
		s->ev.on_input(s->arg, buf_ptr(&s->in), s->in.len,
		    line_classify(buf_ptr(&s->in), s->in.len, s->cfg.max_line),
		    s->state == SMTP_S_DATA);
	if (s->state == SMTP_S_DATA)
		note(s, "connection closed inside message data: message discarded");
	buf_drain(&s->in, s->in.len);
	reset_transaction(s, 1);
	server_state(s, SMTP_S_CLOSING);
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

/* parse_size - SIZE=digits without overflow; -1 when not a number */
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

/* parse_params - ESMTP parameters; replies itself and returns -1 on error */
static int
parse_params(struct smtp_server *s, const char *p, size_t n, int mail)
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
			reply(s, 501, "5.5.4", "Syntax error in parameters");
			return -1;
		}
#define KEY(x) (kl == sizeof(x) - 1 && strncasecmp(k, x, kl) == 0)
		if (mail && KEY("SIZE") && (s->cfg.ext & SMTP_EXT_SIZE)) {
			if (!v || parse_size(v, vl, &sz) == -1) {
				reply(s, 501, "5.5.4", "Bad SIZE parameter");
				return -1;
			}
			if (sz > s->cfg.max_size) {
				reply(s, 552, "5.3.4", "Message size exceeds fixed limit");
				return -1;
			}
		} else if (mail && KEY("BODY") && (s->cfg.ext & SMTP_EXT_8BITMIME)) {
			if (v && vl == 8 && strncasecmp(v, "8BITMIME", 8) == 0)
				s->body8 = 1;
			else if (!v || vl != 4 || strncasecmp(v, "7BIT", 4) != 0) {
				reply(s, 501, "5.5.4", "Bad BODY parameter");
				return -1;
			}
		} else if (mail && KEY("SMTPUTF8") && (s->cfg.ext & SMTP_EXT_SMTPUTF8)) {
			if (v) {
				reply(s, 501, "5.5.4", "SMTPUTF8 takes no value");
				return -1;
			}
			s->smtputf8 = 1;
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
			reply(s, 555, "5.5.4", "Unsupported option: %s", name);
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

	if (n == 0) {
		reply(s, 501, "5.5.4", "Syntax: %s hostname", smtp_cmd_name(v));
		error(s);
		return;
	}
	reset_transaction(s, 1);
	free(s->helo);
	s->helo = xstrndup(a, n);
	s->esmtp = v != SMTP_V_HELO;
	server_state(s, SMTP_S_READY);
	if (v == SMTP_V_HELO) {
		reply(s, 250, NULL, "%s", s->cfg.hostname);
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
	EXT(SMTP_EXT_HELP, "HELP");
	if (s->cfg.starttls && !s->tls)
		el += (size_t)snprintf(ext + el, sizeof(ext) - el, "\nSTARTTLS");
#undef EXT
	ext[el] = '\0';
	/* The EHLO reply carries no enhanced code (RFC 2034). */
	{
		unsigned saved = s->cfg.ext;
		s->cfg.ext &= ~(unsigned)SMTP_EXT_ENHANCED;
		reply(s, 250, NULL, "%s%s", s->cfg.hostname, ext);
		s->cfg.ext = saved;
	}
}

static void
cmd_mail(struct smtp_server *s, const char *a, size_t n)
{
	size_t	 off;
	char	*path = NULL;

	if (s->state == SMTP_S_GREETED) {
		reply(s, 503, "5.5.1", "Error: send HELO/EHLO first");
		error(s);
		return;
	}
	if (s->state != SMTP_S_READY) {
		reply(s, 503, "5.5.1", "Error: nested MAIL command");
		error(s);
		return;
	}
	if (s->cfg.require_tls && !s->tls) {
		reply(s, 530, "5.7.0", "Must issue a STARTTLS command first");
		error(s);
		return;
	}
	if (n < 5 || strncasecmp(a, "FROM:", 5) != 0) {
		reply(s, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
		error(s);
		return;
	}
	a += 5, n -= 5;
	if (n && *a == ' ') {
		note(s, "space after FROM: is not allowed by RFC 5321 (accepted)");
		while (n && *a == ' ')
			a++, n--;
	}
	if ((off = parse_path(a, n, &path)) == 0) {
		reply(s, 501, "5.1.7", "Bad sender address syntax");
		error(s);
		return;
	}
	s->body8 = s->smtputf8 = 0;
	if (parse_params(s, a + off, n - off, 1) == -1) {
		free(path);
		error(s);
		return;
	}
	s->from = path;
	while (off < n && a[off] == ' ')
		off++;
	s->mail_params = xstrndup(a + off, n - off);
	server_state(s, SMTP_S_MAIL);
	reply(s, 250, "2.1.0", "Ok");
}

static void
cmd_rcpt(struct smtp_server *s, const char *a, size_t n)
{
	size_t	 off;
	char	*path = NULL;

	if (s->state != SMTP_S_MAIL && s->state != SMTP_S_RCPT) {
		reply(s, 503, "5.5.1", "Error: need MAIL command");
		error(s);
		return;
	}
	if (n < 3 || strncasecmp(a, "TO:", 3) != 0) {
		reply(s, 501, "5.5.4", "Syntax: RCPT TO:<address>");
		error(s);
		return;
	}
	a += 3, n -= 3;
	if (n && *a == ' ') {
		note(s, "space after TO: is not allowed by RFC 5321 (accepted)");
		while (n && *a == ' ')
			a++, n--;
	}
	if ((off = parse_path(a, n, &path)) == 0 || path[0] == '\0') {
		free(path);
		reply(s, 501, "5.1.3", "Bad recipient address syntax");
		error(s);
		return;
	}
	if (s->nrcpt >= s->cfg.max_rcpt) {
		free(path);
		reply(s, 452, "4.5.3", "Error: too many recipients");
		return;
	}
	if (parse_params(s, a + off, n - off, 0) == -1) {
		free(path);
		error(s);
		return;
	}
	s->rcpt = xrealloc(s->rcpt, (s->nrcpt + 1) * sizeof(*s->rcpt));
	s->rcpt[s->nrcpt++] = path;
	server_state(s, SMTP_S_RCPT);
	reply(s, 250, "2.1.5", "Ok");
}

static void
cmd_data(struct smtp_server *s, size_t n)
{
	if (n) {
		reply(s, 501, "5.5.4", "Syntax: DATA");
		error(s);
		return;
	}
	if (s->state != SMTP_S_RCPT) {
		reply(s, 503, "5.5.1", s->state == SMTP_S_MAIL ?
		    "Error: need RCPT command" : "Error: need MAIL command");
		error(s);
		return;
	}
	dot_dec_init(&s->dec);
	s->size = 0;
	s->too_big = 0;
	s->in_headers = 1;
	s->hdr_cont = 0;
	s->subject[0] = s->msgid[0] = '\0';
	s->bare_lf = s->bare_cr = s->long_lines = 0;
	s->eightbit = 0;
	s->data_bol = 1;
	server_state(s, SMTP_S_DATA);
	reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
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
		m.seq = s->seq + 1;
		s->ev.on_data_start(s->arg, &m);
	}
}

static void
cmd_help(struct smtp_server *s)
{
	reply(s, 214, "2.0.0", "smtpdbg sink; commands:\n"
	    "HELO EHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT STARTTLS\n"
	    "Every message is accepted and shown; see smtpdbg(1)");
}

/* server_line - one complete command line of n bytes (ends in LF) */
static void
server_line(struct smtp_server *s, const unsigned char *raw, size_t n)
{
	unsigned	 f = line_classify(raw, n, s->cfg.max_line);
	const char	*line = (const char *)raw, *a;
	size_t		 len = line_body_len(raw, n), off, an;
	enum smtp_verb	 v;

	if (s->ev.on_input)
		s->ev.on_input(s->arg, raw, n, f, 0);
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
	if (len == 0) {
		reply(s, 500, "5.5.2", "Error: bad syntax");
		error(s);
		return;
	}
	v = smtp_cmd_lookup(line, len, &off);
	a = line + off;
	an = len - off;
	switch (v) {
	case SMTP_V_HELO:
	case SMTP_V_EHLO:
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
	case SMTP_V_RSET:
		reset_transaction(s, 1);
		if (s->state != SMTP_S_GREETED)
			server_state(s, SMTP_S_READY);
		reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_V_NOOP:
		reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_V_VRFY:
		if (an == 0) {
			reply(s, 501, "5.5.4", "Syntax: VRFY address");
			error(s);
		} else
			reply(s, 252, "2.0.0", "Cannot VRFY user, but will accept message");
		break;
	case SMTP_V_HELP:
		cmd_help(s);
		break;
	case SMTP_V_QUIT:
		reply(s, 221, "2.0.0", "Bye");
		closing(s);
		break;
	case SMTP_V_BDAT:
		/* Its payload would be read as commands: hang up (Postfix). */
		reply(s, 521, "5.5.1", "Error: BDAT is not offered");
		closing(s);
		break;
	case SMTP_V_STARTTLS:
		if (!s->cfg.starttls) {
			reply(s, 502, "5.5.1", "Error: STARTTLS not offered");
			error(s);
		} else if (s->tls) {
			reply(s, 503, "5.5.1", "Error: TLS is already active");
			error(s);
		} else if (an) {
			reply(s, 501, "5.5.4", "Syntax: STARTTLS");
			error(s);
		} else {
			reset_transaction(s, 1);
			reply(s, 220, "2.0.0", "Ready to start TLS");
			server_state(s, SMTP_S_TLS);
		}
		break;
	case SMTP_V_EXPN:
	case SMTP_V_AUTH:
	case SMTP_V_ETRN:
	case SMTP_V_LHLO:
		reply(s, 502, "5.5.1", "Error: %s not offered", smtp_cmd_name(v));
		error(s);
		break;
	case SMTP_V_UNKNOWN:
		reply(s, 500, "5.5.2", "Error: command not recognized");
		error(s);
		break;
	default:
		fatalx("%s: bad verb %d", __func__, (int)v);
	}
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

static void
message_end(struct smtp_server *s)
{
	struct smtp_message m;

	if (s->dec.smuggle)
		note(s, "%zu \".\" line(s) after a bare LF/CR did NOT end the data "
		    "(only CRLF.CRLF does; SMTP smuggling attempt or broken client)",
		    s->dec.smuggle);
	if (s->too_big) {
		note(s, "message of %llu bytes is over the %llu-byte limit: rejected",
		    (unsigned long long)s->size, (unsigned long long)s->cfg.max_size);
		reset_transaction(s, 1);
		server_state(s, SMTP_S_READY);
		reply(s, 552, "5.3.4", "Error: message too big");
		return;
	}
	if ((s->bare_lf || s->bare_cr) && s->cfg.bare_lf == SMTP_BARE_REJECT) {
		note(s, "message has %zu bare LF and %zu bare CR line(s): rejected "
		    "(RFC 5321 2.3.8; --bare-lf accept|normalize allows it)",
		    s->bare_lf, s->bare_cr);
		reset_transaction(s, 1);
		server_state(s, SMTP_S_READY);
		reply(s, 550, "5.5.2", "Error: bare <LF> or <CR> received in message");
		return;
	}
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
	m.seq = ++s->seq;
	server_state(s, SMTP_S_WAIT);
	if (s->ev.on_message)
		s->ev.on_message(s->arg, &m);
	else
		smtp_server_message_done(s, 250, "2.0.0", "Ok: discarded");
}

void
smtp_server_message_done(struct smtp_server *s, int code, const char *enh, const char *text)
{
	if (s->state != SMTP_S_WAIT)
		return;	/* the session ended meanwhile */
	reset_transaction(s, 0);
	server_state(s, SMTP_S_READY);
	reply(s, code, enh, "%s", text);
}

/* server_data - one data line piece; complete: it ends with LF */
static void
server_data(struct smtp_server *s, const unsigned char *raw, size_t n, int complete)
{
	const unsigned char	*c;
	size_t			 cl, body;
	unsigned		 f = line_classify(raw, n, RFC_TEXT_LINE);

	if (!complete)
		f &= ~(unsigned)LINE_NOEOL;
	if (s->ev.on_input)
		s->ev.on_input(s->arg, raw, n, f, 1);
	if (dot_dec_line(&s->dec, raw, n, complete, &c, &cl) == DOT_DEC_END) {
		message_end(s);
		return;
	}
	if (f & LINE_BARE_LF)
		s->bare_lf++;
	if (f & LINE_BARE_CR)
		s->bare_cr++;
	if (s->data_bol && (!complete || n > RFC_TEXT_LINE))
		s->long_lines++;
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
	if (s->cfg.bare_lf == SMTP_BARE_NORMALIZE && (f & (LINE_BARE_LF | LINE_BARE_CR))) {
		size_t i;
		body = complete ? line_body_len(c, cl) : cl;
		for (i = 0; i < body; i++) {
			if (c[i] == '\r')
				s->ev.on_data(s->arg, (const unsigned char *)"\r\n", 2);
			else
				s->ev.on_data(s->arg, c + i, 1);
		}
		if (complete)
			s->ev.on_data(s->arg, (const unsigned char *)"\r\n", 2);
		return;
	}
	s->ev.on_data(s->arg, c, cl);
}
