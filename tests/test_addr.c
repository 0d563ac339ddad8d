/*
 * test_addr - the pure pieces send and the sink lean on: addresses as
 * people write them, xtext, RFC 2047 decoding for display, editing the
 * header block of a message file, and --tlsa records.
 */
#include "config.h"

#include "session/addr.h"
#include "session/buf.h"
#include "session/mime.h"
#include "tls/report.h"
#include "tests/tap.h"

static const char *
dec(const char *in)
{
	static char out[512];
	struct buf b;

	buf_init(&b, 4096);
	mime_decode_words(in, &b);
	snprintf(out, sizeof(out), "%.*s", (int)b.len, (const char *)buf_ptr(&b));
	buf_free(&b);
	return out;
}

static const char *
seth(const char *msg, const char *line)
{
	static char out[1024];
	struct buf b;

	buf_init(&b, 1 << 20);
	buf_append(&b, msg, strlen(msg));
	mime_set_header(&b, line);
	snprintf(out, sizeof(out), "%.*s", (int)b.len, (const char *)buf_ptr(&b));
	buf_free(&b);
	return out;
}

int
main(void)
{
	struct addr	 a;
	char		 err[300], x[200];
	unsigned char	 rec[1100];

	ok(addr_parse("a@b.example", &a, 0, 0, err, sizeof(err)) == 0 &&
	    strcmp(a.env, "a@b.example") == 0 && strcmp(a.hdr, "a@b.example") == 0, "plain");
	ok(addr_parse(" <a@b.example> ", &a, 0, 0, err, sizeof(err)) == 0 &&
	    strcmp(a.env, "a@b.example") == 0, "angle brackets are not part of the address");
	ok(addr_parse("Bob Example <b@x.example>", &a, 0, 0, err, sizeof(err)) == 0 &&
	    strcmp(a.env, "b@x.example") == 0 && strcmp(a.hdr, "Bob Example <b@x.example>") == 0,
	    "display name: the envelope gets the address");
	ok(addr_parse("Doe, J. <j@x.example>", &a, 0, 0, err, sizeof(err)) == 0 &&
	    strcmp(a.hdr, "\"Doe, J.\" <j@x.example>") == 0, "specials are quoted");
	ok(addr_parse("\"Q\\\"uote\" <q@x.example>", &a, 0, 0, err, sizeof(err)) == 0 &&
	    strcmp(a.hdr, "\"Q\\\"uote\" <q@x.example>") == 0, "a quoted name stays as given");
	ok(addr_parse("Zoë <z@x.example>", &a, 0, 0, err, sizeof(err)) == 0 &&
	    strcmp(a.hdr, "=?UTF-8?B?Wm/Dqw==?= <z@x.example>") == 0, "8-bit names: RFC 2047");
	ok(addr_parse("用户@例子.广告", &a, 0, 0, err, sizeof(err)) == 0, "UTF-8 (SMTPUTF8)");
	ok(addr_parse("\"john doe\"@x.example", &a, 0, 0, err, sizeof(err)) == 0,
	    "a quoted local part may hold a space");
	ok(addr_parse("<>", &a, 1, 0, err, sizeof(err)) == 0 && a.env[0] == '\0' &&
	    strcmp(a.hdr, "<>") == 0, "<> as the null sender when allowed");
	ok(addr_parse("<>", &a, 0, 0, err, sizeof(err)) == -1, "<> is no recipient");
	ok(addr_parse("", &a, 1, 0, err, sizeof(err)) == -1 && strstr(err, "empty"), "empty");
	ok(addr_parse("nobody", &a, 0, 0, err, sizeof(err)) == -1 && strstr(err, "@domain"),
	    "no domain");
	ok(addr_parse("a b@x.example", &a, 0, 0, err, sizeof(err)) == -1, "a space");
	ok(addr_parse("a..b@x.example", &a, 0, 0, err, sizeof(err)) == -1, "two dots");
	ok(addr_parse("a@x..example", &a, 0, 0, err, sizeof(err)) == -1, "an empty label");
	ok(addr_parse("a@x_y.example", &a, 0, 0, err, sizeof(err)) == -1, "_ in a domain");
	ok(addr_parse("Bob <b@x.example", &a, 0, 0, err, sizeof(err)) == -1, "an unclosed <");
	ok(addr_parse("b@x.example>", &a, 0, 0, err, sizeof(err)) == -1 ||
	    strcmp(a.env, "b@x.example>") != 0, "a stray > is not sent as the address");
	ok(addr_parse("a@[192.0.2.1]", &a, 0, 0, err, sizeof(err)) == 0, "an address literal");
	ok(addr_parse("a\r\nRCPT TO:<x@y>", &a, 0, 1, err, sizeof(err)) == -1,
	    "CR LF refused even with --force");
	ok(addr_parse("a b@x.example", &a, 0, 1, err, sizeof(err)) == 0 &&
	    strcmp(a.env, "a b@x.example") == 0, "--force sends it as given");

	addr_xtext("ENV+ID=42", x, sizeof(x));
	is_str(x, "ENV+2BID+3D42", "xtext: + and = encoded (RFC 3461 4)");
	addr_xtext("a b\xc3\xa9", x, sizeof(x));
	is_str(x, "a+20b+C3+A9", "xtext: space and 8-bit");

	is_str(dec("=?UTF-8?B?SGVsbG8gV8O2cmxk?="), "Hello W\xc3\xb6rld", "B word");
	is_str(dec("=?utf-8?q?caf=C3=A9_ok?="), "caf\xc3\xa9 ok", "Q word, _ is a space");
	is_str(dec("=?ISO-8859-1?Q?=E9t=E9?="), "\xc3\xa9t\xc3\xa9", "Latin-1 becomes UTF-8");
	is_str(dec("=?UTF-8?B?YQ==?= =?UTF-8?B?Yg==?="), "ab", "space between words goes");
	is_str(dec("x =?UTF-8?B?YQ==?= y"), "x a y", "space next to text stays");
	is_str(dec("=?KOI8-R?B?8PLJ18XU?="), "=?KOI8-R?B?8PLJ18XU?=", "other charsets left as is");
	is_str(dec("=?UTF-8?B?broken"), "=?UTF-8?B?broken", "a broken word left as is");
	is_str(dec("plain"), "plain", "plain text");

	is_str(seth("Subject: old\r\nX: 1\r\n\r\nbody\r\n", "Subject: new"),
	    "X: 1\r\nSubject: new\r\n\r\nbody\r\n", "a header replaced");
	is_str(seth("A: 1\r\nX-Fold: a\r\n b\r\nB: 2\r\n\r\nbody\r\n", "X-Fold: c"),
	    "A: 1\r\nB: 2\r\nX-Fold: c\r\n\r\nbody\r\n", "with its continuation lines");
	is_str(seth("A: 1\n\nbody\n", "N: v"), "A: 1\nN: v\n\nbody\n", "LF files keep LF");
	is_str(seth("A: 1\r\n\r\nSubject: in the body\r\n", "Subject: s"),
	    "A: 1\r\nSubject: s\r\n\r\nSubject: in the body\r\n", "the body is never touched");
	is_str(seth("A: 1\r\n", "B: 2"), "A: 1\r\nB: 2\r\n", "headers only");

	ok(tlsa_parse("3 1 1 " "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef",
	    rec, sizeof(rec), err, sizeof(err)) == 35, "3 1 1 with 32 bytes");
	ok(tlsa_parse("3 0 1 01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:"
	    "01:23:45:67:89:AB:CD:EF", rec, sizeof(rec), err, sizeof(err)) == 35 && rec[4] == 0x23,
	    "colons as fingerprints are printed");
	ok(tlsa_parse("3 1 1 abcd", rec, sizeof(rec), err, sizeof(err)) == 0 &&
	    strstr(err, "32 bytes"), "a short SHA-256");
	ok(tlsa_parse("4 1 1 ab", rec, sizeof(rec), err, sizeof(err)) == 0, "usage 4");
	ok(tlsa_parse("3 1 0 abc", rec, sizeof(rec), err, sizeof(err)) == 0, "odd digits");
	ok(tlsa_parse("3 1 0 zz", rec, sizeof(rec), err, sizeof(err)) == 0, "not hex");
	ok(tlsa_parse("3 1", rec, sizeof(rec), err, sizeof(err)) == 0, "too few fields");
	return tap_done();
}
