/*
 * run - the command executor shared by the REPL and scripts.
 *
 * Lines come from a queue (typed at the REPL), a script fd, or built-in
 * lines (demo).  One line runs at a time; a line that needs an answer
 * (an SMTP command, /connect, /sleep, /quit) sets r->wait, and client
 * events clear it and run the next line.  Helper commands are rows of
 * cmdtab[]; the manual has a section for each (tests/test_manual.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/loop.h"
#include "cli/opening.h"
#include "cli/opts.h"
#include "cli/out.h"
#include "cli/run.h"
#include "cli/send.h"
#include "man/render.h"
#include "session/caps.h"
#include "session/esc.h"
#include "session/xalloc.h"

enum wait {
	W_NONE,		/* ready for the next line */
	W_REPLIES,	/* every awaited reply */
	W_CONNECT,	/* connection and greeting */
	W_SLEEP,	/* /sleep */
	W_CLOSE,	/* /quit: the server closes */
	W_AUTH,		/* the AUTH exchange */
};

struct run {
	struct run_opts		*o;
	struct client		*cl;
	int			 interactive;
	/* typed lines */
	char			**q;
	size_t			 qhead, qlen, qcap;
	/* script source */
	int			 sfd;
	int			 spolled;
	struct buf		 sbuf;
	int			 seof;
	char			 sname[256];
	const char *const	*blines;
	unsigned		 lineno;
	/* waiting */
	enum wait		 wait;
	struct loop_timer	*sleep;
	char			 expect[64];
	unsigned		 expect_line;
	char			*data_file;	/* /data waiting for its 354 */
	int			 quitting;	/* /quit: exit once closed */
	int			 failed;
	int			 exit_code;
	int			 quit_sent;	/* a failed script says QUIT before it exits */
	size_t			 violations;
	struct opening		*op;		/* greeting, EHLO, STARTTLS, AUTH */
	int			 code;		/* the last reply to what was sent, for /expect */
	int			 typed;		/* a line sent something since the connect */
	struct auth		*auth;		/* an /auth exchange in progress */
	char			*secret;	/* typed at the /auth prompt */
	struct buf		 bdat;		/* /bdat: the message */
	size_t			 bdat_off, bdat_chunk;
	int			 bdat_on;
	int			 in_pump;
	struct loop_timer	*tick;		/* deferred work, see schedule() */
	int			 close_due;	/* close the connection at the tick */
	char			 prompt[400];
	void			(*prompt_hook)(void *);
	void			*prompt_arg;
};

struct run_cmd {
	const char	*name;
	const char	*args;
	int		(*fn)(struct run *, char *);
	const char	*help;
};

static void	 pump(struct run *);
static int	 auth_start(struct run *, const char *, const char *, int);
static void	 auth_step(struct run *, int);
static void	 bdat_next(struct run *);
static void	 schedule(struct run *);
static void	 finish(struct run *);
static int	 cmd_connect(struct run *, char *);
static int	 cmd_quit(struct run *, char *);
static int	 cmd_close(struct run *, char *);
static int	 cmd_caps(struct run *, char *);
static int	 cmd_raw(struct run *, char *);
static int	 cmd_data(struct run *, char *);
static int	 cmd_set(struct run *, char *);
static int	 cmd_show(struct run *, char *);
static int	 cmd_save(struct run *, char *);
static int	 cmd_help(struct run *, char *);
static int	 cmd_expect(struct run *, char *);
static int	 cmd_sleep(struct run *, char *);
static int	 cmd_echo(struct run *, char *);
static int	 cmd_cert(struct run *, char *);
static int	 cmd_starttls(struct run *, char *);
static int	 cmd_auth(struct run *, char *);
static int	 cmd_bdat(struct run *, char *);

static const struct run_cmd cmdtab[] = {
	{ "connect", "HOST[:PORT]", cmd_connect, "open a session" },
	{ "quit", "", cmd_quit, "send QUIT, wait for the reply, close and exit" },
	{ "close", "", cmd_close, "close the connection without QUIT" },
	{ "caps", "", cmd_caps, "the EHLO capabilities as a table" },
	{ "raw", "BYTES", cmd_raw, "send exact bytes; C escapes \\r \\n \\t \\0 \\\\ \\xNN" },
	{ "data", "FILE", cmd_data, "send a file as the message (DATA first if needed)" },
	{ "set", "NAME VALUE", cmd_set, "change a session option" },
	{ "show", "[NAME]", cmd_show, "show session options" },
	{ "save", "FILE", cmd_save, "write the transcript so far to a file" },
	{ "help", "[TOPIC]", cmd_help, "the manual, or one section of it" },
	{ "expect", "CODES [COMMAND]", cmd_expect, "check the last reply (or COMMAND's reply)" },
	{ "sleep", "SECONDS", cmd_sleep, "pause a script" },
	{ "echo", "TEXT", cmd_echo, "print a note in the transcript" },
	{ "cert", "[pem [FILE]]", cmd_cert, "the TLS report again, or the chain as PEM" },
	{ "starttls", "", cmd_starttls, "send STARTTLS and upgrade (same as typing it)" },
	{ "auth", "[MECH [USER]]", cmd_auth, "authenticate; the secret is asked without echo" },
	{ "bdat", "FILE [CHUNK]", cmd_bdat, "send a file as the message with BDAT chunks" },
};
#define NCMDS (sizeof(cmdtab) / sizeof(cmdtab[0]))

static const char *cmd_names[NCMDS + 1];

const char *const *
run_cmd_names(void)
{
	size_t	 i;

	for (i = 0; i < NCMDS; i++)
		cmd_names[i] = cmdtab[i].name;
	cmd_names[NCMDS] = NULL;
	return cmd_names;
}

/* Session options /set changes: rows of the option table (cli/opts.c),
 * checked by the same rules as on the command line. */
static const enum opt_id set_ids[] = {
	O_HELO, O_TIMEOUT, O_CONNECT_TIMEOUT, O_DATA_LINES, O_KEEP_GOING, O_SHOW_SECRETS,
};
#define NSET (sizeof(set_ids) / sizeof(set_ids[0]))
static const char *set_names[NSET + 1];

