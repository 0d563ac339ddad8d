/*
 * line - classification of one received protocol line.
 *
 * Lines are split at LF only; a CR not followed by LF stays inside the
 * line and is reported as bare.  Flags describe what the peer really sent;
 * nothing is ever "fixed".
 */
#ifndef SESSION_LINE_H
#define SESSION_LINE_H

#include <stddef.h>

enum line_flag {
	LINE_BARE_LF	= 1 << 0,	/* ended in LF without CR */
	LINE_BARE_CR	= 1 << 1,	/* a CR not followed by LF */
	LINE_NUL	= 1 << 2,	/* contains NUL */
	LINE_CTRL	= 1 << 3,	/* other C0 controls or DEL */
	LINE_8BIT	= 1 << 4,	/* bytes >= 0x80 */
	LINE_LONG	= 1 << 5,	/* longer than the RFC 5321 limit */
	LINE_NOEOL	= 1 << 6,	/* connection ended without a terminator */
	LINE_FLAG_COUNT	= 7,
	/* not anomalies: */
	LINE_SECRET	= 1 << 8,	/* the line carries a credential (AUTH): mask it */
	LINE_MORE	= 1 << 9,	/* a piece of a line: more of it follows */
	LINE_AHEAD	= 1 << 10,	/* a command received before the reply to the
					 * one before it was given (pipelined) */
	LINE_DATA	= 1 << 11	/* message content, not a command or reply:
					 * its lines go on across BDAT chunks */
};

/*
 * line_acc - the facts of one line that arrives in pieces (a line longer
 * than a buffer, split by a chunk boundary, or still unfinished).  Every
 * judgement is on the whole line: a CR at the end of a piece is judged by
 * the byte after it, the length is the line's, not the piece's.
 */
struct line_acc {
	size_t		 len;	/* octets of the line so far */
	unsigned	 flags;	/* its anomalies so far */
	int		 cr;	/* its last byte so far is a CR, judged by the next */
};

/* line_acc_add - the next piece p[0..n) of the current line; at most one
 * LF, as its last byte, which ends the line.  Returns the line's flags:
 * those so far with LINE_MORE when the line goes on, else the whole
 * line's; *total (if not NULL) gets its octets so far.  After the end of
 * a line the accumulator is ready for the next. */
unsigned	 line_acc_add(struct line_acc *, const unsigned char *p, size_t n,
		    size_t rfc_max, size_t *total);
/* line_acc_end - the stream ended inside a line: its flags (LINE_NOEOL; a
 * CR at its end is bare), *total its octets; the accumulator is reset */
unsigned	 line_acc_end(struct line_acc *, size_t *total);
/* line_acc_open - a line is in progress */
static inline int
line_acc_open(const struct line_acc *a) { return a->len > 0; }

/* line_classify - flags for raw bytes p[0..n) (terminator included) */
unsigned	 line_classify(const unsigned char *p, size_t n, size_t rfc_max);
/* line_plain_run - the longest prefix of p made of whole "plain" lines:
 * CRLF-terminated, at most max_line octets, printable ASCII without a
 * backslash, not starting with '.'; their count in *nlines */
size_t		 line_plain_run(const unsigned char *p, size_t n, size_t max_line,
		    size_t *nlines);
/* line_flag_desc - plain words for one flag bit */
const char	*line_flag_desc(unsigned bit);
/* line_body_len - n without the trailing CRLF or LF */
size_t		 line_body_len(const unsigned char *p, size_t n);

#endif
