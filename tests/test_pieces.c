/*
 * test_pieces - the server engine judges lines, never read pieces.  Each
 * case is fed whole, a byte at a time, and split in two at every offset
 * (long inputs: at the offsets that matter); the events (every input line
 * or piece with its flags, the content stored, the replies, the message's
 * counts) must be the same every time, and right.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/buf.h"
#include "session/line.h"
#include "session/smtp_server.h"
#include "tests/tap.h"

struct res {
	struct smtp_server *s;
	struct buf	 log;		/* events, for comparing runs */
	struct buf	 in;		/* every input byte passed on, in order */
	struct buf	 content;	/* what would be stored */
	struct buf	 lines[2];	/* whole lines rebuilt from the pieces:
					 * commands, message data */
	size_t		 cur[2];	/* bytes of the lines being rebuilt */
};

static void
on_input(void *arg, const unsigned char *p, size_t n, unsigned f, int in_data)
{
	struct res *r = arg;

	buf_append(&r->in, p, n);
	r->cur[in_data] += n;
	if (!(f & LINE_MORE)) {
		buf_printf(&r->lines[in_data], "[%s %zu f%x]", in_data ? "D" : "C", r->cur[in_data],
		    f & ((1u << LINE_FLAG_COUNT) - 1));
		r->cur[in_data] = 0;
	}
}

static void
on_output(void *arg, const unsigned char *p, size_t n)
{
	struct res *r = arg;

	buf_printf(&r->log, "S:");
	buf_append(&r->log, p, n);
}

static void
on_data(void *arg, const unsigned char *p, size_t n)
{
	struct res *r = arg;

	buf_append(&r->content, p, n);
}

static void
on_message(void *arg, const struct smtp_message *m)
{
	struct res *r = arg;

	buf_printf(&r->log, "[msg %llu bytes, %zu bare LF, %zu bare CR, %zu long]",
	    (unsigned long long)m->size, m->bare_lf, m->bare_cr, m->long_lines);
	smtp_server_message_done(r->s, 250, "2.0.0", "Ok");
}

static void
on_lines(void *arg, const unsigned char *p, size_t n, size_t nl)
{
	struct res	*r = arg;
	size_t		 i, start = 0;

	for (i = 0; i < n; i++)
		if (p[i] == '\n') {
			buf_printf(&r->lines[1], "[D %zu f0]", i + 1 - start);
			start = i + 1;
		}
	(void)nl;
	buf_append(&r->in, p, n);
}

static const struct smtp_server_events ev_lines = {
	on_input, on_output, NULL, on_data, on_message, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, on_lines,
};
static const struct smtp_server_events ev_each = {
	on_input, on_output, NULL, on_data, on_message, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL,
};
/* fast: plain data lines come in runs (on_data_lines), which must change
 * nothing; every case runs both ways */
static int fast;
#define ev (*(fast ? &ev_lines : &ev_each))

#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

/* run - feed in[0..n) in pieces ending at the offsets in cuts[] (0-ended);
 * returns the events as one allocated string */
static char *
run(const struct smtp_server_cfg *cfg, const char *in, size_t n, const size_t *cuts,
    char **content, char **lines)
{
	struct res	 r;
	size_t		 at = 0, to, k = 0, take;
	char		*s;

	memset(&r, 0, sizeof(r));
	buf_init(&r.log, 1 << 24);
	buf_init(&r.in, 1 << 24);
	buf_init(&r.content, 1 << 24);
	buf_init(&r.lines[0], 1 << 24);
	buf_init(&r.lines[1], 1 << 24);
	r.s = smtp_server_new(cfg, &ev, &r);
	smtp_server_start(r.s);
	buf_drain(&r.log, r.log.len);	/* the greeting */
	while (at < n) {
		to = cuts && cuts[k] ? cuts[k++] : n;
		if (to > n)
			to = n;
		while (at < to) {
			take = smtp_server_input_space(r.s);
			if (take == 0)
				break;
			if (take > to - at)
				take = to - at;
			smtp_server_feed(r.s, in + at, take);
			at += take;
			buf_drain(smtp_server_output(r.s), smtp_server_output(r.s)->len);
			smtp_server_process(r.s);
		}
		if (at < to)
			break;
	}
	smtp_server_eof(r.s);
	if (r.in.len != n || memcmp(buf_ptr(&r.in), in, n) != 0)
		buf_printf(&r.log, "[INPUT NOT ALL PASSED ON: %zu of %zu]", r.in.len, n);
	buf_append(&r.log, "", 1);
	buf_append(&r.content, "", 1);
	buf_append(&r.lines[1], "|", 1);
	buf_append(&r.lines[1], buf_ptr(&r.lines[0]), r.lines[0].len);
	buf_append(&r.lines[1], "", 1);
	s = strdup((const char *)buf_ptr(&r.log));
	*content = strdup((const char *)buf_ptr(&r.content));
	*lines = strdup((const char *)buf_ptr(&r.lines[1]));
	smtp_server_free(r.s);
	buf_free(&r.log);
	buf_free(&r.in);
	buf_free(&r.content);
	buf_free(&r.lines[0]);
	buf_free(&r.lines[1]);
	return s;
}

