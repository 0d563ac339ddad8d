/*
 * test_conv - conversations: the client engine against the server engine
 * in memory, and the client engine against canned server bytes (split,
 * malformed, unsolicited, never-ending, closing).
 */
#include "config.h"

#include "session/buf.h"
#include "session/smtp_client.h"
#include "session/smtp_server.h"
#include "tests/tap.h"

struct pair {
	struct smtp_client *c;
	struct smtp_server *s;
	struct buf	 log;		/* what the client saw */
	struct buf	 content;	/* what the server stored */
	unsigned	 msgs;
	uint64_t	 now;
	size_t		 anomalies;
	int		 server_closed;
};

static void
c_reply(void *arg, const struct smtp_reply *r, const struct smtp_client_cmd *cmd)
{
	struct pair *p = arg;

	buf_printf(&p->log, "%s=%d ", cmd ? smtp_cmd_name(cmd->verb) : "?", r->code);
}

static void
c_anomaly(void *arg, const char *m)
{
	struct pair *p = arg;

	p->anomalies++;
	buf_printf(&p->log, "[%s] ", m);
}

static void
s_data(void *arg, const unsigned char *d, size_t n)
{
	struct pair *p = arg;

	buf_append(&p->content, d, n);
}

static void
s_message(void *arg, const struct smtp_message *m)
{
	struct pair *p = arg;

	p->msgs++;
	smtp_server_message_done(p->s, 250, "2.0.0", "Ok");
}

static void
s_close(void *arg)
{
	struct pair *p = arg;

	p->server_closed = 1;
}

/* shuttle - move bytes both ways until nothing moves; chunk bytes at a time */
static void
shuttle(struct pair *p, size_t chunk)
{
	int	 moved;

	do {
		struct buf *co = smtp_client_output(p->c), *so = smtp_server_output(p->s);
		size_t n;
		moved = 0;
		if (co->len && smtp_server_state(p->s) != SMTP_S_CLOSING) {
			n = co->len < chunk ? co->len : chunk;
			if (n > smtp_server_input_space(p->s))
				n = smtp_server_input_space(p->s);
			smtp_server_feed(p->s, buf_ptr(co), n);
			buf_drain(co, n);
			moved = 1;
		} else if (co->len && smtp_server_state(p->s) == SMTP_S_CLOSING)
			buf_drain(co, co->len);
		if (so->len) {
			n = so->len < chunk ? so->len : chunk;
			p->now += 1000;
			smtp_client_feed(p->c, buf_ptr(so), n, p->now);
			buf_drain(so, n);
			smtp_server_process(p->s);
			moved = 1;
		}
	} while (moved);
	if (p->server_closed && smtp_client_state(p->c) != SMTP_C_CLOSED)
		smtp_client_eof(p->c, p->now);
}

static void
cmd(struct pair *p, const char *line, size_t chunk)
{
	smtp_client_command(p->c, line, strlen(line), p->now);
	shuttle(p, chunk);
}

static void
c_note(void *arg, const char *m)
{
	struct pair *p = arg;

	buf_printf(&p->log, "(%s) ", m);
}

static const struct smtp_client_events cev = { NULL, c_reply, NULL, NULL, c_anomaly, c_note };
static const struct smtp_server_events sev = { NULL, NULL, NULL, s_data, s_message, NULL, s_close };

static void
pair_init(struct pair *p)
{
	struct smtp_server_cfg sc;

	memset(p, 0, sizeof(*p));
	memset(&sc, 0, sizeof(sc));
	sc.ext = SMTP_EXT_ALL;
	buf_init(&p->log, 1 << 20);
	buf_init(&p->content, 1 << 24);
	p->c = smtp_client_new(NULL, &cev, p);
	p->s = smtp_server_new(&sc, &sev, p);
	smtp_client_connected(p->c, 0);
	smtp_server_start(p->s);
}

static void
pair_free(struct pair *p)
{
	smtp_client_free(p->c);
	smtp_server_free(p->s);
	buf_free(&p->log);
	buf_free(&p->content);
}

