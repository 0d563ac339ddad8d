/*
 * fuzz_server - a whole server session from client bytes.
 *
 * Byte 0 picks the configuration (bare-LF mode, small limits, extensions),
 * byte 1 the chunk size.  Invariants, checked on every input:
 *   - every reply line is "NNN[ -]printable*CRLF" and at most 512 octets;
 *   - a multi-line reply keeps one code;
 *   - at most one message per end of data, each answered exactly once;
 *   - the input buffer never exceeds its bound;
 *   - STARTTLS (config bit 32) stops the session: see run();
 *   - with config bit 128 every reply goes through a decision that may
 *     change its code, close, drop, stall, cut the data or wait (answered
 *     before the next read), chosen from the reply's order;
 *   - the same input fed whole gives the same replies and messages.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/buf.h"
#include "session/smtp_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct st {
	struct smtp_server *s;
	struct buf	 log;
	unsigned	 messages;
	unsigned	 decisions;
	uint64_t	 sum;
	int		 waiting;
	struct smtp_decision held;
};

/* on_decide - a fault picked by the decision's order: the same for every split */
static void
on_decide(void *arg, struct smtp_decision *d)
{
	struct st	*t = arg;
	unsigned	 k = t->decisions++ * 7 + (unsigned)d->stage;

	switch (k % 11) {
	case 1: d->code = 451; break;
	case 2: d->code = 550; break;
	case 3: d->code = 250; break;
	case 4: d->flags |= SMTP_F_CLOSE; break;
	case 5: if (k % 3 == 0) d->flags |= SMTP_F_DROP; break;
	case 6: if (k % 5 == 0) d->flags |= SMTP_F_STALL; break;
	case 7: d->flags |= SMTP_F_CUT; d->cut = k % 50; break;
	case 8:
		d->flags |= SMTP_F_WAIT;
		t->held = *d;
		t->held.code = k % 2 ? 421 : d->code;
		t->waiting = 1;
		break;
	case 9: d->code = 421; break;
	default: break;
	}
	buf_printf(&t->log, "[d%u]", k % 11);
}

/* on_data - the content, as a checksum logged with the message */
static void
on_data(void *arg, const unsigned char *p, size_t n)
{
	struct st	*t = arg;
	size_t		 i;

	for (i = 0; i < n; i++)
		t->sum = (t->sum ^ p[i]) * 0x100000001b3ULL;
}

static void
on_lines(void *arg, const unsigned char *p, size_t n, size_t nl)
{
	(void)arg; (void)p; (void)n; (void)nl;
}

static void
on_message(void *arg, const struct smtp_message *m)
{
	struct st *t = arg;

	t->messages++;
	buf_printf(&t->log, "[msg %zu rcpt %llu bytes sum %llx]", m->nrcpt,
	    (unsigned long long)m->size, (unsigned long long)t->sum);
	t->sum = 0;
	smtp_server_message_done(t->s, 250, "2.0.0", "Ok");
}

