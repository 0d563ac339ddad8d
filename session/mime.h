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
/* mime_has_header - one of the headers given is "name:" */
int		 mime_has_header(const struct mime_msg *, const char *name);

#endif
