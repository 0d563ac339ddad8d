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

struct mx_target {
	char	 addr[80];	/* "ADDR:PORT" or "[ADDR]:PORT" */
	char	 host[256];	/* the MX host: the name TLS sends and verifies */
	int	 pref;		/* its preference; -1: no MX, the domain itself */
};

/* mx_targets - where to connect, in order (at most n); returns how many,
 * or -1 with a reason in err */
int	 mx_targets(const char *domain, const char *resolver, const char *port,
	    struct mx_target *, size_t n, char *err, size_t);

#endif
