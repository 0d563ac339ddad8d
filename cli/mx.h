/*
 * mx - where mail for a domain goes (RFC 5321 5.1): its MX hosts by
 * preference, each host's A and AAAA addresses, or the domain itself when
 * it has no MX; a null MX (RFC 7505) means none.  Asked through resolve.c
 * on the loop, every RRset with its DNSSEC status, the address queries of
 * all hosts at once.
 */
#ifndef CLI_MX_H
#define CLI_MX_H

#include <stddef.h>

#include "cli/resolve.h"

#define MX_HOSTS	16
#define MX_ADDRS	8	/* per host and family */

struct mx_host {
	char		 name[256];	/* the MX host: the name TLS sends and verifies */
	int		 pref;		/* its preference; -1: no MX, the domain itself */
	size_t		 n4, n6;
	char		 a4[MX_ADDRS][16];
	char		 a6[MX_ADDRS][46];
	enum dns_sec	 sec4, sec6;	/* of its A and AAAA RRsets */
	char		 why[600];	/* why it has no address, when it has none */
	int		 pending;
};

struct mx_set {
	char		 domain[256];
	enum dns_sec	 sec;		/* of the MX RRset, or of its absence */
	int		 implicit;	/* no MX: the domain itself (RFC 5321 5.1) */
	int		 null_mx;	/* RFC 7505 */
	size_t		 nhosts;
	struct mx_host	 host[MX_HOSTS];
	char		 why[700];	/* the lookup failed: no hosts */
};

struct mx_target {
	char	 addr[80];	/* "ADDR:PORT" or "[ADDR]:PORT" */
	char	 host[256];
	int	 pref;
};

typedef void (*mx_cb)(void *arg, struct mx_set *);

/* mx_lookup - fill *set on the loop, then call cb once; -1 with err */
int	 mx_lookup(const char *domain, struct mx_set *, mx_cb, void *arg, char *err, size_t);
/* mx_targets - the blocking form for send: runs the loop until the answer;
 * where to connect, in order (at most n); how many, or -1 with err */
int	 mx_targets(const char *domain, const char *port, struct mx_target *, size_t n,
	    char *err, size_t);

#endif
