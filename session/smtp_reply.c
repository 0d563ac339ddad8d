/*
 * smtp_reply - incremental SMTP reply parser.
 *
 * Bytes go into a line buffer until LF.  A line longer than max_line is
 * passed on in pieces of max_line bytes (on_line with LINE_MORE), so
 * every byte reaches the transcript while memory stays bounded; its code
 * comes from the first piece, its flags (given with the last piece) are
 * the whole line's.  Lines accumulate into the current reply until a
 * final line ("NNN " / "NNN"); the reply keeps at most max_line bytes of
 * a line's text.
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
	struct buf		 line;		/* the current piece of a line */
	struct line_acc		 acc;		/* the current line, across pieces */
	int			 started;	/* its first piece was passed on */
	struct smtp_line	 lc;		/* what the first piece said */
	int			 paused;	/* stop feeding after this line */
	struct smtp_reply	 cur;		/* reply being assembled */
	int			 in_reply;
	int			 early;		/* over max_lines/max_bytes: deliver now */
	unsigned long long	 off;		/* bytes consumed since the last reset */
	unsigned long long	 line_off;	/* offset of the current line's first byte */
};

static void	 piece(struct smtp_reply_parser *, int end, int eof);
static void	 line_start(struct smtp_reply_parser *);
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
	return p->line.len > 0 || p->started || p->in_reply;
}

size_t
smtp_reply_reset(struct smtp_reply_parser *p)
{
	size_t	 n = p->line.len + p->acc.len + p->cur.bytes;

	buf_drain(&p->line, p->line.len);
	line_acc_end(&p->acc, NULL);
	p->started = 0;
	buf_drain(&p->cur.text, p->cur.text.len);
	p->cur.code = 0;
	p->cur.nlines = p->cur.bytes = 0;
	p->cur.flags = p->cur.line_flags = 0;
	p->cur.enh[0] = '\0';
	p->in_reply = 0;
	p->early = 0;
	p->paused = 0;
	p->off = p->line_off = 0;
	return n;
}

void
smtp_reply_pause(struct smtp_reply_parser *p)
{
	p->paused = 1;
}

/*
 * smtp_reply_feed - split into lines, and lines longer than max_line into
 * pieces of max_line bytes: the same events whatever the fragmentation.
 */
