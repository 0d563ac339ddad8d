/*
 * resolve - DNS through libunbound on the one event loop: its file
 * descriptor sits in the poll set, answers come back as callbacks, and
 * each carries its DNSSEC status.  Queries go to --resolver (a forwarder),
 * or to the nameservers of /etc/resolv.conf; answers are validated from
 * --trust-anchor, or the system's root key (/usr/share/dns/root.key).
 */
#ifndef CLI_RESOLVE_H
#define CLI_RESOLVE_H

#include <stddef.h>

#include "session/dns.h"

enum dns_sec {
	DNS_SEC_UNCHECKED,	/* no trust anchor: nothing validated */
	DNS_SEC_INSECURE,	/* validated as unsigned (no DS on the way) */
	DNS_SEC_SECURE,
	DNS_SEC_BOGUS,		/* signed, but the signatures do not hold */
};

struct dns_answer {
	const char	*name;
	enum dns_type	 type;
	int		 ok;		/* an answer: records, NODATA or NXDOMAIN */
	int		 nxdomain;
	enum dns_sec	 sec;
	char		 why[600];	/* when !ok, or bogus: in words */
	size_t		 n;		/* records of the type asked for */
	char *const	*data;
	const int	*len;
	unsigned	 ttl;
};

typedef void (*resolve_cb)(void *arg, const struct dns_answer *);

/* resolve_init - resolver "IP[:PORT]", "[IPv6]:PORT" or NULL (resolv.conf);
 * trust anchor file, "none" (no validation) or NULL (the system's) */
int	 resolve_init(const char *resolver, const char *trust_anchor, char *err, size_t);
/* resolve_ask - cb is called once, from the loop, never from inside this
 * call; 0, or -1 with err */
int	 resolve_ask(const char *name, enum dns_type, resolve_cb, void *arg, char *err,
	    size_t);
/* resolve_sec_name - "secure", "insecure", "bogus", "unchecked" */
const char *resolve_sec_name(enum dns_sec);
/* resolve_where - "resolver 127.0.0.1@53, DNSSEC from FILE", for reports */
const char *resolve_where(void);

/* resolve_lib_version - "libunbound 1.17.1" */
const char *resolve_lib_version(void);

#endif