static void
engines(size_t chunk)
{
	struct pair	 p;
	const char	*body = "Subject: t\n\n.leading dot\nbare LF\rbare CR\r\n..two\nend";

	pair_init(&p);
	shuttle(&p, chunk);
	is_int(smtp_client_state(p.c), SMTP_C_READY, "chunk %zu: greeted", chunk);
	cmd(&p, "EHLO me.example", chunk);
	ok(smtp_client_caps(p.c)->valid && caps_find(smtp_client_caps(p.c), "PIPELINING"),
	    "chunk %zu: capabilities parsed from the server engine", chunk);
	/* Pipelined: three commands, replies matched in order. */
	smtp_client_command(p.c, "MAIL FROM:<a@example.org>", 25, p.now);
	smtp_client_command(p.c, "RCPT TO:<b@example.org>", 23, p.now);
	smtp_client_command(p.c, "DATA", 4, p.now);
	is_int(smtp_client_waiting(p.c), 3, "chunk %zu: three replies awaited", chunk);
	shuttle(&p, chunk);
	is_int(smtp_client_state(p.c), SMTP_C_DATA, "chunk %zu: in DATA after 354", chunk);
	smtp_client_data(p.c, body, strlen(body), p.now);
	smtp_client_data_end(p.c, p.now);
	shuttle(&p, chunk);
	is_int(p.msgs, 1, "chunk %zu: one message stored", chunk);
	buf_append(&p.content, "", 1);
	is_str((const char *)buf_ptr(&p.content),
	    "Subject: t\r\n\r\n.leading dot\r\nbare LF\r\nbare CR\r\n..two\r\nend\r\n",
	    "chunk %zu: stored content is the normalised body, dots restored", chunk);
	cmd(&p, "QUIT", chunk);
	buf_append(&p.log, "", 1);
	is_str((const char *)buf_ptr(&p.log),
	    "greeting=220 EHLO=250 MAIL=250 RCPT=250 DATA=354 "
	    "(the data did not end with a line end: CRLF added before the final \".\" "
	    "(RFC 5321 4.1.1.4)) (5 bare CR/LF in the message were sent as CRLF) .=250 QUIT=221 ",
	    "chunk %zu: every reply answered the right command", chunk);
	is_int(smtp_client_state(p.c), SMTP_C_CLOSED, "chunk %zu: closed after QUIT", chunk);
	is_int(p.anomalies, 0, "chunk %zu: no anomalies between our own engines", chunk);
	pair_free(&p);
}

/* canned - the client against server bytes; returns the log */
static char *
canned(const char *cmds, const char *server, size_t n, size_t chunk, int eof)
{
	struct pair	 p;
	const char	*c;
	size_t		 i;
	char		*s;

	memset(&p, 0, sizeof(p));
	buf_init(&p.log, 1 << 20);
	p.c = smtp_client_new(NULL, &cev, &p);
	smtp_client_connected(p.c, 0);
	for (c = cmds; c && *c; c += strlen(c) + 1)
		smtp_client_command(p.c, c, strlen(c), 0);
	for (i = 0; i < n; i += chunk)
		smtp_client_feed(p.c, server + i, n - i < chunk ? n - i : chunk, 1000);
	if (eof)
		smtp_client_eof(p.c, 2000);
	buf_printf(&p.log, "state=%s", smtp_client_state_name(smtp_client_state(p.c)));
	buf_append(&p.log, "", 1);
	s = strdup((const char *)buf_ptr(&p.log));
	smtp_client_free(p.c);
	buf_free(&p.log);
	return s;
}

static const struct {
	const char *name, *cmds, *server, *want;
	int eof;
} ccases[] = {
	{ "greeting then EHLO", "EHLO x\0", "220 hi\r\n250-a\r\n250 b\r\n",
	  "greeting=220 EHLO=250 state=ready", 0 },
	{ "554 greeting", NULL, "554 go away\r\n",
	  "greeting=554 [server refuses service (554 greeting)] state=ready", 0 },
	{ "unsolicited second reply", "NOOP\0", "220 hi\r\n250 ok\r\n250 again\r\n",
	  "greeting=220 NOOP=250 ?=250 [unsolicited reply: no command was waiting for it] state=ready", 0 },
	{ "421 closes", "NOOP\0", "220 hi\r\n421 4.3.2 shutting down\r\n",
	  "greeting=220 NOOP=421 state=quit", 0 },
	{ "codes differ across lines", "EHLO x\0", "220 hi\r\n250-a\r\n550 b\r\n",
	  "greeting=220 EHLO=250 [multi-line reply changes its code between lines (RFC 5321 4.2.1)] state=ready", 0 },
	{ "close with replies outstanding", "MAIL FROM:<a@b>\0", "220 hi\r\n",
	  "greeting=220 [server closed the connection in state ready with 1 reply outstanding] state=closed", 1 },
	{ "reply cut by EOF", "NOOP\0", "220 hi\r\n250-partial\r\n",
	  "greeting=220 NOOP=250 [reply cut off by the end of the connection] "
	  "[server closed the connection in state ready] state=closed", 1 },
	{ "garbage instead of a greeting", NULL, "HTTP/1.1 400 Bad\r\n",
	  "greeting=-1 [greeting is -1, not 220] [malformed reply line: not \"NNN text\"] state=ready", 0 },
};

