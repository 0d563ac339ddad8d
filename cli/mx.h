/*
 * mx - where mail for a domain goes (RFC 5321 5.1): its MX hosts by
 * preference, each host's addresses, or the domain itself when it has no
 * MX; a null MX (RFC 7505) means none.  The queries go to --resolver, or
 * to the first nameserver of /etc/resolv.conf.  Blocking, with timeouts:
 * only the one-shot sender uses it, before it connects.
 */
#ifndef CLI_MX_H
#define CLI_MX_H

#include <stddef.h>

/* mx_targets - "ADDR:PORT" strings into out (at most n), in order;
 * returns how many, or -1 with a reason in err */
int	 mx_targets(const char *domain, const char *resolver, const char *port,
	    char out[][80], size_t n, char *err, size_t);

#endif
