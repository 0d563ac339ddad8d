/*
 * test_server - the server engine: exact replies for each scenario, the
 * same under every split of the input, plus the asynchronous hand-off of
 * a message to the driver.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/buf.h"
#include "session/smtp_server.h"
#include "tests/tap.h"

struct res {
	struct buf	 out;		/* replies, greeting stripped */
	struct buf	 msgs;		/* "from|rcpt,..|content|" per message */
	struct buf	 content;
	int		 closed;
	int		 async;		/* do not answer messages at once */
	struct smtp_server *s;
};

static void
on_data(void *arg, const unsigned char *p, size_t n)
{
	struct res *r = arg;

	buf_append(&r->content, p, n);
}

static void
on_message(void *arg, const struct smtp_message *m)
{
	struct res	*r = arg;
	size_t		 i;

	buf_printf(&r->msgs, "%s>", m->from);
	for (i = 0; i < m->nrcpt; i++)
		buf_printf(&r->msgs, "%s%s", i ? "," : "", m->rcpt[i]);
	buf_printf(&r->msgs, "|subj=%s|", m->subject ? m->subject : "");
	buf_append(&r->msgs, buf_ptr(&r->content), r->content.len);
	buf_printf(&r->msgs, "|");
	buf_drain(&r->content, r->content.len);
	if (!r->async)
		smtp_server_message_done(r->s, 250, "2.0.0", "Ok: queued");
}

static void
on_abort(void *arg)
{
	struct res *r = arg;

	buf_drain(&r->content, r->content.len);
}

static void
on_close(void *arg)
{
	struct res *r = arg;

	r->closed = 1;
}

/* One rule per case: at stage rule_stage - 1, give code/text/flags. */
static struct {
	int		 stage;		/* 0: none; else stage + 1 */
	int		 code;
	const char	*text;
	unsigned	 flags;
	uint64_t	 cut;
	int		 wait;		/* set SMTP_F_WAIT; the test decides later */
	int		 asked;
} rule;

static void
on_decide(void *arg, struct smtp_decision *d)
{
	(void)arg;
	if (rule.stage == 0 || (int)d->stage != rule.stage - 1)
		return;
	rule.asked++;
	if (rule.code) {
		d->code = rule.code;
		d->enh[0] = '\0';
		snprintf(d->text, sizeof(d->text), "%s", rule.text ? rule.text : "");
	}
	d->flags = rule.flags | (rule.wait ? SMTP_F_WAIT : 0);
	d->cut = rule.cut;
	d->rule = 1;
}

static void
on_lines(void *arg, const unsigned char *p, size_t n, size_t nl)
{
	(void)arg; (void)p; (void)n; (void)nl;
}

static const struct smtp_server_events ev_per_line = {
	NULL, NULL, NULL, on_data, on_message, on_abort, on_close, NULL, NULL, on_decide,
};
static const struct smtp_server_events ev_runs = {
	NULL, NULL, NULL, on_data, on_message, on_abort, on_close, NULL, NULL, on_decide,
	NULL, NULL, on_lines,
};
/* runs: plain data lines come in runs (on_data_lines); the results must
 * not change */
static int runs;
#define ev (*(runs ? &ev_runs : &ev_per_line))

static void
feed(struct res *r, const char *in, size_t n)
{
	size_t	 take;

	while (n > 0 && smtp_server_state(r->s) != SMTP_S_CLOSING) {
		take = smtp_server_input_space(r->s);
		if (take == 0)
			break;
		if (take > n)
			take = n;
		smtp_server_feed(r->s, in, take);
		in += take;
		n -= take;
		/* the driver drains replies */
		buf_append(&r->out, buf_ptr(smtp_server_output(r->s)),
		    smtp_server_output(r->s)->len);
		buf_drain(smtp_server_output(r->s), smtp_server_output(r->s)->len);
		smtp_server_process(r->s);
	}
	buf_append(&r->out, buf_ptr(smtp_server_output(r->s)), smtp_server_output(r->s)->len);
	buf_drain(smtp_server_output(r->s), smtp_server_output(r->s)->len);
}

static char *
run(const struct smtp_server_cfg *cfg, const char *in, size_t n, size_t split, char **msgs)
{
	struct res	 r;
	size_t		 i, gl;
	char		*s;

	memset(&r, 0, sizeof(r));
	buf_init(&r.out, 1 << 20);
	buf_init(&r.msgs, 1 << 20);
	buf_init(&r.content, 1 << 20);
	r.s = smtp_server_new(cfg, &ev, &r);
	smtp_server_start(r.s);
	gl = smtp_server_output(r.s)->len;
	buf_drain(smtp_server_output(r.s), gl);	/* greeting */
	if (split == 0)
		feed(&r, in, n);
	else if (split == 1)
		for (i = 0; i < n; i++)
			feed(&r, in + i, 1);
	else {
		feed(&r, in, split - 2);
		feed(&r, in + split - 2, n - (split - 2));
	}
	if (r.closed)
		buf_printf(&r.out, "<closed>");
	buf_append(&r.out, "", 1);
	buf_append(&r.msgs, "", 1);
	s = strdup((const char *)buf_ptr(&r.out));
	*msgs = strdup((const char *)buf_ptr(&r.msgs));
	smtp_server_free(r.s);
	buf_free(&r.out);
	buf_free(&r.msgs);
	buf_free(&r.content);
	return s;
}