static const struct opt_def *
set_row(size_t k)
{
	unsigned i;

	for (i = 0; i < opt_count; i++)
		if (opt_table[i].id == set_ids[k])
			return &opt_table[i];
	fatalx("%s: option %d not in the table", __func__, (int)set_ids[k]);
}

const char *const *
run_set_names(void)
{
	size_t	 k;

	for (k = 0; k < NSET; k++)
		set_names[k] = set_row(k)->name;
	set_names[NSET] = NULL;
	return set_names;
}

/* onoff - a flag's value in /set: on, off, yes, no, 1, 0 */
static int
onoff(const char *v)
{
	if (strcasecmp(v, "on") == 0 || strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0)
		return 1;
	if (strcasecmp(v, "off") == 0 || strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0)
		return 0;
	return -1;
}

int
run_opt_apply(struct run_opts *o, const struct opt_def *d, const struct opt_val *v,
    char *err, size_t errlen)
{
	int	 on = 1;

	if (d->type == OT_FLAG && v->s && (on = onoff(v->s)) == -1) {
		snprintf(err, errlen, "on or off");
		return -1;
	}
	switch (d->id) {
	case O_HELO:
		if (strpbrk(v->s, "\r\n \t") || *v->s == '\0' ||
		    strlen(v->s) >= sizeof(o->ccfg.helo)) {
			snprintf(err, errlen, "a domain or address literal, without spaces, under "
			    "%zu bytes", sizeof(o->ccfg.helo));
			return -1;
		}
		snprintf(o->ccfg.helo, sizeof(o->ccfg.helo), "%s", v->s);
		return 0;
	case O_TIMEOUT:
		o->ccfg.timeout_ms = v->ms;
		return 0;
	case O_CONNECT_TIMEOUT:
		o->ccfg.connect_timeout_ms = v->ms;
		return 0;
	case O_DATA_LINES:
		o->ccfg.data_lines = (int)v->i;
		return 0;
	case O_KEEP_GOING:
		o->keep_going = on;
		return 0;
	case O_SHOW_SECRETS:
		o->ccfg.show_secrets = o->auth.show_secrets = on;
		return 0;
	default:
		snprintf(err, errlen, "not a session option");
		return -1;
	}
}

/* set_value - a session option's value in words, for /show */
static void
set_value(struct run *r, const struct opt_def *d, char *b, size_t n)
{
	const struct run_opts *o = r->o;

	switch (d->id) {
	case O_HELO:
		snprintf(b, n, "%s", o->ccfg.helo);
		break;
	case O_TIMEOUT:
		if (o->ccfg.timeout_ms)
			snprintf(b, n, "%g s", (double)o->ccfg.timeout_ms / 1000.0);
		else
			snprintf(b, n, "0 (the RFC 5321 times)");
		break;
	case O_CONNECT_TIMEOUT:
		snprintf(b, n, "%g s", (double)o->ccfg.connect_timeout_ms / 1000.0);
		break;
	case O_DATA_LINES:
		snprintf(b, n, "%d%s", o->ccfg.data_lines, o->ccfg.data_lines < 0 ? " (all)" : "");
		break;
	case O_KEEP_GOING:
		snprintf(b, n, "%s", o->keep_going ? "on" : "off");
		break;
	case O_SHOW_SECRETS:
		snprintf(b, n, "%s", o->ccfg.show_secrets ? "on" : "off");
		break;
	default:
		snprintf(b, n, "?");
	}
}

