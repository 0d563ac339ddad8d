/*
 * smtp_reply - incremental SMTP reply parser.
 *
 * Bytes go into a line buffer until LF.  When a line is longer than
 * max_line, the parser keeps the first max_line bytes, counts the rest as
 * dropped and skips to the LF, so memory stays bounded whatever the server
 * sends.  Each complete line is classified and passed to on_line; lines
 * accumulate into the current reply until a final line ("NNN " / "NNN").
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "session/line.h"
#include "session/smtp_reply.h"
#include "session/xalloc.h"

#define RFC_REPLY_LINE	512

struct smtp_reply_parser {
	struct smtp_reply_limits lim;
	struct smtp_reply_cb	 cb;
	void			*arg;
	struct buf		 line;		/* current partial line */
	size_t			 dropped;	/* bytes skipped on this line */
	int			 over;		/* this line passed max_line */
	int			 paused;	/* stop feeding after this line */
	unsigned char		 last;		/* last byte of an over-long line */
	struct smtp_reply	 cur;		/* reply being assembled */
	int			 in_reply;
	unsigned long long	 off;		/* bytes consumed since the last reset */
	unsigned long long	 line_off;	/* offset of the current line's first byte */
};

static void	 reply_line(struct smtp_reply_parser *, int eof);
static void	 reply_finish(struct smtp_reply_parser *);

struct smtp_reply_parser *
smtp_reply_new(const struct smtp_reply_limits *lim, const struct smtp_reply_cb *cb,
    void *arg)
{
	struct smtp_reply_parser *p = xcalloc(1, sizeof(*p));

	p->lim.max_line = lim && lim->max_line >= 16 ? lim->max_line : 8192;
	p->lim.max_lines = lim && lim->max_lines ? lim->max_lines : 1000;
	p->lim.max_bytes = lim && lim->max_bytes ? lim->max_bytes : 65536;
	p->cb = *cb;
	p->arg = arg;
	buf_init(&p->line, p->lim.max_line + 2);
	buf_init(&p->cur.text, p->lim.max_bytes);
	return p;
}

void
smtp_reply_free(struct smtp_reply_parser *p)
{
	if (p == NULL)
		return;
	buf_free(&p->line);
	buf_free(&p->cur.text);
	free(p);
}

int
smtp_reply_pending(const struct smtp_reply_parser *p)
{
	return p->line.len > 0 || p->dropped > 0 || p->in_reply;
}

size_t
smtp_reply_reset(struct smtp_reply_parser *p)
{
	size_t	 n = p->line.len + p->dropped + p->cur.bytes;

	buf_drain(&p->line, p->line.len);
	p->dropped = 0;
	p->over = 0;
	buf_drain(&p->cur.text, p->cur.text.len);
	p->cur.code = 0;
	p->cur.nlines = p->cur.bytes = 0;
	p->cur.flags = p->cur.line_flags = 0;
	p->cur.enh[0] = '\0';
	p->in_reply = 0;
	p->off = p->line_off = 0;
	return n;
}

/*
 * smtp_reply_feed - split into lines.  Invariant, whatever the
 * fragmentation: a line of at most max_line bytes (terminator included)
 * is kept as sent; a longer one keeps its first max_line - 2 bytes, its
 * real terminator (CRLF or LF), and counts the rest in dropped.
 */
void
smtp_reply_pause(struct smtp_reply_parser *p)
{
	p->paused = 1;
}

size_t
smtp_reply_feed(struct smtp_reply_parser *p, const void *vdata, size_t n)
{
	const unsigned char	*d = vdata, *lf;
	size_t			 total = n;
	size_t			 take, content, fit, keep = p->lim.max_line - 2;

	while (n > 0) {
		lf = memchr(d, '\n', n);
		take = lf ? (size_t)(lf - d) + 1 : n;
		content = lf ? take - 1 : take;
		if (p->line.len == 0 && !p->over)
			p->line_off = p->off;	/* a line starts here */
		p->off += take;
		if (!p->over && p->line.len + take <= p->lim.max_line) {
			buf_append(&p->line, d, take);
		} else if (!p->over) {
			fit = p->lim.max_line - p->line.len;
			if (fit > content)
				fit = content;
			buf_append(&p->line, d, fit);
			p->dropped = content - fit;
			p->last = content ? d[content - 1] : buf_ptr(&p->line)[p->line.len - 1];
			p->over = 1;
			if (p->line.len > keep) {
				p->dropped += p->line.len - keep;
				p->line.len = keep;
			}
		} else {
			p->dropped += content;
			if (content)
				p->last = d[content - 1];
		}
		d += take;
		n -= take;
		if (lf) {
			if (p->over) {
				/* The last dropped byte may be the terminator's CR. */
				if (p->last == '\r') {
					p->dropped--;
					buf_append(&p->line, "\r\n", 2);
				} else
					buf_append(&p->line, "\n", 1);
			}
			reply_line(p, 0);
			if (p->paused) {
				p->paused = 0;
				return total - n;
			}
		}
	}
	return total;
}

void
smtp_reply_eof(struct smtp_reply_parser *p)
{
	if (p->line.len > 0 || p->dropped > 0)
		reply_line(p, 1);
	if (p->in_reply) {
		p->cur.flags |= SMTP_REPLY_INCOMPLETE;
		reply_finish(p);
	}
}

