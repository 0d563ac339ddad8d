/*
 * opening - see opening.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opening.h"
#include "cli/run.h"
#include "session/caps.h"
#include "session/xalloc.h"

enum phase {
	PH_IDLE,	/* not connected */
	PH_GREETING,	/* waiting for the 220 */
	PH_EHLO,	/* EHLO or LHLO sent */
	PH_HELO,	/* HELO sent after EHLO got a 5xx */
	PH_STARTTLS,	/* STARTTLS sent */
	PH_HANDSHAKE,	/* 220 to STARTTLS: the client shakes hands */
	PH_EHLO_TLS,	/* EHLO again inside TLS */
	PH_AUTH,	/* the AUTH exchange */
	PH_READY,	/* done: the front end's turn */
	PH_FAILED,
};

/*
 * The table: each failure's exit code; a 4xx reply where a stage has a
 * "try later" code gives that one (run.h, the manual's EXIT STATUS).
 */
static const struct {
	int	 exit;		/* 5xx, or no reply */
	int	 temp;		/* 4xx (0: the same) */
} fail_tab[OF_COUNT] = {
	[OF_NONE]	= { EXIT_OK, 0 },
	[OF_CONNECT]	= { EXIT_CONNECT, 0 },
	[OF_GREETING]	= { EXIT_CONNECT, 0 },
	[OF_NO_GREETING] = { EXIT_CONNECT, 0 },
	[OF_EHLO]	= { EXIT_HELO, EXIT_HELO_TEMP },
	[OF_NO_STARTTLS] = { EXIT_TLS, 0 },
	[OF_STARTTLS]	= { EXIT_TLS, 0 },
	[OF_HANDSHAKE]	= { EXIT_TLS, 0 },
	[OF_VERIFY]	= { EXIT_TLS, 0 },
	[OF_EHLO_TLS]	= { EXIT_HELO, EXIT_HELO_TEMP },
	[OF_PLAINTEXT]	= { EXIT_TLS, 0 },
	[OF_NO_SECRET]	= { EXIT_USAGE, 0 },
	[OF_AUTH]	= { EXIT_AUTH, EXIT_AUTH_TEMP },
	[OF_CLOSED]	= { EXIT_CONNECT, 0 },
	[OF_TIMEOUT]	= { EXIT_TIMEOUT, 0 },
};

struct opening {
	struct opening_cfg	 cfg;
	struct client		*cl;
	enum phase		 phase;
	enum open_fail		 fail;
	int			 fail_code;	/* the reply that failed, or 0 */
	char			 why[700];
	struct auth		*auth;
	char			*secret;	/* asked on the terminal */
	int			 authed;
};

int
opening_fail_exit(enum open_fail f, int code)
{
	if ((unsigned)f >= OF_COUNT)
		fatalx("%s: bad failure %d", __func__, (int)f);
	if (code >= 400 && code < 500 && fail_tab[f].temp)
		return fail_tab[f].temp;
	return fail_tab[f].exit;
}

struct opening *
opening_new(struct client *cl, const struct opening_cfg *cfg)
{
	struct opening *op = xcalloc(1, sizeof(*op));

	op->cl = cl;
	op->cfg = *cfg;
	return op;
}

static void
forget_secret(struct opening *op)
{
	if (op->secret) {
		memset(op->secret, 0, strlen(op->secret));
		free(op->secret);
		op->secret = NULL;
	}
}

void
opening_free(struct opening *op)
{
	if (op == NULL)
		return;
	auth_free(op->auth);
	forget_secret(op);
	free(op);
}