static void
fail(struct run *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* fail - report; a script ends with code, the REPL goes on */
static void
fail(struct run *r, int code, const char *fmt, ...)
{
	char	*msg;
	va_list	 ap;

	if (r->failed)
		return;	/* the first failure decides; the rest is its echo */
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (r->interactive) {
		out_err("%s", msg ? msg : "error");
		r->wait = W_NONE;
		r->expect[0] = '\0';
		free(r->data_file);
		r->data_file = NULL;
		free(msg);
		return;
	}
	if (r->lineno && r->sname[0])
		out_err("%s:%u: %s", r->sname, r->lineno, msg ? msg : "error");
	else
		out_err("%s", msg ? msg : "error");
	free(msg);
	r->failed = 1;
	r->exit_code = code;
	r->wait = W_NONE;
	schedule(r);
}

static void
update_prompt(struct run *r)
{
	const char *peer = client_peer(r->cl);

	if (peer == NULL)
		snprintf(r->prompt, sizeof(r->prompt), "smtpdbg> ");
	else
		snprintf(r->prompt, sizeof(r->prompt), "%s %s%s%s> ", peer,
		    client_tls(r->cl) ? "tls " : "", smtp_client_state_name(client_state(r->cl)),
		    client_waiting(r->cl) ? " (awaiting a reply)" : "");
	if (r->prompt_hook)
		r->prompt_hook(r->prompt_arg);
}

const char *
run_prompt(struct run *r)
{
	return r->prompt;
}

void
run_set_prompt_hook(struct run *r, void (*fn)(void *), void *arg)
{
	r->prompt_hook = fn;
	r->prompt_arg = arg;
}

struct client *
run_client(struct run *r)
{
	return r->cl;
}

int
run_exit_code(const struct run *r)
{
	return r->exit_code;
}

/* expect_match - "250", "2xx", "25x", "2", "250,251" */
static int
expect_match(const char *spec, int code)
{
	char	 d[16];
	const char *s = spec;
	size_t	 i;

	if (code < 100 || code > 999)
		return 0;
	snprintf(d, sizeof(d), "%03d", code);
	while (*s) {
		for (i = 0; s[i] && s[i] != ','; i++)
			if (i >= 3 || (s[i] != d[i] && s[i] != 'x' && s[i] != 'X'))
				break;
		if ((s[i] == ',' || s[i] == '\0') && i > 0)
			return 1;
		s = strchr(s, ',');
		if (s == NULL)
			break;
		s++;
	}
	return 0;
}

static int
expect_valid(const char *spec)
{
	size_t	 i, n = 0;

	for (i = 0; spec[i]; i++) {
		if (spec[i] == ',') {
			if (n == 0)
				return 0;
			n = 0;
			continue;
		}
		if (!((spec[i] >= '0' && spec[i] <= '9') || spec[i] == 'x' || spec[i] == 'X') ||
		    ++n > 3)
			return 0;
	}
	return n > 0;
}

/* check_expect - the last reply against a pending /expect */
static void
check_expect(struct run *r)
{
	int	 code = r->code;

	if (r->expect[0] == '\0')
		return;
	if (expect_match(r->expect, code)) {
		r->expect[0] = '\0';
		return;
	}
	{
		char spec[64];
		snprintf(spec, sizeof(spec), "%s", r->expect);
		r->expect[0] = '\0';
		if (code > 0)
			fail(r, EXIT_EXPECT, "expected %s, got %d %s", spec, code,
			    client_last_line(r->cl));
		else
			fail(r, EXIT_EXPECT, "expected %s, got no reply", spec);
	}
}

/* wait_done - is the current wait over? */
static int
wait_done(struct run *r)
{
	switch (r->wait) {
	case W_NONE:
		return 1;
	case W_REPLIES:
		return !client_is_connected(r->cl) ||
		    (client_waiting(r->cl) == 0 && !opening_busy(r->op));
	case W_CONNECT:
		return !client_is_connecting(r->cl) && (!client_is_connected(r->cl) ||
		    (client_waiting(r->cl) == 0 && !opening_busy(r->op)));
	case W_SLEEP:
		return r->sleep == NULL;
	case W_CLOSE:
		return !client_is_connected(r->cl);
	case W_AUTH:
		return r->auth == NULL;
	default:
		fatalx("%s: bad wait %d", __func__, (int)r->wait);
	}
}

static void
check_wait(struct run *r)
{
	if (r->failed || r->wait == W_NONE || !wait_done(r))
		return;
	r->wait = W_NONE;
	check_expect(r);
	if (r->quitting && !client_is_connected(r->cl)) {
		r->quitting = 0;
		finish(r);
		return;
	}
	pump(r);
}

/* on_reply - a reply the opening did not take */
static void
on_reply(struct run *r, int code)
{
	char	 err[256];

	if (r->auth) {
		auth_step(r, code);
		return;
	}
	r->code = code;
	if (r->bdat_on) {
		if (code / 100 != 2 || r->bdat_off >= r->bdat.len) {
			if (code / 100 != 2 && r->bdat_off < r->bdat.len)
				client_note(r->cl, '!', "/bdat: chunk refused with %d: %zu bytes "
				    "not sent", code, r->bdat.len - r->bdat_off);
			r->bdat_on = 0;
			buf_free(&r->bdat);
		} else
			bdat_next(r);
		return;
	}
	if (r->data_file) {
		char *f = r->data_file;
		r->data_file = NULL;
		if (code != 354) {
			free(f);
			fail(r, EXIT_EXPECT, "/data: DATA got %d, not 354", code);
			return;
		}
		if (client_data_file(r->cl, f, err, sizeof(err)) == -1)
			fail(r, EXIT_LOCAL, "/data: %s", err);
		free(f);
	}
}

/* ev_fail - a failure event, in the words every front end uses */
static void
ev_fail(struct run *r, enum client_ev ev)
{
	char	 why[600];
	int	 code = opening_ev_failure(r->cl, ev, why, sizeof(why));

	fail(r, code, "%s", why);
}

static void
on_client(void *arg, enum client_ev ev, int code)
{
	struct run	*r = arg;

	if (ev == CLIENT_CONNECTED || ev == CLIENT_CONNECT_FAILED || ev == CLIENT_CLOSED ||
	    ev == CLIENT_STATE || ev == CLIENT_TLS_UP || ev == CLIENT_REPLY)
		update_prompt(r);
	if (ev == CLIENT_CONNECTED)
		r->typed = 0;
	if (ev == CLIENT_REPLY && r->auth) {
		auth_step(r, code);
		schedule(r);
		return;
	}
	switch (opening_event(r->op, ev, code)) {
	case OPEN_FAILED:
		if (ev == CLIENT_REPLY && !r->typed)
			r->code = code;
		fail(r, opening_exit(r->op), "%s", opening_why(r->op));
		break;
	case OPEN_TAKEN:
	case OPEN_READY:
	case OPEN_STOPPED:
		/* Right after a connect its replies are the ones /expect sees;
		 * the EHLO after a typed STARTTLS is not what the line sent. */
		if (ev == CLIENT_REPLY && !r->typed)
			r->code = code;
		break;
	case OPEN_PASS:
		switch (ev) {
		case CLIENT_REPLY:
			on_reply(r, code);
			break;
		case CLIENT_CLOSED:
			if (r->auth) {
				auth_free(r->auth);
				r->auth = NULL;
				if (!r->interactive)
					fail(r, EXIT_CONNECT, "connection closed during AUTH");
			}
			if (!r->interactive && r->wait == W_REPLIES && !r->quitting &&
			    client_waiting(r->cl) == 0 && client_last_code(r->cl) != 221 &&
			    client_last_code(r->cl) != 421)
				ev_fail(r, ev);
			break;
		case CLIENT_TIMEOUT:
			if (r->quit_sent)
				client_close(r->cl, NULL);
			ev_fail(r, ev);
			break;
		case CLIENT_VIOLATION:
			r->violations++;
			if (!r->interactive && !r->o->keep_going)
				ev_fail(r, ev);
			break;
		case CLIENT_LOCAL_ERROR:
			ev_fail(r, ev);
			break;
		default:
			break;
		}
		break;
	}
	if (r->quitting && client_is_connected(r->cl) && client_waiting(r->cl) == 0)
		r->close_due = 1;
	/* Never act inside the engine's callback: do the rest at the tick. */
	schedule(r);
}

/* bdat_next - /bdat: the next chunk (each waits for the previous reply) */
static void
bdat_next(struct run *r)
{
	size_t	 n = r->bdat.len - r->bdat_off;
	char	 err[512];

	if (n > r->bdat_chunk)
		n = r->bdat_chunk;
	if (client_bdat(r->cl, buf_ptr(&r->bdat) + r->bdat_off, n,
	    r->bdat_off + n >= r->bdat.len, err, sizeof(err)) == -1) {
		r->bdat_on = 0;
		buf_free(&r->bdat);
		fail(r, EXIT_USAGE, "/bdat: %s", err);
		return;
	}
	r->bdat_off += n;
}

/* auth_start - begin AUTH (mech, user: NULL for the configured ones) */
static int
auth_start(struct run *r, const char *mech, const char *user, int automatic)
{
	struct auth_cfg	 a = r->o->auth;
	char		 err[512];

	if (mech)
		a.mech = mech;
	if (user)
		a.user = user;
	if (r->secret)
		a.secret = r->secret;
	if (opening_plaintext(r->cl, r->o->auth_plaintext_ok, err, sizeof(err)) == -1) {
		fail(r, EXIT_TLS, "%s", err);
		return -1;
	}
	if ((r->auth = auth_begin(r->cl, &a, err, sizeof(err))) == NULL) {
		fail(r, EXIT_AUTH, "AUTH: %s", err);
		return -1;
	}
	if (automatic && r->wait == W_NONE)
		r->wait = W_AUTH;
	return 0;
}

/* auth_step - a reply during AUTH */
static void
auth_step(struct run *r, int code)
{
	char	 err[512];

	switch (auth_reply(r->auth, code, err, sizeof(err))) {
	case AUTH_MORE:
		return;
	case AUTH_DONE:
		client_note(r->cl, '*', "authenticated with %s", auth_mech(r->auth));
		break;
	case AUTH_FAILED:
		if (r->interactive)
			client_note(r->cl, '!', "AUTH failed: %s", err);
		else
			fail(r, EXIT_AUTH, "AUTH failed: %s", err);
		break;
	}
	auth_free(r->auth);
	r->auth = NULL;
	if (r->secret) {
		memset(r->secret, 0, strlen(r->secret));
		free(r->secret);
		r->secret = NULL;
	}
}

static void
tick(void *arg)
{
	struct run *r = arg;

	r->tick = NULL;
	if (r->failed) {
		/* A script that failed still ends the session politely when the
		 * server can hear it: QUIT, its reply, then the exit code. */
		if (!r->quit_sent && r->exit_code != EXIT_TIMEOUT &&
		    r->exit_code != EXIT_PROTOCOL && opening_may_quit(r->op) &&
		    client_state(r->cl) != SMTP_C_DATA) {
			char err[256];
			r->quit_sent = 1;
			if (client_command(r->cl, "QUIT", err, sizeof(err)) == 0)
				return;
		}
		if (r->quit_sent && client_is_connected(r->cl) && client_waiting(r->cl) > 0)
			return;	/* its reply, a close or a timeout comes */
		client_close(r->cl, NULL);
		loop_quit(r->exit_code);
		return;
	}
	if (r->close_due) {
		r->close_due = 0;
		client_close(r->cl, "closing after QUIT");
	}
	if (r->wait != W_NONE)
		check_wait(r);
	else
		pump(r);
}

/* schedule - run tick() once the current callback chain has returned */
static void
schedule(struct run *r)
{
	if (r->tick == NULL)
		r->tick = loop_add_timer(0, tick, r);
}

struct run *
run_new(struct run_opts *o, int interactive)
{
	struct run	*r = xcalloc(1, sizeof(*r));
	struct client_hooks h = { on_client, r };

	r->o = o;
	r->interactive = interactive;
	r->sfd = -1;
	buf_init(&r->sbuf, 1024 * 1024);
	r->cl = client_new(&o->ccfg, &h);
	{
		struct opening_cfg oc;
		memset(&oc, 0, sizeof(oc));
		oc.helo = o->ccfg.helo;
		oc.greet = o->auto_ehlo || o->starttls || o->tls_required || o->auth.user;
		oc.lmtp = o->ccfg.lmtp;
		oc.starttls = o->tls_required ? OPEN_TLS_REQUIRED : o->starttls ? OPEN_TLS_TRY :
		    OPEN_TLS_OFF;
		oc.no_verify = o->no_verify || interactive;
		oc.interactive = interactive;
		oc.auth = &o->auth;
		oc.auth_plaintext_ok = o->auth_plaintext_ok;
		oc.ask_secret = isatty(STDIN_FILENO);
		r->op = opening_new(r->cl, &oc);
	}
	update_prompt(r);
	return r;
}

void
run_free(struct run *r)
{
	auth_free(r->auth);
	if (r->bdat_on)
		buf_free(&r->bdat);
	if (r->secret) {
		memset(r->secret, 0, strlen(r->secret));
		free(r->secret);
	}
	size_t	 i;

	if (r == NULL)
		return;
	client_free(r->cl);
	opening_free(r->op);
	for (i = 0; i < r->qlen; i++)
		free(r->q[(r->qhead + i) % r->qcap]);
	free(r->q);
	if (r->spolled)
		loop_del_fd(r->sfd);
	buf_free(&r->sbuf);
	loop_del_timer(r->sleep);
	loop_del_timer(r->tick);
	free(r->data_file);
	free(r);
}

static void
on_script_readable(int fd, unsigned ev, void *arg)
{
	struct run	*r = arg;
	char		 b[8192];
	ssize_t		 n;

	n = read(fd, b, sizeof(b) < buf_space(&r->sbuf) ? sizeof(b) : buf_space(&r->sbuf));
	if (n > 0)
		buf_append(&r->sbuf, b, (size_t)n);
	else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		r->seof = 1;
		loop_del_fd(fd);
		r->spolled = 0;
	}
	if (buf_space(&r->sbuf) == 0 && buf_findline(&r->sbuf) == 0) {
		fail(r, EXIT_USAGE, "script line longer than 1 MiB");
		return;
	}
	pump(r);
}