int
main(void)
{
	size_t	 i, chunk;
	char	*got;

	engines(1 << 20);
	engines(1);
	engines(7);

	for (i = 0; i < sizeof(ccases) / sizeof(ccases[0]); i++) {
		const char *cm = ccases[i].cmds;
		char buf[64];
		if (cm) {	/* NUL-separated list, doubly terminated */
			memset(buf, 0, sizeof(buf));
			memcpy(buf, cm, strlen(cm) + 1);
			cm = buf;
		}
		for (chunk = 1; chunk <= strlen(ccases[i].server); chunk++) {
			got = canned(cm, ccases[i].server, strlen(ccases[i].server), chunk, ccases[i].eof);
			if (strcmp(got, ccases[i].want) != 0) {
				is_str(got, ccases[i].want, "%s (chunk %zu)", ccases[i].name, chunk);
				free(got);
				break;
			}
			free(got);
		}
		if (chunk > strlen(ccases[i].server))
			ok(1, "%s: right for every chunk size", ccases[i].name);
	}

	/* A reply that never ends: bounded, reported, no growth. */
	{
		struct pair p;
		struct smtp_client_cfg cfg = { 0 };
		size_t k;
		cfg.max_lines = 50;
		memset(&p, 0, sizeof(p));
		buf_init(&p.log, 1 << 20);
		p.c = smtp_client_new(&cfg, &cev, &p);
		smtp_client_connected(p.c, 0);
		smtp_client_feed(p.c, "220 hi\r\n", 8, 0);
		smtp_client_command(p.c, "EHLO x", 6, 0);
		for (k = 0; k < 100000; k++)
			smtp_client_feed(p.c, "250-more\r\n", 10, 0);
		buf_append(&p.log, "", 1);
		ok(strstr((const char *)buf_ptr(&p.log), "reply exceeds") != NULL,
		    "never-ending reply: reported once it passes the limit");
		ok(strstr((const char *)buf_ptr(&p.log), "EHLO=250") != NULL,
		    "never-ending reply: delivered to the command it answers");
		smtp_client_free(p.c);
		buf_free(&p.log);
	}

	/* Injection guard: CR/LF/NUL never reach the wire from a command. */
	{
		struct pair p;
		memset(&p, 0, sizeof(p));
		buf_init(&p.log, 1 << 20);
		p.c = smtp_client_new(NULL, &cev, &p);
		smtp_client_connected(p.c, 0);
		is_int(smtp_client_command(p.c, "RCPT TO:<a@b>\r\nDATA", 20, 0), -1,
		    "a command holding CRLF is refused");
		is_int(smtp_client_output(p.c)->len, 0, "nothing was queued");
		is_int(smtp_client_command(p.c, "NOOP\0x", 6, 0), -1, "NUL is refused");
		is_int(smtp_client_raw(p.c, "NOOP\r\nNOOP\n", 11, 0), 0, "/raw sends anything");
		is_int(smtp_client_waiting(p.c), 3, "each raw LF awaits a reply (plus the greeting)");
		smtp_client_free(p.c);
		buf_free(&p.log);
	}

	/* STARTTLS response injection: counted the same for every split. */
	{
		const char *srv = "220 hi\r\n250 STARTTLS\r\n220 go\r\n250-evil\r\n250 AUTH X\r\n";
		size_t n = strlen(srv), k, bad = 0;
		for (k = 1; k <= n; k++) {
			struct pair p;
			size_t j;
			memset(&p, 0, sizeof(p));
			buf_init(&p.log, 1 << 20);
			p.c = smtp_client_new(NULL, &cev, &p);
			smtp_client_connected(p.c, 0);
			smtp_client_command(p.c, "EHLO x", 6, 0);
			smtp_client_command(p.c, "STARTTLS", 8, 0);
			for (j = 0; j < n; j += k)
				smtp_client_feed(p.c, srv + j, n - j < k ? n - j : k, 1);
			if (smtp_client_injected(p.c) != strlen("250-evil\r\n250 AUTH X\r\n") ||
			    smtp_client_state(p.c) != SMTP_C_TLS)
				bad = k;
			if (k == 1) {
				buf_append(&p.log, "", 1);
				ok(strstr((const char *)buf_ptr(&p.log), "evil") == NULL,
				    "injected lines never become replies");
			}
			smtp_client_free(p.c);
			buf_free(&p.log);
		}
		is_int(bad, 0, "every injected byte after the 220 to STARTTLS is counted, for every "
		    "chunk size");
	}

	/* Deadlines follow RFC 5321 unless a timeout is set. */
	{
		struct pair p;
		struct smtp_client_cfg cfg = { 0 };
		memset(&p, 0, sizeof(p));
		buf_init(&p.log, 1 << 20);
		p.c = smtp_client_new(NULL, &cev, &p);
		smtp_client_connected(p.c, 1000000);
		is_int(smtp_client_deadline(p.c), 301000000, "greeting: 5 minutes");
		smtp_client_feed(p.c, "220 x\r\n", 7, 2000000);
		is_int(smtp_client_deadline(p.c), 0, "nothing awaited, no deadline");
		smtp_client_command(p.c, "DATA", 4, 3000000);
		is_int(smtp_client_deadline(p.c), 123000000, "DATA: 2 minutes");
		smtp_client_free(p.c);
		cfg.timeout_ms = 5000;
		p.c = smtp_client_new(&cfg, &cev, &p);
		smtp_client_connected(p.c, 0);
		is_int(smtp_client_deadline(p.c), 5000000, "--timeout applies to every wait");
		smtp_client_free(p.c);
		buf_free(&p.log);
	}
	return tap_done();
}
