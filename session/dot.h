/*
 * dot - message data transparency (RFC 5321 4.5.2), both directions.
 *
 * Encoder (client): content bytes in, wire bytes out.  Bare LF and bare CR
 * become CRLF (unless raw), a line starting with "." gets a second dot,
 * and dot_enc_finish() ends the message with CRLF "." CRLF.  It works
 * across calls: any split of the input gives the same output.
 *
 * Decoder (server): complete raw lines in (as received, split at LF),
 * content out.  Only CRLF "." CRLF ends the data: a "." line after a bare
 * LF does not (SMTP smuggling), and the decoder says so.
 */
#ifndef SESSION_DOT_H
#define SESSION_DOT_H

#include <stddef.h>

#include "session/buf.h"

struct dot_enc {
	int	 bol;		/* at the beginning of a line */
	int	 cr;		/* previous byte was a CR not yet written */
	int	 raw;		/* keep bare CR/LF as they are */
	size_t	 normalized;	/* bare CR/LF turned into CRLF */
	size_t	 stuffed;	/* dots added */
};

void	 dot_enc_init(struct dot_enc *, int raw);
/* dot_enc_feed - encode n bytes into out; -1 if out is full (nothing lost
 * when out has buf_space >= 2*n+2) */
int	 dot_enc_feed(struct dot_enc *, struct buf *out, const void *, size_t);
/* dot_enc_finish - close the last line and append ".\r\n" */
int	 dot_enc_finish(struct dot_enc *, struct buf *out);

enum dot_dec_result {
	DOT_DEC_CONTENT,	/* line is content: see *out, *outlen */
	DOT_DEC_END,		/* CRLF.CRLF: end of data */
};

struct dot_dec {
	int	 bol;		/* previous line ended with CRLF */
	int	 cr;		/* the last piece ended with a CR (its LF may follow) */
	size_t	 smuggle;	/* "." lines after a bare LF/CR seen */
};

void	 dot_dec_init(struct dot_dec *);
/* dot_dec_line - classify one raw line (ending in LF, or a partial piece
 * when the line was split; complete=0) and unstuff it */
enum dot_dec_result dot_dec_line(struct dot_dec *, const unsigned char *, size_t,
	    int complete, const unsigned char **out, size_t *outlen);

#endif
