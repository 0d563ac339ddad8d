/*
 * test_rules - rule parsing, selectors, seeded probability, greylisting
 * and the rate limit, with the time passed in.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "session/rules.h"
#include "tests/tap.h"

/* ask - one successful reply at stage st; returns the code sent */
static int
ask(struct rules *r, enum smtp_stage st, const char *arg, uint64_t now, unsigned *flags)
{
	struct smtp_decision d;

	memset(&d, 0, sizeof(d));
	d.stage = st;
	d.arg = arg;
	d.from = "s@x";
	d.dflt = d.code = st == SMTP_ST_CONNECT ? 220 : 250;
	snprintf(d.text, sizeof(d.text), "Ok");
	rules_apply(r, &d, "192.0.2.1", now);
	if (flags)
		*flags = d.flags;
	return d.code;
}

int
main(void)
{
	static const struct { const char *spec, *why; } bad[] = {
		{ "FOO=550", "not a stage" },
		{ "RCPT", "missing \"=\"" },
		{ "RCPT=", "no action" },
		{ "RCPT=600 x", "200 to 599" },
		{ "RCPT=explode", "unknown action" },
		{ "RCPT#0=550", "count from 1" },
		{ "RCPT~2=550", "probability" },
		{ "NOOP:*@x=550", "address pattern" },
		{ "MAIL=cut 10", "cut is for DATA" },
		{ "MAIL=tls-abort", "TLS faults" },
		{ "TLS=451 no", "only tls-abort" },
		{ "TLS=delay 1", "only tls-abort" },
		{ "TLS:*@x=drop", "address pattern" },
		{ "CONNECT=250 hi", "220, 421 or 554" },
		{ "DATA=delay", "needs a number" },
	};
	struct rules	*r;
	char		 err[300], desc[400];
	size_t		 i;
	unsigned	 f;
	int		 seq1[50], same = 1, fired = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = rules_new(1);
		err[0] = '\0';
		ok(rules_add(r, bad[i].spec, err, sizeof(err)) == -1 && strstr(err, bad[i].why),
		    "refused: %s (%s)", bad[i].spec, err);
		rules_free(r);
	}

	r = rules_new(1);
	ok(rules_add(r, "RCPT:*@bounce.test=550 5.1.1 no such user", err, sizeof(err)) == 0,
	    "pattern rule");
	ok(rules_add(r, "MAIL#2=tempfail", err, sizeof(err)) == 0, "Nth rule");
	ok(rules_add(r, "NOOP%3=delay 0.5 close", err, sizeof(err)) == 0, "every-Nth rule");
	is_int(ask(r, SMTP_ST_RCPT, "Bob@Bounce.TEST", 0, NULL), 550, "pattern matches, case ignored");
	is_int(ask(r, SMTP_ST_RCPT, "bob@ok.test", 0, NULL), 250, "other addresses pass");
	is_int(ask(r, SMTP_ST_MAIL, "a@b", 0, NULL), 250, "MAIL 1 passes");
	is_int(ask(r, SMTP_ST_MAIL, "a@b", 0, NULL), 451, "MAIL 2 tempfails");
	is_int(ask(r, SMTP_ST_MAIL, "a@b", 0, NULL), 250, "MAIL 3 passes");
	ask(r, SMTP_ST_NOOP, NULL, 0, &f);
	ok(f == 0, "NOOP 1 untouched");
	ask(r, SMTP_ST_NOOP, NULL, 0, &f);
	ask(r, SMTP_ST_NOOP, NULL, 0, &f);
	ok(f == (SMTP_F_DELAY | SMTP_F_CLOSE), "NOOP 3: delay and close");
	rules_describe(r, 1, desc, sizeof(desc));
	is_str(desc, "rule 2: MAIL, the 2nd time only: MAIL#2=tempfail", "description");
	{
		struct smtp_decision d;
		memset(&d, 0, sizeof(d));
		d.stage = SMTP_ST_RCPT;
		d.arg = "x@bounce.test";
		d.dflt = d.code = 501;
		ok(rules_apply(r, &d, "192.0.2.1", 0) == NULL && d.code == 501,
		    "an error reply is never touched");
	}
	rules_free(r);

	/* Counters count matches, fired or not: #2 is the second STARTTLS. */
	r = rules_new(1);
	rules_add(r, "STARTTLS#1=454 4.7.0 no", err, sizeof(err));
	rules_add(r, "STARTTLS#2=tls-abort", err, sizeof(err));
	is_int(ask(r, SMTP_ST_STARTTLS, NULL, 0, &f), 454, "STARTTLS 1: rule 1");
	ask(r, SMTP_ST_STARTTLS, NULL, 0, &f);
	ok(f == SMTP_F_TLS_ABORT, "STARTTLS 2: rule 2, though rule 1 fired before");
	ok(!rules_stage(r, SMTP_ST_TLS) && rules_stage(r, SMTP_ST_STARTTLS), "rules_stage");
	rules_free(r);

	/* Stage TLS: the implicit-TLS handshake, with its own counter. */
	r = rules_new(1);
	ok(rules_add(r, "tls#2=cert-expired", err, sizeof(err)) == 0 &&
	    rules_add(r, "TLS%3=drop", err, sizeof(err)) == 0, "TLS rules accepted (%s)", err);
	ask(r, SMTP_ST_TLS, NULL, 0, &f);
	ok(f == 0, "TLS 1: nothing");
	ask(r, SMTP_ST_STARTTLS, NULL, 0, &f);
	ok(f == 0, "a STARTTLS does not count as TLS");
	ask(r, SMTP_ST_TLS, NULL, 0, &f);
	ok(f == SMTP_F_CERT_EXPIRED, "TLS 2: the expired certificate");
	ask(r, SMTP_ST_TLS, NULL, 0, &f);
	ok(f == SMTP_F_DROP, "TLS 3: dropped");
	ok(rules_stage(r, SMTP_ST_TLS), "rules_stage: TLS");
	rules_free(r);

	/* ~P with a seed: the same seed gives the same run. */
	r = rules_new(42);
	rules_add(r, "DOT~0.3=451 4.3.0 later", err, sizeof(err));
	for (i = 0; i < 50; i++) {
		seq1[i] = ask(r, SMTP_ST_DOT, NULL, 0, NULL);
		fired += seq1[i] == 451;
	}
	rules_free(r);
	r = rules_new(42);
	rules_add(r, "DOT~0.3=451 4.3.0 later", err, sizeof(err));
	for (i = 0; i < 50; i++)
		same &= ask(r, SMTP_ST_DOT, NULL, 0, NULL) == seq1[i];
	rules_free(r);
	ok(same, "the same seed repeats the run");
	ok(fired > 5 && fired < 30, "about 30%% fire (%d of 50)", fired);

	/* Greylisting: 451 until the delay has passed, per triple. */
	r = rules_new(1);
	rules_greylist(r, 60);
	is_int(ask(r, SMTP_ST_RCPT, "a@x", 1000, NULL), 451, "greylist: first try deferred");
	is_int(ask(r, SMTP_ST_RCPT, "a@x", 30000, NULL), 451, "greylist: too early");
	is_int(ask(r, SMTP_ST_RCPT, "b@x", 30000, NULL), 451, "greylist: another recipient is new");
	is_int(ask(r, SMTP_ST_RCPT, "a@x", 61000, NULL), 250, "greylist: accepted after 60 s");
	rules_free(r);

	/* Rate limit: a burst of N, then refilled with time. */
	r = rules_new(1);
	ok(rules_rate(r, "3/s", err, sizeof(err)) == 0, "rate 3/s");
	ok(rules_rate(r, "3/h", err, sizeof(err)) == -1, "rate 3/h refused");
	for (i = 0; i < 3; i++)
		is_int(ask(r, SMTP_ST_CONNECT, NULL, 5000, NULL), 220, "connection %zu passes", i + 1);
	is_int(ask(r, SMTP_ST_CONNECT, NULL, 5000, NULL), 421, "the 4th in the same second: 421");
	is_int(ask(r, SMTP_ST_CONNECT, NULL, 5400, NULL), 220, "a token back after 1/3 s");
	rules_free(r);
	return tap_done();
}
