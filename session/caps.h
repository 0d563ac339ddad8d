/*
 * caps - EHLO capabilities (RFC 5321 4.1.1.1 and the extension RFCs).
 *
 * Parsed from the text of a 250 reply to EHLO: the first line is the
 * server's name, each further line "KEYWORD [params]".  Unknown keywords
 * are kept.  caps_describe() gives a plain-English meaning.
 */
#ifndef SESSION_CAPS_H
#define SESSION_CAPS_H

#include <stddef.h>

#include "session/smtp_reply.h"

#define CAPS_MAX	64

struct caps_entry {
	char	 keyword[32];
	char	 params[224];	/* truncated when longer; escaped on output */
};

struct caps {
	int			 valid;	/* an EHLO reply was parsed */
	char			 domain[128];
	size_t			 n;
	struct caps_entry	 e[CAPS_MAX];
};

void	 caps_clear(struct caps *);
void	 caps_parse(struct caps *, const struct smtp_reply *);
/* caps_find - the entry for keyword (case-insensitive), or NULL */
const struct caps_entry *caps_find(const struct caps *, const char *keyword);
/* caps_describe - meaning of an entry, written into out */
void	 caps_describe(const struct caps_entry *, char *out, size_t outlen);

#endif