size_t
smtp_reply_feed(struct smtp_reply_parser *p, const void *vdata, size_t n)
{
	const unsigned char	*d = vdata, *lf;
	size_t			 total = n, take, room;

	while (n > 0) {
		if (p->line.len == 0 && !p->started)
			p->line_off = p->off;	/* a line starts here */
		lf = memchr(d, '\n', n);
		take = lf ? (size_t)(lf - d) + 1 : n;
		room = p->lim.max_line - p->line.len;
		if (take > room) {
			/* The buffer fills before the line ends: pass a piece on. */
			buf_append(&p->line, d, room);
			d += room, n -= room, p->off += room;
			piece(p, 0, 0);
			continue;
		}
		buf_append(&p->line, d, take);
		d += take, n -= take, p->off += take;
		if (lf) {
			piece(p, 1, 0);
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
	if (p->line.len > 0 || p->started)
		piece(p, 1, 1);
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

/* line_start - the first piece of a line is in p->line: its code, and
 * what it adds to the reply */
static void
line_start(struct smtp_reply_parser *p)
{
	struct smtp_line	*l = &p->lc;
	const unsigned char	*r = buf_ptr(&p->line);
	size_t			 n = p->line.len, body = line_body_len(r, n);

	memset(l, 0, sizeof(*l));
	l->code = -1;
	if (body >= 3 && r[0] >= '2' && r[0] <= '5' && r[1] >= '0' && r[1] <= '9' &&
	    r[2] >= '0' && r[2] <= '9' && (body == 3 || r[3] == ' ' || r[3] == '-')) {
		l->code = (r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0');
		l->sep = body == 3 ? 0 : (char)r[3];
		l->text = r + (body == 3 ? 3 : 4);
		l->textlen = body - (body == 3 ? 3 : 4);
	} else {
		l->text = r;
		l->textlen = body;
	}
	/* A malformed line or a final line ends the reply. */
	l->last = l->code < 0 || l->sep != '-';
	if (n == p->lim.max_line && l->textlen > 0 && l->text[l->textlen - 1] == '\r')
		l->textlen--;	/* a CR the next piece judges */

	if (!p->in_reply) {
		p->in_reply = 1;
		p->cur.start = p->line_off;
		p->cur.code = l->code;
		p->cur.enh[0] = '\0';
		if (l->code > 0)
			smtp_reply_parse_enh(l->text, l->textlen, l->code / 100,
			    p->cur.enh, sizeof(p->cur.enh));
	} else if (l->code != p->cur.code) {
		if (l->code < 0) {
			p->cur.flags |= SMTP_REPLY_MALFORMED;
		} else {
			l->mismatch = 1;
			p->cur.flags |= SMTP_REPLY_MISMATCH;
		}
	}
	if (l->code < 0)
		p->cur.flags |= SMTP_REPLY_MALFORMED;
	p->cur.nlines++;
	if (!(p->cur.flags & SMTP_REPLY_TOO_LONG)) {
		/* The reply keeps at most one buffer of a line's text. */
		if (p->cur.nlines > p->lim.max_lines ||
		    (p->cur.text.len ? 1 : 0) + l->textlen > buf_space(&p->cur.text)) {
			/* memory: the reply is delivered now, its tail only shown */
			p->cur.flags |= SMTP_REPLY_TOO_LONG;
			p->early = 1;
		} else {
			if (p->cur.nlines > 1)
				buf_append(&p->cur.text, "\n", 1);
			buf_append(&p->cur.text, l->text, l->textlen);
			if (n == p->lim.max_line)	/* a line over the buffer */
				p->cur.flags |= SMTP_REPLY_TOO_LONG;
		}
	}
	l->text = NULL;	/* valid for this piece only */
	p->started = 1;
}

/* piece - p->line holds a piece of a line; end: the line ends with it
 * (eof: by the end of the connection) */
static void
piece(struct smtp_reply_parser *p, int end, int eof)
{
	struct smtp_line	 l;
	const unsigned char	*r = buf_ptr(&p->line);
	size_t			 n = p->line.len, total;
	int			 deliver = 0;

	if (!p->started)
		line_start(p);
	l = p->lc;
	l.raw = r;
	l.len = n;
	l.flags = line_acc_add(&p->acc, r, n, RFC_REPLY_LINE, &total);
	if (eof)
		l.flags = line_acc_end(&p->acc, &total);
	if (!end) {
		l.last = 0;
		l.text = NULL;
		l.textlen = 0;
		p->cb.on_line(p->arg, &l);
		buf_drain(&p->line, p->line.len);
		return;
	}
	if (eof)
		l.last = 1;
	if (l.code > 0 && total == n) {
		l.text = r + (line_body_len(r, n) == 3 ? 3 : 4);
		l.textlen = line_body_len(r, n) - (size_t)(l.text - r);
	}
	p->cur.line_flags |= l.flags;
	p->cur.bytes += total;
	/* A reply over the limits is delivered now; its tail is only shown. */
	if (p->early && p->in_reply == 1) {
		p->in_reply = 2;
		deliver = 1;
		l.last = 1;	/* this line completes what is delivered */
	} else if (p->in_reply == 2)
		l.last = 0;	/* already delivered */
	p->cb.on_line(p->arg, &l);
	if (deliver)
		p->cb.on_reply(p->arg, &p->cur);
	buf_drain(&p->line, p->line.len);
	p->started = 0;
	if (p->lc.last || eof)
		reply_finish(p);
}

static void
reply_finish(struct smtp_reply_parser *p)
{
	if (p->in_reply == 1)
		p->cb.on_reply(p->arg, &p->cur);
	p->early = 0;
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
