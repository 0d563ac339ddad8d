/*
 * dns - see dns.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "session/dns.h"

int
dns_name(const unsigned char *p, size_t len, size_t *off, char *out, size_t n)
{
	size_t	 o = *off, w = 0, l, i;

	if (n == 0)
		return -1;
	for (;;) {
		if (o >= len)
			return -1;
		l = p[o++];
		if (l == 0)
			break;
		if (l > 63 || o + l > len || w + l + 2 > n)
			return -1;	/* a compression pointer, or no room */
		if (w)
			out[w++] = '.';
		for (i = 0; i < l; i++) {
			unsigned char c = p[o + i];
			/* a name is text here; a dot or an unprintable byte
			 * inside a label would read as something else */
			if (c <= 0x20 || c >= 0x7f || c == '.' || c == '\\')
				return -1;
			out[w++] = (char)c;
		}
		o += l;
		if (w > 253)
			return -1;
	}
	out[w] = '\0';
	*off = o;
	return 0;
}

int
dns_mx(const unsigned char *p, size_t len, unsigned *pref, char *name, size_t n)
{
	size_t	 off = 2;

	if (len < 3)
		return -1;
	*pref = (unsigned)(p[0] << 8 | p[1]);
	if (dns_name(p, len, &off, name, n) == -1 || off != len)
		return -1;
	return 0;
}

int
dns_txt(const unsigned char *p, size_t len, char *out, size_t n)
{
	size_t	 o = 0, w = 0, l;

	if (n == 0 || len == 0)
		return -1;
	while (o < len) {
		l = p[o++];
		if (o + l > len || w + l >= n || memchr(p + o, '\0', l))
			return -1;
		memcpy(out + w, p + o, l);
		w += l;
		o += l;
	}
	out[w] = '\0';
	return 0;
}

int
dns_tlsa(const unsigned char *p, size_t len, char *out, size_t n)
{
	size_t	 i, w;
	int	 k;

	if (len < 4 || n < 12 + 2 * (len - 3))
		return -1;
	if ((k = snprintf(out, n, "%u %u %u ", p[0], p[1], p[2])) < 0)
		return -1;
	w = (size_t)k;
	for (i = 3; i < len; i++, w += 2)
		snprintf(out + w, n - w, "%02x", p[i]);
	return 0;
}

int
dns_addr(enum dns_type t, const unsigned char *p, size_t len, char *out, size_t n)
{
	if ((t == DNS_A && len != 4) || (t == DNS_AAAA && len != 16) ||
	    (t != DNS_A && t != DNS_AAAA))
		return -1;
	return inet_ntop(t == DNS_A ? AF_INET : AF_INET6, p, out, (socklen_t)n) ? 0 : -1;
}