#define OK250 "250 2.0.0 Ok\r\n"
#define HELO_OK "250 localhost\r\n"

static const struct {
	const char	*name;
	const char	*in;
	const char	*out;
	const char	*msgs;
	size_t		 max_size, max_rcpt;
	unsigned	 max_errors;
	enum smtp_bare_lf bare;
	unsigned	 ext;		/* added to the default extensions */
	int		 lmtp;
	int		 rstage;	/* rule: stage + 1, or 0 */
	int		 rcode;
	const char	*rtext;
	unsigned	 rflags;
	uint64_t	 rcut;
} cases[] = {
	{ "a whole transaction",
	  "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: s\r\n\r\n..hi\r\n.\r\nQUIT\r\n",
	  HELO_OK "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
	  "250 2.0.0 Ok: queued\r\n221 2.0.0 Bye\r\n<closed>",
	  "a@b>c@d|subj=s|Subject: s\r\n\r\n.hi\r\n|" },
	{ "null sender and two recipients",
	  "EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<x@y>\r\nRCPT TO:<z@y>\r\nDATA\r\n.\r\n",
	  "250-localhost\r\n250-SIZE 36700160\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
	  "250 ENHANCEDSTATUSCODES\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	  "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued\r\n",
	  ">x@y,z@y|subj=||" },
	{ "MAIL before HELO", "MAIL FROM:<a@b>\r\n", "503 5.5.1 Error: send HELO/EHLO first\r\n", "" },
	{ "nested MAIL", "HELO c\r\nMAIL FROM:<a@b>\r\nMAIL FROM:<a@b>\r\n",
	  HELO_OK "250 2.1.0 Ok\r\n503 5.5.1 Error: nested MAIL command\r\n", "" },
	{ "RCPT without MAIL", "HELO c\r\nRCPT TO:<a@b>\r\n",
	  HELO_OK "503 5.5.1 Error: need MAIL command\r\n", "" },
	{ "DATA without RCPT", "HELO c\r\nMAIL FROM:<a@b>\r\nDATA\r\n",
	  HELO_OK "250 2.1.0 Ok\r\n503 5.5.1 Error: need RCPT command\r\n", "" },
	{ "RSET ends the transaction", "HELO c\r\nMAIL FROM:<a@b>\r\nRSET\r\nRCPT TO:<x@y>\r\n",
	  HELO_OK "250 2.1.0 Ok\r\n" OK250 "503 5.5.1 Error: need MAIL command\r\n", "" },
	{ "bare LF command refused by default", "NOOP\n", "500 5.5.2 Error: bare <LF> received\r\n", "" },
	{ "bare LF command accepted on request", "NOOP\n", OK250, "", 0, 0, 0, SMTP_BARE_ACCEPT },
	{ "NUL in a command", "NO\0OP\r\n", NULL, "" },
	{ "unknown command", "FOO\r\n", "500 5.5.2 Error: command not recognized\r\n", "" },
	{ "empty line", "\r\n", "500 5.5.2 Error: bad syntax\r\n", "" },
	{ "VRFY", "VRFY bob\r\n", "252 2.0.0 Cannot VRFY user, but will accept message\r\n", "" },
	{ "bad sender syntax", "HELO c\r\nMAIL FROM:a@b\r\n",
	  HELO_OK "501 5.1.7 Bad sender address syntax\r\n", "" },
	{ "empty recipient refused", "HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<>\r\n",
	  HELO_OK "250 2.1.0 Ok\r\n501 5.1.3 Bad recipient address syntax\r\n", "" },
	{ "SIZE overflow is not a small number", "HELO c\r\nMAIL FROM:<a@b> SIZE=99999999999999999999999\r\n",
	  HELO_OK "501 5.5.4 Bad SIZE parameter\r\n", "" },
	{ "declared SIZE over the limit", "HELO c\r\nMAIL FROM:<a@b> SIZE=36700161\r\n",
	  HELO_OK "552 5.3.4 Message size exceeds fixed limit\r\n", "" },
	{ "unknown parameter", "HELO c\r\nMAIL FROM:<a@b> FOO=1\r\n",
	  HELO_OK "555 5.5.4 Unsupported option: FOO\r\n", "" },
	{ "Exim CVE-2020-28022 shape", "HELO c\r\nMAIL FROM:<a@b> A=\"\r\nMAIL FROM:<a@b> =\r\n",
	  HELO_OK "555 5.5.4 Unsupported option: A\r\n501 5.5.4 Syntax error in parameters\r\n", "" },
	{ "BODY=8BITMIME and SMTPUTF8", "HELO c\r\nMAIL FROM:<a@b> BODY=8BITMIME SMTPUTF8\r\n",
	  HELO_OK "250 2.1.0 Ok\r\n", "" },
	{ "path with a control byte", "HELO c\r\nMAIL FROM:<a\x01@b>\r\n",
	  HELO_OK "501 5.1.7 Bad sender address syntax\r\n", "" },
	{ "too many recipients", "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@b>\r\nRCPT TO:<2@b>\r\nRCPT TO:<3@b>\r\n",
	  HELO_OK "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n452 4.5.3 Error: too many recipients\r\n",
	  "", 0, 2 },
	{ "message over the size limit is read to the end, then refused",
	  "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n0123456789\r\nQUIT\r\n.\r\nNOOP\r\n",
	  HELO_OK "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
	  "552 5.3.4 Error: message too big\r\n" OK250, "", 8 },
	{ "smuggling: LF.CRLF never ends data (reject mode)",
	  "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\n.\r\nMAIL FROM:<s@x>\r\n.\r\n",
	  HELO_OK "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
	  "550 5.5.2 Error: bare <LF> or <CR> received in message\r\n", "" },
	{ "smuggling: one message only (accept mode)",
	  "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\n.\r\nMAIL FROM:<s@x>\r\n.\r\n",
	  HELO_OK "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
	  "250 2.0.0 Ok: queued\r\n",
	  "a@b>c@d|subj=|x\n.\r\nMAIL FROM:<s@x>\r\n|", 0, 0, 0, SMTP_BARE_ACCEPT },
	{ "normalize mode stores CRLF",
	  "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\ny\r\n.\r\n",
	  HELO_OK "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
	  "250 2.0.0 Ok: queued\r\n",
	  "a@b>c@d|subj=|x\r\ny\r\n|", 0, 0, 0, SMTP_BARE_NORMALIZE },
	{ "too many errors", "A\r\nB\r\nC\r\nNOOP\r\n",
	  "500 5.5.2 Error: command not recognized\r\n500 5.5.2 Error: command not recognized\r\n"
	  "500 5.5.2 Error: command not recognized\r\n421 4.7.0 localhost Error: too many errors\r\n<closed>",
	  "", 0, 0, 3 },
	{ "BDAT is refused with a hang-up", "HELO c\r\nBDAT 5 LAST\r\nhello",
	  HELO_OK "521 5.5.1 Error: BDAT is not offered\r\n<closed>", "" },
	{ "folded Subject is captured",
	  "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: one\r\n two\r\nX: y\r\n\r\nSubject: no\r\n.\r\n",
	  HELO_OK "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
	  "250 2.0.0 Ok: queued\r\n",
	  "a@b>c@d|subj=one two|Subject: one\r\n two\r\nX: y\r\n\r\nSubject: no\r\n|" },
	{ "command after QUIT is ignored", "QUIT\r\nNOOP\r\n", "221 2.0.0 Bye\r\n<closed>", "" },
#define TXN "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
#define TXN_OK HELO_OK "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
#define CH SMTP_BARE_REJECT, SMTP_EXT_CHUNKING
	{ "BDAT: two chunks make one message", TXN "BDAT 5\r\nhelloBDAT 8 LAST\r\n world\r\n",
	  TXN_OK "250 2.0.0 Ok: 5 octets received\r\n250 2.0.0 Ok: queued\r\n",
	  "a@b>c@d|subj=|hello world\r\n|", 0, 0, 0, CH },
	{ "BDAT: no dot processing, bare LF kept", TXN "BDAT 10 LAST\r\n.\r\n..x\ny\r\n",
	  TXN_OK "250 2.0.0 Ok: queued\r\n", "a@b>c@d|subj=|.\r\n..x\ny\r\n|", 0, 0, 0, CH },
	{ "BDAT: a chunk without RCPT is read and discarded, never executed",
	  "HELO c\r\nMAIL FROM:<a@b>\r\nBDAT 6\r\nQUIT\r\nNOOP\r\n",
	  HELO_OK "250 2.1.0 Ok\r\n503 5.5.1 Error: need RCPT command (chunk discarded)\r\n" OK250,
	  "", 0, 0, 0, CH },
	{ "BDAT 0 LAST ends the message", TXN "BDAT 3\r\nab\nBDAT 0 LAST\r\n",
	  TXN_OK "250 2.0.0 Ok: 3 octets received\r\n250 2.0.0 Ok: queued\r\n",
	  "a@b>c@d|subj=|ab\n|", 0, 0, 0, CH },
	{ "DATA inside a BDAT transaction", TXN "BDAT 2\r\nabDATA\r\n",
	  TXN_OK "250 2.0.0 Ok: 2 octets received\r\n"
	  "503 5.5.1 Error: DATA inside a BDAT transaction\r\n", "", 0, 0, 0, CH },
	{ "BDAT without a size ends the session", "HELO c\r\nBDAT x\r\nQUIT\r\n",
	  HELO_OK "521 5.5.4 Syntax: BDAT size [LAST]; closing the connection\r\n<closed>", "",
	  0, 0, 0, CH },
	{ "BDAT with a size that does not parse: its chunk's commands never run",
	  TXN "BDAT 99999999999999999999 LAST\r\nRSET\r\nMAIL FROM:<x@y>\r\nQUIT\r\n",
	  TXN_OK "521 5.5.4 Syntax: BDAT size [LAST]; closing the connection\r\n<closed>", "",
	  0, 0, 0, CH },
	{ "BDAT over the size limit: 552, the chunk is not read, the session ends",
	  TXN "BDAT 12 LAST\r\n0123456789\r\nNOOP\r\n",
	  TXN_OK "552 5.3.4 Message size exceeds fixed limit; closing the connection\r\n<closed>",
	  "", 10, 0, 0, CH },
	{ "BDAT chunks passing the size limit together: 552 and close",
	  TXN "BDAT 6\r\n012345BDAT 6 LAST\r\n012345NOOP\r\n",
	  TXN_OK "250 2.0.0 Ok: 6 octets received\r\n552 5.3.4 Message size exceeds fixed limit; "
	  "closing the connection\r\n<closed>", "", 10, 0, 0, CH },
	{ "LMTP: one reply per recipient", "LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\n"
	  "DATA\r\nhi\r\n.\r\n", "250-localhost\r\n250-SIZE 36700160\r\n250-8BITMIME\r\n"
	  "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	  "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued\r\n250 2.0.0 Ok: queued\r\n",
	  "a@b>c@d,e@f|subj=|hi\r\n|", 0, 0, 0, SMTP_BARE_REJECT, 0, 1 },
	{ "LMTP: EHLO is refused", "EHLO c\r\n", "500 5.5.1 Error: this is LMTP; say LHLO\r\n", "",
	  0, 0, 0, SMTP_BARE_REJECT, 0, 1 },
#define R(st) SMTP_BARE_REJECT, 0, 0, SMTP_ST_##st + 1
	{ "rule: RCPT refused, so DATA has no recipient", TXN "DATA\r\n",
	  HELO_OK "250 2.1.0 Ok\r\n550 5.1.1 no such user\r\n503 5.5.1 Error: need RCPT command\r\n"
	  "", "", 0, 0, 0, R(RCPT), 550, "5.1.1 no such user" },
	{ "rule: MAIL tempfailed starts no transaction", "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n",
	  HELO_OK "451 4.3.0 try later\r\n503 5.5.1 Error: need MAIL command\r\n", "",
	  0, 0, 0, R(MAIL), 451, "4.3.0 try later" },
	{ "rule: 421 at MAIL closes", "HELO c\r\nMAIL FROM:<a@b>\r\nNOOP\r\n",
	  HELO_OK "421 4.3.0 bye\r\n<closed>", "", 0, 0, 0, R(MAIL), 421, "4.3.0 bye" },
	{ "rule: DOT refused, nothing handed over", TXN "DATA\r\nhi\r\n.\r\nNOOP\r\n",
	  TXN_OK "354 End data with <CR><LF>.<CR><LF>\r\n554 5.7.1 rejected\r\n" OK250, "",
	  0, 0, 0, R(DOT), 554, "5.7.1 rejected" },
	{ "rule: DOT success text wins", TXN "DATA\r\nhi\r\n.\r\n",
	  TXN_OK "354 End data with <CR><LF>.<CR><LF>\r\n250 custom\r\n", "a@b>c@d|subj=|hi\r\n|",
	  0, 0, 0, R(DOT), 250, "custom" },
	{ "rule: DATA stall after 354", TXN "DATA\r\nhi\r\n.\r\nNOOP\r\n",
	  TXN_OK "354 End data with <CR><LF>.<CR><LF>\r\n", "", 0, 0, 0, R(DATA), 0, NULL, SMTP_F_STALL },
	{ "rule: DATA cut after 3 bytes", TXN "DATA\r\nhello\r\n.\r\n",
	  TXN_OK "354 End data with <CR><LF>.<CR><LF>\r\n<closed>", "", 0, 0, 0, R(DATA), 0, NULL,
	  SMTP_F_CUT, 3 },
	{ "rule: QUIT dropped without a reply", "QUIT\r\n", "<closed>", "", 0, 0, 0, R(QUIT), 0, NULL,
	  SMTP_F_DROP },
	{ "rule: inconsistent multi-line codes", "NOOP\r\n",
	  "250-2.0.0 Ok\r\n251 inconsistent code on purpose (smtpdbg fault)\r\n", "", 0, 0, 0, R(NOOP),
	  0, NULL, SMTP_F_BADMULTI },
	{ "rule: bare LF reply and an unsolicited line", "NOOP\r\n",
	  "250 2.0.0 Ok\n250 unsolicited reply on purpose (smtpdbg fault)\n", "", 0, 0, 0, R(NOOP),
	  0, NULL, SMTP_F_BARELF | SMTP_F_EXTRA },
	{ "rule: a greeting of 554 leaves only QUIT", "HELO c\r\nQUIT\r\n",
	  "503 5.5.1 Error: no service here; only QUIT\r\n221 2.0.0 Bye\r\n<closed>", "",
	  0, 0, 0, R(CONNECT), 554, "no thanks" },
	{ "rule: an error made a success is not counted and commits nothing", "FOO\r\nBAR\r\nNOOP\r\n",
	  "250 fine\r\n250 fine\r\n" OK250, "", 0, 0, 2, R(OTHER), 250, "fine" },
	{ "rule: close after the reply", "NOOP\r\nNOOP\r\n", OK250 "<closed>", "", 0, 0, 0, R(NOOP),
	  0, NULL, SMTP_F_CLOSE },
};

