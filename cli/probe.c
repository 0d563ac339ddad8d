/*
 * probe - "smtpdbg probe": the opening with TLS required (STARTTLS, or
 * implicit TLS with --tls or smtps://), the TLS report, QUIT, and one
 * summary line a monitoring script can read.  Exit 0, or the opening's
 * code (6: TLS missing, refused, failed or not trusted).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/loop.h"
#include "cli/opening.h"
#include "cli/out.h"
#include "cli/probe.h"
#include "session/esc.h"
#include "session/xalloc.h"

/* The greeting comes at once from a healthy server; an implicit-TLS port
 * never sends one (unless --timeout says otherwise). */
#define PROBE_GREETING_MS	15000

struct probe {
	struct run_opts	*ro;
	struct client	*cl;
	struct opening	*op;
	int		 code;		/* first failure */
	char		 why[800];
	int		 quitting;
	int		 done;
};

/* days - "expires in 12 days", "expires today", "expired 3 days ago" */
static void
days(char *b, size_t n, time_t when)
{
	long	 d = (long)((when - time(NULL)) / 86400);

	if (when < time(NULL))
		snprintf(b, n, "expired %ld day%s ago", -d, -d == 1 ? "" : "s");
	else if (d == 0)
		snprintf(b, n, "expires within a day");
	else
		snprintf(b, n, "expires in %ld day%s", d, d == 1 ? "" : "s");
}

/* summary - one line: what TLS gave and every verdict, or why there was none */
static void
summary(struct probe *p)
{
	const struct tls_report *t = client_report(p->cl);
	char	 d[64];

	if (t == NULL) {
		out_printf("probe: no TLS session (%s)\n", p->why[0] ? p->why : "none was started");
		return;
	}
	if (t->ncerts)
		days(d, sizeof(d), t->certs[0].not_after);
	else
		snprintf(d, sizeof(d), "not presented");
	out_printf("probe: %s %s; trust %s, hostname %s, validity %s, strength %s, OCSP %s, DANE %s; "
	    "leaf %s\n", t->protocol, t->cipher,
	    tls_verdict_name(t->trust.v), tls_verdict_name(t->name.v),
	    tls_verdict_name(t->validity.v), tls_verdict_name(t->strength.v),
	    tls_verdict_name(t->ocsp.v), tls_verdict_name(t->dane.v), d);
}

/* verdict_event - the summary as JSON: "verdict" with every result */
static void
verdict_event(struct probe *p)
{
	const struct tls_report *t = client_report(p->cl);
	struct buf j;

	buf_init(&j, 8192);
	buf_printf(&j, ",\"exit\":%d,\"tls\":%s", p->code, t ? "true" : "false");
	if (t) {
		buf_puts(&j, ",\"protocol\":\"");
		esc_json(&j, t->protocol, strlen(t->protocol));
		buf_puts(&j, "\",\"cipher\":\"");
		esc_json(&j, t->cipher, strlen(t->cipher));
		buf_printf(&j, "\",\"trust\":\"%s\",\"hostname\":\"%s\",\"validity\":\"%s\","
		    "\"strength\":\"%s\",\"ocsp\":\"%s\",\"dane\":\"%s\"",
		    tls_verdict_name(t->trust.v), tls_verdict_name(t->name.v),
		    tls_verdict_name(t->validity.v), tls_verdict_name(t->strength.v),
		    tls_verdict_name(t->ocsp.v), tls_verdict_name(t->dane.v));
		if (t->ncerts)
			buf_printf(&j, ",\"leaf_not_after\":%lld", (long long)t->certs[0].not_after);
	}
	if (p->code) {
		buf_puts(&j, ",\"reason\":\"");
		esc_json(&j, p->why, strlen(p->why));
		buf_puts(&j, "\"");
	}
	buf_append(&j, "", 1);
	client_event(p->cl, "verdict", (const char *)buf_ptr(&j));
	buf_free(&j);
}

static void
finish(struct probe *p)
{
	if (p->done)
		return;
	p->done = 1;
	if (client_is_connected(p->cl))
		client_close(p->cl, NULL);
	summary(p);
	if (p->ro->ccfg.json)
		verdict_event(p);
	if (p->code)
		fprintf(stderr, "smtpdbg: probe: %s\n", p->why);
	fflush(stdout);
	loop_quit(p->code);
}

static void
failure(struct probe *p, int code, const char *why)
{
	if (p->code)
		return;
	p->code = code;
	snprintf(p->why, sizeof(p->why), "%s", why);
}

static void
quit(struct probe *p)
{
	char	 err[256];

	p->quitting = 1;
	if (client_command(p->cl, "QUIT", err, sizeof(err)) == -1)
		finish(p);
}

static void
on_event(void *arg, enum client_ev ev, int code)
{
	struct probe	*p = arg;

	if (p->done)
		return;
	switch (opening_event(p->op, ev, code)) {
	case OPEN_READY:
		quit(p);
		return;
	case OPEN_FAILED:
		failure(p, opening_exit(p->op), opening_why(p->op));
		if (opening_may_quit(p->op))
			quit(p);	/* inside TLS when the verdicts failed */
		else
			finish(p);
		return;
	case OPEN_TAKEN:
	case OPEN_STOPPED:
		return;
	case OPEN_PASS:
		break;
	}
	switch (ev) {
	case CLIENT_REPLY:
		if (p->quitting && client_waiting(p->cl) == 0)
			finish(p);
		return;
	case CLIENT_CLOSED:
	case CLIENT_TIMEOUT:
	case CLIENT_VIOLATION: {
		char why[600];
		int c = opening_ev_failure(p->cl, ev, why, sizeof(why));
		if (ev == CLIENT_VIOLATION && p->ro->keep_going)
			return;
		if (!p->quitting || ev == CLIENT_VIOLATION)
			failure(p, c, why);
		finish(p);
		return;
	}
	default:
		return;
	}
}

int
probe_run(struct run_opts *ro, const char *target)
{
	struct probe	 p;
	struct client_hooks h = { on_event, &p };
	struct opening_cfg oc;
	char		 err[512];
	int		 code;

	memset(&p, 0, sizeof(p));
	p.ro = ro;
	if (strncmp(target, "smtps://", 8) == 0)
		ro->ccfg.tls_mode = CLIENT_TLS_IMPLICIT;
	if (ro->ccfg.timeout_ms == 0)
		ro->ccfg.greeting_ms = PROBE_GREETING_MS;
	p.cl = client_new(&ro->ccfg, &h);
	memset(&oc, 0, sizeof(oc));
	oc.helo = ro->ccfg.helo;
	oc.greet = 1;
	oc.lmtp = ro->ccfg.lmtp;
	oc.starttls = ro->ccfg.tls_mode == CLIENT_TLS_IMPLICIT ? OPEN_TLS_OFF : OPEN_TLS_REQUIRED;
	oc.no_verify = ro->no_verify;
	oc.auth = &ro->auth;
	oc.auth_plaintext_ok = ro->auth_plaintext_ok;
	p.op = opening_new(p.cl, &oc);
	if (client_connect(p.cl, target, err, sizeof(err)) == -1) {
		fprintf(stderr, "smtpdbg: probe: %s\n", err);
		code = EXIT_USAGE;
	} else
		code = loop_run();
	opening_free(p.op);
	client_free(p.cl);
	return p.code ? p.code : code;
}
