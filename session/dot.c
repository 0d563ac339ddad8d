/*
 * dot - dot-stuffing and unstuffing (see dot.h).
 */
#include "config.h"

#include <string.h>

#include "session/dot.h"

void
dot_enc_init(struct dot_enc *e, int raw)
{
	memset(e, 0, sizeof(*e));
	e->bol = 1;
	e->raw = raw;
}

/* put - one content byte c, already normalized */
static int
put(struct dot_enc *e, struct buf *out, unsigned char c)
{
	if (e->bol && c == '.') {
		if (buf_append(out, "..", 2) == -1)
			return -1;
		e->stuffed++;
		e->bol = 0;
		return 0;
	}
	if (buf_append(out, &c, 1) == -1)
		return -1;
	e->bol = 0;
	return 0;
}

int
dot_enc_feed(struct dot_enc *e, struct buf *out, const void *vp, size_t n)
{
	const unsigned char	*p = vp;
	size_t			 i;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (e->cr) {
			e->cr = 0;
			if (c == '\n') {
				if (buf_append(out, "\r\n", 2) == -1)
					return -1;
				e->bol = 1;
				continue;
			}
			/* A bare CR. */
			if (e->raw) {
				if (put(e, out, '\r') == -1)
					return -1;
			} else {
				if (buf_append(out, "\r\n", 2) == -1)
					return -1;
				e->normalized++;
				e->bol = 1;
			}
		}
		if (c == '\r') {
			e->cr = 1;
			continue;
		}
		if (c == '\n') {
			if (e->raw) {
				if (buf_append(out, "\n", 1) == -1)
					return -1;
				e->bol = 0;	/* only CRLF starts a line */
			} else {
				if (buf_append(out, "\r\n", 2) == -1)
					return -1;
				e->normalized++;
				e->bol = 1;
			}
			continue;
		}
		if (put(e, out, c) == -1)
			return -1;
	}
	return 0;
}

int
dot_enc_finish(struct dot_enc *e, struct buf *out)
{
	if (e->cr) {
		e->cr = 0;
		if (e->raw) {
			if (buf_append(out, "\r", 1) == -1)
				return -1;
			e->bol = 0;
		} else {
			if (buf_append(out, "\r\n", 2) == -1)
				return -1;
			e->normalized++;
			e->bol = 1;
		}
	}
	if (!e->bol && buf_append(out, "\r\n", 2) == -1)
		return -1;
	if (buf_append(out, ".\r\n", 3) == -1)
		return -1;
	e->bol = 1;
	return 0;
}

void
dot_dec_init(struct dot_dec *d)
{
	memset(d, 0, sizeof(*d));
	d->bol = 1;
}

enum dot_dec_result
dot_dec_line(struct dot_dec *d, const unsigned char *p, size_t n, int complete,
    const unsigned char **out, size_t *outlen)
{
	int	 was_bol = d->bol;

	if (complete && n == 3 && p[0] == '.' && p[1] == '\r' && p[2] == '\n') {
		if (was_bol)
			return DOT_DEC_END;
		d->smuggle++;	/* "\n.\r\n": must not end data */
	}
	/* Only a CRLF terminator starts a new line for the next call; its CR
	 * may have ended the piece before (a line longer than a piece). */
	d->bol = complete && n >= 1 && p[n - 1] == '\n' &&
	    (n >= 2 ? p[n - 2] == '\r' : d->cr);
	d->cr = !complete && n > 0 && p[n - 1] == '\r';
	if (complete && !d->bol && n >= 2 && p[n - 1] == '\n' && p[0] == '.' &&
	    (n == 2 || (n == 3 && p[1] == '\r')))
		d->smuggle++;	/* ".\n" and similar: shown, never an end */
	if (was_bol && n > 0 && p[0] == '.') {
		p++;
		n--;
	}
	*out = p;
	*outlen = n;
	return DOT_DEC_CONTENT;
}
