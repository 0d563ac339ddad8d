/*
 * dns - decoding the record data a resolver hands back (RFC 1035 wire
 * format, names uncompressed): MX, TXT, TLSA, A and AAAA.  No I/O; the
 * resolver itself is libunbound (cli/resolve.c).  Every decoder is
 * bounds-checked and refuses what does not fit.
 */
#ifndef SESSION_DNS_H
#define SESSION_DNS_H

#include <stddef.h>

enum dns_type {
	DNS_A = 1, DNS_MX = 15, DNS_TXT = 16, DNS_AAAA = 28, DNS_TLSA = 52
};

/* dns_name - the uncompressed wire name at *off as text without the final
 * dot ("" for the root), *off moved past it; -1 if malformed or too long */
int	 dns_name(const unsigned char *, size_t, size_t *off, char *out, size_t);
/* dns_mx - an MX record's preference and exchange; -1 if malformed */
int	 dns_mx(const unsigned char *, size_t, unsigned *pref, char *name, size_t);
/* dns_txt - a TXT record's strings joined, as RFC 7208 3.3 and RFC 8461
 * 3.1 read them; a NUL byte inside makes it -1 */
int	 dns_txt(const unsigned char *, size_t, char *out, size_t);
/* dns_tlsa - a TLSA record as "U S M hex" (the --tlsa form); -1 if malformed */
int	 dns_tlsa(const unsigned char *, size_t, char *out, size_t);
/* dns_addr - an A or AAAA record as text; -1 if its length is wrong */
int	 dns_addr(enum dns_type, const unsigned char *, size_t, char *out, size_t);

#endif