void
run_script_fd(struct run *r, int fd, const char *name)
{
	r->sfd = fd;
	snprintf(r->sname, sizeof(r->sname), "%s", name);
	/* A pipe or tty is watched; a regular file is read on demand. */
	if (loop_add_fd(fd, LOOP_IN, on_script_readable, r) == 0)
		r->spolled = 1;
	schedule(r);
}

void
run_script_lines(struct run *r, const char *const *lines, const char *name)
{
	r->blines = lines;
	snprintf(r->sname, sizeof(r->sname), "%s", name);
	schedule(r);
}

void
run_line(struct run *r, const char *line)
{
	if (r->qlen == r->qcap) {
		size_t i, ncap = r->qcap ? r->qcap * 2 : 16;
		char **nq = xcalloc(ncap, sizeof(*nq));
		for (i = 0; i < r->qlen; i++)
			nq[i] = r->q[(r->qhead + i) % r->qcap];
		free(r->q);
		r->q = nq;
		r->qhead = 0;
		r->qcap = ncap;
	}
	r->q[(r->qhead + r->qlen++) % r->qcap] = xstrdup(line);
	pump(r);
}

void
run_quit(struct run *r)
{
	char	 none[] = "";

	if (r->quitting || !client_is_connected(r->cl) || client_state(r->cl) == SMTP_C_DATA ||
	    client_state(r->cl) == SMTP_C_TLS || client_state(r->cl) == SMTP_C_QUIT) {
		client_close(r->cl, NULL);
		loop_quit(r->exit_code);
		return;
	}
	run_interrupt(r);
	if (cmd_quit(r, none) == -1)
		loop_quit(r->exit_code);
}

