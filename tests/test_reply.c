/*
 * test_reply - the reply parser, table-driven.  Each case is fed whole,
 * one byte at a time and split at every offset; the event log must be the
 * same every time.
 */
#include "config.h"

#include "session/buf.h"
#include "session/line.h"
#include "session/smtp_reply.h"
#include "tests/tap.h"

struct log { struct buf b, raw; };

static void
on_line(void *arg, const struct smtp_line *l)
{
	struct log *g = arg;

	buf_printf(&g->b, "L%d%c%s f%x|", l->code, l->sep ? l->sep : '0',
	    l->last ? "$" : "", l->flags);
	buf_append(&g->raw, l->raw, l->len);
}

static void
on_reply(void *arg, const struct smtp_reply *r)
{
	struct log *g = arg;

	buf_printf(&g->b, "R%d n%zu f%x e%s t[", r->code, r->nlines, r->flags, r->enh);
	buf_append(&g->b, buf_ptr(&r->text), r->text.len);
	buf_printf(&g->b, "]|");
}

static char *
run(const char *in, size_t n, size_t split, int eof, const struct smtp_reply_limits *lim)
{
	static const struct smtp_reply_cb cb = { on_line, on_reply };
	struct log	 g;
	struct smtp_reply_parser *p;
	size_t		 i;
	char		*s;

	buf_init(&g.b, 1 << 20);
	buf_init(&g.raw, 1 << 20);
	p = smtp_reply_new(lim, &cb, &g);
	if (split == 0)
		smtp_reply_feed(p, in, n);
	else if (split == 1)
		for (i = 0; i < n; i++)
			smtp_reply_feed(p, in + i, 1);
	else {
		smtp_reply_feed(p, in, split - 2);
		smtp_reply_feed(p, in + split - 2, n - (split - 2));
	}
	if (eof)
		smtp_reply_eof(p);
	smtp_reply_free(p);
	/* every byte reaches on_line, in order, whatever the limits */
	if (g.raw.len != n || memcmp(buf_ptr(&g.raw), in, n) != 0)
		buf_printf(&g.b, "[BYTES LOST]");
	buf_free(&g.raw);
	buf_append(&g.b, "", 1);
	s = strdup((const char *)buf_ptr(&g.b));
	buf_free(&g.b);
	return s;
}

static const struct {
	const char *name;
	const char *in;
	int eof;
	const char *want;
} cases[] = {
	{ "greeting", "220 mx ready\r\n", 0,
	  "L220 $ f0|R220 n1 f0 e t[mx ready]|" },
	{ "multi-line with enhanced code", "250-a\r\n250-b c\r\n250 2.0.0 ok\r\n", 0,
	  "L250- f0|L250- f0|L250 $ f0|R250 n3 f0 e t[a\nb c\n2.0.0 ok]|" },
	{ "enhanced code on the first line", "550 5.1.1 no such user\r\n", 0,
	  "L550 $ f0|R550 n1 f0 e5.1.1 t[5.1.1 no such user]|" },
	{ "enhanced class must match the code", "250 5.1.1 odd\r\n", 0,
	  "L250 $ f0|R250 n1 f0 e t[5.1.1 odd]|" },
	{ "code alone ends a reply", "250-x\r\n250\r\n", 0,
	  "L250- f0|L2500$ f0|R250 n2 f0 e t[x\n]|" },
	{ "bare LF is flagged, not fixed", "220 hi\n", 0,
	  "L220 $ f1|R220 n1 f0 e t[hi]|" },
	{ "bare CR inside a line", "220 a\rb\r\n", 0,
	  "L220 $ f2|R220 n1 f0 e t[a\rb]|" },
	{ "codes differ across lines", "250-a\r\n251 b\r\n", 0,
	  "L250- f0|L251 $ f0|R250 n2 f1 e t[a\nb]|" },
	{ "malformed line is its own reply", "hello\r\n220 x\r\n", 0,
	  "L-10$ f0|R-1 n1 f2 e t[hello]|L220 $ f0|R220 n1 f0 e t[x]|" },
	{ "malformed line inside a multi-line reply ends it", "250-a\r\nxx\r\n", 0,
	  "L250- f0|L-10$ f0|R250 n2 f2 e t[a\nxx]|" },
	{ "two replies in one read", "250 a\r\n250 b\r\n", 0,
	  "L250 $ f0|R250 n1 f0 e t[a]|L250 $ f0|R250 n1 f0 e t[b]|" },
	{ "NUL and control bytes", "250 a\0b\x1b\r\n", 0,
	  "L250 $ fc|R250 n1 f0 e t[a" },
	{ "unterminated line at EOF", "221 bye", 1,
	  "L221 $ f40|R221 n1 f0 e t[bye]|" },
	{ "EOF inside a multi-line reply", "250-a\r\n", 1,
	  "L250- f0|R250 n1 f8 e t[a]|" },
	{ "code 1xx is malformed", "199 x\r\n", 0,
	  "L-10$ f0|R-1 n1 f2 e t[199 x]|" },
	{ "line over 512 octets is flagged", NULL, 0, NULL },
};

