/*
 * mime - build a message for the one-shot sender: headers (Date and
 * Message-ID when missing, RFC 2047 for a non-ASCII Subject), a text body,
 * and attachments as multipart/mixed with base64 parts.  The caller gives
 * the date, the Message-ID and the boundary (no clock, no randomness
 * here).  Lines end in CRLF; dot-stuffing is the sender's.
 */
#ifndef SESSION_MIME_H
#define SESSION_MIME_H

#include <stddef.h>

#include "session/buf.h"

struct mime_part {
	const char		*filename;	/* shown in Content-Disposition */
	const char		*type;		/* or NULL: from the file name */
	const unsigned char	*data;
	size_t			 len;
};

struct mime_msg {
	const char		*from;
	const char *const	*to;
	size_t			 nto;
	const char *const	*cc;
	size_t			 ncc;
	const char		*subject;	/* or NULL */
	const char *const	*headers;	/* "Name: value", added as given */
	size_t			 nheaders;
	const unsigned char	*body;
	size_t			 bodylen;
	const struct mime_part	*parts;
	size_t			 nparts;
	const char		*date;		/* RFC 5322 date-time */
	const char		*msgid;		/* "<...>" */
	const char		*boundary;
};

/* mime_build - the whole message into out */
void		 mime_build(const struct mime_msg *, struct buf *out);
/* mime_type - a Content-Type for a file name, by its extension */
const char	*mime_type(const char *filename);
/* mime_set_header - in a whole message (a file for --data): replace every
 * "Name:" header (with its continuation lines) by line ("Name: value"), or
 * add it at the end of the header block; the file's own line end is kept */
void		 mime_set_header(struct buf *msg, const char *line);
/* mime_subject - "Subject: ..." as a header line (RFC 2047 when not
 * ASCII), without the line end */
void		 mime_subject(struct buf *, const char *);
/* mime_body_line - the line number (0-based) where the first attachment's
 * encoded data starts in a message mime_build made, or 0 without one */
size_t		 mime_body_line(const struct buf *msg, const char *boundary);
/* mime_decode_words - RFC 2047 encoded words (B and Q; UTF-8, US-ASCII and
 * ISO-8859-1, which becomes UTF-8) decoded for display; other charsets and
 * broken words are left as they are; whitespace between two encoded words
 * goes (RFC 2047 6.2) */
void		 mime_decode_words(const char *, struct buf *out);
/* mime_has_header - one of the headers given is "name:" */
int		 mime_has_header(const struct mime_msg *, const char *name);

#endif
