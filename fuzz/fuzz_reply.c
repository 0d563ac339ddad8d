/*
 * fuzz_reply - the client engine's reply assembler.  Byte 0 picks a chunk
 * size (low 7 bits) and the conversation (top bit: an LMTP transaction,
 * pipelined, whose end of data awaits one reply per accepted recipient);
 * the rest is server output.  The same input fed whole must give
 * the same events (a property check, not just "no crash").
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/buf.h"
#include "session/smtp_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct acc { struct buf b; struct smtp_client *c; int lmtp; };

static void
on_reply(void *arg, const struct smtp_reply *r, const struct smtp_client_cmd *c)
{
	struct acc *a = arg;

	buf_printf(&a->b, "%d/%zu/%x/%zu/%u;", r->code, r->nlines, r->flags, r->text.len,
	    c ? c->part : 0);
	if (a->lmtp && smtp_client_state(a->c) == SMTP_C_DATA)
		smtp_client_data_end(a->c, 1);	/* from inside the feed, as front ends may */
}

static void
run(const uint8_t *d, size_t n, size_t chunk, struct acc *a)
{
	static const struct smtp_client_events ev = { NULL, on_reply, NULL, NULL, NULL, NULL };
	struct smtp_client_cfg cfg = { 0 };
	struct smtp_client *c;
	size_t	 i;

	cfg.max_lines = 20;
	cfg.max_line = 64;
	cfg.max_bytes = 256;
	c = smtp_client_new(&cfg, &ev, a);
	a->c = c;
	smtp_client_connected(c, 0);
	if (a->lmtp) {
		static const char *const cmds[] = { "LHLO x", "MAIL FROM:<a@b>", "RCPT TO:<c@d>",
			"RCPT TO:<e@f>", "RCPT TO:<g@h>", "DATA", "QUIT" };
		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			smtp_client_command(c, cmds[i], strlen(cmds[i]), 0);
	} else {
		smtp_client_command(c, "EHLO x", 6, 0);
		smtp_client_command(c, "STARTTLS", 8, 0);
	}
	for (i = 0; i < n; i += chunk)
		smtp_client_feed(c, d + i, n - i < chunk ? n - i : chunk, 1);
	buf_printf(&a->b, "[injected %zu]", smtp_client_injected(c));
	smtp_client_eof(c, 2);
	smtp_client_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acc	 a, b;

	if (size < 1)
		return 0;
	buf_init(&a.b, 1 << 24);
	buf_init(&b.b, 1 << 24);
	a.lmtp = b.lmtp = (data[0] & 0x80) != 0;
	run(data + 1, size - 1, (size_t)(data[0] & 0x7f) + 1, &a);
	/* LMTP's end of data is sent from inside the feed, reacting to the
	 * 354: replies already received then cannot answer it, so a whole
	 * feed differs from a chunked one by design; only "no crash" holds */
	if (!a.lmtp) {
		run(data + 1, size - 1, size, &b);
		if (a.b.len != b.b.len || memcmp(buf_ptr(&a.b), buf_ptr(&b.b), a.b.len) != 0)
			abort();	/* fragmentation changed the result */
	}
	buf_free(&a.b);
	buf_free(&b.b);
	return 0;
}
