/*
 * fuzz_front - a sink session's whole front end, from client bytes: the
 * server engine with its data-line fast path, the sink's transcript writer
 * (cli/sinktx.c and cli/tx.c: text and JSON, lines in pieces, masking,
 * --data-lines) and the bytes handed to the store.
 *
 * Byte 0 picks the configuration (bare-LF mode, the fast path, a small
 * --max-line, --data-lines, --show-secrets, --lmtp), byte 1 the chunk
 * size; the rest is what the client sends, then the end of its input.
 * Fed whole and fed in chunks, it must give the same transcript text, the
 * same JSON events, the same stored bytes and the same replies; only
 * "ahead" may differ (it says which bytes had arrived when a reply was
 * given, which is what chunking changes).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/sinktx.h"
#include "cli/tx.h"
#include "session/buf.h"
#include "session/line.h"
#include "session/smtp_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	1234567ULL	/* every event at the same time: stamps compare */

struct front {
	struct smtp_server	*s;
	struct tx		 tx;
	struct sinktx		 st;
	struct sinktx_cfg	 cfg;
	struct buf		 text;		/* the transcript (tx.save) */
	struct buf		 store;		/* message content, then a mark per message */
	struct buf		 replies;
	char			*json;
	size_t			 jsonlen;
};

static void
on_input(void *arg, const unsigned char *p, size_t n, unsigned flags, int in_data)
{
	struct front *f = arg;

	sinktx_input(&f->tx, &f->st, &f->cfg, NOW, p, n, flags, in_data,
	    smtp_server_state_name(smtp_server_state(f->s)));
}

static void
on_lines(void *arg, const unsigned char *p, size_t n, size_t nlines)
{
	struct front *f = arg;

	sinktx_lines(&f->tx, &f->st, &f->cfg, NOW, p, n, nlines,
	    smtp_server_state_name(smtp_server_state(f->s)));
}

static void
on_output(void *arg, const unsigned char *p, size_t n)
{
	struct front *f = arg;

	buf_append(&f->replies, p, n);
	tx_line(&f->tx, NOW, TX_S, p, n, 0, -1, 0, NULL, NULL);
}

static void
on_note(void *arg, const char *msg)
{
	struct front *f = arg;

	tx_text(&f->tx, NOW, '!', msg);
}

static void
on_data(void *arg, const unsigned char *p, size_t n)
{
	struct front *f = arg;

	buf_append(&f->store, p, n);
}

static void
on_message(void *arg, const struct smtp_message *m)
{
	struct front *f = arg;

	buf_printf(&f->store, "[message %u: %llu bytes, %zu bare LF, %zu bare CR, %zu long]",
	    m->seq, (unsigned long long)m->size, m->bare_lf, m->bare_cr, m->long_lines);
	f->st.shown = f->st.hidden = 0;
	smtp_server_message_done(f->s, 250, "2.0.0", "Ok");
}

static const struct smtp_server_events ev_fast = {
	on_input, on_output, on_note, on_data, on_message, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, on_lines,
};
static const struct smtp_server_events ev_each = {
	on_input, on_output, on_note, on_data, on_message, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL,
};