static void
check_output(const unsigned char *p, size_t n)
{
	size_t	 i = 0, j;
	int	 code = -1;

	while (i < n) {
		for (j = i; j < n && p[j] != '\n'; j++)
			;
		if (j == n || j - i + 1 > 512 || j - i < 4 || p[j - 1] != '\r')
			abort();
		if (p[i] < '2' || p[i] > '5' || p[i + 1] < '0' || p[i + 1] > '9' ||
		    p[i + 2] < '0' || p[i + 2] > '9' || (p[i + 3] != ' ' && p[i + 3] != '-' &&
		    p[i + 3] != '\r'))
			abort();
		{
			int c = (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
			if (code != -1 && c != code)
				abort();
			code = p[i + 3] == '-' ? c : -1;
		}
		for (size_t k = i + 4; k + 1 < j; k++)
			if (p[k] < 0x20 || p[k] > 0x7e)
				abort();
		i = j + 1;
	}
}

static void
run(const uint8_t *d, size_t n, uint8_t conf, size_t chunk, struct buf *out, unsigned *msgs)
{
	/* plain data lines in runs (on_data_lines) for some configurations */
	static const struct smtp_server_events ev = { NULL, NULL, NULL, on_data, on_message,
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, on_lines };
	static const struct smtp_server_events evd = { NULL, NULL, NULL, on_data, on_message,
	    NULL, NULL, NULL, NULL, on_decide };
	struct smtp_server_cfg cfg;
	struct st	 t;
	size_t		 i = 0, take;

	memset(&cfg, 0, sizeof(cfg));
	cfg.bare_lf = (enum smtp_bare_lf)(conf % 3);
	cfg.ext = (conf & 8) ? SMTP_EXT_ALL : SMTP_EXT_ENHANCED;
	cfg.starttls = (conf & 32) != 0;
	cfg.require_tls = (conf & 64) != 0;
	if (conf & 16) {
		cfg.max_line = 512;
		cfg.max_size = 100;
		cfg.max_rcpt = 3;
		cfg.max_errors = 5;
	}
	memset(&t, 0, sizeof(t));
	buf_init(&t.log, 1 << 24);
	t.s = smtp_server_new(&cfg, conf & 128 ? &evd : &ev, &t);
	smtp_server_start(t.s);
	while (smtp_server_state(t.s) != SMTP_S_CLOSING) {
		if (t.waiting) {
			/* The driver's late answer, before anything more is read. */
			t.waiting = 0;
			smtp_server_decide(t.s, &t.held);
			continue;
		}
		if (smtp_server_state(t.s) == SMTP_S_TLS) {
			/*
			 * What follows STARTTLS depends on how it arrived: bytes in
			 * the same read are discarded, later ones go to TLS.  The
			 * fragmentation property holds up to here, so stop.
			 */
			buf_printf(&t.log, "[tls]");
			smtp_server_tls_up(t.s);
			break;
		}
		take = smtp_server_input_space(t.s);
		if (take == 0) {
			buf_append(out, buf_ptr(smtp_server_output(t.s)), smtp_server_output(t.s)->len);
			buf_drain(smtp_server_output(t.s), smtp_server_output(t.s)->len);
			smtp_server_process(t.s);
			if (t.waiting || smtp_server_state(t.s) == SMTP_S_TLS)
				continue;
			if (smtp_server_input_space(t.s) == 0) {
				buf_printf(&t.log, "[stalled]");
				break;	/* a stall: nothing more is read */
			}
			continue;
		}
		if (i >= n)
			break;
		if (take > chunk)
			take = chunk;
		if (take > n - i)
			take = n - i;
		smtp_server_feed(t.s, d + i, take);
		i += take;
	}
	if (smtp_server_state(t.s) == SMTP_S_TLS) {
		buf_printf(&t.log, "[tls]");
		smtp_server_tls_up(t.s);
	}
	smtp_server_eof(t.s);
	buf_append(out, buf_ptr(smtp_server_output(t.s)), smtp_server_output(t.s)->len);
	check_output(buf_ptr(out), out->len);
	buf_append(out, buf_ptr(&t.log), t.log.len);
	*msgs = t.messages;
	smtp_server_free(t.s);
	buf_free(&t.log);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 a, b;
	unsigned	 ma, mb;

	if (size < 2)
		return 0;
	buf_init(&a, 1 << 26);
	buf_init(&b, 1 << 26);
	run(data + 2, size - 2, data[0], (size_t)data[1] + 1, &a, &ma);
	run(data + 2, size - 2, data[0], size, &b, &mb);
	if (ma != mb || a.len != b.len || memcmp(buf_ptr(&a), buf_ptr(&b), a.len) != 0)
		abort();	/* fragmentation changed what the server did */
	buf_free(&a);
	buf_free(&b);
	return 0;
}