size_t
smtp_reply_parse_enh(const unsigned char *t, size_t n, int klass, char *out, size_t outlen)
{
	size_t	 i = 0, part, digits;

	/* class "." subject "." detail, class 2/4/5, 1-3 digits each */
	if (n < 5 || t[0] < '2' || t[0] > '5' || t[0] == '3' || t[1] != '.')
		return 0;
	if (klass && t[0] - '0' != klass)
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (digits = 0; i < n && t[i] >= '0' && t[i] <= '9' && digits < 3; i++)
			digits++;
		if (digits == 0)
			return 0;
		if (part == 0) {
			if (i >= n || t[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < n && t[i] != ' ')
		return 0;
	if (i >= outlen)
		return 0;
	memcpy(out, t, i);
	out[i] = '\0';
	return i;
}

/* reply_line - one complete (or EOF-ended) line is in p->line */
static void
reply_line(struct smtp_reply_parser *p, int eof)
{
	struct smtp_line	 l;
	const unsigned char	*r = buf_ptr(&p->line);
	size_t			 n = p->line.len, body;
	int			 fin;

	memset(&l, 0, sizeof(l));
	l.raw = r;
	l.len = n;
	l.dropped = p->dropped;
	l.flags = line_classify(r, n, RFC_REPLY_LINE);
	if (p->dropped) {
		l.flags |= LINE_TRUNC | LINE_LONG;
	}
	if (!eof)
		l.flags &= ~LINE_NOEOL;
	else
		l.flags |= LINE_NOEOL;
	body = line_body_len(r, n);
	l.code = -1;
	if (body >= 3 && r[0] >= '2' && r[0] <= '5' && r[1] >= '0' && r[1] <= '9' &&
	    r[2] >= '0' && r[2] <= '9' && (body == 3 || r[3] == ' ' || r[3] == '-')) {
		l.code = (r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0');
		l.sep = body == 3 ? 0 : (char)r[3];
		l.text = r + (body == 3 ? 3 : 4);
		l.textlen = body - (body == 3 ? 3 : 4);
	} else {
		l.text = r;
		l.textlen = body;
	}
	/* A malformed line or a final line ends the reply. */
	l.last = l.code < 0 || l.sep != '-' || eof;

	if (!p->in_reply) {
		p->in_reply = 1;
		p->cur.start = p->line_off;
		p->cur.code = l.code;
		p->cur.enh[0] = '\0';
		if (l.code > 0)
			smtp_reply_parse_enh(l.text, l.textlen, l.code / 100,
			    p->cur.enh, sizeof(p->cur.enh));
	} else if (l.code != p->cur.code) {
		if (l.code < 0) {
			p->cur.flags |= SMTP_REPLY_MALFORMED;
		} else {
			l.mismatch = 1;
			p->cur.flags |= SMTP_REPLY_MISMATCH;
		}
	}
	if (l.code < 0)
		p->cur.flags |= SMTP_REPLY_MALFORMED;
	p->cur.line_flags |= l.flags;
	p->cur.nlines++;
	p->cur.bytes += n + l.dropped;
	if (!(p->cur.flags & SMTP_REPLY_TOO_LONG)) {
		if (p->cur.nlines > p->lim.max_lines ||
		    (p->cur.text.len ? 1 : 0) + l.textlen > buf_space(&p->cur.text)) {
			p->cur.flags |= SMTP_REPLY_TOO_LONG;
		} else {
			if (p->cur.nlines > 1)
				buf_append(&p->cur.text, "\n", 1);
			buf_append(&p->cur.text, l.text, l.textlen);
		}
	}
	/* A reply over the limits is delivered now; its tail is only shown. */
	fin = l.last;
	if ((p->cur.flags & SMTP_REPLY_TOO_LONG) && p->in_reply == 1) {
		p->in_reply = 2;
		l.last = 1;	/* this line completes what is delivered */
		p->cb.on_line(p->arg, &l);
		p->cb.on_reply(p->arg, &p->cur);
	} else {
		if (p->in_reply == 2)
			l.last = 0;	/* already delivered */
		p->cb.on_line(p->arg, &l);
	}
	buf_drain(&p->line, p->line.len);
	p->dropped = 0;
	p->over = 0;
	if (fin)
		reply_finish(p);
}

static void
reply_finish(struct smtp_reply_parser *p)
{
	if (p->in_reply == 1)
		p->cb.on_reply(p->arg, &p->cur);
	buf_drain(&p->cur.text, p->cur.text.len);
	p->cur.nlines = p->cur.bytes = 0;
	p->cur.flags = p->cur.line_flags = 0;
	p->in_reply = 0;
}

int
smtp_reply_line_text(const struct smtp_reply *r, size_t i, const char **text, size_t *len)
{
	const char	*s = (const char *)buf_ptr(&r->text), *e = s + r->text.len, *nl;

	for (;;) {
		nl = memchr(s, '\n', (size_t)(e - s));
		if (i == 0) {
			*text = s;
			*len = nl ? (size_t)(nl - s) : (size_t)(e - s);
			return 0;
		}
		if (nl == NULL)
			return -1;
		s = nl + 1;
		i--;
	}
}
