/* test_caps - EHLO capability parsing and descriptions. */
#include "config.h"

#include "session/caps.h"
#include "session/smtp_reply.h"
#include "tests/tap.h"

static struct caps caps;

static void on_line(void *a, const struct smtp_line *l) { }
static void on_reply(void *a, const struct smtp_reply *r) { caps_parse(&caps, r); }

int
main(void)
{
	static const struct smtp_reply_cb cb = { on_line, on_reply };
	struct smtp_reply_parser *p = smtp_reply_new(NULL, &cb, NULL);
	const char *in = "250-mx.example greets you\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n"
	    "250-AUTH PLAIN LOGIN\r\n250-AUTH=LOGIN\r\n250-X-WEIRD a\x1b" "b\r\n250 8BITMIME\r\n";
	char	 d[256];
	const struct caps_entry *e;

	smtp_reply_feed(p, in, strlen(in));
	ok(caps.valid, "parsed");
	is_str(caps.domain, "mx.example", "domain");
	is_int(caps.n, 6, "six keywords");
	ok(caps_find(&caps, "pipelining") != NULL, "lookup is case-insensitive");
	e = caps_find(&caps, "SIZE");
	ok(e && strcmp(e->params, "10485760") == 0, "SIZE parameter");
	caps_describe(e, d, sizeof(d));
	is_str(d, "messages up to 10485760 bytes (10.0 MiB)", "SIZE described in MiB");
	e = caps_find(&caps, "AUTH");
	caps_describe(e, d, sizeof(d));
	is_str(d, "authentication with PLAIN LOGIN (RFC 4954)", "AUTH mechanisms");
	e = caps_find(&caps, "X-WEIRD");
	ok(e && strcmp(e->params, "a?b") == 0, "control bytes never reach the table");
	caps_describe(e, d, sizeof(d));
	is_str(d, "private extension", "unknown X- keyword kept and named");
	ok(caps_find(&caps, "AUTH=LOGIN") != NULL, "old AUTH= form kept");
	ok(caps_find(&caps, "STARTTLS") == NULL, "absent keyword");
	smtp_reply_feed(p, "550 no\r\n", 8);
	ok(!caps.valid && caps.n == 0, "a failed EHLO leaves no capabilities");
	smtp_reply_free(p);
	return tap_done();
}