/* same - every split gives the whole run's events; cuts: the offsets to
 * try (0-ended), or NULL for every offset and every byte */
static void
same(const char *name, const struct smtp_server_cfg *cfg, const char *in, size_t n,
    const size_t *offs, char **base, char **bcontent, char **blines)
{
	char	*got, *gc, *gl;
	size_t	 cuts[2] = { 0, 0 }, i, bad = 0, tried = 0;

	*base = run(cfg, in, n, NULL, bcontent, blines);
	for (i = 1; offs ? offs[i - 1] != 0 : i < n; i++) {
		cuts[0] = offs ? offs[i - 1] : i;
		got = run(cfg, in, n, cuts, &gc, &gl);
		tried++;
		if (!bad && (strcmp(got, *base) || strcmp(gc, *bcontent) || strcmp(gl, *blines))) {
			bad = cuts[0];
			diag("split at %zu differs:\n# got  %.300s\n# want %.300s\n# lines %.300s\n"
			    "# want  %.300s", bad, got, *base, gl, *blines);
		}
		free(got), free(gc), free(gl);
	}
	if (!offs && n < 4096) {
		size_t *every = malloc((n + 1) * sizeof(*every));
		for (i = 0; i < n; i++)
			every[i] = i + 1;
		every[n] = 0;
		got = run(cfg, in, n, every, &gc, &gl);
		if (!bad && (strcmp(got, *base) || strcmp(gc, *bcontent) || strcmp(gl, *blines)))
			bad = (size_t)-1;
		free(got), free(gc), free(gl);
		free(every);
	}
	ok(bad == 0, "%s: the same for %zu splits%s", name, tried,
	    !offs && n < 4096 ? " and a byte at a time" : "");
}

#define TXN	"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"

static int	 cases(void);

int
main(void)
{
	for (fast = 0; fast < 2; fast++) {
		diag("plain data lines %s", fast ? "in runs" : "one by one");
		cases();
	}
	return tap_done();
}