static enum open_result
failed(struct opening *op, enum open_fail f, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum open_result
failed(struct opening *op, enum open_fail f, int code, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n;

	va_start(ap, fmt);
	vsnprintf(op->why, sizeof(op->why), fmt, ap);
	va_end(ap);
	if (code > 0) {
		/* the reply itself, so a person can act on it */
		n = strlen(op->why);
		snprintf(op->why + n, sizeof(op->why) - n, ": %d %s", code,
		    client_last_line(op->cl));
	}
	op->phase = PH_FAILED;
	op->fail = f;
	op->fail_code = code;
	auth_free(op->auth);
	op->auth = NULL;
	forget_secret(op);
	return OPEN_FAILED;
}

int
opening_busy(const struct opening *op)
{
	return op->phase != PH_IDLE && op->phase != PH_READY && op->phase != PH_FAILED;
}

int
opening_ready(const struct opening *op)
{
	return op->phase == PH_READY;
}

enum open_fail
opening_failure(const struct opening *op)
{
	return op->phase == PH_FAILED ? op->fail : OF_NONE;
}

int
opening_exit(const struct opening *op)
{
	return op->phase == PH_FAILED ? opening_fail_exit(op->fail, op->fail_code) : 0;
}

const char *
opening_why(const struct opening *op)
{
	return op->phase == PH_FAILED ? op->why : "";
}

int
opening_ev_failure(struct client *cl, enum client_ev ev, char *why, size_t len)
{
	switch (ev) {
	case CLIENT_CLOSED:
		if (client_last_code(cl) > 0)
			snprintf(why, len, "the server closed the connection (after %d %s)",
			    client_last_code(cl), client_last_line(cl));
		else
			snprintf(why, len, "the server closed the connection (no reply)");
		return EXIT_CONNECT;
	case CLIENT_TIMEOUT:
		snprintf(why, len, "timeout waiting for a reply (%s)", client_timeout_words(cl));
		return EXIT_TIMEOUT;
	case CLIENT_VIOLATION:
		snprintf(why, len, "protocol violation by the server: %s (see the transcript; "
		    "--keep-going to continue)", client_violation(cl));
		return EXIT_PROTOCOL;
	case CLIENT_LOCAL_ERROR:
		snprintf(why, len, "local error while sending data");
		return EXIT_LOCAL;
	default:
		return 0;
	}
}

int
opening_may_quit(const struct opening *op)
{
	enum smtp_client_state s = client_state(op->cl);

	if (!client_is_connected(op->cl) || client_waiting(op->cl) > 0)
		return 0;
	if (op->phase == PH_FAILED && (op->fail == OF_TIMEOUT || op->fail == OF_HANDSHAKE ||
	    op->fail == OF_CLOSED || op->fail == OF_CONNECT || op->fail == OF_NO_GREETING))
		return 0;
	return s == SMTP_C_READY || s == SMTP_C_MAIL || s == SMTP_C_RCPT;
}

int
opening_plaintext(struct client *cl, int plaintext_ok, char *err, size_t errlen)
{
	if (client_tls(cl) || plaintext_ok)
		return 0;
	snprintf(err, errlen, "refusing to send credentials over a plaintext connection "
	    "(--starttls or --tls; --auth-plaintext-ok to allow it)");
	return -1;
}

/* stage - a stage passed: 1 when the front end stops there */
static int
stage(struct opening *op, enum open_stage st)
{
	return op->cfg.stage && op->cfg.stage(op->cfg.arg, st);
}

static enum open_result
send_line(struct opening *op, enum phase next, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum open_result
send_line(struct opening *op, enum phase next, const char *fmt, ...)
{
	char	 line[320], err[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (client_command(op->cl, line, err, sizeof(err)) == -1)
		return failed(op, OF_CLOSED, 0, "%s", err);
	op->phase = next;
	return OPEN_TAKEN;
}

/* ready - nothing more to do before the front end's work */
static enum open_result
ready(struct opening *op)
{
	op->phase = PH_READY;
	return OPEN_READY;
}

/* do_auth - AUTH when a user is configured (once per connection) */
static enum open_result
do_auth(struct opening *op)
{
	struct auth_cfg	 a;
	char		 err[512], prompt[300];

	if (op->cfg.auth == NULL || op->cfg.auth->user == NULL || op->authed) {
		if (stage(op, OPEN_ST_AUTH))
			return OPEN_STOPPED;
		return ready(op);
	}
	a = *op->cfg.auth;
	if (opening_plaintext(op->cl, op->cfg.auth_plaintext_ok, err, sizeof(err)) == -1)
		return failed(op, OF_PLAINTEXT, 0, "%s", err);
	if (a.secret == NULL && op->cfg.ask_secret) {
		snprintf(prompt, sizeof(prompt), "secret for %s (not shown): ", a.user);
		op->secret = auth_read_secret(prompt);
		a.secret = op->secret;
	}
	if (a.secret == NULL)
		return failed(op, OF_NO_SECRET, 0, "--auth-user needs --auth-password-env or "
		    "--auth-password-file (or a terminal to ask on)");
	op->authed = 1;
	if ((op->auth = auth_begin(op->cl, &a, err, sizeof(err))) == NULL)
		return failed(op, OF_AUTH, 0, "AUTH: %s", err);
	op->phase = PH_AUTH;
	return OPEN_TAKEN;
}

/* do_tls - after EHLO: STARTTLS when wanted, else AUTH */
/* tls_passed - TLS is up, or this session goes without it */
static enum open_result
tls_passed(struct opening *op)
{
	if (stage(op, OPEN_ST_TLS))
		return OPEN_STOPPED;
	return do_auth(op);
}

static enum open_result
do_tls(struct opening *op)
{
	if (op->cfg.starttls == OPEN_TLS_OFF || client_tls(op->cl))
		return tls_passed(op);
	if (caps_find(client_caps(op->cl), "STARTTLS") || op->cfg.force_starttls) {
		if (!caps_find(client_caps(op->cl), "STARTTLS"))
			client_note(op->cl, '!', "STARTTLS is forced: the server did not offer it");
		return send_line(op, PH_STARTTLS, "STARTTLS");
	}
	if (op->cfg.starttls == OPEN_TLS_REQUIRED)
		return failed(op, OF_NO_STARTTLS, 0, "the server does not offer STARTTLS "
		    "(TLS is required: nothing more is sent but QUIT)");
	client_note(op->cl, '!', "the server does not offer STARTTLS: this session stays in "
	    "PLAINTEXT");
	return tls_passed(op);
}

/* greet - EHLO (or LHLO) with the configured name */
static enum open_result
greet(struct opening *op, enum phase next)
{
	return send_line(op, next, "%s %s", op->cfg.lmtp ? "LHLO" : "EHLO", op->cfg.helo);
}

static enum open_result
on_reply(struct opening *op, int code)
{
	enum smtp_verb v = client_answers(op->cl);

	switch (op->phase) {
	case PH_GREETING:
		if (v != SMTP_V_GREETING)
			return OPEN_PASS;
		if (code != 220)
			return failed(op, OF_GREETING, code, code == 554 ? "the server refuses "
			    "service" : "the greeting is not 220");
		if (stage(op, OPEN_ST_CONNECT))
			return OPEN_STOPPED;
		if (!op->cfg.greet)
			return ready(op);
		return greet(op, PH_EHLO);
	case PH_EHLO:
		if (v != SMTP_V_EHLO && v != SMTP_V_LHLO)
			return OPEN_PASS;
		if (code == 250) {
			if (stage(op, OPEN_ST_EHLO))
				return OPEN_STOPPED;
			return do_tls(op);
		}
		if (code / 100 == 5 && !op->cfg.lmtp) {
			client_note(op->cl, '!', "EHLO refused: trying HELO (no extensions)");
			return send_line(op, PH_HELO, "HELO %s", op->cfg.helo);
		}
		return failed(op, OF_EHLO, code, "%s refused", op->cfg.lmtp ? "LHLO" : "EHLO");
	case PH_HELO:
		if (v != SMTP_V_HELO)
			return OPEN_PASS;
		if (code != 250)
			return failed(op, OF_EHLO, code, "EHLO and HELO refused");
		if (stage(op, OPEN_ST_EHLO))
			return OPEN_STOPPED;
		return do_tls(op);
	case PH_STARTTLS:
		if (v != SMTP_V_STARTTLS)
			return OPEN_PASS;
		if (code == 220) {
			op->phase = PH_HANDSHAKE;
			return OPEN_TAKEN;
		}
		if (op->cfg.starttls == OPEN_TLS_REQUIRED)
			return failed(op, OF_STARTTLS, code, "STARTTLS refused (TLS is required: "
			    "nothing more is sent but QUIT)");
		client_note(op->cl, '!', "STARTTLS refused: this session stays in PLAINTEXT");
		return tls_passed(op);
	case PH_EHLO_TLS:
		if (v != SMTP_V_EHLO && v != SMTP_V_LHLO && v != SMTP_V_HELO)
			return OPEN_PASS;
		if (code != 250)
			return failed(op, OF_EHLO_TLS, code, "%s after TLS refused",
			    smtp_cmd_name(v));
		return tls_passed(op);
	case PH_AUTH: {
		char err[512];
		switch (auth_reply(op->auth, code, err, sizeof(err))) {
		case AUTH_MORE:
			return OPEN_TAKEN;
		case AUTH_DONE:
			client_note(op->cl, '*', "authenticated with %s", auth_mech(op->auth));
			auth_free(op->auth);
			op->auth = NULL;
			forget_secret(op);
			if (stage(op, OPEN_ST_AUTH))
				return OPEN_STOPPED;
			return ready(op);
		case AUTH_FAILED:
			failed(op, OF_AUTH, 0, "AUTH failed: %s", err);
			op->fail_code = code;	/* its words hold the reply already */
			return OPEN_FAILED;
		}
		return OPEN_TAKEN;
	}
	case PH_READY:
		/* a STARTTLS the user typed: the EHLO after it is ours */
		if (v == SMTP_V_STARTTLS && code == 220)
			op->phase = PH_HANDSHAKE;
		return OPEN_PASS;
	case PH_IDLE:
	case PH_HANDSHAKE:
	case PH_FAILED:
		return OPEN_PASS;
	}
	return OPEN_PASS;
}

/* on_tls_up - verdicts, then EHLO again inside TLS (not after implicit
 * TLS: the greeting comes first) */
static enum open_result
on_tls_up(struct opening *op, int failed_checks)
{
	const char *again = client_last_greet(op->cl);

	if (failed_checks > 0 && !op->cfg.no_verify)
		return failed(op, OF_VERIFY, 0, "TLS verification failed: %d check%s (see the "
		    "verdicts; --no-verify to go on)", failed_checks,
		    failed_checks == 1 ? "" : "s");
	if (failed_checks > 0 && op->cfg.interactive)
		client_note(op->cl, '!', "TLS verification failed: %d check%s (see the verdicts); "
		    "the session goes on (a script would stop here with exit 6 unless "
		    "--no-verify)", failed_checks, failed_checks == 1 ? "" : "s");
	else if (failed_checks > 0)
		client_note(op->cl, '!', "TLS verification failed; going on (--no-verify)");
	if (client_state(op->cl) == SMTP_C_GREETING)
		return OPEN_TAKEN;	/* implicit TLS */
	if (*again)
		return send_line(op, PH_EHLO_TLS, "%s", again);
	if (op->cfg.greet)
		return greet(op, PH_EHLO_TLS);
	return ready(op);
}

enum open_result
opening_event(struct opening *op, enum client_ev ev, int code)
{
	switch (ev) {
	case CLIENT_CONNECTED:
		auth_free(op->auth);
		op->auth = NULL;
		forget_secret(op);
		op->authed = 0;
		op->fail = OF_NONE;
		op->phase = PH_GREETING;
		return OPEN_TAKEN;
	case CLIENT_CONNECT_FAILED:
		return failed(op, OF_CONNECT, 0, "cannot connect to %s: %s",
		    client_target(op->cl), client_connect_error(op->cl));
	case CLIENT_REPLY:
		return on_reply(op, code);
	case CLIENT_TLS_UP:
		return on_tls_up(op, code);
	case CLIENT_TLS_FAILED:
		return failed(op, OF_HANDSHAKE, 0, "TLS handshake failed: %s",
		    client_tls_error(op->cl));
	case CLIENT_TIMEOUT:
		if (op->phase == PH_GREETING)
			return failed(op, OF_NO_GREETING, 0, "no greeting from %s within %s%s",
			    client_target(op->cl), client_timeout_words(op->cl),
			    client_implicit_hint(op->cl));
		if (!opening_busy(op))
			return OPEN_PASS;
		return failed(op, OF_TIMEOUT, 0, "timeout waiting for a reply (%s)",
		    client_timeout_words(op->cl));
	case CLIENT_CLOSED:
		if (!opening_busy(op)) {
			if (op->phase == PH_READY)
				op->phase = PH_IDLE;
			return OPEN_PASS;
		}
		{
			int c = client_last_code(op->cl);
			return failed(op, OF_CLOSED, c >= 400 ? c : 0, "the server closed the "
			    "connection during the opening");
		}
	case CLIENT_VIOLATION:
	case CLIENT_STATE:
	case CLIENT_DATA_DONE:
	case CLIENT_LOCAL_ERROR:
		return OPEN_PASS;
	}
	return OPEN_PASS;
}
