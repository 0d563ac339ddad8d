/*
 * dns - the few DNS messages the sender needs (RFC 1035): a query for
 * MX, A or AAAA, and a bounds-checked parse of the answer.  No I/O.
 */
#ifndef SESSION_DNS_H
#define SESSION_DNS_H

#include <stddef.h>
#include <stdint.h>

enum dns_type { DNS_A = 1, DNS_MX = 15, DNS_AAAA = 28 };

struct dns_rr {
	enum dns_type	 type;
	unsigned	 pref;		/* MX */
	char		 name[256];	/* MX exchange */
	unsigned char	 addr[16];	/* A (4) or AAAA (16) */
};

/* dns_query - a recursive query for name, with an EDNS0 OPT record
 * offering DNS_UDP_SIZE (RFC 6891), so that answers fit in one UDP
 * datagram; returns its length or -1 */
#define DNS_UDP_SIZE	1232
int	 dns_query(uint16_t id, const char *name, enum dns_type, unsigned char *out, size_t);
/* dns_strip_edns - the same query without its OPT record, for a resolver
 * that answers FORMERR to EDNS0 (RFC 6891 7); returns the new length */
int	 dns_strip_edns(unsigned char *q, int len);
/* dns_parse - answers of type t into rr (at most n); returns how many, -1
 * for a malformed message or another id, -2 for NXDOMAIN, -3 SERVFAIL etc.,
 * -4 for a truncated answer (TC: ask again over TCP), -5 for FORMERR */
int	 dns_parse(const unsigned char *, size_t, uint16_t id, enum dns_type t,
	    struct dns_rr *rr, size_t n);

#endif