static int
cases(void)
{
	struct smtp_server_cfg cfg;
	struct buf	 b;
	char		*base, *content, *lines, *want;
	size_t		 offs[16], i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ext = SMTP_EXT_ALL & ~(unsigned)SMTP_EXT_ENHANCED;

	/* 1. A line of 9000 octets whose CR is its 8192nd byte: CRLF, not a
	 *    bare CR and a bare LF, and the data still ends at CRLF.CRLF. */
	buf_init(&b, 1 << 20);
	buf_puts(&b, TXN "DATA\r\nSubject: long\r\n\r\n");
	{
		size_t start = b.len;
		for (i = 0; i < 8191; i++)
			buf_append(&b, "x", 1);
		buf_puts(&b, "\r\nnext\r\n.\r\nQUIT\r\n");
		offs[0] = start + 8190; offs[1] = start + 8191; offs[2] = start + 8192;
		offs[3] = start + 8193; offs[4] = start + 1; offs[5] = 0;
	}
	same("CR as the 8192nd byte of a line", &cfg, (const char *)buf_ptr(&b), b.len, offs,
	    &base, &content, &lines);
	ok(strstr(base, "[msg 8216 bytes, 0 bare LF, 0 bare CR, 1 long]S:250 Ok\r\nS:221") != NULL,
	    "accepted with its true counts");
	ok(strstr(lines, "[D 8193 f20][D 6 f0][D 3 f0]") != NULL,
	    "the long line is one line of 8193 octets, flagged long only: %s",
	    strstr(lines, "[D 8") ? strstr(lines, "[D 8") : lines);
	free(base), free(content), free(lines);
	buf_free(&b);

	/* 2. Lines of 8191, 8192, 8193 and 20000 octets: one line each. */
	buf_init(&b, 1 << 20);
	buf_puts(&b, TXN "DATA\r\n");
	{
		static const size_t lens[] = { 8191, 8192, 8193, 20000 };
		size_t k, start = b.len;
		for (k = 0; k < 4; k++) {
			for (i = 0; i < lens[k] - 2; i++)
				buf_append(&b, "y", 1);
			buf_puts(&b, "\r\n");
		}
		buf_puts(&b, ".\r\n");
		for (k = 0; k < 8; k++)
			offs[k] = start + 8189 + k;
		offs[8] = start + 8191 + 8192 + 8192;
		offs[9] = start + 8191 + 8192 + 8193 + 16383;
		offs[10] = 0;
	}
	same("lines of 8191, 8192, 8193, 20000 octets", &cfg, (const char *)buf_ptr(&b), b.len,
	    offs, &base, &content, &lines);
	ok(strstr(lines, "[D 8191 f20][D 8192 f20][D 8193 f20][D 20000 f20][D 3 f0]") != NULL,
	    "each is one line with its true length: %s", strstr(lines, "[D 8") ?
	    strstr(lines, "[D 8") : lines);
	ok(strstr(base, "4 long]") != NULL, "the message counts 4 long lines");
	free(base), free(content), free(lines);
	buf_free(&b);

	/* 3. BDAT: a CRLF split by a chunk boundary, lines across chunks, a
	 *    45-byte message in 1-byte chunks. */
	{
		const char *in = TXN "BDAT 3\r\nab\rBDAT 5 LAST\r\n\ncd\r\nQUIT\r\n";
		same("BDAT: CR at the end of a chunk, LF in the next", &cfg, in, strlen(in), NULL,
		    &base, &content, &lines);
		is_str(content, "ab\r\ncd\r\n", "stored exactly");
		ok(strstr(base, "[msg 8 bytes, 0 bare LF, 0 bare CR, 0 long]") != NULL,
		    "no bare CR, no bare LF, no long line");
		free(base), free(content), free(lines);
	}
	buf_init(&b, 1 << 20);
	buf_puts(&b, TXN);
	{
		const char *msg = "Subject: one byte at a time\r\n\r\nhello\r\nok\r\n";
		size_t k, ml = strlen(msg);
		for (k = 0; k < ml; k++) {
			buf_printf(&b, "BDAT 1%s\r\n", k + 1 == ml ? " LAST" : "");
			buf_append(&b, msg + k, 1);
		}
		buf_puts(&b, "QUIT\r\n");
		base = run(&cfg, (const char *)buf_ptr(&b), b.len, NULL, &content, &lines);
		is_str(content, msg, "a message in 1-byte BDAT chunks is stored exactly");
		want = NULL;
		ok(strstr(base, "[msg 42 bytes, 0 bare LF, 0 bare CR, 0 long]") != NULL,
		    "and summarised right (no piece counted as a line)");
		ok(strstr(lines, "[D 29 f0][D 2 f0][D 7 f0][D 4 f0]") != NULL,
		    "its lines are whole lines in the transcript: %s", lines);
		free(base), free(content), free(lines), free(want);
	}
	buf_free(&b);

	/* 4. --bare-lf normalize: bare LF and bare CR become CRLF, a CRLF
	 *    split anywhere stays one CRLF; DATA and BDAT. */
	cfg.bare_lf = SMTP_BARE_NORMALIZE;
	{
		const char *in = TXN "DATA\r\nab\r\ncd\nef\rgh\r\n.\r\nQUIT\r\n";
		same("normalize: DATA", &cfg, in, strlen(in), NULL, &base, &content, &lines);
		is_str(content, "ab\r\ncd\r\nef\r\ngh\r\n", "bare LF and bare CR stored as CRLF");
		ok(strstr(base, "1 bare LF, 1 bare CR") != NULL, "and counted once each");
		free(base), free(content), free(lines);
		in = TXN "BDAT 3\r\nab\rBDAT 8 LAST\r\n\ncd\nx\ry\rQUIT\r\n";
		same("normalize: BDAT, CR at a chunk's end", &cfg, in, strlen(in), NULL, &base,
		    &content, &lines);
		is_str(content, "ab\r\ncd\r\nx\r\ny\r\n", "no extra empty line; a CR ending the "
		    "message is a bare one");
		free(base), free(content), free(lines);
	}
	cfg.bare_lf = SMTP_BARE_REJECT;

	/* 5. An over-long command line: every byte passed on, in pieces of
	 *    the same size whatever the reads, never executed. */
	buf_init(&b, 1 << 20);
	buf_puts(&b, "EHLO c\r\nNOOP ");
	for (i = 0; i < 20000; i++)
		buf_append(&b, "z", 1);
	buf_puts(&b, "\r\nNOOP\r\n");
	for (i = 0; i < 10; i++)
		offs[i] = 8 + 2040 + i * 1711;
	offs[10] = 0;
	same("a 20006-octet command line", &cfg, (const char *)buf_ptr(&b), b.len, offs, &base,
	    &content, &lines);
	ok(strstr(base, "S:500 Error: line too long\r\nS:250 Ok\r\n") != NULL,
	    "500 for it, and the next command runs");
	ok(strstr(lines, "[C 20007 f20][C 6 f0]") != NULL, "shown as one line of 20007 "
	    "octets: %s", lines);
	free(base), free(content), free(lines);
	buf_free(&b);

	/* 6. An unfinished line at the end of input: shown as such. */
	{
		const char *in = TXN "DATA\r\nabc\r\ndef";
		same("an unfinished data line at EOF", &cfg, in, strlen(in), NULL, &base, &content,
		    &lines);
		ok(strstr(lines, "[D 5 f0][D 3 f40]") != NULL, "shown with no line end: %s", lines);
		free(base), free(content), free(lines);
	}
	return 0;
}
