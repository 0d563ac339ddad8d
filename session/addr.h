/*
 * addr - an address as people write it on a command line ("a@b",
 * "<a@b>", "Bob <b@x>", "\"Doe, J.\" <j@x>") split into the envelope
 * address (what MAIL FROM and RCPT TO carry) and the header form (what
 * From:, To: and Cc: show), and checked.  No I/O.
 */
#ifndef SESSION_ADDR_H
#define SESSION_ADDR_H

#include <stddef.h>

struct addr {
	char	 env[512];	/* "a@b", or "" for the null sender "<>" */
	char	 hdr[1280];	/* "a@b" or "Bob <a@b>" (quoted, RFC 2047 when needed) */
};

/* addr_parse - 0, or -1 with words in err; null_ok: "<>" is allowed (the
 * null reverse-path); force: a malformed address passes as given */
int	 addr_parse(const char *spec, struct addr *, int null_ok, int force, char *err,
	    size_t);
/* addr_xtext - RFC 3461 4 xtext: '+', '=', controls, space and 8-bit as +XX */
void	 addr_xtext(const char *in, char *out, size_t);

#endif