int
run_interrupt(struct run *r)
{
	int	 stopped = r->wait != W_NONE || r->qlen > 0;

	while (r->qlen > 0) {
		free(r->q[r->qhead]);
		r->qhead = (r->qhead + 1) % r->qcap;
		r->qlen--;
	}
	if (r->wait != W_NONE)
		out_err("stopped waiting (%zu repl%s still expected)", client_waiting(r->cl),
		    client_waiting(r->cl) == 1 ? "y" : "ies");
	r->wait = W_NONE;
	r->expect[0] = '\0';
	loop_del_timer(r->sleep);
	r->sleep = NULL;
	return stopped;
}

/* next_line - allocated, or NULL when none is available yet */
static char *
next_line(struct run *r)
{
	char	*l;
	size_t	 n;

	if (r->qlen > 0) {
		l = r->q[r->qhead];
		r->qhead = (r->qhead + 1) % r->qcap;
		r->qlen--;
		return l;
	}
	if (r->blines) {
		if (*r->blines == NULL)
			return NULL;
		return xstrdup(*r->blines++);
	}
	if (r->sfd == -1)
		return NULL;
	for (;;) {
		n = buf_findline(&r->sbuf);
		if (n > 0) {
			l = xstrndup((const char *)buf_ptr(&r->sbuf), n - 1);
			buf_drain(&r->sbuf, n);
			return l;
		}
		if (r->seof) {
			if (r->sbuf.len == 0)
				return NULL;
			l = xstrndup((const char *)buf_ptr(&r->sbuf), r->sbuf.len);
			buf_drain(&r->sbuf, r->sbuf.len);
			return l;
		}
		if (r->spolled)
			return NULL;	/* on_script_readable will call pump */
		/* A regular file: read it directly. */
		char b[8192];
		ssize_t rd = read(r->sfd, b, sizeof(b) < buf_space(&r->sbuf) ?
		    sizeof(b) : buf_space(&r->sbuf));
		if (rd > 0)
			buf_append(&r->sbuf, b, (size_t)rd);
		else if (rd == 0 || errno != EINTR)
			r->seof = 1;
	}
}

static int
source_done(struct run *r)
{
	if (r->interactive)
		return 0;
	if (r->blines)
		return *r->blines == NULL;
	return r->sfd == -1 || (r->seof && r->sbuf.len == 0);
}

static void
finish(struct run *r)
{
	if (r->failed)
		return;
	if (client_is_connected(r->cl) && client_waiting(r->cl) > 0) {
		r->wait = W_REPLIES;
		return;
	}
	if (r->o->quiet)
		out_printf("ok: last reply %d\n", client_last_code(r->cl));
	client_close(r->cl, NULL);
	loop_quit(r->exit_code);
}

/* needs_tls - commands --no-plaintext never sends in plaintext */
static int
needs_tls(const char *line)
{
	switch (smtp_cmd_lookup(line, strlen(line), NULL)) {
	case SMTP_V_MAIL:
	case SMTP_V_RCPT:
	case SMTP_V_DATA:
	case SMTP_V_BDAT:
	case SMTP_V_AUTH:
		return 1;
	default:
		return 0;
	}
}