static void
run(uint8_t conf, const uint8_t *d, size_t n, size_t chunk, struct front *f)
{
	struct smtp_server_cfg	 cfg;
	FILE			*js;
	size_t			 i, take;

	memset(f, 0, sizeof(*f));
	memset(&cfg, 0, sizeof(cfg));
	cfg.bare_lf = (enum smtp_bare_lf)(conf % 3);
	cfg.max_line = conf & 8 ? 600 : 0;
	cfg.ext = SMTP_EXT_ALL;
	cfg.lmtp = (conf & 64) != 0;
	cfg.auth_mechs = 1u << SASL_PLAIN | 1u << SASL_LOGIN;
	cfg.auth_any_time = 1;
	f->cfg.text = 0;
	f->cfg.data_lines = conf & 16 ? 2 : -1;
	f->cfg.show_secrets = (conf & 32) != 0;
	f->cfg.save_data = 1;
	buf_init(&f->text, 1 << 26);
	buf_init(&f->store, 1 << 26);
	buf_init(&f->replies, 1 << 26);
	js = open_memstream(&f->json, &f->jsonlen);
	f->tx.t0 = 0;
	f->tx.save = &f->text;
	f->tx.json = js;
	f->s = smtp_server_new(&cfg, conf & 4 ? &ev_fast : &ev_each, f);
	smtp_server_start(f->s);
	for (i = 0; i < n && smtp_server_state(f->s) != SMTP_S_CLOSING;) {
		if (smtp_server_state(f->s) == SMTP_S_TLS)
			break;	/* no handshake here */
		take = smtp_server_input_space(f->s);
		if (take == 0) {
			/* the driver drains replies, then the engine goes on */
			buf_drain(smtp_server_output(f->s), smtp_server_output(f->s)->len);
			smtp_server_process(f->s);
			if (smtp_server_input_space(f->s) == 0)
				break;
			continue;
		}
		if (take > chunk)
			take = chunk;
		if (take > n - i)
			take = n - i;
		smtp_server_feed(f->s, d + i, take);
		i += take;
		buf_drain(smtp_server_output(f->s), smtp_server_output(f->s)->len);
		smtp_server_process(f->s);
	}
	smtp_server_eof(f->s);
	buf_drain(smtp_server_output(f->s), smtp_server_output(f->s)->len);
	smtp_server_process(f->s);
	tx_flush(&f->tx, NOW);
	tx_free(&f->tx);
	smtp_server_free(f->s);
	fclose(js);
}

static void
done(struct front *f)
{
	buf_free(&f->text);
	buf_free(&f->store);
	buf_free(&f->replies);
	free(f->json);
}

/* no_ahead - the JSON without the "ahead" marks, in place */
static size_t
no_ahead(char *j, size_t n)
{
	static const char mark[] = ",\"ahead\":true";
	char	*p = j, *e = j + n, *m;
	size_t	 ml = sizeof(mark) - 1;

	while ((m = memmem(p, (size_t)(e - p), mark, ml)) != NULL) {
		memmove(m, m + ml, (size_t)(e - m - (ptrdiff_t)ml));
		e -= ml;
		p = m;
	}
	return (size_t)(e - j);
}

static int
same_buf(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && memcmp(buf_ptr(a), buf_ptr(b), a->len) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct front	 a, b;

	if (size < 2)
		return 0;
	run(data[0], data + 2, size - 2, size, &a);
	run(data[0], data + 2, size - 2, (size_t)data[1] % 64 + 1, &b);
	a.jsonlen = no_ahead(a.json, a.jsonlen);
	b.jsonlen = no_ahead(b.json, b.jsonlen);
	if (!same_buf(&a.replies, &b.replies) || !same_buf(&a.store, &b.store) ||
	    !same_buf(&a.text, &b.text) || a.jsonlen != b.jsonlen ||
	    memcmp(a.json, b.json, a.jsonlen) != 0) {
		if (getenv("FRONT_DUMP")) {	/* what differs, for a person */
			fprintf(stderr, "--- whole: text\n%.*s\n--- chunked: text\n%.*s\n"
			    "--- whole: JSON\n%.*s\n--- chunked: JSON\n%.*s\n"
			    "--- whole: store\n%.*s\n--- chunked: store\n%.*s\n",
			    (int)a.text.len, buf_ptr(&a.text), (int)b.text.len, buf_ptr(&b.text),
			    (int)a.jsonlen, a.json, (int)b.jsonlen, b.json,
			    (int)a.store.len, buf_ptr(&a.store), (int)b.store.len, buf_ptr(&b.store));
		}
		abort();	/* the split changed what the front end says or stores */
	}
	done(&a);
	done(&b);
	return 0;
}