/* case_setup - the configuration and the rule of cases[i] */
static void
case_setup(size_t i, struct smtp_server_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ext = SMTP_EXT_ENHANCED | SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 |
	    cases[i].ext;
	cfg->max_size = cases[i].max_size;
	cfg->max_rcpt = cases[i].max_rcpt;
	cfg->max_errors = cases[i].max_errors;
	cfg->bare_lf = cases[i].bare;
	cfg->lmtp = cases[i].lmtp;
	memset(&rule, 0, sizeof(rule));
	rule.stage = cases[i].rstage;
	rule.code = cases[i].rcode;
	rule.text = cases[i].rtext;
	rule.flags = cases[i].rflags;
	rule.cut = cases[i].rcut;
}

int
main(void)
{
	struct smtp_server_cfg cfg;
	size_t	 i, n, s;
	char	*base, *bm, *got, *gm;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		case_setup(i, &cfg);
		n = strlen(cases[i].in);
		if (cases[i].out == NULL) {
			/* NUL case: explicit length */
			n = 8;
			base = run(&cfg, cases[i].in, n, 0, &bm);
			is_str(base, "500 5.5.2 Error: NUL character in command\r\n", "%s", cases[i].name);
			free(base);
			free(bm);
			continue;
		}
		base = run(&cfg, cases[i].in, n, 0, &bm);
		is_str(base, cases[i].out, "%s: replies", cases[i].name);
		is_str(bm, cases[i].msgs, "%s: messages", cases[i].name);
		for (s = 1; s <= n + 2; s++) {
			got = run(&cfg, cases[i].in, n, s, &gm);
			if (strcmp(got, base) != 0 || strcmp(gm, bm) != 0) {
				ok(0, "%s: split %zu differs:\n# %s", cases[i].name, s, got);
				free(got);
				free(gm);
				break;
			}
			free(got);
			free(gm);
		}
		if (s > n + 2)
			ok(1, "%s: same for every split", cases[i].name);
		free(base);
		free(bm);
	}

	/* The same cases with plain data lines taken in runs: same replies,
	 * same messages, for every split. */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r1, *m1, *r2, *m2;
		if (cases[i].out == NULL)
			continue;
		case_setup(i, &cfg);
		n = strlen(cases[i].in);
		for (s = 0; s <= 2; s++) {
			runs = 0;
			r1 = run(&cfg, cases[i].in, n, s == 2 ? n / 2 + 2 : s, &m1);
			runs = 1;
			r2 = run(&cfg, cases[i].in, n, s == 2 ? n / 2 + 2 : s, &m2);
			runs = 0;
			if (strcmp(r1, r2) != 0 || strcmp(m1, m2) != 0)
				break;
			free(r1); free(m1); free(r2); free(m2);
		}
		if (s <= 2) {
			ok(0, "%s: plain lines in runs change the outcome", cases[i].name);
			free(r1); free(m1); free(r2); free(m2);
		} else
			ok(1, "%s: the same with plain lines in runs", cases[i].name);
	}
	memset(&rule, 0, sizeof(rule));
	/* Over-long command line: dropped as it arrives, never executed. */
	{
		char	 big[5000];
		memset(&cfg, 0, sizeof(cfg));
		cfg.ext = SMTP_EXT_ENHANCED;
		memcpy(big, "MAIL ", 5);
		memset(big + 5, 'A', sizeof(big) - 5);
		memcpy(big + sizeof(big) - 8, "\r\nNOOP\r\n", 8);
		for (s = 0; s < 3; s++) {
			got = run(&cfg, big, sizeof(big), s == 2 ? 2100 : s, &gm);
			is_str(got, "500 5.5.2 Error: line too long\r\n" OK250,
			    "over-long line (split mode %zu): 500, then the next command runs", s);
			free(got);
			free(gm);
		}
	}

	/* Asynchronous hand-off: nothing after "." runs until the verdict. */
	{
		struct res r;
		const char *in = "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nhi\r\n.\r\nNOOP\r\n";
		memset(&r, 0, sizeof(r));
		memset(&cfg, 0, sizeof(cfg));
		cfg.ext = SMTP_EXT_ENHANCED;
		buf_init(&r.out, 1 << 20);
		buf_init(&r.msgs, 1 << 20);
		buf_init(&r.content, 1 << 20);
		r.async = 1;
		r.s = smtp_server_new(&cfg, &ev, &r);
		smtp_server_start(r.s);
		buf_drain(smtp_server_output(r.s), smtp_server_output(r.s)->len);
		feed(&r, in, strlen(in));
		buf_append(&r.out, "", 1);
		ok(strstr((const char *)buf_ptr(&r.out), "354") &&
		    !strstr((const char *)buf_ptr(&r.out), "250 2.0.0"),
		    "while the message is being stored, no reply and no NOOP");
		is_int(smtp_server_state(r.s), SMTP_S_WAIT, "engine waits for the driver");
		r.out.len--;
		smtp_server_message_done(r.s, 451, "4.3.0", "Error: storage failed");
		smtp_server_process(r.s);
		buf_append(&r.out, buf_ptr(smtp_server_output(r.s)), smtp_server_output(r.s)->len);
		buf_append(&r.out, "", 1);
		ok(strstr((const char *)buf_ptr(&r.out),
		    "451 4.3.0 Error: storage failed\r\n250 2.0.0 Ok\r\n") != NULL,
		    "the driver's verdict is sent, then the pipelined NOOP runs");
		smtp_server_free(r.s);
		buf_free(&r.out);
		buf_free(&r.msgs);
		buf_free(&r.content);
	}
	/* STARTTLS: pipelined plaintext discarded, EHLO forgotten, no second offer. */
	{
		struct res r;
		const char *in = "EHLO c\r\nSTARTTLS\r\nNOOP\r\nMAIL FROM:<x@y>\r\n";
		memset(&r, 0, sizeof(r));
		memset(&cfg, 0, sizeof(cfg));
		cfg.ext = SMTP_EXT_ENHANCED;
		cfg.starttls = 1;
		cfg.require_tls = 1;
		buf_init(&r.out, 1 << 20);
		buf_init(&r.msgs, 1 << 20);
		buf_init(&r.content, 1 << 20);
		r.s = smtp_server_new(&cfg, &ev, &r);
		smtp_server_start(r.s);
		buf_drain(smtp_server_output(r.s), smtp_server_output(r.s)->len);
		feed(&r, in, strlen(in));
		buf_append(&r.out, "", 1);
		is_str((const char *)buf_ptr(&r.out), "250-localhost\r\n250-ENHANCEDSTATUSCODES\r\n"
		    "250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n",
		    "STARTTLS advertised and answered; the pipelined NOOP and MAIL get nothing");
		is_int(smtp_server_state(r.s), SMTP_S_TLS, "the engine waits for the handshake");
		is_int(smtp_server_input_space(r.s), 0, "and reads nothing meanwhile");
		smtp_server_tls_up(r.s);
		buf_drain(&r.out, r.out.len);
		in = "MAIL FROM:<a@b>\r\nEHLO c\r\nSTARTTLS\r\nMAIL FROM:<a@b>\r\n";
		feed(&r, in, strlen(in));
		buf_append(&r.out, "", 1);
		is_str((const char *)buf_ptr(&r.out), "503 5.5.1 Error: send HELO/EHLO first\r\n"
		    "250-localhost\r\n250 ENHANCEDSTATUSCODES\r\n"
		    "503 5.5.1 Error: TLS is already active\r\n250 2.1.0 Ok\r\n",
		    "after TLS: EHLO forgotten, STARTTLS no longer offered nor accepted, MAIL allowed");
		smtp_server_free(r.s);
		buf_free(&r.out);
		buf_free(&r.msgs);
		buf_free(&r.content);

		memset(&r, 0, sizeof(r));
		buf_init(&r.out, 1 << 20);
		buf_init(&r.msgs, 1 << 20);
		buf_init(&r.content, 1 << 20);
		r.s = smtp_server_new(&cfg, &ev, &r);
		smtp_server_start(r.s);
		buf_drain(smtp_server_output(r.s), smtp_server_output(r.s)->len);
		in = "EHLO c\r\nMAIL FROM:<a@b>\r\nSTARTTLS now\r\n";
		feed(&r, in, strlen(in));
		buf_append(&r.out, "", 1);
		ok(strstr((const char *)buf_ptr(&r.out), "530 5.7.0 Must issue a STARTTLS command "
		    "first\r\n501 5.5.4 Syntax: STARTTLS\r\n") != NULL,
		    "require-tls: 530 before STARTTLS; STARTTLS with an argument: 501");
		smtp_server_free(r.s);
		buf_free(&r.out);
		buf_free(&r.msgs);
		buf_free(&r.content);
	}
	/* AUTH (RFC 4954), any credentials accepted (no lookup). */
	{
		static const struct { const char *name, *in, *out; int anytime, require; } ac[] = {
			{ "AUTH PLAIN with an initial response", "EHLO c\r\nAUTH PLAIN AGFsaWNlAHB3\r\n",
			  "235 2.7.0 Authentication successful\r\n", 1, 0 },
			{ "AUTH PLAIN, response after an empty 334", "EHLO c\r\nAUTH PLAIN\r\nAGFsaWNlAHB3\r\n",
			  "334 \r\n235 2.7.0 Authentication successful\r\n", 1, 0 },
			{ "AUTH LOGIN", "EHLO c\r\nAUTH LOGIN\r\nYWxpY2U=\r\ncHc=\r\n",
			  "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.7.0 Authentication successful\r\n", 1, 0 },
			{ "cancelled with *", "EHLO c\r\nAUTH LOGIN\r\n*\r\nNOOP\r\n",
			  "334 VXNlcm5hbWU6\r\n501 5.7.0 Authentication cancelled\r\n" OK250, 1, 0 },
			{ "bad base64", "EHLO c\r\nAUTH PLAIN !!!!\r\n",
			  "501 5.5.2 Error: cannot decode the response\r\n", 1, 0 },
			{ "malformed PLAIN message", "EHLO c\r\nAUTH PLAIN YWxpY2U=\r\n",
			  "501 5.5.2 Error: malformed authentication message\r\n", 1, 0 },
			{ "twice", "EHLO c\r\nAUTH PLAIN AGFsaWNlAHB3\r\nAUTH PLAIN AGFsaWNlAHB3\r\n",
			  "235 2.7.0 Authentication successful\r\n503 5.5.1 Error: already authenticated\r\n", 1, 0 },
			{ "inside a transaction", "EHLO c\r\nMAIL FROM:<a@b>\r\nAUTH PLAIN AGFsaWNlAHB3\r\n",
			  "250 2.1.0 Ok\r\n503 5.5.1 Error: MAIL transaction in progress\r\n", 1, 0 },
			{ "unknown mechanism", "EHLO c\r\nAUTH GSSAPI\r\n",
			  "504 5.5.4 Unrecognized authentication type\r\n", 1, 0 },
			{ "before TLS unless allowed", "EHLO c\r\nAUTH PLAIN AGFsaWNlAHB3\r\n",
			  "538 5.7.11 Encryption required for requested authentication mechanism\r\n", 0, 0 },
			{ "required before MAIL", "EHLO c\r\nMAIL FROM:<a@b>\r\nAUTH PLAIN AGFsaWNlAHB3\r\nMAIL FROM:<a@b>\r\n",
			  "530 5.7.0 Authentication required\r\n235 2.7.0 Authentication successful\r\n"
			  "250 2.1.0 Ok\r\n", 1, 1 },
		};
		size_t k;
		memset(&rule, 0, sizeof(rule));
		for (k = 0; k < sizeof(ac) / sizeof(ac[0]); k++) {
			char *want;
			const char *ehlo = "250-localhost\r\n250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN LOGIN\r\n";
			memset(&cfg, 0, sizeof(cfg));
			cfg.ext = SMTP_EXT_ENHANCED;
			cfg.auth_mechs = 1u << SASL_PLAIN | 1u << SASL_LOGIN;
			cfg.auth_any_time = ac[k].anytime;
			cfg.require_auth = ac[k].require;
			want = malloc(strlen(ehlo) + strlen(ac[k].out) + 1);
			sprintf(want, "%s%s", ac[k].anytime ? ehlo :
			    "250-localhost\r\n250 ENHANCEDSTATUSCODES\r\n", ac[k].out);
			got = run(&cfg, ac[k].in, strlen(ac[k].in), 0, &gm);
			is_str(got, want, "AUTH: %s", ac[k].name);
			free(got);
			free(gm);
			got = run(&cfg, ac[k].in, strlen(ac[k].in), 1, &gm);
			is_str(got, want, "AUTH: %s (a byte at a time)", ac[k].name);
			free(got);
			free(gm);
			free(want);
		}
	}
	/* A decision the driver gives later; pipelined commands wait for it. */
	{
		struct res r;
		struct smtp_decision d;
		const char *in = TXN "DATA\r\n";
		memset(&r, 0, sizeof(r));
		memset(&cfg, 0, sizeof(cfg));
		cfg.ext = SMTP_EXT_ENHANCED | SMTP_EXT_PIPELINING;
		buf_init(&r.out, 1 << 20);
		buf_init(&r.msgs, 1 << 20);
		buf_init(&r.content, 1 << 20);
		memset(&rule, 0, sizeof(rule));
		rule.stage = SMTP_ST_RCPT + 1;
		rule.wait = 1;
		r.s = smtp_server_new(&cfg, &ev, &r);
		smtp_server_start(r.s);
		buf_drain(smtp_server_output(r.s), smtp_server_output(r.s)->len);
		feed(&r, in, strlen(in));
		ok(smtp_server_waiting(r.s) && r.out.len == strlen(HELO_OK "250 2.1.0 Ok\r\n"),
		    "RCPT waits for the driver; DATA is not run");
		memset(&d, 0, sizeof(d));
		d.code = 451;
		snprintf(d.text, sizeof(d.text), "4.7.1 greylisted");
		rule.stage = 0;
		smtp_server_decide(r.s, &d);
		feed(&r, "", 0);
		buf_append(&r.out, "", 1);
		is_str((const char *)buf_ptr(&r.out), HELO_OK "250 2.1.0 Ok\r\n451 4.7.1 greylisted\r\n"
		    "503 5.5.1 Error: need RCPT command\r\n", "the late decision is sent, then DATA runs");
		smtp_server_free(r.s);
		buf_free(&r.out);
		buf_free(&r.msgs);
		buf_free(&r.content);
	}
	/* A half-close is not an abort: the message handed over before the
	 * end of input is still answered, then the QUIT that came with it. */
	{
		static const char *const hc[][2] = {
			{ "DATA", TXN "DATA\r\nSubject: t\r\n\r\nhi\r\n.\r\nQUIT\r\n" },
			{ "BDAT LAST", TXN "BDAT 4 LAST\r\nhi\r\nQUIT\r\n" },
		};
		size_t	 k;
		for (k = 0; k < 2; k++) {
			struct res r;
			memset(&r, 0, sizeof(r));
			memset(&cfg, 0, sizeof(cfg));
			memset(&rule, 0, sizeof(rule));
			cfg.ext = SMTP_EXT_ENHANCED | SMTP_EXT_PIPELINING | SMTP_EXT_CHUNKING;
			buf_init(&r.out, 1 << 20);
			buf_init(&r.msgs, 1 << 20);
			buf_init(&r.content, 1 << 20);
			r.async = 1;
			r.s = smtp_server_new(&cfg, &ev, &r);
			smtp_server_start(r.s);
			buf_drain(smtp_server_output(r.s), smtp_server_output(r.s)->len);
			feed(&r, hc[k][1], strlen(hc[k][1]));
			smtp_server_eof(r.s);
			ok(!r.closed && smtp_server_state(r.s) == SMTP_S_WAIT,
			    "half-close (%s): the message in the store keeps the session", hc[k][0]);
			smtp_server_message_done(r.s, 250, "2.0.0", "Ok: stored");
			feed(&r, "", 0);
			smtp_server_process(r.s);
			feed(&r, "", 0);
			buf_append(&r.out, "", 1);
			ok(r.closed && strstr((const char *)buf_ptr(&r.out),
			    "250 2.0.0 Ok: stored\r\n221 2.0.0 Bye\r\n") != NULL,
			    "half-close (%s): 250 for the message, 221 for QUIT, then close", hc[k][0]);
			is_int(smtp_server_lint(r.s)->no_quit, 0, "half-close (%s): QUIT was seen",
			    hc[k][0]);
			smtp_server_free(r.s);
			buf_free(&r.out);
			buf_free(&r.msgs);
			buf_free(&r.content);
		}
	}
	/* Lint: what a careless client does is counted. */
	{
		struct res r;
		const struct smtp_lint *l;
		char	 txt[1024];
		const char *in = "HELO c\r\nMAIL FROM: <\xc3\xa4@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"
		    "x\xff\r\n.\r\n";
		memset(&r, 0, sizeof(r));
		memset(&cfg, 0, sizeof(cfg));
		memset(&rule, 0, sizeof(rule));
		cfg.ext = SMTP_EXT_ENHANCED;
		buf_init(&r.out, 1 << 20);
		buf_init(&r.msgs, 1 << 20);
		buf_init(&r.content, 1 << 20);
		r.s = smtp_server_new(&cfg, &ev, &r);
		smtp_server_feed(r.s, "NOOP\r\n", 6);
		smtp_server_start(r.s);
		smtp_server_feed(r.s, in, strlen(in));
		smtp_server_eof(r.s);
		l = smtp_server_lint(r.s);
		is_int(l->before_greeting, 1, "lint: a command before the greeting");
		is_int(l->pipelined_unoffered, 4, "lint: commands sent ahead without PIPELINING");
		is_int(l->utf8_undeclared, 1, "lint: a UTF-8 address without SMTPUTF8");
		is_int(l->space_after_colon, 1, "lint: a space after FROM:");
		is_int(l->eightbit_undeclared, 1, "lint: 8-bit data without BODY=8BITMIME");
		is_int(l->no_quit, 1, "lint: no QUIT");
		ok(smtp_lint_text(l, txt, sizeof(txt)) == 9 && strstr(txt, "closed without QUIT (1)"),
		    "lint text: %s", txt);
		smtp_server_free(r.s);
		buf_free(&r.out);
		buf_free(&r.msgs);
		buf_free(&r.content);
	}
	return tap_done();
}