int
main(void)
{
	size_t	 i, n, s;
	char	*base, *got;
	char	 long_line[700];
	struct smtp_reply_limits small = { 16, 3, 40 };

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *in = cases[i].in;
		if (in == NULL)
			continue;
		n = strlen(in);
		if (strstr(cases[i].name, "NUL"))
			n = 11;
		base = run(in, n, 0, cases[i].eof, NULL);
		if (strstr(cases[i].name, "NUL"))
			ok(strncmp(base, cases[i].want, strlen(cases[i].want)) == 0, "%s", cases[i].name);
		else
			is_str(base, cases[i].want, "%s", cases[i].name);
		for (s = 1; s <= n + 2; s++) {
			got = run(in, n, s, cases[i].eof, NULL);
			if (strcmp(got, base) != 0) {
				ok(0, "%s: split %zu differs: %s", cases[i].name, s, got);
				free(got);
				break;
			}
			free(got);
		}
		if (s > n + 2)
			ok(1, "%s: same result for every split", cases[i].name);
		free(base);
	}

	memset(long_line, 'a', sizeof(long_line));
	memcpy(long_line, "250 ", 4);
	memcpy(long_line + sizeof(long_line) - 2, "\r\n", 2);
	base = run(long_line, sizeof(long_line), 0, 0, NULL);
	ok(strncmp(base, "L250 $ f20|", 11) == 0, "line over 512 octets is flagged long: %.20s", base);
	free(base);

	/* Small limits: memory stays bounded, a line over max_line comes in
	 * pieces (every byte), its code from the first, the reply over-long. */
	for (s = 0; s <= 38; s++) {
		got = run("250 0123456789012345678901234567890\r\n", 37, s, 0, &small);
		if (strcmp(got, "L250  f200|L250  f200|L250 $ f0|R250 n1 f4 e t[012345678901]|") != 0) {
			ok(0, "a line over max_line, split %zu: %s", s, got);
			free(got);
			break;
		}
		free(got);
	}
	if (s > 38)
		ok(1, "a line over max_line comes in pieces with every byte, the same for every split");
	base = run("250 01234567890123\r\r\n", 21, 1, 0, &small);
	is_str(base, "L250  f200|L250 $ f2|R250 n1 f4 e t[012345678901]|",
	    "a bare CR at the end of a piece is judged with the byte after it");
	free(base);
	base = run("250 01234567890\r\n", 17, 1, 0, &small);
	is_str(base, "L250  f200|L250 $ f0|R250 n1 f4 e t[01234567890]|",
	    "CR and LF split across pieces are one CRLF");
	free(base);
	base = run("250-a\r\n250-b\r\n250-c\r\n250-d\r\n250-e\r\n250 f\r\n", 42, 0, 0, &small);
	is_str(base, "L250- f0|L250- f0|L250- f0|L250-$ f0|R250 n4 f4 e t[a\nb\nc]|"
	    "L250- f0|L250  f0|", "a reply over max_lines is delivered early, its tail shown only");
	free(base);
	for (s = 1; s <= 44; s++) {
		char *g2 = run("250-a\r\n250-b\r\n250-c\r\n250-d\r\n250-e\r\n250 f\r\n", 42, s, 0, &small);
		if (strcmp(g2, "L250- f0|L250- f0|L250- f0|L250-$ f0|R250 n4 f4 e t[a\nb\nc]|"
		    "L250- f0|L250  f0|") != 0) {
			ok(0, "over-long reply split %zu: %s", s, g2);
			free(g2);
			break;
		}
		free(g2);
	}
	if (s > 44)
		ok(1, "over-long reply: same result for every split");
	{
		char enh[16];
		is_int(smtp_reply_parse_enh((const unsigned char *)"4.7.0 x", 7, 4, enh, sizeof(enh)), 5,
		    "enhanced code parsed");
		is_int(smtp_reply_parse_enh((const unsigned char *)"4.7.", 4, 4, enh, sizeof(enh)), 0,
		    "incomplete enhanced code refused");
		is_int(smtp_reply_parse_enh((const unsigned char *)"2.1234.5", 8, 2, enh, sizeof(enh)), 0,
		    "four-digit subject refused");
	}
	return tap_done();
}