static void
exec_line(struct run *r, char *line)
{
	size_t	 n = strlen(line), i;
	char	 err[512];

	if (n && line[n - 1] == '\r')
		line[--n] = '\0';
	/* In message data every line is content, "." alone ends it. */
	if (client_is_connected(r->cl) && client_state(r->cl) == SMTP_C_DATA) {
		if (client_data_line(r->cl, line, n, err, sizeof(err)) == -1)
			fail(r, EXIT_LOCAL, "%s", err);
		else if (n == 1 && line[0] == '.')
			r->wait = W_REPLIES;
		return;
	}
	for (i = 0; line[i] == ' ' || line[i] == '\t'; i++)
		;
	if (line[i] == '\0' || line[i] == '#')
		return;
	if (line[i] == '/') {
		char *name = line + i + 1, *args;
		size_t k, nl = strcspn(name, " \t");
		args = name + nl;
		while (*args == ' ' || *args == '\t')
			*args++ = '\0';
		name[nl] = '\0';
		for (k = 0; k < NCMDS; k++)
			if (strcasecmp(cmdtab[k].name, name) == 0)
				break;
		if (k == NCMDS) {
			fail(r, EXIT_USAGE, "unknown command /%s (try /help)", name);
			return;
		}
		if (cmdtab[k].fn != cmd_raw && cmdtab[k].fn != cmd_echo) {
			/* a file name completed with a space after it is still the name */
			size_t al = strlen(args);
			while (al && (args[al - 1] == ' ' || args[al - 1] == '\t'))
				args[--al] = '\0';
		}
		cmdtab[k].fn(r, args);
		return;
	}
	if (r->o->tls_required && client_is_connected(r->cl) && !client_tls(r->cl) &&
	    needs_tls(line + i)) {
		fail(r, EXIT_TLS, "--no-plaintext: refusing to send %.*s over a plaintext "
		    "connection", (int)strcspn(line + i, " "), line + i);
		return;
	}
	if (client_command(r->cl, line, err, sizeof(err)) == -1) {
		fail(r, client_is_connected(r->cl) ? EXIT_USAGE : EXIT_CONNECT, "%s", err);
		return;
	}
	r->wait = W_REPLIES;
}

static void
pump(struct run *r)
{
	char	*l;

	if (r->in_pump)
		return;
	r->in_pump = 1;
	while (!r->failed && r->wait == W_NONE && loop_running()) {
		l = next_line(r);
		if (l == NULL) {
			if (source_done(r))
				finish(r);
			break;
		}
		if (!r->blines || r->sname[0])
			r->lineno++;
		if (r->blines && r->o->ccfg.text && l[0] == '/')
			client_note(r->cl, '*', "%s> %s", r->sname, l);
		exec_line(r, l);
		free(l);
		if (r->wait == W_REPLIES || r->wait == W_CLOSE || r->wait == W_AUTH) {
			r->typed = 1;	/* /expect now checks what this line sent */
			r->code = 0;
			if (r->interactive)
				update_prompt(r);
		}
		if (r->wait != W_NONE && wait_done(r))
			r->wait = W_NONE, check_expect(r);
	}
	r->in_pump = 0;
}

int
run_connect(struct run *r, const char *target)
{
	char	 buf[300];

	snprintf(buf, sizeof(buf), "%s", target);
	return cmd_connect(r, buf);
}

/* Helper commands. */

static int
cmd_connect(struct run *r, char *a)
{
	char	 err[512];

	if (*a == '\0') {
		fail(r, EXIT_USAGE, "usage: /connect HOST[:PORT]");
		return -1;
	}
	if (client_connect(r->cl, a, err, sizeof(err)) == -1) {
		fail(r, EXIT_CONNECT, "%s", err);
		return -1;
	}
	r->wait = W_CONNECT;
	return 0;
}

static int
cmd_quit(struct run *r, char *a)
{
	char	 err[256];

	if (!client_is_connected(r->cl)) {
		finish(r);
		if (r->interactive)
			loop_quit(r->exit_code);
		return 0;
	}
	if (client_state(r->cl) == SMTP_C_DATA) {
		fail(r, EXIT_USAGE, "in message data: end it with \".\" first");
		return -1;
	}
	if (client_command(r->cl, "QUIT", err, sizeof(err)) == -1) {
		fail(r, EXIT_CONNECT, "%s", err);
		return -1;
	}
	r->quitting = 1;
	r->wait = W_CLOSE;
	return 0;
}

static int
cmd_close(struct run *r, char *a)
{
	if (!client_is_connected(r->cl) && !client_is_connecting(r->cl)) {
		fail(r, EXIT_USAGE, "not connected");
		return -1;
	}
	client_close(r->cl, "closed by /close");
	return 0;
}

/* caps_row - one keyword; a long parameter list wraps at word
 * boundaries within its column, the meaning on the first line */
static void
caps_row(struct buf *o, const char *kw, const char *params, const char *what)
{
	const char *p = params;
	size_t	 take, w;
	int	 first = 1;

	do {
		take = strlen(p);
		if (take > 24) {
			/* as many whole words as fit; a longer word alone */
			for (take = 0; p[take];) {
				w = strcspn(p + take, " ");
				if (take && take + w > 24)
					break;
				take += w;
				if (p[take] == ' ' && take < 24)
					take++;
				else
					break;
			}
		}
		buf_printf(o, "  %-20s %-24.*s %s\n", first ? kw : "", (int)take, p,
		    first ? what : "");
		first = 0;
		p += take;
		while (*p == ' ')
			p++;
	} while (*p);
}

static int
cmd_caps(struct run *r, char *a)
{
	const struct caps *c = client_caps(r->cl);
	struct buf	 o, e;
	char		 what[256];
	size_t		 i;

	if (!c->valid) {
		fail(r, EXIT_USAGE, "no EHLO capabilities yet (send EHLO first)");
		return -1;
	}
	buf_init(&o, SIZE_MAX);
	buf_init(&e, SIZE_MAX);
	buf_printf(&o, "%sEHLO capabilities of %s%s\n", out_sgr(OC_BOLD), c->domain, out_reset());
	buf_printf(&o, "  %-20s %-24s %s\n", "KEYWORD", "PARAMETERS", "MEANING");
	for (i = 0; i < c->n; i++) {
		caps_describe(&c->e[i], what, sizeof(what));
		buf_drain(&e, e.len);
		esc_text(&e, c->e[i].params, strlen(c->e[i].params), 0);
		buf_append(&e, "", 1);
		caps_row(&o, c->e[i].keyword, (const char *)buf_ptr(&e), what);
	}
	if (c->n == 0)
		buf_printf(&o, "  (no extensions advertised)\n");
	buf_append(&o, "", 1);
	out_puts((const char *)buf_ptr(&o));
	buf_free(&o);
	buf_free(&e);
	return 0;
}

