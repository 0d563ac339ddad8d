/*
 * smtp_reply - incremental SMTP reply parser (client side).
 *
 * Fed bytes split anywhere, it reports every received line (on_line) and
 * every complete reply (on_reply).  A reply ends at a line "NNN " or "NNN".
 * Continuation codes that differ, malformed lines, lines over 512 octets,
 * bare CR/LF and over-long replies are reported, never repaired.  Memory is
 * bounded by the limits: a line over max_line bytes is passed on in pieces
 * (every byte, LINE_MORE on all but the last), a reply keeps at most
 * max_lines lines and max_bytes text; past that (or with a line over
 * max_line) the reply is delivered with SMTP_REPLY_TOO_LONG and the rest
 * of it is only shown, not kept.
 *
 * Pointers passed to callbacks are borrowed and live only for the call.
 */
#ifndef SESSION_SMTP_REPLY_H
#define SESSION_SMTP_REPLY_H

#include <stddef.h>

#include "session/buf.h"

enum smtp_reply_flag {
	SMTP_REPLY_MISMATCH	= 1 << 0,	/* continuation code differs */
	SMTP_REPLY_MALFORMED	= 1 << 1,	/* a line is not "NNN[ -]text" */
	SMTP_REPLY_TOO_LONG	= 1 << 2,	/* over max_lines / max_bytes */
	SMTP_REPLY_INCOMPLETE	= 1 << 3,	/* connection ended inside it */
};

struct smtp_line {
	const unsigned char	*raw;	/* bytes as received: the line, or a piece */
	size_t			 len;
	unsigned		 flags;	/* enum line_flag; LINE_MORE: a piece, more
					 * follows; else the whole line's flags */
	int			 code;	/* 200..599, or -1 when malformed */
	char			 sep;	/* '-', ' ', or 0 (code alone) */
	const unsigned char	*text;	/* after "NNN-", without terminator; NULL
					 * for a line that came in pieces */
	size_t			 textlen;
	int			 last;	/* ends the reply */
	int			 mismatch; /* code differs from the first line */
};

struct smtp_reply {
	int		 code;		/* first line's code; -1 malformed */
	char		 enh[16];	/* enhanced status code, or "" */
	size_t		 nlines;
	size_t		 bytes;
	unsigned	 flags;		/* enum smtp_reply_flag */
	unsigned	 line_flags;	/* union of the lines' flags */
	struct buf	 text;		/* lines' text joined with '\n' */
	unsigned long long start;	/* stream offset of its first byte */
};

struct smtp_reply_limits {
	size_t	 max_line;	/* bytes kept per line (default 8192) */
	size_t	 max_lines;	/* lines per reply (default 1000) */
	size_t	 max_bytes;	/* text kept per reply (default 65536) */
};

struct smtp_reply_cb {
	void	(*on_line)(void *arg, const struct smtp_line *);
	void	(*on_reply)(void *arg, const struct smtp_reply *);
};

struct smtp_reply_parser;

/* smtp_reply_new - allocated; NULL limits means defaults */
struct smtp_reply_parser *smtp_reply_new(const struct smtp_reply_limits *,
	    const struct smtp_reply_cb *, void *arg);
void	 smtp_reply_free(struct smtp_reply_parser *);
/* smtp_reply_feed - returns the bytes consumed: all of them, unless a
 * callback called smtp_reply_pause(), which stops right after that line */
size_t	 smtp_reply_feed(struct smtp_reply_parser *, const void *, size_t);
void	 smtp_reply_pause(struct smtp_reply_parser *);
/* smtp_reply_eof - the peer closed: flush a partial line and reply */
void	 smtp_reply_eof(struct smtp_reply_parser *);
/* smtp_reply_pending - bytes of an unfinished line or reply are held */
int	 smtp_reply_pending(const struct smtp_reply_parser *);
/* smtp_reply_reset - drop everything buffered (STARTTLS) and return its size */
size_t	 smtp_reply_reset(struct smtp_reply_parser *);
/* smtp_reply_parse_enh - enhanced code "c.s.d" at the start of text */
size_t	 smtp_reply_parse_enh(const unsigned char *, size_t, int klass, char *out, size_t outlen);
/* smtp_reply_line_text - the i-th text line of a reply (borrowed) */
int	 smtp_reply_line_text(const struct smtp_reply *, size_t i,
	    const char **text, size_t *len);

#endif
