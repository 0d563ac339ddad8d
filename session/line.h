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
	LINE_TRUNC	= 1 << 7,	/* longer than the buffer: bytes dropped */
	LINE_FLAG_COUNT	= 8,
	/* not an anomaly: the line carries a credential (AUTH), mask it */
	LINE_SECRET	= 1 << 8
};

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