static int
cmd_raw(struct run *r, char *a)
{
	struct buf	 b;
	char		 err[256];

	buf_init(&b, 1024 * 1024);
	if (esc_unescape(&b, a, err, sizeof(err)) == -1) {
		buf_free(&b);
		fail(r, EXIT_USAGE, "/raw: %s", err);
		return -1;
	}
	if (b.len == 0) {
		buf_free(&b);
		fail(r, EXIT_USAGE, "usage: /raw BYTES (e.g. /raw NOOP\\r\\n)");
		return -1;
	}
	if (client_raw(r->cl, buf_ptr(&b), b.len, err, sizeof(err)) == -1) {
		buf_free(&b);
		fail(r, client_is_connected(r->cl) ? EXIT_USAGE : EXIT_CONNECT, "%s", err);
		return -1;
	}
	buf_free(&b);
	r->wait = W_REPLIES;
	return 0;
}

static int
cmd_data(struct run *r, char *a)
{
	char	 err[512];

	if (*a == '\0') {
		fail(r, EXIT_USAGE, "usage: /data FILE");
		return -1;
	}
	if (access(a, R_OK) == -1) {
		fail(r, EXIT_LOCAL, "/data: %s: %s", a, strerror(errno));
		return -1;
	}
	if (client_is_connected(r->cl) && client_state(r->cl) == SMTP_C_DATA) {
		if (client_data_file(r->cl, a, err, sizeof(err)) == -1) {
			fail(r, EXIT_LOCAL, "/data: %s", err);
			return -1;
		}
		r->wait = W_REPLIES;
		return 0;
	}
	if (client_command(r->cl, "DATA", err, sizeof(err)) == -1) {
		fail(r, client_is_connected(r->cl) ? EXIT_USAGE : EXIT_CONNECT, "%s", err);
		return -1;
	}
	free(r->data_file);
	r->data_file = xstrdup(a);
	r->wait = W_REPLIES;
	return 0;
}

static int
cmd_bdat(struct run *r, char *a)
{
	char	*sp = strchr(a, ' '), err[512];
	long	 c = 65536;

	if (sp) {
		*sp++ = '\0';
		c = strtol(sp, NULL, 10);
	}
	if (*a == '\0' || c < 1 || c > 64 * 1024 * 1024) {
		fail(r, EXIT_USAGE, "usage: /bdat FILE [CHUNK] (CHUNK 1 .. 64 MiB)");
		return -1;
	}
	if (!client_is_connected(r->cl) || (client_state(r->cl) != SMTP_C_RCPT &&
	    client_state(r->cl) != SMTP_C_MAIL)) {
		fail(r, EXIT_USAGE, "/bdat: MAIL and RCPT first");
		return -1;
	}
	buf_init(&r->bdat, 256 * 1024 * 1024);
	if (send_read_file(a, &r->bdat, err, sizeof(err)) == -1) {
		buf_free(&r->bdat);
		fail(r, EXIT_LOCAL, "/bdat: %s", err);
		return -1;
	}
	if (!caps_find(client_caps(r->cl), "CHUNKING"))
		client_note(r->cl, '!', "/bdat: the server did not offer CHUNKING");
	client_note(r->cl, '*', "/bdat: %zu bytes in chunks of %ld, sent as they are",
	    r->bdat.len, c);
	r->bdat_chunk = (size_t)c;
	r->bdat_off = 0;
	r->bdat_on = 1;
	bdat_next(r);
	r->wait = W_REPLIES;
	return 0;
}

static int
cmd_set(struct run *r, char *a)
{
	char	*v = a + strcspn(a, " \t"), err[400];
	const struct opt_def *d = NULL;
	struct opt_val val;
	size_t	 k;

	if (*v)
		*v++ = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	if (strncmp(a, "--", 2) == 0)
		a += 2;
	for (k = 0; k < NSET; k++)
		if (strcasecmp(a, set_row(k)->name) == 0)
			d = set_row(k);
	if (d == NULL || (*v == '\0' && d->type != OT_FLAG)) {
		fail(r, EXIT_USAGE, "usage: /set NAME VALUE; NAME: %s %s %s %s %s %s",
		    set_row(0)->name, set_row(1)->name, set_row(2)->name, set_row(3)->name,
		    set_row(4)->name, set_row(5)->name);
		return -1;
	}
	if (opt_value(d, *v ? v : NULL, &val, err, sizeof(err)) == -1 ||
	    run_opt_apply(r->o, d, &val, err, sizeof(err)) == -1) {
		fail(r, EXIT_USAGE, "/set %s: %s", d->name, err);
		return -1;
	}
	if (d->id == O_TIMEOUT && client_is_connected(r->cl))
		client_note(r->cl, '*', "timeout applies from the next command");
	return 0;
}

static int
cmd_show(struct run *r, char *a)
{
	struct buf o;
	char	 v[300];
	size_t	 k;

	buf_init(&o, SIZE_MAX);
	for (k = 0; k < NSET; k++) {
		if (*a && strcasecmp(a, set_row(k)->name) != 0)
			continue;
		set_value(r, set_row(k), v, sizeof(v));
		buf_printf(&o, "%-16s %s\n", set_row(k)->name, v);
	}
	if (*a == '\0')
		buf_printf(&o, "%-16s %s (%s)\n", "connection",
		    client_peer(r->cl) ? client_peer(r->cl) : "none",
		    smtp_client_state_name(client_state(r->cl)));
	else if (o.len == 0) {
		buf_free(&o);
		fail(r, EXIT_USAGE, "/show: no session option %s", a);
		return -1;
	}
	buf_append(&o, "", 1);
	out_puts((const char *)buf_ptr(&o));
	buf_free(&o);
	return 0;
}

static int
cmd_save(struct run *r, char *a)
{
	struct buf	*t = client_transcript(r->cl);
	FILE		*f;

	if (*a == '\0') {
		fail(r, EXIT_USAGE, "usage: /save FILE");
		return -1;
	}
	if ((f = fopen(a, "w")) == NULL) {
		fail(r, EXIT_LOCAL, "/save: %s: %s", a, strerror(errno));
		return -1;
	}
	fwrite(buf_ptr(t), 1, t->len, f);
	if (fclose(f) == EOF) {
		fail(r, EXIT_LOCAL, "/save: %s: %s", a, strerror(errno));
		return -1;
	}
	if (r->interactive)
		out_printf("saved %zu bytes of transcript to %s\n", t->len, a);
	return 0;
}

