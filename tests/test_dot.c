/*
 * test_dot - dot-stuffing (client) and end-of-data detection with
 * unstuffing (server), under every split of the input.
 */
#include "config.h"

#include "session/buf.h"
#include "session/dot.h"
#include "tests/tap.h"

static char *
enc(const char *in, size_t n, size_t split, int raw)
{
	struct dot_enc	 e;
	struct buf	 o;
	char		*s;

	buf_init(&o, 1 << 16);
	dot_enc_init(&e, raw);
	if (split > n)
		split = n;
	dot_enc_feed(&e, &o, in, split);
	dot_enc_feed(&e, &o, in + split, n - split);
	dot_enc_finish(&e, &o);
	buf_append(&o, "", 1);
	s = strdup((const char *)buf_ptr(&o));
	buf_free(&o);
	return s;
}

static const struct { const char *name, *in, *want; int raw; } ecases[] = {
	{ "plain CRLF lines", "a\r\nb\r\n", "a\r\nb\r\n.\r\n", 0 },
	{ "missing final CRLF is added", "a\r\nb", "a\r\nb\r\n.\r\n", 0 },
	{ "bare LF becomes CRLF", "a\nb\n", "a\r\nb\r\n.\r\n", 0 },
	{ "bare CR becomes CRLF", "a\rb", "a\r\nb\r\n.\r\n", 0 },
	{ "leading dot doubled", ".a\r\n..b\r\n.\r\n", "..a\r\n...b\r\n..\r\n.\r\n", 0 },
	{ "dot after bare LF is stuffed too (lettre RUSTSEC-2026-0561)", "x\n.\nQUIT\n",
	  "x\r\n..\r\nQUIT\r\n.\r\n", 0 },
	{ "dot not at line start untouched", "a.b\r\n", "a.b\r\n.\r\n", 0 },
	{ "empty message", "", ".\r\n", 0 },
	{ "raw keeps bare LF and does not treat it as a line start", "x\n.y\r\n",
	  "x\n.y\r\n.\r\n", 1 },
	{ "CR at the very end", "a\r", "a\r\n.\r\n", 0 },
};

struct dres { struct buf content; int ends; size_t smuggle; };

static char *
dec(const char *in, size_t n, size_t split)
{
	struct dot_dec	 d;
	struct buf	 acc, out;
	const unsigned char *c;
	size_t		 cl, fed = 0, k;
	char		*s;

	buf_init(&acc, 1 << 16);
	buf_init(&out, 1 << 16);
	dot_dec_init(&d);
	/* Feed in two pieces, take complete lines out like the server. */
	while (fed < n) {
		size_t take = fed < split && split <= n ? split - fed : n - fed;
		buf_append(&acc, in + fed, take);
		fed += take;
		while ((k = buf_findline(&acc)) > 0) {
			if (dot_dec_line(&d, buf_ptr(&acc), k, 1, &c, &cl) == DOT_DEC_END) {
				buf_printf(&out, "<END>");
				buf_drain(&acc, k);
				goto done;
			}
			buf_append(&out, c, cl);
			buf_drain(&acc, k);
		}
	}
done:
	buf_printf(&out, "<smuggle=%zu>", d.smuggle);
	buf_append(&out, "", 1);
	s = strdup((const char *)buf_ptr(&out));
	buf_free(&acc);
	buf_free(&out);
	return s;
}

static const struct { const char *name, *in, *want; } dcases[] = {
	{ "simple message", "a\r\nb\r\n.\r\n", "a\r\nb\r\n<END><smuggle=0>" },
	{ "empty message", ".\r\n", "<END><smuggle=0>" },
	{ "unstuffing", "..a\r\n...\r\n.\r\n", ".a\r\n..\r\n<END><smuggle=0>" },
	{ "LF.LF does not end data", "a\n.\nb\r\n.\r\n", "a\n.\nb\r\n<END><smuggle=1>" },
	{ "LF.CRLF does not end data (smuggling)", "a\n.\r\nMAIL FROM:<x>\r\n.\r\n",
	  "a\n.\r\nMAIL FROM:<x>\r\n<END><smuggle=1>" },
	{ "CR.CR stays content", "a\r.\rb\r\n.\r\n", "a\r.\rb\r\n<END><smuggle=0>" },
	{ "dot-space is content", "a\r\n. \r\n.\r\n", "a\r\n \r\n<END><smuggle=0>" },
	{ "CRLF.NUL CRLF is content", "a\r\n.\0\r\n.\r\n", NULL },
};

int
main(void)
{
	size_t	 i, s, n;
	char	*base, *got;

	for (i = 0; i < sizeof(ecases) / sizeof(ecases[0]); i++) {
		n = strlen(ecases[i].in);
		base = enc(ecases[i].in, n, n, ecases[i].raw);
		is_str(base, ecases[i].want, "encode: %s", ecases[i].name);
		for (s = 0; s <= n; s++) {
			got = enc(ecases[i].in, n, s, ecases[i].raw);
			if (strcmp(got, base) != 0) {
				ok(0, "encode: %s: split at %zu differs", ecases[i].name, s);
				free(got);
				break;
			}
			free(got);
		}
		if (s > n)
			ok(1, "encode: %s: same for every split", ecases[i].name);
		free(base);
	}
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		if (dcases[i].want == NULL)
			continue;
		n = strlen(dcases[i].in);
		base = dec(dcases[i].in, n, n);
		is_str(base, dcases[i].want, "decode: %s", dcases[i].name);
		for (s = 1; s <= n; s++) {
			got = dec(dcases[i].in, n, s);
			if (strcmp(got, base) != 0) {
				ok(0, "decode: %s: split at %zu differs", dcases[i].name, s);
				free(got);
				break;
			}
			free(got);
		}
		if (s > n)
			ok(1, "decode: %s: same for every split", dcases[i].name);
		free(base);
	}
	/* NUL: ".\0\r\n" is content (the dot unstuffed), only ".\r\n" ends. */
	{
		struct dot_dec d;
		const unsigned char *c;
		size_t cl;
		dot_dec_init(&d);
		ok(dot_dec_line(&d, (const unsigned char *)".\0\r\n", 4, 1, &c, &cl) ==
		    DOT_DEC_CONTENT && cl == 3 && c[0] == '\0', "decode: CRLF.NUL CRLF is content");
		ok(dot_dec_line(&d, (const unsigned char *)".\r\n", 3, 1, &c, &cl) == DOT_DEC_END,
		    "decode: then CRLF.CRLF ends the data");
	}
	/* Round trip: anything encoded decodes to the normalised input. */
	{
		const char *in = ".\r\n..\r\nx\r\n.y\r\n";
		char *e = enc(in, strlen(in), 3, 0);
		char *d = dec(e, strlen(e), 5);
		is_str(d, ".\r\n..\r\nx\r\n.y\r\n<END><smuggle=0>", "round trip encode/decode");
		free(e);
		free(d);
	}
	return tap_done();
}
