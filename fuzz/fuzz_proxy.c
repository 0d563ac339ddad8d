/*
 * fuzz_proxy - the relay engine between a fuzzed client and a fuzzed
 * upstream.
 *
 * Byte 0 picks the configuration (upstream TLS mode, client TLS, implicit
 * TLS, --no-ext, AUTH answered by the proxy, the proxy's AUTH upstream,
 * client rules, decisions that change replies).  Then records: a tag byte
 * (what: client bytes, upstream bytes, a handshake done, a leg's end) and
 * a length byte, then that many bytes.  Invariants, on every input:
 *   - client bytes are only fed within smtp_proxy_client_space();
 *   - every line the proxy sends the client on its own is "NNN[ -]...CRLF"
 *     (a reply) of at most 1200 octets, or one the upstream sent (an EHLO
 *     reply it changed keeps the upstream's lines as they came);
 *   - a handshake is asked for at most once per leg at a time, and the
 *     engine reports it encrypted only after smtp_proxy_tls_up;
 *   - nothing more is written to a leg after it was asked to close.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/buf.h"
#include "session/line.h"
#include "session/smtp_proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct st {
	struct smtp_proxy *px;
	struct buf	 up;		/* every byte the upstream sent */
	int		 tls_asked[2];
	int		 closed[2];
	size_t		 out_at_close[2];
	int		 faults;
	unsigned	 decisions;
	int		 wait;
	struct smtp_decision held;
};

static void
own_line(void *arg, enum proxy_leg leg, const unsigned char *p, size_t n, unsigned flags)
{
	struct st *s = arg;

	(void)flags;
	if (s->closed[leg])
		abort();	/* written after the close */
	if (leg != PROXY_CLIENT)
		return;
	if (n < 5 || n > 1200 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9' || (p[3] != ' ' && p[3] != '-') || p[n - 1] != '\n') {
		/* not a reply line: then one of the upstream's, as it came (the
		 * separator after the code may have been changed) */
		size_t o = n >= 4 ? 4 : 0;
		if (memmem(buf_ptr(&s->up), s->up.len, p + o, n - o) == NULL) {
			size_t j;
			fprintf(stderr, "bad own line:");
			for (j = 0; j < n; j++)
				fprintf(stderr, " %02x", p[j]);
			fprintf(stderr, "\n");
			abort();
		}
	}
}

static void
on_tls(void *arg, enum proxy_leg leg)
{
	struct st *s = arg;

	if (s->tls_asked[leg])
		abort();	/* asked twice */
	s->tls_asked[leg] = 1;
}

static void
on_close(void *arg, enum proxy_leg leg)
{
	struct st *s = arg;

	s->closed[leg] = 1;
}

static void
on_decide(void *arg, struct smtp_decision *d)
{
	struct st *s = arg;
	unsigned	 k = s->decisions++ % 11;

	if (!s->faults)
		return;
	switch (k) {
	case 1: d->code = 451; snprintf(d->text, sizeof(d->text), "fuzz\nsecond"); break;
	case 3: d->flags |= SMTP_F_CLOSE; break;
	case 5: d->flags |= SMTP_F_DROP; break;
	case 6: d->flags |= SMTP_F_BADMULTI | SMTP_F_EXTRA; break;
	case 7: if (d->stage == SMTP_ST_DATA) { d->flags |= SMTP_F_CUT; d->cut = 5; } break;
	case 8: d->flags |= SMTP_F_STALL; break;
	case 9: d->flags |= SMTP_F_WAIT; s->wait = 1; s->held = *d; break;
	default: break;
	}
}

static const struct proxy_events ev = {
	NULL, NULL, own_line, NULL, on_tls, NULL, NULL, NULL, on_decide, on_close, NULL,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const strip[] = { "CHUNKING", "STARTTLS" };
	struct proxy_crule cr[2];
	struct proxy_cfg cfg;
	struct st	 s;
	size_t		 i = 1, n, k, sp;
	uint64_t	 now = 1;
	char		 err[200];
	int		 leg;

	if (size < 1)
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	memset(&s, 0, sizeof(s));
	cfg.up_tls = (enum proxy_up_tls)(data[0] & 3);
	cfg.client_tls = (data[0] & 4) != 0;
	cfg.client_implicit = (data[0] & 8) != 0;
	if (data[0] & 16) {
		cfg.strip = strip;
		cfg.nstrip = 2;
	}
	if (data[0] & 32) {
		cfg.auth_mechs = 1u << SASL_PLAIN | 1u << SASL_LOGIN;
		cfg.auth_any_time = 1;
		cfg.up_user = "u";
		cfg.up_secret = "p";
		cfg.up_plaintext_ok = 1;
	}
	if (data[0] & 64) {
		proxy_crule_parse("MAIL=rewrite MAIL FROM:<r@x>", &cr[0], err, sizeof(err));
		proxy_crule_parse("RCPT:*b*=drop 550 no", &cr[1], err, sizeof(err));
		cfg.crules = cr;
		cfg.ncrules = 2;
	}
	cfg.max_line = 600;
	s.faults = (data[0] & 128) != 0;
	buf_init(&s.up, SIZE_MAX);
	s.px = smtp_proxy_new(&cfg, &ev, &s, now);
	smtp_proxy_upstream_up(s.px, now);
	while (i + 2 <= size) {
		unsigned tag = data[i] % 4;
		n = data[i + 1];
		i += 2;
		if (n > size - i)
			n = size - i;
		now += 10;
		if (s.wait) {
			s.wait = 0;
			s.held.flags &= ~(unsigned)SMTP_F_WAIT;
			smtp_proxy_decide(s.px, &s.held, now);
		}
		switch (tag) {
		case 0:
			for (k = 0; k < n; k += sp) {
				sp = smtp_proxy_client_space(s.px);
				if (sp == 0)
					break;
				if (sp > n - k)
					sp = n - k;
				smtp_proxy_client_feed(s.px, data + i + k, sp, now);
			}
			break;
		case 1:
			buf_append(&s.up, data + i, n);
			smtp_proxy_upstream_feed(s.px, data + i, n, now);
			break;
		case 2:
			leg = n & 1;
			if (s.tls_asked[leg]) {
				s.tls_asked[leg] = 0;
				if (n & 2)
					smtp_proxy_tls_failed(s.px, (enum proxy_leg)leg, "fuzz", now);
				else
					smtp_proxy_tls_up(s.px, (enum proxy_leg)leg, now);
			}
			n = 0;
			break;
		default:
			smtp_proxy_eof(s.px, (enum proxy_leg)(n & 1), now);
			n = 0;
			break;
		}
		i += n;
		/* the driver writes what is due */
		for (leg = 0; leg < 2; leg++) {
			struct buf *o = smtp_proxy_output(s.px, (enum proxy_leg)leg);
			buf_drain(o, o->len);
		}
	}
	smtp_proxy_free(s.px);
	buf_free(&s.up);
	if (data[0] & 64) {
		proxy_crule_free(&cr[0]);
		proxy_crule_free(&cr[1]);
	}
	return 0;
}