static int
cmd_help(struct run *r, char *a)
{
	char	*text = NULL;
	size_t	 i;

	if (*a == '\0') {
		struct buf o;
		buf_init(&o, SIZE_MAX);
		buf_printf(&o, "Lines without a leading / go to the server as SMTP commands.\n"
		    "Helper commands:\n");
		for (i = 0; i < NCMDS; i++)
			buf_printf(&o, "  /%-8s %-16s %s\n", cmdtab[i].name, cmdtab[i].args,
			    cmdtab[i].help);
		buf_printf(&o, "/help TOPIC shows a manual section: a command (/help raw), an "
		    "option (/help timeout), or a heading (/help scripts, /help exit).\n");
		buf_append(&o, "", 1);
		out_puts((const char *)buf_ptr(&o));
		buf_free(&o);
		return 0;
	}
	if (man_help(a, out_color(), &text) == -1) {
		fail(r, EXIT_USAGE, "no manual section matches \"%s\"", a);
		return -1;
	}
	out_puts(text);
	free(text);
	return 0;
}

static int
cmd_expect(struct run *r, char *a)
{
	char	*cmd = a + strcspn(a, " \t");

	if (*cmd)
		*cmd++ = '\0';
	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	if (!expect_valid(a) || strlen(a) >= sizeof(r->expect)) {
		fail(r, EXIT_USAGE, "usage: /expect CODES [COMMAND], CODES like 250, 2xx, "
		    "25x or 250,251");
		return -1;
	}
	snprintf(r->expect, sizeof(r->expect), "%s", a);
	if (*cmd == '\0') {
		check_expect(r);
		return 0;
	}
	exec_line(r, cmd);
	if (r->wait == W_NONE)
		check_expect(r);
	return 0;
}

static void
sleep_done(void *arg)
{
	struct run *r = arg;

	r->sleep = NULL;
	check_wait(r);
}

static int
cmd_sleep(struct run *r, char *a)
{
	char	*end;
	double	 s = strtod(a, &end);

	if (*a == '\0' || *end || s < 0 || s > 86400) {
		fail(r, EXIT_USAGE, "usage: /sleep SECONDS");
		return -1;
	}
	r->sleep = loop_add_timer((uint64_t)(s * 1000), sleep_done, r);
	r->wait = W_SLEEP;
	return 0;
}

static int
cmd_echo(struct run *r, char *a)
{
	client_note(r->cl, '*', "%s", a);
	return 0;
}

static int
cmd_starttls(struct run *r, char *a)
{
	char	 line[] = "STARTTLS";

	if (client_tls(r->cl)) {
		fail(r, EXIT_USAGE, "TLS is already active");
		return -1;
	}
	exec_line(r, line);
	return 0;
}

static int
cmd_cert(struct run *r, char *a)
{
	struct buf	 b;
	char		*file = a + strcspn(a, " \t");
	FILE		*f;

	if (*file)
		*file++ = '\0';
	while (*file == ' ' || *file == '\t')
		file++;
	if (client_report(r->cl) == NULL) {
		fail(r, EXIT_USAGE, "no TLS session yet (STARTTLS first, or connect with --tls)");
		return -1;
	}
	if (*a == '\0') {
		client_print_report(r->cl);
		return 0;
	}
	if (strcmp(a, "pem") != 0) {
		fail(r, EXIT_USAGE, "usage: /cert [pem [FILE]]");
		return -1;
	}
	buf_init(&b, 1 << 20);
	if (client_peer_pem(r->cl, &b) == -1) {
		buf_free(&b);
		fail(r, EXIT_USAGE, "the connection is gone; no chain to write");
		return -1;
	}
	if (*file == '\0') {
		buf_append(&b, "", 1);
		out_puts((const char *)buf_ptr(&b));
	} else if ((f = fopen(file, "w")) == NULL || fwrite(buf_ptr(&b), 1, b.len, f) != b.len ||
	    fclose(f) == EOF) {
		buf_free(&b);
		fail(r, EXIT_LOCAL, "/cert pem: %s: %s", file, strerror(errno));
		return -1;
	} else if (r->interactive)
		out_printf("wrote the chain (%zu bytes of PEM) to %s\n", b.len, file);
	buf_free(&b);
	return 0;
}

static int
cmd_auth(struct run *r, char *a)
{
	char	*mech = NULL, *user = NULL, prompt[300];

	if (!client_is_connected(r->cl) || client_state(r->cl) != SMTP_C_READY) {
		fail(r, EXIT_USAGE, "/auth: connect and say EHLO first (no transaction open)");
		return -1;
	}
	if (*a) {
		mech = a;
		a += strcspn(a, " \t");
		if (*a) {
			*a++ = '\0';
			while (*a == ' ' || *a == '\t')
				a++;
			user = *a ? a : NULL;
		}
	}
	if (user == NULL && r->o->auth.user == NULL) {
		fail(r, EXIT_USAGE, "/auth: whose? /auth MECH USER, or --auth-user");
		return -1;
	}
	if (r->o->auth.secret == NULL) {
		if (!r->interactive) {
			fail(r, EXIT_USAGE, "/auth: no secret (--auth-password-env VAR or "
			    "--auth-password-file FILE)");
			return -1;
		}
		snprintf(prompt, sizeof(prompt), "secret for %s (not shown): ",
		    user ? user : r->o->auth.user);
		if ((r->secret = auth_read_secret(prompt)) == NULL) {
			fail(r, EXIT_LOCAL, "/auth: cannot read the secret from the terminal");
			return -1;
		}
	}
	if (auth_start(r, mech, user, 0) == -1)
		return -1;
	r->wait = W_AUTH;
	return 0;
}
